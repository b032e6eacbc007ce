"""Pools of class autospecs: ``create_autospec(cls)`` and ``patch(..., autospec=True)``.

A class mock (``instance=False``) is served from a
:class:`~mockpool._pools.spec_pools.ClassSpecPool` and proven pristine with
the instance mock it returns
(:class:`~mockpool._autospec.pristine.ClassBaseline`). The property test
drives random operations on a pooled class mock -- on the class mock, on
its ``return_value`` and their methods, at any depth; references stored
outside and used again later -- gives it back, takes one again, and
compares every observable with a fresh ``unittest.mock.create_autospec``
of the same arguments. The unit tests pin what a user relies on under the
drop-in: a hit on the second test, a discard when a mock escapes, a
configured ``return_value`` never seen again, and ``patch(...,
autospec=True)`` served from the pool with the right name.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import inspect
import io
import os
import sys
import types
import unittest
import warnings
import weakref
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st

import mockpool
from mockpool._autospec.pristine import DiscardReason
from mockpool._base.priority_cache import PriorityCache
from mockpool._integration import dropin as _dropin
from mockpool._pools import spec_pools
from mockpool._pools.pool import Lease
from mockpool._reporting import worker_files as _worker_files
from tests._observe import first_difference, kind, normalise, observe, raised

# -- the classes mocked ------------------------------------------------------------


class Client:
    """A constructor with keyword-only parameters; sync, async, class,
    static and magic methods; a class attribute."""

    retries = 3

    def __init__(self, url: str, *, timeout: float = 1.0) -> None:
        self.url = url

    def get(self, path: str, **params: str) -> bytes:
        return b""

    async def fetch(self, path: str) -> bytes:
        return b""

    @classmethod
    def from_env(cls, name: str) -> Client:
        return cls(name)

    @staticmethod
    def parse(text: str) -> dict[str, str]:
        return {}

    def __len__(self) -> int:
        return 0

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


class Headers(dict):  # type: ignore[type-arg]
    """C methods, which autospec defers (``get``, ``keys``, ...)."""

    def add(self, name: str, value: str) -> None:
        pass


class Handler:
    """Instances are callable: the class mock's ``return_value`` is too."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, event: str, *, urgent: bool = False) -> bool:
        return True

    def close(self) -> None:
        pass


SPECS = (Client, Headers, Handler)

#: Arguments drawn for calls: good for some signatures, bad for others.
ARGUMENTS: tuple[tuple[tuple[Any, ...], dict[str, Any]], ...] = (
    ((), {}),
    (("a",), {}),
    (("a", "b"), {}),
    (("a",), {"timeout": 2}),
    (("a",), {"urgent": True}),
    ((), {"unknown": 1}),
)
#: The paths of a target, from the class mock: "()" is ``.return_value``.
PATHS: tuple[tuple[str, ...], ...] = (
    (),
    ("()",),
    ("get",),
    ("()", "get"),
    ("()", "fetch"),
    ("()", "close"),
    ("from_env",),
    ("()", "get", "()"),
    ("()", "add"),
    ("()", "keys"),
    ("()", "__len__"),
    ("()", "__enter__"),
)
#: Names assigned and deleted: spec'd ones, unknown ones, mock attributes.
NAMES = ("retries", "extra", "get", "close", "return_value", "side_effect")


def _values() -> list[Any]:
    """What tests put into mocks: plain values, collectors, mocks, errors."""
    return [1, "text", [], mock.Mock(), mock.sentinel.marked, ValueError("boom")]


# -- operations ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Op:
    """One operation on a part of the pooled class mock."""

    kind: str
    path: tuple[str, ...] = ()
    args: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        target = "MockClass" + "".join(
            ".return_value" if step == "()" else f".{step}" for step in self.path
        )
        return f"{self.kind}({target}, {self.args!r})"


