"""``python -m mockpool``: the command line.

Subcommands:

``run [ARGS]``
    ``python -m unittest [ARGS]`` with :func:`mockpool.install` in effect:
    the same arguments, output, summary and exit status, faster.
``demo``
    Runs the bundled legacy suite plainly and under ``run``, each in a fresh
    process, and prints both times, the ratio, each run's peak memory and
    whether the results are identical.
"""

from __future__ import annotations

import argparse
import sys
import unittest
from collections.abc import Sequence

__all__ = ["main"]

_USAGE = """\
usage: python -m mockpool run [unittest arguments]
       python -m mockpool demo [--python PYTHON]

  run    run tests as `python -m unittest` does, with mockpool installed
  demo   run the bundled 1,199-test legacy suite plainly and accelerated
"""


def run(argv: Sequence[str]) -> int:
    """Run ``python -m unittest`` with *argv*, mockpool installed.

    Returns:
        The exit status ``python -m unittest`` would give.
    """
    from mockpool._install import install

    with install():
        try:
            unittest.main(module=None, argv=["python -m mockpool run", *argv])
        except SystemExit as exit_:
            # unittest.main decides the status by this Python's own rules
            # (3.12 added status 5 for a run of no tests).
            code = exit_.code
            return code if isinstance(code, int) else (0 if code is None else 1)
    return 0  # pragma: no cover - unittest.main always exits


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mockpool``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(_USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "run":
        return run(rest)
    if command == "demo":
        from mockpool._demo_command import demo

        parser = argparse.ArgumentParser(prog="python -m mockpool demo")
        parser.add_argument(
            "--python",
            default=sys.executable,
            help="the interpreter to run both suites with (default: this one)",
        )
        options = parser.parse_args(rest)
        return demo(options.python)
    sys.stderr.write(f"unknown command {command!r}; use 'run' or 'demo'\n\n{_USAGE}")
    return 2
