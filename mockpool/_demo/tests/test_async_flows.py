"""Asynchronous flows: real services awaited over autospecced collaborators."""

from __future__ import annotations

import asyncio
import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.auth import AuthController
from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.database import Database, QueryResult
from mockpool._demo.services.device_sessions import DeviceSessionService
from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.errors import (
    AuthError,
    ConnectionFailed,
    HttpStatusError,
    QuotaExceeded,
    RedisConnectionError,
    RequestTimeout,
    VideoUnavailable,
)
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.jwt import JwtService
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.plex import PlexService
from mockpool._demo.services.redis import RedisService
from mockpool._demo.services.youtube import YouTubeService
from mockpool._demo.tests.support import cases, data_driven, response

PLEX = "http://plex.local:32400"
VIDEO_ID = "dQw4w9WgXcQ"


@data_driven
class AsyncHttpFlowTests(unittest.IsolatedAsyncioTestCase):
    """Plex and YouTube over a real client whose ``_asend`` is autospecced."""

    def setUp(self) -> None:
        patcher = mock.patch.object(HttpClient, "_asend", autospec=True)
        self.asend: Any = patcher.start()
        self.addCleanup(patcher.stop)
        self.log = mock.create_autospec(Logger, instance=True)
        self.cache = mock.create_autospec(CacheService, instance=True)
        self.async_sleep = mock.AsyncMock()
        self.http = HttpClient(logger=self.log, async_sleep=self.async_sleep)
        self.plex = PlexService(self.cache, self.http, self.log, base_url=PLEX)
        self.youtube = YouTubeService(self.http, self.cache, self.log, api_key="K")

    async def test_plex_search_end_to_end(self) -> None:
        """asearch builds the URL the wire receives."""
        self.asend.return_value = response(
            200, {"MediaContainer": {"Metadata": [{"ratingKey": "1", "title": "Up"}]}}
        )
        items = await self.plex.asearch("up", limit=3)
        self.assertEqual([i.title for i in items], ["Up"])
        method, url = self.asend.await_args.args[1:3]
        self.assertEqual((method, url), ("GET", f"{PLEX}/search?limit=3&query=up"))

    async def test_plex_search_retries_gateway_errors(self) -> None:
        """A 503 then a 200: the search succeeds after one async back-off."""
        self.asend.side_effect = [
            response(503),
            response(200, {"MediaContainer": {"Metadata": []}}),
        ]
        self.assertEqual(await self.plex.asearch("x"), [])
        self.async_sleep.assert_awaited_once_with(0.5)

    @cases(
        not_found=(response(404), HttpStatusError),
        server_error=(response(500), HttpStatusError),
        gateway_exhausted=(response(502), HttpStatusError),
        refused=(ConnectionFailed("c"), ConnectionFailed),
    )
    async def test_youtube_video_failures(
        self, case: tuple[Any, type[Exception]]
    ) -> None:
        """Failures of the async path surface as the client raises them."""
        outcome, error = case
        if isinstance(outcome, Exception):
            self.asend.side_effect = outcome
        else:
            self.asend.return_value = outcome
        with self.assertRaises(error):
            await self.youtube.avideo(VIDEO_ID)

    async def test_plex_search_empty_answer(self) -> None:
        """An empty body is no results, not an error."""
        self.asend.return_value = response(200)
        self.assertEqual(await self.plex.asearch("x"), [])

    async def test_youtube_video_key_in_query(self) -> None:
        """The API key is sent as a query parameter."""
        self.asend.return_value = response(200, {"items": [{"id": VIDEO_ID}]})
        await self.youtube.avideo(VIDEO_ID)
        self.assertIn("key=K", self.asend.await_args.args[2])

    async def test_youtube_video_unavailable(self) -> None:
        """An empty answer is VideoUnavailable."""
        self.asend.return_value = response(200, {"items": []})
        with self.assertRaises(VideoUnavailable):
            await self.youtube.avideo(VIDEO_ID)

    async def test_concurrent_searches(self) -> None:
        """Searches awaited together each reach the wire once."""
        self.asend.return_value = response(200, {"MediaContainer": {"Metadata": []}})
        await asyncio.gather(*(self.plex.asearch(q) for q in ("a", "b", "c")))
        self.assertEqual(self.asend.await_count, 3)
        self.assertEqual(self.http.stats()["sent"], 3)

    async def test_timeouts_exhaust_retries(self) -> None:
        """Timeouts are retried twice, then raised."""
        self.asend.side_effect = RequestTimeout("t")
        with self.assertRaises(RequestTimeout):
            await self.plex.asearch("x")
        self.assertEqual(self.asend.await_count, 3)
        self.assertEqual(
            self.async_sleep.await_args_list, [mock.call(0.5), mock.call(1.0)]
        )


