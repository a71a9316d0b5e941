"""Fit configurations: the :class:`FitConfig` record and the named presets.

A preset is a complete configuration; options passed explicitly (``--scale``, ``--bootstrap`` …)
replace single fields of it. The presets are documented in ``docs/fit.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from typing import Any

from opengap.errors import BadConfiguration
from opengap.fit.weighting import WEIGHTINGS

SCALES = ("raw", "eci", "elo", "elo10")
LOSSES = ("lsq", "binomial")
IDENTIFICATIONS = ("shift", "pin")
SELECTIONS = ("catalogue", "epoch-stitching")
OFFSETS = (None, "harness")
# The gap methods and groupings a preset's evaluator uses (``opengap gap`` validates them again).
GAP_METHODS = (None, "lag", "significance", "catch-up", "trend", "caisi-trend")
GAP_GROUPINGS = (None, "weights", "country", "organization", "size", "license", "domain")

# Default anchors: each entry lists references tried in order (ids or aliases); the first one
# present in the fit is used. Dated/effort versions come first because the hub's ids are versions.
ECI_ANCHORS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("claude-3-5-sonnet-20240620", "claude-3.5-sonnet", "Claude 3.5 Sonnet"), 130.0),
    (("gpt-5-2025-08-07_medium", "gpt-5-2025-08-07", "gpt-5", "GPT-5"), 150.0),
)
# CAISI's Elo scale has no published reference model; Claude Opus 4.6 at CAISI's own published
# 999 puts the levels where CAISI's are (only differences are compared). See docs/fit.md.
CAISI_ANCHORS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("claude-opus-4-6", "claude-opus-4.6", "Claude Opus 4.6"), 999.0),
)
# Default one-model anchors of the Elo presets (tried like ECI_ANCHORS; absent = 1000 points at
# the pinned benchmark's difficulty).
PRESET_ELO_ANCHORS: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {
    "caisi": CAISI_ANCHORS,
}
# CAISI's suite as catalogue ids (DeepSeek V4 Pro evaluation, May 2026: the nine benchmarks it
# names, five domains). ctf-archive-diamond and portbench are CAISI's own, not public: no
# catalogue has their scores unless imported from CAISI's report. See docs/fit.md.
CAISI_DOMAINS: tuple[tuple[str, str], ...] = (
    ("ctf-archive-diamond", "cyber"),
    ("cybench", "cyber"),
    ("swe-bench-verified", "software engineering"),
    ("portbench", "software engineering"),
    ("frontierscience", "natural sciences"),
    ("gpqa-diamond", "natural sciences"),
    ("arc-agi-2", "abstract reasoning"),
    ("otis-mock-aime-2024-2025", "mathematics"),
    ("otis-aime-2025", "mathematics"),
    ("pumac-2024", "mathematics"),
    ("smt-2025", "mathematics"),
)
CAISI_SUITE = tuple(b for b, _ in CAISI_DOMAINS)
# CAISI's Elo is per task ("a 3x increase in the odds of solving a given task"); opengap fits
# benchmark-level success rates, which rise 1/k as steeply (the tasks' difficulties spread).
# k measured on the one benchmark of CAISI's suite with public task-level results: SWE-bench
# Verified, 25 runs × 500 tasks (../shared/data/swe-bench-leaderboards, per_instance_details),
# Rasch fit with a difficulty prior of sd 5 (the least biased on synthetic tasks of that shape,
# tests/fit/test_task_scale.py): k = 1.77 (1.70 with sd 3, 1.81 with sd 10; fitted spread
# τ = 2.8 logits). See opengap.fit.task_scale and docs/fit.md.
CAISI_TASK_LOGITS = 1.77
ELO_PER_LOGIT_NOTE = "200/ln 3 points per logit: +200 points = 3x the odds of success"
ELO_REFERENCE_VALUE = 1000.0

# The paper "A Rosetta Stone for AI Benchmarks": the hub's run tasks plus every external file
# except boolq (a part of SuperGLUE), mcbench (win rates) and metr (time horizons, not a fraction).
STITCHING_RUN_TASKS = (
    "gpqa-diamond",
    "frontiermath-2025-02-28-private",
    "frontiermath-tier-4-2025-07-01-private",
    "math-level-5",
    "otis-mock-aime-2024-2025",
    "swe-bench-verified",
)
STITCHING_EXTERNAL = (
    "aider-polyglot", "anli", "arc-agi", "arc-ai2", "balrog", "bbh", "cadeval", "csqa2",
    "cybench", "deepresearch", "factorio-learning-environment", "fictionlivebench", "geobench",
    "gsm8k", "gso-bench", "hellaswag", "lambada", "lech-mazur-writing", "livebench", "mmlu",
    "openbookqa", "os-world", "osuniverse", "piqa", "scienceqa", "simple-bench", "superglue",
    "terminal-bench", "the-agent-company", "triviaqa", "videomme", "vpct", "weirdml",
    "winogrande",
)  # fmt: skip
# Left out of the catalogue-wide presets: duplicates of another benchmark, public splits of a
# private benchmark that is kept, and scores that are not success rates.
CATALOGUE_EXCLUDED = (
    "boolq",  # part of SuperGLUE
    "mcbench",  # arena win rates depend on the pool of opponents
    "frontiermath-2025-02-28-public",  # the private split is kept
    "frontiermath-tier-4-2025-07-01-public",
    "arc-agi-1-public-eval",  # ARC Prize's public sets: the semi-private headline is kept
    "arc-agi-2-public-eval",
    "arc-agi-3-public-demo",
)


@dataclass(frozen=True)
class FitConfig:
    """Everything that decides a fit: data selection, objective, identification, scale, uncertainty.

    Parameters
    ----------
    preset : str
        The preset this configuration started from.
    selection : {"catalogue", "epoch-stitching"}
        Which scores enter: every normalised score in the store, or the Rosetta-Stone data set.
    benchmarks : tuple of str, optional
        Restrict to these benchmark ids (leave-one-out and domain fits).
    exclude_benchmarks : tuple of str
        Benchmark ids never used.
    normalize : bool
        Use chance/ceiling-normalised scores (otherwise value/ceiling, chance ignored).
    group_versions : bool
        Fit model groups (``models.version_of``) instead of versions, best score per group.
    release_dated_groups : bool
        With ``group_versions``, split a group by release date (Epoch's release-dated model
        aggregations: "DeepSeek-R1 (May 2025)" apart from January's DeepSeek-R1).
    prefer_sources : tuple of str
        Where a (model, benchmark) cell has scores from a source whose name contains one of
        these (ignoring case), the best of those is used instead of the best of all (an
        evaluator's own runs); other cells keep the best score.
    clip_eps : float
        Clip every score into [clip_eps, 1 − clip_eps] before the fit (eci-public: 1e-3);
        0 = only scores outside [0, 1] are clipped (to 0.001 / 0.999).
    min_benchmarks : int
        Models need scores on at least this many distinct benchmarks.
    min_models : int
        Benchmarks need at least this many models; with ``min_benchmarks`` applied repeatedly
        until both hold (1 = no benchmark filter, filters applied once).
    start_date : date, optional
        Keep models released on or after this date (models without a date are dropped).
    loss : {"lsq", "binomial"}
        Squared error plus ridge, or the item-weighted Bernoulli deviance plus ridge.
    ridge : float
        λ of the ridge term λ·Σθ²/n_free.
    identification : {"shift", "pin"}
        ``shift``: every C and D free during the fit, only the pinned benchmark's slope fixed at 1,
        then all C and D shifted so that its difficulty is 0 (ECI). ``pin``: difficulty 0 and
        slope 1 held fixed inside the fit.
    pin_benchmark : str, optional
        Benchmark id pinned at D = 0, α = 1; None = the benchmark with the most observations.
    scale : {"raw", "eci", "elo"}, optional
        Reported scale; None = the preset's choice (``eci`` when its anchors are present).
    anchors : tuple of (model, value)
        Anchor models for ``eci`` (two) or ``elo`` (one); empty = the defaults.
    bootstrap : int
        Number of bootstrap refits (0 = none).
    seed : int
        Seed of the starting values and of the bootstrap.
    init_scale : float
        Standard deviation of the random starting values of C and D.
    offsets : {None, "harness"}
        Fit one offset δ per harness category (the most common one is the reference, δ = 0).
    cv_folds : int
        Folds of the cross-validated prediction error (0 = skip).
    poor_fit_rmse : float
        A model whose residual RMSE exceeds this is flagged as poorly fitted.
    common_slope : bool
        One-parameter variant: every benchmark shares one slope α (held at the pinned
        benchmark's 1, which sets the unit of the logit scale).
    weighting : {"none", "benchmark", "benchmark-domain"}
        ``benchmark``: every benchmark gets the same total weight in the loss, whatever its
        number of scores; ``benchmark-domain``: every domain the same total weight, shared
        equally by its benchmarks.
    gap_method : str, optional
        The gap method of the preset's evaluator ("lag", "significance", "catch-up", "trend",
        "caisi-trend"); ``opengap gap`` uses it unless told otherwise.
    gap_by : str, optional
        The grouping of the preset's evaluator ("weights", "country", …), likewise.
    benchmark_domains : tuple of (benchmark, domain)
        Domains used by ``benchmark-domain`` weighting instead of the catalogue's (an
        evaluator's own domains); benchmarks not listed keep the catalogue's.
    task_logits_per_logit : float
        ``elo``/``elo10`` scales: task-level logits per fitted logit, so the points are per
        logit of one task's odds (an evaluator that fits tasks, like CAISI); 1 = per fitted
        logit. See :mod:`opengap.fit.task_scale`.
    """

    preset: str = "default"
    selection: str = "catalogue"
    benchmarks: tuple[str, ...] | None = None
    exclude_benchmarks: tuple[str, ...] = CATALOGUE_EXCLUDED
    normalize: bool = True
    group_versions: bool = True
    release_dated_groups: bool = False
    prefer_sources: tuple[str, ...] = ()
    clip_eps: float = 0.0
    min_benchmarks: int = 4
    min_models: int = 3
    start_date: date | None = None
    loss: str = "lsq"
    ridge: float = 0.1
    identification: str = "shift"
    pin_benchmark: str | None = None
    scale: str | None = None
    anchors: tuple[tuple[str, float], ...] = ()
    bootstrap: int = 200
    seed: int = 0
    init_scale: float = 0.1
    offsets: str | None = None
    cv_folds: int = 5
    poor_fit_rmse: float = 0.15
    common_slope: bool = False
    weighting: str = "none"
    gap_method: str | None = None
    gap_by: str | None = None
    benchmark_domains: tuple[tuple[str, str], ...] = ()
    task_logits_per_logit: float = 1.0
    explicit: tuple[str, ...] = field(default=(), compare=False)

    def validate(self) -> FitConfig:
        """Return self, or raise :class:`BadConfiguration` naming the first bad field."""
        checks: list[tuple[bool, str]] = [
            (self.selection in SELECTIONS, f"unknown selection {self.selection!r}"),
            (self.loss in LOSSES, f"unknown loss {self.loss!r} (choose from lsq, binomial)"),
            (
                self.identification in IDENTIFICATIONS,
                f"unknown identification {self.identification!r} (choose from shift, pin)",
            ),
            (
                self.scale is None or self.scale in SCALES,
                f"unknown scale {self.scale!r} (choose from {', '.join(SCALES)})",
            ),
            (self.ridge >= 0, f"ridge must be >= 0, got {self.ridge}"),
            (self.bootstrap >= 0, f"bootstrap must be >= 0, got {self.bootstrap}"),
            (self.min_benchmarks >= 1, f"min_benchmarks must be >= 1, got {self.min_benchmarks}"),
            (self.min_models >= 1, f"min_models must be >= 1, got {self.min_models}"),
            (self.cv_folds == 0 or self.cv_folds >= 2, "cv_folds must be 0 or at least 2"),
            (self.offsets in OFFSETS, f"unknown offsets {self.offsets!r} (choose harness)"),
            (self.init_scale >= 0, "init_scale must be >= 0"),
            (
                self.weighting in WEIGHTINGS,
                f"unknown weighting {self.weighting!r} (choose from {', '.join(WEIGHTINGS)})",
            ),
            (
                self.gap_method in GAP_METHODS,
                f"unknown gap method {self.gap_method!r} "
                f"(choose from {', '.join(str(m) for m in GAP_METHODS[1:])})",
            ),
            (
                self.gap_by in GAP_GROUPINGS,
                f"unknown gap grouping {self.gap_by!r} "
                f"(choose from {', '.join(str(g) for g in GAP_GROUPINGS[1:])})",
            ),
            (isinstance(self.common_slope, bool), "common_slope must be true or false"),
            (0.0 <= self.clip_eps < 0.5, f"clip_eps must be in [0, 0.5), got {self.clip_eps}"),
            (
                self.task_logits_per_logit > 0,
                f"task_logits_per_logit must be > 0, got {self.task_logits_per_logit}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise BadConfiguration(message)
        if self.identification == "shift" and self.ridge == 0:
            raise BadConfiguration(
                "identification 'shift' needs a ridge > 0 (without it the common shift of C and "
                "D is unidentified); use identification 'pin'"
            )
        if self.scale == "eci" and self.anchors and len(self.anchors) != 2:
            raise BadConfiguration(f"the eci scale needs two anchors, got {len(self.anchors)}")
        if self.scale in ("elo", "elo10") and len(self.anchors) > 1:
            raise BadConfiguration(
                f"the {self.scale} scale takes one anchor, got {len(self.anchors)}"
            )
        if self.scale == "raw" and self.anchors:
            raise BadConfiguration(
                "the raw scale takes no anchors; choose --scale eci, elo or elo10"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as JSON-friendly values."""
        data = asdict(self)
        data["start_date"] = self.start_date.isoformat() if self.start_date else None
        data["anchors"] = [[m, v] for m, v in self.anchors]
        data["benchmarks"] = list(self.benchmarks) if self.benchmarks is not None else None
        data["exclude_benchmarks"] = list(self.exclude_benchmarks)
        data["explicit"] = list(self.explicit)
        data["benchmark_domains"] = [[b, d] for b, d in self.benchmark_domains]
        data["prefer_sources"] = list(self.prefer_sources)
        return data


PRESETS: dict[str, FitConfig] = {
    "default": FitConfig(preset="default"),
    "eci": FitConfig(
        preset="eci",
        release_dated_groups=True,
        clip_eps=1e-3,
        start_date=date(2023, 1, 1),  # eci-public's dataloader: min_date="2023-01-01"
        min_models=1,
        pin_benchmark="winogrande",
        scale="eci",
        bootstrap=500,
    ),
    "epoch-stitching": FitConfig(
        preset="epoch-stitching",
        selection="epoch-stitching",
        exclude_benchmarks=(),
        normalize=False,
        group_versions=False,
        min_benchmarks=4,
        min_models=1,
        start_date=date(2022, 11, 1),
        pin_benchmark="winogrande",
        scale="raw",
        bootstrap=0,
        seed=42,
    ),
    "caisi": FitConfig(
        preset="caisi",
        benchmarks=CAISI_SUITE,
        prefer_sources=("CAISI",),  # CAISI's own runs, where a catalogue has them
        normalize=False,  # success rates on tasks, no chance correction
        # CAISI's IRT takes every model with results on part of its suite ("16 benchmarks
        # across 35 models"; partial runs are filled in through the model). Two benchmarks is
        # the least that leaves a model a residual to check; see docs/fit.md.
        min_benchmarks=2,
        min_models=3,
        pin_benchmark="gpqa-diamond",
        # CAISI states no penalty; on a scale of fixed points per logit a ridge would compress
        # every Elo difference, so the 1PL is identified by the pin alone.
        identification="pin",
        ridge=0.0,
        scale="elo",
        common_slope=True,
        weighting="benchmark-domain",
        benchmark_domains=CAISI_DOMAINS,
        task_logits_per_logit=CAISI_TASK_LOGITS,
        gap_method="caisi-trend",
        gap_by="country",
    ),
}


def resolve_config(preset: str = "default", **options: Any) -> FitConfig:
    """Return the preset's configuration with ``options`` (those not None) replacing its fields.

    Raises :class:`BadConfiguration` for an unknown preset or option, or a bad value.
    """
    if preset not in PRESETS:
        raise BadConfiguration(f"unknown preset {preset!r} (choose from {', '.join(PRESETS)})")
    names = {f.name for f in fields(FitConfig)}
    given = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(given) - names)
    if unknown:
        raise BadConfiguration(f"unknown fit option(s): {', '.join(unknown)}")
    if "anchors" in given:
        given["anchors"] = tuple((str(m), float(v)) for m, v in given["anchors"])
    if "benchmarks" in given:
        given["benchmarks"] = tuple(given["benchmarks"])
    if "benchmark_domains" in given:
        given["benchmark_domains"] = tuple((str(b), str(d)) for b, d in given["benchmark_domains"])
    config = replace(PRESETS[preset], **given, explicit=tuple(sorted(given)))
    return config.validate()
