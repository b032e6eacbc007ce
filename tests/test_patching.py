"""Tests for mockpool._sessions.patcher and .routing: session patches, routed.

The sessions here are :class:`FakeOwner` objects, so that these tests depend
on the patch engine only. Every test checks, in a cleanup, that the patch
targets in ``tests._patch_targets`` hold their originals again (by identity)
and that no routing slot is left behind.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import queue
import random
import re
import sys
import threading
import unittest
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, ClassVar
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

import mockpool
from mockpool._base import compat as _compat
from mockpool._sessions import context as _context
from mockpool._sessions import patcher as _patcher
from mockpool._sessions import routing as _routing
from mockpool._sessions.patcher import SessionPatcher
from tests import _patch_targets

# Typed Any: the tests read patched, routed and created attributes.
targets: Any = _patch_targets
T = "tests._patch_targets"
DEFAULT: Any = mock.DEFAULT
InvalidSpecError: type[Exception] = getattr(mock, "InvalidSpecError", Exception)


class FakeOwner:
    """The least a session must be for the patch engine."""

    def __init__(
        self,
        name: str,
        *,
        parent: FakeOwner | None = None,
        thread_id: int | None = None,
        services: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.parent = parent
        self.thread_id = threading.get_ident() if thread_id is None else thread_id
        self.services = dict(services or {})
        self.requested: list[str] = []
        self.patch = SessionPatcher(self)

    def __repr__(self) -> str:
        return f"<FakeOwner {self.name}>"

    def get(self, service_name: str, /) -> Any:
        self.requested.append(service_name)
        try:
            return self.services[service_name]
        except KeyError:
            raise LookupError(f"no service {service_name!r}") from None


@contextmanager
def activated(owner: FakeOwner | None) -> Iterator[FakeOwner | None]:
    """Make *owner* the current session of this context for the block."""
    token = _context.activate(owner)
    try:
        yield owner
    finally:
        _context.deactivate(token)


@contextmanager
def opened(owner: FakeOwner) -> Iterator[FakeOwner]:
    """Activate *owner* and stop all its patches when the block ends."""
    with activated(owner):
        try:
            yield owner
        finally:
            owner.patch.stopall()


def _snapshot(namespace: Any) -> dict[str, Any]:
    return dict(vars(namespace))


_WATCHED = (targets, targets.Service, targets.SubService, targets.HOLDER)


class PatchingTestCase(unittest.TestCase):
    """Checks after every test that every target holds its original."""

    def setUp(self) -> None:
        self._before = [_snapshot(ns) for ns in _WATCHED]
        self._config = dict(targets.CONFIG)
        self.addCleanup(self.assertOriginalsBack)

    def assertOriginalsBack(self) -> None:
        """Every watched namespace holds exactly the objects it held before."""
        for namespace, before in zip(_WATCHED, self._before):
            after = _snapshot(namespace)
            self.assertEqual(sorted(after), sorted(before), namespace)
            for name, value in before.items():
                self.assertIs(after[name], value, f"{namespace!r}.{name}")
        self.assertEqual(targets.CONFIG, self._config)
        self.assertEqual(_routing._slots, {})

    def owner(
        self,
        name: str,
        *,
        parent: FakeOwner | None = None,
        thread_id: int | None = None,
        services: dict[str, Any] | None = None,
    ) -> FakeOwner:
        """A new owner whose patches are stopped when the test ends."""
        owner = FakeOwner(name, parent=parent, thread_id=thread_id, services=services)
        self.addCleanup(owner.patch.stopall)
        return owner


# -- single thread: what mock.patch does ---------------------------------------


def _mock_kinds(value: Any) -> tuple[str, ...]:
    return tuple(
        kind.__name__
        for kind in type(value).__mro__
        if kind.__module__ == "unittest.mock"
    )


def _class_of(value: Any) -> Any:
    """``value.__class__``; a mock's own subclass becomes its mock kinds."""
    cls = getattr(value, "__class__", None)
    if isinstance(cls, type) and issubclass(cls, mock.NonCallableMock):
        return _mock_kinds(value)
    return cls


def _normal(text: str) -> str:
    return re.sub(r"id='\d+'|0x[0-9a-f]+", "<id>", text)


def fingerprint(value: Any) -> dict[str, Any]:
    """What a test can see of a patched-in value, comparable across mocks."""
    seen: dict[str, Any] = {
        "kinds": _mock_kinds(value),
        "type": type(value).__name__ if not _mock_kinds(value) else "mock",
        "class": _class_of(value),
        "callable": callable(value),
        "coroutine function": inspect.iscoroutinefunction(value),
        "repr": _normal(repr(value)),
    }
    try:
        seen["signature"] = str(inspect.signature(value))
    except (TypeError, ValueError) as exc:
        seen["signature"] = type(exc).__name__
    if isinstance(value, mock.NonCallableMock) and callable(value):
        made = value.return_value
        seen["returns"] = (_mock_kinds(made), callable(made), _class_of(made))
    return seen


def outcome(start: Callable[[], Any]) -> tuple[str, Any]:
    """``("ok", fingerprint)`` or ``("error", (type, message))``."""
    try:
        value = start()
    except Exception as exc:
        return "error", (type(exc), _normal(str(exc)))
    return "ok", fingerprint(value)


