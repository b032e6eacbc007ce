"""``CallableMixin.__call__``: a mock's call in one frame where nothing can tell.

The stdlib's ``__call__`` (the same code on 3.9-3.13) goes through four
methods and two properties per call: ``_mock_check_sig`` (a stub, but on
an autospec's class), ``_increment_mock_call`` (the records), then
``_mock_call``, which calls ``_execute_mock_call``, which reads the
``side_effect`` and ``return_value`` properties. For the commonest call in
a test -- a mock with its return value set or already made, and no side
effect -- each of those frames costs more than the work it does.

The replacement takes the same three steps in the same order, each
directly only where the stdlib's would do nothing else:

1. ``_mock_check_sig`` is called unless the class has ``CallableMixin``'s
   stub, which does nothing.
2. The call is recorded by :func:`~.call_recording.record_call` where the
   class has the stdlib's ``_increment_mock_call`` (and it can), else by
   the class's own method.
3. The mock's ``_mock_return_value`` is returned where the stdlib's
   ``_execute_mock_call`` would return just that -- no side effect, no
   delegate, a return value that is not ``DEFAULT`` -- and the class keeps
   the stdlib's ``_mock_call``, ``_execute_mock_call`` and both
   properties. Anything else calls ``self._mock_call``, as the stdlib does:
   side effects, wrapped objects, the first call that makes the return
   value, ``AsyncMock``'s awaitable.

A mock with one of those methods set on itself (in its ``__dict__``) gets
the stdlib's ``__call__`` whole. The code of every stdlib method and
property this stands in for is probed at import, as the recording's is:
an interpreter whose code reads other names keeps the stdlib's
``__call__`` (:data:`CALLS_DIRECTLY` is false).
"""

from __future__ import annotations

from typing import Any

from mockpool._autospec.plain.call_recording import RECORDS_DIRECTLY, record_call
from mockpool._autospec.plain.stdlib import (
    CallableMixin,
    NonCallableMock,
    code_names,
    mock_module,
    own,
    stdlib_call,
    stdlib_increment,
)

__all__ = ["CALLS_DIRECTLY", "accelerated_call"]

_CHECK_SIG_STUB: Any = own(CallableMixin, "_mock_check_sig")
_MOCK_CALL: Any = own(CallableMixin, "_mock_call")
_EXECUTE: Any = own(CallableMixin, "_execute_mock_call")
_SIDE_EFFECT: Any = own(NonCallableMock, "side_effect")
_RETURN_VALUE: Any = own(NonCallableMock, "return_value")

# The names each stand-in's code reads on 3.9-3.13 (two versions where
# 3.13 differs: it asks the delegate, and the wrapped object, only when
# the return value is DEFAULT -- a case left to the stdlib here).
_ARGUMENTS = ("self", "args", "kwargs")
_KNOWN: dict[str, list[tuple[Any, Any]]] = {
    "__call__": [
        (_ARGUMENTS, ("_mock_check_sig", "_increment_mock_call", "_mock_call"))
    ],
    "_mock_call": [(_ARGUMENTS, ("_execute_mock_call",))],
    "_mock_check_sig": [(_ARGUMENTS, ())],
    "_execute_mock_call": [
        (
            (*_ARGUMENTS, "effect", "result"),
            (
                "side_effect",
                "_is_exception",
                "_callable",
                "next",
                "DEFAULT",
                "_mock_return_value",
                "return_value",
                *delegate,
                "_mock_wraps",
            ),
        )
        for delegate in ((), ("_mock_delegate",))
    ],
    "side_effect": [
        (
            ("self", "delegated", "sf"),
            (
                "_mock_delegate",
                "_mock_side_effect",
                "side_effect",
                "callable",
                "isinstance",
                "_MockIter",
                "_is_exception",
            ),
        )
    ],
    "return_value": [
        (
            ("self", "ret"),
            (
                "_mock_return_value",
                "_mock_delegate",
                "return_value",
                "DEFAULT",
                *wraps,
                "_get_child_mock",
            ),
        )
        for wraps in ((), ("_mock_wraps",))
    ],
}


def _calls_directly() -> bool:
    if not RECORDS_DIRECTLY:
        return False
    found = {
        "__call__": stdlib_call,
        "_mock_call": _MOCK_CALL,
        "_mock_check_sig": _CHECK_SIG_STUB,
        "_execute_mock_call": _EXECUTE,
        "side_effect": getattr(_SIDE_EFFECT, "fget", None),
        "return_value": getattr(_RETURN_VALUE, "fget", None),
    }
    if not all(type(each) is property for each in (_SIDE_EFFECT, _RETURN_VALUE)):
        return False
    return all(code_names(function) in _KNOWN[name] for name, function in found.items())


#: Whether this interpreter's ``__call__`` and what it calls are the ones
#: stood in for (the switch installs :func:`accelerated_call` only then).
CALLS_DIRECTLY = _calls_directly()

# Methods a test may set on a mock itself; the stdlib's __call__ then
# finds them there.
_METHODS = (
    "_mock_check_sig",
    "_increment_mock_call",
    "_mock_call",
    "_execute_mock_call",
)
# Not None: an entry the mock lacks takes the stdlib's way.
_MISSING = object()


def accelerated_call(self: Any, /, *args: Any, **kwargs: Any) -> Any:
    namespace = self.__dict__
    if not namespace.keys().isdisjoint(_METHODS):
        return stdlib_call(self, *args, **kwargs)
    kind = type(self)
    # 1. The signature check of an autospec's class.
    if kind._mock_check_sig is not _CHECK_SIG_STUB:
        self._mock_check_sig(*args, **kwargs)
    # 2. The records.
    if kind._increment_mock_call is not stdlib_increment or not record_call(
        self, kind, namespace, args, kwargs
    ):
        self._increment_mock_call(*args, **kwargs)
    # 3. The outcome: _execute_mock_call's first return, when it is all
    # that method would do (read after the records, as the stdlib reads it).
    if (
        kind._mock_call is _MOCK_CALL
        and kind._execute_mock_call is _EXECUTE
        and kind.side_effect is _SIDE_EFFECT
        and kind.return_value is _RETURN_VALUE
        and namespace.get("_mock_side_effect", _MISSING) is None
        and namespace.get("_mock_delegate", _MISSING) is None
    ):
        # Read from the module on every call, as the stdlib reads its global.
        default = mock_module.DEFAULT
        value = namespace.get("_mock_return_value", default)
        if value is not default:
            return value
    return self._mock_call(*args, **kwargs)
