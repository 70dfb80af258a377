"""
### ar_daily: one business day of receivables, from sources to checked marts

For the business date (the `business_date` param of a manual run, else the start of the data interval):

1. **start_run** records the run in `audit.pipeline_runs` (code version, start), takes the warehouse lock (one
   run writes at a time; released when the run ends, success or failure) and sets the scope of the day's
   checks (raw-load checks and dbt data tests): the rows loaded or recomputed since the last successful run
   (`pipeline.data_tests_from_batch`); every row on the weekly full-check day (`AR_FULL_DATA_TESTS_WEEKDAY`,
   default sunday) or with the `full_data_tests` param.
2. **ingest_erp** extracts the ERP (database through its mapping, incremental by watermark; or CSV extracts).
3. **wait_for_bank_files** waits (reschedule mode, `AR_BANK_WAIT_SECONDS`, default 6 hours) for the day's bank
   statements; when they never come it is skipped and the run goes on, the day's bank side marked incomplete.
   **ingest_bank** loads the bank statement files delivered up to the date; bad files go to quarantine.
   **ingest_statements** loads the customer statements (CSV, XLSX) delivered up to the date, the same way.
4. **check_raw** runs the Great Expectations raw-load checkpoints (schemas, keys, amounts, statement balances)
   over the raw rows in the day's scope; a failed expectation is recorded in `audit.check_results` (with the
   scope, `checked_from_batch`) and reported, it does not fail the run.
5. **dbt** builds staging, intermediate and marts for the date in one `dbt build` (the Cosmos watcher producer;
   `dbt build --full-refresh` with the `full_refresh` param, which fct_ar_aging's dated snapshots are exempt from);
   each model, seed and test then has its own task that reports that node's result and can be retried alone.
6. **check_marts** runs the Great Expectations checks of the reconciliation marts (unexplained statement
   differences, unapplied cash, payments not banked, bank differences and duplicates, the roll-forward tie); a
   mismatch is recorded in `audit.check_results` with every offending row and reported, it does not fail the run.
7. **record_results** keeps what the reconciliation marts say as the run's snapshot in `audit` (append-only).
8. **write_report** writes the auditor's report for the date (HTML, CSV, XLSX) to `AR_REPORTS_DIR/<date>/`.
9. **summarize** writes the day's figures to the run record and the log.

Every step is idempotent for its date: re-running a day leaves the warehouse as running it once.
Runbook: docs/runbooks/ar_daily.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import (
    Asset,
    AsyncCallback,
    CronDataIntervalTimetable,
    DeadlineAlert,
    DeadlineReference,
    Param,
    dag,
    task,
)
from common import (
    DAILY_SCHEDULE,
    DBT_MANIFEST,
    DBT_PROJECT_DIR,
    DEFAULT_ARGS,
    TIMEZONE,
    business_date,
    notify_failure,
    run_consumers_after_producer,
)
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from ingestion.config import bank_poke_seconds, bank_wait_seconds, run_deadline_hours
from ingestion.notify import deadline_missed

RAW_ERP = Asset("ar_warehouse.raw_erp")
RAW_BANK = Asset("ar_warehouse.raw_bank")
RAW_STATEMENTS = Asset("ar_warehouse.raw_statements")
MARTS = Asset("ar_warehouse.marts")

AS_OF_DATE = (
    "{{ params.business_date or data_interval_start.in_timezone('" + TIMEZONE + "').strftime('%Y-%m-%d') }}"
)

# The sources the reload_source param can name.
RELOADABLE_SOURCES = ("erp", "bank", "statements")

DATA_TESTS_FROM_BATCH = "{{ ti.xcom_pull(task_ids='start_run', key='data_tests_from_batch') }}"


def _deadline() -> DeadlineAlert | None:
    """The SLA of Airflow 3 (Deadline Alerts): a run not finished AR_RUN_DEADLINE_HOURS after it was queued is
    notified to the AR_NOTIFY targets, from the triggerer. Counted from the queueing, not the logical date, so a
    backfill of last year is not late from the start. None when AR_RUN_DEADLINE_HOURS is `none` (`arwh run`)."""
    hours = run_deadline_hours()
    if hours is None:
        return None
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(hours=hours),
        callback=AsyncCallback(deadline_missed),
        name="ar_daily_finished",
    )


def _mark_run_failed(context: dict) -> None:  # type: ignore[type-arg]
    from ingestion.pipeline import finish_run

    task_instance = context.get("task_instance")
    finish_run(context["run_id"], "failed", {"failed_task": getattr(task_instance, "task_id", None)})


@dag(
    dag_id="ar_daily",
    schedule=CronDataIntervalTimetable(DAILY_SCHEDULE, timezone=TIMEZONE),
    start_date=pendulum.datetime(2020, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["receivables", "daily"],
    doc_md=__doc__,
    params={
        "business_date": Param(
            None, type=["null", "string"], format="date", description="Business date to run (manual runs)."
        ),
        "full_refresh": Param(
            False,
            type="boolean",
            description="Rebuild the incremental models from the whole history (the aging's dated snapshots stay).",
        ),
        "full_data_tests": Param(
            False,
            type="boolean",
            description="Test every row of the warehouse, not only what the day loaded and recomputed.",
        ),
        "reload_source": Param(
            None,
            type=["null", "string"],
            enum=[None, *RELOADABLE_SOURCES],
            description=(
                "Re-load one source: erp reads every row (database) or every extract file again, whatever was "
                "loaded before, and rewrites only the rows that differ; bank or statements read every file "
                "delivered up to the date again and replace its rows (not a file whose statement a later file "
                "corrected)."
            ),
        ),
    },
    on_failure_callback=[_mark_run_failed, notify_failure],
    deadline=_deadline(),
)
def ar_daily() -> None:
    @task
    def start_run(**context) -> str:  # type: ignore[no-untyped-def]
        from ingestion.pipeline import acquire_warehouse_lock, data_tests_from_batch
        from ingestion.pipeline import start_run as record_start
        from ingestion.warehouse import init_warehouse

        init_warehouse()
        day = business_date(context)
        # Before the day's loads: the scope is everything loaded after the last successful run's start.
        scope = data_tests_from_batch(day, full=bool(context["params"].get("full_data_tests")))
        # One run writes the warehouse at a time; a locked start fails and is retried with backoff.
        acquire_warehouse_lock(context["run_id"], day)
        record_start(context["run_id"], day, data_tests_from_batch=scope)
        context["ti"].xcom_push(key="data_tests_from_batch", value=scope)
        return day.isoformat()

    @task(outlets=[RAW_ERP])
    def ingest_erp(**context) -> list:  # type: ignore[no-untyped-def, type-arg]
        from ingestion.pipeline import ingest_erp as run

        reload = context["params"].get("reload_source") == "erp"
        return _jsonable(run(business_date(context), run_id=context["run_id"], reload=reload))

    @task.sensor(
        mode="reschedule",
        poke_interval=bank_poke_seconds(),
        timeout=bank_wait_seconds(),
        soft_fail=True,
    )
    def wait_for_bank_files(**context) -> bool:  # type: ignore[no-untyped-def]
        """The day's bank statements are in (or none are expected that weekday). After the timeout the task is
        skipped and the run goes on with what has arrived; summarize records the day's bank side as incomplete."""
        from ingestion.pipeline import bank_files_arrived

        return bank_files_arrived(business_date(context))

    # Runs when the wait was skipped (timed out) too: the day goes on with the files it has.
    @task(outlets=[RAW_BANK], trigger_rule="none_failed")
    def ingest_bank(**context) -> list:  # type: ignore[no-untyped-def, type-arg]
        from ingestion.pipeline import ingest_bank as run

        reload = context["params"].get("reload_source") == "bank"
        return _jsonable(run(business_date(context), run_id=context["run_id"], reload=reload))

    @task(outlets=[RAW_STATEMENTS])
    def ingest_statements(**context) -> list:  # type: ignore[no-untyped-def, type-arg]
        from ingestion.pipeline import ingest_statements as run

        reload = context["params"].get("reload_source") == "statements"
        return _jsonable(run(business_date(context), run_id=context["run_id"], reload=reload))

    @task
    def check_raw(**context) -> dict:  # type: ignore[no-untyped-def, type-arg]
        from expectations import run_raw_checks

        # The same scope as the day's dbt data tests: the rows loaded since the last successful run, or every row.
        scope = context["ti"].xcom_pull(task_ids="start_run", key="data_tests_from_batch")
        summary = run_raw_checks(business_date(context), run_id=context["run_id"], from_batch=scope)
        return _jsonable(summary.as_dict())

    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(dbt_project_path=DBT_PROJECT_DIR, manifest_path=DBT_MANIFEST),
        profile_config=ProfileConfig(
            profile_name="ar_warehouse",
            target_name="warehouse",
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER, invocation_mode=InvocationMode.SUBPROCESS
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            # Tests of several models stay with one of them: the single `dbt build` already runs each after all of
            # its models, and a detached test task looks up a status the watcher producer does not write (it then
            # reports "skipped" as a success: seen with Cosmos 1.15).
            should_detach_multiple_parents_tests=False,
        ),
        # Assets are declared per layer below (raw_erp, raw_bank, marts), not per model: one per model would add
        # ~60 assets to the metadata database for no scheduling use.
        operator_args={
            # data_tests_from_batch renders "None" (every row tested) when start_run set no scope.
            # pipeline_run_id: the run recorded in audit.pipeline_runs, which the build's row in
            # audit.dbt_invocations names (on-run-end hook).
            "vars": {
                "as_of_date": AS_OF_DATE,
                "data_tests_from_batch": DATA_TESTS_FROM_BATCH,
                "pipeline_run_id": "{{ run_id }}",
            },
            # The full_refresh param: `dbt build --full-refresh` (a templated field of Cosmos's build operator).
            "full_refresh": "{{ params.full_refresh }}",
            "install_deps": False,
            "emit_datasets": False,
            # dbt unit tests check SQL logic, not the day's data: they run in CI and in `arwh transform`, not in
            # every daily build (32 of them took ~10 s a day here).
            "dbt_cmd_flags": ["--exclude-resource-type", "unit_test"],
        },
        default_args={
            "retries": 0
        },  # a failing model or test is a data or code fault: retrying changes nothing
    )
    run_consumers_after_producer(dbt)

    @task
    def check_marts(**context) -> dict:  # type: ignore[no-untyped-def, type-arg]
        from expectations import run_mart_checks

        summary = run_mart_checks(business_date(context), run_id=context["run_id"])
        return _jsonable(summary.as_dict())

    @task
    def record_results(**context) -> dict:  # type: ignore[no-untyped-def, type-arg]
        from ingestion.pipeline import record_reconciliation

        return _jsonable(record_reconciliation(context["run_id"], business_date(context)))

    @task
    def write_report(**context) -> list:  # type: ignore[no-untyped-def, type-arg]
        from ingestion.config import reports_dir
        from ingestion.report import write_report as write

        day = business_date(context)
        files = write(day, reports_dir() / day.isoformat())
        return [str(files.html), str(files.csv), str(files.xlsx)]

    @task(outlets=[MARTS])
    def summarize(**context) -> dict:  # type: ignore[no-untyped-def, type-arg]
        from ingestion.pipeline import day_summary, finish_run

        summary = day_summary(business_date(context))
        finish_run(context["run_id"], "success", summary)
        print(_format(summary))
        return _jsonable(summary)

    started = start_run()
    erp = ingest_erp()
    waited = wait_for_bank_files()
    bank = ingest_bank()
    statements = ingest_statements()
    checks = check_raw()
    started >> [erp, waited, statements]
    waited >> bank
    (
        [erp, bank, statements]
        >> checks
        >> dbt
        >> check_marts()
        >> record_results()
        >> write_report()
        >> summarize()
    )


def _jsonable(value):  # type: ignore[no-untyped-def]
    """XCom wants JSON: Decimals become strings (never floats), dates ISO strings."""
    import json

    from ingestion.warehouse import to_json

    return json.loads(to_json(value))


def _format(summary) -> str:  # type: ignore[no-untyped-def]
    open_ar = ", ".join(f"{currency} {amount}" for currency, amount in summary["open_ar_by_currency"].items())
    return (
        f"ar_daily {summary['business_date']}: {summary['invoices']} invoices to date; open AR {open_ar}; "
        f"checks passed {summary['checks_passed']}, flagged {summary['checks_flagged']}"
        + (
            ""
            if summary.get("bank_statements_for_date", True)
            else "; no bank statement for the date (incomplete)"
        )
    )


ar_daily()
