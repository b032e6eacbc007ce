"""A ``create_autospec`` that builds what the stdlib builds, lazily.

``unittest.mock.create_autospec(cls)`` builds a child mock for every method
of *cls* up front, and each child costs a ``dir()`` walk, a signature and a
set of magic-method proxies. This module builds the same top-level mock, with
the same per-mock class, and puts a placeholder (:class:`_PendingMethod`) in
``_mock_children`` where each method child would be. The first access to a
method -- by attribute lookup, ``configure_mock``, ``seal``, signature
matching in ``assert_has_calls`` or anything else -- builds the child exactly
as ``create_autospec`` would have, from introspection cached per class.

Constructions themselves are replayed: the first mock of a kind is built by
``unittest.mock`` and recorded as a :class:`~mockpool._autospec.introspect.Snapshot`;
later ones get the recorded spec state and magic-method proxies instead of
recomputing them, and run the stdlib ``__init__`` for everything else.

Anything outside the common case (a non-class spec, extra keyword arguments,
a parent, an interpreter whose ``unittest.mock`` internals we do not know)
goes to ``unittest.mock.create_autospec`` unchanged.
"""

from __future__ import annotations

import copy
import os
import threading

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import getattr, hasattr, id, setattr
from typing import Any
from unittest import mock

from mockpool._autospec import functions as _functions
from mockpool._autospec import introspect as _introspect
from mockpool._autospec import plain as _plain
from mockpool._autospec.disguise import disguised
from mockpool._autospec.introspect import ClassInfo, MethodEntry, Snapshots
from mockpool._autospec.replay import construct
from mockpool._base import compat as _compat
from mockpool._base import stdlib as _stdlib

__all__ = ["build_class", "build_instance", "create_autospec"]

# Signature errors raised by our checkers are the test's failure, not ours:
# unittest hides frames of modules that set this.
__unittest = True

# Materialising a child swaps a placeholder for a mock; the lock makes the
# swap happen once when threads touch the same method together.
_materialise_lock = threading.RLock()

# Snapshots of specless mocks (the ``return_value`` of method children).
_specless_snapshots: Snapshots = {}


def create_autospec(
    spec: Any,
    spec_set: Any = False,
    instance: bool = False,
    _parent: Any = None,
    _name: Any = None,
    *,
    unsafe: bool = False,
    **kwargs: Any,
) -> Any:
    """Create a mock that uses *spec* as its spec, like the stdlib's.

    A drop-in for :func:`unittest.mock.create_autospec` with the same
    arguments and the same result for everything a test can observe:
    signature checks on the mock and its methods (``TypeError``),
    ``AttributeError`` for names *spec* lacks, ``spec_set``, ``AsyncMock``
    for coroutine methods, ``isinstance``, :func:`inspect.signature`,
    recorded calls and every ``assert_*`` method.

    For a class spec, method children are built on first access from
    introspection that is cached per class (and recomputed when the class
    changes), which makes building much cheaper when a test touches a few
    methods of a large class.

    Args:
        spec: The object to mock, usually a class.
        spec_set: If true, setting an attribute *spec* lacks raises
            ``AttributeError``.
        instance: Mock an instance of *spec* (a class) instead of the class.
        unsafe: As for :func:`unittest.mock.create_autospec` (3.10+).
        **kwargs: Passed to the constructor of the mock, as by the stdlib.

    Returns:
        The mock.

    Raises:
        TypeError: As the stdlib raises for an unsupported *spec*.
    """
    if (
        not kwargs
        and _parent is None
        and instance is False
        and not (unsafe and not _compat.AUTOSPEC_HAS_UNSAFE)
        and _stdlib.stock_classes()
    ):
        # None if the function path does not serve *spec*.
        built = _functions.build(spec, spec_set, _name)
        if built is not None:
            return built
    if (
        kwargs
        or _parent is not None
        or (unsafe and not _compat.AUTOSPEC_HAS_UNSAFE)
        or not _stdlib.AVAILABLE
        or not _introspect.supports(spec)
        or not _stdlib.stock_classes()
    ):
        return _stdlib_create_autospec(
            spec, spec_set, instance, _parent, _name, unsafe=unsafe, **kwargs
        )
    return _build(_introspect.introspect(spec), spec_set, instance, None, _name)


