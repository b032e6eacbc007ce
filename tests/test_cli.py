"""Tests for the command line's help and the demo's progress.

``python -m mockpool run --help`` shows unittest's usage and mockpool's own
options; ``python -m mockpool demo`` shows each run's progress (tests done
of total, seconds elapsed) without changing what it measures or prints.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest
from typing import TYPE_CHECKING, Any
from unittest import mock

from mockpool._cli import demo as _demo_command
from mockpool._cli import main as _cli
from mockpool._demo.tests_outcomes import EXPECTED_OUTCOMES
from tests._leaky import LEAKING as _LEAKING

if TYPE_CHECKING:
    from mockpool._cli.progress import Progress

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _main(*argv: str) -> tuple[int, str, str]:
    """Run ``python -m mockpool *argv`` here; its status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = _cli.main(list(argv))
        except SystemExit as exit_:  # argparse's own help and errors
            code = exit_.code if isinstance(exit_.code, int) else 0
    return code, out.getvalue(), err.getvalue()


class RunHelpTests(unittest.TestCase):
    def setUp(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.history = directory.name
        patcher = mock.patch.dict(os.environ, {"MOCKPOOL_DIR": self.history})
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_run_help_shows_unittest_and_mockpool_options(self) -> None:
        """run --help lists unittest's options and mockpool's, each described."""
        for argv in (["--help"], ["-h"], ["-v", "--help"], ["discover", "--help"]):
            with self.subTest(argv=argv):
                code, out, _ = _main("run", *argv)
                self.assertEqual(code, 0)
                self.assertIn("usage: python -m mockpool run", out)
                self.assertIn("-k TESTNAMEPATTERNS", out)  # unittest's
                for option, words in (
                    ("--report-json PATH", "JSON"),
                    ("--fail-on-leak", "leak"),
                    ("--no-report", "report"),
                ):
                    [line] = [
                        line
                        for line in out.splitlines()
                        if line.strip().startswith(f"{option} ")
                    ]
                    self.assertIn(words, line)
                self.assertIn("--strict is a deprecated alias", out)

    def test_run_help_runs_nothing_and_keeps_the_last_run(self) -> None:
        """run --help prints no run report and writes no last-run file."""
        code, _, err = _main("run", "--help")
        self.assertEqual(code, 0)
        self.assertNotIn("Mocks requested", err)
        self.assertEqual(os.listdir(self.history), [])

    def test_a_usage_error_writes_no_report(self) -> None:
        """An unknown option is unittest's usage error, with no report."""
        code, _, err = _main("run", "--no-such-option")
        self.assertEqual(code, 2)
        self.assertIn("unrecognized arguments", err)
        self.assertNotIn("Mocks requested", err)
        self.assertEqual(os.listdir(self.history), [])

    def test_unittest_arguments_pass_through_unchanged(self) -> None:
        """mockpool takes out its own options and leaves unittest's in order."""
        argv = [
            "-v",
            "--report-json=r.json",
            "-k",
            "x",
            "--fail-on-leak",
            "discover",
            "-s",
            "t",
        ]
        err = io.StringIO()
        with (
            mock.patch.object(_cli, "_report_path", side_effect=lambda path: path),
            contextlib.redirect_stderr(err),
        ):
            options, rest = _cli._run_options(argv)
        self.assertEqual(rest, ["-v", "-k", "x", "discover", "-s", "t"])
        self.assertEqual(
            options, {"report_json": "r.json", "fail_on_leak": True, "report": True}
        )
        self.assertEqual(err.getvalue(), "")

    def test_strict_is_a_deprecated_alias_of_fail_on_leak(self) -> None:
        """run --strict still fails on leaks, after one line saying what to use."""
        for argv in (["--strict"], ["--strict", "-v", "--strict"]):
            with self.subTest(argv=argv):
                err = io.StringIO()
                with contextlib.redirect_stderr(err):
                    options, rest = _cli._run_options(argv)
                self.assertIs(options["fail_on_leak"], True)
                self.assertNotIn("--strict", rest)
                self.assertEqual(
                    err.getvalue(),
                    "python -m mockpool run: --strict is deprecated; "
                    "use --fail-on-leak\n",
                )

    def test_fail_on_leak_and_its_alias_fail_the_leaking_tests(self) -> None:
        """run --fail-on-leak (or --strict) fails the tests that leak; run alone
        warns and passes them."""
        for option, status, failures in (
            ("--fail-on-leak", 1, len(_LEAKING)),
            ("--strict", 1, len(_LEAKING)),
            ("--no-report", 0, 0),
        ):
            with self.subTest(option=option):
                done = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "mockpool",
                        "run",
                        "--no-report",
                        option,
                        "tests._leaky.Leaks",
                    ],
                    capture_output=True,
                    text=True,
                    cwd=_ROOT,
                    env=dict(os.environ, PYTHONPATH=_ROOT),
                    timeout=120,
                )
                self.assertEqual(done.returncode, status, done.stderr)
                self.assertEqual(done.stderr.count("FAIL: "), failures, done.stderr)
                notices = [
                    line for line in done.stderr.splitlines() if "deprecated" in line
                ]
                expected = (
                    "python -m mockpool run: --strict is deprecated; use --fail-on-leak"
                )
                self.assertEqual(notices, [expected] if option == "--strict" else [])

    def test_top_level_help_lists_every_command(self) -> None:
        """python -m mockpool --help names each command and how to get its help."""
        code, out, _ = _main("--help")
        self.assertEqual(code, 0)
        for command in ("run", "demo", "combine", "report"):
            self.assertRegex(out, rf"(?m)^  {command} ")
        self.assertIn("COMMAND --help", out)

    def test_every_command_has_help(self) -> None:
        """Each command's --help succeeds and shows its usage."""
        for command in ("demo", "combine", "report"):
            with self.subTest(command=command):
                code, out, _ = _main(command, "--help")
                self.assertEqual(code, 0)
                self.assertIn(f"python -m mockpool {command}", out)


