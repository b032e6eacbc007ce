"""Tests for device sessions: start, list, refresh rotation, revocation."""

from __future__ import annotations

import unittest
from dataclasses import replace
from typing import Any
from unittest import mock

from mockpool._demo.services.database import Database
from mockpool._demo.services.device_sessions import (
    DeviceSession,
    DeviceSessionService,
)
from mockpool._demo.services.errors import (
    InvalidToken,
    SessionError,
    SessionLimitExceeded,
    SessionNotFound,
    TokenExpired,
    TokenRevoked,
)
from mockpool._demo.services.jwt import JwtService, TokenPair
from mockpool._demo.services.redis import RedisService
from mockpool._demo.tests.support import cases, data_driven

NOW = 1_700_000_000.0
PAIR = TokenPair("access-token", "refresh-token", 900)


def make_session(n: int = 1, **overrides: Any) -> DeviceSession:
    values: dict[str, Any] = {
        "session_id": f"s{n}",
        "user_id": "u1",
        "device_id": f"d{n}",
        "device_name": f"Phone {n}",
        "created_at": NOW - 1000 * n,
        "last_seen": NOW - 100 * n,
        "refresh_jti": f"j{n}",
        "ip": "10.0.0.1",
    }
    values.update(overrides)
    return DeviceSession(**values)


def as_redis_hash(session: DeviceSession) -> dict[str, bytes]:
    """What RedisService.hgetall returns for a stored session."""
    return {k: v.encode() for k, v in session.to_hash().items()}


class DeviceSessionTestCase(unittest.TestCase):
    """The service over autospecced redis, JWT service and database."""

    def setUp(self) -> None:
        self.redis = mock.create_autospec(RedisService, instance=True)
        self.jwt = mock.create_autospec(JwtService, instance=True)
        self.database = mock.create_autospec(Database, instance=True)
        self.redis.smembers.return_value = set()
        self.redis.hgetall.return_value = {}
        self.database.fetch_one.return_value = None
        self.jwt.issue_pair.return_value = PAIR
        self.jwt.decode.return_value = {"jti": "new-jti"}
        self.ids = iter(f"new{i}" for i in range(1, 100))
        self.service = DeviceSessionService(
            self.redis,
            self.jwt,
            self.database,
            clock=lambda: NOW,
            id_factory=lambda: next(self.ids),
        )

    def stored(self, *sessions: DeviceSession) -> None:
        """Make redis hold *sessions* (indexed under their users)."""
        by_key = {f"device-session:{s.session_id}": as_redis_hash(s) for s in sessions}
        self.redis.smembers.return_value = {s.session_id for s in sessions}
        self.redis.hgetall.side_effect = lambda key: by_key.get(key, {})


@data_driven
class RecordTests(DeviceSessionTestCase):
    """The DeviceSession value and its storage forms."""

    def test_hash_round_trip(self) -> None:
        """to_hash and from_hash are inverses."""
        session = make_session(revoked=True)
        self.assertEqual(DeviceSession.from_hash(as_redis_hash(session)), session)

    def test_hash_values_are_strings(self) -> None:
        """Redis hashes hold strings; revoked is '0' or '1'."""
        data = make_session().to_hash()
        self.assertTrue(all(isinstance(v, str) for v in data.values()))
        self.assertEqual(data["revoked"], "0")

    @cases(missing_user="user_id", missing_jti="refresh_jti", missing_seen="last_seen")
    def test_incomplete_hash(self, field: str) -> None:
        """A hash missing a field is a SessionError."""
        data = as_redis_hash(make_session())
        del data[field]
        with self.assertRaises(SessionError):
            DeviceSession.from_hash(data)

    def test_corrupt_number(self) -> None:
        """A non-numeric timestamp is a SessionError."""
        data = as_redis_hash(make_session())
        data["created_at"] = b"yesterday"
        with self.assertRaises(SessionError):
            DeviceSession.from_hash(data)

    def test_from_row(self) -> None:
        """Database rows convert, with NULL ip and integer revoked."""
        row = dict(make_session().to_hash(), ip=None, revoked=1, user_id=7)
        session = DeviceSession.from_row(row)
        self.assertEqual(
            (session.ip, session.revoked, session.user_id), ("", True, "7")
        )

    @cases(
        plain=("iPhone", "iPhone"),
        spaces=("  My   Laptop \n", "My Laptop"),
        empty=("", "unknown device"),
        blank=("   ", "unknown device"),
        long=("x" * 100, "x" * 63 + "\u2026"),
        exact=("y" * 64, "y" * 64),
    )
    def test_clean_device_name(self, case: tuple[str, str]) -> None:
        """Device names are trimmed, collapsed and cut to 64 characters."""
        raw, expected = case
        self.assertEqual(DeviceSessionService.clean_device_name(raw), expected)

    @cases(
        session=("session_key", "s1", "device-session:s1"),
        user=("user_index_key", "u1", "device-session:user:u1"),
    )
    def test_keys(self, case: tuple[str, str, str]) -> None:
        """Redis keys are prefixed."""
        method, value, expected = case
        self.assertEqual(getattr(self.service, method)(value), expected)

    @cases(session="session_key", user="user_index_key")
    def test_empty_ids_are_refused(self, method: str) -> None:
        """Empty ids would collide."""
        with self.assertRaises(SessionError):
            getattr(self.service, method)("")

    def test_max_sessions_must_be_positive(self) -> None:
        """A user needs room for one session."""
        with self.assertRaises(ValueError):
            DeviceSessionService(self.redis, self.jwt, self.database, max_sessions=0)


