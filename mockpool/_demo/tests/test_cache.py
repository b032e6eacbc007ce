"""Tests for the cache: keys, TTL policy, fail-open reads and writes."""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.errors import CacheError, RedisConnectionError
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.redis import Pipeline, RedisService
from mockpool._demo.tests.support import cases, data_driven


class CacheTestCase(unittest.TestCase):
    """A cache over an autospecced redis client and logger."""

    def setUp(self) -> None:
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.logger = mock.create_autospec(Logger, instance=True)
        self.cache = CacheService(self.redis, namespace="app", logger=self.logger)


@data_driven
class KeyTests(CacheTestCase):
    """Redis keys of cache entries."""

    @cases(
        simple=(("user",), "app:v1:user"),
        parts=(("user", 7, "profile"), "app:v1:user:7:profile"),
        none_part=(("q", None), "app:v1:q:None"),
        unicode=(("caf\u00e9",), "app:v1:caf\u00e9"),
    )
    def test_make_key(self, case: tuple[tuple[Any, ...], str]) -> None:
        """Keys are namespace, version, key and parts, colon-joined."""
        args, expected = case
        self.assertEqual(self.cache.make_key(*args), expected)

    def test_long_keys_are_hashed(self) -> None:
        """Keys beyond the limit are replaced by a SHA-1."""
        key = self.cache.make_key("x" * 300)
        self.assertTrue(key.startswith("app:v1:h:"))
        self.assertEqual(len(key), len("app:v1:h:") + 40)
        self.assertEqual(key, self.cache.make_key("x" * 300))

    def test_empty_key(self) -> None:
        """An empty key is a bug."""
        with self.assertRaises(CacheError):
            self.cache.make_key("")

    @cases(
        sub=("users", "app:users:v1:k"),
        short=("u", "app:u:v1:k"),
    )
    def test_with_namespace(self, case: tuple[str, str]) -> None:
        """Sub-namespaces share redis and extend the namespace."""
        sub, expected = case
        child = self.cache.with_namespace(sub)
        self.assertEqual(child.make_key("k"), expected)
        self.redis.get.return_value = None
        child.get("k")
        self.redis.get.assert_called_once_with(expected)

    @cases(empty="", colon="a:b")
    def test_bad_sub_namespace(self, sub: str) -> None:
        """Sub-namespaces are one segment."""
        with self.assertRaises(ValueError):
            self.cache.with_namespace(sub)

    @cases(empty="", leading=":app", trailing="app:", double="a::b")
    def test_bad_namespace(self, namespace: str) -> None:
        """Namespaces have no empty segments."""
        with self.assertRaises(ValueError):
            CacheService(self.redis, namespace=namespace)

    def test_nested_namespace_is_fine(self) -> None:
        """'a:b' is two segments and valid."""
        self.assertEqual(CacheService(self.redis, namespace="a:b").namespace, "a:b")

    def test_version_zero_is_refused(self) -> None:
        """Versions start at 1."""
        with self.assertRaises(ValueError):
            CacheService(self.redis, version=0)

    def test_bump_version_moves_every_key(self) -> None:
        """bump_version reads the shared counter and changes the key prefix."""
        self.redis.incr.return_value = 4
        self.assertEqual(self.cache.bump_version(), 5)
        self.redis.incr.assert_called_once_with("app:__version__")
        self.assertEqual(self.cache.make_key("k"), "app:v5:k")


@data_driven
class TtlTests(CacheTestCase):
    """The TTL policy."""

    @cases(
        none=(None, CacheService.DEFAULT_TTL),
        seconds=(42, 42),
        zero=(0, 0),
        capped=(10**9, CacheService.MAX_TTL),
        short=("short", 60),
        default=("default", 300),
        long=("long", 3600),
        day=("day", 86_400),
        week=("week", 604_800),
        never=("none", 0),
    )
    def test_ttl_for(self, case: tuple[Any, int]) -> None:
        """Policies, seconds and None all resolve to seconds."""
        ttl, expected = case
        self.assertEqual(self.cache.ttl_for(ttl), expected)

    @cases(negative=-1, unknown="forever", boolean=True)
    def test_bad_ttls(self, ttl: Any) -> None:
        """Negative, unknown and boolean TTLs are refused."""
        with self.assertRaises(CacheError):
            self.cache.ttl_for(ttl)

    def test_default_ttl_can_be_a_policy(self) -> None:
        """default_ttl goes through the same policy."""
        cache = CacheService(self.redis, default_ttl=7)
        self.assertEqual(cache.default_ttl, 7)
        self.assertEqual(cache.ttl_for(None), 7)

    @cases(
        default=(None, {"ex": 300}),
        short=("short", {"ex": 60}),
        seconds=(5, {"ex": 5}),
    )
    def test_set_passes_the_ttl(self, case: tuple[Any, dict[str, int]]) -> None:
        """set() stores JSON with EX from the policy."""
        ttl, expected = case
        self.redis.set.return_value = True
        self.assertTrue(self.cache.set("k", {"a": 1}, ttl=ttl))
        self.redis.set.assert_called_once_with("app:v1:k", b'{"a":1}', **expected)

    def test_set_without_expiry(self) -> None:
        """TTL 0 stores without EX."""
        self.cache.set("k", 1, ttl=0)
        self.redis.set.assert_called_once_with("app:v1:k", b"1")


