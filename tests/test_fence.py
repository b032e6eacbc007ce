"""mockpool never breaks, slows or holds on to a legal test.

Three promises of the drop-in (``python -m mockpool run``, ``install()``),
each checked against the stdlib's own behaviour:

* the leak check's scan of a test module's namespaces survives whatever
  the module defines -- proxy and lazy-loading classes, modules with a
  ``__getattr__``, objects whose every attribute read, comparison, hash,
  repr or truth test raises;
* ``patch.dict`` works on every container the stdlib's accepts (anything
  with ``__getitem__``, ``__setitem__``, ``__delitem__`` and iteration),
  and the leak check reads it as ``patch.dict`` does;
* an error inside mockpool's own bookkeeping -- the leak check, the run
  report, usage history, warming -- becomes one ``MockPoolWarning`` that
  names the test and the cause; the test's outcome is unchanged and the
  next test runs.
"""

from __future__ import annotations

import importlib
import io
import math
import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest
import warnings
from typing import Any, Literal
from unittest import mock

import mockpool
from mockpool._integration import dropin as _dropin
from mockpool._integration import leak_check
from mockpool._learning import history as _history
from mockpool._learning import lifecycle as _learning
from mockpool._reporting import worker_files as _worker_files
from mockpool._reporting.run_report import RunReport
from mockpool._sessions.session import MockSession

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: What the hostile test modules below are made of: kinds of classes and
#: values that resist introspection, none of them used yet.
HOSTILE_KINDS = '''
"""Classes and values that resist introspection, and tests beside them."""

import sys
import types
import unittest
from unittest import mock


class NoDictMeta(type):
    """A proxy class: its metaclass hides __dict__."""

    def __getattribute__(cls, name):
        if name == "__dict__":
            raise AttributeError(name)
        return super().__getattribute__(name)


class LazyMeta(type):
    """A lazy-loading class: every attribute read on the class raises."""

    def __getattribute__(cls, name):
        raise RuntimeError("not loaded yet: " + name)


class Hostile:
    """Every attribute read, comparison, hash, repr and truth test raises."""

    def __getattribute__(self, name):
        raise RuntimeError("hostile: " + name)

    def __eq__(self, other):
        raise RuntimeError("hostile ==")

    def __hash__(self):
        raise RuntimeError("hostile hash")

    def __repr__(self):
        raise RuntimeError("hostile repr")

    def __bool__(self):
        raise RuntimeError("hostile bool")


class Opaque(Hostile):
    """Hostile, but attribute reads fail as AttributeError."""

    def __getattribute__(self, name):
        raise AttributeError(name)


class Unbound:
    """A context-local proxy read outside its context."""

    def __getattribute__(self, name):
        if name == "__class__":
            return Unbound
        raise RuntimeError("working outside of context: " + name)


def _import_lazily(name):
    raise ImportError("cannot import " + repr(name) + " lazily")


def _no_repr(self):
    raise RuntimeError("no repr")
'''

#: The hostile things a test module may hold, each legal for ``python -m
#: unittest``: it reads only ``load_tests`` and the module fixtures from a
#: module, and checks the module's values with ``isinstance(value, type)``.
HOSTILE_PARTS = {
    "a class whose metaclass hides __dict__": """
class Proxy(metaclass=NoDictMeta):
    pass
""",
    "a class whose every attribute read raises": """
class Lazy(metaclass=LazyMeta):
    pass
""",
    "a proxy whose every attribute read raises": """
REQUEST = Unbound()
""",
    "an object whose every attribute read raises AttributeError": """
OPAQUE = Opaque()
""",
    "class attributes that raise everywhere": """
class Settings:
    current = Hostile()
    opaque = Opaque()
""",
    "a lazy package: no __file__, every unknown name imported on demand": """
lazy = types.ModuleType(__name__ + "_lazy")
lazy.__getattr__ = _import_lazily
sys.modules[lazy.__name__] = lazy
""",
    "a module-level __getattr__": """
def __getattr__(name):
    # unittest only asks a module for these names.
    if name in ("load_tests", "setUpModule", "tearDownModule"):
        raise AttributeError(name)
    return _import_lazily(name)
""",
}

#: One passing test, for a module of one hostile part.
PLAIN_TESTS = """
class PlainTests(unittest.TestCase):
    def test_passes(self):
        pass
"""

