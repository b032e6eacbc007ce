"""Fault injection: staged recovery, strict mode, and sessions under faults.

One test per fault: the stage used, the record written, strict mode failing
with the named cause, the originals restored, and each stage timed under
500 ms.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import unittest
import warnings
from typing import Any
from unittest import mock

import mockpool
from mockpool._autospec.pristine import DiscardReason
from mockpool._pools import recovery as _recovery
from mockpool._pools.pool import Pool
from mockpool._reporting import worker_files as _worker_files
from mockpool._reporting.run_report import RunReport

STAGE_BUDGET = 0.5


class Gateway:
    """The service the faults are injected into."""

    def send(self, payload: bytes, *, timeout: float = 1.0) -> int:
        return len(payload)

    def close(self) -> None:
        pass


class Exploding:
    """A descriptor whose every read raises, as a broken property can."""

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        raise RuntimeError("introspection exploded")


class RecoveryTestCase(unittest.TestCase):
    level = "template"

    def setUp(self) -> None:
        mockpool.set_strict(False)
        self.addCleanup(mockpool.set_strict, None)
        self.report = RunReport("recovery-tests")
        patcher = mock.patch.object(_worker_files, "_report", self.report)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.registry = mockpool.Registry()

    def pool(self, spec: Any = Gateway, **options: Any) -> Pool:
        options.setdefault("policy", {"recovery": self.level})
        self.registry.register("Gateway", spec, **options)
        return Pool(self.registry, "Gateway")

    def acquire(self, pool: Pool) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mockpool.DegradedMockWarning)
            return pool.acquire()

    def stages(self, pool: Pool) -> list[tuple[str, bool]]:
        return [(record.stage, record.succeeded) for record in pool.recoveries]

    def assert_timed(self, pool: Pool) -> None:
        for record in pool.recoveries:
            self.assertLess(record.seconds, STAGE_BUDGET, record)

    def assert_enforces(self, built: Any) -> None:
        with self.assertRaises(TypeError):
            built.send()
        with self.assertRaises(AttributeError):
            built.missing


class StageTests(RecoveryTestCase):
    def test_introspection_raising_recovers_from_the_snapshot(self) -> None:
        """A class whose introspection starts raising: the last good build's
        introspection serves, at full strength, with the cause recorded."""

        class Flaky(Gateway):
            pass

        pool = self.pool(Flaky)
        first = pool.acquire()
        del first
        Flaky.boom = Exploding()  # type: ignore[attr-defined]
        lease = pool.acquire()
        self.assertEqual(self.stages(pool), [("snapshot", True)])
        self.assertEqual(lease.recovered, "snapshot")
        self.assertIn("introspection exploded", pool.recoveries[0].root_cause)
        self.assert_enforces(lease.mock)
        self.assert_timed(pool)
        holder = {"k": lease}
        del lease
        pool.release(holder, "k")
        self.assertEqual(pool.stats().discards, {DiscardReason.RECOVERED: 1})

    def test_import_path_that_stops_resolving_mid_run(self) -> None:
        """A lazy spec path whose class disappears: the snapshot serves."""
        module = sys.modules[__name__]
        module.Vanishing = type("Vanishing", (Gateway,), {})  # type: ignore[attr-defined]
        self.addCleanup(lambda: vars(module).pop("Vanishing", None))
        pool = self.pool(f"{__name__}:Vanishing")
        del pool.acquire().mock
        del module.Vanishing
        lease = pool.acquire()
        self.assertEqual(self.stages(pool), [("snapshot", True)])
        self.assertIn("SpecResolutionError", pool.recoveries[0].root_cause)
        self.assert_enforces(lease.mock)

    def test_snapshot_that_fails_its_check_falls_to_the_template(self) -> None:
        """A snapshot whose mock differs from the last build: the stdlib's."""
        pool = self.pool()
        del pool.acquire().mock
        spec, shape = pool.last_good
        pool.last_good = (spec, (*shape[:2], ("not", "these"), shape[3]))
        with mock.patch.object(pool, "_make", side_effect=RuntimeError("build")):
            lease = pool.acquire()
        self.assertEqual(self.stages(pool), [("snapshot", False), ("template", True)])
        self.assertIn("shape", pool.recoveries[0].error or "")
        self.assert_enforces(lease.mock)
        self.assert_timed(pool)

    def test_memory_error_while_building_is_retried_then_recovered(self) -> None:
        """MemoryError in the build: recovery; a transient one is retried."""
        calls = {"n": 0, "armed": False}

        def configure(built: Any) -> None:
            if calls["armed"]:
                calls["n"] += 1
                if calls["n"] <= 2:  # the normal build, then the first retry
                    raise MemoryError("transient")

        pool = self.pool(defaults=configure)
        del pool.acquire().mock
        calls["armed"] = True
        lease = pool.acquire()
        self.assertEqual(self.stages(pool), [("snapshot", True)])
        self.assertIn("MemoryError", pool.recoveries[0].root_cause)
        self.assertEqual(calls["n"], 3, "the build, the snapshot, its one retry")
        self.assert_enforces(lease.mock)

    def test_defaults_raising_fails_with_every_stage_named(self) -> None:
        """A configurator that always raises: no stage can help."""

        armed: list[bool] = []

        def configure(built: Any) -> None:
            if armed:
                raise ValueError("bad template")

        pool = self.pool(defaults=configure)
        armed.append(True)  # registration's trial build passed; now it fails
        with self.assertRaises(mockpool.RecoveryFailedError) as caught:
            pool.acquire()
        message = str(caught.exception)
        for part in ("'Gateway'", "bad template", "snapshot:", "template:", "minimal"):
            self.assertIn(part, message)
        self.assertEqual(self.stages(pool), [("snapshot", False), ("template", False)])


