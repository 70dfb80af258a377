"""The DAG folder imports cleanly and every DAG follows the house policy (owner, retries, tags, docs)."""

from __future__ import annotations

import os
import sys
import time
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
