"""The patch engine behind ``session.patch``: stdlib semantics, thread-safe.

A session's :class:`SessionPatcher` has the shapes of
:func:`unittest.mock.patch` (``patch``, ``patch.object``, ``patch.dict``,
``patch.multiple``), but every call starts its patch at once, owned by the
session, and :meth:`SessionPatcher.stopall` undoes that session's patches,
newest first, by patcher identity -- never with the process-wide
``mock.patch.stopall()``.

``new`` is computed as ``mock.patch`` computes it, on every supported Python:
a real stdlib ``_patch`` does the work against a private stand-in holding the
original, except for ``autospec``, which goes to :func:`mockpool.create_autospec`
after the stdlib's own checks.

The computed value is installed through the process-wide routing table
(:mod:`mockpool._sessions.routing`), so patches of one target by sessions of
several threads are routed and each session sees its own value; the table's
module docstring states how, and the limits of that routing. Dict patches are
not routed.
"""

from __future__ import annotations

import builtins
import threading

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import dir, getattr, id, isinstance, issubclass, len, reversed, sorted  # noqa: UP029
from types import ModuleType
from typing import Any, Callable, Protocol
from unittest import mock

from mockpool._autospec.lazy import create_autospec
from mockpool._base import compat as _compat
from mockpool._sessions import routing as _routing
from mockpool.errors import (
    ArgumentTypeError,
    InvalidArgumentError,
    SessionStateError,
)

__all__ = ["PatchOwner", "SessionPatcher"]

DEFAULT: Any = mock.DEFAULT

# ``mock.patch`` treats these names as creatable on modules (they resolve to
# builtins anyway). Read from the stdlib so that both agree.
# (The fallback only where the stdlib has no list: built as getattr's default,
# needed or not, it cost a fifth of this module's import.)
_BUILTINS: frozenset[str] = frozenset(
    getattr(mock, "_builtins", None)
    or {n for n in dir(builtins) if not n.startswith("_")}
)

# 3.10+ raises this for specs that are already mocks; 3.9 has no such class
# (and makes no such checks).
_InvalidSpecError: type[Exception] = getattr(mock, "InvalidSpecError", Exception)


class PatchOwner(_routing.RouteOwner, Protocol):
    """What the patch engine needs of a session."""

    @property
    def name(self) -> str:
        """A label for messages."""

    def get(self, service_name: str, /) -> Any:
        """Return the session's mock of a registered service."""


# -- computing new as mock.patch does ------------------------------------------


