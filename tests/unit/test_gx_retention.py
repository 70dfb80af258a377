"""Pruning GX's validation store and Data Docs to the newest runs per suite."""

from __future__ import annotations

from pathlib import Path

from expectations.retention import prune_validation_history


def _run(root: Path, store: str, suite: str, run_name: str, run_time: str) -> Path:
    folder = root / "uncommitted" / store / suite / run_name / run_time
    folder.mkdir(parents=True)
    (folder / "result.json").write_text("{}")
    return folder


def test_only_the_newest_runs_of_each_suite_are_kept_in_both_stores(tmp_path: Path) -> None:
    stores = ("validations", "data_docs/local_site/validations")
    # Three runs of one suite, one of another; run names deliberately do not sort like their run times.
    for store in stores:
        _run(tmp_path, store, "raw_erp__invoices", "manual__c", "20260901T000000.000000Z")
        _run(tmp_path, store, "raw_erp__invoices", "manual__a", "20260902T000000.000000Z")
        _run(tmp_path, store, "raw_erp__invoices", "manual__b", "20260903T000000.000000Z")
        _run(tmp_path, store, "raw_bank__statements", "manual__c", "20260901T000000.000000Z")

    # keep=2: the 09-01 run of raw_erp__invoices goes, in both stores (2 folders); the single other suite stays.
    assert prune_validation_history(tmp_path, keep=2) == 2
    for store in stores:
        invoices = tmp_path / "uncommitted" / store / "raw_erp__invoices"
        assert sorted(p.name for p in invoices.iterdir()) == ["manual__a", "manual__b"]
        assert (tmp_path / "uncommitted" / store / "raw_bank__statements" / "manual__c").is_dir()
    assert prune_validation_history(tmp_path, keep=2) == 0