#: Tests beside every hostile part at once: passing, failing and leaking.
HOSTILE_TESTS = """
class HostileTests(unittest.TestCase):
    thing = Hostile()

    def test_passes(self):
        self.assertIs(type(self.thing), Hostile)

    def test_fails(self):
        self.fail("on purpose")

    def test_mock_left_on_a_proxy_class(self):
        Proxy.leaked = mock.MagicMock()

    def test_mock_that_cannot_be_printed_left_on_a_class(self):
        leaked = mock.MagicMock()
        leaked.__repr__ = _no_repr
        Settings.printer = leaked
"""

#: A test module that holds all of the above.
HOSTILE_SOURCE = HOSTILE_KINDS + "".join(HOSTILE_PARTS.values()) + HOSTILE_TESTS

#: The ids of the tests above that leak a mock, by the target the leak
#: check should name.
HOSTILE_LEAKS = {
    "test_mock_left_on_a_proxy_class": "Proxy.leaked = <MagicMock",
    "test_mock_that_cannot_be_printed_left_on_a_class": "Settings.printer = <",
}


def load_hostile_module(
    test: unittest.TestCase, source: str = HOSTILE_SOURCE, tag: str = ""
) -> types.ModuleType:
    """A fresh module run from *source*, gone when *test* ends."""
    name = f"tests._fence_hostile_{id(test)}{tag}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    test.addCleanup(sys.modules.pop, name, None)
    test.addCleanup(sys.modules.pop, f"{name}_lazy", None)
    test.addCleanup(leak_check._watch_cache.clear)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def run_cases(
    *cases: type[unittest.TestCase] | unittest.TestCase,
    fail_on_leak: bool = False,
    action: Literal["always", "error"] = "always",
) -> tuple[unittest.TestResult, list[warnings.WarningMessage]]:
    """Run *cases* under the drop-in; return the result and every warning.

    A case is a TestCase class (all its tests) or one test.
    """
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for case in cases:
        if isinstance(case, unittest.TestCase):
            suite.addTest(case)
        else:
            suite.addTests(loader.loadTestsFromTestCase(case))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _dropin.enable(fail_on_leak=fail_on_leak)
        try:
            runner = unittest.TextTestRunner(stream=io.StringIO(), warnings=action)
            result = runner.run(suite)
        finally:
            _dropin.disable()
    return result, caught


def fence_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """The texts of the MockPoolWarnings that are not leak reports."""
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, mockpool.MockPoolWarning)
        and not issubclass(w.category, mockpool.LeakWarning)
    ]


def leak_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """The texts of the LeakWarnings."""
    return [
        str(w.message) for w in caught if issubclass(w.category, mockpool.LeakWarning)
    ]


def _ids(entries: list[tuple[unittest.TestCase, str]]) -> list[str]:
    return sorted(test.id() for test, _ in entries)


#: What the tests of the suites below saw, filled while they run.
SEEN: list[Any] = []


def make_pair(*, asks_for_session: bool = False) -> type[unittest.TestCase]:
    """A suite of a passing test, a failing one and a passing one after.

    With *asks_for_session*, each test asks for its session, which the
    drop-in opens only then.
    """

    class Pair(unittest.TestCase):
        def setUp(self) -> None:
            if asks_for_session:
                mockpool.current_session()

        def test_1_passes(self) -> None:
            SEEN.append("1")

        def test_2_fails(self) -> None:
            SEEN.append("2")
            self.fail("on purpose")

        def test_3_passes(self) -> None:
            SEEN.append("3")

    return Pair


class FenceTestBase(unittest.TestCase):
    def setUp(self) -> None:
        SEEN.clear()
        self.addCleanup(SEEN.clear)

    def assert_outcomes_unchanged(
        self, result: unittest.TestResult, case: type[unittest.TestCase]
    ) -> None:
        """Pair's outcomes: every test ran, only the failing one failed."""
        self.assertEqual(SEEN, ["1", "2", "3"])
        self.assertEqual(result.testsRun, 3)
        self.assertEqual(result.errors, [])
        self.assertEqual(
            _ids(result.failures),
            [f"{case.__module__}.{case.__qualname__}.test_2_fails"],
        )

    def assert_one_warning_per_test(
        self,
        texts: list[str],
        case: type[unittest.TestCase],
        cause: str,
        tests: tuple[str, ...] = ("test_1_passes", "test_2_fails", "test_3_passes"),
    ) -> None:
        """Exactly one warning per test in *tests*, naming it and *cause*."""
        prefix = f"{case.__module__}.{case.__qualname__}."
        self.assertEqual(len(texts), len(tests), texts)
        for name, text in zip(tests, texts):
            self.assertIn(prefix + name, text)
            self.assertIn(cause, text)


