"""Exceptions and warnings raised by mockpool (public: ``mockpool.errors``).

Every name here is also importable from :mod:`mockpool` itself. The tree::

    MockPoolError
    ├── RegistrationError (also ValueError)     a register() call was refused
    │   ├── DuplicateServiceError              the name is taken
    │   ├── SpecResolutionError (also ImportError)
    │   │                                      "pkg.mod:Class" did not resolve
    │   ├── InvalidServiceSpecError (also TypeError)
    │   │                                      the spec is not a class
    │   ├── InvalidDependencyError (also AttributeError)
    │   │                                      depends_on names an attribute the
    │   │                                      spec cannot hold
    │   ├── InvalidDefaultsError (also AttributeError)
    │   │                                      defaults name what the spec lacks
    │   ├── InvalidPolicyError                 a policy level is not known
    │   └── RegistrationTypeError (also TypeError)
    │                                          an argument is of the wrong type
    ├── UnknownServiceError (also LookupError) no service has that name
    ├── SessionStateError (also RuntimeError)  a closed session was used
    │   └── NoActiveSessionError               no session is open here
    ├── InvalidArgumentError (also ValueError) an argument's value is unusable
    ├── ArgumentTypeError (also TypeError)     an argument's type is wrong
    ├── InvalidVariantError (also ValueError)  no mock variant has that name

    ├── RecoveryFailedError (also RuntimeError) every recovery stage failed
    └── DegradedMockError (also RuntimeError)   strict mode refused a weaker mock

    MockPoolWarning (UserWarning)               base of every mockpool warning
    ├── LeakWarning                             a test left a patch or mock behind
    ├── HistoryWarning                          the usage history is unusable
    └── DegradedMockWarning                     a recovery stage served a weaker mock

Every error message names the offending value with ``!r`` and says how to
fix it. Each error also derives from the builtin exception that code
written against :mod:`unittest.mock` would already catch.
"""

from __future__ import annotations

__all__ = [
    "ArgumentTypeError",
    "DegradedMockError",
    "DegradedMockWarning",
    "DuplicateServiceError",
    "HistoryWarning",
    "InvalidArgumentError",
    "InvalidDefaultsError",
    "InvalidDependencyError",
    "InvalidPolicyError",
    "InvalidServiceSpecError",
    "InvalidVariantError",
    "LeakWarning",
    "MockPoolError",
    "MockPoolWarning",
    "NoActiveSessionError",
    "RecoveryFailedError",
    "RegistrationError",
    "RegistrationTypeError",
    "SessionStateError",
    "SpecResolutionError",
    "UnknownServiceError",
]


class MockPoolError(Exception):
    """Base class for all mockpool errors."""


class RegistrationError(MockPoolError, ValueError):
    """A service registration was refused; the registry is unchanged."""


class DuplicateServiceError(RegistrationError):
    """A service of that name is already registered (pass ``replace=True``)."""


class SpecResolutionError(RegistrationError, ImportError):
    """A lazy ``"package.module:Class"`` spec path did not resolve."""


class InvalidServiceSpecError(RegistrationError, TypeError):
    """The spec is not a class (or not a ``"package.module:Class"`` string)."""


class InvalidDependencyError(RegistrationError, AttributeError):
    """A ``depends_on`` attribute cannot be held by the service's mock."""


class InvalidDefaultsError(RegistrationError, AttributeError):
    """``defaults`` name an attribute or method that the spec lacks."""


class InvalidPolicyError(RegistrationError):
    """A policy names a level that does not exist."""


class RegistrationTypeError(RegistrationError, TypeError):
    """An argument to a registration is not of a type it accepts.

    Raised for a service name that is not a ``str``, an ``instance``,
    ``spec_set`` or ``replace`` flag that is not a ``bool``, and
    ``defaults``, ``depends_on``, ``policy`` or a configurator of the wrong
    kind. A well-typed argument with a bad value raises the more specific
    :class:`RegistrationError` subclass instead; a spec that is not a class
    raises :class:`InvalidServiceSpecError`, which is a ``TypeError`` too.
    """


class UnknownServiceError(MockPoolError, LookupError):
    """No service of that name is registered."""


class InvalidVariantError(MockPoolError, ValueError):
    """A mock variant name is not one of ``autospec``, ``lazy``, ``minimal``
    or ``stub``.
    """


class SessionStateError(MockPoolError, RuntimeError):
    """A session was used in a state that does not allow it (closed, or
    opened twice).
    """


class NoActiveSessionError(SessionStateError):
    """No mock session is open in this thread or asyncio task."""


class InvalidArgumentError(MockPoolError, ValueError):
    """An argument has the right type but a value mockpool cannot use."""


class ArgumentTypeError(MockPoolError, TypeError):
    """An argument is not of a type the function accepts."""


class MockPoolWarning(UserWarning):
    """Base class for warnings issued by mockpool."""


class LeakWarning(MockPoolWarning):
    """A test left something patched: a patch not undone, or a mock assigned.

    Issued by the per-test sessions of :func:`mockpool.install` and
    ``python -m mockpool run`` when a test ends; the message names the test
    and the target. In strict mode the test fails instead.
    """


class HistoryWarning(MockPoolWarning):
    """The usage history could not be read or written.

    The message names the file or directory and the problem. It is issued at
    most once per path in a process; history then starts afresh, or is off
    for the rest of the process when its directory cannot be written. It
    never fails a test run.
    """


class RecoveryFailedError(MockPoolError, RuntimeError):
    """Building a service's mock failed, and so did every recovery stage its
    policy allows; the message lists what each stage raised.
    """


class DegradedMockError(MockPoolError, RuntimeError):
    """Strict mode refused a mock from a degraded recovery stage (``minimal``
    or ``stub``); the message names the service, the stage and the root
    cause.
    """


class DegradedMockWarning(MockPoolWarning):
    """A service is served by a degraded recovery stage (outside strict mode)."""
