"""Tests for what one plain mock costs the stdlib and mockpool (plain_cost).

The run report's "plain mocks" saving is the count of each kind built times
what :func:`mockpool._reporting.plain_cost.measure` finds one costs each
side: its build and the garbage collector's share of it, measured on a
batch kept alive as a test keeps its mocks; child mocks are counted as
mocks of their own class; a figure measured another way is not recalled.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import smtplib
import sys
import threading
import unittest
import warnings
import weakref
from collections.abc import Iterator
from typing import Any
from unittest import mock

import mockpool
from mockpool._autospec import lazy
from mockpool._autospec import plain as _plain
from mockpool._autospec.plain import construction
from mockpool._base import compat
from mockpool._learning.costs import CostMemory
from mockpool._reporting import plain_cost, run_report, stdlib_cost
from mockpool._reporting.plain_cost import PlainKey


def _autospecced(a: int, b: int = 2) -> int:
    """What a function autospec is made of."""
    return a + b


class _CollectorRestored(unittest.TestCase):
    """The collector is left as each test found it, the acceleration off."""

    def setUp(self) -> None:
        was_enabled = gc.isenabled()
        self.addCleanup(lambda: gc.enable() if was_enabled else gc.disable())
        _plain.enable()
        self.addCleanup(_plain.disable)


class BatchTests(_CollectorRestored):
    """Each side builds a batch kept alive, then drops and collects it."""

    def _recording_builds(self) -> None:
        """Patch the build to note, per mock, which mocks built before it
        are still alive (weak references) and the collector's state."""
        real_build = plain_cost._build
        self.built: list[weakref.ref[Any]] = []
        self.alive_at_build: list[list[bool]] = []
        self.collector_on: list[bool] = []

        def build(mock_class: type, spec: Any) -> object:
            made = real_build(mock_class, spec)
            self.alive_at_build.append([ref() is not None for ref in self.built])
            self.built.append(weakref.ref(made))
            self.collector_on.append(gc.isenabled())
            return made

        patcher = mock.patch.object(plain_cost, "_build", build)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_a_tests_mocks_are_kept_until_the_batch_is_built(self) -> None:
        self._recording_builds()
        gc.enable()
        self.assertIsNotNone(plain_cost.measure(PlainKey(mock.MagicMock, None)))
        warm_up, batch = plain_cost.WARM_UP, plain_cost.BATCH
        side = warm_up + batch
        self.assertEqual(len(self.built), 2 * side)
        for first in (warm_up, side + warm_up):  # each side's batch
            # Within the batch, every mock built before is still alive.
            for index in range(first, first + batch):
                self.assertEqual(
                    self.alive_at_build[index][first:index], [True] * (index - first)
                )
        # Built with the collector paused: a collection lands on the batch.
        self.assertEqual(set(self.collector_on), {False})
        self.assertTrue(gc.isenabled())

    def test_the_stdlib_mocks_garbage_is_collected_within_the_measurement(
        self,
    ) -> None:
        """A stdlib MagicMock is a cycle through its own class: only a
        collection frees it, and that collection is part of the figure."""
        self._recording_builds()
        gc.enable()
        plain_cost.measure(PlainKey(mock.MagicMock, None))
        self.assertEqual([ref for ref in self.built if ref() is not None], [])

    def test_a_run_without_the_collector_pays_for_no_collection(self) -> None:
        self._recording_builds()
        gc.disable()
        with mock.patch.object(plain_cost, "_gc_collect") as collect:
            self.assertIsNotNone(plain_cost.measure(PlainKey(mock.MagicMock, None)))
        collect.assert_not_called()
        self.assertFalse(gc.isenabled())
        # The stdlib's cycles were left for a collection, as in such a run.
        self.assertTrue(any(ref() is not None for ref in self.built))
        gc.collect()

    def test_a_figure_includes_the_collectors_share(self) -> None:
        """Time passes only in collections: the scan that finds the batch
        alive counts twice (the young and the middle generation) and
        FULL_COLLECTION_SCANS more times (the old generation's full
        collections), the collection freeing it once."""
        clock = [0.0]
        generations: list[int] = []

        def collect(generation: int = 2) -> int:
            generations.append(generation)
            clock[0] += {0: 1.0, 1: 2.0}[generation]
            return 0

        gc.enable()
        timed = mock.patch.object(plain_cost, "_thread_time", lambda: clock[0])
        with mock.patch.object(plain_cost, "_gc_collect", collect), timed:
            figures = plain_cost.measure(PlainKey(mock.Mock, None))
        stdlib_seconds, mockpool_seconds = figures or (0.0, 0.0)
        # Per side: the young generations emptied (untimed), the scan, the free.
        self.assertEqual(generations, [1, 0, 1, 1, 0, 1])
        expected = (1.0 + 2.0 + (1 + plain_cost.FULL_COLLECTION_SCANS) * 1.0) / (
            plain_cost.BATCH
        )
        self.assertAlmostEqual(stdlib_seconds, expected)
        self.assertAlmostEqual(mockpool_seconds, expected)

    def test_the_first_builds_after_a_switch_are_not_timed(self) -> None:
        """The stdlib's construction code has not run since the acceleration
        took over (or not at all in this process), and suspending it empties
        the mock classes' type caches: its first few builds are slower than
        under plain unittest, where that code is run by every test. Each
        side's batch follows WARM_UP untimed builds."""
        clock = [0.0]
        builds_per_side = plain_cost.WARM_UP + plain_cost.BATCH
        costs = ([10.0] * 3 + [1.0] * (builds_per_side - 3)) * 2

        def build(mock_class: type, spec: Any) -> object:
            clock[0] += costs.pop(0)
            return object()

        gc.disable()  # no collection: the figure is the build alone
        timed = mock.patch.object(plain_cost, "_thread_time", lambda: clock[0])
        with mock.patch.object(plain_cost, "_build", build), timed:
            figures = plain_cost.measure(PlainKey(mock.Mock, None))
        self.assertEqual(costs, [])
        self.assertEqual(figures, (1.0, 1.0))

    def test_the_stdlib_side_costs_more_for_a_magic_mock(self) -> None:
        gc.enable()
        stdlib_seconds, mockpool_seconds = plain_cost.measure(
            PlainKey(mock.MagicMock, smtplib.SMTP)
        ) or (0.0, 0.0)
        self.assertGreater(stdlib_seconds, mockpool_seconds)
        self.assertTrue(_plain.enabled())

    def test_a_kind_either_side_cannot_build_gives_none(self) -> None:
        with mock.patch.object(plain_cost, "_build", side_effect=TypeError("no")):
            self.assertIsNone(plain_cost.measure(PlainKey(mock.Mock, None)))
        self.assertTrue(_plain.enabled())


