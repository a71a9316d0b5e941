"""artificial-analysis and swe-bench streamed in parts store what one whole-file batch stores.

Issue 11 (memory): both readers' ``read_parts`` stream their JSON with ijson. The reference is
each module's ``read``, which reads the file whole with Python's json module, applied as one
batch; the parts are forced small so that the real files come in many of them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from opengap import catalog, sources
from opengap.cli import app
from opengap.errors import MalformedFile
from opengap.names import make_id
from opengap.sources import artificial_analysis as aa
from opengap.sources import read_path
from opengap.sources import swe_bench as sb
from opengap.sources.records import ImportBatch
from opengap.store import Store
from opengap.store.core import ImportResult
from opengap.store.schema import TABLES

AA = "artificial-analysis-2026"
SWE = "swe-bench-leaderboards"
runner = CliRunner()


def _dump(store: Store, *, with_imports: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (sorted); import ids left out unless ``with_imports``."""
    out = {}
    for t in TABLES:
        if t == "imports" and not with_imports:
            continue
        columns = [c[0] for c in store.con.execute(f"DESCRIBE {t}").fetchall()]
        drop = " EXCLUDE (import_id)" if "import_id" in columns and not with_imports else ""
        out[t] = store.con.execute(f"SELECT *{drop} FROM {t} ORDER BY ALL").fetchall()
    return out


def _reasons(result: ImportResult) -> list[tuple[str, str]]:
    return sorted((r.row, r.reason) for r in result.rejected)


def _whole_and_streamed(
    kind: str, path: Path, tmp_path: Path, *, curated: bool = False
) -> tuple[tuple[ImportResult, dict[str, Any]], tuple[ImportResult, dict[str, Any]]]:
    """Import ``path`` as one whole-file batch and streamed; return each result and store."""
    out = []
    for name in ("whole", "streamed"):
        with Store(tmp_path / f"{name}.duckdb") as store:
            if curated:
                catalog.init_store(store, empty=True)
            if name == "whole":
                result = store.apply_batch(read_path(kind, path))
            else:
                result = catalog.import_path(store, kind, path)
            out.append((result, _dump(store)))
    return out[0], out[1]


def _parts(kind: str, path: Path) -> list[ImportBatch]:
    return list(sources.read_parts(kind, path))


# ------------------------------------------------------------------ same store as one batch
@pytest.mark.parametrize("curated", [False, True])
def test_aa_snapshots_streamed_store_what_one_batch_stores(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, curated: bool
) -> None:
    folder = shared_data / AA  # three dated snapshots: later values win, a renamed model
    monkeypatch.setattr(aa, "PART_ROWS", 500)
    parts = _parts("artificial-analysis", folder)
    whole_batch = aa.read(folder)
    assert len(parts) > (len(whole_batch.scores) + len(whole_batch.prices)) // 500
    assert all(not p.rejected and not p.rows_read for p in parts[1:])
    streamed_models = [m.model_id for p in parts for m in p.models]  # each once, merged
    assert sorted(streamed_models) == sorted(m.model_id for m in whole_batch.models)
    (whole, stored), (streamed, stored_parts) = _whole_and_streamed(
        "artificial-analysis", folder, tmp_path, curated=curated
    )
    assert stored_parts == stored
    assert (streamed.rows_read, streamed.rows_accepted, streamed.rows_rejected) == (
        whole.rows_read, whole.rows_accepted, whole.rows_rejected,
    )  # fmt: skip
    assert _reasons(streamed) == _reasons(whole)
    assert len(stored["scores"]) > 7000 and len(stored["prices"]) > 1000


@pytest.mark.parametrize("curated", [False, True])
def test_swe_bench_streamed_stores_what_one_batch_stores(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, curated: bool
) -> None:
    folder = shared_data / SWE
    monkeypatch.setattr(sb, "PART_ROWS", 1000)
    parts = _parts("swe-bench", folder)
    assert len(parts) > 12_500 // 1000  # 25 runs x 500 tasks of responses, in many parts
    (whole, stored), (streamed, stored_parts) = _whole_and_streamed(
        "swe-bench", folder, tmp_path, curated=curated
    )
    assert stored_parts == stored
    assert (streamed.rows_read, streamed.rows_accepted, streamed.rows_rejected) == (
        whole.rows_read, whole.rows_accepted, whole.rows_rejected,
    )  # fmt: skip
    assert _reasons(streamed) == _reasons(whole) and whole.rows_rejected > 100
    assert len(stored["responses"]) == 12_500 and len(stored["scores"]) > 150


