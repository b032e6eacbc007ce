"""Tests for the HTTP client: URLs, headers, bodies, retries and timeouts."""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.errors import (
    ClientClosedError,
    ConnectionFailed,
    HttpStatusError,
    RequestTimeout,
)
from mockpool._demo.services.http import HttpClient, Response
from mockpool._demo.services.logger import Logger
from mockpool._demo.tests.support import cases, data_driven, response

BASE = "https://api.example.com/v1"


class HttpClientTestCase(unittest.TestCase):
    """A client on :data:`BASE` whose wire is an autospecced ``_send``."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.sleep = mock.Mock(name="sleep")
        patcher = mock.patch.object(HttpClient, "_send", autospec=True)
        self.send = patcher.start()
        self.addCleanup(patcher.stop)
        self.send.return_value = response(200, {"ok": True})
        self.client = HttpClient(BASE, logger=self.logger, sleep=self.sleep)

    def sent(self, index: int = -1) -> tuple[Any, ...]:
        """The (method, url, headers, body, timeout) of one ``_send`` call."""
        args: tuple[Any, ...] = self.send.call_args_list[index].args
        self.assertIs(args[0], self.client)
        return args[1:]


@data_driven
class HeaderTests(HttpClientTestCase):
    """Default headers, normalisation and bearer tokens."""

    @cases(
        lower=("content-type", "Content-Type"),
        upper=("ACCEPT", "Accept"),
        mixed=("x-REQUEST-id", "X-Request-Id"),
        padded=("  accept-language ", "Accept-Language"),
        single=("authorization", "Authorization"),
        many_parts=("x-plex-client-identifier", "X-Plex-Client-Identifier"),
    )
    def test_normalize_header(self, case: tuple[str, str]) -> None:
        """Header names are put in canonical Title-Case."""
        raw, expected = case
        self.assertEqual(HttpClient.normalize_header(raw), expected)

    @cases(empty="", space="x header", colon="x:y", newline="x\nevil")
    def test_bad_header_names_are_refused(self, name: str) -> None:
        """Names that would break the request line are refused."""
        with self.assertRaises(ValueError):
            self.client.set_header(name, "v")

    def test_user_agent_is_a_default_header(self) -> None:
        """Every request carries the client's User-Agent."""
        self.client.get("/things")
        _, _, headers, _, _ = self.sent()
        self.assertEqual(headers["User-Agent"], HttpClient.USER_AGENT)

    def test_set_header_applies_to_later_requests(self) -> None:
        """A header set on the client is sent with every request."""
        self.client.set_header("x-tenant", "acme")
        self.client.get("/a")
        self.client.get("/b")
        for index in (0, 1):
            self.assertEqual(self.sent(index)[2]["X-Tenant"], "acme")

    def test_header_values_with_line_breaks_are_refused(self) -> None:
        """Header injection is refused."""
        with self.assertRaises(ValueError):
            self.client.set_header("X-Note", "a\r\nSet-Cookie: x")

    def test_remove_header_reports_whether_it_was_set(self) -> None:
        """remove_header returns False the second time."""
        self.client.set_header("X-Debug", "1")
        self.assertTrue(self.client.remove_header("x-debug"))
        self.assertFalse(self.client.remove_header("x-debug"))

    def test_bearer_token(self) -> None:
        """set_bearer_token sets Authorization; clear removes it."""
        self.client.set_bearer_token("abc")
        self.client.get("/me")
        self.assertEqual(self.sent()[2]["Authorization"], "Bearer abc")
        self.assertTrue(self.client.clear_bearer_token())
        self.client.get("/me")
        self.assertNotIn("Authorization", self.sent()[2])

    def test_empty_bearer_token_is_refused(self) -> None:
        """An empty token is a bug in the caller."""
        with self.assertRaises(ValueError):
            self.client.set_bearer_token("")

    def test_per_request_headers_override_defaults(self) -> None:
        """Headers passed to a request win over the client's."""
        self.client.set_header("Accept", "text/html")
        self.client.get("/x", headers={"accept": "application/json"})
        self.assertEqual(self.sent()[2]["Accept"], "application/json")
        self.assertEqual(self.client.default_headers["Accept"], "text/html")

    def test_default_headers_is_a_copy(self) -> None:
        """Changing the returned dict does not change the client."""
        headers = self.client.default_headers
        headers["X-Evil"] = "1"
        self.assertNotIn("X-Evil", self.client.default_headers)

    def test_headers_given_to_init_are_normalised(self) -> None:
        """Constructor headers go through set_header."""
        client = HttpClient(BASE, headers={"x-api-key": "k"}, logger=self.logger)
        self.assertEqual(client.default_headers["X-Api-Key"], "k")


