"""Legal but hostile uses of ``unittest.mock``, one per test (not discovered).

Every test here passes under plain ``python -m unittest tests._hostile_cases``
on every supported Python. tests/test_hostile_uses.py runs this module in
subprocesses, plainly and under ``python -m mockpool run``, and checks that
each test has the same outcome both ways: mockpool must never break a legal
test, whatever the test does with mocks, with the modules mockpool scans for
leaks, or with the process mockpool shares with it (``sys.modules``,
``os.environ``, ``builtins``, clocks, standard streams, warnings, threads,
the garbage collector).

Each test's docstring states the hostile use. The module imports
:mod:`tests._hostile_module`, so the leak check scans that module too, and
it holds hostile values at module level and in class namespaces itself.
Test order matters only within :class:`ClassWideClocks` and
:class:`RecyclingAfterHostileUse`, whose tests run in name order (as
unittest runs them).
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import copy
import functools
import gc
import inspect
import io
import itertools
import os
import queue
import sys
import threading
import time
import types
import unittest
import warnings
import weakref
from collections.abc import Iterator
from typing import Any, ClassVar, NoReturn
from unittest import mock

from tests import _hostile_module as helper

#: More instance autospecs than mockpool's adapter takes between two memory
#: readings (64), so that a reading happens while the test's patch is active.
MANY = 70


class NoAttributes:
    """Every attribute access raises AttributeError (``__class__`` included)."""

    def __getattribute__(self, name: str) -> NoReturn:
        raise AttributeError(f"hostile: no attribute {name!r}")


# Module-level hostile values: the leak check scans this module's namespace.
NO_ATTRIBUTES = NoAttributes()
RAISES_ON_EQ = helper.RaisingEq()
RAISES_ON_HASH = helper.RaisingHash()
RAISES_ON_REPR = helper.RaisingRepr()
RAISES_ON_BOOL = helper.RaisingBool()


class Gateway:
    """An ordinary collaborator that the cases autospec."""

    retries = 3

    def send(self, payload: object, *, timeout: float = 1.0) -> int:
        return 0

    def close(self) -> None:
        pass


class AsyncClient:
    """A collaborator with coroutine methods."""

    async def fetch(self, key: str) -> bytes:
        return b""

    def sync_name(self) -> str:
        return "client"


# -- classes with hostile metaclasses -----------------------------------------


class DynamicMeta(type):
    """A metaclass whose ``__getattr__`` answers names the class lacks."""

    def __getattr__(cls, name: str) -> str:
        if name.startswith("dynamic_"):
            return f"made up {name}"
        raise AttributeError(name)


class Dynamic(metaclass=DynamicMeta):
    def method(self, value: int) -> int:
        return value


#: Whether :class:`SwitchMeta` hands out the two-argument ``ping``.
SWITCH: list[bool] = [False]


def _ping_two(self: Any, first: int, second: int) -> None:
    pass


class SwitchMeta(type):
    """A metaclass ``__getattribute__`` whose answer for ``ping`` can change.

    The class's ``__dict__`` never changes: only the hook's answer does.
    """

    def __getattribute__(cls, name: str) -> Any:
        if name == "ping" and SWITCH[0]:
            return _ping_two
        return super().__getattribute__(name)


class Switch(metaclass=SwitchMeta):
    def ping(self) -> None:
        pass


# -- classes with unusual members ----------------------------------------------


class Slotted:
    """A class with ``__slots__`` (and a weakref slot)."""

    __slots__ = ("__weakref__", "x", "y")

    def method(self, value: int) -> int:
        return value


class Changeable:
    """A class whose method is changed in place by a test (and restored)."""

    def method(self, value: int) -> int:
        return value


def _two_arguments(self: Any, first: int, second: int) -> int:
    return first + second


class PluginBase:
    """Records every subclass through ``__init_subclass__`` with a keyword."""

    registry: ClassVar[list[str]] = []

    def __init_subclass__(cls, /, key: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        PluginBase.registry.append(key)

    def run(self, job: str) -> str:
        return job


class Plugin(PluginBase, key="plugin"):
    def extra(self) -> None:
        pass


class RaisesOnInstances:
    """A descriptor that raises RuntimeError when read from an instance."""

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        raise RuntimeError("hostile: descriptor read on an instance")


class HiddenFromTheClass:
    """A descriptor that raises AttributeError when read from the class."""

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            raise AttributeError("hostile: not on the class")
        return 1


class RaisesOnTheClass:
    """A descriptor that raises RuntimeError even when read from the class."""

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        raise RuntimeError("hostile: descriptor read on the class")


class WithDescriptors:
    on_instances = RaisesOnInstances()
    hidden = HiddenFromTheClass()

    def method(self) -> None:
        pass


class WithRaisingClassDescriptor:
    broken = RaisesOnTheClass()

    def method(self) -> None:
        pass


class WithRaisingProperties:
    """Properties that raise, of three kinds, and a raising cached_property."""

    @property
    def runtime(self) -> int:
        raise RuntimeError("hostile: property")

    @property
    def missing(self) -> int:
        raise AttributeError("hostile: property")

    @property
    def invalid(self) -> int:
        raise ValueError("hostile: property")

    @functools.cached_property
    def cached(self) -> int:
        raise RuntimeError("hostile: cached_property")

    def method(self, value: int) -> int:
        return value


class WithHostileClassValues:
    """Class attributes that are hostile values, beside an ordinary method."""

    no_attributes = NO_ATTRIBUTES
    raises_on_eq = RAISES_ON_EQ
    raises_on_hash = RAISES_ON_HASH
    raises_on_repr = RAISES_ON_REPR
    raises_on_bool = RAISES_ON_BOOL

    def method(self, value: object) -> object:
        return value


def _logged(function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return wrapper


def combine(first: int, second: str, *, third: float = 0.0) -> str:
    return f"{first}{second}{third}"


class WithFunctoolsMembers:
    """Methods made by functools: wraps-decorated and partialmethod."""

    @_logged
    def decorated(self, key: str, *, default: int = 0) -> int:
        return default

    def _both(self, first: int, second: int) -> int:
        return first + second

    first_is_one = functools.partialmethod(_both, 1)


# -- containers that patch.dict accepts ----------------------------------------


class Registry:
    """Not a mapping: only ``__getitem__``, ``__setitem__``, ``__delitem__``
    and ``__iter__`` -- no ``keys``, ``items``, ``copy``, ``update``,
    ``clear`` or ``__len__``. ``patch.dict`` supports exactly this."""

    def __init__(self, **items: object) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> object:
        return self._items[key]

    def __setitem__(self, key: str, value: object) -> None:
        self._items[key] = value

    def __delitem__(self, key: str) -> None:
        del self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._items))

    def snapshot(self) -> dict[str, object]:
        return dict(self._items)


class FreshValues(collections.abc.MutableMapping[str, Any]):
    """A mapping that builds a new value object, which cannot be compared
    (its ``__eq__`` raises), on every read -- as ``os.environ`` decodes a new
    str on every read."""

    def __init__(self, **items: int) -> None:
        self._raw = dict(items)

    def __getitem__(self, key: str) -> Any:
        raw = self._raw[key]
        value = helper.RaisingEq()
        value.raw = raw  # type: ignore[attr-defined]
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._raw[key] = getattr(value, "raw", value)

    def __delitem__(self, key: str) -> None:
        del self._raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._raw))

    def __len__(self) -> int:
        return len(self._raw)


def _missing_dependency(name: str) -> NoReturn:
    raise ImportError(f"hostile: install the extra to use {name!r}")


#: A module object with no ``__file__`` whose ``__getattr__`` raises
#: ImportError, as stand-ins for missing optional dependencies are made; the
#: leak check scans this module's namespace, which holds it.
OPTIONAL_STUB = types.ModuleType("hostile_optional_stub")
OPTIONAL_STUB.__getattr__ = _missing_dependency  # type: ignore[method-assign]


#: A global that a test rebinds and restores itself.
REBOUND = "original"
REGISTRY = Registry(a=1)
OTHER_REGISTRY = Registry(x="x")
SETTINGS: dict[str, object] = {"mode": "prod"}
FRESH = FreshValues(a=1)


# -- the cases -------------------------------------------------------------------


class BuiltinsPatched(unittest.TestCase):
    def test_patching_builtins_open_with_mock_open_while_autospeccing(self) -> None:
        """builtins.open is a mock_open while the test autospecs 70 mocks."""
        fake = mock.mock_open(read_data="patched")
        with mock.patch("builtins.open", fake):
            mocks = [mock.create_autospec(Gateway, instance=True) for _ in range(MANY)]
            with open("no-such-file.txt") as stream:
                text = stream.read()
        self.assertEqual(text, "patched")
        fake.assert_called_once_with("no-such-file.txt")
        self.assertEqual(len(mocks), MANY)

    def test_patching_builtins_print_while_autospeccing(self) -> None:
        """builtins.print is a mock while the test autospecs and patches."""
        with mock.patch("builtins.print") as fake_print:
            gateway = mock.create_autospec(Gateway, instance=True)
            gateway.send(b"x")
            with mock.patch.object(Gateway, "close", autospec=True):
                Gateway().close()
            print("only this")
        fake_print.assert_called_once_with("only this")


class ClocksAndStreams(unittest.TestCase):
    def test_clocks_patched_with_finite_side_effects_while_autospeccing(
        self,
    ) -> None:
        """time.perf_counter and time.monotonic are mocks with exactly as many
        readings as the test's own code takes, while the test autospecs."""
        with contextlib.ExitStack() as stack:
            perf = stack.enter_context(
                mock.patch("time.perf_counter", side_effect=[10.0, 12.5])
            )
            monotonic = stack.enter_context(
                mock.patch("time.monotonic", side_effect=[7.0])
            )
            start = time.perf_counter()
            gateway = mock.create_autospec(Gateway, instance=True)
            klass = mock.create_autospec(Gateway)
            with mock.patch.object(Gateway, "close", autospec=True):
                gateway.send(b"x")
                klass().close()
            elapsed = time.perf_counter() - start
            now = time.monotonic()
        self.assertEqual((elapsed, now), (2.5, 7.0))
        self.assertEqual((perf.call_count, monotonic.call_count), (2, 1))

    def test_standard_streams_replaced_and_nothing_written(self) -> None:
        """sys.stdout and sys.stderr are StringIO objects, and the test asserts
        that its code (autospeccing 70 mocks, patching) wrote nothing."""
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(mock.patch("sys.stdout", new=io.StringIO()))
            err = stack.enter_context(mock.patch("sys.stderr", new=io.StringIO()))
            mocks = [mock.create_autospec(Gateway, instance=True) for _ in range(MANY)]
            with mock.patch.object(Gateway, "send", autospec=True):
                Gateway().send(b"x")
        self.assertEqual((out.getvalue(), err.getvalue()), ("", ""))
        self.assertEqual(len(mocks), MANY)


