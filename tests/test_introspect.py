"""Tests for mockpool._autospec.introspect: the per-class cache and its validity."""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

import mockpool
from mockpool._autospec import introspect as _introspect
from mockpool._pools import spec_pools


def _make_class() -> type:
    class Service:
        def fetch(self, key: str) -> str:
            return key

        def store(self, key: str, value: str) -> None:
            pass

    return Service


class CacheTests(unittest.TestCase):
    def setUp(self) -> None:
        _introspect.clear_cache()
        self.addCleanup(_introspect.clear_cache)

    def test_unchanged_class_reuses_its_introspection(self) -> None:
        """A second lookup of an unchanged class hits the cache."""
        cls = _make_class()
        first = _introspect.introspect(cls)
        self.assertIs(_introspect.introspect(cls), first)

    def test_replaced_method_is_seen(self) -> None:
        """Replacing a method invalidates the cache; the new signature rules."""
        cls: Any = _make_class()
        before = _introspect.introspect(cls)
        mockpool.create_autospec(cls, instance=True).fetch("k")

        def fetch(self: Any, key: str, default: str) -> str:
            return key

        cls.fetch = fetch
        self.assertIsNot(_introspect.introspect(cls), before)
        built = mockpool.create_autospec(cls, instance=True)
        with self.assertRaises(TypeError):
            built.fetch("k")
        built.fetch("k", "d")

    def test_added_and_deleted_methods_are_seen(self) -> None:
        """Methods added or removed after a build are reflected by the next."""
        cls: Any = _make_class()
        mockpool.create_autospec(cls, instance=True)
        cls.extra = lambda self: None
        self.assertTrue(callable(mockpool.create_autospec(cls, instance=True).extra))
        del cls.store
        with self.assertRaises(AttributeError):
            mockpool.create_autospec(cls, instance=True).store

    def test_patch_on_base_class_is_seen(self) -> None:
        """patch.object on a base class changes what subclasses autospec to."""
        base: Any = _make_class()

        class Child(base):  # type: ignore[misc, valid-type, unused-ignore]
            pass

        mockpool.create_autospec(Child, instance=True)
        with mock.patch.object(base, "fetch", lambda self, a, b, c: None):
            patched = mockpool.create_autospec(Child, instance=True)
            patched.fetch(1, 2, 3)
            with self.assertRaises(TypeError):
                patched.fetch("k")
        restored = mockpool.create_autospec(Child, instance=True)
        restored.fetch("k")
        with self.assertRaises(TypeError):
            restored.fetch(1, 2, 3)

    def test_reassigned_bases_are_seen(self) -> None:
        """Assigning __bases__ changes the MRO, which the fingerprint covers."""

        class A:
            def only_a(self) -> None:
                pass

        class B:
            def only_b(self) -> None:
                pass

        class C(A):
            pass

        mockpool.create_autospec(C, instance=True).only_a()
        C.__bases__ = (B,)
        built = mockpool.create_autospec(C, instance=True)
        built.only_b()
        with self.assertRaises(AttributeError):
            built.only_a

    def test_classes_with_the_same_name_do_not_share_entries(self) -> None:
        """Two classes with one qualname and module are cached separately."""
        first, second = _make_class(), _make_class()
        self.assertEqual(first.__qualname__, second.__qualname__)
        self.assertIsNot(_introspect.introspect(first), _introspect.introspect(second))
        self.assertIs(_introspect.introspect(first).spec, first)

    def test_cache_is_bounded(self) -> None:
        """The cache never holds more than CACHE_SIZE classes."""
        for _ in range(_introspect.CACHE_SIZE + 20):
            _introspect.introspect(_make_class())
        self.assertLessEqual(len(_introspect._cache), _introspect.CACHE_SIZE)

    def test_attribute_errors_other_than_attributeerror_propagate(self) -> None:
        """A class attribute that raises on access fails like the stdlib, uncached."""

        class Meta(type):
            @property
            def broken(cls) -> None:
                raise ValueError("boom")

            def __dir__(cls) -> list[str]:
                return [*type.__dir__(cls), "broken"]

        class Spec(metaclass=Meta):
            def method(self) -> None:
                pass

        with self.assertRaisesRegex(ValueError, "boom"):
            mock.create_autospec(Spec)
        with self.assertRaisesRegex(ValueError, "boom"):
            mockpool.create_autospec(Spec)
        self.assertNotIn(Spec, _introspect._cache)

    def test_builtin_types_are_cached_too(self) -> None:
        """Immutable C types are cached; their fingerprint is just the MRO."""
        self.assertIs(_introspect.introspect(dict), _introspect.introspect(dict))


