"""Benchmark: mockpool.create_autospec against unittest.mock.create_autospec.

For every class of the corpus, in one run and interleaved so that machine
noise hits both sides alike, it times three workloads per side:

* ``build``: ``create_autospec(cls, instance=True)``;
* ``+3``: build, then touch (fetch) the first three methods of the class;
* ``all``: build, then touch every method.

The stdlib side performs the same fetches as mockpool's (they are cheap
there: its children already exist), so each ratio compares equal work.
Times are the best of ``--repeat`` rounds of ``--number`` builds. mockpool's
introspection cache is warmed by one build first, as it is by the first test
of a suite; ``--cold`` clears it before every build instead.

Usage: python benchmarks/bench_autospec.py [--number N] [--repeat R]
       [--limit K] [--cold]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any, Callable
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import corpus

import mockpool
from mockpool._autospec import introspect as _introspect

method_names = corpus.method_names


def workload(
    factory: Callable[..., Any], cls: type, touch: Sequence[str], cold: bool
) -> Callable[[], None]:
    def run() -> None:
        if cold:
            _introspect.clear_cache()
        built = factory(cls, instance=True)
        for name in touch:
            getattr(built, name)

    return run


def best_time(func: Callable[[], None], number: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=20, help="builds per round")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; best kept")
    parser.add_argument("--limit", type=int, default=0, help="only the first K classes")
    parser.add_argument(
        "--cold", action="store_true", help="clear the cache each build"
    )
    args = parser.parse_args(argv)

    classes, missing = corpus.load()
    if args.limit:
        classes = classes[: args.limit]
    print(
        f"Python {sys.version.split()[0]}; {len(classes)} classes; "
        f"best of {args.repeat} x {args.number} builds; cache "
        f"{'cold' if args.cold else 'warm'}"
    )
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}")
    header = (
        f"{'class':34} {'methods':>7} {'stdlib ms':>9} {'build ms':>9} {'ratio':>7}"
        f" {'+3 ms':>8} {'ratio':>7} {'all ms':>8} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    ratios: dict[str, list[float]] = {"build": [], "+3": [], "all": []}
    for cls in classes:
        names = method_names(cls)
        mockpool.create_autospec(cls, instance=True)  # warm the cache
        row = {}
        stdlib_times = {}
        for label, touch in (("build", []), ("+3", names[:3]), ("all", names)):
            ours = workload(mockpool.create_autospec, cls, touch, args.cold)
            theirs = workload(mock.create_autospec, cls, touch, False)
            # Interleave the two sides round by round.
            ours_best = theirs_best = float("inf")
            for _ in range(args.repeat):
                theirs_best = min(theirs_best, best_time(theirs, args.number, 1))
                ours_best = min(ours_best, best_time(ours, args.number, 1))
            row[label] = ours_best
            stdlib_times[label] = theirs_best
            ratios[label].append(theirs_best / ours_best)
        name = f"{cls.__module__}.{cls.__qualname__}"
        print(
            f"{name[:34]:34} {len(names):7d} {stdlib_times['build'] * 1e3:9.3f}"
            f" {row['build'] * 1e3:9.3f} {ratios['build'][-1]:6.1f}x"
            f" {row['+3'] * 1e3:8.3f} {ratios['+3'][-1]:6.1f}x"
            f" {row['all'] * 1e3:8.3f} {ratios['all'][-1]:6.1f}x"
        )
    print("-" * len(header))
    print(
        "median ratio (stdlib time / mockpool time): "
        + ", ".join(f"{k} {statistics.median(v):.1f}x" for k, v in ratios.items())
    )
    slowest = min(ratios["all"])
    verdict = "no class slower than" if slowest >= 1 else "SLOWER than"
    print(
        f"slowest class when every method is touched: {slowest:.2f}x "
        f"({verdict} create_autospec)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
