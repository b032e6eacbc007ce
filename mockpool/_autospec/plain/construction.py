"""``NonCallableMock.__new__`` and the magic mixins' ``__init__``, made cheaper.

``__new__`` is where a mock's cost is decided: it binds its arguments to
find the spec (3.9-3.11 through a signature), makes the mock's own class
with ``type()``, and for a ``MagicMock`` leaves ``__init__`` to set ~80
magic proxies on it one by one (and, with a spec, delete most again).
Here each class the suite builds gets a :class:`Plan` once; the mock's
class comes from its :class:`~.class_reuse.Shape`, already holding the
shared proxies the stdlib's ``__init__`` would leave on it, so the
mixins' ``__init__`` can skip ``_mock_set_magics`` for that mock.

What may put a test's value on a mock's class (``__setattr__`` of a magic
name, ``_mock_set_magics``) first lets go of the class as a candidate for
reuse; in ``__setattr__``, from inside the stdlib's own magic branch
(:mod:`.releasing_setattr`), so that setting any other attribute costs
what the stdlib's does. A subclass that overrides construction,
positional arguments that do not bind, a copy made through
``__reduce_ex__`` (which calls ``__new__`` on the mock's own class and no
``__init__``) take the stdlib's path unchanged.
"""

from __future__ import annotations

import contextlib
import os
import threading

# Bound at import: a test may patch a builtin (a public suite patches
# builtins.map) while mockpool works for it.
from builtins import any, dict, issubclass, len, zip  # noqa: UP029
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from mockpool._autospec.disguise import disguised
from mockpool._autospec.plain.class_entries import Owner, owner_gone, release
from mockpool._autospec.plain.class_reuse import MAX_SHAPES, shape_of
from mockpool._autospec.plain.releasing_setattr import releasing_stdlib_setattr
from mockpool._autospec.plain.spec_records import spec_record
from mockpool._autospec.plain.stdlib import (
    ALL_MAGICS,
    CONSTRUCTOR_KEYWORDS,
    MAGICS,
    MOCK_MODULE_NAME,
    MOCK_SIG,
    NAMED_NEW,
    NEW_SIGNATURE,
    STDLIB_CLASSES,
    STDLIB_MODULE_CLASSES,
    AsyncMockMixin,
    CallableMixin,
    MagicMixin,
    MagicProxy,
    NonCallableMock,
    is_async_obj,
    mock_module,
    stdlib_async_magic_init,
    stdlib_callable_init,
    stdlib_magic_init,
    stdlib_new_function,
    stdlib_noncallable_init,
    stdlib_set_magics,
    stdlib_setattr,
)
from mockpool._base import fence as _fence

try:
    # Counter's own counting loop, in C; the same, in Python, where absent.
    from collections import (  # type: ignore[attr-defined]
        _count_elements,
    )
except ImportError:  # pragma: no cover - CPython 3.9-3.13 all have it
    from collections import Counter as _Counter

    def _count_elements(mapping: Any, iterable: Any) -> None:
        mapping.update(_Counter(iterable))


__all__ = [
    "SETATTR_REPLACEMENT",
    "accelerated_async_magic_init",
    "accelerated_magic_init",
    "accelerated_new",
    "accelerated_set_magics",
    "forget_plans",
    "COUNTED",
    "OTHER_SPEC",
    "observe",
    "take_counts",
    "uncounted_call",
    "uncounted",
]


