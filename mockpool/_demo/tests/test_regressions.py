"""Regression tests, one per fixed bug, named after the issue.

Each test reproduces the report with the collaborators the report involved,
autospecced, and pins the fix.
"""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.auth import AuthController
from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.container import Container
from mockpool._demo.services.database import Database, QueryResult
from mockpool._demo.services.device_sessions import DeviceSession, DeviceSessionService
from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.errors import (
    CacheError,
    DatabaseError,
    InvalidCredentials,
    InvalidToken,
    PermissionDenied,
    PlexError,
    RedisConnectionError,
    RequestTimeout,
    TokenRevoked,
    YouTubeError,
)
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.jwt import JwtService, TokenPair
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.plex import PlexService
from mockpool._demo.services.redis import RedisService
from mockpool._demo.services.youtube import YouTubeService
from mockpool._demo.tests.support import response, start_patch

NOW = 1_700_000_000.0
SETTINGS = {"secret_key": "s" * 32, "database_url": "sqlite:///app.db"}


def session(n: int = 1, **overrides: Any) -> DeviceSession:
    values: dict[str, Any] = {
        "session_id": f"s{n}",
        "user_id": "7",
        "device_id": f"d{n}",
        "device_name": "Phone",
        "created_at": NOW,
        "last_seen": NOW,
        "refresh_jti": "j",
    }
    values.update(overrides)
    return DeviceSession(**values)


class CacheRegressions(unittest.TestCase):
    """Issues filed against the cache."""

    def setUp(self) -> None:
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.logger = mock.create_autospec(Logger, instance=True)
        self.cache = CacheService(self.redis, logger=self.logger)

    def test_issue_112_cached_zero_was_a_miss(self) -> None:
        """#112: get_or_set recomputed cached falsy values."""
        self.redis.get.return_value = b"0"
        factory = mock.Mock(return_value=9)
        self.assertEqual(self.cache.get_or_set("k", factory), 0)
        factory.assert_not_called()

    def test_issue_131_ttl_zero_meant_default(self) -> None:
        """#131: ttl=0 was treated like None and got the default TTL."""
        self.cache.set("k", 1, ttl=0)
        self.redis.set.assert_called_once_with("app:v1:k", b"1")

    def test_issue_140_long_keys_broke_redis_cluster(self) -> None:
        """#140: keys over 200 characters are hashed, deterministically."""
        key = self.cache.make_key("search", "q" * 500)
        self.assertLessEqual(len(key), CacheService.MAX_KEY_LENGTH)
        self.assertEqual(key, self.cache.make_key("search", "q" * 500))

    def test_issue_151_corrupt_entry_crashed_the_page(self) -> None:
        """#151: a half-written entry raised instead of being a miss."""
        self.redis.get.return_value = b'{"a": '
        self.assertEqual(self.cache.get("k", []), [])
        self.redis.delete.assert_called_once_with("app:v1:k")

    def test_issue_163_bool_ttl_accepted(self) -> None:
        """#163: ttl=True was 1 second."""
        with self.assertRaises(CacheError):
            self.cache.set("k", 1, ttl=True)
        self.redis.set.assert_not_called()

    def test_issue_178_sub_namespace_lost_the_logger(self) -> None:
        """#178: with_namespace dropped the logger, hiding redis errors."""
        child = self.cache.with_namespace("plex")
        self.redis.get.side_effect = RedisConnectionError("down")
        child.get("k")
        self.logger.warning.assert_called_once()

    def test_issue_190_unlock_released_a_stolen_lock(self) -> None:
        """#190: unlock deleted a lock that had expired and been retaken."""
        self.redis.get.return_value = b"worker-2"
        self.assertFalse(self.cache.unlock("job", owner="worker-1"))
        self.redis.delete.assert_not_called()