class _Holder:
    """A private target holding only the original, for the stdlib to patch.

    Every name, ``__dict__`` and ``__class__`` included, is a plain entry of
    its own namespace, so the stdlib's ``_patch`` can enter and exit on it
    whatever the attribute is called.
    """

    __slots__ = ("_values",)

    def __init__(self, name: str, value: Any) -> None:
        values = {} if value is DEFAULT else {name: value}
        object.__setattr__(self, "_values", values)

    def __getattribute__(self, name: str) -> Any:
        values: dict[str, Any] = object.__getattribute__(self, "_values")
        if name == "__dict__":
            return values
        try:
            return values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        object.__getattribute__(self, "_values")[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del object.__getattribute__(self, "_values")[name]
        except KeyError:
            raise AttributeError(name) from None


def _is_instance_mock(obj: Any) -> bool:
    # unittest.mock._is_instance_mock, the same on 3.9-3.13.
    return issubclass(type(obj), mock.NonCallableMock)


def _check_service(
    service: Any,
    new: Any,
    spec: Any,
    spec_set: Any,
    autospec: Any,
    new_callable: Any,
    kwargs: dict[str, Any],
) -> None:
    """Refuse keywords that contradict ``service=`` (it supplies ``new``)."""
    if service is None:
        return
    # mockpool's own errors, deriving from the builtins mock.patch raises for
    # conflicting keywords (TypeError and ValueError), which they mirror.
    if not isinstance(service, str):
        raise ArgumentTypeError(
            f"service must be the name of a registered service (a str), not "
            f"{service!r}; pass a name such as service='RedisService'"
        )
    if new is not DEFAULT:
        raise InvalidArgumentError(
            f"Cannot use 'new' and 'service' together: service={service!r} "
            f"supplies the new value; drop new={new!r} or service"
        )
    if new_callable is not None:
        raise InvalidArgumentError(
            f"Cannot use 'new_callable' and 'service' together: "
            f"service={service!r} supplies the new value; drop "
            f"new_callable={new_callable!r} or service"
        )
    if autospec not in (None, False):
        raise ArgumentTypeError(
            f"service={service!r} supplies the mock; can't also use "
            f"autospec={autospec!r}. Register the service with the spec instead"
        )
    if spec not in (None, False) or spec_set not in (None, False):
        raise InvalidArgumentError(
            f"service={service!r} supplies the mock; can't also use "
            f"spec={spec!r} or spec_set={spec_set!r}. Register the service "
            "with the spec instead"
        )
    configuring = sorted(k for k in kwargs if k != "unsafe")
    if configuring:
        raise ArgumentTypeError(
            f"Can't pass kwargs to a mock we aren't creating: "
            f"service={service!r} supplies the mock; configure "
            f"{', '.join(configuring)} on session.get({service!r}) instead"
        )


def _start(
    owner: PatchOwner, patcher: Any, service: str | None
) -> tuple[Any, _routing.Entry]:
    """Compute ``new`` as ``patcher.__enter__`` would, then install it routed.

    *patcher* is a fresh stdlib ``_patch`` (its constructor has validated
    the arguments); it is used up here and never started.

    Returns:
        The ``new`` that was installed, and its entry.
    """
    new, spec, spec_set = patcher.new, patcher.spec, patcher.spec_set
    autospec, kwargs = patcher.autospec, patcher.kwargs
    attribute = patcher.attribute
    target = _routing.unwrap(patcher.getter())

    # normalise False to None
    if spec is False:
        spec = None
    if spec_set is False:
        spec_set = None
    if autospec is False:
        autospec = None

    if spec is not None and autospec is not None:
        raise TypeError("Can't specify spec and autospec")
    if (spec is not None or autospec is not None) and spec_set not in (True, None):
        raise TypeError("Can't provide explicit spec_set *and* spec or autospec")

    # What this session sees: the original, or what its own sessions put.
    original = _routing.view(target, attribute, owner)
    create = bool(patcher.create)
    if attribute in _BUILTINS and isinstance(target, ModuleType):
        create = True
    if not create and original is DEFAULT:
        raise AttributeError(
            f"{target} does not have the attribute {attribute!r}; check the "
            "name, or pass create=True to add it"
        )

    if service is not None:
        new = owner.get(service)

    if autospec is None:
        # The stdlib computes new (or refuses) against a stand-in target.
        holder = _Holder(attribute, original)
        patcher.getter = lambda: holder
        patcher.new = new
        patcher.create = create
        patcher.attribute_name = None
        patcher.additional_patchers = []
        new = patcher.__enter__()
        patcher.__exit__(None, None, None)
    else:
        if new is not DEFAULT:
            raise TypeError(
                "autospec creates the mock for you. Can't specify autospec and new."
            )
        if original is DEFAULT:
            raise TypeError("Can't use 'autospec' with create=True")
        spec_set = bool(spec_set)
        if autospec is True:
            autospec = original
        if _compat.PY_3_10_PLUS:
            if _is_instance_mock(target):
                raise _InvalidSpecError(
                    f"Cannot autospec attr {attribute!r} as the patch "
                    f"target has already been mocked out. "
                    f"[target={target!r}, attr={autospec!r}]"
                )
            if _is_instance_mock(autospec):
                target_name = getattr(target, "__name__", target)
                raise _InvalidSpecError(
                    f"Cannot autospec attr {attribute!r} from target "
                    f"{target_name!r} as it has already been mocked out. "
                    f"[target={target!r}, attr={autospec!r}]"
                )
        new = create_autospec(autospec, spec_set=spec_set, _name=attribute, **kwargs)

    entry = _routing.install(owner, target, attribute, create, new)
    return new, entry


# -- the session's patcher -----------------------------------------------------


def _target_name(target: Any) -> str:
    """A short name for *target* in the descriptions of active patches."""
    if isinstance(target, ModuleType):
        return target.__name__
    if isinstance(target, type):
        return f"{target.__module__}.{target.__qualname__}"
    kind = type(target)
    return f"<{kind.__module__}.{kind.__qualname__} object at {id(target):#x}>"


def _add_note(exc: BaseException, note: str) -> None:
    add_note = getattr(exc, "add_note", None)
    if add_note is not None:
        add_note(note)
    else:
        # Before 3.11 nothing prints __notes__, but the record is kept.
        notes = getattr(exc, "__notes__", None)
        if not isinstance(notes, list):
            notes = []
        notes.append(note)
        exc.__notes__ = notes  # type: ignore[attr-defined,unused-ignore]


class _Active:
    """A started patch: how to describe it and how to undo it."""

    __slots__ = ("description", "undo")

    def __init__(self, description: str, undo: Callable[[], object]) -> None:
        self.description = description
        self.undo = undo


class SessionPatcher:
    """``session.patch``: :func:`unittest.mock.patch` owned by a session.

    Each call starts its patch at once and returns what ``start()`` would
    return (the mock, the dict, or the dict of mocks for ``multiple``); the
    session undoes all of them with :meth:`stopall`. Every keyword of
    :func:`unittest.mock.patch` is accepted and means what it means there;
    ``autospec`` builds with :func:`mockpool.create_autospec`. Patches of the
    same target by sessions of several threads are routed, so each session
    sees its own value (see :mod:`mockpool._sessions.routing`).

    Args:
        owner: The session that owns the patches.
    """

    def __init__(self, owner: PatchOwner) -> None:
        self._owner = owner
        self._lock = threading.Lock()
        self._active: list[_Active] = []

    def __repr__(self) -> str:
        return f"<SessionPatcher of {self._owner.name!r}: {len(self)} active>"

    def __len__(self) -> int:
        with self._lock:
            return len(self._active)

    @property
    def active(self) -> list[str]:
        """Descriptions of the active patches, oldest first."""
        with self._lock:
            return [record.description for record in self._active]

    def __call__(
        self,
        target: str,
        new: Any = DEFAULT,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        *,
        service: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Patch the object named by *target* until the session ends.

        Args:
            target: ``"package.module.attribute"``, as for
                :func:`unittest.mock.patch`.
            new: The replacement; a mock is made if omitted.
            spec: As for :func:`unittest.mock.patch`.
            create: Allow patching an attribute that does not exist.
            spec_set: As for :func:`unittest.mock.patch`.
            autospec: ``True`` (or an object to spec from) to build the mock
                with :func:`mockpool.create_autospec`.
            new_callable: Called to make the mock.
            service: Name of a registered service: the replacement is the
                session's mock of it (``session.get(service)``).
            **kwargs: Configure the mock made, as for
                :func:`unittest.mock.patch` (``unsafe`` included).

        Returns:
            The replacement, as ``patch(...).start()`` returns it.

        Raises:
            TypeError: *target* is not a dotted string, or the keywords
                conflict (as :func:`unittest.mock.patch` raises).
            ValueError: Conflicting keywords (as :func:`unittest.mock.patch`
                raises).
            ArgumentTypeError: *service* is not a ``str``, or it comes with
                *autospec* or keywords that configure a mock.
            InvalidArgumentError: *service* comes with *new*, *new_callable*,
                *spec* or *spec_set*.
            AttributeError: The attribute is missing and *create* is false.
            ImportError: The module part of *target* does not import.
            SessionStateError: The session is closed.
        """
        self._refuse_if_closed()
        if not isinstance(target, str) or "." not in target:
            raise TypeError(
                f"Need a valid target to patch. You supplied: {target!r}; "
                "pass 'package.module.attribute', or use "
                "patch.object(obj, 'attribute') for an object"
            )
        _check_service(service, new, spec, spec_set, autospec, new_callable, kwargs)
        patcher = mock.patch(
            target, new, spec, create, spec_set, autospec, new_callable, **kwargs
        )
        return self._start_one(patcher, service, target)

    def object(
        self,
        target: Any,
        attribute: str,
        new: Any = DEFAULT,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        *,
        service: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Patch *attribute* of the object *target* until the session ends.

        Args:
            target: The object whose attribute to patch (not a string).
            attribute: The attribute's name.
            new: The replacement; a mock is made if omitted.
            spec: As for :func:`unittest.mock.patch.object`.
            create: Allow patching an attribute that does not exist.
            spec_set: As for :func:`unittest.mock.patch.object`.
            autospec: ``True`` (or an object to spec from) to build the mock
                with :func:`mockpool.create_autospec`.
            new_callable: Called to make the mock.
            service: Name of a registered service: the replacement is the
                session's mock of it.
            **kwargs: Configure the mock made.

        Returns:
            The replacement, as ``patch.object(...).start()`` returns it.

        Raises:
            TypeError: *target* is a string, or the keywords conflict.
            ValueError: Conflicting keywords.
            ArgumentTypeError: *service* is not a ``str``, or it comes with
                *autospec* or keywords that configure a mock.
            InvalidArgumentError: *service* comes with *new*, *new_callable*,
                *spec* or *spec_set*.
            AttributeError: The attribute is missing and *create* is false.
            SessionStateError: The session is closed.
        """
        self._refuse_if_closed()
        if type(target) is str:
            raise TypeError(
                f"{target!r} must be the actual object to be patched, not a str; "
                f"use session.patch({target + '.' + str(attribute)!r}) for a "
                "dotted name"
            )
        _check_service(service, new, spec, spec_set, autospec, new_callable, kwargs)
        patcher = mock.patch.object(
            target,
            attribute,
            new,
            spec,
            create,
            spec_set,
            autospec,
            new_callable,
            **kwargs,
        )
        return self._start_one(patcher, service, f"{_target_name(target)}.{attribute}")

    def multiple(
        self,
        target: Any,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        **kwargs: Any,
    ) -> builtins.dict[str, Any]:
        """Patch several attributes of *target* until the session ends.

        All or nothing: if one attribute cannot be patched, those already
        patched by this call are undone before the error propagates.

        Args:
            target: The object, or its dotted name.
            spec: Applied to every patch, as for
                :func:`unittest.mock.patch.multiple`.
            create: Allow patching attributes that do not exist.
            spec_set: Applied to every patch.
            autospec: Applied to every patch.
            new_callable: Applied to every patch.
            **kwargs: ``attribute=new`` pairs; ``DEFAULT`` asks for a mock.

        Returns:
            The mocks made (for attributes given ``DEFAULT``) by name, as
            ``patch.multiple(...).start()`` returns them.

        Raises:
            ValueError: No attribute was given.
            AttributeError: An attribute is missing and *create* is false.
            SessionStateError: The session is closed.
        """
        self._refuse_if_closed()
        first = mock.patch.multiple(
            target, spec, create, spec_set, autospec, new_callable, **kwargs
        )
        patchers = [first, *first.additional_patchers]
        name = target if isinstance(target, str) else _target_name(target)
        started: list[_Active] = []
        made: builtins.dict[str, Any] = {}
        try:
            for patcher in patchers:
                attribute = patcher.attribute_name
                wants_mock = patcher.new is DEFAULT
                new, entry = _start(self._owner, patcher, None)
                started.append(_routed(f"{name}.{attribute}", entry))
                if wants_mock:
                    made[attribute] = new
        except BaseException as exc:
            for record in reversed(started):
                try:
                    record.undo()
                except Exception as undo_exc:
                    _add_note(
                        exc, f"also failed undoing {record.description}: {undo_exc!r}"
                    )
            raise
        with self._lock:
            self._active.extend(started)
        return made

    def dict(
        self,
        in_dict: Any,
        values: Any = (),
        clear: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Patch a dictionary (or mapping) until the session ends.

        Dict patches are not routed: every thread sees the patched contents,
        as with :func:`unittest.mock.patch.dict`.

        Args:
            in_dict: The mapping, or its dotted name.
            values: Items to set: a mapping or ``(key, value)`` pairs.
            clear: Empty the mapping first.
            **kwargs: More items to set.

        Returns:
            The patched mapping, as ``patch.dict(...).start()`` returns it.

        Raises:
            ImportError: A dotted name did not import.
            SessionStateError: The session is closed.
        """
        self._refuse_if_closed()
        patcher: Any = mock.patch.dict(in_dict, values, clear, **kwargs)
        try:
            result = patcher.__enter__()
        except BaseException:
            if patcher._original is not None:
                patcher.__exit__(None, None, None)
            raise
        target = patcher.in_dict
        name = in_dict if isinstance(in_dict, str) else _target_name(target)

        def undo() -> object:
            return patcher.__exit__(None, None, None)

        with self._lock:
            self._active.append(_Active(f"dict {name}", undo))
        return result

    def stopall(self) -> None:
        """Undo every patch this session started, newest first.

        Every patch is undone even if undoing another fails; the first error
        is raised at the end, with the others added to it as notes. Calling
        it again does nothing.

        Raises:
            Exception: The first error raised while undoing a patch.
        """
        errors: list[tuple[BaseException, str]] = []
        while True:
            with self._lock:
                if not self._active:
                    break
                record = self._active.pop()
            try:
                record.undo()
            except BaseException as exc:  # re-raised below
                errors.append((exc, record.description))
        if errors:
            first, first_description = errors[0]
            _add_note(first, f"while undoing the patch of {first_description}")
            for other, description in errors[1:]:
                _add_note(first, f"also failed undoing {description}: {other!r}")
            raise first

    def _refuse_if_closed(self) -> None:
        """Raise SessionStateError if the owning session has been closed.

        Its patches were undone when it closed; one started now would never
        be undone.
        """
        # Owners need not have ``closed``: the patch engine's own tests use
        # stand-ins that are never closed.
        if getattr(self._owner, "closed", False):
            raise SessionStateError(
                f"session {self._owner.name!r} is closed, so a patch made through "
                "it would never be undone; patch through an open session, such "
                "as a new mockpool.mock_session()"
            )

    def _start_one(self, patcher: Any, service: str | None, description: str) -> Any:
        new, entry = _start(self._owner, patcher, service)
        with self._lock:
            self._active.append(_routed(description, entry))
        return new


def _routed(description: str, entry: _routing.Entry) -> _Active:
    def undo() -> object:
        _routing.uninstall(entry)
        return None

    return _Active(description, undo)
