"""Tests for mockpool._services: registering, checking and building services."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
import signal
import sys
import tempfile
import textwrap
import threading
import types
import unittest
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import mockpool
from mockpool import (
    DuplicateServiceError,
    InvalidDefaultsError,
    InvalidDependencyError,
    InvalidPolicyError,
    InvalidServiceSpecError,
    InvalidVariantError,
    Policy,
    RegistrationError,
    RegistrationTypeError,
    Registry,
    ServiceDefinition,
    SpecResolutionError,
    UnknownServiceError,
    Variant,
)

# -- small realistic services -------------------------------------------------


class RedisService:
    """A key-value store client."""

    timeout = 5.0

    def __init__(self, url: str = "redis://localhost") -> None:
        self.url = url

    @property
    def connected(self) -> bool:
        return True

    def get(self, key: str) -> bytes | None:
        raise NotImplementedError

    def set(self, key: str, value: bytes, ttl: int | None = None) -> None:
        raise NotImplementedError

    def delete(self, key: str) -> int:
        raise NotImplementedError

    @staticmethod
    def escape(key: str) -> str:
        return key

    @classmethod
    def from_url(cls, url: str) -> RedisService:
        return cls(url)


class JwtService:
    """Signs and checks tokens."""

    algorithm = "HS256"

    def encode(self, payload: dict[str, Any]) -> str:
        raise NotImplementedError

    def decode(self, token: str) -> dict[str, Any]:
        raise NotImplementedError


class Database:
    """An async database handle."""

    url = "sqlite://"

    async def fetch_one(self, sql: str, *params: object) -> dict[str, Any]:
        raise NotImplementedError

    def execute(self, sql: str, *params: object) -> int:
        raise NotImplementedError


class EncryptionService:
    """Encrypts and decrypts blobs."""

    def encrypt(self, data: bytes) -> bytes:
        raise NotImplementedError

    def decrypt(self, data: bytes) -> bytes:
        raise NotImplementedError


class DeviceSessionService:
    """Device sessions; collaborators are set in ``__init__`` only."""

    def __init__(
        self, redis: RedisService, jwt: JwtService, database: Database
    ) -> None:
        self.redis = redis
        self.jwt = jwt
        self.database = database

    def start(self, device_id: str) -> str:
        raise NotImplementedError

    def end(self, session_id: str) -> None:
        raise NotImplementedError


class AuthController:
    """Declares its collaborators as class attributes, so spec_set works."""

    jwt: JwtService | None = None
    encryption: EncryptionService | None = None
    device_sessions: DeviceSessionService | None = None

    def login(self, username: str, password: str) -> str:
        raise NotImplementedError

    def logout(self, token: str) -> None:
        raise NotImplementedError


class CacheService:
    """An in-process cache."""

    def get(self, key: str) -> object:
        raise NotImplementedError

    def put(self, key: str, value: object) -> None:
        raise NotImplementedError


class PlexService:
    """A media-server client with a cache, an HTTP client and a logger."""

    def __init__(self, cache: CacheService, http: Any, log: Any) -> None:
        self.cache = cache
        self.http = http
        self.log = log

    def library(self, section: str) -> list[str]:
        raise NotImplementedError


class Outer:
    """Holds a nested class, for ``module:Outer.Inner`` paths."""

    class Inner:
        """A nested class."""

        def ping(self, count: int) -> int:
            raise NotImplementedError


def not_a_class() -> None:
    """A function, which is no spec for a service."""


HERE = __name__


def _snapshot(registry: Registry) -> list[tuple[str, ServiceDefinition]]:
    """Return the registry's names and definitions, in order."""
    return [(name, registry.get(name)) for name in registry.names()]


class RegistryTestCase(unittest.TestCase):
    """A fresh registry holding two services, and refusal assertions."""

    def setUp(self) -> None:
        self.registry = Registry()
        self.redis = self.registry.register("redis", RedisService)
        self.jwt = self.registry.register("jwt", JwtService)

    def assertUnchanged(self, before: list[tuple[str, ServiceDefinition]]) -> None:
        """Assert the registry holds exactly *before*, by identity."""
        after = _snapshot(self.registry)
        self.assertEqual([n for n, _ in after], [n for n, _ in before])
        for (name, old), (_, new) in zip(before, after):
            self.assertIs(new, old, f"definition of {name!r} changed")

    def assertRefused(
        self,
        error: type[BaseException],
        call: Callable[[], object],
        *fragments: str,
    ) -> BaseException:
        """Assert *call* raises *error* naming *fragments*, changing nothing."""
        before = _snapshot(self.registry)
        with self.assertRaises(error) as caught:
            call()
        message = str(caught.exception)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertUnchanged(before)
        return caught.exception

    def refuse(
        self,
        error: type[BaseException],
        *fragments: str,
        name: str = "svc",
        spec: Any = CacheService,
        **options: Any,
    ) -> BaseException:
        """Register *name* with *options*, expecting a refusal naming it."""
        return self.assertRefused(
            error,
            lambda: self.registry.register(name, spec, **options),
            repr(name),
            *fragments,
        )


# -- refusals ------------------------------------------------------------------


