"""Drop-in per-test sessions: what ``install()`` adds around every test.

While :func:`enable` is in effect, every :meth:`unittest.TestCase.run` --
whatever runner calls it: ``python -m mockpool run``, stestr,
unittest-parallel, pytest -- runs inside a :class:`TestScope`:

* a :class:`~mockpool.MockSession` named after the test is current for the
  whole test (setUp, the test, tearDown and cleanups) -- unless the test
  runs in a session of its own already (a mockpool decorator or mixin);
* ``create_autospec(cls, instance=True)`` (direct, with no other arguments)
  is served from a pool of pristine instance mocks of ``cls``, and the mock
  goes back to the pool when the test ends. It is handed out again only if
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

import inspect
import itertools
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from types import FunctionType, ModuleType
from typing import Any
from unittest import TestCase, mock

import cachetools

from mockpool import _autospec, _introspect, _learning, _worker_files
from mockpool._exceptions import LeakWarning
from mockpool._factory import Variant
from mockpool._pool import DEFAULT_MAX_SIZE, Lease, Pool
from mockpool._priority_cache import PriorityCache
from mockpool._registry import ServiceDefinition
from mockpool._session import MockSession, current_session

__all__ = [
    "SpecPool",
    "TestScope",
    "create_autospec",
    "current_scope",
    "disable",
    "enable",
    "strict",
    "watched_namespaces",
]

_MISSING = object()
#: A namespace the leak check watches: (label, owner, the owner's __dict__).
Watched = tuple[str, Any, Any]
#: How many distinct (class, spec_set) pools are kept; the least recently
#: used is dropped (and its idle mocks with it) beyond that.
SPEC_POOLS = 512


class _Settings(threading.local):
    scope: TestScope | None = None


_local = _Settings()
_lock = threading.Lock()
_enabled = 0
_strict = False
_original_run: Any = None
_original_patch_enter: Any = None
_original_patch_dict: Any = None


def current_scope() -> TestScope | None:
    """The scope of the test running on this thread, if any."""
    return _local.scope


def strict() -> bool:
    """Whether leaks fail tests (``enable(strict=True)`` is in effect)."""
    return _strict


# -- pools of anonymous instance autospecs ------------------------------------


class SpecPool(Pool):
    """Pristine ``create_autospec(cls, instance=True)`` mocks of one class.

    A :class:`~mockpool._pool.Pool` whose recipe is the class itself rather
    than a registered service. It is keyed by the class's *introspection*:
    when the class changes (a test patches one of its methods), introspection
    is redone, the key differs, and mocks of the class as it was are never
    handed out for the class as it is.
    """

    def __init__(self, info: _introspect.ClassInfo, spec_set: bool) -> None:
        spec = info.spec
        name = f"{spec.__module__}.{spec.__qualname__}"
        # Not Pool.__init__: there is no registry behind this pool.
        self.name = name
        self.min_size = 0
        self.max_size = DEFAULT_MAX_SIZE
        self.variant = Variant.LAZY
        self._info = info
        self._recipe = ServiceDefinition(
            name=name, spec=spec, instance=True, spec_set=spec_set
        )
        self._init_state()

    def _definition(self) -> ServiceDefinition:
        return self._recipe

    def _make(self, definition: ServiceDefinition) -> Any:
        # From this pool's own introspection, not the class as it is now:
        # a build (by a warmer, say) while a test patches the class must
        # still be a mock of the class this pool's key stands for.
        return _autospec.build_instance(self._info, self._recipe.spec_set)

    def _recovered(self, definition: ServiceDefinition, error: Exception) -> Lease:
        # create_autospec fails exactly as the stdlib's does: no recovery.
        raise error

    def _discard(self, reason: str) -> None:
        super()._discard(reason)
        _worker_files.process_report().record_discard(reason)


def _pool_priority(key: tuple[Any, bool]) -> float:
    spec = key[0].spec
    return _learning.priority(f"{spec.__module__}.{spec.__qualname__}")


# When full, the pool of the class predicted least likely to be needed
# goes first (least recently used among equals).
_spec_pools: PriorityCache[tuple[Any, bool], SpecPool] = PriorityCache(
    SPEC_POOLS, priority=_pool_priority
)


def _spec_pool(spec: type, spec_set: bool) -> SpecPool | None:
    info = _introspect.introspect(spec)
    if _introspect.cached(spec) is not info:
        return None  # introspection not cached (not static): no stable key
    key = (info, spec_set)
    with _lock:
        pool = _spec_pools.get(key)
        if pool is None:
            pool = _spec_pools[key] = SpecPool(info, spec_set)
        return pool


def spec_pool_for(spec: type) -> SpecPool | None:
    """The pool of ``create_autospec(spec, instance=True)`` mocks, if poolable.

    Introspects *spec* (call from the thread that runs the tests).
    """
    if not _introspect.supports(spec):
        return None
    return _spec_pool(spec, False)


def existing_spec_pool(spec: type) -> SpecPool | None:
    """The pool of *spec* as last introspected, without introspecting it."""
    info = _introspect.cached(spec)
    if info is None:
        return None
    with _lock:
        return _spec_pools.get((info, False))


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
    the class's pool; every other call is built. Top-level calls are counted
    in the run report (the children the stdlib autospecs lazily are not).
    """
    scope = _local.scope
    if _parent is not None:
        return _autospec.create_autospec(
            spec, spec_set, instance, _parent, _name, unsafe=unsafe, **kwargs
        )
    if (
        scope is not None
        and instance is True
        and type(spec_set) is bool
        and _name is None
        and not unsafe
        and not kwargs
        and _introspect.supports(spec)
    ):
        pool = _spec_pool(spec, spec_set)
        if pool is not None:
            return scope.acquire(pool)
    started = time.perf_counter()
    built = _autospec.create_autospec(
        spec, spec_set, instance, _parent, _name, unsafe=unsafe, **kwargs
    )
    _worker_files.process_report().record_request(
        _spec_name(spec), hit=False, build_seconds=time.perf_counter() - started
    )
    return built


