"""The generator's inputs and the dates and volumes derived from them, in one place.

The simulated period is [start, start + days). Before it the company already has a past, so that on the first day
the receivables are not all brand new:

* full trading history for `history_days` (default `HISTORY_DAYS`, 60) days before `start`: invoices, payments,
  credit notes, disputes as on any other day, so aging has current, 1-30 and 31-60 buckets on day 1 (the benchmark
  asks for two years of it, to show that a day's cost does not grow with the history);
* a sparse tail of old, unpaid invoices dated `TAIL_DAYS` (240) to 61 days before `start` (customers in trouble), so
  the 61-90 and 90+ buckets are not empty either, and write-offs fall inside even a short simulated period.

Everything dated before `start` is delivered with the first day (the first ERP extract folder holds it; the demo ERP
database holds it with its own dates). Bank statements start on `start` unless `bank_history_days` asks for the
bank's history too: then they start that many days earlier (at most `history_days`), one folder per statement date,
so that a benchmark has a bank history as long as the ERP's (about a million credits over two years at scale 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

HISTORY_DAYS = 60
TAIL_DAYS = 240
CUSTOMERS_AT_SCALE_1 = 10_000
INVOICES_PER_DAY_AT_SCALE_1 = 1_370
MIN_CUSTOMERS = 5
MIN_INVOICES_PER_DAY = 3.0
ERP_MODES = ("db", "files", "both")


@dataclass(frozen=True, slots=True)
class Params:
    """The generator's inputs, checked, with everything derived from them."""

    seed: int
    scale: float
    start: date
    days: int
    history_days: int = HISTORY_DAYS
    bank_history_days: int = 0

    def __post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError(f"scale must be positive, got {self.scale}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if self.history_days < 0:
            raise ValueError(f"history_days must not be negative, got {self.history_days}")
        if not 0 <= self.bank_history_days <= self.history_days:
            raise ValueError(
                f"bank_history_days must be between 0 and history_days ({self.history_days}), "
                f"got {self.bank_history_days}"
            )

    @property
    def end(self) -> date:
        """The first day after the simulated period."""
        return self.start + timedelta(days=self.days)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def history_start(self) -> date:
        return self.start - timedelta(days=self.history_days)

    @property
    def bank_start(self) -> date:
        """The first bank statement date: `start`, or earlier by `bank_history_days`."""
        return self.start - timedelta(days=self.bank_history_days)

    @property
    def tail_start(self) -> date:
        return self.start - timedelta(days=TAIL_DAYS)

    @property
    def simulation_start(self) -> date:
        """The first simulated day: the tail's start, or the history's when the history is longer."""
        return min(self.tail_start, self.history_start)

    @property
    def customer_count(self) -> int:
        return max(MIN_CUSTOMERS, round(CUSTOMERS_AT_SCALE_1 * self.scale))

    @property
    def invoices_per_day(self) -> float:
        """Mean invoices per calendar day (weekdays get more, weekends fewer)."""
        return max(MIN_INVOICES_PER_DAY, INVOICES_PER_DAY_AT_SCALE_1 * self.scale)

    @property
    def volume(self) -> float:
        """Business volume relative to scale 1: sizes the bank items that are not customer payments."""
        return self.invoices_per_day / INVOICES_PER_DAY_AT_SCALE_1


def is_business_day(day: date) -> bool:
    """Monday to Friday. Holidays are not modelled: the bank books and reports every weekday."""
    return day.weekday() < 5


def next_business_day(day: date) -> date:
    """`day` itself when it is a business day, else the following Monday."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    """The business day `count` business days after `day` (which is first moved to a business day)."""
    day = next_business_day(day)
    for _ in range(count):
        day = next_business_day(day + timedelta(days=1))
    return day


def previous_business_day(day: date) -> date:
    """The last business day before `day`."""
    day -= timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def statement_dates(start: date, end: date) -> list[date]:
    """Customer statement dates: every month end in [start, end) and the last day of the period."""
    dates = []
    day = start
    while day < end:
        if (day + timedelta(days=1)).day == 1:
            dates.append(day)
        day += timedelta(days=1)
    last = end - timedelta(days=1)
    if not dates or dates[-1] != last:
        dates.append(last)
    return dates
