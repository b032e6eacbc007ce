"""Benchmark: everyday mock operations inside tests, plain and dropped in.

Each operation is the body of a ``unittest.TestCase`` test; a suite of
``--tests`` such tests is run by unittest's own machinery
(``suite.run(result)``, which calls ``TestCase.run`` -- where the drop-in
does its per-test work), once plainly and once with :func:`mockpool.install`
in effect, alternating in one process for ``--rounds`` rounds so that
machine noise hits both sides alike. The figure per side is the median CPU
time (``time.process_time``) per test; the ratio is plain / dropped in, so
above 1 means the drop-in is faster. ``empty test`` has an empty body: its
ratio shows the drop-in's per-test overhead (below 1 is a cost).

A third side, ``mocks only``, enables only the plain-mock acceleration
(:mod:`mockpool._autospec.plain`) without the drop-in's per-test scope, to
tell the two costs apart.

The median is taken over the everyday operations (issue 13's list); the
empty test, the class and builtin autospecs (rows of their own, for
issue 12) and the calls row (calling mocks, which must be no slower than the
stdlib's) are printed but not counted in it.

Usage: python benchmarks/bench_everyday.py [--tests N] [--rounds R]
       [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import gc
import os
import smtplib
import statistics
import sys
import tempfile
import time
import types
import unittest
from collections.abc import Callable, Sequence
from unittest import mock

# Keep mockpool's usage history of benchmark runs out of the working tree.
os.environ.setdefault("MOCKPOOL_DIR", tempfile.mkdtemp(prefix="mockpool-bench-"))

import mockpool
from mockpool._autospec import plain

PLAIN, DROPPED_IN, MOCKS_ONLY = "plain", "drop-in", "mocks only"


def target_function(a: int, b: int = 2) -> int:
    """What ``patch(function, autospec=True)`` replaces."""
    return a + b


class TargetClass:
    """What ``patch.object(Class, "method", autospec=True)`` patches."""

    def __init__(self, host: str, port: int = 25) -> None:
        self.host = host

    def method(self, value: int) -> int:
        return value

    def other(self) -> None:
        """Another method, so the spec is not trivial."""


#: A module whose attribute ``patch.object(mod, "attr")`` replaces.
target_module = types.ModuleType("bench_target_module")
target_module.attr = object()  # type: ignore[attr-defined]

_THIS = __name__


def _empty() -> None:
    pass


def _patch_object_module() -> None:
    with mock.patch.object(target_module, "attr"):
        target_module.attr(1)


def _patch_function_autospec() -> None:
    with mock.patch(f"{_THIS}.target_function", autospec=True) as patched:
        patched(1)


def _patch_method_autospec() -> None:
    with mock.patch.object(TargetClass, "method", autospec=True) as patched:
        patched(None, 1)


def _patch_builtin_autospec() -> None:
    # What an OpenStack test base does in every test's setUp.
    with mock.patch.object(time, "sleep", autospec=True) as patched:
        time.sleep(1)
        patched.assert_called_once_with(1)


def _patch_class_autospec() -> None:
    with mock.patch(f"{_THIS}.TargetClass", autospec=True) as patched:
        TargetClass("host").method(1)
        patched.return_value.method.assert_called_once_with(1)


def _create_class_autospec() -> None:
    mock.create_autospec(TargetClass)("host").method(1)


def _call_mocks() -> None:
    # Two calls, each recorded on the mock and its parent: what the row
    # measures beyond the two mocks built (the stdlib's __setattr__ runs
    # three times per call).
    built = mock.Mock()
    built(1)
    built.a(2)


#: (label, test body), in the order printed.
OPERATIONS: list[tuple[str, Callable[[], object]]] = [
    ("Mock()", mock.Mock),
    ("MagicMock()", mock.MagicMock),
    ("MagicMock().a.b.c(1)", lambda: mock.MagicMock().a.b.c(1)),
    ("Mock(spec=smtplib.SMTP)", lambda: mock.Mock(spec=smtplib.SMTP)),
    ("Mock(spec=cls)", lambda: mock.Mock(spec=TargetClass)),
    ("AsyncMock()", mock.AsyncMock),
    ('patch.object(mod, "attr")', _patch_object_module),
    ("patch(function, autospec=True)", _patch_function_autospec),
    ('patch.object(Class, "method", autospec=True)', _patch_method_autospec),
    ('patch("mod.Class", autospec=True)', _patch_class_autospec),
    ('patch.object(time, "sleep", autospec=True)', _patch_builtin_autospec),
    ("create_autospec(Class)", _create_class_autospec),
    ("calls: m = Mock(); m(1); m.a(2)", _call_mocks),
    ("empty test", _empty),
]

#: Rows printed but left out of the median (see the module's docstring).
NOT_IN_MEDIAN = frozenset(
    {
        'patch("mod.Class", autospec=True)',
        'patch.object(time, "sleep", autospec=True)',
        "create_autospec(Class)",
        "calls: m = Mock(); m(1); m.a(2)",
        "empty test",
    }
)


def make_suite(body: Callable[[], object], tests: int) -> unittest.TestSuite:
    """*tests* tests that each run *body* once."""

    class Case(unittest.TestCase):
        def test_operation(self) -> None:
            body()

    return unittest.TestSuite(Case("test_operation") for _ in range(tests))


def cpu_per_test(body: Callable[[], object], tests: int, side: str) -> float:
    """CPU seconds per test of a fresh suite of *tests* tests of *body*."""
    suite = make_suite(body, tests)
    result = unittest.TestResult()
    installation = mockpool.install() if side == DROPPED_IN else None
    if side == MOCKS_ONLY:
        plain.enable()
    try:
        gc.collect()
        start = time.process_time()
        suite.run(result)
        elapsed = time.process_time() - start
    finally:
        if installation is not None:
            installation.undo()
        if side == MOCKS_ONLY:
            plain.disable()
    if result.errors or result.failures:
        problem = (result.errors or result.failures)[0][1]
        raise RuntimeError(f"a benchmark test failed:\n{problem}")
    return elapsed / tests


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=200, help="tests per suite")
    parser.add_argument("--rounds", type=int, default=7, help="alternations")
    parser.add_argument("--only", default="", help="operations whose label has this")
    options = parser.parse_args(argv)
    if options.tests < 1 or options.rounds < 1:
        parser.error("--tests and --rounds must be at least 1")

    chosen = [(label, body) for label, body in OPERATIONS if options.only in label]
    print(
        f"Python {sys.version.split()[0]}: CPU per test, median of "
        f"{options.rounds} rounds of {options.tests} tests"
    )
    header = (
        f"{'operation':46s} {'plain µs':>9s} {'drop-in µs':>11s} {'ratio':>6s}"
        f" {'mocks only µs':>14s} {'ratio':>6s}"
    )
    print(header)
    print("-" * len(header))
    ratios: dict[str, list[float]] = {DROPPED_IN: [], MOCKS_ONLY: []}
    sides = (PLAIN, DROPPED_IN, MOCKS_ONLY)
    for label, body in chosen:
        times: dict[str, list[float]] = {side: [] for side in sides}
        for side in sides:  # warm every path once
            cpu_per_test(body, options.tests, side)
        for _ in range(options.rounds):
            for side in sides:
                times[side].append(cpu_per_test(body, options.tests, side))
        us = {side: statistics.median(times[side]) * 1e6 for side in sides}
        row = f"{label:46s} {us[PLAIN]:9.1f}"
        for side in (DROPPED_IN, MOCKS_ONLY):
            ratio = us[PLAIN] / us[side]
            if label not in NOT_IN_MEDIAN:
                ratios[side].append(ratio)
            width = 11 if side == DROPPED_IN else 14
            row += f" {us[side]:{width}.1f} {ratio:5.2f}x"
        print(row)
    if ratios[DROPPED_IN]:
        print(
            f"{'median over the everyday operations':46s} {'':9s} {'':11s}"
            f" {statistics.median(ratios[DROPPED_IN]):5.2f}x {'':14s}"
            f" {statistics.median(ratios[MOCKS_ONLY]):5.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
