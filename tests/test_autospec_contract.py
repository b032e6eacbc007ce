"""Contract 1 for mockpool.create_autospec: indistinguishable from the stdlib.

Every test here builds mocks with :func:`mockpool.create_autospec` and with
:func:`unittest.mock.create_autospec` from the same arguments, runs the probe
battery of :mod:`tests._observe` on both and asserts that the two
observations are equal. ``assertEqual`` on the two lists names the first
probe whose outcome differs.

The harness is tested too (``HarnessTests``): mocks that differ from the
stdlib's in one way each must produce different observations, so the suite
cannot pass by comparing nothing.
"""

from __future__ import annotations

import gc
import inspect
import sys
import threading
import unittest
from collections.abc import Iterable
from functools import partial
from typing import Any, Callable
from unittest import mock

import mockpool
from mockpool._base import compat as _compat
from tests import _specimens
from tests._observe import (
    Observation,
    arguments_for,
    attribute_signature,
    describe_differences,
    find,
    labels,
    normalise,
    observe,
    public_names,
)
from tests._specimens import Specimen

Factory = Callable[..., Any]

STDLIB: Factory = mock.create_autospec
MOCKPOOL: Factory = mockpool.create_autospec


def differing_labels(left: Observation, right: Observation) -> list[str]:
    """Labels of the probes whose outcomes differ (position by position)."""
    found = [a[0] for a, b in zip(left, right) if a != b]
    if len(left) != len(right):
        found.append("<length>")
    return found


