"""Tests for mockpool._base.priority_cache: eviction by priority, then LRU.

:class:`DropInTests` runs the same operations against
:class:`cachetools.LRUCache` and a :class:`PriorityCache` without priorities,
which must agree step by step; the other tests check eviction against a
small reference model of "lowest priority, then least recently used".
"""

from __future__ import annotations

import copy
import math
import unittest
from fractions import Fraction
from typing import Any

import cachetools
from hypothesis import given
from hypothesis import strategies as st

from mockpool._base.priority_cache import DEFAULT_PRIORITY, PriorityCache
from mockpool.errors import ArgumentTypeError, InvalidArgumentError

KEYS = st.sampled_from("abcdefgh")
PRIORITIES = st.integers(-3, 3).map(float)  # few values, so ties are common

# An operation: a name, a key and an argument (a value or a default).
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["set", "get", "getitem", "pop", "del", "in", "setdefault"]),
        KEYS,
        st.integers(1, 4),
    ),
    max_size=60,
)


def apply(cache: cachetools.Cache[str, int], operation: tuple[str, str, int]) -> object:
    """Run one operation on *cache*; return what it returned or raised."""
    name, key, argument = operation
    try:
        if name == "set":
            cache[key] = argument
            return None
        if name == "get":
            return cache.get(key)
        if name == "getitem":
            return cache[key]
        if name == "pop":
            return cache.pop(key, -argument)
        if name == "del":
            del cache[key]
            return None
        if name == "in":
            return key in cache
        return cache.setdefault(key, argument)
    except (KeyError, ValueError) as error:
        return type(error)


def evict_one(cache: PriorityCache[str, int], key: str, value: int) -> set[str]:
    """Insert *key* into a full cache; return the keys that left it."""
    before = set(cache)
    cache[key] = value
    return before - set(cache)


