"""Property tests of contract 2: no state crosses a session.

Hypothesis draws rounds of operations on the mocks of a session -- calls
with good and bad signatures, ``return_value`` and ``side_effect`` at any
depth, attribute assignment and deletion, ``configure_mock``,
``attach_mock`` both ways, ``mock_add_spec``, ``seal``, ``reset_mock``,
magic methods, awaits, patches, references stored outside (a module, a
class, a closure, a thread) and references dropped -- then closes the
session and opens another on the same registry and pools. Every mock the
new session hands out must be indistinguishable, over a broad battery of
observations (:func:`observe`), from a fresh build of its service with the
defaults applied and the same wiring, whether the pool recycled it or not;
what the earlier session stored outside is used again and must not reach
it. The pools must stay within ``max_size`` and account for every mock they
built: idle, or discarded under a known reason.

Each example starts with new pools, so that it depends on nothing but its
own operations; within it, up to three sessions follow each other, each
followed by a checking session, so a mock is recycled several times.

Discrepancies found this way are kept, minimised, as plain tests in
:class:`RecyclingRegressionTests`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import inspect
import sys
import threading
import types
import unittest
import weakref
from collections.abc import Iterator
from typing import Any, Callable
from unittest import mock

from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import mockpool
from mockpool._autospec.pristine import DiscardReason
from mockpool._pools.pool import PoolManager
from mockpool._sessions.session import MockSession, mock_session
from tests._observe import (
    arguments_for,
    attribute_signature,
    first_difference,
    kind,
    normalise,
    public_names,
    raised,
    top_signature,
)

# -- the services ---------------------------------------------------------------


class Cache:
    """A key-value cache: mapping defaults and a configurator."""

    ttl = 30

    def get(self, key: str) -> bytes:
        return b""

    def set(self, key: str, value: bytes, *, ttl: int = 0) -> None:
        pass

    def delete(self, key: str) -> bool:
        return True


class Mailer:
    """Registered with ``spec_set=True`` and a callable for defaults."""

    host = "localhost"

    def send(self, to: str, body: str) -> None:
        pass

    def close(self) -> None:
        pass


class Connection:
    """An async method and magic methods."""

    async def fetch(self, query: str) -> list[Any]:
        return []

    def execute(self, sql: str, *params: object) -> int:
        return 0

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


class Repository:
    """Wired to a cache and a connection."""

    def find(self, ident: int) -> dict[str, Any]:
        return {}

    def save(self, item: dict[str, Any], *, flush: bool = False) -> None:
        pass


class Clock:
    """Registered with ``sharing="isolated"``: each dependent gets its own."""

    def now(self) -> float:
        return 0.0


class Notifier:
    """Wired to a mailer and an isolated clock."""

    def notify(self, user: str, message: str) -> bool:
        return True


class Headers(dict):  # type: ignore[type-arg]
    """C methods (``get``, ``keys``, ...), which autospec defers."""

    def add(self, name: str, value: str) -> None:
        pass


class Tracker:
    """A method named like a mock attribute, which autospec builds eagerly."""

    def called(self, endpoint: str) -> bool:
        return False

    def track(self, event: str) -> None:
        pass


def configure_cache(cache: Any) -> None:
    """The configurator of ``Cache``: runs after its mapping defaults."""
    cache.delete.return_value = False
    cache.ttl = 60


def configure_mailer(mailer: Any) -> None:
    """The defaults of ``Mailer``, as a callable."""
    mailer.host = "smtp.example"
    mailer.send.side_effect = None


def build_registry() -> mockpool.Registry:
    """The services the properties draw from."""
    registry = mockpool.Registry()
    registry.register("Cache", Cache, defaults={"get.return_value": b"x"})
    registry.configure("Cache")(configure_cache)
    registry.register("Mailer", Mailer, spec_set=True, defaults=configure_mailer)
    registry.register(
        "Connection",
        Connection,
        defaults={"execute.return_value": 1, "__len__.return_value": 3},
    )
    registry.register(
        "ConnectionFactory", Connection, instance=False, depends_on={"cache": "Cache"}
    )
    registry.register(
        "Repository", Repository, depends_on={"cache": "Cache", "db": "Connection"}
    )
    registry.register("Clock", Clock, policy={"sharing": "isolated"})
    registry.register(
        "Notifier", Notifier, depends_on={"mailer": "Mailer", "clock": "Clock"}
    )
    registry.register("Headers", Headers)
    registry.register("Tracker", Tracker)
    return registry


REGISTRY = build_registry()
#: The services of the main property (Tracker has one of its own).
SERVICES = (
    "Cache",
    "Clock",
    "Connection",
    "ConnectionFactory",
    "Headers",
    "Mailer",
    "Notifier",
    "Repository",
)
MAX_SIZE = 2


def _spec(service: str) -> Any:
    return REGISTRY.get(service).resolve_spec()


def _names(service: str) -> tuple[str, ...]:
    """The names probed on a mock of *service* and drawn in paths."""
    spec = _spec(service)
    magics = [
        name
        for name in ("__len__", "__iter__", "__enter__", "__exit__")
        if name in vars(spec)
    ]
    return (*public_names(spec), *REGISTRY.get(service).depends_on, *magics)


def _methods(service: str) -> tuple[str, ...]:
    """The names of *service*'s spec that are methods (called when observed)."""
    spec = _spec(service)
    return tuple(name for name in public_names(spec) if callable(getattr(spec, name)))


