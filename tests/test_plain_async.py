"""Contract 1 for ``AsyncMock`` and the one-pass ``__init__`` s.

``AsyncMockMixin.__init__`` is replaced while plain-mock acceleration is
enabled (:mod:`mockpool._autospec.plain.one_pass_async_init`): it writes
the await records, the ``__code__`` mock and the function attributes
directly. Each test builds mocks with the stdlib's methods and
accelerated, and compares what a test can observe of them: the code mock
(its class, state and ``co_*`` values), ``inspect.iscoroutinefunction``,
awaiting and the await records, every ``assert_*await*``, ``reset_mock``,
and a helper of ``unittest.mock`` that a test patched.

The last class covers the one-pass ``CallableMixin.__init__``
(:mod:`mockpool._autospec.plain.one_pass_init`), whose parameters bind
positional arguments as the stdlib's do: a call it rejects must be rejected
with the same error.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
import unittest
import warnings
from collections.abc import Callable
from typing import Any
from unittest import mock

from mockpool._autospec.plain import one_pass_async_init
from tests.test_plain_contract import (
    accelerated,
    compare_builds,
    describe,
    normalise,
    observe,
    outcome,
)

#: The names of the code mock's attributes a test may read.
CODE_ATTRIBUTES = (
    "co_flags",
    "co_argcount",
    "co_varnames",
    "co_posonlyargcount",
    "co_kwonlyargcount",
)


async def async_function(a: int, b: int = 2) -> int:
    return a + b


class AsyncSpec:
    """A class with a coroutine method."""

    async def fetch(self, key: str) -> str:
        return key

    def sync(self) -> None:
        """Not a coroutine."""


#: (label, how to build it): every way an AsyncMockMixin is built.
ASYNC_BUILDS: list[tuple[str, Callable[[], Any]]] = [
    ("AsyncMock()", mock.AsyncMock),
    ("named", lambda: mock.AsyncMock(name="fetch")),
    ("return_value", lambda: mock.AsyncMock(return_value=3)),
    ("side_effect", lambda: mock.AsyncMock(side_effect=[1, 2])),
    ("spec function", lambda: mock.AsyncMock(spec=async_function)),
    ("spec_set function", lambda: mock.AsyncMock(spec_set=async_function)),
    ("spec list", lambda: mock.AsyncMock(spec=["a", "__len__"])),
    ("Mock with async spec", lambda: mock.Mock(spec=async_function)),
    ("MagicMock with async spec", lambda: mock.MagicMock(spec=async_function)),
    ("child of an async spec", lambda: mock.MagicMock(spec=AsyncSpec).fetch),
    ("autospec", lambda: mock.create_autospec(async_function).mock),
    ("autospec method", lambda: mock.create_autospec(AsyncSpec).fetch),
]


def observe_code(target: Any) -> Any:
    """Everything a test can see of *target*'s ``__code__`` mock."""
    code = vars(target)["__code__"]
    return (
        observe(code, depth=0),
        [(key, describe(value, code)) for key, value in vars(code).items()],
        [
            outcome(functools.partial(getattr, code, name), code)
            for name in CODE_ATTRIBUTES
        ],
    )


def observe_async(target: Any) -> dict[str, Any]:
    """What a test sees of an async mock: its observation and its code."""
    return {
        "mock": observe(target),
        "code": observe_code(target),
        "function attributes": [
            outcome(functools.partial(getattr, target, name), target)
            for name in ("__name__", "__defaults__", "__kwdefaults__")
        ],
        "iscoroutinefunction": (
            inspect.iscoroutinefunction(target),
            asyncio.iscoroutinefunction(target),
        ),
        "await records": [
            outcome(functools.partial(getattr, target, name), target)
            for name in ("await_count", "await_args", "await_args_list")
        ],
    }


async def _await_twice(target: Any) -> Any:
    first = await target(1, key="a")
    second = await target(2)
    return (describe(first), describe(second))


def _await(target: Any) -> Any:
    return asyncio.run(_await_twice(target))


