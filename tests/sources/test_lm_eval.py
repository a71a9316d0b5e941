"""The lm-evaluation-harness importer: real samples files and hand-made results files."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from opengap import catalog
from opengap.errors import BadArgument, MalformedFile
from opengap.sources import lm_eval
from opengap.store import Store

MODEL_DIR = "EleutherAI__pythia-14m"
STAMP = "2024-11-26T10-50-23.349203"
WINOGRANDE = f"samples_metabench_winogrande_secondary_{STAMP}.jsonl"
TRUTHFULQA = f"samples_metabench_truthfulqa_secondary_{STAMP}.jsonl"


@pytest.fixture(scope="module")
def samples(shared_data: Path) -> Path:
    return shared_data / "lm-eval-samples"


def _accs(path: Path) -> list[float]:
    """The per-item ``acc`` of a samples file, read directly."""
    return [float(json.loads(line)["acc"]) for line in path.read_text().splitlines()]


def _results(tmp: Path, results: dict[str, Any], **extra: Any) -> Path:
    """Write a results file shaped like lm-eval 0.4's output, in the harness layout."""
    folder = tmp / "out" / "EleutherAI__pythia-160m"
    folder.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "results": results,
        "group_subtasks": {task: [] for task in results},
        "configs": {task: {"task": task, "num_fewshot": 0} for task in results},
        "versions": dict.fromkeys(results, 1.0),
        "n-shot": dict.fromkeys(results, 0),
        "higher_is_better": {task: {"acc": True} for task in results},
        "n-samples": {task: {"original": 1172, "effective": 1172} for task in results},
        "config": {
            "model": "hf",
            "model_args": "pretrained=EleutherAI/pythia-160m,dtype=float32",
            "batch_size": "auto",
            "device": "cuda:0",
        },
        "git_hash": "a1b2c3d",
        "date": 1732618223.3492,
        "model_name": "EleutherAI/pythia-160m",
    }
    data.update(extra)
    path = folder / "results_2024-11-26T10-50-23.349203.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def _samples_file(tmp: Path, lines: list[dict[str, Any]], task: str = "my_task") -> Path:
    folder = tmp / "org__model"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"samples_{task}_{STAMP}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


# ------------------------------------------------------------------ real samples files
def test_real_samples_become_item_responses(samples: Path) -> None:
    batch = lm_eval.read(samples)
    by_task: dict[str, int] = {}
    for response in batch.responses:
        by_task[response.benchmark] = by_task.get(response.benchmark, 0) + 1
    assert by_task == {"metabench_winogrande_secondary": 106, "metabench_truthfulqa_secondary": 136}
    assert {r.model for r in batch.responses} == {"eleutherai/pythia-14m"}
    assert [m.model_id for m in batch.models] == ["eleutherai/pythia-14m"]
    assert batch.models[0].name == "EleutherAI/pythia-14m"
    assert sorted(b.benchmark_id for b in batch.benchmarks) == [
        "metabench_truthfulqa_secondary", "metabench_winogrande_secondary",
    ]  # fmt: skip
    assert {b.name for b in batch.benchmarks} == {
        "metabench_truthfulqa_secondary", "metabench_winogrande_secondary",
    }  # fmt: skip
    assert batch.rejected == []
    assert batch.rows_read == 106 + 136 + 2  # every item, and each file's mean


@pytest.mark.parametrize(
    ("file", "task", "n"),
    [
        (WINOGRANDE, "metabench_winogrande_secondary", 106),
        (TRUTHFULQA, "metabench_truthfulqa_secondary", 136),
    ],
)
def test_mean_score_matches_the_file(samples: Path, file: str, task: str, n: int) -> None:
    path = samples / MODEL_DIR / file
    accs = _accs(path)
    assert len(accs) == n
    batch = lm_eval.read(path)
    (score,) = batch.scores
    mean = sum(accs) / n
    assert score.benchmark == task
    assert score.value == pytest.approx(mean)
    assert score.n_items == n
    assert score.stderr == pytest.approx(math.sqrt(mean * (1 - mean) / n))
    assert score.harness == "lm-eval"
    assert score.source == "lm-evaluation-harness samples"
    assert score.eval_date is not None and score.eval_date.isoformat() == "2024-11-26"
    items = {r.item_id: r.score for r in batch.responses}
    assert len(items) == n
    first = json.loads(path.read_text().splitlines()[0])
    assert items[str(first["doc_id"])] == first["acc"]


def test_winogrande_mean_is_the_published_value(samples: Path) -> None:
    (score,) = lm_eval.read(samples / MODEL_DIR / WINOGRANDE).scores
    assert score.value == pytest.approx(55 / 106)


