"""Proving a used mock pristine again, or saying why it cannot be.

Contract 2: a mock a session used is handed out again only if it is exactly
what a fresh build would be. This module takes a :class:`Baseline` of a mock
right after it is built (before defaults are applied) and, when the mock
comes back, either restores it to that baseline or names the reason to
throw it away.

Two things are checked:

* **Escape.** Nothing outside the mock's own structure may still refer to
  the mock: not a module, a class, a closure, a thread, a stored call. We
  count the references the structure itself holds (children's parent
  pointers, placeholders, magic-method proxies) and compare them with the
  interpreter's reference count, calibrated when the mock was built. Any
  difference means someone else holds it.
* **State.** Everything a test can change is in three places: the mock's
  ``__dict__``, its ``_mock_children`` and its own class's ``__dict__``.
  Children and magic methods created during use are dropped (and detached,
  so that a stored child can no longer record calls into the mock),
  attributes set by the test are removed, placeholders come back, and the
  mock is reset with both flags. What cannot be restored faithfully --
  ``seal``, a changed spec, ``wraps`` -- discards the mock.

Mocks are never copied: a copy shares magic methods with its original.
"""

from __future__ import annotations

import sys
from typing import Any
from unittest import mock

from mockpool import _stdlib
from mockpool._autospec import _PendingMethod, _PendingRoutine

__all__ = ["Baseline", "DiscardReason"]


class DiscardReason:
    """Why a returned mock was thrown away instead of recycled."""

    ESCAPED = "still referenced outside its session"
    SEALED = "sealed"
    SPEC_CHANGED = "spec changed (mock_add_spec or __class__)"
    WRAPS_CHANGED = "wraps or delegate changed"
    CLASS_SPEC = "class mocks are not recycled"
    EAGER_CHILDREN = "children built eagerly (a method named like a mock attribute)"
    POOL_FULL = "pool full"
    RECYCLING_OFF = "recycling turned off by adaptation"
    RECOVERED = "built by a recovery stage"
    DEFAULTS_FAILED = "defaults failed to apply"
    STATE = "state differs from a fresh build"


# __dict__ entries that reset_mock(return_value=True, side_effect=True)
# rebuilds: compared by content (empty), not identity.
_CALL_LISTS = ("_mock_call_args_list", "_mock_mock_calls", "method_calls")
# Entries a test cannot change back through the mock API: a difference in
# one of them discards the mock.
_UNRESTORABLE = {
    "_mock_sealed": DiscardReason.SEALED,
    "_spec_class": DiscardReason.SPEC_CHANGED,
    "_spec_set": DiscardReason.SPEC_CHANGED,
    "_spec_signature": DiscardReason.SPEC_CHANGED,
    "_mock_methods": DiscardReason.SPEC_CHANGED,
    "_spec_asyncs": DiscardReason.SPEC_CHANGED,
    "_mock_wraps": DiscardReason.WRAPS_CHANGED,
    "_mock_delegate": DiscardReason.WRAPS_CHANGED,
    "_mock_unsafe": DiscardReason.STATE,
}
_PLACEHOLDERS = (_PendingMethod, _PendingRoutine)


def _points_at(obj: Any, target: Any) -> int:
    """How many of *obj*'s own fields refer to *target*."""
    kind = type(obj)
    if kind is _PendingMethod or kind is _PendingRoutine:
        return int(obj._parent is target) + int(obj._child is target)
    state = getattr(obj, "__dict__", None)
    if state is None:
        return 0
    return sum(1 for value in state.values() if value is target)


def _is_adopted_mock(value: Any, parent: Any) -> bool:
    if not isinstance(value, mock.NonCallableMock):
        return False
    state = value.__dict__
    return (
        state.get("_mock_new_parent") is parent or state.get("_mock_parent") is parent
    )


def _detach(value: Any, parent: Any) -> None:
    """Cut a dropped child's links to *parent*, so it records nothing there."""
    if _is_adopted_mock(value, parent):
        state = value.__dict__
        if state.get("_mock_new_parent") is parent:
            state["_mock_new_parent"] = None
        if state.get("_mock_parent") is parent:
            state["_mock_parent"] = None


