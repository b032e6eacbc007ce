"""Tests for mockpool._integration.testcase: sessions around unittest tests.

Each test defines a small ``TestCase`` class, runs it with a
:class:`unittest.TestResult` and checks the outcome and what the inner tests
recorded. The inner classes are defined inside the tests, so discovery never
collects them.
"""

from __future__ import annotations

import asyncio
import inspect
import unittest
from typing import Any
from unittest import mock

import mockpool
from mockpool._base import compat as _compat
from mockpool._integration.testcase import (
    MockSessionMixin,
    mock_services,
    session_for,
    with_mock_session,
)
from mockpool._pools.pool import default_pools
from mockpool._sessions.session import MockSession, current_session, mock_session
from mockpool._sessions.system import ArgumentTypeError, InvalidArgumentError


class RedisService:
    def get(self, key: str) -> bytes:
        return b""

    def set(self, key: str, value: bytes) -> None:
        pass

    async def fetch(self, key: str) -> bytes:
        return b""


class JwtService:
    def sign(self, payload: dict[str, Any]) -> str:
        return ""


class DeviceService:
    def start(self, device: str) -> str:
        return device


class Target:
    """Something for tests to patch."""

    value = "original"


def make_registry() -> mockpool.Registry:
    """A registry of our own: tests never touch the default one."""
    registry = mockpool.Registry()
    registry.register("RedisService", RedisService, defaults={"get.return_value": b"v"})
    registry.register("JwtService", JwtService)
    registry.register(
        "DeviceService", DeviceService, depends_on={"redis": "RedisService"}
    )
    return registry


def run_tests(*classes: type[unittest.TestCase]) -> unittest.TestResult:
    """Run every test of *classes* as one suite (class fixtures included)."""
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(cls) for cls in classes)
    result = unittest.TestResult()
    suite.run(result)
    return result


class Decorated(unittest.TestCase):
    """Annotations for mypy: what the decorator and the mixin add (no tests)."""

    mocks: Any
    mock_session: MockSession


class AsyncDecorated(unittest.IsolatedAsyncioTestCase):
    """The same annotations, for asynchronous tests (no tests)."""

    mocks: Any
    mock_session: MockSession


class IntegrationTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.registry = make_registry()
        # Every test must leave the context as it found it.
        self.addCleanup(self.assertIsNone, current_session())

    def assertOutcome(
        self,
        result: unittest.TestResult,
        *,
        run: int | None,
        errors: int = 0,
        failures: int = 0,
        skipped: int = 0,
    ) -> None:
        """Assert the counts of *result*, showing the inner tracebacks if not.

        ``run=None`` leaves ``testsRun`` unchecked: 3.12.1 does not count
        tests skipped by a decorator.
        """
        details = "\n".join(text for _, text in result.errors + result.failures)
        tests_run = result.testsRun if run is not None else None
        self.assertEqual(
            (tests_run, len(result.errors), len(result.failures)),
            (run, errors, failures),
            details,
        )
        self.assertEqual(len(result.skipped), skipped)

    def leased(self, service: str) -> int:
        """How many mocks of *service* are handed out right now."""
        return default_pools.pool_for(self.registry, service).stats().leased


# -- the class decorator --------------------------------------------------------


