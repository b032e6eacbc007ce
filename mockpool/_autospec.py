"""Placeholder: delegates to the stdlib until the lazy autospec lands."""

from __future__ import annotations

from typing import Any
from unittest import mock


def create_autospec(
    spec: Any,
    spec_set: Any = False,
    instance: bool = False,
    _parent: Any = None,
    _name: Any = None,
    *,
    unsafe: bool = False,
    **kwargs: Any,
) -> Any:
    """Create a mock that autospecs *spec* (same contract as the stdlib's)."""
    return mock.create_autospec(spec, spec_set, instance, _parent, _name, **kwargs)
