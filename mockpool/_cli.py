"""``python -m mockpool``: the command line.

Subcommands:

``run [ARGS]``
    ``python -m unittest [ARGS]`` with :func:`mockpool.install` in effect:
    the same arguments, output, summary and exit status, faster.
``demo``
    Runs the bundled legacy suite plainly and under ``run``, each in a fresh
    process, and prints both times, the ratio, each run's peak memory and
    whether the results are identical.
``combine DIR_OR_FILE... [--json OUT]``
    Merges the per-worker ``mockpool-report-*.json`` files of a parallel run
    and prints the merged report (see :mod:`mockpool._combine_command`).
``report [PATH] [--json] [--strict]``
    Prints a run's report and its health checks; by default the last run's,
    which ``run`` writes to ``last-run.json`` in the history directory (see
    :mod:`mockpool._report_command`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import unittest
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

_USAGE = """\
usage: python -m mockpool run [--report-json PATH] [--strict] [--no-report]
                              [unittest arguments]
       python -m mockpool demo [--python PYTHON]
       python -m mockpool combine DIR_OR_FILE... [--json OUT]
       python -m mockpool report [PATH] [--json] [--strict]

  run      run tests as `python -m unittest` does, with mockpool installed
  demo     run the bundled 1,199-test legacy suite plainly and accelerated
  combine  merge the per-worker report files of a parallel run and print them
  report   print a run's report and health checks (default: the last run)
"""


def _run_options(argv: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """Split mockpool's own options of ``run`` from unittest's arguments."""
    options: dict[str, Any] = {"report_json": None, "strict": False, "report": True}
    rest: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--report-json":
            options["report_json"] = _report_path(next(items, None))
        elif item.startswith("--report-json="):
            options["report_json"] = _report_path(item.partition("=")[2])
        elif item == "--strict":
            options["strict"] = True
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


def run(argv: Sequence[str]) -> int:
    """Run ``python -m unittest`` with *argv*, mockpool installed.

    Besides unittest's arguments, takes ``--report-json PATH`` (also write
    the run report as JSON), ``--strict`` (a leak fails its test) and
    ``--no-report`` (print no report). The report is also kept as the last
    run's, for ``python -m mockpool report`` (:mod:`mockpool._last_run`).

    Returns:
        The exit status ``python -m unittest`` would give.
    """
    from mockpool import _last_run, _worker_files
    from mockpool._install import install

    try:
        options, rest = _run_options(argv)
    except ValueError as exc:
        sys.stderr.write(f"python -m mockpool run: {exc}\n")
        return 2
    code: int = 0
    with install(strict=options["strict"]):
        try:
            unittest.main(module=None, argv=["python -m mockpool run", *rest])
        except SystemExit as exit_:
            # unittest.main decides the status by this Python's own rules
            # (3.12 added status 5 for a run of no tests).
            status = exit_.code
            code = status if isinstance(status, int) else (0 if status is None else 1)
    report = _worker_files.process_report()
    if options["report"]:
        sys.stderr.write(report.render() + "\n")
        sys.stderr.flush()
    if options["report_json"]:
        _worker_files.write_atomic(
            options["report_json"], json.dumps(report.to_dict(), indent=2)
        )
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
        from mockpool._demo_command import demo

        parser = argparse.ArgumentParser(prog="python -m mockpool demo")
        parser.add_argument(
            "--python",
            default=sys.executable,
            help="the interpreter to run both suites with (default: this one)",
        )
        options = parser.parse_args(rest)
        if shutil.which(options.python) is None:
            parser.error(
                f"--python {options.python!r} is not an executable Python; pass "
                "the path of one, such as the output of 'which python3'"
            )
        return demo(options.python)
    if command == "combine":
        from mockpool._combine_command import combine_command

        return combine_command(rest)
    if command == "report":
        from mockpool._report_command import report_command

        return report_command(rest)
    sys.stderr.write(
        f"unknown command {command!r}; use 'run', 'demo', 'combine' or 'report'"
        f"\n\n{_USAGE}"
    )
    return 2
