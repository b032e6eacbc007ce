"""Tests for the run report, worker files and ``combine``."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
import warnings
from collections import Counter
from typing import Any
from unittest import mock

from mockpool._autospec.pristine import DiscardReason
from mockpool._autospec.variants import Variant
from mockpool._base import files as _files
from mockpool._base import process as _process
from mockpool._cli.main import main
from mockpool._reporting import worker_files as _worker_files
from mockpool._reporting.run_report import (
    FORMAT,
    MAX_LINES,
    Leak,
    ReportError,
    RunReport,
)
from mockpool.errors import InvalidVariantError

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Every DiscardReason string.
REASONS = sorted(
    value
    for name, value in vars(DiscardReason).items()
    if not name.startswith("_") and isinstance(value, str)
)
DEGRADED = [variant for variant in Variant if variant.degraded]


def _temporary_directory(case: unittest.TestCase) -> str:
    directory = tempfile.TemporaryDirectory()
    case.addCleanup(directory.cleanup)
    return directory.name


def _write(directory: str, report: RunReport) -> str:
    path = _worker_files.report_path(directory, report.worker)
    _files.write_atomic(path, json.dumps(report.to_dict()))
    return path


class _Tally:
    """What a test recorded, kept independently of RunReport."""

    def __init__(self) -> None:
        self.tests = 0
        self.hits: Counter[str] = Counter()
        self.builds: Counter[str] = Counter()
        self.seconds: dict[str, list[float]] = {}
        self.discards: Counter[str] = Counter()
        self.degraded: Counter[tuple[str, str]] = Counter()
        self.leaks: list[Leak] = []
        self.workers: list[str] = []


def _random_report(worker: str, rng: random.Random, tally: _Tally) -> RunReport:
    """A report of random records, each also added to *tally*."""
    report = RunReport(worker=worker)
    tally.workers.append(worker)
    specs = [f"pkg.mod{index}.Service{index}" for index in range(12)]
    for _ in range(rng.randint(5, 40)):
        report.record_test()
        tally.tests += 1
    for _ in range(rng.randint(20, 200)):
        spec = rng.choice(specs)
        if rng.random() < 0.7:
            report.record_acquire(spec, hit=True, build_seconds=None)
            tally.hits[spec] += 1
        else:
            seconds = rng.choice([None, rng.uniform(0.0001, 0.02)])
            report.record_acquire(spec, hit=False, build_seconds=seconds)
            tally.builds[spec] += 1
            if seconds is not None:
                tally.seconds.setdefault(spec, []).append(seconds)
    for _ in range(rng.randint(0, 6)):
        reason, count = rng.choice(REASONS), rng.randint(0, 4)
        report.record_discard(reason, count)
        tally.discards[reason] += count
    for _ in range(rng.randint(0, 4)):
        spec, variant = rng.choice(specs), rng.choice(DEGRADED)
        report.record_degraded(spec, variant)
        tally.degraded[spec, variant.value] += 1
    for index in range(rng.randint(0, 5)):
        leak = Leak(f"tests.{worker}.T.test_{index}", "mock assigned", f"T.m{index}")
        report.record_leak(leak.test_id, leak.kind, leak.detail)
        tally.leaks.append(leak)
    return report


class RecordingTests(unittest.TestCase):
    """What record_* counts and how the figures derive from it."""

    def test_counts_requests_hits_and_builds(self) -> None:
        """acquired, hits, builds and hit_rate follow the recorded requests."""
        report = RunReport(worker="w")
        requests = [("a.A", True), ("a.A", True), ("a.A", False), ("b.B", False)]
        requests += [("b.B", True)] * 5
        for spec, hit in requests:
            report.record_acquire(spec, hit=hit, build_seconds=None if hit else 0.01)
        for _ in range(7):
            report.record_test()
        hits = sum(hit for _, hit in requests)
        self.assertEqual(report.tests, 7)
        self.assertEqual(report.acquired, len(requests))
        self.assertEqual(report.hits, hits)
        self.assertEqual(report.builds, len(requests) - hits)
        self.assertAlmostEqual(report.hit_rate, hits / len(requests))
        self.assertEqual(report.specs["b.B"].acquired, 6)
        self.assertEqual(report.specs["b.B"].hits, 5)

    def test_hit_rate_is_zero_before_any_request(self) -> None:
        """A report with no request has a hit rate of 0.0, not an error."""
        self.assertEqual(RunReport(worker="w").hit_rate, 0.0)

    def test_lazy_builds_avoided_is_hits_times_mean_measured_build(self) -> None:
        """Per spec hits x mean measured build; unmeasured builds and specs add 0."""
        report = RunReport(worker="w")
        for seconds in (0.010, 0.030):
            report.record_acquire("a.A", hit=False, build_seconds=seconds)
        # An unmeasured build counts as a build but not in the mean.
        report.record_acquire("c.C", hit=False, build_seconds=0.002)
        report.record_acquire("c.C", hit=False, build_seconds=None)
        report.record_acquire("b.B", hit=False, build_seconds=None)
        for spec, hits in (("a.A", 5), ("b.B", 4), ("c.C", 10), ("never.Built", 3)):
            for _ in range(hits):
                report.record_acquire(spec, hit=True, build_seconds=None)
        expected = 5 * (0.010 + 0.030) / 2 + 10 * 0.002
        self.assertAlmostEqual(report.lazy_build_seconds_avoided, expected)
        self.assertEqual(report.specs["c.C"].builds, 2)
        self.assertEqual(report.specs["c.C"].timed_builds, 1)
        self.assertIsNone(report.specs["b.B"].mean_build_seconds)
        self.assertEqual(report.specs["never.Built"].estimated_seconds_saved, 0.0)

    def test_slowest_specs_go_by_mean_build_time(self) -> None:
        """slowest_specs orders by mean, not total, and leaves unmeasured out."""
        report = RunReport(worker="w")
        builds = {
            "many.Cheap": [0.010, 0.010, 0.010],  # largest total, small mean
            "one.Slow": [0.020],
            "two.Mid": [0.012, 0.016],
            "tie.A": [0.005],
            "tie.B": [0.005],
        }
        for spec, times in builds.items():
            for seconds in times:
                report.record_acquire(spec, hit=False, build_seconds=seconds)
        report.record_acquire("unmeasured.X", hit=False, build_seconds=None)
        means = {spec: sum(times) / len(times) for spec, times in builds.items()}
        expected = sorted(means, key=lambda spec: (-means[spec], spec))
        self.assertEqual([s.spec for s in report.slowest_specs(10)], expected)
        self.assertEqual([s.spec for s in report.slowest_specs(2)], expected[:2])
        self.assertEqual(report.slowest_specs(0), [])
        for stats in report.slowest_specs(10):
            self.assertAlmostEqual(stats.mean_build_seconds or 0.0, means[stats.spec])

    def test_discards_degraded_and_leaks(self) -> None:
        """Discards add by reason, degraded by (spec, variant); leaks keep order."""
        report = RunReport(worker="w")
        report.record_discard(DiscardReason.POOL_FULL)
        report.record_discard(DiscardReason.POOL_FULL, 3)
        report.record_discard(DiscardReason.ESCAPED, 0)
        report.record_discard(DiscardReason.SEALED, 2)
        report.record_degraded("a.A", Variant.MINIMAL)
        report.record_degraded("a.A", "minimal")
        report.record_degraded("a.A", "stub")
        report.record_leak("t.T.test_2", "patch not undone", "pkg.thing")
        report.record_leak("t.T.test_1", "mock assigned", "T.client")
        self.assertEqual(
            report.discards, {DiscardReason.POOL_FULL: 4, DiscardReason.SEALED: 2}
        )
        self.assertEqual(report.degraded, {("a.A", "minimal"): 2, ("a.A", "stub"): 1})
        self.assertEqual(
            report.leaks,
            [
                Leak("t.T.test_2", "patch not undone", "pkg.thing"),
                Leak("t.T.test_1", "mock assigned", "T.client"),
            ],
        )

    def test_rejects_figures_that_cannot_be_right(self) -> None:
        """Negative or non-finite times, a timed hit, a bad count or variant."""
        report = RunReport(worker="w")
        for seconds in (-0.1, math.nan, math.inf):
            with self.subTest(seconds=seconds), self.assertRaises(ValueError):
                report.record_acquire("a.A", hit=False, build_seconds=seconds)
        with self.assertRaisesRegex(ValueError, "a hit builds nothing"):
            report.record_acquire("a.A", hit=True, build_seconds=0.1)
        with self.assertRaises(ValueError):
            report.record_discard(DiscardReason.STATE, -1)
        with self.assertRaisesRegex(ValueError, "'lazy' is not degraded"):
            report.record_degraded("a.A", Variant.LAZY)
        with self.assertRaises(InvalidVariantError):
            report.record_degraded("a.A", "bogus")
        with self.assertRaises(TypeError):
            report.record_leak("t.T.test", "kind", None)  # type: ignore[arg-type]
        self.assertEqual(report.to_dict(), RunReport(worker="w").to_dict())

    def test_recording_is_thread_safe(self) -> None:
        """Concurrent records from many threads all count."""
        report = RunReport(worker="w")
        threads, rounds = 8, 2000

        def record(index: int) -> None:
            for step in range(rounds):
                report.record_test()
                report.record_acquire("a.A", hit=step % 2 == 0, build_seconds=None)
                report.record_discard(DiscardReason.POOL_FULL)
            report.record_leak(f"t.T.test_{index}", "mock assigned", "")

        workers = [threading.Thread(target=record, args=(i,)) for i in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        self.assertEqual(report.tests, threads * rounds)
        self.assertEqual(report.acquired, threads * rounds)
        self.assertEqual(report.hits, threads * rounds // 2)
        self.assertEqual(report.discards[DiscardReason.POOL_FULL], threads * rounds)
        self.assertEqual(len(report.leaks), threads)


class RenderTests(unittest.TestCase):
    """The report printed after unittest's summary."""

    def busy_report(self, specs: int = 50, leaks: int = 30) -> RunReport:
        report = RunReport(worker="gw0")
        rng = random.Random(7)
        for index in range(specs):
            spec = f"package.subpackage.module{index}.SomeRatherLongServiceName{index}"
            report.record_acquire(spec, hit=False, build_seconds=rng.uniform(0, 0.05))
            for _ in range(rng.randint(0, 9)):
                report.record_acquire(spec, hit=True, build_seconds=None)
            report.record_degraded(spec, rng.choice(DEGRADED))
        for reason in REASONS:
            report.record_discard(reason, rng.randint(1, 9))
        for index in range(leaks):
            report.record_leak(
                f"tests.test_module{index}.SomeTestCase.test_behaviour_{index}",
                "patch not undone",
                f"package.module.attribute{index}",
            )
        for _ in range(1199):
            report.record_test()
        return report

    def test_fits_one_screen_with_many_specs_and_leaks(self) -> None:
        """50 specs, 30 leaks, every discard reason: <= 20 lines of <= 70."""
        report = self.busy_report()
        lines = report.render().splitlines()
        self.assertLessEqual(len(lines), MAX_LINES)
        self.assertLessEqual(MAX_LINES, 20)
        self.assertEqual(lines[0], "-" * 70)
        for line in lines:
            self.assertLessEqual(len(line), 70, line)
        shown = [
            leak.test_id for leak in report.leaks if leak.test_id in report.render()
        ]
        self.assertGreaterEqual(len(shown), 2)
        self.assertIn(f"  ... and {30 - len(shown)} more", lines)
        self.assertIn("Leaks: 30 in 30 tests", lines)

    def test_names_every_leaking_test_when_there_is_room(self) -> None:
        """Each leaking test id appears, once per test, with what leaked."""
        report = RunReport(worker="w")
        report.record_leak("tests.a.T.test_one", "patch not undone", "pkg.x")
        report.record_leak("tests.a.T.test_one", "mock assigned", "T.y")
        report.record_leak("tests.b.U.test_two", "mock assigned", "U.z")
        text = report.render()
        self.assertIn("Leaks: 3 in 2 tests", text)
        self.assertIn(
            "  tests.a.T.test_one: patch not undone (pkg.x); mock assigned (T.y)",
            text.splitlines(),
        )
        self.assertIn("  tests.b.U.test_two: mock assigned (U.z)", text.splitlines())

    def test_shows_the_recorded_figures(self) -> None:
        """Tests, requests, hit rate, saving, three slowest, discards, degraded."""
        report = self.busy_report(specs=6, leaks=0)
        lines = report.render().splitlines()
        self.assertIn(f"mockpool: {report.tests} tests run, worker gw0", lines)
        self.assertIn(
            f"Mocks requested: {report.acquired} ({report.builds} built)", lines
        )
        self.assertIn(
            f"Builds avoided: {report.hits} ({report.hit_rate:.1%} of mocks requested)",
            lines,
        )
        saving = report.stdlib_saving
        self.assertIn(
            f"Time saved against unittest.mock: {saving.seconds_saved:.3f}s", lines
        )
        self.assertIn(
            f"  pool hits {saving.saved_on_hits:.3f}s, "
            f"lazy builds {saving.saved_on_builds:.3f}s; "
            f"{report.acquired - saving.compared} requests not compared",
            lines,
        )
        start = lines.index("Slowest specs (mean build time):")
        # The slowest specs give up lines first, down to one.
        shown = (
            next(
                index
                for index in range(start + 1, len(lines))
                if not lines[index].startswith("  ")
            )
            - start
            - 1
        )
        self.assertGreaterEqual(shown, 1)
        slowest = report.slowest_specs(shown)
        for offset, stats in enumerate(slowest, start=1):
            ms = (stats.mean_build_seconds or 0.0) * 1000
            self.assertEqual(lines[start + offset], f"  {ms:8.2f} ms  {stats.spec}")
        total = sum(report.discards.values())
        self.assertIn(f"Discarded from pools: {total}", lines)
        self.assertIn(
            f"Degraded variants: {sum(report.degraded.values())} mocks", lines
        )
        self.assertIn("Leaks: none", lines)

    def test_empty_report_says_none(self) -> None:
        """With nothing recorded, each section says none."""
        lines = RunReport(worker="w").render().splitlines()
        for line in ("Discarded from pools: none", "Degraded variants: none"):
            self.assertIn(line, lines)
        self.assertIn("Leaks: none", lines)
        self.assertIn("Slowest specs: no build measured", lines)

    def test_narrow_width_keeps_the_end_of_long_test_ids(self) -> None:
        """At width 40 no line is wider, and a long id keeps its method name."""
        report = RunReport(worker="w")
        test_id = "tests." + "deeply_nested." * 5 + "TestCase.test_the_method"
        report.record_leak(test_id, "mock assigned", "x")
        lines = report.render(width=40).splitlines()
        self.assertTrue(all(len(line) <= 40 for line in lines), lines)
        self.assertTrue(lines[-1].endswith("TestCase.test_the_method"), lines[-1])
        with self.assertRaises(ValueError):
            report.render(width=10)

    def test_lists_workers_of_a_merged_report(self) -> None:
        """A merged report's header names its workers."""
        merged = RunReport.merged(RunReport(worker=w) for w in ("gw0", "gw1"))
        self.assertIn("2 workers (gw0, gw1)", merged.render().splitlines()[1])


