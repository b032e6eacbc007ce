"""Tests for the drop-in's per-test sessions: pooling, scopes and leaks."""

from __future__ import annotations

import builtins
import collections.abc
import gc
import io
import os
import shutil
import socket
import tempfile
import threading
import time
import unittest
import warnings
import weakref
from collections.abc import Iterator
from typing import Any
from unittest import mock

import mockpool
from mockpool._base import events
from mockpool._integration import dropin as _dropin
from mockpool._learning import lifecycle as _learning
from mockpool._pools import spec_pools
from mockpool._reporting import worker_files as _worker_files
from mockpool._reporting.run_report import RunReport
from tests import _dropin_cases as cases
from tests import _leaky

# Module attributes, not imported names: a TestCase class imported here
# would be discovered and run as a test of this module.
SEEN, KEPT, Gateway = cases.SEEN, cases.KEPT, cases.Gateway


def run_tests(*cases: type[unittest.TestCase], fail_on_leak: bool = False) -> Any:
    """Run *cases* under the drop-in; return (result, leak warnings)."""
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(case) for case in cases)
    _dropin.enable(fail_on_leak=fail_on_leak)
    try:
        with warnings.catch_warnings(record=True) as caught:
            runner = unittest.TextTestRunner(stream=io.StringIO(), warnings="always")
            result = runner.run(suite)
    finally:
        _dropin.disable()
    leaks = [w for w in caught if issubclass(w.category, mockpool.LeakWarning)]
    return result, leaks


def _ids(entries: list[tuple[unittest.TestCase, str]]) -> set[str]:
    return {test.id() for test, _ in entries}


class DropInTestBase(unittest.TestCase):
    def setUp(self) -> None:
        SEEN.clear()
        KEPT.clear()
        self.addCleanup(SEEN.clear)
        self.addCleanup(KEPT.clear)
        self.installation = mockpool.install()
        self.addCleanup(self.installation.undo)
        spec_pools.clear()
        self.report = _worker_files.process_report()
        fields = ("tests", "acquired", "hits")
        self.before = {field: getattr(self.report, field) for field in fields}

    def report_delta(self, field: str) -> int:
        now: int = getattr(self.report, field)
        before: int = self.before[field]
        return now - before