def test_import_into_store_and_reimport_is_idempotent(samples: Path, store: Store) -> None:
    first = catalog.import_path(store, "lm-eval", samples)
    assert (first.rows_read, first.rows_accepted, first.rows_rejected) == (244, 244, 0)
    counts = store.counts()
    assert counts["responses"] == 242
    assert counts["scores"] == 2
    assert counts["models"] == 1
    assert counts["benchmarks"] == 2
    means = store.query(
        "SELECT s.benchmark_id, s.value, avg(r.score) AS mean FROM scores s "
        "JOIN responses r USING (model_id, benchmark_id) GROUP BY ALL"
    )
    assert means["value"].tolist() == pytest.approx(means["mean"].tolist())
    again = catalog.import_path(store, "lm-eval", samples)
    assert again.already_imported
    assert store.counts() == counts
    # The same run read from the single file rather than the directory: same rows, in place.
    catalog.import_path(store, "lm-eval", samples / MODEL_DIR / WINOGRANDE)
    assert {k: v for k, v in store.counts().items() if k != "imports"} == {
        k: v for k, v in counts.items() if k != "imports"
    }


def test_model_and_benchmark_overrides_resolve_through_the_store(
    samples: Path, store: Store, tmp_path: Path
) -> None:
    (tmp_path / "models.csv").write_text("model_id,name\npythia-14m-deduped,Pythia 14M (dedup)\n")
    (tmp_path / "benchmarks.csv").write_text("benchmark_id,name\nmeta-wino,Metabench Wino\n")
    catalog.import_path(store, "csv", tmp_path)
    result = catalog.import_path(
        store, "lm-eval", samples / MODEL_DIR / WINOGRANDE,
        model="pythia 14m (DEDUP)", benchmark="Metabench Wino",
    )  # fmt: skip
    assert result.rows_rejected == 0
    frame = store.query("SELECT DISTINCT model_id, benchmark_id FROM responses")
    assert frame.values.tolist() == [["pythia-14m-deduped", "meta-wino"]]
    assert store.counts()["models"] == 1  # --model names a model; it does not create one


def test_overrides_refuse_output_about_several_tasks_or_models(
    samples: Path, tmp_path: Path
) -> None:
    with pytest.raises(BadArgument) as info:
        lm_eval.read(samples, benchmark="winogrande")
    assert str(info.value) == (
        f"{samples}: --benchmark names one, but this output is about 2 tasks "
        "(metabench_truthfulqa_secondary, metabench_winogrande_secondary); "
        "import them separately"
    )
    shutil.copytree(samples / MODEL_DIR, tmp_path / "EleutherAI__pythia-14m-deduped")
    shutil.copytree(samples / MODEL_DIR, tmp_path / MODEL_DIR)
    with pytest.raises(BadArgument, match=r"--model names one, but this output is about 2 models"):
        lm_eval.read(tmp_path, model="pythia")
    assert len(lm_eval.read(tmp_path).models) == 2


def test_unknown_model_override_rejects_every_row(samples: Path, store: Store) -> None:
    result = catalog.import_path(
        store, "lm-eval", samples / MODEL_DIR / WINOGRANDE, model="no-such-model"
    )
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (107, 0, 107)
    assert result.rejected[0].reason == "unknown model 'no-such-model'"
    assert store.counts()["responses"] == 0


def test_known_task_lands_on_the_canonical_benchmark(tmp_path: Path) -> None:
    lines = [{"doc_id": i, "acc": float(i % 2), "acc_norm": 1.0} for i in range(4)]
    batch = lm_eval.read(_samples_file(tmp_path, lines, task="arc_challenge"))
    assert [b.benchmark_id for b in batch.benchmarks] == ["arc-ai2"]
    assert batch.benchmarks[0].chance == 0.25
    assert {r.benchmark for r in batch.responses} == {"arc-ai2"}
    assert batch.scores[0].value == 0.5  # acc comes before acc_norm
    assert batch.models[0].model_id == "org/model"


