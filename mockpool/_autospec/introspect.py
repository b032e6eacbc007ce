"""What ``create_autospec`` learns about a spec class, computed once.

``unittest.mock.create_autospec`` walks ``dir(spec)`` on every call,
fetches each attribute, asks whether it is a coroutine function, computes
signatures and builds a child mock per method. None of that depends on the
call, only on the class -- so mockpool computes it once per class and keeps
it in a bounded cache while the class is unchanged.

"Unchanged" is checked on every lookup by a :class:`Fingerprint`: the MRO of
the class and of its metaclass, and the identity of every value in the
``__dict__`` of each class in them that can be mutated (heap types). A test
that patches a method, adds, deletes or replaces an attribute -- on the class
or any base -- changes a dict entry, so the next autospec sees the class as
it is now (contract 1).
"""

from __future__ import annotations

import functools
import inspect
import operator
import os
import threading
import types
import weakref

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import (  # noqa: UP029
    all,
    any,
    dir,
    getattr,
    hasattr,
    isinstance,
    len,
    map,
    range,
    sorted,
    zip,
)
from typing import Any
from unittest import mock

from mockpool._base import events
from mockpool._base import stdlib as _stdlib
from mockpool._base.priority_cache import PriorityCache

__all__ = [
    "FUNCTION",
    "ROUTINE",
    "ClassInfo",
    "Fingerprint",
    "MethodEntry",
    "Snapshot",
    "clear_cache",
    "introspect",
    "keyable",
    "supports",
]

# CPython's flag for types allocated at run time; only these need
# fingerprinting.
_TPFLAGS_HEAPTYPE = 1 << 9

#: How many spec classes keep their introspection. Each entry holds the
#: class's attribute objects (already alive through the class) plus a few
#: small lists, so the bound is about memory held after a class is gone.
CACHE_SIZE = 512


def _is_mutable(klass: type) -> bool:
    # Static (non-heap) types never change. Heap types can, even "immutable"
    # ones: 3.13 adds ``__annotations__`` to io.BytesIO's dict on first read.
    return bool(klass.__flags__ & _TPFLAGS_HEAPTYPE)


def _full_mro(spec: type) -> tuple[type, ...]:
    """The classes whose dicts decide attribute lookup on *spec*."""
    metaclass: type = type(spec)
    return spec.__mro__ + metaclass.__mro__


def _function_state(value: Any) -> tuple[Any, ...] | None:
    """What ``inspect.signature`` and ``iscoroutinefunction`` read of a function.

    A function can change in place -- ``__defaults__``, ``__code__``, a
    ``__signature__`` set on it -- without its class dict changing.
    """
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if not isinstance(value, types.FunctionType):
        return None
    return (
        value.__code__,
        value.__defaults__,
        value.__kwdefaults__,
        value.__annotations__,
        tuple(value.__dict__.items()),
    )


def _states(values: Any) -> tuple[Any, ...]:
    return tuple(_function_state(value) for value in values)


def _same(left: tuple[Any, ...], right: tuple[Any, ...]) -> bool:
    """Identity comparison, element by element, one level into tuples."""
    if len(left) != len(right):
        return False
    for a, b in zip(left, right):
        if a is b:
            continue
        if type(a) is not tuple or type(b) is not tuple or not _same(a, b):
            return False
    return True


# How deep to follow __wrapped__ when fingerprinting a function
# (inspect.signature follows the whole chain; decorators rarely stack deeper).
_MAX_WRAPPED = 8


def deep_function_state(function: types.FunctionType) -> tuple[Any, ...]:
    """What autospeccing *function* reads of it, by identity.

    Its :func:`_function_state`, its names and docstring (the stdlib copies
    them to the checker and names the wrapper after it), and the same of
    every function it wraps (``__wrapped__``, followed by
    ``inspect.signature``).
    """
    states: list[Any] = []
    current: Any = function
    for _ in range(_MAX_WRAPPED):
        state = _function_state(current)
        if state is None:
            # A wrapped object that is not a function: kept by identity.
            states.append(current)
            break
        states.append(state)
        names = (current.__name__, current.__qualname__, current.__module__)
        states.append((*names, current.__doc__))
        current = current.__dict__.get("__wrapped__")
        if current is None:
            break
    return tuple(states)


