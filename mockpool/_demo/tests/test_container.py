"""Tests for the application wiring, with every service class patched."""

from __future__ import annotations

import unittest
from typing import Any, ClassVar
from unittest import mock

from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.container import (
    Container,
    build_auth_controller,
    validate_settings,
)
from mockpool._demo.services.device_sessions import DeviceSessionService
from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.jwt import JwtService
from mockpool._demo.services.redis import RedisService
from mockpool._demo.tests.support import cases, data_driven

MODULE = "mockpool._demo.services.container"
SERVICES = (
    "AuthController",
    "CacheService",
    "Database",
    "DeviceSessionService",
    "EncryptionService",
    "HttpClient",
    "JwtService",
    "Logger",
    "PlexService",
    "RedisService",
    "YouTubeService",
)
# Autospecced classes turn these constants into mocks; the wiring reads them.
CONSTANTS: dict[str, dict[str, Any]] = {
    "CacheService": {"DEFAULT_TTL": CacheService.DEFAULT_TTL},
    "DeviceSessionService": {"MAX_SESSIONS": DeviceSessionService.MAX_SESSIONS},
    "EncryptionService": {"MIN_KEY_SIZE": EncryptionService.MIN_KEY_SIZE},
    "HttpClient": {
        "DEFAULT_TIMEOUT": HttpClient.DEFAULT_TIMEOUT,
        "DEFAULT_RETRIES": HttpClient.DEFAULT_RETRIES,
    },
    "JwtService": {"DEFAULT_ACCESS_TTL": JwtService.DEFAULT_ACCESS_TTL},
    "RedisService": {"DEFAULT_URL": RedisService.DEFAULT_URL},
}
SETTINGS: dict[str, Any] = {
    "app_name": "demo",
    "secret_key": "s" * 32,
    "database_url": "postgresql://db/app",
    "redis_url": "redis://cache/2",
    "plex_enabled": True,
    "plex_url": "http://plex:32400",
    "plex_token": "PT",
    "youtube_enabled": True,
    "youtube_api_key": "YK",
}


class WiringTestCase(unittest.TestCase):
    """Every class the container names is patched with an autospec."""

    settings: ClassVar[dict[str, Any]] = SETTINGS

    def setUp(self) -> None:
        self.classes: dict[str, mock.MagicMock] = {}
        for name in SERVICES:
            patcher = mock.patch(f"{MODULE}.{name}", autospec=True)
            self.classes[name] = patcher.start()
            self.addCleanup(patcher.stop)
            for constant, value in CONSTANTS.get(name, {}).items():
                setattr(self.classes[name], constant, value)
        self.container = Container(self.settings)

    def instance(self, name: str) -> Any:
        return self.classes[name].return_value


@data_driven
class SettingsTests(unittest.TestCase):
    """validate_settings, with the classes it consults patched."""

    def setUp(self) -> None:
        patcher = mock.patch(f"{MODULE}.EncryptionService", autospec=True)
        self.encryption_cls = patcher.start()
        self.addCleanup(patcher.stop)
        self.encryption_cls.MIN_KEY_SIZE = 16

    def test_complete_settings(self) -> None:
        """The full settings have no problems."""
        self.assertEqual(validate_settings(SETTINGS), [])

    @cases(
        no_secret=(
            {"secret_key": ""},
            ["missing secret_key", "secret_key is too short"],
        ),
        short_secret=({"secret_key": "x" * 15}, ["secret_key is too short"]),
        no_database=({"database_url": None}, ["missing database_url"]),
        youtube_without_key=(
            {"youtube_api_key": ""},
            ["youtube_enabled needs youtube_api_key"],
        ),
        plex_without_url=({"plex_url": ""}, ["plex_enabled needs plex_url"]),
        youtube_disabled=({"youtube_enabled": False, "youtube_api_key": ""}, []),
        plex_disabled=({"plex_enabled": False, "plex_url": None}, []),
    )
    def test_problems(self, case: tuple[dict[str, Any], list[str]]) -> None:
        """Each problem is reported once."""
        overrides, expected = case
        self.assertEqual(validate_settings({**SETTINGS, **overrides}), expected)

    def test_key_size_comes_from_the_encryption_service(self) -> None:
        """The minimum key size is the service's, read at call time."""
        self.encryption_cls.MIN_KEY_SIZE = 64
        self.assertEqual(validate_settings(SETTINGS), ["secret_key is too short"])

    def test_container_refuses_bad_settings(self) -> None:
        """Container() raises with every problem listed."""
        with self.assertRaisesRegex(ValueError, "missing database_url"):
            Container({"secret_key": "s" * 32})


