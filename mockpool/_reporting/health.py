"""Health checks of a test run: readings, thresholds and what to do about them.

:func:`check_health` reads a
:class:`~mockpool._reporting.run_report.RunReport` -- and, when given,
:class:`~mockpool._reporting.live.LiveFigures` of the process that ran the
tests (its
registry, its pools, its memory) -- and gives a :class:`HealthReport` of
eight checks, each a :class:`HealthCheck` with a status, the reading, the
threshold it was judged against and a recommendation:

====================  ===================================  ==================
check                 reading                              status
====================  ===================================  ==================
registry utilisation  registered services no pool or       warn above
                      report saw used (live figures)       ``max_unused_services``
pool hit rates        pool hits per acquisition (live);    warn below
                      else builds avoided per mock         ``min_hit_rate``
                      requested
discards              pooled mocks thrown away, per        warn above
                      reason, per mock requested           ``max_discard_share``
degraded variants     mocks served degraded                warn on any; fail
                                                           in strict mode
leaks                 leaks, with the tests that leaked    fail on any
slow specs            specs by mean measured build time    warn above
                                                           ``slow_build_seconds``
memory                the process's RSS (live figures)     warn above the
                                                           threshold, fail
                                                           above the emergency
                                                           buffer
concurrency           peak leased per pool vs its          warn above
                      ``max_size`` (live figures)          ``concurrency_share``
====================  ===================================  ==================

``fail`` is kept for what breaks a run's isolation or endangers the machine
(leaks, degraded mocks in strict mode, memory past the emergency buffer);
everything that only costs time warns. A check that needs live figures is
*skipped* when there are none -- a report file written by ``--report-json``
or ``combine --json`` holds none; the last-run file holds them.

The memory limits scale with the machine (:func:`memory_limits`): the
threshold is ``min(2 GiB, 25 % of total RAM)`` and the emergency buffer
``min(4 GiB, 50 % of total RAM)`` -- the seed's 2 GB and 4 GB on a machine
of 8 GiB or more, proportionally less below.
"""

from __future__ import annotations

import dataclasses
import math
import textwrap

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all, enumerate, getattr, id, isinstance, len, max, min, sorted, sum  # noqa: UP029
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from mockpool._autospec.pristine import DiscardReason
from mockpool._base import checks as _checks
from mockpool._reporting.live import LiveFigures, PoolFigures
from mockpool._reporting.run_report import RunReport, SpecStats
from mockpool.errors import ArgumentTypeError, InvalidArgumentError

__all__ = [
    "CHECKS",
    "GIB",
    "MAX_LINES",
    "MEMORY_FAIL_CAP",
    "MEMORY_FAIL_SHARE",
    "MEMORY_WARN_CAP",
    "MEMORY_WARN_SHARE",
    "HealthCheck",
    "HealthReport",
    "HealthThresholds",
    "Status",
    "check_health",
    "memory_limits",
]

#: A check's status, worst last.
Status = Literal["ok", "warn", "fail"]
_STATUSES: tuple[Status, ...] = ("ok", "warn", "fail")

#: One binary gigabyte.
GIB = 1024**3
#: The memory threshold is at most this (the seed's 2 GB) ...
MEMORY_WARN_CAP = 2 * GIB
#: ... and at most this share of the machine's total memory.
MEMORY_WARN_SHARE = 0.25
#: The emergency buffer is at most this (the seed's 4 GB) ...
MEMORY_FAIL_CAP = 4 * GIB
#: ... and at most this share of the machine's total memory.
MEMORY_FAIL_SHARE = 0.50

REGISTRY = "registry utilisation"
HIT_RATES = "pool hit rates"
DISCARDS = "discards"
DEGRADED = "degraded variants"
LEAKS = "leaks"
SLOW_SPECS = "slow specs"
MEMORY = "memory"
CONCURRENCY = "concurrency"
#: The checks :func:`check_health` makes, in the order it makes them.
CHECKS = (
    REGISTRY,
    HIT_RATES,
    DISCARDS,
    DEGRADED,
    LEAKS,
    SLOW_SPECS,
    MEMORY,
    CONCURRENCY,
)

