"""Cross-check one catalogue against another source: which (model, benchmark) values agree.

``verify`` loads the left side (a directory or file in opengap's CSV format -- the bundled
snapshot by default -- or a store file) and the right side (any import KIND and PATH, read
through :func:`opengap.sources.read_path` into a throw-away in-memory store), matches the
right side's models and benchmarks to the left side's through the left side's aliases, and
compares the values of every (model, benchmark) pair both sides hold.

Policy, documented in ``docs/data.md``: where a side holds several scores for a pair (several
sources, settings, reasoning-effort versions that alias to one model, ...), the best (max)
value is compared, as ECI and opengap's fits do. Only fraction-valued benchmarks are compared.
Two values agree when they differ by at most ``tolerance`` (0.02, i.e. 2 points).

Against an evaluator that runs every model under its own harness (``artificial-analysis``, see
:data:`INDEPENDENT_KINDS`) a difference measures harnesses and settings, not transcription, so
the result also carries ``by_harness``: per benchmark and pair of harnesses, the number of
(model, benchmark) pairs and the median and mean difference (ours − theirs, in points) and the
share within the tolerance -- a description, not a verdict. For that table a right-hand model
whose id does not match is matched through its version group (``version_of``): Artificial
Analysis lists ``GPT-5.1 (high)`` as ``gpt-5.1-high``, a version of ``gpt-5.1``; each side's
best value per (model, benchmark, harness) is compared. Composite benchmarks (indices) are never
compared.

Best-versus-best mixes two questions: did we transcribe the publication right, and do
different evaluators agree? The result therefore also reports the *same-publication* pairs:
(model, benchmark) values that both sides attribute to the same publication (same source URL,
arXiv abs/pdf/version variants folded together). A publication can print one model's score on
one benchmark twice (0-shot and 10-shot, two tables); the question there is whether the other
side read *our* number in that publication, so our best value from it is compared with the
other side's value from it that is closest to ours. Disagreement there is then a transcription
error on one side, or a setting of that publication only one side keeps; disagreement
elsewhere is usually a difference of harness or setting.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from opengap import sources
from opengap.catalog import SNAPSHOT_DIR
from opengap.errors import BadArgument, MissingPath
from opengap.store import Store

#: The default agreement tolerance: 2 points on a 0-1 scale.
DEFAULT_TOLERANCE = 0.02
#: The name that stands for the snapshot bundled with opengap.
SNAPSHOT = "snapshot"
_EPSILON = 1e-9  # 0.885 - 0.865 must count as a 2-point difference, not 2.0000000000000018
_PAIR_COLUMNS = ["model_id", "benchmark_id", "ours", "theirs", "difference", "agree"]
#: Import kinds whose scores are independent runs under the evaluator's own harness: ``verify``
#: describes how they differ from the left side (``by_harness``) rather than judging agreement.
INDEPENDENT_KINDS = ("artificial-analysis", "arc-prize")
HARNESS_COLUMNS = [
    "benchmark_id", "benchmark", "our_harness", "their_harness", "pairs", "median_difference",
    "mean_difference", "within_tolerance",
]  # fmt: skip
_KEYS = ["model_id", "benchmark_id"]
_ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf|html)/(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?")


@dataclass
class Disagreement:
    """A (model, benchmark) pair whose two values differ by more than the tolerance."""

    model_id: str
    benchmark_id: str
    ours: float
    theirs: float

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one disagreement."""
        return {
            "model_id": self.model_id,
            "benchmark_id": self.benchmark_id,
            "ours": self.ours,
            "theirs": self.theirs,
        }


