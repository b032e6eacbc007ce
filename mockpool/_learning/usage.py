"""What each service cost in this process: the usage recorder.

Per process, a :class:`UsageRecorder` (:func:`process_recorder`) counts for
each service -- a registered service's name or an autospecced class's
qualified name -- the acquisitions, builds, pool hits, build time, discards,
failures and the most mocks leased at once. Pools report to it as they
work; :mod:`mockpool._learning.history` keeps its counts run after run. A forked
child starts with an empty recorder.
"""

from __future__ import annotations

import dataclasses
import os
import threading

# Bound at import: the process recorder may be made during a test that
# patches time.time.
from time import time as _wall_clock

from mockpool._base import checks
from mockpool._base.json_fields import FieldReader
from mockpool.errors import InvalidArgumentError

__all__ = [
    "SERIES_FIELDS",
    "CorruptFileError",
    "ServiceUsage",
    "UsageRecorder",
    "process_recorder",
]


class CorruptFileError(ValueError):
    """A usage or history file's content is not what this version writes."""


# -- what is recorded ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ServiceUsage:
    """The usage of one service during one run (one process, or merged)."""

    #: Mocks handed out: :attr:`hits` plus :attr:`builds`.
    acquisitions: int = 0
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
    peak_concurrency: int = 0

    @property
    def mean_build_seconds(self) -> float | None:
        """The mean measured build time, or None if no build was measured."""
        return self.build_seconds / self.timed_builds if self.timed_builds else None

    @property
    def hit_rate(self) -> float:
        """Hits per acquisition (0.0 before the first)."""
        return self.hits / self.acquisitions if self.acquisitions else 0.0

    def combined(self, other: ServiceUsage) -> ServiceUsage:
        """The usage of two processes of one run together.

        Counts and build time add; :attr:`peak_concurrency` is the larger,
        since each process leases from pools of its own.
        """
        return ServiceUsage(
            acquisitions=self.acquisitions + other.acquisitions,
            hits=self.hits + other.hits,
            builds=self.builds + other.builds,
            timed_builds=self.timed_builds + other.timed_builds,
            build_seconds=self.build_seconds + other.build_seconds,
            discards=self.discards + other.discards,
            failures=self.failures + other.failures,
            peak_concurrency=max(self.peak_concurrency, other.peak_concurrency),
        )

    def to_dict(self) -> dict[str, int | float]:
        """The JSON-safe form: one key per field."""
        # Not dataclasses.asdict: it deep-copies each value, which made a
        # flush of 50 services cost two milliseconds.
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    @classmethod
    def from_dict(cls, data: object) -> ServiceUsage:
        """Read :meth:`to_dict`'s form; keys this version does not know are
        ignored.

        Raises:
            ValueError: A field is missing, or not a count (a float for
                ``build_seconds``) of at least zero; the message names it.
        """
        fields = _reader(data, "service usage")
        return cls(
            acquisitions=fields.count("acquisitions"),
            hits=fields.count("hits"),
            builds=fields.count("builds"),
            timed_builds=fields.count("timed_builds"),
            build_seconds=fields.seconds("build_seconds"),
            discards=fields.count("discards"),
            failures=fields.count("failures"),
            peak_concurrency=fields.count("peak_concurrency"),
        )


_FIELD_NAMES = tuple(field.name for field in dataclasses.fields(ServiceUsage))
#: The fields :meth:`mockpool._learning.history.History.series` can follow.
#: The fields a history series can follow.
SERIES_FIELDS = frozenset(_FIELD_NAMES)


class _Counts:
    """The mutable counters behind a :class:`ServiceUsage`."""

    __slots__ = (
        "acquisitions",
        "build_seconds",
        "builds",
        "discards",
        "failures",
        "hits",
        "peak_concurrency",
        "timed_builds",
    )

    def __init__(self) -> None:
        self.acquisitions = 0
        self.hits = 0
        self.builds = 0
        self.timed_builds = 0
        self.build_seconds = 0.0
        self.discards = 0
        self.failures = 0
        self.peak_concurrency = 0

    def as_dict(self) -> dict[str, int | float]:
        return {
            "acquisitions": self.acquisitions,
            "hits": self.hits,
            "builds": self.builds,
            "timed_builds": self.timed_builds,
            "build_seconds": self.build_seconds,
            "discards": self.discards,
            "failures": self.failures,
            "peak_concurrency": self.peak_concurrency,
        }

    def freeze(self) -> ServiceUsage:
        return ServiceUsage(
            acquisitions=self.acquisitions,
            hits=self.hits,
            builds=self.builds,
            timed_builds=self.timed_builds,
            build_seconds=self.build_seconds,
            discards=self.discards,
            failures=self.failures,
            peak_concurrency=self.peak_concurrency,
        )


class UsageRecorder:
    """Counts each service's usage in this process. Thread-safe.

    Use :func:`process_recorder` for the process's own; separate instances
    serve tests.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[str, _Counts] = {}
        self._changes = 0
        #: When recording began, in seconds since the epoch: the run's
        #: timestamp is the earliest of its processes'.
        self.started = _wall_clock()

    def __repr__(self) -> str:
        with self._lock:
            count = len(self._services)
        return f"<UsageRecorder services={count}>"

    def _counts(self, service: str) -> _Counts:
        # Called with self._lock held.
        counts = self._services.get(service)
        if counts is None:
            counts = self._services[service] = _Counts()
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
                included; the largest seen is :attr:`ServiceUsage.peak_concurrency`.

        Raises:
            ArgumentTypeError: An argument is of the wrong type.
            InvalidArgumentError: *build_seconds* is negative, not finite or
                given for a hit; or *leased_now* is negative.
        """
        checks.text(service, "service", allow_empty=False)
        checks.flag(hit, "hit")
        if build_seconds is not None:
            if hit:
                raise InvalidArgumentError(
                    f"a hit builds nothing; pass build_seconds=None for "
                    f"{service!r}, not {build_seconds!r}"
                )
            checks.number(build_seconds, "build_seconds", minimum=0)
        checks.count(leased_now, "leased_now")
        with self._lock:
            counts = self._counts(service)
            counts.acquisitions += 1
            if hit:
                counts.hits += 1
            else:
                counts.builds += 1
                if build_seconds is not None:
                    counts.timed_builds += 1
                    counts.build_seconds += build_seconds
            counts.peak_concurrency = max(counts.peak_concurrency, leased_now)
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
                self._counts(service).discards += count
                self._changes += 1

    def record_failure(self, service: str) -> None:
        """Count a failed build or restore of a mock of *service*.

        Raises:
            ArgumentTypeError: *service* is not a str.
        """
        checks.text(service, "service", allow_empty=False)
        with self._lock:
            self._counts(service).failures += 1
            self._changes += 1

    def snapshot(self) -> dict[str, ServiceUsage]:
        """The usage recorded so far, by service."""
        return self._state()[0]

    def _state(self) -> tuple[dict[str, ServiceUsage], int]:
        """The snapshot and the number of changes it includes, consistently."""
        with self._lock:
            usage = {name: counts.freeze() for name, counts in self._services.items()}
            return usage, self._changes

    def _json_state(self) -> tuple[dict[str, dict[str, int | float]], int]:
        """:meth:`_state` in :meth:`ServiceUsage.to_dict`'s form, sorted.

        What :meth:`HistoryStore.flush` writes, without building the frozen
        objects first: a flush at every test's end should cost little.
        """
        with self._lock:
            usage = {
                name: self._services[name].as_dict() for name in sorted(self._services)
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
