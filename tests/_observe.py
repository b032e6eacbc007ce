"""A behavioural fingerprint of an autospecced mock, for contract tests.

:func:`observe` builds mocks of a spec with a given factory (for instance
``unittest.mock.create_autospec`` or ``mockpool.create_autospec``) and runs a
fixed battery of probes on them, recording every outcome as a plain,
comparable value. Two factories honour the autospec contract for a spec only
if their observations are equal.

The rules that make observations comparable:

* Only public behaviour is probed: attribute access, calls, ``assert_*``
  methods, ``dir()``, ``repr()``, ``inspect.signature()``, ``seal`` and so on.
  Nothing here reads ``_mock_children``, ``_spec_signature`` or any other
  private attribute of a mock.
* Outcomes are normalised: exceptions become ``(type name, message)`` with
  ``id='...'`` and ``0x...`` addresses blanked; mocks become the tuple of
  ``unittest.mock`` classes in their MRO (each mock has its own subclass, so
  the type itself never compares equal) plus callability.
* Probes never compare identities *across* the two mocks; identity checks
  only ever relate objects reached from the same mock.
* Every scenario gets a freshly built mock, so the order of scenarios cannot
  leak state from one into the next, and every probe is deterministic.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import itertools
import re
import unittest.mock as um
from collections.abc import Collection, Iterable
from functools import partial
from typing import Any, Callable

__all__ = [
    "Observation",
    "arguments_for",
    "describe_differences",
    "first_difference",
    "kind",
    "normalise",
    "observe",
    "public_names",
]

#: One probe: its label and its normalised outcome.
Entry = tuple[str, Any]
#: Everything :func:`observe` saw, in probe order.
Observation = list[Entry]
Factory = Callable[..., Any]

_ID = re.compile(r"id='\d+'")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_SENTINEL_TYPE = type(um.sentinel.DEFAULT)
_CallType = type(um.call)
_SCALARS = (
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    type(None),
    enum.Enum,
    _SENTINEL_TYPE,
)

#: How many names of a nested class are probed on its mock.
NESTED_LIMIT = 12

#: Positional arguments in the "too many" bad call; more than any probed
#: signature takes without ``*args``.
TOO_MANY = 13


def normalise(text: str) -> str:
    """Blank the object addresses and mock ids that differ between runs."""
    return _ADDRESS.sub("0x…", _ID.sub("id='…'", text))


def public_names(spec: Any) -> list[str]:
    """Sorted names in ``dir(spec)`` that are not dunders (as autospec does)."""
    try:
        names = dir(spec)
    except Exception:  # pragma: no cover - dir() on exotic objects
        return []
    return sorted(
        n for n in set(names) if not (n.startswith("__") and n.endswith("__"))
    )


def mock_classes(cls: type) -> tuple[str, ...]:
    """The ``unittest.mock`` classes in *cls*'s MRO, most derived first.

    Every mock has a private subclass of its class, so ``type(m)`` never
    compares equal across two mocks; the stdlib classes it derives from do.
    """
    return tuple(c.__name__ for c in cls.__mro__ if getattr(um, c.__name__, None) is c)


def _class_label(cls: Any) -> str:
    if not isinstance(cls, type):
        return f"<not a class: {type(cls).__name__}>"
    stdlib = mock_classes(cls)
    if stdlib:
        return "unittest.mock:" + stdlib[0]
    return f"{cls.__module__}:{cls.__qualname__}"


def kind(value: Any) -> tuple[Any, ...]:
    """A comparable description of *value* that ignores identity."""
    if isinstance(value, um.NonCallableMock):
        return (
            "mock",
            mock_classes(type(value)),
            callable(value),
            isinstance(value, um.AsyncMock),
        )
    if isinstance(value, _SCALARS):
        return ("value", type(value).__name__, normalise(repr(value)))
    if inspect.iscoroutine(value):
        return ("coroutine",)
    if inspect.isfunction(value) or inspect.ismethod(value):
        inner = getattr(value, "mock", None)
        return (
            type(value).__name__,
            getattr(value, "__name__", None),
            kind(inner) if isinstance(inner, um.NonCallableMock) else None,
        )
    if isinstance(value, type):
        return ("class", _class_label(value))
    return ("object", type(value).__name__)


def plain(value: Any) -> Any:
    """*value* if it is plain data (compared by value), else its :func:`kind`."""
    if isinstance(value, (list, tuple)) and not isinstance(value, um.NonCallableMock):
        return type(value)(plain(item) for item in value)
    if type(value) in (bool, int, str, type(None)):
        return value
    return kind(value)


def raised(exc: BaseException) -> tuple[Any, ...]:
    """The outcome of a probe that raised *exc*."""
    cause = exc.__cause__
    return (
        "raised",
        type(exc).__name__,
        normalise(str(exc)),
        None if cause is None else (type(cause).__name__, normalise(str(cause))),
    )


def first_difference(left: Observation, right: Observation) -> str | None:
    """Describe the first entry where two observations differ, or None."""
    for index, (a, b) in enumerate(zip(left, right)):
        if a != b:
            return f"entry {index}: {a!r} != {b!r}"
    if len(left) != len(right):
        return f"lengths differ: {len(left)} != {len(right)}"
    return None


def describe_differences(
    left: Observation, right: Observation, limit: int = 12, width: int = 400
) -> str:
    """The first *limit* probes whose outcomes differ, one pair per probe.

    unittest's own list diff shortens long entries and stops at the first
    difference; this names more of them, so that one early divergence does
    not hide the others.
    """
    lines: list[str] = []
    for index, (a, b) in enumerate(zip(left, right)):
        if a == b:
            continue
        if a[0] != b[0]:
            lines.append(f"[{index}] probes diverge: {a[0]!r} != {b[0]!r}")
            break
        lines.append(f"[{index}] {a[0]}:")
        lines.append(f"    left:  {_clip(a[1], width)}")
        lines.append(f"    right: {_clip(b[1], width)}")
        if len(lines) >= 3 * limit:
            lines.append("    ...")
            break
    if len(left) != len(right):
        lines.append(f"lengths differ: {len(left)} != {len(right)}")
    return "\n".join(lines)


def _clip(value: Any, width: int) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def arguments_for(
    sig: inspect.Signature,
) -> tuple[tuple[Any, ...], dict[str, Any], tuple[Any, ...], dict[str, Any]]:
    """Arguments that bind to *sig*, filling required parameters with sentinels.

    Returns ``(args, kwargs, kw_args, kw_kwargs)``: the first pair passes
    every positional-or-keyword parameter by position, the second pair by
    keyword, so that an autospecced mock (which binds calls to the spec's
    signature before comparing them) treats both as the same call.
    """
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    kw_args: list[Any] = []
    kw_kwargs: dict[str, Any] = {}
    P = inspect.Parameter
    for param in sig.parameters.values():
        if param.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD):
            continue
        if param.default is not P.empty:
            continue
        value = getattr(um.sentinel, f"arg_{param.name}")
        if param.kind is P.POSITIONAL_ONLY:
            args.append(value)
            kw_args.append(value)
        elif param.kind is P.POSITIONAL_OR_KEYWORD:
            args.append(value)
            kw_kwargs[param.name] = value
        else:
            kwargs[param.name] = value
            kw_kwargs[param.name] = value
    return tuple(args), kwargs, tuple(kw_args), kw_kwargs


# --------------------------------------------------------------------------
# What the spec says (computed from the spec, never from a mock).


def _binds_self(cls: type, name: str) -> bool:
    """Whether ``getattr(cls, name)`` still takes the instance first."""
    for klass in cls.__mro__:
        if name in vars(klass):
            raw = vars(klass)[name]
            if isinstance(raw, (staticmethod, classmethod)):
                return False
            if type(raw).__name__ == "classmethod_descriptor":
                return False
            return inspect.isfunction(raw) or inspect.ismethoddescriptor(raw)
    return False


def _signature_of(value: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(value)
    except (TypeError, ValueError):
        return None


def _drop_first(sig: inspect.Signature | None) -> inspect.Signature | None:
    if sig is None:
        return None
    params = list(sig.parameters.values())
    if not params or params[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        return sig
    return sig.replace(parameters=params[1:])


def attribute_signature(spec: Any, name: str) -> inspect.Signature | None:
    """The signature an instance's *name* is called with, per the spec."""
    try:
        value = getattr(spec, name)
    except Exception:
        return None
    if not callable(value):
        return None
    sig = _signature_of(value)
    if isinstance(spec, type) and _binds_self(spec, name):
        sig = _drop_first(sig)
    return sig


