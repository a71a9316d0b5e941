"""Issue 14's criterion (b): every score of a model released in 2026 is confirmed in docs/audit.

A score row of ``scores.csv`` counts as confirmed when a row of an audit table in
``docs/audit/2026-12-*.md`` names the same model and benchmark, gives the same value (the audit's
``ours`` column, in percent, within 0.05 points) and has a status that starts with CONFIRMED.
At least 95% of those rows must be confirmed. ``python tests/test_audit.py`` prints the tally
(quoted in docs/data.md) and the rows that are not confirmed.
"""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "src" / "opengap" / "data" / "snapshot"
AUDIT = ROOT / "docs" / "audit"
_CELL = re.compile(r"(?<!\\)\|")  # a table cell boundary; "\|" inside a quoted cell is text
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


@dataclass
class Tally:
    """Confirmed and unconfirmed score rows of the models released in a year."""

    rows: int = 0
    confirmed: int = 0
    missing: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.confirmed / self.rows if self.rows else 0.0


def audit_lines(paths: list[Path]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Return (ours, status) of every audit-table row, by (model_id, benchmark_id)."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for path in paths:
        header: list[str] | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("|"):
                header = None
                continue
            cells = [c.strip() for c in _CELL.split(line)[1:-1]]
            if header is None:
                header = [c.lower() for c in cells]
                continue
            if set("".join(cells)) <= set("-: "):
                continue
            row = dict(zip(header, cells, strict=False))
            ours = next((v for k, v in row.items() if k.startswith("ours")), None)
            if "model_id" not in row or "benchmark_id" not in row or "status" not in row:
                continue
            key = (row["model_id"].strip("`"), row["benchmark_id"].strip("`"))
            found.setdefault(key, []).append((ours or "", row["status"]))
    return found


def tally(snapshot: Path, audits: list[Path], year: str = "2026") -> Tally:
    """Count the score rows of models released in ``year`` that an audit line confirms."""
    with (snapshot / "models.csv").open(encoding="utf-8") as handle:
        released = {r["model_id"]: r["release_date"] for r in csv.DictReader(handle)}
    lines = audit_lines(audits)
    result = Tally()
    with (snapshot / "scores.csv").open(encoding="utf-8") as handle:
        for score in csv.DictReader(handle):
            if not released.get(score["model_id"], "").startswith(year):
                continue
            value = float(score["value"])
            key = (score["model_id"], score["benchmark_id"])
            result.rows += 1
            if any(
                status.upper().startswith("CONFIRMED")
                and _NUMBER.match(ours)
                and abs(float(ours) - 100 * value) <= 0.05 + 1e-9
                for ours, status in lines.get(key, [])
            ):
                result.confirmed += 1
            else:
                result.missing.append((*key, value))
    return result


def _december_audits() -> list[Path]:
    return sorted(AUDIT.glob("2026-12-*.md"))


def test_every_2026_score_is_confirmed_in_the_audit_trail() -> None:
    result = tally(SNAPSHOT, _december_audits())
    assert result.rows >= 500  # the 2026 additions: both curators' models
    assert result.share >= 0.95, f"not confirmed in docs/audit: {result.missing}"


def test_tally_counts_value_status_and_year(tmp_path: Path) -> None:
    """A hand-made catalogue: only the 2026 rows count, and a row needs the same value and a
    CONFIRMED status; a wrong value, another status or no audit line leaves it unconfirmed."""
    (tmp_path / "models.csv").write_text(
        "model_id,release_date\nold,2025-12-31\nnew,2026-01-02\n", encoding="utf-8"
    )
    (tmp_path / "scores.csv").write_text(
        "model_id,benchmark_id,value\n"
        "old,hle,0.1\nnew,hle,0.25\nnew,gpqa-diamond,0.8\nnew,mmlu-pro,0.7\nnew,aime-2025,0.9\n",
        encoding="utf-8",
    )
    audit = tmp_path / "2026-12-x.md"
    audit.write_text(
        "Intro line.\n\n"
        "| model_id | benchmark_id | ours (%) | source text | status | where read |\n"
        "|---|---|---|---|---|---|\n"
        '| new | hle | 25 | "\\| HLE \\| 25.0 \\|" | CONFIRMED | id 1 |\n'
        '| new | gpqa-diamond | 81 | "81" | CONFIRMED | id 2 |\n'
        '| new | mmlu-pro | 70 | "70" | DIFFERS | id 3 |\n',
        encoding="utf-8",
    )
    result = tally(tmp_path, [audit])
    assert (result.rows, result.confirmed) == (4, 1)
    assert sorted(b for _, b, _ in result.missing) == ["aime-2025", "gpqa-diamond", "mmlu-pro"]


if __name__ == "__main__":
    found = tally(SNAPSHOT, _december_audits())
    print(
        f"score rows of models released in 2026: {found.rows}; confirmed in docs/audit/"
        f"2026-12-*.md: {found.confirmed} ({100 * found.share:.1f}%)"
    )
    for model_id, benchmark_id, value in found.missing:
        print(f"  not confirmed: {model_id} {benchmark_id} {value}")
    sys.exit(0 if found.share >= 0.95 else 1)
