"""Frozen records: dataclasses whose methods are written, not generated.

``@dataclasses.dataclass(frozen=True)`` writes the source of six methods
for each class (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__``, ``__delattr__``) and compiles each with :func:`exec`:
about 4 million instructions a class on CPython 3.11, and the same on 3.13.
A dozen records made a quarter of the CPU of ``import mockpool``, which a
suite pays for before its first test (the run report counts it as
mockpool's own work).

:func:`frozen_record` gives a class the same behaviour at a plain class's
cost. It asks :func:`dataclasses.dataclass` for the bookkeeping only
(``init=False, repr=False, eq=False``: no code is generated), so that
:func:`dataclasses.fields`, :func:`~dataclasses.replace`,
:func:`~dataclasses.asdict` and :func:`~dataclasses.is_dataclass` work as
before, and ``__match_args__`` is set; then it adds ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__`` that do what
the generated ones do, as closures over the field names (made, not
compiled). The class writes its own ``__init__`` -- the one method whose
signature, defaults and ``TypeError`` messages users see, which Python
gives a written function exactly as it gives a generated one -- and sets
its fields with :func:`fill`. Checks in ``__post_init__`` go at the end of
``__init__``.

What differs from a generated dataclass: nothing a caller of the class can
see, apart from ``__init__``'s annotations being strings (as every
annotation of a module with ``from __future__ import annotations``).
"""

from __future__ import annotations

import dataclasses

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import getattr, hash, len, repr, tuple, type, vars, zip  # noqa: UP029
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_options: object) -> Callable[[Any], Any]:
        """At run time a no-op: the marker is for type checkers only (and
        importing ``typing_extensions`` costs more than this module)."""
        return lambda decorator: decorator


__all__ = ["FACTORY", "fill", "frozen_record"]

_Record = TypeVar("_Record", bound=type)

#: Where a record keeps the names of its fields, in order.
FIELD_NAMES = "__record_fields__"
# Where it keeps the default_factory of each field that has one.
_FACTORIES = "__record_factories__"

_set = object.__setattr__
_FrozenInstanceError = dataclasses.FrozenInstanceError


@overload
def frozen_record(cls: _Record, /) -> _Record: ...
@overload
def frozen_record(*, eq: bool = True) -> Callable[[_Record], _Record]: ...


@dataclass_transform(
    frozen_default=True, eq_default=True, field_specifiers=(dataclasses.field,)
)
def frozen_record(
    cls: _Record | None = None, /, *, eq: bool = True
) -> _Record | Callable[[_Record], _Record]:
    """Make *cls* a frozen dataclass, without generating code.

    Use it as ``@frozen_record``, or ``@frozen_record(eq=False)`` for a
    record compared (and hashed) by identity, as
    ``@dataclasses.dataclass(frozen=True, eq=False)`` is. *cls* defines
    ``__init__`` taking its fields, in order, with the defaults the class
    body gives them, and sets them with :func:`fill`.

    Args:
        cls: The class (when used without arguments).
        eq: Compare and hash by the fields (``True``) or by identity.

    Returns:
        *cls*, changed in place.

    Raises:
        TypeError: *cls* has no ``__init__`` of its own, or its parameters
            are not the fields in order, or their defaults differ from the
            class body's.
    """

    def decorate(kind: _Record) -> _Record:
        _make_record(kind, eq=eq)
        return kind

    return decorate if cls is None else decorate(cls)


