"""Drop-in per-test sessions: what ``install()`` adds around every test.

While :func:`enable` is in effect, every :meth:`unittest.TestCase.run` --
whatever runner calls it: ``python -m mockpool run``, stestr,
unittest-parallel, pytest -- runs inside a :class:`TestScope`:

* a :class:`~mockpool.MockSession` named after the test is current for the
  whole test (setUp, the test, tearDown and cleanups) -- unless the test
  runs in a session of its own already (a mockpool decorator or mixin);
* ``create_autospec(cls, instance=True)`` (direct, with no other arguments)
  is served from a pool of pristine instance mocks of ``cls``, and the mock
  goes back to the pool when the test ends (unless the test let go of it:
  the scope holds it weakly, so it is freed as a stdlib build would be;
  what it recorded is dropped when the next test opens). It is handed out
  again only if
  it proves pristine (contract 2): nothing outside holds it, and it is
  restored to exactly what a fresh build is. Anything else the suite
  autospecs is built fresh, by the lazy autospec;
* every patch started during the test is remembered, and when the test ends
  the leak check makes sure each target holds its original again (by
  identity) and that no mock was left assigned in the modules and classes
  the test module uses.

Mocks built outside any test -- at import, in ``setUpClass`` or
``setUpModule`` -- belong to that scope, not to a test: they are never
pooled, so nothing the class or module keeps is ever recycled.

The current scope is per thread, not per context: ``IsolatedAsyncioTestCase``
runs its test in a context copied when the test was created, and its mocks
should still count. Threads a test starts see no scope and get fresh builds.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import warnings

# Bound at import: a test, or its class, may patch one of these builtins,
# and the per-test bookkeeping runs while such a patch is in place -- it
# must neither call the mock nor add to its calls.
from builtins import any, getattr, id, isinstance, len, range, repr, set  # noqa: UP029
from collections.abc import Iterator

# The clock bound at import: a test that patches time.perf_counter (with a
# finite side_effect, say) must not see mockpool's bookkeeping read it.
from time import perf_counter as _perf_counter
from types import FunctionType, MethodType
from typing import Any
from unittest import TestCase, mock
from unittest import case as unittest_case

from mockpool._autospec import introspect as _introspect
from mockpool._autospec import lazy as _autospec
from mockpool._autospec import plain as _plain
from mockpool._base import events
from mockpool._base import fence as _fence
from mockpool._base import stdlib as _stdlib
from mockpool._integration import leak_check
from mockpool._learning import lifecycle as _learning
from mockpool._pools import adapt as _adapt
from mockpool._pools.pool import Lease
from mockpool._pools.spec_pools import SpecPool, class_spec_pool, spec_pool
from mockpool._reporting import worker_files as _worker_files
from mockpool._sessions.session import MockSession, promise_sessions
from mockpool.errors import LeakWarning

__all__ = [
    "TestScope",
    "create_autospec",
    "current_scope",
    "disable",
    "enable",
    "fails_on_leak",
    "settle_plain_counts",
]


class _ThreadState:
    """What the drop-in keeps per thread (one object: reading a
    ``threading.local`` costs several times a plain attribute, and every
    test reads this)."""

    __slots__ = ("named", "returned", "scope")

    def __init__(self) -> None:
        #: The scope of the test running on this thread, while it runs.
        self.scope: TestScope | None = None
        #: The scope that names the test in warnings (_name_current_test):
        #: from the start of its open() to the end of its close(), a little
        #: longer than it is the current scope.
        self.named: TestScope | None = None
        #: Pools the last scope on this thread gave mocks back to, settled
        #: (restored) when the next scope opens.
        self.returned: tuple[SpecPool, ...] = ()


class _Settings(threading.local):
    def __init__(self) -> None:
        self.state = _ThreadState()


_local = _Settings()
_lock = threading.Lock()
_enabled = 0
# Whether the run's warming is over (lifecycle.before_first_test): until
# then, every scope that opens asks for it.
_warming_done = False
# When (perf_counter) a test's end next tells the run lifecycle it may write
# the usage history (lifecycle.note_session_end, which writes it at most
# every FLUSH_INTERVAL): asked at most as often here, a call and a clock
# read fewer on most tests (3.9: 4,600 instructions a test).
_next_history_note = -math.inf
# The plain mocks built since the run report last took them, by kind (see
# _close and settle_plain_counts).
_PLAIN_COUNTED = _plain.COUNTED
_PLAIN_COUNTED_STOCK = _plain.COUNTED_STOCK
#: How many mocks of unittest.mock's own classes are counted before the run
#: report takes them (at a test's end): taking them after every test cost
#: more than a third of what a Mock() saves (3.13), and nothing of a test's
#: is kept by them meanwhile.
SETTLE_STOCK_AFTER = 512
_fail_on_leak = False
_original_run: Any = None
_original_call: Any = None
_original_patch_enter: Any = None
_original_patch_dict: Any = None


def current_scope() -> TestScope | None:
    """The scope of the test running on this thread, if any."""
    return _local.state.scope


def fails_on_leak() -> bool:
    """Whether leaks fail tests (``enable(fail_on_leak=True)`` is in effect)."""
    return _fail_on_leak


def _spec_name(spec: Any) -> str:
    target = spec if isinstance(spec, (type, FunctionType)) else type(spec)
    module = getattr(target, "__module__", None) or "?"
    return f"{module}.{getattr(target, '__qualname__', repr(target))}"


def create_autospec(
    spec: Any,
    spec_set: Any = False,
    instance: bool = False,
    _parent: Any = None,
    _name: Any = None,
    *,
    unsafe: bool = False,
    **kwargs: Any,
) -> Any:
    """:func:`mockpool.create_autospec`, pooled inside a test.

    Inside a :class:`TestScope`, a plain ``create_autospec(cls,
    instance=True)`` (optionally ``spec_set=True``/``False``) is served from
    the class's pool, and -- if class pools are on
    (:data:`~mockpool._pools.spec_pools.CLASS_POOLS`) -- a class mock,
    ``create_autospec(cls)``, also with a ``str`` ``_name`` as ``patch(...,
    autospec=True)`` passes it, from the pool of (class, spec_set, name);
    every other call is built. Top-level calls are counted in the run report
    (the children the stdlib autospecs lazily are not).
    """
    scope = _local.state.scope
    if _parent is not None:
        return _autospec.create_autospec(
            spec, spec_set, instance, _parent, _name, unsafe=unsafe, **kwargs
        )
    if (
        scope is not None
        and type(spec_set) is bool
        and not unsafe
        and not kwargs
        and _introspect.supports(spec)
        # A fixture's own mock classes: only the stdlib builds with them.
        and _stdlib.stock_classes()
    ):
        pool: SpecPool | None = None
        if instance is True and _name is None:
            pool = spec_pool(spec, spec_set)
        elif instance is False and (_name is None or type(_name) is str):
            pool = class_spec_pool(spec, spec_set, _name)
        if pool is not None:
            return scope.acquire(pool)
    started = _perf_counter()
    built = _autospec.create_autospec(
        spec, spec_set, instance, _parent, _name, unsafe=unsafe, **kwargs
    )
    with _fence.fenced("run report"):
        _worker_files.process_report().record_acquire(
            _spec_name(spec),
            hit=False,
            build_seconds=_perf_counter() - started,
            autospec=(spec, spec_set, instance),
        )
    return built


# -- the scope of one test ----------------------------------------------------


class _Activity:
    """What a test did through the drop-in beyond running: its pooled
    mocks, patches, session and leak check.

    Made when the test first does any of it (:meth:`TestScope._more`):
    most tests pool nothing, patch little and open no session, and a scope
    without one is ended by a few reads (see :meth:`TestScope.finish`).
    """

    __slots__ = (
        "checked",
        "dicts",
        "fail_on_leak",
        "leases",
        "patches",
        "pools",
        "session",
        "session_asked",
        "test_id",
    )

    def __init__(self, test_id: str | None = None, fail_on_leak: bool = False) -> None:
        #: The test's id, once asked (see TestScope.test_id).
        self.test_id = test_id
        #: Whether a leak fails the test (else it only warns).
        self.fail_on_leak = fail_on_leak
        #: The test's own session, once opened (TestScope.promised_session).
        self.session: MockSession | None = None
        #: Whether that session was asked for (it is opened once at most).
        self.session_asked = False
        #: The test's pooled mocks, held weakly (Lease.hold_weakly): a mock
        #: the test drops is freed, with what it was passed, as under the
        #: stdlib; finish() gives back those still alive. By the lease's id.
        self.leases: dict[int, Lease] | None = None
        #: The pool of each lease, by the same key; made with leases.
        self.pools: dict[int, SpecPool] | None = None
        #: (target, attribute, what the patch put in vars(target), what it
        #: will restore), per patch.
        self.patches: list[tuple[Any, str, Any, Any]] | None = None
        #: (patched dict, what it held before: see remember_dict), per
        #: patch.dict.
        self.dicts: list[tuple[Any, leak_check.Contents]] | None = None
        #: Whether the leak check ran (it runs once).
        self.checked = False


class TestScope:
    """What the drop-in opens around one test, and checks when it ends.

    Its own work -- from *started* until :meth:`open` returns, the leak
    check, and :meth:`close` -- is timed and counted in the run report as
    mockpool's (:class:`~mockpool._reporting.run_report.OwnWork`), which
    the time saved pays for.

    Args:
        test_id: The test's id (``TestCase.id()``), for reports and warnings.
        watched: Module and class namespaces to check for assigned mocks.
        fail_on_leak: Make a leak fail the test instead of only warning.
        started: When the drop-in began working on the test
            (:func:`time.perf_counter`); by default, now.
    """

    __test__ = False  # not a test case, whatever pytest thinks of the name

    # Slots, not a __dict__: every test makes a scope, and reads and sets
    # each of these (3.13: 3,800 instructions fewer per test than a dict
    # with the defaults at class level). What only some tests need is in
    # an _Activity, made when first needed.
    __slots__ = (
        "_activity",
        "_baseline",
        "_started",
        "_state",
        "_test",
        "own_seconds",
    )

    #: Seconds of the drop-in's own work for this test so far.
    own_seconds: float
    # What the test did beyond running, once it did any of it.
    _activity: _Activity | None
    # This thread's state, once open() has run.
    _state: _ThreadState | None
    # The watched namespaces as the test found them.
    _baseline: leak_check.Baseline | None
    # When the drop-in began working on the test (perf_counter).
    _started: float
    # The test, for its id and to tell it from a test it runs (held no
    # longer than the scope, which its run() drops).
    _test: TestCase | None

    def __init__(
        self,
        test_id: str | None,
        watched: list[leak_check.Watched] | None = None,
        *,
        fail_on_leak: bool = False,
        started: float | None = None,
        test: TestCase | None = None,
    ) -> None:
        self.own_seconds = 0.0
        self._state = None
        self._baseline = None
        self._started = _perf_counter() if started is None else started
        # The id is asked of the test when first needed (see test_id): most
        # tests never need it, and asking costs every one. (The test is
        # held no longer than the scope, which its run() drops.)
        self._test = test
        self._activity = (
            _Activity(test_id, fail_on_leak)
            if test_id is not None or fail_on_leak
            else None
        )
        # The watched namespaces as the test found them (values held, for
        # identity): dropped by the check, the only reader.
        try:
            self._baseline = (
                leak_check.baseline_for(type(test))
                if watched is None
                else leak_check.Baseline(watched)
            )
        except Exception as error:
            _fence.warn_failure("leak check", error, self.test_id)
            # With no baseline, every mock already there would count as
            # assigned by the test: watch nothing instead.

    def _more(self) -> _Activity:
        """The test's :class:`_Activity`, made on first use."""
        activity = self._activity
        if activity is None:
            activity = self._activity = _Activity()
        return activity

    @property
    def session(self) -> MockSession | None:
        """The test's own session, opened on first use (see
        :meth:`promised_session`); None until then, or if the test runs
        inside a session of its own (a mockpool decorator or mixin)."""
        activity = self._activity
        return None if activity is None else activity.session

    @property
    def fail_on_leak(self) -> bool:
        """Whether a leak fails the test (else it only warns)."""
        activity = self._activity
        return activity is not None and activity.fail_on_leak

    @property
    def test_id(self) -> str:
        """The test's id (``TestCase.id()``), for reports and warnings."""
        activity = self._more()
        test_id = activity.test_id
        if test_id is None:
            test = self._test
            test_id = "an unnamed test" if test is None else _test_id(test)
            activity.test_id = test_id
        return test_id

    def open(self) -> None:
        """Make this the scope of the current thread.

        The test's own session is opened only if the test asks for one
        (:meth:`promised_session`); a test that already runs in a session --
        ``@mock_services`` or :class:`~mockpool.MockSessionMixin` wrap
        ``run`` -- keeps it: that is the session it asked for. The first
        scope of the process also warms the pools the history predicts.
        """
        self._open(_local.state)

    @classmethod
    def for_test(cls, test: TestCase, state: _ThreadState, started: float) -> TestScope:
        """``TestScope(None, test=test, ...)`` opened on the thread whose
        *state* is given: what the drop-in's hook does for every test, in
        one call (see :meth:`open`)."""
        scope = _new_scope(cls)
        # Each slot set once, here rather than by __init__ (whose keyword
        # handling and defaults are for other callers); what only some
        # tests need waits in an _Activity made on first use.
        scope._test = test
        scope._started = started
        scope._state = state
        scope._activity = _Activity(None, True) if _fail_on_leak else None
        try:
            baseline = leak_check.baseline_for(type(test))
        except Exception as error:
            baseline = None
            _fence.warn_failure("leak check", error, scope.test_id)
        scope._baseline = baseline
        if _warming_done and not state.returned:
            # _open's common case, inline: nothing to warm or settle.
            state.named = state.scope = scope
            scope.own_seconds = _perf_counter() - started
            return scope
        scope.own_seconds = 0.0
        try:
            scope._open(state)
        except Exception as error:
            # A scope that fails to open leaves the test unpooled, not unrun.
            _fence.warn_failure("per-test session", error, scope.test_id)
        return scope

    def _open(self, state: _ThreadState) -> None:
        global _warming_done
        self._state = state
        state.named = self
        if not _warming_done:
            # Fenced inside: warming fails into a warning.
            _warming_done = _learning.before_first_test()
        # The previous test on this thread is over: what it passed to the
        # mocks it gave back goes now, not when the mocks are next needed.
        if state.returned:
            returned, state.returned = state.returned, ()
            for pool in returned:
                with _fence.fenced("recycling", self.test_id):
                    pool.settle()
        state.scope = self
        self.own_seconds += _perf_counter() - self._started

    def promised_session(self) -> MockSession | None:
        """The test's own session, opened when the test first asks for one
        (:func:`~mockpool.current_session` with no session open); None once
        asked (a session the test closed is not opened again), or if it
        fails to open.
        """
        activity = self._more()
        if activity.session_asked:
            return None
        activity.session_asked = True
        return self._open_session(activity)

    def _open_session(self, activity: _Activity) -> MockSession | None:
        """The test's own session, opened on first use (see
        :meth:`promised_session`).

        A session that fails to open leaves the test without one, as a
        scope that fails to open leaves it unpooled.
        """
        with _fence.fenced("per-test session", self.test_id):
            activity.session = MockSession(name=self.test_id).open()
        return activity.session

    def acquire(self, pool: SpecPool) -> Any:
        """A pristine mock from *pool*, given back when the scope closes.

        Held weakly: a mock the test lets go of is freed, with what was
        passed to it, as a stdlib build would be, and is only counted when
        the scope closes.
        """
        started = _perf_counter()
        lease = pool.acquire()
        elapsed = _perf_counter() - started
        built = lease.mock
        # From here the test's references alone keep the mock alive.
        lease.hold_weakly()
        activity = self._more()
        leases, pools = activity.leases, activity.pools
        if leases is None or pools is None:
            leases, pools = activity.leases, activity.pools = {}, {}
        # Held in the dict until close(): no other lease takes its id.
        key = id(lease)
        leases[key] = lease
        pools[key] = pool
        with _fence.fenced("run report", self.test_id):
            _worker_files.process_report().record_acquire(
                pool.name,
                hit=lease.recycled,
                build_seconds=None if lease.recycled else elapsed,
                hand_out_seconds=elapsed,
                # A pool's mocks are create_autospec(cls, instance=...)
                # mocks: the stdlib sets _spec_class and _spec_set on them.
                autospec=(built._spec_class, built._spec_set, pool.instance),
            )
        return built

    @property
    def checked(self) -> bool:
        """Whether the leak check has run (it runs once)."""
        activity = self._activity
        return activity is not None and activity.checked

    def remember_patch(
        self, target: Any, attribute: str, installed: Any, original: Any
    ) -> None:
        """Note a patch started during the test, for the leak check.

        Args:
            target: What was patched.
            attribute: Its patched attribute.
            installed: What the patch put in the target's own namespace
                (``leak_check.UNREADABLE`` if it cannot be seen there).
            original: What the patch will put back, by identity.
        """
        activity = self._more()
        if activity.patches is None:
            activity.patches = []
        activity.patches.append((target, attribute, installed, original))

    def remember_dict(self, patched: Any, before: leak_check.Contents) -> None:
        """Note a ``patch.dict`` started during the test, for the leak check.

        Args:
            patched: The container patched.
            before: What it held before the patch: a dict of its items (the
                copy ``patch.dict`` restores from), or its (key, value)
                pairs.
        """
        activity = self._more()
        if activity.dicts is None:
            activity.dicts = []
        activity.dicts.append((patched, before))

    def check_leaks(self, *, fail: bool = True) -> list[str]:
        """Find what the test left patched; warn, or fail the test on a leak.

        Runs once: failing on leaks, as the test's last cleanup (so a leak's
        failure is the test's own); else once the test's ``run()`` is over.
        Returns the descriptions of the leaks found. The check
        itself never fails a test: what it cannot read it skips, and an
        error of its own is a :class:`~mockpool.MockPoolWarning`.

        Args:
            fail: Raise on a leak when failing on leaks; false once the
                test's outcome is recorded, so a leak can only warn.
        """
        started = _perf_counter()
        try:
            return self._check_leaks(fail)
        finally:
            self.own_seconds += _perf_counter() - started

    def _check_leaks(self, fail: bool) -> list[str]:
        activity = self._more()
        if activity.checked:
            return []
        activity.checked = True
        # Taken, not read: once checked, the scope holds nothing of the
        # namespaces (a value the test removed is freed as under unittest).
        baseline, self._baseline = self._baseline, None
        leaks: list[tuple[str, str]] = []
        # A try, not a fence, on this path every test takes: same effect.
        try:
            patched = activity.patches or activity.dicts
            if not patched and (baseline is None or baseline.unmoved()):
                return []  # the common case: nothing patched, nothing moved
            if patched:
                leaks += [
                    ("patch not undone", text)
                    for text in self._unrestored_patches(activity)
                ]
            found = baseline.new_mocks() if baseline is not None else None
            if found:  # rarely: the common case is told by a few C calls
                leaks += [
                    ("mock assigned", text) for text in self._assigned(activity, found)
                ]
        except Exception as error:
            _fence.warn_failure("leak check", error, self.test_id)
        if not leaks:
            return []
        with _fence.fenced("run report", self.test_id):
            report = _worker_files.process_report()
            for kind, detail in leaks:
                report.record_leak(self.test_id, kind, detail)
        messages = [
            f"{self.test_id} leaked: {kind}: {detail}" for kind, detail in leaks
        ]
        if messages and activity.fail_on_leak and fail:
            # Outside the fences on purpose: failing on leaks, a leak is the
            # test's own failure.
            raise AssertionError("\n".join(messages))
        for message in messages:
            if fail:
                warnings.warn(LeakWarning(message), stacklevel=2)
                continue
            # Outside the test (its outcome recorded): a warning made an
            # error (-W error) must not end the run.
            try:
                warnings.warn(LeakWarning(message), stacklevel=2)
            except Exception:
                _fence.write_to_stderr(f"LeakWarning: {message}")
        return messages

    def _installed_by_patches(
        self, activity: _Activity
    ) -> dict[tuple[int, str], list[Any]]:
        """Per (id of target, attribute) patched during the test: what its
        patches installed there."""
        installed_by: dict[tuple[int, str], list[Any]] = {}
        for target, attribute, installed, _ in activity.patches or ():
            if installed is not leak_check.UNREADABLE:
                installed_by.setdefault((id(target), attribute), []).append(installed)
        return installed_by

    def _unrestored_patches(self, activity: _Activity) -> Iterator[str]:
        # A target or dict that cannot be read or described is skipped: the
        # check must not break a test that unittest runs fine.
        #
        # A patch is undone when what it installed is no longer there,
        # whatever is there instead: the test may rebind the target itself
        # around the patch (and put its own value back), and a patch that
        # cannot read the target's __dict__ restores by delattr, or by
        # setattr of what getattr gave -- which lands in the raw namespace.
        # A patch that installed what was there already (new is the
        # original) leaves nothing a leak could be told by. Each patch is
        # asked on its own, one read each: two patches of one attribute
        # stopped out of order leave the first one's value, which is its
        # leak though a later one would restore it. Values compare by
        # identity only: no code of theirs runs.
        reported: set[tuple[int, str]] = set()
        for target, attribute, installed, original in activity.patches or ():
            if installed is leak_check.UNREADABLE or installed is original:
                continue
            try:
                if leak_check.raw_attribute(target, attribute) is not installed:
                    continue
                key = (id(target), attribute)
                if key in reported:
                    continue
                reported.add(key)
                text = f"{leak_check.target_name(target)}.{attribute} still patched"
            except Exception:
                continue
            yield text
        checked: set[int] = set()
        for patched, before in activity.dicts or ():
            # Against the first patch of each dict: nested ones saw the
            # contents the outer ones had set.
            if id(patched) in checked:
                continue
            checked.add(id(patched))
            if not leak_check.holds(patched, before):
                yield f"dict {leak_check.dict_name(patched)} not restored"

    def _assigned(
        self, activity: _Activity, found: list[leak_check.Leak]
    ) -> Iterator[str]:
        """The mocks in *found* the test assigned, not its patches'."""
        installed_by = self._installed_by_patches(activity)
        for label, owner, key, value in found:
            try:
                put = installed_by.get((id(owner), key), ())
                if any(value is installed for installed in put):
                    continue  # a patch's: reported as a patch not undone
                text = f"{label}.{key} = {leak_check.short_repr(value)}"
            except Exception:  # a key that cannot be hashed or printed
                continue
            yield text

    def close(self) -> None:
        """Give the test's mocks back, close its session, flush the report."""
        self.finish(check=False)

    def finish(self, check: bool = True) -> None:
        """:meth:`check_leaks` (a leak only warns) then :meth:`close`: the
        end of a test whose outcome is recorded, timed as one piece of
        work, in one call (the clock is read per piece, and every test
        takes this path). With *check* false, only :meth:`close`.
        """
        global _next_history_note
        started = _perf_counter()
        try:
            if check:
                if self._activity is None:
                    # _check_leaks' common case -- nothing patched, nothing
                    # moved -- told here, a call fewer on every test;
                    # anything else, or an error telling it, takes
                    # _check_leaks (which warns of it).
                    baseline = self._baseline
                    try:
                        quiet = baseline is None or baseline.unmoved()
                    except Exception:
                        quiet = False
                    if quiet:
                        # Nothing of the namespaces held once checked.
                        self._baseline = None
                    else:
                        self._check_leaks(fail=False)
                else:
                    self._check_leaks(fail=False)
        finally:
            # Every test takes this path: the side systems are fenced by a
            # try each (free when nothing is raised) rather than a fence
            # object.
            state = self._state
            if state is None:  # never opened
                state = _local.state
            if state.scope is self:
                state.scope = None
            activity = self._activity
            try:
                if activity is not None:
                    activity.patches = activity.dicts = None
                    if activity.leases:
                        self._give_back(activity, state)
            finally:
                if _PLAIN_COUNTED or (
                    _PLAIN_COUNTED_STOCK
                    and len(_PLAIN_COUNTED_STOCK) >= SETTLE_STOCK_AFTER
                ):
                    try:
                        _record_plain_counts(_worker_files.process_report())
                    except Exception as error:
                        _fence.warn_failure("run report", error, self.test_id)
                try:
                    session = None if activity is None else activity.session
                    if session is not None:
                        # The drop-in's session, not one the test asked for:
                        # under plain unittest there would be nothing to close.
                        # Its close tells the run lifecycle (session_closed).
                        with _fence.fenced("per-test session", self.test_id):
                            session.close()
                    elif started >= _next_history_note:
                        # No session was opened to tell it: the test's end is
                        # when usage history is written, if due (fenced inside).
                        _next_history_note = started + _learning.FLUSH_INTERVAL
                        _learning.note_session_end()
                finally:
                    # Count the test and the drop-in's work around it (off
                    # the test's clock, its patches undone; warnings name
                    # the test, see _name_current_test); write the report
                    # file (if the run has one), with every plain mock
                    # counted so far.
                    try:
                        _worker_files.end_test(
                            self.own_seconds, started, _record_plain_counts
                        )
                    except Exception as error:
                        _fence.warn_failure("run report", error, self.test_id)
                    if state.named is self:
                        state.named = None

    def _give_back(self, activity: _Activity, state: _ThreadState) -> None:
        # The test's pooled mocks go back to their pools; a lease whose mock
        # the test let go is counted, not taken back. The pools settle them
        # when the thread's next scope opens.
        leases, pools = activity.leases, activity.pools
        if leases and pools is not None:
            returned = set(pools.values())
            for key in list(leases):
                pools.pop(key).release(leases, key)
            state.returned = (*state.returned, *returned)