class StdlibParityTests(PatchingTestCase):
    """Each keyword family makes what mock.patch makes, and fails as it fails."""

    CASES: ClassVar[list[tuple[str, tuple[Any, ...], dict[str, Any]]]] = [
        ("function", (f"{T}.greet",), {}),
        ("class", (f"{T}.Service",), {}),
        ("async function", (f"{T}.fetch",), {}),
        ("plain value", (f"{T}.VALUE",), {}),
        ("new", (f"{T}.greet", "replacement"), {}),
        ("kwargs", (f"{T}.greet",), {"return_value": 3, "name": "g"}),
        ("spec=True function", (f"{T}.greet",), {"spec": True}),
        ("spec=True class", (f"{T}.Service",), {"spec": True}),
        ("spec_set=True class", (f"{T}.Service",), {"spec_set": True}),
        (
            "spec=True, spec_set=True",
            (f"{T}.Service",),
            {"spec": True, "spec_set": True},
        ),
        ("spec class", (f"{T}.greet",), {"spec": targets.Service}),
        ("spec list", (f"{T}.greet",), {"spec": ["a", "b"]}),
        ("spec async", (f"{T}.greet",), {"spec": targets.fetch}),
        ("spec=False", (f"{T}.greet",), {"spec": False, "autospec": False}),
        ("new_callable class", (f"{T}.greet",), {"new_callable": mock.NonCallableMock}),
        ("new_callable factory", (f"{T}.greet",), {"new_callable": lambda: "made"}),
        ("new_callable async", (f"{T}.fetch",), {"new_callable": mock.MagicMock}),
        ("autospec function", (f"{T}.greet",), {"autospec": True}),
        ("autospec async", (f"{T}.fetch",), {"autospec": True}),
        ("autospec class", (f"{T}.Service",), {"autospec": True}),
        ("autospec spec_set", (f"{T}.Service",), {"autospec": True, "spec_set": True}),
        ("autospec object", (f"{T}.greet",), {"autospec": targets.farewell}),
        ("autospec instance", (f"{T}.Service",), {"autospec": True, "instance": True}),
        ("autospec kwargs", (f"{T}.greet",), {"autospec": True, "return_value": 5}),
        ("create", (f"{T}.not_there",), {"create": True}),
        ("builtin name", (f"{T}.open",), {}),
        ("unsafe", (f"{T}.greet",), {"unsafe": True}),
        # Refusals.
        ("target not a str", (42,), {}),
        ("target without a dot", ("greet",), {}),
        ("missing module", ("tests._no_such_module.thing",), {}),
        ("missing attribute", (f"{T}.not_there",), {}),
        ("spec and autospec", (f"{T}.greet",), {"spec": True, "autospec": True}),
        ("explicit spec_set", (f"{T}.greet",), {"spec": True, "spec_set": str}),
        ("new and new_callable", (f"{T}.greet", 1), {"new_callable": mock.Mock}),
        (
            "autospec and new_callable",
            (f"{T}.greet",),
            {"autospec": True, "new_callable": mock.Mock},
        ),
        ("autospec and new", (f"{T}.greet", 1), {"autospec": True}),
        ("kwargs and new", (f"{T}.greet", 1), {"return_value": 1}),
        (
            "autospec and create",
            (f"{T}.not_there",),
            {"autospec": True, "create": True},
        ),
        ("spec and create", (f"{T}.not_there",), {"spec": True, "create": True}),
        ("typo", (f"{T}.greet",), {"autospect": True}),
        ("spec is a mock", (f"{T}.greet",), {"spec": mock.Mock()}),
        ("spec_set is a mock", (f"{T}.greet",), {"spec_set": mock.Mock()}),
    ]

    def assertSameAsStdlib(
        self, shape: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        """``session.patch<shape>`` has the outcome of ``mock.patch<shape>``."""
        stdlib_shape: Callable[..., Any] = mock.patch
        if shape:
            stdlib_shape = getattr(mock.patch, shape)
        started: list[Any] = []

        def stdlib() -> Any:
            patcher = stdlib_shape(*args, **kwargs)
            value = patcher.start()
            started.append(patcher)
            return value

        expected = outcome(stdlib)
        for patcher in started:
            patcher.stop()
        owner = self.owner(f"{shape} {args}")
        ours: Callable[..., Any] = owner.patch
        if shape:
            ours = getattr(owner.patch, shape)
        actual = outcome(lambda: ours(*args, **kwargs))
        self.assertEqual(actual[0], expected[0], actual)
        if actual[0] == "ok":
            self.assertEqual(actual[1], expected[1])
            self.assertEqual(len(owner.patch), 1)
        else:
            (kind, message), (expected_kind, expected_message) = actual[1], expected[1]
            self.assertIs(kind, expected_kind)
            # Ours may add the way out to the stdlib's message.
            self.assertTrue(
                message.startswith(expected_message), (message, expected_message)
            )
            self.assertEqual(len(owner.patch), 0)
        owner.patch.stopall()

    def test_patch_matches_mock_patch_for_every_keyword_family(self) -> None:
        """Made values and errors equal mock.patch's; refusals patch nothing."""
        for label, args, kwargs in self.CASES:
            with self.subTest(label):
                self.assertSameAsStdlib("", args, kwargs)

    def test_object_matches_mock_patch_object(self) -> None:
        """patch.object makes and refuses what mock.patch.object does."""
        cases: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
            ("method", (targets.Service, "run"), {}),
            ("method autospec", (targets.Service, "run"), {"autospec": True}),
            ("async method", (targets.Service, "arun"), {}),
            ("async method autospec", (targets.Service, "arun"), {"autospec": True}),
            ("staticmethod autospec", (targets.Service, "helper"), {"autospec": True}),
            ("classmethod autospec", (targets.Service, "make"), {"autospec": True}),
            ("inherited", (targets.SubService, "run"), {"spec": True}),
            ("instance attribute", (targets.HOLDER, "fn"), {"return_value": 1}),
            ("class attribute", (targets.Service, "LIMIT"), {"new": 10}),
            ("string target", ("tests._patch_targets", "greet"), {}),
            ("missing", (targets.Service, "nope"), {}),
            ("name not a str", (targets.Service, 3), {}),
        ]
        for label, args, kwargs in cases:
            with self.subTest(label):
                self.assertSameAsStdlib("object", args, kwargs)


