"""Argument checks with one wording: one exception class, one message per mistake.

The contract of every function here:

* It takes the value and the name the caller knows it by -- a parameter
  (``"max_size"``), a field (``"HealthThresholds.min_requests"``) or an
  element (``"series[2]"``) -- and returns the value, narrowed to ``int``,
  ``float``, ``str`` or ``bool``, when it is acceptable.
* A value of the wrong type raises :class:`~mockpool.errors.ArgumentTypeError`
  (a :class:`TypeError`); a value of the right type that is out of range
  raises :class:`~mockpool.errors.InvalidArgumentError` (a
  :class:`ValueError`). The class tells the two mistakes apart.
* Both messages come from one template,
  ``"{name} must be {what}, not {value!r}"``: the value is shown with
  ``!r``, and *what* is accepted is the fix. A caller's *hint* -- an
  example, or an alternative the check does not know, such as ``"pass None
  if unknown"`` -- follows after ``"; "``.
* ``bool`` is neither a count nor a number: ``True`` where a count is
  expected is a bug upstream, not a 1. And a flag is a bool, not 0 or 1.

Checks that only one place makes (a name that must be registered, the
shape of a mapping) stay in that place; this module holds the ones that
recur. A message is built only when a check fails.
"""

from __future__ import annotations

import contextlib
import math
import operator

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import isinstance  # noqa: UP029
from typing import TYPE_CHECKING, Literal, SupportsIndex, cast, overload

from mockpool.errors import ArgumentTypeError, InvalidArgumentError

if TYPE_CHECKING:
    import numbers

    from typing_extensions import TypeGuard

__all__ = ["count", "flag", "fraction", "number", "text"]


def count(value: object, name: str, *, minimum: int = 0, hint: str = "") -> int:
    """*value* as an ``int`` of at least *minimum* (0 by default).

    Anything with ``__index__`` is an int here (numpy's integers too), but
    not a bool, a float or a str.

    Raises:
        ArgumentTypeError: *value* is not an int.
        InvalidArgumentError: *value* is below *minimum*.
    """
    result: int | None = None
    if not isinstance(value, bool):
        with contextlib.suppress(TypeError):
            result = operator.index(cast(SupportsIndex, value))
    if result is None:
        raise ArgumentTypeError(_message(name, f"an int >= {minimum}", value, hint))
    if result < minimum:
        raise InvalidArgumentError(_message(name, f"an int >= {minimum}", value, hint))
    return result


def _is_real(value: object) -> TypeGuard[numbers.Real]:
    """Whether *value* is a :class:`numbers.Real`."""
    # int and float (and their subclasses) are registered Reals: answered
    # without importing numbers, whose ABCs are start-up cost.
    if isinstance(value, (int, float)):
        return True
    import numbers

    return isinstance(value, numbers.Real)


def number(
    value: object,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    finite: bool = True,
    hint: str = "",
) -> float:
    """*value*, a real number other than NaN, as a ``float``.

    Any :class:`numbers.Real` but a bool is a number (int, float, Fraction,
    numpy's scalars). With *finite* (the default) infinities are refused;
    without it they pass, unless out of range. *minimum* and *maximum*
    bound it, both included.

    Raises:
        ArgumentTypeError: *value* is not a real number.
        InvalidArgumentError: *value* is NaN, infinite (with *finite*), or
            outside ``[minimum, maximum]``.
    """
    if isinstance(value, bool) or not _is_real(value):
        raise ArgumentTypeError(
            _message(name, _number_wanted(minimum, maximum, finite), value, hint)
        )
    try:
        result = float(value)
    except OverflowError:  # an int or Fraction beyond a float's range
        result = math.inf if cast(float, value) > 0 else -math.inf
    if (
        math.isnan(result)
        or (finite and math.isinf(result))
        or (minimum is not None and result < minimum)
        or (maximum is not None and result > maximum)
    ):
        raise InvalidArgumentError(
            _message(name, _number_wanted(minimum, maximum, finite), value, hint)
        )
    return result


def fraction(value: object, name: str, *, hint: str = "") -> float:
    """*value*, a share from 0 to 1 (both included), as a ``float``.

    Raises:
        ArgumentTypeError: *value* is not a real number.
        InvalidArgumentError: *value* is below 0, above 1 or NaN.
    """
    return number(value, name, minimum=0, maximum=1, hint=hint)


def text(value: object, name: str, *, allow_empty: bool = True, hint: str = "") -> str:
    """*value*, a ``str``; with *allow_empty* false, not ``""``.

    Raises:
        ArgumentTypeError: *value* is not a str.
        InvalidArgumentError: *value* is empty and *allow_empty* is false.
    """
    wanted = "a str" if allow_empty else "a non-empty str"
    if not isinstance(value, str):
        raise ArgumentTypeError(_message(name, wanted, value, hint))
    if not value and not allow_empty:
        raise InvalidArgumentError(_message(name, wanted, value, hint))
    return value


@overload
def flag(
    value: object, name: str, *, allow_none: Literal[False] = False, hint: str = ""
) -> bool: ...
@overload
def flag(
    value: object, name: str, *, allow_none: bool, hint: str = ""
) -> bool | None: ...
def flag(
    value: object, name: str, *, allow_none: bool = False, hint: str = ""
) -> bool | None:
    """*value*, which must be ``True`` or ``False`` (not 0 or 1); with
    *allow_none*, ``None`` too.

    Raises:
        ArgumentTypeError: *value* is not a bool (nor None, with *allow_none*).
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, bool):
        wanted = "True, False or None" if allow_none else "True or False"
        raise ArgumentTypeError(_message(name, wanted, value, hint))
    return value


def _number_wanted(minimum: float | None, maximum: float | None, finite: bool) -> str:
    if minimum is not None and maximum is not None:
        return f"a number from {minimum:g} to {maximum:g}"
    wanted = "a finite number" if finite else "a number"
    if minimum is not None:
        wanted += f" >= {minimum:g}"
    if maximum is not None:
        wanted += f" <= {maximum:g}"
    return wanted


def _message(name: str, wanted: str, value: object, hint: str) -> str:
    message = f"{name} must be {wanted}, not {value!r}"
    return f"{message}; {hint}" if hint else message
