"""The mockpool test suite.

``python -m unittest discover -s tests -t .`` imports this package and calls
:func:`load_tests`, which discovers the test modules beside it and adds the
examples in ``README.md`` as doctests. pytest collects the same modules and
ignores ``load_tests``.

Importing the package also picks the hypothesis settings profile: the one
named by ``HYPOTHESIS_PROFILE``, else ``ci`` when ``CI`` is set, else
``default``; and keeps mockpool's usage history of the suite's own runs out
of the checkout (a throwaway ``MOCKPOOL_DIR``) and warming off
(``MOCKPOOL_WARM=0``), so that no test depends on what an earlier run of
the suite recorded. The tests of history and warming set up their own.
"""

from __future__ import annotations

import atexit
import doctest
import os
import shutil
import tempfile
import unittest

from hypothesis import settings

_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
_ROOT_DIR = os.path.dirname(_TESTS_DIR)
_README = os.path.join(_ROOT_DIR, "README.md")
# What DocFileCase.id() gives for it: the file name with "." made "_".
_README_ID = "README_md"

if "MOCKPOOL_DIR" not in os.environ:
    os.environ["MOCKPOOL_DIR"] = tempfile.mkdtemp(prefix="mockpool-tests-")
    atexit.register(shutil.rmtree, os.environ["MOCKPOOL_DIR"], ignore_errors=True)
os.environ.setdefault("MOCKPOOL_WARM", "0")

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("long", max_examples=10_000, deadline=None)
_FALLBACK_PROFILE = "ci" if os.environ.get("CI") else "default"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or _FALLBACK_PROFILE)


def _has_readme(suite: unittest.TestSuite) -> bool:
    """Whether *suite* already holds the README doctests."""
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            if _has_readme(test):
                return True
        elif isinstance(test, doctest.DocFileCase) and test.id() == _README_ID:
            return True
    return False


def load_tests(
    loader: unittest.TestLoader,
    tests: unittest.TestSuite,
    pattern: str | None,
) -> unittest.TestSuite:
    """Return the package's test modules plus the README doctests.

    Discovery calls this instead of recursing into the package itself; the
    nested ``discover`` below skips this ``__init__``, as unittest remembers
    that it is loading this package. Loaded by name (``python -m unittest
    tests``), the nested call does come back here once, so the README is
    added only where it is not already present.
    """
    tests.addTests(
        loader.discover(
            start_dir=_TESTS_DIR,
            pattern=pattern or "test*.py",
            top_level_dir=_ROOT_DIR,
        )
    )
    if not _has_readme(tests):
        tests.addTests(
            doctest.DocFileSuite(
                _README,
                module_relative=False,
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            )
        )
    return tests
