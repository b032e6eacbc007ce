"""End-to-end account flows: the real auth stack over autospecced storage.

The controller, device sessions, JWT and encryption services are real; redis,
the database and the logger are autospecced, with side effects that keep an
in-memory copy of what was stored, as integration suites often do.
"""

from __future__ import annotations

import unittest
from collections.abc import Mapping
from typing import Any
from unittest import mock

from mockpool._demo.services.auth import AuthController
from mockpool._demo.services.database import Database
from mockpool._demo.services.device_sessions import DeviceSessionService
from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.errors import (
    AccountLocked,
    InvalidCredentials,
    InvalidToken,
    PermissionDenied,
    RegistrationError,
    TokenExpired,
    TokenRevoked,
    WeakPassword,
)
from mockpool._demo.services.jwt import JwtService
from mockpool._demo.services.logger import Logger
from mockpool._demo.services.redis import RedisService
from mockpool._demo.tests.support import cases, data_driven

PASSWORD = "Correct-Horse-9"


class Storage:
    """Side effects for the autospecced redis and database mocks."""

    def __init__(self, redis: Any, database: Any) -> None:
        self.hashes: dict[str, dict[str, bytes]] = {}
        self.sets: dict[str, set[str]] = {}
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.published: list[Any] = []
        redis.hset.side_effect = self.hset
        redis.hgetall.side_effect = lambda key: dict(self.hashes.get(key, {}))
        redis.expire.return_value = True
        redis.sadd.side_effect = lambda key, *m: self._add(key, m)
        redis.srem.side_effect = lambda key, *m: self._remove(key, m)
        redis.smembers.side_effect = lambda key: set(self.sets.get(key, set()))
        redis.delete.side_effect = self.delete
        redis.publish.side_effect = lambda channel, message: self.published.append(
            message
        )
        database.insert.side_effect = self.insert
        database.update.side_effect = self.update
        database.delete.side_effect = self.delete_rows
        database.get.side_effect = self.get
        database.exists.side_effect = lambda table, where: (
            self.get(table, where) is not None
        )
        database.fetch_one.side_effect = self.fetch_one

    def hset(
        self, key: str, field: Any = None, value: Any = None, *, mapping: Any = None
    ) -> int:
        data = self.hashes.setdefault(key, {})
        items = dict(mapping or {})
        if field is not None:
            items[field] = value
        for k, v in items.items():
            data[k] = str(v).encode()
        return len(items)

    def _add(self, key: str, members: tuple[str, ...]) -> int:
        self.sets.setdefault(key, set()).update(members)
        return len(members)

    def _remove(self, key: str, members: tuple[str, ...]) -> int:
        self.sets.setdefault(key, set()).difference_update(members)
        return len(members)

    def delete(self, *keys: str) -> int:
        return sum(self.hashes.pop(k, None) is not None for k in keys)

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        rows = self.tables.setdefault(table, [])
        row = {"id": len(rows) + 1, **values}
        rows.append(row)
        return int(row["id"])

    def rows(self, table: str, where: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            row
            for row in self.tables.get(table, [])
            if all(str(row.get(k)) == str(v) for k, v in where.items())
        ]

    def update(
        self, table: str, values: Mapping[str, Any], where: Mapping[str, Any]
    ) -> int:
        rows = self.rows(table, where)
        for row in rows:
            row.update(values)
        return len(rows)

    def delete_rows(self, table: str, where: Mapping[str, Any]) -> int:
        doomed = self.rows(table, where)
        self.tables[table] = [r for r in self.tables.get(table, []) if r not in doomed]
        return len(doomed)

    def get(self, table: str, where: Mapping[str, Any]) -> dict[str, Any] | None:
        rows = self.rows(table, where)
        return dict(rows[0]) if rows else None

    def fetch_one(
        self, sql: str, params: tuple[Any, ...] = ()
    ) -> dict[str, Any] | None:
        table = sql.split(" FROM ")[1].split()[0]
        column = sql.split(" WHERE ")[1].split()[0]
        return self.get(table, {column: params[0]})


