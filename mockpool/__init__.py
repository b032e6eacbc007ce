"""mockpool: fast, isolated, shareable mocks for unittest suites."""

# First: it notes when the import began (mockpool's own start-up is counted
# against the time it saves).
from mockpool._base import startup as _startup

# isort: split
from mockpool._autospec.lazy import create_autospec
from mockpool._autospec.pristine import DiscardReason
from mockpool._autospec.variants import Variant, build_mock
from mockpool._integration.install import Installation, install, installed, uninstall
from mockpool._integration.patch import patch
from mockpool._integration.testcase import (
    MockSessionMixin,
    mock_services,
    session_for,
    with_mock_session,
)
from mockpool._pools.pool import Pool, PoolManager, PoolStats
from mockpool._pools.recovery import RecoveryRecord, is_strict, set_strict
from mockpool._services.definition import ServiceDefinition
from mockpool._services.policy import (
    AdaptationLevel,
    CachingLevel,
    Policy,
    RecoveryLevel,
    SharingLevel,
    WarmingLevel,
)
from mockpool._services.registry import (
    Registry,
    default_registry,
    register,
    service_definition,
    unregister,
)
from mockpool._sessions.session import (
    MockNamespace,
    MockSession,
    current_session,
    mock_session,
)
from mockpool._sessions.system import (
    MockSystem,
    SystemReport,
    cleanup_test_session,
    create_test_session,
    default_system,
    get_service_mock,
    initialize_system,
    setup_parallel_test_environments,
)
from mockpool.errors import (
    ArgumentTypeError,
    DegradedMockError,
    DegradedMockWarning,
    DuplicateServiceError,
    HistoryWarning,
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
    RecoveryFailedError,
    RegistrationError,
    RegistrationTypeError,
    SessionStateError,
    SpecResolutionError,
    UnknownServiceError,
)

__version__ = "0.1.0.dev0"

# Last: connects the side systems (learning, reporting) to the core's events.
from mockpool import _wiring  # noqa: F401  (imported for its connections)

__all__ = [
    "AdaptationLevel",
    "ArgumentTypeError",
    "CachingLevel",
    "DegradedMockError",
    "DegradedMockWarning",
    "DiscardReason",
    "DuplicateServiceError",
    "HistoryWarning",
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
    "RecoveryFailedError",
    "RecoveryLevel",
    "RecoveryRecord",
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
    "is_strict",
    "mock_services",
    "mock_session",
    "patch",
    "register",
    "service_definition",
    "session_for",
    "set_strict",
    "setup_parallel_test_environments",
    "uninstall",
    "unregister",
    "with_mock_session",
]

_startup.loaded()
