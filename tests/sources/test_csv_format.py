"""opengap's own CSV format: the documented example, every check, store references."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from opengap import catalog
from opengap.errors import MalformedFile
from opengap.sources import csv_format
from opengap.sources.records import ImportBatch
from opengap.store import Store

DOC = Path(__file__).resolve().parents[2] / "docs" / "csv-format.md"

MODELS = """model_id,name,organization,country,release_date,weights,license,license_class,\
params_total_b,params_active_b,base_model,reasoning,aliases,version_of,notes,source_url
my-model-7b,My Model 7B,Example Lab,France,2025-03-01,open,apache-2.0,permissive,7.2,7.2,,false,\
MyModel-7B;my model 7b instruct,,,
Qwen/Qwen2-72B,Qwen2 72B,Alibaba,China,2024-06-07,open,qianwen,open-restricted,72.7,72.7,,,,\
qwen2,a note,https://qwenlm.github.io/blog/qwen2/
gpt-4o-2024-08-06,GPT-4o (2024-08-06),OpenAI,United States of America,2024-08-06,closed,,closed,\
,,,false,,gpt-4o,,
"""
BENCHMARKS = """benchmark_id,name,domain,chance,ceiling,n_items,public,url,aliases,release_date
gpqa-diamond,GPQA Diamond,knowledge,0.25,1,198,true,https://github.com/idavidrein/gpqa,GPQA D,\
2023-11-20
my-private-qa,My private QA,knowledge,25,100,400,false,,,
"""
SCORES = """model_id,benchmark_id,value,harness,setting,source,source_url,n_items,stderr,eval_date,\
notes
my-model-7b,gpqa-diamond,0.412,inspect,0-shot CoT,Our eval run,https://example.org/run/1,198,\
0.035,2025-03-10,
GPT-4o (2024-08-06),GPQA diamond,0.51,vendor-reported,0-shot,OpenAI,,,,,
qwen/qwen2-72b,gpqa d,0.4,,,,,,,,
my-model-7b,my-private-qa,63.5,inspect,0-shot,Our eval run,,400,2.4,2025-03-10,percent scale
"""


def _write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


@pytest.fixture
def full(tmp_path: Path) -> Path:
    return _write(tmp_path / "data", models=MODELS, benchmarks=BENCHMARKS, scores=SCORES)


def _reasons(batch: ImportBatch) -> list[tuple[str, str]]:
    return [(r.row, r.reason) for r in batch.rejected]


# ------------------------------------------------------------------ a valid directory
def test_reads_models_benchmarks_and_scores(full: Path) -> None:
    batch = csv_format.read(full)
    assert batch.rows_read == 3 + 2 + 4
    assert batch.rejected == []
    my, qwen, gpt = batch.models
    assert my.model_id == "my-model-7b"
    assert (my.release_date, my.weights, my.license_class) == (
        date(2025, 3, 1), "open", "permissive",
    )  # fmt: skip
    assert (my.params_total_b, my.reasoning) == (7.2, False)
    assert my.aliases == ["MyModel-7B", "my model 7b instruct"]
    assert qwen.model_id == "qwen/qwen2-72b"  # ids normalised like every importer's
    assert qwen.aliases == ["Qwen/Qwen2-72B"]
    assert qwen.version_of == "qwen2"
    assert qwen.notes == "a note (source: https://qwenlm.github.io/blog/qwen2/)"
    assert (gpt.weights, gpt.version_of, gpt.params_total_b) == ("closed", "gpt-4o", None)
    gpqa, private = batch.benchmarks
    assert (gpqa.domain, gpqa.chance, gpqa.ceiling, gpqa.n_items, gpqa.public) == (
        "knowledge", 0.25, 1.0, 198, True,
    )  # fmt: skip
    assert gpqa.is_fraction is True and private.is_fraction is False
    assert gpqa.release_date == date(2023, 11, 20)
    first = batch.scores[0]
    assert (first.model, first.benchmark, first.value, first.value_text) == (
        "my-model-7b", "gpqa-diamond", 0.412, "0.412",
    )  # fmt: skip
    assert (first.harness, first.setting, first.n_items, first.stderr) == (
        "inspect", "0-shot CoT", 198, 0.035,
    )  # fmt: skip
    assert first.eval_date == date(2025, 3, 10)
    assert first.row == "scores.csv:2"


def test_import_resolves_aliases_and_normalizes(full: Path, store: Store) -> None:
    result = catalog.import_path(store, "csv", full)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (9, 9, 0)
    scores = catalog.list_scores(store)
    got = {(r.model_id, r.benchmark_id): r.normalized for r in scores.itertuples()}
    assert got == {
        ("gpt-4o-2024-08-06", "gpqa-diamond"): pytest.approx((0.51 - 0.25) / 0.75),
        ("my-model-7b", "gpqa-diamond"): pytest.approx((0.412 - 0.25) / 0.75),
        ("my-model-7b", "my-private-qa"): pytest.approx((63.5 - 25) / 75),
        ("qwen/qwen2-72b", "gpqa-diamond"): pytest.approx((0.4 - 0.25) / 0.75),
    }
    assert store.resolve_model("my model 7B instruct") == "my-model-7b"
    assert store.resolve_model("Qwen/Qwen2-72B") == "qwen/qwen2-72b"


def test_scores_may_name_what_the_store_already_holds(full: Path, store: Store) -> None:
    catalog.import_path(store, "csv", full / "models.csv")
    catalog.import_path(store, "csv", full / "benchmarks.csv")
    scores = full.parent / "later"
    _write(scores, scores="model_id,benchmark_id,value\ngpt-4o (2024-08-06),GPQA Diamond,0.5\n")
    result = catalog.import_path(store, "csv", scores)
    assert result.rows_rejected == 0
    frame = catalog.list_scores(store, model="GPT-4o-2024-08-06")
    assert frame[["benchmark_id", "value"]].values.tolist() == [["gpqa-diamond", 0.5]]


def test_reimport_changes_nothing_and_edits_update_in_place(full: Path, store: Store) -> None:
    catalog.import_path(store, "csv", full)
    counts = store.counts()
    assert catalog.import_path(store, "csv", full).already_imported
    assert store.counts() == counts
    (full / "scores.csv").write_text(SCORES.replace("0.412", "0.43"))
    edited = catalog.import_path(store, "csv", full)
    assert not edited.already_imported
    assert store.counts() == {**counts, "imports": counts["imports"] + 1}
    value = catalog.list_scores(store, model="my-model-7b", benchmark="gpqa-diamond")["value"]
    assert value.tolist() == [0.43]


def test_documented_example_imports_cleanly(tmp_path: Path, store: Store) -> None:
    blocks = re.findall(r"```csv (\w+)\.csv\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert [name for name, _ in blocks] == ["models", "benchmarks", "scores"]
    folder = _write(tmp_path / "my-evals", **dict(blocks))
    result = catalog.import_path(store, "csv", folder)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (7, 7, 0)
    assert "7 rows read, 7 accepted, 0 rejected" in DOC.read_text()
    assert store.resolve_model("my model 7b instruct") == "my-model-7b"


# ------------------------------------------------------------------ single files
def test_single_file_by_name_or_header(full: Path, tmp_path: Path) -> None:
    by_name = csv_format.read(full / "models.csv")
    assert (by_name.models[0].model_id, by_name.scores) == ("my-model-7b", [])
    for text, field in (
        (MODELS, "models"), (BENCHMARKS, "benchmarks"), (SCORES, "scores"),
    ):  # fmt: skip
        other = tmp_path / f"renamed-{field}.csv"
        other.write_text(text)
        batch = csv_format.read(other)
        assert len(getattr(batch, field)) == len(text.splitlines()) - 1
        assert batch.rejected == []


def test_unrecognised_single_file(tmp_path: Path) -> None:
    other = tmp_path / "data.csv"
    other.write_text("id,score\na,1\n")
    with pytest.raises(MalformedFile, match=rf"^{other}: not an opengap CSV file"):
        csv_format.read(other)


def test_directory_without_the_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing here")
    with pytest.raises(MalformedFile) as info:
        csv_format.read(tmp_path)
    assert str(info.value) == (
        f"{tmp_path}: no models.csv, benchmarks.csv, scores.csv in this directory"
    )


# ------------------------------------------------------------------ malformed files
def test_unknown_column_is_named_with_a_suggestion(tmp_path: Path) -> None:
    folder = _write(tmp_path, models="model_id,organisation,weigths\nm,Lab,open\n")
    with pytest.raises(MalformedFile) as info:
        csv_format.read(folder)
    message = str(info.value)
    assert message.startswith(
        f"{folder / 'models.csv'}: unknown column(s) 'organisation' (did you mean "
        "'organization'?), 'weigths' (did you mean 'weights'?) for models.csv"
    )


@pytest.mark.parametrize(
    ("name", "text", "missing"),
    [
        ("scores", "model_id,benchmark_id,harness\na,b,x\n", "'value'"),
        ("scores", "model_id,value\na,0.5\n", "'benchmark_id'"),
        ("benchmarks", "name,domain\nX,math\n", "'benchmark_id'"),
        ("models", "name,weights\nX,open\n", "'model_id'"),
    ],
)
def test_missing_required_column(tmp_path: Path, name: str, text: str, missing: str) -> None:
    folder = _write(tmp_path, **{name: text})
    with pytest.raises(MalformedFile) as info:
        csv_format.read(folder)
    assert str(info.value) == (
        f"{folder / (name + '.csv')}: missing required column(s) {missing} for {name}.csv"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("model_id,name,name\na,b,c\n", "column(s) 'name' repeated"),
        ("model_id,name\na,b,c\n", "line 2: 3 fields, the header has 2"),
        ('model_id,name\na,"unclosed\nb,c\n', "line 3: not parseable as CSV (unexpected end"),
        ('model_id,name\na,"q"x\n', "line 2: not parseable as CSV (',' expected after '\"')"),
    ],
)
def test_malformed_structure(tmp_path: Path, text: str, message: str) -> None:
    folder = _write(tmp_path, models=text)
    with pytest.raises(MalformedFile, match=re.escape(message)):
        csv_format.read(folder)


def test_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "models.csv").write_bytes("model_id,name\nm,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(MalformedFile, match=r"models\.csv: not UTF-8 text"):
        csv_format.read(folder)


# ------------------------------------------------------------------ rejected rows
@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",Nameless,,,,,,,,,,,,,,", "empty model_id"),
        ("!!!,Bangs,,,,,,,,,,,,,,", "model_id '!!!' has no usable id"),
        ("m,M,,,2025-02-30,,,,,,,,,,,", "release_date '2025-02-30' is not a date YYYY-MM-DD"),
        ("m,M,,,01/02/2025,,,,,,,,,,,", "release_date '01/02/2025' is not a date YYYY-MM-DD"),
        ("m,M,,,,opne,,,,,,,,,,", "weights 'opne' is not one of open, closed"),
        ("m,M,,,,,,free,,,,,,,,", "license_class 'free' is not one of permissive, "
                                  "open-restricted, closed"),
        ("m,M,,,,,,,-7,,,,,,,", "params_total_b -7 is negative"),
        ("m,M,,,,,,,seven,,,,,,,", "params_total_b 'seven' is not a number"),
        ("m,M,,,,,,,7,8,,,,,,", "params_active_b 8 exceeds params_total_b 7"),
        ("m,M,,,,,,,,,,maybe,,,,", "reasoning 'maybe' is not true or false"),
    ],
)  # fmt: skip
def test_invalid_model_rows_are_rejected(tmp_path: Path, row: str, reason: str) -> None:
    header = MODELS.splitlines()[0]
    folder = _write(tmp_path, models=f"{header}\nok,OK,,,,,,,,,,,,,,\n{row}\n")
    batch = csv_format.read(folder)
    assert _reasons(batch) == [("models.csv:3", reason)]
    assert [m.model_id for m in batch.models] == ["ok"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("b,B,maths,,,,,", "domain 'maths' is not one of math, code, knowledge, reasoning, "
                          "agentic, language, multimodal, long-context, other"),
        ("b,B,math,0.3,,-5,,", "n_items -5 is negative"),
        ("b,B,math,,,12.5,,", "n_items '12.5' is not a whole number"),
        ("b,B,math,,,,yes,", "public 'yes' is not true or false"),
        ("b,B,math,1.2,,,,", "chance 1.2 is not below the ceiling 1"),
        ("b,B,math,50,40,,,", "chance 50 is not below the ceiling 40"),
        ("b,B,math,,0,,,", "ceiling 0 must be above 0"),
        ("b,B,math,,,,,2024-1-1", "release_date '2024-1-1' is not a date YYYY-MM-DD"),
    ],
)  # fmt: skip
def test_invalid_benchmark_rows_are_rejected(tmp_path: Path, row: str, reason: str) -> None:
    header = "benchmark_id,name,domain,chance,ceiling,n_items,public,release_date"
    batch = csv_format.read(_write(tmp_path, benchmarks=f"{header}\n{row}\n"))
    assert _reasons(batch) == [("benchmarks.csv:2", reason)]
    assert batch.benchmarks == []


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",b,0.5,,,,", "empty model_id"),
        ("m,,0.5,,,,", "empty benchmark_id"),
        ("m,b,,,,,", "empty value"),
        ("m,b,high,,,,", "value 'high' is not a number"),
        ("m,b,41.2%,,,,", "value '41.2%' is not a number"),
        ("m,b,1.2,,,,", "value 1.2 outside [0, 1] of 'b'"),
        ("m,b,-0.1,,,,", "value -0.1 outside [0, 1] of 'b'"),
        ("m,pct,101,,,,", "value 101 outside [0, 100] of 'pct'"),
        ("m,b,0.5,-3,,,", "n_items -3 is negative"),
        ("m,b,0.5,,-0.1,,", "stderr -0.1 is negative"),
        ("m,b,0.5,,,2025-13-01,", "eval_date '2025-13-01' is not a date YYYY-MM-DD"),
    ],
)
def test_invalid_score_rows_are_rejected(tmp_path: Path, row: str, reason: str) -> None:
    folder = _write(
        tmp_path,
        benchmarks="benchmark_id,ceiling\nb,\npct,100\n",
        scores=f"model_id,benchmark_id,value,n_items,stderr,eval_date,notes\n{row}\n",
    )
    assert _reasons(csv_format.read(folder)) == [("scores.csv:2", reason)]


def test_value_on_a_benchmark_with_another_ceiling(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        benchmarks="benchmark_id,aliases,ceiling\nelo-ish,Elo-ish score,2000\n",
        scores="model_id,benchmark_id,value\nm,ELO-ISH SCORE,1500\nm,elo-ish,2000.5\n",
    )
    batch = csv_format.read(folder)
    assert [s.value for s in batch.scores] == [1500.0]
    assert _reasons(batch) == [("scores.csv:3", "value 2000.5 outside [0, 2000] of 'elo-ish'")]


def test_duplicates_are_rejected(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        models="model_id,name\nm,M\nM,again\nn,N\n",
        benchmarks="benchmark_id\nb\nb\n",
        scores=(
            "model_id,benchmark_id,value,source,setting,harness\n"
            "m,b,0.5,paper,5-shot,lm-eval\n"
            "M,B,0.6,paper,5-shot,lm-eval\n"
            "m,b,0.6,paper,0-shot,lm-eval\n"
            "m,b,0.7,blog,5-shot,lm-eval\n"
        ),
    )
    batch = csv_format.read(folder)
    assert _reasons(batch) == [
        ("models.csv:3", "duplicate model_id 'm', first on line 2"),
        ("benchmarks.csv:3", "duplicate benchmark_id 'b', first on line 2"),
        ("scores.csv:3", "duplicate score of 'M' on 'B' with this source, setting and harness, "
                         "first on line 2"),
    ]  # fmt: skip
    assert [s.value for s in batch.scores] == [0.5, 0.6, 0.7]


def test_line_numbers_count_multiline_cells_and_blank_lines(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        models='model_id,notes\na,"two\nlines"\n\nb,ok\nc,\n,empty\n',
    )
    assert _reasons(csv_format.read(folder)) == [("models.csv:7", "empty model_id")]


# ------------------------------------------------------------------ checks in the store
def test_store_rejects_values_outside_a_stored_benchmarks_range(
    full: Path, store: Store, tmp_path: Path
) -> None:
    catalog.import_path(store, "csv", full)
    later = _write(
        tmp_path / "later",
        scores=(
            "model_id,benchmark_id,value,source\n"
            "my-model-7b,GPQA Diamond,1.5,again\n"
            "my-model-7b,my-private-qa,99,again\n"
            "my-model-7b,my-private-qa,100.5,again2\n"
            "nobody,gpqa-diamond,0.5,again\n"
            "my-model-7b,no-such-bench,0.5,again\n"
        ),
    )
    result = catalog.import_path(store, "csv", later)
    assert [(r.row, r.reason) for r in result.rejected] == [
        ("scores.csv:2", "value 1.5 outside [0, 1] of 'gpqa-diamond'"),
        ("scores.csv:4", "value 100.5 outside [0, 100] of 'my-private-qa'"),
        ("scores.csv:5", "unknown model 'nobody'"),
        ("scores.csv:6", "unknown benchmark 'no-such-bench'"),
    ]
    assert (result.rows_read, result.rows_accepted) == (5, 1)