class DropInTests(unittest.TestCase):
    """Without priorities, PriorityCache behaves exactly as LRUCache."""

    @given(operations=OPERATIONS, maxsize=st.integers(1, 5))
    def test_agrees_with_lru_cache(
        self, operations: list[tuple[str, str, int]], maxsize: int
    ) -> None:
        """Same results, contents and sizes as LRUCache, operation by operation."""
        lru: cachetools.LRUCache[str, int] = cachetools.LRUCache(maxsize)
        ours: PriorityCache[str, int] = PriorityCache(maxsize)
        for operation in operations:
            self.assertEqual(apply(ours, operation), apply(lru, operation), operation)
            self.assertEqual(dict(ours), dict(lru))
            self.assertEqual(ours.currsize, lru.currsize)
        # Both agree on which entry goes next, down to the last one.
        while lru:
            self.assertEqual(ours.popitem(), lru.popitem())
        self.assertEqual(len(ours), 0)

    @given(operations=OPERATIONS, maxsize=st.integers(4, 12))
    def test_agrees_with_lru_cache_by_size(
        self, operations: list[tuple[str, str, int]], maxsize: int
    ) -> None:
        """With getsizeof, too, it keeps what LRUCache keeps."""

        def size(value: int) -> int:
            return value

        lru: cachetools.LRUCache[str, int] = cachetools.LRUCache(maxsize, size)
        ours: PriorityCache[str, int] = PriorityCache(maxsize, size)
        for operation in operations:
            self.assertEqual(apply(ours, operation), apply(lru, operation), operation)
            self.assertEqual(dict(ours), dict(lru))
            self.assertEqual(ours.currsize, lru.currsize)

    def test_mapping_behaviour(self) -> None:
        """get, [], in, len, pop, setdefault, iteration, update and clear."""
        cache: PriorityCache[str, int] = PriorityCache(maxsize=10)
        self.assertIsNone(cache.get("a"))
        self.assertEqual(cache.get("a", 7), 7)
        with self.assertRaises(KeyError):
            cache["a"]
        cache["a"] = 1
        cache.update({"b": 2, "c": 3})
        self.assertIn("a", cache)
        self.assertNotIn("z", cache)
        self.assertEqual(len(cache), 3)
        self.assertEqual(cache["a"], 1)
        self.assertEqual(cache.get("b"), 2)
        self.assertEqual(sorted(cache), ["a", "b", "c"])
        self.assertEqual(cache.setdefault("c", 9), 3)
        self.assertEqual(cache.setdefault("d", 4), 4)
        self.assertEqual(cache.pop("a"), 1)
        self.assertEqual(cache.pop("a", None), None)
        with self.assertRaises(KeyError):
            cache.pop("a")
        del cache["b"]
        with self.assertRaises(KeyError):
            del cache["b"]
        self.assertEqual(dict(cache), {"c": 3, "d": 4})
        self.assertEqual(cache.currsize, 2)
        self.assertEqual(cache.maxsize, 10)
        cache.clear()
        self.assertEqual((len(cache), cache.currsize, dict(cache)), (0, 0, {}))
        cache["e"] = 5  # still usable after clear()
        self.assertEqual(dict(cache), {"e": 5})

    def test_popitem_of_empty_cache(self) -> None:
        """popitem() on an empty cache raises KeyError, as LRUCache does."""
        with self.assertRaisesRegex(KeyError, "PriorityCache is empty"):
            PriorityCache[str, int](maxsize=2).popitem()

    def test_zero_maxsize_stores_nothing(self) -> None:
        """maxsize=0 refuses every value, as cachetools does."""
        cache: PriorityCache[str, int] = PriorityCache(maxsize=0)
        with self.assertRaises(ValueError):
            cache["a"] = 1
        self.assertEqual(len(cache), 0)

    def test_unbounded(self) -> None:
        """maxsize=math.inf never evicts."""
        cache: PriorityCache[int, int] = PriorityCache(maxsize=math.inf)
        for key in range(1000):
            cache[key] = key
        self.assertEqual(len(cache), 1000)

    def test_membership_does_not_count_as_use(self) -> None:
        """`in` leaves the LRU order alone; get() and [] refresh it."""
        for touch in ("in", "get", "getitem"):
            with self.subTest(touch=touch):
                cache: PriorityCache[str, int] = PriorityCache(maxsize=2)
                cache["old"] = 1
                cache["new"] = 2
                if touch == "in":
                    self.assertIn("old", cache)
                elif touch == "get":
                    cache.get("old")
                else:
                    cache["old"]
                left = evict_one(cache, "newest", 3)
                self.assertEqual(left, {"old"} if touch == "in" else {"new"})

    def test_copy_is_independent(self) -> None:
        """copy.copy() gives an equal cache that evolves on its own."""
        priority = {"a": 3.0, "b": 1.0, "c": 2.0, "d": 0.0, "e": 0.0}
        cache: PriorityCache[str, int] = PriorityCache(3, priority=priority.__getitem__)
        cache.update(a=1, b=2, c=3)
        cache.set_priority("c", 9.0)
        twin = copy.copy(cache)
        self.assertIsInstance(twin, PriorityCache)
        self.assertEqual(dict(twin), dict(cache))
        self.assertEqual(twin.priority_of("c"), 9.0)
        twin["d"] = 4  # evicts b from the copy only
        twin.set_priority("a", -1.0)
        self.assertEqual(set(cache), {"a", "b", "c"})
        self.assertEqual(set(twin), {"a", "c", "d"})
        self.assertEqual(cache.priority_of("a"), 3.0)
        self.assertEqual(evict_one(twin, "e", 5), {"a"})
        self.assertEqual(evict_one(cache, "e", 5), {"b"})

    def test_subclass_with_missing(self) -> None:
        """A subclass's __missing__ answers misses, as with cachetools."""

        class Defaulting(PriorityCache[str, int]):
            def __missing__(self, key: str) -> int:
                return len(key)

        cache = Defaulting(maxsize=2)
        self.assertEqual(cache["abc"], 3)
        self.assertNotIn("abc", cache)
        cache["x"] = 1
        self.assertEqual(cache["x"], 1)