class _SuspensionsCounted(_CollectorRestored):
    """Counts how often the acceleration is suspended: each time sets
    attributes on unittest.mock's base classes, which empties the type
    caches of every mock class alive."""

    def setUp(self) -> None:
        super().setUp()
        self.suspensions = 0
        real_disable = _plain.disable

        def disable() -> None:
            real_disable()
            if not _plain.enabled():
                self.suspensions += 1

        patcher = mock.patch.object(_plain, "disable", disable)
        patcher.start()
        self.addCleanup(patcher.stop)


class MeasureKindsTests(_SuspensionsCounted):
    """measure_kinds: every kind's stdlib side in one suspension."""

    KINDS = (
        PlainKey(mock.MagicMock, None),
        PlainKey(mock.Mock, None),
        PlainKey(mock.MagicMock, smtplib.SMTP),
    )

    def test_the_acceleration_is_suspended_once_for_all_kinds(self) -> None:
        measured = plain_cost.measure_kinds(self.KINDS)
        self.assertEqual(self.suspensions, 1)
        self.assertEqual(set(measured), set(self.KINDS))
        self.assertNotIn(None, measured.values())
        self.assertTrue(_plain.enabled())

    def test_each_side_is_built_the_way_it_is_named(self) -> None:
        """Every mockpool side with the acceleration on, first; then every
        stdlib side with it suspended; each figure in its place. (Told by
        the state each side runs in, not by which is faster: a timing
        under a coverage tracer or a loaded host can go either way.)"""
        sides: list[bool] = []

        def side_cost(key: PlainKey, collecting: bool) -> float:
            sides.append(_plain.enabled())
            return 1.0 if _plain.enabled() else 2.0

        with mock.patch.object(plain_cost, "_side_cost", side_cost):
            measured = plain_cost.measure_kinds(self.KINDS)
        count = len(self.KINDS)
        self.assertEqual(sides, [True] * count + [False] * count)
        self.assertEqual(set(measured.values()), {(2.0, 1.0)})

    def test_a_kind_that_fails_to_build_leaves_the_others_measured(self) -> None:
        real_build = plain_cost._build

        def build(mock_class: type, spec: Any) -> object:
            if mock_class is mock.Mock:
                raise TypeError("cannot build")
            return real_build(mock_class, spec)

        with mock.patch.object(plain_cost, "_build", build):
            measured = plain_cost.measure_kinds(self.KINDS)
        self.assertIsNone(measured[PlainKey(mock.Mock, None)])
        self.assertIsNotNone(measured[PlainKey(mock.MagicMock, None)])
        self.assertIsNotNone(measured[PlainKey(mock.MagicMock, smtplib.SMTP)])
        self.assertTrue(_plain.enabled())

    def test_kinds_not_begun_when_told_to_stop_are_left_out(self) -> None:
        """go_on is asked before each kind is begun: two kinds, then no
        more; each kind begun is measured on both sides."""
        answers = [True, True, False]
        sides: list[tuple[PlainKey, bool]] = []

        def side_cost(key: PlainKey, collecting: bool) -> float:
            sides.append((key, _plain.enabled()))
            return 1.0 if _plain.enabled() else 2.0

        with mock.patch.object(plain_cost, "_side_cost", side_cost):
            measured = plain_cost.measure_kinds(
                self.KINDS, lambda ahead: answers.pop(0)
            )
        self.assertEqual(answers, [])
        begun = list(self.KINDS[:2])
        self.assertEqual(measured, {key: (2.0, 1.0) for key in begun})
        self.assertEqual(
            sides, [(key, True) for key in begun] + [(key, False) for key in begun]
        )

    def test_go_on_is_told_what_beginning_the_kind_would_cost(self) -> None:
        """Before each kind, go_on hears what is expected to be spent if it
        is begun: the last suspension's cost; each begun kind's stdlib side,
        at SIDE_MOCKS times its stdlib figure, else at its mockpool side's
        CPU times STDLIB_SIDE_RATIO; and the kind's own two sides, where
        its figures are known."""
        clock = [0.0]
        told: list[float] = []

        def side_cost(key: PlainKey, collecting: bool) -> float:
            if _plain.enabled():
                clock[0] += 0.5 if key is self.KINDS[0] else 0.25
            else:
                clock[0] += 7.0  # a stdlib side: not the suspension's
            return 1.0

        @contextlib.contextmanager
        def suspended() -> Iterator[None]:
            clock[0] += 2.0
            with real_suspension():
                yield
            clock[0] += 1.0

        def go_on(ahead: float) -> bool:
            told.append(ahead)
            return True

        real_suspension = stdlib_cost.as_without_mockpool
        known = {self.KINDS[0]: (0.25, 0.125)}
        mocks = plain_cost.SIDE_MOCKS
        with (
            mock.patch.object(plain_cost, "_side_cost", side_cost),
            mock.patch.object(plain_cost, "_process_time", lambda: clock[0]),
            mock.patch.object(plain_cost, "as_without_mockpool", suspended),
            mock.patch.object(plain_cost, "_suspension_seconds", 0.0),
        ):
            plain_cost.measure_kinds(self.KINDS, go_on, known)
            first_stdlib_side = mocks * 0.25
            self.assertEqual(
                told,
                [
                    mocks * (0.25 + 0.125),
                    first_stdlib_side,
                    first_stdlib_side + 0.25 * plain_cost.STDLIB_SIDE_RATIO,
                ],
            )
            # The next measurement expects the suspension to cost as much.
            told.clear()
            plain_cost.measure_kinds(self.KINDS[1:2], go_on)
            self.assertEqual(told, [3.0])


