"""The patch engine behind ``session.patch``: stdlib semantics, thread-safe.

A session's :class:`SessionPatcher` has the shapes of
:func:`unittest.mock.patch` (``patch``, ``patch.object``, ``patch.dict``,
``patch.multiple``), but every call starts its patch at once, owned by the
session, and :meth:`SessionPatcher.stopall` undoes that session's patches,
newest first, by patcher identity -- never with the process-wide
``mock.patch.stopall()``.

``new`` is computed as ``mock.patch`` computes it, on every supported Python:
a real stdlib ``_patch`` does the work against a private stand-in holding the
original, except for ``autospec``, which goes to :func:`mockpool.create_autospec`
after the stdlib's own checks.

Routing
-------

The stdlib's ``patch`` is not safe across threads: thread A patches a
target, thread B patches it too (and records A's mock as "the original"), A
stops (restoring the real original), B stops (restoring A's mock): a mock is
installed for good. Here every active patch of an attribute lives in one
process-wide *slot* keyed by ``(id(target), attribute)``, which keeps the
true original (from the first patch) and a stack of entries
``(owner, new)``:

* **Direct mode**, while every entry belongs to one thread and to one line of
  nested sessions (the newest entry's session and its ancestors): the target
  holds the newest entry's value by plain ``setattr``, exactly as the stdlib
  would, identity included (``module.thing is new``).
* **Router mode**, as soon as entries come from sessions of two threads (or
  from sibling sessions, such as two asyncio tasks): the target holds one
  :class:`_Router`, which hands every use to the value the *current* context
  should see -- the newest entry whose session is the current session or one
  of its ancestors, else the original.

When an entry leaves, the slot recomputes its mode; the last one out
restores the original with the stdlib's ``_patch.__exit__`` semantics.

Known limits of router mode:

* Identity: ``module.thing is session_mock`` is false, and
  ``type(module.thing)`` is :class:`_Router`, so ``isinstance`` against a
  mock class (``isinstance(module.thing, Mock)``) is false. Equality,
  hashing, ``isinstance`` against the value's own ``__class__`` (a specced
  mock's spec), calls, attributes and the common protocols are forwarded.
  Operators that are not listed on :class:`_Router` (arithmetic, ordering,
  ``__await__``, ...) are not. On a class the router is a descriptor that
  resolves first, so ``Class.method is session_mock`` does hold.
* A context without a session -- including a ``threading.Thread`` started by
  a test, which begins with an empty context -- sees the original. (In
  direct mode everyone sees the installed value, as with the stdlib.)
* A reference taken while the router is installed (``from mod import
  thing``) keeps the router after the patches end; it then resolves to the
  original.
* A session that did not patch a target sees whatever is installed: in
  direct mode, the value of the sessions that patched it.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any, Callable, Protocol
from unittest import mock

from mockpool._autospec.lazy import create_autospec
from mockpool._base import compat as _compat
from mockpool._sessions import context as _context
from mockpool.errors import (
    ArgumentTypeError,
    InvalidArgumentError,
    SessionStateError,
)

__all__ = ["PatchOwner", "SessionPatcher"]

DEFAULT: Any = mock.DEFAULT

# ``mock.patch`` treats these names as creatable on modules (they resolve to
# builtins anyway). Read from the stdlib so that both agree.
_BUILTINS: frozenset[str] = frozenset(
    getattr(mock, "_builtins", {n for n in dir(builtins) if not n.startswith("_")})
)

# Attributes for which the stdlib's ``_patch.__exit__`` sets the original
# back after ``delattr`` (proxy objects such as Django's settings).
_PROXY_FALLBACK_NAMES = (
    "__doc__",
    "__module__",
    "__defaults__",
    "__annotations__",
    "__kwdefaults__",
)

# 3.10+ raises this for specs that are already mocks; 3.9 has no such class
# (and makes no such checks).
_InvalidSpecError: type[Exception] = getattr(mock, "InvalidSpecError", Exception)


class PatchOwner(Protocol):
    """What the patch engine needs of a session.

    .. versionadded:: 0.1
    """

    @property
    def parent(self) -> PatchOwner | None:
        """The session that was current where this one was opened."""

    @property
    def thread_id(self) -> int:
        """``threading.get_ident()`` of the thread that opened the session."""

    @property
    def name(self) -> str:
        """A label for messages."""

    def get(self, service_name: str, /) -> Any:
        """Return the session's mock of a registered service."""


