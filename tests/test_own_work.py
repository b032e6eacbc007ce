"""Tests for mockpool's own work in the run report: what the saving pays for.

The time saved the report prints first is the saving on autospecs and plain
mocks less mockpool's own work -- its start-up and the drop-in's work around
every test -- so that it can be held against the CPU a run under plain
unittest would have cost. These tests check the arithmetic, the report's
JSON and text forms, that the drop-in times its own work and not the
test's, and that start-up is counted once.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings
from pathlib import Path
from typing import Any
from unittest import mock

import mockpool
from mockpool._integration import leak_check
from mockpool._reporting import run_report
from mockpool._reporting import worker_files as _worker_files
from mockpool._reporting.run_report import OwnWork, PlainSaving, RunReport

_ROOT = Path(__file__).resolve().parent.parent


def _report_with(
    plain_saved: float = 0.0, startup: float = 0.0, per_test: tuple[float, ...] = ()
) -> RunReport:
    report = RunReport(worker="w")
    for seconds in per_test:
        report.record_test(seconds)
    if startup:
        report.record_startup(startup)
    if plain_saved:
        report._merge_plain(PlainSaving(built=10, compared=10, saved=plain_saved))
    return report


class _AlwaysOnCpu(unittest.TestCase):
    """The process on a CPU all the time: wall-clock own work counts in
    full (OnCpuTests vary it)."""

    def setUp(self) -> None:
        patcher = mock.patch.object(run_report, "_on_cpu", return_value=1.0)
        patcher.start()
        self.addCleanup(patcher.stop)


class ArithmeticTests(_AlwaysOnCpu):
    """Own work adds up, and comes off the time saved."""

    def test_tests_startup_and_file_writes_add_up(self) -> None:
        """record_test, record_own_work and record_startup each add theirs."""
        report = _report_with(startup=0.05, per_test=(0.001, 0.002))
        report.record_own_work(0.0005)
        self.assertEqual(report.tests, 2)
        own = report.own_work
        self.assertAlmostEqual(own.startup, 0.05)
        self.assertAlmostEqual(own.per_test, 0.0035)
        self.assertAlmostEqual(own.seconds, 0.0535)

    def test_net_saving_is_the_parts_less_own_work(self) -> None:
        """The saving on plain mocks less start-up and per-test work."""
        report = _report_with(plain_saved=0.4, startup=0.05, per_test=(0.01,) * 5)
        self.assertAlmostEqual(report.net_seconds_saved, 0.4 - 0.05 - 0.05)

    def test_own_work_can_outweigh_the_saving(self) -> None:
        """A run that saved less than mockpool spent shows a negative figure."""
        report = _report_with(plain_saved=0.01, startup=0.05)
        self.assertAlmostEqual(report.net_seconds_saved, -0.04)
        self.assertIn(
            "Time saved against unittest.mock: -0.040s", report.render().splitlines()
        )


class EndTestTests(_AlwaysOnCpu):
    """end_test, the drop-in's call after every test, counts each test and
    its own work once, without a lock, whenever the report is read."""

    def setUp(self) -> None:
        super().setUp()
        # A clock that stands still: end_test adds no time of its own.
        patcher = mock.patch.object(run_report, "_perf_counter", return_value=5.0)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_every_reading_sees_every_test(self) -> None:
        """Tests ended and not yet folded in are counted by every reader:
        tests, own work, to_dict, and a report merged from it."""
        report = RunReport(worker="w")
        for _ in range(3):
            report.end_test(0.001, 5.0)
        self.assertEqual(report.tests, 3)
        report.end_test(0.002, 4.0)  # one second since: the clock reads 5
        self.assertAlmostEqual(report.own_work.per_test, 1.005)
        self.assertEqual(report.to_dict()["tests"], 4)
        self.assertEqual(RunReport.merged([report]).tests, 4)

    def test_what_waits_is_bounded(self) -> None:
        """Past FOLD_ENDED_AFTER tests waiting, end_test counts them itself."""
        report = RunReport(worker="w")
        limit = run_report.FOLD_ENDED_AFTER
        for _ in range(3 * limit + 1):
            report.end_test(0.0, 5.0)
        self.assertLess(len(report._ended), limit)
        self.assertEqual(report.tests, 3 * limit + 1)

    def test_a_test_ending_while_the_counts_are_taken_is_kept(self) -> None:
        """A test another thread ends between the copy of the waiting
        figures and their removal is counted by the next reading."""
        report = RunReport(worker="w")

        class EndsOneMeanwhile(list):  # type: ignore[type-arg]
            def __getitem__(self, index: Any) -> Any:
                copied = super().__getitem__(index)
                if isinstance(index, slice) and len(self) == 3:
                    self.append(0.25)  # another thread's end_test
                return copied

        report._ended = EndsOneMeanwhile([0.5, 0.5, 0.5])
        self.assertEqual(report.tests, 3)
        self.assertEqual(report.tests, 4)
        self.assertEqual(report.own_work.per_test, 1.75)

    def test_threads_ending_tests_at_once_are_each_counted_once(self) -> None:
        """Tests ending in several threads while others read: exact counts."""
        report = RunReport(worker="w")
        threads_count, per_thread = 4, 3000
        barrier = threading.Barrier(threads_count + 1)
        switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        self.addCleanup(sys.setswitchinterval, switch)

        def end_tests() -> None:
            barrier.wait()
            for _ in range(per_thread):
                report.end_test(0.5, 5.0)

        with mock.patch.object(run_report, "FOLD_ENDED_AFTER", 7):
            threads = [threading.Thread(target=end_tests) for _ in range(threads_count)]
            for thread in threads:
                thread.start()
            barrier.wait()
            readings = [report.tests for _ in range(200)]
            for thread in threads:
                thread.join()
        self.assertEqual(readings, sorted(readings))
        self.assertEqual(report.tests, threads_count * per_thread)
        self.assertEqual(report.own_work.per_test, 0.5 * threads_count * per_thread)


class FormTests(_AlwaysOnCpu):
    """Own work in the report's JSON, merged reports and text."""

    def test_json_round_trip_and_merge(self) -> None:
        """to_dict/from_dict keep it; merged reports (workers) add it up."""
        one = _report_with(startup=0.05, per_test=(0.001,))
        two = _report_with(startup=0.07, per_test=(0.002, 0.003))
        data = json.loads(json.dumps(one.to_dict()))
        self.assertEqual(data["own_work"], {"startup": 0.05, "per_test": 0.001})
        self.assertEqual(RunReport.from_dict(data).own_work, one.own_work)
        merged = RunReport.merged([RunReport.from_dict(data), two])
        self.assertAlmostEqual(merged.own_work.startup, 0.12)
        self.assertAlmostEqual(merged.own_work.per_test, 0.006)

    def test_old_files_without_it_read_as_none(self) -> None:
        """A report written before own work was reported reads with none."""
        data = _report_with(startup=0.05).to_dict()
        del data["own_work"]
        self.assertEqual(RunReport.from_dict(data).own_work, OwnWork())

    def test_malformed_figures_name_the_field(self) -> None:
        """A negative or non-numeric figure is a ReportError naming it."""
        for field, value in (("startup", -1.0), ("per_test", "lots")):
            with self.subTest(field=field):
                data = _report_with(startup=0.05).to_dict()
                data["own_work"][field] = value
                with self.assertRaisesRegex(ValueError, f"'own_work'.*{field}"):
                    RunReport.from_dict(data)

    def test_render_shows_the_parts_that_add_up_to_the_headline(self) -> None:
        """The headline is the sum of the lines under it, own work negative."""
        report = _report_with(plain_saved=0.4, startup=0.05, per_test=(0.01,) * 5)
        lines = report.render().splitlines()
        self.assertIn("Time saved against unittest.mock: 0.300s", lines)
        self.assertIn(
            "  mockpool's own work -0.100s (start-up 0.050s, around tests 0.050s)",
            lines,
        )

    def test_render_leaves_the_line_out_when_there_is_none(self) -> None:
        """A report with no own work recorded (merged from old files, say)."""
        lines = _report_with(plain_saved=0.4).render().splitlines()
        self.assertFalse(any("own work" in line for line in lines), lines)


