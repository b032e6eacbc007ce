"""An HTTP client with default headers, retries, back-off and timeouts."""

from __future__ import annotations

import asyncio
import json as jsonlib
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Union
from urllib.parse import urlencode, urljoin, urlsplit

from mockpool._demo.services.errors import (
    NOT_AVAILABLE,
    ClientClosedError,
    HttpStatusError,
    TransportError,
)

if TYPE_CHECKING:
    from mockpool._demo.services.logger import Logger

Params = Optional[Mapping[str, Any]]
Body = Union[bytes, str, Mapping[str, Any], None]


@dataclass(frozen=True)
class Response:
    """What a server answered."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400

    @property
    def charset(self) -> str:
        content_type = self.header("Content-Type") or ""
        for part in content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip('"')
        return "utf-8"

    @property
    def text(self) -> str:
        return self.body.decode(self.charset)

    def header(self, name: str, default: str | None = None) -> str | None:
        """Return a header, looked up regardless of case."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default

    def json(self) -> Any:
        if not self.body:
            return None
        return jsonlib.loads(self.text)

    def raise_for_status(self) -> Response:
        if self.status >= 400:
            raise HttpStatusError(self.status, self.url, self.body)
        return self


class HttpClient:
    """A small HTTP client.

    Idempotent requests are retried on transport errors and on the statuses
    in :attr:`RETRY_STATUSES`, with exponential back-off (or the server's
    ``Retry-After``), up to *retries* extra attempts. The wire is
    :meth:`_send` / :meth:`_asend`, which the demo does not have.
    """

    DEFAULT_TIMEOUT = 10.0
    DEFAULT_RETRIES = 2
    MAX_BACKOFF = 30.0
    METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
    RETRY_STATUSES = frozenset({429, 502, 503, 504})
    USER_AGENT = "mockpool-demo/1.0"

    def __init__(
        self,
        base_url: str = "",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = 0.5,
        headers: Mapping[str, str] | None = None,
        logger: Logger | None = None,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout!r}")
        if retries < 0:
            raise ValueError(f"retries must not be negative, not {retries!r}")
        if base_url and urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"base_url must be http(s), not {base_url!r}")
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._headers: dict[str, str] = {"User-Agent": self.USER_AGENT}
        for name, value in (headers or {}).items():
            self.set_header(name, value)
        self._logger = logger
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._closed = False
        self._sent = 0
        self._retried = 0

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], *, logger: Logger | None = None
    ) -> HttpClient:
        """Build a client from a settings mapping (``base_url``, ``timeout``...)."""
        return cls(
            str(config.get("base_url", "")),
            timeout=float(config.get("timeout", cls.DEFAULT_TIMEOUT)),
            retries=int(config.get("retries", cls.DEFAULT_RETRIES)),
            backoff=float(config.get("backoff", 0.5)),
            headers=dict(config.get("headers", {})),
            logger=logger,
        )

    # -- properties -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def timeout(self) -> float:
        return self._timeout

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def default_headers(self) -> dict[str, str]:
        return dict(self._headers)

    # -- headers --------------------------------------------------------------

    @staticmethod
    def normalize_header(name: str) -> str:
        """Return *name* in canonical ``Title-Case``."""
        name = name.strip()
        if not name or any(c in name for c in " :\r\n"):
            raise ValueError(f"bad header name {name!r}")
        return "-".join(part.capitalize() for part in name.split("-"))

    def set_header(self, name: str, value: str) -> None:
        if "\n" in value or "\r" in value:
            raise ValueError(f"header {name!r} has a line break")
        self._headers[self.normalize_header(name)] = value

    def remove_header(self, name: str) -> bool:
        return self._headers.pop(self.normalize_header(name), None) is not None

    def set_bearer_token(self, token: str) -> None:
        if not token:
            raise ValueError("empty bearer token")
        self.set_header("Authorization", f"Bearer {token}")

    def clear_bearer_token(self) -> bool:
        return self.remove_header("Authorization")

    # -- URLs and bodies ------------------------------------------------------

    @staticmethod
    def build_query(params: Params) -> str:
        """Encode *params* sorted by key; ``None`` is left out, bools lowered."""
        if not params:
            return ""
        pairs: list[tuple[str, str]] = []
        for key in sorted(params):
            value = params[key]
            if value is None:
                continue
            values = value if isinstance(value, (list, tuple)) else [value]
            for item in values:
                if isinstance(item, bool):
                    item = "true" if item else "false"
                pairs.append((key, str(item)))
        return urlencode(pairs)

    def build_url(self, path: str, params: Params = None) -> str:
        """Join *path* to the base URL (absolute URLs pass) and add *params*."""
        if urlsplit(path).scheme:
            url = path
        elif self._base_url:
            url = urljoin(self._base_url + "/", path.lstrip("/"))
        else:
            raise ValueError(f"relative path {path!r} and no base_url")
        query = self.build_query(params)
        if not query:
            return url
        return url + ("&" if "?" in url else "?") + query

    def encode_body(
        self, json: Any = None, data: Body = None
    ) -> tuple[bytes | None, dict[str, str]]:
        """Return the request body and the headers it implies."""
        if json is not None and data is not None:
            raise ValueError("pass json or data, not both")
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":"), sort_keys=True)
            return body.encode(), {"Content-Type": "application/json"}
        if data is None:
            return None, {}
        if isinstance(data, bytes):
            return data, {"Content-Type": "application/octet-stream"}
        if isinstance(data, str):
            return data.encode(), {"Content-Type": "text/plain; charset=utf-8"}
        form = urlencode(sorted((k, str(v)) for k, v in data.items()))
        return form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}

    def merge_headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        merged = dict(self._headers)
        for name, value in (extra or {}).items():
            merged[self.normalize_header(name)] = value
        return merged

    # -- retry policy ---------------------------------------------------------

    def backoff_delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number *attempt* (0-based)."""
        if retry_after is not None:
            try:
                seconds = float(retry_after)
            except ValueError:
                pass
            else:
                return min(max(seconds, 0.0), self.MAX_BACKOFF)
        return min(self._backoff * 2.0**attempt, self.MAX_BACKOFF)

    def should_retry(
        self, method: str, status: int | None, attempt: int, retries: int
    ) -> bool:
        """Whether attempt *attempt* (0-based) may be followed by another.

        *status* is ``None`` for a transport error.
        """
        if attempt >= retries or method.upper() not in self.IDEMPOTENT_METHODS:
            return False
        return status is None or status in self.RETRY_STATUSES

    # -- requests -------------------------------------------------------------

    def _prepare(
        self,
        method: str,
        path: str,
        params: Params,
        headers: Mapping[str, str] | None,
        json: Any,
        data: Body,
    ) -> tuple[str, str, dict[str, str], bytes | None]:
        if self._closed:
            raise ClientClosedError("the client is closed")
        method = method.upper()
        if method not in self.METHODS:
            raise ValueError(f"unsupported method {method!r}")
        url = self.build_url(path, params)
        body, implied = self.encode_body(json, data)
        merged = self.merge_headers(implied)
        merged.update(self.merge_headers(headers))
        if body is not None:
            merged["Content-Length"] = str(len(body))
        return method, url, merged, body

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Body = None,
        timeout: float | None = None,
        retries: int | None = None,
        raise_for_status: bool = True,
    ) -> Response:
        """Send a request, retrying as the policy allows; return the response."""
        method, url, merged, body = self._prepare(
            method, path, params, headers, json, data
        )
        timeout = self._timeout if timeout is None else timeout
        retries = self._retries if retries is None else retries
        attempt = 0
        while True:
            self._sent += 1
            try:
                response = self._send(method, url, merged, body, timeout)
            except TransportError as exc:
                if not self.should_retry(method, None, attempt, retries):
                    raise
                delay = self.backoff_delay(attempt)
                self._log_retry(method, url, attempt, delay, type(exc).__name__)
            else:
                if not self.should_retry(method, response.status, attempt, retries):
                    break
                delay = self.backoff_delay(attempt, response.header("Retry-After"))
                self._log_retry(method, url, attempt, delay, str(response.status))
            self._retried += 1
            self._sleep(delay)
            attempt += 1
        if raise_for_status:
            response.raise_for_status()
        return response

    def _log_retry(
        self, method: str, url: str, attempt: int, delay: float, reason: str
    ) -> None:
        if self._logger is not None:
            self._logger.warning(
                "retrying %s %s",
                method,
                url,
                attempt=attempt + 1,
                delay=delay,
                reason=reason,
            )

    def get(
        self,
        path: str,
        *,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Response:
        return self.request(
            "GET", path, params=params, headers=headers, timeout=timeout
        )

    def head(
        self,
        path: str,
        *,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return self.request(
            "HEAD", path, params=params, headers=headers, raise_for_status=False
        )

    def options(
        self, path: str, *, headers: Mapping[str, str] | None = None
    ) -> Response:
        return self.request("OPTIONS", path, headers=headers)

    def post(
        self,
        path: str,
        *,
        json: Any = None,
        data: Body = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> Response:
        return self.request(
            "POST",
            path,
            json=json,
            data=data,
            headers=headers,
            timeout=timeout,
            retries=retries,
        )

    def put(
        self,
        path: str,
        *,
        json: Any = None,
        data: Body = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return self.request("PUT", path, json=json, data=data, headers=headers)

    def patch(
        self,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return self.request("PATCH", path, json=json, headers=headers)

    def delete(
        self,
        path: str,
        *,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return self.request("DELETE", path, params=params, headers=headers)

    def get_json(self, path: str, *, params: Params = None) -> Any:
        return self.get(path, params=params).json()

    def post_json(self, path: str, payload: Any) -> Any:
        return self.post(path, json=payload).json()

    def exists(self, path: str) -> bool:
        """Whether a HEAD of *path* answers 2xx; 404 and 410 mean no."""
        response = self.head(path)
        if response.status in (404, 410):
            return False
        response.raise_for_status()
        return response.ok

    async def arequest(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> Response:
        """The asynchronous :meth:`request`."""
        method, url, merged, body = self._prepare(
            method, path, params, headers, json, None
        )
        timeout = self._timeout if timeout is None else timeout
        retries = self._retries if retries is None else retries
        attempt = 0
        while True:
            self._sent += 1
            try:
                response = await self._asend(method, url, merged, body, timeout)
            except TransportError:
                if not self.should_retry(method, None, attempt, retries):
                    raise
                delay = self.backoff_delay(attempt)
            else:
                if not self.should_retry(method, response.status, attempt, retries):
                    break
                delay = self.backoff_delay(attempt, response.header("Retry-After"))
            self._retried += 1
            await self._async_sleep(delay)
            attempt += 1
        return response.raise_for_status()

    async def aget(self, path: str, *, params: Params = None) -> Response:
        return await self.arequest("GET", path, params=params)

    async def apost(self, path: str, *, json: Any = None) -> Response:
        return await self.arequest("POST", path, json=json)

    async def aget_json(self, path: str, *, params: Params = None) -> Any:
        response = await self.aget(path, params=params)
        return response.json()

    # -- lifetime -------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        return {"sent": self._sent, "retried": self._retried}

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the wire -------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> Response:
        """Put one request on the wire (the demo has none)."""
        raise RuntimeError(NOT_AVAILABLE)

    async def _asend(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> Response:
        """Put one request on the wire asynchronously (the demo has none)."""
        raise RuntimeError(NOT_AVAILABLE)
