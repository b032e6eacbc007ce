"""Media flows: Plex and YouTube over a real cache on an autospecced redis.

The cache service is real, so these tests check what is cached, for how long,
and when the HTTP client is spared. Redis, the HTTP client and the logger
are autospecced; redis keeps values in a dict through side effects.
"""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.errors import (
    HttpStatusError,
    MediaNotFound,
    PlexError,
    QuotaExceeded,
    RedisConnectionError,
    RequestTimeout,
    YouTubeError,
)
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.plex import PlexService
from mockpool._demo.services.redis import RedisService
from mockpool._demo.services.youtube import YouTubeService
from mockpool._demo.tests.support import cases, data_driven, response

PLEX = "http://plex.local:32400"
VIDEO_ID = "dQw4w9WgXcQ"


class MediaFlowTestCase(unittest.TestCase):
    """A real cache over a dict-backed, autospecced redis."""

    namespace = "media"

    def setUp(self) -> None:
        self.store: dict[str, bytes] = {}
        self.ttls: dict[str, int | None] = {}
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.redis.get.side_effect = self.store.get
        self.redis.set.side_effect = self._set
        self.redis.delete.side_effect = lambda *keys: sum(
            self.store.pop(k, None) is not None for k in keys
        )
        self.http = mock.create_autospec(HttpClient, instance=True)
        self.log = mock.create_autospec(Logger, instance=True)
        self.cache = CacheService(self.redis, namespace=self.namespace, logger=self.log)

    def _set(self, key: str, value: bytes, *, ex: int | None = None, **_: Any) -> bool:
        self.store[key] = value
        self.ttls[key] = ex
        return True


class PlexFlowTests(MediaFlowTestCase):
    """Plex reads cached in redis."""

    namespace = "plex"

    def setUp(self) -> None:
        super().setUp()
        self.plex = PlexService(
            self.cache, self.http, self.log, base_url=PLEX, token="T"
        )
        self.sections = {
            "MediaContainer": {
                "Directory": [
                    {"key": "1", "title": "Movies", "type": "movie", "count": 2},
                    {"key": "2", "title": "Shows", "type": "show", "count": 1},
                ]
            }
        }

    def test_libraries_are_fetched_once(self) -> None:
        """The second call is served from redis."""
        self.http.get.return_value = response(200, self.sections)
        first = self.plex.libraries()
        second = self.plex.libraries()
        self.assertEqual(first, second)
        self.http.get.assert_called_once()
        self.assertEqual(self.ttls["plex:v1:libraries"], 3600)

    def test_refresh_library_drops_the_cache(self) -> None:
        """After a refresh the sections are fetched again."""
        self.http.get.return_value = response(200, self.sections)
        self.plex.libraries()
        self.plex.refresh_library("1")
        self.assertNotIn("plex:v1:libraries", self.store)
        self.plex.libraries()
        self.assertEqual(self.http.get.call_count, 3)

    def test_metadata_cached_until_watched(self) -> None:
        """Marking an item watched invalidates its metadata."""
        item = {"ratingKey": "7", "title": "Heat", "type": "movie"}
        self.http.get.return_value = response(
            200, {"MediaContainer": {"Metadata": [item]}}
        )
        self.plex.metadata("7")
        self.plex.metadata("7")
        self.http.get.assert_called_once()
        self.plex.mark_watched("7")
        self.assertNotIn("plex:v1:meta:7", self.store)

    def test_library_items_are_not_cached(self) -> None:
        """Paged listings always reach Plex and store nothing."""
        self.http.get.return_value = response(200, {"MediaContainer": {"Metadata": []}})
        self.plex.library_items("1")
        self.plex.library_items("1")
        self.assertEqual(self.http.get.call_count, 2)
        self.assertEqual(self.store, {})

    def test_missing_metadata_is_not_cached(self) -> None:
        """A miss stays uncached, so it is asked again."""
        self.http.get.return_value = response(200, {"MediaContainer": {"Metadata": []}})
        for _ in range(2):
            with self.assertRaises(MediaNotFound):
                self.plex.metadata("404")
        self.assertEqual(self.http.get.call_count, 2)

    def test_search_is_cached_briefly_per_query(self) -> None:
        """Searches differing only in spacing and case share a cache entry."""
        self.http.get.return_value = response(200, {"MediaContainer": {"Metadata": []}})
        self.plex.search("Blade  Runner")
        self.plex.search(" blade runner ")
        self.http.get.assert_called_once()
        (key,) = [k for k in self.store if ":search:" in k]
        self.assertEqual(self.ttls[key], 60)

    def test_redis_outage_degrades_to_direct_reads(self) -> None:
        """With redis down every call reaches Plex and warnings are logged."""
        self.redis.get.side_effect = RedisConnectionError("down")
        self.redis.set.side_effect = RedisConnectionError("down")
        self.http.get.return_value = response(200, self.sections)
        self.plex.libraries()
        self.plex.libraries()
        self.assertEqual(self.http.get.call_count, 2)
        self.assertEqual(self.cache.stats()["errors"], 4)

    def test_play_uses_cached_metadata(self) -> None:
        """Starting playback reads the cached item, then posts."""
        item = {"ratingKey": "7", "title": "Heat", "type": "movie", "duration": 10_000}
        self.http.get.return_value = response(
            200, {"MediaContainer": {"Metadata": [item]}}
        )
        self.plex.metadata("7")
        self.plex.play("7", "tv")
        self.http.get.assert_called_once()
        self.http.post.assert_called_once()

    def test_server_errors_are_not_cached(self) -> None:
        """A failed fetch leaves the cache empty."""
        self.http.get.side_effect = HttpStatusError(500, PLEX)
        with self.assertRaises(PlexError):
            self.plex.libraries()
        self.assertEqual(self.store, {})


