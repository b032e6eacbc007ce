"""Tests for the auth controller: registration, login, lockout, passwords."""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from mockpool._demo.services.auth import AuthController, LoginResult
from mockpool._demo.services.database import Database
from mockpool._demo.services.device_sessions import DeviceSession, DeviceSessionService
from mockpool._demo.services.encryption import EncryptionService
from mockpool._demo.services.errors import (
    AccountLocked,
    AuthError,
    InvalidCredentials,
    InvalidToken,
    PermissionDenied,
    RegistrationError,
    TokenExpired,
    TokenRevoked,
    WeakPassword,
)
from mockpool._demo.services.jwt import JwtService, TokenPair
from mockpool._demo.services.logger import Logger
from mockpool._demo.tests.support import cases, data_driven

NOW = 1_700_000_000.0
PAIR = TokenPair("access", "refresh", 900)
GOOD_PASSWORD = "Tr0ub4dor&3-horse"


def user_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "id": 7,
        "username": "ann",
        "email": "ann@example.com",
        "display_name": "Ann",
        "password_hash": "pbkdf2_sha256$120000$salt$hash",
        "failed_attempts": 0,
        "locked_until": 0,
        "scopes": "media:read profile",
    }
    row.update(overrides)
    return row


def device_session(session_id: str = "s1", user_id: str = "7") -> DeviceSession:
    return DeviceSession(session_id, user_id, "d1", "Phone", NOW, NOW, "j1")


class AuthTestCase(unittest.TestCase):
    """The controller with every collaborator autospecced."""

    def setUp(self) -> None:
        self.jwt = mock.create_autospec(JwtService, instance=True)
        self.encryption = mock.create_autospec(EncryptionService, instance=True)
        self.sessions = mock.create_autospec(DeviceSessionService, instance=True)
        self.database = mock.create_autospec(Database, instance=True)
        self.logger = mock.create_autospec(Logger, instance=True)
        self.controller = AuthController(
            self.jwt,
            self.encryption,
            self.sessions,
            self.database,
            logger=self.logger,
            clock=lambda: NOW,
        )


class ValidationTestCase(unittest.TestCase):
    """Validation needs no collaborator but the database it never calls."""

    def setUp(self) -> None:
        self.database = mock.create_autospec(Database, instance=True, spec_set=True)
        self.controller = AuthController(
            mock.sentinel.jwt,
            mock.sentinel.encryption,
            mock.sentinel.sessions,
            self.database,
        )

    def tearDown(self) -> None:
        self.assertEqual(self.database.mock_calls, [])


@data_driven
class UsernameTests(ValidationTestCase):
    """normalize_username."""

    @cases(
        plain=("ann", "ann"),
        upper=("ANN", "ann"),
        padded=("  bob  ", "bob"),
        digits=("user42", "user42"),
        dots=("j.doe", "j.doe"),
        dash=("a-b_c", "a-b_c"),
        longest=("a" * 32, "a" * 32),
    )
    def test_valid(self, case: tuple[str, str]) -> None:
        """Valid names are stripped and lower-cased."""
        raw, expected = case
        self.assertEqual(self.controller.normalize_username(raw), expected)

    @cases(
        short="ab",
        too_long="a" * 33,
        space="a b",
        at="ann@home",
        leading_dot=".ann",
        unicode="j\u00f6rg",
        empty="",
        reserved="admin",
        reserved_upper="Root",
    )
    def test_invalid(self, raw: str) -> None:
        """Invalid and reserved names are refused."""
        with self.assertRaises(RegistrationError):
            self.controller.normalize_username(raw)


@data_driven
class EmailTests(ValidationTestCase):
    """normalize_email."""

    @cases(
        plain=("a@b.io", "a@b.io"),
        domain_case=("Ann@Example.COM", "Ann@example.com"),
        padded=("  x@y.org ", "x@y.org"),
        plus=("a+tag@mail.example.com", "a+tag@mail.example.com"),
    )
    def test_valid(self, case: tuple[str, str]) -> None:
        """The domain is lower-cased; the local part is kept."""
        raw, expected = case
        self.assertEqual(self.controller.normalize_email(raw), expected)

    @cases(
        no_at="ann.example.com",
        two_ats="a@b@c.com",
        no_tld="a@b",
        space="a b@c.com",
        empty="",
    )
    def test_invalid(self, raw: str) -> None:
        """Malformed addresses are refused."""
        with self.assertRaises(RegistrationError):
            self.controller.normalize_email(raw)