#: Operations on an awaited mock, by name: each returns or raises.
AWAIT_OPERATIONS: dict[str, Callable[[Any], Any]] = {
    "await": _await,
    "await_count": lambda m: m.await_count,
    "await_args": lambda m: m.await_args,
    "await_args_list": lambda m: m.await_args_list,
    "assert_awaited": lambda m: m.assert_awaited(),
    "assert_awaited_once": lambda m: m.assert_awaited_once(),
    "assert_awaited_with": lambda m: m.assert_awaited_with(2),
    "assert_awaited_once_with": lambda m: m.assert_awaited_once_with(2),
    "assert_any_await": lambda m: m.assert_any_await(1, key="a"),
    "assert_has_awaits": lambda m: m.assert_has_awaits(
        [mock.call(1, key="a"), mock.call(2)]
    ),
    "assert_not_awaited": lambda m: m.assert_not_awaited(),
    "reset_mock": lambda m: m.reset_mock(),
    "reset_mock flags": lambda m: m.reset_mock(return_value=True, side_effect=True),
    "code attribute set": lambda m: setattr(m.__code__, "co_flags", 0),
    "code attribute unknown": lambda m: setattr(m.__code__, "not_a_code_name", 1),
}


class AsyncInitContractTests(unittest.TestCase):
    """An accelerated async mock observes as the stdlib's, step by step."""

    def setUp(self) -> None:
        # Calls of an async mock that are never awaited warn when their
        # coroutine is collected, on both sides alike.
        catcher = warnings.catch_warnings()
        catcher.__enter__()
        self.addCleanup(catcher.__exit__, None, None, None)
        warnings.simplefilter("ignore", RuntimeWarning)

    def test_every_build_observes_like_the_stdlib(self) -> None:
        """Code mock, function attributes and await records, as built."""
        for label, make in ASYNC_BUILDS:
            with self.subTest(build=label):
                expected = observe_async(make())
                with accelerated():
                    fast = make()
                    # Twice: the second build may reuse the first's classes.
                    del fast
                    fast = make()
                self.assertEqual(observe_async(fast), expected)

    def test_await_operations_and_assertions_match(self) -> None:
        """Awaiting, the await records, assert_*await*, reset_mock: alike."""
        sequence = [
            "assert_not_awaited",
            "await",
            *AWAIT_OPERATIONS,
            "await",
            "assert_awaited_once",
            "reset_mock flags",
            "await_count",
        ]
        for label, make in ASYNC_BUILDS:
            with self.subTest(build=label):
                stdlib_mock = make()
                with accelerated():
                    fast_mock = make()
                for index, name in enumerate(sequence):
                    operation = AWAIT_OPERATIONS[name]
                    expected = outcome(
                        functools.partial(operation, stdlib_mock), stdlib_mock
                    )
                    with accelerated():
                        got = outcome(
                            functools.partial(operation, fast_mock), fast_mock
                        )
                    where = f"{name} (step {index})"
                    self.assertEqual(got, expected, where)
                    self.assertEqual(
                        observe_async(fast_mock), observe_async(stdlib_mock), where
                    )

    def test_the_shared_operations_match(self) -> None:
        """The plain-mock contract's operations, on an AsyncMock and its code."""
        operations = ["await", "call", "child", "reset_flags", "seal", "call"]
        compare_builds(self, mock.AsyncMock, operations)
        compare_builds(self, lambda: mock.AsyncMock().__code__, ["child", "reset"])

    def test_every_mock_has_its_own_records_and_code(self) -> None:
        """Nothing mutable is shared between two async mocks."""
        with accelerated():
            first, second = mock.AsyncMock(), mock.AsyncMock()
        self.assertIsNot(first.__code__, second.__code__)
        self.assertIsNot(type(first.__code__), type(second.__code__))
        self.assertIsNot(first.await_args_list, second.await_args_list)
        first.__code__.co_flags = 0
        self.assertNotEqual(second.__code__.co_flags, 0)
        if "__kwdefaults__" in vars(second):  # 3.10 and later
            self.assertIsNot(first.__kwdefaults__, second.__kwdefaults__)
            first.__kwdefaults__["key"] = 1
            self.assertEqual(second.__kwdefaults__, {})
        asyncio.run(_await_twice(first))
        self.assertEqual((first.await_count, second.await_count), (2, 0))

    def test_code_constants_are_the_stdlibs_objects(self) -> None:
        """co_varnames is the very tuple the stdlib's mocks hold (where set)."""
        stdlib_code = vars(mock.AsyncMock())["__code__"]
        with accelerated():
            fast_code = vars(mock.AsyncMock())["__code__"]
        for name in ("co_varnames", "co_argcount"):
            if name in vars(stdlib_code):
                self.assertIs(vars(fast_code)[name], vars(stdlib_code)[name])

    def test_a_patched_helper_is_honoured(self) -> None:
        """A test that wraps NonCallableMock.__init__ sees the code mock's call."""
        calls: dict[str, list[Any]] = {"stdlib": [], "accelerated": []}
        original = mock.NonCallableMock.__init__

        def counting(side: str) -> Callable[..., None]:
            def init(self: Any, *args: Any, **kwargs: Any) -> None:
                calls[side].append(sorted(kwargs))
                original(self, *args, **kwargs)

            return init

        with mock.patch.object(mock.NonCallableMock, "__init__", counting("stdlib")):
            expected = observe_async(mock.AsyncMock())
        with (
            accelerated(),
            mock.patch.object(
                mock.NonCallableMock, "__init__", counting("accelerated")
            ),
        ):
            got = observe_async(mock.AsyncMock())
        self.assertEqual(calls["accelerated"], calls["stdlib"])
        # The code mock's, NonCallableMock(spec_set=...), among them.
        self.assertIn(["spec_set"], calls["stdlib"])
        self.assertEqual(got, expected)

    def test_a_replaced_call_list_is_used(self) -> None:
        """mock._CallList patched: the await records are of the test's class."""

        class Recording(list[Any]):
            pass

        with mock.patch.object(mock, "_CallList", Recording):
            expected = type(mock.AsyncMock().await_args_list)
            with accelerated():
                got = type(mock.AsyncMock().await_args_list)
        self.assertIs(got, expected)
        self.assertIs(got, Recording)


