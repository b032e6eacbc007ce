"""Tests for mockpool._integration.patch: ``mockpool.patch``, the stdlib's, faster.

Each behaviour a legacy test relies on is observed twice, once through
``unittest.mock.patch`` and once through ``mockpool.patch``, and the two
records must be equal; a spy at ``mockpool._integration.install.accelerated_autospec``
shows which autospecs the accelerated path served.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import re
import sys
import threading
import types
import unittest
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import mockpool
from mockpool._base import compat as _compat
from mockpool._base import stdlib as _stdlib
from mockpool._integration import install as _install

_THIS = sys.modules[__name__]
_TARGET = f"{__name__}.Remote"
#: How long a test waits for another thread before it fails.
_WAIT = 10


class Remote:
    """A collaborator as legacy suites autospec it."""

    timeout = 5

    def __init__(self, host: str, port: int = 80) -> None:
        self.host = host

    def fetch(self, path: str, *, retries: int = 0) -> bytes:
        return b""

    async def afetch(self, path: str) -> bytes:
        return b""


async def download(url: str) -> bytes:
    """A coroutine function at module level."""
    return b""


#: An instance at module level: autospecs of it are instance specs.
REMOTE = Remote("module.example")
SETTINGS = {"mode": "real"}

# Typed Any: the tests call them in ways their signatures refuse.
_REAL_REMOTE: Any = Remote
_REAL_DOWNLOAD: Any = download
_REAL_FETCH = Remote.__dict__["fetch"]
_REAL_AFETCH = Remote.__dict__["afetch"]


def fetch_twice(path: str) -> list[bytes]:
    """Code under test: builds a Remote and uses it."""
    remote = Remote("example.org")
    return [remote.fetch(path), remote.fetch(path, retries=1)]


def _normal(value: object) -> str:
    return re.sub(r"id='\d+'|0x[0-9a-f]+", "<id>", str(value))


def _outcome(action: Callable[[], Any]) -> tuple[str, str]:
    """What *action* returned or raised, with ids normalised."""
    try:
        return ("returned", _normal(action()))
    except Exception as exc:
        return (type(exc).__name__, _normal(exc))


def _dotted(owner: Any) -> str:
    if isinstance(owner, types.ModuleType):
        return owner.__name__
    return f"{owner.__module__}.{owner.__qualname__}"


def make_patcher(
    patch: Any, kind: str, owner: Any, attribute: str, **kwargs: Any
) -> Any:
    """A patcher of ``owner.attribute`` made by ``patch``, ``.object`` or
    ``.multiple`` (*kind*) of the given ``patch`` (the stdlib's or ours)."""
    if kind == "patch":
        return patch(f"{_dotted(owner)}.{attribute}", **kwargs)
    if kind == "object":
        return patch.object(owner, attribute, **kwargs)
    new = kwargs.pop("new", mock.DEFAULT)
    return patch.multiple(owner, **{attribute: new}, **kwargs)


@contextlib.contextmanager
def patched(
    patch: Any, kind: str, owner: Any, attribute: str, **kwargs: Any
) -> Iterator[Any]:
    """Enter :func:`make_patcher`'s patcher; give the mock it made."""
    with make_patcher(patch, kind, owner, attribute, **kwargs) as made:
        yield made[attribute] if kind == "multiple" else made


def _enter(patch: Any, kind: str, owner: Any, attribute: str, **kwargs: Any) -> Any:
    with patched(patch, kind, owner, attribute, **kwargs) as made:
        return made


def legacy_observations(patch: Any, kind: str) -> list[Any]:
    """What legacy tests rely on from an autospec patch, through *patch*."""
    seen: list[Any] = []

    def record(action: Callable[[], Any]) -> None:
        seen.append(_outcome(action))

    # A class autospec, and the instances the code under test builds.
    with patched(patch, kind, _THIS, "Remote", autospec=True) as cls:
        patched_class: Any = Remote
        record(lambda: type(cls).__name__)
        record(lambda: inspect.signature(cls))
        record(lambda: cls())
        record(lambda: patched_class("h", 1, 2))
        built = patched_class("example.org")
        record(lambda: built is cls.return_value)
        record(lambda: isinstance(built, _REAL_REMOTE))
        record(lambda: type(built).__name__)
        record(lambda: built())
        record(lambda: built.fetch())
        record(lambda: built.fetch("/", 1))
        record(lambda: built.fetch("/", retries=1))
        record(lambda: inspect.signature(built.fetch))
        record(lambda: built.missing)
        record(lambda: built.timeout)
        record(lambda: isinstance(built.afetch, mock.AsyncMock))
        built.afetch.return_value = b"page"
        record(lambda: asyncio.run(built.afetch("/")))
        record(lambda: built.afetch())
        cls.return_value.fetch.return_value = b"x"
        record(lambda: fetch_twice("/a"))
        record(lambda: cls.mock_calls)
        record(lambda: built.fetch.mock_calls)
        record(lambda: cls.assert_called_with("elsewhere"))
        record(lambda: cls)
    # spec_set: unknown attributes refused on the class and its instances.
    with patched(patch, kind, _THIS, "Remote", autospec=True, spec_set=True) as strict:
        record(lambda: setattr(strict, "unknown", 1))
        record(lambda: setattr(strict.return_value, "unknown", 1))
        record(lambda: setattr(strict.return_value, "timeout", 7))
        record(lambda: strict.return_value.timeout)
    # An instance spec: not callable, methods checked.
    with patched(patch, kind, _THIS, "REMOTE", autospec=True) as instance:
        record(lambda: type(instance).__name__)
        record(lambda: instance())
        record(lambda: instance.fetch())
        record(lambda: instance.fetch("/p"))
        record(lambda: isinstance(instance, _REAL_REMOTE))
        record(lambda: instance)
    # A coroutine function.
    with patched(patch, kind, _THIS, "download", autospec=True) as function:
        record(lambda: inspect.iscoroutinefunction(function))
        patched_function: Any = download
        record(lambda: asyncio.run(patched_function("u")))
        record(lambda: patched_function())
        record(lambda: function.mock.await_args)
    # Methods patched on the class: self is recorded, signatures checked.
    with patched(patch, kind, _REAL_REMOTE, "fetch", autospec=True) as method:
        record(lambda: _REAL_REMOTE("h").fetch("/b"))
        record(lambda: method.call_args)
        record(lambda: _REAL_REMOTE("h").fetch())
    with patched(patch, kind, _REAL_REMOTE, "afetch", autospec=True) as amethod:
        record(lambda: isinstance(amethod.mock, mock.AsyncMock))
        record(lambda: asyncio.run(_REAL_REMOTE("h").afetch("/c")))
        record(lambda: amethod.mock.await_count)
    # The stdlib's refusals.
    record(lambda: _enter(patch, kind, _THIS, "absent", autospec=True, create=True))
    record(lambda: _enter(patch, kind, _THIS, "Remote", autospec=True, new=REMOTE))
    record(
        lambda: _enter(
            patch, kind, _THIS, "Remote", autospec=True, new_callable=mock.Mock
        )
    )
    record(lambda: _enter(patch, kind, _THIS, "Remote", autospec=True, spec=Remote))
    record(lambda: hasattr(_THIS, "absent"))
    return seen


@contextlib.contextmanager
def serving_spy() -> Iterator[list[Any]]:
    """Record the spec of every autospec the accelerated path serves."""
    served: list[Any] = []
    real = _install.accelerated_autospec

    def spy(*args: Any, **kwargs: Any) -> Any:
        served.append(args[0])
        return real(*args, **kwargs)

    with mock.patch.object(_install, "accelerated_autospec", spy):
        yield served


class _StateMixin(unittest.TestCase):
    """Checks that each test leaves unittest.mock as it found it."""

    def setUp(self) -> None:
        self.assertIs(mock.create_autospec, _stdlib.create_autospec)
        self.assertIs(Remote, _REAL_REMOTE)
        self.accelerated = _install.accelerated_autospec

    def tearDown(self) -> None:
        while _install.installed():
            mockpool.uninstall()
        self.assertIs(mock.create_autospec, _stdlib.create_autospec)
        self.assertFalse(_install._accelerating.get())
        self.assertEqual(_install._entering, 0)
        self.assertIs(Remote, _REAL_REMOTE)
        self.assertIs(download, _REAL_DOWNLOAD)
        self.assertIs(REMOTE.__class__, _REAL_REMOTE)
        self.assertIs(_REAL_REMOTE.__dict__["fetch"], _REAL_FETCH)
        self.assertIs(_REAL_REMOTE.__dict__["afetch"], _REAL_AFETCH)
        self.assertIs(_install.accelerated_autospec, self.accelerated)


class SignatureTests(_StateMixin):
    def test_signatures_are_the_stdlibs(self) -> None:
        """patch, .object, .multiple, .dict: inspect.signature as the stdlib's."""
        pairs: list[tuple[Any, Any]] = [
            (mockpool.patch, mock.patch),
            (mockpool.patch.object, mock.patch.object),
            (mockpool.patch.multiple, mock.patch.multiple),
        ]
        for ours, theirs in pairs:
            with self.subTest(theirs.__name__):
                self.assertEqual(inspect.signature(ours), inspect.signature(theirs))
                self.assertEqual(ours.__qualname__, theirs.__qualname__)
        self.assertEqual(
            inspect.signature(mockpool.patch.dict), inspect.signature(mock.patch.dict)
        )

    def test_stopall_and_test_prefix_are_the_stdlibs(self) -> None:
        """patch.stopall is the stdlib's; TEST_PREFIX starts as the stdlib's."""
        self.assertIs(mockpool.patch.stopall, mock.patch.stopall)
        self.assertEqual(mockpool.patch.TEST_PREFIX, mock.patch.TEST_PREFIX)
        self.assertTrue(issubclass(mockpool.patch.dict, mock._patch_dict))

    def test_dispatcher_has_the_stdlib_signature(self) -> None:
        """The function placed in mock.create_autospec reads as the stdlib's."""
        self.assertEqual(
            inspect.signature(_install.dispatch_autospec),
            inspect.signature(_stdlib.create_autospec),
        )

    def test_bad_arguments_fail_as_with_the_stdlib(self) -> None:
        """Argument errors of the factories are the stdlib's, message and all."""
        calls: list[Callable[[Any], Any]] = [
            lambda patch: patch(),
            lambda patch: patch("nodots"),
            lambda patch: patch(
                _TARGET, mock.DEFAULT, None, False, None, None, None, 1
            ),
            lambda patch: patch(_TARGET, new=1, new_callable=mock.Mock),
            lambda patch: patch(_TARGET, autospec=True, new_callable=mock.Mock),
            lambda patch: patch.object(_TARGET, "fetch"),
            lambda patch: patch.object(Remote),
            lambda patch: patch.multiple(Remote),
            lambda patch: patch.multiple(
                Remote, fetch=1, autospec=True, new_callable=list
            ),
        ]
        for index, call in enumerate(calls):
            with self.subTest(index):
                theirs = _outcome(functools.partial(call, mock.patch))
                ours = _outcome(functools.partial(call, mockpool.patch))
                self.assertEqual(ours, theirs)
                self.assertNotEqual(theirs[0], "returned")

    @unittest.skipUnless(_compat.PY_3_10_PLUS, "the typo check came in 3.10")
    def test_misspelt_arguments_fail_as_with_the_stdlib(self) -> None:
        """autospect= and friends: the stdlib's RuntimeError, and unsafe=True."""
        for patch in (mock.patch, mockpool.patch):
            with self.subTest(patch.__module__):
                with self.assertRaisesRegex(RuntimeError, "'autospect' might be"):
                    patch(_TARGET, autospect=True)
                with self.assertRaisesRegex(RuntimeError, "'set_spec' might be"):
                    patch.object(Remote, "fetch", set_spec=True)
                patch(_TARGET, autospect=True, unsafe=True)


class LegacyBehaviourTests(_StateMixin):
    """What a legacy test sees is the stdlib's; the autospec is ours."""

    def assert_same_as_stdlib(self, kind: str) -> None:
        with serving_spy() as plain_served:
            plain = legacy_observations(mock.patch, kind)
        with serving_spy() as fast_served:
            fast = legacy_observations(mockpool.patch, kind)
        self.assertEqual(fast, plain)
        # The records are about something: signature errors and refusals.
        self.assertIn(("TypeError", "missing a required argument: 'path'"), plain)
        self.assertIn(("TypeError", "Can't use 'autospec' with create=True"), plain)
        self.assertIn(
            (
                "TypeError",
                "autospec creates the mock for you. Can't specify autospec and new.",
            ),
            plain,
        )
        self.assertIn(
            ("ValueError", "Cannot use 'autospec' and 'new_callable' together"),
            plain,
        )
        self.assertIn(
            ("AttributeError", "Mock object has no attribute 'unknown'"), plain
        )
        self.assertEqual(plain_served, [])
        self.assertEqual(
            fast_served,
            [
                _REAL_REMOTE,
                _REAL_REMOTE,
                REMOTE,
                _REAL_DOWNLOAD,
                _REAL_FETCH,
                _REAL_AFETCH,
            ],
        )

    def test_patch_autospec_is_the_stdlibs_behaviour_served_by_mockpool(self) -> None:
        """patch(autospec=True): the stdlib's behaviour, mockpool's autospec."""
        self.assert_same_as_stdlib("patch")

    def test_patch_object_autospec_is_the_stdlibs_behaviour(self) -> None:
        """patch.object(autospec=True): the stdlib's behaviour, ours served."""
        self.assert_same_as_stdlib("object")

    def test_patch_multiple_autospec_is_the_stdlibs_behaviour(self) -> None:
        """patch.multiple(autospec=True): the stdlib's behaviour, ours served."""
        self.assert_same_as_stdlib("multiple")

    def test_autospec_object_is_served_by_mockpool(self) -> None:
        """autospec=<object> autospecs that object through the accelerated path."""
        with (
            serving_spy() as served,
            mockpool.patch.object(_THIS, "REMOTE", autospec=Remote) as cls,
        ):
            self.assertIs(REMOTE, cls)
            self.assertEqual(
                _outcome(lambda: cls.return_value.fetch()),
                ("TypeError", "missing a required argument: 'path'"),
            )
        self.assertEqual(served, [_REAL_REMOTE])

    def test_patch_without_autospec_does_not_autospec(self) -> None:
        """Without autospec, nothing goes through the accelerated path."""
        with serving_spy() as served:
            with mockpool.patch(_TARGET) as plain:
                self.assertIsInstance(plain, mock.MagicMock)
            with mockpool.patch(_TARGET, spec=True) as specced:
                self.assertEqual(
                    _outcome(lambda: specced.unknown),
                    ("AttributeError", "Mock object has no attribute 'unknown'"),
                )
            with mockpool.patch.object(_THIS, "download") as coroutine:
                self.assertIsInstance(coroutine, mock.AsyncMock)
            with mockpool.patch(_TARGET, new=REMOTE) as new:
                self.assertIs(new, REMOTE)
                self.assertIs(Remote, REMOTE)
        self.assertEqual(served, [])


class IsolationTests(_StateMixin):
    """Plain unittest.mock keeps the stdlib's autospec meanwhile."""

    def test_stdlib_autospec_while_a_mockpool_patch_is_active(self) -> None:
        """After ours entered, mock.patch and mock.create_autospec are the stdlib's."""
        with serving_spy() as served, mockpool.patch(_TARGET, autospec=True):
            self.assertIs(mock.create_autospec, _stdlib.create_autospec)
            built = mock.create_autospec(_REAL_REMOTE, instance=True)
            with mock.patch.object(_THIS, "download", autospec=True):
                pass
            with mock.patch.multiple(_REAL_REMOTE, fetch=mock.DEFAULT, autospec=True):
                pass
            self.assertEqual(
                _outcome(lambda: built.fetch()),
                ("TypeError", "missing a required argument: 'path'"),
            )
        self.assertEqual(served, [_REAL_REMOTE])

    def test_dispatcher_serves_only_the_flagged_context(self) -> None:
        """dispatch_autospec: the stdlib unless accelerating() or install()."""
        with serving_spy() as served:
            plain = _install.dispatch_autospec(_REAL_REMOTE, instance=True)
            self.assertEqual(served, [])
            with _install.accelerating():
                self.assertIs(mock.create_autospec, _install.dispatch_autospec)
                fast = _install.dispatch_autospec(_REAL_REMOTE, instance=True)
                self.assertEqual(served, [_REAL_REMOTE])
                outside: list[Any] = []
                thread = threading.Thread(
                    target=lambda: outside.append(
                        _install.dispatch_autospec(_REAL_REMOTE, True, True)
                    )
                )
                thread.start()
                thread.join(_WAIT)
                self.assertEqual(len(outside), 1)
                self.assertEqual(served, [_REAL_REMOTE])
            self.assertIs(mock.create_autospec, _stdlib.create_autospec)
            with mockpool.install():
                _install.dispatch_autospec(download)
            self.assertEqual(served, [_REAL_REMOTE, _REAL_DOWNLOAD])
        for built in (plain, fast, outside[0]):
            self.assertEqual(
                _outcome(lambda: built.fetch()),  # noqa: B023
                ("TypeError", "missing a required argument: 'path'"),
            )
        self.assertEqual(
            _outcome(lambda: setattr(outside[0], "unknown", 1)),
            ("AttributeError", "Mock object has no attribute 'unknown'"),
        )

    def test_other_threads_keep_the_stdlib_while_ours_enters(self) -> None:
        """While ours is in __enter__, another thread's autospecs are the stdlib's."""
        entered = threading.Event()
        proceed = threading.Event()
        serving_threads: list[str] = []
        real = _install.accelerated_autospec

        def blocking(*args: Any, **kwargs: Any) -> Any:
            serving_threads.append(threading.current_thread().name)
            if threading.current_thread().name == "ours":
                entered.set()
                proceed.wait(_WAIT)
            return real(*args, **kwargs)

        made: list[Any] = []

        def ours() -> None:
            with mockpool.patch(_TARGET, autospec=True) as cls:
                made.append(cls)
                made.append(Remote)

        with mock.patch.object(_install, "accelerated_autospec", blocking):
            thread = threading.Thread(target=ours, name="ours")
            thread.start()
            try:
                self.assertTrue(entered.wait(_WAIT))
                self.assertIs(mock.create_autospec, _install.dispatch_autospec)
                plain = mock.create_autospec(_REAL_REMOTE, instance=True)
                with mock.patch.object(_THIS, "download", autospec=True) as function:
                    self.assertIsInstance(function.mock, mock.AsyncMock)
            finally:
                proceed.set()
                thread.join(_WAIT)
        self.assertFalse(thread.is_alive())
        self.assertEqual(serving_threads, ["ours"])
        self.assertEqual(len(made), 2)
        self.assertIs(made[0], made[1])
        self.assertEqual(
            _outcome(lambda: plain.fetch()),
            ("TypeError", "missing a required argument: 'path'"),
        )

    def test_someone_elses_create_autospec_is_left_in_place(self) -> None:
        """A spy a test put in mock.create_autospec is neither replaced nor lost."""
        with mock.patch.object(
            mock, "create_autospec", wraps=mock.create_autospec
        ) as foreign:
            with mockpool.patch(_TARGET, autospec=True) as cls:
                self.assertIs(mock.create_autospec, foreign)
            self.assertIs(mock.create_autospec, foreign)
        # The stdlib's create_autospec calls the name again for return_value.
        self.assertIs(foreign.call_args_list[0].args[0], _REAL_REMOTE)
        self.assertEqual(
            _outcome(lambda: cls.return_value.fetch()),
            ("TypeError", "missing a required argument: 'path'"),
        )

    def test_a_failed_enter_leaves_nothing_behind(self) -> None:
        """An __enter__ that raises resets the flag and mock.create_autospec."""
        patcher = mockpool.patch.object(_THIS, "absent", autospec=True, create=True)
        with self.assertRaisesRegex(TypeError, "with create=True"):
            patcher.start()
        self.assertIs(mock.create_autospec, _stdlib.create_autospec)
        self.assertFalse(_install._accelerating.get())
        self.assertNotIn(patcher, mock._patch._active_patches)  # type: ignore[attr-defined]


class ShapeTests(_StateMixin):
    """Decorators, classes, start/stop and stopall, as the stdlib's."""

    def test_function_decorators_sync_and_async(self) -> None:
        """Decorating functions and coroutine functions; stacking with mock.patch."""

        @mock.patch.object(_THIS, "download", autospec=True)
        @mockpool.patch(_TARGET, autospec=True)
        def use(cls: Any, function: Any) -> tuple[Any, Any, Any]:
            return cls, function, Remote

        @mockpool.patch.object(_THIS, "download", autospec=True)
        async def ause(function: Any) -> tuple[bytes, Any]:
            function.return_value = b"body"
            return await download("u"), function

        with serving_spy() as served:
            cls, function, seen = use()
            body, afunction = asyncio.run(ause())
        self.assertIs(cls, seen)
        self.assertIsInstance(function.mock, mock.AsyncMock)
        self.assertEqual(body, b"body")
        afunction.mock.assert_awaited_once_with("u")
        self.assertEqual(served, [_REAL_REMOTE, _REAL_DOWNLOAD])
        self.assertTrue(inspect.iscoroutinefunction(ause))

    def test_class_decorator_copies_ours_for_each_test_method(self) -> None:
        """A decorated class: each test method gets its own accelerated copy."""
        patcher = mockpool.patch.multiple(
            _THIS, Remote=mock.DEFAULT, download=mock.DEFAULT, autospec=True
        )

        class Case:
            def test_one(self, **mocks: Any) -> dict[str, Any]:
                return mocks

            def test_two(self, **mocks: Any) -> dict[str, Any]:
                return mocks

            def helper(self, **mocks: Any) -> dict[str, Any]:
                return mocks

        decorated = patcher(Case)
        self.assertIs(decorated, Case)
        with serving_spy() as served:
            one, two = Case().test_one(), Case().test_two()
        self.assertEqual(Case().helper(), {})
        self.assertEqual(sorted(one), ["Remote", "download"])
        self.assertIsNot(one["Remote"], two["Remote"])
        self.assertEqual(served, [_REAL_REMOTE, _REAL_DOWNLOAD] * 2)
        copies = [Case.test_one.patchings[0], Case.test_two.patchings[0]]  # type: ignore[attr-defined]
        for copy in copies:
            self.assertIsNot(copy, patcher)
            self.assertIs(type(copy), type(patcher))
            self.assertIs(type(copy.additional_patchers[0]), type(patcher))

    def test_class_decorator_honours_our_test_prefix(self) -> None:
        """patch.TEST_PREFIX chooses the methods; the stdlib's is untouched."""

        class Case:
            def check_one(self, cls: Any) -> Any:
                return cls, SETTINGS.copy()

            def test_two(self, *args: Any) -> Any:
                return args, SETTINGS.copy()

        with mock.patch.object(mockpool.patch, "TEST_PREFIX", "check"):
            mockpool.patch(_TARGET, autospec=True)(Case)
            mockpool.patch.dict(SETTINGS, mode="fake")(Case)
        self.assertEqual(mockpool.patch.TEST_PREFIX, "test")
        self.assertEqual(mock.patch.TEST_PREFIX, "test")
        case: Any = Case()
        with serving_spy() as served:
            cls, settings = case.check_one()
            args, plain_settings = case.test_two()
        self.assertIsInstance(cls, mock.MagicMock)
        self.assertEqual(settings, {"mode": "fake"})
        self.assertEqual((args, plain_settings), ((), {"mode": "real"}))
        self.assertEqual(served, [_REAL_REMOTE])
        self.assertEqual(SETTINGS, {"mode": "real"})

        @mock.patch(_TARGET, autospec=True)
        class Plain:
            def test_one(self, cls: Any) -> Any:
                return cls

        plain: Any = Plain()
        with mock.patch.object(mockpool.patch, "TEST_PREFIX", "check"):
            self.assertIsInstance(plain.test_one(), mock.MagicMock)

    def test_start_stop_and_stopall(self) -> None:
        """start() serves ours; stopall undoes ours and the stdlib's, newest first."""
        with serving_spy() as served:
            first = mockpool.patch(_TARGET, autospec=True)
            outer = first.start()
            inner = mockpool.patch.object(
                _THIS, "Remote", autospec=_REAL_REMOTE
            ).start()
            plain = mock.patch.object(_THIS, "download", autospec=True).start()
            multiple = mockpool.patch.multiple(
                _REAL_REMOTE, fetch=mock.DEFAULT, autospec=True
            ).start()
        self.assertIs(Remote, inner)
        self.assertIsNot(inner, outer)
        self.assertIs(download, plain)
        self.assertIs(_REAL_REMOTE.__dict__["fetch"], multiple["fetch"])
        self.assertEqual(served, [_REAL_REMOTE, _REAL_REMOTE, _REAL_FETCH])
        mockpool.patch.stopall()
        self.assertIs(Remote, _REAL_REMOTE)
        self.assertIs(download, _REAL_DOWNLOAD)
        self.assertIs(_REAL_REMOTE.__dict__["fetch"], _REAL_FETCH)
        first.stop()  # stopped already: does nothing, as the stdlib's
        self.assertIs(Remote, _REAL_REMOTE)

    def test_stdlib_stopall_stops_ours(self) -> None:
        """mock.patch.stopall() also undoes patchers started through ours."""
        mockpool.patch(_TARGET, autospec=True).start()
        mockpool.patch.dict(SETTINGS, mode="fake").start()
        self.assertEqual(SETTINGS, {"mode": "fake"})
        mock.patch.stopall()
        self.assertIs(Remote, _REAL_REMOTE)
        self.assertEqual(SETTINGS, {"mode": "real"})


class InstallNestingTests(_StateMixin):
    """mockpool.patch inside and around install()."""

    def test_patch_inside_install(self) -> None:
        """Installed: ours and the stdlib's patch both go to the accelerated path."""
        with serving_spy() as served, mockpool.install():
            self.assertIs(mock.create_autospec, _install.accelerated_autospec)
            with mockpool.patch(_TARGET, autospec=True):
                self.assertIs(mock.create_autospec, _install.accelerated_autospec)
            with mock.patch.object(_THIS, "download", autospec=True):
                pass
            self.assertTrue(mockpool.installed())
            self.assertIs(mock.create_autospec, _install.accelerated_autospec)
        self.assertEqual(served, [_REAL_REMOTE, _REAL_DOWNLOAD])

    def test_install_and_uninstall_around_a_started_patch(self) -> None:
        """A patch started before install, stopped after it: all restored."""
        with serving_spy() as served:
            patcher = mockpool.patch(_TARGET, autospec=True)
            patcher.start()
            installation = mockpool.install()
            mock.create_autospec(download)
            patcher.stop()
            installation.undo()
            mock.create_autospec(download)
        self.assertEqual(served, [_REAL_REMOTE, _REAL_DOWNLOAD])

    def test_install_while_ours_enters_in_another_thread(self) -> None:
        """install/uninstall while ours is inside __enter__ elsewhere."""
        entered = threading.Event()
        proceed = threading.Event()
        serving_threads: list[str] = []
        real = _install.accelerated_autospec

        def blocking(*args: Any, **kwargs: Any) -> Any:
            serving_threads.append(threading.current_thread().name)
            if threading.current_thread().name == "ours":
                entered.set()
                proceed.wait(_WAIT)
            return real(*args, **kwargs)

        def ours() -> None:
            with mockpool.patch(_TARGET, autospec=True):
                pass

        with mock.patch.object(_install, "accelerated_autospec", blocking):
            thread = threading.Thread(target=ours, name="ours")
            thread.start()
            try:
                self.assertTrue(entered.wait(_WAIT))
                with mockpool.install():
                    self.assertIs(mock.create_autospec, blocking)
                    mock.create_autospec(_REAL_REMOTE)
                self.assertIs(mock.create_autospec, _install.dispatch_autospec)
                mock.create_autospec(_REAL_REMOTE)
            finally:
                proceed.set()
                thread.join(_WAIT)
        self.assertFalse(thread.is_alive())
        self.assertEqual(serving_threads, ["ours", threading.current_thread().name])


if __name__ == "__main__":
    unittest.main()
