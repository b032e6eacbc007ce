"""A realistic legacy unittest suite, bundled for demonstrations and checks.

``mockpool._demo`` is what mockpool's users have: an application
(:mod:`mockpool._demo.services`) whose classes take their collaborators
through ``__init__``, and a large plain-:mod:`unittest` suite
(:mod:`mockpool._demo.tests`) that autospecs those collaborators in every
test, with ``@mock.patch(..., autospec=True)``, ``mock.patch.object``,
``mock.create_autospec`` in ``setUp`` and ``patcher.start()`` with
``addCleanup``. Building those autospecs dominates the suite's time; that is
the cost mockpool removes without the tests being rewritten.

:mod:`mockpool._demo.tests_outcomes` is a small second suite whose tests fail,
error, skip, fail expectedly and succeed unexpectedly on purpose, so that a
runner can be checked to report exactly what ``python -m unittest`` reports.

Nothing here imports mockpool, and nothing touches the network or the disk:
the services' leaf operations (sending a request, running a redis command or a
SQL statement, writing a log line) raise ``RuntimeError("not available in the
demo")`` unless a test mocks them, as the tests always do. Run the suites
plainly from the repository root::

    python -m unittest discover -s mockpool/_demo/tests -t .
    python -m unittest discover -s mockpool/_demo/tests_outcomes -t .

and check their size and outcomes with ``python -m mockpool._demo.check``.
"""
