"""One magic-method proxy per name, shared by every ``MagicMock``'s class.

The stdlib puts a fresh ``MagicProxy(name, mock)`` for each of ~80 magic
names on every ``MagicMock``'s class: the largest part of its
construction, and a reference cycle per mock that only the garbage
collector frees. Here each name has one proxy object, which finds the mock
it serves when looked up (the owner of the class whose namespace holds it,
:mod:`.class_entries`) and runs the stdlib's own ``create_mock`` for it; so
configuring ``__len__`` on one mock never shows on another, and
``vars(type(m))`` has the names the stdlib's would.
"""

from __future__ import annotations

import weakref

# Bound at import: a test may patch a builtin while mockpool works for it.
from builtins import getattr, isinstance  # noqa: UP029
from typing import Any

from mockpool._autospec.plain.class_entries import entries, owner_of, release
from mockpool._autospec.plain.stdlib import AVAILABLE, MAGICS, MagicProxy

__all__ = ["SHARED_PROXIES", "SHARED_PROXY_TYPE", "SharedMagicProxy", "proxy_parent"]


class SharedMagicProxy(MagicProxy):  # type: ignore[misc]
    """The one magic-method proxy of a name, shared by every mock's class.

    The stdlib puts a fresh ``MagicProxy(name, mock)`` for each of ~80
    names on every ``MagicMock``'s class: the largest part of its
    construction, and a reference cycle per mock. This one knows only its
    name and finds its mock when looked up, as the owner of the class
    whose namespace holds it (:class:`~.class_entries.ClassEntry`), so ``m.__len__``,
    ``type(m).__len__`` and a copy's ``__len__`` (the copy's class is a
    subclass of the original's) create the child on the same mock as the
    stdlib's proxy would -- by running the stdlib's own ``create_mock``.

    A subclass of ``MagicProxy``, so that code asking ``isinstance`` of a
    class namespace (the introspection snapshot) still sees a proxy; it has
    no ``parent`` (see :func:`proxy_parent`).
    """

    def __init__(self, name: str) -> None:
        # No parent, on purpose: see _proxy_owner.
        self.name = name

    # Identity, and never NotImplemented: a recycled class's namespace is
    # compared with its template without asking a value of the test's.
    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    __hash__ = object.__hash__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        holder, parent = _proxy_owner(self, instance, owner)
        # create_mock puts the child on the class: no longer a template.
        release(holder)
        return MagicProxy(self.name, parent).create_mock()


def _proxy_owner(proxy: SharedMagicProxy, instance: Any, owner: Any) -> tuple[Any, Any]:
    """The class whose namespace holds *proxy*, and the mock it serves."""
    klass = type(instance) if instance is not None else owner
    for holder in getattr(klass, "__mro__", ()):
        if holder.__dict__.get(proxy.name) is proxy:
            entry = entries.get(weakref.ref(holder))
            found = None if entry is None else entry.owner()
            if found is not None:
                return holder, found
            break
    else:
        holder = None
    if instance is not None:
        # The owner is gone and only a copy of it is left: the stdlib's
        # proxy would have kept it alive; the copy is its closest kin.
        return holder, instance
    raise AttributeError(
        f"{proxy.name!r}: the mock this class was made for no longer exists"
    )


def proxy_parent(namespace_owner: type, value: Any) -> Any:
    """The mock that magic proxy *value* on class *namespace_owner* serves.

    ``None`` if *value* is no proxy or its mock is gone. For a stdlib proxy
    its ``parent``; for a shared one, the owner of the class.
    """
    if type(value) is SharedMagicProxy:
        return owner_of(namespace_owner)
    if isinstance(value, MagicProxy):
        return value.parent
    return None


#: The class of the shared proxies, for code that inspects mock classes.
SHARED_PROXY_TYPE: type = SharedMagicProxy

#: One shared proxy per magic name.
SHARED_PROXIES: dict[str, SharedMagicProxy] = (
    {name: SharedMagicProxy(name) for name in MAGICS} if AVAILABLE else {}
)
