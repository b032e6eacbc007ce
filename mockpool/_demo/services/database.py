"""A database handle: SQL built and checked here, the driver elsewhere."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import urlsplit

from mockpool._demo.services.errors import (
    NOT_AVAILABLE,
    DatabaseError,
    TransactionError,
)

if TYPE_CHECKING:
    from mockpool._demo.services.logger import Logger

Params = Sequence[Any]
Row = dict[str, Any]
Where = Optional[Mapping[str, Any]]


@dataclass(frozen=True)
class QueryResult:
    """What the driver returns for one statement."""

    columns: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    rowcount: int = 0
    lastrowid: int | None = None

    def dicts(self) -> list[Row]:
        return [dict(zip(self.columns, row)) for row in self.rows]


class Database:
    """A database handle using ``?`` placeholders.

    Statements go through :meth:`execute` and friends, which check the
    number of parameters and hand the statement to :meth:`_run` (the
    driver, which the demo does not have). :meth:`transaction` nests with
    savepoints.
    """

    DIALECTS = frozenset({"sqlite", "postgresql", "mysql"})
    IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
    ORDER = re.compile(r"^(-?)([A-Za-z_][A-Za-z0-9_]*)$")
    MAX_IN_PARAMS = 999

    def __init__(
        self,
        dsn: str,
        *,
        pool_size: int = 5,
        timeout: float = 30.0,
        logger: Logger | None = None,
        slow_query_ms: float = 500.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        scheme = urlsplit(dsn).scheme.split("+")[0]
        if scheme not in self.DIALECTS:
            raise ValueError(f"unsupported database URL {dsn!r}")
        if pool_size < 1:
            raise ValueError(f"pool_size must be positive, not {pool_size!r}")
        self._dsn = dsn
        self._dialect = scheme
        self._pool_size = pool_size
        self._timeout = timeout
        self._logger = logger
        self._slow_query_ms = slow_query_ms
        self._clock = clock
        self._depth = 0
        self._connected = False
        self._statements = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str], **options: Any) -> Database:
        """Build from ``DATABASE_URL`` (and ``DATABASE_POOL_SIZE``) in *env*."""
        try:
            dsn = env["DATABASE_URL"]
        except KeyError:
            raise DatabaseError("DATABASE_URL is not set") from None
        if "DATABASE_POOL_SIZE" in env:
            options.setdefault("pool_size", int(env["DATABASE_POOL_SIZE"]))
        return cls(dsn, **options)

    # -- properties -----------------------------------------------------------

    @property
    def dsn(self) -> str:
        return self._dsn

    @property
    def dialect(self) -> str:
        return self._dialect

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    # -- SQL building ---------------------------------------------------------

    @classmethod
    def quote_identifier(cls, name: str) -> str:
        """Return *name* quoted; refuse anything but plain identifiers."""
        if not cls.IDENTIFIER.match(name):
            raise DatabaseError(f"bad identifier {name!r}")
        return f'"{name}"'

    @staticmethod
    def count_placeholders(sql: str) -> int:
        """Count ``?`` outside single-quoted literals."""
        count = 0
        quoted = False
        for char in sql:
            if char == "'":
                quoted = not quoted
            elif char == "?" and not quoted:
                count += 1
        return count

    def build_where(self, where: Where) -> tuple[str, list[Any]]:
        """Return a ``WHERE`` clause and its parameters (``""`` when none).

        ``None`` values test ``IS NULL``; lists and tuples become ``IN``.
        """
        if not where:
            return "", []
        clauses: list[str] = []
        params: list[Any] = []
        for column in sorted(where):
            value = where[column]
            name = self.quote_identifier(column)
            if value is None:
                clauses.append(f"{name} IS NULL")
            elif isinstance(value, (list, tuple, set, frozenset)):
                items = sorted(value) if isinstance(value, (set, frozenset)) else value
                if not items:
                    clauses.append("1 = 0")
                    continue
                if len(items) > self.MAX_IN_PARAMS:
                    raise DatabaseError(f"too many values for {column!r}")
                clauses.append(f"{name} IN ({', '.join('?' * len(items))})")
                params.extend(items)
            else:
                clauses.append(f"{name} = ?")
                params.append(value)
        return " WHERE " + " AND ".join(clauses), params

    def build_order(self, order_by: Sequence[str] | str | None) -> str:
        """``["-created", "id"]`` becomes ``ORDER BY "created" DESC, "id" ASC``."""
        if not order_by:
            return ""
        columns = [order_by] if isinstance(order_by, str) else list(order_by)
        parts = []
        for column in columns:
            match = self.ORDER.match(column)
            if match is None:
                raise DatabaseError(f"bad order column {column!r}")
            direction = "DESC" if match.group(1) else "ASC"
            parts.append(f"{self.quote_identifier(match.group(2))} {direction}")
        return " ORDER BY " + ", ".join(parts)

    # -- statements -----------------------------------------------------------

    def connect(self) -> None:
        if not self._connected:
            self._open()
            self._connected = True

    def close(self) -> None:
        if self._connected:
            self._close()
            self._connected = False

    def _statement(self, sql: str, params: Params) -> QueryResult:
        expected = self.count_placeholders(sql)
        if expected != len(params):
            raise DatabaseError(
                f"statement has {expected} placeholders, got {len(params)} parameters"
            )
        self._statements += 1
        start = self._clock()
        try:
            result = self._run(sql, tuple(params))
        except DatabaseError as exc:
            if self._logger is not None:
                self._logger.error(
                    "statement failed", sql=sql, error=type(exc).__name__
                )
            raise
        elapsed_ms = (self._clock() - start) * 1000
        if elapsed_ms >= self._slow_query_ms and self._logger is not None:
            self._logger.warning("slow statement", sql=sql, ms=round(elapsed_ms, 1))
        return result

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; return the number of rows it changed."""
        return self._statement(sql, params).rowcount

    def execute_many(self, sql: str, seq_of_params: Sequence[Params]) -> int:
        total = 0
        with self.transaction():
            for params in seq_of_params:
                total += self._statement(sql, params).rowcount
        return total

    def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self._statement(sql, params).dicts()

    def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self._statement(sql, params).dicts()
        return rows[0] if rows else None

    def fetch_value(self, sql: str, params: Params = (), default: Any = None) -> Any:
        result = self._statement(sql, params)
        if not result.rows:
            return default
        return result.rows[0][0]

    def iterate(
        self, sql: str, params: Params = (), *, batch: int = 100
    ) -> Iterator[Row]:
        """Yield rows page by page (``LIMIT``/``OFFSET``)."""
        if batch < 1:
            raise ValueError(f"batch must be positive, not {batch!r}")
        offset = 0
        while True:
            rows = self.fetch_all(f"{sql} LIMIT {batch} OFFSET {offset}", params)
            yield from rows
            if len(rows) < batch:
                return
            offset += batch

    # -- table helpers --------------------------------------------------------

    def insert(self, table: str, values: Mapping[str, Any]) -> int | None:
        """Insert one row; return its id."""
        if not values:
            raise DatabaseError("insert of an empty row")
        columns = sorted(values)
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            self.quote_identifier(table),
            ", ".join(self.quote_identifier(c) for c in columns),
            ", ".join("?" * len(columns)),
        )
        return self._statement(sql, [values[c] for c in columns]).lastrowid

    def update(self, table: str, values: Mapping[str, Any], where: Where) -> int:
        """Update the rows matching *where*; refuse to update every row."""
        if not values:
            raise DatabaseError("update with nothing to set")
        if not where:
            raise DatabaseError("update without a WHERE clause")
        columns = sorted(values)
        assignments = ", ".join(f"{self.quote_identifier(c)} = ?" for c in columns)
        clause, params = self.build_where(where)
        sql = f"UPDATE {self.quote_identifier(table)} SET {assignments}{clause}"
        return self.execute(sql, [values[c] for c in columns] + params)

    def delete(self, table: str, where: Where) -> int:
        """Delete the rows matching *where*; refuse to delete every row."""
        if not where:
            raise DatabaseError("delete without a WHERE clause")
        clause, params = self.build_where(where)
        return self.execute(
            f"DELETE FROM {self.quote_identifier(table)}{clause}", params
        )

    def select(
        self,
        table: str,
        columns: Sequence[str] = ("*",),
        *,
        where: Where = None,
        order_by: Sequence[str] | str | None = None,
        limit: int | None = None,
    ) -> list[Row]:
        names = ", ".join(
            "*" if c == "*" else self.quote_identifier(c) for c in columns
        )
        clause, params = self.build_where(where)
        sql = f"SELECT {names} FROM {self.quote_identifier(table)}{clause}"
        sql += self.build_order(order_by)
        if limit is not None:
            if limit < 1:
                raise DatabaseError(f"limit must be positive, not {limit!r}")
            sql += f" LIMIT {int(limit)}"
        return self.fetch_all(sql, params)

    def get(self, table: str, where: Where) -> Row | None:
        rows = self.select(table, where=where, limit=1)
        return rows[0] if rows else None

    def count(self, table: str, where: Where = None) -> int:
        clause, params = self.build_where(where)
        sql = f"SELECT COUNT(*) FROM {self.quote_identifier(table)}{clause}"
        return int(self.fetch_value(sql, params, 0))

    def exists(self, table: str, where: Where) -> bool:
        return self.count(table, where) > 0

    def upsert(
        self, table: str, values: Mapping[str, Any], *, conflict: Sequence[str]
    ) -> int:
        """Insert, or update the non-key columns when *conflict* columns clash."""
        missing = [c for c in conflict if c not in values]
        if missing:
            raise DatabaseError(f"conflict columns {missing} are not in the row")
        columns = sorted(values)
        updates = [c for c in columns if c not in conflict]
        sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO ".format(
            self.quote_identifier(table),
            ", ".join(self.quote_identifier(c) for c in columns),
            ", ".join("?" * len(columns)),
            ", ".join(self.quote_identifier(c) for c in conflict),
        )
        if updates:
            sql += "UPDATE SET " + ", ".join(
                f"{self.quote_identifier(c)} = excluded.{self.quote_identifier(c)}"
                for c in updates
            )
        else:
            sql += "NOTHING"
        return self.execute(sql, [values[c] for c in columns])

    # -- transactions ---------------------------------------------------------

    def begin(self) -> None:
        self._run(f"SAVEPOINT sp{self._depth}" if self._depth else "BEGIN", ())
        self._depth += 1

    def commit(self) -> None:
        if not self._depth:
            raise TransactionError("commit outside a transaction")
        self._depth -= 1
        self._run(f"RELEASE SAVEPOINT sp{self._depth}" if self._depth else "COMMIT", ())

    def rollback(self) -> None:
        if not self._depth:
            raise TransactionError("rollback outside a transaction")
        self._depth -= 1
        self._run(
            f"ROLLBACK TO SAVEPOINT sp{self._depth}" if self._depth else "ROLLBACK",
            (),
        )

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Commit the block's statements, or roll them back if it raises."""
        self.begin()
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        self.commit()

    # -- asynchronous ---------------------------------------------------------

    async def afetch_one(self, sql: str, params: Params = ()) -> Row | None:
        result = await self._arun(sql, tuple(params))
        rows = result.dicts()
        return rows[0] if rows else None

    async def afetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        result = await self._arun(sql, tuple(params))
        return result.dicts()

    async def aexecute(self, sql: str, params: Params = ()) -> int:
        result = await self._arun(sql, tuple(params))
        return result.rowcount

    def stats(self) -> dict[str, int]:
        return {"statements": self._statements, "depth": self._depth}

    # -- the driver -----------------------------------------------------------

    def _open(self) -> None:
        """Open the connection pool (the demo has no server)."""
        raise RuntimeError(NOT_AVAILABLE)

    def _close(self) -> None:
        """Close the connection pool (the demo has no server)."""
        raise RuntimeError(NOT_AVAILABLE)

    def _run(self, sql: str, params: tuple[Any, ...]) -> QueryResult:
        """Run one statement on the server (the demo has none)."""
        raise RuntimeError(NOT_AVAILABLE)

    async def _arun(self, sql: str, params: tuple[Any, ...]) -> QueryResult:
        """Run one statement asynchronously (the demo has no server)."""
        raise RuntimeError(NOT_AVAILABLE)