@data_driven
class PasswordPolicyTests(ValidationTestCase):
    """password_problems."""

    @cases(
        good=(GOOD_PASSWORD, "", []),
        three_classes=("abcdefGH12", "", []),
        symbols=("abcdefgh!?1", "", []),
        short=("Ab1!", "", ["at least 10 characters"]),
        one_class=(
            "abcdefghijkl",
            "",
            ["three of: lower case, upper case, digits, symbols"],
        ),
        two_classes=(
            "abcdefgh1234",
            "",
            ["three of: lower case, upper case, digits, symbols"],
        ),
        too_long=("Aa1!" * 40, "", ["at most 128 characters"]),
        username=("Ann-Secret-99", "ann", ["not containing the username"]),
        username_case=("xxANNxx-1!", "Ann", ["not containing the username"]),
    )
    def test_problems(self, case: tuple[str, str, list[str]]) -> None:
        """Each broken rule is reported."""
        password, username, expected = case
        self.assertEqual(
            self.controller.password_problems(password, username=username), expected
        )

    @cases(*sorted(AuthController.COMMON_PASSWORDS))
    def test_common_passwords(self, password: str) -> None:
        """Common passwords are refused whatever else they satisfy."""
        self.assertIn(
            "not a common password", self.controller.password_problems(password)
        )

    def test_check_password_raises_with_every_problem(self) -> None:
        """WeakPassword lists all problems."""
        with self.assertRaises(WeakPassword) as caught:
            self.controller.check_password("abc")
        self.assertEqual(len(caught.exception.problems), 2)


@data_driven
class HeaderTests(ValidationTestCase):
    """parse_authorization and public_user."""

    @cases(
        plain=("Bearer abc", "abc"),
        lower=("bearer abc", "abc"),
        padded=("  Bearer   abc  ", "abc"),
    )
    def test_bearer(self, case: tuple[str, str]) -> None:
        """The token follows 'Bearer'."""
        header, token = case
        self.assertEqual(self.controller.parse_authorization(header), token)

    @cases(
        basic="Basic YWJj",
        bare="abc",
        empty="",
        no_token="Bearer ",
        no_space="Bearerabc",
    )
    def test_not_bearer(self, header: str) -> None:
        """Anything else is InvalidToken."""
        with self.assertRaises(InvalidToken):
            self.controller.parse_authorization(header)

    def test_public_user_hides_secrets(self) -> None:
        """Hashes and lockout state are not public."""
        public = self.controller.public_user(user_row())
        self.assertNotIn("password_hash", public)
        self.assertNotIn("failed_attempts", public)
        self.assertNotIn("locked_until", public)
        self.assertEqual(public["username"], "ann")


class RegisterTests(AuthTestCase):
    """register."""

    def setUp(self) -> None:
        super().setUp()
        self.database.fetch_one.return_value = None
        self.database.exists.return_value = False
        self.database.insert.return_value = 12
        self.encryption.hash_password.return_value = "HASH"

    def test_register(self) -> None:
        """A new account is hashed, inserted and returned without secrets."""
        user = self.controller.register(" Bob ", GOOD_PASSWORD, email="Bob@Example.com")
        self.encryption.hash_password.assert_called_once_with(GOOD_PASSWORD)
        table, row = self.database.insert.call_args.args
        self.assertEqual(table, "users")
        self.assertEqual(
            (row["username"], row["email"], row["password_hash"], row["created_at"]),
            ("bob", "Bob@example.com", "HASH", NOW),
        )
        self.assertEqual(user["id"], 12)
        self.assertNotIn("password_hash", user)
        self.logger.info.assert_called_once_with("registered user", user_id=12)

    def test_display_name_defaults_to_username(self) -> None:
        """Without a display name the username is used."""
        self.assertEqual(
            self.controller.register("bob", GOOD_PASSWORD, email="b@x.io")[
                "display_name"
            ],
            "bob",
        )

    def test_taken_username(self) -> None:
        """An existing username is refused before hashing."""
        self.database.fetch_one.return_value = user_row()
        with self.assertRaisesRegex(RegistrationError, "taken"):
            self.controller.register("ann", GOOD_PASSWORD, email="a@b.io")
        self.encryption.hash_password.assert_not_called()

    def test_taken_email(self) -> None:
        """An existing e-mail is refused."""
        self.database.exists.return_value = True
        with self.assertRaisesRegex(RegistrationError, "e-mail"):
            self.controller.register("new", GOOD_PASSWORD, email="a@b.io")
        self.database.exists.assert_called_once_with("users", {"email": "a@b.io"})

    def test_weak_password(self) -> None:
        """A weak password is refused before any query."""
        with self.assertRaises(WeakPassword):
            self.controller.register("bob", "password", email="b@x.io")
        self.database.fetch_one.assert_not_called()


