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
does not inflate a figure measured only once. With plain-mock acceleration
in effect (:mod:`mockpool._autospec.plain`), the stdlib's eager children
would be built by the accelerated constructors -- about three times faster
than under plain unittest -- so the acceleration is suspended for the
measurement; and the stdlib's own ``create_autospec`` is put back in
``unittest.mock`` meanwhile, since it calls itself through that name (a
class autospec builds its ``return_value`` so). It is what a suite without
mockpool pays that is wanted.

What is left out: a call the stdlib raises on (a spec it cannot build), and
specs that are neither classes nor routines (instances, modules): building
those reads their attributes, properties included, which may do anything
once the test is over. Their requests are simply not compared.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import operator

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all, getattr, isinstance, map, range  # noqa: UP029
from collections.abc import Iterator
from time import thread_time as _thread_time
from typing import Any, NamedTuple
from unittest import mock

from mockpool._autospec import plain as _plain
from mockpool._base import stdlib as _stdlib

__all__ = [
    "AutospecCall",
    "as_without_mockpool",
    "builtins_untouched",
    "cost_key",
    "measure",
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
    with as_without_mockpool():
        started = _thread_time()
        try:
            _stdlib.create_autospec(call.spec, call.spec_set, call.instance)
        except Exception:
            return None
        return _thread_time() - started


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