# -- defect 1: the namespace scan ---------------------------------------------


class HostileNamespaceTests(FenceTestBase):
    def test_hostile_module_runs_as_under_plain_unittest(self) -> None:
        """Proxy, lazy and hostile objects change no outcome under the drop-in."""
        module = load_hostile_module(self)
        case = module.HostileTests
        plain = unittest.TestResult()
        unittest.TestLoader().loadTestsFromTestCase(case).run(plain)
        result, caught = run_cases(case)
        self.assertEqual(result.testsRun, plain.testsRun)
        self.assertEqual(_ids(result.failures), _ids(plain.failures))
        self.assertEqual(_ids(result.errors), _ids(plain.errors))
        self.assertEqual(_ids(result.errors), [])
        self.assertEqual(fence_warnings(caught), [])

    def test_each_hostile_kind_alone_changes_no_outcome(self) -> None:
        """Each kind of hostile value, alone in a test module, breaks nothing."""
        for number, (kind, part) in enumerate(HOSTILE_PARTS.items()):
            with self.subTest(kind):
                source = HOSTILE_KINDS + part + PLAIN_TESTS
                module = load_hostile_module(self, source, f"_{number}")
                result, caught = run_cases(module.PlainTests)
                self.assertTrue(result.wasSuccessful(), result.errors)
                self.assertEqual(fence_warnings(caught) + leak_warnings(caught), [])

    def test_leaks_on_hostile_classes_are_still_named(self) -> None:
        """A mock left on a proxy class, or one whose repr raises, is reported."""
        module = load_hostile_module(self)
        result, caught = run_cases(module.HostileTests)
        self.assertEqual(_ids(result.errors), [])
        leaks = leak_warnings(caught)
        self.assertEqual(len(leaks), len(HOSTILE_LEAKS), leaks)
        for test, target in HOSTILE_LEAKS.items():
            test_id = f"{module.__name__}.HostileTests.{test}"
            found = [text for text in leaks if text.startswith(test_id)]
            self.assertEqual(len(found), 1, leaks)
            self.assertIn(f"{module.__name__}.{target}", found[0])

    def test_leaks_on_hostile_classes_fail_with_fail_on_leak(self) -> None:
        """fail_on_leak fails exactly the leaking tests of a hostile module."""
        module = load_hostile_module(self)
        result, caught = run_cases(module.HostileTests, fail_on_leak=True)
        prefix = f"{module.__name__}.HostileTests."
        expected = sorted([prefix + "test_fails", *(prefix + t for t in HOSTILE_LEAKS)])
        self.assertEqual(_ids(result.failures), expected)
        self.assertEqual(result.errors, [])
        self.assertEqual(fence_warnings(caught), [])

    def test_scan_helpers_never_raise_on_hostile_values(self) -> None:
        """Every helper of the scan answers for values that raise everywhere."""
        module = load_hostile_module(self)
        hostile = module.Hostile()
        for value in (hostile, module.OPAQUE, module.REQUEST, module.Lazy, module.lazy):
            self.assertIs(leak_check.is_mock(value), False)
            self.assertIsInstance(leak_check.short_repr(value), str)
            self.assertIsInstance(leak_check.target_name(value), str)
            self.assertIsInstance(leak_check.dict_name(value), str)
        self.assertEqual(leak_check.target_name(module.Lazy), f"{module.__name__}.Lazy")
        self.assertFalse(leak_check.user_module(module.lazy))
        watched = leak_check.watched_namespaces(module.__name__)
        labels = {label for label, _, _ in watched}
        self.assertIn(f"{module.__name__}.Proxy", labels)
        self.assertIn(f"{module.__name__}.Lazy", labels)
        module.Settings.leaked = mock.Mock()
        found = leak_check.assigned_mocks(watched)
        self.assertEqual([key for _, _, key in found], ["leaked"])

    def test_hostile_module_runs_under_mockpool_run(self) -> None:
        """python -m mockpool run reports a hostile module's results, not a crash."""
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "test_hostile_module.py")
            with open(path, "w", encoding="utf-8") as stream:
                stream.write(HOSTILE_SOURCE)
            run = subprocess.run(
                [sys.executable, "-m", "mockpool", "run", "test_hostile_module"],
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=300,
                env={**os.environ, "PYTHONPATH": _ROOT},
            )
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertIn("Ran 4 tests", run.stderr)
        self.assertIn("FAILED (failures=1)", run.stderr)