class Plan:
    """How the mocks of one class are built."""

    __slots__ = (
        "count_key",
        "init",
        "init_parameters",
        "is_async",
        "magic",
        "magics",
        "own_class",
        "shape",
        "skip_set_magics",
        "tally",
    )

    def __init__(
        self,
        cls: type,
        init: Any,
        magic: bool,
        skip_set_magics: bool,
        own_class: bool = False,
    ) -> None:
        #: ``cls.__init__`` when the plan was made: a class changed since
        #: gets a new plan.
        self.init = init
        #: Its mocks get magic-method proxies.
        self.magic = magic
        #: Its ``__init__`` reaches the replaced mixin ``__init__`` before
        #: anything else, so ``_mock_set_magics`` may be skipped there.
        self.skip_set_magics = skip_set_magics
        #: It is a mock's own class (made by ``__new__``), called with
        #: arguments: a class statement with a mock as its base. Its plan
        #: is never kept, and without arguments (``copy``, ``pickle``) the
        #: stdlib's ``__new__`` runs.
        self.own_class = own_class
        #: What :func:`take_counts` counts a mock of it without a spec as;
        #: ``None`` (not counted) for a mock's own class: the report would
        #: keep the class.
        self.count_key: tuple[type, None] | None = None if own_class else (cls, None)
        #: Where a mock of it without a spec is counted: with the kinds that
        #: may wait past a test's end if *cls* is ``unittest.mock``'s own
        #: (the count names nothing of a test's), else with those taken at
        #: every test's end.
        self.tally = (COUNTED_STOCK if cls in STDLIB_CLASSES else COUNTED).append
        #: It is an ``AsyncMockMixin`` already: no spec makes it one.
        self.is_async = issubclass(cls, AsyncMockMixin)
        #: The names its ``__init__`` binds positional arguments to.
        self.init_parameters = (
            CALLABLE_INIT_PARAMETERS
            if issubclass(cls, CallableMixin)
            else NONCALLABLE_INIT_PARAMETERS
        )
        #: The proxies of its mocks without a spec: every one, or none.
        self.magics: tuple[str, ...] | None = MAGICS if magic else None
        #: The shape of its mocks without a spec, looked up once (its
        #: mocks with a spec look theirs up each time); ``None`` for a
        #: subclass a suite defines, whose shape is made afresh each time.
        self.shape = None
        if cls in STDLIB_CLASSES:
            shape = shape_of(cls, (cls,), self.magics)
            self.shape = shape if shape.keep else None


def _positional_parameters(init: Any) -> tuple[str, ...]:
    """The names *init* binds positional arguments to, after ``self``."""
    if init is None:
        return ()
    code = init.__code__
    return tuple(code.co_varnames[1 : code.co_argcount])


# Where __init__ puts positional arguments: a MagicMock's reach
# CallableMixin.__init__ (spec, side_effect, return_value, ...), a
# NonCallableMagicMock's NonCallableMock.__init__ (spec, wraps, name, ...).
CALLABLE_INIT_PARAMETERS = _positional_parameters(stdlib_callable_init)
NONCALLABLE_INIT_PARAMETERS = _positional_parameters(stdlib_noncallable_init)


# Names whose override in a subclass changes how a mock is constructed.
CONSTRUCTION_NAMES = (
    "__new__",
    "__init__",
    "__init_subclass__",
    "_mock_add_spec",
    "_mock_set_magics",
    "_mock_methods",
)

_plans: dict[type, Plan | None] = {}


def _plan_for(cls: Any) -> Plan | None:
    """The plan of *cls*, or ``None`` for the stdlib's ``__new__``."""
    init = cls.__init__
    known = STDLIB_CLASSES.get(cls)
    if known is not None:
        return Plan(cls, init, *known)
    if type(cls) is not type:
        return None
    # A subclass we build like its stdlib base: one that overrides nothing
    # that takes part in construction. A mock's own class (made by
    # __new__, named like its base) is one too if it holds nothing but
    # magic methods: it is called like a class when a class statement
    # names a mock as a base (the mock's class is then the metaclass).
    stdlib_base = None
    own_class = False
    for klass in cls.__mro__:
        if klass in STDLIB_CLASSES:
            stdlib_base = klass
            break
        namespace = klass.__dict__
        if klass in STDLIB_MODULE_CLASSES or any(
            name in namespace for name in CONSTRUCTION_NAMES
        ):
            return None
        if namespace.get("__module__") == MOCK_MODULE_NAME:
            if not _only_magics(namespace):
                return None
            own_class = True
    if stdlib_base is None:
        return None
    magic, skip = STDLIB_CLASSES[stdlib_base]
    return Plan(cls, init, magic, skip, own_class)


# What a mock's own class holds besides magic methods, as made by __new__.
_OWN_CLASS_NAMES = frozenset(("__doc__", "__module__"))


def _only_magics(namespace: Any) -> bool:
    """Whether a mock's own class holds only what mocks put there."""
    for name in namespace:
        if name not in ALL_MAGICS and name not in _OWN_CLASS_NAMES:
            return False
    return True


