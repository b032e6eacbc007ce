"""``python -m mockpool measure [--json PATH] [unittest arguments]``.

Runs the tests as ``python -m unittest`` does -- same arguments, output and
exit status, no acceleration -- with the mock-creation timers of
:mod:`mockpool._measure.timers` installed, and prints after unittest's
output how much of the run's CPU time went to creating mocks: the share by
kind, the ten costliest specs and tests, the ceiling ``1 / (1 - share)``
(what any mock accelerator could at most achieve) and a one-line
recommendation. ``--json PATH`` also writes all of it as JSON.

The run's CPU time is the process's, from just before the tests are
discovered to the end of the run (so it leaves out the interpreter's and
mockpool's own start-up).

The timers are not free, and the summary says what they cost: the timers
count their timed calls by kind of boundary, and once the run is over (off
its clock) :func:`~mockpool._measure.timers.calibrate` times each kind on
no-op functions; the product is printed as "timers' own cost", in seconds
and as a share of the run's CPU. It is a lower bound (calls in a suite meet
colder caches than the calibration's loop; on suites of cheap plain mocks
it came to a third to a quarter of the real cost: docs/fit.rst). That
cost is inside the run's CPU, and the part spent in calls nested inside a
timed call is inside the mock share too. benchmarks/bench_measure_overhead.py
checks the figure against plain runs of the same suite.
"""

from __future__ import annotations

import heapq
import json
import os
import sys
import time
import unittest
from collections.abc import Sequence
from typing import Any

from mockpool._measure import timers as _timers

__all__ = ["measure_command", "recommendation", "render"]

_USAGE = "usage: python -m mockpool measure [--json PATH] [unittest arguments]\n"
#: How many specs and tests the summary names.
TOP = 10
#: The share of plain-mock and child-mock creation that ``python -m mockpool
#: run`` removes, roughly: 22 % on ncclient, 49 % on os-brick, 60 % on
#: cloudbase-init (benchmarks/realworld, CPU saved over mock CPU).
PLAIN_SAVING = 0.5
#: An expected speed-up from which a suite of plain mocks is worth trying.
WORTH_TRYING = 1.25


