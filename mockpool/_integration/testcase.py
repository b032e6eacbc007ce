"""unittest integration: a mock session around each test.

Four shapes over one engine:

* :func:`mock_services`, a class decorator: a session around each test
  (``setUp``, the test, ``tearDown`` and the cleanups), or one for the whole
  class;
* :class:`MockSessionMixin`, the same per-test session by inheritance;
* :func:`with_mock_session`, a method decorator that joins
  :func:`unittest.mock.patch`'s decorator stack;
* :func:`session_for`, for a session opened by hand in ``setUp``.

The per-test session is opened when the test's ``run()`` (or ``debug()``)
starts, and closed by a cleanup registered before any other, so that it
runs after every cleanup the test registers; unittest then reports an error
raised while closing as an error of that test.

Which context a session is current in matters for
:class:`unittest.IsolatedAsyncioTestCase`. From Python 3.11 on it runs
``setUp``, the test, ``tearDown`` and the cleanups in a context it copies
when the test object is *created* (its ``_asyncioTestContext``); a session
opened anywhere else would be invisible to them, so the per-test session is
opened and closed inside that context. Before 3.11 the synchronous parts
run in the caller's context and the asynchronous ones in one task created
at the start of ``run()``, which copies the caller's context: a session
opened before that (as the decorator and the mixin do) is current in both.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import keyword
import sys
import unittest

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import (  # noqa: UP029
    any,
    callable,
    delattr,
    getattr,
    isinstance,
    issubclass,
    len,
    repr,
    setattr,
    vars,
)
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from unittest import mock

from mockpool._services.registry import Registry, default_registry
from mockpool._sessions import context as _context
from mockpool._sessions.session import MockSession, mock_session
from mockpool.errors import (
    ArgumentTypeError,
    InvalidArgumentError,
    UnknownServiceError,
)

__all__ = [
    "MockSessionMixin",
    "mock_services",
    "session_for",
    "with_mock_session",
]

_R = TypeVar("_R")
_C = TypeVar("_C", bound=type)


@functools.cache
def _wrapper_types() -> tuple[Any, Any]:
    """The wrapt-based wrapper classes: ``(_Wrapper, _PatchedFunction)``.

    wrapt is imported when a decorator first needs it, not with mockpool:
    importing it costs tens of milliseconds (it imports importlib.metadata),
    which a suite under ``python -m mockpool run`` would pay for nothing.
    """
    import wrapt

    # wrapt's stubs describe Python 3.10+ only: under 3.9, mypy sees none of
    # its names. Going through one alias typed Any keeps both checks quiet.
    function_wrapper: Any = wrapt.FunctionWrapper  # type: ignore[attr-defined, name-defined, unused-ignore]

    class _Wrapper(function_wrapper):  # type: ignore[misc]
        """A method of a decorated class, wrapped by mockpool (a marker type)."""

    class _PatchedFunction(function_wrapper):  # type: ignore[misc]
        """A test function wrapped by :func:`with_mock_session`.

        It carries a ``patchings`` list, as functions decorated by
        ``mock.patch`` do, so that ``mock.patch`` decorators applied on top
        join it instead of wrapping it again.
        """

        def __init__(
            self,
            wrapped: Callable[..., Any],
            wrapper: Callable[..., Any],
            patchings: Any,
        ) -> None:
            super().__init__(wrapped, wrapper)
            self._self_patchings = patchings

        @property
        def patchings(self) -> Any:
            """The ``mock.patch``-style list of members to enter around a call."""
            return self._self_patchings

    return _Wrapper, _PatchedFunction


_SCOPES = ("test", "class")
#: Where the decorator keeps its configuration, on the decorated class.
_CONFIG = "_mockpool_config"
#: Where a class-scoped session lives, on the class it serves.
_CLASS_SESSION = "_mockpool_class_session"
#: Where a per-test session lives, on the test object it serves.
_TEST_SESSION = "_mockpool_test_session"
#: The attribute that holds the session itself, on tests (and classes).
_SESSION_ATTRIBUTE = "mock_session"


class _Config:
    """What a decorated class (or a mixin user) asked for.

    Read-only by convention: a plain class, as nothing compares, copies or
    prints one (a frozen dataclass would cost its import a millisecond).
    """

    __slots__ = ("attribute", "names", "registry", "scope")

    def __init__(
        self, names: tuple[str, ...], registry: Registry, attribute: str, scope: str
    ) -> None:
        self.names = names
        self.registry = registry
        self.attribute = attribute
        self.scope = scope


# -- checks on arguments ----------------------------------------------------------


def _dotted_name(obj: object) -> str:
    """Return ``module.QualName`` of a class or function (else its repr)."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    return repr(obj)