class DictTests(unittest.TestCase):
    """to_dict and from_dict."""

    def test_round_trip_through_json(self) -> None:
        """from_dict(json(to_dict())) gives back the same report."""
        report = _random_report("gw3", random.Random(3), _Tally())
        data = json.loads(json.dumps(report.to_dict()))
        self.assertEqual(data["format"], FORMAT)
        again = RunReport.from_dict(data)
        self.assertEqual(again.to_dict(), report.to_dict())
        self.assertEqual(again.worker, "gw3")
        self.assertEqual(again.leaks, report.leaks)
        self.assertEqual(again.specs, report.specs)
        self.assertEqual(again.degraded, report.degraded)

    def test_malformed_data_raises_a_value_error_naming_the_field(self) -> None:
        """Each malformed form raises ReportError (a ValueError) naming the field."""
        report = RunReport(worker="w")
        report.record_acquire("a.A", hit=False, build_seconds=0.5)
        report.record_degraded("a.A", "stub")
        report.record_leak("t.T.test", "mock assigned", "x")
        good = report.to_dict()

        def changed(path: tuple[Any, ...], value: Any) -> Any:
            data = json.loads(json.dumps(good))
            target = data
            for key in path[:-1]:
                target = target[key]
            if value is KeyError:
                del target[path[-1]]
            else:
                target[path[-1]] = value
            return data

        cases: list[tuple[object, str]] = [
            ([1, 2], "must be a JSON object"),
            (changed(("format",), KeyError), "no 'format'"),
            (changed(("format",), 2), "'format' is 2"),
            (changed(("format",), True), "'format' is True"),
            (changed(("tests",), -1), "'tests'"),
            (changed(("tests",), "3"), "'tests'"),
            (changed(("workers",), "w"), "'workers' must be a JSON array"),
            (changed(("specs", "a.A", "hits"), 1.5), "'hits'"),
            (changed(("specs", "a.A", "timed_builds"), 5), "timed_builds 5 > builds"),
            (changed(("specs", "a.A", "build_seconds"), "x"), "'build_seconds'"),
            (changed(("discards",), {"pool full": -2}), "'discards'['pool full']"),
            (changed(("degraded", 0, "variant"), "lazy"), "'degraded'[0]"),
            (changed(("leaks", 0, "detail"), KeyError), "'leaks'[0] has no 'detail'"),
        ]
        for data, fragment in cases:
            with self.subTest(fragment=fragment):
                with self.assertRaises(ValueError) as caught:
                    RunReport.from_dict(data)
                self.assertIsInstance(caught.exception, ReportError)
                self.assertIn(fragment, str(caught.exception))
        self.assertEqual(RunReport.from_dict(good).to_dict(), good)


