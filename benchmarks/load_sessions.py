"""Load and soak benchmark: many concurrent sessions, then a long soak, checked.

A program, not a unit test (``tests/test_load_benchmark.py`` runs it briefly).
Two phases share one registry and one set of pools:

1. **Load**: ``--sessions`` sessions (1,199) on ``--threads`` threads (64).
   Each thread opens sessions one after another. In its first session every
   thread waits at a barrier with its session open, its mocks held and its
   patches installed, so that all threads hold an open session at the same
   moment; the peak number of simultaneously open sessions actually observed
   is printed and must reach the thread count. ``sys.setswitchinterval`` is
   lowered (``--switch-interval``) during this phase, so that threads also
   interleave inside sessions.
2. **Soak**: ``--cycles`` session cycles (100,000) on ``--soak-threads``
   threads (8), at the interpreter's own switch interval, in ten chunks.
   After each chunk (and a ``gc.collect()``) the resident set size is read
   with psutil: the first chunk is the warm-up (10 %), and the growth from
   the end of the warm-up to the end of the soak must stay within
   ``--max-growth-mib`` (16 MiB). Throughput is sessions per second over the
   soak's chunks; peak RSS is sampled every 50 ms over both phases.

Every session takes the demo application's real services
(:mod:`mockpool._demo.services`): ``redis`` (RedisService), ``database``
(Database), ``http`` (HttpClient), ``logger`` (Logger) and ``cache``
(CacheService, wired to ``redis`` and ``logger``), in an order of its own.
It checks that they come as a fresh session would see them (no calls,
registered defaults, its own wiring), calls three methods of each (a
different window of methods every session), configures them with values of
its own, patches ``RedisService``, ``Database`` and ``HttpClient`` of
:mod:`mockpool._demo.services.container` -- module attributes that every
thread patches at the same time -- through ``session.patch.object`` with
factories of its own, builds those services through the real ``Container``,
checks that it got its own mocks with its own values, and closes.

Checks (the exit status is 1 if one fails, else 0):

* session errors: exceptions raised in sessions; must be 0 (and every
  session of both phases must complete);
* patches left behind: patched attributes not holding their original (by
  identity) after each phase; must be 0;
* mocks shared across sessions: a mock handed to a session while another
  open session holds it (an ownership table of ``id()`` to session); 0;
* state seen across sessions: a mock handed out with calls or values of
  another session, or a patched attribute that reached another session's
  factory; must be 0;
* leases outstanding: mocks still handed out after the run; must be 0;
* peak open sessions: must reach ``min(--threads, --sessions)``;
* RSS growth after the warm-up: at most ``--max-growth-mib``.

Pool hit rates (hand-outs served by a recycled mock) are printed per phase
and per service, from the pools' own statistics; they are not a check (how
many mocks are still referenced by a thread that has not returned yet when
another asks for one depends on scheduling).

Usage: python benchmarks/load_sessions.py [--quick] [--sessions N]
       [--threads T] [--cycles C] [--soak-threads S] [--max-growth-mib M]
       [--switch-interval I]
   or: tox -e load [-- OPTIONS]

``--quick`` is a smoke run: 200 sessions on 8 threads, then 500 cycles on 4
threads, unless those options are given too. mockpool's environment settings
apply as in a test run (the usage history goes to ``.mockpool/`` in the
working directory, or ``MOCKPOOL_DIR``; ``MOCKPOOL_HISTORY=0`` turns it off).
The per-chunk figures (RSS, sessions per second, and process CPU time per
session, which a busy machine disturbs less than wall time) are printed too,
so that a trend shows apart from the two end points.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import itertools
import os
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Any

import psutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Measure the checkout this file belongs to, not some installed copy.
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import bench_pool
import corpus
import stress_sessions

import mockpool
from mockpool._demo.services import (
    CacheService,
    Database,
    HttpClient,
    Logger,
    RedisService,
    container,
)
from mockpool._pools.pool import PoolManager, PoolStats
from mockpool._sessions.session import MockSession, current_session, mock_session

MIB = 1024 * 1024

#: The services every session takes.
SERVICES = ("redis", "database", "http", "cache", "logger")
#: Methods of each service that a session calls (a window moving with the
#: session number over all of them).
CALLS_PER_SERVICE = 3
#: Attributes of ``container`` every session patches, and the service whose
#: mock the patched factory hands out.
PATCHED = {"RedisService": "redis", "Database": "database", "HttpClient": "http"}
ORIGINALS = {attribute: vars(container)[attribute] for attribute in PATCHED}
SETTINGS = {
    "secret_key": "load-benchmark-secret-key",
    "database_url": "postgresql://db/load",
    "redis_url": "redis://cache:6379/1",
    "http_timeout": 2.0,
    "http_retries": 1,
}
#: How long a thread waits at the load phase's barrier before giving up.
BARRIER_TIMEOUT = 300.0

# Ownership (which open session holds each mock) and the session-token
# scanner come from the stress scenario, which this benchmark extends.
_scenario = stress_sessions.load_scenario()


def _http_defaults(http: Any) -> None:
    # A fresh dict for every mock: a mapping default would be one shared object.
    http.get_json.return_value = {}


def load_registry() -> mockpool.Registry:
    """The demo services, with defaults and the cache's wiring."""
    registry = mockpool.Registry()
    registry.register("logger", Logger)
    registry.register(
        "redis",
        RedisService,
        defaults={"get.return_value": None, "ping.return_value": True},
    )
    registry.register(
        "database",
        Database,
        defaults={"fetch_one.return_value": None, "execute.return_value": 0},
    )
    registry.register("http", HttpClient, defaults=_http_defaults)
    registry.register(
        "cache",
        CacheService,
        defaults={"get.return_value": None},
        depends_on={"_redis": "redis", "_logger": "logger"},
    )
    return registry


