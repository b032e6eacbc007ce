"""Contract 1 for plain mocks: accelerated and stdlib builds look the same.

While :func:`mockpool._autospec.plain.enable` is in effect, ``Mock()``,
``MagicMock()`` and the other mock classes, and every child mock, are built
another way. Each test here builds a mock twice with the same arguments --
once with the stdlib's methods in place, once accelerated -- runs the same
operations on both and compares every observation (:func:`observe`): the
mock's own class and its namespace, ``isinstance``, ``dir()``, ``repr``,
the mock's state, its children (recursively), recorded calls, signature,
async-ness, and the outcome of each operation (results or exceptions).

The operations (:data:`OPERATIONS`) are shared with the hypothesis test in
``tests/test_plain_properties.py``, which draws random sequences of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import gc
import inspect
import os
import pickle
import re
import sys
import tempfile
import threading
import time
import types
import unittest
import warnings
import weakref
from collections.abc import Callable, Iterator, Sized
from typing import Any
from unittest import mock

import mockpool
from mockpool._autospec import plain
from mockpool._autospec.plain import calling

_ID = re.compile(r"id='\d+'")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")

#: The classes a test can check a mock against.
MOCK_CLASSES: tuple[type, ...] = (
    mock.NonCallableMock,
    mock.Mock,
    mock.MagicMock,
    mock.NonCallableMagicMock,
    mock.AsyncMock,
    mock.PropertyMock,
    vars(mock)["MagicMixin"],
    vars(mock)["AsyncMockMixin"],
    vars(mock)["CallableMixin"],
)
#: The stdlib's private magic-method descriptor class.
MAGIC_PROXY: Any = vars(mock)["MagicProxy"]


def normalise(text: str) -> str:
    """Blank the ids and addresses that differ between two builds."""
    return _ADDRESS.sub("0x_", _ID.sub("id='_'", text))


@contextlib.contextmanager
def accelerated() -> Iterator[None]:
    """Build mocks the accelerated way inside the block."""
    plain.enable()
    try:
        yield
    finally:
        plain.disable()


def _stdlib_names(cls: type) -> tuple[str, ...]:
    return tuple(
        klass.__name__
        for klass in cls.__mro__
        if getattr(mock, klass.__name__, None) is klass
    )


def describe(value: Any, owner: Any = None) -> Any:
    """A comparable description of *value*, ignoring identity.

    A mock is described by its stdlib classes, its name and how it relates
    to *owner* (the mock whose state holds it).
    """
    if isinstance(value, mock.NonCallableMock):
        return (
            "mock",
            _stdlib_names(type(value)),
            value._extract_mock_name(),
            "owner" if value is owner else "other",
        )
    if isinstance(value, type):
        return ("class", value.__module__, value.__qualname__)
    if isinstance(value, inspect.Signature):
        return ("signature", str(value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, normalise(repr(value)))
    if isinstance(value, str):
        return ("value", normalise(value))
    if isinstance(value, (bool, int, float, bytes, type(None))):
        return ("value", value)
    if value is mock.DEFAULT:
        return ("DEFAULT",)
    return ("object", type(value).__name__)


def outcome(action: Callable[[], Any], owner: Any = None) -> Any:
    """What *action* returned (described) or raised (type and message)."""
    try:
        result = action()
    except BaseException as exc:  # the outcome is what we compare
        return ("raised", type(exc).__name__, normalise(str(exc)))
    return ("returned", describe(result, owner))


def _own_class(target: Any) -> Any:
    own = type(target)
    namespace = []
    for key, value in vars(own).items():
        if isinstance(value, MAGIC_PROXY):
            parent = plain.proxy_parent(own, value)
            entry: Any = ("proxy", value.name, parent is target)
        else:
            entry = describe(value, target)
        namespace.append((key, entry))
    return (
        own.__name__,
        own.__qualname__,
        own.__module__,
        own.__doc__,
        tuple(base.__name__ for base in own.__bases__),
        _stdlib_names(own),
        sorted(namespace),
    )


def observe(target: Any, depth: int = 2) -> dict[str, Any]:
    """Everything a test can see of *target* without changing it.

    Children are observed to *depth* levels.
    """
    seen: dict[str, Any] = {
        "class": _own_class(target),
        "isinstance": tuple(isinstance(target, klass) for klass in MOCK_CLASSES),
        "callable": callable(target),
        "dir": outcome(lambda: dir(target)),
        "repr": outcome(lambda: repr(target)),
        "state": [
            (key, describe(value, target)) for key, value in vars(target).items()
        ],
        "signature": outcome(lambda: inspect.signature(target)),
        "iscoroutinefunction": (
            outcome(lambda: asyncio.iscoroutinefunction(target)),
            outcome(lambda: inspect.iscoroutinefunction(target)),
        ),
        "pickle": outcome(lambda: pickle.dumps(target)),
    }
    for record in ("mock_calls", "method_calls", "call_args_list", "call_args"):
        seen[record] = outcome(functools.partial(getattr, target, record))
    children = {}
    for name, child in target._mock_children.items():
        if isinstance(child, mock.NonCallableMock) and depth > 0:
            children[name] = observe(child, depth - 1)
        else:
            children[name] = describe(child, target)
    seen["children"] = children
    return_value = target.__dict__.get("_mock_return_value")
    if isinstance(return_value, mock.NonCallableMock) and depth > 0:
        seen["return_value"] = observe(return_value, depth - 1)
    return seen


# -- operations ---------------------------------------------------------------


async def _await(target: Any) -> Any:
    return await target(1)


def _op_call(m: Any) -> Any:
    return m(1, k=2)


def _op_call_many(m: Any) -> Any:
    return m(*range(13))


def _op_child(m: Any) -> Any:
    return m.child


def _op_grandchild_call(m: Any) -> Any:
    return m.child.grand(5)


def _op_return_chain(m: Any) -> Any:
    return m.return_value.inner(3)


def _op_set_return(m: Any) -> Any:
    m.return_value = 7


def _op_side_effect_iterator(m: Any) -> Any:
    m.side_effect = [1, 2]


def _op_side_effect_exception(m: Any) -> Any:
    m.side_effect = KeyError("boom")


def _op_attach(m: Any) -> Any:
    m.attach_mock(mock.Mock(name="attached"), "att")
    return m.att(9)


def _op_configure(m: Any) -> Any:
    m.configure_mock(**{"conf.return_value": 4, "value": 3})


def _op_configure_magic(m: Any) -> Any:
    m.configure_mock(**{"__len__.return_value": 2})


def _op_magic(m: Any) -> Any:
    m.__len__.return_value = 5
    return len(m)


def _op_iterate(m: Any) -> Any:
    return list(iter(m))


def _op_bool(m: Any) -> Any:
    return bool(m)


def _op_str(m: Any) -> Any:
    return normalise(str(m))


def _op_delete(m: Any) -> Any:
    del m.child


def _op_reset(m: Any) -> Any:
    m.reset_mock()


def _op_reset_flags(m: Any) -> Any:
    m.reset_mock(return_value=True, side_effect=True)


def _op_seal(m: Any) -> Any:
    mock.seal(m)


def _op_add_spec(m: Any) -> Any:
    m.mock_add_spec(["child", "other", "__len__"])


def _op_assert(m: Any) -> Any:
    m.assert_called_with(1, k=2)


def _op_assert_typo(m: Any) -> Any:
    return m.assret_called_once()


def _op_set_attribute(m: Any) -> Any:
    m.value = 3


def _op_set_unknown(m: Any) -> Any:
    m.unknown_name = 1


def _op_get_unknown(m: Any) -> Any:
    return m.unknown_name


def _op_await(m: Any) -> Any:
    return asyncio.run(_await(m))


def _op_class_magic(m: Any) -> Any:
    child = type(m).__iter__
    child.return_value = iter([4])
    return list(m)


def _op_magic_function(m: Any) -> Any:
    m.__bool__ = lambda self: False
    return bool(m)


def _op_churn(m: Any) -> Any:
    """Build and drop other mocks, so that later builds reuse their classes."""
    for cls in (mock.Mock, mock.MagicMock, mock.AsyncMock):
        other = cls()
        other.child.__len__.return_value = 1
        cls(spec=Spec)
    del other
    gc.collect()


def _op_copy(m: Any) -> Any:
    twin = copy.copy(m)
    return (type(twin).__bases__ == (type(m),), sorted(vars(type(twin))))


def deep_copy_probe(m: Any) -> Any:
    """What ``copy.deepcopy`` gives (or raises) for *m*.

    Not an operation of the sequences: deep-copying a mock copies its whole
    graph of parents and children, which grows with every operation.
    """
    twin = copy.deepcopy(m)
    return (type(twin).__bases__ == (type(m),), observe(twin, depth=0)["repr"])


#: Every operation, by name. Each may raise; the outcome is compared.
OPERATIONS: dict[str, Callable[[Any], Any]] = {
    name[len("_op_") :]: function
    for name, function in sorted(globals().items())
    if name.startswith("_op_")
}


def step(m: Any, name: str) -> Any:
    """Run operation *name* on *m* and describe its outcome."""
    return outcome(lambda: OPERATIONS[name](m), m)


# -- what we build --------------------------------------------------------------


class Spec:
    """A spec class with sync, async and magic members."""

    value = 1

    def __init__(self, a: int, b: int = 2) -> None:
        self.a = a

    def child(self, x: int) -> int:
        return x

    async def fetch(self) -> None:
        """A coroutine method."""

    def __len__(self) -> int:
        return 0


def spec_function(a: int, b: int = 2) -> int:
    return a + b


async def async_function(a: int) -> int:
    return a


#: Constructor calls compared: (label, positional args, keyword args).
CONSTRUCTIONS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("bare", (), {}),
    ("name", (), {"name": "named"}),
    ("spec class", (), {"spec": Spec}),
    ("spec_set class", (), {"spec_set": Spec}),
    ("positional spec", (Spec,), {}),
    ("spec list", (), {"spec": ["child", "__len__", "__iter__"]}),
    ("spec instance", (), {"spec": Spec(1)}),
    ("spec function", (), {"spec": spec_function}),
    ("spec async function", (), {"spec": async_function}),
    ("wraps", (), {"wraps": Spec(1)}),
    ("unsafe", (), {"unsafe": True}),
    ("return_value", (), {"return_value": 3}),
    ("side_effect", (), {"side_effect": [1, 2, 3]}),
    ("configure", (), {"conf.return_value": 1, "attribute": 2}),
    ("configure magic", (), {"__len__.return_value": 4}),
    ("spec and configure magic", (), {"spec": Spec, "__len__.return_value": 4}),
    ("spec_set False", (), {"spec_set": False}),
    ("spec string", (), {"spec": "text"}),
    ("spec builtin", (), {"spec": len}),
    ("spec_set bound builtin", (), {"spec_set": [].append}),
    ("spec number", (), {"spec_set": 3}),
    # What a class statement whose base is a mock passes its metaclass.
    ("class statement", ("Name", (object,), {}), {}),
    ("positional spec_set", (None, None, None, None, None, Spec), {}),
    # Keywords only: the path every child mock takes, and the keywords
    # that send a call back to the general path.
    ("child keywords", (), {"parent": None, "name": "c", "_new_name": "c"}),
    ("spec None", (), {"spec": None, "name": "n"}),
    ("self keyword", (), {"self": 1}),
    ("cls keyword", (), {"cls": 1}),
]


def build(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``cls(*args, **kwargs)``, or the exception it raised."""
    try:
        return cls(*args, **kwargs)
    except Exception as exc:  # a construction that fails must fail alike
        return exc


