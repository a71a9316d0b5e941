"""Property: every entry point survives every valid catalogue (issue 11, item 1).

Hypothesis writes small catalogues in opengap's CSV format (models / benchmarks / scores;
harness categories shared or not, one category, optional columns missing, one weights group
only, tied scores, unknown dates) and runs import, fit, gap (every method and grouping),
sensitivity, report and every dashboard page on them. Each must succeed or fail cleanly:
exit 2 with one ``Error:`` line on the CLI, a 4xx on the dashboard -- never another exception,
another exit code or a 500. Kept small (few examples, bootstrap 0 or 5) so ``make test`` stays
quick.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from opengap.cli import app
from opengap.web import create_app

runner = CliRunner()

METHODS = ("lag", "catch-up", "trend")
GROUPINGS = ("weights", "country", "organization", "size", "license", "domain")
PAGES = ("/", "/models", "/benchmarks", "/fit", "/gap", "/breakdowns", "/api", "/api/models",
         "/api/benchmarks", "/api/fit", "/api/gap", "/api/breakdowns")  # fmt: skip
FAST = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_MODEL_OPTIONAL = ("release_date", "weights", "country", "organization", "params_total_b",
                   "license_class")  # fmt: skip
_BENCH_OPTIONAL = ("chance", "domain", "n_items")


@st.composite
def catalogues(draw: st.DrawFn) -> dict[str, list[dict[str, str]]]:
    """Draw a valid small catalogue as rows of models.csv, benchmarks.csv and scores.csv."""
    n_models = draw(st.integers(4, 7))
    n_bench = draw(st.integers(4, 5))  # the default preset needs 4 benchmarks per model
    one_group = draw(st.booleans())
    harnesses = draw(st.sampled_from([[""], ["inspect"], ["inspect", "lm-eval"], ["", "x"]]))
    ties = draw(st.booleans())
    model_cols = draw(st.sets(st.sampled_from(_MODEL_OPTIONAL)))
    bench_cols = draw(st.sets(st.sampled_from(_BENCH_OPTIONAL)))
    models = []
    for i in range(n_models):
        weights = "open" if one_group else draw(st.sampled_from(["open", "closed"]))
        known_date = draw(st.booleans()) or i < 2
        row = {
            "model_id": f"model-{i}",
            "release_date": f"{2020 + i % 5}-{1 + i % 12:02d}-15" if known_date else "",
            "weights": weights,
            "country": draw(st.sampled_from(["", "China", "United States", "France"])),
            "organization": draw(st.sampled_from(["", "Lab A", "Lab B"])),
            "params_total_b": draw(st.sampled_from(["", "7", "70", "400"])),
            "license_class": draw(st.sampled_from(["", "permissive", "closed"])),
        }
        models.append({k: v for k, v in row.items() if k == "model_id" or k in model_cols})
    benchmarks = []
    for j in range(n_bench):
        row = {
            "benchmark_id": f"bench-{j}",
            "chance": draw(st.sampled_from(["", "0", "0.25"])),
            "domain": draw(st.sampled_from(["", "math", "code", "knowledge"])),
            "n_items": draw(st.sampled_from(["", "100", "1"])),
        }
        benchmarks.append({k: v for k, v in row.items() if k == "benchmark_id" or k in bench_cols})
    values = st.sampled_from([0.3, 0.5, 0.7]) if ties else st.floats(0.26, 1.0)
    scores = []
    for i in range(n_models):
        for j in range(n_bench):
            if i > 3 and draw(st.integers(0, 4)) == 0:
                continue
            for harness in draw(st.lists(st.sampled_from(harnesses), min_size=1, max_size=2,
                                         unique=True)):  # fmt: skip
                scores.append({
                    "model_id": f"model-{i}", "benchmark_id": f"bench-{j}",
                    "value": f"{draw(values):.4f}", "harness": harness,
                })  # fmt: skip
    return {"models.csv": models, "benchmarks.csv": benchmarks, "scores.csv": scores}


def _write(folder: Path, catalogue: dict[str, list[dict[str, str]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in catalogue.items():
        columns = list(dict.fromkeys(k for r in rows for k in r)) or [
            "model_id" if name == "models.csv" else "benchmark_id"
        ]
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        (folder / name).write_text(out.getvalue())


def _clean(result: Result, what: str) -> None:
    """Assert a command succeeded, or failed with exit 2 and one ``Error:`` line."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{what} raised {result.exception!r}") from result.exception
    assert result.exit_code in (0, 2), f"{what}: exit {result.exit_code}"
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), f"{what}: {result.stderr}"


def _cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def _imported_and_fitted(catalogue: dict[str, list[dict[str, str]]], work: Path) -> str:
    _write(work / "data", catalogue)
    db = str(work / "store.duckdb")
    _clean(_cli("init", "--empty", "--db", db, "--json"), "init")
    _clean(_cli("import", "csv", str(work / "data"), "--db", db, "--json"), "import")
    _clean(_cli("fit", "--bootstrap", "5", "--db", db, "--json"), "fit")
    return db


@FAST
@given(catalogues())
def test_import_fit_and_every_gap_never_crash(catalogue: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = _imported_and_fitted(catalogue, Path(tmp))
        for method in METHODS:
            for by in GROUPINGS:
                _clean(_cli("gap", "--by", by, "--method", method, "--db", db, "--json"),
                       f"gap --by {by} --method {method}")  # fmt: skip


@FAST
@given(catalogues())
def test_every_dashboard_page_answers_without_a_500(catalogue: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = _imported_and_fitted(catalogue, Path(tmp))
        with TestClient(create_app(db), raise_server_exceptions=False) as client:
            for page in (*PAGES, "/models/model-0", "/api/models/model-0"):
                response = client.get(page)
                assert response.status_code < 500, f"{page}: {response.status_code}"


@FAST
@given(catalogues())
def test_sensitivity_report_and_its_page_never_crash(catalogue: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = _imported_and_fitted(catalogue, Path(tmp))
        _clean(_cli("sensitivity", "--db", db, "--json"), "sensitivity")
        _clean(_cli("report", "-o", str(Path(tmp) / "r.html"), "--db", db), "report")
        with TestClient(create_app(db), raise_server_exceptions=False) as client:
            for page in ("/sensitivity", "/api/sensitivity"):
                response = client.get(page)
                assert response.status_code < 500, f"{page}: {response.status_code}"