#: The most lines :meth:`HealthReport.render` gives for :func:`check_health`'s
#: eight checks.
MAX_LINES = 20

_NO_LIVE = "no live figures"


# -- thresholds -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HealthThresholds:
    """When each check warns or fails. Every field has a documented default.

    Raises:
        ArgumentTypeError: A field is of the wrong type (a bool is not a
            number here).
        InvalidArgumentError: A field is out of its range, or
            *memory_warn_bytes* exceeds *memory_fail_bytes*.
    """

    #: Registered services allowed to go unused before the registry check
    #: warns (default 0: any unused service warns).
    max_unused_services: int = 0
    #: The pool hit rate below which the hit-rate check warns (default 0.5).
    min_hit_rate: float = 0.5
    #: Fewer mocks requested (or pool acquisitions) than this are too few to
    #: judge hit rates and discard shares by (default 20).
    min_requests: int = 20
    #: The share of mocks requested that one discard reason may take before
    #: the discard check warns (default 0.10).
    max_discard_share: float = 0.10
    #: The mean build time, in seconds, above which a spec is slow (default
    #: 0.100, the adapter's build-time threshold).
    slow_build_seconds: float = 0.100
    #: Process memory (RSS) in bytes above which the memory check warns;
    #: None (the default) scales it to the machine: ``min(2 GiB, 25 % of
    #: total RAM)``. See :func:`memory_limits`.
    memory_warn_bytes: int | None = None
    #: The emergency buffer: RSS in bytes above which the memory check
    #: fails; None (the default) scales it: ``min(4 GiB, 50 % of total
    #: RAM)``.
    memory_fail_bytes: int | None = None
    #: The share of a pool's ``max_size`` its peak of mocks leased at once
    #: may reach before the concurrency check warns (default 0.8: above 20
    #: of the default 25, where the adapter scales a pool).
    concurrency_share: float = 0.8

    def __post_init__(self) -> None:
        prefix = "HealthThresholds."
        for name in ("max_unused_services", "min_requests"):
            _checks.count(
                getattr(self, name), prefix + name, hint="use a count such as 0 or 20"
            )
        for name, example in (
            ("min_hit_rate", "0.5 for 50 %"),
            ("max_discard_share", "0.1 for 10 %"),
        ):
            _checks.fraction(getattr(self, name), prefix + name, hint=f"use {example}")
        for name, example in (
            ("slow_build_seconds", "0.1 for 100 ms"),
            ("concurrency_share", "0.8 for 80 %"),
        ):
            _checks.number(
                getattr(self, name), prefix + name, minimum=0, hint=f"use {example}"
            )
        if self.concurrency_share == 0:
            raise InvalidArgumentError(
                "HealthThresholds.concurrency_share must be above 0, not 0; "
                "use 0.8 to warn above 80 % of a pool's max_size"
            )
        for name in ("memory_warn_bytes", "memory_fail_bytes"):
            value = getattr(self, name)
            if value is not None:
                _checks.count(
                    value,
                    prefix + name,
                    minimum=1,
                    hint="use 2 * 1024**3 for 2 GiB, or None to scale it to the "
                    "machine",
                )
        warn, fail = self.memory_warn_bytes, self.memory_fail_bytes
        if warn is not None and fail is not None and warn > fail:
            raise InvalidArgumentError(
                f"HealthThresholds.memory_warn_bytes ({warn!r}) exceeds "
                f"memory_fail_bytes ({fail!r}); lower the first or raise the second"
            )


