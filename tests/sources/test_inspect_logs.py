"""The Inspect AI log importer, on real logs written offline by inspect-ai's mockllm model.

Each sample's metadata holds the score its (custom) scorer gives in each epoch, so the
expected item scores are written down here, not taken from the importer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from opengap.cli import app
from opengap.errors import MalformedFile
from opengap.sources import inspect_logs
from opengap.store import Store
from opengap.store.schema import TABLES

pytest.importorskip("inspect_ai")

from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage
from inspect_ai.scorer import Score, Target, mean, scorer
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver

runner = CliRunner()

# sample id -> the value the scorer gives in epochs 1 and 2, and the item score expected
VALUES: dict[str, tuple[list[Any], float]] = {
    "q1": (["C", "C"], 1.0),
    "q2": (["I", "N"], 0.0),
    "q3": (["P", "P"], 0.5),
    "q4": (["C", "I"], 0.5),  # epochs are averaged
    "q5": ([0.25, 0.75], 0.5),  # numeric values as they are
}


def _output(input: Any, tools: Any, tool_choice: Any, config: Any) -> ModelOutput:
    out = ModelOutput.from_content(model="mockllm/model", content="an answer")
    out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)  # no tokenizer
    return out


@scorer(metrics=[mean()])
def scripted() -> Any:
    async def score(state: TaskState, target: Target) -> Score:
        return Score(value=state.metadata["values"][state.epoch - 1])

    return score


@solver
def tiny_agent() -> Solver:
    async def solve(state: TaskState, generate_: Generate) -> TaskState:
        return await generate_(state)

    return solve


def _task(values: dict[str, tuple[list[Any], float]], name: str = "scripted_quiz") -> Task:
    samples = [Sample(input=f"question {k}", target="x", id=k, metadata={"values": v})
               for k, (v, _) in values.items()]  # fmt: skip
    return Task(name=name, dataset=samples, solver=generate(), scorer=scripted())


def _run(task: Task, folder: Path, fmt: str, **kwargs: Any) -> Path:
    logs = eval(task, model="mockllm/model", model_args={"custom_outputs": _output},
                log_dir=str(folder), log_format=fmt, display="none", epochs=2,
                **kwargs)  # fmt: skip
    assert logs[0].status == "success", logs[0].error
    return Path(str(logs[0].location).removeprefix("file://"))


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inspect")
    out = {fmt: _run(_task(VALUES), root / fmt, fmt) for fmt in ("eval", "json")}
    out["partial"] = _run(_task(VALUES), root / "partial", "eval", limit=3)
    out["agent"] = _run(_task(VALUES), root / "agent", "eval", solver=tiny_agent())
    bad = {**VALUES, "q1": (["I", "I"], 0.0)}
    out["conflict"] = _run(_task(bad), root / "conflict", "eval")
    out["outside"] = _run(_task({"q1": ([1.5, 1.5], 1.5), "q2": (["C", "C"], 1.0)}),
                          root / "outside", "json")  # fmt: skip
    return out


def _dump(store: Store) -> dict[str, list[Any]]:
    return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_items_scores_epochs_and_names_from_a_real_log(logs: dict[str, Path], fmt: str) -> None:
    batch = inspect_logs.read(logs[fmt])
    got = {r.item_id: r.score for r in batch.responses}
    assert got == {k: v for k, (_, v) in VALUES.items()}
    assert {(r.model, r.benchmark, r.harness) for r in batch.responses} == {
        ("model", "scripted_quiz", "inspect")
    }
    assert batch.rows_read == 2 * len(VALUES) + 1  # every sample epoch, and the mean
    (score,) = batch.scores
    assert score.value == pytest.approx(2.5 / 5)
    assert score.n_items == 5 and score.harness == "inspect"
    assert score.eval_date is not None and score.eval_date.year >= 2024
    assert "2 epoch(s)" in (score.setting or "")
    (model,) = batch.models
    assert "mockllm/model" in model.aliases


def test_both_formats_give_the_same_responses(logs: dict[str, Path]) -> None:
    def rows(path: Path) -> list[tuple[str, float]]:
        return sorted((r.item_id, r.score) for r in inspect_logs.read(path).responses)

    assert rows(logs["eval"]) == rows(logs["json"])


def test_a_partial_run_gives_responses_but_no_benchmark_score(logs: dict[str, Path]) -> None:
    batch = inspect_logs.read(logs["partial"])
    assert len(batch.responses) == 3
    assert batch.scores == []


def test_an_agent_solver_names_the_harness(logs: dict[str, Path]) -> None:
    batch = inspect_logs.read(logs["agent"])
    assert {r.harness for r in batch.responses} == {"inspect/tiny_agent"}


def test_cli_imports_a_folder_once(logs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    for fmt in ("eval", "json"):
        shutil.copy(logs[fmt], folder / logs[fmt].name)
    db = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["init", "--empty", "--db", db]).exit_code == 0
    first = runner.invoke(app, ["import", "inspect", str(folder), "--db", db])
    assert first.exit_code == 0, first.output
    with Store(db) as store:
        before = _dump(store)
        n = store.con.execute("SELECT count(*) FROM responses").fetchone()
    assert n == (5,)  # the same items in two formats count once
    again = runner.invoke(app, ["import", "inspect", str(folder), "--db", db])
    assert again.exit_code == 0
    with Store(db) as store:
        assert _dump(store)["responses"] == before["responses"]


def _refused(path: Path, tmp_path: Path) -> str:
    db = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["init", "--empty", "--db", db]).exit_code == 0
    with Store(db) as store:
        before = _dump(store)
    result = runner.invoke(app, ["import", "inspect", str(path), "--db", db])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    with Store(db) as store:
        assert _dump(store) == before
    return lines[0]


def test_foreign_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"results": {"acc": 0.5}}))
    assert "not a readable Inspect eval log" in _refused(path, tmp_path)


def test_truncated_eval_zip_is_refused(logs: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "cut.eval"
    data = logs["eval"].read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "cut.eval: not a readable Inspect eval log" in _refused(path, tmp_path)


def test_score_outside_unit_interval_is_refused(logs: dict[str, Path], tmp_path: Path) -> None:
    assert "score 1.5 is outside [0, 1]" in _refused(logs["outside"], tmp_path)
    with pytest.raises(MalformedFile, match="outside"):
        inspect_logs.read(logs["outside"])


def test_conflicting_duplicates_across_logs_are_refused(
    logs: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    for key in ("eval", "conflict"):
        shutil.copy(logs[key], folder / f"{key}-{logs[key].name}")
    message = _refused(folder, tmp_path)
    assert "item 'q1' of 'scripted_quiz' scored" in message
