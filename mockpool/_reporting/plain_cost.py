"""What ``unittest.mock`` would have spent on the plain mocks mockpool built.

While installed, mockpool builds ``Mock()``, ``MagicMock()``, their child
mocks and the mocks ``patch`` makes with :mod:`mockpool._autospec.plain`,
faster than the stdlib. The run report's "time saved against
unittest.mock" counts them as a third part, beside pool hits and lazy
builds: for every kind of plain mock built (:class:`PlainKey`: the mock's
class and its spec class, if any) the report counts how many a test built
(:meth:`~mockpool._reporting.run_report.RunReport.record_plain`), and this
module measures, once per kind and process, what one costs the stdlib and
what it costs mockpool. A child mock (an attribute of a mock, its
``return_value``) is built by the same constructor, and counted as a mock
of its own class.

When: never inside a test, as for autospecs (:mod:`.stdlib_cost`): when the
test's scope closes, within the report's measuring budget.

What one mock costs is more than its constructor: a test keeps its mocks
until it ends, and the cyclic garbage collector then has them to scan, and
-- a stdlib mock being a cycle through a class of its own, ~90 objects for
a ``MagicMock`` -- to free (mockpool's reuse their classes and proxies, and
leave next to nothing). Under plain unittest the collector took 0.8 s of
os-brick's 7 s and 5.5 s of cloudbase-init's 25 s, accelerated 0.3 s and
2.0 s. Measured with the collector paused, each mock thrown away at once
and the cheapest of three back-to-back builds kept (a best case, not the
typical one), the stdlib's side came out at about half of what those
suites really saved. So each side builds a batch of :data:`BATCH` mocks,
every one kept until the last is built, and the whole is timed on
:func:`time.thread_time`, the collector paused so that only the
collections below land on the batch (the young generations are emptied
first, untimed, so that they hold the batch's objects alone):

1. *build*: the batch, one after another;
2. *scan*: a collection of the youngest generation, which finds them all
   alive, as a test's collections find its mocks; counted twice: what
   survives it moves to the middle generation, whose next collection finds
   it alive again;
3. *old-generation share*: objects a test keeps past the young
   collections move to the oldest generation, and CPython collects the
   whole of that once the objects moved there since the last full
   collection reach a quarter of it -- each moved object brings in, on
   average, a full collection's scan of :data:`FULL_COLLECTION_SCANS`
   objects; each counted as the scan of its own (step 2's time, times that
   many);
4. *free*: the batch dropped and its garbage collected.

The figure is the sum, per mock. Where the run has the collector disabled
(``gc.disable()`` in the suite), there is no collection to pay for: the
build and the drop only.

Step 2 counted the scan once until the collector's time was measured
(``gc.callbacks``, CPU time) under plain unittest and accelerated, two
runs each: ncclient 0.110 and 0.113 s against 0.049 and 0.059 s, 48 us a
mock, cloudbase-init 2.18 and 2.44 s against 0.60 and 0.67 s, 57 us a
mock; the model's collector part (the stdlib's less mockpool's) came to
about 38 and 42 us a ``MagicMock`` at those suites' ends, 44 and 49 us
counting the middle generation. Most of what the collector freed in
cloudbase-init's plain run (2.1 of 2.6 million objects) went in full
collections: it had survived a young and a middle collection alive.

Each batch follows :data:`WARM_UP` builds of the kind, untimed, kept alive
together as the batch is, then dropped. A suite under plain unittest runs
the stdlib's construction code in every test, warm: specialized by the
interpreter, the mock classes' attribute lookups cached. Where the report
measures, it has not run since the acceleration took over, and suspending
the acceleration empties those caches. At ncclient's end (3.11, a
``MagicMock``), the stdlib's builds after the first suspension took 283,
143, 121, 113, 112, 105 us... and about 93 us from the eighth or so on;
after a second suspension 151, 113, 100, 97 us...: a batch timed cold read
about twice the warm figure, and the samples a benchmark of ncclient kept,
0.20 to 0.21 ms a mock, had the report's plain part at 1.4 times what
switching the acceleration off and on measured (0.155 s over ncclient's
1,144 mocks, medians of eight runs each). The first measurement of a run
gave 280 to 350 us without warm-up, 138 to 152 us (quiet runs) with 8 or
16 builds. Kept together, the warm-up leaves mockpool's side a class free
for each mock of the batch, as a test's end leaves them for the next test:
dropped one by one, it left one, and after a suspension the batch's second
and third mocks took 15 to 17 us to build instead of 5 (a class made
each).

The scan of step 2 carries no fixed cost worth taking out: collecting an
empty youngest generation took 0.4 us at ncclient's end (0.5 us at
cloudbase-init's), against 17 us for the batch's scan; and the scan per
mock came out the same for batches of 3, 10 and 30 (6.1, 6.4 and 6.0 us),
so a larger batch would cost more to measure, and tell the same.

Both sides the same way: mockpool's with the acceleration in effect, the
stdlib's with it suspended -- once for every kind measured together
(:func:`measure_kinds`), each kind's mockpool side first. What mockpool
built inside the tests may have cost a little more or less (a recycled
class is cheaper, a heap much larger than the batch is slower to scan):
the figure is an estimate, named so. Held against what the acceleration
saved (``benchmarks/realworld``, medians of five runs, three times each),
it read 0.79 to 1.14 of ncclient's saving and 0.67 to 0.76 of
cloudbase-init's: in a suite, between a test's other work, a stdlib mock
costs more than in a batch built back to back (cloudbase-init's mock
creation timed under plain unittest: about 210 us a mock, the collections
that land on it included, against 150 us or so for the batch).

What is left out: a kind whose mock class or spec was made inside a test
(keeping it for the report would keep the test's objects alive), a spec
that is not a class (an instance's attributes may run code once the test
is over), and a kind either side fails to build. Their mocks are counted,
not compared.

Kept between runs, as the autospecs' costs are (:mod:`.stdlib_cost`): both
figures, under :func:`remembered_as`'s name and a stamp of the modules
defining the mock class and the spec, of mockpool's accelerated
constructors (:mod:`mockpool._autospec.plain` and its modules), whose cost
is the other side of the saving, and of :data:`METHOD`, the way they were
measured: a figure measured another way is measured again. Unlike an
autospec's, a kind's cost is measured again at the end of each run that
can afford it
(:meth:`~mockpool._reporting.run_report.RunReport.resample_plain_costs`)
until :data:`~mockpool._learning.costs.COST_SAMPLES` measurements are kept,
and their median is used: one measurement is taken at one moment, under
that moment's load, and every kind of a first run measured on a busy
machine came out high together (os-brick's plain part read 0.69 s to
1.24 s over four first runs, cloudbase-init's 3.9 s to 7.4 s); a kind costs
a few milliseconds to measure, an autospec up to most of a second.
"""

