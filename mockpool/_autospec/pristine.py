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

A baseline holds nothing a test put into the mock, and nothing that leads
back to the mock (contract 5: a mock the test drops is freed, with what was
passed to it, as under the stdlib; and a recycled mock does not keep its
first user's arguments alive). It records, per entry of the three places:

* values that can neither collect anything nor lead back to a mock (``None``,
  numbers, strings, classes, signatures, functions, sentinels): by
  identity;
* the mock's own containers (the children dict, the spec lists) and any
  other object it owns: by ``id`` -- valid, since the mock keeps them
  alive while they are in place -- with a frozen copy of their contents
  where they are not meant to change; one the test replaced cannot be
  restored, and discards the mock;
* call lists: by type only -- a restore installs new empty ones, as
  ``reset_mock`` does;
* the mock's own structure, which points back at it (placeholders, spec
  states, magic-method proxies): as a recipe. One still in place and
  untouched is kept; one the test replaced is built afresh from the recipe,
  exactly as the build made it.

Mocks are never copied: a copy shares magic methods with its original.
"""

from __future__ import annotations

import inspect
import sys
import types
import weakref

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all, any, delattr, getattr, id, isinstance, map, setattr, sum  # noqa: UP029
from typing import Any
from unittest import mock

from mockpool._autospec.lazy import _PendingMethod, _PendingRoutine
from mockpool._autospec.plain import SHARED_PROXY_TYPE, held_references
from mockpool._base import stdlib as _stdlib

__all__ = ["Baseline", "ClassBaseline", "DiscardReason"]


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
    FREED = "freed by the test"


# __dict__ entries that reset_mock(return_value=True, side_effect=True)
# rebuilds: compared by type and emptiness, never kept (a test appends its
# arguments to them). Any other _CallList (an AsyncMock's await list) too.
_CALL_LISTS = frozenset({"_mock_call_args_list", "_mock_mock_calls", "method_calls"})
_CALL_LIST_TYPE: Any = getattr(mock, "_CallList", None)
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
# Slots of a class that no restore writes (and Python refuses to set).
_TYPE_SLOTS = frozenset({"__dict__", "__weakref__"})
_CHILDREN = "_mock_children"

# Values a baseline may keep: they hold nothing and lead nowhere.
_INERT_TYPES = frozenset(
    {
        type(None),
        bool,
        int,
        float,
        complex,
        str,
        bytes,
        object,
        type(mock.DEFAULT),
        inspect.Signature,
        types.FunctionType,
        types.BuiltinFunctionType,
        # The magic proxies a mock's class shares with every other mock
        # (mockpool._autospec.plain): they name a method and hold nothing.
        SHARED_PROXY_TYPE,
    }
)

# Values that cannot be adopted child mocks: skipped when counting
# references (a container holding the mock is an outside reference).
_NOT_MOCKS = _INERT_TYPES | {list, tuple, dict, set, _CALL_LIST_TYPE}

# Recipe tags: how a baseline remembers one entry (see _recipe).
_HELD = 0  # (tag, value): the very object, kept
_OWNED = 1  # (tag, id, id of its type, snapshot of its contents or None)
_CALLS = 2  # (tag, type): a call list, empty
_PENDING = 3  # (tag, entry, spec_set): a _PendingMethod of the mock
_ROUTINE = 4  # (tag, entry, spec_set, instance): a _PendingRoutine of it
_SPEC = 5  # (tag, spec, spec_set, name, ids, instance): a _SpecState of it
_PROXY = 6  # (tag,): the mock's MagicProxy named like its key

Recipe = tuple[Any, ...]


def _inert(value: Any) -> bool:
    """Whether *value* can neither collect what a test passes nor reach a mock."""
    kind = type(value)
    if kind in _INERT_TYPES or isinstance(value, type):
        return True
    return kind is tuple and all(_inert(item) for item in value)


def _snapshot(value: Any) -> Any:
    """The contents of a container, as a comparable value (None for others)."""
    kind = type(value)
    if kind is list or kind is tuple:
        return tuple(value)
    if kind is dict:
        return tuple(value.items())
    if kind is set or kind is frozenset:
        return frozenset(value)
    return None


def _frozen(value: Any) -> Any:
    """:func:`_snapshot` of a container made of inert values only, or None."""
    contents = _snapshot(value)
    if contents is None:
        return None
    # Most are lists of names: checked at C speed.
    if set(map(type, contents)) <= _INERT_TYPES:
        return contents
    return contents if all(_inert(item) for item in contents) else None


def _recipe(value: Any, built: Any, key: str, place: str) -> Recipe:
    """How a baseline remembers *value*, the entry *key* of *built*'s *place*.

    *place* is ``"dict"``, ``"children"`` or ``"type"``. Never the value
    itself unless it is inert: a call list or a container would keep what
    the test put in it, and the mock's own structure would keep the mock
    alive.
    """
    kind = type(value)
    # The mock's own structure, where the build puts it (see
    # _internal_references): described, not kept.
    if place == "children" and _is_placeholder(value, kind, built, key):
        if kind is _PendingMethod:
            return (_PENDING, value._entry, value._spec_set)
        return (_ROUTINE, value._entry, value._spec_set, value._instance)
    # Attributes are read only from our own and the stdlib's types: reading
    # one from a mock could create a child.
    if place == "children" and kind is _stdlib.SpecState and _homed(value, built, key):
        spec = (value.spec, value.spec_set, value.name, value.ids, value.instance)
        return (_SPEC, *spec)
    if place == "type" and kind is _stdlib.MagicProxy and _homed(value, built, key):
        return (_PROXY,)
    if place == "dict" and (key in _CALL_LISTS or kind is _CALL_LIST_TYPE):
        return (_CALLS, kind)
    if _inert(value):
        return (_HELD, value)
    # The children dict changes with every use and is restored in place:
    # only its identity is part of the baseline.
    frozen = None if key == _CHILDREN else _frozen(value)
    return (_OWNED, id(value), id(kind), frozen)


def _is_placeholder(value: Any, kind: type, built: Any, key: str) -> bool:
    """Whether *value* is a not yet built placeholder of *built* for *key*."""
    if kind is not _PendingMethod and kind is not _PendingRoutine:
        return False
    return value._parent is built and value._child is None and value._entry.name == key


def _type_references(own_type: type) -> int:
    """References to a mock's own class, but for plain.py's reuse pool.

    The pool lets go of a class when a magic method of its mock is set,
    which must not look like a reference the test dropped.
    """
    return sys.getrefcount(own_type) - held_references(own_type)


def _homed(value: Any, built: Any, key: str) -> bool:
    """Whether a spec state or magic proxy is *built*'s own, for *key*."""
    return value.parent is built and value.name == key


