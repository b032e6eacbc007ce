"""Application wiring: builds every service from one settings mapping.

Real applications have a module like this; their tests patch the classes it
names (``mockpool._demo.services.container.RedisService``...) to check the
wiring without building anything real.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockpool._demo.services.auth import AuthController
from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.database import Database
from mockpool._demo.services.device_sessions import DeviceSessionService
from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.jwt import JwtService
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.plex import PlexService
from mockpool._demo.services.redis import RedisService
from mockpool._demo.services.youtube import YouTubeService

REQUIRED_SETTINGS = ("secret_key", "database_url")


def validate_settings(settings: Mapping[str, Any]) -> list[str]:
    """Every problem with *settings* (empty if none)."""
    problems = [
        f"missing {name}" for name in REQUIRED_SETTINGS if not settings.get(name)
    ]
    if len(str(settings.get("secret_key", ""))) < EncryptionService.MIN_KEY_SIZE:
        problems.append("secret_key is too short")
    if settings.get("youtube_enabled") and not settings.get("youtube_api_key"):
        problems.append("youtube_enabled needs youtube_api_key")
    if settings.get("plex_enabled") and not settings.get("plex_url"):
        problems.append("plex_enabled needs plex_url")
    return problems


class Container:
    """Builds each service once, on first use, from *settings*."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        problems = validate_settings(settings)
        if problems:
            raise ValueError("bad settings: " + "; ".join(problems))
        self._settings = dict(settings)
        self._built: dict[str, Any] = {}

    def _once(self, name: str, build: Any) -> Any:
        if name not in self._built:
            self._built[name] = build()
        return self._built[name]

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self._settings)

    def built(self) -> list[str]:
        return sorted(self._built)

    def logger(self) -> Logger:
        logger: Logger = self._once(
            "logger",
            lambda: Logger(
                self._settings.get("app_name", "app"),
                level=self._settings.get("log_level", "INFO"),
            ),
        )
        return logger

    def redis(self) -> RedisService:
        redis: RedisService = self._once(
            "redis",
            lambda: RedisService(
                self._settings.get("redis_url", RedisService.DEFAULT_URL),
                prefix=self._settings.get("redis_prefix", ""),
                logger=self.logger(),
            ),
        )
        return redis

    def cache(self) -> CacheService:
        cache: CacheService = self._once(
            "cache",
            lambda: CacheService(
                self.redis(),
                namespace=self._settings.get("cache_namespace", "app"),
                default_ttl=int(
                    self._settings.get("cache_ttl", CacheService.DEFAULT_TTL)
                ),
                logger=self.logger(),
            ),
        )
        return cache

    def database(self) -> Database:
        database: Database = self._once(
            "database",
            lambda: Database(
                self._settings["database_url"],
                pool_size=int(self._settings.get("database_pool_size", 5)),
                logger=self.logger(),
            ),
        )
        return database

    def encryption(self) -> EncryptionService:
        encryption: EncryptionService = self._once(
            "encryption",
            lambda: EncryptionService(
                self._settings["secret_key"],
                previous_keys=self._settings.get("previous_keys", ()),
                logger=self.logger(),
            ),
        )
        return encryption

    def jwt(self) -> JwtService:
        jwt: JwtService = self._once(
            "jwt",
            lambda: JwtService(
                self.encryption(),
                issuer=self._settings.get("jwt_issuer", "mockpool-demo"),
                access_ttl=int(
                    self._settings.get("access_ttl", JwtService.DEFAULT_ACCESS_TTL)
                ),
                logger=self.logger(),
            ),
        )
        return jwt

    def device_sessions(self) -> DeviceSessionService:
        sessions: DeviceSessionService = self._once(
            "device_sessions",
            lambda: DeviceSessionService(
                self.redis(),
                self.jwt(),
                self.database(),
                max_sessions=int(
                    self._settings.get(
                        "max_sessions", DeviceSessionService.MAX_SESSIONS
                    )
                ),
            ),
        )
        return sessions

    def auth(self) -> AuthController:
        auth: AuthController = self._once(
            "auth",
            lambda: AuthController(
                self.jwt(),
                self.encryption(),
                self.device_sessions(),
                self.database(),
                logger=self.logger(),
            ),
        )
        return auth

    def http(self) -> HttpClient:
        http: HttpClient = self._once(
            "http",
            lambda: HttpClient(
                timeout=float(
                    self._settings.get("http_timeout", HttpClient.DEFAULT_TIMEOUT)
                ),
                retries=int(
                    self._settings.get("http_retries", HttpClient.DEFAULT_RETRIES)
                ),
                logger=self.logger(),
            ),
        )
        return http

    def plex(self) -> PlexService:
        if not self._settings.get("plex_enabled"):
            raise LookupError("plex is not enabled")
        plex: PlexService = self._once(
            "plex",
            lambda: PlexService(
                self.cache().with_namespace("plex"),
                self.http(),
                self.logger().child("plex"),
                base_url=self._settings["plex_url"],
                token=self._settings.get("plex_token"),
            ),
        )
        return plex

    def youtube(self) -> YouTubeService:
        if not self._settings.get("youtube_enabled"):
            raise LookupError("youtube is not enabled")
        youtube: YouTubeService = self._once(
            "youtube",
            lambda: YouTubeService(
                self.http(),
                self.cache().with_namespace("youtube"),
                self.logger().child("youtube"),
                api_key=self._settings["youtube_api_key"],
                region=self._settings.get("youtube_region", "US"),
            ),
        )
        return youtube

    def close(self) -> list[str]:
        """Close what was built, in reverse order of building; return the names."""
        closed = []
        for name in reversed(list(self._built)):
            service = self._built[name]
            if name in ("http", "redis", "database"):
                service.close()
                closed.append(name)
            elif name == "logger":
                service.flush()
                closed.append(name)
        self._built.clear()
        return closed


def build_auth_controller(settings: Mapping[str, Any]) -> AuthController:
    """The auth controller and everything it needs, for a web worker."""
    return Container(settings).auth()
