"""The records the simulated company produces, in the warehouse's canonical shape, and the day batch that carries them.

Every money field is a `Decimal` with exactly two decimals. Inside the simulation money is kept in integer cents
(exact and fast); `money()` turns cents into the `Decimal` a record carries.

Records that change after they are created (an invoice flagged as disputed, a customer whose credit limit is
reviewed) carry their whole known future: `Invoice.disputed_on`, `Customer.limit_change`. That lets a writer that
keeps only the latest version (the demo ERP database) write the row once, and a writer that keeps every version (the
daily CSV extracts) write the version as of the day it is writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

TERMS_DAYS = {"N30": 30, "2/10N30": 30, "N45": 45, "N60": 60}


def money(cents: int) -> Decimal:
    """An amount in cents as a two-decimal `Decimal` (12345 -> Decimal('123.45'))."""
    return Decimal(cents).scaleb(-2)


def cents(amount: Decimal) -> int:
    """The inverse of `money`: a two-decimal `Decimal` as integer cents."""
    return int(amount.scaleb(2))


@dataclass(frozen=True, slots=True)
class FxRate:
    """1 unit of currency_code is worth `rate` units of the functional currency on rate_date."""

    rate_date: date
    currency_code: str
    functional_currency_code: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    customer_name: str
    country_code: str
    currency_code: str
    credit_limit: Decimal
    payment_terms: str  # ERP code: N30, 2/10N30, N45, N60
    risk_grade: str  # A (best) .. E
    insured_share: Decimal  # 0, or 0.70 .. 0.95, four decimals
    created_on: date
    iban: str | None  # the account customers pay from; EUR customers only
    limit_change: tuple[date, Decimal] | None = None  # credit limit review: the day and the new limit

    @property
    def payment_terms_days(self) -> int:
        return TERMS_DAYS[self.payment_terms]

    def credit_limit_on(self, day: date) -> Decimal:
        """The credit limit in force at the end of `day`."""
        if self.limit_change is not None and self.limit_change[0] <= day:
            return self.limit_change[1]
        return self.credit_limit

    @property
    def changed_on(self) -> date:
        """The day of the last change: what the ERP's change timestamp shows."""
        return self.limit_change[0] if self.limit_change is not None else self.created_on


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_id: str
    customer_id: str
    invoice_date: date
    due_date: date
    currency_code: str
    amount: Decimal
    disputed_on: date | None = None  # only set when the dispute is raised inside the simulated period

    def is_disputed_on(self, day: date) -> bool:
        return self.disputed_on is not None and self.disputed_on <= day

    @property
    def changed_on(self) -> date:
        return self.disputed_on if self.disputed_on is not None else self.invoice_date


@dataclass(frozen=True, slots=True)
class CreditNote:
    credit_note_id: str
    invoice_id: str
    customer_id: str
    credit_note_date: date
    currency_code: str
    amount: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class PaymentApplication:
    payment_id: str
    invoice_id: str
    applied_amount: Decimal
    applied_date: date


@dataclass(frozen=True, slots=True)
class Payment:
    payment_id: str
    customer_id: str
    payment_date: date
    currency_code: str
    amount: Decimal
    reference: str  # the payer's end-to-end reference, as the bank reports it
    applications: tuple[PaymentApplication, ...]
    banked: bool = True  # False only for the injected payment_not_banked anomaly


@dataclass(frozen=True, slots=True)
class WriteOff:
    write_off_id: str
    invoice_id: str
    customer_id: str
    write_off_date: date
    currency_code: str
    amount: Decimal
    reason: str
    approved_by: str | None


@dataclass(frozen=True, slots=True)
class BankOnlyCredit:
    """A customer's payment that reached the bank but that the ERP never recorded (payment_not_in_erp)."""

    customer_id: str
    invoice_id: str  # the invoice the customer paid, which stays open in the ERP
    booking_date: date
    currency_code: str
    amount: Decimal
    reference: str
    remittance: str


@dataclass(slots=True)
class DayBatch:
    """What happened in the ERP on one business date. Lists are in creation order."""

    day: date
    new_customers: list[Customer] = field(default_factory=list)
    changed_customers: list[Customer] = field(default_factory=list)
    new_invoices: list[Invoice] = field(default_factory=list)
    disputed_invoices: list[Invoice] = field(default_factory=list)
    credit_notes: list[CreditNote] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    write_offs: list[WriteOff] = field(default_factory=list)
    bank_only_credits: list[BankOnlyCredit] = field(default_factory=list)
    fx_rates: list[FxRate] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StatementItem:
    """One line of a customer's open-item statement: positive when the customer owes it."""

    customer_id: str
    document_ref: str
    document_type: str  # invoice, credit_note, payment
    document_date: date
    amount: Decimal
    currency_code: str
    invoice_id: str | None = None  # the invoice an invoice line stands for (None for credits and payments)
    plain: bool = False  # an invoice line with no credit or partial payment against it
