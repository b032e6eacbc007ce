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
clock, so that only a suite's first run pays for measuring them: a
:class:`~mockpool._learning.costs.CostMemory`
(:func:`~mockpool._learning.costs.process_costs` by default) is filled by
:meth:`HistoryStore.load` and written by :meth:`HistoryStore.flush`. When a
remembered cost is used, merged or forgotten is the policy of
:mod:`mockpool._learning.costs`; this module only reads and writes it. A
corrupt ``"costs"`` in ``history.json`` gives a warning and fresh
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
import threading
import types
import warnings

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all, enumerate, getattr, hasattr, isinstance, len, min, sorted  # noqa: UP029
from collections.abc import Iterable, Iterator, Mapping

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
from mockpool._base.records import fill, frozen_record
from mockpool._learning.costs import (
    COST_SAMPLES,
    SAMPLE_RULE,
    CostMemory,
    RememberedCost,
    merged_cost,
    process_costs,
    valid_sample,
    with_runs_since,
    without_forgotten,
)
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
    "DEFAULT_DIRECTORY",
    "DEFAULT_MAX_RUNS",
    "DIR_ENV",
    "FORMAT",
    "HISTORY_ENV",
    "HISTORY_FILE",
    "History",
    "HistoryStore",
    "LOCK_FILE",
    "RunUsage",
    "history_enabled",
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
# A per-process file's name is "history-<run>-<worker>.json". A run id holds
# no "-" (see mockpool._base.process): the first "-" after "history-" ends it,
# and the worker id, which may hold "-", follows. (Read without a regular
# expression: compiling it cost as much as the rest of this module's import.)
_PROCESS_PREFIX = "history-"
_PROCESS_SUFFIX = ".json"
_RUN_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"
)
_WORKER_CHARACTERS = _RUN_CHARACTERS | {"-"}


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
    global _state_lock, _flush_lock, _warned, _disabled
    _state_lock = threading.Lock()
    _flush_lock = threading.Lock()
    _warned = set()
    _disabled = set()


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


@frozen_record
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

    def __init__(
        self,
        run_id: str,
        started: float,
        services: Mapping[str, ServiceUsage],
        workers: tuple[str, ...] = (),
    ) -> None:
        fill(self, locals())
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
        costs: The remembered costs
            (:class:`~mockpool._learning.costs.RememberedCost`), by name with
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


# -- the store ----------------------------------------------------------------


class _ProcessFile:
    """One per-process file, read (a plain class: nothing compares, copies
    or prints one)."""

    __slots__ = (
        "costs",
        "host",
        "path",
        "pid",
        "process_started",
        "run_id",
        "services",
        "started",
        "worker",
    )

    def __init__(
        self,
        *,
        path: str,
        run_id: str,
        worker: str,
        host: str,
        pid: int,
        process_started: float | None,
        started: float,
        services: dict[str, ServiceUsage],
        costs: dict[str, RememberedCost],
    ) -> None:
        self.path = path
        self.run_id = run_id
        self.worker = worker
        self.host = host
        self.pid = pid
        self.process_started = process_started
        self.started = started
        self.services = services
        self.costs = costs


def _process_file_name(name: str) -> tuple[str, str] | None:
    """The run id and worker a per-process file's *name* holds, or None if
    it is not one."""
    if not (name.startswith(_PROCESS_PREFIX) and name.endswith(_PROCESS_SUFFIX)):
        return None
    middle = name[len(_PROCESS_PREFIX) : -len(_PROCESS_SUFFIX)]
    run_id, _, worker = middle.partition("-")
    if (
        run_id
        and worker
        and _RUN_CHARACTERS.issuperset(run_id)
        and _WORKER_CHARACTERS.issuperset(worker)
    ):
        return run_id, worker
    return None


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
        costs: The :class:`~mockpool._learning.costs.CostMemory`
            :meth:`load` fills and :meth:`flush` writes; by default
            :func:`~mockpool._learning.costs.process_costs` at the time of
            the call.
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

        The costs this process measured (its
        :class:`~mockpool._learning.costs.CostMemory`) go in the same
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
            costs, cost_changes = memory._to_write()
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
                document["costs"] = {
                    name: _cost_json(cost) for name, cost in costs.items()
                }
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
        :class:`~mockpool._learning.costs.CostMemory`. Problems give one
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
        costs = with_runs_since(costs, {run.run_id: run.started for run in kept})
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
                merged_costs[name] = merged_cost(merged_costs.get(name), cost)
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
        merged_costs = without_forgotten(merged_costs, _wall_clock())
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
            parsed = _process_file_name(name)
            if parsed is None or parsed[0] == current:
                continue
            path = os.path.join(self._directory, name)
            try:
                part = _read_process_file(path, *parsed)
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
            name: {**_cost_json(cost), "run_id": cost.run_id}
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


def _cost_json(cost: RememberedCost) -> dict[str, object]:
    """A cost as the files hold it (``history.json`` adds its run id)."""
    return {
        "stamp": cost.stamp,
        "samples": [list(sample) for sample in cost.samples],
        "measured": cost.measured,
    }


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
                and valid_sample(sample)
            ):
                raise _CorruptError(
                    f"{entry.where} 'samples'[{index}] must be {SAMPLE_RULE}, "
                    f"not {item!r:.60}"
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
