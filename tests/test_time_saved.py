"""Tests for the run report's time saved against ``unittest.mock``.

The arithmetic (each compared request saves the stdlib's cost of its spec
minus mockpool's cost of it, apart for pool hits and lazy builds), the
measurement of the stdlib's cost (once per spec and kind, off the test's
clock, never changing an outcome, never keeping the mock), the report's
JSON and text forms, and -- with ``MOCKPOOL_SLOW_TESTS=1`` -- the check
against reality on the bundled suite.
"""

from __future__ import annotations

import gc
import importlib
import io
import itertools
import json
import os
import resource
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
import types
import unittest
import warnings
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from unittest import mock

import mockpool
from mockpool._autospec import plain as _plain
from mockpool._base import stdlib as _stdlib
from mockpool._integration import dropin as _dropin
from mockpool._learning import costs as _costs
from mockpool._learning import history as _history
from mockpool._learning.costs import (
    COST_SAMPLES,
    INTERPRETER,
    CostMemory,
    RememberedCost,
)
from mockpool._learning.usage import UsageRecorder
from mockpool._pools import spec_pools
from mockpool._reporting import plain_cost, run_report, stdlib_cost
from mockpool._reporting import worker_files as _worker_files
from mockpool._reporting.run_report import PlainSaving, RunReport, StdlibSaving
from mockpool._reporting.stdlib_cost import AutospecCall

_ROOT = Path(__file__).resolve().parent.parent
# The real one: RememberedCostTests patch it (coverage sets a tracer).
_UNDER_OBSERVATION = run_report._under_observation


class Gateway:
    """A spec for the tests below."""

    def send(self, payload: bytes) -> int:
        return len(payload)


def _send(payload: bytes) -> int:
    return len(payload)


def _each_through_measure(
    keys: Iterable[plain_cost.PlainKey],
    go_on: Callable[[float], bool] | None = None,
    expected: Any = None,
) -> dict[plain_cost.PlainKey, tuple[float, float] | None]:
    """plain_cost.measure_kinds as the tests below fake it: each kind
    through plain_cost.measure, which they patch, while *go_on* allows."""
    measured: dict[plain_cost.PlainKey, tuple[float, float] | None] = {}
    for key in keys:
        if go_on is not None and not go_on(0.0):
            break
        measured[key] = plain_cost.measure(key)
    return measured


def _over_budget() -> Any:
    """A patch under which the run can afford no measuring at all, of
    autospecs or plain kinds: its budget is below the nothing spent yet."""
    return mock.patch.object(RunReport, "_budget", return_value=-1.0)


class _CostsForgotten(unittest.TestCase):
    """Each test starts with no cost remembered (the process's memory is a
    fresh one): a cost an earlier test measured must not stand in for the
    measurement a test expects. Nor must what an earlier test's real
    measurement left as the suspension's expected cost decide whether this
    one can afford to measure."""

    def setUp(self) -> None:
        patcher = mock.patch.object(_costs, "_process_memory", CostMemory())
        patcher.start()
        self.addCleanup(patcher.stop)
        suspension = mock.patch.object(plain_cost, "_suspension_seconds", 0.0)
        suspension.start()
        self.addCleanup(suspension.stop)


