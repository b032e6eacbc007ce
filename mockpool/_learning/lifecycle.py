"""A run's learning: read past usage, predict, warm, keep; record this run.

:func:`begin_run` runs once per process, at the first ``install()`` or
:func:`~mockpool.initialize_system`, or at the first session when the
environment configures history (``MOCKPOOL_DIR`` or ``MOCKPOOL_HISTORY=1``;
see :func:`on_session_opened`). It hears the core through the event hub
(:mod:`mockpool._base.events`, connected in :mod:`mockpool._wiring`):

1. the usage history of earlier runs is loaded (:mod:`mockpool._learning.history`;
   never fails: a broken history warns once and starts afresh);
2. each service's series of acquisitions per run is forecast
   (:mod:`mockpool._learning.predict`) into a priority for this run;
3. the caches keep what ranks highest when they must evict
   (:func:`priority` feeds the introspection cache and the drop-in's pools);
4. a :class:`~mockpool._learning.warming.Warmer` gets the predicted classes: it fills
   their pools before the first test (:func:`before_first_test`) and tops
   them up from a daemon thread as tests use them. Registered services are
   warmed per their policy's warming level at the same moment.

Pools' acquisitions, builds and discards reach the usage recorder as
events; the record is written when tests end (at most every
:data:`FLUSH_INTERVAL` seconds) and when the process exits.

Nothing here changes what a mock enforces or what a test sees (contract 4):
warm mocks are the mocks a pool would build on demand, and a prediction
only decides what is built early and what is kept longest. Nor does it
fail what calls it: :func:`begin_run`, :func:`before_first_test`,
:func:`note_session_end`, :func:`end_run` and :func:`priority` run inside
:mod:`mockpool._base.fence`, so an error of theirs is one
:class:`~mockpool.MockPoolWarning` naming the test, never the test's
error.
"""

from __future__ import annotations

import atexit
import os
import threading
import warnings

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import hasattr, isinstance, sorted  # noqa: UP029

# Bound at import: a test that patches time.monotonic (class-wide, say)
# must not see a test's end read it.
from time import monotonic as _monotonic
from typing import TYPE_CHECKING, Any

from mockpool._base import process as _process
from mockpool._base.fence import fenced, warn_failure
from mockpool._learning import history as _history
from mockpool._learning.warming import Warmer
from mockpool._pools import pool as _pool
from mockpool._pools import spec_pools
from mockpool._services.registry import default_registry
from mockpool.errors import MockPoolWarning

if TYPE_CHECKING:
    from mockpool._learning import predict as _predict

__all__ = [
    "FLUSH_INTERVAL",
    "before_first_test",
    "begin_run",
    "end_run",
    "history_configured",
    "note_session_end",
    "on_session_closed",
    "on_session_opened",
    "priority",
    "set_warming_enabled",
    "state",
]

#: Seconds between two writes of this process's history file; the last
#: write happens at exit.
FLUSH_INTERVAL = 0.5
#: Environment variable: ``0`` turns warming off (history is still kept).
WARM_ENV = "MOCKPOOL_WARM"
#: Seconds the warm-up before the first test may take.
WARM_UP_BUDGET = 0.25


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.begun = False
        self.store: _history.HistoryStore | None = None
        self.priorities: dict[str, float] = {}
        self.predictions: dict[str, _predict.Prediction] = {}
        self.warmer: Warmer | None = None
        self.warmed_up = False
        self.last_flush = 0.0
        # None until the run begins: then MOCKPOOL_WARM decides, unless
        # set_warming_enabled() did.
        self.warming: bool | None = None


_state = _State()


def state() -> Any:
    """This process's learning state (for reports and tests)."""
    return _state


def priority(name: str) -> float:
    """The predicted priority of service or class *name* (0.0 if unknown)."""
    try:
        return _state.priorities.get(name, 0.0)
    except Exception as error:
        # Asked once per cached entry in every eviction scan: warn once.
        warn_failure("priority lookup", error, once=True)
        return 0.0


def set_warming_enabled(enabled: bool) -> None:
    """Turn warming on or off for runs that begin after this call."""
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be True or False, not {enabled!r}")
    _state.warming = enabled


#: Values of ``MOCKPOOL_HISTORY`` that ask for history explicitly.
_ON_VALUES = frozenset({"1", "true", "yes", "on"})


def history_configured() -> bool:
    """Whether the environment asks for usage history (``MOCKPOOL_DIR`` set,
    or ``MOCKPOOL_HISTORY`` on)."""
    setting = os.environ.get(_history.HISTORY_ENV, "").strip().lower()
    return bool(os.environ.get(_history.DIR_ENV)) or setting in _ON_VALUES


def on_session_opened(session: object) -> None:
    """A session opened: take part in the run, if there is one.

    A run is begun by the drop-in (``install()``, ``python -m mockpool run``,
    ``pytest --mockpool``) or :func:`~mockpool.initialize_system`. Outside
    one, a session begins it only when the environment configures history
    (:func:`history_configured`), so a plain ``mock_session()`` in a script
    or a suite without the drop-in reads and writes no file.
    """
    if not _state.begun and not history_configured():
        return
    begin_run()
    before_first_test()


