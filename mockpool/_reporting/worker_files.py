"""Per-process report files, for test runners that run several processes.

Each process (a pytest-xdist worker, a forked child, a plain run) records
into its own :func:`process_report` and writes it with :func:`flush` to
``<directory>/mockpool-report-<worker>.json``, named by
:func:`~mockpool._base.process.process_worker`; :func:`combine` merges the
files of a run into one :class:`~mockpool._reporting.run_report.RunReport`.
:func:`read_report_file` is the one reader of run report files: a worker's,
a combined one, the last run's.

Files are written atomically (:func:`mockpool._base.files.write_atomic`): a
reader sees the previous complete file or the new complete file, never part
of one, even when the writer is killed mid-write -- some runners end their
workers with ``os._exit``, so the report is flushed after every test rather
than at exit. A killed writer may leave its temporary file behind; its name
starts with a dot and ends in ``.tmp``, so :func:`combine` never reads it.

A flush runs at every test's end, while the patches a test class or module
started are still in place; so does the worker id's look-up. What they call
of the standard library is bound at import -- here ``os.makedirs`` and
``json.dumps``; ``open``, ``os.getpid``, ``os.replace``,
``socket.gethostname`` and the rest in :mod:`mockpool._base.files` and
:mod:`mockpool._base.process` -- so that a test that patches one of those (a
``mock_open``, a ``getpid`` with a finite ``side_effect``) never sees a call
of mockpool's.

A forked child starts with a new, empty report, written under a worker name
of its own.
"""

from __future__ import annotations

import os
import re
import threading

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import hasattr, isinstance, repr, sorted  # noqa: UP029
from collections.abc import Callable, Iterable

# Bound at import, before any test can patch them (see the module's notes).
from json import dumps as _dumps
from os import makedirs as _makedirs

# The clock bound at import: a test may patch time.perf_counter.
from time import perf_counter as _perf_counter
from typing import TypeVar

from mockpool._base import process as _process
from mockpool._base.files import write_atomic_in
from mockpool._base.json_fields import FieldReader
from mockpool._base.json_files import read_json_file
from mockpool._reporting.run_report import FORMAT, FORMAT_HINT, ReportError, RunReport

__all__ = [
    "REPORT_DIR_ENV",
    "combine",
    "end_test",
    "flush",
    "load",
    "process_report",
    "read_report_file",
    "report_directory",
    "report_files",
    "report_path",
]

#: The environment variable naming the directory :func:`flush` writes to.
REPORT_DIR_ENV = "MOCKPOOL_REPORT_DIR"


def report_directory() -> str | None:
    """``MOCKPOOL_REPORT_DIR``, read afresh (a test may set it), cheaply:
    where :func:`flush` writes by default, or None (it writes nothing).

    ``os.environ.get`` of a name that is not set raises and catches a
    KeyError: 2 us, after every test. ``os.environ``'s own mapping of
    encoded names answers "not set" in a twentieth of that; anything else in
    ``os.environ`` (a test may replace it) is asked the ordinary way.
    """
    environ = os.environ
    try:
        data = environ._data  # type: ignore[attr-defined]
        if type(environ) is _ENVIRON_TYPE and _ENCODED_REPORT_DIR not in data:
            return None
    except Exception:
        pass
    return environ.get(REPORT_DIR_ENV) or None


_ENVIRON_TYPE: type = type(os.environ)
try:
    _ENCODED_REPORT_DIR = os.environ.encodekey(REPORT_DIR_ENV)
except Exception:  # not CPython's os.environ: _data is not read
    _ENVIRON_TYPE = type(None)

_PREFIX = "mockpool-report-"
_SUFFIX = ".json"
_REPORT_NAME = re.compile(r"mockpool-report-.+\.json\Z")
# How to mend a worker's report file that cannot be read.
_FIX_WORKER_FILE = "delete it or rerun the worker that wrote it"

_T = TypeVar("_T")


