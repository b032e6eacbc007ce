"""Per-device login sessions: redis for speed, the database for the record."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

from mockpool._demo.services.errors import (
    InvalidToken,
    SessionError,
    SessionLimitExceeded,
    SessionNotFound,
    TokenRevoked,
)

if TYPE_CHECKING:
    from mockpool._demo.services.database import Database
    from mockpool._demo.services.jwt import JwtService, TokenPair
    from mockpool._demo.services.redis import RedisService


@dataclass(frozen=True)
class DeviceSession:
    """One logged-in device."""

    session_id: str
    user_id: str
    device_id: str
    device_name: str
    created_at: float
    last_seen: float
    refresh_jti: str
    ip: str = ""
    revoked: bool = False

    def to_hash(self) -> dict[str, str]:
        """The redis hash of this session (every value a string)."""
        data = asdict(self)
        data["revoked"] = "1" if self.revoked else "0"
        return {key: str(value) for key, value in data.items()}

    @classmethod
    def from_hash(cls, data: Mapping[str, bytes | str]) -> DeviceSession:
        """Inverse of :meth:`to_hash`; raise :class:`SessionError` if incomplete."""
        text = {
            k: v.decode() if isinstance(v, bytes) else str(v) for k, v in data.items()
        }
        try:
            return cls(
                session_id=text["session_id"],
                user_id=text["user_id"],
                device_id=text["device_id"],
                device_name=text["device_name"],
                created_at=float(text["created_at"]),
                last_seen=float(text["last_seen"]),
                refresh_jti=text["refresh_jti"],
                ip=text.get("ip", ""),
                revoked=text.get("revoked", "0") == "1",
            )
        except (KeyError, ValueError) as exc:
            raise SessionError(f"corrupt session record: {exc}") from exc

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DeviceSession:
        return cls(
            session_id=str(row["session_id"]),
            user_id=str(row["user_id"]),
            device_id=str(row["device_id"]),
            device_name=str(row["device_name"]),
            created_at=float(row["created_at"]),
            last_seen=float(row["last_seen"]),
            refresh_jti=str(row["refresh_jti"]),
            ip=str(row.get("ip") or ""),
            revoked=bool(row.get("revoked")),
        )


class DeviceSessionService:
    """Starts, refreshes, lists and revokes the sessions of users' devices.

    A session lives in a redis hash (with a TTL) indexed by a per-user set,
    and in the ``device_sessions`` table. Refresh tokens rotate: presenting
    an old one revokes every session of the user (token reuse).
    """

    KEY_PREFIX = "device-session"
    TABLE = "device_sessions"
    MAX_SESSIONS = 5
    SESSION_TTL = 30 * 86_400
    MAX_DEVICE_NAME = 64
    TOUCH_INTERVAL = 60

    def __init__(
        self,
        redis: RedisService,
        jwt: JwtService,
        database: Database,
        *,
        max_sessions: int = MAX_SESSIONS,
        session_ttl: int = SESSION_TTL,
        clock: Callable[[], float] = time.time,
        id_factory: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be positive, not {max_sessions!r}")
        self._redis = redis
        self._jwt = jwt
        self._database = database
        self._max_sessions = max_sessions
        self._session_ttl = session_ttl
        self._clock = clock
        self._id_factory = id_factory

    @property
    def max_sessions(self) -> int:
        return self._max_sessions

    # -- keys -----------------------------------------------------------------

    def session_key(self, session_id: str) -> str:
        if not session_id:
            raise SessionError("empty session id")
        return f"{self.KEY_PREFIX}:{session_id}"

    def user_index_key(self, user_id: str) -> str:
        if not user_id:
            raise SessionError("empty user id")
        return f"{self.KEY_PREFIX}:user:{user_id}"

    @classmethod
    def clean_device_name(cls, name: str) -> str:
        """Collapse whitespace and cut *name* to the allowed length."""
        cleaned = " ".join(name.split())
        if not cleaned:
            return "unknown device"
        if len(cleaned) > cls.MAX_DEVICE_NAME:
            cleaned = cleaned[: cls.MAX_DEVICE_NAME - 1].rstrip() + "\u2026"
        return cleaned

    # -- storage --------------------------------------------------------------

    def _store(self, session: DeviceSession) -> None:
        key = self.session_key(session.session_id)
        self._redis.hset(key, mapping=session.to_hash())
        self._redis.expire(key, self._session_ttl)
        self._redis.sadd(self.user_index_key(session.user_id), session.session_id)

    def get(self, session_id: str) -> DeviceSession | None:
        """Return the session from redis, else from the database (and re-cache)."""
        data = self._redis.hgetall(self.session_key(session_id))
        if data:
            return DeviceSession.from_hash(data)
        row = self._database.fetch_one(
            f"SELECT * FROM {self.TABLE} WHERE session_id = ?", (session_id,)
        )
        if row is None:
            return None
        session = DeviceSession.from_row(row)
        if not session.revoked:
            self._store(session)
        return session

    def require(self, session_id: str) -> DeviceSession:
        session = self.get(session_id)
        if session is None:
            raise SessionNotFound(session_id)
        return session

    def is_active(self, session_id: str) -> bool:
        session = self.get(session_id)
        if session is None or session.revoked:
            return False
        return self._clock() - session.last_seen < self._session_ttl

    # -- lifecycle ------------------------------------------------------------

    def start(
        self,
        user_id: str,
        device_id: str,
        *,
        device_name: str = "",
        ip: str = "",
        scopes: Iterable[str] = (),
        evict: bool = True,
    ) -> tuple[DeviceSession, TokenPair]:
        """Start a session and issue its tokens.

        A device that already has a session gets it replaced. At the limit,
        the least recently seen session is revoked, or, with ``evict=False``,
        :class:`SessionLimitExceeded` is raised.
        """
        if not device_id:
            raise SessionError("empty device id")
        existing = self.list_sessions(user_id)
        for old in existing:
            if old.device_id == device_id:
                self.revoke(old.session_id, reason="replaced")
                existing.remove(old)
                break
        if len(existing) >= self._max_sessions:
            if not evict:
                raise SessionLimitExceeded(
                    f"user {user_id} has {len(existing)} sessions"
                )
            for old in existing[self._max_sessions - 1 :]:
                self.revoke(old.session_id, reason="evicted")
        session_id = self._id_factory()
        pair = self._jwt.issue_pair(
            user_id, scopes=scopes, extra={"sid": session_id, "dev": device_id}
        )
        now = self._clock()
        session = DeviceSession(
            session_id=session_id,
            user_id=user_id,
            device_id=device_id,
            device_name=self.clean_device_name(device_name),
            created_at=now,
            last_seen=now,
            refresh_jti=str(self._jwt.decode(pair.refresh)["jti"]),
            ip=ip,
        )
        self._store(session)
        row: dict[str, Any] = asdict(session)
        row["revoked"] = 0
        self._database.insert(self.TABLE, row)
        return session, pair

    def touch(self, session_id: str, *, ip: str | None = None) -> DeviceSession:
        """Record activity; redis is written at most once per interval."""
        session = self.require(session_id)
        if session.revoked:
            raise TokenRevoked(session_id)
        now = self._clock()
        if now - session.last_seen < self.TOUCH_INTERVAL and (
            ip is None or ip == session.ip
        ):
            return session
        updated = replace(session, last_seen=now, ip=session.ip if ip is None else ip)
        self._redis.hset(
            self.session_key(session_id),
            mapping={"last_seen": str(now), "ip": updated.ip},
        )
        return updated

    def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate a refresh token; reuse of an old one revokes every session."""
        claims = self._jwt.verify(refresh_token, token_type="refresh")
        session_id = claims.get("sid")
        if not session_id:
            raise InvalidToken("refresh token has no session")
        session = self.require(str(session_id))
        if session.revoked:
            raise TokenRevoked(session.session_id)
        if claims.get("jti") != session.refresh_jti:
            self.revoke_all(session.user_id, reason="refresh-token-reuse")
            raise TokenRevoked("refresh token reused; every session revoked")
        pair = self._jwt.refresh(refresh_token)
        jti = str(self._jwt.decode(pair.refresh)["jti"])
        now = self._clock()
        self._redis.hset(
            self.session_key(session.session_id),
            mapping={"refresh_jti": jti, "last_seen": str(now)},
        )
        self._database.update(
            self.TABLE,
            {"refresh_jti": jti, "last_seen": now},
            {"session_id": session.session_id},
        )
        return pair

    def revoke(self, session_id: str, *, reason: str = "logout") -> bool:
        """Revoke one session; return whether it existed."""
        session = self.get(session_id)
        if session is None:
            return False
        self._redis.delete(self.session_key(session_id))
        self._redis.srem(self.user_index_key(session.user_id), session_id)
        self._database.update(
            self.TABLE,
            {"revoked": 1, "revoked_reason": reason, "revoked_at": self._clock()},
            {"session_id": session_id},
        )
        self._redis.publish(
            "sessions", {"event": "revoked", "sid": session_id, "reason": reason}
        )
        return True

    def revoke_all(
        self,
        user_id: str,
        *,
        except_session: str | None = None,
        reason: str = "logout-all",
    ) -> int:
        count = 0
        for session in self.list_sessions(user_id):
            if session.session_id != except_session and self.revoke(
                session.session_id, reason=reason
            ):
                count += 1
        return count

    def list_sessions(self, user_id: str) -> list[DeviceSession]:
        """Active sessions of *user_id*, most recently seen first.

        Index entries whose session has gone are removed.
        """
        index = self.user_index_key(user_id)
        sessions: list[DeviceSession] = []
        dangling: list[str] = []
        members: set[str] = self._redis.smembers(index)
        for session_id in sorted(members):
            data = self._redis.hgetall(self.session_key(session_id))
            if not data:
                dangling.append(session_id)
                continue
            session = DeviceSession.from_hash(data)
            if not session.revoked:
                sessions.append(session)
        if dangling:
            self._redis.srem(index, *dangling)
        sessions.sort(key=lambda s: s.last_seen, reverse=True)
        return sessions

    def count(self, user_id: str) -> int:
        return len(self.list_sessions(user_id))

    def rename_device(self, session_id: str, name: str) -> DeviceSession:
        session = self.require(session_id)
        cleaned = self.clean_device_name(name)
        self._redis.hset(self.session_key(session_id), "device_name", cleaned)
        self._database.update(
            self.TABLE, {"device_name": cleaned}, {"session_id": session_id}
        )
        return replace(session, device_name=cleaned)

    def validate_access(
        self, access_token: str
    ) -> tuple[DeviceSession, dict[str, Any]]:
        """Check an access token and that its session is still active."""
        claims = self._jwt.verify(access_token)
        session_id = claims.get("sid")
        if not session_id:
            raise InvalidToken("access token has no session")
        session = self.get(str(session_id))
        if session is None or session.revoked:
            raise TokenRevoked(str(session_id))
        return session, claims

    def purge_expired(self) -> int:
        """Delete database records of sessions idle beyond the TTL."""
        cutoff = self._clock() - self._session_ttl
        return self._database.execute(
            f"DELETE FROM {self.TABLE} WHERE last_seen < ?", (cutoff,)
        )

    def summary(self, user_id: str) -> dict[str, Any]:
        """What an account page shows: device names and last activity."""
        sessions = self.list_sessions(user_id)
        return {
            "count": len(sessions),
            "limit": self._max_sessions,
            "devices": [
                {"id": s.session_id, "name": s.device_name, "last_seen": s.last_seen}
                for s in sessions
            ],
        }

    async def aget_record(self, session_id: str) -> DeviceSession | None:
        """Read the database record of a session asynchronously."""
        row = await self._database.afetch_one(
            f"SELECT * FROM {self.TABLE} WHERE session_id = ?", (session_id,)
        )
        return None if row is None else DeviceSession.from_row(row)
