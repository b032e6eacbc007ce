"""A redis client: commands built and checked here, the protocol elsewhere."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import unquote, urlsplit

from mockpool._demo.services.errors import NOT_AVAILABLE, RedisError

if TYPE_CHECKING:
    from mockpool._demo.services.logger import Logger

Value = Union[bytes, str, int, float]
Command = tuple[Any, ...]


class RedisService:
    """A redis client.

    Every command goes through :meth:`execute`, which encodes arguments and
    hands them to :meth:`_execute` (the protocol, which the demo does not
    have). Keys are prefixed with *prefix*.
    """

    DEFAULT_URL = "redis://localhost:6379/0"
    DEFAULT_PORT = 6379
    ENCODING = "utf-8"
    SCAN_COUNT = 100

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        prefix: str = "",
        socket_timeout: float = 5.0,
        logger: Logger | None = None,
    ) -> None:
        self._host, self._port, self._db, self._password = self.parse_url(url)
        self._url = url
        self._prefix = prefix
        self._socket_timeout = socket_timeout
        self._logger = logger
        self._closed = False
        self._commands = 0

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisService:
        return cls(url, **options)

    # -- properties -----------------------------------------------------------

    @property
    def url(self) -> str:
        return self._url

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def db(self) -> int:
        return self._db

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def closed(self) -> bool:
        return self._closed

    # -- encoding -------------------------------------------------------------

    @staticmethod
    def parse_url(url: str) -> tuple[str, int, int, str | None]:
        """Return host, port, database number and password of a redis URL."""
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"not a redis URL: {url!r}")
        path = parts.path.lstrip("/")
        try:
            db = int(path) if path else 0
        except ValueError:
            raise ValueError(f"bad database number in {url!r}") from None
        if db < 0 or db > 15:
            raise ValueError(f"database number {db} out of range in {url!r}")
        password = unquote(parts.password) if parts.password else None
        return (
            parts.hostname or "localhost",
            parts.port or RedisService.DEFAULT_PORT,
            db,
            password,
        )

    @classmethod
    def encode_arg(cls, value: Value) -> bytes:
        """Return one command argument as redis sends it."""
        if isinstance(value, bytes):
            return value
        if isinstance(value, bool):
            raise TypeError("redis has no booleans; pass 0 or 1")
        if isinstance(value, (int, float)):
            return repr(value).encode()
        if isinstance(value, str):
            return value.encode(cls.ENCODING)
        raise TypeError(f"cannot send {type(value).__name__} to redis")

    @classmethod
    def encode_command(cls, *args: Value) -> bytes:
        """Return *args* as one RESP array."""
        if not args:
            raise ValueError("empty command")
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = cls.encode_arg(arg)
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        return b"".join(out)

    @staticmethod
    def decode(value: bytes | None, default: str | None = None) -> str | None:
        if value is None:
            return default
        return value.decode(RedisService.ENCODING)

    def key(self, name: str) -> str:
        """Return *name* with the prefix."""
        if not name:
            raise ValueError("empty redis key")
        return f"{self._prefix}{name}"

    # -- the command path -----------------------------------------------------

    def execute(self, *args: Value) -> Any:
        """Run one command and return its reply."""
        if self._closed:
            raise RedisError("the client is closed")
        self.encode_command(*args)  # refuse what redis would not accept
        self._commands += 1
        try:
            return self._execute(*args)
        except RedisError as exc:
            if self._logger is not None:
                self._logger.error(
                    "redis command failed",
                    command=str(args[0]),
                    error=type(exc).__name__,
                )
            raise

    def pipeline(self, *, transaction: bool = True) -> Pipeline:
        return Pipeline(self, transaction=transaction)

    # -- strings --------------------------------------------------------------

    def get(self, name: str) -> bytes | None:
        reply: bytes | None = self.execute("GET", self.key(name))
        return reply

    def get_str(self, name: str, default: str | None = None) -> str | None:
        return self.decode(self.get(name), default)

    def set(
        self,
        name: str,
        value: Value,
        *,
        ex: int | None = None,
        px: int | None = None,
        nx: bool = False,
        xx: bool = False,
    ) -> bool:
        """SET with options; return whether the value was stored."""
        if nx and xx:
            raise ValueError("nx and xx are mutually exclusive")
        if ex is not None and px is not None:
            raise ValueError("pass ex or px, not both")
        args: list[Value] = ["SET", self.key(name), value]
        if ex is not None:
            if ex <= 0:
                raise ValueError(f"ex must be positive, not {ex!r}")
            args += ["EX", ex]
        if px is not None:
            if px <= 0:
                raise ValueError(f"px must be positive, not {px!r}")
            args += ["PX", px]
        if nx:
            args.append("NX")
        if xx:
            args.append("XX")
        return self.execute(*args) is not None

    def mget(self, names: Sequence[str]) -> list[bytes | None]:
        if not names:
            return []
        reply: list[bytes | None] = self.execute("MGET", *(self.key(n) for n in names))
        return reply

    def delete(self, *names: str) -> int:
        if not names:
            return 0
        return int(self.execute("DEL", *(self.key(n) for n in names)))

    def exists(self, *names: str) -> int:
        if not names:
            return 0
        return int(self.execute("EXISTS", *(self.key(n) for n in names)))

    def expire(self, name: str, seconds: int) -> bool:
        if seconds <= 0:
            raise ValueError(f"seconds must be positive, not {seconds!r}")
        return bool(self.execute("EXPIRE", self.key(name), seconds))

    def persist(self, name: str) -> bool:
        return bool(self.execute("PERSIST", self.key(name)))

    def ttl(self, name: str) -> int | None:
        """Seconds to live; ``None`` when the key is missing or never expires."""
        reply = int(self.execute("TTL", self.key(name)))
        return None if reply < 0 else reply

    def incr(self, name: str, amount: int = 1) -> int:
        if amount == 1:
            return int(self.execute("INCR", self.key(name)))
        return int(self.execute("INCRBY", self.key(name), amount))

    def decr(self, name: str, amount: int = 1) -> int:
        if amount == 1:
            return int(self.execute("DECR", self.key(name)))
        return int(self.execute("DECRBY", self.key(name), amount))

    # -- hashes ---------------------------------------------------------------

    def hget(self, name: str, field: str) -> bytes | None:
        reply: bytes | None = self.execute("HGET", self.key(name), field)
        return reply

    def hset(
        self,
        name: str,
        field: str | None = None,
        value: Value | None = None,
        *,
        mapping: Mapping[str, Value] | None = None,
    ) -> int:
        """Set one field, or every field of *mapping*; return how many are new."""
        pairs: list[Value] = []
        if field is not None:
            if value is None:
                raise ValueError("hset of a field needs a value")
            pairs += [field, value]
        for key, item in (mapping or {}).items():
            pairs += [key, item]
        if not pairs:
            raise ValueError("hset needs a field or a mapping")
        return int(self.execute("HSET", self.key(name), *pairs))

    def hgetall(self, name: str) -> dict[str, bytes]:
        """Return the hash as a dict (redis replies with a flat list)."""
        reply = self.execute("HGETALL", self.key(name)) or []
        if len(reply) % 2:
            raise RedisError("HGETALL reply has an odd length")
        return {
            self.decode(reply[i]) or "": reply[i + 1] for i in range(0, len(reply), 2)
        }

    def hdel(self, name: str, *fields: str) -> int:
        if not fields:
            return 0
        return int(self.execute("HDEL", self.key(name), *fields))

    def hincrby(self, name: str, field: str, amount: int = 1) -> int:
        return int(self.execute("HINCRBY", self.key(name), field, amount))

    # -- sets and lists -------------------------------------------------------

    def sadd(self, name: str, *members: Value) -> int:
        if not members:
            return 0
        return int(self.execute("SADD", self.key(name), *members))

    def srem(self, name: str, *members: Value) -> int:
        if not members:
            return 0
        return int(self.execute("SREM", self.key(name), *members))

    def smembers(self, name: str) -> builtins.set[str]:
        reply = self.execute("SMEMBERS", self.key(name)) or []
        return {self.decode(m) or "" for m in reply}

    def lpush(self, name: str, *values: Value) -> int:
        return int(self.execute("LPUSH", self.key(name), *values))

    def rpush(self, name: str, *values: Value) -> int:
        return int(self.execute("RPUSH", self.key(name), *values))

    def lrange(self, name: str, start: int = 0, stop: int = -1) -> list[bytes]:
        reply: list[bytes] = self.execute("LRANGE", self.key(name), start, stop) or []
        return reply

    def ltrim(self, name: str, start: int, stop: int) -> bool:
        return bool(self.execute("LTRIM", self.key(name), start, stop) == b"OK")

    # -- keys, pub/sub, server ------------------------------------------------

    def scan_iter(self, match: str = "*", *, count: int = SCAN_COUNT) -> Iterator[str]:
        """Yield the keys matching *match* (prefix removed), cursor by cursor."""
        cursor: int | bytes = 0
        strip = len(self._prefix)
        while True:
            cursor, keys = self.execute(
                "SCAN", cursor, "MATCH", self.key(match), "COUNT", count
            )
            for key in keys:
                yield (self.decode(key) or "")[strip:]
            if int(cursor) == 0:
                return

    def publish(self, channel: str, message: Value | Mapping[str, Any]) -> int:
        """Publish *message* (mappings as JSON); return how many received it."""
        if isinstance(message, Mapping):
            message = json.dumps(message, sort_keys=True)
        return int(self.execute("PUBLISH", channel, message))

    def ping(self) -> bool:
        try:
            return self.execute("PING") in (b"PONG", "PONG", True)
        except RedisError:
            return False

    def info(self, section: str = "server") -> dict[str, str]:
        """Parse INFO's ``key:value`` lines."""
        raw = self.decode(self.execute("INFO", section)) or ""
        result: dict[str, str] = {}
        for line in raw.splitlines():
            if line and not line.startswith("#") and ":" in line:
                key, _, value = line.partition(":")
                result[key] = value
        return result

    def stats(self) -> dict[str, int]:
        return {"commands": self._commands}

    def close(self) -> None:
        self._closed = True

    # -- asynchronous ---------------------------------------------------------

    async def aget(self, name: str) -> bytes | None:
        reply: bytes | None = await self._aexecute("GET", self.key(name))
        return reply

    async def aset(self, name: str, value: Value, *, ex: int | None = None) -> bool:
        args: list[Value] = ["SET", self.key(name), value]
        if ex is not None:
            args += ["EX", ex]
        return (await self._aexecute(*args)) is not None

    async def adelete(self, *names: str) -> int:
        return int(await self._aexecute("DEL", *(self.key(n) for n in names)))

    # -- the protocol ---------------------------------------------------------

    def _execute(self, *args: Value) -> Any:
        """Send one command and read its reply (the demo has no server)."""
        raise RuntimeError(NOT_AVAILABLE)

    def _execute_many(
        self, commands: Sequence[Command], transaction: bool
    ) -> list[Any]:
        """Send a pipeline of commands (the demo has no server)."""
        raise RuntimeError(NOT_AVAILABLE)

    async def _aexecute(self, *args: Value) -> Any:
        """Send one command asynchronously (the demo has no server)."""
        raise RuntimeError(NOT_AVAILABLE)