@dataclass
class VerifyResult:
    """The outcome of a comparison.

    Attributes
    ----------
    overlap : int
        Number of (model, benchmark) pairs both sides hold a value for.
    agree : int
        Number of those pairs whose best values differ by at most ``tolerance``.
    tolerance : float
        The agreement tolerance used, on the 0-1 scale.
    disagreements : list of Disagreement
        The other pairs, largest difference first. Ids are the left side's.
    pairs : pandas.DataFrame
        Every overlapping pair: model_id, model, benchmark_id, benchmark (the left side's
        names), ours, theirs, difference (ours −
        theirs), agree, and our_publication / their_publication, the publication keys of the
        two best values (see :func:`publication`).
    same_source : pandas.DataFrame
        The pairs both sides attribute to the same publication, compared within it: the
        columns of ``pairs`` plus ``publication`` (the normalised source URL). ``ours`` is our
        best value from that publication, ``theirs`` the other side's value from it that is
        closest to ours.
    by_harness : pandas.DataFrame
        Per benchmark (its id and the left side's name) and pair of harnesses
        (:data:`HARNESS_COLUMNS`): the number of pairs, median and mean difference in points
        (ours − theirs) and the share of pairs within the tolerance.
    """

    overlap: int
    agree: int
    tolerance: float
    disagreements: list[Disagreement] = field(default_factory=list)
    pairs: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=[*_PAIR_COLUMNS, "our_publication", "their_publication"]
        )
    )
    same_source: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=[*_PAIR_COLUMNS, "publication"])
    )
    by_harness: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HARNESS_COLUMNS))

    @property
    def agreement(self) -> float:
        """Share of overlapping pairs that agree (0.0 when nothing overlaps)."""
        return self.agree / self.overlap if self.overlap else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape printed by ``opengap verify --json``."""
        same = self.same_source
        return {
            "overlap": self.overlap,
            "agree": self.agree,
            "tolerance": self.tolerance,
            "disagreements": [d.to_dict() for d in self.disagreements],
            "same_source": {
                "overlap": len(same),
                "agree": int(same["agree"].sum()),
                "disagreements": [d.to_dict() for d in _disagreements(same)],
            },
            "by_harness": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in self.by_harness.to_dict(orient="records")
            ],
        }


def verify(
    left: str | Path,
    kind: str,
    path: str | Path,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> VerifyResult:
    """Compare the scores of ``left`` with those an import of ``kind`` reads from ``path``.

    Parameters
    ----------
    left : str or Path
        ``"snapshot"`` (the bundled snapshot), a directory or file in opengap's CSV format, or
        a store file.
    kind : str
        The import kind of the right side (``epoch-hub``, ``csv``, ...).
    path : str or Path
        The file or directory to read as ``kind``.
    tolerance : float
        Largest difference (on the 0-1 scale) that still counts as agreement.

    Returns
    -------
    VerifyResult
        Overlap, agreement and the disagreeing pairs.

    Raises
    ------
    BadArgument
        A negative or non-finite tolerance.
    MissingPath, UnknownKind, MalformedFile, OpengapError
        A side that does not exist or cannot be read (a left file that is neither CSV nor a
        store).

    Examples
    --------
    >>> hub = "../shared/data/epoch-benchmarking-hub"
    >>> result = verify("snapshot", "epoch-hub", hub)  # doctest: +SKIP
    >>> result.overlap, result.agree  # doctest: +SKIP
    (226, 137)
    """
    if not tolerance >= 0 or tolerance == float("inf"):
        raise BadArgument(f"tolerance must be a non-negative number, not {tolerance}")
    target = _left_path(left)
    batch = sources.read_path(kind, path)
    with _left_store(target) as ours, _memory_store() as theirs:
        theirs.apply_batch(batch)
        their_scores = _fraction_scores(theirs)
        mapping = _match(ours, theirs, their_scores)
        grouped = _match(ours, theirs, their_scores, groups=True)
        our_scores = _fraction_scores(ours)
        names = _names(ours)
    by_harness = _harness_table(
        our_scores,
        their_scores.assign(
            model_id=their_scores["model_id"].map(grouped["model"]),
            benchmark_id=their_scores["benchmark_id"].map(grouped["benchmark"]),
        ),
        tolerance,
    )
    their_scores = their_scores.assign(
        model_id=their_scores["model_id"].map(mapping["model"]),
        benchmark_id=their_scores["benchmark_id"].map(mapping["benchmark"]),
    ).dropna(subset=_KEYS)
    pairs = _compare(_best(our_scores, _KEYS), _best(their_scores, _KEYS), _KEYS, tolerance)
    by_source = [*_KEYS, "publication"]
    our_best = _best(our_scores, by_source)
    same = _compare(our_best, _closest(their_scores, our_best, by_source), by_source, tolerance)
    for frame in (pairs, same):
        frame.insert(1, "model", frame["model_id"].map(names["model"]))
        frame.insert(3, "benchmark", frame["benchmark_id"].map(names["benchmark"]))
    by_harness.insert(1, "benchmark", by_harness["benchmark_id"].map(names["benchmark"]))
    return VerifyResult(
        overlap=len(pairs),
        agree=int(pairs["agree"].sum()),
        tolerance=tolerance,
        disagreements=_disagreements(pairs),
        pairs=pairs,
        same_source=same,
        by_harness=by_harness,
    )


def _harness_table(ours: pd.DataFrame, theirs: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Return the differences per benchmark and pair of harnesses (:data:`HARNESS_COLUMNS`)."""
    keys = [*_KEYS, "harness"]
    sides = []
    for frame in (ours, theirs):
        frame = frame.dropna(subset=_KEYS).assign(harness=frame["harness"].fillna("unknown"))
        best = frame.sort_values("value", ascending=False, kind="stable").drop_duplicates(keys)
        sides.append(best[[*keys, "value"]])
    pairs = sides[0].merge(sides[1], on=_KEYS, suffixes=("_ours", "_theirs"))
    if pairs.empty:  # (the benchmark's name is added by verify)
        return pd.DataFrame(columns=[c for c in HARNESS_COLUMNS if c != "benchmark"])
    pairs["difference"] = (pairs["value_ours"] - pairs["value_theirs"]) * 100.0
    pairs["within"] = pairs["difference"].abs() <= tolerance * 100.0 + _EPSILON * 100.0
    table = (
        pairs.groupby(["benchmark_id", "harness_ours", "harness_theirs"])
        .agg(
            pairs=("difference", "size"),
            median_difference=("difference", "median"),
            mean_difference=("difference", "mean"),
            within_tolerance=("within", "mean"),
        )
        .reset_index()
        .rename(columns={"harness_ours": "our_harness", "harness_theirs": "their_harness"})
    )
    return table.sort_values(["benchmark_id", "our_harness", "their_harness"], ignore_index=True)


