"""Tests for the encryption service: tokens, signatures, password hashes."""

from __future__ import annotations

import hashlib
import itertools
import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.errors import DecryptionError, EncryptionError
from mockpool._demo.services.logger import Logger
from mockpool._demo.tests.support import cases, data_driven

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def counting_bytes() -> Any:
    """A deterministic random source: 0, 1, 2, ... modulo 256."""
    counter = itertools.count()

    def random_bytes(n: int) -> bytes:
        return bytes(next(counter) % 256 for _ in range(n))

    return random_bytes


class EncryptionTestCase(unittest.TestCase):
    """A real service with a deterministic random source and a mock logger."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.service = EncryptionService(
            KEY, iterations=1000, random_bytes=counting_bytes(), logger=self.logger
        )


@data_driven
class KeyTests(EncryptionTestCase):
    """Key checks, ids and derivation."""

    @cases(empty=b"", short=b"x" * 15, short_text="fifteen-chars!!")
    def test_short_keys_are_refused(self, key: Any) -> None:
        """Keys need 16 bytes."""
        with self.assertRaises(EncryptionError):
            EncryptionService(key, logger=self.logger)

    def test_text_keys_are_encoded(self) -> None:
        """A str key is its UTF-8 bytes."""
        self.assertEqual(
            EncryptionService("k" * 32, logger=self.logger).key_id, self.service.key_id
        )

    def test_key_id(self) -> None:
        """The key id is the first 4 bytes of the key's SHA-256, in hex."""
        self.assertEqual(self.service.key_id, hashlib.sha256(KEY).hexdigest()[:8])

    def test_generate_key(self) -> None:
        """Generated keys have the asked size and differ."""
        first = EncryptionService.generate_key()
        self.assertEqual(len(first), 32)
        self.assertNotEqual(first, EncryptionService.generate_key())
        with self.assertRaises(EncryptionError):
            EncryptionService.generate_key(8)

    @cases(sign="sign", mac="mac", encrypt="encrypt", jwt="jwt")
    def test_derived_keys_differ_per_purpose(self, purpose: str) -> None:
        """Each purpose has its own 32-byte key, different from the secret."""
        derived = self.service.derive_key(purpose)
        self.assertEqual(len(derived), 32)
        self.assertNotEqual(derived, KEY)
        self.assertNotEqual(derived, self.service.derive_key(purpose + "x"))

    def test_derive_needs_a_purpose(self) -> None:
        """An empty purpose is a bug."""
        with self.assertRaises(EncryptionError):
            self.service.derive_key("")

    def test_iterations_must_be_positive(self) -> None:
        """Zero PBKDF2 rounds is refused."""
        with self.assertRaises(ValueError):
            EncryptionService(KEY, iterations=0, logger=self.logger)


@data_driven
class Base64Tests(EncryptionTestCase):
    """URL-safe base64 without padding."""

    @cases(
        empty=(b"", ""),
        one=(b"\x00", "AA"),
        two=(b"ab", "YWI"),
        three=(b"abc", "YWJj"),
        url_safe=(b"\xfb\xff", "-_8"),
    )
    def test_b64(self, case: tuple[bytes, str]) -> None:
        """Encoding drops padding and uses - and _; decoding restores."""
        raw, text = case
        self.assertEqual(EncryptionService.b64encode(raw), text)
        self.assertEqual(EncryptionService.b64decode(text), raw)

    @cases(bad_length="A", non_ascii="\u00e9\u00e9\u00e9\u00e9")
    def test_bad_base64(self, text: str) -> None:
        """Undecodable text is a DecryptionError."""
        with self.assertRaises(DecryptionError):
            EncryptionService.b64decode(text)

    @cases(
        same_bytes=(b"abc", b"abc", True),
        same_text=("abc", "abc", True),
        mixed=("abc", b"abc", True),
        different=(b"abc", b"abd", False),
        lengths=(b"abc", b"ab", False),
    )
    def test_constant_time_equals(self, case: tuple[Any, Any, bool]) -> None:
        """Comparison works across str and bytes."""
        left, right, expected = case
        self.assertIs(EncryptionService.constant_time_equals(left, right), expected)


