"""Sessions: the unit of isolation.

A :class:`MockSession` hands out one mock per registered service (the same
object for the whole session), wires related services together, owns the
patches made through it, and at its end undoes them and gives its mocks back
to their pools, which recycle them only if they prove pristine. It holds its
mocks for its whole life, also those the test no longer refers to (that is
what keeps ``get(name)`` the same object); the drop-in's per-test scopes,
which promise no such thing, hold theirs weakly.

The current session lives in a :class:`contextvars.ContextVar`, so every
thread and asyncio task sees its own; sessions nest, each remembering the one
that was current where it was opened.
"""

from __future__ import annotations

import contextlib
import itertools
import threading

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import id, isinstance, iter, next, sorted  # noqa: UP029
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from mockpool._base import events
from mockpool._pools import pool as _pool
from mockpool._pools.pool import Lease, PoolManager
from mockpool._services.definition import ServiceDefinition
from mockpool._services.registry import Registry, default_registry
from mockpool._sessions import context as _context
from mockpool._sessions.patcher import SessionPatcher
from mockpool.errors import (
    ArgumentTypeError,
    SessionStateError,
    UnknownServiceError,
)

__all__ = [
    "MockNamespace",
    "MockSession",
    "current_session",
    "mock_session",
    "promise_sessions",
]

_numbers = itertools.count(1)

_NEW, _OPEN, _CLOSED = "new", "open", "closed"