class PatchTests(PatchingTestCase):
    """session.patch(target, ...) on one thread."""

    def test_patch_installs_the_mock_by_identity_until_stopall(self) -> None:
        """In direct mode the target is the very mock returned; stopall restores it."""
        original = targets.greet
        owner = self.owner("s")
        with opened(owner):
            made = owner.patch(f"{T}.greet")
            self.assertIs(targets.greet, made)
            self.assertIsInstance(made, mock.MagicMock)
        self.assertIs(targets.greet, original)

    def test_new_installs_exactly_that_object(self) -> None:
        """The object passed as new is installed and returned unchanged."""
        replacement = object()
        owner = self.owner("s")
        with opened(owner):
            self.assertIs(owner.patch(f"{T}.VALUE", replacement), replacement)
            self.assertIs(targets.VALUE, replacement)
        self.assertEqual(targets.VALUE, 42)

    def test_kwargs_configure_the_made_mock(self) -> None:
        """Extra keywords configure the mock, as for mock.patch."""
        owner = self.owner("s")
        with opened(owner):
            configure: dict[str, Any] = {"upper.return_value": "HI"}
            owner.patch(f"{T}.greet", return_value="hi", **configure)
            self.assertEqual(targets.greet("x"), "hi")
            self.assertEqual(targets.greet.upper(), "HI")

    def test_spec_true_refuses_attributes_the_original_lacks(self) -> None:
        """spec=True specs from the original; spec_set=True also refuses setting."""
        owner = self.owner("s")
        service_class = targets.Service
        with opened(owner):
            specced = owner.patch(f"{T}.Service", spec=True)
            specced.run(1)
            with self.assertRaises(AttributeError):
                specced.nope
            self.assertIsInstance(specced(), service_class)
            strict = owner.patch.object(targets, "farewell", spec_set=True)
            with self.assertRaises(AttributeError):
                strict.nope = 1

    def test_autospec_checks_signatures(self) -> None:
        """autospec=True gives TypeError for calls the original would refuse."""
        owner = self.owner("s")
        with opened(owner):
            greet = owner.patch(f"{T}.greet", autospec=True, return_value="hi")
            self.assertEqual(targets.greet("x"), "hi")
            with self.assertRaises(TypeError):
                targets.greet()
            with self.assertRaises(TypeError):
                targets.greet("x", "y")
            greet.assert_called_once_with("x")
            service = owner.patch(f"{T}.Service", autospec=True)
            with self.assertRaises(TypeError):
                targets.Service().run()
            with self.assertRaises(AttributeError):
                service.nope

    def test_autospec_makes_async_mocks_for_coroutine_functions(self) -> None:
        """An autospecced async function is awaited and recorded as awaited."""
        owner = self.owner("s")
        with opened(owner):
            fetch = owner.patch(f"{T}.fetch", autospec=True, return_value="mocked")
            self.assertTrue(asyncio.iscoroutinefunction(targets.fetch))
            self.assertEqual(asyncio.run(targets.fetch("k")), "mocked")
            fetch.assert_awaited_once_with("k")
            service = owner.patch(f"{T}.Service", autospec=True)
            self.assertIsInstance(service.return_value.arun, mock.AsyncMock)

    def test_autospec_uses_mockpool_create_autospec(self) -> None:
        """autospec goes through mockpool.create_autospec, named after the attribute."""
        owner = self.owner("s")
        spy = mock.Mock(wraps=mockpool.create_autospec)
        with mock.patch.object(_patcher, "create_autospec", spy), opened(owner):
            owner.patch(f"{T}.Service", autospec=True, spec_set=1)
        spy.assert_called_once_with(targets.Service, spec_set=True, _name="Service")

    def test_autospec_over_an_already_mocked_target_is_refused(self) -> None:
        """3.10+: autospeccing what is already a mock raises InvalidSpecError."""
        if not _compat.PY_3_10_PLUS:
            self.skipTest("InvalidSpecError is new in 3.10")
        owner = self.owner("s")
        with opened(owner):
            owner.patch(f"{T}.greet")
            with self.assertRaises(InvalidSpecError) as caught:
                owner.patch(f"{T}.greet", autospec=True)
            self.assertIn("as it has already been mocked out", str(caught.exception))
            self.assertEqual(len(owner.patch), 1)

    def test_create_true_adds_the_attribute_and_stopall_removes_it(self) -> None:
        """create=True patches a missing name; afterwards it is gone again."""
        owner = self.owner("s")
        with opened(owner):
            made = owner.patch(f"{T}.not_there", create=True)
            self.assertIs(vars(targets)["not_there"], made)
        self.assertFalse(hasattr(targets, "not_there"))

    def test_builtin_names_on_modules_need_no_create(self) -> None:
        """Like mock.patch, a builtin's name can be patched on any module."""
        owner = self.owner("s")
        with opened(owner):
            fake_open = owner.patch(f"{T}.open", mock.mock_open(read_data="x"))
            self.assertIs(vars(targets)["open"], fake_open)
        self.assertNotIn("open", vars(targets))

    def test_new_callable_makes_the_replacement(self) -> None:
        """new_callable is called (with the kwargs) to make the replacement."""
        owner = self.owner("s")
        with opened(owner):
            made = owner.patch(
                f"{T}.greet", new_callable=mock.NonCallableMagicMock, value=3
            )
            self.assertIsInstance(made, mock.NonCallableMagicMock)
            self.assertEqual(made.value, 3)

    def test_async_function_is_replaced_by_an_async_mock(self) -> None:
        """Without new, an async function is patched with an AsyncMock."""
        owner = self.owner("s")
        with opened(owner):
            self.assertIsInstance(owner.patch(f"{T}.fetch"), mock.AsyncMock)

    def test_missing_attribute_names_the_target_and_the_fix(self) -> None:
        """The AttributeError reads as the stdlib's and suggests create=True."""
        owner = self.owner("s")
        with self.assertRaises(AttributeError) as caught:
            owner.patch(f"{T}.not_there")
        message = str(caught.exception)
        self.assertTrue(
            message.startswith(f"{targets} does not have the attribute 'not_there'")
        )
        self.assertIn("create=True", message)
        self.assertEqual(len(owner.patch), 0)

    def test_bad_target_error_says_how_to_fix_it(self) -> None:
        """A target without a dot is a TypeError naming it and the right shape."""
        owner = self.owner("s")
        with self.assertRaisesRegex(TypeError, r"You supplied: 'greet'.*patch\.object"):
            owner.patch("greet")

    def test_patch_started_inside_a_patched_target_specs_from_the_session_view(
        self,
    ) -> None:
        """A nested spec=True patch specs from the outer mock, as mock.patch does."""
        owner = self.owner("s")
        with opened(owner):
            outer = owner.patch(f"{T}.Service", autospec=True)
            if _compat.PY_3_11_PLUS:
                with self.assertRaises(InvalidSpecError):
                    owner.patch(f"{T}.Service", spec=True)
            inner = owner.patch(f"{T}.Service", new=mock.sentinel.inner)
            self.assertIs(targets.Service, inner)
            owner.patch.stopall()
            self.assertIsNot(targets.Service, outer)