class ClassWideClocks(unittest.TestCase):
    """Its tests share clocks patched for the whole class in setUpClass."""

    @classmethod
    def setUpClass(cls) -> None:
        for name, start in (("time.monotonic", 100.0), ("time.time", 5000.0)):
            patcher = mock.patch(name, side_effect=itertools.count(start))
            patcher.start()
            cls.addClassCleanup(patcher.stop)

    def test_1_first_readings(self) -> None:
        """time.monotonic and time.time patched in setUpClass: the first test
        reads each clock's first value."""
        mock.create_autospec(Gateway, instance=True).send(b"x")
        self.assertEqual((time.monotonic(), time.time()), (100.0, 5000.0))

    def test_2_second_readings(self) -> None:
        """The second test reads each clock's second value: nothing else read
        the class-wide clocks between the two tests."""
        mock.create_autospec(Gateway, instance=True).send(b"y")
        self.assertEqual((time.monotonic(), time.time()), (101.0, 5001.0))


class Descriptors(unittest.TestCase):
    def test_autospec_of_class_with_descriptors_that_raise_on_instances(self) -> None:
        """Descriptors raising on instance reads (RuntimeError) or class reads
        (AttributeError) in an instance autospec."""
        for _ in range(2):
            mocked = mock.create_autospec(WithDescriptors, instance=True)
            self.assertIsInstance(mocked.on_instances, mock.NonCallableMock)
            mocked.method()
            with self.assertRaises(TypeError):
                mocked.method(1)
        with self.assertRaises(RuntimeError):
            WithDescriptors().on_instances

    def test_autospec_of_class_with_descriptor_raising_on_the_class(self) -> None:
        """A descriptor raising RuntimeError on the class: create_autospec
        raises it, every time."""
        for _ in range(2):
            with self.assertRaisesRegex(RuntimeError, "read on the class"):
                mock.create_autospec(WithRaisingClassDescriptor, instance=True)

    def test_autospec_of_class_whose_properties_raise(self) -> None:
        """create_autospec(cls, instance=True) of a class whose properties
        (and cached_property) raise RuntimeError, AttributeError, ValueError."""
        for spec_set in (False, True):
            mocked = mock.create_autospec(
                WithRaisingProperties, spec_set=spec_set, instance=True
            )
            for name in ("runtime", "missing", "invalid", "cached"):
                self.assertIsInstance(getattr(mocked, name), mock.NonCallableMock)
            self.assertIsInstance(mocked.method(1), mock.MagicMock)
            with self.assertRaises(AttributeError):
                mocked.not_there
        with mock.patch.object(
            WithRaisingProperties, "runtime", new_callable=mock.PropertyMock
        ) as runtime:
            runtime.return_value = 5
            self.assertEqual(WithRaisingProperties().runtime, 5)
        with self.assertRaises(RuntimeError):
            WithRaisingProperties().runtime


