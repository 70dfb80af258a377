"""Run the ar_daily DAG locally through `airflow dags test`, with a project-local SQLite metadata database.

No Airflow import here: Airflow runs in a child process with its own environment, exactly as a user would run it.
`airflow dags test` for a date before the DAG's start_date runs no task and still exits 0, so success is judged by
the warehouse: the run's summary task must have written an audit.pipeline_runs row marked success.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from ingestion import config, warehouse
from ingestion.transform import dbt_env

log = logging.getLogger(__name__)

AIRFLOW_HOME = config.LOCAL_DIR / "airflow"
DAG_ID = "ar_daily"


class DagRunFailed(RuntimeError):
    pass


def airflow_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(config.PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
        "SCARF_ANALYTICS": "false",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "false",
        config.ENV_WAREHOUSE_URL: config.warehouse_url(),
        # dbt's connection always follows the warehouse URL: AR_DBT_* inherited from this process may be stale
        # (set for another database earlier), and dbt would then build the marts somewhere the pipeline does not read.
        **dbt_env(config.warehouse_url()),
        config.ENV_LANDING_DIR: str(config.landing_dir()),
        config.ENV_REPORTS_DIR: str(config.reports_dir()),
    }
    env.update(extra or {})
    return env


def airflow_bin() -> str:
    return str(Path(sys.executable).parent / "airflow")


def ensure_metadata_db() -> None:
    """Create (or migrate) the SQLite metadata database once."""
    AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    marker = AIRFLOW_HOME / ".migrated"
    if marker.exists() and (AIRFLOW_HOME / "airflow.db").exists():
        return
    log.info("initialising the local Airflow metadata database in %s", AIRFLOW_HOME)
    result = subprocess.run(
        [airflow_bin(), "db", "migrate"], env=airflow_env(), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise DagRunFailed(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    marker.write_text("ok\n")


def run_day(business_date: date, *, log_dir: Path | None = None) -> dict[str, object]:
    """Run ar_daily for one date and check in the warehouse that it really ran. Returns the run's summary."""
    ensure_metadata_db()
    log_dir = log_dir or (AIRFLOW_HOME / "runs")
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{DAG_ID}_{business_date.isoformat()}.log"
    # The run's audit row is told from older ones of the same date by coming after the newest of those.
    with warehouse.connect() as conn:
        before = conn.execute(
            "select coalesce(max(started_at), '1900-01-01') from audit.pipeline_runs where business_date = %s",
            (business_date,),
        ).fetchone()
    started = before[0] if before else None
    with log_path.open("w") as out:
        result = subprocess.run(
            [
                airflow_bin(),
                "dags",
                "test",
                DAG_ID,
                business_date.isoformat(),
                # A manual run's data interval is inferred (the day before); the param makes the date explicit.
                "--conf",
                json.dumps({"business_date": business_date.isoformat()}),
            ],  # fmt: skip
            env=airflow_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    with warehouse.connect() as conn:
        row = conn.execute(
            """select run_id, outcome, summary from audit.pipeline_runs
                where business_date = %s and started_at > %s order by started_at desc limit 1""",
            (business_date, started),
        ).fetchone()
    tail = "".join(log_path.read_text(errors="replace").splitlines(keepends=True)[-40:])
    if result.returncode != 0 or row is None or row[1] != "success":
        state = "no run was recorded (did any task run?)" if row is None else f"run {row[0]} ended {row[1]}"
        raise DagRunFailed(
            f"ar_daily {business_date}: airflow exited {result.returncode}; {state}. Log: {log_path}\n{tail}"
        )
    return {"run_id": row[0], "log": str(log_path), **(row[2] or {})}
