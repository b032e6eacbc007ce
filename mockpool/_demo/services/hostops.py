"""Host operations: processes, disks and system services, as functions.

Agents written the OpenStack way keep such helpers as module-level functions
(``processutils.execute``, ``utils.get_free_space``...) and their tests patch
them by name -- ``mock.patch("pkg.hostops.execute", autospec=True)`` -- which
is why this module is functions, not a class. Every helper goes through
:func:`execute`, which hands the command to :func:`_run_process` (the
operating system, which the demo does not have) and retries through
:func:`sleep`.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Sequence

from mockpool._demo.services.errors import NOT_AVAILABLE, ServiceError

#: Exit status of a command that timed out (what ``timeout(1)`` returns).
TIMED_OUT = 124
#: Exit statuses ``systemctl is-active`` returns, by the state they mean.
SERVICE_STATES = {0: "active", 3: "inactive", 4: "unknown"}


class ProcessError(ServiceError):
    """A command exited with a status the caller did not accept."""

    def __init__(self, argv: Sequence[str], status: int, stderr: str = "") -> None:
        super().__init__(f"{shlex.join(argv)!r} exited with {status}: {stderr}")
        self.argv = tuple(argv)
        self.status = status
        self.stderr = stderr


def _run_process(argv: Sequence[str], timeout: float) -> tuple[int, str, str]:
    """Run *argv*; return its exit status, stdout and stderr (the leaf)."""
    raise RuntimeError(NOT_AVAILABLE)


def sleep(seconds: float) -> None:
    """Wait *seconds* between attempts (a function so that tests patch it)."""
    time.sleep(seconds)


def monotonic() -> float:
    """The clock :func:`wait_until` reads (a function so that tests patch it)."""
    return time.monotonic()


def execute(
    *argv: str,
    ok_statuses: Sequence[int] = (0,),
    attempts: int = 1,
    delay: float = 1.0,
    timeout: float = 60.0,
) -> str:
    """Run a command; return its stdout.

    A status outside *ok_statuses* is retried up to *attempts* times in all,
    waiting *delay* seconds (doubling) in between, then raises
    :class:`ProcessError`.
    """
    if not argv:
        raise ValueError("execute needs a command")
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts!r}")
    wait = delay
    for attempt in range(1, attempts + 1):
        status, stdout, stderr = _run_process(list(argv), timeout)
        if status in ok_statuses:
            return stdout
        if attempt == attempts:
            raise ProcessError(argv, status, stderr.strip())
        sleep(wait)
        wait *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def free_bytes(path: str) -> int:
    """Bytes free on the filesystem holding *path*, from ``df -P -B1``."""
    lines = execute("df", "-P", "-B1", path).strip().splitlines()
    if len(lines) < 2:
        raise ProcessError(("df", path), 0, "no filesystem line in df output")
    fields = lines[-1].split()
    try:
        return int(fields[3])
    except (IndexError, ValueError):
        raise ProcessError(("df", path), 0, f"cannot read {lines[-1]!r}") from None


def service_state(name: str) -> str:
    """``active``, ``inactive`` or ``unknown``: what systemd says of *name*."""
    try:
        execute("systemctl", "is-active", "--quiet", name)
    except ProcessError as exc:
        return SERVICE_STATES.get(exc.status, "failed")
    return "active"


def restart_service(name: str, *, attempts: int = 3) -> bool:
    """Restart *name*; True if it is active afterwards."""
    execute("systemctl", "restart", name, attempts=attempts, delay=0.5)
    return service_state(name) == "active"


def wait_until(
    predicate: object, *, timeout: float = 30.0, interval: float = 1.0
) -> bool:
    """Call *predicate* until it is true or *timeout* seconds have passed."""
    if not callable(predicate):
        raise TypeError(f"wait_until needs a callable, not {predicate!r}")
    deadline = monotonic() + timeout
    while True:
        if predicate():
            return True
        if monotonic() >= deadline:
            return False
        sleep(interval)


def list_files(directory: str, pattern: str = "*") -> list[str]:
    """Names of the files in *directory* matching *pattern*, sorted."""
    output = execute(
        "find", directory, "-maxdepth", "1", "-type", "f", "-name", pattern
    )
    return sorted(line for line in output.splitlines() if line.strip())


def remove_file(path: str) -> None:
    """Remove *path*; a missing file is no error."""
    execute("rm", "-f", "--", path)