def compare_runs(
    test: unittest.TestCase,
    cls: type,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    operations: list[str],
    depth: int = 1,
) -> None:
    """Build and operate on a stdlib and an accelerated mock; compare.

    Observed to *depth* after each operation, and fully at the end.
    """
    with warnings.catch_warnings():
        # Calls of an AsyncMock that are never awaited warn, on both sides
        # alike, when the coroutine is collected.
        warnings.simplefilter("ignore", RuntimeWarning)
        _compare_runs(test, cls, args, kwargs, operations, depth)
        gc.collect()


def _compare_runs(
    test: unittest.TestCase,
    cls: type,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    operations: list[str],
    depth: int,
) -> None:
    compare_builds(test, lambda: build(cls, args, kwargs), operations, depth)


def compare_builds(
    test: unittest.TestCase,
    make: Callable[[], Any],
    operations: list[str],
    depth: int = 1,
) -> None:
    """Compare what *make* gives with the stdlib and accelerated, op by op."""
    stdlib_mock = make()
    with accelerated():
        fast_mock = make()
    if isinstance(stdlib_mock, Exception) or isinstance(fast_mock, Exception):
        test.assertEqual(
            (type(fast_mock).__name__, normalise(str(fast_mock))),
            (type(stdlib_mock).__name__, normalise(str(stdlib_mock))),
        )
        return
    test.assertEqual(observe(fast_mock), observe(stdlib_mock), "after construction")
    for index, name in enumerate(operations):
        expected = step(stdlib_mock, name)
        with accelerated():
            got = step(fast_mock, name)
        test.assertEqual(got, expected, f"outcome of {name} (step {index})")
        test.assertEqual(
            observe(fast_mock, depth),
            observe(stdlib_mock, depth),
            f"after {name} (step {index})",
        )
    test.assertEqual(observe(fast_mock), observe(stdlib_mock), "at the end")


PLAIN_CLASSES: tuple[type, ...] = (
    mock.Mock,
    mock.MagicMock,
    mock.NonCallableMock,
    mock.NonCallableMagicMock,
    mock.AsyncMock,
    mock.PropertyMock,
)


class _CustomMock(mock.MagicMock):
    """A suite's own subclass that changes only child creation."""

    def _get_child_mock(self, /, **kw: Any) -> Any:
        return mock.MagicMock(**kw)


class _ConstructingMock(mock.MagicMock):
    """A subclass with its own ``__init__``: built by the stdlib's path."""

    def __init__(self, /, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.extra = 1


class ConstructionContractTests(unittest.TestCase):
    """Each class and constructor call, then every operation, compared."""

    def test_each_class_and_construction_matches_the_stdlib(self) -> None:
        """Every class built every way observes as the stdlib's, op by op."""
        operations = list(OPERATIONS)
        for cls in (*PLAIN_CLASSES, _CustomMock, _ConstructingMock):
            for label, args, kwargs in CONSTRUCTIONS:
                with self.subTest(cls=cls.__name__, construction=label):
                    compare_runs(self, cls, args, kwargs, operations)

    def test_deepcopy_matches(self) -> None:
        """deepcopy of a fresh and of a used mock gives the same outcome."""
        for cls in PLAIN_CLASSES:
            for label, args, kwargs in CONSTRUCTIONS[:6]:
                with self.subTest(cls=cls.__name__, construction=label):
                    expected_mock = build(cls, args, kwargs)
                    with accelerated():
                        fast_mock = build(cls, args, kwargs)
                    for target in (expected_mock, fast_mock):
                        outcome(functools.partial(_op_child, target))
                    expected = outcome(
                        functools.partial(deep_copy_probe, expected_mock)
                    )
                    with accelerated():
                        got = outcome(functools.partial(deep_copy_probe, fast_mock))
                    self.assertEqual(got, expected)

    def test_reset_and_seal_orders_match(self) -> None:
        """reset_mock with both flags, then seal, then children, in turn."""
        sequence = [
            "set_return",
            "side_effect_iterator",
            "call",
            "child",
            "reset_flags",
            "call",
            "seal",
            "child",
            "get_unknown",
            "call",
        ]
        for cls in PLAIN_CLASSES:
            with self.subTest(cls=cls.__name__):
                compare_runs(self, cls, (), {}, sequence)

    def test_bad_constructions_raise_the_same(self) -> None:
        """A call the stdlib rejects is rejected with the same error."""
        cases: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
            (tuple(range(20)), {}),
            ((Spec,), {"spec": Spec}),
            ((), {"spec": mock.Mock()}),
            ((), {"spec_set": mock.Mock()}),
        ]
        for cls in PLAIN_CLASSES:
            for args, kwargs in cases:
                with self.subTest(cls=cls.__name__, args=len(args), kwargs=kwargs):
                    compare_runs(self, cls, args, kwargs, ["call"])