@data_driven
class UrlTests(HttpClientTestCase):
    """Query strings and URL joining."""

    @cases(
        none=(None, ""),
        empty=({}, ""),
        sorted=({"b": 2, "a": 1}, "a=1&b=2"),
        skips_none=({"a": None, "b": "x"}, "b=x"),
        bools=({"flag": True, "off": False}, "flag=true&off=false"),
        lists=({"id": [1, 2, 3]}, "id=1&id=2&id=3"),
        tuples=({"t": ("x", "y")}, "t=x&t=y"),
        escapes=({"q": "a b&c"}, "q=a+b%26c"),
        unicode=({"q": "caf\u00e9"}, "q=caf%C3%A9"),
        numbers=({"n": 1.5, "m": 0}, "m=0&n=1.5"),
    )
    def test_build_query(self, case: tuple[Any, str]) -> None:
        """Parameters are encoded sorted, without None, bools lower-cased."""
        params, expected = case
        self.assertEqual(HttpClient.build_query(params), expected)

    @cases(
        relative=("users", None, BASE + "/users"),
        leading_slash=("/users", None, BASE + "/users"),
        nested=("users/7/posts", None, BASE + "/users/7/posts"),
        absolute=("https://other.test/x", None, "https://other.test/x"),
        with_params=("/s", {"q": "x"}, BASE + "/s?q=x"),
        params_appended=("/s?a=1", {"b": 2}, BASE + "/s?a=1&b=2"),
        absolute_params=("http://h.test/p", {"k": "v"}, "http://h.test/p?k=v"),
    )
    def test_build_url(self, case: tuple[str, Any, str]) -> None:
        """Paths are joined to the base URL; absolute URLs pass through."""
        path, params, expected = case
        self.assertEqual(self.client.build_url(path, params), expected)

    def test_relative_path_without_base_url_is_refused(self) -> None:
        """A client without base URL needs absolute URLs."""
        client = HttpClient(logger=self.logger)
        with self.assertRaises(ValueError):
            client.build_url("/x")

    def test_request_sends_the_built_url(self) -> None:
        """request() hands the joined URL with its query to the wire."""
        self.client.get("/search", params={"q": "cats", "page": 2})
        method, url, _, body, timeout = self.sent()
        self.assertEqual(method, "GET")
        self.assertEqual(url, BASE + "/search?page=2&q=cats")
        self.assertIsNone(body)
        self.assertEqual(timeout, HttpClient.DEFAULT_TIMEOUT)

    @cases(ftp="ftp://files.test", bare="example.com", mailto="mailto:a@b.c")
    def test_non_http_base_urls_are_refused(self, base: str) -> None:
        """Only http and https base URLs make sense."""
        with self.assertRaises(ValueError):
            HttpClient(base, logger=self.logger)


