"""The mock-creation timers (mockpool/_measure/timers.py).

A fake clock that advances one second per reading makes the totals exact:
an outermost call costs exactly one second (two readings), whatever runs
inside it, so counting a nested call twice shows as a second too many.
"""

from __future__ import annotations

import cProfile
import http.client
import importlib.util
import itertools
import os
import threading
import unittest
from typing import Any
from unittest import mock

from mockpool._measure import timers


class TickingClock:
    """A clock that reads 0, 1, 2, ...: each timed call costs one second."""

    __name__ = "ticking"

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += 1.0
            return self.now


def sample_function(a: int, b: str = "") -> str:
    """A function to autospec."""
    return b * a


class Sample:
    """A class to autospec."""

    def method(self, value: int) -> int:
        return value


class TimersCase(unittest.TestCase):
    def setUp(self) -> None:
        self.timers = timers.install(TickingClock())
        self.addCleanup(timers.uninstall)

    def seconds(self) -> dict[str, float]:
        return {k: v for k, v in self.timers.snapshot()["seconds"].items() if v}

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in self.timers.snapshot()["counts"].items() if v}


class OutermostOnlyTest(TimersCase):
    def test_a_magic_mock_is_one_construction(self) -> None:
        """MagicMock(): __new__ and the __init__ chain, one call, two readings."""
        mock.MagicMock()
        # __new__ starts the clock; the class's own __init__, which runs the
        # mixins' inside it, stops it.
        self.assertEqual(self.counts(), {"mock_init": 1})
        self.assertEqual(self.seconds(), {"mock_init": 1.0})

    def test_a_new_without_its_init_does_not_join_the_next_mock(self) -> None:
        """__new__ alone (as copy does) is left out; the next mock is itself."""
        orphan = mock.NonCallableMock.__new__(mock.Mock)
        mock.Mock()
        self.assertEqual(self.counts(), {"mock_init": 1})
        self.assertEqual(self.seconds(), {"mock_init": 1.0})
        self.assertIsInstance(orphan, mock.Mock)

    def test_other_mock_classes_are_timed_init_included(self) -> None:
        """NonCallableMock() and mixin-built classes: __init__ is in the time."""
        timers.uninstall()
        specs_added: list[object] = []
        original = mock.NonCallableMock._mock_add_spec

        def counting(*args: Any, **kwargs: Any) -> Any:
            specs_added.append(args)
            return original(*args, **kwargs)

        # A clock that reads how many specs __init__ has set up: a timed
        # call that holds an __init__ lasts one "second", else none.
        with mock.patch.object(mock.NonCallableMock, "_mock_add_spec", counting):
            self.timers = timers.install(lambda: float(len(specs_added)))

            class Custom(mock.CallableMixin, mock.NonCallableMock):
                pass

            mock.NonCallableMock(spec=Sample)
            Custom()
            mock.MagicMock()
            timers.uninstall()
        self.assertEqual(len(specs_added), 3)
        self.assertEqual(self.counts(), {"mock_init": 3})
        self.assertEqual(self.seconds(), {"mock_init": 3.0})

    def test_a_child_is_counted_once(self) -> None:
        """First access of an attribute is one child, however it is built."""
        parent = mock.Mock()
        before = self.counts()
        parent.child  # __getattr__ -> _get_child_mock -> Mock.__init__
        after = self.counts()
        self.assertEqual(after["child_mock"] - before.get("child_mock", 0), 1)
        self.assertEqual(after["mock_init"], before["mock_init"])
        parent.child  # built already: no creation, no time
        self.assertEqual(self.counts(), after)

    def test_a_spec_violation_is_not_a_creation(self) -> None:
        """An attribute the spec forbids raises and counts as nothing."""
        restricted = mock.Mock(spec=Sample)
        before = self.timers.snapshot()
        with self.assertRaises(AttributeError):
            restricted.missing
        after = self.timers.snapshot()
        self.assertEqual(
            (after["seconds"], after["counts"]), (before["seconds"], before["counts"])
        )

    def test_a_patch_with_autospec_is_one_patch(self) -> None:
        """patch(autospec=True) counts as patch_enter, not also an autospec."""
        with mock.patch.object(Sample, "method", autospec=True):
            pass
        self.assertEqual(self.counts(), {"patch_enter": 1, "patch_exit": 1})
        snapshot = self.timers.snapshot()
        self.assertEqual(
            snapshot["creation_seconds"], snapshot["seconds"]["patch_enter"]
        )

    def test_autospec_recursion_is_one_call(self) -> None:
        """A class autospec that recurses into attributes is one call."""
        mock.create_autospec(http.client.HTTPConnection, instance=True)
        self.assertEqual(self.counts(), {"autospec_instance": 1})
        self.assertEqual(self.seconds(), {"autospec_instance": 1.0})

    def test_an_exception_still_counts_and_resets_the_depth(self) -> None:
        """A failing creation is timed, and the next call is outermost again."""
        with self.assertRaises(AttributeError):
            mock.Mock(spec_set=Sample, missing=1)  # __init__ raises
        with self.assertRaises(TypeError):
            mock.create_autospec(sample_function)(1, 2, 3, 4)
        mock.Mock()
        self.assertEqual(self.counts(), {"mock_init": 2, "autospec_function": 1})
        self.assertEqual(self.seconds()["mock_init"], 2.0)

    def test_threads_keep_their_own_depth(self) -> None:
        """Calls on two threads are both counted, in one total."""
        worker = threading.Thread(target=mock.create_autospec, args=(Sample,))
        worker.start()
        worker.join()
        mock.create_autospec(Sample)
        self.assertEqual(self.counts(), {"autospec_class": 2})


