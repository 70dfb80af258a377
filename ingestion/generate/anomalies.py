"""The deliberate defects the generator plants, so that reconciliation and controls have something to find.

Where each one lives (the manifest lists every instance with its keys):

* payment_not_in_erp: a customer's credit on a bank statement with no ERP payment (DZ document) behind it. The
  invoice it pays stays open in the ERP. Planted by the company simulation, booked by the bank.
* payment_not_banked: an ERP payment (DZ document and its clearing) that no bank statement ever shows.
* statement_amount_mismatch: a customer statement line whose amount differs from the ledger.
* invoice_unknown_to_customer: an invoice open in the ERP on a statement date that the customer's statement omits.
* duplicate_bank_file: a bank statement file delivered twice, byte-identical, under a second name.
* write_off_without_approver: a write-off the ERP booked with no approver (a control gap). Not planted: the
  simulation books some write-offs without an approver, and the first one in the simulated period is forced to be
  one of them; every such write-off is listed.

The days are fixed fractions of each 30-day block of the period (a fifth, a third, a half into it), so that one of
each lands in every block and at least one in any period of ten or more days; the customer statement anomalies
are planted on every statement date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ingestion.generate.params import Params, is_business_day, next_business_day

PAYMENT_NOT_IN_ERP = "payment_not_in_erp"
PAYMENT_NOT_BANKED = "payment_not_banked"
STATEMENT_AMOUNT_MISMATCH = "statement_amount_mismatch"
INVOICE_UNKNOWN_TO_CUSTOMER = "invoice_unknown_to_customer"
DUPLICATE_BANK_FILE = "duplicate_bank_file"
WRITE_OFF_WITHOUT_APPROVER = "write_off_without_approver"

BLOCK_DAYS = 30
MIN_BLOCK_DAYS = 10

ANOMALY_TYPES = (
    PAYMENT_NOT_IN_ERP,
    PAYMENT_NOT_BANKED,
    STATEMENT_AMOUNT_MISMATCH,
    INVOICE_UNKNOWN_TO_CUSTOMER,
    DUPLICATE_BANK_FILE,
    WRITE_OFF_WITHOUT_APPROVER,
)


def _business_day_in_window(params: Params, offset: int) -> date | None:
    """The first business day at or after start + offset, else the last business day of the period, else None."""
    day = next_business_day(params.start + timedelta(days=offset))
    if day < params.end:
        return day
    day = params.last_day
    while day >= params.start:
        if is_business_day(day):
            return day
        day -= timedelta(days=1)
    return None


def _days(params: Params, fraction_offset: Callable[[int], int]) -> tuple[date, ...]:
    """One day per block of the period, at `fraction_offset(block length)` into the block."""
    days: list[date] = []
    for first in range(0, params.days, BLOCK_DAYS):
        length = min(BLOCK_DAYS, params.days - first)
        if first and length < MIN_BLOCK_DAYS:
            break  # a short last block: its anomaly could not fit
        day = _business_day_in_window(params, first + fraction_offset(length))
        if day is not None and (not days or day > days[-1]):
            days.append(day)
    return tuple(days)


@dataclass(frozen=True, slots=True)
class AnomalyPlan:
    """On which days the planted anomalies are due: one of each kind per 30-day block of the period.

    Each is planted on its day or, when that day offers no candidate, at the first chance after. The statement
    anomalies are planted on every customer statement date instead.
    """

    payment_not_banked_from: tuple[date, ...]
    payment_not_in_erp_on: tuple[date, ...]
    duplicate_bank_file_on: tuple[date, ...]

    @classmethod
    def for_params(cls, params: Params) -> AnomalyPlan:
        """The plan for a period; depends on start and days only."""
        return cls(
            payment_not_banked_from=_days(params, lambda length: max(1, length // 5)),
            payment_not_in_erp_on=_days(params, lambda length: max(2, length // 3)),
            duplicate_bank_file_on=_days(params, lambda length: length // 2),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | Decimal):
        return str(value)
    return value


@dataclass(slots=True)
class AnomalyLog:
    """The anomalies actually planted, in the order they were planted, as the manifest lists them."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, anomaly_type: str, day: date, **keys: Any) -> None:
        """Record one anomaly: its type, its date, and the keys that find it (dates and amounts as strings)."""
        entry = {"type": anomaly_type, "date": day.isoformat()}
        entry.update({key: _jsonable(value) for key, value in keys.items()})
        self.entries.append(entry)
