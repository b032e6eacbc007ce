"""The stdlib's ``NonCallableMock.__setattr__`` that lets go of a kept class.

A mock class kept for reuse (:mod:`.class_reuse`) must be let go of before
a test's magic method goes on it (contract 5): ``m.__len__ = value`` puts
*value* on ``type(m)``, and a mock set that way refers to *m* as its
parent, so the class, kept, would keep both alive for good -- the end of
the mock cannot be waited for. Wrapping ``__setattr__`` to see such a set
costs a Python frame on every attribute set, three per mock call.

Instead, :func:`releasing_stdlib_setattr` compiles the running
interpreter's own ``__setattr__`` again from its source, with
:func:`~.class_entries.release` called in the one branch that puts a
magic method on the class and nowhere else: every other set runs the
stdlib's code as it is. The copy's globals are ``unittest.mock``'s own (a
test that patches a helper there patches it for the copy too), its lines,
file and qualified names are the stdlib's (tracebacks and the functions it
makes read the same), and it is used only if it compiles to the running
function's names, constants, nested code and lines; otherwise ``None``, and
the caller wraps the stdlib's function instead.

The source is cut by indentation (:func:`source_lines`), not read with
:func:`inspect.getsourcelines`: that tokenizes the block, and the
tokenizer's first use compiles its regular expressions -- about a third of
what importing mockpool cost (3.11, ``-X importtime``). It is read from
:mod:`linecache` when that holds the file, else from the file only as far
as the block's end: ``__setattr__`` sits in the first quarter of
``unittest/mock.py``, and reading all of it into :mod:`linecache` took
about a third of this module's work at import. A cut in the wrong place
cannot pass unseen: the copy must start and end on the lines the running
function does.
"""

from __future__ import annotations

import dis
import linecache
import textwrap
import tokenize
import types

# Bound at import: a test may patch a builtin while mockpool works for it.
from builtins import getattr, isinstance, len, sorted  # noqa: UP029
from typing import Any

from mockpool._autospec.plain.class_entries import release
from mockpool._autospec.plain.stdlib import mock_module, stdlib_setattr

__all__ = ["releasing_stdlib_setattr"]

#: The line that opens the branch putting a magic method on the mock's
#: class, and what it becomes: the class let go of when the name is a magic
#: one (``release`` returns None, so the condition is unchanged).
MAGIC_BRANCH = "elif name in _all_magics:"
RELEASING_BRANCH = "elif name in _all_magics and _mockpool_release(type(self)) is None:"

# The function that encloses the copy, to give it ``release`` as a closure.
_ENCLOSING = "_enclosing"


def releasing_stdlib_setattr() -> Any:
    """The stdlib's ``NonCallableMock.__setattr__`` with ``release`` in its
    magic branch, or ``None`` where that cannot be made faithfully."""
    original = stdlib_setattr.__code__
    filename = original.co_filename
    found = source_lines(original)
    if found is None:  # no source: a frozen or stripped stdlib
        return None
    lines, first = found
    branches = [n for n, line in enumerate(lines) if line.strip() == MAGIC_BRANCH]
    if len(branches) != 1 or original.co_freevars or first < 2:
        return None
    lines = list(lines)
    lines[branches[0]] = lines[branches[0]].replace(MAGIC_BRANCH, RELEASING_BRANCH)
    # Blank lines, the enclosing def, then the method on its own line.
    source = (
        "\n" * (first - 2)
        + f"def {_ENCLOSING}(_mockpool_release):\n"
        + textwrap.indent(textwrap.dedent("".join(lines)), "    ")
        + f"    return {original.co_name}\n"
    )
    made: dict[str, Any] = {}
    try:
        exec(compile(source, filename, "exec"), vars(mock_module), made)
        compiled = made[_ENCLOSING](release)
    except Exception:  # a source that is not the running function's
        return None
    # Named as the stdlib's: the lambda it makes for a function set as a
    # magic method shows its qualified name in the mock's __dict__.
    enclosing = f"{_ENCLOSING}.<locals>."
    owner = stdlib_setattr.__qualname__[: -len(original.co_name)]
    code = _renamed(compiled.__code__, enclosing, owner)
    if (
        # The same names (the added call reads ``type`` earlier: another order).
        sorted(code.co_names) != sorted(original.co_names)
        or code.co_varnames != original.co_varnames
        or _constants(code) != _constants(original)
        or code.co_firstlineno != original.co_firstlineno
        # A source cut short (or run on) starts or ends elsewhere.
        or _line_span(code) != _line_span(original)
        or code.co_freevars != ("_mockpool_release",)
    ):
        return None
    function = types.FunctionType(
        code, compiled.__globals__, original.co_name, None, compiled.__closure__
    )
    function.__qualname__ = stdlib_setattr.__qualname__
    function.__doc__ = stdlib_setattr.__doc__
    function.__module__ = stdlib_setattr.__module__
    return function


