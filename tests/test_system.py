"""Tests for mockpool._sessions.system: the controller's operations."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import unittest
from typing import Any
from unittest import mock

import mockpool
from mockpool._pools import pool as _pool
from mockpool._pools.pool import PoolManager
from mockpool._sessions import system as _system
from mockpool._sessions.session import MockSession, current_session, mock_session
from mockpool._sessions.system import (
    ArgumentTypeError,
    InvalidArgumentError,
    MockSystem,
    NoActiveSessionError,
    SystemReport,
)


class RedisService:
    def get(self, key: str) -> bytes:
        return b""


class JwtService:
    def sign(self, payload: dict[str, Any]) -> str:
        return ""


class DeviceService:
    def start(self, device: str) -> str:
        return device


def make_registry() -> mockpool.Registry:
    """A registry of our own: tests never touch the default one."""
    registry = mockpool.Registry()
    registry.register("RedisService", RedisService)
    registry.register("JwtService", JwtService)
    registry.register(
        "DeviceService", DeviceService, depends_on={"redis": "RedisService"}
    )
    return registry


class SystemTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.registry = make_registry()
        self.pools = PoolManager(min_size=2, max_size=4)
        self.system = MockSystem(self.registry, self.pools)
        # Every test must leave the context as it found it.
        self.addCleanup(self.assertIsNone, current_session())

    def idle(self, service: str) -> int:
        """How many idle mocks the pool of *service* holds."""
        return self.pools.pool_for(self.registry, service).stats().idle


class ConstructionTests(SystemTestCase):
    def test_defaults_are_the_default_registry_and_pools(self) -> None:
        """Without arguments, a system uses the default registry and pools."""
        system = MockSystem()
        self.assertIs(system.registry, mockpool.default_registry)
        self.assertIs(system.pools, _pool.default_pools)
        self.assertIs(_system.default_system.registry, mockpool.default_registry)

    def test_given_registry_and_pools_are_used(self) -> None:
        """A system keeps the registry and pools it was given."""
        self.assertIs(self.system.registry, self.registry)
        self.assertIs(self.system.pools, self.pools)
        self.assertIn("MockSystem", repr(self.system))

    def test_bad_arguments_are_refused(self) -> None:
        """A registry or pools of the wrong type raise ArgumentTypeError."""
        with self.assertRaises(ArgumentTypeError) as caught:
            MockSystem("registry")  # type: ignore[arg-type]
        self.assertIsInstance(caught.exception, TypeError)
        self.assertIsInstance(caught.exception, mockpool.MockPoolError)
        self.assertIn("'registry'", str(caught.exception))
        with self.assertRaises(ArgumentTypeError) as caught:
            MockSystem(self.registry, pools={})  # type: ignore[arg-type]
        self.assertIn("{}", str(caught.exception))


class InitializeSystemTests(SystemTestCase):
    def test_prepares_a_pool_per_service_without_warming(self) -> None:
        """By default every service gets a pool and nothing is built."""
        report = self.system.initialize_system()
        self.assertEqual(
            report.services, ("RedisService", "JwtService", "DeviceService")
        )
        self.assertEqual(report.pools_prepared, 3)
        self.assertEqual(dict(report.warmed), {})
        self.assertEqual(report.mocks_warmed, 0)
        self.assertGreaterEqual(report.seconds, 0.0)
        self.assertEqual(len(self.pools.pools()), 3)
        self.assertEqual(self.idle("RedisService"), 0)

    def test_warm_true_warms_every_pool(self) -> None:
        """warm=True builds min_size idle mocks for each service."""
        report = self.system.initialize_system(warm=True)
        self.assertEqual(
            dict(report.warmed),
            {"RedisService": 2, "JwtService": 2, "DeviceService": 2},
        )
        self.assertEqual(report.mocks_warmed, 6)
        self.assertEqual(self.idle("DeviceService"), 2)

    def test_warm_names_warms_only_those(self) -> None:
        """warm=[names] warms just the named services, each once."""
        report = self.system.initialize_system(warm=["JwtService", "JwtService"])
        self.assertEqual(dict(report.warmed), {"JwtService": 2})
        self.assertEqual(self.idle("JwtService"), 2)
        self.assertEqual(self.idle("RedisService"), 0)

    def test_warming_again_builds_nothing(self) -> None:
        """A second warm-up finds the pools full."""
        self.system.initialize_system(warm=True)
        report = self.system.initialize_system(warm=True)
        self.assertEqual(report.mocks_warmed, 0)

    def test_warmed_mocks_are_handed_out(self) -> None:
        """Sessions take warmed mocks instead of building."""
        self.system.initialize_system(warm=["RedisService"])
        session = self.system.create_test_session()
        self.addCleanup(self.system.cleanup_test_session, session)
        session.get("RedisService")
        stats = self.pools.pool_for(self.registry, "RedisService").stats()
        self.assertEqual((stats.hits, stats.builds), (1, 2))

    def test_report_is_frozen_and_readable(self) -> None:
        """SystemReport cannot be changed and prints a one-line summary."""
        report = self.system.initialize_system(warm=["RedisService"])
        with self.assertRaises(dataclasses.FrozenInstanceError):
            report.seconds = 0.0  # type: ignore[misc]
        text = str(report)
        self.assertRegex(
            text,
            r"^mockpool initialized 3 services in \d+\.\d{3} s: 3 pools prepared, "
            r"2 mocks warmed \(RedisService: 2\)$",
        )
        single = SystemReport(("A",), 1, {}, 0.5)
        self.assertEqual(
            str(single),
            "mockpool initialized 1 service in 0.500 s: 1 pool prepared, "
            "0 mocks warmed",
        )

    def test_missing_dependency_is_reported(self) -> None:
        """A depends_on target that is not registered fails here, once."""
        self.registry.register("Broken", JwtService, depends_on={"x": "Missing"})
        with self.assertRaises(mockpool.UnknownServiceError) as caught:
            self.system.initialize_system()
        self.assertIn("'Missing'", str(caught.exception))

    def test_bad_warm_values_are_refused(self) -> None:
        """warm must be a bool or an iterable of registered names."""
        for bad, hint in (
            ("RedisService", "warm=['RedisService']"),
            (3, "warm=True"),
            (None, "warm=True"),
        ):
            with self.subTest(bad=bad):
                with self.assertRaises(ArgumentTypeError) as caught:
                    self.system.initialize_system(warm=bad)  # type: ignore[arg-type]
                self.assertIn(repr(bad), str(caught.exception))
                self.assertIn(hint, str(caught.exception))
        with self.assertRaises(ArgumentTypeError) as caught:
            self.system.initialize_system(warm=[RedisService])  # type: ignore[list-item]
        self.assertIn("RedisService", str(caught.exception))
        with self.assertRaises(mockpool.UnknownServiceError) as unknown:
            self.system.initialize_system(warm=["RedisServce"])
        self.assertIn("'RedisServce'", str(unknown.exception))
        self.assertEqual(len(self.pools.pools()), 0)  # nothing done


class SessionTests(SystemTestCase):
    def test_create_opens_a_current_session(self) -> None:
        """create_test_session() returns an open session, current here."""
        session = self.system.create_test_session("my-test")
        self.addCleanup(self.system.cleanup_test_session, session)
        self.assertIsInstance(session, MockSession)
        self.assertEqual(session.name, "my-test")
        self.assertIs(session.registry, self.registry)
        self.assertIs(session.pools, self.pools)
        self.assertIs(current_session(), session)
        self.assertFalse(session.closed)

    def test_cleanup_closes_and_is_idempotent(self) -> None:
        """cleanup_test_session() closes the session; again does nothing."""
        session = self.system.create_test_session()
        redis = session.get("RedisService")
        self.system.cleanup_test_session(session)
        self.assertTrue(session.closed)
        self.assertIsNone(current_session())
        self.system.cleanup_test_session(session)
        self.assertTrue(session.closed)
        del redis

    def test_cleanup_undoes_the_sessions_patches(self) -> None:
        """Closing through the system undoes what the session patched."""
        session = self.system.create_test_session()
        session.patch.object(JwtService, "sign", "patched")
        self.system.cleanup_test_session(session)
        self.assertNotEqual(JwtService.sign, "patched")

    def test_cleanup_refuses_a_non_session(self) -> None:
        """cleanup_test_session() of something else raises ArgumentTypeError."""
        with self.assertRaises(ArgumentTypeError) as caught:
            self.system.cleanup_test_session("session")  # type: ignore[arg-type]
        self.assertIsInstance(caught.exception, TypeError)
        self.assertIn("'session'", str(caught.exception))

    def test_create_refuses_a_bad_name(self) -> None:
        """The session's name must be a str."""
        with self.assertRaises(ArgumentTypeError) as caught:
            self.system.create_test_session(3)  # type: ignore[arg-type]
        self.assertIn("3", str(caught.exception))
        self.assertIsNone(current_session())