def _check_names(
    names: tuple[object, ...], where: str, *, call: str | None = None
) -> tuple[str, ...]:
    """Return *names* without repeats if all are strings, else raise.

    Args:
        names: The names given.
        where: Who takes them, for the message.
        call: The decorator that takes them as arguments, for hints;
            ``None`` when they come some other way.
    """
    checked: list[str] = []
    for name in names:
        if not isinstance(name, str):
            if call is not None and isinstance(name, (tuple, list, set, frozenset)):
                fix = f"pass names as separate arguments: @{call}(*{name!r})"
            elif call is not None and (isinstance(name, type) or callable(name)):
                fix = f"call the decorator: @{call}('RedisService'), not @{call}"
            else:
                fix = "pass service names such as 'RedisService'"
            raise ArgumentTypeError(
                f"{where}: service names must be str, not {name!r}; {fix}"
            )
        if name not in checked:
            checked.append(name)
    return tuple(checked)


def _check_registry(registry: object, where: str) -> Registry:
    """Return *registry*, or the default registry for ``None``, else raise."""
    if registry is None:
        return default_registry
    if isinstance(registry, Registry):
        return registry
    raise ArgumentTypeError(
        f"{where}: registry must be a mockpool.Registry or None, not {registry!r}; "
        f"pass registry=mockpool.Registry(), or leave it out for "
        f"mockpool.default_registry"
    )


def _check_known(names: tuple[str, ...], registry: Registry, owner: str) -> None:
    """Raise UnknownServiceError, naming *owner*, for an unregistered name."""
    for name in names:
        if name not in registry:
            try:
                registry.get(name)
            except UnknownServiceError as exc:
                raise UnknownServiceError(f"{owner}: {exc}") from None


def _check_attribute(attribute: object) -> str:
    """Return *attribute* if it can name the mocks' attribute, else raise."""
    if not isinstance(attribute, str):
        raise ArgumentTypeError(
            f"attribute must be a str, not {attribute!r}; pass a name such as "
            f"attribute='mocks'"
        )
    if (
        not attribute.isidentifier()
        or keyword.iskeyword(attribute)
        or attribute.startswith("__")
        or attribute == _SESSION_ATTRIBUTE
    ):
        raise InvalidArgumentError(
            f"attribute {attribute!r} cannot hold the mocks; pass an identifier "
            f"that is not a keyword, not a dunder and not {_SESSION_ATTRIBUTE!r}, "
            f"such as attribute='mocks'"
        )
    return attribute


def _check_scope(scope: object) -> str:
    """Return *scope* if it is ``"test"`` or ``"class"``, else raise."""
    if not isinstance(scope, str):
        raise ArgumentTypeError(
            f"scope must be 'test' or 'class', not {scope!r}; pass scope='test' "
            f"(a session per test) or scope='class' (one for the class)"
        )
    if scope not in _SCOPES:
        raise InvalidArgumentError(
            f"scope {scope!r} is not known; pass scope='test' (a session per "
            f"test) or scope='class' (one for the class)"
        )
    return scope


