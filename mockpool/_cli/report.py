"""``python -m mockpool report``: a run's report and its health checks.

Reads a run report file -- by default the last run's
(:func:`~mockpool._reporting.last_run.last_run_path`), or one written by
``run --report-json`` or ``combine --json`` -- and prints the run report
(:meth:`~mockpool._reporting.run_report.RunReport.render`) and, under it, the health
report (:meth:`~mockpool._reporting.health.HealthReport.render`); with ``--json``,
both as one JSON object instead.

Exits 0 when no check failed, 1 when one did, and 2 with a message on
standard error when the file is missing or is not a run report.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from mockpool._reporting.health import check_health
from mockpool._reporting.last_run import last_run_path, read_run
from mockpool._reporting.run_report import ReportError

__all__ = ["report_command"]

_PROG = "python -m mockpool report"
_HOW = (
    "run the tests with 'python -m mockpool run' (or 'pytest --mockpool') to "
    "write the last run's file, or pass a file written by "
    "'python -m mockpool run --report-json PATH' or "
    "'python -m mockpool combine ... --json OUT'"
)

_NO_LIVE_HINT = (
    "(This file holds no live figures -- registry, pools, memory -- so the\n"
    "checks that need them were skipped; the last run's file has them.)\n"
)


def report_command(argv: Sequence[str]) -> int:
    """Run ``python -m mockpool report`` with *argv*.

    Returns:
        0 when no health check failed, 1 when one did, 2 when the arguments
        or the file are unusable.
    """
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Print a run's report and its health checks.",
    )
    parser.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="a run report file (default: the last run's, "
        "$MOCKPOOL_DIR/last-run.json or .mockpool/last-run.json)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON instead of text"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="fail the degraded-variants check on any degraded mock "
        "(default: as strict mode is set, by CI or MOCKPOOL_STRICT)",
    )
    try:
        options = parser.parse_args(list(argv))
    except SystemExit as exit_:
        # --help exits 0; usage errors exit 2. Return, as the other commands do.
        return exit_.code if isinstance(exit_.code, int) else 2
    path = options.path if options.path is not None else last_run_path()
    try:
        report, live = read_run(path)
    except FileNotFoundError:
        kind = "no report file" if options.path is not None else "no last run"
        return _fail(f"{kind} at {path!r}; {_HOW}")
    except IsADirectoryError:
        return _fail(f"{path!r} is a directory, not a report file; {_HOW}")
    except OSError as exc:
        return _fail(f"cannot read {path!r}: {exc}")
    except ReportError as exc:
        return _fail(f"{exc}; {_HOW}")
    health = check_health(report, live, strict=options.strict)
    if options.json:
        document = {
            "path": path,
            "report": report.to_dict(),
            "live": None if live is None else live.to_dict(),
            "health": health.to_dict(),
        }
        sys.stdout.write(json.dumps(document, indent=1) + "\n")
    else:
        sys.stdout.write(f"{report.render()}\n\n{health.render()}\n")
        if live is None:
            sys.stdout.write(_NO_LIVE_HINT)
    return 1 if health.failed else 0


def _fail(message: str) -> int:
    sys.stderr.write(f"{_PROG}: error: {message}\n")
    return 2
