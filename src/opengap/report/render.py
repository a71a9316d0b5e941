"""Render a :class:`ReportData` as one self-contained HTML file, and write it: :func:`build_report`.

The templates (``report/templates``) are shared with the dashboard: each section is a partial
(``_frontier.html``…) that both the report page and the dashboard's pages include. jinja2
autoescapes every value; chart snippets come from :mod:`opengap.charts`, which escapes imported
strings itself, and are the only markup passed through as is.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from opengap import charts, palette
from opengap.report.data import Progress, ReportData, benchmark_table, collect, provenance
from opengap.report.figures import export_figures, report_figures
from opengap.store import Store

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class ReportResult:
    """What :func:`build_report` wrote.

    Attributes
    ----------
    path : Path
        The HTML file.
    size_bytes : int
        Its size.
    headline : str
        The gap in one sentence.
    fit_id : str
        The fit the report shows.
    fitted_now : bool
        Whether the fit was made for this report (the store held none).
    figures : list of Path
        Exported PNG/SVG files (empty without ``figures_dir``).
    seconds : float
        Wall time to compute and write the report (figures export excluded).
    problems : dict of str to str
        Sections that could not be computed, with the reason.
    """

    path: Path
    size_bytes: int
    headline: str
    fit_id: str
    fitted_now: bool
    seconds: float
    figures: list[Path] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``opengap report --json``."""
        return {
            "path": str(self.path), "size_bytes": self.size_bytes, "headline": self.headline,
            "fit_id": self.fit_id, "fitted_now": self.fitted_now, "seconds": self.seconds,
            "figures": [str(p) for p in self.figures], "problems": self.problems,
        }  # fmt: skip


def build_report(
    store: Store,
    *,
    output: str | Path,
    figures_dir: str | Path | None = None,
    fit_id: str | None = None,
    progress: Progress | None = None,
) -> ReportResult:
    """Compute the report and write it to ``output`` as one self-contained HTML file.

    An empty store is first filled with the bundled snapshot, and a store without a fit gets
    one (see :func:`opengap.report.collect`).

    Parameters
    ----------
    store : Store
        The catalogue.
    output : str or Path
        The HTML file to write (its folder is created).
    figures_dir : str or Path, optional
        Also export every chart there as PNG and SVG (needs a local Chrome or Chromium).
    fit_id : str, optional
        Show this stored fit instead of the latest.
    progress : callable, optional
        ``progress(task, done, total)`` while fitting and refitting.

    Returns
    -------
    ReportResult

    Examples
    --------
    >>> result = build_report(store, output="report.html")  # doctest: +SKIP
    >>> print(result.headline)  # doctest: +SKIP
    """
    start = time.perf_counter()
    data = collect(store, fit_id=fit_id, progress=progress)
    figures = report_figures(data)
    page = render(data, figures=figures)
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    seconds = time.perf_counter() - start
    exported = export_figures(figures, figures_dir) if figures_dir is not None else []
    return ReportResult(
        path=path, size_bytes=path.stat().st_size, headline=data.headline,
        fit_id=data.fit.fit_id, fitted_now=data.fitted_now, seconds=seconds,
        figures=exported, problems=dict(data.problems),
    )  # fmt: skip


def render(data: ReportData, *, figures: Mapping[str, Any] | None = None) -> str:
    """Return the report page for ``data`` (plotly.js embedded inline; no network needed)."""
    figures = report_figures(data) if figures is None else figures
    snippets = {name: Markup(charts.figure_html(fig, f"chart-{name}"))
                for name, fig in figures.items()}  # fmt: skip
    context = page_context(data, snippets)
    context["plotly_js"] = Markup(charts.plotly_js())
    return environment().get_template("report.html").render(**context)


def page_context(
    data: ReportData,
    snippets: Mapping[str, Markup],
    model_url: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Return the template variables the section partials read."""
    return {
        "data": data,
        "charts": dict(snippets),
        "prov": provenance(data),
        "bench_rows": benchmark_table(data.fit).to_dict(orient="records"),
        "model_url": model_url,
    }


def environment(*extra: Path) -> Environment:
    """Return the jinja2 environment: autoescaping, strict, with opengap's filters.

    ``extra`` template folders are searched before the report's own (the dashboard's).
    """
    env = Environment(
        loader=FileSystemLoader([*(str(p) for p in extra), str(TEMPLATES)]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_num, iv=_iv, pct=_pct, unknown=_unknown, records=_records)
    env.globals["palette"] = palette
    return env


# --------------------------------------------------------------------------- filters
def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, str) and not value.strip()


def _num(value: Any, digits: int = 1, signed: bool = False) -> str:
    if _missing(value):
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "—"
    return f"{number:+.{digits}f}" if signed else f"{number:.{digits}f}"


def _iv(value: Any, key: str | None = None, digits: int = 1) -> str:
    if key is not None:
        row = value if isinstance(value, Mapping) else {}
        point, low, high = row.get(key), row.get(f"{key}_low"), row.get(f"{key}_high")
    elif isinstance(value, Mapping):
        point, low, high = value.get("value"), value.get("ci_low"), value.get("ci_high")
    else:
        point, low, high = value, None, None
    if _missing(point):
        return "—"
    text = _num(point, digits)
    if not _missing(low) and not _missing(high):
        text += f" ({_num(low, digits)}–{_num(high, digits)})"
    return text


def _pct(value: Any) -> str:
    return "—" if _missing(value) else f"{100 * float(value):.0f}%"


def _unknown(value: Any) -> str:
    return "unknown" if _missing(value) else str(value)


def _records(frame: Any) -> list[dict[str, Any]]:
    if isinstance(frame, pd.DataFrame):
        return [
            {str(k): (None if _missing(v) else v) for k, v in r.items()}
            for r in frame.to_dict(orient="records")
        ]
    return list(frame)