class MockSession:
    """Mocks of registered services, isolated from every other session.

    Use it as a context manager (``with mock_session() as s:``), or call
    :meth:`open` and :meth:`close` (for ``setUp`` and ``addCleanup``).

    Args:
        registry: Where services are registered; the default registry if
            ``None``.
        pools: Where mocks are pooled; the process's pools if ``None``.
        name: A label for messages and reports.

    Raises:
        ArgumentTypeError: *registry* is not a :class:`~mockpool.Registry`,
            *pools* is not a :class:`~mockpool.PoolManager`, or *name* is not
            a ``str`` (``None`` is accepted for each).
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        pools: PoolManager | None = None,
        name: str | None = None,
    ) -> None:
        _check_arguments(registry, pools, name)
        self.registry = default_registry if registry is None else registry
        self._pools = pools
        self.name = name if name is not None else f"session-{next(_numbers)}"
        #: The session that was current where this one was opened.
        self.parent: MockSession | None = None
        #: The thread this session was opened in.
        self.thread_id = threading.get_ident()
        self._state = _NEW
        self._lock = threading.RLock()
        self._token: Any = None
        # Leases hold the mocks; nothing else here keeps one strongly, so
        # that the pools can count references when they get them back.
        # They hold them strongly, unlike the drop-in's test scopes: a
        # session promises one mock per service for its whole life
        # (get(name) is get(name), s.mocks.X, wiring, reset()), so a mock
        # the test stops referencing must still be there when it asks
        # again. The session's end releases them, and neither the lease nor
        # the pool keeps what the test passed to them past the next
        # hand-out (see mockpool._autospec.pristine).
        self._leases: dict[str, Lease] = {}
        self._private: dict[int, Lease] = {}
        self._private_numbers = itertools.count()
        self._wiring: list[tuple[Any, str, Any]] = []
        #: Patches owned by this session: ``s.patch(...)``,
        #: ``s.patch.object(...)``, ``s.patch.dict(...)``,
        #: ``s.patch.multiple(...)``; all undone by :meth:`close`.
        self.patch = SessionPatcher(self)
        #: The session's mocks by attribute (``s.mocks.RedisService``) or
        #: item (``s.mocks["redis-cache"]``).
        self.mocks = MockNamespace(self)

    def __repr__(self) -> str:
        return (
            f"<MockSession {self.name!r} {self._state} services={sorted(self._leases)}>"
        )

    @property
    def pools(self) -> PoolManager:
        """The pools this session draws from."""
        # Looked up each time: a forked child replaces the default pools.
        return _pool.default_pools if self._pools is None else self._pools

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return self._state == _CLOSED

    # -- lifetime -----------------------------------------------------------

    def open(self) -> MockSession:
        """Make this the current session of this thread or task; return it.

        Checks the registry first (every dependency must name a registered
        service).

        Raises:
            SessionStateError: The session is already open or closed.
            UnknownServiceError: A dependency names no registered service.
        """
        with self._lock:
            if self._state != _NEW:
                raise SessionStateError(
                    f"session {self.name!r} is already {self._state}; open a new "
                    "session with mockpool.mock_session()"
                )
            self.registry.validate()
            events.session_opened.emit(self)
            self.parent = current_session()
            self.thread_id = threading.get_ident()
            self._token = _context.activate(self)
            self._state = _OPEN
        return self

    def __enter__(self) -> MockSession:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Undo the session's patches (newest first) and give back its mocks.

        Safe to call more than once and from any thread. Every step runs
        even if an earlier one fails; the first error is raised at the end.
        """
        with self._lock:
            if self._state == _CLOSED:
                return
            self._state = _CLOSED
            token, self._token = self._token, None
        # BaseException, not Exception: a KeyboardInterrupt while a patch is
        # undone must not leave the mocks unreleased or the session current.
        errors: list[BaseException] = []
        try:
            self.patch.stopall()
        except BaseException as exc:  # collected, re-raised below
            errors.append(exc)
        try:
            self._unwire()
            self._release_all()
        except BaseException as exc:
            errors.append(exc)
        events.session_closed.emit(self)
        if token is not None:
            # Closed from another thread or task, the opening context keeps
            # pointing here (ValueError); current_session() skips closed ones.
            with contextlib.suppress(ValueError):
                _context.deactivate(token)
        if errors:
            raise errors[0]

    # -- mocks ----------------------------------------------------------------

    def get(self, name: str) -> Any:
        """The session's mock of service *name*, wired to its dependencies.

        The same object on every call within the session.

        Raises:
            ArgumentTypeError: *name* is not a ``str``.
            UnknownServiceError: No service of that name is registered.
            SessionStateError: The session is closed.
        """
        if not isinstance(name, str):
            raise ArgumentTypeError(
                f"a service name must be a str, not {name!r}; pass the name the "
                f"service is registered under, such as 'RedisService'"
            )
        with self._lock:
            self._check_usable()
            lease = self._leases.get(name)
            if lease is not None:
                return lease.mock
            return self._acquire(name, self._leases, name)

    def _check_usable(self) -> None:
        if self._state == _CLOSED:
            raise SessionStateError(
                f"session {self.name!r} is closed; open a new one with "
                "mockpool.mock_session()"
            )

    def _acquire(self, name: str, into: dict[Any, Lease], key: Any) -> Any:
        definition = self.registry.get(name)
        lease = self.pools.pool_for(self.registry, name).acquire()
        # Stored before wiring, so a dependency cycle resolves to this mock.
        into[key] = lease
        self._wire(lease.mock, definition)
        return lease.mock

    def _wire(self, target: Any, definition: ServiceDefinition) -> None:
        for attribute, service in definition.depends_on.items():
            if self.registry.get(service).policy.sharing == "isolated":
                dependency = self._acquire(
                    service, self._private, next(self._private_numbers)
                )
            else:
                dependency = self.get(service)
            # A plain attribute, not setattr: assigning a mock through
            # __setattr__ would adopt it as a child, so its calls would show
            # up in the dependent's mock_calls and its name would change --
            # and only for the first of several dependents.
            target.__dict__[attribute] = dependency
            self._wiring.append((target, attribute, dependency))

    def _unwire(self) -> None:
        wiring, self._wiring = self._wiring, []
        while wiring:
            _unwire_one(*wiring.pop())

    def _release_all(self) -> None:
        for leases in (self._leases, self._private):
            for key in list(leases):
                name = self._lease_service(leases, key)
                self.pools.pool_for(self.registry, name).release(leases, key)

    @staticmethod
    def _lease_service(leases: dict[Any, Lease], key: Any) -> str:
        service: str = leases[key].service
        return service

    def services(self) -> list[str]:
        """Names of the services this session has handed out, sorted."""
        with self._lock:
            return sorted(self._leases)

    def clear(self) -> None:
        """Forget the calls recorded on the session's mocks.

        Configuration (return values, side effects, attributes) stays.
        """
        with self._lock:
            self._check_usable()
            for lease in list(self._leases.values()) + list(self._private.values()):
                lease.mock.reset_mock()

    def reset(self) -> None:
        """Put the session's mocks back as a fresh session would hand them out.

        Calls, return values, side effects and attributes set by the test are
        dropped and the registered defaults applied again; children are
        rebuilt, so fetch them again (``s.get(name).method``) after a reset.
        A mock that cannot be restored in place (sealed, spec changed) is
        replaced by a fresh one, so fetch services again too; dependents are
        rewired to the replacement.
        """
        with self._lock:
            self._check_usable()
            wiring = list(self._wiring)
            self._unwire()
            replacements: dict[int, Any] = {}
            try:
                for leases in (self._leases, self._private):
                    for key in list(leases):
                        self._reset_lease(leases, key, replacements)
            finally:
                for target, attribute, dependency in wiring:
                    target = replacements.get(id(target), target)
                    dependency = replacements.get(id(dependency), dependency)
                    target.__dict__[attribute] = dependency
                    self._wiring.append((target, attribute, dependency))

    def _reset_lease(
        self, leases: dict[Any, Lease], key: Any, replacements: dict[int, Any]
    ) -> None:
        lease = leases[key]
        definition = self.registry.get(lease.service)
        if lease.baseline.restore(lease) is None:
            definition.apply_defaults(lease.mock)
            return
        pool = self.pools.pool_for(self.registry, lease.service)
        old = id(lease.mock)
        del lease
        pool.release(leases, key)
        leases[key] = pool.acquire()
        replacements[old] = leases[key].mock