@data_driven
class BodyTests(HttpClientTestCase):
    """Request bodies and the headers they imply."""

    @cases(
        json_object=(
            {"json": {"b": 1, "a": [1, 2]}},
            b'{"a":[1,2],"b":1}',
            "application/json",
        ),
        json_list=({"json": [1, "x"]}, b'[1,"x"]', "application/json"),
        json_false=({"json": False}, b"false", "application/json"),
        raw_bytes=({"data": b"\x00\x01"}, b"\x00\x01", "application/octet-stream"),
        text=({"data": "h\u00e9"}, "h\u00e9".encode(), "text/plain; charset=utf-8"),
        form=(
            {"data": {"b": 2, "a": "x y"}},
            b"a=x+y&b=2",
            "application/x-www-form-urlencoded",
        ),
    )
    def test_encode_body(self, case: tuple[dict[str, Any], bytes, str]) -> None:
        """JSON, bytes, text and forms are encoded with a content type."""
        kwargs, body, content_type = case
        encoded, headers = self.client.encode_body(**kwargs)
        self.assertEqual(encoded, body)
        self.assertEqual(headers, {"Content-Type": content_type})

    def test_no_body(self) -> None:
        """Without json or data there is no body and no content type."""
        self.assertEqual(self.client.encode_body(), (None, {}))

    def test_json_and_data_together_are_refused(self) -> None:
        """The caller must choose one body."""
        with self.assertRaises(ValueError):
            self.client.encode_body(json={}, data=b"x")

    def test_post_sends_body_and_content_length(self) -> None:
        """post() sends the JSON body with its length."""
        self.client.post("/items", json={"name": "lamp"})
        method, _, headers, body, _ = self.sent()
        self.assertEqual(method, "POST")
        self.assertEqual(body, b'{"name":"lamp"}')
        self.assertEqual(headers["Content-Length"], str(len(body)))
        self.assertEqual(headers["Content-Type"], "application/json")

    def test_explicit_content_type_wins(self) -> None:
        """A caller's Content-Type replaces the implied one."""
        self.client.post(
            "/items", json={"a": 1}, headers={"content-type": "application/vnd+json"}
        )
        self.assertEqual(self.sent()[2]["Content-Type"], "application/vnd+json")

    def test_post_json_returns_the_decoded_answer(self) -> None:
        """post_json sends JSON and decodes the answer."""
        self.send.return_value = response(201, {"id": 9})
        self.assertEqual(self.client.post_json("/items", {"n": 1}), {"id": 9})


@data_driven
class VerbTests(HttpClientTestCase):
    """The thin verb methods put the right method on the wire."""

    @cases(
        get=("get", "GET", {}),
        head=("head", "HEAD", {}),
        options=("options", "OPTIONS", {}),
        post=("post", "POST", {"json": {"a": 1}}),
        put=("put", "PUT", {"json": {"a": 1}}),
        patch=("patch", "PATCH", {"json": {"a": 1}}),
        delete=("delete", "DELETE", {}),
    )
    def test_verb(self, case: tuple[str, str, dict[str, Any]]) -> None:
        """Each verb method sends its HTTP method to the joined URL."""
        attribute, method, kwargs = case
        result = getattr(self.client, attribute)("/thing", **kwargs)
        self.assertIs(result, self.send.return_value)
        sent_method, url, _, _, _ = self.sent()
        self.assertEqual((sent_method, url), (method, BASE + "/thing"))

    @cases(trace="TRACE", connect="CONNECT", nonsense="FETCH")
    def test_unsupported_methods_are_refused(self, method: str) -> None:
        """request() refuses methods the client does not speak."""
        with self.assertRaises(ValueError):
            self.client.request(method, "/x")
        self.send.assert_not_called()

    def test_method_is_upper_cased(self) -> None:
        """request('get', ...) sends GET."""
        self.client.request("get", "/x")
        self.assertEqual(self.sent()[0], "GET")

    def test_get_json(self) -> None:
        """get_json decodes the body."""
        self.send.return_value = response(200, [1, 2, 3])
        self.assertEqual(self.client.get_json("/list"), [1, 2, 3])

    def test_get_json_of_empty_body_is_none(self) -> None:
        """An empty body decodes to None, not an error."""
        self.send.return_value = response(204)
        self.assertIsNone(self.client.get_json("/nothing"))

    @cases(
        ok=(200, True), no_content=(204, True), missing=(404, False), gone=(410, False)
    )
    def test_exists(self, case: tuple[int, bool]) -> None:
        """exists() is a HEAD that treats 404 and 410 as absence."""
        status, expected = case
        self.send.return_value = response(status)
        self.assertIs(self.client.exists("/f"), expected)
        self.assertEqual(self.sent()[0], "HEAD")

    def test_exists_raises_for_server_errors(self) -> None:
        """A 500 is not an answer to "does it exist"."""
        self.send.return_value = response(500)
        with self.assertRaises(HttpStatusError):
            self.client.exists("/f")

    def test_head_never_raises_for_status(self) -> None:
        """head() returns error responses for the caller to read."""
        self.send.return_value = response(403)
        self.assertEqual(self.client.head("/secret").status, 403)


