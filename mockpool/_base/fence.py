"""A fence around mockpool's own bookkeeping: its failures never reach a test.

The leak check, the run report, usage history and warming, priority
lookups and adaptation are side systems: what they compute is for reports
and for speed, never for what a test sees. An error inside one of them -- a
bug of mockpool's, a full disk, a suite more unusual than foreseen -- must
not change a test's outcome or end the run. Every call into them from the
per-test path runs inside :class:`fenced` (or, where a ``with`` does not
fit, a ``try`` that hands the error to :func:`warn_failure`):

* on the happy path it costs one small object and a ``with`` block;
* an :class:`Exception` raised inside becomes one
  :class:`~mockpool.MockPoolWarning` that names the side system, the test
  (its id; by default the test running on this thread, see
  :func:`name_tests_by`) and the cause (the exception's type and
  message), and execution goes on after the block;
* a ``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``,
  ``SystemExit``) passes: it ends a run on purpose;
* when warnings are errors (``-W error``), the message goes to stderr
  instead: a warning raised as an exception would end the run the fence
  protects.

A leak that fails its test (``install(fail_on_leak=True)``) is not a side
system's error but the verdict of the leak check: it is raised outside any
fence.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import warnings

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import isinstance  # noqa: UP029
from collections.abc import Callable
from types import TracebackType

from mockpool.errors import MockPoolWarning

__all__ = [
    "current_test",
    "fenced",
    "name_tests_by",
    "warn_failure",
    "write_to_stderr",
]


class _Current(threading.local):
    # The side systems that warned with once=True during the test named
    # warned_in, on this thread.
    warned: frozenset[str] = frozenset()
    warned_in: str | None = None


_current = _Current()

# Names the test running on the calling thread (None: no test). Set once,
# by the drop-in, rather than told of every test: a call per test start and
# end would cost every test, and a name is only needed for a warning.
_namer: Callable[[], str | None] | None = None


def name_tests_by(namer: Callable[[], str | None] | None) -> None:
    """Have *namer* asked for the id of the test running on this thread,
    when a fence is not told the test (None: no test is named).

    *namer* is called only when a warning is issued, from the thread that
    issues it, and must not raise.
    """
    global _namer
    _namer = namer


def current_test() -> str | None:
    """The id of the test running on this thread, if any."""
    namer = _namer
    return None if namer is None else namer()


def _cause(error: BaseException) -> str:
    name = type(error).__qualname__
    try:
        text = str(error)
    except Exception:  # an exception that cannot describe itself
        return name
    return f"{name}: {text}" if text else name


def warn_failure(
    what: str,
    error: BaseException,
    test_id: str | None = None,
    *,
    once: bool = False,
) -> None:
    """Issue the one warning that *error* inside side system *what* is worth.

    Args:
        what: The side system, as the message names it ("run report").
        error: What it raised.
        test_id: The test it failed in; by default this thread's current
            test (none: "outside any test").
        once: Warn only the first time *what* fails during this test (for
            lookups that are repeated many times in one test).
    """
    if test_id is None:
        test_id = current_test()
    if once:
        # Once per test: what warned during another test may warn again.
        current = _current
        if current.warned_in != test_id:
            current.warned, current.warned_in = frozenset(), test_id
        if what in current.warned:
            return
        current.warned = current.warned | {what}
    where = "outside any test" if test_id is None else f"in {test_id}"
    message = (
        f"mockpool's {what} failed {where} ({_cause(error)}); ignored: the "
        "test's outcome is unchanged and the run goes on"
    )
    try:
        # stacklevel 3: past this function and fenced.__exit__, the line
        # that called into the side system.
        warnings.warn(MockPoolWarning(message), stacklevel=3)
    except Exception:  # warnings are errors here: say it without raising
        write_to_stderr(f"MockPoolWarning: {message}")


def write_to_stderr(line: str) -> None:
    """Write *line* to stderr, for a warning that cannot be issued (warnings
    are errors); if stderr fails too, there is nothing more to be done."""
    with contextlib.suppress(Exception):
        sys.stderr.write(f"{line}\n")


class fenced:  # lower case: used like contextlib.suppress, so named like it
    """``with fenced(what, test_id):`` -- an error inside becomes a warning.

    Args:
        what: The side system the block calls into ("run report").
        test_id: The test it runs for; by default this thread's current
            test.
        once: See :func:`warn_failure`.
    """

    __slots__ = ("_once", "_test_id", "_what")

    def __init__(
        self, what: str, test_id: str | None = None, *, once: bool = False
    ) -> None:
        self._what = what
        self._test_id = test_id
        self._once = once

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if error is None or not isinstance(error, Exception):
            return False
        warn_failure(self._what, error, self._test_id, once=self._once)
        return True