class ArithmeticTests(_CostsForgotten):
    """What a request saves, once its spec's stdlib cost is known."""

    def setUp(self) -> None:
        super().setUp()
        self.costs = {Gateway: 0.010, _send: 0.002}
        patcher = mock.patch.object(
            stdlib_cost, "measure", side_effect=lambda call: self.costs[call.spec]
        )
        self.measure = patcher.start()
        self.addCleanup(patcher.stop)

    def test_saving_is_stdlib_cost_minus_mockpool_cost_per_request(self) -> None:
        """Hits and lazy builds each save the stdlib's cost minus their own."""
        report = RunReport(worker="w")
        call = (Gateway, False, True)
        report.record_acquire(
            "m.Gateway", hit=False, build_seconds=0.003, autospec=call
        )
        for seconds in (0.0001, 0.0003):
            report.record_acquire(
                "m.Gateway",
                hit=True,
                build_seconds=None,
                hand_out_seconds=seconds,
                autospec=call,
            )
        self.assertEqual(report.stdlib_saving, StdlibSaving())  # not measured yet
        report.measure_stdlib_costs("t")
        # Measured now: this request is compared at once.
        report.record_acquire(
            "m.Gateway", hit=False, build_seconds=0.004, autospec=call
        )
        saving = report.stdlib_saving
        self.assertEqual((saving.compared_hits, saving.compared_builds), (2, 2))
        self.assertAlmostEqual(saving.saved_on_hits, 2 * 0.010 - 0.0004)
        self.assertAlmostEqual(saving.saved_on_builds, 2 * 0.010 - 0.007)
        self.assertAlmostEqual(saving.seconds_saved, 4 * 0.010 - 0.0074)
        self.assertEqual(report.specs["m.Gateway"].stdlib_saving, saving)

    def test_a_slower_mockpool_saves_a_negative_amount(self) -> None:
        """A request that cost more than the stdlib's build counts as a loss."""
        report = RunReport(worker="w")
        report.record_acquire(
            "m._send", hit=False, build_seconds=0.005, autospec=(_send, False, False)
        )
        report.measure_stdlib_costs()
        self.assertAlmostEqual(report.stdlib_saving.saved_on_builds, 0.002 - 0.005)

    def test_measured_once_per_spec_and_kind(self) -> None:
        """Later tests reuse the cost; an instance and a class autospec differ."""
        report = RunReport(worker="w")
        for _ in range(3):
            for instance in (True, False):
                report.record_acquire(
                    "m.Gateway",
                    hit=False,
                    build_seconds=0.001,
                    autospec=(Gateway, False, instance),
                )
            report.measure_stdlib_costs()
        calls = [call.args[0] for call in self.measure.call_args_list]
        self.assertEqual(
            calls,
            [AutospecCall(Gateway, False, True), AutospecCall(Gateway, False, False)],
        )
        self.assertEqual(report.stdlib_saving.compared_builds, 6)

    def test_measuring_stays_within_its_budget_of_the_run(self) -> None:
        """Past its share of the process's CPU, a spec waits, requests kept,
        until the run can afford to measure it."""
        report = RunReport(worker="w")
        with mock.patch.object(run_report, "MEASURING_BUDGET", 0.0):
            for spec, instance in ((Gateway, True), (_send, False)):
                report.record_acquire(
                    "m.x",
                    hit=False,
                    build_seconds=0.001,
                    autospec=(spec, False, instance),
                )
            report.measure_stdlib_costs()
            self.assertEqual(self.measure.call_count, 1)  # the first is free
            report.record_acquire(
                "m.x", hit=False, build_seconds=0.001, autospec=(_send, False, False)
            )
            report.measure_stdlib_costs()
            self.assertEqual(self.measure.call_count, 1)
            self.assertEqual(report.stdlib_saving.compared_builds, 1)
        report.measure_stdlib_costs()
        self.assertEqual(self.measure.call_count, 2)
        self.assertEqual(report.stdlib_saving.compared_builds, 3)

    def test_the_budget_counts_what_the_run_would_have_cost(self) -> None:
        """The budget is a share of the CPU so far plus the time saved so far:
        a run that saved much affords to measure more."""
        clock = [1.0]

        def measure(call: AutospecCall) -> float:
            clock[0] += 0.05  # each measurement costs 50 ms
            return self.costs[call.spec]

        self.measure.side_effect = measure
        report = RunReport(worker="w")
        with mock.patch.object(run_report, "_process_time", lambda: clock[0]):
            gateway = (Gateway, False, True)
            report.record_acquire(
                "m.G", hit=False, build_seconds=0.001, autospec=gateway
            )
            report.measure_stdlib_costs()  # 50 ms of 1.05 s: now over 2 %
            send = (_send, False, False)
            report.record_acquire("m.s", hit=False, build_seconds=0.001, autospec=send)
            report.measure_stdlib_costs()
            self.assertEqual(self.measure.call_count, 1)
            # 300 hits each save 9.9 ms: 2.97 s saved, the run would have
            # cost 4 s under unittest.mock, whose 2 % affords the second.
            for _ in range(300):
                report.record_acquire(
                    "m.G",
                    hit=True,
                    build_seconds=None,
                    hand_out_seconds=0.0001,
                    autospec=gateway,
                )
            report.measure_stdlib_costs()
        self.assertEqual(self.measure.call_count, 2)
        self.assertEqual(report.stdlib_saving.compared_builds, 2)

    def test_measuring_waits_while_a_test_class_patches_builtins(self) -> None:
        """Measuring runs the stdlib's code: not while builtins.zip (say) is
        a test's mock, which would record the calls; after, it runs."""
        report = RunReport(worker="w")
        report.record_acquire(
            "m.G", hit=False, build_seconds=0.001, autospec=(Gateway, False, True)
        )
        with mock.patch("builtins.zip", side_effect=zip):
            report.measure_stdlib_costs()
        self.measure.assert_not_called()
        report.measure_stdlib_costs()
        self.measure.assert_called_once()

    def test_requests_without_a_call_or_a_time_are_not_compared(self) -> None:
        """No autospec call, or an unmeasured hand-out: counted, not compared."""
        report = RunReport(worker="w")
        report.record_acquire("m.Gateway", hit=False, build_seconds=0.001)
        report.record_acquire(
            "m.Gateway", hit=True, build_seconds=None, autospec=(Gateway, False, True)
        )
        report.measure_stdlib_costs()
        self.assertEqual(report.acquired, 2)
        self.assertEqual(report.stdlib_saving.compared, 0)
        self.measure.assert_not_called()

    def test_a_spec_the_stdlib_cannot_build_is_left_out(self) -> None:
        """measure() giving None leaves the spec's requests uncompared, for good."""
        self.costs[Gateway] = None  # type: ignore[assignment]
        report = RunReport(worker="w")
        for _ in range(2):
            report.record_acquire(
                "m.Gateway",
                hit=False,
                build_seconds=0.001,
                autospec=(Gateway, False, True),
            )
            report.measure_stdlib_costs()
        self.assertEqual(self.measure.call_count, 1)
        self.assertEqual(report.stdlib_saving, StdlibSaving())
        self.assertIn(
            "  pool hits 0.000s, lazy builds 0.000s; 2 requests not compared",
            report.render().splitlines(),
        )

    def test_bad_autospec_argument_names_the_fix(self) -> None:
        """An autospec that is not a triple is a TypeError naming the form."""
        report = RunReport(worker="w")
        with self.assertRaisesRegex(TypeError, r"\(spec, spec_set, instance\)"):
            report.record_acquire(
                "m.G",
                hit=False,
                build_seconds=0.1,
                autospec=Gateway,  # type: ignore[arg-type]
            )
        with self.assertRaisesRegex(ValueError, "hand_out_seconds"):
            report.record_acquire(
                "m.G", hit=True, build_seconds=None, hand_out_seconds=-1.0
            )


class MeasureTests(_CostsForgotten):
    """stdlib_cost.measure: the stdlib's own build, timed, then dropped."""

    def test_measures_the_stdlib_build_with_plain_mocks_unaccelerated(self) -> None:
        """Plain-mock acceleration is off while the stdlib builds, then back."""
        seen: list[bool] = []
        real = _stdlib.create_autospec

        def spy(*args: Any, **kwargs: Any) -> Any:
            seen.append(_plain.enabled())
            return real(*args, **kwargs)

        _plain.enable()
        try:
            with mock.patch.object(_stdlib, "create_autospec", spy):
                seconds = stdlib_cost.measure(AutospecCall(smtplib.SMTP, False, True))
            self.assertTrue(_plain.enabled())
        finally:
            _plain.disable()
        self.assertEqual(seen, [False])
        self.assertIsNotNone(seconds)
        self.assertGreater(seconds or 0.0, 0.0)

    def test_measures_with_the_garbage_collector_paused(self) -> None:
        """A collection of the whole heap must not land on one spec's
        figure; the collector is as it was afterwards, on or off."""
        seen: list[bool] = []
        real = _stdlib.create_autospec

        def spy(*args: Any, **kwargs: Any) -> Any:
            seen.append(gc.isenabled())
            return real(*args, **kwargs)

        self.addCleanup(gc.enable)
        with mock.patch.object(_stdlib, "create_autospec", spy):
            for enabled in (True, False):
                (gc.enable if enabled else gc.disable)()
                stdlib_cost.measure(AutospecCall(Gateway, False, True))
                self.assertEqual(gc.isenabled(), enabled)
        self.assertEqual(seen, [False, False])

    def test_the_built_mock_is_not_kept(self) -> None:
        """Nothing holds the stdlib's mock once measured."""
        built: list[weakref.ref[Any]] = []
        real = _stdlib.create_autospec

        def spy(*args: Any, **kwargs: Any) -> Any:
            result = real(*args, **kwargs)
            built.append(weakref.ref(result))
            return result

        with mock.patch.object(_stdlib, "create_autospec", spy):
            stdlib_cost.measure(AutospecCall(Gateway, False, True))
        gc.collect()
        self.assertEqual(len(built), 1)
        self.assertIsNone(built[0]())

    def test_unbuildable_and_instance_specs_give_none(self) -> None:
        """A spec the stdlib raises on, or an instance spec, is not measured."""
        with mock.patch.object(_stdlib, "create_autospec", side_effect=TypeError):
            self.assertIsNone(stdlib_cost.measure(AutospecCall(Gateway)))
        self.assertIsNone(stdlib_cost.measure(AutospecCall(Gateway())))

    def test_keys_by_qualified_name_and_kind(self) -> None:
        """Bound methods share their function's key; kinds follow the call."""
        key = stdlib_cost.cost_key
        self.assertEqual(
            key(AutospecCall(Gateway().send)),
            key(AutospecCall(Gateway().send)),
        )
        self.assertEqual(key(AutospecCall(Gateway().send))[1], "autospec_function")
        self.assertEqual(
            key(AutospecCall(Gateway, False, True))[1], "autospec_instance"
        )
        self.assertEqual(key(AutospecCall(Gateway))[1], "autospec_class")


