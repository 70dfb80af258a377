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
| P7 (C-A)    | 03-05 | 120.00 | (none)    | 03-06 300,00 "INV-8 INV-9" (P7 paid INV-8, P8 INV-9) | MATCHED, remittance_several_payments, 120.00 of it |
| P8 (C-A)    | 03-05 | 180.00 | (none)    |   (the same credit)                                  | MATCHED, remittance_several_payments, 180.00 of it |
| P9 (C-B)    | 03-07 | 500.00 | (none)    | 03-07 200,00 "INV-10 Teil 1" and 03-08 300,00 "INV-10 Teil 2" (P9 paid INV-10) | MATCHED, remittance_several_credits, 200.00 + 300.00 |

The credit of 03-06 names two invoices, each paid by its own payment: rule 2 cannot pair it with either alone,
and no payment has its amount; rule 5 pairs it with both, since P7 + P8 = 120.00 + 180.00 = 300.00. The two
credits naming INV-10 are P9's instalments: rule 2 finds two credits for P9, and rule 6 pairs both with it, since
200.00 + 300.00 = 500.00.
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
                  [("INV-7", "C-A", "2026-02-01", "2026-03-03", "EUR", "250.00"),
                   ("INV-8", "C-A", "2026-02-05", "2026-03-07", "EUR", "120.00"),
                   ("INV-9", "C-A", "2026-02-06", "2026-03-08", "EUR", "180.00"),
                   ("INV-10", "C-B", "2026-02-07", "2026-03-09", "EUR", "500.00")])  # fmt: skip
    write_extract(
        erp, "payments", ("payment_id", "customer_id", "payment_date", "currency_code", "amount", "reference"),
        [
            ("P1", "C-A", "2026-03-02", "EUR", "100.00", "E2E-1"),
            ("P2", "C-A", "2026-03-03", "EUR", "250.00", ""),
            ("P3", "C-B", "2026-03-04", "EUR", "80.00", ""),
            ("P4", "C-B", "2026-03-06", "EUR", "55.55", ""),
            ("P5", "C-A", "2026-03-06", "EUR", "300.00", "E2E-5"),
            ("P6", "C-B", "2026-03-02", "EUR", "40.00", "E2E-6"),
            ("P7", "C-A", "2026-03-05", "EUR", "120.00", ""),
            ("P8", "C-A", "2026-03-05", "EUR", "180.00", ""),
            ("P9", "C-B", "2026-03-07", "EUR", "500.00", ""),
        ],
    )  # fmt: skip
    write_extract(erp, "payment_applications", ("payment_id", "invoice_id", "applied_amount", "applied_date"),
                  [("P2", "INV-7", "250.00", "2026-03-03"), ("P7", "INV-8", "120.00", "2026-03-05"),
                   ("P8", "INV-9", "180.00", "2026-03-05"), ("P9", "INV-10", "500.00", "2026-03-07")])  # fmt: skip
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
            + _line("06.03.2026", "Rechnungen INV-8 INV-9", "", "Alpha GmbH", "300,00")
            + _line("07.03.2026", "INV-10 Teil 1", "", "Beta AG", "200,00")
            + _line("08.03.2026", "INV-10 Teil 2", "", "Beta AG", "300,00")
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
            """select payment_id, bank_amount, status, match_rule, match_confidence, difference_amount, is_unexplained,
                      match_group_size
                 from marts.fct_bank_reconciliation
                order by payment_id nulls last, bank_amount"""
        ).fetchall()
    assert rows == [
        ("P1", D("100.00"), "MATCHED", "reference", D("1.00"), D("0.00"), False, 1),
        ("P2", D("250.00"), "MATCHED", "invoice_in_remittance", D("0.90"), D("0.00"), False, 1),
        ("P3", D("80.00"), "MATCHED", "amount_and_counterparty", D("0.80"), D("0.00"), False, 1),
        ("P4", D("55.55"), "MATCHED", "amount_only", D("0.60"), D("0.00"), False, 1),
        # 297.50 - 300.00: the bank fee.
        ("P5", D("297.50"), "AMOUNT_DIFFERENCE", "reference", D("1.00"), D("-2.50"), True, 1),
        # 03-02 to 03-10 = 8 days > 5.
        ("P6", None, "NOT_BANKED", None, None, D("-40.00"), True, 1),
        # The 300.00 credit of 03-06, spread over the two payments it paid.
        ("P7", D("120.00"), "MATCHED", "remittance_several_payments", D("0.85"), D("0.00"), False, 2),
        ("P8", D("180.00"), "MATCHED", "remittance_several_payments", D("0.85"), D("0.00"), False, 2),
        # P9's two instalments, one row each.
        ("P9", D("200.00"), "MATCHED", "remittance_several_credits", D("0.85"), D("0.00"), False, 2),
        ("P9", D("300.00"), "MATCHED", "remittance_several_credits", D("0.85"), D("0.00"), False, 2),
        (None, D("70.00"), "UNAPPLIED_CASH", None, None, D("70.00"), True, 1),
        # P1's credit seen again in the second file.
        (None, D("100.00"), "DUPLICATE", None, None, D("100.00"), True, 1),
    ]
    with warehouse.connect(url) as conn:
        groups = conn.execute(
            """select match_group_key like 'erp:%%', sum(bank_amount), sum(payment_amount), count(*)
                 from marts.fct_bank_reconciliation where match_group_size > 1
                group by match_group_key order by 2"""
        ).fetchall()
    # Rule 5 shares the credit's key: 120.00 + 180.00 = 300.00 on both sides; rule 6 the payment's: 200.00 + 300.00.
    assert groups == [(False, D("300.00"), D("300.00"), 2), (True, D("500.00"), D("500.00"), 2)]