class MergeTests(unittest.TestCase):
    """Merging reports loses no record."""

    def assert_matches(self, merged: RunReport, tally: _Tally) -> None:
        self.assertEqual(merged.tests, tally.tests)
        self.assertEqual(merged.hits, sum(tally.hits.values()))
        self.assertEqual(merged.builds, sum(tally.builds.values()))
        for spec, stats in merged.specs.items():
            self.assertEqual(stats.hits, tally.hits[spec])
            self.assertEqual(stats.builds, tally.builds[spec])
            times = tally.seconds.get(spec, [])
            self.assertEqual(stats.timed_builds, len(times))
            self.assertAlmostEqual(stats.build_seconds, math.fsum(times))
        self.assertEqual(set(merged.specs), set(tally.hits) | set(tally.builds))
        self.assertEqual(merged.discards, +tally.discards)
        self.assertEqual(merged.degraded, dict(tally.degraded))
        self.assertEqual(Counter(merged.leaks), Counter(tally.leaks))
        self.assertEqual(len(merged.leaks), len(tally.leaks))
        self.assertEqual(sorted(merged.workers), sorted(tally.workers))

    def test_combining_worker_files_loses_no_record(self) -> None:
        """combine(dir) of N worker files equals the sum of what they recorded."""
        directory = _temporary_directory(self)
        tally = _Tally()
        rng = random.Random(11)
        for index in range(8):
            _write(directory, _random_report(f"gw{index}", rng, tally))
        merged = _worker_files.combine(directory)
        self.assertEqual(merged.worker, "combined")
        self.assertEqual(len(merged.workers), 8)
        self.assert_matches(merged, tally)

    def test_merge_adds_the_other_and_leaves_it_unchanged(self) -> None:
        """a.merge(b) adds b into a; b is as it was."""
        tally = _Tally()
        rng = random.Random(5)
        first = _random_report("a", rng, tally)
        second = _random_report("b", rng, tally)
        before = second.to_dict()
        first.merge(second)
        self.assertEqual(second.to_dict(), before)
        self.assertEqual(first.workers, ["a", "b"])
        self.assert_matches(first, tally)

    def test_merging_a_merged_report_keeps_every_worker(self) -> None:
        """Merging combined reports again still lists each worker and record."""
        tally = _Tally()
        rng = random.Random(9)
        parts = [_random_report(f"w{index}", rng, tally) for index in range(4)]
        left = RunReport.merged(parts[:2])
        right = RunReport.from_dict(RunReport.merged(parts[2:]).to_dict())
        self.assert_matches(RunReport.merged([left, right]), tally)


