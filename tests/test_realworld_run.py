"""benchmarks/realworld/: what run.py's table shows (instruction counts,
the CPU inside and outside the test run, the ratio of each pair), which
count it takes from callgrind's output, and what record.py's hook records
of a run from inside its process."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import tempfile
import time
import unittest
from pathlib import Path
from typing import Any
from unittest import mock

_REALWORLD = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "benchmarks",
    "realworld",
)


def _load_run() -> Any:
    """run.py, loaded by its path (it imports its siblings by name)."""
    sys.path.insert(0, _REALWORLD)
    try:
        spec = importlib.util.spec_from_file_location(
            "_realworld_run", os.path.join(_REALWORLD, "run.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(_REALWORLD)
    return module


run = _load_run()


def _row(**extra: Any) -> dict[str, Any]:
    """A table row with every column's figure."""
    row: dict[str, Any] = {
        "suite": "s",
        "tests": 3,
        "outcome_differences": [],
        "plain_run_differences": [],
        "recorded_vs_ran": {},
        "exit_plain": ["0"],
        "exit_accelerated": ["0"],
        "cpu_plain": 2.0,
        "cpu_accelerated": 1.0,
        "cpu_ratio": 2.0,
        "cpu_ratio_cold": 1.5,
        "target": 1.4,
        "wall_ratio": 2.0,
        "share": 0.5,
        "saved_measured": 1.0,
        "saved_reported": 1.0,
        "saved_ratio": 1.0,
    }
    row.update(extra)
    return row


def _cells(table: str, column: str) -> list[str]:
    """The cells of *column* in each row of a text table."""
    header, _, *lines = table.splitlines()
    titles = re.split(r"\s{2,}", header.strip())
    index = titles.index(column)
    return [re.split(r"\s{2,}", line.strip())[index] for line in lines if line]


class InstructionColumnTests(unittest.TestCase):
    def test_the_ratio_is_shown_when_counted_and_a_dash_when_not(self) -> None:
        shown = run.table([_row(instruction_ratio=1.3704), _row(), _row()])
        self.assertEqual(_cells(shown, "instr ratio"), ["1.370x", "-", "-"])


class PhaseTests(unittest.TestCase):
    """The CPU inside and outside the test run, per side, and their cells."""

    def test_the_split_is_the_median_inside_and_outside_the_test_run(self) -> None:
        runs = [
            {"cpu": 3.0, "cpu_tests_began": 1.0, "cpu_tests_ended": 2.5},
            {"cpu": 4.0, "cpu_tests_began": 1.0, "cpu_tests_ended": 3.0},
            {"cpu": 9.0, "cpu_tests_began": 2.0, "cpu_tests_ended": 3.0},
        ]
        self.assertEqual(run.split_cpu(runs), (1.5, 2.0))

    def test_a_run_without_both_ends_gives_no_split(self) -> None:
        whole = {"cpu": 3.0, "cpu_tests_began": 1.0, "cpu_tests_ended": 2.0}
        for missing in ({"cpu": 3.0}, dict(whole, cpu_tests_ended=None)):
            with self.subTest(missing=missing):
                self.assertIsNone(run.split_cpu([whole, missing]))
        self.assertIsNone(run.split_cpu([]))

    def test_each_pair_gives_its_own_ratio_and_the_table_their_range(self) -> None:
        plain = [{"cpu": 2.0}, {"cpu": 3.0}, {"cpu": 2.4}]
        accelerated = [{"cpu": 1.0}, {"cpu": 2.0}, {"cpu": 2.0}]
        self.assertEqual(run.pair_ratios(plain, accelerated), [2.0, 1.5, 1.2])
        shown = run.table([_row(pair_ratios=[2.0, 1.5, 1.2]), _row()])
        self.assertEqual(_cells(shown, "pairs"), ["1.20-2.00x", "-"])

    def test_the_cells_show_the_tests_ratio_and_the_cpu_added_outside(self) -> None:
        shown = run.table(
            [_row(tests_ratio=1.5234, outside_added=0.0312), _row(), _row()]
        )
        self.assertEqual(_cells(shown, "tests ratio"), ["1.52x", "-", "-"])
        self.assertEqual(_cells(shown, "outside +"), ["+0.031s", "-", "-"])


_BURNING_TESTS = """
import os, time, unittest

def burn(seconds):
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass

def run_a_suite_of_its_own():
    class Inner(unittest.TestCase):
        def test_nothing(self):
            pass

    with open(os.devnull, "w") as stream:
        unittest.TextTestRunner(stream=stream).run(Inner("test_nothing"))

class Burn(unittest.TestCase):
    def test_a_runs_a_suite_of_its_own(self):
        run_a_suite_of_its_own()

    def test_b_burns(self):
        burn(0.3)

# Outside the test run, during discovery: a run of its own, then work.
run_a_suite_of_its_own()
burn(0.2)
"""