def _class_statement(base_class: type, configure: Callable[[Any], Any]) -> Any:
    """``class Record(base)`` where *base* is a child of a *base_class* mock.

    A module that mocks ``ctypes`` and then defines
    ``class Record(ctypes.Structure)`` makes the mock's own class the
    metaclass: it is called with the class name, bases and namespace.
    """
    module = base_class()
    configure(module)

    class Record(module.Structure):  # type: ignore[misc, name-defined]
        field = 1

    return Record


class ClassStatementTests(unittest.TestCase):
    """A class statement with a mock as its base builds a mock alike."""

    def test_class_statement_builds_like_the_stdlib(self) -> None:
        """The mock a class statement makes observes as the stdlib's."""
        operations = list(OPERATIONS)
        configurations: dict[str, Callable[[Any], Any]] = {
            "plain": lambda module: None,
            "magic configured": lambda module: setattr(
                module.Structure, "__len__", mock.Mock(return_value=2)
            ),
            "class attribute": lambda module: setattr(
                type(module.Structure), "extra", mock.PropertyMock()
            ),
        }
        for base_class in (*PLAIN_CLASSES, _CustomMock):
            for label, configure in configurations.items():
                with self.subTest(base=base_class.__name__, configuration=label):
                    compare_builds(
                        self,
                        functools.partial(_class_statement, base_class, configure),
                        operations,
                    )

    def test_calling_a_mocks_class_builds_like_the_stdlib(self) -> None:
        """type(m)(...) with and without arguments, as the stdlib builds it."""
        calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
            ((), {}),
            (("Name", (object,), {}), {}),
            ((), {"spec": Spec}),
            ((Spec,), {"name": "x"}),
        ]
        for base_class in PLAIN_CLASSES:
            for args, kwargs in calls:
                with self.subTest(base=base_class.__name__, args=args, kw=kwargs):

                    def make(
                        base_class: type = base_class,
                        args: tuple[Any, ...] = args,
                        kwargs: dict[str, Any] = kwargs,
                    ) -> Any:
                        return build(type(base_class()), args, kwargs)

                    compare_builds(self, make, ["call", "magic", "child"])

    def test_copy_of_a_class_statement_mock_matches(self) -> None:
        """copy.copy of such a mock (its class's __new__, no __init__) too."""
        originals: list[Any] = []  # alive, as the stdlib's proxies keep them

        def make() -> Any:
            originals.append(_class_statement(mock.MagicMock, lambda m: None))
            return copy.copy(originals[-1])

        compare_builds(self, make, ["magic", "class_magic", "copy"])
        self.assertEqual(
            [len(original) for original in originals], [5, 5], "via the copy"
        )


def _accelerated_magic_mock() -> Any:
    with accelerated():
        return mock.MagicMock()


class IdentityTests(unittest.TestCase):
    """One class per mock, and magic configuration that stays put."""

    def test_every_mock_has_its_own_class(self) -> None:
        """type(m) differs for every mock, child and return value."""
        with accelerated():
            for cls in PLAIN_CLASSES:
                first, second = cls(), cls()
                self.assertIsNot(type(first), type(second))
                self.assertIs(type(first).__bases__[-1], cls)
            parent = mock.MagicMock()
            self.assertIsNot(type(parent.a), type(parent.b))
            self.assertIsNot(type(parent.return_value), type(parent))

    def test_magic_configuration_never_leaks_across_mocks(self) -> None:
        """Configuring __len__ or __iter__ on one mock leaves others alone."""
        with accelerated():
            first, second = mock.MagicMock(), mock.MagicMock()
            first.__len__.return_value = 3
            first.__iter__.return_value = iter([1, 2])
            self.assertEqual(len(first), 3)
            self.assertEqual(len(second), 0)
            self.assertEqual(list(second), [])
            child = first.child
            child.__bool__.return_value = False
            self.assertFalse(child)
            self.assertTrue(first.other)

    def test_proxies_belong_to_their_mock(self) -> None:
        """Each magic-method proxy on a mock's class serves that mock."""
        with accelerated():
            built = mock.MagicMock()
        proxies = 0
        for name, value in vars(type(built)).items():
            if isinstance(value, MAGIC_PROXY):
                proxies += 1
                self.assertIs(plain.proxy_parent(type(built), value), built, name)
                self.assertEqual(value.name, name)
        self.assertGreater(proxies, 40)

    def test_class_level_magic_access_creates_the_child_on_the_mock(self) -> None:
        """type(m).__len__ configures m's __len__, as the stdlib's proxy does."""
        with accelerated():
            built, other = mock.MagicMock(), mock.MagicMock()
        child = type(built).__len__
        child.return_value = 4
        self.assertEqual(len(built), 4)
        self.assertEqual(len(other), 0)
        self.assertIs(built.__len__, child)
        self.assertEqual(child._mock_new_parent, built)
        self.assertIn("__len__", vars(type(built)))
        self.assertIsNot(vars(type(built))["__len__"], vars(type(other))["__len__"])

    def test_copies_share_magic_methods_with_their_original(self) -> None:
        """A copy's magic child is the original's, as with the stdlib."""
        for build in (mock.MagicMock, _accelerated_magic_mock):
            original = build()
            twin = copy.copy(original)
            twin.__len__.return_value = 6
            self.assertEqual((len(original), len(twin)), (6, 6), build)
            self.assertIs(original.__len__, twin.__len__)

    def test_deleted_magic_is_gone_only_from_its_mock(self) -> None:
        """del m.__len__ removes the proxy from m's class only."""
        with accelerated():
            first, second = mock.MagicMock(), mock.MagicMock()
        del first.__len__
        with self.assertRaises(TypeError):
            len(first)
        self.assertEqual(len(second), 0)
        self.assertNotIn("__len__", vars(type(first)))

    def test_isinstance_against_stdlib_classes(self) -> None:
        """Accelerated mocks are instances of exactly the stdlib's classes."""
        for cls in PLAIN_CLASSES:
            expected = [isinstance(cls(), klass) for klass in MOCK_CLASSES]
            with accelerated():
                got = [isinstance(cls(), klass) for klass in MOCK_CLASSES]
            self.assertEqual(got, expected, cls.__name__)

    def test_class_signature_is_the_stdlibs(self) -> None:
        """inspect.signature of every mock class is unchanged."""
        expected = {cls: str(inspect.signature(cls)) for cls in PLAIN_CLASSES}
        with accelerated():
            got = {cls: str(inspect.signature(cls)) for cls in PLAIN_CLASSES}
        self.assertEqual(got, expected)


class _Token:
    """Something a test passes to a mock; must not outlive the test."""