@data_driven
class AsyncCacheFlowTests(unittest.IsolatedAsyncioTestCase):
    """The real cache's async read-through over an autospecced redis."""

    def setUp(self) -> None:
        self.store: dict[str, bytes] = {}
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.redis.aget.side_effect = self._aget
        self.redis.aset.side_effect = self._aset
        self.log = mock.create_autospec(Logger, instance=True)
        self.cache = CacheService(self.redis, namespace="a", logger=self.log)

    async def _aget(self, key: str) -> bytes | None:
        return self.store.get(key)

    async def _aset(self, key: str, value: bytes, *, ex: int | None = None) -> bool:
        self.store[key] = value
        return True

    async def test_second_read_is_a_hit(self) -> None:
        """The factory runs once."""
        factory = mock.AsyncMock(return_value={"v": 1})
        for _ in range(3):
            self.assertEqual(await self.cache.aget_or_set("k", factory), {"v": 1})
        factory.assert_awaited_once()
        self.assertEqual(self.cache.stats()["hits"], 2)

    @cases(
        short=("short", 60),
        long=("long", 3600),
        default=(None, 300),
        none=("none", None),
        seconds=(7, 7),
    )
    async def test_ttl(self, case: tuple[Any, int | None]) -> None:
        """The TTL policy applies to async writes (0 means no expiry)."""
        ttl, expected = case
        await self.cache.aget_or_set("k", mock.AsyncMock(return_value=1), ttl=ttl)
        self.assertEqual(self.redis.aset.await_args.kwargs, {"ex": expected})

    async def test_none_is_not_cached(self) -> None:
        """A None result is not stored."""
        await self.cache.aget_or_set("k", mock.AsyncMock(return_value=None))
        self.redis.aset.assert_not_awaited()

    async def test_redis_outage(self) -> None:
        """With redis down the factory runs every time and errors are logged."""
        self.redis.aget.side_effect = RedisConnectionError("down")
        self.redis.aset.side_effect = RedisConnectionError("down")
        factory = mock.AsyncMock(return_value=1)
        await self.cache.aget_or_set("k", factory)
        await self.cache.aget_or_set("k", factory)
        self.assertEqual(factory.await_count, 2)
        self.assertEqual(self.log.warning.call_count, 4)

    async def test_factory_errors_are_not_cached(self) -> None:
        """A failing factory stores nothing and raises."""
        with self.assertRaises(ConnectionFailed):
            await self.cache.aget_or_set(
                "k", mock.AsyncMock(side_effect=ConnectionFailed("x"))
            )
        self.assertEqual(self.store, {})


