"""Dynamic adaptation: change how mocks are built and pooled from readings.

Four monitors watch what the pools see, with the seed's thresholds as
defaults (:class:`Thresholds`):

========================  ===========  ========================================
trigger                   default      action (once per pool)
========================  ===========  ========================================
build time of one mock    > 100 ms     build with the lazy autospec
                                       (``autospec`` -> ``lazy``); a pool that
                                       already is lazy keeps a warm stock
process memory growth     > 50 MiB     memory-efficient pooling: every pool
                                       keeps at most 2 idle mocks
error rate of a pool      > 5 %        stable configuration: recycling off,
                                       every mock is built fresh
concurrent leases         > 20         scale the pool: room for twice as many
                                       idle mocks (at most 200)
========================  ===========  ========================================

Every action changes *how* a mock is made or kept -- which of two variants
that enforce exactly the same spec, how many idle mocks are kept, whether a
returned mock is recycled -- never what it enforces (contract 4): no action
switches to a degraded variant. Each decision is recorded as a
:class:`Decision` (trigger, reading, threshold, action, service) and shown
in the run report.

Readings come from the pools as they work, so timing and memory depend on
the machine. For reproducible runs an adapter can be *pinned* to the
decisions of an earlier one (:meth:`Adapter.pinned_to`), and for tests it
can be *deterministic*: it then takes no reading of its own (no clock, no
memory reading) and acts only on readings given to its ``observe_*``
methods.

Memory is read while a test runs (every :data:`MEMORY_EVERY` acquisitions),
so it is read through nothing a test may patch: on Linux from
``/proc/self/statm`` with the ``open`` bound at import (a test's
``mock_open`` records no call of ours), elsewhere with psutil, imported when
the adapter is made -- which the drop-in does before the first test. A
reading that fails, or a psutil that cannot be imported, means "memory
unknown": the memory monitor skips that reading, and the test never sees
an error.

``MOCKPOOL_ADAPTATION`` (``off``, or a run report to pin to) is read when the
process's adapter is first needed, not at import, and kept until
:func:`reload_settings`. A bad value never fails the run: it is reported as
a :class:`~mockpool.MockPoolWarning` naming the variable, the value and the
fix, and adaptation stays on. :func:`adapter_from_setting`, asked in code,
raises instead.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import threading
import warnings
import weakref

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import any, getattr, hasattr, isinstance, map, max, min, open, repr  # noqa: UP029
from collections.abc import Iterable, Mapping

# The builtin open and os.getpid themselves, bound before any test can
# patch builtins.open or os.getpid.
from io import open as _open
from os import getpid as _getpid
from typing import Any, Callable

from mockpool._autospec.variants import Variant
from mockpool._base import checks, events
from mockpool._base.records import fill, frozen_record
from mockpool.errors import (
    ArgumentTypeError,
    InvalidArgumentError,
    MockPoolWarning,
)

__all__ = [
    "Adapter",
    "Decision",
    "Thresholds",
    "current_adapter",
    "resident_set_bytes",
    "set_adapter",
]

BUILD_TIME = "build time"
MEMORY = "memory"
ERROR_RATE = "error rate"
CONCURRENCY = "concurrency"
TRIGGERS = (BUILD_TIME, MEMORY, ERROR_RATE, CONCURRENCY)

#: Idle mocks a pool keeps under memory pressure.
LEAN_MAX_SIZE = 2
#: The most idle mocks a scaled pool keeps.
SCALED_MAX_SIZE = 200
#: Acquisitions a pool must have seen before its error rate means anything.
MIN_SAMPLES = 20
#: Acquisitions between two memory readings (a reading costs microseconds).
MEMORY_EVERY = 64


@frozen_record
class Thresholds:
    """When each monitor acts. The defaults are the seed's.

    Attributes:
        build_seconds: A single build slower than this switches the pool to
            the lazy autospec.
        memory_bytes: Process memory (RSS) growth since the adapter started
            beyond this makes every pool lean.
        error_rate: Failed restores and configurations per acquisition of a
            pool beyond this turn its recycling off (after
            :data:`MIN_SAMPLES` acquisitions).
        concurrency: More mocks of one pool leased at once than this scales
            the pool.

    Raises:
        ArgumentTypeError: A threshold is not a number (a bool neither).
        InvalidArgumentError: A threshold is negative, not finite, or (for
            ``error_rate``) above 1.
    """

    build_seconds: float = 0.100
    memory_bytes: int = 50 * 1024 * 1024
    error_rate: float = 0.05
    concurrency: int = 20

    def __init__(
        self,
        build_seconds: float = 0.100,
        memory_bytes: int = 50 * 1024 * 1024,
        error_rate: float = 0.05,
        concurrency: int = 20,
    ) -> None:
        fill(self, locals())
        checks.number(build_seconds, "Thresholds.build_seconds", minimum=0)
        checks.number(memory_bytes, "Thresholds.memory_bytes", minimum=0)
        checks.fraction(error_rate, "Thresholds.error_rate", hint="use 0.05 for 5 %")
        checks.number(concurrency, "Thresholds.concurrency", minimum=0)


@frozen_record
class Decision:
    """One adaptation: what was read, against what, and what was done."""

    #: Which monitor fired: ``"build time"``, ``"memory"``, ``"error rate"``
    #: or ``"concurrency"``.
    trigger: str
    #: The pool's service (or ``"*"`` for every pool).
    service: str
    #: The reading that crossed the threshold.
    reading: float
    #: The threshold it crossed.
    threshold: float
    #: What was changed, in words (``"variant autospec -> lazy"``).
    action: str

    def __init__(
        self, trigger: str, service: str, reading: float, threshold: float, action: str
    ) -> None:
        fill(self, locals())

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON-safe data."""
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """One line for the report."""
        return (
            f"{self.trigger} {self.reading:.4g} > {self.threshold:.4g}: "
            f"{self.service}: {self.action}"
        )