def _used_and_dropped(configure: Callable[[Any], Any]) -> None:
    """Build a MagicMock, let *configure* use it, and drop it."""
    with accelerated():
        built = mock.MagicMock()
        configure(built)
    del built
    gc.collect()


class ClassRecyclingTests(unittest.TestCase):
    """A mock's class is reused only when that cannot be told apart."""

    def setUp(self) -> None:
        # Enabled for the whole test: the last disable() lets go of every
        # class kept for reuse.
        plain.enable()
        self.addCleanup(plain.disable)

    def build_many(self, cls: type = mock.MagicMock, count: int = 40) -> list[Any]:
        with accelerated():
            return [cls() for _ in range(count)]

    def test_classes_of_dropped_mocks_are_reused(self) -> None:
        """Mocks built and dropped one after another make no new classes."""
        for cls in (mock.Mock, mock.MagicMock, mock.AsyncMock):
            self.build_many(cls, count=5)
            gc.collect()
            before = len(cls.__subclasses__())
            gc.disable()  # only reuse, not the collector, may keep it flat
            try:
                with accelerated():
                    for _ in range(50):
                        cls()
            finally:
                gc.enable()
            # Without reuse, 50 more; a few entries may be passed over.
            self.assertLessEqual(len(cls.__subclasses__()), before + 10, cls)

    def test_classes_kept_over_all_kinds_are_bounded(self) -> None:
        """However many mocks of however many kinds, at most KEPT_LIMIT kept."""
        from mockpool._autospec.plain import class_reuse

        limit = 30
        with mock.patch.object(class_reuse, "KEPT_LIMIT", limit):
            alive = [
                *self.build_many(mock.Mock, count=25),
                *self.build_many(mock.MagicMock, count=25),
                *self.build_many(mock.AsyncMock, count=25),
            ]
            kept = sum(plain.held_references(type(m)) for m in alive)
        self.assertGreater(kept, 0)
        self.assertLessEqual(kept, limit)

    def test_classes_let_go_of_leave_room_for_others(self) -> None:
        """A class let go of (a magic method set on its mock) no longer counts
        against KEPT_LIMIT: however many such mocks came before, the class
        of a dropped mock goes to the next one."""
        from mockpool._autospec.plain import class_reuse

        with mock.patch.object(class_reuse, "KEPT_LIMIT", 5):
            for _ in range(20):
                with accelerated():
                    used = mock.MagicMock()
                # A function goes on the class (no child mock): let go of.
                used.__len__ = lambda _self: 0
                del used
            gc.collect()
            with accelerated():
                dropped = mock.MagicMock()
            address = id(type(dropped))
            del dropped
            with accelerated():
                later = mock.MagicMock()
        self.assertEqual(id(type(later)), address)

    def test_a_class_handed_out_is_in_use_before_its_mock_exists(self) -> None:
        """Between a build taking a free class and making its mock, another
        thread looking at the class's entry finds it in use: one class is
        never handed to two mocks (a race seen with four threads)."""
        from mockpool._autospec.plain import class_reuse

        with accelerated():
            dropped = mock.MagicMock()
        bases = type(dropped).__bases__
        del dropped
        gc.collect()
        shapes = [
            shape
            for shape in class_reuse._shapes.values()
            if shape.bases == bases and shape.free
        ]
        self.assertTrue(shapes)
        shape = shapes[0]
        # Only the freed class is on the free list: the next build takes it.
        free = list(shape.free)
        shape.free.clear()
        shape.free.append(free[-1])
        self.addCleanup(shape.free.extend, free[:-1])
        taken, klass = shape.entry()
        self.assertIs(taken, free[-1])
        self.assertIs(taken.klass, klass)
        # What a second thread would do now, before the first makes its mock.
        self.assertIsNone(shape.reused_entry())

    def test_a_freed_class_is_reused_however_many_are_in_use(self) -> None:
        """The class of a mock just gone goes to the next mock of its kind,
        however many mocks built before it are still alive."""
        for cls in (mock.Mock, mock.MagicMock):
            alive = self.build_many(cls, count=50)
            with accelerated():
                dropped = cls()
            address = id(type(dropped))
            del dropped  # no child: freed by its reference count
            with accelerated():
                later = cls()
            self.assertEqual(id(type(later)), address, cls)
            self.assertEqual(len(alive), 50)

    def test_a_class_changed_behind_its_mocks_back_is_let_go_of(self) -> None:
        """A value a test set on type(m) itself, in place of a magic proxy
        (the namespace's size unchanged), is let go of within as many builds
        of that kind as there were free classes, however many mocks are
        built and dropped meanwhile."""
        from mockpool._autospec.plain import class_reuse

        value = _Token()
        with accelerated():
            changed = mock.MagicMock()
            after = mock.MagicMock()
        bases = type(changed).__bases__
        klass = type(changed)
        klass.__len__ = value
        del klass, changed
        del after  # freed after the changed one
        probe = weakref.ref(value)
        del value
        shape = next(
            shape for shape in class_reuse._shapes.values() if shape.bases == bases
        )
        for _ in range(len(shape.free)):
            with accelerated():
                mock.MagicMock()  # built and dropped at once
        gc.collect()
        self.assertIsNone(probe())

    def test_a_class_the_test_holds_is_never_reused(self) -> None:
        """type(m) kept by the test stays m's alone, strongly or weakly held."""
        for hold in (lambda klass: klass, weakref.ref):
            with accelerated():
                dropped = mock.MagicMock()
            held = hold(type(dropped))
            address = id(type(dropped))
            del dropped
            gc.collect()
            later = self.build_many()
            self.assertNotIn(address, [id(type(m)) for m in later])
            self.assertIsNotNone(held)

    def test_a_mock_costs_the_collector_one_object_of_ours(self) -> None:
        """Of what a mock adds for the garbage collector to track, mockpool's
        own part is one weak reference to the mock, whose callback is shared
        (no bound method per mock), and for a new class its entry, which is
        also the weak reference to the class."""
        from mockpool._autospec.plain.class_entries import ClassEntry

        def ours(objects: list[Any]) -> int:
            return sum(
                1
                for o in objects
                if isinstance(o, (weakref.ReferenceType, ClassEntry))
                or type(o) is types.MethodType
            )

        # No class is free for reuse: each mock gets a class of its own (the
        # last disable lets go of every kept class; setUp's is balanced).
        plain.disable()
        plain.enable()
        gc.collect()
        gc.disable()
        try:
            before = ours(gc.get_objects())
            with accelerated():
                alive = [mock.MagicMock() for _ in range(20)]
            after = ours(gc.get_objects())
        finally:
            gc.enable()
        self.assertEqual(len({type(m) for m in alive}), 20)
        # The entry, the weak reference to the mock, and the one type()
        # makes for the base's list of subclasses.
        self.assertEqual((after - before) / 20, 3)
        callbacks = {
            id(reference.__callback__)
            for m in alive
            for reference in weakref.getweakrefs(m)
        }
        self.assertEqual(len(callbacks), 1)

    def test_the_reference_to_a_gone_mock_lets_go_of_its_entry(self) -> None:
        """The weak reference to a mock and the entry of its class refer to
        each other only while the mock lives: no cycle for the collector."""
        from mockpool._autospec.plain.class_entries import entries

        with accelerated():
            built = mock.MagicMock()
        entry = entries[weakref.ref(type(built))]
        owner = entry.owner
        self.assertIs(owner.entry, entry)
        del built  # no child: freed by its reference count
        self.assertIsNone(owner())
        self.assertIsNone(owner.entry)

    def test_an_abc_cache_entry_keeps_the_class_out(self) -> None:
        """isinstance against an ABC caches the class weakly: not reused."""
        with accelerated():
            dropped = mock.MagicMock()
        self.assertIsInstance(dropped, Sized)
        address = id(type(dropped))
        del dropped
        gc.collect()
        later = self.build_many()
        self.assertNotIn(address, [id(type(m)) for m in later])

    def test_a_reused_class_is_as_new(self) -> None:
        """Whatever the last mock did to its class, the next one sees none."""

        def configure(built: Any) -> None:
            built.__len__.return_value = 3
            built.__iter__ = mock.Mock(return_value=iter([1]))
            built.__bool__ = lambda self: False
            type(built).extra = mock.PropertyMock(return_value=1)
            del built.__str__

        fresh = list(vars(type(self.build_many(count=1)[0])))
        for _ in range(3):
            _used_and_dropped(configure)
        for built in self.build_many():
            self.assertEqual(len(built), 0)
            self.assertEqual(list(built), [])
            self.assertTrue(built)
            self.assertFalse(hasattr(type(built), "extra"))
            self.assertEqual(list(vars(type(built))), fresh)
            for value in vars(type(built)).values():
                if isinstance(value, MAGIC_PROXY):
                    self.assertIs(plain.proxy_parent(type(built), value), built)

    def test_nothing_a_test_put_on_a_class_outlives_the_mock(self) -> None:
        """Keeping classes for reuse keeps no test object alive (contract 5)."""
        ways: dict[str, Callable[..., Any]] = {
            "magic child": lambda m, t: setattr(m.__len__, "side_effect", [t]),
            "magic set to a mock": lambda m, t: setattr(
                m, "__iter__", mock.Mock(return_value=iter([t]))
            ),
            "magic set to a function": lambda m, t: setattr(
                m, "__bool__", lambda self: bool(t)
            ),
            "called with it": lambda m, t: m(t),
            "property on the class": lambda m, t: setattr(
                type(m), "prop", mock.PropertyMock(return_value=t)
            ),
            "configure_mock": lambda m, t: m.configure_mock(
                **{"__getitem__.return_value": t}
            ),
        }
        for label, use in ways.items():
            with self.subTest(label):
                token = _Token()
                alive = weakref.ref(token)
                _used_and_dropped(functools.partial(use, t=token))
                del token
                gc.collect()
                self.assertIsNone(alive(), label)


