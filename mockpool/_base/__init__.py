"""Foundations every part uses and that know no part of mockpool.

Private: import from :mod:`mockpool`. Modules here import nothing from the
other folders (see docs/architecture.rst for the order).
"""