@data_driven
class CipherTests(EncryptionTestCase):
    """encrypt and decrypt."""

    @cases(
        empty=b"",
        short=b"hi",
        block=b"x" * 32,
        long=b"lorem ipsum " * 40,
        binary=bytes(range(256)),
        text="gr\u00fc\u00dfe",
    )
    def test_round_trip(self, plaintext: Any) -> None:
        """Whatever goes in comes out, as bytes."""
        token = self.service.encrypt(plaintext)
        expected = plaintext.encode() if isinstance(plaintext, str) else plaintext
        self.assertEqual(self.service.decrypt(token), expected)

    def test_tokens_differ_per_nonce(self) -> None:
        """The same plaintext twice gives different tokens."""
        self.assertNotEqual(self.service.encrypt(b"x"), self.service.encrypt(b"x"))

    def test_ciphertext_hides_the_plaintext(self) -> None:
        """The plaintext does not appear in the token."""
        raw = EncryptionService.b64decode(self.service.encrypt(b"secret-value"))
        self.assertNotIn(b"secret-value", raw)

    @cases(first_byte=0, key_id=2, nonce=8, body=20, tag=-1)
    def test_tampering_is_detected(self, position: int) -> None:
        """Flipping any byte makes decryption fail."""
        raw = bytearray(EncryptionService.b64decode(self.service.encrypt(b"payload!")))
        raw[position] ^= 0x01
        with self.assertRaises(DecryptionError):
            self.service.decrypt(EncryptionService.b64encode(bytes(raw)))

    def test_truncated_token(self) -> None:
        """A short token is refused."""
        with self.assertRaises(DecryptionError):
            self.service.decrypt(self.service.encrypt(b"x")[:20])

    def test_associated_data_must_match(self) -> None:
        """Associated data is authenticated, not encrypted."""
        token = self.service.encrypt(b"x", associated_data=b"user:1")
        self.assertEqual(self.service.decrypt(token, associated_data=b"user:1"), b"x")
        with self.assertRaises(DecryptionError):
            self.service.decrypt(token, associated_data=b"user:2")

    def test_unknown_key(self) -> None:
        """Another key's token is refused."""
        other = EncryptionService(OTHER_KEY, iterations=1, logger=self.logger)
        with self.assertRaisesRegex(DecryptionError, "unknown key"):
            self.service.decrypt(other.encrypt(b"x"))

    def test_rotation_keeps_old_tokens_readable(self) -> None:
        """After rotate(), old tokens decrypt and the retired key is logged."""
        token = self.service.encrypt(b"old")
        rotated = self.service.rotate(OTHER_KEY)
        self.assertEqual(rotated.key_count, 2)
        self.assertEqual(rotated.decrypt(token), b"old")
        self.logger.info.assert_called_once_with(
            "decrypted with a retired key", key_id=self.service.key_id
        )

    def test_rotation_encrypts_with_the_new_key(self) -> None:
        """New tokens cannot be read by the old service."""
        rotated = self.service.rotate(OTHER_KEY)
        with self.assertRaises(DecryptionError):
            self.service.decrypt(rotated.encrypt(b"new"))

    def test_short_nonce_is_refused(self) -> None:
        """A broken random source is caught."""
        service = EncryptionService(KEY, random_bytes=lambda n: b"", logger=self.logger)
        with self.assertRaises(EncryptionError):
            service.encrypt(b"x")

    @cases(
        mapping={"a": [1, 2], "b": None},
        listing=[1, "two", 3.0],
        scalar=42,
    )
    def test_json_round_trip(self, value: Any) -> None:
        """encrypt_json and decrypt_json round-trip JSON values."""
        self.assertEqual(
            self.service.decrypt_json(self.service.encrypt_json(value)), value
        )