class OffTheClockTests(_CostsForgotten):
    """Under the drop-in: measured when the test's scope has closed."""

    def setUp(self) -> None:
        super().setUp()
        installation = mockpool.install()
        self.addCleanup(installation.undo)
        spec_pools.clear()
        self.report = RunReport(worker="w")
        patcher = mock.patch.object(
            _worker_files, "process_report", return_value=self.report
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def run_case(self, case: type[unittest.TestCase]) -> unittest.TestResult:
        suite = unittest.TestLoader().loadTestsFromTestCase(case)
        with warnings.catch_warnings(record=True) as self.caught:
            warnings.simplefilter("always")
            return unittest.TextTestRunner(stream=io.StringIO()).run(suite)

    def test_measured_after_the_test_outside_its_scope(self) -> None:
        """The stdlib builds once per spec, with no test scope open, after
        the outcome is recorded; instance, class and function autospecs."""
        events: list[str] = []
        real = _stdlib.create_autospec

        def spy(*args: Any, **kwargs: Any) -> Any:
            scope = _dropin.current_scope()
            # Not the stdlib's own call for a class mock's return_value.
            if len(args) < 4 and kwargs.get("_parent") is None:
                events.append(f"stdlib build, scope {'open' if scope else 'closed'}")
            return real(*args, **kwargs)

        class Case(unittest.TestCase):
            def test_1(self) -> None:
                mock.create_autospec(Gateway, instance=True)
                mock.create_autospec(Gateway)
                mock.create_autospec(_send)
                events.append("test 1 ran")

            def test_2(self) -> None:
                mock.create_autospec(Gateway, instance=True)
                events.append("test 2 ran")

        # No budget to run out of (how much CPU the process spent before
        # this test varies): this test is about when and where.
        unlimited = mock.patch.object(run_report, "MEASURING_BUDGET", 1.0)
        with mock.patch.object(_stdlib, "create_autospec", spy), unlimited:
            result = self.run_case(Case)
        self.assertTrue(result.wasSuccessful())
        self.assertEqual(
            events,
            ["test 1 ran", *["stdlib build, scope closed"] * 3, "test 2 ran"],
        )
        saving = self.report.stdlib_saving
        self.assertEqual(saving.compared, 4)
        self.assertEqual(saving.compared_hits, self.report.hits)

    def test_a_failing_measurement_warns_and_changes_no_outcome(self) -> None:
        """An error while measuring is a warning naming the test, not a failure."""

        class Case(unittest.TestCase):
            def test_1(self) -> None:
                mock.create_autospec(Gateway, instance=True)

        with mock.patch.object(stdlib_cost, "measure", side_effect=RuntimeError("x")):
            result = self.run_case(Case)
        self.assertTrue(result.wasSuccessful())
        self.assertEqual(result.testsRun, 1)
        messages = [str(w.message) for w in self.caught]
        self.assertTrue(
            any("run report" in m and "test_1" in m for m in messages), messages
        )
        self.assertEqual(self.report.stdlib_saving.compared, 0)


class PlainSavingTests(_CostsForgotten):
    """Plain mocks: counted per kind, each kind measured once off the clock."""

    def setUp(self) -> None:
        super().setUp()
        self.costs = {None: (0.000090, 0.000030), smtplib.SMTP: (0.000200, 0.000050)}
        patcher = mock.patch.object(
            plain_cost, "measure", side_effect=lambda key: self.costs[key.spec]
        )
        self.measure = patcher.start()
        self.addCleanup(patcher.stop)
        kinds = mock.patch.object(plain_cost, "measure_kinds", _each_through_measure)
        kinds.start()
        self.addCleanup(kinds.stop)

    def test_saving_is_count_times_stdlib_minus_mockpool_per_kind(self) -> None:
        """Each kind measured once; its mocks of every test save the gap."""
        report = RunReport(worker="w")
        for _ in range(2):
            for _ in range(10):
                report.record_plain(mock.MagicMock, None)
            report.record_plain(mock.Mock, smtplib.SMTP)
            report.measure_stdlib_costs()
        self.assertEqual(
            [call.args[0] for call in self.measure.call_args_list],
            [
                plain_cost.PlainKey(mock.MagicMock, None),
                plain_cost.PlainKey(mock.Mock, smtplib.SMTP),
            ],
        )
        saving = report.plain_saving
        self.assertEqual((saving.built, saving.compared), (22, 22))
        self.assertAlmostEqual(saving.saved, 20 * 0.000060 + 2 * 0.000150)

    def test_kinds_the_budget_leaves_out_wait_for_a_later_test(self) -> None:
        """Kinds due at one test's end are measured together while the
        budget lasts; one it leaves out is not failed: its mocks wait, and
        are compared once a later test's end measures it."""
        calls: list[list[plain_cost.PlainKey]] = []
        costs: dict[Any, tuple[float, float]] = self.costs

        def first_only(
            keys: Iterable[plain_cost.PlainKey], go_on: Any = None, expected: Any = None
        ) -> dict[plain_cost.PlainKey, tuple[float, float] | None]:
            keys = list(keys)
            calls.append(keys)
            # The first call's budget ends after its first kind.
            measured = keys[:1] if len(calls) == 1 else keys
            return {key: costs[key.spec] for key in measured}

        report = RunReport(worker="w")
        with mock.patch.object(plain_cost, "measure_kinds", first_only):
            for _ in range(2):
                for _ in range(10):
                    report.record_plain(mock.MagicMock, None)
                report.record_plain(mock.Mock, smtplib.SMTP)
                report.measure_stdlib_costs()
                if len(calls) == 1:
                    saving = report.plain_saving
                    self.assertEqual((saving.built, saving.compared), (11, 10))
        self.assertEqual(
            calls,
            [
                [
                    plain_cost.PlainKey(mock.MagicMock, None),
                    plain_cost.PlainKey(mock.Mock, smtplib.SMTP),
                ],
                [plain_cost.PlainKey(mock.Mock, smtplib.SMTP)],
            ],
        )
        saving = report.plain_saving
        self.assertEqual((saving.built, saving.compared), (22, 22))
        self.assertAlmostEqual(saving.saved, 20 * 0.000060 + 2 * 0.000150)

    def test_a_tests_own_classes_and_objects_are_counted_never_kept(self) -> None:
        """A spec that is an instance, or a class made inside a test, is
        counted, not compared, and the report lets go of it."""

        class Local:
            pass

        report = RunReport(worker="w")
        instance = Gateway()
        report.record_plain(mock.Mock, instance)
        report.record_plain(mock.Mock, Local)
        report.measure_stdlib_costs()
        saving = report.plain_saving
        self.assertEqual((saving.built, saving.compared), (2, 0))
        self.measure.assert_not_called()
        witnesses: list[weakref.ref[Any]] = [weakref.ref(instance), weakref.ref(Local)]
        del instance, Local
        gc.collect()
        self.assertEqual([witness() for witness in witnesses], [None, None])

    def test_a_kind_never_compared_is_settled_as_it_is_counted(self) -> None:
        """Mocks with an instance as their spec are counted, not compared:
        once the report has seen the kind, their counts need no measuring
        after the test (which would run after every such test)."""
        report = RunReport(worker="w")
        kind = (mock.Mock, _plain.OTHER_SPEC)
        report.record_plain_counts({kind: 2})
        report.measure_stdlib_costs()
        report.record_plain_counts({kind: 3})
        self.assertFalse(report._plain_pending)
        saving = report.plain_saving
        self.assertEqual((saving.built, saving.compared), (5, 0))

    def test_json_merge_render_and_old_files(self) -> None:
        """The saving in JSON, summed by merge, printed as an estimate; a
        file written before it reads as none."""
        report = RunReport(worker="w")
        for _ in range(4):
            report.record_plain(mock.MagicMock, None)
        report.record_plain(mock.Mock, Gateway())
        report.measure_stdlib_costs()
        data = json.loads(json.dumps(report.to_dict()))
        plain = data["plain_mocks"]
        self.assertEqual((plain["built"], plain["compared"]), (5, 4))
        self.assertAlmostEqual(plain["saved"], 4 * 0.000060)
        merged = RunReport.merged([RunReport.from_dict(data), report])
        self.assertEqual(merged.plain_saving.built, 10)
        self.assertIn(
            "  plain mocks 0.000s (estimated, 5 built; 1 not compared)",
            report.render().splitlines(),
        )
        del data["plain_mocks"]
        self.assertEqual(RunReport.from_dict(data).plain_saving, PlainSaving())
        data["plain_mocks"] = {"built": 1, "compared": 2, "saved": 0.0}
        with self.assertRaisesRegex(ValueError, "compared 2 > built 1"):
            RunReport.from_dict(data)


class PlainCostTests(_CostsForgotten):
    """plain_cost.measure: both sides built off the clock, the stdlib's with
    the acceleration suspended."""

    def test_measures_both_sides_and_restores_the_acceleration(self) -> None:
        seen: list[bool] = []
        real_new = mock.NonCallableMock.__new__

        class Recording(mock.MagicMock):
            def __new__(cls, /, *args: Any, **kw: Any) -> Any:
                seen.append(_plain.enabled())
                return real_new(cls, *args, **kw)

        _plain.enable()
        try:
            # A class of this module (defined at the top) is needed to
            # compare: a local one is not kept, so not measured.
            self.assertIsNone(plain_cost.measure(plain_cost.PlainKey(Recording, None)))
            costs = plain_cost.measure(
                plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)
            )
            self.assertTrue(_plain.enabled())
        finally:
            _plain.disable()
        self.assertEqual(seen, [])
        self.assertIsNotNone(costs)
        stdlib_seconds, mockpool_seconds = costs or (0.0, 0.0)
        self.assertGreater(stdlib_seconds, 0.0)
        self.assertGreater(mockpool_seconds, 0.0)


