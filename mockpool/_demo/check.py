"""Check the demo suites: their size and, optionally, their outcomes.

``python -m mockpool._demo.check`` discovers :mod:`mockpool._demo.tests`
and checks that it holds exactly
:data:`~mockpool._demo.tests.EXPECTED_TESTS` tests, then runs
:mod:`mockpool._demo.tests_outcomes` and checks every test id against
:data:`~mockpool._demo.tests_outcomes.EXPECTED_OUTCOMES`. With ``--full`` it
also runs the large suite and checks that every test passes (it takes as
long as the suite does). Exit status 0 means every check held.

The helpers here (:func:`discover`, :func:`test_ids`, :func:`run`,
:func:`outcomes`) use plain :mod:`unittest` only.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
import unittest
from collections.abc import Iterator, Sequence

from mockpool._demo import tests, tests_outcomes

#: The directory that holds the ``mockpool`` package: discovery's top level.
_TESTS_DIR = os.path.dirname(os.path.abspath(tests.__file__))
TOP_LEVEL = os.path.dirname(os.path.dirname(os.path.dirname(_TESTS_DIR)))
SUITES = {
    "tests": _TESTS_DIR,
    "tests_outcomes": os.path.dirname(os.path.abspath(tests_outcomes.__file__)),
}


def discover(name: str) -> unittest.TestSuite:
    """Discover the demo suite *name* (``"tests"`` or ``"tests_outcomes"``)."""
    loader = unittest.TestLoader()
    suite = loader.discover(SUITES[name], top_level_dir=TOP_LEVEL)
    if loader.errors:
        raise ImportError("\n".join(str(error) for error in loader.errors))
    return suite


def _iter_tests(suite: unittest.TestSuite) -> Iterator[unittest.TestCase]:
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _iter_tests(item)
        else:
            yield item


def test_ids(suite: unittest.TestSuite) -> list[str]:
    """The ids of every test in *suite*, in run order."""
    return [test.id() for test in _iter_tests(suite)]


def run(suite: unittest.TestSuite) -> unittest.TestResult:
    """Run *suite* quietly; return its result.

    Running empties the suite (unittest drops each test once run), so take
    :func:`test_ids` first.
    """
    runner = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0)
    return runner.run(suite)


def outcomes(ids: Sequence[str], result: unittest.TestResult) -> dict[str, str]:
    """Map every test id in *ids* to its outcome name in *result*."""
    found = dict.fromkeys(ids, tests_outcomes.SUCCESS)
    for kind, entries in (
        (tests_outcomes.FAILURE, result.failures),
        (tests_outcomes.ERROR, result.errors),
        (tests_outcomes.SKIPPED, result.skipped),
        (tests_outcomes.EXPECTED_FAILURE, result.expectedFailures),
    ):
        for test, _ in entries:
            found[test.id()] = kind
    for test in result.unexpectedSuccesses:
        found[test.id()] = tests_outcomes.UNEXPECTED_SUCCESS
    return found


def _compare(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    problems = []
    for test_id in sorted(set(expected) | set(actual)):
        want, got = expected.get(test_id, "absent"), actual.get(test_id, "absent")
        if want != got:
            problems.append(f"{test_id}: expected {want}, got {got}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mockpool._demo.check")
    parser.add_argument(
        "--full", action="store_true", help="also run the large suite (slow)"
    )
    options = parser.parse_args(argv)
    problems: list[str] = []

    suite = discover("tests")
    ids = test_ids(suite)
    count = len(ids)
    print(f"mockpool._demo.tests: {count} tests (expected {tests.EXPECTED_TESTS})")
    if count != tests.EXPECTED_TESTS:
        problems.append(f"found {count} tests, expected {tests.EXPECTED_TESTS}")

    small = discover("tests_outcomes")
    small_ids = test_ids(small)
    actual = outcomes(small_ids, run(small))
    tally = {
        kind: list(actual.values()).count(kind) for kind in sorted(set(actual.values()))
    }
    if len(set(ids)) != len(ids):
        problems.append("duplicate test ids in mockpool._demo.tests")
    print(f"mockpool._demo.tests_outcomes: {tally}")
    problems += _compare(tests_outcomes.EXPECTED_OUTCOMES, actual)

    if options.full:
        start = time.perf_counter()
        result = run(suite)
        elapsed = time.perf_counter() - start
        bad = {k: v for k, v in outcomes(ids, result).items() if v != "success"}
        print(
            f"ran {result.testsRun} tests in {elapsed:.1f} s; not passing: {len(bad)}"
        )
        problems += [f"{test_id}: {kind}" for test_id, kind in sorted(bad.items())]

    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
