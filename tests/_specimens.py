"""Specs for the autospec contract tests: hand-written and real ones.

Each :class:`Specimen` names a spec and the ``create_autospec`` arguments to
build it with. The hand-written ones each exercise one feature that
``unittest.mock.create_autospec`` treats specially; the real ones are classes
and functions from the standard library, so that the contract is also checked
against code nobody wrote for the purpose (C types, deep hierarchies, many
methods).

Nothing here is mocked or mutated: the cache-validity tests define their own
classes.
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import collections
import concurrent.futures
import configparser
import dataclasses
import datetime
import decimal
import email.message
import enum
import fractions
import ftplib
import functools
import http.client
import inspect
import io
import json
import logging
import os.path
import pathlib
import queue
import shutil
import smtplib
import socket
import subprocess
import threading
import time
import types
import typing
import unittest
import urllib.request
import xml.etree.ElementTree
import zipfile
from typing import Any, Callable, Generic, NamedTuple, Protocol, TypeVar

__all__ = [
    "GROUPS",
    "HAND_WRITTEN",
    "REAL",
    "SPECIMENS",
    "Specimen",
]

T = TypeVar("T")

#: Names that get the full call battery on a large real class.
REAL_CALL_LIMIT = 10


@dataclasses.dataclass(frozen=True)
class Specimen:
    """One spec and the arguments to autospec it with.

    ``label`` names it in ``subTest`` output; ``kwargs`` go to
    ``create_autospec`` unchanged (``instance``, ``spec_set``, ...).
    ``call_limit`` bounds how many attribute names get the full call battery
    (``None``: all of them), which keeps the large real classes fast.
    """

    label: str
    spec: Any
    kwargs: dict[str, Any]
    #: "class", "function", "object", "keywords", "real class" or
    #: "real function": one test method per group.
    group: str
    call_limit: int | None = None
    #: Scenarios of the observation not to run for this spec.
    skip: tuple[str, ...] = ()


# --------------------------------------------------------------------------
# Decorators used by the hand-written specs.


def passthrough(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap *func* in a ``(*args, **kwargs)`` function via functools.wraps."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def async_passthrough(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap the coroutine function *func* in another coroutine function."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await func(*args, **kwargs)

    return wrapper


class Exploding:
    """A descriptor whose every read raises ``ValueError``."""

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        raise ValueError("exploding descriptor read")


class Vanishing:
    """A descriptor whose every read raises ``AttributeError``."""

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        raise AttributeError("vanishing descriptor read")


class InstanceOnlyExploding:
    """A descriptor that raises ``KeyError`` when read from an instance."""

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        raise KeyError("instance read")


# --------------------------------------------------------------------------
# Hand-written classes.


class Color(enum.Enum):
    """An enum with a method."""

    RED = 1
    GREEN = 2

    def describe(self, verbose: bool = False) -> str:
        return self.name


class Permission(enum.Flag):
    """A flag enum."""

    READ = 1
    WRITE = 2


class Kitchen:
    """Nearly every kind of attribute a class can have, in one class."""

    count = 3
    label = "kitchen"
    nothing = None
    ratio = 1.5
    items = (1, 2)
    mapping: typing.ClassVar[dict[str, int]] = {"a": 1}
    shade = Color.RED
    blen = len
    lam = lambda self, q: q  # noqa: E731

    class Nested:
        """A nested class."""

        depth = 1

        def inner(self, z: int) -> int:
            return z

        @classmethod
        def make(cls, *, size: int) -> Kitchen.Nested:
            return cls()

    def __init__(self, a: int, b: int = 2, *, c: int = 3) -> None:
        self.a = a

    def method(self, x: int, y: int = 1) -> int:
        return x + y

    def no_args(self) -> None:
        pass

    def varargs(self, *args: Any, **kwargs: Any) -> None:
        pass

    def mixed(self, a: int, *rest: int, flag: bool, **extra: Any) -> None:
        pass

    def kwonly(self, a: int, *, b: int, c: int = 3) -> None:
        pass

    def posonly(self, a: int, b: int, /, c: int, *, d: int = 4) -> None:
        pass

    def defaults(self, a: int = 1, b: str = "b", c: object = None) -> None:
        pass

    @classmethod
    def cmethod(cls, x: int) -> Kitchen:
        return cls(x)

    @staticmethod
    def smethod(x: int, y: int) -> int:
        return x * y

    @property
    def prop(self) -> int:
        return 1

    @property
    def rw_prop(self) -> int:
        return 2

    @rw_prop.setter
    def rw_prop(self, value: int) -> None:
        pass

    @functools.cached_property
    def cached(self) -> int:
        return 4

    async def amethod(self, x: int, *, timeout: float = 1.0) -> int:
        return x

    @classmethod
    async def acmethod(cls, x: int) -> int:
        return x

    @staticmethod
    async def asmethod(x: int) -> int:
        return x

    async def agen(self, n: int) -> typing.AsyncIterator[int]:
        yield n

    def gen(self, n: int) -> typing.Iterator[int]:
        yield n

    @passthrough
    def wrapped(self, x: int, y: int = 0) -> int:
        return x

    @passthrough
    async def wrapped_async_in_sync(self, x: int) -> int:
        return x

    @async_passthrough
    async def wrapped_async(self, x: int) -> int:
        return x

    partial_method = functools.partialmethod(method, 10)

    def assert_something(self, value: int) -> None:
        pass

    def called(self, value: int) -> None:
        """Collides with ``Mock.called``: the mock's property wins."""

    def reset_mock(self) -> None:
        """Collides with ``Mock.reset_mock``: the mock's method wins."""

    def return_value(self) -> None:
        """Collides with ``Mock.return_value``: the mock's property wins."""

    def name(self, first: str) -> str:
        return first

    def _private(self, p: int) -> None:
        pass

    def __double(self, d: int) -> None:
        pass