def test_rules_left_out_pair_nothing(clean_warehouse: str, tmp_path: Path) -> None:
    """var bank_match_rules runs only the rules it names: with the reference rule alone, P1 and P5 pair (their
    end-to-end ids) and everything the other rules paired is left: the credits as UNAPPLIED_CASH, the payments as
    NOT_BANKED (past the window or not)."""
    test_each_rule_and_status(clean_warehouse, tmp_path)
    transform.run_dbt(
        ["run", "--select", "fct_bank_reconciliation", "--vars",
         '{"as_of_date": "2026-03-10", "bank_match_rules": ["reference"]}'],
        url=clean_warehouse,
    )  # fmt: skip
    with warehouse.connect(clean_warehouse) as conn:
        rows = conn.execute(
            """select status, count(*), string_agg(coalesce(payment_id, '-'), ',' order by payment_id)
                 from marts.fct_bank_reconciliation group by status order by status"""
        ).fetchall()
    # Bank credits: 100 (P1), 250, 80, 297.50 (P5), 55.55, 70, 300, 200, 300 and the duplicate 100.
    assert rows == [
        ("AMOUNT_DIFFERENCE", 1, "P5"),
        ("DUPLICATE", 1, "-"),
        ("MATCHED", 1, "P1"),
        ("NOT_BANKED", 7, "P2,P3,P4,P6,P7,P8,P9"),
        ("UNAPPLIED_CASH", 7, "-,-,-,-,-,-,-"),
    ]
    with pytest.raises(RuntimeError, match="bank_match_rules' must list rules among"):
        transform.run_dbt(
            ["run", "--select", "fct_bank_reconciliation", "--vars",
             '{"as_of_date": "2026-03-10", "bank_match_rules": ["by_magic"]}'],
            url=clean_warehouse,
        )  # fmt: skip