class _Seen:
    """What an adapter has seen of one pool."""

    __slots__ = ("acquired", "done", "errors")

    def __init__(self) -> None:
        self.acquired = 0
        self.errors = 0
        #: The triggers already acted on.
        self.done: set[str] = set()


class Adapter:
    """Watches pools and adapts them; one per process (:func:`current_adapter`).

    Args:
        thresholds: When to act; the seed's defaults if ``None``.
        deterministic: Take no reading of its own (no clock, no memory
            reading): act only on readings passed to the ``observe_*``
            methods. For tests.
        enabled: ``False`` observes nothing and never acts.
        memory: Reads the process's memory in bytes (default: its resident
            set size, see the module's notes). A reading that raises is
            skipped, as an unknown one.
    """

    def __init__(
        self,
        thresholds: Thresholds | None = None,
        *,
        deterministic: bool = False,
        enabled: bool = True,
        memory: Callable[[], int] | None = None,
    ) -> None:
        if thresholds is not None and not isinstance(thresholds, Thresholds):
            raise ArgumentTypeError(
                f"thresholds must be a mockpool Thresholds, not {thresholds!r}"
            )
        self.thresholds = Thresholds() if thresholds is None else thresholds
        self.deterministic = deterministic
        self.enabled = enabled
        # None: memory unknown (or never read), the monitor is skipped.
        self._memory: Callable[[], int] | None = memory
        if memory is None and enabled and not deterministic:
            # Resolved now, not at the first reading: that one comes during
            # a test, which may have hidden psutil or patched open.
            self._memory = _resident_set_reader()
        self._lock = threading.Lock()
        self._decisions: list[Decision] = []
        self._pinned: dict[tuple[str, str], Decision] | None = None
        # Every pool met, with what was seen of it; weakly, so an evicted
        # pool is not kept, and per pool object, so that a new pool (of the
        # same name, or at a reused address) starts afresh.
        self._seen: weakref.WeakKeyDictionary[Any, _Seen] = weakref.WeakKeyDictionary()
        self._since_memory = 0
        self._memory_start: int | None = None
        # Once memory crossed its threshold, pools met later are lean too.
        self._lean = False

    # -- reproduction -----------------------------------------------------

    @classmethod
    def pinned_to(cls, decisions: Iterable[Decision | Mapping[str, Any]]) -> Adapter:
        """An adapter that replays *decisions* and takes no reading.

        Each pool gets the actions recorded for its service (and those for
        every pool) when it is first seen, whatever it measures: a run
        adapts exactly as the one that recorded them did.
        """
        adapter = cls(deterministic=True)
        pinned: dict[tuple[str, str], Decision] = {}
        for item in decisions:
            decision = item if isinstance(item, Decision) else Decision(**item)
            if decision.trigger not in TRIGGERS:
                raise InvalidArgumentError(
                    f"unknown adaptation trigger {decision.trigger!r}; use one of "
                    f"{', '.join(map(repr, TRIGGERS))}"
                )
            pinned[(decision.trigger, decision.service)] = decision
        adapter._pinned = pinned
        return adapter

    @property
    def decisions(self) -> list[Decision]:
        """Every decision taken so far, in order."""
        with self._lock:
            return list(self._decisions)

    # -- readings -----------------------------------------------------------

    def observe_pool(self, pool: Any) -> None:
        """Meet *pool*; a pinned adapter applies its recorded actions now."""
        if not self.enabled or pool in self._seen:
            return
        with self._lock:
            self._seen.setdefault(pool, _Seen())
            lean = self._lean
        if lean:
            self._act(MEMORY, pool, 0.0, self.thresholds.memory_bytes, service="*")
        if self._pinned is not None:
            for (trigger, service), decision in self._pinned.items():
                if service in (pool.name, "*"):
                    self._act(
                        trigger,
                        pool,
                        decision.reading,
                        decision.threshold,
                        service=None if service != "*" else "*",
                    )

    def observe_build(self, pool: Any, seconds: float) -> None:
        """A mock of *pool* took *seconds* to build."""
        self.observe_pool(pool)
        limit = self.thresholds.build_seconds
        if self._live() and seconds > limit:
            self._act(BUILD_TIME, pool, seconds, limit)

    def observe_acquire(self, pool: Any, leased: int) -> None:
        """*pool* handed out a mock; *leased* of its mocks are now out."""
        self.observe_pool(pool)
        if not self._live():
            return
        with self._lock:
            self._seen[pool].acquired += 1
            self._since_memory += 1
            read_memory = (
                not self.deterministic
                and self._memory is not None
                and (self._since_memory >= MEMORY_EVERY or self._memory_start is None)
            )
            if read_memory:
                self._since_memory = 0
        limit = self.thresholds.concurrency
        if leased > limit:
            self._act(CONCURRENCY, pool, leased, limit)
        if read_memory:
            used = self._read_memory()
            if used is not None:
                self.observe_memory(used)

    def observe_error(self, pool: Any) -> None:
        """Restoring or configuring a mock of *pool* failed."""
        self.observe_pool(pool)
        if not self._live():
            return
        with self._lock:
            seen = self._seen[pool]
            seen.errors += 1
            errors, acquired = seen.errors, seen.acquired
        if acquired >= MIN_SAMPLES:
            rate = errors / acquired
            limit = self.thresholds.error_rate
            if rate > limit:
                self._act(ERROR_RATE, pool, rate, limit)

    def observe_memory(self, used: int) -> None:
        """The process uses *used* bytes; the first reading is the baseline."""
        if not self._live():
            return
        with self._lock:
            if self._memory_start is None:
                self._memory_start = used
                return
            growth = used - self._memory_start
            pools = list(self._seen.keys())
        limit = self.thresholds.memory_bytes
        if growth > limit:
            with self._lock:
                self._lean = True
            for pool in pools:
                self._act(MEMORY, pool, growth, limit, service="*")

    def _live(self) -> bool:
        return self.enabled and self._pinned is None

    def _read_memory(self) -> int | None:
        """The process's memory now; None if it cannot be read.

        Read during a test: whatever goes wrong is "unknown", never the
        test's error.
        """
        reader = self._memory
        if reader is None:
            return None
        try:
            return int(reader())
        except Exception:
            return None

    # -- actions ------------------------------------------------------------

    def _act(
        self,
        trigger: str,
        pool: Any,
        reading: float,
        threshold: float,
        *,
        service: str | None = None,
    ) -> None:
        if getattr(pool, "adaptation", "auto") == "pinned":
            return  # the service's policy keeps its registered way
        with self._lock:
            done = self._seen.setdefault(pool, _Seen()).done
            if trigger in done:
                return  # each trigger acts once per pool
            done.add(trigger)
        action = _ACTIONS[trigger](pool)
        decision = Decision(
            trigger=trigger,
            service=pool.name if service is None else service,
            reading=float(reading),
            threshold=float(threshold),
            action=action,
        )
        with self._lock:
            new = service is None or not any(
                d.trigger == trigger and d.service == service for d in self._decisions
            )
            if new:
                self._decisions.append(decision)
        if new:
            events.adapted.emit(decision.trigger, decision.service, decision.action)


