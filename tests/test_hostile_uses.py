"""mockpool never breaks a legal test: the hostile cases, plain and dropped in.

tests/_hostile_cases.py holds legal but unusual uses of ``unittest.mock``
(hostile metaclasses, modules and values, ``patch.dict`` of odd containers,
``sys.modules`` and ``os.environ``, patched builtins, clocks and streams,
threads, weak references, asyncio). Its cases run here three times, each in a subprocess
of this interpreter recorded by tests/_outcomes.py (a result hook, nothing
parsed from text):

1. ``python -m unittest tests._hostile_cases``;
2. ``python -m mockpool run tests._hostile_cases``, the first run in a fresh
   history directory;
3. ``python -m mockpool run --fail-on-leak tests._hostile_cases``, the second run
   in that directory (so it warms the pools the first run predicts): a leak
   fails its test there, and a legal test leaks nothing.

It proves that plain unittest passes every case, and that each drop-in run
reports every case -- it does not crash -- with the outcome the plain run
gave it and the same exit status. A differing case is named with both
outcomes and the drop-in's traceback.
"""

from __future__ import annotations

import ast
import os
import shutil
import tempfile
import unittest
from typing import ClassVar

from tests import _outcomes

_ROOT = _outcomes.CHECKOUT
_CASES_MODULE = "tests._hostile_cases"
_CASES_FILE = os.path.join(_ROOT, "tests", "_hostile_cases.py")
#: The test case classes the cases derive from.
_CASE_BASES = ("TestCase", "IsolatedAsyncioTestCase")
#: Fewest cases the suite must hold.
MIN_CASES = 25


def case_docstrings() -> dict[str, str | None]:
    """Every case's test id and docstring, read from the source (not imported).

    The parent never imports the hostile module: its values would then sit
    in this process too.
    """
    with open(_CASES_FILE, encoding="utf-8") as stream:
        tree = ast.parse(stream.read())
    found: dict[str, str | None] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {
            base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            for base in node.bases
        }
        if not bases & set(_CASE_BASES):
            continue
        for item in node.body:
            if isinstance(
                item, (ast.FunctionDef, ast.AsyncFunctionDef)
            ) and item.name.startswith("test"):
                test_id = f"{_CASES_MODULE}.{node.name}.{item.name}"
                found[test_id] = ast.get_docstring(item)
    return found


class HostileUsesTests(unittest.TestCase):
    """The hostile cases, run plainly, dropped in, and dropped in failing on leaks."""

    plain: ClassVar[_outcomes.Run]
    dropped_in: ClassVar[_outcomes.Run]
    fail_on_leak: ClassVar[_outcomes.Run]
    expected: ClassVar[dict[str, str | None]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.expected = case_docstrings()
        directory = tempfile.mkdtemp(prefix="mockpool-hostile-")
        cls.addClassCleanup(shutil.rmtree, directory, ignore_errors=True)
        history = os.path.join(directory, "history")

        def record(name: str, runner: str, *args: str) -> _outcomes.Run:
            return _outcomes.run(
                runner,
                *args,
                output=os.path.join(directory, f"{name}.jsonl"),
                cwd=_ROOT,
                env=_outcomes.subprocess_env(history),
            )

        cls.plain = record("plain", "unittest", _CASES_MODULE)
        cls.dropped_in = record("dropped-in", "mockpool", "run", _CASES_MODULE)
        cls.fail_on_leak = record(
            "fail-on-leak", "mockpool", "run", "--fail-on-leak", _CASES_MODULE
        )

    def assert_reports_every_case(self, run: _outcomes.Run, label: str) -> None:
        missing = sorted(set(self.expected) - set(run.outcomes))
        self.assertEqual(
            missing,
            [],
            f"the {label} run never reported {len(missing)} cases; it crashed?\n"
            f"{run.output[-6000:]}",
        )

    def assert_same_outcomes(self, run: _outcomes.Run, label: str) -> None:
        for test_id in sorted(set(self.plain.outcomes) | set(run.outcomes)):
            plain, other = self.plain.outcome(test_id), run.outcome(test_id)
            with self.subTest(test_id=test_id):
                self.assertEqual(
                    other,
                    plain,
                    f"\n{test_id}: plain {plain}, {label} {other}\n"
                    f"{label} traceback:\n{run.detail(test_id)}",
                )

    def test_suite_holds_enough_cases_each_stating_its_hostile_use(self) -> None:
        """At least 25 cases, and every one has a docstring."""
        self.assertGreaterEqual(len(self.expected), MIN_CASES)
        undocumented = [name for name, doc in self.expected.items() if not doc]
        self.assertEqual(undocumented, [])

    def test_every_case_passes_under_plain_unittest(self) -> None:
        """python -m unittest passes every case and reports nothing else."""
        self.assertEqual(self.plain.returncode, 0, self.plain.output[-6000:])
        self.assertEqual(
            self.plain.outcomes, {test_id: ["success"] for test_id in self.expected}
        )

    def test_drop_in_run_reports_every_case(self) -> None:
        """python -m mockpool run does not crash: it reports every case."""
        self.assert_reports_every_case(self.dropped_in, "drop-in")

    def test_drop_in_gives_each_case_its_plain_outcome(self) -> None:
        """Each case's outcome under python -m mockpool run is its plain one."""
        self.assert_same_outcomes(self.dropped_in, "drop-in")

    def test_drop_in_exit_status_is_the_plain_one(self) -> None:
        """python -m mockpool run exits as python -m unittest does."""
        self.assertEqual(
            self.dropped_in.returncode,
            self.plain.returncode,
            f"differing: {_outcomes.differences(self.plain, self.dropped_in)}",
        )

    def test_fail_on_leak_second_run_reports_every_case(self) -> None:
        """The warmed second run, failing on leaks, reports every case."""
        self.assert_reports_every_case(self.fail_on_leak, "fail-on-leak drop-in")

    def test_fail_on_leak_second_run_gives_each_case_its_plain_outcome(self) -> None:
        """No legal case leaks: each passes the warmed second run failing on leaks."""
        self.assert_same_outcomes(self.fail_on_leak, "fail-on-leak drop-in")

    def test_fail_on_leak_second_run_exit_status_is_the_plain_one(self) -> None:
        """python -m mockpool run --fail-on-leak exits as python -m unittest does."""
        self.assertEqual(
            self.fail_on_leak.returncode,
            self.plain.returncode,
            f"differing: {_outcomes.differences(self.plain, self.fail_on_leak)}",
        )