def on_session_closed(session: object) -> None:
    """A session closed: write the history if it is due."""
    note_session_end()


def begin_run() -> None:
    """Load history, predict, and prepare warming; once per process."""
    with fenced("usage history"):
        _begin_run()


def _begin_run() -> None:
    with _state.lock:
        if _state.begun:
            return
        _state.begun = True
        if _state.warming is None:
            _state.warming = os.environ.get(WARM_ENV, "1").strip().lower() not in (
                "0",
                "false",
                "no",
            )
    if not _history.history_enabled():
        return
    _process.ensure_run_id()
    store = _history.HistoryStore()
    _state.store = store
    history = store.load()
    # Every flush records when this process started, which psutil finds by
    # reading /proc through open: asked now, before the first test can have
    # patched open or hidden psutil, and kept.
    _process.identity()
    series = {name: history.series(name) for name in history.services()}
    if series:
        _predict_from(series)
    atexit.register(end_run)
    if _state.warming and _state.priorities:
        ranked = sorted(_state.priorities.items(), key=lambda item: (-item[1], item[0]))
        targets = [name for name, value in ranked if value > 0]
        _state.warmer = Warmer(
            targets, spec_pools.spec_pool_for, spec_pools.existing_spec_pool
        )


def _predict_from(series: dict[str, list[float]]) -> None:
    """Set the run's priorities and predictions from the usage *series*."""
    # Imported here, when there is a history to predict from (the first
    # run has none): start-up cost.
    from mockpool._learning import predict as _predict

    try:
        predictions, priorities = _predict.forecasts_and_priorities(series)
        _state.predictions, _state.priorities = predictions, priorities
    except (TypeError, ValueError) as exc:  # a history the predictor refuses
        warnings.warn(
            MockPoolWarning(f"mockpool: usage history not used for prediction: {exc}"),
            stacklevel=3,
        )
        _state.priorities = {}
        _state.predictions = {}


def before_first_test() -> bool:
    """Fill the predicted pools now, in the test thread, then keep them full.

    Once per process; returns whether that is done (then a caller may stop
    calling: every later call would do nothing). Registered services are
    warmed per their policy's warming level: ``"critical"`` always,
    ``"high"`` when the history predicts any use, ``"medium"`` when it does
    so with a confidence of at least :data:`MEDIUM_CONFIDENCE`, ``"none"``
    never. Classes the suite autospecs without registering them are warmed
    as ``"high"`` by the :class:`~mockpool._learning.warming.Warmer`, whose
    thread then tops them up.
    """
    if _state.warmed_up or not _state.begun:
        return _state.warmed_up
    with fenced("warming"):
        _warm_up()
    return _state.warmed_up


def _warm_up() -> None:
    _state.warmed_up = True
    if not _state.warming:
        return
    _warm_registered()
    warmer = _state.warmer
    if warmer is not None:
        warmer.warm_up(WARM_UP_BUDGET)
        warmer.start()


#: The confidence a ``"medium"`` service's forecast needs to be warmed.
MEDIUM_CONFIDENCE = 0.5


def _wanted(level: str, name: str) -> bool:
    """Whether a service of warming *level* is warmed this run."""
    if level == "critical":
        return True
    prediction = _state.predictions.get(name)
    if level == "none" or prediction is None or prediction.expected <= 0:
        return False
    return level == "high" or prediction.confidence >= MEDIUM_CONFIDENCE


def _warm_registered() -> None:
    for name in default_registry.names():
        if not _wanted(default_registry.get(name).policy.warming, name):
            continue
        try:
            _pool.default_pools.pool_for(default_registry, name).warm()
        except Exception as exc:  # the first acquisition will report it
            warnings.warn(
                MockPoolWarning(f"mockpool: could not warm {name!r}: {exc}"),
                stacklevel=3,
            )


def note_session_end() -> None:
    """A session or test ended: write the history if it is due."""
    store = _state.store
    if store is None:
        return
    now = _monotonic()
    if now - _state.last_flush < FLUSH_INTERVAL:
        return
    _state.last_flush = now
    with fenced("usage history"):
        store.flush()


def end_run() -> None:
    """Stop warming and write this process's history (at exit)."""
    with fenced("usage history"):
        warmer, _state.warmer = _state.warmer, None
        if warmer is not None:
            warmer.stop(timeout=1.0)
        store = _state.store
        if store is not None:
            store.flush()


def _reinit_after_fork() -> None:
    # A forked worker keeps the parent's predictions (the same run) but not
    # its warmer thread, which does not exist in the child.
    _state.lock = threading.Lock()
    warmer = _state.warmer
    if warmer is not None:
        # Started by the child's first test, not here: no thread is
        # started from inside a fork handler.
        _state.warmer = Warmer(
            warmer.targets, spec_pools.spec_pool_for, spec_pools.existing_spec_pool
        )
    _state.warmed_up = False
    _state.last_flush = 0.0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)
