"""Pools of pristine service mocks, one per service.

A :class:`Pool` hands out mocks of one registered service and takes them
back when a session ends. A mock comes back into circulation only through
:class:`~mockpool._autospec.pristine.Baseline`: restored to exactly what a fresh
build is, with the registered defaults re-applied; otherwise it is thrown
away and the reason counted (contract 2).

Returned mocks are checked when they are *next needed*, not when their
session ends: at session end the finished test usually still holds them
(``self.redis = ...`` on a ``TestCase`` that unittest keeps until the test
is over), which would look like an escape. By the next acquisition the test
object is gone, and the check is as late as it can be.

Mocks handed out are tracked weakly: a :class:`Lease` (the mock plus the
baseline that proves it pristine) belongs to its holder while it is out, so
a holder dropped without giving it back loses its mocks to the garbage
collector, nothing else. A holder may also hold the lease weakly
(:meth:`Lease.hold_weakly`; the drop-in's test scopes do): then a mock the
test drops is freed as under the stdlib, with everything passed to it, and
:meth:`Pool.release` counts it as a discard (``"freed by the test"``)
instead of taking it back. Neither a lease nor its baseline keeps anything
a test put into the mock (see :mod:`mockpool._autospec.pristine`). An idle mock
carries what its last test left in it only until :meth:`Pool.settle` (the
drop-in calls it when the next test opens) or the check that recycles it.
"""

from __future__ import annotations

import os
import threading
import weakref

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import hasattr, id, isinstance, len, min  # noqa: UP029
from collections import Counter, deque
from time import perf_counter as _perf_counter
from typing import Any

from mockpool._autospec.pristine import Baseline, DiscardReason
from mockpool._autospec.variants import Variant, build_mock
from mockpool._base import checks, events
from mockpool._base.counts import AcquisitionCounts
from mockpool._base.fence import warn_failure
from mockpool._base.records import fill, frozen_record
from mockpool._pools import adapt as _adapt
from mockpool._pools import recovery as _recovery
from mockpool._services.definition import ServiceDefinition
from mockpool._services.registry import Registry
from mockpool.errors import ArgumentTypeError, InvalidArgumentError

__all__ = [
    "DEFAULT_MAX_SIZE",
    "DEFAULT_MIN_SIZE",
    "Lease",
    "Pool",
    "PoolManager",
    "PoolStats",
    "default_pools",
]

#: The seed's bounds: warm this many per service, keep at most that many.
DEFAULT_MIN_SIZE = 10
DEFAULT_MAX_SIZE = 25


@frozen_record
class PoolStats:
    """Counters of one pool."""

    #: The service the pool serves.
    service: str
    #: Mocks handed out.
    acquired: int
    #: Hand-outs served by a recycled or warmed mock instead of a build.
    hits: int
    #: Mocks built, for a hand-out or ahead of one (:meth:`Pool.warm`).
    builds: int
    #: Mocks thrown away, by reason.
    discards: dict[str, int]
    #: Mocks ready or waiting to be checked.
    idle: int
    #: Mocks currently handed out.
    leased: int
    #: The most mocks handed out at once.
    peak_leased: int

    def __init__(
        self,
        service: str,
        acquired: int,
        hits: int,
        builds: int,
        discards: dict[str, int],
        idle: int,
        leased: int,
        peak_leased: int,
    ) -> None:
        fill(self, locals())

    @property
    def hit_rate(self) -> float:
        """Hits per hand-out (0.0 before the first)."""
        return self.hits / self.acquired if self.acquired else 0.0


class Lease:
    """A pooled mock with the baseline that proves it pristine.

    The pool, and the holder of a lease while it is out, keep the mock only
    here, so that ``sys.getrefcount`` sees a known number of owners: one,
    this lease, whenever the pool calibrates or checks it (a lease the pool
    holds is always strong). Its baseline holds no reference to the mock.
    """

    __slots__ = (
        "_mock",
        "_weak",
        "baseline",
        "ready",
        "recovered",
        "recycled",
        "service",
    )

    def __init__(self, mock: Any, service: str) -> None:
        self._mock: Any = mock
        # Set while held weakly (then _mock is None).
        self._weak: weakref.ref[Any] | None = None
        #: The name of the service the mock stands for.
        self.service = service
        self.baseline = Baseline(mock)
        #: True once restored and configured: can be handed out as is.
        self.ready = False
        #: True if the last hand-out was served without a build.
        self.recycled = False
        #: The recovery stage that built the mock, if one did (never recycled).
        self.recovered: str | None = None

    @property
    def mock(self) -> Any:
        """The mock; ``None`` once a weakly held one has been freed."""
        weak = self._weak
        return self._mock if weak is None else weak()

    @mock.deleter
    def mock(self) -> None:
        # ``del lease.mock``: the lease lets go of its mock altogether.
        self._mock = self._weak = None

    def hold_weakly(self) -> None:
        """Keep the mock only through a weak reference from now on.

        The holder's references then decide how long the mock lives, as they
        would for a mock built by the stdlib.
        """
        built = self._mock
        if built is not None:
            self._weak = weakref.ref(built)
            self._mock = None

    def hold_strongly(self) -> Any:
        """Keep the mock strongly again; return it, or ``None`` if it was freed."""
        weak = self._weak
        if weak is not None:
            self._mock = weak()
            self._weak = None
        return self._mock


