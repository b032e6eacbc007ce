"""Sphinx configuration for the mockpool documentation."""

from __future__ import annotations

import os
import sys
import tempfile
import zlib
from pathlib import Path

# Document the checkout this file belongs to, not some other installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mockpool

project = "mockpool"
author = "mockpool developers"
copyright = "2026, mockpool developers"
release = mockpool.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
]

exclude_patterns = ["_build"]
nitpicky = False

# autodoc
autodoc_member_order = "bysource"
autodoc_typehints = "description"

# napoleon: Google style only (Args: / Returns: / Raises:)
napoleon_google_docstring = True
napoleon_numpy_docstring = False


def _empty_inventory() -> str:
    """Write an intersphinx inventory with no entries and return its path."""
    path = Path(tempfile.gettempdir(), "mockpool-docs-empty-objects.inv")
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    partial.write_bytes(
        b"# Sphinx inventory version 2\n"
        b"# Project: Python\n"
        b"# Version: 3\n"
        b"# The remainder of this file is compressed using zlib.\n" + zlib.compress(b"")
    )
    partial.replace(path)  # atomic: the docs and doctest builds may run at once
    return str(path)


# intersphinx, so that :func:`unittest.mock.patch` links to the Python docs.
# Offline (CI here has no route to docs.python.org) the download fails, and
# intersphinx warns only when *every* location fails, which -W turns into an
# error. An empty local inventory as the fallback keeps offline builds green;
# references to Python objects then render as plain text instead of links.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", (None, _empty_inventory())),
}

# doctest: every example starts from a fresh import of the package.
doctest_global_setup = "import mockpool"

html_theme = "alabaster"