def _check_free(cls: type, attribute: str, owner: str) -> None:
    """Raise if *cls* already defines an attribute the decorator would set."""
    for name in (attribute, _SESSION_ATTRIBUTE):
        for klass in cls.__mro__:
            if name in vars(klass):
                fix = (
                    "pass attribute= with a free name"
                    if name == attribute
                    else f"rename {_dotted_name(klass)}.{name}"
                )
                raise InvalidArgumentError(
                    f"{owner}: {_dotted_name(klass)} already defines {name!r}, which "
                    f"the session's {name!r} would hide; {fix}"
                )


# -- running a test inside a session ----------------------------------------------


def _test_context(test: unittest.TestCase) -> contextvars.Context | None:
    """Return the context an asynchronous test runs its parts in, if any.

    ``IsolatedAsyncioTestCase`` on 3.11+ copies one in ``__init__`` and runs
    ``setUp``, the test, ``tearDown`` and the cleanups in it. A feature
    probe rather than a version check: the attribute is what matters.
    """
    context = getattr(test, "_asyncioTestContext", None)
    return context if isinstance(context, contextvars.Context) else None


def _run_in(
    context: contextvars.Context | None, function: Callable[..., _R], *args: Any
) -> _R:
    """Call *function* in *context*, or in the current one for ``None``."""
    if context is None:
        return function(*args)
    return context.run(function, *args)


def _open(registry: Registry, names: tuple[str, ...], name: str) -> MockSession:
    """Open a session and acquire *names* from it; close it if that fails."""
    session = mock_session(registry, name=name).open()
    try:
        for service in names:
            session.get(service)
    except BaseException:
        session.close()
        raise
    return session


class _TestCloser:
    """The cleanup that ends a test's session.

    Registered before anything else, so it runs after every other cleanup.
    It drops the test's references to the session first: the pools count
    who still holds a returned mock.
    """

    def __init__(self, test: unittest.TestCase, session: MockSession, attribute: str):
        self.test = test
        self.session = session
        self.attribute = attribute

    def __call__(self) -> None:
        _close_session_of(self.test, self.session, self.attribute, _TEST_SESSION)

    def forget(self) -> None:
        """Take this cleanup off the test's list, when ``run()`` never ran it."""
        cleanups = getattr(self.test, "_cleanups", None)
        if isinstance(cleanups, list):
            cleanups[:] = [entry for entry in cleanups if entry[0] is not self]


def _run_test(test: unittest.TestCase, call: Callable[[], _R], config: _Config) -> _R:
    """Run *call* (the test's ``run`` or ``debug``) inside a new session."""
    active = vars(test).get(_TEST_SESSION)
    if isinstance(active, MockSession) and not active.closed:
        # An outer wrapper of the same test (a subclass's own run() calling
        # super().run()) has opened the session already.
        return call()
    context = _test_context(test)
    try:
        session = _run_in(context, _open, config.registry, config.names, test.id())
    except Exception as exc:
        return _run_failing_set_up(test, exc, call)
    state = vars(test)
    state[config.attribute] = session.mocks
    state[_SESSION_ATTRIBUTE] = session
    state[_TEST_SESSION] = session
    closer = _TestCloser(test, session, config.attribute)
    test.addCleanup(closer)
    try:
        outcome = call()
    except BaseException:
        # debug() does not run cleanups when a part fails.
        if not session.closed:
            closer.forget()
            _run_in(context, closer)
        raise
    if not session.closed:
        # run() returned without running cleanups: the test was skipped.
        closer.forget()
        try:
            _run_in(context, closer)
        except Exception:
            if not isinstance(outcome, unittest.TestResult):
                raise
            outcome.addError(test, sys.exc_info())
    return outcome


