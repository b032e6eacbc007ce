"""Tests for the structured logger: levels, context, redaction and shipping."""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.errors import ConnectionFailed, HttpStatusError
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.logger import Logger, LogRecord
from mockpool._demo.tests.support import cases, data_driven

NOW = 1_700_000_000.0


class LoggerTestCase(unittest.TestCase):
    """A logger whose ``_emit`` is autospecced and whose shipper is a mock."""

    def setUp(self) -> None:
        patcher = mock.patch.object(Logger, "_emit", autospec=True)
        self.emit = patcher.start()
        self.addCleanup(patcher.stop)
        self.shipper = mock.create_autospec(HttpClient, instance=True)
        self.logger = Logger("app", clock=lambda: NOW)

    def emitted(self) -> list[LogRecord]:
        return [c.args[1] for c in self.emit.call_args_list]


@data_driven
class LevelTests(LoggerTestCase):
    """Level names, numbers and filtering."""

    @cases(
        debug=("DEBUG", 10),
        info=("info", 20),
        warning=("Warning", 30),
        error=("ERROR", 40),
        critical=("critical", 50),
        number=(25, 25),
        zero=(0, 0),
    )
    def test_level_number(self, case: tuple[Any, int]) -> None:
        """Levels are names (any case) or non-negative numbers."""
        level, expected = case
        self.assertEqual(Logger.level_number(level), expected)

    @cases(unknown="VERBOSE", empty="", negative=-1)
    def test_bad_levels_are_refused(self, level: Any) -> None:
        """Unknown names and negative numbers are ValueErrors."""
        with self.assertRaises(ValueError):
            Logger.level_number(level)

    def test_bool_is_not_a_level(self) -> None:
        """True is an int, but never a level."""
        with self.assertRaises(TypeError):
            Logger.level_number(True)

    @cases(ten=(10, "DEBUG"), fifty=(50, "CRITICAL"), custom=(25, "LEVEL25"))
    def test_level_name(self, case: tuple[int, str]) -> None:
        """Numbers map back to names; custom ones get LEVEL<n>."""
        number, name = case
        self.assertEqual(Logger.level_name(number), name)

    @cases(
        debug_hidden=("INFO", "debug", False),
        info_shown=("INFO", "info", True),
        warning_shown=("INFO", "warning", True),
        info_hidden=("ERROR", "info", False),
        error_shown=("ERROR", "error", True),
        critical_shown=("ERROR", "critical", True),
        everything=("DEBUG", "debug", True),
    )
    def test_filtering(self, case: tuple[str, str, bool]) -> None:
        """Records below the logger's level are not emitted."""
        level, method, shown = case
        self.logger.set_level(level)
        record = getattr(self.logger, method)("hello")
        self.assertEqual(record is not None, shown)
        self.assertEqual(self.emit.called, shown)

    def test_is_enabled_for(self) -> None:
        """is_enabled_for compares with the current level."""
        self.logger.set_level("WARNING")
        self.assertFalse(self.logger.is_enabled_for("INFO"))
        self.assertTrue(self.logger.is_enabled_for(30))

    def test_counts(self) -> None:
        """counts() tallies emitted records per level; reset_counts clears."""
        self.logger.info("a")
        self.logger.info("b")
        self.logger.error("c")
        self.logger.debug("hidden")
        counts = self.logger.counts()
        self.assertEqual((counts["INFO"], counts["ERROR"], counts["DEBUG"]), (2, 1, 0))
        self.logger.reset_counts()
        self.assertEqual(sum(self.logger.counts().values()), 0)


