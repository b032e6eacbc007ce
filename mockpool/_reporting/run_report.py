"""The end-of-run report: what mockpool did for a test run, and what it cost.

A :class:`RunReport` counts, for one process, the tests run, the mocks
requested (each either served recycled from a pool -- a build avoided -- or
built, with the measured build time), the pooled mocks thrown away and why,
the mocks served in a degraded variant, and the leaks found at the end of a
test. Reports of several processes (the workers of a parallel runner) merge
into one without losing a record: counts add, per-spec figures add, leaks
concatenate.

:meth:`RunReport.render` gives the few lines printed after unittest's own
summary; :meth:`RunReport.to_dict` and :meth:`RunReport.from_dict` give the
JSON-safe form that :mod:`mockpool._reporting.worker_files` writes per worker.

The time saved is counted against ``unittest.mock``: for each request the
drop-in describes (:class:`~mockpool._reporting.stdlib_cost.AutospecCall`),
what the stdlib's ``create_autospec`` costs for that spec minus what
mockpool spent handing the mock out (a pool hit's hand-out, a lazy build's
build), summed apart for pool hits and for lazy builds. The stdlib's cost is
measured once per spec and kind of call and process, when the test that
first asked for the spec is over (:meth:`RunReport.measure_stdlib_costs`);
a request is "compared" once its spec's cost is known, and a spec the stdlib
cannot rebuild leaves its requests uncompared rather than guessed. Measured
costs are kept between runs in the usage history
(:class:`~mockpool._learning.costs.CostMemory`): a later run uses them
instead of measuring, while the spec's source is unchanged, and measures
again only now and then (see :mod:`mockpool._learning.costs`), so that
only a suite's first run pays for the figure. Plain mocks are a third part
(:class:`PlainSaving`, an estimate per kind of mock); a kind, cheap to
measure, is measured again at the end of each run that can afford it until
:data:`~mockpool._learning.costs.COST_SAMPLES` measurements are kept
(:meth:`RunReport.resample_plain_costs`). The figure printed
first is the parts' sum less mockpool's own work (:class:`OwnWork`: its
start-up, and its work around every test -- the leak check, recycling,
measuring these very costs), so that it can be held against what a run
under plain unittest would have cost.

The former estimate -- builds avoided times mockpool's own mean build time
-- is :attr:`RunReport.lazy_build_seconds_avoided`: what the pool saves over
building lazily every time, not what a user saves.

``ReportError`` lives here rather than in :mod:`mockpool.errors`, which
draws the public tree: the report is internal for now.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import (  # noqa: UP029
    any,
    enumerate,
    getattr,
    isinstance,
    issubclass,
    len,
    max,
    min,
    repr,
    sorted,
    sum,
)
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from sys import getprofile as _getprofile
from sys import gettrace as _gettrace

# Bound at import: a test may patch time.process_time.
from time import perf_counter as _perf_counter
from time import process_time as _process_time
from typing import Any, NamedTuple

from mockpool._autospec import plain as _plain
from mockpool._autospec.variants import Variant
from mockpool._base import checks
from mockpool._base import fence as _fence
from mockpool._base import process as _process
from mockpool._base.counts import (
    AcquisitionCounts,
    CountFigures,
    as_dict,
    check_build_seconds,
)
from mockpool._base.json_fields import FieldReader, count_value, typed_value
from mockpool._base.json_files import check_format
from mockpool._base.records import fill, frozen_record
from mockpool._learning.costs import COST_SAMPLES, CostMemory, process_costs
from mockpool._reporting import plain_cost as _plain_cost
from mockpool._reporting import stdlib_cost as _stdlib_cost
from mockpool._reporting.stdlib_cost import AutospecCall
from mockpool.errors import ArgumentTypeError, MockPoolError

__all__ = [
    "FORMAT",
    "FORMAT_HINT",
    "SPEC_KEYS",
    "Adaptation",
    "Leak",
    "OwnWork",
    "ReportError",
    "RunReport",
    "SpecStats",
    "PlainSaving",
    "StdlibSaving",
]

#: The version of the dictionary (and JSON) form; :meth:`RunReport.from_dict`
#: reads this version only.
FORMAT = 1
#: Follows the message of a report of another format.
FORMAT_HINT = " (combine reports with the mockpool that wrote them)"

#: The share of what the run would have cost under unittest.mock -- the
#: process's CPU so far plus the time saved so far -- that measuring the
#: stdlib's costs may take. A spec is measured by building it once with the
#: stdlib, which costs about what mockpool saves on one request of it: a
#: suite whose specs are mostly requested once would pay as much for the
#: figure as it gained. Specs past the budget wait until the run can afford
#: them. (A share of the accelerated CPU alone would be smallest exactly
#: where mockpool saves most, and leave most specs unmeasured there.)
#: Costs remembered from earlier runs cost nothing and need no budget.
MEASURING_BUDGET = 0.02
#: The part of :data:`MEASURING_BUDGET` plain mocks' kinds may take, their
#: repeated samples included (see :mod:`.plain_cost`): a kind's batch can
#: cost a small run most of its budget, and measured first, at an earlier
#: test's end, plain kinds would leave a later test's autospecs waiting run
#: after run. Autospecs may use the whole budget, less what plain kinds
#: spent within their part: a batch that overshoots its part (the budget
#: is checked before each kind is begun, and one kind can cost more than
#: the whole part on a loaded host) never takes what is left to autospecs.
PLAIN_MEASURING_SHARE = 0.5

#: The worker name of a report made by :meth:`RunReport.merged`.
COMBINED = "combined"
#: How many tests :meth:`RunReport.end_test` lets wait before it counts
#: them (they are counted whenever the report is read, too): a bound on
#: the list of their figures.
FOLD_ENDED_AFTER = 1024

#: The most lines :meth:`RunReport.render` gives, rule line included.
MAX_LINES = 20
_SLOWEST = 3
_DISCARD_LINES = 2
_DEGRADED_LINES = 2
_ADAPTATION_LINES = 2
_MIN_LEAK_LINES = 3


class ReportError(MockPoolError, ValueError):
    """A report, or a report file, is malformed.

    The message names the file (when there is one) and the offending field.
    """


@frozen_record
class Adaptation:
    """A decision of the adapter (see :mod:`mockpool._pools.adapt`), as reported."""

    #: Which monitor fired, e.g. ``"build time"``.
    trigger: str
    #: The pool's service, or ``"*"`` for every pool.
    service: str
    #: What was changed, e.g. ``"variant autospec -> lazy"``.
    action: str

    def __init__(self, trigger: str, service: str, action: str) -> None:
        fill(self, locals())


@frozen_record
class Leak:
    """A leak found at the end of a test."""

    #: The id of the test that leaked, as ``unittest.TestCase.id()`` gives it.
    test_id: str
    #: What leaked, e.g. ``"patch not undone"`` or ``"mock assigned"``.
    kind: str
    #: Where, e.g. the patch target or the attribute.
    detail: str

    def __init__(self, test_id: str, kind: str, detail: str) -> None:
        fill(self, locals())


@frozen_record
class StdlibSaving:
    """Time saved against ``unittest.mock``, apart for hits and lazy builds.

    Each saving is a sum over the compared requests of the stdlib's measured
    cost for the spec minus mockpool's cost for the request; it is negative
    where mockpool was the slower.
    """

    #: Pool hits compared with the stdlib.
    compared_hits: int = 0
    #: Their saving, in seconds.
    saved_on_hits: float = 0.0
    #: Lazy builds compared with the stdlib.
    compared_builds: int = 0
    #: Their saving, in seconds.
    saved_on_builds: float = 0.0

    def __init__(
        self,
        compared_hits: int = 0,
        saved_on_hits: float = 0.0,
        compared_builds: int = 0,
        saved_on_builds: float = 0.0,
    ) -> None:
        fill(self, locals())

    @property
    def compared(self) -> int:
        """Requests compared with the stdlib."""
        return self.compared_hits + self.compared_builds

    @property
    def seconds_saved(self) -> float:
        """The whole saving, in seconds."""
        return self.saved_on_hits + self.saved_on_builds


#: The key of each :class:`StdlibSaving` field, in report files (absent from
#: files written before the saving was reported: read as zeros).
SAVING_KEYS = tuple(field.name for field in dataclasses.fields(StdlibSaving))
# No saving: the default of every spec's.
_NO_SAVING = StdlibSaving()


@frozen_record
class PlainSaving:
    """Time saved against ``unittest.mock`` on plain mocks (``Mock()``,
    ``MagicMock()``, child mocks), an estimate: per kind of plain mock, the
    stdlib's cost minus mockpool's, both measured off the tests' clock
    (:mod:`mockpool._reporting.plain_cost`), times the mocks tests built."""

    #: Plain mocks mockpool built for tests.
    built: int = 0
    #: Those whose kind was measured.
    compared: int = 0
    #: Their saving, in seconds.
    saved: float = 0.0

    def __init__(self, built: int = 0, compared: int = 0, saved: float = 0.0) -> None:
        fill(self, locals())


#: The key under which report files hold the :class:`PlainSaving` (absent
#: from files written before it was reported: read as zeros).
PLAIN_KEY = "plain_mocks"


@frozen_record
class OwnWork:
    """mockpool's own work during the run, which the saving pays for.

    Under plain unittest none of it would run: importing and installing
    mockpool, and around every test the drop-in's scope (the leak check,
    giving pooled mocks back, measuring the stdlib's costs for this report,
    sessions, writing the report file).
    """

    #: Importing and installing mockpool, once per process, in CPU time
    #: (see :mod:`mockpool._base.startup` for what the import leaves out).
    startup: float = 0.0
    #: The drop-in's work around the tests, all tests together, as CPU
    #: time. Timed on the wall clock (:func:`time.perf_counter`, the
    #: cheapest: every test reads it four times), work that does not wait,
    #: then scaled by the share of the run's wall time the process spent
    #: on a CPU: on a loaded machine it waits for one, and the wall time
    #: alone overstated the work.
    per_test: float = 0.0

    def __init__(self, startup: float = 0.0, per_test: float = 0.0) -> None:
        fill(self, locals())

    @property
    def seconds(self) -> float:
        """All of it, in seconds."""
        return self.startup + self.per_test


#: The key under which report files hold the :class:`OwnWork` (absent from
#: files written before it was reported: read as zeros).
OWN_WORK_KEY = "own_work"
# Defaults of a report with no plain mocks and no work counted.
_NO_PLAIN = PlainSaving()
_NO_WORK = OwnWork()
# Stands for a spec that is not a class, in the plain-mock counts.
_OTHER_SPEC = _plain.OTHER_SPEC


class _NotYet:
    """A cost not known yet: over the measuring budget, it waits."""


_NOT_YET = _NotYet()


class _Due(NamedTuple):
    """A cost to measure now, and the name it is to be remembered under."""

    name: tuple[str, str] | None


class _SavingTally:
    """A spec's :class:`StdlibSaving`, or the requests of a spec whose stdlib
    cost is not measured yet (then the ``saved_on_*`` fields hold mockpool's
    own seconds); mutable, updated under the report's lock on every request.
    """

    __slots__ = SAVING_KEYS

    def __init__(self) -> None:
        self.compared_hits = 0
        self.saved_on_hits = 0.0
        self.compared_builds = 0
        self.saved_on_builds = 0.0

    def add(self, hit: bool, seconds: float) -> None:
        if hit:
            self.compared_hits += 1
            self.saved_on_hits += seconds
        else:
            self.compared_builds += 1
            self.saved_on_builds += seconds

    def merge(self, other: _SavingTally | StdlibSaving) -> None:
        self.compared_hits += other.compared_hits
        self.saved_on_hits += other.saved_on_hits
        self.compared_builds += other.compared_builds
        self.saved_on_builds += other.saved_on_builds

    def saving_at(self, stdlib_seconds: float) -> float:
        """What these requests (mockpool's seconds, not yet compared) save
        if each would have cost *stdlib_seconds*."""
        requests = self.compared_hits + self.compared_builds
        return requests * stdlib_seconds - self.saved_on_hits - self.saved_on_builds

    def settle(self, pending: _SavingTally, stdlib_seconds: float) -> None:
        """Add *pending*'s requests (mockpool's seconds), each saving
        *stdlib_seconds* minus its own."""
        self.compared_hits += pending.compared_hits
        self.saved_on_hits += pending.compared_hits * stdlib_seconds
        self.saved_on_hits -= pending.saved_on_hits
        self.compared_builds += pending.compared_builds
        self.saved_on_builds += pending.compared_builds * stdlib_seconds
        self.saved_on_builds -= pending.saved_on_builds

    def frozen(self) -> StdlibSaving:
        return StdlibSaving(
            self.compared_hits,
            self.saved_on_hits,
            self.compared_builds,
            self.saved_on_builds,
        )


class _Pending:
    """The requests of one spec (and kind of call) made before the stdlib's
    cost of it was measured, and the call to measure it with."""

    __slots__ = ("call", "requests")

    def __init__(self, call: AutospecCall) -> None:
        self.call = call
        self.requests = _SavingTally()


@frozen_record
class SpecStats(CountFigures):
    """The mocks of one spec handed out: a frozen view of the spec's
    :class:`~mockpool._base.counts.AcquisitionCounts`, with its figures
    (``hit_rate``, ``mean_build_seconds``, ``estimated_seconds_saved``...).

    The report counts no discards, failures or peak per spec.
    """

    #: The spec's qualified name, e.g. ``"pkg.mod.Class"``.
    spec: str
    #: Mocks served recycled from a pool: builds avoided.
    hits: int
    #: Mocks served by building one.
    builds: int
    #: Builds whose time was measured.
    timed_builds: int
    #: The measured build time of those builds, in seconds, summed.
    build_seconds: float
    #: Time saved against ``unittest.mock`` on the spec's requests.
    stdlib_saving: StdlibSaving = _NO_SAVING

    def __init__(
        self,
        spec: str,
        hits: int,
        builds: int,
        timed_builds: int,
        build_seconds: float,
        stdlib_saving: StdlibSaving = _NO_SAVING,
    ) -> None:
        fill(self, locals())

    @classmethod
    def of(
        cls,
        spec: str,
        counts: AcquisitionCounts,
        saving: StdlibSaving = _NO_SAVING,
    ) -> SpecStats:
        """The frozen view of *spec*'s *counts* and *saving*."""
        return cls(
            spec,
            counts.hits,
            counts.builds,
            counts.timed_builds,
            counts.build_seconds,
            saving,
        )

    @property
    def acquired(self) -> int:
        """Mocks of the spec handed out (every one a hit or a build)."""
        return self.hits + self.builds