def _plan(cls: Any) -> Plan | None:
    plan = _plans.get(cls)
    if plan is not None and cls.__init__ is plan.init:
        return plan
    plan = _plan_for(cls)
    # Only classes a suite names at module level are kept (a handful, which
    # their modules hold anyway); mocks' own classes are planned afresh,
    # each being used once, and never kept (the class is a candidate for
    # reuse, and may hold a test's magic method); nor is a class defined
    # inside a function -- a test's own, which the plan would keep alive
    # after the test (contract 5).
    if (
        plan is not None
        and not plan.own_class
        and "<locals>" not in _TYPE_QUALNAME.__get__(cls)
    ):
        _plans[cls] = plan
    return plan


_TYPE_QUALNAME = type.__dict__["__qualname__"]


# The mocks' own classes whose proxies are final: their mixin __init__
# skips _mock_set_magics once, then forgets them.
_prepared: dict[type, bool] = {}


def _spec_argument(cls: type, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    """The spec ``NonCallableMock.__new__`` tests for async-ness."""
    if args or "self" in kw or "cls" in kw:
        if NAMED_NEW:
            # Bind as a call would; a bad call is left to the stdlib to
            # reject, with its own message.
            try:
                arguments = NEW_SIGNATURE.bind_partial(cls, *args, **kw).arguments
            except TypeError:
                return _BAD_CALL
            return arguments.get("spec_set") or arguments.get("spec")
        arguments = MOCK_SIG.bind_partial(cls, *args, **kw).arguments
        return arguments.get("spec_set", arguments.get("spec"))
    if NAMED_NEW:
        return kw.get("spec_set") or kw.get("spec")
    if "spec_set" in kw:
        return kw["spec_set"]
    return kw.get("spec")


_BAD_CALL = object()


def _init_keywords(
    parameters: tuple[str, ...], args: tuple[Any, ...], kw: dict[str, Any]
) -> dict[str, Any] | None:
    """*args* and *kw* as keywords, bound as ``__init__`` binds them.

    ``None`` for a call ``__init__`` rejects (left to it, with its message).
    """
    if not args:
        return kw
    if len(args) > len(parameters):
        return None
    keywords = dict(zip(parameters, args))
    for key in kw:
        if key in keywords:
            return None
    keywords.update(kw)
    return keywords


def _final_magics(
    parameters: tuple[str, ...], args: tuple[Any, ...], kw: dict[str, Any]
) -> tuple[str, ...] | None:
    """The proxies the stdlib's ``__init__`` leaves on the mock's class.

    ``None`` when that cannot be known before ``__init__`` runs: a call it
    rejects, a spec we do not record, or ``configure_mock`` keywords that
    may touch magic methods while the stdlib has all of them set.
    *parameters* are the names positional arguments bind to.
    """
    bound = _init_keywords(parameters, args, kw)
    if bound is None:
        return None
    kw = bound
    spec = kw.get("spec_set")
    if spec is None:
        spec = kw.get("spec")
    if spec is None:
        return MAGICS
    for key in kw:
        if key.startswith("_") and key not in CONSTRUCTOR_KEYWORDS:
            return None
    eat_self = kw.get("_eat_self")
    if eat_self is None:
        eat_self = kw.get("parent") is not None
    record = spec_record(spec, kw.get("_spec_as_instance", False), eat_self)
    if record is None:
        return None
    if record.magics is None:
        try:
            names = set(spec)
        except Exception:  # the stdlib's own intersection will raise it
            return None
        magics = tuple(name for name in MAGICS if name in names)
        # One object per combination, so that its mocks share a shape.
        if len(_list_spec_magics) < MAX_SHAPES:
            magics = _list_spec_magics.setdefault(magics, magics)
        return magics
    return record.magics


_list_spec_magics: dict[tuple[str, ...], tuple[str, ...]] = {}


def accelerated_new(cls: Any, /, *args: Any, **kw: Any) -> Any:
    plan = _plans.get(cls)
    if plan is None or cls.__init__ is not plan.init:
        plan = _plan(cls)
    if (
        plan is None
        or mock_module.MagicProxy is not MagicProxy
        # No arguments: copy's or pickle's __new__, with no __init__ after.
        or (plan.own_class and not (args or kw))
    ):
        return stdlib_new_function(cls, *args, **kw)
    spec_arg = None
    magics = plan.magics
    # A mock without a spec has every proxy (MagicMock) or none (Mock): the
    # ones the stdlib's __init__ leaves, known before it runs.
    skip = plan.magic and plan.skip_set_magics
    shape = plan.shape
    bases: tuple[type, ...] = (cls,)
    # Keywords alone, none of them a spec (or the self and cls that make a
    # call the stdlib rejects) -- every child mock (parent=, name=...) and
    # most mocks patch makes -- leave the defaults above as they are: the
    # branch below would find no spec and every proxy, through two calls.
    if args or (
        kw and ("spec" in kw or "spec_set" in kw or "self" in kw or "cls" in kw)
    ):
        if not plan.is_async:
            spec_arg = _spec_argument(cls, args, kw)
            if spec_arg is _BAD_CALL:
                return stdlib_new_function(cls, *args, **kw)
            if spec_arg is not None and is_async_obj(spec_arg):
                bases = (AsyncMockMixin, cls)
        elif (
            # With named parameters the stdlib's __new__ rejects a bad call
            # itself, for every class.
            NAMED_NEW
            and (args or "self" in kw or "cls" in kw)
            and _spec_argument(cls, args, kw) is _BAD_CALL
        ):
            return stdlib_new_function(cls, *args, **kw)
        if plan.magic:
            magics = (
                _final_magics(plan.init_parameters, args, kw)
                if plan.skip_set_magics
                else None
            )
            if magics is None:
                # All of them: what the stdlib's first _mock_set_magics
                # leaves, before __init__ looks at anything. Its calls
                # still run.
                magics = MAGICS
                skip = False
        if len(bases) != 1 or magics is not plan.magics:
            shape = None
    if shape is None:
        shape = shape_of(cls, bases, magics)
    entry, mock_class = shape.entry()
    instance = super(NonCallableMock, cls).__new__(mock_class)
    # ClassEntry.serve, inline: a frame per mock (of ~8) saved.
    owner = Owner(instance, owner_gone)
    owner.entry = entry
    entry.owner = owner
    if skip:
        _prepared[mock_class] = True
    if _counting:
        # An append of a key made once per plan, for a mock without a spec:
        # a call per mock into the report cost as much as a third of what a
        # Mock() saves; a dict updated in place, five times the append
        # (callgrind, 3.13), and it could count a mock twice between threads.
        if spec_arg is None:
            plan.tally(plan.count_key)
        elif not plan.own_class:
            # type(spec), not isinstance(): that reads spec.__class__, which
            # a proxy may refuse. A spec that is no class is not kept: it
            # may be a test's own object.
            _tally((cls, spec_arg if issubclass(type(spec_arg), type) else OTHER_SPEC))
    return instance


#: Stands for a spec that is not a class, in :func:`take_counts`.
OTHER_SPEC: Any = object()
# Whether mocks built here are counted (see observe).
_counting = False
#: The kinds of the mocks counted since :func:`take_counts` last took them,
#: one entry per mock (``None`` for one not counted), live: empty (false)
#: when no mock was counted since (read them, don't change them). Two lists:
#: a kind that may name a test's own class (a mock subclass, a spec) is to
#: be taken when the test ends, or the count would keep the class alive
#: past it (contract 5); one that names only ``unittest.mock``'s own
#: classes -- most mocks: ``Mock()``, ``MagicMock()``, their children -- may
#: wait, and be taken a few hundred at a time.
COUNTED: list[tuple[type, Any] | None] = []
COUNTED_STOCK: list[tuple[type, None] | None] = []
_tally = COUNTED.append


def observe(on: bool) -> None:
    """Count every mock this module builds while *on* (see :func:`take_counts`).

    The run report counts them, to say what plain mocks saved against the
    stdlib (:mod:`mockpool._reporting.plain_cost`).
    """
    global _counting
    with _uncounting:
        _counting = on
        COUNTED.clear()
        COUNTED_STOCK.clear()


@contextlib.contextmanager
def uncounted() -> Iterator[None]:
    """Count none of the mocks built meanwhile: the ones mockpool builds
    for itself (the run report measuring what a kind costs) are no test's.
    Mocks another thread builds meanwhile go uncounted too: the count is
    an estimate's input."""
    global _counting
    # Held throughout: two threads' windows never interleave, so the
    # setting put back is always the one found (and observe waits).
    with _uncounting:
        counting, _counting = _counting, False
        try:
            yield
        finally:
            _counting = counting


_T = TypeVar("_T")


def uncounted_call(function: Callable[..., _T], *args: Any) -> _T:
    """``function(*args)``, counting none of the mocks built meanwhile (as
    :func:`uncounted`): mocks built as part of something the report counts
    on its own -- a function autospec, which it prices as an autospec. A
    call rather than :func:`uncounted`'s generator, which costs a
    microsecond more on every autospec."""
    global _counting
    with _uncounting:
        counting, _counting = _counting, False
        try:
            return function(*args)
        finally:
            _counting = counting


# Reentrant: a mock built uncounted may build others the same way.
_uncounting = threading.RLock()


_taking = threading.Lock()


def _reinit_after_fork() -> None:
    # A lock another thread held at the fork is never released in the
    # child: the child's first autospec or count would wait forever.
    global _taking, _uncounting
    _taking = threading.Lock()
    _uncounting = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)


