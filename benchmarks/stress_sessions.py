"""Stress benchmark: many sessions across many threads, timed and checked.

Runs the scenario of ``tests/test_stress.py`` -- by default 1,199 sessions
across 64 threads, each session taking the seed's six wired services,
configuring them with values of its own, patching one shared module
attribute with its own mock and checking what it saw -- and prints the wall
time, sessions per second, peak memory, the isolation counters (both must be
0) and the pool statistics.

The scenario is loaded from the test file by path rather than imported
through the ``tests`` package: one implementation serves the test and the
benchmark, and the benchmark needs nothing of the test suite's
dependencies (``tests/__init__.py`` imports hypothesis).

Usage: python benchmarks/stress_sessions.py [--sessions N] [--threads T]
       [--switch-interval S]

Exits with status 1 if a mock was shared, a patch was left behind or a
session failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

import psutil

# Measure the checkout this file belongs to, not some installed copy.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_SCENARIO = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "tests",
    "test_stress.py",
)


def load_scenario() -> ModuleType:
    """Import ``tests/test_stress.py`` as a stand-alone module."""
    spec = importlib.util.spec_from_file_location("mockpool_stress", _SCENARIO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: the scenario patches its own module, found by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class PeakRss:
    """Samples the process's resident set size in a background thread."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def _max_rss_bytes() -> int:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1199)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=1e-4,
        help="sys.setswitchinterval during the run (0: leave it alone)",
    )
    args = parser.parse_args(argv)
    print(f"$ {' '.join([os.path.basename(sys.executable), *sys.argv])}")
    print(f"Python {sys.version.split()[0]} ({sys.implementation.name})")

    scenario = load_scenario()
    rss_before = psutil.Process().memory_info().rss
    with PeakRss() as rss:
        report = scenario.run_stress(
            args.sessions,
            args.threads,
            switch_interval=args.switch_interval or None,
        )
    mib = 1024 * 1024
    print(
        f"{report.completed} of {report.sessions} sessions, {report.threads} threads,"
        f" 6 wired services and one patch each"
    )
    print(f"wall time:            {report.seconds:.2f} s")
    print(f"sessions per second:  {report.sessions_per_second:,.0f}")
    print(
        f"peak RSS (psutil):    {rss.peak / mib:.1f} MiB"
        f" (before the run {rss_before / mib:.1f} MiB, sampled every"
        f" {rss.interval * 1e3:g} ms)"
    )
    print(f"peak RSS (getrusage): {_max_rss_bytes() / mib:.1f} MiB")
    print(
        f"mocks shared across sessions: {report.shared}"
        f" ({len(report.conflicts)} held by two open sessions,"
        f" {len(report.foreign)} values or calls seen by another session)"
    )
    print(f"patches left behind:  {int(report.patch_left)}")
    print(f"session errors:       {len(report.errors)}")
    print(f"pools (max_size {report.max_size}):")
    header = f"  {'service':22} {'acquired':>8} {'hits':>6} {'builds':>6} {'idle':>4}"
    print(f"{header} {'peak':>4}  discards by reason")
    for stats in report.pools:
        discards = ", ".join(
            f"{reason}: {count}" for reason, count in sorted(stats.discards.items())
        )
        print(
            f"  {stats.service:22} {stats.acquired:8} {stats.hits:6} {stats.builds:6}"
            f" {stats.idle:4} {stats.peak_leased:4}  {discards or '-'}"
        )
    for problem in (report.conflicts + report.foreign + report.errors)[:5]:
        print(f"PROBLEM: {problem}")
    failed = report.shared or report.patch_left or report.errors
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
