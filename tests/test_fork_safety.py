"""A fork while other threads hold mockpool's locks leaves the child working.

Runners such as unittest-parallel and concurrencytest fork workers from a
process that has used mockpool, possibly while another of its threads is
inside mockpool. Every module-level lock is rebuilt in the child
(``os.register_at_fork``); a lock left held would hang the child's first
autospec, install, patch or report.
"""

from __future__ import annotations

import os
import threading
import time
import unittest
import warnings
from typing import Any
from unittest import mock

import mockpool
from mockpool import (
    default_registry,
)
from mockpool._autospec import introspect as _introspect
from mockpool._autospec import lazy as _autospec
from mockpool._autospec.plain import construction as _construction
from mockpool._base import process as _process
from mockpool._integration import dropin as _dropin
from mockpool._integration import install as _install
from mockpool._learning import history as _history
from mockpool._pools import spec_pools
from mockpool._reporting import worker_files as _worker_files
from mockpool._sessions import routing as _routing
from tests import _patch_targets as targets


class Freshly:
    """A class no test has autospecced: building it needs the cache lock."""

    def run(self, value: int) -> int:
        return value


def _locks() -> list[Any]:
    return [
        _autospec._materialise_lock,
        _install._lock,
        _introspect._cache_lock,
        _routing._lock,
        _dropin._lock,
        spec_pools._lock,
        _worker_files._lock,
        _process._state_lock,
        _history._state_lock,
        _history._flush_lock,
        default_registry._lock,
        _construction._uncounting,
        _construction._taking,
    ]


def _child_work() -> int:
    """What the forked child does; its exit status (0: all worked)."""
    built = mockpool.create_autospec(Freshly, instance=True)
    built.run(1)
    with mockpool.install(), mockpool.mock_session() as session:
        session.patch.object(targets, "greet", return_value="hi")
        if targets.greet("x") != "hi":
            return 3
        # A function autospec (the plain-mock acceleration on), then the
        # plain mocks' counts taken.
        mockpool.create_autospec(Freshly.run)(Freshly(), 1)
        _construction.take_counts()
    if targets.greet("x") != "hello x":
        return 4
    if _worker_files.process_report().tests != 0:
        return 5
    # The run id is looked up under the identity's lock, and a forked child
    # writes under a worker name of its own.
    with mock.patch.dict(os.environ, {"MOCKPOOL_WORKER": "parent"}):
        os.environ.pop(_process.RUN_ID_ENV, None)
        if not _process.current_run_id():
            return 6
        if _process.process_worker() != f"parent-{os.getpid()}":
            return 7
    return 0


@unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
class ForkSafetyTests(unittest.TestCase):
    def test_child_works_while_the_parent_holds_every_lock(self) -> None:
        """Locks held by a parent thread at the fork are free in the child."""
        holding = threading.Event()
        release = threading.Event()

        def hold() -> None:
            locks = _locks()
            for lock in locks:
                lock.acquire()
            holding.set()
            release.wait(30)
            for lock in reversed(locks):
                lock.release()

        holder = threading.Thread(target=hold)
        holder.start()
        self.addCleanup(holder.join)
        self.addCleanup(release.set)
        self.assertTrue(holding.wait(10))
        with warnings.catch_warnings():
            # 3.12+ warns that forking a multi-threaded process may deadlock
            # the child: the very case this test is about.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            status = 1
            try:
                status = _child_work()
            finally:
                os._exit(status)
        release.set()
        deadline = time.monotonic() + 30
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                self.fail("the forked child hung on a lock held at the fork")
            time.sleep(0.01)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
