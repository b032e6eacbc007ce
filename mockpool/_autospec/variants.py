"""Building a mock of a spec in one of several variants.

The variants trade build cost against strictness. ``AUTOSPEC`` and ``LAZY``
enforce exactly the same checks; ``MINIMAL`` and ``STUB`` are weaker and are
therefore *degraded*: later layers report them (and fail in strict mode)
rather than hand them out silently.
"""

from __future__ import annotations

import enum

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import repr
from typing import Any
from unittest import mock

from mockpool._autospec.lazy import create_autospec
from mockpool._base import checks
from mockpool._base import stdlib as _stdlib
from mockpool.errors import InvalidVariantError

__all__ = ["Variant", "build_mock"]


class Variant(str, enum.Enum):
    """How a mock is built."""

    #: :func:`unittest.mock.create_autospec` itself: eager, the reference.
    AUTOSPEC = "autospec"
    #: :func:`mockpool.create_autospec`: the same checks, built lazily from
    #: cached introspection. The default.
    LAZY = "lazy"
    #: ``Mock(spec=...)``: attribute names are checked, call signatures and
    #: async-ness of methods are not. Degraded.
    MINIMAL = "minimal"
    #: ``MagicMock()``: checks nothing. Degraded; the last resort.
    STUB = "stub"

    @property
    def degraded(self) -> bool:
        """Whether this variant enforces less than ``create_autospec``."""
        return self in (Variant.MINIMAL, Variant.STUB)

    @classmethod
    def coerce(cls, value: Variant | str) -> Variant:
        """Return *value* as a :class:`Variant`, accepting its string name.

        Raises:
            InvalidVariantError: *value* names no variant.
        """
        return cls(value)

    @classmethod
    def _missing_(cls, value: object) -> Variant:
        # Variant("fast") names the choices, as coerce() does.
        names = ", ".join(repr(v.value) for v in cls)
        raise InvalidVariantError(
            f"{value!r} is not a mock variant; use one of {names}"
        )


def build_mock(
    spec: Any,
    variant: Variant | str = Variant.LAZY,
    *,
    instance: bool = True,
    spec_set: bool = False,
) -> Any:
    """Build a fresh mock of *spec* in the given *variant*.

    Args:
        spec: The object to mock, usually a class.
        variant: A :class:`Variant` or its string value.
        instance: Mock an instance of *spec* rather than *spec* itself.
        spec_set: Also refuse to *set* attributes that *spec* lacks
            (ignored by ``STUB``, which has no spec).

    Returns:
        The new mock.

    Raises:
        InvalidVariantError: *variant* names no variant.
        ArgumentTypeError: *instance* or *spec_set* is not a bool.
    """
    checks.flag(instance, "instance")
    checks.flag(spec_set, "spec_set")
    chosen = Variant.coerce(variant)
    if chosen is Variant.LAZY:
        return create_autospec(spec, spec_set=spec_set, instance=instance)
    if chosen is Variant.AUTOSPEC:
        return _stdlib.create_autospec(spec, spec_set=spec_set, instance=instance)
    if chosen is Variant.MINIMAL:
        keyword = "spec_set" if spec_set else "spec"
        return mock.Mock(**{keyword: spec})
    return mock.MagicMock()
