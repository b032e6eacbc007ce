"""Staged recovery: what a pool does when building or configuring a mock fails.

When the normal build of a registered service's mock (or applying its
defaults to it) raises, the pool tries these stages in order, as far as the
service's recovery level allows (:class:`~mockpool.Policy`, ``recovery``):

========  ====================================================  ==========
stage     builds                                                 degraded
========  ====================================================  ==========
snapshot  the lazy autospec from the introspection recorded at   no
          the pool's last good build (the class is not read
          again); checked against that build's shape
template  the stdlib's ``create_autospec`` of the registered     no
          spec, resolved again
minimal   ``Mock(spec=cls)``: attribute names checked, not       yes
          signatures
stub      ``MagicMock()``: checks nothing                        yes
========  ====================================================  ==========

``"template"`` (the default level) allows the first two, ``"minimal"`` the
first three, ``"critical"`` all four. Each stage then applies the service's
defaults; a stage succeeds when build and defaults both do. Errors that can
pass on their own (``MemoryError``, ``OSError``) are retried once within
the stage (tenacity); any other error moves on to the next stage at once.

Every stage tried is timed and recorded with the root cause (the error of
the normal build) in :attr:`Pool.recoveries`. A degraded mock is never
served silently (contract 4): it warns (:class:`DegradedMockWarning`) and
appears in the run report -- and in strict mode (``CI`` set in the
environment, or ``MOCKPOOL_STRICT=1``; :func:`set_strict` in code) it is
not served at all: :class:`DegradedMockError` names the service, the stage
and the root cause, and the test fails. When no allowed stage succeeds,
:class:`RecoveryFailedError` says what each stage raised.

The environment is read when strict mode is first asked about, never at
import, and kept until :func:`reload_settings`; a ``MOCKPOOL_STRICT`` that
is neither ``1`` nor ``0`` warns (:class:`~mockpool.MockPoolWarning`) and
leaves the decision to ``CI``.
"""

from __future__ import annotations

import os
import threading
import warnings

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import hasattr, isinstance, sorted  # noqa: UP029

# Bound at import: recovery runs during a test, which may patch
# time.perf_counter.
from time import perf_counter as _perf_counter
from typing import Any, Callable
from unittest import mock

from mockpool._autospec import introspect as _introspect
from mockpool._autospec import lazy as _autospec
from mockpool._base import events
from mockpool._base import stdlib as _stdlib
from mockpool._base.records import fill, frozen_record
from mockpool.errors import (
    ArgumentTypeError,
    DegradedMockError,
    DegradedMockWarning,
    MockPoolWarning,
    RecoveryFailedError,
)

__all__ = [
    "STAGES",
    "RecoveryRecord",
    "is_strict",
    "recover",
    "set_strict",
]

STAGES = ("snapshot", "template", "minimal", "stub")
#: How far each recovery level may go.
_ALLOWED = {"template": 2, "minimal": 3, "critical": 4}
#: Stages whose mocks enforce less than the autospec.
DEGRADED = frozenset({"minimal", "stub"})
#: Errors worth one more try within a stage.
_TRANSIENT = (MemoryError, OSError)

#: Environment variable: ``1`` turns strict mode on, ``0`` off; unset, ``CI``
#: decides. Read when strict mode is first asked about, never at import.
STRICT_ENV = "MOCKPOOL_STRICT"
_ON_VALUES = frozenset({"1", "true", "yes", "on"})
_OFF_VALUES = frozenset({"0", "false", "no", "off"})
# What set_strict() said; None follows the environment.
_strict: bool | None = None
# What the environment said, once read; None until strict mode is asked about.
_environment_strict: bool | None = None
_environment_lock = threading.Lock()


