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
* The scan reads no code of the objects it looks at (see below): it never
  raises, whatever a test module holds.
"""

from __future__ import annotations

import inspect
import os
import sys
import threading
from collections.abc import Iterable
from types import FunctionType, MappingProxyType, ModuleType
from typing import Any
from unittest import mock

import cachetools

__all__ = [
    "MISSING",
    "UNREADABLE",
    "Watched",
    "assigned_mocks",
    "dict_name",
    "holds",
    "is_mock",
    "module_of",
    "namespace_of",
    "raw_attribute",
    "read_items",
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


def holds(patched: Any, items: list[tuple[Any, Any]]) -> bool:
    """Whether the container *patched* holds exactly *items* again.

    True when that cannot be told -- the container or a key raises when
    read or compared --: only a difference read is a leak.
    """
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


_stdlib_prefixes: tuple[str, ...] = tuple(
    {os.path.dirname(os.__file__), os.path.dirname(inspect.__file__)}
)
_watch_cache: cachetools.LRUCache[str, list[Watched]] = cachetools.LRUCache(maxsize=256)


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
    namespace = namespace_of(module)
    if module is None or namespace is None:
        return []
    key = f"{module_name}:{len(namespace)}"
    with _lock:
        cached = _watch_cache.get(key)
    if cached is not None:
        return cached
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
    with _lock:
        _watch_cache[key] = watched
    return watched


def _reinit_after_fork() -> None:
    global _lock
    _lock = threading.Lock()


_lock = threading.Lock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)
