"""The incremental models built day by day equal one full build of the last day.

int_invoice_movements_unioned and int_invoice_balances_accumulated recompute only the invoices that the day's
loads touched; fct_ar_aging, fct_invoices and everything else read them, so after four days of payments,
credit notes, disputes and write-offs on old and new invoices they must hold exactly what a full build holds.

rpt_collections_monthly_by_customer and rpt_ar_rollforward rebuild only the current and the previous month on a
daily run and keep the older months as they were built (the collections report reads their amounts back for the
count-back DSO and the quarterly trend). Over a month end, that must give the same rows, to the last digit of
every metric and check, as building the whole history at once for the last date (--full-refresh), and so must the
company-wide rollup built on the collections.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from ingestion import pipeline, transform, warehouse
from ingestion.generate.generator import generate

pytestmark = pytest.mark.integration

START = date(2026, 3, 30)  # four days: 03-30, 03-31, 04-01, 04-02 (a month end in the middle)
DAYS = 4
METRIC_COLUMNS = """month_start_date, period_end_date, days_in_period, credit_sales_amount, cash_collected_amount,
    credit_note_amount, write_off_amount, fell_due_amount, opening_ar_amount, ending_ar_amount,
    ending_current_ar_amount, collection_rate, dso_simple, dso_countback, best_possible_dso,
    average_days_delinquent, cei_pct, bad_debt_ratio, dso_quarterly, dso_quarter_change, is_dso_trend_alert"""


def _is_view(conn: object, qualified: str) -> bool:
    schema, name = qualified.split(".")
    row = conn.execute(  # type: ignore[attr-defined]
        "select table_type from information_schema.tables where table_schema = %s and table_name = %s",
        (schema, name),
    ).fetchone()
    return bool(row) and row[0] == "VIEW"


def _rows(url: str) -> dict[str, list[tuple]]:
    with warehouse.connect(url) as conn:
        return {
            "by_customer": conn.execute(
                f"select customer_id, currency_code, {METRIC_COLUMNS} "
                "from marts.rpt_collections_monthly_by_customer order by 1, 2, 3"
            ).fetchall(),
            "company": conn.execute(
                f"select currency_code, {METRIC_COLUMNS} from marts.rpt_collections_monthly order by 1, 2"
            ).fetchall(),
            "rollforward": conn.execute(
                """select customer_id, currency_code, month_start_date, period_end_date, opening_balance_amount,
                          invoiced_amount, collected_amount, credit_note_amount, write_off_amount,
                          other_adjustment_amount, closing_balance_amount, next_opening_difference_amount,
                          aging_difference_amount, has_difference
                     from marts.rpt_ar_rollforward order by 1, 2, 3"""
            ).fetchall(),
            "movements": conn.execute(
                "select invoice_id, movement_type, document_id, movement_date, customer_id, currency_code, "
                "movement_amount, source_batch_id from intermediate.int_invoice_movements_unioned order by 1, 2, 3"
            ).fetchall(),
            "balances": conn.execute(
                "select invoice_id, balance_date, next_balance_date, movement_count, net_movement_amount, "
                "open_amount, is_settled, settled_date from intermediate.int_invoice_balances_accumulated "
                "order by 1, 2"
            ).fetchall(),
            "aging": conn.execute(
                "select * from marts.fct_ar_aging where as_of_date = (select max(as_of_date) from marts.fct_ar_aging) "
                "order by invoice_id"
            ).fetchall(),
            "invoices": conn.execute("select * from marts.fct_invoices order by invoice_id").fetchall(),
            "processed_batches": conn.execute(
                "select count(distinct processed_batch_id) from intermediate.int_invoice_movements_unioned"
            ).fetchall(),
            "touched_per_run": [
                row[0]
                for row in conn.execute(
                    "select count(distinct invoice_id) from intermediate.int_invoice_movements_unioned "
                    "group by processed_batch_id order by processed_batch_id"
                ).fetchall()
            ],
            "built_on": conn.execute(
                "select as_of_date, min(month_start_date), max(month_start_date) "
                "from marts.rpt_collections_monthly_by_customer group by 1 order by 1"
            ).fetchall(),
        }


def test_daily_runs_over_a_month_end_equal_a_full_build(clean_warehouse: str, tmp_path: Path) -> None:
    url = clean_warehouse
    with warehouse.connect(url) as conn:
        for table in (
            "marts.rpt_collections_monthly_by_customer", "marts.rpt_ar_rollforward", "marts.fct_ar_aging",
            "intermediate.int_invoice_movements_unioned", "intermediate.int_invoice_balances_accumulated",
            "intermediate.int_customer_months_balanced",
        ):  # fmt: skip
            if (row := conn.execute(f"select to_regclass('{table}')").fetchone()) and row[0]:
                conn.execute(f"drop {'view' if _is_view(conn, table) else 'table'} {table} cascade")
    # Daily CSV extracts: each day's folder holds that day's new and changed rows (the demo ERP database would
    # hand over every generated day at the first extract, as a live ERP's watermark extract would).
    generate(seed=7, scale=0.01, start=START, days=DAYS, landing=tmp_path, erp_mode="files")

    last = START
    for offset in range(DAYS):
        last = START + timedelta(days=offset)
        pipeline.ingest_erp(last, landing=tmp_path, url=url)
        transform.run_dbt(["build", "--exclude-resource-type", "unit_test"], as_of=last, url=url)
    daily = _rows(url)
    transform.run_dbt(
        ["build", "--full-refresh", "--exclude-resource-type", "unit_test"], as_of=last, url=url
    )
    full = _rows(url)

    # The daily runs kept what they should: the months before March as the first run (03-30) built them,
    # February (the previous month until April began) as 03-31's run left it, March and April from 04-02's run.
    assert [(built, first >= date(2026, 3, 1)) for built, first, _ in daily["built_on"]] == [
        (date(2026, 3, 30), False),
        (date(2026, 3, 31), False),
        (date(2026, 4, 2), True),
    ]
    assert daily["built_on"][1][1:] == (date(2026, 2, 1), date(2026, 2, 1))
    assert daily["built_on"][2][1:] == (date(2026, 3, 1), date(2026, 4, 1))
    # ... and every row and metric equals the full build's.
    assert len(full["by_customer"]) > 100  # every customer has months from its first invoice on
    assert daily["by_customer"] == full["by_customer"]
    assert daily["company"] == full["company"]
    assert len(full["movements"]) > 1000 and len(full["aging"]) > 100
    # The daily runs recomputed only what each day touched: rows of all four runs (one per day) are still there;
    # the full build recomputed every invoice at once.
    assert daily["processed_batches"] == [(DAYS,)] and full["processed_batches"] == [(1,)]
    assert daily["touched_per_run"][0] > 10 * max(daily["touched_per_run"][1:])
    assert daily["movements"] == full["movements"]
    assert daily["balances"] == full["balances"]
    assert daily["aging"] == full["aging"]
    assert daily["invoices"] == full["invoices"]
    assert len(full["rollforward"]) == len(full["by_customer"])  # the same customer-month spine
    assert daily["rollforward"] == full["rollforward"]