def report_path(directory: str | os.PathLike[str], worker: str | None = None) -> str:
    """The file of *worker*'s report in *directory*.

    Args:
        directory: Where the run's report files go.
        worker: A worker id (sanitised as
            :func:`~mockpool._base.process.worker_id` does); by default this
            process's.

    Returns:
        ``<directory>/mockpool-report-<worker>.json``.
    """
    name = _process.worker_id() if worker is None else _process.sanitise_worker(worker)
    return os.path.join(os.fspath(directory), f"{_PREFIX}{name}{_SUFFIX}")


# -- the process's report ---------------------------------------------------

_lock = threading.Lock()
_report: RunReport | None = None
# (directory, worker) -> (report path, its absolute directory, its name),
# for every directory flush() has made and written to.
_targets: dict[tuple[str, str], tuple[str, str, str]] = {}


def process_report() -> RunReport:
    """The report of this process, created on first use.

    A forked child starts with a new, empty report and a worker id of its
    own (the parent's id from the environment plus the child's pid), so
    that its file never replaces its parent's.
    """
    global _report
    report = _report
    if report is None:
        with _lock:
            report = _report
            if report is None:
                report = _report = RunReport(worker=_process.process_worker())
    return report


def _after_fork_in_child() -> None:
    # The child inherits its parent's records (and maybe a lock held by a
    # thread that does not exist in it): start afresh. Its new name is
    # mockpool._base.process's (process_worker).
    global _lock, _report
    _lock = threading.Lock()
    _report = None
    _targets.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def end_test(
    own_seconds: float,
    since: float,
    before_writing: Callable[[RunReport], object] | None = None,
) -> None:
    """The end of a test, for this process's report: its
    :meth:`~mockpool._reporting.run_report.RunReport.end_test`, then
    :func:`flush` if ``MOCKPOOL_REPORT_DIR`` is set, the writing counted as
    mockpool's own work. What the drop-in does after every test, in one
    call; :func:`report_directory`'s common case (the variable not set) is
    told here without a call of its own.

    Args:
        own_seconds: The drop-in's own work for the test before its end.
        since: When its end began (:func:`time.perf_counter`).
        before_writing: Called with the report before its file is written
            (only if it is), to give it what the drop-in hands it only now
            and then (the plain mocks counted).
    """
    report = process_report()
    # report_directory()'s common case, inline (see its notes).
    environ = os.environ
    if type(environ) is _ENVIRON_TYPE and _ENCODED_REPORT_DIR not in environ._data:  # type: ignore[attr-defined]
        report.end_test(own_seconds, since)
        return
    writing = report_directory() is not None
    if writing and before_writing is not None:
        # Before end_test, which measures what it gives (off the clock).
        before_writing(report)
    report.end_test(own_seconds, since)
    if writing:
        flushing_since = _perf_counter()
        flush()
        # In the file from the next test's flush on.
        report.record_own_work(_perf_counter() - flushing_since)


def flush(directory: str | os.PathLike[str] | None = None) -> str | None:
    """Write :func:`process_report` to its file, atomically.

    Cheap enough to call after every test (the JSON is small), which is how
    the report survives a worker ended by ``os._exit``.

    Args:
        directory: Where to write; by default the directory named by
            ``MOCKPOOL_REPORT_DIR``. It is created if missing.

    Returns:
        The path written, or None when neither *directory* nor
        ``MOCKPOOL_REPORT_DIR`` is given (nothing is written).

    Raises:
        OSError: The file could not be written.
    """
    if directory is None:
        directory = report_directory()
        if directory is None:
            return None
    report = process_report()
    text = _dumps(report.to_dict(), separators=(",", ":"))
    key = (os.fspath(directory), report.worker)
    found = _targets.get(key)
    if found is None:
        # Once per directory and worker: os.path and os.makedirs look up
        # functions (os.path.exists...) a test may have patched.
        _makedirs(key[0], exist_ok=True)
        path = report_path(key[0], report.worker)
        found = _targets[key] = (path, *os.path.split(os.path.abspath(path)))
    path, folder, name = found
    # No fsync: the rename alone survives a killed worker, and a report is
    # rewritten after every test -- fsync would cost each test milliseconds
    # on a real disk to protect against power loss only.
    try:
        write_atomic_in(path, folder, name, text, durable=False)
    except FileNotFoundError:  # the directory was removed since
        _makedirs(folder, exist_ok=True)
        write_atomic_in(path, folder, name, text, durable=False)
    return path


