"""Tests for the maintenance jobs, written the way OpenStack suites are.

The cases derive from the testtools-style :class:`~mockpool._demo.tests.base.TestCase`
(its own ``run()``, ``useFixture``, upcalled ``setUp``), mock the *classes*
a job builds -- ``MockPatch("...maintenance.RedisService", autospec=True)``,
then configure ``.return_value`` as the instance -- and autospec the host
*functions* the job calls.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from mockpool._demo.services import hostops, maintenance
from mockpool._demo.services.errors import (
    ConnectionFailed,
    DatabaseError,
    RedisConnectionError,
)
from mockpool._demo.tests.base import MockPatch, MockPatchObject, TestCase
from mockpool._demo.tests.support import cases, data_driven

_JOBS = "mockpool._demo.services.maintenance"

SETTINGS: dict[str, Any] = {
    "redis_url": "redis://cache:6379/2",
    "database_url": "postgresql://db/app",
    "api_url": "https://api.example.com",
    "data_dir": "/srv/data",
    "logger_name": "cron",
}


class JobTestCase(TestCase):
    """The classes a job builds are mocked: ``self.<name>_class``, and
    ``self.<name>``, its ``return_value``, the instance the job gets.

    Each test class lists in :attr:`mocked` only the classes its job builds.
    """

    mocked: tuple[str, ...] = ()
    redis_class: Any
    redis: Any
    database_class: Any
    database: Any
    logger_class: Any
    logger: Any
    http_class: Any
    http: Any

    def setUp(self) -> None:
        super().setUp()
        for name, class_name in (
            ("redis", "RedisService"),
            ("database", "Database"),
            ("logger", "Logger"),
            ("http", "HttpClient"),
        ):
            if name in self.mocked:
                patched = MockPatch(f"{_JOBS}.{class_name}", autospec=True)
                class_mock = self.useFixture(patched).mock
                setattr(self, f"{name}_class", class_mock)
                setattr(self, name, class_mock.return_value)


@data_driven
class HealthCheckTests(JobTestCase):
    """check_health(): every probe, healthy and not."""

    mocked = ("redis", "database", "logger", "http")

    def setUp(self) -> None:
        super().setUp()
        self.free_bytes = self.useFixture(
            MockPatchObject(hostops, "free_bytes", autospec=True)
        ).mock
        self.redis.ping.return_value = True
        self.database.fetch_value.return_value = 1
        self.http.exists.return_value = True
        self.free_bytes.return_value = 5 << 30

    def test_all_healthy(self) -> None:
        """Every probe passing makes a healthy report and logs no error."""
        report = maintenance.check_health(SETTINGS)
        self.assertTrue(report.healthy)
        self.assertEqual(set(report.checks), {"redis", "database", "api", "disk"})
        self.assertEqual(report.problems, [])
        self.logger.error.assert_not_called()

    def test_services_are_built_from_settings(self) -> None:
        """The job builds each service from its own setting."""
        maintenance.check_health(SETTINGS)
        self.redis_class.assert_called_once_with("redis://cache:6379/2")
        self.database_class.assert_called_once_with(
            "postgresql://db/app", logger=self.logger
        )
        self.http_class.assert_called_once_with(
            "https://api.example.com", retries=0, logger=self.logger
        )
        self.logger_class.assert_called_once_with("cron")
        self.free_bytes.assert_called_once_with("/srv/data")

    def test_database_is_closed_after_the_probe(self) -> None:
        """The probe connects, asks SELECT 1 and closes, in that order."""
        maintenance.check_health(SETTINGS)
        self.assertEqual(
            [name for name, _, _ in self.database.method_calls],
            ["connect", "fetch_value", "close"],
        )
        self.database.fetch_value.assert_called_once_with("SELECT 1")

    @cases(redis="redis", database="database", api="api", disk="disk")
    def test_one_failing_probe(self, failing: str) -> None:
        """A probe that answers no makes the report unhealthy and is logged."""
        if failing == "redis":
            self.redis.ping.return_value = False
        elif failing == "database":
            self.database.fetch_value.return_value = None
        elif failing == "api":
            self.http.exists.return_value = False
        else:
            self.free_bytes.return_value = maintenance.MIN_FREE_BYTES - 1
        report = maintenance.check_health(SETTINGS)
        self.assertFalse(report.healthy)
        self.assertEqual([k for k, v in report.checks.items() if not v], [failing])
        self.logger.error.assert_called_once_with("unhealthy", failed=[failing])

    @cases(
        redis=("redis", RedisConnectionError("refused")),
        database=("database", DatabaseError("gone")),
        api=("api", ConnectionFailed("dns")),
        disk=("disk", hostops.ProcessError(("df",), 1, "io error")),
    )
    def test_a_probe_that_raises(self, case: tuple[str, Exception]) -> None:
        """A service error is an unhealthy check with its problem noted."""
        name, error = case
        target = {
            "redis": self.redis.ping,
            "database": self.database.fetch_value,
            "api": self.http.exists,
            "disk": self.free_bytes,
        }[name]
        target.side_effect = error
        report = maintenance.check_health(SETTINGS)
        self.assertFalse(report.checks[name])
        self.assertEqual(len(report.problems), 1)
        self.assertTrue(report.problems[0].startswith(f"{name}: "))
        self.logger.warning.assert_called_once_with(
            "health check failed", check=name, error=type(error).__name__
        )

    def test_database_closed_even_when_the_query_fails(self) -> None:
        """close() runs although fetch_value raised."""
        self.database.fetch_value.side_effect = DatabaseError("timeout")
        maintenance.check_health(SETTINGS)
        self.database.close.assert_called_once_with()

    def test_an_unexpected_error_is_not_swallowed(self) -> None:
        """Only service errors count as unhealthy; a bug propagates."""
        self.redis.ping.side_effect = RuntimeError("bug")
        with self.assertRaises(RuntimeError):
            maintenance.check_health(SETTINGS)

    @cases(missing=None, empty="")
    def test_no_api_url_means_no_api_probe(self, value: str | None) -> None:
        """Without api_url there is no api check and no HTTP client."""
        settings = dict(SETTINGS)
        if value is None:
            del settings["api_url"]
        else:
            settings["api_url"] = value
        report = maintenance.check_health(settings)
        self.assertNotIn("api", report.checks)
        self.http_class.assert_not_called()

    def test_defaults(self) -> None:
        """Without redis_url, data_dir or logger_name the defaults are used."""
        maintenance.check_health({"database_url": "sqlite:///x"})
        self.redis_class.assert_called_once_with(maintenance.DEFAULT_REDIS_URL)
        self.free_bytes.assert_called_once_with("/var/lib/app")
        self.logger_class.assert_called_once_with("maintenance")

    @cases(**{f"gib_{n}": n for n in (0, 1, 2, 64, 1024)})
    def test_disk_threshold(self, gib: int) -> None:
        """The disk is healthy from one GiB free."""
        self.free_bytes.return_value = gib << 30
        report = maintenance.check_health(SETTINGS)
        self.assertEqual(report.checks["disk"], gib >= 1)


@data_driven
class BackupTests(JobTestCase):
    """backup_database(): one dump per table, retried."""

    mocked = ("database", "logger")

    def setUp(self) -> None:
        super().setUp()
        self.database.dsn = SETTINGS["database_url"]
        self.execute = self.useFixture(
            MockPatch(f"{_JOBS}.hostops.execute", autospec=True)
        ).mock
        self.execute.return_value = ""

    def tables(self, *names: str) -> None:
        self.database.fetch_all.return_value = [{"name": name} for name in names]

    @cases(
        none=(),
        one=("users",),
        two=("users", "devices"),
        many=("a", "b", "c", "d", "e", "f"),
        unsorted=("zeta", "alpha", "mid"),
    )
    def test_each_table_is_dumped_in_name_order(self, names: tuple[str, ...]) -> None:
        """Tables are dumped sorted by name, each to its own file."""
        self.tables(*names)
        written = maintenance.backup_database(SETTINGS, "/backups/")
        self.assertEqual(written, [f"/backups/{n}.sql" for n in sorted(names)])
        self.assertEqual(self.execute.call_count, len(names))
        for call, name in zip(self.execute.call_args_list, sorted(names)):
            self.assertEqual(
                call,
                mock.call(
                    "pg_dump",
                    "--table",
                    name,
                    "--file",
                    f"/backups/{name}.sql",
                    "postgresql://db/app",
                    attempts=3,
                ),
            )

    @cases(cache="sessions_cache", lock="schema_lock")
    def test_skipped_tables(self, skipped: str) -> None:
        """Tables rebuilt on start are not dumped."""
        self.tables("users", skipped)
        self.assertEqual(maintenance.backup_database(SETTINGS, "/b"), ["/b/users.sql"])

    @cases(app=None, other="billing")
    def test_tables_of_the_configured_schema(self, schema: str | None) -> None:
        """The table list is asked for the configured schema (app by default)."""
        settings = dict(SETTINGS, schema=schema) if schema else SETTINGS
        self.tables()
        maintenance.backup_database(settings, "/b")
        self.database.fetch_all.assert_called_once_with(
            "SELECT name FROM tables WHERE schema = ?", (schema or "app",)
        )

    def test_database_closed_before_dumping(self) -> None:
        """The connection is closed before the first pg_dump runs."""
        order = mock.Mock()
        self.database.close.side_effect = lambda: order("close")
        self.execute.side_effect = lambda *a, **k: order("dump")
        self.tables("users")
        maintenance.backup_database(SETTINGS, "/b")
        self.assertEqual(order.call_args_list, [mock.call("close"), mock.call("dump")])

    def test_database_closed_when_listing_fails(self) -> None:
        """A failing table list still closes the connection."""
        self.database.fetch_all.side_effect = DatabaseError("denied")
        with self.assertRaises(DatabaseError):
            maintenance.backup_database(SETTINGS, "/b")
        self.database.close.assert_called_once_with()
        self.execute.assert_not_called()

    @cases(first=0, second=1, last=2)
    def test_a_failing_dump_stops_the_backup(self, failing: int) -> None:
        """The tables after a failed dump are not dumped."""
        self.tables("a", "b", "c")
        effects: list[Any] = [""] * 3
        effects[failing] = hostops.ProcessError(("pg_dump",), 1, "disk full")
        self.execute.side_effect = effects
        with self.assertRaises(hostops.ProcessError):
            maintenance.backup_database(SETTINGS, "/b")
        self.assertEqual(self.execute.call_count, failing + 1)
        self.logger.info.assert_not_called()

    def test_done_is_logged(self) -> None:
        """The job logs how many tables it dumped, and where."""
        self.tables("a", "b")
        maintenance.backup_database(SETTINGS, "/b")
        self.logger.info.assert_called_once_with(
            "backup done", tables=2, directory="/b"
        )


@data_driven
class PruneTests(TestCase):
    """prune_backups(): keeps the newest files, removes the rest."""

    def setUp(self) -> None:
        super().setUp()
        self.list_files = self.useFixture(
            MockPatchObject(hostops, "list_files", autospec=True)
        ).mock
        self.remove_file = self.useFixture(
            MockPatchObject(hostops, "remove_file", autospec=True)
        ).mock

    @cases(**{f"keep_{k}_of_{n}": (k, n) for k in (0, 1, 3) for n in (0, 2, 5)})
    def test_keeps_the_newest(self, case: tuple[int, int]) -> None:
        """All but the last *keep* names (oldest first) are removed."""
        keep, count = case
        files = [f"/b/2026-12-0{i}.sql" for i in range(1, count + 1)]
        self.list_files.return_value = files
        removed = maintenance.prune_backups("/b", keep=keep)
        self.assertEqual(removed, files[: max(count - keep, 0)])
        self.assertEqual(
            self.remove_file.call_args_list, [mock.call(name) for name in removed]
        )

    def test_only_matching_names(self) -> None:
        """Files that do not match the pattern are never removed."""
        self.list_files.return_value = ["/b/a.sql", "/b/notes.txt", "/b/b.sql"]
        removed = maintenance.prune_backups("/b", keep=0)
        self.assertEqual(removed, ["/b/a.sql", "/b/b.sql"])
        self.list_files.assert_called_once_with("/b", "*.sql")

    def test_negative_keep_is_refused(self) -> None:
        """keep < 0 is a caller's bug; nothing is listed or removed."""
        with self.assertRaises(ValueError):
            maintenance.prune_backups("/b", keep=-1)
        self.list_files.assert_not_called()
        self.remove_file.assert_not_called()