class NameRefusalTests(RegistryTestCase):
    """Service names are non-empty ASCII identifiers joined by '.' or '-'."""

    def test_non_string_name(self) -> None:
        """A name that is not a str raises RegistrationTypeError."""
        names: tuple[Any, ...] = (None, 42, b"redis", ("redis",))
        for name in names:
            with self.subTest(name=name):
                exc = self.assertRefused(
                    RegistrationTypeError,
                    functools.partial(self.registry.register, name, CacheService),
                    repr(name),
                    "must be a str",
                    "'redis'",
                )
                self.assertIsInstance(exc, TypeError)

    def test_empty_name(self) -> None:
        """An empty name raises RegistrationError."""
        self.refuse(RegistrationError, "not a valid service name", name="")

    def test_malformed_names(self) -> None:
        """Spaces, leading digits, stray separators and non-ASCII are refused."""
        for name in ("my cache", "1cache", ".cache", "cache.", "a..b", "a-.b", "cäche"):
            with self.subTest(name=name):
                exc = self.refuse(
                    RegistrationError, "letters, digits and '_'", name=name
                )
                self.assertNotIsInstance(exc, TypeError)

    def test_malformed_name_gets_suggestion(self) -> None:
        """A name with spaces gets a cleaned-up suggestion."""
        self.refuse(RegistrationError, "such as 'my_cache'", name="my cache")

    def test_valid_names(self) -> None:
        """Dotted, dashed, underscored and digit-bearing names are accepted."""
        for name in ("cache", "auth.jwt", "plex-cache", "_private", "a1.b2-c3"):
            with self.subTest(name=name):
                self.registry.register(name, CacheService)
                self.assertIn(name, self.registry)


class DuplicateRefusalTests(RegistryTestCase):
    """A taken name is refused unless replace=True."""

    def test_duplicate_refused(self) -> None:
        """Registering a taken name raises DuplicateServiceError."""
        self.refuse(DuplicateServiceError, "replace=True", "unregister", name="redis")

    def test_duplicate_refused_before_spec_is_checked(self) -> None:
        """The duplicate check comes first, even for a bad spec."""
        self.refuse(DuplicateServiceError, "replace=True", name="redis", spec=None)

    def test_failed_replace_keeps_old_definition(self) -> None:
        """A refused replace=True leaves the old definition in place."""
        self.refuse(
            InvalidDefaultsError,
            "'gett'",
            name="redis",
            spec=RedisService,
            defaults={"gett.return_value": 1},
            replace=True,
        )
        self.assertIs(self.registry.get("redis"), self.redis)


class SpecRefusalTests(RegistryTestCase):
    """A spec is a class or a "package.module:Class" path that resolves."""

    def test_path_without_colon(self) -> None:
        """A dotted path without ':' is malformed, with a suggestion."""
        exc = self.refuse(
            SpecResolutionError,
            "'http.client.HTTPConnection'",
            "'package.module:Class'",
            "did you mean 'http.client:HTTPConnection'",
            spec="http.client.HTTPConnection",
        )
        self.assertIsInstance(exc, ImportError)

    def test_path_with_two_colons(self) -> None:
        """A path with two ':' is malformed."""
        self.refuse(
            SpecResolutionError,
            "'http:client:HTTPConnection'",
            "'package.module:Class'",
            spec="http:client:HTTPConnection",
        )

    def test_path_with_empty_parts(self) -> None:
        """Empty module or class parts, and non-identifiers, are malformed."""
        for path in (
            ":HTTPConnection",
            "http.client:",
            "",
            "http.client:HTTP Connection",
        ):
            with self.subTest(path=path):
                self.refuse(
                    SpecResolutionError,
                    repr(path),
                    "'package.module:Class'",
                    spec=path,
                )

    def test_missing_module(self) -> None:
        """A module that cannot be imported is refused, its error chained."""
        exc = self.refuse(
            SpecResolutionError,
            "'no_such_module_for_mockpool'",
            "installed",
            spec="no_such_module_for_mockpool:Thing",
        )
        self.assertIsInstance(exc.__cause__, ModuleNotFoundError)

    def test_missing_attribute(self) -> None:
        """A missing class is refused with a close match, its error chained."""
        exc = self.refuse(
            SpecResolutionError,
            "'HTTPConection'",
            "did you mean 'HTTPConnection'",
            "correct the path",
            spec="http.client:HTTPConection",
        )
        self.assertIsInstance(exc.__cause__, AttributeError)

    def test_missing_nested_attribute(self) -> None:
        """A missing nested class names the outer class it was looked up on."""
        exc = self.refuse(
            SpecResolutionError,
            f"'{HERE}:Outer'",
            "'Innr'",
            "did you mean 'Inner'",
            spec=f"{HERE}:Outer.Innr",
        )
        self.assertIsInstance(exc.__cause__, AttributeError)

    def test_module_that_fails_to_import(self) -> None:
        """A module raising on import is refused, its exception chained."""
        with _temporary_module("raise RuntimeError('boom at import')\n") as module:
            exc = self.refuse(
                SpecResolutionError,
                f"{module!r}",
                "boom at import",
                "fix the error",
                spec=f"{module}:Thing",
            )
        self.assertIsInstance(exc.__cause__, RuntimeError)

    def test_path_naming_a_non_class(self) -> None:
        """A path that resolves to a non-class raises InvalidServiceSpecError."""
        exc = self.refuse(
            InvalidServiceSpecError,
            "'http.client:HTTPS_PORT'",
            "not a class",
            spec="http.client:HTTPS_PORT",
        )
        self.assertIsInstance(exc, TypeError)

    def test_non_class_specs(self) -> None:
        """Instances, functions, modules and None raise InvalidServiceSpecError."""
        cases = {
            "instance": (RedisService(), "pass its class, RedisService"),
            "function": (not_a_class, "create_autospec"),
            "builtin": (len, "create_autospec"),
            "module": (types, "'types:ClassName'"),
            "None": (None, "'package.module:Class'"),
            "int": (3, "pass its class, int"),
        }
        for label, (spec, fix) in cases.items():
            with self.subTest(label):
                exc = self.refuse(
                    InvalidServiceSpecError, "not a class", fix, spec=spec
                )
                self.assertIsInstance(exc, TypeError)

    def test_unbuildable_class(self) -> None:
        """A class that create_autospec cannot mock is refused at registration."""

        class Meta(type):
            def __dir__(cls) -> list[str]:
                raise RuntimeError("no dir for you")

        class Hostile(metaclass=Meta):
            pass

        exc = self.refuse(
            InvalidServiceSpecError,
            "cannot build a mock",
            "no dir for you",
            spec=Hostile,
        )
        self.assertIsInstance(exc.__cause__, RuntimeError)


