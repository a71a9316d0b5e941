"""The ``artificial-analysis`` importer on the three real snapshots of AA's llms.json payload."""

from __future__ import annotations

import doctest
import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from opengap import catalog
from opengap.cli import app
from opengap.errors import MalformedFile
from opengap.fit.config import resolve_config
from opengap.fit.selection import select
from opengap.sources import KINDS
from opengap.sources import artificial_analysis as aa
from opengap.sources.records import ImportBatch
from opengap.store import Store
from opengap.store.fits import catalogue_frames
from opengap.store.schema import TABLES

FOLDER = "artificial-analysis-2026"
DATES = ("2026-04-10", "2026-05-29", "2026-07-10")
runner = CliRunner()


def dump(store: Store) -> dict[str, str]:
    """Every table but ``imports`` as text, to compare a store before and after."""
    return {t: store.query(f"SELECT * FROM {t} ORDER BY ALL").to_csv() for t in TABLES}


def raw(shared_data: Path, day: str) -> dict[str, Any]:
    """The payload as plain JSON, read without the importer."""
    data: dict[str, Any] = json.loads((shared_data / FOLDER / day / "llms.json").read_text())
    return data


@pytest.fixture(scope="module")
def folder_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("aa") / "aa.duckdb")
    catalog.import_path(store, aa.KIND, shared_data / FOLDER, strict=True)
    return store


def score(store: Store, model_id: str, benchmark_id: str) -> tuple[float, date]:
    row = store.query(
        "SELECT value, eval_date FROM scores WHERE model_id = ? AND benchmark_id = ?",
        [model_id, benchmark_id],
    )
    assert len(row) == 1, row
    return float(row["value"][0]), pd.Timestamp(row["eval_date"][0]).date()


@pytest.mark.parametrize("day", DATES)
def test_each_snapshot_counts(shared_data: Path, day: str) -> None:
    payload = raw(shared_data, day)
    batch = aa.read(shared_data / FOLDER / day)
    entries = payload["models"]
    assert batch.rows_read == len(entries) == payload["meta"]["model_count"]
    assert len(batch.models) == len(entries)  # every entry has a name and a usable date
    assert batch.rejected == []
    expected_scores = sum(
        1 for m in entries for k in aa.EVALUATIONS if m["evaluations"].get(k) is not None
    )
    assert len(batch.scores) == expected_scores
    keys = ("price_1m_input_tokens", "price_1m_output_tokens", "price_1m_blended_3_to_1")
    given = [m for m in entries if any(m["pricing"][k] is not None for k in keys)]
    # all zero with no price class: AA does not price the model (unknown, not free)
    unpriced = [m for m in given if not any(m["pricing"][k] for k in keys)
                and m["pricing"].get("price_class") is None]  # fmt: skip
    assert len(batch.prices) == len(given) - len(unpriced)
    priced_ids = {p.model for p in batch.prices}
    assert not priced_ids & {aa.model_id(m["name"]) for m in unpriced}
    assert {s.eval_date for s in batch.scores} == {date.fromisoformat(day)}
    assert {s.harness for s in batch.scores} == {"artificial-analysis"}


def test_spot_values_of_one_entry(shared_data: Path) -> None:
    batch = aa.read(shared_data / FOLDER / "2026-07-10" / "llms.json")
    model = next(m for m in batch.models if m.name == "GLM-4.5V (Non-reasoning)")
    assert model.model_id == "glm-4.5v-non-reasoning"
    assert model.version_of == "glm-4.5v"
    assert (model.organization, model.country) == ("Z AI", "China")
    assert model.release_date == date(2025, 8, 11)
    assert (model.weights, model.license, model.license_class) == ("open", "MIT", "permissive")
    assert (model.params_total_b, model.params_active_b) == (108, 12)
    assert {"glm-4-5v", "GLM-4.5V (Non-reasoning)"} <= set(model.aliases)
    scores = {s.benchmark: s for s in batch.scores if s.model == model.model_id}
    assert scores["gpqa-diamond"].value == pytest.approx(0.572727272727273)
    assert scores["hle"].value == pytest.approx(0.0356811862835959)
    assert scores["aa-omniscience-index"].value == pytest.approx(-53.5166666666667)
    assert scores["gpqa-diamond"].source_url == "https://artificialanalysis.ai/models/glm-4-5v"
    assert "aa-coding-index" not in scores  # null in the file
    assert scores["aa-intelligence-index"].value_text is not None
    assert "estimated" in scores["aa-intelligence-index"].value_text
    price = next(p for p in batch.prices if p.model == model.model_id)
    assert (price.input_usd_per_m, price.output_usd_per_m) == (0.6, 1.8)
    assert price.blended_usd_per_m is None
    closed = next(m for m in batch.models if m.name == "GPT-5.1 (high)")
    assert (closed.weights, closed.license, closed.license_class) == ("closed", None, "closed")
    assert closed.version_of == "gpt-5.1"