class Pool:
    """Pristine mocks of one registered service.

    Args:
        registry: The registry that defines the service.
        name: The service's name.
        min_size: How many mocks :meth:`warm` builds by default.
        max_size: How many idle mocks the pool keeps at most.
        variant: How mocks are built (see :class:`~mockpool.Variant`).
    """

    def __init__(
        self,
        registry: Registry,
        name: str,
        *,
        min_size: int = DEFAULT_MIN_SIZE,
        max_size: int = DEFAULT_MAX_SIZE,
        variant: Variant | str = Variant.LAZY,
    ) -> None:
        _check_bounds(min_size, max_size)
        if not isinstance(registry, Registry):
            raise ArgumentTypeError(
                f"registry must be a mockpool.Registry, not {registry!r}; pass the "
                "registry the service is registered in"
            )
        if not isinstance(name, str):
            raise ArgumentTypeError(
                f"service name must be a str, not {name!r}; pass the name the "
                "service is registered under"
            )
        registry.get(name)  # UnknownServiceError, naming close matches
        self.registry = registry
        self.name = name
        self.min_size = min_size
        self.max_size = max_size
        self.variant = Variant.coerce(variant)
        self._init_state()

    @property
    def adaptation(self) -> str:
        """The service's adaptation level (``"pinned"`` keeps it as is)."""
        level: str = self._definition().policy.adaptation
        return level

    def _init_state(self) -> None:
        #: Whether returned mocks may be recycled (the adapter may turn it
        #: off for a pool whose restores keep failing).
        self.recycle = True
        #: The recovery stages tried, oldest first (see mockpool._pools.recovery).
        self.recoveries: list[_recovery.RecoveryRecord] = []
        #: (class, shape) of the last good build: the recovery snapshot.
        self.last_good: tuple[type | None, tuple[Any, ...]] = (None, ())
        self._lock = threading.Lock()
        self._idle: deque[Lease] = deque()
        # id(mock) -> weak reference to it, for the mocks handed out.
        self._leases: dict[int, weakref.ref[Any]] = {}
        self._counts = AcquisitionCounts()
        # The discards by reason (self._counts has their total).
        self._discards: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"<Pool {self.name!r} idle={len(self._idle)} leased={len(self._leases)}>"

    # -- hand out -----------------------------------------------------------

    def acquire(self) -> Lease:
        """Hand out a pristine mock of the service, building one if needed.

        Returns:
            A :class:`Lease`; its ``mock`` is the mock. Give the lease back
            with :meth:`release`.
        """
        definition = self._definition()
        build_seconds: float | None = None
        while True:
            with self._lock:
                entry = self._idle.popleft() if self._idle else None
            if entry is None:
                started = _perf_counter()
                entry = self._timed_build(definition)
                build_seconds = _perf_counter() - started
                entry.recycled = False
                break
            if self._make_ready(entry, definition):
                entry.recycled = True
                break
        key = id(entry.mock)
        with self._lock:
            self._leases[key] = weakref.ref(entry.mock, self._forget(key))
            leased = len(self._leases)
            self._counts.record_acquire(entry.recycled, build_seconds, leased)
        entry.ready = False
        events.acquired.emit(self, entry.recycled, build_seconds, leased)
        try:
            _adapt.current_adapter().observe_acquire(self, leased)
        except Exception as exc:  # adaptation is bookkeeping: fenced
            warn_failure("adaptation", exc)
        return entry

    def _timed_build(self, definition: ServiceDefinition) -> Lease:
        started = _perf_counter()
        try:
            entry = self._build(definition)
        except Exception:
            self._failed()
            raise
        try:
            _adapt.current_adapter().observe_build(self, _perf_counter() - started)
        except Exception as exc:  # adaptation is bookkeeping: fenced
            warn_failure("adaptation", exc)
        return entry

    def _failed(self) -> None:
        """Building or configuring one of this pool's mocks raised."""
        with self._lock:
            self._counts.record_failure()
        events.build_failed.emit(self)
        try:
            _adapt.current_adapter().observe_error(self)
        except Exception as exc:  # adaptation is bookkeeping: fenced
            warn_failure("adaptation", exc)

    def _recovered(self, definition: ServiceDefinition, error: Exception) -> Lease:
        """A mock from the recovery stages, after the normal build raised."""
        self._failed()
        built, stage = _recovery.recover(self, definition, error)
        entry = Lease(built, self.name)
        entry.recovered = stage
        return entry

    def _definition(self) -> ServiceDefinition:
        """How this pool's mocks are built and configured."""
        return self.registry.get(self.name)

    def _forget(self, key: int) -> Any:
        def forget(_: object) -> None:
            # Without the lock: the collector may free a dropped mock in this
            # very thread while it holds the lock (any allocation can run
            # it), and the lock is not reentrant. A single dict.pop is atomic,
            # and no other mock can have this id until this one's memory is
            # released, after its callbacks ran.
            self._leases.pop(key, None)

        return forget

    def _make(self, definition: ServiceDefinition) -> Any:
        """A fresh mock of the service, not yet configured."""
        return build_mock(
            definition.resolve_spec(),
            self.variant,
            instance=definition.instance,
            spec_set=definition.spec_set,
        )

    def _build(self, definition: ServiceDefinition) -> Lease:
        try:
            entry = Lease(self._make(definition), self.name)
            shape = _recovery.shape(entry.mock)
            entry.baseline.calibrate(entry)
            definition.apply_defaults(entry.mock)
        except Exception as exc:
            entry = self._recovered(definition, exc)
        else:
            self.last_good = (entry.mock.__dict__.get("_spec_class"), shape)
        entry.ready = True
        return entry

    def _make_ready(self, entry: Lease, definition: ServiceDefinition) -> bool:
        """Restore a returned entry and apply defaults; False if discarded."""
        if entry.ready:
            return True
        reason = self._restore(entry)
        if reason is None:
            try:
                definition.apply_defaults(entry.mock)
            except Exception:
                reason = DiscardReason.DEFAULTS_FAILED
                self._failed()
        if reason is not None:
            self._discard(reason)
            return False
        entry.ready = True
        return True

    @staticmethod
    def _restore(entry: Lease) -> str | None:
        baseline = entry.baseline
        if baseline.escaped(entry):
            return DiscardReason.ESCAPED
        return baseline.restore(entry)

    def settle(self) -> None:
        """Restore every idle mock now, so none keeps what its test passed.

        Recycling checks a returned mock when it is next needed, because the
        test that returned it may still hold it while it ends. Once that test
        is over (the drop-in calls this when the next test opens), the check
        can run early: the calls, return values and arguments the last test
        left in idle mocks are dropped at once, as the stdlib would drop them
        with the mock. The work is the same a later acquire would do.
        """
        with self._lock:
            pending = [entry for entry in self._idle if not entry.ready]
            if not pending:
                return
            self._idle = deque(entry for entry in self._idle if entry.ready)
        definition = self._definition()
        kept = [entry for entry in pending if self._make_ready(entry, definition)]
        del pending
        with self._lock:
            self._idle.extend(kept)

    # -- take back ----------------------------------------------------------

    def release(self, holder: dict[Any, Lease], key: Any) -> None:
        """Take back ``holder.pop(key)``, a lease this pool handed out.

        The lease is moved, not passed, so that no caller's variable keeps
        the mock alive: the check counts references. It is checked when next
        needed. A weakly held lease whose mock was freed is only counted
        (``DiscardReason.FREED``).
        """
        if key not in holder:
            raise InvalidArgumentError(
                f"{key!r} is not a key of the holder given to release(); pass the "
                "dict that holds the Lease and the Lease's key"
            )
        with self._lock:
            entry = holder.pop(key)
            # Strong again: an idle lease must hold its mock, and the check
            # when it is next needed counts this one owner. A mock the test
            # dropped but the collector has not freed yet comes back too:
            # nothing but this lease can reach it any more.
            built = entry.hold_strongly()
            reference = None if built is None else self._leases.pop(id(built), None)
            if built is None:
                # The test let it go and the collector freed it (its entry in
                # _leases went with it); nothing to take back.
                reason: str | None = DiscardReason.FREED
            elif reference is None or reference() is not built:
                # Not handed out by this pool (or returned twice).
                reason = DiscardReason.STATE
            elif not self._definition().instance:
                reason = DiscardReason.CLASS_SPEC
            elif not self.recycle:
                reason = DiscardReason.RECYCLING_OFF
            elif entry.recovered is not None:
                reason = DiscardReason.RECOVERED
            elif not entry.baseline.recyclable:
                reason = DiscardReason.EAGER_CHILDREN
            elif len(self._idle) >= self.max_size:
                reason = DiscardReason.POOL_FULL
            else:
                reason = None
                self._idle.append(entry)
            del reference, entry, built
        if reason is not None:
            self._discard(reason)

    def _discard(self, reason: str) -> None:
        """Count a mock thrown away; called without the lock held."""
        with self._lock:
            self._discards[reason] += 1
            self._counts.record_discard()
        events.discarded.emit(self, reason)

    # -- sizing -------------------------------------------------------------

    def warm(self, count: int | None = None) -> int:
        """Build mocks until *count* (default ``min_size``) are idle.

        Returns:
            How many mocks were built.
        """
        target = self.min_size if count is None else checks.count(count, "count")
        target = min(target, self.max_size)
        definition = self._definition()
        built = 0
        while True:
            with self._lock:
                if len(self._idle) >= target:
                    return built
            entry = self._build(definition)
            built += 1
            with self._lock:
                self._counts.record_build()
                self._idle.append(entry)

    def trim(self) -> None:
        """Drop idle mocks beyond ``max_size`` (after it was lowered)."""
        with self._lock:
            while len(self._idle) > self.max_size:
                self._idle.pop()

    def clear(self) -> None:
        """Drop every idle mock (handed-out ones are unaffected)."""
        with self._lock:
            self._idle.clear()

    def stats(self) -> PoolStats:
        """A snapshot of the pool's counters."""
        with self._lock:
            counts = self._counts
            return PoolStats(
                service=self.name,
                acquired=counts.acquired,
                hits=counts.hits,
                builds=counts.builds,
                discards=dict(self._discards),
                idle=len(self._idle),
                leased=len(self._leases),
                peak_leased=counts.peak_leased,
            )


