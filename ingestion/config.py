"""Where things are: the project root, the landing folder, the warehouse URL. Read from the environment.

One place for every environment variable the project reads, so that the README, docker-compose.yml and the code
agree (a test checks that docker-compose.yml sets the ones marked for the stack).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_DIR = PROJECT_ROOT / ".local"  # git-ignored: local cluster, landing, Airflow home, reports

ENV_WAREHOUSE_URL = "AR_WAREHOUSE_URL"
ENV_LANDING_DIR = "AR_LANDING_DIR"
ENV_REPORTS_DIR = "AR_REPORTS_DIR"
ENV_PG_PORT = "AR_PG_PORT"
ENV_FULL_DATA_TESTS_WEEKDAY = "AR_FULL_DATA_TESTS_WEEKDAY"
ENV_WAREHOUSE_LOCK_STALE_HOURS = "AR_WAREHOUSE_LOCK_STALE_HOURS"
# Waiting for the day's bank statements (ar_daily's wait_for_bank_files sensor).
ENV_BANK_WAIT_SECONDS = "AR_BANK_WAIT_SECONDS"
ENV_BANK_POKE_SECONDS = "AR_BANK_POKE_SECONDS"
ENV_BANK_WEEKDAYS = "AR_BANK_WEEKDAYS"
# Failure notifications (ingestion/notify.py): the targets, and the SMTP server for email targets.
ENV_NOTIFY = "AR_NOTIFY"
ENV_RETRY_DELAY_SECONDS = "AR_RETRY_DELAY_SECONDS"
ENV_RUN_DEADLINE_HOURS = "AR_RUN_DEADLINE_HOURS"
ENV_SMTP_HOST = "AR_SMTP_HOST"
ENV_SMTP_PORT = "AR_SMTP_PORT"
ENV_SMTP_FROM = "AR_SMTP_FROM"

# Variables the docker-compose stack must pass to Airflow for the DAGs to work.
STACK_ENV_VARS = (ENV_WAREHOUSE_URL, ENV_LANDING_DIR, ENV_REPORTS_DIR)

DEFAULT_PG_PORT = 55432
LOCAL_DB_NAME = "ar_warehouse"
LOCAL_DB_USER = "ar_owner"

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
GX_PROJECT_DIR = PROJECT_ROOT / "expectations"
SQL_DIR = Path(__file__).resolve().parent / "sql"


def landing_dir() -> Path:
    value = os.environ.get(ENV_LANDING_DIR)
    return Path(value).resolve() if value else LOCAL_DIR / "landing"


def reports_dir() -> Path:
    value = os.environ.get(ENV_REPORTS_DIR)
    return Path(value).resolve() if value else LOCAL_DIR / "reports"


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def full_data_tests_weekday() -> int | None:
    """The weekday (0 = Monday) whose daily run tests every row of the warehouse instead of the day's changes
    (AR_FULL_DATA_TESTS_WEEKDAY: a weekday's name, default sunday; `never` turns the weekly full check off)."""
    value = os.environ.get(ENV_FULL_DATA_TESTS_WEEKDAY, "sunday").strip().lower()
    if value == "never":
        return None
    if value not in WEEKDAYS:
        raise ValueError(
            f"{ENV_FULL_DATA_TESTS_WEEKDAY}={value!r}: expected a weekday's name (monday ... sunday) or 'never'"
        )
    return WEEKDAYS.index(value)


def _seconds(name: str, default: int) -> int:
    value = os.environ.get(name, str(default)).strip()
    if not value.isdigit():
        raise ValueError(f"{name}={value!r}: expected a whole number of seconds")
    return int(value)


def _hours(name: str, default: float) -> float:
    value = os.environ.get(name, str(default))
    try:
        hours = float(value)
    except ValueError:
        hours = -1
    if hours <= 0:
        raise ValueError(f"{name}={value!r}: expected a number of hours above 0")
    return hours


def bank_wait_seconds() -> int:
    """How long ar_daily waits for the day's bank statements before it goes on without them
    (AR_BANK_WAIT_SECONDS, default 6 hours; `arwh run` uses 0 unless it is set)."""
    return _seconds(ENV_BANK_WAIT_SECONDS, 6 * 3600)


def bank_poke_seconds() -> int:
    """How often the wait looks for them (AR_BANK_POKE_SECONDS, default 5 minutes)."""
    return _seconds(ENV_BANK_POKE_SECONDS, 300)


def bank_weekdays() -> set[int]:
    """The weekdays (0 = Monday) on which the banks deliver statements (AR_BANK_WEEKDAYS, names, comma-separated;
    default monday to friday): on other days nothing is waited for."""
    names = [n.strip().lower() for n in os.environ.get(ENV_BANK_WEEKDAYS, ",".join(WEEKDAYS[:5])).split(",")]
    unknown = [n for n in names if n and n not in WEEKDAYS]
    if unknown:
        raise ValueError(f"{ENV_BANK_WEEKDAYS}: {unknown} are not weekdays (monday ... sunday)")
    return {WEEKDAYS.index(n) for n in names if n}


def retry_delay_seconds() -> int:
    """The first retry delay of the ar_daily tasks (AR_RETRY_DELAY_SECONDS, default 120); it doubles with each
    try, up to 20 minutes."""
    return _seconds(ENV_RETRY_DELAY_SECONDS, 120)


def run_deadline_hours() -> float | None:
    """How long after it is queued an ar_daily run must have finished (AR_RUN_DEADLINE_HOURS, default 8: the six
    hours the bank files may be waited for, and two for the rest); a run still going then is notified.

    `none`: no deadline. `arwh run` sets that: its runs are `DAG.test()`, which has no scheduler to notice a
    deadline, and which in Airflow 3.3.2 fails at the end of a successful run of a DAG that has one (it looks the
    deadline alerts up by ids it never stored)."""
    if os.environ.get(ENV_RUN_DEADLINE_HOURS, "").strip().lower() == "none":
        return None
    return _hours(ENV_RUN_DEADLINE_HOURS, 8)


def warehouse_lock_stale_hours() -> float:
    """After how many hours a run's warehouse lock no longer holds (AR_WAREHOUSE_LOCK_STALE_HOURS, default 12)."""
    return _hours(ENV_WAREHOUSE_LOCK_STALE_HOURS, 12)


def local_pg_port() -> int:
    return int(os.environ.get(ENV_PG_PORT, DEFAULT_PG_PORT))


def local_warehouse_url() -> str:
    """The URL of the project-local cluster that `arwh db up` starts (socket directory under .local/)."""
    return f"postgresql://{LOCAL_DB_USER}@127.0.0.1:{local_pg_port()}/{LOCAL_DB_NAME}"


def warehouse_url() -> str:
    """AR_WAREHOUSE_URL when set (then that database and nothing else), else the project-local cluster."""
    return os.environ.get(ENV_WAREHOUSE_URL) or local_warehouse_url()


def sqlalchemy_url(url: str) -> str:
    """The same URL with the psycopg 3 driver named, as SQLAlchemy wants it."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def libpq_url(url: str) -> str:
    """The same URL without a SQLAlchemy driver suffix, as psycopg and psql want it."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url
