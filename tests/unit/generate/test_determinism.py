"""Same inputs, same bytes; another seed, other data."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from ingestion.generate import generate


def _tree(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _run(landing: Path, seed: int) -> dict[str, str]:
    generate(seed=seed, scale=0.005, start=date(2024, 2, 20), days=14, landing=landing, erp_mode="files")
    return _tree(landing)


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    first = _run(tmp_path / "a", seed=3)
    second = _run(tmp_path / "b", seed=3)
    assert "manifest.json" in first and "source.json" in first
    assert len(first) > 50
    assert first == second
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (tmp_path / "b" / "manifest.json").read_bytes()


def test_rerun_into_the_same_folder_replaces_the_output(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    longer = _tree_after(landing, days=20)
    shorter = _tree_after(landing, days=14)
    assert "erp/2024-03-10/invoices.csv" in longer
    # Nothing of the longer run is left behind: the folder looks as if the shorter run had been the only one.
    assert shorter == _run(tmp_path / "fresh", seed=3)


def _tree_after(landing: Path, days: int) -> dict[str, str]:
    generate(seed=3, scale=0.005, start=date(2024, 2, 20), days=days, landing=landing, erp_mode="files")
    return _tree(landing)


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    first = _run(tmp_path / "a", seed=3)
    other = _run(tmp_path / "b", seed=4)
    assert first.keys() & other.keys()
    changed = [name for name in first.keys() & other.keys() if first[name] != other[name]]
    assert "manifest.json" in changed
    assert any(name.endswith("invoices.csv") for name in changed)
    assert any(name.endswith(".xml") for name in changed)


@pytest.mark.parametrize(
    ("start", "days"),
    [
        (date(2024, 3, 2), 1),  # a Saturday: no bank statement at all
        (date(2024, 3, 4), 3),  # too short for most anomalies to fit
        (date(2024, 2, 26), 10),  # ten days: every anomaly fits
    ],
)
def test_short_periods(tmp_path: Path, start: date, days: int) -> None:
    summary = generate(seed=5, scale=0.0001, start=start, days=days, landing=tmp_path, erp_mode="files")
    assert summary.customers == 5
    assert len(list((tmp_path / "erp").iterdir())) == days
    if days == 1:
        assert summary.bank_files == 0
    if days >= 10:
        assert summary.anomalies >= 6


def test_unknown_erp_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="erp_mode"):
        generate(seed=1, scale=0.01, start=date(2024, 1, 1), days=1, landing=tmp_path, erp_mode="xml")
