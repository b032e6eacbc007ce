"""Maintenance jobs: health checks, backups, log pruning, cache rotation.

Each job is a module-level function that builds the services it needs from
a settings mapping and calls :mod:`~mockpool._demo.services.hostops` by
module attribute, the way cron-driven agents are written. Their tests
therefore mock *classes* (``mock.patch("...maintenance.RedisService",
autospec=True)``, then use ``.return_value`` as the instance) and
*functions* (``mock.patch.object(hostops, "execute", autospec=True)``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockpool._demo.services import hostops
from mockpool._demo.services.cache import CacheService
from mockpool._demo.services.database import Database
from mockpool._demo.services.errors import ServiceError
from mockpool._demo.services.http import HttpClient
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.redis import RedisService

#: Where redis is when the settings do not say. A module constant, not
#: ``RedisService.DEFAULT_URL``: read from a class that a test has mocked,
#: that would be a mock.
DEFAULT_REDIS_URL = "redis://localhost:6379/0"
#: Below this many free bytes a data directory counts as unhealthy.
MIN_FREE_BYTES = 1 << 30
#: Tables never dumped (they are rebuilt on start).
SKIPPED_TABLES = frozenset({"sessions_cache", "schema_lock"})


@dataclass
class HealthReport:
    """What :func:`check_health` found, check by check."""

    checks: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(self.checks.values())


def _logger(settings: Mapping[str, Any]) -> Logger:
    return Logger(str(settings.get("logger_name", "maintenance")))


def _check(
    report: HealthReport, name: str, probe: Callable[[], bool], logger: Logger
) -> None:
    """Run one probe; a service error counts as unhealthy, not as a crash."""
    try:
        ok = bool(probe())
    except ServiceError as exc:
        ok = False
        report.problems.append(f"{name}: {exc}")
        logger.warning("health check failed", check=name, error=type(exc).__name__)
    report.checks[name] = ok


def check_health(settings: Mapping[str, Any]) -> HealthReport:
    """Probe redis, the database, the API and the data disk."""
    logger = _logger(settings)
    report = HealthReport()
    redis = RedisService(str(settings.get("redis_url", DEFAULT_REDIS_URL)))
    _check(report, "redis", redis.ping, logger)
    database = Database(str(settings["database_url"]), logger=logger)

    def database_answers() -> bool:
        database.connect()
        try:
            return bool(database.fetch_value("SELECT 1") == 1)
        finally:
            database.close()

    _check(report, "database", database_answers, logger)
    if settings.get("api_url"):
        client = HttpClient(str(settings["api_url"]), retries=0, logger=logger)
        _check(report, "api", lambda: client.exists("/health"), logger)
    data_dir = str(settings.get("data_dir", "/var/lib/app"))
    _check(
        report, "disk", lambda: hostops.free_bytes(data_dir) >= MIN_FREE_BYTES, logger
    )
    if not report.healthy:
        failed = sorted(name for name, ok in report.checks.items() if not ok)
        logger.error("unhealthy", failed=failed)
    return report


def backup_database(settings: Mapping[str, Any], directory: str) -> list[str]:
    """Dump every table (but :data:`SKIPPED_TABLES`) to *directory*.

    Returns the files written. Each dump is retried twice; a table that
    still fails stops the backup with :class:`~hostops.ProcessError`.
    """
    logger = _logger(settings)
    database = Database(str(settings["database_url"]), logger=logger)
    database.connect()
    try:
        rows = database.fetch_all(
            "SELECT name FROM tables WHERE schema = ?", (settings.get("schema", "app"),)
        )
    finally:
        database.close()
    written = []
    for name in sorted(str(row["name"]) for row in rows):
        if name in SKIPPED_TABLES:
            continue
        target = f"{directory.rstrip('/')}/{name}.sql"
        hostops.execute(
            "pg_dump", "--table", name, "--file", target, database.dsn, attempts=3
        )
        written.append(target)
    logger.info("backup done", tables=len(written), directory=directory)
    return written


def prune_backups(directory: str, *, keep: int, pattern: str = "*.sql") -> list[str]:
    """Remove all but the newest *keep* backups (names sort by age); return them."""
    if keep < 0:
        raise ValueError(f"keep must not be negative, not {keep!r}")
    files = [
        name
        for name in hostops.list_files(directory, pattern)
        if fnmatch.fnmatch(name.rsplit("/", 1)[-1], pattern)
    ]
    doomed = files[: max(len(files) - keep, 0)]
    for name in doomed:
        hostops.remove_file(name)
    return doomed


def rotate_cache(settings: Mapping[str, Any], namespaces: list[str]) -> dict[str, int]:
    """Bump the version of each cache namespace; return the new versions."""
    redis = RedisService(str(settings.get("redis_url", DEFAULT_REDIS_URL)))
    try:
        versions = {}
        for namespace in namespaces:
            cache = CacheService(redis, namespace=namespace)
            versions[namespace] = cache.bump_version()
        return versions
    finally:
        redis.close()


def ensure_service(name: str, *, timeout: float = 30.0) -> str:
    """Restart *name* unless active, then wait for it; return what was done."""
    if hostops.service_state(name) == "active":
        return "already active"
    if not hostops.restart_service(name):
        became_active = hostops.wait_until(
            lambda: hostops.service_state(name) == "active", timeout=timeout
        )
        if not became_active:
            raise hostops.ProcessError(("systemctl", "restart", name), 1, "not active")
    return "restarted"