class PoolingTests(DropInTestBase):
    def test_instance_autospec_is_recycled_pristine(self) -> None:
        """The second test gets the first test's mock, as a fresh build is."""
        result, _ = run_tests(cases.Configures)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        first, second, state = SEEN[0], SEEN[1], SEEN[2]
        self.assertEqual(first, second, "the mock was not recycled")
        self.assertEqual(state, ([], False, True, None, True))
        # Neither the return value (99) nor the side effect (1, 2) survived.
        self.assertIsInstance(SEEN[3], mock.NonCallableMock)

    def test_recycled_mock_checks_signatures_like_a_fresh_one(self) -> None:
        """A recycled mock still refuses calls the spec does not allow."""

        class BadCall(unittest.TestCase):
            def test_1(self) -> None:
                SEEN.append(id(mock.create_autospec(Gateway, instance=True)))

            def test_2(self) -> None:
                gateway = mock.create_autospec(Gateway, instance=True)
                SEEN.append(id(gateway))
                with self.assertRaises(TypeError):
                    gateway.send()
                with self.assertRaises(AttributeError):
                    gateway.not_a_method

        result, _ = run_tests(BadCall)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(SEEN[0], SEEN[1])

    def test_mock_kept_past_its_test_is_not_recycled(self) -> None:
        """A mock stored outside the test is never handed out again."""
        result, _ = run_tests(cases.Escapes)
        self.assertTrue(result.wasSuccessful())
        self.assertNotEqual(SEEN[0], SEEN[1])
        self.assertIs(KEPT[0].send.called, False)

    def test_mocks_built_in_setupclass_belong_to_the_class(self) -> None:
        """setUpClass mocks are never pooled: tests get others, state stays."""
        result, _ = run_tests(cases.SharesAcrossClass)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        built_in_tests = {SEEN[0], SEEN[1]}
        self.assertEqual(SEEN[2], "class-wide")
        self.assertNotIn(id(cases.SharesAcrossClass.shared), built_in_tests)
        del cases.SharesAcrossClass.shared

    def test_changed_class_gets_a_mock_of_the_class_as_it_is(self) -> None:
        """Patching the class between tests changes what a build is."""

        class First(unittest.TestCase):
            def test_1(self) -> None:
                SEEN.append(mock.create_autospec(Gateway, instance=True))

        run_tests(First)
        old = SEEN.pop()
        del old
        with mock.patch.object(Gateway, "extra", create=True, new=lambda self: 1):
            run_tests(First)
            self.assertTrue(hasattr(SEEN[0], "extra"))
        SEEN.clear()
        run_tests(First)
        self.assertFalse(hasattr(SEEN[0], "extra"))

    def test_other_calls_are_built_not_pooled(self) -> None:
        """Class specs, named mocks and extra kwargs are fresh every time."""

        class Others(unittest.TestCase):
            def test_1(self) -> None:
                SEEN.append(id(mock.create_autospec(Gateway)))
                SEEN.append(id(mock.create_autospec(Gateway, instance=True, name="g")))

            def test_2(self) -> None:
                SEEN.append(id(mock.create_autospec(Gateway)))
                SEEN.append(id(mock.create_autospec(Gateway, instance=True, name="g")))

        result, _ = run_tests(Others)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(self.report_delta("hits"), 0)
        self.assertEqual(self.report_delta("acquired"), 4)

    def test_report_counts_requests_and_hits(self) -> None:
        """The run report sees one build and one build avoided."""
        run_tests(cases.Configures)
        self.assertEqual(self.report_delta("tests"), 2)
        self.assertEqual(self.report_delta("acquired"), 2)
        self.assertEqual(self.report_delta("hits"), 1)

    def test_each_test_runs_in_its_own_session(self) -> None:
        """A session named after the test is current during it, closed after."""
        run_tests(cases.SessionPerTest)
        name, closed = SEEN[0]
        self.assertEqual(name, "tests._dropin_cases.SessionPerTest.test_session")
        self.assertFalse(closed)
        self.assertTrue(SEEN[1].closed)
        self.assertIsNone(mockpool.current_session())

    def test_a_test_in_a_session_of_its_own_keeps_it(self) -> None:
        """A test wrapped in its own session sees that one, not the drop-in's."""
        result, _ = run_tests(cases.OwnSession)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(SEEN, ["its own"])


