"""Live figures: what only the process that ran the tests knows.

A run report (:mod:`mockpool._reporting.run_report`) travels between processes as JSON;
the registry, the pools and the process's memory do not. :class:`LiveFigures`
captures them at the end of a run -- the registered services with their spec
names, one :class:`PoolFigures` per pool name, the process's RSS and the
machine's total memory -- so that the last-run file
(:mod:`mockpool._reporting.last_run`) can carry them to ``python -m mockpool report``,
and :func:`mockpool._reporting.health.check_health` can judge registry utilisation,
pool hit rates, memory and concurrency.
"""

from __future__ import annotations

import dataclasses
import os
import types

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import getattr, isinstance, max, sorted  # noqa: UP029
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mockpool._base import checks
from mockpool._base.records import FACTORY, fill, frozen_record
from mockpool._learning import usage as _usage
from mockpool._pools import adapt as _adapt
from mockpool._pools import pool as _pool
from mockpool._pools import spec_pools
from mockpool._reporting.run_report import ReportError
from mockpool._services import registry as _registry
from mockpool.errors import ArgumentTypeError, InvalidArgumentError

if TYPE_CHECKING:
    from mockpool._pools.pool import Pool, PoolStats
    from mockpool._services.registry import Registry

__all__ = ["LiveFigures", "PoolFigures"]


@frozen_record
class PoolFigures:
    """What the concurrency and hit-rate checks need of one pool.

    Raises:
        ArgumentTypeError: A field is of the wrong type.
        InvalidArgumentError: A count is negative, or *hits* exceeds
            *acquired*.
    """

    #: The pool's service, or the qualified name of its spec class.
    name: str
    #: Mocks handed out.
    acquired: int
    #: Hand-outs served without a build.
    hits: int
    #: The most mocks handed out at once.
    peak_leased: int
    #: The most idle mocks the pool keeps.
    max_size: int

    def __init__(
        self, name: str, acquired: int, hits: int, peak_leased: int, max_size: int
    ) -> None:
        fill(self, locals())
        checks.text(self.name, "PoolFigures.name")
        for name in ("acquired", "hits", "peak_leased", "max_size"):
            checks.count(getattr(self, name), f"PoolFigures.{name}")
        if self.hits > self.acquired:
            raise InvalidArgumentError(
                f"PoolFigures {self.name!r}: hits ({self.hits!r}) exceed acquired "
                f"({self.acquired!r}); a hit is an acquisition served without a build"
            )

    @classmethod
    def from_stats(cls, stats: PoolStats, max_size: int) -> PoolFigures:
        """The figures of a pool from its :class:`~mockpool.PoolStats`."""
        return cls(
            stats.service, stats.acquired, stats.hits, stats.peak_leased, max_size
        )

    @classmethod
    def of(cls, pool: Pool) -> PoolFigures:
        """The figures of *pool* now."""
        return cls.from_stats(pool.stats(), pool.max_size)