class WorkerIdTests(unittest.TestCase):
    """worker_id and report_path."""

    def setUp(self) -> None:
        names = _process.WORKER_ENV_VARS
        patcher = mock.patch.dict(os.environ)
        patcher.start()
        self.addCleanup(patcher.stop)
        for name in names:
            os.environ.pop(name, None)

    def test_precedence_of_the_environment_variables(self) -> None:
        """PYTEST_XDIST_WORKER, then TEST_WORKER_ID, then MOCKPOOL_WORKER."""
        os.environ["MOCKPOOL_WORKER"] = "mine"
        self.assertEqual(_process.worker_id(), "mine")
        os.environ["TEST_WORKER_ID"] = "7"
        self.assertEqual(_process.worker_id(), "7")
        os.environ["PYTEST_XDIST_WORKER"] = "gw3"
        self.assertEqual(_process.worker_id(), "gw3")
        os.environ["PYTEST_XDIST_WORKER"] = ""  # empty counts as unset
        self.assertEqual(_process.worker_id(), "7")

    def test_falls_back_to_host_and_pid(self) -> None:
        """With no variable set: '<hostname>-<pid>', sanitised."""
        # The name bound at import: a test's patch of socket.gethostname
        # must not reach mockpool's bookkeeping.
        with mock.patch.object(_process, "_gethostname", return_value="build host/1"):
            self.assertEqual(_process.worker_id(), f"build_host_1-{os.getpid()}")

    def test_sanitises_for_a_file_name(self) -> None:
        """Separators and other unsafe characters become '_'; no leading dot."""
        os.environ["MOCKPOOL_WORKER"] = "../etc/pass wd:*"
        worker = _process.worker_id()
        self.assertEqual(worker, "_._etc_pass_wd__")
        self.assertEqual(os.path.basename(worker), worker)
        os.environ["MOCKPOOL_WORKER"] = "x" * 500
        self.assertEqual(len(_process.worker_id()), 100)

    def test_report_path(self) -> None:
        """report_path is <directory>/mockpool-report-<worker>.json."""
        os.environ["TEST_WORKER_ID"] = "w 1"
        self.assertEqual(
            _worker_files.report_path("some/dir"),
            os.path.join("some/dir", "mockpool-report-w_1.json"),
        )
        self.assertEqual(
            _worker_files.report_path("d", "gw0"),
            os.path.join("d", "mockpool-report-gw0.json"),
        )


_KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from mockpool._reporting import worker_files as _worker_files

    report = _worker_files.process_report()
    for index in range(int(sys.argv[1])):
        report.record_leak(
            f"tests.test_big.BigTests.test_{index}", "patch not undone", "x" * 100
        )
    while True:
        report.record_test()
        _worker_files.flush()
    """
)


class AtomicWriteTests(unittest.TestCase):
    """write_atomic: a reader never sees a partial file."""

    def temporary_files(self, directory: str) -> list[str]:
        return [name for name in os.listdir(directory) if name.endswith(".tmp")]

    def test_replaces_the_file_and_leaves_no_temporary(self) -> None:
        """The new text replaces the old; nothing else is left in the directory."""
        directory = _temporary_directory(self)
        path = os.path.join(directory, "out.json")
        for text in ("first", "second, longer", "3"):
            _files.write_atomic(path, text)
            with open(path, encoding="utf-8") as stream:
                self.assertEqual(stream.read(), text)
        self.assertEqual(os.listdir(directory), ["out.json"])

    def test_a_failed_write_leaves_the_old_file(self) -> None:
        """If the rename fails, the old file is intact and the temporary gone."""
        directory = _temporary_directory(self)
        path = os.path.join(directory, "out.json")
        _files.write_atomic(path, "old")
        with (
            # The os.replace bound at import (a test's patch never reaches it).
            mock.patch.object(_files, "_replace", side_effect=OSError("disk gone")),
            self.assertRaisesRegex(OSError, "disk gone"),
        ):
            _files.write_atomic(path, "new")
        with open(path, encoding="utf-8") as stream:
            self.assertEqual(stream.read(), "old")
        self.assertEqual(self.temporary_files(directory), [])

    @unittest.skipUnless(hasattr(signal, "SIGKILL"), "needs SIGKILL")
    def test_writer_killed_mid_write_leaves_a_whole_file_or_none(self) -> None:
        """SIGKILL mid-write: old or whole file, others intact, combine ignores tmp."""
        leaks = 100_000  # about 20 MB of JSON: each write takes a while
        # Killed during the first write, then during the third.
        for writes_before in (0, 2):
            with self.subTest(writes_before=writes_before):
                self.kill_writer(leaks, writes_before)

    def kill_writer(self, leaks: int, writes_before: int) -> None:
        directory = _temporary_directory(self)
        others = [_random_report(f"gw{i}", random.Random(i), _Tally()) for i in (1, 2)]
        written = {_write(directory, report): report.to_dict() for report in others}
        path = _worker_files.report_path(directory, "victim")
        env = dict(os.environ, MOCKPOOL_REPORT_DIR=directory, MOCKPOOL_WORKER="victim")
        for name in ("PYTEST_XDIST_WORKER", "TEST_WORKER_ID"):
            env.pop(name, None)
        child = subprocess.Popen(
            [sys.executable, "-c", _KILLED_WRITER, str(leaks)], cwd=_ROOT, env=env
        )
        try:
            self.watch_writes(directory, path, writes_before, child)
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
        self.assertEqual(child.returncode, -signal.SIGKILL)
        # The report file is absent (killed during the first write) or whole.
        if writes_before:
            self.assertTrue(os.path.exists(path))
        if os.path.exists(path):
            victim = _worker_files.load(path)
            self.assertEqual(victim.worker, "victim")
            self.assertEqual(len(victim.leaks), leaks)
            self.assertGreaterEqual(victim.tests, writes_before)
            expected_workers = ["gw1", "gw2", "victim"]
        else:
            victim = RunReport(worker="victim")
            expected_workers = ["gw1", "gw2"]
        for other, data in written.items():
            self.assertEqual(_worker_files.load(other).to_dict(), data)
        left = self.temporary_files(directory)
        self.assertEqual(len(left), 1, "the kill should leave a temporary file")
        merged = _worker_files.combine(directory)
        self.assertEqual(sorted(merged.workers), expected_workers)
        self.assertEqual(
            merged.tests, victim.tests + sum(data["tests"] for data in written.values())
        )

    def watch_writes(
        self,
        directory: str,
        path: str,
        writes_before: int,
        child: subprocess.Popen[bytes],
    ) -> None:
        """Return while the child writes, after *writes_before* earlier writes.

        A write shows, whatever the writer's method, as one of the child's
        files growing: longer than at the previous look and still the same
        file (inode). The report file itself must never be seen empty or
        growing: a reader would then see part of a report.
        """
        report_name = os.path.basename(path)
        before = self.victim_files(directory)
        writes: set[tuple[str, int]] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.assertIsNone(child.poll(), "the writer died on its own")
            now = self.victim_files(directory)
            growing = {
                (name, inode)
                for name, (size, inode) in now.items()
                if name in before
                and before[name][1] == inode
                and before[name][0] < size
            }
            if any(name == report_name for name, _ in growing):
                self.fail("the report file grew in place: readers can see part of it")
            if now.get(report_name, (1, 0))[0] == 0:
                self.fail("the report file was seen empty")
            writes |= growing
            if growing and len(writes) > writes_before:
                return
            before = now
            time.sleep(0.0002)
        self.fail("the writer was never seen writing")

    def victim_files(self, directory: str) -> dict[str, tuple[int, int]]:
        """The size and inode of each of the victim's files."""
        found = {}
        for name in os.listdir(directory):
            if "victim" in name:
                with contextlib.suppress(OSError):
                    stat = os.stat(os.path.join(directory, name))
                    found[name] = (stat.st_size, stat.st_ino)
        return found


