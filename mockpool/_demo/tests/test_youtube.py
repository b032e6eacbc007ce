"""Tests for the YouTube client: parsing, quota, caching and pagination."""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.errors import (
    ConnectionFailed,
    HttpStatusError,
    QuotaExceeded,
    VideoUnavailable,
    YouTubeError,
)
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.youtube import SearchPage, Video, YouTubeService
from mockpool._demo.tests.support import (
    cases,
    data_driven,
    response,
    start_patch_object,
)

API = YouTubeService.API_BASE
VIDEO_ID = "dQw4w9WgXcQ"


def video_item(video_id: str = VIDEO_ID, **snippet: Any) -> dict[str, Any]:
    return {
        "id": video_id,
        "snippet": {"title": f"Video {video_id}", "channelTitle": "Chan", **snippet},
        "contentDetails": {"duration": "PT3M33S"},
        "statistics": {"viewCount": "1500000000", "likeCount": "17000000"},
    }


def search_item(video_id: str, title: str = "t") -> dict[str, Any]:
    return {"id": {"videoId": video_id}, "snippet": {"title": title}}


class YouTubeTestCase(unittest.TestCase):
    """The service over an autospecced HTTP client, cache and logger.

    The cache mock always misses, so every call reaches the client.
    """

    def setUp(self) -> None:
        self.http = mock.create_autospec(HttpClient, instance=True)
        self.cache = mock.create_autospec(CacheService, instance=True)
        self.log = mock.create_autospec(Logger, instance=True)
        self.cache.get.return_value = None
        self.youtube = YouTubeService(self.http, self.cache, self.log, api_key="KEY")

    def answer(self, *payloads: Any) -> None:
        self.http.get.side_effect = [response(200, p) for p in payloads]


class ParsingTestCase(unittest.TestCase):
    """Pure parsing helpers; the service is built over one autospecced client."""

    def setUp(self) -> None:
        self.http = mock.create_autospec(HttpClient, instance=True)
        self.youtube = YouTubeService(
            self.http, mock.sentinel.cache, mock.sentinel.log, api_key="KEY"
        )

    def tearDown(self) -> None:
        self.http.get.assert_not_called()


@data_driven
class DurationTests(ParsingTestCase):
    """ISO 8601 durations."""

    @cases(
        seconds=("PT45S", 45),
        minutes=("PT3M", 180),
        song=("PT3M33S", 213),
        hour=("PT1H", 3600),
        film=("PT2H1M5S", 7265),
        day=("P1D", 86_400),
        day_and_time=("P1DT2H", 93_600),
        zero=("PT0S", 0),
        long_minutes=("PT90M", 5400),
    )
    def test_parse_duration(self, case: tuple[str, int]) -> None:
        """Durations become seconds."""
        text, seconds = case
        self.assertEqual(self.youtube.parse_duration(text), seconds)

    @cases(
        empty="",
        bare_p="P",
        bare_t="PT",
        dangling_t="P1DT",
        words="3 minutes",
        weeks="P1W",
        decimal="PT1.5S",
    )
    def test_bad_durations(self, text: str) -> None:
        """Anything else is a YouTubeError."""
        with self.assertRaises(YouTubeError):
            self.youtube.parse_duration(text)

    @cases(
        zero=(0, "0:00"),
        seconds=(9, "0:09"),
        minute=(65, "1:05"),
        hour=(3723, "1:02:03"),
        long=(36_000, "10:00:00"),
    )
    def test_format_duration(self, case: tuple[int, str]) -> None:
        """Seconds are shown as a clock."""
        seconds, text = case
        self.assertEqual(self.youtube.format_duration(seconds), text)

    def test_negative_duration(self) -> None:
        """Negative durations are refused."""
        with self.assertRaises(ValueError):
            self.youtube.format_duration(-1)