@data_driven
class ValueTests(CacheTestCase):
    """Serialisation of cached values."""

    @cases(
        integer=(1, b"1"),
        text=("x", b'"x"'),
        null=(None, b"null"),
        listed=([1, "a"], b'[1,"a"]'),
        sorted_keys=({"b": 1, "a": 2}, b'{"a":2,"b":1}'),
        nested=({"a": {"b": [True]}}, b'{"a":{"b":[true]}}'),
        floating=(0.5, b"0.5"),
    )
    def test_round_trip(self, case: tuple[Any, bytes]) -> None:
        """Values are stored as compact JSON and read back equal."""
        value, raw = case
        self.assertEqual(CacheService.serialize(value), raw)
        self.redis.get.return_value = raw
        self.assertEqual(self.cache.get("k"), value)

    @cases(a_set={1, 2}, an_object=object(), raw_bytes=b"x", tuple_key={(1, 2): 3})
    def test_unserialisable_values(self, value: Any) -> None:
        """What JSON cannot hold is a CacheError before redis is called."""
        with self.assertRaises(CacheError):
            self.cache.set("k", value)
        self.redis.set.assert_not_called()

    def test_corrupt_entries_are_deleted_and_missed(self) -> None:
        """A value that is not JSON is deleted, logged, and the default returned."""
        self.redis.get.return_value = b"{not json"
        self.assertEqual(self.cache.get("k", "dflt"), "dflt")
        self.redis.delete.assert_called_once_with("app:v1:k")
        self.logger.warning.assert_called_once_with(
            "cache %s failed", "decode", key="app:v1:k", error="CacheError"
        )


class ReadWriteTests(CacheTestCase):
    """Hits, misses and failing redis."""

    def test_miss_returns_default(self) -> None:
        """A missing key is the default and a miss."""
        self.redis.get.return_value = None
        self.assertEqual(self.cache.get("k", 5), 5)
        self.assertEqual(self.cache.stats()["misses"], 1)

    def test_hit_ratio(self) -> None:
        """hit_ratio is hits over lookups."""
        self.redis.get.side_effect = [b"1", None, b"2", b"3"]
        for _ in range(4):
            self.cache.get("k")
        self.assertEqual(self.cache.hit_ratio, 0.75)
        self.assertEqual(self.cache.stats()["hit_ratio"], 0.75)

    def test_hit_ratio_without_lookups(self) -> None:
        """No lookups is ratio 0, not a ZeroDivisionError."""
        self.assertEqual(self.cache.hit_ratio, 0.0)

    def test_reset_stats(self) -> None:
        """reset_stats zeroes every counter."""
        self.redis.get.return_value = None
        self.cache.get("k")
        self.cache.reset_stats()
        self.assertEqual(
            self.cache.stats(), {"hits": 0, "misses": 0, "errors": 0, "hit_ratio": 0.0}
        )

    def test_redis_down_on_read_is_a_miss(self) -> None:
        """Reads fail open: a warning and the default."""
        self.redis.get.side_effect = RedisConnectionError("down")
        self.assertIsNone(self.cache.get("k"))
        self.assertEqual(self.cache.stats()["errors"], 1)
        self.logger.warning.assert_called_once()

    def test_redis_down_on_write_is_false(self) -> None:
        """Writes fail open: False and a warning."""
        self.redis.set.side_effect = RedisConnectionError("down")
        self.assertFalse(self.cache.set("k", 1))
        self.logger.warning.assert_called_once_with(
            "cache %s failed", "set", key="app:v1:k", error="RedisConnectionError"
        )

    def test_without_logger(self) -> None:
        """The logger is optional."""
        cache = CacheService(self.redis)
        self.redis.get.side_effect = RedisConnectionError("down")
        self.assertIsNone(cache.get("k"))

    def test_add_uses_nx(self) -> None:
        """add() only stores absent keys."""
        self.redis.set.return_value = False
        self.assertFalse(self.cache.add("k", 1, ttl="short"))
        self.redis.set.assert_called_once_with("app:v1:k", b"1", ex=60, nx=True)

    def test_add_without_ttl_passes_none(self) -> None:
        """add with TTL 0 sends no EX."""
        self.cache.add("k", 1, ttl=0)
        self.redis.set.assert_called_once_with("app:v1:k", b"1", ex=None, nx=True)

    def test_add_fails_open(self) -> None:
        """add() is False when redis is down."""
        self.redis.set.side_effect = RedisConnectionError("x")
        self.assertFalse(self.cache.add("k", 1))

    def test_delete(self) -> None:
        """delete is True when a key went."""
        self.redis.delete.return_value = 1
        self.assertTrue(self.cache.delete("k"))
        self.redis.delete.return_value = 0
        self.assertFalse(self.cache.invalidate("k"))

    def test_delete_fails_open(self) -> None:
        """delete is False when redis is down."""
        self.redis.delete.side_effect = RedisConnectionError("x")
        self.assertFalse(self.cache.delete("k"))