class _Factory:
    """The type of :data:`FACTORY`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


#: The ``__init__`` default of a field with a ``default_factory``: what a
#: generated ``__init__`` has there, shown as ``<factory>`` in its signature.
FACTORY: Any = _Factory()


def fill(record: object, values: Mapping[str, Any]) -> None:
    """Set each field of *record* from *values* (``locals()`` of its
    ``__init__``, before anything else is assigned there); a field left at
    :data:`FACTORY` gets a new value from its ``default_factory``."""
    kind = type(record)
    for name in getattr(kind, FIELD_NAMES):
        value = values[name]
        if value is FACTORY:
            value = getattr(kind, _FACTORIES)[name]()
        _set(record, name, value)


def _make_record(cls: Any, *, eq: bool) -> None:
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)
    fields = dataclasses.fields(cls)
    _check_init(cls, fields)
    names = tuple(field.name for field in fields)
    type.__setattr__(cls, FIELD_NAMES, names)
    factories = {
        field.name: field.default_factory
        for field in fields
        if field.default_factory is not dataclasses.MISSING
    }
    type.__setattr__(cls, _FACTORIES, factories)
    _attach(cls, _repr_of(tuple(field.name for field in fields if field.repr)))
    if eq:
        _attach(cls, _eq_of(tuple(field.name for field in fields if field.compare)))
        hashed = (
            field.name
            for field in fields
            if (field.compare if field.hash is None else field.hash)
        )
        _attach(cls, _hash_of(tuple(hashed)))
    _attach(cls, _setattr_of(cls, names))
    _attach(cls, _delattr_of(cls, names))
    # What dataclasses.dataclass(frozen=True, eq=eq) would have recorded: it
    # decides, for one, whether a dataclass may derive from this one.
    params = cls.__dataclass_params__
    params.init = params.repr = params.frozen = True
    params.eq = eq


def _attach(cls: Any, method: Callable[..., Any]) -> None:
    """Make *method* one of *cls*'s, named as a generated one is."""
    method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    type.__setattr__(cls, method.__name__, method)


def _check_init(cls: Any, fields: tuple[dataclasses.Field[Any], ...]) -> None:
    """Refuse a record whose ``__init__`` does not take its fields, in
    order, with the class body's defaults: ``fill`` and ``replace`` rely on
    it. Read from the code object, not :func:`inspect.signature`, which
    would cost more than the record saves."""
    init = vars(cls).get("__init__")
    code = getattr(init, "__code__", None)
    if code is None:
        raise TypeError(
            f"record {cls.__qualname__} must define __init__ taking its fields "
            "and setting them with fill(self, locals())"
        )
    positional = code.co_varnames[1 : code.co_argcount]
    keyword = code.co_varnames[
        code.co_argcount : code.co_argcount + code.co_kwonlyargcount
    ]
    wanted = tuple(field.name for field in fields)
    if positional + keyword != wanted:
        raise TypeError(
            f"record {cls.__qualname__}: __init__ takes {positional + keyword}, "
            f"but the fields are {wanted}; take them in that order"
        )
    given = init.__defaults__ or ()
    defaults = dict(zip(positional[len(positional) - len(given) :], given))
    defaults.update(init.__kwdefaults__ or {})
    for field in fields:
        default = defaults.get(field.name, dataclasses.MISSING)
        declared = (
            field.default if field.default_factory is dataclasses.MISSING else FACTORY
        )
        if type(default) is not type(declared) or default != declared:
            raise TypeError(
                f"record {cls.__qualname__}: __init__'s default of "
                f"{field.name!r} is {_shown(default)}, but the class body's "
                f"is {_shown(declared)}"
            )


def _shown(default: object) -> str:
    return "none" if default is dataclasses.MISSING else repr(default)


def _repr_of(names: tuple[str, ...]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        shown = ", ".join([f"{name}={getattr(self, name)!r}" for name in names])
        return f"{type(self).__qualname__}({shown})"

    return __repr__


def _eq_of(names: tuple[str, ...]) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return _values(self, names) == _values(other, names)
        return NotImplemented

    return __eq__


def _hash_of(names: tuple[str, ...]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(_values(self, names))

    return __hash__


def _values(record: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple([getattr(record, name) for name in names])


def _setattr_of(cls: Any, names: tuple[str, ...]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise _FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _delattr_of(cls: Any, names: tuple[str, ...]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise _FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__