#: The key of each field the report keeps per spec, in report files.
SPEC_KEYS = {name: name for name in ("hits", "builds", "timed_builds", "build_seconds")}


@frozen_record
class _Snapshot:
    """Everything a report holds, copied under its lock."""

    tests: int
    #: Copies of the per-spec counts.
    specs: dict[str, AcquisitionCounts]
    discards: dict[str, int]
    degraded: dict[tuple[str, str], int]
    leaks: list[Leak]
    adaptations: list[Adaptation]
    workers: list[str]
    #: The time saved against the stdlib, per spec.
    savings: dict[str, StdlibSaving]
    #: The time saved against the stdlib on plain mocks.
    plain: PlainSaving = _NO_PLAIN
    #: mockpool's own work, which the saving pays for.
    own_work: OwnWork = _NO_WORK

    def __init__(
        self,
        tests: int,
        specs: dict[str, AcquisitionCounts],
        discards: dict[str, int],
        degraded: dict[tuple[str, str], int],
        leaks: list[Leak],
        adaptations: list[Adaptation],
        workers: list[str],
        savings: dict[str, StdlibSaving],
        plain: PlainSaving = _NO_PLAIN,
        own_work: OwnWork = _NO_WORK,
    ) -> None:
        fill(self, locals())

    def stats(self) -> list[SpecStats]:
        """The frozen view of each spec's counts."""
        return [
            SpecStats.of(spec, counts, self.savings.get(spec, StdlibSaving()))
            for spec, counts in self.specs.items()
        ]

    def saving(self) -> StdlibSaving:
        """The time saved against the stdlib, every spec together."""
        total = _SavingTally()
        for saving in self.savings.values():
            total.merge(saving)
        return total.frozen()


