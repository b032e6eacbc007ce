"""The private parts of :mod:`unittest.mock` that the lazy autospec reuses.

mockpool must build mocks that behave exactly like the stdlib's, on every
supported Python, so it calls the stdlib's own helpers rather than copies
of them. They are private, so they are looked up in one place: if a future
Python renames one, ``AVAILABLE`` is false and :func:`mockpool.create_autospec`
falls back to :func:`unittest.mock.create_autospec` (slower, never wrong).
"""

from __future__ import annotations

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all, getattr, hasattr
from typing import Any
from unittest import mock

_NAMES = (
    "AsyncMockMixin",
    "FunctionTypes",
    "MagicMixin",
    "MagicProxy",
    "_SpecState",
    "_async_method_magics",
    "_callable",
    "_copy_func_details",
    "_get_signature_object",
    "_instance_callable",
    "_is_async_func",
    "_is_magic",
    "_magics",
    "_must_skip",
    "_setup_func",
    "iscoroutinefunction",
)

AVAILABLE = all(hasattr(mock, name) for name in _NAMES)

# Bound as module attributes for speed and for a single point of failure.
AsyncMockMixin: Any = getattr(mock, "AsyncMockMixin", None)
FunctionTypes: Any = getattr(mock, "FunctionTypes", ())
MagicMixin: Any = getattr(mock, "MagicMixin", None)
MagicProxy: Any = getattr(mock, "MagicProxy", None)
SpecState: Any = getattr(mock, "_SpecState", None)
callable_spec: Any = getattr(mock, "_callable", None)
copy_func_details: Any = getattr(mock, "_copy_func_details", None)
get_signature_object: Any = getattr(mock, "_get_signature_object", None)
instance_callable: Any = getattr(mock, "_instance_callable", None)
is_async_func: Any = getattr(mock, "_is_async_func", None)
is_magic: Any = getattr(mock, "_is_magic", None)
must_skip: Any = getattr(mock, "_must_skip", None)
setup_func: Any = getattr(mock, "_setup_func", None)
iscoroutinefunction: Any = getattr(mock, "iscoroutinefunction", None)
ALL_MAGICS: frozenset[str] = frozenset(
    getattr(mock, "_magics", set()) | getattr(mock, "_async_method_magics", set())
)

#: ``unittest.mock.create_autospec`` as imported, kept even if
#: :func:`mockpool.install` later puts ours in its place: our fallback and the
#: ``AUTOSPEC`` variant must reach the real one.
create_autospec: Any = mock.create_autospec

# The mock classes as unittest.mock defines them, which the lazy autospec
# builds. A fixture may put subclasses of its own in their place for a test
# (oslotest's MockAutospecFixture replaces Mock and MagicMock): the stdlib's
# create_autospec, which looks the names up as it builds, then builds those.
MagicMock: Any = mock.MagicMock
NonCallableMagicMock: Any = mock.NonCallableMagicMock
AsyncMock: Any = mock.AsyncMock
_Mock: Any = mock.Mock
#: unittest.mock's patcher classes, kept even if a fixture puts subclasses
#: in their place (oslotest's patch_mock_module()): hooks go on these.
Patch: Any = mock._patch
PatchDict: Any = mock._patch_dict


def stock_classes() -> bool:
    """Whether ``unittest.mock``'s mock classes are its own right now.

    When they are not, what the stdlib builds depends on the replacements,
    and only the stdlib itself builds exactly that.
    """
    return (
        mock.MagicMock is MagicMock
        and mock.NonCallableMagicMock is NonCallableMagicMock
        and mock.AsyncMock is AsyncMock
        and mock.Mock is _Mock
    )


#: The unbound attribute hook every mock class inherits.
base_getattr: Any = mock.NonCallableMock.__getattr__
#: The real spec hook, for constructions we do not replay.
base_add_spec: Any = mock.NonCallableMock._mock_add_spec
