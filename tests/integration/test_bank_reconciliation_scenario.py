"""A hand-made bank account against a hand-made ledger: each matching rule and each status once, to the cent.

As of 2026-03-10, EUR, window 5 days (var bank_match_window_days). Customers C-A (Alpha GmbH), C-B (Beta AG).

| ERP payment | date  | amount | reference | bank credit (German giro CSV)                        | expected                        |
|-------------|-------|--------|-----------|------------------------------------------------------|---------------------------------|
| P1 (C-A)    | 03-02 | 100.00 | E2E-1     | 03-02 100,00 end-to-end E2E-1                        | MATCHED, reference              |
| P2 (C-A)    | 03-03 | 250.00 | (none)    | 03-03 250,00 text "Rechnung INV-7" (P2 paid INV-7)   | MATCHED, invoice_in_remittance  |
| P3 (C-B)    | 03-04 |  80.00 | (none)    | 03-05 80,00 from "Beta AG"                           | MATCHED, amount_and_counterparty|
| P4 (C-B)    | 03-06 |  55.55 | (none)    | 03-09 55,55 from "B. AG" (name differs)              | MATCHED, amount_only            |
| P5 (C-A)    | 03-06 | 300.00 | E2E-5     | 03-06 297,50 end-to-end E2E-5 (2.50 bank fee)        | AMOUNT_DIFFERENCE, -2.50        |
| P6 (C-B)    | 03-02 |  40.00 | E2E-6     | none: 8 days by 03-10, more than the window          | NOT_BANKED, -40.00              |
| (none)      |       |        |           | 03-09 70,00 from "Gamma KG", end-to-end E2E-X        | UNAPPLIED_CASH, 70.00           |
| (none)      |       |        |           | 03-09 5.000,00 from "Cash pool concentration account"| left out (bank_credit_exclusions)|
| (none)      |       |        |           | P1's credit again in a second export file            | DUPLICATE, 100.00               |
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion import transform, warehouse
from ingestion.bank.loader import load_file
from ingestion.erp.files import load_extract_dir
from tests.helpers.erp_extracts import write_extract

pytestmark = pytest.mark.integration

AS_OF = date(2026, 3, 10)
ACCOUNT = "DE89370400440532013000"
HEADER = (
    "Auftragskonto;Buchungstag;Valutadatum;Buchungstext;Verwendungszweck;Gläubiger-ID;Mandatsreferenz;"
    "Kundenreferenz (End-to-End);Begünstigter/Zahlungspflichtiger;Kontonummer/IBAN;BIC;Betrag;Währung;Info\n"
)


def _line(day: str, text: str, e2e: str, name: str, amount: str) -> str:
    return f"{ACCOUNT};{day};{day};Gutschrift;{text};;;{e2e};{name};;;{amount};EUR;\n"


def D(text: str) -> Decimal:
    return Decimal(text)


def test_each_rule_and_status(clean_warehouse: str, tmp_path: Path) -> None:
    url = clean_warehouse
    erp = tmp_path / "erp" / AS_OF.isoformat()
    write_extract(erp, "customers", ("customer_id", "customer_name", "currency_code"),
                  [("C-A", "Alpha GmbH", "EUR"), ("C-B", "Beta AG", "EUR")])  # fmt: skip
    write_extract(erp, "invoices", ("invoice_id", "customer_id", "invoice_date", "due_date", "currency_code", "amount"),
                  [("INV-7", "C-A", "2026-02-01", "2026-03-03", "EUR", "250.00")])  # fmt: skip
    write_extract(
        erp, "payments", ("payment_id", "customer_id", "payment_date", "currency_code", "amount", "reference"),
        [
            ("P1", "C-A", "2026-03-02", "EUR", "100.00", "E2E-1"),
            ("P2", "C-A", "2026-03-03", "EUR", "250.00", ""),
            ("P3", "C-B", "2026-03-04", "EUR", "80.00", ""),
            ("P4", "C-B", "2026-03-06", "EUR", "55.55", ""),
            ("P5", "C-A", "2026-03-06", "EUR", "300.00", "E2E-5"),
            ("P6", "C-B", "2026-03-02", "EUR", "40.00", "E2E-6"),
        ],
    )  # fmt: skip
    write_extract(erp, "payment_applications", ("payment_id", "invoice_id", "applied_amount", "applied_date"),
                  [("P2", "INV-7", "250.00", "2026-03-03")])  # fmt: skip
    assert not [r for r in load_extract_dir(url, tmp_path / "erp") if r.status == "rejected"]

    first = tmp_path / "giro_march.csv"
    first.write_bytes(
        (
            HEADER
            + _line("02.03.2026", "Zahlung", "E2E-1", "Alpha GmbH", "100,00")
            + _line("03.03.2026", "Rechnung INV-7", "", "Alpha GmbH", "250,00")
            + _line("05.03.2026", "", "", "Beta AG", "80,00")
            + _line("06.03.2026", "Zahlung", "E2E-5", "Alpha GmbH", "297,50")
            + _line("09.03.2026", "", "", "B. AG", "55,55")
            + _line("09.03.2026", "Anzahlung", "E2E-X", "Gamma KG", "70,00")
            + _line("09.03.2026", "Cash pool funding", "", "Cash pool concentration account", "5.000,00")
        ).encode("cp1252")
    )
    second = tmp_path / "giro_resent.csv"
    second.write_bytes(
        (HEADER + _line("02.03.2026", "Zahlung", "E2E-1", "Alpha GmbH", "100,00")).encode("cp1252")
    )
    assert [load_file(url, p, csv_mapping="de_giro_semicolon").status for p in (first, second)] == [
        "loaded"
    ] * 2

    transform.run_dbt(
        ["build", "--select", "+fct_bank_reconciliation", "--indirect-selection", "cautious"],
        as_of=AS_OF,
        url=url,
    )
    with warehouse.connect(url) as conn:
        rows = conn.execute(
            """select payment_id, bank_amount, status, match_rule, match_confidence, difference_amount, is_unexplained
                 from marts.fct_bank_reconciliation
                order by payment_id nulls last, bank_amount"""
        ).fetchall()
    assert rows == [
        ("P1", D("100.00"), "MATCHED", "reference", D("1.00"), D("0.00"), False),
        ("P2", D("250.00"), "MATCHED", "invoice_in_remittance", D("0.90"), D("0.00"), False),
        ("P3", D("80.00"), "MATCHED", "amount_and_counterparty", D("0.80"), D("0.00"), False),
        ("P4", D("55.55"), "MATCHED", "amount_only", D("0.60"), D("0.00"), False),
        # 297.50 - 300.00: the bank fee.
        ("P5", D("297.50"), "AMOUNT_DIFFERENCE", "reference", D("1.00"), D("-2.50"), True),
        # 03-02 to 03-10 = 8 days > 5.
        ("P6", None, "NOT_BANKED", None, None, D("-40.00"), True),
        (None, D("70.00"), "UNAPPLIED_CASH", None, None, D("70.00"), True),
        # P1's credit seen again in the second file.
        (None, D("100.00"), "DUPLICATE", None, None, D("100.00"), True),
    ]
