"""Mock classes of dropped mocks, handed to the next mock of the same kind.

Every mock gets a class of its own (``type(m)`` differs between any two
living mocks, so a magic method configured on one never shows on
another), and making it with ``type()`` costs more than the rest of
``Mock()``. A class whose mock is gone and that nothing else refers to --
strongly (its reference count) or weakly (an ABC's ``isinstance`` cache,
a singledispatch registry) -- is indistinguishable from a new one if its
namespace, name and bases are those it was made with: it is handed to the
next mock of the same shape (:class:`Shape`: the class built, the async
base, the magic proxies).

Keeping a class for reuse must never keep alive what a test put on it
(contract 5): a class is held only while its namespace is its template.
Everything that puts a value there through the mock -- a magic proxy's
first use, ``m.__len__ = ...``, ``_mock_set_magics`` -- lets go of it first
(:func:`~.class_entries.release`); a name a test adds to ``type(m)`` itself
is seen by its length, each time the class is looked at.
"""

from __future__ import annotations

import collections
import contextlib
import sys
import weakref

# Bound at import: a test may patch a builtin while mockpool works for it.
from builtins import id, len, min, range  # noqa: UP029
from typing import Any

from mockpool._autospec.plain.class_entries import ClassEntry, new_entry
from mockpool._autospec.plain.shared_proxies import SHARED_PROXIES
from mockpool._autospec.plain.stdlib import (
    MOCK_MODULE_NAME,
    STDLIB_CLASSES,
    NonCallableMock,
)

__all__ = [
    "KEPT_LIMIT",
    "MAX_SHAPES",
    "SHAPE_LIMIT",
    "Shape",
    "let_go_of_kept_classes",
    "shape_of",
]


class Shape:
    """The mock classes of one (class, async base, magics) combination."""

    __slots__ = ("bases", "entries", "keep", "magics", "name", "namespace", "values")

    def __init__(
        self,
        cls: type,
        bases: tuple[type, ...],
        magics: tuple[str, ...] | None,
        keep: bool,
    ) -> None:
        # What NonCallableMock.__new__ gives type(); type() adds __module__
        # from the caller's globals: unittest.mock's.
        namespace: dict[str, Any] = {
            "__doc__": cls.__doc__,
            "__module__": MOCK_MODULE_NAME,
        }
        if magics:
            shared = SHARED_PROXIES
            namespace.update([(name, shared[name]) for name in magics])
        self.bases = bases
        self.name: str = cls.__name__
        #: What type() is given: it makes a copy of its own.
        self.namespace = namespace
        self.values = tuple(namespace.values())
        self.magics = magics  # kept so that its id stays this shape's
        #: Whether classes of this shape are kept for reuse.
        self.keep = keep
        #: The entries of the classes of this shape made lately, oldest
        #: first; the ones in use are passed over.
        self.entries: collections.deque[ClassEntry] = collections.deque()

    def entry(self) -> tuple[ClassEntry, type]:
        """The entry of a class for a new mock -- reused if one is free --
        and the class.

        The class comes back held, from before its entry is in the queue
        again: another thread looking at the entry meanwhile sees it in use
        (its reference count), and cannot hand it to a second mock before
        this one is made.
        """
        global _kept
        if not self.keep:
            return self.new_entry(keep=False)
        found = self.reused_entry()
        if found is None:
            found = self.new_entry(keep=True)
        entries = self.entries
        entries.append(found[0])
        _kept += 1
        if len(entries) > SHAPE_LIMIT or _kept > KEPT_LIMIT:
            with contextlib.suppress(IndexError):  # another thread emptied it
                entries.popleft().klass = None
                _kept -= 1
        return found

    def new_entry(self, keep: bool) -> tuple[ClassEntry, type]:
        """A class of this shape made now, and its entry; held for reuse if
        *keep*."""
        # type() copies the namespace, and adds nothing to it: __module__
        # and __qualname__ come from it, or from the name.
        klass = type(self.name, self.bases, self.namespace)
        return new_entry(klass, keep, len(self.values)), klass

    def pristine(self, klass: type) -> bool:
        """Whether *klass* is as :meth:`new_entry` made it."""
        namespace = klass.__dict__
        if len(namespace) != len(self.values):
            return False
        values = tuple(namespace.values())
        template = self.values
        # Values in order are enough: each proxy is its name's alone. The
        # docstring and module first, by identity: then the tuples'
        # comparison asks only the template's proxies (whose __eq__ is
        # identity) about a value, never a mock a test put there.
        return (
            values[0] is template[0]
            and values[1] is template[1]
            and template == values
            and klass.__bases__ == self.bases
            and klass.__name__ == self.name
            and klass.__qualname__ == self.name
        )

    def reused_entry(self) -> tuple[ClassEntry, type] | None:
        """The entry of a class of this shape nothing uses, and the class;
        or ``None``."""
        global _kept
        entries = self.entries
        for _ in range(min(_CANDIDATES, len(entries))):
            try:
                entry = entries.popleft()
            except IndexError:  # another thread took the last one
                return None
            _kept -= 1
            klass = entry.klass
            if klass is None:
                continue  # released: left to the garbage collector
            if _usage(klass) != _UNUSED:
                if len(klass.__dict__) == entry.size:
                    entries.append(entry)  # still in use: look again later
                    _kept += 1
                else:
                    entry.klass = None  # a test added to it: let it go
                continue
            if self.pristine(klass):
                return entry, klass
            entry.klass = None  # changed by its last mock: let it go
        return None