def _faster(pool: Any) -> str:
    if pool.variant is Variant.AUTOSPEC:
        pool.variant = Variant.LAZY
        return "variant autospec -> lazy"
    # Already the fast variant: keep instances ready instead.
    before = pool.min_size
    pool.min_size = max(pool.min_size, min(pool.max_size, 5))
    return f"variant stays lazy; warm stock {before} -> {pool.min_size}"


def _lean(pool: Any) -> str:
    before = pool.max_size
    pool.max_size = min(pool.max_size, LEAN_MAX_SIZE)
    pool.min_size = min(pool.min_size, pool.max_size)
    pool.trim()
    return f"pool max idle {before} -> {pool.max_size}"


def _stable(pool: Any) -> str:
    pool.recycle = False
    return "recycling off (every mock built fresh)"


def _scaled(pool: Any) -> str:
    before = pool.max_size
    pool.max_size = min(max(before * 2, 1), SCALED_MAX_SIZE)
    return f"pool max idle {before} -> {pool.max_size}"


_ACTIONS: dict[str, Callable[[Any], str]] = {
    BUILD_TIME: _faster,
    MEMORY: _lean,
    ERROR_RATE: _stable,
    CONCURRENCY: _scaled,
}


_STATM = "/proc/self/statm"
# The reader every default adapter uses, found once per process (psutil
# imported, the page size asked) when the first such adapter is made --
# never at import, which must read no file; _UNRESOLVED until then.
_UNRESOLVED: Any = object()
_reader: Callable[[], int] | None = _UNRESOLVED
_reader_lock = threading.Lock()


