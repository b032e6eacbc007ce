"""A namespaced JSON cache on top of :class:`RedisService`."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Callable, TypeVar, Union

from mockpool._demo.services.errors import CacheError, RedisError

if TYPE_CHECKING:
    from mockpool._demo.services.logger import Logger
    from mockpool._demo.services.redis import RedisService

T = TypeVar("T")
Ttl = Union[int, str, None]


class CacheService:
    """Caches JSON values in redis under ``namespace:v<version>:key``.

    Redis failures on reads count as misses and on writes as not stored, so
    that a broken cache slows the application down but never breaks it.
    """

    DEFAULT_TTL = 300
    TTL_POLICY: Mapping[str, int] = {
        "none": 0,
        "short": 60,
        "default": DEFAULT_TTL,
        "long": 3600,
        "day": 86_400,
        "week": 604_800,
    }
    MAX_TTL = 2_592_000
    MAX_KEY_LENGTH = 200
    SEPARATOR = ":"

    def __init__(
        self,
        redis: RedisService,
        *,
        namespace: str = "app",
        default_ttl: int = DEFAULT_TTL,
        version: int = 1,
        logger: Logger | None = None,
    ) -> None:
        if not namespace or "" in namespace.split(self.SEPARATOR):
            raise ValueError(f"bad namespace {namespace!r}")
        if version < 1:
            raise ValueError(f"version must be at least 1, not {version!r}")
        self._redis = redis
        self._namespace = namespace
        self._default_ttl = 0
        self._default_ttl = self.ttl_for(default_ttl)
        self._version = version
        self._logger = logger
        self._hits = 0
        self._misses = 0
        self._errors = 0

    # -- properties -----------------------------------------------------------

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def version(self) -> int:
        return self._version

    @property
    def default_ttl(self) -> int:
        return self._default_ttl

    @property
    def hit_ratio(self) -> float:
        total = self._hits + self._misses
        return self._hits / total if total else 0.0

    # -- keys, TTLs and values ------------------------------------------------

    def make_key(self, key: str, *parts: object) -> str:
        """Return the redis key of *key* and *parts*; long keys are hashed."""
        if not key:
            raise CacheError("empty cache key")
        tail = self.SEPARATOR.join([key, *(str(p) for p in parts)])
        full = f"{self._namespace}{self.SEPARATOR}v{self._version}{self.SEPARATOR}"
        if len(full) + len(tail) > self.MAX_KEY_LENGTH:
            tail = "h" + self.SEPARATOR + hashlib.sha1(tail.encode()).hexdigest()
        return full + tail

    def ttl_for(self, ttl: Ttl) -> int:
        """Return seconds for *ttl*: a policy name, seconds, or ``None``."""
        if ttl is None:
            return self._default_ttl
        if isinstance(ttl, bool):
            raise CacheError("a TTL is seconds or a policy name, not a bool")
        if isinstance(ttl, str):
            try:
                return self.TTL_POLICY[ttl]
            except KeyError:
                raise CacheError(f"unknown TTL policy {ttl!r}") from None
        if ttl < 0:
            raise CacheError(f"negative TTL {ttl!r}")
        return min(ttl, self.MAX_TTL)

    @staticmethod
    def serialize(value: Any) -> bytes:
        try:
            return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise CacheError(f"cannot cache {type(value).__name__}: {exc}") from exc

    @staticmethod
    def deserialize(raw: bytes | str) -> Any:
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise CacheError("corrupt cache entry") from exc

    def _warn(self, action: str, key: str, exc: Exception) -> None:
        self._errors += 1
        if self._logger is not None:
            self._logger.warning(
                "cache %s failed", action, key=key, error=type(exc).__name__
            )

    # -- reads and writes -----------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        full = self.make_key(key)
        try:
            raw = self._redis.get(full)
        except RedisError as exc:
            self._warn("get", full, exc)
            self._misses += 1
            return default
        if raw is None:
            self._misses += 1
            return default
        self._hits += 1
        try:
            return self.deserialize(raw)
        except CacheError as exc:
            self._warn("decode", full, exc)
            self._redis.delete(full)
            return default

    def set(self, key: str, value: Any, *, ttl: Ttl = None) -> bool:
        full = self.make_key(key)
        seconds = self.ttl_for(ttl)
        data = self.serialize(value)
        try:
            if seconds:
                return self._redis.set(full, data, ex=seconds)
            return self._redis.set(full, data)
        except RedisError as exc:
            self._warn("set", full, exc)
            return False

    def add(self, key: str, value: Any, *, ttl: Ttl = None) -> bool:
        """Store *value* only if *key* is absent."""
        full = self.make_key(key)
        seconds = self.ttl_for(ttl) or None
        try:
            return self._redis.set(full, self.serialize(value), ex=seconds, nx=True)
        except RedisError as exc:
            self._warn("add", full, exc)
            return False

    def get_or_set(self, key: str, factory: Callable[[], T], *, ttl: Ttl = None) -> T:
        """Return the cached value, or compute, store and return it.

        ``None`` from *factory* is returned but not cached.
        """
        sentinel = object()
        cached = self.get(key, sentinel)
        if cached is not sentinel:
            return cached  # type: ignore[no-any-return]
        value = factory()
        if value is not None:
            self.set(key, value, ttl=ttl)
        return value

    async def aget_or_set(
        self, key: str, factory: Callable[[], Awaitable[T]], *, ttl: Ttl = None
    ) -> T:
        """The asynchronous :meth:`get_or_set`."""
        full = self.make_key(key)
        try:
            raw = await self._redis.aget(full)
        except RedisError as exc:
            self._warn("get", full, exc)
            raw = None
        if raw is not None:
            self._hits += 1
            return self.deserialize(raw)  # type: ignore[no-any-return]
        self._misses += 1
        value = await factory()
        if value is not None:
            seconds = self.ttl_for(ttl) or None
            try:
                await self._redis.aset(full, self.serialize(value), ex=seconds)
            except RedisError as exc:
                self._warn("set", full, exc)
        return value

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """Return the cached values of *keys*; missing keys are left out."""
        names = list(keys)
        if not names:
            return {}
        try:
            raws = self._redis.mget([self.make_key(k) for k in names])
        except RedisError as exc:
            self._warn("get_many", self._namespace, exc)
            self._misses += len(names)
            return {}
        found: dict[str, Any] = {}
        for name, raw in zip(names, raws):
            if raw is None:
                self._misses += 1
            else:
                self._hits += 1
                found[name] = self.deserialize(raw)
        return found

    def set_many(self, values: Mapping[str, Any], *, ttl: Ttl = None) -> bool:
        """Store every value in one pipeline."""
        if not values:
            return True
        seconds = self.ttl_for(ttl) or None
        pipe = self._redis.pipeline()
        for key, value in values.items():
            pipe.set(self.make_key(key), self.serialize(value), ex=seconds)
        try:
            pipe.execute()
        except RedisError as exc:
            self._warn("set_many", self._namespace, exc)
            return False
        return True

    def delete(self, key: str) -> bool:
        full = self.make_key(key)
        try:
            return self._redis.delete(full) > 0
        except RedisError as exc:
            self._warn("delete", full, exc)
            return False

    invalidate = delete

    def invalidate_prefix(self, prefix: str = "") -> int:
        """Delete every key of this namespace and version starting with *prefix*."""
        pattern = self.make_key(prefix + "*") if prefix else self.make_key("*")
        keys = list(self._redis.scan_iter(pattern))
        if not keys:
            return 0
        return self._redis.delete(*keys)

    def touch(self, key: str, *, ttl: Ttl = None) -> bool:
        seconds = self.ttl_for(ttl)
        if not seconds:
            return self._redis.persist(self.make_key(key))
        return self._redis.expire(self.make_key(key), seconds)

    def incr(self, key: str, amount: int = 1, *, ttl: Ttl = None) -> int:
        """Increment a counter; the first increment starts its TTL."""
        full = self.make_key(key)
        value = self._redis.incr(full, amount)
        seconds = self.ttl_for(ttl)
        if value == amount and seconds:
            self._redis.expire(full, seconds)
        return value

    def lock(self, name: str, *, ttl: int = 10, owner: str = "1") -> bool:
        """Take a best-effort lock that expires after *ttl* seconds."""
        return self._redis.set(self.make_key("lock", name), owner, ex=ttl, nx=True)

    def unlock(self, name: str, *, owner: str = "1") -> bool:
        """Release a lock held by *owner*."""
        full = self.make_key("lock", name)
        if self._redis.get(full) != owner.encode():
            return False
        return self._redis.delete(full) == 1

    # -- namespaces and versions ----------------------------------------------

    def with_namespace(self, sub: str) -> CacheService:
        """Return a cache for ``namespace:sub`` on the same redis."""
        if not sub or self.SEPARATOR in sub:
            raise ValueError(f"bad sub-namespace {sub!r}")
        return CacheService(
            self._redis,
            namespace=f"{self._namespace}{self.SEPARATOR}{sub}",
            default_ttl=self._default_ttl,
            version=self._version,
            logger=self._logger,
        )

    def bump_version(self) -> int:
        """Invalidate the whole namespace at once by moving to a new version."""
        self._version = self._redis.incr(f"{self._namespace}:__version__") + 1
        return self._version

    def cached(
        self, *, ttl: Ttl = None, key: Callable[..., str] | None = None
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorate a function to cache its results by its arguments."""

        def decorate(func: Callable[..., T]) -> Callable[..., T]:
            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> T:
                if key is not None:
                    name = key(*args, **kwargs)
                else:
                    name = self.SEPARATOR.join(
                        [func.__qualname__]
                        + [repr(a) for a in args]
                        + [f"{k}={v!r}" for k, v in sorted(kwargs.items())]
                    )
                return self.get_or_set(name, lambda: func(*args, **kwargs), ttl=ttl)

            return wrapper

        return decorate

    def stats(self) -> dict[str, float]:
        return {
            "hits": self._hits,
            "misses": self._misses,
            "errors": self._errors,
            "hit_ratio": round(self.hit_ratio, 3),
        }

    def reset_stats(self) -> None:
        self._hits = self._misses = self._errors = 0