class DeletedAttributes(unittest.TestCase):
    def test_deleting_attributes_of_mocks(self) -> None:
        """del mock.attr, then AttributeError: on an instance autospec (before
        and after first access), a MagicMock magic method and twice over."""
        gateway = mock.create_autospec(Gateway, instance=True)
        del gateway.send
        with self.assertRaises(AttributeError):
            gateway.send
        gateway.close()
        del gateway.close
        with self.assertRaises(AttributeError):
            gateway.close()
        with self.assertRaises(AttributeError):
            del gateway.close
        magic = mock.MagicMock()
        del magic.__len__
        with self.assertRaises(TypeError):
            len(magic)
        plain = mock.Mock()
        plain.child.return_value = 1
        del plain.child
        with self.assertRaises(AttributeError):
            plain.child


class FunctoolsSpecs(unittest.TestCase):
    def test_autospec_of_a_functools_partial(self) -> None:
        """create_autospec and patch(autospec=True) of a functools.partial."""
        spec = functools.partial(combine, 1, third=2.0)
        mocked = mock.create_autospec(spec)
        mocked("two")
        mocked.assert_called_once_with("two")
        self.assertIsInstance(mocked.func, types.FunctionType)
        holder = types.SimpleNamespace(combine=spec)
        with mock.patch.object(holder, "combine", autospec=True) as patched:
            holder.combine("x", third=3.0)
            patched.assert_called_once_with("x", third=3.0)
        self.assertIs(holder.combine, spec)

    def test_autospec_of_wraps_decorated_functions(self) -> None:
        """create_autospec and patch(autospec=True) of functools.wraps-decorated
        functions: the signature is the wrapped one."""
        mocked = mock.create_autospec(helper.decorated_fetch, return_value=3)
        self.assertEqual(mocked("k", default=1), 3)
        with self.assertRaises(TypeError):
            mocked()
        with mock.patch(
            "tests._hostile_module.decorated_fetch", autospec=True
        ) as patched:
            helper.decorated_fetch("key")
            patched.assert_called_once_with("key")
            with self.assertRaises(TypeError):
                helper.decorated_fetch("key", 1)
        self.assertEqual(helper.decorated_fetch("k", default=5), 5)

    def test_autospec_of_class_with_wraps_and_partialmethod_members(self) -> None:
        """create_autospec(cls, instance=True) of a class with a wraps-decorated
        method and a functools.partialmethod."""
        mocked = mock.create_autospec(WithFunctoolsMembers, instance=True)
        mocked.decorated("k", default=2)
        mocked.decorated.assert_called_once_with("k", default=2)
        with self.assertRaises(TypeError):
            mocked.decorated()
        # Whatever signature autospec gives a partialmethod, calls bind to it.
        arguments = range(len(inspect.signature(mocked.first_is_one).parameters))
        mocked.first_is_one(*arguments)
        self.assertEqual(mocked.first_is_one.call_count, 1)
        with mock.patch.object(WithFunctoolsMembers, "decorated", autospec=True):
            instance = WithFunctoolsMembers()
            instance.decorated("k")
            with self.assertRaises(TypeError):
                instance.decorated()