class DegradedTests(RecoveryTestCase):
    level = "critical"

    def broken_pool(self) -> Pool:
        """A service whose every full-strength build fails from now on: the
        normal build, the snapshot and the stdlib template."""
        pool = self.pool()

        def fail(*args: Any) -> Any:
            raise RuntimeError("introspection exploded")

        for patcher in (
            mock.patch.object(pool, "_make", fail),
            mock.patch.dict(_recovery._BUILDERS, snapshot=fail, template=fail),
        ):
            patcher.start()
            self.addCleanup(patcher.stop)
        return pool

    def test_minimal_stage_warns_and_is_reported(self) -> None:
        """Outside strict mode a degraded mock warns and shows in the report."""
        pool = self.broken_pool()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lease = pool.acquire()
        self.assertEqual(
            self.stages(pool),
            [("snapshot", False), ("template", False), ("minimal", True)],
        )
        self.assertIsInstance(lease.mock, mock.Mock)
        [warning] = [w for w in caught if w.category is mockpool.DegradedMockWarning]
        self.assertIn("'minimal'", str(warning.message))
        self.assertEqual(self.report.degraded, {("Gateway", "minimal"): 1})
        self.assert_timed(pool)

    def test_strict_mode_fails_naming_service_stage_and_cause(self) -> None:
        """Strict mode refuses the degraded mock with the root cause."""
        mockpool.set_strict(True)
        pool = self.broken_pool()
        with self.assertRaises(mockpool.DegradedMockError) as caught:
            pool.acquire()
        message = str(caught.exception)
        for part in ("'Gateway'", "'minimal'", "introspection exploded", "strict"):
            self.assertIn(part, message)
        self.assertEqual(self.report.degraded, {})

    def test_strict_mode_follows_the_environment(self) -> None:
        """CI or MOCKPOOL_STRICT=1 turn it on; MOCKPOOL_STRICT=0 wins."""
        mockpool.set_strict(None)
        for env, expected in (
            ({"CI": "true"}, True),
            ({"MOCKPOOL_STRICT": "1"}, True),
            ({"CI": "true", "MOCKPOOL_STRICT": "0"}, False),
            ({}, False),
        ):
            with self.subTest(env), mock.patch.dict(os.environ, env, clear=True):
                _recovery.reload_settings()  # the environment is read once
                self.assertIs(mockpool.is_strict(), expected)
        _recovery.reload_settings()

    def test_stub_is_the_last_resort(self) -> None:
        """When even Mock(spec=...) fails, the stub serves (level critical)."""
        pool = self.broken_pool()
        no_minimal = mock.Mock(side_effect=TypeError("no spec"))
        with mock.patch.dict(_recovery._BUILDERS, minimal=no_minimal):
            lease = self.acquire(pool)
        self.assertEqual(self.stages(pool)[-1], ("stub", True))
        self.assertIsInstance(lease.mock, mock.MagicMock)