class DropInTests(_AlwaysOnCpu):
    """The drop-in times its own work around each test, not the test."""

    def setUp(self) -> None:
        super().setUp()
        installation = mockpool.install()
        self.addCleanup(installation.undo)
        self.report = RunReport(worker="w")
        patcher = mock.patch.object(
            _worker_files, "process_report", return_value=self.report
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def run_case(self, case: type[unittest.TestCase]) -> unittest.TestResult:
        suite = unittest.TestLoader().loadTestsFromTestCase(case)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return unittest.TextTestRunner(stream=io.StringIO()).run(suite)

    def test_the_leak_check_is_counted(self) -> None:
        """Time spent in the leak check is the drop-in's: it is counted."""
        # Every test's check starts here (new_mocks, when anything moved).
        real = leak_check.Baseline.unmoved

        def slow_check(baseline: Any) -> Any:
            time.sleep(0.02)
            return real(baseline)

        class Case(unittest.TestCase):
            def test_1(self) -> None:
                pass

            def test_2(self) -> None:
                pass

        with mock.patch.object(leak_check.Baseline, "unmoved", slow_check):
            result = self.run_case(Case)
        self.assertTrue(result.wasSuccessful())
        self.assertEqual(self.report.tests, 2)
        self.assertGreaterEqual(self.report.own_work.per_test, 2 * 0.02)

    def test_the_tests_own_time_is_not_counted(self) -> None:
        """A test that takes long adds nothing to mockpool's own work."""

        class Case(unittest.TestCase):
            def setUp(self) -> None:
                time.sleep(0.05)

            def test_1(self) -> None:
                time.sleep(0.1)

            def tearDown(self) -> None:
                time.sleep(0.05)

        result = self.run_case(Case)
        self.assertTrue(result.wasSuccessful())
        self.assertEqual(self.report.tests, 1)
        own = self.report.own_work.per_test
        self.assertGreater(own, 0.0)
        # The test took 0.2 s; the drop-in's work around it is a small part.
        self.assertLess(own, 0.05)

    def test_install_counts_its_own_time(self) -> None:
        """Each install() is mockpool's work: start-up grows by its time."""
        before = self.report.own_work.startup
        with mockpool.install():
            pass
        self.assertGreater(self.report.own_work.startup, before)


class OnCpuTests(unittest.TestCase):
    """Work around tests is timed on the wall clock and counted as CPU time:
    scaled by the share of the run's wall time the process was on a CPU."""

    def report_at(self, wall: float, cpu: float) -> RunReport:
        """A report whose process has had *cpu* seconds of *wall* so far."""
        report = RunReport(worker="w")
        report._began = (1000.0 - wall, 50.0 - cpu)
        for name, now in (("_perf_counter", 1000.0), ("_process_time", 50.0)):
            patcher = mock.patch.object(run_report, name, return_value=now)
            patcher.start()
            self.addCleanup(patcher.stop)
        return report

    def test_wall_time_is_scaled_by_the_share_on_a_cpu(self) -> None:
        report = self.report_at(wall=10.0, cpu=5.0)
        report.record_test(0.2)
        report.record_own_work(0.1)
        report.record_startup(0.05)
        self.assertAlmostEqual(report.own_work.per_test, 0.15)
        self.assertAlmostEqual(report.own_work.startup, 0.05)  # CPU already

    def test_the_share_is_at_most_one(self) -> None:
        """Several threads: more CPU than wall time; counted once."""
        report = self.report_at(wall=10.0, cpu=15.0)
        report.record_test(0.2)
        self.assertAlmostEqual(report.own_work.per_test, 0.2)

    def test_a_workers_figure_is_not_scaled_again(self) -> None:
        """A worker's report file holds CPU time already: merged as is."""
        worker = _report_with().to_dict()
        worker["own_work"]["per_test"] = 0.3
        report = self.report_at(wall=10.0, cpu=5.0)
        report.record_test(0.2)
        report.merge(RunReport.from_dict(worker))
        self.assertAlmostEqual(report.own_work.per_test, 0.1 + 0.3)


class StartupTests(unittest.TestCase):
    """The import is counted once per process, by the first install."""

    def run_python(self, code: str, *args: str) -> str:
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("MOCKPOOL_")
        }
        env["PYTHONPATH"] = os.pathsep.join([str(_ROOT), env.get("PYTHONPATH", "")])
        with tempfile.TemporaryDirectory() as directory:
            env["MOCKPOOL_DIR"] = directory
            done = subprocess.run(
                [sys.executable, *(("-c", code) if code else args)],
                cwd=directory,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout + done.stderr

    def test_first_install_takes_the_import_time_once(self) -> None:
        """The import's seconds go to the first install's report, not twice."""
        output = self.run_python(
            "import mockpool\n"
            "from mockpool._reporting import worker_files as w\n"
            "mockpool.install().undo()\n"
            "first = w.process_report().own_work.startup\n"
            "mockpool.install().undo()\n"
            "second = w.process_report().own_work.startup - first\n"
            # The import (wrapt, psutil, mockpool's modules) is far dearer
            # than an install: the second adds a small part of the first.
            "print('ok' if 0 < second < first / 2 else (first, second))\n"
        )
        self.assertIn("ok", output)

    def test_the_run_command_reports_it(self) -> None:
        """``python -m mockpool run``: start-up and per-test work in the JSON
        and on the report's saving line."""
        with tempfile.TemporaryDirectory() as directory:
            Path(directory, "test_two.py").write_text(
                "import unittest\n"
                "class T(unittest.TestCase):\n"
                "    def test_a(self): pass\n"
                "    def test_b(self): pass\n"
            )
            path = os.path.join(directory, "report.json")
            output = self.run_python(
                "",
                "-m",
                "mockpool",
                "run",
                "--report-json",
                path,
                "discover",
                "-s",
                directory,
                "-t",
                directory,
            )
            with open(path, encoding="utf-8") as file:
                own = json.load(file)["own_work"]
        self.assertIn("Ran 2 tests", output)
        self.assertGreater(own["startup"], 0.0)
        self.assertGreater(own["per_test"], 0.0)
        self.assertIn("mockpool's own work -", output)


if __name__ == "__main__":
    unittest.main()