class HostileNamespaces(unittest.TestCase):
    """Its own namespace holds values the leak check must skip over safely."""

    every_access_raises = helper.EVERY_ACCESS_RAISES
    no_attributes = NO_ATTRIBUTES
    raises_on_eq = RAISES_ON_EQ
    raises_on_hash = RAISES_ON_HASH
    raises_on_repr = RAISES_ON_REPR
    raises_on_bool = RAISES_ON_BOOL

    def test_patching_beside_hostile_module_and_class_values(self) -> None:
        """Patches in a module whose namespace (and classes) hold objects whose
        every attribute access raises, and raising __eq__/__hash__/__repr__/
        __bool__ values."""
        with mock.patch.object(helper, "plain_function", return_value=3):
            self.assertEqual(helper.plain_function(1), 3)
        with mock.patch(f"{__name__}.Gateway.retries", 5):
            self.assertEqual(Gateway.retries, 5)
        self.assertEqual(helper.plain_function(1), 1)

    def test_hostile_values_passed_to_mocks(self) -> None:
        """Objects with raising __eq__, __hash__, __repr__, __bool__ (and one
        with no attributes) as call arguments, return values and side effects
        of mocks and of an instance autospec, and as specs."""
        values = (
            NO_ATTRIBUTES,
            RAISES_ON_EQ,
            RAISES_ON_HASH,
            RAISES_ON_REPR,
            RAISES_ON_BOOL,
            helper.EVERY_ACCESS_RAISES,
        )
        gateway = mock.create_autospec(Gateway, instance=True)
        plain = mock.MagicMock()
        for value in values:
            gateway.send(value)
            gateway.send.assert_called_with(value)
            plain(value, key=value)
            plain.assert_called_with(value, key=value)
        gateway.send.assert_any_call(NO_ATTRIBUTES)
        self.assertEqual(gateway.send.call_count, len(values))
        for value in values[:-1]:
            gateway.close.return_value = value
            self.assertIs(gateway.close(), value)
            plain.method.side_effect = [value]
            self.assertIs(plain.method(), value)
        gateway.extra = NO_ATTRIBUTES
        self.assertIs(gateway.extra, NO_ATTRIBUTES)
        # Not RAISES_ON_BOOL: from 3.13 the stdlib itself tests a spec's truth.
        for spec in (RAISES_ON_EQ, RAISES_ON_HASH, RAISES_ON_REPR):
            for spec_set in (False, True):
                specced = mock.create_autospec(spec, spec_set=spec_set)
                self.assertIsInstance(specced, mock.NonCallableMock)
            self.assertIsInstance(mock.Mock(spec=spec), mock.NonCallableMock)

    def test_autospec_of_class_holding_hostile_values(self) -> None:
        """create_autospec(cls, instance=True) of a class whose namespace holds
        raising __eq__/__hash__/__repr__/__bool__ values and an object without
        attributes; and of one holding an object whose every attribute access
        raises RuntimeError, which fails as the stdlib fails."""
        for _ in range(2):
            mocked = mock.create_autospec(WithHostileClassValues, instance=True)
            mocked.method(RAISES_ON_EQ)
            mocked.method.assert_called_once_with(RAISES_ON_EQ)
            for name in ("raises_on_eq", "raises_on_hash", "raises_on_bool"):
                self.assertIsInstance(getattr(mocked, name), mock.NonCallableMock)
            with self.assertRaisesRegex(RuntimeError, "no attribute access"):
                mock.create_autospec(helper.HostileValues, instance=True)