class EvictionTests(unittest.TestCase):
    """The entry evicted is the lowest priority, least recently used first."""

    def test_evicts_in_priority_order(self) -> None:
        """popitem() empties the cache from the lowest priority up."""
        priority = {"a": 5.0, "b": -2.0, "c": 0.5, "d": 3.0, "e": 1.0}
        cache: PriorityCache[str, int] = PriorityCache(
            10, priority=priority.__getitem__
        )
        for key in "abcde":
            cache[key] = 0
        order = [cache.popitem()[0] for _ in range(len(priority))]
        self.assertEqual(order, sorted(priority, key=priority.__getitem__))

    @given(
        priorities=st.dictionaries(KEYS, PRIORITIES, min_size=1),
        accesses=st.lists(KEYS, max_size=30),
        maxsize=st.integers(1, 5),
    )
    def test_matches_reference_model(
        self, priorities: dict[str, float], accesses: list[str], maxsize: int
    ) -> None:
        """Reads and writes evict what 'min (priority, last use)' predicts."""

        def rank(key: str) -> float:
            return priorities.get(key, DEFAULT_PRIORITY)

        cache: PriorityCache[str, str] = PriorityCache(maxsize, priority=rank)
        recency: list[str] = []  # the model: least recently used first
        for step, key in enumerate(accesses):
            if key in recency and step % 2:  # odd steps read, even steps write
                self.assertEqual(cache[key], key)
            else:
                if key not in recency and len(recency) == maxsize:
                    victim = min(recency, key=lambda k: (rank(k), recency.index(k)))
                    recency.remove(victim)
                cache[key] = key
            if key in recency:
                recency.remove(key)
            recency.append(key)
            self.assertEqual(set(cache), set(recency))

    def test_new_entry_is_always_admitted(self) -> None:
        """A key ranked below every cached one still gets in."""
        priority = {"a": 5.0, "b": 6.0, "low": -100.0}
        cache: PriorityCache[str, int] = PriorityCache(2, priority=priority.__getitem__)
        cache.update(a=1, b=2)
        self.assertEqual(evict_one(cache, "low", 3), {"a"})
        self.assertIn("low", cache)
        # ... and it is the first to go once something else arrives.
        priority["c"] = 0.0
        self.assertEqual(evict_one(cache, "c", 4), {"low"})

    def test_tie_goes_to_least_recently_used(self) -> None:
        """Among equally low priorities, the least recently used is evicted."""
        priority = {"a": 1.0, "b": 1.0, "c": 1.0, "keep": 9.0, "x": 1.0}
        cache: PriorityCache[str, int] = PriorityCache(4, priority=priority.__getitem__)
        cache.update(keep=0, a=0, b=0, c=0)
        cache["a"]  # now b is the least recently used of the tied a, b, c
        cache["keep"]  # using it does not make it a candidate
        self.assertEqual(evict_one(cache, "x", 0), {"b"})
        cache["c"] = 1  # a write counts as a use too
        self.assertEqual(evict_one(cache, "b", 0), {"a"})

    def test_priority_function_is_read_at_eviction(self) -> None:
        """Changing what priority() returns takes effect without re-inserting."""
        calls: list[str] = []
        priority = {"a": 1.0, "b": 2.0, "c": 3.0}

        def rank(key: str) -> float:
            calls.append(key)
            return priority.get(key, 0.0)

        cache: PriorityCache[str, int] = PriorityCache(3, priority=rank)
        cache.update(a=1, b=2, c=3)
        self.assertEqual(calls, [], "priority() is not read while there is room")
        priority["a"] = 10.0  # a fresh prediction: a is now needed most
        priority["c"] = 0.5
        self.assertEqual(evict_one(cache, "d", 4), {"c"})
        self.assertEqual(sorted(calls), ["a", "b", "c"])

    def test_set_priority_overrides_the_function(self) -> None:
        """set_priority() beats priority(); None falls back to it."""
        priority = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 0.0}
        cache: PriorityCache[str, int] = PriorityCache(3, priority=priority.__getitem__)
        cache.update(a=1, b=2, c=3)
        cache.set_priority("a", 100.0)
        self.assertEqual(cache.priority_of("a"), 100.0)
        self.assertEqual(evict_one(cache, "d", 4), {"b"})
        cache.set_priority("a", None)
        self.assertEqual(cache.priority_of("a"), 1.0)
        self.assertEqual(evict_one(cache, "b", 2), {"d"})
        self.assertEqual(evict_one(cache, "d", 4), {"a"})

    def test_set_priority_without_function(self) -> None:
        """Without priority(), overrides rank against DEFAULT_PRIORITY."""
        cache: PriorityCache[str, int] = PriorityCache(3)
        cache.set_priority("pinned", math.inf)
        cache.set_priority("doomed", -math.inf)
        cache.update(pinned=1, a=2, doomed=3)
        self.assertEqual(cache.priority_of("a"), DEFAULT_PRIORITY)
        self.assertEqual(evict_one(cache, "b", 4), {"doomed"})
        self.assertEqual(evict_one(cache, "c", 5), {"a"})
        self.assertEqual(evict_one(cache, "d", 6), {"b"})
        self.assertIn("pinned", cache)

    def test_override_outlives_the_entry(self) -> None:
        """An override set before insertion, or kept over clear(), applies."""
        cache: PriorityCache[str, int] = PriorityCache(2)
        cache.set_priority("early", 5.0)
        cache.update(early=1, other=2)
        self.assertEqual(evict_one(cache, "x", 3), {"other"})
        cache.clear()
        self.assertEqual(cache.priority_of("early"), 5.0)
        cache.update(early=1, y=2)
        self.assertEqual(evict_one(cache, "z", 3), {"y"})

    def test_rewriting_a_key_keeps_the_bound(self) -> None:
        """Growing the lowest-priority entry evicts only what it must."""
        priority = {"low": 0.0, "mid": 1.0, "high": 2.0}
        cache: PriorityCache[str, str] = PriorityCache(
            10, len, priority=priority.__getitem__
        )
        cache.update(low="aaa", mid="bbb", high="ccc")
        cache["low"] = "aaaaaaa"  # 7: the old "low" goes, then "mid"
        self.assertEqual(dict(cache), {"high": "ccc", "low": "aaaaaaa"})
        self.assertEqual(cache.currsize, 10)