class FlowTestCase(unittest.TestCase):
    """The real auth stack over autospecced redis, database and logger."""

    def setUp(self) -> None:
        self.now = 1_700_000_000.0
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.database = mock.create_autospec(Database, instance=True)
        self.logger = mock.create_autospec(Logger, instance=True)
        self.storage = Storage(self.redis, self.database)
        self.encryption = EncryptionService(
            b"f" * 32, iterations=1000, logger=self.logger
        )
        self.jwt = JwtService(self.encryption, clock=self.clock, logger=self.logger)
        self.sessions = DeviceSessionService(
            self.redis, self.jwt, self.database, clock=self.clock, max_sessions=3
        )
        self.auth = AuthController(
            self.jwt,
            self.encryption,
            self.sessions,
            self.database,
            logger=self.logger,
            clock=self.clock,
        )

    def clock(self) -> float:
        return self.now

    def register(
        self, username: str = "ann", email: str = "ann@example.com"
    ) -> dict[str, Any]:
        return self.auth.register(username, PASSWORD, email=email)

    def user(self, user_id: int = 1) -> dict[str, Any]:
        user = self.storage.get("users", {"id": user_id})
        assert user is not None
        return user


class RegistrationFlowTests(FlowTestCase):
    """Registering and logging in for the first time."""

    def test_register_then_login(self) -> None:
        """A new account can log in and use its token."""
        self.register()
        result = self.auth.login("ann", PASSWORD, device_id="phone")
        claims = self.auth.authenticate(f"Bearer {result.tokens.access}")
        self.assertEqual((claims["sub"], claims["sid"]), ("1", result.session_id))
        self.assertEqual(claims["scope"], "media:read profile")

    def test_password_is_stored_hashed(self) -> None:
        """The stored hash verifies but is not the password."""
        self.register()
        stored = self.user()["password_hash"]
        self.assertNotIn(PASSWORD, stored)
        self.assertTrue(self.encryption.verify_password(PASSWORD, stored))

    def test_duplicate_registration(self) -> None:
        """A username or address registers once."""
        self.register()
        with self.assertRaises(RegistrationError):
            self.register()
        with self.assertRaises(RegistrationError):
            self.register(username="ann2")

    def test_me(self) -> None:
        """me returns the account without secrets."""
        self.register()
        me = self.auth.me(self.auth.login("ann", PASSWORD, device_id="d").tokens.access)
        self.assertEqual((me["username"], me["email"]), ("ann", "ann@example.com"))
        self.assertNotIn("password_hash", me)


@data_driven
class LoginScenarioTests(FlowTestCase):
    """A table of login attempts against one registered account."""

    def setUp(self) -> None:
        super().setUp()
        self.register()

    @cases(
        exact=("ann", PASSWORD, None),
        upper_username=("ANN", PASSWORD, None),
        padded_username=("  ann ", PASSWORD, None),
        wrong_password=("ann", PASSWORD + "x", InvalidCredentials),
        case_sensitive_password=("ann", PASSWORD.lower(), InvalidCredentials),
        unknown_user=("bob", PASSWORD, InvalidCredentials),
        malformed_user=("a b", PASSWORD, InvalidCredentials),
        empty_password=("ann", "", InvalidCredentials),
        trailing_space=("ann", PASSWORD + " ", InvalidCredentials),
    )
    def test_login(self, case: tuple[str, str, type[Exception] | None]) -> None:
        """Each attempt succeeds or fails as the account dictates."""
        username, password, error = case
        if error is None:
            result = self.auth.login(username, password, device_id="d1")
            self.assertEqual(result.user_id, "1")
            self.assertEqual(self.user()["failed_attempts"], 0)
        else:
            with self.assertRaises(error):
                self.auth.login(username, password, device_id="d1")
            self.assertEqual(self.sessions.count("1"), 0)

    @cases(one=1, three=3, four=4)
    def test_failures_below_the_limit(self, failures: int) -> None:
        """Fewer than five failures leave the account open."""
        for _ in range(failures):
            with self.assertRaises(InvalidCredentials):
                self.auth.login("ann", "wrong", device_id="d1")
        self.assertEqual(self.user()["failed_attempts"], failures)
        self.assertEqual(self.auth.login("ann", PASSWORD, device_id="d1").user_id, "1")

    @cases(
        immediately=(0, AccountLocked), later=(899, AccountLocked), after=(901, None)
    )
    def test_lockout(self, case: tuple[int, type[Exception] | None]) -> None:
        """Five failures lock the account for fifteen minutes."""
        wait, error = case
        for _ in range(5):
            with self.assertRaises(InvalidCredentials):
                self.auth.login("ann", "wrong", device_id="d1")
        self.logger.warning.assert_called_once_with("account locked", user_id=1)
        self.now += wait
        if error is None:
            self.auth.login("ann", PASSWORD, device_id="d1")
        else:
            with self.assertRaises(error):
                self.auth.login("ann", PASSWORD, device_id="d1")

    def test_unlock(self) -> None:
        """An administrator can unlock at once."""
        for _ in range(5):
            with self.assertRaises(InvalidCredentials):
                self.auth.login("ann", "wrong", device_id="d1")
        self.assertTrue(self.auth.unlock("1"))
        self.auth.login("ann", PASSWORD, device_id="d1")

    def test_rehash_when_iterations_grow(self) -> None:
        """A hash made with fewer rounds is upgraded at login."""
        stronger = EncryptionService(b"f" * 32, iterations=2000)
        auth = AuthController(
            self.jwt, stronger, self.sessions, self.database, clock=self.clock
        )
        self.assertTrue(auth.login("ann", PASSWORD, device_id="d").password_rehashed)
        self.assertIn("$2000$", self.user()["password_hash"])