class ContractMixin(unittest.TestCase):
    """``assertContract``: mockpool and the stdlib observe alike."""

    maxDiff = 4000

    def assertContract(
        self,
        spec: Any,
        *,
        call_limit: int | None = None,
        after_build: Callable[[], None] | None = None,
        undo: Callable[[], None] | None = None,
        skip: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> Observation:
        """Assert both factories observe alike; return the stdlib's observation.

        With *after_build*, it runs after the mocks are built and before they
        are probed, and *undo* after each observation, so both factories see
        the same change.
        """
        try:
            ours = observe(
                MOCKPOOL,
                spec,
                call_limit=call_limit,
                after_build=after_build,
                skip=skip,
                **kwargs,
            )
        finally:
            if undo is not None:
                undo()
        try:
            theirs = observe(
                STDLIB,
                spec,
                call_limit=call_limit,
                after_build=after_build,
                skip=skip,
                **kwargs,
            )
        finally:
            if undo is not None:
                undo()
        if ours != theirs:
            # mockpool's observation is "left", the stdlib's "right".
            self.fail(
                "mockpool and unittest.mock differ:\n"
                + describe_differences(ours, theirs)
                + "\n\n"
                + self._list_diff(ours, theirs)
            )
        return theirs

    def _list_diff(self, ours: Observation, theirs: Observation) -> str:
        """assertEqual's own message: the first differing element, as a diff."""
        try:
            self.assertListEqual(ours, theirs)
        except AssertionError as exc:
            return str(exc)
        return ""  # pragma: no cover - they differ

    def assertSpecimens(self, specimens: Iterable[Specimen]) -> None:
        count = 0
        for specimen in specimens:
            count += 1
            with self.subTest(specimen.label):
                self.assertContract(
                    specimen.spec,
                    call_limit=specimen.call_limit,
                    skip=specimen.skip,
                    **specimen.kwargs,
                )
        self.assertGreater(count, 0)


def _group(name: str) -> list[Specimen]:
    return [s for s in _specimens.SPECIMENS if s.group == name]


class SpecimenTests(ContractMixin):
    """Every specimen of tests/_specimens.py, one test method per group."""

    def test_hand_written_classes(self) -> None:
        """Class specs (instance=False/True, spec_set) observe alike."""
        self.assertSpecimens(_group("class"))

    def test_hand_written_functions(self) -> None:
        """Functions, coroutine functions, lambdas, builtins, bound methods."""
        self.assertSpecimens(_group("function"))

    def test_hand_written_objects(self) -> None:
        """Instances, a list, None, a module, a generic alias as specs."""
        self.assertSpecimens(_group("object"))

    def test_keyword_arguments(self) -> None:
        """name, return_value, side_effect, configure keywords, unsafe, wraps."""
        self.assertSpecimens(_group("keywords"))

    def test_real_classes(self) -> None:
        """dict, socket, HTTPConnection, AbstractEventLoop, ... observe alike."""
        self.assertSpecimens(_group("real class"))

    def test_real_functions(self) -> None:
        """json.dumps, os.path.join, asyncio.sleep, ... observe alike."""
        self.assertSpecimens(_group("real function"))

    def test_every_specimen_is_in_a_group(self) -> None:
        """No specimen falls outside the groups tested above."""
        self.assertEqual(
            sorted({s.group for s in _specimens.SPECIMENS}), sorted(_specimens.GROUPS)
        )
        labels_ = [s.label for s in _specimens.SPECIMENS]
        self.assertEqual(len(labels_), len(set(labels_)))


class ParentArgumentTests(ContractMixin):
    """The positional ``_parent`` and ``_name`` arguments."""

    def test_parent_records_calls_of_an_attached_autospec(self) -> None:
        """A mock built with _parent/_name reports its calls to the parent."""

        def scenario(factory: Factory) -> list[Any]:
            parent = mock.MagicMock()
            child = factory(_specimens.Service, False, False, parent, "svc")
            instance = child("url")
            instance.fetch("path", head=True)
            child.fetch("p")
            return [
                normalise(repr(child)),
                normalise(repr(parent.mock_calls)),
                normalise(repr(parent.method_calls)),
                parent.svc is child,
                normalise(repr(parent.svc)),
            ]

        self.assertEqual(scenario(MOCKPOOL), scenario(STDLIB))

    def test_instance_with_parent(self) -> None:
        """instance=True with a parent is not stored in the parent's children."""

        def scenario(factory: Factory) -> list[Any]:
            parent = mock.MagicMock()
            child = factory(_specimens.Service, False, True, parent, "svc")
            child.fetch("path")
            return [
                normalise(repr(child)),
                normalise(repr(parent.mock_calls)),
                parent.svc is child,
            ]

        self.assertEqual(scenario(MOCKPOOL), scenario(STDLIB))


# --------------------------------------------------------------------------
# Thread safety.


def concurrent_first_touch(
    target: Any,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    threads: int = 8,
) -> list[Any]:
    """Fetch and call ``target.<name>`` from *threads* threads released together.

    Returns what each thread fetched (or the exception it raised).
    """
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def worker(index: int) -> None:
        try:
            barrier.wait()
            child = getattr(target, name)
            outcome = child(*args, **kwargs)
            if inspect.iscoroutine(outcome):
                # The call is recorded when it is made; awaiting adds nothing
                # here.
                outcome.close()
            results[index] = child
        except Exception as exc:  # pragma: no cover - reported below
            results[index] = exc

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    return results


class ThreadSafetyTests(unittest.TestCase):
    """Children built lazily are built once, whichever thread touches first."""

    THREADS = 8
    ROUNDS = 5

    def _check(
        self, factory: Factory, spec: Any, names: Iterable[str], **kwargs: Any
    ) -> None:
        for name in names:
            sig = attribute_signature(spec, name)
            args, kw, _, _ = arguments_for(sig or inspect.Signature())
            for round_ in range(self.ROUNDS):
                with self.subTest(name=name, round=round_):
                    built = factory(spec, **kwargs)
                    results = concurrent_first_touch(
                        built, name, args, kw, self.THREADS
                    )
                    errors = [r for r in results if isinstance(r, Exception)]
                    self.assertEqual(errors, [])
                    first = results[0]
                    self.assertTrue(all(r is first for r in results), results)
                    self.assertIs(getattr(built, name), first)
                    # Not call_count: ``call_count += 1`` is not atomic in
                    # the stdlib either; list appends are.
                    self.assertEqual(len(first.call_args_list), self.THREADS)
                    recorded = [c for c in built.mock_calls if c[0] == name]
                    self.assertEqual(len(recorded), self.THREADS)
                    first.assert_called_with(*args, **kw)

    def test_methods_of_an_instance_mock(self) -> None:
        """8 threads touching one untouched method all get the same child."""
        spec = _specimens.Kitchen
        names = ["method", "amethod", "cmethod", "smethod", "kwonly", "wrapped", "agen"]
        self._check(MOCKPOOL, spec, names, instance=True)

    def test_methods_of_a_class_mock_and_its_instance(self) -> None:
        """The same for a class mock and for the instance it returns."""
        spec = _specimens.Service
        self._check(MOCKPOOL, spec, ["fetch", "afetch"])
        for round_ in range(self.ROUNDS):
            with self.subTest(round=round_):
                built = MOCKPOOL(spec)
                results = concurrent_first_touch(
                    built.return_value, "fetch", ("path",), {}, self.THREADS
                )
                self.assertTrue(all(r is results[0] for r in results), results)
                self.assertEqual(len(built.mock_calls), self.THREADS)

    def test_c_methods(self) -> None:
        """The same for methods of C types (dict.get, BytesIO.read)."""
        import io

        self._check(MOCKPOOL, dict, ["get", "setdefault", "fromkeys"], instance=True)
        self._check(MOCKPOOL, io.BytesIO, ["read", "write"], instance=True)

    def test_real_class_methods(self) -> None:
        """The same for a large real class."""
        import http.client

        self._check(
            MOCKPOOL,
            http.client.HTTPConnection,
            ["request", "getresponse", "close"],
            instance=True,
        )

    @unittest.skipUnless(
        _compat.PY_3_10_PLUS,
        "3.9's NonCallableMock.__getattr__ has no lock: the stdlib itself may "
        "autospec a deferred attribute twice there",
    )
    def test_deferred_non_method_attributes(self) -> None:
        """Nested classes and properties are built once, too (3.10+)."""
        self._check(MOCKPOOL, _specimens.Kitchen, ["Nested", "prop"], instance=True)

    def test_threads_touching_different_methods(self) -> None:
        """Threads touching all methods in different orders agree on each child."""
        spec = _specimens.Kitchen
        names = ["method", "amethod", "cmethod", "kwonly", "no_args", "varargs"]
        for round_ in range(self.ROUNDS):
            built = MOCKPOOL(spec, instance=True)
            barrier = threading.Barrier(self.THREADS)
            seen: list[dict[str, Any]] = [{} for _ in range(self.THREADS)]

            def worker(
                index: int,
                built: Any = built,
                barrier: threading.Barrier = barrier,
                seen: list[dict[str, Any]] = seen,
            ) -> None:
                barrier.wait()
                order = names[index % len(names) :] + names[: index % len(names)]
                for name in order:
                    seen[index][name] = getattr(built, name)

            workers = [
                threading.Thread(target=worker, args=(i,)) for i in range(self.THREADS)
            ]
            interval = sys.getswitchinterval()
            sys.setswitchinterval(1e-6)
            try:
                for thread in workers:
                    thread.start()
                for thread in workers:
                    thread.join()
            finally:
                sys.setswitchinterval(interval)
            with self.subTest(round=round_):
                for name in names:
                    children = {id(s[name]) for s in seen}
                    self.assertEqual(len(children), 1, name)
                    self.assertIs(getattr(built, name), seen[0][name])


# --------------------------------------------------------------------------
# Cache validity (contract 1): the spec as it is now.


async def _coroutine_replacement(self: Any, changed: int) -> None:
    """An async replacement with another signature."""


def _replacement(self: Any, q: int, *, r: int = 0) -> None:
    """A replacement with another signature."""


def _other_replacement(self: Any) -> None:
    """A replacement without parameters."""


async def _coroutine_code(self: Any, x: int) -> None:
    """Lends its code object (a coroutine's, same parameters) to a method."""


def _copy_function(func: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object with *func*'s code, globals and defaults."""
    import types

    return types.FunctionType(
        func.__code__, func.__globals__, func.__name__, func.__defaults__
    )


def _make_classes() -> tuple[type, type]:
    class Base:
        def inherited(self, a: int) -> None:
            pass

    class Svc(Base):
        retries = 3

        class Inner:
            def deep(self, d: int) -> None:
                pass

        def method(self, a: int, b: int = 1) -> None:
            pass

        def other(self, x: int) -> None:
            pass

        def kwonly(self, a: int, *, k: int = 2) -> None:
            pass

        async def amethod(self, x: int) -> None:
            pass

    return Base, Svc


class CacheValidityTests(ContractMixin):
    """A change to a spec class shows in the next mockpool autospec of it."""

    VARIANTS: tuple[dict[str, Any], ...] = (
        {"instance": True},
        {"instance": False, "spec_set": True},
    )

    def assertChangeSeen(
        self,
        spec: type,
        change: Callable[[], Any],
        undo: Callable[[], None],
        variants: Iterable[dict[str, Any]] | None = None,
    ) -> None:
        """Warm the cache, change *spec*, compare, undo, compare again."""
        for kwargs in self.VARIANTS if variants is None else variants:
            with self.subTest(**kwargs):
                before = self.assertContract(spec, **kwargs)
                change()
                try:
                    after = self.assertContract(spec, **kwargs)
                finally:
                    undo()
                # The change is visible, so the comparison above was not
                # vacuous.
                self.assertNotEqual(before, after)
                again = self.assertContract(spec, **kwargs)
                self.assertEqual(before, again)

    def test_method_replaced_with_another_signature(self) -> None:
        """(a) A method replaced by one with another signature."""
        _, svc = _make_classes()
        original = svc.__dict__["method"]
        self.assertChangeSeen(
            svc,
            lambda: setattr(svc, "method", _replacement),
            lambda: setattr(svc, "method", original),
        )

    def test_method_replaced_with_a_coroutine_function(self) -> None:
        """(a') A method replaced by a coroutine function, and back."""
        _, svc = _make_classes()
        original = svc.__dict__["method"]
        self.assertChangeSeen(
            svc,
            lambda: setattr(svc, "method", _coroutine_replacement),
            lambda: setattr(svc, "method", original),
        )

    def test_method_added(self) -> None:
        """(b) A new method."""
        _, svc = _make_classes()
        self.assertChangeSeen(
            svc,
            lambda: setattr(svc, "added", _replacement),
            lambda: delattr(svc, "added"),
        )

    def test_method_deleted(self) -> None:
        """(c) A method deleted."""
        _, svc = _make_classes()
        original = svc.__dict__["other"]
        self.assertChangeSeen(
            svc,
            lambda: delattr(svc, "other"),
            lambda: setattr(svc, "other", original),
        )

    def test_method_replaced_with_a_value(self) -> None:
        """(d) A method replaced by a class attribute value (int, then str)."""
        _, svc = _make_classes()
        original = svc.__dict__["method"]
        for value in (42, "text"):
            with self.subTest(value=value):
                self.assertChangeSeen(
                    svc,
                    partial(setattr, svc, "method", value),
                    lambda: setattr(svc, "method", original),
                )

    def test_class_attribute_changed_type(self) -> None:
        """(d') A class attribute value replaced by a function and by a str."""
        _, svc = _make_classes()
        for value in (_other_replacement, "three"):
            with self.subTest(value=value):
                self.assertChangeSeen(
                    svc,
                    partial(setattr, svc, "retries", value),
                    lambda: setattr(svc, "retries", 3),
                )

    def test_patch_object_active_while_autospeccing(self) -> None:
        """(e) patch.object(Cls, "method", new=...) active while autospeccing."""
        _, svc = _make_classes()
        for new in (_replacement, 7):
            with self.subTest(new=new):
                patcher = mock.patch.object(svc, "method", new=new)
                self.assertChangeSeen(svc, patcher.start, patcher.stop)

    def test_patch_object_with_a_mock_active_while_autospeccing(self) -> None:
        """(e') patch.object with a MagicMock or an autospec in place."""
        _, svc = _make_classes()
        for options in ({}, {"autospec": True}):
            with self.subTest(**options):
                patcher: Any = mock.patch.object(svc, "method", **options)  # type: ignore[call-overload]
                self.assertChangeSeen(svc, patcher.start, patcher.stop)

    def test_base_class_method_changed(self) -> None:
        """(f) A base class's method replaced."""
        base, svc = _make_classes()
        original = base.__dict__["inherited"]
        self.assertChangeSeen(
            svc,
            lambda: setattr(base, "inherited", _replacement),
            lambda: setattr(base, "inherited", original),
        )

    def test_base_class_method_shadowed_then_unshadowed(self) -> None:
        """(f') A subclass override added over a base method, then removed."""
        _, svc = _make_classes()
        self.assertChangeSeen(
            svc,
            lambda: setattr(svc, "inherited", _other_replacement),
            lambda: delattr(svc, "inherited"),
        )

    def test_init_and_call_changed(self) -> None:
        """The class's __init__ signature and instance callability changed."""
        _, svc = _make_classes()
        self.assertChangeSeen(
            svc,
            lambda: setattr(svc, "__init__", _replacement),
            lambda: delattr(svc, "__init__"),
            # An instance mock does not show its class's __init__.
            variants=[{"instance": False}],
        )
        self.assertChangeSeen(
            svc,
            lambda: setattr(svc, "__call__", _replacement),
            lambda: delattr(svc, "__call__"),
        )

    def test_nested_class_changed(self) -> None:
        """A method of a nested class replaced."""
        _, svc = _make_classes()
        inner = svc.__dict__["Inner"]
        original = inner.__dict__["deep"]
        self.assertChangeSeen(
            svc,
            lambda: setattr(inner, "deep", _replacement),
            lambda: setattr(inner, "deep", original),
        )

    def test_change_after_build_before_first_touch(self) -> None:
        """A change between building and first touching a mock.

        The stdlib built method children when the mock was built, so they
        keep the old signature; nested classes are autospecced on first
        access, so they show the change. A lazy mock must do the same.
        """
        _, svc = _make_classes()
        inner = svc.__dict__["Inner"]
        originals = {name: svc.__dict__[name] for name in ("method", "other")}
        deep = inner.__dict__["deep"]
        changes: list[tuple[Any, str, Any, Any]] = [
            (svc, "method", _replacement, originals["method"]),
            (svc, "method", _coroutine_replacement, originals["method"]),
            (svc, "other", 5, originals["other"]),
            (svc, "added", _replacement, None),
            (inner, "deep", _replacement, deep),
        ]
        for kwargs in self.VARIANTS:
            for owner, name, value, original in changes:
                with self.subTest(name=name, value=value, **kwargs):

                    def undo(
                        owner: Any = owner, name: str = name, original: Any = original
                    ) -> None:
                        if original is None:
                            if name in owner.__dict__:
                                delattr(owner, name)
                        else:
                            setattr(owner, name, original)

                    self.assertContract(
                        svc,
                        after_build=partial(setattr, owner, name, value),
                        undo=undo,
                        **kwargs,
                    )

    def test_same_qualname_classes_do_not_share_introspection(self) -> None:
        """Classes recreated with one __qualname__ and module stay distinct."""
        methods: list[Callable[..., Any]] = [
            _replacement,
            _other_replacement,
            _coroutine_replacement,
        ]
        kept: list[type] = []
        for index in range(6):
            namespace = {"method": methods[index % len(methods)], "value": index}
            cls = type("Recreated", (), namespace)
            cls.__qualname__ = "Recreated"
            kept.append(cls)
            with self.subTest(index=index):
                for kwargs in self.VARIANTS:
                    self.assertContract(cls, **kwargs)

    def test_same_qualname_classes_after_collection(self) -> None:
        """The same when each class is collected first (its id may be reused)."""
        methods: list[Callable[..., Any]] = [
            _replacement,
            _other_replacement,
            _coroutine_replacement,
        ]
        for index in range(6):
            namespace = {"method": methods[index % len(methods)]}
            cls = type("Recreated", (), namespace)
            with self.subTest(index=index):
                self.assertContract(cls, instance=True)
            del cls
            gc.collect()

    def test_function_changed_in_place(self) -> None:
        """A method's function object changed in place (same object in the dict).

        ``inspect.signature`` and ``iscoroutinefunction`` read these
        attributes afresh, so the stdlib sees each change; a cache keyed by
        the function object must too.
        """
        _, svc = _make_classes()
        method = svc.__dict__["method"]
        kwonly = svc.__dict__["kwonly"]
        other = svc.__dict__["other"]
        signature = inspect.Signature(
            [
                inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                inspect.Parameter("given", inspect.Parameter.KEYWORD_ONLY),
            ]
        )
        code = other.__code__
        changes: list[tuple[str, Callable[[], Any], Callable[[], None]]] = [
            (
                "__defaults__",
                lambda: setattr(method, "__defaults__", None),
                lambda: setattr(method, "__defaults__", (1,)),
            ),
            (
                "__kwdefaults__",
                lambda: setattr(kwonly, "__kwdefaults__", None),
                lambda: setattr(kwonly, "__kwdefaults__", {"k": 2}),
            ),
            (
                "__signature__",
                lambda: setattr(method, "__signature__", signature),
                lambda: delattr(method, "__signature__"),
            ),
            (
                "__wrapped__",
                lambda: setattr(other, "__wrapped__", _replacement),
                lambda: delattr(other, "__wrapped__"),
            ),
            (
                "__code__",
                lambda: setattr(other, "__code__", _coroutine_code.__code__),
                lambda: setattr(other, "__code__", code),
            ),
        ]
        for attribute, change, undo in changes:
            with self.subTest(attribute=attribute):
                self.assertChangeSeen(svc, change, undo)

    def test_function_changed_in_place_after_build(self) -> None:
        """The same change between building a mock and touching the method.

        The stdlib took the method's signature when it built the mock.
        """
        _, svc = _make_classes()
        method = svc.__dict__["method"]
        for kwargs in self.VARIANTS:
            with self.subTest(**kwargs):
                self.assertContract(
                    svc,
                    after_build=lambda: setattr(method, "__defaults__", None),
                    undo=lambda: setattr(method, "__defaults__", (1,)),
                    **kwargs,
                )

    def test_dynamic_class_attributes(self) -> None:
        """Attributes a metaclass provides from state outside any class dict."""
        registry: dict[str, Any] = {"virtual": _other_replacement}

        class Meta(type):
            def __getattr__(cls, name: str) -> Any:
                try:
                    return registry[name]
                except KeyError:
                    raise AttributeError(name) from None

            def __dir__(cls) -> list[str]:
                return sorted(set(type.__dir__(cls)) | set(registry))

        class Dynamic(metaclass=Meta):
            def real(self, r: int) -> None:
                pass

        self.assertChangeSeen(
            Dynamic,
            lambda: registry.__setitem__("virtual", _replacement),
            lambda: registry.__setitem__("virtual", _other_replacement),
        )
        self.assertChangeSeen(
            Dynamic,
            lambda: registry.__setitem__("added", _replacement),
            lambda: registry.pop("added"),
        )

    def test_descriptor_with_outside_state(self) -> None:
        """A class attribute whose descriptor returns what outside state says."""
        current: dict[str, Any] = {"value": _other_replacement}

        class Switch:
            def __get__(self, obj: object, owner: type | None = None) -> Any:
                return current["value"]

        class Switched:
            handler = Switch()

        self.assertChangeSeen(
            Switched,
            lambda: current.__setitem__("value", _replacement),
            lambda: current.__setitem__("value", _other_replacement),
        )
        self.assertChangeSeen(
            Switched,
            lambda: current.__setitem__("value", 5),
            lambda: current.__setitem__("value", _other_replacement),
        )

    @unittest.skipUnless(
        hasattr(inspect, "markcoroutinefunction"),
        "inspect.markcoroutinefunction is 3.12+",
    )
    def test_function_marked_as_coroutine_function(self) -> None:
        """A method marked with inspect.markcoroutinefunction after caching."""
        _, svc = _make_classes()

        def plain(self: Any, x: int) -> None:
            pass

        marked = inspect.markcoroutinefunction(  # type: ignore[attr-defined, unused-ignore]
            _copy_function(plain)
        )
        svc.flagged = plain  # type: ignore[attr-defined]
        self.assertChangeSeen(
            svc,
            lambda: setattr(svc, "flagged", marked),
            lambda: setattr(svc, "flagged", plain),
        )

    def test_bases_reassigned(self) -> None:
        """``__bases__`` reassigned to another base class."""
        base, svc = _make_classes()

        class OtherBase:
            def inherited(self, q: int, r: int) -> None:
                pass

            def only_here(self) -> None:
                pass

        self.assertChangeSeen(
            svc,
            lambda: setattr(svc, "__bases__", (OtherBase,)),
            lambda: setattr(svc, "__bases__", (base,)),
        )

    def test_instance_spec_changed(self) -> None:
        """An instance spec whose attributes change between autospecs."""
        obj = _specimens.HoldsCallables()
        before = self.assertContract(obj)
        obj.callback = _specimens.async_function
        obj.number = _specimens.no_params
        after = self.assertContract(obj)
        self.assertNotEqual(before, after)


# --------------------------------------------------------------------------
# The harness itself.


class _StaleCacheFactory:
    """A broken factory: caches the first class it sees per qualname."""

    def __init__(self) -> None:
        self.cache: dict[str, type] = {}

    def __call__(self, spec: Any, **kwargs: Any) -> Any:
        key = getattr(spec, "__qualname__", "")
        return STDLIB(self.cache.setdefault(key, spec), **kwargs)


class _FreshEveryTime:
    """A broken mock: every attribute read returns a new mock."""

    def __getattr__(self, name: str) -> Any:
        return mock.MagicMock()


class HarnessTests(unittest.TestCase):
    """The probes see the differences they exist to see."""

    _kitchen: Observation | None = None

    @property
    def kitchen(self) -> Observation:
        """The stdlib's observation of Kitchen(instance=True), made once."""
        if HarnessTests._kitchen is None:
            HarnessTests._kitchen = observe(STDLIB, _specimens.Kitchen, instance=True)
        return HarnessTests._kitchen

    def assertDetected(
        self, factory: Factory, spec: Any, expect_in_label: str, **kwargs: Any
    ) -> list[str]:
        """*factory* and the stdlib observe differently, near *expect_in_label*."""
        broken = observe(factory, spec, **kwargs)
        reference = observe(STDLIB, spec, **kwargs)
        self.assertNotEqual(broken, reference)
        found = differing_labels(broken, reference)
        self.assertTrue(
            any(expect_in_label in label for label in found),
            f"no differing label mentions {expect_in_label!r}: {found[:20]}",
        )
        return found

    def test_plain_spec_mock_is_not_an_autospec(self) -> None:
        """MagicMock(spec=X) differs from create_autospec(X)."""
        found = self.assertDetected(
            lambda spec, **kw: mock.MagicMock(spec=spec), _specimens.Service, "call("
        )
        self.assertIn("mock.fetch.call(too many)", found)

    def test_missing_signature_of_one_method_is_detected(self) -> None:
        """A method child without the spec's signature is caught."""

        def factory(spec: Any, **kwargs: Any) -> Any:
            built = STDLIB(spec, **kwargs)
            built.fetch = mock.MagicMock()
            return built

        self.assertDetected(factory, _specimens.Service, "mock.fetch", instance=True)

    def test_sync_child_for_async_method_is_detected(self) -> None:
        """A MagicMock where the stdlib builds an AsyncMock is caught."""

        def factory(spec: Any, **kwargs: Any) -> Any:
            built = STDLIB(spec, **kwargs)
            built.afetch = STDLIB(_specimens.Service.fetch)
            return built

        self.assertDetected(factory, _specimens.Service, "afetch", instance=True)

    def test_unbuilt_child_is_detected(self) -> None:
        """A child made on demand without its spec (a naive lazy mock)."""

        def factory(spec: Any, **kwargs: Any) -> Any:
            built = STDLIB(spec, **kwargs)
            # A fixture, not an assertion: forget the eager child, as a lazy
            # implementation that never built it would.
            del built._mock_children["fetch"]
            del built.__dict__["fetch"]
            return built

        found = self.assertDetected(
            factory, _specimens.Service, "has_calls.fetch", instance=True
        )
        self.assertIn("mock.fetch.signature", found)

    def test_wrong_spec_class_is_detected(self) -> None:
        """An autospec of a different class with the same names is caught."""

        class Service(_specimens.Service):
            def fetch(self, other: str) -> bytes:  # type: ignore[override]
                return b""

        self.assertDetected(
            lambda spec, **kw: STDLIB(Service, **kw), _specimens.Service, "fetch"
        )

    def test_reset_and_seal_differences_are_detected(self) -> None:
        """A method whose return value was made on demand is caught by seal."""

        def factory(spec: Any, **kwargs: Any) -> Any:
            built = STDLIB(spec, **kwargs)
            built.fetch.reset_mock(return_value=True)
            built.afetch.side_effect = KeyError
            return built

        self.assertDetected(factory, _specimens.Service, "afetch", instance=True)

    def test_stale_cache_is_detected(self) -> None:
        """A cache keyed by qualname fails the cache-validity comparison."""
        stale = _StaleCacheFactory()
        first, second = (
            type("Same", (), {"method": m}) for m in (_replacement, _other_replacement)
        )
        observe(stale, first, instance=True)
        self.assertDetected(stale, second, "method", instance=True)

    def test_fresh_child_per_access_fails_the_thread_check(self) -> None:
        """concurrent_first_touch exposes a child built once per access."""
        results = concurrent_first_touch(_FreshEveryTime(), "anything", (), {})
        self.assertFalse(all(r is results[0] for r in results))

    def test_observation_covers_every_name_and_scenario(self) -> None:
        """Every public spec name gets probed in every scenario that names them."""
        observation = self.kitchen
        seen = set(labels(observation))
        for name in public_names(_specimens.Kitchen):
            for prefix in ("mock.", "set.", "reset."):
                self.assertIn(f"{prefix}{name}", seen)
        for label in (
            "mock.method.call(good)",
            "has_calls.method(good)",
            "seal",
            "del.acmethod",
            "configure.acmethod.return_value",
            "add_spec(list)",
            "attach.acmethod",
            "reset(flags)",
            "unknown.get",
        ):
            self.assertIn(label, seen)
        self.assertGreater(len(observation), 1000)

    def test_good_arguments_bind(self) -> None:
        """The generated good calls succeed on most methods of Kitchen."""
        observation = self.kitchen
        outcomes = [
            value
            for label, value in observation
            if label.startswith("mock.") and label.endswith(".call(good)")
        ]
        failures = [o for o in outcomes if o[0] == "raised"]
        self.assertGreater(len(outcomes), 20)
        self.assertLessEqual(len(failures), 3, failures)

    def test_same_factory_observes_the_same(self) -> None:
        """Observing twice with the stdlib gives equal observations."""
        for spec in (_specimens.Service, _specimens.Closer, _specimens.async_function):
            with self.subTest(spec=spec):
                self.assertEqual(observe(STDLIB, spec), observe(STDLIB, spec))

    def test_normalise_blanks_ids_and_addresses(self) -> None:
        """normalise() removes mock ids and object addresses only."""
        self.assertEqual(
            normalise("<MagicMock id='140234' at 0x7fA1> id=3"),
            "<MagicMock id='…' at 0x…> id=3",
        )

    def test_async_results_are_awaited(self) -> None:
        """A coroutine method's call is awaited and its result recorded."""
        observation = self.kitchen
        outcome = find(observation, "mock.amethod.call(good)")
        self.assertIsNotNone(outcome)
        assert outcome is not None
        self.assertEqual(outcome[0], "coroutine")
        self.assertEqual(outcome[1][0], "ok")


if __name__ == "__main__":  # pragma: no cover
    unittest.main()
