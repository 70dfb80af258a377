"""The daily data tests read the day's rows; without a scope they read every row.

A daily run passes var data_tests_from_batch (pipeline.data_tests_from_batch: the last load batch before the
latest successful run of an earlier date started); macro data_test_scope, expanded by get_where_subquery, then
limits each data test on a table that grows with the history to the rows loaded or recomputed after that batch,
to the day's snapshot, or to the months rebuilt. The weekly full check, CI and `arwh transform` pass no scope.

The scenario: two dated ERP extract folders. Day 1 (2026-03-02) brings customer C1, invoice INV-1 and credit
note CN-OLD, which names an invoice the ERP never sent (INV-GONE-1). Day 2 (2026-03-03) brings CN-NEW, naming
INV-GONE-2, and CN-OK on INV-1. The staging relationships test (severity warn) therefore finds two credit notes
without their invoice in the whole table, and one (CN-NEW) among the rows loaded after day 1's last batch.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingestion import pipeline, transform, warehouse
from ingestion.erp.files import load_extract_dir
from tests.helpers.erp_extracts import write_extract

pytestmark = pytest.mark.integration

DAY_1 = date(2026, 3, 2)  # a Monday
DAY_2 = date(2026, 3, 3)
RELATIONSHIPS_TEST = "relationships_stg_erp__credit_notes_invoice_id__invoice_id__ref_stg_erp__invoices_"
CREDIT_NOTE_COLUMNS = ("credit_note_id", "invoice_id", "customer_id", "credit_note_date", "amount")


def _write_days(root: Path) -> None:
    first = root / DAY_1.isoformat()
    write_extract(
        first, "customers", ("customer_id", "customer_name", "currency_code"), [("C1", "One", "EUR")]
    )
    write_extract(
        first,
        "invoices",
        ("invoice_id", "customer_id", "invoice_date", "due_date", "currency_code", "amount"),
        [("INV-1", "C1", "2026-02-20", "2026-03-22", "EUR", "500.00")],
    )
    write_extract(
        first, "credit_notes", CREDIT_NOTE_COLUMNS, [("CN-OLD", "INV-GONE-1", "C1", "2026-02-25", "10.00")]
    )
    second = root / DAY_2.isoformat()
    write_extract(
        second,
        "credit_notes",
        CREDIT_NOTE_COLUMNS,
        [
            ("CN-NEW", "INV-GONE-2", "C1", "2026-03-03", "20.00"),
            ("CN-OK", "INV-1", "C1", "2026-03-03", "30.00"),
        ],
    )


def _last_batch(url: str) -> int:
    with warehouse.connect(url) as conn:
        row = conn.execute("select max(batch_id) from audit.load_batches").fetchone()
    assert row is not None and row[0] is not None
    return int(row[0])


def _failures(url: str, tests_from_batch: int | None) -> int:
    result = transform.run_dbt(
        ["test", "--select", RELATIONSHIPS_TEST], as_of=DAY_2, url=url, tests_from_batch=tests_from_batch
    )
    # The test's result, beside the project's on-run-end hook.
    (only,) = [r for r in result.result.results if r.node.resource_type == "test"]
    assert only.node.name == RELATIONSHIPS_TEST
    return int(only.failures)


def test_a_scoped_run_tests_only_the_rows_loaded_after_the_batch(
    clean_warehouse: str, tmp_path: Path
) -> None:
    url = clean_warehouse
    _write_days(tmp_path)
    load_extract_dir(url, tmp_path, through=DAY_1)
    day_1_last_batch = _last_batch(url)
    load_extract_dir(url, tmp_path)
    transform.run_dbt(["run", "--select", "stg_erp__credit_notes", "stg_erp__invoices"], as_of=DAY_2, url=url)

    # Whole table: CN-OLD (INV-GONE-1) and CN-NEW (INV-GONE-2) name no invoice; CN-OK's INV-1 exists.
    assert _failures(url, None) == 2
    # After day 1's batches: CN-NEW and CN-OK were loaded, and only CN-NEW is broken.
    assert _failures(url, day_1_last_batch) == 1
    # After the last batch: nothing was loaded since, so nothing is tested and nothing fails.
    assert _failures(url, _last_batch(url)) == 0


def _compiled(url: str, model: str, tests_from_batch: int | None) -> dict[str, str]:
    """The compiled SQL of the model's data tests, by test name."""
    result = transform.run_dbt(
        ["compile", "--select", model, "--exclude", "resource_type:unit_test"],
        as_of=DAY_2,
        url=url,
        tests_from_batch=tests_from_batch,
    )
    return {
        r.node.name: r.node.compiled_code for r in result.result.results if r.node.resource_type == "test"
    }


def test_each_kind_of_scope_compiles_to_its_filter(warehouse_url: str) -> None:
    # The day's aging snapshot; the months a daily run rebuilds (the month of 2026-03-03 and, at least, the one
    # before it: from 2026-02-01); a model's watermark column.
    aging = _compiled(warehouse_url, "fct_ar_aging", 7)["not_null_fct_ar_aging_as_of_date"]
    assert "where as_of_date = cast('2026-03-03' as date)" in " ".join(aging.split())
    months = _compiled(warehouse_url, "int_customer_months_balanced", 7)
    month_test = months["not_null_int_customer_months_balanced_month_start_date"]
    assert "where month_start_date >= cast(" in month_test
    assert "(interval '1 month') * (-1)" in month_test
    balances = _compiled(warehouse_url, "int_invoice_balances_accumulated", 7)
    assert "where processed_batch_id > 7" in balances["not_null_int_invoice_balances_accumulated_open_amount"]
    # No scope: the test reads the relation itself.
    unscoped = _compiled(warehouse_url, "fct_ar_aging", None)["not_null_fct_ar_aging_as_of_date"]
    assert "dbt_subquery" not in unscoped and "where as_of_date = cast(" not in unscoped