class Metaclasses(unittest.TestCase):
    def test_autospec_of_class_whose_metaclass_has_getattr(self) -> None:
        """create_autospec of a class whose metaclass __getattr__ invents names."""
        self.assertEqual(Dynamic.dynamic_name, "made up dynamic_name")
        for _ in range(2):
            mocked = mock.create_autospec(Dynamic, instance=True)
            mocked.method(1)
            with self.assertRaises(AttributeError):
                mocked.dynamic_name
            klass = mock.create_autospec(Dynamic)
            klass().method(2)
            klass.return_value.method.assert_called_once_with(2)

    def test_autospec_follows_a_metaclass_getattribute_that_changes(self) -> None:
        """A metaclass __getattribute__ answers differently between two
        autospecs, with the class __dict__ unchanged."""
        self.addCleanup(SWITCH.__setitem__, 0, False)
        before = mock.create_autospec(Switch, instance=True)
        before.ping()
        SWITCH[0] = True
        after = mock.create_autospec(Switch, instance=True)
        after.ping(1, 2)
        with self.assertRaises(TypeError):
            after.ping()

    def test_patch_object_on_class_whose_metaclass_hides_its_dict(self) -> None:
        """patch.object on a class whose metaclass raises AttributeError for
        __dict__ (patch falls back to getattr/delattr/setattr)."""
        original = vars(helper.HidesDictMeta)["__getattribute__"]
        with mock.patch.object(helper.HidesItsDict, "method", return_value="fake"):
            self.assertEqual(helper.HidesItsDict().method(), "fake")
        self.assertEqual(helper.HidesItsDict().method(), "real")
        self.assertIs(vars(helper.HidesDictMeta)["__getattribute__"], original)
        with self.assertRaises(AttributeError):
            helper.HidesItsDict.__dict__

    def test_autospec_of_class_whose_metaclass_eq_and_hash_raise(self) -> None:
        """create_autospec of a class that is unhashable and raises on ==
        (its metaclass's __eq__ and __hash__ raise)."""
        for _ in range(2):
            mocked = mock.create_autospec(helper.UnhashableClass, instance=True)
            mocked.method(1)
            mocked.method.assert_called_once_with(1)
            with self.assertRaises(TypeError):
                mocked.method()
        spec_only = mock.Mock(spec=helper.UnhashableClass)
        spec_only.method(2)
        with self.assertRaises(AttributeError):
            spec_only.other


class ModuleGetattr(unittest.TestCase):
    def test_patch_of_a_name_the_module_getattr_provides(self) -> None:
        """patch() by name of an attribute only a module-level __getattr__
        provides; afterwards the module is lazy again."""
        with mock.patch("tests._hostile_module.lazy_answer", return_value=7):
            self.assertEqual(helper.lazy_answer(), 7)
        self.assertEqual(helper.lazy_answer(), 42)
        self.assertNotIn("lazy_answer", vars(helper))

    def test_patch_object_autospec_of_a_name_the_module_getattr_provides(
        self,
    ) -> None:
        """patch.object(module, name, autospec=True) of a lazily provided name."""
        with mock.patch.object(helper, "lazy_answer", autospec=True) as fake:
            fake.return_value = 1
            self.assertEqual(helper.lazy_answer(), 1)
            with self.assertRaises(TypeError):
                helper.lazy_answer(1)
        fake.assert_called_once_with()
        self.assertNotIn("lazy_answer", vars(helper))

    def test_module_getattr_raising_lookup_error_for_other_names(self) -> None:
        """A module whose __getattr__ raises LookupError (not AttributeError):
        hasattr() and patch.object(create=True) raise it."""
        with self.assertRaises(LookupError):
            hasattr(helper, "not_there")
        patcher = mock.patch.object(helper, "not_there", create=True)
        with self.assertRaises(LookupError), patcher:
            pass
        self.assertNotIn("not_there", vars(helper))

    def test_stub_module_without_file_whose_getattr_raises(self) -> None:
        """A module object with no __file__ whose __getattr__ raises
        ImportError, held at module level; patch.dict of its namespace."""
        with self.assertRaises(ImportError):
            OPTIONAL_STUB.feature
        with mock.patch.dict(vars(OPTIONAL_STUB), {"feature": mock.Mock()}):
            OPTIONAL_STUB.feature(1)
            OPTIONAL_STUB.feature.assert_called_once_with(1)
        self.assertNotIn("feature", vars(OPTIONAL_STUB))

    def test_patch_dict_of_a_module_dict(self) -> None:
        """patch.dict(module.__dict__) shadowing a lazily provided name."""
        with mock.patch.dict(vars(helper), {"lazy_answer": lambda: 0}):
            self.assertEqual(helper.lazy_answer(), 0)
        self.assertEqual(helper.lazy_answer(), 42)


class PatchTargets(unittest.TestCase):
    def test_global_rebound_by_the_test_around_a_patch(self) -> None:
        """The test rebinds a module global, patches it by name, then puts the
        original back itself (as CPython's test_object_lookup_is_quite_lazy)."""
        global REBOUND
        original = REBOUND
        try:
            REBOUND = "replacement"
            with mock.patch(f"{__name__}.REBOUND", "patched"):
                self.assertEqual(REBOUND, "patched")
            self.assertEqual(REBOUND, "replacement")
        finally:
            REBOUND = original
        self.assertEqual(REBOUND, "original")

    def test_patch_of_an_attribute_a_mock_made_on_access(self) -> None:
        """patch.object of a child a Mock made on first access (patch restores
        it with setattr, which puts it in the mock's __dict__)."""
        target = mock.Mock()
        child = target.squozz
        with mock.patch.object(target, "squozz", "patched"):
            self.assertEqual(target.squozz, "patched")
        self.assertIs(target.squozz, child)
        with mock.patch.dict(sys.modules, {"hostile_mock_module": target}):
            with mock.patch("hostile_mock_module.other", "patched"):
                self.assertEqual(target.other, "patched")
            self.assertIsInstance(target.other, mock.Mock)


