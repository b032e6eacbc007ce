"""``python -m mockpool combine``: merge the per-worker reports of a run.

Prints the merged report as :meth:`~mockpool._reporting.run_report.RunReport.render`
gives it, and with ``--json OUT`` also writes the merged report, atomically.
Exits 0, or 2 with a message on standard error when there is nothing to
combine or an input is unusable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from mockpool._base.files import write_atomic
from mockpool._reporting.run_report import ReportError
from mockpool._reporting.worker_files import _REPORT_NAME, combine

__all__ = ["combine_command"]

_PROG = "python -m mockpool combine"


def combine_command(argv: Sequence[str]) -> int:
    """Run ``python -m mockpool combine`` with *argv*.

    Returns:
        0, or 2 when the arguments, the files or the output are unusable.
    """
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Merge the mockpool-report-*.json files of a run and print "
        "the merged report.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="DIR_OR_FILE",
        help="a directory of mockpool-report-*.json files, or a report file",
    )
    parser.add_argument(
        "--json",
        metavar="OUT",
        help="also write the merged report to OUT as JSON",
    )
    try:
        options = parser.parse_args(list(argv))
    except SystemExit as exit_:
        # --help exits 0; usage errors exit 2. Return, as the other commands do.
        return exit_.code if isinstance(exit_.code, int) else 2
    if options.json is not None and _would_be_recombined(options.json, options.paths):
        return _fail(
            f"--json {options.json!r} is named like a worker report in a directory "
            "being combined, so a later combine would count it twice; choose "
            "another name"
        )
    try:
        merged = combine(options.paths)
    except (ReportError, OSError) as exc:
        return _fail(str(exc))
    if options.json is not None:
        try:
            write_atomic(options.json, json.dumps(merged.to_dict(), indent=1) + "\n")
        except OSError as exc:
            return _fail(f"cannot write {options.json!r}: {exc}")
    sys.stdout.write(merged.render() + "\n")
    return 0


def _would_be_recombined(out: str, paths: Sequence[str]) -> bool:
    directory, name = os.path.split(os.path.abspath(out))
    if not _REPORT_NAME.match(name):
        return False
    return any(
        os.path.isdir(path) and os.path.samefile(path, directory)
        for path in paths
        if os.path.isdir(directory)
    )


def _fail(message: str) -> int:
    sys.stderr.write(f"{_PROG}: error: {message}\n")
    return 2
