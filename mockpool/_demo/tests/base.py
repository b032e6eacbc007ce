"""A testtools-style base class, written for the demo without testtools.

OpenStack suites derive their tests from ``testtools.TestCase`` (through
oslotest), whose ``run()`` replaces unittest's: it starts by emptying the
cleanup list, runs ``setUp``, the test method, ``tearDown`` and the cleanups
itself, insists that ``setUp`` and ``tearDown`` were upcalled, and reports
to the result directly. Fixtures come in through ``useFixture``. A runner
that hooks only ``unittest.TestCase.run`` never sees such a test, so the demo
needs some: :class:`TestCase` behaves that way in the points a runner can
observe, and :class:`Fixture`, :class:`MockPatch` and
:class:`MockPatchObject` are small stand-ins for the ``fixtures`` package.

testtools is only a test extra of mockpool and the demo ships inside the
package, so none of this imports it.
"""

from __future__ import annotations

import sys
import unittest
from types import TracebackType
from typing import Any, Callable
from unittest import mock

from typing_extensions import TypeAlias

ExcInfo: TypeAlias = "tuple[type[BaseException], BaseException, TracebackType]"

__unittest = True


class Fixture:
    """A reusable piece of test state with its own cleanups.

    Subclasses override :meth:`_setUp` and register what undoes it with
    :meth:`addCleanup`; :meth:`cleanUp` runs those newest first. A fixture
    whose ``_setUp`` raises cleans up what it did before the error goes on.
    """

    def __init__(self) -> None:
        self._cleanups: list[tuple[Callable[..., Any], Any, Any]] = []

    def _setUp(self) -> None:
        """Do the fixture's work (subclasses override)."""

    def setUp(self) -> None:
        self._cleanups = []
        try:
            self._setUp()
        except BaseException:
            self.cleanUp()
            raise

    def addCleanup(
        self, function: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        self._cleanups.append((function, args, kwargs))

    def cleanUp(self) -> None:
        """Run every cleanup, newest first; re-raise the first error."""
        first: BaseException | None = None
        while self._cleanups:
            function, args, kwargs = self._cleanups.pop()
            try:
                function(*args, **kwargs)
            except BaseException as exc:  # every cleanup still runs
                first = first or exc
        if first is not None:
            raise first

    def __enter__(self) -> Fixture:
        self.setUp()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanUp()


class MockPatch(Fixture):
    """``mock.patch(target, new, **kwargs)`` for a test; the mock is ``.mock``."""

    def __init__(self, target: str, new: Any = mock.DEFAULT, **kwargs: Any) -> None:
        super().__init__()
        self._patcher = mock.patch(target, new, **kwargs)
        self.mock: Any = None

    def _setUp(self) -> None:
        self.mock = self._patcher.start()
        self.addCleanup(self._patcher.stop)


class MockPatchObject(Fixture):
    """``mock.patch.object(owner, name, new, **kwargs)``; the mock is ``.mock``."""

    def __init__(
        self, owner: Any, name: str, new: Any = mock.DEFAULT, **kwargs: Any
    ) -> None:
        super().__init__()
        self._patcher = mock.patch.object(owner, name, new, **kwargs)
        self.mock: Any = None

    def _setUp(self) -> None:
        self.mock = self._patcher.start()
        self.addCleanup(self._patcher.stop)


class TestCase(unittest.TestCase):
    """A test case whose :meth:`run` replaces unittest's, as testtools' does.

    What differs from :class:`unittest.TestCase`, on purpose:

    * :meth:`run` first empties the cleanup list: a cleanup registered
      before the test ran is dropped (testtools' ``_reset``).
    * ``setUp`` and ``tearDown`` must call up to this class; a test whose
      ``setUp`` does not is an error (``ValueError``), as in testtools.
    * One outcome is reported per test, the first exception's: later errors
      from ``tearDown`` or cleanups are not reported separately.
    * ``subTest`` does not report sub-tests one by one: the first failing
      case fails the test (there is no unittest outcome to collect them).
    """

    def __init__(self, methodName: str = "runTest") -> None:
        super().__init__(methodName)
        self._setup_called = False
        self._teardown_called = False

    def setUp(self) -> None:
        super().setUp()
        self._setup_called = True

    def tearDown(self) -> None:
        super().tearDown()
        self._teardown_called = True

    def useFixture(self, fixture: Any) -> Any:
        """Set *fixture* up now and clean it up when the test is over."""
        fixture.setUp()
        self.addCleanup(fixture.cleanUp)
        return fixture

    # -- running ---------------------------------------------------------------

    def run(self, result: unittest.TestResult | None = None) -> Any:
        # testtools' _reset(): cleanups added before run() never run.
        self._cleanups: list[tuple[Callable[..., Any], Any, Any]] = []
        self._setup_called = self._teardown_called = False
        if result is None:
            result = self.defaultTestResult()
            result.startTestRun()
            try:
                return self._run_reporting_to(result)
            finally:
                result.stopTestRun()
        return self._run_reporting_to(result)

    def _run_reporting_to(self, result: unittest.TestResult) -> unittest.TestResult:
        result.startTest(self)
        try:
            method = getattr(self, self._testMethodName)
            skipped = getattr(self, "__unittest_skip__", False) or getattr(
                method, "__unittest_skip__", False
            )
            if skipped:
                why = getattr(self, "__unittest_skip_why__", None) or getattr(
                    method, "__unittest_skip_why__", ""
                )
                result.addSkip(self, str(why or ""))
                return result
            caught: list[ExcInfo] = []
            if self._call(self._set_up_checked, caught):
                self._call(method, caught)
                self._call(self._tear_down_checked, caught)
            self._call(self._run_cleanups, caught)
            self._report(result, method, caught)
        finally:
            result.stopTest(self)
        return result

    def _set_up_checked(self) -> None:
        # Called from a method of the test (not a closure): a runner that
        # wraps setUp can read from the frame which test called it.
        self.setUp()
        if not self._setup_called:
            raise ValueError(
                f"{type(self).__name__}.setUp did not call super().setUp(); "
                "call it first thing in every setUp"
            )

    def _tear_down_checked(self) -> None:
        self.tearDown()
        if not self._teardown_called:
            raise ValueError(
                f"{type(self).__name__}.tearDown did not call super().tearDown()"
            )

    def _run_cleanups(self) -> None:
        """Run the cleanups newest first, every one even when some fail."""
        failed: ExcInfo | None = None
        while self._cleanups:
            function, args, kwargs = self._cleanups.pop()
            try:
                function(*args, **kwargs)
            except Exception:
                failed = failed or _exc_info()
        if failed is not None:
            raise failed[1].with_traceback(failed[2])

    def _call(self, function: Callable[[], Any], caught: list[ExcInfo]) -> bool:
        """Call *function*; note what it raised. True if it returned."""
        try:
            function()
        except KeyboardInterrupt:
            raise
        except BaseException:
            caught.append(_exc_info())
            return False
        return True

    def _report(
        self, result: unittest.TestResult, method: Any, caught: list[ExcInfo]
    ) -> None:
        expecting_failure = getattr(
            method, "__unittest_expecting_failure__", False
        ) or getattr(self, "__unittest_expecting_failure__", False)
        if not caught:
            if expecting_failure:
                result.addUnexpectedSuccess(self)
            else:
                result.addSuccess(self)
            return
        kind, error, _ = exc_info = caught[0]
        if isinstance(error, unittest.SkipTest):
            result.addSkip(self, str(error))
        elif expecting_failure:
            result.addExpectedFailure(self, exc_info)
        elif issubclass(kind, self.failureException):
            result.addFailure(self, exc_info)
        else:
            result.addError(self, exc_info)


def _exc_info() -> ExcInfo:
    kind, error, traceback = sys.exc_info()
    # Only called in an except block, where all three are set.
    assert kind is not None and error is not None and traceback is not None
    return kind, error, traceback
