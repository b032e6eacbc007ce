"""HS256 JSON Web Tokens, signed by an :class:`EncryptionService`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from mockpool._demo.services.errors import (
    DecryptionError,
    InvalidToken,
    TokenExpired,
)

if TYPE_CHECKING:
    from mockpool._demo.services.encryption import EncryptionService
    from mockpool._demo.services.logger import Logger


@dataclass(frozen=True)
class TokenPair:
    """An access token, a refresh token and the access token's lifetime."""

    access: str
    refresh: str
    expires_in: int
    token_type: str = "Bearer"

    def as_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access,
            "refresh_token": self.refresh,
            "expires_in": self.expires_in,
            "token_type": self.token_type,
        }


class JwtService:
    """Issues and checks HS256 tokens.

    The signature is the encryption service's :meth:`sign` under the
    ``"jwt"`` purpose; the ``jti`` comes from its :meth:`generate_token`.
    """

    ALGORITHM = "HS256"
    ACCESS = "access"
    REFRESH = "refresh"
    TOKEN_TYPES = frozenset({ACCESS, REFRESH})
    DEFAULT_ACCESS_TTL = 900
    DEFAULT_REFRESH_TTL = 30 * 86_400
    DEFAULT_LEEWAY = 30
    RESERVED_CLAIMS = frozenset({"iat", "exp", "nbf", "iss", "aud", "jti", "typ"})
    SIGNING_PURPOSE = "jwt"

    def __init__(
        self,
        encryption: EncryptionService,
        *,
        issuer: str = "mockpool-demo",
        audience: str = "mockpool-demo",
        access_ttl: int = DEFAULT_ACCESS_TTL,
        refresh_ttl: int = DEFAULT_REFRESH_TTL,
        leeway: int = DEFAULT_LEEWAY,
        clock: Callable[[], float] = time.time,
        logger: Logger | None = None,
    ) -> None:
        if access_ttl <= 0 or refresh_ttl <= 0:
            raise ValueError("token lifetimes must be positive")
        if refresh_ttl <= access_ttl:
            raise ValueError("refresh tokens must outlive access tokens")
        if leeway < 0:
            raise ValueError(f"leeway must not be negative, not {leeway!r}")
        self._encryption = encryption
        self._issuer = issuer
        self._audience = audience
        self._access_ttl = access_ttl
        self._refresh_ttl = refresh_ttl
        self._leeway = leeway
        self._clock = clock
        self._logger = logger

    # -- properties -----------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self._issuer

    @property
    def audience(self) -> str:
        return self._audience

    @property
    def access_ttl(self) -> int:
        return self._access_ttl

    @property
    def refresh_ttl(self) -> int:
        return self._refresh_ttl

    # -- encoding -------------------------------------------------------------

    @staticmethod
    def _json_segment(value: Mapping[str, Any]) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()

    def ttl_for(self, token_type: str) -> int:
        if token_type not in self.TOKEN_TYPES:
            raise ValueError(f"unknown token type {token_type!r}")
        return self._access_ttl if token_type == self.ACCESS else self._refresh_ttl

    def sign(
        self,
        payload: Mapping[str, Any],
        *,
        token_type: str = ACCESS,
        ttl: int | None = None,
        not_before: float | None = None,
    ) -> str:
        """Return a signed token of *payload* plus the registered claims."""
        reserved = self.RESERVED_CLAIMS.intersection(payload)
        if reserved:
            raise ValueError(f"payload sets reserved claims {sorted(reserved)}")
        if "sub" not in payload:
            raise ValueError("payload needs a 'sub' claim")
        now = int(self._clock())
        lifetime = self.ttl_for(token_type) if ttl is None else ttl
        if lifetime <= 0:
            raise ValueError(f"ttl must be positive, not {lifetime!r}")
        claims = dict(payload)
        claims.update(
            iat=now,
            exp=now + lifetime,
            iss=self._issuer,
            aud=self._audience,
            jti=self._encryption.generate_token(12),
            typ=token_type,
        )
        if not_before is not None:
            claims["nbf"] = int(not_before)
        header = {"alg": self.ALGORITHM, "typ": "JWT"}
        b64 = self._encryption.b64encode
        signing_input = (
            f"{b64(self._json_segment(header))}.{b64(self._json_segment(claims))}"
        )
        signature = self._encryption.sign(signing_input, purpose=self.SIGNING_PURPOSE)
        return f"{signing_input}.{b64(signature)}"

    def _split(self, token: str) -> tuple[str, str, str]:
        if not isinstance(token, str) or token.count(".") != 2:
            raise InvalidToken("a token has three dot-separated segments")
        header, payload, signature = token.split(".")
        if not (header and payload and signature):
            raise InvalidToken("empty token segment")
        return header, payload, signature

    def _load(self, segment: str) -> dict[str, Any]:
        try:
            value = json.loads(self._encryption.b64decode(segment))
        except (DecryptionError, ValueError) as exc:
            raise InvalidToken("undecodable token segment") from exc
        if not isinstance(value, dict):
            raise InvalidToken("token segment is not a JSON object")
        return value

    def decode_header(self, token: str) -> dict[str, Any]:
        header, _, _ = self._split(token)
        return self._load(header)

    def decode(self, token: str) -> dict[str, Any]:
        """Return the claims of *token* without checking anything."""
        _, payload, _ = self._split(token)
        return self._load(payload)

    # -- verification ---------------------------------------------------------

    def verify(
        self,
        token: str,
        *,
        token_type: str = ACCESS,
        audience: str | None = None,
    ) -> dict[str, Any]:
        """Return the claims of *token* after checking signature and claims."""
        header_segment, payload_segment, signature_segment = self._split(token)
        header = self._load(header_segment)
        if header.get("alg") != self.ALGORITHM:
            raise InvalidToken(f"unexpected algorithm {header.get('alg')!r}")
        try:
            signature = self._encryption.b64decode(signature_segment)
        except DecryptionError as exc:
            raise InvalidToken("undecodable signature") from exc
        signing_input = f"{header_segment}.{payload_segment}"
        if not self._encryption.verify_signature(
            signing_input, signature, purpose=self.SIGNING_PURPOSE
        ):
            raise InvalidToken("bad signature")
        claims = self._load(payload_segment)
        self.validate_claims(claims, token_type=token_type, audience=audience)
        return claims

    def validate_claims(
        self,
        claims: Mapping[str, Any],
        *,
        token_type: str = ACCESS,
        audience: str | None = None,
    ) -> None:
        """Check expiry, not-before, issuer, audience and type of *claims*."""
        now = self._clock()
        for name in ("sub", "exp", "iat", "jti"):
            if name not in claims:
                raise InvalidToken(f"missing claim {name!r}")
        if not isinstance(claims["exp"], (int, float)):
            raise InvalidToken("exp is not a number")
        if now > claims["exp"] + self._leeway:
            raise TokenExpired(f"token expired at {claims['exp']}")
        if "nbf" in claims and now + self._leeway < claims["nbf"]:
            raise InvalidToken("token not valid yet")
        if claims["iat"] > now + self._leeway:
            raise InvalidToken("token issued in the future")
        if claims.get("iss") != self._issuer:
            raise InvalidToken(f"unexpected issuer {claims.get('iss')!r}")
        expected_audience = self._audience if audience is None else audience
        audiences = claims.get("aud")
        if isinstance(audiences, str):
            audiences = [audiences]
        if expected_audience not in (audiences or []):
            raise InvalidToken(f"token is not for {expected_audience!r}")
        if claims.get("typ") != token_type:
            raise InvalidToken(
                f"expected a {token_type} token, got {claims.get('typ')!r}"
            )

    def is_expired(self, token: str) -> bool:
        expiry = float(self.decode(token).get("exp", 0))
        return self._clock() > expiry + self._leeway

    def expires_in(self, token: str) -> float:
        """Seconds until *token* expires (negative once it has)."""
        return float(self.decode(token).get("exp", 0)) - self._clock()

    def get_subject(self, token: str) -> str:
        return str(self.verify(token)["sub"])

    @staticmethod
    def scopes_of(claims: Mapping[str, Any]) -> frozenset[str]:
        raw = claims.get("scope", "")
        return frozenset(raw.split()) if isinstance(raw, str) else frozenset(raw)

    @classmethod
    def has_scope(cls, claims: Mapping[str, Any], scope: str) -> bool:
        """Whether *claims* grant *scope*; ``admin`` grants every scope."""
        scopes = cls.scopes_of(claims)
        if scope in scopes or "admin" in scopes:
            return True
        # "media:read" is granted by "media".
        return scope.split(":", 1)[0] in scopes

    # -- pairs ----------------------------------------------------------------

    def issue_pair(
        self,
        subject: str,
        *,
        scopes: Iterable[str] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> TokenPair:
        payload: dict[str, Any] = dict(extra or {})
        payload["sub"] = subject
        scope = " ".join(sorted(set(scopes)))
        if scope:
            payload["scope"] = scope
        access = self.sign(payload, token_type=self.ACCESS)
        refresh = self.sign(payload, token_type=self.REFRESH)
        if self._logger is not None:
            self._logger.debug("issued token pair", sub=subject)
        return TokenPair(access, refresh, self._access_ttl)

    def refresh(self, refresh_token: str) -> TokenPair:
        """Return a new pair for the subject of a valid refresh token."""
        claims = self.verify(refresh_token, token_type=self.REFRESH)
        extra = {
            k: v
            for k, v in claims.items()
            if k not in self.RESERVED_CLAIMS and k not in ("sub", "scope")
        }
        return self.issue_pair(
            str(claims["sub"]), scopes=self.scopes_of(claims), extra=extra
        )
