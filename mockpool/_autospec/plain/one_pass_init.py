"""``CallableMixin.__init__`` and ``NonCallableMock.__init__`` in one pass.

The two (the same code on 3.9-3.13) write about twenty entries of the
mock's ``__dict__``, through a chain of ``super()`` calls and, for
``side_effect``, the mock's own ``__setattr__`` and a property. For the
common call -- keywords only, none for ``configure_mock`` -- the same
entries are written here, directly, in the same order, with the same
values. The code of both is probed (the names they read and call): an
interpreter whose ``__init__`` differs keeps the stdlib's
(:data:`ONE_PASS` is false).
"""

from __future__ import annotations

# Bound at import: a test may patch a builtin while mockpool works for it.
from builtins import getattr
from typing import Any

from mockpool._autospec.plain.construction import SETATTR_REPLACEMENT
from mockpool._autospec.plain.spec_records import accelerated_add_spec, no_spec_record
from mockpool._autospec.plain.stdlib import (
    DEFAULT,
    STDLIB_CLASSES,
    mock_module,
    stdlib_callable_init,
    stdlib_noncallable_init,
)

__all__ = ["ONE_PASS", "accelerated_callable_init"]


def _names_of(function: Any) -> tuple[Any, ...]:
    code = function.__code__
    return (code.co_varnames, code.co_names)


# What the two __init__ read and call, on every interpreter whose
# __init__ this copies; another one keeps the stdlib's.
_KNOWN_INIT_NAMES = (
    (
        (
            "self",
            "spec",
            "side_effect",
            "return_value",
            "wraps",
            "name",
            "spec_set",
            "parent",
            "_spec_state",
            "_new_name",
            "_new_parent",
            "kwargs",
        ),
        ("__dict__", "_safe_super", "CallableMixin", "__init__", "side_effect"),
    ),
    (
        (
            "self",
            "spec",
            "wraps",
            "name",
            "spec_set",
            "parent",
            "_spec_state",
            "_new_name",
            "_new_parent",
            "_spec_as_instance",
            "_eat_self",
            "unsafe",
            "kwargs",
            "__dict__",
        ),
        (
            "__dict__",
            "_mock_add_spec",
            "_CallList",
            "configure_mock",
            "_safe_super",
            "NonCallableMock",
            "__init__",
        ),
    ),
)


def _one_pass_known() -> bool:
    if stdlib_callable_init is None:
        return False
    found = (
        _names_of(stdlib_callable_init),
        _names_of(stdlib_noncallable_init),
    )
    return found == _KNOWN_INIT_NAMES


ONE_PASS = _one_pass_known()


# The code of the _mock_add_spec the switch installs (a disguised copy of
# accelerated_add_spec): a mock whose class has it may skip the call.
_ADD_SPEC_CODE = accelerated_add_spec.__code__

#: "Not given", for the one-pass __init__'s keywords.
_UNSET: Any = object()


def accelerated_callable_init(
    self: Any,
    /,
    *args: Any,
    spec: Any = _UNSET,
    side_effect: Any = _UNSET,
    return_value: Any = _UNSET,
    wraps: Any = _UNSET,
    name: Any = _UNSET,
    spec_set: Any = _UNSET,
    parent: Any = _UNSET,
    _spec_state: Any = _UNSET,
    _new_name: Any = _UNSET,
    _new_parent: Any = _UNSET,
    _spec_as_instance: Any = _UNSET,
    _eat_self: Any = _UNSET,
    unsafe: Any = _UNSET,
    **kwargs: Any,
) -> None:
    # Keyword-only parameters with a marker for "not given": binding never
    # fails here, and the stdlib gets exactly the call it was given.
    own_class = type(self)
    if (
        args
        or kwargs
        or own_class.__bases__[-1] not in STDLIB_CLASSES
        or own_class.__setattr__ is not SETATTR_REPLACEMENT
        or mock_module.NonCallableMock.__init__ is not stdlib_noncallable_init
    ):
        given = {
            key: value
            for key, value in (
                ("spec", spec),
                ("side_effect", side_effect),
                ("return_value", return_value),
                ("wraps", wraps),
                ("name", name),
                ("spec_set", spec_set),
                ("parent", parent),
                ("_spec_state", _spec_state),
                ("_new_name", _new_name),
                ("_new_parent", _new_parent),
                ("_spec_as_instance", _spec_as_instance),
                ("_eat_self", _eat_self),
                ("unsafe", unsafe),
            )
            if value is not _UNSET
        }
        stdlib_callable_init(self, *args, **given, **kwargs)
        return
    if spec is _UNSET:
        spec = None
    if spec_set is _UNSET:
        spec_set = None
    if parent is _UNSET:
        parent = None
    if _new_parent is _UNSET:
        _new_parent = None
    state = self.__dict__
    # CallableMixin.__init__
    state["_mock_return_value"] = DEFAULT if return_value is _UNSET else return_value
    # NonCallableMock.__init__
    if _new_parent is None:
        _new_parent = parent
    state["_mock_parent"] = parent
    state["_mock_name"] = None if name is _UNSET else name
    state["_mock_new_name"] = "" if _new_name is _UNSET else _new_name
    state["_mock_new_parent"] = _new_parent
    state["_mock_sealed"] = False
    if spec_set is not None:
        spec = spec_set
        spec_set = True
    if _eat_self is _UNSET or _eat_self is None:
        _eat_self = parent is not None
    if _spec_as_instance is _UNSET:
        _spec_as_instance = False
    record = None
    if (
        spec is None
        and getattr(own_class._mock_add_spec, "__code__", None) is _ADD_SPEC_CODE
    ):
        # No spec, the common case: what the replaced _mock_add_spec would
        # write, without the calls to get there.
        record = no_spec_record()
    if record is None:
        self._mock_add_spec(spec, spec_set, _spec_as_instance, _eat_self)
    else:
        record.write(self, None, spec_set)
    call_list = mock_module._CallList
    state["_mock_children"] = {}
    state["_mock_wraps"] = None if wraps is _UNSET else wraps
    state["_mock_delegate"] = None
    state["_mock_called"] = False
    state["_mock_call_args"] = None
    state["_mock_call_count"] = 0
    state["_mock_call_args_list"] = call_list()
    state["_mock_mock_calls"] = call_list()
    state["method_calls"] = call_list()
    state["_mock_unsafe"] = False if unsafe is _UNSET else unsafe
    # Base.__init__ takes anything and does nothing. Then CallableMixin's
    # ``self.side_effect = side_effect``: for None, what the property
    # writes with no delegate.
    if side_effect is _UNSET or side_effect is None:
        state["_mock_side_effect"] = None
    else:
        self.side_effect = side_effect
