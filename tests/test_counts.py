"""Tests for mockpool._base.counts: the one model of pool counting."""

from __future__ import annotations

import dataclasses
import math
import unittest
from typing import Any

import mockpool
from mockpool._base import events
from mockpool._base.counts import (
    FIELDS,
    AcquisitionCounts,
    as_dict,
    check_build_seconds,
)
from mockpool._base.json_fields import FieldReader
from mockpool._learning.usage import FILE_KEYS, ServiceUsage, UsageRecorder
from mockpool._pools.pool import Lease, Pool, PoolStats
from mockpool._reporting.run_report import SPEC_KEYS, RunReport, SpecStats
from mockpool.errors import ArgumentTypeError, InvalidArgumentError


class Mailer:
    """A small service spec."""

    def send(self, to: str) -> bool:
        return True


def _counts(**values: Any) -> AcquisitionCounts:
    return AcquisitionCounts(**values)


def _in_order(*values: Any) -> AcquisitionCounts:
    """Counts with *values* in the order of FIELDS."""
    return AcquisitionCounts(**dict(zip(FIELDS, values)))


class RecordingTests(unittest.TestCase):
    """What each record_* method counts."""

    def test_a_hit_counts_an_acquisition_and_no_build(self) -> None:
        """A recycled hand-out: acquired and hits, nothing built or timed."""
        counts = AcquisitionCounts()
        counts.record_acquire(True, None, 1)
        self.assertEqual(counts, _counts(acquired=1, hits=1, peak_leased=1))

    def test_a_build_counts_its_measured_time(self) -> None:
        """A built hand-out is a build; only a measured one is timed."""
        counts = AcquisitionCounts()
        counts.record_acquire(False, 0.25, 1)
        counts.record_acquire(False, None, 1)
        self.assertEqual(
            counts,
            _counts(
                acquired=2, builds=2, timed_builds=1, build_seconds=0.25, peak_leased=1
            ),
        )

    def test_peak_leased_is_the_most_leased_at_once(self) -> None:
        """The largest leased_now is kept, not the last."""
        counts = AcquisitionCounts()
        for leased in (1, 4, 2):
            counts.record_acquire(True, None, leased)
        self.assertEqual(counts.peak_leased, 4)

    def test_a_build_ahead_is_a_build_not_an_acquisition(self) -> None:
        """record_build alone: what a pool warming builds."""
        counts = AcquisitionCounts()
        counts.record_build()
        counts.record_build(0.5)
        self.assertEqual(counts, _counts(builds=2, timed_builds=1, build_seconds=0.5))

    def test_discards_and_failures(self) -> None:
        """record_discard adds *count*; record_failure adds one."""
        counts = AcquisitionCounts()
        counts.record_discard()
        counts.record_discard(3)
        counts.record_failure()
        self.assertEqual(counts, _counts(discards=4, failures=1))

    def test_the_counts_have_slots(self) -> None:
        """No per-instance dict: the model is as small as the counters were."""
        self.assertFalse(hasattr(AcquisitionCounts(), "__dict__"))
        self.assertEqual(AcquisitionCounts.__slots__, FIELDS)


class MergeTests(unittest.TestCase):
    """merge and copy."""

    def test_counts_add_and_the_peak_is_the_larger(self) -> None:
        """Counts and seconds add; peak_leased is the max; other unchanged."""
        one = _in_order(3, 2, 1, 1, 0.5, 1, 0, 4)
        two = _in_order(2, 0, 3, 2, 0.25, 0, 2, 2)
        before = two.copy()
        one.merge(two)
        self.assertEqual(one, _in_order(5, 2, 4, 3, 0.75, 1, 2, 4))
        self.assertEqual(two, before)

    def test_a_copy_does_not_follow_the_original(self) -> None:
        """copy() is equal, and independent."""
        counts = _counts(acquired=1, hits=1)
        copied = counts.copy()
        self.assertEqual(copied, counts)
        counts.record_acquire(True, None, 1)
        self.assertEqual(copied.acquired, 1)

    def test_of_copies_a_frozen_view(self) -> None:
        """of() reads every field of a view that has them all."""
        usage = ServiceUsage(5, 3, 2, 1, 0.125, 1, 1, 3)
        self.assertEqual(ServiceUsage.of(AcquisitionCounts.of(usage)), usage)

    def test_counts_are_not_hashable(self) -> None:
        """Mutable: equal by value, never a dict key."""
        with self.assertRaises(TypeError):
            hash(AcquisitionCounts())
        self.assertNotEqual(AcquisitionCounts(), object())


