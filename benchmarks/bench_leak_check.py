"""Benchmark: the drop-in leak check's share of a suite's CPU (issue 12).

Runs a suite in this one process under the drop-in, again and again, with
the leak check's namespace scan on and off, alternating (so that machine
noise hits both sides alike), and prints CPU time (``time.process_time``):

* ``on`` / ``off``: the median CPU of a run with and without the scan
  (off: ``watched_namespaces`` watches nothing, so the baseline and the
  check at each test's end have no namespace to read);
* ``difference``: ``(on - off) / on``, the scan's share by subtraction --
  honest, but as noisy as the runs;
* ``instrumented``: the CPU spent inside the scan (``baseline_for``, which
  calls ``watched_namespaces`` and ``Baseline``, and ``Baseline.new_mocks``,
  timed around each call, less the
  garbage collections of the test's garbage that happen to start there)
  over the CPU of the runs with the scan on: the scan's share, measured
  directly;
* ``full scan``: for comparison, what scanning every watched namespace for
  mocks at both ends of every test (``assigned_mocks``, the check before
  issue 12) costs on the same namespaces, as a share of the same runs.

Suites (``--suite``):

* ``synthetic`` (default): a test module that imports many modules with
  large namespaces, as real suites do (OpenStack projects import dozens of
  ``oslo.*`` and project modules, each with many functions and classes),
  generated into a temporary directory -- the scan watches user modules
  only, so standard-library modules would not stand in for them. Sizes are
  set by ``--modules``, ``--names`` and ``--classes``; every test patches a
  function of one module and calls a mock, which is light work: a suite
  whose tests do more sees a smaller share;
* ``demo``: the suite bundled in :mod:`mockpool._demo.tests`;
* ``discover``: a real suite, found as ``python -m unittest discover -s
  START -t TOP`` finds it (``--start``, ``--top``; run from the suite's
  checkout with the Python of its virtualenv, mockpool installed there).

Usage: python benchmarks/bench_leak_check.py [--suite synthetic|demo|discover]
       [--rounds R] [--modules M] [--names N] [--classes C] [--tests T]
       [--start DIR] [--top DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import io
import os
import statistics
import sys
import tempfile
import time
import unittest
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, _ROOT)

import mockpool  # noqa: E402 - the checkout's, found through _ROOT
from mockpool._integration import leak_check  # noqa: E402

# -- the synthetic suite ------------------------------------------------------


def _library_module(number: int, names: int, classes: int) -> str:
    """Source of one imported module: *names* functions, *classes* classes."""
    lines = ["import json", "import logging", "LOG = logging.getLogger(__name__)"]
    for index in range(names):
        lines.append(f"def function_{index}(value, *args, **kwargs):\n    return value")
        lines.append(f"CONSTANT_{index} = {index}")
    for index in range(classes):
        methods = "".join(
            f"    def method_{m}(self, value):\n        return value\n"
            for m in range(20)
        )
        lines.append(f"class Class{number}_{index}:\n    LIMIT = {index}\n{methods}")
    return "\n".join(lines) + "\n"


_TEST_MODULE = """
import unittest
from unittest import mock

{imports}

MODULES = [{modules}]


class Tests(unittest.TestCase):
    pass


def _make(number):
    module = MODULES[number % len(MODULES)]

    def test(self):
        with mock.patch.object(module, "function_0") as patched:
            module.function_0(number)
        patched.assert_called_once_with(number)
        client = mock.Mock()
        client.send(number)
        client.send.assert_called_once_with(number)

    return test


for _number in range({tests}):
    setattr(Tests, f"test_{{_number:04d}}", _make(_number))
"""


@contextlib.contextmanager
def synthetic_suite(
    directory: str, modules: int, names: int, classes: int, tests: int
) -> Iterator[str]:
    """Write the synthetic suite's package into *directory*; its test module."""
    package = "leak_bench_suite"
    os.makedirs(os.path.join(directory, package))
    with open(os.path.join(directory, package, "__init__.py"), "w") as stream:
        stream.write("")
    for number in range(modules):
        path = os.path.join(directory, package, f"library_{number}.py")
        with open(path, "w") as stream:
            stream.write(_library_module(number, names, classes))
    imports = "\n".join(
        [f"from {package} import library_{n}" for n in range(modules)]
        + [
            f"from {package}.library_{n} import Class{n}_{c}"
            for n in range(modules)
            for c in range(classes)
        ]
    )
    listed = ", ".join(f"library_{n}" for n in range(modules))
    with open(os.path.join(directory, package, "test_suite.py"), "w") as stream:
        stream.write(_TEST_MODULE.format(imports=imports, modules=listed, tests=tests))
    sys.path.insert(0, directory)
    try:
        yield f"{package}.test_suite"
    finally:
        sys.path.remove(directory)


# -- running ------------------------------------------------------------------


