"""``python -m mockpool``: the command line.

Subcommands:

``run [ARGS]``
    ``python -m unittest [ARGS]`` with :func:`mockpool.install` in effect:
    the same arguments, output, summary and exit status, faster. ``run
    --help`` shows unittest's options, then mockpool's own.
``demo``
    Runs the bundled legacy suite plainly and under ``run``, each in a fresh
    process, and prints both times, the ratio, each run's peak memory and
    whether the results are identical.
``combine DIR_OR_FILE... [--json OUT]``
    Merges the per-worker ``mockpool-report-*.json`` files of a parallel run
    and prints the merged report (see :mod:`mockpool._cli.combine`).
``measure [--json PATH] [ARGS]``
    ``python -m unittest [ARGS]`` with mock creation timed, then the share of
    CPU it took (see :mod:`mockpool._cli.measure`).
``report [PATH] [--json] [--strict]``
    Prints a run's report and its health checks; by default the last run's,
    which ``run`` writes to ``last-run.json`` in the history directory (see
    :mod:`mockpool._cli.report`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unittest
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

_USAGE = """\
usage: python -m mockpool run [--report-json PATH] [--fail-on-leak]
                              [--no-report] [unittest arguments]
       python -m mockpool demo [--python PYTHON]
       python -m mockpool combine DIR_OR_FILE... [--json OUT]
       python -m mockpool report [PATH] [--json] [--strict]
       python -m mockpool measure [--json PATH] [unittest arguments]

  run      run tests as `python -m unittest` does, with mockpool installed
  demo     run the bundled 1,366-test legacy suite plainly and accelerated
  combine  merge the per-worker report files of a parallel run and print them
  report   print a run's report and health checks (default: the last run)
  measure  run tests as `python -m unittest` does and print the share of CPU
           spent creating mocks: what a mock accelerator could save

Run 'python -m mockpool COMMAND --help' for a command's options.
"""

#: mockpool's own options of ``run``, shown after unittest's help.
_RUN_HELP = """\
mockpool options (anywhere on the line; unittest never sees them):
  --report-json PATH  also write the run report as JSON to PATH
  --fail-on-leak      fail a test that leaks a patch or a mock, not just warn
                      (--strict is a deprecated alias)
  --no-report         print no mockpool report after unittest's summary
"""


def _run_options(argv: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """Split mockpool's own options of ``run`` from unittest's arguments.

    ``--strict``, the deprecated name of ``--fail-on-leak``, works as it
    does, after one line on stderr saying to use ``--fail-on-leak``.
    """
    options: dict[str, Any] = {
        "report_json": None,
        "fail_on_leak": False,
        "report": True,
    }
    rest: list[str] = []
    noticed = False
    items = iter(argv)
    for item in items:
        if item == "--report-json":
            options["report_json"] = _report_path(next(items, None))
        elif item.startswith("--report-json="):
            options["report_json"] = _report_path(item.partition("=")[2])
        elif item in ("--fail-on-leak", "--strict"):
            options["fail_on_leak"] = True
            if item == "--strict" and not noticed:
                noticed = True
                sys.stderr.write(
                    "python -m mockpool run: --strict is deprecated; "
                    "use --fail-on-leak\n"
                )
        elif item == "--no-report":
            options["report"] = False
        else:
            rest.append(item)
    return options, rest


def _report_path(path: str | None) -> str:
    """Check ``--report-json``'s PATH before the suite runs, not after."""
    if not path:
        raise ValueError("--report-json needs a file path: --report-json PATH")
    if os.path.isdir(path):
        raise ValueError(f"--report-json {path!r} is a directory; name a file in it")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(
            f"--report-json {path!r}: directory {parent!r} does not exist; "
            "create it or name a file in an existing directory"
        )
    return path


