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
from builtins import all, id, issubclass, len, map, next, range, repr, set, sum, zip  # noqa: UP029
from collections.abc import Iterable, Iterator
from itertools import chain, compress, count, repeat
from operator import is_, is_not, itemgetter
from types import FunctionType, MappingProxyType, ModuleType
from typing import Any
from unittest import mock

__all__ = [
    "MISSING",
    "UNREADABLE",
    "Baseline",
    "Watched",
    "assigned_mocks",
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


def holds(patched: Any, items: list[tuple[Any, Any]]) -> bool:
    """Whether the container *patched* holds exactly *items* again.

    True when that cannot be told -- the container or a key raises when
    read or compared --: only a difference read is a leak.
    """
    # patch.dict restores a dict by clear() and update() from its copy: the
    # same keys and values, by identity, in the same order. Told in a few C
    # calls (sys.modules has thousands of items).
    if (
        type(patched) is dict
        and len(patched) == len(items)
        and _same_objects(list(patched), list(map(_KEY, items)))
        and _same_objects(list(patched.values()), list(map(_VALUE, items)))
    ):
        return True
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
# good -- its patches are undone before the check runs. So a Baseline reads
# the names and values of all the watched namespaces into two lists when the
# test starts, reads them again when it ends, and compares the two readings
# by identity (see _same_objects): a handful of C calls for all the
# namespaces together, running no code of the values -- no __eq__, no
# __hash__. Only a namespace that differs is looked at again, and is_mock
# runs only on what differs in it.


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


class _Views:
    """Live views of the names and values of watched namespaces.

    Views of the very dicts: reading them runs no code of the namespaces'
    owners, and they never go stale.
    """

    __slots__ = ("dicts", "last", "names", "owners", "values")

    def __init__(self, watched: Iterable[Watched]) -> None:
        #: (label, owner) of each namespace, in order.
        self.owners: list[tuple[str, Any]] = []
        self.names: list[Any] = []
        self.values: list[Any] = []
        #: The dicts themselves (a class's: the one its mappingproxy shows).
        self.dicts: list[dict[Any, Any]] = []
        #: The last reading taken at a test's end, if this is the views
        #: object of the last test (see _Hold): the next test's baseline
        #: starts from it when nothing moved meanwhile.
        self.last: _Last | None = None
        seen: set[tuple[str, int]] = set()
        for label, owner, namespace in watched:
            if (label, id(owner)) in seen:  # a class bound under two names
                continue
            seen.add((label, id(owner)))
            # A module's __dict__ is a dict and a class's a mappingproxy of
            # one, never of a subclass (whose views would run its code);
            # whatever else is left out, as a namespace that cannot be read
            # safely always was.
            kind = type(namespace)
            shown = namespace if kind is dict else None
            if kind is MappingProxyType:
                shown = _dict_shown_by(namespace)
            if shown is not None:
                self.owners.append((label, owner))
                self.names.append(namespace.keys())
                self.values.append(namespace.values())
                self.dicts.append(shown)

    def read(self) -> _Reading:
        """What the namespaces hold now: each one's size, then all their
        names and all their values, one namespace after the other."""
        try:
            sizes = list(map(len, self.names))
            names = list(chain.from_iterable(self.names))
            values = list(chain.from_iterable(self.values))
            if sum(sizes) == len(names) == len(values):
                return sizes, names, values
        except RuntimeError:  # another thread changed a namespace meanwhile
            pass
        # One namespace at a time then; one that cannot be read is empty.
        sizes, names, values = [], [], []
        for names_view, values_view in zip(self.names, self.values):
            try:
                own_names, own_values = list(names_view), list(values_view)
            except RuntimeError:
                own_names, own_values = [], []
            if len(own_names) != len(own_values):
                own_names, own_values = [], []
            sizes.append(len(own_names))
            names += own_names
            values += own_values
        return sizes, names, values

    def read_values(self) -> tuple[list[int], list[Any]]:
        """Each namespace's size, then all their values (no names).

        The values come from the garbage collector's view of the dicts, one
        C call for all of them: a dict whose keys are all strings -- every
        module's and class's, in practice -- shows its values in order, and
        nothing else. Where that does not add up (a dict with other keys
        shows those too), :meth:`read` does it.
        """
        sizes = list(map(len, self.dicts))
        values = gc.get_referents(*self.dicts)
        if len(values) == sum(sizes):
            return sizes, values
        sizes, _, values = self.read()
        return sizes, values


class _Last:
    """A reading kept from one test's end to the next test's start."""

    __slots__ = ("mock_at", "sizes", "values")

    def __init__(
        self, sizes: list[int], values: list[Any], mock_at: int | None
    ) -> None:
        self.sizes = sizes
        self.values = values
        #: The place of a mock among the values; None if none is one (known,
        #: not guessed).
        self.mock_at = mock_at


def _place_of(values: list[Any], value: Any) -> int | None:
    """Where *value* itself (by identity) is in *values*, if anywhere."""
    return next(compress(count(), map(is_, values, repeat(value))), None)


def _first_mock(values: list[Any]) -> int | None:
    """The place of the first mock in *values*, if any."""
    return next(compress(count(), map(is_mock, values)), None)


# Sizes, names and values of watched namespaces (see _Views.read).
_Reading = tuple[list[int], list[Any], list[Any]]


def _dict_shown_by(proxy: Any) -> dict[Any, Any] | None:
    """The dict a mappingproxy shows, as a class's does: its views are then
    the dict's own, all C code. None if it shows anything else."""
    # The mapping a proxy shows is the one object it refers to; asked this
    # way, no method of the mapping runs.
    referents = gc.get_referents(proxy)
    if len(referents) == 1 and type(referents[0]) is dict:
        shown: dict[Any, Any] = referents[0]
        return shown
    return None


class _Hold:
    """Which views object keeps its last reading between tests: one at a
    time, the last test's, so that what a module or class let go of after
    its tests is kept no longer than until the next test starts."""

    views: _Views | None = None

    @classmethod
    def keep(cls, views: _Views, last: _Last) -> None:
        held = cls.views
        if held is not None and held is not views:
            held.last = None
        views.last = last
        cls.views = views

    @classmethod
    def take(cls, views: _Views) -> _Last | None:
        held, cls.views = cls.views, None
        if held is not None and held is not views:
            held.last = None
        last, views.last = views.last, None
        return last


def release_readings() -> None:
    """Let go of the reading kept between tests (when the drop-in ends)."""
    held, _Hold.views = _Hold.views, None
    if held is not None:
        held.last = None


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

    Holds, in order, the values of every namespace: what was there before
    the test, never what the test puts there, so nothing the test passes to
    a mock is kept alive through it (contract 5). The values are held, not
    remembered by ``id``: a freed value's id can be taken by a mock the test
    builds and puts in its place, which an id would not tell apart. Drop the
    baseline once :meth:`new_mocks` has been read.

    Names are read too only where a namespace holds a mock when the test
    starts -- whether one does is known from the last test's end when
    nothing moved since, else asked of every value once. Where none does,
    a mock there at the end is new to its namespace whatever its name, so
    only values are compared.

    Args:
        watched: The namespaces to watch (:func:`watched_namespaces`).
    """

    __slots__ = ("_mock_at", "_names", "_sizes", "_values", "_views")

    def __init__(self, watched: list[Watched]) -> None:
        views = self._views = _views_of(watched)
        sizes, values = views.read_values()
        last = _Hold.take(views)
        if (
            last is not None
            and last.sizes == sizes
            and _same_objects(last.values, values)
        ):
            mock_at = last.mock_at
        else:
            mock_at = _first_mock(values)
        #: None while no namespace holds a mock (names not needed).
        self._names: list[Any] | None = None
        if mock_at is not None:
            known = values[mock_at]
            sizes, self._names, values = views.read()
            if mock_at >= len(values) or values[mock_at] is not known:
                mock_at = _first_mock(values)  # a thread moved it meanwhile
        self._mock_at = mock_at
        self._sizes, self._values = sizes, values

    def new_mocks(self) -> list[tuple[str, Any, Any, Any]]:
        """Each mock a watched namespace holds now that it did not hold under
        the same name at the start, as (label, owner, name, mock)."""
        if self._names is None:
            return self._new_where_none_was()
        names_before, sizes_before, values_before = (
            self._names,
            self._sizes,
            self._values,
        )
        sizes, names, values = self._views.read()
        if (
            sizes == sizes_before  # lists of ints: compared by value, safely
            and _same_objects(names, names_before)
            and _same_objects(values, values_before)
        ):
            self._keep(sizes, values, self._mock_at)
            return []  # nothing moved anywhere
        found: list[tuple[str, Any, Any, Any]] = []
        start_before = start = 0
        for (label, owner), size_before, size in zip(
            self._views.owners, sizes_before, sizes
        ):
            end_before, end = start_before + size_before, start + size
            for name, value in _new_in(
                names_before[start_before:end_before],
                values_before[start_before:end_before],
                names[start:end],
                values[start:end],
            ):
                found.append((label, owner, name, value))
            start_before, start = end_before, end
        # Kept for the next test if a mock is known to be there still (the
        # one at the start, or one found); else the next baseline asks.
        known = [leak[3] for leak in found[:1]]
        if self._mock_at is not None:
            known.insert(0, values_before[self._mock_at])
        for mock_value in known:
            place = _place_of(values, mock_value)
            if place is not None:
                self._keep(sizes, values, place)
                break
        return found

    def _new_where_none_was(self) -> list[tuple[str, Any, Any, Any]]:
        # No namespace held a mock at the start: every mock one holds now is
        # new to it, whatever its name.
        sizes_before, values_before = self._sizes, self._values
        sizes, values = self._views.read_values()
        if sizes == sizes_before and _same_objects(values, values_before):
            self._keep(sizes, values, None)
            return []  # the common case: nothing moved anywhere
        # Names are needed now, to say where: read both together, so they
        # line up even if a thread changed a namespace since.
        sizes, names, values = self._views.read()
        found: list[tuple[str, Any, Any, Any]] = []
        start_before = start = 0
        for (label, owner), size_before, size in zip(
            self._views.owners, sizes_before, sizes
        ):
            end_before, end = start_before + size_before, start + size
            if size != size_before or not _same_objects(
                values[start:end], values_before[start_before:end_before]
            ):
                # The values held before are alive (held here): their ids
                # name them and nothing else. Only the others can be mocks.
                before = set(map(id, values_before[start_before:end_before]))
                for place in range(start, end):
                    value = values[place]
                    if id(value) not in before and is_mock(value):
                        found.append((label, owner, names[place], value))
            start_before, start = end_before, end
        self._keep(sizes, values, _place_of(values, found[0][3]) if found else None)
        return found

    def _keep(self, sizes: list[int], values: list[Any], mock_at: int | None) -> None:
        _Hold.keep(self._views, _Last(sizes, values, mock_at))


def _views_of(watched: list[Watched]) -> _Views:
    """The views of *watched*, made once per list :func:`watched_namespaces`
    returns (the same list for every test of a module)."""
    cached = _views_cache.get(id(watched))
    if cached is not None and cached[0] is watched:
        return cached[1]
    views = _Views(watched)
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
    name = _module_name(module)
    if name is None:
        return False
    if name == "mockpool" or name.startswith(("mockpool.", "unittest")):
        return name.startswith("mockpool._demo")
    # Read from the namespace: a lazy module's __getattr__ may import, or
    # raise, for a __file__ it does not have.
    try:
        path = namespace_of(module).get("__file__")
    except Exception:
        return False
    if type(path) is not str or not path:
        return False
    return not path.startswith(_stdlib_prefixes) or "site-packages" in path


def _defining_module(value: Any) -> Any:
    """The module *value* is (a module) or was defined in, if loaded."""
    if issubclass(type(value), ModuleType):
        return value
    name = module_of(value)
    if not name:
        return None
    return sys.modules.get(name)


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
    for _, value in _entries(namespace):
        owner = _defining_module(value)
        if owner is not None and user_module(owner):
            name = _module_name(owner)
            if name is not None:
                modules.setdefault(name, owner)
    watched: list[Watched] = []
    for name, owner in modules.items():
        owned = namespace_of(owner)
        if owned is None:
            continue
        watched.append((name, owner, owned))
        for _, value in _entries(owned):
            if issubclass(type(value), type) and module_of(value) == name:
                label = f"{name}.{_qualname(value)}"
                watched.append((label, value, _TYPE_DICT.__get__(value)))
    if len(_watch_cache) >= _CACHE_SIZE:
        _watch_cache.clear()
    _watch_cache[module_name] = (module, namespace, size, watched)
    return watched