class RunReport:
    """What mockpool did during a test run, in one process or merged.

    Recording is thread-safe. The read-side properties each take a
    consistent snapshot; read :meth:`to_dict` once for several figures that
    must agree with one another while recording goes on.

    Args:
        worker: The id of the process the report belongs to (a file-name-safe
            string); by default :func:`mockpool._base.process.worker_id`.
        costs: Where measured costs are kept between runs; by default
            :func:`mockpool._learning.costs.process_costs` when first
            needed.
    """

    def __init__(
        self,
        worker: str | None = None,
        *,
        costs: CostMemory | None = None,
    ) -> None:
        if worker is None:
            worker = _process.worker_id()
        checks.text(worker, "worker")
        if costs is not None and not isinstance(costs, CostMemory):
            raise ArgumentTypeError(
                f"costs must be a CostMemory or None, not {costs!r:.60}"
            )
        #: The id of the process the report belongs to; :data:`COMBINED` for
        #: a report made by :meth:`merged`.
        self.worker = worker
        self._lock = threading.Lock()
        self._tests = 0
        self._specs: dict[str, AcquisitionCounts] = {}
        self._discards: Counter[str] = Counter()
        self._degraded: Counter[tuple[str, str]] = Counter()
        self._leaks: list[Leak] = []
        self._adaptations: list[Adaptation] = []
        self._workers = [worker]
        self._savings: dict[str, _SavingTally] = {}
        # The stdlib's cost of each (spec, kind of call) in this process,
        # None where it could not be measured; and the requests waiting for
        # it, by (that key, spec name), until measure_stdlib_costs().
        self._stdlib_costs: dict[tuple[str, str], float | None] = {}
        self._pending: dict[tuple[tuple[str, str], str], _Pending] = {}
        # Where measured costs are kept between runs, and the (name, stamp)
        # each key is kept under (None: not kept), asked once per key.
        self._memory = costs
        self._memory_names: dict[Any, tuple[str, str] | None] = {}
        # The names a sample was kept under in this run.
        self._remembered_now: set[tuple[str, str]] = set()
        # CPU spent measuring the stdlib's costs, the part of it spent on
        # plain kinds, and the time saved so far (see MEASURING_BUDGET).
        self._measuring_seconds = 0.0
        self._plain_measuring_seconds = 0.0
        self._saved_seconds = 0.0
        # Plain mocks built, by kind, since measure_stdlib_costs() last
        # took them (updated without the lock, see record_plain); per kind
        # measured, what one saves (None: not compared); and the totals.
        self._plain_pending: dict[tuple[type, Any], int] = {}
        self._plain_costs: dict[tuple[type, Any], float | None] = {}
        self._plain_built = 0
        self._plain_compared = 0
        self._plain_saved = 0.0
        # mockpool's own work (see OwnWork).
        self._startup_seconds = 0.0
        self._per_test_seconds = 0.0
        # ... the part counted here, on the wall clock (see _on_cpu), and
        # when this report began (wall, CPU of the process).
        self._own_wall_seconds = 0.0
        # Tests ended since the counts above last took them: one entry (the
        # drop-in's seconds for the test) per test, appended without the
        # lock by end_test -- taking the lock there was a tenth of the
        # drop-in's cost per test (3.13) -- and folded in, under it, by
        # _fold_ended before anything reads the counts.
        self._ended: list[float] = []
        self._began = (_perf_counter(), _process_time())

    def __repr__(self) -> str:
        return (
            f"<RunReport worker={self.worker!r} tests={self.tests} "
            f"acquired={self.acquired} hits={self.hits}>"
        )

    # -- recording ----------------------------------------------------------

    def record_test(self, own_seconds: float = 0.0) -> None:
        """Count one test run, and *own_seconds* of mockpool's work around
        it (see :class:`OwnWork`). Without a lock: the test waits in a list
        until the report is read, or :data:`FOLD_ENDED_AFTER` tests wait."""
        ended = self._ended
        # One append: atomic, so no lock (see _fold_ended).
        ended.append(own_seconds)
        if len(ended) >= FOLD_ENDED_AFTER:
            with self._lock:
                self._fold_ended()

    def end_test(self, own_seconds: float, since: float) -> None:
        """:meth:`measure_stdlib_costs`, then the test counted as
        :meth:`record_test` counts it, in one call (the drop-in's, after
        every test): *own_seconds* of mockpool's work before, plus the time
        from *since* (:func:`time.perf_counter`) to the end of the
        measuring."""
        if self._plain_pending or self._pending:
            self.measure_stdlib_costs()
        # record_test, inline: a call fewer on every test.
        ended = self._ended
        ended.append(own_seconds + (_perf_counter() - since))
        if len(ended) >= FOLD_ENDED_AFTER:
            with self._lock:
                self._fold_ended()

    def _fold_ended(self) -> None:
        # Called with self._lock held: the tests end_test appended, counted.
        # Only what was copied is deleted: appends go on at the end.
        ended = self._ended
        taken = ended[:]
        del ended[: len(taken)]
        self._tests += len(taken)
        self._own_wall_seconds += sum(taken)

    def record_own_work(self, seconds: float) -> None:
        """Count *seconds* of mockpool's work around tests, outside any one
        test's count (writing the report file)."""
        with self._lock:
            self._own_wall_seconds += seconds

    def record_startup(self, seconds: float) -> None:
        """Count *seconds* spent importing and installing mockpool."""
        with self._lock:
            self._startup_seconds += seconds

    def record_acquire(
        self,
        spec: str,
        *,
        hit: bool,
        build_seconds: float | None,
        hand_out_seconds: float | None = None,
        autospec: tuple[Any, Any, bool] | None = None,
    ) -> None:
        """Count a mock of *spec* handed out (requested by a test).

        Args:
            spec: The spec's qualified name, e.g. ``"pkg.mod.Class"``.
            hit: True if a recycled mock was served from a pool (a build
                avoided); False if a mock was built.
            build_seconds: The measured build time when *hit* is False, or
                None if it was not measured. Must be None when *hit* is True.
            hand_out_seconds: For a hit, the measured time the pool took to
                hand it out (a build's is its *build_seconds*).
            autospec: The ``create_autospec`` call the mock answered, as
                ``(spec, spec_set, instance)`` (an
                :class:`~mockpool._reporting.stdlib_cost.AutospecCall`), to
                compare the request with the stdlib's cost of it; held
                until :meth:`measure_stdlib_costs` if that is not measured
                yet. Without it, or without a measured time, the request
                is not compared.

        Raises:
            ArgumentTypeError: *spec* is not a str, *build_seconds* or
                *hand_out_seconds* not a number, or *autospec* not a
                triple.
            InvalidArgumentError: *build_seconds* is negative or not finite,
                or given for a hit; *hand_out_seconds* is negative or not
                finite (a ValueError).
        """
        checks.text(spec, "spec")
        check_build_seconds(build_seconds, hit, spec)
        if hand_out_seconds is not None:
            checks.number(hand_out_seconds, "hand_out_seconds", minimum=0)
        if autospec is not None and not (
            isinstance(autospec, tuple) and len(autospec) == 3
        ):
            raise ArgumentTypeError(
                "autospec must be a (spec, spec_set, instance) tuple or None, "
                f"not {autospec!r:.60}"
            )
        seconds = hand_out_seconds if hit else build_seconds
        if autospec is None or seconds is None:
            with self._lock:
                self._counts(spec).record_acquire(hit, build_seconds, 0)
            return
        call = AutospecCall._make(autospec)
        key = _stdlib_cost.cost_key(call)
        with self._lock:
            self._counts(spec).record_acquire(hit, build_seconds, 0)
            if key not in self._stdlib_costs:
                pending = self._pending.get((key, spec))
                if pending is None:
                    pending = self._pending[key, spec] = _Pending(call)
                pending.requests.add(hit, seconds)
                return
            cost = self._stdlib_costs[key]
            if cost is not None:
                self._saving(spec).add(hit, cost - seconds)
                self._saved_seconds += cost - seconds

    def record_plain(self, mock_class: type, spec: Any) -> None:
        """Count a plain mock of *mock_class* mockpool built for a test.

        One at a time (the drop-in counts them in batches, see
        :meth:`record_plain_counts`). It takes no lock: two threads counting
        at the same instant may lose one count, in an estimate.

        Args:
            mock_class: The mock's class (``MagicMock``, a subclass...).
            spec: The ``spec``/``spec_set`` it was built with, or None.
        """
        # type(spec), not isinstance(): that reads spec.__class__, which a
        # proxy may refuse -- nothing of the test's runs here.
        if spec is not None and not issubclass(type(spec), type):
            # Not kept: it may be a test's own object (counted, not compared).
            spec = _OTHER_SPEC
        key = (mock_class, spec)
        pending = self._plain_pending
        pending[key] = pending.get(key, 0) + 1

    def record_plain_counts(self, counts: dict[tuple[type, Any], int]) -> None:
        """Count plain mocks by kind, as
        :func:`mockpool._autospec.plain.take_counts` gives them (what
        :meth:`record_plain` counts one at a time).

        Kinds measured already are settled at once; the others wait for
        :meth:`measure_stdlib_costs`.
        """
        costs = self._plain_costs
        pending = self._plain_pending
        with self._lock:
            for key, count in counts.items():
                if key in costs:
                    self._add_plain(count, costs[key])
                else:
                    pending[key] = pending.get(key, 0) + count

    def measure_stdlib_costs(self, test_id: str | None = None) -> None:
        """Measure the stdlib's cost of the specs requested since the last call.

        Call it outside any test's clock -- the drop-in calls it when a
        test's scope closes -- and with what the test patched undone: each
        new spec's cost is recalled from earlier runs or, if they did not
        measure it (or its source changed since), built once with the
        stdlib's ``create_autospec``
        (:func:`mockpool._reporting.stdlib_cost.measure`), the mock thrown
        away; then the requests that waited for it are compared. Every step is
        fenced: an error is a warning naming *test_id*, and leaves that
        spec's requests uncompared. Plain mocks are measured the same way,
        after the autospecs (:mod:`mockpool._reporting.plain_cost`).
        """
        # Read without the lock (after every test): what is recorded
        # meanwhile is measured after the next test instead.
        if self._plain_pending:
            self._settle_measured_plain()
        if not (self._plain_pending or self._pending):
            return
        if not _stdlib_cost.builtins_untouched():
            return  # a test class patched builtins: measured after its tests
        self._measure_autospec_costs(test_id)
        if self._plain_pending:
            self._measure_plain_costs(test_id)

    def _settle_measured_plain(self) -> None:
        """Count the plain mocks of kinds measured already (after every
        test: one pass under the lock); the others stay pending."""
        # Swapped, not copied: record_plain adds to the new dict meanwhile.
        counted, self._plain_pending = self._plain_pending, {}
        self.record_plain_counts(counted)

    def _add_plain(self, count: int, each: float | None) -> None:
        # Called with self._lock held: *count* plain mocks built, each
        # saving *each* seconds (None: not compared).
        self._plain_built += count
        if each is not None:
            self._plain_compared += count
            self._plain_saved += count * each
            self._saved_seconds += count * each

    def _requeue_plain(self, counts: dict[tuple[type, Any], int]) -> None:
        # Back into the counts record_plain adds to (without the lock).
        pending = self._plain_pending
        for key, count in counts.items():
            pending[key] = pending.get(key, 0) + count

    def _measure_autospec_costs(self, test_id: str | None) -> None:
        """The autospec part of :meth:`measure_stdlib_costs`."""
        with self._lock:
            if not self._pending:
                return
            if not self._autospecs_affordable() and all(
                key in self._memory_names for key, _ in self._pending
            ):
                # Over budget, and each spec waiting was looked for in the
                # memory already: the requests wait, untouched -- going
                # through them after every test would cost what the cap
                # saves.
                return
            pending, self._pending = self._pending, {}
        deferred: dict[tuple[tuple[str, str], str], _Pending] = {}
        for (key, spec), waiting in pending.items():
            with _fence.fenced("run report", test_id):
                cost = self._stdlib_cost_of(key, waiting.call)
                if isinstance(cost, _NotYet):
                    deferred[key, spec] = waiting
                    continue
                if cost is not None:
                    with self._lock:
                        self._saving(spec).settle(waiting.requests, cost)
                        self._saved_seconds += waiting.requests.saving_at(cost)
        if deferred:
            with self._lock:
                for entry, waiting in deferred.items():
                    merged = self._pending.get(entry)
                    if merged is None:
                        self._pending[entry] = waiting
                    else:
                        merged.requests.merge(waiting.requests)

    def _stdlib_cost_of(
        self, key: tuple[str, str], call: AutospecCall
    ) -> float | _NotYet | None:
        """The stdlib's cost of *key* (see :meth:`_cost_of`)."""
        return self._cost_of(
            key,
            self._stdlib_costs,
            lambda: _stdlib_cost.remembered_as(call),
            lambda: _one_figure(_stdlib_cost.measure(call)),
            _first_figure,
        )

    def _cost_of(
        self,
        key: Any,
        known: dict[Any, float | None],
        name_of: Callable[[], tuple[str, str] | None],
        measure: Callable[[], tuple[float, ...] | None],
        figure: Callable[[tuple[float, ...]], float],
    ) -> float | _NotYet | None:
        """What *known* holds for *key*; else *figure* of what an earlier
        run remembered, or of what *measure* measures now if the budget
        allows autospecs more (else :data:`_NOT_YET`); None if it cannot be
        measured.

        The figure is kept in *known*, and what is measured in the cost
        memory under *name_of*'s name.
        """
        found = self._known_cost(
            key, known, name_of, figure, self._autospecs_affordable
        )
        if not isinstance(found, _Due):
            return found
        return self._settled(key, known, found.name, self._measured(measure), figure)

    def _known_cost(
        self,
        key: Any,
        known: dict[Any, float | None],
        name_of: Callable[[], tuple[str, str] | None],
        figure: Callable[[tuple[float, ...]], float],
        affordable_now: Callable[[], bool],
    ) -> float | _NotYet | _Due | None:
        """:meth:`_cost_of` up to the measuring: a :class:`_Due` where
        *key* is to be measured now, *key* marked in *known* meanwhile (to
        be :meth:`_settled`). *affordable_now*: whether the budget allows
        measuring *key* (called with the lock held)."""
        with self._lock:
            if key in known:
                return known[key]
        name = self._memory_name(key, name_of)
        remembered, fresh = self._recall(name)
        with self._lock:
            affordable = affordable_now()
            if remembered is not None and (fresh or not affordable):
                # Due to be measured again when the run cannot afford it:
                # still right, as it was in the run before.
                value = known[key] = figure(remembered)
                return value
            if not affordable:
                return _NOT_YET
            # Marked first: what fails to be measured is not measured
            # again, whatever fails.
            known.setdefault(key, None)
        return _Due(name)

    def _settled(
        self,
        key: Any,
        known: dict[Any, float | None],
        name: tuple[str, str] | None,
        measured: tuple[float, ...] | None,
        figure: Callable[[tuple[float, ...]], float],
    ) -> float | None:
        """*figure* of what was *measured* for *key* (None: nothing), kept
        in *known* and, under *name*, in the cost memory."""
        cost = None
        if measured is not None:
            cost = figure(self._remember(name, measured) or measured)
        with self._lock:
            known[key] = cost
        return cost

    def _measured(
        self, measure: Callable[[], tuple[float, ...] | None]
    ) -> tuple[float, ...] | None:
        """What *measure* gives, its CPU time counted against the budget."""
        started = _process_time()
        try:
            return measure()
        finally:
            with self._lock:
                self._measuring_seconds += _process_time() - started

    def _memory_name(self, key: Any, name_of: Any) -> tuple[str, str] | None:
        """The (name, stamp) *key*'s costs are kept under between runs,
        asked of *name_of* once per key (stamping reads files)."""
        with self._lock:
            if key in self._memory_names:
                return self._memory_names[key]
        name: tuple[str, str] | None = name_of()
        with self._lock:
            self._memory_names[key] = name
        return name

    def _cost_memory(self) -> CostMemory:
        if self._memory is None:
            self._memory = process_costs()
        return self._memory

    def _recall(
        self, name: tuple[str, str] | None
    ) -> tuple[tuple[float, ...] | None, bool]:
        """The figures remembered under *name* (None if none), and whether
        they are fresh (not due to be measured again)."""
        if name is None:
            return None, False
        remembered = self._cost_memory().recall(*name)
        if remembered is None:
            return None, False
        return remembered.figures(), not remembered.due(name[0])

    def _remember(
        self, name: tuple[str, str] | None, sample: tuple[float, ...]
    ) -> tuple[float, ...] | None:
        """Keep *sample* under *name*; the figures now remembered (their
        medians over the samples kept), or None if not kept."""
        if name is None or _under_observation():
            return None
        self._remembered_now.add(name)
        try:
            return self._cost_memory().remember(*name, sample).figures()
        except ValueError:
            return None  # a build of a minute or more: not a figure to keep

    def _measure_plain_costs(self, test_id: str | None) -> None:
        """Settle the plain mocks counted since the last call (see
        :meth:`measure_stdlib_costs`): each kind's saving is recalled from
        an earlier run or measured once, within the budget; past it, its
        count waits."""
        # Swapped, not copied: record_plain adds to the new dict meanwhile.
        counted, self._plain_pending = self._plain_pending, {}
        waiting: dict[tuple[type, Any], int] = {}
        due: dict[tuple[type, Any], tuple[int, _Due]] = {}
        with self._lock:
            over_budget = not self._plain_affordable()
        looked_for = self._memory_names
        for key, count in counted.items():
            if over_budget and key in looked_for:
                # Over budget, and looked for in the memory already (in
                # vain, or it would be settled): its count waits, untouched.
                # Asked again after every test, a run's waiting kinds cost
                # ironic-inspector 1 % of its CPU.
                waiting[key] = count
                continue
            with _fence.fenced("run report", test_id):
                mock_class, spec = key
                if spec is _OTHER_SPEC or not _plain_cost.comparable(
                    _plain_cost.PlainKey(mock_class, spec)
                ):
                    # Never kept past this test (see plain_cost): counted.
                    with self._lock:
                        self._add_plain(count, None)
                        if spec is _OTHER_SPEC and _plain_cost.comparable(
                            _plain_cost.PlainKey(mock_class, None)
                        ):
                            # Never compared, and naming nothing of a
                            # test's: settled as it is counted from now on
                            # (record_plain_counts), rather than waiting for
                            # this after every test that builds one.
                            self._plain_costs[key] = None
                    continue
                each = self._plain_saving_of(key)
                if isinstance(each, _NotYet):
                    waiting[key] = count
                elif isinstance(each, _Due):
                    due[key] = count, each
                else:
                    with self._lock:
                        self._add_plain(count, each)
        if due:
            self._measure_plain_kinds(due, waiting, test_id)
        self._requeue_plain(waiting)

    def _measure_plain_kinds(
        self,
        due: dict[tuple[type, Any], tuple[int, _Due]],
        waiting: dict[tuple[type, Any], int],
        test_id: str | None,
    ) -> None:
        """Measure the kinds :meth:`_plain_saving_of` found *due* together
        (the acceleration suspended once: see plain_cost.measure_kinds) and
        count their mocks; those the budget leaves out join *waiting*."""
        measured = None
        with _fence.fenced("run report", test_id):
            measured = self._measured_kinds([_plain_cost.PlainKey(*key) for key in due])
        for key, (count, entry) in due.items():
            with _fence.fenced("run report", test_id):
                plain_key = _plain_cost.PlainKey(*key)
                if measured is not None and plain_key not in measured:
                    # The budget ran out before it: not failed, measured
                    # after a later test.
                    with self._lock:
                        self._plain_costs.pop(key, None)
                    waiting[key] = count
                    continue
                sample = None if measured is None else measured[plain_key]
                each = self._settled(
                    key, self._plain_costs, entry.name, sample, _stdlib_minus_mockpool
                )
                with self._lock:
                    self._add_plain(count, each)

    def _plain_saving_of(self, key: tuple[type, Any]) -> float | _NotYet | _Due | None:
        """What one plain mock of *key* saves, known or remembered (see
        :meth:`_known_cost`): a :class:`_Due` for a kind to measure now."""
        plain_key = _plain_cost.PlainKey(*key)
        return self._known_cost(
            key,
            self._plain_costs,
            lambda: _plain_cost.remembered_as(plain_key),
            _stdlib_minus_mockpool,
            # Within plain kinds' part, as their samples at the run's end
            # are (see resample_plain_costs).
            self._plain_affordable,
        )

    def resample_plain_costs(self) -> None:
        """Measure again, at a run's end, the plain kinds it used whose
        remembered samples number fewer than
        :data:`~mockpool._learning.costs.COST_SAMPLES` -- as many as what
        is left of plain kinds' part of the measuring budget allows; the
        next run uses the median of the samples kept (see
        :mod:`.plain_cost`).

        Cheap to measure (a few milliseconds a kind), and each measured at
        one moment of one run, under that moment's load: one sample of a
        busy first run set the figure for the ten to twenty runs after it.
        At the run's end, so that repeated samples never take the budget
        from a later test's autospecs; and within plain kinds' part of it
        (:data:`PLAIN_MEASURING_SHARE`), never what autospecs left unspent:
        a refinement, it may take more runs, but must not cost a run more
        (taking the whole budget, it cost ironic-inspector's runs 0.2-0.33 s
        each, 2 % of their CPU, until every kind had its samples). A kind
        measured in this very run is left for a later one (its sample was
        taken under this run's load).
        """
        if not _stdlib_cost.builtins_untouched():
            return  # as for measure_stdlib_costs: a builtin patched still
        with self._lock:
            kinds = [key for key, cost in self._plain_costs.items() if cost is not None]
        due: dict[_plain_cost.PlainKey, tuple[str, str]] = {}
        # Each kind's (stdlib, mockpool) seconds a mock, from its samples.
        expected: dict[_plain_cost.PlainKey, tuple[float, float]] = {}
        for key in kinds:
            plain_key = _plain_cost.PlainKey(*key)
            name = self._memory_name(
                key, functools.partial(_plain_cost.remembered_as, plain_key)
            )
            if name is None or name in self._remembered_now:
                continue
            remembered = self._cost_memory().recall(*name)
            if remembered is None or len(remembered.samples) >= COST_SAMPLES:
                continue
            due[plain_key] = name
            figures = remembered.figures()
            if len(figures) == 2:
                expected[plain_key] = (figures[0], figures[1])
        if not due:
            return
        # All in one measurement: the acceleration suspended once, not once
        # a kind (see plain_cost.measure_kinds).
        for plain_key, measured in self._measured_kinds(due, expected).items():
            if measured is not None:
                self._remember(due[plain_key], measured)

    def _measured_kinds(
        self,
        keys: Iterable[_plain_cost.PlainKey],
        expected: Mapping[_plain_cost.PlainKey, tuple[float, float]] | None = None,
    ) -> dict[_plain_cost.PlainKey, tuple[float, float] | None]:
        """:func:`~.plain_cost.measure_kinds` of *keys*, as many as plain
        kinds' part of the budget affords (:data:`PLAIN_MEASURING_SHARE`,
        a run's repeated samples included): its CPU time is counted against
        the budget as it goes, and a kind is begun only while what the run
        spent measuring, and what the kinds begun and the kind itself are
        expected to cost (from the *expected* figures, see measure_kinds),
        are within that part (a kind begun is measured on both sides)."""
        last = _process_time()

        def affordable(ahead: float) -> bool:
            nonlocal last
            now = _process_time()
            with self._lock:
                self._measuring_seconds += now - last
                self._plain_measuring_seconds += now - last
                last = now
                return self._affordable(PLAIN_MEASURING_SHARE, ahead)

        try:
            return _plain_cost.measure_kinds(keys, affordable, expected)
        finally:
            affordable(0.0)  # the time since the last side counted too

    def _budget(self) -> float:
        # Called with self._lock held: see MEASURING_BUDGET.
        return MEASURING_BUDGET * (_process_time() + self._saved_seconds)

    def _affordable(self, share: float, ahead: float = 0.0) -> bool:
        """Whether what the run spent measuring, and *ahead* seconds more,
        are within *share* of its budget (called with the lock held)."""
        return self._measuring_seconds + ahead <= share * self._budget()

    def _plain_affordable(self) -> bool:
        """Whether plain kinds' part of the budget affords measuring a kind
        now, the suspension it is measured in included (see
        plain_cost.measure_kinds; called with the lock held)."""
        return self._affordable(
            PLAIN_MEASURING_SHARE, _plain_cost.expected_suspension()
        )

    def _autospecs_affordable(self) -> bool:
        """Whether the budget allows measuring another autospec: what the
        run spent measuring is within it, plain kinds charged no more than
        their part (see PLAIN_MEASURING_SHARE; called with the lock held)."""
        budget = self._budget()
        plain = self._plain_measuring_seconds
        charged = self._measuring_seconds - plain
        charged += min(plain, PLAIN_MEASURING_SHARE * budget)
        return charged <= budget

    def _saving(self, spec: str) -> _SavingTally:
        # Called with self._lock held.
        saving = self._savings.get(spec)
        if saving is None:
            saving = self._savings[spec] = _SavingTally()
        return saving

    def _counts(self, spec: str) -> AcquisitionCounts:
        # Called with self._lock held.
        counts = self._specs.get(spec)
        if counts is None:
            counts = self._specs[spec] = AcquisitionCounts()
        return counts

    def record_discard(self, reason: str, count: int = 1) -> None:
        """Count *count* pooled mocks thrown away for *reason*.

        Args:
            reason: A :class:`~mockpool.DiscardReason` string.
            count: How many (0 records nothing).

        Raises:
            ArgumentTypeError: *reason* is not a str or *count* not an int.
            InvalidArgumentError: *count* is negative (a ValueError).
        """
        checks.text(reason, "reason")
        checks.count(count, "count")
        if count:
            with self._lock:
                self._discards[reason] += count

    def record_degraded(self, spec: str, variant: Variant | str) -> None:
        """Count a mock of *spec* served in a degraded *variant*.

        Args:
            spec: The spec's qualified name.
            variant: A degraded :class:`~mockpool.Variant` or its value.

        Raises:
            InvalidVariantError: *variant* names no variant.
            ValueError: *variant* is not degraded.
        """
        checks.text(spec, "spec")
        chosen = _degraded_variant(variant)
        with self._lock:
            self._degraded[spec, chosen] += 1

    def record_leak(self, test_id: str, kind: str, detail: str) -> None:
        """Record a leak found at the end of test *test_id*.

        Args:
            test_id: The test's id.
            kind: What leaked, e.g. ``"patch not undone"``.
            detail: Where, e.g. the patch target.
        """
        leak = Leak(test_id, kind, detail)
        for field in dataclasses.fields(leak):
            checks.text(getattr(leak, field.name), field.name)
        with self._lock:
            self._leaks.append(leak)

    def record_adaptation(self, trigger: str, service: str, action: str) -> None:
        """Record a decision of the adapter.

        Args:
            trigger: Which monitor fired.
            service: The pool's service, or ``"*"``.
            action: What was changed.
        """
        adaptation = Adaptation(trigger, service, action)
        for field in dataclasses.fields(adaptation):
            checks.text(getattr(adaptation, field.name), field.name)
        with self._lock:
            self._adaptations.append(adaptation)

    # -- reading ------------------------------------------------------------

    def _snapshot(self) -> _Snapshot:
        with self._lock:
            self._fold_ended()
            return _Snapshot(
                tests=self._tests,
                specs={spec: counts.copy() for spec, counts in self._specs.items()},
                discards=dict(self._discards),
                degraded=dict(self._degraded),
                leaks=list(self._leaks),
                adaptations=list(self._adaptations),
                workers=list(self._workers),
                savings={spec: tally.frozen() for spec, tally in self._savings.items()},
                plain=PlainSaving(
                    self._plain_built + sum(self._plain_pending.values()),
                    self._plain_compared,
                    self._plain_saved,
                ),
                own_work=OwnWork(
                    self._startup_seconds,
                    self._per_test_seconds
                    + self._own_wall_seconds * _on_cpu(*self._began),
                ),
            )

    @property
    def tests(self) -> int:
        """Tests run."""
        with self._lock:
            self._fold_ended()
            return self._tests

    def totals(self) -> AcquisitionCounts:
        """The counts of every spec together."""
        with self._lock:
            return _total(self._specs.values())

    @property
    def acquired(self) -> int:
        """Mocks handed out (requested by tests)."""
        return self.totals().acquired

    @property
    def hits(self) -> int:
        """Mocks served recycled from a pool: builds avoided."""
        return self.totals().hits

    @property
    def builds(self) -> int:
        """Mocks served by building one."""
        return self.totals().builds

    @property
    def hit_rate(self) -> float:
        """Hits per mock handed out (0.0 before the first)."""
        return self.totals().hit_rate

    @property
    def lazy_build_seconds_avoided(self) -> float:
        """Per spec, builds avoided times mockpool's mean measured build time.

        What pooling saves over building lazily every time -- not what a
        user saves, which is :attr:`stdlib_saving`. Specs never built (so
        never measured) contribute nothing.
        """
        return _saved(self._snapshot().stats())

    @property
    def stdlib_saving(self) -> StdlibSaving:
        """Time saved against ``unittest.mock``, every spec together."""
        return self._snapshot().saving()

    @property
    def plain_saving(self) -> PlainSaving:
        """Time saved against ``unittest.mock`` on plain mocks (estimated)."""
        return self._snapshot().plain

    @property
    def own_work(self) -> OwnWork:
        """mockpool's own work so far, which the saving pays for."""
        return self._snapshot().own_work

    @property
    def net_seconds_saved(self) -> float:
        """Time saved against ``unittest.mock``: on autospecs and plain mocks,
        less mockpool's own work -- the figure the report prints first."""
        part = self._snapshot()
        return part.saving().seconds_saved + part.plain.saved - part.own_work.seconds

    @property
    def specs(self) -> dict[str, SpecStats]:
        """The figures of every spec requested, by spec name."""
        return {stats.spec: stats for stats in self._snapshot().stats()}

    def slowest_specs(self, n: int = _SLOWEST) -> list[SpecStats]:
        """The *n* specs with the highest mean measured build time.

        Specs never measured are left out; ties go by spec name.
        """
        checks.count(n, "n")
        return _slowest(self._snapshot().stats(), n)

    @property
    def discards(self) -> dict[str, int]:
        """Pooled mocks thrown away, by reason."""
        with self._lock:
            return dict(self._discards)

    @property
    def degraded(self) -> dict[tuple[str, str], int]:
        """Mocks served in a degraded variant, by ``(spec, variant)``."""
        with self._lock:
            return dict(self._degraded)

    @property
    def leaks(self) -> list[Leak]:
        """The leaks found, in the order recorded."""
        with self._lock:
            return list(self._leaks)

    @property
    def adaptations(self) -> list[Adaptation]:
        """The adapter's decisions, in the order recorded."""
        with self._lock:
            return list(self._adaptations)

    @property
    def workers(self) -> list[str]:
        """The worker of each report merged into this one, itself included."""
        with self._lock:
            return list(self._workers)

    # -- merging ------------------------------------------------------------

    def merge(self, other: RunReport) -> None:
        """Add every record of *other* to this report.

        Counts and per-spec figures add, leaks are appended, and *other*'s
        workers are appended to :attr:`workers`. *other* is not changed.
        """
        # Copy other under its own lock, then apply under ours: never both
        # locks at once, so a.merge(b) and b.merge(a) cannot deadlock.
        part = other._snapshot()
        with self._lock:
            self._tests += part.tests
            for spec, counts in part.specs.items():
                self._counts(spec).merge(counts)
            for spec, saving in part.savings.items():
                self._saving(spec).merge(saving)
            self._merge_plain(part.plain)
            self._merge_own_work(part.own_work)
            self._discards.update(part.discards)
            self._degraded.update(part.degraded)
            self._leaks.extend(part.leaks)
            self._adaptations.extend(part.adaptations)
            self._workers.extend(part.workers)

    def _merge_plain(self, plain: PlainSaving) -> None:
        # Called with self._lock held.
        self._plain_built += plain.built
        self._plain_compared += plain.compared
        self._plain_saved += plain.saved

    def _merge_own_work(self, own_work: OwnWork) -> None:
        # Called with self._lock held (or on a report no other thread has).
        self._startup_seconds += own_work.startup
        self._per_test_seconds += own_work.per_test

    @classmethod
    def merged(cls, reports: Iterable[RunReport]) -> RunReport:
        """A new report holding every record of *reports*.

        Its :attr:`worker` is :data:`COMBINED`; its :attr:`workers` lists the
        workers of *reports*, in order.
        """
        combined = cls(worker=COMBINED)
        combined._workers.clear()
        for report in reports:
            combined.merge(report)
        return combined

    # -- the dictionary form ------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-safe data (see :meth:`from_dict`).

        The form::

            {
              "format": 1,
              "worker": "gw0",
              "workers": ["gw0"],
              "tests": 12,
              "specs": {"pkg.mod.Class": {"hits": 9, "builds": 3,
                                          "timed_builds": 3,
                                          "build_seconds": 0.0041,
                                          "compared_hits": 9,
                                          "saved_on_hits": 0.0752,
                                          "compared_builds": 3,
                                          "saved_on_builds": 0.0210}},
              "discards": {"pool full": 2},
              "degraded": [{"spec": "pkg.mod.Other", "variant": "minimal",
                            "count": 1}],
              "leaks": [{"test_id": "t.T.test_a", "kind": "patch not undone",
                         "detail": "pkg.mod.thing"}],
              "adaptations": [],
              "plain_mocks": {"built": 40, "compared": 40, "saved": 0.0031},
              "own_work": {"startup": 0.052, "per_test": 0.0009}
            }
        """
        part = self._snapshot()
        return {
            "format": FORMAT,
            "worker": self.worker,
            "workers": part.workers,
            "tests": part.tests,
            "specs": {
                spec: {
                    **as_dict(counts, SPEC_KEYS),
                    **dataclasses.asdict(part.savings.get(spec, StdlibSaving())),
                }
                for spec, counts in sorted(part.specs.items())
            },
            "discards": dict(sorted(part.discards.items())),
            "degraded": [
                {"spec": spec, "variant": variant, "count": count}
                for (spec, variant), count in sorted(part.degraded.items())
            ],
            "leaks": [
                {"test_id": leak.test_id, "kind": leak.kind, "detail": leak.detail}
                for leak in part.leaks
            ],
            "adaptations": [dataclasses.asdict(item) for item in part.adaptations],
            PLAIN_KEY: dataclasses.asdict(part.plain),
            OWN_WORK_KEY: dataclasses.asdict(part.own_work),
        }

    @classmethod
    def from_dict(cls, data: object) -> RunReport:
        """Rebuild a report from :meth:`to_dict`'s form.

        Keys this version does not know are ignored.

        Raises:
            ReportError: *data* is not a report of :data:`FORMAT`, or a field
                is missing or malformed; the message names the field. It is a
                :class:`ValueError`.
        """
        top = _reader(data, "report")
        check_format(top, FORMAT, FORMAT_HINT)
        return cls.from_fields(top)

    @classmethod
    def from_fields(cls, top: FieldReader) -> RunReport:
        """Rebuild a report from the fields of :meth:`to_dict`'s form.

        For a reader that checked the format already, as
        :func:`~mockpool._base.json_files.read_json_file` does; see
        :meth:`from_dict`.

        Raises:
            ReportError: A field is missing or malformed.
        """
        report = cls(worker=top.string("worker"))
        report._tests = top.count("tests")
        report._workers = [
            typed_value(item, str, f"report 'workers'[{index}]", ReportError)
            for index, item in enumerate(top.get("workers", list))
        ]
        for spec, value in top.get("specs", dict).items():
            fields = _reader(value, f"report 'specs'[{spec!r}]")
            counts = report._specs[spec] = AcquisitionCounts.read(fields, SPEC_KEYS)
            # Not in the file: every mock the report counts is a hit or a build.
            counts.acquired = counts.hits + counts.builds
            if counts.timed_builds > counts.builds:
                raise ReportError(
                    f"report 'specs'[{spec!r}] has timed_builds "
                    f"{counts.timed_builds!r} > builds {counts.builds!r}"
                )
            saving = _read_saving(fields)
            if saving is not None:
                report._saving(spec).merge(saving)
        for reason, count in top.get("discards", dict).items():
            report._discards[reason] = count_value(
                count, f"report 'discards'[{reason!r}]", ReportError
            )
        for index, item in enumerate(top.get("degraded", list)):
            fields = _reader(item, f"report 'degraded'[{index}]")
            variant = fields.string("variant")
            try:
                variant = _degraded_variant(variant)
            except ValueError as exc:
                raise ReportError(f"report 'degraded'[{index}]: {exc}") from None
            key = (fields.string("spec"), variant)
            report._degraded[key] += fields.count("count")
        for index, item in enumerate(top.get("leaks", list)):
            fields = _reader(item, f"report 'leaks'[{index}]")
            report._leaks.append(
                Leak(
                    fields.string("test_id"),
                    fields.string("kind"),
                    fields.string("detail"),
                )
            )
        # Absent from files written before plain mocks were reported.
        if PLAIN_KEY in top.data:
            fields = _reader(top.get(PLAIN_KEY, dict), f"report {PLAIN_KEY!r}")
            plain = PlainSaving(
                fields.count("built"),
                fields.count("compared"),
                fields.signed_seconds("saved"),
            )
            if plain.compared > plain.built:
                raise ReportError(
                    f"report {PLAIN_KEY!r} has compared {plain.compared!r} > "
                    f"built {plain.built!r}"
                )
            report._merge_plain(plain)
        # Absent from files written before mockpool's own work was reported.
        if OWN_WORK_KEY in top.data:
            fields = _reader(top.get(OWN_WORK_KEY, dict), f"report {OWN_WORK_KEY!r}")
            report._merge_own_work(
                OwnWork(fields.seconds("startup"), fields.seconds("per_test"))
            )
        # Absent from files written before adaptation was reported.
        for index, item in enumerate(top.get("adaptations", list)):
            fields = _reader(item, f"report 'adaptations'[{index}]")
            report._adaptations.append(
                Adaptation(
                    fields.string("trigger"),
                    fields.string("service"),
                    fields.string("action"),
                )
            )
        return report

    # -- rendering ----------------------------------------------------------

    def render(self, width: int = 70) -> str:
        """The report as printed after unittest's summary.

        A rule of dashes, as unittest draws above "Ran N tests", then at
        most :data:`MAX_LINES` lines in all, none wider than *width*: longer
        lists end with "... and N more".

        Args:
            width: The widest a line may be (at least 40).

        Returns:
            The lines, joined by newlines, without a final newline.
        """
        checks.count(width, "width", minimum=40)
        part = self._snapshot()
        specs = part.stats()
        total = _total(part.specs.values())
        lines = ["-" * width, _header(part)]
        lines.append(f"Mocks requested: {total.acquired} ({total.builds} built)")
        lines.append(
            f"Builds avoided: {total.builds_avoided} "
            f"({total.hit_rate:.1%} of mocks requested)"
        )
        lines.extend(
            _saving_lines(part.saving(), total.acquired, part.plain, part.own_work)
        )
        slowest = _slowest(specs, _SLOWEST)
        # Full lists everywhere would not fit on a screen: the slowest specs
        # give up lines first (down to one), so leaks keep their room.
        full = sum(
            min(len(items), cap)
            for items, cap in (
                (part.discards, _DISCARD_LINES),
                (part.degraded, _DEGRADED_LINES),
                (part.adaptations, _ADAPTATION_LINES),
            )
        )
        spare = MAX_LINES - len(lines) - 1 - 3 - full - 1 - _MIN_LEAK_LINES
        slowest = slowest[: max(1, min(len(slowest), spare))]
        if slowest:
            lines.append("Slowest specs (mean build time):")
            lines.extend(
                f"  {(s.mean_build_seconds or 0.0) * 1000:8.2f} ms  {s.spec}"
                for s in slowest
            )
        else:
            lines.append("Slowest specs: no build measured")
        discards = sorted(part.discards.items(), key=lambda item: (-item[1], item[0]))
        lines.extend(
            _section(
                f"Discarded from pools: {sum(part.discards.values())}",
                [f"  {count:5d}  {reason}" for reason, count in discards],
                _DISCARD_LINES,
            )
        )
        degraded = sorted(part.degraded.items(), key=lambda item: (-item[1], item[0]))
        lines.extend(
            _section(
                f"Degraded variants: {sum(part.degraded.values())} mocks",
                [
                    f"  {count:5d}  {spec} ({variant})"
                    for (spec, variant), count in degraded
                ],
                _DEGRADED_LINES,
            )
        )
        lines.extend(
            _section(
                f"Adaptations: {len(part.adaptations)}",
                [
                    f"  {item.trigger}: {item.service}: {item.action}"
                    for item in part.adaptations
                ],
                _ADAPTATION_LINES,
            )
        )
        by_test = _leaks_by_test(part.leaks)
        room = max(MAX_LINES - len(lines) - 1, _MIN_LEAK_LINES)
        lines.extend(
            _section(
                f"Leaks: {len(part.leaks)} in {len(by_test)} tests",
                [_leak_line(test_id, leaks, width) for test_id, leaks in by_test],
                room,
            )
        )
        return "\n".join(_clip(line, width) for line in lines)


# -- figures of measured costs ----------------------------------------------


def _under_observation() -> bool:
    """Whether a profiler, a coverage tool or a debugger watches this thread:
    then every build is several times dearer, and a cost measured is a
    figure for this run, not one to keep for the next."""
    return _getprofile() is not None or _gettrace() is not None


def _on_cpu(wall_began: float, cpu_began: float) -> float:
    """The share of the wall time since *wall_began*
    (:func:`time.perf_counter`) that this process spent on a CPU since
    *cpu_began* (:func:`time.process_time`), at most 1.

    mockpool's work around tests is timed on the wall clock, the cheapest
    (:class:`OwnWork`). That work does not wait, so what makes its wall time
    exceed its CPU time is the process waiting for a CPU on a loaded
    machine: in one of ironic-inspector's accelerated runs it had 15.4 s of
    CPU in 23.7 s of wall time, and its per-test work read 0.92 s. Scaled
    by this share it is counted as CPU time, as the saving it comes off
    is: exact on average over the run, a little low where the tests
    themselves sleep (their waiting lowers the share).
    """
    wall = _perf_counter() - wall_began
    cpu = _process_time() - cpu_began
    if wall <= 0.0 or cpu <= 0.0:
        return 1.0
    return min(1.0, cpu / wall)


def _one_figure(seconds: float | None) -> tuple[float, ...] | None:
    return None if seconds is None else (seconds,)


def _first_figure(figures: tuple[float, ...]) -> float:
    """An autospec's cost: the stdlib's seconds."""
    return figures[0]


def _stdlib_minus_mockpool(figures: tuple[float, ...]) -> float:
    """What one plain mock saves: the stdlib's seconds minus mockpool's."""
    return figures[0] - figures[1]


# -- rendering helpers ------------------------------------------------------


def _header(part: _Snapshot) -> str:
    workers = list(dict.fromkeys(part.workers))
    if not workers:
        return f"mockpool: {part.tests} tests run"
    if len(workers) == 1:
        where = f"worker {workers[0]}"
    else:
        where = f"{len(workers)} workers ({', '.join(workers)})"
    return f"mockpool: {part.tests} tests run, {where}"


def _saving_lines(
    saving: StdlibSaving, acquired: int, plain: PlainSaving, own_work: OwnWork
) -> list[str]:
    """The time saved against the stdlib, and the parts it adds up from."""
    whole = saving.seconds_saved + plain.saved - own_work.seconds
    lines = [f"Time saved against unittest.mock: {whole:.3f}s"]
    split = (
        f"  pool hits {saving.saved_on_hits:.3f}s, "
        f"lazy builds {saving.saved_on_builds:.3f}s"
    )
    uncompared = acquired - saving.compared
    if uncompared > 0:
        split += f"; {uncompared} requests not compared"
    lines.append(split)
    if plain.built:
        line = f"  plain mocks {plain.saved:.3f}s (estimated, {plain.built} built"
        if plain.built > plain.compared:
            line += f"; {plain.built - plain.compared} not compared"
        lines.append(line + ")")
    if own_work.seconds:
        lines.append(
            f"  mockpool's own work -{own_work.seconds:.3f}s "
            f"(start-up {own_work.startup:.3f}s, around tests "
            f"{own_work.per_test:.3f}s)"
        )
    return lines


def _section(title: str, items: list[str], room: int) -> list[str]:
    """*title* and up to *room* item lines, or "<title-name>: none"."""
    if not items:
        return [title.partition(":")[0] + ": none"]
    if len(items) > room:
        shown = items[: room - 1]
        return [title, *shown, f"  ... and {len(items) - len(shown)} more"]
    return [title, *items]


def _leaks_by_test(leaks: list[Leak]) -> list[tuple[str, list[Leak]]]:
    grouped: dict[str, list[Leak]] = {}
    for leak in leaks:
        grouped.setdefault(leak.test_id, []).append(leak)
    return list(grouped.items())


def _leak_line(test_id: str, leaks: list[Leak], width: int) -> str:
    what = "; ".join(
        f"{leak.kind} ({leak.detail})" if leak.detail else leak.kind for leak in leaks
    )
    # The test id is what the reader acts on: keep it whole where it fits,
    # clipping what leaked (the JSON report has it all), and clip an id too
    # long for the line at its start, keeping the class and method.
    if len(test_id) + len("  : ") + min(len(what), 12) <= width:
        return _clip(f"  {test_id}: {what}", width)
    return "  " + _clip_start(test_id, width - 2)


def _clip(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


def _clip_start(text: str, width: int) -> str:
    return text if len(text) <= width else "..." + text[len(text) - width + 3 :]


# -- arithmetic -------------------------------------------------------------


def _total(specs: Iterable[AcquisitionCounts]) -> AcquisitionCounts:
    total = AcquisitionCounts()
    for counts in specs:
        total.merge(counts)
    return total


def _saved(specs: Iterable[SpecStats]) -> float:
    return math.fsum(stats.estimated_seconds_saved for stats in specs)


def _slowest(specs: Iterable[SpecStats], n: int) -> list[SpecStats]:
    measured = [stats for stats in specs if stats.timed_builds]
    measured.sort(key=lambda stats: (-(stats.mean_build_seconds or 0.0), stats.spec))
    return measured[:n]


# -- validation -------------------------------------------------------------


def _degraded_variant(variant: Variant | str) -> str:
    chosen = Variant.coerce(variant)
    if not chosen.degraded:
        degraded = ", ".join(repr(v.value) for v in Variant if v.degraded)
        raise ValueError(
            f"variant {chosen.value!r} is not degraded; record only {degraded}"
        )
    return chosen.value


def _read_saving(fields: FieldReader) -> StdlibSaving | None:
    """A spec's saving against the stdlib, or None in a file written before
    it was reported (which has none of its keys)."""
    if not any(key in fields.data for key in SAVING_KEYS):
        return None
    saving = StdlibSaving(
        compared_hits=fields.count("compared_hits"),
        saved_on_hits=fields.signed_seconds("saved_on_hits"),
        compared_builds=fields.count("compared_builds"),
        saved_on_builds=fields.signed_seconds("saved_on_builds"),
    )
    return saving


def _reader(data: object, where: str) -> FieldReader:
    """A field reader raising :class:`ReportError`."""
    return FieldReader(data, where, ReportError)