class ReportFormTests(_CostsForgotten):
    """The saving in the report's JSON, merged reports and text."""

    def report(self, worker: str, hit_saving: float) -> RunReport:
        # A memory each: the second report must measure its own cost.
        report = RunReport(worker=worker, costs=CostMemory())
        with mock.patch.object(stdlib_cost, "measure", return_value=hit_saving + 0.001):
            report.record_acquire(
                "m.G",
                hit=True,
                build_seconds=None,
                hand_out_seconds=0.001,
                autospec=(Gateway, False, True),
            )
            report.measure_stdlib_costs()
        return report

    def test_json_round_trip_and_merge_keep_the_saving(self) -> None:
        """to_dict/from_dict keep it; merged reports add it up."""
        one, two = self.report("a", 0.5), self.report("b", -0.25)
        data = json.loads(json.dumps(one.to_dict()))
        self.assertEqual(data["specs"]["m.G"]["compared_hits"], 1)
        self.assertEqual(RunReport.from_dict(data).stdlib_saving, one.stdlib_saving)
        merged = RunReport.merged([RunReport.from_dict(data), two])
        self.assertEqual(merged.stdlib_saving.compared_hits, 2)
        self.assertAlmostEqual(merged.stdlib_saving.saved_on_hits, 0.25)

    def test_old_files_without_the_saving_still_read(self) -> None:
        """A report written before the saving existed reads with none."""
        data = self.report("a", 0.5).to_dict()
        for key in (
            "compared_hits",
            "saved_on_hits",
            "compared_builds",
            "saved_on_builds",
        ):
            del data["specs"]["m.G"][key]
        report = RunReport.from_dict(data)
        self.assertEqual(report.stdlib_saving, StdlibSaving())
        self.assertEqual(report.acquired, 1)

    def test_malformed_saving_names_the_field(self) -> None:
        """A saving that is not a finite number is a ReportError naming it."""
        data = self.report("a", 0.5).to_dict()
        data["specs"]["m.G"]["saved_on_hits"] = "lots"
        with self.assertRaisesRegex(ValueError, "saved_on_hits"):
            RunReport.from_dict(data)

    def test_render_prints_the_saving_and_its_split(self) -> None:
        """'Time saved against unittest.mock' then hits and lazy builds."""
        lines = self.report("a", 0.5).render().splitlines()
        self.assertIn("Time saved against unittest.mock: 0.500s", lines)
        self.assertIn("  pool hits 0.500s, lazy builds 0.000s", lines)
        self.assertFalse(any("Estimated time saved" in line for line in lines))


_RUN_NUMBERS = itertools.count(0, 2)


def _next_run(memory: CostMemory, directory: str) -> CostMemory:
    """What a later process recalls of *memory*: flushed as one run's, then
    loaded by the next run's history store into a memory of its own."""
    os.makedirs(directory, exist_ok=True)
    # Distinct ids, as real runs have: a file count may repeat one, and a
    # run's file then stands for the earlier run's.
    run = next(_RUN_NUMBERS)
    _history.HistoryStore(
        directory, run_id=f"r{run}", costs=memory, recorder=UsageRecorder()
    ).flush()
    later = CostMemory()
    _history.HistoryStore(directory, run_id=f"r{run + 1}", costs=later).load()
    return later


