"""Error paths: a collaborator fails, and the service reacts as documented.

One table, one generated test per row: the row names the service to build,
the collaborator method that raises, what is raised, and what the service
must do about it (raise its own error, or fail open with a fallback value).
"""

from __future__ import annotations

import unittest
from dataclasses import dataclass, field
from typing import Any, Callable
from unittest import mock

from mockpool._demo.services.auth import AuthController
from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.database import Database
from mockpool._demo.services.device_sessions import DeviceSessionService
from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.errors import (
    ConnectionFailed,
    DatabaseError,
    DecryptionError,
    HttpStatusError,
    IntegrityError,
    InvalidToken,
    MediaNotFound,
    PlexError,
    QuotaExceeded,
    RedisConnectionError,
    RedisError,
    RequestTimeout,
    SessionNotFound,
    TokenExpired,
    TokenRevoked,
    YouTubeError,
)
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.jwt import JwtService
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.plex import PlexService
from mockpool._demo.services.redis import RedisService
from mockpool._demo.services.youtube import YouTubeService
from mockpool._demo.tests.support import response


class Env:
    """The service under test and its autospecced collaborators, by name."""

    def __init__(self, case: unittest.TestCase, kind: str) -> None:
        self.mocks: dict[str, Any] = {}
        self.service: Any = getattr(self, f"_build_{kind}")(case)

    def _spec(self, name: str, cls: type) -> Any:
        self.mocks[name] = mock.create_autospec(cls, instance=True)
        return self.mocks[name]

    def _patch(
        self, case: unittest.TestCase, name: str, owner: type, attribute: str
    ) -> None:
        patcher = mock.patch.object(owner, attribute, autospec=True)
        self.mocks[name] = patcher.start()
        case.addCleanup(patcher.stop)

    def _build_cache(self, case: unittest.TestCase) -> CacheService:
        return CacheService(
            self._spec("redis", RedisService), logger=self._spec("log", Logger)
        )

    def _build_plex(self, case: unittest.TestCase) -> PlexService:
        cache = self._spec("cache", CacheService)
        cache.get_or_set.side_effect = lambda key, factory, ttl=None: factory()
        return PlexService(
            cache, self._spec("http", HttpClient), self._spec("log", Logger)
        )

    def _build_youtube(self, case: unittest.TestCase) -> YouTubeService:
        cache = self._spec("cache", CacheService)
        cache.get.return_value = None
        return YouTubeService(
            self._spec("http", HttpClient),
            cache,
            self._spec("log", Logger),
            api_key="K",
        )

    def _build_sessions(self, case: unittest.TestCase) -> DeviceSessionService:
        redis = self._spec("redis", RedisService)
        redis.smembers.return_value = set()
        redis.hgetall.return_value = {}
        jwt = self._spec("jwt", JwtService)
        database = self._spec("database", Database)
        database.fetch_one.return_value = None
        return DeviceSessionService(redis, jwt, database)

    def _build_auth(self, case: unittest.TestCase) -> AuthController:
        database = self._spec("database", Database)
        database.fetch_one.return_value = {
            "id": 1,
            "username": "ann",
            "password_hash": "h",
            "failed_attempts": 0,
            "locked_until": 0,
        }
        encryption = self._spec("encryption", EncryptionService)
        encryption.verify_password.return_value = True
        encryption.needs_rehash.return_value = False
        return AuthController(
            self._spec("jwt", JwtService),
            encryption,
            self._spec("sessions", DeviceSessionService),
            database,
            logger=self._spec("log", Logger),
        )

    def _build_http(self, case: unittest.TestCase) -> HttpClient:
        self._patch(case, "send", HttpClient, "_send")
        return HttpClient(
            "https://api.test", logger=self._spec("log", Logger), sleep=mock.Mock()
        )

    def _build_database(self, case: unittest.TestCase) -> Database:
        self._patch(case, "run", Database, "_run")
        return Database("sqlite:///demo", logger=self._spec("log", Logger))

    def _build_redis(self, case: unittest.TestCase) -> RedisService:
        self._patch(case, "execute", RedisService, "_execute")
        return RedisService(logger=self._spec("log", Logger))

    def _build_shipping(self, case: unittest.TestCase) -> Logger:
        self._patch(case, "emit", Logger, "_emit")
        return Logger("app", shipper=self._spec("http", HttpClient), batch_size=1)

    def _build_jwt(self, case: unittest.TestCase) -> JwtService:
        encryption = self._spec("encryption", EncryptionService)
        encryption.b64decode.side_effect = EncryptionService.b64decode
        return JwtService(encryption)