def _fits(current: Any, recipe: Recipe, key: str, built: Any) -> bool:
    """Whether *current*, at *key*, is what *recipe* describes, pristine.

    Placeholders and proxies have faster checks of their own in
    :class:`Baseline`; this handles every recipe.
    """
    tag = recipe[0]
    if tag == _HELD:
        return current is recipe[1]
    kind = type(current)
    if tag == _PENDING:
        return (
            kind is _PendingMethod
            and current._parent is built
            and current._child is None
            and current._entry is recipe[1]
            and current._spec_set is recipe[2]
            and not current._reset_return
            and not current._reset_side
        )
    if tag == _ROUTINE:
        return (
            kind is _PendingRoutine
            and current._parent is built
            and current._child is None
            and current._entry is recipe[1]
            and current._spec_set is recipe[2]
            and current._instance is recipe[3]
        )
    if tag == _SPEC:
        return (
            kind is _stdlib.SpecState
            and current.parent is built
            and current.spec is recipe[1]
            and current.spec_set is recipe[2]
            and current.name is recipe[3]
            and current.ids is recipe[4]
            and current.instance is recipe[5]
        )
    if tag == _PROXY:
        return (
            kind is _stdlib.MagicProxy
            and current.parent is built
            and current.name == key
        )
    if tag == _CALLS:
        return kind is recipe[1] and not current
    # _OWNED: the same object (alive, since the mock holds it), unchanged.
    return (
        id(current) == recipe[1]
        and id(kind) == recipe[2]
        and (recipe[3] is None or _snapshot(current) == recipe[3])
    )