def quick_function_state(function: types.FunctionType) -> tuple[Any, ...] | None:
    """:func:`deep_function_state`, told cheaply, for a function with no
    attributes of its own (most): then nothing is wrapped, and its state is
    these eight fields and an empty ``__dict__``. None for any other
    function (compare its deep state instead)."""
    if function.__dict__:
        return None
    return (
        function.__code__,
        function.__defaults__,
        function.__kwdefaults__,
        function.__annotations__,
        function.__name__,
        function.__qualname__,
        function.__module__,
        function.__doc__,
    )


def quick_state_holds(function: types.FunctionType, quick: tuple[Any, ...]) -> bool:
    """Whether *function* still has the :func:`quick_function_state`
    *quick*: each field the very object, the ``__dict__`` still empty.
    Reading them costs a fraction of building the deep state again."""
    return (
        not function.__dict__
        and function.__code__ is quick[0]
        and function.__defaults__ is quick[1]
        and function.__kwdefaults__ is quick[2]
        and function.__annotations__ is quick[3]
        and function.__name__ is quick[4]
        and function.__qualname__ is quick[5]
        and function.__module__ is quick[6]
        and function.__doc__ is quick[7]
    )


class FunctionFacts:
    """What autospeccing one function needs, shared by every class it is in.

    A class whose introspection cannot be cached (one with dynamic
    descriptors) is introspected again for every autospec, and inherited
    methods are the same function in every subclass: their signatures and
    recorded constructions are kept here, per function object and valid
    while :func:`deep_function_state` is unchanged.
    """

    __slots__ = ("signatures", "snapshots", "state")

    def __init__(self, state: tuple[Any, ...]) -> None:
        self.state = state
        self.signatures = _SignatureCache()
        self.snapshots: Snapshots = {}


# Per function: its facts as a plain function (False) and as a bound method
# (True), whose signatures and spec state differ.
_facts: weakref.WeakKeyDictionary[types.FunctionType, dict[bool, FunctionFacts]] = (
    weakref.WeakKeyDictionary()
)
_facts_lock = threading.Lock()


def function_facts(original: Any) -> FunctionFacts:
    """The shared :class:`FunctionFacts` of *original*, a function or method.

    Fresh facts (not kept) for anything else, e.g. a method bound to a
    callable object that is not a Python function.
    """
    bound = type(original) is types.MethodType
    function = original.__func__ if bound else original
    if type(function) is not types.FunctionType:
        return FunctionFacts(())
    state = deep_function_state(function)
    with _facts_lock:
        by_kind = _facts.get(function)
        if by_kind is None:
            by_kind = _facts[function] = {}
        facts = by_kind.get(bound)
        if facts is None or not _same(facts.state, state):
            facts = by_kind[bound] = FunctionFacts(state)
        return facts


# Descriptors whose __get__ on a class is a pure function of what they hold:
# anything else (a custom descriptor, a metaclass hook) may answer
# differently from one call to the next, so its class is never cached.
_STATIC_DESCRIPTORS = (
    types.FunctionType,
    staticmethod,
    classmethod,
    property,
    functools.cached_property,
    functools.partialmethod,
    types.MemberDescriptorType,
    types.GetSetDescriptorType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.BuiltinFunctionType,
)
_DYNAMIC_HOOKS = ("__getattr__", "__getattribute__", "__dir__")


def is_static(spec: type) -> bool:
    """Whether ``getattr`` on *spec* depends only on its classes' dicts."""
    own_metaclass: type = type(spec)
    for metaclass in own_metaclass.__mro__:
        if metaclass is type or metaclass is object:
            continue
        if any(hook in metaclass.__dict__ for hook in _DYNAMIC_HOOKS):
            return False
    for klass in spec.__mro__:
        for value in klass.__dict__.values():
            if hasattr(type(value), "__get__") and not isinstance(
                value, _STATIC_DESCRIPTORS
            ):
                return False
    return True


def _has_dynamic_hooks(spec: type) -> bool:
    """Whether a metaclass of *spec* decides attribute lookup or ``dir()``."""
    own_metaclass: type = type(spec)
    for metaclass in own_metaclass.__mro__:
        if metaclass is type or metaclass is object:
            continue
        if any(hook in metaclass.__dict__ for hook in _DYNAMIC_HOOKS):
            return True
    return False


def _dynamic_names(spec: type) -> set[str]:
    """Names whose lookup on *spec* runs a descriptor that is not static:
    its answer may change while every class dict stays the same."""
    names: set[str] = set()
    seen: set[str] = set()
    for klass in spec.__mro__:
        for name, value in klass.__dict__.items():
            if name in seen:
                continue  # shadowed by a class earlier in the MRO
            seen.add(name)
            if hasattr(type(value), "__get__") and not isinstance(
                value, _STATIC_DESCRIPTORS
            ):
                names.add(name)
    return names


