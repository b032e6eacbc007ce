"""Tests for warming: the stock built before the first test and kept up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from typing import Any
from unittest import mock

from mockpool._autospec import introspect as _introspect
from mockpool._learning.warming import Warmer, resolve_class
from mockpool._pools import adapt, spec_pools


class Ledger:
    """A class the warming tests pool."""

    def post(self, amount: int, *, memo: str = "") -> None:
        pass

    async def balance(self) -> int:
        return 0


class Unseen:
    """A class that is never introspected before the thread looks at it."""

    def run(self) -> None:
        pass


_LEDGER = f"{__name__}.Ledger"
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _enforcement(built: Any) -> list[Any]:
    seen: list[Any] = [isinstance(built.balance, mock.AsyncMock), built.mock_calls]
    try:
        built.post()
    except TypeError as exc:
        seen.append(str(exc))
    return seen


class ResolveTests(unittest.TestCase):
    def test_resolves_imported_classes_only(self) -> None:
        """Imported classes resolve; nothing is imported; impostors do not."""
        self.assertIs(resolve_class(_LEDGER), Ledger)
        self.assertIs(resolve_class("json.decoder.JSONDecoder"), json.JSONDecoder)
        # Recorded names are where the class is defined, not where re-exported.
        self.assertIsNone(resolve_class("json.JSONDecoder"))
        self.assertIsNone(resolve_class("mockpool_never_imported_module.Thing"))
        self.assertNotIn("mockpool_never_imported_module", sys.modules)
        self.assertIsNone(resolve_class(f"{__name__}._LEDGER"))  # not a class
        self.assertIsNone(resolve_class(f"{__name__}.Missing"))

    def test_a_replaced_class_is_not_resolved(self) -> None:
        """A test that put another class under the name hides it."""
        with mock.patch(_LEDGER, Unseen):
            self.assertIsNone(resolve_class(_LEDGER))


class WarmerTests(unittest.TestCase):
    def setUp(self) -> None:
        # The process's adapter may have gone lean (its memory grew over the
        # tests run before): these tests are about warming, not adaptation.
        previous = adapt.set_adapter(adapt.Adapter(enabled=False))
        self.addCleanup(adapt.set_adapter, previous)
        spec_pools.clear()
        self.addCleanup(spec_pools.clear)
        self.warmer = Warmer(
            [_LEDGER, f"{__name__}.Unseen"],
            spec_pools.spec_pool_for,
            spec_pools.existing_spec_pool,
            stock=3,
        )
        self.addCleanup(self.warmer.stop)

    def ledger_pool(self) -> Any:
        pool = spec_pools.existing_spec_pool(Ledger)
        self.assertIsNotNone(pool)
        return pool

    def test_warm_up_fills_the_stock_of_each_imported_target(self) -> None:
        """Before the first test: stock built, pristine as fresh builds."""
        built = self.warmer.warm_up(budget=5.0)
        self.assertEqual(built, 6)
        pool = self.ledger_pool()
        self.assertEqual(pool.stats().idle, 3)
        lease = pool.acquire()
        self.assertTrue(lease.recycled, "a warm mock is a hit")
        fresh = mock.create_autospec(Ledger, instance=True)
        self.assertEqual(_enforcement(lease.mock), _enforcement(fresh))

    def test_thread_step_never_introspects(self) -> None:
        """step() only tops up pools the test thread already introspected."""
        _introspect.clear_cache()
        self.assertFalse(self.warmer.step())
        self.assertIsNone(_introspect.cached(Unseen))
        self.assertIsNone(spec_pools.existing_spec_pool(Unseen))

    def test_step_tops_up_what_tests_used(self) -> None:
        """A used mock is replaced, one per round, up to the stock."""
        self.warmer.warm_up(budget=5.0)
        pool = self.ledger_pool()
        leases = [pool.acquire() for _ in range(2)]
        self.assertEqual(pool.stats().idle, 1)
        self.assertTrue(self.warmer.step())
        self.assertEqual(pool.stats().idle, 2)
        self.warmer.step()
        self.assertEqual(pool.stats().idle, 3)
        self.assertFalse(self.warmer.step(), "full: nothing to build")
        del leases

    def test_thread_refills_in_the_background(self) -> None:
        """start(): the daemon thread refills a used pool, stop() ends it."""
        self.warmer.warm_up(budget=5.0)
        pool = self.ledger_pool()
        leases = [pool.acquire() for _ in range(3)]
        self.warmer.start()
        self.warmer.wake()
        deadline = time.monotonic() + 10
        while pool.stats().idle < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(pool.stats().idle, 3)
        self.warmer.stop()
        self.assertFalse(self.warmer.running)
        del leases

    def test_a_class_that_cannot_be_built_is_dropped(self) -> None:
        """A build that raises removes the target instead of retrying it."""
        broken = mock.Mock()
        broken.stats.return_value.idle = 0
        broken.max_size = 25
        broken.warm.side_effect = RuntimeError("no")
        warmer = Warmer([_LEDGER], lambda spec: broken, lambda spec: broken, stock=2)
        self.assertEqual(warmer.warm_up(), 0)
        self.assertEqual(warmer.targets, [])


_SERVICE = """
class Account:
    def deposit(self, amount, *, note=""):
        return amount

    def withdraw(self, amount):
        return amount
"""

_SUITE = """
import unittest
from unittest import mock

from account import Account

KEPT = []


class AccountTests(unittest.TestCase):
"""


class LearningAcrossRunsTests(unittest.TestCase):
    """Two runs in fresh processes: the second is warmed from the first."""

    def test_second_run_is_served_warm(self) -> None:
        root = tempfile.mkdtemp(prefix="mockpool-learning-")
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        with open(os.path.join(root, "account.py"), "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(_SERVICE))
        tests = "".join(
            f"    def test_{n}(self):\n"
            "        account = mock.create_autospec(Account, instance=True)\n"
            "        KEPT.append(account)  # kept: never recycled\n"
            "        account.deposit(1)\n"
            for n in range(8)
        )
        with open(os.path.join(root, "test_account.py"), "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(_SUITE) + tests)
        # The checkout first: the child runs in the temporary directory.
        path = os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")]))
        env = dict(
            os.environ, MOCKPOOL_DIR=os.path.join(root, "history"), PYTHONPATH=path
        )
        env.pop("MOCKPOOL_WARM", None)
        env.pop("MOCKPOOL_RUN_ID", None)
        hits = []
        for run in range(2):
            report = os.path.join(root, f"report-{run}.json")
            done = subprocess.run(
                [
                    *(sys.executable, "-m", "mockpool", "run", "--no-report"),
                    *("--report-json", report, "discover", "-s", ".", "-t", "."),
                ],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            self.assertEqual(done.returncode, 0, done.stderr)
            with open(report, encoding="utf-8") as stream:
                specs = json.load(stream)["specs"]
            hits.append(specs["account.Account"]["hits"])
        self.assertEqual(hits[0], 0, "the first run has no history: all cold")
        self.assertGreaterEqual(hits[1], 4, "the warm stock serves the first tests")
