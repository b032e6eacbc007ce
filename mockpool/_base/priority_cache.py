"""A bounded cache that evicts by priority, then by least recent use.

:class:`PriorityCache` is a :class:`cachetools.Cache` like
:class:`cachetools.LRUCache` and can replace it where a cache should keep
what the predictor (:mod:`mockpool._learning.predict`) expects to be needed next,
rather than only what was needed last. Eviction changes which entries stay
cached, never a value handed out: a miss rebuilds what was evicted, so
priorities cost or save time, never correctness (contract 4).
"""

from __future__ import annotations

import collections

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import callable, iter, next  # noqa: UP029
from collections.abc import Hashable
from typing import Callable, TypeVar

import cachetools

from mockpool._base import checks
from mockpool.errors import ArgumentTypeError

__all__ = ["DEFAULT_PRIORITY", "PriorityCache"]

#: The priority of a key that has no override when the cache has no
#: priority function. With it everywhere, eviction is plain LRU.
DEFAULT_PRIORITY = 0.0

_KT = TypeVar("_KT", bound=Hashable)
_VT = TypeVar("_VT")


def _checked_priority(value: object, where: str) -> float:
    """*value* as a float priority, or a mockpool error naming it."""
    # NaN compares false with everything, so the victim would depend on the
    # order of the scan. Infinities are fine: +inf pins, -inf evicts first.
    return checks.number(value, where, finite=False)