class SessionFlowTests(FlowTestCase):
    """Devices, refresh rotation and logout."""

    def setUp(self) -> None:
        super().setUp()
        self.register()

    def login(self, device: str) -> Any:
        self.now += 1
        return self.auth.login(
            "ann", PASSWORD, device_id=device, device_name=device.title()
        )

    def test_devices_are_listed_newest_first(self) -> None:
        """Each device has a session; the caller's is current."""
        self.login("laptop")
        phone = self.login("phone")
        devices = self.auth.list_devices(phone.tokens.access)
        self.assertEqual([d["name"] for d in devices], ["Phone", "Laptop"])
        self.assertEqual([d["current"] for d in devices], [True, False])

    def test_session_limit_evicts_the_oldest(self) -> None:
        """A fourth device evicts the least recently seen."""
        first = self.login("a")
        for device in ("b", "c", "d"):
            self.login(device)
        self.assertEqual(self.sessions.count("1"), 3)
        with self.assertRaises(TokenRevoked):
            self.auth.authenticate(f"Bearer {first.tokens.access}")

    def test_same_device_replaces_its_session(self) -> None:
        """Logging in again from a device keeps one session for it."""
        old = self.login("phone")
        self.login("phone")
        self.assertEqual(self.sessions.count("1"), 1)
        with self.assertRaises(TokenRevoked):
            self.auth.authenticate(f"Bearer {old.tokens.access}")

    def test_refresh_rotation(self) -> None:
        """A refresh gives a working pair; the old refresh token is spent."""
        result = self.login("phone")
        self.now += 60
        pair = self.auth.refresh(result.tokens.refresh)
        self.assertEqual(
            self.auth.authenticate(f"Bearer {pair.access}")["sid"], result.session_id
        )
        self.assertNotEqual(pair.refresh, result.tokens.refresh)

    def test_refresh_token_reuse_revokes_everything(self) -> None:
        """Replaying a spent refresh token signs the user out everywhere."""
        result = self.login("phone")
        self.login("laptop")
        self.auth.refresh(result.tokens.refresh)
        with self.assertRaises(TokenRevoked):
            self.auth.refresh(result.tokens.refresh)
        self.assertEqual(self.sessions.count("1"), 0)
        reasons = {m["reason"] for m in self.storage.published}
        self.assertIn("refresh-token-reuse", reasons)

    def test_access_token_expires(self) -> None:
        """After fifteen minutes (and the leeway) the access token is refused."""
        result = self.login("phone")
        self.now += JwtService.DEFAULT_ACCESS_TTL + JwtService.DEFAULT_LEEWAY + 1
        with self.assertRaises(TokenExpired):
            self.auth.authenticate(f"Bearer {result.tokens.access}")

    def test_refresh_token_cannot_authenticate(self) -> None:
        """Refresh tokens are not access tokens."""
        result = self.login("phone")
        with self.assertRaises(InvalidToken):
            self.auth.authenticate(f"Bearer {result.tokens.refresh}")

    def test_logout(self) -> None:
        """Logout revokes the session and its tokens."""
        result = self.login("phone")
        self.assertTrue(self.auth.logout(result.tokens.access))
        with self.assertRaises(TokenRevoked):
            self.auth.authenticate(f"Bearer {result.tokens.access}")
        row = self.storage.get("device_sessions", {"session_id": result.session_id})
        self.assertEqual(row and row["revoked_reason"], "logout")

    def test_logout_everywhere_keeping_current(self) -> None:
        """Other devices are signed out; this one stays."""
        self.login("a")
        self.login("b")
        current = self.login("c")
        self.assertEqual(
            self.auth.logout_everywhere(current.tokens.access, keep_current=True), 2
        )
        self.auth.authenticate(f"Bearer {current.tokens.access}")

    def test_revoke_another_device(self) -> None:
        """A user can revoke another of their devices, not someone else's."""
        laptop = self.login("laptop")
        phone = self.login("phone")
        self.assertTrue(self.auth.revoke_device(phone.tokens.access, laptop.session_id))
        self.register(username="bob", email="bob@example.com")
        bob = self.auth.login("bob", PASSWORD, device_id="x")
        with self.assertRaises(PermissionDenied):
            self.auth.revoke_device(bob.tokens.access, phone.session_id)

    def test_forged_token(self) -> None:
        """A token signed with another key is refused."""
        other = JwtService(EncryptionService(b"x" * 32, iterations=1), clock=self.clock)
        forged = other.sign({"sub": "1", "sid": "s"})
        with self.assertRaises(InvalidToken):
            self.auth.authenticate(f"Bearer {forged}")