# -- defect 2: patch.dict on containers that are not mappings -----------------


class Container:
    """What ``patch.dict`` accepts at the least: item access and iteration."""

    def __init__(self, **values: Any) -> None:
        self.values: dict[str, Any] = dict(values)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self.values[name] = value

    def __delitem__(self, name: str) -> None:
        del self.values[name]

    def __iter__(self) -> Any:
        return iter(self.values)


class PairList:
    """A container of unhashable keys, with a ``copy`` of its own kind."""

    def __init__(self, pairs: list[list[Any]]) -> None:
        self.pairs = [list(pair) for pair in pairs]

    def copy(self) -> PairList:
        return PairList(self.pairs)

    def clear(self) -> None:
        self.pairs.clear()

    def _index(self, key: Any) -> int:
        for index, (known, _) in enumerate(self.pairs):
            if known == key:
                return index
        raise KeyError(key)

    def __getitem__(self, key: Any) -> Any:
        return self.pairs[self._index(key)][1]

    def __setitem__(self, key: Any, value: Any) -> None:
        try:
            self.pairs[self._index(key)][1] = value
        except KeyError:
            self.pairs.append([key, value])

    def __delitem__(self, key: Any) -> None:
        del self.pairs[self._index(key)]

    def __iter__(self) -> Any:
        return iter([key for key, _ in self.pairs])


CONTAINER = Container(initial="first", other="something")
PAIRS = PairList([[["a"], 1], [["b"], 2]])
#: Patchers the leaking tests below started and never stopped.
STARTED: list[Any] = []


def make_container_cases() -> type[unittest.TestCase]:
    """Tests that patch.dict the containers above, restoring or leaking."""

    class Containers(unittest.TestCase):
        def test_restored(self) -> None:
            with mock.patch.dict(CONTAINER, {"a": 3}):
                del CONTAINER["initial"]
                SEEN.append(sorted(CONTAINER))
            with mock.patch.dict(CONTAINER, {"a": "b"}, clear=True):
                SEEN.append(sorted(CONTAINER))

        def test_unhashable_keys_restored(self) -> None:
            with mock.patch.dict(PAIRS, clear=True):
                PAIRS[["c"]] = 3
                SEEN.append(list(PAIRS))

        def test_leaked(self) -> None:
            patcher = mock.patch.dict(CONTAINER, {"a": 3})
            STARTED.append(patcher)
            patcher.start()

        def test_unhashable_keys_leaked(self) -> None:
            patcher = mock.patch.dict(PAIRS, clear=True)
            STARTED.append(patcher)
            patcher.start()

    return Containers


def _stdlib_patch_tests() -> Any:
    """The stdlib's own PatchTest class (its module moved in 3.12)."""
    for name in (
        "unittest.test.testmock.testpatch",
        "test.test_unittest.testmock.testpatch",
    ):
        try:
            return importlib.import_module(name).PatchTest
        except ImportError:
            continue
    return None


class PatchDictContainerTests(FenceTestBase):
    def tearDown(self) -> None:
        while STARTED:
            STARTED.pop().stop()

    def test_stdlib_container_tests_pass(self) -> None:
        """CPython's patch.dict tests of a container object pass under the drop-in."""
        patch_tests = _stdlib_patch_tests()
        if patch_tests is None:
            self.skipTest("the stdlib's unittest.mock tests are not installed")
        names = (
            "test_patch_dict_with_container_object",
            "test_patch_dict_with_container_object_and_clear",
        )
        result, caught = run_cases(*(patch_tests(name) for name in names))
        self.assertEqual(result.testsRun, 2)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(leak_warnings(caught) + fence_warnings(caught), [])

    def test_containers_are_patched_and_checked_as_patch_dict_reads_them(self) -> None:
        """A restored container passes the leak check; a leaked one is named."""
        case = make_container_cases()
        result, caught = run_cases(case)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(SEEN[:3], [["a", "other"], ["a"], [["c"]]])
        self.assertEqual(fence_warnings(caught), [])
        prefix = f"{case.__module__}.{case.__qualname__}."
        leaks = leak_warnings(caught)
        self.assertEqual(
            sorted(text.split(" leaked: ")[0] for text in leaks),
            [prefix + "test_leaked", prefix + "test_unhashable_keys_leaked"],
        )
        self.assertTrue(all("patch not undone: dict <" in text for text in leaks))

    def test_container_that_fails_when_read_is_no_leak(self) -> None:
        """A container whose reads raise after the patch breaks no test."""

        class Fickle(Container):
            broken = False

            def __iter__(self) -> Any:
                if Fickle.broken:
                    raise RuntimeError("cannot iterate now")
                return super().__iter__()

        fickle = Fickle(a=1)

        class Breaks(unittest.TestCase):
            def test_breaks(self) -> None:
                with mock.patch.dict(fickle, {"b": 2}):
                    pass
                Fickle.broken = True

        result, caught = run_cases(Breaks)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(leak_warnings(caught), [])
        self.assertEqual(fickle.values, {"a": 1})