class PatchDictContainers(unittest.TestCase):
    def test_patch_dict_on_a_non_mapping_container(self) -> None:
        """patch.dict on an object with only __getitem__, __setitem__,
        __delitem__ and __iter__."""
        with mock.patch.dict(REGISTRY, {"b": 2}):
            self.assertEqual(REGISTRY.snapshot(), {"a": 1, "b": 2})
        self.assertEqual(REGISTRY.snapshot(), {"a": 1})

    def test_patch_dict_clear_on_a_non_mapping_container(self) -> None:
        """patch.dict(container, clear=True) on a non-mapping container."""
        with mock.patch.dict(REGISTRY, {"c": 3}, clear=True):
            self.assertEqual(REGISTRY.snapshot(), {"c": 3})
        self.assertEqual(REGISTRY.snapshot(), {"a": 1})

    @mock.patch.dict(SETTINGS, {"mode": "outer"})
    @mock.patch.dict(OTHER_REGISTRY, {"y": "y"}, clear=True)
    def test_nested_patch_dict_on_containers_and_dicts(self) -> None:
        """Nested patch.dict: decorators and with-blocks, clear=True, on a
        non-mapping container and a dict, the same container twice."""
        self.assertEqual(OTHER_REGISTRY.snapshot(), {"y": "y"})
        with mock.patch.dict(OTHER_REGISTRY, {"z": "z"}):
            with mock.patch.dict(SETTINGS, {"mode": "inner"}, clear=True):
                self.assertEqual(SETTINGS, {"mode": "inner"})
                self.assertEqual(OTHER_REGISTRY.snapshot(), {"y": "y", "z": "z"})
            self.assertEqual(SETTINGS, {"mode": "outer"})
        self.assertEqual(OTHER_REGISTRY.snapshot(), {"y": "y"})

    def test_patch_dict_on_a_mapping_of_uncomparable_fresh_values(self) -> None:
        """patch.dict on a MutableMapping that builds a new value, whose __eq__
        raises, on every read."""
        with mock.patch.dict(FRESH, {"b": 2}):
            self.assertEqual(sorted(FRESH), ["a", "b"])
        self.assertEqual(sorted(FRESH), ["a"])

    def test_patch_dict_of_os_environ_with_clear_while_autospeccing(self) -> None:
        """patch.dict(os.environ, clear=True) while the test autospecs: the
        environment inside holds only what the test put there."""
        before = dict(os.environ)
        with mock.patch.dict(os.environ, {"ONLY_THIS": "1"}, clear=True):
            mocks = [mock.create_autospec(Gateway, instance=True) for _ in range(MANY)]
            mocks[0].send(b"x")
            self.assertEqual(dict(os.environ), {"ONLY_THIS": "1"})
        self.assertEqual(dict(os.environ), before)

    def test_environment_is_unchanged_by_mocking(self) -> None:
        """A test asserting its code (which autospecs and patches) leaves
        os.environ exactly as it was."""
        before = dict(os.environ)
        for spec in (Gateway, AsyncClient, Slotted, Plugin):
            mock.create_autospec(spec, instance=True)
            mock.create_autospec(spec)
        with mock.patch.object(Gateway, "send", autospec=True):
            Gateway().send(b"x")
        self.assertEqual(dict(os.environ), before)


class SysModulesPatched(unittest.TestCase):
    def test_patch_dict_of_sys_modules_with_a_fake_module(self) -> None:
        """patch.dict(sys.modules) inserting a fake module that the test
        imports and autospecs."""
        fake = types.ModuleType("hostile_fake_module")
        fake.Gateway = Gateway  # type: ignore[attr-defined]
        with mock.patch.dict(sys.modules, {"hostile_fake_module": fake}):
            import hostile_fake_module  # type: ignore[import-not-found]

            mocked = mock.create_autospec(hostile_fake_module.Gateway, instance=True)
            mocked.send(b"x")
        self.assertNotIn("hostile_fake_module", sys.modules)

    def test_patch_dict_of_sys_modules_hiding_an_optional_dependency(self) -> None:
        """sys.modules["psutil"] = None (as tests of an optional dependency do)
        while the test autospecs 70 mocks."""
        with mock.patch.dict(sys.modules, {"psutil": None}):
            with self.assertRaises(ImportError):
                import psutil  # noqa: F401
            mocks = [mock.create_autospec(Gateway, instance=True) for _ in range(MANY)]
            mocks[-1].close()
        self.assertEqual(len(mocks), MANY)

    def test_patch_dict_of_sys_modules_with_clear(self) -> None:
        """patch.dict(sys.modules, clear=True) around mock calls."""
        with mock.patch.dict(sys.modules, clear=True):
            self.assertEqual(sys.modules, {})
            recorder = mock.Mock()
            recorder(1)
            recorder.assert_called_once_with(1)
        self.assertIn("unittest.mock", sys.modules)


#: Builtins a suite may patch for its own tests (a public one patches map).
_PATCHABLE_BUILTINS = ("map", "all", "any", "sum", "zip")


