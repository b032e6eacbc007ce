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

import inspect
import itertools
import os
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator

# The clock bound at import: a test that patches time.perf_counter (with a
# finite side_effect, say) must not see mockpool's bookkeeping read it.
from time import perf_counter as _perf_counter
from types import FunctionType, MappingProxyType, ModuleType
from typing import Any
from unittest import TestCase, mock

import cachetools

from mockpool._autospec import introspect as _introspect
from mockpool._autospec import lazy as _autospec
from mockpool._autospec.variants import Variant
from mockpool._base import fence as _fence
from mockpool._base.priority_cache import PriorityCache
from mockpool._learning import lifecycle as _learning
from mockpool._pools import adapt as _adapt
from mockpool._pools.pool import DEFAULT_MAX_SIZE, Lease, Pool
from mockpool._reporting import worker_files as _worker_files
from mockpool._services.registry import ServiceDefinition
from mockpool._sessions.session import MockSession, current_session
from mockpool.errors import LeakWarning

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
# What an attribute the leak check could not read (without running the
# target's own code) is taken to be: it proves neither a leak nor its absence.
_UNREADABLE = object()
#: A namespace the leak check watches: (label, owner, the owner's __dict__).
Watched = tuple[str, Any, Any]
#: How many distinct (class, spec_set) pools are kept; the least recently
#: used is dropped (and its idle mocks with it) beyond that.
SPEC_POOLS = 512


class _Settings(threading.local):
    scope: TestScope | None = None
    #: Pools the last scope on this thread gave mocks back to, settled
    #: (restored) when the next scope opens.
    returned: tuple[SpecPool, ...] = ()


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

    A :class:`~mockpool._pools.pool.Pool` whose recipe is the class itself rather
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
        with _fence.fenced("run report"):
            _worker_files.process_report().record_discard(reason)


