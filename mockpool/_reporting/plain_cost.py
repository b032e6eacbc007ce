"""What ``unittest.mock`` would have spent on the plain mocks mockpool built.

While installed, mockpool builds ``Mock()``, ``MagicMock()``, their child
mocks and the mocks ``patch`` makes with :mod:`mockpool._autospec.plain`,
faster than the stdlib. The run report's "time saved against
unittest.mock" counts them as a third part, beside pool hits and lazy
builds: for every kind of plain mock built (:class:`PlainKey`: the mock's
class and its spec class, if any) the report counts how many a test built
(:meth:`~mockpool._reporting.run_report.RunReport.record_plain`), and this
module measures, once per kind and process, what one costs the stdlib and
what it costs mockpool.

When: never inside a test, as for autospecs (:mod:`.stdlib_cost`): when the
test's scope closes, within the report's measuring budget.

How: both sides are built the same way, off the test's clock, with the
garbage collector paused (:func:`.stdlib_cost.collection_paused`), on
:func:`time.thread_time`, :data:`ROUNDS` times each and the least kept (the
machine's noise only ever adds): mockpool's with the acceleration in effect,
the stdlib's with it suspended. What mockpool built inside the tests may
have cost a little more or less (a child mock is attached to its parent,
a recycled class is cheaper): the figure is an estimate, named so.

What is left out: a kind whose mock class or spec was made inside a test
(keeping it for the report would keep the test's objects alive), a spec
that is not a class (an instance's attributes may run code once the test
is over), and a kind either side fails to build. Their mocks are counted,
not compared.

Kept between runs, as the autospecs' costs are (:mod:`.stdlib_cost`): both
figures, under :func:`remembered_as`'s name and a stamp of the modules
defining the mock class and the spec, and of mockpool's accelerated
constructors (:mod:`mockpool._autospec.plain` and its modules), whose cost
is the other side of the saving.
"""

from __future__ import annotations

import sys

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import getattr, isinstance, min, range  # noqa: UP029
from time import thread_time as _thread_time
from typing import Any, NamedTuple

from mockpool._autospec import plain as _plain
from mockpool._reporting.stdlib_cost import (
    as_without_mockpool,
    collection_paused,
    defining_modules,
    source_stamp,
)

__all__ = ["ROUNDS", "PlainKey", "comparable", "measure", "remembered_as"]

#: Builds of each side per measurement; the cheapest is kept.
ROUNDS = 3


class PlainKey(NamedTuple):
    """A kind of plain mock: what its construction costs depends on."""

    #: The mock's class, e.g. ``unittest.mock.MagicMock``.
    mock_class: type
    #: The class given as ``spec``/``spec_set``, or None.
    spec: type | None


def comparable(key: PlainKey) -> bool:
    """Whether mocks of *key* can be rebuilt off the clock (see the module)."""
    return _lives_on(key.mock_class) and (key.spec is None or _lives_on(key.spec))


def _lives_on(kind: Any) -> bool:
    """Whether *kind* is a class that outlives any test: defined at the top
    of a loaded module, or built into the interpreter."""
    if not isinstance(kind, type):
        return False
    qualname = getattr(kind, "__qualname__", "")
    module = sys.modules.get(getattr(kind, "__module__", "") or "")
    return module is not None and "<locals>" not in qualname


def remembered_as(key: PlainKey) -> tuple[str, str] | None:
    """``(name, stamp)`` under which *key*'s costs are kept between runs,
    or None for a kind that is not :func:`comparable` or whose modules
    cannot be stamped (see :func:`~.stdlib_cost.source_stamp`)."""
    if not comparable(key):
        return None
    mock_modules = defining_modules(key.mock_class)
    spec_modules = [] if key.spec is None else defining_modules(key.spec)
    if mock_modules is None or spec_modules is None:
        return None
    stamp = source_stamp([*mock_modules, *spec_modules, *_accelerator_modules()])
    if stamp is None:
        return None
    spec = "-" if key.spec is None else _qualified(key.spec)
    return f"plain {_qualified(key.mock_class)} spec={spec}", stamp


def _accelerator_modules() -> list[str]:
    """mockpool's accelerated constructors: the package and the modules of
    it loaded (all of them, by the time a plain mock was built)."""
    package = _plain.__name__
    return [
        name
        for name in list(sys.modules)
        if name == package or name.startswith(f"{package}.")
    ]


def _qualified(kind: type) -> str:
    return f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', '?')}"


def measure(key: PlainKey) -> tuple[float, float] | None:
    """``(stdlib seconds, mockpool seconds)`` to build one mock of *key*.

    None if either side fails to build it. The mocks are dropped at once.
    """
    if not comparable(key):
        return None
    try:
        with collection_paused():
            mockpool_seconds = _cheapest(key)
            with as_without_mockpool():
                stdlib_seconds = _cheapest(key)
    except Exception:
        return None
    return stdlib_seconds, mockpool_seconds


def _cheapest(key: PlainKey) -> float:
    mock_class, spec = key
    timings = []
    for _ in range(ROUNDS):
        started = _thread_time()
        if spec is None:
            mock_class()
        else:
            mock_class(spec=spec)
        timings.append(_thread_time() - started)
    return min(timings)