ALL_SERVICES = tuple(REGISTRY.names())
NAMES = {service: _names(service) for service in ALL_SERVICES}
METHODS = {service: _methods(service) for service in ALL_SERVICES}
#: Names no spec declares.
UNKNOWN = ("extra", "b")
#: Steps that apply to any mock: its return value, an unknown name.
GENERIC_STEPS = ("()", "b")
#: Names assigned besides a spec's: mock attributes and magic methods.
SET_NAMES = ("return_value", "side_effect", "__len__", "__str__", "__class__")


# -- where the earlier session leaves things --------------------------------------

#: Objects stored at module level (and closures over them).
STORED: list[Any] = []


class Holder:
    """A class on which objects are stored and patched."""

    service: Any = None


_ORIGINAL_CLIENT = object()
#: What sessions patch with their mocks.
CLIENT: Any = _ORIGINAL_CLIENT
_THIS_MODULE = sys.modules[__name__]


def _class_kept_names() -> list[str]:
    return [name for name in vars(Holder) if name.startswith("kept_")]


# -- operations -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Op:
    """One operation on (a part of) a session's mock; its repr reads as code."""

    kind: str
    service: str = ""
    steps: tuple[str, ...] = ()
    args: tuple[Any, ...] = ()

    def target(self) -> str:
        text = f"s.get({self.service!r})"
        for step in self.steps:
            text += ".return_value" if step == "()" else f".{step}"
        return text

    def __repr__(self) -> str:
        target, args, kind_ = self.target(), self.args, self.kind
        text: Callable[[], str] = {
            "call": lambda: f"{target}(<{args[0]} arguments>)",
            "await": lambda: f"await {target}(<good arguments>)",
            "setattr": lambda: f"{target}.{args[0]} = <{args[1]}>",
            "delattr": lambda: f"del {target}.{args[0]}",
            "configure": lambda: (
                f"{target}.configure_mock(**{{{args[0]!r}: <{args[1]}>}})"
            ),
            "attach_in": lambda: f"{target}.attach_mock(<{args[1]}>, {args[0]!r})",
            "attach_out": lambda: f"<{args[1]}>.attach_mock({target}, {args[0]!r})",
            "add_spec": lambda: (
                f"{target}.mock_add_spec(<{args[0]}>, spec_set={args[1]})"
            ),
            "seal": lambda: f"unittest.mock.seal({target})",
            "reset": lambda: (
                f"{target}.reset_mock(return_value={args[0]}, side_effect={args[1]})"
            ),
            "magic": lambda: f"{args[0]}({target})",
            "patch": lambda: f"s.patch.object(<{args[0]}>, new={target})",
            "patch_attr": lambda: f"s.patch.object({target}, {args[0]!r})",
            "store": lambda: f"<store {target} in a {args[0]}>",
            "drop": lambda: f"<drop stored reference number {args[0]}>",
            "gc": lambda: "gc.collect()",
            "session": lambda: f"s.{args[0]}()",
        }[kind_]
        return text()


@dataclasses.dataclass(frozen=True)
class Round:
    """One session's operations.

    *overlap* keeps a second session open around it (both draw from the
    pools); *order* is the order in which the checking session asks for
    the services.
    """

    operations: tuple[Op, ...]
    overlap: bool
    order: tuple[str, ...]

    def __repr__(self) -> str:
        lines = "".join(f"\n    {op!r}" for op in self.operations)
        return f"overlap={self.overlap}, check order {self.order}:{lines}"


VALUE_KINDS = (
    "None",
    "int",
    "bytes",
    "sentinel",
    "exception class",
    "exception instance",
    "list",
    "function",
    "closure over the mock",
    "outside MagicMock",
    "outside autospec",
    "the mock itself",
    "another service's mock",
)
ATTACH_SOURCES = (
    "outside mock, kept",
    "outside mock, dropped",
    "another service's mock",
)
ATTACH_HOLDERS = (*ATTACH_SOURCES, "the mock itself")

