"""The process-wide table that routes a patched attribute to its sessions.

Every active session patch of an attribute is recorded here, and the target
holds what the records call for; :mod:`mockpool._sessions.patcher` computes
the value and calls :func:`install` and :func:`uninstall`.

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

One lock guards the table and every install and restore; a forked child
gets a new one, so a lock held by another thread of the parent at the fork
does not stay held.

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

import contextlib
import os
import threading

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import (
    all,
    any,
    delattr,
    dir,
    getattr,
    hasattr,
    hash,
    id,
    iter,
    len,
    repr,
    reversed,
    setattr,
)
from collections.abc import Iterator
from typing import Any, Protocol
from unittest import mock

from mockpool._sessions import context as _context

__all__ = ["Entry", "RouteOwner", "install", "uninstall", "unwrap", "view"]

DEFAULT: Any = mock.DEFAULT

# Attributes for which the stdlib's ``_patch.__exit__`` sets the original
# back after ``delattr`` (proxy objects such as Django's settings).
_PROXY_FALLBACK_NAMES = (
    "__doc__",
    "__module__",
    "__defaults__",
    "__annotations__",
    "__kwdefaults__",
)


class RouteOwner(Protocol):
    """What the routing table needs of the session that owns an entry."""

    @property
    def parent(self) -> RouteOwner | None:
        """The session that was current where this one was opened."""

    @property
    def thread_id(self) -> int:
        """``threading.get_ident()`` of the thread that opened the session."""


# -- the process-wide table of patched attributes ---------------------------

# One lock guards the table and every install and restore, so that the value
# a target holds always matches its slot. Reentrant: a target's __setattr__
# may run code that patches.
_lock = threading.RLock()
_slots: dict[tuple[int, str], _Slot] = {}


class Entry:
    """One active patch of an attribute, owned by a session."""

    __slots__ = ("new", "owner", "slot")

    def __init__(self, owner: RouteOwner, new: Any) -> None:
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
        self.entries: tuple[Entry, ...] = ()
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


def install(
    owner: RouteOwner, target: Any, attribute: str, create: bool, new: Any
) -> Entry:
    """Add an entry for *new* to the attribute's slot and apply it."""
    entry = Entry(owner, new)
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


def uninstall(entry: Entry) -> None:
    """Remove *entry* (wherever it is in its stack) and apply the rest."""
    with _lock:
        slot = entry.slot
        if slot is None or not any(e is entry for e in slot.entries):
            return
        entry.slot = None
        slot.entries = tuple(e for e in slot.entries if e is not entry)
        _apply(slot)


def view(target: Any, attribute: str, owner: RouteOwner) -> Any:
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


def unwrap(value: Any) -> Any:
    """*value*, or the value a router hands to the running context."""
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
        return bool(_resolve(self) == unwrap(other))

    def __ne__(self, other: object) -> bool:
        return bool(_resolve(self) != unwrap(other))

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


def _reinit_after_fork() -> None:
    # A thread of the parent may have held the lock at the fork; in the
    # child that thread does not exist and the lock would stay held.
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_reinit_after_fork)