class Baseline:
    """What a freshly built mock looked like, and how to return to it."""

    __slots__ = (
        "_baseline_references",
        "_children",
        "_excess",
        "_methods",
        "_state",
        "_type_refs",
        "_type_state",
        "recyclable",
    )

    def __init__(self, built: Any) -> None:
        self._state = dict(built.__dict__)
        self._children = dict(built.__dict__["_mock_children"])
        self._type_state = dict(type(built).__dict__)
        methods = self._state.get("_mock_methods")
        self._methods = None if methods is None else tuple(methods)
        #: A child mock present at build time carries state of its own that
        #: this baseline does not record (the lazy autospec builds one only
        #: for a method named like a mock attribute, such as ``called``):
        #: such a mock is not recycled.
        self.recyclable = not any(
            isinstance(child, mock.NonCallableMock) for child in self._children.values()
        )
        self._excess = 0
        self._type_refs = 0
        self._baseline_references = 0

    # -- escape -----------------------------------------------------------

    def _internal_references(self, built: Any) -> int:
        """References to *built* held by its own structure (and this baseline).

        The baseline's own objects (placeholders, ``_SpecState`` objects, magic
        proxies) point at the mock whether installed or not -- the baseline
        keeps them for restoring -- so they count the same every time
        (:attr:`_baseline_references`). Only what is new since the baseline
        is looked at: children and attributes the test created.
        """
        count = self._baseline_references
        seen: set[int] = set()
        for container, original in (
            (built.__dict__, self._state),
            (built.__dict__["_mock_children"], self._children),
            (type(built).__dict__, self._type_state),
        ):
            for key, value in container.items():
                if original.get(key, _MISSING) is value:
                    continue
                if value is built:
                    count += 1
                elif id(value) not in seen:
                    seen.add(id(value))
                    if _is_internal(value, built):
                        count += _points_at(value, built)
        return count

    def _count_baseline_references(self, built: Any) -> int:
        count = 0
        seen: set[int] = set()
        for original in (self._children, self._type_state):
            for value in original.values():
                if id(value) not in seen:
                    seen.add(id(value))
                    if type(value) in _PLACEHOLDERS or _is_internal(value, built):
                        count += _points_at(value, built)
        return count

    def calibrate(self, holder: Any) -> None:
        """Record the reference counts of ``holder.mock`` as built.

        Call with the mock held only by ``holder.mock``.
        """
        self._baseline_references = self._count_baseline_references(holder.mock)
        self._excess = sys.getrefcount(holder.mock) - self._internal_references(
            holder.mock
        )
        self._type_refs = sys.getrefcount(type(holder.mock))

    def escaped(self, holder: Any) -> bool:
        """Whether anything outside ``holder.mock``'s structure refers to it."""
        excess = sys.getrefcount(holder.mock) - self._internal_references(holder.mock)
        return excess != self._excess

    # -- restore ----------------------------------------------------------

    def restore(self, holder: Any) -> str | None:
        """Bring ``holder.mock`` back to the baseline; return a discard reason.

        Returns ``None`` when the mock is pristine again (defaults not yet
        applied). Never raises for a mock's state; anything unexpected is a
        reason to discard.
        """
        built = holder.mock
        if not self.recyclable:
            return DiscardReason.EAGER_CHILDREN
        if sys.getrefcount(type(built)) != self._type_refs:
            return DiscardReason.ESCAPED
        state = built.__dict__
        for key, reason in _UNRESTORABLE.items():
            if state.get(key, _MISSING) is not self._state.get(key, _MISSING):
                return reason
        methods = state.get("_mock_methods")
        if (None if methods is None else tuple(methods)) != self._methods:
            return DiscardReason.SPEC_CHANGED

        self._restore_children(built)
        self._restore_type(built)
        # Attributes the test set, children it published, links it changed
        # and the call state: back to what the baseline holds. This is what
        # reset_mock(return_value=True, side_effect=True) does and more,
        # without adding the keys a non-callable mock's reset would add.
        for key in [key for key in state if key not in self._state]:
            _detach(state.pop(key), built)
        for key, value in self._state.items():
            current = state.get(key, _MISSING)
            if key in _CALL_LISTS:
                # New lists, as reset_mock makes: a test may keep the old.
                state[key] = type(value)()
            elif current is not value:
                if current is not _MISSING:
                    _detach(current, built)
                state[key] = value
        for placeholder in self._children.values():
            if type(placeholder) is _PendingMethod:
                placeholder._reset_return = placeholder._reset_side = False
        return None if self.matches(built) else DiscardReason.STATE

    def _restore_children(self, built: Any) -> None:
        children = built.__dict__["_mock_children"]
        for key in [key for key in children if key not in self._children]:
            _detach(children.pop(key), built)
        for key, original in self._children.items():
            current = children.get(key, _MISSING)
            if current is original:
                continue
            if current is not _MISSING:
                _detach(current, built)
            if type(original) in _PLACEHOLDERS:
                original._child = None
            children[key] = original

    def _restore_type(self, built: Any) -> None:
        own_type = type(built)
        for key in [key for key in own_type.__dict__ if key not in self._type_state]:
            _detach(own_type.__dict__[key], built)
            delattr(own_type, key)
        for key, original in self._type_state.items():
            current = own_type.__dict__.get(key, _MISSING)
            if current is not original and key not in ("__dict__", "__weakref__"):
                if current is not _MISSING:
                    _detach(current, built)
                setattr(own_type, key, original)

    def matches(self, built: Any) -> bool:
        """The fingerprint check after a restore: equal to the baseline.

        Every value in the mock's dict, its children and its own type's dict
        is the very object the baseline recorded, except the call lists,
        which may be new (empty) ones.
        """
        state = built.__dict__
        if state.keys() != self._state.keys():
            return False
        for key, value in self._state.items():
            if key in _CALL_LISTS:
                if state[key]:
                    return False
            elif state[key] is not value:
                return False
        children = state["_mock_children"]
        if children.keys() != self._children.keys():
            return False
        if any(children[key] is not value for key, value in self._children.items()):
            return False
        type_state = type(built).__dict__
        return type_state.keys() == self._type_state.keys() and all(
            type_state[key] is value
            for key, value in self._type_state.items()
            if key not in ("__dict__", "__weakref__")
        )


def _is_internal(value: Any, built: Any) -> bool:
    """Objects of the mock's own structure whose fields we may count."""
    if type(value) is _stdlib.SpecState or type(value) is _stdlib.MagicProxy:
        return True
    return value is not built and _is_adopted_mock(value, built)


_MISSING: Any = object()