def build_instance(info: ClassInfo, spec_set: bool) -> Any:
    """``create_autospec(info.spec, spec_set, instance=True)``, from *info*.

    Built from the given introspection even if the class has changed since.
    """
    return _build(info, spec_set, True, None, None)


def build_class(info: ClassInfo, spec_set: bool, name: str | None = None) -> Any:
    """``create_autospec(info.spec, spec_set, _name=name)``: a class mock.

    Built from *info* even if the class has changed since. *name* is what
    ``patch(..., autospec=True)`` passes as ``_name`` (the patched
    attribute): it shows in the mock's repr and its children's.
    """
    return _build(info, spec_set, False, None, name)


def _stdlib_create_autospec(
    spec: Any,
    spec_set: Any,
    instance: bool,
    parent: Any,
    name: Any,
    /,
    *,
    unsafe: bool = False,
    **kwargs: Any,
) -> Any:
    if _compat.AUTOSPEC_HAS_UNSAFE:
        kwargs["unsafe"] = unsafe
    elif unsafe:
        # 3.9 has no such parameter; a caller passing it there reached the
        # mock's constructor through **kwargs, which is what we do too.
        kwargs["unsafe"] = unsafe
    return _stdlib.create_autospec(spec, spec_set, instance, parent, name, **kwargs)


def _build(
    info: ClassInfo, spec_set: Any, instance: bool, parent: Any, name: Any
) -> Any:
    # The steps of unittest.mock.create_autospec for a class spec, in its
    # order, with method children deferred.
    spec = info.spec
    constructor: dict[str, Any] = {
        "parent": parent,
        "_new_parent": parent,
        "_new_name": "" if parent is None else name,
        "name": name,
        ("spec_set" if spec_set else "spec"): spec,
    }
    if instance:
        constructor["_spec_as_instance"] = True
    klass: type = _stdlib.MagicMock
    if instance and not info.instance_callable:
        klass = _stdlib.NonCallableMagicMock

    extra = dict(info.signature_namespace(instance))
    if info.has_methods:
        extra["__getattr__"] = _LAZY_GETATTR
        extra["mock_add_spec"] = _MOCK_ADD_SPEC[klass]
    built = construct(klass, spec, info.snapshots, constructor, extra)

    if not instance:
        built.return_value = _build(info, spec_set, True, built, "()")

    children = built._mock_children
    spec_state = _stdlib.SpecState
    for attribute, original, method in info.entries:
        if method is None:
            children[attribute] = spec_state(
                original, spec_set, built, attribute, instance
            )
        elif method.kind == _introspect.FUNCTION:
            pending = _PendingMethod(built, method, spec_set)
            children[attribute] = pending
            if method.shadows_mock_attribute:
                # The stdlib's setattr(mock, name, child) lands on a mock
                # attribute of that name (a method, or a property such as
                # ``called``); only doing it for real reproduces the effect.
                setattr(built, attribute, pending.materialise(publish=False))
        else:
            children[attribute] = _PendingRoutine(built, method, spec_set, instance)
    return built


def _lazy_getattr(self: Any, name: str) -> Any:
    """``__getattr__`` of a lazily built mock's own class.

    The stdlib puts each method child in the mock's ``__dict__`` as well as
    in ``_mock_children``, so fetching one never reaches ``__getattr__`` or
    its checks; a pending method is therefore built and returned at once.
    Anything else goes through the stdlib's hook, so every check it makes
    (spec membership, ``assert``-like names, deleted attributes) is
    unchanged; a pending C method it returns is swapped for the real child.
    """
    children = self.__dict__.get("_mock_children")
    if children is not None:
        pending = children.get(name)
        if type(pending) is _PendingMethod:
            return pending.materialise()
    result = _stdlib.base_getattr(self, name)
    if type(result) is _PendingRoutine:
        result = result.materialise()
    return result