@frozen_record
class LiveFigures:
    """What only the process that ran the tests knows: registry, pools, memory.

    Build it with :meth:`capture` at the end of a run; the last-run file
    stores it (:meth:`to_dict`) beside the run report.
    """

    #: Each registered service, by name, with the qualified name of its
    #: spec class (``"pkg.mod.Class"``), in registration order.
    services: Mapping[str, str] = dataclasses.field(default_factory=dict, hash=False)
    #: Every pool of the process.
    pools: tuple[PoolFigures, ...] = ()
    #: The process's resident memory in bytes, or None if not measured.
    rss_bytes: int | None = None
    #: The machine's total memory in bytes, or None if not measured.
    total_memory_bytes: int | None = None

    def __init__(
        self,
        services: Mapping[str, str] = FACTORY,
        pools: tuple[PoolFigures, ...] = (),
        rss_bytes: int | None = None,
        total_memory_bytes: int | None = None,
    ) -> None:
        fill(self, locals())
        if not isinstance(self.services, Mapping):
            raise ArgumentTypeError(
                f"LiveFigures.services must be a mapping of service name to spec "
                f"name, not {self.services!r}"
            )
        for name, spec in self.services.items():
            if not isinstance(name, str) or not isinstance(spec, str):
                raise ArgumentTypeError(
                    f"LiveFigures.services maps str to str, not {name!r} to {spec!r}"
                )
        object.__setattr__(
            self, "services", types.MappingProxyType(dict(self.services))
        )
        object.__setattr__(self, "pools", tuple(self.pools))
        for pool in self.pools:
            if not isinstance(pool, PoolFigures):
                raise ArgumentTypeError(
                    f"LiveFigures.pools holds PoolFigures, not {pool!r}"
                )
        for name in ("rss_bytes", "total_memory_bytes"):
            value = getattr(self, name)
            if value is not None:
                checks.count(value, f"LiveFigures.{name}")

    @classmethod
    def capture(
        cls,
        registry: Registry | None = None,
        pools: Iterable[Pool] | None = None,
        *,
        memory: bool = True,
    ) -> LiveFigures:
        """The figures of this process now.

        Args:
            registry: Whose services to list; :data:`mockpool.default_registry`
                if None.
            pools: The pools to read (their :class:`~mockpool.PoolStats`).
                By default every pool of the process -- the registered
                services' and the drop-in's pools of autospecced classes --
                one :class:`PoolFigures` per name, counted by the usage
                recorder, which also saw the pools the drop-in has dropped
                since (a class whose methods a test patched gets a new pool).
            memory: Also read the process's RSS and the machine's total
                memory.
        """
        chosen = _registry.default_registry if registry is None else registry
        services = {}
        for name in chosen.names():
            try:
                services[name] = _spec_name(chosen.get(name).spec)
            except LookupError:  # unregistered meanwhile
                continue
        if pools is None:
            figures = _recorded_pools()
        else:
            figures = tuple(PoolFigures.of(pool) for pool in pools)
        rss = total = None
        if memory:
            rss, total = _memory_now()
        return cls(services, figures, rss, total)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe form (see :meth:`from_dict`)."""
        return {
            "services": dict(self.services),
            "pools": [dataclasses.asdict(pool) for pool in self.pools],
            "rss_bytes": self.rss_bytes,
            "total_memory_bytes": self.total_memory_bytes,
        }

    @classmethod
    def from_dict(cls, data: object) -> LiveFigures:
        """Read :meth:`to_dict`'s form; unknown keys are ignored.

        Raises:
            ReportError: A field is missing or malformed; the message names it.
        """
        if not isinstance(data, Mapping):
            raise ReportError(f"'live' must be a JSON object, not {data!r:.60}")
        try:
            services = data["services"]
            pools = [
                PoolFigures(**{key: item[key] for key in _POOL_FIELDS})
                for item in data["pools"]
            ]
            return cls(
                services, tuple(pools), data["rss_bytes"], data["total_memory_bytes"]
            )
        except KeyError as exc:
            raise ReportError(f"'live' has no {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise ReportError(f"'live' is malformed: {exc}") from None


_POOL_FIELDS = tuple(field.name for field in dataclasses.fields(PoolFigures))


def _spec_name(spec: type | str) -> str:
    if isinstance(spec, str):  # a lazy "pkg.mod:Qual.Name" path
        module, _, qualname = spec.partition(":")
        return f"{module}.{qualname}"
    return f"{spec.__module__}.{spec.__qualname__}"


def _recorded_pools() -> tuple[PoolFigures, ...]:
    sizes: dict[str, int] = {}
    for pool in _all_pools():
        sizes[pool.name] = max(sizes.get(pool.name, 0), pool.max_size)
    usage = _usage.process_recorder().snapshot()
    return tuple(
        PoolFigures(
            name,
            counts.acquired,
            counts.hits,
            counts.peak_leased,
            sizes.get(name, _pool.DEFAULT_MAX_SIZE),
        )
        for name, counts in sorted(usage.items())
    )


def _all_pools() -> list[Pool]:
    found: list[Pool] = list(_pool.default_pools.pools())
    found.extend(spec_pools.all_pools())
    return found


def _memory_now() -> tuple[int | None, int | None]:
    """This process's RSS and the machine's total memory, in bytes.

    Without psutil where the system answers itself (Linux: ``/proc`` and
    ``sysconf``): importing psutil would cost every run ~20 ms at its end.
    """
    rss = _adapt.resident_set_bytes()
    try:
        total: int | None = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):  # no such names here
        total = None
    if rss is not None and total is not None:
        return rss, total or None
    import psutil

    if rss is None:
        try:
            rss = int(psutil.Process().memory_info().rss)
        except (psutil.Error, OSError):
            rss = None
    if total is None:
        try:
            total = int(psutil.virtual_memory().total)
        except (psutil.Error, OSError):
            total = None
    return rss, total or None
