"""The usage history: what each service cost, run after run.

Per process, a :class:`~mockpool._learning.usage.UsageRecorder` counts what each
service cost (see :mod:`mockpool._learning.usage`). A :class:`HistoryStore` keeps
those counts in a directory (``.mockpool/`` in the working directory by
default, ``MOCKPOOL_DIR`` to move it):

``history-<run_id>-<worker>.json``
    One per process of the current run, replaced atomically by
    :meth:`HistoryStore.flush` (cheap enough for every test's end, which is
    how the counts survive a worker ended by ``os._exit``).

``history.json``
    The last *max_runs* runs, oldest first. :meth:`HistoryStore.load` first
    merges into it the per-process files of every *other* run id and
    deletes them, then returns the runs as a :class:`History`.

``history.lock``
    The merge runs under this file's cross-process lock
    (:class:`~mockpool._base.filelock.FileLock`: an exclusive
    :func:`fcntl.flock` of it; where :mod:`fcntl` does not exist (Windows),
    the existence of ``history.lock.excl``, broken when older than
    :data:`~mockpool._base.filelock.STALE_LOCK_SECONDS`), so two processes
    starting at once neither lose a record nor count one twice. Each run
    also lists the workers merged into it, so a merge interrupted between
    writing ``history.json`` and deleting the files it merged is not counted
    again. The Windows fallback is best-effort: two processes breaking the
    same stale lock at the same moment may both merge.

A per-process file of another run whose writer still runs on this host (a
second run started in the same directory while the first goes on) is left
for a later load: merging it now would lose, or count twice, what its writer
records next. The writer is identified by host, pid and process start time
(:func:`mockpool._base.process.identity`), so a reused pid does not keep a
file forever.

Files are named by the run id and this process's worker name, both of
:mod:`mockpool._base.process`: the run id is ``MOCKPOOL_RUN_ID`` when set,
else one generated per process; a parallel runner's parent calls
:func:`~mockpool._base.process.ensure_run_id` so that its workers inherit one
id. Files are written with :func:`mockpool._base.files.write_atomic` and
read with :func:`mockpool._base.json_files.read_json_file`.
``MOCKPOOL_HISTORY=0`` or :func:`set_history_enabled` turns history off.

The same files keep the costs the run report measures off the tests'
clock (what ``unittest.mock`` and mockpool spend building a spec's mock),
so that only a suite's first run pays for measuring them: a
:class:`CostMemory` per process (:func:`process_costs`) is filled by
:meth:`HistoryStore.load` and written by :meth:`HistoryStore.flush`. A
cost is kept under the interpreter (:data:`INTERPRETER`), a name and a
stamp the caller gives (the spec's source files); it is recalled only for
the same interpreter and stamp, measured again after
:data:`COST_REFRESH_RUNS` runs or :data:`COST_REFRESH_DAYS` days (spread
per cost), and forgotten after :data:`COST_FORGET_DAYS` days unmeasured.
Up to :data:`COST_SAMPLES` measurements are kept and their median used.
A corrupt ``"costs"`` in ``history.json`` gives a warning and fresh
measurements; the runs are kept.

Nothing here fails a test run: a corrupt, truncated, empty or unreadable
file, or a directory that cannot be written, gives one
:class:`~mockpool.HistoryWarning` per path per process, and history goes on
afresh -- or, for a directory that cannot be written, stays off for the rest
of the process. A forked child starts with an empty recorder, a worker name
of its own (:func:`mockpool._base.process.process_worker`) and its own
warnings, as its run report does.

The file formats (``"format": 1``; keys this version does not know are
ignored)::

    history-<run_id>-<worker>.json
    {"format": 1, "run_id": "20250101T120000_1a2b3c4d", "worker": "gw0",
     "host": "ci-7", "pid": 4242, "process_started": 1735732799.5,
     "started": 1735732800.1, "written": 1735732861.0,
     "services": {"pkg.mod.Client": {"acquisitions": 12, "hits": 9,
                  "builds": 3, "timed_builds": 3, "build_seconds": 0.041,
                  "discards": 1, "failures": 0, "peak_concurrency": 2}},
     "costs": {"cpython-3.11.9 autospec_instance pkg.mod.Client":
               {"stamp": "9f86d081884c7d65", "samples": [[0.0083]],
                "measured": 1735732830.2}}}

    history.json
    {"format": 1, "written": 1735736400.0,
     "runs": [{"run_id": "20250101T120000_1a2b3c4d",
               "started": 1735732800.1, "workers": ["gw0", "gw1"],
               "services": {"pkg.mod.Client": {...as above...}}}],
     "costs": {"cpython-3.11.9 autospec_instance pkg.mod.Client":
               {...as above, with every sample kept...,
                "run_id": "20250101T120000_1a2b3c4d"}}}

A per-process file holds only the samples its process measured (none: no
``"costs"``); a plain mock's samples are ``[stdlib, mockpool]`` pairs.
Files written before costs were kept have no ``"costs"``.

Within a run, counts of its processes add up; ``peak_concurrency`` is the
largest of theirs, as each process keeps its own pools. A service's object
holds the counts of :mod:`mockpool._base.counts` under the keys of
:data:`~mockpool._learning.usage.FILE_KEYS`: ``"acquisitions"`` is the field
``acquired`` and ``"peak_concurrency"`` is ``peak_leased``, the keys this
format was first written with.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import sys
import threading
import types
import warnings
from bisect import bisect_right as _bisect_right

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all, enumerate, getattr, hasattr, isinstance, len, min, sorted  # noqa: UP029
from collections.abc import Iterable, Iterator, Mapping, Sequence
from hashlib import blake2b as _blake2b

# Bound at import: a flush runs at a test's end, while the patches its class
# or module started are in place (time.time, json.dumps...), and must not
# call a test's mocks. What it asks of mockpool._base (the process's
# identity, the atomic write) is bound there likewise.
from json import dumps as _dumps
from time import time as _wall_clock

from mockpool._base import checks
from mockpool._base import filelock as _filelock
from mockpool._base import process as _process
from mockpool._base.files import write_atomic
from mockpool._base.json_fields import FieldReader
from mockpool._base.json_files import read_json_file
from mockpool._learning.usage import (
    SERIES_FIELDS,
    ServiceUsage,
    UsageRecorder,
    process_recorder,
)
from mockpool._learning.usage import (
    CorruptFileError as _CorruptError,
)
from mockpool.errors import ArgumentTypeError, HistoryWarning, InvalidArgumentError

__all__ = [
    "COST_FORGET_DAYS",
    "COST_REFRESH_DAYS",
    "COST_REFRESH_RUNS",
    "COST_SAMPLES",
    "CostMemory",
    "DEFAULT_DIRECTORY",
    "DEFAULT_MAX_RUNS",
    "DIR_ENV",
    "FORMAT",
    "HISTORY_ENV",
    "HISTORY_FILE",
    "History",
    "HistoryStore",
    "INTERPRETER",
    "LOCK_FILE",
    "RememberedCost",
    "RunUsage",
    "history_enabled",
    "process_costs",
    "set_history_enabled",
]

#: The version of both file formats; files of another version are not read.
FORMAT = 1
#: The history directory, relative to the working directory, by default.
DEFAULT_DIRECTORY = ".mockpool"
#: How many runs ``history.json`` keeps by default.
DEFAULT_MAX_RUNS = 20
#: The environment variable naming the history directory.
DIR_ENV = "MOCKPOOL_DIR"
#: The environment variable that turns history off when ``0`` (or ``false``,
#: ``no``, ``off``).
HISTORY_ENV = "MOCKPOOL_HISTORY"
#: The merged history's file name.
HISTORY_FILE = "history.json"
#: The lock file's name (``flock``); without :mod:`fcntl`, the fallback lock
#: is this name plus ``.excl`` (see :mod:`mockpool._base.filelock`).
LOCK_FILE = "history.lock"

_DEFAULT_LOCK_TIMEOUT = 10.0
_OFF_VALUES = frozenset({"0", "false", "no", "off"})
_PROCESS_FILE = re.compile(
    r"history-(?P<run>[A-Za-z0-9._]+)-(?P<worker>[A-Za-z0-9._-]+)\.json"
)
# A run id holds no "-" (see mockpool._base.process): the first "-" after
# "history-" ends it, and the worker id, which may hold "-", follows.


# -- per-process state --------------------------------------------------------

_state_lock = threading.Lock()
# Held while a store writes this process's file, so that two threads'
# snapshots cannot land in the wrong order.
_flush_lock = threading.Lock()
_enabled = True
# Paths already warned about, and directories found unwritable, this process.
_warned: set[str] = set()
_disabled: set[str] = set()


def _after_fork_in_child() -> None:
    # The child inherits its parent's counts (which the parent writes
    # itself) and maybe locks held by threads that do not exist in it. It
    # keeps the switch (and, in mockpool._base.process, the run id).
    global _state_lock, _flush_lock, _warned, _disabled, _costs
    _state_lock = threading.Lock()
    _flush_lock = threading.Lock()
    _warned = set()
    _disabled = set()
    if _costs is not None:
        _costs = _costs._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def set_history_enabled(enabled: bool) -> None:
    """Turn usage history on or off for this process.

    History is on only while this switch is on and ``MOCKPOOL_HISTORY`` is
    not ``0`` (``false``, ``no``, ``off``): either can turn it off.

    Raises:
        ArgumentTypeError: *enabled* is not a bool.
    """
    global _enabled
    _enabled = checks.flag(enabled, "enabled")


def history_enabled() -> bool:
    """Whether usage history is on (see :func:`set_history_enabled`)."""
    if not _enabled:
        return False
    return os.environ.get(HISTORY_ENV, "").strip().lower() not in _OFF_VALUES


# -- the history of past runs -------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RunUsage:
    """The usage of every service in one past run, all processes merged."""

    #: The run's id.
    run_id: str
    #: When the run's first process began recording, in seconds since the
    #: epoch.
    started: float
    #: The usage of each service used in the run (read-only).
    services: Mapping[str, ServiceUsage]
    #: The workers whose files were merged into the run.
    workers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Copy, so that neither the caller nor a reader can change the run.
        object.__setattr__(
            self, "services", types.MappingProxyType(dict(self.services))
        )
        object.__setattr__(self, "workers", tuple(self.workers))


def _run_order(run: RunUsage) -> tuple[float, str]:
    return run.started, run.run_id


class History:
    """The usage of past runs, oldest first, and the costs they measured.

    Args:
        runs: The runs, in any order.
        costs: The remembered costs (see :class:`CostMemory`), by name with
            the interpreter first, as ``history.json`` holds them.
    """

    def __init__(
        self,
        runs: Iterable[RunUsage] = (),
        costs: Mapping[str, RememberedCost] | None = None,
    ) -> None:
        self._runs = tuple(sorted(runs, key=_run_order))
        self._costs = types.MappingProxyType(dict(costs or {}))

    def __repr__(self) -> str:
        return f"<History runs={len(self._runs)} services={len(self.services())}>"

    @property
    def runs(self) -> tuple[RunUsage, ...]:
        """The runs, oldest first."""
        return self._runs

    @property
    def costs(self) -> Mapping[str, RememberedCost]:
        """The remembered costs of every interpreter (read-only)."""
        return self._costs

    def services(self) -> list[str]:
        """Every service used in any of the runs, sorted."""
        return sorted({name for run in self._runs for name in run.services})

    def series(self, service: str, field: str = "acquired") -> list[float]:
        """One figure of *service* per run, oldest first.

        Args:
            service: The service's name.
            field: The :class:`ServiceUsage` field to follow.

        Returns:
            One value per run in :attr:`runs`; 0.0 for a run that did not use
            *service*.

        Raises:
            InvalidArgumentError: *field* is not a :class:`ServiceUsage`
                field.
        """
        checks.text(service, "service", allow_empty=False)
        if field not in SERIES_FIELDS:
            known = ", ".join(sorted(SERIES_FIELDS))
            raise InvalidArgumentError(
                f"field must be a ServiceUsage field ({known}), not {field!r}"
            )
        empty = ServiceUsage()
        return [
            float(getattr(run.services.get(service, empty), field))
            for run in self._runs
        ]


# -- measured costs, kept between runs ----------------------------------------

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
#: A cost not measured for this long leaves ``history.json`` (a spec renamed
#: or removed, an interpreter no longer used). Longer than any refresh
#: limit: a cost still used is measured again long before.
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
# No measured build takes a minute: a file claiming so is corrupt or foreign.
_MAX_SAMPLE_SECONDS = 60.0
_MAX_SAMPLE_WIDTH = 2
_DAY = 86400.0


@dataclasses.dataclass(frozen=True)
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


class CostMemory:
    """Costs measured off the tests' clock, kept between runs.

    The run report measures what the stdlib (and mockpool) spend building a
    spec's mock once per spec; that is what makes its "time saved against
    unittest.mock" exact, and what a big spec makes costly (one build of a
    large class can take most of a second). This memory lets only a
    suite's first run pay: the report asks :meth:`recall` before measuring
    and tells :meth:`remember` what it measured; a :class:`HistoryStore`'s
    :meth:`~HistoryStore.load` fills it with what ``history.json`` holds
    for :data:`INTERPRETER`, and its :meth:`~HistoryStore.flush` writes
    what this process measured.

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
            InvalidArgumentError: *sample* is not one or two finite numbers
                of seconds, each 0 or more and under a minute.
        """
        checks.text(name, "name", allow_empty=False)
        checks.text(stamp, "stamp", allow_empty=False)
        measured = tuple(float(value) for value in sample)
        if not _valid_sample(measured):
            raise InvalidArgumentError(
                f"sample must be 1 or 2 finite seconds in [0, "
                f"{_MAX_SAMPLE_SECONDS:g}), not {sample!r:.60}"
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

    def _learn(self, costs: Mapping[str, RememberedCost]) -> None:
        """Take what history holds (full names, interpreter first) for this
        interpreter; what this process measured stays on top."""
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

    def _json_state(self) -> tuple[dict[str, dict[str, object]], int]:
        """What this process measured, as the per-process file holds it."""
        with self._lock:
            return {
                f"{INTERPRETER} {name}": _cost_json(stamp, samples, when)
                for name, (stamp, samples, when) in sorted(self._new.items())
            }, self._changes

    def _forked(self) -> CostMemory:
        """A forked child's memory: what history holds, nothing to write
        (the parent writes what it measured)."""
        child = CostMemory()
        child._known = dict(self._known)
        return child


_costs: CostMemory | None = None


def process_costs() -> CostMemory:
    """The cost memory of this process, created on first use.

    A forked child starts with the parent's remembered costs and nothing
    of its own to write.
    """
    global _costs
    memory = _costs
    if memory is None:
        with _state_lock:
            memory = _costs
            if memory is None:
                memory = _costs = CostMemory()
    return memory


def _valid_sample(sample: tuple[float, ...]) -> bool:
    return 1 <= len(sample) <= _MAX_SAMPLE_WIDTH and all(
        0.0 <= value < _MAX_SAMPLE_SECONDS for value in sample
    )


def _cost_json(
    stamp: str, samples: Iterable[tuple[float, ...]], measured: float
) -> dict[str, object]:
    return {
        "stamp": stamp,
        "samples": [list(sample) for sample in samples],
        "measured": measured,
    }


def _merged_cost(
    earlier: RememberedCost | None, later: RememberedCost
) -> RememberedCost:
    """*later*'s samples added to *earlier*'s, when taken under one stamp;
    else the newer of the two."""
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


def _with_runs_since(
    costs: Mapping[str, RememberedCost], runs: Iterable[RunUsage]
) -> dict[str, RememberedCost]:
    """*costs*, each with the number of other *runs* begun after it was
    measured (its own run may have begun recording after measuring)."""
    runs = list(runs)
    started = sorted(run.started for run in runs)
    began: dict[str, float] = {run.run_id: run.started for run in runs}
    counted: dict[str, RememberedCost] = {}
    for name, cost in costs.items():
        later = len(started) - _bisect_right(started, cost.measured)
        own = began.get(cost.run_id)
        if own is not None and own > cost.measured:
            later -= 1
        counted[name] = dataclasses.replace(cost, runs_since=later)
    return counted


# -- the store ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _ProcessFile:
    """One per-process file, read."""

    path: str
    run_id: str
    worker: str
    host: str
    pid: int
    process_started: float | None
    started: float
    services: dict[str, ServiceUsage]
    costs: dict[str, RememberedCost] = dataclasses.field(default_factory=dict)


class HistoryStore:
    """Usage history kept in a directory.

    Args:
        directory: Where the files go. By default ``MOCKPOOL_DIR``, else
            ``.mockpool`` in the current working directory; made absolute
            now, so a later :func:`os.chdir` does not move it.
        max_runs: How many runs ``history.json`` keeps.
        enabled: False turns this store off (as :func:`set_history_enabled`
            does for every store).
        recorder: What :meth:`flush` writes; by default
            :func:`process_recorder` at the time of the flush.
        costs: The cost memory :meth:`load` fills and :meth:`flush` writes;
            by default :func:`process_costs` at the time of the call.
        run_id: The current run's id; by default
            :func:`~mockpool._base.process.current_run_id` at
            the time of each call.
        lock_timeout: Seconds :meth:`load` waits for another process's merge
            before giving up merging this time (with a warning).

    Raises:
        ArgumentTypeError: An argument is of the wrong type.
        InvalidArgumentError: *max_runs* is below 1, *lock_timeout* is
            negative or not finite, or *run_id* is empty.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        max_runs: int = DEFAULT_MAX_RUNS,
        enabled: bool = True,
        recorder: UsageRecorder | None = None,
        run_id: str | None = None,
        lock_timeout: float = _DEFAULT_LOCK_TIMEOUT,
        costs: CostMemory | None = None,
    ) -> None:
        if directory is None:
            directory = os.environ.get(DIR_ENV) or DEFAULT_DIRECTORY
        elif not isinstance(directory, (str, os.PathLike)):
            raise ArgumentTypeError(
                f"directory must be a str or os.PathLike, not {directory!r}"
            )
        checks.count(max_runs, "max_runs", minimum=1)
        checks.flag(enabled, "enabled")
        if recorder is not None and not isinstance(recorder, UsageRecorder):
            raise ArgumentTypeError(
                f"recorder must be a UsageRecorder or None, not {recorder!r}"
            )
        if costs is not None and not isinstance(costs, CostMemory):
            raise ArgumentTypeError(
                f"costs must be a CostMemory or None, not {costs!r}"
            )
        if run_id is not None:
            checks.text(run_id, "run_id", allow_empty=False)
            run_id = _process.sanitise_run_id(run_id)
        checks.number(lock_timeout, "lock_timeout", minimum=0)
        self._directory = os.path.abspath(os.fspath(directory))
        self._max_runs = max_runs
        self._enabled = enabled
        self._recorder = recorder
        self._costs = costs
        self._run_id = run_id
        self._lock_timeout = float(lock_timeout)
        # (recorder, changes, cost memory, changes, path) of the last file
        # written: unchanged, they are not written again.
        self._written: tuple[UsageRecorder, int, CostMemory, int, str] | None = None

    def __repr__(self) -> str:
        return f"<HistoryStore {self._directory!r} max_runs={self._max_runs}>"

    @property
    def directory(self) -> str:
        """The absolute path of the history directory."""
        return self._directory

    @property
    def max_runs(self) -> int:
        """How many runs ``history.json`` keeps."""
        return self._max_runs

    @property
    def history_path(self) -> str:
        """The path of ``history.json``."""
        return os.path.join(self._directory, HISTORY_FILE)

    @property
    def lock_path(self) -> str:
        """The path of the lock file (see the module's documentation)."""
        return _filelock.FileLock(os.path.join(self._directory, LOCK_FILE)).path

    @property
    def enabled(self) -> bool:
        """Whether this store reads and writes: its own switch, the
        process's switch and ``MOCKPOOL_HISTORY`` all on."""
        return self._enabled and history_enabled()

    @property
    def run_id(self) -> str:
        """The current run's id."""
        if self._run_id is not None:
            return self._run_id
        return _process.current_run_id()

    def process_path(self) -> str:
        """The path of this process's file for the current run."""
        # process_worker, not worker_id: a forked child's name must differ
        # from its parent's, exactly as its report file's does.
        worker = _process.process_worker()
        return os.path.join(self._directory, f"history-{self.run_id}-{worker}.json")

    # -- writing ------------------------------------------------------------

    def flush(self) -> str | None:
        """Write this process's usage for the current run, atomically.

        The costs this process measured (:class:`CostMemory`) go in the same
        file. Cheap enough for the end of every test: nothing is written when
        nothing was recorded, or nothing changed since the last flush.

        Returns:
            The path of the file, or None when history is off, nothing was
            recorded, or the file could not be written (then with one
            :class:`~mockpool.HistoryWarning`, and history stays off in
            this process for the directory).
        """
        problems: list[tuple[str, str]] = []
        try:
            return self._flush(problems)
        finally:
            _warn(problems)

    def _flush(self, problems: list[tuple[str, str]]) -> str | None:
        if not self.enabled or self._directory in _disabled:
            return None
        recorder = self._recorder or process_recorder()
        memory = self._costs or process_costs()
        path = self.process_path()
        with _flush_lock:
            # Compare the change counts before taking a snapshot, which costs
            # microseconds per service: most tests' ends change nothing.
            state = (recorder, recorder._changes, memory, memory._changes, path)
            if self._written == state:
                return path
            usage, changes = recorder._json_state()
            costs, cost_changes = memory._json_state()
            if not usage and not costs:
                return None
            host, pid, process_started = _process.identity()
            document = {
                "format": FORMAT,
                "run_id": self.run_id,
                "worker": _process.process_worker(),
                "host": host,
                "pid": pid,
                "process_started": process_started,
                "started": recorder.started,
                "written": _wall_clock(),
                "services": usage,
            }
            if costs:
                document["costs"] = costs
            text = _dumps(document, separators=(",", ":"))
            try:
                try:
                    # No fsync: the rename alone survives a killed worker;
                    # fsync would cost every test milliseconds on a real
                    # disk to guard against power loss only.
                    write_atomic(path, text, durable=False)
                except FileNotFoundError:
                    # Only the first flush (or one after the directory was
                    # removed) pays for makedirs.
                    os.makedirs(self._directory, exist_ok=True)
                    write_atomic(path, text, durable=False)
            except OSError as exc:
                problems.append(
                    (
                        self._directory,
                        f"cannot write usage history ({_os_error_text(exc)}); history "
                        f"is off for this process (set {DIR_ENV} to a writable "
                        f"directory, or {HISTORY_ENV}=0)",
                    )
                )
                _disabled.add(self._directory)
                return None
            self._written = (recorder, changes, memory, cost_changes, path)
            return path

    # -- reading and merging ------------------------------------------------

    def load(self) -> History:
        """Merge finished runs into ``history.json`` and return its runs.

        The per-process files of run ids other than :attr:`run_id` are
        merged, under the lock, and deleted; those of the current run are
        left alone. The remembered costs go into the store's
        :class:`CostMemory`. Problems give one
        :class:`~mockpool.HistoryWarning` per path and process, never an
        exception.

        Returns:
            The last :attr:`max_runs` runs, oldest first, with the
            remembered costs (:attr:`History.costs`); empty when history is
            off.
        """
        problems: list[tuple[str, str]] = []
        try:
            runs, costs = self._load(problems)
        finally:
            _warn(problems)
        # Trimmed here too: a store with a larger max_runs may have written
        # the file, and a load that merges nothing does not rewrite it.
        kept = sorted(runs, key=_run_order)[-self._max_runs :]
        costs = _with_runs_since(costs, kept)
        if self.enabled:
            (self._costs or process_costs())._learn(costs)
        return History(kept, costs)

    def _load(
        self, problems: list[tuple[str, str]]
    ) -> tuple[list[RunUsage], dict[str, RememberedCost]]:
        if not self.enabled:
            return [], {}
        if self._directory in _disabled:
            # Read what is there, merge nothing.
            if not os.path.isdir(self._directory):
                return [], {}
            runs, costs, _ = self._read_history(problems)
            return runs, costs
        try:
            os.makedirs(self._directory, exist_ok=True)
        except OSError as exc:
            problems.append(
                (
                    self._directory,
                    f"cannot create the history directory ({_os_error_text(exc)}); "
                    f"history is off for this process (set {DIR_ENV} to a "
                    f"writable directory, or {HISTORY_ENV}=0)",
                )
            )
            _disabled.add(self._directory)
            return [], {}
        with self._exclusive(problems) as locked:
            runs, costs, corrupt = self._read_history(problems)
            if not locked:
                return runs, costs
            return self._merge(runs, costs, corrupt, problems)

    def _merge(
        self,
        runs: list[RunUsage],
        costs: dict[str, RememberedCost],
        rewrite: bool,
        problems: list[tuple[str, str]],
    ) -> tuple[list[RunUsage], dict[str, RememberedCost]]:
        """Merge finished per-process files into *runs* and *costs*; called
        locked."""
        finished, garbage = self._finished_files(problems)
        if not finished and not garbage and not rewrite:
            return runs, costs
        by_id = {run.run_id: run for run in runs}
        merged_costs = dict(costs)
        merged_files: list[str] = []
        for part in finished:
            merged_files.append(part.path)
            run = by_id.get(part.run_id)
            if run is not None and part.worker in run.workers:
                # Merged before, by a load killed before it deleted the file.
                continue
            for name, cost in part.costs.items():
                cost = dataclasses.replace(cost, run_id=part.run_id)
                merged_costs[name] = _merged_cost(merged_costs.get(name), cost)
            if run is None:
                by_id[part.run_id] = RunUsage(
                    part.run_id, part.started, part.services, (part.worker,)
                )
                continue
            services = dict(run.services)
            for name, usage in part.services.items():
                earlier = services.get(name)
                services[name] = usage if earlier is None else earlier.combined(usage)
            by_id[part.run_id] = RunUsage(
                run.run_id,
                min(run.started, part.started),
                services,
                (*run.workers, part.worker),
            )
        kept = sorted(by_id.values(), key=_run_order)[-self._max_runs :]
        forget_before = _wall_clock() - COST_FORGET_DAYS * _DAY
        merged_costs = {
            name: cost
            for name, cost in merged_costs.items()
            if cost.measured >= forget_before
        }
        try:
            write_atomic(
                self.history_path, _history_text(kept, merged_costs), durable=False
            )
        except OSError as exc:
            problems.append(
                (
                    self.history_path,
                    f"cannot write merged usage history ({_os_error_text(exc)}); the "
                    "per-process files are kept for a later run",
                )
            )
            return runs, costs
        # Only now, with the merge on disk: deleting first could lose it all.
        for path in (*merged_files, *garbage):
            with contextlib.suppress(OSError):
                os.unlink(path)
        return kept, merged_costs

    def _read_history(
        self, problems: list[tuple[str, str]]
    ) -> tuple[list[RunUsage], dict[str, RememberedCost], bool]:
        """The runs and costs in ``history.json``, and whether it must be
        rewritten."""
        path = self.history_path
        try:
            top = read_json_file(path, _CorruptError, "history", FORMAT)
            runs = _parse_history(top)
        except FileNotFoundError:
            return [], {}, False
        except OSError as exc:
            problems.append(
                (
                    path,
                    f"cannot read usage history ({_os_error_text(exc)}); "
                    "starting afresh",
                )
            )
            return [], {}, True
        except _CorruptError as exc:
            problems.append((path, f"corrupt usage history ({exc}); starting afresh"))
            return [], {}, True
        try:
            return runs, _parse_costs(top), False
        except _CorruptError as exc:
            # The runs are sound: only the costs are measured afresh.
            problems.append(
                (path, f"corrupt remembered costs ({exc}); measuring afresh")
            )
            return runs, {}, True

    def _finished_files(
        self, problems: list[tuple[str, str]]
    ) -> tuple[list[_ProcessFile], list[str]]:
        """Other runs' files whose writers are gone, and corrupt ones."""
        current = self.run_id
        try:
            names = sorted(os.listdir(self._directory))
        except OSError as exc:
            problems.append(
                (
                    self._directory,
                    f"cannot list the history directory ({_os_error_text(exc)}); "
                    "nothing merged",
                )
            )
            return [], []
        finished: list[_ProcessFile] = []
        garbage: list[str] = []
        for name in names:
            match = _PROCESS_FILE.fullmatch(name)
            if match is None or match["run"] == current:
                continue
            path = os.path.join(self._directory, name)
            try:
                part = _read_process_file(path, match["run"], match["worker"])
            except FileNotFoundError:
                continue
            except OSError as exc:
                # Perhaps passing (a permission being fixed): keep the file.
                problems.append(
                    (path, f"cannot read usage file ({_os_error_text(exc)}); skipped")
                )
                continue
            except _CorruptError as exc:
                # Written atomically, so it will never become valid: remove it
                # rather than warn about it in every run.
                problems.append(
                    (path, f"corrupt usage file ({exc}); skipped and removed")
                )
                garbage.append(path)
                continue
            if not _writer_alive(part):
                finished.append(part)
        return finished, garbage

    # -- the lock -----------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self, problems: list[tuple[str, str]]) -> Iterator[bool]:
        """Hold the directory's lock; yield False if it could not be had."""
        lock = _filelock.FileLock(os.path.join(self._directory, LOCK_FILE))
        locked = False
        try:
            lock.acquire(self._lock_timeout)
            locked = True
        except _filelock.LockFileError as exc:
            self._unwritable(exc.path, exc.cause, problems)
        except _filelock.LockTimeout:
            problems.append(
                (
                    lock.path,
                    f"another process held the lock for over "
                    f"{self._lock_timeout:g}s; runs not merged this time (delete "
                    "the lock file if no mockpool process is running)",
                )
            )
        except OSError as exc:
            problems.append(
                (lock.path, f"cannot lock ({_os_error_text(exc)}); runs not merged")
            )
        try:
            yield locked
        finally:
            if locked:
                lock.release()

    def _unwritable(
        self, path: str, exc: OSError, problems: list[tuple[str, str]]
    ) -> None:
        problems.append(
            (
                self._directory,
                f"history directory not writable: cannot open {path!r} "
                f"({_os_error_text(exc)}); history is read-only and not recorded for "
                f"this process (set {DIR_ENV} to a writable directory, or "
                f"{HISTORY_ENV}=0)",
            )
        )
        _disabled.add(self._directory)