class _RememberedCostCase(_CostsForgotten):
    """Runs of a small suite, each recalling what the runs before kept."""

    def setUp(self) -> None:
        super().setUp()
        self.directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.directory, True)
        # What was measured, in order: an autospec's spec, a plain kind.
        self.measured: list[Any] = []

        def stdlib(call: AutospecCall) -> float:
            self.measured.append(call.spec)
            return 0.002 if call.spec is _send else 0.010

        def plain(key: plain_cost.PlainKey) -> tuple[float, float]:
            self.measured.append(key)
            return 0.000090, 0.000030

        for target, side_effect in (
            (stdlib_cost, stdlib),
            (plain_cost, plain),
        ):
            patcher = mock.patch.object(target, "measure", side_effect=side_effect)
            patcher.start()
            self.addCleanup(patcher.stop)
        self.measure_kinds_calls = 0

        def measure_kinds(*args: Any) -> Any:
            self.measure_kinds_calls += 1
            return _each_through_measure(*args)

        kinds = mock.patch.object(plain_cost, "measure_kinds", measure_kinds)
        kinds.start()
        self.addCleanup(kinds.stop)
        # Each run is a new process: its stamps are read afresh.
        stamps = mock.patch.dict(stdlib_cost._module_stamps, clear=True)
        stamps.start()
        self.addCleanup(stamps.stop)
        # Under coverage (tox) a tracer is set, and nothing would be kept.
        unwatched = mock.patch.object(
            run_report, "_under_observation", return_value=False
        )
        unwatched.start()
        self.addCleanup(unwatched.stop)

    def run_suite(self, memory: CostMemory, *specs: Any) -> RunReport:
        """One process's report of a test that autospecs *specs*, or
        Gateway and _send and builds three plain SMTP mocks."""
        stdlib_cost._module_stamps.clear()
        report = RunReport(worker="w", costs=memory)
        for spec in specs or (Gateway, _send):
            report.record_acquire(
                "m.x",
                hit=False,
                build_seconds=0.001,
                autospec=(spec, False, isinstance(spec, type)),
            )
        for _ in range(0 if specs else 3):
            report.record_plain(mock.MagicMock, smtplib.SMTP)
        report.measure_stdlib_costs("t")
        # The run's end (the drop-in's, when it is disabled).
        report.resample_plain_costs()
        return report


class RememberedCostTests(_RememberedCostCase):
    """Measured costs kept between runs: only a suite's first run pays."""

    def test_a_second_run_measures_no_autospec_already_remembered(self) -> None:
        """The second run recalls every autospec's cost, and reports the
        same saving (a plain kind is measured again: PlainSamplesTests)."""
        first = self.run_suite(CostMemory())
        self.assertEqual(
            self.measured,
            [Gateway, _send, plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)],
        )
        self.measured.clear()
        # Not the first run's memory: what the next process recalls of it
        # from the history directory.
        memory = _next_run(first._cost_memory(), self.directory)
        second = self.run_suite(memory)
        self.assertEqual(
            self.measured, [plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)]
        )
        self.assertEqual(second.stdlib_saving, first.stdlib_saving)
        self.assertEqual(second.plain_saving, first.plain_saving)
        self.assertEqual(second.stdlib_saving.compared, 2)
        self.assertEqual(second.plain_saving.compared, 3)

    def test_costs_measured_under_a_profiler_are_not_kept(self) -> None:
        """A profiler or tracer makes every build dearer: this run uses its
        figures, the next measures again."""
        with mock.patch.object(run_report, "_getprofile", return_value=object()):
            self.assertTrue(_UNDER_OBSERVATION())
        with mock.patch.object(run_report, "_under_observation", return_value=True):
            first = self.run_suite(CostMemory())
        self.assertEqual(first.stdlib_saving.compared, 2)
        self.measured.clear()
        self.run_suite(_next_run(first._cost_memory(), self.directory))
        self.assertEqual(
            self.measured,
            [Gateway, _send, plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)],
        )

    def test_remembered_costs_need_no_measuring_budget(self) -> None:
        """A run over its budget still compares every remembered request."""
        first = self.run_suite(CostMemory())
        memory = _next_run(first._cost_memory(), self.directory)
        self.measured.clear()
        with _over_budget():
            second = self.run_suite(memory)
            unremembered = self.run_suite(CostMemory())
        self.assertEqual(self.measured, [])
        self.assertEqual(second.stdlib_saving.compared, 2)
        self.assertEqual(unremembered.stdlib_saving.compared, 0)

    def test_a_changed_source_file_is_measured_again(self) -> None:
        """The stamp follows the spec's module file: edited, it is measured
        anew; unchanged, recalled."""
        source = Path(self.directory) / "spec_that_changes.py"
        source.write_text("class Spec:\n    def run(self) -> None: ...\n")
        sys.path.insert(0, self.directory)
        self.addCleanup(sys.path.remove, self.directory)
        self.addCleanup(sys.modules.pop, "spec_that_changes", None)
        spec = importlib.import_module("spec_that_changes").Spec
        history = os.path.join(self.directory, "history")
        memory = _next_run(self.run_suite(CostMemory(), spec)._cost_memory(), history)
        self.assertEqual(self.measured, [spec])
        memory = _next_run(self.run_suite(memory, spec)._cost_memory(), history)
        self.assertEqual(self.measured, [spec])
        source.write_text(
            "class Spec:\n"
            "    def run(self) -> None: ...\n"
            "    def stop(self) -> None: ...\n"
        )
        self.run_suite(memory, spec)
        self.assertEqual(self.measured, [spec, spec])

    def test_another_python_measures_again(self) -> None:
        """A cost kept for another interpreter is not used."""
        name, stamp = stdlib_cost.remembered_as(AutospecCall(Gateway, False, True)) or (
            "",
            "",
        )
        for interpreter, measured in (
            (INTERPRETER, []),
            ("cpython-2.7.18", [Gateway]),
        ):
            with self.subTest(interpreter):
                directory = tempfile.mkdtemp(dir=self.directory)
                with open(os.path.join(directory, "history.json"), "w") as stream:
                    json.dump(
                        {
                            "format": 1,
                            "runs": [],
                            "costs": {
                                f"{interpreter} {name}": {
                                    "stamp": stamp,
                                    "samples": [[0.010]],
                                    "measured": time.time(),
                                }
                            },
                        },
                        stream,
                    )
                memory = CostMemory()
                _history.HistoryStore(directory, run_id="r", costs=memory).load()
                self.measured.clear()
                self.run_suite(memory, Gateway)
                self.assertEqual([m for m in self.measured if m is Gateway], measured)

    def test_a_due_cost_is_used_and_measured_again_when_affordable(self) -> None:
        """Past its refresh limit a cost is measured again, the figure the
        median of old and new; when the run cannot afford it, still used."""
        name, stamp = stdlib_cost.remembered_as(AutospecCall(Gateway, False, True)) or (
            "",
            "",
        )
        memory = CostMemory()
        memory._learn(
            {
                f"{INTERPRETER} {name}": RememberedCost(
                    stamp, ((0.030,), (0.050,)), time.time(), runs_since=100
                )
            }
        )
        with _over_budget():
            unaffordable = self.run_suite(memory, Gateway)
        self.assertEqual(self.measured, [])
        self.assertAlmostEqual(
            unaffordable.stdlib_saving.saved_on_builds, 0.040 - 0.001
        )
        refreshed = self.run_suite(memory, Gateway)
        self.assertEqual(self.measured[:1], [Gateway])
        self.assertAlmostEqual(refreshed.stdlib_saving.saved_on_builds, 0.030 - 0.001)
        cost = memory.recall(name, stamp)
        assert cost is not None
        self.assertEqual(cost.samples, ((0.030,), (0.050,), (0.010,)))

    def test_a_memory_that_is_not_one_is_refused_naming_it(self) -> None:
        """costs= takes a CostMemory or None, in the report and the store."""
        with self.assertRaisesRegex(TypeError, r"costs must be a CostMemory.*\{\}"):
            RunReport(worker="w", costs={})  # type: ignore[arg-type]
        with self.assertRaisesRegex(TypeError, r"costs must be a CostMemory.*\{\}"):
            _history.HistoryStore(self.directory, costs={})  # type: ignore[arg-type]

    def test_specs_that_cannot_be_named_alike_in_another_run_are_not_kept(self) -> None:
        """A class made in a function, or one of a module without a file,
        is measured in each run (never recalled for a different class)."""

        class Local:
            pass

        fileless = types.ModuleType("fileless_module")
        exec("class Made:\n    pass\n", vars(fileless))
        sys.modules["fileless_module"] = fileless
        self.addCleanup(sys.modules.pop, "fileless_module", None)
        for spec in (Local, fileless.Made):
            with self.subTest(spec):
                self.assertIsNone(stdlib_cost.remembered_as(AutospecCall(spec)))
        self.assertIsNone(
            plain_cost.remembered_as(plain_cost.PlainKey(mock.Mock, fileless.Made))
        )
        self.assertIsNotNone(
            plain_cost.remembered_as(plain_cost.PlainKey(mock.Mock, smtplib.SMTP))
        )


