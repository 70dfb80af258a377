"""The daily ERP extracts: exact columns, formats, and a ledger that adds up."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingestion.generate.erp_files import COLUMNS

from .readers import MONEY, Erp, read_csv

MONEY_COLUMNS = {
    "customers": ("credit_limit",),
    "invoices": ("amount",),
    "credit_notes": ("amount",),
    "payments": ("amount",),
    "payment_applications": ("applied_amount",),
    "write_offs": ("amount",),
}
DATE_COLUMNS = {
    "invoices": ("invoice_date", "due_date"),
    "credit_notes": ("credit_note_date",),
    "payments": ("payment_date",),
    "payment_applications": ("applied_date",),
    "write_offs": ("write_off_date",),
}
TERMS = {"30", "45", "60"}


def test_one_folder_per_day_with_every_file_and_exact_headers(landing: Path) -> None:
    folders = sorted(p.name for p in (landing / "erp").iterdir())
    # 45 days from 15 January 2024.
    assert folders[0] == "2024-01-15" and folders[-1] == "2024-02-28" and len(folders) == 45
    for folder in folders:
        for entity, columns in COLUMNS.items():
            with (landing / "erp" / folder / f"{entity}.csv").open(encoding="utf-8", newline="") as handle:
                assert handle.readline() == ",".join(columns) + "\n"
    assert COLUMNS["invoices"] == (
        "invoice_id", "customer_id", "invoice_date", "due_date", "currency_code", "amount", "is_disputed",
    )  # fmt: skip


def test_values_are_formatted(erp: Erp) -> None:
    for day, entities in erp.rows_per_day.items():
        for entity, rows in entities.items():
            for row in rows:
                for column in MONEY_COLUMNS[entity]:
                    assert MONEY.match(row[column]), (day, entity, row)
                for column in DATE_COLUMNS.get(entity, ()):
                    date.fromisoformat(row[column])
                if entity == "invoices":
                    assert row["is_disputed"] in ("true", "false")
                    assert re.fullmatch(r"INV\d{7}", row["invoice_id"])
                if entity == "customers":
                    assert re.fullmatch(r"C\d{5}", row["customer_id"])
                    assert row["payment_terms_days"] in TERMS
                    assert row["risk_grade"] in "ABCDE"
                    share = Decimal(row["insured_share"])
                    assert share == 0 or Decimal("0.70") <= share <= Decimal("0.95")


def test_rows_belong_to_their_day(erp: Erp) -> None:
    # Each folder holds rows dated that day, except the first, which also holds the history before the period.
    for day, entities in erp.rows_per_day.items():
        for entity, column in (
            ("invoices", "invoice_date"),
            ("payments", "payment_date"),
            ("write_offs", "write_off_date"),
        ):
            for row in entities[entity]:
                if entity == "invoices" and row["is_disputed"] == "true" and row[column] < day:
                    continue  # an invoice disputed today, issued earlier
                if day == "2024-01-15":
                    assert row[column] <= day
                else:
                    assert row[column] == day, (day, entity, row)


def test_disputes_appear_again_on_the_day_they_are_raised(erp: Erp) -> None:
    versions = defaultdict(list)
    for day, entities in sorted(erp.rows_per_day.items()):
        for row in entities["invoices"]:
            versions[row["invoice_id"]].append((day, row["is_disputed"]))
    changed = [v for v in versions.values() if len(v) == 2]
    assert changed, "no invoice was disputed during the period"
    for (first_day, first), (second_day, second) in changed:
        assert (first, second) == ("false", "true") and first_day < second_day
    assert all(len(v) <= 2 for v in versions.values())


def test_due_dates_follow_payment_terms(erp: Erp) -> None:
    for invoice in erp.invoices.values():
        terms = int(erp.customers[invoice["customer_id"]]["payment_terms_days"])
        assert date.fromisoformat(invoice["due_date"]) - date.fromisoformat(
            invoice["invoice_date"]
        ) == timedelta(terms)
        assert invoice["currency_code"] == erp.customers[invoice["customer_id"]]["currency_code"]
        assert Decimal("200.00") <= Decimal(invoice["amount"]) <= Decimal("50000.00")


def test_the_ledger_adds_up(erp: Erp) -> None:
    applied: dict[str, Decimal] = defaultdict(Decimal)
    for a in erp.applications:
        applied[a["payment_id"]] += Decimal(a["applied_amount"])
    for payment in erp.payments.values():
        assert applied[payment["payment_id"]] == Decimal(payment["amount"]) > 0
    # Nothing is ever paid, credited or written off beyond the invoice: open amounts never go negative.
    open_at_end = erp.open_amounts(date(2024, 2, 28))
    assert all(amount > 0 for amount in open_at_end.values())
    # A write-off takes exactly what was left: the invoice is closed afterwards.
    for w in erp.write_offs.values():
        assert w["invoice_id"] not in open_at_end
        assert w["reason"]


def test_behaviour_rates_are_plausible(erp: Erp, manifest: dict[str, Any]) -> None:
    invoices = len(erp.invoices)
    # About 3% credited, 2% disputed, some paid late, some payments covering several invoices.
    assert 0.015 < len(erp.credit_notes) / invoices < 0.06
    disputed = sum(1 for i in erp.invoices.values() if i["is_disputed"] == "true")
    assert 0.008 < disputed / invoices < 0.04
    per_payment: dict[str, int] = defaultdict(int)
    for a in erp.applications:
        per_payment[a["payment_id"]] += 1
    assert max(per_payment.values()) > 1 and max(per_payment.values()) <= 10
    usd = sum(1 for c in erp.customers.values() if c["currency_code"] == "USD")
    assert 0.05 < usd / len(erp.customers) < 0.3
    late = 0
    for a in erp.applications:
        if a["applied_date"] > erp.invoices[a["invoice_id"]]["due_date"]:
            late += 1
    assert late > 0
    assert any(w["approved_by"] == "" for w in erp.write_offs.values())
    assert any(w["approved_by"] != "" for w in erp.write_offs.values())


def test_counts_and_sums_match_the_manifest(erp: Erp, manifest: dict[str, Any], landing: Path) -> None:
    expected = manifest["expected"]["erp"]
    assert expected["customers"] == len(erp.customers)
    for entity, rows, column in (
        ("invoices", erp.invoices.values(), "amount"),
        ("credit_notes", erp.credit_notes.values(), "amount"),
        ("payments", erp.payments.values(), "amount"),
        ("payment_applications", erp.applications, "applied_amount"),
        ("write_offs", erp.write_offs.values(), "amount"),
    ):
        rows = list(rows)
        assert expected[entity]["count"] == len(rows), entity
        assert expected[entity]["amount"] == str(sum((Decimal(r[column]) for r in rows), Decimal("0.00"))), (
            entity
        )
    rows_on_disk = {e: sum(len(d[e]) for d in erp.rows_per_day.values()) for e in MONEY_COLUMNS}
    rows_on_disk["fx_rates"] = sum(
        len(read_csv(folder / "fx_rates.csv")) for folder in (landing / "erp").iterdir()
    )
    assert manifest["expected"]["erp_files_rows"] == rows_on_disk


def test_fx_rates_one_per_weekday_into_eur(landing: Path) -> None:
    # The generator fixes a USD->EUR rate on every weekday and none on Saturdays and Sundays (as a central bank);
    # each day's folder holds that day's rate, the first folder also the history's.
    folders = sorted((landing / "erp").iterdir())
    by_date: dict[date, str] = {}
    for folder in folders:
        for row in read_csv(folder / "fx_rates.csv"):
            assert (row["currency_code"], row["functional_currency_code"]) == ("USD", "EUR")
            assert re.fullmatch(r"0\.9[0-4]\d\d", row["rate"]), row  # 0.92 +/- 0.014, 4 decimals
            rate_date = date.fromisoformat(row["rate_date"])
            assert rate_date not in by_date
            by_date[rate_date] = row["rate"]
            if folder != folders[0]:
                assert folder.name == row["rate_date"]
    first_day, last_day = date.fromisoformat(folders[0].name), date.fromisoformat(folders[-1].name)
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    assert [d for d in days if d.weekday() < 5] == [d for d in days if d in by_date]
    # 2024-01-15 is a Monday: 45 days from it hold 6 full weeks (30 weekdays) and 3 more weekdays.
    assert len([d for d in days if d in by_date]) == 33


def test_history_before_start_is_in_the_first_folder(erp: Erp, manifest: dict[str, Any]) -> None:
    first = erp.rows_per_day["2024-01-15"]["invoices"]
    before = [r for r in first if r["invoice_date"] < "2024-01-15"]
    assert len(before) == manifest["expected"]["erp"]["opening_history"]["invoices"]["count"]
    # 60 days of full trading history, plus the sparse tail of older invoices (61 to 240 days back).
    dates = sorted(r["invoice_date"] for r in before)
    assert dates[0] < "2023-11-16" and "2023-11-16" in dates
