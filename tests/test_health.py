"""Tests for health checks, live figures, the last run and ``report``.

The modules: mockpool._reporting.health, .live and .last_run, and
``python -m mockpool report``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest
import warnings
from typing import Any
from unittest import mock

import mockpool
from mockpool._autospec.pristine import DiscardReason
from mockpool._cli.main import main
from mockpool._pools import recovery as _recovery
from mockpool._pools.pool import Pool
from mockpool._reporting import last_run as _last_run
from mockpool._reporting.health import (
    CHECKS,
    GIB,
    MAX_LINES,
    HealthCheck,
    HealthReport,
    HealthThresholds,
    check_health,
    memory_limits,
)
from mockpool._reporting.live import LiveFigures, PoolFigures
from mockpool._reporting.run_report import ReportError, RunReport
from mockpool.errors import (
    ArgumentTypeError,
    HistoryWarning,
    InvalidArgumentError,
    MockPoolError,
)

#: The checkout this file belongs to: what the subprocesses import.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _report(
    *,
    hits: int = 0,
    builds: int = 0,
    spec: str = "pkg.mod.Client",
    build_seconds: float = 0.001,
    discards: dict[str, int] | None = None,
    degraded: int = 0,
    leaks: tuple[tuple[str, str, str], ...] = (),
    tests: int = 1,
    worker: str = "w",
) -> RunReport:
    """A report recorded as a run would record it."""
    report = RunReport(worker=worker)
    for _ in range(tests):
        report.record_test()
    for _ in range(hits):
        report.record_acquire(spec, hit=True, build_seconds=None)
    for _ in range(builds):
        report.record_acquire(spec, hit=False, build_seconds=build_seconds)
    for reason, count in (discards or {}).items():
        report.record_discard(reason, count)
    for _ in range(degraded):
        report.record_degraded("pkg.mod.Broken", "minimal")
    for test_id, kind, detail in leaks:
        report.record_leak(test_id, kind, detail)
    return report


def _live(
    *pools: PoolFigures,
    services: dict[str, str] | None = None,
    rss: int | None = None,
    total: int | None = None,
) -> LiveFigures:
    return LiveFigures(services or {}, pools, rss, total)


def _check(health: HealthReport, name: str) -> HealthCheck:
    found = [check for check in health.checks if check.name == name]
    if len(found) != 1:
        raise AssertionError(f"{name!r} not checked once: {health.to_dict()}")
    return found[0]


class _Tiny:
    """A small spec for pools built in this process."""

    def get(self, key: str) -> str:
        return key


class ThresholdTests(unittest.TestCase):
    def test_defaults(self) -> None:
        """The documented defaults."""
        self.assertEqual(
            dataclasses.asdict(HealthThresholds()),
            {
                "max_unused_services": 0,
                "min_hit_rate": 0.5,
                "min_requests": 20,
                "max_discard_share": 0.10,
                "slow_build_seconds": 0.100,
                "memory_warn_bytes": None,
                "memory_fail_bytes": None,
                "concurrency_share": 0.8,
            },
        )

    def test_frozen(self) -> None:
        """Thresholds cannot change after construction."""
        with self.assertRaises(dataclasses.FrozenInstanceError):
            HealthThresholds().min_hit_rate = 0.1  # type: ignore[misc]

    def test_wrong_types_are_refused_by_name(self) -> None:
        """A bool, a str or a float count raises ArgumentTypeError naming both."""
        for field, value in (
            ("min_hit_rate", True),
            ("min_hit_rate", "0.5"),
            ("min_requests", 2.0),
            ("max_unused_services", None),
            ("memory_warn_bytes", 1.5),
            ("slow_build_seconds", "fast"),
        ):
            with self.subTest(field=field, value=value):
                with self.assertRaises(ArgumentTypeError) as caught:
                    HealthThresholds(**_options(field, value))
                self.assertIsInstance(caught.exception, TypeError)
                self.assertIsInstance(caught.exception, MockPoolError)
                self.assertIn(field, str(caught.exception))
                self.assertIn(repr(value), str(caught.exception))

    def test_bad_values_are_refused_with_a_fix(self) -> None:
        """Out-of-range values raise InvalidArgumentError naming value and fix."""
        for field, value in (
            ("min_hit_rate", 50),
            ("min_hit_rate", -0.1),
            ("max_discard_share", 1.5),
            ("min_requests", -1),
            ("slow_build_seconds", float("nan")),
            ("slow_build_seconds", float("inf")),
            ("concurrency_share", 0),
            ("memory_fail_bytes", 0),
        ):
            with self.subTest(field=field, value=value):
                with self.assertRaises(InvalidArgumentError) as caught:
                    HealthThresholds(**_options(field, value))
                self.assertIsInstance(caught.exception, ValueError)
                message = str(caught.exception)
                self.assertIn(field, message)
                self.assertIn(repr(value), message)
                self.assertRegex(message, r"use|None")

    def test_warn_above_fail_is_refused(self) -> None:
        """memory_warn_bytes may not exceed memory_fail_bytes."""
        with self.assertRaisesRegex(InvalidArgumentError, "lower the first"):
            HealthThresholds(memory_warn_bytes=2, memory_fail_bytes=1)
        HealthThresholds(memory_warn_bytes=1, memory_fail_bytes=1)


class MemoryRuleTests(unittest.TestCase):
    def test_large_machines_get_the_seed_limits(self) -> None:
        """From 8 GiB of RAM up: warn above 2 GiB, fail above 4 GiB."""
        for total in (8 * GIB, 16 * GIB, 256 * GIB):
            with self.subTest(total=total):
                self.assertEqual(memory_limits(total), (2 * GIB, 4 * GIB))

    def test_small_machines_scale_down(self) -> None:
        """Below 8 GiB: 25 % and 50 % of total memory."""
        self.assertEqual(memory_limits(4 * GIB), (1 * GIB, 2 * GIB))
        self.assertEqual(memory_limits(2 * GIB), (GIB // 2, 1 * GIB))
        self.assertEqual(memory_limits(6 * GIB), (6 * GIB // 4, 3 * GIB))

    def test_unknown_total_uses_the_caps(self) -> None:
        """Without the total, the seed's 2 GiB and 4 GiB."""
        self.assertEqual(memory_limits(None), (2 * GIB, 4 * GIB))

    def test_explicit_limits_win(self) -> None:
        """Set limits are used as given; the scaled other one keeps warn <= fail."""
        both = HealthThresholds(memory_warn_bytes=100, memory_fail_bytes=200)
        self.assertEqual(memory_limits(64 * GIB, both), (100, 200))
        warn_only = HealthThresholds(memory_warn_bytes=3 * GIB)
        self.assertEqual(memory_limits(4 * GIB, warn_only), (3 * GIB, 3 * GIB))
        fail_only = HealthThresholds(memory_fail_bytes=GIB)
        self.assertEqual(memory_limits(16 * GIB, fail_only), (GIB, GIB))

    def test_bad_totals(self) -> None:
        """A total of 0 or of the wrong type is refused."""
        with self.assertRaises(InvalidArgumentError):
            memory_limits(0)
        with self.assertRaises(ArgumentTypeError):
            memory_limits("8 GiB")  # type: ignore[arg-type]

    def test_memory_check_scales_with_injected_total(self) -> None:
        """On a 4 GiB machine 1 GiB is ok, 1 GiB + 1 warns, 2 GiB + 1 fails."""
        report = _report()

        def status(rss: int, total: int) -> str:
            live = _live(rss=rss, total=total)
            return _check(check_health(report, live, strict=False), "memory").status

        self.assertEqual(status(GIB, 4 * GIB), "ok")
        self.assertEqual(status(GIB + 1, 4 * GIB), "warn")
        self.assertEqual(status(2 * GIB, 4 * GIB), "warn")
        self.assertEqual(status(2 * GIB + 1, 4 * GIB), "fail")
        # The same readings on a 16 GiB machine: the seed's limits.
        self.assertEqual(status(2 * GIB, 16 * GIB), "ok")
        self.assertEqual(status(2 * GIB + 1, 16 * GIB), "warn")
        self.assertEqual(status(4 * GIB + 1, 16 * GIB), "fail")

    def test_memory_check_reading_and_recommendation(self) -> None:
        """The reading gives RSS and RAM; a failure says what to do."""
        live = _live(rss=3 * GIB, total=4 * GIB)
        check = _check(check_health(_report(), live, strict=False), "memory")
        self.assertEqual(check.reading, "RSS 3.0 GiB of 4.0 GiB RAM")
        self.assertEqual(
            check.threshold, "warn above 1.0 GiB, fail above 2.0 GiB (emergency)"
        )
        self.assertIn("fewer workers", check.recommendation)

    def test_memory_skipped_when_not_measured(self) -> None:
        """Live figures without a memory reading skip the memory check."""
        health = check_health(_report(), _live(), strict=False)
        self.assertIn(("memory", "memory not measured"), health.skipped)