def _resident_set_reader() -> Callable[[], int] | None:
    """The function that reads this process's resident set size; None if none.

    Found once per process. On Linux it reads ``/proc/self/statm`` with the
    ``open`` bound at import and a page size asked once; elsewhere it asks
    psutil, imported now. If neither can be had, memory is unknown.
    """
    global _reader
    with _reader_lock:
        if _reader is _UNRESOLVED:
            _reader = _find_reader()
        return _reader


def resident_set_bytes() -> int | None:
    """This process's resident set size in bytes now; None if unknown.

    Read as the adapter reads it (on Linux from ``/proc``, without psutil).
    """
    reader = _resident_set_reader()
    if reader is None:
        return None
    try:
        return reader()
    except Exception:  # a reading that fails: memory is unknown
        return None


def _find_reader(platform: str = sys.platform) -> Callable[[], int] | None:
    if platform.startswith("linux"):
        return _statm_reader()
    return _psutil_reader()


def _statm_reader() -> Callable[[], int] | None:
    try:
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None
    return lambda: _statm_resident_pages() * page_size


def _psutil_reader() -> Callable[[], int] | None:
    try:
        import psutil
    except Exception:  # not installed, or hidden (sys.modules["psutil"] = None)
        return None
    process_type = psutil.Process

    def read() -> int:
        # The pid passed, or psutil would ask os.getpid, which a test may
        # patch; asked each time, so that a forked child reads its own.
        rss: int = process_type(_getpid()).memory_info().rss
        return rss

    return read


def _statm_resident_pages() -> int:
    # statm: "size resident shared text lib data dt", in pages.
    with _open(_STATM, "rb", buffering=0) as stream:  # noqa: UP020 (see import)
        fields = stream.read(256).split()
    return int(fields[1])


