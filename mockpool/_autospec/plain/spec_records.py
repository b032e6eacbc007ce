"""The outcome of ``_mock_add_spec``, recorded per spec and replayed.

``NonCallableMock._mock_add_spec`` writes five entries that depend only on
the spec (and two flags), yet computes them for every mock: it walks
``dir(spec)`` asking ``iscoroutinefunction`` of every name -- on 3.9-3.11
even with no spec, over ``dir(None)`` -- and reads the spec's signature.
Here the running interpreter's own ``_mock_add_spec`` runs once per spec on
a scratch object (so 3.11's scan of ``dir(None)``, 3.12's scan only with a
spec and 3.13's ``getattr_static`` are each followed as they are), and its
outcome is written again, with fresh lists, for every later mock.

A class spec's record is valid while its fingerprint matches
(:class:`SpecFingerprint`: the rule of the introspection cache, checked on
every mock); a function's while :class:`FunctionFingerprint` matches. Specs
a test made (``<locals>``) are never recorded (contract 5).
"""

from __future__ import annotations

import operator
import sys
import threading
import types

# Bound at import: a test may patch a builtin (a public suite patches
# builtins.map) while mockpool works for it.
from builtins import (  # noqa: UP029
    all,
    getattr,
    hasattr,
    isinstance,
    iter,
    len,
    map,
    next,
    range,
    vars,
    zip,
)
from typing import Any

from mockpool._autospec.introspect import (
    _function_state,
    is_static,
    keyable,
    quick_function_state,
    quick_state_holds,
)
from mockpool._autospec.plain.stdlib import (
    MAGICS,
    mock_module,
    stdlib_add_spec,
    stdlib_get_signature_object,
    stdlib_iscoroutinefunction,
)

__all__ = [
    "RECORD_LIMIT",
    "SpecRecord",
    "accelerated_add_spec",
    "clear_records",
    "no_spec_record",
    "spec_record",
]

#: How many specs other than functions keep a recorded outcome; the oldest
#: goes first.
RECORD_LIMIT = 512


_TPFLAGS_HEAPTYPE = 1 << 9
_SIGNATURE_SOURCES = ("__init__", "__call__")


class SpecFingerprint:
    """The state of a spec class that ``_mock_add_spec``'s outcome reads.

    The rule of the introspection cache (a patched, added or deleted
    attribute on the class or a base is a changed class), made cheap enough
    to check on every mock: every entry of every heap class in the MRO (and
    the metaclass's), by identity, plus what the signature is read from.
    A function changed in place is seen for ``__init__`` and ``__call__``
    only; ``Fingerprint`` of the introspection cache, which also follows
    every method's code and defaults, costs more than the build it saves.
    """

    __slots__ = ("_dicts", "_mro", "_signature_states")

    def __init__(self, spec: type) -> None:
        metaclass: type = type(spec)
        self._mro = spec.__mro__ + metaclass.__mro__
        self._dicts = tuple(
            (klass.__dict__, tuple(klass.__dict__), tuple(klass.__dict__.values()))
            for klass in self._mro
            if klass.__flags__ & _TPFLAGS_HEAPTYPE
        )
        self._signature_states = self._read_signature_states(spec)

    def _read_signature_states(self, spec: type) -> tuple[Any, ...]:
        return tuple(
            _function_state(_class_lookup(self._mro, name))
            for name in _SIGNATURE_SOURCES
        )

    def matches(self, spec: type) -> bool:
        """Whether *spec* is as it was when this was taken."""
        metaclass: type = type(spec)
        mro = spec.__mro__ + metaclass.__mro__
        if len(mro) != len(self._mro) or not all(map(operator.is_, mro, self._mro)):
            return False
        for namespace, keys, values in self._dicts:
            if tuple(namespace) != keys or not all(
                map(operator.is_, namespace.values(), values)
            ):
                return False
        states = self._read_signature_states(spec)
        return all(map(_same_state, states, self._signature_states))