class DecoratorTests(IntegrationTestCase):
    def test_each_test_gets_a_pristine_mock(self) -> None:
        """A mock configured and called in one test is pristine in the next."""

        @mock_services("RedisService", registry=self.registry)
        class Inner(Decorated):
            def test_1_configure(self) -> None:
                redis = self.mocks.RedisService
                redis.get.return_value = b"changed"
                redis.get("k")

            def test_2_check(self) -> None:
                redis = self.mocks.RedisService
                self.assertEqual(redis.get("k"), b"v")
                redis.get.assert_called_once_with("k")

        self.assertOutcome(run_tests(Inner), run=2)

    def test_setup_test_teardown_and_cleanups_share_the_session(self) -> None:
        """setUp, the test, tearDown and cleanups all see one open session."""
        seen: list[tuple[str, Any, Any, bool]] = []

        def record(part: str, test: Decorated) -> None:
            session = test.mock_session
            seen.append((part, session, current_session(), session.closed))

        @mock_services("RedisService", registry=self.registry)
        class Inner(Decorated):
            def setUp(self) -> None:
                record("setUp", self)
                self.addCleanup(record, "cleanup", self)

            def test_it(self) -> None:
                record("test", self)

            def tearDown(self) -> None:
                record("tearDown", self)

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertEqual(
            [part for part, *_ in seen], ["setUp", "test", "tearDown", "cleanup"]
        )
        session = seen[0][1]
        self.assertIsInstance(session, MockSession)
        for part, test_session, current, closed in seen:
            with self.subTest(part=part):
                self.assertIs(test_session, session)
                self.assertIs(current, session)
                self.assertFalse(closed)
        self.assertTrue(session.closed)

    def test_named_services_are_acquired_when_the_session_opens(self) -> None:
        """The named services are handed out before setUp runs."""
        services: list[list[str]] = []

        @mock_services("RedisService", "JwtService", registry=self.registry)
        class Inner(Decorated):
            def setUp(self) -> None:
                services.append(self.mock_session.services())

            def test_it(self) -> None:
                pass

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertEqual(services, [["JwtService", "RedisService"]])

    def test_mocks_attribute_reaches_every_registered_service(self) -> None:
        """self.mocks gives named and unnamed services, by attribute or item."""

        @mock_services("RedisService", registry=self.registry)
        class Inner(Decorated):
            def test_it(self) -> None:
                session = self.mock_session
                self.assertIs(self.mocks.RedisService, session.get("RedisService"))
                self.assertIs(self.mocks["JwtService"], session.get("JwtService"))
                devices = self.mocks.DeviceService
                self.assertIs(devices.redis, self.mocks.RedisService)

        self.assertOutcome(run_tests(Inner), run=1)

    def test_session_and_attributes_end_with_the_test(self) -> None:
        """After the test the session is closed and the test holds no reference."""
        tests: list[Decorated] = []
        sessions: list[MockSession] = []

        @mock_services("RedisService", registry=self.registry)
        class Inner(Decorated):
            def test_it(self) -> None:
                tests.append(self)
                sessions.append(self.mock_session)

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertTrue(sessions[0].closed)
        self.assertFalse(hasattr(tests[0], "mocks"))
        self.assertFalse(hasattr(tests[0], "mock_session"))
        self.assertEqual(self.leased("RedisService"), 0)

    def test_patches_made_in_the_test_are_undone(self) -> None:
        """A patch made through the session is undone when the test ends."""
        seen: list[str] = []

        @mock_services(registry=self.registry)
        class Inner(Decorated):
            def test_it(self) -> None:
                self.mock_session.patch.object(Target, "value", "patched")
                seen.append(Target.value)

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertEqual(seen, ["patched"])
        self.assertEqual(Target.value, "original")

    def test_failing_setup_still_closes_the_session(self) -> None:
        """An error in setUp is reported, and its patch is undone all the same."""
        sessions: list[MockSession] = []

        @mock_services("RedisService", registry=self.registry)
        class Inner(Decorated):
            def setUp(self) -> None:
                sessions.append(self.mock_session)
                self.mock_session.patch.object(Target, "value", "patched")
                raise RuntimeError("setUp broke")

            def test_it(self) -> None:
                self.fail("not reached")

        result = run_tests(Inner)
        self.assertOutcome(result, run=1, errors=1)
        self.assertIn("setUp broke", result.errors[0][1])
        self.assertTrue(sessions[0].closed)
        self.assertEqual(Target.value, "original")
        self.assertEqual(self.leased("RedisService"), 0)

    def test_failing_test_still_closes_the_session(self) -> None:
        """A failing test is reported as a failure and its session closed."""
        sessions: list[MockSession] = []

        @mock_services(registry=self.registry)
        class Inner(Decorated):
            def test_it(self) -> None:
                sessions.append(self.mock_session)
                self.mock_session.patch.object(Target, "value", "patched")
                self.fail("test broke")

        self.assertOutcome(run_tests(Inner), run=1, failures=1)
        self.assertTrue(sessions[0].closed)
        self.assertEqual(Target.value, "original")

    def test_error_while_closing_is_an_error_of_the_test(self) -> None:
        """close() raising is reported as an error of the test that owned it."""

        @mock_services(registry=self.registry)
        class Inner(Decorated):
            def test_it(self) -> None:
                real_close = self.mock_session.close

                def failing_close() -> None:
                    real_close()
                    raise RuntimeError("close broke")

                self.mock_session.close = failing_close  # type: ignore[method-assign]

        result = run_tests(Inner)
        self.assertOutcome(result, run=1, errors=1)
        self.assertIn("close broke", result.errors[0][1])
        self.assertIn("test_it", result.errors[0][0].id())

    def test_error_while_opening_is_an_error_in_setup(self) -> None:
        """A session that cannot open fails its test, not the suite."""
        self.registry.register("Broken", JwtService, depends_on={"x": "Missing"})
        ran: list[str] = []

        @mock_services("Broken", registry=self.registry)
        class Inner(Decorated):
            def setUp(self) -> None:
                ran.append("setUp")

            def test_it(self) -> None:
                ran.append("test")

        result = run_tests(Inner)
        self.assertOutcome(result, run=1, errors=1)
        self.assertIn("'Missing'", result.errors[0][1])
        self.assertEqual(ran, [])
        self.assertNotIn("setUp", vars(result.errors[0][0]))

    def test_skipped_test_closes_its_session(self) -> None:
        """A skipped test leaves no session open and no mock handed out."""

        @mock_services("RedisService", registry=self.registry)
        class Inner(Decorated):
            @unittest.skip("not today")
            def test_skipped(self) -> None:
                pass

            def test_skips_itself(self) -> None:
                self.skipTest("not now")

        self.assertOutcome(run_tests(Inner), run=None, skipped=2)
        self.assertEqual(self.leased("RedisService"), 0)

    def test_debug_runs_inside_a_session(self) -> None:
        """TestCase.debug() gets the same session and closes it."""
        sessions: list[MockSession] = []

        @mock_services("RedisService", registry=self.registry)
        class Inner(Decorated):
            def test_it(self) -> None:
                sessions.append(self.mock_session)
                self.assertIs(current_session(), self.mock_session)

            def test_fails(self) -> None:
                sessions.append(self.mock_session)
                raise KeyError("debug broke")

        Inner("test_it").debug()
        with self.assertRaises(KeyError):
            Inner("test_fails").debug()
        self.assertEqual(len(sessions), 2)
        self.assertTrue(all(session.closed for session in sessions))

    def test_sessions_nest_in_an_enclosing_session(self) -> None:
        """A test run inside an open session gets a child of it."""
        parents: list[Any] = []

        @mock_services(registry=self.registry)
        class Inner(Decorated):
            def test_it(self) -> None:
                parents.append(self.mock_session.parent)

        with mock_session(self.registry) as outer:
            self.assertOutcome(run_tests(Inner), run=1)
            self.assertIs(current_session(), outer)
        self.assertEqual(parents, [outer])

    def test_attribute_is_configurable(self) -> None:
        """attribute= names the attribute that holds the mocks."""

        @mock_services("RedisService", registry=self.registry, attribute="doubles")
        class Inner(Decorated):
            doubles: Any

            def test_it(self) -> None:
                self.assertIs(
                    self.doubles.RedisService, self.mock_session.get("RedisService")
                )
                self.assertFalse(hasattr(self, "mocks"))

        self.assertOutcome(run_tests(Inner), run=1)

    def test_subclasses_inherit_the_services(self) -> None:
        """An undecorated subclass gets sessions with the base's services."""
        services: list[tuple[str, list[str]]] = []

        @mock_services("RedisService", registry=self.registry)
        class Base(Decorated):
            def test_base(self) -> None:
                services.append((type(self).__name__, self.mock_session.services()))

        class Sub(Base):
            def test_sub(self) -> None:
                services.append(("sub", self.mock_session.services()))

        self.assertOutcome(run_tests(Base, Sub), run=3)
        self.assertEqual(
            sorted(services),
            [
                ("Base", ["RedisService"]),
                ("Sub", ["RedisService"]),
                ("sub", ["RedisService"]),
            ],
        )

    def test_decorated_subclass_replaces_the_inherited_services(self) -> None:
        """A subclass's own decoration replaces its base's, for the subclass only."""
        services: dict[str, list[str]] = {}

        @mock_services("RedisService", registry=self.registry)
        class Base(Decorated):
            def test_it(self) -> None:
                services[type(self).__name__] = self.mock_session.services()

        @mock_services("JwtService", registry=self.registry)
        class Sub(Base):
            pass

        self.assertOutcome(run_tests(Base, Sub), run=2)
        self.assertEqual(services, {"Base": ["RedisService"], "Sub": ["JwtService"]})

    def test_subclass_with_its_own_run_gets_one_session(self) -> None:
        """A decorated subclass overriding run() does not nest two sessions."""
        parents: list[Any] = []

        @mock_services(registry=self.registry)
        class Base(Decorated):
            def test_it(self) -> None:
                parents.append(self.mock_session.parent)

        @mock_services(registry=self.registry)
        class Sub(Base):
            def run(
                self, result: unittest.TestResult | None = None
            ) -> unittest.TestResult | None:
                return super().run(result)

        self.assertOutcome(run_tests(Sub), run=1)
        self.assertEqual(parents, [None])

    def test_decorated_methods_keep_their_introspection(self) -> None:
        """run, debug and setUpClass keep their names and signatures."""

        @mock_services(registry=self.registry)
        class Inner(Decorated):
            def test_it(self) -> None:
                pass

        for name in ("run", "debug", "setUpClass"):
            with self.subTest(name=name):
                wrapped = getattr(Inner, name)
                original = getattr(unittest.TestCase, name)
                self.assertEqual(wrapped.__name__, name)
                self.assertEqual(
                    inspect.signature(wrapped), inspect.signature(original)
                )
        self.assertEqual(
            inspect.getdoc(Inner.run), inspect.getdoc(unittest.TestCase.run)
        )


