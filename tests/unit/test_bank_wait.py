"""pipeline.bank_files_arrived: what ar_daily's wait_for_bank_files sensor pokes, and its settings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingestion import config
from ingestion.pipeline import bank_files_arrived

TUESDAY = date(2026, 3, 3)
SATURDAY = date(2026, 3, 7)


def test_a_weekday_waits_for_a_file_in_its_folder(tmp_path: Path) -> None:
    assert not bank_files_arrived(TUESDAY, tmp_path)  # no bank folder at all
    folder = tmp_path / "bank" / "2026-03-03"
    folder.mkdir(parents=True)
    (folder / ".partial").write_text("")  # a hidden file being written is not a delivery
    assert not bank_files_arrived(TUESDAY, tmp_path)
    # A file for another date does not count either.
    (tmp_path / "bank" / "2026-03-02").mkdir()
    (tmp_path / "bank" / "2026-03-02" / "mon.sta").write_text(":20:X\n")
    assert not bank_files_arrived(TUESDAY, tmp_path)
    (folder / "tue.sta").write_text(":20:X\n")
    assert bank_files_arrived(TUESDAY, tmp_path)


def test_a_day_without_bank_deliveries_waits_for_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert bank_files_arrived(SATURDAY, tmp_path)
    monkeypatch.setenv("AR_BANK_WEEKDAYS", "monday,tuesday,wednesday,thursday,friday,saturday")
    assert not bank_files_arrived(SATURDAY, tmp_path)
    monkeypatch.setenv("AR_BANK_WEEKDAYS", "mondays")
    with pytest.raises(ValueError, match="AR_BANK_WEEKDAYS: \\['mondays'\\] are not weekdays"):
        bank_files_arrived(SATURDAY, tmp_path)


def test_the_wait_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AR_BANK_WAIT_SECONDS", raising=False)
    monkeypatch.delenv("AR_BANK_POKE_SECONDS", raising=False)
    assert (config.bank_wait_seconds(), config.bank_poke_seconds()) == (21600, 300)
    monkeypatch.setenv("AR_BANK_WAIT_SECONDS", "soon")
    with pytest.raises(ValueError, match="AR_BANK_WAIT_SECONDS='soon'"):
        config.bank_wait_seconds()