#: Environment variable: ``off`` disables adaptation; a path pins it to the
#: adaptations recorded in that run report (``--report-json``). Read when the
#: process's adapter is first needed, never at import.
ADAPTATION_ENV = "MOCKPOOL_ADAPTATION"

_ON_VALUES = frozenset({"", "on", "auto", "1", "true", "yes"})
_OFF_VALUES = frozenset({"off", "0", "false", "no"})


def adapter_from_setting(setting: str) -> Adapter:
    """The adapter a ``MOCKPOOL_ADAPTATION`` value asks for.

    ``""``, ``on``, ``auto`` or ``1`` adapt; ``off`` or ``0`` do not; any
    other value is the path of a run report (``--report-json``) whose
    adaptations the adapter replays.

    Raises:
        InvalidArgumentError: *setting* is neither a switch nor a readable
            run report with adaptations.
    """
    value = setting.strip()
    if value.lower() in _ON_VALUES:
        return Adapter()
    if value.lower() in _OFF_VALUES:
        return Adapter(enabled=False)
    try:
        with open(value, encoding="utf-8") as stream:
            recorded = json.load(stream)["adaptations"]
        return Adapter.pinned_to(
            Decision(item["trigger"], item["service"], 0.0, 0.0, item["action"])
            for item in recorded
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidArgumentError(
            f"{ADAPTATION_ENV}={setting!r} is not 'on', not 'off' and not a "
            f"readable run report with adaptations ({exc}); use 'off' to turn "
            "adaptation off, or the path of a report written by "
            "'python -m mockpool run --report-json PATH' to replay its adaptations"
        ) from exc


# None until the adapter is first needed: importing mockpool reads nothing.
_current: Adapter | None = None
_current_lock = threading.Lock()


def current_adapter() -> Adapter:
    """The adapter the pools of this process report to.

    The first call reads ``MOCKPOOL_ADAPTATION`` (unless :func:`set_adapter`
    came first); later calls return the same adapter.
    """
    adapter = _current
    if adapter is None:
        adapter = _read_environment()
    return adapter


def _read_environment() -> Adapter:
    global _current
    with _current_lock:
        if _current is not None:  # another thread read it first
            return _current
        # Installed before warning: a warning made an error (-W error)
        # then fails this call only, and the next one finds the adapter.
        adapter, message = _adapter_and_warning()
        _current = adapter
    if message is not None:
        warnings.warn(MockPoolWarning(message), stacklevel=4)
    return adapter


def _adapter_and_warning() -> tuple[Adapter, str | None]:
    """The adapter ``MOCKPOOL_ADAPTATION`` asks for, and what to warn about.

    mockpool is a guest in the user's suite: a bad bookkeeping setting must
    not fail the run, so it is reported as a warning and adaptation goes on
    as by default.
    """
    setting = os.environ.get(ADAPTATION_ENV, "")
    try:
        return adapter_from_setting(setting), None
    except InvalidArgumentError as exc:
        return Adapter(), f"{exc}. Adaptation stays on, as by default."


def reload_settings() -> None:
    """Forget the adapter read from the environment; the next use reads it again.

    For tests, and for code that changes ``MOCKPOOL_ADAPTATION`` mid-process.
    An adapter installed by :func:`set_adapter` is forgotten too.
    """
    global _current
    with _current_lock:
        _current = None


def set_adapter(adapter: Adapter) -> Adapter:
    """Make *adapter* the process's adapter; return the previous one.

    Pools met by the previous adapter keep what it changed.
    """
    global _current
    if not isinstance(adapter, Adapter):
        raise ArgumentTypeError(f"adapter must be a mockpool Adapter, not {adapter!r}")
    previous = current_adapter()
    with _current_lock:
        _current = adapter
    return previous


def _reinit_after_fork() -> None:
    # The child's memory baseline and counters are its own.
    global _current, _current_lock, _reader_lock
    _current_lock = threading.Lock()
    _reader_lock = threading.Lock()
    old = _current
    if old is None:
        return  # not read yet: the child reads the environment itself
    _current = Adapter(
        old.thresholds,
        deterministic=old.deterministic,
        enabled=old.enabled,
        memory=old._memory,
    )
    if old._pinned is not None:
        _current._pinned = dict(old._pinned)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)
