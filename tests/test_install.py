"""Tests for mockpool._integration.install and ``python -m mockpool``."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
import warnings
from typing import Any
from unittest import mock

import mockpool
from mockpool._base import stdlib as _stdlib
from mockpool._cli import demo as _demo_command
from mockpool._integration import dropin as _dropin
from mockpool._integration import install as _install

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_OUTCOMES = os.path.join("mockpool", "_demo", "tests_outcomes")


class Remote:
    """A collaborator as legacy suites autospec them."""

    timeout = 5

    def __init__(self, host: str, port: int = 80) -> None:
        self.host = host

    def fetch(self, path: str, *, retries: int = 0) -> bytes:
        return b""

    async def afetch(self, path: str) -> bytes:
        return b""


def fetch_twice(path: str) -> list[bytes]:
    """Code under test: builds a Remote and uses it."""
    remote = Remote("example.org")
    return [remote.fetch(path), remote.fetch(path, retries=1)]


def _normal(value: object) -> str:
    return re.sub(r"id='\d+'|0x[0-9a-f]+", "<id>", str(value))


def stdlib_guarantees() -> list[Any]:
    """What legacy tests rely on from create_autospec and patch(autospec=True)."""
    seen: list[Any] = []
    instance = mock.create_autospec(Remote, instance=True)
    for args in ((), ("/", 1)):
        try:
            instance.fetch(*args)
        except TypeError as exc:
            seen.append(("TypeError", str(exc)))
    strict = mock.create_autospec(Remote, instance=True, spec_set=True)
    try:
        strict.unknown = 1
    except AttributeError as exc:
        seen.append(("AttributeError", str(exc)))
    seen.append(isinstance(instance.afetch, mock.AsyncMock))
    instance.afetch.return_value = b"page"
    seen.append(asyncio.run(instance.afetch("/")))
    cls = mock.create_autospec(Remote)
    built = cls("example.org")
    seen.append((callable(cls), callable(built), isinstance(built, Remote)))
    try:
        cls()
    except TypeError as exc:
        seen.append(("TypeError", str(exc)))
    with mock.patch(f"{__name__}.Remote", autospec=True) as patched:
        patched.return_value.fetch.return_value = b"x"
        seen.append(fetch_twice("/a"))
        patched.assert_called_once_with("example.org")
        seen.append(_normal(patched.return_value.fetch.mock_calls))
    with mock.patch.object(Remote, "fetch", autospec=True) as method:
        Remote("h").fetch("/b")
        seen.append(_normal(method.call_args))
        try:
            Remote("h").fetch()  # type: ignore[call-arg]
        except TypeError as exc:
            seen.append(("TypeError", str(exc)))
    seen.append(_normal(instance))
    return seen


class InstallTests(unittest.TestCase):
    def tearDown(self) -> None:
        while _install.installed():
            mockpool.uninstall()

    def test_install_serves_create_autospec_and_uninstall_restores(self) -> None:
        """install swaps in ours; the last uninstall puts the stdlib's back."""
        with mockpool.install():
            self.assertIs(mock.create_autospec, _install.accelerated_autospec)
            with mockpool.install():
                self.assertTrue(mockpool.installed())
            self.assertIs(mock.create_autospec, _install.accelerated_autospec)
        self.assertIs(mock.create_autospec, _stdlib.create_autospec)
        self.assertFalse(mockpool.installed())

    def test_uninstall_without_install_names_the_fix(self) -> None:
        """uninstall() with nothing installed raises RuntimeError."""
        with self.assertRaisesRegex(RuntimeError, r"mockpool\.install\(\)"):
            mockpool.uninstall()

    def test_installation_undo_is_idempotent(self) -> None:
        """An Installation undone twice uninstalls once."""
        outer = mockpool.install()
        inner = mockpool.install()
        inner.undo()
        inner.undo()
        self.assertTrue(mockpool.installed())
        outer.undo()
        self.assertFalse(mockpool.installed())

    def test_fail_on_leak_is_on_while_any_install_asks_for_it(self) -> None:
        """install(fail_on_leak=True) turns it on until the last uninstall."""
        with mockpool.install():
            self.assertIs(_dropin.fails_on_leak(), False)
            with mockpool.install(fail_on_leak=True):
                self.assertIs(_dropin.fails_on_leak(), True)
                with mockpool.install(fail_on_leak=False):
                    self.assertIs(_dropin.fails_on_leak(), True)
            self.assertIs(_dropin.fails_on_leak(), True)
        self.assertIs(_dropin.fails_on_leak(), False)

    def test_strict_is_a_deprecated_alias_of_fail_on_leak(self) -> None:
        """install(strict=...) works as fail_on_leak, with a DeprecationWarning
        naming the new keyword, raised at the caller."""
        for value in (True, False):
            with self.subTest(strict=value):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    installation = mockpool.install(strict=value)
                installation.undo()
                [warning] = caught
                self.assertIs(warning.category, DeprecationWarning)
                self.assertEqual(
                    str(warning.message),
                    f"install(strict={value}) is deprecated; use "
                    f"install(fail_on_leak={value}): strict now names only "
                    "strict mode (mockpool.set_strict)",
                )
                self.assertEqual(warning.filename, __file__)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with mockpool.install(strict=True):
                self.assertIs(_dropin.fails_on_leak(), True)

    def test_fail_on_leak_warns_about_nothing(self) -> None:
        """The new keyword (or neither) warns about nothing."""
        for options in ({}, {"fail_on_leak": True}, {"fail_on_leak": False}):
            with self.subTest(options=options):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    mockpool.install(**options).undo()
                self.assertEqual(caught, [])

    def test_strict_and_fail_on_leak_together_are_refused(self) -> None:
        """Both keywords at once: ArgumentTypeError, nothing installed or warned."""
        for fail_on_leak, strict in ((True, True), (False, True), (True, False)):
            with self.subTest(fail_on_leak=fail_on_leak, strict=strict):
                with (
                    warnings.catch_warnings(record=True) as caught,
                    self.assertRaisesRegex(
                        mockpool.ArgumentTypeError,
                        rf"^strict={strict} and fail_on_leak={fail_on_leak} given "
                        r"together; pass fail_on_leak only \(strict is its "
                        r"deprecated name\)$",
                    ),
                ):
                    warnings.simplefilter("always")
                    mockpool.install(fail_on_leak=fail_on_leak, strict=strict)
                self.assertEqual(caught, [])
                self.assertFalse(mockpool.installed())

    def test_stdlib_guarantees_hold_with_acceleration(self) -> None:
        """Signature errors, spec_set, async, class specs: the same on and off."""
        plain = stdlib_guarantees()
        with mockpool.install():
            accelerated = stdlib_guarantees()
        self.assertEqual(accelerated, plain)
        self.assertIn(("TypeError", "missing a required argument: 'path'"), plain)

    def test_patch_autospec_goes_through_mockpool_when_installed(self) -> None:
        """patch(autospec=True) calls the installed create_autospec."""
        with (
            mockpool.install(),
            mock.patch.object(
                mock, "create_autospec", wraps=mock.create_autospec
            ) as spy,
            mock.patch(f"{__name__}.Remote", autospec=True),
        ):
            pass
        spy.assert_called_once()