class PlainSamplesTests(_RememberedCostCase):
    """A plain kind is measured again at the end of each run, within what
    is left of its budget, until COST_SAMPLES samples are kept; each run
    uses the median of the samples kept before it. One cold run measured
    under another load than the runs after it (os-brick's plain part read
    0.69 s to 1.24 s over four first runs, cloudbase-init's 3.9 s to 7.4 s)
    no longer sets the figure for ten to twenty runs."""

    def plain_run(self, memory: CostMemory, stdlib: float) -> RunReport:
        """A run whose plain kind, if measured, costs the stdlib *stdlib*
        seconds (mockpool 30 us)."""

        def measure(key: plain_cost.PlainKey) -> tuple[float, float]:
            self.measured.append(key)
            return stdlib, 30e-6

        with mock.patch.object(plain_cost, "measure", side_effect=measure):
            report = self.run_suite(memory)
        return report

    def test_each_run_adds_a_sample_until_enough_and_uses_their_median(
        self,
    ) -> None:
        kind = plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)
        memory = CostMemory()
        # A busy first run, then quieter ones; each run's sample counts
        # from the next run on.
        stdlib = [330e-6, 130e-6, 120e-6, 150e-6, 140e-6]
        medians = [330e-6, 330e-6, 230e-6, 130e-6, 140e-6]
        for run, (cost, median) in enumerate(zip(stdlib, medians)):
            with self.subTest(run=run):
                self.measured.clear()
                report = self.plain_run(memory, cost)
                self.assertEqual(self.measured.count(kind), 1)
                self.assertAlmostEqual(report.plain_saving.saved, 3 * (median - 30e-6))
                memory = _next_run(report._cost_memory(), self.directory)
        # COST_SAMPLES kept: the next run measures it no more.
        self.measured.clear()
        report = self.plain_run(memory, 999e-6)
        self.assertEqual(self.measured.count(kind), 0)
        self.assertAlmostEqual(report.plain_saving.saved, 3 * (140e-6 - 30e-6))

    def second_run_to_its_end(self) -> RunReport:
        """A run after :meth:`plain_run`'s first, at its end: its three SMTP
        mocks counted from the figure remembered, nothing measured yet."""
        first = self.plain_run(CostMemory(), 130e-6)
        memory = _next_run(first._cost_memory(), self.directory)
        self.measured.clear()
        report = RunReport(worker="w", costs=memory)
        for _ in range(3):
            report.record_plain(mock.MagicMock, smtplib.SMTP)
        report.measure_stdlib_costs("t")
        return report

    def test_samples_are_taken_at_the_runs_end_only(self) -> None:
        """During a run a remembered kind is not measured: a repeated
        sample must never take the budget from a later test's autospecs."""
        kind = plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)
        report = self.second_run_to_its_end()
        self.assertNotIn(kind, self.measured)
        report.resample_plain_costs()
        self.assertEqual(self.measured.count(kind), 1)

    def test_the_runs_end_samples_within_plain_kinds_part(self) -> None:
        """A run whose plain kinds spent their part of the budget takes no
        repeated sample at its end, though autospecs left theirs unspent:
        the samples are a refinement, paid within the plain part."""
        kind = plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)
        report = self.second_run_to_its_end()
        budget = run_report.MEASURING_BUDGET * time.process_time()
        report._measuring_seconds = 0.75 * budget
        report.resample_plain_costs()
        self.assertNotIn(kind, self.measured)
        # Within the part, it is taken.
        report._measuring_seconds = 0.0
        report.resample_plain_costs()
        self.assertEqual(self.measured.count(kind), 1)

    def test_the_runs_end_expects_each_kind_at_its_samples_figures(
        self,
    ) -> None:
        """What the kinds begun will still cost counts against plain kinds'
        part before the next kind is begun, expected from each kind's
        samples (stdlib and mockpool seconds a mock): a part that afforded
        twenty cheap mockpool sides must not then pay for twenty stdlib
        sides (oauthlib's runs spent up to 1.75 times their part)."""
        kind = plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)
        report = self.second_run_to_its_end()
        seen: dict[str, Any] = {}
        answers: list[bool] = []

        def measure_kinds(
            keys: Iterable[plain_cost.PlainKey],
            go_on: Callable[[float], bool],
            expected: Any = None,
        ) -> dict[plain_cost.PlainKey, tuple[float, float] | None]:
            seen["keys"], seen["expected"] = list(keys), dict(expected)
            answers.extend(go_on(ahead) for ahead in (0.0, 0.9 * part, 1.1 * part))
            return {}

        with (
            mock.patch.object(run_report, "_process_time", lambda: 10.0),
            mock.patch.object(plain_cost, "measure_kinds", measure_kinds),
        ):
            report._measuring_seconds = 0.0
            part = run_report.PLAIN_MEASURING_SHARE * report._budget()
            report.resample_plain_costs()
        self.assertEqual(seen["keys"], [kind])
        self.assertEqual(seen["expected"], {kind: (130e-6, 30e-6)})
        self.assertEqual(answers, [True, True, False])

    def test_plain_kinds_take_half_the_budget_autospecs_all_of_it(self) -> None:
        report = RunReport(worker="w", costs=CostMemory())
        # The run's CPU so far: what the budget is a share of (no saving yet).
        budget = run_report.MEASURING_BUDGET * time.process_time()
        report._measuring_seconds = 0.75 * budget
        report.record_acquire(
            "m.x", hit=False, build_seconds=0.001, autospec=(Gateway, False, True)
        )
        report.record_plain(mock.MagicMock, smtplib.SMTP)
        report.measure_stdlib_costs("t")
        self.assertEqual(self.measured, [Gateway])
        self.assertEqual(report.plain_saving.compared, 0)

    def test_a_plain_kind_over_budget_waits_untouched_and_counts_later(
        self,
    ) -> None:
        """Past the budget, a kind looked for in the memory already is not
        looked for again after every test: its count waits, and is counted
        and compared once the run can afford measuring it."""
        kind = plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)
        report = RunReport(worker="w", costs=CostMemory())
        recalls = mock.patch.object(
            RunReport, "_recall", autospec=True, side_effect=RunReport._recall
        )
        with _over_budget(), recalls as recall:
            for test in range(3):
                report.record_plain(mock.MagicMock, smtplib.SMTP)
                report.measure_stdlib_costs(f"test_{test}")
        self.assertEqual(recall.call_count, 1)
        self.assertNotIn(kind, self.measured)
        self.assertEqual(report.plain_saving.compared, 0)
        report.record_plain(mock.MagicMock, smtplib.SMTP)
        report.measure_stdlib_costs("test_affordable")
        self.assertEqual(self.measured, [kind])
        self.assertEqual(report.plain_saving.compared, 4)

    def test_a_kind_waits_while_its_suspension_would_overrun_the_part(
        self,
    ) -> None:
        """Measuring a kind suspends the acceleration, expected to cost what
        it cost the last time: while the part cannot cover that, the kind's
        count waits (measure_kinds is not asked after every test, to say
        no), and it is measured once it can."""
        kind = plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)
        report = RunReport(worker="w", costs=CostMemory())
        with mock.patch.object(plain_cost, "_suspension_seconds", 1e9):
            for test in range(3):
                report.record_plain(mock.MagicMock, smtplib.SMTP)
                report.measure_stdlib_costs(f"test_{test}")
        self.assertEqual(self.measure_kinds_calls, 0)
        self.assertEqual(report.plain_saving.compared, 0)
        with mock.patch.object(plain_cost, "_suspension_seconds", 0.0):
            report.record_plain(mock.MagicMock, smtplib.SMTP)
            report.measure_stdlib_costs("test_affordable")
        self.assertEqual(self.measured, [kind])
        self.assertEqual(report.plain_saving.compared, 4)

    def test_a_plain_batch_past_its_part_leaves_autospecs_theirs(self) -> None:
        """The budget is checked before each plain kind is begun, and on a
        loaded host one kind can cost more than the whole budget: what it
        spends past its part is not charged to autospecs, and a later
        test's autospec is still measured (CI saw a tiny suite's second
        autospec wait twelve runs behind one plain kind)."""
        clock = [10.0]  # the run's CPU so far; its budget is 0.2 s
        budget = run_report.MEASURING_BUDGET * clock[0]

        def slow_plain(key: plain_cost.PlainKey) -> tuple[float, float]:
            self.measured.append(key)
            clock[0] += 1.5 * budget
            return 0.000090, 0.000030

        def stdlib(call: AutospecCall) -> float:
            self.measured.append(call.spec)
            clock[0] += 0.3 * budget
            return 0.010

        report = RunReport(worker="w", costs=CostMemory())
        with (
            mock.patch.object(run_report, "_process_time", lambda: clock[0]),
            mock.patch.object(plain_cost, "measure", side_effect=slow_plain),
            mock.patch.object(stdlib_cost, "measure", side_effect=stdlib),
        ):
            report.record_plain(mock.MagicMock, smtplib.SMTP)
            report.measure_stdlib_costs("test_plain")
            self.assertEqual(report.plain_saving.compared, 1)
            for spec in (Gateway, smtplib.SMTP, smtplib.LMTP):
                report.record_acquire(
                    spec.__name__,
                    hit=False,
                    build_seconds=0.001,
                    autospec=(spec, False, True),
                )
                report.measure_stdlib_costs(f"test_{spec.__name__}")
        # Half the budget left to autospecs: two of them fit (the check
        # comes before each), the third waits for a later run.
        self.assertEqual(self.measured[1:], [Gateway, smtplib.SMTP])

    def test_a_run_that_cannot_afford_it_uses_the_samples_kept(self) -> None:
        kind = plain_cost.PlainKey(mock.MagicMock, smtplib.SMTP)
        first = self.plain_run(CostMemory(), 130e-6)
        memory = _next_run(first._cost_memory(), self.directory)
        self.measured.clear()
        with _over_budget():
            second = self.plain_run(memory, 999e-6)
        self.assertNotIn(kind, self.measured)
        self.assertAlmostEqual(second.plain_saving.saved, 3 * (130e-6 - 30e-6))