def source_lines(code: Any) -> tuple[list[str], int] | None:
    """The lines of the function whose code is *code*, as its file has them
    (read as :mod:`linecache` reads it), and the number of the first;
    ``None`` without a source.

    The block is the ``def`` line and every line after it that is blank, a
    comment or indented deeper, as Python's own reading of a block goes.
    (Lines of a multi-line string that start further left would end it
    early: the caller's checks then refuse the copy.)
    """
    first = code.co_firstlineno
    lines = _lines_until_block_end(code.co_filename, first)
    if not 0 < first <= len(lines):
        return None
    head = lines[first - 1]
    depth = len(head) - len(head.lstrip())
    end = first
    while end < len(lines):
        text = lines[end].lstrip()
        if text and not text.startswith("#") and len(lines[end]) - len(text) <= depth:
            break
        end += 1
    while end > first and not lines[end - 1].strip():
        end -= 1  # trailing blank lines belong to no block
    return lines[first - 1 : end], first


def _lines_until_block_end(filename: str, first: int) -> list[str]:
    """The lines of *filename* (``[]`` if it cannot be read): all of them
    from :mod:`linecache` when it holds the file (as it would read it), else
    read from the file as :mod:`linecache` reads one, but only up to the
    first line after line *first* that ends a block starting there.
    :func:`source_lines` needs no more."""
    if filename in linecache.cache:
        return linecache.getlines(filename)
    lines: list[str] = []
    try:
        with tokenize.open(filename) as file:
            depth = None
            for line in file:
                lines.append(line)
                if len(lines) == first:
                    depth = len(line) - len(line.lstrip())
                elif depth is not None:
                    text = line.lstrip()
                    ends = text and not text.startswith("#")
                    if ends and len(line) - len(text) <= depth:
                        break
    except (OSError, SyntaxError, UnicodeDecodeError):
        # Not a readable file (a zipped stdlib, say): linecache knows more
        # ways to a module's source.
        return linecache.getlines(filename)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"  # as linecache ends a file's last line
    return lines


def _line_span(code: Any) -> tuple[int, int]:
    """The first and last line *code*'s instructions come from."""
    numbers = [line for _, line in dis.findlinestarts(code) if line is not None]
    return min(numbers, default=0), max(numbers, default=0)


def _renamed(code: Any, old: str, new: str) -> Any:
    """*code* with the qualified names that start with *old* -- its own
    (3.11+), its nested functions', and the strings 3.9-3.10 name them by
    -- starting with *new* instead."""
    consts = tuple(
        _renamed(value, old, new)
        if isinstance(value, types.CodeType)
        else new + value[len(old) :]
        if isinstance(value, str) and value.startswith(old)
        else value
        for value in code.co_consts
    )
    qualname = getattr(code, "co_qualname", None)
    if qualname is not None and qualname.startswith(old):
        return code.replace(co_consts=consts, co_qualname=new + qualname[len(old) :])
    return code.replace(co_consts=consts)


def _constants(code: Any) -> list[Any]:
    """*code*'s constants, comparable across two compilations of a source:
    a nested function's by its bytecode, names and constants (a code
    object's own equality also asks where it was compiled)."""
    return [
        (value.co_code, value.co_names, _constants(value))
        if isinstance(value, types.CodeType)
        else value
        for value in code.co_consts
    ]
