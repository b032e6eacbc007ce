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
    SpecResolutionError,
    UnknownServiceError,
)
from mockpool._factory import Variant, build_mock

__version__ = "0.1.0.dev0"

__all__ = [
    "DuplicateServiceError",
    "InvalidDefaultsError",
    "InvalidDependencyError",
    "InvalidPolicyError",
    "InvalidServiceSpecError",
    "InvalidVariantError",
    "MockPoolError",
    "MockPoolWarning",
    "RegistrationError",
    "SpecResolutionError",
    "UnknownServiceError",
    "Variant",
    "build_mock",
    "create_autospec",
]
