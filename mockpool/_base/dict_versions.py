"""Dict versions: whether a namespace changed, told without reading it.

Every CPython dict from 3.6 to 3.13 carries a version (PEP 509): a number
the interpreter changes whenever the dict's contents change -- a value
added, replaced by another or removed (setting the very value already
there is no change) -- and never gives twice. It is stored right
after the object header and the item count (Include/cpython/dictobject.h;
deprecated in 3.12, gone in 3.14, where its place means something else).

Reading it tells, without touching any value, whether a namespace may have
changed since it was last read. Touching values is what costs: reading a
value writes its reference count, and the values of a namespace lie
scattered in memory. Two parts of mockpool read versions:

* the leak check (:mod:`mockpool._integration.leak_check`), of the
  namespaces it watches: on a real suite's 2,000 watched values, reading
  them all was most of the check's cost;
* the reuse of mock classes (:mod:`mockpool._autospec.plain.class_reuse`),
  of a dropped mock's class, to tell that its namespace is as it was made:
  comparing a ``MagicMock`` class's 79 values cost 1.5 us on 3.13, reading
  the version 0.2 us.

Whether versions can be read here is checked once, at import
(:data:`READS_VERSIONS`); where they cannot (CPython 3.14, a free-threaded
build, another implementation, no :mod:`ctypes`), the callers compare
values instead.
"""

from __future__ import annotations

import gc
import struct
import sys
from types import MappingProxyType
from typing import Any

from mockpool._base.compat import PY_3_13_PLUS

__all__ = [
    "READS_VERSIONS",
    "VERSION_SIZE",
    "dict_shown_by",
    "read_version",
    "version_address",
    "version_cell",
]

try:
    import ctypes
except ImportError:  # pragma: no cover - a CPython built without ctypes
    ctypes = None  # type: ignore[assignment]

#: Bytes of one version (a uint64_t).
VERSION_SIZE = 8
# After the object header (reference count, type) and the item count.
_VERSION_OFFSET = 3 * struct.calcsize("P")


def version_address(namespace: dict[Any, Any]) -> int:
    """Where *namespace*'s version is (valid while the dict is alive)."""
    return id(namespace) + _VERSION_OFFSET


def version_cell(namespace: dict[Any, Any]) -> memoryview:
    """A view of the bytes of *namespace*'s version (valid while it is
    alive). Views, not ctypes integers, for reading many: ``b"".join``
    reads a hundred of them in a few microseconds, where each
    :func:`read_version` costs 0.2-0.3 us."""
    return memoryview(_VersionBytes.from_address(version_address(namespace)))


def read_version(address: int) -> int:
    """The version stored at *address* (:func:`version_address` of a dict
    that is alive): one ctypes read, for a single dict."""
    value: int = _read_uint64(address).value
    return value


def dict_shown_by(proxy: Any) -> dict[Any, Any] | None:
    """The dict a mappingproxy shows, as a class's ``__dict__`` does; None
    if it shows anything else, or *proxy* is no mappingproxy."""
    if type(proxy) is not MappingProxyType:
        return None
    # The mapping a proxy shows is the one object it refers to; asked this
    # way, no method of the mapping runs.
    referents = gc.get_referents(proxy)
    if len(referents) == 1 and type(referents[0]) is dict:
        shown: dict[Any, Any] = referents[0]
        return shown
    return None


def _versions_work() -> bool:
    """Whether versions read right in this interpreter: a dict's changes
    with every kind of change a namespace can see, and not when the dict is
    only read; a class's too, through its ``__dict__``."""
    sample: dict[Any, Any] = {"a": 1}
    try:
        cell = version_cell(sample)
        changes = [
            lambda: sample.__setitem__("a", 2),
            lambda: sample.__setitem__("b", 3),
            lambda: sample.pop("b"),
            lambda: sample.update(c=4),
            lambda: sample.setdefault("d", 5),
            lambda: sample.__delitem__("a"),
            sample.clear,
        ]
        for change in changes:
            before = bytes(cell)
            change()
            if bytes(cell) == before:
                return False
        before = bytes(cell)
        sample.get("x")
        list(sample.values())
        if bytes(cell) != before:
            return False
        probe = type("Probe", (), {"a": 1})
        shown = dict_shown_by(probe.__dict__)
        if shown is None:
            return False
        address = version_address(shown)
        made = read_version(address)
        setattr(probe, "a", 2)  # noqa: B010  # a class made by type()
        return read_version(address) != made
    except Exception:
        return False


def _free_threaded() -> bool:
    """Whether this interpreter runs without the GIL (another dict layout).

    Only 3.13 and later can be built so: earlier ones are not asked, as
    importing sysconfig and reading its variables cost ~5 million
    instructions at import (3.11), a twentieth of mockpool's start-up.
    """
    if not PY_3_13_PLUS:
        return False
    import sysconfig

    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


if ctypes is not None:
    # Made once: ``c_char * n`` looks its array type up on every use.
    _VersionBytes = ctypes.c_char * VERSION_SIZE
    _read_uint64 = ctypes.c_uint64.from_address

#: Whether dict versions can be read here (see the module's docstring).
READS_VERSIONS: bool = (
    ctypes is not None
    and sys.implementation.name == "cpython"
    and sys.version_info < (3, 14)
    and not _free_threaded()
    and _versions_work()
)
