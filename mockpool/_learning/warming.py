"""Warming: build pool stock ahead of demand, off the tests' critical path.

A :class:`Warmer` is given the classes the predictor expects a run to
autospec, highest priority first. Before the first test it builds a small
stock of pristine instance mocks of each (:meth:`Warmer.warm_up`, in the
test thread, within a time budget); then a daemon thread tops the stocks up
as tests use them (:meth:`Warmer.start`). A test that asks for one is served
a warm mock instead of waiting for a build.

Why it cannot change a result (contract 4):

* it only ever builds what the pool would build on demand;
* classes are introspected only in the test thread (at warm-up), never by
  the daemon thread, which builds from a pool's own recorded introspection:
  a test patching a class while the thread works cannot leak into a mock,
  and a class that a test has patched gets a pool of its own;
* it builds a class only once the suite itself has imported it -- the
  warmer never imports anything, so the suite's import order is its own;
* it holds no lock a test needs for longer than a pool append.
"""

from __future__ import annotations

import sys
import threading

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import getattr, isinstance, len, min, range  # noqa: UP029
from collections.abc import Callable, Sequence

# Bound at import: warming runs while tests do (its thread, and the warm-up
# inside the first test), and a test may patch time.perf_counter.
from time import perf_counter as _perf_counter
from typing import Any

__all__ = ["Warmer", "resolve_class"]

#: Idle mocks the warmer keeps of each class by default.
DEFAULT_STOCK = 8
#: Seconds between looks at classes not imported yet or pools all full.
IDLE_INTERVAL = 0.02


def resolve_class(name: str) -> type | None:
    """The class named *name* (``"pkg.module.Outer.Inner"``), if imported.

    Looks only in :data:`sys.modules`, never imports; ``None`` if the module
    is not imported (yet), the name resolves to something that is not a
    class, or to a class of another name (a test replaced it).
    """
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:split]))
        if module is None:
            continue
        value: Any = module
        for attribute in parts[split:]:
            value = getattr(value, attribute, None)
            if value is None:
                return None
        if not isinstance(value, type):
            return None
        if f"{value.__module__}.{value.__qualname__}" != name:
            return None
        return value
    return None


class Warmer:
    """Keeps a stock of mocks of the predicted classes, from a daemon thread.

    Args:
        targets: Class names (``module.Qualname``), highest priority first.
        pool_for: Returns the pool of a class, introspecting it if need be
            (``None`` if it cannot be pooled); used by :meth:`warm_up` only.
        existing_pool_for: Returns the pool of a class as last introspected,
            without introspecting (``None`` if there is none); used by the
            thread.
        stock: Idle mocks to keep of each class.
    """

    def __init__(
        self,
        targets: Sequence[str],
        pool_for: Callable[[type], Any],
        existing_pool_for: Callable[[type], Any],
        *,
        stock: int = DEFAULT_STOCK,
    ) -> None:
        self.targets = list(targets)
        self.stock = stock
        self._pool_for = pool_for
        self._existing_pool_for = existing_pool_for
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Mocks built by the warmer, by class name.
        self.built: dict[str, int] = {}
        #: Seconds spent in :meth:`warm_up`.
        self.warm_up_seconds = 0.0

    def start(self) -> None:
        """Start the daemon thread (once)."""
        with self._lock:
            if self._thread is not None or not self.targets:
                return
            self._thread = threading.Thread(
                target=self._run, name="mockpool-warmer", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        """A pool's stock went down: look again now rather than later."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread; waits at most *timeout* seconds for it."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.step():
                self._wake.wait(IDLE_INTERVAL)
                self._wake.clear()

    def warm_up(self, budget: float = 0.25) -> int:
        """Fill the stock of each imported target, in this (the test) thread.

        Highest priority first, until *budget* seconds are spent. Returns
        how many mocks were built.
        """
        started = _perf_counter()
        built = 0
        for name in list(self.targets):
            if _perf_counter() - started > budget:
                break
            spec = resolve_class(name)
            pool = None if spec is None else self._pool_for(spec)
            if pool is not None:
                built += self._top_up(name, pool, self.stock)
        self.warm_up_seconds += _perf_counter() - started
        return built

    def step(self) -> bool:
        """Build at most one mock for each introspected class short of stock.

        Highest priority first, one build per class per round, so the most
        wanted class is ready first and none waits for all the others.
        Returns whether anything was built. (The thread calls this in a
        loop; tests call it directly.)
        """
        built = False
        for name in list(self.targets):
            if self._stop.is_set():
                break
            spec = resolve_class(name)
            pool = None if spec is None else self._existing_pool_for(spec)
            if pool is not None and self._top_up(name, pool, pool.stats().idle + 1):
                built = True
        return built

    def _top_up(self, name: str, pool: Any, count: int) -> int:
        idle = pool.stats().idle
        count = min(count, self.stock, pool.max_size)
        if idle >= count:
            return 0
        try:
            made: int = pool.warm(count)
        except Exception:  # a class that cannot be built is not warmed
            if name in self.targets:
                self.targets.remove(name)
            return 0
        with self._lock:
            self.built[name] = self.built.get(name, 0) + made
        return made
