"""Mock classes of dropped mocks, handed to the next mock of the same kind.

Every mock gets a class of its own (``type(m)`` differs between any two
living mocks, so a magic method configured on one never shows on
another), and making it with ``type()`` costs more than the rest of
``Mock()``. A class whose mock is gone and that nothing else refers to --
strongly (its reference count) or weakly (an ABC's ``isinstance`` cache,
a singledispatch registry) -- is indistinguishable from a new one if its
namespace, name and bases are those it was made with: it is handed to the
next mock of the same shape (:class:`Shape`: the class built, the async
base, the magic proxies). When a mock goes, the weak reference to it puts
its class's entry on its shape's free list (``owner_gone``), where the next
build takes it: no build looks at classes still in use.

Keeping a class for reuse must never keep alive what a test put on it
(contract 5): a class is held only while its namespace is its template.
Everything that puts a value there through the mock -- a magic proxy's
first use, ``m.__len__ = ...``, ``_mock_set_magics`` -- lets go of it first
(:func:`~.class_entries.release`); a name a test adds to ``type(m)`` itself
is seen by its length when the mock goes, and any other change when the
class is next taken.
"""

from __future__ import annotations

import collections
import sys
import weakref

# Bound at import: a test may patch a builtin while mockpool works for it.
from builtins import id, len, range  # noqa: UP029
from typing import Any

from mockpool._autospec.plain import class_entries
from mockpool._autospec.plain.class_entries import (
    ClassEntry,
    entries,
    let_go,
    new_entry,
)
from mockpool._autospec.plain.shared_proxies import SHARED_PROXIES
from mockpool._autospec.plain.stdlib import (
    MOCK_MODULE_NAME,
    STDLIB_CLASSES,
    NonCallableMock,
)
from mockpool._base import dict_versions

__all__ = [
    "KEPT_LIMIT",
    "MAX_SHAPES",
    "Shape",
    "let_go_of_kept_classes",
    "shape_of",
]


class Shape:
    """The mock classes of one (class, async base, magics) combination."""

    __slots__ = ("bases", "free", "keep", "magics", "name", "namespace", "values")

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
        #: The entries of the held classes of this shape whose mocks are
        #: gone, oldest first (put there by ``owner_gone``).
        self.free: collections.deque[ClassEntry] = collections.deque()

    def entry(self) -> tuple[ClassEntry, type]:
        """The entry of a class for a new mock -- reused if one is free --
        and the class.

        A free class is taken off its shape's free list: no other thread
        can hand it to a second mock before this one is made.
        """
        if not self.keep:
            return self.new_entry(keep=False)
        found = self.reused_entry()
        if found is None:
            found = self.new_entry(keep=class_entries.held < KEPT_LIMIT)
        return found

    def new_entry(self, keep: bool) -> tuple[ClassEntry, type]:
        """A class of this shape made now, and its entry; held for reuse if
        *keep*."""
        # type() copies the namespace, and adds nothing to it: __module__
        # and __qualname__ come from it, or from the name.
        klass = type(self.name, self.bases, self.namespace)
        entry = new_entry(klass, self.free if keep else None, len(self.values))
        if keep and _READS_VERSIONS:
            # The version its namespace was made with: reused_entry tells
            # by it that the namespace is as made.
            shown = _dict_shown_by(klass.__dict__)
            if shown is not None:
                address = _version_address(shown)
                entry.made_version = _read_version(address)
                entry.version_address = address
        return entry, klass

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
        free = self.free
        for _ in range(_CANDIDATES):
            try:
                # The longest free first: one that a test changed behind
                # its mock's back is let go of within a bounded number of
                # builds.
                entry = free.popleft()
            except IndexError:
                return None
            klass = entry.klass
            if klass is None:
                continue  # let go of since: left to the garbage collector
            # How much refers to the class, held by its entry and this frame
            # (as _calibrate measures, in one frame too): its references,
            # its weak references, and the references to its plain weak
            # reference -- one object per class, shared by every
            # weakref.ref(klass) without a callback: the base's list of
            # subclasses holds it, and so may a test.
            if (
                _getrefcount(klass) == _UNUSED_REFERENCES
                and _getweakrefcount(klass) == _UNUSED_WEAK_REFERENCES
                and _getrefcount(_weakref(klass)) == _UNUSED_PLAIN_REFERENCES
            ):
                address = entry.version_address
                if address:
                    # The namespace unchanged since made (its version, read
                    # at one address: a sixth of what comparing a
                    # MagicMock class's 79 values costs), and what lies
                    # outside it -- bases, names -- as made.
                    if (
                        _read_version(address) == entry.made_version
                        and klass.__bases__ == self.bases
                        and klass.__name__ == self.name
                        and klass.__qualname__ == self.name
                    ):
                        return entry, klass
                elif self.pristine(klass):
                    return entry, klass
            # Its mock is gone, but something else holds it (a test, an
            # ABC's cache), or it was changed: let it go.
            let_go(entry)
        return None


#: Classes held for reuse over all shapes, in use or free: a bound on the
#: memory a held class that stays free costs (about 3 kB for a
#: ``MagicMock``'s); a new class past it is not held.
#:
#: Most mocks are freed only by a full collection of the garbage collector
#: (a parent and its children refer to each other), which a suite runs a
#: few times per thousand tests: their classes become free thousands at a
#: time, and only the ones held can be reused (cloudbase-init: 8 full
#: collections for 29,500 mocks). A class in use costs nothing more for
#: being held: its mock holds it anyway.
KEPT_LIMIT = 4096
#: Classes looked at per build before a new one is made.
_CANDIDATES = 3
_shapes: dict[tuple[Any, ...], Shape] = {}
MAX_SHAPES = 64
_getrefcount = sys.getrefcount
_getweakrefcount = weakref.getweakrefcount


_weakref = weakref.ref
_READS_VERSIONS = dict_versions.READS_VERSIONS
_dict_shown_by = dict_versions.dict_shown_by
_version_address = dict_versions.version_address
_read_version = dict_versions.read_version


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
    # A copy, taken at once: entries of classes that go meanwhile leave it.
    for entry in entries.copy().values():
        entry.klass = None
    for shape in list(_shapes.values()):
        shape.free.clear()
    _shapes.clear()
    class_entries.held = 0


def _calibrate() -> tuple[int, int, int]:
    """What :meth:`Shape.reused_entry` finds referring to a class that
    nothing but its entry holds."""
    namespace = {"__doc__": None, "__module__": MOCK_MODULE_NAME}
    probe = type("Probe", (NonCallableMock,), namespace)
    entry = new_entry(probe, collections.deque(), 2)
    del probe
    # Measured as reused_entry measures: held by the entry and one name,
    # in the same frame.
    klass = entry.klass
    assert klass is not None
    usage = (
        _getrefcount(klass),
        _getweakrefcount(klass),
        _getrefcount(_weakref(klass)),
    )
    del klass
    let_go(entry)
    return usage


(
    _UNUSED_REFERENCES,
    _UNUSED_WEAK_REFERENCES,
    _UNUSED_PLAIN_REFERENCES,
) = _calibrate()
