"""Timers around the places where :mod:`unittest.mock` creates mocks.

:func:`install` wraps the stdlib's entry points into mock creation and
returns a :class:`Timers` that adds up the CPU time spent in them:

* ``create_autospec``, by the kind of spec (:data:`AUTOSPEC_KINDS`);
* ``_patch.__enter__`` (every ``patch``, ``patch.object``,
  ``patch.multiple``, as a decorator, context manager or ``start()``) and,
  apart, ``_patch.__exit__``;
* construction of a mock: ``NonCallableMock.__new__`` (which makes a class
  per mock) and the ``__init__`` of each mock class and mixin (a
  ``MagicMock`` sets up its magic methods before ``NonCallableMock.__init__``
  runs, so timing that one alone would miss them);
* child mocks: ``NonCallableMock._get_child_mock`` and ``__getattr__``
  when it builds a child (on first access; later accesses, which return the
  child already built, and spec violations, which raise, create nothing and
  are not counted -- a name already among the mock's children is looked up
  without reading the clock at all).

Only the outermost timed call on a thread counts: a ``patch(...,
autospec=True)`` is one ``patch_enter``, not also an autospec, several
``__init__`` and dozens of children. So the kinds add up to the time spent
creating mocks, with nothing counted twice (:meth:`Timers.snapshot`).

The clock is :func:`time.thread_time`: the CPU time of the calling thread.
The depth that decides what is outermost is per thread, so each thread's
timed calls are disjoint on that thread's clock and the sum over threads is
a share of the process's CPU time. :func:`time.process_time` would add
other threads' work to a call that happens to overlap it. Both cost the
same: one ``clock_gettime`` (1.3 µs on the 2-core VM the figures in
benchmarks/realworld/README.md come from).

Overhead: two clock reads and a few dictionary updates per outermost call,
about 3 µs, and a thread-local lookup per nested call; against the 20 µs to
20 ms a mock costs to build, that is 3 % of metalsmith's CPU (84 % of which
is mock creation) and too little to tell from noise on os-brick
(benchmarks/realworld/README.md).

Autospecs are also timed per spec (:attr:`Timers.snapshot` ``specs``): the
outermost ``create_autospec`` on the thread, whether or not a ``patch``
called it, so that the costliest specs can be named.

This module uses the standard library only: benchmarks/realworld/ loads it
into a suite's interpreter by its path, without importing mockpool.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from typing import Any, Callable
from unittest import mock

__all__ = [
    "AUTOSPEC_KINDS",
    "CREATION_KINDS",
    "KINDS",
    "Timers",
    "install",
    "installed",
    "uninstall",
]

#: The kinds of ``create_autospec`` call, by what the spec is.
AUTOSPEC_KINDS = (
    "autospec_instance",  # a class, instance=True
    "autospec_class",  # a class
    "autospec_function",  # a function, method or other routine
    "autospec_other",  # a module, an instance, anything else
)
#: The kinds that count as creating mocks: a suite's mock share is theirs.
CREATION_KINDS = (*AUTOSPEC_KINDS, "patch_enter", "mock_init", "child_mock")
#: Every kind timed. Undoing a patch is timed but creates nothing.
KINDS = (*CREATION_KINDS, "patch_exit")

#: The mock classes and mixins whose own ``__init__`` is timed, where this
#: Python has them (ThreadingMixin is 3.13's).
_INIT_CLASSES = (
    "NonCallableMock",
    "CallableMixin",
    "MagicMixin",
    "AsyncMockMixin",
    "AsyncMagicMixin",
    "ThreadingMixin",
)


class _Ledger:
    """One thread's totals, and its depth inside timed calls."""

    __slots__ = ("autospec_depth", "counts", "depth", "nested", "seconds", "specs")

    def __init__(self) -> None:
        self.depth = 0
        #: Timed calls made inside another timed call, ever: how a lookup
        #: tells that it created something.
        self.nested = 0
        self.autospec_depth = 0
        self.seconds = dict.fromkeys(KINDS, 0.0)
        self.counts = dict.fromkeys(KINDS, 0)
        #: spec name -> [seconds, count] of outermost autospecs.
        self.specs: dict[str, list[float]] = {}