class ClassRecyclingByValuesTests(ClassRecyclingTests):
    """The same, where dict versions cannot be read (CPython 3.14, a
    free-threaded build): a free class's namespace is compared value by
    value with the one it was made with."""

    def setUp(self) -> None:
        from mockpool._autospec.plain import class_reuse

        patcher = mock.patch.object(class_reuse, "_READS_VERSIONS", False)
        patcher.start()
        self.addCleanup(patcher.stop)
        super().setUp()


class SpecChangeTests(unittest.TestCase):
    """A spec class changed between two mocks is seen as it is now."""

    def _module_level(self, spec: Any) -> Any:
        """Publish *spec* under its name in this module, as a suite's are.

        Only specs their module holds are recorded; one made inside a test
        is built by the stdlib every time.
        """
        name = f"_Changing{id(spec)}"
        spec.__name__ = spec.__qualname__ = name
        globals()[name] = spec
        self.addCleanup(globals().pop, name)
        return spec

    def _spec_class(self) -> type:
        class Changing:
            def method(self) -> None:
                """A method."""

        spec: type = self._module_level(Changing)
        return spec

    def test_added_attribute_is_seen(self) -> None:
        """An attribute added to the class after a mock shows on the next."""
        spec = self._spec_class()
        with accelerated():
            first = mock.Mock(spec=spec)
            self.assertFalse(hasattr(first, "added"))
            spec.added = 1  # type: ignore[attr-defined]
            second = mock.Mock(spec=spec)
        self.assertTrue(hasattr(second, "added"))
        self.assertIn("added", dir(second))

    def test_method_made_async_is_seen(self) -> None:
        """A method replaced by a coroutine function gives an AsyncMock child."""
        spec = self._spec_class()
        with accelerated():
            self.assertNotIsInstance(mock.Mock(spec=spec).method, mock.AsyncMock)

            async def method(self: Any) -> None:
                """Now a coroutine method."""

            setattr(spec, "method", method)  # noqa: B010 - a class built at run time
            child = mock.Mock(spec=spec).method
        self.assertIsInstance(child, mock.AsyncMock)

    def test_changed_init_signature_is_seen(self) -> None:
        """Replacing __init__ changes the signature calls are matched by."""
        spec = self._spec_class()
        with accelerated():
            mock.Mock(spec=spec)()

            def __init__(self: Any, required: int) -> None:
                """Now takes an argument."""

            spec.__init__ = __init__  # type: ignore[misc]
            built = mock.Mock(spec=spec)
            built(1)
            # Matching binds both calls to the spec's signature: only the
            # new one makes the positional and the keyword call equal.
            built.assert_called_with(required=1)

    def test_init_defaults_changed_in_place_are_seen(self) -> None:
        """__init__'s defaults changed in place change the matched signature."""

        class Defaults:
            def __init__(self, a: int = 1) -> None:
                """Takes an optional argument."""

        self._module_level(Defaults)
        with accelerated():
            self.assertIn("= 1", str(mock.Mock(spec=Defaults)._spec_signature))
            Defaults.__init__.__defaults__ = (5,)
            built = mock.Mock(spec=Defaults)
        self.assertIn("= 5", str(built._spec_signature))

    def test_function_spec_changes_are_seen(self) -> None:
        """A function spec's defaults and markers changed in place are seen."""

        def function(a: int = 1) -> None:
            """A spec function."""

        self._module_level(function)
        with accelerated():
            first = mock.MagicMock(spec=function)
            function.__defaults__ = (5,)
            function.extra = 1  # type: ignore[attr-defined]
            second = mock.MagicMock(spec=function)
        self.assertIn("= 1", str(first._spec_signature))
        self.assertIn("= 5", str(second._spec_signature))
        self.assertNotIn("extra", dir(first))
        self.assertIn("extra", dir(second))

    def test_function_code_and_annotations_changed_in_place_are_seen(
        self,
    ) -> None:
        """What a function's record is checked by (its code, keyword
        defaults and annotations, read without rebuilding its state)."""

        def other(x: str, y: str) -> None:
            """Another signature."""

        changes: list[tuple[str, Callable[[Any], None], str]] = [
            ("__code__", lambda f: setattr(f, "__code__", other.__code__), "(x, y"),
            ("__kwdefaults__", lambda f: setattr(f, "__kwdefaults__", {"b": 7}), "= 7"),
            (
                "__annotations__",
                lambda f: setattr(f, "__annotations__", {"a": bytes}),
                "a: bytes",
            ),
        ]
        for label, change, shown in changes:

            def function(a: int = 1, *, b: int = 2) -> None:
                """A spec function."""

            self._module_level(function)
            with self.subTest(label), accelerated():
                mock.MagicMock(spec=function)  # recorded
                change(function)
                changed = mock.MagicMock(spec=function)
                self.assertIn(shown, str(changed._spec_signature))

    def test_function_records_are_kept_past_the_limit(self) -> None:
        """A function spec's record is not lost to other specs' limit: a
        suite autospecs many functions, each recorded anew by a scan."""
        from mockpool._autospec.plain import spec_records
        from mockpool._autospec.plain.stdlib import stdlib_add_spec

        def function(a: int) -> None:
            """A spec function."""

        self._module_level(function)
        classes = [self._spec_class() for _ in range(4)]
        scans: list[Any] = []

        def counting_add_spec(target: Any, spec: Any, *args: Any) -> None:
            scans.append(spec)
            stdlib_add_spec(target, spec, *args)

        with (
            mock.patch.object(spec_records, "RECORD_LIMIT", 2),
            mock.patch.object(spec_records, "stdlib_add_spec", counting_add_spec),
            accelerated(),
        ):
            spec_records.clear_records()  # none older to be dropped first
            mock.MagicMock(spec=function)
            for spec in classes:
                mock.Mock(spec=spec)
            del scans[:]
            mock.MagicMock(spec=function)
        self.assertNotIn(function, scans)

    def test_string_specs_share_one_record(self) -> None:
        """Every string spec gives the outcome of the stdlib's scan of str."""
        expected = [vars(mock.MagicMock(spec=text)) for text in ("a", "b")]
        with accelerated():
            got = [vars(mock.MagicMock(spec=text)) for text in ("a", "b")]
        for fast, stdlib in zip(got, expected):
            for key in ("_spec_class", "_mock_methods", "_spec_asyncs"):
                self.assertEqual(fast[key], stdlib[key], key)
        self.assertIsNot(got[0]["_mock_methods"], got[1]["_mock_methods"])

    def test_builtin_specs_share_one_record(self) -> None:
        """Every builtin function gives the outcome of the stdlib's reading of
        one: the same names, and the signature of their type's ``__call__``."""
        from mockpool._autospec.plain import spec_records

        specs: tuple[Any, ...] = (len, time.sleep, [].append)
        expected = [vars(mock.MagicMock(spec=spec)) for spec in specs]
        with accelerated():
            spec_records.clear_records()
            got = [vars(mock.MagicMock(spec=spec)) for spec in specs]
            recorded = len(spec_records._records)
        self.assertEqual(recorded, 1)
        for fast, stdlib in zip(got, expected):
            for key in ("_spec_class", "_mock_methods", "_spec_asyncs"):
                self.assertEqual(fast[key], stdlib[key], key)
            self.assertEqual(
                str(fast["_spec_signature"]), str(stdlib["_spec_signature"])
            )
        self.assertIsNot(got[0]["_mock_methods"], got[1]["_mock_methods"])

    def test_specs_made_in_a_test_are_not_kept(self) -> None:
        """mockpool keeps no reference to a class or function a test made."""

        class Local:
            def method(self) -> None:
                """A method."""

        def local_function() -> None:
            """A function."""

        with accelerated():
            mock.MagicMock(spec=Local).method()
            mock.MagicMock(spec=local_function)()
        references: list[weakref.ref[Any]] = [
            weakref.ref(Local),
            weakref.ref(local_function),
        ]
        del Local, local_function
        gc.collect()
        self.assertEqual([reference() for reference in references], [None, None])


