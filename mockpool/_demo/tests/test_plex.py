"""Tests for the Plex client: libraries, search, metadata and playback."""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.errors import (
    ConnectionFailed,
    HttpStatusError,
    MediaNotFound,
    PlexError,
    RequestTimeout,
)
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.plex import Library, MediaItem, PlexService
from mockpool._demo.tests.support import cases, data_driven, response

BASE = "http://plex.local:32400"


def container(**content: Any) -> dict[str, Any]:
    return {"MediaContainer": content}


def movie(key: str = "100", **overrides: Any) -> dict[str, Any]:
    data = {
        "ratingKey": key,
        "title": "Alien",
        "type": "movie",
        "year": 1979,
        "duration": 7_020_000,
    }
    data.update(overrides)
    return data


SECTIONS = container(
    Directory=[
        {"key": "1", "title": "Movies", "type": "movie", "count": 120},
        {"key": "2", "title": "TV Shows", "type": "show", "count": 30},
        {"key": "3", "title": "Clips", "type": "clip"},
        {"key": "4", "title": "Music", "type": "artist"},
    ]
)


class PlexTestCase(unittest.TestCase):
    """The service over an autospecced cache, HTTP client and logger.

    The cache mock reads through: ``get_or_set`` calls the factory.
    """

    def setUp(self) -> None:
        self.cache = mock.create_autospec(CacheService, instance=True)
        self.http = mock.create_autospec(HttpClient, instance=True)
        self.log = mock.create_autospec(Logger, instance=True)
        self.cache.get_or_set.side_effect = lambda key, factory, ttl=None: factory()
        self.plex = PlexService(
            self.cache, self.http, self.log, base_url=BASE, token="TOKEN"
        )

    def answer(self, payload: Any) -> None:
        self.http.get.return_value = response(200, payload)


@data_driven
class ParsingTests(PlexTestCase):
    """Media types, durations and metadata parsing."""

    @cases(
        movie=(1, "movie"),
        show=(2, "show"),
        season=(3, "season"),
        episode=(4, "episode"),
        artist=(8, "artist"),
        album=(9, "album"),
        track=(10, "track"),
        digit_text=("4", "episode"),
        name=("movie", "movie"),
    )
    def test_media_type(self, case: tuple[Any, str]) -> None:
        """Numeric types and names map to kinds."""
        value, kind = case
        self.assertEqual(PlexService.media_type(value), kind)

    @cases(number=5, name="podcast", negative=-1)
    def test_unknown_media_type(self, value: Any) -> None:
        """Unknown types are PlexErrors."""
        with self.assertRaises(PlexError):
            PlexService.media_type(value)

    @cases(movie=("movie", 1), episode=("episode", 4), track=("track", 10))
    def test_type_id(self, case: tuple[str, int]) -> None:
        """Kinds map back to numbers."""
        kind, number = case
        self.assertEqual(PlexService.type_id(kind), number)

    @cases(
        zero=(0, "0s"),
        seconds=(45_000, "45s"),
        minutes=(725_000, "12m 5s"),
        hour=(3_600_000, "1h 00m"),
        feature=(5_025_000, "1h 23m"),
        rounding_down=(59_999, "59s"),
    )
    def test_format_duration(self, case: tuple[int, str]) -> None:
        """Durations are shown as hours and minutes, or minutes and seconds."""
        ms, text = case
        self.assertEqual(PlexService.format_duration(ms), text)

    def test_negative_duration(self) -> None:
        """A negative duration is a bug."""
        with self.assertRaises(ValueError):
            PlexService.format_duration(-1)

    def test_parse_movie(self) -> None:
        """A movie's fields are read."""
        item = PlexService.parse_media(
            movie(Genre=[{"tag": "Horror"}, {"tag": "Sci-Fi"}])
        )
        self.assertEqual(
            item,
            MediaItem(
                "100", "Alien", "movie", 1979, 7_020_000, genres=("Horror", "Sci-Fi")
            ),
        )
        self.assertEqual(item.display_title, "Alien (1979)")

    def test_parse_episode(self) -> None:
        """Episodes show their show and number."""
        item = PlexService.parse_media(
            {
                "ratingKey": 5,
                "title": "Pilot",
                "type": 4,
                "grandparentTitle": "Lost",
                "index": 1,
            }
        )
        self.assertEqual(item.display_title, "Lost - E01 - Pilot")

    @cases(no_key={"title": "x"}, no_title={"ratingKey": "1"})
    def test_parse_incomplete(self, data: dict[str, Any]) -> None:
        """Metadata without key or title is a PlexError."""
        with self.assertRaises(PlexError):
            PlexService.parse_media(data)

    @cases(
        unwatched=({}, False, 0.0),
        viewed=({"viewCount": 2}, True, 1.0),
        half=({"viewOffset": 3_510_000}, False, 0.5),
        nearly_done=({"viewOffset": 6_400_000}, True, 1.0),
        no_duration=({"duration": 0, "viewOffset": 10}, False, 0.0),
    )
    def test_watched_and_progress(
        self, case: tuple[dict[str, Any], bool, float]
    ) -> None:
        """Watched means viewed or 90 % played; progress is the fraction."""
        overrides, watched, progress = case
        item = PlexService.parse_media(movie(**overrides))
        self.assertEqual((item.watched, round(item.progress, 2)), (watched, progress))


