"""Functions that introspect as the stdlib's methods they stand in for.

mockpool puts its own versions of some ``unittest.mock`` methods where a
test can fetch them -- on a mock's own class (the lazy autospec's
``__getattr__`` and ``mock_add_spec``), or on the mock classes themselves
while the plain-mock acceleration is on (``__new__``, ``__init__``,
``_mock_add_spec``...). Fetched, they must look like the stdlib's: name,
qualified name, module, docstring and signature.
"""

from __future__ import annotations

import inspect
import types
from typing import Any

__all__ = ["disguised"]


def disguised(function: Any, original: Any) -> Any:
    """A copy of *function* that introspects as *original*.

    ``__wrapped__`` is not set: it would be one more attribute the stdlib's
    method does not have.
    """
    copy = types.FunctionType(
        function.__code__,
        function.__globals__,
        original.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__qualname__ = original.__qualname__
    copy.__doc__ = original.__doc__
    copy.__module__ = original.__module__
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__signature__ = inspect.signature(original)  # type: ignore[attr-defined]
    copy.__annotations__ = {}
    return copy
