"""The controller's operations as plain functions, and the class behind them.

A :class:`MockSystem` binds a registry to a set of pools and offers the
operations a test suite's harness needs: check and warm everything once
(:meth:`~MockSystem.initialize_system`), open and close sessions by hand,
fetch a service's mock from the current session, and make independent
sessions for parallel workers. :data:`default_system` uses
:data:`mockpool.default_registry` and the process's pools; the module-level
functions act on it.

Errors defined here (to move to :mod:`mockpool.errors`)::

    MockPoolError
    ├── SessionStateError (also RuntimeError)
    │   └── NoActiveSessionError               no session is open here
    ├── InvalidArgumentError (also ValueError) an argument has a bad value
    └── ArgumentTypeError (also TypeError)     an argument has the wrong type
"""

from __future__ import annotations

import dataclasses
import types

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import isinstance, len, range, sum  # noqa: UP029
from collections.abc import Iterable, Mapping

# Bound at import: a harness may initialise the system inside a test that
# patches time.perf_counter.
from time import perf_counter as _perf_counter
from typing import Any

from mockpool._base import checks, events
from mockpool._base.records import fill, frozen_record
from mockpool._pools import pool as _pool
from mockpool._pools.pool import PoolManager
from mockpool._services.registry import Registry, default_registry
from mockpool._sessions.session import MockSession, current_session, mock_session
from mockpool.errors import (
    ArgumentTypeError,
    InvalidArgumentError,
    NoActiveSessionError,
)

__all__ = [
    "ArgumentTypeError",
    "InvalidArgumentError",
    "MockSystem",
    "NoActiveSessionError",
    "SystemReport",
    "cleanup_test_session",
    "create_test_session",
    "default_system",
    "get_service_mock",
    "initialize_system",
    "setup_parallel_test_environments",
]


# -- the report -----------------------------------------------------------------


@frozen_record
class SystemReport:
    """What :meth:`MockSystem.initialize_system` did, and how long it took.

    ``str(report)`` gives a one-line summary for a terminal or a log.

    Args:
        services: The registered services, in registration order.
        pools_prepared: How many pools were created or found (one per
            service).
        warmed: How many mocks were built ahead of time, by service (only
            the services that were warmed appear).
        seconds: Wall-clock time the whole call took.
    """

    services: tuple[str, ...]
    pools_prepared: int
    warmed: Mapping[str, int] = dataclasses.field(hash=False)
    seconds: float

    def __init__(
        self,
        services: tuple[str, ...],
        pools_prepared: int,
        warmed: Mapping[str, int],
        seconds: float,
    ) -> None:
        fill(self, locals())

    @property
    def mocks_warmed(self) -> int:
        """How many mocks were built ahead of time, over all services."""
        return sum(self.warmed.values())

    def __str__(self) -> str:
        services = _plural(len(self.services), "service")
        pools = _plural(self.pools_prepared, "pool")
        mocks = _plural(self.mocks_warmed, "mock")
        text = (
            f"mockpool initialized {services} in {self.seconds:.3f} s: "
            f"{pools} prepared, {mocks} warmed"
        )
        if self.warmed:
            detail = ", ".join(
                f"{name}: {count}" for name, count in self.warmed.items()
            )
            text += f" ({detail})"
        return text


