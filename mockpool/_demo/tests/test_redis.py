"""Tests for the redis client: URLs, encoding, commands and pipelines."""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.errors import RedisConnectionError, RedisError
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.redis import Pipeline, RedisService
from mockpool._demo.tests.support import cases, data_driven


@data_driven
class UrlTests(unittest.TestCase):
    """Parsing redis URLs."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)

    @cases(
        default=("redis://localhost:6379/0", ("localhost", 6379, 0, None)),
        no_port=("redis://cache.internal/3", ("cache.internal", 6379, 3, None)),
        no_db=("redis://h:7000", ("h", 7000, 0, None)),
        password=("redis://:s3cret@h:1/2", ("h", 1, 2, "s3cret")),
        quoted_password=("redis://u:p%40ss@h/1", ("h", 6379, 1, "p@ss")),
        tls=("rediss://secure:6380/15", ("secure", 6380, 15, None)),
        bare=("redis://", ("localhost", 6379, 0, None)),
    )
    def test_parse_url(
        self, case: tuple[str, tuple[str, int, int, str | None]]
    ) -> None:
        """Host, port, database and password come out of the URL."""
        url, expected = case
        self.assertEqual(RedisService.parse_url(url), expected)

    @cases(
        http="http://localhost:6379",
        db_text="redis://h/cache",
        db_high="redis://h/16",
        db_negative="redis://h/-1",
    )
    def test_bad_urls(self, url: str) -> None:
        """Wrong schemes and database numbers are refused."""
        with self.assertRaises(ValueError):
            RedisService(url, logger=self.logger)

    def test_properties(self) -> None:
        """The parsed parts are exposed as properties."""
        redis = RedisService("redis://h:7/4", prefix="p:", logger=self.logger)
        self.assertEqual(
            (redis.url, redis.host, redis.port, redis.db, redis.prefix),
            ("redis://h:7/4", "h", 7, 4, "p:"),
        )

    def test_from_url_passes_options(self) -> None:
        """from_url is the constructor with a URL first."""
        redis = RedisService.from_url("redis://h/1", prefix="x:", logger=self.logger)
        self.assertEqual((redis.db, redis.prefix), (1, "x:"))


@data_driven
class EncodingTests(unittest.TestCase):
    """RESP encoding of arguments and commands."""

    def setUp(self) -> None:
        self.redis = RedisService(logger=mock.create_autospec(Logger, instance=True))

    @cases(
        raw=(b"\xff", b"\xff"),
        text=("h\u00e9", "h\u00e9".encode()),
        integer=(42, b"42"),
        negative=(-7, b"-7"),
        floating=(1.5, b"1.5"),
    )
    def test_encode_arg(self, case: tuple[Any, bytes]) -> None:
        """Arguments are sent as bytes."""
        value, expected = case
        self.assertEqual(RedisService.encode_arg(value), expected)

    @cases(boolean=True, none=None, listed=[1], mapping={"a": 1})
    def test_encode_arg_refuses(self, value: Any) -> None:
        """Types redis has no form for are TypeErrors."""
        with self.assertRaises(TypeError):
            RedisService.encode_arg(value)

    def test_encode_command(self) -> None:
        """A command is a RESP array of bulk strings."""
        self.assertEqual(
            RedisService.encode_command("SET", "k", 10),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n10\r\n",
        )

    def test_encode_empty_command(self) -> None:
        """There is no empty command."""
        with self.assertRaises(ValueError):
            RedisService.encode_command()

    @cases(
        value=(b"abc", None, "abc"), missing=(None, "d", "d"), none=(None, None, None)
    )
    def test_decode(self, case: tuple[bytes | None, str | None, str | None]) -> None:
        """decode turns replies into text, or the default."""
        raw, default, expected = case
        self.assertEqual(RedisService.decode(raw, default), expected)

    def test_key_prefix(self) -> None:
        """key() adds the prefix and refuses empty names."""
        redis = RedisService(
            prefix="app:", logger=mock.create_autospec(Logger, instance=True)
        )
        self.assertEqual(redis.key("user:1"), "app:user:1")
        with self.assertRaises(ValueError):
            redis.key("")


@data_driven
@mock.patch.object(RedisService, "_execute", autospec=True)
class CommandTests(unittest.TestCase):
    """Each command's arguments and reply handling."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.redis = RedisService(prefix="t:", logger=self.logger)

    @cases(
        get=(("get", "k"), ("GET", "t:k"), b"v", b"v"),
        get_missing=(("get", "k"), ("GET", "t:k"), None, None),
        get_str=(("get_str", "k"), ("GET", "t:k"), b"v", "v"),
        delete=(("delete", "a", "b"), ("DEL", "t:a", "t:b"), 2, 2),
        exists=(("exists", "a"), ("EXISTS", "t:a"), 1, 1),
        expire=(("expire", "k", 30), ("EXPIRE", "t:k", 30), 1, True),
        expire_missing=(("expire", "k", 30), ("EXPIRE", "t:k", 30), 0, False),
        persist=(("persist", "k"), ("PERSIST", "t:k"), 1, True),
        ttl=(("ttl", "k"), ("TTL", "t:k"), 42, 42),
        ttl_no_expiry=(("ttl", "k"), ("TTL", "t:k"), -1, None),
        ttl_missing=(("ttl", "k"), ("TTL", "t:k"), -2, None),
        incr=(("incr", "n"), ("INCR", "t:n"), 1, 1),
        incrby=(("incr", "n", 5), ("INCRBY", "t:n", 5), 6, 6),
        decr=(("decr", "n"), ("DECR", "t:n"), -1, -1),
        decrby=(("decr", "n", 3), ("DECRBY", "t:n", 3), -3, -3),
        hget=(("hget", "h", "f"), ("HGET", "t:h", "f"), b"x", b"x"),
        hdel=(("hdel", "h", "a", "b"), ("HDEL", "t:h", "a", "b"), 2, 2),
        hincrby=(("hincrby", "h", "f", 2), ("HINCRBY", "t:h", "f", 2), 4, 4),
        sadd=(("sadd", "s", "a", "b"), ("SADD", "t:s", "a", "b"), 2, 2),
        srem=(("srem", "s", "a"), ("SREM", "t:s", "a"), 1, 1),
        lpush=(("lpush", "l", "x"), ("LPUSH", "t:l", "x"), 1, 1),
        rpush=(("rpush", "l", "x", "y"), ("RPUSH", "t:l", "x", "y"), 2, 2),
        lrange=(("lrange", "l", 0, 1), ("LRANGE", "t:l", 0, 1), [b"x"], [b"x"]),
        ltrim=(("ltrim", "l", 0, 99), ("LTRIM", "t:l", 0, 99), b"OK", True),
        publish=(("publish", "ch", "hi"), ("PUBLISH", "ch", "hi"), 3, 3),
        publish_json=(
            ("publish", "ch", {"b": 1, "a": 2}),
            ("PUBLISH", "ch", '{"a": 2, "b": 1}'),
            1,
            1,
        ),
        mget=(("mget", ["a", "b"]), ("MGET", "t:a", "t:b"), [b"1", None], [b"1", None]),
    )
    def test_command(self, case: tuple[Any, ...], execute: mock.MagicMock) -> None:
        """The command is sent with prefixed keys and its reply converted."""
        call, sent, reply, expected = case
        execute.return_value = reply
        method, *args = call
        self.assertEqual(getattr(self.redis, method)(*args), expected)
        execute.assert_called_once_with(self.redis, *sent)

    @cases(
        delete=("delete", ()),
        exists=("exists", ()),
        hdel=("hdel", ("h",)),
        sadd=("sadd", ("s",)),
        srem=("srem", ("s",)),
        mget=("mget", ([],)),
    )
    def test_empty_variadic_commands_are_not_sent(
        self, case: tuple[str, tuple[Any, ...]], execute: mock.MagicMock
    ) -> None:
        """Nothing to do means no round trip."""
        method, args = case
        result = getattr(self.redis, method)(*args)
        self.assertIn(result, (0, []))
        execute.assert_not_called()

    @cases(
        plain=({}, ("SET", "t:k", "v")),
        ex=({"ex": 10}, ("SET", "t:k", "v", "EX", 10)),
        px=({"px": 1500}, ("SET", "t:k", "v", "PX", 1500)),
        nx=({"nx": True}, ("SET", "t:k", "v", "NX")),
        xx=({"xx": True}, ("SET", "t:k", "v", "XX")),
        ex_nx=({"ex": 5, "nx": True}, ("SET", "t:k", "v", "EX", 5, "NX")),
    )
    def test_set_options(
        self, case: tuple[dict[str, Any], tuple[Any, ...]], execute: mock.MagicMock
    ) -> None:
        """set() turns keyword options into SET arguments."""
        options, sent = case
        execute.return_value = b"OK"
        self.assertTrue(self.redis.set("k", "v", **options))
        execute.assert_called_once_with(self.redis, *sent)

    @cases(
        nx_xx={"nx": True, "xx": True},
        ex_px={"ex": 1, "px": 1},
        zero_ex={"ex": 0},
        negative_px={"px": -1},
    )
    def test_set_refuses_bad_options(
        self, options: dict[str, Any], execute: mock.MagicMock
    ) -> None:
        """Contradictory or non-positive options are refused before sending."""
        with self.assertRaises(ValueError):
            self.redis.set("k", "v", **options)
        execute.assert_not_called()

    def test_set_nx_not_stored(self, execute: mock.MagicMock) -> None:
        """SET NX replies nil when the key exists."""
        execute.return_value = None
        self.assertFalse(self.redis.set("k", "v", nx=True))

    def test_expire_refuses_non_positive(self, execute: mock.MagicMock) -> None:
        """EXPIRE 0 would delete the key; it is refused."""
        with self.assertRaises(ValueError):
            self.redis.expire("k", 0)
        execute.assert_not_called()

    def test_hset_mapping(self, execute: mock.MagicMock) -> None:
        """hset with a mapping sends every pair."""
        execute.return_value = 2
        self.assertEqual(self.redis.hset("h", mapping={"a": "1", "b": 2}), 2)
        execute.assert_called_once_with(self.redis, "HSET", "t:h", "a", "1", "b", 2)

    def test_hset_field_and_mapping(self, execute: mock.MagicMock) -> None:
        """A field and a mapping go in one HSET."""
        execute.return_value = 1
        self.redis.hset("h", "f", "v", mapping={"g": "w"})
        execute.assert_called_once_with(self.redis, "HSET", "t:h", "f", "v", "g", "w")

    def test_hset_needs_something(self, execute: mock.MagicMock) -> None:
        """hset without field or mapping, or a field without value, is refused."""
        for args in ((), ("f",)):
            with self.subTest(args=args), self.assertRaises(ValueError):
                self.redis.hset("h", *args)
        execute.assert_not_called()

    def test_hgetall_pairs_up_the_reply(self, execute: mock.MagicMock) -> None:
        """The flat HGETALL reply becomes a dict with text keys."""
        execute.return_value = [b"a", b"1", b"b", b"2"]
        self.assertEqual(self.redis.hgetall("h"), {"a": b"1", "b": b"2"})

    def test_hgetall_of_missing_hash(self, execute: mock.MagicMock) -> None:
        """A missing hash is an empty dict."""
        execute.return_value = []
        self.assertEqual(self.redis.hgetall("h"), {})

    def test_hgetall_odd_reply(self, execute: mock.MagicMock) -> None:
        """A malformed reply is a RedisError."""
        execute.return_value = [b"a"]
        with self.assertRaises(RedisError):
            self.redis.hgetall("h")

    def test_smembers_decodes(self, execute: mock.MagicMock) -> None:
        """Set members come back as text."""
        execute.return_value = [b"x", b"y"]
        self.assertEqual(self.redis.smembers("s"), {"x", "y"})

    def test_scan_iter_follows_the_cursor(self, execute: mock.MagicMock) -> None:
        """scan_iter keeps scanning until the cursor is 0 and strips the prefix."""
        execute.side_effect = [(b"17", [b"t:a", b"t:b"]), (b"0", [b"t:c"])]
        self.assertEqual(list(self.redis.scan_iter("*", count=2)), ["a", "b", "c"])
        execute.assert_has_calls(
            [
                mock.call(self.redis, "SCAN", 0, "MATCH", "t:*", "COUNT", 2),
                mock.call(self.redis, "SCAN", b"17", "MATCH", "t:*", "COUNT", 2),
            ]
        )

    def test_ping(self, execute: mock.MagicMock) -> None:
        """ping is True on PONG and False on errors."""
        execute.return_value = b"PONG"
        self.assertTrue(self.redis.ping())
        execute.side_effect = RedisConnectionError("down")
        self.assertFalse(self.redis.ping())

    def test_info_parses_lines(self, execute: mock.MagicMock) -> None:
        """INFO's comment lines are skipped."""
        execute.return_value = (
            b"# Server\r\nredis_version:7.2.0\r\nuptime_in_days:3\r\n"
        )
        self.assertEqual(
            self.redis.info(), {"redis_version": "7.2.0", "uptime_in_days": "3"}
        )

    def test_errors_are_logged_and_raised(self, execute: mock.MagicMock) -> None:
        """A failed command is logged with its name, then raised."""
        execute.side_effect = RedisConnectionError("refused")
        with self.assertRaises(RedisConnectionError):
            self.redis.get("k")
        self.logger.error.assert_called_once_with(
            "redis command failed", command="GET", error="RedisConnectionError"
        )

    def test_closed_client_refuses_commands(self, execute: mock.MagicMock) -> None:
        """After close() commands are refused locally."""
        self.redis.close()
        self.assertTrue(self.redis.closed)
        with self.assertRaises(RedisError):
            self.redis.get("k")
        execute.assert_not_called()

    def test_stats_count_commands(self, execute: mock.MagicMock) -> None:
        """stats() counts the commands sent."""
        execute.return_value = None
        self.redis.get("a")
        self.redis.get("b")
        self.assertEqual(self.redis.stats(), {"commands": 2})

    def test_unencodable_arguments_are_refused_before_sending(
        self, execute: mock.MagicMock
    ) -> None:
        """A bool value never reaches the server."""
        with self.assertRaises(TypeError):
            self.redis.set("k", True)
        execute.assert_not_called()