class HeaderTests(PlexTestCase):
    """Request headers and authentication."""

    def test_headers_with_token(self) -> None:
        """The token and client identity are sent."""
        self.assertEqual(
            self.plex.headers(),
            {
                "Accept": "application/json",
                "X-Plex-Client-Identifier": "mockpool-demo",
                "X-Plex-Product": "mockpool demo",
                "X-Plex-Token": "TOKEN",
            },
        )
        self.assertTrue(self.plex.authenticated)

    def test_headers_without_token(self) -> None:
        """Without a token there is no token header."""
        plex = PlexService(self.cache, self.http, self.log)
        self.assertNotIn("X-Plex-Token", plex.headers())
        self.assertFalse(plex.authenticated)
        self.assertEqual(plex.base_url, BASE)


class LibraryTests(PlexTestCase):
    """Libraries, cached."""

    def test_libraries_are_fetched_through_the_cache(self) -> None:
        """Supported sections become Library values, cached for long."""
        self.answer(SECTIONS)
        libraries = self.plex.libraries()
        self.assertEqual(
            libraries,
            [
                Library("1", "Movies", "movie", 120),
                Library("2", "TV Shows", "show", 30),
                Library("4", "Music", "artist", 0),
            ],
        )
        self.cache.get_or_set.assert_called_once_with("libraries", mock.ANY, ttl="long")
        self.http.get.assert_called_once_with(
            BASE + "/library/sections", params=None, headers=self.plex.headers()
        )

    def test_cached_libraries_skip_http(self) -> None:
        """A cache hit needs no request."""
        self.cache.get_or_set.side_effect = None
        self.cache.get_or_set.return_value = [
            {"key": "1", "title": "Movies", "kind": "movie", "item_count": 3}
        ]
        self.assertEqual(self.plex.library("1").title, "Movies")
        self.http.get.assert_not_called()

    def test_library_by_key_and_title(self) -> None:
        """Libraries are found by key or case-insensitive title."""
        self.answer(SECTIONS)
        self.assertEqual(self.plex.library("2").title, "TV Shows")
        self.assertEqual(self.plex.library_by_title("tv shows").key, "2")

    def test_unknown_library(self) -> None:
        """Unknown libraries are MediaNotFound."""
        self.answer(SECTIONS)
        with self.assertRaises(MediaNotFound):
            self.plex.library("9")
        with self.assertRaises(MediaNotFound):
            self.plex.library_by_title("Photos")

    def test_library_items_pages(self) -> None:
        """Items are requested with container paging parameters."""
        self.answer(container(Metadata=[movie("1"), movie("2", title="Aliens")]))
        items = self.plex.library_items("1", start=50, size=25, sort="year")
        self.assertEqual([i.title for i in items], ["Alien", "Aliens"])
        self.http.get.assert_called_once_with(
            BASE + "/library/sections/1/all",
            params={
                "X-Plex-Container-Start": 50,
                "X-Plex-Container-Size": 25,
                "sort": "year",
            },
            headers=mock.ANY,
        )

    def test_library_items_bad_page(self) -> None:
        """Negative starts and silly sizes are refused."""
        pages: list[dict[str, Any]] = [{"start": -1}, {"size": 0}, {"size": 501}]
        for kwargs in pages:
            with self.subTest(**kwargs), self.assertRaises(ValueError):
                self.plex.library_items("1", **kwargs)
        self.http.get.assert_not_called()

    def test_refresh_library_invalidates_the_cache(self) -> None:
        """Refreshing a library drops the cached list and logs."""
        self.plex.refresh_library("1")
        self.http.get.assert_called_once_with(
            BASE + "/library/sections/1/refresh", headers=self.plex.headers()
        )
        self.cache.delete.assert_called_once_with("libraries")
        self.log.info.assert_called_once_with("library refresh requested", library="1")


