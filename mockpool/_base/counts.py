"""One model of pool counting: what handing out mocks did and cost.

Three parts count the same events -- a pool handed out a mock, recycled or
built; built one ahead; threw one away; failed to build one -- for three
readers: the pool itself (:class:`~mockpool.PoolStats`), the usage recorder
that feeds the history (:mod:`mockpool._learning.usage`) and the drop-in's run
report (:mod:`mockpool._reporting.run_report`). Each keeps an
:class:`AcquisitionCounts` per pool, service or spec, and its frozen view
names the same figures the same way:

``acquired``
    Mocks handed out: :attr:`~AcquisitionCounts.hits` plus the builds
    handed out.
``hits``
    Hand-outs served by a recycled or warmed mock, without a build.
``builds``
    Mocks built: for a hand-out, or (a pool's own count) ahead of one.
``timed_builds`` and ``build_seconds``
    Builds whose time was measured, and that time summed, in seconds.
``discards``
    Mocks thrown away instead of kept for the next hand-out.
``failures``
    Builds or restores that raised.
``peak_leased``
    The most mocks handed out at once (within one process).

A reader counts only what it hears: the run report counts no discards per
spec (it counts them per reason), and no reader but the pool hears a build
made ahead of a hand-out. Figures that follow from the counts
(:class:`CountFigures`) are defined once, here.

The files on disk keep the keys they were written with (a usage file's
``"acquisitions"`` is :attr:`~AcquisitionCounts.acquired`,
``"peak_concurrency"`` is :attr:`~AcquisitionCounts.peak_leased`): each
reader passes :func:`as_dict` and :meth:`AcquisitionCounts.read` its own
mapping of field to key.

Recording does not check its arguments (the recorders that take them from
callers do, with :func:`check_build_seconds`) and allocates nothing but the
numbers it adds: it runs on every hand-out.
"""

from __future__ import annotations

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all, getattr, isinstance, max, setattr  # noqa: UP029
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockpool._base import checks
from mockpool._base.json_fields import FieldReader
from mockpool.errors import InvalidArgumentError

__all__ = [
    "FIELDS",
    "AcquisitionCounts",
    "CountFigures",
    "as_dict",
    "check_build_seconds",
]

#: The counts, in the order files list them.
FIELDS = (
    "acquired",
    "hits",
    "builds",
    "timed_builds",
    "build_seconds",
    "discards",
    "failures",
    "peak_leased",
)


class CountFigures:
    """The figures that follow from the counts, for every view of them.

    Mixed into :class:`AcquisitionCounts` and the frozen views that carry
    ``acquired``, ``hits``, ``timed_builds`` and ``build_seconds``.
    """

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def acquired(self) -> int: ...
        @property
        def hits(self) -> int: ...
        @property
        def timed_builds(self) -> int: ...
        @property
        def build_seconds(self) -> float: ...

    @property
    def hit_rate(self) -> float:
        """Hits per hand-out (0.0 before the first)."""
        return self.hits / self.acquired if self.acquired else 0.0

    @property
    def builds_avoided(self) -> int:
        """Hand-outs that needed no build: the hits."""
        return self.hits

    @property
    def mean_build_seconds(self) -> float | None:
        """The mean measured build time, or None if no build was measured."""
        return self.build_seconds / self.timed_builds if self.timed_builds else None

    @property
    def estimated_seconds_saved(self) -> float:
        """Builds avoided times the mean build time (0.0 if never measured)."""
        mean = self.mean_build_seconds
        return self.hits * mean if mean is not None else 0.0


