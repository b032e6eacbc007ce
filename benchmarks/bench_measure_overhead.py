"""Benchmark: what ``python -m mockpool measure`` costs a suite, against
what it says it costs.

``measure`` prints "Timers' own cost": its timed calls, counted by kind of
boundary, priced at what one call of each kind costs (timed on no-op
functions after the run). This checks that figure against reality: the
suite runs plain and under ``measure``, alternating, for ``--rounds``
rounds, each run a fresh interpreter whose CPU (user + system, from
``os.wait4``) is the figure; the order within a round alternates too, so
that a machine getting busier or quieter hits both sides alike.

The plain side is ``python -m unittest`` with mockpool's ``measure`` module
imported first, so that both sides pay the same imports and the difference
is the timers, the calibration and the summary. Printed per round and as
medians: CPU plain, CPU measured, the measured overhead, the self-reported
one ("Timers' own cost") and what the calibration after the run took, all
as shares of the plain run's CPU: the measured overhead should come to
about the sum of the last two.

On a shared machine one run's CPU moves by several per cent, more than the
timers cost. ``--instructions`` answers without that noise: each side runs
once under valgrind's callgrind (``valgrind`` must be on the ``PATH``; a
run takes some 60 times as long), with ``PYTHONHASHSEED=0``, and the
instructions each executed are compared -- the same count on every rerun.
Instructions are not seconds (a wrapper that misses the cache costs more
per instruction), but a cost the timers add shows in them.

Usage::

    python benchmarks/bench_measure_overhead.py [--rounds 3] [--instructions]
    python benchmarks/bench_measure_overhead.py --suite-dir DIR \\
        --python DIR/venv/bin/python --args "discover -s tests -t ."

By default the suite is the bundled demo (``mockpool/_demo/tests``, about
80 s of CPU per run on a slow machine: ``--args`` with ``-p 'test_c*.py'``
runs part of it). The suite's interpreter must be able to import mockpool:
this checkout is put first on its ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_ARGS = "discover -s mockpool/_demo/tests -t ."
#: The plain side: unittest's own main, after the imports measure makes.
PLAIN_RUNNER = (
    "import sys, unittest, mockpool._cli.measure; "
    "sys.argv[0] = 'python -m unittest'; "
    "unittest.main(module=None)"
)


def _cpu_of(command: Sequence[str], cwd: str, env: dict[str, str]) -> float:
    """User + system CPU seconds of *command*, run to its end."""
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=sink, stderr=sink)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):  # 1: some tests failed, still a run
        raise RuntimeError(
            f"{shlex.join(command)} exited with {process.returncode} in {cwd}; "
            "run it by hand to see why"
        )
    return usage.ru_utime + usage.ru_stime


def one_round(
    python: str, suite_dir: str, args: list[str], measured_first: bool
) -> dict[str, float]:
    """CPU plain and measured, and measure's own figures, for one round."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        path for path in (CHECKOUT, env.get("PYTHONPATH", "")) if path
    )
    with tempfile.TemporaryDirectory(prefix="bench-measure-") as scratch:
        report = os.path.join(scratch, "measure.json")
        plain = [python, "-c", PLAIN_RUNNER, *args]
        measured = [python, "-m", "mockpool", "measure", "--json", report, *args]
        cpu: dict[str, float] = {}
        order = [("measured", measured), ("plain", plain)]
        for side, command in order if measured_first else order[::-1]:
            cpu[side] = _cpu_of(command, suite_dir, env)
        with open(report, encoding="utf-8") as stream:
            figures: dict[str, Any] = json.load(stream)
    return {
        "cpu_plain": cpu["plain"],
        "cpu_measured": cpu["measured"],
        "overhead": cpu["measured"] / cpu["plain"] - 1,
        # Measure's own estimate, over the plain run like the real one, and
        # what its calibration, after the run, added to the process.
        "reported": figures["timers"]["own_seconds"] / cpu["plain"],
        "calibration": figures["timers"]["calibration_seconds"] / cpu["plain"],
        "timed_calls": sum(figures["timers"]["calls"].values()),
        "share": figures["share"],
    }


