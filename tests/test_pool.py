"""Tests for mockpool._pools.pool and ._autospec.pristine: contract 2."""

from __future__ import annotations

import asyncio
import gc
import threading
import unittest
from typing import Any
from unittest import mock

import mockpool
from mockpool._autospec.pristine import DiscardReason
from mockpool._pools.pool import Lease, Pool, PoolManager

#: Where a test "leaks" a mock on purpose.
LEAKED: list[Any] = []


class Cache:
    """A small service spec."""

    ttl = 30

    def get(self, key: str) -> bytes:
        return b""

    def set(self, key: str, value: bytes, *, ttl: int = 0) -> None:
        pass

    async def ping(self) -> bool:
        return True

    def __len__(self) -> int:
        return 0


def _remove_leaked_attribute() -> None:
    if "leaked" in Cache.__dict__:
        del Cache.leaked  # type: ignore[attr-defined]


def _registry(**options: Any) -> mockpool.Registry:
    registry = mockpool.Registry()
    registry.register("Cache", Cache, **options)
    return registry


class PoolTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.registry = _registry(defaults={"get.return_value": b"default"})
        self.pool = Pool(self.registry, "Cache")
        self.held: dict[str, Lease] = {}

    def acquire(self) -> Any:
        self.held["lease"] = self.pool.acquire()
        return self.held["lease"].mock

    def give_back(self) -> None:
        self.pool.release(self.held, "lease")

    def cycle(self, use: Any) -> tuple[int, Any]:
        """Acquire, let *use* touch the mock, give it back, acquire again."""
        first = id(self.acquire())
        use(self.held["lease"].mock)
        self.give_back()
        again = self.acquire()
        return first, again

    def assertFresh(self, built: Any) -> None:
        """*built* behaves like a fresh build with defaults applied."""
        self.assertEqual(built.mock_calls, [])
        self.assertEqual(built.method_calls, [])
        self.assertFalse(built.get.called)
        self.assertEqual(built.get("k"), b"default")
        self.assertIsInstance(built.set("k", b"v"), mock.MagicMock)
        with self.assertRaises(TypeError):
            built.set()
        with self.assertRaises(AttributeError):
            built.unknown
        self.assertFalse(hasattr(built, "extra"))
        self.assertEqual(len(built), 0)
        self.assertIsInstance(built.ping, mock.AsyncMock)
        self.assertEqual(built.ttl.__class__, int)
        fresh = self.registry.build("Cache")
        self.assertEqual(dir(built), dir(fresh))