class LeakTests(DropInTestBase):
    def tearDown(self) -> None:
        _leaky.repair()

    def leaks_by_test(self, caught: list[Any]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for warning in caught:
            text = str(warning.message)
            test_id = text.split(" leaked: ")[0]
            found.setdefault(test_id, []).append(text)
        return found

    def test_leaking_tests_are_named_and_clean_ones_are_not(self) -> None:
        """Each leaking test gets a warning naming it and the target."""
        result, caught = run_tests(_leaky.Leaks, _leaky.CleansUp)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        found = self.leaks_by_test(caught)
        self.assertEqual(set(found), set(_leaky.LEAKING))
        for test_id, kind in _leaky.LEAKING.items():
            self.assertIn(kind, found[test_id][0])
        self.assertIn(
            "tests._leaky.helper still patched",
            found["tests._leaky.Leaks.test_patch_started_never_stopped"][0],
        )
        self.assertIn(
            "tests._leaky.Target.method = <MagicMock",
            found["tests._leaky.Leaks.test_mock_assigned_to_class"][0],
        )
        report_leaks = {leak.test_id for leak in self.report.leaks}
        self.assertLessEqual(set(_leaky.LEAKING), report_leaks)

    def test_fail_on_leak_fails_exactly_the_leaking_tests(self) -> None:
        """Failing on leaks, a leak is the leaking test's failure."""
        result, caught = run_tests(_leaky.Leaks, _leaky.CleansUp, fail_on_leak=True)
        self.assertEqual(_ids(result.failures), set(_leaky.LEAKING))
        self.assertEqual(result.errors, [])
        self.assertEqual(caught, [])
        self.assertEqual(result.testsRun, 11)

    def test_leaks_warn_after_the_test_without_touching_its_cleanups(self) -> None:
        """Not failing on leaks, the check adds nothing to the test: it runs
        once run() is over, so no cleanup of the drop-in's is left behind."""
        seen: list[list[Any]] = []

        class Looks(unittest.TestCase):
            def test_1(self) -> None:
                seen.append(list(self._cleanups))  # type: ignore[attr-defined]

        result, _ = run_tests(Looks)
        self.assertTrue(result.wasSuccessful())
        self.assertEqual(seen, [[]])

    def test_a_leak_under_warnings_as_errors_does_not_end_the_run(self) -> None:
        """-W error: a leak found after the test goes to stderr, the run on."""
        loader = unittest.TestLoader()
        suite = loader.loadTestsFromTestCase(_leaky.Leaks)
        stderr = io.StringIO()
        _dropin.enable()
        try:
            with warnings.catch_warnings(), mock.patch("sys.stderr", stderr):
                warnings.simplefilter("error")
                result = unittest.TestResult()
                suite.run(result)
        finally:
            _dropin.disable()
        self.assertEqual(result.testsRun, 4)
        self.assertEqual(result.errors + result.failures, [])
        self.assertEqual(stderr.getvalue().count("LeakWarning: "), len(_leaky.LEAKING))

    def test_a_skipped_test_keeps_no_check_when_failing_on_leaks(self) -> None:
        """A skipped test runs no cleanups: the check placed for it goes."""
        kept: list[unittest.TestCase] = []

        class Skipped(unittest.TestCase):
            def __init__(self, name: str) -> None:
                super().__init__(name)
                kept.append(self)

            @unittest.skip("not today")
            def test_skipped(self) -> None:
                pass

        result, caught = run_tests(Skipped, fail_on_leak=True)
        self.assertEqual(len(result.skipped), 1)
        self.assertEqual(caught, [])
        self.assertEqual(kept[0]._cleanups, [])  # type: ignore[attr-defined]


#: A global that a test rebinds itself around a patch of it.
REBOUND = "original"


class HidesDictMeta(type):
    """``cls.__dict__`` raises: patch cannot read the class's dict locally."""

    def __getattribute__(cls, name: str) -> Any:
        if name == "__dict__":
            raise AttributeError(name)
        return super().__getattribute__(name)


class HidesItsDict(metaclass=HidesDictMeta):
    def method(self) -> str:
        return "real"


class Uncomparable:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("__eq__")

    __hash__ = object.__hash__


class FreshValues(collections.abc.MutableMapping[str, Any]):
    """Builds a new, uncomparable value on every read."""

    def __init__(self, **items: int) -> None:
        self._raw = dict(items)

    def __getitem__(self, key: str) -> Any:
        self._raw[key]
        return Uncomparable()

    def __setitem__(self, key: str, value: Any) -> None:
        self._raw[key] = value

    def __delitem__(self, key: str) -> None:
        del self._raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._raw))

    def __len__(self) -> int:
        return len(self._raw)


FRESH = FreshValues(a=1)


#: A dict the size of a suite's sys.modules, which patch.dict is held to.
LARGE = {f"module_{index}": object() for index in range(3000)}


class PatchedTwice:
    """A target two patches of one test share."""

    value = "real"