class PipelineTests(unittest.TestCase):
    """Queued commands sent through ``_execute_many``."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        patcher = mock.patch.object(RedisService, "_execute_many", autospec=True)
        self.execute_many = patcher.start()
        self.addCleanup(patcher.stop)
        self.redis = RedisService(prefix="p:", logger=self.logger)

    def test_commands_are_queued_and_sent_together(self) -> None:
        """execute() sends every queued command in order."""
        self.execute_many.return_value = [b"OK", b"v", 1]
        pipe = self.redis.pipeline()
        pipe.set("a", "1", ex=10).get("a").delete("b")
        self.assertEqual(len(pipe), 3)
        self.assertEqual(pipe.execute(), [b"OK", b"v", 1])
        self.execute_many.assert_called_once_with(
            self.redis,
            [("SET", "p:a", "1", "EX", 10), ("GET", "p:a"), ("DEL", "p:b")],
            True,
        )
        self.assertEqual(len(pipe), 0)

    def test_non_transactional_pipeline(self) -> None:
        """transaction=False is passed on."""
        self.execute_many.return_value = [1, True]
        pipe = self.redis.pipeline(transaction=False)
        pipe.incr("n", 2).expire("n", 60)
        pipe.execute()
        self.execute_many.assert_called_once_with(
            self.redis, [("INCRBY", "p:n", 2), ("EXPIRE", "p:n", 60)], False
        )

    def test_empty_pipeline_sends_nothing(self) -> None:
        """Nothing queued, nothing sent."""
        self.assertEqual(Pipeline(self.redis).execute(), [])
        self.execute_many.assert_not_called()

    def test_reply_count_mismatch(self) -> None:
        """Fewer replies than commands is a protocol error."""
        self.execute_many.return_value = [b"OK"]
        pipe = self.redis.pipeline()
        pipe.get("a").get("b")
        with self.assertRaises(RedisError):
            pipe.execute()

    def test_bad_arguments_are_refused_when_queued(self) -> None:
        """Encoding errors surface at queue time, not at execute."""
        with self.assertRaises(TypeError):
            self.redis.pipeline().set("k", None)  # type: ignore[arg-type]

    def test_errors_propagate(self) -> None:
        """A failed pipeline raises the server's error."""
        self.execute_many.side_effect = RedisConnectionError("gone")
        pipe = self.redis.pipeline()
        pipe.get("a")
        with self.assertRaises(RedisConnectionError):
            pipe.execute()

    def test_unmocked_protocol_is_not_available(self) -> None:
        """Without a mock the protocol is missing."""
        redis = RedisService(logger=self.logger)
        with self.assertRaisesRegex(RuntimeError, "not available"):
            redis.get("k")