def _operations() -> st.SearchStrategy[Op]:
    path = st.sampled_from(PATHS)
    index = st.integers(0, len(_values()) - 1)
    return st.one_of(
        st.builds(Op, st.just("call"), path, st.tuples(st.integers(0, 5))),
        st.builds(Op, st.just("set"), path, st.tuples(st.sampled_from(NAMES), index)),
        st.builds(Op, st.just("delete"), path, st.tuples(st.sampled_from(NAMES))),
        st.builds(
            Op,
            st.just("configure"),
            path,
            st.tuples(st.sampled_from(("get.return_value", "retries", "x.y")), index),
        ),
        st.builds(Op, st.just("reset"), path, st.tuples(st.booleans(), st.booleans())),
        st.builds(Op, st.just("attach_in"), path, st.tuples(index)),
        st.builds(Op, st.just("attach_out"), path),
        st.builds(Op, st.just("add_spec"), path, st.tuples(st.booleans())),
        st.builds(Op, st.just("seal"), path),
        st.builds(
            Op, st.just("magic"), path, st.tuples(st.sampled_from(("len", "with")))
        ),
        st.builds(
            Op,
            st.just("store"),
            path,
            st.tuples(st.sampled_from(("module", "class", "closure"))),
        ),
    )


#: What operations stored outside; used again once the mock is handed out
#: anew, and must not reach it.
STORED: list[Any] = []


class Shelf:
    """A class an operation stores a mock on."""

    kept: Any = None


_LOOP = asyncio.new_event_loop()


def _settle(result: Any) -> Any:
    if inspect.iscoroutine(result):
        try:
            return _LOOP.run_until_complete(result)
        except Exception as error:
            return error
    return result


def _reach(root: Any, path: tuple[str, ...]) -> Any:
    target = root
    for step in path:
        target = target.return_value if step == "()" else getattr(target, step)
    return target


def apply(root: Any, op: Op) -> None:
    """Run *op* on the class mock *root*; what the mock raises is swallowed."""
    try:
        target = _reach(root, op.path)
    except (AttributeError, TypeError):
        return
    values = _values()
    try:
        if op.kind == "call":
            args, kwargs = ARGUMENTS[op.args[0]]
            _settle(target(*args, **kwargs))
        elif op.kind == "set":
            setattr(target, op.args[0], values[op.args[1]])
        elif op.kind == "delete":
            delattr(target, op.args[0])
        elif op.kind == "configure":
            target.configure_mock(**{op.args[0]: values[op.args[1]]})
        elif op.kind == "reset":
            target.reset_mock(return_value=op.args[0], side_effect=op.args[1])
        elif op.kind == "attach_in":
            target.attach_mock(mock.Mock(), "attached")
        elif op.kind == "attach_out":
            parent = mock.MagicMock()
            parent.attach_mock(target, "child")
            STORED.append(parent)
        elif op.kind == "add_spec":
            target.mock_add_spec(["get", "other"], spec_set=op.args[0])
        elif op.kind == "seal":
            mock.seal(target)
        elif op.kind == "magic":
            if op.args[0] == "len":
                len(target)
            else:
                with target:
                    pass
        elif op.kind == "store":
            where = op.args[0]
            if where == "module":
                STORED.append(target)
            elif where == "class":
                Shelf.kept = target
            else:
                STORED.append(lambda: target)
    except Exception:  # the mock's own refusals: part of what is compared
        pass


def use_stored() -> None:
    """Call what earlier operations stored outside, as a later test might."""
    for kept in [*STORED, Shelf.kept]:
        if kept is None:
            continue
        if type(kept) is types.FunctionType:  # a closure over a stored mock
            kept = kept()
        with contextlib.suppress(Exception):
            _settle(kept("late"))
        with contextlib.suppress(Exception):
            kept.late_attribute = 1


def forget_stored() -> None:
    STORED.clear()
    Shelf.kept = None


def escapes(ops: list[Op]) -> bool:
    """Whether *ops* leave the class mock or its instance referenced outside."""
    return any(
        op.kind in ("store", "attach_out") and op.path in ((), ("()",)) for op in ops
    )


# -- observations of what a test can see, private parts included ---------------------


def _attempt(probe: Any, *args: Any) -> Any:
    try:
        return ("ok", probe(*args))
    except Exception as error:
        return raised(error)


