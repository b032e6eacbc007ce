"""Bad input: every public callable and command refuses it with a clear error.

:data:`CASES` is one table of bad calls. Each Python case is the call as
the docs show it, the public callable it exercises, a function that makes
the call on a fresh :class:`World`, the exception class it must raise
(exactly that class), and fragments that must appear in the message, in
order -- together a regex (:attr:`PyCase.pattern`); by convention the first
fragment names the offending value and the last says what to pass instead.
Each case also checks that the refused call changed nothing: the
registries, the pools, the sessions and their patches, the patched module,
the test class and the drop-in installation are compared before and after
(:meth:`World.snapshot`). Each command-line case runs ``python -m mockpool``
in a scratch directory and checks the exit status, the message on standard
error (and that it is not a traceback), and that the directory is
unchanged.

Three kinds of error appear (:attr:`PyCase.kind`):

* ``mockpool``: mockpool's own check; the class is a
  :class:`~mockpool.MockPoolError` that also derives from the builtin code
  written against :mod:`unittest.mock` catches.
* ``mirror``: mockpool's own check for a mistake :mod:`unittest.mock` or
  Python refuses the same way; the class is that builtin (``session.patch``
  takes ``mock.patch``'s arguments and fails as it does).
* ``python``: raised by Python or the standard library themselves and left
  alone. Where a case has a *twin* -- the same call made on
  :mod:`unittest.mock` -- the class and the whole message must be the
  twin's: mockpool's ``create_autospec`` and ``patch`` fail exactly as the
  stdlib's do.

:func:`public_callables` lists every callable that ``mockpool.__all__``
exposes (functions, constructors, public methods, ``patch``'s variants and
``session.patch``'s); :class:`CoverageTests` fails naming any without a
case, except the explicit :data:`NO_ARGUMENTS` and :data:`AWAITING_FIX`.

The table is also the documentation: ``python -m tests.test_bad_input
--write-docs`` rewrites the generated sections of ``docs/errors.rst`` (the
error tree and the bad-input tables, between marker comments), and
:class:`DocsTests` fails when the file differs from what it would write.
"""

from __future__ import annotations

import contextvars
import dataclasses
import inspect
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import typing
import unittest
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, Union
from unittest import mock

import mockpool
from mockpool import (
    ArgumentTypeError,
    DuplicateServiceError,
    InvalidArgumentError,
    InvalidDefaultsError,
    InvalidDependencyError,
    InvalidPolicyError,
    InvalidServiceSpecError,
    InvalidVariantError,
    MockPoolError,
    NoActiveSessionError,
    RegistrationError,
    RegistrationTypeError,
    SessionStateError,
    SpecResolutionError,
    UnknownServiceError,
)
from mockpool._base import stdlib as _stdlib
from mockpool._cli import main as _cli
from mockpool._pools import pool as _pool
from mockpool._sessions import patcher as _patcher
from mockpool._sessions import routing as _routing
from tests import _shop
from tests._shop import Clock, Mailer

_T = TypeVar("_T")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "errors.rst"

# Calls made with deliberately wrong arguments go through these, typed Any,
# so that mypy does not refuse what the cases are about.
mp: Any = mockpool
shop: Any = _shop
stdlib_mock: Any = mock
stdlib_autospec: Any = _stdlib.create_autospec
DEFAULT: Any = mock.DEFAULT

#: The kinds of error a case may expect (see the module docstring).
MOCKPOOL = "mockpool"
MIRROR = "mirror"
PYTHON = "python"


# -- the world the cases act on ------------------------------------------------


def _test_class() -> Any:
    """Return a fresh TestCase class for the unittest-integration cases."""

    class Tests(unittest.TestCase):
        def test_nothing(self) -> None:
            """Do nothing."""

    return Tests


def _mixin_test() -> Any:
    """Return a test of a valid user of the mixin, for the ``run`` case.

    Made on demand: a TestCase class at module level would be collected.
    """

    class MixinTests(mockpool.MockSessionMixin, unittest.TestCase):
        def test_nothing(self) -> None:
            """Do nothing."""

    return MixinTests("test_nothing")


#: The names the calls in the docs use, and what they stand for.
NAMES: tuple[tuple[str, str], ...] = (
    (
        "registry",
        'a ``Registry`` with two services: ``"mailer"`` (``Mailer``, defaults '
        '``{"host": "localhost"}``) and ``"clock"`` (``Clock``, '
        '``depends_on={"mailer": "mailer"}``)',
    ),
    (
        "partial",
        'a ``Registry`` with only ``"clock"``, whose dependency ``"mailer"`` is '
        "not registered",
    ),
    ("definition", '``registry.get("mailer")``'),
    ("pools", "a ``PoolManager(min_size=1, max_size=2)``"),
    ("pool", '``pools.pool_for(registry, "mailer")``'),
    ("system", "a ``MockSystem(registry, pools)``"),
    (
        "session",
        'an open ``MockSession`` on ``registry`` that has handed out ``"clock"`` '
        'and ``"mailer"``',
    ),
    ("closed", "a closed ``MockSession`` on ``registry``"),
    ("Tests", "a fresh ``unittest.TestCase`` subclass with a ``test_nothing``"),
    ("test", '``Tests("test_nothing")``'),
    (
        "shop, Mailer, Clock, send_mail",
        "the module ``tests._shop`` (a tiny application) and what it defines",
    ),
)


class World:
    """What the cases act on (see :data:`NAMES`), built afresh for each case."""

    def __init__(self) -> None:
        self.registry: Any = mockpool.Registry()
        self.registry.register("mailer", Mailer, defaults={"host": "localhost"})
        self.registry.register("clock", Clock, depends_on={"mailer": "mailer"})
        self.partial: Any = mockpool.Registry()
        self.partial.register("clock", Clock, depends_on={"mailer": "mailer"})
        self.definition: Any = self.registry.get("mailer")
        self.pools: Any = mockpool.PoolManager(min_size=1, max_size=2)
        self.pool: Any = self.pools.pool_for(self.registry, "mailer")
        self.system: Any = mockpool.MockSystem(self.registry, self.pools)
        self.closed: Any = mockpool.mock_session(
            self.registry, pools=self.pools, name="closed"
        )
        self.closed.open()
        self.closed.close()
        self.session: Any = mockpool.mock_session(
            self.registry, pools=self.pools, name="session"
        ).open()
        self.session.get("clock")
        self.Tests: Any = _test_class()
        self.test: Any = self.Tests("test_nothing")

    def close(self) -> None:
        """Close the open session."""
        self.session.close()

    def snapshot(self) -> dict[str, object]:
        """Return everything a refused call must leave as it was."""
        return {
            "registry": _services(self.registry),
            "partial registry": _services(self.partial),
            "default registry": _services(mockpool.default_registry),
            "pools": _pool_states(self.pools),
            "default pools": _pool_states(_pool.default_pools),
            "current session": mockpool.current_session(),
            "session": _session_state(self.session),
            "closed session": _session_state(self.closed),
            "drop-in": (mockpool.installed(), mock.create_autospec),
            "routed patches": set(_routing._slots),
            "stdlib patches": list(stdlib_mock._patch._active_patches),
            "shop": _namespace(vars(_shop)),
            "shop settings": dict(_shop.SETTINGS),
            "Mailer": _namespace(vars(Mailer)),
            "Clock": _namespace(vars(Clock)),
            "Tests": _namespace(vars(self.Tests)),
            "test": _namespace(vars(self.test)),
            "test cleanups": [entry[0] for entry in self.test._cleanups],
        }


def _services(registry: Any) -> list[tuple[str, int]]:
    """Return each service with the identity of its definition."""
    return [(name, id(registry.get(name))) for name in registry.names()]


def _pool_states(pools: Any) -> list[tuple[object, ...]]:
    """Return each pool's counters (not its leases: the collector moves them)."""
    states: list[tuple[object, ...]] = []
    for pool in pools.pools():
        stats = pool.stats()
        states.append(
            (id(pool), stats.acquired, stats.hits, stats.builds, stats.discards)
        )
        states.append((id(pool), stats.idle))
    return states


def _session_state(session: Any) -> tuple[object, ...]:
    """Return what a session has handed out, wired and patched."""
    return (
        session.closed,
        session.services(),
        session.patch.active,
        len(session._private),
        [(id(target), name, id(value)) for target, name, value in session._wiring],
    )


def _namespace(namespace: Any) -> dict[str, int]:
    """Return the identity of each value in a module's or a class's namespace."""
    return {
        name: id(value)
        for name, value in namespace.items()
        if not (name.startswith("__") and name.endswith("__"))
    }


def outside(function: Callable[..., _T], *args: Any) -> _T:
    """Call *function* in a context where no session is open."""
    return contextvars.Context().run(function, *args)


def started(patcher: Any) -> Any:
    """Start *patcher*; if that works, stop it again and return its value."""
    value = patcher.start()
    patcher.stop()
    return value


def within(patcher: Any, *args: Any) -> Any:
    """Call the mock *patcher* makes with *args*, inside its ``with`` block."""
    with patcher as patched:
        return patched(*args)


def set_attribute(target: Any, name: str, value: object) -> None:
    """``setattr``, as an expression for a case."""
    setattr(target, name, value)