class LeakCheckReadingTests(DropInTestBase):
    """A patch is leaked only if what it installed is still there."""

    def test_legal_patches_that_restore_oddly_pass_fail_on_leak(self) -> None:
        """Restored by setattr of what getattr gave (a class hiding its dict,
        a Mock's child), a global the test rebinds itself around a patch, a
        patch.dict of a mapping of fresh uncomparable values: no leak."""

        class Legal(unittest.TestCase):
            def test_class_hiding_its_dict(self) -> None:
                with mock.patch.object(HidesItsDict, "method", return_value="x"):
                    self.assertEqual(HidesItsDict().method(), "x")
                self.assertEqual(HidesItsDict().method(), "real")

            def test_child_of_a_mock(self) -> None:
                target = mock.Mock()
                child = target.squozz
                with mock.patch.object(target, "squozz", "patched"):
                    pass
                self.assertIs(target.squozz, child)

            def test_global_rebound_by_the_test(self) -> None:
                global REBOUND
                try:
                    REBOUND = "replacement"
                    with mock.patch(f"{__name__}.REBOUND", "patched"):
                        self.assertEqual(REBOUND, "patched")
                finally:
                    REBOUND = "original"

            def test_mapping_of_fresh_uncomparable_values(self) -> None:
                with mock.patch.dict(FRESH, {"b": 2}):
                    self.assertEqual(sorted(FRESH), ["a", "b"])

        result, caught = run_tests(Legal, fail_on_leak=True)
        self.assertEqual(result.failures + result.errors, [])
        self.assertEqual((result.testsRun, caught), (4, []))

    def test_a_large_dict_is_held_to_each_of_its_items(self) -> None:
        """patch.dict of a dict of thousands of items (as suites patch
        sys.modules): undone, no leak; never stopped, or with one value
        replaced since, a leak."""
        replaced = "module_1500"
        original = LARGE[replaced]

        class Patches(unittest.TestCase):
            def test_undone(self) -> None:
                with mock.patch.dict(LARGE, {"extra": 1}):
                    self.assertIn("extra", LARGE)

            def test_value_replaced_since(self) -> None:
                with mock.patch.dict(LARGE, {"extra": 1}):
                    pass
                LARGE[replaced] = object()

            def test_never_stopped(self) -> None:
                mock.patch.dict(LARGE, {"extra": 1}).start()

        try:
            result, _ = run_tests(Patches, fail_on_leak=True)
        finally:
            mock.patch.stopall()
            LARGE.pop("extra", None)
            LARGE[replaced] = original
        self.assertEqual(result.errors, [])
        failed = sorted(test.id().rsplit(".", 1)[1] for test, _ in result.failures)
        self.assertEqual(failed, ["test_never_stopped", "test_value_replaced_since"])
        for _, text in result.failures:
            self.assertIn("patch not undone: dict <dict of", text)

    def test_every_patch_stopped_out_of_order_still_leaks(self) -> None:
        """Two patches of one attribute, both stopped, the outer one first:
        the inner one puts back what it found -- the outer one's value --,
        which is a leak though every patch was stopped. A patch of an
        attribute with the value it has, never stopped, leaves nothing."""

        class Patches(unittest.TestCase):
            def test_out_of_order(self) -> None:
                outer = mock.patch.object(PatchedTwice, "value", "outer")
                inner = mock.patch.object(PatchedTwice, "value", "inner")
                outer.start()
                inner.start()
                outer.stop()
                inner.stop()

            def test_same_value_never_stopped(self) -> None:
                same = vars(PatchedTwice)["value"]
                mock.patch.object(PatchedTwice, "value", same).start()

        try:
            result, _ = run_tests(Patches, fail_on_leak=True)
        finally:
            mock.patch.stopall()
            PatchedTwice.value = "real"
        self.assertEqual(result.errors, [])
        self.assertEqual(len(result.failures), 1, result.failures)
        test, text = result.failures[0]
        self.assertTrue(test.id().endswith("test_out_of_order"))
        self.assertIn("PatchedTwice.value still patched", text)

    def test_what_a_patch_left_installed_is_still_a_leak(self) -> None:
        """The same targets, and patch.multiple, never stopped: each leaks;
        a mock the test assigns where a patch was is a mock assigned."""
        started: list[Any] = []

        class Leaks(unittest.TestCase):
            def test_class_hiding_its_dict(self) -> None:
                started.append(mock.patch.object(HidesItsDict, "method"))
                started[-1].start()

            def test_child_of_a_mock(self) -> None:
                target = mock.Mock()
                target.squozz  # made on access
                started.append(mock.patch.object(target, "squozz", "patched"))
                started[-1].start()

            def test_patch_multiple(self) -> None:
                patcher = mock.patch.multiple(
                    __name__, REBOUND=mock.DEFAULT, FRESH="replaced"
                )
                started.append(patcher)
                patcher.start()

            def test_mock_assigned_where_a_patch_was(self) -> None:
                global REBOUND
                with mock.patch(f"{__name__}.REBOUND", "patched"):
                    pass
                REBOUND = mock.Mock(name="assigned")

        try:
            result, _ = run_tests(Leaks, fail_on_leak=True)
        finally:
            for patcher in reversed(started):
                patcher.stop()
            globals()["REBOUND"] = "original"
        self.assertEqual(result.errors, [])
        messages = {test.id().rsplit(".", 1)[1]: text for test, text in result.failures}
        self.assertEqual(len(messages), 4, messages)
        self.assertIn(
            f"mock assigned: {__name__}.REBOUND = <Mock name='assigned'",
            messages["test_mock_assigned_where_a_patch_was"],
        )
        self.assertIn(
            "HidesItsDict.method still patched", messages["test_class_hiding_its_dict"]
        )
        self.assertIn(
            "<Mock object>.squozz still patched", messages["test_child_of_a_mock"]
        )
        self.assertIn(
            f"{__name__}.REBOUND still patched", messages["test_patch_multiple"]
        )
        self.assertIn(
            f"{__name__}.FRESH still patched", messages["test_patch_multiple"]
        )