class PriorityCache(cachetools.Cache[_KT, _VT]):
    """A cache that evicts the lowest-priority entry, least recently used first.

    A drop-in for :class:`cachetools.LRUCache`: the same constructor
    (``maxsize``, ``getsizeof``), mapping behaviour and ``maxsize`` /
    ``currsize``. Reading an entry (``cache[key]``, ``get``) or writing it
    marks it recently used; ``key in cache``, iteration and ``len`` do not.
    A new entry is always admitted, whatever its priority, evicting others
    until it fits.

    When the cache is over its bound, the entry evicted is the one with the
    lowest priority; among equal priorities, the least recently used one.
    A key's priority is, in order:

    1. the value given to :meth:`set_priority`, if any;
    2. else ``priority(key)``, if a *priority* function was given;
    3. else :data:`DEFAULT_PRIORITY` (0.0).

    Priorities are read when an entry must be evicted, not when it is
    stored, so new predictions take effect at the next eviction without
    re-inserting anything. Each eviction scans every entry -- ``O(n)`` calls
    of *priority* -- which suits caches of a few hundred entries; a write
    that has to make room for a large value may evict, and scan, several
    times.

    Like cachetools' caches, a ``PriorityCache`` is not thread-safe: callers
    that share one between threads hold a lock around every access,
    including reads (a read reorders the entries).

    Args:
        maxsize: The bound: the number of entries, or with *getsizeof* the
            total of the sizes of all values. A non-negative number
            (``math.inf`` for no bound).
        getsizeof: Returns the size of a value, as in cachetools; by default
            each value has size 1, so *maxsize* counts entries.
        priority: Returns the priority of a key (a real number, not NaN;
            higher is kept longer). It must not raise or touch the cache: it
            runs inside writes that evict, and an exception there abandons
            the write.

    Raises:
        ArgumentTypeError: *maxsize* is not a real number, or *getsizeof*
            or *priority* is neither callable nor ``None``.
        InvalidArgumentError: *maxsize* is negative or NaN.
    """

    def __init__(
        self,
        maxsize: float,
        getsizeof: Callable[[_VT], float] | None = None,
        *,
        priority: Callable[[_KT], float] | None = None,
    ) -> None:
        checks.number(
            maxsize,
            "maxsize",
            minimum=0,
            finite=False,
            hint="pass math.inf for no bound",
        )
        for name, function in (("getsizeof", getsizeof), ("priority", priority)):
            if function is not None and not callable(function):
                raise ArgumentTypeError(
                    f"{name} is {function!r} ({type(function).__name__}); pass a"
                    " function or None"
                )
        super().__init__(maxsize, getsizeof)
        self._getsizeof: Callable[[_VT], float] | None = getsizeof
        self._priority: Callable[[_KT], float] | None = priority
        # Oldest use first: the scan meets equal priorities in LRU order.
        self._order: collections.OrderedDict[_KT, None] = collections.OrderedDict()
        self._overrides: dict[_KT, float] = {}

    # -- mapping -----------------------------------------------------------------

    def __getitem__(self, key: _KT) -> _VT:
        value = super().__getitem__(key)
        # __missing__ (in a subclass) may answer without storing the key.
        if key in self._order:
            self._order.move_to_end(key)
        return value

    def __setitem__(self, key: _KT, value: _VT) -> None:
        # The base class evicts (through popitem) until the value fits. That
        # may evict this very key's old value when it ranks lowest; cachetools
        # accounts for that, and the key is re-entered below as most recent.
        super().__setitem__(key, value)
        if key in self._order:
            self._order.move_to_end(key)
        else:
            self._order[key] = None

    def __delitem__(self, key: _KT) -> None:
        super().__delitem__(key)
        del self._order[key]

    def clear(self) -> None:
        """Remove every entry; priorities set by :meth:`set_priority` stay."""
        # Older cachetools (6.2 included) have no Cache.clear, and
        # MutableMapping.clear would call popitem -- a full priority scan --
        # once per entry.
        for key in list(self._order):
            cachetools.Cache.__delitem__(self, key)
        self._order.clear()

    def popitem(self) -> tuple[_KT, _VT]:
        """Remove and return the entry that would be evicted next.

        That is the entry with the lowest priority, the least recently used
        among equals.

        Returns:
            The ``(key, value)`` pair removed.

        Raises:
            KeyError: The cache is empty.
        """
        keys = iter(self._order)
        try:
            victim = next(keys)
        except StopIteration:
            raise KeyError(f"{type(self).__name__} is empty") from None
        lowest = self.priority_of(victim)
        for key in keys:
            rank = self.priority_of(key)
            # Strictly lower only: a more recently used key of equal priority
            # never displaces an older one, so ties fall back to LRU.
            if rank < lowest:
                victim, lowest = key, rank
        key = victim
        value = cachetools.Cache.__getitem__(self, key)
        del self[key]
        return key, value

    def __copy__(self) -> PriorityCache[_KT, _VT]:
        # Cache.__copy__ (cachetools 6+) would share _order and _overrides
        # with the copy; rebuild instead, same bound, functions and order.
        copied = type(self).__new__(type(self))
        PriorityCache.__init__(
            copied,
            self.maxsize,
            self._getsizeof,
            priority=self._priority,
        )
        for key in self._order:
            cachetools.Cache.__setitem__(
                copied, key, cachetools.Cache.__getitem__(self, key)
            )
        copied._order = self._order.copy()
        copied._overrides = dict(self._overrides)
        return copied

    # -- priorities --------------------------------------------------------------

    def set_priority(self, key: _KT, value: float | None) -> None:
        """Fix the priority of *key*, or with ``None`` drop that override.

        An override takes precedence over the *priority* function. It is
        held independently of the entry: it may be set before the key is
        cached and survives its eviction, deletion and :meth:`clear`, so a
        key that comes back keeps it. Drop overrides that are no longer
        wanted, or they accumulate.

        Args:
            key: Any hashable key, cached or not.
            value: The priority (a real number, not NaN; higher is kept
                longer), or ``None`` to fall back to the *priority*
                function.

        Raises:
            ArgumentTypeError: *value* is not a real number or ``None``.
            InvalidArgumentError: *value* is NaN.
        """
        if value is None:
            self._overrides.pop(key, None)
        else:
            self._overrides[key] = _checked_priority(value, f"the priority for {key!r}")

    def priority_of(self, key: _KT) -> float:
        """Return the priority *key* has now, as eviction would read it.

        Args:
            key: Any hashable key, cached or not.

        Returns:
            The override from :meth:`set_priority`, else ``priority(key)``,
            else :data:`DEFAULT_PRIORITY`.

        Raises:
            ArgumentTypeError: The *priority* function returned something
                that is not a real number.
            InvalidArgumentError: The *priority* function returned NaN.
        """
        try:
            return self._overrides[key]
        except KeyError:
            pass
        if self._priority is None:
            return DEFAULT_PRIORITY
        return _checked_priority(self._priority(key), f"priority({key!r})")