class ObjectTests(PatchingTestCase):
    """session.patch.object(target, attribute, ...)."""

    def test_method_autospec_binds_self(self) -> None:
        """An autospecced method records self, as with mock.patch.object."""
        owner = self.owner("s")
        with opened(owner):
            run = owner.patch.object(targets.Service, "run", autospec=True)
            service = targets.Service()
            service.run(3)
            run.assert_called_once_with(service, 3)
            with self.assertRaises(TypeError):
                service.run()

    def test_inherited_attribute_is_deleted_not_set_back(self) -> None:
        """A patch of an inherited name leaves the subclass without its own copy."""
        owner = self.owner("s")
        with opened(owner):
            owner.patch.object(targets.SubService, "run", return_value=7)
            self.assertEqual(targets.SubService().run(), 7)
            self.assertEqual(targets.Service().run(1), 1)
        self.assertNotIn("run", vars(targets.SubService))

    def test_instance_attribute_is_set_back(self) -> None:
        """An instance's own attribute gets its original object back."""
        original = targets.HOLDER.fn
        owner = self.owner("s")
        with opened(owner):
            owner.patch.object(targets.HOLDER, "fn", return_value="mocked")
            self.assertEqual(targets.HOLDER.fn(), "mocked")
        self.assertIs(targets.HOLDER.fn, original)

    def test_string_target_is_refused_with_the_dotted_alternative(self) -> None:
        """patch.object refuses a str target, as mock does, and shows patch(...)."""
        owner = self.owner("s")
        with self.assertRaisesRegex(TypeError, re.escape(f"'{T}.greet'")):
            owner.patch.object(T, "greet")

    def test_service_resolves_through_the_owner(self) -> None:
        """service= installs the owner's mock of that service."""
        redis = mock.NonCallableMagicMock(name="redis")
        owner = self.owner("s", services={"RedisService": redis})
        with opened(owner):
            self.assertIs(
                owner.patch.object(targets, "VALUE", service="RedisService"), redis
            )
            self.assertIs(targets.VALUE, redis)
            self.assertIs(owner.patch(f"{T}.farewell", service="RedisService"), redis)
        self.assertEqual(owner.requested, ["RedisService", "RedisService"])

    def test_service_conflicts_are_refused_before_anything_happens(self) -> None:
        """service= with new, new_callable, spec, autospec or kwargs is refused."""
        owner = self.owner("s", services={"Redis": mock.Mock()})
        conflicts: list[tuple[type[Exception], str, dict[str, Any]]] = [
            (ValueError, r"'new' and 'service'.*'Redis'.*new=1", {"new": 1}),
            (ValueError, "'new_callable' and 'service'", {"new_callable": mock.Mock}),
            (TypeError, "autospec=True", {"autospec": True}),
            (ValueError, "spec=True", {"spec": True}),
            (TypeError, "return_value", {"return_value": 1}),
        ]
        for kind, pattern, kwargs in conflicts:
            with self.subTest(pattern), self.assertRaisesRegex(kind, pattern):
                owner.patch(f"{T}.greet", service="Redis", **kwargs)
        with self.assertRaisesRegex(TypeError, "not 3"):
            owner.patch(f"{T}.greet", service=3)  # type: ignore[arg-type]
        self.assertEqual(owner.requested, [])
        self.assertEqual(len(owner.patch), 0)

    def test_unknown_service_patches_nothing(self) -> None:
        """The owner's error for an unknown service propagates; nothing is patched."""
        owner = self.owner("s")
        with self.assertRaisesRegex(LookupError, "'Nope'"):
            owner.patch(f"{T}.greet", service="Nope")
        self.assertEqual(len(owner.patch), 0)


class DictAndMultipleTests(PatchingTestCase):
    """session.patch.dict and session.patch.multiple."""

    def test_dict_sets_values_and_stopall_restores_the_contents(self) -> None:
        """patch.dict returns the dict, updated; its contents come back after."""
        owner = self.owner("s")
        with opened(owner):
            result = owner.patch.dict(targets.CONFIG, {"mode": "test"}, extra="1")
            self.assertIs(result, targets.CONFIG)
            self.assertEqual(targets.CONFIG, {"mode": "test", "extra": "1"})
            owner.patch.dict(f"{T}.CONFIG", clear=True)
            self.assertEqual(targets.CONFIG, {})
        self.assertEqual(targets.CONFIG, {"mode": "prod"})

    def test_dict_that_fails_midway_is_put_back(self) -> None:
        """A dict patch that fails after clearing restores the contents first."""

        class Picky(dict[str, int]):
            def update(self, *args: Any, **kwargs: Any) -> None:
                if "boom" in dict(*args, **kwargs):
                    raise ValueError("no boom")
                super().update(*args, **kwargs)

        picky = Picky(a=1)
        owner = self.owner("s")
        with self.assertRaisesRegex(ValueError, "no boom"):
            owner.patch.dict(picky, {"boom": 2}, clear=True)
        self.assertEqual(picky, {"a": 1})
        self.assertEqual(len(owner.patch), 0)

    def test_dict_patches_are_not_in_the_process_wide_list(self) -> None:
        """mock.patch.stopall() leaves the session's dict patch alone."""
        owner = self.owner("s")
        owner.patch.dict(targets.CONFIG, mode="test")
        mock.patch.stopall()
        self.assertEqual(targets.CONFIG["mode"], "test")
        owner.patch.stopall()

    def test_multiple_returns_the_mocks_it_made(self) -> None:
        """DEFAULT values become mocks (returned by name); others are installed."""
        owner = self.owner("s")
        with opened(owner):
            made = owner.patch.multiple(T, greet=DEFAULT, VALUE=7)
            self.assertEqual(list(made), ["greet"])
            self.assertIs(targets.greet, made["greet"])
            self.assertEqual(targets.VALUE, 7)
            self.assertEqual(len(owner.patch), 2)

    def test_multiple_applies_autospec_to_each(self) -> None:
        """Shared keywords such as autospec apply to every attribute."""
        owner = self.owner("s")
        with opened(owner):
            made = owner.patch.multiple(
                targets.Service, autospec=True, run=DEFAULT, arun=DEFAULT
            )
            service = targets.Service()
            with self.assertRaises(TypeError):
                service.run()
            service.run(1)
            made["run"].assert_called_once_with(service, 1)
            self.assertEqual(set(made), {"run", "arun"})
            self.assertTrue(asyncio.iscoroutinefunction(targets.Service.arun))

    def test_multiple_is_all_or_nothing(self) -> None:
        """When one attribute fails, those already patched by the call are undone."""
        owner = self.owner("s")
        with self.assertRaisesRegex(AttributeError, "'not_there'"):
            owner.patch.multiple(T, greet=DEFAULT, not_there=DEFAULT)
        self.assertEqual(len(owner.patch), 0)
        with self.assertRaisesRegex(ValueError, "at least one"):
            owner.patch.multiple(T)