OP_KINDS = (
    "call",
    "call",
    "await",
    "setattr",
    "setattr",
    "delattr",
    "configure",
    "attach_in",
    "attach_out",
    "add_spec",
    "seal",
    "reset",
    "magic",
    "patch",
    "patch_attr",
    "store",
    "store",
    "drop",
    "gc",
    "session",
)


def other_service(service: str, services: tuple[str, ...]) -> str:
    """The service whose mock ``"another service's mock"`` means."""
    index = services.index(service) if service in services else -1
    return services[(index + 1) % len(services)]


@st.composite
def paths(
    draw: st.DrawFn, services: tuple[str, ...]
) -> tuple[str, tuple[str, ...], str | None]:
    """A service, attribute steps from its mock, and the service reached."""
    root = draw(st.sampled_from(services))
    current: str | None = root
    steps: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        options: tuple[str, ...] = GENERIC_STEPS
        if current is not None:
            options = NAMES[current] + UNKNOWN + GENERIC_STEPS
        step = draw(st.sampled_from(options))
        steps.append(step)
        if current is None:
            continue
        if step == "()" and not REGISTRY.get(current).instance:
            continue  # a class mock returns an instance with the same names
        current = REGISTRY.get(current).depends_on.get(step)
    return root, tuple(steps), current


@st.composite
def operations(draw: st.DrawFn, services: tuple[str, ...]) -> Op:
    """One operation on a mock of one of *services*."""
    kind_ = draw(st.sampled_from(OP_KINDS))
    if kind_ == "drop":
        return Op("drop", args=(draw(st.integers(0, 3)),))
    if kind_ == "gc":
        return Op("gc")
    if kind_ == "session":
        return Op("session", args=(draw(st.sampled_from(("clear", "reset"))),))
    root, steps, current = draw(paths(services))
    names = (NAMES[current] if current is not None else ()) + UNKNOWN
    values = st.sampled_from(VALUE_KINDS)
    args: tuple[Any, ...] = ()
    if kind_ == "call":
        args = (draw(st.sampled_from(("good", "bad", "no", "unknown keyword"))),)
    elif kind_ == "setattr":
        args = (draw(st.sampled_from(names + SET_NAMES)), draw(values))
    elif kind_ == "delattr":
        args = (draw(st.sampled_from((*names, "__len__", "return_value"))),)
    elif kind_ == "configure":
        name = draw(st.sampled_from(names))
        dotted = (
            f"{name}.return_value",
            f"{name}.side_effect",
            f"{name}.b.return_value",
            name,
            "return_value",
            "side_effect",
        )
        args = (draw(st.sampled_from(dotted)), draw(values))
    elif kind_ == "attach_in":
        args = (draw(st.sampled_from(names)), draw(st.sampled_from(ATTACH_SOURCES)))
    elif kind_ == "attach_out":
        args = (draw(st.sampled_from(names)), draw(st.sampled_from(ATTACH_HOLDERS)))
    elif kind_ == "add_spec":
        which = draw(st.sampled_from(("names", "its class", "another class")))
        args = (which, draw(st.booleans()))
    elif kind_ == "reset":
        args = (draw(st.booleans()), draw(st.booleans()))
    elif kind_ == "magic":
        magics = ("len", "with", "str", "eq", "iter", "bool", "in")
        args = (draw(st.sampled_from(magics)),)
    elif kind_ == "patch":
        args = (draw(st.sampled_from(("module", "class", "service"))),)
    elif kind_ == "patch_attr":
        args = (draw(st.sampled_from(names)),)
    elif kind_ == "store":
        args = (draw(st.sampled_from(("module", "class", "closure", "thread"))),)
    return Op(kind_, root, steps, args)


def rounds(services: tuple[str, ...]) -> st.SearchStrategy[list[Round]]:
    """Up to three sessions' operations on mocks of *services*."""
    return st.lists(
        st.builds(
            Round,
            st.lists(operations(services), max_size=12).map(tuple),
            st.booleans(),
            st.permutations(services).map(tuple),
        ),
        min_size=1,
        max_size=3,
    )


