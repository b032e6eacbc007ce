"""Timers around the places where :mod:`unittest.mock` creates mocks.

:func:`install` wraps the stdlib's entry points into mock creation and
returns a :class:`Timers` that adds up the CPU time spent in them:

* ``create_autospec``, by the kind of spec (:data:`AUTOSPEC_KINDS`);
* ``_patch.__enter__`` (every ``patch``, ``patch.object``,
  ``patch.multiple``, as a decorator, context manager or ``start()``) and,
  apart, ``_patch.__exit__``;
* construction of a mock: from the start of ``NonCallableMock.__new__``
  (which makes a class per mock) to the end of ``__init__``, timed on each
  mock class in front of its chain of mixins (a ``MagicMock`` sets up its
  magic methods before ``NonCallableMock.__init__`` runs, so timing that
  one alone would miss them);
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
other threads' work to a call that happens to overlap it, and a wall clock
(:func:`time.perf_counter`, five times cheaper to read) would charge mock
creation with the time the process spent preempted, which on a loaded
machine is not small. The two clock reads are under a third of what the
timers cost per child mock built (2 of about 7 µs on the 2-core VM of
benchmarks/realworld/README.md, whose Python is slow: :func:`calibrate`);
the rest is Python work in the wrappers the construction passes through,
which is kept to a minimum:

* a wrapper finds its thread's :class:`_Ledger` with one thread-local read
  and keeps its figures in slots and lists indexed by kind, bound when the
  wrapper is made;
* a call inside a timed call only tests the depth, counts itself and calls
  through: it neither reads the clock nor touches the depth (the outermost
  call sets it to 1 and back to 0; nothing else needs it);
* ``Mock()`` reads the clock twice, not four times: its ``__new__`` starts
  the clock and its ``__init__`` stops it;
* ``__getattr__`` on a child already built (the bulk of attribute reads in
  suites that reuse their mocks) is one dictionary test and a count.

What the timers cost is counted, not guessed: the ledgers count their
boundaries (:attr:`Timers.snapshot` ``boundaries``), :func:`calibrate`
times each kind of boundary once on no-op functions, and
:func:`own_seconds` multiplies; ``python -m mockpool measure`` prints the
result as a share of the run's CPU. It is a lower bound:
benchmarks/bench_measure_overhead.py, against plain runs, finds the real
cost three to four times higher on suites of cheap plain mocks (calls in a
suite meet colder caches than the calibration's loop).

Autospecs are also timed per spec (:attr:`Timers.snapshot` ``specs``): the
outermost ``create_autospec`` on the thread, whether or not a ``patch``
called it, so that the costliest specs can be named.

This module uses the standard library only: benchmarks/realworld/ loads it
into a suite's interpreter by its path, without importing mockpool.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import threading
import time
from typing import Any, Callable
from unittest import mock

__all__ = [
    "AUTOSPEC_KINDS",
    "BOUNDARIES",
    "CREATION_KINDS",
    "KINDS",
    "Timers",
    "calibrate",
    "install",
    "installed",
    "own_seconds",
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
#: What a timed call can cost the suite, by how the wrapper handles it:
#: ``clocked`` reads the clock twice (an outermost call, or the outermost
#: autospec inside a patch); ``nested`` is a call inside one, passed
#: through; ``lookup`` is a ``__getattr__`` that finds its child built
#: already (or its mock not built yet), and so only tests that.
BOUNDARIES = ("clocked", "nested", "lookup")

_CREATION_INDEXES = tuple(KINDS.index(kind) for kind in CREATION_KINDS)
_CHILD_MOCK = KINDS.index("child_mock")

#: The mock classes whose construction is timed, where this Python has them
#: (ThreadingMock is 3.13's). Each gets a timed ``__init__`` of its own, in
#: front of the chain of mixins' ``__init__`` it would run (a ``MagicMock``
#: sets up its magic methods before ``NonCallableMock.__init__`` runs, so
#: timing that one alone would miss them); the chain runs untimed, so that
#: building a child goes through one timed ``__init__``, not four. Other
#: mocks (``NonCallableMock()`` itself, a class of the suite's own built on
#: the mixins) get a timed ``__init__`` on their own class, which
#: ``NonCallableMock.__new__`` makes for every mock (:meth:`Timers.timed_new`).
_MOCK_CLASSES = (
    "Mock",
    "MagicMock",
    "NonCallableMagicMock",
    "AsyncMock",
    "PropertyMock",
    "ThreadingMock",
)


class _Ledger:
    """One thread's totals, and whether it is inside a timed call."""

    __slots__ = (
        "autospec_depth",
        "autospec_roots",
        "counts",
        "depth",
        "nested",
        "newborn",
        "newborn_started",
        "seconds",
        "specs",
        "unbuilt",
    )

    def __init__(self) -> None:
        #: 1 inside an outermost timed call, else 0 (never deeper: the calls
        #: inside only need to know that they are inside).
        self.depth = 0
        #: The same, for the outermost ``create_autospec`` (which may be
        #: inside a patch): what the per-spec table counts.
        self.autospec_depth = 0
        #: Seconds and outermost calls, indexed as :data:`KINDS`.
        self.seconds = [0.0] * len(KINDS)
        self.counts = [0] * len(KINDS)
        #: spec name -> [seconds, count] of outermost autospecs.
        self.specs: dict[str, list[float]] = {}
        #: The id of the mock an outermost ``__new__`` returned last, and
        #: when that call started: its ``__init__``, which follows at once,
        #: stops the clock for both (one construction, two clock reads).
        self.newborn = 0
        self.newborn_started = 0.0
        # Boundaries, for what the timers cost (BOUNDARIES): calls passed
        # through inside a timed call; __getattr__ calls that were clocked
        # and built nothing (a spec violation), so are not in ``counts``;
        # outermost autospecs, clocked whether or not inside a patch.
        self.nested = 0
        self.unbuilt = 0
        self.autospec_roots = 0


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
        # Every __getattr__ that finds its child built already: the most
        # frequent timed call, so it does not even look up the ledger.
        # ``next()`` on a count is atomic, so threads share this one.
        self._lookups = itertools.count()

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
            ledger.seconds[index]
            for ledger in list(self._ledgers)
            for index in _CREATION_INDEXES
        )

    def boundaries(self) -> dict[str, int]:
        """How many timed calls went through each kind of :data:`BOUNDARIES`."""
        clocked = nested = 0
        for ledger in list(self._ledgers):
            autospecs = sum(ledger.counts[: len(AUTOSPEC_KINDS)])
            # Outermost autospecs are in the counts and in autospec_roots.
            clocked += (
                sum(ledger.counts) - autospecs + ledger.autospec_roots + ledger.unbuilt
            )
            nested += ledger.nested
        # The count's repr is its next value: "count(12)".
        lookups = int(repr(self._lookups)[len("count(") : -1])
        return {"clocked": clocked, "nested": nested, "lookup": lookups}

    def snapshot(self) -> dict[str, Any]:
        """The totals so far, as plain data (JSON-ready).

        Returns:
            ``seconds`` and ``counts`` by kind (:data:`KINDS`; a count is of
            outermost calls), ``creation_seconds`` (the sum over
            :data:`CREATION_KINDS`), ``specs`` (spec name -> ``seconds`` and
            ``count`` of its outermost autospecs), ``boundaries`` (timed
            calls by :data:`BOUNDARIES`, for :func:`own_seconds`) and
            ``clock`` (the name of the clock).
        """
        seconds = dict.fromkeys(KINDS, 0.0)
        counts = dict.fromkeys(KINDS, 0)
        specs: dict[str, dict[str, float]] = {}
        for ledger in list(self._ledgers):
            for index, kind in enumerate(KINDS):
                seconds[kind] += ledger.seconds[index]
                counts[kind] += ledger.counts[index]
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
            "boundaries": self.boundaries(),
        }

    def timed(self, kind: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """*function*, timed as *kind* when it is the outermost timed call."""
        clock = self.clock
        local = self._local
        new_ledger = self.ledger
        index = KINDS.index(kind)

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            try:
                ledger = local.ledger
            except AttributeError:
                ledger = new_ledger()
            if ledger.depth:
                ledger.nested += 1
                return function(*args, **kwargs)
            ledger.depth = 1
            started = clock()
            try:
                return function(*args, **kwargs)
            finally:
                ledger.seconds[index] += clock() - started
                ledger.counts[index] += 1
                ledger.depth = 0

        return timed

    def timed_new(
        self, function: Callable[..., Any], covered: tuple[type, ...] = ()
    ) -> Callable[..., Any]:
        """``NonCallableMock.__new__``, whose clock the ``__init__`` stops.

        ``Mock()`` runs ``__new__`` (which makes the mock's own class) and
        then, at once, ``__init__``: timed as one construction, from the
        start of one to the end of the other, that is two clock reads, not
        four. A ``__new__`` that no ``__init__`` follows (``copy.copy`` of a
        mock) is left uncounted.

        Args:
            function: The stdlib's ``__new__``.
            covered: The classes whose ``__init__`` is timed; a mock of
                another class, built outside any timed call, gets a timed
                ``__init__`` on the class ``__new__`` made for it alone.
        """
        clock = self.clock
        local = self._local
        new_ledger = self.ledger
        timed_init = self.timed_init
        index = KINDS.index("mock_init")

        @functools.wraps(function)
        def __new__(*args: Any, **kwargs: Any) -> Any:
            try:
                ledger = local.ledger
            except AttributeError:
                ledger = new_ledger()
            if ledger.depth:
                ledger.nested += 1
                return function(*args, **kwargs)
            ledger.depth = 1
            started = clock()
            try:
                instance = function(*args, **kwargs)
            except BaseException:
                ledger.seconds[index] += clock() - started
                ledger.counts[index] += 1
                ledger.depth = 0
                raise
            own_class = type(instance)  # not isinstance: a mock's __class__
            # is a property that reads attributes __init__ has not set yet.
            if (
                not issubclass(own_class, covered)
                # Made by the stdlib for this mock alone, and untouched.
                and own_class is not args[0]
                and "__init__" not in own_class.__dict__
            ):
                # A class that refuses the attribute is left untimed.
                with contextlib.suppress(TypeError, AttributeError):
                    own_class.__init__ = timed_init(own_class.__init__)
            ledger.newborn = id(instance)
            ledger.newborn_started = started
            ledger.depth = 0
            return instance

        return __new__

    def timed_init(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """A mock class's ``__init__``: the end of a construction.

        Timed from the start of the ``__new__`` that made *self*, when that
        was the last outermost call (see :meth:`timed_new`), else from here.
        """
        clock = self.clock
        local = self._local
        new_ledger = self.ledger
        index = KINDS.index("mock_init")

        @functools.wraps(function)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                ledger = local.ledger
            except AttributeError:
                ledger = new_ledger()
            if ledger.depth:
                ledger.nested += 1
                return function(self, *args, **kwargs)  # type: ignore[no-any-return]
            ledger.depth = 1
            if ledger.newborn == id(self):
                started = ledger.newborn_started
                ledger.newborn = 0
                ledger.nested += 1  # a second pass through a wrapper
            else:
                started = clock()
            try:
                return function(self, *args, **kwargs)  # type: ignore[no-any-return]
            finally:
                ledger.seconds[index] += clock() - started
                ledger.counts[index] += 1
                ledger.depth = 0

        return __init__

    def timed_lookup(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """``__getattr__``, timed as a child mock when it builds one.

        ``__getattr__`` runs on every access to a child (children live in
        ``_mock_children``, not in the instance dict): a suite that reads
        children a million times would pay two clock reads each. A name
        already in ``_mock_children`` (a child, a deleted one, or a lazy
        autospec, which ``create_autospec``'s own timer counts) builds
        nothing here, so the stdlib's lookup runs unclocked. A new name
        that returns has been built and stored as a child; one that raises
        (a spec violation) has built nothing and is not counted.
        """
        clock = self.clock
        local = self._local
        new_ledger = self.ledger
        count_lookup = self._lookups.__next__
        # Past the mock's own attribute machinery (every mock has a dict).
        get_attribute = object.__getattribute__

        @functools.wraps(function)
        def __getattr__(self: Any, name: str) -> Any:
            # Not get_attribute(self, "_mock_children"): a mock being built
            # has none yet, and a raised AttributeError costs more than this.
            children = get_attribute(self, "__dict__").get("_mock_children")
            if children is None or name in children:
                # A child built already, or a mock still being built (a
                # MagicMock's magic methods look up _mock_methods before
                # NonCallableMock.__init__ sets it), which cannot build one.
                count_lookup()
                return function(self, name)
            try:
                ledger = local.ledger
            except AttributeError:
                ledger = new_ledger()
            if ledger.depth:
                ledger.nested += 1
                return function(self, name)
            ledger.depth = 1
            started = clock()
            try:
                child = function(self, name)
            except BaseException:
                ledger.depth = 0
                ledger.unbuilt += 1
                raise
            ledger.seconds[_CHILD_MOCK] += clock() - started
            ledger.counts[_CHILD_MOCK] += 1
            ledger.depth = 0
            return child

        return __getattr__

    def timed_autospec(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """``create_autospec``, timed by the kind of spec, and per spec."""
        clock = self.clock
        local = self._local
        new_ledger = self.ledger

        @functools.wraps(function)
        def create_autospec(spec: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                ledger = local.ledger
            except AttributeError:
                ledger = new_ledger()
            if ledger.autospec_depth:  # the stdlib recursing into attributes
                ledger.nested += 1
                return function(spec, *args, **kwargs)
            outermost = not ledger.depth
            ledger.depth = 1
            ledger.autospec_depth = 1
            ledger.autospec_roots += 1
            started = clock()
            try:
                return function(spec, *args, **kwargs)
            finally:
                spent = clock() - started
                ledger.autospec_depth = 0
                if outermost:
                    ledger.depth = 0
                name = _spec_name(spec)
                entry = ledger.specs.get(name)
                if entry is None:
                    ledger.specs[name] = [spent, 1]
                else:
                    entry[0] += spent
                    entry[1] += 1
                if outermost:
                    index = KINDS.index(_autospec_kind(spec, args, kwargs))
                    ledger.seconds[index] += spent
                    ledger.counts[index] += 1

        return create_autospec


def calibrate(
    clock: Callable[[], float] = time.thread_time,
    *,
    calls: int = 1000,
    repeats: int = 3,
) -> dict[str, float]:
    """What one timed call costs, in seconds, by kind of :data:`BOUNDARIES`.

    Times *calls* calls through each kind of wrapper, on timers of their own
    with *clock* (the installed timers' totals do not move), against the
    same calls made directly; the median of *repeats* rounds. Each kind is
    timed on the call it mostly sees in a suite, to a function that does
    nothing: ``clocked`` on ``__getattr__`` of a child not built yet (the
    commonest outermost call), ``nested`` on a call with the five keyword
    arguments ``_get_child_mock`` passes down the construction of a child
    (forwarding them costs as much as the rest of the wrapper), ``lookup``
    on ``__getattr__`` of a child built already. Meant to run once, after
    the suite, off its clock: about 0.03 s of CPU on a slow machine.

    Raises:
        ValueError: *calls* or *repeats* is not a positive integer.
    """
    for label, value in (("calls", calls), ("repeats", repeats)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(
                f"calibrate({label}={value!r}): give a positive integer, such "
                f"as {label}={3 if label == 'repeats' else 1000}"
            )
    timers = Timers(clock)
    ledger = timers.ledger()

    class Parent:
        """Stands for a mock whose child ``built`` exists."""

        def __init__(self) -> None:
            self._mock_children = {"built": None}

    def get_child(self: Any, name: str) -> None:
        return None

    def construct(self: Any, /, **kwargs: Any) -> None:
        return None

    parent = Parent()
    child_kwargs = {
        "parent": parent,
        "name": "new",
        "wraps": None,
        "_new_name": "new",
        "_new_parent": parent,
    }
    lookup = timers.timed_lookup(get_child)
    nested = timers.timed("child_mock", construct)
    loop = range(calls)

    def cost(
        call: Callable[..., Any], direct: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> float:
        rounds = []
        for _ in range(repeats):
            started = time.thread_time()
            for _ in loop:
                call(*args, **kwargs)
            middle = time.thread_time()
            for _ in loop:
                direct(*args, **kwargs)
            ended = time.thread_time()
            rounds.append((middle - started) - (ended - middle))
        rounds.sort()
        return max(rounds[len(rounds) // 2] / calls, 0.0)

    costs = {
        "clocked": cost(lookup, get_child, parent, "new"),
        "lookup": cost(lookup, get_child, parent, "built"),
    }
    ledger.depth = 1  # as inside an outermost call
    costs["nested"] = cost(nested, construct, parent, **child_kwargs)
    ledger.depth = 0
    return costs


def own_seconds(boundaries: dict[str, int], costs: dict[str, float]) -> float:
    """The CPU seconds the timers cost: *boundaries* priced at *costs*.

    Args:
        boundaries: Timed calls by kind, from :meth:`Timers.boundaries`.
        costs: Seconds per call by kind, from :func:`calibrate`.
    """
    return sum(boundaries.get(kind, 0) * costs.get(kind, 0.0) for kind in BOUNDARIES)


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


#: What install() replaced: (owner, attribute, the original object, or
#: _ABSENT for an attribute the owner inherited).
_replaced: list[tuple[Any, str, Any]] = []
_ABSENT = object()
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
        _replaced.append((owner, name, owner.__dict__.get(name, _ABSENT)))
        setattr(owner, name, wrapped)

    replace(mock, "create_autospec", timers.timed_autospec(mock.create_autospec))
    patch_class: Any = mock._patch
    replace(
        patch_class, "__enter__", timers.timed("patch_enter", patch_class.__enter__)
    )
    replace(patch_class, "__exit__", timers.timed("patch_exit", patch_class.__exit__))
    base: Any = mock.NonCallableMock
    # __new__ is a static method; the replacement must be one too.
    classes = [
        mock_class
        for mock_class in (getattr(mock, name, None) for name in _MOCK_CLASSES)
        if mock_class is not None
    ]
    new = base.__dict__["__new__"].__func__
    replace(base, "__new__", staticmethod(timers.timed_new(new, tuple(classes))))
    # Every class's __init__ as it resolves now, before any is replaced (a
    # PropertyMock's would otherwise be Mock's timed one).
    inits = [(mock_class, mock_class.__init__) for mock_class in classes]
    for mock_class, init in inits:
        replace(mock_class, "__init__", timers.timed_init(init))
    replace(base, "_get_child_mock", timers.timed("child_mock", base._get_child_mock))
    replace(base, "__getattr__", timers.timed_lookup(base.__getattr__))
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
        if original is _ABSENT:  # inherited before: inherit it again
            delattr(owner, name)
        else:
            setattr(owner, name, original)
    timers, _installed = _installed, None
    return timers


def installed() -> Timers | None:
    """The installed timers, or ``None``."""
    return _installed