class RecordTests(LoggerTestCase):
    """What a record holds."""

    def test_message_is_formatted_with_args(self) -> None:
        """%-style args are applied lazily."""
        self.logger.info("user %s has %d items", "ann", 3)
        (record,) = self.emitted()
        self.assertEqual(record.message, "user ann has 3 items")
        self.assertEqual(record.timestamp, NOW)
        self.assertEqual(record.name, "app")

    def test_message_without_args_is_kept_verbatim(self) -> None:
        """A lone % is fine without args."""
        self.logger.info("100% done")
        self.assertEqual(self.emitted()[0].message, "100% done")

    def test_fields(self) -> None:
        """Keyword arguments become fields."""
        self.logger.warning("slow", ms=120, path="/x")
        self.assertEqual(dict(self.emitted()[0].fields), {"ms": 120, "path": "/x"})

    def test_exception_uses_the_handled_exception(self) -> None:
        """exception() picks up sys.exc_info()."""
        try:
            raise KeyError("k")
        except KeyError:
            self.logger.exception("lookup failed")
        record = self.emitted()[0]
        self.assertEqual(record.level, 40)
        self.assertEqual(record.exc_text, "KeyError: 'k'")

    def test_exception_with_explicit_exc(self) -> None:
        """exception(exc=...) logs that exception."""
        self.logger.exception("boom", exc=ValueError("bad"))
        self.assertEqual(self.emitted()[0].exc_text, "ValueError: bad")

    def test_as_dict(self) -> None:
        """as_dict flattens fields beside the standard keys."""
        record = LogRecord(30, "app", "m", {"k": 1}, 5.0, "E: x")
        self.assertEqual(
            record.as_dict(),
            {
                "level": "WARNING",
                "logger": "app",
                "message": "m",
                "ts": 5.0,
                "k": 1,
                "exc": "E: x",
            },
        )

    def test_emit_is_not_available_unmocked(self) -> None:
        """The real _emit has nowhere to write in the demo."""
        self.emit.side_effect = RuntimeError("not available in the demo")
        with self.assertRaises(RuntimeError):
            self.logger.info("x")


@data_driven
class ContextTests(LoggerTestCase):
    """bind, unbind, child and redaction."""

    def test_bind_adds_context_to_records(self) -> None:
        """Bound fields appear on every record of the bound logger."""
        bound = self.logger.bind(request_id="r1")
        bound.info("hello", user="u")
        self.assertEqual(
            dict(self.emitted()[0].fields), {"request_id": "r1", "user": "u"}
        )
        self.assertEqual(self.logger.context, {})

    def test_call_fields_override_context(self) -> None:
        """A field passed to the call wins over the bound one."""
        self.logger.bind(a=1).info("x", a=2)
        self.assertEqual(self.emitted()[0].fields["a"], 2)

    def test_unbind(self) -> None:
        """unbind drops the named keys only."""
        bound = self.logger.bind(a=1, b=2, c=3).unbind("a", "c")
        self.assertEqual(bound.context, {"b": 2})

    def test_child_names_and_shares_context(self) -> None:
        """child('db') is 'app.db' with the parent's context."""
        child = self.logger.bind(a=1).child("db")
        self.assertEqual((child.name, child.context), ("app.db", {"a": 1}))

    @cases(empty="", dotted=".x")
    def test_bad_child_suffix(self, suffix: str) -> None:
        """Empty and dotted suffixes are refused."""
        with self.assertRaises(ValueError):
            self.logger.child(suffix)

    @cases(
        password=("password", True),
        upper=("PASSWORD", True),
        partial=("new_password", True),
        token=("refresh_token", True),
        secret=("client_secret", True),
        auth=("Authorization", True),
        api_key=("youtube_api_key", True),
        user=("user", False),
        path=("path", False),
        tokenizer_like=("tok", False),
    )
    def test_redaction(self, case: tuple[str, bool]) -> None:
        """Sensitive keys are redacted, whatever their case."""
        key, hidden = case
        self.logger.info("x", **{key: "value"})
        expected = Logger.REDACTED if hidden else "value"
        self.assertEqual(self.emitted()[0].fields[key], expected)

    def test_custom_redaction_list(self) -> None:
        """The redact argument replaces the defaults."""
        logger = Logger("app", redact=("ssn",), clock=lambda: NOW)
        fields = logger.redact({"ssn": "1", "password": "p"})
        self.assertEqual(fields, {"ssn": "***", "password": "p"})


@data_driven
class FormatTests(LoggerTestCase):
    """The text form of records."""

    @cases(
        plain=("abc", "abc"),
        spaced=("a b", "'a b'"),
        empty=("", "''"),
        integer=(3, "3"),
        floating=(1.23456, "1.235"),
        none=(None, "None"),
        listed=([1], "[1]"),
    )
    def test_format_value(self, case: tuple[Any, str]) -> None:
        """Strings with spaces are quoted, floats shortened."""
        value, expected = case
        self.assertEqual(Logger.format_value(value), expected)

    def test_format_record(self) -> None:
        """A line is timestamp, level, name, message and sorted fields."""
        record = LogRecord(20, "app", "hi", {"b": 2, "a": "x y"}, 0.0)
        self.assertEqual(
            self.logger.format_record(record),
            "1970-01-01T00:00:00 INFO app: hi a='x y' b=2",
        )

    def test_format_record_with_exception(self) -> None:
        """The exception text follows a bar."""
        record = LogRecord(40, "app", "bad", {}, 0.0, "ValueError: v")
        self.assertTrue(self.logger.format_record(record).endswith(" | ValueError: v"))