def touched(
    operations: tuple[Op, ...], services: tuple[str, ...]
) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The services *operations* may have changed, and the paths they touched.

    A path through a wired attribute counts for the dependency; ``clear``
    and ``reset`` of the session count for every service.
    """
    found: dict[str, list[tuple[str, ...]]] = {}

    def add(service: str, path: tuple[str, ...]) -> None:
        paths = found.setdefault(service, [])
        if path and path not in paths and len(paths) < 8:
            paths.append(path)

    for op in operations:
        if op.kind == "session":
            for service in services:
                found.setdefault(service, [])
        if not op.service:
            continue
        path = op.steps
        if op.kind in ("setattr", "delattr", "attach_in", "patch_attr"):
            path += (op.args[0],)
        elif op.kind == "configure":
            path += tuple(op.args[0].split("."))
        links = REGISTRY.get(op.service).depends_on
        if path and path[0] in links:
            # Through the wiring: what changed is the dependency. (The wired
            # attribute itself is probed on every dependent.)
            found.setdefault(op.service, [])
            add(links[path[0]], path[1:])
        else:
            add(op.service, path)
        if "another service's mock" in op.args:
            add(other_service(op.service, services), ())
    return {service: tuple(paths) for service, paths in found.items()}


# -- observing a mock ---------------------------------------------------------------

Observation = list[tuple[str, Any]]
_MISSING: Any = object()


class Observer:
    """Records the outcome of every probe on one mock as a comparable value."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.entries: Observation = []

    def record(self, label: str, probe: Callable[[], Any]) -> None:
        """Record ``probe()``'s (plain) value, or the exception it raised."""
        try:
            value = probe()
        except Exception as exc:
            value = raised(exc)
        self.entries.append((label, value))

    def attempt(self, label: str, probe: Callable[[], Any]) -> Any:
        """Record what ``probe()`` returns (described) or raises; return it.

        A coroutine is awaited and its outcome recorded instead.
        """
        try:
            value = probe()
            if inspect.iscoroutine(value):
                value = self.loop.run_until_complete(value)
                self.entries.append((label, ("awaited", plain(value))))
                return value
        except Exception as exc:
            self.entries.append((label, raised(exc)))
            return _MISSING
        self.entries.append((label, plain(value)))
        return value

    def describe(self, label: str, target: Any) -> None:
        """What a test sees of a mock without calling it."""
        if not isinstance(target, mock.NonCallableMock):
            return
        self.record(f"{label} calls", lambda: calls(target))
        self.record(f"{label} side_effect", lambda: plain(target.side_effect))
        self.attempt(f"{label}.return_value", lambda: target.return_value)
        if callable(target) and target.__dict__.get("_spec_signature") is not None:
            # Cheap for autospecced children; slow (and redundant) for plain
            # ones, whose kind and repr already tell them apart.
            self.record(f"{label} signature", lambda: str(inspect.signature(target)))
            self.record(f"{label} async", lambda: isinstance(target, mock.AsyncMock))

    def call(self, label: str, target: Any, sig: inspect.Signature | None) -> None:
        """Call *target* well and badly; check what it recorded."""
        args, kwargs, _, _ = arguments_for(sig or inspect.Signature())
        result = self.attempt(f"{label}(good)", lambda: target(*args, **kwargs))
        if isinstance(result, mock.NonCallableMock):
            self.attempt(f"{label}(good).b", lambda: result.b)
        self.attempt(f"{label}(too many)", lambda: target(*(None,) * 13))
        self.attempt(f"{label}(unknown keyword)", lambda: target(mockpool_x=1))
        if isinstance(target, mock.NonCallableMock):
            self.attempt(
                f"{label}.assert_called_with(good)",
                lambda: target.assert_called_with(*args, **kwargs),
            )
            self.record(f"{label} calls after", lambda: calls(target))


def step(target: Any, name: str) -> Any:
    """One path step: ``"()"`` is the return value, anything else a name."""
    return target.return_value if name == "()" else getattr(target, name)


def calls(target: Any) -> tuple[Any, ...]:
    """The calls *target* recorded, as text without ids."""
    counts: tuple[Any, ...] = ()
    if callable(target):
        counts = (target.call_count, normalise(repr(target.call_args_list)))
    return (
        normalise(repr(target.mock_calls)),
        normalise(repr(target.method_calls)),
        *counts,
    )


def plain(value: Any) -> Any:
    """*value* as a comparable description, with no identity in it."""
    if isinstance(value, mock.NonCallableMock):
        return (kind(value), normalise(repr(value)))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [plain(item) for item in value])
    return kind(value)


def _enter(target: Any) -> Any:
    with target as inner:
        return inner


_MAGIC_PROBES: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("len", len),
    ("bool", bool),
    ("iter", lambda m: list(iter(m))[:5]),
    ("with", _enter),
    ("str", lambda m: normalise(str(m))),
    ("eq self", lambda m: m == m),
    ("eq other", lambda m: m == 1),
    ("in", lambda m: 1 in m),
    ("hash", lambda m: isinstance(hash(m), int)),
)
#: Probes worth their cost (each builds a magic-method child) only for a
#: spec with container or context-manager methods.
_RICH_PROBES = ("len", "iter", "with", "in")