def define(name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
    """Create a class, as a ``class`` statement would."""
    return type(name, bases, namespace)


# -- the cases ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PyCase:
    """A bad Python call and the error it must get."""

    #: The call, as the docs show it (names as in :data:`NAMES`).
    call: str
    #: The public callable it exercises, as :func:`public_callables` names it.
    covers: str
    #: Makes the call on a world.
    run: Callable[[World], object]
    #: The exception class, exactly.
    error: type[Exception]
    #: Fragments the message must contain, in this order.
    message: tuple[str, ...]
    #: ``"mockpool"``, ``"mirror"`` or ``"python"`` (see the module docstring).
    kind: str = MOCKPOOL
    #: The same call on the stdlib, which must fail identically.
    twin: Callable[[World], object] | None = None
    #: The heading the docs list it under.
    group: str = ""

    @property
    def pattern(self) -> str:
        """The regex the message must match."""
        return "(?s)" + ".*".join(re.escape(fragment) for fragment in self.message)


@dataclasses.dataclass(frozen=True)
class CliCase:
    """A bad command line and the error it must get."""

    #: The arguments after ``python -m mockpool``.
    argv: tuple[str, ...]
    #: Fragments standard error must contain, in this order.
    message: tuple[str, ...]
    #: The exit status.
    status: int = 2
    #: Files to create in the working directory first (a name ending in
    #: ``/`` is an empty directory).
    files: tuple[tuple[str, str], ...] = ()
    #: The heading the docs list it under.
    group: str = ""

    @property
    def call(self) -> str:
        """The command, as the docs show it."""
        return shlex.join(["python", "-m", "mockpool", *self.argv])

    @property
    def covers(self) -> str:
        """The subcommand it exercises (or the bare command)."""
        known = set(subcommands())
        if self.argv and self.argv[0] in known:
            return f"python -m mockpool {self.argv[0]}"
        return "python -m mockpool"

    @property
    def pattern(self) -> str:
        """The regex standard error must match."""
        return "(?s)" + ".*".join(re.escape(fragment) for fragment in self.message)


Case = Union[PyCase, CliCase]


def py(
    call: str,
    covers: str,
    run: Callable[[World], object],
    error: type[Exception],
    *message: str,
    kind: str = MOCKPOOL,
    twin: Callable[[World], object] | None = None,
) -> PyCase:
    """Return a :class:`PyCase` (keeps the table short)."""
    return PyCase(call, covers, run, error, message, kind, twin)


def cli(
    *argv: str,
    message: tuple[str, ...],
    status: int = 2,
    files: tuple[tuple[str, str], ...] = (),
) -> CliCase:
    """Return a :class:`CliCase`."""
    return CliCase(argv, message, status, files)


def section(title: str, *cases: Case) -> list[Case]:
    """Return *cases* listed under the heading *title*."""
    return [dataclasses.replace(case, group=title) for case in cases]


_NAME_HINT = "pass the name the service is registered under"
_UNKNOWN_MAILR = (
    "no service named 'mailr' is registered (did you mean 'mailer'?)",
    "register it first, or use one of 'mailer', 'clock'",
)
_VARIANTS = "use one of 'autospec', 'lazy', 'minimal', 'stub'"
_SERVICE_NAMES = "pass service names such as 'RedisService'"
_CORRUPT = '{"version": 1, "workers": [}'

CASES: list[Case] = [
    *section(
        "Registering services",
        py(
            "registry.register(42, Mailer)",
            "Registry.register",
            lambda w: w.registry.register(42, Mailer),
            RegistrationTypeError,
            "a service name must be a str, not 42",
            "use a name such as 'redis'",
        ),
        py(
            'registry.register("mail box", Mailer)',
            "Registry.register",
            lambda w: w.registry.register("mail box", Mailer),
            RegistrationError,
            "'mail box' is not a valid service name",
            "use ASCII letters, digits and '_'",
            "(such as 'mail_box')",
        ),
        py(
            'registry.register("mailer", Mailer)',
            "Registry.register",
            lambda w: w.registry.register("mailer", Mailer),
            DuplicateServiceError,
            "service 'mailer' is already registered",
            "pass replace=True to replace it, or unregister('mailer') first",
        ),
        py(
            'registry.register("sms", 42)',
            "Registry.register",
            lambda w: w.registry.register("sms", 42),
            InvalidServiceSpecError,
            "service 'sms': spec 42 is not a class",
            "pass its class, int, instead",
        ),
        py(
            'registry.register("sms", send_mail)',
            "Registry.register",
            lambda w: w.registry.register("sms", _shop.send_mail),
            InvalidServiceSpecError,
            "spec <function send_mail",
            "is not a class",
            "mock a function with unittest.mock.create_autospec instead",
        ),
        py(
            'registry.register("sms", "tests._shop.Mailer")',
            "Registry.register",
            lambda w: w.registry.register("sms", "tests._shop.Mailer"),
            SpecResolutionError,
            "spec path 'tests._shop.Mailer' is malformed",
            "write it as 'package.module:Class'",
            "(did you mean 'tests._shop:Mailer'?)",
        ),
        py(
            'registry.register("sms", "no_such_module:Mailer")',
            "Registry.register",
            lambda w: w.registry.register("sms", "no_such_module:Mailer"),
            SpecResolutionError,
            "spec path 'no_such_module:Mailer' does not resolve",
            "cannot import 'no_such_module'",
            "check the module name",
        ),
        py(
            'registry.register("sms", "tests._shop:Mailr")',
            "Registry.register",
            lambda w: w.registry.register("sms", "tests._shop:Mailr"),
            SpecResolutionError,
            "'tests._shop' has no attribute 'Mailr' (did you mean 'Mailer'?)",
            "correct the path",
        ),
        py(
            'registry.register("sms", "tests._shop:send_mail")',
            "Registry.register",
            lambda w: w.registry.register("sms", "tests._shop:send_mail"),
            InvalidServiceSpecError,
            "spec path 'tests._shop:send_mail' names <function send_mail",
            "which is not a class",
            "name the class whose instances the service mocks",
        ),
        py(
            'registry.register("sms", Mailer, instance="yes")',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, instance="yes"),
            RegistrationTypeError,
            "instance must be True or False, not 'yes'",
            "pass instance=True or instance=False",
        ),
        py(
            'registry.register("sms", Mailer, spec_set=1)',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, spec_set=1),
            RegistrationTypeError,
            "spec_set must be True or False, not 1",
            "pass spec_set=True or spec_set=False",
        ),
        py(
            'registry.register("mailer", Mailer, replace="yes")',
            "Registry.register",
            lambda w: w.registry.register("mailer", Mailer, replace="yes"),
            RegistrationTypeError,
            "replace must be True or False, not 'yes'",
            "pass replace=True or replace=False",
        ),
        py(
            'registry.register("sms", Mailer, True)',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, True),
            TypeError,
            "register() takes 3 positional arguments but 4 were given",
            kind=PYTHON,
        ),
        py(
            'registry.register("sms", Mailer, defaults=3)',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, defaults=3),
            RegistrationTypeError,
            "defaults must be a mapping of configure_mock paths to values",
            "not 3",
            "use for example {'get.return_value': None}",
        ),
        py(
            'registry.register("sms", Mailer, defaults={42: "x"})',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, defaults={42: "x"}),
            InvalidDefaultsError,
            "defaults key 42 is not a non-empty str",
            "use dotted configure_mock paths such as 'get.return_value'",
        ),
        py(
            'registry.register("sms", Mailer, defaults={"sned.return_value": True})',
            "Registry.register",
            lambda w: w.registry.register(
                "sms", Mailer, defaults={"sned.return_value": True}
            ),
            InvalidDefaultsError,
            "defaults key 'sned.return_value' does not apply",
            "has no attribute 'sned' (did you mean 'send'?)",
            "correct the path",
        ),
        py(
            'registry.register("sms", Mailer, spec_set=True, defaults={"port": 25})',
            "Registry.register",
            lambda w: w.registry.register(
                "sms", Mailer, spec_set=True, defaults={"port": 25}
            ),
            InvalidDefaultsError,
            "defaults key 'port' does not apply",
            "setting 'port' raised AttributeError(",
            "add 'port' to the spec, or register with spec_set=False",
        ),
        py(
            'registry.register("sms", Mailer, defaults={"host": Mock()})',
            "Registry.register",
            lambda w: w.registry.register(
                "sms", Mailer, defaults={"host": mock.Mock()}
            ),
            InvalidDefaultsError,
            "defaults value for 'host' is a mock",
            "would be shared by every instance",
            "create it in a configurator instead",
        ),
        py(
            'registry.register("sms", Mailer, defaults=lambda m: m.sned)',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, defaults=lambda m: m.sned),
            InvalidDefaultsError,
            "configurator",
            "raised AttributeError(",
            "'sned'",
            "add the attribute to the spec, or register with spec_set=False",
        ),
        py(
            'registry.register("sms", Mailer, depends_on=["clock"])',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, depends_on=["clock"]),
            RegistrationTypeError,
            "depends_on must be a mapping of attribute to service name",
            "not ['clock']",
            "use for example {'redis': 'redis'}",
        ),
        py(
            'registry.register("sms", Mailer, depends_on={"send": "clock"})',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, depends_on={"send": "clock"}),
            InvalidDependencyError,
            "depends_on attribute 'send' is a method of tests._shop.Mailer",
            "name the attribute that holds it instead",
        ),
        py(
            'registry.register("sms", Mailer, depends_on={"__class__": "clock"})',
            "Registry.register",
            lambda w: w.registry.register(
                "sms", Mailer, depends_on={"__class__": "clock"}
            ),
            InvalidDependencyError,
            "depends_on attribute '__class__' is a dunder name",
            "must be an ordinary attribute such as 'redis'",
        ),
        py(
            'registry.register("sms", Mailer, depends_on={"return_value": "clock"})',
            "Registry.register",
            lambda w: w.registry.register(
                "sms", Mailer, depends_on={"return_value": "clock"}
            ),
            InvalidDependencyError,
            "depends_on attribute 'return_value' is a name that unittest.mock "
            "defines or reserves",
            "rename the attribute in Mailer",
        ),
        py(
            'registry.register("sms", Mailer, depends_on={"clock": 42})',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, depends_on={"clock": 42}),
            InvalidDependencyError,
            "depends_on['clock'] must be the name of a service (a str), not 42",
            "register the dependency under a name and use that name",
        ),
        py(
            'registry.register("sms", Mailer, depends_on={"clock": "the clock"})',
            "Registry.register",
            lambda w: w.registry.register(
                "sms", Mailer, depends_on={"clock": "the clock"}
            ),
            InvalidDependencyError,
            "depends_on['clock'] is 'the clock', which is not a valid service name",
            "use the name the dependency is (or will be) registered under",
        ),
        py(
            'registry.register("sms", Mailer, spec_set=True, '
            'depends_on={"clock": "clock"})',
            "Registry.register",
            lambda w: w.registry.register(
                "sms", Mailer, spec_set=True, depends_on={"clock": "clock"}
            ),
            InvalidDependencyError,
            "depends_on attribute 'clock' is not declared by tests._shop.Mailer",
            "declare it as a class attribute",
            "or register with spec_set=False",
        ),
        py(
            'registry.register("timer", Clock, defaults={"mailer.host": "x"}, '
            'depends_on={"mailer": "mailer"})',
            "Registry.register",
            lambda w: w.registry.register(
                "timer",
                Clock,
                defaults={"mailer.host": "x"},
                depends_on={"mailer": "mailer"},
            ),
            InvalidDefaultsError,
            "defaults key 'mailer.host' sets attribute 'mailer', which depends_on "
            "wires to service 'mailer'",
            "set it on service 'mailer' instead",
        ),
        py(
            'registry.register("sms", Mailer, policy="high")',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, policy="high"),
            RegistrationTypeError,
            "a policy must be a Policy, a mapping of field to level, or None",
            "not 'high'",
            "use for example Policy(warming='high')",
        ),
        py(
            'registry.register("sms", Mailer, policy={"warming": "hot"})',
            "Registry.register",
            lambda w: w.registry.register("sms", Mailer, policy={"warming": "hot"}),
            InvalidPolicyError,
            "service 'sms': policy field 'warming' cannot be 'hot'",
            "use one of 'critical', 'high', 'medium', 'none'",
        ),
        py(
            "register(42, Mailer)  # the default registry",
            "register",
            lambda w: mp.register(42, Mailer),
            RegistrationTypeError,
            "a service name must be a str, not 42",
            "use a name such as 'redis'",
        ),
        py(
            "registry.configure(42)",
            "Registry.configure",
            lambda w: w.registry.configure(42),
            ArgumentTypeError,
            "a service name must be a str, not 42",
            _NAME_HINT,
        ),
        py(
            'registry.configure("mailr")(configurator)',
            "Registry.configure",
            lambda w: w.registry.configure("mailr")(lambda m: None),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            'registry.configure("mailer")(42)',
            "Registry.configure",
            lambda w: w.registry.configure("mailer")(42),
            RegistrationTypeError,
            "configure() decorates a function that takes the mock, not 42",
        ),
        py(
            'registry.configure("mailer")(lambda m: m.sned)',
            "Registry.configure",
            lambda w: w.registry.configure("mailer")(lambda m: m.sned),
            InvalidDefaultsError,
            "service 'mailer': configurator",
            "raised AttributeError(",
            "add the attribute to the spec, or register with spec_set=False",
        ),
    ),
    *section(
        "Looking services up",
        py(
            'registry.get("mailr")',
            "Registry.get",
            lambda w: w.registry.get("mailr"),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            "registry.get(None)",
            "Registry.get",
            lambda w: w.registry.get(None),
            ArgumentTypeError,
            "a service name must be a str, not None",
            _NAME_HINT,
        ),
        py(
            'registry.unregister("mailr")',
            "Registry.unregister",
            lambda w: w.registry.unregister("mailr"),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            "registry.unregister(42)",
            "Registry.unregister",
            lambda w: w.registry.unregister(42),
            ArgumentTypeError,
            "a service name must be a str, not 42",
            _NAME_HINT,
        ),
        py(
            'registry.dependencies("mailr")',
            "Registry.dependencies",
            lambda w: w.registry.dependencies("mailr"),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            'registry.build("mailer", variant="fast")',
            "Registry.build",
            lambda w: w.registry.build("mailer", variant="fast"),
            InvalidVariantError,
            "'fast' is not a mock variant",
            _VARIANTS,
        ),
        py(
            'registry.build("mailr")',
            "Registry.build",
            lambda w: w.registry.build("mailr"),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            "partial.validate()",
            "Registry.validate",
            lambda w: w.partial.validate(),
            UnknownServiceError,
            "service 'clock' depends on 'mailer' (attribute 'mailer'), which is "
            "not registered",
            "register the missing services",
        ),
        py(
            'unregister("no_such_service")  # the default registry',
            "unregister",
            lambda w: mp.unregister("no_such_service"),
            UnknownServiceError,
            "no service named 'no_such_service' is registered",
            "register it first",
        ),
        py(
            "unregister(42)",
            "unregister",
            lambda w: mp.unregister(42),
            ArgumentTypeError,
            "a service name must be a str, not 42",
            _NAME_HINT,
        ),
        py(
            'service_definition("no_such_service")',
            "service_definition",
            lambda w: mp.service_definition("no_such_service"),
            UnknownServiceError,
            "no service named 'no_such_service' is registered",
            "register it first",
        ),
        py(
            "service_definition(42)",
            "service_definition",
            lambda w: mp.service_definition(42),
            ArgumentTypeError,
            "a service name must be a str, not 42",
            _NAME_HINT,
        ),
        py(
            "definition.apply_defaults(create_autospec(Clock, spec_set=True, "
            "instance=True))",
            "ServiceDefinition.apply_defaults",
            lambda w: w.definition.apply_defaults(
                mockpool.create_autospec(Clock, spec_set=True, instance=True)
            ),
            InvalidDefaultsError,
            "service 'mailer': defaults key 'host' does not apply",
            "setting 'host' raised AttributeError(",
            "add 'host' to the spec or correct the path",
        ),
        py(
            'ServiceDefinition("sms")',
            "ServiceDefinition",
            lambda w: mp.ServiceDefinition("sms"),
            TypeError,
            "__init__() missing 1 required positional argument: 'spec'",
            kind=PYTHON,
        ),
    ),
    *section(
        "Policies and variants",
        py(
            'Policy(warming="hot")',
            "Policy",
            lambda w: mp.Policy(warming="hot"),
            InvalidPolicyError,
            "policy field 'warming' cannot be 'hot'",
            "use one of 'critical', 'high', 'medium', 'none'",
        ),
        py(
            'Policy(recovery="stub")',
            "Policy",
            lambda w: mp.Policy(recovery="stub"),
            InvalidPolicyError,
            "policy field 'recovery' cannot be 'stub'",
            "use one of 'template', 'minimal', 'critical'",
        ),
        py(
            "Policy(warming=1)",
            "Policy",
            lambda w: mp.Policy(warming=1),
            InvalidPolicyError,
            "policy field 'warming' cannot be 1",
            "use one of 'critical', 'high', 'medium', 'none'",
        ),
        py(
            'Policy(warmth="high")',
            "Policy",
            lambda w: mp.Policy(warmth="high"),
            TypeError,
            "__init__() got an unexpected keyword argument 'warmth'",
            kind=PYTHON,
        ),
        py(
            'Policy.levels("warmth")',
            "Policy.levels",
            lambda w: mp.Policy.levels("warmth"),
            InvalidPolicyError,
            "'warmth' is not a policy field",
            "use one of 'warming', 'sharing', 'adaptation', 'caching', 'recovery'",
            "(did you mean 'warming'?)",
        ),
        py(
            "Policy.coerce(42)",
            "Policy.coerce",
            lambda w: mp.Policy.coerce(42),
            RegistrationTypeError,
            "a policy must be a Policy, a mapping of field to level, or None, not 42",
            "use for example Policy(warming='high') or {'warming': 'high'}",
        ),
        py(
            'Policy.coerce({"warmng": "high"})',
            "Policy.coerce",
            lambda w: mp.Policy.coerce({"warmng": "high"}),
            InvalidPolicyError,
            "'warmng' is not a policy field",
            "(did you mean 'warming'?)",
        ),
        py(
            'Variant("fast")',
            "Variant",
            lambda w: mp.Variant("fast"),
            InvalidVariantError,
            "'fast' is not a mock variant",
            _VARIANTS,
        ),
        py(
            'Variant.coerce("fast")',
            "Variant.coerce",
            lambda w: mp.Variant.coerce("fast"),
            InvalidVariantError,
            "'fast' is not a mock variant",
            _VARIANTS,
        ),
        py(
            "Variant.coerce(None)",
            "Variant.coerce",
            lambda w: mp.Variant.coerce(None),
            InvalidVariantError,
            "None is not a mock variant",
            _VARIANTS,
        ),
        py(
            'build_mock(Mailer, instance="yes")',
            "build_mock",
            lambda w: mp.build_mock(Mailer, instance="yes"),
            ArgumentTypeError,
            "instance must be True or False, not 'yes'",
        ),
        py(
            'build_mock(Mailer, "fast")',
            "build_mock",
            lambda w: mp.build_mock(Mailer, "fast"),
            InvalidVariantError,
            "'fast' is not a mock variant",
            _VARIANTS,
        ),
    ),
    *section(
        "create_autospec: the stdlib's errors, exactly",
        py(
            "create_autospec()",
            "create_autospec",
            lambda w: mp.create_autospec(),
            TypeError,
            "create_autospec() missing 1 required positional argument: 'spec'",
            kind=PYTHON,
            twin=lambda w: stdlib_autospec(),
        ),
        py(
            "create_autospec(Mailer)(1, 2)",
            "create_autospec",
            lambda w: mp.create_autospec(Mailer)(1, 2),
            TypeError,
            "too many positional arguments",
            kind=PYTHON,
            twin=lambda w: stdlib_autospec(Mailer)(1, 2),
        ),
        py(
            "create_autospec(Mailer)()",
            "create_autospec",
            lambda w: mp.create_autospec(Mailer)(),
            TypeError,
            "missing a required argument: 'host'",
            kind=PYTHON,
            twin=lambda w: stdlib_autospec(Mailer)(),
        ),
        py(
            "create_autospec(Mailer, instance=True)()",
            "create_autospec",
            lambda w: mp.create_autospec(Mailer, instance=True)(),
            TypeError,
            "'NonCallableMagicMock' object is not callable",
            kind=PYTHON,
            twin=lambda w: stdlib_autospec(Mailer, instance=True)(),
        ),
        py(
            "create_autospec(Mailer, instance=True).send()",
            "create_autospec",
            lambda w: mp.create_autospec(Mailer, instance=True).send(),
            TypeError,
            "missing a required argument: 'to'",
            kind=PYTHON,
            twin=lambda w: stdlib_autospec(Mailer, instance=True).send(),
        ),
        py(
            'create_autospec(Mailer, instance=True).send("a", "b", cc="c")',
            "create_autospec",
            lambda w: mp.create_autospec(Mailer, instance=True).send("a", "b", cc="c"),
            TypeError,
            "got an unexpected keyword argument 'cc'",
            kind=PYTHON,
            twin=lambda w: stdlib_autospec(Mailer, instance=True).send(
                "a", "b", cc="c"
            ),
        ),
        py(
            "create_autospec(Mailer, instance=True).sned",
            "create_autospec",
            lambda w: mp.create_autospec(Mailer, instance=True).sned,
            AttributeError,
            "Mock object has no attribute 'sned'",
            kind=PYTHON,
            twin=lambda w: stdlib_autospec(Mailer, instance=True).sned,
        ),
        py(
            "create_autospec(Mailer, spec_set=True, instance=True).sned = 1",
            "create_autospec",
            lambda w: set_attribute(
                mp.create_autospec(Mailer, spec_set=True, instance=True), "sned", 1
            ),
            AttributeError,
            "Mock object has no attribute 'sned'",
            kind=PYTHON,
            twin=lambda w: set_attribute(
                stdlib_autospec(Mailer, spec_set=True, instance=True), "sned", 1
            ),
        ),
        py(
            'create_autospec(send_mail)("a")',
            "create_autospec",
            lambda w: mp.create_autospec(_shop.send_mail)("a"),
            TypeError,
            "missing a required argument: 'body'",
            kind=PYTHON,
            twin=lambda w: stdlib_autospec(_shop.send_mail)("a"),
        ),
    ),
    *section(
        "patch: the stdlib's errors, exactly",
        py(
            "patch(42)",
            "patch",
            lambda w: mp.patch(42),
            TypeError,
            "Need a valid target to patch. You supplied: 42",
            kind=PYTHON,
            twin=lambda w: stdlib_mock.patch(42),
        ),
        py(
            'patch("send_mail")',
            "patch",
            lambda w: mp.patch("send_mail"),
            TypeError,
            "Need a valid target to patch. You supplied: 'send_mail'",
            kind=PYTHON,
            twin=lambda w: stdlib_mock.patch("send_mail"),
        ),
        py(
            'patch("tests._shop.sned_mail").start()',
            "patch",
            lambda w: started(mp.patch("tests._shop.sned_mail")),
            AttributeError,
            "does not have the attribute 'sned_mail'",
            kind=PYTHON,
            twin=lambda w: started(stdlib_mock.patch("tests._shop.sned_mail")),
        ),
        py(
            'patch("no_such_module.send_mail").start()',
            "patch",
            lambda w: started(mp.patch("no_such_module.send_mail")),
            ModuleNotFoundError,
            "No module named 'no_such_module'",
            kind=PYTHON,
            twin=lambda w: started(stdlib_mock.patch("no_such_module.send_mail")),
        ),
        py(
            'patch("tests._shop.send_mail", new=None, new_callable=list)',
            "patch",
            lambda w: mp.patch("tests._shop.send_mail", new=None, new_callable=list),
            ValueError,
            "Cannot use 'new' and 'new_callable' together",
            kind=PYTHON,
            twin=lambda w: stdlib_mock.patch(
                "tests._shop.send_mail", new=None, new_callable=list
            ),
        ),
        py(
            'patch("tests._shop.send_mail", new=None, autospec=True).start()',
            "patch",
            lambda w: started(
                mp.patch("tests._shop.send_mail", new=None, autospec=True)
            ),
            TypeError,
            "autospec creates the mock for you. Can't specify autospec and new.",
            kind=PYTHON,
            twin=lambda w: started(
                stdlib_mock.patch("tests._shop.send_mail", new=None, autospec=True)
            ),
        ),
        py(
            'with patch("tests._shop.send_mail", autospec=True) as send: send("a")',
            "patch",
            lambda w: within(mp.patch("tests._shop.send_mail", autospec=True), "a"),
            TypeError,
            "missing a required argument: 'body'",
            kind=PYTHON,
            twin=lambda w: within(
                stdlib_mock.patch("tests._shop.send_mail", autospec=True), "a"
            ),
        ),
        py(
            'patch.object("tests._shop", "send_mail")',
            "patch.object",
            lambda w: mp.patch.object("tests._shop", "send_mail"),
            TypeError,
            "'tests._shop' must be the actual object to be patched, not a str",
            kind=PYTHON,
            twin=lambda w: stdlib_mock.patch.object("tests._shop", "send_mail"),
        ),
        py(
            'patch.object(shop, "sned_mail").start()',
            "patch.object",
            lambda w: started(mp.patch.object(_shop, "sned_mail")),
            AttributeError,
            "does not have the attribute 'sned_mail'",
            kind=PYTHON,
            twin=lambda w: started(stdlib_mock.patch.object(_shop, "sned_mail")),
        ),
        py(
            "patch.multiple(shop)",
            "patch.multiple",
            lambda w: mp.patch.multiple(_shop),
            ValueError,
            "Must supply at least one keyword argument with patch.multiple",
            kind=PYTHON,
            twin=lambda w: stdlib_mock.patch.multiple(_shop),
        ),
        py(
            "patch.dict(42).start()",
            "patch.dict",
            lambda w: started(mp.patch.dict(42)),
            TypeError,
            "'int' object is not iterable",
            kind=PYTHON,
            twin=lambda w: started(stdlib_mock.patch.dict(42)),
        ),
        py(
            'patch.dict(shop.SETTINGS, [("currency",)])',
            "patch.dict",
            lambda w: mp.patch.dict(_shop.SETTINGS, [("currency",)]),
            ValueError,
            "dictionary update sequence element #0 has length 1; 2 is required",
            kind=PYTHON,
            twin=lambda w: stdlib_mock.patch.dict(_shop.SETTINGS, [("currency",)]),
        ),
    ),
    *section(
        "Sessions",
        py(
            "MockSession(42)",
            "MockSession",
            lambda w: mp.MockSession(42),
            ArgumentTypeError,
            "registry must be a mockpool.Registry or None, not 42",
            "pass registry=mockpool.Registry()",
        ),
        py(
            "MockSession(registry, pools=42)",
            "MockSession",
            lambda w: mp.MockSession(w.registry, pools=42),
            ArgumentTypeError,
            "pools must be a mockpool.PoolManager or None, not 42",
            "pass pools=mockpool.PoolManager()",
        ),
        py(
            "mock_session(registry, name=42)",
            "mock_session",
            lambda w: mp.mock_session(w.registry, name=42),
            ArgumentTypeError,
            "name must be a str or None, not 42",
            "pass a label such as name='test_login'",
        ),
        py(
            'mock_session("registry")',
            "mock_session",
            lambda w: mp.mock_session("registry"),
            ArgumentTypeError,
            "registry must be a mockpool.Registry or None, not 'registry'",
            "pass registry=mockpool.Registry()",
        ),
        py(
            "session.get(42)",
            "MockSession.get",
            lambda w: w.session.get(42),
            ArgumentTypeError,
            "a service name must be a str, not 42",
            _NAME_HINT,
        ),
        py(
            'session.get("mailr")',
            "MockSession.get",
            lambda w: w.session.get("mailr"),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            'closed.get("mailer")',
            "MockSession.get",
            lambda w: w.closed.get("mailer"),
            SessionStateError,
            "session 'closed' is closed",
            "open a new one with mockpool.mock_session()",
        ),
        py(
            "session.open()",
            "MockSession.open",
            lambda w: w.session.open(),
            SessionStateError,
            "session 'session' is already open",
            "open a new session with mockpool.mock_session()",
        ),
        py(
            "closed.open()",
            "MockSession.open",
            lambda w: w.closed.open(),
            SessionStateError,
            "session 'closed' is already closed",
            "open a new session with mockpool.mock_session()",
        ),
        py(
            "mock_session(partial).open()",
            "MockSession.open",
            lambda w: mp.mock_session(w.partial).open(),
            UnknownServiceError,
            "service 'clock' depends on 'mailer' (attribute 'mailer'), which is "
            "not registered",
            "register the missing services",
        ),
        py(
            "closed.clear()",
            "MockSession.clear",
            lambda w: w.closed.clear(),
            SessionStateError,
            "session 'closed' is closed",
            "open a new one with mockpool.mock_session()",
        ),
        py(
            "closed.reset()",
            "MockSession.reset",
            lambda w: w.closed.reset(),
            SessionStateError,
            "session 'closed' is closed",
            "open a new one with mockpool.mock_session()",
        ),
        py(
            'session.mocks["mailr"]',
            "MockNamespace",
            lambda w: w.session.mocks["mailr"],
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            "session.mocks.mailr",
            "MockNamespace",
            lambda w: w.session.mocks.mailr,
            AttributeError,
            *_UNKNOWN_MAILR,
            kind=MIRROR,
        ),
        py(
            "session.mocks[42]",
            "MockNamespace",
            lambda w: w.session.mocks[42],
            ArgumentTypeError,
            "a service name must be a str, not 42",
            _NAME_HINT,
        ),
        py(
            "MockNamespace(42)",
            "MockNamespace",
            lambda w: mp.MockNamespace(42),
            ArgumentTypeError,
            "MockNamespace() shows the mocks of a MockSession, not 42",
            "use session.mocks of an open session instead",
        ),
    ),
    *section(
        "Patching through a session",
        py(
            "session.patch(42)",
            "MockSession.patch",
            lambda w: w.session.patch(42),
            TypeError,
            "Need a valid target to patch. You supplied: 42",
            "pass 'package.module.attribute', or use patch.object(obj, 'attribute')",
            kind=MIRROR,
        ),
        py(
            'session.patch("send_mail")',
            "MockSession.patch",
            lambda w: w.session.patch("send_mail"),
            TypeError,
            "Need a valid target to patch. You supplied: 'send_mail'",
            "pass 'package.module.attribute'",
            kind=MIRROR,
        ),
        py(
            'session.patch("tests._shop.sned_mail")',
            "MockSession.patch",
            lambda w: w.session.patch("tests._shop.sned_mail"),
            AttributeError,
            "does not have the attribute 'sned_mail'",
            "check the name, or pass create=True to add it",
            kind=MIRROR,
        ),
        py(
            'session.patch("no_such_module.send_mail")',
            "MockSession.patch",
            lambda w: w.session.patch("no_such_module.send_mail"),
            ModuleNotFoundError,
            "No module named 'no_such_module'",
            kind=PYTHON,
            twin=lambda w: started(stdlib_mock.patch("no_such_module.send_mail")),
        ),
        py(
            'session.patch("tests._shop.send_mail", new=None, autospec=True)',
            "MockSession.patch",
            lambda w: w.session.patch("tests._shop.send_mail", new=None, autospec=True),
            TypeError,
            "autospec creates the mock for you. Can't specify autospec and new.",
            kind=MIRROR,
            twin=lambda w: started(
                stdlib_mock.patch("tests._shop.send_mail", new=None, autospec=True)
            ),
        ),
        py(
            'session.patch("tests._shop.send_mail", service=42)',
            "MockSession.patch",
            lambda w: w.session.patch("tests._shop.send_mail", service=42),
            ArgumentTypeError,
            "service must be the name of a registered service (a str), not 42",
            "pass a name such as service='RedisService'",
        ),
        py(
            'session.patch("tests._shop.send_mail", service="mailr")',
            "MockSession.patch",
            lambda w: w.session.patch("tests._shop.send_mail", service="mailr"),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            'session.patch("tests._shop.send_mail", new=None, service="mailer")',
            "MockSession.patch",
            lambda w: w.session.patch(
                "tests._shop.send_mail", new=None, service="mailer"
            ),
            InvalidArgumentError,
            "Cannot use 'new' and 'service' together",
            "drop new=None or service",
        ),
        py(
            'session.patch("tests._shop.send_mail", autospec=True, service="mailer")',
            "MockSession.patch",
            lambda w: w.session.patch(
                "tests._shop.send_mail", autospec=True, service="mailer"
            ),
            ArgumentTypeError,
            "service='mailer' supplies the mock; can't also use autospec=True",
            "Register the service with the spec instead",
        ),
        py(
            'session.patch("tests._shop.send_mail", service="mailer", '
            "return_value=True)",
            "MockSession.patch",
            lambda w: w.session.patch(
                "tests._shop.send_mail", service="mailer", return_value=True
            ),
            ArgumentTypeError,
            "Can't pass kwargs to a mock we aren't creating",
            "configure return_value on session.get('mailer') instead",
        ),
        py(
            'closed.patch("tests._shop.send_mail")',
            "MockSession.patch",
            lambda w: w.closed.patch("tests._shop.send_mail"),
            SessionStateError,
            "session 'closed' is closed, so a patch made through it would never "
            "be undone",
            "patch through an open session",
        ),
        py(
            'session.patch.object("tests._shop", "send_mail")',
            "MockSession.patch.object",
            lambda w: w.session.patch.object("tests._shop", "send_mail"),
            TypeError,
            "'tests._shop' must be the actual object to be patched, not a str",
            "use session.patch('tests._shop.send_mail') for a dotted name",
            kind=MIRROR,
        ),
        py(
            'session.patch.object(shop, "sned_mail")',
            "MockSession.patch.object",
            lambda w: w.session.patch.object(_shop, "sned_mail"),
            AttributeError,
            "does not have the attribute 'sned_mail'",
            "check the name, or pass create=True to add it",
            kind=MIRROR,
        ),
        py(
            "session.patch.object(shop, 42)",
            "MockSession.patch.object",
            lambda w: w.session.patch.object(_shop, 42),
            TypeError,
            "attribute name must be string",
            kind=PYTHON,
            twin=lambda w: started(stdlib_mock.patch.object(_shop, 42)),
        ),
        py(
            'closed.patch.object(Mailer, "send")',
            "MockSession.patch.object",
            lambda w: w.closed.patch.object(Mailer, "send"),
            SessionStateError,
            "session 'closed' is closed",
            "patch through an open session",
        ),
        py(
            "session.patch.multiple(shop)",
            "MockSession.patch.multiple",
            lambda w: w.session.patch.multiple(_shop),
            ValueError,
            "Must supply at least one keyword argument with patch.multiple",
            kind=PYTHON,
            twin=lambda w: stdlib_mock.patch.multiple(_shop),
        ),
        py(
            "session.patch.multiple(shop, send_mail=DEFAULT, sned_mail=DEFAULT)",
            "MockSession.patch.multiple",
            lambda w: w.session.patch.multiple(
                _shop, send_mail=DEFAULT, sned_mail=DEFAULT
            ),
            AttributeError,
            "does not have the attribute 'sned_mail'",
            "check the name, or pass create=True to add it",
            kind=MIRROR,
        ),
        py(
            "closed.patch.multiple(shop, send_mail=DEFAULT)",
            "MockSession.patch.multiple",
            lambda w: w.closed.patch.multiple(_shop, send_mail=DEFAULT),
            SessionStateError,
            "session 'closed' is closed",
            "patch through an open session",
        ),
        py(
            "session.patch.dict(42)",
            "MockSession.patch.dict",
            lambda w: w.session.patch.dict(42),
            TypeError,
            "'int' object is not iterable",
            kind=PYTHON,
            twin=lambda w: started(stdlib_mock.patch.dict(42)),
        ),
        py(
            'closed.patch.dict(shop.SETTINGS, currency="USD")',
            "MockSession.patch.dict",
            lambda w: w.closed.patch.dict(_shop.SETTINGS, currency="USD"),
            SessionStateError,
            "session 'closed' is closed",
            "patch through an open session",
        ),
    ),
    *section(
        "Pools",
        py(
            'Pool(registry, "mailer", variant="fast")',
            "Pool",
            lambda w: mp.Pool(w.registry, "mailer", variant="fast"),
            InvalidVariantError,
            "'fast' is not a mock variant",
            _VARIANTS,
        ),
        py(
            'Pool(registry, "mailr").warm()',
            "Pool.warm",
            lambda w: mp.Pool(w.registry, "mailr").warm(),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            "PoolManager(1)",
            "PoolManager",
            lambda w: mp.PoolManager(1),
            TypeError,
            "__init__() takes 1 positional argument but 2 were given",
            kind=PYTHON,
        ),
        py(
            'pools.pool_for(registry, "mailr")',
            "PoolManager.pool_for",
            lambda w: w.pools.pool_for(w.registry, "mailr"),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            "pools.pool_for(registry, 42)",
            "PoolManager.pool_for",
            lambda w: w.pools.pool_for(w.registry, 42),
            ArgumentTypeError,
            "a service name must be a str, not 42",
            _NAME_HINT,
        ),
        py(
            'Pool(42, "mailer")',
            "Pool",
            lambda w: mp.Pool(42, "mailer"),
            ArgumentTypeError,
            "registry must be a mockpool.Registry, not 42",
            "pass the registry the service is registered in",
        ),
        py(
            "Pool(registry, 42)",
            "Pool",
            lambda w: mp.Pool(w.registry, 42),
            ArgumentTypeError,
            "service name must be a str, not 42",
            _NAME_HINT,
        ),
        py(
            'Pool(registry, "mailer", min_size=-1)',
            "Pool",
            lambda w: mp.Pool(w.registry, "mailer", min_size=-1),
            InvalidArgumentError,
            "min_size must be an int >= 0, not -1",
        ),
        py(
            'Pool(registry, "mailer", max_size="3")',
            "Pool",
            lambda w: mp.Pool(w.registry, "mailer", max_size="3"),
            ArgumentTypeError,
            "max_size must be an int >= 0, not '3'",
        ),
        py(
            'Pool(registry, "mailer", min_size=3, max_size=2)',
            "Pool",
            lambda w: mp.Pool(w.registry, "mailer", min_size=3, max_size=2),
            InvalidArgumentError,
            "min_size (3) exceeds max_size (2)",
            "lower min_size or raise max_size",
        ),
        py(
            "pool.warm(-1)",
            "Pool.warm",
            lambda w: w.pool.warm(-1),
            InvalidArgumentError,
            "count must be an int >= 0, not -1",
        ),
        py(
            'pool.warm("3")',
            "Pool.warm",
            lambda w: w.pool.warm("3"),
            ArgumentTypeError,
            "count must be an int >= 0, not '3'",
        ),
        py(
            'pool.release({}, "lease")',
            "Pool.release",
            lambda w: w.pool.release({}, "lease"),
            InvalidArgumentError,
            "'lease' is not a key of the holder given to release()",
            "pass the dict that holds the Lease",
        ),
        py(
            "PoolManager(max_size=-1)",
            "PoolManager",
            lambda w: mp.PoolManager(max_size=-1),
            InvalidArgumentError,
            "max_size must be an int >= 0, not -1",
        ),
        py(
            'pools.pool_for(42, "mailer")',
            "PoolManager.pool_for",
            lambda w: w.pools.pool_for(42, "mailer"),
            ArgumentTypeError,
            "registry must be a mockpool.Registry, not 42",
        ),
        py(
            'PoolStats("mailer")',
            "PoolStats",
            lambda w: mp.PoolStats("mailer"),
            TypeError,
            "__init__() missing 7 required positional arguments: 'acquired'",
            kind=PYTHON,
        ),
    ),
    *section(
        "The system functions",
        py(
            "MockSystem(42)",
            "MockSystem",
            lambda w: mp.MockSystem(42),
            ArgumentTypeError,
            "registry must be a mockpool.Registry or None, not 42",
            "pass registry=mockpool.Registry(), or None for the default registry",
        ),
        py(
            "MockSystem(registry, pools=42)",
            "MockSystem",
            lambda w: mp.MockSystem(w.registry, pools=42),
            ArgumentTypeError,
            "pools must be a PoolManager or None, not 42",
            "pass None to use the process's pools",
        ),
        py(
            'initialize_system(warm="mailer")',
            "initialize_system",
            lambda w: mp.initialize_system(warm="mailer"),
            ArgumentTypeError,
            "warm must be True, False or an iterable of service names, not 'mailer'",
            "pass warm=['mailer']",
        ),
        py(
            "initialize_system(warm=3)",
            "initialize_system",
            lambda w: mp.initialize_system(warm=3),
            ArgumentTypeError,
            "warm must be True, False or an iterable of service names, not 3",
            "pass warm=True",
        ),
        py(
            'initialize_system(warm=["no_such_service"])',
            "initialize_system",
            lambda w: mp.initialize_system(warm=["no_such_service"]),
            UnknownServiceError,
            "no service named 'no_such_service' is registered",
            "register it first",
        ),
        py(
            "initialize_system(True)",
            "initialize_system",
            lambda w: mp.initialize_system(True),
            TypeError,
            "initialize_system() takes 0 positional arguments but 1 was given",
            kind=PYTHON,
        ),
        py(
            'system.initialize_system(warm=["mailer", None])',
            "MockSystem.initialize_system",
            lambda w: w.system.initialize_system(warm=["mailer", None]),
            ArgumentTypeError,
            "warm names services by str, not None (in ['mailer', None])",
            "pass names such as warm=['redis']",
        ),
        py(
            'system.initialize_system(warm=["mailr"])',
            "MockSystem.initialize_system",
            lambda w: w.system.initialize_system(warm=["mailr"]),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            "create_test_session(42)",
            "create_test_session",
            lambda w: mp.create_test_session(42),
            ArgumentTypeError,
            "create_test_session() takes a name (a str) or None, not 42",
            "pass a label such as 'test_login'",
        ),
        py(
            "system.create_test_session(name=b'test_login')",
            "MockSystem.create_test_session",
            lambda w: w.system.create_test_session(name=b"test_login"),
            ArgumentTypeError,
            "create_test_session() takes a name (a str) or None, not b'test_login'",
            "pass a label such as 'test_login'",
        ),
        py(
            "cleanup_test_session(42)",
            "cleanup_test_session",
            lambda w: mp.cleanup_test_session(42),
            ArgumentTypeError,
            "cleanup_test_session() closes a MockSession, not 42",
            "pass what create_test_session() returned",
        ),
        py(
            'system.cleanup_test_session("session")',
            "MockSystem.cleanup_test_session",
            lambda w: w.system.cleanup_test_session("session"),
            ArgumentTypeError,
            "cleanup_test_session() closes a MockSession, not 'session'",
            "pass what create_test_session() returned",
        ),
        py(
            'get_service_mock("mailer")  # no session open',
            "get_service_mock",
            lambda w: outside(mp.get_service_mock, "mailer"),
            NoActiveSessionError,
            "no mock session is open in this thread or task, so there is no mock "
            "of 'mailer' to return",
            "open one first",
        ),
        py(
            "get_service_mock(42)",
            "get_service_mock",
            lambda w: mp.get_service_mock(42),
            ArgumentTypeError,
            "get_service_mock() takes a service name (a str), not 42",
            "pass a name such as 'RedisService'",
        ),
        py(
            'get_service_mock("mailer", session=42)',
            "get_service_mock",
            lambda w: mp.get_service_mock("mailer", session=42),
            ArgumentTypeError,
            "session must be a MockSession or None, not 42",
            "pass what mock_session() or create_test_session() returned",
        ),
        py(
            'system.get_service_mock("mailr")',
            "MockSystem.get_service_mock",
            lambda w: w.system.get_service_mock("mailr"),
            UnknownServiceError,
            *_UNKNOWN_MAILR,
        ),
        py(
            'system.get_service_mock("mailer", session=closed)',
            "MockSystem.get_service_mock",
            lambda w: w.system.get_service_mock("mailer", session=w.closed),
            SessionStateError,
            "session 'closed' is closed",
            "open a new one with mockpool.mock_session()",
        ),
        py(
            "setup_parallel_test_environments(0)",
            "setup_parallel_test_environments",
            lambda w: mp.setup_parallel_test_environments(0),
            InvalidArgumentError,
            "n must be an int >= 1, not 0",
            "pass the number of sessions, such as 4",
        ),
        py(
            'setup_parallel_test_environments("4")',
            "setup_parallel_test_environments",
            lambda w: mp.setup_parallel_test_environments("4"),
            ArgumentTypeError,
            "n must be an int >= 1, not '4'",
            "pass the number of sessions, such as 4",
        ),
        py(
            "setup_parallel_test_environments(True)",
            "setup_parallel_test_environments",
            lambda w: mp.setup_parallel_test_environments(True),
            ArgumentTypeError,
            "n must be an int >= 1, not True",
            "pass the number of sessions, such as 4",
        ),
        py(
            "system.setup_parallel_test_environments(2.5)",
            "MockSystem.setup_parallel_test_environments",
            lambda w: w.system.setup_parallel_test_environments(2.5),
            ArgumentTypeError,
            "n must be an int >= 1, not 2.5",
            "pass the number of sessions, such as 4",
        ),
        py(
            "system.setup_parallel_test_environments(-1)",
            "MockSystem.setup_parallel_test_environments",
            lambda w: w.system.setup_parallel_test_environments(-1),
            InvalidArgumentError,
            "n must be an int >= 1, not -1",
            "pass the number of sessions, such as 4",
        ),
        py(
            "SystemReport(())",
            "SystemReport",
            lambda w: mp.SystemReport(()),
            TypeError,
            "__init__() missing 3 required positional arguments: 'pools_prepared', "
            "'warmed', and 'seconds'",
            kind=PYTHON,
        ),
    ),
    *section(
        "unittest integration",
        py(
            "mock_services(42)",
            "mock_services",
            lambda w: mp.mock_services(42),
            ArgumentTypeError,
            "@mock_services: service names must be str, not 42",
            _SERVICE_NAMES,
        ),
        py(
            "mock_services(Tests)  # @mock_services without parentheses",
            "mock_services",
            lambda w: mp.mock_services(w.Tests),
            ArgumentTypeError,
            "@mock_services: service names must be str, not <class",
            "call the decorator: @mock_services('RedisService'), not @mock_services",
        ),
        py(
            'mock_services(["mailer", "clock"])',
            "mock_services",
            lambda w: mp.mock_services(["mailer", "clock"]),
            ArgumentTypeError,
            "service names must be str, not ['mailer', 'clock']",
            "pass names as separate arguments: @mock_services(*['mailer', 'clock'])",
        ),
        py(
            'mock_services("mailer", registry=42)',
            "mock_services",
            lambda w: mp.mock_services("mailer", registry=42),
            ArgumentTypeError,
            "@mock_services: registry must be a mockpool.Registry or None, not 42",
            "pass registry=mockpool.Registry(), or leave it out",
        ),
        py(
            'mock_services("mailer", attribute=1)',
            "mock_services",
            lambda w: mp.mock_services("mailer", attribute=1),
            ArgumentTypeError,
            "attribute must be a str, not 1",
            "pass a name such as attribute='mocks'",
        ),
        py(
            'mock_services("mailer", attribute="class")',
            "mock_services",
            lambda w: mp.mock_services("mailer", attribute="class"),
            InvalidArgumentError,
            "attribute 'class' cannot hold the mocks",
            "pass an identifier that is not a keyword",
            "such as attribute='mocks'",
        ),
        py(
            'mock_services("mailer", scope=1)',
            "mock_services",
            lambda w: mp.mock_services("mailer", scope=1),
            ArgumentTypeError,
            "scope must be 'test' or 'class', not 1",
            "pass scope='test' (a session per test) or scope='class'",
        ),
        py(
            'mock_services("mailer", scope="module")',
            "mock_services",
            lambda w: mp.mock_services("mailer", scope="module"),
            InvalidArgumentError,
            "scope 'module' is not known",
            "pass scope='test' (a session per test) or scope='class'",
        ),
        py(
            'mock_services("mailr", registry=registry)(Tests)',
            "mock_services",
            lambda w: mp.mock_services("mailr", registry=w.registry)(w.Tests),
            UnknownServiceError,
            "@mock_services on",
            *_UNKNOWN_MAILR,
        ),
        py(
            'mock_services("mailer", registry=registry)(Mailer)',
            "mock_services",
            lambda w: mp.mock_services("mailer", registry=w.registry)(Mailer),
            ArgumentTypeError,
            "@mock_services decorates unittest.TestCase subclasses, not "
            "tests._shop.Mailer",
            "derive it from unittest.TestCase",
        ),
        py(
            'mock_services("mailer", registry=registry, attribute="test_nothing")'
            "(Tests)",
            "mock_services",
            lambda w: mp.mock_services(
                "mailer", registry=w.registry, attribute="test_nothing"
            )(w.Tests),
            InvalidArgumentError,
            "already defines 'test_nothing'",
            "pass attribute= with a free name",
        ),
        py(
            "with_mock_session(42)",
            "with_mock_session",
            lambda w: mp.with_mock_session(42),
            ArgumentTypeError,
            "@with_mock_session: service names must be str, not 42",
            _SERVICE_NAMES,
        ),
        py(
            'with_mock_session("mailer", registry=42)',
            "with_mock_session",
            lambda w: mp.with_mock_session("mailer", registry=42),
            ArgumentTypeError,
            "@with_mock_session: registry must be a mockpool.Registry or None, not 42",
            "pass registry=mockpool.Registry()",
        ),
        py(
            'with_mock_session("mailer", registry=registry)(Tests)',
            "with_mock_session",
            lambda w: mp.with_mock_session("mailer", registry=w.registry)(w.Tests),
            ArgumentTypeError,
            "@with_mock_session decorates test methods, not the class",
            "decorate the class with @mockpool.mock_services(...) instead",
        ),
        py(
            'with_mock_session("mailer", registry=registry)(42)',
            "with_mock_session",
            lambda w: mp.with_mock_session("mailer", registry=w.registry)(42),
            ArgumentTypeError,
            "@with_mock_session decorates test methods, not 42",
        ),
        py(
            'with_mock_session("mailr", registry=registry)(Tests.test_nothing)',
            "with_mock_session",
            lambda w: mp.with_mock_session("mailr", registry=w.registry)(
                w.Tests.test_nothing
            ),
            UnknownServiceError,
            "@with_mock_session on",
            *_UNKNOWN_MAILR,
        ),
        py(
            'session_for(42, "mailer")',
            "session_for",
            lambda w: mp.session_for(42, "mailer"),
            ArgumentTypeError,
            "session_for() takes the TestCase first, not 42",
            "call it as mockpool.session_for(self, 'RedisService') in setUp",
        ),
        py(
            "session_for(test, 42)",
            "session_for",
            lambda w: mp.session_for(w.test, 42),
            ArgumentTypeError,
            "session_for(): service names must be str, not 42",
            _SERVICE_NAMES,
        ),
        py(
            'session_for(test, "mailer", registry=42)',
            "session_for",
            lambda w: mp.session_for(w.test, "mailer", registry=42),
            ArgumentTypeError,
            "session_for(): registry must be a mockpool.Registry or None, not 42",
            "pass registry=mockpool.Registry()",
        ),
        py(
            'session_for(test, "mailr", registry=registry)',
            "session_for",
            lambda w: mp.session_for(w.test, "mailr", registry=w.registry),
            UnknownServiceError,
            "session_for() in",
            *_UNKNOWN_MAILR,
        ),
        py(
            "class T(unittest.TestCase, MockSessionMixin): ...",
            "MockSessionMixin",
            lambda w: define("T", (unittest.TestCase, mp.MockSessionMixin), {}),
            ArgumentTypeError,
            "lists MockSessionMixin after unittest.TestCase",
            "put the mixin first, as in class T(MockSessionMixin, unittest.TestCase)",
        ),
        py(
            'class T(MockSessionMixin, unittest.TestCase): mock_services = "mailer"',
            "MockSessionMixin",
            lambda w: define(
                "T",
                (mp.MockSessionMixin, unittest.TestCase),
                {"mock_services": "mailer"},
            ),
            ArgumentTypeError,
            ".mock_services must be a tuple of service names, not 'mailer'",
            "write mock_services = ('mailer',)",
        ),
        py(
            "class T(MockSessionMixin, unittest.TestCase): mock_services = (42,)",
            "MockSessionMixin",
            lambda w: define(
                "T", (mp.MockSessionMixin, unittest.TestCase), {"mock_services": (42,)}
            ),
            ArgumentTypeError,
            ".mock_services: service names must be str, not 42",
            _SERVICE_NAMES,
        ),
        py(
            "class T(MockSessionMixin, unittest.TestCase): mock_registry = 42",
            "MockSessionMixin",
            lambda w: define(
                "T", (mp.MockSessionMixin, unittest.TestCase), {"mock_registry": 42}
            ),
            ArgumentTypeError,
            "registry must be a mockpool.Registry or None, not 42",
            "pass registry=mockpool.Registry()",
        ),
        py(
            "class T(MockSessionMixin, unittest.TestCase): "
            'mock_services = ("mailr",); mock_registry = registry',
            "MockSessionMixin",
            lambda w: define(
                "T",
                (mp.MockSessionMixin, unittest.TestCase),
                {"mock_services": ("mailr",), "mock_registry": w.registry},
            ),
            UnknownServiceError,
            ".mock_services:",
            *_UNKNOWN_MAILR,
        ),
        py(
            'MixinTests("test_nothing").run(42)',
            "MockSessionMixin.run",
            lambda w: _mixin_test().run(42),
            AttributeError,
            "'int' object has no attribute",
            kind=PYTHON,
            twin=lambda w: _test_class()("test_nothing").run(42),
        ),
    ),
    *section(
        "Drop-in mode and strict mode",
        py(
            "install(True)",
            "install",
            lambda w: mp.install(True),
            TypeError,
            "install() takes 0 positional arguments but 1 was given",
            kind=PYTHON,
        ),
        py(
            'install(fail_on_leak="yes")',
            "install",
            lambda w: mp.install(fail_on_leak="yes"),
            ArgumentTypeError,
            "fail_on_leak must be True or False, not 'yes'",
        ),
        py(
            'install(strict="yes")',
            "install",
            lambda w: mp.install(strict="yes"),
            ArgumentTypeError,
            "strict must be True or False, not 'yes'",
            "strict is the deprecated name of fail_on_leak",
            "pass fail_on_leak=True or False",
        ),
        py(
            "install(fail_on_leak=False, strict=True)",
            "install",
            lambda w: mp.install(fail_on_leak=False, strict=True),
            ArgumentTypeError,
            "strict=True and fail_on_leak=False given together",
            "pass fail_on_leak only (strict is its deprecated name)",
        ),
        py(
            'set_strict("yes")',
            "set_strict",
            lambda w: mp.set_strict("yes"),
            ArgumentTypeError,
            "strict must be True, False or None, not 'yes'",
            "None goes back to the environment",
        ),
        py(
            "set_strict()",
            "set_strict",
            lambda w: mp.set_strict(),
            TypeError,
            "set_strict() missing 1 required positional argument: 'enabled'",
            kind=PYTHON,
        ),
        py(
            'RecoveryRecord("mailer")',
            "RecoveryRecord",
            lambda w: mp.RecoveryRecord("mailer"),
            TypeError,
            "__init__() missing",
            "required positional arguments: 'stage'",
            kind=PYTHON,
        ),
    ),
    *section(
        "The command line",
        cli(
            "run",
            "--report-json",
            message=(
                "python -m mockpool run: --report-json needs a file path",
                "--report-json PATH",
            ),
        ),
        cli(
            "run",
            "--report-json=",
            message=("python -m mockpool run: --report-json needs a file path",),
        ),
        cli(
            "run",
            "--report-json",
            "no-such-dir/report.json",
            message=(
                "--report-json 'no-such-dir/report.json': directory",
                "does not exist; create it or name a file in an existing directory",
            ),
        ),
        cli(
            "run",
            "--report-json",
            "reports",
            message=("--report-json 'reports' is a directory; name a file in it",),
            files=(("reports/", ""),),
        ),
        cli(
            message=("usage: python -m mockpool run",),
        ),
        cli(
            "demo",
            "--python",
            "/no/such/python",
            message=(
                "--python '/no/such/python' is not an executable Python",
                "pass the path of one",
            ),
        ),
        cli(
            "run",
            "--no-such-option",
            message=(
                "python -m mockpool run: error: unrecognized arguments: "
                "--no-such-option",
            ),
        ),
        cli(
            "frobnicate",
            message=("unknown command 'frobnicate'; use 'run'", "usage:"),
        ),
        cli(
            "demo",
            "--python",
            message=(
                "python -m mockpool demo: error: argument --python: expected one "
                "argument",
            ),
        ),
        cli(
            "demo",
            "--no-such-option",
            message=(
                "python -m mockpool demo: error: unrecognized arguments: "
                "--no-such-option",
            ),
        ),
        cli(
            "measure",
            "--json",
            "no-such-dir/out.json",
            message=(
                "python -m mockpool measure: --json 'no-such-dir/out.json': give "
                "the path of a file in an existing directory",
            ),
        ),
        cli(
            "combine",
            message=(
                "python -m mockpool combine: error: the following arguments are "
                "required: DIR_OR_FILE",
            ),
        ),
        cli(
            "combine",
            "no-such-dir",
            message=(
                "python -m mockpool combine: error: no such mockpool report file or "
                "directory: 'no-such-dir'",
            ),
        ),
        cli(
            "combine",
            "reports",
            message=(
                "no mockpool-report-*.json files in 'reports'",
                "set MOCKPOOL_REPORT_DIR for the run, or name the report files",
            ),
            files=(("reports/", ""),),
        ),
        cli(
            "combine",
            "mockpool-report-1.json",
            "--json",
            "merged.json",
            message=(
                "python -m mockpool combine: error: corrupt mockpool report "
                "'mockpool-report-1.json'",
                "delete it or rerun the worker that wrote it",
            ),
            files=(("mockpool-report-1.json", _CORRUPT),),
        ),
        cli(
            "combine",
            "--json",
            message=(
                "python -m mockpool combine: error: argument --json: expected one "
                "argument",
            ),
        ),
        cli(
            "report",
            "no-such-report.json",
            message=(
                "python -m mockpool report: error: no report file at "
                "'no-such-report.json'",
                "pass a file written by 'python -m mockpool run --report-json PATH'",
            ),
        ),
        cli(
            "report",
            "mockpool-report-1.json",
            message=(
                "python -m mockpool report: error: corrupt mockpool report",
                "'mockpool-report-1.json'",
            ),
            files=(("mockpool-report-1.json", _CORRUPT),),
        ),
        cli(
            "report",
            "--no-such-option",
            message=(
                "python -m mockpool report: error: unrecognized arguments: "
                "--no-such-option",
            ),
        ),
    ),
]


