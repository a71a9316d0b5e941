"""``--figures DIR``: every chart as PNG and SVG, rendered offline by kaleido and Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opengap import charts
from opengap.report import export_figures
from opengap.report.figures import FORMATS


def test_figures_are_written_as_png_and_svg(tmp_path: Path) -> None:
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; see the Makefile)")
    figures = {
        "tornado": charts.tornado_figure(
            [{"benchmark_id": "a", "name": "<b>A</b>", "delta_points": 1.0,
              "delta_lag_months": 0.5}]),
        "empty": charts.gap_series_figure([]),
    }  # fmt: skip
    paths = export_figures(figures, tmp_path / "figs")
    assert [p.name for p in paths] == ["tornado.png", "tornado.svg", "empty.png", "empty.svg"]
    assert FORMATS == ("png", "svg")
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = paths[1].read_text()
    assert svg.startswith("<svg") and "&#60;b&#62;A&#60;/b&#62;" in svg  # text, not bold


def test_unknown_figure_format_is_refused(tmp_path: Path) -> None:
    from opengap.errors import BadConfiguration

    with pytest.raises(BadConfiguration, match="unknown figure format 'gif'"):
        export_figures({}, tmp_path, formats=("gif",))