class ScopeSlotsTests(unittest.TestCase):
    """The scope the hook makes for every test has each of its attributes."""

    def test_every_slot_is_set_by_for_test_and_by_the_constructor(self) -> None:
        class Case(unittest.TestCase):
            def test_a(self) -> None:
                pass

        test = Case("test_a")
        state = _dropin._ThreadState()
        scopes = {
            "for_test": _dropin.TestScope.for_test(test, state, time.perf_counter()),
            "__init__": _dropin.TestScope("t", test=test),
        }
        for made_by, scope in scopes.items():
            with self.subTest(made_by=made_by):
                unset = [
                    name
                    for name in _dropin.TestScope.__slots__
                    if not hasattr(scope, name)
                ]
                self.assertEqual(unset, [])
                scope.finish()


class BookkeepingTests(unittest.TestCase):
    """mockpool's per-test bookkeeping calls nothing a test class patched."""

    NAMES = (
        (time, "perf_counter"),
        (time, "monotonic"),
        (time, "time"),
        (builtins, "open"),
        (os, "getpid"),
        (os, "replace"),
        (socket, "gethostname"),
    )

    def calls(self, dropped_in: bool) -> dict[str, int]:
        """Calls of the patched functions while a class of two tests runs."""
        clocks = {
            f"{owner.__name__}.{name}": mock.Mock(wraps=getattr(owner, name))
            for owner, name in self.NAMES
        }

        class PatchesForTheClass(unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                for owner, name in BookkeepingTests.NAMES:
                    patcher = mock.patch.object(
                        owner, name, clocks[f"{owner.__name__}.{name}"]
                    )
                    patcher.start()
                    cls.addClassCleanup(patcher.stop)

            def test_1(self) -> None:
                self.autospec_and_patch()

            def test_2(self) -> None:
                self.autospec_and_patch()  # served from the pool this time

            def autospec_and_patch(self) -> None:
                mock.create_autospec(Gateway, instance=True).send(b"x")
                mock.create_autospec(Gateway)().close()
                with mock.patch.object(Gateway, "close", autospec=True):
                    Gateway().close()

        suite = unittest.defaultTestLoader.loadTestsFromTestCase(PatchesForTheClass)
        runner = unittest.TextTestRunner(stream=io.StringIO())
        if dropped_in:
            installation = mockpool.install()
            try:
                result = runner.run(suite)
            finally:
                installation.undo()
        else:
            result = runner.run(suite)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        return {name: clock.call_count for name, clock in clocks.items()}

    def test_clocks_open_and_process_calls_are_the_tests_own(self) -> None:
        """Class-wide patches of time.perf_counter, time.monotonic, time.time,
        open, os.getpid, os.replace and socket.gethostname see exactly the
        calls they see under plain unittest, report files written at every
        test's end included."""
        directory = tempfile.mkdtemp(prefix="mockpool-bookkeeping-")
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        plain = self.calls(dropped_in=False)
        with mock.patch.dict(os.environ, {_worker_files.REPORT_DIR_ENV: directory}):
            dropped_in = self.calls(dropped_in=True)
        self.assertEqual(dropped_in, plain)
        self.assertTrue(os.listdir(directory), "no report file was written")


class ReportFileTests(unittest.TestCase):
    """With MOCKPOOL_REPORT_DIR set, the file written at a test's end holds
    every test so far and every plain mock they built (a worker ended by
    ``os._exit`` after it loses nothing)."""

    def test_the_file_written_at_each_end_has_the_plain_mocks(self) -> None:
        directory = tempfile.mkdtemp(prefix="mockpool-report-file-")
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        written: list[tuple[int, int]] = []

        class Case(unittest.TestCase):
            def test_1(self) -> None:
                mock.Mock(), mock.MagicMock(), mock.Mock()

            def test_2(self) -> None:
                # What the file says now: test_1's end wrote it.
                path = _worker_files.report_path(directory, "files")
                data = _worker_files.load(path).to_dict()
                written.append((data["tests"], data["plain_mocks"]["built"]))

        suite = unittest.defaultTestLoader.loadTestsFromTestCase(Case)
        result = unittest.TestResult()
        environ = {_worker_files.REPORT_DIR_ENV: directory, "MOCKPOOL_WORKER": "files"}
        unreported = mock.patch.object(_worker_files, "_report", None)
        # Installed, not only enabled: plain mocks are counted then.
        with unreported, mock.patch.dict(os.environ, environ), mockpool.install():
            suite.run(result)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        self.assertEqual(written, [(1, 3)])


class HistoryNoteTests(unittest.TestCase):
    """A test's end asks the run lifecycle to write the usage history at
    most every FLUSH_INTERVAL, and the first test of a run always asks."""

    def test_asked_at_most_every_flush_interval(self) -> None:
        noted: list[int] = []

        class Case(unittest.TestCase):
            def test_1(self) -> None:
                pass

            def test_2(self) -> None:
                pass

            def test_3(self) -> None:
                pass

        with mock.patch.object(
            _learning, "note_session_end", side_effect=lambda: noted.append(1)
        ):
            with mock.patch.object(_learning, "FLUSH_INTERVAL", 3600.0):
                for run in (1, 2):
                    result, _ = run_tests(Case)
                    self.assertTrue(result.wasSuccessful())
                    # Each run (enable) asks at its first test, then not
                    # for an hour.
                    self.assertEqual(len(noted), run)
            with mock.patch.object(_learning, "FLUSH_INTERVAL", 0.0):
                result, _ = run_tests(Case)
            self.assertTrue(result.wasSuccessful())
            self.assertEqual(len(noted), 5)


class PlainCountTests(unittest.TestCase):
    """The run report counts every plain mock a test builds; a count that
    names a test's own class is taken when the test ends, so that the
    report never keeps the class alive."""

    def setUp(self) -> None:
        self.report = _worker_files.process_report()
        self.installation = mockpool.install()
        self.addCleanup(self.installation.undo)

    def run_case(self, case: type[unittest.TestCase]) -> None:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
        result = unittest.TestResult()
        suite.run(result)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)

    def built(self) -> int:
        return self.report.plain_saving.built

    def test_every_mock_is_counted_by_the_end_of_the_run(self) -> None:
        """Counted, and compared (the measuring budget aside) once the
        drop-in is disabled: the last batch is measured then too."""
        # A function, not a mock: a mock built here would be counted too.
        affordable = mock.patch.object(
            RunReport, "_affordable", lambda self, share=1.0, ahead=0.0: True
        )
        affordable.start()
        self.addCleanup(affordable.stop)
        before = self.built()

        class Builds(unittest.TestCase):
            def test_one(self) -> None:
                mock.Mock()
                mock.MagicMock().child  # a child mock

            def test_two(self) -> None:
                mock.Mock(spec=Gateway)

        self.run_case(Builds)
        self.installation.undo()
        self.assertEqual(self.built() - before, 4)
        kinds = [(mock.Mock, None), (mock.MagicMock, None), (mock.Mock, Gateway)]
        self.assertEqual(
            [kind in self.report._plain_pending for kind in kinds], [False] * 3
        )
        costs = self.report._plain_costs
        self.assertEqual([costs.get(kind) is not None for kind in kinds], [True] * 3)

    def test_stock_counts_wait_for_a_batch(self) -> None:
        class Builds(unittest.TestCase):
            def test_one(self) -> None:
                for _ in range(3):
                    mock.Mock()

        self.run_case(Builds)
        self.assertEqual(len(_dropin._PLAIN_COUNTED_STOCK), 3)
        with mock.patch.object(_dropin, "SETTLE_STOCK_AFTER", 4):
            self.run_case(Builds)  # six waiting: taken at its end
        self.assertEqual(len(_dropin._PLAIN_COUNTED_STOCK), 0)

    def test_a_tests_own_spec_class_is_let_go_when_the_test_ends(self) -> None:
        witnesses: list[Any] = []

        class Builds(unittest.TestCase):
            def test_local_spec(self) -> None:
                class Local:
                    pass

                class LocalMock(mock.MagicMock):
                    pass

                mock.Mock(spec=Local)
                mock.MagicMock(spec=Local)
                LocalMock().child  # its child: a LocalMock too
                witnesses.extend([weakref.ref(Local), weakref.ref(LocalMock)])

        before = self.built()
        self.run_case(Builds)
        gc.collect()
        self.assertEqual([witness() for witness in witnesses], [None, None])
        self.assertEqual(self.built() - before, 4)


