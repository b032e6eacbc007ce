"""The public namespace: ``mockpool.__all__`` and what it names."""

from __future__ import annotations

import inspect
import types
import unittest

import mockpool

#: Dependencies that stay private: callers never meet their objects.
PRIVATE_DEPENDENCIES = frozenset({"wrapt", "cachetools", "tenacity", "psutil"})


def _public_names(module: types.ModuleType) -> set[str]:
    """Return the names a user sees in *module*'s namespace, modules aside."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        # "from __future__ import annotations" binds a public-looking name.
        and type(value).__module__ != "__future__"
    }


def _defining_module(obj: object) -> str:
    """Return the module an object says it comes from."""
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return str(getattr(obj, "__module__", "") or "")
    # An instance (a sentinel, an enum member) comes from its class.
    return type(obj).__module__


class PublicApiTests(unittest.TestCase):
    """``mockpool.__all__`` is the whole public API, and it is tidy."""

    def test_all_is_sorted(self) -> None:
        """__all__ is in sorted() order."""
        self.assertEqual(mockpool.__all__, sorted(mockpool.__all__))

    def test_all_has_no_duplicates(self) -> None:
        """__all__ lists each name once."""
        self.assertEqual(len(mockpool.__all__), len(set(mockpool.__all__)))

    def test_all_is_complete(self) -> None:
        """Every public name in the mockpool namespace is listed in __all__."""
        unlisted = _public_names(mockpool) - set(mockpool.__all__)
        self.assertEqual(unlisted, set(), "public but missing from __all__")

    def test_listed_names_exist(self) -> None:
        """Every name in __all__ is an attribute of mockpool."""
        missing = [name for name in mockpool.__all__ if not hasattr(mockpool, name)]
        self.assertEqual(missing, [], "listed in __all__ but not defined")

    def test_listed_names_have_docstrings(self) -> None:
        """Every object named in __all__ has a docstring."""
        undocumented = [
            name
            for name in mockpool.__all__
            if not (inspect.getdoc(getattr(mockpool, name, None)) or "").strip()
        ]
        self.assertEqual(undocumented, [], "no docstring")

    def test_no_private_dependency_leaks(self) -> None:
        """No listed object comes from wrapt, cachetools, tenacity or psutil."""
        leaks: dict[str, str] = {}
        for name in mockpool.__all__:
            module = _defining_module(getattr(mockpool, name, None))
            if module.partition(".")[0] in PRIVATE_DEPENDENCIES:
                leaks[name] = module
        self.assertEqual(leaks, {}, "objects from a private dependency")


if __name__ == "__main__":
    unittest.main()
