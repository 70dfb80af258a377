"""A hand-made receivables ledger aged on two dates, to the cent.

Twelve EUR invoices of three customers, delivered as canonical ERP extracts in two dated folders: what the ERP
knew on 2026-03-31 (FIRST), and the documents that came later (folder 2026-05-20). The marts are built as of
FIRST, then as of SECOND = 2026-05-15 with everything loaded, then as of FIRST again. Every expected number
below is worked out by hand from the documents; none is computed by the warehouse or by Python.

Customers C-ALPHA, C-BETA and C-GAMMA, all EUR, 30 days' terms. Days past due = as-of date - due date. Day
counts use 2026 (not a leap year): Jan 31, Feb 28, Mar 31, Apr 30 days; 2025: Nov 30, Dec 31.

Folder 2026-03-31 (known on FIRST)

| doc id  | customer | date       | due        | amount   | against / note                                  |
|---------|----------|------------|------------|----------|-------------------------------------------------|
| INV-01  | C-ALPHA  | 2026-01-05 | 2026-02-04 | 1,200.00 |                                                 |
| INV-02  | C-ALPHA  | 2026-01-20 | 2026-02-19 |   850.00 |                                                 |
| INV-03  | C-ALPHA  | 2026-02-10 | 2026-03-12 | 2,000.00 |                                                 |
| INV-04  | C-ALPHA  | 2026-02-15 | 2026-03-17 | 1,000.00 |                                                 |
| INV-05  | C-ALPHA  | 2026-03-20 | 2026-04-19 |   640.50 |                                                 |
| INV-07  | C-BETA   | 2025-10-15 | 2025-11-14 | 3,000.00 |                                                 |
| INV-08  | C-BETA   | 2025-12-01 | 2025-12-31 | 1,500.00 | never paid                                      |
| INV-09  | C-BETA   | 2026-01-31 | 2026-03-02 |   780.25 |                                                 |
| INV-10  | C-GAMMA  | 2026-02-28 | 2026-03-31 | 2,400.00 | due on FIRST itself                             |
| INV-11  | C-GAMMA  | 2025-11-20 | 2025-12-20 |   999.99 |                                                 |
| INV-12  | C-GAMMA  | 2026-03-31 | 2026-04-30 | 1,100.00 | invoiced on FIRST itself                        |
| CN-01   | C-ALPHA  | 2026-02-25 |            |   150.00 | credit note allocated to INV-02                 |
| CN-02   | C-BETA   | 2026-03-15 |            |   120.00 | credit note on account (no invoice), never used |
| PAY-01  | C-ALPHA  | 2026-02-20 |            |   500.00 | INV-01 500.00 (partial; applied_date empty)     |
| PAY-02  | C-ALPHA  | 2026-03-10 |            | 2,600.00 | INV-03 2,000.00 + INV-04 600.00 (two invoices)  |
| PAY-03  | C-ALPHA  | 2026-03-25 |            |   250.00 | cash on account; applied to INV-04 04-15        |
| PAY-04  | C-BETA   | 2025-12-01 |            | 1,000.00 | INV-07 1,000.00 (partial)                       |
| PAY-05  | C-BETA   | 2026-03-31 |            |   280.25 | INV-09 280.25 (partial, on FIRST itself)        |
| PAY-06  | C-GAMMA  | 2026-03-28 |            |   500.00 | cash on account; 200.00 applied to INV-11 04-08 |
| WO-01   | C-BETA   | 2026-03-02 |            | 2,000.00 | write-off of INV-07's remaining balance         |

Folder 2026-05-20 (documents after FIRST)

| doc id  | customer | date       | due        | amount   | against / note                                  |
|---------|----------|------------|------------|----------|-------------------------------------------------|
| INV-06  | C-ALPHA  | 2026-04-05 | 2026-05-05 |   300.00 | invoiced after FIRST                            |
| CN-03   | C-GAMMA  | 2026-04-30 |            |   400.00 | credit note allocated to INV-10                 |
| PAY-07  | C-ALPHA  | 2026-04-10 |            |   700.00 | INV-01 700.00 (settles it)                      |
| PAY-08  | C-ALPHA  | 2026-04-20 |            |   300.00 | INV-02 300.00 (partial)                         |
| PAY-09  | C-BETA   | 2026-04-28 |            |   400.00 | INV-07 400.00: a recovery after the write-off   |
| PAY-10  | C-GAMMA  | 2026-05-10 |            |   100.00 | INV-12 100.00 (partial)                         |
| PAY-11  | C-BETA   | 2026-05-15 |            |   500.00 | INV-09 500.00 (settles it, on SECOND itself)    |
| PAY-12  | C-GAMMA  | 2026-05-20 |            | 1,000.00 | INV-10 1,000.00 (after SECOND: ignored on it)   |
| (appl.) |          | 2026-04-15 |            |   250.00 | PAY-03 -> INV-04, applied after FIRST           |
| (appl.) |          | 2026-04-08 |            |   200.00 | PAY-06 -> INV-11, applied after FIRST           |

The recovery (PAY-09 on the fully written-off INV-07) is booked as finance books it: the recovered 400.00 of the
write-off is reinstated (movement write_off_recovery) and PAY-09 clears it, so INV-07 stays settled and C-BETA's
balance is not lowered by cash that was bad debt (test_recovery_after_write_off_leaves_no_credit_balance_on_second).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ingestion import transform, warehouse
from ingestion.erp.files import load_extract_dir
from tests.helpers.erp_extracts import write_extract

pytestmark = pytest.mark.integration

FIRST = date(2026, 3, 31)
SECOND = date(2026, 5, 15)
LATER_FOLDER = "2026-05-20"


def D(text: str) -> Decimal:
    """A money literal: D("700.00")."""
    return Decimal(text)


# The documents

CUSTOMER_COLUMNS = ("customer_id", "customer_name", "country_code", "currency_code", "payment_terms_days")
CUSTOMERS = [
    ("C-ALPHA", "Alpha GmbH", "DE", "EUR", "30"),
    ("C-BETA", "Beta SARL", "FR", "EUR", "30"),
    ("C-GAMMA", "Gamma BV", "NL", "EUR", "30"),
]

INVOICE_COLUMNS = ("invoice_id", "customer_id", "invoice_date", "due_date", "currency_code", "amount")
CREDIT_NOTE_COLUMNS = ("credit_note_id", "invoice_id", "customer_id", "credit_note_date", "amount", "reason")
PAYMENT_COLUMNS = ("payment_id", "customer_id", "payment_date", "currency_code", "amount", "reference")
APPLICATION_COLUMNS = ("payment_id", "invoice_id", "applied_amount", "applied_date")
WRITE_OFF_COLUMNS = ("write_off_id", "invoice_id", "write_off_date", "amount", "reason", "approved_by")

KNOWN_ON_FIRST: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {
    "customers": (CUSTOMER_COLUMNS, CUSTOMERS),
    "invoices": (
        INVOICE_COLUMNS,
        [
            ("INV-01", "C-ALPHA", "2026-01-05", "2026-02-04", "EUR", "1200.00"),
            ("INV-02", "C-ALPHA", "2026-01-20", "2026-02-19", "EUR", "850.00"),
            ("INV-03", "C-ALPHA", "2026-02-10", "2026-03-12", "EUR", "2000.00"),
            ("INV-04", "C-ALPHA", "2026-02-15", "2026-03-17", "EUR", "1000.00"),
            ("INV-05", "C-ALPHA", "2026-03-20", "2026-04-19", "EUR", "640.50"),
            ("INV-07", "C-BETA", "2025-10-15", "2025-11-14", "EUR", "3000.00"),
            ("INV-08", "C-BETA", "2025-12-01", "2025-12-31", "EUR", "1500.00"),
            ("INV-09", "C-BETA", "2026-01-31", "2026-03-02", "EUR", "780.25"),
            ("INV-10", "C-GAMMA", "2026-02-28", "2026-03-31", "EUR", "2400.00"),
            ("INV-11", "C-GAMMA", "2025-11-20", "2025-12-20", "EUR", "999.99"),
            ("INV-12", "C-GAMMA", "2026-03-31", "2026-04-30", "EUR", "1100.00"),
        ],
    ),
    "credit_notes": (
        CREDIT_NOTE_COLUMNS,
        [
            ("CN-01", "INV-02", "C-ALPHA", "2026-02-25", "150.00", "price difference"),
            ("CN-02", "", "C-BETA", "2026-03-15", "120.00", "volume rebate"),  # on account, no invoice
        ],
    ),
    "payments": (
        PAYMENT_COLUMNS,
        [
            ("PAY-01", "C-ALPHA", "2026-02-20", "EUR", "500.00", "INV-01"),
            ("PAY-02", "C-ALPHA", "2026-03-10", "EUR", "2600.00", "INV-03 INV-04"),
            ("PAY-03", "C-ALPHA", "2026-03-25", "EUR", "250.00", "on account"),
            ("PAY-04", "C-BETA", "2025-12-01", "EUR", "1000.00", "INV-07"),
            ("PAY-05", "C-BETA", "2026-03-31", "EUR", "280.25", "INV-09"),
            ("PAY-06", "C-GAMMA", "2026-03-28", "EUR", "500.00", "on account"),
        ],
    ),
    "payment_applications": (
        APPLICATION_COLUMNS,
        [
            # applied_date left empty: the loader takes the payment's date, 2026-02-20.
            ("PAY-01", "INV-01", "500.00", ""),
            ("PAY-02", "INV-03", "2000.00", "2026-03-10"),
            ("PAY-02", "INV-04", "600.00", "2026-03-10"),
            ("PAY-04", "INV-07", "1000.00", "2025-12-01"),
            ("PAY-05", "INV-09", "280.25", "2026-03-31"),
        ],
    ),
    "write_offs": (
        WRITE_OFF_COLUMNS,
        [("WO-01", "INV-07", "2026-03-02", "2000.00", "customer insolvent", "CFO")],
    ),
}

KNOWN_LATER: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {
    "invoices": (INVOICE_COLUMNS, [("INV-06", "C-ALPHA", "2026-04-05", "2026-05-05", "EUR", "300.00")]),
    "credit_notes": (
        CREDIT_NOTE_COLUMNS,
        [("CN-03", "INV-10", "C-GAMMA", "2026-04-30", "400.00", "damaged goods")],
    ),
    "payments": (
        PAYMENT_COLUMNS,
        [
            ("PAY-07", "C-ALPHA", "2026-04-10", "EUR", "700.00", "INV-01"),
            ("PAY-08", "C-ALPHA", "2026-04-20", "EUR", "300.00", "INV-02"),
            ("PAY-09", "C-BETA", "2026-04-28", "EUR", "400.00", "INV-07 liquidator dividend"),
            ("PAY-10", "C-GAMMA", "2026-05-10", "EUR", "100.00", "INV-12"),
            ("PAY-11", "C-BETA", "2026-05-15", "EUR", "500.00", "INV-09"),
            ("PAY-12", "C-GAMMA", "2026-05-20", "EUR", "1000.00", "INV-10"),
        ],
    ),
    "payment_applications": (
        APPLICATION_COLUMNS,
        [
            # Cash received before FIRST and applied after it: the applied_date is what keeps FIRST unchanged.
            ("PAY-03", "INV-04", "250.00", "2026-04-15"),
            ("PAY-06", "INV-11", "200.00", "2026-04-08"),
            ("PAY-07", "INV-01", "700.00", "2026-04-10"),
            ("PAY-08", "INV-02", "300.00", "2026-04-20"),
            ("PAY-09", "INV-07", "400.00", "2026-04-28"),
            ("PAY-10", "INV-12", "100.00", "2026-05-10"),
            ("PAY-11", "INV-09", "500.00", "2026-05-15"),
            ("PAY-12", "INV-10", "1000.00", "2026-05-20"),
        ],
    ),
}

# The answers, worked by hand

# marts.fct_ar_aging as of FIRST = 2026-03-31: (invoice_id, customer_id, open_amount, days_past_due,
# aging_bucket). Left out, open 0.00: INV-03 = 2,000.00 - 2,000.00 (PAY-02, 03-10);
# INV-07 = 3,000.00 - 1,000.00 (PAY-04, 2025-12-01) - 2,000.00 (WO-01, 03-02). Not issued yet: INV-06 (04-05).
AGING_FIRST = [
    # 1,200.00 - 500.00 PAY-01 (02-20) = 700.00 (PAY-07 is 04-10, later); due 02-04: 24 to 02-28 + 31 = 55.
    ("INV-01", "C-ALPHA", D("700.00"), 55, "31-60"),
    # 850.00 - 150.00 CN-01 (02-25) = 700.00; due 02-19: 9 days to 02-28 + 31 = 40.
    ("INV-02", "C-ALPHA", D("700.00"), 40, "31-60"),
    # 1,000.00 - 600.00 PAY-02 (03-10) = 400.00 (PAY-03's 250.00 is applied 04-15, later); due 03-17: 14.
    ("INV-04", "C-ALPHA", D("400.00"), 14, "1-30"),
    # Untouched 640.50; due 04-19: 19 days ahead = -19, not yet due.
    ("INV-05", "C-ALPHA", D("640.50"), -19, "current"),
    # Untouched 1,500.00; due 2025-12-31: 31 (Jan) + 28 (Feb) + 31 (Mar) = 90, 61-90's last day (inclusive).
    ("INV-08", "C-BETA", D("1500.00"), 90, "61-90"),
    # 780.25 - 280.25 PAY-05 (03-31, the as-of date counts) = 500.00; due 03-02: 31 - 2 = 29.
    ("INV-09", "C-BETA", D("500.00"), 29, "1-30"),
    # Untouched 2,400.00 (CN-03 is 04-30); due 03-31 = the as-of date: 0 days, current.
    ("INV-10", "C-GAMMA", D("2400.00"), 0, "current"),
    # Untouched 999.99 (PAY-06's 200.00 is applied 04-08); due 2025-12-20: 11 (Dec) + 31 + 28 + 31 = 101.
    ("INV-11", "C-GAMMA", D("999.99"), 101, "91-120"),
    # Invoiced on the as-of date itself, 1,100.00; due 04-30: 30 days ahead = -30.
    ("INV-12", "C-GAMMA", D("1100.00"), -30, "current"),
]

# marts.rpt_ar_aging_by_customer as of FIRST: (customer_id, currency_code, current, 1-30, 31-60, 61-90,
# 91-120, 120+, open invoices, unapplied cash, unapplied credit, net balance = open - cash - credit).
BY_CUSTOMER_FIRST = [
    # current INV-05 640.50; 1-30 INV-04 400.00; 31-60 INV-01 700.00 + INV-02 700.00 = 1,400.00;
    # open 640.50 + 400.00 + 1,400.00 = 2,440.50. Cash: PAY-01 500.00 - 500.00 + PAY-02 2,600.00 - 2,600.00
    # + PAY-03 250.00 - 0.00 (applied 04-15) = 250.00. Net 2,440.50 - 250.00 = 2,190.50.
    (
        "C-ALPHA", "EUR",
        D("640.50"), D("400.00"), D("1400.00"), D("0.00"), D("0.00"), D("0.00"),
        D("2440.50"), D("250.00"), D("0.00"), D("2190.50"),
    ),
    # 1-30 INV-09 500.00; 61-90 INV-08 1,500.00; open 2,000.00. Cash: PAY-04 1,000.00 - 1,000.00 + PAY-05
    # 280.25 - 280.25 = 0.00. Credit: CN-02 120.00. Net 2,000.00 - 0.00 - 120.00 = 1,880.00.
    (
        "C-BETA", "EUR",
        D("0.00"), D("500.00"), D("0.00"), D("1500.00"), D("0.00"), D("0.00"),
        D("2000.00"), D("0.00"), D("120.00"), D("1880.00"),
    ),
    # current INV-10 2,400.00 + INV-12 1,100.00 = 3,500.00; 91-120 INV-11 999.99; open 4,499.99.
    # Cash: PAY-06 500.00 - 0.00 (applied 04-08) = 500.00. Net 4,499.99 - 500.00 = 3,999.99.
    (
        "C-GAMMA", "EUR",
        D("3500.00"), D("0.00"), D("0.00"), D("0.00"), D("999.99"), D("0.00"),
        D("4499.99"), D("500.00"), D("0.00"), D("3999.99"),
    ),
]  # fmt: skip

# marts.fct_ar_aging as of SECOND = 2026-05-15. From FIRST's day counts: + 30 (April) + 15 (May) = + 45. Left
# out, open 0.00: INV-01 = 700.00 - 700.00 (PAY-07, 04-10); INV-03 as before; INV-09 = 500.00 - 500.00
# (PAY-11, 05-15, the as-of date counts). INV-07 is the written-off invoice with the recovery, asserted apart
# in test_recovery_after_write_off_leaves_no_credit_balance_on_second: 0.00 open for a finance user.
AGING_SECOND = [
    # 700.00 - 300.00 PAY-08 (04-20) = 400.00; 40 + 45 = 85.
    ("INV-02", "C-ALPHA", D("400.00"), 85, "61-90"),
    # 400.00 - 250.00 PAY-03 (applied 04-15) = 150.00; 14 + 45 = 59.
    ("INV-04", "C-ALPHA", D("150.00"), 59, "31-60"),
    # Untouched 640.50; -19 + 45 = 26 (due 04-19: 11 days to 04-30 + 15).
    ("INV-05", "C-ALPHA", D("640.50"), 26, "1-30"),
    # Issued 04-05, untouched 300.00; due 05-05: 10.
    ("INV-06", "C-ALPHA", D("300.00"), 10, "1-30"),
    # Untouched 1,500.00; 90 + 45 = 135.
    ("INV-08", "C-BETA", D("1500.00"), 135, "120+"),
    # 2,400.00 - 400.00 CN-03 (04-30) = 2,000.00 (PAY-12 is 05-20, after SECOND); 0 + 45 = 45.
    ("INV-10", "C-GAMMA", D("2000.00"), 45, "31-60"),
    # 999.99 - 200.00 PAY-06 (applied 04-08) = 799.99; 101 + 45 = 146.
    ("INV-11", "C-GAMMA", D("799.99"), 146, "120+"),
    # 1,100.00 - 100.00 PAY-10 (05-10) = 1,000.00; -30 + 45 = 15.
    ("INV-12", "C-GAMMA", D("1000.00"), 15, "1-30"),
]

BY_CUSTOMER_SECOND_ALPHA_GAMMA = [
    # 1-30 INV-05 640.50 + INV-06 300.00 = 940.50; 31-60 INV-04 150.00; 61-90 INV-02 400.00; open 1,490.50.
    # Cash: PAY-01, PAY-02, PAY-07, PAY-08 fully applied; PAY-03 250.00 - 250.00 (04-15) = 0.00. Net 1,490.50.
    (
        "C-ALPHA", "EUR",
        D("0.00"), D("940.50"), D("150.00"), D("400.00"), D("0.00"), D("0.00"),
        D("1490.50"), D("0.00"), D("0.00"), D("1490.50"),
    ),
    # 1-30 INV-12 1,000.00; 31-60 INV-10 2,000.00; 120+ INV-11 799.99; open 3,799.99.
    # Cash: PAY-06 500.00 - 200.00 (04-08) = 300.00; PAY-10 100.00 - 100.00 = 0.00; PAY-12 (05-20) not in
    # yet. Net 3,799.99 - 300.00 = 3,499.99.
    (
        "C-GAMMA", "EUR",
        D("0.00"), D("1000.00"), D("2000.00"), D("0.00"), D("0.00"), D("799.99"),
        D("3799.99"), D("300.00"), D("0.00"), D("3499.99"),
    ),
]  # fmt: skip

# C-BETA on SECOND, as a finance user reads it: INV-08 1,500.00 in 120+ is all that is open. The 400.00
# recovered on INV-07 (PAY-09) is bad-debt recovered, not a credit the customer can use: the write-off is
# reduced to 1,600.00 (or the 400.00 reinstated and paid), and INV-07 stays at 0.00. Cash: PAY-04, PAY-05,
# PAY-09, PAY-11 fully applied = 0.00. Credit: CN-02 120.00. Net 1,500.00 - 0.00 - 120.00 = 1,380.00.
BY_CUSTOMER_SECOND_BETA = (
    "C-BETA", "EUR",
    D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("1500.00"),
    D("1500.00"), D("0.00"), D("120.00"), D("1380.00"),
)  # fmt: skip

# marts.fct_write_offs: (write_off_id, amount, days_past_due_at_write_off, aging_bucket_at_write_off,
# recovered_amount). WO-01 on 2026-03-02, INV-07 due 2025-11-14: 16 (Nov) + 31 + 31 + 28 + 2 = 108 -> 91-120.
# Recovered: nothing by FIRST; PAY-09's 400.00 (04-28, after the write-off) by SECOND.
WRITE_OFFS_FIRST = [("WO-01", D("2000.00"), 108, "91-120", D("0.00"))]
WRITE_OFFS_SECOND = [("WO-01", D("2000.00"), 108, "91-120", D("400.00"))]

# Loading, building, reading back


@dataclass(frozen=True)
class Snapshot:
    """What the marts hold for one as-of date right after building it."""

    aging: list[tuple[Any, ...]]
    by_customer: list[tuple[Any, ...]]
    write_offs: list[tuple[Any, ...]]
    invoices: list[tuple[Any, ...]] = field(default_factory=list)


def _write_folder(folder: Path, extracts: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]]) -> None:
    for entity_name, (columns, rows) in extracts.items():
        write_extract(folder, entity_name, columns, rows)


def _read_aging(url: str, as_of: date) -> list[tuple[Any, ...]]:
    """Every row of fct_ar_aging's snapshot for `as_of` (all EUR), by invoice_id."""
    with warehouse.connect(url) as conn:
        aging = conn.execute(
            """select invoice_id, customer_id, open_amount, days_past_due, aging_bucket
                 from marts.fct_ar_aging
                where as_of_date = %s and currency_code = 'EUR'
                order by invoice_id""",
            (as_of,),
        ).fetchall()
        # Every row of the aging, whatever its currency: a stray row in another currency must fail too.
        other = conn.execute(
            "select count(*) from marts.fct_ar_aging where as_of_date = %s and currency_code <> 'EUR'",
            (as_of,),
        ).fetchone()
        assert other == (0,)
    return aging