class BuiltinsTheTestUses(unittest.TestCase):
    """Tests that patch builtins the code under test uses, and assert on
    exactly the calls their mocks record, while they build mocks."""

    wrappers: ClassVar[list[Any]] = []
    noted: ClassVar[list[int]] = []

    @mock.patch("builtins.map")
    def test_patched_map_records_only_the_tests_calls(self, patched: Any) -> None:
        """builtins.map a MagicMock while the test builds plain, specced and
        autospecced mocks and patches: it records the one call made."""
        plain = mock.MagicMock()
        plain.a.b.c(1)
        specced = mock.Mock(spec=Gateway)
        specced.send(b"x")
        autospecced = mock.create_autospec(Gateway, instance=True)
        autospecced.send(b"x")
        with mock.patch.object(Gateway, "send", autospec=True):
            Gateway().send(b"y")
        with mock.patch.dict(os.environ, {"HOSTILE": "1"}):
            pass
        map(str, [1, 2])  # the call the test asserts on
        patched.assert_called_once_with(str, [1, 2])

    @classmethod
    def setUpClass(cls) -> None:
        # For the whole class, around every test and what runs between
        # them: wrappers that count their calls and behave as the builtins.
        import builtins

        for name in _PATCHABLE_BUILTINS:
            patcher = mock.patch.object(builtins, name, wraps=getattr(builtins, name))
            cls.wrappers.append(patcher.start())
            cls.addClassCleanup(patcher.stop)

    def counts(self) -> list[int]:
        return [wrapper.call_count for wrapper in self.wrappers]

    def test_wrapped_builtins_1_left_alone_between_tests(self) -> None:
        """map, all, any, sum and zip patched for the class: nothing calls
        them between its tests (the first notes the counts)."""
        BuiltinsTheTestUses.noted = self.counts()
        with mock.patch.dict(os.environ, {"HOSTILE": "1"}):
            mock.MagicMock().a.b(1)

    def test_wrapped_builtins_2_left_alone_between_tests(self) -> None:
        """(The second finds them as the first left them.)"""
        self.assertEqual(self.counts(), BuiltinsTheTestUses.noted)