class HttpRegressions(unittest.TestCase):
    """Issues filed against the HTTP client."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.sleep = mock.Mock()
        patcher = mock.patch.object(HttpClient, "_send", autospec=True)
        self.send = patcher.start()
        self.addCleanup(patcher.stop)
        self.client = HttpClient(
            "https://api.test/v2", logger=self.logger, sleep=self.sleep
        )

    def test_issue_204_base_path_was_dropped(self) -> None:
        """#204: a base URL with a path lost it when joining '/x'."""
        self.send.return_value = response(200)
        self.client.get("/users")
        self.assertEqual(self.send.call_args.args[2], "https://api.test/v2/users")

    def test_issue_211_post_retried_and_charged_twice(self) -> None:
        """#211: a timed-out POST was retried and the order placed twice."""
        self.send.side_effect = RequestTimeout("t")
        with self.assertRaises(RequestTimeout):
            self.client.post("/orders", json={"sku": 1})
        self.send.assert_called_once()

    def test_issue_219_retry_after_hours(self) -> None:
        """#219: Retry-After: 3600 blocked a worker for an hour."""
        self.send.side_effect = [
            response(429, headers={"Retry-After": "3600"}),
            response(200),
        ]
        self.client.get("/x")
        self.sleep.assert_called_once_with(HttpClient.MAX_BACKOFF)

    def test_issue_226_header_case_duplicates(self) -> None:
        """#226: 'content-type' and 'Content-Type' were both sent."""
        self.send.return_value = response(200)
        self.client.post(
            "/x", json={}, headers={"content-type": "application/merge-patch+json"}
        )
        headers = self.send.call_args.args[3]
        self.assertEqual(
            [k for k in headers if k.lower() == "content-type"], ["Content-Type"]
        )

    def test_issue_232_none_params_sent_as_text(self) -> None:
        """#232: params={'page': None} sent page=None."""
        self.send.return_value = response(200)
        self.client.get("/x", params={"page": None, "q": "a"})
        self.assertEqual(self.send.call_args.args[2], "https://api.test/v2/x?q=a")


class AuthRegressions(unittest.TestCase):
    """Issues filed against logins and sessions."""

    def setUp(self) -> None:
        self.jwt = mock.create_autospec(JwtService, instance=True)
        self.encryption = mock.create_autospec(EncryptionService, instance=True)
        self.sessions = mock.create_autospec(DeviceSessionService, instance=True)
        self.database = mock.create_autospec(Database, instance=True)
        self.auth = AuthController(
            self.jwt, self.encryption, self.sessions, self.database, clock=lambda: NOW
        )

    def test_issue_301_username_enumeration_by_timing(self) -> None:
        """#301: unknown users answered faster than wrong passwords."""
        self.database.fetch_one.return_value = None
        with self.assertRaises(InvalidCredentials):
            self.auth.login("ghost", "pw", device_id="d")
        self.encryption.verify_password.assert_called_once_with(
            "pw", AuthController.DUMMY_HASH
        )

    def test_issue_309_lockout_counted_successes(self) -> None:
        """#309: a success did not reset failed_attempts."""
        self.database.fetch_one.return_value = {
            "id": 1,
            "password_hash": "h",
            "failed_attempts": 3,
            "locked_until": 0,
            "scopes": "",
        }
        self.encryption.verify_password.return_value = True
        self.encryption.needs_rehash.return_value = False
        self.sessions.start.return_value = (session(), TokenPair("a", "r", 900))
        self.auth.login("ann", "pw", device_id="d")
        self.assertEqual(self.database.update.call_args.args[1]["failed_attempts"], 0)

    def test_issue_317_revoke_someone_elses_session(self) -> None:
        """#317: any user could revoke any session id."""
        self.jwt.verify.return_value = {"sub": "8", "sid": "x"}
        self.sessions.get.return_value = session(user_id="7")
        with self.assertRaises(PermissionDenied):
            self.auth.revoke_device("a", "s1")
        self.sessions.revoke.assert_not_called()

    def test_issue_324_change_password_signed_out_current_device(self) -> None:
        """#324: changing the password logged the user out of the device used."""
        self.jwt.verify.return_value = {"sub": "1", "sid": "s-current"}
        self.database.fetch_one.return_value = {
            "id": 1,
            "username": "ann",
            "password_hash": "h",
        }
        self.encryption.verify_password.return_value = True
        self.auth.change_password("a", "old", "Brand-New-Pass-1")
        self.assertEqual(
            self.sessions.revoke_all.call_args.kwargs["except_session"], "s-current"
        )

    def test_issue_330_bearer_lower_case(self) -> None:
        """#330: 'bearer' in lower case was refused by some clients' proxies."""
        self.sessions.validate_access.return_value = (session(), {"sub": "7"})
        self.assertEqual(self.auth.authenticate("bearer tok"), {"sub": "7"})

    def test_issue_338_reset_token_stored_in_clear(self) -> None:
        """#338: password reset tokens were stored as issued."""
        self.database.get.return_value = {"id": 1}
        self.encryption.generate_token.return_value = "RAW"
        self.encryption.fingerprint.return_value = "FP"
        self.auth.request_password_reset("a@b.io")
        row = self.database.insert.call_args.args[1]
        self.assertEqual(row["token_hash"], "FP")
        self.assertNotIn("RAW", row.values())


