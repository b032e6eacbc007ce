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
``NonCallableMock._mock_add_spec`` and the ``__init__`` of ``MagicMixin``
and ``AsyncMagicMixin`` are replaced:

* the mock's own class is still made per mock (``type(m)`` differs for
  every mock, as it must), but with the magic-method proxies the stdlib
  would leave on it already in its namespace, in a single ``type()`` call;
  the ``__init__`` then skips ``_mock_set_magics``, which would find nothing
  to do;
* the outcome of ``_mock_add_spec`` is recorded once per spec -- by running
  the running interpreter's own ``_mock_add_spec`` on a scratch object, so
  3.11's scan of ``dir(None)``, 3.12's scan only with a spec and 3.13's
  ``getattr_static`` are each followed as they are -- and replayed, with
  fresh lists, for every later mock. A class spec's record is valid while
  its fingerprint matches (:class:`_SpecFingerprint`: the rule of the
  introspection cache, checked on every mock).

Anything else -- positional arguments that do not bind, a spec that is an
instance or a function, ``configure_mock`` keywords touching dunder names
with a spec, a subclass that overrides construction, a copy made through
``__reduce_ex__`` (which calls ``__new__`` on the mock's own class and no
``__init__``) -- takes the stdlib's path unchanged. Nothing of this module
is left on a mock: mocks built while enabled go on working after
:func:`disable`.
"""

from __future__ import annotations

import inspect
import operator
import sys
import threading
import types
from typing import Any
from unittest import mock

from mockpool._autospec.introspect import _function_state, is_static, keyable
from mockpool._autospec.lazy import _disguised
from mockpool._base import compat as _compat

__all__ = ["disable", "enable", "enabled"]

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
_set_class = object.__dict__["__class__"].__set__


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
        return tuple(name for name in _MAGICS if name in names)
    return record.magics


def _proxies_by_call(names: tuple[str, ...], parent: Any) -> list[Any]:
    return [_MagicProxy(name, parent) for name in names]


def _proxies_by_hand(names: tuple[str, ...], parent: Any) -> list[Any]:
    # What MagicProxy.__init__ does, without a call into it per proxy.
    proxies = []
    for name in names:
        proxy = _new_object(_MagicProxy)
        proxy.name = name
        proxy.parent = parent
        proxies.append(proxy)
    return proxies


_new_object = object.__new__
# 3.13 specialises calls of classes with a Python __init__; before, setting
# the two attributes by hand is about a third cheaper.
_make_proxies = _proxies_by_call if _compat.PY_3_13_PLUS else _proxies_by_hand


def _accelerated_new(cls: Any, /, *args: Any, **kw: Any) -> Any:
    plan = _plan(cls)
    if plan is None or _mock_module.MagicProxy is not _MagicProxy:
        return _stdlib_new_function(cls, *args, **kw)
    bases: tuple[type, ...] = (cls,)
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
    namespace: dict[str, Any] = {
        "__doc__": cls.__doc__,
        "__module__": _MOCK_MODULE_NAME,
    }
    skip = False
    if plan.magic:
        magics = _final_magics(args, kw) if plan.skip_set_magics else None
        if magics is None:
            # All of them: what the stdlib's first _mock_set_magics leaves,
            # before __init__ looks at anything. Its calls still run.
            magics = _MAGICS
        else:
            skip = True
        # The instance is made first, so each proxy gets its parent at
        # once; it moves into its own class below, before anyone sees it.
        instance = super(_NonCallableMock, cls).__new__(cls)
        namespace.update(zip(magics, _make_proxies(magics, instance)))
        own_class = type(cls.__name__, bases, namespace)
        # Past the mock's own __setattr__, which needs state not set yet.
        _set_class(instance, own_class)
        if skip:
            _prepared[own_class] = True
        return instance
    own_class = type(cls.__name__, bases, namespace)
    return super(_NonCallableMock, cls).__new__(own_class)


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
    ]
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


def enabled() -> bool:
    """Whether :func:`enable` is in effect."""
    return _depth > 0


def clear_records() -> None:
    """Forget every recorded spec outcome (for tests and benchmarks)."""
    with _records_lock:
        _records.clear()
