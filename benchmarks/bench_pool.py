"""Benchmark: pooled session mocks against unittest.mock.create_autospec.

Over the corpus of ``bench_autospec.py``, with every class registered as a
service, it times per class, in one run and interleaved round by round:

* ``stdlib``: ``unittest.mock.create_autospec(cls, instance=True)``;
* ``pooled``: a session opened, ``s.get(name)``, the session closed, in the
  steady state (the pool is warm: every hand-out is a recycled mock, proven
  pristine on its way out of the pool);
* the same two, each also calling three methods of the mock (``+3``), so
  that the pool has to restore what the calls changed.

Then the throughput of one service: sessions per second (open, ``get``,
close) for a service without defaults and one with method defaults, in one
thread and in two.

Times are the best of ``--repeat`` rounds of ``--number`` iterations.

Usage: python benchmarks/bench_pool.py [--number N] [--repeat R]
       [--limit K] [--seconds S]
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, Callable
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Measure the checkout this file belongs to, not some installed copy.
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import corpus

import mockpool
from mockpool._pools.pool import PoolManager
from mockpool._sessions.session import mock_session

method_names = corpus.method_names


def best_time(func: Callable[[], None], number: int) -> float:
    """Seconds per call of one round of *number* calls."""
    start = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - start) / number


def register(registry: mockpool.Registry, cls: type) -> str | None:
    """Register *cls* as a service named after it; None if it is refused."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    try:
        registry.register(name, cls)
    except mockpool.MockPoolError as exc:
        print(f"  not registrable, skipped: {name}: {exc}")
        return None
    return name


Calls = Sequence[tuple[str, tuple[Any, ...], dict[str, Any]]]


def good_arguments(cls: type, name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``None`` for every required parameter of method *name* (no ``self``)."""
    try:
        sig = inspect.signature(getattr(cls, name))
    except (TypeError, ValueError):
        return (), {}
    params = list(sig.parameters.values())
    raw = inspect.getattr_static(cls, name)
    bound = isinstance(raw, (staticmethod, classmethod)) or (
        type(raw).__name__ == "classmethod_descriptor"
    )
    if params and not bound:
        params = params[1:]
    empty = inspect.Parameter.empty
    positional = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )
    args = tuple(None for p in params if p.default is empty and p.kind in positional)
    kwargs = {
        p.name: None
        for p in params
        if p.default is empty and p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    return args, kwargs


def call_all(built: Any, calls: Calls) -> None:
    for name, args, kwargs in calls:
        result = getattr(built, name)(*args, **kwargs)
        if inspect.iscoroutine(result):
            result.close()


def stdlib_workload(cls: type, calls: Calls) -> Callable[[], None]:
    def run() -> None:
        call_all(mock.create_autospec(cls, instance=True), calls)

    return run


def pooled_workload(
    registry: mockpool.Registry, pools: PoolManager, service: str, calls: Calls
) -> Callable[[], None]:
    def run() -> None:
        with mock_session(registry, pools=pools) as session:
            call_all(session.get(service), calls)

    return run


def per_class(args: argparse.Namespace) -> None:
    classes, missing = corpus.load()
    if args.limit:
        classes = classes[: args.limit]
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}")
    registry = mockpool.Registry()
    pools = PoolManager()
    header = (
        f"{'class':34} {'stdlib ms':>9} {'pooled ms':>9} {'ratio':>7}"
        f" {'stdlib+3':>9} {'pooled+3':>9} {'ratio':>7} {'hit rate':>8}"
    )
    print(header)
    print("-" * len(header))
    ratios: dict[str, list[float]] = {"bare": [], "+3": []}
    for cls in classes:
        service = register(registry, cls)
        if service is None:
            continue
        calls = [(name, *good_arguments(cls, name)) for name in method_names(cls)[:3]]
        row: dict[str, tuple[float, float]] = {}
        for label, chosen in (("bare", []), ("+3", calls)):
            theirs = stdlib_workload(cls, chosen)
            ours = pooled_workload(registry, pools, service, chosen)
            for _ in range(3):  # warm: the pool holds a used mock
                ours()
            theirs_best = ours_best = float("inf")
            for _ in range(args.repeat):
                theirs_best = min(theirs_best, best_time(theirs, args.number))
                ours_best = min(ours_best, best_time(ours, args.number))
            row[label] = (theirs_best, ours_best)
            ratios[label].append(theirs_best / ours_best)
        stats = pools.pool_for(registry, service).stats()
        print(
            f"{service[:34]:34} {row['bare'][0] * 1e3:9.3f} {row['bare'][1] * 1e3:9.3f}"
            f" {ratios['bare'][-1]:6.1f}x {row['+3'][0] * 1e3:9.3f}"
            f" {row['+3'][1] * 1e3:9.3f} {ratios['+3'][-1]:6.1f}x"
            f" {stats.hit_rate:8.1%}"
        )
    print("-" * len(header))
    print(
        "median ratio (create_autospec time / pooled session time): "
        + ", ".join(f"{k} {statistics.median(v):.1f}x" for k, v in ratios.items())
    )


def sessions_per_second(
    registry: mockpool.Registry, service: str, threads: int, seconds: float
) -> float:
    """Sessions (open, get, close) per second, all threads together."""
    pools = PoolManager()
    counts = [0] * threads
    stop = threading.Event()
    ready = threading.Barrier(threads + 1)

    def loop(index: int) -> None:
        ready.wait()
        count = 0
        while not stop.is_set():
            with mock_session(registry, pools=pools) as session:
                session.get(service)
            count += 1
        counts[index] = count

    workers = [threading.Thread(target=loop, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    ready.wait()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - start)


def throughput(args: argparse.Namespace) -> None:
    from smtplib import SMTP

    registry = mockpool.Registry()
    registry.register("smtp", SMTP)
    registry.register(
        "smtp-defaults",
        SMTP,
        defaults={
            "connect.return_value": (220, b"ready"),
            "login.return_value": (235, b"ok"),
            "sendmail.return_value": {},
            "quit.return_value": (221, b"bye"),
        },
    )
    print(
        f"\nsessions per second on one service (open + get + close), smtplib.SMTP, "
        f"best of {args.repeat} x {args.seconds:g} s:"
    )
    print(f"{'service':32} {'1 thread':>10} {'2 threads':>10}")
    for service, label in (
        ("smtp", "without defaults"),
        ("smtp-defaults", "with 4 method defaults"),
    ):
        # Interleaved: one round of each, best of --repeat.
        one = two = 0.0
        for _ in range(args.repeat):
            one = max(one, sessions_per_second(registry, service, 1, args.seconds))
            two = max(two, sessions_per_second(registry, service, 2, args.seconds))
        print(f"{label:32} {one:10,.0f} {two:10,.0f}")
    started = time.perf_counter()
    for _ in range(200):
        mock.create_autospec(SMTP, instance=True)
    rate = 200 / (time.perf_counter() - started)
    print(f"{'(create_autospec, 1 thread)':32} {rate:10,.0f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--number", type=int, default=20, help="calls per round")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; best kept")
    parser.add_argument("--limit", type=int, default=0, help="only the first K classes")
    parser.add_argument(
        "--seconds", type=float, default=1.0, help="length of a throughput round"
    )
    args = parser.parse_args(argv)
    print(f"$ {' '.join([os.path.basename(sys.executable), *sys.argv])}")
    print(
        f"Python {sys.version.split()[0]} ({sys.implementation.name}); mockpool ",
        end="",
    )
    print(
        f"{mockpool.__version__}; best of {args.repeat} x {args.number} iterations, "
        "interleaved"
    )
    per_class(args)
    throughput(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
