"""An exclusive lock shared by processes through a file.

:class:`FileLock` serialises work that several processes may start at once
in one directory -- the usage history's merge -- so that none loses a record
or counts one twice. The contract:

* Where :mod:`fcntl` exists, the lock is an exclusive :func:`fcntl.flock`
  of the file at the lock's path, created if missing and never removed;
  the system releases it when its holder dies.
* Where it does not (Windows), the lock is the existence of the file at the
  path plus :data:`FALLBACK_SUFFIX`, created with ``O_EXCL`` and removed on
  release. One older than :data:`STALE_LOCK_SECONDS` is taken to be left
  by a killed process and broken. That fallback is best-effort: two
  processes breaking the same stale lock at the same moment may both hold
  it.
* :meth:`FileLock.acquire` polls rather than blocks, so a hung process
  holding the lock costs the caller a :class:`LockTimeout`, never a hang.
  It raises, and holds nothing, when the lock cannot be had: the caller
  decides what to do without it.

The clock, the sleep and :func:`os.stat`'s time are bound at import: a lock
may be taken while a test's patches of :mod:`time` are in place.

Imports nothing of mockpool.
"""

from __future__ import annotations

import contextlib
import os
import types

# Bound at import, before any test can patch them.
from time import monotonic as _monotonic
from time import sleep as _sleep
from time import time as _wall_clock

__all__ = [
    "FALLBACK_SUFFIX",
    "STALE_LOCK_SECONDS",
    "FileLock",
    "LockFileError",
    "LockTimeout",
]

#: Age in seconds after which the fallback lock counts as abandoned. The
#: work a lock guards takes milliseconds; a lock this old belongs to a
#: killed process.
STALE_LOCK_SECONDS = 60.0
#: Appended to the lock's path for the fallback lock (without :mod:`fcntl`).
FALLBACK_SUFFIX = ".excl"

_POLL_SECONDS = 0.005


def _import_fcntl() -> types.ModuleType | None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    return fcntl


# A module, not a bare import, so that tests can take the fallback path.
_fcntl: types.ModuleType | None = _import_fcntl()


class LockTimeout(Exception):
    """Another process held the lock for longer than the timeout."""


class LockFileError(Exception):
    """The lock file could not be opened or created: its directory is
    probably not writable. :attr:`cause` is the :class:`OSError`."""

    def __init__(self, path: str, cause: OSError) -> None:
        super().__init__(path, cause)
        #: The lock file's path.
        self.path = path
        #: Why it could not be opened or created.
        self.cause = cause


class FileLock:
    """An exclusive lock shared by processes (see the module's notes).

    Args:
        path: The lock file's path; the fallback lock uses this path plus
            :data:`FALLBACK_SUFFIX` (see :attr:`path`). Which of the two
            applies is decided here.
    """

    def __init__(self, path: str) -> None:
        self._flock = _fcntl is not None
        self._path = path if self._flock else path + FALLBACK_SUFFIX
        self._descriptor = -1

    @property
    def path(self) -> str:
        """The path of the file that is the lock."""
        return self._path

    def acquire(self, timeout: float) -> None:
        """Take the lock, waiting up to *timeout* seconds for another holder.

        Raises:
            LockTimeout: Another process held it all that time.
            LockFileError: The lock file could not be opened or created.
            OSError: :func:`fcntl.flock` failed otherwise.
        """
        deadline = _monotonic() + timeout
        if self._flock:
            self._acquire_flock(deadline)
        else:
            self._acquire_fallback(deadline)

    def release(self) -> None:
        """Let the lock go; call once after each :meth:`acquire` that returned."""
        if not self._flock:
            with contextlib.suppress(OSError):
                os.unlink(self._path)
            return
        descriptor, self._descriptor = self._descriptor, -1
        try:
            assert _fcntl is not None
            _fcntl.flock(descriptor, _fcntl.LOCK_UN)
        finally:
            os.close(descriptor)

    def _acquire_flock(self, deadline: float) -> None:
        assert _fcntl is not None
        try:
            descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LockFileError(self._path, exc) from None
        try:
            while True:
                try:
                    _fcntl.flock(descriptor, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
                    self._descriptor = descriptor
                    return
                except BlockingIOError:
                    if _monotonic() >= deadline:
                        raise LockTimeout(self._path) from None
                _sleep(_POLL_SECONDS)
        except BaseException:
            os.close(descriptor)
            raise

    def _acquire_fallback(self, deadline: float) -> None:
        while True:
            try:
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
                os.close(os.open(self._path, flags, 0o644))
                return
            except FileExistsError:
                if _stale(self._path):
                    with contextlib.suppress(OSError):
                        os.unlink(self._path)
                    continue
                if _monotonic() >= deadline:
                    raise LockTimeout(self._path) from None
            except OSError as exc:
                raise LockFileError(self._path, exc) from None
            _sleep(_POLL_SECONDS)


def _stale(path: str) -> bool:
    """Whether the fallback lock file at *path* was left by a killed process."""
    try:
        return _wall_clock() - os.stat(path).st_mtime > STALE_LOCK_SECONDS
    except OSError:
        return False
