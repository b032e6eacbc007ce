"""Files replaced all or nothing.

Run reports, usage history and the last run's file are rewritten while
other processes may read them, and by workers that some runners end with
``os._exit`` or a kill. :func:`write_atomic` gives the one guarantee they
all need: a reader sees the previous complete file or the new complete
file, never part of one, even when the writer is killed mid-write. A killed
writer may leave its temporary file behind; its name starts with a dot and
ends in ``.tmp``, so readers that list a directory for their own names
never read it.

A report or history file is written at every test's end, while the patches
a test class or module started are still in place. What a write calls of
the standard library is bound at import -- ``open``, ``os.open``,
``os.replace``, ``os.fsync``, ``os.unlink``, ``os.urandom`` -- and not
:func:`tempfile.mkstemp`, which asks :func:`os.getpid` at call time; so a
test that patches one of those (a ``mock_open``, a ``replace`` with a
``side_effect``) never sees a call of mockpool's.

Imports nothing of mockpool.
"""

from __future__ import annotations

import contextlib
import os

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import getattr, range  # noqa: UP029

# Bound at import, before any test can patch them (see the module's notes);
# io.open is the builtin open itself.
from io import open as _open
from os import fsync as _fsync
from os import open as _os_open
from os import replace as _replace
from os import unlink as _unlink
from os import urandom as _urandom

__all__ = ["write_atomic", "write_atomic_in"]

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
    """
    target = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(target))
    write_atomic_in(target, directory, name, text, durable=durable)


def write_atomic_in(
    target: str, directory: str, name: str, text: str, *, durable: bool
) -> None:
    """:func:`write_atomic` of *target*, which is *name* in *directory*.

    For a caller that writes one file again and again: it splits the path
    once (:mod:`os.path` looks up functions a test may have patched), and
    this calls only what was bound at import.
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