# -- defect 3: the fence around mockpool's bookkeeping ------------------------


class BrokenStore:
    """A usage history store whose writes fail."""

    def flush(self) -> None:
        raise OSError("history disk full")


class BrokenPriorities(dict[str, float]):
    """Priorities that cannot be read."""

    def get(self, key: str, default: Any = None) -> Any:
        raise RuntimeError("priorities unreadable")


class FenceTests(FenceTestBase):
    def test_leak_check_error_is_a_warning(self) -> None:
        """The leak check raising warns once per test; outcomes stay."""
        case = make_pair()
        boom = RuntimeError("scan exploded")
        with mock.patch.object(leak_check.Baseline, "unmoved", side_effect=boom):
            result, caught = run_cases(case)
        self.assert_outcomes_unchanged(result, case)
        self.assert_one_warning_per_test(
            fence_warnings(caught), case, "RuntimeError: scan exploded"
        )

    def test_leak_check_error_does_not_fail_a_test_failing_on_leaks(self) -> None:
        """Failing on leaks, only a leak fails a test, not the check's own error."""
        case = make_pair()
        boom = RuntimeError("scan exploded")
        # The namespaces are compared for every test (the patches only for
        # one that started patches).
        with mock.patch.object(leak_check.Baseline, "unmoved", side_effect=boom):
            result, caught = run_cases(case, fail_on_leak=True)
        self.assert_outcomes_unchanged(result, case)
        self.assert_one_warning_per_test(
            fence_warnings(caught), case, "RuntimeError: scan exploded"
        )

    def test_namespace_scan_error_is_a_warning(self) -> None:
        """watched_namespaces raising warns once per test; the tests run."""
        case = make_pair()
        boom = RuntimeError("no namespaces")
        with mock.patch.object(leak_check, "watched_namespaces", side_effect=boom):
            result, caught = run_cases(case)
        self.assert_outcomes_unchanged(result, case)
        self.assert_one_warning_per_test(
            fence_warnings(caught), case, "RuntimeError: no namespaces"
        )

    def test_noting_a_patch_failing_is_a_warning_and_the_patch_holds(self) -> None:
        """Reading a patch's target for the leak check raising warns once
        per test; the patch is in place all the same, and undone."""
        patched: list[bool] = []

        class Target:
            value = "original"

        class Patches(unittest.TestCase):
            def test_1_passes(self) -> None:
                with mock.patch.object(Target, "value", "patched"):
                    patched.append(Target.value == "patched")

            def test_2_fails(self) -> None:
                with mock.patch.object(Target, "value", "patched"):
                    patched.append(Target.value == "patched")
                self.fail("on purpose")

            def test_3_passes(self) -> None:
                with mock.patch.object(Target, "value", "patched"):
                    patched.append(Target.value == "patched")

        boom = RuntimeError("cannot read target")
        with mock.patch.object(leak_check, "raw_attribute", side_effect=boom):
            result, caught = run_cases(Patches)
        self.assertEqual((result.testsRun, len(result.failures)), (3, 1))
        self.assertEqual(result.errors, [])
        self.assertEqual(patched, [True, True, True])
        self.assertEqual(Target.value, "original")
        self.assert_one_warning_per_test(
            fence_warnings(caught), Patches, "RuntimeError: cannot read target"
        )

    def test_run_report_error_is_a_warning(self) -> None:
        """Recording a test in the run report raising warns once per test."""
        case = make_pair()
        boom = RuntimeError("report full")
        with mock.patch.object(RunReport, "end_test", side_effect=boom):
            result, caught = run_cases(case)
        self.assert_outcomes_unchanged(result, case)
        self.assert_one_warning_per_test(
            fence_warnings(caught), case, "RuntimeError: report full"
        )

    def test_report_file_error_is_a_warning(self) -> None:
        """Writing the report file failing warns once per test."""
        case = make_pair()
        boom = OSError("report disk full")
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory, True)
        with (
            mock.patch.dict(os.environ, {_worker_files.REPORT_DIR_ENV: directory}),
            mock.patch.object(_worker_files, "flush", side_effect=boom),
        ):
            result, caught = run_cases(case)
        self.assert_outcomes_unchanged(result, case)
        self.assert_one_warning_per_test(
            fence_warnings(caught), case, "OSError: report disk full"
        )

    def test_usage_history_error_is_a_warning(self) -> None:
        """Writing the usage history failing warns once, naming the test."""
        case = make_pair()
        _learning.begin_run()  # now, so that it cannot replace the store below
        with (
            mock.patch.object(_learning._state, "store", BrokenStore()),
            mock.patch.object(_learning._state, "last_flush", -math.inf),
            mock.patch.object(_learning, "FLUSH_INTERVAL", 3600.0),
        ):
            result, caught = run_cases(case)
        self.assert_outcomes_unchanged(result, case)
        # Written at most every FLUSH_INTERVAL: the first test's write fails.
        self.assert_one_warning_per_test(
            fence_warnings(caught),
            case,
            "OSError: history disk full",
            ("test_1_passes",),
        )

    def test_warming_error_is_a_warning(self) -> None:
        """Warming before the first test failing warns once, naming the test."""
        case = make_pair()
        boom = RuntimeError("cannot warm")
        state = _learning._state
        with (
            mock.patch.object(state, "begun", True),
            mock.patch.object(state, "warmed_up", False),
            mock.patch.object(state, "warming", True),
            mock.patch.object(state, "warmer", None),
            mock.patch.object(_learning, "_warm_registered", side_effect=boom),
        ):
            result, caught = run_cases(case)
        self.assert_outcomes_unchanged(result, case)
        self.assert_one_warning_per_test(
            fence_warnings(caught),
            case,
            "RuntimeError: cannot warm",
            ("test_1_passes",),
        )

    def test_history_load_error_is_a_warning(self) -> None:
        """Loading the usage history failing warns once; the tests run."""
        case = make_pair()
        boom = RuntimeError("history unreadable")
        with (
            mock.patch.object(_learning, "_state", _learning._State()),
            mock.patch.object(_history, "history_enabled", side_effect=boom),
        ):
            result, caught = run_cases(case)
        self.assert_outcomes_unchanged(result, case)
        texts = fence_warnings(caught)
        self.assertEqual(len(texts), 1, texts)
        self.assertIn("RuntimeError: history unreadable", texts[0])

    def test_priority_error_is_one_warning(self) -> None:
        """A priority lookup raising warns once and answers the default."""
        state = _learning._State()
        state.begun = True
        state.priorities = BrokenPriorities()

        class Looks(unittest.TestCase):
            def test_looks_twice(self) -> None:
                SEEN.append(_learning.priority("a.B"))
                SEEN.append(_learning.priority("a.B"))

        with mock.patch.object(_learning, "_state", state):
            result, caught = run_cases(Looks)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(SEEN, [0.0, 0.0])
        texts = fence_warnings(caught)
        self.assertEqual(len(texts), 1, texts)
        self.assertIn(
            f"{Looks.__module__}.{Looks.__qualname__}.test_looks_twice", texts[0]
        )
        self.assertIn("RuntimeError: priorities unreadable", texts[0])

    def test_session_close_error_is_a_warning(self) -> None:
        """The test's own session failing to close warns once per test."""
        case = make_pair(asks_for_session=True)
        boom = RuntimeError("cannot release")
        with mock.patch.object(MockSession, "_release_all", side_effect=boom):
            result, caught = run_cases(case)
        self.assert_outcomes_unchanged(result, case)
        self.assert_one_warning_per_test(
            fence_warnings(caught), case, "RuntimeError: cannot release"
        )
        self.assertIsNone(mockpool.current_session())

    def test_warning_turned_error_does_not_end_the_run(self) -> None:
        """With warnings as errors, the fence's warning goes to stderr instead."""
        case = make_pair()
        boom = RuntimeError("report full")
        stderr = io.StringIO()
        with (
            mock.patch.object(RunReport, "end_test", side_effect=boom),
            mock.patch.object(sys, "stderr", stderr),
        ):
            result, _ = run_cases(case, action="error")
        self.assert_outcomes_unchanged(result, case)
        self.assertEqual(stderr.getvalue().count("RuntimeError: report full"), 3)


if __name__ == "__main__":
    unittest.main()