class BothWaysTestCase(unittest.TestCase):
    """Runs a scenario with the stdlib's methods and accelerated."""

    def both(self, scenario: Callable[[], object]) -> tuple[object, object]:
        """What *scenario* returns with the stdlib's and the accelerated
        methods (its exception, as type and message, if it raises)."""
        outcomes = []
        for accelerated in (False, True):
            if accelerated:
                plain.enable()
            try:
                try:
                    outcome: object = scenario()
                except Exception as error:
                    outcome = (type(error), str(error))
            finally:
                if accelerated:
                    plain.disable()
            outcomes.append(outcome)
        return outcomes[0], outcomes[1]

    def assert_alike(self, scenario: Callable[[], object]) -> None:
        stdlib, accelerated = self.both(scenario)
        self.assertEqual(accelerated, stdlib)


class CallRecordingTests(BothWaysTestCase):
    """A call is recorded as the stdlib records it: directly only where
    nothing could tell (:mod:`mockpool._autospec.plain.call_recording`),
    else by the stdlib's own method."""

    def test_calls_and_their_parents_records(self) -> None:
        def scenario() -> object:
            parent = mock.MagicMock(name="parent")
            parent.child.grandchild(1, a=2)
            parent(3)
            parent.child()
            other = mock.Mock()
            parent.attach_mock(other, "attached")
            other.method(4)
            return [observe(parent), observe(other), parent.child.call_count]

        self.assert_alike(scenario)

    def test_a_subclass_that_watches_its_sets_sees_every_one(self) -> None:
        def scenario() -> object:
            seen: list[str] = []

            class Watching(mock.MagicMock):
                def __setattr__(self, name: str, value: Any) -> None:
                    seen.append(name)
                    super().__setattr__(name, value)

            built = Watching()
            seen.clear()
            built(1)
            return seen, built.call_args_list

        stdlib, accelerated = self.both(scenario)
        self.assertEqual(accelerated, stdlib)
        self.assertIn("call_count", stdlib[0])  # type: ignore[index]

    def test_a_subclass_with_its_own_property_keeps_it(self) -> None:
        def scenario() -> object:
            written: list[Any] = []

            class OwnCount(mock.Mock):
                call_count = property(
                    lambda self: len(written), lambda self, value: written.append(value)
                )

            built = OwnCount()
            built(1)
            built(2)
            return written, built.called, built.mock_calls

        stdlib, accelerated = self.both(scenario)
        self.assertEqual(accelerated, stdlib)
        self.assertEqual(stdlib[0], [1, 2])  # type: ignore[index]

    def test_a_patched_call_class_is_the_one_used(self) -> None:
        def scenario() -> object:
            made: list[Any] = []

            class Recorded(mock._Call):
                def __init__(self, *args: Any, **kwargs: Any) -> None:
                    made.append(args[0] if args else None)
                    super().__init__(*args, **kwargs)

            with mock.patch.object(mock, "_Call", Recorded):
                built = mock.Mock()
                built.method(1)
            return made, built.mock_calls

        self.assert_alike(scenario)

    def test_the_records_are_the_stdlibs_to_the_last_attribute(self) -> None:
        def scenario() -> object:
            parent = mock.MagicMock()
            parent.child.grandchild(1, key="value")
            records = [
                parent.child.grandchild.call_args,
                *parent.child.grandchild.call_args_list,
                *parent.child.grandchild.mock_calls,
                *parent.child.mock_calls,
                *parent.mock_calls,
                *parent.method_calls,
            ]
            return [
                (type(record), tuple(record), sorted(vars(record).items()))
                for record in records
            ]

        self.assert_alike(scenario)

    def test_a_patched_call_method_is_the_one_used(self) -> None:
        def scenario() -> object:
            made: list[Any] = []
            stdlib_init = mock._Call.__init__

            def init(self: Any, *args: Any, **kwargs: Any) -> None:
                made.append(args[0] if args else None)
                stdlib_init(self, *args, **kwargs)

            with mock.patch.object(mock._Call, "__init__", init):
                built = mock.Mock()
                built.method(1)
            return made, built.mock_calls

        stdlib, accelerated = self.both(scenario)
        self.assertEqual(accelerated, stdlib)
        self.assertTrue(stdlib[0])  # type: ignore[index]

    def test_an_autospecced_functions_calls_go_to_its_delegate(self) -> None:
        def function(a: int, b: int = 2) -> int:
            return a + b

        def scenario() -> object:
            built = mock.create_autospec(function)
            built(1, b=3)
            return built.call_args, built.mock.call_count, built.mock_calls

        self.assert_alike(scenario)

    def test_a_copied_mock_records_alike(self) -> None:
        def scenario() -> object:
            copied = copy.copy(mock.Mock())
            copied(1)
            return observe(copied)

        self.assert_alike(scenario)