class RecyclingTests(PoolTestCase):
    def test_untouched_mock_is_handed_out_again(self) -> None:
        """A mock given back unused is the next one handed out: a hit."""
        first, again = self.cycle(lambda m: None)
        self.assertEqual(id(again), first)
        stats = self.pool.stats()
        self.assertEqual((stats.acquired, stats.hits, stats.builds), (2, 1, 1))

    def test_used_mock_comes_back_pristine(self) -> None:
        """Calls, configuration, attributes and magic methods are all undone."""

        def use(m: Any) -> None:
            m.get("a")
            m.set("k", b"v", ttl=3)
            m.get.return_value = b"changed"
            m.set.side_effect = KeyError
            m.extra = 1
            m.__len__.return_value = 7
            m.configure_mock(**{"get.side_effect": ValueError})
            asyncio.run(m.ping())
            str(m)
            del m.ttl

        first, again = self.cycle(use)
        self.assertEqual(id(again), first)
        self.assertFresh(again)
        self.assertEqual(self.pool.stats().discards, {})

    def test_mock_stored_outside_is_thrown_away(self) -> None:
        """A mock stored on a module, class, closure or thread is not reused."""
        holders = {
            "module": lambda m: LEAKED.append(m),
            "class": lambda m: setattr(Cache, "leaked", m),
            "closure": lambda m: LEAKED.append(lambda: m),
        }
        self.addCleanup(LEAKED.clear)
        self.addCleanup(_remove_leaked_attribute)
        for label, store in holders.items():
            with self.subTest(label):
                first, again = self.cycle(store)
                self.assertNotEqual(id(again), first)
                self.assertFresh(again)
                del again
                self.give_back()
        self.assertEqual(self.pool.stats().discards[DiscardReason.ESCAPED], 3)

    def test_mock_held_by_a_running_thread_is_thrown_away(self) -> None:
        """A thread still holding the mock keeps it out of the pool."""
        release = threading.Event()
        started = threading.Event()

        def hold(m: Any) -> None:
            def run() -> None:
                started.set()
                release.wait(5)
                m.get("late")

            thread = threading.Thread(target=run)
            thread.start()
            started.wait(5)
            self.addCleanup(thread.join)
            self.addCleanup(release.set)

        first, again = self.cycle(hold)
        self.assertNotEqual(id(again), first)

    def test_stored_child_is_detached(self) -> None:
        """A method kept by a finished test no longer records into the mock."""
        kept: list[Any] = []
        first, again = self.cycle(lambda m: kept.append(m.get))
        self.assertEqual(id(again), first)
        kept[0]("from the past")
        self.assertEqual(again.mock_calls, [])
        self.assertIsNot(again.get, kept[0])

    def test_unrestorable_states_are_discarded_with_a_reason(self) -> None:
        """seal, mock_add_spec and __class__ assignment discard the mock."""
        cases = {
            DiscardReason.SEALED: mock.seal,
            DiscardReason.SPEC_CHANGED: lambda m: m.mock_add_spec(["get"]),
        }
        for reason, use in cases.items():
            with self.subTest(reason):
                first, again = self.cycle(use)
                self.assertNotEqual(id(again), first)
                self.assertFresh(again)
                self.assertEqual(self.pool.stats().discards.get(reason), 1)
                del again
                self.give_back()

    def test_class_assignment_is_discarded(self) -> None:
        """Assigning __class__ changes the spec: the mock is not reused."""

        def use(m: Any) -> None:
            m.__class__ = dict

        first, again = self.cycle(use)
        self.assertNotEqual(id(again), first)
        self.assertIsInstance(again, Cache)

    def test_attached_to_another_mock_is_not_reused(self) -> None:
        """A mock attached to an outside mock is referenced from outside."""
        outside = mock.MagicMock()
        first, again = self.cycle(lambda m: outside.attach_mock(m, "cache"))
        self.assertNotEqual(id(again), first)

    def test_pool_keeps_at_most_max_size(self) -> None:
        """Mocks given back beyond max_size are dropped and counted."""
        pool = Pool(self.registry, "Cache", min_size=0, max_size=2)
        held = {index: pool.acquire() for index in range(4)}
        for index in range(4):
            pool.release(held, index)
        stats = pool.stats()
        self.assertEqual(stats.idle, 2)
        self.assertEqual(stats.discards, {DiscardReason.POOL_FULL: 2})
        self.assertEqual(stats.peak_leased, 4)

    def test_class_specs_are_not_recycled(self) -> None:
        """Services mocking the class itself are built fresh each time."""
        registry = mockpool.Registry()
        registry.register("CacheClass", Cache, instance=False)
        pool = Pool(registry, "CacheClass")
        held = {"lease": pool.acquire()}
        first = id(held["lease"].mock)
        pool.release(held, "lease")
        held["lease"] = pool.acquire()
        self.assertNotEqual(id(held["lease"].mock), first)
        self.assertEqual(pool.stats().discards, {DiscardReason.CLASS_SPEC: 1})

    def test_leases_are_held_weakly(self) -> None:
        """A lease dropped without release leaves no trace in the pool."""
        lease: Any = self.pool.acquire()
        self.assertEqual(self.pool.stats().leased, 1)
        del lease
        gc.collect()
        self.assertEqual(self.pool.stats().leased, 0)

    def test_releasing_a_foreign_lease_does_not_pool_it(self) -> None:
        """A lease from another pool is not taken in."""
        other = Pool(self.registry, "Cache")
        held = {"lease": other.acquire()}
        self.pool.release(held, "lease")
        self.assertEqual(self.pool.stats().idle, 0)
        self.assertEqual(held, {})

    def test_weakly_held_lease_lets_a_dropped_mock_go(self) -> None:
        """Held weakly, a mock dropped by its user is freed and counted, not kept."""
        self.acquire().get("key")
        self.held["lease"].hold_weakly()
        gc.collect()
        self.assertIsNone(self.held["lease"].mock)
        self.give_back()
        stats = self.pool.stats()
        self.assertEqual((stats.idle, stats.leased), (0, 0))
        self.assertEqual(stats.discards, {DiscardReason.FREED: 1})
        self.assertFresh(self.acquire())

    def test_weakly_held_lease_still_detects_an_escape(self) -> None:
        """A weak hold does not change the owner count the escape check expects."""
        self.addCleanup(LEAKED.clear)
        user = self.acquire()
        self.held["lease"].hold_weakly()
        first = id(user)
        self.give_back()
        del user  # the user's last reference, gone before the next hand-out
        self.assertEqual(id(self.acquire()), first)
        self.held["lease"].hold_weakly()
        LEAKED.append(self.held["lease"].mock)  # stored outside: an escape
        self.give_back()
        self.assertNotEqual(id(self.acquire()), first)
        self.assertEqual(self.pool.stats().discards, {DiscardReason.ESCAPED: 1})

    def test_collecting_a_dropped_mock_inside_the_pool_lock_does_not_hang(
        self,
    ) -> None:
        """The collector may free a handed-out mock while its pool holds its lock."""

        def drop_then_collect_under_the_lock() -> None:
            lease: Any = self.pool.acquire()
            del lease  # the mock is in a reference cycle: freed by gc only
            with self.pool._lock:
                gc.collect()

        worker = threading.Thread(target=drop_then_collect_under_the_lock, daemon=True)
        worker.start()
        worker.join(10)
        self.assertFalse(worker.is_alive(), "the pool's weakref callback deadlocked")
        self.assertEqual(self.pool.stats().leased, 0)