class GetServiceMockTests(SystemTestCase):
    def test_from_the_current_session(self) -> None:
        """Without session=, the current session's mock is returned."""
        with mock_session(self.registry, pools=self.pools) as session:
            redis = self.system.get_service_mock("RedisService")
            self.assertIs(redis, session.get("RedisService"))

    def test_from_the_innermost_session(self) -> None:
        """Nested sessions: the innermost one answers."""
        outer = mock_session(self.registry, pools=self.pools)
        inner = mock_session(self.registry, pools=self.pools)
        with outer, inner:
            redis = self.system.get_service_mock("RedisService")
            self.assertIs(redis, inner.get("RedisService"))
            self.assertIsNot(redis, outer.get("RedisService"))

    def test_from_a_given_session(self) -> None:
        """session= picks the session, whatever is current."""
        other = mock_session(self.registry, pools=self.pools)
        with other, mock_session(self.registry, pools=self.pools):
            redis = self.system.get_service_mock("RedisService", session=other)
            self.assertIs(redis, other.get("RedisService"))

    def test_without_a_session_names_the_fix(self) -> None:
        """No open session raises NoActiveSessionError saying how to open one."""
        with self.assertRaises(NoActiveSessionError) as caught:
            self.system.get_service_mock("RedisService")
        error = caught.exception
        self.assertIsInstance(error, RuntimeError)
        self.assertIsInstance(error, mockpool.MockPoolError)
        self.assertIsInstance(error, mockpool.SessionStateError)
        self.assertIn("'RedisService'", str(error))
        self.assertIn("mock_session()", str(error))

    def test_closed_session_is_refused(self) -> None:
        """A closed session raises SessionStateError."""
        with mock_session(self.registry, pools=self.pools) as session:
            pass
        with self.assertRaises(mockpool.SessionStateError):
            self.system.get_service_mock("RedisService", session=session)

    def test_bad_arguments_are_refused(self) -> None:
        """Names must be str and registered; sessions must be sessions."""
        with mock_session(self.registry, pools=self.pools):
            with self.assertRaises(ArgumentTypeError) as caught:
                self.system.get_service_mock(RedisService)  # type: ignore[arg-type]
            self.assertIn("RedisService", str(caught.exception))
            with self.assertRaises(mockpool.UnknownServiceError):
                self.system.get_service_mock("Nope")
            with self.assertRaises(ArgumentTypeError) as caught:
                self.system.get_service_mock("RedisService", session="s")  # type: ignore[arg-type]
            self.assertIn("'s'", str(caught.exception))


