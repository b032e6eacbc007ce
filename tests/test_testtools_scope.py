"""A per-test scope for every TestCase family: testtools, oslotest, fixtures.

testtools' ``TestCase.run`` replaces unittest's and empties the cleanup list
as it starts, so a drop-in that hooks ``TestCase.run`` and registers its
leak check before the run never sees these tests. The drop-in hooks the
call that every runner makes (``test(result)``) and registers the leak
check from a one-shot ``setUp``. These tests run real testtools and oslotest
test cases (tests/_testtools_cases.py) in process, under
``python -m mockpool run``, ``python -m testtools.run`` and stestr, and
oslotest's mock fixture (tests/_oslotest_fixture_cases.py) plainly and under
the drop-in, compared test by test.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import warnings
from typing import Any
from unittest import mock

import mockpool
from mockpool._integration import dropin
from mockpool._reporting import worker_files
from tests import _outcomes

HAVE_TESTTOOLS = all(
    importlib.util.find_spec(name) is not None
    for name in ("testtools", "oslotest", "fixtures")
)
CASES = "tests._testtools_cases"
FIXTURE_CASES = "tests._oslotest_fixture_cases"


def _run(*names: str, fail_on_leak: bool = False) -> tuple[Any, list[Any]]:
    """Run the named cases of tests/_testtools_cases.py under the drop-in."""
    from tests import _testtools_cases as cases

    cases.SCOPES.clear()
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(
        loader.loadTestsFromTestCase(getattr(cases, name)) for name in names
    )
    dropin.enable(fail_on_leak=fail_on_leak)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
    finally:
        dropin.disable()
    return result, [w for w in caught if issubclass(w.category, mockpool.LeakWarning)]


@unittest.skipUnless(HAVE_TESTTOOLS, "testtools, oslotest and fixtures are needed")
class InProcessTests(unittest.TestCase):
    def setUp(self) -> None:
        from tests import _testtools_cases as cases

        self.scopes = cases.SCOPES
        self.addCleanup(cases.SCOPES.clear)
        self.report = worker_files.process_report()
        # The leaking cases start patches they never stop.
        self.addCleanup(mock.patch.stopall)

    def test_every_family_runs_in_a_scope_of_its_own(self) -> None:
        """testtools, oslotest, a run() of its own, asyncio: one scope per test."""
        before = self.report.tests
        result, leaks = _run(
            # asyncio first: oslotest's base leaves DEBUG logging on.
            "AsyncCase",
            "ToolsCase",
            "OsloCase",
            "OwnRunCase",
            "InstanceSetUpCase",
        )
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        self.assertEqual(leaks, [])
        self.assertEqual(len(result.skipped), 1)
        self.assertEqual(result.testsRun, 7)
        # Each test saw the scope named after it (the skipped one ran nothing).
        self.assertEqual(len(self.scopes), 6)
        for test_id, scope_id in self.scopes.items():
            self.assertEqual(scope_id, test_id)
        # The report counts every test run, the skipped one included.
        self.assertEqual(self.report.tests - before, 7)

    def test_scenario_copies_run_their_own_setup(self) -> None:
        """testscenarios runs copies of a test, made while the drop-in's
        setUp hook is on the original: each copy runs its own setUp."""
        # Failing on leaks: the hook is placed only then.
        result, _ = _run("ScenarioCase", fail_on_leak=True)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        self.assertEqual(result.testsRun, 2)
        scoped = [test_id for test_id in self.scopes if "ScenarioCase" in test_id]
        self.assertEqual(len(scoped), 2, self.scopes)

    def test_leaks_in_testtools_tests_fail_exactly_those_tests(self) -> None:
        """The check is the test's last cleanup, though testtools' run()
        empties the cleanups: a leak fails the leaking test, not the next."""
        result, _ = _run("LeakingToolsCase", fail_on_leak=True)
        failed = sorted(test.id() for test, _ in result.failures + result.errors)
        self.assertEqual(failed, [f"{CASES}.LeakingToolsCase.test_leaks_a_patch"])
        self.assertIn("still patched", str(result.failures + result.errors))

    def test_leaks_warn_without_fail_on_leak(self) -> None:
        result, leaks = _run("LeakingToolsCase")
        self.assertTrue(result.wasSuccessful())
        self.assertEqual(len(leaks), 1)
        self.assertIn("LeakingToolsCase.test_leaks_a_patch", str(leaks[0].message))

    def test_leak_in_a_run_of_its_own_only_warns(self) -> None:
        """With no setUp to register the check, the scope checks at its end,
        when the outcome is recorded: the leak warns, even failing on leaks."""
        result, leaks = _run("LeakingOwnRunCase", fail_on_leak=True)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(len(leaks), 1)
        self.assertIn("Service.put still patched", str(leaks[0].message))

    def test_the_setup_hook_leaves_no_trace(self) -> None:
        """Nothing of the drop-in is left on the test: run, skipped or not
        (its setUp hook, or for unittest's own run() its cleanup)."""
        from tests import _testtools_cases as cases

        tests: list[unittest.TestCase] = [
            cases.ToolsCase("test_instance_autospec"),
            cases.ToolsCase("test_skipped"),
            cases.OwnRunCase("test_runs_its_own_way"),
        ]
        dropin.enable(fail_on_leak=True)  # the hook is placed only then
        try:
            for test in tests:
                test(unittest.TestResult())
        finally:
            dropin.disable()
        for test in tests:
            self.assertNotIn("setUp", vars(test))

    def test_enable_and_disable_restore_call(self) -> None:
        call = unittest.TestCase.__call__
        dropin.enable()
        try:
            self.assertIsNot(unittest.TestCase.__call__, call)
        finally:
            dropin.disable()
        self.assertIs(unittest.TestCase.__call__, call)


@unittest.skipUnless(HAVE_TESTTOOLS, "testtools, oslotest and fixtures are needed")
class RunnerTests(unittest.TestCase):
    """The cases under the runners testtools suites use, in subprocesses."""

    def setUp(self) -> None:
        self.root = tempfile.mkdtemp(prefix="mockpool-testtools-")
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        self.env = _outcomes.subprocess_env(os.path.join(self.root, "history"))

    def outcomes(self, name: str, runner: str, *args: str) -> _outcomes.Run:
        return _outcomes.run(
            runner,
            *args,
            output=os.path.join(self.root, f"{name}.jsonl"),
            cwd=_outcomes.CHECKOUT,
            env=self.env,
        )

    def test_oslotest_mock_fixture_gives_unittests_outcomes(self) -> None:
        """patch_mock_module() and MockAutospecFixture, as nova's base uses
        them: every test passes plainly and under the drop-in."""
        plain = self.outcomes("plain", "unittest", FIXTURE_CASES)
        dropped_in = self.outcomes("dropped-in", "mockpool", "run", FIXTURE_CASES)
        self.assertEqual(plain.returncode, 0, plain.output[-4000:])
        self.assertGreaterEqual(len(plain.outcomes), 10)
        self.assertEqual(
            _outcomes.differences(plain, dropped_in), [], dropped_in.output[-4000:]
        )
        self.assertEqual(dropped_in.returncode, 0)

    def _package(self) -> str:
        """A package of the testtools cases whose __init__ installs mockpool."""
        package = os.path.join(self.root, "ttsuite")
        os.mkdir(package)
        here = os.path.dirname(os.path.abspath(__file__))
        shutil.copy(
            os.path.join(here, "_testtools_cases.py"),
            os.path.join(package, "test_cases.py"),
        )
        with open(os.path.join(package, "__init__.py"), "w", encoding="utf-8") as f:
            f.write("import mockpool\n\nmockpool.install()\n")
        return package

    def _report(self, reports: str) -> dict[str, Any]:
        output = os.path.join(self.root, "combined.json")
        done = subprocess.run(
            [sys.executable, "-m", "mockpool", "combine", reports, "--json", output],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(output, encoding="utf-8") as stream:
            data: dict[str, Any] = json.load(stream)
        return data

    def _run_tool(
        self, reports: str, *command: str
    ) -> subprocess.CompletedProcess[str]:
        os.mkdir(reports)
        env = dict(self.env, MOCKPOOL_REPORT_DIR=reports)
        env["PYTHONPATH"] = os.pathsep.join([self.root, env["PYTHONPATH"]])
        return subprocess.run(
            command,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def test_testtools_run_reports_every_test(self) -> None:
        self._package()
        reports = os.path.join(self.root, "reports")
        done = self._run_tool(
            reports,
            sys.executable,
            "-m",
            "testtools.run",
            "ttsuite.test_cases.ToolsCase",
            "ttsuite.test_cases.OsloCase",
        )
        self.assertEqual(done.returncode, 0, done.stdout[-3000:] + done.stderr[-3000:])
        self.assertEqual(self._report(reports)["tests"], 4)

    @unittest.skipUnless(importlib.util.find_spec("stestr"), "stestr is not installed")
    def test_stestr_reports_every_test(self) -> None:
        self._package()
        reports = os.path.join(self.root, "reports")
        done = self._run_tool(
            reports,
            sys.executable,
            "-m",
            "stestr",
            "--test-path",
            "ttsuite",
            "--top-dir",
            ".",
            "run",
            "--concurrency",
            "1",
            r"test_cases\.(ToolsCase|OsloCase)\.",
        )
        self.assertEqual(done.returncode, 0, done.stdout[-3000:] + done.stderr[-3000:])
        self.assertEqual(self._report(reports)["tests"], 4)


if __name__ == "__main__":
    unittest.main()