@data_driven
class RetryPolicyTests(HttpClientTestCase):
    """Back-off delays and the retry decision."""

    @cases(
        first=(0, None, 0.5),
        second=(1, None, 1.0),
        third=(2, None, 2.0),
        capped=(10, None, HttpClient.MAX_BACKOFF),
        retry_after=(0, "3", 3.0),
        retry_after_float=(1, "1.5", 1.5),
        retry_after_capped=(0, "3600", HttpClient.MAX_BACKOFF),
        retry_after_negative=(0, "-5", 0.0),
        retry_after_date_ignored=(1, "Wed, 21 Oct 2015 07:28:00 GMT", 1.0),
    )
    def test_backoff_delay(self, case: tuple[int, str | None, float]) -> None:
        """Exponential back-off, or the server's Retry-After, both capped."""
        attempt, retry_after, expected = case
        self.assertEqual(self.client.backoff_delay(attempt, retry_after), expected)

    @cases(
        get_transport=(("GET", None, 0, 2), True),
        get_503=(("GET", 503, 0, 2), True),
        get_429=(("GET", 429, 1, 2), True),
        get_500=(("GET", 500, 0, 2), False),
        get_404=(("GET", 404, 0, 2), False),
        get_200=(("GET", 200, 0, 2), False),
        last_attempt=(("GET", 503, 2, 2), False),
        no_retries=(("GET", None, 0, 0), False),
        post_transport=(("POST", None, 0, 2), False),
        post_503=(("POST", 503, 0, 2), False),
        patch_transport=(("PATCH", None, 0, 2), False),
        put_502=(("PUT", 502, 0, 2), True),
        delete_504=(("DELETE", 504, 1, 3), True),
        lower_case_head=(("head", None, 0, 1), True),
    )
    def test_should_retry(
        self, case: tuple[tuple[str, int | None, int, int], bool]
    ) -> None:
        """Only idempotent methods retry, on transport errors and 429/5xx gateways."""
        args, expected = case
        self.assertIs(self.client.should_retry(*args), expected)


class RetryBehaviourTests(HttpClientTestCase):
    """request() retries, sleeps, logs and finally raises."""

    def test_retries_transport_errors_then_succeeds(self) -> None:
        """Two timeouts then an answer: three sends, two sleeps."""
        ok = response(200, {"n": 1})
        self.send.side_effect = [RequestTimeout("t"), ConnectionFailed("c"), ok]
        self.assertIs(self.client.get("/flaky"), ok)
        self.assertEqual(self.send.call_count, 3)
        self.sleep.assert_has_calls([mock.call(0.5), mock.call(1.0)])
        self.assertEqual(self.client.stats(), {"sent": 3, "retried": 2})

    def test_gives_up_after_the_retries(self) -> None:
        """The last transport error propagates."""
        self.send.side_effect = RequestTimeout("slow")
        with self.assertRaises(RequestTimeout):
            self.client.get("/slow")
        self.assertEqual(self.send.call_count, HttpClient.DEFAULT_RETRIES + 1)
        self.assertEqual(self.sleep.call_count, HttpClient.DEFAULT_RETRIES)

    def test_post_is_not_retried(self) -> None:
        """A POST may have been applied; it is never sent twice."""
        self.send.side_effect = ConnectionFailed("reset")
        with self.assertRaises(ConnectionFailed):
            self.client.post("/orders", json={"sku": 1})
        self.send.assert_called_once()
        self.sleep.assert_not_called()

    def test_retry_after_is_honoured(self) -> None:
        """A 429 with Retry-After waits as the server asked."""
        self.send.side_effect = [
            response(429, headers={"Retry-After": "7"}),
            response(200, {"ok": True}),
        ]
        self.client.get("/limited")
        self.sleep.assert_called_once_with(7.0)

    def test_exhausted_status_retries_raise_for_status(self) -> None:
        """After the last 503 the status error is raised."""
        self.send.return_value = response(503, url=BASE + "/down")
        with self.assertRaises(HttpStatusError) as caught:
            self.client.get("/down")
        self.assertEqual(caught.exception.status, 503)
        self.assertEqual(self.send.call_count, 3)

    def test_retries_are_logged_as_warnings(self) -> None:
        """Each retry is a warning with attempt, delay and reason."""
        self.send.side_effect = [response(502), response(200)]
        self.client.get("/gw")
        self.logger.warning.assert_called_once_with(
            "retrying %s %s",
            "GET",
            BASE + "/gw",
            attempt=1,
            delay=0.5,
            reason="502",
        )

    def test_per_request_retries_override(self) -> None:
        """retries=0 sends once."""
        self.send.side_effect = RequestTimeout("t")
        with self.assertRaises(RequestTimeout):
            self.client.request("GET", "/x", retries=0)
        self.send.assert_called_once()

    def test_per_request_timeout(self) -> None:
        """The timeout passed to a request reaches the wire."""
        self.client.get("/x", timeout=2.5)
        self.assertEqual(self.sent()[4], 2.5)

    def test_status_error_carries_url_and_body(self) -> None:
        """HttpStatusError says what failed."""
        self.send.return_value = Response(404, b"nope", {}, BASE + "/missing")
        with self.assertRaises(HttpStatusError) as caught:
            self.client.get("/missing")
        self.assertEqual(caught.exception.url, BASE + "/missing")
        self.assertEqual(caught.exception.body, b"nope")

    def test_raise_for_status_false_returns_errors(self) -> None:
        """request(raise_for_status=False) hands back 4xx responses."""
        self.send.return_value = response(422, {"error": "bad"})
        result = self.client.request("POST", "/x", json={}, raise_for_status=False)
        self.assertEqual(result.json(), {"error": "bad"})

    def test_without_logger_retries_silently(self) -> None:
        """The logger is optional."""
        client = HttpClient(BASE, sleep=self.sleep)
        self.send.side_effect = [response(503), response(200)]
        self.assertEqual(client.get("/x").status, 200)
        self.logger.warning.assert_not_called()