class LoginTests(AuthTestCase):
    """login, lockout and rehashing."""

    def setUp(self) -> None:
        super().setUp()
        self.database.fetch_one.return_value = user_row()
        self.encryption.verify_password.return_value = True
        self.encryption.needs_rehash.return_value = False
        self.sessions.start.return_value = (device_session(), PAIR)

    def login(self, **kwargs: Any) -> LoginResult:
        options: dict[str, Any] = {
            "device_id": "d1",
            "device_name": "Phone",
            "ip": "1.1.1.1",
        }
        options.update(kwargs)
        return self.controller.login("Ann", "pw", **options)

    def test_success(self) -> None:
        """Good credentials start a session with the user's scopes."""
        result = self.login()
        self.assertEqual(result, LoginResult("7", "s1", PAIR, False))
        self.database.fetch_one.assert_called_once_with(
            "SELECT * FROM users WHERE username = ?", ("ann",)
        )
        self.encryption.verify_password.assert_called_once_with(
            "pw", user_row()["password_hash"]
        )
        self.sessions.start.assert_called_once_with(
            "7",
            "d1",
            device_name="Phone",
            ip="1.1.1.1",
            scopes=["media:read", "profile"],
        )
        self.database.update.assert_called_once_with(
            "users",
            {"failed_attempts": 0, "locked_until": 0, "last_login": NOW},
            {"id": 7},
        )

    def test_unknown_user_still_checks_a_password(self) -> None:
        """Unknown users cost a dummy password check."""
        self.database.fetch_one.return_value = None
        with self.assertRaises(InvalidCredentials):
            self.login()
        self.encryption.verify_password.assert_called_once_with(
            "pw", AuthController.DUMMY_HASH
        )
        self.sessions.start.assert_not_called()

    def test_invalid_username_is_an_unknown_user(self) -> None:
        """A malformed username does not reach the database."""
        with self.assertRaises(InvalidCredentials):
            self.controller.login("x y", "pw", device_id="d1")
        self.database.fetch_one.assert_not_called()
        self.encryption.verify_password.assert_called_once()

    def test_wrong_password_counts_a_failure(self) -> None:
        """A wrong password increments failed_attempts."""
        self.encryption.verify_password.return_value = False
        self.database.fetch_one.return_value = user_row(failed_attempts=2)
        with self.assertRaises(InvalidCredentials):
            self.login()
        self.database.update.assert_called_once_with(
            "users", {"failed_attempts": 3}, {"id": 7}
        )
        self.logger.warning.assert_not_called()

    def test_fifth_failure_locks_the_account(self) -> None:
        """The last allowed failure sets locked_until and warns."""
        self.encryption.verify_password.return_value = False
        self.database.fetch_one.return_value = user_row(failed_attempts=4)
        with self.assertRaises(InvalidCredentials):
            self.login()
        self.database.update.assert_called_once_with(
            "users",
            {
                "failed_attempts": 5,
                "locked_until": NOW + AuthController.LOCKOUT_SECONDS,
            },
            {"id": 7},
        )
        self.logger.warning.assert_called_once_with("account locked", user_id=7)

    def test_locked_account(self) -> None:
        """A locked account is refused before the password is checked."""
        self.database.fetch_one.return_value = user_row(locked_until=NOW + 60)
        with self.assertRaises(AccountLocked) as caught:
            self.login()
        self.assertEqual(caught.exception.until, NOW + 60)
        self.encryption.verify_password.assert_not_called()

    def test_expired_lock(self) -> None:
        """A lock in the past no longer applies."""
        self.database.fetch_one.return_value = user_row(
            locked_until=NOW - 1, failed_attempts=5
        )
        self.assertEqual(self.login().user_id, "7")

    def test_rehash_on_login(self) -> None:
        """An outdated hash is replaced with the password just checked."""
        self.encryption.needs_rehash.return_value = True
        self.encryption.hash_password.return_value = "NEW"
        self.assertTrue(self.login().password_rehashed)
        self.encryption.hash_password.assert_called_once_with("pw")
        self.assertEqual(self.database.update.call_args.args[1]["password_hash"], "NEW")

    def test_custom_failure_limit(self) -> None:
        """max_failed_attempts=1 locks at once."""
        controller = AuthController(
            self.jwt,
            self.encryption,
            self.sessions,
            self.database,
            clock=lambda: NOW,
            max_failed_attempts=1,
        )
        self.encryption.verify_password.return_value = False
        with self.assertRaises(InvalidCredentials):
            controller.login("ann", "pw", device_id="d1")
        self.assertIn("locked_until", self.database.update.call_args.args[1])

    def test_session_errors_propagate(self) -> None:
        """A failure to start the session fails the login."""
        self.sessions.start.side_effect = TokenRevoked("x")
        with self.assertRaises(TokenRevoked):
            self.login()

    def test_login_is_logged(self) -> None:
        """A successful login is an info record."""
        self.login()
        self.logger.info.assert_called_once_with("login", user_id="7", session_id="s1")