def is_strict() -> bool:
    """Whether degraded mocks fail instead of warning.

    Set in code by :func:`set_strict`; otherwise on when ``MOCKPOOL_STRICT``
    is ``1`` (``0`` turns it off) or, failing that, when ``CI`` is set. The
    environment is read at the first call and kept (see
    :func:`reload_settings`); a ``MOCKPOOL_STRICT`` that is neither warns
    (:class:`~mockpool.MockPoolWarning`) and ``CI`` decides.
    """
    if _strict is not None:
        return _strict
    cached = _environment_strict
    if cached is None:
        cached = _read_environment()
    return cached


def _read_environment() -> bool:
    global _environment_strict
    with _environment_lock:
        if _environment_strict is not None:  # another thread read it first
            return _environment_strict
        setting = os.environ.get(STRICT_ENV, "")
        value = setting.strip().lower()
        message = None
        if value in _ON_VALUES:
            strict = True
        elif value in _OFF_VALUES:
            strict = False
        else:
            strict = bool(os.environ.get("CI"))
            if value:
                # A guest in the user's suite: a bad switch is reported, and
                # the run goes on as if it were unset, never fails.
                message = (
                    f"{STRICT_ENV}={setting!r} is neither on nor off; set it to 1 "
                    "(strict) or 0 (not strict), or unset it to let CI decide. "
                    f"Strict mode follows CI meanwhile: {'on' if strict else 'off'}"
                )
        _environment_strict = strict
    if message is not None:
        warnings.warn(MockPoolWarning(message), stacklevel=4)
    return strict


def reload_settings() -> None:
    """Forget what the environment said; the next :func:`is_strict` reads it.

    For tests, and for code that changes ``MOCKPOOL_STRICT`` or ``CI``
    mid-process. What :func:`set_strict` said is kept.
    """
    global _environment_strict
    with _environment_lock:
        _environment_strict = None


def _reinit_after_fork() -> None:
    # The lock may have been held by a thread that does not exist in the child.
    global _environment_lock
    _environment_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)


def set_strict(enabled: bool | None) -> None:
    """Turn strict mode on or off in code; ``None`` goes back to the environment.

    The environment is read once, at the first :func:`is_strict` that
    consults it (see :func:`reload_settings`).
    """
    global _strict
    if enabled is not None and not isinstance(enabled, bool):
        raise ArgumentTypeError(
            f"strict must be True, False or None, not {enabled!r}; None goes back "
            "to the environment (CI, MOCKPOOL_STRICT)"
        )
    _strict = enabled


@frozen_record
class RecoveryRecord:
    """One stage tried for one service."""

    #: The service.
    service: str
    #: ``"snapshot"``, ``"template"``, ``"minimal"`` or ``"stub"``.
    stage: str
    #: Whether the stage produced a configured mock.
    succeeded: bool
    #: How long the stage took.
    seconds: float
    #: The error of the normal build that started recovery.
    root_cause: str
    #: What the stage itself raised, if it failed.
    error: str | None = None

    def __init__(
        self,
        service: str,
        stage: str,
        succeeded: bool,
        seconds: float,
        root_cause: str,
        error: str | None = None,
    ) -> None:
        fill(self, locals())


def recover(pool: Any, definition: Any, root: BaseException) -> tuple[Any, str]:
    """Build a configured mock for *pool* after the normal build raised *root*.

    Returns:
        ``(mock, stage)``.

    Raises:
        DegradedMockError: Strict mode, and only a degraded stage worked.
        RecoveryFailedError: No stage the service's level allows worked.
    """
    allowed = STAGES[: _ALLOWED.get(definition.policy.recovery, 2)]
    cause = f"{type(root).__name__}: {root}"
    failures: list[str] = []
    for stage in allowed:
        started = _perf_counter()
        try:
            built = _retrying(_BUILDERS[stage], pool, definition)
        except Exception as exc:
            pool.recoveries.append(
                RecoveryRecord(
                    pool.name,
                    stage,
                    False,
                    _perf_counter() - started,
                    cause,
                    f"{type(exc).__name__}: {exc}",
                )
            )
            failures.append(f"{stage}: {type(exc).__name__}: {exc}")
            continue
        pool.recoveries.append(
            RecoveryRecord(pool.name, stage, True, _perf_counter() - started, cause)
        )
        if stage in DEGRADED:
            _degraded(pool.name, stage, cause, root)
        return built, stage
    raise RecoveryFailedError(
        f"service {pool.name!r}: building its mock failed ({cause}) and so did "
        f"every recovery stage its policy allows (recovery="
        f"{definition.policy.recovery!r}): {'; '.join(failures)}. Fix the cause, "
        "or allow deeper stages with policy={'recovery': 'minimal'} or 'critical'"
    ) from root