class SizingTests(unittest.TestCase):
    def test_warm_builds_up_to_min_size(self) -> None:
        """warm() builds min_size idle mocks, and no more when repeated."""
        pool = Pool(_registry(), "Cache", min_size=3, max_size=5)
        self.assertEqual(pool.warm(), 3)
        self.assertEqual(pool.warm(), 0)
        self.assertEqual(pool.warm(10), 2)  # capped at max_size
        held = {"lease": pool.acquire()}
        self.assertEqual(pool.stats().hits, 1)
        pool.release(held, "lease")

    def test_bad_bounds_name_the_value(self) -> None:
        """Negative or crossed bounds: InvalidArgumentError; non-int: type error."""
        registry = _registry()
        for kwargs, error in (
            ({"min_size": -1}, mockpool.InvalidArgumentError),
            ({"max_size": 1.5}, mockpool.ArgumentTypeError),
            ({"min_size": 3, "max_size": 2}, mockpool.InvalidArgumentError),
        ):
            with self.subTest(kwargs):
                with self.assertRaises(error) as caught:
                    Pool(registry, "Cache", **kwargs)
                self.assertIn(repr(next(iter(kwargs.values()))), str(caught.exception))
        with self.assertRaises(mockpool.InvalidArgumentError):
            Pool(registry, "Cache").warm(-2)

    def test_manager_keeps_one_pool_per_service(self) -> None:
        """pool_for returns the same pool for a service, per registry."""
        manager = PoolManager()
        registry, other = _registry(), _registry()
        self.assertIs(
            manager.pool_for(registry, "Cache"), manager.pool_for(registry, "Cache")
        )
        self.assertIsNot(
            manager.pool_for(registry, "Cache"), manager.pool_for(other, "Cache")
        )
        with self.assertRaises(mockpool.UnknownServiceError):
            manager.pool_for(registry, "Missing")
        self.assertEqual(len(manager.pools()), 2)


if __name__ == "__main__":
    unittest.main()