def _run_failing_set_up(
    test: unittest.TestCase, error: Exception, call: Callable[[], _R]
) -> _R:
    """Run the test with a ``setUp`` that raises *error*.

    The session could not be opened. Raising from ``run()`` would end the
    whole suite; raising from ``setUp`` makes unittest report it as an error
    of this test, as it would any other failure to set up.
    """

    def setUp() -> None:
        raise error

    state = vars(test)
    missing = object()
    previous = state.get("setUp", missing)
    state["setUp"] = setUp
    try:
        return call()
    finally:
        if previous is missing:
            state.pop("setUp", None)
        else:
            state["setUp"] = previous


def _run_shared(test: unittest.TestCase, call: Callable[[], _R], session: Any) -> _R:
    """Run *call* with the class's *session* current in the test's context.

    A sync test runs in the context where ``setUpClass`` opened the session;
    an asynchronous one on 3.11+ runs in a context copied before that.
    """
    context = _test_context(test)
    if context is None:
        return call()
    token = context.run(_context.activate, session)
    try:
        return call()
    finally:
        context.run(_context.deactivate, token)


# -- the class decorator ----------------------------------------------------------


def _config_of(cls: type) -> _Config | None:
    config = getattr(cls, _CONFIG, None)
    return config if isinstance(config, _Config) else None


def _class_session(cls: type) -> MockSession | None:
    """Return the open class-scoped session of exactly *cls*, if any."""
    session = vars(cls).get(_CLASS_SESSION)
    if isinstance(session, MockSession) and not session.closed:
        return session
    return None


def _wrap_run(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: Any
) -> Any:
    """Wrapper of ``run`` and ``debug``: the test runs inside its session."""
    config = _config_of(type(instance))
    if config is None or not isinstance(instance, unittest.TestCase):
        return wrapped(*args, **kwargs)
    call = functools.partial(wrapped, *args, **kwargs)
    if config.scope == "class":
        shared = _class_session(type(instance))
        if shared is not None:
            return _run_shared(instance, call, shared)
        # No class session: run outside a suite (no setUpClass), or a
        # subclass's setUpClass that does not call super(). Isolate the
        # test in a session of its own rather than leave it without one.
    return _run_test(instance, call, config)


class _ClassCloser:
    """The class cleanup that ends a class-scoped session."""

    def __init__(self, cls: type, session: MockSession, attribute: str) -> None:
        self.cls = cls
        self.session = session
        self.attribute = attribute

    def __call__(self) -> None:
        _close_session_of(self.cls, self.session, self.attribute, _CLASS_SESSION)


def _close_session_of(
    owner: Any, session: MockSession, attribute: str, own_key: str
) -> None:
    """Drop *owner*'s references to *session* (test or class), then close it.

    The references go first: the pools count who still holds a returned
    mock. Only those that are still the session's own are removed.
    """
    state = vars(owner)
    for key, value in (
        (attribute, session.mocks),
        (_SESSION_ATTRIBUTE, session),
        (own_key, session),
    ):
        if state.get(key) is value:
            delattr(owner, key)
    session.close()


def _wrap_set_up_class(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: Any
) -> Any:
    """Wrapper of ``setUpClass``: open the class's session first."""
    cls = instance
    config = _config_of(cls) if isinstance(cls, type) else None
    if config is None or config.scope != "class" or _class_session(cls) is not None:
        return wrapped(*args, **kwargs)
    session = mock_session(config.registry, name=_dotted_name(cls)).open()
    # Registered before anything can fail: class cleanups run also when
    # setUpClass raises.
    cls.addClassCleanup(_ClassCloser(cls, session, config.attribute))
    setattr(cls, _CLASS_SESSION, session)
    setattr(cls, config.attribute, session.mocks)
    setattr(cls, _SESSION_ATTRIBUTE, session)
    for name in config.names:
        session.get(name)
    return wrapped(*args, **kwargs)