class DecoratorArgumentTests(IntegrationTestCase):
    def test_unknown_name_names_the_class_and_the_service(self) -> None:
        """An unregistered name fails at decoration, naming class and name."""
        with self.assertRaises(mockpool.UnknownServiceError) as caught:

            @mock_services("RedisServce", registry=self.registry)
            class Inner(unittest.TestCase):
                pass

        message = str(caught.exception)
        self.assertIn("Inner", message)
        self.assertIn("'RedisServce'", message)
        self.assertIn("'RedisService'", message)  # the suggestion

    def test_non_testcase_class_is_refused(self) -> None:
        """Decorating a class that is not a TestCase names it."""

        class Helper:
            pass

        with self.assertRaises(ArgumentTypeError) as caught:
            mock_services(registry=self.registry)(Helper)
        self.assertIsInstance(caught.exception, TypeError)
        self.assertIsInstance(caught.exception, mockpool.MockPoolError)
        self.assertIn("Helper", str(caught.exception))

    def test_non_class_is_refused(self) -> None:
        """Decorating a function with the class decorator is refused."""

        def test_function() -> None:
            pass

        with self.assertRaises(ArgumentTypeError) as caught:
            mock_services(registry=self.registry)(test_function)  # type: ignore[type-var]
        self.assertIn("test_function", str(caught.exception))

    def test_decorator_without_parentheses_says_so(self) -> None:
        """@mock_services without a call is caught with a hint."""
        with self.assertRaises(ArgumentTypeError) as caught:
            mock_services(Decorated)  # type: ignore[arg-type]
        self.assertIn("call the decorator", str(caught.exception))

    def test_names_must_be_strings(self) -> None:
        """Names of the wrong type are refused, a tuple with a hint."""
        for bad, hint in ((("a", "b"), "separate arguments"), (3, "'RedisService'")):
            with self.subTest(bad=bad), self.assertRaises(ArgumentTypeError) as caught:
                mock_services(bad)  # type: ignore[arg-type]
            self.assertIn(repr(bad), str(caught.exception))
            self.assertIn(hint, str(caught.exception))

    def test_bad_registry_is_refused(self) -> None:
        """registry= must be a Registry or None."""
        with self.assertRaises(ArgumentTypeError) as caught:
            mock_services("RedisService", registry="default")  # type: ignore[arg-type]
        self.assertIn("'default'", str(caught.exception))

    def test_bad_scope_is_refused(self) -> None:
        """scope= must be 'test' or 'class'."""
        with self.assertRaises(InvalidArgumentError) as caught:
            mock_services(registry=self.registry, scope="module")
        self.assertIsInstance(caught.exception, ValueError)
        self.assertIn("'module'", str(caught.exception))
        with self.assertRaises(ArgumentTypeError):
            mock_services(registry=self.registry, scope=None)  # type: ignore[arg-type]

    def test_bad_attribute_is_refused(self) -> None:
        """attribute= must be a usable identifier."""
        for bad in ("two words", "class", "__mocks__", "mock_session"):
            with (
                self.subTest(bad=bad),
                self.assertRaises(InvalidArgumentError) as caught,
            ):
                mock_services(registry=self.registry, attribute=bad)
            self.assertIn(repr(bad), str(caught.exception))
        with self.assertRaises(ArgumentTypeError):
            mock_services(registry=self.registry, attribute=3)  # type: ignore[arg-type]

    def test_attribute_the_class_defines_is_refused(self) -> None:
        """The decorator will not hide an attribute the class already has."""

        class Inner(unittest.TestCase):
            def mocks(self) -> None:
                pass

        with self.assertRaises(InvalidArgumentError) as caught:
            mock_services(registry=self.registry)(Inner)
        self.assertIn("'mocks'", str(caught.exception))
        self.assertIn("Inner", str(caught.exception))

    def test_decorating_twice_is_an_error(self) -> None:
        """The same class decorated twice is refused; names go in one call."""

        @mock_services("RedisService", registry=self.registry)
        class Inner(unittest.TestCase):
            pass

        with self.assertRaises(InvalidArgumentError) as caught:
            mock_services("JwtService", registry=self.registry)(Inner)
        self.assertIn("already decorated", str(caught.exception))

    def test_mixin_class_is_refused(self) -> None:
        """A class that uses MockSessionMixin cannot also be decorated."""

        class Inner(MockSessionMixin, unittest.TestCase):
            mock_registry = self.registry

        with self.assertRaises(ArgumentTypeError) as caught:
            mock_services(registry=self.registry)(Inner)
        self.assertIn("MockSessionMixin", str(caught.exception))