def test_every_licence_name_of_the_snapshots_is_classified(shared_data: Path) -> None:
    names = {
        (m["open_weights"] or {}).get("license_name")
        for day in DATES
        for m in raw(shared_data, day)["models"]
        if (m["open_weights"] or {}).get("is_open_weights")
    }
    unmapped = {n for n in names if n and " ".join(n.lower().split()) not in aa.LICENSE_CLASSES}
    assert unmapped == {"Other"}


def test_folder_imports_oldest_first_and_keeps_what_later_snapshots_omit(
    folder_store: Store,
) -> None:
    # Claude Opus 4.5 (Reasoning): coding index 47.83 (April), 47.8254769921437 (May), null (July).
    opus = "claude-opus-4.5-reasoning"
    value, when = score(folder_store, opus, "aa-coding-index")
    assert value == pytest.approx(47.8254769921437) and when == date(2026, 5, 29)
    value, when = score(folder_store, opus, "aa-intelligence-index")  # July's value wins
    assert value == pytest.approx(40.7682906593085) and when == date(2026, 7, 10)
    value, when = score(folder_store, opus, "gpqa-diamond")  # 0.866 in April, then 0.8656...
    assert value == pytest.approx(0.865656565656566) and when == date(2026, 7, 10)
    facts = folder_store.query("SELECT reasoning FROM models WHERE model_id = ?", [opus])
    assert bool(facts["reasoning"][0]) is True  # July's payload leaves it null
    prices = folder_store.query(
        "SELECT date, input_usd_per_m, output_usd_per_m, blended_usd_per_m FROM prices "
        "WHERE model_id = ? ORDER BY date",
        [opus],
    )
    assert [str(d.date()) for d in pd.to_datetime(prices["date"])] == list(DATES)
    assert list(prices["input_usd_per_m"]) == [5, 6.25, 5]
    assert prices["blended_usd_per_m"][0] == 10 and pd.isna(prices["blended_usd_per_m"][2])


def test_later_snapshot_imported_alone_updates_in_place(shared_data: Path, store: Store) -> None:
    catalog.import_path(store, aa.KIND, shared_data / FOLDER / "2026-04-10")
    before = store.counts()
    value, when = score(store, "gpt-5.1-high", "gpqa-diamond")
    assert value == pytest.approx(0.873) and when == date(2026, 4, 10)
    catalog.import_path(store, aa.KIND, shared_data / FOLDER / "2026-05-29")
    value, when = score(store, "gpt-5.1-high", "gpqa-diamond")
    assert value == pytest.approx(0.872727272727273) and when == date(2026, 5, 29)
    after = store.counts()
    # 53 entries are new in May, and one was renamed ("Gemini 3.1 Flash-Lite Preview" ->
    # "Gemini 3.1 Flash-Lite"): a new name is a new model id.
    assert after["models"] == before["models"] + 53 + 1
    # one price row per priced model and date: 361 entries give prices, 21 of them all zero
    # with no price class (AA does not price them), so no price
    assert after["prices"] == before["prices"] + 361 - 21


def test_reimport_changes_nothing(shared_data: Path, folder_store: Store) -> None:
    before = dump(folder_store)
    again = catalog.import_path(folder_store, aa.KIND, shared_data / FOLDER)
    assert again.already_imported
    assert dump(folder_store) == before


def test_composites_are_kept_but_left_out_of_a_fit(folder_store: Store) -> None:
    flagged = folder_store.query("SELECT benchmark_id FROM benchmarks WHERE composite")
    assert set(flagged["benchmark_id"]) == {
        "aa-intelligence-index", "aa-coding-index", "aa-agentic-index", "aa-omniscience-index",
        "aa-omniscience-non-hallucination",
    }  # fmt: skip
    scores, models, benchmarks = catalogue_frames(folder_store)
    assert (scores["benchmark_id"] == "aa-intelligence-index").sum() > 500
    selection = select(scores, models, benchmarks, resolve_config("default"))
    used = set(selection.observations["benchmark_id"])
    assert "gpqa-diamond" in used and "hle" in used
    assert not used & set(flagged["benchmark_id"])
    assert selection.counts["composite_excluded"] == int(
        scores["benchmark_id"].isin(flagged["benchmark_id"]).sum()
    )
    named = resolve_config(
        "default", benchmarks=["aa-intelligence-index", "hle", "gpqa-diamond", "scicode", "aa-lcr"]
    )
    explicit = select(scores, models, benchmarks, named)
    assert "aa-intelligence-index" in set(explicit.observations["benchmark_id"])


# ----------------------------------------------------------------------- bad input
def _copy(shared_data: Path, tmp_path: Path, edit: Any = None, text: str | None = None) -> Path:
    target = tmp_path / "2026-07-10" / "llms.json"
    target.parent.mkdir()
    if text is not None:
        target.write_text(text)
        return target
    data = raw(shared_data, "2026-07-10")
    if edit is not None:
        edit(data)
    target.write_text(json.dumps(data))
    return target


