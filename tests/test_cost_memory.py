"""Tests for mockpool._learning.costs: which remembered cost is used, and when."""

from __future__ import annotations

import re
import unittest

from mockpool._learning.costs import (
    COST_FORGET_DAYS,
    COST_REFRESH_DAYS,
    COST_REFRESH_RUNS,
    COST_SAMPLES,
    CostMemory,
    RememberedCost,
    merged_cost,
    with_runs_since,
    without_forgotten,
)
from mockpool.errors import InvalidArgumentError

_DAY = 86400.0


class CostMemoryTests(unittest.TestCase):
    """CostMemory: what it recalls, and when a cost is due to be measured again."""

    def test_recalls_only_under_the_stamp_it_was_measured_under(self) -> None:
        """A cost of another stamp (a changed source) is not recalled; a
        measurement under a new stamp starts the cost afresh."""
        memory = CostMemory()
        self.assertIsNone(memory.recall("autospec_class m.A", "s1"))
        memory.remember("autospec_class m.A", "s1", [0.010])
        memory.remember("autospec_class m.A", "s1", [0.020])
        cost = memory.recall("autospec_class m.A", "s1")
        assert cost is not None
        self.assertEqual(cost.samples, ((0.010,), (0.020,)))
        self.assertIsNone(memory.recall("autospec_class m.A", "s2"))
        memory.remember("autospec_class m.A", "s2", [0.5])
        self.assertIsNone(memory.recall("autospec_class m.A", "s1"))
        again = memory.recall("autospec_class m.A", "s2")
        assert again is not None
        self.assertEqual(again.samples, ((0.5,),))

    def test_figures_are_medians_of_the_last_samples(self) -> None:
        """One measurement taken under load does not become the cost; only
        the last COST_SAMPLES are kept."""
        memory = CostMemory()
        # The second taken while the machine was busy.
        for stdlib, mockpool in [(0.1, 0.01), (9.0, 9.0), (0.3, 0.03)]:
            memory.remember("plain x", "s", [stdlib, mockpool])
        cost = memory.recall("plain x", "s")
        assert cost is not None
        self.assertEqual(cost.figures(), (0.3, 0.03))
        for _ in range(COST_SAMPLES):
            cost = memory.remember("plain x", "s", [1.0, 0.5])
        self.assertEqual(len(cost.samples), COST_SAMPLES)
        self.assertEqual(cost.figures(), (1.0, 0.5))

    def test_due_after_some_runs_or_days_spread_by_name(self) -> None:
        """Fresh when just measured; due after between N and 2N runs (or D
        and 2D days), the limit fixed by the name, so that not every cost
        of a suite is measured again in the same run."""
        now = 1_000_000.0
        limits = []
        for index in range(40):
            name = f"autospec_class m.C{index}"
            runs = next(
                runs
                for runs in range(100)
                if RememberedCost("s", ((0.1,),), now, runs).due(name, now)
            )
            limits.append(runs)
            self.assertFalse(RememberedCost("s", ((0.1,),), now).due(name, now))
            days = COST_REFRESH_DAYS * 86400
            self.assertTrue(
                RememberedCost("s", ((0.1,),), now - 2 * days).due(name, now)
            )
            self.assertFalse(
                RememberedCost("s", ((0.1,),), now - days + 1).due(name, now)
            )
        refresh = COST_REFRESH_RUNS
        self.assertTrue(all(refresh <= runs <= 2 * refresh for runs in limits))
        self.assertGreater(len(set(limits)), 3, "the limits are not spread")

    def test_bad_samples_are_refused_naming_the_value(self) -> None:
        """A sample must be one or two finite seconds under a minute."""
        memory = CostMemory()
        for sample in ([], [0.1, 0.1, 0.1], [-1.0], [float("nan")], [61.0]):
            with (
                self.subTest(sample=sample),
                self.assertRaisesRegex(InvalidArgumentError, re.escape(repr(sample))),
            ):
                memory.remember("n", "s", sample)
        self.assertIsNone(memory.recall("n", "s"))


class MergingTests(unittest.TestCase):
    """How costs from several processes and runs combine in history."""

    def test_samples_under_one_stamp_add_up_and_another_stamp_keeps_the_newer(
        self,
    ) -> None:
        """Two workers' samples of one source add up (the last COST_SAMPLES
        kept); of different sources, only the newer measurement counts."""
        earlier = RememberedCost("s1", ((0.1,),) * COST_SAMPLES, 100.0, run_id="r1")
        later = RememberedCost("s1", ((0.3,),), 200.0, run_id="r2")
        merged = merged_cost(earlier, later)
        self.assertEqual(merged.samples, ((0.1,),) * (COST_SAMPLES - 1) + ((0.3,),))
        self.assertEqual((merged.measured, merged.run_id), (200.0, "r2"))
        edited = RememberedCost("s2", ((0.9,),), 300.0, run_id="r3")
        self.assertIs(merged_cost(merged, edited), edited)
        self.assertIs(merged_cost(edited, merged), edited)
        self.assertIs(merged_cost(None, later), later)

    def test_a_cost_unmeasured_for_the_forget_limit_is_dropped(self) -> None:
        """Kept up to COST_FORGET_DAYS after its newest measurement."""
        now = 10_000_000.0
        limit = now - COST_FORGET_DAYS * _DAY
        costs = {
            "kept": RememberedCost("s", ((0.1,),), limit),
            "gone": RememberedCost("s", ((0.1,),), limit - 1),
        }
        self.assertEqual(list(without_forgotten(costs, now)), ["kept"])

    def test_runs_since_leaves_out_the_measuring_run(self) -> None:
        """Runs begun after the measurement count, except the cost's own."""
        cost = RememberedCost("s", ((0.1,),), 50.0, run_id="own")
        counted = with_runs_since(
            {"n": cost}, {"before": 10.0, "own": 60.0, "a": 70.0, "b": 80.0}
        )
        self.assertEqual(counted["n"].runs_since, 2)
        self.assertEqual(counted["n"].samples, cost.samples)


if __name__ == "__main__":
    unittest.main()
