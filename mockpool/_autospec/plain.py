"""Plain mocks -- ``Mock()``, ``MagicMock()`` and child mocks -- built faster.

Every ``unittest.mock`` construction pays three costs that do not depend on
the mock being built:

* ``NonCallableMock.__new__`` binds its arguments to a signature (3.9-3.11)
  to find the spec, then makes the mock's own class;
* ``_mock_add_spec`` walks ``dir(spec)`` asking ``iscoroutinefunction`` of
  every attribute -- on 3.9-3.11 even with no spec, where it walks
  ``dir(None)`` -- and computes the spec's signature;
* ``MagicMixin._mock_set_magics`` sets about 80 magic-method proxies on the
  fresh class one ``setattr`` at a time (each one a type modification), and
  for a spec deletes the ones the spec lacks again.

While :func:`enable` is in effect, ``NonCallableMock.__new__``,
``NonCallableMock._mock_add_spec``, ``NonCallableMock.__setattr__``,
``CallableMixin.__init__``, ``MagicMixin._mock_set_magics`` and the
``__init__`` of ``MagicMixin`` and ``AsyncMagicMixin`` are replaced:

* the magic-method proxies are shared: one object per name
  (:class:`_SharedMagicProxy`) sits in every mock class's namespace and
  finds its mock when looked up, instead of ~80 new objects per mock that
  each point back at it;
* the mock's own class is still one per living mock (``type(m)`` differs
  for every mock, as it must), made in a single ``type()`` call with the
  proxies the stdlib would leave on it -- or, better, taken from a mock of
  the same kind that is gone, when nothing refers to that class any more
  and its namespace is as made (:class:`_Shape`); the ``__init__`` then
  skips ``_mock_set_magics``, which would find nothing to do;
* the outcome of ``_mock_add_spec`` is recorded once per spec -- by running
  the running interpreter's own ``_mock_add_spec`` on a scratch object, so
  3.11's scan of ``dir(None)``, 3.12's scan only with a spec and 3.13's
  ``getattr_static`` are each followed as they are -- and replayed, with
  fresh lists, for every later mock. A class spec's record is valid while
  its fingerprint matches (:class:`_SpecFingerprint`: the rule of the
  introspection cache, checked on every mock);
* ``CallableMixin.__init__`` writes, for keyword-only calls, the entries
  it and ``NonCallableMock.__init__`` would write, in one pass;
* ``__setattr__`` of a magic name and ``_mock_set_magics`` first let go of
  the mock's class as a candidate for reuse (a test's value goes into it).

Anything else -- positional arguments that do not bind, a spec that is an
instance or a function, ``configure_mock`` keywords touching dunder names
with a spec, a subclass that overrides construction, a copy made through
``__reduce_ex__`` (which calls ``__new__`` on the mock's own class and no
``__init__``) -- takes the stdlib's path unchanged. Nothing of this module
is left on a mock: mocks built while enabled go on working after
:func:`disable`.
"""

from __future__ import annotations

import collections
import contextlib
import inspect
import operator
import sys
import threading
import types
import weakref

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import (  # noqa: UP029
    all,
    any,
    callable,
    getattr,
    hasattr,
    id,
    isinstance,
    issubclass,
    iter,
    len,
    map,
    min,
    next,
    range,
    setattr,
    sorted,
    vars,
    zip,
)
from collections.abc import Callable
from typing import Any
from unittest import mock

from mockpool._autospec.introspect import _function_state, is_static, keyable
from mockpool._autospec.lazy import _disguised
from mockpool._base import fence as _fence

__all__ = ["disable", "enable", "enabled", "observe"]

_MOCK_MODULE_NAME = mock.__name__
# Read afresh on every build: a test may have patched one of its helpers.
_mock_module: Any = mock

# The stdlib objects replaced while enabled, by (class, attribute). Taken
# from the classes' own dicts so that disable() restores them by identity
# (``__new__`` is a staticmethod object there).
_NonCallableMock = mock.NonCallableMock
_MagicMixin: Any = getattr(mock, "MagicMixin", None)
_AsyncMagicMixin: Any = getattr(mock, "AsyncMagicMixin", None)
_AsyncMockMixin: Any = getattr(mock, "AsyncMockMixin", None)
_MagicProxy: Any = getattr(mock, "MagicProxy", None)
_is_async_obj: Any = getattr(mock, "_is_async_obj", None)
_MOCK_SIG: Any = getattr(mock, "_MOCK_SIG", None)

_AVAILABLE = all(
    value is not None
    for value in (_MagicMixin, _AsyncMagicMixin, _AsyncMockMixin, _MagicProxy)
) and callable(_is_async_obj)

