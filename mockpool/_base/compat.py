"""Version checks and feature probes for Python 3.9-3.13.

Every ``sys.version_info`` check of the package lives here. Where the
stdlib's behaviour changed in a patch release (or may be backported), we
probe the behaviour itself instead of trusting the version number.
"""

from __future__ import annotations

import sys
from unittest import mock

from mockpool._base import stdlib as _stdlib

try:
    # The very class hashlib.blake2b is (hashlib always takes it from
    # _blake2), without importing hashlib, which loads OpenSSL: start-up cost.
    from _blake2 import blake2b as blake2b
except ImportError:  # pragma: no cover (an interpreter built without it)
    from hashlib import blake2b as blake2b

PY_3_10_PLUS = sys.version_info >= (3, 10)
PY_3_11_PLUS = sys.version_info >= (3, 11)
PY_3_12_PLUS = sys.version_info >= (3, 12)
PY_3_13_PLUS = sys.version_info >= (3, 13)


class _Probe:
    def method(self) -> None:
        """A method for probing how the stdlib autospecs methods."""


def autospec_presets_method_return_value() -> bool:
    """Whether ``create_autospec`` presets each method child's return value.

    Since 3.12 create_autospec gives every method child an explicit
    ``return_value = MagicMock()`` (or ``AsyncMock()``); before, the return
    value was made on demand. The difference is observable after
    ``reset_mock(return_value=True)`` and ``seal``, so we reproduce
    whichever behaviour this interpreter has. Each call probes: the lazy
    autospec asks once, on first use rather than at import (the probe costs
    more than the rest of this module), and keeps the answer.
    """
    child = _stdlib.create_autospec(_Probe, instance=True).method
    return child._mock_return_value is not mock.DEFAULT


#: ``create_autospec(..., unsafe=...)`` exists from 3.10 on.
AUTOSPEC_HAS_UNSAFE = PY_3_10_PLUS
