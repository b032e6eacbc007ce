"""Tests for mockpool._autospec.lazy: lazy children and the stdlib fallback.

The broad behavioural comparison with ``unittest.mock.create_autospec`` is
in test_autospec_contract.py; these tests aim at the mechanisms that make
mockpool's version lazy: placeholders, replayed constructions and the cases
handed to the stdlib.
"""

from __future__ import annotations

import asyncio
import copy
import http.client
import inspect
import io
import re
import threading
import unittest
from typing import Any, Callable
from unittest import mock

import mockpool
from mockpool._base import compat as _compat
from mockpool._base import stdlib as _stdlib

Factory = Callable[..., Any]
FACTORIES: list[tuple[str, Factory]] = [
    ("stdlib", mock.create_autospec),
    ("mockpool", mockpool.create_autospec),
]


def _normal(value: object) -> str:
    return re.sub(r"id='\d+'|0x[0-9a-f]+", "<id>", str(value))


class Client:
    """A small service with sync, async, class and static methods."""

    retries = 3

    def get(self, key: str, *, timeout: float = 1.0) -> bytes:
        return b""

    def put(self, key: str, value: bytes) -> None:
        pass

    async def fetch(self, url: str) -> bytes:
        return b""

    @classmethod
    def create(cls, url: str) -> Client:
        return cls()

    @staticmethod
    def version() -> str:
        return "1"


class BothSidesMixin:
    """Runs a scenario with each factory and compares what it recorded."""

    def assertSameOnBothSides(self, scenario: Callable[[Factory], list[Any]]) -> None:
        expected = scenario(mock.create_autospec)
        actual = scenario(mockpool.create_autospec)
        self.assertEqual(actual, expected)  # type: ignore[attr-defined]