# -- scope="class" --------------------------------------------------------------


class ClassScopeTests(IntegrationTestCase):
    def test_one_session_serves_the_whole_class(self) -> None:
        """setUpClass, every test and tearDownClass share one session."""
        seen: list[tuple[str, Any, Any]] = []

        @mock_services("RedisService", registry=self.registry, scope="class")
        class Inner(Decorated):
            @classmethod
            def setUpClass(cls) -> None:
                seen.append(("setUpClass", cls.mock_session, current_session()))
                cls.mocks.RedisService.get.return_value = b"shared"

            @classmethod
            def tearDownClass(cls) -> None:
                seen.append(("tearDownClass", cls.mock_session, current_session()))

            def test_1(self) -> None:
                seen.append(("test_1", self.mock_session, current_session()))
                self.mocks.RedisService.get("k")

            def test_2(self) -> None:
                seen.append(("test_2", self.mock_session, current_session()))
                self.assertEqual(self.mocks.RedisService.get("k"), b"shared")
                self.assertEqual(self.mocks.RedisService.get.call_count, 2)

        self.assertOutcome(run_tests(Inner), run=2)
        session = seen[0][1]
        self.assertEqual(
            [part for part, *_ in seen],
            ["setUpClass", "test_1", "test_2", "tearDownClass"],
        )
        for part, class_session, current in seen:
            with self.subTest(part=part):
                self.assertIs(class_session, session)
                self.assertIs(current, session)
        self.assertTrue(session.closed)
        self.assertNotIn("mocks", vars(Inner))
        self.assertNotIn("mock_session", vars(Inner))
        self.assertEqual(self.leased("RedisService"), 0)

    def test_failing_setupclass_still_closes_the_session(self) -> None:
        """An error in setUpClass is reported, and the session closed all the same."""
        sessions: list[MockSession] = []

        @mock_services("RedisService", registry=self.registry, scope="class")
        class Inner(Decorated):
            @classmethod
            def setUpClass(cls) -> None:
                sessions.append(cls.mock_session)
                cls.mock_session.patch.object(Target, "value", "patched")
                raise RuntimeError("setUpClass broke")

            def test_it(self) -> None:
                self.fail("not reached")

        result = run_tests(Inner)
        self.assertOutcome(result, run=0, errors=1)
        self.assertIn("setUpClass broke", result.errors[0][1])
        self.assertTrue(sessions[0].closed)
        self.assertEqual(Target.value, "original")
        self.assertEqual(self.leased("RedisService"), 0)

    def test_each_class_gets_its_own_session(self) -> None:
        """A subclass of a class-scoped class gets a class session of its own."""
        sessions: dict[str, MockSession] = {}

        @mock_services(registry=self.registry, scope="class")
        class Base(Decorated):
            def test_it(self) -> None:
                sessions[type(self).__name__] = self.mock_session

        class Sub(Base):
            pass

        self.assertOutcome(run_tests(Base, Sub), run=2)
        self.assertIsNot(sessions["Base"], sessions["Sub"])
        self.assertTrue(all(session.closed for session in sessions.values()))

    def test_subclass_setupclass_calling_super_sees_its_session(self) -> None:
        """A subclass's own setUpClass gets its class session from super()."""
        seen: list[tuple[MockSession, MockSession]] = []

        @mock_services("RedisService", registry=self.registry, scope="class")
        class Base(Decorated):
            pass

        class Sub(Base):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                cls.mocks.RedisService.get.return_value = b"sub"

            def test_it(self) -> None:
                seen.append((self.mock_session, vars(Sub)["mock_session"]))
                self.assertEqual(self.mocks.RedisService.get("k"), b"sub")

        self.assertOutcome(run_tests(Sub), run=1)
        self.assertIs(seen[0][0], seen[0][1])
        self.assertNotIn("mock_session", vars(Base))

    def test_test_run_outside_a_suite_gets_a_session_of_its_own(self) -> None:
        """Without setUpClass (no suite), a class-scoped test is still isolated."""
        sessions: list[MockSession] = []

        @mock_services("RedisService", registry=self.registry, scope="class")
        class Inner(Decorated):
            def test_it(self) -> None:
                sessions.append(self.mock_session)
                self.assertIs(current_session(), self.mock_session)

        result = unittest.TestResult()
        Inner("test_it").run(result)
        self.assertOutcome(result, run=1)
        self.assertTrue(sessions[0].closed)

    def test_async_tests_see_the_class_session(self) -> None:
        """IsolatedAsyncioTestCase tests find the class session current."""
        seen: list[tuple[Any, Any]] = []

        @mock_services("RedisService", registry=self.registry, scope="class")
        class Inner(AsyncDecorated):
            async def test_it(self) -> None:
                seen.append((self.mock_session, current_session()))
                self.mocks.RedisService.fetch.return_value = b"async"
                self.assertEqual(await self.mocks.RedisService.fetch("k"), b"async")

        self.assertOutcome(run_tests(Inner), run=1)
        session, current = seen[0]
        self.assertIs(current, session)
        self.assertTrue(session.closed)


