"""What ``unittest.mock`` itself would have spent on an autospec, measured.

The run report's "time saved against unittest.mock" needs, for every spec
mockpool served, what the stdlib's ``create_autospec`` costs for it. It is
measured here, once per distinct (spec, kind of call) and process, by
building the spec with the stdlib's own function
(:data:`mockpool._base.stdlib.create_autospec`, the real one even while
:func:`mockpool.install` has put ours in ``unittest.mock``) and throwing the
mock away at once.

When: never inside a test. The drop-in notes the calls during the test and
:meth:`~mockpool._reporting.run_report.RunReport.measure_stdlib_costs`
measures them when the test's scope closes, after its outcome is recorded.

How: on :func:`time.thread_time`, the CPU time of this thread, so that
another process taking the core mid-build (two shared cores under load)
does not inflate a figure measured only once; and with the garbage
collector paused (:func:`collection_paused`), so that a collection of the
whole heap does not land on the one spec measured when it came.

With plain-mock acceleration in effect (:mod:`mockpool._autospec.plain`),
the stdlib's eager children would be built by the accelerated constructors
-- about three times faster than under plain unittest -- so the
acceleration is suspended for the measurement; and the stdlib's own
``create_autospec`` is put back in ``unittest.mock`` meanwhile, since it
calls itself through that name (a class autospec builds its
``return_value`` so). It is what a suite without mockpool pays that is
wanted.

What is left out: a call the stdlib raises on (a spec it cannot build), and
specs that are neither classes nor routines (instances, modules): building
those reads their attributes, properties included, which may do anything
once the test is over. Their requests are simply not compared.

Kept between runs: a measured cost is remembered in the usage history
(:class:`mockpool._learning.costs.CostMemory`) under :func:`remembered_as`'s
name and stamp, so that a suite's later runs measure only what is new or
changed. The stamp stands for the source the cost depends on: the size and
modification time of the file of every module that defines the spec (for a
class, each class of its MRO). A spec that cannot be named the same way in
another process -- a class made inside a function, a module without a file
-- is measured in every run, as before.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import operator
import sys

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all, getattr, isinstance, map, range, sorted  # noqa: UP029
from collections.abc import Iterable, Iterator

# Bound at import: a test may patch gc or os.stat.
from gc import disable as _gc_disable
from gc import enable as _gc_enable
from gc import isenabled as _gc_isenabled
from os import stat as _stat
from time import thread_time as _thread_time
from typing import Any, NamedTuple
from unittest import mock

from mockpool._autospec import plain as _plain
from mockpool._base import stdlib as _stdlib
from mockpool._base.compat import blake2b as _blake2b

__all__ = [
    "AutospecCall",
    "as_without_mockpool",
    "builtins_untouched",
    "collection_paused",
    "cost_key",
    "measure",
    "remembered_as",
    "source_stamp",
]

#: The kinds of autospec compared, named as ``python -m mockpool measure``
#: names them (:data:`mockpool._measure.timers.AUTOSPEC_KINDS`).
INSTANCE = "autospec_instance"
CLASS = "autospec_class"
FUNCTION = "autospec_function"
OTHER = "autospec_other"


class AutospecCall(NamedTuple):
    """The arguments of a top-level ``create_autospec`` that matter to its cost.

    Keyword arguments configuring the mock (``return_value=...``) are left
    out: they cost next to nothing, and leaving them out keeps the report
    from holding what a test passed until the test's scope closes.
    """

    spec: Any
    spec_set: Any = False
    instance: bool = False


def cost_key(call: AutospecCall) -> tuple[str, str]:
    """``(qualified name, kind)``: the calls that cost the stdlib the same.

    Named by the spec's own ``__module__`` and ``__qualname__`` (a bound
    method's are its function's, so every ``obj.method`` of a class shares
    one key), or by its type's for anything else.
    """
    spec = call.spec
    if isinstance(spec, type):
        kind = INSTANCE if call.instance else CLASS
    elif inspect.isroutine(spec):
        kind = FUNCTION
    else:
        kind = OTHER
        spec = type(spec)
    module = getattr(spec, "__module__", None) or "?"
    return f"{module}.{getattr(spec, '__qualname__', '?')}", kind


def remembered_as(call: AutospecCall) -> tuple[str, str] | None:
    """``(name, stamp)`` under which *call*'s cost is kept between runs.

    The name is :func:`cost_key`'s kind and qualified name; the stamp, the
    :func:`source_stamp` of the modules defining the spec. None for a call
    whose cost is not kept: one of kind ``OTHER``, or a spec made inside a
    function (two runs may make two different classes of one name), or one
    whose modules cannot be stamped.
    """
    name, kind = cost_key(call)
    if kind == OTHER or "<locals>" in name:
        return None
    stamp = source_stamp(defining_modules(call.spec))
    if stamp is None:
        return None
    return f"{kind} {name}", stamp


def defining_modules(spec: Any) -> list[str] | None:
    """The modules whose source defines *spec*: a routine's own, or those
    of every class in a class's MRO (a base class's methods are autospecced
    too). None if one is not named."""
    owners = getattr(spec, "__mro__", None) if isinstance(spec, type) else (spec,)
    if not isinstance(owners, tuple):
        return None
    modules: list[str] = []
    for owner in owners:
        module = getattr(owner, "__module__", None)
        if not isinstance(module, str):
            return None
        modules.append(module)
    return modules


# The stamp of each module asked for, by name, once per process: the source
# of a loaded module does not change under the process that loaded it.
_module_stamps: dict[str, str | None] = {}


def source_stamp(modules: Iterable[str] | None) -> str | None:
    """A short token that changes when the source of *modules* changes.

    Made of each module's file size and modification time (a module built
    into the interpreter stands as itself: the interpreter's version is
    part of what a cost is kept under). None if a module is not loaded, or
    has no file that can be read.
    """
    if modules is None:
        return None
    parts = set()
    for module in modules:
        if module in _module_stamps:
            part = _module_stamps[module]
        else:
            part = _module_stamps[module] = _module_stamp(module)
        if part is None:
            return None
        parts.add(part)
    text = "\n".join(sorted(parts)).encode("utf-8", "replace")
    return _blake2b(text, digest_size=8).hexdigest()


def _module_stamp(name: str) -> str | None:
    # Not every entry of sys.modules is a module (a lazy loader, a shim).
    namespace = getattr(sys.modules.get(name), "__dict__", None)
    if not isinstance(namespace, dict):
        return None
    path = namespace.get("__file__")
    if path is None:
        return f"{name} builtin" if name in sys.builtin_module_names else None
    if not isinstance(path, str):
        return None
    try:
        status = _stat(path)
    except (OSError, ValueError):
        return None
    return f"{name} {status.st_size} {status.st_mtime_ns}"


# The builtins the stdlib's mock and inspect code call, as at import.
_WATCHED_BUILTINS = (
    "all", "any", "callable", "dict", "dir", "enumerate", "getattr", "hasattr",
    "id", "isinstance", "issubclass", "iter", "len", "list", "map", "max",
    "min", "next", "object", "open", "print", "range", "repr", "set",
    "setattr", "sorted", "str", "sum", "super", "tuple", "type", "vars", "zip",
)  # fmt: skip
_BUILTINS_AT_IMPORT = tuple(map(vars(builtins).get, _WATCHED_BUILTINS))


def builtins_untouched() -> bool:
    """Whether the builtins the stdlib's mock code calls are the real ones.

    Measuring runs the stdlib's code between tests, where under plain
    unittest none runs: while a test class has patched one of them (a
    class-wide ``patch("builtins.map")``), its mock would see the calls.
    The report measures later then.
    """
    now = vars(builtins)
    return all(map(operator.is_, map(now.get, _WATCHED_BUILTINS), _BUILTINS_AT_IMPORT))


def measure(call: AutospecCall) -> float | None:
    """The CPU seconds the stdlib's ``create_autospec`` takes for *call*.

    Returns None for a call it cannot build, or one of kind ``OTHER``
    (see the module's docstring). The mock built is dropped at once.
    """
    if cost_key(call)[1] == OTHER:
        return None
    with as_without_mockpool(), collection_paused():
        started = _thread_time()
        try:
            _stdlib.create_autospec(call.spec, call.spec_set, call.instance)
        except Exception:
            return None
        return _thread_time() - started


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while inside (if it was on).

    A build allocates enough to start a collection now and then, and one of
    the oldest generation scans the whole heap of the test process: in a
    big suite a hundred milliseconds, charged in full to the one spec
    measured when it came (one build of openstack's ``OpenStackConfig`` in
    five took 190 ms instead of 75). Under ``unittest.mock`` that cost is
    spread over every allocation of the run; paused, what the build itself
    costs is measured, the same in every run.
    """
    was_enabled = _gc_isenabled()
    _gc_disable()
    try:
        yield
    finally:
        if was_enabled:
            _gc_enable()


@contextlib.contextmanager
def as_without_mockpool() -> Iterator[None]:
    """Build with the stdlib's own constructors and autospec while inside.

    Another thread building a mock meanwhile is built the stdlib's way or
    mockpool's, both of them complete (plain.py's ``__init__`` skips work
    only for a class its own ``__new__`` prepared): slower, never wrong.
    """
    installed = mock.create_autospec
    depth = 0
    try:
        mock.create_autospec = _stdlib.create_autospec
        while _plain.enabled():
            _plain.disable()
            depth += 1
        yield
    finally:
        for _ in range(depth):
            _plain.enable()
        # Unless someone placed another meanwhile (install() or uninstall()
        # in another thread): theirs stands.
        if mock.create_autospec is _stdlib.create_autospec:
            mock.create_autospec = installed
