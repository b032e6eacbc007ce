"""``python -m mockpool measure`` (mockpool/_cli/measure.py).

Each run is a fresh interpreter on a small generated suite, so that the
timers it installs never meet this process's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from mockpool._cli.measure import recommendation

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SUITE = textwrap.dedent(
    """
    import unittest
    from unittest import mock


    class Heavy:
        def one(self, a): ...
        def two(self, a, b): ...


    class Cases(unittest.TestCase):
        def test_builds_many_autospecs(self):
            for _ in range(20):
                mock.create_autospec(Heavy, instance=True).one(1)

        def test_builds_nothing(self):
            self.assertEqual(sum(range(10)), 45)

        def test_fails(self):
            self.assertEqual(mock.Mock().x.call_count, 1)
    """
)


class MeasureCommandTest(unittest.TestCase):
    def setUp(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.addCleanup(self.directory.cleanup)
        with open(os.path.join(self.directory.name, "test_suite.py"), "w") as stream:
            stream.write(SUITE)

    def measure(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = CHECKOUT + os.pathsep + env.get("PYTHONPATH", "")
        return subprocess.run(
            [sys.executable, "-m", "mockpool", "measure", *args],
            cwd=self.directory.name,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def test_exit_status_and_output_are_unittests_then_the_summary(self) -> None:
        """unittest's summary and status, then the share and the ceiling."""
        done = self.measure("test_suite")
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("Ran 3 tests", done.stderr)
        self.assertIn("FAILED (failures=1)", done.stderr)
        summary = done.stderr.split("FAILED (failures=1)")[1]
        self.assertIn("mockpool measure: CPU", summary)
        self.assertIn("ceiling 1/(1-share)", summary)
        self.assertIn("test_suite.Heavy", summary)  # the costliest spec

    def test_json_names_the_costliest_test_and_spec(self) -> None:
        """--json PATH holds the share, the kinds, specs and tests."""
        path = os.path.join(self.directory.name, "out.json")
        done = self.measure("--json", path, "test_suite")
        self.assertEqual(done.returncode, 1, done.stderr)
        with open(path, encoding="utf-8") as stream:
            figures = json.load(stream)
        self.assertGreater(figures["share"], 0.0)
        self.assertLessEqual(figures["share"], 1.0)
        self.assertEqual(figures["by_kind"]["autospec_instance"]["calls"], 20)
        self.assertEqual(figures["costliest_specs"][0]["spec"], "test_suite.Heavy")
        self.assertEqual(
            figures["costliest_tests"][0]["test"],
            "test_suite.Cases.test_builds_many_autospecs",
        )
        self.assertAlmostEqual(figures["ceiling"], 1 / (1 - figures["share"]), places=6)

    def test_a_bad_json_path_is_refused_before_running(self) -> None:
        """--json into a missing directory exits 2 and names the path."""
        done = self.measure("--json", "/nonexistent-dir/out.json", "test_suite")
        self.assertEqual(done.returncode, 2)
        self.assertIn("'/nonexistent-dir/out.json'", done.stderr)
        self.assertNotIn("Ran ", done.stderr)

    def test_help_prints_no_summary(self) -> None:
        """--help is unittest's help, with no measurement after it."""
        done = self.measure("--help")
        self.assertEqual(done.returncode, 0)
        self.assertNotIn("mockpool measure: CPU", done.stdout + done.stderr)


class RecommendationTest(unittest.TestCase):
    def test_a_small_share_says_look_elsewhere(self) -> None:
        """Under 10 % of CPU creating mocks: no accelerator is worth it."""
        self.assertIn("look elsewhere", recommendation(0.05, 0.05))

    def test_an_autospec_share_recommends_run(self) -> None:
        """Mostly autospecs: try `python -m mockpool run`, with the ceiling."""
        line = recommendation(0.8, 0.7)
        self.assertIn("python -m mockpool run", line)
        self.assertIn("5.0x", line)

    def test_plain_mocks_temper_expectations(self) -> None:
        """Mostly plain mocks: about half their cost saved, marginal when small."""
        line = recommendation(0.3, 0.05)
        self.assertIn("about 1.2x faster (marginal; at most 1.4x)", line)
        self.assertNotIn("worth trying", line)

    def test_a_large_plain_mock_share_is_worth_trying(self) -> None:
        """cloudbase-init's case: 78 % plain mocks, 1.9x measured."""
        line = recommendation(0.78, 0.0)
        self.assertIn("about 1.6x faster (worth trying; at most 4.5x)", line)