class PoolManager:
    """The pools of a process, one per (registry, service).

    Args:
        min_size: ``min_size`` of the pools it creates.
        max_size: ``max_size`` of the pools it creates.
    """

    def __init__(
        self, *, min_size: int = DEFAULT_MIN_SIZE, max_size: int = DEFAULT_MAX_SIZE
    ) -> None:
        _check_bounds(min_size, max_size)
        self.min_size = min_size
        self.max_size = max_size
        self._lock = threading.Lock()
        # Keyed by the registry object itself: registries compare by
        # identity, and a registry that is gone takes its pools with it.
        self._pools: weakref.WeakKeyDictionary[Registry, dict[str, Pool]] = (
            weakref.WeakKeyDictionary()
        )

    def pool_for(self, registry: Registry, name: str) -> Pool:
        """The pool of service *name* of *registry*, created on first use."""
        if not isinstance(registry, Registry):
            raise ArgumentTypeError(
                f"registry must be a mockpool.Registry, not {registry!r}; pass the "
                "registry the service is registered in"
            )
        with self._lock:
            pools = self._pools.setdefault(registry, {})
            pool = pools.get(name)
            if pool is None:
                registry.get(name)  # UnknownServiceError for a bad name
                pool = pools[name] = Pool(
                    registry, name, min_size=self.min_size, max_size=self.max_size
                )
            return pool

    def pools(self) -> list[Pool]:
        """Every pool created so far."""
        with self._lock:
            return [pool for pools in self._pools.values() for pool in pools.values()]

    def clear(self) -> None:
        """Forget every pool (and so every idle mock)."""
        with self._lock:
            self._pools = weakref.WeakKeyDictionary()


def _check_bounds(min_size: object, max_size: object) -> None:
    min_size = checks.count(min_size, "min_size")
    max_size = checks.count(max_size, "max_size")
    if min_size > max_size:
        raise InvalidArgumentError(
            f"min_size ({min_size!r}) exceeds max_size ({max_size!r}); lower min_size "
            "or raise max_size"
        )


#: The process's pools; sessions use them unless given others.
default_pools = PoolManager()


def _reinit_after_fork() -> None:
    # A forked child inherits locks possibly held by threads that do not
    # exist in it, and mocks that its parent's sessions may still hold.
    global default_pools
    default_pools = PoolManager(
        min_size=default_pools.min_size, max_size=default_pools.max_size
    )


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)
