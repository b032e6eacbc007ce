"""The cost memory: costs measured off the tests' clock, kept between runs.

Why it exists: the run report's "time saved against unittest.mock" is exact
because it measures what the stdlib (and, for a plain mock, mockpool) spends
building each spec's mock, once per spec and process, after the test that
asked for it. A big spec makes that costly -- one stdlib build of a large
class can take most of a second -- and every run would pay it again. A
:class:`CostMemory` lets only a suite's first run pay: the report asks
:meth:`CostMemory.recall` before measuring and tells
:meth:`CostMemory.remember` what it measured.

When a remembered cost is used -- the validity rules:

* **Interpreter.** A cost is kept under :data:`INTERPRETER` (such as
  ``"cpython-3.11.9"``); costs of another interpreter are neither used nor
  replaced, so one history directory can serve tox's environments of
  several Python versions.
* **Stamp.** A cost is recalled only under the stamp it was measured under:
  the caller's token of what the cost depends on (for the run report, the
  size and modification time of the source files defining the spec). A
  changed source is measured again; a measurement under a new stamp starts
  the cost afresh.
* **Refresh.** A cost is due to be measured again once
  :data:`COST_REFRESH_RUNS` to twice that many runs began after its newest
  measurement, or once that is :data:`COST_REFRESH_DAYS` to twice that many
  days old; the limit is spread by the cost's name, so that the costs a
  suite's first run measured come due a few per later run, not all in one.
  A due cost is still used until it is measured again.
* **Median.** Up to :data:`COST_SAMPLES` measurements are kept, and their
  median used: one taken while the machine was busy does not become the
  cost.
* **Forgotten.** A cost not measured for :data:`COST_FORGET_DAYS` days is
  dropped (a spec renamed or removed, an interpreter no longer used).

This module holds that policy and the memory of this process
(:func:`process_costs`); :mod:`mockpool._learning.history` holds the file
format: its :class:`~mockpool._learning.history.HistoryStore` fills the memory
from ``history.json`` when it loads, and writes what this process measured
when it flushes. This module reads and writes no file, and does not import
the history.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
from bisect import bisect_right as _bisect_right

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all, hasattr, len, sorted
from collections.abc import Mapping, Sequence

# Bound at import: the report remembers a cost after a test, maybe while
# its class's patch of time.time is in place.
from time import time as _wall_clock

from mockpool._base import checks
from mockpool._base.compat import blake2b as _blake2b
from mockpool._base.records import fill, frozen_record
from mockpool.errors import InvalidArgumentError

__all__ = [
    "COST_FORGET_DAYS",
    "COST_REFRESH_DAYS",
    "COST_REFRESH_RUNS",
    "COST_SAMPLES",
    "INTERPRETER",
    "SAMPLE_RULE",
    "CostMemory",
    "RememberedCost",
    "merged_cost",
    "process_costs",
    "valid_sample",
    "with_runs_since",
    "without_forgotten",
]

#: How many measurements of one cost are kept. The figure used is their
#: median: one measurement taken while the machine was busy does not become
#: the cost.
COST_SAMPLES = 5
#: A remembered cost is measured again once this many runs (as merged into
#: ``history.json``) began after its newest measurement. Each cost's limit
#: lies between this and twice this, spread by its name, so that the costs
#: a suite's first run measured are measured again a few per later run, not
#: all in one.
COST_REFRESH_RUNS = 10
#: ... or once its newest measurement is this many days old (spread alike).
COST_REFRESH_DAYS = 7.0
#: A cost not measured for this long is forgotten (a spec renamed or
#: removed, an interpreter no longer used). Longer than any refresh limit:
#: a cost still used is measured again long before.
COST_FORGET_DAYS = 30.0
#: The interpreter costs are measured on, e.g. ``"cpython-3.11.9"``: costs
#: of another are neither used nor replaced (one history directory may
#: serve tox's environments of several Python versions).
INTERPRETER = "{}-{}".format(
    sys.implementation.name,
    ".".join(str(part) for part in sys.implementation.version[:3])
    + (
        ""
        if sys.implementation.version.releaselevel == "final"
        else f"{sys.implementation.version.releaselevel}"
        f"{sys.implementation.version.serial}"
    ),
)
# No measured build takes a minute: a sample claiming so is a mistake, or
# comes from a corrupt or foreign file.
_MAX_SAMPLE_SECONDS = 60.0
_MAX_SAMPLE_WIDTH = 2
#: What a sample must be, for error messages (see :func:`valid_sample`).
SAMPLE_RULE = f"1 or {_MAX_SAMPLE_WIDTH} finite seconds in [0, {_MAX_SAMPLE_SECONDS:g})"
_DAY = 86400.0


@frozen_record
class RememberedCost:
    """A cost measured in earlier runs, or earlier in this one.

    Its :attr:`stamp` is the caller's token of what the cost depends on
    (for the run report, the size and modification time of the source files
    defining the spec): a cost recalled under another stamp is not
    returned, so a changed source is measured again.
    """

    #: What the measured thing was when measured (see above).
    stamp: str
    #: The measurements, oldest first, at most :data:`COST_SAMPLES`; each
    #: a tuple of one or two seconds, as the caller remembered them
    #: (``(stdlib,)`` for an autospec, ``(stdlib, mockpool)`` for a plain
    #: mock).
    samples: tuple[tuple[float, ...], ...]
    #: When the newest was taken, in seconds since the epoch.
    measured: float
    #: Runs of ``history.json`` that began after it (0 for a cost measured
    #: in this process).
    runs_since: int = 0
    #: The id of the run that took the newest sample ("" if not known yet:
    #: the per-process file's name tells it when merged).
    run_id: str = ""

    def __init__(
        self,
        stamp: str,
        samples: tuple[tuple[float, ...], ...],
        measured: float,
        runs_since: int = 0,
        run_id: str = "",
    ) -> None:
        fill(self, locals())

    def figures(self) -> tuple[float, ...]:
        """The median of each figure over the samples as wide as the newest."""
        width = len(self.samples[-1])
        kept = [sample for sample in self.samples if len(sample) == width]
        return tuple(_median([sample[i] for sample in kept]) for i in range(width))

    def due(self, name: str, now: float | None = None) -> bool:
        """Whether the cost, remembered under *name*, should be measured
        again (:data:`COST_REFRESH_RUNS`, :data:`COST_REFRESH_DAYS`).

        A due cost is still right to use until it is: a refresh catches the
        drift a stamp cannot see (a faster machine, a changed dependency of
        the spec's module).
        """
        spread = 1.0 + _spread(name)
        age = (_wall_clock() if now is None else now) - self.measured
        return (
            self.runs_since >= COST_REFRESH_RUNS * spread
            or age >= COST_REFRESH_DAYS * _DAY * spread
        )


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _spread(name: str) -> float:
    """A fraction in [0, 1) fixed by *name*, the same in every process
    (unlike ``hash()``, which is salted per process)."""
    digest = _blake2b(name.encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def valid_sample(sample: Sequence[float]) -> bool:
    """Whether *sample* is one measurement as :data:`SAMPLE_RULE` says."""
    # Finite too: the comparison is False for NaN, and infinity is over.
    return 1 <= len(sample) <= _MAX_SAMPLE_WIDTH and all(
        0.0 <= value < _MAX_SAMPLE_SECONDS for value in sample
    )


class CostMemory:
    """Costs measured off the tests' clock, kept between runs.

    The caller asks :meth:`recall` before measuring and tells
    :meth:`remember` what it measured (see the module's docstring for when
    a remembered cost is used). A
    :class:`~mockpool._learning.history.HistoryStore` fills the memory with
    what ``history.json`` holds for :data:`INTERPRETER` when it loads, and
    writes what this process measured when it flushes.

    Names are the caller's and must mean the same in every process (the
    run report uses the kind of build and the qualified name of the spec).
    Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # By name (without the interpreter): what history holds, updated
        # by what this process measured.
        self._known: dict[str, RememberedCost] = {}
        # By name: (stamp, samples, when) measured in this process, for
        # the next flush.
        self._new: dict[str, tuple[str, list[tuple[float, ...]], float]] = {}
        # Read by the history store, to skip a flush when nothing changed.
        self._changes = 0

    def __repr__(self) -> str:
        return f"<CostMemory known={len(self._known)} new={len(self._new)}>"

    def recall(self, name: str, stamp: str) -> RememberedCost | None:
        """The cost remembered under *name*, if measured under *stamp*."""
        with self._lock:
            known = self._known.get(name)
        if known is None or known.stamp != stamp:
            return None
        return known

    def remember(
        self, name: str, stamp: str, sample: Sequence[float]
    ) -> RememberedCost:
        """Add a measurement of *name*, taken under *stamp*, and return the
        cost as now remembered (a new stamp starts it afresh).

        Raises:
            ArgumentTypeError: *name* or *stamp* is not a str.
            InvalidArgumentError: *name* or *stamp* is empty, or *sample* is
                not one or two finite numbers of seconds, each 0 or more and
                under a minute.
        """
        checks.text(name, "name", allow_empty=False)
        checks.text(stamp, "stamp", allow_empty=False)
        measured = tuple(float(value) for value in sample)
        if not valid_sample(measured):
            raise InvalidArgumentError(
                f"sample must be {SAMPLE_RULE}, not {sample!r:.60}"
            )
        now = _wall_clock()
        with self._lock:
            earlier = self._known.get(name)
            kept = earlier.samples if earlier and earlier.stamp == stamp else ()
            cost = RememberedCost(stamp, (*kept, measured)[-COST_SAMPLES:], now)
            self._known[name] = cost
            new = self._new.get(name)
            if new is None or new[0] != stamp:
                new = (stamp, [], now)
            samples = [*new[1], measured][-COST_SAMPLES:]
            self._new[name] = (stamp, samples, now)
            self._changes += 1
        return cost

    # -- the history store's side ---------------------------------------------
    # Full names there: the interpreter, a space, then the caller's name.

    def _learn(self, costs: Mapping[str, RememberedCost]) -> None:
        """Take what history holds for this interpreter; what this process
        measured stays on top."""
        prefix = f"{INTERPRETER} "
        known = {
            name[len(prefix) :]: cost
            for name, cost in costs.items()
            if name.startswith(prefix)
        }
        with self._lock:
            for name, (stamp, samples, when) in self._new.items():
                earlier = known.get(name)
                kept = earlier.samples if earlier and earlier.stamp == stamp else ()
                known[name] = RememberedCost(
                    stamp, (*kept, *samples)[-COST_SAMPLES:], when
                )
            self._known = known

    def _to_write(self) -> tuple[dict[str, RememberedCost], int]:
        """Only what this process measured (earlier runs' samples are in
        ``history.json`` already), by full name, sorted, and the change
        count it is as of."""
        with self._lock:
            return {
                f"{INTERPRETER} {name}": RememberedCost(stamp, tuple(samples), when)
                for name, (stamp, samples, when) in sorted(self._new.items())
            }, self._changes

    def _forked(self) -> CostMemory:
        """A forked child's memory: what history holds, nothing to write
        (the parent writes what it measured)."""
        child = CostMemory()
        child._known = dict(self._known)
        return child