def _returns(built: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether calling the class mock returns its ``return_value``."""
    return built(*args, **kwargs) is built.return_value


def _call_kind(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return kind(_settle(method(*args, **kwargs)))


def _private(target: Any) -> dict[str, Any]:
    """The private state a fresh build decides: spec, names, children."""
    state = vars(target)
    methods = state.get("_mock_methods")
    return {
        "name": state.get("_mock_name"),
        "new_name": state.get("_mock_new_name"),
        "spec_class": state.get("_spec_class"),
        "spec_set": state.get("_spec_set"),
        "spec_signature": str(state.get("_spec_signature")),
        "spec_asyncs": sorted(state.get("_spec_asyncs") or ()),
        "methods": None if methods is None else sorted(methods),
        "called": state.get("_mock_called"),
        "sealed": state.get("_mock_sealed"),
    }


def _children(target: Any) -> dict[str, Any]:
    """``_mock_children`` once every spec'd name was fetched (so the lazy
    placeholders and the stdlib's deferred C methods are all built)."""
    for name in dir(target):
        if not name.startswith("__"):
            with contextlib.suppress(Exception):
                getattr(target, name)
    return {key: kind(value) for key, value in vars(target)["_mock_children"].items()}


def probes(built: Any, spec: type) -> list[tuple[str, Any]]:
    """Observe the class mock *built* (of *spec*), and then use it."""
    instance = built.return_value
    seen: list[tuple[str, Any]] = [
        ("repr", normalise(repr(built))),
        ("repr()", normalise(repr(instance))),
        ("dir", dir(built)),
        ("dir()", dir(instance)),
        ("signature", _attempt(lambda: str(inspect.signature(built)))),
        ("private", _private(built)),
        ("private()", _private(instance)),
        ("isinstance spec", isinstance(built, spec)),
        ("isinstance type", isinstance(built, type)),
        ("isinstance() spec", isinstance(instance, spec)),
        ("issubclass", _attempt(issubclass, built, spec)),
        ("issubclass spec", _attempt(issubclass, spec, built)),
        ("called", (built.called, built.call_count, built.call_args)),
        ("calls", (built.mock_calls, instance.mock_calls, built.method_calls)),
        ("return_value kind", kind(instance)),
        ("callable()", callable(instance)),
        ("side_effect", (built.side_effect, instance.side_effect)),
    ]
    for args, kwargs in ARGUMENTS:
        label = f"call {args!r} {kwargs!r}"
        seen.append((label, _attempt(_returns, built, args, kwargs)))
    for name in ("get", "close", "keys", "add", "fetch", "from_env", "extra"):
        for owner, target in (("", built), ("()", instance)):
            label = f"{owner}.{name}"
            attribute = _attempt(getattr, target, name)
            seen.append((label, attribute if attribute[0] != "ok" else "ok"))
            if attribute[0] != "ok":
                continue
            method = attribute[1]
            seen.append((f"{label} kind", kind(method)))
            seen.append((f"{label} repr", normalise(repr(method))))
            seen.append((f"{label} rv", kind(_attempt_value(method))))
            for args, kwargs in ARGUMENTS[:4]:
                outcome = _attempt(_call_kind, method, args, kwargs)
                seen.append((f"{label}{args!r}", outcome))
    seen.append(("calls after", (normalise(repr(built.mock_calls)),)))
    seen.append(("assert", _attempt(lambda: built.assert_called_with("a"))))
    seen.append(("len()", _attempt(lambda: len(instance))))
    seen.append(("children", _children(built)))
    seen.append(("children()", _children(instance)))
    return seen


def _attempt_value(method: Any) -> Any:
    try:
        return method.return_value
    except Exception as error:
        return error


# -- the property ------------------------------------------------------------------

_REFERENCE: dict[tuple[type, bool, str | None], Any] = {}


def _reference(spec: type, spec_set: bool, name: str | None) -> Any:
    """observe() of fresh stdlib builds; the same for every example."""
    key = (spec, spec_set, name)
    if key not in _REFERENCE:
        _REFERENCE[key] = observe(
            mock.create_autospec, spec, spec_set=spec_set, _name=name
        )
    return _REFERENCE[key]


def _cycle(
    pool: spec_pools.ClassSpecPool, ops: list[Op], outcomes: list[tuple[bool, int]]
) -> Lease:
    """Take a mock, run *ops* on it, give it back as a test's scope does,
    use what was stored outside, and take one again."""
    lease = pool.acquire()
    used = lease.mock
    first_id = id(used)
    lease.hold_weakly()
    for op in ops:
        apply(used, op)
    del used
    holder = {0: lease}
    del lease
    pool.release(holder, 0)
    use_stored()
    pool.settle()
    again = pool.acquire()
    # And again once it is handed out: nothing stored may reach it now.
    use_stored()
    outcomes.append((again.recycled, first_id))
    # The caller's: strongly held, like a running test's.
    return again


def switch_class_pools_on(test: unittest.TestCase) -> None:
    """Serve class mocks from pools for the rest of *test* (off by default)."""
    switch = mock.patch.object(spec_pools, "CLASS_POOLS", True)
    switch.start()
    test.addCleanup(switch.stop)


class ClassPoolProperties(unittest.TestCase):
    def setUp(self) -> None:
        switch_class_pools_on(self)
        spec_pools.clear()
        self.addCleanup(spec_pools.clear)
        self.addCleanup(forget_stored)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    # The cases each part of the proof exists for, always run.
    @example(Client, False, None, [Op("store", ("()",), ("module",))])
    @example(Client, True, "Client", [Op("store", (), ("closure",))])
    @example(Client, False, None, [Op("set", ("()", "get"), ("return_value", 4))])
    @example(Handler, False, "Client", [Op("set", (), ("return_value", 3))])
    @example(Headers, False, None, [Op("seal", ("()",))])
    @example(Client, False, None, [Op("store", ("()", "get"), ("class",))])
    @given(
        spec=st.sampled_from(SPECS),
        spec_set=st.booleans(),
        name=st.sampled_from((None, "Client")),
        ops=st.lists(_operations(), max_size=8),
    )
    def test_recycled_class_mock_is_a_fresh_build(
        self, spec: type, spec_set: bool, name: str | None, ops: list[Op]
    ) -> None:
        """After any use, the next class mock observes as a fresh stdlib build."""
        forget_stored()
        spec_pools.clear()
        pool = spec_pools.class_spec_pool(spec, spec_set, name)
        assert pool is not None
        note(f"{spec.__name__} spec_set={spec_set} name={name!r}")
        outcomes: list[tuple[bool, int]] = []
        held: list[Lease] = []

        def pooled(*_: Any, **__: Any) -> Any:
            lease = _cycle(pool, ops, outcomes)
            held.append(lease)
            return lease.mock

        expected = _reference(spec, spec_set, name)
        actual = observe(pooled, spec, spec_set=spec_set, _name=name)
        self.assertIsNone(first_difference(expected, actual))
        recycled = [was for was, _ in outcomes]
        event(f"recycled {sum(recycled)} of {len(recycled)}")
        if escapes(ops):
            self.assertFalse(any(recycled), "an escaped mock was handed out again")

        # The private state and the instance it returns, after one more cycle.
        lease = _cycle(pool, ops, outcomes)
        fresh = mock.create_autospec(spec, spec_set=spec_set, _name=name)
        mine, theirs = probes(lease.mock, spec), probes(fresh, spec)
        for (label, got), (_, want) in zip(mine, theirs):
            self.assertEqual(got, want, label)
        stats = pool.stats()
        known = {value for key, value in vars(DiscardReason).items() if key.isupper()}
        self.assertLessEqual(set(stats.discards), known)
        self.assertEqual(stats.builds + stats.hits, stats.acquired)
        del held[:], lease, fresh, mine, theirs


# -- the drop-in ------------------------------------------------------------------

SEEN: list[Any] = []
KEPT: list[Any] = []


def run_tests(*cases: type[unittest.TestCase]) -> unittest.TestResult:
    """Run *cases* under the drop-in."""
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(case) for case in cases)
    _dropin.enable()
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            runner = unittest.TextTestRunner(stream=io.StringIO())
            result = runner.run(suite)
    finally:
        _dropin.disable()
    return result


