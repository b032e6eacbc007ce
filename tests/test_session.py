"""Tests for mockpool._sessions.session: sessions, wiring, nesting and lifetime."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import unittest
from typing import Any
from unittest import mock

import mockpool
from mockpool._pools.pool import PoolManager
from mockpool._sessions.session import MockSession, current_session, mock_session


class RedisService:
    def get(self, key: str) -> bytes:
        return b""

    def set(self, key: str, value: bytes) -> None:
        pass


class JwtService:
    def sign(self, payload: dict[str, Any]) -> str:
        return ""


class Database:
    def query(self, sql: str) -> list[Any]:
        return []


class DeviceSessionService:
    def start(self, device: str) -> str:
        return device


class AuthController:
    def login(self, user: str, password: str) -> str:
        return user


def seed_registry() -> mockpool.Registry:
    """The seed's relationships, as a registry."""
    registry = mockpool.Registry()
    registry.register("RedisService", RedisService, defaults={"get.return_value": b"v"})
    registry.register("JwtService", JwtService)
    registry.register("Database", Database)
    registry.register(
        "DeviceSessionService",
        DeviceSessionService,
        depends_on={"redis": "RedisService", "jwt": "JwtService", "db": "Database"},
    )
    registry.register(
        "AuthController",
        AuthController,
        depends_on={"jwt": "JwtService", "devices": "DeviceSessionService"},
    )
    return registry


class SessionTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.registry = seed_registry()
        self.pools = PoolManager()

    def session(self, **options: Any) -> MockSession:
        return mock_session(self.registry, pools=self.pools, **options)


class GetTests(SessionTestCase):
    def test_get_returns_one_mock_per_service(self) -> None:
        """The same object on every call within a session, enforcing the spec."""
        with self.session() as s:
            redis = s.get("RedisService")
            self.assertIs(s.get("RedisService"), redis)
            self.assertIs(s.mocks.RedisService, redis)
            self.assertIs(s.mocks["RedisService"], redis)
            self.assertEqual(redis.get("k"), b"v")
            with self.assertRaises(TypeError):
                redis.get()
            self.assertIsInstance(redis, RedisService)

    def test_dependencies_are_wired_to_the_sessions_mocks(self) -> None:
        """Related services share the session's instances."""
        with self.session() as s:
            devices = s.get("DeviceSessionService")
            self.assertIs(devices.redis, s.get("RedisService"))
            self.assertIs(devices.jwt, s.get("JwtService"))
            self.assertIs(devices.db, s.get("Database"))
            auth = s.get("AuthController")
            self.assertIs(auth.devices, devices)
            self.assertIs(auth.jwt, devices.jwt)

    def test_wired_calls_are_recorded_on_the_dependency(self) -> None:
        """Wiring does not adopt: calls show on the dependency's own mock."""
        with self.session() as s:
            devices = s.get("DeviceSessionService")
            devices.redis.set("k", b"v")
            s.get("RedisService").set.assert_called_once_with("k", b"v")
            self.assertEqual(devices.mock_calls, [])

    def test_isolated_dependencies_get_their_own_instance(self) -> None:
        """sharing='isolated' gives each dependent a private instance."""
        self.registry.register(
            "JwtService", JwtService, policy={"sharing": "isolated"}, replace=True
        )
        with self.session() as s:
            devices = s.get("DeviceSessionService")
            self.assertIsNot(devices.jwt, s.get("JwtService"))
            self.assertIsNot(devices.jwt, s.get("AuthController").jwt)

    def test_cyclic_dependencies_resolve(self) -> None:
        """Services that depend on each other are wired to each other."""
        registry = mockpool.Registry()
        registry.register("A", RedisService, depends_on={"b": "B"})
        registry.register("B", JwtService, depends_on={"a": "A"})
        with mock_session(registry, pools=self.pools) as s:
            self.assertIs(s.get("A").b.a, s.get("A"))

    def test_unknown_service_names_the_fix(self) -> None:
        """An unknown name raises UnknownServiceError; mocks.<name> AttributeError."""
        with self.session() as s:
            with self.assertRaises(mockpool.UnknownServiceError) as caught:
                s.get("RedisServise")
            self.assertIn("RedisService", str(caught.exception))
            with self.assertRaises(AttributeError):
                s.mocks.Nope
            self.assertFalse(hasattr(s.mocks, "Nope"))
            with self.assertRaises(TypeError):
                s.get(3)  # type: ignore[arg-type]

    def test_unknown_dependency_fails_at_open(self) -> None:
        """A dependency on an unregistered service is reported when opening."""
        self.registry.register("Broken", RedisService, depends_on={"x": "Missing"})
        with self.assertRaises(mockpool.UnknownServiceError) as caught:
            self.session().open()
        self.assertIn("Missing", str(caught.exception))
        self.assertIsNone(current_session())

    def test_bad_arguments_are_refused(self) -> None:
        """A registry, pools or name of the wrong type raises TypeError."""
        bad: list[dict[str, Any]] = [{"registry": {}}, {"pools": object()}, {"name": 3}]
        for kwargs in bad:
            with self.subTest(kwargs), self.assertRaises(TypeError):
                MockSession(**kwargs)


