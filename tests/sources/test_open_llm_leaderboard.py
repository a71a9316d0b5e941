"""The Open LLM Leaderboard v1 importer, on the real export and on hand-made variants."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from opengap import catalog
from opengap.errors import MalformedFile
from opengap.sources import open_llm_leaderboard as olb
from opengap.sources.records import ImportBatch
from opengap.store import Store

HEADER = [
    "name", "link", "complete", "avg", "arc", "hellaswag", "mmlu", "truthfulqa", "winogrande",
    "gsm8k", "available", "merged", "flagged", "moe", "sha", "precision", "nparams", "arch",
    "size",
]  # fmt: skip
SIX = ["arc-ai2", "gsm8k", "hellaswag", "mmlu", "truthfulqa", "winogrande"]


@pytest.fixture(scope="module")
def export(shared_data: Path) -> Path:
    return shared_data / "open-llm-leaderboard-v1" / "open-llm-leaderboard.csv"


@pytest.fixture(scope="module")
def batch(export: Path) -> ImportBatch:
    return olb.read(export)


@pytest.fixture(scope="module")
def imported(export: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("olb") / "olb.duckdb")
    catalog.import_path(store, "open-llm-leaderboard", export)
    return store


def _row(**cells: str) -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    row.update(
        name="org/Model-7B", link="https://huggingface.co/org/Model-7B", complete="True",
        arc="50.0", hellaswag="70.0", mmlu="40.0", truthfulqa="45.0", winogrande="60.0",
        gsm8k="10.0", available="True", merged="False", flagged="False", moe="False",
        precision="bfloat16", nparams="7.24B", arch="MistralForCausalLM", size="7.24",
    )  # fmt: skip
    row.update(cells)
    return row


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


# ------------------------------------------------------------------ the real export
def test_reads_every_row_of_the_export(batch: ImportBatch) -> None:
    assert batch.rows_read == 6986
    assert len(batch.models) == 6986
    assert batch.rejected == []
    # 5,133 complete rows with six scores, 1,853 incomplete rows with what they have.
    assert len(batch.scores) == 34752


def test_store_counts_after_import(imported: Store) -> None:
    counts = imported.counts()
    # 17 pairs of rows name one Hugging Face repository in two spellings (repository ids are
    # case-insensitive, e.g. facebook/opt-125m and Facebook/OPT-125M): one model each.
    assert counts["models"] == 6986 - 17
    assert counts["scores"] == 34752
    assert counts["benchmarks"] == 6
    frame = imported.query("SELECT DISTINCT benchmark_id FROM scores ORDER BY 1")
    assert list(frame["benchmark_id"]) == SIX
    result = imported.query("SELECT rows_read, rows_accepted, rows_rejected FROM imports")
    assert result.values.tolist() == [[6986, 6986, 0]]


def test_first_model_and_its_scores(imported: Store) -> None:
    model = imported.query("SELECT * FROM models WHERE model_id = '0-hero/matter-0.1-7b'")
    assert model.loc[0, "name"] == "0-hero/Matter-0.1-7B"
    assert model.loc[0, "weights"] == "open"
    assert model.loc[0, "params_total_b"] == pytest.approx(7.24)
    assert model.loc[0, "notes"] == (
        "Open LLM Leaderboard v1: arch MistralForCausalLM; precision bfloat16"
    )
    scores = imported.query(
        "SELECT * FROM scores WHERE model_id = '0-hero/matter-0.1-7b' ORDER BY benchmark_id"
    )
    assert list(scores["benchmark_id"]) == SIX
    arc = scores.iloc[0]
    assert arc["value"] == pytest.approx(0.61774744027303754)
    assert arc["value_text"] == "61.774744027303754"
    assert arc["setting"] == "25-shot"
    assert arc["harness"] == "lm-eval"
    assert arc["source"] == "Open LLM Leaderboard v1"
    assert arc["source_url"] == "https://huggingface.co/0-hero/Matter-0.1-7B"
    assert arc["source_ref"] == "0-hero/Matter-0.1-7B"
    settings = dict(zip(scores["benchmark_id"], scores["setting"], strict=True))
    assert settings == {
        "arc-ai2": "25-shot", "gsm8k": "5-shot", "hellaswag": "10-shot", "mmlu": "5-shot",
        "truthfulqa": "mc2, 0-shot", "winogrande": "5-shot",
    }  # fmt: skip


def test_normalized_uses_the_benchmarks_chance(imported: Store) -> None:
    row = imported.query(
        "SELECT value, normalized FROM scores "
        "WHERE model_id = '0-hero/matter-0.1-7b' AND benchmark_id = 'mmlu'"
    )
    value = 0.6242373141477038
    assert row.loc[0, "value"] == pytest.approx(value)
    assert row.loc[0, "normalized"] == pytest.approx((value - 0.25) / 0.75)


def test_unknown_parameter_count_is_null_and_name_size_only_noted(imported: Store) -> None:
    model = imported.query(
        "SELECT params_total_b, notes FROM models WHERE model_id = 'cloudyu/yi-34bx3-moe-90b'"
    )
    assert bool(model["params_total_b"].isna().all())
    assert "size read from the name 102.0B (not a parameter count)" in str(model.loc[0, "notes"])


def test_moe_flag_goes_to_notes(imported: Store) -> None:
    moe = imported.query("SELECT model_id FROM models WHERE notes LIKE '%; moe%'")
    assert len(moe) == 166  # rows with moe=True (Mixtral itself is not marked in the export)
    assert "abideen/monarchcoder-moe-2x7b" in set(moe["model_id"])


def test_incomplete_row_keeps_what_is_there(imported: Store) -> None:
    # EleutherAI/gpt-j-6b (complete=False) has only a GSM8K score in the export.
    scores = imported.query(
        "SELECT benchmark_id, value FROM scores WHERE source_ref = 'EleutherAI/gpt-j-6b'"
    )
    assert scores["benchmark_id"].tolist() == ["gsm8k"]
    assert scores.loc[0, "value"] == pytest.approx(0.029567854435178167)


def test_case_variants_are_one_model_with_both_scores(imported: Store) -> None:
    scores = imported.query(
        "SELECT source_ref FROM scores WHERE model_id = 'eleutherai/gpt-j-6b' ORDER BY 1"
    )
    assert sorted(set(scores["source_ref"])) == ["EleutherAI/gpt-j-6B", "EleutherAI/gpt-j-6b"]
    assert imported.resolve_model("EleutherAI/GPT-J-6B") == "eleutherai/gpt-j-6b"


# ------------------------------------------------------------------ hand-made variants
def test_parse_params() -> None:
    assert olb.parse_params("7.24B") == pytest.approx(7.24)
    assert olb.parse_params("464M") == pytest.approx(0.464)
    assert olb.parse_params("1.1T") == pytest.approx(1100.0)
    for unknown in ("error", "offline", "", "7.24"):
        assert olb.parse_params(unknown) is None


def test_bad_rows_are_rejected_and_the_rest_imported(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "lb.csv",
        [
            _row(),
            _row(name="org/over", arc="100.5"),
            _row(name="org/negative", gsm8k="-1"),
            _row(name="org/text", mmlu="n/a"),
            _row(name=""),
            _row(name="org/empty", **dict.fromkeys(("arc", "hellaswag", "mmlu"), "")
                 | dict.fromkeys(("truthfulqa", "winogrande", "gsm8k"), "")),
            _row(name="org/partial", complete="False", arc="", hellaswag=""),
        ],
    )
    batch = olb.read(path)
    assert batch.rows_read == 7
    assert [(r.row, r.reason) for r in batch.rejected] == [
        ("lb.csv:3", "org/over: arc score 100.5 outside [0, 100]"),
        ("lb.csv:4", "org/negative: gsm8k score -1 outside [0, 100]"),
        ("lb.csv:5", "org/text: mmlu score 'n/a' is not a number"),
        ("lb.csv:6", "empty model name"),
        ("lb.csv:7", "org/empty: no scores"),
    ]
    assert [m.model_id for m in batch.models] == ["org/model-7b", "org/partial"]
    partial = [s.benchmark for s in batch.scores if s.model == "org/partial"]
    assert partial == ["mmlu", "truthfulqa", "winogrande", "gsm8k"]


def test_flagged_model_is_kept_and_marked(tmp_path: Path) -> None:
    path = _write(tmp_path / "lb.csv", [_row(flagged="True", merged="True", moe="True")])
    batch = olb.read(path)
    assert batch.models[0].notes == (
        "Open LLM Leaderboard v1: arch MistralForCausalLM; precision bfloat16; merged; "
        "flagged; moe"
    )
    assert {s.trusted for s in batch.scores} == {False}
    unflagged = olb.read(_write(tmp_path / "ok.csv", [_row()]))
    assert {s.trusted for s in unflagged.scores} == {None}


def test_missing_link_falls_back_to_the_leaderboard(tmp_path: Path) -> None:
    batch = olb.read(_write(tmp_path / "lb.csv", [_row(link="")]))
    assert {s.source_url for s in batch.scores} == {olb.LEADERBOARD_URL}


def test_wrong_file_is_malformed(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("name,score\nx,1\n")
    with pytest.raises(MalformedFile) as info:
        olb.read(other)
    assert str(info.value).startswith(f"{other}: not a valid file of this kind, missing column")
    assert "'arc'" in str(info.value)


def test_binary_file_and_directory_are_malformed(tmp_path: Path) -> None:
    binary = tmp_path / "lb.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(MalformedFile, match="not UTF-8"):
        olb.read(binary)
    with pytest.raises(MalformedFile, match="is a directory"):
        olb.read(tmp_path)