class CallOutcomeTests(BothWaysTestCase):
    """A call checks, records and answers as the stdlib's ``__call__``
    does: directly only where nothing could tell
    (:mod:`mockpool._autospec.plain.calling`), else through the methods
    the stdlib's calls."""

    def test_every_kind_of_outcome(self) -> None:
        def answer(value: int) -> Any:
            return mock.DEFAULT if value == 2 else value * 10

        def scenario() -> object:
            made = [
                mock.Mock(return_value=1),
                mock.MagicMock(),
                mock.Mock(side_effect=[1, ValueError("second"), mock.DEFAULT]),
                mock.Mock(side_effect=KeyError("always")),
                mock.Mock(side_effect=answer, return_value=5),
                mock.Mock(wraps=lambda value: value + 100),
                mock.Mock(return_value=None),
                mock.NonCallableMagicMock().method,
            ]
            seen = []
            for each in made:
                for value in (1, 2, 3):
                    seen.append(outcome(functools.partial(each, value)))
                seen.append(observe(each, depth=1))
            return seen

        self.assert_alike(scenario)

    def test_an_autospecced_class_checks_its_signature(self) -> None:
        class Service:
            def __init__(self, host: str, port: int = 80) -> None:
                pass

        def scenario() -> object:
            built = mock.create_autospec(Service)
            return [
                outcome(lambda: built("a", 1, 2)),
                outcome(lambda: built(port=1)),
                outcome(lambda: built("a")),
                built.call_args_list,
            ]

        stdlib, accelerated = self.both(scenario)
        self.assertEqual(accelerated, stdlib)
        self.assertEqual(len(stdlib[3]), 1)  # type: ignore[index]

    def test_an_async_mock_still_returns_an_awaitable(self) -> None:
        def scenario() -> object:
            built = mock.AsyncMock(return_value=7)
            awaitable = built(1)
            result = asyncio.run(awaitable)
            return type(awaitable).__name__, result, built.await_args_list

        stdlib, accelerated = self.both(scenario)
        self.assertEqual(accelerated, stdlib)
        self.assertEqual(stdlib[1], 7)  # type: ignore[index]

    def test_methods_set_on_the_mock_itself_are_the_ones_called(self) -> None:
        for name in (
            "_mock_check_sig",
            "_increment_mock_call",
            "_mock_call",
            "_execute_mock_call",
        ):
            with self.subTest(name):

                def scenario(name: str = name) -> object:
                    seen: list[tuple[Any, ...]] = []
                    built = mock.Mock(return_value=1)
                    built.__dict__[name] = lambda *args, **kwargs: seen.append(args)
                    return built(2), seen, built.call_count

                stdlib, accelerated = self.both(scenario)
                self.assertEqual(accelerated, stdlib)
                self.assertEqual(stdlib[1], [(2,)])  # type: ignore[index]

    def test_a_subclasss_own_methods_and_properties_are_used(self) -> None:
        seen: list[str] = []

        class OwnMethods(mock.Mock):
            def _increment_mock_call(self, /, *args: Any, **kwargs: Any) -> None:
                seen.append("records")
                super()._increment_mock_call(*args, **kwargs)

            def _mock_call(self, /, *args: Any, **kwargs: Any) -> Any:
                seen.append("call")
                return super()._mock_call(*args, **kwargs)

        class OwnExecute(mock.Mock):
            def _execute_mock_call(self, /, *args: Any, **kwargs: Any) -> Any:
                seen.append("execute")
                return "executed"

        class OwnReturnValue(mock.Mock):
            return_value = property(lambda self: "own")

        class OwnSideEffect(mock.Mock):
            # (Its setter keeps what __init__ sets, as the stdlib's does.)
            side_effect = property(
                lambda self: lambda *args: "effect",
                lambda self, value: self.__dict__.__setitem__(
                    "_mock_side_effect", value
                ),
            )

        def scenario() -> object:
            seen.clear()
            results = [
                kind(return_value=1)(2)
                for kind in (OwnMethods, OwnExecute, OwnReturnValue, OwnSideEffect)
            ]
            return results, list(seen)

        stdlib, accelerated = self.both(scenario)
        self.assertEqual(accelerated, stdlib)
        self.assertEqual(
            stdlib, ([1, "executed", "own", "effect"], ["records", "call", "execute"])
        )

    def test_an_autospecced_function_answers_through_its_delegate(self) -> None:
        def function(a: int) -> int:
            return a

        def scenario() -> object:
            built = mock.create_autospec(function, return_value=3)
            built.return_value = 5
            return built(1), built.mock.return_value

        stdlib, accelerated = self.both(scenario)
        self.assertEqual(accelerated, stdlib)
        self.assertEqual(stdlib, (5, 5))

    def test_the_return_value_is_made_by_the_first_call_then_kept(self) -> None:
        def scenario() -> object:
            parent = mock.MagicMock()
            first = parent.method(1)
            second = parent.method(2)
            return first is second, observe(parent)

        stdlib, accelerated = self.both(scenario)
        self.assertEqual(accelerated, stdlib)
        self.assertIs(stdlib[0], True)  # type: ignore[index]

    def test_a_patched_default_is_the_one_compared(self) -> None:
        def scenario() -> object:
            marker = object()
            built = mock.Mock(return_value=marker)
            with mock.patch.object(mock, "DEFAULT", marker):
                answered = built()
            return answered is marker, type(answered).__name__

        self.assert_alike(scenario)

    def test_call_introspects_as_the_stdlibs(self) -> None:
        def looks(function: Any) -> tuple[Any, ...]:
            return (
                function.__name__,
                function.__qualname__,
                function.__doc__,
                inspect.signature(function),
            )

        stdlib_call = vars(mock)["CallableMixin"].__call__
        with accelerated():
            replaced = vars(mock)["CallableMixin"].__call__
        if calling.CALLS_DIRECTLY:
            self.assertIsNot(replaced, stdlib_call)
        self.assertEqual(looks(replaced), looks(stdlib_call))
        self.assertIs(vars(mock)["CallableMixin"].__call__, stdlib_call)