class SizeBoundTests(unittest.TestCase):
    """With getsizeof, maxsize bounds the total size of the values."""

    @given(
        writes=st.lists(st.tuples(KEYS, st.text(max_size=6), PRIORITIES), max_size=40),
        maxsize=st.integers(0, 15),
    )
    def test_total_size_within_bound(
        self, writes: list[tuple[str, str, float]], maxsize: int
    ) -> None:
        """currsize is the sum of the sizes and never exceeds maxsize."""
        cache: PriorityCache[str, str] = PriorityCache(maxsize, len)
        for key, value, priority in writes:
            cache.set_priority(key, priority)
            before = dict(cache)
            if len(value) > maxsize:
                with self.assertRaisesRegex(ValueError, "too large"):
                    cache[key] = value
                self.assertEqual(dict(cache), before)
                continue
            cache[key] = value
            self.assertEqual(cache[key], value)
            evicted = set(before) - set(cache) - {key}
            kept = set(cache) - {key}
            # Nothing kept ranks below anything evicted to make room.
            if evicted and kept:
                self.assertLessEqual(
                    max(cache.priority_of(k) for k in evicted),
                    min(cache.priority_of(k) for k in kept),
                )
            self.assertEqual(cache.currsize, sum(len(v) for v in cache.values()))
            self.assertLessEqual(cache.currsize, maxsize)

    def test_large_value_evicts_several_low_ones(self) -> None:
        """Room for one big value is made from the lowest priorities up."""
        priority = {"a": 4.0, "b": 1.0, "c": 3.0, "d": 2.0, "big": 0.0}
        cache: PriorityCache[str, bytes] = PriorityCache(
            8, len, priority=priority.__getitem__
        )
        for key in "abcd":
            cache[key] = b"xx"
        self.assertEqual(evict_one(cache, "big", b"12345"), {"b", "d", "c"})  # type: ignore[arg-type]
        self.assertEqual(cache.currsize, 7)

    def test_fractional_sizes(self) -> None:
        """Sizes and maxsize may be floats, as in cachetools."""
        cache: PriorityCache[str, float] = PriorityCache(1.0, lambda value: value)
        cache["a"] = 0.25
        cache["b"] = 0.5
        cache["c"] = 0.5
        self.assertEqual(set(cache), {"b", "c"})