@data_driven
class VideoIdTests(ParsingTestCase):
    """Video ids from URLs."""

    @cases(
        bare=VIDEO_ID,
        padded=f"  {VIDEO_ID} ",
        watch=f"https://www.youtube.com/watch?v={VIDEO_ID}",
        watch_extra=f"https://youtube.com/watch?feature=share&v={VIDEO_ID}&t=10",
        mobile=f"https://m.youtube.com/watch?v={VIDEO_ID}",
        short_link=f"https://youtu.be/{VIDEO_ID}",
        short_link_time=f"https://youtu.be/{VIDEO_ID}?t=42",
        embed=f"https://www.youtube.com/embed/{VIDEO_ID}",
        nocookie=f"https://www.youtube-nocookie.com/embed/{VIDEO_ID}",
        shorts=f"https://www.youtube.com/shorts/{VIDEO_ID}",
        live=f"https://www.youtube.com/live/{VIDEO_ID}",
        old=f"http://www.youtube.com/v/{VIDEO_ID}",
        embed_params=f"https://www.youtube.com/embed/{VIDEO_ID}?start=5",
        music=f"https://music.youtube.com/watch?v={VIDEO_ID}",
    )
    def test_extract(self, value: str) -> None:
        """Every URL form yields the id."""
        self.assertEqual(self.youtube.extract_video_id(value), VIDEO_ID)

    @cases(
        short_id="abc",
        long_id="dQw4w9WgXcQx",
        other_host=f"https://vimeo.com/{VIDEO_ID}",
        no_v="https://www.youtube.com/watch?list=PL1",
        channel="https://www.youtube.com/channel/UC123",
        empty="",
        bad_chars="dQw4w9WgX!Q",
    )
    def test_refused(self, value: str) -> None:
        """Anything without a valid id is a YouTubeError."""
        with self.assertRaises(YouTubeError):
            self.youtube.extract_video_id(value)


@data_driven
class CountTests(ParsingTestCase):
    """Compact counts."""

    @cases(
        small=(999, "999"),
        thousand=(1000, "1K"),
        thousands=(1234, "1.2K"),
        round_up=(1999, "2K"),
        million=(3_400_000, "3.4M"),
        billion=(1_500_000_000, "1.5B"),
        zero=(0, "0"),
    )
    def test_format_count(self, case: tuple[int, str]) -> None:
        """Counts use K, M and B with one decimal."""
        count, text = case
        self.assertEqual(self.youtube.format_count(count), text)

    def test_negative_count(self) -> None:
        """Negative counts are refused."""
        with self.assertRaises(ValueError):
            self.youtube.format_count(-1)

    def test_parse_video(self) -> None:
        """A videos.list item becomes a Video."""
        video = self.youtube.parse_video(
            video_item(tags=["a"], publishedAt="2009-10-25")
        )
        self.assertEqual(
            video,
            Video(
                VIDEO_ID,
                f"Video {VIDEO_ID}",
                "Chan",
                213,
                1_500_000_000,
                17_000_000,
                "2009-10-25",
                ("a",),
            ),
        )
        self.assertEqual(video.url, f"https://www.youtube.com/watch?v={VIDEO_ID}")
        self.assertFalse(video.is_short)

    def test_parse_search_item(self) -> None:
        """Search items carry the id in a mapping."""
        self.assertEqual(
            self.youtube.parse_video(search_item("abcdefghijk")).video_id, "abcdefghijk"
        )

    def test_parse_without_id(self) -> None:
        """An item without id is refused."""
        with self.assertRaises(YouTubeError):
            self.youtube.parse_video({"snippet": {}})

    @cases(short=(30, True), minute=(60, True), longer=(61, False), unknown=(0, False))
    def test_is_short(self, case: tuple[int, bool]) -> None:
        """Shorts last a minute at most."""
        seconds, expected = case
        self.assertIs(Video("x", "t", duration_seconds=seconds).is_short, expected)