def _plural(count: int, noun: str) -> str:
    """Return ``"1 pool"`` or ``"3 pools"``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- the system -----------------------------------------------------------------


class MockSystem:
    """A registry and a set of pools, with the operations a harness needs.

    Args:
        registry: Where services are registered; :data:`mockpool.default_registry`
            if ``None``.
        pools: Where mocks are pooled; the process's pools if ``None``
            (looked up at each use, so a forked child uses its own).

    Raises:
        ArgumentTypeError: *registry* is not a :class:`~mockpool.Registry`,
            or *pools* is not a pool manager.
    """

    def __init__(
        self, registry: Registry | None = None, pools: PoolManager | None = None
    ) -> None:
        if registry is not None and not isinstance(registry, Registry):
            raise ArgumentTypeError(
                f"registry must be a mockpool.Registry or None, not {registry!r}; "
                f"pass registry=mockpool.Registry(), or None for the default "
                f"registry"
            )
        if pools is not None and not isinstance(pools, PoolManager):
            raise ArgumentTypeError(
                f"pools must be a PoolManager or None, not {pools!r}; pass None "
                f"to use the process's pools"
            )
        self.registry: Registry = default_registry if registry is None else registry
        self._pools = pools

    def __repr__(self) -> str:
        return f"<MockSystem registry={self.registry!r} pools={self.pools!r}>"

    @property
    def pools(self) -> PoolManager:
        """The pools this system's sessions draw from."""
        return _pool.default_pools if self._pools is None else self._pools

    def initialize_system(self, *, warm: bool | Iterable[str] = False) -> SystemReport:
        """Check the registry, prepare a pool per service, optionally warm them.

        Call it once before the suite (in a ``setUpModule``, a
        ``load_tests`` or the runner's start-up): a registry whose
        dependencies name unknown services then fails here, once, rather
        than in every test; and warmed pools hand the first tests mocks
        that are already built.

        Args:
            warm: ``False`` to build nothing, ``True`` to warm every
                service's pool to its ``min_size``, or an iterable of
                service names to warm only those.

        Returns:
            What was done and how long it took.

        Raises:
            UnknownServiceError: A dependency names an unregistered
                service, or *warm* names one.
            ArgumentTypeError: *warm* is neither a ``bool`` nor an iterable
                of names (a single ``str`` is refused: pass ``[name]``).
        """
        start = _perf_counter()
        targets = self._warm_targets(warm)
        self.registry.validate()
        events.run_begun.emit()
        services = tuple(self.registry.names())
        pools = {name: self.pools.pool_for(self.registry, name) for name in services}
        chosen = services if targets is None else targets
        warmed = {name: pools[name].warm() for name in chosen}
        return SystemReport(
            services=services,
            pools_prepared=len(pools),
            warmed=types.MappingProxyType(warmed),
            seconds=_perf_counter() - start,
        )

    def _warm_targets(self, warm: object) -> tuple[str, ...] | None:
        """Return the names to warm: ``None`` for all, ``()`` for none."""
        if isinstance(warm, bool):
            return None if warm else ()
        if isinstance(warm, str) or not isinstance(warm, Iterable):
            hint = f"warm=[{warm!r}]" if isinstance(warm, str) else "warm=True"
            raise ArgumentTypeError(
                f"warm must be True, False or an iterable of service names, not "
                f"{warm!r}; pass {hint}"
            )
        names: list[str] = []
        for name in warm:
            if not isinstance(name, str):
                raise ArgumentTypeError(
                    f"warm names services by str, not {name!r} (in {warm!r}); "
                    f"pass names such as warm=['redis']"
                )
            if name not in self.registry:
                self.registry.get(name)  # raises UnknownServiceError, with a hint
            if name not in names:
                names.append(name)
        return tuple(names)

    def create_test_session(self, name: str | None = None) -> MockSession:
        """Open a session and make it current in the caller's thread or task.

        Close it with :meth:`cleanup_test_session` in the same thread or
        task (in a ``TestCase``, prefer :func:`mockpool.session_for`, which
        registers the cleanup for you).

        Args:
            name: A label for messages and reports; numbered if ``None``.

        Returns:
            The open session.

        Raises:
            ArgumentTypeError: *name* is neither a ``str`` nor ``None``.
            UnknownServiceError: A dependency names an unregistered service.
        """
        if name is not None and not isinstance(name, str):
            raise ArgumentTypeError(
                f"create_test_session() takes a name (a str) or None, not "
                f"{name!r}; pass a label such as 'test_login'"
            )
        return mock_session(self.registry, pools=self._pools, name=name).open()

    def cleanup_test_session(self, session: MockSession) -> None:
        """Close *session*: undo its patches and give its mocks back.

        Closing a closed session does nothing.

        Args:
            session: A session, typically from :meth:`create_test_session`.

        Raises:
            ArgumentTypeError: *session* is not a session.
        """
        if not isinstance(session, MockSession):
            raise ArgumentTypeError(
                f"cleanup_test_session() closes a MockSession, not {session!r}; "
                f"pass what create_test_session() returned"
            )
        session.close()

    def get_service_mock(self, name: str, session: MockSession | None = None) -> Any:
        """Return the mock of service *name* from *session* or the current one.

        Args:
            name: A registered service.
            session: The session to ask; the innermost open session of this
                thread or task if ``None``.

        Returns:
            The session's mock of the service (the same object for the whole
            session).

        Raises:
            NoActiveSessionError: *session* is ``None`` and no session is
                open in this thread or task.
            ArgumentTypeError: *name* is not a ``str``, or *session* is not
                a session.
            UnknownServiceError: *name* is not registered.
            SessionStateError: *session* is closed.
        """
        if not isinstance(name, str):
            raise ArgumentTypeError(
                f"get_service_mock() takes a service name (a str), not {name!r}; "
                f"pass a name such as 'RedisService'"
            )
        if session is None:
            session = current_session()
            if session is None:
                raise NoActiveSessionError(
                    f"no mock session is open in this thread or task, so there is "
                    f"no mock of {name!r} to return; open one first (with "
                    f"mockpool.mock_session(): ..., create_test_session(), or "
                    f"@mockpool.mock_services on the TestCase), or pass session="
                )
        elif not isinstance(session, MockSession):
            raise ArgumentTypeError(
                f"session must be a MockSession or None, not {session!r}; pass "
                f"what mock_session() or create_test_session() returned"
            )
        return session.get(name)

    def setup_parallel_test_environments(self, n: int) -> list[MockSession]:
        """Make *n* independent sessions for *n* worker threads or tasks.

        The sessions are not open: enter each (``with session:``) in the
        worker that uses it, so that it becomes current there and its mocks
        and patches are that worker's alone. A call recorded on one
        session's mock never shows on another's.

        Args:
            n: How many sessions: a positive ``int``.

        Returns:
            The sessions, named ``parallel-0`` to ``parallel-{n-1}``.

        Raises:
            ArgumentTypeError: *n* is not an ``int`` (a ``bool`` neither).
            InvalidArgumentError: *n* is less than 1.
            UnknownServiceError: A dependency names an unregistered service.
        """
        count = checks.count(
            n, "n", minimum=1, hint="pass the number of sessions, such as 4"
        )
        self.registry.validate()
        return [
            mock_session(self.registry, pools=self._pools, name=f"parallel-{index}")
            for index in range(count)
        ]