def _install(cls: type, name: str, wrapper: Callable[..., Any]) -> None:
    """Wrap method *name* of *cls* unless mockpool already wraps it."""
    for klass in cls.__mro__:
        if name in vars(klass):
            raw = vars(klass)[name]
            break
    else:  # pragma: no cover - every TestCase has run, debug and setUpClass
        return
    wrapper_type, _ = _wrapper_types()
    if not isinstance(raw, wrapper_type):
        setattr(cls, name, wrapper_type(raw, wrapper))


def mock_services(
    *names: str,
    registry: Registry | None = None,
    attribute: str = "mocks",
    scope: str = "test",
) -> Callable[[_C], _C]:
    """Give each test of a ``TestCase`` class a mock session of its own.

    The session is open from before ``setUp`` until after the last cleanup,
    so ``setUp``, the test, ``tearDown`` and every cleanup see the same
    session (and it is the current session there); patches made through it
    are undone and its mocks returned to their pools when it closes. The
    named services are acquired when it opens; ``self.mocks.RedisService``
    (or ``self.mocks["redis-cache"]``) returns them, and any other
    registered service on first use. ``self.mock_session`` is the session
    itself. An error raised while closing it is reported as an error of the
    test; an error while opening it, as an error in ``setUp``.

    Works with :class:`unittest.TestCase` and
    :class:`unittest.IsolatedAsyncioTestCase` and their subclasses.
    Subclasses of a decorated class inherit its services. A subclass may be
    decorated again: its own decoration then replaces the inherited one
    entirely (list the base's services again if it needs them). Decorating
    the same class twice is an error.

    Args:
        *names: Services to acquire when each session opens.
        registry: Where the services are registered;
            :data:`mockpool.default_registry` if ``None``.
        attribute: The name of the attribute that holds the mocks.
        scope: ``"test"`` for a session per test; ``"class"`` for one
            session for the whole class, opened before ``setUpClass`` runs
            (which sees it as ``cls.mocks``) and closed by a class cleanup,
            so also when ``setUpClass`` fails. A class-scoped test run on
            its own, outside a suite (no ``setUpClass``), gets a session of
            its own.

    Returns:
        The class decorator. It returns the class itself, with ``run``,
        ``debug`` and ``setUpClass`` wrapped.

    Raises:
        ArgumentTypeError: A name is not a ``str`` (``@mock_services``
            without parentheses, say), *registry* is not a registry, or the
            decorated object is not a ``TestCase`` class (from the
            decorator).
        InvalidArgumentError: *scope* or *attribute* is not usable, the
            class already defines *attribute* or ``mock_session``, or it
            is decorated twice (from the decorator).
        UnknownServiceError: (from the decorator) a name is not registered;
            the message names the class and the service.
    """
    checked = _check_names(names, "@mock_services", call="mock_services")
    chosen = _check_registry(registry, "@mock_services")
    _check_attribute(attribute)
    _check_scope(scope)

    def decorate(cls: _C) -> _C:
        if not (isinstance(cls, type) and issubclass(cls, unittest.TestCase)):
            raise ArgumentTypeError(
                f"@mock_services decorates unittest.TestCase subclasses, not "
                f"{_dotted_name(cls)}; derive it from unittest.TestCase or "
                f"unittest.IsolatedAsyncioTestCase, or open sessions with "
                f"mockpool.mock_session()"
            )
        owner = f"@mock_services on {_dotted_name(cls)}"
        if issubclass(cls, MockSessionMixin):
            raise ArgumentTypeError(
                f"{owner}: the class already uses MockSessionMixin; use one or "
                f"the other (set mock_services = (...) on the class, or drop the "
                f"mixin)"
            )
        if _CONFIG in vars(cls):
            raise InvalidArgumentError(
                f"{owner}: the class is already decorated with @mock_services; "
                f"pass all names to one decorator, as in "
                f"@mock_services('RedisService', 'JwtService')"
            )
        _check_known(checked, chosen, owner)
        _check_free(cls, attribute, owner)
        setattr(cls, _CONFIG, _Config(checked, chosen, attribute, scope))
        _install(cls, "run", _wrap_run)
        _install(cls, "debug", _wrap_run)
        _install(cls, "setUpClass", _wrap_set_up_class)
        return cls

    return decorate


