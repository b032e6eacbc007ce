"""``mockpool.patch``: :func:`unittest.mock.patch`, with the lazy autospec.

:func:`patch`, ``patch.object`` and ``patch.multiple`` call the stdlib's
factories with the caller's arguments untouched -- so every check, error
message and patcher attribute is the stdlib's -- and turn the patcher they
return into a :class:`_Patch`. That subclass changes one thing: its
``__enter__`` runs the stdlib's inside
:func:`mockpool._integration.install.accelerating`,
so the ``create_autospec`` the stdlib calls there for ``autospec=...`` is
served by :data:`mockpool._integration.install.accelerated_autospec`. Other
threads and
tasks, and every ``unittest.mock.patch``, keep the stdlib's autospec unless
:func:`mockpool.install` is in effect.

Two methods are overridden because the stdlib's hard-code its own objects:
``copy`` (it builds a plain ``_patch``, and class decoration copies the
patcher for every test method) and ``decorate_class`` (it reads
``unittest.mock.patch.TEST_PREFIX``). Ours, and that of our ``patch.dict``,
read ``mockpool.patch.TEST_PREFIX``, which starts as the stdlib's value and
is set independently of it.
"""

from __future__ import annotations

import inspect

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import dir, getattr, hasattr, setattr, vars
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast
from unittest import mock

from mockpool._integration import install as _install

if TYPE_CHECKING:
    from unittest.mock import _patcher

    _PatchBase = mock._patch[Any]
else:
    _PatchBase = mock._patch

__all__ = ["patch"]

_T = TypeVar("_T")

# The stdlib's factories, as imported: ours are them plus a change of class.
_stdlib_patch = mock.patch
_stdlib_patch_object = mock.patch.object
_stdlib_patch_multiple = mock.patch.multiple


class _Patch(_PatchBase):
    """A stdlib patcher whose autospec is served by mockpool's."""

    def __enter__(self) -> Any:
        # The stdlib's own __enter__, looked up through the class at each
        # call: whatever it does (or whoever wraps it) is what we do.
        with _install.accelerating():
            return super().__enter__()

    def copy(self) -> _Patch:
        # The stdlib's copy() builds a plain _patch; the copies of
        # additional_patchers are ours already, as they are _Patch.
        return _accelerated(super().copy())

    def decorate_class(self, klass: _T) -> _T:
        # The stdlib's loop, reading our TEST_PREFIX instead of mock's.
        for attr in dir(klass):
            if not attr.startswith(patch.TEST_PREFIX):
                continue

            attr_value = getattr(klass, attr)
            # hasattr, not callable(): what the stdlib tests.
            if not hasattr(attr_value, "__call__"):  # noqa: B004
                continue

            patcher = self.copy()
            setattr(klass, attr, patcher(attr_value))
        return klass


class _PatchDict(mock._patch_dict):
    """The stdlib's ``patch.dict``, honouring ``mockpool.patch.TEST_PREFIX``."""

    def decorate_class(self, klass: Any) -> Any:
        # The stdlib's loop, reading our TEST_PREFIX and building our class.
        for attr in dir(klass):
            attr_value = getattr(klass, attr)
            if attr.startswith(patch.TEST_PREFIX) and hasattr(  # noqa: B004
                attr_value, "__call__"
            ):
                decorator = type(self)(self.in_dict, self.values, self.clear)
                decorated = decorator(attr_value)
                setattr(klass, attr, decorated)
        return klass


def _accelerated(patcher: Any) -> _Patch:
    """Make a stdlib ``_patch`` (and those it enters with it) one of ours."""
    # Only the class changes: the state is the stdlib's, set by the stdlib.
    patcher.__class__ = _Patch
    for additional in patcher.additional_patchers:
        _accelerated(additional)
    return cast(_Patch, patcher)


def _patch_function(*args: Any, **kwargs: Any) -> Any:
    """:func:`unittest.mock.patch`, with autospecs served by mockpool.

    Everything is the stdlib's -- arguments and their checks, the mocks
    made without autospec, decorating functions, coroutine functions and
    classes, the context manager, ``start()``/``stop()`` and
    ``patch.stopall()`` -- except that ``autospec=True`` (or an object to
    autospec) builds the mock with :func:`mockpool.create_autospec`, whether
    or not :func:`mockpool.install` is in effect. Other threads, and plain
    ``unittest.mock`` patches, are not affected.

    ``patch.object``, ``patch.multiple`` and ``patch.dict`` do the same for
    the stdlib's variants, ``patch.stopall`` is the stdlib's (it stops these
    patchers too), and ``patch.TEST_PREFIX`` is the prefix of the test
    methods these patchers decorate when they decorate a class.

    The arguments are :func:`unittest.mock.patch`'s, passed to it as given;
    the signature is the stdlib's on every supported Python (``unsafe`` from
    3.10 on).

    Args:
        target: What to patch, as ``"package.module.name"``.
        new: The object to put there; by default a mock is made.
        spec: As for :func:`unittest.mock.patch`.
        create: As for :func:`unittest.mock.patch`.
        spec_set: As for :func:`unittest.mock.patch`.
        autospec: ``True`` to autospec the object being replaced, or an
            object to autospec instead; served by mockpool.
        new_callable: As for :func:`unittest.mock.patch`.
        unsafe: As for :func:`unittest.mock.patch` (3.10+).
        **kwargs: Passed to the mock that is made, as by the stdlib.

    Returns:
        The patcher, a subclass of the stdlib's.

    Raises:
        TypeError: As the stdlib raises, for a target that is not a dotted
            name.
    """
    return _accelerated(_stdlib_patch(*args, **kwargs))


def _patch_object(*args: Any, **kwargs: Any) -> Any:
    """:func:`unittest.mock.patch.object`, with autospecs served by mockpool."""
    return _accelerated(_stdlib_patch_object(*args, **kwargs))


def _patch_multiple(*args: Any, **kwargs: Any) -> Any:
    """:func:`unittest.mock.patch.multiple`, with autospecs served by mockpool."""
    return _accelerated(_stdlib_patch_multiple(*args, **kwargs))


def _dressed(
    function: Callable[..., Any], like: Callable[..., Any], **attributes: Any
) -> Any:
    """Give *function* the name and signature of *like*, and *attributes*."""
    function.__name__ = like.__name__
    function.__qualname__ = like.__qualname__
    vars(function).update(__signature__=inspect.signature(like), **attributes)
    return function


patch: _patcher = _dressed(
    _patch_function,
    _stdlib_patch,
    object=_dressed(_patch_object, _stdlib_patch_object),
    dict=_PatchDict,
    multiple=_dressed(_patch_multiple, _stdlib_patch_multiple),
    stopall=mock.patch.stopall,
    TEST_PREFIX=mock.patch.TEST_PREFIX,
)
