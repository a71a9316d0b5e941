"""A large import applied to a private copy of the store, swapped in whole when it succeeds.

An import is all or nothing. For an ordinary file that is one DuckDB transaction; but DuckDB
holds a transaction's new rows in memory until the commit (docs/data.md, "Memory of a large
import"), so a large file's import grew to 10-40x the file. A file of at least
:data:`SHADOW_BYTES` is imported instead into a copy of the store, next to it
(``.<name>.import-<pid>``), where each part of the streamed file is committed as it is read
and DuckDB runs under a memory limit (:func:`memory_limit`): committed rows go to the copy's
file, not to memory. When every part is in, the copy is closed and renamed over the store (an
atomic ``os.replace``); when anything fails, the copy is deleted. Either way the store is
exactly before or after the import, also when the process is killed: a copy left by a killed
import is deleted the next time the store is opened for writing (:func:`remove_stale`).

When a part needs more memory than the limit, DuckDB fails that part's statement; the part is
rolled back (it alone: the parts before it are committed in the copy) and applied again after
a checkpoint (which lets DuckDB evict the index blocks earlier parts changed), then, if it
runs out again, under a doubled limit (:meth:`Limit.grow`, up to the limit DuckDB takes by
default), so a large import is never refused for a limit opengap chose.

The store stays locked for the whole import (its own connection stays open), so no other
writer can change it in between and lose its change to the rename.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from opengap.errors import OpengapError

SHADOW_BYTES = 16_000_000
"""Inputs of at least this many bytes are imported through a copy; ``OPENGAP_SHADOW_BYTES``
overrides (0: every import)."""

MIN_MEMORY_MB = 64
"""The least memory DuckDB is given for an import through a copy (MB)."""

MEMORY_PER_BYTE = 3
"""DuckDB's memory limit for an import through a copy, per byte of input (above the least)."""

_MARK = ".import-"


def threshold() -> int:
    """Return ``OPENGAP_SHADOW_BYTES`` when it is a whole number >= 0, else :data:`SHADOW_BYTES`."""
    try:
        value = int(os.environ.get("OPENGAP_SHADOW_BYTES", SHADOW_BYTES))
    except ValueError:
        return SHADOW_BYTES
    return value if value >= 0 else SHADOW_BYTES


def input_bytes(path: str | Path) -> int:
    """Return the size of an import's input: a file's, or a folder's regular files' in all."""
    root = Path(path)
    try:
        if root.is_file():
            return root.stat().st_size
        if root.is_dir():
            return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    except OSError:
        pass
    return 0