_SUITE = """\
import smtplib
import unittest
from unittest import mock


class Case(unittest.TestCase):
    def test_autospec(self):
        client = mock.create_autospec(smtplib.SMTP, instance=True)
        client.noop()
        client.noop.assert_called_once_with()

    def test_plain(self):
        client = mock.MagicMock(spec=smtplib.SMTP)
        self.assertTrue(callable(client.sendmail))

    def test_fails(self):
        self.assertEqual(mock.create_autospec(len)([1]).__class__, int)
"""


class RunsTests(unittest.TestCase):
    """``python -m mockpool run`` twice, and with a broken history."""

    def setUp(self) -> None:
        self.directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.directory, True)
        Path(self.directory, "test_suite_of_three.py").write_text(_SUITE)
        self.history = os.path.join(self.directory, "history")

    def run_suite(self) -> tuple[int, str, dict[str, Any]]:
        """Exit status, output and report of one run, in a process of its own."""
        report = os.path.join(self.directory, "report.json")
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("MOCKPOOL_")
        }
        env.update(
            MOCKPOOL_DIR=self.history,
            PYTHONPATH=os.pathsep.join([str(_ROOT), env.get("PYTHONPATH", "")]),
        )
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mockpool",
                "run",
                "--report-json",
                report,
                "discover",
                "-s",
                ".",
                "-p",
                "test_suite_of_three.py",
            ],
            cwd=self.directory,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        with open(report, encoding="utf-8") as stream:
            return done.returncode, done.stdout + done.stderr, json.load(stream)

    def process_costs(self) -> dict[str, Any]:
        """The costs the per-process files of the history hold."""
        costs: dict[str, Any] = {}
        for name in os.listdir(self.history):
            if name.startswith("history-"):
                with open(os.path.join(self.history, name), encoding="utf-8") as stream:
                    costs.update(json.load(stream).get("costs", {}))
        return costs

    def test_a_later_run_never_measures_what_an_earlier_one_did(self) -> None:
        """Each run measures only autospecs no run before measured (a run's
        budget may leave some for the next: in this tiny suite, whose CPU
        is mostly start-up, each plain kind's batch takes most of one
        run's), and by the fourth -- up to the twelfth on a loaded or slow
        host (CI runs two test environments side by side on two cores),
        where a measurement costs more of the same budget -- one compares
        every autospec request, with the same outcomes each time. A plain
        kind is measured in at most COST_SAMPLES runs (PlainSamplesTests)."""
        seen: set[str] = set()
        plain_runs: Counter[str] = Counter()
        reports = []
        for run in range(12):
            status, output, report = self.run_suite()
            self.assertEqual(status, 1, output)
            self.assertIn("FAILED (failures=1)", output)
            measured = set(self.process_costs())
            plain = {name for name in measured if " plain " in name}
            plain_runs.update(plain)
            self.assertEqual(
                (measured - plain) & seen, set(), f"run {run + 1} measured again"
            )
            seen |= measured
            reports.append(report)
            specs = report["specs"].values()
            compared = sum(s["compared_builds"] + s["compared_hits"] for s in specs)
            if run >= 3 and compared == sum(s["hits"] + s["builds"] for s in specs):
                break
        self.assertTrue(
            any("autospec_instance smtplib.SMTP" in name for name in seen), seen
        )
        with open(os.path.join(self.history, "history.json"), encoding="utf-8") as f:
            self.assertLessEqual(set(json.load(f)["costs"]), seen)
        self.assertLessEqual(max(plain_runs.values(), default=0), COST_SAMPLES)
        specs = report["specs"].values()
        self.assertEqual(
            sum(spec["compared_builds"] + spec["compared_hits"] for spec in specs),
            sum(spec["hits"] + spec["builds"] for spec in specs),
        )
        # Plain mocks with an instance as spec are never compared.
        first, last = reports[0]["plain_mocks"], report["plain_mocks"]
        self.assertGreaterEqual(last["compared"], first["compared"])

    def test_a_corrupt_or_foreign_history_never_changes_the_run(self) -> None:
        """Garbage, another program's JSON, absurd costs: the same outcomes
        and exit status, and a warning at most."""
        status, output, _ = self.run_suite()
        self.assertEqual(status, 1, output)
        path = os.path.join(self.history, "history.json")
        broken = {
            "garbage": "{not json",
            "foreign": json.dumps({"name": "another tool", "version": 3}),
            "absurd costs": json.dumps(
                {
                    "format": 1,
                    "runs": [],
                    "costs": {"x": {"stamp": 1, "samples": "many"}},
                }
            ),
        }
        for case, text in broken.items():
            with self.subTest(case):
                self.run_suite()  # merges the run before into history.json
                Path(path).write_text(text)
                status, output, report = self.run_suite()
                self.assertEqual(status, 1, output)
                self.assertIn("Ran 3 tests", output)
                self.assertIn("FAILED (failures=1)", output)
                self.assertNotIn(
                    "Traceback (most recent call last)",
                    output.split("FAIL: test_fails")[0],
                )
                self.assertIn("HistoryWarning", output)
                self.assertEqual(report["tests"], 3)


