"""Run a unittest suite under an instrument; count the time creating mocks.

The child side of check_measure.py. Usage, with the suite's interpreter,
from the suite's directory::

    python cprofile_run.py OUT.json {plain|cpu|events|sample} [unittest args]

It runs ``unittest.main`` with the arguments, over the same span as
``python -m mockpool measure`` (from just before discovery to the end of
the run, CPU from :func:`time.process_time`), in one of four modes:

* ``plain``: no instrument, only the span's CPU: what the suite costs.
* ``cpu``: under :class:`cProfile.Profile` with :func:`time.thread_time` as
  its clock: seconds, the profiler's overhead included.
* ``events``: under cProfile with a counter as its clock, which advances by
  one at each reading, that is at each call and return the profiler sees.
  The "time" of a function is then the number of events inside it: what
  the profiler's overhead per event is multiplied by.
* ``sample``: a sampler (:class:`Sampler`) on the kernel's profiling timer,
  which interrupts the process after every tick of CPU it spends and looks
  at the main thread's stack.

OUT.json gets ``cpu`` (the span's CPU seconds) and ``exit``; the profiled
modes add ``total`` (the profile's sum of own times over every function:
the whole span in the profile's unit), ``outermost`` (kind -> cumulative
time of the outermost calls into the entry points of that kind, see
:func:`outermost_by_kind`) and ``all_calls`` (kind -> cumulative time of
every call into them, nested or not); the sampler adds ``total`` (samples),
``outermost`` (kind -> samples whose outermost entry point on the stack
is of that kind) and ``lookups`` (the samples of ``child_mock`` taken in a
``__getattr__`` that had called no other entry point).

The entry points are the ones mockpool/_measure/timers.py wraps, by kind:
``autospec`` (``create_autospec``; neither instrument tells the kinds of
spec apart), ``patch_enter`` (``_patch.__enter__``), ``mock_init``
(``NonCallableMock.__new__`` and the stdlib ``__init__`` of each mock
class and mixin, which the timers reach through a wrapper on each concrete
mock class) and ``child_mock`` (``NonCallableMock._get_child_mock`` and
``__getattr__``). One difference: the timers count a ``__getattr__`` only
when it builds a child. cProfile cannot tell those calls from the ones
that return a child built already (``__getattr__`` runs on every access to
a child); the sampler counts those apart, as ``lookups``.

Standard library only: it runs inside each suite's venv.
"""

from __future__ import annotations

import cProfile
import itertools
import json
import os
import signal
import sys
import time
import unittest
from collections.abc import Iterable
from typing import Any
from unittest import mock

#: A function in a cProfile profile: (file name, first line, code name).
Function = tuple[str, int, str]
#: cProfile's stats: function -> (primitive calls, calls, own time,
#: cumulative time, callers), where callers maps each calling function to
#: the same four figures for the calls it made.
Stats = dict[Function, tuple[int, int, float, float, dict[Function, Any]]]

#: The mock classes and mixins whose stdlib ``__init__`` the profile counts
#: (the timers wrap each concrete class's, which calls these).
_INIT_CLASSES = (
    "NonCallableMock",
    "CallableMixin",
    "MagicMixin",
    "AsyncMockMixin",
    "AsyncMagicMixin",
    "ThreadingMixin",
)
#: How many passes :func:`inside_fractions` makes at most; call chains from
#: an entry point to the next one are far shorter.
_PASSES = 50


def _key(function: Any) -> Function:
    code = function.__code__
    return (code.co_filename, code.co_firstlineno, code.co_name)


def entry_points() -> dict[Function, str]:
    """The profile keys of the functions timers.py wraps, with their kind."""
    base: Any = mock.NonCallableMock
    entries = {
        _key(mock.create_autospec): "autospec",
        _key(mock._patch.__enter__): "patch_enter",
        # __new__ is stored as a static method; its function has the code.
        _key(base.__dict__["__new__"].__func__): "mock_init",
        _key(base._get_child_mock): "child_mock",
        _key(base.__getattr__): "child_mock",
    }
    for name in _INIT_CLASSES:
        mock_class = getattr(mock, name, None)
        if mock_class is not None and "__init__" in mock_class.__dict__:
            entries[_key(mock_class.__dict__["__init__"])] = "mock_init"
    return entries


def inside_fractions(
    stats: Stats, entries: Iterable[Function]
) -> dict[Function, float]:
    """For each function, the share of its time spent inside an entry point.

    A profile keeps, per function, its cumulative time split by direct
    caller, not the whole stack, so whether a call is nested inside an entry
    point further up is estimated: a function called by an entry point is
    wholly inside one; a function called by others is inside one for the
    share of its time that its callers spent inside one, weighted by the
    time each caller's calls took. That assumes a function's calls cost
    alike whoever makes them, one level up; the direct edge into an entry
    point, which carries the time, is always exact.
    """
    entry_set = set(entries)
    inside = dict.fromkeys(stats, 0.0)
    for _ in range(_PASSES):
        changed = 0.0
        for function, (_, _, _, _, callers) in stats.items():
            weighted = total = 0.0
            for caller, figures in callers.items():
                spent = figures[3]
                nested = 1.0 if caller in entry_set else inside.get(caller, 0.0)
                weighted += spent * nested
                total += spent
            share = weighted / total if total > 0 else 0.0
            changed = max(changed, abs(share - inside[function]))
            inside[function] = share
        if changed < 1e-9:
            break
    return inside