class KindsTest(TimersCase):
    def test_autospec_kinds_follow_the_spec(self) -> None:
        """Instance, class, function/method and other specs are told apart."""
        mock.create_autospec(Sample, instance=True)
        mock.create_autospec(Sample, False, True)  # instance given by position
        mock.create_autospec(Sample)
        mock.create_autospec(sample_function)
        mock.create_autospec(Sample().method)
        mock.create_autospec(len)
        mock.create_autospec(http.client)
        self.assertEqual(
            self.counts(),
            {
                "autospec_instance": 2,
                "autospec_class": 1,
                "autospec_function": 3,
                "autospec_other": 1,
            },
        )

    def test_specs_are_named_and_timed_inside_patches_too(self) -> None:
        """The per-spec table also has autospecs a patch made."""
        with mock.patch(f"{__name__}.sample_function", autospec=True):
            pass
        mock.create_autospec(Sample, instance=True)
        specs = self.timers.snapshot()["specs"]
        self.assertEqual(
            specs,
            {
                f"{__name__}.sample_function": {"seconds": 1.0, "count": 1},
                f"{__name__}.Sample": {"seconds": 1.0, "count": 1},
            },
        )

    def test_patch_start_and_stop_are_timed(self) -> None:
        """patch().start() and stop() go through __enter__ and __exit__."""
        patcher = mock.patch("os.getcwd")
        patcher.start()
        patcher.stop()
        self.assertEqual(self.counts(), {"patch_enter": 1, "patch_exit": 1})
        self.assertNotIn("patch_exit", timers.CREATION_KINDS)

    def test_mocks_behave_as_without_timers(self) -> None:
        """Timed mocks still check signatures and record calls."""
        checked = mock.create_autospec(sample_function)
        with self.assertRaises(TypeError):
            checked(1, 2, 3)
        checked(2, b="x")
        checked.assert_called_once_with(2, b="x")
        magic = mock.MagicMock()
        self.assertEqual(len(magic), 0)
        self.assertIsInstance(magic, mock.MagicMock)


class InstallTest(unittest.TestCase):
    def originals(self) -> dict[str, Any]:
        base: Any = mock.NonCallableMock
        found = {
            "create_autospec": mock.__dict__["create_autospec"],
            "_patch.__enter__": mock._patch.__dict__["__enter__"],
            "_patch.__exit__": mock._patch.__dict__["__exit__"],
            "__new__": base.__dict__["__new__"],
            "__getattr__": base.__dict__["__getattr__"],
            "_get_child_mock": base.__dict__["_get_child_mock"],
        }
        # As they resolve: MagicMock's own is a mixin's, until install().
        for name in ("Mock", "MagicMock", "PropertyMock"):
            found[f"{name}.__init__"] = getattr(mock, name).__init__
        return found

    def test_uninstall_restores_the_stdlib_objects_by_identity(self) -> None:
        """After uninstall every replaced object is the original one."""
        before = self.originals()
        timers.install()
        try:
            during = self.originals()
            self.assertTrue(all(during[name] is not before[name] for name in before))
        finally:
            returned = timers.uninstall()
        self.assertIsInstance(returned, timers.Timers)
        after = self.originals()
        self.assertTrue(all(after[name] is before[name] for name in before), after)
        self.assertNotIn("__init__", vars(mock.MagicMock))  # inherited again
        # The chain of mixins' __init__ is never replaced.
        self.assertIs(
            mock.NonCallableMock.__init__, vars(mock.NonCallableMock)["__init__"]
        )
        self.assertIsNone(timers.installed())

    def test_totals_stay_readable_and_stop_growing_after_uninstall(self) -> None:
        """uninstall() returns the timers; later mocks are not counted."""
        installed = timers.install(TickingClock())
        mock.Mock()
        timers.uninstall()
        mock.Mock()
        self.assertEqual(installed.snapshot()["counts"]["mock_init"], 1)

    def test_installing_twice_is_refused(self) -> None:
        """A second install() raises instead of wrapping the wrappers."""
        timers.install()
        self.addCleanup(timers.uninstall)
        with self.assertRaisesRegex(RuntimeError, "already installed"):
            timers.install()

    def test_uninstall_without_install_is_harmless(self) -> None:
        """uninstall() with nothing installed returns None."""
        self.assertIsNone(timers.uninstall())

    def test_wrappers_keep_the_stdlib_names(self) -> None:
        """create_autospec still reads as itself (functools.wraps)."""
        original = mock.create_autospec
        timers.install()
        self.addCleanup(timers.uninstall)
        self.assertEqual(mock.create_autospec.__name__, "create_autospec")
        self.assertIs(getattr(mock.create_autospec, "__wrapped__", None), original)


