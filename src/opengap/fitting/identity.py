"""What identifies a fit and where it came from: the fit id (a hash of data and resolved
configuration) and the provenance record."""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opengap import __version__
from opengap.fit.config import FitConfig
from opengap.fit.selection import OBS_COLUMNS, Selection
from opengap.fitting.result import to_json


def fit_id_of(
    data: pd.DataFrame,
    config: FitConfig,
    scale: str,
    anchors: list[dict[str, Any]],
    pin: str,
) -> str:
    """Return the fit id: a hash of the resolved configuration and the observations."""
    digest = hashlib.sha256()
    settings = config.to_dict()
    settings.pop("explicit", None)
    for name, default in _ID_NEUTRAL.items():  # fields added later: ids of older fits stay
        if settings.get(name) == default:
            settings.pop(name, None)
    settings.update(resolved_scale=scale, resolved_anchors=anchors, resolved_pin=pin)
    digest.update(json.dumps(to_json(settings), sort_keys=True).encode())
    table = data[OBS_COLUMNS].sort_values(["model_id", "benchmark_id", "score"], kind="stable")
    # Text columns joined by a separator, numbers as little-endian doubles: the same data gives
    # the same id on any machine, without formatting every value.
    for col in ("model_id", "benchmark_id", "harness"):
        text = table[col].astype(object).where(table[col].notna(), "").astype(str)
        digest.update("\x1f".join(text.tolist()).encode() + b"\x1e")
    for col in ("score", "n_items"):
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype="<f8")
        digest.update(np.round(values, 12).tobytes())
    return digest.hexdigest()[:16]


_ID_NEUTRAL: dict[str, Any] = {
    "common_slope": False, "weighting": "none", "gap_method": None, "gap_by": None,
    "benchmark_domains": [], "release_dated_groups": False, "clip_eps": 0.0,
    "prefer_sources": [], "task_logits_per_logit": 1.0,
}  # fmt: skip


def provenance_of(
    config: FitConfig,
    data: pd.DataFrame,
    selection: Selection | None,
    imports: pd.DataFrame | None,
    pin: str,
    anchors: list[dict[str, Any]],
) -> dict[str, Any]:
    """Return the provenance record of a fit: run, versions, imports, row counts, anchors."""
    return {
        "run_id": uuid.uuid4().hex,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "opengap_version": __version__,
        "git_commit": _git_commit(),
        "imports": [] if imports is None else to_json(imports.to_dict(orient="records")),
        "row_counts": dict(selection.counts) if selection is not None else {
            "observations": len(data)
        },
        "pin_benchmark": pin,
        "anchors": anchors,
        "explicit_options": list(config.explicit),
    }


@functools.cache
def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None
