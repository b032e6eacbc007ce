"""Pools of anonymous class autospecs: what the drop-in serves tests from.

``create_autospec(cls, instance=True)`` inside a test is served from the
:class:`SpecPool` of ``cls``: a :class:`~mockpool._pools.pool.Pool` whose
recipe is the class itself rather than a registered service, with the same
pristine proof (contract 2). Class mocks -- ``create_autospec(cls)`` and
``patch("pkg.mod.Class", autospec=True)`` -- can be served from a
:class:`ClassSpecPool`, proven pristine together with the instance mock
they return (:class:`~mockpool._autospec.pristine.ClassBaseline`); that is
off (:data:`CLASS_POOLS`) until recycling one costs less than building it.

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
* Warming (:func:`spec_pool_for`, asked by the learning layer) fills
  instance pools only: what a suite patches as a class is predicted by
  nothing yet, and a class pool fills itself from the second test on.
"""

from __future__ import annotations

import os
import threading

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import hasattr, iter
from collections.abc import Iterator
from typing import Any, cast

import cachetools

from mockpool._autospec import introspect as _introspect
from mockpool._autospec import lazy as _autospec
from mockpool._autospec.pristine import ClassBaseline
from mockpool._autospec.variants import Variant
from mockpool._base import events
from mockpool._base.priority_cache import PriorityCache
from mockpool._pools.pool import DEFAULT_MAX_SIZE, Lease, Pool
from mockpool._services.definition import ServiceDefinition

__all__ = [
    "CLASS_POOLS",
    "SPEC_POOLS",
    "ClassSpecPool",
    "SpecPool",
    "all_pools",
    "class_spec_pool",
    "clear",
    "existing_spec_pool",
    "spec_pool",
    "spec_pool_for",
]

#: Whether the drop-in serves class mocks from pools (:func:`class_spec_pool`).
#:
#: Off: the pools are proven pristine (tests/test_class_pools.py), but on a
#: hit they cost more than the lazy build they replace. A lazy class mock
#: costs about 130-1200 µs to build (the stdlib's: 5-80 ms); taking one back,
#: proving it and restoring it -- two baselines, the class mock's and its
#: instance's -- costs as much or 10-20 % more, and a recycled mock rebuilds
#: the method children the test touches, exactly as a fresh one does. Measured:
#: metalsmith under ``python -m mockpool run``, 5.07 G instructions (callgrind)
#: with class mocks built, 5.25 G with them pooled. Turn on once a restore
#: costs less than a build (for instance, by restoring used method children
#: in place instead of rebuilding them).
CLASS_POOLS = False

#: How many distinct pools are kept: (class, spec_set) of instance mocks and
#: (class, spec_set, name) of class mocks together.
SPEC_POOLS = 512


class SpecPool(Pool):
    """Pristine ``create_autospec(cls, instance=True)`` mocks of one class.

    Args:
        info: The class's introspection, which is this pool's key.
        spec_set: Whether the mocks are built with ``spec_set=True``.
    """

    #: What the pool's mocks stand for: instances of the class (the run
    #: report measures the stdlib's cost per (class, spec_set, instance)).
    instance = True

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


class ClassSpecPool(SpecPool):
    """Pristine ``create_autospec(cls, spec_set, _name=name)`` class mocks.

    The mock of the class itself (``instance=False``): callable, checking
    the constructor's signature, returning an instance autospec built with
    it. ``patch(target, autospec=True)`` on a class builds one with
    ``_name`` set to the patched attribute.

    The key holds the name: it is in the mock's ``_mock_name``, its repr
    and the repr of everything under it (``<MagicMock name='Class()' ...>``),
    and the baseline keeps it by identity. Renaming a recycled mock at
    hand-out would rewrite a held value that the fingerprint proves, so the
    pool serves one name only; a class is patched under one attribute name
    almost always, so this costs nothing in hits.

    Each lease carries a :class:`~mockpool._autospec.pristine.ClassBaseline`:
    the instance mock the class mock returns is proven pristine with it
    (not referenced from outside, restored to the build's state), so what a
    test configured on ``MockClass.return_value`` never reaches the next
    one; a mock whose ``return_value`` was replaced or reset is discarded.

    Args:
        info: The class's introspection (part of the key).
        spec_set: Whether the mocks are built with ``spec_set=True``.
        name: The ``_name`` the mocks are built with (``None``: none).
    """

    instance = False

    def __init__(
        self, info: _introspect.ClassInfo, spec_set: bool, name: str | None
    ) -> None:
        # The recipe SpecPool makes says instance=True, and stays so:
        # Pool.release discards the mocks of a recipe with instance=False
        # (DiscardReason.CLASS_SPEC), since a plain Baseline cannot prove a
        # class mock's return value pristine. This pool's ClassBaseline
        # does, and what the mocks are is decided by _make, not the recipe.
        super().__init__(info, spec_set)
        self._mock_name = name

    def _make(self, definition: ServiceDefinition) -> Any:
        return _autospec.build_class(self._info, self._recipe.spec_set, self._mock_name)

    def _build(self, definition: ServiceDefinition) -> Lease:
        # Pool._build, for a recipe with no defaults and no recovery (a
        # failed build raises as the stdlib's would), with the baseline that
        # covers the returned instance too.
        entry = Lease(self._make(definition), self.name)
        # Replaces the plain Baseline the Lease took (a build's cost only;
        # a hit reuses the lease and its baseline).
        entry.baseline = ClassBaseline(entry.mock)
        entry.baseline.calibrate(entry)
        entry.ready = True
        return entry


def _pool_priority(key: tuple[Any, ...]) -> float:
    # Read during an eviction scan, once per pool; the query is fenced.
    pool_spec = key[0].spec
    return float(events.priority(f"{pool_spec.__module__}.{pool_spec.__qualname__}"))


_lock = threading.Lock()
_pools: PriorityCache[tuple[Any, ...], SpecPool] = PriorityCache(
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


def class_spec_pool(
    spec: type, spec_set: bool, name: str | None
) -> ClassSpecPool | None:
    """The pool of ``create_autospec(spec, spec_set, _name=name)`` class mocks.

    None if class pools are off (:data:`CLASS_POOLS`), or if *spec*'s
    introspection is not cached (no stable key). Call only for classes
    :func:`mockpool._autospec.introspect.supports`, with a ``str`` or
    ``None`` name.
    """
    if not CLASS_POOLS:
        return None
    info = _introspect.introspect(spec)
    if _introspect.cached(spec) is not info:
        return None
    # False: the instance flag, so no class pool's key is an instance pool's.
    key = (info, spec_set, False, name)
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = ClassSpecPool(info, spec_set, name)
        # Only class pools are stored under a key of this shape.
        return cast(ClassSpecPool, pool)


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
