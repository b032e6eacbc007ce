"""Tests for mockpool._base.dict_versions: reading a dict's version."""

from __future__ import annotations

import sys
import sysconfig
import types
import unittest
from collections.abc import Callable

from mockpool._base import dict_versions


def _versions_expected() -> bool:
    """Where versions must be readable: CPython 3.9 to 3.13 with the GIL."""
    return (
        sys.implementation.name == "cpython"
        and sys.version_info < (3, 14)
        and not sysconfig.get_config_var("Py_GIL_DISABLED")
    )


@unittest.skipUnless(dict_versions.READS_VERSIONS, "dict versions not read here")
class VersionTests(unittest.TestCase):
    def test_every_change_gives_a_new_version_and_a_read_none(self) -> None:
        """Also no new version for the very value set again: no change."""
        namespace: dict[str, object] = {"a": 1}
        address = dict_versions.version_address(namespace)
        seen = {dict_versions.read_version(address)}
        changes: list[Callable[[], object]] = [
            lambda: namespace.__setitem__("a", 2),
            lambda: namespace.__setitem__("b", 3),
            lambda: namespace.pop("b"),
            lambda: namespace.update(c=4),
            lambda: namespace.setdefault("d", 5),
            namespace.clear,
        ]
        for change in changes:
            change()
            version = dict_versions.read_version(address)
            self.assertNotIn(version, seen)
            seen.add(version)
        namespace["a"] = value = object()
        before = dict_versions.read_version(address)
        namespace["a"] = value
        namespace.get("x")
        list(namespace.items())
        self.assertEqual(dict_versions.read_version(address), before)

    def test_a_class_namespace_shows_a_change_made_through_the_class(self) -> None:
        klass = type("Klass", (), {"a": 1})
        shown = dict_versions.dict_shown_by(klass.__dict__)
        assert shown is not None
        address = dict_versions.version_address(shown)
        made = dict_versions.read_version(address)
        setattr(klass, "a", 2)  # noqa: B010  # a class made by type()
        self.assertNotEqual(dict_versions.read_version(address), made)
        changed = dict_versions.read_version(address)
        delattr(klass, "a")
        self.assertNotEqual(dict_versions.read_version(address), changed)

    def test_the_cell_and_the_read_agree(self) -> None:
        namespace: dict[str, int] = {}
        cell = dict_versions.version_cell(namespace)
        read = dict_versions.read_version(dict_versions.version_address(namespace))
        self.assertEqual(int.from_bytes(bytes(cell), sys.byteorder), read)
        self.assertEqual(len(cell), dict_versions.VERSION_SIZE)


class ReadsVersionsTests(unittest.TestCase):
    def test_versions_are_read_wherever_cpython_keeps_them(self) -> None:
        """Else the leak check and class reuse silently take their slower
        paths."""
        self.assertEqual(dict_versions.READS_VERSIONS, _versions_expected())

    def test_only_a_proxy_of_a_plain_dict_is_shown(self) -> None:
        shown = {"a": 1}
        self.assertIs(dict_versions.dict_shown_by(types.MappingProxyType(shown)), shown)
        self.assertIsNone(dict_versions.dict_shown_by([shown]))
        self.assertIsNone(
            dict_versions.dict_shown_by(types.MappingProxyType(_Dict(a=1)))
        )


class _Dict(dict):  # type: ignore[type-arg]
    """A dict subclass: its views could run its code."""


if __name__ == "__main__":
    unittest.main()