@data_driven
class QuotaTests(YouTubeTestCase):
    """Quota accounting."""

    @cases(
        search=("search", 1, 100),
        searches=("search", 3, 300),
        videos=("videos", 1, 1),
        playlist_items=("playlistItems", 10, 10),
        comments=("commentThreads", 2, 2),
    )
    def test_estimate_cost(self, case: tuple[str, int, int]) -> None:
        """Costs are per endpoint and call."""
        endpoint, calls, cost = case
        self.assertEqual(self.youtube.estimate_cost(endpoint, calls), cost)

    def test_unknown_endpoint(self) -> None:
        """Unknown endpoints have no cost."""
        with self.assertRaises(YouTubeError):
            self.youtube.estimate_cost("activities")

    def test_calls_are_charged(self) -> None:
        """A search costs 100 and is recorded."""
        self.answer({"items": []})
        self.youtube.search("cats")
        self.assertEqual(self.youtube.quota_used, 100)
        self.assertEqual(self.youtube.quota_remaining, 9900)
        self.assertEqual(
            self.youtube.quota_report(),
            {"used": 100, "remaining": 9900, "limit": 10_000, "calls": {"search": 1}},
        )

    def test_cached_calls_are_free(self) -> None:
        """A cache hit costs nothing and sends nothing."""
        self.cache.get.return_value = {"items": [], "pageInfo": {"totalResults": 0}}
        self.youtube.search("cats")
        self.assertEqual(self.youtube.quota_used, 0)
        self.http.get.assert_not_called()

    def test_overspending_is_refused_before_the_call(self) -> None:
        """With 99 left a search is refused locally and warned about."""
        youtube = YouTubeService(
            self.http, self.cache, self.log, api_key="K", daily_quota=99
        )
        self.assertFalse(youtube.can_afford("search"))
        with self.assertRaises(QuotaExceeded):
            youtube.search("cats")
        self.http.get.assert_not_called()
        self.log.warning.assert_called_once_with(
            "youtube quota exhausted", endpoint="search", used=0
        )

    def test_api_quota_error_spends_the_quota(self) -> None:
        """A 403 quotaExceeded marks the whole quota spent."""
        self.http.get.side_effect = HttpStatusError(
            403, "u", b'{"reason": "quotaExceeded"}'
        )
        with self.assertRaises(QuotaExceeded):
            self.youtube.video(VIDEO_ID)
        self.assertEqual(self.youtube.quota_remaining, 0)

    def test_other_403_is_a_plain_error(self) -> None:
        """A 403 for another reason is a YouTubeError."""
        self.http.get.side_effect = HttpStatusError(403, "u", b"forbidden")
        with self.assertRaises(YouTubeError) as caught:
            self.youtube.video(VIDEO_ID)
        self.assertNotIsInstance(caught.exception, QuotaExceeded)

    def test_reset_quota(self) -> None:
        """reset_quota starts a new day."""
        self.answer({"items": []})
        self.youtube.search("x")
        self.youtube.reset_quota()
        self.assertEqual(self.youtube.quota_report()["calls"], {})
        self.assertEqual(self.youtube.quota_used, 0)

    @cases(no_key={"api_key": ""}, zero_quota={"api_key": "k", "daily_quota": 0})
    def test_bad_configuration(self, kwargs: dict[str, Any]) -> None:
        """An API key and a positive quota are required."""
        with self.assertRaises(ValueError):
            YouTubeService(self.http, self.cache, self.log, **kwargs)


@data_driven
class SearchTests(YouTubeTestCase):
    """search."""

    def test_search(self) -> None:
        """A search sends its parameters with the key and parses the page."""
        self.answer(
            {
                "items": [
                    search_item("aaaaaaaaaaa", "A"),
                    search_item("bbbbbbbbbbb", "B"),
                ],
                "nextPageToken": "NEXT",
                "pageInfo": {"totalResults": 1000},
            }
        )
        page = self.youtube.search(" cats ", max_results=2, order="viewCount")
        self.assertEqual(
            page, SearchPage(("aaaaaaaaaaa", "bbbbbbbbbbb"), ("A", "B"), "NEXT", 1000)
        )
        self.http.get.assert_called_once_with(
            f"{API}/search",
            params={
                "part": "snippet",
                "q": "cats",
                "type": "video",
                "maxResults": 2,
                "order": "viewCount",
                "regionCode": "US",
                "key": "KEY",
            },
        )

    def test_results_are_cached_briefly(self) -> None:
        """The answer is cached under a key of the sorted parameters, short TTL."""
        self.answer({"items": []})
        self.youtube.search("cats")
        key, data = self.cache.set.call_args.args
        self.assertTrue(
            key.startswith("search?maxResults=10&order=relevance&part=snippet&q=cats")
        )
        self.assertNotIn("KEY", key)
        self.assertEqual(data, {"items": []})
        self.assertEqual(self.cache.set.call_args.kwargs, {"ttl": "short"})

    @cases(zero=(0, 1), normal=(25, 25), huge=(500, 50))
    def test_max_results_is_clamped(self, case: tuple[int, int]) -> None:
        """maxResults stays within 1..50."""
        requested, sent = case
        self.answer({"items": []})
        self.youtube.search("x", max_results=requested)
        self.assertEqual(self.http.get.call_args.kwargs["params"]["maxResults"], sent)

    def test_page_token_and_channel(self) -> None:
        """Optional parameters are passed when given."""
        self.answer({"items": []})
        self.youtube.search("x", page_token="P2", channel_id="UC1")
        params = self.http.get.call_args.kwargs["params"]
        self.assertEqual((params["pageToken"], params["channelId"]), ("P2", "UC1"))

    @cases(empty="", blank="  ")
    def test_empty_query(self, query: str) -> None:
        """Empty queries cost nothing."""
        with self.assertRaises(ValueError):
            self.youtube.search(query)
        self.assertEqual(self.youtube.quota_used, 0)

    def test_unknown_order(self) -> None:
        """Unknown orders are refused."""
        with self.assertRaises(ValueError):
            self.youtube.search("x", order="random")

    def test_region_is_upper_cased(self) -> None:
        """The region code is upper case."""
        youtube = YouTubeService(
            self.http, self.cache, self.log, api_key="K", region="de"
        )
        self.answer({"items": []})
        youtube.search("x")
        self.assertEqual(youtube.region, "DE")
        self.assertEqual(self.http.get.call_args.kwargs["params"]["regionCode"], "DE")

    def test_unreachable_api(self) -> None:
        """Transport errors are logged and wrapped."""
        self.http.get.side_effect = ConnectionFailed("x")
        with self.assertRaises(YouTubeError):
            self.youtube.search("x")
        self.log.error.assert_called_once_with("youtube unreachable", endpoint="search")


