"""The dbt project is not tied to PostgreSQL (docs/decisions/scale-out.md): it compiles for a second adapter, and
its SQL keeps to standard SQL and dbt's cross-database macros outside the switches made for the purpose.

1. `dbt compile` of the whole project with dbt-duckdb (an in-process engine, so the test needs no server): every
   model, seed and test renders and the introspective queries of the incremental models run.
2. A scan of the models' and macros' SQL (comments aside) for PostgreSQL dialect that other engines lack: only
   macros/postgres_index.sql (indexes, rendered on PostgreSQL only), macros/type_exact_numeric.sql and
   macros/reconciliation/text_words.sql and macros/credit_risk/write_off_approver_count.sql (splitting a text
   into rows, dispatched by adapter) may hold any.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"

# PostgreSQL dialect with no counterpart of the same spelling on Trino, Spark, Snowflake or BigQuery. A dbt macro of
# the same name (dbt.generate_series, dbt.bool_or) is the cross-database way, so a leading "dbt." is allowed.
POSTGRES_ONLY = {
    "generate_series": r"(?<![.\w])generate_series\s*\(",
    "lateral join": r"\blateral\b",
    "text type": r"\bas\s+text\b",
    "unbounded numeric": r"\bas\s+numeric\b",
    ":: cast": r"::",
    "ilike": r"\bilike\b",
    "string_agg": r"(?<![.\w])string_agg\s*\(",
    "bool_or": r"(?<![.\w])bool_or\s*\(",
    "on conflict": r"\bon\s+conflict\b",
    "create index": r"\bcreate\s+index\b",
    "distinct on": r"\bdistinct\s+on\b",
    "interval literal": r"\binterval\s+'",
    "regexp_split_to_array": r"\bregexp_split_to_array\s*\(",
}
SWITCHES = {
    "macros/postgres_index.sql",
    "macros/type_exact_numeric.sql",
    "macros/reconciliation/text_words.sql",
    "macros/credit_risk/write_off_approver_count.sql",
}


def _sql_without_comments(path: Path) -> str:
    text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)
    return re.sub(r"--[^\n]*", "", text).lower()


def test_models_and_macros_keep_to_standard_sql_and_dbt_cross_database_macros() -> None:
    files = sorted([*(DBT_PROJECT / "models").rglob("*.sql"), *(DBT_PROJECT / "macros").rglob("*.sql")])
    assert len(files) > 40
    found = {
        (str(path.relative_to(DBT_PROJECT)), name)
        for path in files
        for name, pattern in POSTGRES_ONLY.items()
        if re.search(pattern, _sql_without_comments(path))
    }
    assert {f for f in found if f[0] not in SWITCHES} == set()
    # The switches are where the dialect went: the scan does see it there.
    assert ("macros/postgres_index.sql", "create index") in found
    assert ("macros/reconciliation/text_words.sql", "regexp_split_to_array") in found


def test_the_project_compiles_for_a_second_adapter(tmp_path: Path) -> None:
    pytest.importorskip("dbt.adapters.duckdb", reason="dbt-duckdb is a dev dependency (uv.lock)")
    (tmp_path / "profiles.yml").write_text(
        "ar_warehouse:\n  target: duck\n  outputs:\n    duck:\n      type: duckdb\n"
        f"      path: {tmp_path / 'ar.duckdb'}\n      schema: staging\n      threads: 2\n"
    )
    target = tmp_path / "target"
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "compile",
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(tmp_path),
            "--target-path",
            str(target),
            "--vars",
            '{"as_of_date": "2026-03-31"}',
        ],  # fmt: skip
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    manifest = json.loads((target / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert manifest["metadata"]["adapter_type"] == "duckdb"
    # Every model compiled. The customer-month spine comes from dbt's generate_series as the adapter implements it
    # (DuckDB's own function here), joined to the customers: no lateral join.
    assert len(models) >= 30 and all(n.get("compiled_code") for n in models)
    spine = next(n for n in models if n["name"] == "int_customer_months_balanced")["compiled_code"]
    assert "month_numbers.generated_number" in spine and "lateral" not in spine.lower()