def _record_plain_counts(report: Any) -> None:
    """Give *report* the plain mocks counted since it last took them."""
    if _PLAIN_COUNTED or _PLAIN_COUNTED_STOCK:
        report.record_plain_counts(_plain.take_counts())


# What for_test makes a scope with: __init__'s keyword handling and
# defaults are for other callers.
_new_scope = object.__new__


# -- hooks --------------------------------------------------------------------


def _test_id(test: TestCase) -> str:
    # unittest itself never needs id() to run a test, so a test whose id()
    # fails runs all the same; it is named by its class and method instead.
    try:
        test_id = test.id()
    except Exception:
        test_id = None
    if type(test_id) is str:
        return test_id
    method = (leak_check.namespace_of(test) or {}).get("_testMethodName", "?")
    return f"{leak_check.type_name(type(test))}.{method}"


def _run_in_scope(self: TestCase, result: Any = None) -> Any:
    return _in_scope(self, _original_run, (result,), {})


def _call_in_scope(self: TestCase, *args: Any, **kwargs: Any) -> Any:
    # Runners call a test (``test(result)``): suites, stestr, testtools.run
    # and pytest alike. Hooking the call as well as run() reaches test cases
    # whose run() replaces unittest's -- testtools, oslotest, fixtures --
    # which the run() hook alone never sees.
    if _original_call is _STOCK_CALL and type(self).run is _run_in_scope:
        # unittest's __call__ only calls self.run: if that is the drop-in's
        # hook, the original run, in the scope, is what it would reach --
        # through two fewer calls, on every test. (Asked of self.run, not
        # of self.__dict__: reading __dict__ gives the test a dict of its
        # own, which makes every attribute it reads slower.)
        # (Its type first: then __func__ and __self__ are plain reads, not
        # two getattr() calls, on every test; any other callable takes the
        # longer way, through the original __call__, to the same end.)
        run = self.run
        if (
            type(run) is MethodType
            and run.__func__ is _run_in_scope
            and run.__self__ is self
        ):
            return _in_scope(self, _original_run, args, kwargs)
    return _in_scope(self, _original_call, args, kwargs)


