"""Where the store file lives: ``--db``, then ``OPENGAP_DB``, then the user's data directory."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import platformdirs

from opengap.errors import OpengapError
from opengap.sources.checks import display_path


def resolve_db_path(db: str | os.PathLike[str] | None = None) -> Path:
    """Return the store path chosen by ``db``, else ``$OPENGAP_DB``, else the default location."""
    if db:
        return Path(db).expanduser()
    env = os.environ.get("OPENGAP_DB")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("opengap")) / "opengap.duckdb"


#: Bytes 8..12 of every DuckDB database file.
_DUCKDB_MAGIC = b"DUCK"


def check_db_path(path: Path, *, create: bool) -> None:
    """Refuse at once a store path DuckDB cannot use, without opening (so never blocking).

    An existing path must be a regular file that starts like a DuckDB database (an empty file
    is accepted; DuckDB initialises it). A missing one needs, with ``create``, a directory that
    exists or can be made.

    Raises
    ------
    OpengapError
        Naming the path and what it is: a FIFO, device or directory, a symlink loop, a file
        that is not a DuckDB database, a parent that cannot be created.
    """
    shown = display_path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        reason = "a symlink loop" if exc.errno == errno.ELOOP else exc.strerror
        raise OpengapError(f"{shown}: cannot use as the store: {reason}") from None
    if info is None:
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OpengapError(
                    f"{shown}: cannot create the store: {exc.strerror or exc}"
                ) from None
            if not os.access(path.parent, os.W_OK | os.X_OK):
                raise OpengapError(f"{shown}: cannot create the store: permission denied")
        return
    if stat.S_ISDIR(info.st_mode):
        raise OpengapError(f"{shown}: a directory, not a store file")
    if not stat.S_ISREG(info.st_mode):
        raise OpengapError(f"{shown}: not a regular file (a FIFO, device or socket)")
    if info.st_size == 0:
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError as exc:
        raise OpengapError(f"{shown}: cannot read the store: {exc.strerror}") from None
    if head[8:12] != _DUCKDB_MAGIC:
        raise OpengapError(f"{shown}: cannot open the store: not a valid DuckDB database file")

