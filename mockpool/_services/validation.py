"""Checks of the arguments of :meth:`~mockpool.Registry.register`.

Each check takes the service's name (for its messages) and one argument, and
returns the argument in the form a :class:`~mockpool.ServiceDefinition`
stores, or raises the :mod:`mockpool.errors` exception that
:meth:`~mockpool.Registry.register` documents, with a message that names the
service, what is wrong and how to fix it. The checks build no mock and touch
no registry; checking *by doing* (building one mock) is
:func:`mockpool._services.definition.trial_build`.

A service name is ASCII letters, digits and ``_``, in runs joined by single
``.`` or ``-``, not starting with a digit. A lazy spec path
``"package.module:Qual.Name"`` is imported and resolved when checked, and
must name a class. A ``depends_on`` attribute is an identifier that a mock of
the class can hold as data: not a dunder, not a name ``unittest.mock``
defines or reserves (on any supported Python), not a method of the class,
and declared by the class when the service uses ``spec_set``.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import keyword
import re
import types

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import all, callable, dir, getattr, isinstance, vars  # noqa: UP029
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from unittest import mock

from mockpool.errors import (
    ArgumentTypeError,
    InvalidDefaultsError,
    InvalidDependencyError,
    InvalidServiceSpecError,
    RegistrationError,
    RegistrationTypeError,
    SpecResolutionError,
)

__all__ = [
    "check_defaults",
    "check_dependencies",
    "check_flag",
    "check_lookup_name",
    "check_name",
    "check_overlap",
    "check_spec",
    "class_name",
    "resolve_path",
    "suggest",
]

#: A service name: ASCII letters, digits and ``_``, in runs joined by single
#: ``.`` or ``-``, not starting with a digit. Names end up in report files,
#: history files and command lines, hence ASCII and no spaces.
_NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*"


def _valid_name(name: str) -> bool:
    """Whether *name* is a service name (:data:`_NAME_PATTERN`).

    Compiled on first use, by :mod:`re`'s cache, not at import: most runs
    register no service, and the compile cost a quarter of this module's import.
    """
    return re.fullmatch(_NAME_PATTERN, name, re.ASCII) is not None


#: Prefixes for which a mock refuses attribute access (unless ``unsafe``),
#: taking them for misspelt assertions (3.10 added the last three).
_ASSERT_PREFIXES = ("assert", "assret", "asert", "aseert", "assrt")


@functools.cache
def _mock_reserved_names() -> frozenset[str]:
    """Return the attribute names that mocks define or reserve themselves.

    Found on first use (a dependency being registered), not at import:
    building the mock and listing the classes cost half of this module's
    import, which most runs never need.
    """
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


def suggest(value: object, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for a close match, else ``""``."""
    if not isinstance(value, str):
        return ""
    matches = difflib.get_close_matches(value, list(choices), n=1)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def class_name(cls: type) -> str:
    """Return the qualified name of *cls* for messages."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_dotted(text: str) -> bool:
    """Return whether *text* is identifiers joined by dots."""
    return all(part.isidentifier() for part in text.split("."))


# -- checks on single arguments ---------------------------------------------


def check_name(name: object) -> str:
    """Return *name* if it is a valid service name, else raise."""
    if not isinstance(name, str):
        raise RegistrationTypeError(
            f"a service name must be a str, not {name!r}; use a name such as "
            f"'redis', 'auth.jwt' or 'plex-cache'"
        )
    if not _valid_name(name):
        candidate = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip(".-")
        candidate = re.sub(r"([.-])[.-]+", r"\1", candidate)
        if candidate[:1].isdigit():
            candidate = "_" + candidate
        hint = f" (such as {candidate!r})" if _valid_name(candidate) else ""
        raise RegistrationError(
            f"{name!r} is not a valid service name; use ASCII letters, digits "
            f"and '_', optionally joined by single '.' or '-', not starting "
            f"with a digit{hint}"
        )
    return name


def check_lookup_name(name: object) -> None:
    """Raise ArgumentTypeError unless *name*, a service to look up, is a str."""
    if not isinstance(name, str):
        raise ArgumentTypeError(
            f"a service name must be a str, not {name!r}; pass the name the "
            f"service is registered under, such as 'redis'"
        )


def check_flag(name: str, flag: str, value: object) -> None:
    """Raise unless *value*, the argument *flag*, is a ``bool``."""
    if not isinstance(value, bool):
        raise RegistrationTypeError(
            f"service {name!r}: {flag} must be True or False, not {value!r}; "
            f"pass {flag}=True or {flag}=False"
        )


def resolve_path(name: str, path: str) -> type:
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
                f"{suggest(part, dir(target))}; correct the path"
            ) from exc
        owner = f"{owner}{'.' if ':' in owner else ':'}{part}"
    if not isinstance(target, type):
        raise InvalidServiceSpecError(
            f"service {name!r}: spec path {path!r} names {target!r}, which is "
            f"not a class; name the class whose instances the service mocks"
        )
    return target


def check_spec(name: str, spec: object) -> type:
    """Return the class that *spec* is or names, else raise."""
    if isinstance(spec, str):
        return resolve_path(name, spec)
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


def check_defaults(
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
        or attribute in _mock_reserved_names()
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
            f"declared by {class_name(cls)} and the service uses spec_set=True, "
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
            f"of {class_name(cls)}, but a dependency is a data attribute that "
            f"holds the collaborator (such as self.redis); name the attribute "
            f"that holds it instead"
        )
    return attribute


def check_dependencies(
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
        if not _valid_name(target):
            raise InvalidDependencyError(
                f"service {name!r}: depends_on[{checked!r}] is {target!r}, "
                f"which is not a valid service name; use the name the "
                f"dependency is (or will be) registered under"
            )
        links[checked] = target
    return links


def check_overlap(
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