class GetOrSetTests(CacheTestCase):
    """The read-through helper and the decorator built on it."""

    def test_hit_does_not_call_the_factory(self) -> None:
        """A cached value is returned as is."""
        self.redis.get.return_value = b"[1,2]"
        factory = mock.Mock()
        self.assertEqual(self.cache.get_or_set("k", factory), [1, 2])
        factory.assert_not_called()
        self.redis.set.assert_not_called()

    def test_miss_computes_and_stores(self) -> None:
        """A miss calls the factory once and stores the result."""
        self.redis.get.return_value = None
        factory = mock.Mock(return_value={"x": 1})
        self.assertEqual(self.cache.get_or_set("k", factory, ttl="long"), {"x": 1})
        factory.assert_called_once_with()
        self.redis.set.assert_called_once_with("app:v1:k", b'{"x":1}', ex=3600)

    def test_cached_falsy_values_are_hits(self) -> None:
        """A cached 0 or [] is a hit, not a miss."""
        for raw, value in ((b"0", 0), (b"[]", []), (b"false", False)):
            with self.subTest(raw=raw):
                self.redis.get.return_value = raw
                self.assertEqual(self.cache.get_or_set("k", mock.Mock()), value)

    def test_none_is_not_cached(self) -> None:
        """A factory returning None is asked again next time."""
        self.redis.get.return_value = None
        self.assertIsNone(self.cache.get_or_set("k", lambda: None))
        self.redis.set.assert_not_called()

    def test_factory_errors_propagate(self) -> None:
        """Errors of the factory are the caller's."""
        self.redis.get.return_value = None
        with self.assertRaises(KeyError):
            self.cache.get_or_set("k", mock.Mock(side_effect=KeyError("x")))

    def test_redis_down_still_computes(self) -> None:
        """With redis down the factory runs every time."""
        self.redis.get.side_effect = RedisConnectionError("down")
        self.redis.set.side_effect = RedisConnectionError("down")
        self.assertEqual(self.cache.get_or_set("k", lambda: 3), 3)

    def test_cached_decorator_keys_by_arguments(self) -> None:
        """@cached() builds the key from the function and its arguments."""
        self.redis.get.return_value = None

        @self.cache.cached(ttl=30)
        def area(w: int, h: int = 1) -> int:
            return w * h

        self.assertEqual(area(3, h=4), 12)
        key = self.redis.set.call_args.args[0]
        self.assertTrue(key.startswith("app:v1:"))
        self.assertIn("area:3:h=4", key)
        self.assertEqual(self.redis.set.call_args.kwargs, {"ex": 30})

    def test_cached_decorator_with_key_function(self) -> None:
        """A key function replaces the derived key."""
        self.redis.get.return_value = b"9"

        @self.cache.cached(key=lambda user_id: f"score:{user_id}")
        def score(user_id: int) -> int:
            raise AssertionError("not called on a hit")

        self.assertEqual(score(7), 9)
        self.redis.get.assert_called_once_with("app:v1:score:7")