_MISSING = object()


def _dynamic_state(spec: type, names: tuple[str, ...]) -> tuple[Any, ...]:
    """What *spec*'s dynamic attributes answer now, with their function
    states (a function answered may have changed in place)."""
    values = []
    for name in names:
        try:
            value = getattr(spec, name)
        except AttributeError:
            value = _MISSING
        values.append((value, _function_state(value)))
    return tuple(values)


class Fingerprint:
    """The state of a class that ``create_autospec``'s result depends on."""

    __slots__ = ("_dicts", "_mro")

    def __init__(self, spec: type) -> None:
        self._mro = _full_mro(spec)
        self._dicts = tuple(
            (
                klass,
                tuple(klass.__dict__),
                tuple(klass.__dict__.values()),
                _states(klass.__dict__.values()),
            )
            for klass in self._mro
            if _is_mutable(klass)
        )

    def matches(self, spec: type) -> bool:
        """Whether *spec* is still in the state this fingerprint recorded."""
        mro = _full_mro(spec)
        if len(mro) != len(self._mro) or not all(map(operator.is_, mro, self._mro)):
            return False
        for klass, keys, values, states in self._dicts:
            namespace = klass.__dict__
            # Keys compare by equality (strings); values by identity, so no
            # user-defined __eq__ ever runs here.
            if tuple(namespace) != keys or not all(
                map(operator.is_, namespace.values(), values)
            ):
                return False
            if not _same(_states(values), states):
                return False
        return True


class Snapshot:
    """The outcome of one mock construction, replayed by later ones.

    Taken from a mock that ``unittest.mock`` really built, so it holds
    exactly what this interpreter's ``_mock_add_spec`` and
    ``_mock_set_magics`` produce for that spec and those flags.
    """

    __slots__ = (
        "async_base",
        "magics",
        "methods",
        "spec_asyncs",
        "spec_class",
        "spec_signature",
    )

    def __init__(
        self,
        async_base: bool,
        magics: tuple[str, ...],
        methods: list[str] | None,
        spec_asyncs: list[str],
        spec_class: Any,
        spec_signature: Any,
    ) -> None:
        self.async_base = async_base
        self.magics = magics
        self.methods = methods
        self.spec_asyncs = spec_asyncs
        self.spec_class = spec_class
        self.spec_signature = spec_signature

    @classmethod
    def capture(cls, built: Any, klass: type) -> Snapshot | None:
        """Record how *built*, a fresh ``klass(...)``, was set up.

        Returns ``None`` when its shape is not one we know how to replay.
        """
        own_type = type(built)
        bases = own_type.__bases__
        if bases == (klass,):
            async_base = False
        elif bases == (_stdlib.AsyncMockMixin, klass):
            async_base = True
        else:
            return None
        state = built.__dict__
        methods = state["_mock_methods"]
        return cls(
            async_base=async_base,
            magics=tuple(
                name
                for name, value in own_type.__dict__.items()
                if isinstance(value, _stdlib.MagicProxy)
            ),
            methods=None if methods is None else list(methods),
            spec_asyncs=list(state["_spec_asyncs"]),
            spec_class=state["_spec_class"],
            spec_signature=state["_spec_signature"],
        )


#: Snapshots of one spec, keyed by (mock class, as-instance, eat-self).
Snapshots = dict[tuple[type, bool, bool], Snapshot]


class _SignatureCache:
    """``_get_signature_object`` results plus the checker built from them."""

    __slots__ = ("_computed",)

    def __init__(self) -> None:
        self._computed: dict[tuple[bool, bool], dict[str, Any]] = {}

    def namespace(self, spec: Any, instance: bool, skipfirst: bool) -> dict[str, Any]:
        """Class attributes that ``_check_signature`` would set on a mock."""
        key = (instance, skipfirst)
        found = self._computed.get(key)
        if found is None:
            found = signature_namespace(spec, instance, skipfirst)
            self._computed[key] = found
        return found


def signature_namespace(spec: Any, instance: bool, skipfirst: bool) -> dict[str, Any]:
    """The class attributes ``_check_signature(spec, mock, skipfirst,
    instance)`` sets on a mock's class: none if *spec* has no signature."""
    # Mirrors unittest.mock._check_signature, which is identical on
    # 3.9-3.13; the checker is shared by every mock of this spec, which
    # nothing can observe because each mock's class is its own.
    result = _stdlib.get_signature_object(spec, instance, skipfirst)
    if result is None:
        return {}
    func, signature = result

    def checksig(self: Any, /, *args: Any, **kwargs: Any) -> None:
        signature.bind(*args, **kwargs)

    _stdlib.copy_func_details(func, checksig)
    return {"_mock_check_sig": checksig, "__signature__": signature}