class ParallelTests(SystemTestCase):
    def test_sessions_are_independent_and_not_open(self) -> None:
        """n sessions, distinct, named, none open or current."""
        sessions = self.system.setup_parallel_test_environments(3)
        self.assertEqual(
            [session.name for session in sessions],
            ["parallel-0", "parallel-1", "parallel-2"],
        )
        self.assertEqual(len({id(session) for session in sessions}), 3)
        self.assertIsNone(current_session())
        for session in sessions:
            self.assertIs(session.registry, self.registry)
            self.assertFalse(session.closed)
            with session:
                self.assertIs(current_session(), session)
            self.assertTrue(session.closed)

    def test_eight_threads_see_only_their_own_mocks(self) -> None:
        """A call recorded in one worker's session is absent from the others."""
        sessions = self.system.setup_parallel_test_environments(8)
        barrier = threading.Barrier(8, timeout=10)
        mocks: dict[int, Any] = {}
        seen: dict[int, list[Any]] = {}
        errors: list[BaseException] = []

        def worker(index: int) -> None:
            try:
                with sessions[index] as session:
                    redis = _system.get_service_mock("RedisService")
                    self.assertIs(redis, session.get("RedisService"))
                    self.assertIs(redis.get, session.get("DeviceService").redis.get)
                    mocks[index] = redis
                    redis.get(f"key-{index}")
                    barrier.wait()  # every worker has called its own mock
                    seen[index] = list(redis.get.call_args_list)
                    barrier.wait()  # nobody closes before everyone looked
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)
                barrier.abort()

        with mock.patch.object(_system, "default_system", self.system):
            threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
        self.assertEqual(errors, [])
        self.assertEqual(len({id(redis) for redis in mocks.values()}), 8)
        for index in range(8):
            with self.subTest(worker=index):
                self.assertEqual(seen[index], [mock.call(f"key-{index}")])
                self.assertTrue(sessions[index].closed)
        self.assertIsNone(current_session())

    def test_asyncio_tasks_see_only_their_own_mocks(self) -> None:
        """Sessions entered in concurrent tasks keep their calls apart."""
        sessions = self.system.setup_parallel_test_environments(4)

        async def worker(index: int) -> list[Any]:
            with sessions[index] as session:
                redis = self.system.get_service_mock("RedisService")
                self.assertIs(redis, session.get("RedisService"))
                redis.get(f"key-{index}")
                await asyncio.sleep(0)  # let the other tasks call theirs
                return list(redis.get.call_args_list)

        async def main() -> list[list[Any]]:
            return list(await asyncio.gather(*(worker(i) for i in range(4))))

        calls = asyncio.run(main())
        self.assertEqual(calls, [[mock.call(f"key-{i}")] for i in range(4)])

    def test_bad_counts_are_refused(self) -> None:
        """n must be a positive int: not 0, -1, 2.0, '2', True or None."""
        for bad in (0, -1):
            with self.subTest(bad=bad):
                with self.assertRaises(InvalidArgumentError) as caught:
                    self.system.setup_parallel_test_environments(bad)
                self.assertIsInstance(caught.exception, ValueError)
                self.assertIn(repr(bad), str(caught.exception))
        for wrong in (2.0, "2", True, None):
            with self.subTest(bad=wrong):
                with self.assertRaises(ArgumentTypeError) as wrong_type:
                    self.system.setup_parallel_test_environments(wrong)  # type: ignore[arg-type]
                self.assertIsInstance(wrong_type.exception, TypeError)
                self.assertIn(repr(wrong), str(wrong_type.exception))