class StopallTests(PatchingTestCase):
    """stopall: newest first, by identity, past errors, once."""

    def test_stopall_undoes_nested_patches_newest_first(self) -> None:
        """Nested patches of one attribute are unwound in reverse order."""
        recorder = targets.Recorder()
        recorder.value = "original"
        recorder.log.clear()
        owner = self.owner("s")
        with opened(owner):
            owner.patch.object(recorder, "value", "first")
            owner.patch.object(recorder, "value", "second")
            owner.patch.object(recorder, "other", "x", create=True)
            owner.patch.object(recorder, "value", "third")
        self.assertEqual(
            recorder.log,
            [
                ("set", "value", "first"),
                ("set", "value", "second"),
                ("set", "other", "x"),
                ("set", "value", "third"),
                ("set", "value", "second"),
                ("del", "other"),
                ("set", "value", "first"),
                ("set", "value", "original"),
            ],
        )

    def test_stopall_twice_does_nothing_the_second_time(self) -> None:
        """stopall is idempotent."""
        owner = self.owner("s")
        owner.patch(f"{T}.greet")
        owner.patch.stopall()
        self.assertEqual(len(owner.patch), 0)
        owner.patch.stopall()
        self.assertEqual(owner.patch.active, [])

    def test_stopall_continues_past_errors_and_raises_the_first(self) -> None:
        """Every patch is undone; the first error carries the others as notes."""
        recorder = targets.Recorder()
        owner = self.owner("s")
        owner.patch.object(recorder, "a", 1, create=True)
        owner.patch(f"{T}.greet")
        owner.patch.object(recorder, "b", 2, create=True)
        object.__setattr__(recorder, "fail_on", {"a", "b"})
        with self.assertRaisesRegex(RuntimeError, "cannot delete 'b'") as caught:
            owner.patch.stopall()
        notes = getattr(caught.exception, "__notes__", [])
        self.assertTrue(any("cannot delete 'a'" in note for note in notes), notes)
        self.assertEqual(len(owner.patch), 0)
        self.assertEqual(_routing._slots, {})
        owner.patch.stopall()

    def test_stopall_never_touches_other_patches(self) -> None:
        """Neither other sessions' nor plain mock.patch patches are undone."""
        plain = mock.patch(f"{T}.farewell")
        plain_mock = plain.start()
        self.addCleanup(plain.stop)
        other = self.owner("other")
        other_mock = other.patch(f"{T}.VALUE")
        owner = self.owner("s")
        owner.patch(f"{T}.greet")
        owner.patch.stopall()
        self.assertIs(targets.farewell, plain_mock)
        self.assertIs(targets.VALUE, other_mock)

    def test_len_and_active_describe_the_started_patches(self) -> None:
        """len() counts active patches; active names them, oldest first."""
        owner = self.owner("s")
        owner.patch(f"{T}.greet")
        owner.patch.object(targets.Service, "run")
        owner.patch.dict(f"{T}.CONFIG", a="1")
        self.assertEqual(len(owner.patch), 3)
        self.assertEqual(
            owner.patch.active,
            [f"{T}.greet", f"{T}.Service.run", f"dict {T}.CONFIG"],
        )
        self.assertIn("3 active", repr(owner.patch))


# -- nesting and routing ---------------------------------------------------------


class NestingTests(PatchingTestCase):
    """Sessions nested in one thread, and sibling sessions in asyncio tasks."""

    def test_child_value_wins_and_the_parent_value_comes_back(self) -> None:
        """A child's patch shadows its parent's by identity, then unshadows it."""
        original = targets.greet
        parent = self.owner("parent")
        with opened(parent):
            outer = parent.patch(f"{T}.greet")
            child = self.owner("child", parent=parent)
            with opened(child):
                inner = child.patch(f"{T}.greet")
                self.assertIs(targets.greet, inner)
            self.assertIs(targets.greet, outer)
        self.assertIs(targets.greet, original)

    def test_sibling_tasks_each_see_their_own_value(self) -> None:
        """Two asyncio tasks' sessions patching one target are routed apart."""
        seen: dict[str, list[str]] = {}

        async def task(name: str, first: asyncio.Event, then: asyncio.Event) -> None:
            owner = self.owner(name)
            with opened(owner):
                owner.patch(f"{T}.greet", return_value=name)
                first.set()
                await then.wait()
                seen[name] = [targets.greet("x")]
                await asyncio.sleep(0)
                seen[name].append(targets.greet("x"))

        async def main() -> None:
            a_ready, b_ready = asyncio.Event(), asyncio.Event()
            await asyncio.gather(
                task("a", a_ready, b_ready), task("b", b_ready, a_ready)
            )

        asyncio.run(main())
        self.assertEqual(seen, {"a": ["a", "a"], "b": ["b", "b"]})