class EnableTests(unittest.TestCase):
    def test_enable_and_disable_restore_the_stdlib(self) -> None:
        """Nothing of the drop-in remains on unittest once disabled."""
        run, enter = unittest.TestCase.run, mock._patch.__enter__
        _dropin.enable()
        _dropin.enable()
        self.assertIsNot(unittest.TestCase.run, run)
        _dropin.disable()
        self.assertIsNot(unittest.TestCase.run, run)
        _dropin.disable()
        self.assertIs(unittest.TestCase.run, run)
        self.assertIs(mock._patch.__enter__, enter)

    def test_no_scope_outside_tests(self) -> None:
        """Outside a test (import, setUpClass) there is no scope to pool into."""
        self.assertIsNone(_dropin.current_scope())

    def test_another_tools_wrapper_of_call_still_runs(self) -> None:
        """A TestCase.__call__ replaced before enable() is called for every
        test, inside the test's scope (the drop-in reaches run() directly
        only from unittest's own __call__)."""
        stock = unittest.TestCase.__call__
        scoped: list[bool] = []

        def wrapper(test: unittest.TestCase, *args: Any, **kwargs: Any) -> Any:
            scoped.append(_dropin.current_scope() is not None)
            return stock(test, *args, **kwargs)

        class Case(unittest.TestCase):
            def test_1(self) -> None:
                scoped.append(_dropin.current_scope() is not None)

        with mock.patch.object(unittest.TestCase, "__call__", wrapper):
            result, _ = run_tests(Case)
        self.assertTrue(result.wasSuccessful())
        self.assertEqual(scoped, [True, True])

    def test_run_replaced_on_the_test_itself_is_what_runs(self) -> None:
        """A test whose instance holds its own run() is run by it, scoped."""
        ran: list[bool] = []

        class Case(unittest.TestCase):
            def test_1(self) -> None:
                pass

        test = Case("test_1")

        def own_run(result: Any = None) -> Any:
            ran.append(_dropin.current_scope() is not None)
            return unittest.TestCase.run(test, result)

        test.run = own_run  # type: ignore[method-assign]
        _dropin.enable()
        try:
            result = unittest.TestResult()
            test(result)
        finally:
            _dropin.disable()
        self.assertTrue(result.wasSuccessful())
        self.assertEqual(ran, [True])

    def test_run_of_another_test_held_by_the_test_runs_that_test(self) -> None:
        """A test whose instance holds another test's run() (the drop-in's
        hook, bound to that test) runs that test, as unittest's call does."""
        ran: list[str] = []

        class Case(unittest.TestCase):
            def test_1(self) -> None:
                ran.append("test_1")

            def test_2(self) -> None:
                ran.append("test_2")

        _dropin.enable()
        try:
            test, other = Case("test_1"), Case("test_2")
            test.run = other.run  # type: ignore[method-assign]
            result = unittest.TestResult()
            test(result)
        finally:
            _dropin.disable()
        self.assertTrue(result.wasSuccessful())
        self.assertEqual(ran, ["test_2"])