class FlagRefusalTests(RegistryTestCase):
    """instance, spec_set and replace must be bools."""

    def test_non_bool_flags(self) -> None:
        """A non-bool flag raises RegistrationTypeError naming it."""
        for flag in ("instance", "spec_set", "replace"):
            for value in (1, None, "yes"):
                options: dict[str, Any] = {flag: value}
                with self.subTest(flag=flag, value=value):
                    exc = self.refuse(
                        RegistrationTypeError,
                        flag,
                        repr(value),
                        f"{flag}=True or {flag}=False",
                        **options,
                    )
                    self.assertIsInstance(exc, TypeError)


class DependencyRefusalTests(RegistryTestCase):
    """depends_on maps data attributes a mock can hold to service names."""

    def refuse_dependency(
        self, attribute: Any, *fragments: str, **options: Any
    ) -> BaseException:
        """Register a service depending through *attribute*; expect refusal."""
        options.setdefault("spec", DeviceSessionService)
        return self.refuse(
            InvalidDependencyError,
            repr(attribute),
            *fragments,
            depends_on={attribute: "redis"},
            **options,
        )

    def test_not_a_mapping(self) -> None:
        """depends_on that is not a mapping raises RegistrationTypeError."""
        self.refuse(
            RegistrationTypeError,
            "['redis']",
            "{'redis': 'redis'}",
            depends_on=["redis"],
        )

    def test_non_identifier_attribute(self) -> None:
        """Attributes must be identifiers and not keywords."""
        for attribute in ("", "redis-client", "1redis", "class", 7):
            with self.subTest(attribute=attribute):
                self.refuse_dependency(attribute, "not a Python identifier")

    def test_dunder_attribute(self) -> None:
        """Dunder attributes are refused."""
        self.refuse_dependency("__redis__", "dunder")

    def test_mock_private_attribute(self) -> None:
        """Attributes starting with _mock_ are refused."""
        self.refuse_dependency("_mock_redis", "unittest.mock", "rename")

    def test_attributes_mock_defines(self) -> None:
        """Names that mocks define themselves are refused."""
        for attribute in (
            "return_value",
            "side_effect",
            "called",
            "call_count",
            "call_args",
            "call_args_list",
            "mock_calls",
            "method_calls",
            "reset_mock",
            "configure_mock",
            "attach_mock",
            "mock_add_spec",
            "assert_called_with",
            "_spec_class",
            "_lock",
        ):
            with self.subTest(attribute=attribute):
                self.refuse_dependency(attribute, "unittest.mock", "rename")

    def test_attributes_mock_reserves_for_assertions(self) -> None:
        """Names mock takes for misspelt assertions are refused everywhere."""
        for attribute in ("assert_session", "assret_x", "called_once_with"):
            with self.subTest(attribute=attribute):
                self.refuse_dependency(attribute, "reserves")

    def test_undeclared_attribute_with_spec_set(self) -> None:
        """With spec_set=True the spec must declare the attribute."""
        self.refuse_dependency(
            "redis",
            "spec_set=True",
            "declare it as a class attribute",
            "spec_set=False",
            spec_set=True,
        )

    def test_method_attribute(self) -> None:
        """A plain, static or class method of the spec is refused."""
        for attribute in ("get", "escape", "from_url"):
            with self.subTest(attribute=attribute):
                self.refuse_dependency(
                    attribute, "is a method", "data attribute", spec=RedisService
                )

    def test_builtin_method_attribute(self) -> None:
        """A method of a builtin class is refused too."""
        self.refuse_dependency("keys", "is a method", spec=dict)

    def test_target_not_a_string(self) -> None:
        """A target that is not a service name (a class) is refused."""
        self.refuse(
            InvalidDependencyError,
            "depends_on['redis']",
            "RedisService",
            "register the dependency under a name",
            spec=DeviceSessionService,
            depends_on={"redis": RedisService},
        )

    def test_target_not_a_valid_name(self) -> None:
        """A target that could never be registered is refused."""
        self.refuse(
            InvalidDependencyError,
            "'redis cache'",
            "not a valid service name",
            spec=DeviceSessionService,
            depends_on={"redis": "redis cache"},
        )