class RouterTests(PatchingTestCase):
    """Router mode, forced in one thread with owners claiming other threads."""

    def two_threads(self) -> tuple[FakeOwner, FakeOwner]:
        return self.owner("a", thread_id=-1), self.owner("b", thread_id=-2)

    def test_router_is_installed_and_removed_with_the_second_thread(self) -> None:
        """Identity holds in direct mode, is lost while routed, and comes back."""
        a, b = self.two_threads()
        made_a = a.patch(f"{T}.greet")
        self.assertIs(targets.greet, made_a)
        b.patch(f"{T}.greet")
        self.assertIs(type(vars(targets)["greet"]), _routing._Router)
        b.patch.stopall()
        self.assertIs(targets.greet, made_a)

    def test_router_hands_each_context_its_own_value(self) -> None:
        """Calls and attributes go to the current session's value, else the original."""
        a, b = self.two_threads()
        made_a = a.patch(f"{T}.greet", return_value="a")
        made_b = b.patch(f"{T}.greet", return_value="b")
        with activated(a):
            self.assertEqual(targets.greet("x"), "a")
            targets.greet.extra = 1
            self.assertEqual(targets.greet.return_value, "a")
            del targets.greet.extra
        with activated(b):
            self.assertEqual(targets.greet("y"), "b")
            targets.greet.assert_called_once_with("y")
        self.assertEqual(targets.greet("z"), "hello z")
        made_a.assert_called_once_with("x")
        self.assertFalse(hasattr(made_a, "extra"))
        made_b.assert_called_once_with("y")

    def test_router_forwards_the_common_protocols(self) -> None:
        """Items, iteration, len, bool, in, with, async with, repr, == and hash."""
        a, b = self.two_threads()
        value = mock.MagicMock(name="value")
        value.__len__.return_value = 2
        value.__iter__.return_value = iter(["i"])
        value.__contains__.return_value = True
        value.__getitem__.return_value = "item"
        value.__bool__.return_value = False
        value.__enter__.return_value = "entered"
        value.__aenter__.return_value = "aentered"
        a.patch(f"{T}.VALUE", value)
        b.patch(f"{T}.VALUE", 99)
        with activated(a):
            routed: Any = targets.VALUE
            self.assertEqual(len(routed), 2)
            self.assertEqual(list(routed), ["i"])
            self.assertIn("x", routed)
            self.assertEqual(routed["k"], "item")
            routed["k"] = 1
            value.__setitem__.assert_called_once_with("k", 1)
            del routed["k"]
            value.__delitem__.assert_called_once_with("k")
            self.assertFalse(routed)
            with routed as entered:
                self.assertEqual(entered, "entered")

            async def enter() -> Any:
                async with routed as aentered:
                    return aentered

            self.assertEqual(asyncio.run(enter()), "aentered")
            self.assertEqual(repr(routed), repr(value))
            self.assertEqual(str(routed), str(value))
            self.assertEqual(routed, value)
            self.assertNotEqual(routed, 99)
            self.assertEqual(hash(routed), hash(value))
            self.assertIn("assert_called", dir(routed))
        with activated(b):
            self.assertEqual(targets.VALUE, 99)
            # A documented limit: operators are not forwarded.
            with self.assertRaises(TypeError):
                targets.VALUE + 1

    def test_isinstance_sees_the_spec_of_a_routed_mock(self) -> None:
        """__class__ is forwarded, so a specced mock passes isinstance."""
        a, b = self.two_threads()
        a.patch(f"{T}.HOLDER", spec=True)
        b.patch(f"{T}.HOLDER", spec=True)
        with activated(a):
            self.assertIsInstance(targets.HOLDER, targets.Holder)
            # A documented limit: the router is no mock class's instance.
            self.assertNotIsInstance(targets.HOLDER, mock.NonCallableMagicMock)
        self.assertIs(targets.HOLDER.__class__, targets.Holder)

    def test_async_function_is_awaited_through_the_router(self) -> None:
        """Calling a routed async function returns its coroutine; awaiting works."""
        a, b = self.two_threads()
        made_a = a.patch(f"{T}.fetch", autospec=True, return_value="a")
        b.patch(f"{T}.fetch", return_value="b")
        with activated(a):
            self.assertEqual(asyncio.run(targets.fetch("k")), "a")
            self.assertTrue(asyncio.iscoroutinefunction(targets.fetch))
        with activated(b):
            self.assertEqual(asyncio.run(targets.fetch("k")), "b")
        self.assertEqual(asyncio.run(targets.fetch("k")), "fetched k")
        made_a.assert_awaited_once_with("k")

    def test_router_on_a_class_binds_as_the_value_would(self) -> None:
        """On a class the router is a descriptor: methods bind, mocks do not."""
        a, b = self.two_threads()
        made_a = a.patch.object(targets.Service, "run", autospec=True, return_value=0)
        b.patch.object(targets.Service, "run", return_value=-1)
        service = targets.Service()
        self.assertEqual(service.run(5), 5)
        with activated(a):
            self.assertEqual(service.run(5), 0)
            self.assertIs(targets.Service.run, made_a)
        made_a.assert_called_once_with(service, 5)
        with activated(b):
            self.assertEqual(service.run(), -1)

    def test_autospec_under_a_router_specs_from_the_own_view(self) -> None:
        """A patch started while routed reads its session's value, not the router."""
        a, b = self.two_threads()
        a.patch(f"{T}.greet", return_value="a")
        b.patch(f"{T}.Service", return_value="b")
        c = self.owner("c", thread_id=-3)
        made = c.patch(f"{T}.greet", autospec=True)
        self.assertEqual(str(inspect.signature(made)), "(name: 'str') -> 'str'")
        with activated(c), self.assertRaises(TypeError):
            targets.greet()
        if _compat.PY_3_10_PLUS:
            child = self.owner("a-child", parent=a, thread_id=-1)
            with self.assertRaises(InvalidSpecError):
                child.patch(f"{T}.greet", autospec=True)

    def test_child_of_a_session_in_another_thread_sees_the_parent_value(self) -> None:
        """Resolution walks the parent chain across threads."""
        a, b = self.two_threads()
        a.patch(f"{T}.greet", return_value="a")
        b.patch(f"{T}.greet", return_value="b")
        child = self.owner("a-child", parent=a, thread_id=-4)
        with activated(child):
            self.assertEqual(targets.greet("x"), "a")

    def test_created_attribute_is_missing_for_other_contexts(self) -> None:
        """A name one thread's session created is absent where no session is."""
        a, b = self.two_threads()
        a.patch(f"{T}.not_there", create=True, return_value="a")
        b.patch(f"{T}.not_there", create=True, return_value="b")
        with self.assertRaisesRegex(AttributeError, "'not_there'"):
            targets.not_there()
        with activated(b):
            self.assertEqual(targets.not_there(), "b")