# -- the process-wide table of patched attributes ---------------------------

# One lock guards the table and every install and restore, so that the value
# a target holds always matches its slot. Reentrant: a target's __setattr__
# may run code that patches.
_lock = threading.RLock()
_slots: dict[tuple[int, str], _Slot] = {}


class _Entry:
    """One active patch of an attribute, owned by a session."""

    __slots__ = ("new", "owner", "slot")

    def __init__(self, owner: PatchOwner, new: Any) -> None:
        self.owner = owner
        self.new = new
        self.slot: _Slot | None = None


class _Slot:
    """Every active patch of one attribute of one object, oldest first."""

    __slots__ = (
        "attribute",
        "create",
        "entries",
        "installed",
        "key",
        "local",
        "original",
        "router",
        "target",
    )

    def __init__(
        self,
        key: tuple[int, str],
        target: Any,
        attribute: str,
        original: Any,
        local: bool,
        create: bool,
    ) -> None:
        self.key = key
        # Held strongly: the key's id() must not be reused while we live.
        self.target = target
        self.attribute = attribute
        self.original = original
        self.local = local
        self.create = create
        # Replaced, never mutated, so that routers read it without the lock.
        self.entries: tuple[_Entry, ...] = ()
        self.router: _Router | None = None
        # What we last put on the target (DEFAULT: nothing yet).
        self.installed: Any = DEFAULT

    def view(self, session: Any) -> Any:
        """What *session* sees: its own or an ancestor's value, else the original."""
        entries = self.entries
        if entries:
            lineage = _lineage(session)
            for entry in reversed(entries):
                owner = entry.owner
                if any(owner is s for s in lineage):
                    return entry.new
        return self.original

    def is_direct(self) -> bool:
        """Whether one installed value is right for every session with an entry."""
        entries = self.entries
        newest = entries[-1].owner
        thread_id = newest.thread_id
        lineage = _lineage(newest)
        return all(
            entry.owner.thread_id == thread_id
            and any(entry.owner is s for s in lineage)
            for entry in entries
        )


def _lineage(session: Any) -> list[Any]:
    """*session* and its ancestors, innermost first."""
    chain: list[Any] = []
    while session is not None and not any(session is s for s in chain):
        chain.append(session)
        session = getattr(session, "parent", None)
    return chain


def _get_original(target: Any, name: str) -> tuple[Any, bool]:
    """``_patch.get_original`` without its checks: ``(original, is_local)``."""
    try:
        return target.__dict__[name], True
    except (AttributeError, KeyError):
        return getattr(target, name, DEFAULT), False


def _restore(slot: _Slot) -> None:
    """Put the original back, as ``_patch.__exit__`` does."""
    target, name, original = slot.target, slot.attribute, slot.original
    if slot.local and original is not DEFAULT:
        setattr(target, name, original)
    else:
        delattr(target, name)
        if not slot.create and (
            not hasattr(target, name) or name in _PROXY_FALLBACK_NAMES
        ):
            # needed for proxy objects like django settings
            setattr(target, name, original)


def _apply(slot: _Slot) -> None:
    """Make the target hold what the slot's entries call for. Lock held."""
    entries = slot.entries
    if not entries:
        if _slots.get(slot.key) is slot:
            del _slots[slot.key]
        slot.installed = DEFAULT
        _restore(slot)
        return
    if slot.is_direct():
        value = entries[-1].new
    else:
        if slot.router is None:
            slot.router = _Router(slot)
        value = slot.router
    if slot.installed is not value:
        setattr(slot.target, slot.attribute, value)
        slot.installed = value


