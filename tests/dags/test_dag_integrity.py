"""The DAG folder imports cleanly and every DAG follows the house policy (owner, retries, tags, docs)."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.dags

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag(dbt_manifest: Path):  # type: ignore[no-untyped-def]
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    # Airflow puts its DAGs folder on sys.path (so `from common import ...` works); a bare DagBag does not.
    if str(DAGS_DIR) not in sys.path:
        sys.path.insert(0, str(DAGS_DIR))
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=str(DAGS_DIR))
    bag.import_seconds = time.perf_counter() - started  # type: ignore[attr-defined]
    return bag


def test_dags_import_without_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert "ar_daily" in dagbag.dag_ids


def test_every_dag_has_owner_retries_tags_and_docs(dagbag) -> None:  # type: ignore[no-untyped-def]
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md and len(dag.doc_md) > 100, f"{dag_id} has no documentation"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id} has no owner"
        python_tasks = [t for t in dag.tasks if not t.task_id.startswith("dbt.")]
        for task in python_tasks:
            assert task.retries >= 1, f"{dag_id}.{task.task_id} has no retries"


def test_every_failure_is_notified(dagbag) -> None:  # type: ignore[no-untyped-def]
    from common import notify_failure

    for dag_id, dag in dagbag.dags.items():
        assert notify_failure in (dag.on_failure_callback or []), f"{dag_id}: a failed run is not notified"
        for task in dag.tasks:
            callbacks = task.on_failure_callback or []
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert notify_failure in callbacks, f"{dag_id}.{task.task_id}: a failed task is not notified"


def test_ar_daily_has_the_pipeline_in_order(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["ar_daily"]
    ids = set(dag.task_ids)
    assert {
        "start_run",
        "ingest_erp",
        "ingest_bank",
        "ingest_statements",
        "check_raw",
        "check_marts",
        "record_results",
        "write_report",
        "summarize",
        "dbt.dbt_producer_watcher",
    } <= ids
    # Every dbt model of the project has its own task in the group (Cosmos renders them from the manifest).
    for model in ("stg_erp__invoices", "fct_invoices", "fct_ar_aging", "dim_customers"):
        assert any(t.startswith(f"dbt.{model}") for t in ids), model
    assert dag.get_task("check_raw").upstream_task_ids == {"ingest_erp", "ingest_bank", "ingest_statements"}
    assert "dbt.dbt_producer_watcher" in dag.get_task("check_raw").downstream_task_ids
    assert dag.max_active_runs == 1


def test_the_full_refresh_param_reaches_the_dbt_build(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["ar_daily"]
    assert dag.params["full_refresh"] is False
    producer = dag.get_task("dbt.dbt_producer_watcher")
    # Cosmos renders the template when the task runs and adds --full-refresh to its `dbt build` when it is true.
    assert producer.full_refresh == "{{ params.full_refresh }}"
    assert "full_refresh" in producer.template_fields
    try:
        producer.full_refresh = "True"  # as rendered for a run with the param set
        assert "--full-refresh" in producer.add_cmd_flags()
        producer.full_refresh = "False"
        assert "--full-refresh" not in producer.add_cmd_flags()
    finally:
        producer.full_refresh = "{{ params.full_refresh }}"


def test_ar_daily_waits_for_the_bank_files_and_goes_on_without_them(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["ar_daily"]
    wait = dag.get_task("wait_for_bank_files")
    # A reschedule-mode wait gives its worker slot back between pokes; soft_fail: a timeout skips, it does not fail.
    assert (wait.mode, wait.soft_fail) == ("reschedule", True)
    assert wait.upstream_task_ids == {"start_run"} and wait.downstream_task_ids == {"ingest_bank"}
    # The bank load runs after a skipped wait too, with whatever files have arrived.
    assert dag.get_task("ingest_bank").trigger_rule == "none_failed"


def test_transient_failures_are_retried_with_backoff_and_bad_input_is_not(dagbag) -> None:  # type: ignore[no-untyped-def]
    import psycopg.errors
    from airflow.sdk import RetryAction

    dag = dagbag.dags["ar_daily"]
    python_tasks = [t for t in dag.tasks if not t.task_id.startswith("dbt.")]
    for task in python_tasks:
        # Two retries, the first after AR_RETRY_DELAY_SECONDS (120 s by default), then twice as long: Airflow 3.3
        # reads retry_exponential_backoff as the multiplier (True would be 1: no backoff at all).
        assert (task.retries, task.retry_delay, task.retry_exponential_backoff) == (
            2,
            timedelta(seconds=120),
            2.0,
        )
        assert task.max_retry_delay == timedelta(minutes=20)
    policy = dag.get_task("ingest_erp").retry_policy
    assert all(t.retry_policy is policy for t in python_tasks)

    def action(error: BaseException) -> RetryAction:
        return policy.evaluate(exception=error, try_number=1, max_tries=3).action

    # The server stopped under the task (SQLSTATE 57P01): retry. A value the warehouse refuses (22P02), or a bad
    # setting: fail now, a retry would fail the same way. Something unforeseen: the task's ordinary retries.
    assert action(psycopg.errors.AdminShutdown("terminating connection")) is RetryAction.RETRY
    assert action(psycopg.errors.InvalidTextRepresentation("invalid input syntax")) is RetryAction.FAIL
    assert action(ValueError("erp.url is required")) is RetryAction.FAIL
    assert action(RuntimeError("something else")) is RetryAction.DEFAULT


def test_a_run_past_its_deadline_is_notified(dagbag) -> None:  # type: ignore[no-untyped-def]
    from airflow.sdk import AsyncCallback, DeadlineReference
    from airflow.serialization.serialized_objects import DagSerialization

    dag = dagbag.dags["ar_daily"]
    (alert,) = dag.deadline
    # Eight hours (AR_RUN_DEADLINE_HOURS) from the moment the run was queued, whatever date it is for.
    assert alert.reference == DeadlineReference.DAGRUN_QUEUED_AT
    assert alert.interval == timedelta(hours=8)
    assert isinstance(alert.callback, AsyncCallback)
    assert alert.callback.path == "ingestion.notify.deadline_missed"
    # What the scheduler gets: the serialized DAG carries the alert with the callback's import path.
    serialized = json.dumps(DagSerialization.serialize_dag(dag), default=str)
    assert "ingestion.notify.deadline_missed" in serialized and "DagRunQueuedAtDeadline" in serialized


def test_the_reload_source_param_reaches_the_erp_load(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["ar_daily"]
    param = dag.params.get_param("reload_source")
    assert param.value is None
    assert param.schema["enum"] == [None, "erp", "bank", "statements"]
