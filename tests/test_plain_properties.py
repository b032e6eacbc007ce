"""Property test of contract 1 for plain mocks: any sequence, same observations.

Hypothesis draws a mock class, a constructor call and a sequence of
operations (calls, children, ``return_value`` and ``side_effect``,
``attach_mock``, ``configure_mock``, magic methods set and used through the
mock or its class, deletion, ``reset_mock`` with both flags, ``seal``,
``mock_add_spec``, copies, pickling, and building and dropping other mocks
so that classes are reused). The same sequence runs on a mock built by the
stdlib and on one built while :mod:`mockpool._autospec.plain` is enabled;
after every operation, its outcome and every observation of both mocks
(:func:`tests.test_plain_contract.observe`) must be equal. A second
property drops the mock after the sequence: the next mocks of its kind,
which may reuse its classes, must observe like fresh stdlib mocks.

The settings profile is the suite's (see ``tests/__init__.py``).
"""

from __future__ import annotations

import gc
import unittest
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_plain_contract import (
    CONSTRUCTIONS,
    OPERATIONS,
    PLAIN_CLASSES,
    accelerated,
    build,
    compare_runs,
    observe,
    step,
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

    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(
        cls=st.sampled_from(PLAIN_CLASSES),
        construction=st.sampled_from(CONSTRUCTIONS),
        operations=st.lists(_operation_names, max_size=8),
    )
    def test_a_mock_built_after_any_sequence_is_fresh(
        self,
        cls: type,
        construction: tuple[str, tuple[object, ...], dict[str, object]],
        operations: list[str],
    ) -> None:
        """Whatever a dropped mock went through, the next one is as new.

        The next mocks of its kind may get its class (and its children's):
        they must observe like stdlib mocks built fresh.
        """
        _label, args, kwargs = construction
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            with accelerated():
                used = build(cls, args, kwargs)
                if not isinstance(used, Exception):
                    for name in operations:
                        step(used, name)
                del used
                gc.collect()
                fresh = [build(cls, args, kwargs) for _ in range(3)]
            for built in fresh:
                # Observing pickles, which leaves __slotnames__ on the class:
                # a stdlib mock per comparison.
                expected = build(cls, args, kwargs)
                if isinstance(expected, Exception):
                    return
                self.assertEqual(observe(built), observe(expected))
                with accelerated():
                    got = step(built, "grandchild_call")
                self.assertEqual(got, step(expected, "grandchild_call"))
                self.assertEqual(observe(built), observe(expected))


if __name__ == "__main__":
    unittest.main()