# -- merging what several processes and runs measured --------------------------


def merged_cost(
    earlier: RememberedCost | None, later: RememberedCost
) -> RememberedCost:
    """*later*'s samples added to *earlier*'s, when taken under one stamp
    (the last :data:`COST_SAMPLES` kept); else the newer of the two."""
    if earlier is None:
        return later
    if earlier.stamp != later.stamp:
        return later if later.measured >= earlier.measured else earlier
    newest = later if later.measured >= earlier.measured else earlier
    return RememberedCost(
        later.stamp,
        (*earlier.samples, *later.samples)[-COST_SAMPLES:],
        newest.measured,
        run_id=newest.run_id,
    )


def without_forgotten(
    costs: Mapping[str, RememberedCost], now: float
) -> dict[str, RememberedCost]:
    """*costs* less those not measured for :data:`COST_FORGET_DAYS` days."""
    forget_before = now - COST_FORGET_DAYS * _DAY
    return {
        name: cost for name, cost in costs.items() if cost.measured >= forget_before
    }


def with_runs_since(
    costs: Mapping[str, RememberedCost], run_starts: Mapping[str, float]
) -> dict[str, RememberedCost]:
    """*costs*, each with the number of runs begun after it was measured.

    Args:
        costs: The costs, as history holds them.
        run_starts: When each run kept in history began, by run id. A
            cost's own run is not counted, though it may have begun
            recording after measuring.
    """
    started = sorted(run_starts.values())
    counted: dict[str, RememberedCost] = {}
    for name, cost in costs.items():
        later = len(started) - _bisect_right(started, cost.measured)
        own = run_starts.get(cost.run_id)
        if own is not None and own > cost.measured:
            later -= 1
        counted[name] = dataclasses.replace(cost, runs_since=later)
    return counted


# -- this process's memory ------------------------------------------------------

_state_lock = threading.Lock()
_process_memory: CostMemory | None = None


def process_costs() -> CostMemory:
    """The cost memory of this process, created on first use.

    A forked child starts with the parent's remembered costs and nothing
    of its own to write.
    """
    global _process_memory
    memory = _process_memory
    if memory is None:
        with _state_lock:
            memory = _process_memory
            if memory is None:
                memory = _process_memory = CostMemory()
    return memory


def _after_fork_in_child() -> None:
    # The parent writes what it measured; the child keeps what is known (a
    # fresh measurement in the child would only repeat it) and maybe a lock
    # held by a thread that does not exist in it.
    global _state_lock, _process_memory
    _state_lock = threading.Lock()
    if _process_memory is not None:
        _process_memory = _process_memory._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