# -- which callables need a case --------------------------------------------------

#: Public callables that take no arguments, so there is no bad argument to
#: give them. (Calling one with an argument anyway gets Python's own
#: TypeError.) The cases still cover those that can be called in a bad state:
#: ``session.open()`` twice, ``closed.clear()``, ``partial.validate()``.
NO_ARGUMENTS = frozenset(
    {
        "DiscardReason",
        "Installation",
        "Installation.undo",
        "MockSession.close",
        "MockSession.patch.stopall",
        "MockSession.services",
        "MockSessionMixin.debug",
        "Policy.fields",
        "Pool.acquire",
        "Pool.clear",
        "Pool.stats",
        "Pool.settle",
        "Pool.trim",
        "PoolManager.clear",
        "PoolManager.pools",
        "Registry",
        "Registry.names",
        "ServiceDefinition.resolve_spec",
        "current_session",
        "installed",
        "is_strict",
        "patch.stopall",
        "uninstall",
    }
)

#: Public callables with no case yet because every bad input tried fails the
#: bar in a module this change does not touch; each is reported with what
#: happens and what should. Remove an entry when its case is added.
AWAITING_FIX: dict[str, str] = {}


def _is_error_class(obj: object) -> bool:
    """Whether *obj* is an exception or warning class.

    They need no case: like every exception they take any message.
    """
    return isinstance(obj, type) and issubclass(obj, BaseException)


