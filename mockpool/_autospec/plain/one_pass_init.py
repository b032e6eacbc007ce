"""``CallableMixin.__init__`` and ``NonCallableMock.__init__`` in one pass.

The two (the same code on 3.9-3.13) write about twenty entries of the
mock's ``__dict__``, through a chain of ``super()`` calls and, for
``side_effect``, the mock's own ``__setattr__`` and a property. For the
common call -- none of its arguments for ``configure_mock`` -- the same
entries are written here, directly, in the same order, with the same
values; a mock without a spec gets its recorded spec outcome written
directly too. The code of both is probed (the names they read and call,
and so ``CallableMixin.__init__``'s parameters, whose order the one-pass
``__init__`` repeats so that positional arguments bind alike): an
interpreter whose ``__init__`` differs keeps the stdlib's (:data:`ONE_PASS`
is false).
"""

from __future__ import annotations

# Bound at import: a test may patch a builtin while mockpool works for it.
from builtins import getattr, zip  # noqa: UP029
from typing import Any

from mockpool._autospec.plain.construction import (
    CALLABLE_INIT_PARAMETERS,
    SETATTR_REPLACEMENT,
)
from mockpool._autospec.plain.spec_records import accelerated_add_spec, no_spec_record
from mockpool._autospec.plain.stdlib import (
    DEFAULT,
    STDLIB_CLASSES,
    code_names,
    mock_module,
    stdlib_callable_init,
    stdlib_noncallable_init,
)

__all__ = ["ONE_PASS", "accelerated_callable_init"]


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
        code_names(stdlib_callable_init),
        code_names(stdlib_noncallable_init),
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
    *args: Any,
    _spec_as_instance: Any = _UNSET,
    _eat_self: Any = _UNSET,
    unsafe: Any = _UNSET,
    **kwargs: Any,
) -> None:
    # The parameters of CallableMixin.__init__, in its order, so that
    # positional arguments bind as they would there; NonCallableMock's own
    # three are keywords. A marker for "not given" lets the stdlib get the
    # call it was given. (Defaults of keyword-only parameters cost more per
    # call than positional ones: hence not all keyword-only.)
    own_class = type(self)
    if (
        args
        or kwargs
        or own_class.__bases__[-1] not in STDLIB_CLASSES
        or own_class.__setattr__ is not SETATTR_REPLACEMENT
        or mock_module.NonCallableMock.__init__ is not stdlib_noncallable_init
    ):
        _stdlib_init(
            self,
            (
                spec,
                side_effect,
                return_value,
                wraps,
                name,
                spec_set,
                parent,
                _spec_state,
                _new_name,
                _new_parent,
            ),
            args,
            (_spec_as_instance, _eat_self, unsafe),
            kwargs,
        )
        return
    if spec_set is _UNSET or spec_set is None:
        spec_set = None
        if spec is _UNSET:
            spec = None
    else:
        spec = spec_set
        spec_set = True
    if parent is _UNSET:
        parent = None
    if _new_parent is _UNSET or _new_parent is None:
        _new_parent = parent
    state = self.__dict__
    # CallableMixin.__init__
    state["_mock_return_value"] = DEFAULT if return_value is _UNSET else return_value
    # NonCallableMock.__init__
    state["_mock_parent"] = parent
    state["_mock_name"] = None if name is _UNSET else name
    state["_mock_new_name"] = "" if _new_name is _UNSET else _new_name
    state["_mock_new_parent"] = _new_parent
    state["_mock_sealed"] = False
    record = None
    if (
        spec is None
        and getattr(own_class._mock_add_spec, "__code__", None) is _ADD_SPEC_CODE
    ):
        # No spec, the common case: what the replaced _mock_add_spec would
        # write (as SpecRecord.write does), without the calls to get there.
        record = no_spec_record()
    if record is None or record.methods is not None:
        if _eat_self is _UNSET or _eat_self is None:
            _eat_self = parent is not None
        if _spec_as_instance is _UNSET:
            _spec_as_instance = False
        self._mock_add_spec(spec, spec_set, _spec_as_instance, _eat_self)
    else:
        state["_spec_class"] = record.spec_class
        state["_spec_set"] = spec_set
        state["_spec_signature"] = record.spec_signature
        state["_mock_methods"] = None
        state["_spec_asyncs"] = list(record.spec_asyncs)
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


# A call that binds badly here (a keyword that repeats a positional
# argument) raises as CallableMixin.__init__ would: 3.9 and 3.10 name the
# function in the message by its code's name, later ones by the function's
# qualified name (the switch's disguise gives it the stdlib's).
accelerated_callable_init.__code__ = accelerated_callable_init.__code__.replace(
    co_name=stdlib_callable_init.__name__ if stdlib_callable_init else "__init__"
)

_NONCALLABLE_KEYWORDS = ("_spec_as_instance", "_eat_self", "unsafe")


def _stdlib_init(
    self: Any,
    named: tuple[Any, ...],
    args: tuple[Any, ...],
    keywords: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """The stdlib's ``CallableMixin.__init__``, called as we were."""
    given = {
        key: value
        for key, value in zip(_NONCALLABLE_KEYWORDS, keywords)
        if value is not _UNSET
    }
    if args:
        # More positional arguments than CallableMixin.__init__ names: all
        # of those were given positionally (its error, if any, is its own).
        stdlib_callable_init(self, *named, *args, **given, **kwargs)
        return
    # Each named one given positionally binds to the same name there (the
    # names read from its code: ONE_PASS holds only if they are this
    # function's, in this order).
    for key, value in zip(CALLABLE_INIT_PARAMETERS, named):
        if value is not _UNSET:
            given[key] = value
    stdlib_callable_init(self, **given, **kwargs)