from __future__ import annotations

import sys

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import getattr, isinstance, range  # noqa: UP029
from collections.abc import Callable, Iterable, Mapping

# Bound at import: a test may patch gc.
from gc import collect as _gc_collect
from gc import isenabled as _gc_isenabled
from time import process_time as _process_time
from time import thread_time as _thread_time
from typing import Any, NamedTuple

from mockpool._autospec import plain as _plain
from mockpool._base.compat import blake2b as _blake2b
from mockpool._reporting.stdlib_cost import (
    as_without_mockpool,
    collection_paused,
    defining_modules,
    source_stamp,
)

__all__ = [
    "BATCH",
    "FULL_COLLECTION_SCANS",
    "METHOD",
    "PlainKey",
    "SIDE_MOCKS",
    "STDLIB_SIDE_RATIO",
    "comparable",
    "expected_suspension",
    "WARM_UP",
    "measure",
    "measure_kinds",
    "remembered_as",
]

#: Mocks built per side and measurement, all kept until the last is built.
BATCH = 3

#: Mocks of the kind built, untimed and kept until the last is built,
#: before each side's batch: the stdlib's first builds after a suspension run cold code
#: (see the module); by about the eighth they cost what they do in a suite.
WARM_UP = 8

#: Objects a full collection scans, on average, for each object moved into
#: the oldest generation: CPython runs one when the objects moved there
#: since the last reach a quarter of those it holds.
FULL_COLLECTION_SCANS = 4

