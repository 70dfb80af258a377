"""Daily ERP extracts as CSV files in the warehouse's canonical shape (erp_mode "files" or "both").

landing/erp/<YYYY-MM-DD>/{customers,invoices,credit_notes,payments,payment_applications,write_offs}.csv, one folder
for every day of the period, every file present (header only on a day with nothing to report). A file holds the
rows created or changed on its day, each at most once, in the version it has at the end of that day: an invoice
disputed on day D appears again in D's invoices.csv with is_disputed = true; a customer whose credit limit is
reviewed appears again in that day's customers.csv. The first day's folder also holds everything dated before the
period (the opening history), in its version at the end of the first day.

Format: UTF-8, header row, comma separated, LF line ends, quoting only where needed; ISO dates; amounts as plain
decimals with two places ('1234.50'); insured_share as a fraction with four places ('0.8500'); booleans 'true' and
'false'; an empty field for a missing value.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from ingestion.erp.entities import ENTITIES
from ingestion.generate.model import Customer, DayBatch, Invoice

# The canonical extract columns, in the order the ERP file loader documents them.
COLUMNS: dict[str, tuple[str, ...]] = {name: entity.column_names for name, entity in ENTITIES.items()}


def _bool(value: bool) -> str:
    return "true" if value else "false"


class ErpFileWriter:
    """Streams each day's batch into that day's folder; history goes into the first day's folder."""

    def __init__(self, root: Path, start: date) -> None:
        self.root = root
        self._start = start
        self._day: date | None = None
        self._handles: list[TextIO] = []
        self._writers: dict[str, Callable[[Any], Any]] = {}
        self.rows = dict.fromkeys(COLUMNS, 0)
        self.folders = 0

    def _file_day(self, day: date) -> date:
        return max(day, self._start)

    def _open(self, day: date) -> None:
        self.close()
        folder = self.root / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        for entity, columns in COLUMNS.items():
            handle = (folder / f"{entity}.csv").open("w", encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            self._handles.append(handle)
            self._writers[entity] = writer.writerow
        self._day = day
        self.folders += 1

    def close(self) -> None:
        """Close the current day's files (the writer opens the next day's on the next `write`)."""
        for handle in self._handles:
            handle.close()
        self._handles = []
        self._writers = {}

    def _write(self, entity: str, row: tuple) -> None:
        self._writers[entity](row)
        self.rows[entity] += 1

    def write(self, batch: DayBatch) -> None:
        """Append one day's rows to the files of its folder (the first day's folder for the history)."""
        day = self._file_day(batch.day)
        if day != self._day:
            self._open(day)
        for customer in batch.new_customers:
            self._write_customer(customer, day)
        for customer in batch.changed_customers:
            # A change on the day the customer is first delivered is already in that row.
            if self._file_day(customer.created_on) != day:
                self._write_customer(customer, day)
        for invoice in batch.new_invoices:
            self._write_invoice(invoice, day)
        for invoice in batch.disputed_invoices:
            if self._file_day(invoice.invoice_date) != day:
                self._write_invoice(invoice, day)
        for note in batch.credit_notes:
            self._write(
                "credit_notes",
                (
                    note.credit_note_id,
                    note.invoice_id,
                    note.customer_id,
                    note.credit_note_date.isoformat(),
                    note.amount,
                    note.reason,
                ),
            )
        for payment in batch.payments:
            self._write(
                "payments",
                (
                    payment.payment_id,
                    payment.customer_id,
                    payment.payment_date.isoformat(),
                    payment.currency_code,
                    payment.amount,
                    payment.reference,
                ),
            )
            for application in payment.applications:
                self._write(
                    "payment_applications",
                    (
                        application.payment_id,
                        application.invoice_id,
                        application.applied_amount,
                        application.applied_date.isoformat(),
                    ),
                )
        for rate in batch.fx_rates:
            self._write(
                "fx_rates",
                (rate.rate_date.isoformat(), rate.currency_code, rate.functional_currency_code, rate.rate),
            )
        for write_off in batch.write_offs:
            self._write(
                "write_offs",
                (
                    write_off.write_off_id,
                    write_off.invoice_id,
                    write_off.write_off_date.isoformat(),
                    write_off.amount,
                    write_off.reason,
                    write_off.approved_by or "",
                ),
            )

    def _write_customer(self, customer: Customer, day: date) -> None:
        self._write(
            "customers",
            (
                customer.customer_id,
                customer.customer_name,
                customer.country_code,
                customer.currency_code,
                customer.credit_limit_on(day),
                customer.payment_terms_days,
                customer.risk_grade,
                customer.insured_share,
            ),
        )

    def _write_invoice(self, invoice: Invoice, day: date) -> None:
        self._write(
            "invoices",
            (
                invoice.invoice_id,
                invoice.customer_id,
                invoice.invoice_date.isoformat(),
                invoice.due_date.isoformat(),
                invoice.currency_code,
                invoice.amount,
                _bool(invoice.is_disputed_on(day)),
            ),
        )
