"""The store's DDL, one list of statements per schema version, and the migration runner."""

from __future__ import annotations

import duckdb

from opengap.errors import SchemaVersionError

SCHEMA_VERSION = 2

_V1 = [
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE imports (
        import_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, path VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL, options VARCHAR NOT NULL DEFAULT '',
        rows_read INTEGER, rows_accepted INTEGER, rows_rejected INTEGER,
        imported_at TIMESTAMP, opengap_version VARCHAR)""",
    """CREATE TABLE models (
        model_id VARCHAR PRIMARY KEY, name VARCHAR, organization VARCHAR, country VARCHAR,
        release_date DATE, weights VARCHAR, license VARCHAR, license_class VARCHAR,
        params_total_b DOUBLE, params_active_b DOUBLE, base_model_id VARCHAR,
        reasoning BOOLEAN, training_compute_flop DOUBLE, version_of VARCHAR, notes VARCHAR,
        import_id INTEGER)""",
    """CREATE TABLE aliases (
        kind VARCHAR NOT NULL, alias_key VARCHAR NOT NULL, target_id VARCHAR NOT NULL,
        alias VARCHAR, priority INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (kind, alias_key))""",
    """CREATE TABLE benchmarks (
        benchmark_id VARCHAR PRIMARY KEY, name VARCHAR, domain VARCHAR, n_items INTEGER,
        chance DOUBLE, ceiling DOUBLE, public BOOLEAN, url VARCHAR, is_fraction BOOLEAN,
        release_date DATE, import_id INTEGER)""",
    """CREATE TABLE scores (
        score_key VARCHAR PRIMARY KEY, model_id VARCHAR NOT NULL, benchmark_id VARCHAR NOT NULL,
        value DOUBLE NOT NULL, value_text VARCHAR, normalized DOUBLE, stderr DOUBLE,
        n_items INTEGER, harness VARCHAR, setting VARCHAR, eval_date DATE, source VARCHAR,
        source_url VARCHAR, source_ref VARCHAR, trusted BOOLEAN, model_ref VARCHAR,
        import_id INTEGER)""",
    """CREATE TABLE responses (
        model_id VARCHAR NOT NULL, benchmark_id VARCHAR NOT NULL, item_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL, import_id INTEGER, PRIMARY KEY (model_id, benchmark_id, item_id))""",
    """CREATE TABLE downloads (
        model_id VARCHAR NOT NULL, date DATE NOT NULL, cumulative_downloads BIGINT NOT NULL,
        source VARCHAR NOT NULL DEFAULT '', import_id INTEGER,
        PRIMARY KEY (model_id, date, source))""",
    """CREATE TABLE fits (
        fit_id VARCHAR PRIMARY KEY, created_at TIMESTAMP, preset VARCHAR, scale VARCHAR,
        config JSON, provenance JSON, summary JSON, draws BLOB)""",
    """CREATE TABLE capabilities (
        fit_id VARCHAR NOT NULL, model_id VARCHAR NOT NULL, capability DOUBLE,
        capability_raw DOUBLE, ci_low DOUBLE, ci_high DOUBLE, se_laplace DOUBLE,
        n_benchmarks INTEGER, is_anchor BOOLEAN, PRIMARY KEY (fit_id, model_id))""",
    """CREATE TABLE benchmark_params (
        fit_id VARCHAR NOT NULL, benchmark_id VARCHAR NOT NULL, difficulty DOUBLE,
        difficulty_raw DOUBLE, slope DOUBLE, n_observations INTEGER,
        PRIMARY KEY (fit_id, benchmark_id))""",
]

# Version 2: prices; item-level responses keep the harness they were run under (the same task
# under two harnesses is two responses) and, where a source gives them, cost and API calls.
_V2 = [
    """CREATE TABLE prices (
        model_id VARCHAR NOT NULL, date DATE NOT NULL, source VARCHAR NOT NULL DEFAULT '',
        input_usd_per_m DOUBLE, output_usd_per_m DOUBLE, blended_usd_per_m DOUBLE,
        import_id INTEGER, PRIMARY KEY (model_id, date, source))""",
    """CREATE TABLE responses_v2 (
        model_id VARCHAR NOT NULL, benchmark_id VARCHAR NOT NULL, item_id VARCHAR NOT NULL,
        harness VARCHAR NOT NULL DEFAULT '', score DOUBLE NOT NULL, cost DOUBLE,
        api_calls INTEGER, import_id INTEGER,
        PRIMARY KEY (model_id, benchmark_id, item_id, harness))""",
    "INSERT INTO responses_v2 SELECT model_id, benchmark_id, item_id, '', score, NULL, NULL, "
    "import_id FROM responses",
    "DROP TABLE responses",
    "ALTER TABLE responses_v2 RENAME TO responses",
    # Composite benchmarks (indices over other benchmarks) are kept out of fits by default;
    # a score may carry the evaluator's cost per task (ARC Prize publishes one per run).
    "ALTER TABLE benchmarks ADD COLUMN composite BOOLEAN",
    "ALTER TABLE scores ADD COLUMN cost_per_task_usd DOUBLE",
    # Item-level fits live apart from benchmark-level ones (``fits``), so the latest
    # benchmark-level fit stays what ``opengap gap`` uses.
    """CREATE TABLE item_fits (
        fit_id VARCHAR PRIMARY KEY, created_at TIMESTAMP, model VARCHAR, config JSON,
        provenance JSON, summary JSON)""",
    """CREATE TABLE item_abilities (
        fit_id VARCHAR NOT NULL, unit VARCHAR NOT NULL, model_id VARCHAR, ability DOUBLE,
        ability_se DOUBLE, ci_low DOUBLE, ci_high DOUBLE, capability DOUBLE, n_responses INTEGER,
        PRIMARY KEY (fit_id, unit))""",
    """CREATE TABLE item_params (
        fit_id VARCHAR NOT NULL, benchmark_id VARCHAR NOT NULL, item_id VARCHAR NOT NULL,
        difficulty DOUBLE, discrimination DOUBLE, floor DOUBLE, infit DOUBLE, outfit DOUBLE,
        n_responses INTEGER, PRIMARY KEY (fit_id, benchmark_id, item_id))""",
    # Model facts with provenance: each source's value of each fact (opengap.store.facts).
    """CREATE TABLE model_facts (
        model_id VARCHAR NOT NULL, field VARCHAR NOT NULL, source VARCHAR NOT NULL,
        value VARCHAR NOT NULL, import_id INTEGER, PRIMARY KEY (model_id, field, source))""",
]

MIGRATIONS: dict[int, list[str]] = {1: _V1, 2: _V2}

TABLES = (
    "imports",
    "models",
    "aliases",
    "benchmarks",
    "scores",
    "responses",
    "downloads",
    "prices",
    "item_fits",
    "item_abilities",
    "item_params",
    "model_facts",
    "fits",
    "capabilities",
    "benchmark_params",
)


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version recorded in the store, 0 for a new (empty) file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()
    if exists[0][0] == 0:
        return 0
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def migrate(con: duckdb.DuckDBPyConnection, path: str) -> int:
    """Bring the store to :data:`SCHEMA_VERSION` in one transaction; return the version."""
    version = current_version(con)
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{path}: store schema version {version} is newer than this opengap "
            f"understands ({SCHEMA_VERSION}); upgrade opengap"
        )
    if version == SCHEMA_VERSION:
        return version
    con.begin()
    try:
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                con.execute(statement)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.commit()
    except Exception:
        con.rollback()
        raise
    return SCHEMA_VERSION
