"""CPython's own ``unittest.mock`` tests give the same outcomes dropped in.

Every interpreter ships the tests of its ``unittest.mock``: the package
``unittest.test.testmock`` on 3.9-3.11, ``test.test_unittest.testmock`` from
3.12. This module runs that package in two subprocesses of this interpreter,
``python -m unittest PACKAGE`` and ``python -m mockpool run PACKAGE``, each
recorded by tests/_outcomes.py (a result hook, nothing parsed from text),
and proves that the drop-in reports every test id the plain run reports,
each with the same outcome, and exits with the same status. Where the
interpreter ships no such package (a build without the ``test`` package),
the tests skip and say so.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
import unittest
from typing import ClassVar

from tests import _outcomes

#: Fewest tests the package holds on any supported Python (over 500 on 3.11).
MIN_TESTS = 300


def stdlib_mock_tests() -> tuple[str | None, str]:
    """The importable name of this interpreter's mock tests, or why there is none.

    Looks for the package's files without importing it.
    """
    if sys.version_info >= (3, 12):
        name = "test.test_unittest.testmock"
        found = importlib.util.find_spec("test")
        locations = list(found.submodule_search_locations or []) if found else []
        parts = ("test_unittest", "testmock", "__init__.py")
    else:
        name = "unittest.test.testmock"
        locations = [os.path.dirname(os.path.abspath(unittest.__file__))]
        parts = ("test", "testmock", "__init__.py")
    if any(os.path.exists(os.path.join(place, *parts)) for place in locations):
        return name, ""
    return None, (
        f"this Python ({sys.version.split()[0]}) ships no {name} package "
        "(built without its test suite)"
    )


PACKAGE, MISSING = stdlib_mock_tests()


@unittest.skipIf(PACKAGE is None, MISSING)
class StdlibMockSuiteTests(unittest.TestCase):
    """The stdlib's mock tests, run plainly and under the drop-in."""

    plain: ClassVar[_outcomes.Run]
    dropped_in: ClassVar[_outcomes.Run]

    @classmethod
    def setUpClass(cls) -> None:
        assert PACKAGE is not None
        directory = tempfile.mkdtemp(prefix="mockpool-stdlib-mock-")
        cls.addClassCleanup(shutil.rmtree, directory, ignore_errors=True)
        env = _outcomes.subprocess_env(os.path.join(directory, "history"))

        def record(name: str, runner: str, *args: str) -> _outcomes.Run:
            return _outcomes.run(
                runner,
                *args,
                output=os.path.join(directory, f"{name}.jsonl"),
                cwd=directory,
                env=env,
            )

        cls.plain = record("plain", "unittest", PACKAGE)
        cls.dropped_in = record("dropped-in", "mockpool", "run", PACKAGE)

    def test_plain_run_finds_the_suite(self) -> None:
        """python -m unittest runs the package's hundreds of tests."""
        self.assertGreaterEqual(
            len(self.plain.started), MIN_TESTS, self.plain.output[-3000:]
        )

    def test_drop_in_reports_every_test_the_plain_run_reports(self) -> None:
        """python -m mockpool run does not crash: every plain test id is there."""
        missing = sorted(set(self.plain.outcomes) - set(self.dropped_in.outcomes))
        self.assertEqual(
            missing,
            [],
            f"{len(missing)} test ids never reported dropped in; it crashed?\n"
            f"{self.dropped_in.output[-6000:]}",
        )

    def test_each_test_has_its_plain_outcome_dropped_in(self) -> None:
        """Every test id has the same outcome under both runners."""
        for test_id in _outcomes.differences(self.plain, self.dropped_in):
            plain = self.plain.outcome(test_id)
            dropped_in = self.dropped_in.outcome(test_id)
            with self.subTest(test_id=test_id):
                self.assertEqual(
                    dropped_in,
                    plain,
                    f"\n{test_id}: plain {plain}, drop-in {dropped_in}\n"
                    f"drop-in traceback:\n{self.dropped_in.detail(test_id)}",
                )

    def test_exit_status_is_the_plain_one(self) -> None:
        """python -m mockpool run exits as python -m unittest does."""
        self.assertEqual(
            self.dropped_in.returncode,
            self.plain.returncode,
            f"differing: {_outcomes.differences(self.plain, self.dropped_in)}",
        )