@dataclass(frozen=True)
class Scenario:
    """One row: build *kind*, make *failing* raise *error*, run *action*."""

    kind: str
    failing: str
    error: BaseException
    action: Callable[[Any], Any]
    raises: type[BaseException] | None = None
    returns: Any = None
    check: Callable[[Env, Any], None] | None = field(default=None)


def _logged(name: str, method: str) -> Callable[[Env, Any], None]:
    def check(env: Env, result: Any) -> None:
        getattr(env.mocks[name], method).assert_called()

    return check


JWT_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"

SCENARIOS: dict[str, Scenario] = {
    # -- the cache fails open -------------------------------------------------
    "cache_get_redis_down": Scenario(
        "cache",
        "redis.get",
        RedisConnectionError("down"),
        lambda s: s.get("k", "d"),
        returns="d",
        check=_logged("log", "warning"),
    ),
    "cache_set_redis_down": Scenario(
        "cache",
        "redis.set",
        RedisConnectionError("down"),
        lambda s: s.set("k", 1),
        returns=False,
        check=_logged("log", "warning"),
    ),
    "cache_add_redis_error": Scenario(
        "cache",
        "redis.set",
        RedisError("READONLY"),
        lambda s: s.add("k", 1),
        returns=False,
    ),
    "cache_delete_redis_down": Scenario(
        "cache",
        "redis.delete",
        RedisConnectionError("down"),
        lambda s: s.delete("k"),
        returns=False,
    ),
    "cache_get_many_redis_down": Scenario(
        "cache",
        "redis.mget",
        RedisConnectionError("down"),
        lambda s: s.get_many(["a", "b"]),
        returns={},
    ),
    "cache_incr_is_not_fail_open": Scenario(
        "cache",
        "redis.incr",
        RedisConnectionError("down"),
        lambda s: s.incr("n"),
        raises=RedisConnectionError,
    ),
    "cache_lock_is_not_fail_open": Scenario(
        "cache",
        "redis.set",
        RedisConnectionError("down"),
        lambda s: s.lock("job"),
        raises=RedisConnectionError,
    ),
    "cache_touch_is_not_fail_open": Scenario(
        "cache",
        "redis.expire",
        RedisConnectionError("down"),
        lambda s: s.touch("k"),
        raises=RedisConnectionError,
    ),
    "cache_get_or_set_recomputes": Scenario(
        "cache",
        "redis.get",
        RedisConnectionError("down"),
        lambda s: s.get_or_set("k", lambda: 5),
        returns=5,
    ),
    # -- Plex maps HTTP failures ----------------------------------------------
    "plex_libraries_timeout": Scenario(
        "plex",
        "http.get",
        RequestTimeout("t"),
        lambda s: s.libraries(),
        raises=PlexError,
        check=_logged("log", "error"),
    ),
    "plex_metadata_404": Scenario(
        "plex",
        "http.get",
        HttpStatusError(404, "u"),
        lambda s: s.metadata("1"),
        raises=MediaNotFound,
    ),
    "plex_search_401": Scenario(
        "plex",
        "http.get",
        HttpStatusError(401, "u"),
        lambda s: s.search("x"),
        raises=PlexError,
    ),
    "plex_children_502": Scenario(
        "plex",
        "http.get",
        HttpStatusError(502, "u"),
        lambda s: s.children("1"),
        raises=PlexError,
    ),
    "plex_pause_refused": Scenario(
        "plex",
        "http.post",
        ConnectionFailed("c"),
        lambda s: s.pause("tv"),
        raises=PlexError,
        check=_logged("log", "warning"),
    ),
    "plex_scrobble_500": Scenario(
        "plex",
        "http.put",
        HttpStatusError(500, "u"),
        lambda s: s.mark_watched("1"),
        raises=PlexError,
    ),
    "plex_on_deck_refused": Scenario(
        "plex",
        "http.get",
        ConnectionFailed("c"),
        lambda s: s.on_deck(),
        raises=PlexError,
        check=_logged("log", "error"),
    ),
    "plex_cache_error_propagates": Scenario(
        "plex",
        "cache.get_or_set",
        RedisConnectionError("down"),
        lambda s: s.libraries(),
        raises=RedisConnectionError,
    ),
    # -- YouTube maps HTTP failures and quota answers -------------------------
    "youtube_search_timeout": Scenario(
        "youtube",
        "http.get",
        RequestTimeout("t"),
        lambda s: s.search("x"),
        raises=YouTubeError,
        check=_logged("log", "error"),
    ),
    "youtube_quota_403": Scenario(
        "youtube",
        "http.get",
        HttpStatusError(403, "u", b"quotaExceeded"),
        lambda s: s.video("dQw4w9WgXcQ"),
        raises=QuotaExceeded,
    ),
    "youtube_video_500": Scenario(
        "youtube",
        "http.get",
        HttpStatusError(500, "u"),
        lambda s: s.video("dQw4w9WgXcQ"),
        raises=YouTubeError,
    ),
    "youtube_comments_disabled": Scenario(
        "youtube",
        "http.get",
        HttpStatusError(403, "u", b"commentsDisabled"),
        lambda s: s.comments("dQw4w9WgXcQ"),
        returns=[],
    ),
    "youtube_channel_404": Scenario(
        "youtube",
        "http.get",
        HttpStatusError(404, "u"),
        lambda s: s.channel("UC0"),
        raises=YouTubeError,
    ),
    "youtube_playlist_refused": Scenario(
        "youtube",
        "http.get",
        ConnectionFailed("c"),
        lambda s: s.playlist_items("PL1"),
        raises=YouTubeError,
    ),
    "youtube_cache_read_error_propagates": Scenario(
        "youtube",
        "cache.get",
        RedisConnectionError("down"),
        lambda s: s.search("x"),
        raises=RedisConnectionError,
    ),
    # -- device sessions ------------------------------------------------------
    "sessions_start_redis_down": Scenario(
        "sessions",
        "redis.smembers",
        RedisConnectionError("down"),
        lambda s: s.start("u1", "d1"),
        raises=RedisConnectionError,
    ),
    "sessions_start_insert_fails": Scenario(
        "sessions",
        "database.insert",
        IntegrityError("dup"),
        lambda s: s.start("u1", "d1"),
        raises=IntegrityError,
    ),
    "sessions_refresh_expired": Scenario(
        "sessions",
        "jwt.verify",
        TokenExpired("old"),
        lambda s: s.refresh("r"),
        raises=TokenExpired,
    ),
    "sessions_access_invalid": Scenario(
        "sessions",
        "jwt.verify",
        InvalidToken("bad"),
        lambda s: s.validate_access("a"),
        raises=InvalidToken,
    ),
    "sessions_get_database_down": Scenario(
        "sessions",
        "database.fetch_one",
        DatabaseError("gone"),
        lambda s: s.get("s1"),
        raises=DatabaseError,
    ),
    "sessions_purge_fails": Scenario(
        "sessions",
        "database.execute",
        DatabaseError("locked"),
        lambda s: s.purge_expired(),
        raises=DatabaseError,
    ),
    "sessions_require_unknown": Scenario(
        "sessions",
        "redis.hgetall",
        RedisError("WRONGTYPE"),
        lambda s: s.require("s1"),
        raises=RedisError,
    ),
    # -- the auth controller --------------------------------------------------
    "auth_login_database_down": Scenario(
        "auth",
        "database.fetch_one",
        DatabaseError("gone"),
        lambda s: s.login("ann", "pw", device_id="d"),
        raises=DatabaseError,
    ),
    "auth_login_session_fails": Scenario(
        "auth",
        "sessions.start",
        RedisConnectionError("down"),
        lambda s: s.login("ann", "pw", device_id="d"),
        raises=RedisConnectionError,
    ),
    "auth_login_update_fails": Scenario(
        "auth",
        "database.update",
        DatabaseError("readonly"),
        lambda s: s.login("ann", "pw", device_id="d"),
        raises=DatabaseError,
    ),
    "auth_logout_expired": Scenario(
        "auth",
        "jwt.verify",
        TokenExpired("x"),
        lambda s: s.logout("a"),
        raises=TokenExpired,
    ),
    "auth_refresh_revoked": Scenario(
        "auth",
        "sessions.refresh",
        TokenRevoked("x"),
        lambda s: s.refresh("r"),
        raises=TokenRevoked,
    ),
    "auth_authenticate_unknown_session": Scenario(
        "auth",
        "sessions.validate_access",
        SessionNotFound("s"),
        lambda s: s.authenticate("Bearer a"),
        raises=SessionNotFound,
    ),
    "auth_me_invalid": Scenario(
        "auth",
        "jwt.verify",
        InvalidToken("x"),
        lambda s: s.me("a"),
        raises=InvalidToken,
    ),
    "auth_verify_password_crash": Scenario(
        "auth",
        "encryption.verify_password",
        DecryptionError("x"),
        lambda s: s.login("ann", "pw", device_id="d"),
        raises=DecryptionError,
    ),
    "auth_change_password_update_fails": Scenario(
        "auth",
        "database.update",
        DatabaseError("readonly"),
        lambda s: s.change_password("a", "old", "New-Password-1"),
        raises=DatabaseError,
        check=lambda env, _: env.mocks["sessions"].revoke_all.assert_not_called(),
    ),
    # -- leaf operations ------------------------------------------------------
    "http_get_retries_then_raises": Scenario(
        "http",
        "send",
        RequestTimeout("t"),
        lambda s: s.get("/x"),
        raises=RequestTimeout,
        check=_logged("log", "warning"),
    ),
    "http_post_raises_at_once": Scenario(
        "http",
        "send",
        ConnectionFailed("c"),
        lambda s: s.post("/x", json={}),
        raises=ConnectionFailed,
    ),
    "http_exists_transport_error": Scenario(
        "http",
        "send",
        ConnectionFailed("c"),
        lambda s: s.exists("/x"),
        raises=ConnectionFailed,
    ),
    "database_execute_logs": Scenario(
        "database",
        "run",
        IntegrityError("dup"),
        lambda s: s.execute("INSERT INTO t VALUES (1)"),
        raises=IntegrityError,
        check=_logged("log", "error"),
    ),
    "database_transaction_rolls_back": Scenario(
        "database",
        "run",
        DatabaseError("begin failed"),
        lambda s: s.execute_many("INSERT INTO t VALUES (?)", [(1,)]),
        raises=DatabaseError,
    ),
    "redis_command_logs": Scenario(
        "redis",
        "execute",
        RedisConnectionError("refused"),
        lambda s: s.get("k"),
        raises=RedisConnectionError,
        check=_logged("log", "error"),
    ),
    "redis_ping_is_false": Scenario(
        "redis",
        "execute",
        RedisConnectionError("refused"),
        lambda s: s.ping(),
        returns=False,
    ),
    "shipping_keeps_records": Scenario(
        "shipping",
        "http.post",
        HttpStatusError(503, "/logs"),
        lambda s: s.info("x") and s.pending,
        returns=1,
    ),
    "jwt_undecodable_signature": Scenario(
        "jwt",
        "encryption.verify_signature",
        DecryptionError("x"),
        lambda s: s.verify(JWT_TOKEN),
        raises=DecryptionError,
    ),
    "jwt_signing_fails": Scenario(
        "jwt",
        "encryption.generate_token",
        RuntimeError("no entropy"),
        lambda s: s.sign({"sub": "1"}),
        raises=RuntimeError,
    ),
}


