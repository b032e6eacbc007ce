"""Plain mocks -- ``Mock()``, ``MagicMock()`` and child mocks -- built faster.

While :func:`enable` is in effect (the drop-in enables it), constructing
any of ``unittest.mock``'s mock classes skips work that does not depend on
the mock being built, and nothing a test can observe changes
(docs/plain_mocks.rst). One module per saving, plus what they share:

* :mod:`.stdlib` -- what this interpreter's ``mock.py`` has: the objects
  replaced, the helpers read, and probes of how its version behaves;
* :mod:`.spec_records` -- ``_mock_add_spec``'s outcome recorded per spec
  (by the interpreter's own ``_mock_add_spec``) and replayed;
* :mod:`.class_entries` -- which mock each accelerated class serves, and
  whether the class is held for reuse;
* :mod:`.shared_proxies` -- one magic-method proxy per name, shared by
  every ``MagicMock``'s class, instead of ~80 new ones per mock;
* :mod:`.class_reuse` -- the class of a dropped mock handed to the next
  mock of the same kind, when nothing can tell;
* :mod:`.construction` -- ``__new__`` and the magic mixins' ``__init__``
  that put these together, and what lets go of a class a test writes to;
* :mod:`.releasing_setattr` -- the stdlib's ``__setattr__``, recompiled to
  let go of a kept class in its magic branch alone;
* :mod:`.one_pass_init` -- ``__init__`` written in one pass;
* :mod:`.one_pass_async_init` -- ``AsyncMockMixin.__init__`` in one pass,
  on the Pythons whose version of it is recognised (the stdlib's elsewhere);
* :mod:`.call_recording` -- a call recorded with its writes made directly;
* :mod:`.calling` -- ``__call__`` in one frame where nothing can tell;
* :mod:`.switch` -- :func:`enable` and :func:`disable`.

This package is the entry point the rest of mockpool imports: the switch,
:func:`observe`, :func:`take_counts`, :func:`uncounted` and
:func:`uncounted_call` (the run report's count of plain mocks), and, for code
that inspects mock classes (the pool's pristine proof),
:data:`SHARED_PROXY_TYPE`, :func:`proxy_parent` and
:func:`held_references`.
"""

from __future__ import annotations

from mockpool._autospec.plain.class_entries import held_references
from mockpool._autospec.plain.construction import (
    COUNTED,
    COUNTED_STOCK,
    OTHER_SPEC,
    observe,
    take_counts,
    uncounted,
    uncounted_call,
)
from mockpool._autospec.plain.shared_proxies import SHARED_PROXY_TYPE, proxy_parent
from mockpool._autospec.plain.spec_records import RECORD_LIMIT, clear_records
from mockpool._autospec.plain.switch import disable, enable, enabled

__all__ = [
    "COUNTED",
    "COUNTED_STOCK",
    "OTHER_SPEC",
    "RECORD_LIMIT",
    "SHARED_PROXY_TYPE",
    "uncounted_call",
    "clear_records",
    "disable",
    "enable",
    "enabled",
    "held_references",
    "observe",
    "proxy_parent",
    "take_counts",
    "uncounted",
]