class AttributeSetTests(unittest.TestCase):
    """Setting an attribute costs what the stdlib's ``__setattr__`` does,
    and a magic method set on a mock still lets go of its kept class."""

    def setUp(self) -> None:
        plain.enable()
        self.addCleanup(plain.disable)

    def entered(self, action: Callable[[], object]) -> list[tuple[str, str]]:
        """(file, function) of each frame *action* enters."""
        entered: list[tuple[str, str]] = []

        def profile(frame: Any, event: str, arg: Any) -> None:
            if event == "call":
                entered.append((frame.f_code.co_filename, frame.f_code.co_name))

        # Earlier tests' mocks, freed by a collection that happened to
        # start inside the window, would run their classes' weakref
        # callbacks there: mockpool's code, but none of these sets' or
        # calls' (it failed so, once, in a full run).
        gc.collect()
        collecting = gc.isenabled()
        gc.disable()
        sys.setprofile(profile)
        try:
            action()
        finally:
            sys.setprofile(None)
            if collecting:
                gc.enable()
        return entered

    def test_sets_run_no_code_of_mockpools(self) -> None:
        """Ordinary sets, of a plain name and of a property, add no frame."""
        built = mock.MagicMock()
        package = os.path.dirname(mockpool.__file__)

        def sets() -> None:
            built.attribute = 1
            built.called = True

        entered = self.entered(sets)
        self.assertTrue(entered)  # the stdlib's own frames were seen
        self.assertEqual([name for name, _ in entered if name.startswith(package)], [])

    def test_a_call_takes_fewer_frames_than_the_stdlibs(self) -> None:
        """A call runs mockpool's __call__, its recording and its records'
        maker once per record, in place of the stdlib's four methods, two
        properties, and the frames its five property writes and its
        records took."""
        if not calling.CALLS_DIRECTLY:
            self.skipTest("this interpreter's __call__ is kept")
        package = os.path.dirname(mockpool.__file__)
        counts = {}
        for accelerated in (False, True):
            if not accelerated:
                plain.disable()
            try:
                built = mock.MagicMock()
                _ = built.return_value  # the child a call returns, made now
                entered = self.entered(functools.partial(built, 1))
            finally:
                if not accelerated:
                    plain.enable()
            ours = [name for file, name in entered if file.startswith(package)]
            expected = (
                ["accelerated_call", "record_call", "_record", "_record"]
                if accelerated
                else []
            )
            self.assertEqual(ours, expected)
            counts[accelerated] = len(entered)
        self.assertLess(counts[True], counts[False] - 10)

    def test_a_magic_method_set_lets_go_of_the_class_at_once(self) -> None:
        """The class is no longer kept once the test's value is on it."""
        values: tuple[Any, ...] = (
            mock.Mock(return_value=iter([])),
            lambda self: iter([]),
        )
        for value in values:
            built = mock.MagicMock()
            self.assertEqual(plain.held_references(type(built)), 1)
            built.__iter__ = value
            self.assertEqual(plain.held_references(type(built)), 0)
            self.assertEqual(list(built), [])

    def test_the_stdlib_setattr_is_copied_only_from_its_own_source(self) -> None:
        """No source, or one that is not the running function's -- edited,
        moved, or cut short -- : not copied (the caller wraps the stdlib's
        function instead)."""
        import linecache

        from mockpool._autospec.plain import releasing_setattr

        self.assertIsNotNone(releasing_setattr.releasing_stdlib_setattr())
        code = mock.NonCallableMock.__setattr__.__code__
        real = linecache.getlines(code.co_filename)
        lines, first = inspect.getsourcelines(mock.NonCallableMock.__setattr__)
        self.assertEqual(releasing_setattr.source_lines(code), (lines, first))
        body = slice(first - 1, first - 1 + len(lines))
        edited = [line.replace("Cannot set", "May not set") for line in real]
        # The function's last statement gone: what a wrong cut would read.
        last = max(n for n, line in enumerate(real[body]) if line.strip())
        shortened = [*real[: first - 1 + last], "\n", *real[first + last :]]
        # An extra line above it: its def is no longer on the running line.
        moved = ["\n", *real]
        for name, fake in (
            ("no source", []),
            ("edited", edited),
            ("cut short", shortened),
            ("moved", moved),
        ):
            with (
                self.subTest(name),
                mock.patch.object(linecache, "getlines", return_value=fake),
            ):
                self.assertIsNone(releasing_setattr.releasing_stdlib_setattr())

    def test_the_source_is_read_only_to_the_block_end_when_not_cached(self) -> None:
        """Without linecache holding the stdlib's file (as at import), the
        block read from the file is the one linecache would give, and the
        file is not put into linecache; the copy is still made."""
        import linecache

        from mockpool._autospec.plain import releasing_setattr

        code = mock.NonCallableMock.__setattr__.__code__
        expected = inspect.getsourcelines(mock.NonCallableMock.__setattr__)
        held = linecache.cache.pop(code.co_filename, None)
        try:
            self.assertEqual(releasing_setattr.source_lines(code), expected)
            self.assertIsNotNone(releasing_setattr.releasing_stdlib_setattr())
            self.assertNotIn(code.co_filename, linecache.cache)
        finally:
            if held is not None:
                linecache.cache[code.co_filename] = held

    def test_the_source_is_read_as_python_reads_a_block(self) -> None:
        """Comments (at the margin too) and blank lines inside stay; the
        block ends at the first statement as far left as its def (read from
        the file, or from linecache: the same lines)."""
        import linecache

        from mockpool._autospec.plain import releasing_setattr

        source = (
            "x = 1\n"
            "def sample(value):\n"
            "    if value:\n"
            "# a comment at the margin does not end the block\n"
            "        value += 1\n"
            "\n"
            "    return value\n"
            "\n"
            "y = 2\n"
        )
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "sample.py")
            with open(path, "w") as file:
                file.write(source)
            made: dict[str, Any] = {}
            exec(compile(source, path, "exec"), made)
            found = releasing_setattr.source_lines(made["sample"].__code__)
            # The same read through linecache (a file it holds).
            linecache.checkcache(path)
            linecache.getlines(path)
            try:
                cached = releasing_setattr.source_lines(made["sample"].__code__)
            finally:
                linecache.checkcache(path)
                linecache.cache.pop(path, None)
        self.assertEqual(found, (source.splitlines(keepends=True)[1:7], 2))
        self.assertEqual(cached, found)


class SwitchTests(unittest.TestCase):
    """enable() and disable(): nesting, identity, mocks that outlive them."""

    # AsyncMagicMixin has an __init__ of its own before 3.13 only.
    _ATTRIBUTES = tuple(
        (klass, name)
        for klass, name in (
            (mock.NonCallableMock, "__new__"),
            (mock.NonCallableMock, "_mock_add_spec"),
            (mock.NonCallableMock, "__setattr__"),
            (vars(mock)["MagicMixin"], "__init__"),
            (vars(mock)["AsyncMagicMixin"], "__init__"),
        )
        if name in vars(klass)
    )

    def _current(self) -> list[Any]:
        return [klass.__dict__[name] for klass, name in self._ATTRIBUTES]

    def test_disable_restores_the_stdlib_objects(self) -> None:
        """After the last disable the classes hold the stdlib's own objects."""
        before = self._current()
        plain.enable()
        plain.enable()
        self.assertTrue(plain.enabled())
        plain.disable()
        self.assertTrue(plain.enabled())
        self.assertTrue(all(a is not b for a, b in zip(self._current(), before)))
        plain.disable()
        self.assertFalse(plain.enabled())
        self.assertTrue(all(a is b for a, b in zip(self._current(), before)))

    def test_disable_without_enable_raises(self) -> None:
        """An unmatched disable() is an error that says what to do."""
        with self.assertRaisesRegex(RuntimeError, "call enable"):
            plain.disable()

    def test_install_enables_and_uninstall_disables(self) -> None:
        """mockpool.install() turns the acceleration on; uninstall() off."""
        before = self._current()
        with mockpool.install():
            self.assertTrue(plain.enabled())
        self.assertFalse(plain.enabled())
        self.assertTrue(all(a is b for a, b in zip(self._current(), before)))

    def test_mocks_built_while_enabled_work_after_disable(self) -> None:
        """Children, magic methods, reset and seal all work once disabled."""
        with accelerated():
            built = mock.MagicMock(spec=Spec)
            bare = mock.MagicMock()
            coroutine = mock.AsyncMock()
        built.child(1)
        built.child.assert_called_once_with(1)
        self.assertEqual(len(built), 0)
        bare.__len__.return_value = 2
        self.assertEqual(len(bare), 2)
        bare.a.b.c(1)
        bare.reset_mock(return_value=True, side_effect=True)
        mock.seal(bare)
        with self.assertRaises(AttributeError):
            bare.unknown
        self.assertIsInstance(asyncio.run(_await(coroutine)), mock.AsyncMock)
        coroutine.assert_awaited_once_with(1)

    def test_concurrent_builds_are_sound(self) -> None:
        """Mocks built in several threads at once each get their own class."""
        built: list[Any] = []
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for _ in range(100):
                    created = mock.MagicMock(spec=Spec)
                    created.child(1)
                    built.append(created)
                    built.append(mock.MagicMock().a.b)
            except BaseException as exc:  # reported below
                errors.append(exc)

        with accelerated():
            threads = [threading.Thread(target=worker) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(len({id(type(m)) for m in built}), len(built))
        for created in built:
            proxy = vars(type(created)).get("__len__")
            if proxy is not None:
                self.assertIs(plain.proxy_parent(type(created), proxy), created)


if __name__ == "__main__":
    unittest.main()
