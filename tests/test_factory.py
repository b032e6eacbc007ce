"""Tests for mockpool._autospec.variants: the mock variants."""

from __future__ import annotations

import unittest
from unittest import mock

import mockpool
from mockpool import Variant, build_mock


class Store:
    def get(self, key: str) -> str:
        return key

    async def load(self) -> None:
        pass


class VariantTests(unittest.TestCase):
    def test_lazy_and_autospec_enforce_signatures(self) -> None:
        """Both strict variants refuse a bad call and an unknown attribute."""
        for variant in (Variant.LAZY, Variant.AUTOSPEC):
            with self.subTest(variant):
                built = build_mock(Store, variant)
                with self.assertRaises(TypeError):
                    built.get()
                with self.assertRaises(AttributeError):
                    built.missing
                self.assertIsInstance(built.load, mock.AsyncMock)
                self.assertIsInstance(built, Store)
                self.assertFalse(variant.degraded)

    def test_minimal_checks_names_only(self) -> None:
        """MINIMAL refuses unknown names but not bad calls: it is degraded."""
        built = build_mock(Store, "minimal")
        built.get(1, 2, 3)
        with self.assertRaises(AttributeError):
            built.missing
        self.assertTrue(Variant.MINIMAL.degraded)

    def test_stub_checks_nothing(self) -> None:
        """STUB accepts anything: the last resort, degraded."""
        built = build_mock(Store, Variant.STUB)
        built.missing(1, x=2)
        self.assertTrue(Variant.STUB.degraded)

    def test_spec_set_is_honoured(self) -> None:
        """spec_set=True refuses setting unknown attributes in strict variants."""
        for variant in (Variant.LAZY, Variant.AUTOSPEC, Variant.MINIMAL):
            with self.subTest(variant):
                built = build_mock(Store, variant, spec_set=True)
                with self.assertRaises(AttributeError):
                    built.unknown = 1

    def test_instance_false_mocks_the_class(self) -> None:
        """instance=False gives a callable class mock returning an instance mock."""
        built = build_mock(Store, instance=False)
        built().get("k")
        built.return_value.get.assert_called_once_with("k")

    def test_unknown_variant_names_the_value_and_choices(self) -> None:
        """A bad variant raises InvalidVariantError listing the valid ones."""
        with self.assertRaises(mockpool.InvalidVariantError) as caught:
            build_mock(Store, "fast")
        message = str(caught.exception)
        self.assertIn("'fast'", message)
        for variant in Variant:
            self.assertIn(repr(variant.value), message)
        self.assertIsInstance(caught.exception, ValueError)


if __name__ == "__main__":
    unittest.main()