def _best(scores: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Return the best (max) value per group of ``keys`` and the publication it comes from.

    Where several publications give the best value, the first by name is kept, so the answer
    does not depend on row order.
    """
    frame = scores.dropna(subset=keys).sort_values(
        [*keys, "value", "publication"],
        ascending=[*([True] * len(keys)), False, True],
        na_position="last",
    )
    columns = [*keys, "value", *(["publication"] if "publication" not in keys else [])]
    return frame.drop_duplicates(keys)[columns].reset_index(drop=True)


def _closest(theirs: pd.DataFrame, ours: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Return, per group of ``keys`` that ``ours`` holds, the value of ``theirs`` closest to ours.

    Ties go to the larger value, so the answer does not depend on row order.
    """
    frame = theirs.dropna(subset=keys)[[*keys, "value"]].merge(
        ours[[*keys, "value"]], on=keys, suffixes=("", "_ours")
    )
    frame["distance"] = (frame["value"] - frame["value_ours"]).abs()
    frame = frame.sort_values(
        [*keys, "distance", "value"], ascending=[*([True] * len(keys)), True, False]
    )
    return frame.drop_duplicates(keys)[[*keys, "value"]].reset_index(drop=True)


def _compare(
    ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str], tolerance: float
) -> pd.DataFrame:
    pairs = ours.merge(theirs, on=keys, suffixes=("", "_r"))
    names = {"value": "ours", "value_r": "theirs", "publication_r": "their_publication"}
    if "publication" not in keys:
        names["publication"] = "our_publication"
    pairs = pairs.rename(columns=names)
    pairs["difference"] = pairs["ours"] - pairs["theirs"]
    pairs["agree"] = pairs["difference"].abs() <= tolerance + _EPSILON
    publication_columns = ["publication", "our_publication", "their_publication"]
    columns = [*_PAIR_COLUMNS, *[c for c in publication_columns if c in pairs.columns]]
    return pairs[columns].sort_values(keys, ignore_index=True)


def _disagreements(pairs: pd.DataFrame) -> list[Disagreement]:
    """Return the pairs that do not agree, largest difference first."""
    off = pairs[~pairs["agree"].astype(bool)]
    off = off.loc[off["difference"].abs().sort_values(ascending=False, kind="stable").index]
    return [
        Disagreement(str(m), str(b), float(o), float(t))
        for m, b, o, t in zip(
            off["model_id"], off["benchmark_id"], off["ours"], off["theirs"], strict=True
        )
    ]


