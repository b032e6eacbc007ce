"""Targets that tests/test_patching.py patches; nothing else uses them."""

from __future__ import annotations

from typing import Any

VALUE = 42

CONFIG: dict[str, str] = {"mode": "prod"}


def greet(name: str) -> str:
    """Return a greeting (patched by the tests)."""
    return f"hello {name}"


def farewell(name: str) -> str:
    """Return a farewell (patched by the tests)."""
    return f"bye {name}"


async def fetch(key: str) -> str:
    """Return *key* after a (non-)wait (patched by the tests)."""
    return f"fetched {key}"


class Service:
    """A class whose methods and attributes the tests patch."""

    LIMIT = 3

    def run(self, value: int) -> int:
        """Return *value*."""
        return value

    async def arun(self, value: int) -> int:
        """Return *value*, asynchronously."""
        return value

    @staticmethod
    def helper(value: int) -> int:
        """Return *value* doubled."""
        return value * 2

    @classmethod
    def make(cls) -> Service:
        """Return a new instance."""
        return cls()

    @staticmethod
    def kind() -> str:
        """Name the kind (SubService inherits it: patched there, it is not local)."""
        return "base-kind"


class SubService(Service):
    """Inherits everything: patching it exercises the non-local path."""


def h0() -> str:
    """A target for the property-based tests."""
    return "h0"


class Holder:
    """An object whose instance attributes the tests patch."""

    def __init__(self) -> None:
        self.fn = lambda: "holder"


HOLDER = Holder()


class Recorder:
    """Records every set and delete of its attributes, in order."""

    log: list[Any]
    fail_on: set[str]

    def __init__(self) -> None:
        object.__setattr__(self, "log", [])
        object.__setattr__(self, "fail_on", set())

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.fail_on:
            raise RuntimeError(f"cannot set {name!r}")
        self.log.append(("set", name, value))
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name in self.fail_on:
            raise RuntimeError(f"cannot delete {name!r}")
        self.log.append(("del", name))
        object.__delattr__(self, name)