class LifetimeTests(HttpClientTestCase):
    """Closing, context management and configuration."""

    def test_closed_client_refuses_requests(self) -> None:
        """After close() nothing is sent."""
        self.client.close()
        self.assertTrue(self.client.closed)
        with self.assertRaises(ClientClosedError):
            self.client.get("/x")
        self.send.assert_not_called()

    def test_context_manager_closes(self) -> None:
        """with HttpClient(...) closes on exit."""
        with HttpClient(BASE, logger=self.logger) as client:
            self.assertFalse(client.closed)
        self.assertTrue(client.closed)

    def test_from_config(self) -> None:
        """from_config reads every option, with defaults."""
        client = HttpClient.from_config(
            {"base_url": BASE, "timeout": "3", "retries": 5, "headers": {"x-k": "v"}},
            logger=self.logger,
        )
        self.assertEqual(client.base_url, BASE)
        self.assertEqual(client.timeout, 3.0)
        self.assertEqual(client.default_headers["X-K"], "v")
        client.get("/x")
        self.send.assert_called_once_with(
            client, "GET", BASE + "/x", mock.ANY, None, 3.0
        )

    def test_from_config_defaults(self) -> None:
        """An empty config gives a client with the class defaults."""
        client = HttpClient.from_config({}, logger=self.logger)
        self.assertEqual(client.base_url, "")
        self.assertEqual(client.timeout, HttpClient.DEFAULT_TIMEOUT)

    def test_trailing_slash_of_base_url_is_dropped(self) -> None:
        """base_url is stored without its trailing slash."""
        client = HttpClient(BASE + "/", logger=self.logger)
        self.assertEqual(client.base_url, BASE)

    def test_bad_settings_are_refused(self) -> None:
        """Non-positive timeouts and negative retries are refused."""
        for kwargs in ({"timeout": 0}, {"timeout": -1.0}, {"retries": -1}):
            with self.subTest(**kwargs), self.assertRaises(ValueError):
                HttpClient(BASE, logger=self.logger, **kwargs)


