"""Logging across services: what each service logs, and log shipping.

The services log through an autospecced :class:`Logger`; the shipping tests
use a real logger and a real HTTP client whose ``_send`` is autospecced.
"""

from __future__ import annotations

import json
import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.database import Database, QueryResult
from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.errors import (
    ConnectionFailed,
    DatabaseError,
    RedisConnectionError,
    RequestTimeout,
)
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.jwt import JwtService
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.redis import RedisService
from mockpool._demo.tests.support import cases, data_driven, response

NOW = 1_700_000_000.0


@data_driven
class ServiceLoggingTests(unittest.TestCase):
    """Each service logs its failures with the fields operators search for."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)

    @mock.patch.object(RedisService, "_execute", autospec=True)
    def test_redis_failures(self, execute: mock.MagicMock) -> None:
        """Redis logs the command name, never its arguments."""
        execute.side_effect = RedisConnectionError("refused")
        redis = RedisService(logger=self.logger)
        with self.assertRaises(RedisConnectionError):
            redis.set("session:1", "secret-value")
        self.logger.error.assert_called_once_with(
            "redis command failed", command="SET", error="RedisConnectionError"
        )
        self.assertNotIn("secret-value", repr(self.logger.mock_calls))

    @mock.patch.object(Database, "_run", autospec=True)
    def test_database_failures(self, run: mock.MagicMock) -> None:
        """The database logs the SQL (with placeholders), not the parameters."""
        run.side_effect = DatabaseError("deadlock")
        db = Database("sqlite:///x", logger=self.logger)
        with self.assertRaises(DatabaseError):
            db.execute("UPDATE users SET password_hash = ? WHERE id = ?", ("HASH", 1))
        self.assertNotIn("HASH", repr(self.logger.mock_calls))
        self.logger.error.assert_called_once()

    @cases(
        fast=([0.0, 0.1], 0),
        threshold=([0.0, 0.5], 1),
        slow=([0.0, 2.0], 1),
    )
    def test_slow_query_threshold(self, case: tuple[list[float], int]) -> None:
        """Statements at or over 500 ms are logged as slow."""
        times, warnings = case
        with mock.patch.object(Database, "_run", autospec=True) as run:
            run.return_value = QueryResult()
            db = Database(
                "sqlite:///x", logger=self.logger, clock=mock.Mock(side_effect=times)
            )
            db.execute("SELECT 1")
        self.assertEqual(self.logger.warning.call_count, warnings)

    def test_cache_failures(self) -> None:
        """The cache logs the failing action and key, once per failure."""
        redis = mock.create_autospec(RedisService, instance=True)
        redis.get.side_effect = RedisConnectionError("x")
        cache = CacheService(redis, namespace="ns", logger=self.logger)
        cache.get("a")
        cache.get("b")
        self.assertEqual(
            self.logger.warning.call_args_list,
            [
                mock.call(
                    "cache %s failed",
                    "get",
                    key="ns:v1:a",
                    error="RedisConnectionError",
                ),
                mock.call(
                    "cache %s failed",
                    "get",
                    key="ns:v1:b",
                    error="RedisConnectionError",
                ),
            ],
        )

    @mock.patch.object(HttpClient, "_send", autospec=True)
    def test_http_retries(self, send: mock.MagicMock) -> None:
        """Each retry is logged with its attempt number."""
        send.side_effect = [RequestTimeout("t"), RequestTimeout("t"), response(200)]
        client = HttpClient("https://x.test", logger=self.logger, sleep=mock.Mock())
        client.get("/a")
        self.assertEqual(
            [c.kwargs["attempt"] for c in self.logger.warning.call_args_list], [1, 2]
        )

    def test_jwt_logs_issuance_without_tokens(self) -> None:
        """Issuing a pair is logged by subject only."""
        jwt = JwtService(EncryptionService(b"j" * 32, iterations=1), logger=self.logger)
        pair = jwt.issue_pair("u1")
        self.logger.debug.assert_called_once_with("issued token pair", sub="u1")
        self.assertNotIn(pair.access, repr(self.logger.mock_calls))

    def test_encryption_logs_retired_key_use(self) -> None:
        """Decrypting with a retired key is logged, for rotation dashboards."""
        old = EncryptionService(b"1" * 32, iterations=1)
        new = EncryptionService(
            b"2" * 32, iterations=1, previous_keys=[b"1" * 32], logger=self.logger
        )
        new.decrypt(old.encrypt(b"x"))
        self.logger.info.assert_called_once_with(
            "decrypted with a retired key", key_id=old.key_id
        )


class ShippingTests(unittest.TestCase):
    """A real logger shipping through a real client over an autospecced wire."""

    def setUp(self) -> None:
        patcher = mock.patch.object(HttpClient, "_send", autospec=True)
        self.send = patcher.start()
        self.addCleanup(patcher.stop)
        self.send.return_value = response(202)
        emit = mock.patch.object(Logger, "_emit", autospec=True)
        self.emit = emit.start()
        self.addCleanup(emit.stop)
        # The client logs its own retries elsewhere, never to the logger it ships.
        self.client_logger = mock.create_autospec(Logger, instance=True)
        self.client = HttpClient(
            "https://logs.test", logger=self.client_logger, sleep=mock.Mock()
        )
        self.logger = Logger(
            "app", clock=lambda: NOW, shipper=self.client, batch_size=2
        )

    def shipped(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for call in self.send.call_args_list:
            records += json.loads(call.args[4])["records"]
        return records

    def test_batches_are_posted_as_json(self) -> None:
        """Two records make one POST to /logs."""
        self.logger.info("a", user="u1")
        self.logger.warning("b")
        self.send.assert_called_once()
        method, url = self.send.call_args.args[1:3]
        self.assertEqual((method, url), ("POST", "https://logs.test/logs"))
        self.assertEqual(
            self.shipped(),
            [
                {
                    "level": "INFO",
                    "logger": "app",
                    "message": "a",
                    "ts": NOW,
                    "user": "u1",
                },
                {"level": "WARNING", "logger": "app", "message": "b", "ts": NOW},
            ],
        )

    def test_redaction_applies_before_shipping(self) -> None:
        """Secrets never leave the process."""
        self.logger.info("login", password="hunter2", token="t")
        self.logger.flush()
        body = self.send.call_args.args[4]
        self.assertNotIn(b"hunter2", body)
        self.assertEqual(self.shipped()[0]["password"], Logger.REDACTED)

    def test_shipping_is_not_retried(self) -> None:
        """A failed post is not retried by the client; the batch waits."""
        self.send.side_effect = ConnectionFailed("down")
        self.logger.info("a")
        self.logger.info("b")
        self.send.assert_called_once()
        self.assertEqual(self.logger.pending, 2)

    def test_failed_batch_goes_with_the_next(self) -> None:
        """After an outage the kept records are sent first."""
        self.send.side_effect = [ConnectionFailed("down"), response(202)]
        for message in "abc":
            self.logger.info(message)
        self.assertEqual(self.logger.flush(), 0)
        self.assertEqual(self.send.call_count, 2)
        delivered = json.loads(self.send.call_args.args[4])["records"]
        self.assertEqual([r["message"] for r in delivered], ["a", "b", "c"])

    def test_bound_context_is_shipped(self) -> None:
        """Bound fields travel with each record."""
        request = self.logger.bind(request_id="r-1")
        request.info("a")
        request.info("b")
        self.assertEqual({r["request_id"] for r in self.shipped()}, {"r-1"})

    def test_exceptions_are_shipped_as_text(self) -> None:
        """Exceptions become their one-line text."""
        self.logger.exception("boom", exc=KeyError("k"))
        self.logger.flush()
        self.assertEqual(self.shipped()[0]["exc"], "KeyError: 'k'")

    def test_closed_client_keeps_the_batch(self) -> None:
        """A closed client refuses to send; the records wait."""
        self.client.close()
        self.logger.info("a")
        self.logger.info("b")
        self.send.assert_not_called()
        self.assertEqual(self.logger.pending, 2)


if __name__ == "__main__":
    unittest.main()