class VideoTests(YouTubeTestCase):
    """video, videos, channel, playlists, comments, trending."""

    def test_video(self) -> None:
        """video accepts a URL and returns the details."""
        self.answer({"items": [video_item()]})
        video = self.youtube.video(f"https://youtu.be/{VIDEO_ID}")
        self.assertEqual(video.duration_seconds, 213)
        self.assertEqual(self.http.get.call_args.kwargs["params"]["id"], VIDEO_ID)

    def test_unavailable_video(self) -> None:
        """No item means the video is unavailable."""
        self.answer({"items": []})
        with self.assertRaises(VideoUnavailable):
            self.youtube.video(VIDEO_ID)

    def test_videos_batches_of_fifty_in_order(self) -> None:
        """120 ids are fetched in 3 calls and returned in the asked order."""
        ids = [f"{i:011d}" for i in range(120)]
        self.answer(
            {"items": [video_item(i) for i in reversed(ids[:50])]},
            {"items": [video_item(i) for i in ids[50:100]]},
            {"items": [video_item(i) for i in ids[100:] if i != ids[-1]]},
        )
        videos = self.youtube.videos(ids)
        self.assertEqual([v.video_id for v in videos], ids[:-1])
        self.assertEqual(self.http.get.call_count, 3)
        self.assertEqual(self.youtube.quota_used, 3)

    def test_videos_deduplicates(self) -> None:
        """Repeated ids are fetched once."""
        self.answer({"items": [video_item()]})
        self.assertEqual(len(self.youtube.videos([VIDEO_ID, VIDEO_ID])), 1)
        self.assertEqual(self.http.get.call_args.kwargs["params"]["id"], VIDEO_ID)

    def test_channel(self) -> None:
        """channel summarises a channel, cached for long."""
        self.answer(
            {
                "items": [
                    {
                        "id": "UC1",
                        "snippet": {"title": "Chan"},
                        "statistics": {"subscriberCount": "42"},
                        "contentDetails": {"relatedPlaylists": {"uploads": "UU1"}},
                    }
                ]
            }
        )
        self.assertEqual(
            self.youtube.channel("UC1"),
            {"id": "UC1", "title": "Chan", "subscribers": 42, "uploads": "UU1"},
        )
        self.assertEqual(self.cache.set.call_args.kwargs, {"ttl": "long"})

    def test_unknown_channel(self) -> None:
        """No item is a YouTubeError."""
        self.answer({"items": []})
        with self.assertRaises(YouTubeError):
            self.youtube.channel("UC0")

    def test_playlist_items_follow_pages(self) -> None:
        """Pages are followed until no token is left."""
        self.answer(
            {"items": [{"contentDetails": {"videoId": "a"}}], "nextPageToken": "P2"},
            {"items": [{"contentDetails": {"videoId": "b"}}]},
        )
        self.assertEqual(self.youtube.playlist_items("PL1"), ["a", "b"])
        self.assertEqual(self.http.get.call_args.kwargs["params"]["pageToken"], "P2")

    def test_playlist_items_stop_at_max(self) -> None:
        """max_items caps the pages and the result."""
        self.answer(
            {
                "items": [{"contentDetails": {"videoId": str(i)}} for i in range(3)],
                "nextPageToken": "P2",
            }
        )
        self.assertEqual(
            self.youtube.playlist_items("PL1", max_items=3), ["0", "1", "2"]
        )
        self.assertEqual(self.http.get.call_args.kwargs["params"]["maxResults"], 3)
        self.http.get.assert_called_once()

    def test_playlist_items_max_must_be_positive(self) -> None:
        """max_items=0 is refused."""
        with self.assertRaises(ValueError):
            self.youtube.playlist_items("PL1", max_items=0)

    def test_channel_uploads(self) -> None:
        """Uploads come from the channel's uploads playlist."""
        channel = start_patch_object(self, YouTubeService, "channel", autospec=True)
        items = start_patch_object(
            self, YouTubeService, "playlist_items", autospec=True
        )
        channel.return_value = {"uploads": "UU1"}
        items.return_value = ["a"]
        self.assertEqual(self.youtube.channel_uploads("UC1", max_items=5), ["a"])
        items.assert_called_once_with(self.youtube, "UU1", max_items=5)
        channel.assert_called_once_with(self.youtube, "UC1")

    def test_channel_without_uploads(self) -> None:
        """A channel without uploads playlist has no uploads."""
        with mock.patch.object(YouTubeService, "channel", autospec=True) as channel:
            channel.return_value = {"uploads": None}
            self.assertEqual(self.youtube.channel_uploads("UC1"), [])
        self.http.get.assert_not_called()

    def test_comments(self) -> None:
        """Comments are flattened."""
        snippet = {"authorDisplayName": "ann", "textDisplay": "hi", "likeCount": 3}
        self.answer({"items": [{"snippet": {"topLevelComment": {"snippet": snippet}}}]})
        self.assertEqual(
            self.youtube.comments(VIDEO_ID),
            [{"author": "ann", "text": "hi", "likes": 3}],
        )

    def test_disabled_comments(self) -> None:
        """A 403 for comments means disabled: an empty list."""
        self.http.get.side_effect = HttpStatusError(403, "u", b"commentsDisabled")
        self.assertEqual(self.youtube.comments(VIDEO_ID), [])

    def test_comments_server_error(self) -> None:
        """Other errors propagate."""
        self.http.get.side_effect = HttpStatusError(500, "u")
        with self.assertRaises(YouTubeError):
            self.youtube.comments(VIDEO_ID)

    def test_trending(self) -> None:
        """trending asks for the most popular chart of the region."""
        self.answer({"items": [video_item()]})
        self.assertEqual(len(self.youtube.trending(category="10")), 1)
        params = self.http.get.call_args.kwargs["params"]
        self.assertEqual(
            (params["chart"], params["videoCategoryId"]), ("mostPopular", "10")
        )


