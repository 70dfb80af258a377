"""Typed records that every bank statement parser yields, whatever the format.

A parser turns one file into a stream of records: the `StatementLine`s of a statement in file order, followed by that
statement's `StatementSummary` (its balances and totals), then the next statement's lines, and so on. Lines are
yielded as they are read, so memory does not grow with the file. Amounts are `Decimal`, signed from the account
holder's point of view: credits (money in) positive, debits negative.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(slots=True)
class StatementLine:
    """One line of a statement. Not frozen, though nothing changes a line once yielded: a frozen dataclass sets each
    field through object.__setattr__, which made building one take 4.7 us instead of 1.7 us (bench/README.md)."""

    statement_index: int  # position of the statement in its file, from 1
    line_index: int  # position within the statement, from 1
    account_id: str
    amount: Decimal  # signed: credit > 0, debit < 0
    booking_date: date | None
    value_date: date | None
    statement_id: str | None = None
    sequence_number: str | None = None
    currency_code: str | None = None
    bank_reference: str | None = None
    end_to_end_id: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    creditor_reference: str | None = None  # structured remittance (RF creditor reference or national)
    remittance_text: str | None = None  # unstructured remittance
    bank_transaction_code: str | None = None
    original_text: str | None = None  # the entry as it stood in the file


@dataclass(frozen=True, slots=True)
class StatementSummary:
    """Yielded after the last line of its statement."""

    statement_index: int
    file_format: str  # camt053, mt940, mt942, bai2, csv
    account_id: str
    statement_id: str | None
    sequence_number: str | None
    currency_code: str | None
    opening_balance: Decimal | None
    opening_balance_date: date | None
    closing_balance: Decimal | None
    closing_balance_date: date | None
    line_count: int
    credit_total: Decimal  # sum of positive amounts
    debit_total: Decimal  # sum of negative amounts (<= 0)
    last_booking_date: date | None

    @property
    def statement_date(self) -> date | None:
        return self.closing_balance_date or self.last_booking_date


StatementRecord = StatementLine | StatementSummary
StatementStream = Iterator[StatementRecord]


class StatementTotals:
    """Running totals a parser keeps while it yields lines, to build the summary without keeping the lines."""

    __slots__ = ("line_count", "credit_total", "debit_total", "last_booking_date")

    def __init__(self) -> None:
        self.line_count = 0
        self.credit_total = Decimal("0")
        self.debit_total = Decimal("0")
        self.last_booking_date: date | None = None

    def add(self, line: StatementLine) -> StatementLine:
        self.line_count += 1
        if line.amount > 0:
            self.credit_total += line.amount
        else:
            self.debit_total += line.amount
        if line.booking_date is not None and (
            self.last_booking_date is None or line.booking_date > self.last_booking_date
        ):
            self.last_booking_date = line.booking_date
        return line


class StatementParseError(ValueError):
    """A file that cannot be read as a statement. Says where (line or record), which field and why."""

    def __init__(
        self, reason: str, *, line: int | None = None, field: str | None = None, record: str | None = None
    ) -> None:
        self.reason = reason
        self.line = line
        self.field = field
        self.record = record
        where = []
        if line is not None:
            where.append(f"line {line}")
        if record is not None:
            where.append(f"record {record}")
        if field is not None:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {reason}" if where else reason)
