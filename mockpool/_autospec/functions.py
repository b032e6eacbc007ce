"""Autospecs of functions and methods, built from introspection cached per function.

``create_autospec(function)`` -- what ``patch(..., autospec=True)`` and
``patch.object(Class, "method", autospec=True)`` call for every function
and method they replace -- builds a ``MagicMock`` with the function as its
spec (a ``dir()`` walk with an ``iscoroutinefunction`` test per name, and a
signature), then wraps it in a new function: the stdlib writes that
function's source and compiles it with ``exec`` on every call.

None of that depends on more than the function itself, so this module does
it once per function: the signature, the spec state of the mock (replayed
by :func:`~mockpool._autospec.replay.construct`) and the compiled code of
the wrapper. Every call still gets a new mock and a new wrapper function,
set up by the stdlib's own ``_setup_func``, so the result is what the
stdlib builds: the same signature check and ``TypeError``,
``inspect.signature``, ``__name__``, the ``mock`` attribute and everything
forwarded to it.

The cache is checked on every call against what the stdlib would read from
the function (its code, defaults, annotations, name and ``__dict__``,
and those of every function it wraps): a function changed in place is
introspected again. Coroutine functions, functions with attributes of
their own and anything else unusual go to the stdlib.

Builtin functions (``time.sleep``, ``os.stat``) are served too: the stdlib
wraps them in no function, but checks their calls from the mock's class,
against the signature of their type's ``__call__``; that check and the
mock's spec state are made once per builtin, which cannot change, and the
mock's class is built with the check in it.
"""

from __future__ import annotations

import functools
import types
import weakref

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all
from typing import Any

from mockpool._autospec import introspect as _introspect
from mockpool._autospec import plain as _plain
from mockpool._autospec.introspect import Snapshots
from mockpool._autospec.replay import construct
from mockpool._base import stdlib as _stdlib

__all__ = ["build", "supports"]

# Signature errors raised by our checkers are the test's failure, not ours.
__unittest = True

# The source unittest.mock compiles for each wrapper (_set_signature), by
# name; compiled once per name here, from the same text, so the code object
# is the stdlib's own.
_WRAPPER_SOURCE = """def %s(*args, **kwargs):
    _checksig_(*args, **kwargs)
    return mock(*args, **kwargs)"""


def _compiled(name: str) -> tuple[types.CodeType, Any]:
    context: dict[str, Any] = {}
    # The stdlib's own source, compiled once per name instead of per call.
    exec(_WRAPPER_SOURCE % name, context)
    return context[name].__code__, context["__builtins__"]


_codes: dict[str, tuple[types.CodeType, Any]] = {}


class _FunctionInfo:
    """What autospeccing one function (or its bound methods) needs, once."""

    __slots__ = ("class_namespace", "signature", "snapshots")

    def __init__(self, spec: Any) -> None:
        self.snapshots: Snapshots = {}
        #: (checker, signature), or None if the stdlib finds no signature
        #: (it then returns the bare mock).
        self.signature: tuple[Any, Any] | None = None
        #: For a builtin: what the stdlib's ``_check_sig`` sets on the mock's
        #: class instead of wrapping it (None for a Python function).
        self.class_namespace: dict[str, Any] | None = None
        if type(spec) is types.BuiltinFunctionType:
            # Not a FunctionTypes to create_autospec: it checks calls against
            # the signature of the builtin's __call__ (``*args, **kwargs``).
            self.class_namespace = _introspect.signature_namespace(spec, False, False)
            return
        result = _stdlib.get_signature_object(spec, False, False)
        if result is not None:
            func, signature = result

            def checksig(*args: Any, **kwargs: Any) -> None:
                signature.bind(*args, **kwargs)

            _stdlib.copy_func_details(func, checksig)
            self.signature = (checksig, signature)


class _Facts:
    """What is known of one function object, while it is as it was read.

    Whether :func:`build` serves it, and its :class:`_FunctionInfo` as a
    plain function and as a bound method (whose signatures differ). Valid
    while :func:`~mockpool._autospec.introspect.deep_function_state` is
    unchanged; for a function with no attributes of its own -- most --
    that is told by reading its eight fields, not by building the state
    again (a fifth of what autospeccing a function cost on 3.13).
    """

    __slots__ = ("infos", "quick", "reference", "state", "supported")

    def __init__(self, function: types.FunctionType, key: int) -> None:
        self.reference = weakref.ref(function, functools.partial(_forget, key))
        self.state = _introspect.deep_function_state(function)
        self.quick = _introspect.quick_function_state(function)
        self.supported = bool(
            _stdlib.AVAILABLE
            # Attributes of its own become children of the mock, one by
            # one: left to the stdlib. Magic ones (__wrapped__) it skips.
            and all(_stdlib.is_magic(name) for name in function.__dict__)
            # Asked of the function: a bound method's answer is its
            # function's (the attributes that would mark it a coroutine
            # function are no magic names).
            and not _stdlib.is_async_func(function)
        )
        self.infos: dict[bool, _FunctionInfo] = {}

    def holds_for(self, function: types.FunctionType) -> bool:
        """Whether these facts are *function*'s as it is now."""
        if self.reference() is not function:
            return False  # another function, at the address of a gone one
        quick = self.quick
        if quick is None:
            return _introspect._same(
                self.state, _introspect.deep_function_state(function)
            )
        return _introspect.quick_state_holds(function, quick)


# Per function, by id: its facts (which hold it weakly, and leave with it).
_facts: dict[int, _Facts | _BuiltinFacts] = {}