class ProcessReportTests(unittest.TestCase):
    """process_report and flush."""

    def setUp(self) -> None:
        for patcher in (
            mock.patch.object(_worker_files, "_report", None),
            mock.patch.dict(os.environ),
        ):
            patcher.start()
            self.addCleanup(patcher.stop)
        for name in (*_process.WORKER_ENV_VARS, _worker_files.REPORT_DIR_ENV):
            os.environ.pop(name, None)

    def test_one_report_per_process(self) -> None:
        """process_report returns the same report each time, named by worker_id."""
        os.environ["MOCKPOOL_WORKER"] = "solo"
        report = _worker_files.process_report()
        self.assertIs(_worker_files.process_report(), report)
        self.assertEqual(report.worker, "solo")

    def test_flush_writes_only_when_given_a_directory(self) -> None:
        """No directory and no MOCKPOOL_REPORT_DIR: nothing; else the report."""
        os.environ["MOCKPOOL_WORKER"] = "gw5"
        report = _worker_files.process_report()
        report.record_test()
        self.assertIsNone(_worker_files.flush())
        directory = _temporary_directory(self)
        os.environ["MOCKPOOL_REPORT_DIR"] = os.path.join(directory, "new")
        path = _worker_files.flush()
        self.assertEqual(
            path, _worker_files.report_path(os.path.join(directory, "new"), "gw5")
        )
        report.record_test()
        explicit = _worker_files.flush(directory)
        assert path is not None and explicit is not None
        self.assertEqual(_worker_files.load(path).tests, 1)
        self.assertEqual(_worker_files.load(explicit).to_dict(), report.to_dict())

    def test_end_test_counts_the_test_and_writes_only_with_a_directory(self) -> None:
        """end_test counts the test; with MOCKPOOL_REPORT_DIR set it also
        writes the file, with what before_writing gave the report first."""
        os.environ["MOCKPOOL_WORKER"] = "gw6"
        given: list[str] = []

        def before_writing(report: RunReport) -> None:
            given.append(report.worker)
            report.record_leak("given before writing", "kind", "detail")

        _worker_files.end_test(0.0, time.perf_counter(), before_writing)
        self.assertEqual(_worker_files.process_report().tests, 1)
        self.assertEqual(given, [])  # nothing is written: nothing to give

        directory = _temporary_directory(self)
        os.environ["MOCKPOOL_REPORT_DIR"] = directory
        _worker_files.end_test(0.0, time.perf_counter(), before_writing)
        self.assertEqual(given, ["gw6"])
        written = _worker_files.load(_worker_files.report_path(directory, "gw6"))
        self.assertEqual(written.tests, 2)
        self.assertEqual(
            [leak["test_id"] for leak in written.to_dict()["leaks"]],
            ["given before writing"],
        )

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_forked_child_starts_empty_under_its_own_name(self) -> None:
        """A child forked after records has an empty report and its own file."""
        os.environ["MOCKPOOL_WORKER"] = "parent"
        directory = _temporary_directory(self)
        parent = _worker_files.process_report()
        parent.record_test()
        parent.record_acquire("a.A", hit=True, build_seconds=None)
        parent.record_leak("t.T.test", "mock assigned", "x")
        before = parent.to_dict()
        read, write = os.pipe()
        with warnings.catch_warnings():
            # 3.12+ warns when forking a process that has threads.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            status = 1
            try:
                child = _worker_files.process_report()
                seen = {"same": child is parent, "data": child.to_dict()}
                child.record_test()
                seen["path"] = _worker_files.flush(directory)
                os.write(write, json.dumps(seen).encode())
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        with os.fdopen(read, "rb") as stream:
            seen = json.loads(stream.read() or b"null")
        _, status = os.waitpid(pid, 0)
        self.assertEqual(status, 0)
        self.assertFalse(seen["same"])
        self.assertEqual(seen["data"], RunReport(worker=f"parent-{pid}").to_dict())
        self.assertEqual(parent.to_dict(), before)
        _worker_files.flush(directory)
        self.assertNotEqual(seen["path"], _worker_files.report_path(directory))
        merged = _worker_files.combine(directory)
        self.assertEqual(sorted(merged.workers), ["parent", f"parent-{pid}"])
        self.assertEqual(merged.tests, 2)


