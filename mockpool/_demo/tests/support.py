"""Helpers the demo suite shares, the kind every large suite grows.

:func:`data_driven` and :func:`cases` are a small ddt: a method marked with
``@cases(...)`` becomes one test per case, named ``<method>__<label>``.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from unittest import mock

from mockpool._demo.services.http import Response

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)

_CASES = "__demo_cases__"


def cases(*rows: Any, **named: Any) -> Callable[[F], F]:
    """Mark a test method to run once per case.

    Positional cases are labelled by their position, keyword cases by their
    keyword. The method receives the case after ``self`` (and before any
    mocks that ``@mock.patch`` decorators under it add).
    """
    table = [(str(i), row) for i, row in enumerate(rows)]
    table += list(named.items())
    if not table:
        raise ValueError("@cases needs at least one case")

    def mark(func: F) -> F:
        setattr(func, _CASES, table)
        return func

    return mark


def data_driven(cls: C) -> C:
    """Replace each ``@cases`` method of *cls* with one test per case."""
    for name, func in list(vars(cls).items()):
        table = getattr(func, _CASES, None)
        if table is None:
            continue
        delattr(cls, name)
        for label, value in table:
            test_name = f"{name}__{re.sub(r'[^0-9A-Za-z_]+', '_', label)}"
            if hasattr(cls, test_name):
                raise ValueError(f"{cls.__name__}.{test_name} is defined twice")
            setattr(cls, test_name, _bind(func, value, test_name))
    return cls


def _bind(func: Callable[..., Any], value: Any, name: str) -> Callable[..., Any]:
    test: Callable[..., Any]
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def test(self: Any) -> Any:
            return await func(self, value)

    else:

        @functools.wraps(func)
        def test(self: Any) -> Any:
            return func(self, value)

    test.__name__ = test.__qualname__ = name
    # functools.wraps copied the mark; the generated test is no template.
    del test.__dict__[_CASES]
    return test


def response(
    status: int = 200,
    payload: Any = None,
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    url: str = "https://example.test/",
) -> Response:
    """A :class:`Response` carrying *payload* as JSON (or raw *body*)."""
    all_headers = dict(headers or {})
    if payload is not None:
        body = json.dumps(payload).encode()
        all_headers.setdefault("Content-Type", "application/json")
    return Response(status=status, body=body, headers=all_headers, url=url)


def start_patch(case: Any, target: str, **kwargs: Any) -> Any:
    """Start ``mock.patch(target, **kwargs)`` for the rest of the test."""
    patcher = mock.patch(target, **kwargs)
    mocked = patcher.start()
    case.addCleanup(patcher.stop)
    return mocked


def start_patch_object(case: Any, owner: Any, attribute: str, **kwargs: Any) -> Any:
    """Start ``mock.patch.object(owner, attribute, **kwargs)`` for the test."""
    patcher = mock.patch.object(owner, attribute, **kwargs)
    mocked = patcher.start()
    case.addCleanup(patcher.stop)
    return mocked
