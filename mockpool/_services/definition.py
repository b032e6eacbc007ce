"""One service's recipe: :class:`ServiceDefinition`, and its trial build.

A definition is what :meth:`~mockpool.Registry.register` stores: immutable,
compared by identity, holding its own read-only copies of the defaults and
links it was given. A lazy spec path is resolved again on every build, so the
class as it is now is used. Defaults are applied as ``configure_mock``
applies them, then the configurators in order; a default or configurator
that does not apply raises :class:`~mockpool.errors.InvalidDefaultsError`
naming it.

:func:`trial_build` checks a definition *by doing*: it builds one fresh mock
and applies the defaults and dependency attributes to it as sessions would,
so a typo fails at ``register()``, not in the middle of some test.
"""

from __future__ import annotations

import dataclasses
import types

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import dir, enumerate, getattr, isinstance, repr, setattr, sorted  # noqa: UP029
from collections.abc import Callable, Mapping
from typing import Any
from unittest import mock

from mockpool._autospec.variants import Variant, build_mock
from mockpool._base.records import FACTORY, fill, frozen_record
from mockpool._services.policy import Policy
from mockpool._services.validation import class_name, resolve_path, suggest
from mockpool.errors import (
    InvalidDefaultsError,
    InvalidDependencyError,
    InvalidServiceSpecError,
)

__all__ = ["ServiceDefinition", "trial_build"]


@frozen_record(eq=False)
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
    """

    name: str
    spec: type | str
    instance: bool = True
    spec_set: bool = False
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    configurators: tuple[Callable[[Any], object], ...] = ()
    depends_on: Mapping[str, str] = dataclasses.field(default_factory=dict)
    policy: Policy = dataclasses.field(default_factory=Policy)

    def __init__(
        self,
        name: str,
        spec: type | str,
        instance: bool = True,
        spec_set: bool = False,
        defaults: Mapping[str, Any] = FACTORY,
        configurators: tuple[Callable[[Any], object], ...] = (),
        depends_on: Mapping[str, str] = FACTORY,
        policy: Policy = FACTORY,
    ) -> None:
        fill(self, locals())
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
        """
        if isinstance(self.spec, str):
            return resolve_path(self.name, self.spec)
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
                    f"{suggest(part, dir(obj))}; add {part!r} to the spec or "
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


def trial_build(definition: ServiceDefinition, cls: type) -> None:
    """Build one mock for *definition* and apply what sessions would apply.

    Args:
        definition: The definition to prove.
        cls: The class it mocks, already resolved.

    Raises:
        InvalidServiceSpecError: No mock of *cls* can be built.
        InvalidDefaultsError: A default does not apply, or a configurator
            raised.
        InvalidDependencyError: The mock refuses a ``depends_on`` attribute.
    """
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
            f"service {name!r}: cannot build a mock of {class_name(cls)}: "
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
                f"{attribute!r} ({exc}); declare it on {class_name(cls)} or "
                f"register with spec_set=False"
            ) from exc