class DefaultsRefusalTests(RegistryTestCase):
    """Defaults are checked by applying them to a fresh mock."""

    def test_wrong_type(self) -> None:
        """Defaults that are neither mapping nor callable are refused."""
        exc = self.refuse(
            RegistrationTypeError,
            "[('get', 1)]",
            "{'get.return_value': None}",
            defaults=[("get", 1)],
        )
        self.assertIsInstance(exc, TypeError)

    def test_bad_keys(self) -> None:
        """Keys must be non-empty dotted attribute paths."""
        for key in ("", 3, "get..return_value", ".get", "get.", "get return"):
            with self.subTest(key=key):
                self.refuse(
                    InvalidDefaultsError,
                    repr(key),
                    "'get.return_value'",
                    defaults={key: 1},
                )

    def test_unknown_method(self) -> None:
        """A path through a method the spec lacks is refused, with a match."""
        exc = self.refuse(
            InvalidDefaultsError,
            "'gett.return_value'",
            "did you mean 'get'",
            "add 'gett' to the spec",
            defaults={"gett.return_value": 1},
        )
        self.assertIsInstance(exc.__cause__, AttributeError)
        self.assertIsInstance(exc, AttributeError)

    def test_unknown_nested_attribute(self) -> None:
        """A path failing deeper down names where it failed."""
        self.refuse(
            InvalidDefaultsError,
            "'get.return_vlue.x'",
            "get has no attribute 'return_vlue'",
            defaults={"get.return_vlue.x": 1},
        )

    def test_spec_set_refuses_set(self) -> None:
        """With spec_set=True an undeclared attribute cannot be defaulted."""
        exc = self.refuse(
            InvalidDefaultsError,
            "'host'",
            "spec_set=False",
            "add 'host' to the spec",
            spec_set=True,
            defaults={"host": "localhost"},
        )
        self.assertIsInstance(exc.__cause__, AttributeError)

    def test_configurator_attribute_error(self) -> None:
        """A configurator touching a missing attribute is refused."""

        def configure(cache: Any) -> None:
            cache.fetch.return_value = 1

        exc = self.refuse(
            InvalidDefaultsError,
            "'DefaultsRefusalTests.test_configurator_attribute_error.<locals>.configure'",
            "'fetch'",
            "add the attribute to the spec",
            defaults=configure,
        )
        self.assertIsInstance(exc.__cause__, AttributeError)

    def test_configurator_other_error(self) -> None:
        """Any exception from a configurator is refused, its cause chained."""

        def configure(cache: Any) -> None:
            raise ValueError("bad configuration")

        exc = self.refuse(
            InvalidDefaultsError,
            "bad configuration",
            "fix the configurator",
            defaults=configure,
        )
        self.assertIsInstance(exc.__cause__, ValueError)

    def test_configurator_signature_misuse(self) -> None:
        """A configurator calling a method wrongly is refused."""
        exc = self.refuse(
            InvalidDefaultsError,
            "TypeError",
            defaults=lambda cache: cache.get(),
        )
        self.assertIsInstance(exc.__cause__, TypeError)

    def test_mock_value_refused(self) -> None:
        """A mock as a default value would be shared, so it is refused."""
        self.refuse(
            InvalidDefaultsError,
            "'get.return_value'",
            "shared",
            "configurator",
            defaults={"get.return_value": mock.MagicMock()},
        )

    def test_default_through_dependency_refused(self) -> None:
        """A default on an attribute that depends_on rewires is refused."""
        self.refuse(
            InvalidDefaultsError,
            "'redis.get.return_value'",
            "set it on service 'redis'",
            spec=DeviceSessionService,
            defaults={"redis.get.return_value": b"x"},
            depends_on={"redis": "redis"},
        )


class PolicyRefusalTests(RegistryTestCase):
    """The policy goes through Policy.coerce, with the service named."""

    def test_unknown_field(self) -> None:
        """An unknown policy key is refused, with the valid fields."""
        self.refuse(
            InvalidPolicyError,
            "'warmup'",
            "'warming'",
            "'recovery'",
            policy={"warmup": "high"},
        )

    def test_unknown_level(self) -> None:
        """An unknown level is refused, with the allowed levels."""
        self.refuse(
            InvalidPolicyError,
            "'recovery'",
            "'stub'",
            "'template', 'minimal', 'critical'",
            policy={"recovery": "stub"},
        )

    def test_wrong_type(self) -> None:
        """A policy of no accepted type raises RegistrationTypeError."""
        self.refuse(RegistrationTypeError, "'high'", "Policy(", policy="high")


# -- accepted registrations ---------------------------------------------------