# -- the mixin ------------------------------------------------------------------

if TYPE_CHECKING:
    _MixinBase = unittest.TestCase
else:
    _MixinBase = object


class MockSessionMixin(_MixinBase):
    """Give each test a mock session of its own, by inheritance.

    The same per-test session as :func:`mock_services` gives: open from
    before ``setUp`` until after the last cleanup, with the services named
    in :attr:`mock_services` acquired when it opens, the mocks in
    ``self.mocks`` and the session in ``self.mock_session``. List the mixin
    *before* the ``TestCase`` class::

        class LoginTests(mockpool.MockSessionMixin, unittest.TestCase):
            mock_services = ("AuthController", "RedisService")

    Subclasses override :attr:`mock_services` and :attr:`mock_registry` as
    they would any class attribute. Both are checked when the class is
    created.

    Raises:
        ArgumentTypeError: (at class creation) the mixin comes after
            ``TestCase`` in the bases, the class is also decorated with
            :func:`mock_services`, :attr:`mock_services` is not a tuple of
            names, or :attr:`mock_registry` is not a registry.
        UnknownServiceError: (at class creation) a name in
            :attr:`mock_services` is not registered.
    """

    #: Services to acquire when each test's session opens.
    mock_services: ClassVar[tuple[str, ...]] = ()
    #: Where they are registered; :data:`mockpool.default_registry` if ``None``.
    mock_registry: ClassVar[Registry | None] = None
    #: The session's mocks, by attribute or item (set while a test runs).
    mocks: Any
    #: The test's session (set while a test runs).
    mock_session: MockSession

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if issubclass(cls, unittest.TestCase):
            _mixin_config(cls)

    def run(
        self, result: unittest.TestResult | None = None
    ) -> unittest.TestResult | None:
        """Run the test inside a session of its own; see :class:`unittest.TestCase`.

        Args:
            result: Where to record the outcome.

        Returns:
            The result.
        """
        call = functools.partial(super().run, result)
        return _run_test(self, call, _mixin_config(type(self)))

    def debug(self) -> None:
        """Run the test inside a session, without a result; see ``TestCase``."""
        _run_test(self, super().debug, _mixin_config(type(self)))


def _mixin_config(cls: type) -> _Config:
    """Check a class that uses the mixin and return its configuration."""
    mro = cls.__mro__
    owner = _dotted_name(cls)
    if mro.index(MockSessionMixin) > mro.index(unittest.TestCase):
        raise ArgumentTypeError(
            f"{owner} lists MockSessionMixin after unittest.TestCase, so "
            f"TestCase.run() never reaches it; put the mixin first, as in "
            f"class {cls.__name__}(MockSessionMixin, unittest.TestCase)"
        )
    if any(_CONFIG in vars(klass) for klass in mro):
        raise ArgumentTypeError(
            f"{owner} uses MockSessionMixin and is decorated with @mock_services; "
            f"use one or the other"
        )
    services = getattr(cls, "mock_services", ())
    if not isinstance(services, (tuple, list)):
        fix = (
            f"mock_services = ({services!r},)"
            if isinstance(services, str)
            else "mock_services = ('RedisService',)"
        )
        raise ArgumentTypeError(
            f"{owner}.mock_services must be a tuple of service names, not "
            f"{services!r}; write {fix}"
        )
    names = _check_names(tuple(services), f"{owner}.mock_services")
    registry = _check_registry(getattr(cls, "mock_registry", None), owner)
    _check_known(names, registry, f"{owner}.mock_services")
    return _Config(names, registry, "mocks", "test")


# -- the method decorator ---------------------------------------------------------