# -- real threads ---------------------------------------------------------------


class Worker:
    """A thread that runs the functions it is handed, one at a time, in order.

    Its context is its own (a new thread starts with an empty one), so a
    session it activates is current for everything it later runs.
    """

    TIMEOUT = 30.0

    def __init__(self, name: str, start: threading.Barrier) -> None:
        self.name = name
        self.owner: FakeOwner | None = None
        self._start = start
        self._requests: queue.Queue[Callable[[], Any] | None] = queue.Queue()
        self._replies: queue.Queue[tuple[bool, Any]] = queue.Queue()
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.thread.start()

    def _main(self) -> None:
        self._start.wait(self.TIMEOUT)
        while True:
            request = self._requests.get()
            if request is None:
                return
            try:
                self._replies.put((True, request()))
            except BaseException as exc:
                self._replies.put((False, exc))

    def run(self, function: Callable[[], Any]) -> Any:
        """Run *function* in this worker's thread; return or raise its outcome."""
        self._requests.put(function)
        ok, value = self._replies.get(timeout=self.TIMEOUT)
        if not ok:
            raise value
        return value

    def close(self) -> None:
        self._requests.put(None)
        self.thread.join(self.TIMEOUT)


class Sessions:
    """Open and close nested FakeOwner sessions inside a worker's thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stack: list[tuple[FakeOwner, Any]] = []
        self.opened: list[FakeOwner] = []

    def enter(self, target: str = f"{T}.greet") -> None:
        parent = self.stack[-1][0] if self.stack else None
        label = f"{self.name}/{len(self.stack)}"
        owner = FakeOwner(label, parent=parent)
        token = _context.activate(owner)
        self.stack.append((owner, token))
        self.opened.append(owner)
        owner.patch(target, return_value=label)

    def exit(self) -> None:
        owner, token = self.stack.pop()
        try:
            owner.patch.stopall()
        finally:
            _context.deactivate(token)

    def expected(self) -> str:
        return self.stack[-1][0].name


class ThreadTests(PatchingTestCase):
    """Sessions in several threads patching one target."""

    THREADS = 8

    def workers(self, count: int) -> list[Worker]:
        barrier = threading.Barrier(count)
        workers = [Worker(f"w{i}", barrier) for i in range(count)]
        for worker in workers:
            self.addCleanup(worker.close)
        return workers

    def run_schedule(self, seed: int) -> None:
        rng = random.Random(seed)
        workers = self.workers(self.THREADS)
        plans: dict[int, list[str]] = {}
        for index in range(len(workers)):
            # Half the threads open a nested session inside their first one.
            nested = ["enter", "exit"] if rng.random() < 0.5 else []
            plans[index] = ["enter", *nested, "exit"]
        schedule: list[tuple[int, str]] = []
        while plans:
            index = rng.choice(sorted(plans))
            schedule.append((index, plans[index].pop(0)))
            if not plans[index]:
                del plans[index]
        sessions = [Sessions(f"w{i}") for i in range(len(workers))]
        for step, (index, action) in enumerate(schedule):
            worker, state = workers[index], sessions[index]
            worker.run(state.enter if action == "enter" else state.exit)
            # After every step, every thread with an open session sees its own.
            for other, other_state in zip(workers, sessions):
                if other_state.stack:
                    seen = other.run(functools.partial(targets.greet, "x"))
                    self.assertEqual(
                        seen, other_state.expected(), f"seed {seed}, step {step}"
                    )
        self.assertIs(vars(targets)["greet"], self._before[0]["greet"])
        for state in sessions:
            for owner in state.opened:
                self.assertEqual(len(owner.patch), 0)

    def test_interleaved_sessions_in_many_threads_each_see_their_own(self) -> None:
        """Random interleavings of 8 threads' sessions: each sees its own value."""
        for seed in range(8):
            with self.subTest(seed=seed):
                self.run_schedule(seed)

    def test_out_of_order_exits_across_threads(self) -> None:
        """Sessions ending in another order than they began still restore all."""
        workers = self.workers(3)
        sessions = [Sessions(f"w{i}") for i in range(3)]
        for worker, state in zip(workers, sessions):
            worker.run(state.enter)
        for index in (1, 0, 2):
            workers[index].run(sessions[index].exit)
            for worker, state in zip(workers, sessions):
                if state.stack:
                    seen = worker.run(functools.partial(targets.greet, "x"))
                    self.assertEqual(seen, state.expected())
        self.assertIs(vars(targets)["greet"], self._before[0]["greet"])

    def test_free_running_threads_restore_the_original(self) -> None:
        """Threads patching and calling one target at once never see another's mock."""
        original = targets.greet
        barrier = threading.Barrier(self.THREADS)
        failures: list[str] = []

        def hammer(index: int) -> None:
            barrier.wait(Worker.TIMEOUT)
            for round_ in range(50):
                state = Sessions(f"t{index}.{round_}")
                state.enter()
                try:
                    for _ in range(3):
                        seen = targets.greet("x")
                        if seen != state.expected():
                            failures.append(f"{state.expected()} saw {seen!r}")
                finally:
                    state.exit()

        threads = [
            threading.Thread(target=hammer, args=(i,)) for i in range(self.THREADS)
        ]
        # Switch threads often, so that patches and calls really interleave.
        self.addCleanup(sys.setswitchinterval, sys.getswitchinterval())
        sys.setswitchinterval(1e-6)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(Worker.TIMEOUT)
        self.assertEqual(failures, [])
        self.assertIs(targets.greet, original)

    def test_stdlib_patch_leaves_a_mock_installed_when_threads_interleave(
        self,
    ) -> None:
        """Why routing exists: A starts, B starts, A stops, B stops leaks A's mock."""
        original = targets.greet
        workers = self.workers(2)
        patchers = [mock.patch(f"{T}.greet"), mock.patch(f"{T}.greet")]
        try:
            made_a = workers[0].run(patchers[0].start)
            workers[1].run(patchers[1].start)
            workers[0].run(patchers[0].stop)
            workers[1].run(patchers[1].stop)
            self.assertIs(targets.greet, made_a)
        finally:
            targets.greet = original
        # The same interleaving through sessions leaves the original.
        sessions = [Sessions("a"), Sessions("b")]
        workers[0].run(sessions[0].enter)
        workers[1].run(sessions[1].enter)
        workers[0].run(sessions[0].exit)
        workers[1].run(sessions[1].exit)
        self.assertIs(targets.greet, original)


