"""A bank file for a past date that arrives late, then a re-run of that date: that date's reconciliation takes it
in, and what other dates reported stays as it was.

The ERP (customer C-A): payment P1 of 100.00 on 2026-03-02 and P2 of 250.00 on 2026-03-03. The bank's MT940
statement for 03-03 (credit of 250,00) is in its folder on time; the one for 03-02 (credit of 100,00) is not.

1. Run 2026-03-02 (r1): no bank statement yet, so no bank history to look for P1 in: r1's bank
   reconciliation is empty.
2. Run 2026-03-03 (r2): the 03-03 statement loads; P2 is MATCHED (amount alone, the only candidate); P1 is
   NOT_BANKED, dated before the bank history starts (so not followed up).
3. The 03-02 statement arrives late, in the 03-02 folder; 2026-03-02 is run again (r1b): the file loads, and P1
   is MATCHED in r1b's reconciliation. r2's stored results and the 03-03 aging snapshot are unchanged.

The steps are the DAG's tasks called in order (ingestion.pipeline and one dbt build each), as `arwh run` runs them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ingestion import pipeline, transform, warehouse
from tests.helpers.erp_extracts import write_extract

pytestmark = pytest.mark.integration

DAY_1 = date(2026, 3, 2)
DAY_2 = date(2026, 3, 3)
BUILD = ["build", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"]


def _mt940(day: date, amount: str) -> str:
    yymmdd, mmdd = day.strftime("%y%m%d"), day.strftime("%m%d")
    return (
        f":20:STMT{yymmdd}\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C{yymmdd}EUR0,00\n"
        f":61:{yymmdd}{mmdd}C{amount}NTRFNONREF\n:86:166?00GUTSCHRIFT?20SVWZ+Zahlung?32Alpha GmbH\n"
        f":62F:C{yymmdd}EUR{amount}\n-\n"
    )


def _run(run_id: str, day: date, landing: Path, url: str) -> None:
    pipeline.start_run(run_id, day, url)
    pipeline.ingest_erp(day, landing=landing, run_id=run_id, url=url)
    pipeline.ingest_bank(day, landing=landing, run_id=run_id, url=url)
    transform.run_dbt(BUILD, as_of=day, url=url)
    pipeline.record_reconciliation(run_id, day, url)
    pipeline.finish_run(run_id, "success", url=url)


def _bank_results(url: str, run_id: str) -> list[tuple[Any, ...]]:
    with warehouse.connect(url) as conn:
        return conn.execute(
            """select b.payment_id, b.bank_amount, b.status from audit.bank_reconciliation_results b
                 join audit.reconciliation_snapshots s using (snapshot_id)
                where s.run_id = %s order by b.payment_id nulls last""",
            (run_id,),
        ).fetchall()


def _aging(url: str, day: date) -> list[tuple[Any, ...]]:
    with warehouse.connect(url) as conn:
        return conn.execute(
            "select invoice_id, open_amount, days_past_due from marts.fct_ar_aging where as_of_date = %s order by 1",
            (day,),
        ).fetchall()


def test_a_late_bank_file_and_a_rerun_update_only_that_date(clean_warehouse: str, tmp_path: Path) -> None:
    url = clean_warehouse
    landing = tmp_path / "landing"
    erp = landing / "erp" / DAY_1.isoformat()
    write_extract(
        erp, "customers", ("customer_id", "customer_name", "currency_code"), [("C-A", "Alpha GmbH", "EUR")]
    )
    write_extract(
        erp,
        "invoices",
        ("invoice_id", "customer_id", "invoice_date", "due_date", "currency_code", "amount"),
        [("INV-1", "C-A", "2026-02-01", "2026-03-03", "EUR", "1000.00")],
    )
    write_extract(
        erp,
        "payments",
        ("payment_id", "customer_id", "payment_date", "currency_code", "amount", "reference"),
        [("P1", "C-A", "2026-03-02", "EUR", "100.00", ""), ("P2", "C-A", "2026-03-03", "EUR", "250.00", "")],
    )
    on_time = landing / "bank" / DAY_2.isoformat()
    on_time.mkdir(parents=True)
    (on_time / "stmt_0303.sta").write_text(_mt940(DAY_2, "250,00"), encoding="utf-8")

    _run("r1", DAY_1, landing, url)
    _run("r2", DAY_2, landing, url)
    # r1: no statement yet, no bank history, nothing to reconcile. r2: P2 paired with the 250,00 credit; P1
    # (03-02) is before the bank history (03-03) but within the window of it: NOT_BANKED.
    assert _bank_results(url, "r1") == []
    r2_said = _bank_results(url, "r2")
    assert r2_said == [("P1", None, "NOT_BANKED"), ("P2", Decimal("250.00"), "MATCHED")]
    aging_day_2 = _aging(url, DAY_2)
    # INV-1: 1,000.00 due 03-03, nothing applied: open 1,000.00, 0 days past due on 03-03.
    assert aging_day_2 == [("INV-1", Decimal("1000.00"), 0)]

    late = landing / "bank" / DAY_1.isoformat()
    late.mkdir(parents=True)
    (late / "stmt_0302.sta").write_text(_mt940(DAY_1, "100,00"), encoding="utf-8")
    _run("r1b", DAY_1, landing, url)

    # The re-run of 03-02 loaded the late file: P1 is paired with its 100,00 credit (amount alone).
    assert _bank_results(url, "r1b") == [("P1", Decimal("100.00"), "MATCHED")]
    # What 03-03 reported, and its aging snapshot, are as they were.
    assert _bank_results(url, "r2") == r2_said
    assert _aging(url, DAY_2) == aging_day_2
    with warehouse.connect(url) as conn:
        files = conn.execute(
            "select file_name, status from audit.files where source = 'bank' order by 1"
        ).fetchall()
    assert files == [("stmt_0302.sta", "loaded"), ("stmt_0303.sta", "loaded")]
