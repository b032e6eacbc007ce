"""Pooled mocks let go of what tests passed to them (contracts 2 and 5).

Under the stdlib, a mock a test drops is freed -- at once, or at the next
garbage collection if it is in a reference cycle -- and with it everything
passed to it. Under the drop-in the same must hold while the test runs (the
test scope's leases are weak), and after the test a recycled mock must not
carry the first user's arguments along (its baseline records what proves it
pristine, never the containers the test appended to).

The suites run under the drop-in are defined inside the tests, so that
discovery does not run them on their own.
"""

from __future__ import annotations

import gc
import io
import unittest
import warnings
import weakref
from typing import Any
from unittest import mock

import mockpool
from mockpool._autospec import lazy as _autospec
from mockpool._autospec.pristine import DiscardReason
from mockpool._integration import dropin as _dropin
from mockpool._pools import spec_pools
from mockpool._pools.pool import Pool, PoolManager
from mockpool._reporting import worker_files as _worker_files
from tests._shop import Clock, Mailer

#: What the suites below saw, filled while they run.
SEEN: list[Any] = []


class Payload:
    """Something a test hands to a mock, like a file or a socket."""


def run_in_scopes(case: type[unittest.TestCase]) -> unittest.TestResult:
    """Run *case*'s tests under the drop-in, each in a test scope of its own."""
    suite = unittest.TestLoader().loadTestsFromTestCase(case)
    _dropin.enable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mockpool.LeakWarning)
            runner = unittest.TextTestRunner(stream=io.StringIO())
            return runner.run(suite)
    finally:
        _dropin.disable()


def mailer_pool() -> Pool:
    """The drop-in's pool of ``create_autospec(Mailer, instance=True)``."""
    pool = spec_pools.existing_spec_pool(Mailer)
    assert pool is not None, "Mailer was not served from a pool"
    return pool


def public_view(built: Any) -> tuple[Any, ...]:
    """What a test can see of a fresh-looking Mailer mock, as plain values."""
    try:
        built.send()
    except TypeError as exc:
        refused = str(exc)
    else:  # pragma: no cover - the assertion below names it
        refused = "accepted a call with no arguments"
    try:
        built.unknown  # the lookup is the probe
    except AttributeError:
        unknown = "AttributeError"
    else:  # pragma: no cover
        unknown = "no error"
    result = (
        list(built.mock_calls),
        list(built.method_calls),
        built.send.called,
        list(built.send.call_args_list),
        type(built.send("to", "body")).__mro__[1:],
        refused,
        unknown,
        type(built.host).__mro__[1:],
        dir(built),
    )
    built.reset_mock()
    return result


def structure(built: Any) -> tuple[Any, ...]:
    """The shape of a mock's own state: keys, and the kinds of its children."""
    children = built.__dict__["_mock_children"]
    return (
        sorted(built.__dict__),
        {key: type(child).__name__ for key, child in children.items()},
        sorted(type(built).__dict__),
    )


class DropInReleaseTestBase(unittest.TestCase):
    def setUp(self) -> None:
        SEEN.clear()
        self.addCleanup(SEEN.clear)
        spec_pools.clear()
        self.addCleanup(spec_pools.clear)
        self.report = _worker_files.process_report()
        self.discards_before = self.report.discards.get(DiscardReason.FREED, 0)

    def assertPassed(self, result: unittest.TestResult) -> None:
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)


class WeakLeaseTests(DropInReleaseTestBase):
    def test_a_dropped_mock_frees_what_was_passed_to_it_while_the_test_runs(
        self,
    ) -> None:
        """A pooled mock the test drops frees its arguments before the test ends."""

        class DropsItsMock(unittest.TestCase):
            def test_drops(self) -> None:
                built = _dropin.create_autospec(Mailer, instance=True)
                payload = Payload()
                witness = weakref.ref(payload)
                built.send(payload, "body")
                del built, payload
                gc.collect()
                SEEN.append(_dropin.current_scope() is not None)
                SEEN.append(witness() is None)

        self.assertPassed(run_in_scopes(DropsItsMock))
        self.assertEqual(mailer_pool().stats().acquired, 1)
        scope_open, payload_freed = SEEN
        self.assertTrue(scope_open)
        self.assertTrue(payload_freed, "the test scope kept the mock alive")

    def test_a_dropped_mock_is_forgotten_and_the_pool_goes_on(self) -> None:
        """The next hand-out builds or recycles; the freed mock is one discard."""

        class DropsThenAsksAgain(unittest.TestCase):
            def test_1_drops(self) -> None:
                built = _dropin.create_autospec(Mailer, instance=True)
                built.send(Payload(), "body")
                witness = weakref.ref(built)
                del built
                gc.collect()
                SEEN.append(witness() is None)
                again = _dropin.create_autospec(Mailer, instance=True)
                again.send("to", "body")
                again.send.assert_called_once_with("to", "body")
                self.kept = again

            def test_2_asks_again(self) -> None:
                gc.collect()
                built = _dropin.create_autospec(Mailer, instance=True)
                built.send.assert_not_called()
                self.assertEqual(built.mock_calls, [])
                with self.assertRaises(TypeError):
                    built.send()

        self.assertPassed(run_in_scopes(DropsThenAsksAgain))
        self.assertEqual(SEEN, [True], "the dropped mock was not freed")
        stats = mailer_pool().stats()
        self.assertEqual(
            (stats.acquired, stats.builds, stats.hits, stats.idle, stats.leased),
            (3, 2, 1, 1, 0),
        )
        self.assertEqual(stats.discards, {DiscardReason.FREED: 1})
        freed = self.report.discards.get(DiscardReason.FREED, 0)
        self.assertEqual(freed - self.discards_before, 1)


