"""Tests with plain mocks: ``MagicMock()``, child mocks, ``Mock(spec=cls)``.

Suites that use little autospec still spend much of their time building
plain mocks and their children (``m.a.b.return_value = ...``), patching an
attribute with a new ``MagicMock`` (``mock.patch.object(x, "attr")``) and
autospeccing single *methods* (``patch.object(Cls, "method",
autospec=True)``). Half of these cases run under the testtools-style base.
"""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.errors import RedisError
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.redis import RedisService
from mockpool._demo.tests import base
from mockpool._demo.tests.support import cases, data_driven

VALUES: dict[str, Any] = {
    "int": 7,
    "text": "hello",
    "list": [1, 2, 3],
    "dict": {"a": 1, "b": [2]},
    "zero": 0,
    "false": False,
    "empty_list": [],
    "nested": {"x": {"y": {"z": 1}}},
}


@data_driven
class CacheOverMagicMockTests(unittest.TestCase):
    """CacheService over a bare ``MagicMock()`` redis with child mocks."""

    def setUp(self) -> None:
        self.redis = mock.MagicMock()
        self.cache = CacheService(self.redis, namespace="plain")

    @cases(**VALUES)
    def test_round_trip(self, value: Any) -> None:
        """What set() stores, get() returns."""
        self.cache.set("k", value)
        stored = self.redis.set.call_args.args[1]
        self.redis.get.return_value = stored
        self.assertEqual(self.cache.get("k"), value)
        self.redis.get.assert_called_once_with("plain:v1:k")

    @cases(errors=[RedisError("down")], many=[RedisError("a"), RedisError("b")])
    def test_errors_are_misses(self, errors: list[Exception]) -> None:
        """A redis error on get is a miss with the default, every time."""
        self.redis.get.side_effect = errors
        for _ in errors:
            self.assertEqual(self.cache.get("k", "dflt"), "dflt")
        self.assertEqual(self.cache.stats()["errors"], len(errors))


@data_driven
class CacheOverSpecMockTests(base.TestCase):
    """CacheService over ``mock.Mock(spec=RedisService)`` (testtools-style)."""

    def setUp(self) -> None:
        super().setUp()
        self.redis = mock.Mock(spec=RedisService)
        self.cache = CacheService(self.redis, namespace="spec", default_ttl=60)

    @cases(**VALUES)
    def test_set_uses_the_default_ttl(self, value: Any) -> None:
        """set() without a ttl stores with the cache's default expiry."""
        self.redis.set.return_value = True
        self.assertTrue(self.cache.set("key", value))
        self.assertEqual(self.redis.set.call_args.kwargs, {"ex": 60})

    def test_spec_refuses_unknown_attributes(self) -> None:
        """A spec'd mock raises AttributeError for what the class lacks."""
        with self.assertRaises(AttributeError):
            self.redis.no_such_command  # noqa: B018

    @cases(hit=(b"1", 1, 0), miss=(None, 0, 1))
    def test_stats_count_hits_and_misses(self, case: tuple[Any, int, int]) -> None:
        """A stored value is a hit, None is a miss."""
        raw, hits, misses = case
        self.redis.get.return_value = raw
        self.cache.get("k")
        stats = self.cache.stats()
        self.assertEqual((stats["hits"], stats["misses"]), (hits, misses))


