"""Per-process report files, for test runners that run several processes.

Each process (a pytest-xdist worker, a forked child, a plain run) records
into its own :func:`process_report` and writes it with :func:`flush` to
``<directory>/mockpool-report-<worker>.json``; :func:`combine` merges the
files of a run into one :class:`~mockpool._reporting.run_report.RunReport`.

Files are written atomically (:func:`write_atomic`): a reader sees the
previous complete file or the new complete file, never part of one, even
when the writer is killed mid-write -- some runners end their workers with
``os._exit``, so the report is flushed after every test rather than at
exit. A killed writer may leave its temporary file behind; its name starts
with a dot and ends in ``.tmp``, so :func:`combine` never reads it.

A flush runs at every test's end, while the patches a test class or module
started are still in place; so does the worker id's look-up. What they call
of the standard library is bound at import -- ``open``, ``os.getpid``,
``os.replace``, ``socket.gethostname``, ``json.dumps`` and the rest -- so
that a test that patches one of those (a ``mock_open``, a ``getpid`` with a
finite ``side_effect``) never sees a call of mockpool's.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterable

# Bound at import, before any test can patch them (see the module's notes);
# io.open is the builtin open itself.
from io import open as _open
from json import dumps as _dumps
from os import fsync as _fsync
from os import getpid as _getpid
from os import makedirs as _makedirs
from os import open as _os_open
from os import replace as _replace
from os import unlink as _unlink
from os import urandom as _urandom
from socket import gethostname as _gethostname

from mockpool._reporting.run_report import ReportError, RunReport

__all__ = [
    "REPORT_DIR_ENV",
    "WORKER_ENV_VARS",
    "combine",
    "flush",
    "load",
    "process_report",
    "report_files",
    "report_path",
    "worker_id",
    "write_atomic",
]

#: The environment variables naming this worker, first set one wins.
WORKER_ENV_VARS = ("PYTEST_XDIST_WORKER", "TEST_WORKER_ID", "MOCKPOOL_WORKER")
#: The environment variable naming the directory :func:`flush` writes to.
REPORT_DIR_ENV = "MOCKPOOL_REPORT_DIR"

_PREFIX = "mockpool-report-"
_SUFFIX = ".json"
_REPORT_NAME = re.compile(r"mockpool-report-.+\.json\Z")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAX_WORKER_LENGTH = 100


def worker_id() -> str:
    """The id of this worker, safe to put in a file name.

    Returns:
        The value of the first non-empty variable of
        :data:`WORKER_ENV_VARS` (``PYTEST_XDIST_WORKER``, ``TEST_WORKER_ID``,
        ``MOCKPOOL_WORKER``), else ``"<hostname>-<pid>"``; with every
        character other than letters, digits, ``.``, ``_`` and ``-``
        replaced by ``_``, a leading dot replaced by ``_`` and at most 100
        characters kept.

    .. versionadded:: 0.1
    """
    return _sanitise(_worker_source()[0])


def _worker_source() -> tuple[str, bool]:
    """The raw worker id, and whether it came from the environment."""
    for name in WORKER_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value, True
    return f"{_gethostname()}-{_getpid()}", False


def _sanitise(raw: str) -> str:
    cleaned = _UNSAFE.sub("_", raw)[:_MAX_WORKER_LENGTH]
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]
    return cleaned or "_"


def report_path(directory: str | os.PathLike[str], worker: str | None = None) -> str:
    """The file of *worker*'s report in *directory*.

    Args:
        directory: Where the run's report files go.
        worker: A worker id (sanitised as :func:`worker_id` does); by
            default this process's.

    Returns:
        ``<directory>/mockpool-report-<worker>.json``.

    .. versionadded:: 0.1
    """
    name = worker_id() if worker is None else _sanitise(worker)
    return os.path.join(os.fspath(directory), f"{_PREFIX}{name}{_SUFFIX}")


def write_atomic(
    path: str | os.PathLike[str], text: str, *, durable: bool = True
) -> None:
    """Replace the file at *path* with *text* (UTF-8), all or nothing.

    The text goes to a temporary file in the same directory, which is
    flushed (and fsynced if *durable*) and then renamed over *path* with
    :func:`os.replace`.
    Readers see the old file or the new one, never a part, even if this
    process is killed (``SIGKILL``, ``os._exit``) mid-write; the temporary
    file, named ``.<name>.<random>.tmp``, may then be left behind.

    Raises:
        OSError: The file could not be written; *path* is unchanged.

    .. versionadded:: 0.1
    """
    target = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(target))
    _write_atomic(target, directory, name, text, durable)


# A new file, never one that exists; binary on Windows, as mkstemp's are (the
# text layer above translates newlines, not the C runtime); not inherited.
_TEMPORARY_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_TEMPORARY_ATTEMPTS = 100


def _write_atomic(
    target: str, directory: str, name: str, text: str, durable: bool
) -> None:
    """:func:`write_atomic` of *target*, which is *name* in *directory*.

    Calls only what was bound at import: not tempfile.mkstemp, which asks
    os.getpid at call time.
    """
    descriptor, temporary = _create_temporary(directory, name)
    try:
        with _open(descriptor, "w", encoding="utf-8") as stream:  # noqa: UP020 (bound at import)
            stream.write(text)
            stream.flush()
            if durable:
                _fsync(stream.fileno())
        _replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            _unlink(temporary)
        raise


def _create_temporary(directory: str, name: str) -> tuple[int, str]:
    """A new file ``.<name>.<random>.tmp`` in *directory*: its descriptor, path."""
    for _ in range(_TEMPORARY_ATTEMPTS):
        temporary = os.path.join(directory, f".{name}.{_urandom(6).hex()}.tmp")
        try:
            # 0o644 (less the umask): a report is not secret.
            return _os_open(temporary, _TEMPORARY_FLAGS, 0o644), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name for {name!r} in {directory!r}")


# -- the process's report ---------------------------------------------------

_lock = threading.Lock()
_report: RunReport | None = None
# True in a process forked from one that imported this module.
_forked = False
# (directory, worker) -> (report path, its absolute directory, its name),
# for every directory flush() has made and written to.
_targets: dict[tuple[str, str], tuple[str, str, str]] = {}


def process_report() -> RunReport:
    """The report of this process, created on first use.

    A forked child starts with a new, empty report and a worker id of its
    own (the parent's id from the environment plus the child's pid), so
    that its file never replaces its parent's.

    .. versionadded:: 0.1
    """
    global _report
    report = _report
    if report is None:
        with _lock:
            report = _report
            if report is None:
                report = _report = RunReport(worker=_process_worker())
    return report


def _process_worker() -> str:
    raw, from_env = _worker_source()
    if _forked and from_env:
        raw = f"{raw}-{_getpid()}"
    return _sanitise(raw)


def _after_fork_in_child() -> None:
    # The child inherits its parent's records (and maybe a lock held by a
    # thread that does not exist in it): start afresh, under a new name.
    global _lock, _report, _forked
    _lock = threading.Lock()
    _report = None
    _forked = True
    _targets.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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

    .. versionadded:: 0.1
    """
    if directory is None:
        directory = os.environ.get(REPORT_DIR_ENV) or None
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
        _write_atomic(path, folder, name, text, False)
    except FileNotFoundError:  # the directory was removed since
        _makedirs(folder, exist_ok=True)
        _write_atomic(path, folder, name, text, False)
    return path


# -- reading and combining --------------------------------------------------


def load(path: str | os.PathLike[str]) -> RunReport:
    """Read one report file.

    Raises:
        ReportError: The file is not a valid report; the message names it.
        OSError: The file could not be read.

    .. versionadded:: 0.1
    """
    target = os.fspath(path)
    try:
        with open(target, encoding="utf-8") as stream:
            data = json.load(stream)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(
            f"corrupt mockpool report {target!r}: not UTF-8 JSON ({exc}); "
            "delete it or rerun the worker that wrote it"
        ) from None
    try:
        return RunReport.from_dict(data)
    except ReportError as exc:
        raise ReportError(f"corrupt mockpool report {target!r}: {exc}") from None


def report_files(
    paths_or_directory: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[str]:
    """The report files that :func:`combine` reads.

    A directory stands for its ``mockpool-report-*.json`` files (in name
    order; temporary files left by a killed writer are not among them); a
    file stands for itself. A file named twice is read once.

    Raises:
        FileNotFoundError: A path does not exist.

    .. versionadded:: 0.1
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

    .. versionadded:: 0.1
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
