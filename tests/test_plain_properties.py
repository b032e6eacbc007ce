"""Property test of contract 1 for plain mocks: any sequence, same observations.

Hypothesis draws a mock class, a constructor call and a sequence of
operations (calls, children, ``return_value`` and ``side_effect``,
``attach_mock``, ``configure_mock``, magic methods, deletion,
``reset_mock`` with both flags, ``seal``, ``mock_add_spec``, copies and
pickling). The same sequence runs on a mock built by the stdlib and on one
built while :mod:`mockpool._autospec.plain` is enabled; after every
operation, its outcome and every observation of both mocks
(:func:`tests.test_plain_contract.observe`) must be equal.

The settings profile is the suite's (see ``tests/__init__.py``).
"""

from __future__ import annotations

import unittest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_plain_contract import (
    CONSTRUCTIONS,
    OPERATIONS,
    PLAIN_CLASSES,
    compare_runs,
)

_operation_names = st.sampled_from(sorted(OPERATIONS))


class PlainMockPropertyTests(unittest.TestCase):
    """Random operation sequences observe alike, accelerated or not."""

    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(
        cls=st.sampled_from(PLAIN_CLASSES),
        construction=st.sampled_from(CONSTRUCTIONS),
        operations=st.lists(_operation_names, max_size=8),
    )
    def test_any_sequence_observes_like_the_stdlib(
        self,
        cls: type,
        construction: tuple[str, tuple[object, ...], dict[str, object]],
        operations: list[str],
    ) -> None:
        """After each operation both mocks give the same observations."""
        _label, args, kwargs = construction
        compare_runs(self, cls, args, kwargs, operations, depth=1)


if __name__ == "__main__":
    unittest.main()
