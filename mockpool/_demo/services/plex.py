"""A Plex Media Server client: libraries, search, metadata and playback."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.errors import (
    HttpStatusError,
    MediaNotFound,
    PlexError,
    TransportError,
)
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.redis import RedisService


@dataclass(frozen=True)
class Library:
    key: str
    title: str
    kind: str
    item_count: int = 0


@dataclass(frozen=True)
class MediaItem:
    rating_key: str
    title: str
    kind: str
    year: int | None = None
    duration_ms: int = 0
    view_offset_ms: int = 0
    watched: bool = False
    parent_title: str = ""
    index: int | None = None
    genres: tuple[str, ...] = field(default_factory=tuple)

    @property
    def progress(self) -> float:
        """Fraction watched, 0.0 to 1.0."""
        if self.watched:
            return 1.0
        if not self.duration_ms:
            return 0.0
        return min(self.view_offset_ms / self.duration_ms, 1.0)

    @property
    def display_title(self) -> str:
        if self.kind == "episode" and self.parent_title and self.index is not None:
            return f"{self.parent_title} - E{self.index:02d} - {self.title}"
        if self.year:
            return f"{self.title} ({self.year})"
        return self.title


class PlexService:
    """Talks to one Plex server through *http*, caching reads in *cache*."""

    MEDIA_TYPES: Mapping[int, str] = {
        1: "movie",
        2: "show",
        3: "season",
        4: "episode",
        8: "artist",
        9: "album",
        10: "track",
    }
    SECTION_TYPES = frozenset({"movie", "show", "artist", "photo"})
    QUALITIES: Mapping[str, tuple[int, int]] = {
        "original": (0, 0),
        "1080p": (1920, 20_000),
        "720p": (1280, 4_000),
        "480p": (720, 1_500),
        "240p": (320, 300),
    }
    CLIENT_IDENTIFIER = "mockpool-demo"
    PRODUCT = "mockpool demo"
    WATCHED_THRESHOLD = 0.9
    MAX_SEARCH_RESULTS = 100

    def __init__(
        self,
        cache: CacheService,
        http: HttpClient,
        log: Logger,
        *,
        base_url: str = "http://plex.local:32400",
        token: str | None = None,
        cache_ttl: str | int = "long",
    ) -> None:
        self._cache = cache
        self._http = http
        self._log = log
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._cache_ttl = cache_ttl

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> PlexService:
        """Build the service and its collaborators from application settings."""
        log = Logger("plex", level=settings.get("log_level", "INFO"))
        http = HttpClient(
            settings["plex_url"],
            timeout=float(settings.get("plex_timeout", 10.0)),
            logger=log,
        )
        redis = RedisService(settings.get("redis_url", RedisService.DEFAULT_URL))
        cache = CacheService(redis, namespace="plex", logger=log)
        return cls(
            cache,
            http,
            log,
            base_url=settings["plex_url"],
            token=settings.get("plex_token"),
        )

    # -- properties -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def authenticated(self) -> bool:
        return bool(self._token)

    # -- helpers --------------------------------------------------------------

    def headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "X-Plex-Client-Identifier": self.CLIENT_IDENTIFIER,
            "X-Plex-Product": self.PRODUCT,
        }
        if self._token:
            headers["X-Plex-Token"] = self._token
        return headers

    @classmethod
    def media_type(cls, type_id: int | str) -> str:
        """Map Plex's numeric type (or its name) to our kind."""
        if isinstance(type_id, str) and not type_id.isdigit():
            if type_id not in cls.MEDIA_TYPES.values():
                raise PlexError(f"unknown media type {type_id!r}")
            return type_id
        try:
            return cls.MEDIA_TYPES[int(type_id)]
        except KeyError:
            raise PlexError(f"unknown media type {type_id!r}") from None

    @classmethod
    def type_id(cls, kind: str) -> int:
        for number, name in cls.MEDIA_TYPES.items():
            if name == kind:
                return number
        raise PlexError(f"unknown media type {kind!r}")

    @staticmethod
    def format_duration(ms: int) -> str:
        """``5_025_000`` becomes ``"1h 23m"``; under an hour, ``"12m 5s"``."""
        if ms < 0:
            raise ValueError(f"negative duration {ms!r}")
        seconds = ms // 1000
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return f"{hours}h {minutes:02d}m"
        if minutes:
            return f"{minutes}m {seconds}s"
        return f"{seconds}s"

    @classmethod
    def parse_media(cls, data: Mapping[str, Any]) -> MediaItem:
        """Build a :class:`MediaItem` from one ``Metadata`` entry."""
        try:
            rating_key = str(data["ratingKey"])
            title = str(data["title"])
        except KeyError as exc:
            raise PlexError(f"metadata without {exc.args[0]!r}") from None
        duration = int(data.get("duration") or 0)
        offset = int(data.get("viewOffset") or 0)
        view_count = int(data.get("viewCount") or 0)
        watched = view_count > 0 or (
            duration > 0 and offset / duration >= cls.WATCHED_THRESHOLD
        )
        return MediaItem(
            rating_key=rating_key,
            title=title,
            kind=cls.media_type(data.get("type", 1)),
            year=int(data["year"]) if data.get("year") else None,
            duration_ms=duration,
            view_offset_ms=offset,
            watched=watched,
            parent_title=str(
                data.get("grandparentTitle") or data.get("parentTitle") or ""
            ),
            index=int(data["index"]) if data.get("index") is not None else None,
            genres=tuple(g["tag"] for g in data.get("Genre", [])),
        )

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            response = self._http.get(
                f"{self._base_url}{path}", params=params, headers=self.headers()
            )
        except HttpStatusError as exc:
            if exc.status == 404:
                raise MediaNotFound(path) from exc
            if exc.status == 401:
                raise PlexError("the Plex token was refused") from exc
            raise PlexError(f"Plex answered {exc.status} for {path}") from exc
        except TransportError as exc:
            self._log.error("plex unreachable", path=path, error=type(exc).__name__)
            raise PlexError("the Plex server is unreachable") from exc
        container = response.json() or {}
        return container.get("MediaContainer", {})

    def _command(self, path: str, params: Mapping[str, Any] | None = None) -> None:
        try:
            self._http.put(
                f"{self._base_url}{path}" + (f"?{urlencode(params)}" if params else ""),
                headers=self.headers(),
            )
        except (HttpStatusError, TransportError) as exc:
            raise PlexError(f"command {path} failed") from exc

    # -- libraries ------------------------------------------------------------

    def libraries(self) -> list[Library]:
        def fetch() -> list[dict[str, Any]]:
            container = self._get("/library/sections")
            return [
                {
                    "key": str(d["key"]),
                    "title": d["title"],
                    "kind": d["type"],
                    "item_count": int(d.get("count", 0)),
                }
                for d in container.get("Directory", [])
                if d.get("type") in self.SECTION_TYPES
            ]

        rows = self._cache.get_or_set("libraries", fetch, ttl=self._cache_ttl)
        return [Library(**row) for row in rows]

    def library(self, key: str) -> Library:
        for library in self.libraries():
            if library.key == key:
                return library
        raise MediaNotFound(f"library {key}")

    def library_by_title(self, title: str) -> Library:
        wanted = title.casefold()
        for library in self.libraries():
            if library.title.casefold() == wanted:
                return library
        raise MediaNotFound(f"library {title!r}")

    def library_items(
        self, key: str, *, start: int = 0, size: int = 50, sort: str = "titleSort"
    ) -> list[MediaItem]:
        if start < 0 or not 1 <= size <= 500:
            raise ValueError("bad page")
        container = self._get(
            f"/library/sections/{quote(key)}/all",
            {
                "X-Plex-Container-Start": start,
                "X-Plex-Container-Size": size,
                "sort": sort,
            },
        )
        return [self.parse_media(m) for m in container.get("Metadata", [])]

    def refresh_library(self, key: str) -> None:
        self._http.get(
            f"{self._base_url}/library/sections/{quote(key)}/refresh",
            headers=self.headers(),
        )
        self._cache.delete("libraries")
        self._log.info("library refresh requested", library=key)

    # -- items ----------------------------------------------------------------

    def search(
        self, query: str, *, kind: str | None = None, limit: int = 20
    ) -> list[MediaItem]:
        query = " ".join(query.split())
        if not query:
            raise ValueError("empty search")
        limit = max(1, min(limit, self.MAX_SEARCH_RESULTS))
        params: dict[str, Any] = {"query": query, "limit": limit}
        if kind is not None:
            params["type"] = self.type_id(kind)
        cache_key = f"search:{query.casefold()}:{kind or ''}:{limit}"

        def fetch() -> list[dict[str, Any]]:
            result: list[dict[str, Any]] = self._get("/search", params).get(
                "Metadata", []
            )
            return result

        raw = self._cache.get_or_set(cache_key, fetch, ttl="short")
        return [self.parse_media(m) for m in raw][:limit]

    def metadata(self, rating_key: str) -> MediaItem:
        def fetch() -> dict[str, Any] | None:
            items = self._get(f"/library/metadata/{quote(rating_key)}").get("Metadata")
            return items[0] if items else None

        data = self._cache.get_or_set(f"meta:{rating_key}", fetch, ttl=self._cache_ttl)
        if data is None:
            raise MediaNotFound(rating_key)
        return self.parse_media(data)

    def children(self, rating_key: str) -> list[MediaItem]:
        container = self._get(f"/library/metadata/{quote(rating_key)}/children")
        return [self.parse_media(m) for m in container.get("Metadata", [])]

    def recently_added(self, *, limit: int = 10) -> list[MediaItem]:
        container = self._get("/library/recentlyAdded", {"limit": limit})
        return [self.parse_media(m) for m in container.get("Metadata", [])][:limit]

    def on_deck(self) -> list[MediaItem]:
        """Started but unfinished items, most progressed first."""
        container = self._get("/library/onDeck")
        items = [self.parse_media(m) for m in container.get("Metadata", [])]
        return sorted(
            (i for i in items if not i.watched), key=lambda i: i.progress, reverse=True
        )

    def mark_watched(self, rating_key: str) -> None:
        self._command(
            "/:/scrobble",
            {"key": rating_key, "identifier": "com.plexapp.plugins.library"},
        )
        self._cache.delete(f"meta:{rating_key}")

    def mark_unwatched(self, rating_key: str) -> None:
        self._command(
            "/:/unscrobble",
            {"key": rating_key, "identifier": "com.plexapp.plugins.library"},
        )
        self._cache.delete(f"meta:{rating_key}")

    # -- playback -------------------------------------------------------------

    def sessions(self) -> list[dict[str, Any]]:
        """What is playing now (never cached)."""
        container = self._get("/status/sessions")
        return [
            {
                "title": m.get("title", ""),
                "user": m.get("User", {}).get("title", ""),
                "state": m.get("Player", {}).get("state", "unknown"),
            }
            for m in container.get("Metadata", [])
        ]

    def play(self, rating_key: str, client_id: str, *, offset_ms: int = 0) -> None:
        if offset_ms < 0:
            raise ValueError("negative offset")
        item = self.metadata(rating_key)
        if item.duration_ms and offset_ms >= item.duration_ms:
            raise ValueError("offset beyond the end")
        self._player(
            client_id,
            "playMedia",
            {"key": f"/library/metadata/{rating_key}", "offset": offset_ms},
        )
        self._log.info("playback started", key=rating_key, client=client_id)

    def pause(self, client_id: str) -> None:
        self._player(client_id, "pause")

    def resume(self, client_id: str) -> None:
        self._player(client_id, "play")

    def stop(self, client_id: str) -> None:
        self._player(client_id, "stop")

    def seek(self, client_id: str, offset_ms: int) -> None:
        if offset_ms < 0:
            raise ValueError("negative offset")
        self._player(client_id, "seekTo", {"offset": offset_ms})

    def _player(
        self, client_id: str, action: str, params: Mapping[str, Any] | None = None
    ) -> None:
        if not client_id:
            raise PlexError("no client")
        try:
            self._http.post(
                f"{self._base_url}/player/playback/{action}",
                json={"client": client_id, **(params or {})},
                headers=self.headers(),
            )
        except (HttpStatusError, TransportError) as exc:
            self._log.warning("player command failed", action=action, client=client_id)
            raise PlexError(f"player command {action!r} failed") from exc

    # -- URLs -----------------------------------------------------------------

    def stream_url(self, rating_key: str, *, quality: str = "original") -> str:
        try:
            width, bitrate = self.QUALITIES[quality]
        except KeyError:
            raise ValueError(f"unknown quality {quality!r}") from None
        if not width:
            query = urlencode({"X-Plex-Token": self._token or ""})
            path = f"/library/metadata/{quote(rating_key)}/file"
            return f"{self._base_url}{path}?{query}"
        transcode = {
            "path": f"/library/metadata/{rating_key}",
            "videoResolution": f"{width}x{width * 9 // 16}",
            "maxVideoBitrate": bitrate,
            "X-Plex-Token": self._token or "",
        }
        path = "/video/:/transcode/universal/start.m3u8"
        return f"{self._base_url}{path}?{urlencode(transcode)}"

    def thumbnail_url(self, path: str, *, width: int = 300, height: int = 450) -> str:
        if width <= 0 or height <= 0:
            raise ValueError("thumbnail size must be positive")
        query = {
            "url": path,
            "width": width,
            "height": height,
            "X-Plex-Token": self._token or "",
        }
        return f"{self._base_url}/photo/:/transcode?{urlencode(query)}"

    # -- asynchronous ---------------------------------------------------------

    async def asearch(self, query: str, *, limit: int = 20) -> list[MediaItem]:
        """Search without the cache, for live type-ahead."""
        query = " ".join(query.split())
        if not query:
            raise ValueError("empty search")
        response = await self._http.aget(
            f"{self._base_url}/search", params={"query": query, "limit": limit}
        )
        container = (response.json() or {}).get("MediaContainer", {})
        return [self.parse_media(m) for m in container.get("Metadata", [])][:limit]

    async def alibraries(self) -> list[Library]:
        async def fetch() -> list[dict[str, Any]]:
            response = await self._http.aget(f"{self._base_url}/library/sections")
            container = (response.json() or {}).get("MediaContainer", {})
            return [
                {
                    "key": str(d["key"]),
                    "title": d["title"],
                    "kind": d["type"],
                    "item_count": int(d.get("count", 0)),
                }
                for d in container.get("Directory", [])
                if d.get("type") in self.SECTION_TYPES
            ]

        rows = await self._cache.aget_or_set("libraries", fetch, ttl=self._cache_ttl)
        return [Library(**row) for row in rows]
