"""Customer statements: the customer's view of their open items, equal to the ledger except for planted anomalies."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingestion.generate.customer_statements import COLUMNS

from .conftest import anomalies_of
from .readers import MONEY, Erp, read_csv


def _statement(landing: Path, day: str) -> list[dict[str, str]]:
    return read_csv(landing / "statements" / day / f"customer_statements_{day.replace('-', '')}.csv")


def test_files_on_month_ends_and_the_last_day(landing: Path, manifest: dict[str, Any]) -> None:
    folders = sorted(p.name for p in (landing / "statements").iterdir())
    assert folders == ["2024-01-31", "2024-02-28"] == manifest["period"]["customer_statement_dates"]
    with (landing / "statements" / "2024-01-31" / "customer_statements_20240131.csv").open() as handle:
        assert handle.readline().rstrip("\n") == ",".join(COLUMNS)


def test_about_a_fifth_of_customers_send_statements(landing: Path, manifest: dict[str, Any]) -> None:
    customers = manifest["expected"]["customer_statements"]["customers"]
    # 100 customers at scale 0.01: 20% would be 20; the first three always send one.
    assert 10 <= customers <= 30
    on_file = {row["customer_id"] for row in _statement(landing, "2024-02-28")}
    assert {"C00001", "C00002", "C00003"} & on_file
    assert len(on_file) <= customers


def test_lines_are_well_formed(landing: Path) -> None:
    for day in ("2024-01-31", "2024-02-28"):
        for row in _statement(landing, day):
            assert row["statement_date"] == day
            assert MONEY.match(row["amount"])
            assert row["document_type"] in ("invoice", "credit_note", "payment")
            amount = Decimal(row["amount"])
            assert (amount > 0) == (row["document_type"] == "invoice")
            assert row["document_date"] <= day


def test_each_customer_total_is_the_ledger_balance(landing: Path, erp: Erp, manifest: dict[str, Any]) -> None:
    for day in ("2024-01-31", "2024-02-28"):
        open_amounts = erp.open_amounts(date.fromisoformat(day))
        ledger: dict[str, Decimal] = defaultdict(Decimal)
        for invoice_id, amount in open_amounts.items():
            ledger[erp.invoices[invoice_id]["customer_id"]] += amount
        stated: dict[str, Decimal] = defaultdict(Decimal)
        for row in _statement(landing, day):
            stated[row["customer_id"]] += Decimal(row["amount"])
        # Undo the planted differences; then every customer's statement equals the ledger to the cent.
        for a in anomalies_of(manifest, "statement_amount_mismatch"):
            if a["statement_date"] == day:
                stated[a["customer_id"]] -= Decimal(a["statement_amount"]) - Decimal(a["ledger_amount"])
        for a in anomalies_of(manifest, "invoice_unknown_to_customer"):
            if a["statement_date"] == day:
                stated[a["customer_id"]] += open_amounts[a["invoice_id"]]
        assert stated, day
        for customer_id, total in stated.items():
            assert total == ledger[customer_id], (day, customer_id)