class StartTests(DeviceSessionTestCase):
    """Starting sessions."""

    def test_start_issues_tokens_and_stores_everywhere(self) -> None:
        """A new session gets a pair, a hash with a TTL, an index entry and a row."""
        session, pair = self.service.start(
            "u1", "d9", device_name=" Pixel  8 ", ip="1.2.3.4", scopes=["profile"]
        )
        self.assertIs(pair, PAIR)
        self.assertEqual(session.session_id, "new1")
        self.assertEqual(session.device_name, "Pixel 8")
        self.assertEqual(session.refresh_jti, "new-jti")
        self.jwt.issue_pair.assert_called_once_with(
            "u1", scopes=["profile"], extra={"sid": "new1", "dev": "d9"}
        )
        self.jwt.decode.assert_called_once_with("refresh-token")
        self.redis.hset.assert_called_once_with(
            "device-session:new1", mapping=session.to_hash()
        )
        self.redis.expire.assert_called_once_with(
            "device-session:new1", DeviceSessionService.SESSION_TTL
        )
        self.redis.sadd.assert_called_once_with("device-session:user:u1", "new1")
        table, row = self.database.insert.call_args.args
        self.assertEqual(table, "device_sessions")
        self.assertEqual((row["session_id"], row["revoked"]), ("new1", 0))

    def test_same_device_replaces_its_session(self) -> None:
        """Logging in again from a device revokes its old session first."""
        old = make_session(1, device_id="d9")
        self.stored(old)
        self.service.start("u1", "d9")
        self.redis.delete.assert_called_once_with("device-session:s1")
        self.redis.publish.assert_called_once_with(
            "sessions", {"event": "revoked", "sid": "s1", "reason": "replaced"}
        )

    def test_at_the_limit_the_least_recent_is_evicted(self) -> None:
        """With max_sessions active, the oldest-seen goes."""
        sessions = [make_session(n) for n in range(1, 6)]
        self.stored(*sessions)
        self.service.start("u1", "d-new")
        self.redis.delete.assert_called_once_with("device-session:s5")
        self.assertEqual(
            self.database.update.call_args.args[1]["revoked_reason"], "evicted"
        )

    def test_at_the_limit_without_eviction(self) -> None:
        """evict=False raises instead, issuing nothing."""
        self.stored(*[make_session(n) for n in range(1, 6)])
        with self.assertRaises(SessionLimitExceeded):
            self.service.start("u1", "d-new", evict=False)
        self.jwt.issue_pair.assert_not_called()
        self.database.insert.assert_not_called()

    def test_below_the_limit_nothing_is_evicted(self) -> None:
        """Four sessions leave room for a fifth."""
        self.stored(*[make_session(n) for n in range(1, 5)])
        self.service.start("u1", "d-new")
        self.redis.delete.assert_not_called()

    def test_empty_device_id(self) -> None:
        """A session needs a device."""
        with self.assertRaises(SessionError):
            self.service.start("u1", "")
        self.jwt.issue_pair.assert_not_called()

    def test_revoked_sessions_do_not_count(self) -> None:
        """Revoked hashes left in redis are ignored by the limit."""
        sessions = [make_session(n, revoked=(n == 1)) for n in range(1, 6)]
        self.stored(*sessions)
        self.service.start("u1", "d-new")
        self.redis.delete.assert_not_called()

    def test_smaller_limit(self) -> None:
        """max_sessions=1 replaces the only session."""
        service = DeviceSessionService(
            self.redis, self.jwt, self.database, max_sessions=1, clock=lambda: NOW
        )
        self.stored(make_session(1))
        service.start("u1", "d2")
        self.redis.delete.assert_called_once_with("device-session:s1")
        self.assertEqual(service.max_sessions, 1)


