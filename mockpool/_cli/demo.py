"""``python -m mockpool demo``: the bundled legacy suite, plain and accelerated.

Each run happens in a fresh process, so that neither warms the other's
caches and each has its own peak memory: first ``python -m unittest``'s way
(no mockpool), then under ``python -m mockpool run``'s installation. Both
runs discover the same two suites -- the 1,366 tests of
:mod:`mockpool._demo.tests` and the deliberate outcomes of
:mod:`mockpool._demo.tests_outcomes` -- record every test's outcome, and the
demo compares them id by id.

While a run goes, its child shows its progress on the standard error it
shares with the demo (:mod:`mockpool._cli.progress`: one line redrawn in place
on a terminal, a line every few seconds elsewhere). Counting costs a counter
and a clock reading per test and writes at most ten times a second, so it
changes neither run's outcomes nor, measurably, its time; the summary on
standard output is what it was without it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from mockpool._cli.progress import Progress

__all__ = ["child_command", "demo", "run_child"]

_CHILD = "mockpool._cli.demo"
#: Each run's name, on its progress line and in the summary.
_LABELS = {False: "python -m unittest", True: "python -m mockpool run"}


#: The demo suites, by their name in :data:`mockpool._demo.check.SUITES`.
SUITES = ("tests", "tests_outcomes")


def run_child(
    accelerated: bool,
    output: str,
    suites: Sequence[str] = SUITES,
    progress: TextIO | None = None,
) -> int:
    """Run the demo *suites* here; write outcomes and timings to *output*.

    With *progress*, show how many of the suites' tests are done on it.
    """
    from mockpool._demo import check

    installation = None
    if accelerated:
        from mockpool._integration.install import install

        installation = install()
    report: dict[str, Any] = {"outcomes": {}, "seconds": {}}
    try:
        # Every suite is discovered first, so that the progress shows the
        # run's whole total from its first line.
        found = []
        for name in suites:
            start = time.perf_counter()
            suite = check.discover(name)
            ids = check.test_ids(suite)
            found.append((name, suite, ids, time.perf_counter() - start))
        shown = None
        if progress is not None:
            total = sum(len(ids) for _, _, ids, _ in found)
            shown = Progress(_LABELS[accelerated], total, progress)
            shown.start()
        try:
            for name, suite, ids, discovery in found:
                start = time.perf_counter()
                result = _run(suite, shown)
                report["seconds"][name] = discovery + time.perf_counter() - start
                report["outcomes"].update(check.outcomes(ids, result))
        except BaseException:
            if shown is not None:
                shown.stop()  # so that the traceback starts on a line of its own
            raise
        if shown is not None:
            shown.finish()
    finally:
        if installation is not None:
            installation.undo()
    if accelerated:
        from mockpool._reporting import worker_files as _worker_files

        report["mockpool"] = _worker_files.process_report().render()
    with open(output, "w", encoding="utf-8") as stream:
        json.dump(report, stream)
    return 0


def _run(suite: unittest.TestSuite, progress: Progress | None) -> unittest.TestResult:
    """Run *suite* quietly, as :func:`mockpool._demo.check.run` does.

    The only difference is the result class, which counts finished tests
    into *progress*: what a test sees and what it records are unittest's.
    """
    resultclass: type[unittest.TextTestResult] = unittest.TextTestResult
    if progress is not None:
        counted = progress

        class _Counting(unittest.TextTestResult):
            def stopTest(self, test: unittest.TestCase) -> None:
                super().stopTest(test)
                counted.advance()

        resultclass = _Counting
    runner = unittest.TextTestRunner(
        stream=io.StringIO(), verbosity=0, resultclass=resultclass
    )
    return runner.run(suite)


def child_command(
    python: str, accelerated: bool, output: str, suites: Sequence[str] = SUITES
) -> list[str]:
    """The command of one run's child: *suites*, progress on its stderr."""
    command = [python, "-m", _CHILD, "--child", output, "--progress"]
    command += ["--suites", ",".join(suites)]
    if accelerated:
        command.append("--accelerated")
    return command


def _measure(python: str, accelerated: bool, workdir: str) -> dict[str, Any]:
    output = os.path.join(workdir, "accelerated.json" if accelerated else "plain.json")
    command = child_command(python, accelerated, output)
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
    # Flushed: the children's progress goes to the same terminal or log.
    print(f"mockpool demo: the bundled legacy suite, run by {python}", flush=True)
    with tempfile.TemporaryDirectory(prefix="mockpool-demo-") as workdir:
        plain = _measure(python, False, workdir)
        fast = _measure(python, True, workdir)
    same = plain["outcomes"] == fast["outcomes"]
    rows = ((_LABELS[False], plain), (_LABELS[True], fast))
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
    """``--child OUTPUT [--accelerated] [--progress] [--suites A,B]``.

    Only :func:`child_command` writes these arguments.
    """
    accelerated = "--accelerated" in argv
    output = argv[argv.index("--child") + 1]
    suites: Sequence[str] = SUITES
    if "--suites" in argv:
        suites = tuple(argv[argv.index("--suites") + 1].split(","))
    # The stream itself, taken now: a test that patches sys.stderr does not
    # get the progress.
    progress = sys.stderr if "--progress" in argv else None
    return run_child(accelerated, output, suites, progress)


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