class SignatureTests(EncryptionTestCase):
    """sign and verify_signature."""

    def test_sign_and_verify(self) -> None:
        """A signature verifies for its data and purpose only."""
        signature = self.service.sign("data", purpose="jwt")
        self.assertEqual(len(signature), 32)
        self.assertTrue(
            self.service.verify_signature(b"data", signature, purpose="jwt")
        )
        self.assertFalse(
            self.service.verify_signature("data", signature, purpose="sign")
        )
        self.assertFalse(
            self.service.verify_signature("datA", signature, purpose="jwt")
        )

    def test_retired_keys_still_verify(self) -> None:
        """Signatures of retired keys verify after rotation."""
        signature = self.service.sign("x")
        self.assertTrue(self.service.rotate(OTHER_KEY).verify_signature("x", signature))

    def test_fingerprint(self) -> None:
        """fingerprint is the SHA-256 hex digest."""
        self.assertEqual(
            self.service.fingerprint("abc"), hashlib.sha256(b"abc").hexdigest()
        )


@data_driven
class PasswordTests(EncryptionTestCase):
    """PBKDF2 password hashes."""

    def test_hash_format(self) -> None:
        """Hashes are scheme$iterations$salt$digest."""
        scheme, rounds, salt, digest = self.service.hash_password("pw").split("$")
        self.assertEqual((scheme, rounds), ("pbkdf2_sha256", "1000"))
        self.assertEqual(EncryptionService.b64decode(salt), bytes(range(16)))
        self.assertEqual(len(EncryptionService.b64decode(digest)), 32)

    @cases(
        ascii="correct horse battery",
        unicode="p\u00e4ssw\u00f6rd",
        long="x" * 200,
        spaces="   ",
    )
    def test_verify_password(self, password: str) -> None:
        """The password verifies; a different one does not."""
        encoded = self.service.hash_password(password)
        self.assertTrue(self.service.verify_password(password, encoded))
        self.assertFalse(self.service.verify_password(password + "!", encoded))

    def test_empty_password(self) -> None:
        """Empty passwords are not hashed."""
        with self.assertRaises(EncryptionError):
            self.service.hash_password("")

    @cases(
        garbage="nonsense",
        wrong_scheme="bcrypt$10$a$b",
        bad_rounds="pbkdf2_sha256$many$AA$AA",
        short="pbkdf2_sha256$1$AA",
    )
    def test_malformed_hashes_never_verify(self, encoded: str) -> None:
        """A malformed hash is a mismatch, not a crash, and needs a rehash."""
        self.assertFalse(self.service.verify_password("pw", encoded))
        self.assertTrue(self.service.needs_rehash(encoded))

    @cases(fewer=(500, True), same=(1000, False), more=(2000, False))
    def test_needs_rehash(self, case: tuple[int, bool]) -> None:
        """Hashes with fewer rounds than current need a rehash."""
        rounds, expected = case
        encoded = self.service.hash_password("pw", iterations=rounds)
        self.assertIs(self.service.needs_rehash(encoded), expected)

    def test_explicit_salt(self) -> None:
        """The same salt gives the same hash."""
        salt = b"s" * 16
        self.assertEqual(
            self.service.hash_password("pw", salt=salt),
            self.service.hash_password("pw", salt=salt),
        )


@data_driven
class RandomTests(EncryptionTestCase):
    """Tokens and one-time codes."""

    @cases(n8=(8, 11), n16=(16, 22), n32=(32, 43))
    def test_generate_token_length(self, case: tuple[int, int]) -> None:
        """Tokens are base64url of n random bytes."""
        nbytes, length = case
        self.assertEqual(len(self.service.generate_token(nbytes)), length)

    def test_generate_token_minimum(self) -> None:
        """Tokens under 8 bytes are refused."""
        with self.assertRaises(EncryptionError):
            self.service.generate_token(4)

    @cases(four=4, six=6, ten=10)
    def test_generate_code(self, digits: int) -> None:
        """Codes are zero-padded digits."""
        code = self.service.generate_code(digits)
        self.assertEqual(len(code), digits)
        self.assertTrue(code.isdigit())

    @cases(three=3, eleven=11)
    def test_generate_code_bounds(self, digits: int) -> None:
        """Codes have 4 to 10 digits."""
        with self.assertRaises(EncryptionError):
            self.service.generate_code(digits)


if __name__ == "__main__":
    unittest.main()
