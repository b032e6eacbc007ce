"""A mock's call recorded directly, as ``_increment_mock_call`` records it.

Every call of a mock records itself. The stdlib's ``_increment_mock_call``
(the same code on 3.9-3.13) sets ``called``, ``call_count`` and
``call_args`` and appends to ``call_args_list`` and ``mock_calls``, each a
``_delegating_property`` reached through the mock's own ``__setattr__``:
two or three Python frames per write, five per call. On a public suite
whose mocks the fast path builds cheaply (ncclient), recording calls was
then the largest part of ``mock.py``'s work left in its tests.

:func:`record_call` is that method's work for the accelerated ``__call__``
(:mod:`.calling`). For a mock with no delegate (every mock but the
stdlib's autospec of a function), whose class keeps ``NonCallableMock``'s
``__setattr__`` (the stdlib's, or the fast path's, which passes these five
names on as the stdlib's does: they are ``_allowed_names``) and its five
properties, the same ``__dict__`` entries are written here directly, in
the same order, with the same values -- once every entry the stdlib would
read is found there. The walk up the parents is the stdlib's, unchanged.
Anything else is left to the stdlib's method. Its code is probed: on an
interpreter whose method reads or calls other names, :data:`RECORDS_DIRECTLY`
is false and the stdlib's ``__call__`` is kept whole.

The records themselves (``_Call`` objects, two per call and two per
parent) are made as ``_Call``'s ``__new__`` and ``__init__`` make them from
the tuples a call gives them -- the same tuple, and the three attributes
``__init__`` sets, with its defaults -- while both are the stdlib's (their
code probed too, and checked at every call).
"""

from __future__ import annotations

from typing import Any

from mockpool._autospec.plain.construction import SETATTR_REPLACEMENT
from mockpool._autospec.plain.stdlib import (
    NonCallableMock,
    code_names,
    mock_module,
    own,
    stdlib_increment,
    stdlib_setattr,
)

__all__ = ["RECORDS_DIRECTLY", "record_call"]

# The locals and names the stdlib's method has on 3.9-3.13, whose steps
# the code below takes in the same order (its writes and records made
# directly).
_KNOWN_CODE = (
    (
        "self",
        "args",
        "kwargs",
        "_call",
        "do_method_calls",
        "method_call_name",
        "mock_call_name",
        "is_a_call",
        "_new_parent",
        "this_mock_call",
        "dot",
    ),
    (
        "called",
        "call_count",
        "_Call",
        "call_args",
        "call_args_list",
        "append",
        "_mock_parent",
        "_mock_name",
        "_mock_new_name",
        "mock_calls",
        "_mock_new_parent",
        "method_calls",
    ),
)
# The five attributes written, and the names the stdlib's __setattr__ lets
# straight through to them.
_RECORDED = ("called", "call_count", "call_args", "call_args_list", "mock_calls")


_Call: Any = getattr(mock_module, "_Call", None)
# _Call's __new__ and __init__, and what their code is on 3.9-3.13 (with
# their defaults): the record made below is what they make of a call's
# tuples only then.
_CALL_NEW: Any = getattr(_Call, "__new__", None)
_CALL_INIT: Any = getattr(_Call, "__init__", None)
_KNOWN_CALL_CODE = (
    (
        (
            (
                "cls",
                "value",
                "name",
                "parent",
                "two",
                "from_kall",
                "args",
                "kwargs",
                "_len",
                "first",
                "second",
            ),
            ("len", "isinstance", "str", "tuple", "__new__"),
        ),
        ((), "", None, False, True),
    ),
    (
        (
            ("self", "value", "name", "parent", "two", "from_kall"),
            ("_mock_name", "_mock_parent", "_mock_from_kall"),
        ),
        ((), None, None, False, True),
    ),
)


def _records_directly() -> bool:
    made_by = tuple(
        (code_names(function), getattr(function, "__defaults__", None))
        for function in (_CALL_NEW, _CALL_INIT)
    )
    if (
        code_names(stdlib_increment) != _KNOWN_CODE
        or _Call is None
        or made_by != _KNOWN_CALL_CODE
    ):
        return False
    allowed = getattr(mock_module, "_allowed_names", ())
    properties = [own(NonCallableMock, name) for name in _RECORDED]
    return all(name in allowed for name in _RECORDED) and all(
        type(found) is property for found in properties
    )