class Payload:
    """Something a test passes to a mock; it must be freed with the mock."""


class DropInTests(unittest.TestCase):
    def setUp(self) -> None:
        SEEN.clear()
        KEPT.clear()
        self.addCleanup(SEEN.clear)
        self.addCleanup(KEPT.clear)
        installation = mockpool.install()
        self.addCleanup(installation.undo)
        switch_class_pools_on(self)
        spec_pools.clear()
        self.addCleanup(spec_pools.clear)
        self.report = _worker_files.process_report()
        self.hits = self.report.hits

    def assertPassed(self, result: unittest.TestResult) -> None:
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)

    def class_pool_stats(self) -> Any:
        found = [
            pool
            for pool in spec_pools.all_pools()
            if isinstance(pool, spec_pools.ClassSpecPool)
        ]
        self.assertEqual(len(found), 1, found)
        return found[0].stats()

    def test_second_test_gets_the_first_tests_class_mock(self) -> None:
        """create_autospec(cls) is a hit on the second test, pristine."""

        class Twice(unittest.TestCase):
            def test_1(self) -> None:
                client_class = mock.create_autospec(Client)
                SEEN.append(id(client_class))
                client_class("url").get("path")

            def test_2(self) -> None:
                client_class = mock.create_autospec(Client)
                SEEN.append(id(client_class))
                SEEN.append((client_class.called, client_class.mock_calls))

        self.assertPassed(run_tests(Twice))
        self.assertEqual(SEEN[0], SEEN[1], "the class mock was not recycled")
        self.assertEqual(SEEN[2], (False, []))
        self.assertEqual(self.report.hits - self.hits, 1)
        self.assertEqual(self.class_pool_stats().hits, 1)

    def test_class_mock_kept_in_a_module_global_is_discarded(self) -> None:
        """A class mock, or the instance it returns, stored outside is not
        handed out again, and the next test's use does not reach it."""

        class Keeps(unittest.TestCase):
            def test_1(self) -> None:
                client_class = mock.create_autospec(Client)
                SEEN.append(id(client_class))
                KEPT.append(client_class.return_value)

            def test_2(self) -> None:
                client_class = mock.create_autospec(Client)
                SEEN.append(id(client_class))
                client_class.return_value.get("mine")

        self.assertPassed(run_tests(Keeps))
        self.assertNotEqual(SEEN[0], SEEN[1])
        self.assertEqual(KEPT[0].get.call_count, 0)
        self.assertEqual(self.class_pool_stats().discards, {DiscardReason.ESCAPED: 1})

    def test_configured_return_value_is_never_seen_again(self) -> None:
        """MockClass.return_value.method.return_value = x stays in its test."""
        secret = object()

        class Configures(unittest.TestCase):
            def test_1(self) -> None:
                client_class = mock.create_autospec(Client)
                SEEN.append(id(client_class))
                client_class.return_value.get.return_value = secret
                client_class.return_value.get.side_effect = None
                client_class.return_value.retries = 99
                self.assertIs(client_class("u").get("p"), secret)

            def test_2(self) -> None:
                client_class = mock.create_autospec(Client)
                SEEN.append(id(client_class))
                instance = client_class("u")
                SEEN.append(instance.get("p"))
                SEEN.append(instance.retries)

        self.assertPassed(run_tests(Configures))
        self.assertEqual(SEEN[0], SEEN[1], "the class mock was not recycled")
        self.assertIsNot(SEEN[2], secret)
        self.assertIsInstance(SEEN[2], mock.MagicMock)
        self.assertIsInstance(SEEN[3], mock.NonCallableMagicMock)

    def test_replaced_return_value_is_discarded(self) -> None:
        """A class mock whose return_value a test replaced is built afresh."""

        class Replaces(unittest.TestCase):
            def test_1(self) -> None:
                client_class = mock.create_autospec(Client)
                SEEN.append(id(client_class))
                client_class.return_value = "not an instance"

            def test_2(self) -> None:
                client_class = mock.create_autospec(Client)
                SEEN.append(id(client_class))
                SEEN.append(kind(client_class("u")))

        self.assertPassed(run_tests(Replaces))
        self.assertNotEqual(SEEN[0], SEEN[1])
        self.assertEqual(SEEN[2], kind(mock.create_autospec(Client)("u")))
        self.assertEqual(self.class_pool_stats().discards, {DiscardReason.STATE: 1})

    def test_patch_with_autospec_is_served_from_the_pool_with_its_name(self) -> None:
        """patch(..., autospec=True) and patch.object on a class: a hit, named
        after the patched attribute, as a fresh build is."""
        target = f"{__name__}.Client"

        class Patches(unittest.TestCase):
            @mock.patch(target, autospec=True)
            def test_1(self, client_class: Any) -> None:
                SEEN.append((id(client_class), normalise(repr(client_class))))
                Client("u").get("p")
                client_class.return_value.get.assert_called_once_with("p")

            def test_2(self) -> None:
                module = sys.modules[__name__]
                with mock.patch.object(module, "Client", autospec=True):
                    client_class: Any = module.Client
                    SEEN.append((id(client_class), normalise(repr(client_class))))
                    SEEN.append(normalise(repr(client_class.return_value.get)))
                    with self.assertRaises(TypeError) as raised_here:
                        client_class()
                    SEEN.append(str(raised_here.exception))

        self.assertPassed(run_tests(Patches))
        (first, first_repr), (second, second_repr) = SEEN[0], SEEN[1]
        self.assertEqual(first, second, "the patched class mock was not recycled")
        fresh = mock.create_autospec(Client, _name="Client")
        self.assertEqual(first_repr, normalise(repr(fresh)))
        self.assertEqual(second_repr, normalise(repr(fresh)))
        self.assertEqual(SEEN[2], normalise(repr(fresh.return_value.get)))
        with self.assertRaises(TypeError) as expected:
            fresh()
        self.assertEqual(SEEN[3], str(expected.exception))
        self.assertIs(sys.modules[__name__].Client, Client)

    def test_names_do_not_share_a_pool(self) -> None:
        """A class mock named by one patch is never handed out under another
        name (nor unnamed)."""

        class Names(unittest.TestCase):
            def test_1(self) -> None:
                SEEN.append(id(mock.create_autospec(Client, _name="Client")))

            def test_2(self) -> None:
                built = mock.create_autospec(Client, _name="Other")
                SEEN.append((id(built), vars(built)["_mock_name"]))
                unnamed = mock.create_autospec(Client)
                SEEN.append((id(unnamed), vars(unnamed)["_mock_name"]))

        self.assertPassed(run_tests(Names))
        self.assertNotIn(SEEN[0], (SEEN[1][0], SEEN[2][0]))
        self.assertEqual((SEEN[1][1], SEEN[2][1]), ("Other", None))

    def test_what_a_test_passed_is_freed_with_the_class_mock(self) -> None:
        """Contract 5: a mock the test drops is freed with its arguments; one
        given back to the pool lets go of them when the next test opens."""

        class Passes(unittest.TestCase):
            def test_1(self) -> None:
                payload = Payload()
                SEEN.append(weakref.ref(payload))
                mock.create_autospec(Client)(payload).get(payload)

            def test_2(self) -> None:
                payload = Payload()
                SEEN.append(weakref.ref(payload))
                client_class = mock.create_autospec(Client)
                client_class(payload).get(payload)
                KEPT.append(client_class)  # the test ends holding it

            def test_3(self) -> None:
                gc.collect()
                SEEN.append(SEEN[1]() is None)

        kept_before = len(KEPT)
        self.assertPassed(run_tests(Passes))
        gc.collect()
        self.assertIsNone(SEEN[0](), "the dropped mock kept its argument")
        # test_2's mock is escaped (kept), never recycled; drop it now.
        del KEPT[kept_before:]
        gc.collect()
        self.assertIsNone(SEEN[1]())

    def test_given_back_mock_drops_its_arguments_at_the_next_test(self) -> None:
        """A recycled class mock keeps nothing of its last test's arguments."""

        class GivesBack(unittest.TestCase):
            def test_1(self) -> None:
                payload = Payload()
                SEEN.append(weakref.ref(payload))
                client_class = mock.create_autospec(Client)
                client_class(payload).get(payload)
                self.client_class = client_class  # alive until the test ends

            def test_2(self) -> None:
                gc.collect()
                SEEN.append(SEEN[0]() is None)

        self.assertPassed(run_tests(GivesBack))
        self.assertEqual(SEEN[1], True)

    def test_other_arguments_are_built(self) -> None:
        """A non-str _name, extra keyword arguments and a parent: fresh builds."""

        class Others(unittest.TestCase):
            def test_1(self) -> None:
                for _ in range(2):
                    mock.create_autospec(Client, _name=("not", "str"))
                    mock.create_autospec(Client, name="named")

        self.assertPassed(run_tests(Others))
        self.assertEqual(list(spec_pools.all_pools()), [])