def _degraded(service: str, stage: str, cause: str, root: BaseException) -> None:
    message = (
        f"service {service!r} is served by the {stage!r} recovery stage, which "
        f"checks less than its autospec; root cause: {cause}"
    )
    if is_strict():
        raise DegradedMockError(
            f"{message}. Strict mode (CI or MOCKPOOL_STRICT=1) refuses degraded "
            "mocks: fix the cause, or turn strict mode off"
        ) from root
    events.degraded.emit(service, stage_variant(stage))
    warnings.warn(DegradedMockWarning(message), stacklevel=4)


def stage_variant(stage: str) -> str:
    """The :class:`~mockpool.Variant` value a stage's mock corresponds to."""
    return {"minimal": "minimal", "stub": "stub"}.get(stage, "autospec")


def _transient(error: BaseException) -> bool:
    # Also through a wrapper: apply_defaults reports a configurator's
    # MemoryError as InvalidDefaultsError, from the MemoryError.
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, _TRANSIENT):
            return True
        current = current.__cause__
    return False


def _retrying(build: Callable[[Any, Any], Any], pool: Any, definition: Any) -> Any:
    # Imported here, not with mockpool: tenacity (with the datetime and
    # asyncio support it loads) costs more to import than most suites ever
    # spend recovering.
    import tenacity

    for attempt in tenacity.Retrying(
        retry=tenacity.retry_if_exception(_transient),
        stop=tenacity.stop_after_attempt(2),
        wait=tenacity.wait_none(),
        reraise=True,
    ):
        with attempt:
            built = build(pool, definition)
            definition.apply_defaults(built)
            return built
    raise AssertionError("unreachable: tenacity re-raises")  # pragma: no cover


def _from_snapshot(pool: Any, definition: Any) -> Any:
    spec, shape = pool.last_good
    if spec is None:
        raise LookupError("no earlier build of this service to take a snapshot from")
    info = _introspect.cached(spec)
    if info is None:
        raise LookupError(f"the introspection of {spec!r} is no longer cached")
    if definition.instance:
        built = _autospec.build_instance(info, definition.spec_set)
    else:
        built = _autospec.build_class(info, definition.spec_set)
    if _shape(built) != shape:
        raise ValueError(
            "the snapshot's mock does not have the shape of the last good build"
        )
    return built


def _from_template(pool: Any, definition: Any) -> Any:
    return _stdlib.create_autospec(
        definition.resolve_spec(),
        spec_set=definition.spec_set,
        instance=definition.instance,
    )


def _minimal(pool: Any, definition: Any) -> Any:
    spec = pool.last_good[0]
    if spec is None:
        spec = definition.resolve_spec()
    keyword = "spec_set" if definition.spec_set else "spec"
    return mock.Mock(**{keyword: spec})


def _stub(pool: Any, definition: Any) -> Any:
    return mock.MagicMock()


_BUILDERS: dict[str, Callable[[Any, Any], Any]] = {
    "snapshot": _from_snapshot,
    "template": _from_template,
    "minimal": _minimal,
    "stub": _stub,
}


def shape(built: Any) -> tuple[Any, ...]:
    """What a snapshot's mock must share with the last good build."""
    return _shape(built)


def _shape(built: Any) -> tuple[Any, ...]:
    state = built.__dict__
    return (
        type(built).__mro__[1],
        state.get("_spec_class"),
        tuple(sorted(state.get("_mock_children", {}))),
        tuple(state.get("_mock_methods") or ()),
    )
