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
  :func:`set_current_test`) and the cause (the exception's type and
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
from types import TracebackType

from mockpool.errors import MockPoolWarning

__all__ = [
    "current_test",
    "fenced",
    "set_current_test",
    "warn_failure",
    "write_to_stderr",
]


class _Current(threading.local):
    # The id of the test running on this thread, and the side systems that
    # warned with once=True during it.
    test_id: str | None = None
    warned: frozenset[str] = frozenset()


#: What a test starts with: no side system warned yet (shared: immutable).
_NONE_WARNED: frozenset[str] = frozenset()


_current = _Current()


def current_test() -> str | None:
    """The id of the test running on this thread, if any."""
    return _current.test_id


def set_current_test(test_id: str | None) -> str | None:
    """Make *test_id* the test a fence names by default; return the previous.

    Also forgets which side systems warned once (``once=True``): each test
    gets its own warning.
    """
    current = _current
    previous = current.test_id
    current.test_id = test_id
    current.warned = _NONE_WARNED
    return previous


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
        test_id = _current.test_id
    if once:
        if what in _current.warned:
            return
        _current.warned = _current.warned | {what}
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
