"""Symmetric encryption, signatures and password hashing from the stdlib.

The cipher is HMAC-SHA256 in counter mode with an encrypt-then-MAC tag: fine
for a demo, not a replacement for a vetted library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Union

from mockpool._demo.services.errors import DecryptionError, EncryptionError

if TYPE_CHECKING:
    from mockpool._demo.services.logger import Logger

Data = Union[bytes, str]


class EncryptionService:
    """Encrypts, signs and hashes with one secret key (and retired ones)."""

    VERSION = 1
    ALGORITHM = "HMAC-SHA256-CTR"
    HASH_NAME = "sha256"
    PASSWORD_SCHEME = "pbkdf2_sha256"
    DEFAULT_ITERATIONS = 120_000
    MIN_KEY_SIZE = 16
    SALT_SIZE = 16
    NONCE_SIZE = 12
    TAG_SIZE = 32
    KEY_ID_SIZE = 4

    def __init__(
        self,
        secret_key: Data,
        *,
        iterations: int = DEFAULT_ITERATIONS,
        previous_keys: Sequence[Data] = (),
        random_bytes: Callable[[int], bytes] = os.urandom,
        logger: Logger | None = None,
    ) -> None:
        self._key = self._check_key(secret_key)
        self._previous = [self._check_key(k) for k in previous_keys]
        if iterations < 1:
            raise ValueError(f"iterations must be positive, not {iterations!r}")
        self._iterations = iterations
        self._random_bytes = random_bytes
        self._logger = logger

    @classmethod
    def _check_key(cls, key: Data) -> bytes:
        raw = key.encode() if isinstance(key, str) else key
        if len(raw) < cls.MIN_KEY_SIZE:
            raise EncryptionError(
                f"keys need at least {cls.MIN_KEY_SIZE} bytes, got {len(raw)}"
            )
        return raw

    @classmethod
    def generate_key(cls, size: int = 32) -> bytes:
        if size < cls.MIN_KEY_SIZE:
            raise EncryptionError(f"key size {size} is too small")
        return secrets.token_bytes(size)

    # -- properties -----------------------------------------------------------

    @property
    def iterations(self) -> int:
        return self._iterations

    @property
    def key_id(self) -> str:
        return self.key_id_of(self._key).hex()

    @property
    def key_count(self) -> int:
        return 1 + len(self._previous)

    # -- encoding helpers -----------------------------------------------------

    @staticmethod
    def b64encode(data: bytes) -> str:
        """URL-safe base64 without padding."""
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    @staticmethod
    def b64decode(text: str) -> bytes:
        """Inverse of :meth:`b64encode`; raise :class:`DecryptionError` if bad."""
        try:
            padded = text + "=" * (-len(text) % 4)
            return base64.urlsafe_b64decode(padded.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise DecryptionError("not base64url") from exc

    @staticmethod
    def constant_time_equals(a: Data, b: Data) -> bool:
        left = a.encode() if isinstance(a, str) else a
        right = b.encode() if isinstance(b, str) else b
        return hmac.compare_digest(left, right)

    @classmethod
    def key_id_of(cls, key: bytes) -> bytes:
        return hashlib.sha256(key).digest()[: cls.KEY_ID_SIZE]

    def fingerprint(self, data: Data) -> str:
        raw = data.encode() if isinstance(data, str) else data
        return hashlib.sha256(raw).hexdigest()

    def derive_key(self, purpose: str, *, key: bytes | None = None) -> bytes:
        """Return a sub-key of the secret for one *purpose*."""
        if not purpose:
            raise EncryptionError("a derived key needs a purpose")
        return hmac.new(key or self._key, purpose.encode(), hashlib.sha256).digest()

    # -- encryption -----------------------------------------------------------

    def _keystream(self, key: bytes, nonce: bytes, length: int) -> bytes:
        enc_key = self.derive_key("encrypt", key=key)
        blocks = []
        for counter in range((length + 31) // 32):
            blocks.append(
                hmac.new(
                    enc_key, nonce + counter.to_bytes(4, "big"), hashlib.sha256
                ).digest()
            )
        return b"".join(blocks)[:length]

    def _tag(self, key: bytes, header: bytes, associated_data: bytes) -> bytes:
        mac_key = self.derive_key("mac", key=key)
        return hmac.new(mac_key, associated_data + header, hashlib.sha256).digest()

    def encrypt(self, plaintext: Data, *, associated_data: bytes = b"") -> str:
        """Return a URL-safe token holding *plaintext*, encrypted and tagged."""
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = self._random_bytes(self.NONCE_SIZE)
        if len(nonce) != self.NONCE_SIZE:
            raise EncryptionError("random source returned a short nonce")
        stream = self._keystream(self._key, nonce, len(data))
        cipher = bytes(a ^ b for a, b in zip(data, stream))
        header = bytes([self.VERSION]) + self.key_id_of(self._key) + nonce + cipher
        return self.b64encode(header + self._tag(self._key, header, associated_data))

    def decrypt(self, token: str, *, associated_data: bytes = b"") -> bytes:
        """Return the plaintext of *token*; refuse tampered or unknown tokens."""
        raw = self.b64decode(token)
        minimum = 1 + self.KEY_ID_SIZE + self.NONCE_SIZE + self.TAG_SIZE
        if len(raw) < minimum:
            raise DecryptionError("token too short")
        if raw[0] != self.VERSION:
            raise DecryptionError(f"unknown token version {raw[0]}")
        header, tag = raw[: -self.TAG_SIZE], raw[-self.TAG_SIZE :]
        key_id = header[1 : 1 + self.KEY_ID_SIZE]
        for key in [self._key, *self._previous]:
            if self.key_id_of(key) != key_id:
                continue
            if not hmac.compare_digest(tag, self._tag(key, header, associated_data)):
                raise DecryptionError("token failed authentication")
            nonce_end = 1 + self.KEY_ID_SIZE + self.NONCE_SIZE
            nonce, cipher = header[1 + self.KEY_ID_SIZE : nonce_end], header[nonce_end:]
            stream = self._keystream(key, nonce, len(cipher))
            if key is not self._key and self._logger is not None:
                self._logger.info("decrypted with a retired key", key_id=key_id.hex())
            return bytes(a ^ b for a, b in zip(cipher, stream))
        raise DecryptionError("token made with an unknown key")

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(json.dumps(value, sort_keys=True, separators=(",", ":")))

    def decrypt_json(self, token: str) -> Any:
        return json.loads(self.decrypt(token))

    def rotate(self, new_key: Data) -> EncryptionService:
        """Return a service encrypting with *new_key* that still decrypts old tokens."""
        return EncryptionService(
            new_key,
            iterations=self._iterations,
            previous_keys=[self._key, *self._previous],
            random_bytes=self._random_bytes,
            logger=self._logger,
        )

    # -- signatures -----------------------------------------------------------

    def sign(self, data: Data, *, purpose: str = "sign") -> bytes:
        raw = data.encode() if isinstance(data, str) else data
        return hmac.new(self.derive_key(purpose), raw, hashlib.sha256).digest()

    def verify_signature(
        self, data: Data, signature: bytes, *, purpose: str = "sign"
    ) -> bool:
        """Whether *signature* was made by this key or a retired one."""
        raw = data.encode() if isinstance(data, str) else data
        for key in [self._key, *self._previous]:
            expected = hmac.new(
                self.derive_key(purpose, key=key), raw, hashlib.sha256
            ).digest()
            if hmac.compare_digest(expected, signature):
                return True
        return False

    # -- passwords ------------------------------------------------------------

    def hash_password(
        self, password: str, *, salt: bytes | None = None, iterations: int | None = None
    ) -> str:
        """Return ``pbkdf2_sha256$<iterations>$<salt>$<hash>``."""
        if not password:
            raise EncryptionError("empty password")
        salt = self._random_bytes(self.SALT_SIZE) if salt is None else salt
        rounds = self._iterations if iterations is None else iterations
        digest = hashlib.pbkdf2_hmac(self.HASH_NAME, password.encode(), salt, rounds)
        return "$".join(
            [
                self.PASSWORD_SCHEME,
                str(rounds),
                self.b64encode(salt),
                self.b64encode(digest),
            ]
        )

    @classmethod
    def parse_password_hash(cls, encoded: str) -> tuple[int, bytes, bytes]:
        """Return iterations, salt and digest of an encoded hash."""
        parts = encoded.split("$")
        if len(parts) != 4 or parts[0] != cls.PASSWORD_SCHEME:
            raise EncryptionError("not a pbkdf2_sha256 hash")
        try:
            rounds = int(parts[1])
        except ValueError:
            raise EncryptionError("bad iteration count") from None
        return rounds, cls.b64decode(parts[2]), cls.b64decode(parts[3])

    def verify_password(self, password: str, encoded: str) -> bool:
        try:
            rounds, salt, digest = self.parse_password_hash(encoded)
        except EncryptionError:
            return False
        candidate = hashlib.pbkdf2_hmac(self.HASH_NAME, password.encode(), salt, rounds)
        return hmac.compare_digest(candidate, digest)

    def needs_rehash(self, encoded: str) -> bool:
        """Whether *encoded* used fewer iterations than are current."""
        try:
            rounds, _, _ = self.parse_password_hash(encoded)
        except EncryptionError:
            return True
        return rounds < self._iterations

    # -- random tokens --------------------------------------------------------

    def generate_token(self, nbytes: int = 32) -> str:
        if nbytes < 8:
            raise EncryptionError(f"tokens need at least 8 bytes, not {nbytes}")
        return self.b64encode(self._random_bytes(nbytes))

    def generate_code(self, digits: int = 6) -> str:
        """A numeric one-time code, e.g. for e-mail verification."""
        if not 4 <= digits <= 10:
            raise EncryptionError(f"codes have 4 to 10 digits, not {digits}")
        number = int.from_bytes(self._random_bytes(8), "big") % (10**digits)
        return str(number).zfill(digits)
