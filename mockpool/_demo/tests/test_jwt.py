"""Tests for the JWT service: signing, claim checks, pairs and refresh."""

from __future__ import annotations

import json
import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.errors import InvalidToken, TokenExpired
from mockpool._demo.services.jwt import JwtService, TokenPair
from mockpool._demo.services.logger import Logger
from mockpool._demo.tests.support import cases, data_driven

NOW = 1_700_000_000


def segment(value: Any) -> str:
    return EncryptionService.b64encode(
        json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    )


class JwtTestCase(unittest.TestCase):
    """A JWT service over an autospecced encryption service."""

    def setUp(self) -> None:
        self.now = float(NOW)
        self.encryption = mock.create_autospec(EncryptionService, instance=True)
        self.encryption.b64encode.side_effect = EncryptionService.b64encode
        self.encryption.b64decode.side_effect = EncryptionService.b64decode
        self.encryption.sign.return_value = b"signature"
        self.encryption.verify_signature.return_value = True
        self.encryption.generate_token.return_value = "jti-1"
        self.jwt = JwtService(self.encryption, clock=lambda: self.now)

    def claims(self, **overrides: Any) -> dict[str, Any]:
        claims = {
            "sub": "u1",
            "iat": NOW,
            "exp": NOW + 900,
            "iss": "mockpool-demo",
            "aud": "mockpool-demo",
            "jti": "j",
            "typ": "access",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(
        self, claims: dict[str, Any], header: dict[str, Any] | None = None
    ) -> str:
        header = header or {"alg": "HS256", "typ": "JWT"}
        return (
            f"{segment(header)}.{segment(claims)}.{EncryptionService.b64encode(b'sig')}"
        )


class SignTests(JwtTestCase):
    """What sign() produces."""

    def test_token_has_header_claims_and_signature(self) -> None:
        """A token is header.claims.signature, base64url JSON."""
        token = self.jwt.sign({"sub": "u1", "role": "x"})
        header, claims, signature = token.split(".")
        self.assertEqual(
            json.loads(EncryptionService.b64decode(header)),
            {"alg": "HS256", "typ": "JWT"},
        )
        self.assertEqual(
            json.loads(EncryptionService.b64decode(claims)),
            {
                "sub": "u1",
                "role": "x",
                "iat": NOW,
                "exp": NOW + 900,
                "iss": "mockpool-demo",
                "aud": "mockpool-demo",
                "jti": "jti-1",
                "typ": "access",
            },
        )
        self.assertEqual(EncryptionService.b64decode(signature), b"signature")

    def test_signature_covers_header_and_claims(self) -> None:
        """The encryption service signs the first two segments under 'jwt'."""
        token = self.jwt.sign({"sub": "u1"})
        signing_input = token.rsplit(".", 1)[0]
        self.encryption.sign.assert_called_once_with(signing_input, purpose="jwt")
        self.encryption.generate_token.assert_called_once_with(12)

    def test_refresh_tokens_live_longer(self) -> None:
        """A refresh token gets the refresh TTL and type."""
        claims = self.jwt.decode(self.jwt.sign({"sub": "u"}, token_type="refresh"))
        self.assertEqual(claims["exp"] - claims["iat"], JwtService.DEFAULT_REFRESH_TTL)
        self.assertEqual(claims["typ"], "refresh")

    def test_explicit_ttl_and_not_before(self) -> None:
        """ttl and not_before are honoured."""
        claims = self.jwt.decode(
            self.jwt.sign({"sub": "u"}, ttl=5, not_before=NOW + 1.9)
        )
        self.assertEqual((claims["exp"], claims["nbf"]), (NOW + 5, NOW + 1))

    def test_reserved_claims_are_refused(self) -> None:
        """The caller may not set registered claims."""
        for claim in ("exp", "iat", "jti", "typ"):
            with self.subTest(claim=claim), self.assertRaises(ValueError):
                self.jwt.sign({"sub": "u", claim: 1})
        self.encryption.sign.assert_not_called()

    def test_subject_is_required(self) -> None:
        """A token without a subject is refused."""
        with self.assertRaises(ValueError):
            self.jwt.sign({"role": "x"})

    def test_unknown_token_type(self) -> None:
        """Only access and refresh tokens exist."""
        with self.assertRaises(ValueError):
            self.jwt.sign({"sub": "u"}, token_type="id")

    def test_non_positive_ttl(self) -> None:
        """ttl=0 is refused."""
        with self.assertRaises(ValueError):
            self.jwt.sign({"sub": "u"}, ttl=0)

    def test_lifetimes_are_checked(self) -> None:
        """Refresh tokens must outlive access tokens; leeway is non-negative."""
        refused: list[dict[str, Any]] = [
            {"access_ttl": 0},
            {"access_ttl": 100, "refresh_ttl": 100},
            {"leeway": -1},
        ]
        for kwargs in refused:
            with self.subTest(**kwargs), self.assertRaises(ValueError):
                JwtService(self.encryption, **kwargs)

    def test_properties(self) -> None:
        """The configuration is readable."""
        jwt = JwtService(self.encryption, issuer="i", audience="a", access_ttl=60)
        self.assertEqual((jwt.issuer, jwt.audience, jwt.access_ttl), ("i", "a", 60))
        self.assertEqual(jwt.refresh_ttl, JwtService.DEFAULT_REFRESH_TTL)


@data_driven
class DecodeTests(JwtTestCase):
    """Structural checks of tokens."""

    @cases(
        empty="",
        one_segment="abc",
        two_segments="a.b",
        four_segments="a.b.c.d",
        empty_segment="a..c",
        not_base64="!!!.???.***",
    )
    def test_malformed_tokens(self, token: str) -> None:
        """Anything but three decodable segments is InvalidToken."""
        with self.assertRaises(InvalidToken):
            self.jwt.decode(token)

    def test_non_object_claims(self) -> None:
        """Claims must be a JSON object."""
        token = f"{segment({'alg': 'HS256'})}.{segment([1, 2])}.c2ln"
        with self.assertRaises(InvalidToken):
            self.jwt.decode(token)

    def test_non_string_token(self) -> None:
        """A bytes token is refused."""
        with self.assertRaises(InvalidToken):
            self.jwt.decode(b"a.b.c")  # type: ignore[arg-type]

    def test_decode_header(self) -> None:
        """decode_header returns the first segment."""
        self.assertEqual(
            self.jwt.decode_header(self.token(self.claims())),
            {"alg": "HS256", "typ": "JWT"},
        )

    def test_decode_does_not_verify(self) -> None:
        """decode() never calls verify_signature."""
        self.assertEqual(self.jwt.decode(self.token(self.claims()))["sub"], "u1")
        self.encryption.verify_signature.assert_not_called()


@data_driven
class VerifyTests(JwtTestCase):
    """Signature and claim checks."""

    def test_valid_token(self) -> None:
        """A valid token returns its claims."""
        token = self.token(self.claims())
        self.assertEqual(self.jwt.verify(token)["sub"], "u1")
        self.encryption.verify_signature.assert_called_once_with(
            token.rsplit(".", 1)[0], b"sig", purpose="jwt"
        )

    def test_bad_signature(self) -> None:
        """A signature the key did not make is InvalidToken."""
        self.encryption.verify_signature.return_value = False
        with self.assertRaisesRegex(InvalidToken, "bad signature"):
            self.jwt.verify(self.token(self.claims()))

    @cases(none_alg={"alg": "none"}, rs256={"alg": "RS256"}, missing={"typ": "JWT"})
    def test_other_algorithms_are_refused(self, header: dict[str, Any]) -> None:
        """Only HS256 is accepted; 'none' above all."""
        with self.assertRaises(InvalidToken):
            self.jwt.verify(self.token(self.claims(), header))
        self.encryption.verify_signature.assert_not_called()

    @cases(
        fresh=(0, None),
        within_leeway=(900 + 29, None),
        at_leeway=(900 + 30, None),
        expired=(900 + 31, TokenExpired),
        long_expired=(86_400, TokenExpired),
    )
    def test_expiry_with_leeway(self, case: tuple[int, type[Exception] | None]) -> None:
        """exp is checked with 30 seconds of leeway."""
        elapsed, error = case
        self.now = NOW + elapsed
        token = self.token(self.claims())
        if error is None:
            self.assertEqual(self.jwt.verify(token)["sub"], "u1")
        else:
            with self.assertRaises(error):
                self.jwt.verify(token)

    @cases(
        missing_sub={"sub": None},
        missing_exp={"exp": None},
        missing_iat={"iat": None},
        missing_jti={"jti": None},
        text_exp={"exp": "later"},
        future_iat={"iat": NOW + 3600},
        not_yet={"nbf": NOW + 3600},
        wrong_issuer={"iss": "evil"},
        no_issuer={"iss": None},
        wrong_audience={"aud": "other-app"},
        audience_list_without_us={"aud": ["a", "b"]},
        wrong_type={"typ": "refresh"},
        no_type={"typ": None},
    )
    def test_invalid_claims(self, overrides: dict[str, Any]) -> None:
        """Missing or wrong registered claims are InvalidToken."""
        with self.assertRaises(InvalidToken):
            self.jwt.verify(self.token(self.claims(**overrides)))

    @cases(
        audience_list={"aud": ["other", "mockpool-demo"]},
        nbf_past={"nbf": NOW - 10},
        nbf_within_leeway={"nbf": NOW + 20},
        extra_claims={"role": "admin", "sid": "s1"},
    )
    def test_valid_variants(self, overrides: dict[str, Any]) -> None:
        """Audience lists, past nbf and extra claims are fine."""
        self.assertEqual(
            self.jwt.verify(self.token(self.claims(**overrides)))["sub"], "u1"
        )

    def test_explicit_audience(self) -> None:
        """verify(audience=...) checks that audience instead."""
        token = self.token(self.claims(aud="api"))
        self.assertEqual(self.jwt.verify(token, audience="api")["aud"], "api")

    def test_refresh_type(self) -> None:
        """verify(token_type='refresh') wants a refresh token."""
        token = self.token(self.claims(typ="refresh"))
        self.assertEqual(self.jwt.verify(token, token_type="refresh")["typ"], "refresh")
        with self.assertRaises(InvalidToken):
            self.jwt.verify(token)

    def test_get_subject(self) -> None:
        """get_subject verifies and returns sub as text."""
        self.assertEqual(self.jwt.get_subject(self.token(self.claims(sub=42))), "42")

    @cases(
        fresh=(0, False, 900.0), later=(600, False, 300.0), past=(1000, True, -100.0)
    )
    def test_expiry_helpers(self, case: tuple[int, bool, float]) -> None:
        """is_expired and expires_in read exp without verifying."""
        elapsed, expired, remaining = case
        self.now = NOW + elapsed
        token = self.token(self.claims())
        self.assertIs(self.jwt.is_expired(token), expired)
        self.assertEqual(self.jwt.expires_in(token), remaining)


@data_driven
class ScopeTests(JwtTestCase):
    """Scopes in claims."""

    @cases(
        exact=("media:read profile", "profile", True),
        missing=("profile", "media:read", False),
        parent=("media", "media:write", True),
        admin=("admin", "anything:at:all", True),
        empty=("", "profile", False),
        listed=(["a", "b"], "b", True),
        no_claim=(None, "profile", False),
    )
    def test_has_scope(self, case: tuple[Any, str, bool]) -> None:
        """Scopes match exactly, by parent, or through admin."""
        scope_claim, wanted, expected = case
        claims = {} if scope_claim is None else {"scope": scope_claim}
        self.assertIs(JwtService.has_scope(claims, wanted), expected)
        self.encryption.verify_signature.assert_not_called()


class PairTests(JwtTestCase):
    """Token pairs and refresh."""

    def test_issue_pair(self) -> None:
        """A pair is an access and a refresh token with the same payload."""
        logger = mock.create_autospec(Logger, instance=True)
        jwt = JwtService(self.encryption, clock=lambda: self.now, logger=logger)
        pair = jwt.issue_pair("u1", scopes=["b", "a", "a"], extra={"sid": "s"})
        access, refresh = jwt.decode(pair.access), jwt.decode(pair.refresh)
        self.assertEqual((access["typ"], refresh["typ"]), ("access", "refresh"))
        self.assertEqual(access["scope"], "a b")
        self.assertEqual(refresh["sid"], "s")
        self.assertEqual(pair.expires_in, 900)
        logger.debug.assert_called_once_with("issued token pair", sub="u1")

    def test_pair_as_dict(self) -> None:
        """as_dict is the OAuth token response."""
        self.assertEqual(
            TokenPair("a", "r", 60).as_dict(),
            {
                "access_token": "a",
                "refresh_token": "r",
                "expires_in": 60,
                "token_type": "Bearer",
            },
        )

    def test_no_scopes_no_scope_claim(self) -> None:
        """Without scopes the claim is left out."""
        pair = self.jwt.issue_pair("u1")
        self.assertNotIn("scope", self.jwt.decode(pair.access))

    def test_refresh_issues_a_new_pair(self) -> None:
        """refresh keeps subject, scopes and custom claims."""
        token = self.token(self.claims(typ="refresh", scope="b a", sid="s1", dev="d1"))
        pair = self.jwt.refresh(token)
        access = self.jwt.decode(pair.access)
        self.assertEqual(
            (access["sub"], access["scope"], access["sid"], access["dev"]),
            ("u1", "a b", "s1", "d1"),
        )

    def test_refresh_with_an_access_token(self) -> None:
        """An access token cannot refresh."""
        with self.assertRaises(InvalidToken):
            self.jwt.refresh(self.token(self.claims()))
        self.encryption.sign.assert_not_called()

    def test_refresh_with_an_expired_token(self) -> None:
        """An expired refresh token is TokenExpired."""
        self.now = NOW + JwtService.DEFAULT_REFRESH_TTL
        with self.assertRaises(TokenExpired):
            self.jwt.refresh(self.token(self.claims(typ="refresh")))


class RealEncryptionTests(unittest.TestCase):
    """End to end with a real encryption service and a mocked logger."""

    def setUp(self) -> None:
        self.logger = mock.create_autospec(Logger, instance=True)
        self.encryption = EncryptionService(b"s" * 32, iterations=1, logger=self.logger)
        self.jwt = JwtService(self.encryption, logger=self.logger)

    def test_round_trip(self) -> None:
        """A token signed by the service verifies."""
        self.assertEqual(self.jwt.get_subject(self.jwt.sign({"sub": "u9"})), "u9")

    def test_tampered_claims(self) -> None:
        """Changing the claims breaks the signature."""
        header, _, signature = self.jwt.sign({"sub": "u9"}).split(".")
        forged = segment({"sub": "admin", "exp": 2**40})
        with self.assertRaisesRegex(InvalidToken, "bad signature"):
            self.jwt.verify(f"{header}.{forged}.{signature}")

    def test_other_key(self) -> None:
        """A token of another key is refused."""
        other = JwtService(
            EncryptionService(b"t" * 32, logger=self.logger), logger=self.logger
        )
        with self.assertRaises(InvalidToken):
            self.jwt.verify(other.sign({"sub": "u"}))

    def test_rotated_key_still_verifies(self) -> None:
        """After key rotation old tokens verify."""
        token = self.jwt.sign({"sub": "u"})
        rotated = JwtService(self.encryption.rotate(b"n" * 32), logger=self.logger)
        self.assertEqual(rotated.verify(token)["sub"], "u")


if __name__ == "__main__":
    unittest.main()