class BuildTests(WiringTestCase):
    """Each service is built from the settings with its collaborators."""

    def test_logger(self) -> None:
        """The logger is named after the app."""
        self.assertIs(self.container.logger(), self.instance("Logger"))
        self.classes["Logger"].assert_called_once_with("demo", level="INFO")

    def test_redis(self) -> None:
        """Redis gets the URL, prefix and logger."""
        self.assertIs(self.container.redis(), self.instance("RedisService"))
        self.classes["RedisService"].assert_called_once_with(
            "redis://cache/2", prefix="", logger=self.instance("Logger")
        )

    def test_cache(self) -> None:
        """The cache wraps redis."""
        self.container.cache()
        self.classes["CacheService"].assert_called_once_with(
            self.instance("RedisService"),
            namespace="app",
            default_ttl=CacheService.DEFAULT_TTL,
            logger=self.instance("Logger"),
        )

    def test_database(self) -> None:
        """The database gets its URL and pool size."""
        self.container.database()
        self.classes["Database"].assert_called_once_with(
            "postgresql://db/app", pool_size=5, logger=self.instance("Logger")
        )

    def test_encryption(self) -> None:
        """The encryption service gets the secret and retired keys."""
        self.container.encryption()
        self.classes["EncryptionService"].assert_called_once_with(
            "s" * 32, previous_keys=(), logger=self.instance("Logger")
        )

    def test_jwt(self) -> None:
        """The JWT service signs with the encryption service."""
        self.container.jwt()
        self.classes["JwtService"].assert_called_once_with(
            self.instance("EncryptionService"),
            issuer="mockpool-demo",
            access_ttl=JwtService.DEFAULT_ACCESS_TTL,
            logger=self.instance("Logger"),
        )

    def test_device_sessions(self) -> None:
        """Device sessions get redis, JWT and the database."""
        self.container.device_sessions()
        self.classes["DeviceSessionService"].assert_called_once_with(
            self.instance("RedisService"),
            self.instance("JwtService"),
            self.instance("Database"),
            max_sessions=DeviceSessionService.MAX_SESSIONS,
        )

    def test_auth(self) -> None:
        """The controller gets its four collaborators and the logger."""
        self.assertIs(self.container.auth(), self.instance("AuthController"))
        self.classes["AuthController"].assert_called_once_with(
            self.instance("JwtService"),
            self.instance("EncryptionService"),
            self.instance("DeviceSessionService"),
            self.instance("Database"),
            logger=self.instance("Logger"),
        )

    def test_http(self) -> None:
        """The HTTP client has no base URL; services pass absolute URLs."""
        self.container.http()
        self.classes["HttpClient"].assert_called_once_with(
            timeout=HttpClient.DEFAULT_TIMEOUT,
            retries=HttpClient.DEFAULT_RETRIES,
            logger=self.instance("Logger"),
        )

    def test_plex(self) -> None:
        """Plex gets a namespaced cache and a child logger."""
        cache, logger = self.instance("CacheService"), self.instance("Logger")
        self.container.plex()
        cache.with_namespace.assert_called_once_with("plex")
        logger.child.assert_called_once_with("plex")
        self.classes["PlexService"].assert_called_once_with(
            cache.with_namespace.return_value,
            self.instance("HttpClient"),
            logger.child.return_value,
            base_url="http://plex:32400",
            token="PT",
        )

    def test_youtube(self) -> None:
        """YouTube gets the shared client and its own cache namespace."""
        self.container.youtube()
        self.instance("CacheService").with_namespace.assert_called_once_with("youtube")
        self.classes["YouTubeService"].assert_called_once_with(
            self.instance("HttpClient"),
            self.instance("CacheService").with_namespace.return_value,
            self.instance("Logger").child.return_value,
            api_key="YK",
            region="US",
        )