# -- the mixin --------------------------------------------------------------------


class MixinTests(IntegrationTestCase):
    def test_each_test_gets_a_session_of_its_own(self) -> None:
        """The mixin isolates tests as the decorator does."""
        registry = self.registry
        seen: list[tuple[str, MockSession, Any]] = []

        class Inner(MockSessionMixin, unittest.TestCase):
            mock_services = ("RedisService",)
            mock_registry = registry

            def setUp(self) -> None:
                seen.append(("setUp", self.mock_session, current_session()))

            def test_1_configure(self) -> None:
                seen.append(("test_1", self.mock_session, current_session()))
                self.mocks.RedisService.get.return_value = b"changed"

            def test_2_check(self) -> None:
                seen.append(("test_2", self.mock_session, current_session()))
                self.assertEqual(self.mocks.RedisService.get("k"), b"v")

            def tearDown(self) -> None:
                seen.append(("tearDown", self.mock_session, current_session()))

        self.assertOutcome(run_tests(Inner), run=2)
        first, second = seen[0][1], seen[3][1]
        self.assertIsNot(first, second)
        for part, session, current in seen:
            with self.subTest(part=part):
                self.assertIs(current, session)
                self.assertTrue(session.closed)
                self.assertEqual(session.services(), [])  # all given back
        self.assertEqual(self.leased("RedisService"), 0)

    def test_failing_setup_still_closes_the_session(self) -> None:
        """An error in setUp is reported and the session's patch undone."""
        registry = self.registry

        class Inner(MockSessionMixin, unittest.TestCase):
            mock_registry = registry

            def setUp(self) -> None:
                self.mock_session.patch.object(Target, "value", "patched")
                raise RuntimeError("setUp broke")

            def test_it(self) -> None:
                pass

        self.assertOutcome(run_tests(Inner), run=1, errors=1)
        self.assertEqual(Target.value, "original")

    def test_services_can_come_from_an_intermediate_mixin(self) -> None:
        """A non-TestCase subclass of the mixin carries services to TestCases."""
        registry = self.registry
        services: list[list[str]] = []

        class RedisMixin(MockSessionMixin):
            mock_services = ("RedisService",)
            mock_registry = registry

        class Inner(RedisMixin, unittest.TestCase):
            def test_it(self) -> None:
                services.append(self.mock_session.services())

        class Sub(Inner):
            mock_services = ("JwtService",)

        self.assertOutcome(run_tests(Inner, Sub), run=2)
        self.assertEqual(services, [["RedisService"], ["JwtService"]])

    def test_async_tests_get_a_session(self) -> None:
        """The mixin works with IsolatedAsyncioTestCase."""
        registry = self.registry
        seen: list[tuple[MockSession, Any]] = []

        class Inner(MockSessionMixin, unittest.IsolatedAsyncioTestCase):
            mock_services = ("RedisService",)
            mock_registry = registry

            async def test_it(self) -> None:
                seen.append((self.mock_session, current_session()))
                await self.mocks.RedisService.fetch("k")
                self.mocks.RedisService.fetch.assert_awaited_once_with("k")

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertIs(seen[0][1], seen[0][0])

    def test_mixin_after_testcase_is_refused(self) -> None:
        """The mixin must come before TestCase in the bases."""
        with self.assertRaises(ArgumentTypeError) as caught:

            class Inner(unittest.TestCase, MockSessionMixin):  # type: ignore[misc]
                pass

        self.assertIn("put the mixin first", str(caught.exception))

    def test_bad_class_attributes_are_refused(self) -> None:
        """mock_services and mock_registry are checked at class creation."""
        registry = self.registry
        with self.assertRaises(ArgumentTypeError) as caught:

            class AString(MockSessionMixin, unittest.TestCase):
                mock_services = "RedisService"  # type: ignore[assignment]
                mock_registry = registry

        self.assertIn("('RedisService',)", str(caught.exception))
        with self.assertRaises(ArgumentTypeError):

            class NotNames(MockSessionMixin, unittest.TestCase):
                mock_services = (RedisService,)  # type: ignore[assignment]
                mock_registry = registry

        with self.assertRaises(ArgumentTypeError):

            class NotARegistry(MockSessionMixin, unittest.TestCase):
                mock_registry = "registry"  # type: ignore[assignment]

    def test_unknown_name_names_the_class_and_the_service(self) -> None:
        """An unregistered name fails at class creation, naming both."""
        registry = self.registry
        with self.assertRaises(mockpool.UnknownServiceError) as caught:

            class Inner(MockSessionMixin, unittest.TestCase):
                mock_services = ("Nope",)
                mock_registry = registry

        self.assertIn("Inner.mock_services", str(caught.exception))
        self.assertIn("'Nope'", str(caught.exception))

    def test_decorated_base_is_refused(self) -> None:
        """The mixin cannot be added to a class decorated with mock_services."""

        @mock_services(registry=self.registry)
        class Base(unittest.TestCase):
            pass

        with self.assertRaises(ArgumentTypeError):

            class Inner(MockSessionMixin, Base):
                pass


