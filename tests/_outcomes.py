"""Record each test's outcome as unittest reports it, whatever runs the tests.

tests/test_hostile_uses.py and tests/test_stdlib_mock_suite.py compare
``python -m unittest ARGS`` with ``python -m mockpool run ARGS`` test by
test. :func:`run` starts either in a subprocess through a ``-c`` bootstrap
that loads this file by its path (so neither the ``tests`` package nor
mockpool is imported into the run by it), wraps the outcome methods of
:class:`unittest.TestResult` -- which the result class of unittest's runner
calls through ``super()`` -- and then runs the ``unittest`` or ``mockpool``
package as ``python -m`` does, with the same arguments and exit status.

Each outcome is written as one JSON object per line of the output file
when it is reported, so a run that dies half-way still leaves the outcomes
it reached. Nothing is parsed from a runner's text output. The outcome
names are the demo's (:mod:`mockpool._demo.tests_outcomes`): ``success``,
``failure``, ``error``, ``skipped``, ``expected_failure`` and
``unexpected_success``. A failing or erroring subtest is recorded under its
own id (the test's id and its parameters); a test whose only failures were
in subtests has no outcome of its own, which is recorded as
:data:`NO_OUTCOME`.

This module uses the standard library only: it runs in interpreters where
nothing else is installed.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import threading
import traceback
import unittest
from collections.abc import Mapping, Sequence
from typing import Any, Callable, TextIO

__all__ = [
    "CHECKOUT",
    "NO_OUTCOME",
    "RUNNERS",
    "Run",
    "command",
    "differences",
    "install",
    "main",
    "run",
    "subprocess_env",
]

#: The outcome of a test that started and reported nothing of its own.
NO_OUTCOME = "no outcome"
#: What ``main`` runs as ``python -m``: the runner name, then its arguments.
RUNNERS = ("unittest", "mockpool")

#: The checkout this file belongs to: what the runs import mockpool from.
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: mockpool's settings a run starts without (each then has its default).
_SETTINGS = (
    "MOCKPOOL_ADAPTATION",
    "MOCKPOOL_HISTORY",
    "MOCKPOOL_REPORT_DIR",
    "MOCKPOOL_RUN_ID",
    "MOCKPOOL_STRICT",
    "MOCKPOOL_WARM",
)

_BOOTSTRAP = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('_test_outcomes', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "module.main(sys.argv[2:])\n"
)

_ErrInfo = Any  # (type, value, traceback), or None for a passing subtest


def _test_id(test: Any) -> str:
    try:
        return str(test.id())
    except Exception:  # a broken id() still gets a line
        return f"<id() failed: {type(test).__qualname__}>"


def _format(err: _ErrInfo) -> str:
    try:
        return "".join(traceback.format_exception(err[0], err[1], err[2]))
    except Exception as exc:  # a hostile exception must not lose the outcome
        return f"<traceback could not be formatted: {type(exc).__name__}>"


class _Writer:
    """Appends one JSON line per event to the output file, flushed at once."""

    def __init__(self, path: str) -> None:
        self._stream: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115
        self._lock = threading.Lock()

    def write(self, event: str, test: Any, outcome: str = "", detail: str = "") -> None:
        line = json.dumps(
            {"event": event, "id": _test_id(test), "outcome": outcome, "detail": detail}
        )
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


def install(path: str) -> None:
    """Wrap :class:`unittest.TestResult`'s outcome methods to record to *path*."""
    writer = _Writer(path)
    result_class: Any = unittest.TestResult
    original: dict[str, Callable[..., Any]] = {
        name: getattr(result_class, name)
        for name in (
            "startTest",
            "addSuccess",
            "addFailure",
            "addError",
            "addSkip",
            "addExpectedFailure",
            "addUnexpectedSuccess",
            "addSubTest",
        )
    }

    def start_test(self: Any, test: Any) -> Any:
        writer.write("start", test)
        return original["startTest"](self, test)

    def add_success(self: Any, test: Any) -> Any:
        writer.write("outcome", test, "success")
        return original["addSuccess"](self, test)

    def add_failure(self: Any, test: Any, err: _ErrInfo) -> Any:
        writer.write("outcome", test, "failure", _format(err))
        return original["addFailure"](self, test, err)

    def add_error(self: Any, test: Any, err: _ErrInfo) -> Any:
        writer.write("outcome", test, "error", _format(err))
        return original["addError"](self, test, err)

    def add_skip(self: Any, test: Any, reason: str) -> Any:
        writer.write("outcome", test, "skipped", str(reason))
        return original["addSkip"](self, test, reason)

    def add_expected_failure(self: Any, test: Any, err: _ErrInfo) -> Any:
        writer.write("outcome", test, "expected_failure", _format(err))
        return original["addExpectedFailure"](self, test, err)

    def add_unexpected_success(self: Any, test: Any) -> Any:
        writer.write("outcome", test, "unexpected_success")
        return original["addUnexpectedSuccess"](self, test)

    def add_sub_test(self: Any, test: Any, subtest: Any, err: _ErrInfo) -> Any:
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            kind = "failure" if failed else "error"
            writer.write("outcome", subtest, kind, _format(err))
        return original["addSubTest"](self, test, subtest, err)

    result_class.startTest = start_test
    result_class.addSuccess = add_success
    result_class.addFailure = add_failure
    result_class.addError = add_error
    result_class.addSkip = add_skip
    result_class.addExpectedFailure = add_expected_failure
    result_class.addUnexpectedSuccess = add_unexpected_success
    result_class.addSubTest = add_sub_test