@data_driven
class OnceTests(WiringTestCase):
    """Services are built once and shared."""

    @cases(
        logger=("logger", "Logger"),
        redis=("redis", "RedisService"),
        cache=("cache", "CacheService"),
        database=("database", "Database"),
        encryption=("encryption", "EncryptionService"),
        jwt=("jwt", "JwtService"),
        device_sessions=("device_sessions", "DeviceSessionService"),
        auth=("auth", "AuthController"),
        http=("http", "HttpClient"),
        plex=("plex", "PlexService"),
        youtube=("youtube", "YouTubeService"),
    )
    def test_built_once(self, case: tuple[str, str]) -> None:
        """Asking twice returns the same instance, built once."""
        method, class_name = case
        first = getattr(self.container, method)()
        self.assertIs(getattr(self.container, method)(), first)
        self.classes[class_name].assert_called_once()

    @cases(
        logger=("logger", ["logger"]),
        redis=("redis", ["logger", "redis"]),
        cache=("cache", ["cache", "logger", "redis"]),
        jwt=("jwt", ["encryption", "jwt", "logger"]),
        device_sessions=(
            "device_sessions",
            ["database", "device_sessions", "encryption", "jwt", "logger", "redis"],
        ),
        auth=(
            "auth",
            [
                "auth",
                "database",
                "device_sessions",
                "encryption",
                "jwt",
                "logger",
                "redis",
            ],
        ),
        plex=("plex", ["cache", "http", "logger", "plex", "redis"]),
    )
    def test_dependencies_are_built_on_demand(
        self, case: tuple[str, list[str]]
    ) -> None:
        """Building a service builds exactly what it needs."""
        method, built = case
        getattr(self.container, method)()
        self.assertEqual(self.container.built(), built)

    def test_shared_collaborators(self) -> None:
        """Auth and device sessions share one JWT service and one database."""
        self.container.auth()
        self.classes["JwtService"].assert_called_once()
        self.classes["Database"].assert_called_once()
        self.classes["RedisService"].assert_called_once()

    def test_nothing_is_built_up_front(self) -> None:
        """A new container has built nothing."""
        self.assertEqual(self.container.built(), [])
        for name, cls in self.classes.items():
            with self.subTest(cls=name):
                cls.assert_not_called()


class DisabledTests(WiringTestCase):
    """Optional integrations."""

    settings: ClassVar[dict[str, Any]] = {
        **SETTINGS,
        "plex_enabled": False,
        "youtube_enabled": False,
    }

    def test_plex_disabled(self) -> None:
        """A disabled Plex is a LookupError and builds nothing."""
        with self.assertRaises(LookupError):
            self.container.plex()
        self.classes["PlexService"].assert_not_called()
        self.assertEqual(self.container.built(), [])

    def test_youtube_disabled(self) -> None:
        """A disabled YouTube too."""
        with self.assertRaises(LookupError):
            self.container.youtube()
        self.classes["YouTubeService"].assert_not_called()