# -- the method decorator ---------------------------------------------------------


class MethodDecoratorTests(IntegrationTestCase):
    def test_session_is_passed_open_and_closed_after(self) -> None:
        """The method gets an open, current session, closed when it returns."""
        seen: list[tuple[MockSession, Any, bool]] = []

        class Inner(unittest.TestCase):
            @with_mock_session("RedisService", registry=self.registry)
            def test_it(self, session: MockSession) -> None:
                seen.append((session, current_session(), session.closed))
                self.assertEqual(session.services(), ["RedisService"])

        self.assertOutcome(run_tests(Inner), run=1)
        session, current, closed = seen[0]
        self.assertIs(current, session)
        self.assertFalse(closed)
        self.assertTrue(session.closed)

    def test_session_follows_patch_mocks_applied_below(self) -> None:
        """Above @mock.patch, the session comes after the patch's mock."""
        seen: list[tuple[Any, Any]] = []

        class Inner(unittest.TestCase):
            @with_mock_session(registry=self.registry)
            @mock.patch.object(Target, "value")
            def test_it(self, value: Any, session: MockSession) -> None:
                seen.append((value, session))

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertIsInstance(seen[0][0], mock.MagicMock)
        self.assertIsInstance(seen[0][1], MockSession)
        self.assertEqual(Target.value, "original")

    def test_session_follows_patch_mocks_applied_above(self) -> None:
        """Below @mock.patch, the session still comes after the patch's mock."""
        seen: list[tuple[Any, Any]] = []

        class Inner(unittest.TestCase):
            @mock.patch.object(Target, "value")
            @with_mock_session(registry=self.registry)
            def test_it(self, value: Any, session: MockSession) -> None:
                seen.append((value, session))

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertIsInstance(seen[0][0], mock.MagicMock)
        self.assertIsInstance(seen[0][1], MockSession)
        self.assertEqual(Target.value, "original")

    def test_session_is_last_between_patches(self) -> None:
        """Between two @mock.patch, mocks come bottom-up and the session last."""
        seen: list[tuple[Any, ...]] = []

        class Inner(unittest.TestCase):
            @mock.patch("os.getcwd", name="upper")
            @with_mock_session(registry=self.registry)
            @mock.patch("os.getpid", name="lower")
            def test_it(self, lower: Any, upper: Any, session: MockSession) -> None:
                seen.append((lower, upper, session))

        self.assertOutcome(run_tests(Inner), run=1)
        lower, upper, session = seen[0]
        self.assertEqual((lower._mock_name, upper._mock_name), ("lower", "upper"))
        self.assertIsInstance(session, MockSession)

    def test_patches_are_applied_before_the_session_opens(self) -> None:
        """The session opens inside the patches and closes before they end."""
        seen: list[str] = []

        class Inner(unittest.TestCase):
            @with_mock_session(registry=self.registry)
            @mock.patch.object(Target, "value", "by mock.patch")
            def test_it(self, session: MockSession) -> None:
                seen.append(Target.value)
                session.patch.object(Target, "value", "by the session")
                seen.append(Target.value)

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertEqual(seen, ["by mock.patch", "by the session"])
        self.assertEqual(Target.value, "original")

    def test_patch_multiple_mocks_arrive_as_keywords(self) -> None:
        """mock.patch.multiple keeps passing keywords; the session stays last."""
        seen: list[tuple[Any, Any]] = []

        class Inner(unittest.TestCase):
            @mock.patch.multiple(Target, value=mock.DEFAULT)
            @with_mock_session(registry=self.registry)
            def test_it(self, session: MockSession, value: Any) -> None:
                seen.append((session, value))

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertIsInstance(seen[0][0], MockSession)
        self.assertIsInstance(seen[0][1], mock.MagicMock)

    def test_patch_as_class_decorator(self) -> None:
        """@mock.patch on the class reaches the method; the session stays last."""
        seen: list[tuple[Any, Any]] = []

        @mock.patch.object(Target, "value")
        class Inner(unittest.TestCase):
            @with_mock_session(registry=self.registry)
            def test_it(self, value: Any, session: MockSession) -> None:
                seen.append((value, session))

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertIsInstance(seen[0][0], mock.MagicMock)
        self.assertIsInstance(seen[0][1], MockSession)

    def test_failing_method_still_closes_the_session(self) -> None:
        """A failure inside the method closes the session and undoes its patches."""
        sessions: list[MockSession] = []

        class Inner(unittest.TestCase):
            @with_mock_session(registry=self.registry)
            def test_it(self, session: MockSession) -> None:
                sessions.append(session)
                session.patch.object(Target, "value", "patched")
                self.fail("method broke")

        self.assertOutcome(run_tests(Inner), run=1, failures=1)
        self.assertTrue(sessions[0].closed)
        self.assertEqual(Target.value, "original")

    def test_method_session_nests_in_the_test_session(self) -> None:
        """Inside a decorated class, the method's session is a child of the test's."""
        seen: list[tuple[Any, Any]] = []

        @mock_services(registry=self.registry)
        class Inner(Decorated):
            @with_mock_session(registry=self.registry)
            def test_it(self, session: MockSession) -> None:
                seen.append((session.parent, self.mock_session))

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertIs(seen[0][0], seen[0][1])

    def test_async_method_awaits_inside_its_session(self) -> None:
        """An async def method gets its session, current while it awaits."""
        seen: list[tuple[MockSession, Any, Any]] = []

        class Inner(unittest.IsolatedAsyncioTestCase):
            @mock.patch.object(Target, "value")
            @with_mock_session("RedisService", registry=self.registry)
            async def test_it(self, value: Any, session: MockSession) -> None:
                redis = session.mocks.RedisService
                redis.fetch.return_value = b"async"
                self.assertEqual(await redis.fetch("k"), b"async")
                await asyncio.sleep(0)
                seen.append((session, current_session(), value))

        self.assertOutcome(run_tests(Inner), run=1)
        session, current, value = seen[0]
        self.assertIs(current, session)
        self.assertTrue(session.closed)
        self.assertIsInstance(value, mock.MagicMock)

    def test_decorated_function_keeps_its_introspection(self) -> None:
        """Name, signature, docstring and async-ness survive the decorator."""

        def test_sync(self: Any, session: MockSession) -> None:
            """Docstring."""

        async def test_async(self: Any, session: MockSession) -> None:
            pass

        decorate = with_mock_session(registry=self.registry)
        sync, asynchronous = decorate(test_sync), decorate(test_async)
        self.assertEqual(sync.__name__, "test_sync")
        self.assertEqual(sync.__doc__, "Docstring.")
        self.assertEqual(inspect.signature(sync), inspect.signature(test_sync))
        self.assertFalse(inspect.iscoroutinefunction(sync))
        self.assertTrue(inspect.iscoroutinefunction(asynchronous))

    def test_plain_function_outside_unittest(self) -> None:
        """The decorator works on any function, not only test methods."""
        registry = self.registry

        @with_mock_session("JwtService", registry=registry)
        def sign(payload: dict[str, Any], session: MockSession) -> Any:
            session.mocks.JwtService.sign.return_value = "token"
            return session.mocks.JwtService.sign(payload)

        self.assertEqual(sign({"user": 1}), "token")

    def test_unknown_name_names_the_method_and_the_service(self) -> None:
        """An unregistered name fails at decoration, naming method and name."""
        with self.assertRaises(mockpool.UnknownServiceError) as caught:

            @with_mock_session("Nope", registry=self.registry)
            def test_it(self: Any, session: MockSession) -> None:
                pass

        self.assertIn("test_it", str(caught.exception))
        self.assertIn("'Nope'", str(caught.exception))

    def test_bad_targets_are_refused(self) -> None:
        """Classes and non-callables cannot be decorated."""
        decorate = with_mock_session(registry=self.registry)
        with self.assertRaises(ArgumentTypeError) as caught:
            decorate(Decorated)
        self.assertIn("mock_services", str(caught.exception))
        with self.assertRaises(ArgumentTypeError):
            decorate(42)  # type: ignore[arg-type]

    def test_bad_arguments_are_refused(self) -> None:
        """Bare use, non-str names and bad registries are refused."""

        def test_it(self: Any) -> None:
            pass

        with self.assertRaises(ArgumentTypeError) as caught:
            with_mock_session(test_it)  # type: ignore[arg-type]
        self.assertIn("call the decorator", str(caught.exception))
        with self.assertRaises(ArgumentTypeError):
            with_mock_session(registry=object())  # type: ignore[arg-type]

    def test_two_sessions_on_one_method_are_refused(self) -> None:
        """The decorator applied twice to one method is an error."""
        with self.assertRaises(InvalidArgumentError):

            @with_mock_session(registry=self.registry)
            @with_mock_session(registry=self.registry)
            def test_it(self: Any, first: Any, second: Any) -> None:
                pass

        with self.assertRaises(InvalidArgumentError):

            @with_mock_session(registry=self.registry)
            @mock.patch("os.getcwd")
            @with_mock_session(registry=self.registry)
            def test_other(self: Any, first: Any, second: Any, third: Any) -> None:
                pass


