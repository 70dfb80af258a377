"""The IBM "Accounts Receivable" sample through the whole warehouse: settlement measured by someone else.

The data set (2,466 settled invoices of 100 customers, 2012-2013) states for every invoice its DaysToSettle
(= SettledDate - InvoiceDate) and DaysLate (= max(0, SettledDate - DueDate)). Converted into canonical ERP
extracts (tests/helpers/ibm_ar.py: one full payment per invoice on its SettledDate), loaded, and built by dbt,
marts.fct_invoices must give the same two numbers on every invoice, and the same average days late per customer
as Python computes from the CSV's own dates.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from ingestion import transform, warehouse
from ingestion.erp.files import load_extract_dir
from tests.helpers.ibm_ar import IBM_AR_CSV, IbmInvoice, read_ibm_ar, write_erp_extracts

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not IBM_AR_CSV.is_file(), reason=f"the IBM sample is not at {IBM_AR_CSV}"),
]

# The last SettledDate in the data set is 2014-01-09: as of the end of that month every invoice is settled.
AS_OF = date(2014, 1, 31)
INVOICE_COUNT = 2466
CUSTOMER_COUNT = 100


@pytest.fixture
def ibm_invoices() -> list[IbmInvoice]:
    return list(read_ibm_ar())


@pytest.fixture
def ibm_warehouse(
    clean_warehouse: str, ibm_invoices: list[IbmInvoice], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The warehouse holding the IBM sample and nothing else, with the marts built as of AS_OF."""
    # A US company: its invoices are in USD, its reporting currency too, so no exchange rate is needed.
    monkeypatch.setenv("AR_FUNCTIONAL_CURRENCY", "USD")
    with warehouse.connect(clean_warehouse) as conn:
        # fct_ar_aging is incremental: snapshots that other tests built would stay beside ours.
        exists = conn.execute("select to_regclass('marts.fct_ar_aging')").fetchone()
        if exists and exists[0]:
            conn.execute("truncate marts.fct_ar_aging")

    folder = tmp_path / "ibm_erp"
    written = write_erp_extracts(ibm_invoices, folder)
    assert written == {
        "customers": CUSTOMER_COUNT,
        "invoices": INVOICE_COUNT,
        "payments": INVOICE_COUNT,
        "payment_applications": INVOICE_COUNT,
    }
    results = load_extract_dir(clean_warehouse, folder)
    # Every file loads whole: no file rejected, no record rejected.
    assert [(r.entity, r.status, r.rows, r.reason) for r in results] == [
        ("customers", "loaded", CUSTOMER_COUNT, None),
        ("invoices", "loaded", INVOICE_COUNT, None),
        ("payments", "loaded", INVOICE_COUNT, None),
        ("payment_applications", "loaded", INVOICE_COUNT, None),
    ]
    transform.build(AS_OF, url=clean_warehouse)
    return clean_warehouse


def test_days_to_settle_and_days_late_match_the_data_set_on_every_invoice(
    ibm_warehouse: str, ibm_invoices: list[IbmInvoice]
) -> None:
    with warehouse.connect(ibm_warehouse) as conn:
        rows = conn.execute(
            """select invoice_id, settled_date, days_to_settle, days_late, is_paid_on_time, open_amount,
                      paid_amount, is_discount_taken, discount_taken_amount
                 from marts.fct_invoices"""
        ).fetchall()
    mart = {row[0]: row[1:] for row in rows}
    assert len(mart) == INVOICE_COUNT
    assert set(mart) == {invoice.invoice_number for invoice in ibm_invoices}  # leading zeros kept

    mismatches = []
    for invoice in ibm_invoices:
        settled, to_settle, late, on_time, open_amount, paid, discount_taken, discount = mart[
            invoice.invoice_number
        ]
        # The data set's own columns, and what they mean: settled in full on SettledDate, on time when not late,
        # paid in full, so no discount.
        expected = (
            invoice.settled_date,
            invoice.days_to_settle,
            invoice.days_late,
            invoice.days_late == 0,
            Decimal("0.00"),
            invoice.invoice_amount,
            False,
            Decimal("0.00"),
        )
        actual = (settled, to_settle, late, on_time, open_amount, paid, discount_taken, discount)
        if actual != expected:
            mismatches.append((invoice.invoice_number, expected, actual))
    print(f"\nIBM AR: {INVOICE_COUNT - len(mismatches)} of {INVOICE_COUNT} invoices match the data set")
    assert mismatches == [], (
        f"{len(mismatches)} invoices differ (first 20: number, expected, actual): "
        + "\n".join(map(str, mismatches[:20]))
    )


def test_average_days_late_per_customer_matches_python(
    ibm_warehouse: str, ibm_invoices: list[IbmInvoice]
) -> None:
    # Independently of the warehouse and of the DaysLate column: from the CSV's dates, per customer.
    days_late: dict[str, list[int]] = defaultdict(list)
    for invoice in ibm_invoices:
        days_late[invoice.customer_id].append(max(0, (invoice.settled_date - invoice.due_date).days))
    expected = {customer: Fraction(sum(days), len(days)) for customer, days in days_late.items()}

    with warehouse.connect(ibm_warehouse) as conn:
        rows = conn.execute(
            """select customer_id, sum(days_late), count(days_late), avg(days_late)
                 from marts.fct_invoices group by customer_id"""
        ).fetchall()
    # Exact comparison through the integer sum and count; avg() (numeric) is checked to 12 decimals.
    actual = {customer: Fraction(int(total), int(count)) for customer, total, count, _ in rows}
    assert len(actual) == CUSTOMER_COUNT
    assert actual == expected
    for customer, _, _, average in rows:
        assert round(Decimal(average), 12) == round(
            Decimal(expected[customer].numerator) / Decimal(expected[customer].denominator), 12
        )

    # Three customers worked from the CSV (sum of max(0, SettledDate - DueDate) over their invoices / count):
    # 2621-XCLEH, the latest payer: 294 days over 15 invoices = 19.6; 9149-MATVB, the most invoices: 19 days over
    # 36 = 0.527...; 0187-ERLSR: never late on its 16 invoices = 0.
    assert actual["2621-XCLEH"] == Fraction(294, 15)
    assert actual["9149-MATVB"] == Fraction(19, 36)
    assert actual["0187-ERLSR"] == 0
    for customer in ("2621-XCLEH", "9149-MATVB", "0187-ERLSR"):
        print(
            f"{customer}: average days late {float(actual[customer]):.4f} (Python: {float(expected[customer]):.4f})"
        )
