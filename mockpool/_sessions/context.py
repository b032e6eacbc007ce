"""Which session is current, per thread and per asyncio task.

The innermost open session lives in a :class:`contextvars.ContextVar`, so
each thread and each asyncio task sees its own: a new thread starts with no
session, and a task starts with a copy of its creator's context (it sees the
session that was current where it was created, and a session it opens is
invisible to its creator).

The routing table (:mod:`mockpool._sessions.routing`) reads the current
session to decide which patched value a routed target hands to the code that
uses it.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

__all__ = ["activate", "current_session", "deactivate"]

_current: ContextVar[Any] = ContextVar("mockpool_current_session", default=None)


def current_session() -> Any:
    """Return the innermost open session in this context.

    Returns:
        The session most recently activated (and not yet deactivated) in the
        running thread or asyncio task, or ``None`` when there is none.
    """
    return _current.get()


def activate(session: Any) -> Token[Any]:
    """Make *session* the current session of this context.

    Args:
        session: The session being opened.

    Returns:
        The token that :func:`deactivate` takes to make the previous session
        current again.
    """
    return _current.set(session)


def deactivate(token: Token[Any]) -> None:
    """Make the session that was current before :func:`activate` current again.

    Args:
        token: What the matching :func:`activate` call returned.

    Raises:
        ValueError: If *token* was made in another context (a session must be
            closed in the thread or task that opened it).
        RuntimeError: If *token* has already been used.
    """
    _current.reset(token)
