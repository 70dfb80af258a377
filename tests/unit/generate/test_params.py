"""Dates and volumes derived from the generator's inputs."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from ingestion.generate.generator import generate
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


def test_a_longer_history_starts_the_simulation_earlier() -> None:
    params = Params(seed=1, scale=1, start=date(2024, 3, 1), days=10, history_days=730)
    # 1 March 2022 to 1 March 2024 is 365 + 366 = 731 days (29 February 2024), so 730 days back is 2 March 2022.
    assert params.history_start == date(2022, 3, 2)
    # The tail stays 240 days back; the simulation starts at whichever is earlier.
    assert params.tail_start == date(2023, 7, 5)
    assert params.simulation_start == date(2022, 3, 2)
    assert Params(seed=1, scale=1, start=date(2024, 3, 1), days=10).simulation_start == date(2023, 7, 5)
    with pytest.raises(ValueError, match="history_days"):
        Params(seed=1, scale=1, start=date(2024, 3, 1), days=1, history_days=-1)


def test_generated_history_covers_every_day_back_to_its_start(tmp_path: Path) -> None:
    generate(seed=3, scale=0.001, start=date(2024, 3, 1), days=1, landing=tmp_path, erp_mode="files",
             history_days=400)  # fmt: skip
    with (tmp_path / "erp" / "2024-03-01" / "invoices.csv").open(encoding="utf-8", newline="") as handle:
        dates = {date.fromisoformat(row["invoice_date"]) for row in csv.DictReader(handle)}
    # At least one invoice is issued every day of the full history (the generator's minimum), so the first day's
    # extract has invoices on each of the 400 days from 26 January 2023 (400 days before 1 March 2024: 365 back is 2 March 2023,
    # 35 more is 26 January) onwards.
    history_start = date(2023, 1, 26)
    assert min(dates) == history_start
    assert all(history_start + timedelta(days=n) in dates for n in range(400))
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generated"]["history_days"] == 400


def test_a_bank_history_starts_the_statements_earlier(tmp_path: Path) -> None:
    """bank_history_days=10 before Friday 1 March 2024 starts the statements on Tuesday 20 February (29 February:
    2024 is a leap year): the business days from there to 1 March are 20-23, 26-29 February and 1 March."""
    with pytest.raises(ValueError, match="bank_history_days must be between 0 and history_days"):
        Params(seed=1, scale=1, start=date(2024, 3, 1), days=1, history_days=5, bank_history_days=6)
    summary = generate(seed=3, scale=0.001, start=date(2024, 3, 1), days=1, landing=tmp_path, erp_mode="files",
                       history_days=30, bank_history_days=10)  # fmt: skip
    folders = sorted(p.name for p in (tmp_path / "bank").iterdir())
    assert folders == [
        "2024-02-20", "2024-02-21", "2024-02-22", "2024-02-23", "2024-02-26", "2024-02-27", "2024-02-28",
        "2024-02-29", "2024-03-01",
    ]  # fmt: skip
    assert summary.bank_files >= len(folders)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generated"]["bank_history_days"] == 10
    # Without it the statements start on the first day, and the manifest says nothing of a bank history.
    plain = generate(seed=3, scale=0.001, start=date(2024, 3, 1), days=1, landing=tmp_path / "plain",
                     erp_mode="files", history_days=30)  # fmt: skip
    assert sorted(p.name for p in plain.bank_dir.iterdir()) == ["2024-03-01"]
    assert (
        "bank_history_days"
        not in json.loads((tmp_path / "plain" / "manifest.json").read_text("utf-8"))["generated"]
    )
