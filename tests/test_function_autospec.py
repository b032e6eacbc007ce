"""Contract 1 for autospecs of functions, methods and classes (the mock of the class).

``patch(..., autospec=True)`` and ``patch.object(..., autospec=True)`` call
``create_autospec(original, spec_set=..., _name=attribute)`` on the function,
method or class they replace. :mod:`mockpool._autospec.functions` serves
the functions and methods from introspection cached per function; these
tests compare what it builds with the stdlib's on the probe battery of
:mod:`tests._observe`, for the methods and class mocks of the benchmark
corpus, through every patch form, and after every in-place change of a
function that the stdlib would see.
"""

from __future__ import annotations

import functools
import gc
import inspect
import os
import re
import sys
import time
import types
import unittest
import weakref
from typing import Any, Callable, ClassVar
from unittest import mock

import mockpool
from mockpool._autospec import functions, introspect
from tests.test_autospec_contract import ContractMixin

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks")
)
import corpus  # type: ignore[import-not-found]  # found on the path set above

# Per corpus class, how many of its Python methods get the whole battery:
# enough to meet every kind of signature, few enough to keep the run short.
METHODS_PER_CLASS = 3


def python_methods(cls: type) -> list[tuple[str, Any]]:
    """(name, function) of the methods *cls* defines in Python, sorted."""
    found = []
    for name in corpus.method_names(cls):
        value = cls.__dict__.get(name)
        if isinstance(value, types.FunctionType):
            found.append((name, value))
    return found[:METHODS_PER_CLASS]


class Service:
    """A class whose methods are patched below."""

    def fetch(self, key: str, default: Any = None, *, timeout: float = 1.0) -> Any:
        """Fetch *key*."""
        return default

    @staticmethod
    def parse(text: str) -> str:
        return text

    @classmethod
    def build(cls, size: int) -> Service:
        return cls()


def module_function(a: int, b: int = 2, *rest: int, c: int, **extra: Any) -> int:
    """A function patched below."""
    return a


