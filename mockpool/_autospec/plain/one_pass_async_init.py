"""``AsyncMockMixin.__init__`` in one pass.

After the rest of the mock's ``__init__`` (reached through ``super()``, with
the call unchanged), the stdlib's ``AsyncMockMixin.__init__`` writes four
entries, builds a ``NonCallableMock`` to stand for the function's
``__code__`` -- through ``NonCallableMock.__new__`` (which asks whether the
spec is async), ``NonCallableMock.__init__``, ``_mock_add_spec`` and, per
``co_*`` attribute, the mock's ``__setattr__`` (each a walk of the spec's
names) -- and, since 3.10, four function attributes. Here the code mock
gets its class as any accelerated ``NonCallableMock`` does (a dropped
mock's, when nothing can tell) and the recorded spec outcome, and every
entry is written directly: the same entries, in the same order, with the
same values (the constants are the stdlib function's own objects).

Each Python's ``__init__`` differs (:data:`KNOWN_VARIANTS`); the running
one's is recognised by the names and constants its code reads, and an
interpreter whose code is not among them keeps the stdlib's (:data:`VARIANT`
is ``None``). So does a call while a helper it reads has been replaced (a
test that patches ``NonCallableMock.__init__``, say).
"""

from __future__ import annotations

# Bound at import: a test may patch a builtin while mockpool works for it.
from builtins import all, dir, getattr, isinstance, len, object  # noqa: UP029
from typing import Any, NamedTuple

from mockpool._autospec.plain.class_reuse import shape_of
from mockpool._autospec.plain.construction import SETATTR_REPLACEMENT, accelerated_new
from mockpool._autospec.plain.one_pass_init import ONE_PASS
from mockpool._autospec.plain.spec_records import accelerated_add_spec
from mockpool._autospec.plain.stdlib import (
    AsyncMockMixin,
    NonCallableMock,
    mock_module,
    stdlib_async_mock_init,
    stdlib_noncallable_init,
)

__all__ = [
    "KNOWN_VARIANTS",
    "VARIANT",
    "AsyncInitVariant",
    "accelerated_async_init",
    "variant_of",
]


class AsyncInitVariant(NamedTuple):
    """What one Python's ``AsyncMockMixin.__init__`` does, and its code."""

    #: Where it was first seen (for readers; matching is by the code).
    python: str
    #: ``co_names`` of the stdlib function.
    names: tuple[str, ...]
    #: ``co_consts`` of the stdlib function.
    constants: tuple[Any, ...]
    #: The code mock's spec: ``unittest.mock``'s global of this name.
    code_spec: str
    #: ``_spec_class`` and ``_spec_signature`` written over the spec's.
    code_spec_class: bool
    #: ``co_*`` attributes set on the code mock, in order.
    code_attributes: tuple[str, ...]
    #: ``co_flags`` adds ``CO_VARARGS`` and ``CO_VARKEYWORDS``.
    varargs_flags: bool
    #: ``__name__``, ``__defaults__``, ``__kwdefaults__`` and
    #: ``__annotations__`` written after ``__code__``.
    function_attributes: bool
    #: The code mock's spec is used only if ``_CODE_SIG`` is true.
    checks_code_signature: bool


_AWAIT_CONSTANTS = (
    None,
    "_is_coroutine",
    0,
    "_mock_await_count",
    "_mock_await_args",
    "_mock_await_args_list",
    ("spec_set",),
)
_FUNCTION_CONSTANTS = (
    "__code__",
    "AsyncMock",
    "__name__",
    "__defaults__",
    "__kwdefaults__",
    "__annotations__",
)
_HEAD_NAMES = (
    "super",
    "__init__",
    "asyncio",
    "coroutines",
    "_is_coroutine",
    "__dict__",
    "_CallList",
)
_ALL_FLAGS = ("CO_COROUTINE", "CO_VARARGS", "CO_VARKEYWORDS")
_CODE_ATTRIBUTES = (
    "co_flags",
    "co_argcount",
    "co_varnames",
    "co_posonlyargcount",
    "co_kwonlyargcount",
)