@data_driven
class LoginScopeTests(AuthTestCase):
    """Scopes stored on the user row reach the session."""

    @cases(
        two=("media:read profile", ["media:read", "profile"]),
        one=("admin", ["admin"]),
        none=("", []),
        null=(None, []),
        spaces=("  a   b ", ["a", "b"]),
    )
    def test_scopes(self, case: tuple[str | None, list[str]]) -> None:
        """The scopes column is split on whitespace."""
        stored, expected = case
        self.database.fetch_one.return_value = user_row(scopes=stored)
        self.encryption.verify_password.return_value = True
        self.encryption.needs_rehash.return_value = False
        self.sessions.start.return_value = (device_session(), PAIR)
        self.controller.login("ann", "pw", device_id="d1")
        self.assertEqual(self.sessions.start.call_args.kwargs["scopes"], expected)


class TokenEndpointTests(AuthTestCase):
    """authenticate, refresh, logout and device management."""

    def setUp(self) -> None:
        super().setUp()
        self.claims = {"sub": "7", "sid": "s1", "scope": "profile"}
        self.jwt.verify.return_value = self.claims

    def test_authenticate(self) -> None:
        """authenticate validates the bearer token's session."""
        self.sessions.validate_access.return_value = (device_session(), self.claims)
        self.assertEqual(self.controller.authenticate("Bearer tok"), self.claims)
        self.sessions.validate_access.assert_called_once_with("tok")

    def test_authenticate_propagates_revocation(self) -> None:
        """A revoked session is refused."""
        self.sessions.validate_access.side_effect = TokenRevoked("s1")
        with self.assertRaises(TokenRevoked):
            self.controller.authenticate("Bearer tok")

    def test_require_scope(self) -> None:
        """require_scope asks the JWT service."""
        self.jwt.has_scope.return_value = False
        with self.assertRaises(PermissionDenied):
            self.controller.require_scope(self.claims, "media:write")
        self.jwt.has_scope.assert_called_once_with(self.claims, "media:write")
        self.jwt.has_scope.return_value = True
        self.controller.require_scope(self.claims, "profile")

    def test_refresh_delegates(self) -> None:
        """refresh is the session service's rotation."""
        self.sessions.refresh.return_value = PAIR
        self.assertIs(self.controller.refresh("r"), PAIR)
        self.sessions.refresh.assert_called_once_with("r")

    def test_logout(self) -> None:
        """logout revokes the token's session."""
        self.sessions.revoke.return_value = True
        self.assertTrue(self.controller.logout("a"))
        self.sessions.revoke.assert_called_once_with("s1", reason="logout")

    def test_logout_without_session(self) -> None:
        """A token without sid cannot log out."""
        self.jwt.verify.return_value = {"sub": "7"}
        with self.assertRaises(InvalidToken):
            self.controller.logout("a")
        self.sessions.revoke.assert_not_called()

    def test_logout_with_expired_token(self) -> None:
        """Expired access tokens cannot log out."""
        self.jwt.verify.side_effect = TokenExpired("x")
        with self.assertRaises(TokenExpired):
            self.controller.logout("a")

    def test_logout_everywhere(self) -> None:
        """Every session goes; optionally the current one stays."""
        self.sessions.revoke_all.return_value = 3
        self.assertEqual(self.controller.logout_everywhere("a"), 3)
        self.sessions.revoke_all.assert_called_once_with(
            "7", except_session=None, reason="logout-all"
        )
        self.controller.logout_everywhere("a", keep_current=True)
        self.assertEqual(
            self.sessions.revoke_all.call_args.kwargs["except_session"], "s1"
        )

    def test_list_devices_marks_the_current_one(self) -> None:
        """The caller's session is flagged current."""
        self.sessions.list_sessions.return_value = [
            device_session("s1"),
            device_session("s2"),
        ]
        devices = self.controller.list_devices("a")
        self.assertEqual([d["current"] for d in devices], [True, False])
        self.sessions.list_sessions.assert_called_once_with("7")

    def test_revoke_own_device(self) -> None:
        """Users revoke their own sessions."""
        self.sessions.get.return_value = device_session("s2")
        self.sessions.revoke.return_value = True
        self.assertTrue(self.controller.revoke_device("a", "s2"))
        self.sessions.revoke.assert_called_once_with("s2", reason="revoked-by-user")

    def test_revoke_someone_elses_device(self) -> None:
        """Another user's session is off limits."""
        self.sessions.get.return_value = device_session("s9", user_id="8")
        with self.assertRaises(PermissionDenied):
            self.controller.revoke_device("a", "s9")
        self.sessions.revoke.assert_not_called()

    def test_revoke_unknown_device(self) -> None:
        """An unknown session is False."""
        self.sessions.get.return_value = None
        self.assertFalse(self.controller.revoke_device("a", "s0"))

    def test_me(self) -> None:
        """me returns the public fields of the token's user."""
        self.database.fetch_one.return_value = user_row()
        me = self.controller.me("a")
        self.assertEqual(me["username"], "ann")
        self.assertNotIn("password_hash", me)
        self.database.fetch_one.assert_called_once_with(
            "SELECT * FROM users WHERE id = ?", ("7",)
        )

    def test_me_of_deleted_user(self) -> None:
        """A token of a deleted user is an AuthError."""
        self.database.fetch_one.return_value = None
        with self.assertRaises(AuthError):
            self.controller.me("a")

    def test_unlock(self) -> None:
        """unlock clears the lockout columns."""
        self.database.update.return_value = 1
        self.assertTrue(self.controller.unlock("7"))
        self.database.update.assert_called_once_with(
            "users", {"failed_attempts": 0, "locked_until": 0}, {"id": "7"}
        )