# -- the scope of one test ----------------------------------------------------


class TestScope:
    """What the drop-in opens around one test, and checks when it ends.

    Args:
        test_id: The test's id (``TestCase.id()``), for reports and warnings.
        watched: Module and class namespaces to check for assigned mocks.
        strict: Make a leak fail the test instead of only warning.
    """

    __test__ = False  # not a test case, whatever pytest thinks of the name

    def __init__(
        self, test_id: str, watched: list[Watched], *, strict: bool = False
    ) -> None:
        self.test_id = test_id
        self.strict = strict
        #: The test's own session; None while closed, or if the test runs
        #: inside a session of its own (a mockpool decorator or mixin).
        self.session: MockSession | None = None
        self._watched = watched
        self._leases: dict[int, Lease] = {}
        self._pools: dict[int, SpecPool] = {}
        self._numbers = itertools.count()
        # (target, attribute, what vars(target)[attribute] was), per patch.
        self._patches: list[tuple[Any, str, Any]] = []
        # (patched dict, its items before), per patch.dict.
        self._dicts: list[tuple[Any, list[tuple[Any, Any]]]] = []
        self._mocks_before = _assigned_mocks(watched)
        self._checked = False

    def open(self) -> None:
        """Make this the scope of the current thread, and its session current.

        A test that already runs in a session -- ``@mock_services`` or
        :class:`~mockpool.MockSessionMixin` wrap ``run`` -- keeps it: that is
        the session it asked for, and nesting an empty one inside would hide
        it from :func:`~mockpool.current_session`. The first scope of the
        process also warms the pools the history predicts.
        """
        _learning.before_first_test()
        if current_session() is None:
            self.session = MockSession(name=self.test_id).open()
        _local.scope = self

    def acquire(self, pool: SpecPool) -> Any:
        """A pristine mock from *pool*, given back when the scope closes."""
        started = time.perf_counter()
        lease = pool.acquire()
        elapsed = time.perf_counter() - started
        key = next(self._numbers)
        self._leases[key] = lease
        self._pools[key] = pool
        _worker_files.process_report().record_request(
            pool.name,
            hit=lease.recycled,
            build_seconds=None if lease.recycled else elapsed,
        )
        return lease.mock

    def remember_patch(self, target: Any, attribute: str, original: Any) -> None:
        """Note a patch started during the test, for the leak check."""
        self._patches.append((target, attribute, original))

    def remember_dict(self, patched: Any, items: list[tuple[Any, Any]]) -> None:
        """Note a ``patch.dict`` started during the test, for the leak check."""
        self._dicts.append((patched, items))

    def check_leaks(self) -> list[str]:
        """Find what the test left patched; warn, or fail the test if strict.

        Runs once, as the test's last cleanup (so a strict failure is the
        test's own). Returns the descriptions of the leaks found.
        """
        if self._checked:
            return []
        self._checked = True
        leaks = [("patch not undone", text) for text in self._unrestored_patches()]
        leaks += [("mock assigned", text) for text in self._new_assignments()]
        report = _worker_files.process_report()
        for kind, detail in leaks:
            report.record_leak(self.test_id, kind, detail)
        messages = [
            f"{self.test_id} leaked: {kind}: {detail}" for kind, detail in leaks
        ]
        if messages and self.strict:
            raise AssertionError("\n".join(messages))
        for message in messages:
            warnings.warn(LeakWarning(message), stacklevel=2)
        return messages

    def _unrestored_patches(self) -> Iterator[str]:
        seen: set[tuple[int, str]] = set()
        for target, attribute, original in self._patches:
            # The first patch of a target saw its true original.
            if (id(target), attribute) in seen:
                continue
            seen.add((id(target), attribute))
            if _raw_attribute(target, attribute) is not original:
                yield f"{_describe(target)}.{attribute} still patched"
        checked: set[int] = set()
        for patched, items in self._dicts:
            # Against the first patch of each dict: nested ones saw the
            # contents the outer ones had set.
            if id(patched) in checked:
                continue
            checked.add(id(patched))
            if not _holds(patched, items):
                yield f"dict {_describe_dict(patched)} not restored"

    def _new_assignments(self) -> Iterator[str]:
        patched = {(id(target), attribute) for target, attribute, _ in self._patches}
        before = self._mocks_before
        for (label, owner, key), value in _assigned_mocks(self._watched).items():
            if before.get((label, owner, key)) is value:
                continue
            if (owner, key) in patched:
                continue  # reported as a patch not undone, if it is one
            yield f"{label}.{key} = {_short_repr(value)}"

    def close(self) -> None:
        """Give the test's mocks back, close its session, flush the report."""
        if _local.scope is self:
            _local.scope = None
        try:
            for key in list(self._leases):
                self._pools.pop(key).release(self._leases, key)
        finally:
            self._patches.clear()
            self._dicts.clear()
            report = _worker_files.process_report()
            report.record_test()
            try:
                if self.session is not None:
                    self.session.close()
            finally:
                _worker_files.flush()
                _learning.note_session_end()


