"""One run writes the warehouse at a time: the warehouse lock (migration 017) that start_run takes and finish_run
gives back. Airflow's max_active_runs keeps one DAG's runs apart; the lock also keeps apart runs Airflow does not
see as one (a second deployment, a run started by hand beside a scheduled one)."""

from __future__ import annotations

from datetime import date

import pytest

from ingestion import pipeline, warehouse
from ingestion.pipeline import WarehouseLocked, acquire_warehouse_lock, finish_run, start_run

pytestmark = pytest.mark.integration

MONDAY = date(2026, 3, 2)
TUESDAY = date(2026, 3, 3)


def _holder(url: str) -> tuple[str, date] | None:
    with warehouse.connect(url) as conn:
        row = conn.execute("select run_id, business_date from audit.warehouse_lock").fetchone()
    return (row[0], row[1]) if row else None


def test_a_second_run_waits_until_the_first_has_ended(clean_warehouse: str) -> None:
    url = clean_warehouse
    acquire_warehouse_lock("monday", MONDAY, url)
    start_run("monday", MONDAY, url)
    assert _holder(url) == ("monday", MONDAY)

    # Another run is refused while Monday's runs, and told which run holds the lock.
    with pytest.raises(WarehouseLocked, match=r"run monday \(business date 2026-03-02\) has been writing"):
        acquire_warehouse_lock("tuesday", TUESDAY, url)
    # Monday's run may take it again (a retried start_run).
    acquire_warehouse_lock("monday", MONDAY, url)

    # Monday's run ends (here: fails): the lock is given back and Tuesday takes it.
    finish_run("monday", "failed", url=url)
    assert _holder(url) is None
    acquire_warehouse_lock("tuesday", TUESDAY, url)
    assert _holder(url) == ("tuesday", TUESDAY)


def test_a_lock_whose_run_is_gone_does_not_hold(clean_warehouse: str) -> None:
    url = clean_warehouse
    # A holder that never recorded its run (it died before start_run's record) holds nothing.
    acquire_warehouse_lock("ghost", MONDAY, url)
    acquire_warehouse_lock("tuesday", TUESDAY, url)
    assert _holder(url) == ("tuesday", TUESDAY)

    # A holder still marked running but older than the stale limit (killed so hard nothing marked it failed).
    start_run("tuesday", TUESDAY, url)
    with warehouse.connect(url) as conn:
        conn.execute("update audit.warehouse_lock set acquired_at = clock_timestamp() - interval '13 hours'")
        conn.commit()
    with pytest.raises(WarehouseLocked):
        acquire_warehouse_lock("wednesday", date(2026, 3, 4), url, stale_hours=24)
    acquire_warehouse_lock("wednesday", date(2026, 3, 4), url)  # the default limit: 12 hours
    assert _holder(url) == ("wednesday", date(2026, 3, 4))
    assert pipeline.LOCK_NAME == "ar_daily"
