"""Handing mocks out: the current session, patch routing, the controller.

Private: import from :mod:`mockpool`. Part of the core: it emits events
and never imports ``_learning`` or ``_reporting``.
"""