def _read_snapshot(url: str, as_of: date) -> Snapshot:
    with warehouse.connect(url) as conn:
        by_customer = conn.execute(
            """select customer_id, currency_code, current_amount, days_1_30_amount, days_31_60_amount,
                      days_61_90_amount, days_91_120_amount, days_over_120_amount, open_invoices_amount,
                      unapplied_cash_amount, unapplied_credit_amount, net_balance_amount
                 from marts.rpt_ar_aging_by_customer
                where as_of_date = %s
                order by customer_id, currency_code""",
            (as_of,),
        ).fetchall()
        write_offs = conn.execute(
            """select write_off_id, amount, days_past_due_at_write_off, aging_bucket_at_write_off,
                      recovered_amount
                 from marts.fct_write_offs
                where as_of_date = %s
                order by write_off_id""",
            (as_of,),
        ).fetchall()
        invoices = conn.execute(
            """select invoice_id, open_amount, settled_date, paid_amount from marts.fct_invoices
                where as_of_date = %s order by invoice_id""",
            (as_of,),
        ).fetchall()
    return Snapshot(
        aging=_read_aging(url, as_of), by_customer=by_customer, write_offs=write_offs, invoices=invoices
    )


def _run_scenario(url: str, root: Path) -> dict[str, Snapshot]:
    """Load what was known on FIRST and build FIRST; load the rest, build SECOND, then FIRST again."""
    with warehouse.connect(url) as conn:
        # fct_ar_aging is incremental: snapshots that other tests built would stay beside ours.
        exists = conn.execute("select to_regclass('marts.fct_ar_aging')").fetchone()
        if exists and exists[0]:
            conn.execute("truncate marts.fct_ar_aging")

    _write_folder(root / FIRST.isoformat(), KNOWN_ON_FIRST)
    _write_folder(root / LATER_FOLDER, KNOWN_LATER)

    first_load = load_extract_dir(url, root, through=FIRST)
    assert [(r.entity, r.status, r.rows, r.reason) for r in first_load] == [
        ("customers", "loaded", 3, None),
        ("invoices", "loaded", 11, None),
        ("credit_notes", "loaded", 2, None),
        ("payments", "loaded", 6, None),
        ("payment_applications", "loaded", 5, None),
        ("write_offs", "loaded", 1, None),
    ]
    transform.build(FIRST, url=url)
    snapshots = {"first": _read_snapshot(url, FIRST)}

    # The whole folder tree again: FIRST's files are duplicates (same sha256) and load nothing.
    later_load = load_extract_dir(url, root)
    assert [(r.entity, r.status, r.rows, r.reason) for r in later_load if r.status != "duplicate"] == [
        ("invoices", "loaded", 1, None),
        ("credit_notes", "loaded", 1, None),
        ("payments", "loaded", 6, None),
        ("payment_applications", "loaded", 8, None),
    ]
    assert sum(r.status == "duplicate" for r in later_load) == 6
    transform.build(SECOND, url=url)
    snapshots["second"] = _read_snapshot(url, SECOND)

    transform.build(FIRST, url=url)
    snapshots["first_rebuilt"] = _read_snapshot(url, FIRST)
    # fct_ar_aging keeps SECOND's snapshot beside FIRST's; the other marts hold the last date built only.
    snapshots["second_kept"] = Snapshot(aging=_read_aging(url, SECOND), by_customer=[], write_offs=[])
    return snapshots


