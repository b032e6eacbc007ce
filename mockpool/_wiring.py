"""The one place where side systems hear the core.

The core (:mod:`mockpool._pools`, :mod:`mockpool._sessions`,
:mod:`mockpool._autospec`) emits events through :mod:`mockpool._base.events`
and never imports the side systems. This module, imported last by
``mockpool/__init__.py``, connects their receivers:

* the usage recorder (:mod:`mockpool._learning.usage`) counts every
  acquisition, failed build and discard, per service or class;
* the run report (:mod:`mockpool._reporting.worker_files`) counts the
  drop-in's discards, degraded variants and adaptations;
* the run lifecycle (:mod:`mockpool._learning.lifecycle`) begins the run
  (history, prediction, warming), takes part in sessions, and answers the
  ``priority`` query that orders cache eviction.

Each receiver runs fenced (see :class:`~mockpool._base.events.Signal`): an
error in one is a warning, never a test's error. Connecting is idempotent,
so importing this module twice changes nothing.
"""

from __future__ import annotations

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import isinstance  # noqa: UP029
from typing import Any

from mockpool._base import events
from mockpool._learning import lifecycle, usage
from mockpool._pools.spec_pools import SpecPool
from mockpool._reporting import worker_files

__all__ = ["connect"]


def _count_acquired(
    pool: Any, recycled: bool, build_seconds: float | None, leased_now: int
) -> None:
    usage.process_recorder().record_acquire(
        pool.name, hit=recycled, build_seconds=build_seconds, leased_now=leased_now
    )


def _count_failed(pool: Any) -> None:
    usage.process_recorder().record_failure(pool.name)


def _count_discarded(pool: Any, reason: str) -> None:
    usage.process_recorder().record_discard(pool.name)


def _report_discarded(pool: Any, reason: str) -> None:
    # The run report is the drop-in's: it counts the anonymous pools it
    # serves tests from, not the registered services' pools.
    if isinstance(pool, SpecPool):
        worker_files.process_report().record_discard(reason)


def _report_degraded(service: str, variant: str) -> None:
    worker_files.process_report().record_degraded(service, variant)


def _report_adapted(trigger: str, service: str, action: str) -> None:
    worker_files.process_report().record_adaptation(trigger, service, action)


def connect() -> None:
    """Connect every side system's receivers (again: no change)."""
    events.acquired.connect(_count_acquired)
    events.build_failed.connect(_count_failed)
    events.discarded.connect(_count_discarded)
    events.discarded.connect(_report_discarded)
    events.degraded.connect(_report_degraded)
    events.adapted.connect(_report_adapted)
    events.run_begun.connect(lifecycle.begin_run)
    events.session_opened.connect(lifecycle.on_session_opened)
    events.session_closed.connect(lifecycle.on_session_closed)
    events.priority.install(lifecycle.priority)


connect()
