"""Smoke test of ``benchmarks/load_sessions.py``: a ``--quick`` run passes.

The benchmark is a program (a few minutes in full); this runs its smoke
mode -- a few hundred sessions and cycles on a few threads -- in a
subprocess and checks its exit status and the checks it prints.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BENCHMARK = os.path.join(_ROOT, "benchmarks", "load_sessions.py")


class LoadBenchmarkSmokeTests(unittest.TestCase):
    done: subprocess.CompletedProcess[str]

    @classmethod
    def setUpClass(cls) -> None:
        cls.done = subprocess.run(
            [sys.executable, _BENCHMARK, "--quick"],
            cwd=_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def check(self, label: str) -> tuple[str, str]:
        """The value and result the benchmark printed for check *label*."""
        found = re.search(
            rf"^{re.escape(label)} +(\S+) +.*?(PASS|FAIL)$",
            self.done.stdout,
            re.MULTILINE,
        )
        self.assertIsNotNone(found, f"no {label!r} check in:\n{self.done.stdout}")
        assert found is not None
        return found[1], found[2]

    def test_exits_zero(self) -> None:
        """Every check passes: exit status 0 and a final PASS."""
        self.assertEqual(
            self.done.returncode, 0, self.done.stdout + "\n" + self.done.stderr
        )
        self.assertEqual(self.done.stdout.splitlines()[-1], "PASS")

    def test_no_patch_left_behind(self) -> None:
        """The shared patched attributes hold their originals afterwards."""
        self.assertEqual(self.check("patches left behind"), ("0", "PASS"))

    def test_no_mock_shared_across_sessions(self) -> None:
        """No mock is handed to two sessions open at the same time."""
        self.assertEqual(self.check("mocks shared across sessions"), ("0", "PASS"))
        self.assertEqual(self.check("state seen across sessions"), ("0", "PASS"))

    def test_sessions_were_concurrent(self) -> None:
        """All threads of the load phase held an open session at once."""
        self.assertEqual(self.check("peak open sessions (load)")[1], "PASS")


if __name__ == "__main__":
    unittest.main()