# -- properties -----------------------------------------------------------------


def _returning(token: str) -> Callable[[], str]:
    def value() -> str:
        return token

    return value


MISSING = "<missing>"


class _Model:
    """What every context should see, by the documented rules."""

    def __init__(self, owners: list[FakeOwner]) -> None:
        self.owners = owners
        self.entries: dict[int, list[tuple[FakeOwner, str]]] = {}

    def lineage(self, owner: FakeOwner | None) -> list[FakeOwner]:
        chain: list[FakeOwner] = []
        while owner is not None:
            chain.append(owner)
            owner = owner.parent
        return chain

    def expected(self, target: int, original: str, context: FakeOwner | None) -> str:
        entries = self.entries.get(target, [])
        if not entries:
            return original
        newest = entries[-1][0]
        lineage = self.lineage(newest)
        if all(
            owner.thread_id == newest.thread_id and any(owner is s for s in lineage)
            for owner, _ in entries
        ):
            return entries[-1][1]
        mine = self.lineage(context)
        for owner, token in reversed(entries):
            if any(owner is s for s in mine):
                return token
        return original


class PropertyTests(PatchingTestCase):
    """Invariants over random sequences of patches and stops."""

    # (namespace, name, create?) and the original each is read as.
    TARGETS: ClassVar[list[tuple[Any, str, bool, str]]] = [
        (targets, "h0", False, "h0"),
        (targets.SubService, "kind", False, "base-kind"),
        (targets.HOLDER, "fn", False, "holder"),
        (targets, "created", True, MISSING),
    ]

    def make_owners(self) -> list[FakeOwner]:
        # Thread 1: a root, its child and a sibling root; thread 2: a root;
        # thread 3: a child of thread 2's root.
        root = FakeOwner("root", thread_id=1)
        child = FakeOwner("child", parent=root, thread_id=1)
        sibling = FakeOwner("sibling", thread_id=1)
        other = FakeOwner("other", thread_id=2)
        remote_child = FakeOwner("remote-child", parent=other, thread_id=3)
        return [root, child, sibling, other, remote_child]

    def read(self, index: int) -> str:
        namespace, name, _, _ = self.TARGETS[index]
        try:
            value = getattr(namespace, name)
            return str(value())
        except AttributeError:
            return MISSING

    def check(self, model: _Model, owners: list[FakeOwner]) -> None:
        for context in [None, *owners]:
            with activated(context):
                for index, (_, _, _, original) in enumerate(self.TARGETS):
                    self.assertEqual(
                        self.read(index),
                        model.expected(index, original, context),
                        (index, context),
                    )

    @given(
        steps=st.lists(
            st.tuples(
                st.sampled_from(["start", "start", "stop"]),
                st.integers(0, 4),
                st.integers(0, 3),
            ),
            max_size=25,
        ),
        final_order=st.permutations(range(5)),
    )
    def test_any_sequence_of_patches_and_stops_restores_every_original(
        self, steps: list[tuple[str, int, int]], final_order: list[int]
    ) -> None:
        """Each context sees its rule's value throughout; all originals come back."""
        owners = self.make_owners()
        model = _Model(owners)
        originals = [
            vars(targets)["h0"],
            targets.HOLDER.fn,
        ]
        counter = 0
        try:
            for action, owner_index, target_index in steps:
                owner = owners[owner_index]
                if action == "start":
                    counter += 1
                    token = f"{owner.name}#{counter}"
                    namespace, name, create, _ = self.TARGETS[target_index]
                    owner.patch.object(
                        namespace, name, _returning(token), create=create
                    )
                    model.entries.setdefault(target_index, []).append((owner, token))
                else:
                    owner.patch.stopall()
                    for entries in model.entries.values():
                        entries[:] = [e for e in entries if e[0] is not owner]
                self.check(model, owners)
            for owner_index in final_order:
                owners[owner_index].patch.stopall()
        finally:
            for owner in owners:
                owner.patch.stopall()
        self.assertIs(vars(targets)["h0"], originals[0])
        self.assertIs(targets.HOLDER.fn, originals[1])
        self.assertNotIn("kind", vars(targets.SubService))
        self.assertNotIn("created", vars(targets))
        self.assertEqual(_routing._slots, {})


class ContextTests(unittest.TestCase):
    """mockpool._sessions.context: one current session per thread and task."""

    def test_activate_and_deactivate_nest(self) -> None:
        """deactivate makes the previously current session current again."""
        self.assertIsNone(_context.current_session())
        first = _context.activate("first")
        second = _context.activate("second")
        self.assertEqual(_context.current_session(), "second")
        _context.deactivate(second)
        self.assertEqual(_context.current_session(), "first")
        _context.deactivate(first)
        self.assertIsNone(_context.current_session())

    def test_a_new_thread_has_no_current_session(self) -> None:
        """Threads do not inherit the current session."""
        seen: list[Any] = []
        token = _context.activate("main")
        try:
            thread = threading.Thread(
                target=lambda: seen.append(_context.current_session())
            )
            thread.start()
            thread.join()
        finally:
            _context.deactivate(token)
        self.assertEqual(seen, [None])

    def test_tasks_inherit_but_do_not_leak_sessions(self) -> None:
        """A task sees its creator's session; one it opens stays its own."""

        async def child() -> Any:
            inherited = _context.current_session()
            _context.activate("task")
            return inherited

        async def main() -> tuple[Any, Any]:
            token = _context.activate("outer")
            inherited = await asyncio.create_task(child())
            after = _context.current_session()
            _context.deactivate(token)
            return inherited, after

        self.assertEqual(asyncio.run(main()), ("outer", "outer"))