def _stock_call() -> Any:
    """unittest's own ``TestCase.__call__`` (``return self.run(*args,
    **kwds)`` on every supported Python), or None if what the class holds
    was written elsewhere (another tool's wrapper, which must run)."""
    call = TestCase.__dict__.get("__call__")
    code = getattr(call, "__code__", None)
    if code is None or code.co_name != "__call__":
        return None
    return call if code.co_filename == getattr(unittest_case, "__file__", "") else None


_STOCK_CALL = _stock_call()


def _in_scope(
    self: TestCase, method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    started = _perf_counter()
    state = _local.state
    outer = state.scope
    if outer is not None:
        # A test run from inside another test belongs to the outer one; so
        # does run() called by the test's own __call__ (the common case,
        # told apart first: it needs nothing done).
        if outer._test is not self:
            _drop_copied_hook(self)
        return method(self, *args, **kwargs)
    scope = TestScope.for_test(self, state, started)
    check: Any = None
    if _fail_on_leak:
        # A leak is to fail the test: the check must run inside it, as its
        # last cleanup. Otherwise it only warns, and runs once run() is over
        # -- after every cleanup too, at a fraction of the cost.
        try:
            check = _check_leaks_last(self, scope)
        except Exception as error:
            _fence.warn_failure("leak check", error, scope.test_id)
    try:
        if kwargs or len(args) != 1:
            return method(self, *args, **kwargs)
        # What runners call, test(result): without unpacking, which cost
        # as much as the rest of this function's own work (3.13).
        return method(self, args[0])
    finally:
        try:
            if check is not None and not scope.checked:
                # A skipped test never runs its cleanups, nor calls setUp:
                # take the check away.
                _withdraw_check(self, check)
        finally:
            # Leaks found now only warn: the test's outcome is recorded (a
            # run() that never called setUp, or no failing on leaks).
            scope.finish()


def _check_leaks_last(test: TestCase, scope: TestScope) -> Any:
    """Make the leak check the test's last cleanup, whatever its run().

    unittest's own run() keeps the cleanups registered before it, and runs
    them after tearDown even when setUp fails: the check is registered
    there and then, first of all cleanups, so it runs after every other and
    still as part of the test. testtools' run() starts by emptying the
    list; every TestCase family calls ``setUp`` after that, so there the
    check is registered by a one-shot ``setUp`` on the instance, which
    removes itself before running the class's own. Returns what was placed
    (the cleanup entry or the hook), or None where nothing can be placed.
    """
    namespace = leak_check.namespace_of(test)
    if type(namespace) is not dict:
        return None  # no instance dict: check when the test is over
    cleanups = namespace.get("_cleanups")
    if type(cleanups) is list and _runs_unittest_run(type(test)):
        entry: tuple[Any, ...] = (scope.check_leaks, (), {})
        cleanups.append(entry)
        return entry
    if "setUp" in namespace:
        # The test set its own setUp on the instance: check when the test
        # is over instead (warnings only).
        return None
    hook = namespace["setUp"] = _SetUpHook(test, scope)
    return hook


def _runs_unittest_run(kind: type) -> bool:
    """Whether tests of class *kind* run by unittest's own ``run()``."""
    try:
        # type's own lookup: past any __getattribute__ of a metaclass.
        return _TYPE_GETATTRIBUTE(kind, "run") is _run_in_scope
    except Exception:
        return False


_TYPE_GETATTRIBUTE = type.__getattribute__


def _withdraw_check(test: TestCase, check: Any) -> None:
    """Take the leak check placed by :func:`_check_leaks_last` away again."""
    if type(check) is _SetUpHook:
        _remove_hook(test, check)
        return
    cleanups = (leak_check.namespace_of(test) or {}).get("_cleanups")
    if type(cleanups) is list:
        # By identity: comparing entries would run the cleanups' __eq__.
        for index in range(len(cleanups) - 1, -1, -1):
            if cleanups[index] is check:
                del cleanups[index]
                break


class _SetUpHook:
    """The one-shot ``setUp`` of :func:`_check_leaks_last`.

    An object, not a closure: a closure naming itself (to remove itself)
    would be a reference cycle holding the test -- and so every mock the
    test kept -- until the garbage collector ran, which keeps pooled mocks
    from being recycled. It lets go of both once used or removed.
    """

    __slots__ = ("scope", "test")

    def __init__(self, test: TestCase, scope: TestScope) -> None:
        self.test: TestCase | None = test
        self.scope: TestScope | None = scope

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        test, scope = self.test, self.scope
        caller = _calling_test()
        if test is None or scope is None or (caller is not None and caller is not test):
            # A copy of the test, made while the hook was on it
            # (testscenarios runs one per scenario, through a run() of
            # testtools' that no hook of ours sees): the copy's own setUp.
            if caller is not None:
                _drop_copied_hook(caller)
                return caller.setUp(*args, **kwargs)
            raise RuntimeError(
                "mockpool: the drop-in's setUp hook of a finished test was "
                "called; call setUp on the test itself"
            )
        _remove_hook(test, self)
        test.addCleanup(scope.check_leaks)
        return test.setUp(*args, **kwargs)


def _calling_test() -> TestCase | None:
    """The test whose method called ``setUp`` (``self.setUp()``), if known.

    Read from the caller's frame, since an instance attribute is not bound:
    unittest's ``_callSetUp``, testtools' ``_run_setup`` or a test method.
    """
    try:
        caller = sys._getframe(2).f_locals.get("self")
        return caller if isinstance(caller, TestCase) else None
    except Exception:  # no frames to read, or a self that cannot be asked
        return None


def _drop_copied_hook(test: TestCase) -> None:
    """Take away a setUp hook *test* got by being copied from another test.

    testscenarios runs a test as copies of it (``copy.copy``, one per
    scenario), made while the original's hook is in place: a copy's setUp
    would reach the original's.
    """
    namespace = leak_check.namespace_of(test)
    if type(namespace) is not dict:
        return
    hook = namespace.get("setUp")
    if type(hook) is _SetUpHook and hook.test is not test:
        del namespace["setUp"]


def _remove_hook(test: TestCase, hook: _SetUpHook) -> None:
    namespace = leak_check.namespace_of(test)
    if type(namespace) is dict and namespace.get("setUp") is hook:
        del namespace["setUp"]
    hook.test = hook.scope = None


def _name_current_test() -> str | None:
    """The id of the test running on this thread (the fence's namer)."""
    scope = _local.state.named
    return None if scope is None else scope.test_id


def _promised_session() -> MockSession | None:
    """The session promised to the test running on this thread, if any."""
    scope = _local.state.scope
    return None if scope is None else scope.promised_session()


def _enter_patch(self: Any) -> Any:
    new = _original_patch_enter(self)
    scope = _local.state.scope
    if scope is not None:
        # The patch is in place whatever happens here: noting it for the
        # leak check must not turn its __enter__ into a failure. A try, not
        # a fence, on this path every patch takes: the same effect.
        try:
            # _installed_value's common case (not patch.multiple's), told
            # here: a call fewer on every patch.
            installed = (
                new if self.attribute_name is None else _installed_value(self, new)
            )
            if leak_check.raw_attribute(self.target, self.attribute) is not installed:
                # Kept elsewhere than in the target's own namespace (a
                # proxy's __setattr__, slots): the check cannot see it.
                installed = leak_check.UNREADABLE
            # temp_original: what __exit__ puts back (by setattr), or
            # DEFAULT if it only deletes what it installed.
            scope.remember_patch(
                self.target, self.attribute, installed, self.temp_original
            )
        except Exception as error:
            _fence.warn_failure("leak check", error, scope.test_id)
    return new


def _installed_value(patcher: Any, entered: Any) -> Any:
    """What *patcher*'s ``__enter__`` (which returned *entered*) set.

    ``__enter__`` returns it, except for ``patch.multiple``'s patchers
    (``attribute_name`` set), which return a dict that holds it only when
    they made it (``new`` is DEFAULT).
    """
    name = patcher.attribute_name
    if name is None:
        return entered
    if patcher.new is not mock.DEFAULT:
        return patcher.new
    if type(entered) is dict:
        return entered.get(name, leak_check.UNREADABLE)
    return leak_check.UNREADABLE


def _patch_dict(self: Any) -> Any:
    scope = _local.state.scope
    if scope is None:
        return _original_patch_dict(self)
    outcome = _original_patch_dict(self)
    with _fence.fenced("leak check", scope.test_id):
        # What patch.dict will restore: in_dict.copy(), or a dict of its
        # items when it has no copy(). A dict is held as it is -- patch.dict
        # makes a new one each time it starts, restores from it and never
        # changes it --, not read into pairs: cloudbase-init patches
        # sys.modules, thousands of items, in 612 of its tests. Anything
        # else is read as patch.dict reads it.
        original = getattr(self, "_original", None)
        before: leak_check.Contents | None = original
        if type(original) is not dict:
            before = None if original is None else leak_check.read_items(original)
        if before is not None:
            scope.remember_dict(self.in_dict, before)
    return outcome


def enable(*, fail_on_leak: bool = False) -> None:
    """Run every test in a :class:`TestScope` (calls nest with :func:`disable`).

    Args:
        fail_on_leak: A leak fails the test instead of only warning (once
            any enable in effect asked for it, until the last disable).
    """
    global _enabled, _fail_on_leak, _original_run, _original_call
    global _original_patch_enter, _original_patch_dict, _warming_done
    global _next_history_note
    with _lock:
        _fail_on_leak = _fail_on_leak or fail_on_leak
        _enabled += 1
        if _enabled > 1:
            return
        _warming_done = False
        _next_history_note = -math.inf
        events.run_begun.emit()
        # Made now, outside any test: making it reads MOCKPOOL_ADAPTATION
        # (whose warning must not land in a test) and finds how to read
        # memory (psutil, where needed, is imported now, before a test can
        # hide it).
        with _fence.fenced("adaptation"):
            _adapt.current_adapter()
        _original_run = TestCase.run
        _original_call = TestCase.__call__
        # unittest.mock's own patcher classes, not whatever its names hold
        # (oslotest's patch_mock_module() puts a subclass in mock._patch,
        # whose __enter__ calls this one).
        _original_patch_enter = _stdlib.Patch.__enter__
        _original_patch_dict = _stdlib.PatchDict._patch_dict
        TestCase.run = _run_in_scope  # type: ignore[method-assign]
        TestCase.__call__ = _call_in_scope  # type: ignore[method-assign]
        _stdlib.Patch.__enter__ = _enter_patch
        _stdlib.PatchDict._patch_dict = _patch_dict
        # The run report counts the plain mocks built faster, for the time
        # saved against the stdlib.
        _plain.observe(True)
        # Asked of the thread's scope when needed, not told of each test.
        _fence.name_tests_by(_name_current_test)
        promise_sessions(_promised_session)


def disable() -> None:
    """Undo one :func:`enable`; the last puts the stdlib's methods back."""
    global _enabled, _fail_on_leak
    with _lock:
        if _enabled == 0:
            return
        _enabled -= 1
        if _enabled:
            return
        _fail_on_leak = False
        # The reading kept from the last test's end: nothing more to compare.
        leak_check.release_readings()
        # Plain mocks built since the report last took them (the last few
        # hundred, or in tearDownModule) count too.
        settle_plain_counts()
        _plain.observe(False)
        _fence.name_tests_by(None)
        promise_sessions(None)
        TestCase.run = _original_run  # type: ignore[method-assign]
        TestCase.__call__ = _original_call  # type: ignore[method-assign]
        _stdlib.Patch.__enter__ = _original_patch_enter
        _stdlib.PatchDict._patch_dict = _original_patch_dict


def settle_plain_counts() -> None:
    """Give the run report every plain mock counted so far, measure the
    kinds it has not measured yet, and take more samples of the costs of
    the kinds it used (``RunReport.resample_plain_costs``).

    Tests' ends give it the counts of ``unittest.mock``'s own classes a few
    hundred at a time (:data:`SETTLE_STOCK_AFTER`); the last of them, and
    in a short run all of them, arrive here. Call it with no test running,
    before the report is read while the drop-in is enabled (:func:`disable`
    calls it).
    """
    with _fence.fenced("run report"):
        if _PLAIN_COUNTED or _PLAIN_COUNTED_STOCK:
            report = _worker_files.process_report()
            report.record_plain_counts(_plain.take_counts())
            # What a test's end would have done for them (off every clock).
            report.measure_stdlib_costs()
    # The run is over: what is left of plain kinds' part of the measuring
    # budget goes to more samples of their costs, for the next runs.
    with _fence.fenced("run report"):
        _worker_files.process_report().resample_plain_costs()


def _reinit_after_fork() -> None:
    # The child's tests start afresh: no scope of the parent's thread is
    # running in it, and pooled mocks the parent handed out are not its own.
    global _lock, _warming_done, _next_history_note
    _local.state.scope = _local.state.named = None
    _lock = threading.Lock()
    # The child warms afresh (lifecycle forgets the parent's warming), and
    # writes its own history from its first test on.
    _warming_done = False
    _next_history_note = -math.inf


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)