class BoundariesTest(TimersCase):
    """The timed calls the timers count, which is how they price themselves."""

    def boundaries(self) -> dict[str, int]:
        result: dict[str, int] = self.timers.snapshot()["boundaries"]
        return result

    def added(self, before: dict[str, int]) -> dict[str, int]:
        after = self.boundaries()
        return {kind: after[kind] - before[kind] for kind in timers.BOUNDARIES}

    def test_reading_a_built_child_is_one_lookup_and_no_clock(self) -> None:
        """A child already built costs a lookup: no clock read, nothing nested."""
        parent = mock.Mock()
        parent.child
        before = self.boundaries()
        clock_before = self.timers.clock()
        for _ in range(5):
            parent.child
        self.assertEqual(self.added(before), {"clocked": 0, "nested": 0, "lookup": 5})
        # Nothing read the ticking clock between these two readings.
        self.assertEqual(self.timers.clock(), clock_before + 1)

    def test_building_a_child_is_one_clocked_call_with_nested_ones(self) -> None:
        """First access: one clocked __getattr__; the build inside is nested."""
        parent = mock.Mock()
        before = self.boundaries()
        parent.child
        added = self.added(before)
        self.assertEqual((added["clocked"], added["lookup"]), (1, 0))
        # _get_child_mock, __new__ and the __init__ chain, at least.
        self.assertGreaterEqual(added["nested"], 3)

    def test_a_spec_violation_is_clocked_though_not_counted(self) -> None:
        """A forbidden name reads the clock: priced, though it built nothing."""
        restricted = mock.Mock(spec=Sample)
        before = self.boundaries()
        with self.assertRaises(AttributeError):
            restricted.missing
        self.assertEqual(self.added(before), {"clocked": 1, "nested": 0, "lookup": 0})

    def test_an_autospec_inside_a_patch_is_clocked_twice(self) -> None:
        """patch(autospec=True) reads the clock for the patch and the spec."""
        with mock.patch.object(Sample, "method", autospec=True):
            pass
        boundaries = self.boundaries()
        # patch_enter, its autospec (for the per-spec table), patch_exit.
        self.assertEqual(boundaries["clocked"], 3)
        self.assertGreater(boundaries["nested"], 0)

    def test_counts_add_up_over_threads(self) -> None:
        """Each thread's boundaries are in the total."""
        worker = threading.Thread(target=mock.Mock)
        worker.start()
        worker.join()
        before = self.boundaries()
        mock.Mock()
        added = self.added(before)
        self.assertEqual(self.boundaries()["clocked"], 2 * added["clocked"])


