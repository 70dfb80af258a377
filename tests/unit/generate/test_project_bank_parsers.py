"""The project's own bank parsers read every generated file, and agree with the manifest and the ERP."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingestion.bank import detect, records

from .readers import Erp


def test_parsers_read_every_file_and_totals_match_the_manifest(
    landing: Path, manifest: dict[str, Any], erp: Erp
) -> None:
    references = {p["reference"]: p for p in erp.payments.values()}
    totals: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"statements": 0, "lines": 0, "credit": Decimal(0)}
    )
    customer_lines = 0
    paths = sorted(p for p in (landing / "bank").rglob("*") if p.is_file() and "_redelivered" not in p.name)
    for path in paths:
        lines: list[Any] = []
        summaries: list[Any] = []
        for record in detect.parse_statement_file(path):
            (lines if isinstance(record, records.StatementLine) else summaries).append(record)
        (summary,) = summaries
        assert summary.file_format == ("camt053" if path.suffix == ".xml" else "mt940")
        assert summary.opening_balance + summary.credit_total + summary.debit_total == summary.closing_balance
        assert summary.line_count == len(lines)
        account = totals[summary.account_id]
        account["statements"] += 1
        account["lines"] += summary.line_count
        account["credit"] += summary.credit_total
        for line in lines:
            payment = references.get(line.end_to_end_id or "")
            if payment is None:
                continue
            # Whatever the format, the parser recovers what the ERP says the payment was.
            customer_lines += 1
            assert line.amount == Decimal(payment["amount"])
            assert line.counterparty_name == erp.customers[payment["customer_id"]]["customer_name"]
            assert (line.remittance_text or "").split()[0].startswith("INV")
    expected = manifest["expected"]["bank"]["accounts"]
    assert set(totals) == set(expected)
    for account_id, account in totals.items():
        assert account["statements"] == expected[account_id]["statements"]
        assert account["lines"] == expected[account_id]["lines"]
        assert str(account["credit"].quantize(Decimal("0.01"))) == expected[account_id]["credit_total"]
    banked = sum(a["customer_payments"]["count"] for a in expected.values())
    assert customer_lines == banked - len(
        [a for a in manifest["anomalies"] if a["type"] == "payment_not_in_erp"]
    )