@data_driven
class ResponseTests(HttpClientTestCase):
    """The Response value the wire returns."""

    @cases(
        s200=(200, True),
        s204=(204, True),
        s301=(301, True),
        s399=(399, True),
        s400=(400, False),
        s404=(404, False),
        s500=(500, False),
    )
    def test_ok(self, case: tuple[int, bool]) -> None:
        """ok is true for 2xx and 3xx."""
        status, expected = case
        self.assertIs(Response(status).ok, expected)

    @cases(
        default=({}, "utf-8"),
        explicit=({"Content-Type": "text/html; charset=latin-1"}, "latin-1"),
        quoted=({"content-type": 'text/plain; charset="utf-16"'}, "utf-16"),
        other_param=({"Content-Type": "text/plain; format=flowed"}, "utf-8"),
    )
    def test_charset(self, case: tuple[dict[str, str], str]) -> None:
        """The charset comes from Content-Type, utf-8 by default."""
        headers, expected = case
        self.assertEqual(Response(200, headers=headers).charset, expected)

    def test_text_uses_the_charset(self) -> None:
        """text decodes with the declared charset."""
        result = Response(
            200,
            "caf\u00e9".encode("latin-1"),
            {"Content-Type": "text/plain; charset=latin-1"},
        )
        self.assertEqual(result.text, "caf\u00e9")

    def test_header_lookup_ignores_case(self) -> None:
        """header() finds headers regardless of case."""
        result = Response(200, headers={"ETag": '"x"'})
        self.assertEqual(result.header("etag"), '"x"')
        self.assertEqual(result.header("missing", "d"), "d")

    def test_raise_for_status_returns_the_response(self) -> None:
        """A good response is returned, for chaining."""
        result = Response(200)
        self.assertIs(result.raise_for_status(), result)


class AsyncRequestTests(unittest.IsolatedAsyncioTestCase):
    """The asynchronous request path, over an autospecced ``_asend``."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        patcher = mock.patch.object(HttpClient, "_asend", autospec=True)
        self.asend: Any = patcher.start()
        self.addCleanup(patcher.stop)
        self.async_sleep = mock.AsyncMock(name="async_sleep")
        self.client = HttpClient(BASE, logger=self.logger, async_sleep=self.async_sleep)

    async def test_aget_awaits_the_wire(self) -> None:
        """aget sends a GET and returns the response."""
        self.asend.return_value = response(200, {"a": 1})
        result = await self.client.aget("/a", params={"x": 1})
        self.assertEqual(result.json(), {"a": 1})
        self.asend.assert_awaited_once_with(
            self.client, "GET", BASE + "/a?x=1", mock.ANY, None, 10.0
        )

    async def test_aget_json(self) -> None:
        """aget_json decodes the body."""
        self.asend.return_value = response(200, ["x"])
        self.assertEqual(await self.client.aget_json("/l"), ["x"])

    async def test_apost_sends_json(self) -> None:
        """apost encodes its JSON body."""
        self.asend.return_value = response(201, {"id": 1})
        await self.client.apost("/items", json={"n": 2})
        body = self.asend.await_args.args[4]
        self.assertEqual(body, b'{"n":2}')

    async def test_async_retries_sleep_without_blocking(self) -> None:
        """Transport errors are retried with the async sleep."""
        self.asend.side_effect = [ConnectionFailed("x"), response(200)]
        result = await self.client.aget("/flaky")
        self.assertEqual(result.status, 200)
        self.async_sleep.assert_awaited_once_with(0.5)

    async def test_async_status_errors_raise(self) -> None:
        """A 404 raises after the await."""
        self.asend.return_value = response(404)
        with self.assertRaises(HttpStatusError):
            await self.client.aget("/missing")

    async def test_async_post_is_not_retried(self) -> None:
        """Non-idempotent requests are sent once."""
        self.asend.side_effect = RequestTimeout("t")
        with self.assertRaises(RequestTimeout):
            await self.client.apost("/x", json={})
        self.assertEqual(self.asend.await_count, 1)
        self.async_sleep.assert_not_awaited()


class WireTests(unittest.TestCase):
    """Unmocked, the wire is not there."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True, spec_set=True)

    def test_send_is_not_available(self) -> None:
        """A test that forgets to mock _send gets a clear error."""
        client = HttpClient(BASE, logger=self.logger)
        with self.assertRaisesRegex(RuntimeError, "not available in the demo"):
            client.get("/x")

    def test_the_logger_is_not_called_without_retries(self) -> None:
        """A failing first attempt of a POST logs nothing."""
        client = HttpClient(BASE, logger=self.logger)
        with self.assertRaises(RuntimeError):
            client.post("/x", json={})
        self.assertEqual(self.logger.mock_calls, [])


if __name__ == "__main__":
    unittest.main()