def _is_type_alias(obj: object) -> bool:
    """Whether *obj* is a ``Literal[...]`` alias, such as ``WarmingLevel``.

    They need no case: an alias names allowed values for annotations; it is
    not something to call.
    """
    return typing.get_origin(obj) is typing.Literal


def public_callables() -> dict[str, Any]:
    """Return every callable the public API exposes, by the name cases use.

    Functions and classes in ``mockpool.__all__`` (a class stands for its
    constructor), the public methods each class defines itself, the
    variants hanging off ``patch``, and ``session.patch`` with its variants.
    Instances (``default_registry``) are reached through their classes'
    methods.
    """
    found: dict[str, Any] = {}
    for name in mockpool.__all__:
        obj = getattr(mockpool, name)
        if not callable(obj) or _is_error_class(obj) or _is_type_alias(obj):
            continue
        found[name] = obj
        if isinstance(obj, type):
            found.update(_methods(name, obj))
    for attribute, value in vars(mockpool.patch).items():
        if not attribute.startswith("_") and callable(value):
            found[f"patch.{attribute}"] = value
    found["MockSession.patch"] = _patcher.SessionPatcher.__call__
    found.update(_methods("MockSession.patch", _patcher.SessionPatcher))
    return found


def _methods(prefix: str, cls: type) -> dict[str, Any]:
    """Return the public methods *cls* defines itself (not properties)."""
    methods: dict[str, Any] = {}
    for attribute, raw in vars(cls).items():
        if attribute.startswith("_"):
            continue
        if inspect.isfunction(raw) or isinstance(raw, (classmethod, staticmethod)):
            methods[f"{prefix}.{attribute}"] = getattr(cls, attribute)
    return methods