class RegisterTests(RegistryTestCase):
    """What a successful registration stores."""

    def test_class_spec(self) -> None:
        """A class spec is stored with the options and default policy."""
        definition = self.registry.register("cache", CacheService)
        self.assertIsInstance(definition, ServiceDefinition)
        self.assertIs(self.registry.get("cache"), definition)
        self.assertEqual(definition.name, "cache")
        self.assertIs(definition.spec, CacheService)
        self.assertIs(definition.resolve_spec(), CacheService)
        self.assertTrue(definition.instance)
        self.assertFalse(definition.spec_set)
        self.assertEqual(dict(definition.defaults), {})
        self.assertEqual(definition.configurators, ())
        self.assertEqual(dict(definition.depends_on), {})
        self.assertEqual(definition.policy, Policy())

    def test_lazy_path_spec(self) -> None:
        """A lazy path is stored as given and resolved to its class."""
        definition = self.registry.register("http", "http.client:HTTPConnection")
        self.assertEqual(definition.spec, "http.client:HTTPConnection")
        import http.client

        self.assertIs(definition.resolve_spec(), http.client.HTTPConnection)

    def test_nested_lazy_path(self) -> None:
        """A "module:Outer.Inner" path resolves to the nested class."""
        definition = self.registry.register("inner", f"{HERE}:Outer.Inner")
        self.assertIs(definition.resolve_spec(), Outer.Inner)
        self.assertEqual(
            self.registry.build("inner").ping(1).__class__.__name__, "MagicMock"
        )

    def test_lazy_path_imports_at_registration(self) -> None:
        """Registering a lazy path imports its module."""
        with _temporary_module("class Thing:\n    pass\n") as module:
            self.assertNotIn(module, sys.modules)
            self.registry.register("thing", f"{module}:Thing")
            self.assertIn(module, sys.modules)

    def test_lazy_path_is_resolved_at_every_build(self) -> None:
        """A class replaced in its module is the one used by later builds."""
        module = types.ModuleType("mockpool_test_fake_module")
        module.Widget = CacheService  # type: ignore[attr-defined]
        sys.modules[module.__name__] = module
        self.addCleanup(sys.modules.pop, module.__name__, None)
        definition = self.registry.register("widget", f"{module.__name__}:Widget")
        self.assertIsInstance(self.registry.build("widget"), CacheService)
        module.Widget = RedisService  # type: ignore[attr-defined]
        self.assertIs(definition.resolve_spec(), RedisService)
        built = self.registry.build("widget")
        self.assertIsInstance(built, RedisService)
        with self.assertRaises(TypeError):
            built.get()

    def test_reloaded_module_class_is_used(self) -> None:
        """After importlib.reload, builds follow the reloaded class."""
        source = "class Widget:\n    def ping(self):\n        pass\n"
        with _temporary_module(source) as module_name:
            module = importlib.import_module(module_name)
            self.registry.register("widget", f"{module_name}:Widget")
            self.registry.build("widget").ping()
            path = module.__file__
            assert path is not None
            with open(path, "w") as handle:
                handle.write(
                    "class Widget:\n    def ping(self, count):\n        pass\n"
                    "    def pong(self):\n        pass\n"
                )
            importlib.reload(module)
            built = self.registry.build("widget")
            self.assertIsInstance(built, module.Widget)
            built.pong()
            with self.assertRaises(TypeError):
                built.ping()

    def test_stored_mappings_are_read_only_copies(self) -> None:
        """defaults and depends_on are read-only and detached from the caller."""
        defaults: dict[str, Any] = {"start.return_value": "s1"}
        links = {"redis": "redis"}
        definition = self.registry.register(
            "devices", DeviceSessionService, defaults=defaults, depends_on=links
        )
        defaults["end.return_value"] = None
        links["jwt"] = "jwt"
        self.assertEqual(dict(definition.defaults), {"start.return_value": "s1"})
        self.assertEqual(dict(definition.depends_on), {"redis": "redis"})
        with self.assertRaises(TypeError):
            definition.defaults["x"] = 1  # type: ignore[index]
        with self.assertRaises(TypeError):
            definition.depends_on["x"] = "y"  # type: ignore[index]

    def test_definition_is_frozen_and_compared_by_identity(self) -> None:
        """A definition cannot be changed and equals only itself."""
        again = Registry().register("redis", RedisService)
        with self.assertRaises(dataclasses.FrozenInstanceError):
            self.redis.spec_set = True  # type: ignore[misc]
        self.assertNotEqual(self.redis, again)
        self.assertEqual(self.redis, self.redis)
        self.assertEqual(len({self.redis, again}), 2)

    def test_policy_mapping_and_object(self) -> None:
        """A policy mapping is coerced; a Policy is stored as it is."""
        policy = Policy(sharing="isolated")
        self.assertIs(
            self.registry.register("a", CacheService, policy=policy).policy, policy
        )
        self.assertEqual(
            self.registry.register(
                "b", CacheService, policy={"warming": "critical"}
            ).policy,
            Policy(warming="critical"),
        )

    def test_replace(self) -> None:
        """replace=True swaps the definition atomically, keeping its place."""
        new = self.registry.register("redis", RedisService, spec_set=True, replace=True)
        self.assertIsNot(new, self.redis)
        self.assertIs(self.registry.get("redis"), new)
        self.assertEqual(self.registry.names(), ["redis", "jwt"])

    def test_replace_of_unknown_name_registers(self) -> None:
        """replace=True for a new name simply registers it."""
        self.registry.register("cache", CacheService, replace=True)
        self.assertIn("cache", self.registry)

    def test_instance_attribute_allowed_with_plain_spec(self) -> None:
        """Defaults may set attributes only __init__ creates (plain spec)."""
        self.registry.register("redis2", RedisService, defaults={"url": "redis://test"})
        self.assertEqual(self.registry.build("redis2").url, "redis://test")

    def test_instance_false_mocks_the_class(self) -> None:
        """instance=False mocks the class itself, which returns instances."""
        self.registry.register(
            "redis_cls",
            RedisService,
            instance=False,
            defaults={"return_value.get.return_value": b"v"},
        )
        cls_mock = self.registry.build("redis_cls")
        with self.assertRaises(TypeError):
            cls_mock(1, 2, 3)
        self.assertEqual(cls_mock("redis://x").get("k"), b"v")


class DefaultsTests(RegistryTestCase):
    """Defaults, in both forms, are applied to every built mock."""

    def test_mapping_defaults_applied(self) -> None:
        """configure_mock paths set return values, side effects and data."""
        self.registry.register(
            "cache",
            CacheService,
            defaults={
                "get.return_value": "hit",
                "put.side_effect": KeyError("full"),
                "size": 3,
            },
        )
        cache = self.registry.build("cache")
        self.assertEqual(cache.get("k"), "hit")
        with self.assertRaises(KeyError):
            cache.put("k", 1)
        self.assertEqual(cache.size, 3)

    def test_fewest_dots_first(self) -> None:
        """Shallower paths are set first, as configure_mock does."""
        self.registry.register(
            "cache",
            CacheService,
            defaults={
                "get.return_value.status": 200,
                "get.return_value": types.SimpleNamespace(),
            },
        )
        self.assertEqual(self.registry.build("cache").get("k").status, 200)

    def test_callable_defaults_applied(self) -> None:
        """A callable receives each fresh mock."""
        seen: list[Any] = []

        def configure(cache: Any) -> None:
            seen.append(cache)
            cache.get.return_value = "configured"

        definition = self.registry.register("cache", CacheService, defaults=configure)
        self.assertEqual(definition.configurators, (configure,))
        built = self.registry.build("cache")
        self.assertEqual(built.get("k"), "configured")
        self.assertIs(seen[-1], built)
        # Once for the trial mock at registration, once for this build.
        self.assertEqual(len(seen), 2)

    def test_configure_decorator(self) -> None:
        """configure() appends a configurator that runs after the defaults."""
        self.registry.register(
            "cache", CacheService, defaults={"get.return_value": "default"}
        )
        old = self.registry.get("cache")

        @self.registry.configure("cache")
        def override(cache: Any) -> None:
            cache.get.return_value = cache.get.return_value + "+configured"

        self.assertTrue(callable(override))
        new = self.registry.get("cache")
        self.assertIsNot(new, old)
        self.assertEqual(new.configurators, (override,))
        self.assertEqual(dict(new.defaults), {"get.return_value": "default"})
        self.assertEqual(self.registry.build("cache").get("k"), "default+configured")

    def test_configure_returns_function_unchanged(self) -> None:
        """The decorated function is returned as it is."""

        def configure(cache: Any) -> None:
            pass

        self.assertIs(self.registry.configure("redis")(configure), configure)

    def test_configure_unknown_service(self) -> None:
        """configure() of an unregistered service raises UnknownServiceError."""
        self.assertRefused(
            UnknownServiceError,
            lambda: self.registry.configure("rediss")(lambda m: None),
            "'rediss'",
            "did you mean 'redis'",
        )

    def test_configure_failing_configurator(self) -> None:
        """A configurator that fails on a fresh mock leaves the service as is."""

        def configure(redis: Any) -> None:
            redis.fetch.return_value = 1

        exc = self.assertRefused(
            InvalidDefaultsError,
            lambda: self.registry.configure("redis")(configure),
            "'redis'",
            "'fetch'",
        )
        self.assertIsInstance(exc.__cause__, AttributeError)

    def test_configure_non_callable(self) -> None:
        """configure() refuses to decorate a non-callable."""
        self.assertRefused(
            RegistrationTypeError,
            lambda: self.registry.configure("redis")(42),  # type: ignore[type-var]
            "'redis'",
            "42",
        )

    def test_values_are_not_copied(self) -> None:
        """Default values are assigned as they are, like configure_mock."""
        value = ["shared"]
        self.registry.register(
            "cache", CacheService, defaults={"get.return_value": value}
        )
        self.assertIs(self.registry.build("cache").get("k"), value)


