"""Tests for mockpool._services.policy: the per-service Policy."""

from __future__ import annotations

import dataclasses
import types
import typing
import unittest
from typing import Any

import mockpool
from mockpool import InvalidPolicyError, Policy, RegistrationTypeError

EXPECTED_LEVELS = {
    "warming": ("critical", "high", "medium", "none"),
    "sharing": ("primary", "shared", "group", "isolated"),
    "adaptation": ("auto", "pinned"),
    "caching": ("predictive", "lru", "none"),
    "recovery": ("template", "minimal", "critical"),
}


class PolicyDefaultsTests(unittest.TestCase):
    """A Policy built without arguments holds the documented defaults."""

    def test_defaults(self) -> None:
        """The defaults are medium, shared, auto, predictive and template."""
        policy = Policy()
        self.assertEqual(policy.warming, "medium")
        self.assertEqual(policy.sharing, "shared")
        self.assertEqual(policy.adaptation, "auto")
        self.assertEqual(policy.caching, "predictive")
        self.assertEqual(policy.recovery, "template")

    def test_fields_in_declaration_order(self) -> None:
        """fields() names the five fields in declaration order."""
        self.assertEqual(Policy.fields(), tuple(EXPECTED_LEVELS))
        self.assertEqual(
            Policy.fields(), tuple(f.name for f in dataclasses.fields(Policy))
        )

    def test_levels_match_documentation(self) -> None:
        """levels() gives each field's allowed levels in documented order."""
        for field, levels in EXPECTED_LEVELS.items():
            with self.subTest(field=field):
                self.assertEqual(Policy.levels(field), levels)

    def test_levels_of_unknown_field(self) -> None:
        """levels() of a field that does not exist raises InvalidPolicyError."""
        with self.assertRaisesRegex(InvalidPolicyError, "'recovery'"):
            Policy.levels("recovry")

    def test_literal_aliases_match_levels(self) -> None:
        """Each exported Literal alias lists exactly its field's levels."""
        aliases = {
            "warming": mockpool.WarmingLevel,
            "sharing": mockpool.SharingLevel,
            "adaptation": mockpool.AdaptationLevel,
            "caching": mockpool.CachingLevel,
            "recovery": mockpool.RecoveryLevel,
        }
        for field, alias in aliases.items():
            with self.subTest(field=field):
                self.assertEqual(typing.get_args(alias), EXPECTED_LEVELS[field])
                self.assertTrue(alias.__doc__)


class PolicyValidationTests(unittest.TestCase):
    """Every field accepts its levels and refuses anything else."""

    def test_every_level_accepted(self) -> None:
        """Each allowed level of each field builds a Policy."""
        for field, levels in EXPECTED_LEVELS.items():
            for level in levels:
                with self.subTest(field=field, level=level):
                    chosen: dict[str, Any] = {field: level}
                    policy = Policy(**chosen)
                    self.assertEqual(getattr(policy, field), level)

    def test_unknown_level_names_field_value_and_levels(self) -> None:
        """A bad level names the field, the value and the allowed levels."""
        for field, levels in EXPECTED_LEVELS.items():
            with self.subTest(field=field):
                bogus: dict[str, Any] = {field: "bogus"}
                with self.assertRaises(InvalidPolicyError) as caught:
                    Policy(**bogus)
                message = str(caught.exception)
                self.assertIn(repr(field), message)
                self.assertIn("'bogus'", message)
                for level in levels:
                    self.assertIn(repr(level), message)

    def test_close_level_is_suggested(self) -> None:
        """A misspelt level gets a did-you-mean suggestion."""
        with self.assertRaisesRegex(InvalidPolicyError, "did you mean 'high'"):
            Policy(warming="hgih")  # type: ignore[arg-type]

    def test_non_string_level_refused(self) -> None:
        """A level that is not a str is refused, not compared loosely."""
        for value in (None, 1, b"medium", ["medium"]):
            with self.subTest(value=value):
                with self.assertRaises(InvalidPolicyError) as caught:
                    Policy(warming=value)  # type: ignore[arg-type]
                self.assertIn(repr(value), str(caught.exception))

    def test_str_subclass_refused(self) -> None:
        """A str subclass is refused so that levels stay plain strings."""

        class Sneaky(str):
            pass

        with self.assertRaises(InvalidPolicyError):
            Policy(warming=Sneaky("high"))  # type: ignore[arg-type]

    def test_frozen(self) -> None:
        """A Policy cannot be changed after it is built."""
        policy = Policy()
        with self.assertRaises(dataclasses.FrozenInstanceError):
            policy.warming = "high"  # type: ignore[misc]

    def test_replace_validates(self) -> None:
        """dataclasses.replace goes through the same validation."""
        self.assertEqual(
            dataclasses.replace(Policy(), recovery="critical").recovery, "critical"
        )
        with self.assertRaises(InvalidPolicyError):
            dataclasses.replace(Policy(), recovery="stub")  # type: ignore[arg-type]

    def test_equal_by_value_and_hashable(self) -> None:
        """Policies with the same levels are equal and hash alike."""
        self.assertEqual(Policy(caching="lru"), Policy(caching="lru"))
        self.assertEqual(hash(Policy(caching="lru")), hash(Policy(caching="lru")))
        self.assertNotEqual(Policy(caching="lru"), Policy())

    def test_invalid_policy_error_is_registration_error(self) -> None:
        """InvalidPolicyError is a RegistrationError and a ValueError."""
        self.assertTrue(issubclass(InvalidPolicyError, mockpool.RegistrationError))
        self.assertTrue(issubclass(InvalidPolicyError, ValueError))


