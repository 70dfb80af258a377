"""Dates and volumes derived from the generator's inputs."""

from __future__ import annotations

from datetime import date

import pytest

from ingestion.generate.params import (
    Params,
    add_business_days,
    next_business_day,
    previous_business_day,
    statement_dates,
)


def test_volumes_follow_the_scale() -> None:
    # 10,000 x 0.01 = 100 customers, 1,370 x 0.01 = 13.7 invoices a day.
    small = Params(seed=1, scale=0.01, start=date(2024, 1, 1), days=30)
    assert small.customer_count == 100
    assert small.invoices_per_day == pytest.approx(13.7)
    # At a tiny scale the floors apply: at least 5 customers and 3 invoices a day.
    tiny = Params(seed=1, scale=0.0001, start=date(2024, 1, 1), days=30)
    assert tiny.customer_count == 5
    assert tiny.invoices_per_day == 3.0


def test_history_reaches_back_before_start() -> None:
    params = Params(seed=1, scale=1, start=date(2024, 3, 1), days=10)
    # 2024 is a leap year: 60 days before 1 March is 1 January; 240 days before is 5 July 2023.
    assert params.history_start == date(2024, 1, 1)
    assert params.tail_start == date(2023, 7, 5)
    assert params.end == date(2024, 3, 11)
    assert params.last_day == date(2024, 3, 10)


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="scale"):
        Params(seed=1, scale=0, start=date(2024, 1, 1), days=1)
    with pytest.raises(ValueError, match="days"):
        Params(seed=1, scale=1, start=date(2024, 1, 1), days=0)


def test_business_days() -> None:
    friday, saturday, monday = date(2024, 1, 5), date(2024, 1, 6), date(2024, 1, 8)
    assert next_business_day(saturday) == monday
    assert next_business_day(friday) == friday
    assert add_business_days(friday, 1) == monday
    assert add_business_days(saturday, 0) == monday
    assert add_business_days(friday, 2) == date(2024, 1, 9)
    assert previous_business_day(monday) == friday


def test_statement_dates_are_month_ends_and_the_last_day() -> None:
    # 15 Jan + 45 days = 28 Feb is the last day; 31 Jan is the only month end before it.
    assert statement_dates(date(2024, 1, 15), date(2024, 2, 29)) == [date(2024, 1, 31), date(2024, 2, 28)]
    # A period ending on a month end lists that day once.
    assert statement_dates(date(2024, 1, 1), date(2024, 2, 1)) == [date(2024, 1, 31)]


def test_anomaly_days_fall_in_each_block() -> None:
    from ingestion.generate.anomalies import AnomalyPlan

    # 75 days from Monday 1 January 2024: blocks of 30, 30 and 15 days, the last long enough for its own set.
    plan = AnomalyPlan.for_params(Params(seed=1, scale=1, start=date(2024, 1, 1), days=75))
    # A fifth into each block: day 6 (Sun 7 Jan -> Mon 8 Jan), day 36 (6 Feb), day 63 (4 Mar).
    assert plan.payment_not_banked_from == (date(2024, 1, 8), date(2024, 2, 6), date(2024, 3, 4))
    # A half: day 15 (Tue 16 Jan), day 45 (Thu 15 Feb), day 67 (Fri 8 Mar).
    assert plan.duplicate_bank_file_on == (date(2024, 1, 16), date(2024, 2, 15), date(2024, 3, 8))
    # Nine days: a single short block, planted all the same; a third in is max(2, 9 // 3) = 3 days: Thu 4 Jan.
    short = AnomalyPlan.for_params(Params(seed=1, scale=1, start=date(2024, 1, 1), days=9))
    assert short.payment_not_in_erp_on == (date(2024, 1, 4),)
