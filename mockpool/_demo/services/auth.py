"""Accounts and logins: registration, passwords, lockout, tokens and devices."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from mockpool._demo.services.errors import (
    AccountLocked,
    AuthError,
    InvalidCredentials,
    InvalidToken,
    PermissionDenied,
    RegistrationError,
    WeakPassword,
)

if TYPE_CHECKING:
    from mockpool._demo.services.database import Database
    from mockpool._demo.services.device_sessions import DeviceSessionService
    from mockpool._demo.services.encryption import EncryptionService
    from mockpool._demo.services.jwt import JwtService, TokenPair
    from mockpool._demo.services.logger import Logger


@dataclass(frozen=True)
class LoginResult:
    user_id: str
    session_id: str
    tokens: TokenPair
    password_rehashed: bool = False


class AuthController:
    """The account endpoints' logic.

    Users live in the ``users`` table; sessions and tokens come from the
    device session service. Unknown users cost a password check too, so
    that timing does not tell which names exist.
    """

    USERS = "users"
    RESETS = "password_resets"
    MIN_PASSWORD_LENGTH = 10
    MAX_PASSWORD_LENGTH = 128
    MAX_FAILED_ATTEMPTS = 5
    LOCKOUT_SECONDS = 900
    RESET_TTL = 3600
    USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
    EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
    COMMON_PASSWORDS = frozenset(
        {"password123", "qwertyuiop", "1234567890", "letmein123", "iloveyou12"}
    )
    RESERVED_USERNAMES = frozenset({"admin", "root", "support", "system"})
    DEFAULT_SCOPES = ("media:read", "profile")
    # Checked against for unknown users, so that their logins take as long.
    DUMMY_HASH = (
        "pbkdf2_sha256$120000$c2FsdHNhbHRzYWx0c2FsdA$ZHVtbXlkdW1teWR1bW15ZHVtbXk"
    )

    def __init__(
        self,
        jwt: JwtService,
        encryption: EncryptionService,
        device_sessions: DeviceSessionService,
        database: Database,
        *,
        logger: Logger | None = None,
        clock: Callable[[], float] = time.time,
        max_failed_attempts: int = MAX_FAILED_ATTEMPTS,
    ) -> None:
        self._jwt = jwt
        self._encryption = encryption
        self._device_sessions = device_sessions
        self._database = database
        self._logger = logger
        self._clock = clock
        self._max_failed = max_failed_attempts

    # -- validation -----------------------------------------------------------

    @classmethod
    def normalize_username(cls, username: str) -> str:
        """Lower-case and check a username; raise :class:`RegistrationError`."""
        name = username.strip().lower()
        if not cls.USERNAME.match(name):
            raise RegistrationError(f"invalid username {username!r}")
        if name in cls.RESERVED_USERNAMES:
            raise RegistrationError(f"username {name!r} is reserved")
        return name

    @classmethod
    def normalize_email(cls, email: str) -> str:
        address = email.strip()
        if not cls.EMAIL.match(address):
            raise RegistrationError(f"invalid e-mail address {email!r}")
        local, _, domain = address.rpartition("@")
        return f"{local}@{domain.lower()}"

    @classmethod
    def password_problems(cls, password: str, *, username: str = "") -> list[str]:
        """Every way *password* breaks the policy (empty if none)."""
        problems = []
        if len(password) < cls.MIN_PASSWORD_LENGTH:
            problems.append(f"at least {cls.MIN_PASSWORD_LENGTH} characters")
        if len(password) > cls.MAX_PASSWORD_LENGTH:
            problems.append(f"at most {cls.MAX_PASSWORD_LENGTH} characters")
        classes = sum(
            [
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            ]
        )
        if classes < 3:
            problems.append("three of: lower case, upper case, digits, symbols")
        if password.lower() in cls.COMMON_PASSWORDS:
            problems.append("not a common password")
        if username and username.lower() in password.lower():
            problems.append("not containing the username")
        return problems

    def check_password(self, password: str, *, username: str = "") -> None:
        problems = self.password_problems(password, username=username)
        if problems:
            raise WeakPassword(problems)

    @staticmethod
    def parse_authorization(header: str) -> str:
        """Return the token of an ``Authorization: Bearer <token>`` header."""
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("expected 'Bearer <token>'")
        return token.strip()

    @staticmethod
    def public_user(row: Mapping[str, Any]) -> dict[str, Any]:
        """The user fields an API may return."""
        hidden = {"password_hash", "failed_attempts", "locked_until"}
        return {k: v for k, v in row.items() if k not in hidden}

    # -- accounts -------------------------------------------------------------

    def _find_user(self, username: str) -> dict[str, Any] | None:
        return self._database.fetch_one(
            f"SELECT * FROM {self.USERS} WHERE username = ?", (username,)
        )

    def _user_by_id(self, user_id: str) -> dict[str, Any]:
        row = self._database.fetch_one(
            f"SELECT * FROM {self.USERS} WHERE id = ?", (user_id,)
        )
        if row is None:
            raise AuthError(f"no user {user_id}")
        return row

    def register(
        self,
        username: str,
        password: str,
        *,
        email: str,
        display_name: str | None = None,
    ) -> dict[str, Any]:
        """Create an account; return its public fields."""
        name = self.normalize_username(username)
        address = self.normalize_email(email)
        self.check_password(password, username=name)
        if self._find_user(name) is not None:
            raise RegistrationError(f"username {name!r} is taken")
        if self._database.exists(self.USERS, {"email": address}):
            raise RegistrationError("e-mail address already registered")
        row = {
            "username": name,
            "email": address,
            "display_name": (display_name or name).strip(),
            "password_hash": self._encryption.hash_password(password),
            "created_at": self._clock(),
            "failed_attempts": 0,
            "locked_until": 0,
            "scopes": " ".join(self.DEFAULT_SCOPES),
        }
        user_id = self._database.insert(self.USERS, row)
        if self._logger is not None:
            self._logger.info("registered user", user_id=user_id)
        return self.public_user({"id": user_id, **row})

    def login(
        self,
        username: str,
        password: str,
        *,
        device_id: str,
        device_name: str = "",
        ip: str = "",
    ) -> LoginResult:
        """Check credentials, apply lockout, and start a device session."""
        try:
            name = self.normalize_username(username)
        except RegistrationError:
            name = ""
        user = self._find_user(name) if name else None
        if user is None:
            self._encryption.verify_password(password, self.DUMMY_HASH)
            raise InvalidCredentials("unknown user or wrong password")
        user_id = str(user["id"])
        now = self._clock()
        locked_until = float(user.get("locked_until") or 0)
        if locked_until > now:
            raise AccountLocked(int(user["id"]), locked_until)
        if not self._encryption.verify_password(password, user["password_hash"]):
            self._record_failure(user, now)
            raise InvalidCredentials("unknown user or wrong password")
        changes: dict[str, Any] = {"failed_attempts": 0, "locked_until": 0}
        rehashed = self._encryption.needs_rehash(user["password_hash"])
        if rehashed:
            changes["password_hash"] = self._encryption.hash_password(password)
        changes["last_login"] = now
        self._database.update(self.USERS, changes, {"id": user["id"]})
        scopes = str(user.get("scopes") or "").split()
        session, tokens = self._device_sessions.start(
            user_id, device_id, device_name=device_name, ip=ip, scopes=scopes
        )
        if self._logger is not None:
            self._logger.info("login", user_id=user_id, session_id=session.session_id)
        return LoginResult(user_id, session.session_id, tokens, rehashed)

    def _record_failure(self, user: Mapping[str, Any], now: float) -> None:
        attempts = int(user.get("failed_attempts") or 0) + 1
        changes: dict[str, Any] = {"failed_attempts": attempts}
        if attempts >= self._max_failed:
            changes["locked_until"] = now + self.LOCKOUT_SECONDS
            if self._logger is not None:
                self._logger.warning("account locked", user_id=user["id"])
        self._database.update(self.USERS, changes, {"id": user["id"]})

    def unlock(self, user_id: str) -> bool:
        return (
            self._database.update(
                self.USERS, {"failed_attempts": 0, "locked_until": 0}, {"id": user_id}
            )
            > 0
        )

    # -- tokens and sessions --------------------------------------------------

    def authenticate(self, authorization: str) -> dict[str, Any]:
        """Return the claims of a valid bearer token of an active session."""
        token = self.parse_authorization(authorization)
        _, claims = self._device_sessions.validate_access(token)
        return claims

    def require_scope(self, claims: Mapping[str, Any], scope: str) -> None:
        if not self._jwt.has_scope(claims, scope):
            raise PermissionDenied(f"missing scope {scope!r}")

    def refresh(self, refresh_token: str) -> TokenPair:
        return self._device_sessions.refresh(refresh_token)

    def logout(self, access_token: str) -> bool:
        claims = self._jwt.verify(access_token)
        session_id = claims.get("sid")
        if not session_id:
            raise InvalidToken("token has no session")
        return self._device_sessions.revoke(str(session_id), reason="logout")

    def logout_everywhere(
        self, access_token: str, *, keep_current: bool = False
    ) -> int:
        claims = self._jwt.verify(access_token)
        keep = str(claims.get("sid")) if keep_current else None
        return self._device_sessions.revoke_all(
            str(claims["sub"]), except_session=keep, reason="logout-all"
        )

    def list_devices(self, access_token: str) -> list[dict[str, Any]]:
        claims = self._jwt.verify(access_token)
        current = claims.get("sid")
        return [
            {
                "session_id": s.session_id,
                "name": s.device_name,
                "last_seen": s.last_seen,
                "current": s.session_id == current,
            }
            for s in self._device_sessions.list_sessions(str(claims["sub"]))
        ]

    def revoke_device(self, access_token: str, session_id: str) -> bool:
        """Revoke one of the caller's own sessions."""
        claims = self._jwt.verify(access_token)
        session = self._device_sessions.get(session_id)
        if session is None:
            return False
        if session.user_id != str(claims["sub"]):
            raise PermissionDenied("that session belongs to another user")
        return self._device_sessions.revoke(session_id, reason="revoked-by-user")

    def me(self, access_token: str) -> dict[str, Any]:
        claims = self._jwt.verify(access_token)
        return self.public_user(self._user_by_id(str(claims["sub"])))

    async def ame(self, access_token: str) -> dict[str, Any]:
        """The asynchronous :meth:`me`."""
        claims = self._jwt.verify(access_token)
        row = await self._database.afetch_one(
            f"SELECT * FROM {self.USERS} WHERE id = ?", (str(claims["sub"]),)
        )
        if row is None:
            raise AuthError(f"no user {claims['sub']}")
        return self.public_user(row)

    # -- passwords ------------------------------------------------------------

    def change_password(self, access_token: str, old: str, new: str) -> int:
        """Change the caller's password; sign out every other device."""
        claims = self._jwt.verify(access_token)
        user = self._user_by_id(str(claims["sub"]))
        if not self._encryption.verify_password(old, user["password_hash"]):
            raise InvalidCredentials("wrong password")
        if old == new:
            raise WeakPassword(["different from the current password"])
        self.check_password(new, username=str(user.get("username", "")))
        self._database.update(
            self.USERS,
            {"password_hash": self._encryption.hash_password(new)},
            {"id": user["id"]},
        )
        return self._device_sessions.revoke_all(
            str(user["id"]),
            except_session=str(claims.get("sid")),
            reason="password-changed",
        )

    def request_password_reset(self, email: str) -> str | None:
        """Store a reset token for the account of *email*; return it (to mail)."""
        try:
            address = self.normalize_email(email)
        except RegistrationError:
            return None
        user = self._database.get(self.USERS, {"email": address})
        if user is None:
            return None
        token = self._encryption.generate_token(24)
        self._database.insert(
            self.RESETS,
            {
                "user_id": user["id"],
                "token_hash": self._encryption.fingerprint(token),
                "expires_at": self._clock() + self.RESET_TTL,
            },
        )
        return token

    def reset_password(self, token: str, new_password: str) -> int:
        """Set a new password with a reset token; sign out every device."""
        row = self._database.get(
            self.RESETS, {"token_hash": self._encryption.fingerprint(token)}
        )
        if row is None or float(row["expires_at"]) < self._clock():
            raise InvalidToken("unknown or expired reset token")
        user = self._user_by_id(str(row["user_id"]))
        self.check_password(new_password, username=str(user.get("username", "")))
        with self._database.transaction():
            self._database.update(
                self.USERS,
                {
                    "password_hash": self._encryption.hash_password(new_password),
                    "failed_attempts": 0,
                    "locked_until": 0,
                },
                {"id": user["id"]},
            )
            self._database.delete(self.RESETS, {"user_id": user["id"]})
        return self._device_sessions.revoke_all(
            str(user["id"]), reason="password-reset"
        )