class LifetimeTests(SessionTestCase):
    def test_sessions_do_not_share_state(self) -> None:
        """A mock configured in one session is pristine in the next."""
        with self.session() as first:
            redis = first.get("RedisService")
            redis.get.return_value = b"changed"
            redis.set("k", b"v")
            redis.extra = 1
            first_id = id(redis)
            del redis
        with self.session() as second:
            redis = second.get("RedisService")
            self.assertEqual(id(redis), first_id)  # recycled ...
            self.assertEqual(redis.get("k"), b"v")  # ... and pristine
            self.assertEqual(redis.mock_calls, [mock.call.get("k")])
            self.assertFalse(hasattr(redis, "extra"))

    def test_closed_session_refuses_use(self) -> None:
        """get, clear and reset on a closed session raise SessionStateError."""
        s = self.session()
        with s:
            pass
        self.assertTrue(s.closed)
        for action in (lambda: s.get("RedisService"), s.clear, s.reset):
            with self.assertRaises(mockpool.SessionStateError):
                action()
        s.close()  # idempotent

    def test_opening_twice_is_refused(self) -> None:
        """A session opens once."""
        with self.session() as s, self.assertRaises(mockpool.SessionStateError):
            s.open()

    def test_sessions_nest(self) -> None:
        """The innermost open session is current; the outer one comes back."""
        self.assertIsNone(current_session())
        with self.session(name="outer") as outer:
            self.assertIs(current_session(), outer)
            with self.session(name="inner") as inner:
                self.assertIs(current_session(), inner)
                self.assertIs(inner.parent, outer)
                self.assertIsNot(inner.get("RedisService"), outer.get("RedisService"))
            self.assertIs(current_session(), outer)
        self.assertIsNone(current_session())

    def test_each_thread_has_its_own_current_session(self) -> None:
        """A thread starts with no session and its sessions stay its own."""
        seen: dict[str, Any] = {}

        def worker() -> None:
            seen["before"] = current_session()
            with self.session() as s:
                seen["inside"] = current_session() is s

        with self.session():
            thread = threading.Thread(target=worker)
            thread.start()
            thread.join()
        self.assertEqual(seen, {"before": None, "inside": True})

    def test_each_task_has_its_own_current_session(self) -> None:
        """asyncio tasks see their own sessions."""

        async def task(name: str) -> bool:
            with self.session(name=name) as s:
                await asyncio.sleep(0)
                return current_session() is s

        async def main() -> list[bool]:
            return list(await asyncio.gather(task("a"), task("b")))

        self.assertEqual(asyncio.run(main()), [True, True])

    def test_close_from_another_thread(self) -> None:
        """Closing from another thread works; the opener then sees no session."""

        def body() -> None:
            s = self.session().open()
            thread = threading.Thread(target=s.close)
            thread.start()
            thread.join()
            self.assertTrue(s.closed)
            self.assertIsNone(current_session())

        # In a context of its own: the opening context keeps pointing at the
        # closed session, which must not leak into other tests.
        contextvars.copy_context().run(body)

    def test_clear_forgets_calls_but_keeps_configuration(self) -> None:
        """clear() resets calls only."""
        with self.session() as s:
            redis = s.get("RedisService")
            redis.get.return_value = b"mine"
            redis.get("k")
            s.clear()
            self.assertEqual(redis.mock_calls, [])
            self.assertEqual(redis.get("k"), b"mine")

    def test_reset_restores_registered_defaults(self) -> None:
        """reset() drops calls, configuration and attributes, keeps wiring."""
        with self.session() as s:
            devices = s.get("DeviceSessionService")
            redis = s.get("RedisService")
            redis.get.return_value = b"mine"
            redis.extra = 1
            devices.start("x")
            s.reset()
            self.assertEqual(redis.get("k"), b"v")
            self.assertFalse(hasattr(redis, "extra"))
            self.assertEqual(devices.mock_calls, [])
            self.assertIs(devices.redis, redis)


class PatchTests(SessionTestCase):
    def test_patches_are_undone_at_close(self) -> None:
        """A patch made through the session is undone when it closes."""
        import json

        original = json.dumps
        with self.session() as s:
            patched = s.patch("json.dumps", return_value="{}")
            self.assertIs(json.dumps, patched)
            self.assertEqual(json.dumps({"a": 1}), "{}")
        self.assertIs(json.dumps, original)

    def test_patch_with_a_service_installs_the_sessions_mock(self) -> None:
        """service= installs the session's mock of that service."""
        with self.session() as s:
            s.patch.object(
                DeviceSessionService,
                "redis_factory",
                create=True,
                service="RedisService",
            )
            self.assertIs(DeviceSessionService.redis_factory, s.get("RedisService"))  # type: ignore[attr-defined]
        self.assertFalse(hasattr(DeviceSessionService, "redis_factory"))

    def test_patches_are_undone_when_the_body_raises(self) -> None:
        """An exception in the with-block still undoes the session's patches."""
        import json

        original = json.loads
        with self.assertRaises(RuntimeError), self.session() as s:
            s.patch("json.loads")
            raise RuntimeError("test failed")
        self.assertIs(json.loads, original)


if __name__ == "__main__":
    unittest.main()