def _materialising_mock_add_spec(self: Any, spec: Any, spec_set: bool = False) -> None:
    # A spec added later narrows what __getattr__ allows, but not what is
    # already in __dict__ -- where the stdlib keeps every method child. Build
    # the pending ones first so that they stay reachable, as they would.
    for child in list(self._mock_children.values()):
        if type(child) is _PendingMethod:
            child.materialise()
    stdlib_class: Any = type(self).__mro__[1]
    stdlib_class.mock_add_spec(self, spec, spec_set)


#: ``__getattr__`` and ``mock_add_spec`` of lazily built mocks, per class.
_LAZY_GETATTR = disguised(_lazy_getattr, mock.NonCallableMock.__getattr__)
_MOCK_ADD_SPEC: dict[type, Any] = {
    klass: disguised(_materialising_mock_add_spec, klass.mock_add_spec)
    for klass in (mock.MagicMock, mock.NonCallableMagicMock)
}


class _PendingMethod:
    """Stands in ``_mock_children`` for a method child not yet built.

    Code in ``unittest.mock`` that walks children without attribute lookup
    (``reset_mock``, ``_get_call_signature_from_name``) meets this object:
    ``reset_mock`` is recorded and replayed on the child when it is built;
    any other attribute builds the child and reads it there.
    """

    __slots__ = (
        "_child",
        "_entry",
        "_parent",
        "_reset_return",
        "_reset_side",
        "_spec_set",
    )

    def __init__(self, parent: Any, entry: MethodEntry, spec_set: Any) -> None:
        self._parent = parent
        self._entry = entry
        self._spec_set = spec_set
        self._child: Any = None
        self._reset_return = False
        self._reset_side = False

    def reset_mock(
        self,
        visited: Any = None,
        *,
        return_value: bool = False,
        side_effect: bool = False,
    ) -> None:
        if self._child is not None:
            self._child.reset_mock(
                visited, return_value=return_value, side_effect=side_effect
            )
            return
        # A pristine child has no calls to forget; only the flags leave a
        # trace, and applying them once is the same as applying them often.
        self._reset_return = self._reset_return or bool(return_value)
        self._reset_side = self._reset_side or bool(side_effect)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            # Protocol lookups (copy's __deepcopy__, pickle's __reduce_ex__
            # on a half-built copy) must not build the child.
            raise AttributeError(name)
        return getattr(self.materialise(), name)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        twin = _pending_copy(self, memo)
        if twin is not None:
            twin._reset_return = self._reset_return
            twin._reset_side = self._reset_side
        return twin if twin is not None else copy.deepcopy(self.materialise(), memo)

    def materialise(self, publish: bool = True) -> Any:
        """Build the child as ``create_autospec`` would have, once.

        *publish* also stores it in the parent's ``__dict__``, as the
        stdlib's ``setattr`` does for a name that no mock attribute shadows.
        """
        with _materialise_lock:
            child = self._child
            if child is None:
                parent = self._parent
                name = self._entry.name
                child = self._child = _build_method(parent, self._entry, self._spec_set)
                children = parent._mock_children
                if children.get(name) is self:
                    children[name] = child
                    if publish:
                        # Where create_autospec's setattr(mock, entry, new)
                        # put it.
                        parent.__dict__[name] = child
                if self._reset_return or self._reset_side:
                    child.reset_mock(
                        return_value=self._reset_return, side_effect=self._reset_side
                    )
            return child


def _pending_copy(pending: Any, memo: dict[int, Any]) -> Any:
    """The placeholder of a deep copy of *pending*'s parent, or None.

    ``copy.deepcopy(mock)`` creates the copy of the parent first (it is in
    *memo* by the time the children dict is copied). The stdlib's copy holds
    a copy of each child, built for the original parent and never touched --
    the same as a child built for the copy. So the copy gets a placeholder
    of its own, bound to it, and builds that child only if touched.
    Without the parent in *memo* (a placeholder copied on its own) there is
    nothing to bind to: None, and the caller copies the built child.
    """
    parent = memo.get(id(pending._parent))
    if parent is None:
        return None
    if type(pending) is _PendingMethod:
        return _PendingMethod(parent, pending._entry, pending._spec_set)
    return _PendingRoutine(parent, pending._entry, pending._spec_set, pending._instance)


