"""Model facts with provenance: which source says what, and the precedence that picks one value.

Every import that describes a model writes each fact it gives (weights, licence, country, ...)
to ``model_facts`` under its source: the import kind, or ``curated`` for the catalogue that ships
with opengap. The value shown in ``models`` is then chosen per field by :data:`PRECEDENCE`, so it
is the same whatever order the imports ran in. A dated or effort version (``version_of``) also
sees the facts of the model it is a version of, ranked as the source that gave them, after the
version's own facts of the same rank. docs/data.md ("Which source wins") explains the order.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from typing import Any

import duckdb
import pandas as pd

from opengap.names import alias_key, canonical_country, canonical_key
from opengap.store import staging

#: The model facts that keep their source, with their column type in ``models``.
FACT_FIELDS: dict[str, str] = {
    "name": "VARCHAR", "organization": "VARCHAR", "country": "VARCHAR", "release_date": "DATE",
    "weights": "VARCHAR", "license": "VARCHAR", "license_class": "VARCHAR",
    "params_total_b": "DOUBLE", "params_active_b": "DOUBLE", "reasoning": "BOOLEAN",
}  # fmt: skip

#: The facts a dated or effort version shares with the model it is a version of (its date,
#: name, size and licence text are its own: ``deepseek-v3-0324`` is MIT, ``deepseek-v3`` not).
INHERITED_FIELDS = ("weights", "license_class", "organization", "country")

CURATED = "curated"
_USER = ["csv"]  # the user's own hand-written data: an explicit statement, it wins
_LEADERBOARDS = [
    "artificial-analysis", "arc-prize", "epoch-hub", "epoch-open-report",
    "open-llm-leaderboard", "lm-eval",
]  # fmt: skip
_OPEN_FIRST = ["atom-models", "epoch-models", "helm-models"]
_ORG_FIRST = ["epoch-models", "helm-models", "atom-models"]

#: field -> sources in order of precedence (first wins); a source not listed ranks last.
PRECEDENCE: dict[str, list[str]] = {
    "weights": [*_USER, CURATED, *_OPEN_FIRST, *_LEADERBOARDS],
    "license_class": [*_USER, CURATED, *_OPEN_FIRST, *_LEADERBOARDS],
    "license": [*_USER, CURATED, *_OPEN_FIRST, *_LEADERBOARDS],
    "params_total_b": [*_USER, CURATED, *_OPEN_FIRST, *_LEADERBOARDS],
    "params_active_b": [*_USER, CURATED, *_OPEN_FIRST, *_LEADERBOARDS],
    "release_date": [*_USER, CURATED, "atom-models", "epoch-models", "helm-models",
                     *_LEADERBOARDS],
    "country": [*_USER, CURATED, *_ORG_FIRST, *_LEADERBOARDS],
    "organization": [*_USER, CURATED, *_ORG_FIRST, *_LEADERBOARDS],
    "reasoning": [*_USER, CURATED, *_ORG_FIRST, *_LEADERBOARDS],
    "name": [*_USER, CURATED, *_ORG_FIRST, *_LEADERBOARDS],
}  # fmt: skip
_RELATIVE_TOLERANCE = 0.01  # parameter counts within 1% are the same fact (rounding)


def rank(field: str, source: str) -> int:
    """Return the precedence rank of ``source`` for ``field`` (0 is the highest)."""
    order = PRECEDENCE[field]
    return order.index(source) if source in order else len(order)


def encode(field: str, value: Any) -> str | None:
    """Return a fact as the text stored in ``model_facts`` (None for unknown)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if field == "country":
        return canonical_country(str(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    text = str(value).strip()
    return text or None


def same(field: str, a: str, b: str) -> bool:
    """Return True when two stored values of ``field`` state the same fact."""
    if FACT_FIELDS[field] == "DOUBLE":
        x, y = float(a), float(b)
        return abs(x - y) <= _RELATIVE_TOLERANCE * max(abs(x), abs(y))
    if field == "name":
        return canonical_key(a) == canonical_key(b)
    if field == "organization":  # "Mistral AI" = "mistralai" (a Hugging Face namespace)
        return alias_key(a) == alias_key(b)
    if FACT_FIELDS[field] == "VARCHAR":
        return a.casefold() == b.casefold()
    return a == b


def write_facts(
    con: duckdb.DuckDBPyConnection,
    rows: Iterable[tuple[str, dict[str, Any]]],
    source: str,
    import_id: int,
    *,
    fill_only: bool = False,
) -> None:
    """Record the facts of (model_id, {field: value}) rows as given by ``source``.

    Each model appears once in ``rows`` (the items of a dict by model id). With ``fill_only``
    (a later part of one streamed import), facts this source already gave are kept and only
    missing ones are added. Facts are written in statements of :data:`FACT_ROWS`, so a part
    of many models never holds all its facts as Python objects at once.
    """
    on_conflict = ("DO NOTHING" if fill_only
                   else "DO UPDATE SET value = excluded.value, import_id = excluded.import_id")
    sql = ("INSERT INTO model_facts SELECT * FROM _fact_df "
           "ON CONFLICT (model_id, field, source) " + on_conflict)  # fmt: skip
    stated: list[tuple[str, str, str, str, int]] = []
    for model_id, data in rows:
        for field in FACT_FIELDS:
            value = encode(field, data.get(field))
            if value is not None:
                stated.append((model_id, field, source, value, import_id))
        if len(stated) >= FACT_ROWS:
            _insert_facts(con, sql, stated)
            stated = []
    if stated:
        _insert_facts(con, sql, stated)


FACT_ROWS = 50_000
"""Facts written per statement by :func:`write_facts`."""


def _insert_facts(
    con: duckdb.DuckDBPyConnection, sql: str, stated: list[tuple[str, str, str, str, int]]
) -> None:
    frame = staging.table(["model_id", "field", "source", "value", "import_id"], stated)
    with staging.registered(con, "_fact_df", frame):
        con.execute(sql)


def candidates(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return every fact each model sees, ranked: its own and those of its ``version_of``.

    Columns: model_id, field, source, value, import_id, inherited_from (None for own facts),
    rank; sorted so the first row of each (model_id, field) is the value shown.
    """
    frame = con.execute(
        f"SELECT * EXCLUDE (inherited) FROM ({_ranked_sql(con)}) ORDER BY {_ORDER}"
    ).df()
    return frame.reset_index(drop=True)


def families(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Return model -> the model whose family facts it shares (see :data:`INHERITED_FIELDS`).

    That is its ``version_of`` where it has one, else the model whose id is its own id without
    an organisation prefix, effort suffix, quantisation tag or ``-Instruct``
    (``chutes/GLM-4.5-FP8`` and ``DeepSeek-V3.2-Exp_thinking`` share the facts of ``glm-4.5``
    and ``deepseek-v3.2-exp``). It depends only on the ids, so not on the import order.
    """
    rows = con.execute(_families_sql(con)).fetchall()
    return {str(model_id): str(target) for model_id, target in rows}


def refresh_models(con: duckdb.DuckDBPyConnection) -> None:
    """Set every fact column of ``models`` to the value :data:`PRECEDENCE` picks.

    A column no source states a fact for keeps what it holds (stores written before facts had
    sources keep their values). Runs the steps of :func:`refresh_steps` in the open
    transaction.
    """
    for step in refresh_steps(con):
        step()


REFRESH_FACTS = 200_000
"""Facts ranked per statement by :func:`refresh_steps` (bounds the memory of the ranking)."""


def refresh_steps(con: duckdb.DuckDBPyConnection) -> list[Callable[[], None]]:
    """Return the statements of :func:`refresh_models`, to run in order.

    The families are worked out once, into a temporary table; then the models are refreshed
    in buckets of their ids' hashes, about :data:`REFRESH_FACTS` facts each, so no statement
    ranks every fact of a large store at once: ranking all the facts of a 340,000-model store
    in one statement took 600 MB. An import through a copy commits each step
    (:meth:`opengap.store.core.Store._step`). Each is one SQL statement in DuckDB (no copy of
    the facts in Python).
    """
    count = int(con.execute("SELECT count(*) FROM model_facts").fetchall()[0][0])
    buckets = max(1, -(-count // REFRESH_FACTS))
    return [
        partial(_make_families, con),
        *(partial(_refresh_bucket, con, buckets, i) for i in range(buckets)),
        partial(_drop_families, con),
    ]


_FAMILIES = "og_families"  # the temporary table of (model_id, inherited_from)


def _make_families(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_FAMILIES} AS {_families_sql(con)}")


def _drop_families(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS temp.{_FAMILIES}")


def _refresh_bucket(con: duckdb.DuckDBPyConnection, buckets: int, bucket: int) -> None:
    picks = ", ".join(
        f"any_value(value) FILTER (WHERE field = '{f}') AS {f}" for f in FACT_FIELDS
    )
    sets = ", ".join(
        f"{f} = coalesce(CAST(d.{f} AS {t}), models.{f})" for f, t in FACT_FIELDS.items()
    )
    # only rows whose shown value changes are written (most keep the value they were inserted
    # with): updating every model took 4x as long on a large import
    changed = " OR ".join(
        f"(d.{f} IS NOT NULL AND CAST(d.{f} AS {t}) IS DISTINCT FROM models.{f})"
        for f, t in FACT_FIELDS.items()
    )
    ranked = _ranked_sql(con, f"temp.{_FAMILIES}", f"hash(model_id) % {buckets} = {bucket}")
    con.execute(
        f"UPDATE models SET {sets} FROM (SELECT model_id, {picks} FROM ("
        f"SELECT model_id, field, value FROM ({ranked}) "
        f"QUALIFY row_number() OVER (PARTITION BY model_id, field ORDER BY {_ORDER}) = 1"
        f") GROUP BY model_id) d WHERE d.model_id = models.model_id AND ({changed})"
    )


#: The order of a model's candidate values of one field: the first is shown.
_ORDER = "model_id, field, rank, inherited, source, import_id DESC"


def register_names(con: duckdb.DuckDBPyConnection) -> None:
    """Make :func:`alias_key` and :func:`canonical_key` callable from SQL on ``con`` (once).

    Called when a connection opens, outside any transaction: a function made inside one that
    is rolled back leaves the name taken on the connection and gone from its catalogue.
    """
    known = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'og_alias_key'"
    ).fetchall()[0][0]
    if known:
        return
    for name, function in (("og_alias_key", _sql_alias_key),
                           ("og_canonical_key", _sql_canonical_key)):  # fmt: skip
        # another thread's connection to the same file may have made it since the check
        with contextlib.suppress(duckdb.CatalogException):
            con.create_function(name, function, ["VARCHAR"], "VARCHAR")


def _sql_alias_key(text: str) -> str:
    return alias_key(text)


def _sql_canonical_key(text: str) -> str:
    return canonical_key(text)


def _families_sql(con: duckdb.DuckDBPyConnection) -> str:
    """SQL of (model_id, inherited_from): each model whose family facts another one holds."""
    register_names(con)
    return (
        "SELECT m.model_id, CASE WHEN v.model_id IS NOT NULL THEN m.version_of "
        "ELSE b.target END AS inherited_from FROM models m "
        "LEFT JOIN models v ON v.model_id = m.version_of "
        "LEFT JOIN (SELECT og_alias_key(model_id) AS k, max(model_id) AS target FROM models "
        "GROUP BY 1) b ON b.k = og_canonical_key(m.model_id) "
        "WHERE inherited_from IS NOT NULL AND inherited_from <> m.model_id"
    )


def _ranked_sql(
    con: duckdb.DuckDBPyConnection, families: str | None = None, where: str = "true"
) -> str:
    """SQL of every candidate fact with its rank (see :func:`candidates`): of the models
    that satisfy ``where`` (an SQL condition on ``model_id``), with the families read from
    the table ``families`` (default: worked out in the statement)."""
    families = families or f"({_families_sql(con)})"
    ranks = ", ".join(
        f"('{f}', '{s}', {i})" for f, order in PRECEDENCE.items() for i, s in enumerate(order)
    )
    lasts = ", ".join(f"('{f}', {len(order)})" for f, order in PRECEDENCE.items())
    inherited = ", ".join(f"'{f}'" for f in INHERITED_FIELDS)
    return (
        "SELECT c.model_id, c.field, c.source, c.value, c.import_id, c.inherited_from, "
        "coalesce(p.rank, d.last) AS rank, c.inherited_from IS NOT NULL AS inherited FROM ("
        "SELECT model_id, field, source, value, import_id, CAST(NULL AS VARCHAR) "
        f"AS inherited_from FROM model_facts WHERE {where} UNION ALL "
        "SELECT fa.model_id, f.field, f.source, f.value, f.import_id, fa.inherited_from "
        f"FROM (SELECT * FROM {families} WHERE {where}) fa "
        "JOIN model_facts f ON f.model_id = fa.inherited_from "
        f"WHERE f.field IN ({inherited})) c "
        f"JOIN (VALUES {lasts}) d(field, last) ON d.field = c.field "
        f"LEFT JOIN (VALUES {ranks}) p(field, source, rank) "
        "ON p.field = c.field AND p.source = c.source"
    )


def conflicts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return every disagreement: the value shown and each differing value of another source.

    The values compared are those stated for the model itself, and the value shown where it
    reaches the model as the one it is a version of (its label says ``via``). Columns:
    model_id, field, value, source, other_value, other_source.
    """
    ranked = candidates(con)
    columns = ["model_id", "field", "value", "source", "other_value", "other_source"]
    rows: list[tuple[Any, ...]] = []
    for (model_id, field), group in ranked.groupby(["model_id", "field"], sort=True):
        first = group.iloc[0]
        seen: set[str] = set()
        for other in group.iloc[1:].itertuples(index=False):
            if isinstance(other.inherited_from, str) or other.source in seen:
                continue  # a fact of the model this one is a version of, not of this one
            if same(str(field), str(first.value), str(other.value)):
                continue
            seen.add(str(other.source))
            rows.append((model_id, field, first.value, _label(first), other.value, other.source))
    return pd.DataFrame(rows, columns=columns)


def _label(row: Any) -> str:
    source = str(row.source)
    inherited = row.inherited_from
    return source if inherited is None or pd.isna(inherited) else f"{source} (via {inherited})"