#: Kinds of :class:`MethodEntry`.
FUNCTION = "function"
ROUTINE = "routine"


@functools.cache
def _mock_class_attributes() -> frozenset[str]:
    """The attribute names of the mock classes, listed on first use (the
    first class introspected), not at import: a suite that autospecs no
    class never needs them, and listing them cost over a quarter of this module's
    import."""
    return frozenset(
        name
        for klass in (mock.MagicMock, mock.NonCallableMagicMock, mock.AsyncMock)
        for name in dir(klass)
    )


# C-level callables that create_autospec wraps in _SpecState and, on first
# access, autospecs on their own. Their dir() holds only dunder names, so
# that autospec is a single MagicMock with a signature: cheap to replay.
_ROUTINE_TYPES = (
    types.BuiltinFunctionType,
    types.ClassMethodDescriptorType,
    types.MethodDescriptorType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
)


class MethodEntry:
    """A callable attribute of the spec: becomes a lazily built child mock.

    ``kind`` is :data:`FUNCTION` for Python functions and methods (built by
    create_autospec's method branch) or :data:`ROUTINE` for C callables
    (which the stdlib defers through ``_SpecState``).
    """

    __slots__ = (
        "is_async",
        "kind",
        "name",
        "original",
        "shadows_mock_attribute",
        "signatures",
        "skipfirst",
        "snapshots",
    )

    def __init__(
        self, name: str, original: Any, kind: str, is_async: bool, skipfirst: bool
    ) -> None:
        self.name = name
        self.original = original
        self.kind = kind
        self.is_async = is_async
        self.skipfirst = skipfirst
        #: The name is also an attribute of the mock classes (``called``,
        #: ``reset_mock``, ...), which create_autospec's setattr interacts
        #: with; such children are built eagerly.
        self.shadows_mock_attribute = name in _mock_class_attributes()
        if kind == FUNCTION:
            facts = function_facts(original)
            self.signatures = facts.signatures
            self.snapshots: Snapshots = facts.snapshots
        else:
            self.signatures = _SignatureCache()
            self.snapshots = {}

    def signature_namespace(self, instance: bool = False) -> dict[str, Any]:
        """What ``_check_signature(original, child, skipfirst, instance)`` sets."""
        return self.signatures.namespace(self.original, instance, self.skipfirst)


def _is_plain_routine(original: Any) -> bool:
    return (
        isinstance(original, _ROUTINE_TYPES)
        and not inspect.isdatadescriptor(original)
        and not _stdlib.is_async_func(original)
        and all(_stdlib.is_magic(name) for name in dir(original))
    )


class ClassInfo:
    """Everything the lazy autospec needs to know about one spec class."""

    __slots__ = (
        "dynamic",
        "dynamic_names",
        "entries",
        "fingerprint",
        "has_methods",
        "instance_callable",
        "signatures",
        "snapshots",
        "spec",
    )

    def __init__(self, spec: type) -> None:
        self.spec = spec
        self.fingerprint = Fingerprint(spec)
        self.instance_callable = bool(_stdlib.instance_callable(spec))
        #: In ``dir()`` order: ``(name, original, None)`` for attributes the
        #: stdlib wraps in ``_SpecState`` (and we leave to it),
        #: ``(name, original, MethodEntry)`` for callables we build lazily.
        self.entries: list[tuple[str, Any, MethodEntry | None]] = []
        self.signatures = _SignatureCache()
        self.snapshots: Snapshots = {}
        # The same walk as create_autospec's loop, on 3.9-3.13 alike. An
        # exception other than AttributeError propagates, as it does there.
        for name in dir(spec):
            if _stdlib.is_magic(name):
                continue
            try:
                original = getattr(spec, name)
            except AttributeError:
                continue
            method = None
            if isinstance(original, _stdlib.FunctionTypes):
                method = MethodEntry(
                    name,
                    original,
                    FUNCTION,
                    is_async=bool(_stdlib.iscoroutinefunction(original)),
                    skipfirst=bool(_stdlib.must_skip(spec, name, True)),
                )
            elif _is_plain_routine(original):
                method = MethodEntry(
                    name, original, ROUTINE, is_async=False, skipfirst=False
                )
            self.entries.append((name, original, method))
        self.has_methods = any(method for _, _, method in self.entries)
        #: Attributes answered by descriptors that are not static, and what
        #: they answered: the introspection holds while they answer the same.
        self.dynamic_names = tuple(
            sorted(_dynamic_names(spec) & {name for name, _, _ in self.entries})
        )
        self.dynamic = _dynamic_state(spec, self.dynamic_names)
        # The stdlib reads each method's signature when it builds the mock;
        # read them now, so that a function changed in place between a
        # build and the first touch of a child cannot leak into it.
        for _, _, method in self.entries:
            if method is not None and method.kind == FUNCTION:
                method.signature_namespace()

    def signature_namespace(self, instance: bool) -> dict[str, Any]:
        """What ``_check_signature(spec, mock, True, instance)`` would set."""
        return self.signatures.namespace(self.spec, instance, True)

    def holds_for(self, spec: type) -> bool:
        """Whether this introspection is still right for *spec*: the same
        class dicts, and the same answers from its dynamic attributes."""
        if not self.fingerprint.matches(spec):
            return False
        if not self.dynamic_names:
            return True
        return _same(_dynamic_state(spec, self.dynamic_names), self.dynamic)