def _install(
    owner: PatchOwner, target: Any, attribute: str, create: bool, new: Any
) -> _Entry:
    """Add an entry for *new* to the attribute's slot and apply it."""
    entry = _Entry(owner, new)
    key = (id(target), attribute)
    with _lock:
        slot = _slots.get(key)
        if slot is None:
            # The true original: nothing of ours is installed on the target.
            original, local = _get_original(target, attribute)
            slot = _Slot(key, target, attribute, original, local, create)
            _slots[key] = slot
        entry.slot = slot
        slot.entries = (*slot.entries, entry)
        try:
            _apply(slot)
        except BaseException:
            slot.entries = tuple(e for e in slot.entries if e is not entry)
            # The first error is the one to report.
            with contextlib.suppress(Exception):
                _apply(slot)
            raise
    return entry


def _uninstall(entry: _Entry) -> None:
    """Remove *entry* (wherever it is in its stack) and apply the rest."""
    with _lock:
        slot = entry.slot
        if slot is None or not any(e is entry for e in slot.entries):
            return
        entry.slot = None
        slot.entries = tuple(e for e in slot.entries if e is not entry)
        _apply(slot)


def _view(target: Any, attribute: str, owner: PatchOwner) -> Any:
    """What *owner* sees as ``target.attribute`` (DEFAULT if it sees nothing)."""
    # Read under the lock so that no other thread's install slips in between
    # the slot lookup and the read of the true original.
    with _lock:
        slot = _slots.get((id(target), attribute))
        if slot is None:
            return _get_original(target, attribute)[0]
        return slot.view(owner)


# -- the router ----------------------------------------------------------------


def _resolve(router: _Router) -> Any:
    """The value the running context should see through *router*."""
    slot: _Slot = object.__getattribute__(router, "_mockpool_slot")
    value = slot.view(_context.current_session())
    if value is DEFAULT:
        raise AttributeError(
            f"{slot.target!r} has no attribute {slot.attribute!r} for the "
            "current session (another thread's session created it)"
        )
    return value


def _unwrap(value: Any) -> Any:
    return _resolve(value) if type(value) is _Router else value