def _magic_probes(service: str) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    spec = _spec(service)
    rich = any(name in vars(spec) for name in ("__len__", "__iter__", "__enter__"))
    return tuple(
        (label, probe)
        for label, probe in _MAGIC_PROBES
        if rich or label not in _RICH_PROBES
    )


MAGIC_PROBES = {service: _magic_probes(service) for service in ALL_SERVICES}


def observe(
    target: Any,
    service: str,
    loop: asyncio.AbstractEventLoop,
    paths: tuple[tuple[str, ...], ...] = (),
) -> Observation:
    """A broad battery of observations of *target*, a mock of *service*.

    *paths* are attribute paths (``"()"`` for a return value) that an
    earlier session touched: each is resolved and described first. Then:
    type, repr, ``dir()``, signature, ``isinstance``, recorded calls; every
    name of the spec (and unknown ones): what it is, its calls, side effect
    and return value, its signature and async-ness; every method called
    with good arguments (awaited if async), too many, an unknown keyword;
    the mock itself called if callable; magic methods; and last the writes
    (``spec_set``). The battery changes *target*, so observe a mock once,
    and a fresh build the very same way. Wired attributes are described,
    never called: their calls would land on another service's mock.
    """
    definition = REGISTRY.get(service)
    spec = definition.resolve_spec()
    instance = definition.instance
    wired = set(definition.depends_on)
    seen = Observer(loop)
    for path in paths:

        def resolve(path: tuple[str, ...] = path) -> Any:
            node = target
            for name in path:
                node = step(node, name)
            return node

        node = seen.attempt(f"path {'.'.join(path)}", resolve)
        seen.describe(f"path {'.'.join(path)}", node)
    seen.record("kind", lambda: kind(target))
    seen.record("repr", lambda: normalise(repr(target)))
    seen.record("dir", lambda: sorted(dir(target)))
    seen.record("signature", lambda: str(inspect.signature(target)))
    seen.record("isinstance", lambda: isinstance(target, spec))
    seen.record("__class__", lambda: target.__class__.__name__)
    seen.record("calls", lambda: calls(target))
    for name in NAMES[service] + UNKNOWN:
        child = seen.attempt(f".{name}", functools.partial(getattr, target, name))
        if name not in wired:
            seen.describe(f".{name}", child)
    for name in METHODS[service]:
        sig = attribute_signature(spec, name) if instance else None
        child = getattr(target, name, None)
        if callable(child):
            seen.call(f".{name}", child, sig)
    if callable(target):
        seen.call("mock", target, top_signature(spec, instance))
    for label, probe in MAGIC_PROBES[service]:
        seen.attempt(f"magic {label}", functools.partial(probe, target))
    seen.record("calls after", lambda: calls(target))
    seen.record("assert_not_called", lambda: _outcome(target.assert_not_called))
    for name in ("mockpool_unknown", *NAMES[service][:1]):
        write = functools.partial(setattr, target, name, 1)
        seen.record(f"set {name}", functools.partial(_outcome, write))
    return seen.entries


def _outcome(action: Callable[[], object]) -> Any:
    try:
        action()
    except Exception as exc:
        return raised(exc)
    return "ok"


def fresh_build(service: str) -> Any:
    """A fresh mock of *service*, defaults applied, wired as a session wires.

    The dependencies are fresh builds too, not wired further: observing a
    dependent only describes its wired attributes.
    """
    built = REGISTRY.build(service)
    for attribute, dependency in REGISTRY.get(service).depends_on.items():
        built.__dict__[attribute] = REGISTRY.build(dependency)
    return built


@functools.lru_cache(maxsize=1024)
def expected_observation(
    service: str, paths: tuple[tuple[str, ...], ...]
) -> Observation:
    """:func:`observe` of a fresh build, memoised: it depends on nothing else.

    Callers only read the list.
    """
    loop = asyncio.new_event_loop()
    try:
        return observe(fresh_build(service), service, loop, paths)
    finally:
        loop.close()


# -- running an example --------------------------------------------------------------


