"""Record what every test of a run did, from inside the run's own process.

Installed into each suite's venv (:func:`install_hook`, called by
environments.py): a ``.pth`` file imports this module at every start of
that venv's interpreter, and it acts only when ``REALWORLD_RECORD`` names an
output file. So the benchmark runs exactly what a user types --
``python -m unittest ARGS`` and ``python -m mockpool run ARGS`` -- with no
wrapper: a wrapper's frames under the runner change how deep the suite's
code runs, and on CPython 3.11 that alone can make a suite's hot recursion
cross a boundary of the interpreter's frame stack on every call
(ironic-inspector's import of ``oslo_utils.strutils`` took 38 ms under
``python -m mockpool run`` and 320 ms under a ``runpy`` wrapper; with one
or two frames more in the wrapper, it was the plain run that paid).

The outcome methods of :class:`unittest.TestResult` are wrapped before the
runner starts. unittest's ``TextTestResult`` reaches them through
``super()``, and testtools-based tests (oslotest's ``BaseTestCase``), which
replace ``TestCase.run``, report through testtools'
``ExtendedToOriginalDecorator``, which calls those same methods of the
result unittest's runner made; so every test is seen whatever its base
class. ``tests_run`` is unittest's own count (``TestResult.testsRun``, the
"Ran N tests" of the summary) to check that against; nothing is parsed from
the runner's output.

The output file is written at the process's exit (the first exit handler
registered, so the last to run), also when the runner ends with
``sys.exit`` (it always does) or an exception, with:

* ``outcomes``: test id -> its outcomes joined by ``+`` (usually one of
  ``success``, ``failure``, ``error``, ``skipped``, ``expected_failure``,
  ``unexpected_success``; ``no outcome`` for a test that started and
  reported nothing of its own). A failing subtest is recorded under its own
  id.
* ``tests_run``, ``started`` (the tests this hook saw start; a suite that
  loads one test class twice has fewer ids than that); the exit status is
  the process's, which run.py adds;
* ``cpu``: user and system CPU seconds of this process and of the children
  it waited for, from the interpreter's start to its exit handlers' end
  (the interpreter's teardown after them is in no figure);
* ``cpu_tests_began``, ``cpu_tests_ended``: that figure when the runner
  began its run of the tests and when it ended it
  (:meth:`unittest.TestResult.startTestRun` and ``stopTestRun``, which
  unittest's runner calls once around the whole suite; of the last such
  run not inside another, as a test module may run tests of its own while
  discovery imports it): the CPU before them is start-up (imports,
  discovery) and after them the summary and any report; null if the
  runner never called them;
* ``wall``: seconds from this module's import to the exit;
* ``timers``: with ``REALWORLD_TIME_MOCKS`` set, the snapshot of
  mockpool's mock creation timers (:mod:`mockpool._measure.timers`),
  installed before the runner imports anything. They are loaded from the
  installed mockpool by their file's path: importing the mockpool package
  would add its import time to the run being measured.

Both variables are taken out of the environment when read, so a process the
suite starts records nothing; a forked child, which keeps the exit handler,
writes nothing either.

Standard library only: it runs inside each suite's venv.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import resource
import sys
import time
import unittest
from types import ModuleType
from typing import Any

#: Names the output file; unset, importing this module does nothing more.
OUTPUT_VARIABLE = "REALWORLD_RECORD"
#: Set (to anything), the mock creation timers are installed too.
TIME_MOCKS_VARIABLE = "REALWORLD_TIME_MOCKS"
#: What the hook is installed as in a venv's site-packages.
HOOK_MODULE = "_mockpool_realworld_record"

_STARTED = time.perf_counter()
_OUTCOME_METHODS = (
    "addSuccess",
    "addFailure",
    "addError",
    "addSkip",
    "addExpectedFailure",
    "addUnexpectedSuccess",
)
_OUTCOME_NAMES = {
    "addSuccess": "success",
    "addFailure": "failure",
    "addError": "error",
    "addSkip": "skipped",
    "addExpectedFailure": "expected_failure",
    "addUnexpectedSuccess": "unexpected_success",
}


def _test_id(test: Any) -> str:
    try:
        return str(test.id())
    except Exception:  # a broken id() still gets an entry
        return f"<id() failed: {type(test).__qualname__}>"


class Recorder:
    """Collects outcomes from :class:`unittest.TestResult`'s methods."""

    def __init__(self) -> None:
        self.outcomes: dict[str, list[str]] = {}
        self.started: list[str] = []
        self.tests_run = 0
        #: CPU seconds (:func:`_cpu_seconds`) when the last outermost test
        #: run began and ended, once they have.
        self.cpu_tests_began: float | None = None
        self.cpu_tests_ended: float | None = None
        # Test runs open now: a test may run a suite of its own.
        self._runs_open = 0

    def install(self) -> None:
        """Wrap the outcome methods of :class:`unittest.TestResult`."""
        result_class: Any = unittest.TestResult
        for method in _OUTCOME_METHODS:
            setattr(
                result_class,
                method,
                self._recording(getattr(result_class, method), _OUTCOME_NAMES[method]),
            )
        start_test = result_class.startTest
        add_sub_test = result_class.addSubTest

        def startTest(result: Any, test: Any) -> Any:
            self.started.append(_test_id(test))
            try:
                return start_test(result, test)
            finally:
                self.tests_run = max(self.tests_run, int(result.testsRun))

        def addSubTest(result: Any, test: Any, subtest: Any, err: Any) -> Any:
            if err is not None:
                failed = issubclass(err[0], test.failureException)
                self._add(subtest, "failure" if failed else "error")
            return add_sub_test(result, test, subtest, err)

        result_class.startTest = startTest
        result_class.addSubTest = addSubTest
        self._bracket_test_runs(result_class)

    def _bracket_test_runs(self, result_class: Any) -> None:
        """Read the CPU when an outermost test run begins and ends: once
        each per run, so the tests pay nothing for it. The suite's run is
        the last outermost one: a test module may run tests of its own
        while it is imported, during discovery (one of ncclient's does),
        and a test may run a suite inside the suite's run."""
        start_test_run = result_class.startTestRun
        stop_test_run = result_class.stopTestRun

        def startTestRun(result: Any) -> Any:
            if self._runs_open == 0:
                self.cpu_tests_began = _cpu_seconds()
                self.cpu_tests_ended = None
            self._runs_open += 1
            return start_test_run(result)

        def stopTestRun(result: Any) -> Any:
            try:
                return stop_test_run(result)
            finally:
                self._runs_open -= 1
                if self._runs_open == 0:
                    self.cpu_tests_ended = _cpu_seconds()

        result_class.startTestRun = startTestRun
        result_class.stopTestRun = stopTestRun

    def _recording(self, method: Any, outcome: str) -> Any:
        def recording(result: Any, test: Any, *args: Any) -> Any:
            self._add(test, outcome)
            return method(result, test, *args)

        recording.__name__ = method.__name__
        return recording

    def _add(self, test: Any, outcome: str) -> None:
        self.outcomes.setdefault(_test_id(test), []).append(outcome)

    def joined(self) -> dict[str, str]:
        """Test id -> outcomes joined by ``+``, for every test seen."""
        joined = {test_id: "+".join(found) for test_id, found in self.outcomes.items()}
        for test_id in self.started:
            joined.setdefault(test_id, "no outcome")
        return dict(sorted(joined.items()))