def _pool_priority(key: tuple[Any, bool]) -> float:
    # Read during an eviction scan, once per pool: a failure warns once.
    try:
        return _learning.priority(_type_name(key[0].spec))
    except Exception as error:
        _fence.warn_failure("priority lookup", error, once=True)
        return 0.0


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
    started = _perf_counter()
    built = _autospec.create_autospec(
        spec, spec_set, instance, _parent, _name, unsafe=unsafe, **kwargs
    )
    with _fence.fenced("run report"):
        _worker_files.process_report().record_request(
            _spec_name(spec), hit=False, build_seconds=_perf_counter() - started
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
        # The test's pooled mocks, held weakly (Lease.hold_weakly): a mock
        # the test drops is freed, with what it was passed, as under the
        # stdlib; close() gives back those still alive.
        self._leases: dict[int, Lease] = {}
        self._pools: dict[int, SpecPool] = {}
        self._numbers = itertools.count()
        # (target, attribute, what the patch put in vars(target), what it
        # will restore), per patch.
        self._patches: list[tuple[Any, str, Any, Any]] = []
        # (patched dict, its items before), per patch.dict.
        self._dicts: list[tuple[Any, list[tuple[Any, Any]]]] = []
        self._mocks_before: dict[tuple[str, int, Any], Any] = {}
        try:
            self._mocks_before = _assigned_mocks(watched)
        except Exception as error:
            _fence.warn_failure("leak check", error, test_id)
            # Scanned after the test only, every mock already there would
            # count as assigned by it: watch nothing instead.
            self._watched = []
        self._checked = False
        # The test a fence named by default before this scope opened.
        self._previous_test: str | None = None

    def open(self) -> None:
        """Make this the scope of the current thread, and its session current.

        A test that already runs in a session -- ``@mock_services`` or
        :class:`~mockpool.MockSessionMixin` wrap ``run`` -- keeps it: that is
        the session it asked for, and nesting an empty one inside would hide
        it from :func:`~mockpool.current_session`. The first scope of the
        process also warms the pools the history predicts.
        """
        # Until close(), a fence that is not told the test names this one.
        self._previous_test = _fence.set_current_test(self.test_id)
        with _fence.fenced("warming", self.test_id):
            _learning.before_first_test()
        # The previous test on this thread is over: what it passed to the
        # mocks it gave back goes now, not when the mocks are next needed.
        returned, _local.returned = _local.returned, ()
        for pool in returned:
            with _fence.fenced("recycling", self.test_id):
                pool.settle()
        if current_session() is None:
            self.session = MockSession(name=self.test_id).open()
        _local.scope = self

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
        key = next(self._numbers)
        self._leases[key] = lease
        self._pools[key] = pool
        with _fence.fenced("run report", self.test_id):
            _worker_files.process_report().record_request(
                pool.name,
                hit=lease.recycled,
                build_seconds=None if lease.recycled else elapsed,
            )
        return built

    def remember_patch(
        self, target: Any, attribute: str, installed: Any, original: Any
    ) -> None:
        """Note a patch started during the test, for the leak check.

        Args:
            target: What was patched.
            attribute: Its patched attribute.
            installed: What the patch put in the target's own namespace
                (``_UNREADABLE`` if it cannot be seen there).
            original: What the patch will put back, by identity.
        """
        self._patches.append((target, attribute, installed, original))

    def remember_dict(self, patched: Any, items: list[tuple[Any, Any]]) -> None:
        """Note a ``patch.dict`` started during the test, for the leak check."""
        self._dicts.append((patched, items))

    def check_leaks(self) -> list[str]:
        """Find what the test left patched; warn, or fail the test if strict.

        Runs once, as the test's last cleanup (so a strict failure is the
        test's own). Returns the descriptions of the leaks found. The check
        itself never fails a test: what it cannot read it skips, and an
        error of its own is a :class:`~mockpool.MockPoolWarning`.
        """
        if self._checked:
            return []
        self._checked = True
        leaks: list[tuple[str, str]] = []
        with _fence.fenced("leak check", self.test_id):
            leaks += [("patch not undone", text) for text in self._unrestored_patches()]
            leaks += [("mock assigned", text) for text in self._new_assignments()]
        with _fence.fenced("run report", self.test_id):
            report = _worker_files.process_report()
            for kind, detail in leaks:
                report.record_leak(self.test_id, kind, detail)
        messages = [
            f"{self.test_id} leaked: {kind}: {detail}" for kind, detail in leaks
        ]
        if messages and self.strict:
            # Outside the fences on purpose: in strict mode a leak is the
            # test's own failure.
            raise AssertionError("\n".join(messages))
        for message in messages:
            warnings.warn(LeakWarning(message), stacklevel=2)
        return messages

    def _patched_targets(
        self,
    ) -> dict[tuple[int, str], tuple[Any, list[Any], list[Any]]]:
        """Per (id of target, attribute) patched during the test: the
        target, what its patches installed there, what they restore."""
        targets: dict[tuple[int, str], tuple[Any, list[Any], list[Any]]] = {}
        for target, attribute, installed, original in self._patches:
            key = (id(target), attribute)
            _, put, restored = targets.setdefault(key, (target, [], []))
            if installed is not _UNREADABLE:
                put.append(installed)
            restored.append(original)
        return targets

    def _unrestored_patches(self) -> Iterator[str]:
        # A target or dict that cannot be read or described is skipped: the
        # check must not break a test that unittest runs fine.
        #
        # A patch is undone when nothing it installed is left, whatever is
        # there instead: the test may rebind the target itself around the
        # patch (and put its own value back), and a patch that cannot read
        # the target's __dict__ restores by delattr, or by setattr of what
        # getattr gave -- which lands in the raw namespace. Values compare
        # by identity only: no code of theirs runs.
        for (_, attribute), (target, put, restored) in self._patched_targets().items():
            try:
                now = _raw_attribute(target, attribute)
                if not any(now is value for value in put):
                    continue
                # A patch that installed what was there already (new is the
                # original) leaves nothing a leak could be told by.
                if any(now is value for value in restored):
                    continue
                text = f"{_describe(target)}.{attribute} still patched"
            except Exception:
                continue
            yield text
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
        patched = self._patched_targets()
        before = self._mocks_before
        for (label, owner, key), value in _assigned_mocks(self._watched).items():
            try:
                if before.get((label, owner, key)) is value:
                    continue
                _, put, _ = patched.get((owner, key), (None, [], []))
                if any(value is installed for installed in put):
                    continue  # a patch's: reported as a patch not undone
                text = f"{label}.{key} = {_short_repr(value)}"
            except Exception:  # a key that cannot be hashed or printed
                continue
            yield text

    def close(self) -> None:
        """Give the test's mocks back, close its session, flush the report."""
        if _local.scope is self:
            _local.scope = None
        try:
            # A lease whose mock the test let go is counted, not taken back.
            returned = set(self._pools.values())
            for key in list(self._leases):
                self._pools.pop(key).release(self._leases, key)
            _local.returned = (*_local.returned, *returned)
        finally:
            self._patches.clear()
            self._dicts.clear()
            with _fence.fenced("run report", self.test_id):
                report = _worker_files.process_report()
                report.record_test()
            try:
                if self.session is not None:
                    # The drop-in's session, not one the test asked for:
                    # under plain unittest there would be nothing to close.
                    with _fence.fenced("per-test session", self.test_id):
                        self.session.close()
            finally:
                with _fence.fenced("run report", self.test_id):
                    _worker_files.flush()
                with _fence.fenced("usage history", self.test_id):
                    _learning.note_session_end()
                _fence.set_current_test(self._previous_test)


# -- finding leaks ------------------------------------------------------------
#
# The scan reads whatever a test module holds: proxy classes whose metaclass
# hides __dict__, lazy classes and modules whose every attribute read
# raises, objects whose __eq__, __hash__, __repr__ or __bool__ raise. It
# therefore reads nothing through an object's own __getattribute__ or
# __getattr__ or its metaclass's: namespaces, module and class names come
# from the descriptors of ``type`` and from object.__getattribute__, and
# kinds are told by type(value), which runs no code of the value's. What
# still raises is skipped: the check must never break a test that plain
# unittest runs.

_TYPE_DICT = type.__dict__["__dict__"]
_TYPE_MODULE = type.__dict__["__module__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]


def _raw_attribute(target: Any, attribute: str) -> Any:
    """*target*'s own ``__dict__[attribute]``; ``_UNREADABLE`` if no dict."""
    namespace = _namespace_of(target)
    if namespace is None:
        return _UNREADABLE
    try:
        return namespace.get(attribute, _MISSING)
    except Exception:
        return _UNREADABLE


def _namespace_of(target: Any) -> Any:
    """The ``__dict__`` of *target*, read without its own code; else None."""
    try:
        if issubclass(type(target), type):
            # Past any metaclass: a proxy class may hide or fake __dict__.
            namespace = _TYPE_DICT.__get__(target)
        else:
            namespace = object.__getattribute__(target, "__dict__")
    except Exception:
        return None
    kind = type(namespace)
    if kind is MappingProxyType or issubclass(kind, dict):
        return namespace
    return None


def _entries(namespace: Any) -> list[tuple[Any, Any]]:
    """The (name, value) pairs of a namespace; none if they cannot be read."""
    try:
        if issubclass(type(namespace), dict):
            return list(dict.items(namespace))
        return list(namespace.items())
    except Exception:
        return []


def _module_of(value: Any) -> str | None:
    """The name of the module that defines *value* (its ``__module__``)."""
    try:
        if issubclass(type(value), type):
            name = _TYPE_MODULE.__get__(value)
        else:
            # The class's __module__ for an instance, the function's own for
            # a function; never through the value's __getattribute__ (a
            # context-local proxy raises outside its context).
            name = object.__getattribute__(value, "__module__")
    except Exception:
        return None
    return name if type(name) is str else None


def _qualname(kind: type) -> str:
    try:
        name = _TYPE_QUALNAME.__get__(kind)
    except Exception:
        return "?"
    return name if type(name) is str else "?"


def _type_name(kind: type) -> str:
    """``module.QualName`` of class *kind*, read past its metaclass."""
    return f"{_module_of(kind) or '?'}.{_qualname(kind)}"


def _module_name(module: Any) -> str | None:
    """The ``__name__`` of *module*, if it is a module that has a str one."""
    if not issubclass(type(module), ModuleType):
        return None
    namespace = _namespace_of(module)
    if namespace is None:
        return None
    try:
        name = namespace.get("__name__")
    except Exception:
        return None
    return name if type(name) is str else None


def _read_items(container: Any) -> list[tuple[Any, Any]] | None:
    """The (key, value) pairs of *container*, as ``patch.dict`` reads them.

    ``patch.dict`` takes any container with item access and iteration over
    its keys, not only mappings: a dict is read whole, anything else key by
    key. None if reading raises.
    """
    try:
        if type(container) is dict:
            return list(container.items())
        return [(key, container[key]) for key in container]
    except Exception:
        return None


def _same(current: Any, value: Any) -> bool:
    """Whether *current* may be *value* again; False only if it differs."""
    if current is value:
        return True
    if type(current) is not type(value):
        return False
    # os.environ decodes a new str on every read: equal, not identical.
    try:
        return bool(current == value)
    except Exception:
        # An __eq__ (or its result) that raises proves no difference: a
        # mapping may build a new, uncomparable value on every read.
        return True


def _holds(patched: Any, items: list[tuple[Any, Any]]) -> bool:
    """Whether the container *patched* holds exactly *items* again.

    True when that cannot be told -- the container or a key raises when
    read or compared --: only a difference read is a leak.
    """
    now = _read_items(patched)
    if now is None:
        return True
    if len(now) != len(items):
        return False
    try:
        lookup: dict[Any, Any] | None = dict(now)
    except Exception:  # unhashable keys: compare them one by one
        lookup = None
    for key, value in items:
        try:
            if lookup is not None:
                current = lookup.get(key, _MISSING)
            else:
                current = next(
                    (v for k, v in now if k is key or bool(k == key)), _MISSING
                )
        except Exception:
            return True
        if not _same(current, value):
            return False
    return True


def _describe(target: Any) -> str:
    kind = type(target)
    if issubclass(kind, ModuleType):
        return _module_name(target) or f"<{_qualname(kind)} object>"
    if issubclass(kind, type):
        return _type_name(target)
    return f"<{_qualname(kind)} object>"


def _describe_dict(patched: Any) -> str:
    if patched is os.environ:
        return "os.environ"
    items = _read_items(patched)
    if items is None:
        return f"<{_qualname(type(patched))} object>"
    return f"<{_qualname(type(patched))} of {len(items)} items>"


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = None
    if type(text) is not str:
        # object.__repr__ runs no code of the value's.
        text = object.__repr__(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_mock(value: Any) -> bool:
    # type(), not isinstance(): isinstance would read value.__class__,
    # which a proxy or lazy object may refuse.
    if issubclass(type(value), mock.NonCallableMock):
        return True
    if type(value) is not FunctionType:
        return False
    # create_autospec(function) returns a real function carrying its mock.
    namespace = _namespace_of(value)
    if namespace is None:
        return False
    try:
        carried = namespace.get("mock")
    except Exception:
        return False
    return issubclass(type(carried), mock.NonCallableMock)


def _assigned_mocks(watched: Iterable[Watched]) -> dict[tuple[str, int, Any], Any]:
    """Every mock found in *watched*, by (label, id of its owner, name)."""
    found: dict[tuple[str, int, Any], Any] = {}
    for label, owner, namespace in watched:
        for key, value in _entries(namespace):
            if _is_mock(value):
                try:
                    found[(label, id(owner), key)] = value
                except Exception:  # a name that cannot be hashed again
                    continue
    return found


_stdlib_prefixes: tuple[str, ...] = tuple(
    {os.path.dirname(os.__file__), os.path.dirname(inspect.__file__)}
)
_watch_cache: cachetools.LRUCache[str, list[Watched]] = cachetools.LRUCache(maxsize=256)


def _user_module(module: Any) -> bool:
    name = _module_name(module)
    if name is None:
        return False
    if name == "mockpool" or name.startswith(("mockpool.", "unittest")):
        return name.startswith("mockpool._demo")
    # Read from the namespace: a lazy module's __getattr__ may import, or
    # raise, for a __file__ it does not have.
    try:
        path = _namespace_of(module).get("__file__")
    except Exception:
        return False
    if type(path) is not str or not path:
        return False
    return not path.startswith(_stdlib_prefixes) or "site-packages" in path


def _defining_module(value: Any) -> Any:
    """The module *value* is (a module) or was defined in, if loaded."""
    if issubclass(type(value), ModuleType):
        return value
    name = _module_of(value)
    if not name:
        return None
    return sys.modules.get(name)


def watched_namespaces(module_name: str) -> list[Watched]:
    """The module and class namespaces a test's leaks would land in.

    The test's module (*module_name*), the modules it imports or imports
    from, and the classes defined in those -- not the standard library.
    Computed once per test module (and again if the module gains names).
    Never raises: what cannot be read without running its own code (a
    proxy, a lazy class or module) is left out.
    """
    module = sys.modules.get(module_name)
    namespace = _namespace_of(module)
    if module is None or namespace is None:
        return []
    key = f"{module_name}:{len(namespace)}"
    with _lock:
        cached = _watch_cache.get(key)
    if cached is not None:
        return cached
    modules: dict[str, Any] = {module_name: module}
    for _, value in _entries(namespace):
        owner = _defining_module(value)
        if owner is not None and _user_module(owner):
            name = _module_name(owner)
            if name is not None:
                modules.setdefault(name, owner)
    watched: list[Watched] = []
    for name, owner in modules.items():
        owned = _namespace_of(owner)
        if owned is None:
            continue
        watched.append((name, owner, owned))
        for _, value in _entries(owned):
            if issubclass(type(value), type) and _module_of(value) == name:
                label = f"{name}.{_qualname(value)}"
                watched.append((label, value, _TYPE_DICT.__get__(value)))
    with _lock:
        _watch_cache[key] = watched
    return watched


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
    method = (_namespace_of(test) or {}).get("_testMethodName", "?")
    return f"{_type_name(type(test))}.{method}"


def _run_in_scope(self: TestCase, result: Any = None) -> Any:
    if _local.scope is not None:
        # A test run from inside another test belongs to the outer one.
        return _original_run(self, result)
    test_id = _test_id(self)
    watched: list[Watched] = []
    with _fence.fenced("leak check", test_id):
        watched = watched_namespaces(_module_of(type(self)) or "")
    scope = TestScope(test_id, watched, strict=_strict)
    # A scope that fails to open leaves the test unpooled, not unrun.
    with _fence.fenced("per-test session", test_id):
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
        # The patch is in place whatever happens here: noting it for the
        # leak check must not turn its __enter__ into a failure.
        with _fence.fenced("leak check", scope.test_id):
            installed = _installed_value(self, new)
            if _raw_attribute(self.target, self.attribute) is not installed:
                # Kept elsewhere than in the target's own namespace (a
                # proxy's __setattr__, slots): the check cannot see it.
                installed = _UNREADABLE
            # temp_original: what __exit__ puts back (by setattr), or
            # DEFAULT if it only deletes what it installed.
            scope.remember_patch(
                self.target, self.attribute, installed, self.temp_original
            )
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
        return entered.get(name, _UNREADABLE)
    return _UNREADABLE


def _patch_dict(self: Any) -> Any:
    scope = _local.scope
    if scope is None:
        return _original_patch_dict(self)
    outcome = _original_patch_dict(self)
    with _fence.fenced("leak check", scope.test_id):
        # What patch.dict will restore: in_dict.copy(), or a dict of its
        # items when it has no copy() -- read as patch.dict reads it.
        original = getattr(self, "_original", None)
        items = None if original is None else _read_items(original)
        if items is not None:
            scope.remember_dict(self.in_dict, items)
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
        with _fence.fenced("usage history"):
            _learning.begin_run()
        # Made now, outside any test: making it reads MOCKPOOL_ADAPTATION
        # (whose warning must not land in a test) and finds how to read
        # memory (psutil, where needed, is imported now, before a test can
        # hide it).
        with _fence.fenced("adaptation"):
            _adapt.current_adapter()
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
