"""The registry importers (``atom-models``, ``helm-models``) on the real files and broken copies."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from opengap import catalog
from opengap.cli import app
from opengap.sources import atom_models, helm_models
from opengap.sources.records import ImportBatch
from opengap.store import Store
from opengap.store.schema import TABLES

ATOM = "atom-tracked-models"
HELM = "helm-model-metadata"
runner = CliRunner()


def _dump(store: Store) -> dict[str, str]:
    return {t: store.query(f"SELECT * FROM {t} ORDER BY ALL").to_csv() for t in TABLES}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@pytest.fixture(scope="module")
def atom(shared_data: Path) -> ImportBatch:
    return atom_models.read(shared_data / ATOM)


@pytest.fixture(scope="module")
def helm(shared_data: Path) -> ImportBatch:
    return helm_models.read(shared_data / HELM)


# ------------------------------------------------------------------ atom-models
def test_atom_reads_every_tracked_checkpoint_as_open(atom: ImportBatch, shared_data: Path) -> None:
    listed = {r["modelId"] for f in atom_models.LISTS for r in _csv(shared_data / ATOM / f)}
    by_hf = {m.aliases[0]: m for m in atom.models}
    assert listed <= set(by_hf)
    assert {m.weights for m in atom.models} == {"open"}
    assert atom.rejected == [] and atom.scores == []
    assert len({m.model_id for m in atom.models}) == len(atom.models)


def test_atom_regions_give_a_country_only_where_they_name_one(
    atom: ImportBatch, shared_data: Path
) -> None:
    regions = {r["hf_org"]: r["region"] for r in _csv(shared_data / ATOM / atom_models.REGIONS)}
    expected = {"us": "United States", "china": "China", "eu": None, "other": None,
                "unknown": None}  # fmt: skip
    for m in atom.models:
        assert m.country == expected[regions[m.organization or ""]], m.aliases


def test_atom_parameters_and_moe_and_release_corrections(atom: ImportBatch) -> None:
    by_hf = {m.aliases[0]: m for m in atom.models}
    r1 = by_hf["deepseek-ai/DeepSeek-R1-0528"]  # model_parameters.csv: 671,37,true
    assert (r1.params_total_b, r1.params_active_b, r1.notes) == (671.0, 37.0, "ATOM: MoE")
    coder = by_hf["Qwen/Qwen3-Coder-480B-A35B-Instruct"]  # 480,35,true
    assert (coder.params_total_b, coder.params_active_b) == (480.0, 35.0)
    m21 = by_hf["MiniMaxAI/MiniMax-M2.1"]  # corrections: created 2025-12-20, released 12-23
    assert m21.release_date == date(2025, 12, 23)
    assert by_hf["openai/gpt-oss-120b"].release_date == date(2025, 8, 5)  # created 08-04
    assert by_hf["openai/gpt-oss-120b"].params_total_b is None  # not in model_parameters.csv
    assert by_hf["deepseek-ai/DeepSeek-R1"].release_date is None  # no correction: unknown


def test_atom_shared_checkpoint_names_keep_their_namespace(atom: ImportBatch) -> None:
    ids = {m.aliases[0]: m.model_id for m in atom.models}
    shared = "Mistral-7B-Instruct-v0.3"
    assert ids[f"mistralai/{shared}"] != ids[f"mistral-community/{shared}"]
    assert ids["openai/gpt-oss-120b"] == "gpt-oss-120b"


def test_atom_joins_the_curated_models_and_reimports_change_nothing(
    tmp_path: Path, shared_data: Path
) -> None:
    with Store(tmp_path / "a.duckdb") as store:
        catalog.init_store(store, empty=True)
        catalog.import_path(store, "atom-models", shared_data / ATOM)
        row = store.con.execute(
            "SELECT weights, country, params_total_b FROM models WHERE model_id = 'gpt-oss-120b'"
        ).fetchall()
        assert row == [("open", "United States", 117.0)]  # ATOM gives no size: curated 117
        sources = store.con.execute(
            "SELECT source FROM model_facts WHERE model_id = 'qwen3-coder-480b-a35b' "
            "AND field = 'params_total_b' ORDER BY source"
        ).fetchall()
        assert sources == [("atom-models",), ("curated",)]
        before = _dump(store)
        again = catalog.import_path(store, "atom-models", shared_data / ATOM)
        assert again.already_imported and _dump(store) == before


# ------------------------------------------------------------------ helm-models
def test_helm_reads_every_model_and_maps_access(helm: ImportBatch, shared_data: Path) -> None:
    raw = yaml.safe_load((shared_data / HELM / "model_metadata.yaml").read_text())["models"]
    assert len(helm.models) == len(raw) and helm.rejected == []
    access = {m["name"]: m["access"] for m in raw}
    expected = {"open": "open", "limited": "closed", "closed": "closed"}
    for m in helm.models:
        assert m.weights == expected[access[m.aliases[0]]], m.aliases[0]


def test_helm_facts(helm: ImportBatch) -> None:
    by_name = {m.aliases[0]: m for m in helm.models}
    j1 = by_name["ai21/j1-jumbo"]  # J1-Jumbo v1 (178B), AI21 Labs, limited, 178e9, 2021-08-11
    assert (j1.model_id, j1.organization, j1.weights, j1.license_class) == (
        "j1-jumbo", "AI21 Labs", "closed", "closed",
    )
    assert (j1.params_total_b, j1.release_date) == (178.0, date(2021, 8, 11))
    assert "J1-Jumbo v1" in j1.aliases  # the display name without its size
    oss = by_name["openai/gpt-oss-120b"]
    assert (oss.model_id, oss.weights, oss.license_class) == ("gpt-oss-120b", "open", None)


def test_helm_import_is_idempotent(tmp_path: Path, shared_data: Path) -> None:
    with Store(tmp_path / "h.duckdb") as store:
        first = catalog.import_path(store, "helm-models", shared_data / HELM)
        before = _dump(store)
        again = catalog.import_path(store, "helm-models", shared_data / HELM)
        assert not first.already_imported and again.already_imported
        assert _dump(store) == before


# ------------------------------------------------------------------ bad input
def _broken_atom(shared_data: Path, tmp_path: Path, name: str, text: str | None) -> Path:
    folder = tmp_path / "atom"
    shutil.copytree(shared_data / ATOM, folder, ignore=shutil.ignore_patterns(".git"))
    if text is None:
        (folder / name).unlink()
    else:
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("kind", "make", "message"),
    [
        ("atom-models", lambda d, t: _broken_atom(d, t, "metadata/model_parameters.csv", None),
         "no metadata/model_parameters.csv"),
        ("atom-models", lambda d, t: _broken_atom(d, t, "models.csv", "org,name\na,b\n"),
         "missing column"),
        ("atom-models",
         lambda d, t: _broken_atom(d, t, "models.csv", "org,model,modelId\na,b,c,d\n"),
         "a long row"),
        ("helm-models", lambda d, t: _write(t / "m.yaml", "models: [unclosed"), "not parseable"),
        ("helm-models", lambda d, t: _write(t / "m.yaml", "- a\n- b\n"), "no 'models:' list"),
        ("helm-models", lambda d, t: _write(t / "m.yaml", b"\xff\xfe"), "not UTF-8"),
    ],
)
def test_bad_input_is_one_error_line_and_the_store_is_unchanged(
    tmp_path: Path, shared_data: Path, kind: str, make: object, message: str
) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        catalog.init_store(store, empty=True)
        before = _dump(store)
    target = make(shared_data, tmp_path)  # type: ignore[operator]
    result = runner.invoke(app, ["import", kind, str(target), "--db", str(db)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    with Store(db) as store:
        assert _dump(store) == before


def test_rows_that_cannot_be_used_are_rejected_with_reasons(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.yaml", yaml.safe_dump({"models": [
        {"name": "a/ok", "access": "open"},
        {"display_name": "no name", "access": "open"},
        {"name": "b/odd", "access": "sometimes"},
        {"name": "c/bad-size", "access": "open", "num_parameters": -5},
        {"name": "d/bad-date", "access": "open", "release_date": "soon"},
    ]}))
    batch = helm_models.read(path)
    assert [m.model_id for m in batch.models] == ["ok"]
    assert [r.reason for r in batch.rejected] == [
        "no name", "b/odd: unknown access 'sometimes'",
        "c/bad-size: num_parameters out of range: -5", "d/bad-date: unparseable date 'soon'",
    ]


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path
