"""A service's levels in the optimisation matrix.

Each registered service carries a :class:`Policy`: five independent knobs,
each a string from a fixed set, that the warming, sharing, adaptation,
caching and recovery layers read. A policy only ever makes mockpool do less
optimisation or less recovery; no level makes a mock enforce less than
:func:`unittest.mock.create_autospec` without that being reported.
"""

from __future__ import annotations

import difflib

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import getattr, isinstance, repr  # noqa: UP029
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, get_args

from mockpool._base.records import fill, frozen_record
from mockpool.errors import InvalidPolicyError, RegistrationTypeError

if TYPE_CHECKING:
    from typing_extensions import TypeAlias

__all__ = [
    "AdaptationLevel",
    "CachingLevel",
    "Policy",
    "RecoveryLevel",
    "SharingLevel",
    "WarmingLevel",
]

WarmingLevel: TypeAlias = Literal["critical", "high", "medium", "none"]
SharingLevel: TypeAlias = Literal["primary", "shared", "group", "isolated"]
AdaptationLevel: TypeAlias = Literal["auto", "pinned"]
CachingLevel: TypeAlias = Literal["predictive", "lru", "none"]
RecoveryLevel: TypeAlias = Literal["template", "minimal", "critical"]

# A Literal alias has no docstring of its own, and every public name must
# have one (tests/test_public_api.py). Setting it on the alias object is
# harmless: typing caches Literal[...] objects, so another Literal with the
# very same values would share the text, which still describes it.
for _alias, _doc in (
    (WarmingLevel, "How eagerly a service's pool is warmed before a run."),
    (SharingLevel, "Whether related services share instances in a session."),
    (AdaptationLevel, "Whether the adapter may change how a mock is built."),
    (CachingLevel, "How the introspection cache decides what to keep."),
    (RecoveryLevel, "The deepest recovery stage a service may fall back to."),
):
    _alias.__doc__ = _doc
del _alias, _doc

#: The allowed levels of each field, in the order of the field's Literal.
_LEVELS: dict[str, tuple[str, ...]] = {
    "warming": get_args(WarmingLevel),
    "sharing": get_args(SharingLevel),
    "adaptation": get_args(AdaptationLevel),
    "caching": get_args(CachingLevel),
    "recovery": get_args(RecoveryLevel),
}


def _suggest(value: object, choices: tuple[str, ...] | list[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for a close match, else ``""``."""
    if not isinstance(value, str):
        return ""
    matches = difflib.get_close_matches(value, choices, n=1)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _listing(choices: tuple[str, ...] | list[str]) -> str:
    """Return *choices* as ``'a', 'b', 'c'``."""
    return ", ".join(repr(choice) for choice in choices)


@frozen_record
class Policy:
    """How far mockpool may optimise, share and recover one service.

    Every field is a string from a fixed set; the defaults suit a service
    that nothing special is known about. Build one directly, or let
    :meth:`Policy.coerce` (which :meth:`~mockpool.Registry.register` uses)
    turn ``None`` or a mapping into one.

    Attributes:
        warming: How eagerly the service's pool is filled before a run.
            ``"critical"`` builds instances before the first test, whatever
            the prediction; ``"high"`` warms whenever the predictor expects
            any use; ``"medium"`` (the default) warms when the predictor is
            confident the service will be used; ``"none"`` never warms: every
            instance is built on first demand.
        sharing: Whether related services share instances inside one
            session. ``"primary"`` makes this service's instance the one its
            dependents are wired to and pins it for the whole session;
            ``"shared"`` (the default) hands every dependent in a session the
            same instance; ``"group"`` shares an instance only among
            services that depend on each other (one dependency group);
            ``"isolated"`` gives every requester its own instance.
        adaptation: ``"auto"`` (the default) lets the adapter switch how the
            mock is built (between the autospec and lazy variants) and resize
            its pool from measured build time, memory and error rate;
            ``"pinned"`` keeps the registered way and pool size.
        caching: How the introspection of the service's spec is cached.
            ``"predictive"`` (the default) keeps what the predictor expects to
            be used again; ``"lru"`` keeps the most recently used;
            ``"none"`` re-introspects the spec for every build.
        recovery: The deepest recovery stage allowed when building or
            restoring an instance fails. Stages run snapshot, template,
            minimal, emergency stub. ``"template"`` (the default) allows the
            snapshot and template stages only, so the service is never
            handed out degraded; ``"minimal"`` also allows a
            ``Mock(spec=...)``, which checks attribute names but not
            signatures; ``"critical"`` also allows an emergency stub that
            checks nothing. The two degraded stages are always reported and
            fail the test in strict mode.

    Raises:
        InvalidPolicyError: A field is not one of its allowed levels.
    """

    warming: WarmingLevel = "medium"
    sharing: SharingLevel = "shared"
    adaptation: AdaptationLevel = "auto"
    caching: CachingLevel = "predictive"
    recovery: RecoveryLevel = "template"

    def __init__(
        self,
        warming: WarmingLevel = "medium",
        sharing: SharingLevel = "shared",
        adaptation: AdaptationLevel = "auto",
        caching: CachingLevel = "predictive",
        recovery: RecoveryLevel = "template",
    ) -> None:
        fill(self, locals())
        for field, allowed in _LEVELS.items():
            value: object = getattr(self, field)
            # A str subclass with a custom __eq__ could pass ``in``; the
            # exact type keeps levels plain, comparable and hashable.
            if type(value) is not str or value not in allowed:
                raise InvalidPolicyError(
                    f"policy field {field!r} cannot be {value!r}; use one of "
                    f"{_listing(allowed)}{_suggest(value, allowed)}"
                )

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        """Return the names of the policy's fields, in declaration order.

        Returns:
            ``("warming", "sharing", "adaptation", "caching", "recovery")``.
        """
        return tuple(_LEVELS)

    @classmethod
    def levels(cls, field: str) -> tuple[str, ...]:
        """Return the allowed levels of *field*, in documented order.

        Args:
            field: The name of a policy field, such as ``"recovery"``.

        Returns:
            The levels, such as ``("template", "minimal", "critical")``.

        Raises:
            InvalidPolicyError: *field* is not a policy field.
        """
        try:
            return _LEVELS[field]
        except (KeyError, TypeError):
            raise InvalidPolicyError(_unknown_field_message(field)) from None

    @classmethod
    def coerce(cls, value: Policy | Mapping[str, str] | None) -> Policy:
        """Return *value* as a :class:`Policy`.

        Args:
            value: ``None`` for the default policy, a :class:`Policy` (returned
                as it is), or a mapping of field names to levels; fields it
                leaves out keep their defaults.

        Returns:
            The policy.

        Raises:
            InvalidPolicyError: The mapping has a key that is not a field, or
                a level that the field does not allow.
            RegistrationTypeError: *value* is none of the accepted types.
        """
        if value is None:
            return cls()
        if isinstance(value, Policy):
            return value
        if not isinstance(value, Mapping):
            raise RegistrationTypeError(
                f"a policy must be a Policy, a mapping of field to level, or "
                f"None, not {value!r}; use for example Policy(warming='high') "
                f"or {{'warming': 'high'}}"
            )
        for key in value:
            if key not in _LEVELS:
                raise InvalidPolicyError(_unknown_field_message(key))
        levels: dict[str, Any] = dict(value)
        return cls(**levels)


def _unknown_field_message(key: object) -> str:
    """Return the message for a policy key that names no field."""
    fields = list(_LEVELS)
    return (
        f"{key!r} is not a policy field; use one of "
        f"{_listing(fields)}{_suggest(key, fields)}"
    )