class LookupTests(RegistryTestCase):
    """get, unregister, membership, iteration and length."""

    def test_unknown_service_suggests(self) -> None:
        """get() of an unknown name suggests a close match and lists names."""
        with self.assertRaises(UnknownServiceError) as caught:
            self.registry.get("rdis")
        message = str(caught.exception)
        self.assertIn("'rdis'", message)
        self.assertIn("did you mean 'redis'", message)
        self.assertIn("register it first", message)
        self.assertIsInstance(caught.exception, LookupError)

    def test_unknown_service_in_empty_registry(self) -> None:
        """get() on an empty registry says that it is empty."""
        with self.assertRaisesRegex(UnknownServiceError, "empty"):
            Registry().get("redis")

    def test_unregister(self) -> None:
        """unregister() removes the service and only it."""
        self.registry.unregister("redis")
        self.assertNotIn("redis", self.registry)
        self.assertEqual(self.registry.names(), ["jwt"])
        self.assertIs(self.registry.get("jwt"), self.jwt)

    def test_unregister_unknown(self) -> None:
        """unregister() of an unknown name raises, changing nothing."""
        self.assertRefused(
            UnknownServiceError,
            lambda: self.registry.unregister("jwtt"),
            "'jwtt'",
            "did you mean 'jwt'",
        )

    def test_container_protocol(self) -> None:
        """in, iter, len and names() follow registration order."""
        self.registry.register("cache", CacheService)
        self.assertEqual(list(self.registry), ["redis", "jwt", "cache"])
        self.assertEqual(self.registry.names(), ["redis", "jwt", "cache"])
        self.assertEqual(len(self.registry), 3)
        self.assertIn("cache", self.registry)
        self.assertNotIn("nope", self.registry)
        self.assertNotIn(42, self.registry)
        self.assertNotIn(["unhashable"], self.registry)
        self.assertIn("cache", repr(self.registry))

    def test_names_is_a_copy(self) -> None:
        """Changing the list from names() does not change the registry."""
        self.registry.names().clear()
        self.assertEqual(len(self.registry), 2)

    def test_iteration_survives_changes(self) -> None:
        """Registering while iterating does not break the iteration."""
        seen = []
        for name in self.registry:
            seen.append(name)
            self.registry.register(f"{name}_copy", CacheService)
        self.assertEqual(seen, ["redis", "jwt"])


class BuildTests(RegistryTestCase):
    """build() returns fresh mocks that enforce the spec."""

    def test_fresh_mock_each_time(self) -> None:
        """Every build returns a new mock."""
        self.assertIsNot(self.registry.build("redis"), self.registry.build("redis"))

    def test_enforces_signatures(self) -> None:
        """Calling a method with the wrong arguments raises TypeError."""
        redis = self.registry.build("redis")
        with self.assertRaises(TypeError):
            redis.get()
        with self.assertRaises(TypeError):
            redis.set("k", b"v", 1, 2)
        redis.set("k", b"v", ttl=3)
        redis.set.assert_called_once_with("k", b"v", ttl=3)

    def test_enforces_attributes(self) -> None:
        """Reading an attribute the spec lacks raises AttributeError."""
        redis = self.registry.build("redis")
        with self.assertRaises(AttributeError):
            redis.fetch

    def test_is_instance_of_spec(self) -> None:
        """The mock passes isinstance checks against the spec."""
        self.assertIsInstance(self.registry.build("redis"), RedisService)

    def test_async_methods_are_async(self) -> None:
        """Coroutine methods become AsyncMock, as with create_autospec."""
        self.registry.register("db", Database)
        self.assertIsInstance(self.registry.build("db").fetch_one, mock.AsyncMock)

    def test_spec_set_enforced(self) -> None:
        """With spec_set=True, setting an undeclared attribute raises."""
        self.registry.register("strict", RedisService, spec_set=True)
        strict = self.registry.build("strict")
        with self.assertRaises(AttributeError):
            strict.host = "x"
        strict.timeout = 1.0

    def test_variants(self) -> None:
        """Every variant builds, by enum member or by its string."""
        self.registry.register("cache", CacheService, defaults={"get.return_value": 1})
        for variant in (*Variant, "autospec", "minimal"):
            with self.subTest(variant=variant):
                self.assertEqual(
                    self.registry.build("cache", variant=variant).get("k"), 1
                )

    def test_invalid_variant(self) -> None:
        """An unknown variant raises InvalidVariantError."""
        with self.assertRaises(InvalidVariantError):
            self.registry.build("redis", variant="eager")

    def test_unknown_service(self) -> None:
        """build() of an unknown service raises UnknownServiceError."""
        with self.assertRaises(UnknownServiceError):
            self.registry.build("nope")

    def test_no_dependency_wiring(self) -> None:
        """build() leaves dependency attributes to sessions."""
        self.registry.register(
            "devices", DeviceSessionService, depends_on={"redis": "redis"}
        )
        devices = self.registry.build("devices")
        with self.assertRaises(AttributeError):
            devices.redis

    def test_defaults_that_no_longer_apply(self) -> None:
        """A default broken by a changed class fails the build clearly."""
        module = types.ModuleType("mockpool_test_changing_module")
        module.Widget = CacheService  # type: ignore[attr-defined]
        sys.modules[module.__name__] = module
        self.addCleanup(sys.modules.pop, module.__name__, None)
        self.registry.register(
            "widget", f"{module.__name__}:Widget", defaults={"put.return_value": 1}
        )
        module.Widget = JwtService  # type: ignore[attr-defined]
        with self.assertRaisesRegex(InvalidDefaultsError, "'widget'.*'put'"):
            self.registry.build("widget")