# -- helpers ------------------------------------------------------------------


def _warn(problems: list[tuple[str, str]]) -> None:
    """Warn about each problem whose path was not warned about before."""
    for path, problem in problems:
        with _state_lock:
            if path in _warned:
                continue
            _warned.add(path)
        # Level 3: the caller of the public load() or flush().
        warnings.warn(
            HistoryWarning(f"mockpool history {path!r}: {problem}"), stacklevel=3
        )


def _os_error_text(exc: OSError) -> str:
    """Return ``"FileNotFoundError: No such file or directory"`` for *exc*."""
    return f"{type(exc).__name__}: {exc.strerror or exc}"


def _writer_alive(part: _ProcessFile) -> bool:
    """Whether the process that wrote *part* may still write it again."""
    host, pid, _ = _process.identity()
    if part.host != host or part.pid == pid:
        # Another host's processes cannot be seen; this process is loading,
        # not writing, that run.
        return False
    # When it cannot be told, alive: the file is kept for a later load
    # rather than risked.
    return _process.is_running(part.pid, part.process_started)


def _history_text(runs: list[RunUsage], costs: Mapping[str, RememberedCost]) -> str:
    document: dict[str, object] = {
        "format": FORMAT,
        "written": _wall_clock(),
        "runs": [
            {
                "run_id": run.run_id,
                "started": run.started,
                "workers": list(run.workers),
                "services": {
                    name: usage.to_dict()
                    for name, usage in sorted(run.services.items())
                },
            }
            for run in runs
        ],
    }
    if costs:
        document["costs"] = {
            name: {
                **_cost_json(cost.stamp, cost.samples, cost.measured),
                "run_id": cost.run_id,
            }
            for name, cost in sorted(costs.items())
        }
    # Indented: written once per run, and the file people open to look.
    return _dumps(document, indent=1) + "\n"


