"""Importer for the ATOM Project's tracked open models (kind ``atom-models``): no scores.

Reads a checkout of ``Interconnects-AI/tracked-models``:

- ``models.csv`` and ``extra_models.csv`` (``org, model, modelId``): every row is a model with
  first-party weights on Hugging Face, so ``weights = open``; ``modelId`` (the Hugging Face id)
  is an alias; ``org`` (the Hugging Face namespace) is the organisation.
- ``metadata/organization_regions.csv`` (``hf_org, region``): ``us`` and ``china`` give the
  country (``United States``, ``China``); ``eu`` (ATOM's Europe-facing bucket, not one country),
  ``other`` and ``unknown`` give none.
- ``metadata/model_parameters.csv``: total and active parameters in billions (active never
  inferred from total, as ATOM specifies) and ``is_moe``, kept in ``notes`` (``ATOM: MoE``).
- ``metadata/release_date_corrections.csv``: the actual public release date of models whose
  Hugging Face ``created_at`` differs; the only release dates ATOM states (others stay unknown).

A checkpoint whose name is shared by two namespaces (``mistralai/Mistral-7B-Instruct-v0.3`` and
``mistral-community/...``) keeps its namespace in its id (``mistralai/mistral-7b-instruct-v0.3``).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from opengap.errors import MalformedFile
from opengap.names import make_id
from opengap.sources.common import parse_bool, parse_date, parse_float, read_csv_rows
from opengap.sources.records import ImportBatch, ModelRecord, sha256_of

KIND = "atom-models"
LISTS = ("models.csv", "extra_models.csv")
REGIONS = "metadata/organization_regions.csv"
PARAMETERS = "metadata/model_parameters.csv"
CORRECTIONS = "metadata/release_date_corrections.csv"
FILES = (*LISTS, REGIONS, PARAMETERS, CORRECTIONS)

#: ATOM region bucket -> country; buckets that name no single country map to None.
REGION_COUNTRY: dict[str, str | None] = {
    "us": "United States", "china": "China", "eu": None, "other": None, "unknown": None,
}  # fmt: skip


def read(path: Path, *, model: str | None = None, benchmark: str | None = None) -> ImportBatch:
    """Read the ATOM tracked-models directory into model records (no scores).

    Parameters
    ----------
    path : Path
        The directory holding ``models.csv``, ``extra_models.csv`` and ``metadata/``.
    model, benchmark : str, optional
        Not used.

    Returns
    -------
    ImportBatch
        One open-weights model per tracked checkpoint (plus checkpoints only the parameter
        or release-date tables list); rows with an unparseable number, date or region, or an
        id that is not ``org/name``, are rejected.

    Raises
    ------
    MalformedFile
        When ``path`` is not a directory, a file is missing, or a file lacks its columns.

    Examples
    --------
    >>> batch = read(Path("../shared/data/atom-tracked-models"))  # doctest: +SKIP
    >>> len(batch.models)  # doctest: +SKIP
    1962
    """
    del model, benchmark
    if not path.is_dir():
        raise MalformedFile(f"{path}: expected the ATOM tracked-models directory")
    for name in FILES:
        if not (path / name).is_file():
            raise MalformedFile(f"{path}: no {name} in this directory")
    batch = ImportBatch(kind=KIND, path=str(path), sha256=_sha256(path))
    regions = _regions(path, batch)
    records: dict[str, ModelRecord] = {}
    listed: list[tuple[str, dict[str, str]]] = []
    for name in LISTS:
        rows = read_csv_rows(path / name, ["org", "model", "modelId"])
        batch.rows_read += len(rows)
        listed.extend((f"{name} row {i}", row) for i, row in enumerate(rows, 1))
    params = read_csv_rows(path / PARAMETERS, ["model_id", "total_params_b", "active_params_b",
                                                "is_moe"])  # fmt: skip
    corrections = _read_commented_csv(path / CORRECTIONS, ["model_id", "actual_release_date"])
    batch.rows_read += len(params) + len(corrections)
    hf_ids = [row["modelId"] for _, row in listed if row["modelId"]]
    hf_ids += [row["model_id"] for row in [*params, *corrections]]
    ids = _ids(hf_ids)
    for where, row in listed:
        if not row["modelId"] or "/" not in row["modelId"]:
            batch.reject(where, f"not a Hugging Face id: {row['modelId']!r}")
            continue
        records[row["modelId"]] = _record(row["modelId"], ids, regions)
    for i, row in enumerate(params, 1):
        where, hf_id = f"{PARAMETERS} row {i}", row["model_id"]
        if "/" not in hf_id:
            batch.reject(where, f"not a Hugging Face id: {hf_id!r}")
            continue
        try:
            total, active = parse_float(row["total_params_b"]), parse_float(row["active_params_b"])
            moe = parse_bool(row["is_moe"])
        except ValueError as exc:
            batch.reject(where, f"{hf_id}: {exc}")
            continue
        if any(v is not None and v < 0 for v in (total, active)):
            batch.reject(where, f"{hf_id}: negative parameter count")
            continue
        record = records.setdefault(hf_id, _record(hf_id, ids, regions))
        record.params_total_b, record.params_active_b = total, active
        if moe is not None:
            record.notes = "ATOM: MoE" if moe else "ATOM: dense"
    for i, row in enumerate(corrections, 1):
        where, hf_id = f"{CORRECTIONS} row {i}", row["model_id"]
        try:
            released = parse_date(row["actual_release_date"])
        except ValueError as exc:
            batch.reject(where, f"{hf_id}: {exc}")
            continue
        if "/" not in hf_id:
            batch.reject(where, f"not a Hugging Face id: {hf_id!r}")
            continue
        # a checkpoint with a Hugging Face created_at: published there, so open weights too
        records.setdefault(hf_id, _record(hf_id, ids, regions)).release_date = released
    batch.models = list(records.values())
    return batch


def _record(hf_id: str, ids: dict[str, str], regions: dict[str, str | None]) -> ModelRecord:
    org, name = hf_id.split("/", 1)
    return ModelRecord(
        model_id=ids[hf_id], name=name, organization=org, country=regions.get(org),
        weights="open", aliases=[hf_id],
    )  # fmt: skip


def _regions(path: Path, batch: ImportBatch) -> dict[str, str | None]:
    rows = read_csv_rows(path / REGIONS, ["hf_org", "region"])
    batch.rows_read += len(rows)
    out: dict[str, str | None] = {}
    for i, row in enumerate(rows, 1):
        region = row["region"].lower()
        if region not in REGION_COUNTRY:
            batch.reject(f"{REGIONS} row {i}", f"{row['hf_org']}: unknown region {region!r}")
            continue
        out[row["hf_org"]] = REGION_COUNTRY[region]
    return out


def _ids(hf_ids: list[str]) -> dict[str, str]:
    """Return each Hugging Face id's model id: the checkpoint name, namespaced where shared."""
    names = Counter(make_id(h.split("/", 1)[-1]) for h in dict.fromkeys(hf_ids))
    out = {}
    for hf_id in hf_ids:
        short = make_id(hf_id.split("/", 1)[-1])
        out[hf_id] = short if names[short] == 1 else make_id(hf_id)
    return out


def _read_commented_csv(file: Path, required: list[str]) -> list[dict[str, str]]:
    """Read a CSV whose leading ``#`` lines are comments (ATOM's corrections file)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"{file}: not UTF-8 text ({exc.reason})") from exc
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    reader = csv.DictReader(io.StringIO(body))
    try:
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise MalformedFile(
                f"{file}: not a valid file of this kind, missing column(s) "
                f"{', '.join(repr(m) for m in missing)}"
            )
        rows = []
        for row in reader:
            if None in row:
                raise MalformedFile(
                    f"{file}: data line {reader.line_num}: more fields than the header has"
                )
            rows.append({k: (v or "").strip() for k, v in row.items()})
    except csv.Error as exc:
        raise MalformedFile(f"{file}: not parseable as CSV ({exc})") from exc
    return rows


def _sha256(path: Path) -> str:
    """Return the digest of the five files read (not of the rest of the checkout)."""
    import hashlib

    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode() + b"\x00" + sha256_of(path / name).encode())
    return digest.hexdigest()