class SwitchedOffTests(unittest.TestCase):
    def setUp(self) -> None:
        installation = mockpool.install()
        self.addCleanup(installation.undo)
        spec_pools.clear()
        self.addCleanup(spec_pools.clear)

    def test_class_mocks_are_built_while_class_pools_are_off(self) -> None:
        """By default every class mock is a fresh build, and no pool is made."""
        self.assertIs(spec_pools.CLASS_POOLS, False)
        seen: list[int] = []
        target = f"{__name__}.Client"

        class Twice(unittest.TestCase):
            def test_1(self) -> None:
                seen.append(id(mock.create_autospec(Client)))
                with mock.patch(target, autospec=True) as client_class:
                    seen.append(id(client_class))

            test_2 = test_1

        result = run_tests(Twice)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(len(seen), 4)
        self.assertEqual(list(spec_pools.all_pools()), [])
        self.assertIsNone(spec_pools.class_spec_pool(Client, False, None))


class LimitsAndForkTests(unittest.TestCase):
    def setUp(self) -> None:
        switch_class_pools_on(self)
        spec_pools.clear()
        self.addCleanup(spec_pools.clear)

    def test_class_pools_count_toward_the_limit(self) -> None:
        """SPEC_POOLS bounds instance and class pools together."""
        small: PriorityCache[Any, Any] = PriorityCache(
            2, priority=spec_pools._pool_priority
        )
        with mock.patch.object(spec_pools, "_pools", small):
            spec_pools.spec_pool(Client, False)
            spec_pools.class_spec_pool(Client, False, None)
            spec_pools.class_spec_pool(Client, False, "Client")
            self.assertEqual(len(list(spec_pools.all_pools())), 2)

    def test_instance_and_class_pools_are_distinct(self) -> None:
        """The same class, spec_set and name never share a pool across kinds."""
        instance_pool = spec_pools.spec_pool(Client, True)
        class_pool = spec_pools.class_spec_pool(Client, True, None)
        self.assertIsNot(instance_pool, class_pool)
        self.assertIs(class_pool, spec_pools.class_spec_pool(Client, True, None))
        assert class_pool is not None
        self.assertFalse(class_pool.instance)

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_forked_child_starts_with_no_class_pools(self) -> None:
        """The parent's idle class mocks are not the child's."""
        pool = spec_pools.class_spec_pool(Client, False, None)
        assert pool is not None
        lease = pool.acquire()
        holder = {0: lease}
        del lease
        pool.release(holder, 0)
        self.assertEqual(pool.stats().idle, 1)
        with warnings.catch_warnings():
            # fork() in a process with threads warns on 3.12+.
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            os._exit(0 if not list(spec_pools.all_pools()) else 1)
        _, status = os.waitpid(child, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)


if __name__ == "__main__":
    unittest.main()