@pytest.fixture(scope="module")
def _built_once() -> dict[str, Snapshot]:
    return {}


@pytest.fixture
def snapshots(
    clean_warehouse: str, tmp_path_factory: pytest.TempPathFactory, _built_once: dict[str, Snapshot]
) -> dict[str, Snapshot]:
    """The marts read back after each of the three builds: first, second, first_rebuilt (and second_kept).

    The scenario runs once per module (three dbt builds are most of the run time); the tests only read the
    snapshots, so a later test's clean_warehouse emptying the raw tables does not touch them.
    """
    if not _built_once:
        _built_once.update(_run_scenario(clean_warehouse, tmp_path_factory.mktemp("aging_scenario")))
    return _built_once


# The tests


def test_aging_on_first_date(snapshots: dict[str, Snapshot]) -> None:
    first = snapshots["first"]
    assert first.aging == AGING_FIRST
    assert first.by_customer == BY_CUSTOMER_FIRST
    assert first.write_offs == WRITE_OFFS_FIRST


def test_aging_on_second_date(snapshots: dict[str, Snapshot]) -> None:
    second = snapshots["second"]
    # Every row but the written-off INV-07, which the next test holds to the finance answer.
    assert [row for row in second.aging if row[0] != "INV-07"] == AGING_SECOND
    assert [row for row in second.by_customer if row[0] != "C-BETA"] == BY_CUSTOMER_SECOND_ALPHA_GAMMA
    assert second.write_offs == WRITE_OFFS_SECOND