class Service:
    """A small class for the specimens that vary create_autospec's keywords."""

    retries = 3

    def __init__(self, url: str, *, timeout: float = 1.0) -> None:
        self.url = url

    def fetch(self, path: str, *, head: bool = False) -> bytes:
        return b""

    async def afetch(self, path: str) -> bytes:
        return b""

    def assert_healthy(self, strict: bool) -> None:
        pass

    @property
    def status(self) -> int:
        return 200

    class Error(Exception):
        """A nested exception class."""


class NonCallable:
    """Instances are not callable."""

    def run(self, job: str) -> None:
        pass


class CallableThing:
    """Instances are callable."""

    def __call__(self, x: int, *, y: int = 1) -> int:
        return x

    def helper(self, h: int) -> None:
        pass


class AsyncCallableThing:
    """Instances are callable coroutine functions."""

    async def __call__(self, x: int) -> int:
        return x


class Meta(type):
    """A metaclass with its own method and property."""

    def meta_method(cls, m: int) -> None:
        pass

    @property
    def meta_prop(cls) -> int:
        return 5


class WithMeta(metaclass=Meta):
    """A class whose metaclass adds attributes not in ``dir(cls)``."""

    def method(self, v: int) -> None:
        pass


class AbstractBase(abc.ABC):
    """An ABC with abstract methods and an abstract property."""

    @abc.abstractmethod
    def run(self, x: int) -> int: ...

    @abc.abstractmethod
    async def arun(self, x: int) -> int: ...

    @property
    @abc.abstractmethod
    def size(self) -> int: ...

    def concrete(self, c: int) -> int:
        return c


class Point(NamedTuple):
    """A typing.NamedTuple with a method."""

    x: int
    y: int = 0

    def norm(self, p: int = 2) -> float:
        return 0.0


class Greeter(Protocol):
    """A plain (not runtime-checkable) protocol."""

    def greet(self, name: str) -> str: ...


@typing.runtime_checkable
class Closer(Protocol):
    """A runtime-checkable protocol."""

    def close(self) -> None: ...


class Box(Generic[T]):
    """A generic class."""

    def __init__(self, item: T) -> None:
        self.item = item

    def get(self) -> T:
        return self.item

    def put(self, item: T) -> None:
        self.item = item


@dataclasses.dataclass
class Record:
    """A plain dataclass."""

    name: str
    size: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)

    def total(self, extra: int = 0) -> int:
        return self.size + extra


@dataclasses.dataclass(frozen=True)
class FrozenRecord:
    """A frozen dataclass."""

    name: str
    size: int = 0

    def grown(self, by: int) -> FrozenRecord:
        return dataclasses.replace(self, size=self.size + by)


class Slotted:
    """A class with ``__slots__``."""

    __slots__ = ("a", "b")

    def __init__(self, a: int) -> None:
        self.a = a

    def method(self, s: int) -> None:
        pass