def outermost_by_kind(
    stats: Stats, entries: dict[Function, str]
) -> tuple[dict[str, float], dict[str, float]]:
    """Cumulative time of outermost calls into the entry points, by kind.

    A call into an entry point counts unless it is nested in another: the
    time of each caller's calls, times the share of that caller's time that
    is outside every entry point (:func:`inside_fractions`). Returns that
    and, for comparison, the time of every call, nested or not.
    """
    inside = inside_fractions(stats, entries)
    outermost = dict.fromkeys(entries.values(), 0.0)
    every = dict.fromkeys(entries.values(), 0.0)
    for function, kind in entries.items():
        if function not in stats:
            continue
        _, _, _, cumulative, callers = stats[function]
        every[kind] += cumulative
        if not callers:  # called from where profiling began: outermost
            outermost[kind] += cumulative
        for caller, figures in callers.items():
            nested = 1.0 if caller in entries else inside.get(caller, 0.0)
            outermost[kind] += figures[3] * (1.0 - nested)
    return outermost, every


class Sampler:
    """Samples the main thread's stack every *interval* seconds of CPU.

    A sample counts for the kind of the outermost entry point on the stack,
    if any: the same outermost rule as the timers', on a clock that charges
    nothing per call. Its own cost (a stack walk per sample) is spread over
    the run by time, so it leaves the shares as they are.
    """

    def __init__(self, entries: dict[Function, str], interval: float) -> None:
        self.kinds = dict(entries)
        self.lookup = _key(mock.NonCallableMock.__getattr__)
        self.interval = interval
        self.samples = 0
        self.inside = dict.fromkeys(entries.values(), 0)
        #: Samples in a ``__getattr__`` with no other entry point inside it:
        #: an access to a child built already (or one refused), which the
        #: timers do not count as creating anything.
        self.lookups = 0

    def _sample(self, signum: int, frame: Any) -> None:
        self.samples += 1
        found: list[Function] = []
        while frame is not None:
            code = frame.f_code
            key = (code.co_filename, code.co_firstlineno, code.co_name)
            if key in self.kinds:
                found.append(key)
            frame = frame.f_back
        if found:
            outermost = found[-1]
            self.inside[self.kinds[outermost]] += 1
            if found == [self.lookup]:
                self.lookups += 1

    def enable(self) -> None:
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)

    def disable(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0.0, 0.0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)


def _profiler(mode: str) -> cProfile.Profile | None:
    if mode == "plain":
        return None
    if mode == "cpu":
        return cProfile.Profile(time.thread_time, builtins=False)
    if mode == "events":
        # Unit 1: the counter's readings are kept as they are.
        return cProfile.Profile(itertools.count().__next__, 1.0, builtins=False)
    raise SystemExit(f"cprofile_run.py: mode {mode!r}: use plain, cpu or events")


#: The sampler's period, in seconds of the process's CPU: a 1 s suite gives
#: 2,000 samples, so a share comes within about a point of the truth.
SAMPLING_INTERVAL = 0.0005


def main(argv: list[str]) -> int:
    """Run the suite as the mode says; write the figures to OUT.json."""
    if len(argv) < 2:
        raise SystemExit(__doc__)
    output, mode, args = argv[0], argv[1], argv[2:]
    entries = entry_points()
    sampler = Sampler(entries, SAMPLING_INTERVAL) if mode == "sample" else None
    profiler = None if mode == "sample" else _profiler(mode)
    instrument: Any = sampler or profiler
    # As `python -m unittest`: the current directory first on the path, not
    # this script's directory.
    sys.path[0] = os.getcwd()
    status = 1
    started = time.process_time()
    if instrument is not None:
        instrument.enable()
    try:
        unittest.main(module=None, argv=["python -m unittest", *args])
    except SystemExit as exit_:
        code = exit_.code
        status = code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        if instrument is not None:
            instrument.disable()
        cpu = time.process_time() - started
    record: dict[str, Any] = {"mode": mode, "cpu": cpu, "exit": status}
    if profiler is not None:
        profiler.create_stats()
        stats: Stats = profiler.stats
        outermost, every = outermost_by_kind(stats, entries)
        record.update(
            total=sum(figures[2] for figures in stats.values()),
            outermost=outermost,
            all_calls=every,
        )
    if sampler is not None:
        record.update(
            total=sampler.samples, outermost=sampler.inside, lookups=sampler.lookups
        )
    with open(output, "w", encoding="utf-8") as stream:
        json.dump(record, stream, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