class PolicyCoerceTests(unittest.TestCase):
    """Policy.coerce accepts None, a Policy or a mapping of field to level."""

    def test_none_gives_defaults(self) -> None:
        """None coerces to the default policy."""
        self.assertEqual(Policy.coerce(None), Policy())

    def test_policy_returned_as_is(self) -> None:
        """A Policy is returned unchanged, the very same object."""
        policy = Policy(sharing="isolated")
        self.assertIs(Policy.coerce(policy), policy)

    def test_mapping_sets_given_fields(self) -> None:
        """A mapping sets the fields it names; the others keep defaults."""
        policy = Policy.coerce({"warming": "critical", "recovery": "minimal"})
        self.assertEqual(policy, Policy(warming="critical", recovery="minimal"))

    def test_read_only_mapping_accepted(self) -> None:
        """Any Mapping works, not only dict."""
        policy = Policy.coerce(types.MappingProxyType({"adaptation": "pinned"}))
        self.assertEqual(policy.adaptation, "pinned")

    def test_empty_mapping_gives_defaults(self) -> None:
        """An empty mapping coerces to the default policy."""
        self.assertEqual(Policy.coerce({}), Policy())

    def test_unknown_key_names_key_and_fields(self) -> None:
        """An unknown key names itself, every valid field and a close match."""
        with self.assertRaises(InvalidPolicyError) as caught:
            Policy.coerce({"warmup": "high"})
        message = str(caught.exception)
        self.assertIn("'warmup'", message)
        for field in EXPECTED_LEVELS:
            self.assertIn(repr(field), message)
        self.assertIn("did you mean 'warming'", message)

    def test_non_string_key_refused(self) -> None:
        """A key that is not a str is an unknown field."""
        with self.assertRaisesRegex(InvalidPolicyError, "1 is not a policy field"):
            Policy.coerce({1: "high"})  # type: ignore[dict-item]

    def test_bad_level_in_mapping(self) -> None:
        """A bad level in a mapping raises InvalidPolicyError naming it."""
        with self.assertRaisesRegex(InvalidPolicyError, "'caching'.*'random'"):
            Policy.coerce({"caching": "random"})

    def test_wrong_type_refused(self) -> None:
        """A value of no accepted type raises RegistrationTypeError."""
        for value in ("high", ["warming"], 3):
            with self.subTest(value=value):
                with self.assertRaises(RegistrationTypeError) as caught:
                    Policy.coerce(value)  # type: ignore[arg-type]
                self.assertIsInstance(caught.exception, TypeError)
                self.assertIn(repr(value), str(caught.exception))
                self.assertIn("Policy(", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
