"""A tiny application that tests/test_bad_input.py mocks and patches.

Nothing else uses it: the bad-input cases check that a refused call leaves
every name here exactly as it was.
"""

from __future__ import annotations

#: Settings that ``patch.dict`` cases try to patch.
SETTINGS: dict[str, str] = {"currency": "EUR"}


def send_mail(to: str, body: str) -> bool:
    """Pretend to send *body* to *to*."""
    return bool(to and body)


class Mailer:
    """A collaborator with a method and a data attribute."""

    host: str | None = None

    def __init__(self, host: str) -> None:
        self.host = host

    def send(self, to: str, body: str) -> bool:
        """Pretend to send *body* to *to* through :attr:`host`."""
        return send_mail(to, body)


class Clock:
    """A second collaborator, so that services can depend on each other."""

    mailer: Mailer | None = None

    def now(self) -> float:
        """Return a fixed time."""
        return 0.0