class SessionPromiseTests(DropInTestBase):
    """The per-test session is opened when the test first asks for it."""

    def test_a_test_that_never_asks_opens_no_session(self) -> None:
        opened: list[Any] = []

        class Quiet(unittest.TestCase):
            def test_nothing(self) -> None:
                mock.create_autospec(Gateway, instance=True)

        events.session_opened.connect(opened.append)
        self.addCleanup(events.session_opened.disconnect, opened.append)
        result, _ = run_tests(Quiet)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        self.assertEqual(opened, [])

    def test_a_test_that_asks_gets_its_own_session_closed_after(self) -> None:
        seen: list[Any] = []

        class Asking(unittest.TestCase):
            def test_asks_twice(self) -> None:
                seen.append(mockpool.current_session())
                seen.append(mockpool.current_session())

        result, _ = run_tests(Asking)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        first, second = seen
        self.assertIs(first, second)
        self.assertTrue(first.name.endswith("Asking.test_asks_twice"), first.name)
        self.assertTrue(first.closed)
        self.assertIsNone(mockpool.current_session())

    def test_a_thread_the_test_starts_is_not_promised_one(self) -> None:
        seen: list[Any] = []

        class Threaded(unittest.TestCase):
            def test_thread(self) -> None:
                thread = threading.Thread(
                    target=lambda: seen.append(mockpool.current_session())
                )
                thread.start()
                thread.join()

        run_tests(Threaded)
        self.assertEqual(seen, [None])