def _forget(key: int, reference: Any) -> None:
    """A function is gone: its facts go (unless another took its id)."""
    facts = _facts.get(key)
    if facts is not None and facts.reference is reference:
        del _facts[key]


def _facts_of(function: types.FunctionType) -> _Facts:
    key = id(function)
    facts = _facts.get(key)
    if type(facts) is not _Facts or not facts.holds_for(function):
        facts = _facts[key] = _Facts(function, key)
    return facts


def supports(spec: Any) -> bool:
    """Whether :func:`build` serves *spec*: a plain or bound Python function,
    with no attributes of its own but magic ones, and no coroutine function."""
    return _supported_facts(spec) is not None


class _BuiltinFacts:
    """What is known of one builtin function (``time.sleep``, ``os.stat``,
    ``[].append``): whether :func:`build` serves it, and its info.

    A builtin cannot change (it has no ``__dict__`` and its fields are
    read-only), so its facts hold for as long as the builtin itself.
    """

    __slots__ = ("infos", "reference", "supported")

    def __init__(self, builtin: Any, key: int) -> None:
        self.reference = weakref.ref(builtin, functools.partial(_forget, key))
        self.supported = bool(
            _stdlib.AVAILABLE
            # What else create_autospec special-cases; never true of a
            # builtin today, asked so that a future one goes to the stdlib.
            and not _stdlib.is_async_func(builtin)
            and all(_stdlib.is_magic(name) for name in dir(builtin))
        )
        self.infos: dict[bool, _FunctionInfo] = {}

    def holds_for(self, builtin: Any) -> bool:
        """Whether these facts are *builtin*'s (not a gone one's at its id)."""
        return self.reference() is builtin


def _builtin_facts_of(builtin: Any) -> _BuiltinFacts:
    key = id(builtin)
    facts = _facts.get(key)
    if type(facts) is not _BuiltinFacts or not facts.holds_for(builtin):
        facts = _facts[key] = _BuiltinFacts(builtin, key)
    return facts


def _supported_facts(spec: Any) -> _Facts | _BuiltinFacts | None:
    """The facts of *spec*'s function if :func:`build` serves it, else None."""
    kind = type(spec)
    if kind is types.BuiltinFunctionType:
        builtin_facts = _builtin_facts_of(spec)
        return builtin_facts if builtin_facts.supported else None
    function = spec.__func__ if kind is types.MethodType else spec
    if type(function) is not types.FunctionType:
        return None
    facts = _facts_of(function)
    return facts if facts.supported else None


def _info(spec: Any, facts: _Facts | _BuiltinFacts) -> _FunctionInfo:
    """*spec*'s info, from its function's *facts*."""
    bound = type(spec) is types.MethodType
    info = facts.infos.get(bound)
    if info is None:
        info = facts.infos[bound] = _FunctionInfo(spec)
    return info


def build(spec: Any, spec_set: Any, name: Any) -> Any:
    """``create_autospec(spec, spec_set, _name=name)`` if :func:`supports`
    *spec* (its function's facts looked up once for both), else None.

    The steps of ``unittest.mock.create_autospec`` for a function, in its
    order: the mock, then the wrapper that checks the signature and calls
    it. A function's ``dir()`` holds only magic names (:func:`supports`
    admits no other attributes), so the stdlib's loop over it adds nothing.
    """
    facts = _supported_facts(spec)
    if facts is None:
        return None
    if not _plain.enabled():
        return _assembled(spec, spec_set, name, facts, False)
    # With the plain-mock acceleration on (the drop-in's), the mock is a
    # plain MagicMock with the function as its spec: that reuses a class and
    # shares its magic proxies, where the replay makes both anew (3.13: 8 %
    # less per patch(function, autospec=True)). Neither it nor the
    # return_value child the wrapper's set-up reads is counted as a plain
    # mock: the run report prices the whole as one autospec.
    return _plain.uncounted_call(_assembled, spec, spec_set, name, facts, True)


def _assembled(
    spec: Any, spec_set: Any, name: Any, facts: _Facts | _BuiltinFacts, plain: bool
) -> Any:
    info = _info(spec, facts)
    constructor: dict[str, Any] = {
        "parent": None,
        "_new_parent": None,
        "_new_name": "",
        "name": name,
        ("spec_set" if spec_set else "spec"): spec,
    }
    class_namespace = info.class_namespace
    if class_namespace is not None:
        # A builtin: the mock itself, its class made with the signature check
        # in it.
        return construct(
            _stdlib.MagicMock, spec, info.snapshots, constructor, class_namespace
        )
    if plain:
        built = _stdlib.MagicMock(**constructor)
    else:
        built = construct(_stdlib.MagicMock, spec, info.snapshots, constructor, {})
    if info.signature is None:
        return built
    checksig, signature = info.signature
    wrapper_name = spec.__name__
    if not wrapper_name.isidentifier():
        wrapper_name = "funcopy"
    compiled = _codes.get(wrapper_name)
    if compiled is None:
        compiled = _codes[wrapper_name] = _compiled(wrapper_name)
    code, builtins = compiled
    # The globals exec gives the stdlib's wrapper: its two names, the
    # builtins exec adds, and the function itself.
    context: dict[str, Any] = {
        "_checksig_": checksig,
        "mock": built,
        "__builtins__": builtins,
    }
    wrapper = types.FunctionType(code, context, wrapper_name)
    context[wrapper_name] = wrapper
    _stdlib.setup_func(wrapper, built, signature)
    return wrapper


def clear_cache() -> None:
    """Forget every function's introspection (tests use this)."""
    _facts.clear()
