"""Tests that leak on purpose, and tests that clean up after themselves.

Not discovered (no ``test_`` prefix): tests/test_dropin.py runs them under
the drop-in's per-test sessions and checks which ones the leak check names.
:func:`repair` undoes every leak afterwards.
"""

from __future__ import annotations

import contextlib
import os
import sys
import unittest
from typing import Any
from unittest import mock

CONFIG: dict[str, str] = {"mode": "prod"}
#: Patchers the leaking tests started and never stopped.
STARTED: list[Any] = []


def helper() -> str:
    """A module-level function the tests patch or replace."""
    return "real"


class Target:
    """A class whose method the tests patch or replace."""

    def method(self) -> str:
        return "real"


_ORIGINAL_HELPER = helper
_ORIGINAL_METHOD = Target.__dict__["method"]
_ORIGINAL_CONFIG = dict(CONFIG)

#: The ids of the tests below that leak, and what the check calls the leak.
LEAKING = {
    "tests._leaky.Leaks.test_patch_started_never_stopped": "patch not undone",
    "tests._leaky.Leaks.test_patch_dict_never_stopped": "patch not undone",
    "tests._leaky.Leaks.test_mock_assigned_to_module": "mock assigned",
    "tests._leaky.Leaks.test_mock_assigned_to_class": "mock assigned",
}


class Leaks(unittest.TestCase):
    def test_patch_started_never_stopped(self) -> None:
        patcher = mock.patch(f"{__name__}.helper", return_value="fake")
        STARTED.append(patcher)
        patcher.start()
        self.assertEqual(helper(), "fake")

    def test_patch_dict_never_stopped(self) -> None:
        patcher = mock.patch.dict(CONFIG, {"mode": "test"})
        STARTED.append(patcher)
        patcher.start()

    def test_mock_assigned_to_module(self) -> None:
        sys.modules[__name__].helper = mock.Mock(name="helper")  # type: ignore[attr-defined]

    def test_mock_assigned_to_class(self) -> None:
        Target.method = mock.MagicMock(return_value="fake")  # type: ignore[method-assign]


class CleansUp(unittest.TestCase):
    def test_patch_stopped_by_cleanup(self) -> None:
        patcher = mock.patch(f"{__name__}.helper", return_value="fake")
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_patch_decorator_and_context_manager(self) -> None:
        with mock.patch.object(Target, "method", autospec=True):
            self.assertIsNot(Target.__dict__["method"], _ORIGINAL_METHOD)
        with mock.patch.dict(CONFIG, {"mode": "test"}):
            self.assertEqual(CONFIG["mode"], "test")

    @mock.patch(f"{__name__}.helper", autospec=True)
    def test_patch_decorator(self, patched: Any) -> None:
        helper()
        patched.assert_called_once_with()

    def test_patch_dict_of_os_environ(self) -> None:
        # os.environ hands out a new str on every read.
        with mock.patch.dict(os.environ, {"MOCKPOOL_LEAKY": "1"}):
            self.assertEqual(os.environ["MOCKPOOL_LEAKY"], "1")

    def test_nested_patches_of_one_target(self) -> None:
        outer = mock.patch.dict(CONFIG, {"mode": "test"})
        outer.start()
        self.addCleanup(outer.stop)
        inner = mock.patch.dict(CONFIG, clear=True)
        inner.start()
        self.addCleanup(inner.stop)
        with mock.patch(f"{__name__}.helper"), mock.patch(f"{__name__}.helper"):
            pass

    def test_assignment_undone_in_cleanup(self) -> None:
        Target.method = mock.MagicMock()  # type: ignore[method-assign]
        self.addCleanup(setattr, Target, "method", _ORIGINAL_METHOD)

    def test_assignment_undone_in_teardown(self) -> None:
        self.replaced = True
        sys.modules[__name__].helper = mock.Mock()  # type: ignore[attr-defined]

    def tearDown(self) -> None:
        if getattr(self, "replaced", False):
            sys.modules[__name__].helper = _ORIGINAL_HELPER  # type: ignore[attr-defined]


def repair() -> None:
    """Undo whatever the leaking tests left behind."""
    while STARTED:
        patcher = STARTED.pop()
        with contextlib.suppress(RuntimeError):  # already stopped
            patcher.stop()
    module = sys.modules[__name__]
    module.helper = _ORIGINAL_HELPER  # type: ignore[attr-defined]
    Target.method = _ORIGINAL_METHOD  # type: ignore[method-assign]
    CONFIG.clear()
    CONFIG.update(_ORIGINAL_CONFIG)