def _decorate(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return wrapper


@_decorate
def decorated(x: int, y: int) -> int:
    return x


class CorpusTests(ContractMixin):
    """The corpus's methods, bound and unbound, and its classes as class mocks."""

    classes: ClassVar[list[type]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.classes, _ = corpus.load()

    def test_methods_as_patch_object_autospecs_them(self) -> None:
        """``create_autospec(Class.__dict__[name], _name=name)``, per method."""
        count = 0
        for cls in self.classes:
            for name, function in python_methods(cls):
                with self.subTest(cls=cls.__qualname__, method=name):
                    self.assertEqual(
                        functions.supports(function),
                        not inspect.iscoroutinefunction(function),
                    )
                    for spec_set in (False, True):
                        self.assertContract(
                            function, spec_set=spec_set, _name=name, call_limit=2
                        )
                    count += 1
        self.assertGreater(count, 40)

    def test_bound_methods(self) -> None:
        """A method bound to an instance or a class, as ``patch.object`` of
        an instance or of a classmethod finds it."""
        instance = Service()
        for spec in (instance.fetch, Service.build, Service().fetch):
            with self.subTest(spec=spec):
                self.assertTrue(functions.supports(spec))
                self.assertContract(spec, _name=spec.__name__)

    def test_classes_as_patch_autospecs_them(self) -> None:
        """``create_autospec(Class, _name=name)``: a class mock, not an instance."""
        for cls in self.classes:
            with self.subTest(cls=cls.__qualname__):
                self.assertContract(cls, _name=cls.__name__, call_limit=3)


class _Marker:
    """A default value a function holds (weakly referenceable)."""


class FunctionTests(ContractMixin):
    """Hand-written functions in the shapes real suites patch."""

    def test_shapes(self) -> None:
        specs: list[Any] = [
            module_function,
            decorated,
            Service.fetch,
            Service.parse,
            lambda value, power=2: value**power,
        ]
        for spec in specs:
            for kwargs in ({}, {"_name": "target"}, {"spec_set": True}):
                with self.subTest(spec=spec, **kwargs):
                    self.assertContract(spec, **kwargs)

    def test_builtins(self) -> None:
        """Builtin functions and methods: the stdlib checks calls against
        their ``__call__`` (``*args, **kwargs``) from the mock's class."""
        builtins: tuple[Any, ...] = (time.sleep, os.stat, len, [].append, "".join)
        for spec in builtins:
            for kwargs in ({}, {"_name": "target"}, {"spec_set": True}):
                with self.subTest(spec=spec, **kwargs):
                    self.assertTrue(functions.supports(spec))
                    self.assertContract(spec, **kwargs)

    def test_a_builtins_check_stays_on_its_own_mock(self) -> None:
        """The signature check put on a builtin autospec's class never
        reaches a mock built after it, whose class may be a reused one."""
        installation = mockpool.install()
        try:
            for _ in range(5):
                made = mock.create_autospec(time.sleep)
                self.assertIn("_mock_check_sig", type(made).__dict__)
                del made
                gc.collect()
                for built in (mock.MagicMock(spec=time.sleep), mock.MagicMock()):
                    self.assertNotIn("_mock_check_sig", type(built).__dict__)
                    self.assertNotIn("__signature__", type(built).__dict__)
        finally:
            installation.undo()

    def test_unsupported_shapes_still_match_the_stdlib(self) -> None:
        """What the function path leaves to the stdlib is the stdlib's."""

        async def coroutine(a: int) -> int:
            return a

        def with_attribute(a: int) -> int:
            return a

        with_attribute.marker = True  # type: ignore[attr-defined]
        for spec in (coroutine, functools.partial(module_function, 1)):
            with self.subTest(spec=spec):
                self.assertFalse(functions.supports(spec))
                self.assertContract(spec, _name="target")
        # Its attribute becomes a child mock, which the battery's
        # configure_mock cannot reach on the wrapper: compared directly.
        self.assertFalse(functions.supports(with_attribute))
        self.assertEqual(
            _describe(mockpool.create_autospec(with_attribute)),
            _describe(mock.create_autospec(with_attribute)),
        )

    def test_wrapper_is_new_per_call_and_checks_the_signature(self) -> None:
        first = mockpool.create_autospec(module_function)
        second = mockpool.create_autospec(module_function)
        self.assertIsNot(first, second)
        self.assertIsNot(first.mock, second.mock)
        self.assertIsNot(type(first.mock), type(second.mock))
        first(1, c=3)
        second.assert_not_called()
        with self.assertRaisesRegex(TypeError, "missing a required argument: 'c'"):
            first(1)
        self.assertEqual(inspect.signature(first), inspect.signature(module_function))
        self.assertEqual(first.__name__, "module_function")

    def test_what_is_known_of_a_function_goes_with_it(self) -> None:
        """The facts kept of a function hold it weakly, and leave with it
        (contract 5: nothing of a test's is kept past its life)."""

        def target(a: int, default: object = _Marker()) -> int:
            return a

        mockpool.create_autospec(target)(1)
        key = id(target)
        self.assertIn(key, functions._facts)
        defaults = target.__defaults__
        assert defaults is not None
        default = weakref.ref(defaults[0])
        del defaults
        alive = weakref.ref(target)
        del target
        gc.collect()
        self.assertIsNone(alive())
        self.assertIsNone(default())
        self.assertNotIn(key, functions._facts)

    def test_changes_in_place_are_seen(self) -> None:
        """Every change the stdlib would read gives a mock of the function as it is."""

        def target(a: int, b: int = 1, *, c: int = 0) -> int:
            return a

        def other(p: int, *, q: int) -> int:
            return p

        signature = inspect.signature(other)
        changes: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            (
                "__defaults__",
                lambda: setattr(target, "__defaults__", None),
                lambda: setattr(target, "__defaults__", (1,)),
            ),
            (
                "__code__",
                lambda: setattr(target, "__code__", other.__code__),
                lambda: setattr(target, "__code__", code),
            ),
            (
                "__signature__",
                lambda: setattr(target, "__signature__", signature),
                lambda: delattr(target, "__signature__"),
            ),
            (
                "__wrapped__",
                lambda: setattr(target, "__wrapped__", other),
                lambda: delattr(target, "__wrapped__"),
            ),
            (
                "__name__",
                lambda: setattr(target, "__name__", "renamed"),
                lambda: setattr(target, "__name__", "target"),
            ),
            (
                "__kwdefaults__",
                lambda: setattr(target, "__kwdefaults__", {"c": 2}),
                lambda: setattr(target, "__kwdefaults__", {"c": 0}),
            ),
            (
                "__annotations__",
                lambda: setattr(target, "__annotations__", {"a": str}),
                lambda: setattr(target, "__annotations__", annotations),
            ),
            (
                "__qualname__",
                lambda: setattr(target, "__qualname__", "Other.target"),
                lambda: setattr(target, "__qualname__", qualname),
            ),
            (
                "__doc__",
                lambda: setattr(target, "__doc__", "Documented now."),
                lambda: setattr(target, "__doc__", None),
            ),
            (
                "__dict__ replaced",
                lambda: setattr(target, "__dict__", {"__wrapped__": other}),
                lambda: setattr(target, "__dict__", {}),
            ),
        ]
        code = target.__code__
        annotations, qualname = target.__annotations__, target.__qualname__
        for label, change, undo in changes:
            with self.subTest(change=label):
                self.assertContract(target, _name="target")  # cached
                change()
                try:
                    self.assertContract(target, _name="target")
                finally:
                    undo()
                self.assertContract(target, _name="target")

    def test_classes_introspected_anew_share_their_methods_facts(self) -> None:
        """A class with a dynamic descriptor is introspected for every
        autospec; its methods' signatures are not, unless they changed."""

        class Dynamic:
            """Not cacheable: a descriptor whose answer may change."""

            class Descriptor:
                def __get__(self, instance: Any, owner: Any) -> int:
                    return 1

            value = Descriptor()

            def method(self, a: int, b: int = 1) -> int:
                return a

        # Kept while the descriptor answers the same.
        self.assertIs(introspect.introspect(Dynamic), introspect.introspect(Dynamic))
        method = Dynamic.__dict__["method"]
        first = introspect.function_facts(method)
        self.assertIs(introspect.function_facts(method), first)
        self.assertContract(Dynamic, instance=True)
        method.__defaults__ = None
        try:
            self.assertIsNot(introspect.function_facts(method), first)
            self.assertContract(Dynamic, instance=True)
            self.assertContract(Dynamic)
        finally:
            method.__defaults__ = (1,)

    def test_cache_lets_functions_go(self) -> None:
        """Introspection is cached by weak reference: it keeps nothing alive."""

        def make() -> Callable[..., Any]:
            def transient(a: int) -> int:
                return a

            return transient

        spec = make()
        mockpool.create_autospec(spec)
        probe = weakref.ref(spec)
        del spec
        gc.collect()
        self.assertIsNone(probe())


class PatchTests(ContractMixin):
    """What ``patch``, ``patch.object`` and ``patch.multiple`` install with
    ``autospec=True``, with the drop-in installed and without."""

    def patched(self, start: Callable[[], Any], *, installed: bool) -> Any:
        installation = mockpool.install() if installed else None
        try:
            patcher = start()
            made = patcher.start()
            patcher.stop()
        finally:
            if installation is not None:
                installation.undo()
        return made

    def test_patch_forms(self) -> None:
        module = sys.modules[__name__]
        forms: dict[str, Callable[[], Any]] = {
            "patch(function)": lambda: mock.patch(
                f"{__name__}.module_function", autospec=True
            ),
            "patch(decorated)": lambda: mock.patch(
                f"{__name__}.decorated", autospec=True
            ),
            "patch.object(Class, method)": lambda: mock.patch.object(
                Service, "fetch", autospec=True
            ),
            "patch.object(instance, method)": lambda: mock.patch.object(
                Service(), "fetch", autospec=True
            ),
            "patch.object(Class, staticmethod)": lambda: mock.patch.object(
                Service, "parse", autospec=True
            ),
            "patch.object(Class, classmethod)": lambda: mock.patch.object(
                Service, "build", autospec=True
            ),
            "patch(Class)": lambda: mock.patch(f"{__name__}.Service", autospec=True),
            "patch.object(module, builtin)": lambda: mock.patch.object(
                time, "sleep", autospec=True
            ),
            "patch(builtin)": lambda: mock.patch("os.stat", autospec=True),
            "builtin spec_set": lambda: mock.patch.object(
                time, "sleep", autospec=True, spec_set=True
            ),
            "patch.multiple": lambda: mock.patch.multiple(
                module, module_function=mock.DEFAULT, autospec=True
            ),
            "spec_set": lambda: mock.patch.object(
                Service, "fetch", autospec=True, spec_set=True
            ),
        }
        for label, start in forms.items():
            with self.subTest(form=label):
                ours = self.patched(start, installed=True)
                theirs = self.patched(start, installed=False)
                self.assertEqual(_describe(ours), _describe(theirs))


def _describe(made: Any) -> list[tuple[str, Any]]:
    """What a test can observe of an autospec a patch installed."""
    if isinstance(made, dict):  # patch.multiple returns the mocks by name
        (made,) = made.values()
    entries: list[tuple[str, Any]] = [
        ("type", type(made).__name__),
        ("mro", [k.__name__ for k in type(made).__mro__[1:]]),
        ("name", _strip_ids(repr(getattr(made, "__name__", None)))),
        ("repr", _strip_ids(repr(made))),
    ]
    try:
        entries.append(("signature", str(inspect.signature(made))))
    except (TypeError, ValueError) as error:
        entries.append(("signature", type(error).__name__))
    for args in ((), (1,), (1, 2), ("k",), (1, 2, 3, 4)):
        try:
            made(*args)
            entries.append((f"call{args}", "ok"))
        except TypeError as error:
            entries.append((f"call{args}", str(error)))
    entries.append(("calls", _strip_ids(repr(made.mock_calls))))
    entries.append(("call_args", _strip_ids(repr(made.call_args_list))))
    entries.append(("children", sorted(made._mock_children)))
    inner = getattr(made, "mock", made)
    entries.append(("dir", sorted(dir(inner))))
    # What the stdlib's _check_sig sets on the class of a mock it does not
    # wrap (a builtin's): seen by whatever reads the class.
    entries.append(("class signature", str(vars(type(inner)).get("__signature__"))))
    return entries


def _strip_ids(text: str) -> str:
    return re.sub(r"id='\d+'", "id=?", re.sub(r"0x[0-9a-f]+", "0x?", text))


if __name__ == "__main__":
    unittest.main()