def take_counts() -> dict[tuple[type, Any], int]:
    """The mocks built since the last call, by kind, and start again.

    A kind is (the mock's class, its ``spec``/``spec_set`` if that is a
    class, :data:`OTHER_SPEC` if it is anything else, or None). A mock
    another thread builds meanwhile is counted now or by the next call,
    never lost nor counted twice.
    """
    if not (COUNTED or COUNTED_STOCK):
        return {}
    # One taker at a time (tests may end in several threads at once): two
    # that copied the same entries would each count them.
    with _taking:
        taken = COUNTED[:]
        # Only what was copied: appends go to the end meanwhile.
        del COUNTED[: len(taken)]
        stock = COUNTED_STOCK[:]
        del COUNTED_STOCK[: len(stock)]
    counts: dict[Any, int] = {}
    try:
        _count_elements(counts, taken)
    except Exception as error:  # bookkeeping: never the test's failure
        # A spec class whose metaclass's __hash__ raises: the others count.
        # (Taken once per test: one warning per test at most.)
        _fence.warn_failure("run report", error)
        counts = {}
        for key in taken:
            with contextlib.suppress(Exception):
                counts[key] = counts.get(key, 0) + 1
    counts.pop(None, None)
    # unittest.mock's own classes: hashed as types are, never raising.
    _count_elements(counts, stock)
    return counts