def _build_method(parent: Any, entry: MethodEntry, spec_set: Any) -> Any:
    # The method branch of create_autospec's loop.
    # The stock classes, as when the parent was built (_build admits no
    # other), even if a fixture replaced them since.
    klass: type = _stdlib.AsyncMock if entry.is_async else _stdlib.MagicMock
    constructor: dict[str, Any] = {
        "parent": parent,
        "name": entry.name,
        "_new_name": entry.name,
        "_new_parent": parent,
        ("spec_set" if spec_set else "spec"): entry.original,
        "_eat_self": entry.skipfirst,
    }
    # The stdlib sets the signature checker last; nothing before reads it.
    signature = entry.signature_namespace()
    child = construct(klass, entry.original, entry.snapshots, constructor, signature)
    # The signature calls are matched against (assert_called_with) is the one
    # read when the class was introspected, as the stdlib reads it when it
    # builds the mock -- not whatever the function says by the first touch.
    child.__dict__["_spec_signature"] = signature.get("__signature__")
    if _presets_method_return_value():
        child.return_value = construct(klass, None, _specless_snapshots, {}, {})
    return child


# Whether create_autospec presets each method child's return value, once
# probed (see _presets_method_return_value): the one place the answer is
# kept.
_presets: bool | None = None


def _presets_method_return_value() -> bool:
    """:func:`~mockpool._base.compat.autospec_presets_method_return_value`,
    probed with the mocks counted as no test's: the probe autospecs a class
    of its own, on the first method child built -- inside a test, whose
    report counted the probe's mocks as plain mocks of the test's, and
    measured their kind at the end of every run."""
    global _presets
    if _presets is None:
        _presets = _plain.uncounted_call(_compat.autospec_presets_method_return_value)
    return _presets


class _PendingRoutine:
    """Stands in ``_mock_children`` for a C method the stdlib would defer.

    The stdlib keeps a ``_SpecState`` there and autospecs the method on first
    access. Code that walks children sees a ``_SpecState`` as having no
    signature and nothing to reset; this placeholder answers the same.
    """

    __slots__ = ("_child", "_entry", "_instance", "_parent", "_spec_set")

    #: What ``_get_call_signature_from_name`` reads from a ``_SpecState``
    #: child: it stops there, with no signature.
    _spec_signature = None

    def __init__(
        self, parent: Any, entry: MethodEntry, spec_set: Any, instance: bool
    ) -> None:
        self._parent = parent
        self._entry = entry
        self._spec_set = spec_set
        self._instance = instance
        self._child: Any = None

    @property
    def _mock_children(self) -> dict[str, Any]:
        return {}

    def reset_mock(self, *args: Any, **kwargs: Any) -> None:
        """``reset_mock`` skips ``_SpecState`` children; so do we."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        twin = _pending_copy(self, memo)
        return twin if twin is not None else copy.deepcopy(self.materialise(), memo)

    def materialise(self) -> Any:
        """Build the child as ``create_autospec(original, ...)`` would, once."""
        with _materialise_lock:
            child = self._child
            if child is None:
                child = self._child = _build_routine(
                    self._parent, self._entry, self._spec_set, self._instance
                )
                children = self._parent._mock_children
                if children.get(self._entry.name) is self:
                    children[self._entry.name] = child
            return child


def _build_routine(
    parent: Any, entry: MethodEntry, spec_set: Any, instance: bool
) -> Any:
    # create_autospec(original, spec_set, instance, parent, name) for a C
    # callable: a MagicMock with its signature and no children of its own.
    constructor: dict[str, Any] = {
        "parent": parent,
        "_new_parent": parent,
        "_new_name": entry.name,
        "name": entry.name,
        ("spec_set" if spec_set else "spec"): entry.original,
    }
    if instance:
        constructor["_spec_as_instance"] = True
    return construct(
        _stdlib.MagicMock,
        entry.original,
        entry.snapshots,
        constructor,
        entry.signature_namespace(instance),
    )


_PENDING_TYPES = (_PendingMethod, _PendingRoutine)


def _reinit_after_fork() -> None:
    # A thread of the parent may have held the lock at the fork; in the
    # child that thread does not exist and the lock would stay held.
    global _materialise_lock
    _materialise_lock = threading.RLock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_reinit_after_fork)