_stdlib_new: Any = _NonCallableMock.__dict__["__new__"]
_stdlib_new_function: Any = _NonCallableMock.__new__
_stdlib_add_spec: Any = _NonCallableMock.__dict__["_mock_add_spec"]
_stdlib_magic_init: Any = _MagicMixin.__dict__["__init__"] if _AVAILABLE else None
# 3.13's AsyncMagicMixin inherits MagicMixin's __init__ instead of
# repeating it; then only MagicMixin's is replaced.
_stdlib_async_magic_init: Any = (
    _AsyncMagicMixin.__dict__.get("__init__") if _AVAILABLE else None
)
# What _mock_add_spec's outcome depends on besides the spec: a test that
# patches one of these gets the stdlib's path.
_stdlib_iscoroutinefunction: Any = getattr(mock, "iscoroutinefunction", None)
_stdlib_get_signature_object: Any = getattr(mock, "_get_signature_object", None)

#: Every magic method a MagicMock gets, in a fixed order.
_MAGICS: tuple[str, ...] = tuple(
    sorted(
        getattr(mock, "_magics", set()) | getattr(mock, "_async_method_magics", set())
    )
)

# 3.12 gave NonCallableMock.__new__ named parameters and picks the spec as
# ``spec_set or spec``; before, it binds to _MOCK_SIG and prefers any
# ``spec_set`` given. A probe of the function, not of the version number.
_NEW_SIGNATURE = inspect.signature(_stdlib_new_function)
_NAMED_NEW = "spec" in _NEW_SIGNATURE.parameters

# Keywords NonCallableMock.__init__ and CallableMixin.__init__ take
# themselves; any other keyword goes to configure_mock.
_CONSTRUCTOR_KEYWORDS = frozenset(
    (
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
        "side_effect",
        "return_value",
    )
)

# -- recorded _mock_add_spec outcomes -------------------------------------------

#: How many specs keep a recorded outcome; the oldest goes first.
RECORD_LIMIT = 512


_TPFLAGS_HEAPTYPE = 1 << 9
_SIGNATURE_SOURCES = ("__init__", "__call__")


class _SpecFingerprint:
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


class _SpecRecord:
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
        self.fingerprint: _SpecFingerprint | _FunctionFingerprint | None = None
        #: The proxies a MagicMock with this spec ends up with (``None``
        #: for a list spec, where they depend on the list's content).
        self.magics: tuple[str, ...] | None = _MAGICS
        if self.methods_are_spec:
            self.magics = None
        elif methods is not None:
            names = set(methods)
            self.magics = tuple(name for name in _MAGICS if name in names)

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


_records: dict[Any, _SpecRecord] = {}
_records_lock = threading.Lock()
_LIST_TYPES = (list, tuple)


def _record_key(spec: Any, as_instance: Any, eat_self: Any) -> Any:
    """The key of *spec*'s record, or ``None`` if it is not recorded.

    ``None`` and exact lists and tuples give the same outcome whatever the
    object (``dir`` of a list depends only on its type); classes and plain
    functions are recorded one by one.
    """
    if spec is None:
        return _NO_SPEC
    spec_type = type(spec)
    if spec_type in _LIST_TYPES:
        return spec_type
    if (
        spec_type is type
        or spec_type is types.FunctionType
        or (isinstance(spec, type) and keyable(spec))
    ):
        # _get_signature_object reads the two flags for their truth only.
        return (spec, bool(as_instance), bool(eat_self))
    return None


_NO_SPEC = object()


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


def _fingerprint(spec: Any) -> _SpecFingerprint | _FunctionFingerprint | None:
    """What keeps *spec*'s record valid, or ``None`` if it cannot be kept."""
    if not _outlives_tests(spec):
        return None
    if isinstance(spec, type):
        return _SpecFingerprint(spec) if is_static(spec) else None
    return _FunctionFingerprint(spec)


class _FunctionFingerprint:
    """The state of a function spec that ``_mock_add_spec`` reads.

    ``dir()`` of a function is its type's names plus its ``__dict__``; its
    signature follows ``__wrapped__``. Each function along that chain is
    compared by :func:`~mockpool._autospec.introspect._function_state`.
    """

    __slots__ = ("_states",)

    #: Decorators deeper than this are not followed: such a spec is
    #: recorded only if the chain ends before.
    CHAIN_LIMIT = 8

    def __init__(self, spec: Any) -> None:
        self._states = self._read(spec)

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
        states = self._read(spec)
        return len(states) == len(self._states) and all(
            map(_same_state, states, self._states)
        )