# -- what may put a test's value on a mock's class ------------------------------


def accelerated_setattr(self: Any, name: str, value: Any) -> None:
    if name in ALL_MAGICS:
        # NonCallableMock.__setattr__ sets magic methods on the class.
        release(type(self))
    stdlib_setattr(self, name, value)


def accelerated_set_magics(self: Any) -> None:
    # Its proxies point at the mock: the class no longer is a template.
    release(type(self))
    stdlib_set_magics(self)


def accelerated_magic_init(self: Any, /, *args: Any, **kw: Any) -> None:
    if _prepared.pop(type(self), False):
        # The proxies are already those the two _mock_set_magics calls
        # around this would leave.
        super(MagicMixin, self).__init__(*args, **kw)
    else:
        stdlib_magic_init(self, *args, **kw)


def accelerated_async_magic_init(self: Any, /, *args: Any, **kw: Any) -> None:
    if _prepared.pop(type(self), False):
        # AsyncMagicMixin.__init__ and the MagicMixin.__init__ it calls
        # would each call _mock_set_magics twice, to no effect.
        super(MagicMixin, self).__init__(*args, **kw)
    else:
        stdlib_async_magic_init(self, *args, **kw)


#: The ``__setattr__`` every accelerated mock class has while enabled
#: (introspecting as the stdlib's), made once so that the one-pass
#: ``__init__`` can tell a class that overrides it.
SETATTR_REPLACEMENT: Any = releasing_stdlib_setattr() or disguised(
    accelerated_setattr, stdlib_setattr
)


def forget_plans() -> None:
    """Drop every plan and pending skip (when the last user disables)."""
    _prepared.clear()
    _plans.clear()