def test_invoices_as_of_each_date(snapshots: dict[str, Snapshot]) -> None:
    first = {row[0]: row[1:] for row in snapshots["first"].invoices}
    second = {row[0]: row[1:] for row in snapshots["second"].invoices}
    # INV-01: 1,200.00 - 500.00 (PAY-01) = 700.00 open on FIRST, paid 500.00; PAY-07's 700.00 on 04-10 settles it.
    assert first["INV-01"] == (D("700.00"), None, D("500.00"))
    assert second["INV-01"] == (D("0.00"), date(2026, 4, 10), D("1200.00"))
    # INV-06 is dated 04-05: not an invoice yet on FIRST; on SECOND open 300.00, nothing paid.
    assert "INV-06" not in first and second["INV-06"] == (D("300.00"), None, D("0.00"))
    # INV-03 settled by PAY-02 on 03-10 on both dates.
    assert first["INV-03"] == second["INV-03"] == (D("0.00"), date(2026, 3, 10), D("2000.00"))


def test_recovery_after_write_off_leaves_no_credit_balance_on_second(snapshots: dict[str, Snapshot]) -> None:
    second = snapshots["second"]
    # INV-07: 3,000.00 - 1,000.00 PAY-04 - 2,000.00 WO-01 = 0.00 on 03-02; PAY-09's 400.00 on 04-28 is
    # recovered bad debt (fct_write_offs.recovered_amount says so), so the invoice stays at 0.00 and out of
    # the aging.
    assert [row for row in second.aging if row[0] == "INV-07"] == []
    assert [row for row in second.by_customer if row[0] == "C-BETA"] == [BY_CUSTOMER_SECOND_BETA]


def test_rebuilding_first_date_after_later_documents_gives_the_same_answer(
    snapshots: dict[str, Snapshot],
) -> None:
    # Built again with every later invoice, credit note, payment, application and the recovery loaded: none is
    # dated on or before FIRST, so FIRST's answer must not move by a cent.
    rebuilt = snapshots["first_rebuilt"]
    assert rebuilt.aging == AGING_FIRST
    assert rebuilt.by_customer == BY_CUSTOMER_FIRST
    assert rebuilt.write_offs == WRITE_OFFS_FIRST
    # fct_invoices is kept incrementally: going back to FIRST recomputes the invoices whose figures changed after
    # it and drops INV-06 (dated 04-05), so it equals the first build of FIRST.
    assert rebuilt.invoices == snapshots["first"].invoices
    assert [row[0] for row in rebuilt.invoices] == [
        f"INV-{n:02d}" for n in (1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12)
    ]
    # And the aging snapshot of SECOND is still there, row for row, beside the rebuilt FIRST.
    assert snapshots["second_kept"].aging == snapshots["second"].aging