class AsyncCommandTests(unittest.IsolatedAsyncioTestCase):
    """The asynchronous commands over an autospecced ``_aexecute``."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.redis = RedisService(prefix="a:", logger=self.logger)

    @mock.patch.object(RedisService, "_aexecute", autospec=True)
    async def test_aget(self, aexecute: mock.AsyncMock) -> None:
        """aget awaits GET with the prefixed key."""
        aexecute.return_value = b"v"
        self.assertEqual(await self.redis.aget("k"), b"v")
        aexecute.assert_awaited_once_with(self.redis, "GET", "a:k")

    @mock.patch.object(RedisService, "_aexecute", autospec=True)
    async def test_aset_with_expiry(self, aexecute: mock.AsyncMock) -> None:
        """aset adds EX when given."""
        aexecute.return_value = b"OK"
        self.assertTrue(await self.redis.aset("k", "v", ex=9))
        aexecute.assert_awaited_once_with(self.redis, "SET", "a:k", "v", "EX", 9)

    @mock.patch.object(RedisService, "_aexecute", autospec=True)
    async def test_adelete(self, aexecute: mock.AsyncMock) -> None:
        """adelete returns the count."""
        aexecute.return_value = 2
        self.assertEqual(await self.redis.adelete("x", "y"), 2)
        aexecute.assert_awaited_once_with(self.redis, "DEL", "a:x", "a:y")


if __name__ == "__main__":
    unittest.main()