class AsyncYouTubeTests(unittest.IsolatedAsyncioTestCase):
    """The asynchronous calls."""

    def setUp(self) -> None:
        self.http = mock.create_autospec(HttpClient, instance=True)
        self.cache = mock.create_autospec(CacheService, instance=True)
        self.log = mock.create_autospec(Logger, instance=True)
        self.youtube = YouTubeService(self.http, self.cache, self.log, api_key="KEY")

    async def test_avideo(self) -> None:
        """avideo awaits the client and charges one unit."""
        self.http.aget.return_value = response(200, {"items": [video_item()]})
        video = await self.youtube.avideo(VIDEO_ID)
        self.assertEqual(video.video_id, VIDEO_ID)
        self.assertEqual(self.youtube.quota_used, 1)
        self.assertEqual(self.http.aget.await_args.kwargs["params"]["key"], "KEY")

    async def test_avideo_unavailable(self) -> None:
        """No item is VideoUnavailable."""
        self.http.aget.return_value = response(200, {"items": []})
        with self.assertRaises(VideoUnavailable):
            await self.youtube.avideo(VIDEO_ID)

    async def test_asearch_ids_reads_through_the_cache(self) -> None:
        """asearch_ids uses the async cache; the factory charges and fetches."""

        async def read_through(key: str, factory: Any, ttl: Any = None) -> Any:
            return await factory()

        self.cache.aget_or_set.side_effect = read_through
        self.http.aget.return_value = response(
            200, {"items": [search_item("aaaaaaaaaaa")]}
        )
        self.assertEqual(await self.youtube.asearch_ids(" x "), ["aaaaaaaaaaa"])
        self.cache.aget_or_set.assert_awaited_once_with(
            "ids:x:10", mock.ANY, ttl="short"
        )
        self.assertEqual(self.youtube.quota_used, 100)

    async def test_asearch_ids_cached(self) -> None:
        """A cache hit costs nothing."""
        self.cache.aget_or_set.return_value = ["b"]
        self.assertEqual(await self.youtube.asearch_ids("x"), ["b"])
        self.http.aget.assert_not_awaited()
        self.assertEqual(self.youtube.quota_used, 0)


if __name__ == "__main__":
    unittest.main()
