"""Drop-in mode: serve ``unittest.mock``'s autospec with mockpool's.

:func:`install` puts mockpool's ``create_autospec`` in the place of
:func:`unittest.mock.create_autospec` -- :func:`mockpool.create_autospec`,
pooled inside tests by :mod:`mockpool._integration.dropin`, which :func:`install` also
enables: every test runs in a session of its own, with a leak check at its
end. Every path that autospecs goes through
that module-level name -- direct calls, ``patch(..., autospec=True)``,
``patch.object(..., autospec=True)``, ``patch.multiple`` and the lazily
autospecced attributes of autospecced mocks -- so an existing suite gets the
lazy autospec with no change to its code and no change to what its mocks
enforce (contract 1).

Code that imported the function itself before :func:`install`
(``from unittest.mock import create_autospec`` at module level) keeps the
stdlib's; ``import unittest.mock`` and ``mock.create_autospec(...)`` pick
ours up. ``python -m mockpool run`` installs before the suite is imported.

The third-party ``mock`` backport builds its own mock classes, which ours
are not instances of, so it is left alone.

:func:`mockpool.patch` accelerates its own autospecs without :func:`install`
and without changing what ``unittest.mock.create_autospec`` does for anyone
else: while one of its patchers is inside ``__enter__`` and nothing is
installed, the name holds :func:`dispatch_autospec`, which serves the calls
made in that patcher's context (a :class:`~contextvars.ContextVar` flag, set
by :func:`accelerating`) with :data:`accelerated_autospec` and every other
call with the stdlib's. While :func:`install` is in effect the name holds
:data:`accelerated_autospec` itself; with nothing installed and no such
patcher entering, it holds the stdlib's function again.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import os
import threading
import warnings

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import any, hasattr, vars
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any
from unittest import mock

from mockpool._autospec import plain as _plain
from mockpool._base import checks
from mockpool._base import fence as _fence
from mockpool._base import startup as _startup
from mockpool._base import stdlib as _stdlib
from mockpool._integration import dropin as _dropin
from mockpool._reporting import worker_files as _worker_files
from mockpool.errors import ArgumentTypeError

__all__ = ["Installation", "install", "installed", "uninstall"]

#: What serves accelerated autospecs: the lazy autospec, pooled inside a
#: test's scope. It takes the stdlib's arguments.
accelerated_autospec: Callable[..., Any] = _dropin.create_autospec

# Guards the counts below and every write of unittest.mock.create_autospec.
_lock = threading.Lock()
# install() calls in effect.
_depth = 0
# mockpool patchers inside __enter__, in all threads.
_entering = 0
# What we last put in unittest.mock.create_autospec.
_placed: Any = _stdlib.create_autospec
# Set, in one thread or task, while a mockpool patcher of it enters.
_accelerating = contextvars.ContextVar("mockpool_accelerating", default=False)


class Installation:
    """What :func:`install` returns; leaving it as a context manager undoes it."""

    def __init__(self) -> None:
        self._active = True

    def __enter__(self) -> Installation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.undo()

    def undo(self) -> None:
        """Undo this installation (once; later calls do nothing)."""
        if self._active:
            self._active = False
            uninstall()


def install(
    *, fail_on_leak: bool | None = None, strict: bool | None = None
) -> Installation:
    """Serve ``unittest.mock.create_autospec`` (and autospec patches) lazily.

    Also runs every :class:`unittest.TestCase` in a session of its own,
    whatever runner calls it: ``create_autospec(cls, instance=True)`` is
    served from a pool of pristine mocks and given back when the test ends,
    and at the end of each test a leak check makes sure every patch the
    test started was undone and no mock was left assigned in the modules
    and classes the test module uses (a :class:`~mockpool.LeakWarning`
    naming the test; a failure of the test with *fail_on_leak*).

    Calls nest: each :func:`install` needs one :func:`uninstall` (or leaving
    the returned :class:`Installation`'s ``with`` block), and the stdlib's
    function comes back with the last.

    Args:
        fail_on_leak: A leak fails the test that leaked instead of warning
            (once any install in effect asked for it, until the last
            uninstall). Not given (``None``), it is off.
        strict: Deprecated name of *fail_on_leak*: it works, with a
            :class:`DeprecationWarning`. "Strict" is strict mode only
            (:func:`~mockpool.set_strict`), which this is not.

    Returns:
        An :class:`Installation`, usable as a context manager.

    Raises:
        ArgumentTypeError: *fail_on_leak* or *strict* is not a bool, or
            both are given.
    """
    global _depth
    started = _startup.clock()
    enabled = _fail_on_leak(fail_on_leak, strict)
    with _lock:
        _depth += 1
        if _depth == 1:
            _place(force=True)
        _dropin.enable(fail_on_leak=enabled)
        _plain.enable()
    # mockpool's own work, which the report's time saved pays for: this
    # install, and the first time, the import of mockpool.
    seconds = _startup.clock() - started + _startup.take_import_seconds()
    with _fence.fenced("run report"):
        _worker_files.process_report().record_startup(seconds)
    return Installation()


def _fail_on_leak(fail_on_leak: object, strict: object) -> bool:
    """What :func:`install`'s *fail_on_leak* and deprecated *strict* ask for.

    Checks both before anything changes; *strict* warns that it is
    deprecated (at the caller of :func:`install`).
    """
    if fail_on_leak is not None:
        checks.flag(fail_on_leak, "fail_on_leak")
    if strict is None:
        return fail_on_leak is True
    checks.flag(
        strict,
        "strict",
        hint="strict is the deprecated name of fail_on_leak: "
        "pass fail_on_leak=True or False",
    )
    if fail_on_leak is not None:
        raise ArgumentTypeError(
            f"strict={strict!r} and fail_on_leak={fail_on_leak!r} given together; "
            "pass fail_on_leak only (strict is its deprecated name)"
        )
    warnings.warn(
        f"install(strict={strict!r}) is deprecated; use "
        f"install(fail_on_leak={strict!r}): strict now names only strict mode "
        "(mockpool.set_strict)",
        DeprecationWarning,
        stacklevel=3,
    )
    return strict is True


def uninstall() -> None:
    """Undo one :func:`install`; the last one puts the stdlib's function back.

    Raises:
        RuntimeError: mockpool is not installed.
    """
    global _depth
    with _lock:
        if _depth == 0:
            raise RuntimeError(
                "mockpool is not installed; call mockpool.install() first"
            )
        _depth -= 1
        _dropin.disable()
        _plain.disable()
        if _depth == 0:
            _place(force=True)


def installed() -> bool:
    """Whether :func:`install` is in effect."""
    return _depth > 0


def dispatch_autospec(*args: Any, **kwargs: Any) -> Any:
    """``unittest.mock.create_autospec`` while a mockpool patcher enters.

    Calls :data:`accelerated_autospec` in a context where
    :func:`accelerating` is in effect, or while :func:`install` is;
    otherwise the stdlib's function. The arguments go through untouched, so
    each target checks them as it always does; the signature is the
    stdlib's.
    """
    if _accelerating.get() or _depth > 0:
        return accelerated_autospec(*args, **kwargs)
    return _stdlib.create_autospec(*args, **kwargs)


vars(dispatch_autospec)["__signature__"] = inspect.signature(_stdlib.create_autospec)


@contextlib.contextmanager
def accelerating() -> Iterator[None]:
    """Serve the autospecs made in this context by :data:`accelerated_autospec`.

    Other threads and tasks are not affected: for them
    ``unittest.mock.create_autospec`` goes on calling the stdlib's function
    (or mockpool's, if :func:`install` is in effect).
    """
    global _entering
    with _lock:
        _entering += 1
        if _entering == 1:
            _place(force=False)
    token = _accelerating.set(True)
    try:
        yield
    finally:
        _accelerating.reset(token)
        with _lock:
            _entering -= 1
            if _entering == 0:
                _place(force=False)


def _place(*, force: bool) -> None:
    """Put what the counts call for in ``unittest.mock.create_autospec``.

    Called with ``_lock`` held. Unless *force*d (install and the last
    uninstall, which always did so), a value someone else put there -- a
    test's spy, say -- is left alone: their patch is undone by them.
    """
    global _placed
    wanted: Any
    if _depth:
        # The accelerated function itself, not the dispatcher: one call
        # less on every autospec of an installed suite.
        wanted = accelerated_autospec
    elif _entering:
        wanted = dispatch_autospec
    else:
        wanted = _stdlib.create_autospec
    current = mock.create_autospec
    if force or any(
        current is ours
        for ours in (_placed, dispatch_autospec, _stdlib.create_autospec)
    ):
        mock.create_autospec = wanted
        _placed = wanted


def _reinit_after_fork() -> None:
    # A thread of the parent may have held the lock at the fork; in the
    # child that thread does not exist and the lock would stay held.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_reinit_after_fork)
