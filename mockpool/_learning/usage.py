"""What each service cost in this process: the usage recorder.

Per process, a :class:`UsageRecorder` (:func:`process_recorder`) counts for
each service -- a registered service's name or an autospecced class's
qualified name -- the acquisitions, builds, pool hits, build time, discards,
failures and the most mocks leased at once. Pools report to it as they
work; :mod:`mockpool._learning.history` keeps its counts run after run. A forked
child starts with an empty recorder.
"""

from __future__ import annotations

import os
import threading

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import getattr, hasattr, len, sorted

# Bound at import: the process recorder may be made during a test that
# patches time.time.
from time import time as _wall_clock

from mockpool._base import checks
from mockpool._base.counts import (
    FIELDS,
    AcquisitionCounts,
    CountFigures,
    as_dict,
    check_build_seconds,
)
from mockpool._base.json_fields import FieldReader
from mockpool._base.records import fill, frozen_record

__all__ = [
    "FILE_KEYS",
    "SERIES_FIELDS",
    "CorruptFileError",
    "ServiceUsage",
    "UsageRecorder",
    "process_recorder",
]


class CorruptFileError(ValueError):
    """A usage or history file's content is not what this version writes."""


# -- what is recorded ---------------------------------------------------------


@frozen_record
class ServiceUsage(CountFigures):
    """The usage of one service during one run (one process, or merged).

    A frozen view of an :class:`~mockpool._base.counts.AcquisitionCounts`,
    with its fields and figures (``hit_rate``, ``mean_build_seconds``...).
    """

    #: Mocks handed out: :attr:`hits` plus :attr:`builds`.
    acquired: int = 0
    #: Hand-outs served by a pooled mock, without a build.
    hits: int = 0
    #: Hand-outs served by building a mock.
    builds: int = 0
    #: Builds whose time was measured.
    timed_builds: int = 0
    #: The measured build time of those builds, in seconds, summed.
    build_seconds: float = 0.0
    #: Pooled mocks thrown away.
    discards: int = 0
    #: Builds or restores that failed.
    failures: int = 0
    #: The most mocks of the service leased at once (within one process).
    peak_leased: int = 0

    def __init__(
        self,
        acquired: int = 0,
        hits: int = 0,
        builds: int = 0,
        timed_builds: int = 0,
        build_seconds: float = 0.0,
        discards: int = 0,
        failures: int = 0,
        peak_leased: int = 0,
    ) -> None:
        fill(self, locals())

    @classmethod
    def of(cls, counts: AcquisitionCounts) -> ServiceUsage:
        """The frozen view of *counts*."""
        return cls(*[getattr(counts, name) for name in FIELDS])

    def combined(self, other: ServiceUsage) -> ServiceUsage:
        """The usage of two processes of one run together.

        Counts and build time add; :attr:`peak_leased` is the larger, since
        each process leases from pools of its own.
        """
        total = AcquisitionCounts.of(self)
        total.merge(AcquisitionCounts.of(other))
        return ServiceUsage.of(total)

    def to_dict(self) -> dict[str, int | float]:
        """The JSON-safe form: one key per field (see :data:`FILE_KEYS`)."""
        # Not dataclasses.asdict: it deep-copies each value, which made a
        # flush of 50 services cost two milliseconds.
        return as_dict(self, FILE_KEYS)

    @classmethod
    def from_dict(cls, data: object) -> ServiceUsage:
        """Read :meth:`to_dict`'s form; keys this version does not know are
        ignored.

        Raises:
            ValueError: A field is missing, or not a count (a float for
                ``build_seconds``) of at least zero; the message names it.
        """
        return cls.of(AcquisitionCounts.read(_reader(data, "service usage"), FILE_KEYS))


#: The key of each field in usage and history files: the names these files
#: were first written with, which differ from the fields' for two of them.
FILE_KEYS: dict[str, str] = {
    **{name: name for name in FIELDS},
    "acquired": "acquisitions",
    "peak_leased": "peak_concurrency",
}
#: The fields a history series can follow.
SERIES_FIELDS = frozenset(FIELDS)