def _fresh(recipe: Recipe, key: str, built: Any) -> Any:
    """What *recipe* describes, for *built*; ``_MISSING`` if it cannot be made."""
    tag = recipe[0]
    if tag == _HELD:
        return recipe[1]
    if tag == _PENDING:
        return _PendingMethod(built, recipe[1], recipe[2])
    if tag == _ROUTINE:
        return _PendingRoutine(built, recipe[1], recipe[2], recipe[3])
    if tag == _SPEC:
        spec, spec_set, name, ids, instance = recipe[1:]
        return _stdlib.SpecState(spec, spec_set, built, name, ids, instance)
    if tag == _PROXY:
        return _stdlib.MagicProxy(key, built)
    if tag == _CALLS:
        return recipe[1]()
    return _MISSING  # an object of the mock's own that the test replaced


def _points_at(obj: Any, target: Any) -> int:
    """How many of *obj*'s own fields refer to *target*."""
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


def _children_of(built: Any) -> dict[str, Any]:
    children = built.__dict__.get(_CHILDREN)
    return children if type(children) is dict else {}


def _mock_references(value: Any, built: Any, seen: set[int]) -> int:
    """References to *built* from *value*: itself, or an adopted child mock.

    A child mock may sit in several places (the children, the dict, the
    type); it counts once.
    """
    if value is built:
        return 1
    if not _is_adopted_mock(value, built) or id(value) in seen:
        return 0
    seen.add(id(value))
    return _points_at(value, built)


def _internal_references(built: Any) -> int:
    """References to *built* held by its own structure, as it is now.

    The baseline holds none (it keeps recipes, not the objects), so only
    what is in the mock counts. Each placeholder, spec state and magic
    proxy counts its one pointer to the mock, and only where the build put
    it (under its own name, in the children or the type): counting one
    twice, or one moved elsewhere, could hide an outside reference, while
    not counting it can only make the mock look escaped. Adopted child
    mocks count all their pointers, once each.
    """
    count = 0
    seen: set[int] = set()
    spec_state, proxy = _stdlib.SpecState, _stdlib.MagicProxy
    inert = _NOT_MOCKS
    # Inlined checks: this runs over every entry of every mock handed out.
    for key, value in _children_of(built).items():
        kind = type(value)
        if kind is _PendingMethod or kind is _PendingRoutine:
            if value._parent is built and value._entry.name == key:
                count += 1
        elif kind is spec_state:
            if value.parent is built and value.name == key:
                count += 1
        elif kind not in inert:
            count += _mock_references(value, built, seen)
    for key, value in type(built).__dict__.items():
        kind = type(value)
        if kind is proxy:
            if value.parent is built and value.name == key:
                count += 1
        elif kind not in inert:
            count += _mock_references(value, built, seen)
    for value in built.__dict__.values():
        if type(value) not in inert:
            count += _mock_references(value, built, seen)
    return count