class CommandLineTests(unittest.TestCase):
    def run_module(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def test_run_matches_unittest_output_and_status(self) -> None:
        """python -m mockpool run: unittest's summary and exit status."""
        args = ("discover", "-s", _OUTCOMES, "-t", ".")
        plain = self.run_module("-m", "unittest", *args)
        fast = self.run_module("-m", "mockpool", "run", *args)
        self.assertEqual(fast.returncode, plain.returncode)
        self.assertEqual(fast.returncode, 1)
        last = [line for line in plain.stderr.splitlines() if line.startswith("FAILED")]
        self.assertEqual(
            last,
            [line for line in fast.stderr.splitlines() if line.startswith("FAILED")],
        )
        self.assertEqual(len(last), 1)

    def test_run_with_bad_arguments_fails_like_unittest(self) -> None:
        """An unknown option gives unittest's usage error and status 2."""
        fast = self.run_module("-m", "mockpool", "run", "--no-such-option")
        self.assertEqual(fast.returncode, 2)
        self.assertIn("unrecognized arguments", fast.stderr)

    def test_help_and_unknown_command(self) -> None:
        """--help prints usage; an unknown command says which ones exist."""
        self.assertEqual(self.run_module("-m", "mockpool", "--help").returncode, 0)
        unknown = self.run_module("-m", "mockpool", "walk")
        self.assertEqual(unknown.returncode, 2)
        self.assertIn("'walk'", unknown.stderr)

    def test_demo_child_results_are_identical_on_and_off(self) -> None:
        """The demo's accelerated child records the same outcomes as the plain one."""
        with tempfile.TemporaryDirectory() as workdir:
            reports = []
            for accelerated in (False, True):
                path = os.path.join(workdir, f"{accelerated}.json")
                _demo_command.run_child(accelerated, path, suites=("tests_outcomes",))
                with open(path, encoding="utf-8") as stream:
                    reports.append(json.load(stream)["outcomes"])
        self.assertEqual(reports[0], reports[1])
        self.assertEqual(len(reports[0]), 12)
        self.assertFalse(mockpool.installed())


if __name__ == "__main__":
    unittest.main()
