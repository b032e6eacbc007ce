"""mockpool: fast, isolated, shareable mocks for unittest suites."""

from mockpool._autospec import create_autospec
from mockpool._exceptions import (
    DuplicateServiceError,
    InvalidDefaultsError,
    InvalidDependencyError,
    InvalidPolicyError,
    InvalidServiceSpecError,
    InvalidVariantError,
    MockPoolError,
    MockPoolWarning,
    RegistrationError,
    RegistrationTypeError,
    SpecResolutionError,
    UnknownServiceError,
)
from mockpool._factory import Variant, build_mock
from mockpool._policy import (
    AdaptationLevel,
    CachingLevel,
    Policy,
    RecoveryLevel,
    SharingLevel,
    WarmingLevel,
)
from mockpool._registry import (
    Registry,
    ServiceDefinition,
    default_registry,
    register,
    service_definition,
    unregister,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "AdaptationLevel",
    "CachingLevel",
    "DuplicateServiceError",
    "InvalidDefaultsError",
    "InvalidDependencyError",
    "InvalidPolicyError",
    "InvalidServiceSpecError",
    "InvalidVariantError",
    "MockPoolError",
    "MockPoolWarning",
    "Policy",
    "RecoveryLevel",
    "RegistrationError",
    "RegistrationTypeError",
    "Registry",
    "ServiceDefinition",
    "SharingLevel",
    "SpecResolutionError",
    "UnknownServiceError",
    "Variant",
    "WarmingLevel",
    "build_mock",
    "create_autospec",
    "default_registry",
    "register",
    "service_definition",
    "unregister",
]
