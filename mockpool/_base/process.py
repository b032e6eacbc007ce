"""Process and run identity: which run, which worker, which process.

The contract:

* **The run id** names one run of a suite, across all its processes. It is
  ``MOCKPOOL_RUN_ID`` when set and not empty, else one generated once per
  process (``<UTC time>_<8 hex digits>``); a parallel runner's parent calls
  :func:`ensure_run_id` so that its workers inherit one id. A forked child
  keeps its parent's: it is part of the same run. What :func:`current_run_id`
  returns is safe in a file name, before a worker id: letters, digits,
  ``.`` and ``_`` only (never ``-``), no leading dot, at most 64 characters.
* **The worker id** names one process of a run in file names. It is the
  first non-empty variable of :data:`WORKER_ENV_VARS`, else
  ``<hostname>-<pid>``, with letters, digits, ``.``, ``_`` and ``-`` kept,
  no leading dot, at most 100 characters. :func:`process_worker` is the name
  a process writes its own files under: in a forked child, the parent's id
  from the environment plus the child's pid, so that a child's file never
  replaces its parent's.
* **Liveness**: a process is identified by host, pid and start time
  (:func:`identity`), so that a pid reused by a later process is not taken
  for the one that wrote a file. :func:`is_running` tells whether it still
  runs; when it cannot tell, it says it does, so that callers keep what
  they cannot prove abandoned.

The worker id is looked up at every test's end, while the patches a test
class or module started are in place: what it calls of the standard library
(``os.getpid``, ``socket.gethostname``, ``open``) is bound at import, so
that a test that patches one of those never sees a call of mockpool's. This
process's start time is read from ``/proc`` on Linux (as psutil reads it
there) and asked of psutil elsewhere -- imported on first use, it costs
~20 ms a run --, and kept: ask :func:`identity` once before the first test,
as a run's beginning does.

A forked child forgets the cached start time and takes a worker name of its
own; it keeps the run id.

Imports nothing of mockpool but :mod:`mockpool._base`.
"""

from __future__ import annotations

import os
import threading
import time

# Bound at import, before any test can patch them (see the module's notes).
from builtins import abs, hasattr, next  # noqa: UP029
from builtins import open as _open
from os import getpid as _getpid
from os import urandom as _urandom
from socket import gethostname as _gethostname

__all__ = [
    "RUN_ID_ENV",
    "WORKER_ENV_VARS",
    "current_run_id",
    "ensure_run_id",
    "identity",
    "is_running",
    "process_start_time",
    "process_worker",
    "sanitise_run_id",
    "sanitise_worker",
    "worker_id",
]

#: The environment variable holding the run id shared by a run's processes.
RUN_ID_ENV = "MOCKPOOL_RUN_ID"
#: The environment variables naming this worker, first set one wins.
WORKER_ENV_VARS = ("PYTEST_XDIST_WORKER", "TEST_WORKER_ID", "MOCKPOOL_WORKER")

# A run id goes into file names before the worker id, which may hold "-":
# so the run id may not, and the first "-" after the prefix ends it. (Sets,
# not regular expressions: compiling two cost half of this module's import.)
_RUN_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"
)
_MAX_RUN_ID_LENGTH = 64
_WORKER_SAFE = _RUN_SAFE | {"-"}
_MAX_WORKER_LENGTH = 100
# Start times read twice for one process differ by rounding only; a reused
# pid belongs to a process started at least this much later.
_START_TOLERANCE_SECONDS = 1.0

# -- per-process state --------------------------------------------------------

_state_lock = threading.Lock()
_generated_run_id: str | None = None
# True in a process forked from one that imported this module.
_forked = False
# (pid, start time) of this process, once psutil was asked.
_own_start: tuple[int, float | None] | None = None


def _after_fork_in_child() -> None:
    # The child keeps the run id -- it is part of the same run -- but not a
    # lock a parent's thread may hold, nor the parent's start time; and it
    # writes under a worker name of its own.
    global _state_lock, _forked, _own_start
    _state_lock = threading.Lock()
    _forked = True
    _own_start = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# -- the run id ---------------------------------------------------------------


def _only(raw: str, safe: frozenset[str]) -> str:
    """*raw* with each character not in *safe* replaced by ``_``."""
    return "".join([character if character in safe else "_" for character in raw])


def sanitise_run_id(raw: str) -> str:
    """*raw* made safe as a run id in a file name (see the module's notes)."""
    cleaned = _only(raw[:_MAX_RUN_ID_LENGTH], _RUN_SAFE)
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]
    return cleaned or "_"


def _generated() -> str:
    global _generated_run_id
    with _state_lock:
        if _generated_run_id is None:
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            # What secrets.token_hex(4) returns, without importing secrets
            # (and hmac, hashlib, OpenSSL with it): start-up cost.
            _generated_run_id = f"{stamp}_{_urandom(4).hex()}"
        return _generated_run_id


def current_run_id() -> str:
    """The id of the current run, safe to put in a file name.

    Returns:
        ``MOCKPOOL_RUN_ID`` if set and not empty, else an id generated once
        per process (a forked child keeps its parent's); with every
        character other than letters, digits, ``.`` and ``_`` replaced by
        ``_`` and at most 64 characters kept.
    """
    value = os.environ.get(RUN_ID_ENV)
    return sanitise_run_id(value) if value else _generated()