class FigureTests(unittest.TestCase):
    """The figures that follow from the counts, the same on every view."""

    def test_before_the_first_acquisition(self) -> None:
        """No acquisition: hit rate 0.0, no mean, nothing saved."""
        counts = AcquisitionCounts()
        self.assertEqual(counts.hit_rate, 0.0)
        self.assertEqual(counts.builds_avoided, 0)
        self.assertIsNone(counts.mean_build_seconds)
        self.assertEqual(counts.estimated_seconds_saved, 0.0)

    def test_figures(self) -> None:
        """hit rate, builds avoided, mean build time and the saving."""
        counts = AcquisitionCounts()
        counts.record_acquire(False, 0.5, 1)
        counts.record_acquire(False, 0.25, 2)
        counts.record_acquire(True, None, 1)
        counts.record_acquire(True, None, 1)
        self.assertEqual(counts.hit_rate, 0.5)
        self.assertEqual(counts.builds_avoided, 2)
        self.assertEqual(counts.mean_build_seconds, 0.375)
        self.assertEqual(counts.estimated_seconds_saved, 0.75)
        usage = ServiceUsage.of(counts)
        stats = SpecStats.of("a.A", counts)
        for view in (usage, stats):
            with self.subTest(type(view).__name__):
                self.assertEqual(view.acquired, 4)
                self.assertEqual(view.hit_rate, counts.hit_rate)
                self.assertEqual(view.builds_avoided, counts.builds_avoided)
                self.assertEqual(view.mean_build_seconds, counts.mean_build_seconds)
                self.assertEqual(
                    view.estimated_seconds_saved, counts.estimated_seconds_saved
                )


class NameTests(unittest.TestCase):
    """One name per figure, in every view."""

    def test_usage_has_every_field(self) -> None:
        """ServiceUsage's fields are the model's, in its order."""
        names = tuple(field.name for field in dataclasses.fields(ServiceUsage))
        self.assertEqual(names, FIELDS)

    def test_pool_stats_and_spec_stats_use_the_model_names(self) -> None:
        """Every count field of PoolStats and SpecStats is a model field."""
        own = {"service", "spec", "idle", "leased", "stdlib_saving"}
        for view in (PoolStats, SpecStats):
            with self.subTest(view.__name__):
                names = {field.name for field in dataclasses.fields(view)} - own
                self.assertLessEqual(names, set(FIELDS))
        self.assertEqual(
            PoolStats.__dataclass_fields__.keys() - own,
            {"acquired", "hits", "builds", "discards", "peak_leased"},
        )


class FileFormTests(unittest.TestCase):
    """The files keep the keys they were written with."""

    def test_usage_files_keep_their_keys(self) -> None:
        """acquired is "acquisitions" and peak_leased "peak_concurrency"."""
        usage = ServiceUsage(5, 3, 2, 1, 0.125, 1, 1, 3)
        self.assertEqual(
            usage.to_dict(),
            {
                "acquisitions": 5,
                "hits": 3,
                "builds": 2,
                "timed_builds": 1,
                "build_seconds": 0.125,
                "discards": 1,
                "failures": 1,
                "peak_concurrency": 3,
            },
        )
        self.assertEqual(list(FILE_KEYS), list(FIELDS))
        self.assertEqual(ServiceUsage.from_dict(usage.to_dict()), usage)

    def test_report_files_keep_their_keys(self) -> None:
        """Per spec, a report keeps hits, builds and the build time only."""
        counts = _counts(
            acquired=3, hits=1, builds=2, timed_builds=1, build_seconds=0.5
        )
        self.assertEqual(
            as_dict(counts, SPEC_KEYS),
            {"hits": 1, "builds": 2, "timed_builds": 1, "build_seconds": 0.5},
        )

    def test_read_names_the_first_bad_key(self) -> None:
        """Keys are read in the mapping's order; the error names the key."""
        reader = FieldReader({"acquisitions": 1}, "usage", ValueError)
        with self.assertRaisesRegex(ValueError, "usage has no 'hits'"):
            AcquisitionCounts.read(reader, FILE_KEYS)
        reader = FieldReader({"build_seconds": "1"}, "spec", ValueError)
        with self.assertRaisesRegex(ValueError, "'build_seconds' must be a finite"):
            AcquisitionCounts.read(reader, {"build_seconds": "build_seconds"})

    def test_read_leaves_fields_not_in_the_file_at_zero(self) -> None:
        """A report's spec has no acquired key: it stays for the reader."""
        data = {"hits": 1, "builds": 2, "timed_builds": 0, "build_seconds": 0}
        counts = AcquisitionCounts.read(FieldReader(data, "s", ValueError), SPEC_KEYS)
        self.assertEqual(counts, _counts(hits=1, builds=2))
        self.assertIsInstance(counts.build_seconds, float)