@data_driven
class ErrorTests(PlexTestCase):
    """HTTP failures become PlexErrors."""

    @cases(
        not_found=(HttpStatusError(404, "u"), MediaNotFound),
        unauthorized=(HttpStatusError(401, "u"), PlexError),
        server_error=(HttpStatusError(500, "u"), PlexError),
        timeout=(RequestTimeout("t"), PlexError),
        refused=(ConnectionFailed("c"), PlexError),
    )
    def test_errors(self, case: tuple[Exception, type[Exception]]) -> None:
        """Each failure maps to a Plex error with the cause chained."""
        error, expected = case
        self.http.get.side_effect = error
        with self.assertRaises(expected) as caught:
            self.plex.children("1")
        self.assertIs(caught.exception.__cause__, error)

    def test_unreachable_server_is_logged(self) -> None:
        """Transport failures are logged as errors."""
        self.http.get.side_effect = RequestTimeout("t")
        with self.assertRaises(PlexError):
            self.plex.on_deck()
        self.log.error.assert_called_once_with(
            "plex unreachable", path="/library/onDeck", error="RequestTimeout"
        )

    def test_empty_body(self) -> None:
        """An empty answer is an empty container."""
        self.http.get.return_value = response(200)
        self.assertEqual(self.plex.recently_added(), [])


@data_driven
class SearchTests(PlexTestCase):
    """search."""

    def test_search(self) -> None:
        """The normalised query is searched and cached briefly."""
        self.answer(container(Metadata=[movie()]))
        items = self.plex.search("  the   alien ", kind="movie", limit=5)
        self.assertEqual([i.rating_key for i in items], ["100"])
        self.http.get.assert_called_once_with(
            BASE + "/search",
            params={"query": "the alien", "limit": 5, "type": 1},
            headers=mock.ANY,
        )
        self.cache.get_or_set.assert_called_once_with(
            "search:the alien:movie:5", mock.ANY, ttl="short"
        )

    @cases(zero=(0, 1), negative=(-5, 1), normal=(20, 20), huge=(1000, 100))
    def test_limit_is_clamped(self, case: tuple[int, int]) -> None:
        """Limits are clamped to 1..100."""
        limit, sent = case
        self.answer(container(Metadata=[]))
        self.plex.search("x", limit=limit)
        self.assertEqual(self.http.get.call_args.kwargs["params"]["limit"], sent)

    @cases(empty="", blank="   ")
    def test_empty_search(self, query: str) -> None:
        """An empty query is refused locally."""
        with self.assertRaises(ValueError):
            self.plex.search(query)
        self.cache.get_or_set.assert_not_called()

    def test_unknown_kind(self) -> None:
        """Unknown kinds are refused."""
        with self.assertRaises(PlexError):
            self.plex.search("x", kind="podcast")

    def test_results_are_cut_to_the_limit(self) -> None:
        """A server that returns too much is cut."""
        self.answer(container(Metadata=[movie(str(i)) for i in range(5)]))
        self.assertEqual(len(self.plex.search("x", limit=2)), 2)