_END = object()


def _spec_record(spec: Any, as_instance: Any, eat_self: Any) -> _SpecRecord | None:
    """The recorded outcome for *spec*, recorded now if need be.

    ``None`` when the stdlib must run: an unrecordable spec, or a helper of
    ``unittest.mock`` replaced since :func:`enable`.
    """
    if (
        _mock_module.iscoroutinefunction is not _stdlib_iscoroutinefunction
        or _mock_module._get_signature_object is not _stdlib_get_signature_object
    ):
        return None
    key = _record_key(spec, as_instance, eat_self)
    if key is None:
        return None
    record = _records.get(key)
    if record is not None:
        fingerprint = record.fingerprint
        if fingerprint is None or fingerprint.matches(spec):
            return record
    fingerprint = None
    if isinstance(key, tuple):
        fingerprint = _fingerprint(spec)
        if fingerprint is None:
            return None
    scratch = _Scratch()
    # Exceptions (a spec that is a mock, an attribute that raises) come
    # from here exactly as they would from the mock's own call.
    _stdlib_add_spec(scratch, spec, False, as_instance, eat_self)
    record = _SpecRecord(vars(scratch), spec)
    record.fingerprint = fingerprint
    with _records_lock:
        if len(_records) >= RECORD_LIMIT:
            _records.pop(next(iter(_records)), None)
        _records[key] = record
    return record


def _accelerated_add_spec(
    self: Any,
    spec: Any,
    spec_set: Any,
    _spec_as_instance: Any = False,
    _eat_self: Any = False,
) -> None:
    record = _spec_record(spec, _spec_as_instance, _eat_self)
    if record is None:
        _stdlib_add_spec(self, spec, spec_set, _spec_as_instance, _eat_self)
    else:
        record.write(self, spec, spec_set)


# -- construction plans per mock class ------------------------------------------


class _Plan:
    """How the mocks of one class are built."""

    __slots__ = ("init", "magic", "skip_set_magics")

    def __init__(self, init: Any, magic: bool, skip_set_magics: bool) -> None:
        #: ``cls.__init__`` when the plan was made: a class changed since
        #: gets a new plan.
        self.init = init
        #: Its mocks get magic-method proxies.
        self.magic = magic
        #: Its ``__init__`` reaches the replaced mixin ``__init__`` before
        #: anything else, so ``_mock_set_magics`` may be skipped there.
        self.skip_set_magics = skip_set_magics


# Names whose override in a subclass changes how a mock is constructed.
_CONSTRUCTION_NAMES = (
    "__new__",
    "__init__",
    "__init_subclass__",
    "_mock_add_spec",
    "_mock_set_magics",
    "_mock_methods",
)

_plans: dict[type, _Plan | None] = {}


def _stdlib_classes() -> dict[type, tuple[bool, bool]]:
    """The public classes we build: (magic, skip_set_magics) for each."""
    known: dict[type, tuple[bool, bool]] = {
        mock.NonCallableMock: (False, False),
        mock.Mock: (False, False),
        mock.PropertyMock: (False, False),
        mock.NonCallableMagicMock: (True, True),
        mock.MagicMock: (True, True),
    }
    async_mock = getattr(mock, "AsyncMock", None)
    if async_mock is not None:
        known[async_mock] = (True, True)
    return known


_STDLIB_CLASSES = _stdlib_classes()
_STDLIB_MODULE_CLASSES = frozenset(
    value for value in vars(mock).values() if isinstance(value, type)
)


def _plan_for(cls: Any) -> _Plan | None:
    """The plan of *cls*, or ``None`` for the stdlib's ``__new__``."""
    init = cls.__init__
    known = _STDLIB_CLASSES.get(cls)
    if known is not None:
        return _Plan(init, *known)
    if type(cls) is not type:
        return None
    # A subclass we build like its stdlib base: one that overrides nothing
    # that takes part in construction. The mocks' own classes (made by
    # __new__, named like their base) are not among them: __new__ on one of
    # those is copy's or pickle's, which never call __init__.
    stdlib_base = None
    for klass in cls.__mro__:
        if klass in _STDLIB_CLASSES:
            stdlib_base = klass
            break
        if klass in _STDLIB_MODULE_CLASSES or any(
            name in klass.__dict__ for name in _CONSTRUCTION_NAMES
        ):
            return None
        if klass.__dict__.get("__module__") == _MOCK_MODULE_NAME:
            return None
    if stdlib_base is None:
        return None
    magic, skip = _STDLIB_CLASSES[stdlib_base]
    return _Plan(init, magic, skip)


