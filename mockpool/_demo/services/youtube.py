"""A YouTube Data API v3 client with quota accounting and caching."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.errors import (
    HttpStatusError,
    QuotaExceeded,
    TransportError,
    VideoUnavailable,
    YouTubeError,
)
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.logger import Logger


@dataclass(frozen=True)
class Video:
    video_id: str
    title: str
    channel_title: str = ""
    duration_seconds: int = 0
    view_count: int = 0
    like_count: int = 0
    published_at: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.video_id}"

    @property
    def is_short(self) -> bool:
        return 0 < self.duration_seconds <= 60


@dataclass(frozen=True)
class SearchPage:
    video_ids: tuple[str, ...]
    titles: tuple[str, ...]
    next_page_token: str | None = None
    total_results: int = 0


class YouTubeService:
    """Calls the YouTube Data API, charging each call against a daily quota.

    Reads are cached; a call that would overspend the quota raises
    :class:`QuotaExceeded` before it is made, and so does an API answer
    of ``quotaExceeded``.
    """

    API_BASE = "https://www.googleapis.com/youtube/v3"
    DAILY_QUOTA = 10_000
    QUOTA_COSTS: Mapping[str, int] = {
        "search": 100,
        "videos": 1,
        "channels": 1,
        "playlists": 1,
        "playlistItems": 1,
        "commentThreads": 1,
        "videoCategories": 1,
    }
    MAX_RESULTS = 50
    ORDERS = frozenset({"date", "rating", "relevance", "title", "viewCount"})
    DURATION = re.compile(
        r"^P(?:(?P<days>\d+)D)?"
        r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
    )
    VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")

    def __init__(
        self,
        http: HttpClient,
        cache: CacheService,
        log: Logger,
        *,
        api_key: str,
        daily_quota: int = DAILY_QUOTA,
        region: str = "US",
    ) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        if daily_quota <= 0:
            raise ValueError("the quota must be positive")
        self._http = http
        self._cache = cache
        self._log = log
        self._api_key = api_key
        self._daily_quota = daily_quota
        self._region = region.upper()
        self._quota_used = 0
        self._calls: dict[str, int] = {}

    # -- properties -----------------------------------------------------------

    @property
    def quota_used(self) -> int:
        return self._quota_used

    @property
    def quota_remaining(self) -> int:
        return max(self._daily_quota - self._quota_used, 0)

    @property
    def region(self) -> str:
        return self._region

    # -- parsing --------------------------------------------------------------

    @classmethod
    def parse_duration(cls, value: str) -> int:
        """Seconds of an ISO 8601 duration such as ``PT1H2M3S`` or ``P1DT2H``."""
        match = cls.DURATION.match(value)
        if match is None or value in ("P", "PT") or value.endswith("T"):
            raise YouTubeError(f"bad duration {value!r}")
        parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
        return (
            parts["days"] * 86_400
            + parts["hours"] * 3600
            + parts["minutes"] * 60
            + parts["seconds"]
        )

    @staticmethod
    def format_duration(seconds: int) -> str:
        """``3723`` becomes ``"1:02:03"``; ``65`` becomes ``"1:05"``."""
        if seconds < 0:
            raise ValueError("negative duration")
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        if hours:
            return f"{hours}:{minutes:02d}:{secs:02d}"
        return f"{minutes}:{secs:02d}"

    @classmethod
    def extract_video_id(cls, value: str) -> str:
        """The video id of a watch, share, embed or shorts URL, or of a bare id."""
        value = value.strip()
        if cls.VIDEO_ID.match(value):
            return value
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        candidate = ""
        if host == "youtu.be":
            candidate = parts.path.lstrip("/").split("/")[0]
        elif host.endswith("youtube.com") or host.endswith("youtube-nocookie.com"):
            if parts.path == "/watch":
                candidate = parse_qs(parts.query).get("v", [""])[0]
            else:
                segments = [s for s in parts.path.split("/") if s]
                if len(segments) >= 2 and segments[0] in (
                    "embed",
                    "shorts",
                    "v",
                    "live",
                ):
                    candidate = segments[1]
        if not cls.VIDEO_ID.match(candidate):
            raise YouTubeError(f"no video id in {value!r}")
        return candidate

    @staticmethod
    def format_count(count: int) -> str:
        """``1234`` becomes ``"1.2K"``, ``3_400_000`` ``"3.4M"``."""
        if count < 0:
            raise ValueError("negative count")
        for limit, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
            if count >= limit:
                text = f"{count / limit:.1f}".rstrip("0").rstrip(".")
                return f"{text}{suffix}"
        return str(count)

    @classmethod
    def parse_video(cls, item: Mapping[str, Any]) -> Video:
        snippet = item.get("snippet", {})
        stats = item.get("statistics", {})
        details = item.get("contentDetails", {})
        video_id = item.get("id")
        if isinstance(video_id, Mapping):
            video_id = video_id.get("videoId")
        if not video_id:
            raise YouTubeError("video without an id")
        return Video(
            video_id=str(video_id),
            title=str(snippet.get("title", "")),
            channel_title=str(snippet.get("channelTitle", "")),
            duration_seconds=(
                cls.parse_duration(details["duration"]) if "duration" in details else 0
            ),
            view_count=int(stats.get("viewCount", 0)),
            like_count=int(stats.get("likeCount", 0)),
            published_at=str(snippet.get("publishedAt", "")),
            tags=tuple(snippet.get("tags", ())),
        )

    # -- quota ----------------------------------------------------------------

    def estimate_cost(self, endpoint: str, calls: int = 1) -> int:
        try:
            return self.QUOTA_COSTS[endpoint] * calls
        except KeyError:
            raise YouTubeError(f"unknown endpoint {endpoint!r}") from None

    def can_afford(self, endpoint: str, calls: int = 1) -> bool:
        return self.estimate_cost(endpoint, calls) <= self.quota_remaining

    def _charge(self, endpoint: str) -> None:
        cost = self.estimate_cost(endpoint)
        if cost > self.quota_remaining:
            self._log.warning(
                "youtube quota exhausted", endpoint=endpoint, used=self._quota_used
            )
            raise QuotaExceeded(f"{endpoint} costs {cost}, {self.quota_remaining} left")
        self._quota_used += cost
        self._calls[endpoint] = self._calls.get(endpoint, 0) + 1

    def quota_report(self) -> dict[str, Any]:
        return {
            "used": self._quota_used,
            "remaining": self.quota_remaining,
            "limit": self._daily_quota,
            "calls": dict(sorted(self._calls.items())),
        }

    def reset_quota(self) -> None:
        self._quota_used = 0
        self._calls.clear()

    # -- calls ----------------------------------------------------------------

    def _call(
        self, endpoint: str, params: Mapping[str, Any], *, ttl: str | int = "default"
    ) -> dict[str, Any]:
        key = endpoint + "?" + "&".join(f"{k}={params[k]}" for k in sorted(params))
        cached = self._cache.get(key)
        if cached is not None:
            return dict(cached)
        self._charge(endpoint)
        try:
            response = self._http.get(
                f"{self.API_BASE}/{endpoint}", params={**params, "key": self._api_key}
            )
        except HttpStatusError as exc:
            if exc.status == 403 and b"quotaExceeded" in exc.body:
                self._quota_used = self._daily_quota
                raise QuotaExceeded("the API reports the quota spent") from exc
            raise YouTubeError(f"{endpoint} answered {exc.status}") from exc
        except TransportError as exc:
            self._log.error("youtube unreachable", endpoint=endpoint)
            raise YouTubeError("the YouTube API is unreachable") from exc
        data: dict[str, Any] = response.json() or {}
        self._cache.set(key, data, ttl=ttl)
        return data

    def search(
        self,
        query: str,
        *,
        max_results: int = 10,
        order: str = "relevance",
        page_token: str | None = None,
        channel_id: str | None = None,
    ) -> SearchPage:
        query = query.strip()
        if not query:
            raise ValueError("empty search")
        if order not in self.ORDERS:
            raise ValueError(f"unknown order {order!r}")
        params: dict[str, Any] = {
            "part": "snippet",
            "q": query,
            "type": "video",
            "maxResults": max(1, min(max_results, self.MAX_RESULTS)),
            "order": order,
            "regionCode": self._region,
        }
        if page_token:
            params["pageToken"] = page_token
        if channel_id:
            params["channelId"] = channel_id
        data = self._call("search", params, ttl="short")
        items = data.get("items", [])
        return SearchPage(
            video_ids=tuple(i["id"]["videoId"] for i in items),
            titles=tuple(i["snippet"]["title"] for i in items),
            next_page_token=data.get("nextPageToken"),
            total_results=int(data.get("pageInfo", {}).get("totalResults", 0)),
        )

    def video(self, video_id: str) -> Video:
        video_id = self.extract_video_id(video_id)
        videos = self.videos([video_id])
        if not videos:
            raise VideoUnavailable(video_id)
        return videos[0]

    def videos(self, video_ids: Iterable[str]) -> list[Video]:
        """Details of up to any number of videos, 50 per call, in the given order."""
        ids = list(dict.fromkeys(self.extract_video_id(v) for v in video_ids))
        found: dict[str, Video] = {}
        for start in range(0, len(ids), self.MAX_RESULTS):
            batch = ids[start : start + self.MAX_RESULTS]
            data = self._call(
                "videos",
                {"part": "snippet,contentDetails,statistics", "id": ",".join(batch)},
            )
            for item in data.get("items", []):
                video = self.parse_video(item)
                found[video.video_id] = video
        return [found[i] for i in ids if i in found]

    def channel(self, channel_id: str) -> dict[str, Any]:
        data = self._call(
            "channels",
            {"part": "snippet,statistics,contentDetails", "id": channel_id},
            ttl="long",
        )
        items = data.get("items", [])
        if not items:
            raise YouTubeError(f"no channel {channel_id!r}")
        item = items[0]
        return {
            "id": item["id"],
            "title": item["snippet"]["title"],
            "subscribers": int(item.get("statistics", {}).get("subscriberCount", 0)),
            "uploads": item.get("contentDetails", {})
            .get("relatedPlaylists", {})
            .get("uploads"),
        }

    def playlist_items(self, playlist_id: str, *, max_items: int = 200) -> list[str]:
        """Video ids of a playlist, following pages up to *max_items*."""
        if max_items < 1:
            raise ValueError("max_items must be positive")
        ids: list[str] = []
        token: str | None = None
        while len(ids) < max_items:
            params: dict[str, Any] = {
                "part": "contentDetails",
                "playlistId": playlist_id,
                "maxResults": min(self.MAX_RESULTS, max_items - len(ids)),
            }
            if token:
                params["pageToken"] = token
            data = self._call("playlistItems", params)
            ids.extend(i["contentDetails"]["videoId"] for i in data.get("items", []))
            token = data.get("nextPageToken")
            if not token:
                break
        return ids[:max_items]

    def channel_uploads(self, channel_id: str, *, max_items: int = 50) -> list[str]:
        uploads = self.channel(channel_id)["uploads"]
        if not uploads:
            return []
        return self.playlist_items(uploads, max_items=max_items)

    def comments(self, video_id: str, *, max_results: int = 20) -> list[dict[str, Any]]:
        video_id = self.extract_video_id(video_id)
        try:
            data = self._call(
                "commentThreads",
                {
                    "part": "snippet",
                    "videoId": video_id,
                    "maxResults": max(1, min(max_results, 100)),
                    "order": "relevance",
                },
                ttl="short",
            )
        except YouTubeError as exc:
            if (
                isinstance(exc.__cause__, HttpStatusError)
                and exc.__cause__.status == 403
            ):
                return []  # comments disabled
            raise
        return [
            {
                "author": c["snippet"]["topLevelComment"]["snippet"][
                    "authorDisplayName"
                ],
                "text": c["snippet"]["topLevelComment"]["snippet"]["textDisplay"],
                "likes": int(
                    c["snippet"]["topLevelComment"]["snippet"].get("likeCount", 0)
                ),
            }
            for c in data.get("items", [])
        ]

    def trending(
        self, *, category: str | None = None, max_results: int = 25
    ) -> list[Video]:
        params: dict[str, Any] = {
            "part": "snippet,contentDetails,statistics",
            "chart": "mostPopular",
            "regionCode": self._region,
            "maxResults": max(1, min(max_results, self.MAX_RESULTS)),
        }
        if category:
            params["videoCategoryId"] = category
        data = self._call("videos", params, ttl="short")
        return [self.parse_video(i) for i in data.get("items", [])]

    # -- asynchronous ---------------------------------------------------------

    async def avideo(self, video_id: str) -> Video:
        """Video details without the cache."""
        video_id = self.extract_video_id(video_id)
        self._charge("videos")
        response = await self._http.aget(
            f"{self.API_BASE}/videos",
            params={
                "part": "snippet,contentDetails,statistics",
                "id": video_id,
                "key": self._api_key,
            },
        )
        items = (response.json() or {}).get("items", [])
        if not items:
            raise VideoUnavailable(video_id)
        return self.parse_video(items[0])

    async def asearch_ids(self, query: str, *, max_results: int = 10) -> list[str]:
        query = query.strip()
        if not query:
            raise ValueError("empty search")

        async def fetch() -> list[str]:
            self._charge("search")
            response = await self._http.aget(
                f"{self.API_BASE}/search",
                params={
                    "part": "id",
                    "q": query,
                    "type": "video",
                    "maxResults": max_results,
                    "key": self._api_key,
                },
            )
            return [
                i["id"]["videoId"] for i in (response.json() or {}).get("items", [])
            ]

        return await self._cache.aget_or_set(
            f"ids:{query}:{max_results}", fetch, ttl="short"
        )