def _poke(stored: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Use an object an earlier session stored, as a leaky test would."""
    if type(stored) is types.FunctionType and stored.__name__ == "kept":
        stored = stored()
    for path in _POKE_PATHS:
        try:
            target = stored
            for name in path:
                target = step(target, name)
            result = target("poke")
            if inspect.iscoroutine(result):
                loop.run_until_complete(result)
        except Exception:
            pass


_POKE_PATHS = (
    (),
    ("()",),
    ("b",),
    *((name,) for name in ("get", "send", "fetch", "find", "now", "called")),
    ("cache", "get"),
    ("db", "execute"),
    ("mailer", "send"),
    ("clock", "now"),
)


class Example:
    """One example: its pools, and what its sessions left outside."""

    def __init__(self, case: unittest.TestCase, services: tuple[str, ...]) -> None:
        self.case = case
        self.services = services
        self.pools = PoolManager(min_size=0, max_size=MAX_SIZE)
        self.loop = asyncio.new_event_loop()
        self.threads: list[tuple[threading.Thread, threading.Event]] = []

    def session(self) -> MockSession:
        return mock_session(REGISTRY, pools=self.pools)

    def close(self) -> None:
        """Release the threads and forget everything stored outside."""
        self.release_threads()
        STORED.clear()
        for name in _class_kept_names():
            delattr(Holder, name)
        self.loop.close()

    def release_threads(self) -> None:
        for thread, release in self.threads:
            release.set()
            thread.join(10)
        self.threads.clear()

    # -- the session under test ----------------------------------------------

    def run(self, round_: Round) -> None:
        """Run *round_* in a session, then check the next session's mocks."""
        case = self.case
        bystander = self.session().open() if round_.overlap else None
        try:
            if bystander is not None:
                for service in self.services:
                    bystander.get(service)
            session = self.session().open()
            try:
                # Every service, so that every wiring is made and unmade.
                held = {
                    service: weakref.ref(session.get(service))
                    for service in self.services
                }
                if bystander is not None:
                    self.check_disjoint(session, bystander)
                for op in round_.operations:
                    self.apply(session, op)
            finally:
                self.close_session(session)
            del session
        finally:
            if bystander is not None:
                bystander.close()
        case.assertIs(CLIENT, _ORIGINAL_CLIENT, "a patch outlived its session")
        case.assertIsNone(Holder.service, "a patch outlived its session")
        self.check_pools()
        self.check_next_session(
            held, touched(round_.operations, self.services), round_.order
        )

    @staticmethod
    def close_session(session: MockSession) -> None:
        """Close *session*; an undo the stdlib's ``stop()`` refuses too is fine.

        Patching an attribute of a mock and then sealing it (or narrowing
        its spec) makes ``_patch.__exit__`` raise ``AttributeError`` when it
        sets the original back. The session still runs every other step --
        what follows checks that it did.
        """
        try:
            session.close()
        except AttributeError as exc:
            event(f"close raised AttributeError: {normalise(str(exc))[:40]}")

    def apply(self, session: MockSession, op: Op) -> None:
        """Run *op*; errors a test would meet (and catch) are swallowed."""
        if op.kind == "drop":
            if STORED:
                STORED.pop(op.args[0] % len(STORED))
        elif op.kind == "gc":
            gc.collect()
        elif op.kind == "session":
            getattr(session, op.args[0])()
        else:
            with contextlib.suppress(Exception):
                target = session.get(op.service)
                for name in op.steps:
                    target = step(target, name)
                self._apply(session, op, target)

    def _value(self, kind_: str, session: MockSession, service: str) -> Any:
        if kind_ == "closure over the mock":
            root = session.get(service)
            return lambda *args, **kwargs: root
        if kind_ == "the mock itself":
            return session.get(service)
        if kind_ == "another service's mock":
            return session.get(other_service(service, self.services))
        makers: dict[str, Callable[[], Any]] = {
            "None": lambda: None,
            "int": lambda: 7,
            "bytes": lambda: b"set",
            "sentinel": lambda: mock.sentinel.value,
            "exception class": lambda: KeyError,
            "exception instance": lambda: ValueError("configured"),
            "list": lambda: [1, 2],
            "function": lambda: lambda *args, **kwargs: "from a function",
            "outside MagicMock": mock.MagicMock,
            "outside autospec": lambda: mock.create_autospec(Clock, instance=True),
        }
        return makers[kind_]()

    def _outside(self, kind_: str, session: MockSession, service: str) -> Any:
        """The other mock of an ``attach_mock``."""
        if kind_ == "another service's mock":
            return session.get(other_service(service, self.services))
        if kind_ == "the mock itself":
            return session.get(service)
        outside = mock.MagicMock()
        if kind_.endswith("kept"):
            STORED.append(outside)
        return outside

    def _apply(self, session: MockSession, op: Op, target: Any) -> None:
        kind_, args, service = op.kind, op.args, op.service
        if kind_ in ("call", "await"):
            sig = None
            if len(op.steps) == 1 and REGISTRY.get(service).instance:
                sig = attribute_signature(_spec(service), op.steps[0])
            good, keywords, _, _ = arguments_for(sig or inspect.Signature())
            how = args[0] if args else "good"
            if how == "good":
                result = target(*good, **keywords)
            elif how == "bad":
                result = target(*(None,) * 13)
            elif how == "no":
                result = target()
            else:
                result = target(mockpool_x=1)
            if inspect.iscoroutine(result):
                if kind_ == "await":
                    self.loop.run_until_complete(result)
                else:
                    result.close()
        elif kind_ == "setattr":
            setattr(target, args[0], self._value(args[1], session, service))
        elif kind_ == "delattr":
            delattr(target, args[0])
        elif kind_ == "configure":
            value = self._value(args[1], session, service)
            target.configure_mock(**{args[0]: value})
        elif kind_ == "attach_in":
            target.attach_mock(self._outside(args[1], session, service), args[0])
        elif kind_ == "attach_out":
            self._outside(args[1], session, service).attach_mock(target, args[0])
        elif kind_ == "add_spec":
            spec = {
                "names": ["get", "send", "extra"],
                "its class": _spec(service),
                "another class": Clock,
            }[args[0]]
            target.mock_add_spec(spec, spec_set=args[1])
        elif kind_ == "seal":
            mock.seal(target)
        elif kind_ == "reset":
            target.reset_mock(return_value=args[0], side_effect=args[1])
        elif kind_ == "magic":
            _MAGIC_OPS[args[0]](target)
        elif kind_ == "patch":
            if args[0] == "module":
                session.patch.object(_THIS_MODULE, "CLIENT", new=target)
            elif args[0] == "class":
                session.patch.object(Holder, "service", new=target)
            else:
                session.patch.object(_THIS_MODULE, "CLIENT", service=service)
        elif kind_ == "patch_attr":
            session.patch.object(target, args[0])
        elif kind_ == "store":
            self._store(args[0], target)

    def _store(self, how: str, target: Any) -> None:
        if how == "module":
            STORED.append(target)
        elif how == "class":
            setattr(Holder, f"kept_{len(_class_kept_names())}", target)
        elif how == "closure":

            def kept() -> Any:
                return target

            STORED.append(kept)
        else:
            release = threading.Event()

            def hold() -> None:
                release.wait(10)
                loop = asyncio.new_event_loop()
                try:
                    _poke(target, loop)
                finally:
                    loop.close()

            thread = threading.Thread(target=hold, daemon=True)
            thread.start()
            self.threads.append((thread, release))

    # -- the checks -------------------------------------------------------------

    def check_disjoint(self, one: MockSession, other: MockSession) -> None:
        mine = {id(one.get(service)) for service in self.services}
        theirs = {id(other.get(service)) for service in self.services}
        self.case.assertFalse(mine & theirs, "two open sessions share a mock")

    def check_next_session(
        self,
        held: dict[str, weakref.ref[Any]],
        paths: dict[str, tuple[tuple[str, ...], ...]],
        order: tuple[str, ...],
    ) -> None:
        with self.session() as session:
            handed = {service: session.get(service) for service in order}
            # What the earlier session left outside is used now: it must not
            # reach the new mocks.
            for stored in [*STORED, *(getattr(Holder, n) for n in _class_kept_names())]:
                _poke(stored, self.loop)
            self.release_threads()
            private: Any = None
            for service in self.services:
                got = handed[service]
                self.check_wiring(session, service, got)
                old = held[service]()
                recycled = old is got
                del old
                if service in paths:
                    state = "recycled" if recycled else "not recycled"
                    event(f"{service}: {state}")
                    self.check_fresh(got, service, paths[service], state)
                for attribute, dependency in REGISTRY.get(service).depends_on.items():
                    private = got.__dict__.get(attribute)
                    if _isolated(dependency) and dependency in paths:
                        self.check_fresh(
                            private, dependency, paths[dependency], "private"
                        )
            del got, handed, private
        self.check_pools()

    def check_fresh(
        self, got: Any, service: str, paths: tuple[tuple[str, ...], ...], state: str
    ) -> None:
        difference = first_difference(
            observe(got, service, self.loop, paths),
            expected_observation(service, paths),
        )
        self.case.assertIsNone(
            difference, f"{service} ({state}) differs from a fresh build: {difference}"
        )

    def check_wiring(self, session: MockSession, service: str, got: Any) -> None:
        for attribute, dependency in REGISTRY.get(service).depends_on.items():
            wired = got.__dict__.get(attribute)
            if _isolated(dependency):
                self.case.assertIsInstance(wired, _spec(dependency))
                self.case.assertIsNot(wired, session.get(dependency))
            else:
                self.case.assertIs(wired, session.get(dependency))

    def check_pools(self) -> None:
        """Bounds and bookkeeping; called while no session is open."""
        reasons = {
            value for name, value in vars(DiscardReason).items() if name.isupper()
        }
        for pool in self.pools.pools():
            stats = pool.stats()
            self.case.assertLessEqual(stats.idle, pool.max_size, stats)
            self.case.assertLessEqual(set(stats.discards), reasons, stats)
            self.case.assertEqual(stats.acquired, stats.hits + stats.builds, stats)
            self.case.assertEqual(stats.leased, 0, stats)
            self.case.assertEqual(
                stats.builds, stats.idle + sum(stats.discards.values()), stats
            )


def _isolated(service: str) -> bool:
    return REGISTRY.get(service).policy.sharing == "isolated"


_MAGIC_OPS: dict[str, Callable[[Any], object]] = {
    "len": len,
    "with": _enter,
    "str": str,
    "eq": lambda m: m == mock.sentinel.other,
    "iter": lambda m: list(iter(m)),
    "bool": bool,
    "in": lambda m: 1 in m,
}


def run_example(
    case: unittest.TestCase, services: tuple[str, ...], drawn: list[Round]
) -> None:
    example = Example(case, services)
    try:
        for number, round_ in enumerate(drawn, 1):
            note(f"session {number}: {round_!r}")
            example.run(round_)
    finally:
        example.close()


#: At least 500 examples, or the loaded profile's number if larger
#: (``HYPOTHESIS_PROFILE=long`` asks for 10,000).
PROPERTY_SETTINGS = settings(
    max_examples=max(500, settings().max_examples),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    deadline=None,
)
#: The property over one service only needs fewer examples to cover it.
NARROW_SETTINGS = settings(
    PROPERTY_SETTINGS, max_examples=max(100, settings().max_examples // 5)
)


class RecyclingPropertyTests(unittest.TestCase):
    @PROPERTY_SETTINGS
    @given(rounds(SERVICES))
    def test_next_session_gets_mocks_indistinguishable_from_fresh_builds(
        self, drawn: list[Round]
    ) -> None:
        """After any use, the next session's mocks behave as fresh builds."""
        run_example(self, SERVICES, drawn)

    @NARROW_SETTINGS
    @given(rounds(("Tracker", "Cache")))
    def test_methods_named_like_mock_attributes_come_back_fresh(
        self, drawn: list[Round]
    ) -> None:
        """A method named ``called`` is as fresh as any after recycling."""
        run_example(self, ("Tracker", "Cache"), drawn)

    def test_settings_honour_the_loaded_profile(self) -> None:
        """The property runs at least 500 examples, or the profile's if more."""
        loaded = settings().max_examples
        self.assertEqual(PROPERTY_SETTINGS.max_examples, max(500, loaded))
        self.assertIsNone(PROPERTY_SETTINGS.deadline)


class RecyclingRegressionTests(unittest.TestCase):
    """Minimal reproductions of what the properties found."""

    def setUp(self) -> None:
        self.pools = PoolManager()
        self.addCleanup(STORED.clear)

    def session(self) -> MockSession:
        return mock_session(REGISTRY, pools=self.pools)

    def test_calls_of_a_method_named_called_do_not_reach_the_next_session(
        self,
    ) -> None:
        """A call of ``Tracker.called`` is not recorded on the next session's mock."""
        with self.session() as s:
            s.get("Tracker").called("/health")
        with self.session() as s:
            tracker = s.get("Tracker")
            self.assertEqual(tracker.called.call_count, 0)
            tracker.called.assert_not_called()

    def test_configuration_of_a_method_named_called_does_not_reach_the_next_session(
        self,
    ) -> None:
        """A return value or side effect of ``Tracker.called`` is not kept."""
        with self.session() as s:
            tracker = s.get("Tracker")
            tracker.called.return_value = True
            tracker.called.side_effect = KeyError
            del tracker
        with self.session() as s:
            tracker = s.get("Tracker")
            self.assertIsNone(tracker.called.side_effect)
            self.assertIsInstance(tracker.called.return_value, mock.MagicMock)
            self.assertIsInstance(tracker.called("/health"), mock.MagicMock)

    def test_recycled_tracker_is_observed_as_a_fresh_build(self) -> None:
        """The full battery sees no difference after a used ``called``."""
        with self.session() as s:
            s.get("Tracker").called.return_value = True
        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)
        with self.session() as s:
            seen = observe(s.get("Tracker"), "Tracker", loop)
        self.assertIsNone(first_difference(seen, expected_observation("Tracker", ())))

    def test_reset_after_mock_add_spec_keeps_the_session_whole(self) -> None:
        """reset() after narrowing a spec replaces the mock and rewires it."""
        with self.session() as s:
            repository = s.get("Repository")
            narrowed = s.get("Connection")
            narrowed.mock_add_spec(["execute"])
            s.reset()
            connection = s.get("Connection")
            self.assertIsNot(connection, narrowed)
            self.assertEqual(len(connection), 3)
            self.assertIs(repository.db, connection)
            self.assertIs(repository.cache, s.get("Cache"))


if __name__ == "__main__":
    unittest.main()
