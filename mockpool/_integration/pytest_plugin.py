"""The pytest plugin: ``pytest --mockpool`` does what ``python -m mockpool run`` does.

Registered through the ``pytest11`` entry point, so it is loaded wherever
mockpool is installed, and inert unless asked for: ``--mockpool`` on the
command line or ``mockpool = true`` in the ini file. Then
:func:`mockpool.install` is in effect for the whole run, every test runs in
a per-test session -- ``unittest.TestCase`` tests through their own
``run``, plain pytest tests through the runtest hooks -- and the run report
is printed at the end of the terminal summary.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from mockpool._base.files import write_atomic
from mockpool._integration import dropin as _dropin
from mockpool._integration import leak_check
from mockpool._integration.install import Installation, install
from mockpool._reporting import worker_files as _worker_files

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_runtest_protocol",
    "pytest_runtest_teardown",
    "pytest_terminal_summary",
    "pytest_unconfigure",
]

_installation = pytest.StashKey[Installation]()


def pytest_addoption(parser: Any) -> None:
    """Add ``--mockpool``, ``--mockpool-fail-on-leak`` and ``--mockpool-report-json``.

    ``--mockpool-strict`` is the deprecated name of ``--mockpool-fail-on-leak``.
    """
    group = parser.getgroup("mockpool", "mockpool: fast autospec mocks")
    group.addoption(
        "--mockpool",
        action="store_true",
        help="serve autospec mocks with mockpool, run each test in a session, "
        "check for leaks and print a report",
    )
    group.addoption(
        "--mockpool-fail-on-leak",
        action="store_true",
        help="with --mockpool: a leak fails the test that leaked",
    )
    group.addoption(
        "--mockpool-strict",
        action="store_true",
        help="deprecated alias of --mockpool-fail-on-leak",
    )
    group.addoption(
        "--mockpool-report-json",
        metavar="PATH",
        default=None,
        help="with --mockpool: also write the run report as JSON to PATH",
    )
    parser.addini("mockpool", type="bool", default=False, help="as --mockpool")


def _active(config: Any) -> bool:
    return _installation in config.stash


def pytest_configure(config: Any) -> None:
    """Install mockpool if the run asked for it."""
    deprecated = bool(config.getoption("mockpool_strict"))
    # Once per run: not again in each xdist worker.
    if deprecated and not hasattr(config, "workerinput"):
        sys.stderr.write(
            "mockpool: --mockpool-strict is deprecated; use --mockpool-fail-on-leak\n"
        )
    wanted = config.getoption("mockpool") or config.getini("mockpool")
    if wanted:
        fail_on_leak = deprecated or bool(config.getoption("mockpool_fail_on_leak"))
        config.stash[_installation] = install(fail_on_leak=fail_on_leak)


def _is_unittest(item: Any) -> bool:
    # unittest.TestCase tests get their session from TestCase.run.
    cls = getattr(item, "cls", None)
    return isinstance(cls, type) and any(
        klass.__module__ == "unittest.case" and klass.__name__ == "TestCase"
        for klass in cls.__mro__
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    """Run a plain pytest test (setup, call, teardown) in a per-test session."""
    if not _active(item.config) or _is_unittest(item) or _dropin.current_scope():
        yield
        return
    module = getattr(item, "module", None)
    watched = leak_check.watched_namespaces(module.__name__) if module else []
    scope = _dropin.TestScope(
        item.nodeid, watched, fail_on_leak=_dropin.fails_on_leak()
    )
    scope.open()
    try:
        yield
    finally:
        scope.close()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: Any, nextitem: Any) -> None:
    """Check for leaks once the test's fixtures are torn down.

    A leak is then a warning, or with ``--mockpool-fail-on-leak`` an error
    of the test's teardown.
    """
    scope = _dropin.current_scope()
    if scope is not None and scope.test_id == item.nodeid:
        scope.check_leaks()


def pytest_terminal_summary(
    terminalreporter: Any, exitstatus: int, config: Any
) -> None:
    """Print the run report after pytest's own summary."""
    if _active(config):
        # The last plain mocks' counts: the drop-in is disabled only later.
        _dropin.settle_plain_counts()
    report = _worker_files.process_report()
    if _active(config) and report.tests:
        for line in report.render().splitlines():
            terminalreporter.write_line(line)


def pytest_unconfigure(config: Any) -> None:
    """Write the JSON report if asked, keep it as the last run's, and uninstall."""
    installation = config.stash.get(_installation, None)
    if installation is None:
        return
    del config.stash[_installation]
    path = config.getoption("mockpool_report_json")
    if path:
        report = _worker_files.process_report().to_dict()
        write_atomic(path, json.dumps(report, indent=2))
    # Not from an xdist worker (it ran part of the run) nor a process that
    # ran no test (an xdist controller): either would hide the last run.
    ran = _worker_files.process_report().tests
    if ran and not hasattr(config, "workerinput"):
        from mockpool._reporting import last_run as _last_run

        _last_run.write_last_run()
    installation.undo()