@data_driven
class OverrideTests(WiringTestCase):
    """Settings that change how services are built."""

    settings: ClassVar[dict[str, Any]] = {
        **SETTINGS,
        "log_level": "DEBUG",
        "redis_prefix": "demo:",
        "cache_namespace": "site",
        "cache_ttl": "60",
        "database_pool_size": "12",
        "previous_keys": ["o" * 32],
        "jwt_issuer": "issuer",
        "access_ttl": "120",
        "max_sessions": "2",
        "http_timeout": "2.5",
        "http_retries": "0",
        "youtube_region": "GB",
    }

    @cases(
        logger=("logger", "Logger", {"level": "DEBUG"}),
        redis=("redis", "RedisService", {"prefix": "demo:"}),
        cache=("cache", "CacheService", {"namespace": "site", "default_ttl": 60}),
        database=("database", "Database", {"pool_size": 12}),
        encryption=("encryption", "EncryptionService", {"previous_keys": ["o" * 32]}),
        jwt=("jwt", "JwtService", {"issuer": "issuer", "access_ttl": 120}),
        device_sessions=(
            "device_sessions",
            "DeviceSessionService",
            {"max_sessions": 2},
        ),
        http=("http", "HttpClient", {"timeout": 2.5, "retries": 0}),
        youtube=("youtube", "YouTubeService", {"region": "GB"}),
    )
    def test_override(self, case: tuple[str, str, dict[str, Any]]) -> None:
        """Each setting reaches its constructor, converted."""
        method, class_name, expected = case
        getattr(self.container, method)()
        kwargs = self.classes[class_name].call_args.kwargs
        self.assertEqual({k: kwargs[k] for k in expected}, expected)


class CloseTests(WiringTestCase):
    """close()."""

    def test_close_in_reverse_order(self) -> None:
        """Connections are closed newest first and the logger flushed."""
        self.container.auth()
        self.container.http()
        self.assertEqual(
            self.container.close(), ["http", "database", "redis", "logger"]
        )
        self.instance("HttpClient").close.assert_called_once_with()
        self.instance("Database").close.assert_called_once_with()
        self.instance("RedisService").close.assert_called_once_with()
        self.instance("Logger").flush.assert_called_once_with()
        self.assertEqual(self.container.built(), [])

    def test_close_of_an_empty_container(self) -> None:
        """Nothing built, nothing closed."""
        self.assertEqual(self.container.close(), [])

    def test_services_without_connections_are_not_closed(self) -> None:
        """The encryption service has nothing to close."""
        self.container.encryption()
        self.assertEqual(self.container.close(), ["logger"])

    def test_rebuild_after_close(self) -> None:
        """A closed container builds anew."""
        first = self.container.redis()
        self.container.close()
        self.assertIs(
            self.container.redis(), first
        )  # the class mock returns one instance
        self.assertEqual(self.classes["RedisService"].call_count, 2)


class EntryPointTests(unittest.TestCase):
    """build_auth_controller, patched the way a narrow test does."""

    @mock.patch(f"{MODULE}.AuthController", autospec=True)
    @mock.patch(f"{MODULE}.DeviceSessionService", autospec=True)
    @mock.patch(f"{MODULE}.Database", autospec=True)
    @mock.patch(f"{MODULE}.RedisService", autospec=True)
    def test_build_auth_controller(
        self,
        redis_cls: mock.MagicMock,
        database_cls: mock.MagicMock,
        sessions_cls: mock.MagicMock,
        auth_cls: mock.MagicMock,
    ) -> None:
        """The real encryption and JWT services are built; the rest are mocks."""
        auth = build_auth_controller(SETTINGS)
        self.assertIs(auth, auth_cls.return_value)
        jwt, encryption, sessions, database = auth_cls.call_args.args
        self.assertIsInstance(jwt, JwtService)
        self.assertIsInstance(encryption, EncryptionService)
        self.assertIs(sessions, sessions_cls.return_value)
        self.assertIs(database, database_cls.return_value)
        redis_cls.assert_called_once()

    @mock.patch(f"{MODULE}.Database", autospec=True)
    def test_bad_settings_build_nothing(self, database_cls: mock.MagicMock) -> None:
        """Invalid settings fail before any service is built."""
        with self.assertRaises(ValueError):
            build_auth_controller({})
        database_cls.assert_not_called()

    @mock.patch(f"{MODULE}.Logger", autospec=True)
    def test_real_logger_is_not_needed(self, logger_cls: mock.MagicMock) -> None:
        """The logger is the first thing a container builds, on demand."""
        c = Container(SETTINGS)
        c.logger()
        logger_cls.assert_called_once_with("demo", level="INFO")


if __name__ == "__main__":
    unittest.main()