class CheckTests(unittest.TestCase):
    """check_build_seconds: the recorders' one check of a build time."""

    def test_accepts(self) -> None:
        """None, or a finite number >= 0 for a build."""
        check_build_seconds(None, True, "a.A")
        check_build_seconds(None, False, "a.A")
        check_build_seconds(0, False, "a.A")
        check_build_seconds(0.5, False, "a.A")

    def test_rejects(self) -> None:
        """A time for a hit, a negative or infinite one, a non-number."""
        with self.assertRaisesRegex(
            InvalidArgumentError,
            r"^a hit builds nothing; pass build_seconds=None for 'a\.A', not 0\.1$",
        ):
            check_build_seconds(0.1, True, "a.A")
        for bad in (-1.0, math.inf, math.nan):
            with self.subTest(bad), self.assertRaises(InvalidArgumentError):
                check_build_seconds(bad, False, "a.A")
        with self.assertRaises(ArgumentTypeError):
            check_build_seconds("1", False, "a.A")


class OneEventThreeCountersTests(unittest.TestCase):
    """The pool, the usage recorder and the run report agree on one run."""

    def setUp(self) -> None:
        registry = mockpool.Registry()
        registry.register("Mailer", Mailer)
        self.pool = Pool(registry, "Mailer")
        self.usage = UsageRecorder()
        self.report = RunReport(worker="w")

        def receive(
            pool: Any, recycled: bool, build_seconds: float | None, leased_now: int
        ) -> None:
            if pool is not self.pool:
                return
            self.usage.record_acquire(
                pool.name,
                hit=recycled,
                build_seconds=build_seconds,
                leased_now=leased_now,
            )
            self.report.record_acquire(
                pool.name, hit=recycled, build_seconds=build_seconds
            )

        events.acquired.connect(receive)
        self.addCleanup(events.acquired.disconnect, receive)

    def test_the_same_figures_under_the_same_names(self) -> None:
        """Acquired, hits, builds, peak and build time: equal everywhere."""
        held: dict[int, Lease] = {}
        for round_ in range(3):
            for key in range(round_ + 1):
                held[key] = self.pool.acquire()
            for key in list(held):
                self.pool.release(held, key)
        stats = self.pool.stats()
        usage = self.usage.snapshot()["Mailer"]
        spec = self.report.specs["Mailer"]
        self.assertEqual((stats.acquired, stats.hits, stats.builds), (6, 3, 3))
        for view in (usage, spec):
            with self.subTest(type(view).__name__):
                self.assertEqual(
                    (view.acquired, view.hits, view.builds),
                    (stats.acquired, stats.hits, stats.builds),
                )
                self.assertEqual(view.hit_rate, stats.hit_rate)
        self.assertEqual(usage.peak_leased, stats.peak_leased)
        self.assertEqual(usage.build_seconds, spec.build_seconds)
        self.assertEqual(self.report.acquired, stats.acquired)

    def test_only_the_pool_counts_builds_ahead(self) -> None:
        """A warmed mock is the pool's build; to the others the hand-out is a hit."""
        self.pool.warm(1)
        held = {0: self.pool.acquire()}
        self.pool.release(held, 0)
        stats = self.pool.stats()
        usage = self.usage.snapshot()["Mailer"]
        self.assertEqual((stats.acquired, stats.hits, stats.builds), (1, 1, 1))
        self.assertEqual((usage.acquired, usage.hits, usage.builds), (1, 1, 0))


if __name__ == "__main__":
    unittest.main()