#: Mocks a side builds (its warm-up and its batch): what one side costs is
#: about that many times the kind's figure per mock (metalsmith's kinds:
#: within a tenth), which is how :func:`measure_kinds` expects it.
SIDE_MOCKS = WARM_UP + BATCH

#: What a kind's stdlib side is expected to cost, as a multiple of what its
#: mockpool side cost, where no remembered figures of the kind say
#: (:func:`measure_kinds`): the high end of the stdlib's side over
#: mockpool's for the ``unittest.mock`` classes alone on 3.9 to 3.13 here
#: (2 to 16 times, by class and Python; a spec of many attributes costs
#: both sides alike), so that a run stops early rather than late.
STDLIB_SIDE_RATIO = 8.0

#: How the figures are measured (see the module), part of the stamp they
#: are kept under: change it with the way, and earlier figures go.
METHOD = "batch kept alive after a warm-up, young scan twice, collector's share/1"


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
    return f"plain {_qualified(key.mock_class)} spec={spec}", _with_method(stamp)


def _with_method(stamp: str) -> str:
    """*stamp* with :data:`METHOD` folded in (same length and form)."""
    text = f"{stamp}\n{METHOD}".encode("utf-8", "replace")
    return _blake2b(text, digest_size=8).hexdigest()


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
    """``(stdlib seconds, mockpool seconds)`` one mock of *key* costs: its
    build and, while the run collects garbage, the collector's share of it
    (see the module).

    None if either side fails to build it. The mocks are dropped (and,
    while the run collects garbage, collected) before it returns.
    """
    try:
        return measure_kinds([key]).get(key)
    except Exception:
        return None  # the acceleration could not be suspended, or resumed


# What suspending the acceleration and resuming it cost the last time, in
# CPU seconds: what the next measurement expects it to cost (see
# measure_kinds). Setting the stdlib's methods back on unittest.mock's base
# classes empties the type cache of every mock class alive: at oauthlib's
# end, 8 ms, where one kind's two sides took 3.
_suspension_seconds = 0.0