def _services(top: FieldReader) -> dict[str, ServiceUsage]:
    services: dict[str, ServiceUsage] = {}
    for name, value in top.get("services", dict).items():
        try:
            services[name] = ServiceUsage.from_dict(value)
        except ValueError as exc:
            raise _CorruptError(f"{top.where} 'services'[{name!r}]: {exc}") from None
    return services


def _parse_history(top: FieldReader) -> list[RunUsage]:
    runs: list[RunUsage] = []
    for index, item in enumerate(top.get("runs", list)):
        run = _reader(item, f"run {index}")
        workers = run.get("workers", list)
        if not all(isinstance(worker, str) for worker in workers):
            raise _CorruptError(f"run {index} 'workers' must hold strings only")
        runs.append(
            RunUsage(
                run_id=run.string("run_id"),
                started=run.seconds("started"),
                services=_services(run),
                workers=tuple(workers),
            )
        )
    return runs


def _read_process_file(path: str, run_id: str, worker: str) -> _ProcessFile:
    # The file name is the authority on run and worker: it is what decides
    # whether a file belongs to the current run.
    top = read_json_file(path, _CorruptError, "usage file", FORMAT)
    process_started = top.get("process_started", object)
    if process_started is not None:
        process_started = top.seconds("process_started")
    return _ProcessFile(
        path=path,
        run_id=run_id,
        worker=worker,
        host=top.string("host"),
        pid=top.count("pid"),
        process_started=process_started,
        started=top.seconds("started"),
        services=_services(top),
        costs=_parse_costs(top),
    )