class SessionRegressions(unittest.TestCase):
    """Issues filed against device sessions."""

    def setUp(self) -> None:
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.jwt = mock.create_autospec(JwtService, instance=True)
        self.database = mock.create_autospec(Database, instance=True)
        self.service = DeviceSessionService(
            self.redis, self.jwt, self.database, clock=lambda: NOW
        )

    def test_issue_402_index_grew_forever(self) -> None:
        """#402: expired session ids stayed in the user's index set."""
        self.redis.smembers.return_value = {"gone"}
        self.redis.hgetall.return_value = {}
        self.assertEqual(self.service.list_sessions("7"), [])
        self.redis.srem.assert_called_once_with("device-session:user:7", "gone")

    def test_issue_409_revoked_row_recached(self) -> None:
        """#409: a revoked session read from the database was put back in redis."""
        self.redis.hgetall.return_value = {}
        row = dict(session().to_hash(), revoked=1)
        self.database.fetch_one.return_value = row
        self.assertFalse(self.service.is_active("s1"))
        self.redis.hset.assert_not_called()

    def test_issue_415_reuse_detection_missed_revoked(self) -> None:
        """#415: a revoked session could still refresh."""
        self.jwt.verify.return_value = {"sid": "s1", "jti": "j"}
        self.redis.hgetall.return_value = {
            k: v.encode() for k, v in session(revoked=True).to_hash().items()
        }
        with self.assertRaises(TokenRevoked):
            self.service.refresh("r")
        self.jwt.refresh.assert_not_called()

    def test_issue_421_device_names_with_newlines(self) -> None:
        """#421: device names with control characters broke the account page."""
        self.redis.hgetall.return_value = {
            k: v.encode() for k, v in session().to_hash().items()
        }
        renamed = self.service.rename_device("s1", "Evil\nName\t")
        self.assertEqual(renamed.device_name, "Evil Name")


class MediaRegressions(unittest.TestCase):
    """Issues filed against the Plex and YouTube integrations."""

    def setUp(self) -> None:
        self.http = mock.create_autospec(HttpClient, instance=True)
        self.cache = mock.create_autospec(CacheService, instance=True)
        self.log = mock.create_autospec(Logger, instance=True)
        self.cache.get.return_value = None
        self.cache.get_or_set.side_effect = lambda key, factory, ttl=None: factory()

    def test_issue_503_plex_token_in_logs(self) -> None:
        """#503: the Plex token was logged with failing URLs."""
        self.http.get.side_effect = RequestTimeout("t")
        plex = PlexService(self.cache, self.http, self.log, token="SECRET")
        with self.assertRaises(PlexError):
            plex.libraries()
        self.assertNotIn("SECRET", repr(self.log.mock_calls))

    def test_issue_511_search_cache_key_ignored_kind(self) -> None:
        """#511: searching movies after shows returned the shows."""
        self.http.get.return_value = response(200, {"MediaContainer": {}})
        plex = PlexService(self.cache, self.http, self.log)
        plex.search("x", kind="movie")
        plex.search("x", kind="show")
        keys = [c.args[0] for c in self.cache.get_or_set.call_args_list]
        self.assertEqual(len(set(keys)), 2)

    def test_issue_520_youtube_key_in_cache_keys(self) -> None:
        """#520: the API key was part of cache keys (and so of redis dumps)."""
        self.http.get.return_value = response(200, {"items": []})
        youtube = YouTubeService(self.http, self.cache, self.log, api_key="APIKEY")
        youtube.search("x")
        self.assertNotIn("APIKEY", self.cache.set.call_args.args[0])

    def test_issue_527_shorts_urls(self) -> None:
        """#527: /shorts/ URLs were not recognised."""
        self.assertEqual(
            YouTubeService.extract_video_id("https://youtube.com/shorts/abcdefghijk"),
            "abcdefghijk",
        )
        self.http.get.assert_not_called()

    def test_issue_533_quota_not_restored_by_errors(self) -> None:
        """#533: after a quota error the service kept calling the API."""
        self.http.get.side_effect = YouTubeError("x")
        youtube = YouTubeService(
            self.http, self.cache, self.log, api_key="K", daily_quota=100
        )
        with self.assertRaises(YouTubeError):
            youtube.search("x")
        with self.assertRaises(YouTubeError):
            youtube.search("y")
        self.http.get.assert_called_once()