def _set(path: list[Any], value: Any) -> Any:
    def edit(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "text", "message"),
    [
        (None, '{"meta": {}, "models": [{"name": "x"', "not valid JSON (premature EOF) at model 1"),
        (None, '[{"id": "v1_Semi_Private"}]', "no 'models' list"),
        (
            _set(["models", 4, "evaluations", "gpqa"], "0.5"),
            None,
            "model 5 (Mercury 2): gpqa: not a number",
        ),
        (_set(["models", 4, "evaluations", "gpqa"], 1.5), None, "gpqa: 1.5 outside [0, 1]"),
        (_set(["models", 2], "a string"), None, "model 3: not an object"),
        (_set(["models", 0, "pricing", "price_1m_input_tokens"], -1), None, "negative price"),
    ],
)
def test_bad_input_is_one_error_and_store_unchanged(
    shared_data: Path, tmp_path: Path, edit: Any, text: str | None, message: str
) -> None:
    target = _copy(shared_data, tmp_path, edit, text)
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        before = dump(store)
    result = runner.invoke(app, ["import", aa.KIND, str(target), "--db", str(db)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message in lines[0] and "llms.json" in lines[0]
    with Store(db) as store:
        assert dump(store) == before


def test_directory_without_payload(tmp_path: Path) -> None:
    with pytest.raises(MalformedFile, match=r"no llms\.json"):
        aa.read(tmp_path)


def test_unusable_entries_are_rejected_with_reasons(shared_data: Path, tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["models"][0]["name"] = ""
        data["models"][1]["release_date"] = "soon"

    batch: ImportBatch = aa.read(_copy(shared_data, tmp_path, edit))
    assert batch.rejected[0].reason == "no model name"
    assert "unparseable date 'soon'" in batch.rejected[1].reason
    assert len(batch.models) == 568


def test_snapshot_date_from_the_folder_when_meta_has_none(
    shared_data: Path, tmp_path: Path
) -> None:
    batch = aa.read(_copy(shared_data, tmp_path, _set(["meta"], {})))
    assert {s.eval_date for s in batch.scores} == {date(2026, 7, 10)}


@pytest.mark.parametrize("kind", ["artificial-analysis", "arc-prize"])
def test_kind_is_registered_and_documented(kind: str) -> None:
    assert kind in KINDS
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f"| `{kind}` |" in readme
    data_md = (Path(__file__).resolve().parents[2] / "docs" / "data.md").read_text()
    assert f"(`{kind}`)" in data_md
    shown = runner.invoke(app, ["import", "--help"], terminal_width=200)
    assert kind in " ".join(shown.output.split())


def test_docstring_examples() -> None:
    result = doctest.testmod(aa, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 2 and result.failed == 0


def _entry(payload: dict[str, Any], uid: str) -> dict[str, Any]:
    return next(m for m in payload["models"] if m.get("id") == uid)


@pytest.mark.parametrize("curated", [False, True])
def test_a_model_renamed_between_snapshots_is_one_model_and_the_later_snapshot_wins(
    shared_data: Path, tmp_path: Path, curated: bool
) -> None:
    # Issue 14: AA renamed "Gemini 3.1 Flash-Lite Preview" (April) to "Gemini 3.1 Flash-Lite"
    # (May, July) under the same AA id; its 17 scores were rejected as conflicting with
    # themselves where the registry knows both names, and split in two models where not.
    april, july = raw(shared_data, DATES[0]), raw(shared_data, DATES[-1])
    uid = next(m["id"] for m in april["models"] if m["name"] == "Gemini 3.1 Flash-Lite Preview")
    assert _entry(july, uid)["name"] == "Gemini 3.1 Flash-Lite"
    store = Store(tmp_path / "aa.duckdb")
    if curated:
        catalog.init_store(store, empty=True)
    result = catalog.import_path(store, aa.KIND, shared_data / FOLDER, strict=True)
    assert result.rows_rejected == 0
    old, new = store.resolve_model("Gemini 3.1 Flash-Lite Preview"), store.resolve_model(
        "Gemini 3.1 Flash-Lite"
    )
    assert old == new
    name = store.query("SELECT name FROM models WHERE model_id = ?", [new])["name"][0]
    assert name == "Gemini 3.1 Flash-Lite"
    rows = store.query(
        "SELECT value, eval_date FROM scores WHERE model_id = ? AND benchmark_id = 'gpqa-diamond' "
        "AND source = 'Artificial Analysis'",
        [new],
    )
    assert len(rows) == 1
    assert float(rows["value"][0]) == pytest.approx(_entry(july, uid)["evaluations"]["gpqa"])
    assert float(rows["value"][0]) != pytest.approx(_entry(april, uid)["evaluations"]["gpqa"])
    assert pd.Timestamp(rows["eval_date"][0]).date() == date(2026, 7, 10)
    store.close()