def test_swe_bench_with_bash_only_last_in_the_file_reads_it_first(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bash-only is read first wherever it lies (its runs win over their Verified copies)
    data = json.loads((shared_data / SWE / "leaderboards.json").read_text())
    data["leaderboards"].reverse()
    assert data["leaderboards"][-1]["name"] == "bash-only"
    path = tmp_path / "leaderboards.json"
    path.write_text(json.dumps(data))
    monkeypatch.setattr(sb, "PART_ROWS", 700)
    (whole, stored), (streamed, stored_parts) = _whole_and_streamed("swe-bench", path, tmp_path)
    assert stored_parts == stored and _reasons(streamed) == _reasons(whole)
    assert {r[3] for r in stored["responses"]} == {"mini-swe-agent"}


# ------------------------------------------------------------------ whole-file checks stay exact
def _july(shared_data: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared_data / AA / "2026-07-10" / "llms.json").read_text())
    return data


def _write_july(tmp_path: Path, data: dict[str, Any]) -> Path:
    target = tmp_path / "2026-07-10" / "llms.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(data))
    return target


def test_aa_duplicates_in_a_later_part_are_resolved_as_in_one_batch(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _july(shared_data)
    first = data["models"][0]  # GLM-4.5V (Non-reasoning), slug glm-4-5v
    again = json.loads(json.dumps(first))  # the same AA entry listed again, another value
    again["evaluations"]["gpqa"] = 0.125
    other = json.loads(json.dumps(first))  # another entry under the same name: a name clash
    other.update(id="clash-id", slug="glm-4-5v-other")
    data["models"] += [again, other]
    path = _write_july(tmp_path, data)
    monkeypatch.setattr(aa, "PART_ROWS", 200)  # the copies land many parts after the first
    parts = _parts("artificial-analysis", path)
    assert len(parts) > 30
    (whole, stored), (streamed, stored_parts) = _whole_and_streamed(
        "artificial-analysis", path, tmp_path
    )
    assert stored_parts == stored and _reasons(streamed) == _reasons(whole)
    base = aa.model_id(first["name"])
    ids = {row[0] for row in stored["models"]}
    # the clash is seen across the whole file: both names get their slug, none the bare id
    assert base not in ids
    assert {make_id(f"{base}-glm-4-5v"), make_id(f"{base}-glm-4-5v-other")} <= ids
    gpqa = [r for r in stored["scores"] if r[1] == make_id(f"{base}-glm-4-5v")
            and r[2] == "gpqa-diamond"]  # fmt: skip
    assert [r[3] for r in gpqa] == [0.125]  # the later listing's value, kept once


def test_swe_bench_conflicting_twin_in_a_later_part_is_caught(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.loads((shared_data / SWE / "leaderboards.json").read_text())
    verified = next(b for b in data["leaderboards"] if b["name"] == "Verified")
    bash = {e["folder"] for b in data["leaderboards"] if b["name"] == "bash-only"
            for e in b["results"]}  # fmt: skip
    scored = {s.source_ref for s in sb.read(shared_data / SWE).scores}
    first = next(e for e in verified["results"]
                 if e["folder"] not in bash and f"Verified:{e['folder']}" in scored)  # fmt: skip
    twin = dict(first, resolved=first["resolved"] / 2)
    verified["results"].append(twin)
    path = tmp_path / "leaderboards.json"
    path.write_text(json.dumps(data))
    monkeypatch.setattr(sb, "PART_ROWS", 20)
    parts = _parts("swe-bench", path)
    ref = f"Verified:{first['folder']}"
    holding = [i for i, p in enumerate(parts) for s in p.scores if s.source_ref == ref]
    assert len(holding) == 2 and holding[0] < holding[1]  # the twin comes in a later part
    for name in ("whole", "streamed"):
        with Store(tmp_path / f"{name}.duckdb") as store:
            if name == "whole":
                result = store.apply_batch(read_path("swe-bench", path))
            else:
                result = catalog.import_path(store, "swe-bench", path)
            kept = store.query("SELECT value FROM scores WHERE source_ref = ?", [ref])
        value = f"{twin['resolved'] / 100:g}"
        conflicts = [r for r in result.rejected if value in r.reason]
        assert len(conflicts) == 2 and "conflicts with" in conflicts[0].reason  # both rows
        assert kept.empty, name  # neither the first nor its conflicting twin is kept


# ------------------------------------------------------------------ cut, malformed, changed
def _cut(source: Path, target: Path) -> Path:
    text = source.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text[: len(text) // 2])
    return target


@pytest.mark.parametrize(
    ("kind", "earlier", "source", "where"),
    [
        ("artificial-analysis", f"{AA}/2026-04-10", f"{AA}/2026-07-10/llms.json", "at model "),
        ("swe-bench", None, f"{SWE}/leaderboards.json", "at leaderboard "),
    ],
)
def test_a_file_cut_in_the_middle_is_one_error_and_the_store_is_unchanged(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str,
    earlier: str | None, source: str, where: str,
) -> None:  # fmt: skip
    monkeypatch.setattr(aa, "PART_ROWS", 100)
    monkeypatch.setattr(sb, "PART_ROWS", 100)
    cut = _cut(shared_data / source, tmp_path / "cut" / Path(source).parent.name / "x.json")
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["init", "--empty", "--db", str(db)]).exit_code == 0
    with Store(db) as store:
        if earlier:
            catalog.import_path(store, kind, shared_data / earlier)
        before = _dump(store, with_imports=True)
    result = runner.invoke(app, ["import", kind, str(cut), "--db", str(db)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {cut}: not valid JSON ("), lines
    assert "premature EOF" in lines[0] and where in lines[0]
    with Store(db) as store:
        assert _dump(store, with_imports=True) == before


@pytest.mark.parametrize("kind", ["artificial-analysis", "swe-bench"])
def test_a_file_changed_after_the_first_part_rolls_the_import_back(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    source = (shared_data / AA / "2026-07-10" / "llms.json" if kind == "artificial-analysis"
              else shared_data / SWE / "leaderboards.json")  # fmt: skip
    path = tmp_path / "2026-07-10" / source.name
    path.parent.mkdir()
    shutil.copyfile(source, path)
    monkeypatch.setattr(aa, "PART_ROWS", 100)
    monkeypatch.setattr(sb, "PART_ROWS", 100)

    def parts() -> Iterator[ImportBatch]:
        stream = sources.read_parts(kind, path)
        yield next(stream)  # models, benchmarks, rejections: applied before the file changes
        yield next(stream)
        _cut(source, path)
        yield from stream

    with Store(tmp_path / "s.duckdb") as store:
        catalog.init_store(store, empty=True)
        before = _dump(store, with_imports=True)
        with pytest.raises(MalformedFile, match="changed while it was read"):
            store.apply_batches(parts())
        assert _dump(store, with_imports=True) == before


def test_deep_nesting_is_refused_as_by_the_whole_file_reader(
    shared_data: Path, tmp_path: Path
) -> None:
    data = _july(shared_data)
    data["models"][300]["speed"] = json.loads("[" * 70 + "]" * 70)
    path = _write_july(tmp_path, data)
    with pytest.raises(MalformedFile, match="nested deeper than 64 levels"):
        aa.read(path)
    with pytest.raises(MalformedFile, match="nested deeper than 64 levels"):
        _parts("artificial-analysis", path)
    swe = tmp_path / "leaderboards.json"
    swe.write_text('{"leaderboards": [{"name": "Lite", "results": [' + "[" * 5000 + "]" * 5000
                   + "]}]}")  # fmt: skip
    with pytest.raises(MalformedFile, match=r"nested too deeply|nested deeper than 64"):
        sb.read(swe)
    with pytest.raises(MalformedFile, match="nested deeper than 64 levels"):
        _parts("swe-bench", swe)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m[3]["evaluations"].update(gpqa="0.5"), "model 4 .*: gpqa: not a number"),
        (lambda m: m[-1]["pricing"].update(price_1m_input_tokens=-2), "negative price"),
        (lambda m: m.append(7), "model 571: not an object but int"),
    ],
)
def test_aa_bad_values_anywhere_give_the_whole_file_readers_error(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Any,
    message: str,
) -> None:  # fmt: skip
    data = _july(shared_data)
    change(data["models"])
    path = _write_july(tmp_path, data)
    monkeypatch.setattr(aa, "PART_ROWS", 100)
    with pytest.raises(MalformedFile) as whole:
        aa.read(path)
    with pytest.raises(MalformedFile, match=message) as streamed:
        _parts("artificial-analysis", path)
    assert str(streamed.value) == str(whole.value)


def test_swe_bench_errors_come_in_the_whole_file_readers_order(
    shared_data: Path, tmp_path: Path
) -> None:
    data = json.loads((shared_data / SWE / "leaderboards.json").read_text())
    boards = {b["name"]: b["results"] for b in data["leaderboards"]}
    scored = {s.source_ref for s in sb.read(shared_data / SWE).scores}
    late = max(i for i, e in enumerate(boards["Verified"]) if f"Verified:{e['folder']}" in scored)
    boards["Lite"][-1]["resolved"] = 150  # read after bash-only, Test and Verified
    boards["Verified"][late]["per_instance_details"] = {"t": {"resolved": "yes"}}
    path = tmp_path / "leaderboards.json"
    path.write_text(json.dumps(data))
    with pytest.raises(MalformedFile) as whole:
        sb.read(path)
    with pytest.raises(MalformedFile, match=rf"Verified\[{late}\].*task 't'") as streamed:
        _parts("swe-bench", path)
    assert str(streamed.value) == str(whole.value)


# ------------------------------------------------------------------ what json reads, ijson not
def test_aa_nan_where_json_reads_it_imports_as_before(shared_data: Path, tmp_path: Path) -> None:
    data = _july(shared_data)
    data["models"][5]["speed"]["output_tokens_per_second"] = float("nan")  # written as NaN
    path = _write_july(tmp_path, data)
    assert "NaN" in path.read_text()
    assert len(_parts("artificial-analysis", path)) == 1  # read whole, as one part
    (whole, stored), (streamed, stored_parts) = _whole_and_streamed(
        "artificial-analysis", path, tmp_path
    )
    assert stored_parts == stored and streamed.rows_accepted == whole.rows_accepted == 570


def test_aa_nan_score_gives_the_whole_file_readers_error(
    shared_data: Path, tmp_path: Path
) -> None:
    data = _july(shared_data)
    data["models"][5]["evaluations"]["hle"] = float("inf")
    path = _write_july(tmp_path, data)
    with pytest.raises(MalformedFile, match="hle: not a finite number"):
        _parts("artificial-analysis", path)


def test_repeated_models_key_keeps_the_last_as_json_does(
    shared_data: Path, tmp_path: Path
) -> None:
    real = (shared_data / AA / "2026-07-10" / "llms.json").read_text()
    decoy = json.dumps([{"name": "Decoy", "release_date": "2025-01-01"}, 3])
    path = tmp_path / "2026-07-10" / "llms.json"
    path.parent.mkdir()
    path.write_text('{"models": ' + decoy + ", " + real.lstrip()[1:])
    (whole, stored), (streamed, stored_parts) = _whole_and_streamed(
        "artificial-analysis", path, tmp_path
    )
    assert stored_parts == stored and streamed.rows_read == whole.rows_read == 570


def test_bom_is_read_as_before(shared_data: Path, tmp_path: Path) -> None:
    aa_path = tmp_path / "2026-07-10" / "llms.json"
    aa_path.parent.mkdir()
    aa_path.write_bytes(b"\xef\xbb\xbf" + (shared_data / AA / "2026-07-10" / "llms.json")
                        .read_bytes())  # fmt: skip
    assert sum(p.rows_read for p in _parts("artificial-analysis", aa_path)) == 570  # streamed
    swe = tmp_path / "leaderboards.json"
    swe.write_bytes(b"\xef\xbb\xbf" + (shared_data / SWE / "leaderboards.json").read_bytes())
    with pytest.raises(MalformedFile) as whole:
        sb.read(swe)
    with pytest.raises(MalformedFile, match="BOM") as streamed:
        _parts("swe-bench", swe)
    assert str(streamed.value) == str(whole.value)
