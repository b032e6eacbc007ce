"""A small suite whose outcomes are deliberate, to compare runners by.

Run plainly, ``python -m unittest discover -s mockpool/_demo/tests_outcomes
-t .`` reports 2 failures, 1 error, 3 skips, 1 expected failure and 1
unexpected success besides its passing tests (and exits with status 1). A
runner that accelerates the suite must report the same test ids under the
same outcomes: :data:`EXPECTED_OUTCOMES`.
"""

from __future__ import annotations

_MODULE = "mockpool._demo.tests_outcomes.test_outcomes"

#: Outcome names, as :func:`mockpool._demo.check.outcomes` reports them.
SUCCESS = "success"
FAILURE = "failure"
ERROR = "error"
SKIPPED = "skipped"
EXPECTED_FAILURE = "expected_failure"
UNEXPECTED_SUCCESS = "unexpected_success"

#: Every test id of the suite and its outcome.
EXPECTED_OUTCOMES: dict[str, str] = {
    f"{_MODULE}.PassingTests.test_cache_hit": SUCCESS,
    f"{_MODULE}.PassingTests.test_cache_miss_computes": SUCCESS,
    f"{_MODULE}.PassingTests.test_session_revoked": SUCCESS,
    f"{_MODULE}.PassingTests.test_retry_after": SUCCESS,
    f"{_MODULE}.FailingTests.test_wrong_call_arguments": FAILURE,
    f"{_MODULE}.FailingTests.test_wrong_key": FAILURE,
    f"{_MODULE}.ErroringTests.test_forgot_to_mock_the_wire": ERROR,
    f"{_MODULE}.SkippedTests.test_needs_a_newer_python": SKIPPED,
    f"{_MODULE}.LiveRedisTests.test_ping": SKIPPED,
    f"{_MODULE}.ClusterTests.test_slots": SKIPPED,
    f"{_MODULE}.KnownBugTests.test_known_bug_still_there": EXPECTED_FAILURE,
    f"{_MODULE}.KnownBugTests.test_known_bug_fixed_meanwhile": UNEXPECTED_SUCCESS,
}