class FingerprintTests(unittest.TestCase):
    def test_matches_until_the_class_dict_changes(self) -> None:
        """A fingerprint matches its class until an attribute is rebound."""
        cls: Any = _make_class()
        fingerprint = _introspect.Fingerprint(cls)
        self.assertTrue(fingerprint.matches(cls))
        cls.fetch = cls.fetch  # same object: still the same state
        self.assertTrue(fingerprint.matches(cls))
        cls.fetch = lambda self, key: key
        self.assertFalse(fingerprint.matches(cls))

    def test_values_compare_by_identity_not_equality(self) -> None:
        """An equal but distinct value counts as a change; __eq__ never runs."""

        class Loud:
            def __eq__(self, other: object) -> bool:
                raise AssertionError("__eq__ must not be called")

            __hash__ = object.__hash__

        cls: Any = _make_class()
        cls.value = Loud()
        fingerprint = _introspect.Fingerprint(cls)
        cls.value = Loud()
        self.assertFalse(fingerprint.matches(cls))


if __name__ == "__main__":
    unittest.main()


#: Every call of RaisingMeta's __eq__ or __hash__.
HOOK_CALLS: list[str] = []


class RaisingMeta(type):
    """A metaclass whose classes raise on == and hash(), noting each call."""

    def __eq__(cls, other: object) -> bool:
        HOOK_CALLS.append("__eq__")
        raise RuntimeError("class __eq__")

    def __hash__(cls) -> int:
        HOOK_CALLS.append("__hash__")
        raise RuntimeError("class __hash__")


class Unhashable(metaclass=RaisingMeta):
    def method(self, value: int) -> int:
        return value


class EqOnlyMeta(type):
    """Defines __eq__ only: Python sets its __hash__ to None."""

    def __eq__(cls, other: object) -> bool:
        return cls is other


class InheritsRaisingMeta(RaisingMeta):
    """Overrides neither: inherits the raising ones."""


class UnhashableClassTests(unittest.TestCase):
    """A class whose metaclass overrides __hash__ or __eq__ keys no cache."""

    def setUp(self) -> None:
        HOOK_CALLS.clear()
        _introspect.clear_cache()
        self.addCleanup(_introspect.clear_cache)

    def test_not_supported_and_decided_without_its_code(self) -> None:
        """supports() says no, and neither __hash__ nor __eq__ ran."""
        others = (EqOnlyMeta("EqOnly", (), {}), InheritsRaisingMeta("Sub", (), {}))
        for spec in (Unhashable, *others):
            with self.subTest(spec=type(spec).__name__):
                self.assertFalse(_introspect.keyable(spec))
                self.assertFalse(_introspect.supports(spec))
        self.assertTrue(_introspect.supports(_make_class()))
        self.assertEqual(HOOK_CALLS, [])

    def test_every_entry_point_that_keys_on_a_class_refuses_it(self) -> None:
        """introspect() works uncached; cached() and the drop-in's pools are
        None; create_autospec, in a test's scope too, builds as the stdlib
        does, never from a pool: no __hash__ runs."""
        from mockpool._integration import dropin as _dropin

        self.assertIsNot(_introspect.introspect(Unhashable), None)
        self.assertIsNone(_introspect.cached(Unhashable))
        self.assertIsNone(spec_pools.spec_pool_for(Unhashable))
        self.assertIsNone(spec_pools.existing_spec_pool(Unhashable))
        scope = mock.Mock(spec=_dropin.TestScope)
        with mock.patch.object(_dropin._local.state, "scope", scope):
            for create in (mockpool.create_autospec, _dropin.create_autospec):
                built = create(Unhashable, instance=True)
                built.method(1)
                built.method.assert_called_once_with(1)
                with self.assertRaises(TypeError):
                    built.method()
        scope.acquire.assert_not_called()
        self.assertEqual(HOOK_CALLS, [])