class SessionFactory:
    """What a session patches a container class with.

    Calling it hands out the current session's mock of *service*; other
    attributes (``RedisService.DEFAULT_URL``) are the patched class's. It
    keeps the session's token, not the mock: a mock still referenced when
    its session ends would be thrown away by its pool.
    """

    __slots__ = ("attribute", "calls", "service", "token")

    def __init__(self, attribute: str, token: str) -> None:
        self.attribute = attribute
        self.service = PATCHED[attribute]
        self.token = token
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(ORIGINALS[self.attribute], name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        session = current_session()
        if session is None:
            raise RuntimeError(f"{self.token}: factory called outside a session")
        return session.get(self.service)

    def __repr__(self) -> str:
        return f"<SessionFactory {self.service} of {self.token}>"


def patches_left() -> list[str]:
    """The patched attributes that do not hold their original."""
    return [
        attribute
        for attribute, original in ORIGINALS.items()
        if vars(container)[attribute] is not original
    ]


# -- one session -------------------------------------------------------------------


class Load:
    """What the sessions of both phases share, and what they found."""

    def __init__(self) -> None:
        self.registry = load_registry()
        self.pools = PoolManager()
        self.ownership = _scenario.Ownership()
        self.calls: dict[str, bench_pool.Calls] = {}
        for name in SERVICES:
            cls = self.registry.get(name).resolve_spec()
            self.calls[name] = [
                (method, *bench_pool.good_arguments(cls, method))
                for method in corpus.method_names(cls)
            ]
        self.lock = threading.Lock()
        self.numbers = itertools.count()
        self.open_now = 0
        self.peak_open = 0
        self.completed = 0
        self.errors: list[str] = []
        #: Values, calls or factories of another session seen by a session.
        self.foreign: list[str] = []

    def opened(self) -> None:
        with self.lock:
            self.open_now += 1
            self.peak_open = max(self.peak_open, self.open_now)

    def closing(self) -> None:
        with self.lock:
            self.open_now -= 1

    def run_session(self, hold: threading.Barrier | None) -> None:
        """One session; *hold*: a barrier to wait at while it is open."""
        with self.lock:
            number = next(self.numbers)
        token = f"<session-{number}>"
        problems: list[str] = []
        with mock_session(self.registry, pools=self.pools, name=token) as session:
            self.opened()
            try:
                self._exercise(number, token, session, hold, problems)
            finally:
                self.closing()
        with self.lock:
            self.foreign.extend(problems)
            self.completed += 1

    def _exercise(
        self,
        number: int,
        token: str,
        session: MockSession,
        hold: threading.Barrier | None,
        problems: list[str],
    ) -> None:
        # The session's mocks live in this frame only; it is gone before the
        # session closes.
        start = number % len(SERVICES)
        order = SERVICES[start:] + SERVICES[:start]
        mocks = {name: session.get(name) for name in order}
        self.ownership.claim(token, mocks.values())
        try:
            _use(number, token, session, mocks, self.calls, hold, problems)
        finally:
            self.ownership.release(token, mocks.values())


def _use(
    number: int,
    token: str,
    session: MockSession,
    mocks: dict[str, Any],
    calls: dict[str, bench_pool.Calls],
    hold: threading.Barrier | None,
    problems: list[str],
) -> None:
    def expect(label: str, condition: bool) -> None:
        if not condition:
            problems.append(f"{token}: {label}")

    redis, database, http = mocks["redis"], mocks["database"], mocks["http"]
    cache, logger = mocks["cache"], mocks["logger"]

    # Handed out as a fresh session sees them.
    for name, held in mocks.items():
        expect(f"{name} handed out with calls {held.mock_calls!r}", not held.mock_calls)
    expect("redis.get default", redis.get.return_value is None)
    expect("redis.ping default", redis.ping.return_value is True)
    expect("database.fetch_one default", database.fetch_one.return_value is None)
    expect("http.get_json default", http.get_json.return_value == {})
    expect("cache.get default", cache.get.return_value is None)
    expect("cache wiring", cache._redis is redis and cache._logger is logger)

    # Calls: a window of each service's methods, moving with the session.
    for name, held in mocks.items():
        methods = calls[name]
        bench_pool.call_all(
            held,
            [
                methods[(number + offset) % len(methods)]
                for offset in range(CALLS_PER_SERVICE)
            ],
        )

    # This session's values.
    redis.get.return_value = token.encode()
    database.fetch_one.return_value = {"id": token}
    http.get_json.return_value = {"owner": token}
    cache.get.return_value = token
    logger.info.side_effect = lambda message, *args, **fields: None

    # The shared targets, patched with factories of this session.
    factories = {}
    for attribute in PATCHED:
        factory = SessionFactory(attribute, token)
        installed = session.patch.object(container, attribute, new=factory)
        expect(f"patch.object returned {installed!r}", installed is factory)
        factories[attribute] = factory
    if hold is not None:
        hold.wait(BARRIER_TIMEOUT)
    time.sleep(0)  # let other sessions patch the same attributes meanwhile

    # The code under test builds its services through the patched names.
    app = container.Container(SETTINGS)
    expect("container built redis", app.redis() is redis)
    expect("container built database", app.database() is database)
    expect("container built http", app.http() is http)
    for attribute, factory in factories.items():
        expect(f"{attribute} factory called {factory.calls} times", factory.calls == 1)
    time.sleep(0)
    expect("redis value", app.redis().get("user:1") == token.encode())
    expect("database value", app.database().fetch_one("select") == {"id": token})
    expect("http value", app.http().get_json("/me") == {"owner": token})
    expect("cache value", cache.get("k") == token)
    logger.info("session %s done", token)
    del app
    for name, held in mocks.items():
        strangers = _scenario._foreign(token, repr(held.mock_calls))
        if strangers:
            problems.append(f"{token}: {name} recorded calls of {strangers}")


# -- phases ------------------------------------------------------------------------


def run_phase(
    load: Load, sessions: int, threads: int, *, hold_first: bool = False
) -> float:
    """Run *sessions* sessions on *threads* threads; return the wall time.

    With *hold_first*, the first ``min(threads, sessions)`` sessions -- one
    per thread, as none can end before all have started -- wait at a
    barrier while open.
    """
    threads = max(1, min(threads, sessions))
    hold = threading.Barrier(threads) if hold_first else None
    taken = itertools.count()
    ready = threading.Barrier(threads + 1)

    def worker() -> None:
        ready.wait()
        while True:
            with load.lock:
                index = next(taken)
            if index >= sessions:
                return
            try:
                load.run_session(hold if index < threads else None)
            except Exception:
                with load.lock:
                    load.errors.append(traceback.format_exc())
                if hold is not None:
                    hold.abort()  # the others would wait for nothing

    workers = [
        threading.Thread(target=worker, name=f"load-{index}")
        for index in range(threads)
    ]
    for thread in workers:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in workers:
        thread.join()
    return time.perf_counter() - started


def rss_now() -> int:
    """Resident set size after a full collection."""
    gc.collect()
    return int(psutil.Process().memory_info().rss)


@dataclasses.dataclass
class PhaseFigures:
    name: str
    sessions: int
    threads: int
    seconds: float
    acquired: int
    hits: int
    builds: int
    discards: int

    @property
    def rate(self) -> float:
        return self.sessions / self.seconds if self.seconds else 0.0

    @property
    def hit_rate(self) -> float:
        return self.hits / self.acquired if self.acquired else 0.0


def totals(stats: Sequence[PoolStats]) -> tuple[int, int, int, int]:
    """Acquired, hits, builds and discards over all pools."""
    return (
        sum(s.acquired for s in stats),
        sum(s.hits for s in stats),
        sum(s.builds for s in stats),
        sum(sum(s.discards.values()) for s in stats),
    )


def phase_figures(
    name: str,
    sessions: int,
    threads: int,
    seconds: float,
    before: Sequence[PoolStats],
    after: Sequence[PoolStats],
) -> PhaseFigures:
    old, new = totals(before), totals(after)
    acquired, hits, builds, discards = (b - a for a, b in zip(old, new))
    return PhaseFigures(
        name, sessions, threads, seconds, acquired, hits, builds, discards
    )


def stats_of(load: Load) -> list[PoolStats]:
    return sorted(
        (pool.stats() for pool in load.pools.pools()), key=lambda s: s.service
    )


# -- the program -------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 200 sessions on 8 threads, 500 cycles on 4 threads",
    )
    parser.add_argument(
        "--sessions", type=int, help="sessions of the load phase (1199)"
    )
    parser.add_argument("--threads", type=int, help="threads of the load phase (64)")
    parser.add_argument(
        "--cycles", type=int, help="session cycles of the soak (100000)"
    )
    parser.add_argument("--soak-threads", type=int, help="threads of the soak (8)")
    parser.add_argument(
        "--max-growth-mib",
        type=float,
        default=16.0,
        help="bound on RSS growth after the warm-up, MiB (16)",
    )
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=1e-4,
        help="sys.setswitchinterval during the load phase (0: leave it alone)",
    )
    args = parser.parse_args(argv)
    defaults = (
        {"sessions": 200, "threads": 8, "cycles": 500, "soak_threads": 4}
        if args.quick
        else {"sessions": 1199, "threads": 64, "cycles": 100_000, "soak_threads": 8}
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"$ {' '.join([os.path.basename(sys.executable), *sys.argv])}")
    print(
        f"Python {sys.version.split()[0]} ({sys.implementation.name}); mockpool "
        f"{mockpool.__version__}; {os.cpu_count()} CPUs"
    )
    load = Load()
    rss_start = rss_now()
    left: dict[str, list[str]] = {}
    soak_chunks = [args.cycles // 10] * 10
    soak_chunks[0] += args.cycles - sum(soak_chunks)  # the warm-up takes the rest
    soak_chunks = [chunk for chunk in soak_chunks if chunk]
    checkpoints: list[int] = []
    chunk_rates: list[float] = []
    chunk_cpu: list[float] = []

    with stress_sessions.PeakRss(interval=0.05) as peak:
        # Phase 1: load.
        old_interval = sys.getswitchinterval()
        if args.switch_interval:
            sys.setswitchinterval(args.switch_interval)
        try:
            load_seconds = run_phase(load, args.sessions, args.threads, hold_first=True)
        finally:
            sys.setswitchinterval(old_interval)
        left["load"] = patches_left()
        after_load = stats_of(load)
        rss_after_load = rss_now()
        peak_open = load.peak_open

        # Phase 2: soak, in chunks; the first is the warm-up.
        soak_seconds = 0.0
        for chunk in soak_chunks:
            cpu = time.process_time()
            seconds = run_phase(load, chunk, args.soak_threads)
            chunk_cpu.append((time.process_time() - cpu) / chunk)
            soak_seconds += seconds
            chunk_rates.append(chunk / seconds if seconds else 0.0)
            checkpoints.append(rss_now())
        left["soak"] = patches_left()
        after_soak = stats_of(load)

    figures = [
        phase_figures(
            "load", args.sessions, args.threads, load_seconds, [], after_load
        ),
        phase_figures(
            "soak", args.cycles, args.soak_threads, soak_seconds, after_load, after_soak
        ),
    ]
    print(
        f"load: {args.sessions} sessions on {args.threads} threads (switch interval "
        f"{args.switch_interval or old_interval:g} s); soak: {args.cycles} cycles on "
        f"{args.soak_threads} threads in {len(soak_chunks)} chunks; services "
        f"{', '.join(SERVICES)}; {len(PATCHED)} shared patches per session"
    )
    print()
    header = (
        f"{'phase':6} {'sessions':>9} {'threads':>7} {'seconds':>8} {'sessions/s':>10}"
        f" {'hand-outs':>9} {'hits':>8} {'builds':>7} {'discards':>8} {'hit rate':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in figures:
        print(
            f"{row.name:6} {row.sessions:9,} {row.threads:7} {row.seconds:8.2f}"
            f" {row.rate:10,.0f} {row.acquired:9,} {row.hits:8,} {row.builds:7,}"
            f" {row.discards:8,} {row.hit_rate:8.1%}"
        )
    print()
    header = (
        f"{'pool':9} {'hand-outs':>9} {'hits':>8} {'builds':>7} {'idle':>4}"
        f" {'leased':>6} {'peak':>4} {'hit rate':>8}  discards by reason"
    )
    print(header)
    print("-" * len(header))
    for stats in after_soak:
        discards = ", ".join(
            f"{reason}: {count}" for reason, count in sorted(stats.discards.items())
        )
        print(
            f"{stats.service:9} {stats.acquired:9,} {stats.hits:8,} {stats.builds:7,}"
            f" {stats.idle:4} {stats.leased:6} {stats.peak_leased:4}"
            f" {stats.hit_rate:8.1%}  {discards or '-'}"
        )
    print()
    warm, end = checkpoints[0], checkpoints[-1]
    growth = (end - warm) / MIB
    print(
        f"RSS (MiB, after gc.collect()): start {rss_start / MIB:.1f}, after load "
        f"{rss_after_load / MIB:.1f}, after warm-up {warm / MIB:.1f}, end "
        f"{end / MIB:.1f}; peak {peak.peak / MIB:.1f} (psutil, sampled every "
        f"{peak.interval * 1e3:g} ms), {stress_sessions._max_rss_bytes() / MIB:.1f} "
        "(getrusage)"
    )
    print(
        "RSS after each soak chunk (MiB): "
        + " ".join(f"{value / MIB:.1f}" for value in checkpoints)
    )
    print(
        "sessions/s in each soak chunk:   "
        + " ".join(f"{rate:.0f}" for rate in chunk_rates)
    )
    print(
        "CPU ms per session in each chunk: "
        + " ".join(f"{cpu * 1e3:.2f}" for cpu in chunk_cpu)
    )
    print()

    leased = sum(stats.leased for stats in after_soak)
    patches = sum(len(names) for names in left.values())
    wanted_open = max(1, min(args.threads, args.sessions))
    checks = [
        ("session errors", str(len(load.errors)), "0", not load.errors),
        ("patches left behind", str(patches), "0", patches == 0),
        (
            "mocks shared across sessions",
            str(len(load.ownership.conflicts)),
            "0",
            not load.ownership.conflicts,
        ),
        (
            "state seen across sessions",
            str(len(load.foreign)),
            "0",
            not load.foreign,
        ),
        ("leases outstanding", str(leased), "0", leased == 0),
        (
            "peak open sessions (load)",
            str(peak_open),
            f">= {wanted_open}",
            peak_open >= wanted_open,
        ),
        (
            "RSS growth after warm-up MiB",
            f"{growth:.1f}",
            f"<= {args.max_growth_mib:g}",
            growth <= args.max_growth_mib,
        ),
        (
            "sessions completed",
            f"{load.completed}",
            f"{args.sessions + args.cycles}",
            load.completed == args.sessions + args.cycles,
        ),
    ]
    header = f"{'check':30} {'value':>8} {'bound':>8}  result"
    print(header)
    print("-" * len(header))
    for label, value, bound, passed in checks:
        print(f"{label:30} {value:>8} {bound:>8}  {'PASS' if passed else 'FAIL'}")
    for phase, names in left.items():
        if names:
            print(f"PROBLEM: after the {phase} phase, still patched: {names}")
    for problem in (load.ownership.conflicts + load.foreign)[:5]:
        lines = problem.splitlines()
        print(f"PROBLEM: {lines[0][:160]}{' ...' if len(lines) > 1 else ''}")
    if load.errors:
        print(f"PROBLEM: {len(load.errors)} session errors; the first:")
        print(load.errors[0])
    failed = not all(passed for *_, passed in checks)
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
