"""On generated data, the statement reconciliation flags exactly the anomalies the generator planted.

The generator writes customer statements on every month end and on the period's last day, planting on each
statement date one invoice line with a different amount (statement_amount_mismatch) and one open invoice left off
(invoice_unknown_to_customer); manifest.json lists them. Everything else on the statements is what the ledger
says. So the unexplained rows of fct_statement_reconciliation must be exactly the planted ones, with their
statuses and amounts, and every other row MATCHED or DISPUTED (disputed invoices are explained).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion import pipeline, transform, warehouse
from ingestion.erp.files import load_extract_dir
from ingestion.generate.generator import generate

pytestmark = pytest.mark.integration

START = date(2024, 1, 15)
DAYS = 35  # statement dates 2024-01-31 and 2024-02-18 (the last day)
LAST = date(2024, 2, 18)


def test_every_planted_statement_anomaly_and_nothing_else(clean_warehouse: str, tmp_path: Path) -> None:
    url = clean_warehouse
    landing = tmp_path / "landing"
    generate(seed=7, scale=0.01, start=START, days=DAYS, landing=landing, erp_mode="files")
    assert not [r for r in load_extract_dir(url, landing / "erp", through=LAST) if r.status == "rejected"]
    loaded = pipeline.ingest_statements(LAST, landing=landing, url=url)
    assert [r["status"] for r in loaded] == ["loaded", "loaded"]
    transform.run_dbt(
        ["build", "--select", "+rpt_statement_balance_reconciliation", "--indirect-selection", "cautious"],
        as_of=LAST,
        url=url,
    )
    manifest = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))
    expected = set()
    for anomaly in manifest["anomalies"]:
        if anomaly["type"] == "statement_amount_mismatch":
            expected.add(
                (anomaly["customer_id"], anomaly["statement_date"], anomaly["document_ref"], "AMOUNT_MISMATCH",
                 Decimal(anomaly["difference"]))
            )  # fmt: skip
        elif anomaly["type"] == "invoice_unknown_to_customer":
            # Left off the statement: the whole invoice amount is the difference (statement 0 - ledger amount).
            expected.add(
                (anomaly["customer_id"], anomaly["statement_date"], anomaly["invoice_id"], "MISSING_IN_STATEMENT",
                 -Decimal(anomaly["amount"]))
            )  # fmt: skip
    # One of each per statement date: two dates, four anomalies.
    assert len(expected) == 4
    with warehouse.connect(url) as conn:
        flagged = conn.execute(
            """select customer_id, statement_date::text, document_ref, status, difference_amount
                 from marts.fct_statement_reconciliation where is_unexplained"""
        ).fetchall()
        explained = conn.execute(
            """select status, count(*), sum(abs(difference_amount)) from marts.fct_statement_reconciliation
                where not is_unexplained group by status order by status"""
        ).fetchall()
        statements = conn.execute(
            "select count(*), count(*) filter (where not is_reconciled) from marts.rpt_statement_balance_reconciliation"
        ).fetchone()
    assert set(flagged) == expected and len(flagged) == len(expected)
    # The rest is explained; no timing differences in generated data (statements are the ledger's own view), and
    # a disputed invoice is listed by the customer at the ledger's amount, so nothing explained carries a difference.
    assert {status for status, _, _ in explained} <= {"MATCHED", "DISPUTED"}
    assert all(total == 0 for _, _, total in explained)
    assert sum(count for _, count, _ in explained) > 50
    # Statements with a planted anomaly are not reconciled; at most four (two anomalies on each of two dates).
    assert statements is not None and statements[0] > 4 and 2 <= statements[1] <= 4
