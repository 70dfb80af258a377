"""The simulated company: customers buying on credit, invoices, and how each invoice ends (paid, partly paid, credited,
disputed, written off). Produces one `DayBatch` per day, in date order.

Each invoice's future is decided the day it is issued and put on a per-day schedule; a day's batch then carries the
events that fall on it. Only open invoices and scheduled events are kept, so memory stays flat however long the
period. Events that would fall after the period simply do not happen (the invoice is still open at the end).

Behaviour, by the numbers (see the constants below):

* invoice amounts: lognormal around 2,500, between 200 and 50,000; more invoices on weekdays than at weekends;
* payment: at due date plus a delay that depends on the customer's risk grade (A pays early, E very late); a third
  of customers on 2/10 net 30 pay within ten days; payments are posted on business days only;
* 30% of customers are batch payers: they pay everything due in one transfer (at most ten invoices) on a fixed
  weekday; the others pay each invoice separately;
* 5% of invoices are paid in two parts; ~3% get a partial credit note; ~2% are disputed (flagged some days after
  issue, then paid much later, often after a credit note); ~0.4% are never paid and are written off 91-180 days after
  the due date, most with an approver, some without.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ingestion.generate import names
from ingestion.generate.anomalies import PAYMENT_NOT_BANKED, AnomalyLog, AnomalyPlan
from ingestion.generate.model import (
    TERMS_DAYS,
    BankOnlyCredit,
    CreditNote,
    Customer,
    DayBatch,
    FxRate,
    Invoice,
    Payment,
    PaymentApplication,
    StatementItem,
    WriteOff,
    money,
)
from ingestion.generate.params import TAIL_DAYS, Params, add_business_days, next_business_day

ONE_DAY = timedelta(days=1)

GOLDEN_RATIO_STEP = 0.6180339887498949
USD_SHARE = 0.15
FUNCTIONAL_CURRENCY = "EUR"  # the company reports in EUR; USD receivables are valued at the day's rate
LATE_CUSTOMER_SHARE = 0.03  # customers who join during the history or the simulated period
TERMS = (("N30", 50), ("2/10N30", 20), ("N45", 20), ("N60", 10))
CREDIT_LIMITS = (5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000)
# grade: (share of customers, mean payment delay after due date in days, its spread, probability of a bad debt)
RISK_GRADES = {
    "A": (20, -2.0, 4.0, 0.0005),
    "B": (35, 1.0, 6.0, 0.001),
    "C": (30, 5.0, 10.0, 0.003),
    "D": (10, 14.0, 18.0, 0.01),
    "E": (5, 30.0, 30.0, 0.03),
}
INSURED_SHARE_OF_CUSTOMERS = 0.6
STATEMENT_SHARE = 0.2  # customers who send us their statement of account
STATEMENT_CUSTOMERS_MIN = 3
BATCH_PAYER_SHARE = 0.3
MAX_INVOICES_PER_PAYMENT = 10  # keeps the remittance text (invoice numbers) within one 140-character field
CREDIT_LIMIT_REVIEW_SHARE = 0.02

AMOUNT_MEDIAN = 2_500.0
AMOUNT_SIGMA = 1.1
AMOUNT_MIN_CENTS = 200_00
AMOUNT_MAX_CENTS = 50_000_00
WEEKDAY_VOLUME = 1.2
WEEKEND_VOLUME = 0.5  # 5 x 1.2 + 2 x 0.5 = 7: the weekly mean stays at the daily mean

EARLY_PAYER_SHARE = 0.35  # of invoices on 2/10 net 30
PARTIAL_PAYMENT_SHARE = 0.05
CREDIT_NOTE_SHARE = 0.025  # plus 40% of disputed invoices: about 3% in all
DISPUTE_SHARE = 0.02
CREDIT_NOTE_SHARE_IF_DISPUTED = 0.4
BAD_DEBT_PART_PAID_SHARE = 0.3
TAIL_INVOICE_SHARE = 0.004  # of the invoices the tail period would have had at full volume
TAIL_WRITE_OFF_SHARE = 0.6
NO_APPROVER_SHARE = 0.15

CREDIT_NOTE_REASONS = (
    "price difference",
    "damaged goods",
    "quantity short",
    "late delivery penalty",
    "volume rebate",
    "returned goods",
)
DISPUTE_CREDIT_REASON = "dispute settlement"
WRITE_OFF_REASONS = ("customer insolvent", "uneconomic to pursue", "statute-barred", "settlement agreed")
APPROVERS = ("m.keller", "a.dubois", "j.okafor", "s.rossi", "l.jansen")


@dataclass(slots=True)
class _Profile:
    """What the ERP does not store about a customer but the simulation needs: how they behave."""

    customer: Customer
    weight: float
    delay_mean: float
    delay_sd: float
    bad_debt: float
    batch_payer: bool
    pay_weekday: int
    on_statement: bool
    reference_day: date | None = None
    reference_count: int = 0


class _OpenInvoice:
    __slots__ = ("invoice", "profile", "open_cents", "amount_cents", "settlements", "plain", "suppressed")

    def __init__(self, invoice: Invoice, profile: _Profile, amount_cents: int, plain: bool) -> None:
        self.invoice = invoice
        self.profile = profile
        self.amount_cents = amount_cents
        self.open_cents = amount_cents
        # Credit notes and part payments against the invoice while it is open: (type, ref, date, cents).
        self.settlements: list[tuple[str, str, date, int]] = []
        self.plain = plain  # one full payment planned, nothing else: safe to divert for payment_not_in_erp
        self.suppressed = False


class Company:
    """Runs the simulation from the start of the tail history to the end of the period. Iterate `run()`."""

    def __init__(self, params: Params, plan: AnomalyPlan, log: AnomalyLog) -> None:
        self.params = params
        self._plan = plan
        self._log = log
        self._rng = random.Random(f"{params.seed}:company")
        self._profiles: dict[str, _Profile] = {}
        self._joining: dict[date, list[_Profile]] = {}
        self._active: list[_Profile] = []
        self._cum_weights: list[float] = []
        self._open: dict[str, _OpenInvoice] = {}
        self._limit_changes: dict[date, list[Customer]] = {}
        self._disputes: dict[date, list[Invoice]] = {}
        self._credits: dict[date, list[tuple[_OpenInvoice, int, str]]] = {}
        # A planned payment: the invoice and the percent of its open amount to pay (0: all of it).
        self._pays: dict[date, list[tuple[_OpenInvoice, int]]] = {}
        self._write_offs: dict[date, list[tuple[_OpenInvoice, str, str | None]]] = {}
        self._tail: dict[date, list[tuple[_Profile, date | None, str | None, bool]]] = {}
        self._counters = {"INV": 0, "PAY": 0, "CRN": 0, "WOF": 0}
        self._not_banked_due = list(plan.payment_not_banked_from)  # still to plant, earliest first
        self._end = params.end  # read on every scheduled event: computed once
        self._day_tags: dict[date, str] = {}
        self._offsets = (self._rng.random(), self._rng.random())
        self._make_customers()
        self._plan_tail()

    # -- public -----------------------------------------------------------------------------------------------

    def customer(self, customer_id: str) -> Customer:
        """The customer master record (with its whole known future: see `Customer.limit_change`)."""
        return self._profiles[customer_id].customer

    def customer_ids(self) -> list[str]:
        """Every customer's id, in id order, including those who join later."""
        return list(self._profiles)

    def statement_customers(self) -> list[str]:
        """Ids of the customers who send statements of account, in id order."""
        return [cid for cid, profile in self._profiles.items() if profile.on_statement]

    def run(self) -> Iterator[DayBatch]:
        """One batch per day from the start of the tail (or longer) history to the last day of the period."""
        day = self.params.simulation_start
        first = True
        while day < self._end:
            batch = DayBatch(day)
            if first:
                batch.new_customers.extend(p.customer for p in self._active)
                first = False
            for profile in self._joining.pop(day, ()):
                self._activate(profile)
                batch.new_customers.append(profile.customer)
            batch.changed_customers.extend(self._limit_changes.pop(day, ()))
            batch.disputed_invoices.extend(self._disputes.pop(day, ()))
            self._book_credit_notes(batch)
            self._issue_invoices(batch)
            self._book_payments(batch)
            if day in self._plan.payment_not_in_erp_on:
                self._divert_one_payment(batch)
            self._book_write_offs(batch)
            batch.fx_rates.extend(fx_rates_on(day))
            yield batch
            day += ONE_DAY

    def statement_items(self, as_of: date) -> list[StatementItem]:
        """The open items of statement customers at the end of `as_of` (call it right after that day's batch).

        Open invoices at their full amount; credit notes and part payments against them as negative lines (a payment
        that paid several of a customer's open invoices in part is one line). Sorted by customer, date, type, ref;
        the lines of a customer add up to what the ledger says the customer owes.
        """
        items: list[StatementItem] = []
        payments: dict[tuple[str, str], list] = {}
        for state in self._open.values():
            profile = state.profile
            if not profile.on_statement:
                continue
            invoice = state.invoice
            cust = invoice.customer_id
            items.append(
                StatementItem(
                    cust,
                    invoice.invoice_id,
                    "invoice",
                    invoice.invoice_date,
                    invoice.amount,
                    invoice.currency_code,
                    invoice_id=invoice.invoice_id,
                    # Nothing against it yet and never disputed: a statement anomaly planted on it is only that
                    # anomaly (a disputed invoice is reconciled as DISPUTED, whatever the statement says).
                    plain=not state.settlements and invoice.disputed_on is None,
                )
            )
            for kind, ref, day, amount_cents in state.settlements:
                if kind == "credit_note":
                    items.append(
                        StatementItem(cust, ref, kind, day, money(-amount_cents), invoice.currency_code)
                    )
                else:
                    entry = payments.setdefault((cust, ref), [day, 0, invoice.currency_code])
                    entry[1] += amount_cents
        for (cust, ref), (day, amount_cents, currency) in payments.items():
            items.append(StatementItem(cust, ref, "payment", day, money(-amount_cents), currency))
        order = {"invoice": 0, "credit_note": 1, "payment": 2}
        items.sort(key=lambda i: (i.customer_id, i.document_date, order[i.document_type], i.document_ref))
        return items

    # -- customers ----------------------------------------------------------------------------------------------

    def _make_customers(self) -> None:
        rng = self._rng
        params = self.params
        count = params.customer_count
        late = int(count * LATE_CUSTOMER_SHARE)
        span = (params.end - params.history_start).days
        joining = sorted(params.history_start + timedelta(days=rng.randrange(span)) for _ in range(late))
        for number in range(1, count + 1):
            if number <= count - late:
                created_on = params.simulation_start - timedelta(days=rng.randint(1, 1500))
            else:
                created_on = joining[number - (count - late) - 1]
            profile = self._new_profile(number, created_on, force_statement=number <= STATEMENT_CUSTOMERS_MIN)
            self._profiles[profile.customer.customer_id] = profile
            if created_on < params.simulation_start:
                self._activate(profile)
            else:
                self._joining.setdefault(created_on, []).append(profile)

    def _new_profile(self, number: int, created_on: date, force_statement: bool) -> _Profile:
        rng = self._rng
        params = self.params
        # Golden-ratio steps spread the shares evenly over customer numbers, so even a hundred customers get
        # close to 15% in USD and 20% sending statements (independent draws could give 4% or 30%).
        currency = "USD" if self._spread(number, 0) < USD_SHARE else "EUR"
        country = names.country(rng, currency)
        grade = rng.choices(list(RISK_GRADES), weights=[g[0] for g in RISK_GRADES.values()])[0]
        _, delay_mean, delay_sd, bad_debt = RISK_GRADES[grade]
        terms = rng.choices([t for t, _ in TERMS], weights=[w for _, w in TERMS])[0]
        limit = rng.choice(CREDIT_LIMITS)
        insured = Decimal("0.0000")
        if rng.random() < INSURED_SHARE_OF_CUSTOMERS:
            insured = Decimal(rng.choice((70, 75, 80, 85, 90, 95))).scaleb(-2).quantize(Decimal("0.0001"))
        limit_change = None
        if created_on < params.start and params.days >= 2 and rng.random() < CREDIT_LIMIT_REVIEW_SHARE:
            new_limit = max(1_000, round(limit * rng.choice((0.5, 1.5, 2.0)) / 1_000) * 1_000)
            limit_change = (
                params.start + timedelta(days=rng.randint(1, params.days - 1)),
                money(new_limit * 100),
            )
        customer = Customer(
            customer_id=f"C{number:05d}",
            customer_name=names.company_name(rng, country),
            country_code=country,
            currency_code=currency,
            credit_limit=money(limit * 100),
            payment_terms=terms,
            risk_grade=grade,
            insured_share=insured,
            created_on=created_on,
            iban=names.random_iban(rng, country) if currency == "EUR" else None,
            limit_change=limit_change,
        )
        if limit_change is not None:
            self._limit_changes.setdefault(limit_change[0], []).append(customer)
        return _Profile(
            customer=customer,
            weight=min(rng.paretovariate(1.2), 50.0),
            delay_mean=delay_mean + rng.gauss(0.0, 3.0),
            delay_sd=delay_sd,
            bad_debt=bad_debt,
            batch_payer=rng.random() < BATCH_PAYER_SHARE,
            pay_weekday=rng.randrange(5),
            on_statement=force_statement or self._spread(number, 1) < STATEMENT_SHARE,
        )

    def _spread(self, number: int, stream: int) -> float:
        return (self._offsets[stream] + number * GOLDEN_RATIO_STEP) % 1.0

    def _activate(self, profile: _Profile) -> None:
        # Cumulative weights only grow at the end, so a customer who joins is one append, not a rebuild.
        self._active.append(profile)
        self._cum_weights.append((self._cum_weights[-1] if self._cum_weights else 0.0) + profile.weight)

    # -- invoices ---------------------------------------------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        self._counters[prefix] += 1
        return f"{prefix}{self._counters[prefix]:07d}"

    def _draw_amount_cents(self) -> int:
        while True:
            value = int(self._rng.lognormvariate(0.0, AMOUNT_SIGMA) * AMOUNT_MEDIAN * 100)
            if AMOUNT_MIN_CENTS <= value <= AMOUNT_MAX_CENTS:
                return value

    def _plan_tail(self) -> None:
        """Old unpaid invoices from customers in trouble: dated 61 to 240 days before start.

        The first two are forced to be written off early in the period, the second without an approver, so that
        every run, however short, has write-offs and the control gap to show.
        """
        rng = self._rng
        params = self.params
        troubled = [p for p in self._active if p.customer.risk_grade in ("D", "E")] or self._active
        span = TAIL_DAYS - 61
        count = max(3, round(params.invoices_per_day * span * TAIL_INVOICE_SHARE))
        forced_days = (min(3, params.days - 1), min(6, params.days - 1))
        for index in range(count):
            profile = rng.choice(troubled)
            if index < len(forced_days):
                day = params.start - timedelta(days=200 - 10 * index)
                write_off = params.start + timedelta(days=forced_days[index])
                approver = rng.choice(APPROVERS) if index == 0 else None
                part_paid = False
            else:
                day = params.tail_start + timedelta(days=rng.randrange(span))
                write_off = None
                approver = None
                part_paid = rng.random() < 0.5
            self._tail.setdefault(day, []).append((profile, write_off, approver, part_paid))

    def _issue_invoices(self, batch: DayBatch) -> None:
        day = batch.day
        for profile, write_off, approver, part_paid in self._tail.pop(day, ()):
            self._issue_tail_invoice(batch, profile, write_off, approver, part_paid)
        if day < self.params.history_start:
            return
        rng = self._rng
        mean = self.params.invoices_per_day * (WEEKDAY_VOLUME if day.weekday() < 5 else WEEKEND_VOLUME)
        mean *= rng.uniform(0.9, 1.1)
        count = max(1, int(mean) + (1 if rng.random() < mean - int(mean) else 0))
        for profile in rng.choices(self._active, cum_weights=self._cum_weights, k=count):
            self._issue_invoice(batch, profile)

    def _new_invoice(
        self, day: date, profile: _Profile, disputed_on: date | None = None
    ) -> tuple[Invoice, int]:
        amount_cents = self._draw_amount_cents()
        customer = profile.customer
        invoice = Invoice(
            invoice_id=self._next_id("INV"),
            customer_id=customer.customer_id,
            invoice_date=day,
            due_date=day + timedelta(days=TERMS_DAYS[customer.payment_terms]),
            currency_code=customer.currency_code,
            amount=money(amount_cents),
            disputed_on=disputed_on,
        )
        return invoice, amount_cents

    def _issue_invoice(self, batch: DayBatch, profile: _Profile) -> None:
        rng = self._rng
        day = batch.day
        end = self._end
        terms_days = TERMS_DAYS[profile.customer.payment_terms]
        pay_day = day + timedelta(
            days=max(1, terms_days + round(rng.gauss(profile.delay_mean, profile.delay_sd)))
        )
        if profile.customer.payment_terms == "2/10N30" and rng.random() < EARLY_PAYER_SHARE:
            pay_day = day + timedelta(days=rng.randint(2, 10))
        disputed = rng.random() < DISPUTE_SHARE
        credited = rng.random() < (CREDIT_NOTE_SHARE_IF_DISPUTED if disputed else CREDIT_NOTE_SHARE)
        bad = rng.random() < profile.bad_debt
        partial = not bad and rng.random() < PARTIAL_PAYMENT_SHARE

        dispute_day = None
        if disputed:
            dispute_day = day + timedelta(days=rng.randint(2, 20))
            pay_day = max(pay_day, dispute_day + timedelta(days=rng.randint(15, 75)))
        invoice, amount_cents = self._new_invoice(
            day, profile, dispute_day if dispute_day and dispute_day < end else None
        )
        state = _OpenInvoice(
            invoice, profile, amount_cents, plain=not (disputed or credited or bad or partial)
        )
        self._open[invoice.invoice_id] = state
        batch.new_invoices.append(invoice)
        if invoice.disputed_on is not None:
            self._disputes.setdefault(invoice.disputed_on, []).append(invoice)

        if credited:
            start = dispute_day if dispute_day is not None else day
            credit_day = start + timedelta(days=rng.randint(3, 30))
            reason = DISPUTE_CREDIT_REASON if disputed else rng.choice(CREDIT_NOTE_REASONS)
            credit_cents = amount_cents * rng.randint(5, 50) // 100
            self._schedule(self._credits, credit_day, (state, credit_cents, reason))
            pay_day = max(pay_day, credit_day + timedelta(days=rng.randint(1, 10)))
        if bad:
            if rng.random() < BAD_DEBT_PART_PAID_SHARE:
                self._schedule_payment(
                    state, invoice.due_date + timedelta(days=rng.randint(10, 60)), rng.randint(10, 50)
                )
            write_off_day = invoice.due_date + timedelta(days=rng.randint(91, 180))
            self._schedule_write_off(state, write_off_day)
        elif partial:
            self._schedule_payment(state, pay_day, rng.randint(30, 80))
            self._schedule_payment(state, pay_day + timedelta(days=rng.randint(7, 40)), 0)
        else:
            self._schedule_payment(state, pay_day, 0)

    def _issue_tail_invoice(
        self,
        batch: DayBatch,
        profile: _Profile,
        write_off: date | None,
        approver: str | None,
        part_paid: bool,
    ) -> None:
        rng = self._rng
        invoice, amount_cents = self._new_invoice(batch.day, profile)
        state = _OpenInvoice(invoice, profile, amount_cents, plain=False)
        self._open[invoice.invoice_id] = state
        batch.new_invoices.append(invoice)
        if part_paid:
            self._schedule_payment(
                state, invoice.due_date + timedelta(days=rng.randint(15, 60)), rng.randint(10, 60)
            )
        if write_off is not None:
            self._schedule(self._write_offs, write_off, (state, rng.choice(WRITE_OFF_REASONS), approver))
        elif rng.random() < TAIL_WRITE_OFF_SHARE:
            self._schedule_write_off(state, invoice.due_date + timedelta(days=rng.randint(91, 300)))

    def _schedule(self, schedule: dict, day: date, event: tuple) -> None:
        if day < self._end:
            schedule.setdefault(day, []).append(event)

    def _schedule_payment(self, state: _OpenInvoice, day: date, percent: int) -> None:
        profile = state.profile
        day = next_business_day(day)
        if profile.batch_payer:
            day += timedelta(days=(profile.pay_weekday - day.weekday()) % 7)
        self._schedule(self._pays, day, (state, percent))

    def _schedule_write_off(self, state: _OpenInvoice, day: date) -> None:
        rng = self._rng
        approver = None if rng.random() < NO_APPROVER_SHARE else rng.choice(APPROVERS)
        self._schedule(self._write_offs, day, (state, rng.choice(WRITE_OFF_REASONS), approver))

    # -- settlement -------------------------------------------------------------------------------------------

    def _book_credit_notes(self, batch: DayBatch) -> None:
        for state, credit_cents, reason in self._credits.pop(batch.day, ()):
            # A credit note never closes an invoice on its own: at least a cent stays to be paid or written off.
            credit_cents = min(credit_cents, state.open_cents - 1)
            if credit_cents <= 0 or state.invoice.invoice_id not in self._open:
                continue
            invoice = state.invoice
            note = CreditNote(
                credit_note_id=self._next_id("CRN"),
                invoice_id=invoice.invoice_id,
                customer_id=invoice.customer_id,
                credit_note_date=batch.day,
                currency_code=invoice.currency_code,
                amount=money(credit_cents),
                reason=reason,
            )
            state.open_cents -= credit_cents
            state.settlements.append(("credit_note", note.credit_note_id, batch.day, credit_cents))
            batch.credit_notes.append(note)

    def _next_reference(self, profile: _Profile, day: date) -> str:
        if profile.reference_day != day:
            profile.reference_day = day
            profile.reference_count = 0
        profile.reference_count += 1
        tag = self._day_tags.get(day)
        if tag is None:
            tag = self._day_tags[day] = f"{day:%y%m%d}"
        return f"{profile.customer.customer_id}-{tag}-{profile.reference_count}"

    def _book_payments(self, batch: DayBatch) -> None:
        day = batch.day
        # customer -> invoice -> (invoice, cents to pay), in the order the intents were planned
        due: dict[str, dict[str, tuple[_OpenInvoice, int]]] = {}
        for state, percent in self._pays.pop(day, ()):
            invoice_id = state.invoice.invoice_id
            if state.suppressed or invoice_id not in self._open:
                continue
            pay_cents = state.open_cents if percent == 0 else state.open_cents * percent // 100
            if pay_cents <= 0:
                continue
            per_invoice = due.setdefault(state.invoice.customer_id, {})
            if invoice_id in per_invoice:
                # Two instalments planned for one day become one: a payment clears an invoice at most once.
                pay_cents = state.open_cents
            per_invoice[invoice_id] = (state, pay_cents)
        for customer_id, per_invoice in due.items():
            profile = self._profiles[customer_id]
            items = list(per_invoice.values())
            size = MAX_INVOICES_PER_PAYMENT if profile.batch_payer else 1
            for first in range(0, len(items), size):
                self._book_payment(batch, profile, items[first : first + size])

    def _book_payment(
        self, batch: DayBatch, profile: _Profile, items: list[tuple[_OpenInvoice, int]]
    ) -> None:
        day = batch.day
        payment_id = self._next_id("PAY")
        reference = self._next_reference(profile, day)
        applications = []
        total = 0
        for state, pay_cents in items:
            applications.append(
                PaymentApplication(payment_id, state.invoice.invoice_id, money(pay_cents), day)
            )
            total += pay_cents
            state.open_cents -= pay_cents
            if state.open_cents == 0:
                del self._open[state.invoice.invoice_id]
            else:
                state.settlements.append(("payment", reference, day, pay_cents))
        banked = True
        if (
            self._not_banked_due
            and day >= self._not_banked_due[0]
            # Late enough in the period that the bank would have booked it (it books at most two days later).
            and add_business_days(day, 2) < self.params.end
        ):
            banked = False
            self._not_banked_due.pop(0)
        payment = Payment(
            payment_id=payment_id,
            customer_id=profile.customer.customer_id,
            payment_date=day,
            currency_code=profile.customer.currency_code,
            amount=money(total),
            reference=reference,
            applications=tuple(applications),
            banked=banked,
        )
        if not banked:
            self._log.add(
                PAYMENT_NOT_BANKED,
                day,
                payment_id=payment_id,
                customer_id=payment.customer_id,
                reference=reference,
                currency_code=payment.currency_code,
                amount=payment.amount,
            )
        batch.payments.append(payment)

    def _divert_one_payment(self, batch: DayBatch) -> None:
        """payment_not_in_erp: a customer pays an invoice early; the bank books it, cash application never does."""
        day = batch.day
        for state in self._open.values():
            if state.plain and not state.suppressed and state.invoice.due_date > day:
                break
        else:
            return
        state.suppressed = True  # its planned ERP payment will not happen: the invoice stays open
        batch.bank_only_credits.append(
            BankOnlyCredit(
                customer_id=state.invoice.customer_id,
                invoice_id=state.invoice.invoice_id,
                booking_date=day,
                currency_code=state.invoice.currency_code,
                amount=money(state.open_cents),
                reference=self._next_reference(state.profile, day),
                remittance=state.invoice.invoice_id,
            )
        )

    def _book_write_offs(self, batch: DayBatch) -> None:
        for state, reason, approver in self._write_offs.pop(batch.day, ()):
            invoice = state.invoice
            if invoice.invoice_id not in self._open:
                continue
            batch.write_offs.append(
                WriteOff(
                    write_off_id=self._next_id("WOF"),
                    invoice_id=invoice.invoice_id,
                    customer_id=invoice.customer_id,
                    write_off_date=batch.day,
                    currency_code=invoice.currency_code,
                    amount=money(state.open_cents),
                    reason=reason,
                    approved_by=approver,
                )
            )
            del self._open[invoice.invoice_id]


def fx_rates_on(day: date) -> list[FxRate]:
    """The USD->EUR reference rate fixed on `day`: none on Saturdays and Sundays, as a central bank publishes.

    A pure function of the date (a slow wave around 0.92 EUR per USD, 4 decimals), so adding rates to the generator
    changed none of its random draws, and any run or scale gives the same rate for a date.
    """
    if day.weekday() >= 5:
        return []
    wave = math.sin(day.toordinal() / 29) * 0.012 + math.sin(day.toordinal() / 5.3) * 0.002
    return [FxRate(day, "USD", FUNCTIONAL_CURRENCY, Decimal(f"{0.92 + wave:.4f}"))]
