"""Building one mock: introspection, the lazy autospec, the pristine proof.

Private: import from :mod:`mockpool`. Imports only :mod:`mockpool._base`.
"""