class LazyChildrenTests(BothSidesMixin, unittest.TestCase):
    def test_untouched_method_after_parent_reset_and_seal(self) -> None:
        """reset_mock(return_value=True) reaches methods never touched."""

        def scenario(factory: Factory) -> list[Any]:
            built = factory(Client, instance=True)
            built.reset_mock(return_value=True, side_effect=True)
            mock.seal(built)
            seen: list[Any] = []
            for name in ("get", "put", "fetch"):
                try:
                    seen.append(_normal(getattr(built, name).return_value))
                except AttributeError as exc:
                    seen.append(("AttributeError", _normal(exc)))
            return seen

        self.assertSameOnBothSides(scenario)

    def test_assert_has_calls_uses_untouched_method_signature(self) -> None:
        """Expected calls bind to a method's signature even if never touched."""

        def scenario(factory: Factory) -> list[Any]:
            built = factory(Client, instance=True)
            seen: list[Any] = []
            built.put("k", b"v")
            built.assert_has_calls([mock.call.put(key="k", value=b"v")])
            try:
                built.assert_has_calls([mock.call.get("k", "extra", "args")])
            except AssertionError as exc:
                seen.append((_normal(exc), type(exc.__cause__).__name__))
            return seen

        self.assertSameOnBothSides(scenario)

    def test_delete_and_assign_before_first_touch(self) -> None:
        """del and assignment on an untouched method behave as on a built one."""

        def scenario(factory: Factory) -> list[Any]:
            built = factory(Client, instance=True)
            del built.get
            seen: list[Any] = [hasattr(built, "get"), "get" in dir(built)]
            built.put = mock.sentinel.replacement
            seen.append(built.put is mock.sentinel.replacement)
            built.reset_mock()
            return seen

        self.assertSameOnBothSides(scenario)

    def test_configure_and_attach_reach_untouched_methods(self) -> None:
        """configure_mock paths and attach_mock work on untouched methods."""

        def scenario(factory: Factory) -> list[Any]:
            built = factory(Client, instance=True)
            built.configure_mock(
                **{"get.return_value": b"x", "put.side_effect": KeyError}
            )
            seen: list[Any] = [built.get("k")]
            with self_raises(KeyError):
                built.put("k", b"v")
            built.attach_mock(mock.Mock(), "version")
            built.version(1, 2)
            seen.append(_normal(built.mock_calls))
            return seen

        self.assertSameOnBothSides(scenario)

    def test_async_method_is_awaited_like_the_stdlibs(self) -> None:
        """An untouched coroutine method becomes an AsyncMock on first access."""

        def scenario(factory: Factory) -> list[Any]:
            built = factory(Client, instance=True)
            built.fetch.return_value = b"page"
            result = asyncio.run(built.fetch("http://x"))
            built.fetch.assert_awaited_once_with("http://x")
            return [
                result,
                isinstance(built.fetch, mock.AsyncMock),
                str(inspect.signature(built.fetch)),
            ]

        self.assertSameOnBothSides(scenario)

    def test_c_method_children_match(self) -> None:
        """C methods (deferred by the stdlib too) get the same mock and checks."""

        def scenario(factory: Factory) -> list[Any]:
            built = factory(io.BytesIO, instance=True)
            built.reset_mock(return_value=True)
            seen: list[Any] = [_normal(built.read), str(inspect.signature(built.read))]
            built.write(b"x")
            built.assert_has_calls([mock.call.write(b"x")])
            try:  # the stdlib cannot read C signatures here: no TypeError
                built.read(1, 2, 3)
            except TypeError as exc:
                seen.append(_normal(exc))
            seen.append(_normal(built.method_calls))
            return seen

        self.assertSameOnBothSides(scenario)

    def test_concurrent_first_touch_builds_one_child(self) -> None:
        """Eight threads touching a new method all get the same child."""
        built = mockpool.create_autospec(http.client.HTTPConnection, instance=True)
        barrier = threading.Barrier(8)
        children: list[Any] = []

        def touch() -> None:
            barrier.wait()
            child = built.request
            child("GET", "/")
            children.append(child)

        threads = [threading.Thread(target=touch) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(len({id(child) for child in children}), 1)
        self.assertEqual(built.request.call_count, 8)
        self.assertEqual(len(built.method_calls), 8)

    def test_mock_add_spec_after_build(self) -> None:
        """mock_add_spec narrows new names but keeps method children reachable."""

        def scenario(factory: Factory) -> list[Any]:
            factory(Client, instance=True)  # the second build is replayed
            built = factory(Client, instance=True)
            built.get
            built.mock_add_spec(["get", "__len__"])
            seen: list[Any] = [len(built), _normal(built.put), "retries" in dir(built)]
            with self_raises(AttributeError):
                built.retries
            with self_raises(AttributeError):
                built.__iter__
            return seen

        self.assertSameOnBothSides(scenario)

    def test_method_named_like_a_mock_attribute(self) -> None:
        """A spec method called reset_mock or assert_ok is what the stdlib gives."""

        class Odd:
            def reset_mock(self, hard: bool) -> None:
                pass

            def assert_ok(self) -> None:
                pass

        def scenario(factory: Factory) -> list[Any]:
            built = factory(Odd, instance=True)
            seen: list[Any] = [_normal(built.reset_mock), _normal(built.assert_ok)]
            built.assert_ok()
            seen.append(_normal(built.mock_calls))
            return seen

        self.assertSameOnBothSides(scenario)

    def test_mock_class_looks_like_the_stdlibs(self) -> None:
        """The mock's own class has the stdlib's name, module and base."""
        mockpool.create_autospec(Client, instance=True)
        ours = mockpool.create_autospec(Client, instance=True)
        theirs = mock.create_autospec(Client, instance=True)
        self.assertEqual(repr(type(ours)), repr(type(theirs)))
        self.assertIs(type(ours).__mro__[1], type(theirs).__mro__[1])
        self.assertEqual(_normal(ours), _normal(theirs))
        self.assertIsNot(
            type(ours), type(mockpool.create_autospec(Client, instance=True))
        )

    def test_class_spec_return_value_is_an_instance_spec(self) -> None:
        """Calling a class autospec checks __init__ and returns an instance mock."""
        for label, factory in FACTORIES:
            with self.subTest(label):
                cls_mock = factory(http.client.HTTPConnection)
                with self.assertRaises(TypeError):
                    cls_mock()
                instance = cls_mock("example.org", 80)
                self.assertIs(instance, cls_mock.return_value)
                self.assertFalse(callable(instance))
                instance.request("GET", "/")
                cls_mock.return_value.request.assert_called_once_with("GET", "/")


class CopyTests(BothSidesMixin, unittest.TestCase):
    def test_deepcopy_and_copy_behave_as_the_stdlibs(self) -> None:
        """Copies check signatures and record calls where the stdlib's do."""

        def scenario(factory: Factory) -> list[Any]:
            seen: list[Any] = []
            for instance in (False, True):
                original = factory(Client, instance=instance)
                original.put("touched before", b"")
                original.reset_mock(return_value=True)
                clone = copy.deepcopy(original)
                clone.get("k", timeout=2)
                clone.put("c", b"v")
                try:
                    clone.get()
                except TypeError as exc:
                    seen.append(("TypeError", _normal(exc)))
                try:
                    clone.missing
                except AttributeError as exc:
                    seen.append(("AttributeError", _normal(exc)))
                seen.append(isinstance(clone.fetch, mock.AsyncMock))
                seen.append(_normal(clone.mock_calls))
                seen.append(_normal(original.mock_calls))
                seen.append(clone.get.call_count)
                seen.append(_normal(clone.version()))
                shallow = copy.copy(original)
                shallow.get("s")
                seen.append(original.get.call_count)
                seen.append(_normal(original.mock_calls))
            return seen

        self.assertSameOnBothSides(scenario)


class FallbackTests(BothSidesMixin, unittest.TestCase):
    def test_uncommon_arguments_go_to_the_stdlib(self) -> None:
        """kwargs, _parent, function and instance specs match the stdlib."""

        def scenario(factory: Factory) -> list[Any]:
            seen: list[Any] = []
            with_kwargs = factory(Client, instance=True, **{"get.return_value": 5})
            seen.append(_normal(with_kwargs))
            seen.append(_normal(factory(Client.get)))
            seen.append(_normal(factory(Client(), spec_set=True)))
            seen.append(_normal(factory(None)))
            seen.append(_normal(factory([1, 2])))
            seen.append(_normal(factory(Client, name="named")))
            return seen

        self.assertSameOnBothSides(scenario)

    @unittest.skipUnless(_compat.PY_3_10_PLUS, "InvalidSpecError is new in 3.10")
    def test_mock_spec_is_refused_like_the_stdlib(self) -> None:
        """Autospeccing a mock raises InvalidSpecError on both sides."""
        with self.assertRaises(mock.InvalidSpecError):  # type: ignore[attr-defined]
            mockpool.create_autospec(mock.Mock())

    def test_unknown_stdlib_internals_fall_back_entirely(self) -> None:
        """Without the stdlib internals we rely on, the stdlib builds the mock."""
        # Nested, not parenthesised: that form is 3.10+ syntax.
        with mock.patch.object(_stdlib, "AVAILABLE", False):  # noqa: SIM117
            with mock.patch.object(
                _stdlib, "create_autospec", wraps=mock.create_autospec
            ) as spy:
                built = mockpool.create_autospec(Client, instance=True)
        spy.assert_called_once()
        with self.assertRaises(TypeError):
            built.get()


class self_raises:
    """Context manager that swallows exactly the given exception type."""

    def __init__(self, exc_type: type[BaseException]) -> None:
        self.exc_type = exc_type

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is None:
            raise AssertionError(f"{self.exc_type.__name__} not raised")
        return issubclass(exc_type, self.exc_type)


if __name__ == "__main__":
    unittest.main()
