"""Run dbt in-process against the warehouse, for one as-of date.

dbt reads its connection from AR_DBT_* variables (dbt_project/profiles.yml); `dbt_env` derives them from the
warehouse URL so that AR_WAREHOUSE_URL stays the one setting a user has to know.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from typing import Any
from urllib.parse import unquote, urlsplit

from ingestion import config

log = logging.getLogger(__name__)

PROFILE_NAME = "ar_warehouse"
MANIFEST_PATH = config.DBT_PROJECT_DIR / "target" / "manifest.json"


def pg_options() -> str:
    """PGOPTIONS for dbt's connections: the caller's, plus `-c jit=off` unless the caller set jit itself.

    PostgreSQL compiles a query with JIT when its estimated cost is high. The incremental models' estimates are
    those of the whole history (the planner cannot know that the day's filter leaves a few rows), so a query that
    runs in 80 ms spent 1.1 s compiling (int_invoice_movements_unioned, two years of history at scale 0.1:
    docs/decisions/006-dbt-sessions-without-jit.md). libpq reads PGOPTIONS for every connection it opens.
    """
    current = os.environ.get("PGOPTIONS", "")
    return current if "jit" in current else f"{current} -c jit=off".strip()


def dbt_env(url: str | None = None) -> dict[str, str]:
    """The AR_DBT_* variables for `url` (default: the warehouse URL), plus dbt's own quiet settings and PGOPTIONS."""
    parts = urlsplit(config.libpq_url(url or config.warehouse_url()))
    return {
        "PGOPTIONS": pg_options(),
        "AR_DBT_HOST": parts.hostname or "127.0.0.1",
        "AR_DBT_PORT": str(parts.port or 5432),
        "AR_DBT_USER": unquote(parts.username or ""),
        "AR_DBT_PASSWORD": unquote(parts.password or ""),
        "AR_DBT_DBNAME": (parts.path or "/").lstrip("/") or "postgres",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


def export_dbt_env(url: str | None = None) -> None:
    """Set the AR_DBT_* variables in this process (dbt and Cosmos read them from the environment)."""
    os.environ.update(dbt_env(url))


def dbt_vars(as_of: date, tests_from_batch: int | None = None) -> dict[str, Any]:
    """The vars of a run for as_of. tests_from_batch: test only the rows loaded or recomputed after this load
    batch (the daily run's scope, macro data_test_scope); None tests every row."""
    found: dict[str, Any] = {"as_of_date": as_of.isoformat()}
    if tests_from_batch is not None:
        found["data_tests_from_batch"] = int(tests_from_batch)
    return found


def run_dbt(
    args: list[str], *, as_of: date | None = None, url: str | None = None, tests_from_batch: int | None = None
) -> Any:
    """Run one dbt command in this process; raise RuntimeError when it fails. Returns dbt's result.
    tests_from_batch: see dbt_vars (needs as_of)."""
    import json

    from dbt.cli.main import dbtRunner

    export_dbt_env(url)
    full = [
        *args,
        "--project-dir", str(config.DBT_PROJECT_DIR),
        "--profiles-dir", str(config.DBT_PROJECT_DIR),
    ]  # fmt: skip
    if as_of is not None:
        full += ["--vars", json.dumps(dbt_vars(as_of, tests_from_batch))]
    log.info("dbt %s", " ".join(full))
    result = dbtRunner().invoke(full)
    if not result.success:
        raise RuntimeError(f"dbt {args[0]} failed: {result.exception or 'see the dbt log above'}")
    return result


def build(as_of: date, url: str | None = None) -> Any:
    """`dbt build` (seeds, models, tests) for the as-of date."""
    return run_dbt(["build"], as_of=as_of, url=url)


def parse() -> Any:
    """`dbt parse`: writes target/manifest.json, which the Airflow DAG renders its dbt tasks from."""
    return run_dbt(["parse"])