class BulkTests(CacheTestCase):
    """get_many, set_many, invalidation, counters and locks."""

    def test_get_many(self) -> None:
        """Found keys are returned; misses are left out."""
        self.redis.mget.return_value = [b"1", None, b'"c"']
        self.assertEqual(self.cache.get_many(["a", "b", "c"]), {"a": 1, "c": "c"})
        self.redis.mget.assert_called_once_with(["app:v1:a", "app:v1:b", "app:v1:c"])
        self.assertEqual(self.cache.stats()["misses"], 1)

    def test_get_many_of_nothing(self) -> None:
        """No keys, no round trip."""
        self.assertEqual(self.cache.get_many([]), {})
        self.redis.mget.assert_not_called()

    def test_get_many_fails_open(self) -> None:
        """redis down: every key is a miss."""
        self.redis.mget.side_effect = RedisConnectionError("x")
        self.assertEqual(self.cache.get_many(["a", "b"]), {})
        self.assertEqual(self.cache.stats()["misses"], 2)

    def test_set_many_uses_one_pipeline(self) -> None:
        """set_many queues every value and executes once."""
        pipe = mock.create_autospec(Pipeline, instance=True)
        self.redis.pipeline.return_value = pipe
        self.assertTrue(self.cache.set_many({"a": 1, "b": [2]}, ttl=10))
        pipe.set.assert_has_calls(
            [mock.call("app:v1:a", b"1", ex=10), mock.call("app:v1:b", b"[2]", ex=10)]
        )
        pipe.execute.assert_called_once_with()

    def test_set_many_of_nothing(self) -> None:
        """Nothing to store is success without a pipeline."""
        self.assertTrue(self.cache.set_many({}))
        self.redis.pipeline.assert_not_called()

    def test_set_many_fails_open(self) -> None:
        """A failed pipeline is False."""
        pipe = mock.create_autospec(Pipeline, instance=True)
        pipe.execute.side_effect = RedisConnectionError("x")
        self.redis.pipeline.return_value = pipe
        self.assertFalse(self.cache.set_many({"a": 1}))

    def test_invalidate_prefix(self) -> None:
        """Matching keys are scanned and deleted in one DEL."""
        self.redis.scan_iter.return_value = iter(["app:v1:user:1", "app:v1:user:2"])
        self.redis.delete.return_value = 2
        self.assertEqual(self.cache.invalidate_prefix("user:"), 2)
        self.redis.scan_iter.assert_called_once_with("app:v1:user:*")
        self.redis.delete.assert_called_once_with("app:v1:user:1", "app:v1:user:2")

    def test_invalidate_everything(self) -> None:
        """No prefix means the whole namespace version."""
        self.redis.scan_iter.return_value = iter([])
        self.assertEqual(self.cache.invalidate_prefix(), 0)
        self.redis.scan_iter.assert_called_once_with("app:v1:*")
        self.redis.delete.assert_not_called()

    def test_touch(self) -> None:
        """touch renews the TTL; TTL 0 persists the key."""
        self.redis.expire.return_value = True
        self.assertTrue(self.cache.touch("k", ttl="short"))
        self.redis.expire.assert_called_once_with("app:v1:k", 60)
        self.cache.touch("k", ttl=0)
        self.redis.persist.assert_called_once_with("app:v1:k")

    def test_first_increment_starts_the_ttl(self) -> None:
        """The counter's TTL starts with its first increment only."""
        self.redis.incr.side_effect = [1, 2]
        self.assertEqual(self.cache.incr("hits", ttl=60), 1)
        self.assertEqual(self.cache.incr("hits", ttl=60), 2)
        self.redis.expire.assert_called_once_with("app:v1:hits", 60)

    def test_lock_and_unlock(self) -> None:
        """lock is SET NX EX; unlock checks the owner."""
        self.redis.set.return_value = True
        self.assertTrue(self.cache.lock("job", ttl=5, owner="w1"))
        self.redis.set.assert_called_once_with("app:v1:lock:job", "w1", ex=5, nx=True)
        self.redis.get.return_value = b"w1"
        self.redis.delete.return_value = 1
        self.assertTrue(self.cache.unlock("job", owner="w1"))

    def test_unlock_by_another_owner(self) -> None:
        """Another owner's lock is left alone."""
        self.redis.get.return_value = b"w2"
        self.assertFalse(self.cache.unlock("job", owner="w1"))
        self.redis.delete.assert_not_called()


class AsyncGetOrSetTests(unittest.IsolatedAsyncioTestCase):
    """The asynchronous read-through."""

    def setUp(self) -> None:
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.cache = CacheService(self.redis, namespace="a")

    async def test_hit(self) -> None:
        """A cached value is returned without awaiting the factory."""
        self.redis.aget.return_value = b'{"v":1}'
        factory = mock.AsyncMock()
        self.assertEqual(await self.cache.aget_or_set("k", factory), {"v": 1})
        factory.assert_not_awaited()
        self.redis.aget.assert_awaited_once_with("a:v1:k")

    async def test_miss(self) -> None:
        """A miss awaits the factory and stores its result."""
        self.redis.aget.return_value = None
        factory = mock.AsyncMock(return_value=[1])
        self.assertEqual(await self.cache.aget_or_set("k", factory, ttl=9), [1])
        self.redis.aset.assert_awaited_once_with("a:v1:k", b"[1]", ex=9)

    async def test_redis_errors_fail_open(self) -> None:
        """A failing aget is a miss; a failing aset is ignored."""
        self.redis.aget.side_effect = RedisConnectionError("x")
        self.redis.aset.side_effect = RedisConnectionError("x")
        factory = mock.AsyncMock(return_value="v")
        self.assertEqual(await self.cache.aget_or_set("k", factory), "v")
        self.assertEqual(self.cache.stats()["errors"], 2)


if __name__ == "__main__":
    unittest.main()