def _cpu_of(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, str]:
    """CPU seconds (user + system) of a child running ``python -m *args*``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return spent, done.stdout + done.stderr


@unittest.skipUnless(
    os.environ.get("MOCKPOOL_SLOW_TESTS") == "1",
    "runs the bundled suite three times (minutes); set MOCKPOOL_SLOW_TESTS=1",
)
class RealityTests(unittest.TestCase):
    """The report's saving against the measured saving on the bundled suite."""

    def test_saving_is_within_a_factor_of_one_and_a_half_of_the_measured(self) -> None:
        """Plain minus accelerated CPU, against the accelerated run's figure:
        in a first run, which measures the stdlib's costs, and in a second,
        which recalls them."""
        suite = ["discover", "-s", "mockpool/_demo/tests", "-t", "."]
        with tempfile.TemporaryDirectory() as directory:
            # A history of this test's own: the first run starts cold.
            env = dict(os.environ, MOCKPOOL_DIR=os.path.join(directory, "history"))
            plain, plain_out = _cpu_of(["unittest", *suite], _ROOT, env)
            self.assertIn("OK", plain_out[-200:])
            for run in ("first", "second"):
                path = os.path.join(directory, f"{run}.json")
                fast, fast_out = _cpu_of(
                    ["mockpool", "run", "--report-json", path, *suite], _ROOT, env
                )
                with open(path, encoding="utf-8") as file:
                    report = RunReport.from_dict(json.load(file))
                with self.subTest(run):
                    self.assert_close(run, plain, fast, fast_out, report)

    def assert_close(
        self, run: str, plain: float, fast: float, output: str, report: RunReport
    ) -> None:
        self.assertIn("OK", output)
        measured = plain - fast
        estimated = report.net_seconds_saved
        # Requests the report could not compare (their spec's stdlib cost
        # was never measured) are the usual reason for a low figure.
        figures = (
            f"{run} run: plain {plain:.1f}s, accelerated {fast:.1f}s: measured "
            f"saving {measured:.1f}s, report's {estimated:.1f}s; "
            f"{report.acquired - report.stdlib_saving.compared} of "
            f"{report.acquired} requests not compared"
        )
        print(f"\n{figures}", file=sys.stderr)
        self.assertGreater(measured, 0.0)
        self.assertLessEqual(estimated, measured * 1.5, figures)
        self.assertGreaterEqual(estimated, measured / 1.5, figures)
