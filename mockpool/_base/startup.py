"""How long importing mockpool took, so that the run report can count it.

Under plain unittest a suite never imports mockpool, so its import (and
what it imports: wrapt, psutil, cachetools...) is part of mockpool's own
work, which the time saved pays for
(:class:`mockpool._reporting.run_report.OwnWork`). ``mockpool/__init__.py``
imports this module first and calls :func:`loaded` last; the first
:func:`mockpool.install` of the process takes the figure, once.

The clock starts once :mod:`unittest.mock` is imported: every suite
mockpool can save time for imports it itself (with :mod:`asyncio`, about a
third of the whole import), so it is not mockpool's cost. The clock is the
process's CPU time, as the import does some waiting on files.
"""

from __future__ import annotations

# Bound at import: a test may patch time.process_time.
from time import process_time
from unittest import mock  # noqa: F401  (before the clock starts: see above)

__all__ = ["clock", "loaded", "take_import_seconds"]

#: The clock start-up is counted on (install() reads it too).
clock = process_time

_began = clock()
_import_seconds: float | None = None


def loaded() -> None:
    """Note that ``import mockpool`` is complete (its package's last line)."""
    global _import_seconds
    if _import_seconds is None:
        _import_seconds = clock() - _began


def take_import_seconds() -> float:
    """The import's seconds the first time it is asked, then 0.0: so the
    import is counted once, however many times mockpool is installed."""
    global _import_seconds
    seconds, _import_seconds = _import_seconds or 0.0, 0.0
    return seconds