class UsageRecorder:
    """Counts each service's usage in this process. Thread-safe.

    Use :func:`process_recorder` for the process's own; separate instances
    serve tests.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[str, AcquisitionCounts] = {}
        self._changes = 0
        #: When recording began, in seconds since the epoch: the run's
        #: timestamp is the earliest of its processes'.
        self.started = _wall_clock()

    def __repr__(self) -> str:
        with self._lock:
            count = len(self._services)
        return f"<UsageRecorder services={count}>"

    def _counts(self, service: str) -> AcquisitionCounts:
        # Called with self._lock held.
        counts = self._services.get(service)
        if counts is None:
            counts = self._services[service] = AcquisitionCounts()
        return counts

    def record_acquire(
        self,
        service: str,
        *,
        hit: bool,
        build_seconds: float | None,
        leased_now: int,
    ) -> None:
        """Count one mock of *service* handed out.

        Args:
            service: The service's name, or the autospecced class's
                qualified name.
            hit: True if a pooled mock was served, False if one was built.
            build_seconds: The measured build time when *hit* is False, or
                None if it was not measured; must be None when *hit* is True.
            leased_now: How many mocks of *service* are leased now, this one
                included; the largest seen is :attr:`ServiceUsage.peak_leased`.

        Raises:
            ArgumentTypeError: An argument is of the wrong type.
            InvalidArgumentError: *build_seconds* is negative, not finite or
                given for a hit; or *leased_now* is negative.
        """
        checks.text(service, "service", allow_empty=False)
        checks.flag(hit, "hit")
        check_build_seconds(build_seconds, hit, service)
        checks.count(leased_now, "leased_now")
        with self._lock:
            self._counts(service).record_acquire(hit, build_seconds, leased_now)
            self._changes += 1

    def record_discard(self, service: str, count: int = 1) -> None:
        """Count *count* pooled mocks of *service* thrown away.

        Raises:
            ArgumentTypeError: *service* is not a str or *count* not an int.
            InvalidArgumentError: *count* is negative.
        """
        checks.text(service, "service", allow_empty=False)
        checks.count(count, "count")
        if count:
            with self._lock:
                self._counts(service).record_discard(count)
                self._changes += 1

    def record_failure(self, service: str) -> None:
        """Count a failed build or restore of a mock of *service*.

        Raises:
            ArgumentTypeError: *service* is not a str.
        """
        checks.text(service, "service", allow_empty=False)
        with self._lock:
            self._counts(service).record_failure()
            self._changes += 1

    def snapshot(self) -> dict[str, ServiceUsage]:
        """The usage recorded so far, by service."""
        return self._state()[0]

    def _state(self) -> tuple[dict[str, ServiceUsage], int]:
        """The snapshot and the number of changes it includes, consistently."""
        with self._lock:
            usage = {
                name: ServiceUsage.of(counts) for name, counts in self._services.items()
            }
            return usage, self._changes

    def _json_state(self) -> tuple[dict[str, dict[str, int | float]], int]:
        """:meth:`_state` in :meth:`ServiceUsage.to_dict`'s form, sorted.

        What :meth:`HistoryStore.flush` writes, without building the frozen
        objects first: a flush at every test's end should cost little.
        """
        with self._lock:
            usage = {
                name: as_dict(self._services[name], FILE_KEYS)
                for name in sorted(self._services)
            }
            return usage, self._changes


_state_lock = threading.Lock()
_recorder: UsageRecorder | None = None


def process_recorder() -> UsageRecorder:
    """The recorder of this process, created on first use.

    A forked child starts with a new, empty recorder.
    """
    global _recorder
    recorder = _recorder
    if recorder is None:
        with _state_lock:
            recorder = _recorder
            if recorder is None:
                recorder = _recorder = UsageRecorder()
    return recorder


def _after_fork_in_child() -> None:
    # The child inherits its parent's counts (which the parent writes
    # itself) and maybe a lock held by a thread that does not exist in it.
    global _state_lock, _recorder
    _state_lock = threading.Lock()
    _recorder = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _reader(data: object, where: str) -> FieldReader:
    """A :class:`~mockpool._base.json_fields.FieldReader` raising
    :class:`CorruptFileError`."""
    return FieldReader(data, where, CorruptFileError)