class RecordTests(unittest.TestCase):
    """A run as a user types it, recorded by record.py's hook from inside."""

    def setUp(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.root = Path(directory.name)
        # What the .pth file install_hook writes does in a suite's venv.
        hook = self.root / "hook"
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(
            f"import sys\nsys.path.insert(0, {_REALWORLD!r})\nimport record\n"
            "sys.path.remove(sys.path[0])\n",
            encoding="utf-8",
        )
        self.suite = self.root / "suite"
        self.suite.mkdir()
        self.env = {**os.environ, "PYTHONPATH": str(hook)}

    def record(self, tests: str) -> dict[str, Any]:
        (self.suite / "test_it.py").write_text(tests, encoding="utf-8")
        environment = mock.Mock(python=sys.executable, source=self.suite)
        environment.suite.test_args = ["discover", "-s", ".", "-t", "."]
        found: dict[str, Any] = run.record_run(
            environment, "run", ["unittest"], self.root, self.env
        )
        return found

    def test_the_cpu_of_the_test_run_is_told_from_the_rest(self) -> None:
        record = self.record(_BURNING_TESTS)
        began, ended = record["cpu_tests_began"], record["cpu_tests_ended"]
        self.assertEqual((record["exit"], record["tests_run"]), (0, 2))
        # The import's burn, after a run of the module's own, came before
        # the suite's run began; the test's burn inside it, after the run
        # the test made (which does not end it).
        self.assertGreaterEqual(began, 0.2)
        self.assertGreaterEqual(ended - began, 0.3)
        self.assertLessEqual(ended, record["cpu"])

    def test_outcomes_and_the_processs_exit_status_are_recorded(self) -> None:
        record = self.record(
            "import unittest\n"
            "class T(unittest.TestCase):\n"
            "    def test_fails(self):\n"
            "        self.fail()\n"
            "    @unittest.skip('no')\n"
            "    def test_skipped(self):\n"
            "        pass\n"
        )
        self.assertEqual(record["exit"], 1)
        self.assertEqual(
            record["outcomes"],
            {
                "test_it.T.test_fails": "failure",
                "test_it.T.test_skipped": "skipped",
            },
        )

    def test_a_process_the_suite_starts_records_nothing(self) -> None:
        # The child would find the variable and write its own record over
        # the suite's at its exit, after the suite's run.
        record = self.record(
            "import subprocess, sys, time, unittest\n"
            "class T(unittest.TestCase):\n"
            "    def test_starts_python(self):\n"
            "        subprocess.Popen([sys.executable, '-c', 'import time; "
            "time.sleep(1)'])\n"
        )
        time.sleep(1.5)
        reread = json.loads((self.root / "run.json").read_text(encoding="utf-8"))
        self.assertEqual((record["tests_run"], reread["tests_run"]), (1, 1))

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_a_forked_child_that_exits_writes_nothing(self) -> None:
        # It keeps the exit handler: run after the suite's exit, it would
        # write what the child saw, the test not yet over.
        self.record(
            "import atexit, os, time, unittest\n"
            "class T(unittest.TestCase):\n"
            "    def test_forks(self):\n"
            "        if os.fork() == 0:\n"
            "            time.sleep(1)\n"
            "            atexit._run_exitfuncs()\n"
            "            os._exit(0)\n"
        )
        time.sleep(1.5)
        reread = json.loads((self.root / "run.json").read_text(encoding="utf-8"))
        self.assertEqual(reread["outcomes"], {"test_it.T.test_forks": "success"})


class HookTests(unittest.TestCase):
    def test_the_hook_is_this_module_imported_by_a_pth_file(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        run.record.install_hook(directory.name)
        installed = Path(directory.name)
        self.assertEqual(
            (installed / "_mockpool_realworld_record.py").read_bytes(),
            Path(_REALWORLD, "record.py").read_bytes(),
        )
        self.assertEqual(
            (installed / "_mockpool_realworld_record.pth").read_text(),
            "import _mockpool_realworld_record\n",
        )


class CountTests(unittest.TestCase):
    """The count is the one callgrind prints for the suite's own process."""

    def setUp(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.runs = Path(directory.name)

    def count(self, output: str, pid: int) -> int | None:
        process = mock.Mock(pid=pid)
        process.communicate.return_value = ("", output)
        environment = mock.Mock(python="python", source=".")
        environment.suite.test_args = ["discover"]
        with (
            mock.patch.object(run.shutil, "which", return_value="valgrind"),
            mock.patch.object(run.subprocess, "Popen", return_value=process),
        ):
            found: int | None = run.count_instructions(
                environment, "i", ["unittest"], self.runs, {}
            )
        return found

    def test_a_forked_childs_count_is_left_out(self) -> None:
        output = "==41== Collected : 99999\nRan 3 tests\n==40== Collected : 12345\n"
        self.assertEqual(self.count(output, 40), 12345)

    def test_no_count_for_the_process_gives_none(self) -> None:
        self.assertIsNone(self.count("==41== Collected : 900\n", 40))

    def test_no_valgrind_gives_none(self) -> None:
        with mock.patch.object(run.shutil, "which", return_value=None):
            self.assertIsNone(
                run.count_instructions(mock.Mock(), "i", ["unittest"], self.runs, {})
            )


if __name__ == "__main__":
    unittest.main()
