"""Every planted anomaly is listed in the manifest and can be found in the data, where the manifest says."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingestion.generate.anomalies import ANOMALY_TYPES

from .conftest import anomalies_of
from .readers import Erp, Statement, read_csv


def _statement_rows(landing: Path, day: str) -> list[dict[str, str]]:
    return read_csv(landing / "statements" / day / f"customer_statements_{day.replace('-', '')}.csv")


def test_every_type_is_planted(manifest: dict[str, Any]) -> None:
    types = {entry["type"] for entry in manifest["anomalies"]}
    assert types == set(ANOMALY_TYPES)
    # 45 days are a 30-day block and a 15-day block: one bank/ERP anomaly of each kind per block. The two
    # statement dates (31 January, 28 February) carry one statement anomaly of each kind.
    for anomaly_type in ANOMALY_TYPES[:5]:
        entries = anomalies_of(manifest, anomaly_type)
        assert len(entries) == 2, anomaly_type
        assert all("2024-01-15" <= entry["date"] <= "2024-02-28" for entry in entries)


def test_payment_not_in_erp(manifest: dict[str, Any], erp: Erp, bank_statements: list[Statement]) -> None:
    references = {p["reference"] for p in erp.payments.values()}
    paid_invoices = {a["invoice_id"] for a in erp.applications}
    for anomaly in anomalies_of(manifest, "payment_not_in_erp"):
        lines = [
            (s, e)
            for s in bank_statements
            for e in s.entries
            if e.end_to_end_id == anomaly["end_to_end_id"] and "_redelivered" not in s.path.name
        ]
        assert len(lines) == 1
        statement, entry = lines[0]
        assert statement.account_id == anomaly["account_id"]
        assert entry.booking_date.isoformat() == anomaly["booking_date"] == anomaly["date"]
        assert entry.amount == Decimal(anomaly["amount"])
        assert entry.counterparty_name == erp.customers[anomaly["customer_id"]]["customer_name"]
        assert entry.remittance == anomaly["invoice_id"]
        # The ERP has no payment with that reference, and the invoice the customer paid is still open at the end.
        assert anomaly["end_to_end_id"] not in references
        assert anomaly["invoice_id"] not in paid_invoices
        assert Decimal(erp.invoices[anomaly["invoice_id"]]["amount"]) == entry.amount


def test_payment_not_banked(manifest: dict[str, Any], erp: Erp, bank_statements: list[Statement]) -> None:
    bank_references = {e.end_to_end_id for s in bank_statements for e in s.entries}
    for anomaly in anomalies_of(manifest, "payment_not_banked"):
        payment = erp.payments[anomaly["payment_id"]]
        assert payment["amount"] == anomaly["amount"]
        assert payment["reference"] == anomaly["reference"]
        assert payment["payment_date"] == anomaly["date"]
        assert any(a["payment_id"] == anomaly["payment_id"] for a in erp.applications)
        assert anomaly["reference"] not in bank_references


def test_statement_amount_mismatch(manifest: dict[str, Any], erp: Erp, landing: Path) -> None:
    for anomaly in anomalies_of(manifest, "statement_amount_mismatch"):
        rows = _statement_rows(landing, anomaly["statement_date"])
        (line,) = [r for r in rows if r["document_ref"] == anomaly["document_ref"]]
        assert line["customer_id"] == anomaly["customer_id"]
        assert line["amount"] == anomaly["statement_amount"]
        assert erp.invoices[anomaly["document_ref"]]["amount"] == anomaly["ledger_amount"]
        # Never disputed (its latest version in the extracts): a disputed invoice would reconcile as DISPUTED.
        assert erp.invoices[anomaly["document_ref"]]["is_disputed"] == "false"
        difference = Decimal(anomaly["statement_amount"]) - Decimal(anomaly["ledger_amount"])
        assert difference == Decimal(anomaly["difference"]) != 0


def test_invoice_unknown_to_customer(manifest: dict[str, Any], erp: Erp, landing: Path) -> None:
    for anomaly in anomalies_of(manifest, "invoice_unknown_to_customer"):
        day = anomaly["statement_date"]
        rows = _statement_rows(landing, day)
        assert anomaly["invoice_id"] in erp.open_amounts(date.fromisoformat(day))
        assert erp.invoices[anomaly["invoice_id"]]["customer_id"] == anomaly["customer_id"]
        assert erp.invoices[anomaly["invoice_id"]]["is_disputed"] == "false"
        # The customer does send a statement; it just does not know this invoice.
        assert any(r["customer_id"] == anomaly["customer_id"] for r in rows)
        assert all(r["document_ref"] != anomaly["invoice_id"] for r in rows)


def test_duplicate_bank_file(manifest: dict[str, Any], landing: Path) -> None:
    entries = anomalies_of(manifest, "duplicate_bank_file")
    for anomaly in entries:
        original = landing / anomaly["original_path"]
        duplicate = landing / anomaly["duplicate_path"]
        assert original.name != duplicate.name
        assert duplicate.parent.name == anomaly["date"] >= original.parent.name
        assert original.read_bytes() == duplicate.read_bytes()
        assert hashlib.sha256(duplicate.read_bytes()).hexdigest() == anomaly["sha256"]
    bank = manifest["expected"]["bank"]
    assert bank["files_on_disk"] == bank["distinct_files"] + len(entries)


def test_write_offs_without_approver(manifest: dict[str, Any], erp: Erp) -> None:
    listed = {a["write_off_id"] for a in anomalies_of(manifest, "write_off_without_approver")}
    in_data = {w["write_off_id"] for w in erp.write_offs.values() if w["approved_by"] == ""}
    assert listed == in_data
    assert manifest["expected"]["erp"]["write_offs_without_approver"] == len(listed)
    # The first write-off of the period has no approver: 15 January + 6 days.
    assert "2024-01-21" in {a["date"] for a in anomalies_of(manifest, "write_off_without_approver")}