class CombineTests(unittest.TestCase):
    """combine: which files it reads and how it fails."""

    def test_reads_only_report_files(self) -> None:
        """Temporaries, hidden and other files in the directory are ignored."""
        directory = _temporary_directory(self)
        report = RunReport(worker="gw0")
        report.record_test()
        _write(directory, report)
        for name in (
            ".mockpool-report-gw1.json.abc123.tmp",
            "mockpool-report-gw2.json.tmp",
            "notes.json",
            "mockpool-report-.json",
        ):
            with open(os.path.join(directory, name), "w", encoding="utf-8") as stream:
                stream.write("{half a rep")
        self.assertEqual(_worker_files.combine(directory).to_dict()["workers"], ["gw0"])

    def test_a_file_named_twice_counts_once(self) -> None:
        """A directory and a file in it: the file is read once."""
        directory = _temporary_directory(self)
        report = RunReport(worker="gw0")
        report.record_test()
        path = _write(directory, report)
        self.assertEqual(_worker_files.combine([directory, path]).tests, 1)

    def test_names_a_corrupt_file(self) -> None:
        """A corrupt report file raises ReportError naming it."""
        directory = _temporary_directory(self)
        _write(directory, RunReport(worker="gw0"))
        bad = os.path.join(directory, "mockpool-report-gw1.json")
        for content in ('{"format": 1, "worker"', '{"format": 1}', "\udcff"):
            with self.subTest(content=content):
                with open(bad, "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write(content)
                with self.assertRaises(ReportError) as caught:
                    _worker_files.combine(directory)
                self.assertIn(repr(bad), str(caught.exception))

    def test_nothing_to_combine(self) -> None:
        """An empty directory raises ReportError; a missing path FileNotFoundError."""
        directory = _temporary_directory(self)
        with self.assertRaisesRegex(ReportError, "no mockpool-report-"):
            _worker_files.combine(directory)
        with self.assertRaisesRegex(ReportError, "no mockpool-report-"):
            _worker_files.combine([])
        with self.assertRaises(FileNotFoundError):
            _worker_files.combine(os.path.join(directory, "missing"))


class CommandLineTests(unittest.TestCase):
    """python -m mockpool combine."""

    def run_main(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["combine", *args])
        return status, out.getvalue(), err.getvalue()

    def worker_files(self) -> tuple[str, RunReport]:
        directory = _temporary_directory(self)
        rng = random.Random(2)
        reports = [_random_report(f"gw{i}", rng, _Tally()) for i in range(3)]
        for report in reports:
            _write(directory, report)
        return directory, RunReport.merged(reports)

    def test_prints_the_merged_report(self) -> None:
        """Exit 0 and the render() of the merged report."""
        directory, merged = self.worker_files()
        status, out, err = self.run_main(directory)
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(out, merged.render() + "\n")

    def test_json_writes_the_merged_report(self) -> None:
        """--json OUT writes the merged report, which loads back the same."""
        directory, merged = self.worker_files()
        out_path = os.path.join(_temporary_directory(self), "combined.json")
        status, _, _ = self.run_main(directory, "--json", out_path)
        self.assertEqual(status, 0)
        self.assertEqual(_worker_files.load(out_path).to_dict(), merged.to_dict())

    def test_bad_input_exits_2_with_a_message(self) -> None:
        """No files, a missing path, a corrupt file, no arguments: status 2."""
        directory, _ = self.worker_files()
        empty = _temporary_directory(self)
        corrupt = os.path.join(empty, "mockpool-report-x.json")
        clash = os.path.join(directory, "mockpool-report-all.json")
        cases = [
            ((empty,), "no mockpool-report-*.json files"),
            ((os.path.join(empty, "nope"),), "no such mockpool report"),
            ((directory, "--json", clash), "would count it twice"),
            ((), "the following arguments are required"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                status, out, err = self.run_main(*args)
                self.assertEqual(status, 2)
                self.assertEqual(out, "")
                self.assertIn(message, err)
        with open(corrupt, "w", encoding="utf-8") as stream:
            stream.write("[]")
        status, _, err = self.run_main(empty)
        self.assertEqual(status, 2)
        self.assertIn(repr(corrupt), err)
        self.assertFalse(os.path.exists(clash))

    def test_runs_as_a_module(self) -> None:
        """python -m mockpool combine DIR prints the report and exits 0."""
        directory, merged = self.worker_files()
        done = subprocess.run(
            [sys.executable, "-m", "mockpool", "combine", directory],
            cwd=_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, merged.render() + "\n")


if __name__ == "__main__":
    unittest.main()