#: Classes of a shape kept for reuse (in use or not).
#:
#: Most mocks are freed only by a full collection of the garbage collector
#: (a parent and its children refer to each other), which a suite runs a
#: few times per thousand tests: their classes become free thousands at a
#: time, and only the ones still kept can be reused (cloudbase-init: 8
#: full collections for 29,500 mocks; 256 kept reused 21 % of classes,
#: 2,048 kept 57 %).
SHAPE_LIMIT = 4096
#: Classes kept for reuse over all shapes: a bound on the memory a kept
#: class that stays free costs (about 3 kB for a ``MagicMock``'s). A class
#: in use costs nothing more for being kept: its mock holds it anyway.
KEPT_LIMIT = 4096
#: How many entries the shapes' queues hold together (give or take a
#: count lost between threads: a bound, not a ledger).
_kept = 0
#: Classes looked at per build before a new one is made.
_CANDIDATES = 3
_shapes: dict[tuple[Any, ...], Shape] = {}
MAX_SHAPES = 64
_getrefcount = sys.getrefcount
_getweakrefcount = weakref.getweakrefcount


_weakref = weakref.ref


def _usage(klass: type) -> tuple[int, int, int]:
    """How much refers to *klass*, held by its entry and the caller.

    Its references, its weak references, and the references to its plain
    weak reference: there is one such object per class, shared by every
    ``weakref.ref(klass)`` without a callback -- the base's list of
    subclasses holds it, and so may a test.
    """
    return (
        _getrefcount(klass),
        _getweakrefcount(klass),
        _getrefcount(_weakref(klass)),
    )


def shape_of(
    cls: type, bases: tuple[type, ...], magics: tuple[str, ...] | None
) -> Shape:
    """The shape of the mocks of *cls* with *bases* and *magics*.

    Shapes of the stdlib's classes are kept (at most :data:`MAX_SHAPES`),
    and with them the classes of their dropped mocks; a subclass a suite
    defines gets a shape that keeps nothing (contract 5).
    """
    if cls not in STDLIB_CLASSES:
        return Shape(cls, bases, magics, keep=False)
    key = (bases, id(magics))
    shape = _shapes.get(key)
    if shape is None or shape.magics is not magics:
        shape = Shape(cls, bases, magics, keep=len(_shapes) < MAX_SHAPES)
        if shape.keep:
            _shapes[key] = shape
    return shape


def let_go_of_kept_classes() -> None:
    """Stop keeping any class for reuse (when the last user disables)."""
    global _kept
    for shape in list(_shapes.values()):
        for entry in list(shape.entries):
            entry.klass = None
    _shapes.clear()
    _kept = 0


def _calibrate() -> tuple[int, int, int]:
    """What :func:`_usage` says of a class that nothing but its entry holds."""
    namespace = {"__doc__": None, "__module__": MOCK_MODULE_NAME}
    probe = type("Probe", (NonCallableMock,), namespace)
    entry = new_entry(probe, True, 2)
    del probe
    # Measured as reused_entry measures: held by the entry and one name.
    klass = entry.klass
    assert klass is not None
    return _usage(klass)


_UNUSED: tuple[int, int, int] = _calibrate()
