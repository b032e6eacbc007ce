"""``python -m mockpool demo``: the bundled legacy suite, plain and accelerated.

Each run happens in a fresh process, so that neither warms the other's
caches and each has its own peak memory: first ``python -m unittest``'s way
(no mockpool), then under ``python -m mockpool run``'s installation. Both
runs discover the same two suites -- the 1,199 tests of
:mod:`mockpool._demo.tests` and the deliberate outcomes of
:mod:`mockpool._demo.tests_outcomes` -- record every test's outcome, and the
demo compares them id by id.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

__all__ = ["demo", "run_child"]

_CHILD = "mockpool._demo_command"


#: The demo suites, by their name in :data:`mockpool._demo.check.SUITES`.
SUITES = ("tests", "tests_outcomes")


def run_child(accelerated: bool, output: str, suites: Sequence[str] = SUITES) -> int:
    """Run the demo *suites* here; write outcomes and timings to *output*."""
    from mockpool._demo import check

    installation = None
    if accelerated:
        from mockpool._install import install

        installation = install()
    report: dict[str, Any] = {"outcomes": {}, "seconds": {}}
    try:
        for name in suites:
            start = time.perf_counter()
            suite = check.discover(name)
            ids = check.test_ids(suite)
            result = check.run(suite)
            report["seconds"][name] = time.perf_counter() - start
            report["outcomes"].update(check.outcomes(ids, result))
    finally:
        if installation is not None:
            installation.undo()
    if accelerated:
        from mockpool import _worker_files

        report["mockpool"] = _worker_files.process_report().render()
    with open(output, "w", encoding="utf-8") as stream:
        json.dump(report, stream)
    return 0


def _measure(python: str, accelerated: bool, workdir: str) -> dict[str, Any]:
    output = os.path.join(workdir, "accelerated.json" if accelerated else "plain.json")
    command = [python, "-m", _CHILD, "--child", output]
    if accelerated:
        command.append("--accelerated")
    start = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"the demo run {command} failed ({process.returncode})")
    with open(output, encoding="utf-8") as stream:
        report: dict[str, Any] = json.load(stream)
    # ru_maxrss is in KiB on Linux.
    report["wall"] = wall
    report["peak_rss_mb"] = usage.ru_maxrss / 1024
    return report


def _tally(outcomes: dict[str, str]) -> str:
    counts = Counter(outcomes.values())
    return ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))


def demo(python: str = sys.executable) -> int:
    """Run the demo; print the comparison. Returns 0 if results are identical."""
    print(f"mockpool demo: the bundled legacy suite, run by {python}")
    with tempfile.TemporaryDirectory(prefix="mockpool-demo-") as workdir:
        plain = _measure(python, False, workdir)
        fast = _measure(python, True, workdir)
    same = plain["outcomes"] == fast["outcomes"]
    rows = (("python -m unittest", plain), ("python -m mockpool run", fast))
    print(f"{'':24} {'wall':>8} {'peak RSS':>10}  outcomes")
    for label, report in rows:
        print(
            f"{label:24} {report['wall']:7.1f}s {report['peak_rss_mb']:8.0f} MB"
            f"  {_tally(report['outcomes'])}"
        )
    print(f"speed-up (wall): {plain['wall'] / fast['wall']:.1f}x")
    print(
        "peak RSS accelerated / plain: "
        f"{fast['peak_rss_mb'] / plain['peak_rss_mb']:.2f}"
    )
    print(fast["mockpool"])
    if same:
        print(f"results identical: yes ({len(plain['outcomes'])} test ids)")
        return 0
    differing = sorted(
        test_id
        for test_id in set(plain["outcomes"]) | set(fast["outcomes"])
        if plain["outcomes"].get(test_id) != fast["outcomes"].get(test_id)
    )
    print(f"results identical: NO ({len(differing)} differ)")
    for test_id in differing[:20]:
        print(
            f"  {test_id}: plain {plain['outcomes'].get(test_id)}, "
            f"accelerated {fast['outcomes'].get(test_id)}"
        )
    return 1


def _child_main(argv: Sequence[str]) -> int:
    accelerated = "--accelerated" in argv
    output = argv[argv.index("--child") + 1]
    return run_child(accelerated, output)


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