class BaselineReleaseTests(DropInReleaseTestBase):
    def test_a_recycled_mock_keeps_nothing_of_its_first_user(self) -> None:
        """Once recycled, the first test's arguments are garbage; the mock is fresh."""

        class Reuses(unittest.TestCase):
            def test_1_uses(self) -> None:
                self.mailer = _dropin.create_autospec(Mailer, instance=True)
                payload = Payload()
                SEEN.append(id(self.mailer))
                SEEN.append(weakref.ref(payload))
                self.mailer.send(payload, "body")
                self.mailer.send.return_value = payload
                self.mailer.host = payload

            def test_2_reuses(self) -> None:
                gc.collect()  # the first test's case, and its hold, are gone
                built = _dropin.create_autospec(Mailer, instance=True)
                gc.collect()
                SEEN.append(id(built))
                SEEN.append(SEEN[1]() is None)
                SEEN.append(structure(built))
                SEEN.append(public_view(built))

        self.assertPassed(run_in_scopes(Reuses))
        first, _, again, payload_freed, shape, seen = SEEN
        self.assertEqual(again, first, "the mock was not recycled")
        self.assertTrue(payload_freed, "the pool kept the first user's argument")
        fresh = _autospec.create_autospec(Mailer, instance=True)
        self.assertEqual(shape, structure(fresh))
        self.assertEqual(seen, public_view(fresh))
        self.assertEqual(mailer_pool().stats().discards, {})

    def test_an_idle_mock_drops_its_test_arguments_when_the_next_test_opens(
        self,
    ) -> None:
        """The next test need not ask for the class: its start frees the arguments."""

        class Leaves(unittest.TestCase):
            def test_1_uses(self) -> None:
                self.mailer = _dropin.create_autospec(Mailer, instance=True)
                payload = Payload()
                SEEN.append(weakref.ref(payload))
                self.mailer.send(payload, "body")
                self.mailer.send.return_value = payload

            def test_2_autospecs_nothing(self) -> None:
                gc.collect()
                SEEN.append(SEEN[0]() is None)

        self.assertPassed(run_in_scopes(Leaves))
        self.assertTrue(SEEN[1], "an idle mock kept the last test's argument")
        self.assertEqual(mailer_pool().stats().idle, 1, "the mock was not kept")

    def test_a_pool_keeps_nothing_a_session_passed_to_its_mocks(self) -> None:
        """Registered services too: a recycled mock holds no earlier argument."""
        registry = mockpool.Registry()
        registry.register("Mailer", Mailer)
        pools = PoolManager()
        payload = Payload()
        witness = weakref.ref(payload)
        with mockpool.mock_session(registry, pools=pools) as session:
            first = id(session.get("Mailer"))
            session.get("Mailer").send(payload, "body")
            session.get("Mailer").send.side_effect = [payload]
        del payload
        with mockpool.mock_session(registry, pools=pools) as session:
            self.assertEqual(id(session.get("Mailer")), first)
            gc.collect()
            self.assertIsNone(witness())
            self.assertEqual(session.get("Mailer").mock_calls, [])

    def test_a_baseline_does_not_keep_its_mock_alive(self) -> None:
        """A scope's lease and its baseline leave a dropped mock to the collector."""
        scope = _dropin.TestScope("tests.release.unit", [])
        pool = spec_pools.spec_pool_for(Mailer)
        assert pool is not None
        built = scope.acquire(pool)
        built.send("to", "body")
        witness = weakref.ref(built)
        del built
        gc.collect()
        self.assertIsNone(witness())
        scope.close()
        stats = pool.stats()
        self.assertEqual((stats.leased, stats.idle), (0, 0))
        self.assertEqual(stats.discards, {DiscardReason.FREED: 1})


class SessionHoldTests(unittest.TestCase):
    def test_a_session_keeps_its_services_for_the_whole_session(self) -> None:
        """session.get(name) is the same object all session long, even unheld."""
        registry = _registry()
        with mockpool.mock_session(registry, pools=PoolManager()) as session:
            first = weakref.ref(session.get("Mailer"))
            gc.collect()
            self.assertIsNotNone(first())
            self.assertIs(session.get("Mailer"), first())
            clock = session.get("Clock")
            self.assertIs(clock.mailer, session.get("Mailer"))
            self.assertIsInstance(clock.now, mock.MagicMock)


def _registry() -> mockpool.Registry:
    registry = mockpool.Registry()
    registry.register("Mailer", Mailer)
    registry.register("Clock", Clock, depends_on={"mailer": "Mailer"})
    return registry


if __name__ == "__main__":
    unittest.main()