@data_driven
class RotateCacheTests(JobTestCase):
    """rotate_cache(): one version bump per namespace, redis closed."""

    mocked = ("redis",)

    @cases(
        none=[],
        one=["app"],
        two=["app", "media"],
        nested=["app:users", "app:devices", "media:plex"],
    )
    def test_bumps_each_namespace(self, namespaces: list[str]) -> None:
        """Each namespace's version counter is incremented once."""
        self.redis.incr.side_effect = [4, 9, 1][: len(namespaces)]
        versions = maintenance.rotate_cache(SETTINGS, namespaces)
        self.assertEqual(versions, dict(zip(namespaces, [5, 10, 2])))
        self.assertEqual(
            self.redis.incr.call_args_list,
            [mock.call(f"{name}:__version__") for name in namespaces],
        )
        self.redis.close.assert_called_once_with()

    def test_redis_closed_when_a_bump_fails(self) -> None:
        """A failing bump still closes the connection."""
        self.redis.incr.side_effect = RedisConnectionError("down")
        with self.assertRaises(RedisConnectionError):
            maintenance.rotate_cache(SETTINGS, ["app"])
        self.redis.close.assert_called_once_with()

    @cases(empty="", double_colon="a::b")
    def test_bad_namespace(self, namespace: str) -> None:
        """A bad namespace is refused by the cache, and redis is still closed."""
        with self.assertRaises(ValueError):
            maintenance.rotate_cache(SETTINGS, [namespace])
        self.redis.close.assert_called_once_with()


