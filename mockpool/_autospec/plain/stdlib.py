"""What this interpreter's ``unittest.mock`` gives the plain-mock fast path.

The other modules of :mod:`mockpool._autospec.plain` replace, read or
imitate parts of ``mock.py``, and each Python's ``mock.py`` differs: 3.12
gave ``NonCallableMock.__new__`` named parameters, 3.13's
``AsyncMagicMixin`` inherits ``MagicMixin.__init__``, 3.9-3.11 scan
``dir(None)`` for a mock without a spec. Every such difference is read
here, once, from the objects themselves rather than from the version
number, so that the fast path follows the running interpreter and an
interpreter whose ``mock.py`` lacks a helper keeps the stdlib
(:data:`AVAILABLE` is false).

The originals are taken from the classes' own dicts, so that
:func:`~mockpool._autospec.plain.disable` restores them by identity
(``__new__`` is a staticmethod object there).
"""

from __future__ import annotations

import inspect

# Bound at import: a test may patch a builtin (a public suite patches
# builtins.map) while mockpool works for it.
from builtins import all, callable, getattr, isinstance, sorted, vars  # noqa: UP029
from typing import Any
from unittest import mock

#: ``unittest.mock`` itself, read afresh on every build: a test may have
#: patched one of its helpers, and then the stdlib's path is taken.
mock_module: Any = mock
MOCK_MODULE_NAME = mock.__name__

NonCallableMock = mock.NonCallableMock
MagicMixin: Any = getattr(mock, "MagicMixin", None)
AsyncMagicMixin: Any = getattr(mock, "AsyncMagicMixin", None)
AsyncMockMixin: Any = getattr(mock, "AsyncMockMixin", None)
CallableMixin: Any = getattr(mock, "CallableMixin", None)
MagicProxy: Any = getattr(mock, "MagicProxy", None)
is_async_obj: Any = getattr(mock, "_is_async_obj", None)
MOCK_SIG: Any = getattr(mock, "_MOCK_SIG", None)
DEFAULT = mock.DEFAULT

#: Whether this ``mock.py`` has every helper the fast path relies on.
AVAILABLE = all(
    value is not None
    for value in (MagicMixin, AsyncMagicMixin, AsyncMockMixin, MagicProxy)
) and callable(is_async_obj)

# -- the stdlib objects replaced while enabled ---------------------------------


def own(klass: Any, name: str) -> Any:
    """*klass*'s own entry *name* (from its dict: what is restored by
    identity), or None if it has none or this ``mock.py`` lacks *klass*."""
    return None if klass is None else vars(klass).get(name)


stdlib_new: Any = NonCallableMock.__dict__["__new__"]
stdlib_new_function: Any = NonCallableMock.__new__
stdlib_add_spec: Any = NonCallableMock.__dict__["_mock_add_spec"]
stdlib_setattr: Any = NonCallableMock.__dict__["__setattr__"]
stdlib_noncallable_init: Any = NonCallableMock.__dict__["__init__"]
stdlib_magic_init: Any = MagicMixin.__dict__["__init__"] if AVAILABLE else None
stdlib_set_magics: Any = MagicMixin.__dict__["_mock_set_magics"] if AVAILABLE else None
# 3.13's AsyncMagicMixin inherits MagicMixin's __init__ instead of
# repeating it; then only MagicMixin's is replaced.
stdlib_async_magic_init: Any = (
    AsyncMagicMixin.__dict__.get("__init__") if AVAILABLE else None
)
stdlib_callable_init: Any = own(CallableMixin, "__init__")
stdlib_call: Any = own(CallableMixin, "__call__")
#: A class whose ``_increment_mock_call`` is another has its own called.
stdlib_increment: Any = own(CallableMixin, "_increment_mock_call")
stdlib_async_mock_init: Any = own(AsyncMockMixin, "__init__")

# What _mock_add_spec's outcome depends on besides the spec: a test that
# patches one of these gets the stdlib's path.
stdlib_iscoroutinefunction: Any = getattr(mock, "iscoroutinefunction", None)
stdlib_get_signature_object: Any = getattr(mock, "_get_signature_object", None)


def code_names(function: Any) -> tuple[Any, Any] | None:
    """``(co_varnames, co_names)`` of *function*'s code -- its locals and
    the names it reads -- or None if it has none: what a fast-path module
    compares with each version of the ``mock.py`` code it stands in for."""
    code = getattr(function, "__code__", None)
    return None if code is None else (code.co_varnames, code.co_names)


# -- magic methods ---------------------------------------------------------------

#: Every magic method a MagicMock gets, in a fixed order.
MAGICS: tuple[str, ...] = tuple(
    sorted(
        getattr(mock, "_magics", set()) | getattr(mock, "_async_method_magics", set())
    )
)
#: Every name ``NonCallableMock.__setattr__`` puts on the mock's class.
ALL_MAGICS: Any = getattr(mock, "_all_magics", frozenset())

# -- how NonCallableMock.__new__ finds the spec ----------------------------------

# 3.12 gave NonCallableMock.__new__ named parameters and picks the spec as
# ``spec_set or spec``; before, it binds to _MOCK_SIG and prefers any
# ``spec_set`` given. A probe of the function, not of the version number.
NEW_SIGNATURE = inspect.signature(stdlib_new_function)
NAMED_NEW = "spec" in NEW_SIGNATURE.parameters

# Keywords NonCallableMock.__init__ and CallableMixin.__init__ take
# themselves; any other keyword goes to configure_mock.
CONSTRUCTOR_KEYWORDS = frozenset(
    (
        "spec",
        "wraps",
        "name",
        "spec_set",
        "parent",
        "_spec_state",
        "_new_name",
        "_new_parent",
        "_spec_as_instance",
        "_eat_self",
        "unsafe",
        "side_effect",
        "return_value",
    )
)

# -- the classes built ---------------------------------------------------------------


def _stdlib_classes() -> dict[type, tuple[bool, bool]]:
    """The public classes we build: (magic, skip_set_magics) for each.

    *magic*: its mocks get magic-method proxies; *skip_set_magics*: its
    ``__init__`` reaches the replaced mixin ``__init__`` before anything
    else, so ``_mock_set_magics`` may be skipped there.
    """
    known: dict[type, tuple[bool, bool]] = {
        mock.NonCallableMock: (False, False),
        mock.Mock: (False, False),
        mock.PropertyMock: (False, False),
        mock.NonCallableMagicMock: (True, True),
        mock.MagicMock: (True, True),
    }
    async_mock = getattr(mock, "AsyncMock", None)
    if async_mock is not None:
        known[async_mock] = (True, True)
    return known


STDLIB_CLASSES = _stdlib_classes()
#: Every class ``unittest.mock`` defines (a subclass of one of them that is
#: not in :data:`STDLIB_CLASSES` is the stdlib's business).
STDLIB_MODULE_CLASSES = frozenset(
    value for value in vars(mock).values() if isinstance(value, type)
)