class VariantTests(unittest.TestCase):
    """Which ``AsyncMockMixin.__init__`` is written in one pass."""

    def test_every_supported_python_is_recognised(self) -> None:
        """3.9-3.13's __init__ each match one variant: the saving applies."""
        variant = one_pass_async_init.VARIANT
        self.assertIsNotNone(variant)
        assert variant is not None
        self.assertEqual(variant.python, "{}.{}".format(*sys.version_info[:2]))

    def test_other_code_is_not_recognised(self) -> None:
        """An __init__ whose code reads other names keeps the stdlib's."""

        def changed(self: Any, /, *args: Any, **kwargs: Any) -> None:
            super(type(self), self).__init__(*args, **kwargs)

        self.assertIsNone(one_pass_async_init.variant_of(changed))
        self.assertIsNone(one_pass_async_init.variant_of(None))


class CallableInitBindingTests(unittest.TestCase):
    """The one-pass CallableMixin.__init__ binds calls as the stdlib's does."""

    def test_calls_bind_and_fail_alike(self) -> None:
        """Positional, repeated and surplus arguments: same outcome, same text."""

        class Subclass(mock.Mock):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)

        def reinit(*args: Any, **kwargs: Any) -> Callable[[], Any]:
            def call() -> Any:
                built = mock.Mock()
                type(built).__init__(built, *args, **kwargs)
                return built

            return call

        calls: list[tuple[str, Callable[[], Any]]] = [
            ("positional", lambda: Subclass(None, None, 3, None, "name")),
            ("positional again", reinit(["a"], None, 4)),
            ("configure", lambda: Subclass(None, **{"child.return_value": 1})),
            ("repeated", reinit(1, spec=2)),
            ("self as keyword", reinit(self=1)),
            ("surplus", lambda: Subclass(*range(11))),
            ("surplus again", reinit(*range(12))),
        ]
        for label, call in calls:
            with self.subTest(call=label):
                expected = call_outcome(call)
                with accelerated():
                    got = call_outcome(call)
                self.assertEqual(got, expected)


def call_outcome(call: Callable[[], Any]) -> Any:
    """The error *call* raised, or an observation of the mock it built."""
    try:
        built = call()
    except Exception as exc:  # the outcome is what we compare
        return ("raised", type(exc).__name__, normalise(str(exc)))
    return ("built", observe(built))


if __name__ == "__main__":
    unittest.main()