def measure_kinds(
    keys: Iterable[PlainKey],
    go_on: Callable[[float], bool] | None = None,
    expected: Mapping[PlainKey, tuple[float, float]] | None = None,
) -> dict[PlainKey, tuple[float, float] | None]:
    """:func:`measure` for each of *keys*, the acceleration suspended once.

    Suspending it sets a few attributes on ``unittest.mock``'s base
    classes, which empties the type caches of every mock class alive (tens
    of thousands in a big suite, each to refill) and lets mockpool's kept
    classes go: so every kind's mockpool side is measured first, then every
    kind's stdlib side, inside one :func:`~.stdlib_cost.as_without_mockpool`.

    *go_on*, if given, is asked before each kind is begun: once it says
    no, no other kind is begun, and those not begun are left out of the
    result. A kind begun is measured on both sides, whatever *go_on* would
    say by its stdlib side: one side alone tells nothing, and what it cost
    would be spent again the next time the kind is due. (Asked before each
    side, a run's budget, refilled a little by each test, began a kind's
    mockpool side after test upon test and then stopped short of its
    stdlib side: metalsmith spent 7 % of its CPU on sides thrown away, and
    compared none of its 4,161 plain mocks for five runs.) So *go_on* is
    told, in seconds of CPU, what is still expected to be spent if the
    kind is begun: what suspending the acceleration cost the last time;
    the stdlib side of each kind begun, at :data:`SIDE_MOCKS` times its
    stdlib figure in *expected* (the kind's remembered ``(stdlib,
    mockpool)`` seconds per mock), else at its mockpool side's CPU times
    :data:`STDLIB_SIDE_RATIO`; and both sides of the kind itself, where
    *expected* has it. (Asked without it, a budget that afforded the cheap
    mockpool sides of twenty kinds then paid for their stdlib sides and
    the suspension: oauthlib's and metalsmith's runs spent up to 1.75
    times their plain kinds' part of the budget.) A kind either
    side fails to build maps to None; the others are measured all the
    same.
    """
    global _suspension_seconds
    results: dict[PlainKey, tuple[float, float] | None] = {}
    mockpool_side: dict[PlainKey, float | None] = {}
    # Read before pausing: whether the run collects garbage at all.
    collecting = _gc_isenabled()
    with collection_paused():
        # Its mocks are not the tests': the report must not count them.
        with _plain.uncounted():
            # What the stdlib sides of the kinds begun, and the suspension
            # they are measured in, are expected to cost.
            ahead = _suspension_seconds
            for key in keys:
                if not comparable(key):
                    results[key] = None
                elif key not in mockpool_side:
                    figures = None if expected is None else expected.get(key)
                    itself = 0.0 if figures is None else figures[0] + figures[1]
                    if go_on is not None and not go_on(ahead + SIDE_MOCKS * itself):
                        break
                    began = _process_time()
                    mockpool_side[key] = _side_cost(key, collecting)
                    ahead += (
                        (_process_time() - began) * STDLIB_SIDE_RATIO
                        if figures is None
                        else SIDE_MOCKS * figures[0]
                    )
        built = {
            key: seconds
            for key, seconds in mockpool_side.items()
            if seconds is not None
        }
        results.update((key, None) for key in mockpool_side if key not in built)
        if not built:
            return results
        suspended = _process_time()
        sides = 0.0
        with as_without_mockpool():
            for key, mockpool_seconds in built.items():
                began = _process_time()
                stdlib_seconds = _side_cost(key, collecting)
                sides += _process_time() - began
                results[key] = (
                    None
                    if stdlib_seconds is None
                    else (stdlib_seconds, mockpool_seconds)
                )
        _suspension_seconds = _process_time() - suspended - sides
    return results


def expected_suspension() -> float:
    """What suspending the acceleration to measure is expected to cost, in
    CPU seconds: what it cost the last time (0.0 before the first)."""
    return _suspension_seconds


def _side_cost(key: PlainKey, collecting: bool) -> float | None:
    """:func:`_batch_cost`, or None if *key* fails to build."""
    try:
        return _batch_cost(key, collecting)
    except Exception:
        return None


def _batch_cost(key: PlainKey, collecting: bool) -> float:
    """Seconds per mock of a batch of :data:`BATCH` (the collector paused)."""
    mock_class, spec = key
    # Untimed: the code about to be timed runs as it does after a test's
    # first few mocks, and mockpool's side has classes free (see WARM_UP).
    warm_up = [_build(mock_class, spec) for _ in range(WARM_UP)]
    del warm_up
    if collecting:
        # Untimed: the young generations then hold only what the batch makes.
        _gc_collect(1)
    started = _thread_time()
    batch = [_build(mock_class, spec) for _ in range(BATCH)]
    built = _thread_time()
    if not collecting:
        del batch
        return (_thread_time() - started) / BATCH
    _gc_collect(0)
    scanned = _thread_time()
    del batch
    _gc_collect(1)
    freed = _thread_time()
    scan = scanned - built
    # The scan counted once more for the middle generation (see the module).
    return (freed - started + (1 + FULL_COLLECTION_SCANS) * scan) / BATCH


def _build(mock_class: type, spec: type | None) -> object:
    if spec is None:
        return mock_class()
    return mock_class(spec=spec)