class MetadataTests(PlexTestCase):
    """metadata, children, recently added, on deck, watched state."""

    def test_metadata(self) -> None:
        """An item is fetched once and cached under its key."""
        self.answer(container(Metadata=[movie()]))
        self.assertEqual(self.plex.metadata("100").title, "Alien")
        self.cache.get_or_set.assert_called_once_with("meta:100", mock.ANY, ttl="long")

    def test_metadata_missing(self) -> None:
        """An empty Metadata list is MediaNotFound."""
        self.answer(container(Metadata=[]))
        with self.assertRaises(MediaNotFound):
            self.plex.metadata("100")

    def test_metadata_key_is_quoted(self) -> None:
        """Keys are URL-quoted."""
        self.answer(container(Metadata=[movie("a b")]))
        self.plex.metadata("a b")
        self.assertEqual(
            self.http.get.call_args.args[0], BASE + "/library/metadata/a%20b"
        )

    def test_children(self) -> None:
        """children lists seasons or episodes."""
        self.answer(
            container(Metadata=[{"ratingKey": "2", "title": "Season 1", "type": 3}])
        )
        self.assertEqual(self.plex.children("1")[0].kind, "season")

    def test_recently_added(self) -> None:
        """recently_added passes and honours the limit."""
        self.answer(container(Metadata=[movie(str(i)) for i in range(4)]))
        self.assertEqual(len(self.plex.recently_added(limit=3)), 3)
        self.assertEqual(self.http.get.call_args.kwargs["params"], {"limit": 3})

    def test_on_deck_sorted_by_progress(self) -> None:
        """On deck drops watched items and sorts by progress."""
        self.answer(
            container(
                Metadata=[
                    movie("1", viewOffset=1_000_000),
                    movie("2", viewOffset=5_000_000),
                    movie("3", viewCount=1),
                ]
            )
        )
        self.assertEqual([i.rating_key for i in self.plex.on_deck()], ["2", "1"])

    def test_mark_watched(self) -> None:
        """Scrobbling is a PUT and drops the cached metadata."""
        self.plex.mark_watched("100")
        url = self.http.put.call_args.args[0]
        self.assertTrue(url.startswith(BASE + "/:/scrobble?"))
        self.assertEqual(parse_qs(urlsplit(url).query)["key"], ["100"])
        self.cache.delete.assert_called_once_with("meta:100")

    def test_mark_unwatched(self) -> None:
        """Unscrobbling too."""
        self.plex.mark_unwatched("100")
        self.assertIn("/:/unscrobble?", self.http.put.call_args.args[0])
        self.cache.delete.assert_called_once_with("meta:100")

    def test_failed_command(self) -> None:
        """A failed scrobble is a PlexError and keeps the cache."""
        self.http.put.side_effect = HttpStatusError(500, "u")
        with self.assertRaises(PlexError):
            self.plex.mark_watched("100")
        self.cache.delete.assert_not_called()