def _json_path(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """Split ``--json PATH`` from unittest's arguments; check PATH early."""
    path: str | None = None
    rest: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--json":
            path = next(items, "")
        elif item.startswith("--json="):
            path = item.partition("=")[2]
        else:
            rest.append(item)
    if path is not None:
        parent = os.path.dirname(os.path.abspath(path)) if path else ""
        if not path or os.path.isdir(path) or not os.path.isdir(parent):
            raise ValueError(
                f"--json {path!r}: give the path of a file in an existing "
                "directory, such as --json measure.json"
            )
    return path, rest


class _TestCosts:
    """Mock-creation seconds per test, the costliest kept."""

    def __init__(self, timers: _timers.Timers) -> None:
        self.timers = timers
        self.started: dict[str, float] = {}
        self.costs: dict[str, float] = {}

    def start(self, test_id: str) -> None:
        self.started[test_id] = self.timers.creation_seconds()

    def stop(self, test_id: str) -> None:
        began = self.started.pop(test_id, None)
        if began is not None:
            spent = self.timers.creation_seconds() - began
            self.costs[test_id] = self.costs.get(test_id, 0.0) + spent

    def costliest(self, limit: int = TOP) -> list[tuple[str, float]]:
        return heapq.nlargest(limit, self.costs.items(), key=lambda item: item[1])


def _runner_class(costs: _TestCosts) -> type[unittest.TextTestRunner]:
    """unittest's runner, whose result tells *costs* when each test runs."""

    class MeasuringResult(unittest.TextTestResult):
        def startTest(self, test: unittest.TestCase) -> None:
            costs.start(test.id())
            super().startTest(test)

        def stopTest(self, test: unittest.TestCase) -> None:
            super().stopTest(test)
            costs.stop(test.id())

    class MeasuringRunner(unittest.TextTestRunner):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # unittest.main passes its options by keyword.
            kwargs["resultclass"] = MeasuringResult
            super().__init__(*args, **kwargs)

    return MeasuringRunner


def _status(exit_: SystemExit) -> int:
    code = exit_.code
    return int(code) if isinstance(code, int) else (0 if code is None else 1)


def measure_command(argv: Sequence[str]) -> int:
    """Run unittest with *argv* under the timers; print the summary.

    Returns:
        The exit status ``python -m unittest`` would give; 2 for a bad
        ``--json``.
    """
    try:
        json_path, rest = _json_path(argv)
    except ValueError as exc:
        sys.stderr.write(f"python -m mockpool measure: {exc}\n{_USAGE}")
        return 2
    timers = _timers.install()
    costs = _TestCosts(timers)
    started = time.process_time()
    code = 0
    try:
        unittest.main(
            module=None,
            argv=["python -m mockpool measure", *rest],
            testRunner=_runner_class(costs),
        )
    except SystemExit as exit_:
        code = _status(exit_)
    finally:
        cpu = time.process_time() - started
        _timers.uninstall()
    if not costs.started and not costs.costs and code in (0, 2):
        # Help or a usage error: no test ran, nothing to summarize.
        return code
    calibrating = time.process_time()
    timer_costs = _timers.calibrate()
    calibrated = time.process_time() - calibrating
    figures = summarize(timers.snapshot(), cpu, costs.costliest(), timer_costs)
    figures["timers"]["calibration_seconds"] = calibrated
    sys.stderr.write(render(figures))
    sys.stderr.flush()
    if json_path:
        with open(json_path, "w", encoding="utf-8") as stream:
            json.dump(figures, stream, indent=2)
    return code


def summarize(
    snapshot: dict[str, Any],
    cpu: float,
    tests: list[tuple[str, float]],
    timer_costs: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The summary's figures from a timers' snapshot and the run's CPU.

    Args:
        snapshot: :meth:`~mockpool._measure.timers.Timers.snapshot`.
        cpu: The run's CPU seconds.
        tests: (test id, seconds creating mocks) of the costliest tests.
        timer_costs: Seconds per timed call by kind of boundary, from
            :func:`~mockpool._measure.timers.calibrate`; without them the
            timers' own cost is reported as 0.
    """
    creation = float(snapshot["creation_seconds"])
    boundaries = dict(snapshot.get("boundaries", {}))
    costs = dict(timer_costs or {})
    own = _timers.own_seconds(boundaries, costs)
    share = creation / cpu if cpu > 0 else 0.0
    specs = sorted(snapshot["specs"].items(), key=lambda item: -item[1]["seconds"])
    autospec_seconds = sum(figures["seconds"] for _, figures in specs)
    return {
        "cpu_seconds": cpu,
        "creation_seconds": creation,
        "share": share,
        "ceiling": 1 / (1 - share) if share < 1 else float("inf"),
        "autospec_share": autospec_seconds / cpu if cpu > 0 else 0.0,
        "by_kind": {
            kind: {
                "seconds": snapshot["seconds"][kind],
                "calls": snapshot["counts"][kind],
                "share": snapshot["seconds"][kind] / cpu if cpu > 0 else 0.0,
            }
            for kind in _timers.KINDS
        },
        "costliest_specs": [
            {"spec": name, "seconds": figures["seconds"], "calls": figures["count"]}
            for name, figures in specs[:TOP]
        ],
        "costliest_tests": [
            {"test": test_id, "seconds": seconds} for test_id, seconds in tests
        ],
        "recommendation": recommendation(
            share, autospec_seconds / cpu if cpu > 0 else 0.0
        ),
        "timers": {
            "own_seconds": own,
            "own_share": own / cpu if cpu > 0 else 0.0,
            "calls": boundaries,
            "seconds_per_call": costs,
        },
    }


def recommendation(share: float, autospec_share: float) -> str:
    """One line: is a mock accelerator worth it for this suite?

    Args:
        share: The share of CPU spent creating mocks.
        autospec_share: The share spent in autospecs (also inside patches),
            which is what ``python -m mockpool run`` serves from its caches.
    """
    ceiling = 1 / (1 - share) if share < 1 else float("inf")
    if share < 0.10:
        return (
            f"Mock creation is {share:.0%} of CPU: no mock accelerator can make "
            f"this suite more than {ceiling:.2f}x faster; look elsewhere."
        )
    if autospec_share >= 0.5 * share:
        return (
            f"Autospecs are {autospec_share:.0%} of CPU: try `python -m mockpool "
            f"run` (at most {ceiling:.1f}x faster)."
        )
    # Plain mocks and children are accelerated too, less than autospecs.
    expected = 1 / (1 - PLAIN_SAVING * share)
    verdict = "worth trying" if expected >= WORTH_TRYING else "marginal"
    return (
        f"Mock creation is {share:.0%} of CPU, mostly plain mocks and children "
        f"(autospecs {autospec_share:.0%}): `python -m mockpool run` removes "
        f"about half of their cost, so expect about {expected:.1f}x faster "
        f"({verdict}; at most {ceiling:.1f}x)."
    )


def render(figures: dict[str, Any]) -> str:
    """The summary printed after unittest's output."""
    lines = [
        "",
        "mockpool measure: CPU {cpu:.2f}s, creating mocks {creation:.2f}s "
        "({share:.0%}); ceiling 1/(1-share) = {ceiling:.2f}x".format(
            cpu=figures["cpu_seconds"],
            creation=figures["creation_seconds"],
            share=figures["share"],
            ceiling=figures["ceiling"],
        ),
        "By kind (outermost calls only):",
    ]
    for kind, entry in figures["by_kind"].items():
        if entry["calls"]:
            lines.append(
                f"  {kind:<18} {entry['seconds']:8.3f}s {entry['share']:6.1%}"
                f"  {entry['calls']:>7} calls"
            )
    if figures["costliest_specs"]:
        lines.append("Costliest autospecs:")
        lines.extend(
            f"  {entry['seconds']:8.3f}s {entry['calls']:>6}x  {entry['spec']}"
            for entry in figures["costliest_specs"]
        )
    if figures["costliest_tests"]:
        lines.append("Costliest tests (time creating mocks):")
        lines.extend(
            f"  {entry['seconds']:8.3f}s  {entry['test']}"
            for entry in figures["costliest_tests"]
        )
    lines.append(figures["recommendation"])
    timers = figures["timers"]
    lines.append(
        "Timers' own cost: at least {own:.3f}s ({share:.1%} of CPU), {calls:,} "
        "timed calls; it is in the CPU above and, partly, in the mock share.".format(
            own=timers["own_seconds"],
            share=timers["own_share"],
            calls=sum(timers["calls"].values()),
        )
    )
    return "\n".join(lines) + "\n"
