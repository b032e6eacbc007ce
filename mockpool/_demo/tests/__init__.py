"""The demo application's unittest suite: 1,366 tests that mock.

Written the way large legacy suites are: ``@mock.patch(..., autospec=True)``
on methods and classes, ``mock.patch.object(..., autospec=True)``,
``mock.create_autospec(...)`` in ``setUp``, ``patcher.start()`` with
``addCleanup(patcher.stop)``, ``IsolatedAsyncioTestCase`` with ``AsyncMock``
methods, ``subTest`` loops and table-driven tests (see
:mod:`mockpool._demo.tests.support`). It imports nothing from mockpool.

Run it plainly from the repository root::

    python -m unittest discover -s mockpool/_demo/tests -t .

``python -m mockpool._demo.check`` checks that discovery finds exactly
:data:`EXPECTED_TESTS` tests.
"""

#: How many tests discovery must find (and, run plainly, must pass).
EXPECTED_TESTS = 1366