class PasswordFlowTests(FlowTestCase):
    """Changing and resetting passwords."""

    def setUp(self) -> None:
        super().setUp()
        self.register()
        self.phone = self.auth.login("ann", PASSWORD, device_id="phone")
        self.laptop = self.auth.login("ann", PASSWORD, device_id="laptop")

    def test_change_password_signs_out_other_devices(self) -> None:
        """The new password works, the old does not, other devices are out."""
        self.assertEqual(
            self.auth.change_password(
                self.phone.tokens.access, PASSWORD, "New-Password-42"
            ),
            1,
        )
        self.auth.authenticate(f"Bearer {self.phone.tokens.access}")
        with self.assertRaises(TokenRevoked):
            self.auth.authenticate(f"Bearer {self.laptop.tokens.access}")
        with self.assertRaises(InvalidCredentials):
            self.auth.login("ann", PASSWORD, device_id="tv")
        self.auth.login("ann", "New-Password-42", device_id="tv")

    def test_change_password_policy(self) -> None:
        """The new password must satisfy the policy."""
        with self.assertRaises(WeakPassword):
            self.auth.change_password(self.phone.tokens.access, PASSWORD, "short")

    def test_reset_password(self) -> None:
        """A reset token sets a new password once and signs out everywhere."""
        token = self.auth.request_password_reset("ann@example.com")
        assert token is not None
        self.assertEqual(self.auth.reset_password(token, "Reset-Password-7"), 2)
        self.auth.login("ann", "Reset-Password-7", device_id="tv")
        with self.assertRaises(InvalidToken):
            self.auth.reset_password(token, "Another-Password-8")

    def test_reset_token_expires(self) -> None:
        """Reset tokens last an hour."""
        token = self.auth.request_password_reset("ann@example.com")
        assert token is not None
        self.now += AuthController.RESET_TTL + 1
        with self.assertRaises(InvalidToken):
            self.auth.reset_password(token, "Reset-Password-7")

    def test_reset_token_is_stored_as_a_fingerprint(self) -> None:
        """The database never holds the token itself."""
        token = self.auth.request_password_reset("ann@example.com")
        (row,) = self.storage.tables["password_resets"]
        self.assertEqual(row["token_hash"], self.encryption.fingerprint(token or ""))
        self.assertNotIn(token, row.values())


if __name__ == "__main__":
    unittest.main()