class ContainerRegressions(unittest.TestCase):
    """Issues filed against the wiring."""

    def setUp(self) -> None:
        self.redis_cls = start_patch(
            self, "mockpool._demo.services.container.RedisService", autospec=True
        )
        self.database_cls = start_patch(
            self, "mockpool._demo.services.container.Database", autospec=True
        )
        self.logger_cls = start_patch(
            self, "mockpool._demo.services.container.Logger", autospec=True
        )
        self.redis_cls.DEFAULT_URL = RedisService.DEFAULT_URL

    def test_issue_601_two_redis_pools(self) -> None:
        """#601: the cache and the sessions each opened a redis pool."""
        container = Container(SETTINGS)
        container.cache()
        container.device_sessions()
        self.redis_cls.assert_called_once()

    def test_issue_607_close_skipped_the_database(self) -> None:
        """#607: close() forgot the database pool."""
        container = Container(SETTINGS)
        container.database()
        container.close()
        self.database_cls.return_value.close.assert_called_once_with()

    def test_issue_612_logger_not_flushed_on_close(self) -> None:
        """#612: shipped logs were lost at shutdown."""
        container = Container(SETTINGS)
        container.logger()
        container.close()
        self.logger_cls.return_value.flush.assert_called_once_with()

    @mock.patch("mockpool._demo.services.container.YouTubeService", autospec=True)
    @mock.patch("mockpool._demo.services.container.PlexService", autospec=True)
    @mock.patch("mockpool._demo.services.container.CacheService", autospec=True)
    @mock.patch("mockpool._demo.services.container.HttpClient", autospec=True)
    def test_issue_624_one_http_client_for_media(
        self,
        http_cls: mock.MagicMock,
        cache_cls: mock.MagicMock,
        plex_cls: mock.MagicMock,
        youtube_cls: mock.MagicMock,
    ) -> None:
        """#624: Plex and YouTube each opened their own HTTP connection pool."""
        http_cls.DEFAULT_TIMEOUT = HttpClient.DEFAULT_TIMEOUT
        http_cls.DEFAULT_RETRIES = HttpClient.DEFAULT_RETRIES
        cache_cls.DEFAULT_TTL = CacheService.DEFAULT_TTL
        settings = {
            **SETTINGS,
            "plex_enabled": True,
            "plex_url": "http://plex:32400",
            "youtube_enabled": True,
            "youtube_api_key": "K",
        }
        container = Container(settings)
        container.plex()
        container.youtube()
        http_cls.assert_called_once()
        self.assertIs(plex_cls.call_args.args[1], youtube_cls.call_args.args[0])

    def test_issue_618_default_redis_url(self) -> None:
        """#618: without redis_url the container passed None."""
        Container(SETTINGS).redis()
        self.assertEqual(self.redis_cls.call_args.args[0], RedisService.DEFAULT_URL)


class DatabaseRegressions(unittest.TestCase):
    """Issues filed against the database handle."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.driver = start_patch(
            self, "mockpool._demo.services.database.Database._run", autospec=True
        )
        self.driver.return_value = QueryResult(rowcount=0)
        self.db = Database("sqlite:///x", logger=self.logger)

    def test_issue_702_update_without_where(self) -> None:
        """#702: update(table, values, {}) updated every row."""
        with self.assertRaises(DatabaseError):
            self.db.update("users", {"admin": 1}, {})
        self.driver.assert_not_called()

    def test_issue_708_question_mark_in_literal(self) -> None:
        """#708: a '?' inside a string literal counted as a placeholder."""
        self.db.execute("SELECT * FROM t WHERE note = 'why?' AND id = ?", (1,))
        self.driver.assert_called_once()

    def test_issue_715_empty_in_list(self) -> None:
        """#715: where={'id': []} produced 'IN ()', a syntax error."""
        self.db.select("t", where={"id": []})
        self.assertIn("1 = 0", self.driver.call_args.args[1])

    def test_issue_721_identifier_injection(self) -> None:
        """#721: order_by accepted arbitrary SQL."""
        with self.assertRaises(DatabaseError):
            self.db.select("t", order_by="id; DROP TABLE t")


class TokenRegressions(unittest.TestCase):
    """Issues filed against tokens."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.encryption = EncryptionService(b"r" * 32, iterations=1, logger=self.logger)
        self.jwt = JwtService(self.encryption, clock=lambda: NOW, logger=self.logger)

    def test_issue_801_alg_none_accepted(self) -> None:
        """#801: a token with alg 'none' and no signature verified."""
        header = EncryptionService.b64encode(b'{"alg":"none"}')
        payload = EncryptionService.b64encode(b'{"sub":"admin"}')
        with self.assertRaises(InvalidToken):
            self.jwt.verify(f"{header}.{payload}.x")

    def test_issue_806_refresh_kept_custom_claims(self) -> None:
        """#806: refreshed tokens lost their session id."""
        pair = self.jwt.issue_pair("7", extra={"sid": "s1"})
        refreshed = self.jwt.refresh(pair.refresh)
        self.assertEqual(self.jwt.decode(refreshed.access)["sid"], "s1")

    def test_issue_812_scope_order_changed_tokens(self) -> None:
        """#812: the same scopes in another order gave another token."""
        first = self.jwt.decode(self.jwt.issue_pair("7", scopes=["b", "a"]).access)
        second = self.jwt.decode(self.jwt.issue_pair("7", scopes=["a", "b"]).access)
        self.assertEqual(first["scope"], second["scope"])
        self.logger.debug.assert_called()


if __name__ == "__main__":
    unittest.main()
