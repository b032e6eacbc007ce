"""Progress of a long run of tests: tests done of total, seconds elapsed.

:class:`Progress` writes ``LABEL: DONE/TOTAL tests (PERCENT%), SECONDSs``
to one stream. On a terminal it keeps one line and redraws it in place
(``\\r``) at most every :data:`REDRAW_SECONDS`; anywhere else (a pipe, a CI
log) it writes a whole line at the start, then at most one every
:data:`LINE_SECONDS`, and one at the end -- never one per test.

Its contract with the run it watches: it changes nothing the run measures
or decides. :meth:`Progress.advance` costs a counter and a clock reading;
the stream and the clock are the ones given when it was made, so a test
that patches ``sys.stderr`` or ``time.monotonic`` neither receives its
output nor changes its readings; and a stream that fails to write turns
progress off instead of raising into the run.
"""

from __future__ import annotations

import time
from typing import Callable, TextIO

__all__ = ["LINE_SECONDS", "REDRAW_SECONDS", "Progress"]

#: Least seconds between two redraws of the line on a terminal.
REDRAW_SECONDS = 0.1
#: Least seconds between two lines when the stream is not a terminal.
LINE_SECONDS = 5.0


class Progress:
    """Shows *label*'s progress through *total* tests on *stream*.

    Args:
        label: What is running, first on the line.
        total: How many tests the run holds.
        stream: Where to write; a terminal when its ``isatty()`` says so.
        clock: Seconds, monotonic (for tests).
    """

    def __init__(
        self,
        label: str,
        total: int,
        stream: TextIO,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self._stream = stream
        self._clock = clock
        self._terminal = _is_terminal(stream)
        self._every = REDRAW_SECONDS if self._terminal else LINE_SECONDS
        self._started = clock()
        self._shown_at = self._started
        self._width = 0  # of the line on screen, to blank what a shorter one leaves
        self._broken = False

    def start(self) -> None:
        """Show the run as begun: 0 tests done; the clock starts now."""
        self._started = self._shown_at = self._clock()
        self._show(self._started)

    def advance(self, count: int = 1) -> None:
        """*count* more tests are done; show it if it is time to."""
        self.done += count
        now = self._clock()
        if now - self._shown_at >= self._every:
            self._show(now)

    def finish(self) -> None:
        """Show the run as done: every test, the final time, and end the line."""
        # Tests of a class whose setUpClass failed are never started or
        # stopped, yet the run is through them too.
        self.done = max(self.done, self.total)
        self.stop()

    def stop(self) -> None:
        """Show where the run stopped and end the line (before an error's output)."""
        self._show(self._clock(), end=True)

    def line(self, now: float) -> str:
        """The progress line at time *now*."""
        percent = 100 * self.done // self.total if self.total else 100
        return (
            f"{self.label}: {self.done}/{self.total} tests ({percent}%), "
            f"{now - self._started:.1f}s"
        )

    def _show(self, now: float, *, end: bool = False) -> None:
        if self._broken:
            return
        self._shown_at = now
        text = self.line(now)
        if self._terminal:
            padded = text.ljust(self._width)
            self._width = len(text)
            text = "\r" + padded + ("\n" if end else "")
        else:
            text += "\n"
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            # A closed or broken stream (the reader went away): the run
            # matters, its progress does not.
            self._broken = True


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False
