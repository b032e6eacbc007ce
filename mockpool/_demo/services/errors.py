"""The exceptions the demo services raise.

::

    ServiceError
    ├── ClientClosedError
    ├── TransportError
    │   ├── ConnectionFailed
    │   └── RequestTimeout
    ├── HttpStatusError
    ├── RedisError
    │   └── RedisConnectionError
    ├── CacheError
    ├── DatabaseError
    │   ├── IntegrityError
    │   └── TransactionError
    ├── EncryptionError
    │   └── DecryptionError
    ├── TokenError
    │   ├── InvalidToken
    │   ├── TokenExpired
    │   └── TokenRevoked
    ├── SessionError
    │   ├── SessionLimitExceeded
    │   └── SessionNotFound
    ├── AuthError
    │   ├── AccountLocked
    │   ├── InvalidCredentials
    │   ├── PermissionDenied
    │   └── RegistrationError
    │       └── WeakPassword
    ├── PlexError
    │   └── MediaNotFound
    └── YouTubeError
        ├── QuotaExceeded
        └── VideoUnavailable
"""

from __future__ import annotations

#: What every leaf operation raises when a test forgot to mock it.
NOT_AVAILABLE = "not available in the demo"


class ServiceError(Exception):
    """Base class of every error the services raise."""


class ClientClosedError(ServiceError):
    """A client was used after ``close()``."""


class TransportError(ServiceError):
    """A request never got a response."""


class ConnectionFailed(TransportError):
    """The server could not be reached."""


class RequestTimeout(TransportError):
    """The server did not answer in time."""


class HttpStatusError(ServiceError):
    """The server answered with an error status."""

    def __init__(self, status: int, url: str, body: bytes = b"") -> None:
        super().__init__(f"HTTP {status} for {url}")
        self.status = status
        self.url = url
        self.body = body


class RedisError(ServiceError):
    """A redis command failed."""


class RedisConnectionError(RedisError):
    """The redis server could not be reached."""


class CacheError(ServiceError):
    """A cache operation was refused."""


class DatabaseError(ServiceError):
    """A statement failed."""


class IntegrityError(DatabaseError):
    """A constraint was violated."""


class TransactionError(DatabaseError):
    """A transaction was misused."""


class EncryptionError(ServiceError):
    """Data could not be encrypted or a key was unusable."""


class DecryptionError(EncryptionError):
    """A token was tampered with, truncated or made with an unknown key."""


class TokenError(ServiceError):
    """A token was refused."""


class InvalidToken(TokenError):
    """A token is malformed, badly signed or of the wrong kind."""


class TokenExpired(TokenError):
    """A token's ``exp`` has passed."""


class TokenRevoked(TokenError):
    """A token belongs to a revoked session."""


class SessionError(ServiceError):
    """A device session operation failed."""


class SessionNotFound(SessionError):
    """No such device session."""


class SessionLimitExceeded(SessionError):
    """A user has too many device sessions to start another."""


class AuthError(ServiceError):
    """Authentication or account management failed."""


class InvalidCredentials(AuthError):
    """Unknown user or wrong password."""


class AccountLocked(AuthError):
    """Too many failed logins."""

    def __init__(self, user_id: int, until: float) -> None:
        super().__init__(f"account {user_id} is locked until {until:.0f}")
        self.user_id = user_id
        self.until = until


class PermissionDenied(AuthError):
    """The caller lacks a scope or does not own the resource."""


class RegistrationError(AuthError):
    """An account could not be created."""


class WeakPassword(RegistrationError):
    """A password breaks the password policy."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("weak password: " + "; ".join(problems))
        self.problems = problems


class PlexError(ServiceError):
    """The Plex server refused a request."""


class MediaNotFound(PlexError):
    """No item with that rating key."""


class YouTubeError(ServiceError):
    """The YouTube Data API refused a request."""


class QuotaExceeded(YouTubeError):
    """The daily quota is spent."""


class VideoUnavailable(YouTubeError):
    """The video is private, removed or unknown."""
