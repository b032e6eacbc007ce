"""The leak check compares namespaces instead of scanning them (issue 12).

The drop-in's check for mocks left assigned copies the watched namespaces
when a test starts and compares them by identity when it ends; only what
differs is looked at. These tests hold it to catching what a full scan at
both ends caught, to reading no code of the values, to keeping nothing a
test assigned, and to looking at nothing in a namespace that did not change.

The suites run under the drop-in are defined inside the tests (so that
discovery does not run them on their own); they assign to this module and
to :mod:`tests._patch_targets`, which this module only imports a class from.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import io
import sys
import types
import unittest
import warnings
import weakref
from collections.abc import Iterator
from typing import Any
from unittest import mock

import mockpool
from mockpool._base import dict_versions
from mockpool._integration import dropin as _dropin
from mockpool._integration import leak_check
from tests._patch_targets import Service

#: A module-level mock, there before any test: never a test's leak.
SHARED = mock.MagicMock(name="shared")
#: What the suites below saw, filled while they run.
SEEN: list[Any] = []

_THIS = sys.modules[__name__]
_TARGETS = sys.modules[Service.__module__]


def helper() -> str:
    """A module-level function the suites replace."""
    return "real"


class Target:
    """A class whose method the suites replace."""

    def method(self) -> str:
        return "real"


class Payload:
    """Something a test hands to a mock."""


#: What the suites replace, as it was: inside a suite's test the global
#: names read whatever the test put in their place.
ORIGINAL_HELPER = helper
ORIGINAL_SHARED = SHARED
_ORIGINALS = {
    (_THIS, "helper"): helper,
    (_THIS, "SHARED"): SHARED,
    (Target, "method"): Target.__dict__["method"],
    (_TARGETS, "greet"): _TARGETS.greet,
    (Service, "run"): Service.__dict__["run"],
}


def repair() -> None:
    """Put back every name the suites below may have replaced or removed."""
    for (owner, name), original in _ORIGINALS.items():
        setattr(owner, name, original)
    for owner, name in ((_THIS, "RENAMED"), (_THIS, "ADDED"), (Target, "added")):
        if name in vars(owner):
            delattr(owner, name)


def run_tests(
    *cases: type[unittest.TestCase], fail_on_leak: bool = False
) -> tuple[unittest.TestResult, dict[str, list[str]]]:
    """Run *cases* under the drop-in; the result and the leaks per test name."""
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(case) for case in cases)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _dropin.enable(fail_on_leak=fail_on_leak)
        try:
            runner = unittest.TextTestRunner(stream=io.StringIO())
            result = runner.run(suite)
        finally:
            _dropin.disable()
    leaks: dict[str, list[str]] = {}
    for warning in caught:
        if issubclass(warning.category, mockpool.LeakWarning):
            test_id, _, detail = str(warning.message).partition(" leaked: ")
            leaks.setdefault(test_id.rsplit(".", 1)[-1], []).append(detail)
    return result, leaks


def names_of(leaks: dict[str, list[str]]) -> dict[str, list[str]]:
    """*leaks* without the values: what each test left, by name."""
    return {
        test: [text.split(" = ")[0] for text in found] for test, found in leaks.items()
    }


class LeakCheckTestBase(unittest.TestCase):
    def setUp(self) -> None:
        SEEN.clear()
        self.addCleanup(SEEN.clear)
        self.addCleanup(repair)

    def assertPassed(self, result: unittest.TestResult) -> None:
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)


class ChangesBetweenTestsTests(LeakCheckTestBase):
    def test_a_namespace_changed_between_tests_is_read_again(self) -> None:
        """A mock set up between tests is no test's leak; replacing it is."""

        class Fixture(unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                _THIS.helper = mock.Mock(name="fixture")  # type: ignore[attr-defined]

            @classmethod
            def tearDownClass(cls) -> None:
                _THIS.helper = ORIGINAL_HELPER  # type: ignore[attr-defined]

            def test_1_uses_the_fixture(self) -> None:
                _THIS.helper()

            def test_2_replaces_it(self) -> None:
                _THIS.helper = mock.Mock(name="replaced")  # type: ignore[attr-defined]

            def test_3_leaves_the_replacement(self) -> None:
                pass

        result, leaks = run_tests(Fixture)
        self.assertPassed(result)
        self.assertEqual(list(leaks), ["test_2_replaces_it"])
        (detail,) = leaks["test_2_replaces_it"]
        self.assertIn(
            f"mock assigned: {__name__}.helper = <Mock name='replaced'", detail
        )

    def test_a_leak_is_reported_once_and_the_next_leak_again(self) -> None:
        """The next test starts from what the last one left, whatever it was."""

        class Leaks(unittest.TestCase):
            def test_1_leaks(self) -> None:
                Target.method = mock.MagicMock(name="first")  # type: ignore[method-assign]

            def test_2_does_nothing(self) -> None:
                pass

            def test_3_leaks_again(self) -> None:
                Target.method = mock.MagicMock(name="second")  # type: ignore[method-assign]

        result, _ = run_tests(Leaks, fail_on_leak=True)
        self.assertEqual(
            sorted(test.id().rsplit(".", 1)[-1] for test, _ in result.failures),
            ["test_1_leaks", "test_3_leaks_again"],
        )
        self.assertEqual(result.errors, [])


class WithinOneTestTests(LeakCheckTestBase):
    def test_a_mock_assigned_then_removed_is_not_reported(self) -> None:
        """Put back by the test itself -- in the test, a cleanup or by del."""

        class PutsBack(unittest.TestCase):
            def test_puts_back_in_the_test(self) -> None:
                _THIS.helper = mock.Mock()  # type: ignore[attr-defined]
                _THIS.helper = ORIGINAL_HELPER  # type: ignore[attr-defined]

            def test_puts_back_in_a_cleanup(self) -> None:
                Target.method = mock.MagicMock()  # type: ignore[method-assign]
                self.addCleanup(setattr, Target, "method", _ORIGINALS[Target, "method"])

            def test_adds_then_deletes_a_name(self) -> None:
                _THIS.ADDED = mock.Mock()  # type: ignore[attr-defined]
                Target.added = mock.Mock()  # type: ignore[attr-defined]
                del _THIS.ADDED
                del Target.added  # type: ignore[attr-defined]

        result, leaks = run_tests(PutsBack, fail_on_leak=True)
        self.assertPassed(result)
        self.assertEqual(leaks, {})

    def test_every_kind_of_new_assignment_is_reported(self) -> None:
        """A new name, a renamed mock, a freed value's place: each is a leak."""

        class Assigns(unittest.TestCase):
            def test_adds_a_name(self) -> None:
                _THIS.ADDED = mock.Mock(name="added")  # type: ignore[attr-defined]

            def test_moves_a_mock_to_another_name(self) -> None:
                # The same values in the same order, under other names.
                shared = vars(_THIS).pop("SHARED")
                _THIS.RENAMED = shared  # type: ignore[attr-defined]

            def test_replaces_a_freed_value_in_its_place(self) -> None:
                # The old value is freed first: a new object may get its id.
                del Target.method
                Target.method = mock.MagicMock(name="in its place")  # type: ignore[method-assign]

        result, leaks = run_tests(Assigns)
        self.assertPassed(result)
        self.assertEqual(
            names_of(leaks),
            {
                "test_adds_a_name": [f"mock assigned: {__name__}.ADDED"],
                "test_moves_a_mock_to_another_name": [
                    f"mock assigned: {__name__}.RENAMED"
                ],
                "test_replaces_a_freed_value_in_its_place": [
                    f"mock assigned: {__name__}.Target.method"
                ],
            },
        )

    def test_a_module_the_test_module_imports_from_is_watched(self) -> None:
        """Mocks left in the module a class was imported from, and on that
        class, are caught: the test module never imported the module itself."""

        class Elsewhere(unittest.TestCase):
            def test_module_function(self) -> None:
                _TARGETS.greet = mock.Mock(name="greet")  # type: ignore[attr-defined]

            def test_method_of_the_imported_class(self) -> None:
                Service.run = mock.Mock(name="run")  # type: ignore[method-assign]

        result, leaks = run_tests(Elsewhere)
        self.assertPassed(result)
        self.assertEqual(
            names_of(leaks),
            {
                "test_module_function": [f"mock assigned: {_TARGETS.__name__}.greet"],
                "test_method_of_the_imported_class": [
                    f"mock assigned: {_TARGETS.__name__}.Service.run"
                ],
            },
        )


def _scratch_module(test: unittest.TestCase, name: str) -> Any:
    """A module *name* with a value and a class, in sys.modules for *test*."""
    module = types.ModuleType(name)
    module.__file__ = __file__  # a user module: watched
    module.value = object()  # type: ignore[attr-defined]

    class Kind:
        pass

    Kind.__module__, Kind.__qualname__ = name, "Kind"
    module.Kind = Kind  # type: ignore[attr-defined]
    test.addCleanup(sys.modules.pop, name, None)
    sys.modules[name] = module
    return module


@contextlib.contextmanager
def _reads() -> Iterator[list[tuple[Any, int]]]:
    """(views, place) of each namespace the check reads the values of
    meanwhile (by either way of reading them), in order."""
    read: list[tuple[Any, int]] = []

    def spying(method: Any) -> Any:
        def spy(views: Any, place: int) -> Any:
            read.append((views, place))
            return method(views, place)

        return spy

    views = leak_check._Views
    both = mock.patch.object(views, "read", spying(views.read))
    values = mock.patch.object(views, "read_values", spying(views.read_values))
    # read_both falls back on read only where the dict has other keys.
    fresh = mock.patch.object(views, "read_both", spying(views.read_both))
    with both, values, fresh:
        yield read


def _test_modules_sharing(test: unittest.TestCase, tag: str) -> tuple[Any, Any, Any]:
    """Two scratch test modules that both import a third, scratch library
    module: (first, second, library)."""
    library = _scratch_module(test, f"tests._scratch_{tag}_library")
    first = _scratch_module(test, f"tests._scratch_{tag}_first")
    second = _scratch_module(test, f"tests._scratch_{tag}_second")
    first.library = second.library = library
    # Each test module's first test starts afresh, as in a new run.
    leak_check.release_readings()
    test.addCleanup(leak_check.release_readings)
    return first, second, library


class SharedBetweenModulesTests(LeakCheckTestBase):
    """A test module's first test starts from what the check already knows
    of the namespaces it shares with the test module before it."""

    def test_a_namespace_two_modules_watch_is_read_once(self) -> None:
        first, second, library = _test_modules_sharing(self, "once")
        read_first = leak_check.watched_namespaces(first.__name__)
        read_second = leak_check.watched_namespaces(second.__name__)
        shared = vars(library)
        self.assertIn(shared, [namespace for _, _, namespace in read_second])
        with _reads() as read:
            self.assertEqual(leak_check.Baseline(read_first).new_mocks(), [])
            self.assertEqual(leak_check.Baseline(read_second).new_mocks(), [])
        dicts = [views.dicts[place] for views, place in read]
        self.assertTrue(any(d is vars(first) for d in dicts))
        self.assertTrue(any(d is vars(second) for d in dicts))
        if leak_check._READS_VERSIONS:
            self.assertEqual([d for d in dicts if d is shared], [shared])

    def test_a_module_holding_a_mock_is_shared_whole(self) -> None:
        """A library that holds a mock (never known free) is not read again
        by the next test module's first test when nothing in it moved --
        and a mock moved to another name there is still that test's leak."""
        first, second, library = _test_modules_sharing(self, "whole")
        library.helper = mock.Mock(name="helper")
        watched_first = leak_check.watched_namespaces(first.__name__)
        watched_second = leak_check.watched_namespaces(second.__name__)
        with _reads() as read:
            self.assertEqual(leak_check.Baseline(watched_first).new_mocks(), [])
            read_by_first = len(read)
            baseline = leak_check.Baseline(watched_second)
        shared = vars(library)
        read_again = [views.dicts[place] for views, place in read[read_by_first:]]
        if leak_check._READS_VERSIONS:
            self.assertFalse(any(d is shared for d in read_again))
        library.renamed = library.helper
        found = baseline.new_mocks()
        self.assertEqual(
            [(label, name) for label, _, name, _ in found],
            [(library.__name__, "renamed")],
        )

    def test_a_change_between_modules_is_still_seen(self) -> None:
        """A mock set up between the two modules' tests (a setUpModule) is
        no test's leak; moving it to another name in a test is one."""
        first, second, library = _test_modules_sharing(self, "change")
        watched_first = leak_check.watched_namespaces(first.__name__)
        watched_second = leak_check.watched_namespaces(second.__name__)
        self.assertEqual(leak_check.Baseline(watched_first).new_mocks(), [])
        library.fixture = mock.Mock(name="fixture")
        self.assertEqual(leak_check.Baseline(watched_second).new_mocks(), [])
        baseline = leak_check.Baseline(watched_second)
        library.renamed = library.fixture
        library.added = mock.Mock(name="added")
        found = baseline.new_mocks()
        self.assertEqual(
            sorted((label, name) for label, _, name, _ in found),
            [(library.__name__, "added"), (library.__name__, "renamed")],
        )

    def test_a_first_test_that_changes_nothing_asks_no_value(self) -> None:
        """Whether a namespace holds a mock is asked only once it moves
        during a test -- then of the values it held at the start."""
        first, _, library = _test_modules_sharing(self, "asks")
        watched = leak_check.watched_namespaces(first.__name__)
        asking = mock.patch.object(
            leak_check, "_first_mock", wraps=leak_check._first_mock
        )
        with asking as first_mock:
            self.assertEqual(leak_check.Baseline(watched).new_mocks(), [])
            unmoved = first_mock.call_count
            baseline = leak_check.Baseline(watched)
            with mock.patch.object(library, "value", "patched"):
                pass
            self.assertEqual(baseline.new_mocks(), [])
        if leak_check._READS_VERSIONS:  # without, every namespace moved
            self.assertEqual(unmoved, 0)
            # The library's values at the start, once: no mock among them.
            self.assertEqual(first_mock.call_count, 1)

    def test_what_did_not_move_is_shared_whatever_moved_beside_it(self) -> None:
        """A library whose class moved since the last test module's reading:
        the next test module's first test reads the class again, not the
        library's module (a version is never given twice) -- and a mock
        moved to another name there is still that test's leak."""
        first, second, library = _test_modules_sharing(self, "beside")
        library.helper = mock.Mock(name="helper")  # never known free
        watched_first = leak_check.watched_namespaces(first.__name__)
        watched_second = leak_check.watched_namespaces(second.__name__)
        self.assertEqual(leak_check.Baseline(watched_first).new_mocks(), [])
        library.Kind.attribute = "changed"  # between the two modules' tests
        with _reads() as read:
            baseline = leak_check.Baseline(watched_second)
        read_again = [views.dicts[place] for views, place in read]
        if leak_check._READS_VERSIONS:
            kind = dict_versions.dict_shown_by(vars(library.Kind))
            self.assertTrue(any(d is kind for d in read_again))
            self.assertFalse(any(d is vars(library) for d in read_again))
        library.renamed = library.helper
        found = baseline.new_mocks()
        self.assertEqual(
            [(label, name) for label, _, name, _ in found],
            [(library.__name__, "renamed")],
        )

    def test_a_test_module_s_classes_are_watched_as_any_module_s(self) -> None:
        """The classes a test module defines, found while looking for the
        modules it imports from, are those any module's are found to be:
        each under its label, a metaclass's too; none imported, none whose
        __module__ is no str."""
        module = _scratch_module(self, "tests._scratch_own_classes")
        self.addCleanup(leak_check.release_readings)

        class Meta(type):
            pass

        class WithMeta(metaclass=Meta):
            pass

        class Odd:
            pass

        WithMeta.__module__ = module.__name__
        WithMeta.__qualname__ = "WithMeta"
        Odd.__module__ = 42  # type: ignore[assignment]
        module.WithMeta, module.Odd = WithMeta, Odd
        module.Alias = module.Kind  # bound under two names
        module.Imported = Target  # defined in this module, not there
        watched = leak_check.watched_namespaces(module.__name__)
        leak_check._module_cache.clear()
        alone, _ = leak_check._namespaces_in(module.__name__, module)
        name = module.__name__
        expected = [
            (name, module),
            (f"{name}.Kind", module.Kind),
            (f"{name}.WithMeta", WithMeta),
            (f"{name}.Kind", module.Kind),
        ]
        self.assertEqual([(label, owner) for label, owner, _ in alone], expected)
        own = [
            (label, owner)
            for label, owner, _ in watched
            if label == name or label.startswith(f"{name}.")
        ]
        self.assertEqual(own, expected)

    def test_a_class_that_takes_no_attributes_is_not_watched(self) -> None:
        """A class compiled in C refuses patch.object: no test can leave a
        mock in it, and its namespace is not read."""
        with self.assertRaises(TypeError):
            mock.patch.object(collections.deque, "append", mock.Mock()).start()
        watched, _ = leak_check._namespaces_in("collections", collections)
        labels = [label for label, _, _ in watched]
        self.assertIn("collections.Counter", labels)  # a class statement's
        self.assertNotIn("collections.deque", labels)

    def test_a_class_whose_module_is_no_str_is_looked_past(self) -> None:
        """Classes are told defined in a module by their __module__ read in
        one go (see _namespaces_in): one that is not a str -- here one
        whose __eq__ raises -- is not asked to compare, and leaves the
        class defined there watched."""

        class Refuses:
            def __eq__(self, other: object) -> bool:
                raise AssertionError("compared")

            __hash__ = object.__hash__

        module = _scratch_module(self, "tests._scratch_odd_module")

        class Odd:
            pass

        Odd.__module__ = Refuses()  # type: ignore[assignment]
        module.Odd = Odd
        watched, _ = leak_check._namespaces_in(module.__name__, module)
        owners = [owner for _, owner, _ in watched]
        self.assertEqual(owners, [module, module.Kind])

    def test_values_whose_class_refuses_hashing_are_looked_past(self) -> None:
        """Finding the modules a test module imports from hashes no value's
        class: a metaclass's __hash__ or __eq__ may raise."""

        class Meta(type):
            def __eq__(cls, other: object) -> bool:
                raise RuntimeError("compared")

            def __hash__(cls) -> int:
                raise RuntimeError("hashed")

        class Refusing(metaclass=Meta):
            pass

        first, _, library = _test_modules_sharing(self, "hashing")
        first.refusing = Refusing()
        watched = leak_check.watched_namespaces(first.__name__)
        self.assertIn(vars(library), [namespace for _, _, namespace in watched])
        baseline = leak_check.Baseline(watched)
        library.left = mock.Mock(name="left")
        self.assertEqual([name for _, _, name, _ in baseline.new_mocks()], ["left"])

    def test_mocks_are_found_as_is_mock_finds_them(self) -> None:
        """The check's way of finding the first mock among values agrees
        with is_mock, value by value, whatever the values."""

        def plain() -> None:
            pass

        def carrying() -> None:
            pass

        carrying.mock = "not a mock"  # type: ignore[attr-defined]

        class Meta(type):
            def __eq__(cls, other: object) -> bool:
                raise RuntimeError("compared")

            __hash__ = type.__hash__

        class Hostile(metaclass=Meta):
            def __getattribute__(self, name: str) -> Any:
                raise RuntimeError(name)

        values = [
            1,
            "text",
            plain,
            carrying,
            Hostile(),
            Hostile,
            mock.MagicMock,
            mock.create_autospec(plain),
            mock.NonCallableMagicMock(),
            mock.Mock(),
        ]
        for start in range(len(values)):
            for end in range(start, len(values) + 1):
                part = values[start:end]
                expected = next(
                    (at for at, value in enumerate(part) if leak_check.is_mock(value)),
                    None,
                )
                self.assertEqual(leak_check._first_mock(part), expected, part)


class WhatTheCheckTouchesTests(LeakCheckTestBase):
    def test_values_that_changed_are_compared_by_identity_only(self) -> None:
        """A module-level MagicMock replaced and put back records no __eq__."""

        class Replaces(unittest.TestCase):
            def test_replaces_and_restores(self) -> None:
                _THIS.SHARED = mock.MagicMock(name="other")  # type: ignore[attr-defined]
                SEEN.append(_THIS.SHARED)
                self.addCleanup(setattr, _THIS, "SHARED", ORIGINAL_SHARED)

            def test_replaces_for_good(self) -> None:
                _THIS.SHARED = mock.MagicMock(name="left")  # type: ignore[attr-defined]
                SEEN.append(_THIS.SHARED)

        ORIGINAL_SHARED.reset_mock()
        result, leaks = run_tests(Replaces)
        self.assertPassed(result)
        self.assertEqual(list(leaks), ["test_replaces_for_good"])
        for seen in (ORIGINAL_SHARED, *SEEN):
            self.assertEqual(seen.mock_calls, [])

    def test_an_unchanged_namespace_is_not_scanned(self) -> None:
        """Once a module's namespaces were read at a test's end, is_mock runs
        only on the values a test changed, not on all."""
        watched = leak_check.watched_namespaces(__name__)
        self.assertGreater(sum(len(namespace) for _, _, namespace in watched), 20)
        with mock.patch.object(
            leak_check, "is_mock", wraps=leak_check.is_mock
        ) as is_mock:
            # The first test of the module: the values are asked whether
            # they are mocks (this module holds one, SHARED).
            self.assertEqual(leak_check.Baseline(watched).new_mocks(), [])
            is_mock.reset_mock()
            self.assertEqual(leak_check.Baseline(watched).new_mocks(), [])
            self.assertEqual(is_mock.call_count, 0)
            baseline = leak_check.Baseline(watched)
            Target.method = mock.MagicMock()  # type: ignore[method-assign]
            found = list(baseline.new_mocks())
        self.assertEqual(is_mock.call_count, 1)
        self.assertEqual(
            [(label, owner, name) for label, owner, name, _ in found],
            [(f"{__name__}.Target", Target, "method")],
        )

    def test_a_module_without_mocks_is_compared_by_values_only(self) -> None:
        """Where no namespace holds a mock, names are not read: a mock is
        new to its namespace whatever its name, and a moved value is not."""
        module = _scratch_module(self, "tests._scratch_mock_free")
        watched = leak_check.watched_namespaces(module.__name__)
        leak_check.Baseline(watched).new_mocks()  # the module's first test
        reading = mock.patch.object(
            leak_check._Views, "read", autospec=True, side_effect=leak_check._Views.read
        )
        asking = mock.patch.object(leak_check, "is_mock", wraps=leak_check.is_mock)
        with reading as read, asking as is_mock:
            self.assertEqual(leak_check.Baseline(watched).new_mocks(), [])
            self.assertEqual((read.call_count, is_mock.call_count), (0, 0))
            baseline = leak_check.Baseline(watched)
            module.renamed = vars(module).pop("value")
            module.Kind.added = mock.Mock(name="added")
            found = baseline.new_mocks()
        self.assertEqual(
            [(label, name) for label, _, name, _ in found],
            [(f"{module.__name__}.Kind", "added")],
        )
        # Only the values that were not there before were asked.
        self.assertEqual(is_mock.call_count, 1)  # "renamed"'s value is not new

    def test_a_namespace_with_other_keys_is_read_all_the_same(self) -> None:
        """A module dict with a key that is not a string shows its keys to
        the garbage collector too: read the ordinary way, it still counts."""
        module = _scratch_module(self, "tests._scratch_odd_keys")
        vars(module)[1] = "a key that is not a name"
        watched = leak_check.watched_namespaces(module.__name__)
        leak_check.Baseline(watched).new_mocks()
        baseline = leak_check.Baseline(watched)
        module.left = mock.Mock(name="left")
        self.assertEqual([name for _, _, name, _ in baseline.new_mocks()], ["left"])

    @unittest.skipUnless(
        sys.implementation.name == "cpython" and sys.version_info < (3, 14),
        "dict versions are read on CPython 3.9 to 3.13",
    )
    def test_dict_versions_are_read_where_supported(self) -> None:
        """On the interpreters mockpool supports, the check tells a changed
        namespace by its version: were that silently off, every test would
        read every value again."""
        self.assertTrue(leak_check._READS_VERSIONS)

    def test_a_namespace_that_did_not_move_is_not_read(self) -> None:
        """Between two tests of a module, and during a test that changes
        nothing, no namespace's values are read again; a test that patches
        one namespace has that one read, not the others."""
        module = _scratch_module(self, "tests._scratch_unmoved")
        watched = leak_check.watched_namespaces(module.__name__)
        self.assertEqual(len(watched), 2)  # the module and its class
        leak_check.Baseline(watched).new_mocks()  # the module's first test
        with _reads() as read:
            self.assertEqual(leak_check.Baseline(watched).new_mocks(), [])
            untouched = {place for _, place in read}
            with mock.patch.object(module.Kind, "attribute", create=True):
                pass
            read.clear()
            baseline = leak_check.Baseline(watched)
            between = {place for _, place in read}
            read.clear()
            with mock.patch.object(module.Kind, "attribute", create=True):
                self.assertEqual(baseline.new_mocks()[0][2], "attribute")
            during = {place for _, place in read}
        if leak_check._READS_VERSIONS:
            kind = [owner for _, owner in leak_check._views_of(watched).owners]
            at = kind.index(module.Kind)
            # The class moved between tests (read at the start), then within
            # the last test (read at its end); the module never.
            self.assertEqual((untouched, between, during), (set(), {at}, {at}))

    def test_with_or_without_versions_the_same_leaks_are_found(self) -> None:
        """The versions only spare reading: every kind of assignment is
        found alike with them and with every namespace read each time."""

        class Assigns(unittest.TestCase):
            def test_1_adds_a_name(self) -> None:
                _THIS.ADDED = mock.Mock(name="added")  # type: ignore[attr-defined]

            def test_2_does_nothing(self) -> None:
                pass

            def test_3_moves_a_mock_to_another_name(self) -> None:
                _THIS.RENAMED = SHARED  # type: ignore[attr-defined]

            def test_4_replaces_a_method(self) -> None:
                Target.method = mock.MagicMock()  # type: ignore[method-assign]

            def test_5_patches_and_restores(self) -> None:
                with mock.patch.object(Target, "method"):
                    pass

        found = []
        for reads_versions in (leak_check._READS_VERSIONS, False):
            leak_check._views_cache.clear()
            with mock.patch.object(leak_check, "_READS_VERSIONS", reads_versions):
                result, leaks = run_tests(Assigns)
            leak_check._views_cache.clear()
            repair()
            self.assertPassed(result)
            found.append(names_of(leaks))
        self.assertEqual(found[0], found[1])
        self.assertEqual(
            found[0],
            {
                "test_1_adds_a_name": [f"mock assigned: {__name__}.ADDED"],
                "test_3_moves_a_mock_to_another_name": [
                    f"mock assigned: {__name__}.RENAMED"
                ],
                "test_4_replaces_a_method": [
                    f"mock assigned: {__name__}.Target.method"
                ],
            },
        )

    def test_a_test_end_reads_the_versions_once(self) -> None:
        """new_mocks reads the namespaces' versions once, for whether any
        moved and for which did (it used to ask unmoved() first, and compare
        read them again): most of a test's check is reading them."""
        module = _scratch_module(self, "tests._scratch_versions_once")
        watched = leak_check.watched_namespaces(module.__name__)
        leak_check.Baseline(watched).new_mocks()  # the module's first test
        views = leak_check._Views
        with (
            mock.patch.object(views, "versions", autospec=True) as versions,
            mock.patch.object(leak_check.Baseline, "unmoved") as unmoved,
        ):
            versions.side_effect = lambda self: b"".join(self.cells)
            baseline = leak_check.Baseline(watched)
            versions.reset_mock()
            with mock.patch.object(module.Kind, "attribute", create=True):
                found = baseline.new_mocks()
            self.assertEqual([name for _, _, name, _ in found], ["attribute"])
            self.assertEqual(versions.call_count, 1)
            unmoved.assert_not_called()

    def test_a_patch_undone_leaves_the_reading_shared(self) -> None:
        """A test whose moved namespaces hold the very values again (its
        patches undone) ends with a reading that shares the lists of the one
        it started from: nothing is copied where nothing changed."""
        module = _scratch_module(self, "tests._scratch_shared_lists")
        watched = leak_check.watched_namespaces(module.__name__)
        leak_check.Baseline(watched).new_mocks()  # the module's first test
        views = leak_check._views_of(watched)
        # Moved once during a test, so that its values are asked then: the
        # next test's reading knows the module holds no mock.
        baseline = leak_check.Baseline(watched)
        with mock.patch.object(module, "value", object()):
            pass
        self.assertEqual(baseline.new_mocks(), [])
        baseline = leak_check.Baseline(watched)
        before = baseline._reading
        with mock.patch.object(module, "value", object()):
            pass
        self.assertEqual(baseline.new_mocks(), [])
        after = views.last
        if leak_check._READS_VERSIONS:
            assert after is not None  # kept for the module's next test
            self.assertIsNot(after, before)  # a reading at the new versions
            self.assertIs(after.values, before.values)
            self.assertIs(after.names, before.names)
            self.assertIs(after.mock_at, before.mock_at)

    def test_the_namespaces_that_moved_are_found_however_many(self) -> None:
        """Every namespace whose version differs is found, and no other: one,
        a few, or more than are found bit by bit."""
        views = leak_check._Views([])
        size = leak_check._VERSION_SIZE
        before = bytes(byte % 251 for byte in range(40 * size))
        for moved in ([], [0], [39], [3, 17], list(range(0, 40, 3)), list(range(40))):
            now = bytearray(before)
            for place in moved:
                now[place * size + place % size] ^= 0x80
            self.assertEqual(list(views.moved(bytes(now), before)), moved)
            # Expecting most to have moved (a first test), the same answer.
            found = views.moved(bytes(now), before, few=False)
            self.assertEqual(list(found), moved)

    def test_both_ways_of_comparing_agree(self) -> None:
        """Lists compared by their arrays of addresses or item by item agree."""
        items = [object() for _ in range(50)]
        cases = [
            (items, list(items), True),
            ([], [], True),
            (items, items[:-1], False),
            (items, [*items[:20], object(), *items[21:]], False),
            (items, list(reversed(items)), False),
        ]
        for first, second, same in cases:
            self.assertIs(leak_check._same_objects(first, second), same)
            with mock.patch.object(leak_check, "_READS_POINTERS", False):
                self.assertIs(leak_check._same_objects(first, second), same)

    def test_nothing_a_test_assigned_is_kept_after_it(self) -> None:
        """A mock a test leaves, and what was passed to it, are freed once
        the next test removes it: the check keeps no copy of the namespace."""

        class LeavesThenRemoves(unittest.TestCase):
            def test_1_leaves(self) -> None:
                leaked = mock.Mock(name="leaked")
                payload = Payload()
                leaked(payload)
                SEEN.append(weakref.ref(payload))
                SEEN.append(weakref.ref(leaked))
                _THIS.helper = leaked  # type: ignore[attr-defined]

            def test_2_removes(self) -> None:
                _THIS.helper = ORIGINAL_HELPER  # type: ignore[attr-defined]

            def test_3_looks(self) -> None:
                gc.collect()
                SEEN.append([witness() is None for witness in SEEN])

        result, leaks = run_tests(LeavesThenRemoves)
        self.assertPassed(result)
        self.assertEqual(list(leaks), ["test_1_leaves"])
        self.assertEqual(SEEN[-1], [True, True], "the leaked mock or its payload lives")


if __name__ == "__main__":
    unittest.main()