def _check_arguments(registry: object, pools: object, name: object) -> None:
    """Raise ArgumentTypeError for a session argument of the wrong type."""
    if registry is not None and not isinstance(registry, Registry):
        raise ArgumentTypeError(
            f"registry must be a mockpool.Registry or None, not {registry!r}; pass "
            f"registry=mockpool.Registry(), or None for mockpool.default_registry"
        )
    if pools is not None and not isinstance(pools, PoolManager):
        raise ArgumentTypeError(
            f"pools must be a mockpool.PoolManager or None, not {pools!r}; pass "
            f"pools=mockpool.PoolManager(), or None for the process's pools"
        )
    if name is not None and not isinstance(name, str):
        raise ArgumentTypeError(
            f"name must be a str or None, not {name!r}; pass a label such as "
            f"name='test_login'"
        )


def _unwire_one(target: Any, attribute: str, dependency: Any) -> None:
    # A function of its own: its locals die with it, so no reference to
    # the mocks outlives the unwiring (the pools count references).
    state = target.__dict__
    if state.get(attribute) is dependency:
        del state[attribute]


class MockNamespace:
    """``session.mocks``: a session's mocks by attribute or by item.

    Args:
        session: The session whose mocks it shows.

    Raises:
        ArgumentTypeError: *session* is not a :class:`MockSession`.
    """

    __slots__ = ("_session",)

    def __init__(self, session: MockSession) -> None:
        if not isinstance(session, MockSession):
            raise ArgumentTypeError(
                f"MockNamespace() shows the mocks of a MockSession, not "
                f"{session!r}; use session.mocks of an open session instead"
            )
        self._session = session

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._session.get(name)
        except UnknownServiceError as exc:
            raise AttributeError(str(exc)) from exc

    def __getitem__(self, name: str) -> Any:
        return self._session.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._session.services()

    def __iter__(self) -> Iterator[str]:
        return iter(self._session.services())

    def __dir__(self) -> list[str]:
        return sorted(set(self._session.registry.names()))

    def __repr__(self) -> str:
        return f"<mocks of {self._session!r}>"


# Opens the session promised to the calling thread, if any, and returns it
# (see promise_sessions).
_promiser: Callable[[], MockSession | None] | None = None


def promise_sessions(promiser: Callable[[], MockSession | None] | None) -> None:
    """Have *promiser* asked for a session when a thread has none open.

    The drop-in promises every test a session of its own, but most tests
    never ask for one: opening and closing a session for each would cost
    more than many tests, and so would a promise made and taken back per
    test. :func:`current_session` calls *promiser*, on the asking thread,
    when that thread has no open session; it opens the promised session
    (once: a promise is kept once) and returns it, or returns None. Set
    once, by the drop-in (None: no more promises).
    """
    global _promiser
    _promiser = promiser


def current_session() -> MockSession | None:
    """The innermost open session of this thread or asyncio task, or ``None``."""
    session: MockSession | None = _context.current_session()
    while session is not None and session.closed:
        session = session.parent
    if session is None:
        promiser = _promiser
        if promiser is not None:
            session = promiser()
    return session


def mock_session(
    registry: Registry | None = None,
    *,
    pools: PoolManager | None = None,
    name: str | None = None,
) -> MockSession:
    """A new session; use it with ``with`` (or :meth:`MockSession.open`).

    Args:
        registry: Where services are registered; the default registry if
            ``None``.
        pools: Where mocks are pooled; the process's pools if ``None``.
        name: A label for messages and reports.

    Returns:
        The session, not yet open.

    Raises:
        ArgumentTypeError: An argument is of the wrong type (see
            :class:`MockSession`).
    """
    return MockSession(registry, pools=pools, name=name)