def memory_limits(
    total_bytes: int | None, thresholds: HealthThresholds | None = None
) -> tuple[int, int]:
    """The memory check's limits on a machine with *total_bytes* of RAM.

    The rule: the threshold (warn) is :attr:`~HealthThresholds.memory_warn_bytes`
    if set, else ``min(2 GiB, 25 % of total_bytes)``; the emergency buffer
    (fail) is :attr:`~HealthThresholds.memory_fail_bytes` if set, else
    ``min(4 GiB, 50 % of total_bytes)``. With the total unknown (None) the
    caps apply: 2 GiB and 4 GiB. A limit that was set wins over a scaled
    one: the other is moved so that warn never exceeds fail.

    Args:
        total_bytes: The machine's total memory, or None if unknown.
        thresholds: The thresholds; the defaults if None.

    Returns:
        ``(warn_bytes, fail_bytes)``.

    Raises:
        ArgumentTypeError: *total_bytes* is not an int or None, or
            *thresholds* not a :class:`HealthThresholds`.
        InvalidArgumentError: *total_bytes* is not above 0.
    """
    chosen = _thresholds(thresholds)
    if total_bytes is not None:
        _checks.count(
            total_bytes, "total_bytes", minimum=1, hint="pass None if unknown"
        )
        scaled_warn = min(MEMORY_WARN_CAP, int(total_bytes * MEMORY_WARN_SHARE))
        scaled_fail = min(MEMORY_FAIL_CAP, int(total_bytes * MEMORY_FAIL_SHARE))
    else:
        scaled_warn, scaled_fail = MEMORY_WARN_CAP, MEMORY_FAIL_CAP
    warn, fail = chosen.memory_warn_bytes, chosen.memory_fail_bytes
    if warn is not None and fail is not None:
        return warn, fail
    if warn is not None:
        return warn, max(scaled_fail, warn)
    if fail is not None:
        return min(scaled_warn, fail), fail
    return scaled_warn, scaled_fail


