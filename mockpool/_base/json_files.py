"""The one reader of the JSON files mockpool writes: run reports and usage history.

Every such file holds one JSON object with an integer ``"format"``, the
version of its layout; keys a version does not know are ignored. A crash,
a concurrent writer or a person may have damaged one, so
:func:`read_json_file` checks everything but the fields themselves, in one
order and with one wording, and hands the object on as a
:class:`~mockpool._base.json_fields.FieldReader` for the fields:

* the file is opened and read whole; an :class:`OSError` (missing, a
  directory, no permission) passes unchanged, for the caller to tell apart;
* an empty file, bytes that are not UTF-8, text that is not JSON (most
  often a truncated file), JSON that is not an object, or a ``"format"``
  other than the one expected each raise the caller's error class -- a
  :class:`ValueError` -- with a message that says which and what was
  found.

The messages do not name the path: each caller puts them after it, in its
own sentence -- a report file's names the path and how to fix it, the
history's warning names the path and what history does instead.

Imports nothing of mockpool but :mod:`mockpool._base`.
"""

from __future__ import annotations

import json
import os

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import open  # noqa: UP029

from mockpool._base.json_fields import FieldReader

__all__ = ["check_format", "read_json_file"]


def read_json_file(
    path: str | os.PathLike[str],
    error: type[ValueError],
    what: str,
    version: int,
    *,
    hint: str = "",
) -> FieldReader:
    """Read the file at *path*: a JSON object of format *version*.

    Args:
        path: The file.
        error: The exception class raised for a bad file (a ValueError).
        what: How messages name the object, e.g. ``"report"``; also the
            returned reader's :attr:`~FieldReader.where`.
        version: The ``"format"`` the object must have.
        hint: Added to the message of a wrong format, e.g. how to read it.

    Returns:
        A reader of the object's fields, raising *error*.

    Raises:
        OSError: The file could not be opened or read.
        ValueError: *error*, when the file is empty, not UTF-8, not JSON,
            not a JSON object or of another format.
    """
    with open(path, "rb") as stream:
        raw = stream.read()
    if not raw.strip():
        raise error("the file is empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 ({exc})") from None
    except json.JSONDecodeError as exc:
        raise error(f"not JSON, truncated? ({exc})") from None
    top = FieldReader(data, what, error)
    check_format(top, version, hint)
    return top


def check_format(top: FieldReader, version: int, hint: str = "") -> None:
    """Check that the object *top* reads has ``"format"`` *version*.

    Raises:
        ValueError: *top*'s error, naming the format found and the one
            read; *hint* follows.
    """
    found = top.get("format", object)
    if type(found) is not int or found != version:
        raise top.error(
            f"{top.where} 'format' is {found!r}; this mockpool reads format "
            f"{version!r}{hint}"
        )