class Baseline:
    """What a freshly built mock looked like, and how to return to it."""

    __slots__ = (
        "_child_keys",
        "_children",
        "_excess",
        "_guards",
        "_held",
        "_pending",
        "_proxies",
        "_state",
        "_state_keys",
        "_type_keys",
        "_type_refs",
        "_type_state",
        "recyclable",
    )

    def __init__(self, built: Any) -> None:
        # Each place split into the common case, checked inline (kept
        # values; placeholders; magic proxies), and recipes for the rest.
        self._held: dict[str, Any] = {}
        self._state: dict[str, Recipe] = {}
        for key, value in built.__dict__.items():
            recipe = _recipe(value, built, key, "dict")
            if recipe[0] == _HELD:
                self._held[key] = value
            else:
                self._state[key] = recipe
        self._state_keys = frozenset(built.__dict__)
        # What no restore can change back, with the discard reason: an entry
        # absent at build must stay absent.
        self._guards = tuple(
            (key, reason, self._state.get(key, (_HELD, self._held.get(key, _MISSING))))
            for key, reason in _UNRESTORABLE.items()
        )
        children = _children_of(built)
        self._pending: dict[str, tuple[Any, Any]] = {}
        self._children: dict[str, Recipe] = {}
        for key, value in children.items():
            recipe = _recipe(value, built, key, "children")
            if recipe[0] == _PENDING:
                self._pending[key] = (recipe[1], recipe[2])
            else:
                self._children[key] = recipe
        self._child_keys = frozenset(children)
        proxies: list[str] = []
        self._type_state: dict[str, Recipe] = {}
        for key, value in type(built).__dict__.items():
            if key in _TYPE_SLOTS:
                continue
            recipe = _recipe(value, built, key, "type")
            if recipe[0] == _PROXY:
                proxies.append(key)
            else:
                self._type_state[key] = recipe
        self._proxies = tuple(proxies)
        self._type_keys = frozenset(proxies) | self._type_state.keys()
        #: A child mock present at build time carries state of its own that
        #: this baseline does not record (the lazy autospec builds one only
        #: for a method named like a mock attribute, such as ``called``):
        #: such a mock is not recycled.
        self.recyclable = not any(
            isinstance(child, mock.NonCallableMock) for child in children.values()
        )
        self._excess = 0
        self._type_refs = 0

    # -- escape -----------------------------------------------------------

    def calibrate(self, holder: Any) -> None:
        """Record the reference counts of ``holder.mock`` as built.

        Call with the mock held only by ``holder.mock`` (held strongly).
        """
        self._excess = sys.getrefcount(holder.mock) - _internal_references(holder.mock)
        self._type_refs = _type_references(type(holder.mock))

    def escaped(self, holder: Any) -> bool:
        """Whether anything outside ``holder.mock``'s structure refers to it.

        Call with the mock held as when calibrated: by ``holder.mock`` only.
        """
        excess = sys.getrefcount(holder.mock) - _internal_references(holder.mock)
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
        if _type_references(type(built)) != self._type_refs:
            return DiscardReason.ESCAPED
        state = built.__dict__
        for key, reason, recipe in self._guards:
            if not _fits(state.get(key, _MISSING), recipe, key, built):
                return reason
        # The mock's own containers cannot be rebuilt from a recipe: one the
        # test replaced is a state no fresh build has.
        for key, recipe in self._state.items():
            if recipe[0] == _OWNED and id(state.get(key, _MISSING)) != recipe[1]:
                return DiscardReason.STATE

        if not (self._restore_children(built) and self._restore_type(built)):
            return DiscardReason.STATE
        # Attributes the test set, children it published, links it changed
        # and the call state: back to what the baseline holds. This is what
        # reset_mock(return_value=True, side_effect=True) does and more,
        # without adding the keys a non-callable mock's reset would add.
        keys = self._state_keys
        for key in [key for key in state if key not in keys]:
            _detach(state.pop(key), built)
        for key, value in self._held.items():
            current = state.get(key, _MISSING)
            if current is not value:
                if current is not _MISSING:
                    _detach(current, built)
                state[key] = value
        for key, recipe in self._state.items():
            if recipe[0] == _CALLS:
                # New lists, as reset_mock makes: a test may keep the old.
                state[key] = recipe[1]()
        # The placeholders and proxies were checked one by one just now, and
        # nothing since touches them: the fingerprint check need not repeat
        # those two loops.
        return None if self._matches(built, structure=False) else DiscardReason.STATE

    def _stale_pending(self, children: dict[str, Any], built: Any) -> list[str]:
        """Keys whose placeholder is not this mock's pristine one."""
        stale = []
        for key, (entry, spec_set) in self._pending.items():
            current = children.get(key)
            if not (
                type(current) is _PendingMethod
                and current._parent is built
                and current._child is None
                and current._entry is entry
                and current._spec_set is spec_set
                and not current._reset_return
                and not current._reset_side
            ):
                stale.append(key)
        return stale

    def _stale_proxies(self, namespace: Any, built: Any) -> list[str]:
        """Keys of the type whose magic proxy is not this mock's pristine one."""
        proxy = _stdlib.MagicProxy
        stale = []
        for key in self._proxies:
            current = namespace.get(key)
            if not (
                type(current) is proxy
                and current.parent is built
                and current.name == key
            ):
                stale.append(key)
        return stale

    def _restore_children(self, built: Any) -> bool:
        children = built.__dict__[_CHILDREN]
        keys = self._child_keys
        for key in [key for key in children if key not in keys]:
            _detach(children.pop(key), built)
        # A used method's placeholder was swapped for the child it built:
        # a new placeholder, as the build makes it, takes its place.
        for key in self._stale_pending(children, built):
            entry, spec_set = self._pending[key]
            _detach(children.get(key), built)
            children[key] = _PendingMethod(built, entry, spec_set)
        for key, recipe in self._children.items():
            current = children.get(key, _MISSING)
            if _fits(current, recipe, key, built):
                continue
            fresh = _fresh(recipe, key, built)
            if fresh is _MISSING:
                return False
            _detach(current, built)
            children[key] = fresh
        return True

    def _restore_type(self, built: Any) -> bool:
        own_type = type(built)
        namespace = own_type.__dict__
        keys = self._type_keys
        for key in [key for key in namespace if key not in keys]:
            if key not in _TYPE_SLOTS:
                _detach(namespace[key], built)
                delattr(own_type, key)
        for key in self._stale_proxies(namespace, built):
            _detach(namespace.get(key), built)
            setattr(own_type, key, _stdlib.MagicProxy(key, built))
        for key, recipe in self._type_state.items():
            current = namespace.get(key, _MISSING)
            if _fits(current, recipe, key, built):
                continue
            fresh = _fresh(recipe, key, built)
            if fresh is _MISSING:
                return False
            _detach(current, built)
            setattr(own_type, key, fresh)
        return True

    def matches(self, built: Any) -> bool:
        """The fingerprint check after a restore: equal to the baseline.

        Every entry of the mock's dict, its children and its own type's dict
        is what the baseline recorded: the very object for inert values and
        the mock's own containers (with their frozen contents), an untouched
        placeholder, spec state or magic proxy of this mock for its
        structure, and new empty call lists.
        """
        return self._matches(built, structure=True)

    def _matches(self, built: Any, *, structure: bool) -> bool:
        """:meth:`matches`, optionally without the structure's own checks.

        *structure* False skips checking each placeholder and magic proxy
        (the keys they sit under are still compared), for a caller that has
        just made each of them pristine.
        """
        state = built.__dict__
        if state.keys() != self._state_keys:
            return False
        for key, value in self._held.items():
            if state[key] is not value:
                return False
        for key, recipe in self._state.items():
            if not _fits(state[key], recipe, key, built):
                return False
        children = state[_CHILDREN]
        if children.keys() != self._child_keys:
            return False
        if structure and self._stale_pending(children, built):
            return False
        for key, recipe in self._children.items():
            if not _fits(children[key], recipe, key, built):
                return False
        namespace = type(built).__dict__
        if namespace.keys() - _TYPE_SLOTS != self._type_keys:
            return False
        if structure and self._stale_proxies(namespace, built):
            return False
        return all(
            _fits(namespace[key], recipe, key, built)
            for key, recipe in self._type_state.items()
        )