def test_remittance_names_invoices_by_whole_words(clean_warehouse: str, tmp_path: Path) -> None:
    """Rule 2 reads an invoice's letters and digits as whole words in the remittance text, whatever separates them.

    As of 2026-03-10, window 5 days. Customers C-A (Alpha GmbH), C-B (Beta AG); each payment paid one invoice.

    | payment | date  | amount | invoice   | bank credit                                   | expected                      |
    |---------|-------|--------|-----------|-----------------------------------------------|-------------------------------|
    | P1 (A)  | 03-04 |  90.00 | INV-1     | 03-05 90,00 "RE INV 1 / 2026" from Alpha GmbH | MATCHED, invoice_in_remittance|
    | P2 (B)  | 03-04 |  75.00 | INV-10    | 03-04 75,00 "Rechnung INV-10" from Beta AG    | MATCHED, invoice_in_remittance|
    | P3 (A)  | 03-06 |  60.00 | INV-2     | 03-06 65,00 "INV-20 Teil" from Gamma KG       | NOT_BANKED / UNAPPLIED_CASH   |
    | P4 (B)  | 03-06 |  40.00 | 2026/0042 | 03-07 40,00 "Rg. 2026/0042." from Delta OHG   | MATCHED, invoice_in_remittance|
    | P5 (A)  | 03-06 |  40.00 | INV-5     | none                                          | NOT_BANKED                    |

    A search for the invoice id as a substring (the rule before) reads INV-1 inside "INV-10": the 75,00 credit
    names two payments' invoices, rule 2 leaves it, and rule 3 pairs it by amount and name instead. It misses
    "INV 1", so the 90,00 credit too goes to rule 3. And it reads INV-2 inside "INV-20": the 65,00 credit becomes
    P3's, with a difference of 5.00. The 40,00 credit has two payments of its amount (P4, P5), so only the words
    "2026 0042" between "Rg." and the full stop can pair it. P3 and P5 are 4 days old on 03-10, within the window:
    not unexplained.
    """
    url = clean_warehouse
    erp = tmp_path / "erp" / AS_OF.isoformat()
    write_extract(erp, "customers", ("customer_id", "customer_name", "currency_code"),
                  [("C-A", "Alpha GmbH", "EUR"), ("C-B", "Beta AG", "EUR")])  # fmt: skip
    write_extract(erp, "invoices", ("invoice_id", "customer_id", "invoice_date", "due_date", "currency_code", "amount"),
                  [("INV-1", "C-A", "2026-02-01", "2026-03-03", "EUR", "90.00"),
                   ("INV-10", "C-B", "2026-02-01", "2026-03-03", "EUR", "75.00"),
                   ("INV-2", "C-A", "2026-02-02", "2026-03-04", "EUR", "60.00"),
                   ("2026/0042", "C-B", "2026-02-03", "2026-03-05", "EUR", "40.00"),
                   ("INV-5", "C-A", "2026-02-03", "2026-03-05", "EUR", "40.00")])  # fmt: skip
    write_extract(
        erp, "payments", ("payment_id", "customer_id", "payment_date", "currency_code", "amount", "reference"),
        [
            ("P1", "C-A", "2026-03-04", "EUR", "90.00", ""),
            ("P2", "C-B", "2026-03-04", "EUR", "75.00", ""),
            ("P3", "C-A", "2026-03-06", "EUR", "60.00", ""),
            ("P4", "C-B", "2026-03-06", "EUR", "40.00", ""),
            ("P5", "C-A", "2026-03-06", "EUR", "40.00", ""),
        ],
    )  # fmt: skip
    write_extract(erp, "payment_applications", ("payment_id", "invoice_id", "applied_amount", "applied_date"),
                  [("P1", "INV-1", "90.00", "2026-03-04"), ("P2", "INV-10", "75.00", "2026-03-04"),
                   ("P3", "INV-2", "60.00", "2026-03-06"), ("P4", "2026/0042", "40.00", "2026-03-06"),
                   ("P5", "INV-5", "40.00", "2026-03-06")])  # fmt: skip
    assert not [r for r in load_extract_dir(url, tmp_path / "erp") if r.status == "rejected"]

    statement = tmp_path / "giro_march.csv"
    statement.write_bytes(
        (
            HEADER
            + _line("05.03.2026", "RE INV 1 / 2026", "", "Alpha GmbH", "90,00")
            + _line("04.03.2026", "Rechnung INV-10", "", "Beta AG", "75,00")
            + _line("06.03.2026", "INV-20 Teil", "", "Gamma KG", "65,00")
            + _line("07.03.2026", "Rg. 2026/0042.", "", "Delta OHG", "40,00")
        ).encode("cp1252")
    )
    assert load_file(url, statement, csv_mapping="de_giro_semicolon").status == "loaded"

    transform.run_dbt(
        ["build", "--select", "+fct_bank_reconciliation", "--indirect-selection", "cautious"],
        as_of=AS_OF,
        url=url,
    )
    with warehouse.connect(url) as conn:
        rows = conn.execute(
            """select payment_id, bank_amount, payment_amount, status, match_rule, is_unexplained
                 from marts.fct_bank_reconciliation
                order by payment_id nulls last, bank_amount"""
        ).fetchall()
    assert rows == [
        ("P1", D("90.00"), D("90.00"), "MATCHED", "invoice_in_remittance", False),
        ("P2", D("75.00"), D("75.00"), "MATCHED", "invoice_in_remittance", False),
        ("P3", None, D("60.00"), "NOT_BANKED", None, False),
        ("P4", D("40.00"), D("40.00"), "MATCHED", "invoice_in_remittance", False),
        ("P5", None, D("40.00"), "NOT_BANKED", None, False),
        (None, D("65.00"), None, "UNAPPLIED_CASH", None, True),
    ]