@data_driven
class YouTubeFlowTests(MediaFlowTestCase):
    """YouTube calls cached in redis, charged against the quota once."""

    namespace = "yt"

    def setUp(self) -> None:
        super().setUp()
        self.youtube = YouTubeService(
            self.http, self.cache, self.log, api_key="K", daily_quota=250
        )
        self.video = {
            "id": VIDEO_ID,
            "snippet": {"title": "Song"},
            "contentDetails": {"duration": "PT3M33S"},
            "statistics": {"viewCount": "10"},
        }

    def test_cached_video_costs_nothing(self) -> None:
        """The second lookup is free and sends nothing."""
        self.http.get.return_value = response(200, {"items": [self.video]})
        self.youtube.video(VIDEO_ID)
        self.youtube.video(f"https://youtu.be/{VIDEO_ID}")
        self.http.get.assert_called_once()
        self.assertEqual(self.youtube.quota_used, 1)

    def test_quota_runs_out_then_cache_still_serves(self) -> None:
        """Two searches spend the quota; a cached search still works."""
        self.http.get.return_value = response(200, {"items": []})
        self.youtube.search("a")
        self.youtube.search("b")
        with self.assertRaises(QuotaExceeded):
            self.youtube.search("c")
        self.assertEqual(self.youtube.search("a").video_ids, ())
        self.assertEqual(self.http.get.call_count, 2)

    @cases(
        search=("search", ("q",), {}, 60),
        video=("video", (VIDEO_ID,), {}, 300),
        channel=("channel", ("UC1",), {}, 3600),
        trending=("trending", (), {}, 60),
        comments=("comments", (VIDEO_ID,), {}, 60),
    )
    def test_ttl_per_endpoint(
        self, case: tuple[str, tuple[Any, ...], dict[str, Any], int]
    ) -> None:
        """Each endpoint's answers are cached with its TTL policy."""
        method, args, kwargs, ttl = case
        payload: dict[str, Any] = {"items": []}
        if method == "video":
            payload = {"items": [self.video]}
        elif method == "channel":
            payload = {"items": [{"id": "UC1", "snippet": {"title": "C"}}]}
        self.http.get.return_value = response(200, payload)
        getattr(self.youtube, method)(*args, **kwargs)
        (key,) = self.store
        self.assertEqual(self.ttls[key], ttl)
        self.assertTrue(key.startswith("yt:v1:"))

    def test_api_key_never_reaches_the_cache(self) -> None:
        """Cache keys are built without the API key."""
        self.http.get.return_value = response(200, {"items": []})
        self.youtube.search("secret-free")
        self.assertTrue(all("key=K" not in k for k in self.store))

    def test_errors_are_not_cached(self) -> None:
        """A failed call caches nothing and still costs quota."""
        self.http.get.side_effect = RequestTimeout("t")
        with self.assertRaises(YouTubeError):
            self.youtube.video(VIDEO_ID)
        self.assertEqual(self.store, {})
        self.assertEqual(self.youtube.quota_used, 1)

    def test_namespaces_do_not_collide(self) -> None:
        """Two services with sub-namespaces keep separate entries."""
        other = YouTubeService(
            self.http, self.cache.with_namespace("eu"), self.log, api_key="K"
        )
        self.http.get.return_value = response(200, {"items": []})
        self.youtube.search("x")
        other.search("x")
        self.assertEqual(self.http.get.call_count, 2)
        self.assertEqual(len(self.store), 2)


@data_driven
class CacheVersionTests(MediaFlowTestCase):
    """Version bumps and namespaces over the dict-backed redis."""

    def setUp(self) -> None:
        super().setUp()
        self.redis.incr.side_effect = [1, 2, 3]

    @cases(once=1, twice=2, three_times=3)
    def test_bump_version_hides_old_entries(self, bumps: int) -> None:
        """After a version bump old entries are misses."""
        self.cache.set("k", "old")
        for _ in range(bumps):
            self.cache.bump_version()
        self.assertIsNone(self.cache.get("k"))
        self.assertEqual(self.cache.version, bumps + 1)
        self.cache.set("k", "new")
        self.assertEqual(self.cache.get("k"), "new")

    @cases(
        value=("v", "v"),
        mapping=({"a": [1]}, {"a": [1]}),
        falsy=(0, 0),
    )
    def test_round_trip_through_redis(self, case: tuple[Any, Any]) -> None:
        """What the cache stores, it reads back."""
        value, expected = case
        self.cache.set("k", value)
        self.assertEqual(self.cache.get("k"), expected)
        self.assertEqual(self.cache.stats()["hits"], 1)


if __name__ == "__main__":
    unittest.main()
