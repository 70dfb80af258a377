"""Customer statements: what some customers say they owe us, as of each month end and the last day of the period.

landing/statements/<YYYY-MM-DD>/customer_statements_<yyyymmdd>.csv with columns customer_id, statement_date,
document_ref, document_type (invoice, credit_note, payment), document_date, amount, currency_code. About 20% of the
customers (at least three) send statements; each lists their open items at the end of the statement date:

* every open invoice at its full amount (positive: the customer owes it), document_ref = our invoice number;
* credit notes against those invoices (negative), document_ref = our credit note number;
* payments that paid those invoices in part (negative), document_ref = the payer's own reference (the end-to-end id
  the bank reports and the ERP stores as the payment's reference), one line per payment.

A customer's lines add up to their open balance in the ledger, except where an anomaly was planted: on every
statement date, one invoice line with a different amount (statement_amount_mismatch) and one open invoice left
off (invoice_unknown_to_customer), each for a different customer where possible.
"""

from __future__ import annotations

import csv
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

from ingestion.generate.anomalies import INVOICE_UNKNOWN_TO_CUSTOMER, STATEMENT_AMOUNT_MISMATCH, AnomalyLog
from ingestion.generate.model import StatementItem
from ingestion.statements.reader import CANONICAL_COLUMNS

COLUMNS = CANONICAL_COLUMNS  # the statement template the warehouse reads (ingestion.statements.reader)
MISMATCH_DIFFERENCES = (Decimal("-100.00"), Decimal("-25.00"), Decimal("-10.00"), Decimal("50.00"))


def statement_file(root: Path, as_of: date) -> Path:
    """statements/<YYYY-MM-DD>/customer_statements_<yyyymmdd>.csv under `root` (the statements folder)."""
    return root / as_of.isoformat() / f"customer_statements_{as_of:%Y%m%d}.csv"


class CustomerStatementWriter:
    """Writes one statement file per statement date, planting the statement anomalies as it goes."""

    def __init__(self, root: Path, seed: int, log: AnomalyLog) -> None:
        self.root = root
        self._rng = random.Random(f"{seed}:statements")
        self._log = log
        self.files = 0
        self.lines = 0

    def write(self, as_of: date, items: list[StatementItem]) -> Path:
        """Write the statements of `as_of` (items as `Company.statement_items` gives them); returns the file."""
        omit, changed = self._plant(as_of, items)
        path = statement_file(self.root, as_of)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            for item in items:
                if item.invoice_id is not None and item.invoice_id == omit:
                    continue
                amount = changed.get(item.invoice_id, item.amount) if item.invoice_id else item.amount
                writer.writerow(
                    (
                        item.customer_id,
                        as_of.isoformat(),
                        item.document_ref,
                        item.document_type,
                        item.document_date.isoformat(),
                        amount,
                        item.currency_code,
                    )
                )
                self.lines += 1
        self.files += 1
        return path

    def _plant(self, as_of: date, items: list[StatementItem]) -> tuple[str | None, dict[str, Decimal]]:
        # Only plain invoice lines (no credit or part payment against them), so that leaving one out leaves no
        # orphan credit or payment line behind.
        candidates = [item for item in items if item.document_type == "invoice" and item.plain]
        if len(candidates) < 2:
            return None, {}
        omitted = self._rng.choice(candidates)
        others = [c for c in candidates if c.customer_id != omitted.customer_id]
        mismatched = self._rng.choice(others or [c for c in candidates if c is not omitted])
        assert omitted.invoice_id is not None and mismatched.invoice_id is not None
        statement_amount = mismatched.amount + self._rng.choice(MISMATCH_DIFFERENCES)
        self._log.add(
            INVOICE_UNKNOWN_TO_CUSTOMER,
            as_of,
            customer_id=omitted.customer_id,
            statement_date=as_of,
            invoice_id=omitted.invoice_id,
            amount=omitted.amount,
        )
        self._log.add(
            STATEMENT_AMOUNT_MISMATCH,
            as_of,
            customer_id=mismatched.customer_id,
            statement_date=as_of,
            document_ref=mismatched.document_ref,
            ledger_amount=mismatched.amount,
            statement_amount=statement_amount,
            difference=statement_amount - mismatched.amount,
        )
        return omitted.invoice_id, {mismatched.invoice_id: statement_amount}
