"""Named services: what to mock, how, with which defaults and links.

A :class:`Registry` maps service names to :class:`ServiceDefinition`
objects. Registration checks everything it can up front, *by doing*: it
resolves the spec, builds one fresh mock of it and applies the defaults and
dependency attributes to that mock, so a typo fails at ``register()``, not in
the middle of some test. A refused registration leaves the registry exactly as
it was.

Module-level :func:`register`, :func:`unregister` and
:func:`service_definition` act on :data:`default_registry`.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib
import inspect
import keyword
import os
import re
import threading
import types
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar
from unittest import mock

from mockpool._autospec.variants import Variant, build_mock
from mockpool._services.policy import Policy
from mockpool.errors import (
    ArgumentTypeError,
    DuplicateServiceError,
    InvalidDefaultsError,
    InvalidDependencyError,
    InvalidPolicyError,
    InvalidServiceSpecError,
    RegistrationError,
    RegistrationTypeError,
    SpecResolutionError,
    UnknownServiceError,
)

__all__ = [
    "Registry",
    "ServiceDefinition",
    "default_registry",
    "register",
    "service_definition",
    "unregister",
]

_F = TypeVar("_F", bound="Callable[[Any], object]")

#: A service name: ASCII letters, digits and ``_``, in runs joined by single
#: ``.`` or ``-``, not starting with a digit. Names end up in report files,
#: history files and command lines, hence ASCII and no spaces.
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*", re.ASCII)

#: Prefixes for which a mock refuses attribute access (unless ``unsafe``),
#: taking them for misspelt assertions (3.10 added the last three).
_ASSERT_PREFIXES = ("assert", "assret", "asert", "aseert", "assrt")


def _mock_reserved_names() -> frozenset[str]:
    """Return the attribute names that mocks define or reserve themselves."""
    names = set(dir(mock.MagicMock)) | set(dir(mock.NonCallableMagicMock))
    names |= set(vars(mock.MagicMock()))
    names |= set(getattr(mock, "_all_magics", ()))
    names |= set(getattr(mock, "_ATTRIB_DENY_LIST", ()))
    # Names that only some supported Pythons define (NonCallableMock._lock
    # from 3.10, the deny list of assertion typos from 3.12): reserve them
    # everywhere, so a registration valid on one Python is valid on all.
    names |= {
        "_lock",
        "any_call",
        "called_once",
        "called_once_with",
        "called_with",
        "has_calls",
        "not_called",
    }
    return frozenset(names)


_RESERVED_NAMES = _mock_reserved_names()

#: What a class attribute is when it is a method rather than data.
_METHOD_TYPES: tuple[type, ...] = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
    staticmethod,
    classmethod,
    functools.partialmethod,
    functools.singledispatchmethod,
)


def _suggest(value: object, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for a close match, else ``""``."""
    if not isinstance(value, str):
        return ""
    matches = difflib.get_close_matches(value, list(choices), n=1)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _describe(cls: type) -> str:
    """Return the qualified name of *cls* for messages."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_dotted(text: str) -> bool:
    """Return whether *text* is identifiers joined by dots."""
    return all(part.isidentifier() for part in text.split("."))


# -- checks on single arguments ---------------------------------------------


def _check_name(name: object) -> str:
    """Return *name* if it is a valid service name, else raise."""
    if not isinstance(name, str):
        raise RegistrationTypeError(
            f"a service name must be a str, not {name!r}; use a name such as "
            f"'redis', 'auth.jwt' or 'plex-cache'"
        )
    if not _NAME_RE.fullmatch(name):
        candidate = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip(".-")
        candidate = re.sub(r"([.-])[.-]+", r"\1", candidate)
        if candidate[:1].isdigit():
            candidate = "_" + candidate
        hint = f" (such as {candidate!r})" if _NAME_RE.fullmatch(candidate) else ""
        raise RegistrationError(
            f"{name!r} is not a valid service name; use ASCII letters, digits "
            f"and '_', optionally joined by single '.' or '-', not starting "
            f"with a digit{hint}"
        )
    return name


def _check_lookup_name(name: object) -> None:
    """Raise ArgumentTypeError unless *name*, a service to look up, is a str."""
    if not isinstance(name, str):
        raise ArgumentTypeError(
            f"a service name must be a str, not {name!r}; pass the name the "
            f"service is registered under, such as 'redis'"
        )


def _check_flag(name: str, flag: str, value: object) -> None:
    """Raise unless *value*, the argument *flag*, is a ``bool``."""
    if not isinstance(value, bool):
        raise RegistrationTypeError(
            f"service {name!r}: {flag} must be True or False, not {value!r}; "
            f"pass {flag}=True or {flag}=False"
        )


def _resolve_path(name: str, path: str) -> type:
    """Import and return the class named by ``"package.module:Qual.Name"``.

    Args:
        name: The service, for messages.
        path: The lazy spec path.

    Returns:
        The class.

    Raises:
        SpecResolutionError: The path is malformed, its module does not
            import or an attribute on the way is missing.
        InvalidServiceSpecError: The path names something that is not a
            class.
    """
    module_name, _, qualname = path.partition(":")
    if path.count(":") != 1 or not _is_dotted(module_name) or not _is_dotted(qualname):
        hint = ""
        head, _, tail = path.rpartition(".")
        if ":" not in path and head and _is_dotted(path):
            hint = f" (did you mean {head + ':' + tail!r}?)"
        raise SpecResolutionError(
            f"service {name!r}: spec path {path!r} is malformed; write it as "
            f"'package.module:Class' or 'package.module:Outer.Inner'{hint}"
        )
    try:
        target: object = importlib.import_module(module_name)
    except ImportError as exc:
        raise SpecResolutionError(
            f"service {name!r}: spec path {path!r} does not resolve: cannot "
            f"import {module_name!r} ({exc}); check the module name and that "
            f"its package is installed and on sys.path"
        ) from exc
    except Exception as exc:
        raise SpecResolutionError(
            f"service {name!r}: spec path {path!r} does not resolve: importing "
            f"{module_name!r} raised {exc!r}; fix the error in that module"
        ) from exc
    owner = module_name
    for part in qualname.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as exc:
            raise SpecResolutionError(
                f"service {name!r}: spec path {path!r} does not resolve: "
                f"{owner!r} has no attribute {part!r}"
                f"{_suggest(part, dir(target))}; correct the path"
            ) from exc
        owner = f"{owner}{'.' if ':' in owner else ':'}{part}"
    if not isinstance(target, type):
        raise InvalidServiceSpecError(
            f"service {name!r}: spec path {path!r} names {target!r}, which is "
            f"not a class; name the class whose instances the service mocks"
        )
    return target


def _check_spec(name: str, spec: object) -> type:
    """Return the class that *spec* is or names, else raise."""
    if isinstance(spec, str):
        return _resolve_path(name, spec)
    if isinstance(spec, type):
        return spec
    if isinstance(spec, types.ModuleType):
        fix = f"name a class in it, such as '{spec.__name__}:ClassName'"
    elif callable(spec):
        fix = (
            "a service mocks a class; mock a function with "
            "unittest.mock.create_autospec instead"
        )
    elif spec is None:
        fix = "pass a class or a 'package.module:Class' path"
    else:
        fix = f"pass its class, {type(spec).__qualname__}, instead"
    raise InvalidServiceSpecError(
        f"service {name!r}: spec {spec!r} is not a class; {fix}"
    )


def _check_defaults(
    name: str, defaults: object
) -> tuple[dict[str, Any], tuple[Callable[[Any], object], ...]]:
    """Split *defaults* into checked configure_mock paths and configurators."""
    if defaults is None:
        return {}, ()
    if isinstance(defaults, Mapping):
        paths: dict[str, Any] = {}
        for path, value in defaults.items():
            if not isinstance(path, str) or not path:
                raise InvalidDefaultsError(
                    f"service {name!r}: defaults key {path!r} is not a "
                    f"non-empty str; use dotted configure_mock paths such as "
                    f"'get.return_value' or 'host'"
                )
            if not _is_dotted(path):
                raise InvalidDefaultsError(
                    f"service {name!r}: defaults key {path!r} is not a dotted "
                    f"attribute path; write it as configure_mock takes it, "
                    f"such as 'get.return_value'"
                )
            if isinstance(value, mock.NonCallableMock):
                raise InvalidDefaultsError(
                    f"service {name!r}: defaults value for {path!r} is a mock "
                    f"({value!r}); one object would be shared by every "
                    f"instance of the service and its calls would leak "
                    f"between sessions; create it in a configurator instead "
                    f"(defaults=callable or @registry.configure({name!r}))"
                )
            paths[path] = value
        return paths, ()
    if callable(defaults):
        return {}, (defaults,)
    raise RegistrationTypeError(
        f"service {name!r}: defaults must be a mapping of configure_mock "
        f"paths to values, a callable that configures the mock, or None, not "
        f"{defaults!r}; use for example {{'get.return_value': None}}"
    )


def _check_dependency_attribute(
    name: str, cls: type, spec_set: bool, attribute: object
) -> str:
    """Return *attribute* if a mock of *cls* can hold a dependency there."""
    if (
        not isinstance(attribute, str)
        or not attribute.isidentifier()
        or keyword.iskeyword(attribute)
    ):
        raise InvalidDependencyError(
            f"service {name!r}: depends_on attribute {attribute!r} is not a "
            f"Python identifier; use the attribute name through which "
            f"{cls.__qualname__} reaches the dependency, such as 'redis'"
        )
    if attribute.startswith("__") and attribute.endswith("__"):
        raise InvalidDependencyError(
            f"service {name!r}: depends_on attribute {attribute!r} is a dunder "
            f"name, which Python and mock's magic methods own; a dependency "
            f"must be an ordinary attribute such as 'redis'"
        )
    if (
        attribute.startswith("_mock_")
        or attribute in _RESERVED_NAMES
        or attribute.startswith(_ASSERT_PREFIXES)
    ):
        raise InvalidDependencyError(
            f"service {name!r}: depends_on attribute {attribute!r} is a name "
            f"that unittest.mock defines or reserves for its own mocks, so "
            f"wiring a dependency there would break the mock; rename the "
            f"attribute in {cls.__qualname__}"
        )
    if spec_set and attribute not in dir(cls):
        raise InvalidDependencyError(
            f"service {name!r}: depends_on attribute {attribute!r} is not "
            f"declared by {_describe(cls)} and the service uses spec_set=True, "
            f"so its mock refuses to hold it; declare it as a class attribute "
            f"(such as {attribute} = None) or register with spec_set=False"
        )
    try:
        declared = inspect.getattr_static(cls, attribute)
    except AttributeError:
        return attribute
    if isinstance(declared, _METHOD_TYPES):
        raise InvalidDependencyError(
            f"service {name!r}: depends_on attribute {attribute!r} is a method "
            f"of {_describe(cls)}, but a dependency is a data attribute that "
            f"holds the collaborator (such as self.redis); name the attribute "
            f"that holds it instead"
        )
    return attribute


def _check_dependencies(
    name: str, cls: type, spec_set: bool, depends_on: object
) -> dict[str, str]:
    """Return *depends_on* as a checked ``{attribute: service}`` dict."""
    if depends_on is None:
        return {}
    if not isinstance(depends_on, Mapping):
        raise RegistrationTypeError(
            f"service {name!r}: depends_on must be a mapping of attribute to "
            f"service name, or None, not {depends_on!r}; use for example "
            f"{{'redis': 'redis'}}"
        )
    links: dict[str, str] = {}
    for attribute, target in depends_on.items():
        checked = _check_dependency_attribute(name, cls, spec_set, attribute)
        if not isinstance(target, str):
            raise InvalidDependencyError(
                f"service {name!r}: depends_on[{checked!r}] must be the name "
                f"of a service (a str), not {target!r}; register the "
                f"dependency under a name and use that name"
            )
        if not _NAME_RE.fullmatch(target):
            raise InvalidDependencyError(
                f"service {name!r}: depends_on[{checked!r}] is {target!r}, "
                f"which is not a valid service name; use the name the "
                f"dependency is (or will be) registered under"
            )
        links[checked] = target
    return links


def _check_overlap(
    name: str, paths: Mapping[str, Any], links: Mapping[str, str]
) -> None:
    """Refuse defaults that go through an attribute sessions will rewire."""
    for path in paths:
        head = path.split(".", 1)[0]
        if head in links:
            raise InvalidDefaultsError(
                f"service {name!r}: defaults key {path!r} sets attribute "
                f"{head!r}, which depends_on wires to service "
                f"{links[head]!r}; sessions replace that attribute, so the "
                f"default would be lost; set it on service {links[head]!r} "
                f"instead"
            )


# -- the definition -----------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class ServiceDefinition:
    """What :meth:`Registry.register` stored for one service.

    Definitions are immutable and compare by identity: registering again
    with ``replace=True``, or adding a configurator with
    :meth:`Registry.configure`, stores a new definition. Create them through
    a registry, which validates them; constructing one directly checks
    nothing.

    Attributes:
        name: The service name.
        spec: The class, or the lazy ``"package.module:Class"`` path, exactly
            as given to :meth:`~Registry.register`.
        instance: Mock an instance of the class (``True``) or the class
            itself.
        spec_set: Also refuse to *set* attributes the class does not declare.
        defaults: Read-only mapping of dotted
            :meth:`~unittest.mock.Mock.configure_mock` paths to values.
        configurators: Functions that configure a fresh mock, applied in
            order after :attr:`defaults`.
        depends_on: Read-only mapping of attribute name to the name of the
            service that sessions wire into that attribute.
        policy: The service's :class:`~mockpool.Policy`.

    .. versionadded:: 0.1
    """

    name: str
    spec: type | str
    instance: bool = True
    spec_set: bool = False
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    configurators: tuple[Callable[[Any], object], ...] = ()
    depends_on: Mapping[str, str] = dataclasses.field(default_factory=dict)
    policy: Policy = dataclasses.field(default_factory=Policy)

    def __post_init__(self) -> None:
        # Private read-only copies: the caller's dicts may change later.
        object.__setattr__(
            self, "defaults", types.MappingProxyType(dict(self.defaults))
        )
        object.__setattr__(self, "configurators", tuple(self.configurators))
        object.__setattr__(
            self, "depends_on", types.MappingProxyType(dict(self.depends_on))
        )

    def resolve_spec(self) -> type:
        """Return the class this service mocks.

        A lazy path is resolved again on every call (an import that is
        already done, then ``getattr``), so after a module is reloaded, or a
        test replaces the class in its module, the class as it is now is
        used.

        Returns:
            The class.

        Raises:
            SpecResolutionError: The lazy path no longer resolves.
            InvalidServiceSpecError: The lazy path no longer names a class.

        .. versionadded:: 0.1
        """
        if isinstance(self.spec, str):
            return _resolve_path(self.name, self.spec)
        return self.spec

    def apply_defaults(self, target: Any) -> None:
        """Configure *target*, a fresh mock of this service.

        Sets each of :attr:`defaults` as
        :meth:`~unittest.mock.Mock.configure_mock` does (fewest dots first,
        so ``"get"`` is set before ``"get.return_value"``), then calls each of
        :attr:`configurators` with *target*, in order. Values are assigned
        as they are, not copied, exactly like ``configure_mock``.

        Args:
            target: The mock to configure.

        Raises:
            InvalidDefaultsError: A path names an attribute the mock does not
                have or refuses to set, or a configurator raised; the
                message names the path or the configurator, and the original
                exception is chained.

        .. versionadded:: 0.1
        """
        for path, value in sorted(self.defaults.items(), key=lambda e: e[0].count(".")):
            self._apply_path(target, path, value)
        for configurator in self.configurators:
            try:
                configurator(target)
            except Exception as exc:
                label = getattr(configurator, "__qualname__", repr(configurator))
                fix = (
                    "add the attribute to the spec, or register with spec_set=False"
                    if isinstance(exc, AttributeError)
                    else "fix the configurator"
                )
                raise InvalidDefaultsError(
                    f"service {self.name!r}: configurator {label!r} raised "
                    f"{exc!r}; {fix}"
                ) from exc

    def _spec_label(self) -> str:
        """Return the spec's name for messages, without resolving a path."""
        if isinstance(self.spec, str):
            return self.spec
        return self.spec.__qualname__

    def _apply_path(self, target: Any, path: str, value: Any) -> None:
        """Set one dotted *path* on *target*, as configure_mock does."""
        *parents, final = path.split(".")
        obj = target
        for depth, part in enumerate(parents):
            try:
                obj = getattr(obj, part)
            except AttributeError as exc:
                owner = ".".join(parents[:depth]) or self._spec_label()
                raise InvalidDefaultsError(
                    f"service {self.name!r}: defaults key {path!r} does not "
                    f"apply: {owner} has no attribute {part!r}"
                    f"{_suggest(part, dir(obj))}; add {part!r} to the spec or "
                    f"correct the path"
                ) from exc
        try:
            setattr(obj, final, value)
        except AttributeError as exc:
            fix = (
                f"add {final!r} to the spec, or register with spec_set=False"
                if self.spec_set
                else f"add {final!r} to the spec or correct the path"
            )
            raise InvalidDefaultsError(
                f"service {self.name!r}: defaults key {path!r} does not apply: "
                f"setting {final!r} raised {exc!r}; {fix}"
            ) from exc
        except Exception as exc:
            raise InvalidDefaultsError(
                f"service {self.name!r}: defaults key {path!r} does not apply: "
                f"setting {final!r} to {value!r} raised {exc!r}; use another "
                f"value or a configurator"
            ) from exc