# -- finding leaks ------------------------------------------------------------


def _raw_attribute(target: Any, attribute: str) -> Any:
    namespace = _namespace_of(target)
    if namespace is None:
        return inspect.getattr_static(target, attribute, _MISSING)
    return namespace.get(attribute, _MISSING)


def _namespace_of(target: Any) -> Any:
    try:
        return object.__getattribute__(target, "__dict__")
    except AttributeError:
        return None


def _holds(patched: Any, items: list[tuple[Any, Any]]) -> bool:
    """Whether the mapping *patched* holds exactly *items* again."""
    now = dict(patched.items())
    if len(now) != len(items):
        return False
    for key, value in items:
        current = now.get(key, _MISSING)
        if current is value:
            continue
        # os.environ decodes a new str on every read: equal, not identical.
        try:
            if type(current) is type(value) and current == value:
                continue
        except Exception:  # an __eq__ that raises is no proof of equality
            pass
        return False
    return True


def _describe(target: Any) -> str:
    if isinstance(target, ModuleType):
        return target.__name__
    if isinstance(target, type):
        return f"{target.__module__}.{target.__qualname__}"
    return f"<{type(target).__qualname__} object>"


def _describe_dict(patched: Any) -> str:
    if patched is os.environ:
        return "os.environ"
    return f"<{type(patched).__qualname__} of {len(patched)} items>"


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_mock(value: Any) -> bool:
    if isinstance(value, mock.NonCallableMock):
        return True
    # create_autospec(function) returns a real function carrying its mock.
    return type(value) is FunctionType and isinstance(
        value.__dict__.get("mock"), mock.NonCallableMock
    )


def _assigned_mocks(watched: Iterable[Watched]) -> dict[tuple[str, int, str], Any]:
    """Every mock found in *watched*, by (label, id of its owner, name)."""
    found: dict[tuple[str, int, str], Any] = {}
    for label, owner, namespace in watched:
        for key, value in list(namespace.items()):
            if _is_mock(value):
                found[(label, id(owner), key)] = value
    return found


_stdlib_prefixes: tuple[str, ...] = tuple(
    {os.path.dirname(os.__file__), os.path.dirname(inspect.__file__)}
)
_watch_cache: cachetools.LRUCache[str, list[Watched]] = cachetools.LRUCache(maxsize=256)


