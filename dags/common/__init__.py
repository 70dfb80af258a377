"""Helpers shared by the DAG files: settings from the environment and the business date of a run.

Listed in .airflowignore, so Airflow does not parse this folder for DAGs. No I/O at import time.
"""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    # The DAG files import the project's `ingestion` and `expectations` packages from the repository checkout.
    sys.path.insert(0, str(PROJECT_ROOT))

# dbt reads its connection from AR_DBT_* (dbt_project/profiles.yml); derive them from AR_WAREHOUSE_URL unless set.
from airflow.sdk import RetryDecision, RetryPolicy  # noqa: E402

from ingestion.config import retry_delay_seconds  # noqa: E402
from ingestion.transform import dbt_env  # noqa: E402

for _key, _value in dbt_env().items():
    if _key == "PGOPTIONS":
        os.environ[_key] = _value  # the caller's options plus jit=off (ingestion.transform.pg_options)
    else:
        os.environ.setdefault(_key, _value)

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"

OWNER = "ar-data-engineering"
TIMEZONE = os.environ.get("AR_TIMEZONE", "UTC")
# Midnight in the business timezone closes the day; the run for day D starts when D is over.
DAILY_SCHEDULE = os.environ.get("AR_DAILY_SCHEDULE", "0 0 * * *")


def notify_failure(context: Any) -> None:
    """on_failure_callback of every task (DEFAULT_ARGS) and of the DAG run: the failure goes to the AR_NOTIFY
    targets (ingestion.notify: the log, a webhook, an email)."""
    from ingestion.notify import Event, send

    task_instance = context.get("task_instance")
    task_id = getattr(task_instance, "task_id", None) if task_instance is not None else None
    try:
        day: str | None = business_date(context).isoformat()
    except Exception:  # noqa: BLE001 - a run without a date still gets its notification
        day = None
    dag = context.get("dag")
    send(
        Event(
            kind="task_failed" if task_id else "run_failed",
            dag_id=getattr(dag, "dag_id", None) or str(context.get("dag_id", "?")),
            run_id=str(context.get("run_id", "?")),
            business_date=day,
            task_id=task_id,
            message=str(context.get("exception") or context.get("reason") or "failed"),
        )
    )


class TransientFailuresRetry(RetryPolicy):
    """The retry policy of every task: retry a transient failure (the warehouse restarting or dropping the
    connection, a timeout, the warehouse lock held by another run) with backoff; fail bad input and code faults at
    once, since a retry would fail the same way; anything else gets the task's ordinary retries.
    The classification is ingestion.errors.classify."""

    def evaluate(
        self, exception: BaseException, try_number: int, max_tries: int, context: Any = None
    ) -> RetryDecision:
        from ingestion.errors import Failure, classify

        kind = classify(exception)
        if kind is Failure.TRANSIENT:
            return RetryDecision.retry(reason=f"transient failure ({type(exception).__name__}): retrying")
        if kind is Failure.PERMANENT:
            return RetryDecision.fail(
                reason=f"bad input or a code fault ({type(exception).__name__}): a retry would fail the same way"
            )
        return RetryDecision.default()

    def serialize(self) -> dict[str, Any]:
        return {"__type": type(self).__name__}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> TransientFailuresRetry:
        return cls()


RETRY_POLICY = TransientFailuresRetry()

DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "retries": 2,
    # AR_RETRY_DELAY_SECONDS (default 120), doubling with each try up to 20 minutes. Airflow 3.3 reads
    # retry_exponential_backoff as the multiplier: True would be 1, a constant delay. Airflow spreads each
    # delay between 1x and 2x, the same for a given task, date and try.
    "retry_delay": timedelta(seconds=retry_delay_seconds()),
    "retry_policy": RETRY_POLICY,
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=20),
    "on_failure_callback": notify_failure,
}


def business_date(context: Any) -> date:
    """The run's business date: the `business_date` param of a manual run, else the start of the data interval."""
    explicit = (context.get("params") or {}).get("business_date")
    if explicit:
        return date.fromisoformat(str(explicit))
    start = context["data_interval_start"]
    return start.in_timezone(TIMEZONE).date() if hasattr(start, "in_timezone") else start.date()


def run_consumers_after_producer(group: Any) -> None:
    """In a Cosmos watcher task group, start the per-node tasks only once the single `dbt build` has finished.

    Cosmos starts them alongside the producer and lets them wait (deferred) for their node's status. Under
    `airflow dags test`, which runs one task at a time, a waiting consumer would block the producer forever; and
    a `DbtTaskGroup` does not get the producer-first ordering that Cosmos gives a `DbtDag`. Putting the producer
    upstream with trigger rule `all_done` makes each consumer read its node's result as soon as it starts, pass or
    fail, whatever the executor. The cost: the UI shows per-model states when the build ends, not while it runs.
    """
    producer = next(t for t in group.children.values() if t.task_id.endswith("dbt_producer_watcher"))
    for root in group.roots:
        if root is producer:
            continue
        producer >> root
        root.trigger_rule = "all_done"