class Pipeline:
    """Commands queued and sent together, in a MULTI/EXEC when *transaction*."""

    def __init__(self, redis: RedisService, *, transaction: bool = True) -> None:
        self._redis = redis
        self._transaction = transaction
        self._commands: list[Command] = []

    def __len__(self) -> int:
        return len(self._commands)

    def _queue(self, *args: Value) -> Pipeline:
        self._redis.encode_command(*args)
        self._commands.append(args)
        return self

    def get(self, name: str) -> Pipeline:
        return self._queue("GET", self._redis.key(name))

    def set(self, name: str, value: Value, *, ex: int | None = None) -> Pipeline:
        if ex is None:
            return self._queue("SET", self._redis.key(name), value)
        return self._queue("SET", self._redis.key(name), value, "EX", ex)

    def delete(self, *names: str) -> Pipeline:
        return self._queue("DEL", *(self._redis.key(n) for n in names))

    def incr(self, name: str, amount: int = 1) -> Pipeline:
        return self._queue("INCRBY", self._redis.key(name), amount)

    def expire(self, name: str, seconds: int) -> Pipeline:
        return self._queue("EXPIRE", self._redis.key(name), seconds)

    def execute(self) -> list[Any]:
        """Send the queued commands; return their replies in order."""
        if not self._commands:
            return []
        commands, self._commands = self._commands, []
        replies = self._redis._execute_many(commands, self._transaction)
        if len(replies) != len(commands):
            raise RedisError(
                f"pipeline sent {len(commands)} commands, got {len(replies)} replies"
            )
        return replies