def _user_module(module: Any) -> bool:
    if not isinstance(module, ModuleType):
        return False
    name = module.__name__
    if name == "mockpool" or name.startswith(("mockpool.", "unittest")):
        return name.startswith("mockpool._demo")
    path = getattr(module, "__file__", None)
    if not path:
        return False
    return not path.startswith(_stdlib_prefixes) or "site-packages" in path


def watched_namespaces(module_name: str) -> list[Watched]:
    """The module and class namespaces a test's leaks would land in.

    The test's module (*module_name*), the modules it imports or imports
    from, and the classes defined in those -- not the standard library.
    Computed once per test module (and again if the module gains names).
    """
    module = sys.modules.get(module_name)
    if module is None:
        return []
    key = f"{module_name}:{len(module.__dict__)}"
    with _lock:
        cached = _watch_cache.get(key)
    if cached is not None:
        return cached
    modules: dict[str, ModuleType] = {module_name: module}
    for value in list(vars(module).values()):
        owner = value if isinstance(value, ModuleType) else None
        if owner is None:
            owner = sys.modules.get(getattr(value, "__module__", None) or "")
        if owner is not None and _user_module(owner):
            modules.setdefault(owner.__name__, owner)
    watched: list[Watched] = []
    for name, owner in modules.items():
        watched.append((name, owner, owner.__dict__))
        for value in list(vars(owner).values()):
            if isinstance(value, type) and value.__module__ == name:
                label = f"{name}.{value.__qualname__}"
                watched.append((label, value, value.__dict__))
    with _lock:
        _watch_cache[key] = watched
    return watched


# -- hooks --------------------------------------------------------------------


def _run_in_scope(self: TestCase, result: Any = None) -> Any:
    if _local.scope is not None:
        # A test run from inside another test belongs to the outer one.
        return _original_run(self, result)
    scope = TestScope(
        self.id(), watched_namespaces(type(self).__module__), strict=_strict
    )
    scope.open()
    try:
        # Registered first, so it runs last: after tearDown and every
        # cleanup the test registered, and still as part of the test.
        self.addCleanup(scope.check_leaks)
        return _original_run(self, result)
    finally:
        scope.close()


def _enter_patch(self: Any) -> Any:
    new = _original_patch_enter(self)
    scope = _local.scope
    if scope is not None:
        original = self.temp_original if self.is_local else _MISSING
        if _namespace_of(self.target) is None:
            original = inspect.getattr_static(self.target, self.attribute, _MISSING)
            if original is new:
                original = _MISSING
        scope.remember_patch(self.target, self.attribute, original)
    return new


def _patch_dict(self: Any) -> Any:
    scope = _local.scope
    if scope is None:
        return _original_patch_dict(self)
    outcome = _original_patch_dict(self)
    original = getattr(self, "_original", None)
    if original is not None:
        scope.remember_dict(self.in_dict, list(original.items()))
    return outcome


def enable(*, strict: bool = False) -> None:
    """Run every test in a :class:`TestScope` (calls nest with :func:`disable`).

    Args:
        strict: A leak fails the test instead of only warning.
    """
    global _enabled, _strict, _original_run, _original_patch_enter
    global _original_patch_dict
    with _lock:
        _strict = _strict or strict
        _enabled += 1
        if _enabled > 1:
            return
        _learning.begin_run()
        _original_run = TestCase.run
        _original_patch_enter = mock._patch.__enter__
        _original_patch_dict = mock._patch_dict._patch_dict  # type: ignore[attr-defined]
        TestCase.run = _run_in_scope  # type: ignore[method-assign]
        mock._patch.__enter__ = _enter_patch  # type: ignore[method-assign]
        mock._patch_dict._patch_dict = _patch_dict  # type: ignore[attr-defined]


def disable() -> None:
    """Undo one :func:`enable`; the last puts the stdlib's methods back."""
    global _enabled, _strict
    with _lock:
        if _enabled == 0:
            return
        _enabled -= 1
        if _enabled:
            return
        _strict = False
        TestCase.run = _original_run  # type: ignore[method-assign]
        mock._patch.__enter__ = _original_patch_enter  # type: ignore[method-assign]
        mock._patch_dict._patch_dict = _original_patch_dict  # type: ignore[attr-defined]


def _reinit_after_fork() -> None:
    # The child's tests start afresh: no scope of the parent's thread is
    # running in it, and pooled mocks the parent handed out are not its own.
    global _spec_pools, _lock
    _local.scope = None
    _lock = threading.Lock()
    _spec_pools = PriorityCache(SPEC_POOLS, priority=_pool_priority)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)