# ------------------------------------------------------------------ bad samples
def test_malformed_json_line_names_file_and_line(samples: Path, tmp_path: Path) -> None:
    folder = tmp_path / MODEL_DIR
    folder.mkdir()
    broken = folder / WINOGRANDE
    lines = (samples / MODEL_DIR / WINOGRANDE).read_text().splitlines()
    lines[41] = lines[41][: len(lines[41]) // 2]
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(MalformedFile) as info:
        lm_eval.read(tmp_path)
    assert str(info.value).startswith(f"{broken}: line 42: not valid JSON")


def test_line_without_doc_id_or_metric_is_malformed(tmp_path: Path) -> None:
    with pytest.raises(MalformedFile, match=r"line 2: no 'doc_id'"):
        lm_eval.read(_samples_file(tmp_path, [{"doc_id": 0, "acc": 1.0}, {"acc": 0.0}]))
    with pytest.raises(MalformedFile, match=r"line 1: no item metric among acc, exact_match"):
        lm_eval.read(_samples_file(tmp_path, [{"doc_id": 0, "bleu": 12.5}]))
    with pytest.raises(MalformedFile, match=r"line 1: expected a JSON object"):
        lm_eval.read(_samples_file(tmp_path, [[1, 2]]))  # type: ignore[list-item]
    with pytest.raises(MalformedFile, match=r"no samples"):
        lm_eval.read(_samples_file(tmp_path, []))


def test_out_of_range_and_duplicate_items_are_rejected(tmp_path: Path) -> None:
    lines: list[dict[str, Any]] = [
        {"doc_id": 0, "exact_match": 1.0},
        {"doc_id": 1, "exact_match": 1.5},
        {"doc_id": 2, "exact_match": "yes"},
        {"doc_id": 0, "exact_match": 0.0},
        {"doc_id": 3, "acc": 1.0},
        {"doc_id": 4, "exact_match": False},
    ]
    path = _samples_file(tmp_path, lines)
    batch = lm_eval.read(path)
    assert [(r.row, r.reason) for r in batch.rejected] == [
        (f"{path.name}:2", "exact_match 1.5 outside [0, 1]"),
        (f"{path.name}:3", "exact_match 'yes' is not a number"),
        (f"{path.name}:4", "duplicate doc_id 0 (filter none)"),
        (f"{path.name}:5", "no 'exact_match'"),
    ]
    assert [(r.item_id, r.score) for r in batch.responses] == [("0", 1.0), ("4", 0.0)]
    (score,) = batch.scores
    assert (score.value, score.n_items, score.setting) == (0.5, 2, "exact_match")


def test_filters_give_one_score_each_and_responses_from_the_first(tmp_path: Path) -> None:
    lines = [
        {"doc_id": i, "filter": f, "metrics": ["exact_match"], "exact_match": v}
        for i in range(3)
        for f, v in (("strict-match", float(i == 0)), ("flexible-extract", 1.0))
    ]
    batch = lm_eval.read(_samples_file(tmp_path, lines, task="gsm8k"))
    assert [(r.item_id, r.score) for r in batch.responses] == [("0", 1.0), ("1", 0.0), ("2", 0.0)]
    assert sorted((s.setting, s.value) for s in batch.scores) == [
        ("exact_match, flexible-extract", 1.0),
        ("exact_match, strict-match", pytest.approx(1 / 3)),
    ]
    assert {s.benchmark for s in batch.scores} == {"gsm8k"}


def test_paths_that_are_not_harness_output(tmp_path: Path) -> None:
    with pytest.raises(MalformedFile, match="no lm-eval output in this directory"):
        lm_eval.read(tmp_path)
    other = tmp_path / "predictions.jsonl"
    other.write_text("{}\n")
    with pytest.raises(MalformedFile, match="not an lm-eval output file name"):
        lm_eval.read(other)


# ------------------------------------------------------------------ results files
def test_results_file_becomes_aggregate_scores(tmp_path: Path) -> None:
    path = _results(
        tmp_path,
        {
            "arc_challenge": {
                "alias": "arc_challenge", "acc,none": 0.2133, "acc_stderr,none": 0.0119,
                "acc_norm,none": 0.2474, "acc_norm_stderr,none": 0.0126,
            },
            "my_new_task": {"alias": "my_new_task", "exact_match,none": 0.4,
                            "exact_match_stderr,none": "N/A"},
        },
        **{"n-shot": {"arc_challenge": 25, "my_new_task": 0}},
    )  # fmt: skip
    batch = lm_eval.read(tmp_path)
    assert batch.rows_read == 2 and batch.rejected == []
    arc, new = sorted(batch.scores, key=lambda s: s.benchmark)
    assert (arc.model, arc.benchmark, arc.value, arc.stderr) == (
        "eleutherai/pythia-160m", "arc-ai2", 0.2133, 0.0119,
    )  # fmt: skip
    assert arc.setting == "25-shot"
    assert arc.n_items == 1172
    assert arc.source == "lm-evaluation-harness results"
    assert arc.source_ref == f"{path.name}:arc_challenge"
    assert arc.eval_date is not None and arc.eval_date.isoformat() == "2024-11-26"
    assert (new.benchmark, new.value, new.stderr, new.setting) == (
        "my_new_task", 0.4, None, "0-shot, exact_match",
    )  # fmt: skip
    assert [m.name for m in batch.models] == ["EleutherAI/pythia-160m"]


def test_results_filters_and_groups(tmp_path: Path) -> None:
    _results(
        tmp_path,
        {
            "gsm8k": {"alias": "gsm8k", "exact_match,strict-match": 0.02,
                      "exact_match_stderr,strict-match": 0.004,
                      "exact_match,flexible-extract": 0.03,
                      "exact_match_stderr,flexible-extract": 0.005},
            "mmlu": {"acc,none": 0.25, "acc_stderr,none": 0.003, "alias": "mmlu"},
            "mmlu_anatomy": {"alias": " - anatomy", "acc,none": 0.3, "acc_stderr,none": 0.04},
        },
        **{"n-shot": {"gsm8k": 5, "mmlu": 0, "mmlu_anatomy": 0}},
    )  # fmt: skip
    scores = {(s.benchmark, s.setting): s.value for s in lm_eval.read(tmp_path).scores}
    assert scores == {
        ("gsm8k", "5-shot, exact_match, strict-match"): 0.02,
        ("gsm8k", "5-shot, exact_match, flexible-extract"): 0.03,
        ("mmlu", "0-shot"): 0.25,
        ("mmlu_anatomy", "0-shot"): 0.3,
    }


def test_results_rows_without_a_fraction_metric_are_rejected(tmp_path: Path) -> None:
    path = _results(
        tmp_path,
        {
            "wikitext": {"alias": "wikitext", "word_perplexity,none": 35.2},
            "boolq": {"alias": "boolq", "acc,none": 1.7},
            "piqa": {"alias": "piqa", "acc,none": 0.6},
        },
    )
    batch = lm_eval.read(path)
    assert [(r.row, r.reason) for r in batch.rejected] == [
        (f"{path.name}: wikitext", "no fraction metric among acc, exact_match, acc_norm, "
                                   "pass@1, pass_at_1"),
        (f"{path.name}: boolq", "acc 1.7 outside [0, 1]"),
    ]  # fmt: skip
    assert [s.benchmark for s in batch.scores] == ["piqa"]


def test_results_model_falls_back_to_model_name_then_folder(tmp_path: Path) -> None:
    path = _results(
        tmp_path, {"piqa": {"acc,none": 0.6}}, config={"model": "hf"}, model_name="org/named"
    )
    assert lm_eval.read(path).models[0].name == "org/named"
    data = json.loads(path.read_text())
    del data["model_name"]
    path.write_text(json.dumps(data))
    assert lm_eval.read(path).models[0].name == "EleutherAI/pythia-160m"  # from the folder
    data["config"] = {"model_args": {"pretrained": "org/dict-args"}}
    path.write_text(json.dumps(data))
    assert lm_eval.read(path).models[0].name == "org/dict-args"


def test_malformed_results_files(tmp_path: Path) -> None:
    folder = tmp_path / "org__m"
    folder.mkdir()
    path = folder / "results_2024-01-01T00-00-00.json"
    path.write_text("{not json")
    with pytest.raises(MalformedFile, match=rf"^{path}: not valid JSON"):
        lm_eval.read(path)
    path.write_text(json.dumps({"scores": {}}))
    with pytest.raises(MalformedFile, match=rf"^{path}: no 'results' object"):
        lm_eval.read(path)


def test_samples_and_results_together_in_store(
    samples: Path, tmp_path: Path, store: Store
) -> None:
    shutil.copytree(samples, tmp_path / "run")
    _results(tmp_path / "run", {"piqa": {"acc,none": 0.6, "acc_stderr,none": 0.01}})
    result = catalog.import_path(store, "lm-eval", tmp_path / "run")
    assert result.rows_rejected == 0
    assert store.counts()["scores"] == 3
    assert store.counts()["models"] == 2
    piqa = store.query("SELECT value, normalized FROM scores WHERE benchmark_id = 'piqa'")
    assert piqa.loc[0, "normalized"] == pytest.approx((0.6 - 0.5) / 0.5)


def test_model_or_task_without_a_letter_or_digit_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "!!!__!!!"
    folder.mkdir()
    (folder / f"samples_my_task_{STAMP}.jsonl").write_text(json.dumps({"doc_id": 0, "acc": 1.0}))
    with pytest.raises(MalformedFile, match=r"model '!!!/!!!' has no letter or digit"):
        lm_eval.read(tmp_path)
    with pytest.raises(MalformedFile, match=r"task '___' has no letter or digit"):
        lm_eval.read(_samples_file(tmp_path / "t", [{"doc_id": 0, "acc": 1.0}], task="___"))
