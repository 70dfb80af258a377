"""The incremental monthly reports built day by day equal one full build of the last day.

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
            "built_on": conn.execute(
                "select as_of_date, min(month_start_date), max(month_start_date) "
                "from marts.rpt_collections_monthly_by_customer group by 1 order by 1"
            ).fetchall(),
        }


def test_daily_runs_over_a_month_end_equal_a_full_build(clean_warehouse: str, tmp_path: Path) -> None:
    url = clean_warehouse
    with warehouse.connect(url) as conn:
        for table in ("rpt_collections_monthly_by_customer", "rpt_ar_rollforward", "fct_ar_aging"):
            if (row := conn.execute(f"select to_regclass('marts.{table}')").fetchone()) and row[0]:
                conn.execute(f"drop table marts.{table} cascade")
    erp_url = url.rsplit("/", 1)[0] + "/ar_test_monthly_erp"
    with warehouse.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute('drop database if exists "ar_test_monthly_erp" with (force)')
        conn.execute('create database "ar_test_monthly_erp"')
    generate(seed=7, scale=0.01, start=START, days=DAYS, landing=tmp_path, erp_url=erp_url, erp_mode="db")

    last = START
    for offset in range(DAYS):
        last = START + timedelta(days=offset)
        pipeline.ingest_erp(last, landing=tmp_path, url=url)
        transform.run_dbt(["build", "--exclude-resource-type", "unit_test"], as_of=last, url=url)
    daily = _rows(url)
    transform.run_dbt(
        ["build", "--full-refresh", "--exclude-resource-type", "unit_test", "--select",
         "rpt_collections_monthly_by_customer+", "rpt_ar_rollforward"],
        as_of=last,
        url=url,
    )  # fmt: skip
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
    assert len(full["rollforward"]) == len(full["by_customer"])  # the same customer-month spine
    assert daily["rollforward"] == full["rollforward"]