def _class_lookup(mro: tuple[type, ...], name: str) -> Any:
    """*name* as found in the class dicts along *mro*, running no descriptor."""
    for klass in mro:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _same_state(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    return (
        len(left) == len(right)
        and all(map(operator.is_, left[:4], right[:4]))
        and (
            len(left[4]) == len(right[4])
            and all(a[0] == b[0] and a[1] is b[1] for a, b in zip(left[4], right[4]))
        )
    )


class SpecRecord:
    """What ``_mock_add_spec`` wrote for one spec, to be written again."""

    __slots__ = (
        "fingerprint",
        "magics",
        "methods",
        "methods_are_spec",
        "spec_asyncs",
        "spec_class",
        "spec_signature",
    )

    def __init__(self, state: dict[str, Any], spec: Any) -> None:
        methods = state["_mock_methods"]
        self.spec_class = state["_spec_class"]
        self.spec_signature = state["_spec_signature"]
        # For a list or tuple spec the stdlib keeps the object itself.
        self.methods_are_spec = methods is spec and spec is not None
        self.methods: list[str] | None = (
            None if methods is None or self.methods_are_spec else list(methods)
        )
        self.spec_asyncs: list[str] = list(state["_spec_asyncs"])
        self.fingerprint: SpecFingerprint | FunctionFingerprint | None = None
        #: The proxies a MagicMock with this spec ends up with (``None``
        #: for a list spec, where they depend on the list's content).
        self.magics: tuple[str, ...] | None = MAGICS
        if self.methods_are_spec:
            self.magics = None
        elif methods is not None:
            names = set(methods)
            self.magics = tuple(name for name in MAGICS if name in names)

    def write(self, target: Any, spec: Any, spec_set: Any) -> None:
        """Set *target*'s spec state as ``_mock_add_spec`` would."""
        # The five entries, in the stdlib's order; lists are fresh, as the
        # stdlib's are, so that no two mocks share one.
        state = target.__dict__
        state["_spec_class"] = self.spec_class
        state["_spec_set"] = spec_set
        state["_spec_signature"] = self.spec_signature
        if self.methods_are_spec:
            state["_mock_methods"] = spec
        else:
            methods = self.methods
            state["_mock_methods"] = None if methods is None else list(methods)
        state["_spec_asyncs"] = list(self.spec_asyncs)


class _Scratch:
    """Receives one run of the stdlib's ``_mock_add_spec``."""


_records: dict[Any, SpecRecord] = {}
#: The records of function specs, kept apart from the limit: every function
#: autospec under the drop-in records its function, a large suite
#: autospecs thousands, and a record lost to the limit costs a ``dir()``
#: scan to make again. Only a module's functions are recorded
#: (:func:`_outlives_tests`), alive in their module anyway: they bound it.
_function_records: dict[Any, SpecRecord] = {}
_records_lock = threading.Lock()
_LIST_TYPES = (list, tuple)


#: Types whose instances all give ``_mock_add_spec`` the same outcome:
#: builtin and immutable, no instance ``__dict__`` and no ``__dir__`` of
#: their own (so ``dir`` of any instance is the type's), no ``__call__``
#: (no signature) and no attribute that is a coroutine function. A string
#: is what a class statement with a mock base passes as the spec
#: (``class S(ctypes.Structure)`` with ``ctypes`` mocked calls the mock's
#: class with the class name first).
_VALUE_TYPES = frozenset((str, bytes, int, float, complex, bool))
#: Builtin functions and methods (``time.sleep``, ``[].append``): no
#: instance ``__dict__`` and no ``__dir__`` of their own either, and the
#: signature the stdlib reads is their type's ``__call__``'s (``*args,
#: **kwargs``), so every one gives the same outcome. What
#: ``patch.object(time, "sleep", autospec=True)`` builds has one as spec.
_BUILTIN_FUNCTION_TYPE = types.BuiltinFunctionType


def _record_key(spec: Any, as_instance: Any, eat_self: Any) -> Any:
    """The key of *spec*'s record, or ``None`` if it is not recorded.

    ``None``, exact lists and tuples, builtin functions and instances of
    :data:`_VALUE_TYPES` give the same outcome whatever the object (``dir``
    of a list or a string depends only on its type); classes and plain
    functions are recorded one by one.
    """
    if spec is None:
        return _NO_SPEC
    spec_type = type(spec)
    if spec_type in _LIST_TYPES:
        return spec_type
    if spec_type in _VALUE_TYPES or spec_type is _BUILTIN_FUNCTION_TYPE:
        # The type, never the value: a test's string is not kept.
        return (_INSTANCE_OF, spec_type, bool(as_instance), bool(eat_self))
    if (
        spec_type is type
        or spec_type is types.FunctionType
        or (isinstance(spec, type) and keyable(spec))
    ):
        # _get_signature_object reads the two flags for their truth only.
        return (spec, bool(as_instance), bool(eat_self))
    return None


_NO_SPEC = object()
#: Marks the key of a record kept per type, not per object.
_INSTANCE_OF = object()


def _outlives_tests(spec: Any) -> bool:
    """Whether keeping *spec* in the records keeps nothing of a test alive.

    Builtin types live as long as the process; a class or function is kept
    only if its module holds it under its qualified name. One made inside a
    test (``<locals>``, or by ``type()`` there) is never kept (contract 5:
    mockpool holds nothing a test passed to a mock once the test is over).
    """
    if isinstance(spec, type) and not spec.__flags__ & _TPFLAGS_HEAPTYPE:
        return True
    module = sys.modules.get(getattr(spec, "__module__", None) or "")
    qualname = getattr(spec, "__qualname__", None)
    if module is None or not isinstance(qualname, str) or "<locals>" in qualname:
        return False
    found: Any = module
    for part in qualname.split("."):
        found = vars(found).get(part) if hasattr(found, "__dict__") else None
    return found is spec


def _fingerprint(spec: Any) -> SpecFingerprint | FunctionFingerprint | None:
    """What keeps *spec*'s record valid, or ``None`` if it cannot be kept."""
    if not _outlives_tests(spec):
        return None
    if isinstance(spec, type):
        return SpecFingerprint(spec) if is_static(spec) else None
    return FunctionFingerprint(spec)


class FunctionFingerprint:
    """The state of a function spec that ``_mock_add_spec`` reads.

    ``dir()`` of a function is its type's names plus its ``__dict__``; its
    signature follows ``__wrapped__``. Each function along that chain is
    compared by :func:`~mockpool._autospec.introspect._function_state`.
    """

    __slots__ = ("_quick", "_states")

    #: Decorators deeper than this are not followed: such a spec is
    #: recorded only if the chain ends before.
    CHAIN_LIMIT = 8

    def __init__(self, spec: Any) -> None:
        self._states = self._read(spec)
        # Told without building the state again (which cost as much as
        # the rest of a build), for a function with no attributes of its own.
        self._quick = (
            quick_function_state(spec) if type(spec) is types.FunctionType else None
        )

    @classmethod
    def _read(cls, spec: Any) -> tuple[Any, ...]:
        states = []
        value = spec
        for _ in range(cls.CHAIN_LIMIT):
            states.append(_function_state(value))
            if not isinstance(value, types.FunctionType):
                break
            value = value.__dict__.get("__wrapped__", _END)
            if value is _END:
                break
        return tuple(states)

    def matches(self, spec: Any) -> bool:
        """Whether *spec* is as it was when this was taken."""
        quick = self._quick
        if quick is not None:
            return quick_state_holds(spec, quick)
        states = self._read(spec)
        return len(states) == len(self._states) and all(
            map(_same_state, states, self._states)
        )


_END = object()


def spec_record(spec: Any, as_instance: Any, eat_self: Any) -> SpecRecord | None:
    """The recorded outcome for *spec*, recorded now if need be.

    ``None`` when the stdlib must run: an unrecordable spec, or a helper of
    ``unittest.mock`` replaced since :func:`~mockpool._autospec.plain.enable`.
    """
    if (
        mock_module.iscoroutinefunction is not stdlib_iscoroutinefunction
        or mock_module._get_signature_object is not stdlib_get_signature_object
    ):
        return None
    key = _record_key(spec, as_instance, eat_self)
    if key is None:
        return None
    records = _function_records if type(spec) is types.FunctionType else _records
    record = records.get(key)
    if record is not None:
        fingerprint = record.fingerprint
        if fingerprint is None or fingerprint.matches(spec):
            return record
    fingerprint = None
    if isinstance(key, tuple) and key[0] is not _INSTANCE_OF:
        # A builtin value type never changes: its record needs no check.
        fingerprint = _fingerprint(spec)
        if fingerprint is None:
            return None
    scratch = _Scratch()
    # Exceptions (a spec that is a mock, an attribute that raises) come
    # from here exactly as they would from the mock's own call.
    stdlib_add_spec(scratch, spec, False, as_instance, eat_self)
    record = SpecRecord(vars(scratch), spec)
    record.fingerprint = fingerprint
    with _records_lock:
        if records is _records and len(_records) >= RECORD_LIMIT:
            _records.pop(next(iter(_records)), None)
        records[key] = record
    return record


def no_spec_record() -> SpecRecord | None:
    """:func:`spec_record` of a mock without a spec, the most common one."""
    record = _records.get(_NO_SPEC)
    if (
        record is None
        or mock_module.iscoroutinefunction is not stdlib_iscoroutinefunction
        or mock_module._get_signature_object is not stdlib_get_signature_object
    ):
        # Not recorded yet, or the stdlib must run: as for any spec.
        return spec_record(None, False, False)
    return record


def accelerated_add_spec(
    self: Any,
    spec: Any,
    spec_set: Any,
    _spec_as_instance: Any = False,
    _eat_self: Any = False,
) -> None:
    record = spec_record(spec, _spec_as_instance, _eat_self)
    if record is None:
        stdlib_add_spec(self, spec, spec_set, _spec_as_instance, _eat_self)
    else:
        record.write(self, spec, spec_set)


def clear_records() -> None:
    """Forget every recorded spec outcome (for tests and benchmarks)."""
    with _records_lock:
        _records.clear()
        _function_records.clear()
