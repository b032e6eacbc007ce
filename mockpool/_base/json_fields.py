"""Typed reading of the JSON files mockpool writes, with errors that name the field.

Run reports (:mod:`mockpool._reporting.run_report`) and usage history
(:mod:`mockpool._learning.history`) read back files that a crash, a concurrent
writer or a person may have damaged. Both check every field the same way
and say which field of which file is wrong, each raising its own error.

Unlike :mod:`mockpool._base.checks`, which checks arguments, these checks
read a file: a bad value is the file's fault, not the caller's, so every
mistake raises the reader's one error (a ValueError) whatever its type, and
a long value is cut to 60 characters. :func:`typed_value` and
:func:`count_value` check a value that is not a field of an object (an
array's item, a mapping's value) the same way.
"""

from __future__ import annotations

import math

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import isinstance  # noqa: UP029
from collections.abc import Mapping
from typing import Any

__all__ = ["FieldReader", "count_value", "typed_value"]

_JSON_NAMES: dict[type[Any], str] = {
    object: "value",
    dict: "object",
    list: "array",
    str: "string",
}


class FieldReader:
    """Typed access to one JSON object.

    Args:
        data: The decoded object.
        where: How messages name it, e.g. ``"report 'leaks'[0]"``.
        error: The exception class raised for a bad field (a ValueError).
    """

    def __init__(self, data: object, where: str, error: type[ValueError]) -> None:
        if not isinstance(data, Mapping):
            raise error(f"{where} must be a JSON object, not {data!r:.60}")
        self.data: Mapping[str, object] = data
        self.where = where
        self.error = error

    def get(self, key: str, kind: type[Any]) -> Any:
        """The field *key*, which must be of JSON type *kind*."""
        if key not in self.data:
            raise self.error(f"{self.where} has no {key!r}")
        return typed_value(self.data[key], kind, f"{self.where} {key!r}", self.error)

    def string(self, key: str) -> str:
        """The string field *key*."""
        value: str = self.get(key, str)
        return value

    def count(self, key: str) -> int:
        """The field *key*, an integer of 0 or more."""
        return count_value(self.get(key, object), f"{self.where} {key!r}", self.error)

    def seconds(self, key: str) -> float:
        """The field *key*, a finite number of 0 or more."""
        value = self.get(key, object)
        if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
            raise self.error(
                f"{self.where} {key!r} must be a finite number >= 0, not {value!r:.60}"
            )
        return float(value)

    def signed_seconds(self, key: str) -> float:
        """The field *key*, a finite number, negative allowed (a saving that
        was a loss)."""
        value = self.get(key, object)
        if type(value) not in (int, float) or not math.isfinite(value):
            raise self.error(
                f"{self.where} {key!r} must be a finite number, not {value!r:.60}"
            )
        return float(value)


def typed_value(
    value: object, kind: type[Any], where: str, error: type[ValueError]
) -> Any:
    """*value*, which must be of JSON type *kind*, or *error* naming *where*."""
    if not isinstance(value, kind):
        raise error(f"{where} must be a JSON {_JSON_NAMES[kind]}, not {value!r:.60}")
    return value


def count_value(value: object, where: str, error: type[ValueError]) -> int:
    """*value*, which must be an integer of 0 or more, or *error* naming *where*."""
    if type(value) is not int or value < 0:
        raise error(f"{where} must be an integer >= 0, not {value!r:.60}")
    return value