@data_driven
class LoggerShippingTests(base.TestCase):
    """Logger shipping to a ``MagicMock`` shipper; ``_emit`` patched plainly."""

    def setUp(self) -> None:
        super().setUp()
        self.emit = self.useFixture(base.MockPatchObject(Logger, "_emit")).mock
        self.shipper = mock.MagicMock()
        self.clock = mock.Mock(side_effect=[float(i) for i in range(1000)])

    @cases(**{f"batch_{n}": n for n in (1, 2, 3, 5, 10)})
    def test_ships_full_batches(self, size: int) -> None:
        """Every *size* records are posted together, then the buffer is empty."""
        logger = Logger("svc", shipper=self.shipper, batch_size=size, clock=self.clock)
        for i in range(size * 2):
            logger.info("event %d", i)
        self.assertEqual(self.shipper.post.call_count, 2)
        path = self.shipper.post.call_args.args[0]
        records = self.shipper.post.call_args.kwargs["json"]["records"]
        self.assertEqual(path, Logger.SHIP_PATH)
        self.assertEqual(len(records), size)
        self.assertEqual(logger.pending, 0)
        self.assertEqual(self.emit.call_count, size * 2)

    @cases(password="password", token="token", api_key="api_key", secret="secret")
    def test_sensitive_fields_are_redacted(self, key: str) -> None:
        """Sensitive fields reach the log stream as ***."""
        logger = Logger("svc", clock=self.clock)
        logger.warning("login", **{key: "hunter2", "user": "ann"})
        record = self.emit.call_args.args[0]
        self.assertEqual(record.fields, {key: Logger.REDACTED, "user": "ann"})

    @cases(debug="DEBUG", info="INFO")
    def test_records_below_the_level_are_dropped(self, level: str) -> None:
        """Records below the logger's level are neither emitted nor shipped."""
        logger = Logger("svc", level="WARNING", shipper=self.shipper, clock=self.clock)
        self.assertIsNone(logger.log(level, "quiet"))
        self.emit.assert_not_called()
        self.shipper.post.assert_not_called()


@data_driven
class RedisMethodAutospecTests(unittest.TestCase):
    """A real RedisService whose ``execute`` method is autospecced."""

    @cases(
        plain=("", "k", "k"),
        prefixed=("app:", "k", "app:k"),
        nested=("a:b:", "c", "a:b:c"),
    )
    @mock.patch.object(RedisService, "execute", autospec=True)
    def test_get_sends_the_prefixed_key(
        self, case: tuple[str, str, str], execute: mock.Mock
    ) -> None:
        """GET goes out with the service's key prefix; self is recorded."""
        prefix, name, key = case
        redis = RedisService(prefix=prefix)
        execute.return_value = b"v"
        self.assertEqual(redis.get(name), b"v")
        execute.assert_called_once_with(redis, "GET", key)

    @cases(pong=(b"PONG", True), text=("PONG", True), other=(b"NO", False))
    @mock.patch.object(RedisService, "execute", autospec=True)
    def test_ping(self, case: tuple[Any, bool], execute: mock.Mock) -> None:
        """ping() is True only for a PONG reply."""
        reply, expected = case
        execute.return_value = reply
        self.assertIs(RedisService().ping(), expected)

    @mock.patch.object(RedisService, "execute", autospec=True)
    def test_ping_error_is_false(self, execute: mock.Mock) -> None:
        """A redis error makes ping() False, not an exception."""
        execute.side_effect = RedisError("down")
        self.assertFalse(RedisService().ping())


class ChildMockChainTests(base.TestCase):
    """Deep child mocks configured through attribute chains."""

    def test_chained_return_values(self) -> None:
        """m.a.b.return_value configures the call at the end of the chain."""
        container = mock.MagicMock()
        container.cache.with_namespace.return_value.get.return_value = 42
        namespaced = container.cache.with_namespace("users")
        self.assertEqual(namespaced.get("ann"), 42)
        container.cache.with_namespace.assert_called_once_with("users")
        self.assertEqual(
            container.mock_calls,
            [
                mock.call.cache.with_namespace("users"),
                mock.call.cache.with_namespace().get("ann"),
            ],
        )

    def test_side_effect_list_is_consumed_in_order(self) -> None:
        """Each call takes the next side effect; an exception in it is raised."""
        fetch = mock.Mock(side_effect=[1, RedisError("x"), 3])
        self.assertEqual(fetch(), 1)
        with self.assertRaises(RedisError):
            fetch()
        self.assertEqual(fetch(), 3)
        with self.assertRaises(StopIteration):
            fetch()
