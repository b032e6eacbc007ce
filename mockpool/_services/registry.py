"""Named services: what to mock, how, with which defaults and links.

A :class:`Registry` maps service names to :class:`ServiceDefinition`
objects. Registration checks everything it can up front, *by doing*: it
resolves the spec, builds one fresh mock of it and applies the defaults and
dependency attributes to that mock, so a typo fails at ``register()``, not in
the middle of some test. A refused registration leaves the registry exactly as
it was. The checks of single arguments are in
:mod:`mockpool._services.validation`, the definition and its trial build in
:mod:`mockpool._services.definition`.

Module-level :func:`register`, :func:`unregister` and
:func:`service_definition` act on :data:`default_registry`. A forked child
gives every registry a new lock.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import weakref

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import callable, hasattr, isinstance, iter, len, map, repr  # noqa: UP029
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from mockpool._autospec.variants import Variant, build_mock
from mockpool._services.definition import ServiceDefinition, trial_build
from mockpool._services.policy import Policy
from mockpool._services.validation import (
    check_defaults,
    check_dependencies,
    check_flag,
    check_lookup_name,
    check_name,
    check_overlap,
    check_spec,
    suggest,
)
from mockpool.errors import (
    DuplicateServiceError,
    InvalidPolicyError,
    RegistrationTypeError,
    UnknownServiceError,
)

__all__ = [
    "Registry",
    "default_registry",
    "register",
    "service_definition",
    "unregister",
]

_F = TypeVar("_F", bound="Callable[[Any], object]")


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
        """
        check_name(name)
        for flag, value in (
            ("instance", instance),
            ("spec_set", spec_set),
            ("replace", replace),
        ):
            check_flag(name, flag, value)
        if not replace:
            # Fail fast, before importing and building; checked again below.
            self._refuse_duplicate(name)
        cls = check_spec(name, spec)
        try:
            chosen_policy = Policy.coerce(policy)
        except (InvalidPolicyError, RegistrationTypeError) as exc:
            raise type(exc)(f"service {name!r}: {exc}") from None
        paths, configurators = check_defaults(name, defaults)
        links = check_dependencies(name, cls, spec_set, depends_on)
        check_overlap(name, paths, links)
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
        trial_build(definition, cls)
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
        """
        check_lookup_name(name)

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
                trial_build(candidate, candidate.resolve_spec())
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
        """
        check_lookup_name(name)
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
        """
        check_lookup_name(name)
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
        """
        with self._lock:
            definitions = list(self._services.values())
        known = {definition.name for definition in definitions}
        problems = [
            f"service {definition.name!r} depends on {target!r} (attribute "
            f"{attribute!r}), which is not registered{suggest(target, known)}"
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
        f"no service named {name!r} is registered{suggest(name, known)}; "
        f"register it first, or use one of {', '.join(map(repr, known))}"
    )


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
    """
    return default_registry.get(name)
