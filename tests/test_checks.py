"""The argument checks: one exception class and one wording per mistake."""

from __future__ import annotations

import math
import re
import unittest
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from mockpool import ArgumentTypeError, InvalidArgumentError, MockPoolError
from mockpool._base import checks


class _Index:
    """Not an int, but usable as one (as numpy's integers are)."""

    def __index__(self) -> int:
        return 7


class CheckTestCase(unittest.TestCase):
    """Helpers that assert the contract every check keeps."""

    def assert_refused(
        self,
        error: type[MockPoolError],
        check: Callable[..., object],
        value: object,
        wanted: str,
        **options: Any,
    ) -> None:
        """*check* refuses *value* with *error*, in the one wording."""
        with self.subTest(check=check.__name__, value=value, **options):
            with self.assertRaises(error) as caught:
                check(value, "arg", **options)
            builtin = TypeError if error is ArgumentTypeError else ValueError
            self.assertIsInstance(caught.exception, builtin)
            self.assertEqual(
                str(caught.exception), f"arg must be {wanted}, not {value!r}"
            )

    def assert_wrong_type(
        self, check: Callable[..., object], value: object, wanted: str, **options: Any
    ) -> None:
        self.assert_refused(ArgumentTypeError, check, value, wanted, **options)

    def assert_wrong_value(
        self, check: Callable[..., object], value: object, wanted: str, **options: Any
    ) -> None:
        self.assert_refused(InvalidArgumentError, check, value, wanted, **options)


class CountTests(CheckTestCase):
    def test_accepts_ints_from_the_minimum(self) -> None:
        self.assertEqual(checks.count(0, "n"), 0)
        self.assertEqual(checks.count(10**30, "n"), 10**30)
        self.assertEqual(checks.count(2, "n", minimum=2), 2)
        self.assertEqual(checks.count(_Index(), "n"), 7)
        self.assertIs(type(checks.count(_Index(), "n")), int)

    def test_refuses_what_is_not_an_int(self) -> None:
        for value in (True, False, 1.0, "3", None, Fraction(1), [1]):
            self.assert_wrong_type(checks.count, value, "an int >= 0")
        self.assert_wrong_type(checks.count, True, "an int >= 1", minimum=1)

    def test_refuses_ints_below_the_minimum(self) -> None:
        self.assert_wrong_value(checks.count, -1, "an int >= 0")
        self.assert_wrong_value(checks.count, 0, "an int >= 1", minimum=1)
        self.assert_wrong_value(checks.count, 39, "an int >= 40", minimum=40)


class NumberTests(CheckTestCase):
    def test_accepts_real_numbers_as_floats(self) -> None:
        for value, expected in ((0, 0.0), (2.5, 2.5), (Fraction(1, 4), 0.25), (-3, -3)):
            with self.subTest(value=value):
                result = checks.number(value, "x")
                self.assertEqual(result, expected)
                self.assertIs(type(result), float)
        self.assertEqual(checks.number(math.inf, "x", finite=False), math.inf)
        self.assertEqual(checks.number(-math.inf, "x", finite=False), -math.inf)
        self.assertEqual(checks.number(10**400, "x", finite=False), math.inf)
        self.assertEqual(checks.number(0, "x", minimum=0, maximum=0), 0.0)

    def test_refuses_what_is_not_a_real_number(self) -> None:
        # A Decimal is a number, yet not a numbers.Real: refused as before.
        for value in (True, False, "1", None, 1j, [1.0], Decimal(1)):
            self.assert_wrong_type(checks.number, value, "a finite number")
        self.assert_wrong_type(checks.number, True, "a finite number >= 0", minimum=0)
        self.assert_wrong_type(checks.number, "1", "a number", finite=False)

    def test_refuses_nan_always_and_infinities_when_finite(self) -> None:
        self.assert_wrong_value(checks.number, math.nan, "a finite number")
        self.assert_wrong_value(checks.number, math.nan, "a number", finite=False)
        self.assert_wrong_value(checks.number, math.inf, "a finite number")
        self.assert_wrong_value(checks.number, 10**400, "a finite number")
        self.assert_wrong_value(
            checks.number, -math.inf, "a number >= 0", minimum=0, finite=False
        )

    def test_refuses_numbers_out_of_range(self) -> None:
        self.assert_wrong_value(checks.number, -0.5, "a finite number >= 0", minimum=0)
        self.assert_wrong_value(checks.number, 3, "a finite number <= 2", maximum=2)
        self.assert_wrong_value(
            checks.number, 1.5, "a number from 0.5 to 1", minimum=0.5, maximum=1
        )


class FractionTests(CheckTestCase):
    def test_accepts_zero_to_one(self) -> None:
        for value in (0, 0.25, 1, Fraction(1, 2)):
            with self.subTest(value=value):
                self.assertEqual(checks.fraction(value, "share"), float(value))

    def test_refuses_non_numbers(self) -> None:
        for value in (True, "0.5", None):
            self.assert_wrong_type(checks.fraction, value, "a number from 0 to 1")

    def test_refuses_values_outside_zero_to_one(self) -> None:
        for value in (-0.1, 1.5, 50, math.nan, math.inf):
            self.assert_wrong_value(checks.fraction, value, "a number from 0 to 1")


class TextTests(CheckTestCase):
    def test_accepts_strings(self) -> None:
        self.assertEqual(checks.text("", "s"), "")
        self.assertEqual(checks.text("db", "s", allow_empty=False), "db")

    def test_refuses_what_is_not_a_str(self) -> None:
        for value in (None, 1, True, b"db", ["db"]):
            self.assert_wrong_type(checks.text, value, "a str")
        self.assert_wrong_type(checks.text, b"", "a non-empty str", allow_empty=False)

    def test_refuses_the_empty_string_when_asked(self) -> None:
        self.assert_wrong_value(checks.text, "", "a non-empty str", allow_empty=False)


class FlagTests(CheckTestCase):
    def test_accepts_bools(self) -> None:
        self.assertIs(checks.flag(True, "on"), True)
        self.assertIs(checks.flag(False, "on"), False)
        self.assertIs(checks.flag(False, "on", allow_none=True), False)
        self.assertIsNone(checks.flag(None, "on", allow_none=True))

    def test_refuses_what_is_not_a_bool(self) -> None:
        for value in (0, 1, "yes", None, 1.0):
            self.assert_wrong_type(checks.flag, value, "True or False")
        for value in (0, "yes"):
            self.assert_wrong_type(
                checks.flag, value, "True, False or None", allow_none=True
            )


class MessageTests(unittest.TestCase):
    def test_a_hint_follows_the_message(self) -> None:
        with self.assertRaises(InvalidArgumentError) as caught:
            checks.count(0, "n", minimum=1, hint="pass 4 for four sessions")
        self.assertEqual(
            str(caught.exception),
            "n must be an int >= 1, not 0; pass 4 for four sessions",
        )

    def test_type_and_value_mistakes_share_the_wording(self) -> None:
        """Only the class tells a wrong type from a wrong value."""
        wrong: list[str] = []
        for value in ("3", -3):
            try:
                checks.count(value, "max_size")
            except MockPoolError as exc:
                wrong.append(re.sub(r"not .*", "not ...", str(exc)))
        self.assertEqual(wrong, ["max_size must be an int >= 0, not ..."] * 2)

    def test_the_value_is_shown_with_repr(self) -> None:
        with self.assertRaisesRegex(ArgumentTypeError, re.escape("not 'a\\nb'")):
            checks.count("a\nb", "s")


if __name__ == "__main__":
    unittest.main()
