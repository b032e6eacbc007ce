"""Run a test runner as ``python -m`` does and record what every test did.

Usage, with a suite's venv interpreter, from the suite's directory::

    python record.py OUT.json [--time-mocks] -- -m MODULE [ARGS...]

MODULE is ``unittest`` or ``mockpool`` (then ARGS start with ``run``). The
outcome methods of :class:`unittest.TestResult` are wrapped before the
runner starts. unittest's ``TextTestResult`` reaches them through
``super()``, and testtools-based tests (oslotest's ``BaseTestCase``), which
replace ``TestCase.run``, report through testtools'
``ExtendedToOriginalDecorator``, which calls those same methods of the
result unittest's runner made; so every test is seen whatever its base
class. ``tests_run`` is unittest's own count (``TestResult.testsRun``, the
"Ran N tests" of the summary) to check that against; nothing is parsed from
the runner's output.

OUT.json gets, also when the runner ends with ``sys.exit`` (it always does)
or an exception:

* ``outcomes``: test id -> its outcomes joined by ``+`` (usually one of
  ``success``, ``failure``, ``error``, ``skipped``, ``expected_failure``,
  ``unexpected_success``; ``no outcome`` for a test that started and
  reported nothing of its own). A failing subtest is recorded under its own
  id.
* ``tests_run``, ``started`` (the tests this hook saw start; a suite that
  loads one test class twice has fewer ids than that), ``exit`` (the status
  ``python -m`` would give),
* ``cpu``: user and system CPU seconds of this process and of the children
  it waited for, from the interpreter's start;
* ``cpu_tests_began``, ``cpu_tests_ended``: that figure when the runner
  began its run of the tests and when it ended it
  (:meth:`unittest.TestResult.startTestRun` and ``stopTestRun``, which
  unittest's runner calls once around the whole suite; of the last such
  run not inside another, as a test module may run tests of its own while
  discovery imports it): the CPU before them is start-up (imports,
  discovery) and after them the summary and any report; null if the
  runner never called them;
* ``wall``: seconds from the start of this script to the end of the run;
* ``timers``: with ``--time-mocks``, the snapshot of mockpool's mock
  creation timers (:mod:`mockpool._measure.timers`), installed before the
  runner imports anything. They are loaded from the installed mockpool by
  their file's path: importing the mockpool package would add its import
  time to the run being measured.

Standard library only: it runs inside each suite's venv.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import runpy
import sys
import time
import traceback
import unittest
from types import ModuleType
from typing import Any

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
        raise SystemExit("record.py --time-mocks: mockpool is not installed here")
    path = os.path.join(
        next(iter(found.submodule_search_locations)), "_measure", "timers.py"
    )
    spec = importlib.util.spec_from_file_location("_mockpool_measure_timers", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"record.py --time-mocks: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _status(exit_: SystemExit) -> int:
    """The process status ``sys.exit(code)`` gives, printing a message code."""
    code = exit_.code
    if code is None:
        return 0
    if isinstance(code, int):  # also unittest's exit(False)
        return int(code)
    sys.stderr.write(f"{code}\n")
    return 1


def main(argv: list[str]) -> int:
    """Record to OUT.json the run of ``python -m MODULE ARGS``; its status."""
    if "--" not in argv:
        raise SystemExit(__doc__)
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1 :]
    if len(options) not in (1, 2) or (
        len(options) == 2 and options[1] != "--time-mocks"
    ):
        raise SystemExit(f"record.py: expected OUT.json [--time-mocks]; got {options}")
    if len(command) < 2 or command[0] != "-m":
        raise SystemExit(f"record.py: expected -- -m MODULE [ARGS...]; got {command}")
    output, module, args = options[0], command[1], command[2:]
    recorder = Recorder()
    recorder.install()
    timers = _load_timers().install() if len(options) == 2 else None
    # As `python -m`: the current directory first on the path, not this
    # script's directory (whose modules would shadow the suite's).
    sys.path[0] = os.getcwd()
    sys.argv = [module, *args]
    status = 1
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        status = 0
    except SystemExit as exit_:
        status = _status(exit_)
    except BaseException:
        traceback.print_exc()
    finally:
        record = {
            "module": module,
            "args": args,
            "exit": status,
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
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