class CalibrateTest(unittest.TestCase):
    def test_every_boundary_has_a_positive_cost(self) -> None:
        """A clocked call costs more than a nested one, and both cost."""
        costs = timers.calibrate(calls=500)
        self.assertEqual(set(costs), set(timers.BOUNDARIES))
        self.assertTrue(all(cost > 0 for cost in costs.values()), costs)
        # Two clock reads and the bookkeeping against a depth test.
        self.assertGreater(costs["clocked"], costs["nested"])

    def test_calibrating_leaves_the_installed_totals_alone(self) -> None:
        """calibrate() times timers of its own, not the suite's."""
        installed = timers.install(TickingClock())
        self.addCleanup(timers.uninstall)
        mock.Mock()
        before = installed.snapshot()
        timers.calibrate(calls=10, repeats=1)
        self.assertEqual(installed.snapshot(), before)

    def test_own_seconds_prices_each_boundary(self) -> None:
        """own_seconds is the sum of calls times their cost, kind by kind."""
        spent = timers.own_seconds(
            {"clocked": 10, "nested": 100, "lookup": 1000},
            {"clocked": 3e-6, "nested": 1e-6, "lookup": 5e-7},
        )
        self.assertAlmostEqual(spent, 10 * 3e-6 + 100 * 1e-6 + 1000 * 5e-7)
        self.assertEqual(timers.own_seconds({}, {"clocked": 1.0}), 0.0)

    def test_bad_sizes_are_refused_with_the_fix(self) -> None:
        """calls and repeats must be positive integers."""
        for bad in ({"calls": 0}, {"repeats": -1}, {"calls": 2.5}, {"calls": True}):
            with (
                self.subTest(bad=bad),
                self.assertRaisesRegex(ValueError, "give a positive integer"),
            ):
                timers.calibrate(**bad)


def _load_profile_counter() -> Any:
    """benchmarks/realworld/cprofile_run.py, loaded by its path."""
    path = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        "benchmarks",
        "realworld",
        "cprofile_run.py",
    )
    spec = importlib.util.spec_from_file_location("_cprofile_run", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ProfileCountTest(unittest.TestCase):
    """The cProfile count that check_measure.py sets against the timers.

    Profiled with a clock that counts events, so that the figures are
    exact: what matters is which calls count as outermost, as the timers
    decide it.
    """

    def outermost(self, work: Any) -> tuple[dict[str, float], dict[str, float]]:
        counter = _load_profile_counter()
        profiler = cProfile.Profile(itertools.count().__next__, 1.0)
        profiler.enable()
        try:
            work()
        finally:
            profiler.disable()
        profiler.create_stats()
        stats = profiler.stats
        result: tuple[dict[str, float], dict[str, float]] = counter.outermost_by_kind(
            stats, counter.entry_points()
        )
        return result

    def test_an_autospec_inside_a_patch_is_the_patch_only(self) -> None:
        """patch(autospec=True) is patch_enter; its autospec and mocks nest."""

        def work() -> None:
            with mock.patch.object(Sample, "method", autospec=True):
                pass

        outermost, every = self.outermost(work)
        self.assertGreater(outermost["patch_enter"], 0)
        self.assertGreater(every["autospec"], 0)
        self.assertGreater(every["mock_init"], 0)
        self.assertEqual(
            (outermost["autospec"], outermost["mock_init"], outermost["child_mock"]),
            (0, 0, 0),
        )

    def test_the_profile_and_the_timers_agree_on_the_kinds(self) -> None:
        """Direct autospecs, mocks and children count where the timers put them."""

        def work() -> None:
            mock.create_autospec(Sample, instance=True)
            built = mock.MagicMock()
            built.child.grandchild()

        outermost, _ = self.outermost(work)
        installed = timers.install(TickingClock())
        try:
            work()
        finally:
            timers.uninstall()
        counted = installed.snapshot()["counts"]
        timed_kinds = {
            "autospec" if kind.startswith("autospec") else kind
            for kind, count in counted.items()
            if count and kind != "patch_exit"
        }
        profiled_kinds = {kind for kind, spent in outermost.items() if spent}
        self.assertEqual(profiled_kinds, timed_kinds)
        self.assertEqual(profiled_kinds, {"autospec", "mock_init", "child_mock"})

    def test_inside_fractions_follow_the_callers(self) -> None:
        """A helper called half from an entry point is half inside one."""
        counter = _load_profile_counter()
        entry = ("mock.py", 1, "create_autospec")
        helper = ("mock.py", 2, "helper")
        test = ("test.py", 3, "test_x")
        leaf = ("mock.py", 4, "leaf")
        stats = {
            test: (1, 1, 1.0, 10.0, {}),
            entry: (1, 1, 1.0, 4.0, {test: (1, 1, 1.0, 4.0)}),
            # 3 s of calls from the entry point, 3 s from the test itself.
            helper: (2, 2, 2.0, 6.0, {entry: (1, 1, 1.0, 3.0), test: (1, 1, 1.0, 3.0)}),
            leaf: (2, 2, 4.0, 4.0, {helper: (2, 2, 4.0, 4.0)}),
        }
        inside = counter.inside_fractions(stats, [entry])
        self.assertEqual((inside[test], inside[entry]), (0.0, 0.0))
        self.assertAlmostEqual(inside[helper], 0.5)
        self.assertAlmostEqual(inside[leaf], 0.5)
