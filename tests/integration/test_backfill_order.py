"""A backfill gives the same marts whatever order its dates run in.

A generated company (seed 11, scale 0.005, ten days from Monday 2026-03-02 after 60 days of history: its ERP
extracts, bank statements and customer statements) is loaded whole, as a backfill finds it. Then its ten dates are
built one by one, in order; the aging snapshot of every date is kept and the last date's marts are read. Then the
aging's snapshots are emptied and the same ten dates are built in reverse order, the first of them with
`--full-refresh` (every incremental model rebuilt from nothing), and the last date is built once more: every date's aging snapshot, and every
table and view of the marts for the last date, must be the same row for row.

What this guards: the incremental models (movements, balances, settlement, monthly reports, aging snapshots) keep
what earlier builds made and recompute from watermarks, validity intervals and restated months; building an
earlier date after a later one must neither leave later rows behind nor lose earlier ones.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from ingestion import pipeline, transform, warehouse
from ingestion.generate.generator import generate

pytestmark = pytest.mark.integration

START = date(2026, 3, 2)
DAYS = [START + timedelta(days=n) for n in range(10)]
BUILD = ["build", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"]
MONTHLY_REPORTS = ("rpt_collections_monthly_by_customer", "rpt_ar_rollforward", "rpt_collections_monthly")


def _aging(url: str) -> list[tuple[object, ...]]:
    with warehouse.connect(url) as conn:
        return conn.execute(
            """select as_of_date, invoice_id, open_amount, days_past_due, aging_bucket, fx_rate
                 from marts.fct_ar_aging order by as_of_date, invoice_id"""
        ).fetchall()


def _marts(url: str) -> dict[str, tuple[int, str]]:
    """Every table and view of the marts: its rows' count and an md5 of them in order. The monthly reports keep
    each month as the run of its time built it, with that run's date in as_of_date (docs/models.md, "Operating the
    monthly reports"): which run built a past month differs between the two orders, so that column is left out
    there; every figure counts."""
    found = {}
    with warehouse.connect(url) as conn:
        names = [
            n
            for (n,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        for name in names:
            columns = [
                f'"{c}"'
                for (c,) in conn.execute(
                    """select column_name from information_schema.columns
                        where table_schema = 'marts' and table_name = %s order by ordinal_position""",
                    (name,),
                ).fetchall()
                if not (c == "as_of_date" and name in MONTHLY_REPORTS)
            ]
            count, digest = conn.execute(
                f"""select count(*), md5(coalesce(string_agg(r::text, '|' order by r::text), ''))
                      from (select {", ".join(columns)} from marts."{name}") as r"""
            ).fetchone()
            found[name] = (count, digest)
    return found


def test_dates_built_in_reverse_give_what_dates_built_in_order_give(
    clean_warehouse: str, tmp_path: Path
) -> None:
    url = clean_warehouse
    landing = tmp_path / "landing"
    generate(seed=11, scale=0.005, start=START, days=len(DAYS), landing=landing, erp_mode="files")
    last = DAYS[-1]
    pipeline.ingest_erp(last, landing=landing, url=url)
    pipeline.ingest_bank(last, landing=landing, url=url)
    pipeline.ingest_statements(last, landing=landing, url=url)

    for day in DAYS:
        transform.run_dbt(BUILD, as_of=day, url=url)
    in_order_aging = _aging(url)
    in_order_marts = _marts(url)
    # Every date left its snapshot, and the generated company has open invoices on each.
    assert sorted({row[0] for row in in_order_aging}) == DAYS
    assert {
        "fct_ar_aging", "fct_invoices", "fct_write_offs", "rpt_ar_rollforward", "rpt_collections_monthly",
        "rpt_collections_monthly_by_customer", "rpt_credit_risk", "fct_bank_reconciliation",
        "fct_statement_reconciliation",
    } <= set(in_order_marts)  # fmt: skip

    with warehouse.connect(url) as conn:
        conn.execute("truncate marts.fct_ar_aging")  # exempt from --full-refresh: its snapshots are history
        conn.commit()
    for day in reversed(DAYS):
        transform.run_dbt([*BUILD, "--full-refresh"] if day == last else BUILD, as_of=day, url=url)
    assert _aging(url) == in_order_aging
    transform.run_dbt(BUILD, as_of=last, url=url)
    assert _aging(url) == in_order_aging
    assert _marts(url) == in_order_marts
