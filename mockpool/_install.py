"""Drop-in mode: serve ``unittest.mock``'s autospec with mockpool's.

:func:`install` puts :func:`mockpool.create_autospec` in the place of
:func:`unittest.mock.create_autospec`. Every path that autospecs goes through
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
"""

from __future__ import annotations

import threading
from types import TracebackType
from unittest import mock

from mockpool import _stdlib
from mockpool._autospec import create_autospec

__all__ = ["Installation", "install", "installed", "uninstall"]

_lock = threading.Lock()
_depth = 0


class Installation:
    """What :func:`install` returns; leaving it as a context manager undoes it.

    .. versionadded:: 0.1
    """

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


def install() -> Installation:
    """Serve ``unittest.mock.create_autospec`` (and autospec patches) lazily.

    Calls nest: each :func:`install` needs one :func:`uninstall` (or leaving
    the returned :class:`Installation`'s ``with`` block), and the stdlib's
    function comes back with the last.

    Returns:
        An :class:`Installation`, usable as a context manager.

    .. versionadded:: 0.1
    """
    global _depth
    with _lock:
        if _depth == 0:
            mock.create_autospec = create_autospec
        _depth += 1
    return Installation()


def uninstall() -> None:
    """Undo one :func:`install`; the last one puts the stdlib's function back.

    Raises:
        RuntimeError: mockpool is not installed.

    .. versionadded:: 0.1
    """
    global _depth
    with _lock:
        if _depth == 0:
            raise RuntimeError(
                "mockpool is not installed; call mockpool.install() first"
            )
        _depth -= 1
        if _depth == 0:
            mock.create_autospec = _stdlib.create_autospec


def installed() -> bool:
    """Whether :func:`install` is in effect.

    .. versionadded:: 0.1
    """
    return _depth > 0