class CheckTests(unittest.TestCase):
    """Each check's boundaries, from constructed reports."""

    def health(
        self,
        report: RunReport,
        live: LiveFigures | None = None,
        strict: bool = False,
        **thresholds: Any,
    ) -> HealthReport:
        return check_health(
            report, live, thresholds=HealthThresholds(**thresholds), strict=strict
        )

    def test_registry_utilisation(self) -> None:
        """An unused registered service warns; used ones, or an allowance, pass."""
        services = {"redis": "pkg.redis.Redis", "mail": "pkg.mail.Mailer"}
        used = PoolFigures("redis", 5, 2, 1, 25)
        idle = PoolFigures("mail", 0, 0, 0, 25)
        check = _check(
            self.health(_report(), _live(used, idle, services=services)),
            "registry utilisation",
        )
        self.assertEqual(check.status, "warn")
        self.assertEqual(check.reading, "1 of 2 registered services unused: mail")
        self.assertIn("unregister", check.recommendation)
        allowed = self.health(
            _report(), _live(used, services=services), max_unused_services=1
        )
        self.assertEqual(_check(allowed, "registry utilisation").status, "ok")
        # Requested through its spec (the report) counts as used too.
        by_spec = _report(builds=1, spec="pkg.mail.Mailer")
        both = self.health(by_spec, _live(used, services=services))
        self.assertEqual(_check(both, "registry utilisation").status, "ok")
        none = self.health(_report(), _live())
        self.assertEqual(
            _check(none, "registry utilisation").reading, "no service registered"
        )

    def test_pool_hit_rate_boundary(self) -> None:
        """From live pools: 50 % is ok, below warns; too few acquisitions pass."""

        def status(hits: int, acquired: int) -> str:
            live = _live(PoolFigures("pkg.mod.Client", acquired, hits, 1, 25))
            return _check(self.health(_report(), live), "pool hit rates").status

        self.assertEqual(status(10, 20), "ok")
        self.assertEqual(status(9, 20), "warn")
        self.assertEqual(status(0, 19), "ok")
        warned = _check(
            self.health(_report(), _live(PoolFigures("pkg.mod.Client", 40, 4, 1, 25))),
            "pool hit rates",
        )
        self.assertEqual(
            warned.reading, "10.0% of 40 pool acquisitions; lowest mod.Client 10% of 40"
        )
        self.assertIn("history", warned.recommendation)

    def test_hit_rate_without_live_figures_is_a_lower_bound(self) -> None:
        """The report alone can clear the threshold, never fall short of it."""
        cleared = _check(self.health(_report(hits=10, builds=10)), "pool hit rates")
        self.assertEqual(cleared.status, "ok")
        self.assertIn("at least 50.0%", cleared.reading)
        short = self.health(_report(hits=9, builds=11))
        self.assertNotIn("pool hit rates", [check.name for check in short.checks])
        self.assertIn("lower bound", dict(short.skipped)["pool hit rates"])

    def test_discard_share_boundary(self) -> None:
        """10 % of requests for one reason is ok; above warns, with advice."""
        escaped = DiscardReason.ESCAPED

        def check(count: int, reason: str = escaped) -> HealthCheck:
            report = _report(builds=20, discards={reason: count})
            return _check(self.health(report), "discards")

        self.assertEqual(check(2).status, "ok")
        warned = check(3)
        self.assertEqual(warned.status, "warn")
        self.assertEqual(warned.reading, f"3 {escaped}, 15.0%")
        self.assertEqual(
            warned.threshold, "warn above 10% of the 20 mocks requested, per reason"
        )
        self.assertIn("modules, classes", warned.recommendation)
        self.assertIn("reference cycle", warned.recommendation)
        self.assertIn("max_size", check(3, DiscardReason.POOL_FULL).recommendation)
        self.assertEqual(
            _check(self.health(_report(builds=20)), "discards").reading, "none"
        )
        few = _check(self.health(_report(builds=5, discards={escaped: 5})), "discards")
        self.assertEqual(few.status, "ok")
        self.assertIn("too few", few.reading)

    def test_every_discard_reason_has_advice(self) -> None:
        """Each DiscardReason over the threshold gets a specific recommendation."""
        reasons = [
            value
            for name, value in vars(DiscardReason).items()
            if not name.startswith("_") and isinstance(value, str)
        ]
        for reason in reasons:
            with self.subTest(reason=reason):
                report = _report(builds=20, discards={reason: 10})
                advice = _check(self.health(report), "discards").recommendation
                self.assertNotIn("see why mocks are discarded", advice)

    def test_degraded_warns_or_fails_in_strict_mode(self) -> None:
        """No degraded mock is ok; any warns; strict mode fails them."""
        self.assertEqual(
            _check(self.health(_report()), "degraded variants").status, "ok"
        )
        warned = _check(self.health(_report(degraded=1)), "degraded variants")
        self.assertEqual(warned.status, "warn")
        self.assertEqual(
            warned.reading, "1 mocks served degraded: mod.Broken (minimal)"
        )
        self.assertIn("root cause", warned.recommendation)
        strict = _check(
            self.health(_report(degraded=1), strict=True), "degraded variants"
        )
        self.assertEqual(strict.status, "fail")

    def test_strict_none_follows_strict_mode(self) -> None:
        """strict=None asks mockpool.is_strict()."""
        self.addCleanup(_recovery.set_strict, None)
        for setting, expected in ((True, "fail"), (False, "warn")):
            mockpool.set_strict(setting)
            health = check_health(_report(degraded=1))
            self.assertEqual(_check(health, "degraded variants").status, expected)

    def test_leaks_fail_with_the_test_ids(self) -> None:
        """Any leak fails, naming every test that leaked."""
        self.assertEqual(_check(self.health(_report()), "leaks").status, "ok")
        leaks = (
            ("t.A.test_one", "patch not undone", "pkg.mod.thing"),
            ("t.A.test_one", "mock assigned", "pkg.mod.other"),
            ("t.B.test_two", "patch not undone", "pkg.mod.thing"),
        )
        check = _check(self.health(_report(leaks=leaks)), "leaks")
        self.assertEqual(check.status, "fail")
        self.assertEqual(check.reading, "3 in 2 tests: t.A.test_one, t.B.test_two")
        self.assertIn("addCleanup", check.recommendation)

    def test_slow_specs_boundary(self) -> None:
        """A mean build of exactly 100 ms is ok; above warns."""
        exact = _report(builds=2, build_seconds=0.1)
        self.assertEqual(_check(self.health(exact), "slow specs").status, "ok")
        slow = _check(
            self.health(_report(builds=2, build_seconds=0.1001)), "slow specs"
        )
        self.assertEqual(slow.status, "warn")
        self.assertEqual(slow.reading, "1 slow: mod.Client 100 ms")
        self.assertIn("lazy", slow.recommendation)
        self.assertEqual(
            _check(self.health(_report()), "slow specs").reading, "no build measured"
        )
        custom = self.health(
            _report(builds=1, build_seconds=0.02), slow_build_seconds=0.01
        )
        self.assertEqual(_check(custom, "slow specs").status, "warn")

    def test_concurrency_boundary(self) -> None:
        """Peak 20 of max_size 25 (80 %) is ok; 21 warns; max_size 0 warns."""

        def check(peak: int, max_size: int = 25) -> HealthCheck:
            live = _live(PoolFigures("pkg.mod.Client", 30, 15, peak, max_size))
            return _check(self.health(_report(), live), "concurrency")

        self.assertEqual(check(20).status, "ok")
        warned = check(21)
        self.assertEqual(warned.status, "warn")
        self.assertEqual(warned.reading, "peak 21 leased, max_size 25 (mod.Client)")
        self.assertIn("max_size", warned.recommendation)
        self.assertEqual(check(1, max_size=0).status, "warn")
        self.assertEqual(check(0).reading, "no mock leased")

    def test_without_live_figures_those_checks_are_skipped(self) -> None:
        """Registry, memory and concurrency need live figures."""
        health = self.health(_report())
        self.assertEqual(
            [name for name, _ in health.skipped],
            ["registry utilisation", "pool hit rates", "memory", "concurrency"],
        )
        made = [check.name for check in health.checks]
        self.assertEqual(made, ["discards", "degraded variants", "leaks", "slow specs"])

    def test_all_checks_made_with_live_figures(self) -> None:
        """With live figures every check is made, in CHECKS order."""
        live = _live(PoolFigures("x", 30, 20, 1, 25), rss=GIB // 10, total=16 * GIB)
        health = self.health(_report(builds=25), live)
        self.assertEqual(tuple(check.name for check in health.checks), CHECKS)
        self.assertEqual(health.skipped, ())
        self.assertEqual(health.overall, "ok")

    def test_argument_types(self) -> None:
        """Wrong argument types are refused."""
        with self.assertRaises(ArgumentTypeError):
            check_health({"tests": 1})  # type: ignore[arg-type]
        with self.assertRaises(ArgumentTypeError):
            check_health(_report(), {"pools": []})  # type: ignore[arg-type]
        with self.assertRaises(ArgumentTypeError):
            check_health(_report(), thresholds={})  # type: ignore[arg-type]
        with self.assertRaises(ArgumentTypeError):
            check_health(_report(), strict=1)  # type: ignore[arg-type]


def _bad_report() -> tuple[RunReport, LiveFigures]:
    """Every check warns or fails."""
    report = _report(
        hits=1,
        builds=40,
        build_seconds=0.5,
        discards={DiscardReason.ESCAPED: 30, DiscardReason.POOL_FULL: 10},
        degraded=3,
        leaks=tuple(
            (f"tests.test_module.SomeTestCase.test_{n}", "patch not undone", "x.y")
            for n in range(12)
        ),
    )
    live = _live(
        PoolFigures("pkg.mod.Client", 41, 1, 40, 25),
        services={"unused": "pkg.a.A", "other": "pkg.b.B"},
        rss=5 * GIB,
        total=8 * GIB,
    )
    return report, live


class HealthReportTests(unittest.TestCase):
    def test_render_of_a_bad_report_fits_a_screen(self) -> None:
        """Eight failing or warning checks: at most 20 lines, none too wide."""
        report, live = _bad_report()
        health = check_health(report, live, strict=True)
        self.assertEqual({check.status for check in health.checks}, {"warn", "fail"})
        self.assertEqual(len(health.checks), 8)
        for width in (40, 70, 120):
            with self.subTest(width=width):
                lines = health.render(width).splitlines()
                self.assertLessEqual(len(lines), MAX_LINES)
                self.assertEqual(MAX_LINES, 20)
                self.assertLessEqual(max(len(line) for line in lines), width)
                for name in CHECKS:
                    self.assertEqual(
                        sum(line.startswith(f"{name} ... ") for line in lines), 1
                    )
                self.assertEqual(lines[-2], "Ran 8 health checks")
                self.assertEqual(lines[-1], "FAILED (failures=3, warnings=5)")
        lines = health.render().splitlines()
        self.assertTrue(lines[0].startswith("Health checks:"))
        self.assertIn(
            "leaks ... FAIL (12 in 12 tests: tests.test_module", "\n".join(lines)
        )

    def test_render_gives_room_to_failures_first(self) -> None:
        """With room for little, failed checks' advice comes before warnings'."""
        report, live = _bad_report()
        lines = check_health(report, live, strict=True).render().splitlines()
        under: dict[str, int] = {}
        current = ""
        for line in lines:
            if " ... " in line:
                current = line.split(" ... ")[0]
            elif line.startswith("    "):
                under[current] = under.get(current, 0) + 1
        for name in ("leaks", "memory", "degraded variants"):
            self.assertGreaterEqual(under.get(name, 0), 1, name)

    def test_render_of_a_good_report(self) -> None:
        """OK, with ok lines only; skipped checks read like unittest's."""
        health = check_health(_report(builds=1), strict=False)
        lines = health.render().splitlines()
        self.assertIn("leaks ... ok (none)", lines)
        self.assertIn("memory ... skipped 'no live figures'", lines)
        self.assertEqual(lines[-1], "OK (skipped=4)")
        self.assertEqual(lines[-3], "-" * 70)
        self.assertFalse(any(line.startswith("    ") for line in lines))

    def test_render_width_is_checked(self) -> None:
        """A width below 40, or not an int, is refused."""
        health = HealthReport.of([])
        with self.assertRaises(InvalidArgumentError):
            health.render(39)
        with self.assertRaises(ArgumentTypeError):
            health.render(70.0)  # type: ignore[arg-type]
        self.assertEqual(health.render().splitlines()[-1], "OK")

    def test_overall_is_the_worst_status(self) -> None:
        """of() computes overall; a wrong one is refused."""
        ok = HealthCheck("a", "ok", "r", "t", "")
        warn = HealthCheck("b", "warn", "r", "t", "do")
        fail = HealthCheck("c", "fail", "r", "t", "do")
        self.assertEqual(HealthReport.of([]).overall, "ok")
        self.assertEqual(HealthReport.of([ok, warn]).overall, "warn")
        self.assertEqual(HealthReport.of([fail, ok, warn]).overall, "fail")
        self.assertTrue(HealthReport.of([fail]).failed)
        self.assertFalse(HealthReport.of([warn]).failed)
        with self.assertRaisesRegex(InvalidArgumentError, "worst check is 'fail'"):
            HealthReport((fail,), "warn")

    def test_bad_checks_are_refused(self) -> None:
        """A status outside ok/warn/fail, or a non-str field, is refused."""
        with self.assertRaisesRegex(InvalidArgumentError, "'error'"):
            HealthCheck("a", "error", "r", "t", "")  # type: ignore[arg-type]
        with self.assertRaises(ArgumentTypeError):
            HealthCheck("a", "ok", 1, "t", "")  # type: ignore[arg-type]
        with self.assertRaises(ArgumentTypeError):
            HealthReport.of(["leaks"])  # type: ignore[list-item]
        with self.assertRaises(ArgumentTypeError):
            HealthReport.of([], [("memory",)])  # type: ignore[list-item]

    def test_to_dict_is_json(self) -> None:
        """to_dict gives every check's fields and the skipped checks."""
        report, live = _bad_report()
        data = json.loads(
            json.dumps(check_health(report, live, strict=False).to_dict())
        )
        self.assertEqual(data["overall"], "fail")
        self.assertEqual([item["name"] for item in data["checks"]], list(CHECKS))
        leaks = data["checks"][CHECKS.index("leaks")]
        self.assertEqual(
            set(leaks), {"name", "status", "reading", "threshold", "recommendation"}
        )
        self.assertIn("test_11", leaks["reading"])  # every id, not just the first
        self.assertEqual(data["skipped"], [])
        bare = check_health(_report(), strict=False).to_dict()
        self.assertEqual(
            bare["skipped"][0],
            {"name": "registry utilisation", "reason": "no live figures"},
        )


class LiveFiguresTests(unittest.TestCase):
    def test_round_trip(self) -> None:
        """to_dict and from_dict keep every figure."""
        live = _live(
            PoolFigures("a", 3, 1, 2, 25), services={"s": "p.S"}, rss=10, total=20
        )
        self.assertEqual(
            LiveFigures.from_dict(json.loads(json.dumps(live.to_dict()))), live
        )

    def test_malformed_figures_raise_report_error(self) -> None:
        """Missing or malformed fields raise ReportError naming them."""
        good = _live(PoolFigures("a", 3, 1, 2, 25)).to_dict()
        for change, pattern in (
            ({"pools": [{"name": "a"}]}, "no 'acquired'"),
            (
                {
                    "pools": [
                        {
                            "name": "a",
                            "acquired": 1,
                            "hits": 2,
                            "peak_leased": 0,
                            "max_size": 1,
                        }
                    ]
                },
                "exceed",
            ),
            ({"services": ["a"]}, "malformed"),
            ({"rss_bytes": -1}, "malformed"),
        ):
            with (
                self.subTest(change=change),
                self.assertRaisesRegex(ReportError, pattern),
            ):
                LiveFigures.from_dict({**good, **change})
        with self.assertRaisesRegex(ReportError, "JSON object"):
            LiveFigures.from_dict([])

    def test_capture_reads_registry_pools_and_memory(self) -> None:
        """capture() lists services with spec names, pool figures and RSS."""
        registry = mockpool.Registry()
        registry.register("tiny", _Tiny)
        registry.register("lazy", "tests.test_health:_Tiny")
        pool = Pool(registry, "tiny", min_size=0, max_size=7)
        held = {"lease": pool.acquire()}
        pool.release(held, "lease")
        held["lease"] = pool.acquire()
        live = LiveFigures.capture(registry, [pool])
        self.assertEqual(
            dict(live.services),
            {"tiny": f"{__name__}._Tiny", "lazy": "tests.test_health._Tiny"},
        )
        self.assertEqual(live.pools, (PoolFigures("tiny", 2, 1, 1, 7),))
        assert live.rss_bytes is not None and live.total_memory_bytes is not None
        self.assertGreater(live.rss_bytes, 1024 * 1024)
        self.assertGreater(live.total_memory_bytes, live.rss_bytes)
        self.assertIsNone(LiveFigures.capture(registry, [], memory=False).rss_bytes)

    def test_default_capture_counts_every_pool_of_the_process(self) -> None:
        """Without pools, the usage recorder's figures for each pool name."""
        registry = mockpool.Registry()
        name = "health-capture-probe"
        registry.register(name, _Tiny)
        pool = mockpool.PoolManager(min_size=0, max_size=3).pool_for(registry, name)
        held = {"lease": pool.acquire()}
        pool.release(held, "lease")
        figures = {p.name: p for p in LiveFigures.capture(registry, memory=False).pools}
        self.assertEqual(figures[name].acquired, 1)
        self.assertEqual(figures[name].peak_leased, 1)


def _env(directory: str, **extra: str) -> dict[str, str]:
    """The environment of a subprocess that imports this checkout."""
    env = dict(os.environ)
    for name in ("MOCKPOOL_HISTORY", "MOCKPOOL_REPORT_DIR", "MOCKPOOL_RUN_ID"):
        env.pop(name, None)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = _ROOT + (os.pathsep + path if path else "")
    env["MOCKPOOL_DIR"] = directory
    env["MOCKPOOL_STRICT"] = "0"
    env.update(extra)
    return env


def _write_json(path: str, data: Any) -> str:
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(data, stream)
    return path


class ReportCommandTests(unittest.TestCase):
    """``python -m mockpool report``, in a subprocess."""

    def setUp(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="mockpool-health-")
        self.addCleanup(_rmtree, self.directory)

    def report(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mockpool", "report", *args],
            cwd=self.directory,
            env=_env(os.path.join(self.directory, "history"), **env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def test_healthy_report_exits_0(self) -> None:
        """A report without failures: the run report, the checks, status 0."""
        path = _write_json(self.path("r.json"), _report(hits=15, builds=5).to_dict())
        done = self.report(path)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("mockpool: 1 tests run, worker w", done.stdout)
        self.assertIn("Health checks:", done.stdout)
        self.assertIn("leaks ... ok (none)", done.stdout)
        self.assertIn("\nOK (skipped=3)\n", done.stdout)
        self.assertIn("no live figures", done.stdout)
        self.assertEqual(done.stderr, "")

    def test_failing_check_exits_1(self) -> None:
        """A leak fails: status 1, the test id printed."""
        leaks = (("suite.T.test_leaky", "patch not undone", "pkg.mod.thing"),)
        path = _write_json(
            self.path("r.json"), _report(builds=1, leaks=leaks).to_dict()
        )
        done = self.report(path)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("leaks ... FAIL (1 in 1 test: suite.T.test_leaky)", done.stdout)
        self.assertIn("FAILED (failures=1", done.stdout)

    def test_warnings_alone_exit_0(self) -> None:
        """Warnings do not fail the command."""
        report = _report(builds=20, discards={DiscardReason.ESCAPED: 10})
        done = self.report(_write_json(self.path("r.json"), report.to_dict()))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("discards ... WARN", done.stdout)
        self.assertIn("OK (warnings=1", done.stdout)

    def test_strict_option_fails_degraded_mocks(self) -> None:
        """--strict (or strict mode) turns a degraded mock into a failure."""
        path = _write_json(self.path("r.json"), _report(degraded=1).to_dict())
        self.assertEqual(self.report(path).returncode, 0)
        self.assertEqual(self.report(path, "--strict").returncode, 1)
        self.assertEqual(self.report(path, MOCKPOOL_STRICT="1").returncode, 1)

    def test_json_output(self) -> None:
        """--json prints one JSON object; the status still follows the checks."""
        leaks = (("suite.T.test_leaky", "patch not undone", "pkg.mod.thing"),)
        path = _write_json(self.path("r.json"), _report(leaks=leaks).to_dict())
        done = self.report(path, "--json")
        self.assertEqual(done.returncode, 1, done.stderr)
        data = json.loads(done.stdout)
        self.assertEqual(data["path"], path)
        self.assertEqual(data["report"]["leaks"][0]["test_id"], "suite.T.test_leaky")
        self.assertIsNone(data["live"])
        self.assertEqual(data["health"]["overall"], "fail")
        statuses = {item["name"]: item["status"] for item in data["health"]["checks"]}
        self.assertEqual(statuses["leaks"], "fail")

    def test_reads_a_combined_report(self) -> None:
        """A file written by combine --json is a valid input."""
        workers = self.path("workers")
        os.mkdir(workers)
        for worker in ("gw0", "gw1"):
            report = _report(builds=3, worker=worker)
            _write_json(
                os.path.join(workers, f"mockpool-report-{worker}.json"),
                report.to_dict(),
            )
        merged = self.path("merged.json")
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(main(["combine", workers, "--json", merged]), 0)
        done = self.report(merged)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("mockpool: 2 tests run, 2 workers (gw0, gw1)", done.stdout)

    def test_missing_file_exits_2_and_says_how_to_make_one(self) -> None:
        """A missing file: status 2, the path, and how to produce a report."""
        missing = self.path("nope.json")
        done = self.report(missing)
        self.assertEqual(done.returncode, 2)
        self.assertEqual(done.stdout, "")
        self.assertIn(f"no report file at {missing!r}", done.stderr)
        self.assertIn("python -m mockpool run", done.stderr)
        self.assertIn("--report-json", done.stderr)

    def test_missing_last_run_exits_2(self) -> None:
        """No PATH and no last run: status 2 naming the last-run file."""
        done = self.report()
        self.assertEqual(done.returncode, 2)
        expected = os.path.join(self.directory, "history", "last-run.json")
        self.assertIn(f"no last run at {expected!r}", done.stderr)

    def test_corrupt_files_exit_2(self) -> None:
        """Not JSON, or JSON that is not a report: status 2 naming the file."""
        garbage = self.path("garbage.json")
        with open(garbage, "wb") as stream:
            stream.write(b'{"format": 1, "tests": \xff')
        not_report = _write_json(self.path("other.json"), {"format": 1, "tests": "x"})
        truncated = self.path("truncated.json")
        with open(truncated, "w", encoding="utf-8") as stream:
            stream.write(json.dumps(_report().to_dict())[:40])
        bad_live = _write_json(
            self.path("bad-live.json"), {**_report().to_dict(), "live": {"pools": 3}}
        )
        for path in (garbage, not_report, truncated, bad_live):
            with self.subTest(path=os.path.basename(path)):
                done = self.report(path)
                self.assertEqual(done.returncode, 2, done.stdout)
                self.assertIn("corrupt mockpool report", done.stderr)
                self.assertIn(repr(path), done.stderr)
                self.assertIn("python -m mockpool run", done.stderr)
                self.assertNotIn("Traceback", done.stderr)
        directory = self.report(self.directory)
        self.assertEqual(directory.returncode, 2)
        self.assertIn("is a directory", directory.stderr)

    def test_usage(self) -> None:
        """--help exits 0; the top-level usage lists report."""
        self.assertEqual(self.report("--help").returncode, 0)
        self.assertEqual(self.report("--bogus").returncode, 2)
        with contextlib.redirect_stdout(io.StringIO()) as out:
            main(["--help"])
        self.assertIn("python -m mockpool report [PATH] [--json]", out.getvalue())


_TINY_SUITE = {
    "__init__.py": "",
    "target.py": "value = 0\n",
    "test_tiny.py": textwrap.dedent(
        """\
        import unittest
        from unittest import mock


        class Thing:
            def get(self, key):
                return key


        class TinyTests(unittest.TestCase):
            def test_calls(self):
                thing = mock.create_autospec(Thing, instance=True)
                thing.get("x")
                thing.get.assert_called_once_with("x")

            def test_signature(self):
                thing = mock.create_autospec(Thing, instance=True)
                with self.assertRaises(TypeError):
                    thing.get()
        """
    ),
}
_LEAKY_TEST = textwrap.dedent(
    """\
    import unittest
    from unittest import mock


    class LeakyTests(unittest.TestCase):
        def test_leaks(self):
            mock.patch("tinysuite.target.value", 1).start()
    """
)


class LastRunTests(unittest.TestCase):
    """The last-run file, written by real runs in subprocesses."""

    def setUp(self) -> None:
        self.root = tempfile.mkdtemp(prefix="mockpool-lastrun-")
        self.addCleanup(_rmtree, self.root)
        self.history = os.path.join(self.root, "history")
        self.last = os.path.join(self.history, "last-run.json")
        package = os.path.join(self.root, "tinysuite")
        os.mkdir(package)
        for name, text in _TINY_SUITE.items():
            with open(os.path.join(package, name), "w", encoding="utf-8") as stream:
                stream.write(text)

    def add_leaky_test(self) -> None:
        path = os.path.join(self.root, "tinysuite", "test_leaky.py")
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(_LEAKY_TEST)

    def mockpool(
        self, *args: str, history: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mockpool", *args],
            cwd=self.root,
            env=_env(self.history if history is None else history, **env),
            capture_output=True,
            text=True,
            timeout=300,
        )

    def run_suite(self, **env: str) -> subprocess.CompletedProcess[str]:
        done = self.mockpool("run", "discover", "-s", "tinysuite", "-t", ".", **env)
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        return done

    def test_run_writes_the_last_run(self) -> None:
        """python -m mockpool run writes last-run.json, live figures included."""
        self.run_suite()
        report, live = _last_run.read_run(self.last)
        self.assertEqual(report.tests, 2)
        self.assertEqual(report.acquired, 2)
        self.assertIn("tinysuite.test_tiny.Thing", report.specs)
        assert live is not None
        assert live.rss_bytes is not None
        self.assertGreater(live.rss_bytes, 0)
        pools = {pool.name: pool for pool in live.pools}
        self.assertEqual(pools["tinysuite.test_tiny.Thing"].acquired, 2)
        # A JSON reader of combine's kind reads it too.
        self.assertEqual(RunReport.from_dict(_read(self.last)).tests, 2)
        self.assertEqual(
            [name for name in os.listdir(self.history) if name.endswith(".tmp")], []
        )

        done = self.mockpool("report")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("mockpool: 2 tests run", done.stdout)
        self.assertIn("memory ... ok (RSS ", done.stdout)
        self.assertIn("concurrency ... ok (peak 1 leased", done.stdout)
        self.assertIn("Ran 8 health checks", done.stdout)
        self.assertNotIn("skipped", done.stdout)

    def test_a_leaky_run_fails_the_report(self) -> None:
        """The leak's test id reaches the report, which exits 1."""
        self.add_leaky_test()
        self.run_suite()
        done = self.mockpool("report")
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("LeakyTests.test_leaks", done.stdout)
        self.assertIn("leaks ... FAIL", done.stdout)

    def test_history_off_writes_nothing(self) -> None:
        """MOCKPOOL_HISTORY=0: no last-run file."""
        self.run_suite(MOCKPOOL_HISTORY="0")
        self.assertFalse(os.path.exists(self.last))

    def test_unwritable_directory_warns_once_and_the_run_passes(self) -> None:
        """A history directory that cannot be made: one warning, status 0."""
        blocker = os.path.join(self.root, "blocker")
        with open(blocker, "w", encoding="utf-8"):
            pass
        done = self.mockpool(
            "run",
            "discover",
            "-s",
            "tinysuite",
            "-t",
            ".",
            history=os.path.join(blocker, "history"),
        )
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        self.assertEqual(done.stderr.count("HistoryWarning"), 1, done.stderr)
        self.assertIn("Ran 2 tests", done.stderr)

    def test_report_json_file_is_a_valid_input(self) -> None:
        """run --report-json PATH, then report PATH: status 0."""
        path = os.path.join(self.root, "r.json")
        self.mockpool(
            "run", "--report-json", path, "discover", "-s", "tinysuite", "-t", "."
        )
        done = self.mockpool("report", path)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("mockpool: 2 tests run", done.stdout)

    @unittest.skipUnless(
        importlib.util.find_spec("pytest") is not None, "pytest is not installed"
    )
    def test_pytest_plugin_writes_the_last_run(self) -> None:
        """pytest --mockpool writes the last run at unconfigure."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--mockpool",
                "tinysuite",
            ],
            cwd=self.root,
            env=_env(self.history),
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.assertEqual(done.returncode, 0, done.stdout[-3000:] + done.stderr[-2000:])
        report, live = _last_run.read_run(self.last)
        self.assertEqual(report.tests, 2)
        self.assertIsNotNone(live)


class WriteLastRunTests(unittest.TestCase):
    """write_last_run in this process."""

    def setUp(self) -> None:
        self.root = tempfile.mkdtemp(prefix="mockpool-lastrun-")
        self.addCleanup(_rmtree, self.root)

    def test_writes_report_and_live_figures(self) -> None:
        """The file holds the report's dict plus "live"."""
        report = _report(builds=2)
        live = _live(PoolFigures("a", 1, 0, 1, 25), rss=1, total=2)
        path = _last_run.write_last_run(report, live, directory=self.root)
        assert path is not None
        self.assertEqual(path, os.path.join(self.root, "last-run.json"))
        data = _read(path)
        self.assertEqual(data.pop("live"), live.to_dict())
        self.assertEqual(data, report.to_dict())
        read_report, read_live = _last_run.read_run(path)
        self.assertEqual(read_report.to_dict(), report.to_dict())
        self.assertEqual(read_live, live)

    def test_history_off(self) -> None:
        """With history off nothing is written."""
        with mock.patch.dict(os.environ, {"MOCKPOOL_HISTORY": "0"}):
            self.assertIsNone(
                _last_run.write_last_run(_report(), _live(), directory=self.root)
            )
        self.assertEqual(os.listdir(self.root), [])

    def test_unwritable_warns_once(self) -> None:
        """Two failed writes to one directory: one HistoryWarning, no exception."""
        blocker = os.path.join(self.root, "blocker")
        with open(blocker, "w", encoding="utf-8"):
            pass
        target = os.path.join(blocker, "history")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(2):
                self.assertIsNone(
                    _last_run.write_last_run(_report(), _live(), directory=target)
                )
        self.assertEqual(len(caught), 1, [str(w.message) for w in caught])
        self.assertIsInstance(caught[0].message, HistoryWarning)
        self.assertIn(repr(target), str(caught[0].message))
        self.assertIn("MOCKPOOL_DIR", str(caught[0].message))

    def test_default_path_follows_mockpool_dir(self) -> None:
        """Without a run begun here, MOCKPOOL_DIR names the directory."""
        from mockpool._learning import lifecycle as _learning

        environ = {"MOCKPOOL_DIR": self.root}
        state = _learning.state()
        with (
            mock.patch.object(state, "store", None),
            mock.patch.dict(os.environ, environ),
        ):
            path = _last_run.last_run_path()
        self.assertEqual(path, os.path.join(self.root, "last-run.json"))


def _options(field: str, value: object) -> dict[str, Any]:
    return {field: value}


def _read(path: str) -> Any:
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def _rmtree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
