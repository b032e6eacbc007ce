"""Tests for dynamic adaptation: each trigger driven by injected readings."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import unittest
from typing import Any
from unittest import mock

import mockpool
from mockpool._autospec.pristine import DiscardReason
from mockpool._pools import adapt as _adapt
from mockpool._pools.adapt import Adapter, Thresholds
from mockpool._pools.pool import Pool
from mockpool._reporting import worker_files as _worker_files
from mockpool._reporting.run_report import Adaptation, RunReport

MIB = 1024 * 1024


class Cache:
    """A service with a signature worth checking."""

    def get(self, key: str, *, timeout: float = 1.0) -> bytes:
        return b""

    async def ping(self) -> bool:
        return True


def _enforcement(built: Any) -> list[Any]:
    """What a test relies on a mock of Cache to enforce."""
    seen: list[Any] = []
    for args in ((), ("k", 1)):
        try:
            built.get(*args)
        except TypeError as exc:
            seen.append(("TypeError", str(exc)))
    try:
        built.missing
    except AttributeError as exc:
        seen.append(("AttributeError", str(exc)))
    seen.append(isinstance(built.ping, mock.AsyncMock))
    return seen


_EXPECTED = _enforcement(mock.create_autospec(Cache, instance=True))


class AdaptTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.adapter = Adapter(deterministic=True)
        previous = _adapt.set_adapter(self.adapter)
        self.addCleanup(_adapt.set_adapter, previous)
        self.registry = mockpool.Registry()
        self.registry.register("Cache", Cache)

    def pool(self, **options: Any) -> Pool:
        return Pool(self.registry, "Cache", **options)

    def assert_still_enforces(self, pool: Pool) -> None:
        lease = pool.acquire()
        self.assertEqual(_enforcement(lease.mock), _EXPECTED)

    def only_decision(self) -> _adapt.Decision:
        decisions = self.adapter.decisions
        self.assertEqual(len(decisions), 1, decisions)
        return decisions[0]


class TriggerTests(AdaptTestCase):
    def test_slow_build_switches_to_the_lazy_autospec(self) -> None:
        """Build time > 100 ms: autospec -> lazy, logged; same enforcement."""
        pool = self.pool(variant="autospec")
        self.adapter.observe_build(pool, 0.099)
        self.assertIs(pool.variant, mockpool.Variant.AUTOSPEC)
        self.adapter.observe_build(pool, 0.150)
        self.assertIs(pool.variant, mockpool.Variant.LAZY)
        decision = self.only_decision()
        self.assertEqual(
            (decision.trigger, decision.service, decision.reading, decision.threshold),
            ("build time", "Cache", 0.150, 0.100),
        )
        self.assertEqual(decision.action, "variant autospec -> lazy")
        self.assert_still_enforces(pool)

    def test_memory_growth_makes_every_pool_lean(self) -> None:
        """Memory > 50 MiB over the baseline: pools keep 2 idle; same checks."""
        pool = self.pool()
        pool.warm(10)
        self.adapter.observe_pool(pool)
        self.adapter.observe_memory(300 * MIB)
        self.adapter.observe_memory(340 * MIB)
        self.assertEqual(pool.max_size, 25)
        self.adapter.observe_memory(351 * MIB)
        self.assertEqual(pool.max_size, 2)
        self.assertEqual(pool.stats().idle, 2)
        decision = self.only_decision()
        self.assertEqual((decision.trigger, decision.service), ("memory", "*"))
        self.assertEqual(decision.reading, 51 * MIB)
        later = Pool(self.registry, "Cache")
        self.adapter.observe_pool(later)
        self.assertEqual(later.max_size, 2, "a pool met later is lean too")
        self.assert_still_enforces(pool)

    def test_error_rate_turns_recycling_off(self) -> None:
        """Errors > 5 % of acquisitions: recycling off; mocks still enforce."""
        pool = self.pool()
        for _ in range(40):
            self.adapter.observe_acquire(pool, 1)
        self.adapter.observe_error(pool)
        self.adapter.observe_error(pool)
        self.assertTrue(pool.recycle, "2 of 40 is exactly 5 %: not above")
        self.adapter.observe_error(pool)
        self.assertFalse(pool.recycle)
        self.assertEqual(self.only_decision().trigger, "error rate")
        holder = {"k": pool.acquire()}
        first = holder["k"].mock
        pool.release(holder, "k")
        del first
        self.assertEqual(
            pool.stats().discards, {DiscardReason.RECYCLING_OFF: 1}, pool.stats()
        )
        self.assert_still_enforces(pool)

    def test_error_rate_waits_for_enough_samples(self) -> None:
        """One error in the first acquisitions is not a rate."""
        pool = self.pool()
        self.adapter.observe_acquire(pool, 1)
        self.adapter.observe_error(pool)
        self.assertTrue(pool.recycle)
        self.assertEqual(self.adapter.decisions, [])

    def test_concurrency_scales_the_pool(self) -> None:
        """More than 20 leased at once: twice the room, logged."""
        pool = self.pool()
        self.adapter.observe_acquire(pool, 20)
        self.assertEqual(pool.max_size, 25)
        self.adapter.observe_acquire(pool, 21)
        self.assertEqual(pool.max_size, 50)
        self.adapter.observe_acquire(pool, 30)
        self.assertEqual(pool.max_size, 50, "each trigger acts once per pool")
        self.assertEqual(self.only_decision().action, "pool max idle 25 -> 50")
        self.assert_still_enforces(pool)

    def test_pool_builds_report_to_the_adapter(self) -> None:
        """A real build and acquisition reach the monitors."""
        self.adapter.thresholds = Thresholds(build_seconds=0.0, concurrency=1)
        pool = self.pool(variant="autospec")
        first = pool.acquire()
        second = pool.acquire()
        self.assertIs(pool.variant, mockpool.Variant.LAZY)
        triggers = [decision.trigger for decision in self.adapter.decisions]
        self.assertEqual(triggers, ["build time", "concurrency"])
        self.assertEqual(_enforcement(second.mock), _EXPECTED)
        del first, second

    def test_decisions_reach_the_run_report(self) -> None:
        """Each decision is a line of the report: trigger, service, action."""
        report = RunReport("adapt-test")
        with mock.patch.object(_worker_files, "_report", report):
            self.adapter.observe_acquire(self.pool(), 21)
        self.assertEqual(
            report.adaptations,
            [Adaptation("concurrency", "Cache", "pool max idle 25 -> 50")],
        )
        self.assertIn("concurrency: Cache: pool max idle 25 -> 50", report.render())
        copy = RunReport.from_dict(report.to_dict())
        self.assertEqual(copy.adaptations, report.adaptations)

    def test_pinned_policy_is_never_adapted(self) -> None:
        """A service registered with adaptation="pinned" keeps its way."""
        self.registry.register("Pinned", Cache, policy={"adaptation": "pinned"})
        pool = Pool(self.registry, "Pinned", variant="autospec")
        self.adapter.observe_build(pool, 5.0)
        self.adapter.observe_acquire(pool, 500)
        self.assertIs(pool.variant, mockpool.Variant.AUTOSPEC)
        self.assertEqual(pool.max_size, 25)
        self.assertEqual(self.adapter.decisions, [])


class ReproductionTests(AdaptTestCase):
    def test_pinned_adapter_replays_decisions_without_readings(self) -> None:
        """Adapter.pinned_to(decisions) adapts new pools the same way."""
        pool = self.pool(variant="autospec")
        self.adapter.observe_build(pool, 1.0)
        self.adapter.observe_acquire(pool, 99)
        recorded = [decision.to_dict() for decision in self.adapter.decisions]
        replay = Adapter.pinned_to(recorded)
        fresh = self.pool(variant="autospec")
        replay.observe_build(fresh, 0.0)
        self.assertIs(fresh.variant, mockpool.Variant.LAZY)
        self.assertEqual(fresh.max_size, 50)
        self.assertEqual(
            [d.to_dict() for d in replay.decisions],
            recorded,
        )
        other = Pool(self.registry, "Cache", variant="autospec")
        replay.observe_acquire(other, 999)
        self.assertIs(other.variant, mockpool.Variant.LAZY)
        self.assertEqual(other.max_size, 50, "replayed, not re-measured")
        self.assertEqual([d.to_dict() for d in replay.decisions], recorded * 2)

    def test_pinned_to_refuses_unknown_triggers(self) -> None:
        """A decision with an unknown trigger names it."""
        with self.assertRaisesRegex(mockpool.InvalidArgumentError, "'speed'"):
            Adapter.pinned_to(
                [
                    {
                        "trigger": "speed",
                        "service": "x",
                        "reading": 1.0,
                        "threshold": 0.5,
                        "action": "?",
                    }
                ]
            )

    def test_disabled_adapter_does_nothing(self) -> None:
        """enabled=False: readings past every threshold change nothing."""
        adapter = Adapter(deterministic=True, enabled=False)
        pool = self.pool(variant="autospec")
        adapter.observe_build(pool, 9.0)
        adapter.observe_acquire(pool, 99)
        self.assertIs(pool.variant, mockpool.Variant.AUTOSPEC)
        self.assertEqual(adapter.decisions, [])


class ThresholdTests(unittest.TestCase):
    def test_defaults_are_the_seeds(self) -> None:
        """100 ms, 50 MiB, 5 %, 20."""
        self.assertEqual(Thresholds(), Thresholds(0.1, 50 * MIB, 0.05, 20))

    def test_bad_thresholds_name_the_value(self) -> None:
        """Negative, non-finite, non-numeric and >1 rates are refused."""
        for kwargs, error, pattern in (
            ({"build_seconds": -1}, mockpool.InvalidArgumentError, "-1"),
            ({"memory_bytes": float("nan")}, mockpool.InvalidArgumentError, "nan"),
            ({"error_rate": 5}, mockpool.InvalidArgumentError, "0.05"),
            ({"concurrency": "20"}, mockpool.ArgumentTypeError, "'20'"),
            ({"concurrency": True}, mockpool.ArgumentTypeError, "True"),
        ):
            with self.subTest(kwargs), self.assertRaisesRegex(error, pattern):
                Thresholds(**kwargs)

    def test_set_adapter_refuses_other_objects(self) -> None:
        """set_adapter takes an Adapter only."""
        with self.assertRaisesRegex(mockpool.ArgumentTypeError, "None"):
            _adapt.set_adapter(None)  # type: ignore[arg-type]


class EnvironmentTests(unittest.TestCase):
    def from_env(self, value: str) -> Adapter:
        previous = _adapt.current_adapter()
        self.addCleanup(_adapt.set_adapter, previous)
        with mock.patch.dict(os.environ, {_adapt.ADAPTATION_ENV: value}):
            _adapt.reload_settings()  # read at first use, then kept
            return _adapt.current_adapter()

    def test_off_disables_and_auto_enables(self) -> None:
        """MOCKPOOL_ADAPTATION=off turns adaptation off; auto keeps it on."""
        self.assertFalse(self.from_env("off").enabled)
        self.assertTrue(self.from_env("auto").enabled)

    def test_a_report_pins_the_run_to_its_adaptations(self) -> None:
        """A --report-json file replays the adaptations it recorded."""
        report = RunReport("w")
        report.record_adaptation("concurrency", "Cache", "pool max idle 25 -> 50")
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "report.json")
            with open(path, "w", encoding="utf-8") as stream:
                json.dump(report.to_dict(), stream)
            adapter = self.from_env(path)
        registry = mockpool.Registry()
        registry.register("Cache", Cache)
        pool = Pool(registry, "Cache")
        adapter.observe_acquire(pool, 1)
        self.assertEqual(pool.max_size, 50)

    def test_anything_else_names_the_value_and_the_fix(self) -> None:
        """A value that is neither a switch nor a report is refused in code."""
        with self.assertRaisesRegex(
            mockpool.InvalidArgumentError, r"'/no/such/report\.json'.*--report-json"
        ):
            _adapt.adapter_from_setting("/no/such/report.json")


class MemoryReadingTests(unittest.TestCase):
    """Memory is read during tests: through nothing a test may patch or hide."""

    def setUp(self) -> None:
        registry = mockpool.Registry()
        registry.register("Cache", Cache)
        self.pool = Pool(registry, "Cache")

    @unittest.skipUnless(sys.platform.startswith("linux"), "reads /proc on Linux")
    def test_reading_calls_no_patched_open_and_needs_no_psutil(self) -> None:
        """builtins.open a mock_open, psutil hidden: the reading still works."""
        adapter = Adapter()
        fake_open = mock.mock_open(read_data="0 0")
        with (
            mock.patch("builtins.open", fake_open),
            mock.patch.dict(sys.modules, {"psutil": None}),
        ):
            adapter.observe_acquire(self.pool, 1)  # the first reading: baseline
            used = adapter._read_memory()
        fake_open.assert_not_called()
        self.assertIsInstance(used, int)
        self.assertGreater(used or 0, 1 * MIB)
        self.assertIsNotNone(adapter._memory_start)

    def test_a_failing_reading_is_unknown_not_an_error(self) -> None:
        """A reader that raises: no error, no baseline, no decision."""
        adapter = Adapter(memory=mock.Mock(side_effect=OSError("no /proc")))
        for _ in range(_adapt.MEMORY_EVERY + 1):
            adapter.observe_acquire(self.pool, 1)
        self.assertIsNone(adapter._memory_start)
        self.assertEqual(adapter.decisions, [])

    def test_psutil_hidden_when_needed_means_memory_unknown(self) -> None:
        """Off Linux psutil is imported when the reader is found; hidden, the
        memory is unknown and the monitor is skipped."""
        with mock.patch.dict(sys.modules, {"psutil": None}):
            self.assertIsNone(_adapt._find_reader("darwin"))
        with mock.patch.object(_adapt, "_reader", None):  # as found so
            adapter = Adapter()
        adapter.observe_acquire(self.pool, 1)
        self.assertIsNone(adapter._memory_start)

    def test_the_reader_is_found_when_the_adapter_is_made(self) -> None:
        """Found (psutil imported, page size asked) by the adapter's
        constructor, not by its first reading during a test."""
        with mock.patch.object(_adapt, "_reader", _adapt._UNRESOLVED):
            with mock.patch.object(
                _adapt, "_find_reader", return_value=lambda: 7
            ) as find:
                adapter = Adapter()
                find.assert_called_once_with()
                Adapter()  # found once per process
                find.assert_called_once_with()
            self.assertEqual(adapter._read_memory(), 7)
        deterministic = Adapter(deterministic=True)
        self.assertIsNone(deterministic._memory)
