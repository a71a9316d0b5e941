"""Importer for Stanford HELM's model metadata (kind ``helm-models``): a registry, no scores.

Reads ``model_metadata.yaml`` (``models:`` a list of entries): ``name`` (``creator/model``) ->
alias and id (the part after the ``/``; the whole name where two creators share it),
``display_name`` -> name and alias (also without a trailing size such as ``(178B)``),
``creator_organization_name`` -> organisation, ``num_parameters`` -> billions,
``release_date``, and ``access`` -> weights (:data:`ACCESS`).

HELM's ``access`` has three values: ``open`` (weights downloadable), ``limited`` (HELM's word for
API or gated access: the weights are not published) and ``closed``. ``limited`` is therefore
``closed`` here: opengap's ``weights`` says whether anyone can download the weights, and HELM's
``limited`` models (GPT-4, Claude, Jurassic ...) cannot be downloaded. The licence is not stated,
so ``license_class`` is left unknown for open models and set ``closed`` for the others.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from opengap.errors import MalformedFile
from opengap.names import make_id
from opengap.sources.common import parse_date
from opengap.sources.records import ImportBatch, ModelRecord, sha256_of

KIND = "helm-models"
FILE_NAME = "model_metadata.yaml"

#: HELM ``access`` -> (weights, license_class); ``limited`` is API/gated access, not weights.
ACCESS: dict[str, tuple[str, str | None]] = {
    "open": ("open", None),
    "limited": ("closed", "closed"),
    "closed": ("closed", "closed"),
}
_SIZE_SUFFIX = re.compile(r"\s*\(\d+(?:\.\d+)?[MBT]\)$")
_MAX_BYTES = 50 * 1024 * 1024  # HELM's file is ~0.5 MB; anything far larger is not it


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read HELM's ``model_metadata.yaml`` (the file, or a directory holding it).

    Parameters
    ----------
    path : Path
        ``model_metadata.yaml`` or the directory that holds it.
    model, benchmark : str, optional
        Not used.

    Returns
    -------
    ImportBatch
        One model per entry; entries without a name, with an unknown ``access`` or an
        unparseable date or size are rejected with the reason.

    Raises
    ------
    MalformedFile
        When the file is not YAML, or not a mapping with a ``models`` list.

    Examples
    --------
    >>> batch = read(Path("../shared/data/helm-model-metadata"))  # doctest: +SKIP
    >>> len(batch.models)  # doctest: +SKIP
    632
    """
    del model, benchmark
    file = path / FILE_NAME if path.is_dir() else path
    if not file.is_file():
        raise MalformedFile(f"{path}: no {FILE_NAME} in this directory")
    entries = _entries(file)
    batch = ImportBatch(kind=KIND, path=str(path), sha256=sha256_of(file), rows_read=len(entries))
    names = [e.get("name") for e in entries if isinstance(e, dict)]
    shorts = Counter(_short(n) for n in names if isinstance(n, str) and n.strip())
    for i, entry in enumerate(entries, 1):
        where = f"{file.name} model {i}"
        if not isinstance(entry, dict):
            batch.reject(where, "not a mapping")
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip() or not make_id(name):
            batch.reject(where, "no name")
            continue
        try:
            record = _record(entry, name.strip(), shorts)
        except ValueError as exc:
            batch.reject(where, f"{name}: {exc}")
            continue
        batch.models.append(record)
    return batch


def _entries(file: Path) -> list[Any]:
    import yaml

    if file.stat().st_size > _MAX_BYTES:
        raise MalformedFile(f"{file}: {file.stat().st_size} bytes, too large for {FILE_NAME}")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"{file}: not UTF-8 text ({exc.reason})") from exc
    except (yaml.YAMLError, RecursionError) as exc:
        raise MalformedFile(f"{file}: not parseable as YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise MalformedFile(f"{file}: not HELM model metadata (no 'models:' list)")
    entries: list[Any] = data["models"]
    return entries


def _short(name: str) -> str:
    return make_id(name.strip().rsplit("/", 1)[-1])


def _record(entry: dict[str, Any], name: str, shorts: Counter[str]) -> ModelRecord:
    """Return the model an entry describes; ValueError for a bad access, date or size."""
    access = str(entry.get("access") or "").strip().lower()
    if access not in ACCESS:
        raise ValueError(f"unknown access {entry.get('access')!r}")
    weights, license_class = ACCESS[access]
    display = str(entry.get("display_name") or "").strip() or None
    size = entry.get("num_parameters")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int | float)):
        raise ValueError(f"num_parameters is not a number: {size!r}")
    if size is not None and not 0 <= size < 1e15:
        raise ValueError(f"num_parameters out of range: {size!r}")
    released = entry.get("release_date")
    if released is not None and not isinstance(released, date):
        released = parse_date(str(released))
    short = _short(name)
    aliases = [name]
    if display:
        aliases += [display, _SIZE_SUFFIX.sub("", display)]
    return ModelRecord(
        model_id=short if shorts[short] == 1 else make_id(name),
        name=display or name,
        organization=str(entry.get("creator_organization_name") or "").strip() or None,
        release_date=released,
        weights=weights,
        license_class=license_class,
        params_total_b=None if size is None else float(size) / 1e9,
        notes=f"HELM access: {access}",
        aliases=list(dict.fromkeys(a for a in aliases if a)),
    )