class _SessionPatching:
    """A member of ``mock.patch``'s ``patchings`` list that opens a session.

    ``mock.patch`` decorators stack through a list on the decorated
    function: each enters its members in order, passes what a member with
    ``attribute_name`` ``None`` and ``new`` ``DEFAULT`` returns as an extra
    positional argument, and exits them in reverse.
    """

    attribute_name: str | None = None
    new: Any = mock.DEFAULT

    def __init__(self, registry: Registry, names: tuple[str, ...], name: str) -> None:
        self.registry = registry
        self.names = names
        self.name = name
        # Sessions opened and not yet closed, per thread and task: the same
        # test function may run in several at once.
        self._open: contextvars.ContextVar[tuple[MockSession, ...]] = (
            contextvars.ContextVar(f"mockpool.with_mock_session:{name}", default=())
        )

    def __enter__(self) -> MockSession:
        session = _open(self.registry, self.names, self.name)
        self._open.set((*self._open.get(), session))
        return session

    def __exit__(self, *exc_info: object) -> None:
        sessions = self._open.get()
        if sessions:
            self._open.set(sessions[:-1])
            sessions[-1].close()


class _Patchings(list[Any]):
    """A ``patchings`` list that keeps the session's member last.

    So the session is the last extra argument whatever the order of the
    decorators: ``mock.patch`` decorators applied later append before it.
    """

    def append(self, patching: Any) -> None:
        index = len(self)
        while index and isinstance(self[index - 1], _SessionPatching):
            index -= 1
        self.insert(index, patching)


