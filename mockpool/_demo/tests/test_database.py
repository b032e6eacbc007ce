"""Tests for the database handle: SQL building, statements, transactions."""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.database import Database, QueryResult
from mockpool._demo.services.errors import (
    DatabaseError,
    IntegrityError,
    TransactionError,
)
from mockpool._demo.services.logger import Logger
from mockpool._demo.tests.support import cases, data_driven, start_patch_object

DSN = "postgresql://app@db.internal/app"


class DatabaseTestCase(unittest.TestCase):
    """A database whose driver ``_run`` is autospecced."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.driver = start_patch_object(self, Database, "_run", autospec=True)
        self.driver.return_value = QueryResult(rowcount=1)
        self.clock = mock.Mock(return_value=0.0)
        self.db = Database(DSN, logger=self.logger, clock=self.clock)

    def statement(self, index: int = -1) -> tuple[str, tuple[Any, ...]]:
        call = self.driver.call_args_list[index]
        self.assertIs(call.args[0], self.db)
        return call.args[1], call.args[2]


@data_driven
class ConfigurationTests(DatabaseTestCase):
    """DSNs, dialects and construction from the environment."""

    @cases(
        sqlite=("sqlite:///tmp/x.db", "sqlite"),
        postgres=("postgresql://h/db", "postgresql"),
        driver=("postgresql+asyncpg://h/db", "postgresql"),
        mysql=("mysql://h/db", "mysql"),
    )
    def test_dialect(self, case: tuple[str, str]) -> None:
        """The dialect comes from the URL scheme, without the driver."""
        dsn, dialect = case
        self.assertEqual(Database(dsn, logger=self.logger).dialect, dialect)

    @cases(oracle="oracle://h/db", bare="db.internal", empty="")
    def test_unsupported_dsn(self, dsn: str) -> None:
        """Other databases are refused."""
        with self.assertRaises(ValueError):
            Database(dsn, logger=self.logger)

    def test_pool_size_must_be_positive(self) -> None:
        """A pool needs a connection."""
        with self.assertRaises(ValueError):
            Database(DSN, pool_size=0, logger=self.logger)

    def test_from_env(self) -> None:
        """from_env reads DATABASE_URL and DATABASE_POOL_SIZE."""
        db = Database.from_env(
            {"DATABASE_URL": "sqlite:///x", "DATABASE_POOL_SIZE": "3"},
            logger=self.logger,
        )
        self.assertEqual((db.dsn, db.dialect), ("sqlite:///x", "sqlite"))

    def test_from_env_without_url(self) -> None:
        """A missing DATABASE_URL is a DatabaseError."""
        with self.assertRaises(DatabaseError):
            Database.from_env({}, logger=self.logger)

    def test_connect_and_close_use_the_driver(self) -> None:
        """connect() opens once; close() closes once."""
        open_ = start_patch_object(self, Database, "_open", autospec=True)
        close = start_patch_object(self, Database, "_close", autospec=True)
        self.db.connect()
        self.db.connect()
        self.assertTrue(self.db.connected)
        self.db.close()
        self.db.close()
        open_.assert_called_once_with(self.db)
        close.assert_called_once_with(self.db)
        self.assertFalse(self.db.connected)


@data_driven
class SqlBuildingTests(DatabaseTestCase):
    """Identifiers, placeholders, WHERE and ORDER BY."""

    @cases(plain="users", underscore="_x", digits="t2")
    def test_quote_identifier(self, name: str) -> None:
        """Plain identifiers are double-quoted."""
        self.assertEqual(Database.quote_identifier(name), f'"{name}"')

    @cases(
        space="user name",
        injection='x"; DROP TABLE users; --',
        leading_digit="1t",
        dotted="a.b",
        empty="",
    )
    def test_bad_identifiers(self, name: str) -> None:
        """Anything but a plain identifier is refused."""
        with self.assertRaises(DatabaseError):
            Database.quote_identifier(name)

    @cases(
        none=("SELECT 1", 0),
        one=("SELECT * FROM t WHERE a = ?", 1),
        two=("UPDATE t SET a = ? WHERE b = ?", 2),
        quoted=("SELECT '?' FROM t WHERE a = ?", 1),
        quoted_only=("SELECT 'a?b'", 0),
    )
    def test_count_placeholders(self, case: tuple[str, int]) -> None:
        """Question marks in string literals are not placeholders."""
        sql, expected = case
        self.assertEqual(Database.count_placeholders(sql), expected)

    @cases(
        empty=(None, ("", [])),
        equal=({"id": 3}, (' WHERE "id" = ?', [3])),
        null=({"deleted_at": None}, (' WHERE "deleted_at" IS NULL', [])),
        in_list=({"id": [1, 2]}, (' WHERE "id" IN (?, ?)', [1, 2])),
        in_set=({"id": {3, 1}}, (' WHERE "id" IN (?, ?)', [1, 3])),
        empty_in=({"id": []}, (" WHERE 1 = 0", [])),
        sorted_columns=(
            {"b": 2, "a": 1},
            (' WHERE "a" = ? AND "b" = ?', [1, 2]),
        ),
        mixed=(
            {"role": ("admin", "owner"), "active": True},
            (' WHERE "active" = ? AND "role" IN (?, ?)', [True, "admin", "owner"]),
        ),
    )
    def test_build_where(self, case: tuple[Any, tuple[str, list[Any]]]) -> None:
        """Mappings become WHERE clauses with ? parameters."""
        where, expected = case
        self.assertEqual(self.db.build_where(where), expected)

    def test_where_refuses_huge_in_lists(self) -> None:
        """IN lists are capped at the driver's parameter limit."""
        with self.assertRaises(DatabaseError):
            self.db.build_where({"id": list(range(1000))})

    @cases(
        none=(None, ""),
        one=("name", ' ORDER BY "name" ASC'),
        desc=("-created", ' ORDER BY "created" DESC'),
        many=(["-score", "id"], ' ORDER BY "score" DESC, "id" ASC'),
    )
    def test_build_order(self, case: tuple[Any, str]) -> None:
        """A leading minus sorts descending."""
        order, expected = case
        self.assertEqual(self.db.build_order(order), expected)

    @cases(double_minus="--x", plus="+x", expression="lower(x)")
    def test_bad_order(self, column: str) -> None:
        """Order columns are plain identifiers."""
        with self.assertRaises(DatabaseError):
            self.db.build_order(column)