# -- the result -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HealthCheck:
    """The outcome of one check.

    Raises:
        ArgumentTypeError: A field is not a str.
        InvalidArgumentError: *status* is not ``"ok"``, ``"warn"`` or
            ``"fail"``.
    """

    #: The check, e.g. ``"leaks"``.
    name: str
    #: ``"ok"``, ``"warn"`` or ``"fail"``.
    status: Status
    #: What was measured, in words.
    reading: str
    #: What it was judged against, in words.
    threshold: str
    #: What to do; empty when the status is ``"ok"``.
    recommendation: str

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            _checks.text(value, f"HealthCheck.{field.name}")
        if self.status not in _STATUSES:
            raise InvalidArgumentError(
                f"HealthCheck.status must be 'ok', 'warn' or 'fail', not "
                f"{self.status!r}"
            )

    def to_dict(self) -> dict[str, str]:
        """The JSON-safe form: one key per field."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class HealthReport:
    """The checks of a run, and the worst of their statuses.

    Build it with :func:`check_health`, or with :meth:`of` from checks of
    your own.

    Raises:
        ArgumentTypeError: *checks* holds something other than
            :class:`HealthCheck`, or *skipped* other than ``(name, reason)``
            pairs of str.
        InvalidArgumentError: *overall* is not the worst status of *checks*.
    """

    #: The checks made.
    checks: tuple[HealthCheck, ...]
    #: The worst status among :attr:`checks` (``"ok"`` if there are none).
    overall: Status
    #: ``(name, reason)`` of each check not made, for lack of figures.
    skipped: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "skipped", tuple(self.skipped))
        for check in self.checks:
            if not isinstance(check, HealthCheck):
                raise ArgumentTypeError(
                    f"HealthReport.checks holds HealthCheck objects, not {check!r}"
                )
        for pair in self.skipped:
            if not (
                isinstance(pair, tuple)
                and len(pair) == 2
                and all(isinstance(text, str) for text in pair)
            ):
                raise ArgumentTypeError(
                    f"HealthReport.skipped holds (name, reason) str pairs, not {pair!r}"
                )
        worst = _worst(check.status for check in self.checks)
        if self.overall != worst:
            raise InvalidArgumentError(
                f"HealthReport.overall is {self.overall!r} but the worst check is "
                f"{worst!r}; use HealthReport.of(checks) to compute it"
            )

    @classmethod
    def of(
        cls, checks: Iterable[HealthCheck], skipped: Iterable[tuple[str, str]] = ()
    ) -> HealthReport:
        """A report of *checks*, with :attr:`overall` computed."""
        made = tuple(checks)
        # getattr: a check of the wrong type is refused by __post_init__.
        worst = _worst(getattr(check, "status", "ok") for check in made)
        return cls(made, worst, tuple(skipped))

    @property
    def failed(self) -> bool:
        """Whether any check failed."""
        return self.overall == "fail"

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe form::

        {"overall": "warn",
         "checks": [{"name": "leaks", "status": "ok", "reading": "none",
                     "threshold": "fail on any", "recommendation": ""}, ...],
         "skipped": [{"name": "memory", "reason": "no live figures ..."}]}
        """
        return {
            "overall": self.overall,
            "checks": [check.to_dict() for check in self.checks],
            "skipped": [{"name": name, "reason": why} for name, why in self.skipped],
        }

    def render(self, width: int = 70) -> str:
        """The report as lines shaped like unittest's output.

        One line per check, ``name ... ok (reading)`` (``WARN``, ``FAIL``,
        ``skipped 'reason'``); under a check that warned or failed, its
        threshold and recommendation, as many lines as fit; then a rule,
        ``Ran N health checks`` and ``OK`` or ``FAILED`` with the counts.
        For :func:`check_health`'s eight checks at most :data:`MAX_LINES`
        lines, none wider than *width*; the JSON form has every word.

        Args:
            width: The widest a line may be (at least 40).

        Raises:
            InvalidArgumentError: *width* is below 40.
            ArgumentTypeError: *width* is not an int.
        """
        _checks.count(width, "width", minimum=40)
        entries: list[tuple[str, HealthCheck | str]] = [
            (check.name, check) for check in self.checks
        ]
        entries += [(name, why) for name, why in self.skipped]
        entries.sort(key=lambda entry: _order(entry[0]))
        counts = {status: 0 for status in _STATUSES}
        for check in self.checks:
            counts[check.status] += 1
        fixed = 1 + len(entries) + 3  # title, one per entry, rule + Ran + status
        bodies = self._bodies(width, max(MAX_LINES - fixed, 0))
        lines = ["Health checks:"]
        for name, entry in entries:
            if isinstance(entry, str):
                lines.append(_clip(f"{name} ... skipped {entry!r}", width))
                continue
            label = {"ok": "ok", "warn": "WARN", "fail": "FAIL"}[entry.status]
            lines.append(_clip(f"{name} ... {label} ({entry.reading})", width))
            lines.extend(bodies.get(id(entry), []))
        lines.append("-" * width)
        total = len(entries)
        lines.append(f"Ran {total} health check{'' if total == 1 else 's'}")
        details = [
            f"{key}={value}"
            for key, value in (
                ("failures", counts["fail"]),
                ("warnings", counts["warn"]),
                ("skipped", len(self.skipped)),
            )
            if value
        ]
        verdict = "FAILED" if self.failed else "OK"
        lines.append(f"{verdict} ({', '.join(details)})" if details else verdict)
        return "\n".join(lines)

    def _bodies(self, width: int, room: int) -> dict[int, list[str]]:
        """The lines under each check that warned or failed, within *room*."""
        wrapped: dict[int, list[str]] = {}
        for check in self.checks:
            if check.status != "ok":
                wrapped[id(check)] = textwrap.wrap(
                    f"{check.threshold}; fix: {check.recommendation}",
                    width,
                    initial_indent="    ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
        # Failures first, then warnings: one line each while room lasts,
        # then the rest of each text, failures first again.
        ranked = sorted(
            (check for check in self.checks if id(check) in wrapped),
            key=lambda check: check.status != "fail",
        )
        given = {id(check): 0 for check in ranked}
        for check in ranked:
            if room and wrapped[id(check)]:
                given[id(check)] += 1
                room -= 1
        for check in ranked:
            extra = min(room, len(wrapped[id(check)]) - given[id(check)])
            given[id(check)] += extra
            room -= extra
        bodies = {}
        for check in ranked:
            text = wrapped[id(check)]
            shown = text[: given[id(check)]]
            if shown and len(shown) < len(text):
                shown[-1] = _clip(shown[-1] + " ...", width)
            bodies[id(check)] = shown
        return bodies


def _worst(statuses: Iterable[Status]) -> Status:
    return max(statuses, key=_STATUSES.index, default="ok")


def _order(name: str) -> int:
    return CHECKS.index(name) if name in CHECKS else len(CHECKS)


def _clip(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


# -- the checks -----------------------------------------------------------------


def check_health(
    report: RunReport,
    live: LiveFigures | None = None,
    *,
    thresholds: HealthThresholds | None = None,
    strict: bool | None = None,
) -> HealthReport:
    """Check a run's health.

    Args:
        report: The run's report.
        live: Figures of the process that ran the tests; without them the
            registry, memory and concurrency checks are skipped.
        thresholds: When checks warn and fail; the defaults if None.
        strict: Whether degraded mocks fail the degraded-variants check;
            None follows :func:`mockpool.is_strict` (``CI`` or
            ``MOCKPOOL_STRICT``).

    Returns:
        The :class:`HealthReport`.

    Raises:
        ArgumentTypeError: An argument is of the wrong type.
    """
    if not isinstance(report, RunReport):
        raise ArgumentTypeError(f"report must be a RunReport, not {report!r}")
    if live is not None and not isinstance(live, LiveFigures):
        raise ArgumentTypeError(f"live must be LiveFigures or None, not {live!r}")
    _checks.flag(strict, "strict", allow_none=True)
    if strict is None:
        from mockpool._pools.recovery import is_strict

        strict = is_strict()
    limits = _thresholds(thresholds)
    data = report.to_dict()  # one snapshot: every figure agrees
    specs = {
        name: SpecStats(
            name, s["hits"], s["builds"], s["timed_builds"], s["build_seconds"]
        )
        for name, s in data["specs"].items()
    }
    checks: list[HealthCheck] = []
    skipped: list[tuple[str, str]] = []

    def add(name: str, outcome: HealthCheck | str) -> None:
        if isinstance(outcome, str):  # why the check could not be made
            skipped.append((name, outcome))
        else:
            checks.append(outcome)

    add(REGISTRY, _check_registry(specs, live, limits))
    add(HIT_RATES, _check_hit_rates(specs, live, limits))
    add(DISCARDS, _check_discards(specs, data["discards"], limits))
    add(DEGRADED, _check_degraded(data["degraded"], strict))
    add(LEAKS, _check_leaks(data["leaks"]))
    add(SLOW_SPECS, _check_slow_specs(specs, limits))
    add(MEMORY, _check_memory(live, limits))
    add(CONCURRENCY, _check_concurrency(live, limits))
    return HealthReport.of(checks, skipped)


def _check_registry(
    specs: Mapping[str, SpecStats], live: LiveFigures | None, limits: HealthThresholds
) -> HealthCheck | str:
    if live is None:
        return _NO_LIVE
    used = {pool.name for pool in live.pools if pool.acquired}
    unused = [
        name
        for name, spec in live.services.items()
        if name not in used and not (spec in specs and specs[spec].acquired)
    ]
    total = len(live.services)
    if total:
        reading = f"{len(unused)} of {total} registered services unused"
    else:
        reading = "no service registered"
    if unused:
        reading += ": " + _listing(unused)
    status: Status = "warn" if len(unused) > limits.max_unused_services else "ok"
    return HealthCheck(
        REGISTRY,
        status,
        reading,
        f"warn above {limits.max_unused_services} unused",
        ""
        if status == "ok"
        else "unregister services no test uses: registration imports each spec "
        "and builds a trial mock; register a service where the tests that use "
        "it are set up, and give rarely used ones policy warming='none'",
    )


def _check_hit_rates(
    specs: Mapping[str, SpecStats], live: LiveFigures | None, limits: HealthThresholds
) -> HealthCheck | str:
    threshold = (
        f"warn below {limits.min_hit_rate:.0%}, from {limits.min_requests} "
        "acquisitions on"
    )
    floor = max(limits.min_requests, 1)
    if live is None:
        # The report counts every mock requested, and one it could not pool
        # as a build: builds avoided per request is only a lower bound of the
        # pools' hit rate. It can clear the threshold, never fall short of it.
        hits = sum(stats.hits for stats in specs.values())
        total = sum(stats.acquired for stats in specs.values())
        if total < floor:
            return _NO_LIVE
        rate = hits / total
        if rate < limits.min_hit_rate:
            return f"{_NO_LIVE} ({rate:.1%} is a lower bound)"
        reading = f"at least {rate:.1%}, {hits} of {total} requests"
        return HealthCheck(HIT_RATES, "ok", reading, threshold, "")
    hits = sum(pool.hits for pool in live.pools)
    total = sum(pool.acquired for pool in live.pools)
    if total < floor:
        reading = f"{total} pool acquisitions: too few to judge"
        return HealthCheck(HIT_RATES, "ok", reading, threshold, "")
    rate = hits / total
    reading = f"{rate:.1%} of {total} pool acquisitions"
    if rate >= limits.min_hit_rate:
        return HealthCheck(HIT_RATES, "ok", reading, threshold, "")
    judged = [
        (pool.hits / pool.acquired, pool.name, pool.acquired)
        for pool in live.pools
        if pool.acquired >= floor
    ]
    if judged:
        lowest_rate, lowest, count = min(judged)
        reading += f"; lowest {_short(lowest)} {lowest_rate:.0%} of {count}"
    return HealthCheck(
        HIT_RATES,
        "warn",
        reading,
        threshold,
        "keep usage history on (MOCKPOOL_HISTORY not 0, a writable "
        "MOCKPOOL_DIR or .mockpool/) so the next run warms the pools it "
        "predicts; give busy services policy warming='high'; and see the "
        "discards check for mocks that could not be recycled",
    )


#: What to do about each discard reason.
_DISCARD_ADVICE = {
    DiscardReason.ESCAPED: "mocks were still referenced when next needed: "
    "do not keep them on modules, classes or other long-lived objects; a "
    "reference cycle through the test (a side_effect that is a method or "
    "closure of the test case) holds them until the garbage collector runs",
    DiscardReason.POOL_FULL: "more mocks came back than the pool keeps: raise "
    "its max_size (PoolManager(max_size=...)) or leave adaptation on so busy "
    "pools scale",
    DiscardReason.CLASS_SPEC: "class mocks are never recycled: register "
    "services with instance=True where the code under test uses instances",
    DiscardReason.EAGER_CHILDREN: "the spec has a method named like a mock "
    "attribute, so its mocks build children eagerly and cannot be recycled; "
    "rename the method if you can",
    DiscardReason.RECYCLING_OFF: "adaptation turned recycling off after "
    "restores failed: fix the service's defaults or configurators",
    DiscardReason.RECOVERED: "mocks built by a recovery stage are never "
    "recycled: fix the root cause the recovery warnings name",
    DiscardReason.DEFAULTS_FAILED: "a service's defaults or configurator "
    "raised on a recycled mock: make it work on any fresh mock",
    DiscardReason.SEALED: "tests seal their mocks, which no reset undoes: "
    "build those mocks with unittest.mock directly",
    DiscardReason.SPEC_CHANGED: "tests change their mocks' spec (mock_add_spec, "
    "__class__), which no reset undoes: build those with unittest.mock directly",
    DiscardReason.WRAPS_CHANGED: "tests change wraps or a delegate, which no "
    "reset undoes: build those mocks with unittest.mock directly",
    DiscardReason.FREED: "tests let these mocks go before they ended (a local "
    "the garbage collector freed, as it would a stdlib mock), so the next "
    "request built anew: keep a mock on the test case (self.x = ...) to have "
    "it recycled",
    DiscardReason.STATE: "tests leave state a reset cannot undo: see which "
    "attributes they set outside configure_mock and reset them in tearDown",
}


def _check_discards(
    specs: Mapping[str, SpecStats],
    discards: Mapping[str, int],
    limits: HealthThresholds,
) -> HealthCheck:
    requested = sum(stats.acquired for stats in specs.values())
    total = sum(discards.values())
    threshold = (
        f"warn above {limits.max_discard_share:.0%} of the {requested} mocks "
        "requested, per reason"
    )
    if not total:
        return HealthCheck(DISCARDS, "ok", "none", threshold, "")
    ranked = sorted(discards.items(), key=lambda item: (-item[1], item[0]))
    if requested < max(limits.min_requests, 1):
        reading = f"{total} discarded of {requested} requested: too few to judge"
        return HealthCheck(DISCARDS, "ok", reading, threshold, "")
    over = [
        (reason, count)
        for reason, count in ranked
        if count / requested > limits.max_discard_share
    ]
    shown = over or ranked
    reason, count = shown[0]
    reading = f"{count} {reason}, {count / requested:.1%}"
    if len(shown) > 1:
        reading += f"; {len(shown) - 1} more reason{'s' if len(shown) > 2 else ''}"
    if not over:
        return HealthCheck(DISCARDS, "ok", reading, threshold, "")
    advice = [
        _DISCARD_ADVICE.get(
            reason,
            f"see why mocks are discarded for {reason!r}",
        )
        for reason, _ in over
    ]
    return HealthCheck(DISCARDS, "warn", reading, threshold, "; also: ".join(advice))


def _check_degraded(degraded: list[dict[str, Any]], strict: bool) -> HealthCheck:
    threshold = "fail on any (strict mode)" if strict else "warn on any; strict fails"
    total = sum(item["count"] for item in degraded)
    if not total:
        return HealthCheck(DEGRADED, "ok", "none", threshold, "")
    ranked = sorted(degraded, key=lambda item: (-item["count"], item["spec"]))
    names = [f"{_short(item['spec'])} ({item['variant']})" for item in ranked]
    reading = f"{total} mocks served degraded: {_listing(names)}"
    return HealthCheck(
        DEGRADED,
        "fail" if strict else "warn",
        reading,
        threshold,
        "fix the root cause the DegradedMockWarning names (a spec or defaults "
        "that raise when built); a degraded mock checks less than its autospec, "
        "and strict mode (CI or MOCKPOOL_STRICT=1) refuses it",
    )


def _check_leaks(leaks: list[dict[str, str]]) -> HealthCheck:
    threshold = "fail on any"
    if not leaks:
        return HealthCheck(LEAKS, "ok", "none", threshold, "")
    tests = list(dict.fromkeys(leak["test_id"] for leak in leaks))
    reading = (
        f"{len(leaks)} in {len(tests)} test{'' if len(tests) == 1 else 's'}: "
        + _listing(tests, limit=len(tests))
    )
    return HealthCheck(
        LEAKS,
        "fail",
        reading,
        threshold,
        "undo every patch (a with block, addCleanup(p.stop) or a decorator) "
        "and do not assign mocks to module or class attributes; "
        "run with --fail-on-leak to fail the leaking test itself",
    )


def _check_slow_specs(
    specs: Mapping[str, SpecStats], limits: HealthThresholds
) -> HealthCheck:
    limit = limits.slow_build_seconds
    threshold = f"warn above {limit * 1000:g} ms mean build"
    measured = sorted(
        (
            (stats.mean_build_seconds or 0.0, stats.spec)
            for stats in specs.values()
            if stats.timed_builds
        ),
        key=lambda item: (-item[0], item[1]),
    )
    if not measured:
        return HealthCheck(SLOW_SPECS, "ok", "no build measured", threshold, "")
    slow = [(mean, spec) for mean, spec in measured if mean > limit]
    if not slow:
        mean, spec = measured[0]
        reading = f"slowest {mean * 1000:.2f} ms, {_short(spec)}"
        return HealthCheck(SLOW_SPECS, "ok", reading, threshold, "")
    names = [f"{_short(spec)} {mean * 1000:.0f} ms" for mean, spec in slow]
    reading = f"{len(slow)} slow: {_listing(names)}"
    return HealthCheck(
        SLOW_SPECS,
        "warn",
        reading,
        threshold,
        "have them built before the tests: keep usage history on so their "
        "pools are warmed, give registered services policy warming='high' and "
        "adaptation='auto' (slow builds switch to the lazy variant), and "
        "create_autospec(cls, instance=True) so the drop-in can pool them",
    )


def _check_memory(
    live: LiveFigures | None, limits: HealthThresholds
) -> HealthCheck | str:
    if live is None:
        return _NO_LIVE
    if live.rss_bytes is None:
        return "memory not measured"
    warn, fail = memory_limits(live.total_memory_bytes, limits)
    reading = f"RSS {_bytes(live.rss_bytes)}"
    if live.total_memory_bytes is not None:
        reading += f" of {_bytes(live.total_memory_bytes)} RAM"
    threshold = f"warn above {_bytes(warn)}, fail above {_bytes(fail)} (emergency)"
    if live.rss_bytes > fail:
        return HealthCheck(
            MEMORY,
            "fail",
            reading,
            threshold,
            "past the emergency buffer the machine swaps or kills the run: "
            "run fewer workers, lower pool sizes (PoolManager(max_size=...)), "
            "and look for tests that keep mocks alive (see discards)",
        )
    if live.rss_bytes > warn:
        return HealthCheck(
            MEMORY,
            "warn",
            reading,
            threshold,
            "lower pool sizes (PoolManager(max_size=...)) or leave adaptation "
            "on, which makes pools lean when memory grows; check for tests "
            "that keep mocks alive (see discards)",
        )
    return HealthCheck(MEMORY, "ok", reading, threshold, "")


def _check_concurrency(
    live: LiveFigures | None, limits: HealthThresholds
) -> HealthCheck | str:
    if live is None:
        return _NO_LIVE
    share = limits.concurrency_share
    threshold = f"warn above {share:.0%} of a pool's max_size"
    busy = [pool for pool in live.pools if pool.peak_leased]
    if not busy:
        return HealthCheck(CONCURRENCY, "ok", "no mock leased", threshold, "")

    def ratio(pool: PoolFigures) -> float:
        if pool.max_size:
            return pool.peak_leased / pool.max_size
        return math.inf

    busiest = max(busy, key=lambda pool: (ratio(pool), pool.name))
    reading = (
        f"peak {busiest.peak_leased} leased, max_size {busiest.max_size} "
        f"({_short(busiest.name)})"
    )
    over = [pool for pool in busy if pool.peak_leased > share * pool.max_size]
    if not over:
        return HealthCheck(CONCURRENCY, "ok", reading, threshold, "")
    if len(over) > 1:
        reading += f"; {len(over)} pools over"
    return HealthCheck(
        CONCURRENCY,
        "warn",
        reading,
        threshold,
        "mocks leased beyond max_size are discarded as 'pool full' when they "
        "come back and rebuilt next time: raise max_size "
        "(PoolManager(max_size=...)) or leave adaptation on so the pool scales",
    )


# -- formatting and validation ----------------------------------------------------


def _short(name: str) -> str:
    """A qualified name without its package path: ``mod.Class``."""
    parts = name.split(".")
    for index, part in enumerate(parts):
        if part[:1].isupper():
            return ".".join(parts[max(index - 1, 0) :])
    return name


def _listing(items: list[str], limit: int = 3) -> str:
    shown = items[:limit]
    text = ", ".join(shown)
    if len(items) > len(shown):
        text += f" and {len(items) - len(shown)} more"
    return text


def _bytes(count: int) -> str:
    if count >= GIB:
        return f"{count / GIB:.1f} GiB"
    return f"{count / 1024**2:.0f} MiB"


def _thresholds(thresholds: object) -> HealthThresholds:
    if thresholds is None:
        return HealthThresholds()
    if not isinstance(thresholds, HealthThresholds):
        raise ArgumentTypeError(
            f"thresholds must be HealthThresholds or None, not {thresholds!r}"
        )
    return thresholds