# -- the default system and its functions ---------------------------------------

#: The system the module-level functions use: :data:`mockpool.default_registry`
#: and the process's pools.
default_system = MockSystem()


def initialize_system(*, warm: bool | Iterable[str] = False) -> SystemReport:
    """Check :data:`default_registry`, prepare its pools, optionally warm them.

    :meth:`MockSystem.initialize_system` on :data:`default_system`.

    Args:
        warm: ``False``, ``True`` (every service) or an iterable of names.

    Returns:
        What was done and how long it took.

    Raises:
        UnknownServiceError: A dependency or a *warm* name is unregistered.
        ArgumentTypeError: *warm* is of no accepted type.
    """
    return default_system.initialize_system(warm=warm)


def create_test_session(name: str | None = None) -> MockSession:
    """Open a session on :data:`default_registry`, current in the caller's context.

    :meth:`MockSystem.create_test_session` on :data:`default_system`.

    Args:
        name: A label for messages and reports.

    Returns:
        The open session.
    """
    return default_system.create_test_session(name)


def cleanup_test_session(session: MockSession) -> None:
    """Close *session*; closing a closed one does nothing.

    :meth:`MockSystem.cleanup_test_session` on :data:`default_system`.

    Args:
        session: A session.

    Raises:
        ArgumentTypeError: *session* is not a session.
    """
    default_system.cleanup_test_session(session)


def get_service_mock(name: str, session: MockSession | None = None) -> Any:
    """Return the mock of service *name* from *session* or the current one.

    :meth:`MockSystem.get_service_mock` on :data:`default_system`.

    Args:
        name: A registered service.
        session: The session to ask; the current one if ``None``.

    Returns:
        The session's mock of the service.

    Raises:
        NoActiveSessionError: No session is given and none is open here.
        ArgumentTypeError: *name* or *session* is of the wrong type.
        UnknownServiceError: *name* is not registered.
    """
    return default_system.get_service_mock(name, session)


def setup_parallel_test_environments(n: int) -> list[MockSession]:
    """Make *n* independent, unopened sessions on :data:`default_registry`.

    :meth:`MockSystem.setup_parallel_test_environments` on
    :data:`default_system`.

    Args:
        n: How many sessions: a positive ``int``.

    Returns:
        The sessions; enter each in its own worker thread or task.

    Raises:
        ArgumentTypeError: *n* is not an ``int``.
        InvalidArgumentError: *n* is less than 1.
    """
    return default_system.setup_parallel_test_environments(n)