class _Stream(io.StringIO):
    """A text stream that says whether it is a terminal."""

    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


class _Clock:
    """A clock that reads what the test sets."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class ProgressTests(unittest.TestCase):
    def progress(self, terminal: bool, total: int) -> tuple[Progress, _Stream, _Clock]:
        from mockpool._cli.progress import Progress

        stream, clock = _Stream(terminal), _Clock()
        return Progress("plain", total, stream, clock=clock), stream, clock

    def test_not_a_terminal_gets_a_line_every_few_seconds(self) -> None:
        """Off a terminal: a line at start, every 5 s, and at the end."""
        progress, stream, clock = self.progress(False, 1000)
        progress.start()
        for _ in range(1000):
            clock.now += 0.012  # 12 s in all
            progress.advance()
        progress.finish()
        self.assertEqual(
            stream.getvalue(),
            "plain: 0/1000 tests (0%), 0.0s\n"
            "plain: 417/1000 tests (41%), 5.0s\n"
            "plain: 834/1000 tests (83%), 10.0s\n"
            "plain: 1000/1000 tests (100%), 12.0s\n",
        )

    def test_a_terminal_gets_one_line_updated_in_place(self) -> None:
        """On a terminal: one line, redrawn with \\r at most every 0.1 s."""
        progress, stream, clock = self.progress(True, 3)
        progress.start()
        clock.now += 0.05
        progress.advance()  # too soon to redraw
        clock.now += 0.15
        progress.advance()
        clock.now += 0.05
        progress.advance()  # too soon again
        clock.now += 0.05
        progress.finish()
        self.assertEqual(
            stream.getvalue(),
            "\rplain: 0/3 tests (0%), 0.0s"
            "\rplain: 2/3 tests (66%), 0.2s"
            "\rplain: 3/3 tests (100%), 0.3s\n",
        )
        self.assertNotIn("\n", stream.getvalue()[:-1])

    def test_a_shorter_line_blanks_what_the_longer_one_left(self) -> None:
        """A redraw shorter than the line before it pads with spaces."""
        progress, stream, clock = self.progress(True, 5)
        progress.start()
        clock.now += 10.0
        progress.advance()
        progress.label = "p"  # the line gets shorter
        progress.finish()
        first, second = stream.getvalue().split("\r")[2:]
        self.assertEqual(len(second.rstrip("\n")), len(first))

    def test_stop_ends_the_line_where_the_run_stopped(self) -> None:
        """stop() shows the count reached, not the total, and ends the line."""
        progress, stream, clock = self.progress(True, 10)
        progress.start()
        progress.advance(4)
        clock.now += 1.0
        progress.stop()
        self.assertTrue(stream.getvalue().endswith("\rplain: 4/10 tests (40%), 1.0s\n"))

    def test_a_broken_stream_never_stops_the_run(self) -> None:
        """A stream that fails to write turns progress off, silently."""
        stream = mock.Mock(spec=io.TextIOBase)
        stream.isatty.return_value = False
        stream.write.side_effect = BrokenPipeError(32, "Broken pipe")
        from mockpool._cli.progress import Progress

        progress = Progress("plain", 2, stream)
        progress.start()
        progress.advance()
        progress.finish()
        stream.write.assert_called_once()


class DemoTests(unittest.TestCase):
    def test_the_child_shows_progress_and_records_the_same_outcomes(self) -> None:
        """The demo's child reports progress on stderr; outcomes are unchanged."""
        for accelerated, label in (
            (False, "python -m unittest"),
            (True, "python -m mockpool run"),
        ):
            with (
                self.subTest(accelerated=accelerated),
                tempfile.TemporaryDirectory() as d,
            ):
                output = os.path.join(d, "out.json")
                command = _demo_command.child_command(
                    sys.executable, accelerated, output, suites=("tests_outcomes",)
                )
                done = subprocess.run(
                    command,
                    capture_output=True,
                    text=True,
                    cwd=_ROOT,
                    env=dict(os.environ, PYTHONPATH=_ROOT, MOCKPOOL_DIR=d),
                    timeout=120,
                )
                self.assertEqual(done.returncode, 0, done.stderr)
                lines = done.stderr.splitlines()
                self.assertEqual(lines[0], f"{label}: 0/12 tests (0%), 0.0s")
                self.assertRegex(
                    lines[-1], rf"^{label}: 12/12 tests \(100%\), \d+\.\ds$"
                )
                with open(output, encoding="utf-8") as stream:
                    self.assertEqual(json.load(stream)["outcomes"], EXPECTED_OUTCOMES)

    def test_the_final_summary_is_unchanged(self) -> None:
        """demo prints the same summary as before progress was shown."""
        outcomes = {"a.T.test_1": "success", "a.T.test_2": "failure"}
        reports: list[dict[str, Any]] = [
            {"outcomes": outcomes, "wall": 23.25, "peak_rss_mb": 63.4},
            {"outcomes": outcomes, "wall": 1.5, "peak_rss_mb": 41.2, "mockpool": "R"},
        ]
        out = io.StringIO()
        with (
            mock.patch.object(
                _demo_command, "_measure", side_effect=lambda *a, **k: reports.pop(0)
            ),
            contextlib.redirect_stdout(out),
        ):
            code = _demo_command.demo("/usr/bin/python3")
        self.assertEqual(code, 0)
        self.assertEqual(
            out.getvalue(),
            "mockpool demo: the bundled legacy suite, run by /usr/bin/python3\n"
            "                             wall   peak RSS  outcomes\n"
            "python -m unittest          23.2s       63 MB  1 failure, 1 success\n"
            "python -m mockpool run       1.5s       41 MB  1 failure, 1 success\n"
            "speed-up (wall): 15.5x\n"
            "peak RSS accelerated / plain: 0.65\n"
            "R\n"
            "results identical: yes (2 test ids)\n",
        )


if __name__ == "__main__":
    unittest.main()