def _instructions_of(command: Sequence[str], cwd: str, env: dict[str, str]) -> int:
    """Instructions *command* executed, counted by callgrind."""
    with tempfile.TemporaryDirectory(prefix="bench-measure-cg-") as scratch:
        counted = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={os.path.join(scratch, 'out')}",
                *command,
            ],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    found = re.search(r"Collected : (\d+)", counted.stderr)
    if counted.returncode not in (0, 1) or found is None:
        raise RuntimeError(
            f"valgrind {shlex.join(command)} exited with {counted.returncode} in "
            f"{cwd}: {counted.stderr[-500:]}"
        )
    return int(found.group(1))


def instructions(python: str, suite_dir: str, args: list[str]) -> dict[str, float]:
    """Instructions of one plain and one measured run (see the module doc)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        path for path in (CHECKOUT, env.get("PYTHONPATH", "")) if path
    )
    env["PYTHONHASHSEED"] = "0"  # the same dicts and sets in every run
    with tempfile.TemporaryDirectory(prefix="bench-measure-") as scratch:
        report = os.path.join(scratch, "measure.json")
        plain = _instructions_of([python, "-c", PLAIN_RUNNER, *args], suite_dir, env)
        measured = _instructions_of(
            [python, "-m", "mockpool", "measure", "--json", report, *args],
            suite_dir,
            env,
        )
        with open(report, encoding="utf-8") as stream:
            figures: dict[str, Any] = json.load(stream)
    return {
        "plain": plain,
        "measured": measured,
        "overhead": measured / plain - 1,
        "timed_calls": sum(figures["timers"]["calls"].values()),
        "reported": figures["timers"]["own_seconds"] / figures["cpu_seconds"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/bench_measure_overhead.py",
        description="measure's timers: their real cost against the reported one",
    )
    parser.add_argument("--suite-dir", default=CHECKOUT, help="where to run")
    parser.add_argument("--python", default=sys.executable, help="its interpreter")
    parser.add_argument(
        "--args", default=DEMO_ARGS, help=f"unittest's arguments ({DEMO_ARGS!r})"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions under valgrind instead of timing CPU",
    )
    options = parser.parse_args(argv)
    if options.rounds < 1:
        parser.error(f"--rounds {options.rounds}: give at least 1, such as 3")
    if not os.path.isdir(options.suite_dir):
        parser.error(f"--suite-dir {options.suite_dir!r} is not a directory")
    args = shlex.split(options.args)
    print(f"suite: {options.args} in {options.suite_dir}")
    print(f"python: {options.python}")
    if options.instructions:
        if shutil.which("valgrind") is None:
            parser.error("--instructions needs valgrind on the PATH")
        counted = instructions(options.python, options.suite_dir, args)
        print(
            f"instructions plain {counted['plain']:,.0f}, under measure "
            f"{counted['measured']:,.0f}: overhead {counted['overhead']:.1%} "
            f"({counted['timed_calls']:,.0f} timed calls; measure reported "
            f"{counted['reported']:.1%} of its CPU)"
        )
        return 0
    header = (
        f"{'round':>6} {'CPU plain':>10} {'CPU measure':>12} {'overhead':>9} "
        f"{'reported':>9} {'calibration':>12} {'timed calls':>12} {'mock share':>11}"
    )
    print(header)
    rounds = []
    for number in range(options.rounds):
        figures = one_round(
            options.python, options.suite_dir, args, measured_first=bool(number % 2)
        )
        rounds.append(figures)
        print(_row(str(number + 1), figures), flush=True)
    median = {
        key: statistics.median(entry[key] for entry in rounds) for key in rounds[0]
    }
    print(_row("median", median))
    return 0


def _row(label: str, figures: dict[str, float]) -> str:
    return (
        f"{label:>6} {figures['cpu_plain']:9.2f}s {figures['cpu_measured']:11.2f}s "
        f"{figures['overhead']:9.1%} {figures['reported']:9.1%} "
        f"{figures['calibration']:12.1%} {figures['timed_calls']:12,.0f} "
        f"{figures['share']:11.1%}"
    )


if __name__ == "__main__":
    sys.exit(main())