def _plan(cls: Any) -> _Plan | None:
    plan = _plans.get(cls)
    if plan is not None and cls.__init__ is plan.init:
        return plan
    plan = _plan_for(cls)
    # Only classes a suite names are kept (a handful); mocks' own classes
    # are planned afresh, each being used once.
    if plan is not None:
        _plans[cls] = plan
    return plan


# The mocks' own classes whose proxies are final: their mixin __init__
# skips _mock_set_magics once, then forgets them.
_prepared: dict[type, bool] = {}


def _spec_argument(cls: type, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    """The spec ``NonCallableMock.__new__`` tests for async-ness."""
    if args or "self" in kw or "cls" in kw:
        if _NAMED_NEW:
            # Bind as a call would; a bad call is left to the stdlib to
            # reject, with its own message.
            try:
                arguments = _NEW_SIGNATURE.bind_partial(cls, *args, **kw).arguments
            except TypeError:
                return _BAD_CALL
            return arguments.get("spec_set") or arguments.get("spec")
        arguments = _MOCK_SIG.bind_partial(cls, *args, **kw).arguments
        return arguments.get("spec_set", arguments.get("spec"))
    if _NAMED_NEW:
        return kw.get("spec_set") or kw.get("spec")
    if "spec_set" in kw:
        return kw["spec_set"]
    return kw.get("spec")


_BAD_CALL = object()


def _final_magics(args: tuple[Any, ...], kw: dict[str, Any]) -> tuple[str, ...] | None:
    """The proxies the stdlib's ``__init__`` leaves on the mock's class.

    ``None`` when that cannot be known before ``__init__`` runs: positional
    arguments, a spec we do not record, or ``configure_mock`` keywords that
    may touch magic methods while the stdlib has all of them set.
    """
    if args:
        return None
    spec = kw.get("spec_set")
    if spec is None:
        spec = kw.get("spec")
    if spec is None:
        return _MAGICS
    for key in kw:
        if key.startswith("_") and key not in _CONSTRUCTOR_KEYWORDS:
            return None
    eat_self = kw.get("_eat_self")
    if eat_self is None:
        eat_self = kw.get("parent") is not None
    record = _spec_record(spec, kw.get("_spec_as_instance", False), eat_self)
    if record is None:
        return None
    if record.magics is None:
        try:
            names = set(spec)
        except Exception:  # the stdlib's own intersection will raise it
            return None
        magics = tuple(name for name in _MAGICS if name in names)
        # One object per combination, so that its mocks share a shape.
        if len(_list_spec_magics) < _MAX_SHAPES:
            magics = _list_spec_magics.setdefault(magics, magics)
        return magics
    return record.magics


_list_spec_magics: dict[tuple[str, ...], tuple[str, ...]] = {}


# -- shared magic proxies -------------------------------------------------------


class _SharedMagicProxy(_MagicProxy):  # type: ignore[misc]
    """The one magic-method proxy of a name, shared by every mock's class.

    The stdlib puts a fresh ``MagicProxy(name, mock)`` for each of ~80
    names on every ``MagicMock``'s class: the largest part of its
    construction, and a reference cycle per mock. This one knows only its
    name and finds its mock when looked up, as the owner of the class
    whose namespace holds it (:class:`_ClassEntry`), so ``m.__len__``,
    ``type(m).__len__`` and a copy's ``__len__`` (the copy's class is a
    subclass of the original's) create the child on the same mock as the
    stdlib's proxy would -- by running the stdlib's own ``create_mock``.

    A subclass of ``MagicProxy``, so that code asking ``isinstance`` of a
    class namespace (the introspection snapshot) still sees a proxy; it has
    no ``parent`` (see :func:`proxy_parent`).
    """

    def __init__(self, name: str) -> None:
        # No parent, on purpose: see _proxy_owner.
        self.name = name

    # Identity, and never NotImplemented: a recycled class's namespace is
    # compared with its template without asking a value of the test's.
    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    __hash__ = object.__hash__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        holder, parent = _proxy_owner(self, instance, owner)
        # create_mock puts the child on the class: no longer a template.
        _release(holder)
        return _MagicProxy(self.name, parent).create_mock()


def _proxy_owner(
    proxy: _SharedMagicProxy, instance: Any, owner: Any
) -> tuple[Any, Any]:
    """The class whose namespace holds *proxy*, and the mock it serves."""
    klass = type(instance) if instance is not None else owner
    for holder in getattr(klass, "__mro__", ()):
        if holder.__dict__.get(proxy.name) is proxy:
            entry = _entries.get(weakref.ref(holder))
            found = None if entry is None else entry.owner()
            if found is not None:
                return holder, found
            break
    else:
        holder = None
    if instance is not None:
        # The owner is gone and only a copy of it is left: the stdlib's
        # proxy would have kept it alive; the copy is its closest kin.
        return holder, instance
    raise AttributeError(
        f"{proxy.name!r}: the mock this class was made for no longer exists"
    )


def proxy_parent(namespace_owner: type, value: Any) -> Any:
    """The mock that magic proxy *value* on class *namespace_owner* serves.

    ``None`` if *value* is no proxy or its mock is gone. For a stdlib proxy
    its ``parent``; for a shared one, the owner of the class.
    """
    if type(value) is _SharedMagicProxy:
        entry = _entries.get(weakref.ref(namespace_owner))
        return None if entry is None else entry.owner()
    if isinstance(value, _MagicProxy):
        return value.parent
    return None


#: The class of the shared proxies, for code that inspects mock classes.
SHARED_PROXY_TYPE: type = _SharedMagicProxy

#: One shared proxy per magic name.
_SHARED_PROXIES: dict[str, _SharedMagicProxy] = (
    {name: _SharedMagicProxy(name) for name in _MAGICS} if _AVAILABLE else {}
)


# -- mock classes, recycled -----------------------------------------------------
#
# Making a mock's own class is the other large cost (a type() call costs
# more than the rest of Mock()). A class whose mock is gone and that
# nothing else refers to -- strongly (its reference count) or weakly (an
# isinstance cache of an ABC, a singledispatch registry) -- is
# indistinguishable from a new one if its namespace, name and bases are
# those it was made with: it is handed to the next mock of the same shape.
#
# Keeping a class for reuse must never keep alive what a test put on it
# (contract 5): a class is held only while its namespace is its template.
# Everything that puts a value there through the mock -- a magic proxy's
# first use, ``m.__len__ = ...``, ``_mock_set_magics`` -- lets go of it
# first (:func:`_release`); a name a test adds to ``type(m)`` itself is
# seen by its length, each time the class is looked at.


class _ClassEntry:
    """What we know of one accelerated mock class."""

    __slots__ = ("__weakref__", "klass", "owner", "reference", "size")

    def __init__(self, klass: type | None, reference: Any, size: int) -> None:
        #: The class, held for reuse; ``None`` once it may hold a value of
        #: a test's, or if it is not to be reused.
        self.klass = klass
        #: A weak reference to the class: the key of :data:`_entries`.
        self.reference = reference
        #: A weak reference to the mock the class was made for.
        self.owner: Any = _dead_reference
        #: How many names the class's namespace has when made.
        self.size = size

    def serve(self, instance: Any) -> None:
        """Make *instance* the mock of the class."""
        self.owner = weakref.ref(instance, self._owner_gone)

    def _owner_gone(self, _reference: Any) -> None:
        # A name the test added to type(m) itself (a PropertyMock, say) is
        # let go with the mock, not when the class is next looked at.
        klass = self.klass
        if klass is not None and len(klass.__dict__) != self.size:
            self.klass = None


def _dead() -> None:
    return None


_dead_reference: Any = _dead

#: Every accelerated class (alive) by a weak reference to it.
_entries: dict[Any, _ClassEntry] = {}


def _forget_class(reference: Any) -> None:
    _entries.pop(reference, None)


def _release(klass: Any) -> None:
    """Stop keeping *klass* for reuse: a test's value may go into it."""
    if klass is None:
        return
    entry = _entries.get(weakref.ref(klass))
    if entry is not None:
        entry.klass = None


def held_references(klass: type) -> int:
    """How many references to *klass* this module holds (0 or 1).

    For code that counts a mock class's references to tell whether a test
    kept it (the pool's escape check): a class kept for reuse has one more,
    until a magic method of its mock is set.
    """
    entry = _entries.get(weakref.ref(klass))
    return 0 if entry is None or entry.klass is not klass else 1


class _Shape:
    """The mock classes of one (class, async base, magics) combination."""

    __slots__ = ("bases", "entries", "keys", "magics", "name", "values")

    def __init__(
        self, cls: type, bases: tuple[type, ...], magics: tuple[str, ...] | None
    ) -> None:
        # What NonCallableMock.__new__ gives type(); type() adds __module__
        # from the caller's globals: unittest.mock's.
        namespace: dict[str, Any] = {
            "__doc__": cls.__doc__,
            "__module__": _MOCK_MODULE_NAME,
        }
        if magics:
            shared = _SHARED_PROXIES
            namespace.update([(name, shared[name]) for name in magics])
        self.bases = bases
        self.name: str = cls.__name__
        self.keys = tuple(namespace)
        self.values = tuple(namespace.values())
        self.magics = magics  # kept so that its id stays this shape's
        #: The entries of the classes of this shape made lately, oldest
        #: first; the ones in use are passed over.
        self.entries: collections.deque[_ClassEntry] = collections.deque()

    def new_entry(self, keep: bool) -> _ClassEntry:
        """A class of this shape made now; held for reuse if *keep*."""
        klass = type(self.name, self.bases, dict(zip(self.keys, self.values)))
        reference = weakref.ref(klass, _forget_class)
        entry = _ClassEntry(klass if keep else None, reference, len(self.keys))
        _entries[reference] = entry
        return entry

    def pristine(self, klass: type) -> bool:
        """Whether *klass* is as :meth:`new_entry` made it."""
        namespace = klass.__dict__
        if len(namespace) != len(self.values):
            return False
        values = tuple(namespace.values())
        template = self.values
        # Values in order are enough: each proxy is its name's alone. The
        # docstring and module first, by identity: then the tuples'
        # comparison asks only the template's proxies (whose __eq__ is
        # identity) about a value, never a mock a test put there.
        return (
            values[0] is template[0]
            and values[1] is template[1]
            and template == values
            and klass.__bases__ == self.bases
            and klass.__name__ == self.name
            and klass.__qualname__ == self.name
        )

    def reused_entry(self) -> _ClassEntry | None:
        """The entry of a class of this shape nothing uses, or ``None``."""
        entries = self.entries
        for _ in range(min(_CANDIDATES, len(entries))):
            try:
                entry = entries.popleft()
            except IndexError:  # another thread took the last one
                return None
            klass = entry.klass
            if klass is None:
                continue  # released: left to the garbage collector
            if _usage(klass) != _UNUSED:
                if len(klass.__dict__) == entry.size:
                    entries.append(entry)  # still in use: look again later
                else:
                    entry.klass = None  # a test added to it: let it go
                continue
            if self.pristine(klass):
                return entry
            entry.klass = None  # changed by its last mock: let it go
        return None


#: Classes of a shape kept for reuse (in use or not).
SHAPE_LIMIT = 256
#: Classes looked at per build before a new one is made.
_CANDIDATES = 3
_shapes: dict[tuple[Any, ...], _Shape] = {}
_MAX_SHAPES = 64
_getrefcount = sys.getrefcount
_getweakrefcount = weakref.getweakrefcount


_weakref = weakref.ref


def _usage(klass: type) -> tuple[int, int, int]:
    """How much refers to *klass*, held by its entry and the caller.

    Its references, its weak references, and the references to its plain
    weak reference: there is one such object per class, shared by every
    ``weakref.ref(klass)`` without a callback -- the base's list of
    subclasses holds it, and so may a test.
    """
    return (
        _getrefcount(klass),
        _getweakrefcount(klass),
        _getrefcount(_weakref(klass)),
    )


def _own_class(
    cls: type, bases: tuple[type, ...], magics: tuple[str, ...] | None
) -> _ClassEntry:
    """The entry of the class of a new mock of *cls*, with *magics*."""
    if cls not in _STDLIB_CLASSES:
        # Subclasses a suite defines are not kept (contract 5).
        return _Shape(cls, bases, magics).new_entry(keep=False)
    key = (bases, id(magics))
    shape = _shapes.get(key)
    if shape is None or shape.magics is not magics:
        shape = _Shape(cls, bases, magics)
        if len(_shapes) >= _MAX_SHAPES:
            return shape.new_entry(keep=False)
        _shapes[key] = shape
    entry = shape.reused_entry()
    if entry is None:
        entry = shape.new_entry(keep=True)
    entries = shape.entries
    entries.append(entry)
    if len(entries) > SHAPE_LIMIT:
        with contextlib.suppress(IndexError):  # another thread emptied it
            entries.popleft().klass = None
    return entry


def _let_go_of_kept_classes() -> None:
    """Stop keeping any class for reuse (when the last user disables)."""
    for shape in list(_shapes.values()):
        for entry in list(shape.entries):
            entry.klass = None
    _shapes.clear()


def _calibrate() -> tuple[int, int, int]:
    """What :func:`_usage` says of a class that nothing but its entry holds."""
    namespace = {"__doc__": None, "__module__": _MOCK_MODULE_NAME}
    probe = type("Probe", (_NonCallableMock,), namespace)
    entry = _ClassEntry(probe, weakref.ref(probe, _forget_class), 2)
    del probe
    # Measured as reused_entry measures: held by the entry and one name.
    klass = entry.klass
    assert klass is not None
    return _usage(klass)


_UNUSED: tuple[int, int, int] = _calibrate()


def _accelerated_new(cls: Any, /, *args: Any, **kw: Any) -> Any:
    plan = _plan(cls)
    if plan is None or _mock_module.MagicProxy is not _MagicProxy:
        return _stdlib_new_function(cls, *args, **kw)
    bases: tuple[type, ...] = (cls,)
    spec_arg = None
    if not issubclass(cls, _AsyncMockMixin):
        spec_arg = _spec_argument(cls, args, kw)
        if spec_arg is _BAD_CALL:
            return _stdlib_new_function(cls, *args, **kw)
        if spec_arg is not None and _is_async_obj(spec_arg):
            bases = (_AsyncMockMixin, cls)
    elif (
        # With named parameters the stdlib's __new__ rejects a bad call
        # itself, for every class.
        _NAMED_NEW
        and (args or "self" in kw or "cls" in kw)
        and _spec_argument(cls, args, kw) is _BAD_CALL
    ):
        return _stdlib_new_function(cls, *args, **kw)
    magics = None
    skip = False
    if plan.magic:
        magics = _final_magics(args, kw) if plan.skip_set_magics else None
        if magics is None:
            # All of them: what the stdlib's first _mock_set_magics leaves,
            # before __init__ looks at anything. Its calls still run.
            magics = _MAGICS
        else:
            skip = True
    entry = _own_class(cls, bases, magics)
    own_class = entry.reference()
    instance = super(_NonCallableMock, cls).__new__(own_class)
    entry.serve(instance)
    if skip:
        _prepared[own_class] = True
    observer = _observer
    if observer is not None:
        try:
            observer(cls, spec_arg)
        except Exception as error:  # bookkeeping: never the test's failure
            _fence.warn_failure("run report", error, once=True)
    return instance


# Told of every mock built here: (its class, its spec or None). See observe().
_observer: Callable[[type, Any], None] | None = None


def observe(observer: Callable[[type, Any], None] | None) -> None:
    """Have *observer* told of every mock this module builds (None: stop).

    The run report counts them, to say what plain mocks saved against the
    stdlib (:mod:`mockpool._reporting.plain_cost`): called with the mock's
    class and its spec (None if it has none), after the mock is made.
    """
    global _observer
    _observer = observer


# -- what may put a test's value on a mock's class ------------------------------

_ALL_MAGICS: Any = getattr(mock, "_all_magics", frozenset())
_stdlib_setattr: Any = _NonCallableMock.__dict__["__setattr__"]
_stdlib_set_magics: Any = (
    _MagicMixin.__dict__["_mock_set_magics"] if _AVAILABLE else None
)


def _accelerated_setattr(self: Any, name: str, value: Any) -> None:
    if name in _ALL_MAGICS:
        # NonCallableMock.__setattr__ sets magic methods on the class.
        _release(type(self))
    _stdlib_setattr(self, name, value)


def _accelerated_set_magics(self: Any) -> None:
    # Its proxies point at the mock: the class no longer is a template.
    _release(type(self))
    _stdlib_set_magics(self)


def _accelerated_magic_init(self: Any, /, *args: Any, **kw: Any) -> None:
    if _prepared.pop(type(self), False):
        # The proxies are already those the two _mock_set_magics calls
        # around this would leave.
        super(_MagicMixin, self).__init__(*args, **kw)
    else:
        _stdlib_magic_init(self, *args, **kw)


def _accelerated_async_magic_init(self: Any, /, *args: Any, **kw: Any) -> None:
    if _prepared.pop(type(self), False):
        # AsyncMagicMixin.__init__ and the MagicMixin.__init__ it calls
        # would each call _mock_set_magics twice, to no effect.
        super(_MagicMixin, self).__init__(*args, **kw)
    else:
        _stdlib_async_magic_init(self, *args, **kw)


# -- __init__ in one pass ------------------------------------------------------
#
# CallableMixin.__init__ and NonCallableMock.__init__ (the same code on
# 3.9-3.13) write about twenty entries of the mock's __dict__, through a
# chain of super() calls and, for side_effect, the mock's own __setattr__
# and a property. For the common call -- keywords only, none for
# configure_mock -- the same entries are written here, in the same order.

_CallableMixin: Any = getattr(mock, "CallableMixin", None)
_stdlib_callable_init: Any = (
    _CallableMixin.__dict__.get("__init__") if _CallableMixin is not None else None
)
_DEFAULT = mock.DEFAULT
#: Keywords the one-pass __init__ handles; any other takes the stdlib's.
_ONE_PASS_KEYWORDS = frozenset(
    (
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
        "_spec_as_instance",
        "_eat_self",
        "unsafe",
    )
)


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
    if _stdlib_callable_init is None:
        return False
    found = (
        _names_of(_stdlib_callable_init),
        _names_of(_NonCallableMock.__dict__["__init__"]),
    )
    return found == _KNOWN_INIT_NAMES


_ONE_PASS = _one_pass_known()


#: "Not given", for the one-pass __init__'s keywords.
_UNSET: Any = object()


def _accelerated_callable_init(
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
        or own_class.__bases__[-1] not in _STDLIB_CLASSES
        or own_class.__setattr__ is not _SETATTR
        or _mock_module.NonCallableMock.__init__ is not _stdlib_noncallable_init
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
        _stdlib_callable_init(self, *args, **given, **kwargs)
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
    state["_mock_return_value"] = _DEFAULT if return_value is _UNSET else return_value
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
    self._mock_add_spec(spec, spec_set, _spec_as_instance, _eat_self)
    call_list = _mock_module._CallList
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


_stdlib_noncallable_init: Any = _NonCallableMock.__dict__["__init__"]


# -- enable / disable -----------------------------------------------------------


def _replacements() -> list[tuple[type, str, Any, Any]]:
    """(class, attribute, stdlib object, replacement) for each swap."""
    if not _AVAILABLE or not (_NAMED_NEW or _MOCK_SIG is not None):
        # An interpreter whose mock.py we do not know: stay with it.
        return []
    replacements: list[tuple[type, str, Any, Any]] = [
        (
            _NonCallableMock,
            "__new__",
            _stdlib_new,
            staticmethod(_disguised(_accelerated_new, _stdlib_new_function)),
        ),
        (
            _NonCallableMock,
            "_mock_add_spec",
            _stdlib_add_spec,
            _disguised(_accelerated_add_spec, _stdlib_add_spec),
        ),
        (
            _MagicMixin,
            "__init__",
            _stdlib_magic_init,
            _disguised(_accelerated_magic_init, _stdlib_magic_init),
        ),
        (
            _NonCallableMock,
            "__setattr__",
            _stdlib_setattr,
            _disguised(_accelerated_setattr, _stdlib_setattr),
        ),
        (
            _MagicMixin,
            "_mock_set_magics",
            _stdlib_set_magics,
            _disguised(_accelerated_set_magics, _stdlib_set_magics),
        ),
    ]
    if _ONE_PASS:
        replacements.append(
            (
                _CallableMixin,
                "__init__",
                _stdlib_callable_init,
                _disguised(_accelerated_callable_init, _stdlib_callable_init),
            )
        )
    if _stdlib_async_magic_init is not None:
        replacements.append(
            (
                _AsyncMagicMixin,
                "__init__",
                _stdlib_async_magic_init,
                _disguised(_accelerated_async_magic_init, _stdlib_async_magic_init),
            )
        )
    return replacements


_REPLACEMENTS = _replacements()
# The __setattr__ the one-pass __init__ expects a mock's class to have.
_SETATTR: Any = next(
    (new for klass, name, _old, new in _REPLACEMENTS if name == "__setattr__"), None
)
_lock = threading.Lock()
_depth = 0


def enable() -> None:
    """Build plain mocks the fast way until the matching :func:`disable`.

    Calls nest: each needs one :func:`disable`, and the stdlib's methods
    come back with the last. Does nothing on an interpreter whose
    ``unittest.mock`` lacks a helper this module relies on.
    """
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            for klass, name, _original, replacement in _REPLACEMENTS:
                setattr(klass, name, replacement)


def disable() -> None:
    """Undo one :func:`enable`; the last puts the stdlib's methods back.

    The stdlib's own objects are restored (by identity). Mocks built while
    enabled keep working: nothing of this module stays on them.

    Raises:
        RuntimeError: Not enabled.
    """
    global _depth
    with _lock:
        if _depth == 0:
            raise RuntimeError(
                "plain-mock acceleration is not enabled; call enable() first"
            )
        _depth -= 1
        if _depth == 0:
            for klass, name, original, _replacement in _REPLACEMENTS:
                setattr(klass, name, original)
            _prepared.clear()
            _plans.clear()
            _let_go_of_kept_classes()


def enabled() -> bool:
    """Whether :func:`enable` is in effect."""
    return _depth > 0


def clear_records() -> None:
    """Forget every recorded spec outcome (for tests and benchmarks)."""
    with _records_lock:
        _records.clear()