@dataclass
class Limit:
    """DuckDB's memory limit on an import's copy: ``text`` as DuckDB reads it."""

    text: str
    megabytes: int | None  # None: chosen with OPENGAP_IMPORT_MEMORY, never raised

    def apply(self, con: duckdb.DuckDBPyConnection) -> None:
        """Set the limit on ``con`` (outside a transaction)."""
        con.execute(f"SET memory_limit = '{self.text}'")

    def crowded(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Return True when DuckDB holds more than half the limit (time to checkpoint)."""
        held = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()
        megabytes = self.megabytes if self.megabytes is not None else _megabytes(self.text)
        return float(held[0][0] or 0) > megabytes * 500_000

    def grow(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Double the limit, up to DuckDB's default; return False when it cannot grow."""
        top = _default_megabytes()
        if self.megabytes is None or self.megabytes >= top:
            return False
        self.megabytes = min(2 * self.megabytes, top)
        self.text = f"{self.megabytes}MB"
        self.apply(con)
        return True


def _default_megabytes() -> int:
    """Return the memory limit DuckDB gives a new connection (80% of the memory it may use,
    which heeds a container's cgroup limit), in MB."""
    try:
        with duckdb.connect() as con:
            text = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        return _megabytes(str(text))
    except (duckdb.Error, OpengapError):
        return 8_000


def memory_limit(size: int) -> Limit:
    """Return DuckDB's first memory limit for importing ``size`` bytes through a copy.

    ``OPENGAP_IMPORT_MEMORY`` (a DuckDB size such as ``2GB``) sets it, fixed; by default it is
    :data:`MEMORY_PER_BYTE` times the input, at least :data:`MIN_MEMORY_MB`, doubled when a
    part needs more.
    """
    chosen = os.environ.get("OPENGAP_IMPORT_MEMORY", "").strip()
    if chosen:
        return Limit(f"{_megabytes(chosen)}MB", None)
    megabytes = max(MIN_MEMORY_MB, MEMORY_PER_BYTE * size // 1_000_000)
    return Limit(f"{megabytes}MB", megabytes)


_UNITS = {"": 1e-6, "b": 1e-6, "kb": 1e-3, "mb": 1.0, "gb": 1e3, "tb": 1e6,
          "kib": 1.024e-3, "mib": 1.048576, "gib": 1073.741824, "tib": 1099511.627776}  # fmt: skip
_SIZE = re.compile(r"(\d+(?:\.\d*)?)\s*([a-z]*)")


def _megabytes(text: str) -> int:
    """Return ``OPENGAP_IMPORT_MEMORY`` (``2GB``, ``512MB``, ``1.5GiB``) in whole megabytes."""
    match = _SIZE.fullmatch(text.strip().lower())
    if match is None or match.group(2) not in _UNITS:
        raise OpengapError(
            f"OPENGAP_IMPORT_MEMORY={text!r} is not a size: write it as 512MB, 2GB or 1.5GiB"
        )
    megabytes = int(float(match.group(1)) * _UNITS[match.group(2)])
    if megabytes < 1:
        raise OpengapError(f"OPENGAP_IMPORT_MEMORY={text!r} is less than 1MB")
    return megabytes


def copy_path(store: Path) -> Path:
    """Return the path of this process's copy of ``store`` (hidden, in the same folder)."""
    return store.with_name(f".{store.name}{_MARK}{os.getpid()}")


def _remove(path: Path) -> None:
    """Delete a copy with its write-ahead log and DuckDB's spill folder (``<copy>.tmp``)."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)


def remove_stale(store: Path) -> None:
    """Delete the copies that imports killed before they finished left next to ``store``."""
    for copy in store.parent.glob(f".{store.name}{_MARK}*"):
        pid = copy.name.rsplit(_MARK, 1)[1].split(".", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        _remove(copy.with_name(f".{store.name}{_MARK}{pid}"))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process has no import running while it opens its store
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def shadow(
    store: Path, con: duckdb.DuckDBPyConnection, size: int
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Limit]]:
    """Yield a connection to a copy of ``store`` and its memory limit; the copy is renamed
    over the store if the block succeeds.

    ``con`` is the store's own open connection: it is checkpointed first (so the file holds
    every committed row and no write-ahead log is left beside it) and stays open, holding the
    store's lock, until the caller reopens it (the rename leaves it on the old file).

    Raises
    ------
    OpengapError
        When the copy cannot be written (disk full, permissions), or DuckDB runs out of
        memory with a limit that cannot grow (saying how to give it more). The store is
        unchanged.
    """
    limit = memory_limit(size)  # a bad OPENGAP_IMPORT_MEMORY is refused before any copy
    target = Path(os.path.realpath(store))
    copy = copy_path(target)
    con.execute("CHECKPOINT")
    if target.with_name(target.name + ".wal").exists():
        raise OpengapError(f"{store}: cannot import through a copy: a write-ahead log remains")
    try:
        shutil.copyfile(target, copy)
        shutil.copymode(target, copy)
    except OSError as exc:
        _remove(copy)
        reason = exc.strerror or exc
        raise OpengapError(f"{store}: cannot copy the store to import into: {reason}") from None
    try:
        shadow_con = duckdb.connect(str(copy))
    except BaseException:
        _remove(copy)
        raise
    try:
        limit.apply(shadow_con)
        shadow_con.execute("SET preserve_insertion_order = false")
        yield shadow_con, limit
        shadow_con.execute("CHECKPOINT")
        shadow_con.close()
        if copy.with_name(copy.name + ".wal").exists():
            raise OpengapError(f"{store}: the import's copy kept its log; nothing changed")
        os.replace(copy, target)
    except duckdb.OutOfMemoryException:
        raise OpengapError(
            f"{store}: the import needed more than the {limit.text} of memory it was given; "
            "set OPENGAP_IMPORT_MEMORY (e.g. 16GB) to give it more; nothing changed"
        ) from None
    finally:
        with contextlib.suppress(duckdb.Error):
            shadow_con.close()
        _remove(copy)
