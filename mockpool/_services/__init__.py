"""The registry of named services: validation, definitions, policies.

Private: import from :mod:`mockpool`. Imports only ``_base`` and ``_autospec``.
"""