# -- the registry -------------------------------------------------------------

#: Every live registry, so that a forked child can give each a fresh lock.
_REGISTRIES: weakref.WeakSet[Registry] = weakref.WeakSet()


class Registry:
    """A thread-safe collection of named services.

    Registration validates everything outside the lock (it imports the spec
    and builds one trial mock); only the final check-and-insert holds it, so
    of several threads registering one name without ``replace=True`` exactly
    one wins. Reads never block on a registration in progress.

    Iteration yields the service names in registration order; a service
    replaced with ``replace=True`` keeps its place.

    .. versionadded:: 0.1
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._services: dict[str, ServiceDefinition] = {}
        _REGISTRIES.add(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} services={self.names()!r}>"

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        with self._lock:
            return name in self._services

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        with self._lock:
            return len(self._services)

    def names(self) -> list[str]:
        """Return the registered service names, in registration order.

        Returns:
            A new list; changing it does not change the registry.

        .. versionadded:: 0.1
        """
        with self._lock:
            return list(self._services)

    def register(
        self,
        name: str,
        spec: type | str,
        *,
        instance: bool = True,
        spec_set: bool = False,
        defaults: Mapping[str, Any] | Callable[[Any], object] | None = None,
        depends_on: Mapping[str, str] | None = None,
        policy: Policy | Mapping[str, str] | None = None,
        replace: bool = False,
    ) -> ServiceDefinition:
        """Register a service, checking it by building one mock of it.

        Args:
            name: The service name: ASCII letters, digits and ``_``, in runs
                joined by single ``.`` or ``-``, not starting with a digit
                (``"redis"``, ``"auth.jwt"``, ``"plex-cache"``).
            spec: The class to mock, or a lazy ``"package.module:Class"``
                path (``"package.module:Outer.Inner"`` for a nested class).
                The module is imported now, so a bad path fails here; the
                path is stored and resolved again at every build.
            instance: Mock an instance of the class rather than the class.
            spec_set: Also refuse to set attributes the class lacks.
            defaults: A mapping of dotted
                :meth:`~unittest.mock.Mock.configure_mock` paths to values
                (``{"get.return_value": None, "host": "localhost"}``), or a
                callable that takes a fresh mock and configures it. Values
                are assigned as they are, not copied; use a callable for
                mutable values that no two mocks should share.
            depends_on: A mapping of attribute name to service name:
                sessions set that attribute of this service's mock to the
                other service's mock. The target need not be registered yet
                (see :meth:`validate`).
            policy: A :class:`~mockpool.Policy`, a mapping of its fields to
                levels, or ``None`` for the default policy.
            replace: Replace a service of the same name instead of refusing.
                The whole definition is replaced, configurators added with
                :meth:`configure` included.

        Returns:
            The stored definition.

        Raises:
            RegistrationError: *name* is not a valid service name.
            RegistrationTypeError: *name* is not a ``str``, a flag is not a
                ``bool``, or *defaults*, *depends_on* or *policy* is of no
                accepted type.
            DuplicateServiceError: *name* is taken and *replace* is false.
            SpecResolutionError: The lazy path is malformed or does not
                resolve.
            InvalidServiceSpecError: *spec* is not a class, or no mock of it
                can be built.
            InvalidDefaultsError: A default does not apply to a fresh mock,
                or a configurator raised.
            InvalidDependencyError: A ``depends_on`` attribute cannot hold a
                dependency, or a target is not a service name.
            InvalidPolicyError: *policy* names an unknown field or level.

        .. versionadded:: 0.1
        """
        _check_name(name)
        for flag, value in (
            ("instance", instance),
            ("spec_set", spec_set),
            ("replace", replace),
        ):
            _check_flag(name, flag, value)
        if not replace:
            # Fail fast, before importing and building; checked again below.
            self._refuse_duplicate(name)
        cls = _check_spec(name, spec)
        try:
            chosen_policy = Policy.coerce(policy)
        except (InvalidPolicyError, RegistrationTypeError) as exc:
            raise type(exc)(f"service {name!r}: {exc}") from None
        paths, configurators = _check_defaults(name, defaults)
        links = _check_dependencies(name, cls, spec_set, depends_on)
        _check_overlap(name, paths, links)
        definition = ServiceDefinition(
            name=name,
            spec=spec,
            instance=instance,
            spec_set=spec_set,
            defaults=paths,
            configurators=configurators,
            depends_on=links,
            policy=chosen_policy,
        )
        _trial_build(definition, cls)
        with self._lock:
            if not replace:
                self._refuse_duplicate(name)
            self._services[name] = definition
        return definition

    def configure(self, name: str) -> Callable[[_F], _F]:
        """Return a decorator that adds a configurator to service *name*.

        The decorated function takes a fresh mock of the service and
        configures it; it runs after the service's defaults and earlier
        configurators. It is tried at once on a fresh mock: if it raises,
        the service is left as it was. The function itself is returned
        unchanged.

        Args:
            name: A registered service.

        Returns:
            The decorator.

        Raises:
            ArgumentTypeError: *name* is not a ``str``.
            UnknownServiceError: (from the decorator) *name* is not
                registered.
            RegistrationTypeError: (from the decorator) the decorated object
                is not callable.
            InvalidDefaultsError: (from the decorator) the configurator
                raised on a fresh mock.

        .. versionadded:: 0.1
        """
        _check_lookup_name(name)

        def decorator(configurator: _F) -> _F:
            if not callable(configurator):
                raise RegistrationTypeError(
                    f"service {name!r}: configure() decorates a function that "
                    f"takes the mock, not {configurator!r}"
                )
            while True:
                current = self.get(name)
                candidate = dataclasses.replace(
                    current, configurators=(*current.configurators, configurator)
                )
                _trial_build(candidate, candidate.resolve_spec())
                with self._lock:
                    # Another thread may have replaced the service meanwhile:
                    # then try again on top of what is registered now.
                    if self._services.get(name) is current:
                        self._services[name] = candidate
                        return configurator

        return decorator

    def unregister(self, name: str) -> None:
        """Remove service *name*.

        Services that depend on it keep their ``depends_on``;
        :meth:`validate` reports them until it is registered again.

        Args:
            name: A registered service.

        Raises:
            ArgumentTypeError: *name* is not a ``str``.
            UnknownServiceError: *name* is not registered.

        .. versionadded:: 0.1
        """
        _check_lookup_name(name)
        with self._lock:
            if name in self._services:
                del self._services[name]
                return
            known = list(self._services)
        raise UnknownServiceError(_unknown_message(name, known))

    def get(self, name: str) -> ServiceDefinition:
        """Return the definition of service *name*.

        Args:
            name: A registered service.

        Returns:
            Its current definition.

        Raises:
            ArgumentTypeError: *name* is not a ``str``.
            UnknownServiceError: *name* is not registered; the message
                suggests a close match.

        .. versionadded:: 0.1
        """
        _check_lookup_name(name)
        with self._lock:
            definition = self._services.get(name)
            if definition is not None:
                return definition
            known = list(self._services)
        raise UnknownServiceError(_unknown_message(name, known))

    def dependencies(self, name: str) -> Mapping[str, str]:
        """Return the read-only ``{attribute: service}`` links of *name*.

        Args:
            name: A registered service.

        Returns:
            Its ``depends_on`` mapping.

        Raises:
            ArgumentTypeError: *name* is not a ``str``.
            UnknownServiceError: *name* is not registered.

        .. versionadded:: 0.1
        """
        return self.get(name).depends_on

    def build(self, name: str, *, variant: Variant | str = Variant.LAZY) -> Any:
        """Build a fresh mock of service *name*, with its defaults applied.

        Dependencies are not wired: that is a session's job.

        Args:
            name: A registered service.
            variant: How to build it (:class:`~mockpool.Variant` or its
                value).

        Returns:
            The new mock.

        Raises:
            ArgumentTypeError: *name* is not a ``str``.
            UnknownServiceError: *name* is not registered.
            InvalidVariantError: *variant* names no variant.
            SpecResolutionError: The lazy path no longer resolves.
            InvalidDefaultsError: A default no longer applies (the class
                changed since registration).

        .. versionadded:: 0.1
        """
        chosen = Variant.coerce(variant)
        definition = self.get(name)
        built = build_mock(
            definition.resolve_spec(),
            chosen,
            instance=definition.instance,
            spec_set=definition.spec_set,
        )
        definition.apply_defaults(built)
        return built

    def validate(self) -> None:
        """Check that every ``depends_on`` target is registered.

        Registration accepts targets that are not registered yet, so that
        services can be registered in any order and depend on each other
        (or themselves); sessions call this before they wire anything.

        Raises:
            UnknownServiceError: Some targets are missing; the message names
                each dependent service, attribute and missing target.

        .. versionadded:: 0.1
        """
        with self._lock:
            definitions = list(self._services.values())
        known = {definition.name for definition in definitions}
        problems = [
            f"service {definition.name!r} depends on {target!r} (attribute "
            f"{attribute!r}), which is not registered{_suggest(target, known)}"
            for definition in definitions
            for attribute, target in definition.depends_on.items()
            if target not in known
        ]
        if problems:
            raise UnknownServiceError(
                "; ".join(problems) + "; register the missing services, or "
                "register the dependents again with replace=True and a "
                "corrected depends_on"
            )

    def _refuse_duplicate(self, name: str) -> None:
        """Raise DuplicateServiceError if *name* is registered."""
        with self._lock:
            existing = self._services.get(name)
        if existing is not None:
            raise DuplicateServiceError(
                f"service {name!r} is already registered (spec "
                f"{existing.spec!r}); pass replace=True to replace it, or "
                f"unregister({name!r}) first"
            )


def _unknown_message(name: object, known: list[str]) -> str:
    """Return the message for a lookup of an unregistered service."""
    if not known:
        return (
            f"no service named {name!r} is registered (the registry is "
            f"empty); register it first"
        )
    return (
        f"no service named {name!r} is registered{_suggest(name, known)}; "
        f"register it first, or use one of {', '.join(map(repr, known))}"
    )


def _trial_build(definition: ServiceDefinition, cls: type) -> None:
    """Build one mock for *definition* and apply what sessions would apply."""
    name = definition.name
    try:
        trial = build_mock(
            cls,
            Variant.LAZY,
            instance=definition.instance,
            spec_set=definition.spec_set,
        )
    except Exception as exc:
        raise InvalidServiceSpecError(
            f"service {name!r}: cannot build a mock of {_describe(cls)}: "
            f"{exc!r}; register a class that unittest.mock.create_autospec "
            f"accepts"
        ) from exc
    definition.apply_defaults(trial)
    for attribute, target in definition.depends_on.items():
        try:
            setattr(trial, attribute, mock.NonCallableMock(name=target))
        except AttributeError as exc:
            raise InvalidDependencyError(
                f"service {name!r}: the mock refuses depends_on attribute "
                f"{attribute!r} ({exc}); declare it on {_describe(cls)} or "
                f"register with spec_set=False"
            ) from exc


def _reinit_after_fork() -> None:
    """Give every registry a new lock in a forked child.

    A lock that another thread of the parent held at the fork would stay
    held for good in the child.
    """
    for registry in list(_REGISTRIES):
        registry._lock = threading.RLock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_reinit_after_fork)


# -- the default registry -------------------------------------------------------

#: The registry that :func:`register`, :func:`unregister` and
#: :func:`service_definition` use, and that sessions use unless given another.
default_registry = Registry()


def register(
    name: str,
    spec: type | str,
    *,
    instance: bool = True,
    spec_set: bool = False,
    defaults: Mapping[str, Any] | Callable[[Any], object] | None = None,
    depends_on: Mapping[str, str] | None = None,
    policy: Policy | Mapping[str, str] | None = None,
    replace: bool = False,
) -> ServiceDefinition:
    """Register a service in :data:`default_registry`.

    Takes the arguments of :meth:`Registry.register`, and raises what it
    raises.

    Args:
        name: The service name.
        spec: The class, or a lazy ``"package.module:Class"`` path.
        instance: Mock an instance of the class rather than the class.
        spec_set: Also refuse to set attributes the class lacks.
        defaults: configure_mock paths to values, or a configurator.
        depends_on: Attribute name to service name.
        policy: A :class:`~mockpool.Policy`, a mapping, or ``None``.
        replace: Replace a service of the same name instead of refusing.

    Returns:
        The stored definition.

    .. versionadded:: 0.1
    """
    return default_registry.register(
        name,
        spec,
        instance=instance,
        spec_set=spec_set,
        defaults=defaults,
        depends_on=depends_on,
        policy=policy,
        replace=replace,
    )


def unregister(name: str) -> None:
    """Remove service *name* from :data:`default_registry`.

    Args:
        name: A registered service.

    Raises:
        ArgumentTypeError: *name* is not a ``str``.
        UnknownServiceError: *name* is not registered.

    .. versionadded:: 0.1
    """
    default_registry.unregister(name)


def service_definition(name: str) -> ServiceDefinition:
    """Return the :class:`ServiceDefinition` of *name* in :data:`default_registry`.

    Named for what it returns: a session's ``get(name)`` returns a *mock*
    of the service; this returns how the service was registered.

    Args:
        name: A registered service.

    Returns:
        Its current definition.

    Raises:
        ArgumentTypeError: *name* is not a ``str``.
        UnknownServiceError: *name* is not registered.

    .. versionadded:: 0.1
    """
    return default_registry.get(name)
