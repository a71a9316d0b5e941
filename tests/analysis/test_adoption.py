"""The Relative Adoption Metric and download shares on a tiny hand-checked data set."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from opengap.analysis.adoption import ATOM_SIZE_EDGES, download_shares, relative_adoption
from opengap.analysis.groups import size_class

# Five models released 2026-01-01; A, B, C, E have 20B parameters (ATOM's 10-50B class), D 3B.
MODELS = pd.DataFrame({
    "model_id": ["A", "B", "C", "D", "E"],
    "release_date": [date(2026, 1, 1)] * 5,
    "params_total_b": [20.0, 20.0, 20.0, 3.0, 20.0],
    "country": ["US", "US", "China", "France", "China"],
    "organization": ["a", "b", "c", "d", "e"],
})  # fmt: skip
# (model, date, cumulative downloads); 2026-01-11 is age 10, -21 age 20, -31 age 30.
DOWNLOADS = pd.DataFrame(
    [
        ("A", date(2026, 1, 11), 1000), ("A", date(2026, 1, 21), 1200),
        ("B", date(2026, 1, 11), 500), ("B", date(2026, 1, 21), 800), ("B", date(2026, 1, 31), 900),
        ("C", date(2026, 1, 11), 200), ("C", date(2026, 1, 31), 600),
        ("D", date(2026, 1, 11), 300),
        ("E", date(2026, 1, 11), 5000),
    ],
    columns=["model_id", "date", "cumulative_downloads"],
)  # fmt: skip


def test_atom_size_classes() -> None:
    # ATOM's get_size_bucket: <1, 1-5, 5-10 ('7-9B'), 10-50, 50-100, 100-250, 250+ (lower bounds).
    labels = size_class([0.5, 1, 4.9, 7, 10, 49, 50, 100, 250, 1000], ATOM_SIZE_EDGES).tolist()
    assert labels == ["<1B", "1-4B", "1-4B", "5-9B", "10-49B", "10-49B", "50-99B", "100-249B",
                      ">=250B", ">=250B"]


def test_ram_by_hand() -> None:
    # Reference rank 2 (ATOM uses 10; the mechanism is the same), class 10-49B = A, B, C, E.
    # Ages on the class grid: 10, 20, 30. Curves (linear between snapshots, unknown after the last):
    #   age 10: A 1000, B 500, C 200, E 5000          -> 2nd largest 1000
    #   age 20: A 1200, B 800, C 400 (200 + (600-200)/2), E unknown -> 2nd largest 800
    #   age 30: B 900, C 600 (A, E unknown)           -> 2nd largest 600
    # Made monotone (running maximum): 1000, 1000, 1000.
    ram = relative_adoption(DOWNLOADS, MODELS, reference_rank=2)
    got = {(r.model_id, int(r.age_days)): (r.reference_downloads, r.ram)
           for r in ram.itertuples()}  # fmt: skip
    expected_ram = {("A", 10): 1.0, ("A", 20): 1.2, ("B", 10): 0.5, ("B", 20): 0.8,
                    ("B", 30): 0.9, ("C", 10): 0.2, ("C", 30): 0.6, ("E", 10): 5.0}
    for key, value in expected_ram.items():
        assert got[key][0] == 1000.0
        assert got[key][1] == pytest.approx(value)
    # D is alone in 1-4B: fewer models than the reference rank, so its RAM is unknown.
    assert np.isnan(got[("D", 10)][1])


def test_ram_unknown_without_release_or_size() -> None:
    models = MODELS.assign(params_total_b=[20.0, None, 20.0, 3.0, 20.0])
    ram = relative_adoption(DOWNLOADS, models, reference_rank=1)
    assert "B" not in set(ram["model_id"])
    # With B gone and rank 1, the reference is the class leader: E's 5000 at age 10, kept after.
    assert set(ram.loc[ram["model_id"] == "A", "reference_downloads"]) == {5000.0}


def test_download_shares_by_country() -> None:
    # Each model counts with its latest count on or before the date:
    #   01-11: US 1000+500, China 200+5000, France 300 = 7000
    #   01-21: US 1200+800, China 200+5000, France 300 = 7500
    #   01-31: US 1200+900, China 600+5000, France 300 = 8000
    shares = download_shares(DOWNLOADS, MODELS, by="country")
    got = {(r.date.isoformat(), r.group): r.share for r in shares.itertuples()}
    assert got[("2026-01-11", "China")] == pytest.approx(5200 / 7000)
    assert got[("2026-01-21", "US")] == pytest.approx(2000 / 7500)
    assert got[("2026-01-31", "China")] == pytest.approx(5600 / 8000)
    assert got[("2026-01-31", "France")] == pytest.approx(300 / 8000)


def _cli_store(tmp_path, runner, app, daily=None):  # type: ignore[no-untyped-def]
    """Import MODELS (as a csv catalogue) and DOWNLOADS (as Hub snapshots) through the CLI."""
    import json

    cat = tmp_path / "cat"
    cat.mkdir()
    rows = ["model_id,name,country,release_date,weights,params_total_b,aliases"]
    for r in MODELS.itertuples():
        rows.append(f"model-{r.model_id.lower()},{r.model_id},{r.country},2026-01-01,open,"
                    f"{r.params_total_b},org/{r.model_id}")
    (cat / "models.csv").write_text("\n".join(rows) + "\n")
    hub = tmp_path / "hub"
    hub.mkdir()
    for day, part in DOWNLOADS.groupby("date"):
        items = [{"id": f"org/{m}", **(daily or {}), "downloadsAllTime": int(n)}
                 for m, n in zip(part["model_id"], part["cumulative_downloads"], strict=True)]
        (hub / f"{day.isoformat()}.json").write_text(json.dumps(items))
    db = str(tmp_path / "s.duckdb")
    for args in (["import", "csv", str(cat)], ["import", "downloads", str(hub)]):
        assert runner.invoke(app, [*args, "--db", db]).exit_code == 0
    return db


def test_adoption_command_end_to_end(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from opengap.cli import app

    runner = CliRunner()
    db = _cli_store(tmp_path, runner, app, daily={"downloads": 1})
    result = runner.invoke(app, ["adoption", "--rank", "2", "--track", "all", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    latest = {r["model_id"]: r["ram"] for r in json.loads(result.stdout)["latest"]}
    # The hand-checked values above, at each model's latest snapshot (reference 1000).
    assert latest["model-a"] == pytest.approx(1.2) and latest["model-b"] == pytest.approx(0.9)
    assert latest["model-c"] == pytest.approx(0.6) and latest["model-e"] == pytest.approx(5.0)
    assert latest["model-d"] is None
    table = runner.invoke(app, ["adoption", "--rank", "2", "--track", "all", "--db", db])
    assert table.exit_code == 0 and "Relative Adoption Metric" in table.output
    bad = runner.invoke(app, ["adoption", "--size-classes", "10,x", "--db", db])
    assert bad.exit_code == 2
    assert "Error: --size-classes: expected numbers separated by commas" in bad.stderr


def _atom_checkout(folder, hf_ids):  # type: ignore[no-untyped-def]
    """Write a tracked-models checkout (ATOM's layout) listing ``hf_ids``."""
    (folder / "metadata").mkdir(parents=True)
    lines = ["org,model,modelId", *(f"org,{h.split('/')[1]},{h}" for h in hf_ids)]
    (folder / "models.csv").write_text("\n".join(lines) + "\n")
    (folder / "extra_models.csv").write_text("org,model,modelId\n")
    (folder / "metadata" / "model_parameters.csv").write_text(
        "model_id,total_params_b,active_params_b,is_moe\n")
    (folder / "metadata" / "organization_regions.csv").write_text("hf_org,region\norg,us\n")
    (folder / "metadata" / "release_date_corrections.csv").write_text(
        "# corrections\nmodel_id,actual_release_date\n")


def test_atom_tracked_list_is_the_default_set(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from opengap.cli import app

    runner = CliRunner()
    db = _cli_store(tmp_path, runner, app)

    def latest(*options: str) -> dict[str, object]:
        result = runner.invoke(app, ["adoption", "--rank", "2", "--json", *options, "--db", db])
        assert result.exit_code == 0, result.output
        out: dict[str, object] = json.loads(result.stdout)
        return out

    none = latest()  # no ATOM list in the store: nothing tracked, and the note says why
    assert none["latest"] == [] and none["tracked"] == "atom" and none["n_tracked"] == 0
    assert "import it (opengap import atom-models PATH)" in str(none["notes"])
    atom = tmp_path / "atom"
    _atom_checkout(atom, ["org/A", "org/B", "org/C", "org/D"])  # not E
    assert runner.invoke(app, ["import", "atom-models", str(atom), "--db", db]).exit_code == 0
    tracked = latest()
    ram = {r["model_id"]: r["ram"] for r in tracked["latest"]}  # type: ignore[attr-defined]
    # Class 10-49B is now A, B, C only; 2nd largest by age: 10 -> 500 (A 1000, B 500, C 200),
    # 20 -> 800 (A 1200, B 800, C 400), 30 -> 600 (B 900, C 600); monotone: 500, 800, 800.
    assert set(ram) == {"model-a", "model-b", "model-c", "model-d"}
    assert ram["model-a"] == pytest.approx(1200 / 800)
    assert ram["model-b"] == pytest.approx(900 / 800)
    assert ram["model-c"] == pytest.approx(600 / 800)
    assert tracked["n_tracked"] == 4
    assert "1 model(s) with downloads are not in ATOM's tracked-models list" in str(
        tracked["notes"])
    chosen = latest("--track", "A,org/B")  # a given list, by name or alias
    assert {r["model_id"] for r in chosen["latest"]} == {"model-a", "model-b"}  # type: ignore[attr-defined]
    assert chosen["tracked"] == "list"
    everything = latest("--track", "all")
    assert len(everything["latest"]) == 5  # type: ignore[arg-type]
    unknown = runner.invoke(app, ["adoption", "--track", "zz-nothing", "--db", db])
    assert unknown.exit_code == 2 and "Error: unknown model 'zz-nothing'" in unknown.stderr