class ReportSuspensionTests(_SuspensionsCounted):
    """The run report measures the kinds due together: one suspension for
    all the kinds waiting at a test's end, one for the samples taken at the
    run's end -- not one a kind."""

    KINDS = MeasureKindsTests.KINDS

    def setUp(self) -> None:
        super().setUp()
        for target, name, value in (
            # Under coverage (tox) a tracer is set, and nothing would be kept.
            (run_report, "_under_observation", False),
            # Not what these tests are about (see test_time_saved).
            (run_report.RunReport, "_affordable", True),
        ):
            patcher = mock.patch.object(target, name, return_value=value)
            patcher.start()
            self.addCleanup(patcher.stop)

    def _test_ends(self, report: run_report.RunReport) -> None:
        for kind in self.KINDS:
            report.record_plain(*kind)
        report.measure_stdlib_costs("t")

    def test_kinds_waiting_at_one_tests_end_share_one_suspension(self) -> None:
        report = run_report.RunReport(worker="w", costs=CostMemory())
        self._test_ends(report)
        self.assertEqual(self.suspensions, 1)
        self.assertEqual(report.plain_saving.compared, len(self.KINDS))

    def test_a_runs_end_takes_every_kinds_sample_in_one_suspension(self) -> None:
        memory = CostMemory()
        self._test_ends(run_report.RunReport(worker="w", costs=memory))
        # The next run recalls the kinds' single samples, and takes one more
        # of each at its end.
        report = run_report.RunReport(worker="w", costs=memory)
        self._test_ends(report)
        self.suspensions = 0
        report.resample_plain_costs()
        self.assertEqual(self.suspensions, 1)
        for kind in self.KINDS:
            name = plain_cost.remembered_as(kind)
            assert name is not None
            remembered = memory.recall(*name)
            assert remembered is not None
            self.assertEqual(len(remembered.samples), 2)


