"""Learning across runs: the bundled legacy suite three times, cold then warm.

Each run is a fresh process running the bundled 1,366-test suite with
``mockpool.install()``, as ``python -m mockpool run`` does, sharing one
throwaway history directory (``MOCKPOOL_DIR``). The first run has no
history: every pool starts empty. From the second on, the history predicts
which classes the suite autospecs, and the warmer fills their pools before
the first test and keeps them topped up.

Printed per run, all measured inside the run:

* pool hit rate: instance autospecs served by a pool without a build, over
  all instance autospecs the pools were asked for;
* time to first mock: latency of the run's first ``create_autospec(cls,
  instance=True)`` call;
* first acquisition per class: the mean, over classes, of the latency of
  each class's first instance autospec in the run;
* total acquisition time: the sum of the latencies of every top-level
  ``create_autospec`` call the suite made (pooled or not);
* warm-up: what the warmer spent before the first test.

Exit status 0 when, from the second run on, the hit rate is at least 80 %
and the time to first mock is at least 40 % below the first run's.

Usage::

    python benchmarks/bench_learning.py [--runs 3] [--python PYTHON]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

HIT_RATE_TARGET = 0.80
FIRST_MOCK_CUT = 0.40


def child(output: str) -> int:
    """One run, in this process: the suite with acquisitions timed."""
    from mockpool._demo import check
    from mockpool._integration import install as _install
    from mockpool._learning import lifecycle as _learning
    from mockpool._pools import spec_pools

    served = _install.accelerated_autospec
    calls: list[tuple[str, bool, float]] = []

    def timed(spec: Any, *args: Any, **kwargs: Any) -> Any:
        # Top-level calls only: the stdlib autospecs children lazily
        # through the same name, with a parent.
        top = (args[2] if len(args) > 2 else kwargs.get("_parent")) is None
        started = time.perf_counter()
        try:
            return served(spec, *args, **kwargs)
        finally:
            if top:
                instance = bool(args[1] if len(args) > 1 else kwargs.get("instance"))
                name = getattr(spec, "__qualname__", type(spec).__qualname__)
                calls.append((name, instance, time.perf_counter() - started))

    _install.accelerated_autospec = timed
    started = time.perf_counter()
    with _install.install():
        result = check.run(check.discover("tests"))
    wall = time.perf_counter() - started
    pools = list(spec_pools.all_pools())
    acquired = sum(pool.stats().acquired for pool in pools)
    hits = sum(pool.stats().hits for pool in pools)
    first: dict[str, float] = {}
    for name, instance, seconds in calls:
        if instance:
            first.setdefault(name, seconds)
    instance_calls = [seconds for _, instance, seconds in calls if instance]
    warmer = _learning.state().warmer
    report = {
        "ok": result.wasSuccessful(),
        "wall": wall,
        "hit_rate": hits / acquired if acquired else 0.0,
        "acquired": acquired,
        "first_mock": instance_calls[0] if instance_calls else 0.0,
        "first_per_class": sum(first.values()) / len(first) if first else 0.0,
        "total_acquisition": sum(seconds for _, _, seconds in calls),
        "calls": len(calls),
        "warm_up": warmer.warm_up_seconds if warmer is not None else 0.0,
        "warm_built": sum(warmer.built.values()) if warmer is not None else 0,
    }
    with open(output, "w", encoding="utf-8") as stream:
        json.dump(report, stream)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        return child(options.child)
    if options.runs < 2:
        parser.error("--runs must be at least 2 (a cold run and a warm one)")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="mockpool-learning-") as workdir:
        env = dict(os.environ, MOCKPOOL_DIR=os.path.join(workdir, "history"))
        for name in ("MOCKPOOL_WARM", "MOCKPOOL_HISTORY", "MOCKPOOL_RUN_ID"):
            env.pop(name, None)
        for run in range(options.runs):
            output = os.path.join(workdir, f"run-{run}.json")
            subprocess.run(
                [options.python, os.path.abspath(__file__), "--child", output],
                env=env,
                check=True,
            )
            with open(output, encoding="utf-8") as stream:
                rows.append(json.load(stream))
    print(
        f"{'run':>3} {'hit rate':>9} {'first mock':>11} {'first/class':>12} "
        f"{'acquisition':>12} {'warm-up':>8} {'wall':>7}  suite"
    )
    for index, row in enumerate(rows, 1):
        print(
            f"{index:>3} {row['hit_rate']:>9.1%} {row['first_mock'] * 1e3:>9.3f}ms "
            f"{row['first_per_class'] * 1e3:>10.3f}ms "
            f"{row['total_acquisition']:>11.3f}s {row['warm_up']:>7.3f}s "
            f"{row['wall']:>6.2f}s  {'passed' if row['ok'] else 'FAILED'}"
        )
    cold = rows[0]
    ok = all(row["ok"] for row in rows)
    for index, row in enumerate(rows[1:], 2):
        cut = 1 - row["first_mock"] / cold["first_mock"] if cold["first_mock"] else 0
        hit_ok = row["hit_rate"] >= HIT_RATE_TARGET
        cut_ok = cut >= FIRST_MOCK_CUT
        print(
            f"run {index}: hit rate {row['hit_rate']:.1%} "
            f"({'>=' if hit_ok else '<'} {HIT_RATE_TARGET:.0%}), time to first "
            f"mock {cut:.0%} below the cold run's "
            f"({'>=' if cut_ok else '<'} {FIRST_MOCK_CUT:.0%})"
        )
        ok = ok and hit_ok and cut_ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