SETTLED_ROWS = """select payment_id, bank_amount, status, match_rule, difference_amount, is_settled, days_not_banked,
                         days_unapplied
                    from marts.fct_bank_reconciliation
                   order by payment_id nulls last, bank_amount"""


def _settled_versions(url: str) -> dict[str, str]:
    """Each settled row's key and row version (xmin): a row the run left alone keeps its version."""
    with warehouse.connect(url) as conn:
        rows = conn.execute(
            "select reconciliation_key, xmin::text from marts.fct_bank_reconciliation where is_settled"
        ).fetchall()
    return dict(rows)


def test_settled_matches_are_kept_and_the_open_items_matched_again(
    clean_warehouse: str, tmp_path: Path
) -> None:
    """Decision 009, on the ledger and bank account of test_each_rule_and_status (bank_settle_after_days 31).

    As of 03-10 nothing is settled (every date is after 03-10 - 31 days = 02-07). As of 04-20 every pair and group
    is (all their dates are on or before 03-09, before 04-20 - 31 = 03-20); what is open stays open and ages:
    P6 NOT_BANKED 03-02 to 04-20 = 29 + 20 = 49 days, the 70.00 credit UNAPPLIED_CASH 03-09 to 04-20 = 22 + 20 = 42,
    the DUPLICATE of 03-02 49 days unapplied: duplicates never settle.

    Then the ERP books P10 late (C-B, 03-04, 80.00, no reference) and corrects P5 to the 297.50 the bank credited,
    and the bank sends P1's credit a third time.
    As of 04-21, P10 would make the settled P3 pair ambiguous (two C-B payments of 80.00 within the window of the
    03-05 credit): P3 stays paired, P10 is NOT_BANKED (03-04 to 04-21 = 27 + 21 = 48 days). P5's pair no longer
    holds (300.00 paired, 297.50 now) and is matched again: MATCHED by reference, difference 0.00. The rows the run
    did not rewrite keep their row versions.

    --full-refresh matches everything again: the 80.00 credit has two candidates under rules 3 and 4, so it is
    UNAPPLIED_CASH and P3 and P10 are both NOT_BANKED. A run for an earlier date (03-10) keeps nothing settled.
    """
    url = clean_warehouse
    test_each_rule_and_status(url, tmp_path)
    with warehouse.connect(url) as conn:
        assert conn.execute(
            "select count(*), count(*) filter (where is_settled) from marts.fct_bank_reconciliation"
        ).fetchone() == (12, 0)

    transform.run_dbt(["run", "--select", "fct_bank_reconciliation"], as_of=date(2026, 4, 20), url=url)
    with warehouse.connect(url) as conn:
        rows = conn.execute(SETTLED_ROWS).fetchall()
    assert rows == [
        ("P1", D("100.00"), "MATCHED", "reference", D("0.00"), True, None, None),
        ("P2", D("250.00"), "MATCHED", "invoice_in_remittance", D("0.00"), True, None, None),
        ("P3", D("80.00"), "MATCHED", "amount_and_counterparty", D("0.00"), True, None, None),
        ("P4", D("55.55"), "MATCHED", "amount_only", D("0.00"), True, None, None),
        ("P5", D("297.50"), "AMOUNT_DIFFERENCE", "reference", D("-2.50"), True, None, None),
        ("P6", None, "NOT_BANKED", None, D("-40.00"), False, 49, None),
        ("P7", D("120.00"), "MATCHED", "remittance_several_payments", D("0.00"), True, None, None),
        ("P8", D("180.00"), "MATCHED", "remittance_several_payments", D("0.00"), True, None, None),
        ("P9", D("200.00"), "MATCHED", "remittance_several_credits", D("0.00"), True, None, None),
        ("P9", D("300.00"), "MATCHED", "remittance_several_credits", D("0.00"), True, None, None),
        (None, D("70.00"), "UNAPPLIED_CASH", None, D("70.00"), False, None, 42),
        (None, D("100.00"), "DUPLICATE", None, D("100.00"), False, None, 49),  # P1's credit of 03-02 again
    ]
    before = _settled_versions(url)
    assert len(before) == 9  # P1-P5, P7, P8 and P9's two rows

    late = tmp_path / "erp" / "2026-04-21"
    write_extract(
        late, "payments", ("payment_id", "customer_id", "payment_date", "currency_code", "amount", "reference"),
        [("P10", "C-B", "2026-03-04", "EUR", "80.00", ""), ("P5", "C-A", "2026-03-06", "EUR", "297.50", "E2E-5")],
    )  # fmt: skip
    assert not [r for r in load_extract_dir(url, tmp_path / "erp") if r.status == "rejected"]
    # The bank delivers P1's credit of 03-02 once more, in an export that also has a new 10,00.
    again = tmp_path / "giro_april.csv"
    again.write_bytes(
        (
            HEADER
            + _line("02.03.2026", "Zahlung", "E2E-1", "Alpha GmbH", "100,00")
            + _line("21.04.2026", "Trinkgeld", "", "Delta OHG", "10,00")
        ).encode("cp1252")
    )
    assert load_file(url, again, csv_mapping="de_giro_semicolon").status == "loaded"
    transform.run_dbt(["run", "--select", "fct_bank_reconciliation"], as_of=date(2026, 4, 21), url=url)
    with warehouse.connect(url) as conn:
        rows = conn.execute(SETTLED_ROWS).fetchall()
    assert [r for r in rows if r[0] in ("P3", "P5", "P10")] == [
        ("P10", None, "NOT_BANKED", None, D("-80.00"), False, 48, None),
        ("P3", D("80.00"), "MATCHED", "amount_and_counterparty", D("0.00"), True, None, None),
        ("P5", D("297.50"), "MATCHED", "reference", D("0.00"), True, None, None),
    ]
    # The settled credit comes first among equals: its third copy is a DUPLICATE too (03-02 to 04-21: 50 days),
    # whatever the files' checksums say, and the 10.00 is UNAPPLIED_CASH of the day (0 days).
    assert [r for r in rows if r[0] is None] == [
        (None, D("10.00"), "UNAPPLIED_CASH", None, D("10.00"), False, None, 0),
        (None, D("70.00"), "UNAPPLIED_CASH", None, D("70.00"), False, None, 43),
        (None, D("100.00"), "DUPLICATE", None, D("100.00"), False, None, 50),
        (None, D("100.00"), "DUPLICATE", None, D("100.00"), False, None, 50),
    ]
    assert len(rows) == 15
    after = _settled_versions(url)
    p5_key = next(k for k, v in after.items() if before.get(k) != v)
    # Eight settled rows untouched; P5's written again (same key: its credit's).
    assert {k for k in before if before[k] == after[k]} == set(before) - {p5_key}

    transform.run_dbt(
        ["run", "--select", "fct_bank_reconciliation", "--full-refresh"], as_of=date(2026, 4, 21), url=url
    )
    with warehouse.connect(url) as conn:
        rows = conn.execute(
            """select payment_id, bank_amount, status from marts.fct_bank_reconciliation
                where payment_id in ('P3', 'P10') or bank_amount = 80.00 order by payment_id nulls last"""
        ).fetchall()
    assert rows == [
        ("P10", None, "NOT_BANKED"),
        ("P3", None, "NOT_BANKED"),
        (None, D("80.00"), "UNAPPLIED_CASH"),
    ]

    transform.run_dbt(["run", "--select", "fct_bank_reconciliation"], as_of=AS_OF, url=url)
    with warehouse.connect(url) as conn:
        assert conn.execute(
            """select count(*) filter (where is_settled), count(*) filter (where status = 'UNAPPLIED_CASH')
                 from marts.fct_bank_reconciliation"""
        ).fetchone() == (0, 2)  # the 70.00 credit and the 80.00 one
