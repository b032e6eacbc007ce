"""Test cases that use oslotest's mock_fixture as nova's test base does.

Importing this module calls ``oslotest.mock_fixture.patch_mock_module()``,
which replaces ``unittest.mock._patch`` for the whole process with a
subclass that autospecs patched methods lazily; the base class below uses
``MockAutospecFixture``, which replaces ``unittest.mock.Mock`` and
``MagicMock`` with subclasses for each test. tests/test_testtools_scope.py
runs this module in a subprocess only, plainly and under the drop-in, and
compares the outcomes test by test. Every test passes plainly.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from oslotest import base, mock_fixture

mock_fixture.patch_mock_module()


class Driver:
    def connect(self, host: str, port: int = 22) -> tuple[str, int]:
        return (host, port)

    def close(self) -> None:
        pass

    @staticmethod
    def parse(text: str) -> str:
        return text


def helper(a: int, b: int) -> int:
    return a + b


class Manager:
    def __init__(self) -> None:
        self.driver = Driver()

    def run(self) -> Any:
        return self.driver.connect("host")


class TestCase(base.BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.useFixture(mock_fixture.MockAutospecFixture())


class FixtureCases(TestCase):
    def test_patch_method_checks_the_signature_lazily(self) -> None:
        with mock.patch.object(Driver, "connect") as connect:
            Manager().run()
            connect.assert_called_once_with("host")
            self.assertRaises(TypeError, Driver().connect, 1, 2, 3, 4)

    def test_patch_method_with_autospec(self) -> None:
        with mock.patch.object(Driver, "connect", autospec=True) as connect:
            Manager().run()
            # The fixture's patch eats self, unlike the stdlib's.
            connect.assert_called_once_with("host")

    def test_patch_function(self) -> None:
        with mock.patch(f"{__name__}.helper") as patched:
            helper(1, 2)
            patched.assert_called_once_with(1, 2)
            self.assertRaises(TypeError, helper, 1)

    def test_patch_function_with_autospec(self) -> None:
        with mock.patch(f"{__name__}.helper", autospec=True) as patched:
            helper(1, 2)
            self.assertRaises(TypeError, helper, 1)
        patched.assert_called_once_with(1, 2)

    def test_patch_class_with_autospec(self) -> None:
        with mock.patch(f"{__name__}.Driver", autospec=True) as driver_class:
            Manager().run()
            driver_class.return_value.connect.assert_called_once_with("host")

    def test_autospecs_are_built_of_the_fixtures_classes(self) -> None:
        # The stdlib looks the mock classes up as it builds: while the
        # fixture is in place, it builds the fixture's.
        with mock.patch(f"{__name__}.Driver", autospec=True) as driver_class:
            self.assertIsInstance(driver_class, mock.MagicMock)
            self.assertIsInstance(driver_class.connect, mock.MagicMock)
        with mock.patch(f"{__name__}.helper", autospec=True) as patched:
            self.assertIsInstance(patched.mock, mock.MagicMock)
        driver = mock.create_autospec(Driver, instance=True)
        self.assertIsInstance(driver.connect, mock.MagicMock)

    def test_instance_autospec_in_a_test(self) -> None:
        driver = mock.create_autospec(Driver, instance=True)
        driver.connect("host")
        driver.connect.assert_called_once_with("host")
        self.assertRaises(TypeError, driver.connect)

    def test_mock_with_autospec_argument(self) -> None:
        driver = mock.Mock(autospec=Driver)
        driver.connect("host")
        self.assertRaises(TypeError, driver.connect)

    def test_patch_static_method(self) -> None:
        with mock.patch.object(Driver, "parse", autospec=True) as parse:
            Driver.parse("text")
            parse.assert_called_once_with("text")


class AgainCases(TestCase):
    """The same targets again: each must be pristine when patched anew."""

    def test_patch_method_again(self) -> None:
        with mock.patch.object(Driver, "connect") as connect:
            Manager().run()
            connect.assert_called_once_with("host")

    def test_patch_class_again(self) -> None:
        with mock.patch(f"{__name__}.Driver", autospec=True):
            Manager().run()

    def test_targets_are_pristine(self) -> None:
        self.assertEqual(Driver().connect("h"), ("h", 22))
        self.assertEqual(helper(1, 2), 3)
        self.assertNotIsInstance(Driver, mock.NonCallableMock)