def test_a_scope_that_is_not_a_batch_number_is_refused(warehouse_url: str) -> None:
    with pytest.raises(RuntimeError, match="data_tests_from_batch' must be a load batch number"):
        transform.run_dbt(
            ["compile", "--select", "fct_ar_aging", "--vars",
             '{"as_of_date": "2026-03-03", "data_tests_from_batch": "yesterday"}'],
            url=warehouse_url,
        )  # fmt: skip


def _record_run(conn: Any, run_id: str, business_date: date, started_at: datetime, outcome: str) -> None:
    conn.execute(
        """insert into audit.pipeline_runs (run_id, business_date, started_at, outcome)
           values (%s, %s, %s, %s)""",
        (run_id, business_date, started_at, outcome),
    )


def _record_batch(conn: Any, started_at: datetime) -> int:
    row = conn.execute(
        """insert into audit.load_batches (source, entity, business_date, started_at, status)
           values ('erp_files', 'invoices', null, %s, 'loaded') returning batch_id""",
        (started_at,),
    ).fetchone()
    return int(row[0])


def test_the_daily_scope_starts_after_the_last_successful_run_of_an_earlier_date(
    clean_warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = clean_warehouse
    monkeypatch.setenv("AR_FULL_DATA_TESTS_WEEKDAY", "sunday")
    noon = datetime(2026, 3, 2, 12, tzinfo=UTC)
    # No successful run before (clean_warehouse empties audit.pipeline_runs): everything is tested.
    assert pipeline.data_tests_from_batch(DAY_2, url=url) is None
    with warehouse.connect(url) as conn:
        before = _record_batch(conn, noon - timedelta(hours=1))
        _record_run(conn, "day-1", DAY_1, noon, "success")
        loaded_by_day_1 = _record_batch(conn, noon + timedelta(minutes=5))  # after that run's start
        # A failed run of day 2 and a successful one of day 2 itself do not move the scope of day 2.
        _record_run(conn, "day-2-failed", DAY_2, noon + timedelta(hours=2), "failed")
        _record_run(conn, "day-2-again", DAY_2, noon + timedelta(hours=3), "success")
    # The last batch before day 1's successful run started.
    assert pipeline.data_tests_from_batch(DAY_2, url=url) == before
    # Asked for a full check, or on the weekly full-check day (2026-03-08 is a Sunday): everything.
    assert pipeline.data_tests_from_batch(DAY_2, full=True, url=url) is None
    assert pipeline.data_tests_from_batch(date(2026, 3, 8), url=url) is None
    # Without the weekly full check, 2026-03-08 follows day 2's successful run (started at 15:00): the batches
    # before it are both.
    monkeypatch.setenv("AR_FULL_DATA_TESTS_WEEKDAY", "never")
    assert pipeline.data_tests_from_batch(date(2026, 3, 8), url=url) == loaded_by_day_1
    monkeypatch.setenv("AR_FULL_DATA_TESTS_WEEKDAY", "someday")
    with pytest.raises(ValueError, match="AR_FULL_DATA_TESTS_WEEKDAY='someday'"):
        pipeline.data_tests_from_batch(DAY_2, url=url)


def test_movements_built_before_effective_date_are_recomputed_with_it(
    clean_warehouse: str, tmp_path: Path
) -> None:
    """A warehouse built before decision 007 has int_invoice_movements_unioned without effective_date; the first
    incremental run recomputes every movement (pre-hook) instead of adding the column empty, and the post-hooks
    give the table its indexes."""
    url = clean_warehouse
    _write_days(tmp_path)
    load_extract_dir(url, tmp_path)
    select = ["--select", "+int_invoice_movements_unioned", "--exclude", "resource_type:unit_test"]
    transform.run_dbt(["run", *select], as_of=DAY_2, url=url)
    with warehouse.connect(url) as conn:
        conn.execute("alter table intermediate.int_invoice_movements_unioned drop column effective_date")
        conn.execute("drop index if exists intermediate.int_invoice_movements_unioned_processed_batch_idx")
    transform.run_dbt(["run", *select], as_of=DAY_2, url=url)
    with warehouse.connect(url) as conn:
        rows = conn.execute(
            """select document_id, movement_date, effective_date from intermediate.int_invoice_movements_unioned
                order by document_id"""
        ).fetchall()
        indexes = {
            name
            for (name,) in conn.execute(
                "select indexname from pg_indexes where schemaname = 'intermediate' "
                "and tablename = 'int_invoice_movements_unioned'"
            ).fetchall()
        }
    # INV-1 (2026-02-20) and CN-OK (2026-03-03) on it; CN-OLD and CN-NEW name no invoice and move nothing.
    assert rows == [
        ("CN-OK", date(2026, 3, 3), date(2026, 3, 3)),
        ("INV-1", date(2026, 2, 20), date(2026, 2, 20)),
    ]
    assert {
        "int_invoice_movements_unioned_effective_date_idx",
        "int_invoice_movements_unioned_processed_batch_idx",
    } <= indexes