@data_driven
class PlaybackTests(PlexTestCase):
    """Player commands."""

    def setUp(self) -> None:
        super().setUp()
        self.answer(container(Metadata=[movie()]))

    def test_play(self) -> None:
        """play checks the item and posts playMedia."""
        self.plex.play("100", "tv-1", offset_ms=60_000)
        self.http.post.assert_called_once_with(
            BASE + "/player/playback/playMedia",
            json={"client": "tv-1", "key": "/library/metadata/100", "offset": 60_000},
            headers=self.plex.headers(),
        )
        self.log.info.assert_called_once_with(
            "playback started", key="100", client="tv-1"
        )

    @cases(negative=-1, past_end=7_020_000, far=10**9)
    def test_play_bad_offset(self, offset: int) -> None:
        """Offsets before the start or past the end are refused."""
        with self.assertRaises(ValueError):
            self.plex.play("100", "tv-1", offset_ms=offset)
        self.http.post.assert_not_called()

    @cases(
        pause=("pause", (), "pause", {}),
        resume=("resume", (), "play", {}),
        stop=("stop", (), "stop", {}),
        seek=("seek", (90_000,), "seekTo", {"offset": 90_000}),
    )
    def test_commands(
        self, case: tuple[str, tuple[Any, ...], str, dict[str, Any]]
    ) -> None:
        """Each command posts its action for the client."""
        method, args, action, extra = case
        getattr(self.plex, method)("tv-1", *args)
        self.http.post.assert_called_once_with(
            f"{BASE}/player/playback/{action}",
            json={"client": "tv-1", **extra},
            headers=mock.ANY,
        )

    def test_command_without_client(self) -> None:
        """A command needs a client."""
        with self.assertRaises(PlexError):
            self.plex.pause("")

    def test_failed_command_is_logged(self) -> None:
        """A failing player is a warning and a PlexError."""
        self.http.post.side_effect = ConnectionFailed("x")
        with self.assertRaises(PlexError):
            self.plex.stop("tv-1")
        self.log.warning.assert_called_once_with(
            "player command failed", action="stop", client="tv-1"
        )

    def test_negative_seek(self) -> None:
        """Seeking before the start is refused."""
        with self.assertRaises(ValueError):
            self.plex.seek("tv-1", -5)

    def test_sessions(self) -> None:
        """sessions summarises what is playing, uncached."""
        self.answer(
            container(
                Metadata=[
                    {
                        "title": "Alien",
                        "User": {"title": "ann"},
                        "Player": {"state": "playing"},
                    }
                ]
            )
        )
        self.assertEqual(
            self.plex.sessions(),
            [{"title": "Alien", "user": "ann", "state": "playing"}],
        )
        self.cache.get_or_set.assert_not_called()


@data_driven
class UrlTests(PlexTestCase):
    """Stream and thumbnail URLs."""

    @cases(
        p1080=("1080p", "1920x1080", "20000"),
        p720=("720p", "1280x720", "4000"),
        p480=("480p", "720x405", "1500"),
        p240=("240p", "320x180", "300"),
    )
    def test_transcode_urls(self, case: tuple[str, str, str]) -> None:
        """Transcoded streams carry resolution and bitrate."""
        quality, resolution, bitrate = case
        url = self.plex.stream_url("100", quality=quality)
        query = parse_qs(urlsplit(url).query)
        self.assertTrue(
            url.startswith(BASE + "/video/:/transcode/universal/start.m3u8?")
        )
        self.assertEqual(query["videoResolution"], [resolution])
        self.assertEqual(query["maxVideoBitrate"], [bitrate])
        self.assertEqual(query["X-Plex-Token"], ["TOKEN"])

    def test_original_stream(self) -> None:
        """The original is the file itself."""
        self.assertEqual(
            self.plex.stream_url("100"),
            BASE + "/library/metadata/100/file?X-Plex-Token=TOKEN",
        )

    def test_unknown_quality(self) -> None:
        """Unknown qualities are refused."""
        with self.assertRaises(ValueError):
            self.plex.stream_url("100", quality="4k")

    def test_thumbnail(self) -> None:
        """Thumbnails go through the photo transcoder."""
        query = parse_qs(
            urlsplit(self.plex.thumbnail_url("/t/1", width=100, height=150)).query
        )
        self.assertEqual(
            (query["url"], query["width"], query["height"]),
            (["/t/1"], ["100"], ["150"]),
        )

    @cases(zero_width=(0, 10), negative_height=(10, -1))
    def test_bad_thumbnail_sizes(self, case: tuple[int, int]) -> None:
        """Sizes must be positive."""
        width, height = case
        with self.assertRaises(ValueError):
            self.plex.thumbnail_url("/t", width=width, height=height)


