"""Micro-benchmark: plain mocks and their children, for instruction counts.

A fixed workload of accelerated plain mocks (:mod:`mockpool._autospec.plain`)
and the children a suite makes of them -- attribute children, return
values, magic methods materialising on first use -- run inside
``sorted([0], key=...)`` so that callgrind can count that call alone
(``--toggle-collect=builtin_sorted``); time on a shared machine is too
noisy to compare small changes, instruction counts are not.

``drop`` lets every mock go at once (most are freed by the garbage
collector: a parent and its children refer to each other), so that their
classes are reused; ``keep`` keeps them all, so that each needs a new one.

Usage (the first run after a change compiles; count the second)::

    PYTHONHASHSEED=0 PYTHONPATH=. valgrind --tool=callgrind \\
        --toggle-collect=builtin_sorted --callgrind-out-file=OUT \\
        python benchmarks/bench_plain_children.py [drop|keep] [ROUNDS]
    callgrind_annotate OUT | grep "PROGRAM TOTALS"

Without valgrind it prints the CPU time of the counted part, of the same
workload under ``unittest.mock`` (run once, outside the counted call), and
their ratio.
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any
from unittest.mock import MagicMock, Mock

import mockpool._autospec.plain as plain


def work(rounds: int, kept: list[Any] | None) -> int:
    """Build *rounds* times three mocks and their children."""
    for _ in range(rounds):
        chained = MagicMock()
        chained.a.b.c(1)
        used = MagicMock()
        used.x  # noqa: B018 - the child is made by the access
        used.y.z  # noqa: B018
        used.__enter__  # noqa: B018 - a magic method materialises
        len(used)
        called = Mock()
        called.foo(2)
        if kept is not None:
            kept.append((chained, used, called))
    return 0


def main(argv: list[str]) -> None:
    mode = argv[0] if argv else "drop"
    rounds = int(argv[1]) if len(argv) > 1 else 300
    if mode not in ("drop", "keep"):
        raise SystemExit(__doc__)
    kept: list[Any] | None = [] if mode == "keep" else None
    plain.enable()
    try:
        for _ in range(2):  # warm: plans, records, classes to reuse
            work(rounds, kept)
        if kept is not None:
            kept.clear()
        gc.collect()
        start = time.process_time()
        sorted([0], key=lambda _: work(rounds, kept))
        elapsed = time.process_time() - start
    finally:
        plain.disable()
    # The stdlib's side, outside sorted(): callgrind counts only the above.
    if kept is not None:
        kept.clear()
    gc.collect()
    start = time.process_time()
    work(rounds, kept)
    stdlib = time.process_time() - start
    print(
        f"{mode}: {rounds} rounds, {elapsed * 1e3:.1f} ms CPU accelerated, "
        f"{stdlib * 1e3:.1f} ms unittest.mock: {stdlib / elapsed:.2f}x"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
