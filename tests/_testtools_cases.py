"""testtools-family test cases, for tests/test_testtools_scope.py.

testtools.TestCase (and so oslotest's BaseTestCase and every OpenStack
suite) replaces unittest's ``TestCase.run`` and empties the cleanup list
when it starts; the drop-in must still give each of these tests a scope,
check it for leaks as its last cleanup and count it in the report.
Not collected by discovery (the module name starts with an underscore).
"""

from __future__ import annotations

import unittest
from typing import Any, ClassVar
from unittest import mock

import fixtures
import testscenarios
import testtools
from oslotest import base

from mockpool._integration import dropin

#: test id -> the id of the drop-in scope it ran in (None: no scope).
SCOPES: dict[str, str | None] = {}


class Service:
    def get(self, key: str, default: Any = None) -> Any:
        return default

    def put(self, key: str, value: Any) -> None:
        pass


def _record(test: unittest.TestCase) -> None:
    scope = dropin.current_scope()
    SCOPES[test.id()] = None if scope is None else scope.test_id


class ToolsCase(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable("MOCKPOOL_TESTTOOLS_CASE", "1"))
        _record(self)

    def test_instance_autospec(self) -> None:
        service = mock.create_autospec(Service, instance=True)
        service.get("k")
        service.get.assert_called_once_with("k")

    def test_patched_method(self) -> None:
        with mock.patch.object(Service, "put", autospec=True) as put:
            Service().put("k", 1)
        put.assert_called_once()

    @unittest.skip("skipped on purpose")
    def test_skipped(self) -> None:
        """Never runs: its setUp neither."""


class ScenarioCase(  # type: ignore[misc]  # the two run()s' stubs differ
    testscenarios.WithScenarios, testtools.TestCase
):
    """Runs as one copy of itself per scenario (testscenarios)."""

    scenarios: ClassVar[list[tuple[str, dict[str, int]]]] = [
        ("one", {"value": 1}),
        ("two", {"value": 2}),
    ]
    value = 0

    def setUp(self) -> None:
        super().setUp()
        self.ready = True
        _record(self)

    def test_each_copy_runs_its_own_setup(self) -> None:
        self.assertTrue(self.ready)
        self.assertIn(self.value, (1, 2))


class OsloCase(base.BaseTestCase):
    def test_in_scope(self) -> None:
        _record(self)
        self.useFixture(fixtures.MockPatchObject(Service, "get", return_value=3))
        self.assertEqual(Service().get("k"), 3)


class LeakingToolsCase(testtools.TestCase):
    def test_leaks_a_patch(self) -> None:
        """Starts a patch and never stops it."""
        _record(self)
        mock.patch.object(Service, "get").start()

    def test_clean(self) -> None:
        _record(self)


class OwnRunCase(unittest.TestCase):
    """A test case whose run() never calls unittest's."""

    def run(self, result: Any = None) -> Any:
        result.startTest(self)
        try:
            _record(self)
            getattr(self, self._testMethodName)()
            result.addSuccess(self)
        finally:
            result.stopTest(self)
        return result

    def test_runs_its_own_way(self) -> None:
        pass


class LeakingOwnRunCase(OwnRunCase):
    def test_runs_its_own_way(self) -> None:
        """Starts a patch and never stops it, where no setUp runs."""
        mock.patch.object(Service, "put").start()


class InstanceSetUpCase(testtools.TestCase):
    """A test whose instance holds a setUp of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setUp = self._own_setup  # type: ignore[method-assign]

    def _own_setup(self) -> None:
        testtools.TestCase.setUp(self)
        _record(self)

    def test_runs(self) -> None:
        pass


class AsyncCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        _record(self)

    async def test_async(self) -> None:
        service = mock.create_autospec(Service, instance=True)
        service.get("k")