class LookupTests(DeviceSessionTestCase):
    """get, require, is_active, list_sessions and count."""

    def test_get_from_redis(self) -> None:
        """A cached session does not touch the database."""
        session = make_session()
        self.stored(session)
        self.assertEqual(self.service.get("s1"), session)
        self.database.fetch_one.assert_not_called()

    def test_get_falls_back_to_the_database_and_recaches(self) -> None:
        """A session missing from redis is read from its row and stored again."""
        session = make_session()
        self.database.fetch_one.return_value = dict(session.to_hash(), revoked=0)
        self.assertEqual(self.service.get("s1"), session)
        self.database.fetch_one.assert_called_once_with(
            "SELECT * FROM device_sessions WHERE session_id = ?", ("s1",)
        )
        self.redis.hset.assert_called_once()

    def test_revoked_rows_are_not_recached(self) -> None:
        """A revoked session is returned but not put back in redis."""
        self.database.fetch_one.return_value = dict(make_session().to_hash(), revoked=1)
        self.assertTrue(self.service.get("s1").revoked)  # type: ignore[union-attr]
        self.redis.hset.assert_not_called()

    def test_get_unknown(self) -> None:
        """Unknown sessions are None; require raises."""
        self.assertIsNone(self.service.get("nope"))
        with self.assertRaises(SessionNotFound):
            self.service.require("nope")

    def test_is_active(self) -> None:
        """Active means known, not revoked and seen within the TTL."""
        self.stored(make_session(1), make_session(2, revoked=True))
        self.assertTrue(self.service.is_active("s1"))
        self.assertFalse(self.service.is_active("s2"))
        self.assertFalse(self.service.is_active("s3"))

    def test_idle_sessions_are_inactive(self) -> None:
        """A session not seen for the TTL is inactive."""
        self.stored(make_session(1, last_seen=NOW - DeviceSessionService.SESSION_TTL))
        self.assertFalse(self.service.is_active("s1"))

    def test_list_sessions_most_recent_first(self) -> None:
        """Sessions are sorted by last_seen, newest first."""
        self.stored(make_session(3), make_session(1), make_session(2))
        self.assertEqual(
            [s.session_id for s in self.service.list_sessions("u1")], ["s1", "s2", "s3"]
        )
        self.assertEqual(self.service.count("u1"), 3)

    def test_dangling_index_entries_are_pruned(self) -> None:
        """Index ids whose hash expired are removed from the index."""
        self.stored(make_session(1))
        self.redis.smembers.return_value = {"s1", "gone1", "gone2"}
        self.assertEqual(len(self.service.list_sessions("u1")), 1)
        self.redis.srem.assert_called_once_with(
            "device-session:user:u1", "gone1", "gone2"
        )

    def test_summary(self) -> None:
        """summary lists devices for an account page."""
        self.stored(make_session(1))
        self.assertEqual(
            self.service.summary("u1"),
            {
                "count": 1,
                "limit": 5,
                "devices": [{"id": "s1", "name": "Phone 1", "last_seen": NOW - 100}],
            },
        )