class FromSettingsTests(unittest.TestCase):
    """from_settings builds the collaborators it names."""

    @mock.patch("mockpool._demo.services.plex.CacheService", autospec=True)
    @mock.patch("mockpool._demo.services.plex.RedisService", autospec=True)
    @mock.patch("mockpool._demo.services.plex.HttpClient", autospec=True)
    @mock.patch("mockpool._demo.services.plex.Logger", autospec=True)
    def test_wiring(
        self,
        logger_cls: mock.MagicMock,
        http_cls: mock.MagicMock,
        redis_cls: mock.MagicMock,
        cache_cls: mock.MagicMock,
    ) -> None:
        """Each collaborator is built from the settings and injected."""
        plex = PlexService.from_settings(
            {
                "plex_url": BASE,
                "plex_token": "T",
                "redis_url": "redis://r/1",
                "plex_timeout": 3,
            }
        )
        logger_cls.assert_called_once_with("plex", level="INFO")
        http_cls.assert_called_once_with(
            BASE, timeout=3.0, logger=logger_cls.return_value
        )
        redis_cls.assert_called_once_with("redis://r/1")
        cache_cls.assert_called_once_with(
            redis_cls.return_value, namespace="plex", logger=logger_cls.return_value
        )
        self.assertTrue(plex.authenticated)

    @mock.patch("mockpool._demo.services.plex.HttpClient", autospec=True)
    @mock.patch("mockpool._demo.services.plex.CacheService", autospec=True)
    def test_default_redis_url(
        self, cache_cls: mock.MagicMock, http_cls: mock.MagicMock
    ) -> None:
        """Without redis_url the default URL is used (redis itself is real)."""
        PlexService.from_settings({"plex_url": BASE})
        redis = cache_cls.call_args.args[0]
        self.assertEqual(redis.url, "redis://localhost:6379/0")
        self.assertEqual(http_cls.call_args.kwargs["timeout"], 10.0)

    @mock.patch("mockpool._demo.services.plex.HttpClient", autospec=True)
    def test_missing_url(self, http_cls: mock.MagicMock) -> None:
        """plex_url is required."""
        with self.assertRaises(KeyError):
            PlexService.from_settings({})
        http_cls.assert_not_called()


class AsyncPlexTests(unittest.IsolatedAsyncioTestCase):
    """The asynchronous search and libraries."""

    def setUp(self) -> None:
        self.cache = mock.create_autospec(CacheService, instance=True)
        self.http = mock.create_autospec(HttpClient, instance=True)
        self.plex = PlexService(
            self.cache,
            self.http,
            mock.create_autospec(Logger, instance=True),
            base_url=BASE,
        )

    async def test_asearch(self) -> None:
        """asearch awaits the client, without the cache."""
        self.http.aget.return_value = response(200, container(Metadata=[movie()]))
        items = await self.plex.asearch(" alien ")
        self.assertEqual(items[0].title, "Alien")
        self.http.aget.assert_awaited_once_with(
            BASE + "/search", params={"query": "alien", "limit": 20}
        )
        self.cache.aget_or_set.assert_not_called()

    async def test_asearch_empty(self) -> None:
        """An empty query is refused before awaiting."""
        with self.assertRaises(ValueError):
            await self.plex.asearch(" ")
        self.http.aget.assert_not_awaited()

    async def test_alibraries(self) -> None:
        """alibraries reads through the async cache."""

        async def read_through(key: str, factory: Any, ttl: Any = None) -> Any:
            return await factory()

        self.cache.aget_or_set.side_effect = read_through
        self.http.aget.return_value = response(200, SECTIONS)
        libraries = await self.plex.alibraries()
        self.assertEqual([lib.key for lib in libraries], ["1", "2", "4"])
        self.cache.aget_or_set.assert_awaited_once_with(
            "libraries", mock.ANY, ttl="long"
        )


if __name__ == "__main__":
    unittest.main()
