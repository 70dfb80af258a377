"""On generated data, the bank reconciliation flags exactly the bank anomalies the generator planted.

The generator's bank books every ERP payment (same day, or one or two business days later) with the payment's
reference as end-to-end id, except the payments it plants as payment_not_banked; and it books credits no ERP
payment stands for (payment_not_in_erp). A statement file is also delivered twice (duplicate_bank_file), which the
loader refuses, so it shows nowhere in the marts. Card settlements, interest and cash-pool funding are left out by
the seed bank_credit_exclusions. So: every planted payment_not_in_erp is UNAPPLIED_CASH, every payment_not_banked
more than the window old is NOT_BANKED, and nothing else is unexplained.
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
DAYS = 35
LAST = date(2024, 2, 18)
WINDOW = 5  # var bank_match_window_days


def test_every_planted_bank_anomaly_and_nothing_else(clean_warehouse: str, tmp_path: Path) -> None:
    url = clean_warehouse
    landing = tmp_path / "landing"
    generate(seed=11, scale=0.01, start=START, days=DAYS, landing=landing, erp_mode="files")
    assert not [r for r in load_extract_dir(url, landing / "erp", through=LAST) if r.status == "rejected"]
    banked = pipeline.ingest_bank(LAST, landing=landing, url=url)
    assert not [r for r in banked if r["status"] == "rejected"]
    transform.run_dbt(
        ["build", "--select", "+fct_bank_reconciliation", "--indirect-selection", "cautious"],
        as_of=LAST,
        url=url,
    )
    manifest = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))
    expected = set()
    for anomaly in manifest["anomalies"]:
        if anomaly["type"] == "payment_not_in_erp" and date.fromisoformat(anomaly["booking_date"]) <= LAST:
            expected.add(("UNAPPLIED_CASH", anomaly["end_to_end_id"], Decimal(anomaly["amount"])))
        elif (
            anomaly["type"] == "payment_not_banked"
            and (LAST - date.fromisoformat(anomaly["date"])).days > WINDOW
        ):
            expected.add(("NOT_BANKED", anomaly["payment_id"], -Decimal(anomaly["amount"])))
    assert {kind for kind, _, _ in expected} == {"UNAPPLIED_CASH", "NOT_BANKED"}
    with warehouse.connect(url) as conn:
        flagged = conn.execute(
            """select status, coalesce(bank_end_to_end_id, payment_id), difference_amount
                 from marts.fct_bank_reconciliation where is_unexplained"""
        ).fetchall()
        statuses = dict(
            conn.execute(
                "select status, count(*) from marts.fct_bank_reconciliation group by status"
            ).fetchall()
        )
        rules = dict(
            conn.execute(
                "select match_rule, count(*) from marts.fct_bank_reconciliation where match_rule is not null "
                "group by match_rule"
            ).fetchall()
        )
    assert set(flagged) == expected and len(flagged) == len(expected)
    # Every other payment paired by its reference (the bank reports the payer's end-to-end id), at the same amount.
    assert set(rules) == {"reference"} and statuses["MATCHED"] == rules["reference"] > 50
    assert "AMOUNT_DIFFERENCE" not in statuses and "DUPLICATE" not in statuses
