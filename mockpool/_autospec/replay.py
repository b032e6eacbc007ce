"""Mock constructions replayed from a recorded one.

Building a mock with a spec costs a ``dir()`` walk of the spec (with an
``iscoroutinefunction`` test per name), a signature, and one ``setattr`` per
magic-method proxy on the mock's own class. For a given spec and set of
flags the outcome is always the same, so the first construction is left to
:mod:`unittest.mock` and recorded as a
:class:`~mockpool._autospec.introspect.Snapshot`; later ones get the
recorded state at once and run the stdlib ``__init__`` for everything else.
Used by the lazy class autospec and by the function autospec.
"""

from __future__ import annotations

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import setattr, zip  # noqa: UP029
from typing import Any

from mockpool._autospec.introspect import Snapshot, Snapshots
from mockpool._base import stdlib as _stdlib

__all__ = ["construct"]


def construct(
    klass: type,
    spec: Any,
    snapshots: Snapshots,
    constructor: dict[str, Any],
    extra: dict[str, Any],
) -> Any:
    """``klass(**constructor)``, replaying a recorded snapshot when we have one.

    *extra* holds attributes for the mock's own class that the stdlib sets
    right after constructing it (signature checker, ``__signature__``) plus
    our lazy ``__getattr__``.
    """
    eat_self = constructor.get("_eat_self")
    if eat_self is None:
        eat_self = constructor.get("parent") is not None
    key = (klass, bool(constructor.get("_spec_as_instance", False)), bool(eat_self))
    snapshot = snapshots.get(key)
    if snapshot is None:
        built = klass(**constructor)
        captured = Snapshot.capture(built, klass)
        if captured is not None:
            snapshots[key] = captured
        own_type = type(built)
        for attribute, value in extra.items():
            setattr(own_type, attribute, value)
        return built

    # What NonCallableMock.__new__ does, with the class namespace filled in
    # at once: every mock gets its own class, and the magic-method proxies
    # the stdlib would set one by one (then delete, for those the spec
    # lacks) go straight into it.
    bases = (_stdlib.AsyncMockMixin, klass) if snapshot.async_base else (klass,)
    proxies = [_stdlib.MagicProxy(magic, None) for magic in snapshot.magics]
    namespace: dict[str, Any] = {
        "__module__": klass.__module__,
        "__doc__": klass.__doc__,
        "_mock_add_spec": _replaying_add_spec(snapshot, spec),
        "_mock_set_magics": _magics_already_set,
    }
    namespace.update(zip(snapshot.magics, proxies))
    namespace.update(extra)
    own_type = type(klass.__name__, bases, namespace)
    built = object.__new__(own_type)
    for proxy in proxies:
        proxy.parent = built
    built.__init__(**constructor)
    # Later calls (mock_add_spec) must reach the real methods again.
    del own_type._mock_add_spec
    del own_type._mock_set_magics
    return built


def _magics_already_set(self: Any) -> None:
    """Stand-in for ``_mock_set_magics`` during a replayed ``__init__``."""


def _replaying_add_spec(snapshot: Snapshot, expected_spec: Any) -> Any:
    def _mock_add_spec(
        self: Any,
        spec: Any,
        spec_set: Any,
        _spec_as_instance: bool = False,
        _eat_self: bool = False,
    ) -> None:
        if spec is not expected_spec:  # pragma: no cover - defensive
            _stdlib.base_add_spec(self, spec, spec_set, _spec_as_instance, _eat_self)
            return
        # The five entries NonCallableMock._mock_add_spec writes, in order;
        # lists are copied so no two mocks share one.
        state = self.__dict__
        state["_spec_class"] = snapshot.spec_class
        state["_spec_set"] = spec_set
        state["_spec_signature"] = snapshot.spec_signature
        methods = snapshot.methods
        state["_mock_methods"] = None if methods is None else list(methods)
        state["_spec_asyncs"] = list(snapshot.spec_asyncs)

    return _mock_add_spec