class ModuleFunctionTests(SystemTestCase):
    def setUp(self) -> None:
        super().setUp()
        patcher = mock.patch.object(_system, "default_system", self.system)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_functions_act_on_the_default_system(self) -> None:
        """The module functions delegate to default_system."""
        report = _system.initialize_system(warm=["JwtService"])
        self.assertEqual(dict(report.warmed), {"JwtService": 2})
        session = _system.create_test_session("fn")
        try:
            self.assertIs(session.registry, self.registry)
            self.assertIs(
                _system.get_service_mock("JwtService"), session.get("JwtService")
            )
        finally:
            _system.cleanup_test_session(session)
        self.assertTrue(session.closed)
        sessions = _system.setup_parallel_test_environments(2)
        self.assertEqual(len(sessions), 2)

    def test_functions_check_their_arguments(self) -> None:
        """The module functions raise what the methods raise."""
        with self.assertRaises(ArgumentTypeError):
            _system.initialize_system(warm="JwtService")
        with self.assertRaises(ArgumentTypeError):
            _system.cleanup_test_session(None)  # type: ignore[arg-type]
        with self.assertRaises(NoActiveSessionError):
            _system.get_service_mock("JwtService")
        with self.assertRaises(InvalidArgumentError):
            _system.setup_parallel_test_environments(0)


if __name__ == "__main__":
    unittest.main()