def _parse_costs(top: FieldReader) -> dict[str, RememberedCost]:
    """The ``"costs"`` of a history or per-process file (absent from files
    written before costs were kept: none)."""
    if "costs" not in top.data:
        return {}
    costs: dict[str, RememberedCost] = {}
    for name, value in top.get("costs", dict).items():
        entry = _reader(value, f"{top.where} 'costs'[{name!r}]")
        samples: list[tuple[float, ...]] = []
        for index, item in enumerate(entry.get("samples", list)):
            sample = tuple(item) if isinstance(item, list) else ()
            if not (
                all(type(value) in (int, float) for value in sample)
                and _valid_sample(sample)
            ):
                raise _CorruptError(
                    f"{entry.where} 'samples'[{index}] must be 1 or 2 seconds "
                    f"in [0, {_MAX_SAMPLE_SECONDS:g}), not {item!r:.60}"
                )
            samples.append(tuple(float(value) for value in sample))
        if not samples:
            raise _CorruptError(f"{entry.where} 'samples' is empty")
        costs[name] = RememberedCost(
            entry.string("stamp"),
            tuple(samples[-COST_SAMPLES:]),
            entry.seconds("measured"),
            # Absent from per-process files, whose name tells the run.
            run_id=entry.string("run_id") if "run_id" in entry.data else "",
        )
    return costs


def _reader(data: object, where: str) -> FieldReader:
    """A field reader raising :class:`_CorruptError`."""
    return FieldReader(data, where, _CorruptError)