class DropInHasNoRecoveryTests(unittest.TestCase):
    def test_drop_in_fails_exactly_as_the_stdlib(self) -> None:
        """create_autospec under the drop-in raises what the stdlib raises."""

        class Broken(Gateway):
            boom = Exploding()

        with self.assertRaises(RuntimeError) as stdlib:
            mock.create_autospec(Broken, instance=True)

        class Probe(unittest.TestCase):
            def test_it(self) -> None:
                mock.create_autospec(Broken, instance=True)

        with mockpool.install():
            result = unittest.TestResult()
            Probe("test_it").run(result)
        self.assertEqual(len(result.errors), 1)
        self.assertIn(str(stdlib.exception), result.errors[0][1])


class LifetimeTests(unittest.TestCase):
    def setUp(self) -> None:
        self.registry = mockpool.Registry()
        self.registry.register("Gateway", Gateway)

    def test_keyboard_interrupt_while_undoing_a_patch(self) -> None:
        """Ctrl-C during exit: every other patch undone, mocks released."""

        class Touchy:
            armed = False

            def __init__(self) -> None:
                self.value = "original"

            def __setattr__(self, name: str, value: Any) -> None:
                if type(self).armed:
                    type(self).armed = False
                    raise KeyboardInterrupt
                object.__setattr__(self, name, value)

        touchy = Touchy()
        session = mockpool.mock_session(self.registry).open()
        session.get("Gateway")
        session.patch.object(sys.modules[__name__], "STAGE_BUDGET", 9.0)
        session.patch.object(touchy, "value", "patched")
        Touchy.armed = True
        with self.assertRaises(KeyboardInterrupt):
            session.close()
        self.assertTrue(session.closed)
        self.assertIsNone(mockpool.current_session())
        self.assertEqual(STAGE_BUDGET, 0.5)
        pool = session.pools.pool_for(self.registry, "Gateway")
        self.assertEqual(pool.stats().leased, 0)

    def test_session_closed_from_another_thread(self) -> None:
        """close() from another thread undoes the patches; no deadlock."""
        session = mockpool.mock_session(self.registry).open()
        self.addCleanup(session.close)
        session.patch.object(sys.modules[__name__], "STAGE_BUDGET", 9.0)
        closer = threading.Thread(target=session.close)
        closer.start()
        closer.join(10)
        self.assertFalse(closer.is_alive())
        self.assertTrue(session.closed)
        self.assertEqual(STAGE_BUDGET, 0.5)

    def test_side_effect_reentering_mockpool(self) -> None:
        """A mock's side effect that opens a session and patches: no deadlock."""
        with mockpool.mock_session(self.registry) as session:
            gateway = session.get("Gateway")

            def reenter(payload: bytes, *, timeout: float = 1.0) -> int:
                with mockpool.mock_session(self.registry) as inner:
                    inner.patch.object(sys.modules[__name__], "STAGE_BUDGET", 1.0)
                    return int(inner.get("Gateway") is not gateway)

            gateway.send.side_effect = reenter
            done: list[int] = []
            worker = threading.Thread(target=lambda: done.append(gateway.send(b"")))
            worker.start()
            worker.join(10)
            self.assertEqual(done, [1])
            self.assertEqual(gateway.send(b"x"), 1)
        self.assertEqual(STAGE_BUDGET, 0.5)

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_fork_during_an_open_session(self) -> None:
        """The child gets fresh pools and can close what it inherited."""
        session = mockpool.mock_session(self.registry).open()
        self.addCleanup(session.close)
        parent_mock = session.get("Gateway")
        session.patch.object(sys.modules[__name__], "STAGE_BUDGET", 9.0)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            status = 1
            try:
                with mockpool.mock_session(self.registry) as fresh:
                    ok = fresh.get("Gateway") is not parent_mock
                session.close()
                ok = ok and STAGE_BUDGET == 0.5
                status = 0 if ok else 2
            finally:
                os._exit(status)
        deadline = time.monotonic() + 30
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        self.assertTrue(done, "the forked child hung")
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual(STAGE_BUDGET, 9.0, "the parent's patch is its own")
        session.close()
        self.assertEqual(STAGE_BUDGET, 0.5)