class ScanClock:
    """CPU spent inside the leak check's namespace scan, while installed.

    Less the garbage collections that start inside it: a list the scan
    allocates may be the one that triggers a collection of the test's own
    garbage, work the suite does anyway (the scan adds a few objects to a
    collection's count per test, not a collection's worth). The clock's own
    cost -- reading the CPU clock twice per timed call, some microseconds,
    three calls per test -- is counted too (``calls``), and measured on an
    empty function (:meth:`probe_seconds`), so that it can be told apart.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collecting = 0.0
        #: How many calls were timed.
        self.calls = 0
        self._inside = False
        self._collection_started = 0.0
        self._undo: list[Callable[[], None]] = []

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._collection_started = time.process_time()
        elif self._inside:
            self.collecting += time.process_time() - self._collection_started

    def _timed(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._inside = True
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - started
                self.calls += 1
                self._inside = False

        return timed

    def probe_seconds(self, calls: int = 20000) -> float:
        """What timing one call adds to ``seconds``: the median, over five
        batches, of timing an empty function."""
        samples = []
        for _ in range(5):
            probe = ScanClock()
            empty = probe._timed(lambda: None)
            for _ in range(calls):
                empty()
            samples.append(probe.seconds / calls)
        return statistics.median(samples)

    def install(self) -> None:
        gc.callbacks.append(self._on_collection)
        self._undo.append(functools.partial(gc.callbacks.remove, self._on_collection))
        # baseline_for is where the drop-in starts each test's check (it
        # calls watched_namespaces and Baseline where its own common case
        # does not do); new_mocks is where it ends it.
        for owner, name, wrap in (
            (leak_check, "baseline_for", self._timed),
            (leak_check.Baseline, "new_mocks", self._timed),
        ):
            original = getattr(owner, name)
            setattr(owner, name, wrap(original))
            self._undo.append(functools.partial(setattr, owner, name, original))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()


def run_once(load: Callable[[], unittest.TestSuite], scan: bool) -> float:
    """CPU seconds of one run of the suite under the drop-in."""
    suite = load()
    off = mock.patch.object(leak_check, "watched_namespaces", return_value=[])
    with warnings.catch_warnings(), mockpool.install():
        warnings.simplefilter("ignore")
        if not scan:
            off.start()
        try:
            runner = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0)
            started = time.process_time()
            result = runner.run(suite)
            elapsed = time.process_time() - started
        finally:
            if not scan:
                off.stop()
    # A real suite may have flaky tests (thread timing): counted, not fatal.
    _failed.extend(test.id() for test, _ in result.failures + result.errors)
    return elapsed


#: The tests that failed or errored in any run, for the summary.
_failed: list[str] = []


def full_scan_seconds(load: Callable[[], unittest.TestSuite]) -> float:
    """CPU of scanning every watched namespace for mocks at both ends of
    every test of the suite, as the check did before issue 12."""
    tests = []
    pending: list[Any] = [load()]
    while pending:
        item = pending.pop()
        if isinstance(item, unittest.TestSuite):
            pending.extend(item)
        else:
            tests.append(item)
    started = time.process_time()
    for test in tests:
        watched = leak_check.watched_namespaces(type(test).__module__)
        leak_check.assigned_mocks(watched)
        leak_check.assigned_mocks(watched)
    return time.process_time() - started


def measure(load: Callable[[], unittest.TestSuite], rounds: int) -> None:
    run_once(load, scan=True)  # warm: imports, pools, introspection caches
    run_once(load, scan=False)
    on: list[float] = []
    off: list[float] = []
    clock = ScanClock()
    for number in range(rounds):
        # Alternate which side goes first, so a drift hits both alike.
        for scan in (True, False) if number % 2 == 0 else (False, True):
            if scan:
                clock.install()
                try:
                    on.append(run_once(load, scan=True))
                finally:
                    clock.uninstall()
            else:
                off.append(run_once(load, scan=False))
    full = statistics.median(full_scan_seconds(load) for _ in range(3))
    on_median, off_median = statistics.median(on), statistics.median(off)
    tests = load().countTestCases()
    print(f"tests per run:   {tests}")
    print(f"on (median):     {on_median * 1000:9.1f} ms CPU")
    print(f"off (median):    {off_median * 1000:9.1f} ms CPU")
    print(f"difference:      {(on_median - off_median) / on_median:9.2%} of on")
    scanning = clock.seconds - clock.collecting
    print(
        f"instrumented:    {scanning / sum(on):9.2%} of on"
        f"  ({scanning / len(on) / tests * 1e6:.1f} us per test;"
        f" {clock.collecting / sum(on):.2%} more in garbage collections"
        " that started inside it)"
    )
    probing = clock.probe_seconds() * clock.calls
    print(
        f"  less the clock: {(scanning - probing) / sum(on):8.2%} of on"
        f"  ({(scanning - probing) / len(on) / tests * 1e6:.1f} us per test;"
        f" the clock itself: {probing / len(on) / tests * 1e6:.1f} us per test)"
    )
    print(
        f"full scan:       {full / on_median:9.2%} of on"
        f"  ({full / tests * 1e6:.1f} us per test, before issue 12)"
    )
    if _failed:
        print(f"note: {len(_failed)} test runs failed, e.g. {sorted(set(_failed))[:3]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--suite", choices=("synthetic", "demo", "discover"), default="synthetic"
    )
    parser.add_argument("--start", default=".")
    parser.add_argument("--top", default=".")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modules", type=int, default=8)
    parser.add_argument("--names", type=int, default=20)
    parser.add_argument("--classes", type=int, default=2)
    parser.add_argument("--tests", type=int, default=400)
    options = parser.parse_args(argv)
    loader = unittest.TestLoader()
    if options.suite == "demo":
        print("suite: mockpool._demo.tests")
        start = os.path.join(_ROOT, "mockpool", "_demo", "tests")
        measure(lambda: loader.discover(start, top_level_dir=_ROOT), options.rounds)
        return
    if options.suite == "discover":
        print(f"suite: discover -s {options.start} -t {options.top}")
        top = os.path.abspath(options.top)
        sys.path.insert(0, top)
        measure(
            lambda: loader.discover(options.start, top_level_dir=top), options.rounds
        )
        return
    with (
        tempfile.TemporaryDirectory() as directory,
        synthetic_suite(
            directory, options.modules, options.names, options.classes, options.tests
        ) as name,
    ):
        print(
            f"suite: synthetic, {options.modules} modules of {options.names}"
            f" functions and {options.classes} classes, {options.tests} tests"
        )
        measure(lambda: loader.loadTestsFromName(name), options.rounds)


if __name__ == "__main__":
    main()
