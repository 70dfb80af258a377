"""The warehouse restarts in the middle of a run: the task that lost its connection is retried and the run succeeds,
as do the days after it, all in one Airflow process (`DAG.test()` for consecutive dates, as `arwh run` runs a range).

Three business days, 2026-05-04 to 05-06, each with an ERP extract of its own (one invoice a day for customer C1).
Day 1 runs normally. Before days 2 and 3 run, the test takes a SHARE lock on audit.load_batches (reads go on,
writes wait), so day 2's ingest_erp blocks as it opens its load batch, its transaction open; once that wait shows in
pg_stat_activity, the test restarts PostgreSQL (a fast shutdown, which ends every session, then a start).
ingest_erp fails with the server's "terminating connection due to administrator command"; the retry policy calls
that transient, and the retry (after AR_RETRY_DELAY_SECONDS, 2 here) loads the file whole.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ingestion import airflow_local, config, localdb, warehouse
from tests.helpers.erp_extracts import write_extract

pytestmark = [pytest.mark.integration, pytest.mark.dags]

DAYS = [date(2026, 5, 4), date(2026, 5, 5), date(2026, 5, 6)]
AMOUNTS = ["100.00", "200.00", "300.00"]


def _own_local_cluster(url: str) -> bool:
    return f":{config.local_pg_port()}/" in url and localdb.is_running()


def _blocked_merge(url: str) -> bool:
    with warehouse.connect(url) as conn:
        row = conn.execute(
            """select count(*) from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()"""
        ).fetchone()
    return bool(row and row[0])


def test_a_restart_mid_run_is_retried_and_the_days_succeed(
    fresh_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fresh_warehouse
    if not _own_local_cluster(url):
        pytest.skip("restarts the server: only on the project's own local cluster, not on AR_WAREHOUSE_URL")
    monkeypatch.setenv(config.ENV_RETRY_DELAY_SECONDS, "2")
    erp = tmp_path / "landing" / "erp"
    for n, (day, amount) in enumerate(zip(DAYS, AMOUNTS, strict=True), start=1):
        folder = erp / day.isoformat()
        write_extract(
            folder, "customers", ("customer_id", "customer_name", "currency_code"), [("C1", "Acme", "EUR")]
        )
        write_extract(
            folder,
            "invoices",
            ("invoice_id", "customer_id", "invoice_date", "due_date", "currency_code", "amount"),
            [(f"I{n}", "C1", day.isoformat(), "2026-06-30", "EUR", amount)],
        )

    airflow_local.run_day(DAYS[0])

    blocker = psycopg.connect(config.libpq_url(url))
    # SHARE mode: reads go on (start_run reads the batches for the day's test scope), writes wait. Of the day's
    # tasks only a load writes audit.load_batches (it opens its batch there, in the transaction of the load), and
    # this landing has no bank or customer statement folder: the one that waits is ingest_erp.
    blocker.execute("lock table audit.load_batches in share mode")
    summaries: list[dict[str, object]] = []
    failure: list[BaseException] = []

    def run_rest() -> None:
        try:
            summaries.extend(airflow_local.run_days(DAYS[1:]))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failure.append(exc)

    runner = threading.Thread(target=run_rest)
    runner.start()
    waited = 0.0
    while not _blocked_merge(url):
        assert runner.is_alive() and waited < 300, f"day 2's ingest_erp never blocked: {failure}"
        time.sleep(0.5)
        waited += 0.5
    localdb.down()  # fast shutdown: ends the blocked load's session (and the blocker's)
    localdb.up()
    runner.join(timeout=900)
    blocker.close()
    assert not runner.is_alive(), "days 2 and 3 did not finish"
    assert not failure, failure[0]

    # Both days ran to the end (run_days checks each one's success row in audit.pipeline_runs).
    assert [s["business_date"] for s in summaries] == ["2026-05-05", "2026-05-06"]
    with warehouse.connect(url) as conn:
        invoices = conn.execute(
            "select invoice_id, amount from raw_erp.invoices order by invoice_id"
        ).fetchall()
        batches = conn.execute(
            """select business_date::text, count(*) from audit.load_batches
                where entity = 'invoices' group by 1 order by 1"""
        ).fetchall()
        open_ar = conn.execute(
            "select sum(open_amount) from marts.fct_ar_aging where as_of_date = %s", (DAYS[2],)
        ).fetchone()
        day_2_run = conn.execute(
            "select run_id from audit.pipeline_runs where business_date = %s and outcome = 'success'",
            (DAYS[1],),
        ).fetchone()
    # Each day's invoice loaded exactly once: the killed attempt left no batch behind (its transaction died with
    # the session), and the retry's batch is the only one of day 2.
    assert invoices == [("I1", Decimal("100.00")), ("I2", Decimal("200.00")), ("I3", Decimal("300.00"))]
    assert batches == [("2026-05-04", 1), ("2026-05-05", 1), ("2026-05-06", 1)]
    # As of 05-06 nothing is paid: 100.00 + 200.00 + 300.00.
    assert open_ar == (Decimal("600.00"),)

    # Airflow's own record: day 2's ingest_erp took two tries, and no other task of that run needed a second.
    assert day_2_run is not None
    with sqlite3.connect(airflow_local.AIRFLOW_HOME / "airflow.db") as meta:
        tries = dict(
            meta.execute(
                "select task_id, try_number from task_instance where run_id = ? and try_number > 1",
                (day_2_run[0],),
            ).fetchall()
        )
    assert tries == {"ingest_erp": 2}