class Parent:
    """A base class for inheritance specimens."""

    def method(self, x: int) -> int:
        return x

    def inherited(self, i: int) -> None:
        pass

    async def async_then_sync(self, q: int) -> None:
        pass

    def sync_then_async(self, q: int) -> None:
        pass


class Child(Parent):
    """Overrides methods with other signatures and async-ness."""

    def method(self, x: int, y: int = 2, *, z: int = 3) -> int:
        return x

    def async_then_sync(self, q: int, r: int = 0) -> None:  # type: ignore[override]
        pass

    async def sync_then_async(self, q: int) -> None:  # type: ignore[override]
        pass

    def own(self) -> None:
        pass


class CustomInit:
    """``__init__`` with keyword-only and positional-only parameters."""

    def __init__(self, host: str, port: int = 80, /, *, timeout: float) -> None:
        self.host = host

    def connect(self) -> None:
        pass


class CustomNew:
    """Signature comes from ``__new__``."""

    def __new__(cls, token: str, *, retries: int = 1) -> CustomNew:
        return super().__new__(cls)

    def send(self, data: bytes) -> int:
        return len(data)


class WithSignature:
    """A class that states its signature explicitly."""

    __signature__ = inspect.Signature(
        [inspect.Parameter("given", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def act(self, a: int) -> None:
        pass


class RaisesOnClassAccess:
    """Reading ``boom`` from the class raises ``ValueError``."""

    boom = Exploding()

    def fine(self, f: int) -> None:
        pass


class VanishesOnClassAccess:
    """Reading ``gone`` from the class raises ``AttributeError``."""

    gone = Vanishing()

    def fine(self, f: int) -> None:
        pass


class RaisesOnInstanceAccess:
    """Reading ``late`` from an instance raises; from the class it does not."""

    late = InstanceOnlyExploding()

    def fine(self, f: int) -> None:
        pass


class Container:
    """Supports some magic methods (len, iter, getitem, contains, enter)."""

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> typing.Iterator[int]:
        return iter(())

    def __getitem__(self, key: int) -> int:
        return key

    def __contains__(self, item: object) -> bool:
        return False

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    async def __aenter__(self) -> Container:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    def __int__(self) -> int:
        return 0

    def add(self, item: int) -> None:
        pass


class Empty:
    """No attributes of its own."""


class Wrapped:
    """A class whose instances the ``wraps=`` specimens wrap."""

    def double(self, n: int) -> int:
        return 2 * n

    def echo(self, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        return (args, kwargs)


class HoldsCallables:
    """An instance of it holds callables as instance attributes."""

    callback: Callable[..., Any]
    number: Any

    def __init__(self) -> None:
        self.callback = plain_function
        self.acallback = async_function
        self.number = 7
        self.bound = Wrapped().double

    def method(self, m: int) -> None:
        pass


# --------------------------------------------------------------------------
# Hand-written functions.


def plain_function(
    a: int, b: int = 2, *args: int, c: int, d: int = 4, **kw: Any
) -> int:
    """A function with every kind of parameter but positional-only."""
    return a


def posonly_function(a: int, b: int = 2, /, c: int = 3) -> int:
    """A function with positional-only parameters."""
    return a


def no_params() -> None:
    """A function without parameters."""


async def async_function(a: int, *, b: int = 1) -> int:
    """A coroutine function."""
    return a


async def async_generator_function(n: int) -> typing.AsyncIterator[int]:
    """An async generator function."""
    yield n


@passthrough
def decorated_function(a: int, b: int = 1) -> int:
    """A functools.wraps-decorated function."""
    return a


small_module = types.ModuleType("mockpool_specimen_module", "A tiny module.")
small_module.function = plain_function  # type: ignore[attr-defined]
small_module.coroutine_function = async_function  # type: ignore[attr-defined]
small_module.constant = 3  # type: ignore[attr-defined]
small_module.Klass = NonCallable  # type: ignore[attr-defined]

square = lambda value, power=2: value**power  # noqa: E731

partial_object = functools.partial(plain_function, 1, c=3)


HAND_WRITTEN_CLASSES: list[type] = [
    Kitchen,
    Service,
    Kitchen.Nested,
    NonCallable,
    CallableThing,
    AsyncCallableThing,
    WithMeta,
    AbstractBase,
    Point,
    Greeter,
    Closer,
    Box,
    Record,
    FrozenRecord,
    Slotted,
    Parent,
    Child,
    CustomInit,
    CustomNew,
    WithSignature,
    Color,
    Permission,
    RaisesOnClassAccess,
    VanishesOnClassAccess,
    RaisesOnInstanceAccess,
    Container,
    Empty,
]

#: Hand-written classes also checked with ``spec_set=True``.
HAND_WRITTEN_SPEC_SET: list[type] = [
    Kitchen,
    CallableThing,
    NonCallable,
    Child,
    Record,
    Container,
]

HAND_WRITTEN_FUNCTIONS: list[tuple[str, Any]] = [
    ("plain_function", plain_function),
    ("posonly_function", posonly_function),
    ("no_params", no_params),
    ("async_function", async_function),
    ("async_generator_function", async_generator_function),
    ("decorated_function", decorated_function),
    ("lambda", square),
    ("partial_object", partial_object),
    ("len", len),
    ("bound_method", Wrapped().double),
    ("bound_classmethod", Kitchen.cmethod),
    ("bound_async_method", Kitchen.acmethod),
    ("staticmethod_function", Kitchen.smethod),
    ("unbound_function", Kitchen.method),
]

HAND_WRITTEN_OBJECTS: list[tuple[str, Any]] = [
    ("Kitchen instance", Kitchen(1)),
    ("CallableThing instance", CallableThing()),
    ("AsyncCallableThing instance", AsyncCallableThing()),
    ("HoldsCallables instance", HoldsCallables()),
    ("Record instance", Record("r", 1)),
    ("Point instance", Point(1, 2)),
    ("Color member", Color.GREEN),
    ("list instance", [1, 2]),
    ("int instance", 5),
    ("str instance", "text"),
    ("module", small_module),
    ("None", None),
    ("Box[int]", Box[int]),
]


def _hand_written() -> list[Specimen]:
    found: list[Specimen] = []
    for cls in HAND_WRITTEN_CLASSES:
        name = cls.__qualname__
        for instance in (False, True):
            found.append(
                Specimen(
                    f"{name}(instance={instance})", cls, {"instance": instance}, "class"
                )
            )
    for cls in HAND_WRITTEN_SPEC_SET:
        name = cls.__qualname__
        for instance in (False, True):
            found.append(
                Specimen(
                    f"{name}(instance={instance}, spec_set=True)",
                    cls,
                    {"instance": instance, "spec_set": True},
                    "class",
                )
            )
    for name, func in HAND_WRITTEN_FUNCTIONS:
        found.append(Specimen(name, func, {}, "function"))
        found.append(
            Specimen(f"{name}(spec_set=True)", func, {"spec_set": True}, "function")
        )
    for name, func in (
        ("async_function", async_function),
        ("plain_function", plain_function),
    ):
        found.append(
            Specimen(f"{name}(instance=True)", func, {"instance": True}, "function")
        )
    for name, obj in HAND_WRITTEN_OBJECTS:
        # Instances of builtins have dozens of C methods: sample the calls.
        limit = REAL_CALL_LIMIT if type(obj).__module__ == "builtins" else None
        found.append(Specimen(name, obj, {}, "object", call_limit=limit))
        found.append(
            Specimen(f"{name}(spec_set=True)", obj, {"spec_set": True}, "object", limit)
        )
    keywords: list[tuple[str, Any, dict[str, Any]]] = [
        ("Service(name=...)", Service, {"name": "svc"}),
        (
            "Service(instance=True, name=...)",
            Service,
            {"name": "svc", "instance": True},
        ),
        ("Service(return_value=...)", Service, {"return_value": 5}),
        ("Service(_name=...)", Service, {"_name": "svc"}),
        (
            "Service(instance=True, _name=...)",
            Service,
            {"_name": "svc", "instance": True},
        ),
        (
            "Service(instance=True, configure keywords)",
            Service,
            {"instance": True, "fetch.return_value": 3, "retries": 9},
        ),
        (
            "Service(configure keywords)",
            Service,
            {"fetch.side_effect": KeyError, "return_value.fetch.return_value": 4},
        ),
        (
            "Service(instance=True, side_effect)",
            Service,
            {"instance": True, "side_effect": KeyError("kw")},
        ),
        ("plain_function(side_effect)", plain_function, {"side_effect": KeyError}),
        ("plain_function(return_value)", plain_function, {"return_value": 11}),
        ("async_function(return_value)", async_function, {"return_value": 12}),
        ("Service(unsafe=True)", Service, {"unsafe": True}),
        (
            "Service(instance=True, unsafe=True)",
            Service,
            {"unsafe": True, "instance": True},
        ),
        ("Service(autospect typo)", Service, {"autospect": True}),
        ("Service(auto_spec typo)", Service, {"auto_spec": True, "instance": True}),
        ("Service(set_spec typo, unsafe)", Service, {"set_spec": 1, "unsafe": True}),
        ("Service(spec_set='yes')", Service, {"spec_set": "yes", "instance": True}),
        ("Service(spec_set=0)", Service, {"spec_set": 0, "instance": True}),
        (
            "Wrapped(instance=True, wraps=...)",
            Wrapped,
            {"instance": True, "wraps": Wrapped()},
        ),
        ("Wrapped(wraps=...)", Wrapped, {"wraps": Wrapped}),
    ]
    for name, spec, kwargs in keywords:
        found.append(Specimen(name, spec, kwargs, "keywords"))
    return found


# --------------------------------------------------------------------------
# Real classes and functions from the standard library.

REAL_CLASSES: list[type] = [
    dict,
    list,
    collections.OrderedDict,
    collections.deque,
    datetime.datetime,
    decimal.Decimal,
    io.BytesIO,
    socket.socket,
    xml.etree.ElementTree.Element,
    http.client.HTTPConnection,
    smtplib.SMTP,
    asyncio.AbstractEventLoop,
    asyncio.Queue,
    logging.Logger,
    argparse.ArgumentParser,
    threading.Thread,
    subprocess.Popen,
    pathlib.Path,
    email.message.Message,
    configparser.ConfigParser,
    ftplib.FTP,
    zipfile.ZipFile,
    queue.Queue,
    concurrent.futures.ThreadPoolExecutor,
    unittest.TestCase,
    json.JSONDecoder,
    fractions.Fraction,
    urllib.request.OpenerDirector,
]

REAL_FUNCTIONS: list[Callable[..., Any]] = [
    json.dumps,
    os.path.join,
    shutil.copyfile,
    subprocess.run,
    time.sleep,
    asyncio.sleep,
    io.open,
]

#: Real classes whose mocks are not sealed. ``seal`` autospecs everything
#: reachable from the mock: from pathlib.Path on 3.12+ that is the
#: ``posixpath`` module (``Path._flavour``) and every module it leads to,
#: which takes minutes and gigabytes (the stdlib's own behaviour, not a
#: mockpool one); ConfigParser takes 0.3-0.9 s per seal.
REAL_NO_SEAL: list[type] = [pathlib.Path, configparser.ConfigParser]

#: Real classes also checked with ``spec_set=True``.
REAL_SPEC_SET: list[type] = [
    dict,
    io.BytesIO,
    http.client.HTTPConnection,
    logging.Logger,
    threading.Thread,
    asyncio.AbstractEventLoop,
    pathlib.Path,
]


def _real() -> list[Specimen]:
    found: list[Specimen] = []
    for cls in REAL_CLASSES:
        name = f"{cls.__module__}.{cls.__qualname__}"
        for instance in (False, True):
            found.append(
                Specimen(
                    f"{name}(instance={instance})",
                    cls,
                    {"instance": instance},
                    "real class",
                    REAL_CALL_LIMIT,
                    ("seal",) if cls in REAL_NO_SEAL else (),
                )
            )
    for cls in REAL_SPEC_SET:
        name = f"{cls.__module__}.{cls.__qualname__}"
        found.append(
            Specimen(
                f"{name}(instance=True, spec_set=True)",
                cls,
                {"instance": True, "spec_set": True},
                "real class",
                REAL_CALL_LIMIT,
                ("seal",) if cls in REAL_NO_SEAL else (),
            )
        )
    for func in REAL_FUNCTIONS:
        name = f"{func.__module__}.{func.__qualname__}"
        found.append(Specimen(name, func, {}, "real function", REAL_CALL_LIMIT))
        found.append(
            Specimen(
                f"{name}(spec_set=True)",
                func,
                {"spec_set": True},
                "real function",
                REAL_CALL_LIMIT,
            )
        )
    return found


HAND_WRITTEN: list[Specimen] = _hand_written()
REAL: list[Specimen] = _real()
SPECIMENS: list[Specimen] = HAND_WRITTEN + REAL
GROUPS: tuple[str, ...] = (
    "class",
    "function",
    "object",
    "keywords",
    "real class",
    "real function",
)