@data_driven
class EnsureServiceTests(TestCase):
    """ensure_service(): restart and wait, decorator-stacked patches."""

    @cases(nginx="nginx", worker="worker@1")
    @mock.patch.object(hostops, "restart_service", autospec=True)
    @mock.patch.object(hostops, "service_state", autospec=True)
    def test_active_service_is_left_alone(
        self, name: str, state: mock.Mock, restart: mock.Mock
    ) -> None:
        """An active service is not restarted."""
        state.return_value = "active"
        self.assertEqual(maintenance.ensure_service(name), "already active")
        restart.assert_not_called()

    @cases(inactive="inactive", failed="failed", unknown="unknown")
    @mock.patch.object(hostops, "wait_until", autospec=True)
    @mock.patch.object(hostops, "restart_service", autospec=True)
    @mock.patch.object(hostops, "service_state", autospec=True)
    def test_restarted(
        self,
        state_before: str,
        state: mock.Mock,
        restart: mock.Mock,
        wait_until: mock.Mock,
    ) -> None:
        """A down service is restarted; no wait when it comes up at once."""
        state.return_value = state_before
        restart.return_value = True
        self.assertEqual(maintenance.ensure_service("nginx"), "restarted")
        restart.assert_called_once_with("nginx")
        wait_until.assert_not_called()

    @cases(comes_up=True, stays_down=False)
    @mock.patch.object(hostops, "wait_until", autospec=True)
    @mock.patch.object(hostops, "restart_service", autospec=True)
    @mock.patch.object(hostops, "service_state", autospec=True)
    def test_slow_start_is_waited_for(
        self,
        comes_up: bool,
        state: mock.Mock,
        restart: mock.Mock,
        wait_until: mock.Mock,
    ) -> None:
        """A service not yet up is waited for, with the given timeout."""
        state.return_value = "inactive"
        restart.return_value = False
        wait_until.return_value = comes_up
        if comes_up:
            self.assertEqual(maintenance.ensure_service("db", timeout=9), "restarted")
        else:
            with self.assertRaises(hostops.ProcessError):
                maintenance.ensure_service("db", timeout=9)
        self.assertEqual(wait_until.call_args.kwargs, {"timeout": 9})
        # The predicate handed to wait_until asks for the state again.
        predicate = wait_until.call_args.args[0]
        state.return_value = "active"
        self.assertTrue(predicate())