class _UnittestMain(unittest.TestProgram):
    """``unittest.main`` whose help also shows mockpool's options of ``run``.

    unittest builds its parsers anew for every call and prints their help
    itself; adding our options to them would let argparse take their
    abbreviations (``--str``) for options it then drops, so the options are
    shown after unittest's help instead, and parsed by :func:`_run_options`.

    Making one parses the arguments only: it neither imports nor runs a
    test, so that help and usage errors end before mockpool is installed
    and records anything. :meth:`load_and_run` then does the rest, as
    ``unittest.main`` would have (parsing once: unittest's parsers cost a
    few milliseconds, which a small suite notices).
    """

    def __init__(self, argv: list[str]) -> None:
        #: What parsing asked :meth:`createTests` for, kept for later.
        self._load_args: tuple[bool, Any] | None = None
        self._loading = False
        super().__init__(module=None, argv=argv)

    def parseArgs(self, argv: list[str]) -> None:
        try:
            super().parseArgs(argv)
        except SystemExit as exit_:
            # argparse exits with 0 only once it printed the help (-h,
            # --help; also "discover --help"); errors exit with 2.
            if exit_.code in (0, None):
                sys.stdout.write("\n" + _RUN_HELP)
            raise

    def createTests(self, from_discovery: bool = False, Loader: Any = None) -> None:
        if self._loading:
            super().createTests(from_discovery, Loader)
        else:
            self._load_args = (from_discovery, Loader)

    def runTests(self) -> None:
        if self._loading:
            super().runTests()

    def load_and_run(self) -> None:
        """Import the tests the arguments name and run them; exits as
        ``unittest.main`` does."""
        self._loading = True
        from_discovery, loader = self._load_args or (False, None)
        self.createTests(from_discovery, loader)
        self.runTests()


def _status(exit_: SystemExit) -> int:
    """The exit status of *exit_* as ``sys.exit`` would give it."""
    status = exit_.code
    return status if isinstance(status, int) else (0 if status is None else 1)


def run(argv: Sequence[str]) -> int:
    """Run ``python -m unittest`` with *argv*, mockpool installed.

    Besides unittest's arguments, takes ``--report-json PATH`` (also write
    the run report as JSON), ``--fail-on-leak`` (a leak fails its test;
    ``--strict`` is its deprecated alias) and
    ``--no-report`` (print no report); ``--help`` shows unittest's options
    and these. The report is also kept as the last run's, for
    ``python -m mockpool report`` (:mod:`mockpool._reporting.last_run`). When no test
    runs because unittest's arguments asked for help or were wrong, nothing
    is reported or kept.

    Returns:
        The exit status ``python -m unittest`` would give.
    """
    from mockpool._base.files import write_atomic
    from mockpool._integration.install import install
    from mockpool._reporting import last_run as _last_run
    from mockpool._reporting import worker_files as _worker_files

    try:
        options, rest = _run_options(argv)
    except ValueError as exc:
        sys.stderr.write(f"python -m mockpool run: {exc}\n")
        return 2
    unittest_argv = ["python -m mockpool run", *rest]
    try:
        program = _UnittestMain(unittest_argv)
    except SystemExit as exit_:
        # Help, or a usage error: no test runs, so nothing is installed or
        # reported, and the last run's report stays for `report`.
        return _status(exit_)
    code: int = 0
    with install(fail_on_leak=options["fail_on_leak"]):
        try:
            program.load_and_run()
        except SystemExit as exit_:
            # unittest.main decides the status by this Python's own rules
            # (3.12 added status 5 for a run of no tests).
            code = _status(exit_)
    report = _worker_files.process_report()
    if options["report"]:
        sys.stderr.write(report.render() + "\n")
        sys.stderr.flush()
    if options["report_json"]:
        write_atomic(options["report_json"], json.dumps(report.to_dict(), indent=2))
    _last_run.write_last_run(report)  # for `python -m mockpool report`
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mockpool``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        sys.stderr.write(_USAGE)
        return 2
    if args[0] in ("-h", "--help"):
        sys.stdout.write(_USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command == "run":
        return run(rest)
    if command == "demo":
        from mockpool._cli.demo import demo

        parser = argparse.ArgumentParser(prog="python -m mockpool demo")
        parser.add_argument(
            "--python",
            default=sys.executable,
            help="the interpreter to run both suites with (default: this one)",
        )
        options = parser.parse_args(rest)
        # Imported here: shutil imports bz2 and lzma, which `run` (whose
        # start-up a suite pays for) never needs.
        import shutil

        if shutil.which(options.python) is None:
            parser.error(
                f"--python {options.python!r} is not an executable Python; pass "
                "the path of one, such as the output of 'which python3'"
            )
        return demo(options.python)
    if command == "combine":
        from mockpool._cli.combine import combine_command

        return combine_command(rest)
    if command == "report":
        from mockpool._cli.report import report_command

        return report_command(rest)
    if command == "measure":
        from mockpool._cli.measure import measure_command

        return measure_command(rest)
    sys.stderr.write(
        f"unknown command {command!r}; use 'run', 'demo', 'combine', 'report' "
        "or 'measure'"
        f"\n\n{_USAGE}"
    )
    return 2