# -- dependencies ---------------------------------------------------------------


class DependencyTests(RegistryTestCase):
    """depends_on, forward references and validate()."""

    def test_accepted_attributes(self) -> None:
        """Instance, private, property and class attributes are accepted."""
        self.registry.register(
            "devices",
            DeviceSessionService,
            depends_on={"redis": "redis", "_jwt": "jwt"},
        )
        self.registry.register(
            "redis_wrapped",
            RedisService,
            depends_on={"connected": "redis", "timeout": "redis"},
        )
        self.registry.validate()

    def test_spec_set_with_declared_attributes(self) -> None:
        """With spec_set=True, class-level declarations are accepted."""
        definition = self.registry.register(
            "auth", AuthController, spec_set=True, depends_on={"jwt": "jwt"}
        )
        self.assertEqual(dict(definition.depends_on), {"jwt": "jwt"})

    def test_dependencies(self) -> None:
        """dependencies() returns the read-only depends_on mapping."""
        self.registry.register(
            "devices", DeviceSessionService, depends_on={"redis": "redis"}
        )
        links = self.registry.dependencies("devices")
        self.assertEqual(dict(links), {"redis": "redis"})
        with self.assertRaises(TypeError):
            links["jwt"] = "jwt"  # type: ignore[index]
        with self.assertRaises(UnknownServiceError):
            self.registry.dependencies("nope")

    def test_forward_reference_accepted_then_validated(self) -> None:
        """An unknown target is accepted, then reported by validate()."""
        self.registry.register(
            "devices",
            DeviceSessionService,
            depends_on={"redis": "redis", "database": "databse"},
        )
        with self.assertRaises(UnknownServiceError) as caught:
            self.registry.validate()
        message = str(caught.exception)
        for fragment in (
            "'devices'",
            "'database'",
            "'databse'",
            "register the missing",
        ):
            self.assertIn(fragment, message)
        self.registry.register("databse", Database)
        self.registry.validate()

    def test_validate_reports_every_missing_target(self) -> None:
        """validate() names every dangling dependency at once."""
        self.registry.register(
            "devices", DeviceSessionService, depends_on={"database": "database"}
        )
        self.registry.register("plex", PlexService, depends_on={"cache": "cache"})
        with self.assertRaises(UnknownServiceError) as caught:
            self.registry.validate()
        self.assertIn("'database'", str(caught.exception))
        self.assertIn("'cache'", str(caught.exception))

    def test_validate_after_unregister(self) -> None:
        """Unregistering a target leaves its dependents for validate() to report."""
        self.registry.register(
            "devices", DeviceSessionService, depends_on={"redis": "redis"}
        )
        self.registry.validate()
        self.registry.unregister("redis")
        with self.assertRaisesRegex(UnknownServiceError, "'devices'.*'redis'"):
            self.registry.validate()

    def test_cycles_and_self_dependency(self) -> None:
        """Services may depend on each other and on themselves."""
        self.registry.register("a", PlexService, depends_on={"cache": "b"})
        self.registry.register("b", PlexService, depends_on={"cache": "a", "http": "b"})
        self.registry.validate()

    def test_seed_relationships(self) -> None:
        """The seed's service graph registers, validates and wires."""
        registry = Registry()
        # Dependents first: targets are forward references until the end.
        registry.register(
            "auth",
            AuthController,
            spec_set=True,
            depends_on={
                "jwt": "jwt",
                "encryption": "encryption",
                "device_sessions": "device_sessions",
            },
        )
        registry.register(
            "device_sessions",
            DeviceSessionService,
            depends_on={"redis": "redis", "jwt": "jwt", "database": "database"},
        )
        registry.register(
            "plex",
            PlexService,
            depends_on={"cache": "cache", "http": "http", "log": "logger"},
        )
        with self.assertRaises(UnknownServiceError):
            registry.validate()
        registry.register("redis", RedisService)
        registry.register(
            "jwt", JwtService, defaults={"decode.return_value": {"sub": "u1"}}
        )
        registry.register("database", Database)
        registry.register("encryption", EncryptionService)
        registry.register("cache", CacheService)
        registry.register("http", "http.client:HTTPConnection")
        registry.register("logger", "logging:Logger")
        registry.validate()

        # Wire by hand, as a session will, to show every mock holds its links.
        mocks = {name: registry.build(name) for name in registry}
        for name in registry:
            for attribute, target in registry.dependencies(name).items():
                setattr(mocks[name], attribute, mocks[target])
        auth = mocks["auth"]
        self.assertIs(auth.device_sessions.jwt, auth.jwt)
        self.assertEqual(auth.device_sessions.jwt.decode("t"), {"sub": "u1"})
        with self.assertRaises(TypeError):
            auth.device_sessions.redis.get()
        mocks["plex"].http.request("GET", "/library")
        mocks["plex"].log.info("fetched %s", "library")
        mocks["http"].request.assert_called_once_with("GET", "/library")
        with self.assertRaises(AttributeError):
            mocks["plex"].http.no_such_method