class PasswordChangeTests(AuthTestCase):
    """change_password, reset requests and resets."""

    def setUp(self) -> None:
        super().setUp()
        self.jwt.verify.return_value = {"sub": "7", "sid": "s1"}
        self.database.fetch_one.return_value = user_row()
        self.encryption.verify_password.return_value = True
        self.encryption.hash_password.return_value = "NEW"
        self.encryption.fingerprint.side_effect = lambda token: f"fp({token})"
        self.sessions.revoke_all.return_value = 2

    def test_change_password(self) -> None:
        """The new hash is stored and other devices are signed out."""
        self.assertEqual(self.controller.change_password("a", "old", GOOD_PASSWORD), 2)
        self.database.update.assert_called_once_with(
            "users", {"password_hash": "NEW"}, {"id": 7}
        )
        self.sessions.revoke_all.assert_called_once_with(
            "7", except_session="s1", reason="password-changed"
        )

    def test_change_password_wrong_old(self) -> None:
        """The current password must be right."""
        self.encryption.verify_password.return_value = False
        with self.assertRaises(InvalidCredentials):
            self.controller.change_password("a", "bad", GOOD_PASSWORD)
        self.database.update.assert_not_called()

    def test_change_to_the_same_password(self) -> None:
        """The new password must differ."""
        with self.assertRaises(WeakPassword):
            self.controller.change_password("a", GOOD_PASSWORD, GOOD_PASSWORD)

    def test_change_to_a_weak_password(self) -> None:
        """The policy applies, including the username rule."""
        with self.assertRaises(WeakPassword) as caught:
            self.controller.change_password("a", "old", "Ann-is-great-1")
        self.assertIn("not containing the username", caught.exception.problems)

    def test_request_reset(self) -> None:
        """A reset token is stored by fingerprint with an expiry and returned."""
        self.database.get.return_value = user_row()
        self.encryption.generate_token.return_value = "TOKEN"
        self.assertEqual(
            self.controller.request_password_reset("ann@Example.com"), "TOKEN"
        )
        self.database.get.assert_called_once_with("users", {"email": "ann@example.com"})
        self.database.insert.assert_called_once_with(
            "password_resets",
            {"user_id": 7, "token_hash": "fp(TOKEN)", "expires_at": NOW + 3600},
        )

    def test_request_reset_unknown_email(self) -> None:
        """Unknown or malformed addresses get None, silently."""
        self.database.get.return_value = None
        self.assertIsNone(self.controller.request_password_reset("who@x.io"))
        self.assertIsNone(self.controller.request_password_reset("not an address"))
        self.encryption.generate_token.assert_not_called()

    def test_reset_password(self) -> None:
        """A valid token sets the password in a transaction and signs out all."""
        self.database.get.return_value = {"user_id": 7, "expires_at": NOW + 10}
        self.assertEqual(self.controller.reset_password("TOKEN", GOOD_PASSWORD), 2)
        self.database.get.assert_called_once_with(
            "password_resets", {"token_hash": "fp(TOKEN)"}
        )
        self.database.transaction.assert_called_once_with()
        self.database.delete.assert_called_once_with("password_resets", {"user_id": 7})
        self.sessions.revoke_all.assert_called_once_with("7", reason="password-reset")

    def test_reset_with_expired_token(self) -> None:
        """Expired reset tokens are refused."""
        self.database.get.return_value = {"user_id": 7, "expires_at": NOW - 1}
        with self.assertRaises(InvalidToken):
            self.controller.reset_password("TOKEN", GOOD_PASSWORD)
        self.database.update.assert_not_called()

    def test_reset_with_unknown_token(self) -> None:
        """Unknown reset tokens are refused."""
        self.database.get.return_value = None
        with self.assertRaises(InvalidToken):
            self.controller.reset_password("TOKEN", GOOD_PASSWORD)


class AsyncMeTests(unittest.IsolatedAsyncioTestCase):
    """The asynchronous profile lookup."""

    def setUp(self) -> None:
        self.jwt = mock.create_autospec(JwtService, instance=True)
        self.database = mock.create_autospec(Database, instance=True)
        self.controller = AuthController(
            self.jwt, mock.sentinel.encryption, mock.sentinel.sessions, self.database
        )
        self.jwt.verify.return_value = {"sub": "7"}

    async def test_ame(self) -> None:
        """ame awaits the row and hides secrets."""
        self.database.afetch_one.return_value = user_row()
        me = await self.controller.ame("a")
        self.assertNotIn("password_hash", me)
        self.database.afetch_one.assert_awaited_once_with(
            "SELECT * FROM users WHERE id = ?", ("7",)
        )

    async def test_ame_missing_user(self) -> None:
        """A missing user is an AuthError."""
        self.database.afetch_one.return_value = None
        with self.assertRaises(AuthError):
            await self.controller.ame("a")


if __name__ == "__main__":
    unittest.main()
