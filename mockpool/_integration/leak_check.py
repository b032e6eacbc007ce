"""The drop-in's leak check: what a test left patched or assigned.

:class:`~mockpool._integration.dropin.TestScope` remembers every patch a test
starts (what it installed, and what the target held before) and the module
and class namespaces the test could leave a mock in; when the test ends it
asks this module what is still there.

Contract:

* A patch is a leak only while a value one of the test's patches installed
  is still in the target's own ``__dict__`` (by identity); a target put back
  by the test itself, or restored by ``setattr`` where the patch could not
  read the dict, is not.
* A ``patch.dict`` is read the way ``patch.dict`` reads it (any container
  with ``__getitem__``, ``__setitem__``, ``__delitem__`` and iteration), and
  is a leak only if it provably differs from its contents before the
  outermost patch: contents that cannot be compared count as held.
* A mock is *assigned* by a test if, when the test ends, a watched namespace
  holds it under a name that did not hold that very mock when the test
  started (:class:`Baseline`).
* The scan reads no code of the objects it looks at (see below): it never
  raises, whatever a test module holds.
"""

from __future__ import annotations

import gc
import inspect
import os
import struct
import sys

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map), and the check runs while such a
# patch is in place -- it must neither call the mock nor add to its calls.
from builtins import all, id, issubclass, len, map, next, range, repr, set, zip  # noqa: UP029
from collections.abc import Iterable, Iterator
from itertools import compress, count, repeat
from operator import and_, eq, is_, is_not, itemgetter, ne
from types import FunctionType, MappingProxyType, ModuleType
from typing import Any, Union
from unittest import mock

from mockpool._base import dict_versions as _dict_versions

__all__ = [
    "MISSING",
    "UNREADABLE",
    "Baseline",
    "Contents",
    "Watched",
    "assigned_mocks",
    "baseline_for",
    "dict_name",
    "holds",
    "is_mock",
    "module_of",
    "namespace_of",
    "raw_attribute",
    "read_items",
    "release_readings",
    "short_repr",
    "target_name",
    "type_name",
    "user_module",
    "watched_namespaces",
]

#: What an absent attribute reads as.
MISSING = object()
# What an attribute the leak check could not read (without running the
# target's own code) is taken to be: it proves neither a leak nor its absence.
UNREADABLE = object()
#: A namespace the leak check watches: (label, owner, the owner's __dict__).
Watched = tuple[str, Any, Any]


# -- finding leaks ------------------------------------------------------------
#
# The scan reads whatever a test module holds: proxy classes whose metaclass
# hides __dict__, lazy classes and modules whose every attribute read
# raises, objects whose __eq__, __hash__, __repr__ or __bool__ raise. It
# therefore reads nothing through an object's own __getattribute__ or
# __getattr__ or its metaclass's: namespaces, module and class names come
# from the descriptors of ``type`` and from object.__getattribute__, and
# kinds are told by type(value), which runs no code of the value's. What
# still raises is skipped: the check must never break a test that plain
# unittest runs.

