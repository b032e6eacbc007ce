"""The event hub: how the core tells side systems what happened.

The core (introspection, pools, recovery, adaptation, sessions) never
imports the side systems that learn from it (usage history, prediction,
warming) or report on it (the run report). It *emits* events here; one
wiring module, :mod:`mockpool._wiring`, connects the side systems'
receivers at import. A new side system adds a receiver there and touches no
core module.

Contract:

* Emitting costs one attribute read and a loop over a tuple: a signal with
  no receivers costs next to nothing on the hot path. Receivers are kept in
  a tuple that :meth:`Signal.connect` replaces whole, so emitting needs no
  lock and never sees a half-changed list.
* Receivers are fenced (:mod:`mockpool._base.fence`): an exception in one
  becomes a single :class:`~mockpool.errors.MockPoolWarning` and the next
  receiver still runs. Bookkeeping never changes what a test sees.
* A :class:`Query` is the one way back: the core *asks* (the priority of a
  class, for cache eviction) through a function a side system may install;
  the default answers without any side system.
"""

from __future__ import annotations

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import getattr, len, repr
from collections.abc import Callable
from typing import Any

from mockpool._base import fence

__all__ = [
    "Query",
    "Signal",
    "acquired",
    "adapted",
    "build_failed",
    "degraded",
    "discarded",
    "priority",
    "run_begun",
    "session_closed",
    "session_opened",
]

Receiver = Callable[..., object]


class Signal:
    """One kind of event, and the receivers that hear it, in order.

    Args:
        name: What happened, for warnings ("acquired", "session closed").
        arguments: The names of the arguments receivers get, for docs.
    """

    __slots__ = ("arguments", "name", "receivers")

    def __init__(self, name: str, arguments: str) -> None:
        self.name = name
        self.arguments = arguments
        #: Replaced whole by connect/disconnect, so emit() needs no lock.
        self.receivers: tuple[Receiver, ...] = ()

    def connect(self, receiver: Receiver) -> Receiver:
        """Call *receiver* on every emit (once, however often connected)."""
        if receiver not in self.receivers:
            self.receivers = (*self.receivers, receiver)
        return receiver

    def disconnect(self, receiver: Receiver) -> None:
        """Stop calling *receiver*; unknown receivers are ignored."""
        self.receivers = tuple(r for r in self.receivers if r != receiver)

    def emit(self, *args: Any) -> None:
        """Call every receiver with *args*; a failing one is only a warning."""
        for receiver in self.receivers:
            try:
                receiver(*args)
            except Exception as exc:  # fenced: bookkeeping never fails a test
                fence.warn_failure(f"{self.name} receiver {_name_of(receiver)}", exc)

    def __repr__(self) -> str:
        count = len(self.receivers)
        return f"<Signal {self.name!r} ({self.arguments}): {count} receivers>"


class Query:
    """A question the core asks a side system, with an answer of its own.

    Args:
        name: What is asked, for warnings.
        default: The answer when no side system has installed one.
    """

    __slots__ = ("answer", "default", "name")

    def __init__(self, name: str, default: Callable[..., Any]) -> None:
        self.name = name
        self.default = default
        self.answer = default

    def install(self, answer: Callable[..., Any]) -> None:
        """Answer with *answer* from now on."""
        self.answer = answer

    def reset(self) -> None:
        """Go back to the default answer."""
        self.answer = self.default

    def __call__(self, *args: Any) -> Any:
        try:
            return self.answer(*args)
        except Exception as exc:  # fenced: fall back to what no side system says
            fence.warn_failure(f"{self.name} query", exc, once=True)
            return self.default(*args)


def _name_of(receiver: Receiver) -> str:
    return getattr(receiver, "__qualname__", None) or repr(receiver)


# -- what the core emits --------------------------------------------------------

#: A pool handed out a mock.
acquired = Signal("acquired", "service, recycled, build_seconds, leased_now")
#: Building a mock for a pool raised (recovery may still serve one).
build_failed = Signal("build failed", "service")
#: A pool threw a mock away instead of keeping it for the next session.
discarded = Signal("discarded", "service, reason")
#: A recovery stage served a mock that checks less than its autospec.
degraded = Signal("degraded", "service, variant")
#: The adapter changed how a pool builds or how many it keeps.
adapted = Signal("adapted", "trigger, service, action")
#: A run of tests begins: the drop-in was enabled, or the suite called
#: initialize_system(). Emitted at most a few times per process.
run_begun = Signal("run begun", "")
#: A session opened (before it becomes current).
session_opened = Signal("session opened", "session")
#: A session closed (after its patches were undone and mocks given back).
session_closed = Signal("session closed", "session")

#: How likely a class or service is to be needed again this run (eviction
#: order of the introspection cache and of the drop-in's pools).
priority = Query("priority", lambda name: 0.0)
