"""Suites that tests/test_dropin.py runs under the drop-in (not discovered).

Their tests record what they saw in :data:`SEEN`, for the real tests to
check.
"""

from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

import mockpool


class Gateway:
    """A collaborator that suites build with create_autospec in setUp."""

    retries = 3

    def send(self, payload: bytes, *, timeout: float = 1.0) -> int:
        return len(payload)

    def close(self) -> None:
        pass


#: What the tests of the suites below saw, filled while they run.
SEEN: list[Any] = []
#: Where a test keeps its mock past its end (an escape).
KEPT: list[Any] = []


class Configures(unittest.TestCase):
    """Two tests in a row: the first dirties its mock, the second inspects."""

    def test_1_dirty(self) -> None:
        gateway = mock.create_autospec(Gateway, instance=True)
        SEEN.append(id(gateway))
        gateway.send.return_value = 99
        gateway.send.side_effect = [1, 2]
        gateway.retries = 7
        gateway.send(b"x")
        gateway.close.assert_not_called()

    def test_2_inspect(self) -> None:
        gateway = mock.create_autospec(Gateway, instance=True)
        SEEN.append(id(gateway))
        SEEN.append(
            (
                list(gateway.mock_calls),
                gateway.send.called,
                isinstance(gateway.send.return_value, mock.NonCallableMock),
                gateway.send.side_effect,
                isinstance(gateway.retries, mock.NonCallableMock),
            )
        )
        SEEN.append(gateway.send(b"y", timeout=2))


class Escapes(unittest.TestCase):
    def test_1_keeps(self) -> None:
        gateway = mock.create_autospec(Gateway, instance=True)
        SEEN.append(id(gateway))
        KEPT.append(gateway)

    def test_2_builds(self) -> None:
        gateway = mock.create_autospec(Gateway, instance=True)
        SEEN.append(id(gateway))


class SharesAcrossClass(unittest.TestCase):
    shared: Any

    @classmethod
    def setUpClass(cls) -> None:
        cls.shared = mock.create_autospec(Gateway, instance=True)
        cls.shared.send.return_value = "class-wide"

    def test_1(self) -> None:
        SEEN.append(id(mock.create_autospec(Gateway, instance=True)))

    def test_2(self) -> None:
        SEEN.append(id(mock.create_autospec(Gateway, instance=True)))
        SEEN.append(self.shared.send(b""))


class SessionPerTest(unittest.TestCase):
    def test_session(self) -> None:
        session = mockpool.current_session()
        assert session is not None
        SEEN.append((session.name, session.closed))
        SEEN.append(session)


class OwnSession(unittest.TestCase):
    """Runs in a session of its own, as mockpool's decorator and mixin do."""

    def run(self, result: Any = None) -> Any:
        with mockpool.mock_session(name="its own"):
            return super().run(result)

    def test_sees_its_own_session(self) -> None:
        session = mockpool.current_session()
        SEEN.append(None if session is None else session.name)