#: Whether this interpreter's ``_increment_mock_call`` is the one copied
#: (:func:`record_call` may be used only then).
RECORDS_DIRECTLY = _records_directly()

if RECORDS_DIRECTLY:
    (_CALLED, _CALL_COUNT, _CALL_ARGS, _CALL_ARGS_LIST, _MOCK_CALLS) = (
        NonCallableMock.__dict__[name] for name in _RECORDED
    )


def record_call(
    self: Any, kind: Any, namespace: dict[str, Any], args: Any, kwargs: Any
) -> bool:
    """Record a call of *self* (of class *kind*, with ``__dict__``
    *namespace*) as the stdlib's ``_increment_mock_call(*args, **kwargs)``
    would; False, having written nothing, where that method must run
    instead. The caller has checked that *kind*'s ``_increment_mock_call``
    is the stdlib's and that the mock has none of its own."""
    setattr_of_kind = kind.__setattr__
    if (
        (
            setattr_of_kind is not SETATTR_REPLACEMENT
            and setattr_of_kind is not stdlib_setattr
        )
        or kind.called is not _CALLED
        or kind.call_count is not _CALL_COUNT
        or kind.call_args is not _CALL_ARGS
        or kind.call_args_list is not _CALL_ARGS_LIST
        or kind.mock_calls is not _MOCK_CALLS
        # A test may have patched mock._Call, or a method of it; then the
        # stdlib's method makes the records.
        or mock_module._Call is not _Call
        or _Call.__new__ is not _CALL_NEW
        or _Call.__init__ is not _CALL_INIT
    ):
        return False
    try:
        # Everything the stdlib would read here, read first: where one is
        # missing (a mock whose __init__ never ran), the stdlib's method
        # runs, and fails as it fails.
        delegate = namespace["_mock_delegate"]
        count = namespace["_mock_call_count"]
        call_args_list = namespace["_mock_call_args_list"]
        mock_calls = namespace["_mock_mock_calls"]
        parent = namespace["_mock_parent"]
        method_call_name = namespace["_mock_name"]
        mock_call_name = namespace["_mock_new_name"]
        _new_parent = namespace["_mock_new_parent"]
    except KeyError:
        return False
    if delegate is not None:
        # An autospecced function's mock: its records live on the delegate.
        return False
    # self.called = True; self.call_count += 1 (the properties' setters).
    namespace["_mock_called"] = True
    namespace["_mock_call_count"] = count + 1

    # From here, the stdlib's method, its property writes made directly.
    _call = _record((args, kwargs))  # _Call((args, kwargs), two=True)
    namespace["_mock_call_args"] = _call
    call_args_list.append(_call)

    do_method_calls = parent is not None
    is_a_call = mock_call_name == "()"
    mock_calls.append(_record(("", args, kwargs)))

    while _new_parent is not None:
        if do_method_calls:
            _new_parent.method_calls.append(_record((method_call_name, args, kwargs)))
            do_method_calls = _new_parent._mock_parent is not None
            if do_method_calls:
                method_call_name = _new_parent._mock_name + "." + method_call_name

        this_mock_call = _record((mock_call_name, args, kwargs))
        _new_parent.mock_calls.append(this_mock_call)

        if _new_parent._mock_new_name:
            dot = "" if is_a_call else "."
            is_a_call = _new_parent._mock_new_name == "()"
            mock_call_name = _new_parent._mock_new_name + dot + mock_call_name

        _new_parent = _new_parent._mock_new_parent
    return True


_new_tuple = tuple.__new__


def _record(value: tuple[Any, ...]) -> Any:
    """``_Call(value)`` for a call's ``(name, args, kwargs)``, and
    ``_Call(value, two=True)`` for its ``(args, kwargs)``: both make the
    tuple *value* itself (``args`` is a tuple, never a name), and
    ``__init__`` sets its three attributes to its defaults, in this order."""
    record = _new_tuple(_Call, value)
    record._mock_name = None
    record._mock_parent = None
    record._mock_from_kall = True
    return record