class AsyncMediaCacheTests(unittest.IsolatedAsyncioTestCase):
    """Plex libraries and YouTube ids through the real async cache."""

    def setUp(self) -> None:
        self.store: dict[str, bytes] = {}
        self.redis = mock.create_autospec(RedisService, instance=True)

        async def aget(key: str) -> bytes | None:
            return self.store.get(key)

        async def aset(key: str, value: bytes, *, ex: int | None = None) -> bool:
            self.store[key] = value
            return True

        self.redis.aget.side_effect = aget
        self.redis.aset.side_effect = aset
        self.http = mock.create_autospec(HttpClient, instance=True)
        self.log = mock.create_autospec(Logger, instance=True)
        self.cache = CacheService(self.redis, namespace="m")

    async def test_plex_libraries_cached(self) -> None:
        """The second alibraries call is served from redis."""
        self.http.aget.return_value = response(
            200,
            {
                "MediaContainer": {
                    "Directory": [{"key": "1", "title": "M", "type": "movie"}]
                }
            },
        )
        plex = PlexService(self.cache, self.http, self.log, base_url=PLEX)
        first = await plex.alibraries()
        second = await plex.alibraries()
        self.assertEqual(first, second)
        self.http.aget.assert_awaited_once()
        self.assertIn("m:v1:libraries", self.store)

    async def test_youtube_ids_cached_and_charged_once(self) -> None:
        """asearch_ids charges the quota only on a miss."""
        self.http.aget.return_value = response(
            200, {"items": [{"id": {"videoId": "v"}}]}
        )
        youtube = YouTubeService(self.http, self.cache, self.log, api_key="K")
        self.assertEqual(await youtube.asearch_ids("cats"), ["v"])
        self.assertEqual(await youtube.asearch_ids("cats"), ["v"])
        self.assertEqual(youtube.quota_used, 100)

    async def test_youtube_quota_refused_before_awaiting(self) -> None:
        """An unaffordable async search never reaches the client."""
        youtube = YouTubeService(
            self.http, self.cache, self.log, api_key="K", daily_quota=50
        )
        with self.assertRaises(QuotaExceeded):
            await youtube.asearch_ids("cats")
        self.http.aget.assert_not_awaited()


class AsyncAccountTests(unittest.IsolatedAsyncioTestCase):
    """Profile and session records read asynchronously."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.database = mock.create_autospec(Database, instance=True)
        self.redis = mock.create_autospec(RedisService, instance=True)
        encryption = EncryptionService(b"a" * 32, iterations=1)
        self.jwt = JwtService(encryption)
        self.sessions = DeviceSessionService(self.redis, self.jwt, self.database)
        self.auth = AuthController(self.jwt, encryption, self.sessions, self.database)

    async def test_ame_with_a_real_token(self) -> None:
        """A real access token is verified and the row awaited."""
        token = self.jwt.sign({"sub": "7"})
        self.database.afetch_one.return_value = {
            "id": 7,
            "username": "ann",
            "password_hash": "h",
        }
        self.assertEqual(await self.auth.ame(token), {"id": 7, "username": "ann"})
        self.database.afetch_one.assert_awaited_once_with(
            "SELECT * FROM users WHERE id = ?", ("7",)
        )

    async def test_ame_deleted_user(self) -> None:
        """A deleted user is an AuthError."""
        self.database.afetch_one.return_value = None
        with self.assertRaises(AuthError):
            await self.auth.ame(self.jwt.sign({"sub": "7"}))

    async def test_session_records_concurrently(self) -> None:
        """Several records can be awaited at once."""
        row = {
            "session_id": "s",
            "user_id": "7",
            "device_id": "d",
            "device_name": "n",
            "created_at": 1.0,
            "last_seen": 2.0,
            "refresh_jti": "j",
            "revoked": 0,
        }
        self.database.afetch_one.side_effect = [row, None, dict(row, session_id="t")]
        results = await asyncio.gather(
            *(self.sessions.aget_record(s) for s in ("s", "x", "t"))
        )
        self.assertEqual(
            [r.session_id if r else None for r in results], ["s", None, "t"]
        )

    async def test_database_async_statements(self) -> None:
        """The real database's async methods await the driver."""
        with mock.patch.object(Database, "_arun", autospec=True) as arun:
            arun.return_value = QueryResult(("n",), [(1,)], rowcount=1)
            db = Database("sqlite:///x", logger=self.logger)
            self.assertEqual(await db.afetch_all("SELECT 1 AS n"), [{"n": 1}])
            self.assertEqual(await db.aexecute("DELETE FROM t"), 1)
        self.assertEqual(arun.await_count, 2)


if __name__ == "__main__":
    unittest.main()
