"""A hostile but legal module that tests/_hostile_cases.py imports.

Not a test module: it is here so that the drop-in's leak check, which scans
the modules a test module imports and the classes defined in them, meets
what real code bases hold -- a module-level ``__getattr__`` (PEP 562) that
answers some names lazily and refuses others with an error of its own,
objects whose every attribute access raises, values whose ``__eq__``,
``__hash__``, ``__repr__`` or ``__bool__`` raise (at module level and in a
class namespace), a class whose metaclass hides its ``__dict__`` and a class
whose metaclass makes it unhashable. Plain ``unittest`` never looks at any
of it unless a test does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NoReturn


class EveryAccessRaises:
    """Any attribute access -- ``__class__`` included -- raises RuntimeError.

    ``isinstance(obj, SomeClass)`` raises too (it reads ``__class__``), so
    code that scans namespaces must not call it unguarded.
    """

    def __getattribute__(self, name: str) -> NoReturn:
        raise RuntimeError(f"hostile: no attribute access ({name!r})")


class RaisingEq:
    """``==`` and ``!=`` raise."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("hostile: __eq__")

    def __ne__(self, other: object) -> bool:
        raise RuntimeError("hostile: __ne__")

    __hash__ = object.__hash__


class RaisingHash:
    """``hash()`` raises (so the object cannot be a dict key or set member)."""

    def __hash__(self) -> int:
        raise RuntimeError("hostile: __hash__")


class RaisingRepr:
    """``repr()`` and ``str()`` raise."""

    def __repr__(self) -> str:
        raise RuntimeError("hostile: __repr__")


class RaisingBool:
    """``bool()`` raises (so does ``if obj:`` and ``obj or default``)."""

    def __bool__(self) -> bool:
        raise RuntimeError("hostile: __bool__")


EVERY_ACCESS_RAISES = EveryAccessRaises()
RAISES_ON_EQ = RaisingEq()
RAISES_ON_HASH = RaisingHash()
RAISES_ON_REPR = RaisingRepr()
RAISES_ON_BOOL = RaisingBool()


class HostileValues:
    """A class namespace holding the hostile values above."""

    every_access_raises = EVERY_ACCESS_RAISES
    raises_on_eq = RAISES_ON_EQ
    raises_on_hash = RAISES_ON_HASH
    raises_on_repr = RAISES_ON_REPR
    raises_on_bool = RAISES_ON_BOOL

    def method(self, value: object) -> object:
        return value


class HidesDictMeta(type):
    """A metaclass under which ``cls.__dict__`` raises AttributeError."""

    def __getattribute__(cls, name: str) -> Any:
        if name == "__dict__":
            raise AttributeError(f"hostile: {name} is hidden")
        return super().__getattribute__(name)


class HidesItsDict(metaclass=HidesDictMeta):
    """A class whose ``__dict__`` cannot be read through the class."""

    def method(self) -> str:
        return "real"


class RaisingMetaEq(type):
    """A metaclass whose classes raise on ``==`` and on ``hash()``."""

    def __eq__(cls, other: object) -> bool:
        raise RuntimeError("hostile: class __eq__")

    def __hash__(cls) -> int:
        raise RuntimeError("hostile: class __hash__")


class UnhashableClass(metaclass=RaisingMetaEq):
    """A class that is no dict key: its metaclass's ``__hash__`` raises."""

    def method(self, value: int) -> int:
        return value


def plain_function(value: int) -> int:
    """A module-level function the cases patch."""
    return value


def _logged(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return wrapper


@_logged
def decorated_fetch(key: str, *, default: int = 0) -> int:
    """A ``functools.wraps``-decorated function: its signature is the inner one."""
    return default


def _lazy_answer() -> int:
    return 42


#: The names the module-level ``__getattr__`` provides lazily.
LAZY_NAMES = ("lazy_answer",)


def __getattr__(name: str) -> Any:
    """PEP 562: ``lazy_*`` names are made on demand; others raise LookupError.

    Dunder names get the AttributeError the import system expects. Every
    other unknown name raises :class:`LookupError` -- so ``hasattr(module,
    "x")`` and ``getattr(module, "x", None)`` raise too.
    """
    if name == "lazy_answer":
        return _lazy_answer
    if name.startswith("__") and name.endswith("__"):
        raise AttributeError(name)
    raise LookupError(f"hostile: {__name__} has no {name!r}, and says so loudly")
