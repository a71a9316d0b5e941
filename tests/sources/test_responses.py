"""The long-format responses importer (kind ``responses``): streamed in parts, strict, exact.

The real per-item results are lm-evaluation-harness samples in ../shared/data (pythia-14m on
metabench's Winogrande and TruthfulQA subsets); the tests write them out as a responses file,
with the expected values taken from the JSON lines directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opengap import catalog
from opengap.errors import MalformedFile
from opengap.sources import responses
from opengap.store import Store
from opengap.store.schema import TABLES

SAMPLES = "lm-eval-samples"
MODEL = "EleutherAI/pythia-14m"  # an alias of the model the lm-eval import registers
HEADER = "model,benchmark,item,score,harness\n"
PLAIN = "model,benchmark,item,score\n"


def dump(store: Store) -> dict[str, str]:
    """Every table's content as text (an import's time left out), to compare two stores."""
    tables = {t: store.query(f"SELECT * FROM {t} ORDER BY ALL").to_csv() for t in TABLES}
    tables["imports"] = store.query(
        "SELECT * EXCLUDE (imported_at) FROM imports ORDER BY ALL"
    ).to_csv()
    return tables


def real_items(shared_data: Path) -> list[tuple[str, str, float]]:
    """(task, doc_id, acc) of every real sample, read straight from the JSON lines."""
    items = []
    for file in sorted((shared_data / SAMPLES).rglob("samples_*.jsonl")):
        task = file.name.removeprefix("samples_").rsplit("_", 1)[0]
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                items.append((task, str(record["doc_id"]), float(record["acc"])))
    return items


def write_real(shared_data: Path, path: Path, *, repeat_every: int = 0) -> int:
    """Write the real samples as a responses file (each ``repeat_every``-th row written twice,
    an exact duplicate, further down); return the number of rows written."""
    items = real_items(shared_data)
    rows = [f"{MODEL},{task},{item},{score:g},rerun\n" for task, item, score in items]
    if repeat_every:
        rows += rows[::repeat_every]
    path.write_text(HEADER + "".join(rows))
    return len(rows)


def known_store(path: Path, shared_data: Path) -> Store:
    """A store that knows the real model and its two benchmarks (the lm-eval import)."""
    store = Store(path)
    catalog.import_path(store, "lm-eval", shared_data / SAMPLES)
    return store


def synthetic(path: Path, n: int, *, extra: str = "") -> Path:
    """Write ``n`` rows of model m<k % 3>, benchmark quiz, item q<k>, score k % 2, then
    ``extra`` (raw CSV lines)."""
    rows = "".join(f"m{k % 3},quiz,q{k},{k % 2},\n" for k in range(n))
    path.write_text(HEADER + rows + extra)
    return path


def quiz_store(path: Path, tmp_path: Path) -> Store:
    """A store that knows models m0..m2 and the benchmark quiz."""
    folder = tmp_path / "catalogue"
    folder.mkdir(exist_ok=True)
    (folder / "models.csv").write_text("model_id,name,weights\nm0,M0,open\nm1,M1,open\n"
                                       "m2,M2,closed\n")  # fmt: skip
    (folder / "benchmarks.csv").write_text(
        "benchmark_id,name,domain,chance,ceiling\nquiz,Quiz,knowledge,0,1\n"
    )
    store = Store(path)
    catalog.import_path(store, "csv", folder)
    return store


def refused(store: Store, path: Path, **options: str) -> str:
    """Import ``path`` expecting a refusal; return the message, asserting nothing changed."""
    before = dump(store)
    with pytest.raises(MalformedFile) as info:
        catalog.import_path(store, "responses", path, **options)  # type: ignore[arg-type]
    assert dump(store) == before
    return str(info.value)


# ------------------------------------------------------------------------------ real samples
def test_real_samples_read_as_their_json_lines_say(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "responses.csv"
    written = write_real(shared_data, path)
    batch = responses.read(path)
    expected = [(MODEL, task, item, score, "rerun") for task, item, score in
                real_items(shared_data)]  # fmt: skip
    got = [(r.model, r.benchmark, r.item_id, r.score, r.harness) for r in batch.responses]
    assert written == len(expected) == 242
    assert got == expected
    assert batch.rows_read == 242


def test_parts_store_exactly_what_one_batch_does(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "responses.csv"
    written = write_real(shared_data, path, repeat_every=5)  # 49 exact duplicates further down
    with known_store(tmp_path / "whole.duckdb", shared_data) as store:
        whole_result = catalog.import_path(store, "responses", path)
        whole = dump(store)
    monkeypatch.setattr(responses, "PART_ROWS", 7)
    parts = list(responses.read_parts(path))
    assert len(parts) == 1 + -(-written // 7)  # the empty first part, then 7 rows a part
    assert all(len(p.responses) <= 7 for p in parts) and not parts[0].responses
    with known_store(tmp_path / "parts.duckdb", shared_data) as store:
        parts_result = catalog.import_path(store, "responses", path)
        streamed = dump(store)
        stored = store.query("SELECT item_id, score FROM responses WHERE harness = 'rerun' "
                             "AND benchmark_id = 'metabench_winogrande_secondary'")  # fmt: skip
    assert streamed == whole
    assert (parts_result.rows_read, parts_result.rows_accepted) == (written, written)
    assert (whole_result.rows_read, whole_result.rows_accepted) == (written, written)
    truth = {item: score for task, item, score in real_items(shared_data) if "winogrande" in task}
    assert dict(zip(stored["item_id"], stored["score"], strict=True)) == truth


def test_a_conflicting_duplicate_in_a_later_part_names_its_row(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = real_items(shared_data)
    task, item, score = items[2]
    path = tmp_path / "responses.csv"
    rows = [f"{MODEL},{t},{i},{s:g},rerun\n" for t, i, s in items]
    rows.append(f"{MODEL},{task},{item},{1 - score:g},rerun\n")  # row 244, part 25 of 7-row parts
    path.write_text(HEADER + "".join(rows))
    monkeypatch.setattr(responses, "PART_ROWS", 7)
    with known_store(tmp_path / "s.duckdb", shared_data) as store:
        message = refused(store, path)
    assert message == (f"{path}: row 244: item {item!r} of {task!r} answered twice by "
                       f"{MODEL!r} with different scores")  # fmt: skip


# ------------------------------------------------------------------------------ synthetic
def test_an_exact_duplicate_in_a_later_part_counts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(responses, "PART_ROWS", 4)
    path = synthetic(tmp_path / "r.csv", 10, extra="m1,quiz,q1,1,\nm0,quiz,q0,0,\n")
    parts = list(responses.read_parts(path))
    assert [len(p.responses) for p in parts] == [0, 4, 4, 2]  # rows 12 and 13 count once
    with quiz_store(tmp_path / "s.duckdb", tmp_path) as store:
        result = catalog.import_path(store, "responses", path)
        stored = store.query("SELECT model_id, item_id, score FROM responses ORDER BY item_id")
    assert (result.rows_read, result.rows_rejected) == (12, 0)
    assert stored["item_id"].tolist() == sorted(f"q{k}" for k in range(10))
    assert stored["score"].tolist() == [k % 2 for k in sorted(range(10), key=lambda k: f"q{k}")]


def test_the_same_item_under_two_harnesses_is_two_responses(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "m0,quiz,q0,1,a\nm0,quiz,q0,0,b\nm0,quiz,q0,1,a\n")
    batch = responses.read(path)
    assert [(r.harness, r.score) for r in batch.responses] == [("a", 1.0), ("b", 0.0)]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("m0,quiz,q99\n", "line 12: a short (or cut) row of 3 field(s), the header has 5"),
        ("m0,quiz,q99,1,,x\n", "line 12: a long row of 6 field(s), the header has 5"),
        ('m0,quiz,"q99,1,\n', "line 12: not parseable as CSV (unexpected end of data)"),
    ],
)
def test_a_cut_short_or_long_row_in_a_later_part_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, problem: str
) -> None:
    monkeypatch.setattr(responses, "PART_ROWS", 3)
    path = synthetic(tmp_path / "r.csv", 10, extra=extra)
    with quiz_store(tmp_path / "s.duckdb", tmp_path) as store:
        message = refused(store, path)
    assert message == f"{path}: {problem}"


def test_a_repeated_header_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("model,benchmark,item,score,score\nm0,quiz,q0,1,0\n")
    with quiz_store(tmp_path / "s.duckdb", tmp_path) as store:
        message = refused(store, path)
    assert message == f"{path}: column(s) 'score' repeated in the header"


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        (PLAIN + "m0,quiz,,1\n", {}, "row 2: empty model, benchmark or item"),
        (PLAIN + "m0,quiz,q0,1\n ,quiz,q1,1\n", {},
         "row 3: empty model, benchmark or item"),
        (PLAIN + "m0,quiz,q0,yes\n", {}, "row 2: score 'yes' is not a number"),
        (PLAIN + "m0,quiz,q0,1.5\n", {}, "row 2: score '1.5' is outside [0, 1]"),
        (PLAIN + "m0,quiz,q0,nan\n", {}, "row 2: score 'nan' is outside [0, 1]"),
        ("model,item,score\nm0,q0,1\n", {},
         "not a responses file, missing column(s) 'benchmark'"),
        ("item,score\nq0,1\n", {"benchmark": "quiz"},
         "not a responses file, missing column(s) 'model'"),
        ("item\nq0\n", {"model": "m0", "benchmark": "quiz"},
         "not a responses file, missing column(s) 'score'"),
        ("", {}, "empty file, expected a CSV header"),
    ],
)
def test_bad_rows_are_refused_with_file_and_row(
    tmp_path: Path, text: str, options: dict[str, str], message: str
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(text)
    with quiz_store(tmp_path / "s.duckdb", tmp_path) as store:
        assert refused(store, path, **options) == f"{path}: {message}"


def test_the_first_fault_in_file_order_is_the_one_named(tmp_path: Path) -> None:
    # a conflicting duplicate (row 3) comes before a bad score (row 4), as in one pass
    path = tmp_path / "r.csv"
    path.write_text("model,benchmark,item,score\nm0,quiz,q0,1\nm0,quiz,q0,0\nm0,quiz,q1,2\n")
    with pytest.raises(MalformedFile, match="row 3: item 'q0' of 'quiz' answered twice"):
        responses.read(path)


def test_overrides_name_every_row(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("model,item,score\nignored,q0,1\nignored,q1,0.25\n")
    with quiz_store(tmp_path / "s.duckdb", tmp_path) as store:
        result = catalog.import_path(store, "responses", path, model="M1", benchmark="Quiz")
        stored = store.query("SELECT model_id, benchmark_id, item_id, score FROM responses "
                             "ORDER BY item_id").values.tolist()  # fmt: skip
    assert result.rows_accepted == 2
    assert stored == [["m1", "quiz", "q0", 1.0], ["m1", "quiz", "q1", 0.25]]


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(MalformedFile) as info:
        responses.read(tmp_path)
    assert str(info.value) == (
        f"{tmp_path}: not a file (expected a CSV or Parquet file of responses)"
    )


def test_content_imported_before_is_recognised_without_reading_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = synthetic(tmp_path / "r.csv", 6)
    with quiz_store(tmp_path / "s.duckdb", tmp_path) as store:
        first = catalog.import_path(store, "responses", path)

        def unread(*args: object) -> None:
            raise AssertionError("the rows were read again")

        monkeypatch.setattr(responses, "_rows", unread)
        again = catalog.import_path(store, "responses", path)
    assert again.already_imported and again.import_id == first.import_id


# ------------------------------------------------------------------------------ collisions
def test_a_hash_collision_never_refuses_or_merges_a_good_file(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "responses.csv"
    written = write_real(shared_data, path, repeat_every=3)
    with known_store(tmp_path / "honest.duckdb", shared_data) as store:
        catalog.import_path(store, "responses", path)
        honest = dump(store)
    monkeypatch.setattr(responses, "_key_hash", lambda key: 42)  # every row collides
    monkeypatch.setattr(responses, "PART_ROWS", 10)
    batch = responses.read(path)
    expected = [(task, item, score) for task, item, score in real_items(shared_data)]
    assert [(r.benchmark, r.item_id, r.score) for r in batch.responses] == expected
    assert batch.rows_read == written
    with known_store(tmp_path / "colliding.duckdb", shared_data) as store:
        catalog.import_path(store, "responses", path)
        assert dump(store) == honest


def test_a_hash_collision_still_catches_a_conflicting_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(responses, "_key_hash", lambda key: 7)
    monkeypatch.setattr(responses, "PART_ROWS", 4)
    path = synthetic(tmp_path / "r.csv", 9, extra="m2,quiz,q5,0,\n")  # q5 was scored 1 (row 7)
    with pytest.raises(MalformedFile) as info:
        responses.read(path)
    assert str(info.value) == (
        f"{path}: row 11: item 'q5' of 'quiz' answered twice by 'm2' with different scores"
    )


# ------------------------------------------------------------------------------ parquet
def test_parquet_is_streamed_in_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.parquet"
    table = pa.table({
        "model": [f"m{k % 3}" for k in range(25)] + ["m0"],
        "benchmark": ["quiz"] * 26,
        "item": [f"q{k}" for k in range(25)] + ["q0"],
        "score": [k / 24 for k in range(25)] + [0.0],
        "notes": ["not read"] * 26,
    })  # fmt: skip
    pq.write_table(table, path, row_group_size=6)
    monkeypatch.setattr(responses, "PART_ROWS", 5)
    parts = list(responses.read_parts(path))
    got = [(r.model, r.item_id, r.score, r.harness) for p in parts for r in p.responses]
    assert got == [(f"m{k % 3}", f"q{k}", k / 24, "") for k in range(25)]
    assert sum(p.rows_read for p in parts) == 26 and max(p.rows_read for p in parts) == 5


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (pa.array([0.5, None]), "row 3: score None is not a number"),
        (pa.array([0.5, 1.5]), "row 3: score 1.5 is outside [0, 1]"),
    ],
)
def test_bad_parquet_scores_are_refused(tmp_path: Path, column: pa.Array, message: str) -> None:
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"model": ["m0", "m0"], "benchmark": ["quiz", "quiz"],
                             "item": ["q0", "q1"], "score": column}), path)  # fmt: skip
    with quiz_store(tmp_path / "s.duckdb", tmp_path) as store:
        assert refused(store, path) == f"{path}: {message}"


def test_a_file_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    path.write_text("model,benchmark,item,score\nm0,quiz,q0,1\n")
    with pytest.raises(MalformedFile, match=r"not a readable CSV or Parquet file \("):
        responses.read(path)


def test_keys_that_join_to_the_same_text_are_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(responses, "_key_hash", lambda key: 0)
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "a,bc,q,1,\nab,c,q,0,\na,b,cq,0,\na,bc,q,1,\n")
    got = [(r.model, r.benchmark, r.item_id, r.score) for r in responses.read(path).responses]
    assert got == [("a", "bc", "q", 1.0), ("ab", "c", "q", 0.0), ("a", "b", "cq", 0.0)]
