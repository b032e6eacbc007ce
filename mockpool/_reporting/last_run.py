"""The last run's report, kept in the history directory for ``mockpool report``.

At the end of ``python -m mockpool run`` (and of ``pytest --mockpool``),
:func:`write_last_run` writes the run's report -- the form of
:meth:`RunReport.to_dict <mockpool._reporting.run_report.RunReport.to_dict>`, plus a
``"live"`` key with the :class:`~mockpool._reporting.live.LiveFigures` of the
process: its registered services, its pools and its memory -- atomically to
``<history dir>/last-run.json``. The history directory is the usage
history's (``MOCKPOOL_DIR``, else ``.mockpool`` in the working directory).
``python -m mockpool report`` reads it when given no file.

Readers of report files ignore keys they do not know, so the file is also a
valid input of ``combine``.

Like the history, it never fails a run: with history off
(``MOCKPOOL_HISTORY=0``) nothing is written; a directory that cannot be
written gives one :class:`~mockpool.HistoryWarning` per process (none if
the history already warned about it) and nothing else.
"""

from __future__ import annotations

import json
import os

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import isinstance  # noqa: UP029

from mockpool._base.files import write_atomic
from mockpool._base.json_fields import FieldReader
from mockpool._learning import history as _history
from mockpool._reporting import worker_files as _worker_files
from mockpool._reporting.live import LiveFigures
from mockpool._reporting.run_report import RunReport

__all__ = ["LAST_RUN_FILE", "LIVE_KEY", "last_run_path", "read_run", "write_last_run"]

#: The file's name in the history directory.
LAST_RUN_FILE = "last-run.json"
#: The key of the live figures in the file.
LIVE_KEY = "live"


def last_run_path(directory: str | os.PathLike[str] | None = None) -> str:
    """The last-run file's absolute path.

    Args:
        directory: The history directory. By default the directory of this
            process's usage history once a run has begun (fixed then, so a
            test's :func:`os.chdir` does not move it), else ``MOCKPOOL_DIR``
            or ``.mockpool`` in the current working directory.
    """
    if directory is None:
        from mockpool._learning import lifecycle as _learning

        store = _learning.state().store
        if isinstance(store, _history.HistoryStore):
            directory = store.directory
        else:
            directory = os.environ.get(_history.DIR_ENV) or _history.DEFAULT_DIRECTORY
    return os.path.join(os.path.abspath(os.fspath(directory)), LAST_RUN_FILE)


def write_last_run(
    report: RunReport | None = None,
    live: LiveFigures | None = None,
    *,
    directory: str | os.PathLike[str] | None = None,
) -> str | None:
    """Write *report* and *live* to :func:`last_run_path`, atomically.

    Args:
        report: The run's report; by default this process's.
        live: The live figures; by default :meth:`LiveFigures.capture` now.
        directory: The history directory; see :func:`last_run_path`.

    Returns:
        The path written, or None when history is off or the directory
        cannot be written (then with one
        :class:`~mockpool.HistoryWarning`).
    """
    if not _history.history_enabled():
        return None
    chosen = _worker_files.process_report() if report is None else report
    path = last_run_path(directory)
    folder = os.path.dirname(path)
    data = chosen.to_dict()
    data[LIVE_KEY] = (LiveFigures.capture() if live is None else live).to_dict()
    try:
        os.makedirs(folder, exist_ok=True)
        # Not durable: an fsync costs a run ~10 ms to protect a report
        # against power loss only (the rename alone survives a crash).
        write_atomic(path, json.dumps(data, indent=1) + "\n", durable=False)
    except OSError as exc:
        # Keyed by the directory, as the history's own warnings are: one
        # warning per process for an unwritable history directory.
        _history._warn(
            [
                (
                    folder,
                    f"cannot write {LAST_RUN_FILE} ({type(exc).__name__}: "
                    f"{exc.strerror or exc}); 'python -m mockpool report' will "
                    f"not see this run (set {_history.DIR_ENV} to a writable "
                    f"directory, or {_history.HISTORY_ENV}=0)",
                )
            ]
        )
        return None
    return path


def read_run(path: str | os.PathLike[str]) -> tuple[RunReport, LiveFigures | None]:
    """Read a run report file: the last-run file, or one written by
    ``run --report-json`` or ``combine --json``.

    Read by :func:`~mockpool._reporting.worker_files.read_report_file`, the
    one reader of report files.

    Returns:
        The report, and its live figures (None when the file has none).

    Raises:
        ReportError: The file is not a valid report; the message names it.
        OSError: The file could not be read (FileNotFoundError if missing).
    """
    return _worker_files.read_report_file(path, _live)


def _live(top: FieldReader) -> LiveFigures | None:
    live = top.data.get(LIVE_KEY)
    return None if live is None else LiveFigures.from_dict(live)