#: Every ``AsyncMockMixin.__init__`` this module writes in one pass.
KNOWN_VARIANTS = (
    AsyncInitVariant(
        python="3.9",
        names=(
            *_HEAD_NAMES,
            "NonCallableMock",
            "CodeType",
            "inspect",
            "CO_COROUTINE",
            "co_flags",
        ),
        constants=(*_AWAIT_CONSTANTS, "__code__"),
        code_spec="CodeType",
        code_spec_class=False,
        code_attributes=("co_flags",),
        varargs_flags=False,
        function_attributes=False,
        checks_code_signature=False,
    ),
    AsyncInitVariant(
        python="3.10",
        names=(
            *_HEAD_NAMES,
            "NonCallableMock",
            "CodeType",
            "inspect",
            "CO_COROUTINE",
            "co_flags",
            "tuple",
        ),
        constants=(*_AWAIT_CONSTANTS, *_FUNCTION_CONSTANTS),
        code_spec="CodeType",
        code_spec_class=False,
        code_attributes=("co_flags",),
        varargs_flags=False,
        function_attributes=True,
        checks_code_signature=False,
    ),
    AsyncInitVariant(
        python="3.11",
        names=(
            *_HEAD_NAMES,
            "NonCallableMock",
            "CodeType",
            "inspect",
            *_ALL_FLAGS,
            *_CODE_ATTRIBUTES,
            "tuple",
        ),
        constants=(*_AWAIT_CONSTANTS, ("args", "kwargs"), *_FUNCTION_CONSTANTS),
        code_spec="CodeType",
        code_spec_class=False,
        code_attributes=_CODE_ATTRIBUTES,
        varargs_flags=True,
        function_attributes=True,
        checks_code_signature=False,
    ),
    AsyncInitVariant(
        python="3.12",
        names=(
            *_HEAD_NAMES,
            "NonCallableMock",
            "_CODE_ATTRS",
            "CodeType",
            "_CODE_SIG",
            "inspect",
            *_ALL_FLAGS,
            *_CODE_ATTRIBUTES,
            "tuple",
        ),
        constants=(
            *_AWAIT_CONSTANTS,
            "_spec_class",
            "_spec_signature",
            ("args", "kwargs"),
            *_FUNCTION_CONSTANTS,
        ),
        code_spec="_CODE_ATTRS",
        code_spec_class=True,
        code_attributes=_CODE_ATTRIBUTES,
        varargs_flags=True,
        function_attributes=True,
        checks_code_signature=False,
    ),
    AsyncInitVariant(
        python="3.13",
        names=(
            *_HEAD_NAMES,
            "_CODE_SIG",
            "NonCallableMock",
            "_CODE_ATTRS",
            "CodeType",
            "inspect",
            *_ALL_FLAGS,
            *_CODE_ATTRIBUTES,
            "tuple",
        ),
        constants=(
            *_AWAIT_CONSTANTS,
            "_spec_class",
            "_spec_signature",
            ("args", "kwargs"),
            *_FUNCTION_CONSTANTS,
        ),
        code_spec="_CODE_ATTRS",
        code_spec_class=True,
        code_attributes=_CODE_ATTRIBUTES,
        varargs_flags=True,
        function_attributes=True,
        checks_code_signature=True,
    ),
)


def variant_of(init: Any) -> AsyncInitVariant | None:
    """The variant whose code *init* (an ``AsyncMockMixin.__init__``) has.

    ``None`` for any other function, or if ``unittest.mock`` lacks what
    that variant's code mock reads.
    """
    code = getattr(init, "__code__", None)
    if code is None:
        return None
    for variant in KNOWN_VARIANTS:
        if code.co_names == variant.names and code.co_consts == variant.constants:
            spec = getattr(mock_module, variant.code_spec, None)
            if spec is None:
                return None
            # __setattr__ would refuse a name the spec lacks.
            names = spec if isinstance(spec, list) else dir(spec)
            if all(name in names for name in variant.code_attributes):
                return variant
    return None


def _running_variant() -> AsyncInitVariant | None:
    """The variant of this interpreter's ``__init__``, or ``None``."""
    if not ONE_PASS:
        # The code mock's NonCallableMock.__init__ is written as
        # one_pass_init writes it: only where that one is known.
        return None
    return variant_of(stdlib_async_mock_init)


VARIANT = _running_variant()


def _stdlib_constant(value: Any) -> Any:
    """The stdlib function's own constant equal to *value* (same object)."""
    if VARIANT is None:
        return value
    for constant in stdlib_async_mock_init.__code__.co_consts:
        if type(constant) is type(value) and constant == value:
            return constant
    return value