class TimedTests(unittest.TestCase):
    """The timed() block, with a stepping clock."""

    def setUp(self) -> None:
        self.clock = mock.Mock(side_effect=[100.0, 100.25, 100.25])
        self.shipper = mock.create_autospec(HttpClient, instance=True)
        self.logger = Logger("app", level="DEBUG", clock=self.clock)

    @mock.patch.object(Logger, "_emit", autospec=True)
    def test_timed_logs_duration(self, emit: mock.MagicMock) -> None:
        """A successful block logs 'done' with milliseconds."""
        with self.logger.timed("query"):
            pass
        record = emit.call_args.args[1]
        self.assertEqual(record.message, "query done")
        self.assertEqual(record.fields["ms"], 250.0)

    @mock.patch.object(Logger, "_emit", autospec=True)
    def test_timed_logs_failures_and_reraises(self, emit: mock.MagicMock) -> None:
        """A failing block logs an error and re-raises."""
        with self.assertRaises(ZeroDivisionError), self.logger.timed("math"):
            _ = 1 / 0
        record = emit.call_args.args[1]
        self.assertEqual((record.level, record.message), (40, "math failed"))
        self.assertEqual(record.exc_text, "ZeroDivisionError: division by zero")


class ShippingTests(LoggerTestCase):
    """Batches posted to the shipper."""

    def setUp(self) -> None:
        super().setUp()
        self.logger = Logger(
            "app", clock=lambda: NOW, shipper=self.shipper, batch_size=3
        )

    def test_records_wait_for_a_batch(self) -> None:
        """Below the batch size nothing is posted."""
        self.logger.info("a")
        self.logger.info("b")
        self.assertEqual(self.logger.pending, 2)
        self.shipper.post.assert_not_called()

    def test_full_batch_is_posted(self) -> None:
        """The third record posts all three, once, without retries."""
        for message in "abc":
            self.logger.info(message)
        self.shipper.post.assert_called_once_with(
            Logger.SHIP_PATH, json=mock.ANY, retries=0
        )
        records = self.shipper.post.call_args.kwargs["json"]["records"]
        self.assertEqual([r["message"] for r in records], ["a", "b", "c"])
        self.assertEqual(self.logger.pending, 0)

    def test_flush_posts_what_is_pending(self) -> None:
        """flush() returns how many records went."""
        self.logger.info("a")
        self.assertEqual(self.logger.flush(), 1)
        self.assertEqual(self.logger.flush(), 0)
        self.shipper.post.assert_called_once()

    def test_failed_flush_keeps_records(self) -> None:
        """A post that fails keeps the batch and writes a warning."""
        self.shipper.post.side_effect = ConnectionFailed("down")
        self.logger.info("a")
        self.assertEqual(self.logger.flush(), 0)
        self.assertEqual(self.logger.pending, 1)
        warning = self.emitted()[-1]
        self.assertEqual(warning.level, 30)
        self.assertEqual(warning.fields, {"error": "ConnectionFailed"})

    def test_status_errors_are_failures_too(self) -> None:
        """A 500 from the log endpoint keeps the batch."""
        self.shipper.post.side_effect = HttpStatusError(500, "/logs")
        self.logger.info("a")
        self.logger.flush()
        self.assertEqual(self.logger.pending, 1)

    def test_filtered_records_are_not_shipped(self) -> None:
        """Debug records below the level never reach the buffer."""
        self.logger.debug("noise")
        self.assertEqual(self.logger.pending, 0)

    def test_bound_loggers_share_the_shipper(self) -> None:
        """A child logger ships through the same client."""
        child = self.logger.child("db")
        for message in "xyz":
            child.info(message)
        self.shipper.post.assert_called_once()

    def test_bad_batch_size(self) -> None:
        """batch_size must be positive."""
        with self.assertRaises(ValueError):
            Logger("app", shipper=self.shipper, batch_size=0)

    def test_empty_name(self) -> None:
        """A logger needs a name."""
        with self.assertRaises(ValueError):
            Logger("", shipper=self.shipper)


if __name__ == "__main__":
    unittest.main()
