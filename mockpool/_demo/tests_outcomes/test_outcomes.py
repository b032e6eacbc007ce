"""Tests that pass, fail, error, skip and (un)expectedly fail, on purpose.

Each test autospecs a service like the main suite does, so that a runner
that accelerates autospecs is exercised on every outcome.
"""

from __future__ import annotations

import sys
import unittest
from unittest import mock

from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.database import Database
from mockpool._demo.services.device_sessions import DeviceSession, DeviceSessionService
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.jwt import JwtService
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.redis import RedisService
from mockpool._demo.tests.support import response


class PassingTests(unittest.TestCase):
    """Four tests that pass."""

    def setUp(self) -> None:
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.cache = CacheService(self.redis)

    def test_cache_hit(self) -> None:
        """A cached value is returned."""
        self.redis.get.return_value = b"[1]"
        self.assertEqual(self.cache.get("k"), [1])

    def test_cache_miss_computes(self) -> None:
        """A miss calls the factory."""
        self.redis.get.return_value = None
        self.assertEqual(self.cache.get_or_set("k", lambda: 2), 2)
        self.redis.set.assert_called_once_with("app:v1:k", b"2", ex=300)

    @mock.patch.object(HttpClient, "_send", autospec=True)
    def test_retry_after(self, send: mock.MagicMock) -> None:
        """Retry-After is honoured."""
        sleep = mock.Mock()
        send.side_effect = [response(429, headers={"Retry-After": "2"}), response(200)]
        client = HttpClient("https://x.test", sleep=sleep)
        client.get("/")
        sleep.assert_called_once_with(2.0)

    def test_session_revoked(self) -> None:
        """Revoking a known session is True."""
        jwt = mock.create_autospec(JwtService, instance=True)
        database = mock.create_autospec(Database, instance=True)
        session = DeviceSession("s1", "u1", "d1", "Phone", 1.0, 1.0, "j")
        self.redis.hgetall.return_value = {
            k: v.encode() for k, v in session.to_hash().items()
        }
        service = DeviceSessionService(self.redis, jwt, database)
        self.assertTrue(service.revoke("s1"))


class FailingTests(unittest.TestCase):
    """Two tests that fail: their expectations are wrong."""

    def setUp(self) -> None:
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.cache = CacheService(self.redis, namespace="demo")

    def test_wrong_call_arguments(self) -> None:
        """Expects a TTL the cache does not use (fails)."""
        self.cache.set("k", 1)
        self.redis.set.assert_called_once_with("demo:v1:k", b"1", ex=60)

    def test_wrong_key(self) -> None:
        """Expects a key without the version (fails)."""
        self.assertEqual(self.cache.make_key("k"), "demo:k")


class ErroringTests(unittest.TestCase):
    """One test that errors: it forgot to mock the wire."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)

    def test_forgot_to_mock_the_wire(self) -> None:
        """Raises RuntimeError from the unmocked ``_send`` (errors)."""
        client = HttpClient("https://x.test", logger=self.logger)
        client.get("/")


class SkippedTests(unittest.TestCase):
    """A test skipped by a condition."""

    def setUp(self) -> None:
        self.redis = mock.create_autospec(RedisService, instance=True)

    @unittest.skipUnless(sys.version_info >= (4, 0), "needs Python 4")
    def test_needs_a_newer_python(self) -> None:
        """Skipped by skipUnless."""
        self.redis.ping.return_value = True
        self.assertTrue(self.redis.ping())


class LiveRedisTests(unittest.TestCase):
    """A test skipped from setUp, after building its mocks."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.skipTest("no live redis in the demo")

    def test_ping(self) -> None:
        """Skipped in setUp."""
        self.assertTrue(RedisService(logger=self.logger).ping())


@unittest.skip("cluster mode is not supported")
class ClusterTests(unittest.TestCase):
    """A class skipped as a whole."""

    def setUp(self) -> None:
        self.redis = mock.create_autospec(RedisService, instance=True)

    def test_slots(self) -> None:
        """Skipped with its class."""
        self.assertEqual(self.redis.execute("CLUSTER", "SLOTS"), [])


class KnownBugTests(unittest.TestCase):
    """Expected failures: one still failing, one fixed without anyone noticing."""

    def setUp(self) -> None:
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.cache = CacheService(self.redis)

    @unittest.expectedFailure
    def test_known_bug_still_there(self) -> None:
        """Caching None would be nice; it is not cached (expected failure)."""
        self.redis.get.return_value = None
        self.cache.get_or_set("k", lambda: None)
        self.redis.set.assert_called_once()

    @unittest.expectedFailure
    def test_known_bug_fixed_meanwhile(self) -> None:
        """Falsy values used to be misses; they are hits now (unexpected success)."""
        self.redis.get.return_value = b"0"
        self.assertEqual(self.cache.get("k", "default"), 0)