_TYPE_DICT = type.__dict__["__dict__"]
_TYPE_MODULE = type.__dict__["__module__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]


def raw_attribute(target: Any, attribute: str) -> Any:
    """*target*'s own ``__dict__[attribute]``; ``UNREADABLE`` if no dict."""
    namespace = namespace_of(target)
    if namespace is None:
        return UNREADABLE
    try:
        return namespace.get(attribute, MISSING)
    except Exception:
        return UNREADABLE


def namespace_of(target: Any) -> Any:
    """The ``__dict__`` of *target*, read without its own code; else None."""
    try:
        if issubclass(type(target), type):
            # Past any metaclass: a proxy class may hide or fake __dict__.
            namespace = _TYPE_DICT.__get__(target)
        else:
            namespace = object.__getattribute__(target, "__dict__")
    except Exception:
        return None
    kind = type(namespace)
    if kind is MappingProxyType or issubclass(kind, dict):
        return namespace
    return None


def _entries(namespace: Any) -> list[tuple[Any, Any]]:
    """The (name, value) pairs of a namespace; none if they cannot be read."""
    try:
        if issubclass(type(namespace), dict):
            return list(dict.items(namespace))
        return list(namespace.items())
    except Exception:
        return []


def _values_in(namespace: Any) -> list[Any]:
    """The values of a namespace (no pairs made); none if they cannot be
    read."""
    try:
        if issubclass(type(namespace), dict):
            return list(dict.values(namespace))
        return list(namespace.values())
    except Exception:
        return []


def module_of(value: Any) -> str | None:
    """The name of the module that defines *value* (its ``__module__``)."""
    try:
        if issubclass(type(value), type):
            name = _TYPE_MODULE.__get__(value)
        else:
            # The class's __module__ for an instance, the function's own for
            # a function; never through the value's __getattribute__ (a
            # context-local proxy raises outside its context).
            name = object.__getattribute__(value, "__module__")
    except Exception:
        return None
    return name if type(name) is str else None


def _qualname(kind: type) -> str:
    try:
        name = _TYPE_QUALNAME.__get__(kind)
    except Exception:
        return "?"
    return name if type(name) is str else "?"


def type_name(kind: type) -> str:
    """``module.QualName`` of class *kind*, read past its metaclass."""
    return f"{module_of(kind) or '?'}.{_qualname(kind)}"


def _module_name(module: Any) -> str | None:
    """The ``__name__`` of *module*, if it is a module that has a str one."""
    if not issubclass(type(module), ModuleType):
        return None
    namespace = namespace_of(module)
    if namespace is None:
        return None
    try:
        name = namespace.get("__name__")
    except Exception:
        return None
    return name if type(name) is str else None


def read_items(container: Any) -> list[tuple[Any, Any]] | None:
    """The (key, value) pairs of *container*, as ``patch.dict`` reads them.

    ``patch.dict`` takes any container with item access and iteration over
    its keys, not only mappings: a dict is read whole, anything else key by
    key. None if reading raises.
    """
    try:
        if type(container) is dict:
            return list(container.items())
        return [(key, container[key]) for key in container]
    except Exception:
        return None


def _same(current: Any, value: Any) -> bool:
    """Whether *current* may be *value* again; False only if it differs."""
    if current is value:
        return True
    if type(current) is not type(value):
        return False
    # os.environ decodes a new str on every read: equal, not identical.
    try:
        return bool(current == value)
    except Exception:
        # An __eq__ (or its result) that raises proves no difference: a
        # mapping may build a new, uncomparable value on every read.
        return True


_KEY, _VALUE = itemgetter(0), itemgetter(1)


#: What a patched container held before a ``patch.dict``: a dict of its
#: items (the copy ``patch.dict`` restores from), or its (key, value) pairs.
Contents = Union[dict[Any, Any], list[tuple[Any, Any]]]


def holds(patched: Any, before: Contents) -> bool:
    """Whether the container *patched* holds exactly what it held *before*
    again.

    True when that cannot be told -- the container or a key raises when
    read or compared --: only a difference read is a leak.
    """
    if isinstance(before, dict):  # exactly a dict: see Contents
        # patch.dict restores a dict by clear() and update() from its copy:
        # the same keys and values, by identity, in the same order. Told in
        # a few C calls (sys.modules has thousands of items).
        if (
            type(patched) is dict
            and len(patched) == len(before)
            and _same_objects(list(patched), list(before))
            and _same_objects(list(patched.values()), list(before.values()))
        ):
            return True
        items = list(before.items())
    else:
        items = before
    now = read_items(patched)
    if now is None:
        return True
    if len(now) != len(items):
        return False
    try:
        lookup: dict[Any, Any] | None = dict(now)
    except Exception:  # unhashable keys: compare them one by one
        lookup = None
    for key, value in items:
        try:
            if lookup is not None:
                current = lookup.get(key, MISSING)
            else:
                current = next(
                    (v for k, v in now if k is key or bool(k == key)), MISSING
                )
        except Exception:
            return True
        if not _same(current, value):
            return False
    return True


def target_name(target: Any) -> str:
    kind = type(target)
    if issubclass(kind, ModuleType):
        return _module_name(target) or f"<{_qualname(kind)} object>"
    if issubclass(kind, type):
        return type_name(target)
    return f"<{_qualname(kind)} object>"


def dict_name(patched: Any) -> str:
    if patched is os.environ:
        return "os.environ"
    items = read_items(patched)
    if items is None:
        return f"<{_qualname(type(patched))} object>"
    return f"<{_qualname(type(patched))} of {len(items)} items>"


def short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = None
    if type(text) is not str:
        # object.__repr__ runs no code of the value's.
        text = object.__repr__(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_mock(value: Any) -> bool:
    # type(), not isinstance(): isinstance would read value.__class__,
    # which a proxy or lazy object may refuse.
    if issubclass(type(value), mock.NonCallableMock):
        return True
    if type(value) is not FunctionType:
        return False
    # create_autospec(function) returns a real function carrying its mock.
    namespace = namespace_of(value)
    if namespace is None:
        return False
    try:
        carried = namespace.get("mock")
    except Exception:
        return False
    return issubclass(type(carried), mock.NonCallableMock)


def assigned_mocks(watched: Iterable[Watched]) -> dict[tuple[str, int, Any], Any]:
    """Every mock found in *watched*, by (label, id of its owner, name)."""
    found: dict[tuple[str, int, Any], Any] = {}
    for label, owner, namespace in watched:
        for key, value in _entries(namespace):
            if is_mock(value):
                try:
                    found[(label, id(owner), key)] = value
                except Exception:  # a name that cannot be hashed again
                    continue
    return found


# -- what a test assigned -----------------------------------------------------
#
# Scanning every watched namespace for mocks when each test starts and again
# when it ends cost a public suite 15 % of its CPU: 628,000 is_mock calls, in
# Python, for 807 tests. Yet a test almost never changes a namespace for
# good -- its patches are undone before the check runs. So a Baseline keeps
# the values of the watched namespaces as the test found them, and when it
# ends compares only the namespaces whose dict version moved (see
# _READS_VERSIONS), by identity (see _same_objects): a few C calls per
# namespace, running no code of the values -- no __eq__, no __hash__. Only
# a namespace that differs is looked at again, and is_mock runs only on what
# differs in it. Between two tests of a module, the reading the first ended
# with is the second's baseline, for every namespace that did not move.
#
# A test module's first test has no such reading, and on a suite of many
# small test modules (ncclient: 37 for 276 tests) its check cost most of the
# check's whole share. So what it needs is shared between test modules,
# which import mostly the same modules: each watched module's views are
# made once (_Span, joined per test module in C); a namespace is not read if
# known to hold no mock at its version (_mock_free) or if the last test, of
# another module, read it at that very version (_Views.share_spans); and what is
# read is not asked whether it holds a mock until it moves during a test
# (_UNSCANNED) -- most never do. Classes that refuse setattr (compiled ones)
# are not watched at all (_takes_attributes).


try:
    import ctypes
except ImportError:  # pragma: no cover - a CPython built without ctypes
    _HAS_CTYPES = False
else:
    _HAS_CTYPES = True


def _pointers(items: list[Any]) -> bytes | None:
    """The addresses of the objects in *items*, as CPython lays them out."""
    if not items:
        return b""
    array = ctypes.c_void_p.from_address(id(items) + _ITEMS_OFFSET).value
    if array is None:  # no array: not the layout _pointers_work checked
        return None
    return ctypes.string_at(array, len(items) * _POINTER_SIZE)


def _pointers_work() -> bool:
    """Whether _pointers reads lists right in this interpreter."""
    sample = [object(), object(), object()]
    try:
        return _pointers(sample) == struct.pack("3P", *map(id, sample))
    except Exception:
        return False


# In CPython a list is a header, then the address of its array of item
# pointers and the array's allocated length (Include/cpython/listobject.h,
# 3.9 to 3.13): the address is two pointers before the end of the object,
# and id() is the object's address. Checked once, here; an interpreter
# where it does not hold compares item by item.
_POINTER_SIZE = struct.calcsize("P")
_ITEMS_OFFSET = list.__basicsize__ - 2 * _POINTER_SIZE
_READS_POINTERS = (
    _HAS_CTYPES and sys.implementation.name == "cpython" and _pointers_work()
)


# Below this many items, four ctypes calls cost more than comparing object
# by object (about 7 us against 37 ns an item, measured on 3.11).
_POINTERS_PAY_OFF = 200


def _same_objects(first: list[Any], second: list[Any]) -> bool:
    """Whether both lists hold the very same objects, in the same order.

    Compares the lists' arrays of addresses in one memcmp where that can be
    done (see _pointers; both lists are alive and hold their items, so equal
    addresses are the same objects; and they are the check's own, so no
    other thread can resize one while it is read), else object by object
    with is_: the same answer, about six times slower.
    """
    if len(first) != len(second):
        return False
    if _READS_POINTERS and len(first) > _POINTERS_PAY_OFF:
        addresses = _pointers(first)
        if addresses is not None:
            return addresses == _pointers(second)
    return all(map(is_, first, second))


# Dict versions (see mockpool._base.dict_versions) tell, without touching
# any value, whether a namespace may have changed since it was last read.
# Where they cannot be read, every namespace is read each time.
_VERSION_SIZE = _dict_versions.VERSION_SIZE
_version_cell = _dict_versions.version_cell
_READS_VERSIONS = _dict_versions.READS_VERSIONS


#: A mock a test assigned: (label of its namespace, the namespace's owner,
#: the name, the mock).
Leak = tuple[str, Any, Any, Any]


class _Reading:
    """What the watched namespaces held at one moment, namespace by
    namespace: lists that are never changed once made (a later reading
    shares the lists of the namespaces that did not move)."""

    __slots__ = ("mock_at", "names", "values", "versions")

    def __init__(
        self,
        versions: bytes | None,
        values: list[list[Any] | None],
        names: list[list[Any] | None],
        mock_at: list[int | None],
    ) -> None:
        #: Each namespace's version when read (None: versions not readable).
        self.versions = versions
        #: Each namespace's values, held (see Baseline); None where it is
        #: known to hold no mock and was not read.
        self.values = values
        #: Each namespace's names, lined up with its values; read only where
        #: mock_at is not None (a mock, or not yet asked), else None.
        self.names = names
        #: The place of a mock among each namespace's values; None if none
        #: is one (known, not guessed); _UNSCANNED if the values (and
        #: names) were read but not yet asked.
        self.mock_at = mock_at


# See _Views.moved: how many moved namespaces are found bit by bit.
_FEW_MOVED = 8

# Where a reading does not know yet whether a namespace holds a mock.
_UNSCANNED = -1


class _Span:
    """Live views of the names and values of some watched namespaces, their
    dicts and their versions' views, lined up: the parts a :class:`_Views`
    is joined from.

    Made once per watched module, for it and its classes (see
    :func:`_namespaces_in`): the test modules of a suite import mostly the
    same modules, so a module's first test joins the spans of the modules
    it watches -- a few list concatenations in C -- instead of looking up
    every namespace again (a hundred and more on a real suite).
    """

    __slots__ = ("cells", "dicts", "ids", "names", "owners", "values")

    def __init__(self, watched: Iterable[Watched]) -> None:
        #: (label, owner) of each namespace, in order.
        self.owners: list[tuple[str, Any]] = []
        self.names: list[Any] = []
        self.values: list[Any] = []
        #: The dicts themselves (a class's: the one its mappingproxy shows),
        #: held: the version cells below read their memory.
        self.dicts: list[dict[Any, Any]] = []
        self.cells: list[memoryview] = []
        seen: set[tuple[str, int]] = set()
        for label, owner, namespace in watched:
            if (label, id(owner)) in seen:  # a class bound under two names
                continue
            seen.add((label, id(owner)))
            parts = _parts_of(label, owner, namespace)
            if parts is not None:
                self.owners.append((label, owner))
                self.names.append(parts[0])
                self.values.append(parts[1])
                self.dicts.append(parts[2])
                self.cells.append(parts[3])
        #: The dicts' ids, for looking them up in C (see _Views.refresh).
        self.ids = list(map(id, self.dicts))


class _Views:
    """Live views of the names and values of watched namespaces, and of
    their versions.

    Views of the very dicts: reading them runs no code of the namespaces'
    owners, and they never go stale. Joined from :class:`_Span` objects,
    whose namespaces must be distinct (as those of distinct modules are).
    """

    __slots__ = (
        "cells",
        "dicts",
        "ids",
        "kind",
        "last",
        "module",
        "module_name",
        "names",
        "owners",
        "span_starts",
        "spans",
        "values",
    )

    def __init__(self, spans: Iterable[_Span]) -> None:
        self.owners: list[tuple[str, Any]] = []
        self.names: list[Any] = []
        self.values: list[Any] = []
        self.dicts: list[dict[Any, Any]] = []
        self.ids: list[int] = []
        cells: list[memoryview] = []
        #: The spans joined, held (so that their ids name them), each with
        #: the place of its first namespace; and those places by span id.
        self.spans: list[tuple[_Span, int]] = []
        self.span_starts: dict[int, int] = {}
        for span in spans:
            self.spans.append((span, len(self.dicts)))
            self.span_starts[id(span)] = len(self.dicts)
            self.owners += span.owners
            self.names += span.names
            self.values += span.values
            self.dicts += span.dicts
            self.ids += span.ids
            cells += span.cells
        # Decided here, not in the spans: a test may turn versions off.
        self.cells = cells if _READS_VERSIONS else None
        #: The reading taken at the last test's end, if this is the views
        #: object of the last test (see _Hold): the next test's baseline
        #: starts from it, and reads again only the namespaces that moved.
        self.last: _Reading | None = None
        #: The test class these views were last looked up for, and the name
        #: and module object its watched namespaces came from: a test of the
        #: same class as the last one finds its views through them (see
        #: baseline_for). None for views of namespaces given by a caller.
        self.kind: type | None = None
        self.module_name = ""
        self.module: Any = None

    def versions(self) -> bytes | None:
        """The namespaces' versions now, one after the other (8 bytes each,
        see :func:`_version_of`); None where they cannot be read."""
        cells = self.cells
        return None if cells is None else b"".join(cells)

    def read_values(self, place: int) -> list[Any]:
        """The values of namespace *place* (not its names).

        They come from the garbage collector's view of the dict, one C call:
        a dict whose keys are all strings -- every module's and class's, in
        practice -- shows its values in order, and nothing else. Where that
        does not add up (other keys show too), :meth:`read` does it.
        """
        shown = self.dicts[place]
        values = gc.get_referents(shown)
        if len(values) == len(shown):
            return values
        return self.read(place)[1]

    def read_both(self, place: int) -> tuple[list[Any], list[Any]]:
        """:meth:`read`, the values taken as :meth:`read_values` takes them
        (one C call, where the dict's keys are all names)."""
        values = gc.get_referents(self.dicts[place])
        try:
            names = list(self.names[place])
        except RuntimeError:  # another thread changed it meanwhile
            return self.read(place)
        if len(values) == len(names):
            return names, values
        return self.read(place)

    def read(self, place: int) -> tuple[list[Any], list[Any]]:
        """The names and values of namespace *place*, lined up."""
        try:
            names, values = list(self.names[place]), list(self.values[place])
            if len(names) == len(values):
                return names, values
        except RuntimeError:  # another thread changed it meanwhile
            pass
        try:
            items = list(self.dicts[place].items())
        except RuntimeError:  # one that cannot be read is empty
            return [], []
        return list(map(_KEY, items)), list(map(_VALUE, items))

    def moved(
        self, versions: bytes | None, before: bytes | None, few: bool = True
    ) -> Iterable[int]:
        """The places of the namespaces that may have changed since *before*.

        *few*: whether few are expected to differ (a test's end against its
        start); else most (a first test's namespaces against those known
        free), and they are compared version by version at once.
        """
        if versions is None or before is None:
            return range(len(self.dicts))
        if few:
            # Most often one or two of dozens moved: found from the bits
            # where the two differ, one big-integer step each (the integer
            # shifted past each one found), instead of making two integers
            # per namespace.
            differ = int.from_bytes(versions, "little") ^ int.from_bytes(
                before, "little"
            )
            places: list[int] = []
            place = -1
            while differ:
                if len(places) == _FEW_MOVED:
                    break
                # Namespaces from the last one found to the next that moved.
                step = ((differ & -differ).bit_length() + 63) >> 6  # 64 bits each
                place += step
                places.append(place)
                differ >>= step << 6
            else:
                return places
        # Many moved: each version compared, in C. A first test's namespaces
        # go straight here -- finding the first few bit by bit first cost
        # four times as much as comparing them all (200 namespaces, 3.11).
        now, then = memoryview(versions).cast("Q"), memoryview(before).cast("Q")
        return compress(count(), map(ne, now, then))

    def refresh(self, last: _Reading | None, other: _Shared | None = None) -> _Reading:
        """A reading of the namespaces now, sharing *last*'s lists where a
        namespace has not moved since; without *last* (a test module's
        first test), sharing those of *other* -- the last test's, of
        another module -- for each namespace of the spans both joined that
        has not moved since (see :meth:`share_spans`)."""
        # Versions first: a namespace changed while it is read shows a newer
        # version next time, and is read again then.
        versions = self.versions()
        if last is not None and versions is not None and versions == last.versions:
            return last  # the common case: nothing moved since (never changed)
        if last is None:
            size = len(self.dicts)
            values: list[list[Any] | None] = [None] * size
            names: list[list[Any] | None] = [None] * size
            mock_at: list[int | None] = [None] * size
            places: Iterable[int] = range(size)
            if versions is not None:
                # The namespaces known to hold no mock at their version are
                # told apart in C: only the others are read.
                known = b"".join(map(_mock_free.get, self.ids, repeat(_UNKNOWN)))
                if other is not None and other[1].versions is not None:
                    known = self.share_spans(
                        other, versions, known, values, names, mock_at
                    )
                places = self.moved(versions, known, few=False)
        else:
            values, names = list(last.values), list(last.names)
            mock_at = list(last.mock_at)
            places = self.moved(versions, last.versions)
        # A first test's places are already those not known to be free (see
        # moved): asking each again would only repeat that.
        ask_free = last is not None
        for place in places:
            held = values[place]
            if held is None and ask_free and self.mock_free(place, versions):
                # Known to hold no mock as it is: nothing to keep, since any
                # mock there at the end is new (see compare).
                names[place] = mock_at[place] = None
                continue
            if held is not None and mock_at[place] is None:
                now = self.read_values(place)
                if _same_objects(now, held):
                    # The very values, and no mock among them: known free at
                    # this version too, for the other test modules.
                    self.note_mock_free(place, versions)
                    continue
            # Read, names too (a mock moved to another name is assigned
            # there), in two C calls; whether a mock is among the values is
            # asked only if the namespace moves during the test (see
            # compare), which most never do: asking every value of each
            # namespace a test module's first test reads was most of what
            # that test's check cost.
            names[place], values[place] = self.read_both(place)
            mock_at[place] = _UNSCANNED
        return _Reading(versions, values, names, mock_at)

    def share_spans(
        self,
        other: _Shared,
        versions: bytes,
        known: bytes,
        values: list[list[Any] | None],
        names: list[list[Any] | None],
        mock_at: list[int | None],
    ) -> bytes:
        """Take the lists of *other*'s reading -- the last test's, of
        another module -- for each namespace it read at the very version
        the namespace has now (a version is never given twice, so it holds
        the same values), into *values*, *names* and *mock_at*. Returns
        *known* with those namespaces' versions made the current ones, so
        that :meth:`moved` passes them over.

        Test modules of a suite import mostly the same modules, whose spans
        are the same objects (see :class:`_Span`): a span both views joined
        and none of whose namespaces moved since that reading is taken
        whole, a few slices in C; one where some moved, namespace by
        namespace. A namespace is looked for in the spans both views joined
        only: on two public suites, looking each of the rest up by its
        dict's id found 3 of 1,170 (ncclient: none of 475; os-brick: 3 of
        695, all in spans both joined) and cost about a twelfth of a first
        test's check.
        """
        views, reading = other
        their_starts = views.span_starts
        their_versions = reading.versions or b""
        mended: bytearray | None = None
        for span, start in self.spans:
            there = their_starts.get(id(span))
            if there is None:
                continue
            size = len(span.dicts)
            low, high = start * _VERSION_SIZE, (start + size) * _VERSION_SIZE
            their_low = there * _VERSION_SIZE
            now = versions[low:high]
            then = their_versions[their_low : their_low + high - low]
            if mended is None:
                mended = bytearray(known)
            if now == then:
                values[start : start + size] = reading.values[there : there + size]
                names[start : start + size] = reading.names[there : there + size]
                mock_at[start : start + size] = reading.mock_at[there : there + size]
                mended[low:high] = now
                continue
            if len(then) != len(now):  # not in their reading: nothing to take
                continue
            same = map(eq, memoryview(now).cast("Q"), memoryview(then).cast("Q"))
            for offset in compress(range(size), same):
                place, theirs = start + offset, there + offset
                values[place] = reading.values[theirs]
                names[place] = reading.names[theirs]
                mock_at[place] = reading.mock_at[theirs]
                at = place * _VERSION_SIZE
                mended[at : at + _VERSION_SIZE] = _version_of(versions, place)
        return known if mended is None else bytes(mended)

    def compare(
        self, before: _Reading, versions: bytes | None
    ) -> tuple[list[Leak], _Reading]:
        """The mocks each namespace holds now that it did not hold under
        the same name in *before*, and the reading they were found in.

        *versions* are the namespaces' versions (:meth:`versions`), read
        just before: before any value is, so that a namespace changed while
        it is read shows a newer version next time.
        """
        if versions is not None and versions == before.versions:
            return [], before  # the common case: nothing moved anywhere
        # The reading's lists, copied at the first change to one of them:
        # a test's moved namespaces are most often its undone patches',
        # which hold the very values again -- then nothing is copied, and
        # the new reading shares the lists (never changed once made).
        values, names, mock_at = before.values, before.names, before.mock_at
        copied = False
        found: list[Leak] = []
        for place in self.moved(versions, before.versions):
            label, owner = self.owners[place]
            values_before = before.values[place]
            at_before = before.mock_at[place]
            if at_before == _UNSCANNED:
                # Read at the start, not asked then: the values are held,
                # the very objects, and are asked now.
                at_before = _first_mock(values_before or [])
                if not copied:
                    values, names = list(values), list(names)
                    mock_at, copied = list(mock_at), True
                mock_at[place] = at_before
                if at_before is None:
                    names[place] = None  # not needed where no mock is
            if at_before is None:
                now = self.read_values(place)
                if values_before is None:
                    # Known to hold no mock at the start, and not read: what
                    # is a mock now is new.
                    if _first_mock(now) is None:
                        if not copied:
                            values, names = list(values), list(names)
                            mock_at, copied = list(mock_at), True
                        values[place] = now
                        self.note_mock_free(place, versions)
                        continue
                    held: set[int] = set()
                elif _same_objects(now, values_before):
                    # Changed and put back (a patch undone): the very values
                    # again, mock-free at this version for the next module.
                    self.note_mock_free(place, versions)
                    continue
                else:
                    # The values held before are alive (held here): their
                    # ids name them and nothing else.
                    held = set(map(id, values_before))
                # No mock was there: every mock there now that was not there
                # is new to the namespace, whatever its name.
                names_now, now = self.read(place)
                new = [
                    (name, value)
                    for name, value in zip(names_now, now)
                    if id(value) not in held and is_mock(value)
                ]
                at = _place_of(now, new[0][1]) if new else None
            else:
                # A mock was there: its values and names were read.
                values_held = values_before or []
                names_before = before.names[place] or []
                names_now, now = self.read(place)
                if _same_objects(names_now, names_before) and _same_objects(
                    now, values_held
                ):
                    continue
                new = list(_new_in(names_before, values_held, names_now, now))
                # A mock is known to be there still: the one there before,
                # or one found; else the next reading asks every value.
                at = _place_of(now, values_held[at_before])
                if at is None and new:
                    at = _place_of(now, new[0][1])
                if at is None:
                    at = _first_mock(now)
            if not copied:
                values, names = list(values), list(names)
                mock_at, copied = list(mock_at), True
            values[place], mock_at[place] = now, at
            names[place] = None if at is None else names_now
            if at is None:
                self.note_mock_free(place, versions)
            found += [(label, owner, name, value) for name, value in new]
        return found, _Reading(versions, values, names, mock_at)

    def mock_free(self, place: int, versions: bytes | None) -> bool:
        """Whether namespace *place* is known to hold no mock as it is now:
        read so at the version it still has (by any test module's check)."""
        if versions is None:
            return False
        return _mock_free.get(self.ids[place]) == _version_of(versions, place)

    def note_mock_free(self, place: int, versions: bytes | None) -> None:
        """Remember that namespace *place* held no mock at its version in
        *versions* (read before its values were)."""
        if versions is None:
            return
        if len(_mock_free) >= _MOCK_FREE_SIZE:
            _mock_free.clear()
            _mock_free_held.clear()
        shown = self.dicts[place]
        _mock_free[id(shown)] = _version_of(versions, place)
        _mock_free_held[id(shown)] = shown


# The namespaces known to hold no mock, and at which version, by id of the
# dict (the dicts are held alongside, so that an id names no other). Test
# modules share namespaces -- every test module of a package watches the
# package's modules --, so the first test of each module asks is_mock of no
# value a check already asked at the same version. A version is never given
# twice, so an entry holds only while the namespace has not changed since.
_MOCK_FREE_SIZE = 8192
_mock_free: dict[int, bytes] = {}
_mock_free_held: dict[int, dict[Any, Any]] = {}
# No version is all ones: what a namespace not known to be free compares to.
_UNKNOWN = b"\xff" * _VERSION_SIZE


def _version_of(versions: bytes, place: int) -> bytes:
    """The version of namespace *place* in a reading of *versions*."""
    start = place * _VERSION_SIZE
    return versions[start : start + _VERSION_SIZE]


def _parts_of(label: str, owner: Any, namespace: Any) -> _Parts | None:
    """The views of one watched namespace, its dict and its version's view;
    None if it cannot be read safely. Made once per namespace: the test
    modules of a suite share most of theirs, and making them costs some
    microseconds each."""
    key = (label, id(owner))
    known = _parts.get(key)
    # A module's or a class's dict stays the same object for its life; a
    # module's is checked all the same (a test may pass any mapping).
    if (
        known is not None
        and known[0] is owner
        and (type(namespace) is not dict or known[1][2] is namespace)
    ):
        return known[1]
    # A module's __dict__ is a dict and a class's a mappingproxy of one,
    # never of a subclass (whose views would run its code); whatever else
    # is left out, as a namespace that cannot be read safely always was.
    kind = type(namespace)
    shown = namespace if kind is dict else None
    if kind is MappingProxyType:
        shown = _dict_versions.dict_shown_by(namespace)
    if shown is None:
        return None
    # The views are the namespace's own: a class's are the mappingproxy's,
    # which read the dict it shows without running code.
    cell = _version_cell(shown) if _READS_VERSIONS else memoryview(b"")
    parts = (namespace.keys(), namespace.values(), shown, cell)
    if len(_parts) >= _PARTS_SIZE:
        _parts.clear()
    # The entry holds its owner (so that its id names no other) and, in
    # parts, the dict the version's view reads.
    _parts[key] = (owner, parts)
    return parts


# (names view, values view, the dict, the view of its version).
_Parts = tuple[Any, Any, dict[Any, Any], memoryview]
_PARTS_SIZE = 16384
_parts: dict[tuple[str, int], tuple[Any, _Parts]] = {}


def _place_of(values: list[Any], value: Any) -> int | None:
    """Where *value* itself (by identity) is in *values*, if anywhere."""
    return next(compress(count(), map(is_, values, repeat(value))), None)


def _first_mock(values: list[Any]) -> int | None:
    """The place of the first mock in *values*, if any: where is_mock holds,
    told in C calls over the whole list rather than a Python call a value
    (the first reading of each namespace asks every value of it)."""
    kinds = list(map(type, values))
    found = next(compress(count(), map(issubclass, kinds, repeat(_MOCK_BASE))), None)
    # A plain function is one if it carries a mock (create_autospec's), in
    # its own __dict__: the generic getattr reads just that for an exact
    # FunctionType (its class has no attribute of that name), runs no code,
    # and, unlike reading __dict__, does not make one.
    functions = list(compress(count(), map(is_, kinds, repeat(FunctionType))))
    if functions:
        carried = map(getattr, map(values.__getitem__, functions), _MOCK_NAME, _NONE)
        autospecced = compress(
            functions, map(issubclass, map(type, carried), repeat(_MOCK_BASE))
        )
        first = next(autospecced, None)
        if first is not None and (found is None or first < found):
            found = first
    return found


_MOCK_BASE = mock.NonCallableMock
# Endless, so shared by every call.
_MOCK_NAME, _NONE = repeat("mock"), repeat(None)


class _Hold:
    """Which views object keeps its last reading between tests: one at a
    time, the last test's, so that what a module or class let go of after
    its tests is kept no longer than until the next test starts."""

    views: _Views | None = None

    @classmethod
    def keep(cls, views: _Views, last: _Reading) -> None:
        held = cls.views
        if held is not None and held is not views:
            held.last = None
        views.last = last
        cls.views = views

    @classmethod
    def take(cls, views: _Views) -> tuple[_Reading | None, _Shared | None]:
        """*views*' last reading, if *views* are the last test's; else None,
        and the last test's views and reading (another test module's, which
        a first test shares namespaces with), if any."""
        held, cls.views = cls.views, None
        other: _Shared | None = None
        if held is not None and held is not views:
            if held.last is not None:
                other = (held, held.last)
            held.last = None
        last, views.last = views.last, None
        return last, other


# Another views object and its last reading (see _Views.refresh).
_Shared = tuple[_Views, _Reading]


def release_readings() -> None:
    """Let go of the reading kept between tests, and of every namespace the
    check remembers (when the drop-in ends)."""
    held, _Hold.views = _Hold.views, None
    if held is not None:
        held.last = None
    for cache in (
        _mock_free,
        _mock_free_held,
        _parts,
        _views_cache,
        _watch_cache,
        _module_cache,
        _user_verdicts,
    ):
        cache.clear()


def _new_in(
    names_before: list[Any],
    values_before: list[Any],
    names: list[Any],
    values: list[Any],
) -> Iterator[tuple[Any, Any]]:
    """(name, mock) for each mock in one namespace that is not the one that
    was under its name before."""
    if _same_objects(names, names_before):
        # Same names in the same places: only the values that are not the
        # ones that were there can be new mocks.
        for place in compress(range(len(values)), map(is_not, values, values_before)):
            if is_mock(values[place]):
                yield names[place], values[place]
        return
    # Names added, removed or reordered: compare name by name.
    before: dict[Any, Any] = {}
    for name, value in zip(names_before, values_before):
        try:
            before[name] = value
        except Exception:  # a name that cannot be hashed again
            continue
    for name, value in zip(names, values):
        if not is_mock(value):
            continue
        try:
            if before.get(name, MISSING) is value:
                continue
        except Exception:
            continue
        yield name, value


class Baseline:
    """The watched namespaces as they are when a test starts.

    Holds, namespace by namespace, the values of every one: what was there
    before the test, never what the test puts there, so nothing the test
    passes to a mock is kept alive through it (contract 5). The values are
    held, not remembered by ``id``: a freed value's id can be taken by a
    mock the test builds and puts in its place, which an id would not tell
    apart. Drop the baseline once :meth:`new_mocks` has been read.

    A namespace is read again only if its version moved since the reading
    the last test of the module ended with (or, for a module's first test,
    since a reading of it the last test or any check found no mock in); at
    the end, only the namespaces whose version moved during the test are
    compared, by identity. A namespace read is asked whether it holds a
    mock only then, of the values it held at the start; where none does,
    its names are let go of, as a mock there at the end is new to it
    whatever its name.

    Args:
        watched: The namespaces to watch (:func:`watched_namespaces`).
    """

    __slots__ = ("_reading", "_views")

    def __init__(self, watched: list[Watched]) -> None:
        views = self._views = _views_of(watched)
        self._reading = views.refresh(*_Hold.take(views))

    def unmoved(self) -> bool:
        """Whether no watched namespace moved since the start (so
        :meth:`new_mocks` would find none), told in C: how most tests end.

        If so, the reading the test started from stays the one the
        module's next test starts from; it is usually held for it already
        (see :func:`baseline_for`).
        """
        views, reading = self._views, self._reading
        cells = views.cells
        if (
            cells is None
            or reading.versions is None
            or reading.versions != b"".join(cells)
        ):
            return False
        if _Hold.views is not views or views.last is not reading:
            _Hold.keep(views, reading)
        return True

    def new_mocks(self) -> list[Leak]:
        """Each mock a watched namespace holds now that it did not hold under
        the same name at the start, as (label, owner, name, mock)."""
        views, reading = self._views, self._reading
        # Read once for both questions -- whether anything moved, and what
        # did --, where unmoved() and compare() read them each: a sixth of
        # the version reads of a public suite (ncclient) were that second.
        versions = views.versions()
        if versions is not None and versions == reading.versions:
            if _Hold.views is not views or views.last is not reading:
                _Hold.keep(views, reading)
            return []
        found, now = views.compare(reading, versions)
        # Kept for the module's next test, which starts from it.
        _Hold.keep(views, now)
        return found


def baseline_for(kind: type) -> Baseline:
    """The :class:`Baseline` of a test of class *kind*: of the namespaces
    :func:`watched_namespaces` gives for the module defining *kind*.

    Every test starts here. The common case -- the last test was of the
    same class, its module is still the one loaded under its name, and no
    watched namespace moved since that test ended -- is told by a few
    attribute reads and one comparison in C, and starts from the reading
    that test ended with, which stays held (:class:`_Hold`) while this
    test runs: it is the same reading either way. Anything else takes
    :func:`watched_namespaces`, :func:`_views_of` and :meth:`_Views.refresh`.
    (A class whose ``__module__`` is reassigned between two of its tests
    keeps watching the namespaces of the module it named first.)
    """
    views = _Hold.views
    if views is not None and views.kind is kind:
        last = views.last
        cells = views.cells
        if (
            last is not None
            and cells is not None
            and last.versions == b"".join(cells)
            and sys.modules.get(views.module_name) is views.module
        ):
            baseline = _new_baseline(Baseline)
            baseline._views = views
            baseline._reading = last
            return baseline
    try:
        name = _TYPE_MODULE.__get__(kind)
    except Exception:
        name = None
    if type(name) is not str:
        name = ""
    baseline = Baseline(watched_namespaces(name))
    views = baseline._views
    if views.kind is not kind:
        # Views are per module (per list watched_namespaces gives): the
        # class and module they were last made for are what the next test's
        # quick path compares.
        views.kind = kind
        views.module_name = name
        views.module = sys.modules.get(name)
    return baseline


_new_baseline = object.__new__


def _views_of(watched: list[Watched]) -> _Views:
    """The views of *watched*, made once per list :func:`watched_namespaces`
    returns (the same list for every test of a module)."""
    cached = _views_cache.get(id(watched))
    if cached is not None and cached[0] is watched:
        return cached[1]
    # A list from watched_namespaces carries its modules' spans; any other
    # is one span of its own.
    spans = watched.spans if type(watched) is _WatchedList else [_Span(watched)]
    views = _Views(spans)
    if len(_views_cache) >= _CACHE_SIZE:
        _views_cache.clear()
    # The entry holds its list, so that id names no other list meanwhile.
    _views_cache[id(watched)] = (watched, views)
    return views


# Both caches below are looked up twice per test: plain dicts (a lookup and
# a store are each atomic under the GIL, so no lock), emptied when full --
# a suite has far fewer test modules than that.
_CACHE_SIZE = 256
_views_cache: dict[int, tuple[list[Watched], _Views]] = {}


_stdlib_prefixes: tuple[str, ...] = tuple(
    {os.path.dirname(os.__file__), os.path.dirname(inspect.__file__)}
)
# Per test module name: (the module, its namespace, its number of names,
# what it watches). Valid while that very module is loaded under the name
# and has as many names: a test that reloads or fakes a module gets the new
# one's namespaces, and one that gains names (an import done late) is looked
# at again. The entry holds its module.
_watch_cache: dict[str, tuple[Any, Any, int, list[Watched]]] = {}


def user_module(module: Any) -> bool:
    """Whether *module* is the suite's or a third party's, not the standard
    library's, unittest's or mockpool's (which no test assigns to)."""
    return _user_module_name(module) is not None


def _user_module_name(module: Any) -> str | None:
    """The name of *module* if it is a user module (:func:`user_module`),
    else None: both asked once per module, as each test module's first
    test asks them of every module it imports."""
    known = _user_verdicts.get(id(module))
    if known is not None and known[0] is module:
        return known[1]
    name = _user_name_of(module)
    if len(_user_verdicts) >= _MODULE_CACHE_SIZE:
        _user_verdicts.clear()
    _user_verdicts[id(module)] = (module, name)  # held: its id is its own
    return name


# Per module, by id: (the module, its name if it is a user module, else
# None). Test modules import the same modules: each is asked once.
_user_verdicts: dict[int, tuple[Any, str | None]] = {}


def _user_name_of(module: Any) -> str | None:
    # The name it reads, returned: the verdict needs it first.
    name = _module_name(module)
    if name is None:
        return None
    if name == "mockpool" or name.startswith(("mockpool.", "unittest")):
        return name if name.startswith("mockpool._demo") else None
    # Read from the namespace: a lazy module's __getattr__ may import, or
    # raise, for a __file__ it does not have.
    try:
        path = namespace_of(module).get("__file__")
    except Exception:
        return None
    if type(path) is not str or not path:
        return None
    if path.startswith(_stdlib_prefixes) and "site-packages" not in path:
        return None
    return name


# Builtin classes whose instances have no __module__ (their classes show
# it only through type's descriptor) and no __dict__: a test module's many
# constants (strings of test data, numbers, lists) tell no module, and
# asking each costs a raised AttributeError. By id: hashing a value's class
# would run its metaclass's __hash__.
_PLAIN_KINDS = (str, bytes, bytearray, int, float, complex, bool, type(None))
_PLAIN_DATA = frozenset(map(id, (*_PLAIN_KINDS, tuple, list, dict, set, frozenset)))


def watched_namespaces(module_name: str) -> list[Watched]:
    """The module and class namespaces a test's leaks would land in.

    The test's module (*module_name*), the modules it imports or imports
    from, and the classes defined in those -- not the standard library.
    Computed once per test module (and again if the module gains names).
    Never raises: what cannot be read without running its own code (a
    proxy, a lazy class or module) is left out.
    """
    module = sys.modules.get(module_name)
    cached = _watch_cache.get(module_name)
    if cached is not None and cached[0] is module and len(cached[1]) == cached[2]:
        return cached[3]
    namespace = namespace_of(module)
    if module is None or namespace is None:
        return []
    size = len(namespace)
    modules: dict[str, Any] = {module_name: module}
    # A test module's fifty names come from a few modules: each module is
    # looked up once, in the order its first name shows it. Keyed by the
    # name of the module a value was defined in, or by id for a module
    # itself (whose own __eq__ or __hash__ may be anything).
    origins: dict[int | str | None, Any] = {}
    # The classes the test module defines, found on the way: _namespaces_in
    # would look at every value of it again to find them.
    defined: list[Any] = []
    for value in _values_in(namespace):
        kind = type(value)
        if id(kind) in _PLAIN_DATA:
            continue  # defined nowhere (module_of would raise inside)
        if kind is FunctionType:
            # module_of's answer, without its call (a function's __module__
            # is a member of its own: no code of the value runs).
            name = value.__module__
            origins[name if type(name) is str else None] = None
        elif issubclass(kind, ModuleType):
            origins[id(value)] = value
        else:
            name = module_of(value)  # an exact str, or None
            origins[name] = None
            if name == module_name and issubclass(kind, type):
                defined.append(value)
    for key, origin in origins.items():
        owner = origin
        if owner is None and type(key) is str and key:
            owner = sys.modules.get(key)
        if owner is not None:
            # _user_module_name's cache, read here: a test module's first
            # test asks it of a dozen modules, all known but the first time.
            known = _user_verdicts.get(id(owner))
            if known is not None and known[0] is owner:
                name = known[1]
            else:
                name = _user_module_name(owner)
            if name is not None:
                modules.setdefault(name, owner)
    watched = _WatchedList()
    for name, owner in modules.items():
        found, span = _namespaces_in(
            name, owner, defined if name == module_name else None
        )
        watched += found
        watched.spans.append(span)
    if len(_watch_cache) >= _CACHE_SIZE:
        _watch_cache.clear()
    _watch_cache[module_name] = (module, namespace, size, watched)
    return watched


def _namespaces_in(
    name: str, module: Any, defined: list[Any] | None = None
) -> tuple[list[Watched], _Span]:
    """The namespaces of *module* (named *name*) and of the classes it
    defines, and their span. Computed once per module while it has as many
    names: the test modules of a suite import the same modules (see
    _watch_cache). *defined*: the classes among its values whose
    ``__module__`` is *name*, in their order, if the caller found them
    already (:func:`watched_namespaces`, of a test module)."""
    owned = namespace_of(module)
    if owned is None:
        return [], _Span(())
    cached = _module_cache.get(name)
    if cached is not None and cached[0] is module and len(owned) == cached[1]:
        return cached[2], cached[3]
    size = len(owned)
    found: list[Watched] = [(name, module, owned)]
    if defined is None:
        defined = _defined_in(name, owned)
    for value in defined:
        if _takes_attributes(value):
            label = f"{name}.{_qualname(value)}"
            found.append((label, value, _TYPE_DICT.__get__(value)))
    span = _Span(found)
    if len(_module_cache) >= _MODULE_CACHE_SIZE:
        _module_cache.clear()
    _module_cache[name] = (module, size, found, span)
    return found, span


def _defined_in(name: str, owned: Any) -> list[Any]:
    """The classes among the values of *owned* (a module's namespace) whose
    ``__module__`` is *name*, in their order."""
    values = _values_in(owned)
    # The classes among the values, told apart in C: a module's functions
    # and constants far outnumber them.
    classes = list(compress(values, map(issubclass, map(type, values), repeat(type))))
    # And those defined here, told apart in C too: most classes a module
    # holds are imported (ncclient's watched modules hold 885 classes and
    # define 157 of them), and a Python call of module_of each cost about
    # four times as much. Their __module__ as module_of reads it (past any
    # metaclass), in one call where none refuses; compared only if an exact
    # str, by str's own __eq__ (no code of the value's runs).
    try:
        origins = list(map(_TYPE_MODULE.__get__, classes))
    except Exception:
        origins = list(map(module_of, classes))
    exact = map(is_, map(type, origins), repeat(str))
    same = map(is_, map(name.__eq__, origins), repeat(True))
    return list(compress(classes, map(and_, exact, same)))


_TYPE_FLAGS = type.__dict__["__flags__"]
# Include/object.h: a class made at run time (by a class statement), and,
# from 3.10, one whose attributes cannot be set (where bit 8 meant nothing
# before, so it is read from 3.10 only).
_HEAP_TYPE = 1 << 9
_IMMUTABLE_TYPE = 1 << 8 if sys.version_info >= (3, 10) else 0


def _takes_attributes(kind: type) -> bool:
    """Whether a test can set an attribute of class *kind* at all.

    A class compiled into an extension module (a Cython one: lxml.etree
    defines a hundred) or marked immutable refuses ``setattr`` and so
    ``patch.object``, with TypeError: its namespace cannot be left holding
    anything a test put there, and is not watched -- on a public suite two
    thirds of the namespaces, whose versions every test read twice.
    """
    try:
        flags = _TYPE_FLAGS.__get__(kind)
    except Exception:
        return True  # not told: watched, as before
    return bool(flags & _HEAP_TYPE) and not flags & _IMMUTABLE_TYPE


# Per watched module name: (the module, its number of names, its namespaces
# and its classes', their span), valid as _watch_cache's entries are. Holds
# the module.
_MODULE_CACHE_SIZE = 4096
_module_cache: dict[str, tuple[Any, int, list[Watched], _Span]] = {}


class _WatchedList(list):  # type: ignore[type-arg]  # a list[Watched]
    """What :func:`watched_namespaces` returns: the watched namespaces, and
    the spans of the modules they belong to, one per module, in the same
    order (what _views_of joins)."""

    __slots__ = ("spans",)

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[_Span] = []