def _load_timers() -> ModuleType:
    """mockpool's timers module, loaded by path: ``mockpool`` is not imported."""
    found = importlib.util.find_spec("mockpool")
    if found is None or not found.submodule_search_locations:
        raise SystemExit(f"{TIME_MOCKS_VARIABLE}: mockpool is not installed here")
    path = os.path.join(
        next(iter(found.submodule_search_locations)), "_measure", "timers.py"
    )
    spec = importlib.util.spec_from_file_location("_mockpool_measure_timers", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{TIME_MOCKS_VARIABLE}: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def start(output: str, time_mocks: bool = False) -> None:
    """Record this process's run into *output* (JSON), written at its exit."""
    recorder = Recorder()
    recorder.install()
    timers = _load_timers().install() if time_mocks else None
    pid = os.getpid()

    def write() -> None:
        if os.getpid() != pid:
            return  # a forked child: its parent writes the record
        record = {
            "cpu": _cpu_seconds(),
            "cpu_tests_began": recorder.cpu_tests_began,
            "cpu_tests_ended": recorder.cpu_tests_ended,
            "wall": time.perf_counter() - _STARTED,
            "tests_run": recorder.tests_run,
            "started": len(recorder.started),
            "outcomes": recorder.joined(),
            "timers": None if timers is None else timers.snapshot(),
        }
        with open(output, "w", encoding="utf-8") as stream:
            json.dump(record, stream, indent=1)

    # Registered before the runner starts: the last exit handler to run.
    atexit.register(write)


def install_hook(site_packages: str | os.PathLike[str]) -> None:
    """Install this module into *site_packages* (a venv's), with a ``.pth``
    file that imports it at every start of that venv's interpreter."""
    with open(__file__, "rb") as source:
        code = source.read()
    with open(os.path.join(site_packages, f"{HOOK_MODULE}.py"), "wb") as copy:
        copy.write(code)
    with open(os.path.join(site_packages, f"{HOOK_MODULE}.pth"), "w") as pth:
        pth.write(f"import {HOOK_MODULE}\n")


def _start_from_environment() -> None:
    output = os.environ.pop(OUTPUT_VARIABLE, "")
    time_mocks = os.environ.pop(TIME_MOCKS_VARIABLE, "") != ""
    if output:
        start(output, time_mocks)


_start_from_environment()
