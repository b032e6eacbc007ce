"""Stress: 1,199 sessions across 64 threads stay isolated.

Every session takes the services of the seed -- ``AuthController`` wired to
``JwtService``, ``EncryptionService`` and ``DeviceSessionService``, which is
wired to ``RedisService``, ``JwtService`` and ``Database`` -- configures
them with values no other session uses, patches one shared module attribute
(:data:`auth_backend`) with its own controller, runs a login flow through
that attribute and the wiring, and checks that it saw only its own values
and calls. Meanwhile an ownership table records which open session holds
each mock, so that a mock handed to two open sessions at once is caught.
Afterwards the module attribute must be the original again, and the pools
within their bounds, with every mock they built accounted for.

The scenario is :func:`run_stress`, which ``benchmarks/stress_sessions.py``
loads from this file (by path, so that it needs nothing from the test
package) to time it. It therefore imports only the standard library and
mockpool.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import sys
import threading
import time
import traceback
import unittest
from collections.abc import Iterable
from typing import Any

import mockpool
from mockpool._pools import adapt
from mockpool._pools.pool import PoolManager, PoolStats
from mockpool._sessions.session import MockSession, current_session, mock_session

__all__ = ["SERVICES", "StressReport", "run_stress", "stress_registry"]

SESSIONS = 1199
THREADS = 64


# -- the seed's services ---------------------------------------------------------


class RedisService:
    """Cache of device sessions."""

    def get(self, key: str) -> bytes | None:
        return None

    def set(self, key: str, value: bytes, ex: int | None = None) -> bool:
        return True

    def delete(self, *keys: str) -> int:
        return 0


class JwtService:
    """Signs and checks tokens."""

    def encode(self, claims: dict[str, Any], *, ttl: int = 3600) -> str:
        return ""

    def decode(self, token: str) -> dict[str, Any]:
        return {}


class EncryptionService:
    """Hashes and checks passwords."""

    def hash_password(self, password: str) -> str:
        return ""

    def verify(self, password: str, hashed: str) -> bool:
        return False


class Database:
    """The user store."""

    def fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any]:
        return {}

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return 0


class DeviceSessionService:
    """Device sessions, kept in Redis and the database."""

    def __init__(self, redis: RedisService, jwt: JwtService, db: Database) -> None:
        self.redis = redis
        self.jwt = jwt
        self.db = db

    def start(self, user_id: str, device_id: str) -> str:
        return ""

    def end(self, session_id: str) -> None:
        pass


class AuthController:
    """Logs users in."""

    def __init__(
        self,
        jwt: JwtService,
        encryption: EncryptionService,
        devices: DeviceSessionService,
    ) -> None:
        self.jwt = jwt
        self.encryption = encryption
        self.devices = devices

    def login(self, username: str, password: str, device_id: str) -> str:
        return ""

    def logout(self, token: str) -> None:
        pass


def _jwt_defaults(jwt: Any) -> None:
    # A fresh dict for every mock: a mapping default would be one shared
    # object.
    jwt.decode.return_value = {}


def stress_registry() -> mockpool.Registry:
    """The seed's services and relationships."""
    registry = mockpool.Registry()
    registry.register("RedisService", RedisService, defaults={"get.return_value": None})
    registry.register("JwtService", JwtService, defaults=_jwt_defaults)
    registry.register(
        "EncryptionService", EncryptionService, defaults={"verify.return_value": False}
    )
    registry.register("Database", Database, defaults={"execute.return_value": 0})
    registry.register(
        "DeviceSessionService",
        DeviceSessionService,
        depends_on={"redis": "RedisService", "jwt": "JwtService", "db": "Database"},
    )
    registry.register(
        "AuthController",
        AuthController,
        depends_on={
            "jwt": "JwtService",
            "encryption": "EncryptionService",
            "devices": "DeviceSessionService",
        },
    )
    return registry


#: The services each session asks for, all wired to each other.
SERVICES = (
    "AuthController",
    "DeviceSessionService",
    "RedisService",
    "JwtService",
    "Database",
    "EncryptionService",
)
#: Each session patches this with its own controller.
_ORIGINAL_BACKEND = AuthController
auth_backend: Any = _ORIGINAL_BACKEND
_THIS_MODULE = sys.modules[__name__]


def login_flow(username: str, password: str, device_id: str) -> str:
    """The code under test: uses the patched :data:`auth_backend`."""
    return str(auth_backend.login(username, password, device_id))


def scripted_login(username: str, password: str, device_id: str) -> str:
    """The controller's behaviour, scripted through its dependencies.

    It finds them through the current session rather than a closure over
    the mocks: a mock that a closure keeps is still referenced when its
    session ends, and the pool would throw it away.
    """
    session = current_session()
    assert session is not None
    auth = session.get("AuthController")
    record = auth.devices.db.fetch_one("select", (username,))
    if not auth.encryption.verify(password, record["hash"]):
        return ""
    cached = auth.devices.redis.get(f"user:{username}")
    auth.devices.redis.set(f"user:{username}", cached)
    session_id = auth.devices.start(record["id"], device_id)
    return str(auth.jwt.encode({"sid": session_id, "sub": username}))


