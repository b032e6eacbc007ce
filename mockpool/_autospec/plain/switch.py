"""The switch: the stdlib's construction methods swapped in and out.

:func:`enable` puts the fast path's methods on ``unittest.mock``'s own
classes (``NonCallableMock.__new__``, ``_mock_add_spec``, ``__setattr__``,
``CallableMixin.__init__`` and ``__call__``,
``AsyncMockMixin.__init__``, the magic mixins' ``__init__`` and
``_mock_set_magics``), each disguised to introspect as the method it
replaces; :func:`disable` puts the stdlib's objects back by identity.
Calls nest (the drop-in, the benchmark and tests may each enable), and
nothing of this package is left on a mock: mocks built while enabled go
on working after the last :func:`disable`.
"""

from __future__ import annotations

import threading

# Bound at import: a test may patch a builtin while mockpool works for it.
from builtins import setattr
from typing import Any

from mockpool._autospec.disguise import disguised
from mockpool._autospec.plain.calling import CALLS_DIRECTLY, accelerated_call
from mockpool._autospec.plain.class_reuse import let_go_of_kept_classes
from mockpool._autospec.plain.construction import (
    SETATTR_REPLACEMENT,
    accelerated_async_magic_init,
    accelerated_magic_init,
    accelerated_new,
    accelerated_set_magics,
    forget_plans,
)
from mockpool._autospec.plain.one_pass_async_init import (
    VARIANT,
    accelerated_async_init,
)
from mockpool._autospec.plain.one_pass_init import ONE_PASS, accelerated_callable_init
from mockpool._autospec.plain.spec_records import accelerated_add_spec
from mockpool._autospec.plain.stdlib import (
    AVAILABLE,
    MOCK_SIG,
    NAMED_NEW,
    AsyncMagicMixin,
    AsyncMockMixin,
    CallableMixin,
    MagicMixin,
    NonCallableMock,
    stdlib_add_spec,
    stdlib_async_magic_init,
    stdlib_async_mock_init,
    stdlib_call,
    stdlib_callable_init,
    stdlib_magic_init,
    stdlib_new,
    stdlib_new_function,
    stdlib_set_magics,
    stdlib_setattr,
)

__all__ = ["disable", "enable", "enabled"]


def _replacements() -> list[tuple[type, str, Any, Any]]:
    """(class, attribute, stdlib object, replacement) for each swap."""
    if not AVAILABLE or not (NAMED_NEW or MOCK_SIG is not None):
        # An interpreter whose mock.py we do not know: stay with it.
        return []
    replacements: list[tuple[type, str, Any, Any]] = [
        (
            NonCallableMock,
            "__new__",
            stdlib_new,
            staticmethod(disguised(accelerated_new, stdlib_new_function)),
        ),
        (
            NonCallableMock,
            "_mock_add_spec",
            stdlib_add_spec,
            disguised(accelerated_add_spec, stdlib_add_spec),
        ),
        (
            MagicMixin,
            "__init__",
            stdlib_magic_init,
            disguised(accelerated_magic_init, stdlib_magic_init),
        ),
        (
            NonCallableMock,
            "__setattr__",
            stdlib_setattr,
            SETATTR_REPLACEMENT,
        ),
        (
            MagicMixin,
            "_mock_set_magics",
            stdlib_set_magics,
            disguised(accelerated_set_magics, stdlib_set_magics),
        ),
    ]
    if CALLS_DIRECTLY:
        replacements.append(
            (
                CallableMixin,
                "__call__",
                stdlib_call,
                disguised(accelerated_call, stdlib_call),
            )
        )
    if ONE_PASS:
        replacements.append(
            (
                CallableMixin,
                "__init__",
                stdlib_callable_init,
                disguised(accelerated_callable_init, stdlib_callable_init),
            )
        )
    if VARIANT is not None:
        replacements.append(
            (
                AsyncMockMixin,
                "__init__",
                stdlib_async_mock_init,
                disguised(accelerated_async_init, stdlib_async_mock_init),
            )
        )
    if stdlib_async_magic_init is not None:
        replacements.append(
            (
                AsyncMagicMixin,
                "__init__",
                stdlib_async_magic_init,
                disguised(accelerated_async_magic_init, stdlib_async_magic_init),
            )
        )
    return replacements


_REPLACEMENTS = _replacements()
_lock = threading.Lock()
_depth = 0


def enable() -> None:
    """Build plain mocks the fast way until the matching :func:`disable`.

    Calls nest: each needs one :func:`disable`, and the stdlib's methods
    come back with the last. Does nothing on an interpreter whose
    ``unittest.mock`` lacks a helper this module relies on.
    """
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            for klass, name, _original, replacement in _REPLACEMENTS:
                setattr(klass, name, replacement)


def disable() -> None:
    """Undo one :func:`enable`; the last puts the stdlib's methods back.

    The stdlib's own objects are restored (by identity). Mocks built while
    enabled keep working: nothing of this module stays on them.

    Raises:
        RuntimeError: Not enabled.
    """
    global _depth
    with _lock:
        if _depth == 0:
            raise RuntimeError(
                "plain-mock acceleration is not enabled; call enable() first"
            )
        _depth -= 1
        if _depth == 0:
            for klass, name, original, _replacement in _REPLACEMENTS:
                setattr(klass, name, original)
            forget_plans()
            let_go_of_kept_classes()


def enabled() -> bool:
    """Whether :func:`enable` is in effect."""
    return _depth > 0