class RefreshTests(DeviceSessionTestCase):
    """Refresh token rotation and reuse detection."""

    def setUp(self) -> None:
        super().setUp()
        self.session = make_session(1, refresh_jti="current")
        self.stored(self.session)
        self.jwt.verify.return_value = {"sub": "u1", "sid": "s1", "jti": "current"}
        self.jwt.refresh.return_value = TokenPair("a2", "r2", 900)
        self.jwt.decode.return_value = {"jti": "next"}

    def test_refresh_rotates_the_jti(self) -> None:
        """A current refresh token gives a new pair and records its jti."""
        pair = self.service.refresh("r1")
        self.assertEqual(pair, TokenPair("a2", "r2", 900))
        self.jwt.verify.assert_called_once_with("r1", token_type="refresh")
        self.jwt.refresh.assert_called_once_with("r1")
        self.jwt.decode.assert_called_once_with("r2")
        self.redis.hset.assert_called_once_with(
            "device-session:s1", mapping={"refresh_jti": "next", "last_seen": str(NOW)}
        )
        self.database.update.assert_called_once_with(
            "device_sessions",
            {"refresh_jti": "next", "last_seen": NOW},
            {"session_id": "s1"},
        )

    def test_reused_refresh_token_revokes_everything(self) -> None:
        """An old jti means theft: every session of the user is revoked."""
        self.jwt.verify.return_value = {"sub": "u1", "sid": "s1", "jti": "old"}
        with self.assertRaises(TokenRevoked):
            self.service.refresh("stolen")
        self.jwt.refresh.assert_not_called()
        self.redis.delete.assert_called_once_with("device-session:s1")
        self.assertEqual(
            self.database.update.call_args.args[1]["revoked_reason"],
            "refresh-token-reuse",
        )

    def test_revoked_session(self) -> None:
        """A revoked session cannot refresh."""
        self.stored(replace(self.session, revoked=True))
        with self.assertRaises(TokenRevoked):
            self.service.refresh("r1")

    def test_token_without_session(self) -> None:
        """A refresh token must name its session."""
        self.jwt.verify.return_value = {"sub": "u1", "jti": "current"}
        with self.assertRaises(InvalidToken):
            self.service.refresh("r1")

    def test_unknown_session(self) -> None:
        """A session that is gone is SessionNotFound."""
        self.jwt.verify.return_value = {"sub": "u1", "sid": "s404", "jti": "x"}
        with self.assertRaises(SessionNotFound):
            self.service.refresh("r1")

    def test_verification_errors_propagate(self) -> None:
        """Expired refresh tokens are the JWT service's to report."""
        self.jwt.verify.side_effect = TokenExpired("old")
        with self.assertRaises(TokenExpired):
            self.service.refresh("r1")
        self.redis.hset.assert_not_called()


