"""Which mock each accelerated mock class was made for, and whether it is kept.

Both halves of the plain-mock fast path need to find a class's mock from
the class alone: a shared magic proxy (:mod:`.shared_proxies`) serves the
mock whose class holds it, and the reuse of classes (:mod:`.class_reuse`)
hands a class on only once that mock is gone. One :class:`ClassEntry` per
accelerated class, found by a weak reference to the class, answers both,
and holds the class for reuse only while nothing of a test's can be in it
(contract 5): :func:`release` lets go of it before a test's value goes in.
"""

from __future__ import annotations

import weakref

# Bound at import: a test may patch a builtin while mockpool works for it.
from builtins import len
from typing import Any

__all__ = [
    "ClassEntry",
    "Owner",
    "entries",
    "forget_class",
    "held_references",
    "let_go",
    "new_entry",
    "owner_gone",
    "owner_of",
    "release",
]


class ClassEntry(weakref.ref):  # type: ignore[type-arg]
    """What we know of one accelerated mock class.

    A weak reference to the class itself (made by :func:`new_entry`), and
    its key in :data:`entries`: a plain ``weakref.ref(klass)`` finds it, as
    weak references to one live object are equal. One object per class
    rather than an entry and a reference, each of which the garbage
    collector would track.
    """

    __slots__ = ("free", "klass", "made_version", "owner", "size", "version_address")

    #: The class, held for reuse; ``None`` once it may hold a value of a
    #: test's, or if it is not to be reused.
    klass: type | None
    #: Where the entry goes when its mock is gone, for the next mock of its
    #: shape to take (:mod:`.class_reuse`); ``None`` if not to be reused.
    free: Any
    #: A weak reference to the mock the class was made for (:class:`Owner`).
    owner: Any
    #: How many names the class's namespace has when made.
    size: int
    #: Where the version of the class's namespace is read (see
    #: :mod:`mockpool._base.dict_versions`), and the version it had when
    #: made: the namespace is as made while it has that version. 0 if not
    #: read (a class not kept, or versions cannot be read here).
    version_address: int
    made_version: int

    def serve(self, instance: Any) -> None:
        """Make *instance* the mock of the class."""
        owner = Owner(instance, owner_gone)
        owner.entry = self
        self.owner = owner


def new_entry(klass: type, free: Any, size: int) -> ClassEntry:
    """The entry of *klass*, a class just made with *size* names; in
    :data:`entries` until the class is gone. The class is held for reuse
    if *free* (the list its entry goes to once its mock is gone) is given.
    """
    global held
    # weakref.ref's own __new__ and __init__: no Python frame for them.
    entry = ClassEntry(klass, forget_class)
    if free is None:
        entry.klass = None
    else:
        entry.klass = klass
        held += 1
    entry.free = free
    entry.owner = _dead_reference
    entry.size = size
    entry.version_address = entry.made_version = 0
    entries[entry] = entry
    return entry


def let_go(entry: ClassEntry) -> None:
    """Stop holding *entry*'s class for reuse."""
    global held
    if entry.klass is not None:
        entry.klass = None
        held -= 1


class Owner(weakref.ref):  # type: ignore[type-arg]
    """A weak reference to the mock a class serves, with the class's entry.

    Made as ``Owner(mock, owner_gone)``, then given its :attr:`entry`: the
    callback is one function for every mock rather than a bound method
    made per mock (an object fewer for the garbage collector to track).
    """

    __slots__ = ("entry",)

    entry: ClassEntry | None


def owner_gone(reference: Any) -> None:
    """An :class:`Owner`'s callback: its mock is gone.

    The class, if held, goes to its shape's free list for the next mock of
    that shape (:mod:`.class_reuse`), which checks it is still as made and
    held by nothing else before it takes it. A name the test added to
    ``type(m)`` itself (a PropertyMock, say) has the class let go of now,
    with the mock, rather than when it is next looked at.
    """
    entry = reference.entry
    # The entry refers to this reference: no cycle is left behind.
    reference.entry = None
    if entry is None:
        return
    klass = entry.klass
    if klass is None:
        return
    if len(klass.__dict__) != entry.size:
        let_go(entry)
    else:
        # At most as many as the entries hold: a bound of its own.
        entry.free.append(entry)


def _dead() -> None:
    return None


_dead_reference: Any = _dead

#: Every accelerated class (alive) by a weak reference to it: its entry.
entries: dict[Any, ClassEntry] = {}
#: How many classes the entries hold, in use or free (give or take a count
#: lost between threads: a bound, not a ledger).
held = 0


def forget_class(entry: Any) -> None:
    """Drop the entry of a class that is gone (the entry's own callback)."""
    entries.pop(entry, None)


def release(klass: Any) -> None:
    """Stop keeping *klass* for reuse: a test's value may go into it."""
    global held
    if klass is None:
        return
    entry = entries.get(weakref.ref(klass))
    # let_go, inline: this runs on every magic method a mock gets.
    if entry is not None and entry.klass is not None:
        entry.klass = None
        held -= 1


def held_references(klass: type) -> int:
    """How many references to *klass* this module holds (0 or 1).

    For code that counts a mock class's references to tell whether a test
    kept it (the pool's escape check): a class kept for reuse has one more,
    until a magic method of its mock is set.
    """
    entry = entries.get(weakref.ref(klass))
    return 0 if entry is None or entry.klass is not klass else 1


def owner_of(klass: type) -> Any:
    """The mock *klass* was made for, or ``None`` if it is gone or unknown."""
    entry = entries.get(weakref.ref(klass))
    return None if entry is None else entry.owner()