def main(argv: Sequence[str]) -> None:
    """``OUTPUT RUNNER ARGS...``: record to OUTPUT, run ``python -m RUNNER ARGS``.

    Raises:
        SystemExit: With the runner's exit status (as ``python -m`` exits).
    """
    if len(argv) < 2 or argv[1] not in RUNNERS:
        raise SystemExit(f"usage: OUTPUT {{{','.join(RUNNERS)}}} [ARGS...]; got {argv}")
    output, runner, *rest = argv
    install(output)
    # As `python -m`: the current directory first on the path, not "".
    if sys.path and sys.path[0] == "":
        sys.path[0] = os.getcwd()
    sys.argv = [runner, *rest]
    runpy.run_module(runner, run_name="__main__", alter_sys=True)


def command(output: str, runner: str, *args: str) -> list[str]:
    """The command line that runs ``python -m RUNNER ARGS``, recorded to *output*.

    It runs this interpreter (:data:`sys.executable`).
    """
    return [sys.executable, "-c", _BOOTSTRAP, __file__, output, runner, *args]


class Run:
    """What one recorded run did: outcomes by test id, details, exit status.

    Attributes:
        outcomes: Every test id reported, with the outcomes reported for it
            in order (usually one; a failure in ``tearDown`` after a failing
            test adds a second).
        details: The tracebacks (or skip reasons) by test id, in order.
        started: The ids of the tests that started, in order.
        returncode: The runner's exit status.
        output: The runner's standard output and error (unparsed).
    """

    def __init__(self, path: str, returncode: int, output: str) -> None:
        self.returncode = returncode
        self.output = output
        self.outcomes: dict[str, list[str]] = {}
        self.details: dict[str, list[str]] = {}
        self.started: list[str] = []
        if os.path.exists(path):
            with open(path, encoding="utf-8") as stream:
                for line in stream:
                    self._add(json.loads(line))
        for test_id in self.started:
            self.outcomes.setdefault(test_id, [NO_OUTCOME])

    def _add(self, record: Mapping[str, str]) -> None:
        test_id = record["id"]
        if record["event"] == "start":
            self.started.append(test_id)
            return
        self.outcomes.setdefault(test_id, []).append(record["outcome"])
        if record["detail"]:
            self.details.setdefault(test_id, []).append(record["detail"])

    def outcome(self, test_id: str) -> str:
        """*test_id*'s outcomes as one string; ``absent`` if never reported."""
        return "+".join(self.outcomes.get(test_id, ["absent"]))

    def detail(self, test_id: str, limit: int = 4000) -> str:
        """*test_id*'s tracebacks, the last *limit* characters."""
        text = "\n".join(self.details.get(test_id, []))
        return text[-limit:]

    def tally(self) -> dict[str, int]:
        """How many test ids had each outcome."""
        counts: dict[str, int] = {}
        for test_id in self.outcomes:
            key = self.outcome(test_id)
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))


def run(
    runner: str,
    *args: str,
    output: str,
    cwd: str,
    env: Mapping[str, str],
    timeout: float = 300,
) -> Run:
    """Run ``python -m RUNNER ARGS`` recorded to *output* (a new file); read it."""
    if os.path.exists(output):
        os.remove(output)
    done = subprocess.run(
        command(output, runner, *args),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(output, done.returncode, done.stdout + done.stderr)


def subprocess_env(history: str) -> dict[str, str]:
    """The environment of a run that imports this checkout's mockpool.

    mockpool's settings are at their defaults, except its history directory:
    *history*, so that no run reads what another suite recorded.
    """
    env = dict(os.environ)
    for name in _SETTINGS:
        env.pop(name, None)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = CHECKOUT + (os.pathsep + path if path else "")
    env["MOCKPOOL_DIR"] = history
    return env


def differences(plain: Run, other: Run) -> list[str]:
    """The test ids whose outcomes differ between two runs, sorted."""
    ids = set(plain.outcomes) | set(other.outcomes)
    return sorted(i for i in ids if plain.outcome(i) != other.outcome(i))