def _instance_callable(cls: type) -> bool:
    return any(
        "__call__" in vars(klass) for klass in cls.__mro__ if klass is not object
    )


def top_signature(spec: Any, instance: bool) -> inspect.Signature | None:
    """The signature the mock itself is called with, per the spec."""
    if isinstance(spec, type):
        if not instance:
            return _signature_of(spec)
        if not _instance_callable(spec):
            return None
        return _drop_first(_signature_of(spec.__call__))
    if callable(spec):
        return _signature_of(spec)
    return None


# --------------------------------------------------------------------------
# Probes.

_MISSING = object()


def _path(target: Any, *names: str) -> Any:
    """``target.<name1>.<name2>...``."""
    for name in names:
        target = getattr(target, name)
    return target


def _call_attribute(
    target: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    return getattr(target, name)(*args, **kwargs)


def _signature_text(target: Any, *names: str) -> str:
    return str(inspect.signature(_path(target, *names)))


def _is_path(target: Any, name: str, expected: Any) -> bool:
    return getattr(target, name) is expected


def _describe_method(method: Any) -> tuple[str, Any, str]:
    return (
        normalise(repr(method)),
        getattr(method, "__qualname__", None),
        str(inspect.signature(method)),
    )


def _fetch(target: Any, name: str) -> Any:
    """``getattr(target, name)``, or None if that raises anything."""
    try:
        return getattr(target, name)
    except Exception:
        return None


def _enter(target: Any) -> Any:
    with target as inner:
        return inner


_MAGIC_PROBES: list[tuple[str, Callable[[Any], Any]]] = [
    ("len", len),
    ("bool", bool),
    # Bounded: a spec with __getitem__ but no __iter__ iterates forever.
    ("iter", lambda m: list(itertools.islice(iter(m), 3))),
    ("int", int),
    ("float", float),
    ("getitem", lambda m: m[0]),
    # Not ``0 in m``: without __contains__ that iterates, maybe forever.
    ("contains", lambda m: m.__contains__(0)),
    ("with", _enter),
    ("aenter", lambda m: m.__aenter__()),
    ("eq-self", lambda m: m == m),
    ("ne-self", lambda m: m != m),
    ("lt-self", lambda m: m < m),
    ("neg", lambda m: -m),
    ("hash-is-int", lambda m: isinstance(hash(m), int)),
    ("format", lambda m: format(m, "")),
    ("str", str),
    ("repr", repr),
]

_UNKNOWN = "mockpool_unknown_attribute"
#: The mock's own methods: a lazy implementation that overrides one must
#: keep its name, repr and signature.
_OWN_METHODS = (
    "__call__",
    "__delattr__",
    "__dir__",
    "__getattr__",
    "__setattr__",
    "assert_any_call",
    "assert_called_with",
    "assert_has_calls",
    "attach_mock",
    "configure_mock",
    "mock_add_spec",
    "reset_mock",
)
_DUNDER_READS = ("__name__", "__qualname__", "__wrapped__", "__signature__")
_SUSPECT_NAMES = (
    "assert_mockpool_typo",
    "assret_called",
    "asert_called",
    "aseert_called",
    "assrt_called",
    "called_once",
    "called_with",
    "has_calls",
)


class _Observer:
    """Runs the probe battery; one instance per :func:`observe` call."""

    def __init__(
        self,
        factory: Factory,
        spec: Any,
        kwargs: dict[str, Any],
        call_limit: int | None,
    ) -> None:
        self.factory = factory
        self.spec = spec
        self.kwargs = kwargs
        self.entries: Observation = []
        self.loop = asyncio.new_event_loop()
        self.instance = bool(kwargs.get("instance", False))
        self.names = public_names(spec)
        self.signatures = {name: attribute_signature(spec, name) for name in self.names}
        callables = [name for name in self.names if self._spec_callable(name)]
        # Methods before other callables (classes), public before private,
        # so that the scenarios that pick "the first method" pick one, and a
        # bounded sample of a large real class is not all private helpers.
        ordered = sorted(
            callables,
            key=lambda n: (not self._spec_routine(n), n.startswith("_"), n),
        )
        self.callable_names = ordered
        self.call_names = set(ordered if call_limit is None else ordered[:call_limit])
        self.plain_names = [name for name in self.names if name not in set(callables)]
        #: Names of nested classes: their own first names get probed too.
        self.nested: dict[str, list[str]] = {}
        for name in self.names:
            try:
                value = getattr(spec, name)
            except Exception:
                continue
            if isinstance(value, type):
                self.nested[name] = public_names(value)[:NESTED_LIMIT]
        #: Unbounded call sampling: every scenario runs in full.
        self.thorough = call_limit is None

    def _spec_routine(self, name: str) -> bool:
        try:
            return inspect.isroutine(getattr(self.spec, name))
        except Exception:
            return False

    def _spec_callable(self, name: str) -> bool:
        try:
            return callable(getattr(self.spec, name))
        except Exception:
            return False

    # -- recording -------------------------------------------------------

    def add(self, label: str, value: Any) -> None:
        self.entries.append((label, value))

    def settle(self, value: Any) -> tuple[Any, ...]:
        """The outcome of a returned *value*; coroutines are awaited."""
        if inspect.iscoroutine(value):
            try:
                awaited = self.loop.run_until_complete(value)
            except Exception as exc:
                return ("coroutine", raised(exc))
            return ("coroutine", ("ok", kind(awaited)))
        return ("ok", kind(value))

    def attempt(self, label: str, probe: Callable[..., Any], *args: Any) -> Any:
        """Record the outcome of ``probe(*args)``; return its value or ``_MISSING``."""
        try:
            value = probe(*args)
        except Exception as exc:
            self.add(label, raised(exc))
            return _MISSING
        self.add(label, self.settle(value))
        return value

    def record(self, label: str, probe: Callable[..., Any], *args: Any) -> None:
        """Record what ``probe(*args)`` returns (made :func:`plain`), or its error."""
        try:
            value = probe(*args)
        except Exception as exc:
            self.add(label, raised(exc))
        else:
            self.add(label, plain(value))

    def build(self) -> Any:
        return self.factory(self.spec, **self.kwargs)

    # -- batteries -------------------------------------------------------

    def describe(self, label: str, target: Any) -> None:
        """Type, repr, signature and dir of a mock (or whatever it is)."""
        self.add(f"{label}.kind", kind(target))
        self.record(f"{label}.callable", lambda: callable(target))
        self.record(f"{label}.repr", lambda: normalise(repr(target)))
        self.record(f"{label}.signature", lambda: str(inspect.signature(target)))
        self.record(f"{label}.dir", lambda: sorted(dir(target)))
        self.record(f"{label}.__class__", lambda: _class_label(target.__class__))
        self.record(
            f"{label}.iscoroutinefunction",
            lambda: (
                inspect.iscoroutinefunction(target),
                asyncio.iscoroutinefunction(target),
            ),
        )
        if isinstance(self.spec, type):
            self.record(
                f"{label}.isinstance(spec)", lambda: isinstance(target, self.spec)
            )

    def top_level(self, label: str, target: Any) -> None:
        """Everything about the mock itself, before its attributes."""
        self.describe(label, target)
        for name in _DUNDER_READS:
            self.attempt(f"{label}.{name}", getattr, target, name)
        for probe_name, probe in _MAGIC_PROBES:
            self.attempt(f"{label}.magic.{probe_name}", probe, target)
        for name in _OWN_METHODS:
            method = _fetch(target, name)
            if method is None:
                self.add(f"{label}.own.{name}", None)
                continue
            self.record(
                f"{label}.own.{name}",
                _describe_method,
                method,
            )

    def nested_battery(self, label: str, target: Any, names: list[str]) -> None:
        """Kind and signature of the attributes of a nested class's mock."""
        for name in names:
            child = self.attempt(f"{label}.{name}", getattr, target, name)
            if child is not _MISSING:
                self.record(
                    f"{label}.{name}.signature",
                    _signature_text,
                    child,
                )

    def call_battery(
        self,
        label: str,
        target: Any,
        sig: inspect.Signature | None,
        parent: Any = None,
        name: str | None = None,
    ) -> None:
        """Call *target* well and badly and check what it recorded."""
        is_mock = isinstance(target, um.NonCallableMock) or isinstance(
            getattr(target, "mock", None), um.NonCallableMock
        )
        if sig is None:
            self.add(f"{label}.spec-signature", None)
            args: tuple[Any, ...] = ()
            kwargs: dict[str, Any] = {}
            kw_args: tuple[Any, ...] = ()
            kw_kwargs: dict[str, Any] = {}
        else:
            self.add(f"{label}.spec-signature", str(sig))
            args, kwargs, kw_args, kw_kwargs = arguments_for(sig)
        self.attempt(f"{label}.call(good)", lambda: target(*args, **kwargs))
        if not is_mock:
            return
        self.record(f"{label}.called", lambda: (target.called, target.call_count))
        self.record(f"{label}.call_args", lambda: normalise(repr(target.call_args)))
        self.attempt(
            f"{label}.assert_called_once_with(same)",
            lambda: target.assert_called_once_with(*args, **kwargs),
        )
        self.attempt(
            f"{label}.assert_called_once_with(by keyword)",
            lambda: target.assert_called_once_with(*kw_args, **kw_kwargs),
        )
        self.attempt(
            f"{label}.assert_called_with(other)",
            lambda: target.assert_called_with(um.sentinel.other),
        )
        self.attempt(
            f"{label}.assert_any_call(by keyword)",
            lambda: target.assert_any_call(*kw_args, **kw_kwargs),
        )
        self.attempt(
            f"{label}.assert_awaited_once", lambda: target.assert_awaited_once()
        )
        self.attempt(
            f"{label}.assert_awaited_once_with(by keyword)",
            lambda: target.assert_awaited_once_with(*kw_args, **kw_kwargs),
        )
        self.record(f"{label}.await_count", lambda: target.await_count)
        if parent is not None and name is not None:
            # The newest entries only: the whole list is recorded once at
            # the end of the attribute battery.
            self.record(
                f"{label}.parent.mock_calls",
                lambda: (
                    len(parent.mock_calls),
                    normalise(repr(parent.mock_calls[-2:])),
                ),
            )
            self.record(
                f"{label}.parent.method_calls",
                lambda: (
                    len(parent.method_calls),
                    normalise(repr(parent.method_calls[-2:])),
                ),
            )
            expected = _CallType.__getattr__(um.call, name)
            self.attempt(
                f"{label}.parent.assert_has_calls(same)",
                lambda: parent.assert_has_calls([expected(*args, **kwargs)]),
            )
            self.attempt(
                f"{label}.parent.assert_has_calls(by keyword)",
                lambda: parent.assert_has_calls([expected(*kw_args, **kw_kwargs)]),
            )
        # Bad calls come after the asserts so that a signature with *args
        # (which accepts them) does not spoil assert_called_once_with.
        extra = (um.sentinel.extra,) * TOO_MANY
        self.attempt(f"{label}.call(too many)", lambda: target(*extra))
        self.attempt(
            f"{label}.call(unknown keyword)",
            lambda: target(*args, mockpool_unknown_keyword=1, **kwargs),
        )
        self.attempt(f"{label}.return_value", lambda: target.return_value)
        self.record(
            f"{label}.return_value is stable",
            lambda: target.return_value is target.return_value,
        )
        self.record(f"{label}.side_effect", lambda: kind(target.side_effect))

        def returns_set() -> Any:
            target.return_value = um.sentinel.configured
            return target(*args, **kwargs)

        self.attempt(f"{label}.call(return_value set)", returns_set)

        def raises_set() -> Any:
            target.side_effect = KeyError("side effect")
            return target(*args, **kwargs)

        self.attempt(f"{label}.call(side_effect exception)", raises_set)

        def iterates_set() -> list[Any]:
            target.side_effect = [um.sentinel.first, um.sentinel.second]
            outcomes = []
            for _ in range(3):
                try:
                    outcomes.append(self.settle(target(*args, **kwargs)))
                except Exception as exc:
                    outcomes.append(raised(exc))
            return outcomes

        self.record(f"{label}.call(side_effect iterable)", iterates_set)

        def side_effect_cleared() -> Any:
            target.side_effect = None
            return target(*args, **kwargs)

        self.attempt(f"{label}.call(side_effect cleared)", side_effect_cleared)
        self.record(f"{label}.mock_calls", lambda: normalise(repr(target.mock_calls)))
        self.record(
            f"{label}.call_args_list", lambda: normalise(repr(target.call_args_list))
        )

    def attribute_battery(
        self,
        label: str,
        target: Any,
        call_names: Collection[str] | None = None,
        light: bool = False,
    ) -> None:
        """Every spec name on *target*, in sorted order.

        Those in *call_names* (default: the sample chosen for the
        observation) also get the call battery. *light* records only the
        kind and signature of the others (no dir, repr, nested names).
        """
        if call_names is None:
            call_names = self.call_names
        for name in self.names:
            child = self.attempt(f"{label}.{name}", getattr, target, name)
            if child is _MISSING:
                continue
            self.record(
                f"{label}.{name} is stable",
                _is_path,
                target,
                name,
                child,
            )
            if light and name not in call_names:
                self.record(
                    f"{label}.{name}.signature",
                    _signature_text,
                    child,
                )
                continue
            if isinstance(child, um.NonCallableMock) or inspect.isfunction(child):
                self.describe(f"{label}.{name}", child)
            if name in self.nested and isinstance(child, um.NonCallableMock):
                self.nested_battery(f"{label}.{name}", child, self.nested[name])
            if name in call_names and callable(child):
                self.call_battery(
                    f"{label}.{name}",
                    child,
                    self.signatures[name],
                    parent=target,
                    name=name,
                )
        self.record(f"{label}.dir(after)", lambda: sorted(dir(target)))
        self.record(
            f"{label}.mock_calls(after)", lambda: normalise(repr(target.mock_calls))
        )

    # -- scenarios -------------------------------------------------------

    def scenario_main(self, mock: Any) -> None:
        rv: Any = _MISSING
        if isinstance(self.spec, type) and not self.instance:
            # Taken first: the call battery below replaces the return value.
            rv = self.attempt("mock.return_value", lambda: mock.return_value)
            self.record("mock() is return_value", lambda: mock() is rv)
        self.top_level("mock", mock)
        if callable(mock):
            self.call_battery("mock", mock, top_signature(self.spec, self.instance))
        self.attribute_battery("mock", mock)
        if rv is not _MISSING:
            self.top_level("instance", rv)
            if callable(rv):
                self.call_battery("instance", rv, top_signature(self.spec, True))
            # A class's instance gets the full battery only when it is
            # cheap; its own specimen (instance=True) covers the rest.
            if self.thorough:
                self.attribute_battery("instance", rv)
            else:
                self.attribute_battery(
                    "instance", rv, self.callable_names[:3], light=True
                )
            self.record(
                "mock.mock_calls(after instance)",
                lambda: normalise(repr(mock.mock_calls)),
            )

    def scenario_unknown(self, mock: Any) -> None:
        self.attempt("unknown.get", lambda: getattr(mock, _UNKNOWN))
        for name in _SUSPECT_NAMES:
            self.attempt(f"unknown.get {name}", getattr, mock, name)

        def set_unknown() -> Any:
            setattr(mock, _UNKNOWN, um.sentinel.new)
            return getattr(mock, _UNKNOWN)

        self.attempt("unknown.set then get", set_unknown)

        def set_magic() -> Any:
            mock.__len__ = um.Mock(return_value=3)
            return len(mock)

        self.attempt("unknown.set __len__", set_magic)
        for name in self.names:

            def overwrite(name: str = name) -> bool:
                setattr(mock, name, um.sentinel.overwritten)
                return getattr(mock, name) is um.sentinel.overwritten

            self.attempt(f"set.{name}", overwrite)
        self.record("set.dir(after)", lambda: sorted(dir(mock)))

    def scenario_delete(self, mock: Any) -> None:
        targets: list[str] = []
        if self.callable_names:
            targets.append(self.callable_names[0])
        if self.plain_names:
            targets.append(self.plain_names[0])
        targets.append(_UNKNOWN)
        for name in targets:
            self.attempt(f"del.{name}", delattr, mock, name)
            self.attempt(f"del.{name} then get", getattr, mock, name)
            self.attempt(f"del.{name} again", delattr, mock, name)
            self.record(f"del.{name} hasattr", hasattr, mock, name)
        if len(self.callable_names) > 1:
            touched = self.callable_names[1]
            self.attempt(f"del.touched {touched} get", lambda: getattr(mock, touched))
            self.attempt(f"del.touched {touched}", lambda: delattr(mock, touched))
            self.attempt(
                f"del.touched {touched} then get", lambda: getattr(mock, touched)
            )

            def set_back() -> bool:
                setattr(mock, touched, um.sentinel.back)
                return getattr(mock, touched) is um.sentinel.back

            self.attempt(f"del.touched {touched} set back", set_back)
        self.attempt("del.__len__", lambda: delattr(mock, "__len__"))
        self.attempt("del.__len__ then len", lambda: len(mock))
        self.record("del.dir(after)", lambda: sorted(dir(mock)))

    def scenario_configure(self, mock: Any) -> None:
        names = self.callable_names[:3]
        for name in names:
            self.attempt(
                f"configure.{name}.return_value",
                partial(mock.configure_mock, **{f"{name}.return_value": 1}),
            )
            args, kwargs, _, _ = arguments_for(
                self.signatures[name] or inspect.Signature()
            )
            self.attempt(
                f"configure.{name} call",
                _call_attribute,
                mock,
                name,
                args,
                kwargs,
            )
        if len(names) > 1:
            name = names[1]
            self.attempt(
                f"configure.{name}.side_effect",
                lambda: mock.configure_mock(**{f"{name}.side_effect": KeyError}),
            )
            args, kwargs, _, _ = arguments_for(
                self.signatures[name] or inspect.Signature()
            )
            self.attempt(
                f"configure.{name} call again",
                lambda: getattr(mock, name)(*args, **kwargs),
            )
        for name in self.plain_names[:2]:
            self.attempt(
                f"configure.{name}.attribute",
                partial(mock.configure_mock, **{f"{name}.mockpool_set": 1}),
            )
            self.attempt(
                f"configure.{name}.attribute read",
                _path,
                mock,
                name,
                "mockpool_set",
            )
        self.attempt(
            "configure.unknown",
            lambda: mock.configure_mock(**{f"{_UNKNOWN}.return_value": 1}),
        )
        self.attempt(
            "configure.top return_value", lambda: mock.configure_mock(return_value=2)
        )
        self.record("configure.mock_calls", lambda: normalise(repr(mock.mock_calls)))

    def scenario_add_spec(self, mock: Any) -> None:
        kept = self.callable_names[:1]
        self.attempt(
            "add_spec(list)", lambda: mock.mock_add_spec(["mockpool_only", *kept])
        )
        for name in [*self.names[:6], "mockpool_only"]:
            self.attempt(f"add_spec.{name}", getattr, mock, name)
        for name in kept:
            child = _fetch(mock, name)
            if callable(child):
                self.call_battery(
                    f"add_spec.{name}",
                    child,
                    self.signatures[name],
                    parent=mock,
                    name=name,
                )
        self.record("add_spec.dir", lambda: sorted(dir(mock)))
        self.attempt("add_spec(other class)", lambda: mock.mock_add_spec(_AddedSpec))
        for name in ("sync_method", "async_method", "attribute"):
            self.attempt(f"add_spec other.{name}", getattr, mock, name)
            self.record(
                f"add_spec other.{name}.signature",
                _signature_text,
                mock,
                name,
            )
        self.attempt(
            "add_spec(spec, spec_set=True)", lambda: mock.mock_add_spec(self.spec, True)
        )
        for name in self.names[:6]:
            self.attempt(f"add_spec again.{name}", getattr, mock, name)
            child = _fetch(mock, name)
            if child is not None and name in self.call_names and callable(child):
                self.record(
                    f"add_spec again.{name}.signature",
                    _signature_text,
                    child,
                )

        def set_unknown() -> Any:
            setattr(mock, _UNKNOWN, 1)

        self.attempt("add_spec again.set unknown", set_unknown)
        self.record("add_spec again.dir", lambda: sorted(dir(mock)))

    def scenario_attach(self, mock: Any) -> None:
        plain = um.MagicMock()
        names = self.callable_names[:2]
        if names:
            name = names[0]
            self.attempt(f"attach.{name}", lambda: mock.attach_mock(plain, name))
            self.record(
                f"attach.{name} is attached", lambda: getattr(mock, name) is plain
            )
            self.attempt(
                f"attach.{name} call", lambda: getattr(mock, name)(um.sentinel.attached)
            )
        if len(names) > 1:
            name = names[1]
            specced = um.create_autospec(_attachable)
            self.attempt(
                f"attach autospec.{name}", lambda: mock.attach_mock(specced, name)
            )
            self.attempt(
                f"attach autospec.{name} call", lambda: getattr(mock, name)(1, b=2)
            )
            expected = _CallType.__getattr__(um.call, name)
            self.attempt(
                f"attach autospec.{name} assert_has_calls(by keyword)",
                lambda: mock.assert_has_calls([expected(a=1, b=2)]),
            )
        self.attempt(
            "attach.unknown", lambda: mock.attach_mock(um.MagicMock(), _UNKNOWN)
        )
        self.record("attach.mock_calls", lambda: normalise(repr(mock.mock_calls)))
        self.record("attach.method_calls", lambda: normalise(repr(mock.method_calls)))
        self.record("attach.dir", lambda: sorted(dir(mock)))

    def scenario_reset(self, mock: Any) -> None:
        names = self.callable_names[:2]
        for index, name in enumerate(names):
            args, kwargs, _, _ = arguments_for(
                self.signatures[name] or inspect.Signature()
            )
            child = _fetch(mock, name)
            if child is None:
                continue
            try:
                if index == 0:
                    child.return_value = um.sentinel.before_reset
                else:
                    child.side_effect = [um.sentinel.side]
            except Exception as exc:
                self.add(f"reset.{name} configure", raised(exc))
            self.attempt(
                f"reset.{name} call",
                partial(child, *args, **kwargs),
            )
        if callable(mock):
            self.attempt("reset.mock call", lambda: mock())
        for flags in ({}, {"return_value": True, "side_effect": True}):
            tag = "reset(flags)" if flags else "reset()"
            self.attempt(tag, partial(mock.reset_mock, **flags))
            self.record(f"{tag}.mock_calls", lambda: normalise(repr(mock.mock_calls)))
            self.attempt(f"{tag}.return_value", lambda: mock.return_value)
            self.attempt(
                f"{tag}.return_value.unknown",
                lambda: getattr(mock.return_value, _UNKNOWN),
            )
            for name in names:
                self.attempt(
                    f"{tag}.{name}.return_value",
                    _path,
                    mock,
                    name,
                    "return_value",
                )
                self.record(
                    f"{tag}.{name}.side_effect",
                    _path,
                    mock,
                    name,
                    "side_effect",
                )
                self.record(
                    f"{tag}.{name}.call_count",
                    _path,
                    mock,
                    name,
                    "call_count",
                )
        # Names never touched before the reset, and the touched ones again.
        self.attribute_battery(
            "reset", mock, self.callable_names[:4], light=not self.thorough
        )

    def scenario_seal(self, mock: Any) -> None:
        names = self.callable_names[:2]
        if names:
            name = names[0]
            args, kwargs, _, _ = arguments_for(
                self.signatures[name] or inspect.Signature()
            )
            self.attempt(
                f"seal.touch {name}", lambda: getattr(mock, name)(*args, **kwargs)
            )
        self.attempt("seal", lambda: um.seal(mock))
        self.attempt("seal.unknown", lambda: getattr(mock, _UNKNOWN))
        for name in names:
            self.attempt(f"seal.{name}", getattr, mock, name)
            self.attempt(
                f"seal.{name}.return_value.anything",
                _path,
                mock,
                name,
                "return_value",
                "anything",
            )
            args, kwargs, _, _ = arguments_for(
                self.signatures[name] or inspect.Signature()
            )
            self.attempt(
                f"seal.{name} call",
                _call_attribute,
                mock,
                name,
                args,
                kwargs,
            )
            self.attempt(
                f"seal.{name}.unknown",
                _path,
                mock,
                name,
                _UNKNOWN,
            )
        for name in self.plain_names[:3]:
            self.attempt(f"seal.{name}", getattr, mock, name)
            self.attempt(
                f"seal.{name}.anything",
                _path,
                mock,
                name,
                "anything",
            )
        self.attempt("seal.return_value", lambda: mock.return_value)
        self.attempt("seal.return_value.anything", lambda: mock.return_value.anything)
        if isinstance(self.spec, type) and not self.instance:
            for name in names:
                self.attempt(
                    f"seal.return_value.{name}.return_value.anything",
                    _path,
                    mock,
                    "return_value",
                    name,
                    "return_value",
                    "anything",
                )

        def set_after() -> Any:
            setattr(mock, _UNKNOWN, 1)
            return getattr(mock, _UNKNOWN)

        self.attempt("seal.set unknown", set_after)

    def scenario_has_calls(self, mock: Any) -> None:
        """``assert_has_calls`` on the parent for methods never touched."""
        extra = (um.sentinel.extra,) * TOO_MANY
        for name in self.callable_names:
            if name not in self.call_names:
                continue
            sig = self.signatures[name]
            args, kwargs, _kw_args, _kw_kwargs = arguments_for(
                sig or inspect.Signature()
            )
            expected = _CallType.__getattr__(um.call, name)
            self.attempt(
                f"has_calls.{name}(good)",
                mock.assert_has_calls,
                [expected(*args, **kwargs)],
            )
            self.attempt(
                f"has_calls.{name}(too many)",
                mock.assert_has_calls,
                [expected(*extra)],
            )
            self.attempt(
                f"has_calls.{name}(any_order)",
                mock.assert_has_calls,
                [expected(mockpool_unknown_keyword=1)],
                True,
            )
        self.attempt("has_calls.empty", lambda: mock.assert_has_calls([]))
        self.attempt(
            "has_calls.unknown", lambda: mock.assert_has_calls([um.call.mockpool_x(1)])
        )
        self.attempt("has_calls.assert_not_called", lambda: mock.assert_not_called())
        self.attempt(
            "has_calls.assert_any_call", lambda: mock.assert_any_call(um.sentinel.x)
        )
        self.record("has_calls.mock_calls", lambda: normalise(repr(mock.mock_calls)))

    SCENARIOS = (
        "main",
        "unknown",
        "delete",
        "configure",
        "add_spec",
        "attach",
        "reset",
        "seal",
        "has_calls",
    )

    def run(
        self, after_build: Callable[[], None] | None, skip: Collection[str]
    ) -> Observation:
        try:
            mocks = {}
            scenarios = tuple(s for s in self.SCENARIOS if s not in skip)
            if not self.thorough and not self.instance and isinstance(self.spec, type):
                # A large real class: its instance=True specimen runs the
                # scenarios that treat the class mock like its instance
                # (seal, which autospecs everything reachable, is most of
                # the cost).
                scenarios = tuple(
                    s for s in ("main", "reset", "has_calls") if s in scenarios
                )
            # The last scenario's mock is built first: an implementation that
            # builds the first mock of a spec differently from later ones
            # (caches, recorded constructions) is probed both ways, with the
            # main battery on a later one.
            for scenario in scenarios[-1:] + scenarios[:-1]:
                try:
                    mocks[scenario] = self.build()
                except Exception as exc:
                    self.add("create", raised(exc))
                    return self.entries
            self.add("create", ("ok", kind(mocks["main"])))
            if after_build is not None:
                after_build()
                added = sorted(set(public_names(self.spec)) - set(self.names))
                self.add("names added after build", added)
                for name in added:
                    self.signatures[name] = attribute_signature(self.spec, name)
                self.names = sorted(set(self.names) | set(added))
            for scenario in scenarios:
                getattr(self, f"scenario_{scenario}")(mocks[scenario])
            return self.entries
        finally:
            self.loop.close()


class _AddedSpec:
    """What the add_spec scenario adds as a spec after building."""

    attribute = 1

    def sync_method(self, s: int) -> None:
        """A method."""

    async def async_method(self, a: int) -> None:
        """A coroutine method: mock_add_spec makes its child an AsyncMock."""


def _attachable(a: int, b: int = 0) -> None:
    """The autospecced function the attach scenario attaches."""


def _touch_annotations(cls: type) -> None:
    for klass in cls.__mro__:
        with contextlib.suppress(AttributeError):
            klass.__annotations__


def stabilise(spec: Any) -> None:
    """Do to *spec* once the lazy changes that probing could do to it.

    Reading ``__annotations__`` from a class creates an empty dict in its
    ``__dict__`` (3.10+), and ``isinstance`` on a runtime-checkable protocol
    reads it, as do other probes: without this, the first observation of a
    spec would see a different ``dir()`` (of the spec, or of an attribute's
    type) from every later one.
    """
    _touch_annotations(spec if isinstance(spec, type) else type(spec))
    for name in public_names(spec):
        try:
            value = getattr(spec, name)
        except Exception:
            continue
        _touch_annotations(value if isinstance(value, type) else type(value))


def observe(
    factory: Factory,
    spec: Any,
    *,
    call_limit: int | None = None,
    after_build: Callable[[], None] | None = None,
    skip: Collection[str] = (),
    **kwargs: Any,
) -> Observation:
    """Build mocks of *spec* with *factory* and record the probe battery.

    Args:
        factory: ``create_autospec``-like callable, called as
            ``factory(spec, **kwargs)`` once per scenario.
        spec: What to autospec.
        call_limit: How many callable names get the full call battery
            (public names first, then private ones, each sorted); ``None``
            for all.
        after_build: Called once after every mock is built and before any
            is probed, e.g. to change the spec under a built mock.
        skip: Scenarios not to run (see ``_Observer.SCENARIOS``).
        kwargs: Passed to *factory* (``instance``, ``spec_set``, ...).

    Returns:
        The observation: ``(label, outcome)`` pairs in probe order.
    """
    stabilise(spec)
    return _Observer(factory, spec, kwargs, call_limit).run(after_build, skip)


def labels(observation: Iterable[Entry]) -> list[str]:
    """The probe labels of *observation*, in order."""
    return [label for label, _ in observation]


def find(observation: Iterable[Entry], label: str) -> Any | None:
    """The outcome recorded under *label* (the first one), or None."""
    for entry_label, value in observation:
        if entry_label == label:
            return value
    return None
