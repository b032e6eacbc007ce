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
    "entries",
    "forget_class",
    "held_references",
    "owner_of",
    "release",
]


class ClassEntry:
    """What we know of one accelerated mock class."""

    __slots__ = ("__weakref__", "klass", "owner", "reference", "size")

    def __init__(self, klass: type | None, reference: Any, size: int) -> None:
        #: The class, held for reuse; ``None`` once it may hold a value of
        #: a test's, or if it is not to be reused.
        self.klass = klass
        #: A weak reference to the class: the key of :data:`entries`.
        self.reference = reference
        #: A weak reference to the mock the class was made for.
        self.owner: Any = _dead_reference
        #: How many names the class's namespace has when made.
        self.size = size

    def serve(self, instance: Any) -> None:
        """Make *instance* the mock of the class."""
        self.owner = weakref.ref(instance, self._owner_gone)

    def _owner_gone(self, _reference: Any) -> None:
        # A name the test added to type(m) itself (a PropertyMock, say) is
        # let go with the mock, not when the class is next looked at.
        klass = self.klass
        if klass is not None and len(klass.__dict__) != self.size:
            self.klass = None


def _dead() -> None:
    return None


_dead_reference: Any = _dead

#: Every accelerated class (alive) by a weak reference to it.
entries: dict[Any, ClassEntry] = {}


def forget_class(reference: Any) -> None:
    """Drop the entry of a class that is gone (its weak reference's callback)."""
    entries.pop(reference, None)


def release(klass: Any) -> None:
    """Stop keeping *klass* for reuse: a test's value may go into it."""
    if klass is None:
        return
    entry = entries.get(weakref.ref(klass))
    if entry is not None:
        entry.klass = None


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
