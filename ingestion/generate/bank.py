"""The company's two bank accounts and what the bank books on them each business day.

* EUR: a German IBAN, reported as ISO 20022 camt.053; USD: an account number, reported as SWIFT MT940.
* Statements exist for business days (Monday to Friday) inside the period, one per account per day, each opening
  with the previous one's closing balance. The first opening balance is a fixed amount sized by the scale.
* Customer payments are credited on the ERP payment date (85%) or one or two business days later (timing
  differences for reconciliation). Payments posted in the ERP before the period are booked only if the booking falls
  inside it; payments booked after the period are in transit at the end (the manifest counts both).
* Each day also carries items that are not customer payments: a card acquirer's settlement (EUR), supplier transfers,
  transaction fees, monthly interest and account fee, and a cash-pool sweep that keeps the balance near a target.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from ingestion.generate import names
from ingestion.generate.anomalies import PAYMENT_NOT_IN_ERP, AnomalyLog
from ingestion.generate.iban import make_iban
from ingestion.generate.model import Customer, DayBatch, money
from ingestion.generate.params import Params, add_business_days, is_business_day, previous_business_day

EUR_BANK_CODE = "37040044"
EUR_ACCOUNT_NUMBER = "0212345678"
USD_ACCOUNT_NUMBER = "400123456789"
ACCOUNT_OWNER = "AR Demo Trading GmbH"

# Booking lag after the ERP payment date: the same day, one business day later, or (the rest) two.
SAME_DAY_SHARE = 0.85
NEXT_DAY_SHARE = 0.10

# Not strftime's %B, which follows the process locale: the files must not depend on where they are written.
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# Kinds of bank entry; the file writers map each to the format's transaction codes.
CUSTOMER_PAYMENT = "customer_payment"
CARD_SETTLEMENT = "card_settlement"
SUPPLIER_PAYMENT = "supplier_payment"
FEE = "fee"
INTEREST = "interest"
SWEEP = "sweep"


@dataclass(frozen=True, slots=True)
class BankAccount:
    account_id: str  # the IBAN (camt.053) or the account number (MT940), as the statement names it
    currency_code: str
    file_format: str  # camt053 or mt940
    bic: str
    owner_name: str
    tag: str  # one letter in the bank's entry references
    opening_cents: int  # opening balance of the first statement
    target_cents: int  # the cash pool sweeps the balance back to this
    supplier_payments_per_day: tuple[int, int]
    supplier_median_cents: int
    card_settlement_median_cents: int  # 0: no card business on this account
    fee_per_credit_cents: int
    daily_fee_cents: int


@dataclass(frozen=True, slots=True)
class BankEntry:
    amount: Decimal  # signed: credits positive
    booking_date: date
    value_date: date
    bank_reference: str
    kind: str
    end_to_end_id: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    remittance: str | None = None
    additional_info: str | None = None


@dataclass(frozen=True, slots=True)
class BankStatement:
    account: BankAccount
    statement_date: date
    sequence_number: int
    opening_date: date
    opening_balance: Decimal
    closing_balance: Decimal
    entries: list[BankEntry]

    @property
    def credit_total(self) -> Decimal:
        return sum((e.amount for e in self.entries if e.amount > 0), Decimal("0.00"))

    @property
    def debit_total(self) -> Decimal:
        return sum((e.amount for e in self.entries if e.amount < 0), Decimal("0.00"))


@dataclass(slots=True)
class _Pending:
    cents: int
    end_to_end_id: str
    name: str
    account: str | None
    remittance: str


@dataclass(slots=True)
class UnbankedTotals:
    """ERP payments no statement shows for reasons of timing, not error."""

    count: int = 0
    cents: int = 0

    def add(self, amount: Decimal) -> None:
        self.count += 1
        self.cents += int(amount.scaleb(2))

    @property
    def amount(self) -> Decimal:
        return money(self.cents)


def make_accounts(params: Params) -> tuple[BankAccount, BankAccount]:
    """The EUR (camt.053) and USD (MT940) accounts, with balances and daily items sized by the scale."""
    volume = params.volume
    eur = BankAccount(
        account_id=make_iban("DE", EUR_BANK_CODE + EUR_ACCOUNT_NUMBER),
        currency_code="EUR",
        file_format="camt053",
        bic="ARDMDEFFXXX",
        owner_name=ACCOUNT_OWNER,
        tag="E",
        opening_cents=max(10_000_00, round(1_250_000_00 * volume)),
        target_cents=max(20_000_00, round(3_000_000_00 * volume)),
        supplier_payments_per_day=(1, 4),
        supplier_median_cents=max(500_00, round(15_000_00 * volume)),
        card_settlement_median_cents=max(100_00, round(40_000_00 * volume)),
        fee_per_credit_cents=8,
        daily_fee_cents=150,
    )
    usd = BankAccount(
        account_id=USD_ACCOUNT_NUMBER,
        currency_code="USD",
        file_format="mt940",
        bic="ARDMUS33XXX",
        owner_name=ACCOUNT_OWNER,
        tag="U",
        opening_cents=max(5_000_00, round(250_000_00 * volume)),
        target_cents=max(10_000_00, round(600_000_00 * volume)),
        supplier_payments_per_day=(0, 2),
        supplier_median_cents=max(300_00, round(8_000_00 * volume)),
        card_settlement_median_cents=0,
        fee_per_credit_cents=1000,
        daily_fee_cents=0,
    )
    return eur, usd


@dataclass(slots=True)
class _AccountState:
    account: BankAccount
    balance_cents: int
    suppliers: list[tuple[str, str]]  # (name, IBAN or account number)
    pending: dict[date, list[_Pending]] = field(default_factory=dict)
    sequence: int = 0
    supplier_invoice: int = 0


class Bank:
    """Takes each day's ERP batch, and at each business day of the period closes one statement per account."""

    def __init__(self, params: Params, customers: Mapping[str, Customer], log: AnomalyLog) -> None:
        self.params = params
        self._end = params.end
        self._customers = customers
        self._log = log
        self._rng = random.Random(f"{params.seed}:bank")
        self.accounts = make_accounts(params)
        self._states: dict[str, _AccountState] = {}
        for account in self.accounts:
            pool = names.SUPPLIERS_USD if account.currency_code == "USD" else names.SUPPLIERS_EUR
            suppliers = [
                (
                    name,
                    names.random_iban(self._rng, "DE") if account.currency_code == "EUR" else f"{index:012d}",
                )
                for index, name in enumerate(pool, start=880_000_001)
            ]
            self._states[account.currency_code] = _AccountState(account, account.opening_cents, suppliers)
        self.before_bank_history = UnbankedTotals()
        self.in_transit_at_end = UnbankedTotals()

    def take(self, batch: DayBatch) -> None:
        """Queue the day's ERP payments (and the payments only the bank sees) for their booking day."""
        rng = self._rng
        for payment in batch.payments:
            if not payment.banked:
                continue
            draw = rng.random()
            lag = 0 if draw < SAME_DAY_SHARE else (1 if draw < SAME_DAY_SHARE + NEXT_DAY_SHARE else 2)
            booking = add_business_days(payment.payment_date, lag)
            if booking < self.params.bank_start:
                self.before_bank_history.add(payment.amount)
                continue
            if booking >= self._end:
                self.in_transit_at_end.add(payment.amount)
                continue
            remittance = " ".join(a.invoice_id for a in payment.applications)
            self._states[payment.currency_code].pending.setdefault(booking, []).append(
                _Pending(
                    int(payment.amount.scaleb(2)),
                    payment.reference,
                    self._customers[payment.customer_id].customer_name,
                    self._customers[payment.customer_id].iban,
                    remittance,
                )
            )
        for credit in batch.bank_only_credits:
            state = self._states[credit.currency_code]
            state.pending.setdefault(credit.booking_date, []).append(
                _Pending(
                    int(credit.amount.scaleb(2)),
                    credit.reference,
                    self._customers[credit.customer_id].customer_name,
                    self._customers[credit.customer_id].iban,
                    credit.remittance,
                )
            )
            self._log.add(
                PAYMENT_NOT_IN_ERP,
                credit.booking_date,
                account_id=state.account.account_id,
                booking_date=credit.booking_date,
                end_to_end_id=credit.reference,
                customer_id=credit.customer_id,
                invoice_id=credit.invoice_id,
                currency_code=credit.currency_code,
                amount=credit.amount,
            )

    def close_day(self, day: date) -> list[BankStatement]:
        """The statements for `day`: one per account on business days inside the period, none otherwise."""
        if not (self.params.bank_start <= day < self._end and is_business_day(day)):
            return []
        return [self._statement(state, day) for state in self._states.values()]

    def _lognormal_cents(self, median_cents: int, sigma: float = 0.6) -> int:
        return max(1, int(self._rng.lognormvariate(0.0, sigma) * median_cents))

    def _statement(self, state: _AccountState, day: date) -> BankStatement:
        rng = self._rng
        account = state.account
        # (cents, kind, end-to-end id, counterparty name, counterparty account, remittance, additional info)
        raw: list[tuple[int, str, str | None, str | None, str | None, str | None, str | None]] = []
        pending = state.pending.pop(day, [])
        for item in pending:
            raw.append(
                (
                    item.cents,
                    CUSTOMER_PAYMENT,
                    item.end_to_end_id,
                    item.name,
                    item.account,
                    item.remittance,
                    None,
                )
            )
        if account.card_settlement_median_cents:
            settlement = self._lognormal_cents(account.card_settlement_median_cents, 0.3)
            remittance = f"Card settlement {day:%Y-%m-%d} merchant 4471"
            raw.append((settlement, CARD_SETTLEMENT, None, names.CARD_ACQUIRER, None, remittance, None))
        low, high = account.supplier_payments_per_day
        for _ in range(rng.randint(low, high)):
            supplier, supplier_account = rng.choice(state.suppliers)
            state.supplier_invoice += 1
            end_to_end_id = f"ARDM-{account.tag}{day:%y%m%d}-{state.supplier_invoice}"
            remittance = f"Supplier invoice SUP{state.supplier_invoice:07d}"
            amount = -self._lognormal_cents(account.supplier_median_cents)
            raw.append(
                (amount, SUPPLIER_PAYMENT, end_to_end_id, supplier, supplier_account, remittance, None)
            )
        fee = account.daily_fee_cents + account.fee_per_credit_cents * len(pending)
        if fee:
            raw.append(
                (-fee, FEE, None, None, None, None, f"Transaction charges, {len(pending)} incoming payments")
            )
        if previous_business_day(day).month != day.month:
            raw.append((-35_00, FEE, None, None, None, None, "Monthly account fee"))
            interest = Decimal(max(state.balance_cents, 0)) * Decimal("0.0025") / 12
            interest_cents = int(interest.quantize(Decimal("1"), rounding=ROUND_HALF_EVEN))
            if interest_cents:
                month = previous_business_day(day)
                info = f"Credit interest {MONTHS[month.month - 1]} {month.year}"
                raw.append((interest_cents, INTEREST, None, None, None, None, info))
        projected = state.balance_cents + sum(item[0] for item in raw)
        # The pool sweeps to a target that moves a little from day to day, as a treasurer's forecast would.
        target = int(account.target_cents * rng.uniform(0.9, 1.1))
        if projected > target:
            raw.append((target - projected, SWEEP, None, names.CASH_POOL, None, None, "Cash pool sweep"))
        elif projected < target // 4:
            raw.append(
                (target // 2 - projected, SWEEP, None, names.CASH_POOL, None, None, "Cash pool funding")
            )

        entries = [
            BankEntry(
                amount=money(amount_cents),
                booking_date=day,
                value_date=day,
                bank_reference=f"{day:%y%m%d}{account.tag}{index:06d}",
                kind=kind,
                end_to_end_id=end_to_end_id,
                counterparty_name=name,
                counterparty_account=counterparty_account,
                remittance=remittance,
                additional_info=info,
            )
            for index, (
                amount_cents,
                kind,
                end_to_end_id,
                name,
                counterparty_account,
                remittance,
                info,
            ) in enumerate(raw, start=1)
        ]
        opening = state.balance_cents
        state.balance_cents += sum(item[0] for item in raw)
        state.sequence += 1
        return BankStatement(
            account=account,
            statement_date=day,
            sequence_number=state.sequence,
            opening_date=previous_business_day(day),
            opening_balance=money(opening),
            closing_balance=money(state.balance_cents),
            entries=entries,
        )
