"""Keeping mocks: per-service and per-class pools, recovery, adaptation.

Private: import from :mod:`mockpool`. Part of the core: it emits events
(:mod:`mockpool._base.events`) and never imports ``_learning`` or
``_reporting``.
"""