class _Router:
    """Stands in for a target patched by sessions of several threads.

    Every use is handed to the value that the running context should see
    (:meth:`_Slot.view` of the current session): attribute get, set and
    delete (``__class__`` included, so ``isinstance`` answers for the
    value), calls (an ``async def`` value returns its coroutine, so awaiting
    works), item access, iteration, ``len``, ``bool``, ``in``, ``with``,
    ``async with``, ``repr``, ``str``, ``dir``, ``==`` and ``hash``. On a
    class it is a descriptor that binds as the value would. See the module
    docstring for its limits.
    """

    __slots__ = ("_mockpool_slot",)

    def __init__(self, slot: _Slot) -> None:
        object.__setattr__(self, "_mockpool_slot", slot)

    def __getattribute__(self, name: str) -> Any:
        return getattr(_resolve(self), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_resolve(self), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_resolve(self), name)

    def __dir__(self) -> list[str]:
        return dir(_resolve(self))

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        value = _resolve(self)
        get = getattr(type(value), "__get__", None)
        return value if get is None else get(value, instance, owner)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _resolve(self)(*args, **kwargs)

    def __repr__(self) -> str:
        return repr(_resolve(self))

    def __str__(self) -> str:
        return str(_resolve(self))

    def __eq__(self, other: object) -> bool:
        return bool(_resolve(self) == _unwrap(other))

    def __ne__(self, other: object) -> bool:
        return bool(_resolve(self) != _unwrap(other))

    def __hash__(self) -> int:
        return hash(_resolve(self))

    def __bool__(self) -> bool:
        return bool(_resolve(self))

    def __len__(self) -> int:
        return len(_resolve(self))

    def __iter__(self) -> Iterator[Any]:
        return iter(_resolve(self))

    def __contains__(self, item: object) -> bool:
        return item in _resolve(self)

    def __getitem__(self, key: Any) -> Any:
        return _resolve(self)[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        _resolve(self)[key] = value

    def __delitem__(self, key: Any) -> None:
        del _resolve(self)[key]

    def __enter__(self) -> Any:
        value = _resolve(self)
        return type(value).__enter__(value)

    def __exit__(self, *exc_info: Any) -> Any:
        value = _resolve(self)
        return type(value).__exit__(value, *exc_info)

    def __aenter__(self) -> Any:
        value = _resolve(self)
        return type(value).__aenter__(value)

    def __aexit__(self, *exc_info: Any) -> Any:
        value = _resolve(self)
        return type(value).__aexit__(value, *exc_info)


# -- computing new as mock.patch does ------------------------------------------


class _Holder:
    """A private target holding only the original, for the stdlib to patch.

    Every name, ``__dict__`` and ``__class__`` included, is a plain entry of
    its own namespace, so the stdlib's ``_patch`` can enter and exit on it
    whatever the attribute is called.
    """

    __slots__ = ("_values",)

    def __init__(self, name: str, value: Any) -> None:
        values = {} if value is DEFAULT else {name: value}
        object.__setattr__(self, "_values", values)

    def __getattribute__(self, name: str) -> Any:
        values: dict[str, Any] = object.__getattribute__(self, "_values")
        if name == "__dict__":
            return values
        try:
            return values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        object.__getattribute__(self, "_values")[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del object.__getattribute__(self, "_values")[name]
        except KeyError:
            raise AttributeError(name) from None


def _is_instance_mock(obj: Any) -> bool:
    # unittest.mock._is_instance_mock, the same on 3.9-3.13.
    return issubclass(type(obj), mock.NonCallableMock)


def _check_service(
    service: Any,
    new: Any,
    spec: Any,
    spec_set: Any,
    autospec: Any,
    new_callable: Any,
    kwargs: dict[str, Any],
) -> None:
    """Refuse keywords that contradict ``service=`` (it supplies ``new``)."""
    if service is None:
        return
    # mockpool's own errors, deriving from the builtins mock.patch raises for
    # conflicting keywords (TypeError and ValueError), which they mirror.
    if not isinstance(service, str):
        raise ArgumentTypeError(
            f"service must be the name of a registered service (a str), not "
            f"{service!r}; pass a name such as service='RedisService'"
        )
    if new is not DEFAULT:
        raise InvalidArgumentError(
            f"Cannot use 'new' and 'service' together: service={service!r} "
            f"supplies the new value; drop new={new!r} or service"
        )
    if new_callable is not None:
        raise InvalidArgumentError(
            f"Cannot use 'new_callable' and 'service' together: "
            f"service={service!r} supplies the new value; drop "
            f"new_callable={new_callable!r} or service"
        )
    if autospec not in (None, False):
        raise ArgumentTypeError(
            f"service={service!r} supplies the mock; can't also use "
            f"autospec={autospec!r}. Register the service with the spec instead"
        )
    if spec not in (None, False) or spec_set not in (None, False):
        raise InvalidArgumentError(
            f"service={service!r} supplies the mock; can't also use "
            f"spec={spec!r} or spec_set={spec_set!r}. Register the service "
            "with the spec instead"
        )
    configuring = sorted(k for k in kwargs if k != "unsafe")
    if configuring:
        raise ArgumentTypeError(
            f"Can't pass kwargs to a mock we aren't creating: "
            f"service={service!r} supplies the mock; configure "
            f"{', '.join(configuring)} on session.get({service!r}) instead"
        )


def _start(owner: PatchOwner, patcher: Any, service: str | None) -> tuple[Any, _Entry]:
    """Compute ``new`` as ``patcher.__enter__`` would, then install it routed.

    *patcher* is a fresh stdlib ``_patch`` (its constructor has validated
    the arguments); it is used up here and never started.

    Returns:
        The ``new`` that was installed, and its entry.
    """
    new, spec, spec_set = patcher.new, patcher.spec, patcher.spec_set
    autospec, kwargs = patcher.autospec, patcher.kwargs
    attribute = patcher.attribute
    target = _unwrap(patcher.getter())

    # normalise False to None
    if spec is False:
        spec = None
    if spec_set is False:
        spec_set = None
    if autospec is False:
        autospec = None

    if spec is not None and autospec is not None:
        raise TypeError("Can't specify spec and autospec")
    if (spec is not None or autospec is not None) and spec_set not in (True, None):
        raise TypeError("Can't provide explicit spec_set *and* spec or autospec")

    # What this session sees: the original, or what its own sessions put.
    original = _view(target, attribute, owner)
    create = bool(patcher.create)
    if attribute in _BUILTINS and isinstance(target, ModuleType):
        create = True
    if not create and original is DEFAULT:
        raise AttributeError(
            f"{target} does not have the attribute {attribute!r}; check the "
            "name, or pass create=True to add it"
        )

    if service is not None:
        new = owner.get(service)

    if autospec is None:
        # The stdlib computes new (or refuses) against a stand-in target.
        holder = _Holder(attribute, original)
        patcher.getter = lambda: holder
        patcher.new = new
        patcher.create = create
        patcher.attribute_name = None
        patcher.additional_patchers = []
        new = patcher.__enter__()
        patcher.__exit__(None, None, None)
    else:
        if new is not DEFAULT:
            raise TypeError(
                "autospec creates the mock for you. Can't specify autospec and new."
            )
        if original is DEFAULT:
            raise TypeError("Can't use 'autospec' with create=True")
        spec_set = bool(spec_set)
        if autospec is True:
            autospec = original
        if _compat.PY_3_10_PLUS:
            if _is_instance_mock(target):
                raise _InvalidSpecError(
                    f"Cannot autospec attr {attribute!r} as the patch "
                    f"target has already been mocked out. "
                    f"[target={target!r}, attr={autospec!r}]"
                )
            if _is_instance_mock(autospec):
                target_name = getattr(target, "__name__", target)
                raise _InvalidSpecError(
                    f"Cannot autospec attr {attribute!r} from target "
                    f"{target_name!r} as it has already been mocked out. "
                    f"[target={target!r}, attr={autospec!r}]"
                )
        new = create_autospec(autospec, spec_set=spec_set, _name=attribute, **kwargs)

    entry = _install(owner, target, attribute, create, new)
    return new, entry


# -- the session's patcher -----------------------------------------------------


def _describe(target: Any) -> str:
    """A short name for *target* in reports."""
    if isinstance(target, ModuleType):
        return target.__name__
    if isinstance(target, type):
        return f"{target.__module__}.{target.__qualname__}"
    kind = type(target)
    return f"<{kind.__module__}.{kind.__qualname__} object at {id(target):#x}>"


def _add_note(exc: BaseException, note: str) -> None:
    add_note = getattr(exc, "add_note", None)
    if add_note is not None:
        add_note(note)
    else:
        # Before 3.11 nothing prints __notes__, but the record is kept.
        notes = getattr(exc, "__notes__", None)
        if not isinstance(notes, list):
            notes = []
        notes.append(note)
        exc.__notes__ = notes  # type: ignore[attr-defined,unused-ignore]


class _Active:
    """A started patch: how to describe it and how to undo it."""

    __slots__ = ("description", "undo")

    def __init__(self, description: str, undo: Callable[[], object]) -> None:
        self.description = description
        self.undo = undo


class SessionPatcher:
    """``session.patch``: :func:`unittest.mock.patch` owned by a session.

    Each call starts its patch at once and returns what ``start()`` would
    return (the mock, the dict, or the dict of mocks for ``multiple``); the
    session undoes all of them with :meth:`stopall`. Every keyword of
    :func:`unittest.mock.patch` is accepted and means what it means there;
    ``autospec`` builds with :func:`mockpool.create_autospec`. Patches of the
    same target by sessions of several threads are routed, so each session
    sees its own value (see :mod:`mockpool._sessions.patching`).

    Args:
        owner: The session that owns the patches.

    .. versionadded:: 0.1
    """

    def __init__(self, owner: PatchOwner) -> None:
        self._owner = owner
        self._lock = threading.Lock()
        self._active: list[_Active] = []

    def __repr__(self) -> str:
        return f"<SessionPatcher of {self._owner.name!r}: {len(self)} active>"

    def __len__(self) -> int:
        with self._lock:
            return len(self._active)

    @property
    def active(self) -> list[str]:
        """Descriptions of the active patches, oldest first.

        .. versionadded:: 0.1
        """
        with self._lock:
            return [record.description for record in self._active]

    def __call__(
        self,
        target: str,
        new: Any = DEFAULT,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        *,
        service: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Patch the object named by *target* until the session ends.

        Args:
            target: ``"package.module.attribute"``, as for
                :func:`unittest.mock.patch`.
            new: The replacement; a mock is made if omitted.
            spec: As for :func:`unittest.mock.patch`.
            create: Allow patching an attribute that does not exist.
            spec_set: As for :func:`unittest.mock.patch`.
            autospec: ``True`` (or an object to spec from) to build the mock
                with :func:`mockpool.create_autospec`.
            new_callable: Called to make the mock.
            service: Name of a registered service: the replacement is the
                session's mock of it (``session.get(service)``).
            **kwargs: Configure the mock made, as for
                :func:`unittest.mock.patch` (``unsafe`` included).

        Returns:
            The replacement, as ``patch(...).start()`` returns it.

        Raises:
            TypeError: *target* is not a dotted string, or the keywords
                conflict (as :func:`unittest.mock.patch` raises).
            ValueError: Conflicting keywords (as :func:`unittest.mock.patch`
                raises).
            ArgumentTypeError: *service* is not a ``str``, or it comes with
                *autospec* or keywords that configure a mock.
            InvalidArgumentError: *service* comes with *new*, *new_callable*,
                *spec* or *spec_set*.
            AttributeError: The attribute is missing and *create* is false.
            ImportError: The module part of *target* does not import.
            SessionStateError: The session is closed.

        .. versionadded:: 0.1
        """
        self._refuse_if_closed()
        if not isinstance(target, str) or "." not in target:
            raise TypeError(
                f"Need a valid target to patch. You supplied: {target!r}; "
                "pass 'package.module.attribute', or use "
                "patch.object(obj, 'attribute') for an object"
            )
        _check_service(service, new, spec, spec_set, autospec, new_callable, kwargs)
        patcher = mock.patch(
            target, new, spec, create, spec_set, autospec, new_callable, **kwargs
        )
        return self._start_one(patcher, service, target)

    def object(
        self,
        target: Any,
        attribute: str,
        new: Any = DEFAULT,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        *,
        service: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Patch *attribute* of the object *target* until the session ends.

        Args:
            target: The object whose attribute to patch (not a string).
            attribute: The attribute's name.
            new: The replacement; a mock is made if omitted.
            spec: As for :func:`unittest.mock.patch.object`.
            create: Allow patching an attribute that does not exist.
            spec_set: As for :func:`unittest.mock.patch.object`.
            autospec: ``True`` (or an object to spec from) to build the mock
                with :func:`mockpool.create_autospec`.
            new_callable: Called to make the mock.
            service: Name of a registered service: the replacement is the
                session's mock of it.
            **kwargs: Configure the mock made.

        Returns:
            The replacement, as ``patch.object(...).start()`` returns it.

        Raises:
            TypeError: *target* is a string, or the keywords conflict.
            ValueError: Conflicting keywords.
            ArgumentTypeError: *service* is not a ``str``, or it comes with
                *autospec* or keywords that configure a mock.
            InvalidArgumentError: *service* comes with *new*, *new_callable*,
                *spec* or *spec_set*.
            AttributeError: The attribute is missing and *create* is false.
            SessionStateError: The session is closed.

        .. versionadded:: 0.1
        """
        self._refuse_if_closed()
        if type(target) is str:
            raise TypeError(
                f"{target!r} must be the actual object to be patched, not a str; "
                f"use session.patch({target + '.' + str(attribute)!r}) for a "
                "dotted name"
            )
        _check_service(service, new, spec, spec_set, autospec, new_callable, kwargs)
        patcher = mock.patch.object(
            target,
            attribute,
            new,
            spec,
            create,
            spec_set,
            autospec,
            new_callable,
            **kwargs,
        )
        return self._start_one(patcher, service, f"{_describe(target)}.{attribute}")

    def multiple(
        self,
        target: Any,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        **kwargs: Any,
    ) -> builtins.dict[str, Any]:
        """Patch several attributes of *target* until the session ends.

        All or nothing: if one attribute cannot be patched, those already
        patched by this call are undone before the error propagates.

        Args:
            target: The object, or its dotted name.
            spec: Applied to every patch, as for
                :func:`unittest.mock.patch.multiple`.
            create: Allow patching attributes that do not exist.
            spec_set: Applied to every patch.
            autospec: Applied to every patch.
            new_callable: Applied to every patch.
            **kwargs: ``attribute=new`` pairs; ``DEFAULT`` asks for a mock.

        Returns:
            The mocks made (for attributes given ``DEFAULT``) by name, as
            ``patch.multiple(...).start()`` returns them.

        Raises:
            ValueError: No attribute was given.
            AttributeError: An attribute is missing and *create* is false.
            SessionStateError: The session is closed.

        .. versionadded:: 0.1
        """
        self._refuse_if_closed()
        first = mock.patch.multiple(
            target, spec, create, spec_set, autospec, new_callable, **kwargs
        )
        patchers = [first, *first.additional_patchers]
        name = target if isinstance(target, str) else _describe(target)
        started: list[_Active] = []
        made: builtins.dict[str, Any] = {}
        try:
            for patcher in patchers:
                attribute = patcher.attribute_name
                wants_mock = patcher.new is DEFAULT
                new, entry = _start(self._owner, patcher, None)
                started.append(_routed(f"{name}.{attribute}", entry))
                if wants_mock:
                    made[attribute] = new
        except BaseException as exc:
            for record in reversed(started):
                try:
                    record.undo()
                except Exception as undo_exc:
                    _add_note(
                        exc, f"also failed undoing {record.description}: {undo_exc!r}"
                    )
            raise
        with self._lock:
            self._active.extend(started)
        return made

    def dict(
        self,
        in_dict: Any,
        values: Any = (),
        clear: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Patch a dictionary (or mapping) until the session ends.

        Dict patches are not routed: every thread sees the patched contents,
        as with :func:`unittest.mock.patch.dict`.

        Args:
            in_dict: The mapping, or its dotted name.
            values: Items to set: a mapping or ``(key, value)`` pairs.
            clear: Empty the mapping first.
            **kwargs: More items to set.

        Returns:
            The patched mapping, as ``patch.dict(...).start()`` returns it.

        Raises:
            ImportError: A dotted name did not import.
            SessionStateError: The session is closed.

        .. versionadded:: 0.1
        """
        self._refuse_if_closed()
        patcher: Any = mock.patch.dict(in_dict, values, clear, **kwargs)
        try:
            result = patcher.__enter__()
        except BaseException:
            if patcher._original is not None:
                patcher.__exit__(None, None, None)
            raise
        target = patcher.in_dict
        name = in_dict if isinstance(in_dict, str) else _describe(target)

        def undo() -> object:
            return patcher.__exit__(None, None, None)

        with self._lock:
            self._active.append(_Active(f"dict {name}", undo))
        return result

    def stopall(self) -> None:
        """Undo every patch this session started, newest first.

        Every patch is undone even if undoing another fails; the first error
        is raised at the end, with the others added to it as notes. Calling
        it again does nothing.

        Raises:
            Exception: The first error raised while undoing a patch.

        .. versionadded:: 0.1
        """
        errors: list[tuple[BaseException, str]] = []
        while True:
            with self._lock:
                if not self._active:
                    break
                record = self._active.pop()
            try:
                record.undo()
            except BaseException as exc:  # re-raised below
                errors.append((exc, record.description))
        if errors:
            first, first_description = errors[0]
            _add_note(first, f"while undoing the patch of {first_description}")
            for other, description in errors[1:]:
                _add_note(first, f"also failed undoing {description}: {other!r}")
            raise first

    def _refuse_if_closed(self) -> None:
        """Raise SessionStateError if the owning session has been closed.

        Its patches were undone when it closed; one started now would never
        be undone.
        """
        # Owners need not have ``closed``: the patch engine's own tests use
        # stand-ins that are never closed.
        if getattr(self._owner, "closed", False):
            raise SessionStateError(
                f"session {self._owner.name!r} is closed, so a patch made through "
                "it would never be undone; patch through an open session, such "
                "as a new mockpool.mock_session()"
            )

    def _start_one(self, patcher: Any, service: str | None, description: str) -> Any:
        new, entry = _start(self._owner, patcher, service)
        with self._lock:
            self._active.append(_routed(description, entry))
        return new


def _routed(description: str, entry: _Entry) -> _Active:
    def undo() -> object:
        _uninstall(entry)
        return None

    return _Active(description, undo)


def _reinit_after_fork() -> None:
    # A thread of the parent may have held the lock at the fork; in the
    # child that thread does not exist and the lock would stay held.
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_reinit_after_fork)