class ChildMockTests(_CollectorRestored):
    """Child mocks are built by the accelerated constructor, and counted as
    mocks of their own class: the report compares them at that kind's cost."""

    def test_attribute_and_return_value_children_are_counted(self) -> None:
        with mock.patch.object(construction, "_counting", True):
            construction.take_counts()
            parent = mock.MagicMock()
            parent.child.method(1)
            counted = construction.take_counts()
        # The parent, its attribute, the attribute's attribute, its
        # return_value: four MagicMocks without a spec.
        self.assertEqual(counted, {(mock.MagicMock, None): 4})


class CountTests(_CollectorRestored):
    """take_counts: the mocks built since the last call, by kind, each
    counted once whichever thread built it."""

    def setUp(self) -> None:
        super().setUp()
        patcher = mock.patch.object(construction, "_counting", True)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.addCleanup(construction.take_counts)
        construction.take_counts()

    def test_the_probe_of_method_children_is_no_tests_mock(self) -> None:
        """A lazy autospec's first method child probes how the stdlib
        autospecs methods, with a class of mockpool's own: those mocks are
        counted as no test's (the report measured their kind every run)."""
        # Unprobed, as in a new process.
        with mock.patch.object(lazy, "_presets", None):
            client = lazy.create_autospec(smtplib.SMTP, instance=True)
            client.noop()
            self.assertIsNotNone(lazy._presets)
        specs = {spec for _, spec in construction.take_counts()}
        self.assertNotIn(compat._Probe, specs)

    def test_kinds_are_the_class_and_a_class_spec(self) -> None:
        mock.Mock()
        mock.Mock()
        mock.MagicMock(spec=smtplib.SMTP)
        mock.Mock(spec=object())
        self.assertEqual(
            construction.take_counts(),
            {
                (mock.Mock, None): 2,
                (mock.MagicMock, smtplib.SMTP): 1,
                (mock.Mock, _plain.OTHER_SPEC): 1,
            },
        )
        self.assertEqual(construction.take_counts(), {})
        self.assertFalse(_plain.COUNTED)
        self.assertFalse(_plain.COUNTED_STOCK)

    def test_the_mock_inside_a_function_autospec_is_not_counted(self) -> None:
        """The report prices a function autospec as an autospec: its mock is
        no plain mock of the test's (counted, it would also make the report
        settle counts after every test)."""
        mockpool.create_autospec(_autospecced, spec_set=True)(1)
        self.assertEqual(construction.take_counts(), {})
        mock.Mock()  # counting is back on
        self.assertEqual(construction.take_counts(), {(mock.Mock, None): 1})

    def test_windows_uncounted_on_two_threads_leave_counting_on(self) -> None:
        """A window opened on another thread while one is open (and closed
        after it) puts back the setting it found once the first is over."""
        inside, release_first, release_second = (
            threading.Event(),
            threading.Event(),
            threading.Event(),
        )

        def first() -> None:
            inside.set()
            release_first.wait(10)

        def build(wait: Any) -> None:
            construction.uncounted_call(wait)

        one = threading.Thread(target=build, args=(first,))
        one.start()
        self.assertTrue(inside.wait(10))
        two = threading.Thread(target=build, args=(lambda: release_second.wait(10),))
        two.start()
        two.join(0.2)  # as far as it gets while the first window is open
        release_first.set()
        one.join(10)
        release_second.set()
        two.join(10)
        self.assertTrue(construction._counting)

    def test_only_kinds_of_unittest_mocks_own_classes_may_wait(self) -> None:
        """A count may be kept past a test's end only if it names nothing of
        the test's: a mock subclass or a spec class goes with the kinds
        taken at every test's end."""

        class Local:
            pass

        class OwnMock(mock.MagicMock):
            pass

        mock.Mock()
        mock.MagicMock().child  # a child mock, counted too
        self.assertEqual(len(_plain.COUNTED_STOCK), 3)
        self.assertFalse(_plain.COUNTED)
        OwnMock()
        mock.Mock(spec=Local)
        self.assertEqual(len(_plain.COUNTED_STOCK), 3)
        self.assertEqual(len(_plain.COUNTED), 2)
        self.assertEqual(
            construction.take_counts(),
            {
                (mock.Mock, None): 1,
                (mock.MagicMock, None): 2,
                (OwnMock, None): 1,
                (mock.Mock, Local): 1,
            },
        )

    def test_a_spec_that_cannot_be_hashed_is_left_out_with_a_warning(self) -> None:
        """Bookkeeping never fails a test: the other kinds are counted."""

        class Unhashable(type):
            def __hash__(cls) -> int:
                raise TypeError("no hash")

        class Odd(metaclass=Unhashable):
            pass

        mock.Mock(spec=Odd)
        mock.Mock()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            counted = construction.take_counts()
        self.assertEqual(counted, {(mock.Mock, None): 1})
        self.assertIn("no hash", "".join(str(w.message) for w in caught))

    def test_the_mocks_the_report_builds_to_measure_are_not_counted(self) -> None:
        """Measuring a kind builds batches of it with the acceleration on:
        none of those is a test's mock."""
        self.assertIsNotNone(plain_cost.measure(PlainKey(mock.MagicMock, None)))
        self.assertEqual(construction.take_counts(), {})
        mock.MagicMock()  # counting itself is back on
        self.assertEqual(construction.take_counts(), {(mock.MagicMock, None): 1})

    def test_a_mocks_own_class_is_not_counted(self) -> None:
        """A class statement with a mock as its base calls the mock's class:
        not a mock the report may keep the class of."""
        base = mock.MagicMock()
        construction.take_counts()

        class Derived(base):  # type: ignore[misc,valid-type]
            pass

        self.assertIsInstance(Derived, type(base))
        type(base)(name="same class")  # its own class called with no spec
        self.assertEqual(construction.take_counts(), {})

    def test_counts_taken_while_threads_build_are_never_lost(self) -> None:
        builders, each = 4, 300
        taken: list[dict[tuple[type, Any], int]] = []
        done = threading.Event()

        def build() -> None:
            for _ in range(each):
                mock.Mock()

        def take() -> None:
            while not done.is_set():
                taken.append(construction.take_counts())

        # Threads switched as often as can be: a count lost between taking
        # and building would show.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        self.addCleanup(sys.setswitchinterval, interval)
        threads = [threading.Thread(target=build) for _ in range(builders)]
        taker = threading.Thread(target=take)
        taker.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done.set()
        taker.join()
        taken.append(construction.take_counts())
        total = sum(counts.get((mock.Mock, None), 0) for counts in taken)
        self.assertEqual(total, builders * each)

    def test_two_takers_at_once_count_each_mock_once(self) -> None:
        """A taker stopped between copying the counts and deleting them:
        another taker meanwhile must not count the same mocks."""
        for _ in range(3):
            mock.Mock()
        lines, first = inspect.getsourcelines(construction.take_counts)
        (delete,) = (
            first + number
            for number, line in enumerate(lines)
            # Mock() without a spec is counted with the stock kinds.
            if line.strip().startswith("del COUNTED_STOCK")
        )
        copied, resume = threading.Event(), threading.Event()
        taken: list[dict[tuple[type, Any], int]] = []

        def pause_before_delete(frame: Any, event: str, arg: Any) -> Any:
            if frame.f_code is not construction.take_counts.__code__:
                return None

            def on_line(frame: Any, event: str, arg: Any) -> Any:
                if event == "line" and frame.f_lineno == delete:
                    copied.set()
                    resume.wait(timeout=5)
                return on_line

            return on_line

        def paused_taker() -> None:
            sys.settrace(pause_before_delete)
            try:
                taken.append(construction.take_counts())
            finally:
                sys.settrace(None)

        first_taker = threading.Thread(target=paused_taker)
        first_taker.start()
        self.assertTrue(copied.wait(timeout=5))
        second_taker = threading.Thread(
            target=lambda: taken.append(construction.take_counts())
        )
        second_taker.start()
        # Given time to take the same mocks, if nothing stops it.
        second_taker.join(timeout=0.5)
        resume.set()
        first_taker.join()
        second_taker.join()
        total = sum(counts.get((mock.Mock, None), 0) for counts in taken)
        self.assertEqual(total, 3)


class StampTests(unittest.TestCase):
    """A figure is kept under a stamp that includes how it was measured."""

    def test_changing_the_method_changes_the_stamp_not_the_name(self) -> None:
        key = PlainKey(mock.Mock, smtplib.SMTP)
        before = plain_cost.remembered_as(key)
        with mock.patch.object(plain_cost, "METHOD", "another way"):
            after = plain_cost.remembered_as(key)
        self.assertIsNotNone(before)
        self.assertIsNotNone(after)
        name, stamp = before or ("", "")
        self.assertEqual(after, (name, (after or ("", ""))[1]))
        self.assertNotEqual(stamp, (after or ("", ""))[1])
        self.assertEqual(len(stamp), 16)


if __name__ == "__main__":
    unittest.main()