# -- session_for ------------------------------------------------------------------


class SessionForTests(IntegrationTestCase):
    def test_setup_failing_halfway_closes_the_session(self) -> None:
        """setUp raising after session_for() still closes it and undoes patches."""
        registry = self.registry
        sessions: list[MockSession] = []

        class Inner(unittest.TestCase):
            def setUp(self) -> None:
                session = session_for(self, "RedisService", registry=registry)
                sessions.append(session)
                session.patch.object(Target, "value", "patched")
                raise RuntimeError("setUp broke")

            def test_it(self) -> None:
                pass

        self.assertOutcome(run_tests(Inner), run=1, errors=1)
        self.assertTrue(sessions[0].closed)
        self.assertEqual(Target.value, "original")
        self.assertEqual(self.leased("RedisService"), 0)

    def test_session_closes_after_later_cleanups(self) -> None:
        """Cleanups added after session_for() still see the session open."""
        registry = self.registry
        seen: list[bool] = []

        class Inner(unittest.TestCase):
            def setUp(self) -> None:
                self.session = session_for(self, "RedisService", registry=registry)
                self.addCleanup(lambda: seen.append(self.session.closed))

            def test_it(self) -> None:
                self.assertIs(current_session(), self.session)
                self.assertEqual(self.session.services(), ["RedisService"])

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertEqual(seen, [False])

    def test_async_setup_session_is_current_in_the_test(self) -> None:
        """A session opened in asyncSetUp is current in the async test."""
        registry = self.registry
        seen: list[tuple[MockSession, Any]] = []

        class Inner(unittest.IsolatedAsyncioTestCase):
            async def asyncSetUp(self) -> None:
                self.session = session_for(self, "RedisService", registry=registry)

            async def test_it(self) -> None:
                seen.append((self.session, current_session()))
                await self.session.mocks.RedisService.fetch("k")

        self.assertOutcome(run_tests(Inner), run=1)
        session, current = seen[0]
        self.assertIs(current, session)
        self.assertTrue(session.closed)

    def test_sync_setup_session_in_an_async_test(self) -> None:
        """From sync setUp, the session is current in the async body on 3.11+ only."""
        registry = self.registry
        seen: list[tuple[MockSession, Any]] = []

        class Inner(unittest.IsolatedAsyncioTestCase):
            def setUp(self) -> None:
                self.session = session_for(self, registry=registry)

            async def test_it(self) -> None:
                seen.append((self.session, current_session()))

        self.assertOutcome(run_tests(Inner), run=1)
        session, current = seen[0]
        # Before 3.11 the async parts run in a task whose context was copied
        # before setUp ran.
        self.assertIs(current, session if _compat.PY_3_11_PLUS else None)
        self.assertTrue(session.closed)

    def test_unknown_name_fails_before_opening(self) -> None:
        """An unregistered name raises, and no session is left open."""
        registry = self.registry
        errors: list[BaseException] = []

        class Inner(unittest.TestCase):
            def test_it(self) -> None:
                try:
                    session_for(self, "Nope", registry=registry)
                except mockpool.UnknownServiceError as exc:
                    errors.append(exc)
                self.assertIsNone(current_session())

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertIn("'Nope'", str(errors[0]))
        self.assertIn("test_it", str(errors[0]))

    def test_bad_arguments_are_refused(self) -> None:
        """The test case, the names and the registry are checked."""
        with self.assertRaises(ArgumentTypeError) as caught:
            session_for("RedisService", registry=self.registry)  # type: ignore[arg-type]
        self.assertIn("'RedisService'", str(caught.exception))
        with self.assertRaises(ArgumentTypeError):
            session_for(self, 3, registry=self.registry)  # type: ignore[arg-type]
        with self.assertRaises(ArgumentTypeError):
            session_for(self, registry="registry")  # type: ignore[arg-type]
        self.assertIsNone(current_session())