class Threads(unittest.TestCase):
    def test_mocks_passed_across_threads(self) -> None:
        """An instance autospec called from four threads (one call at a time:
        mocks do not count racing calls); another built in a worker thread and
        handed back through a queue."""
        gateway = mock.create_autospec(Gateway, instance=True)
        one_at_a_time = threading.Lock()

        def hammer(start: int) -> None:
            for index in range(start, start + 50):
                with one_at_a_time:
                    gateway.send(index)

        workers = [threading.Thread(target=hammer, args=(n * 50,)) for n in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        self.assertEqual(gateway.send.call_count, 200)
        handed: queue.Queue[Any] = queue.Queue()
        builder = threading.Thread(
            target=lambda: handed.put(mock.create_autospec(Gateway, instance=True))
        )
        builder.start()
        builder.join()
        built = handed.get_nowait()
        built.send(b"from the test's thread")
        built.send.assert_called_once_with(b"from the test's thread")

    def test_patch_started_in_a_thread_and_stopped_in_the_test(self) -> None:
        """A patcher started in a worker thread, used and stopped by the test."""
        patcher = mock.patch.object(Gateway, "close", autospec=True)
        started: list[Any] = []
        thread = threading.Thread(target=lambda: started.append(patcher.start()))
        thread.start()
        thread.join()
        try:
            Gateway().close()
            started[0].assert_called_once()
        finally:
            patcher.stop()
        self.assertNotIsInstance(vars(Gateway)["close"], mock.NonCallableMock)


class ReleasedObjects(unittest.TestCase):
    def test_argument_of_dropped_autospec_is_freed(self) -> None:
        """A weakref to an object passed to an instance autospec: the mock and
        the object dropped, gc.collect(), the object is dead."""
        payload = Gateway()
        ref = weakref.ref(payload)
        gateway = mock.create_autospec(Gateway, instance=True)
        gateway.send(payload)
        del gateway, payload
        gc.collect()
        self.assertIsNone(ref())

    def test_dropped_autospec_is_freed(self) -> None:
        """A weakref to an instance autospec itself: dropped, gc.collect(),
        the mock is dead."""
        gateway = mock.create_autospec(Gateway, instance=True)
        gateway.send(b"x")
        ref = weakref.ref(gateway)
        del gateway
        gc.collect()
        self.assertIsNone(ref())

    def test_argument_of_reset_autospec_is_freed(self) -> None:
        """An object passed to an instance autospec that is then reset_mock()ed
        (and kept): the object is dead after gc.collect()."""
        payload = Gateway()
        ref = weakref.ref(payload)
        gateway = mock.create_autospec(Gateway, instance=True)
        gateway.send(payload, timeout=2.0)
        gateway.reset_mock()
        del payload
        gc.collect()
        self.assertIsNone(ref())
        gateway.send.assert_not_called()


class RecyclingAfterHostileUse(unittest.TestCase):
    """Two tests in a row: the first mangles its mocks, the second checks
    that it gets mocks as a fresh build is."""

    def test_1_mangles_its_mocks(self) -> None:
        """Deletes, seals, respecs, wraps and configures instance autospecs."""
        deleted = mock.create_autospec(Gateway, instance=True)
        del deleted.send
        sealed = mock.create_autospec(Gateway, instance=True)
        sealed.send.return_value.configured = 1
        mock.seal(sealed)
        respecced = mock.create_autospec(Gateway, instance=True)
        respecced.mock_add_spec(["only"])
        configured = mock.create_autospec(Gateway, instance=True)
        configured.configure_mock(retries=NO_ATTRIBUTES, **{"send.return_value": 9})
        configured.attach_mock(mock.Mock(), "attached")
        configured.send(RAISES_ON_EQ)
        with self.assertRaises(AttributeError):
            deleted.send
        with self.assertRaises(AttributeError):
            sealed.send.return_value.other

    def test_2_gets_mocks_as_built(self) -> None:
        """Instance autospecs of the class the previous test mangled are as a
        fresh build is."""
        for _ in range(4):
            gateway = mock.create_autospec(Gateway, instance=True)
            self.assertEqual(gateway.mock_calls, [])
            self.assertIsInstance(gateway.send.return_value.anything, mock.Mock)
            self.assertIsInstance(gateway.retries, mock.NonCallableMock)
            gateway.send(b"x")
            with self.assertRaises(TypeError):
                gateway.send()
            with self.assertRaises(AttributeError):
                gateway.only
            with self.assertRaises(AttributeError):
                gateway.attached
            self.assertIsNot(gateway.send.return_value, 9)


class SpecialClasses(unittest.TestCase):
    def test_autospec_of_a_slotted_class(self) -> None:
        """create_autospec of a class with __slots__, spec_set and not."""
        mocked = mock.create_autospec(Slotted, instance=True)
        mocked.method(1)
        self.assertIsInstance(mocked.x, mock.NonCallableMock)
        strict = mock.create_autospec(Slotted, spec_set=True, instance=True)
        strict.x = 1
        with self.assertRaises(AttributeError):
            strict.z = 1
        self.assertIsNotNone(weakref.ref(strict)())
        with mock.patch.object(Slotted, "method", autospec=True) as patched:
            Slotted().method(3)
            patched.assert_called_once()

    def test_autospec_of_classes_with_init_subclass(self) -> None:
        """create_autospec of a base whose __init_subclass__ registers each
        subclass (with a required keyword), and of a subclass."""
        before = list(PluginBase.registry)
        for spec in (PluginBase, Plugin):
            instance = mock.create_autospec(spec, instance=True)
            instance.run("job")
            self.assertIsInstance(instance, spec)
            klass = mock.create_autospec(spec)
            klass().run("job")
        with self.assertRaises(AttributeError):
            mock.create_autospec(PluginBase, instance=True).extra
        self.assertEqual(PluginBase.registry, before)

    def test_method_changed_in_place_between_autospecs(self) -> None:
        """A method's __defaults__ and __code__ replaced in place (the class
        __dict__ unchanged) between two autospecs of its class."""
        function = Changeable.__dict__["method"]
        saved = (function.__code__, function.__defaults__)
        self.addCleanup(setattr, function, "__code__", saved[0])
        self.addCleanup(setattr, function, "__defaults__", saved[1])
        before = mock.create_autospec(Changeable, instance=True)
        with self.assertRaises(TypeError):
            before.method()
        function.__defaults__ = (1,)
        defaulted = mock.create_autospec(Changeable, instance=True)
        defaulted.method()
        function.__code__ = _two_arguments.__code__
        function.__defaults__ = None
        recoded = mock.create_autospec(Changeable, instance=True)
        recoded.method(1, 2)
        with self.assertRaises(TypeError):
            recoded.method(1)

    def test_deepcopy_of_an_instance_autospec(self) -> None:
        """copy.deepcopy and copy.copy of an instance autospec that has
        recorded calls, some of its methods never touched."""
        gateway = mock.create_autospec(Gateway, instance=True)
        gateway.send(b"x")
        duplicate = copy.deepcopy(gateway)
        self.assertEqual(duplicate.send.call_count, 1)
        duplicate.close()
        with self.assertRaises(TypeError):
            duplicate.send()
        self.assertEqual(gateway.close.call_count, 0)
        shallow = copy.copy(gateway)
        self.assertIsInstance(shallow, mock.NonCallableMock)

    def test_warnings_are_errors_while_autospeccing(self) -> None:
        """The test turns every warning into an error, then autospecs 70
        instance mocks and patches."""
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mocks = [mock.create_autospec(Gateway, instance=True) for _ in range(MANY)]
            with mock.patch.object(Gateway, "close", autospec=True):
                Gateway().close()
        self.assertEqual(len(mocks), MANY)

    def test_no_warnings_while_autospeccing(self) -> None:
        """The test records every warning and asserts there was none while it
        autospecs 70 instance mocks."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mocks = [mock.create_autospec(Gateway, instance=True) for _ in range(MANY)]
            del mocks
            gc.collect()
        self.assertEqual([str(w.message) for w in caught], [])


class AsyncCases(unittest.IsolatedAsyncioTestCase):
    client: Any

    async def asyncSetUp(self) -> None:
        self.client = mock.create_autospec(AsyncClient, instance=True)

    async def test_async_autospec_built_in_async_setup(self) -> None:
        """IsolatedAsyncioTestCase: an AsyncMock method of an instance autospec
        built in asyncSetUp, awaited concurrently."""
        self.client.fetch.return_value = b"data"
        results = await asyncio.gather(*(self.client.fetch(str(n)) for n in range(3)))
        self.assertEqual(results, [b"data"] * 3)
        self.assertEqual(self.client.fetch.await_count, 3)
        self.client.fetch.assert_any_await("1")
        self.assertIsInstance(self.client.sync_name(), mock.MagicMock)

    @mock.patch.object(AsyncClient, "fetch", autospec=True)
    async def test_patch_decorating_a_coroutine_test(self, fetch: Any) -> None:
        """IsolatedAsyncioTestCase: patch.object(autospec=True) decorating an
        async test, and AsyncMock side effects."""
        fetch.mock.side_effect = [b"one", KeyError("two")]
        client = AsyncClient()
        self.assertEqual(await client.fetch("a"), b"one")
        with self.assertRaises(KeyError):
            await client.fetch("b")
        fetch.assert_awaited_with(client, "b")
        standalone = mock.AsyncMock(return_value=3)
        self.assertEqual(await standalone(), 3)