class Timers:
    """The totals of the installed timers, summed over threads.

    Each thread adds to a ledger of its own, so timing takes no lock; a
    snapshot taken while other threads create mocks may miss their calls in
    progress, never count one twice.
    """

    def __init__(self, clock: Callable[[], float] = time.thread_time) -> None:
        self.clock = clock
        self._local = threading.local()
        self._ledgers: list[_Ledger] = []
        self._lock = threading.Lock()

    def ledger(self) -> _Ledger:
        """The calling thread's ledger, made on its first timed call."""
        try:
            ledger: _Ledger = self._local.ledger
        except AttributeError:
            ledger = self._local.ledger = _Ledger()
            with self._lock:
                self._ledgers.append(ledger)
        return ledger

    def creation_seconds(self) -> float:
        """Seconds spent creating mocks so far, over every thread."""
        return sum(
            ledger.seconds[kind]
            for ledger in list(self._ledgers)
            for kind in CREATION_KINDS
        )

    def snapshot(self) -> dict[str, Any]:
        """The totals so far, as plain data (JSON-ready).

        Returns:
            ``seconds`` and ``counts`` by kind (:data:`KINDS`; a count is of
            outermost calls), ``creation_seconds`` (the sum over
            :data:`CREATION_KINDS`), ``specs`` (spec name -> ``seconds`` and
            ``count`` of its outermost autospecs) and ``clock`` (the name of
            the clock).
        """
        seconds = dict.fromkeys(KINDS, 0.0)
        counts = dict.fromkeys(KINDS, 0)
        specs: dict[str, dict[str, float]] = {}
        for ledger in list(self._ledgers):
            for kind in KINDS:
                seconds[kind] += ledger.seconds[kind]
                counts[kind] += ledger.counts[kind]
            for name, (spent, count) in list(ledger.specs.items()):
                entry = specs.setdefault(name, {"seconds": 0.0, "count": 0})
                entry["seconds"] += spent
                entry["count"] += int(count)
        return {
            "clock": getattr(self.clock, "__name__", repr(self.clock)),
            "seconds": seconds,
            "counts": counts,
            "creation_seconds": sum(seconds[kind] for kind in CREATION_KINDS),
            "specs": specs,
        }

    def timed(
        self, kind: str, function: Callable[..., Any], *, only_creating: bool = False
    ) -> Callable[..., Any]:
        """*function*, timed as *kind* when it is the outermost timed call.

        With *only_creating*, an outermost call counts only if it made a
        timed call inside it: ``__getattr__`` runs on every access to a
        child, and only the first, which builds the child, creates a mock.
        """
        clock = self.clock
        ledger_of = self.ledger

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            ledger = ledger_of()
            if ledger.depth:
                ledger.nested += 1
                ledger.depth += 1
                try:
                    return function(*args, **kwargs)
                finally:
                    ledger.depth -= 1
            ledger.depth = 1
            nested = ledger.nested
            started = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent = clock() - started
                ledger.depth = 0
                if not only_creating or ledger.nested != nested:
                    ledger.seconds[kind] += spent
                    ledger.counts[kind] += 1

        return timed

    def timed_autospec(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """``create_autospec``, timed by the kind of spec, and per spec."""
        clock = self.clock
        ledger_of = self.ledger

        @functools.wraps(function)
        def create_autospec(spec: Any, *args: Any, **kwargs: Any) -> Any:
            ledger = ledger_of()
            if ledger.depth:
                ledger.nested += 1
            if ledger.autospec_depth:  # the stdlib recursing into attributes
                ledger.depth += 1
                ledger.autospec_depth += 1
                try:
                    return function(spec, *args, **kwargs)
                finally:
                    ledger.depth -= 1
                    ledger.autospec_depth -= 1
            outermost = not ledger.depth
            ledger.depth += 1
            ledger.autospec_depth = 1
            started = clock()
            try:
                return function(spec, *args, **kwargs)
            finally:
                spent = clock() - started
                ledger.depth -= 1
                ledger.autospec_depth = 0
                name = _spec_name(spec)
                entry = ledger.specs.get(name)
                if entry is None:
                    ledger.specs[name] = [spent, 1]
                else:
                    entry[0] += spent
                    entry[1] += 1
                if outermost:
                    kind = _autospec_kind(spec, args, kwargs)
                    ledger.seconds[kind] += spent
                    ledger.counts[kind] += 1

        return create_autospec


def _past_existing_children(
    timed: Callable[..., Any], original: Callable[..., Any]
) -> Callable[..., Any]:
    """``__getattr__`` that times only a lookup that may build a child.

    ``__getattr__`` runs on every access to a child (children live in
    ``_mock_children``, not in the instance dict): a suite that reads
    children a million times would pay two clock reads each. A name already
    in ``_mock_children`` (a child, or a deleted one) builds nothing, so the
    stdlib's own lookup runs untimed.
    """

    @functools.wraps(original)
    def __getattr__(self: Any, name: str) -> Any:
        try:
            children = _object_getattribute(self, "__dict__").get("_mock_children")
            known = children is not None and name in children
        except Exception:  # an odd mock (no dict, or an unhashable name)
            known = False
        if known:
            return original(self, name)
        return timed(self, name)

    return __getattr__


# Past the mock's own attribute machinery (it has a __getattr__).
_object_getattribute = object.__getattribute__


def _autospec_kind(spec: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    # create_autospec(spec, spec_set=False, instance=False, ...)
    instance = args[1] if len(args) > 1 else kwargs.get("instance", False)
    try:
        if isinstance(spec, type):
            return "autospec_instance" if instance else "autospec_class"
        if inspect.isroutine(spec):
            return "autospec_function"
    except Exception:  # a hostile spec must not break the suite's call
        pass
    return "autospec_other"


def _spec_name(spec: Any) -> str:
    """``module.Qualname`` of a class or routine; ``<Type instance>`` else."""
    try:
        if isinstance(spec, type) or inspect.isroutine(spec):
            module = getattr(spec, "__module__", None) or "?"
            qualname = getattr(spec, "__qualname__", None) or repr(spec)
            return f"{module}.{qualname}"
        kind = type(spec)
        return f"<{kind.__module__}.{kind.__qualname__} instance>"
    except Exception:  # a spec whose attributes raise
        return "<unnamed spec>"


#: What install() replaced: (owner, attribute, the original object).
_replaced: list[tuple[Any, str, Any]] = []
_installed: Timers | None = None


def install(clock: Callable[[], float] = time.thread_time) -> Timers:
    """Time mock creation in :mod:`unittest.mock` from now on.

    Modules that imported ``create_autospec`` by name before this call keep
    the untimed one; install before the suite is imported.

    Args:
        clock: The CPU clock, :func:`time.thread_time` by default (see the
            module's docstring for why).

    Returns:
        The timers that add up from now on.

    Raises:
        RuntimeError: The timers are installed already; call
            :func:`uninstall` first.
    """
    global _installed
    if _installed is not None:
        raise RuntimeError(
            "mock timers are already installed; call uninstall() before "
            "installing them again"
        )
    timers = Timers(clock)

    def replace(owner: Any, name: str, wrapped: Any) -> None:
        _replaced.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, wrapped)

    replace(mock, "create_autospec", timers.timed_autospec(mock.create_autospec))
    patch_class: Any = mock._patch
    replace(
        patch_class, "__enter__", timers.timed("patch_enter", patch_class.__enter__)
    )
    replace(patch_class, "__exit__", timers.timed("patch_exit", patch_class.__exit__))
    base: Any = mock.NonCallableMock
    # __new__ is a static method; the replacement must be one too.
    new = base.__dict__["__new__"].__func__
    replace(base, "__new__", staticmethod(timers.timed("mock_init", new)))
    for class_name in _INIT_CLASSES:
        mock_class = getattr(mock, class_name, None)
        if mock_class is not None and "__init__" in mock_class.__dict__:
            init = mock_class.__dict__["__init__"]
            replace(mock_class, "__init__", timers.timed("mock_init", init))
    replace(base, "_get_child_mock", timers.timed("child_mock", base._get_child_mock))
    getattr_ = timers.timed("child_mock", base.__getattr__, only_creating=True)
    replace(base, "__getattr__", _past_existing_children(getattr_, base.__getattr__))
    _installed = timers
    return timers


def uninstall() -> Timers | None:
    """Put back every stdlib object :func:`install` replaced, the same objects.

    Returns:
        The timers that were installed (their totals stay readable), or
        ``None`` when none were.
    """
    global _installed
    while _replaced:
        owner, name, original = _replaced.pop()
        setattr(owner, name, original)
    timers, _installed = _installed, None
    return timers


def installed() -> Timers | None:
    """The installed timers, or ``None``."""
    return _installed
