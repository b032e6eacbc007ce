"""mockpool: fast, isolated, shareable mocks for unittest suites."""

from mockpool._autospec import create_autospec
from mockpool._dropin_patch import patch
from mockpool._exceptions import (
    ArgumentTypeError,
    DuplicateServiceError,
    InvalidArgumentError,
    InvalidDefaultsError,
    InvalidDependencyError,
    InvalidPolicyError,
    InvalidServiceSpecError,
    InvalidVariantError,
    LeakWarning,
    MockPoolError,
    MockPoolWarning,
    NoActiveSessionError,
    RegistrationError,
    RegistrationTypeError,
    SessionStateError,
    SpecResolutionError,
    UnknownServiceError,
)
from mockpool._factory import Variant, build_mock
from mockpool._install import Installation, install, installed, uninstall
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
from mockpool._system import (
    MockSystem,
    SystemReport,
    cleanup_test_session,
    create_test_session,
    default_system,
    get_service_mock,
    initialize_system,
    setup_parallel_test_environments,
)
from mockpool._unittest import (
    MockSessionMixin,
    mock_services,
    session_for,
    with_mock_session,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "AdaptationLevel",
    "ArgumentTypeError",
    "CachingLevel",
    "DiscardReason",
    "DuplicateServiceError",
    "Installation",
    "InvalidArgumentError",
    "InvalidDefaultsError",
    "InvalidDependencyError",
    "InvalidPolicyError",
    "InvalidServiceSpecError",
    "InvalidVariantError",
    "LeakWarning",
    "MockNamespace",
    "MockPoolError",
    "MockPoolWarning",
    "MockSession",
    "MockSessionMixin",
    "MockSystem",
    "NoActiveSessionError",
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
    "SystemReport",
    "UnknownServiceError",
    "Variant",
    "WarmingLevel",
    "build_mock",
    "cleanup_test_session",
    "create_autospec",
    "create_test_session",
    "current_session",
    "default_registry",
    "default_system",
    "get_service_mock",
    "initialize_system",
    "install",
    "installed",
    "mock_services",
    "mock_session",
    "patch",
    "register",
    "service_definition",
    "session_for",
    "setup_parallel_test_environments",
    "uninstall",
    "unregister",
    "with_mock_session",
]
