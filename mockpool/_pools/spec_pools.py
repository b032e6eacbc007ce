"""Pools of anonymous instance autospecs: what the drop-in serves tests from.

``create_autospec(cls, instance=True)`` inside a test is served from the
:class:`SpecPool` of ``cls``: a :class:`~mockpool._pools.pool.Pool` whose
recipe is the class itself rather than a registered service, with the same
pristine proof (contract 2).

Contract:

* A pool is keyed by the class's *introspection*, not the class: when the
  class changes (a test patches one of its methods), introspection is
  redone, the key differs, and mocks of the class as it was are never handed
  out for the class as it is. A class whose introspection is not cached
  (it is not static, or its metaclass defines ``__eq__``/``__hash__``) has
  no pool.
* At most :data:`SPEC_POOLS` pools are kept; when full, the pool of the
  class predicted least likely to be needed goes first (the ``priority``
  query of :mod:`mockpool._base.events`; least recently used among equals).
* A build fails exactly as the stdlib's would: no recovery stage serves a
  ``create_autospec`` call.
* A forked child starts with no pools: the parent's mocks are not its own.
"""

from __future__ import annotations

import os
import threading

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import hasattr, iter
from collections.abc import Iterator
from typing import Any

import cachetools

from mockpool._autospec import introspect as _introspect
from mockpool._autospec import lazy as _autospec
from mockpool._autospec.variants import Variant
from mockpool._base import events
from mockpool._base.priority_cache import PriorityCache
from mockpool._pools.pool import DEFAULT_MAX_SIZE, Lease, Pool
from mockpool._services.definition import ServiceDefinition

__all__ = [
    "SPEC_POOLS",
    "SpecPool",
    "all_pools",
    "clear",
    "existing_spec_pool",
    "spec_pool",
    "spec_pool_for",
]

#: How many distinct (class, spec_set) pools are kept.
SPEC_POOLS = 512


class SpecPool(Pool):
    """Pristine ``create_autospec(cls, instance=True)`` mocks of one class.

    Args:
        info: The class's introspection, which is this pool's key.
        spec_set: Whether the mocks are built with ``spec_set=True``.
    """

    def __init__(self, info: _introspect.ClassInfo, spec_set: bool) -> None:
        spec = info.spec
        name = f"{spec.__module__}.{spec.__qualname__}"
        # Not Pool.__init__: there is no registry behind this pool.
        self.name = name
        self.min_size = 0
        self.max_size = DEFAULT_MAX_SIZE
        self.variant = Variant.LAZY
        self._info = info
        self._recipe = ServiceDefinition(
            name=name, spec=spec, instance=True, spec_set=spec_set
        )
        self._init_state()

    def _definition(self) -> ServiceDefinition:
        return self._recipe

    def _make(self, definition: ServiceDefinition) -> Any:
        # From this pool's own introspection, not the class as it is now:
        # a build (by a warmer, say) while a test patches the class must
        # still be a mock of the class this pool's key stands for.
        return _autospec.build_instance(self._info, self._recipe.spec_set)

    def _recovered(self, definition: ServiceDefinition, error: Exception) -> Lease:
        # create_autospec fails exactly as the stdlib's does: no recovery.
        raise error


def _pool_priority(key: tuple[Any, bool]) -> float:
    # Read during an eviction scan, once per pool; the query is fenced.
    pool_spec = key[0].spec
    return float(events.priority(f"{pool_spec.__module__}.{pool_spec.__qualname__}"))


_lock = threading.Lock()
_pools: PriorityCache[tuple[Any, bool], SpecPool] = PriorityCache(
    SPEC_POOLS, priority=_pool_priority
)


def spec_pool(spec: type, spec_set: bool) -> SpecPool | None:
    """The pool of ``create_autospec(spec, spec_set, instance=True)`` mocks.

    None if *spec*'s introspection is not cached (no stable key). Call only
    for classes :func:`mockpool._autospec.introspect.supports`.
    """
    info = _introspect.introspect(spec)
    if _introspect.cached(spec) is not info:
        return None
    key = (info, spec_set)
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = SpecPool(info, spec_set)
        return pool


def spec_pool_for(spec: type) -> SpecPool | None:
    """The pool of ``create_autospec(spec, instance=True)`` mocks, if poolable.

    Introspects *spec* (call from the thread that runs the tests).
    """
    if not _introspect.supports(spec):
        return None
    return spec_pool(spec, False)


def existing_spec_pool(spec: type) -> SpecPool | None:
    """The pool of *spec* as last introspected, without introspecting it."""
    info = _introspect.cached(spec)
    if info is None:
        return None
    with _lock:
        return _pools.get((info, False))


def all_pools() -> Iterator[SpecPool]:
    """Every pool kept now (a snapshot: safe while tests run)."""
    with _lock:
        # Cache.__getitem__, not _pools[key]: a read through PriorityCache
        # marks the pool recently used, which would change what is evicted.
        found = [cachetools.Cache.__getitem__(_pools, key) for key in list(_pools)]
    return iter(found)


def clear() -> None:
    """Drop every pool and the idle mocks in them (for tests)."""
    with _lock:
        _pools.clear()


def _reinit_after_fork() -> None:
    global _lock, _pools
    _lock = threading.Lock()
    _pools = PriorityCache(SPEC_POOLS, priority=_pool_priority)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)
