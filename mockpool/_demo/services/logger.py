"""A structured logger with bound context, redaction and optional shipping."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Union

from mockpool._demo.services.errors import NOT_AVAILABLE, ServiceError

if TYPE_CHECKING:
    from mockpool._demo.services.http import HttpClient

Level = Union[str, int]


@dataclass(frozen=True)
class LogRecord:
    """One log event."""

    level: int
    name: str
    message: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    timestamp: float = 0.0
    exc_text: str | None = None

    @property
    def level_name(self) -> str:
        return Logger.level_name(self.level)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "level": self.level_name,
            "logger": self.name,
            "message": self.message,
            "ts": self.timestamp,
        }
        data.update(self.fields)
        if self.exc_text is not None:
            data["exc"] = self.exc_text
        return data


class Logger:
    """A structured logger.

    Records carry key-value fields merged from the bound context; values of
    sensitive keys are redacted. Records at or above the logger's level are
    written by :meth:`_emit` and, when a *shipper* is given, buffered and
    posted to its ``/logs`` endpoint in batches.
    """

    LEVELS: Mapping[str, int] = {
        "DEBUG": 10,
        "INFO": 20,
        "WARNING": 30,
        "ERROR": 40,
        "CRITICAL": 50,
    }
    DEFAULT_REDACT = ("password", "token", "secret", "authorization", "api_key")
    REDACTED = "***"
    SHIP_PATH = "/logs"

    def __init__(
        self,
        name: str,
        *,
        level: Level = "INFO",
        context: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        redact: tuple[str, ...] = DEFAULT_REDACT,
        shipper: HttpClient | None = None,
        batch_size: int = 50,
    ) -> None:
        if not name:
            raise ValueError("a logger needs a name")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, not {batch_size!r}")
        self._name = name
        self._level = self.level_number(level)
        self._context = dict(context or {})
        self._clock = clock
        self._redact = tuple(key.lower() for key in redact)
        self._shipper = shipper
        self._batch_size = batch_size
        self._buffer: list[LogRecord] = []
        self._counts = dict.fromkeys(self.LEVELS.values(), 0)

    # -- properties -----------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def level(self) -> int:
        return self._level

    @property
    def context(self) -> dict[str, Any]:
        return dict(self._context)

    @property
    def pending(self) -> int:
        """How many records wait to be shipped."""
        return len(self._buffer)

    # -- levels ---------------------------------------------------------------

    @classmethod
    def level_number(cls, level: Level) -> int:
        """Return the number of *level*, given as a name or a number."""
        if isinstance(level, bool):
            raise TypeError("a level is a name or an int, not a bool")
        if isinstance(level, int):
            if level < 0:
                raise ValueError(f"negative level {level!r}")
            return level
        try:
            return cls.LEVELS[level.upper()]
        except KeyError:
            raise ValueError(f"unknown level {level!r}") from None

    @classmethod
    def level_name(cls, level: int) -> str:
        """Return the name of *level*, or ``"LEVEL<n>"`` for custom ones."""
        for name, number in cls.LEVELS.items():
            if number == level:
                return name
        return f"LEVEL{level}"

    def set_level(self, level: Level) -> None:
        self._level = self.level_number(level)

    def is_enabled_for(self, level: Level) -> bool:
        return self.level_number(level) >= self._level

    # -- logging --------------------------------------------------------------

    def log(
        self,
        level: Level,
        message: str,
        *args: object,
        exc_info: BaseException | None = None,
        **fields: Any,
    ) -> LogRecord | None:
        """Log *message* % *args* at *level*; return the record, if written."""
        number = self.level_number(level)
        if number < self._level:
            return None
        text = message % args if args else message
        merged = {**self._context, **fields}
        exc_text = None
        if exc_info is not None:
            exc_text = "".join(
                traceback.format_exception_only(type(exc_info), exc_info)
            ).strip()
        record = LogRecord(
            level=number,
            name=self._name,
            message=text,
            fields=self.redact(merged),
            timestamp=self._clock(),
            exc_text=exc_text,
        )
        self._counts[number] = self._counts.get(number, 0) + 1
        self._emit(record)
        if self._shipper is not None:
            self._buffer.append(record)
            if len(self._buffer) >= self._batch_size:
                self.flush()
        return record

    def debug(self, message: str, *args: object, **fields: Any) -> LogRecord | None:
        return self.log("DEBUG", message, *args, **fields)

    def info(self, message: str, *args: object, **fields: Any) -> LogRecord | None:
        return self.log("INFO", message, *args, **fields)

    def warning(self, message: str, *args: object, **fields: Any) -> LogRecord | None:
        return self.log("WARNING", message, *args, **fields)

    def error(self, message: str, *args: object, **fields: Any) -> LogRecord | None:
        return self.log("ERROR", message, *args, **fields)

    def critical(self, message: str, *args: object, **fields: Any) -> LogRecord | None:
        return self.log("CRITICAL", message, *args, **fields)

    def exception(
        self,
        message: str,
        *args: object,
        exc: BaseException | None = None,
        **fields: Any,
    ) -> LogRecord | None:
        """Log at ERROR with *exc*, or the exception being handled."""
        if exc is None:
            exc = sys.exc_info()[1]
        return self.log("ERROR", message, *args, exc_info=exc, **fields)

    # -- context --------------------------------------------------------------

    def bind(self, **fields: Any) -> Logger:
        """Return a logger for the same name with *fields* added to the context."""
        return self._copy(self._name, {**self._context, **fields})

    def unbind(self, *keys: str) -> Logger:
        """Return a logger without *keys* in the context."""
        context = {k: v for k, v in self._context.items() if k not in keys}
        return self._copy(self._name, context)

    def child(self, suffix: str) -> Logger:
        """Return the logger ``name.suffix``, sharing this one's context."""
        if not suffix or suffix.startswith("."):
            raise ValueError(f"bad logger suffix {suffix!r}")
        return self._copy(f"{self._name}.{suffix}", dict(self._context))

    def _copy(self, name: str, context: dict[str, Any]) -> Logger:
        return Logger(
            name,
            level=self._level,
            context=context,
            clock=self._clock,
            redact=self._redact,
            shipper=self._shipper,
            batch_size=self._batch_size,
        )

    # -- formatting -----------------------------------------------------------

    def redact(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Return *fields* with the values of sensitive keys replaced."""
        return {
            key: self.REDACTED if self._is_sensitive(key) else value
            for key, value in fields.items()
        }

    def _is_sensitive(self, key: str) -> bool:
        lowered = key.lower()
        return any(marker in lowered for marker in self._redact)

    @staticmethod
    def format_value(value: object) -> str:
        """Format a field value for a log line; quote strings with spaces."""
        if isinstance(value, str):
            return repr(value) if (" " in value or not value) else value
        if isinstance(value, float):
            return f"{value:.3f}"
        return repr(value)

    def format_record(self, record: LogRecord) -> str:
        """Return the one-line text form of *record*."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.timestamp))
        parts = [stamp, record.level_name, f"{record.name}:", record.message]
        parts.extend(
            f"{key}={self.format_value(value)}"
            for key, value in sorted(record.fields.items())
        )
        line = " ".join(parts)
        if record.exc_text:
            line += f" | {record.exc_text}"
        return line

    # -- timing and counting --------------------------------------------------

    @contextmanager
    def timed(self, label: str, *, level: Level = "DEBUG") -> Iterator[None]:
        """Log how long the block took, in milliseconds; errors are logged too."""
        start = self._clock()
        try:
            yield
        except Exception as exc:
            elapsed = (self._clock() - start) * 1000
            self.log("ERROR", "%s failed", label, exc_info=exc, ms=round(elapsed, 1))
            raise
        elapsed = (self._clock() - start) * 1000
        self.log(level, "%s done", label, ms=round(elapsed, 1))

    def counts(self) -> dict[str, int]:
        """How many records were written, per level name."""
        return {self.level_name(level): n for level, n in self._counts.items()}

    def reset_counts(self) -> None:
        self._counts = dict.fromkeys(self.LEVELS.values(), 0)

    # -- shipping -------------------------------------------------------------

    def flush(self) -> int:
        """Post the buffered records to the shipper; return how many went.

        A failed post keeps the records for the next flush and is written as
        a warning (not shipped, so that flushing cannot recurse).
        """
        if self._shipper is None or not self._buffer:
            return 0
        batch = list(self._buffer)
        try:
            self._shipper.post(
                self.SHIP_PATH,
                json={"records": [record.as_dict() for record in batch]},
                retries=0,
            )
        except ServiceError as exc:
            self._emit(
                LogRecord(
                    level=self.LEVELS["WARNING"],
                    name=self._name,
                    message=f"could not ship {len(batch)} log records",
                    fields={"error": type(exc).__name__},
                    timestamp=self._clock(),
                )
            )
            return 0
        del self._buffer[: len(batch)]
        return len(batch)

    def _emit(self, record: LogRecord) -> None:
        """Write *record* to the log stream (the demo has none)."""
        raise RuntimeError(NOT_AVAILABLE)