def _enter_all(
    stack: contextlib.ExitStack,
    patchings: list[Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Enter *patchings* as ``mock.patch`` does; return the call's arguments."""
    extra: list[Any] = []
    for patching in list(patchings):
        value = stack.enter_context(patching)
        if patching.attribute_name is not None:
            kwargs.update(value)
        elif patching.new is mock.DEFAULT:
            extra.append(value)
    return (*args, *extra), kwargs


def _caller(patchings: list[Any], is_async: bool) -> Callable[..., Any]:
    """Return the wrapt wrapper that enters *patchings* around each call."""
    if is_async:

        async def call_async(
            wrapped: Callable[..., Any],
            instance: Any,
            args: tuple[Any, ...],
            kwargs: dict[str, Any],
        ) -> Any:
            with contextlib.ExitStack() as stack:
                new_args, new_kwargs = _enter_all(stack, patchings, args, dict(kwargs))
                return await wrapped(*new_args, **new_kwargs)

        return call_async

    def call(
        wrapped: Callable[..., Any],
        instance: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        with contextlib.ExitStack() as stack:
            new_args, new_kwargs = _enter_all(stack, patchings, args, dict(kwargs))
            return wrapped(*new_args, **new_kwargs)

    return call


def with_mock_session(
    *names: str, registry: Registry | None = None
) -> Callable[[Callable[..., _R]], Callable[..., _R]]:
    """Run one test method (sync or ``async def``) inside a session of its own.

    The session is passed to the method as an extra positional argument,
    and it is always the **last** one: after the mocks of any
    ``@mock.patch`` decorators, whether those are applied above or below
    this one. It is opened after those patches are applied and closed
    before they are undone::

        @mock.patch("shop.mailer")
        @mockpool.with_mock_session("RedisService")
        @mock.patch("shop.clock")
        def test_checkout(self, clock, mailer, session): ...

    The decorator joins ``mock.patch``'s own stacking protocol (its
    ``patchings`` list), so it composes with ``mock.patch``,
    ``mock.patch.object``, ``mock.patch.multiple`` (whose mocks arrive as
    keyword arguments) and ``mock.patch`` as a class decorator.

    Args:
        *names: Services to acquire when the session opens.
        registry: Where they are registered;
            :data:`mockpool.default_registry` if ``None``.

    Returns:
        The method decorator. A method that ``mock.patch`` already
        decorated is returned itself; any other is wrapped, keeping its
        name, signature and ``async``-ness.

    Raises:
        ArgumentTypeError: A name is not a ``str`` (``@with_mock_session``
            without parentheses, say), *registry* is not a registry, or
            (from the decorator) the decorated object is a class or not
            callable.
        InvalidArgumentError: (from the decorator) the method already has
            a session from this decorator.
        UnknownServiceError: (from the decorator) a name is not registered;
            the message names the method and the service.
    """
    checked = _check_names(names, "@with_mock_session", call="with_mock_session")
    chosen = _check_registry(registry, "@with_mock_session")

    def decorate(func: Callable[..., _R]) -> Callable[..., _R]:
        if isinstance(func, type):
            raise ArgumentTypeError(
                f"@with_mock_session decorates test methods, not the class "
                f"{_dotted_name(func)}; decorate the class with "
                f"@mockpool.mock_services(...) instead"
            )
        if not callable(func):
            raise ArgumentTypeError(
                f"@with_mock_session decorates test methods, not {func!r}"
            )
        owner = f"@with_mock_session on {_dotted_name(func)}"
        _check_known(checked, chosen, owner)
        name = str(getattr(func, "__qualname__", None) or _dotted_name(func))
        patching = _SessionPatching(chosen, checked, name)
        existing = getattr(func, "patchings", None)
        if isinstance(existing, list):
            if any(isinstance(member, _SessionPatching) for member in existing):
                raise InvalidArgumentError(
                    f"{owner}: the method already has a session from "
                    f"@with_mock_session; pass all names to one decorator, as "
                    f"in @with_mock_session('RedisService', 'JwtService')"
                )
            patchings = _Patchings(existing)
            patchings.append(patching)
            func.patchings = patchings  # type: ignore[attr-defined]
            return func
        patchings = _Patchings([patching])
        is_async = inspect.iscoroutinefunction(func)
        _, patched_function = _wrapper_types()
        wrapper: Callable[..., _R] = patched_function(
            func, _caller(patchings, is_async), patchings
        )
        return wrapper

    return decorate


# -- sessions opened by hand --------------------------------------------------------


def _running_loop() -> bool:
    """Return whether an asyncio event loop is running in this thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def session_for(
    testcase: unittest.TestCase, *names: str, registry: Registry | None = None
) -> MockSession:
    """Open a session for *testcase*, closed by its cleanups; for ``setUp``.

    The order makes a ``setUp`` that fails halfway safe: the session is
    opened, then its closing is registered with ``testcase.addCleanup``
    (before any cleanup ``setUp`` registers later, so it runs after them),
    and only then are the services acquired. Called in ``asyncSetUp`` of an
    :class:`~unittest.IsolatedAsyncioTestCase`, the cleanup is a coroutine,
    so that it closes the session in the task that opened it.

    Args:
        testcase: The test, usually ``self``.
        *names: Services to acquire now.
        registry: Where they are registered;
            :data:`mockpool.default_registry` if ``None``.

    Returns:
        The open session, current in the caller's thread or task.

    Raises:
        ArgumentTypeError: *testcase* is not a ``TestCase``, a name is not a
            ``str``, or *registry* is not a registry.
        UnknownServiceError: A name is not registered (checked before the
            session opens).
    """
    if not isinstance(testcase, unittest.TestCase):
        raise ArgumentTypeError(
            f"session_for() takes the TestCase first, not {testcase!r}; call it "
            f"as mockpool.session_for(self, 'RedisService') in setUp"
        )
    checked = _check_names(names, "session_for()")
    chosen = _check_registry(registry, "session_for()")
    _check_known(checked, chosen, f"session_for() in {testcase.id()}")
    session = mock_session(chosen, name=testcase.id()).open()
    if isinstance(testcase, unittest.IsolatedAsyncioTestCase) and _running_loop():

        async def close_session() -> None:
            session.close()

        testcase.addCleanup(close_session)
    else:
        testcase.addCleanup(session.close)
    for name in checked:
        session.get(name)
    return session