# Where a class mock keeps the instance mock it returns.
_RETURN_VALUE = "_mock_return_value"


class _ReturnedHolder:
    """The holder protocol of :class:`Baseline` for a class mock's instance.

    ``mock`` reads the instance from the class mock each time, so that no
    variable of ours holds it while its references are counted: the count
    is the same when calibrated and when checked.
    """

    __slots__ = ("_owner",)

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    @property
    def mock(self) -> Any:
        return self._owner.mock.__dict__.get(_RETURN_VALUE, _MISSING)


class ClassBaseline(Baseline):
    """The baseline of a class autospec: the class mock and the instance it returns.

    ``create_autospec(cls)`` (``instance=False``) builds a callable mock of
    the class whose ``return_value`` is an instance autospec of it, built at
    the same time with the class mock as its parent (name ``()``). A test
    reaches that instance through ``MockClass()`` or
    ``MockClass.return_value`` and configures it
    (``MockClass.return_value.method.return_value = x``). To the class
    mock's own baseline the instance is just an object it owns, checked by
    identity only; so the instance gets a baseline of its own and the same
    proof -- escape and restore -- as a pooled instance mock:

    * **escape**: nothing outside may refer to the class mock *or* to its
      instance (a module global keeping ``MockClass()`` would see the next
      test's calls);
    * **restore**: the class mock is restored, then the instance -- the very
      one the build made (held weakly here, compared by identity): a test
      that replaced ``return_value`` or reset it with
      ``reset_mock(return_value=True)`` leaves a state that no restore can
      rebuild faithfully, and the mock is discarded.

    Holds nothing that leads back to either mock but a weak reference.
    """

    __slots__ = ("_instance", "_returned")

    def __init__(self, built: Any) -> None:
        super().__init__(built)
        returned = built.__dict__.get(_RETURN_VALUE, _MISSING)
        self._instance: Baseline | None = None
        self._returned: weakref.ref[Any] | None = None
        if _is_adopted_mock(returned, built):
            self._instance = Baseline(returned)
            self._returned = weakref.ref(returned)
            self.recyclable = self.recyclable and self._instance.recyclable
        else:
            # Not what create_autospec(cls) builds: nothing to prove it by.
            self.recyclable = False

    def _returns_its_instance(self, built: Any) -> bool:
        """Whether *built* still returns the instance it was built with."""
        reference = self._returned
        returned = None if reference is None else reference()
        return returned is not None and built.__dict__.get(_RETURN_VALUE) is returned

    def calibrate(self, holder: Any) -> None:
        """Record the reference counts of ``holder.mock`` and its instance."""
        super().calibrate(holder)
        if self._instance is not None:
            self._instance.calibrate(_ReturnedHolder(holder))

    def escaped(self, holder: Any) -> bool:
        """Whether anything outside refers to the class mock or its instance."""
        if self._instance is None or not self._returns_its_instance(holder.mock):
            # Replaced: restore() discards it for that. Not asked first, the
            # dropped instance (not yet collected: it is in a cycle) would
            # count as an outside holder of the class mock.
            return False
        if super().escaped(holder):
            return True
        return self._instance.escaped(_ReturnedHolder(holder))

    def restore(self, holder: Any) -> str | None:
        """Bring the class mock and its instance back; or a discard reason."""
        if self._instance is None:
            return DiscardReason.STATE
        if not self._returns_its_instance(holder.mock):
            return DiscardReason.STATE
        reason = super().restore(holder)
        if reason is not None:
            return reason
        return self._instance.restore(_ReturnedHolder(holder))

    def matches(self, built: Any) -> bool:
        """The fingerprint check of both the class mock and its instance."""
        if self._instance is None or not self._returns_its_instance(built):
            return False
        return super().matches(built) and self._instance.matches(
            built.__dict__[_RETURN_VALUE]
        )


_MISSING: Any = object()