def publication(url: str | None) -> str | None:
    """Return the key under which two source URLs name the same publication.

    Scheme, ``www.``, query, fragment and trailing slash are dropped and arXiv links are
    folded to ``arxiv.org/abs/<id>`` (abs, pdf, html and versions alike).

    >>> publication("http://arxiv.org/pdf/2412.19437v2.pdf")
    'arxiv.org/abs/2412.19437'
    """
    if not url or not url.strip():
        return None
    text = url.strip().lower()
    arxiv = _ARXIV.search(text)
    if arxiv:
        return f"arxiv.org/abs/{arxiv.group(1)}"
    text = re.sub(r"^[a-z]+://", "", text)
    text = re.sub(r"^www\.", "", text)
    text = re.split(r"[?#]", text, maxsplit=1)[0]
    return text.rstrip("/") or None


@contextmanager
def _memory_store() -> Iterator[Store]:
    store = Store(":memory:")
    try:
        yield store
    finally:
        store.close()


def _left_path(left: str | Path) -> Path:
    """Return the path of the left side (``snapshot`` is the bundled snapshot directory)."""
    target = Path(left)
    if str(left) == SNAPSHOT and not target.exists():
        target = SNAPSHOT_DIR
    if not target.exists():
        raise MissingPath(f"{left}: no such file or directory")
    return target


@contextmanager
def _left_store(target: Path) -> Iterator[Store]:
    """Yield a store holding the left side: a CSV import in memory, or an existing store file."""
    if target.is_dir() or target.suffix.lower() == ".csv":
        with _memory_store() as store:
            store.apply_batch(sources.read_path("csv", target))
            yield store
        return
    store = Store(target, read_only=True)  # raises a one-line error for a non-store file
    try:
        yield store
    finally:
        store.close()


def _names(store: Store) -> dict[str, dict[str, str]]:
    """Return the left side's display names: ``model`` and ``benchmark`` id -> name."""
    out: dict[str, dict[str, str]] = {}
    for what, table in (("model", "models"), ("benchmark", "benchmarks")):
        frame = store.query(f"SELECT {what}_id AS id, coalesce(name, {what}_id) AS name "
                            f"FROM {table}")  # fmt: skip
        out[what] = dict(zip(frame["id"].astype(str), frame["name"].astype(str), strict=True))
    return out


def _fraction_scores(store: Store) -> pd.DataFrame:
    """Return every score of a fraction-valued benchmark, with its publication key."""
    frame = store.query(
        "SELECT s.model_id, s.benchmark_id, s.value, s.source_url, s.harness FROM scores s "
        "JOIN benchmarks b USING (benchmark_id) "
        "WHERE coalesce(b.is_fraction, TRUE) AND NOT coalesce(b.composite, FALSE) "
        "AND s.value IS NOT NULL"
    )
    frame["publication"] = [
        publication(u) if isinstance(u, str) else None for u in frame["source_url"]
    ]
    return frame.drop(columns="source_url")


def _match(
    ours: Store, theirs: Store, their_scores: pd.DataFrame, *, groups: bool = False
) -> dict[str, dict[str, str]]:
    """Map the right side's model and benchmark ids to the left side's, through aliases.

    A right-hand model matches by its id only (an epoch-hub id is a version id such as
    ``gpt-4o-2024-08-06``; list it among the left model's aliases): display and group names
    are too loose ("Gemma 2 9B" names both the base and the instruction-tuned model). With
    ``groups``, a model whose id does not match is matched through its ``version_of``. A
    benchmark matches by its id, then by each of its names on the right side.
    """
    mapping: dict[str, dict[str, str]] = {"model": {}, "benchmark": {}}
    group_of: dict[str, str] = {}
    if groups:
        rows = theirs.query("SELECT model_id, version_of FROM models WHERE version_of IS NOT NULL")
        group_of = dict(
            zip(rows["model_id"].astype(str), rows["version_of"].astype(str), strict=True)
        )
    for ident in their_scores["model_id"].unique():
        found = ours.resolve("model", str(ident))
        if found is None and str(ident) in group_of:
            found = ours.resolve("model", group_of[str(ident)])
        if found is not None:
            mapping["model"][str(ident)] = found
    names = theirs.query(
        "SELECT target_id, alias FROM aliases WHERE kind = 'benchmark' ORDER BY priority, alias"
    )
    aliases: dict[str, list[str]] = {}
    for target, alias in names.itertuples(index=False):
        aliases.setdefault(str(target), []).append(str(alias))
    for ident in their_scores["benchmark_id"].unique():
        for name in [str(ident), *aliases.get(str(ident), [])]:
            found = ours.resolve("benchmark", name)
            if found is not None:
                mapping["benchmark"][str(ident)] = found
                break
    return mapping