def ensure_run_id() -> str:
    """Set ``MOCKPOOL_RUN_ID`` in :data:`os.environ` if missing; return the id.

    A parallel runner's parent calls this before starting its workers, so
    that they inherit the variable and record one run.

    Returns:
        :func:`current_run_id`.
    """
    if not os.environ.get(RUN_ID_ENV):
        os.environ[RUN_ID_ENV] = _generated()
    return current_run_id()


# -- the worker id ------------------------------------------------------------


def sanitise_worker(raw: str) -> str:
    """*raw* made safe as a worker id in a file name (see :func:`worker_id`)."""
    cleaned = _only(raw[:_MAX_WORKER_LENGTH], _WORKER_SAFE)
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]
    return cleaned or "_"


def _worker_source() -> tuple[str, bool]:
    """The raw worker id, and whether it came from the environment."""
    for name in WORKER_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value, True
    return f"{_gethostname()}-{_getpid()}", False


def worker_id() -> str:
    """The id of this worker, safe to put in a file name.

    Returns:
        The value of the first non-empty variable of
        :data:`WORKER_ENV_VARS` (``PYTEST_XDIST_WORKER``, ``TEST_WORKER_ID``,
        ``MOCKPOOL_WORKER``), else ``"<hostname>-<pid>"``; with every
        character other than letters, digits, ``.``, ``_`` and ``-``
        replaced by ``_``, a leading dot replaced by ``_`` and at most 100
        characters kept.
    """
    return sanitise_worker(_worker_source()[0])


def process_worker() -> str:
    """The name this process writes its own files under.

    :func:`worker_id`, except in a process forked from one that imported
    this module: there an id from the environment, which the child shares
    with its parent, gets the child's pid appended.
    """
    raw, from_env = _worker_source()
    if _forked and from_env:
        raw = f"{raw}-{_getpid()}"
    return sanitise_worker(raw)


# -- liveness -----------------------------------------------------------------


def identity() -> tuple[str, int, float | None]:
    """This process's host name, pid and start time (None if unknown).

    What a file records of its writer, for :func:`is_running` to check
    later. The start time is asked of psutil once per process.
    """
    global _own_start
    pid = _getpid()
    cached = _own_start
    if cached is None or cached[0] != pid:
        cached = _own_start = (pid, process_start_time(pid))
    return _gethostname(), pid, cached[1]


def process_start_time(pid: int) -> float | None:
    """When process *pid* of this host started, in seconds since the epoch.

    Returns:
        The time, or None when it cannot be told (no such process, no
        permission).
    """
    try:
        found = _proc_stat(pid)
    except FileNotFoundError:
        return None  # no such process
    if found is not None:
        return found[0]
    # psutil is imported on first use: it costs ~20 ms, and most processes
    # need it once, if at all.
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


def _proc_stat(pid: int) -> tuple[float, bytes] | None:
    """*pid*'s start time and state letter from Linux's ``/proc``, read as
    psutil reads them there: the start is the boot time plus field 22 of
    ``/proc/<pid>/stat`` (clock ticks since boot), the state field 3. None
    where ``/proc`` cannot be read so (not Linux, an unexpected layout).

    Raises:
        FileNotFoundError: ``/proc`` is there but has no process *pid*.
    """
    try:
        with _open(f"/proc/{pid}/stat", "rb") as stat:
            # The command name (field 2) may hold spaces and parentheses:
            # the fields after it follow its last ")".
            fields = stat.read().rpartition(b")")[2].split()
        state, ticks = fields[0], int(fields[19])
        with _open("/proc/stat", "rb") as system:
            boot = next(
                int(line.split()[1]) for line in system if line.startswith(b"btime ")
            )
        return boot + ticks / os.sysconf("SC_CLK_TCK"), state
    except FileNotFoundError:
        if _proc_mounted():
            raise
        return None
    except Exception:
        return None


def _proc_mounted() -> bool:
    try:
        with _open("/proc/self/stat", "rb"):
            return True
    except OSError:
        return False


def is_running(pid: int, started: float | None) -> bool:
    """Whether process *pid* of this host, started at *started*, still runs.

    Args:
        pid: The process's id.
        started: Its start time as :func:`identity` gave it; None when it
            was not known, and then any process *pid* counts.

    Returns:
        False when no process *pid* exists, when *pid* now belongs to a
        process started later, or when it is a zombie; True when it runs,
        and when that cannot be told (permission denied).
    """
    try:
        found = _proc_stat(pid)
    except FileNotFoundError:
        return False
    if found is not None:
        began, state = found
        if started is not None and abs(began - started) > _START_TOLERANCE_SECONDS:
            return False  # the pid now belongs to another process
        return state != b"Z"
    import psutil

    try:
        process = psutil.Process(pid)
        if started is not None and (
            abs(process.create_time() - started) > _START_TOLERANCE_SECONDS
        ):
            return False  # the pid now belongs to another process
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except (psutil.Error, OSError):
        return True