class ValidationTests(unittest.TestCase):
    """Bad arguments and bad priorities raise mockpool errors naming them."""

    def test_bad_maxsize(self) -> None:
        """maxsize must be a non-negative real number."""
        for bad in (-1, math.nan, -0.5):
            with (
                self.subTest(bad=bad),
                self.assertRaisesRegex(InvalidArgumentError, repr(bad)),
            ):
                PriorityCache(bad)
        for bad_type in ("10", None, True):
            with (
                self.subTest(bad=bad_type),
                self.assertRaisesRegex(ArgumentTypeError, repr(bad_type)),
            ):
                PriorityCache(bad_type)  # type: ignore[arg-type]
        half: Any = Fraction(5, 2)  # a Real that is not a float
        self.assertEqual(PriorityCache[str, int](half).maxsize, 2.5)

    def test_functions_must_be_callable(self) -> None:
        """getsizeof and priority are callables or None."""
        with self.assertRaisesRegex(ArgumentTypeError, "getsizeof is 3"):
            PriorityCache(3, 3)  # type: ignore[arg-type]
        with self.assertRaisesRegex(ArgumentTypeError, "priority is 'high'"):
            PriorityCache(3, priority="high")  # type: ignore[arg-type]

    def test_bad_priority_values_are_named(self) -> None:
        """priority() returning a non-number or NaN fails the eviction."""
        cases: list[tuple[object, type[Exception]]] = [
            ("high", ArgumentTypeError),
            (None, ArgumentTypeError),
            (True, ArgumentTypeError),
            (math.nan, InvalidArgumentError),
        ]
        for result, error in cases:

            def rank(key: str, result: object = result) -> float:
                return result  # type: ignore[return-value]

            with self.subTest(result=result):
                cache: PriorityCache[str, int] = PriorityCache(1, priority=rank)
                cache["a"] = 1
                with self.assertRaisesRegex(
                    error, rf"priority\('a'\) must be a number, not {result!r}"
                ):
                    cache["b"] = 2
                self.assertEqual(dict(cache), {"a": 1}, "the write is abandoned")

    def test_bad_set_priority_values(self) -> None:
        """set_priority() refuses non-numbers and NaN, naming key and value."""
        cache: PriorityCache[str, int] = PriorityCache(2)
        with self.assertRaisesRegex(
            InvalidArgumentError, "'k' must be a number, not nan"
        ):
            cache.set_priority("k", math.nan)
        with self.assertRaisesRegex(ArgumentTypeError, "'k' must be a number, not '1'"):
            cache.set_priority("k", "1")  # type: ignore[arg-type]
        self.assertEqual(cache.priority_of("k"), DEFAULT_PRIORITY)

    def test_errors_are_builtin_errors_too(self) -> None:
        """Callers catching ValueError / TypeError catch them."""
        with self.assertRaises(ValueError):
            PriorityCache(-1)
        with self.assertRaises(TypeError):
            PriorityCache(2).set_priority("k", "x")  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()