def takes_arguments(obj: Any) -> bool:
    """Whether a callable from :func:`public_callables` takes any argument."""
    try:
        parameters = list(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return True
    if inspect.isfunction(obj) and parameters[:1] == ["self"]:
        parameters = parameters[1:]
    return bool(parameters)


def subcommands() -> list[str]:
    """Return the subcommands ``python -m mockpool``'s usage lists."""
    return re.findall(r"^  ([a-z][a-z-]*)  ", _cli._USAGE, re.MULTILINE)


def python_cases() -> list[PyCase]:
    """Return the Python cases of :data:`CASES`."""
    return [case for case in CASES if isinstance(case, PyCase)]


def cli_cases() -> list[CliCase]:
    """Return the command-line cases of :data:`CASES`."""
    return [case for case in CASES if isinstance(case, CliCase)]


# -- running the cases ------------------------------------------------------------


class PythonCaseTests(unittest.TestCase):
    """Each Python case raises its error and message, and changes nothing.

    One test per case, named after its group; ``-v`` prints the call.
    """

    maxDiff = None

    def check(self, case: PyCase) -> None:
        """Make the call; check the error, the message and the state."""
        world = World()
        self.addCleanup(world.close)
        before = world.snapshot()
        error = _raised(case.run, world)
        if error is None:
            self.fail(f"{case.call} raised nothing; expected {case.error.__name__}")
        message = str(error)
        self.assertIs(
            type(error),
            case.error,
            f"{case.call} raised {type(error).__name__}: {message}",
        )
        self.assertRegex(message, case.pattern)
        if case.kind == MOCKPOOL:
            self.assertIsInstance(error, MockPoolError)
        else:
            self.assertEqual(type(error).__module__, "builtins")
        self.assertEqual(world.snapshot(), before, f"{case.call} changed state")
        if case.twin is not None:
            twin = _raised(case.twin, world)
            self.assertIsNotNone(twin, "the stdlib twin raised nothing")
            self.assertIs(type(error), type(twin))
            self.assertEqual(message, str(twin))


def _raised(call: Callable[[World], object], world: World) -> Exception | None:
    """Return what ``call(world)`` raised, without its traceback, or ``None``."""
    try:
        call(world)
    except Exception as error:
        # The traceback holds frames that hold mocks; the pools count owners.
        return error.with_traceback(None)
    return None


def _slug(text: str) -> str:
    """Return *text* as a fragment of a test method's name."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40]


def _add_python_tests() -> None:
    counts: dict[str, int] = {}
    for case in python_cases():
        group = _slug(case.group)
        counts[group] = counts.get(group, 0) + 1

        def test(self: PythonCaseTests, case: PyCase = case) -> None:
            self.check(case)

        test.__name__ = f"test_{group}_{counts[group]:02d}"
        test.__qualname__ = f"PythonCaseTests.{test.__name__}"
        test.__doc__ = case.call
        setattr(PythonCaseTests, test.__name__, test)


_add_python_tests()


class CommandLineCaseTests(unittest.TestCase):
    """Each command-line case exits with its status and message, changing nothing.

    ``python -m mockpool`` runs in a scratch directory, with the history
    directory outside it.
    """

    maxDiff = None

    def check(self, case: CliCase) -> None:
        """Run the command; check status, standard error and the directory."""
        home = tempfile.mkdtemp(prefix="mockpool-bad-input-")
        self.addCleanup(shutil.rmtree, home, ignore_errors=True)
        with tempfile.TemporaryDirectory() as work:
            for name, content in case.files:
                path = Path(work, name)
                if name.endswith("/"):
                    path.mkdir()
                else:
                    path.write_text(content, encoding="utf-8")
            before = _listing(work)
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(ROOT), env.get("PYTHONPATH")])
            )
            env["MOCKPOOL_DIR"] = home
            env.pop("MOCKPOOL_REPORT_DIR", None)
            completed = subprocess.run(
                [sys.executable, "-m", "mockpool", *case.argv],
                cwd=work,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            stderr = completed.stderr
            self.assertEqual(completed.returncode, case.status, stderr)
            self.assertRegex(stderr, case.pattern)
            self.assertNotIn("Traceback (most recent call last)", stderr)
            self.assertEqual(_listing(work), before, f"{case.call} changed files")


def _listing(directory: str) -> dict[str, bytes | None]:
    """Return every file (with its content) and directory under *directory*."""
    found: dict[str, bytes | None] = {}
    for path in sorted(Path(directory).rglob("*")):
        name = path.relative_to(directory).as_posix()
        found[name] = None if path.is_dir() else path.read_bytes()
    return found


def _add_cli_tests() -> None:
    for index, case in enumerate(cli_cases(), start=1):

        def test(self: CommandLineCaseTests, case: CliCase = case) -> None:
            self.check(case)

        test.__name__ = f"test_{index:02d}_{_slug(' '.join(case.argv)) or 'bare'}"
        test.__qualname__ = f"CommandLineCaseTests.{test.__name__}"
        test.__doc__ = case.call
        setattr(CommandLineCaseTests, test.__name__, test)


_add_cli_tests()


class TableTests(unittest.TestCase):
    """The table itself is well-formed."""

    def test_fragments_render(self) -> None:
        """Fragments are non-empty, unpadded, and fit in an inline literal."""
        for case in CASES:
            with self.subTest(case.call):
                self.assertTrue(case.message)
                for fragment in case.message:
                    self.assertTrue(fragment)
                    self.assertEqual(fragment, fragment.strip())
                    self.assertNotIn("``", fragment)
                self.assertNotIn("``", case.call)

    def test_kinds(self) -> None:
        """Every case has a known kind; twins are for Python's own errors."""
        for case in python_cases():
            with self.subTest(case.call):
                self.assertIn(case.kind, (MOCKPOOL, MIRROR, PYTHON))
                if case.twin is not None:
                    self.assertIn(case.kind, (MIRROR, PYTHON))

    def test_calls_are_unique(self) -> None:
        """No bad input is listed twice."""
        calls = [case.call for case in CASES]
        self.assertEqual(sorted(calls), sorted(set(calls)))


class CoverageTests(unittest.TestCase):
    """Every public callable and subcommand has at least one case."""

    def test_every_public_callable_has_a_case(self) -> None:
        """Each callable from public_callables() is covered or exempt."""
        covered = {case.covers for case in python_cases()}
        exempt = NO_ARGUMENTS | set(AWAITING_FIX)
        missing = sorted(set(public_callables()) - covered - exempt)
        self.assertEqual(
            missing, [], "public callables with no case in tests/test_bad_input.py"
        )

    def test_cases_name_public_callables(self) -> None:
        """Each case's ``covers`` names a public callable."""
        known = set(public_callables())
        unknown = sorted({case.covers for case in python_cases()} - known)
        self.assertEqual(unknown, [])

    def test_exemptions_take_no_arguments(self) -> None:
        """NO_ARGUMENTS lists only public callables that take no argument."""
        callables = public_callables()
        for name in sorted(NO_ARGUMENTS):
            with self.subTest(name):
                self.assertIn(name, callables)
                self.assertFalse(takes_arguments(callables[name]))

    def test_awaiting_fix_is_still_uncovered(self) -> None:
        """An AWAITING_FIX entry goes once a case covers it."""
        covered = {case.covers for case in python_cases()}
        self.assertEqual(sorted(covered & set(AWAITING_FIX)), [])
        self.assertLessEqual(set(AWAITING_FIX), set(public_callables()))

    def test_every_subcommand_has_a_case(self) -> None:
        """Each subcommand in python -m mockpool's usage has a case."""
        commands = subcommands()
        self.assertIn("run", commands)
        covered = {case.covers for case in cli_cases()}
        missing = [
            command
            for command in commands
            if f"python -m mockpool {command}" not in covered
        ]
        self.assertEqual(missing, [])
        self.assertIn("python -m mockpool", covered, "no unknown-command case")


# -- the docs -----------------------------------------------------------------------

TREE_BEGIN = ".. BEGIN error tree (python -m tests.test_bad_input --write-docs)"
TREE_END = ".. END error tree"
TABLE_BEGIN = ".. BEGIN bad-input table (python -m tests.test_bad_input --write-docs)"
TABLE_END = ".. END bad-input table"


def _error_classes() -> list[type[BaseException]]:
    """Return the exception and warning classes in ``mockpool.__all__``."""
    return [
        obj
        for obj in (getattr(mockpool, name) for name in mockpool.__all__)
        if _is_error_class(obj)
    ]


def _builtin_bases(cls: type) -> list[str]:
    """Return the builtin exceptions *cls* derives from, besides Exception."""
    names = [
        klass.__name__
        for klass in cls.__mro__[1:]
        if klass.__module__ == "builtins"
        and klass not in (Exception, BaseException, object, Warning)
    ]
    return names


def _summary(cls: type) -> str:
    """Return the first paragraph of *cls*'s docstring, on one line."""
    text = inspect.getdoc(cls) or ""
    return " ".join(text.split("\n\n", 1)[0].split())


def render_tree() -> list[str]:
    """Return the generated lines of the error tree section."""
    classes = _error_classes()
    lines = ["::", ""]
    for root in (mockpool.MockPoolError, mockpool.MockPoolWarning):
        lines.extend(_tree_lines(root, classes, "    ", ""))
        lines.append("")
    lines += [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 30 25 45",
        "",
        "   * - Error",
        "     - Also a",
        "     - Raised when",
    ]
    for cls in classes:
        bases = ", ".join(f":exc:`{name}`" for name in _builtin_bases(cls)) or "--"
        lines += [
            f"   * - :exc:`~mockpool.{cls.__name__}`",
            f"     - {bases}",
            f"     - {_summary(cls)}",
        ]
    return lines


def _tree_lines(
    cls: type, classes: list[type[BaseException]], indent: str, prefix: str
) -> Iterator[str]:
    """Yield *cls* and its subclasses among *classes* as an indented tree."""
    bases = _builtin_bases(cls) if prefix == "" else _new_builtins(cls)
    note = f" (also {', '.join(bases)})" if bases else ""
    yield f"{indent}{prefix}{cls.__name__}{note}"
    children = [
        klass for klass in classes if cls in klass.__bases__ and klass is not cls
    ]
    child_indent = indent + (
        "" if prefix == "" else ("    " if prefix.startswith("└") else "│   ")
    )
    for position, child in enumerate(children):
        last = position == len(children) - 1
        yield from _tree_lines(child, classes, child_indent, "└── " if last else "├── ")


def _new_builtins(cls: type) -> list[str]:
    """Return the builtins *cls* adds to those of its mockpool parent."""
    inherited: set[str] = set()
    for base in cls.__bases__:
        if base.__module__ != "builtins":
            inherited.update(_builtin_bases(base))
    return [name for name in _builtin_bases(cls) if name not in inherited]


def render_table() -> list[str]:
    """Return the generated lines of the bad-input section."""
    lines = ["The names the calls use:", ""]
    for name, meaning in NAMES:
        lines += [f"``{name}``", f"    {meaning}"]
    lines.append("")
    groups: dict[str, list[Case]] = {}
    for case in CASES:
        groups.setdefault(case.group, []).append(case)
    for group, cases in groups.items():
        lines += [
            f".. rubric:: {group}",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 40 20 40",
            "",
            "   * - Call",
            "     - Error",
            "     - Message (excerpt)",
        ]
        for case in cases:
            excerpt = " … ".join(f"``{fragment}``" for fragment in case.message)
            lines += [
                f"   * - ``{case.call}``",
                f"     - {_error_label(case)}",
                f"     - {excerpt}",
            ]
        lines.append("")
    return lines[:-1]


def _error_label(case: Case) -> str:
    """Return the Error column of *case*."""
    if isinstance(case, CliCase):
        return f"exit status {case.status}"
    if case.kind == MOCKPOOL:
        return f":exc:`~mockpool.{case.error.__name__}`"
    label = f":exc:`{case.error.__name__}`"
    if case.kind == MIRROR:
        return f"{label} (as :mod:`unittest.mock`)"
    if case.twin is not None:
        return f"{label} (the stdlib's own)"
    return f"{label} (Python's own)"


def render_docs(text: str) -> str:
    """Return *text* (docs/errors.rst) with its generated sections rewritten."""
    text = _replace_between(text, TREE_BEGIN, TREE_END, render_tree())
    return _replace_between(text, TABLE_BEGIN, TABLE_END, render_table())


def _replace_between(text: str, begin: str, end: str, body: list[str]) -> str:
    lines = text.split("\n")
    try:
        start, stop = lines.index(begin), lines.index(end)
    except ValueError:
        raise ValueError(
            f"docs/errors.rst lacks the line {begin!r} or {end!r}"
        ) from None
    return "\n".join([*lines[: start + 1], "", *body, "", *lines[stop:]])


def write_docs() -> bool:
    """Rewrite docs/errors.rst's generated sections; return whether it changed."""
    text = DOCS.read_text(encoding="utf-8")
    rendered = render_docs(text)
    if rendered != text:
        DOCS.write_text(rendered, encoding="utf-8")
    return rendered != text


class DocsTests(unittest.TestCase):
    """docs/errors.rst shows exactly what the table and the classes say."""

    maxDiff = None

    def test_docs_are_generated_from_the_table(self) -> None:
        """The generated sections match; else run the generator."""
        text = DOCS.read_text(encoding="utf-8")
        self.assertEqual(
            text,
            render_docs(text),
            "docs/errors.rst is out of date: run python -m tests.test_bad_input "
            "--write-docs",
        )

    def test_errors_page_is_in_the_toctree(self) -> None:
        """docs/index.rst lists errors right after api."""
        index = (ROOT / "docs" / "index.rst").read_text(encoding="utf-8").split()
        self.assertIn("errors", index)
        self.assertEqual(index[index.index("api") + 1], "errors")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-docs"]:
        changed = write_docs()
        print(f"{DOCS}: {'rewritten' if changed else 'already up to date'}")
    else:
        unittest.main()
