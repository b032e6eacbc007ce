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
    SessionStateError,
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
from mockpool._pool import Pool, PoolManager, PoolStats
from mockpool._pristine import DiscardReason
from mockpool._registry import (
    Registry,
    ServiceDefinition,
    default_registry,
    register,
    service_definition,
    unregister,
)
from mockpool._session import MockNamespace, MockSession, current_session, mock_session

__version__ = "0.1.0.dev0"

__all__ = [
    "AdaptationLevel",
    "CachingLevel",
    "DiscardReason",
    "DuplicateServiceError",
    "InvalidDefaultsError",
    "InvalidDependencyError",
    "InvalidPolicyError",
    "InvalidServiceSpecError",
    "InvalidVariantError",
    "MockNamespace",
    "MockPoolError",
    "MockPoolWarning",
    "MockSession",
    "Policy",
    "Pool",
    "PoolManager",
    "PoolStats",
    "RecoveryLevel",
    "RegistrationError",
    "RegistrationTypeError",
    "Registry",
    "ServiceDefinition",
    "SessionStateError",
    "SharingLevel",
    "SpecResolutionError",
    "UnknownServiceError",
    "Variant",
    "WarmingLevel",
    "build_mock",
    "create_autospec",
    "current_session",
    "default_registry",
    "mock_session",
    "register",
    "service_definition",
    "unregister",
]