class RevokeTests(DeviceSessionTestCase):
    """Revoking one or all sessions."""

    def test_revoke(self) -> None:
        """revoke removes the hash and index entry, marks the row, publishes."""
        self.stored(make_session(1))
        self.assertTrue(self.service.revoke("s1", reason="logout"))
        self.redis.delete.assert_called_once_with("device-session:s1")
        self.redis.srem.assert_called_once_with("device-session:user:u1", "s1")
        self.database.update.assert_called_once_with(
            "device_sessions",
            {"revoked": 1, "revoked_reason": "logout", "revoked_at": NOW},
            {"session_id": "s1"},
        )
        self.redis.publish.assert_called_once_with(
            "sessions", {"event": "revoked", "sid": "s1", "reason": "logout"}
        )

    def test_revoke_unknown(self) -> None:
        """Revoking an unknown session is False and changes nothing."""
        self.assertFalse(self.service.revoke("nope"))
        self.redis.delete.assert_not_called()
        self.database.update.assert_not_called()

    def test_revoke_all(self) -> None:
        """revoke_all revokes every session and counts them."""
        self.stored(make_session(1), make_session(2), make_session(3))
        self.assertEqual(self.service.revoke_all("u1"), 3)
        self.assertEqual(self.redis.delete.call_count, 3)

    def test_revoke_all_except_current(self) -> None:
        """The current session can be kept."""
        self.stored(make_session(1), make_session(2))
        self.assertEqual(self.service.revoke_all("u1", except_session="s2"), 1)
        self.redis.delete.assert_called_once_with("device-session:s1")

    def test_touch_within_interval_writes_nothing(self) -> None:
        """Activity within a minute of the last is not written."""
        self.stored(make_session(1, last_seen=NOW - 30))
        self.assertEqual(self.service.touch("s1").last_seen, NOW - 30)
        self.redis.hset.assert_not_called()

    def test_touch_after_interval(self) -> None:
        """Later activity updates last_seen."""
        self.stored(make_session(1, last_seen=NOW - 300))
        self.assertEqual(self.service.touch("s1").last_seen, NOW)
        self.redis.hset.assert_called_once_with(
            "device-session:s1", mapping={"last_seen": str(NOW), "ip": "10.0.0.1"}
        )

    def test_touch_with_new_ip(self) -> None:
        """A new IP is written at once."""
        self.stored(make_session(1, last_seen=NOW - 5))
        self.assertEqual(self.service.touch("s1", ip="9.9.9.9").ip, "9.9.9.9")
        self.redis.hset.assert_called_once()

    def test_touch_revoked(self) -> None:
        """A revoked session cannot be touched."""
        self.stored(make_session(1, revoked=True))
        with self.assertRaises(TokenRevoked):
            self.service.touch("s1")

    def test_rename_device(self) -> None:
        """rename_device cleans the name and writes both stores."""
        self.stored(make_session(1))
        renamed = self.service.rename_device("s1", "  Work   laptop ")
        self.assertEqual(renamed.device_name, "Work laptop")
        self.redis.hset.assert_called_once_with(
            "device-session:s1", "device_name", "Work laptop"
        )
        self.database.update.assert_called_once_with(
            "device_sessions", {"device_name": "Work laptop"}, {"session_id": "s1"}
        )

    def test_purge_expired(self) -> None:
        """purge_expired deletes rows idle beyond the TTL."""
        self.database.execute.return_value = 4
        self.assertEqual(self.service.purge_expired(), 4)
        self.database.execute.assert_called_once_with(
            "DELETE FROM device_sessions WHERE last_seen < ?",
            (NOW - DeviceSessionService.SESSION_TTL,),
        )


@data_driven
class AccessTests(DeviceSessionTestCase):
    """validate_access."""

    def test_valid(self) -> None:
        """A valid token of an active session returns both."""
        self.stored(make_session(1))
        self.jwt.verify.return_value = {"sub": "u1", "sid": "s1"}
        session, claims = self.service.validate_access("a")
        self.assertEqual((session.session_id, claims["sub"]), ("s1", "u1"))

    @cases(
        no_sid=({"sub": "u1"}, InvalidToken),
        unknown=({"sub": "u1", "sid": "s9"}, TokenRevoked),
        revoked=({"sub": "u1", "sid": "s2"}, TokenRevoked),
    )
    def test_refused(self, case: tuple[dict[str, Any], type[Exception]]) -> None:
        """Tokens without a live session are refused."""
        claims, error = case
        self.stored(make_session(1), make_session(2, revoked=True))
        self.jwt.verify.return_value = claims
        with self.assertRaises(error):
            self.service.validate_access("a")

    @cases(expired=TokenExpired("x"), invalid=InvalidToken("x"))
    def test_jwt_errors_propagate(self, error: Exception) -> None:
        """Token errors are not swallowed."""
        self.jwt.verify.side_effect = error
        with self.assertRaises(type(error)):
            self.service.validate_access("a")
        self.redis.hgetall.assert_not_called()


class AsyncRecordTests(unittest.IsolatedAsyncioTestCase):
    """The asynchronous record lookup."""

    def setUp(self) -> None:
        self.database = mock.create_autospec(Database, instance=True)
        self.service = DeviceSessionService(
            mock.create_autospec(RedisService, instance=True),
            mock.create_autospec(JwtService, instance=True),
            self.database,
        )

    async def test_aget_record(self) -> None:
        """The row is awaited and converted."""
        self.database.afetch_one.return_value = dict(
            make_session().to_hash(), revoked=0
        )
        session = await self.service.aget_record("s1")
        self.assertEqual(session, make_session())
        self.database.afetch_one.assert_awaited_once_with(
            "SELECT * FROM device_sessions WHERE session_id = ?", ("s1",)
        )

    async def test_aget_record_missing(self) -> None:
        """No row is None."""
        self.database.afetch_one.return_value = None
        self.assertIsNone(await self.service.aget_record("s1"))


if __name__ == "__main__":
    unittest.main()
