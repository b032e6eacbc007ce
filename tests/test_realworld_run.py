"""benchmarks/realworld/run.py: what its table shows of instruction counts,
and which count it takes from callgrind's output."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tempfile
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