class StatementTests(DatabaseTestCase):
    """execute, fetch_* and parameter checks."""

    def test_execute_returns_rowcount(self) -> None:
        """execute passes SQL and a parameter tuple to the driver."""
        self.driver.return_value = QueryResult(rowcount=4)
        self.assertEqual(self.db.execute("DELETE FROM t WHERE a = ?", [1]), 4)
        self.driver.assert_called_once_with(self.db, "DELETE FROM t WHERE a = ?", (1,))

    def test_parameter_count_is_checked(self) -> None:
        """Too few or too many parameters never reach the driver."""
        for params in ((), (1, 2)):
            with self.subTest(params=params), self.assertRaises(DatabaseError):
                self.db.execute("SELECT * FROM t WHERE a = ?", params)
        self.driver.assert_not_called()

    def test_fetch_all_returns_dicts(self) -> None:
        """Rows are zipped with the column names."""
        self.driver.return_value = QueryResult(("id", "name"), [(1, "a"), (2, "b")])
        self.assertEqual(
            self.db.fetch_all("SELECT id, name FROM t"),
            [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
        )

    def test_fetch_one(self) -> None:
        """fetch_one is the first row, or None."""
        self.driver.return_value = QueryResult(("id",), [(1,), (2,)])
        self.assertEqual(self.db.fetch_one("SELECT id FROM t"), {"id": 1})
        self.driver.return_value = QueryResult(("id",), [])
        self.assertIsNone(self.db.fetch_one("SELECT id FROM t"))

    def test_fetch_value(self) -> None:
        """fetch_value is the first column of the first row, or the default."""
        self.driver.return_value = QueryResult(("n",), [(7,)])
        self.assertEqual(self.db.fetch_value("SELECT 7"), 7)
        self.driver.return_value = QueryResult(("n",), [])
        self.assertEqual(self.db.fetch_value("SELECT 7", default=-1), -1)

    def test_driver_errors_are_logged_and_raised(self) -> None:
        """A failing statement is logged with its SQL."""
        self.driver.side_effect = IntegrityError("duplicate key")
        with self.assertRaises(IntegrityError):
            self.db.execute("INSERT INTO t DEFAULT VALUES")
        self.logger.error.assert_called_once_with(
            "statement failed",
            sql="INSERT INTO t DEFAULT VALUES",
            error="IntegrityError",
        )

    def test_slow_statements_are_logged(self) -> None:
        """A statement over the threshold is a warning."""
        self.clock.side_effect = [10.0, 10.75]
        self.db.execute("SELECT pg_sleep(1)")
        self.logger.warning.assert_called_once_with(
            "slow statement", sql="SELECT pg_sleep(1)", ms=750.0
        )

    def test_fast_statements_are_not_logged(self) -> None:
        """Below the threshold nothing is logged."""
        self.clock.side_effect = [10.0, 10.01]
        self.db.execute("SELECT 1")
        self.logger.warning.assert_not_called()

    def test_iterate_pages(self) -> None:
        """iterate() fetches pages until a short one."""
        self.driver.side_effect = [
            QueryResult(("id",), [(1,), (2,)]),
            QueryResult(("id",), [(3,)]),
        ]
        rows = list(self.db.iterate("SELECT id FROM t", batch=2))
        self.assertEqual([r["id"] for r in rows], [1, 2, 3])
        self.assertEqual(
            [c.args[1] for c in self.driver.call_args_list],
            ["SELECT id FROM t LIMIT 2 OFFSET 0", "SELECT id FROM t LIMIT 2 OFFSET 2"],
        )

    def test_iterate_refuses_empty_batches(self) -> None:
        """A batch of 0 would never end."""
        with self.assertRaises(ValueError):
            list(self.db.iterate("SELECT 1", batch=0))

    def test_stats(self) -> None:
        """stats counts statements."""
        self.db.execute("SELECT 1")
        self.assertEqual(self.db.stats(), {"statements": 1, "depth": 0})


class DriverTests(unittest.TestCase):
    """Unmocked, the driver is not there."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)

    def test_unmocked_driver_is_not_available(self) -> None:
        """A test that forgets to mock _run gets a clear error."""
        db = Database(DSN, logger=self.logger)
        with self.assertRaisesRegex(RuntimeError, "not available in the demo"):
            db.execute("SELECT 1")
        self.logger.error.assert_not_called()


class TableHelperTests(DatabaseTestCase):
    """insert, update, delete, select, count, upsert."""

    def test_insert(self) -> None:
        """insert sorts columns and returns the new id."""
        self.driver.return_value = QueryResult(rowcount=1, lastrowid=41)
        self.assertEqual(self.db.insert("users", {"name": "a", "age": 3}), 41)
        self.assertEqual(
            self.statement(),
            ('INSERT INTO "users" ("age", "name") VALUES (?, ?)', (3, "a")),
        )

    def test_insert_empty_row(self) -> None:
        """An empty row is refused."""
        with self.assertRaises(DatabaseError):
            self.db.insert("users", {})

    def test_update(self) -> None:
        """update sets sorted columns then the WHERE parameters."""
        self.driver.return_value = QueryResult(rowcount=2)
        self.assertEqual(self.db.update("users", {"b": 2, "a": 1}, {"id": 5}), 2)
        self.assertEqual(
            self.statement(),
            ('UPDATE "users" SET "a" = ?, "b" = ? WHERE "id" = ?', (1, 2, 5)),
        )

    def test_update_needs_values_and_where(self) -> None:
        """Updating nothing, or everything, is refused."""
        for values, where in (({}, {"id": 1}), ({"a": 1}, {}), ({"a": 1}, None)):
            with self.subTest(values=values, where=where):
                self.assertRaises(DatabaseError, self.db.update, "users", values, where)
        self.driver.assert_not_called()

    def test_delete(self) -> None:
        """delete needs a WHERE."""
        self.db.delete("sessions", {"user_id": [1, 2]})
        self.assertEqual(
            self.statement(),
            ('DELETE FROM "sessions" WHERE "user_id" IN (?, ?)', (1, 2)),
        )
        with self.assertRaises(DatabaseError):
            self.db.delete("sessions", {})

    def test_select(self) -> None:
        """select composes columns, WHERE, ORDER BY and LIMIT."""
        self.driver.return_value = QueryResult(("id",), [(1,)])
        rows = self.db.select("t", ["id"], where={"a": 1}, order_by="-id", limit=5)
        self.assertEqual(rows, [{"id": 1}])
        self.assertEqual(
            self.statement(),
            ('SELECT "id" FROM "t" WHERE "a" = ? ORDER BY "id" DESC LIMIT 5', (1,)),
        )

    def test_select_limit_must_be_positive(self) -> None:
        """LIMIT 0 is a bug."""
        with self.assertRaises(DatabaseError):
            self.db.select("t", limit=0)

    def test_get(self) -> None:
        """get is select ... LIMIT 1, first row or None."""
        self.driver.return_value = QueryResult(("id",), [])
        self.assertIsNone(self.db.get("t", {"id": 9}))
        self.assertEqual(
            self.statement()[0], 'SELECT * FROM "t" WHERE "id" = ? LIMIT 1'
        )

    def test_count_and_exists(self) -> None:
        """count is SELECT COUNT(*); exists is count > 0."""
        self.driver.return_value = QueryResult(("count",), [(3,)])
        self.assertEqual(self.db.count("t", {"a": 1}), 3)
        self.assertTrue(self.db.exists("t", {"a": 1}))
        self.driver.return_value = QueryResult(("count",), [(0,)])
        self.assertFalse(self.db.exists("t", {"a": 2}))

    def test_upsert(self) -> None:
        """upsert updates the non-conflict columns."""
        self.db.upsert(
            "prefs",
            {"user_id": 1, "key": "k", "value": "v"},
            conflict=["user_id", "key"],
        )
        sql, params = self.statement()
        self.assertTrue(sql.endswith('DO UPDATE SET "value" = excluded."value"'))
        self.assertIn('ON CONFLICT ("user_id", "key")', sql)
        self.assertEqual(params, ("k", 1, "v"))

    def test_upsert_of_keys_only_does_nothing(self) -> None:
        """Only key columns: ON CONFLICT DO NOTHING."""
        self.db.upsert("tags", {"name": "x"}, conflict=["name"])
        self.assertTrue(self.statement()[0].endswith("DO NOTHING"))

    def test_upsert_conflict_columns_must_be_in_the_row(self) -> None:
        """The conflict target has to be inserted."""
        with self.assertRaises(DatabaseError):
            self.db.upsert("tags", {"name": "x"}, conflict=["id"])


class TransactionTests(DatabaseTestCase):
    """BEGIN/COMMIT/ROLLBACK and savepoints."""

    def sql(self) -> list[str]:
        return [c.args[1] for c in self.driver.call_args_list]

    def test_commit(self) -> None:
        """A clean block commits."""
        with self.db.transaction() as db:
            self.assertTrue(db.in_transaction)
            db.execute("SELECT 1")
        self.assertEqual(self.sql(), ["BEGIN", "SELECT 1", "COMMIT"])
        self.assertFalse(self.db.in_transaction)

    def test_rollback_on_error(self) -> None:
        """An error rolls back and propagates."""
        with self.assertRaises(KeyError), self.db.transaction():
            raise KeyError("x")
        self.assertEqual(self.sql(), ["BEGIN", "ROLLBACK"])

    def test_nested_transactions_use_savepoints(self) -> None:
        """An inner failure rolls back to its savepoint only."""
        with self.db.transaction():
            with self.assertRaises(ValueError), self.db.transaction():
                raise ValueError("inner")
            self.db.execute("SELECT 2")
        self.assertEqual(
            self.sql(),
            [
                "BEGIN",
                "SAVEPOINT sp1",
                "ROLLBACK TO SAVEPOINT sp1",
                "SELECT 2",
                "COMMIT",
            ],
        )

    def test_nested_commit_releases(self) -> None:
        """A clean inner block releases its savepoint."""
        with self.db.transaction(), self.db.transaction():
            pass
        self.assertEqual(
            self.sql(), ["BEGIN", "SAVEPOINT sp1", "RELEASE SAVEPOINT sp1", "COMMIT"]
        )

    def test_commit_outside_a_transaction(self) -> None:
        """commit and rollback need a transaction."""
        for method in (self.db.commit, self.db.rollback):
            with self.subTest(method=method.__name__):
                self.assertRaises(TransactionError, method)

    def test_execute_many_is_one_transaction(self) -> None:
        """execute_many wraps every statement in a transaction."""
        self.driver.return_value = QueryResult(rowcount=1)
        total = self.db.execute_many("INSERT INTO t VALUES (?)", [(1,), (2,), (3,)])
        self.assertEqual(total, 3)  # BEGIN and COMMIT do not count
        self.assertEqual(self.sql()[0], "BEGIN")
        self.assertEqual(self.sql()[-1], "COMMIT")

    def test_execute_many_rolls_back_on_failure(self) -> None:
        """A failing row rolls the batch back."""
        self.driver.side_effect = [
            QueryResult(),
            QueryResult(rowcount=1),
            IntegrityError("dup"),
            QueryResult(),
        ]
        with self.assertRaises(IntegrityError):
            self.db.execute_many("INSERT INTO t VALUES (?)", [(1,), (1,)])
        self.assertEqual(self.sql()[-1], "ROLLBACK")


class AsyncStatementTests(unittest.IsolatedAsyncioTestCase):
    """The asynchronous statements over an autospecced ``_arun``."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)

    async def asyncSetUp(self) -> None:
        patcher = mock.patch.object(Database, "_arun", autospec=True)
        self.arun = patcher.start()
        self.addCleanup(patcher.stop)
        self.db = Database(DSN, logger=self.logger)

    async def test_afetch_one(self) -> None:
        """afetch_one awaits the driver and returns a dict."""
        self.arun.return_value = QueryResult(("id",), [(4,)])
        self.assertEqual(
            await self.db.afetch_one("SELECT id FROM t WHERE a = ?", [1]), {"id": 4}
        )
        self.arun.assert_awaited_once_with(
            self.db, "SELECT id FROM t WHERE a = ?", (1,)
        )

    async def test_afetch_all(self) -> None:
        """afetch_all returns every row."""
        self.arun.return_value = QueryResult(("id",), [(1,), (2,)])
        self.assertEqual(len(await self.db.afetch_all("SELECT id FROM t")), 2)

    async def test_aexecute(self) -> None:
        """aexecute returns the rowcount."""
        self.arun.return_value = QueryResult(rowcount=3)
        self.assertEqual(await self.db.aexecute("DELETE FROM t"), 3)


if __name__ == "__main__":
    unittest.main()