# -- reading and combining --------------------------------------------------


def read_report_file(
    path: str | os.PathLike[str],
    extra: Callable[[FieldReader], _T],
    *,
    fix: str = "",
) -> tuple[RunReport, _T]:
    """Read a run report file: the one reader of them all.

    A worker's file, one written by ``run --report-json`` or ``combine
    --json``, or the last run's; any problem of any of them is told in one
    wording: ``corrupt mockpool report <path>: <what is wrong>[; <fix>]``.

    Args:
        path: The file.
        extra: Reads what the file holds beyond the report (the last run's
            live figures) from its top-level fields; a :class:`ReportError`
            it raises is told as the report's own are.
        fix: How to mend the file, added to the message of a corrupt one.

    Returns:
        The report, and what *extra* returned.

    Raises:
        ReportError: The file is not a valid report; the message names it.
        OSError: The file could not be read (FileNotFoundError if missing).
    """
    target = os.fspath(path)
    try:
        top = read_json_file(target, ReportError, "report", FORMAT, hint=FORMAT_HINT)
        return RunReport.from_fields(top), extra(top)
    except ReportError as exc:
        tail = f"; {fix}" if fix else ""
        raise ReportError(f"corrupt mockpool report {target!r}: {exc}{tail}") from None


def load(path: str | os.PathLike[str]) -> RunReport:
    """Read one report file (see :func:`read_report_file`).

    Raises:
        ReportError: The file is not a valid report; the message names it
            and how to mend it.
        OSError: The file could not be read.
    """
    return read_report_file(path, _nothing, fix=_FIX_WORKER_FILE)[0]


def _nothing(top: FieldReader) -> None:
    return None


def report_files(
    paths_or_directory: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[str]:
    """The report files that :func:`combine` reads.

    A directory stands for its ``mockpool-report-*.json`` files (in name
    order; temporary files left by a killed writer are not among them); a
    file stands for itself. A file named twice is read once.

    Raises:
        FileNotFoundError: A path does not exist.
    """
    if isinstance(paths_or_directory, (str, os.PathLike)):
        paths: list[str | os.PathLike[str]] = [paths_or_directory]
    else:
        paths = list(paths_or_directory)
    found: dict[str, str] = {}
    for entry in paths:
        path = os.fspath(entry)
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if _REPORT_NAME.match(n))
            candidates = [os.path.join(path, name) for name in names]
        elif os.path.exists(path):
            candidates = [path]
        else:
            raise FileNotFoundError(
                f"no such mockpool report file or directory: {path!r}"
            )
        for candidate in candidates:
            found.setdefault(os.path.realpath(candidate), candidate)
    return list(found.values())


def combine(
    paths_or_directory: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> RunReport:
    """Merge the report files of a run into one report.

    Args:
        paths_or_directory: A directory, a report file, or several of
            either; see :func:`report_files`.

    Returns:
        A report (worker ``"combined"``) holding every record of every file.

    Raises:
        ReportError: No report file was found, or one is corrupt (the
            message names it).
        FileNotFoundError: A path does not exist.
    """
    if isinstance(paths_or_directory, (str, os.PathLike)):
        paths: list[str | os.PathLike[str]] = [paths_or_directory]
    else:
        paths = list(paths_or_directory)
    files = report_files(paths)
    if not files:
        where = ", ".join(repr(os.fspath(path)) for path in paths) or "no paths"
        raise ReportError(
            f"no {_PREFIX}*{_SUFFIX} files in {where}; set {REPORT_DIR_ENV} "
            "for the run, or name the report files"
        )
    return RunReport.merged(load(path) for path in files)