class ErrorPathTests(unittest.TestCase):
    """Generated below, one test per row of :data:`SCENARIOS`."""

    def run_scenario(self, scenario: Scenario) -> None:
        env = Env(self, scenario.kind)
        owner, _, method = scenario.failing.rpartition(".")
        failing = getattr(env.mocks[owner], method) if owner else env.mocks[method]
        failing.side_effect = scenario.error
        if scenario.raises is not None:
            with self.assertRaises(scenario.raises):
                scenario.action(env.service)
            result = None
        else:
            result = scenario.action(env.service)
            self.assertEqual(result, scenario.returns)
        failing.assert_called()
        if scenario.check is not None:
            scenario.check(env, result)


def _make_test(name: str, scenario: Scenario) -> Callable[[ErrorPathTests], None]:
    def test(self: ErrorPathTests) -> None:
        self.run_scenario(scenario)

    outcome = (
        scenario.raises.__name__ if scenario.raises else f"returns {scenario.returns!r}"
    )
    test.__doc__ = (
        f"{scenario.failing} raising {type(scenario.error).__name__}: {outcome}."
    )
    test.__name__ = test.__qualname__ = f"test_{name}"
    return test


for _name, _scenario in SCENARIOS.items():
    setattr(ErrorPathTests, f"test_{_name}", _make_test(_name, _scenario))


class StatusResponseTests(unittest.TestCase):
    """Error statuses that come back as responses rather than exceptions."""

    def setUp(self) -> None:
        self.http = mock.create_autospec(HttpClient, instance=True)
        self.log = mock.create_autospec(Logger, instance=True)
        self.cache = mock.create_autospec(CacheService, instance=True)
        self.cache.get_or_set.side_effect = lambda key, factory, ttl=None: factory()

    def test_plex_answer_without_container(self) -> None:
        """An answer without MediaContainer is an empty library list."""
        self.http.get.return_value = response(200, {"unexpected": True})
        plex = PlexService(self.cache, self.http, self.log)
        self.assertEqual(plex.libraries(), [])

    def test_youtube_answer_without_items(self) -> None:
        """An answer without items is an empty page."""
        self.cache.get.return_value = None
        self.http.get.return_value = response(200, {})
        youtube = YouTubeService(self.http, self.cache, self.log, api_key="K")
        self.assertEqual(youtube.search("x").video_ids, ())
        self.assertEqual(youtube.quota_used, 100)


if __name__ == "__main__":
    unittest.main()