_CODE_VARNAMES = _stdlib_constant(("args", "kwargs"))
_FUNCTION_NAME = _stdlib_constant("AsyncMock")

# The code of the replacements the switch installs (disguised copies): a
# code mock is built here only while they are in place.
_NEW_CODE = accelerated_new.__code__
_ADD_SPEC_CODE = accelerated_add_spec.__code__
_object_new = object.__new__


def _code_mock_needs_stdlib(module: Any, variant: AsyncInitVariant) -> bool:
    """Whether ``NonCallableMock(spec_set=...)`` may not be built here.

    A test may have replaced a piece of it (the class in the module, its
    ``__init__``, ``__new__``, ``__setattr__`` or ``_mock_add_spec``), or
    (3.13) the code signature the stdlib tests for.
    """
    return (
        module.NonCallableMock is not NonCallableMock
        or NonCallableMock.__init__ is not stdlib_noncallable_init
        or NonCallableMock.__setattr__ is not SETATTR_REPLACEMENT
        or getattr(NonCallableMock.__new__, "__code__", None) is not _NEW_CODE
        or getattr(NonCallableMock._mock_add_spec, "__code__", None)
        is not _ADD_SPEC_CODE
        or (variant.checks_code_signature and not module._CODE_SIG)
    )


def _code_mock(module: Any, variant: AsyncInitVariant) -> Any:
    """``NonCallableMock(spec_set=spec)`` and its ``co_*`` attributes set."""
    spec = getattr(module, variant.code_spec)
    # NonCallableMock.__new__: the spec (a list of names or CodeType) is
    # never async, so the class is a plain NonCallableMock's.
    entry, code_class = shape_of(NonCallableMock, (NonCallableMock,), None).entry()
    code_mock: Any = _object_new(code_class)
    entry.serve(code_mock)
    # NonCallableMock.__init__(spec_set=spec): spec becomes spec, spec_set
    # True; no parent, so _eat_self is False.
    state = code_mock.__dict__
    state["_mock_parent"] = None
    state["_mock_name"] = None
    state["_mock_new_name"] = ""
    state["_mock_new_parent"] = None
    state["_mock_sealed"] = False
    accelerated_add_spec(code_mock, spec, True, False, False)
    call_list = module._CallList
    state["_mock_children"] = {}
    state["_mock_wraps"] = None
    state["_mock_delegate"] = None
    state["_mock_called"] = False
    state["_mock_call_args"] = None
    state["_mock_call_count"] = 0
    state["_mock_call_args_list"] = call_list()
    state["_mock_mock_calls"] = call_list()
    state["method_calls"] = call_list()
    state["_mock_unsafe"] = False
    if variant.code_spec_class:
        state["_spec_class"] = module.CodeType
        state["_spec_signature"] = module._CODE_SIG
    # Each co_* through __setattr__: a name of the spec, a plain value, an
    # unsealed mock -- it ends in the instance's dict.
    inspect = module.inspect
    flags = inspect.CO_COROUTINE
    if variant.varargs_flags:
        flags = flags + inspect.CO_VARARGS + inspect.CO_VARKEYWORDS
    state["co_flags"] = flags
    if len(variant.code_attributes) > 1:
        state["co_argcount"] = 0
        state["co_varnames"] = _CODE_VARNAMES
        state["co_posonlyargcount"] = 0
        state["co_kwonlyargcount"] = 0
    return code_mock


def accelerated_async_init(self: Any, /, *args: Any, **kwargs: Any) -> None:
    variant = VARIANT
    module = mock_module
    if variant is None or _code_mock_needs_stdlib(module, variant):
        stdlib_async_mock_init(self, *args, **kwargs)
        return
    super(AsyncMockMixin, self).__init__(*args, **kwargs)
    # Through __dict__, as the stdlib does: spec_set may refuse the names.
    state = self.__dict__
    state["_is_coroutine"] = module.asyncio.coroutines._is_coroutine
    state["_mock_await_count"] = 0
    state["_mock_await_args"] = None
    state["_mock_await_args_list"] = module._CallList()
    state["__code__"] = _code_mock(module, variant)
    if variant.function_attributes:
        state["__name__"] = _FUNCTION_NAME
        state["__defaults__"] = ()
        state["__kwdefaults__"] = {}
        state["__annotations__"] = None
