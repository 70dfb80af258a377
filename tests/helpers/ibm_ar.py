"""The IBM Watson Analytics "Accounts Receivable" sample as canonical ERP CSV extracts.

The data set (../shared/external/ibm_ar/WA_Fn-UseC_-Accounts-Receivable.csv) has one row per settled invoice:
countryCode, customerID, PaperlessDate, invoiceNumber, InvoiceDate, DueDate, InvoiceAmount, Disputed,
SettledDate, PaperlessBill, DaysToSettle, DaysLate. Dates are M/D/YYYY; invoice numbers keep their leading
zeros, so every identifier stays text.

`read_ibm_ar` parses it into typed records (no database); `write_erp_extracts` writes them as the canonical
extracts that `ingestion.erp.files.load_extract_dir` loads: customers.csv, invoices.csv, payments.csv and
payment_applications.csv. The data set has no payments, only a settled date, so each invoice gets one payment
of its full amount on its SettledDate, applied to it alone; nothing is credited or written off.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ingestion.config import PROJECT_ROOT

# The external corpus sits beside the checkout (as for the bank conformance tests); AR_EXTERNAL_DATA_DIR moves it.
EXTERNAL = Path(os.environ.get("AR_EXTERNAL_DATA_DIR", PROJECT_ROOT.parent / "shared" / "external"))
IBM_AR_CSV = EXTERNAL / "ibm_ar" / "WA_Fn-UseC_-Accounts-Receivable.csv"
# The data set names no currency; its amounts (tens to hundreds) are read as US dollars.
DEFAULT_CURRENCY = "USD"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class IbmInvoice:
    """One row of the data set, typed. days_to_settle and days_late are the data set's own columns."""

    invoice_number: str
    customer_id: str
    country_code: str  # the data set's numeric code (391, 406, ...), not ISO 3166
    invoice_date: date
    due_date: date
    invoice_amount: Decimal
    is_disputed: bool
    settled_date: date
    days_to_settle: int
    days_late: int


def _us_date(text: str, *, line: int, field: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%m/%d/%Y").date()  # noqa: DTZ007 (a date, no time zone)
    except ValueError:
        raise ValueError(f"line {line}: {field}: not a M/D/YYYY date: {text!r}") from None


def _yes_no(text: str, *, line: int, field: str) -> bool:
    value = text.strip().lower()
    if value not in ("yes", "no"):
        raise ValueError(f"line {line}: {field}: expected Yes or No, got {text!r}")
    return value == "yes"


def read_ibm_ar(path: Path = IBM_AR_CSV) -> Iterator[IbmInvoice]:
    """Yield the data set's rows as IbmInvoice records; raise ValueError naming the line and field on bad data."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            line = reader.line_num
            yield IbmInvoice(
                invoice_number=row["invoiceNumber"].strip(),
                customer_id=row["customerID"].strip(),
                country_code=row["countryCode"].strip(),
                invoice_date=_us_date(row["InvoiceDate"], line=line, field="InvoiceDate"),
                due_date=_us_date(row["DueDate"], line=line, field="DueDate"),
                invoice_amount=Decimal(row["InvoiceAmount"].strip()).quantize(CENT),
                is_disputed=_yes_no(row["Disputed"], line=line, field="Disputed"),
                settled_date=_us_date(row["SettledDate"], line=line, field="SettledDate"),
                days_to_settle=int(row["DaysToSettle"]),
                days_late=int(row["DaysLate"]),
            )


def payment_id(invoice: IbmInvoice) -> str:
    """The id of the one payment that settles `invoice` in the extracts."""
    return f"PAY-{invoice.invoice_number}"


def write_erp_extracts(
    invoices: Iterable[IbmInvoice], folder: Path, *, currency_code: str = DEFAULT_CURRENCY
) -> dict[str, int]:
    """Write customers.csv, invoices.csv, payments.csv and payment_applications.csv into `folder`.

    Customers get their id as name (the data set has no names), no country (its codes are not ISO 3166) and
    payment terms of due date - invoice date when all their invoices agree on it (30 days in the data set),
    else none. Returns the number of rows written per file stem.
    """
    folder.mkdir(parents=True, exist_ok=True)
    terms: dict[str, set[int]] = {}
    counts = {"customers": 0, "invoices": 0, "payments": 0, "payment_applications": 0}
    with (
        (folder / "invoices.csv").open("w", newline="", encoding="utf-8") as invoices_file,
        (folder / "payments.csv").open("w", newline="", encoding="utf-8") as payments_file,
        (folder / "payment_applications.csv").open("w", newline="", encoding="utf-8") as applications_file,
    ):
        invoices_csv = csv.writer(invoices_file, lineterminator="\n")
        payments_csv = csv.writer(payments_file, lineterminator="\n")
        applications_csv = csv.writer(applications_file, lineterminator="\n")
        invoices_csv.writerow(
            [
                "invoice_id",
                "customer_id",
                "invoice_date",
                "due_date",
                "currency_code",
                "amount",
                "is_disputed",
            ]
        )
        payments_csv.writerow(
            ["payment_id", "customer_id", "payment_date", "currency_code", "amount", "reference"]
        )
        applications_csv.writerow(["payment_id", "invoice_id", "applied_amount", "applied_date"])
        for invoice in invoices:
            amount = str(invoice.invoice_amount)
            invoices_csv.writerow(
                [
                    invoice.invoice_number,
                    invoice.customer_id,
                    invoice.invoice_date.isoformat(),
                    invoice.due_date.isoformat(),
                    currency_code,
                    amount,
                    "true" if invoice.is_disputed else "false",
                ]
            )
            payments_csv.writerow(
                [
                    payment_id(invoice),
                    invoice.customer_id,
                    invoice.settled_date.isoformat(),
                    currency_code,
                    amount,
                    invoice.invoice_number,
                ]
            )
            applications_csv.writerow(
                [payment_id(invoice), invoice.invoice_number, amount, invoice.settled_date.isoformat()]
            )
            terms.setdefault(invoice.customer_id, set()).add((invoice.due_date - invoice.invoice_date).days)
            counts["invoices"] += 1
            counts["payments"] += 1
            counts["payment_applications"] += 1

    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as customers_file:
        customers_csv = csv.writer(customers_file, lineterminator="\n")
        customers_csv.writerow(["customer_id", "customer_name", "currency_code", "payment_terms_days"])
        for customer_id in sorted(terms):
            days = terms[customer_id]
            customers_csv.writerow(
                [customer_id, customer_id, currency_code, str(next(iter(days))) if len(days) == 1 else ""]
            )
            counts["customers"] += 1
    return counts