def _class_priority(spec: type) -> float:
    return float(events.priority(f"{spec.__module__}.{spec.__qualname__}"))


# When full, the introspection of the class predicted least likely to be
# autospecced again goes first (least recently used among equals).
_cache: PriorityCache[type, ClassInfo] = PriorityCache(
    CACHE_SIZE, priority=_class_priority
)
_cache_lock = threading.Lock()


_TYPE_MRO = type.__dict__["__mro__"]
_TYPE_DICT = type.__dict__["__dict__"]


def keyable(spec: type) -> bool:
    """Whether class *spec* hashes and compares as ``type`` does: by identity.

    Only such a class can key a cache. A metaclass that defines
    ``__hash__`` or ``__eq__`` (or sets ``__hash__`` to None) runs its own
    code whenever the class is looked up in a dict: that code may raise, or
    make two classes one key. The metaclasses' own dicts are read past any
    hook of theirs, so that deciding runs none of that code.
    """
    try:
        for metaclass in _TYPE_MRO.__get__(type(spec)):
            if metaclass is type:
                return True
            namespace = _TYPE_DICT.__get__(metaclass)
            if "__hash__" in namespace or "__eq__" in namespace:
                return False
    except Exception:  # a metaclass that cannot even be read this way
        return False
    return False  # not a class: no metaclass derives from type


def supports(spec: Any) -> bool:
    """Whether the lazy path can build *spec* exactly as the stdlib would.

    Classes only; not classes that are themselves data descriptors or
    coroutine functions (the stdlib special-cases those), nor classes that
    cannot key a cache (:func:`keyable`): those go to the stdlib as they
    would without mockpool.
    """
    return (
        isinstance(spec, type)
        and keyable(spec)
        and not inspect.isdatadescriptor(spec)
        and not _stdlib.is_async_func(spec)
    )


def introspect(spec: type) -> ClassInfo:
    """Return the cached :class:`ClassInfo` of *spec*, rebuilt if it changed.

    A class that cannot key the cache (:func:`keyable`) is introspected
    afresh on every call and never cached.
    """
    if not keyable(spec):
        return ClassInfo(spec)
    with _cache_lock:
        info = _cache.get(spec)
    # A class with dynamic descriptors is kept too, checked by asking those
    # attributes again (as the stdlib's walk would, once); only a metaclass
    # that decides lookup or dir() itself makes a class uncacheable.
    if info is not None and info.holds_for(spec):
        return info
    info = ClassInfo(spec)
    if not _has_dynamic_hooks(spec):
        with _cache_lock:
            _cache[spec] = info
    return info


def cached(spec: type) -> ClassInfo | None:
    """The cached introspection of *spec*, unchecked (``None`` if none).

    ``None`` for a class that cannot key the cache (:func:`keyable`): it is
    never looked up, so its metaclass's ``__hash__`` never runs.
    """
    if not keyable(spec):
        return None
    with _cache_lock:
        return _cache.get(spec)


def clear_cache() -> None:
    """Forget every cached introspection (for tests and benchmarks)."""
    with _cache_lock:
        _cache.clear()
    with _facts_lock:
        _facts.clear()


def _reinit_after_fork() -> None:
    # A thread of the parent may have held the lock at the fork; in the
    # child that thread does not exist and the lock would stay held.
    global _cache_lock
    _cache_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_reinit_after_fork)
