"""Streamed JSON: large JSON files read item by item, in bounded memory (issue 11).

The readers of large JSON payloads (``artificial-analysis``, ``swe-bench``) read a file with
:mod:`ijson` (its C backend where installed) in passes: :func:`scan` walks the parse events of
the whole file, checking its syntax and nesting depth and handing the events of a few watched
places (names, list starts) to the reader, so the layout is known before anything is imported;
:func:`items` then builds one item (a model entry, a leaderboard entry) at a time.

Python's :mod:`json`, which a whole-file read uses, accepts a few things the streaming parser
refuses: ``NaN``, ``Infinity``, integers beyond 64 bits, numbers that overflow a double, a
byte-order mark, bytes that are not UTF-8. For those :class:`Unstreamable` is raised and the
reader reads the file whole instead, so what a file imports as (or the error it gives) never
depends on how it is read. Any other syntax error is a :class:`MalformedFile` naming the file,
the item being read and the text near the error.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from opengap.errors import MalformedFile
from opengap.sources.checks import MAX_JSON_DEPTH, display_path

#: Events that open a container, close one, and that start a value (what an item is).
OPEN = frozenset({"start_map", "start_array"})
CLOSE = frozenset({"end_map", "end_array"})
VALUE = frozenset({"start_map", "start_array", "string", "number", "integer", "double",
                   "boolean", "null"})  # fmt: skip
#: The Python type name of the value an event starts (for "not an object but list" messages).
TYPE_NAMES = {"start_map": "dict", "start_array": "list", "string": "str", "boolean": "bool",
              "null": "NoneType"}  # fmt: skip
_BOM = b"\xef\xbb\xbf"
_SCAN_READ = 4096  # bytes per read of the scan (at most ~40 MB of paths for a read of '[')
#: Streaming-parser errors on text Python's json module may read (then read the file whole).
_JSON_MAY_READ = ("invalid char in json text", "overflow", "malformed number",
                  "invalid bytes in utf8")  # fmt: skip


class Unstreamable(Exception):
    """The streaming parser refuses text that Python's json module may read: read it whole."""


def type_name(event: str, value: Any) -> str:
    """Return the Python type name of the JSON value an event starts (``int`` for 3)."""
    return TYPE_NAMES.get(event) or type(value).__name__


def scan(
    file: Path,
    watched: Mapping[str, Callable[[str, Any], None]],
    where: Callable[[], str],
    *,
    bom: bool,
) -> None:
    """Walk every parse event of ``file``; call ``watched[prefix](event, value)`` for the
    events at the watched prefixes (ijson's dotted paths: ``models.item.name``).

    ``bom``: a leading byte-order mark is skipped (else it is a syntax error).

    Raises
    ------
    MalformedFile
        For a syntax error (a cut file, a stray character): the file, ``where()`` (the item
        being read) and the text near the error; for containers nested deeper than
        :data:`MAX_JSON_DEPTH`, at once.
    Unstreamable
        For text the streaming parser refuses but Python's json module may read.
    """
    depth = 0
    with _open(file, bom=bom) as handle:
        try:
            # Small reads: the parser makes every event of a read before the first is seen,
            # each with its path, so a read of n brackets costs n^2 / 2 bytes of paths.
            for prefix, event, value in ijson.parse(handle, use_float=True, buf_size=_SCAN_READ):
                if event in OPEN:
                    depth += 1
                    if depth > MAX_JSON_DEPTH:
                        raise MalformedFile(
                            f"{display_path(file)}: JSON nested deeper than {MAX_JSON_DEPTH} "
                            "levels"
                        )
                elif event in CLOSE:
                    depth -= 1
                call = watched.get(prefix)
                if call is not None:
                    call(event, value)
        except ijson.JSONError as exc:
            raise _syntax_error(file, exc, where()) from None


def stamp(file: Path) -> tuple[int, int]:
    """Return what tells that a file changed between two passes: its size and mtime."""
    info = file.stat()
    return info.st_size, info.st_mtime_ns


def items(
    file: Path, prefix: str, *, bom: bool, scanned: tuple[int, int]
) -> Generator[Any, None, None]:
    """Yield each value at ``prefix`` (``models.item``: each element of ``models``), built
    one at a time; numbers as ``int`` or ``float``, as Python's json module reads them.

    Meant for a file :func:`scan` has read without error, whose :func:`stamp` was
    ``scanned`` then: a file changed since is a :class:`MalformedFile` (so are errors, as
    in :func:`scan`).
    """
    if stamp(file) != scanned:
        raise changed(file)
    with _open(file, bom=bom) as handle:
        try:
            yield from ijson.items(handle, prefix, use_float=True)
        except ijson.JSONError as exc:  # the file changed since it was scanned
            error = changed(file) if stamp(file) != scanned else _syntax_error(file, exc, "")
            raise error from None


def changed(file: Path) -> MalformedFile:
    """Return the error for a file that changed while it was read (between two passes)."""
    return MalformedFile(f"{display_path(file)}: changed while it was read; nothing imported")


def _open(file: Path, *, bom: bool) -> BinaryIO:
    handle = file.open("rb")
    if not bom or handle.read(len(_BOM)) != _BOM:
        handle.seek(0)
    return handle


def _syntax_error(file: Path, exc: Exception, where: str) -> Exception:
    """Return the error for a parse failure: Unstreamable, or a one-line MalformedFile."""
    text = str(exc)
    if text.startswith(("b'", 'b"')):  # the C backend's message for bad UTF-8, as bytes
        text = text[2:-1].encode().decode("unicode_escape", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = lines[0] if lines else "unreadable"
    if any(flag in reason.lower() for flag in _JSON_MAY_READ):
        return Unstreamable(reason)
    for kind in ("parse error: ", "lexical error: "):
        reason = reason.removeprefix(kind)
    near = " ".join(lines[1].split()) if len(lines) > 2 else ""
    context = f", near {near!r}" if near else ""
    place = f" {where}" if where else ""
    return MalformedFile(
        f"{display_path(file)}: not valid JSON ({reason.rstrip('.')}{context}){place}"
    )