# -- IsolatedAsyncioTestCase --------------------------------------------------------


class AsyncTests(IntegrationTestCase):
    def test_every_part_sees_the_tests_session(self) -> None:
        """Sync and async set-up, test, tear-down and cleanups share the session."""
        seen: list[tuple[str, MockSession, Any]] = []

        def record(part: str, test: AsyncDecorated) -> None:
            seen.append((part, test.mock_session, current_session()))

        @mock_services("RedisService", registry=self.registry)
        class Inner(AsyncDecorated):
            def setUp(self) -> None:
                record("setUp", self)

            async def asyncSetUp(self) -> None:
                record("asyncSetUp", self)
                self.addAsyncCleanup(self.cleanup)

            async def cleanup(self) -> None:
                record("async cleanup", self)

            async def test_it(self) -> None:
                record("test", self)
                redis = self.mocks.RedisService
                self.assertIsInstance(redis.fetch, mock.AsyncMock)
                redis.fetch.return_value = b"async"
                self.assertEqual(await redis.fetch("k"), b"async")
                redis.fetch.assert_awaited_once_with("k")

            async def asyncTearDown(self) -> None:
                record("asyncTearDown", self)

            def tearDown(self) -> None:
                record("tearDown", self)

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertEqual(
            [part for part, *_ in seen],
            [
                "setUp",
                "asyncSetUp",
                "test",
                "asyncTearDown",
                "tearDown",
                "async cleanup",
            ],
        )
        session = seen[0][1]
        for part, test_session, current in seen:
            with self.subTest(part=part):
                self.assertIs(test_session, session)
                self.assertIs(current, session)
        self.assertTrue(session.closed)

    def test_async_tests_are_isolated_from_each_other(self) -> None:
        """An AsyncMock awaited in one async test is pristine in the next."""

        @mock_services("RedisService", registry=self.registry)
        class Inner(AsyncDecorated):
            async def test_1(self) -> None:
                await self.mocks.RedisService.fetch("k")

            async def test_2(self) -> None:
                self.mocks.RedisService.fetch.assert_not_awaited()

        self.assertOutcome(run_tests(Inner), run=2)

    def test_tasks_started_by_the_test_inherit_its_session(self) -> None:
        """A task created in the test sees the test's session."""
        seen: list[tuple[MockSession, Any]] = []

        @mock_services(registry=self.registry)
        class Inner(AsyncDecorated):
            async def test_it(self) -> None:
                task = asyncio.ensure_future(asyncio.sleep(0, current_session()))
                seen.append((self.mock_session, await task))

        self.assertOutcome(run_tests(Inner), run=1)
        self.assertIs(seen[0][1], seen[0][0])

    def test_failing_async_setup_still_closes_the_session(self) -> None:
        """An error in asyncSetUp is reported; the session's patch is undone."""
        sessions: list[MockSession] = []

        @mock_services(registry=self.registry)
        class Inner(AsyncDecorated):
            async def asyncSetUp(self) -> None:
                sessions.append(self.mock_session)
                self.mock_session.patch.object(Target, "value", "patched")
                raise RuntimeError("asyncSetUp broke")

            async def test_it(self) -> None:
                pass

        self.assertOutcome(run_tests(Inner), run=1, errors=1)
        self.assertTrue(sessions[0].closed)
        self.assertEqual(Target.value, "original")


if __name__ == "__main__":
    unittest.main()