class AcquisitionCounts(CountFigures):
    """The counts of one pool, service or spec; mutable, not thread-safe.

    Its owner records under its own lock. Arguments are keyword-only, all
    zero by default.
    """

    __slots__ = FIELDS

    acquired: int
    hits: int
    builds: int
    timed_builds: int
    build_seconds: float
    discards: int
    failures: int
    peak_leased: int

    def __init__(
        self,
        *,
        acquired: int = 0,
        hits: int = 0,
        builds: int = 0,
        timed_builds: int = 0,
        build_seconds: float = 0.0,
        discards: int = 0,
        failures: int = 0,
        peak_leased: int = 0,
    ) -> None:
        self.acquired = acquired
        self.hits = hits
        self.builds = builds
        self.timed_builds = timed_builds
        self.build_seconds = build_seconds
        self.discards = discards
        self.failures = failures
        self.peak_leased = peak_leased

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={getattr(self, name)!r}" for name in FIELDS)
        return f"AcquisitionCounts({counts})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AcquisitionCounts):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable

    # -- recording ------------------------------------------------------------

    def record_acquire(
        self, recycled: bool, build_seconds: float | None, leased_now: int
    ) -> None:
        """Count one mock handed out.

        Args:
            recycled: True if a pooled mock was served (a hit), False if one
                was built for it.
            build_seconds: The measured build time of a built one, or None
                if it was not measured (always None for a hit).
            leased_now: How many mocks are handed out now, this one
                included; the most seen is :attr:`peak_leased`.
        """
        self.acquired += 1
        if recycled:
            self.hits += 1
        else:
            self.record_build(build_seconds)
        if leased_now > self.peak_leased:
            self.peak_leased = leased_now

    def record_build(self, build_seconds: float | None = None) -> None:
        """Count one mock built (:meth:`record_acquire` counts those it hands
        out; call this alone for one built ahead, as a pool warms)."""
        self.builds += 1
        if build_seconds is not None:
            self.timed_builds += 1
            self.build_seconds += build_seconds

    def record_discard(self, count: int = 1) -> None:
        """Count *count* mocks thrown away."""
        self.discards += count

    def record_failure(self) -> None:
        """Count a build or restore that raised."""
        self.failures += 1

    def merge(self, other: AcquisitionCounts) -> None:
        """Add *other*'s counts to these (*other* is not changed).

        Counts and build time add; :attr:`peak_leased` is the larger, since
        each process, and each pool, leases mocks of its own.
        """
        self.acquired += other.acquired
        self.hits += other.hits
        self.builds += other.builds
        self.timed_builds += other.timed_builds
        self.build_seconds += other.build_seconds
        self.discards += other.discards
        self.failures += other.failures
        self.peak_leased = max(self.peak_leased, other.peak_leased)

    def copy(self) -> AcquisitionCounts:
        """A copy, to read while these go on counting."""
        copied = AcquisitionCounts()
        copied.merge(self)
        return copied

    # -- the file forms -------------------------------------------------------

    @classmethod
    def of(cls, view: Any) -> AcquisitionCounts:
        """Counts holding the figures of *view*, anything with every field
        of :data:`FIELDS` (a frozen view)."""
        counts = cls()
        for name in FIELDS:
            setattr(counts, name, getattr(view, name))
        return counts

    @classmethod
    def read(cls, fields: FieldReader, keys: Mapping[str, str]) -> AcquisitionCounts:
        """Counts read from a file's object, *keys* mapping field to key.

        Fields absent from *keys* stay zero; keys are read in the order of
        *keys*, so the first missing or malformed one is the one named.

        Raises:
            ValueError: The reader's error, naming the key.
        """
        counts = cls()
        for name, key in keys.items():
            if name == "build_seconds":
                counts.build_seconds = fields.seconds(key)
            else:
                setattr(counts, name, fields.count(key))
        return counts


def as_dict(view: Any, keys: Mapping[str, str]) -> dict[str, int | float]:
    """The JSON form of *view*'s counts (any view), *keys* mapping field to
    key, in the order of *keys*."""
    return {key: getattr(view, name) for name, key in keys.items()}


def check_build_seconds(build_seconds: object, hit: bool, name: str) -> None:
    """Check the measured build time a recorder is given for a mock of *name*.

    Raises:
        ArgumentTypeError: *build_seconds* is neither None nor a number.
        InvalidArgumentError: It is given for a hit, or negative, or not
            finite.
    """
    if build_seconds is None:
        return
    if hit:
        raise InvalidArgumentError(
            f"a hit builds nothing; pass build_seconds=None for {name!r}, "
            f"not {build_seconds!r}"
        )
    checks.number(build_seconds, "build_seconds", minimum=0)