# -- the default registry -------------------------------------------------------


class DefaultRegistryTests(unittest.TestCase):
    """Module-level functions act on mockpool.default_registry."""

    def test_module_functions(self) -> None:
        """register, service_definition and unregister use the default registry."""
        name = f"test_service_{uuid.uuid4().hex}"
        definition = mockpool.register(
            name, CacheService, defaults={"get.return_value": 1}
        )
        self.addCleanup(_discard_default_service, name)
        self.assertIn(name, mockpool.default_registry)
        self.assertIs(mockpool.service_definition(name), definition)
        self.assertEqual(mockpool.default_registry.build(name).get("k"), 1)
        with self.assertRaises(DuplicateServiceError):
            mockpool.register(name, CacheService)
        mockpool.unregister(name)
        self.assertNotIn(name, mockpool.default_registry)
        with self.assertRaises(UnknownServiceError):
            mockpool.service_definition(name)

    def test_default_registry_is_a_registry(self) -> None:
        """default_registry is a Registry."""
        self.assertIsInstance(mockpool.default_registry, Registry)


# -- threads and processes ------------------------------------------------------


class ConcurrencyTests(unittest.TestCase):
    """Registration is atomic across threads and survives a fork."""

    THREADS = 8

    def run_threads(self, target: Callable[[int], object]) -> None:
        """Run *target(i)* in THREADS threads released at once."""
        barrier = threading.Barrier(self.THREADS)

        def run(index: int) -> None:
            barrier.wait(timeout=10)
            target(index)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(self.THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
            self.assertFalse(thread.is_alive())

    def test_same_name_exactly_one_wins(self) -> None:
        """Of threads registering one name, one wins and the rest are refused."""
        registry = Registry()
        wins: list[ServiceDefinition] = []
        refusals: list[DuplicateServiceError] = []
        errors: list[BaseException] = []

        # Every thread's trial build waits here, so all of them are past the
        # early duplicate check before any reaches the final one.
        all_validating = threading.Barrier(self.THREADS)

        def register(index: int) -> None:
            try:
                wins.append(
                    registry.register(
                        "redis",
                        RedisService,
                        defaults=lambda redis: all_validating.wait(timeout=10),
                    )
                )
            except DuplicateServiceError as exc:
                refusals.append(exc)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        self.run_threads(register)
        self.assertEqual(errors, [])
        self.assertEqual(len(wins), 1)
        self.assertEqual(len(refusals), self.THREADS - 1)
        self.assertIs(registry.get("redis"), wins[0])
        self.assertEqual(registry.names(), ["redis"])

    def test_distinct_names_all_registered(self) -> None:
        """Threads registering different names all succeed."""
        registry = Registry()
        self.run_threads(lambda i: registry.register(f"cache{i}", CacheService))
        self.assertEqual(len(registry), self.THREADS)

    def test_concurrent_configure_keeps_every_configurator(self) -> None:
        """Configurators added from several threads are all kept."""
        registry = Registry()
        registry.register("cache", CacheService)
        # Each configurator's first run (its own trial build) waits for all
        # the others, so every thread races to store on the same snapshot.
        all_validating = threading.Barrier(self.THREADS)
        first_runs: set[int] = set()

        def configurator(cache: Any, index: int) -> None:
            if index not in first_runs:
                first_runs.add(index)
                all_validating.wait(timeout=10)
            cache.size = index

        configurators = [
            functools.partial(configurator, index=i) for i in range(self.THREADS)
        ]
        self.run_threads(lambda i: registry.configure("cache")(configurators[i]))
        stored = registry.get("cache").configurators
        self.assertEqual(len(stored), self.THREADS)
        self.assertEqual(set(map(id, stored)), set(map(id, configurators)))

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_forked_child_gets_a_fresh_lock(self) -> None:
        """A child forked while another thread holds the lock can register."""
        registry = Registry()
        holding = threading.Event()
        release = threading.Event()

        def hold() -> None:
            with registry._lock:
                holding.set()
                release.wait(30)

        holder = threading.Thread(target=hold)
        holder.start()
        try:
            self.assertTrue(holding.wait(10))
            with warnings.catch_warnings():
                # 3.12+ warns that forking a multi-threaded process is risky.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child
                code = 1
                try:
                    signal.alarm(20)  # never hang the suite on a deadlock
                    registry.register("redis", RedisService)
                    code = 0 if registry.names() == ["redis"] else 2
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
        finally:
            release.set()
            holder.join()
        self.assertTrue(os.WIFEXITED(status), f"child status {status}")
        self.assertEqual(os.WEXITSTATUS(status), 0)


def _discard_default_service(name: str) -> None:
    """Unregister *name* from the default registry if it is there."""
    if name in mockpool.default_registry:
        mockpool.unregister(name)


@contextmanager
def _temporary_module(source: str) -> Iterator[str]:
    """Yield the name of a fresh importable module holding *source*."""
    name = f"mockpool_test_module_{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as directory:
        with open(os.path.join(directory, f"{name}.py"), "w") as handle:
            handle.write(textwrap.dedent(source))
        sys.path.insert(0, directory)
        importlib.invalidate_caches()
        try:
            yield name
        finally:
            sys.path.remove(directory)
            sys.modules.pop(name, None)


if __name__ == "__main__":
    unittest.main()