# -- one session -----------------------------------------------------------------

_TOKEN = re.compile(r"<session-\d+>")


class Ownership:
    """Which open session holds each mock, by ``id()``.

    A mock is claimed right after its session hands it out and released
    right before the session closes; it stays alive in between, so its
    ``id()`` cannot be reused while claimed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[int, str] = {}
        self.conflicts: list[str] = []

    def claim(self, token: str, mocks: Iterable[Any]) -> None:
        with self._lock:
            for held in mocks:
                owner = self._owners.get(id(held))
                if owner is not None and owner != token:
                    self.conflicts.append(
                        f"{held!r} handed to {token} while {owner} holds it"
                    )
                self._owners[id(held)] = token

    def release(self, token: str, mocks: Iterable[Any]) -> None:
        with self._lock:
            for held in mocks:
                if self._owners.get(id(held)) == token:
                    del self._owners[id(held)]


def _foreign(token: str, text: str) -> list[str]:
    """Session tokens in *text* other than *token*."""
    return sorted(set(_TOKEN.findall(text)) - {token})


def run_session(
    number: int,
    registry: mockpool.Registry,
    pools: PoolManager,
    ownership: Ownership,
) -> list[str]:
    """One session of the scenario; returns what it saw wrong."""
    token = f"<session-{number}>"
    problems: list[str] = []
    with mock_session(registry, pools=pools, name=token) as session:
        # A different order for each session, so the pools see every
        # interleaving of acquisitions.
        start = number % len(SERVICES)
        order = SERVICES[start:] + SERVICES[:start]
        mocks = {name: session.get(name) for name in order}
        ownership.claim(token, mocks.values())
        try:
            _exercise(token, session, mocks, problems)
        finally:
            ownership.release(token, mocks.values())
    return problems


def _exercise(
    token: str, session: MockSession, mocks: dict[str, Any], problems: list[str]
) -> None:
    auth = mocks["AuthController"]
    devices = mocks["DeviceSessionService"]
    redis = mocks["RedisService"]
    db = mocks["Database"]
    encryption = mocks["EncryptionService"]
    jwt = mocks["JwtService"]

    def expect(label: str, condition: bool) -> None:
        if not condition:
            problems.append(f"{token}: {label}")

    # What the session was handed: fresh, its own and wired to its own.
    expect("current session", current_session() is session)
    for name, held in mocks.items():
        expect(f"{name} has calls when handed out", held.mock_calls == [])
    expect("redis default", redis.get("k") is None)
    expect("verify default", encryption.verify("pw", "hash") is False)
    expect("decode default", jwt.decode("t") == {})
    redis.reset_mock()
    encryption.reset_mock()
    jwt.reset_mock()
    expect("auth wiring", auth.devices is devices and auth.jwt is jwt)
    expect("auth wiring", auth.encryption is encryption)
    expect(
        "device wiring",
        devices.redis is redis and devices.jwt is jwt and devices.db is db,
    )

    # This session's values.
    user = {"id": token, "hash": f"{token}-hash"}
    db.fetch_one.return_value = user
    encryption.verify.return_value = True
    jwt.encode.return_value = f"{token}-jwt"
    redis.get.return_value = f"{token}-cached".encode()
    devices.start.side_effect = lambda user_id, device_id: f"{user_id}/{device_id}"

    auth.login.side_effect = scripted_login
    patched = session.patch.object(_THIS_MODULE, "auth_backend", new=auth)
    expect("patch returns the controller", patched is auth)
    time.sleep(0)  # let other sessions patch the same attribute meanwhile

    result = login_flow(token, "secret", f"{token}-device")
    time.sleep(0)
    result_again = login_flow(token, "secret", "phone")

    expect(f"login returned {result!r}", result == f"{token}-jwt")
    expect(f"second login returned {result_again!r}", result_again == result)
    expect("login calls", auth.login.call_count == 2)
    expect(
        "start calls",
        devices.start.call_args_list
        == [((token, f"{token}-device"),), ((token, "phone"),)],
    )
    expect("redis calls", redis.get.call_count == 2 and redis.set.call_count == 2)
    expect("db calls", db.fetch_one.call_count == 2)
    expect("jwt calls", jwt.encode.call_count == 2)
    for name, held in mocks.items():
        strangers = _foreign(token, repr(held.mock_calls))
        if strangers:
            problems.append(f"{token}: {name} recorded calls of {strangers}")


# -- the scenario ----------------------------------------------------------------


@dataclasses.dataclass
class StressReport:
    """What :func:`run_stress` measured and found."""

    sessions: int
    threads: int
    seconds: float
    completed: int
    #: A mock handed to a session while another open session held it.
    conflicts: list[str]
    #: A session that saw another's values or calls, or not its own.
    foreign: list[str]
    #: Exceptions raised in the sessions.
    errors: list[str]
    #: Whether :data:`auth_backend` is something else than the original.
    patch_left: bool
    pools: list[PoolStats]
    max_size: int
    #: Each pool's max_size at the end (concurrency adaptation may raise it).
    max_sizes: dict[str, int]

    @property
    def sessions_per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    @property
    def shared(self) -> int:
        """Mocks seen by two sessions: held at once, or by their values."""
        return len(self.conflicts) + len(self.foreign)


def run_stress(
    sessions: int = SESSIONS,
    threads: int = THREADS,
    *,
    pools: PoolManager | None = None,
    switch_interval: float | None = 1e-4,
) -> StressReport:
    """Run *sessions* sessions of the scenario across *threads* threads.

    Args:
        sessions: How many sessions in all.
        threads: How many threads run them, all started together.
        pools: The pools to draw from; new default-sized pools if ``None``.
        switch_interval: A shorter :func:`sys.setswitchinterval` for the
            run, so that threads interleave inside sessions; ``None`` keeps
            the interpreter's.

    Returns:
        The report; the caller decides what is a failure.
    """
    registry = stress_registry()
    pools = PoolManager() if pools is None else pools
    ownership = Ownership()
    numbers = itertools.count()
    counter_lock = threading.Lock()
    foreign: list[str] = []
    errors: list[str] = []
    completed = [0]
    ready = threading.Barrier(threads + 1)

    def worker() -> None:
        ready.wait()
        while True:
            with counter_lock:
                number = next(numbers)
            if number >= sessions:
                return
            try:
                problems = run_session(number, registry, pools, ownership)
            except Exception:
                with counter_lock:
                    errors.append(traceback.format_exc())
                continue
            with counter_lock:
                foreign.extend(problems)
                completed[0] += 1

    old_interval = sys.getswitchinterval()
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    try:
        workers = [
            threading.Thread(target=worker, name=f"stress-{index}")
            for index in range(threads)
        ]
        for thread in workers:
            thread.start()
        started = time.perf_counter()
        ready.wait()
        for thread in workers:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        sys.setswitchinterval(old_interval)
    return StressReport(
        sessions=sessions,
        threads=threads,
        seconds=seconds,
        completed=completed[0],
        conflicts=ownership.conflicts,
        foreign=foreign,
        errors=errors,
        patch_left=vars(_THIS_MODULE)["auth_backend"] is not _ORIGINAL_BACKEND,
        pools=[pool.stats() for pool in pools.pools()],
        max_size=pools.max_size,
        max_sizes={pool.name: pool.max_size for pool in pools.pools()},
    )


class StressTests(unittest.TestCase):
    report: StressReport

    @classmethod
    def setUpClass(cls) -> None:
        # Counted against the pools' own bounds: an adapter gone lean on
        # the memory the tests before grew would change them mid-run.
        previous = adapt.set_adapter(adapt.Adapter(enabled=False))
        cls.addClassCleanup(adapt.set_adapter, previous)
        cls.report = run_stress()

    def test_every_session_completed(self) -> None:
        """All 1,199 sessions ran to the end without an error."""
        self.assertEqual(self.report.errors, [])
        self.assertEqual(self.report.completed, SESSIONS)

    def test_no_mock_is_held_by_two_open_sessions(self) -> None:
        """No mock is handed to a session while another open one holds it."""
        self.assertEqual(self.report.conflicts, [])

    def test_no_session_sees_another_sessions_values_or_calls(self) -> None:
        """Every session saw its own values and calls, and only those."""
        self.assertEqual(self.report.foreign, [])

    def test_no_patch_is_left_behind(self) -> None:
        """The shared module attribute is the original again, by identity."""
        self.assertFalse(self.report.patch_left)
        self.assertIs(auth_backend, _ORIGINAL_BACKEND)

    def test_pools_stay_within_bounds(self) -> None:
        """No pool keeps more than max_size idle; every mock is accounted for."""
        self.assertEqual(len(self.report.pools), len(SERVICES))
        for stats in self.report.pools:
            with self.subTest(stats.service):
                self.assertLessEqual(stats.idle, self.report.max_sizes[stats.service])
                if stats.peak_leased <= 20:  # the adapter's default threshold
                    self.assertEqual(
                        self.report.max_sizes[stats.service], self.report.max_size
                    )
                self.assertEqual(stats.acquired, SESSIONS)
                self.assertEqual(stats.acquired, stats.hits + stats.builds)
                self.assertEqual(stats.leased, 0)
                self.assertEqual(
                    stats.builds, stats.idle + sum(stats.discards.values())
                )
                self.assertLessEqual(stats.peak_leased, THREADS)

    def test_pools_recycle_under_concurrency(self) -> None:
        """Pools recycle mocks under concurrency, not only build them."""
        # How many of the hand-outs are hits depends on thread scheduling
        # (a mock still held by a thread that has not returned yet counts as
        # escaped), so on a loaded machine builds can outnumber hits; what
        # must hold on any machine is that recycling happens at all.
        for stats in self.report.pools:
            with self.subTest(stats.service):
                self.assertGreater(stats.hits, 0)


if __name__ == "__main__":
    unittest.main()
