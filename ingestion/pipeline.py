"""The steps of one business day, shared by the `arwh` command and the Airflow DAG.

Each step is idempotent for its date: running it twice leaves the warehouse as running it once (files load once by
sha256, ERP rows merge on their keys, dbt replaces the date's snapshot, checks append a result per run).
"""

from __future__ import annotations

import json
import logging
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ingestion import config, warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandingSources:
    """What a landing folder holds, as its source.json says (written by `arwh generate` or by hand)."""

    root: Path
    erp_kind: str | None  # database, files or None
    erp_url: str | None
    erp_mapping: str | None
    erp_files: Path | None

    @property
    def bank_dir(self) -> Path:
        return self.root / "bank"

    @property
    def statements_dir(self) -> Path:
        return self.root / "statements"


def landing_sources(root: Path | None = None) -> LandingSources:
    root = root or config.landing_dir()
    manifest = root / "source.json"
    erp: dict[str, Any] = {}
    if manifest.exists():
        erp = json.loads(manifest.read_text()).get("erp") or {}
    elif (root / "erp").is_dir():
        erp = {"kind": "files", "path": "erp"}
    files = root / erp["path"] if erp.get("kind") == "files" else None
    return LandingSources(
        root=root,
        erp_kind=erp.get("kind"),
        erp_url=erp.get("url"),
        erp_mapping=erp.get("mapping"),
        erp_files=files,
    )


def code_version() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=config.PROJECT_ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def start_run(
    run_id: str, business_date: date, url: str | None = None, *, data_tests_from_batch: int | None = None
) -> None:
    """Record the run in audit.pipeline_runs (a re-run of the same Airflow run id starts it afresh), with the scope
    of its dbt data tests (data_tests_from_batch; None: every row)."""
    with warehouse.connect(url) as conn:
        conn.execute(
            """insert into audit.pipeline_runs
                   (run_id, business_date, code_version, started_at, outcome, data_tests_from_batch)
               values (%s, %s, %s, clock_timestamp(), 'running', %s)
               on conflict (run_id) do update
                  set started_at = excluded.started_at, finished_at = null, outcome = 'running',
                      code_version = excluded.code_version, summary = null,
                      data_tests_from_batch = excluded.data_tests_from_batch""",
            (run_id, business_date, code_version(), data_tests_from_batch),
        )


class WarehouseLocked(RuntimeError):
    """Another run is writing the warehouse."""


LOCK_NAME = "ar_daily"


def acquire_warehouse_lock(
    run_id: str, business_date: date, url: str | None = None, *, stale_hours: float | None = None
) -> None:
    """Take the warehouse lock for the run (migration 017), or raise WarehouseLocked naming the run that holds it.

    The run that holds it may take it again (a retried start_run). A holder whose run is no longer running
    (audit.pipeline_runs.outcome), or that took it more than stale_hours ago (AR_WAREHOUSE_LOCK_STALE_HOURS,
    default 12: a run killed so hard that nothing marked it failed), no longer holds it."""
    hours = stale_hours if stale_hours is not None else config.warehouse_lock_stale_hours()
    with warehouse.connect(url) as conn:
        taken = conn.execute(
            """insert into audit.warehouse_lock as held (lock_name, run_id, business_date)
               values (%s, %s, %s)
               on conflict (lock_name) do update
                  set run_id = excluded.run_id, business_date = excluded.business_date,
                      acquired_at = clock_timestamp()
                where held.run_id = excluded.run_id
                   or held.acquired_at < clock_timestamp() - make_interval(secs => %s)
                   or not exists (select 1 from audit.pipeline_runs as runs
                                   where runs.run_id = held.run_id and runs.outcome = 'running')
               returning run_id""",
            (LOCK_NAME, run_id, business_date, hours * 3600),
        ).fetchone()
        if taken is None:
            holder = conn.execute(
                "select run_id, business_date, acquired_at from audit.warehouse_lock where lock_name = %s",
                (LOCK_NAME,),
            ).fetchone()
            conn.rollback()
            assert holder is not None
            raise WarehouseLocked(
                f"run {holder[0]} (business date {holder[1]}) has been writing the warehouse since {holder[2]}; "
                f"run {run_id} ({business_date}) waits for it (retry later, or mark that run failed in "
                "audit.pipeline_runs if it is dead)"
            )
        conn.commit()


def release_warehouse_lock(run_id: str, url: str | None = None) -> None:
    """Give the lock back if the run holds it."""
    with warehouse.connect(url) as conn:
        conn.execute(
            "delete from audit.warehouse_lock where lock_name = %s and run_id = %s", (LOCK_NAME, run_id)
        )
        conn.commit()


def data_tests_from_batch(business_date: date, *, full: bool = False, url: str | None = None) -> int | None:
    """The scope of the day's dbt data tests (var data_tests_from_batch, macro data_test_scope): the rows loaded or
    recomputed after the returned load batch. None tests every row: asked for (`full`), on the weekly full-check
    day (config.full_data_tests_weekday), or when no earlier date has a successful run.

    The batch is the last one loaded before the latest successful run of an earlier date started. That run tested
    everything loaded up to its own build, so the day tests its own loads, anything loaded by runs that failed
    since, and (again, harmlessly) that run's loads; a re-run of a day tests the day's loads again."""
    if full or business_date.weekday() == config.full_data_tests_weekday():
        return None
    with warehouse.connect(url) as conn:
        last_success = conn.execute(
            """select max(started_at) from audit.pipeline_runs
                where outcome = 'success' and business_date < %s""",
            (business_date,),
        ).fetchone()
        if last_success is None or last_success[0] is None:
            return None
        batch = conn.execute(
            "select coalesce(max(batch_id), 0) from audit.load_batches where started_at < %s",
            (last_success[0],),
        ).fetchone()
    return int(batch[0]) if batch else None


def finish_run(
    run_id: str, outcome: str, summary: dict[str, Any] | None = None, url: str | None = None
) -> None:
    release_warehouse_lock(run_id, url)
    with warehouse.connect(url) as conn:
        # The run's dbt invocation: the latest its builds recorded (a node retried alone records its own).
        conn.execute(
            """update audit.pipeline_runs
                  set finished_at = clock_timestamp(), outcome = %s, summary = %s::jsonb,
                      dbt_invocation_id = coalesce(
                          (select invocation_id from audit.dbt_invocations
                            where pipeline_run_id = %s order by run_started_at desc limit 1),
                          dbt_invocation_id)
                where run_id = %s""",
            (outcome, warehouse.to_json(summary) if summary is not None else None, run_id, run_id),
        )


def ingest_erp(
    business_date: date,
    *,
    landing: Path | None = None,
    run_id: str | None = None,
    url: str | None = None,
    reload: bool = False,
) -> list[dict[str, Any]]:
    """Load the ERP for the date from the landing folder's source (a database through its mapping, or files).

    `reload` (ar_daily's `reload_source: erp`) reads the whole source again: every row of the database whatever
    its watermark, every extract file including those loaded before. Rows merge on their keys, so only rows that
    differ from the warehouse are rewritten: it repairs changes the watermark missed (an ERP edit that did not
    touch updated_at) and hand edits in raw_erp, and changes nothing else."""
    sources = landing_sources(landing)
    if sources.erp_kind == "database":
        from ingestion.erp.database import extract, load_mapping

        if not sources.erp_url:
            raise ValueError(f"{sources.root / 'source.json'}: erp.url is required for an ERP database")
        mapping = load_mapping(sources.erp_mapping or "demo_erp")
        return [
            r.as_dict()
            for r in extract(
                sources.erp_url,
                mapping,
                warehouse_url=url,
                business_date=business_date,
                run_id=run_id,
                full=reload,
            )
        ]
    if sources.erp_kind == "files" and sources.erp_files is not None:
        from ingestion.erp.files import load_extract_dir

        return [
            r.as_dict()
            for r in load_extract_dir(
                url, sources.erp_files, through=business_date, run_id=run_id, reload=reload
            )
        ]
    log.warning("no ERP source in %s (no source.json and no erp/ folder): nothing to extract", sources.root)
    return []


def bank_files_arrived(business_date: date, landing: Path | None = None) -> bool:
    """Whether the day's bank statements are in: a file in the date's folder (landing/bank/YYYY-MM-DD/), or a day
    on which the banks deliver none (config.bank_weekdays). What ar_daily's wait_for_bank_files sensor pokes."""
    if business_date.weekday() not in config.bank_weekdays():
        return True
    folder = landing_sources(landing).bank_dir / business_date.isoformat()
    return folder.is_dir() and any(p.is_file() and not p.name.startswith(".") for p in folder.iterdir())


def ingest_bank(
    business_date: date,
    *,
    landing: Path | None = None,
    run_id: str | None = None,
    url: str | None = None,
    reload: bool = False,
) -> list[dict[str, Any]]:
    """Load the bank statement files delivered up to the date (folders dated later are left for their day).
    `reload` (`reload_source: bank`): files loaded before are parsed again and their rows replaced, except those
    with a statement a later file corrected (ingestion.bank.loader.load_file)."""
    from ingestion.bank.loader import load_files

    sources = landing_sources(landing)
    if not sources.bank_dir.is_dir():
        log.warning("no bank folder at %s: no statements to load", sources.bank_dir)
        return []
    return [
        r.as_dict()
        for r in load_files(
            url, [sources.bank_dir], business_date=business_date, run_id=run_id, reload=reload
        )
    ]


def ingest_statements(
    business_date: date,
    *,
    landing: Path | None = None,
    run_id: str | None = None,
    url: str | None = None,
    reload: bool = False,
) -> list[dict[str, Any]]:
    """Load the customer statements delivered up to the date (folders dated later are left for their day).
    `reload` (`reload_source: statements`): as ingest_bank's."""
    from ingestion.statements.loader import load_files

    sources = landing_sources(landing)
    if not sources.statements_dir.is_dir():
        log.warning("no statements folder at %s: no customer statements to load", sources.statements_dir)
        return []
    return [
        r.as_dict()
        for r in load_files(
            url, [sources.statements_dir], business_date=business_date, run_id=run_id, reload=reload
        )
    ]


RESULT_COLUMNS = (
    "customer_id", "statement_date", "document_key", "document_ref", "document_type", "currency_code",
    "ledger_amount", "statement_amount", "difference_amount", "status", "is_unexplained", "ledger_document_date",
    "statement_document_date", "later_ledger_date", "statement_file_sha256", "statement_line_numbers",
)  # fmt: skip


BANK_RESULT_COLUMNS = (
    "reconciliation_key", "bank_line_key", "bank_file_sha256", "bank_account_id", "bank_booking_date", "bank_amount",
    "bank_end_to_end_id", "payment_id", "customer_id", "payment_date", "payment_amount", "currency_code",
    "match_rule", "match_confidence", "difference_amount", "status", "is_unexplained", "match_group_key",
    "match_group_size", "payment_reference", "is_settled",
)  # fmt: skip

# The columns a settled bank row is kept with once (audit.bank_settled_results): all but is_settled, true for all.
BANK_SETTLED_COLUMNS = tuple(c for c in BANK_RESULT_COLUMNS if c != "is_settled")


def record_reconciliation(run_id: str, business_date: date, url: str | None = None) -> dict[str, Any]:
    """Keep what the reconciliation marts say now as the run's snapshot in audit (append-only; migrations 010, 011,
    020): the statement reconciliation row for row; the bank reconciliation's open rows under the snapshot, and its
    settled matches (decision 009) once each, in audit.bank_settled_results, with the snapshot that reopened one in
    audit.bank_settled_reopened. audit.bank_reconciliation_snapshot(id) gives a snapshot's bank rows whole.

    Idempotent per run: when the run's latest snapshot has the same content, nothing is added and that snapshot is
    returned; a re-run whose results changed adds a new snapshot beside the first. Returns the snapshot's id, its
    counts and whether it was new.
    """
    columns = ", ".join(RESULT_COLUMNS)
    bank_columns = ", ".join(BANK_SETTLED_COLUMNS)
    with warehouse.connect(url) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtext('audit.reconciliation_snapshots'))")
        # The settled rows' keys with a digest each: what is compared with the kept ones and hashed into the content
        # (keys and digests only: copying the rows took 5.7 s at 800,000 settled rows).
        conn.execute(
            f"""create temporary table settled_now on commit drop as
                select reconciliation_key, md5(row({bank_columns})::text) as row_md5
                  from marts.fct_bank_reconciliation where is_settled"""
        )
        conn.execute("analyze settled_now")
        digest, items, unexplained, bank_items, bank_unexplained = conn.execute(
            f"""with statement_rows as (select {columns} from marts.fct_statement_reconciliation),
                     open_rows as (select {", ".join(BANK_RESULT_COLUMNS)} from marts.fct_bank_reconciliation
                                    where not is_settled)
                select md5(
                           coalesce((select string_agg(r::text, '|' order by customer_id, statement_date, document_key)
                                       from statement_rows r), '')
                           || '#' ||
                           coalesce((select string_agg(b::text, '|' order by reconciliation_key) from open_rows b), '')
                           || '#' ||
                           coalesce((select string_agg(row_md5, '' order by reconciliation_key) from settled_now), '')
                       ),
                       (select count(*) from statement_rows),
                       (select count(*) from statement_rows where is_unexplained),
                       (select count(*) from marts.fct_bank_reconciliation),
                       (select count(*) from marts.fct_bank_reconciliation where is_unexplained)"""
        ).fetchone() or ("", 0, 0, 0, 0)
        counts = {
            "statement_items": items,
            "unexplained": unexplained,
            "bank_items": bank_items,
            "bank_unexplained": bank_unexplained,
        }
        latest = conn.execute(
            """select snapshot_id, content_sha256 from audit.reconciliation_snapshots
                where run_id = %s order by snapshot_id desc limit 1""",
            (run_id,),
        ).fetchone()
        if latest is not None and latest[1] == digest:
            return {"snapshot_id": latest[0], "new": False, **counts}
        row = conn.execute(
            """insert into audit.reconciliation_snapshots
                   (run_id, as_of_date, code_version, statement_item_count, statement_unexplained_count,
                    bank_item_count, bank_unexplained_count, content_sha256)
               values (%s, %s, %s, %s, %s, %s, %s, %s) returning snapshot_id""",
            (run_id, business_date, code_version(), items, unexplained, bank_items, bank_unexplained, digest),
        ).fetchone()
        assert row is not None
        snapshot = row[0]
        conn.execute(
            f"""insert into audit.statement_reconciliation_results (snapshot_id, {columns})
                select %s, {columns} from marts.fct_statement_reconciliation""",
            (snapshot,),
        )
        conn.execute(
            f"""insert into audit.bank_reconciliation_results (snapshot_id, {", ".join(BANK_RESULT_COLUMNS)})
                select %s, {", ".join(BANK_RESULT_COLUMNS)} from marts.fct_bank_reconciliation where not is_settled""",
            (snapshot,),
        )
        # The kept settled rows this snapshot no longer has as they were, then the ones it has for the first time.
        conn.execute(
            """insert into audit.bank_settled_reopened (snapshot_id, reconciliation_key, first_snapshot_id)
               select %s, kept.reconciliation_key, kept.first_snapshot_id
                 from audit.bank_settled_results as kept
                where not exists (select 1 from audit.bank_settled_reopened as reopened
                                   where reopened.first_snapshot_id = kept.first_snapshot_id
                                     and reopened.reconciliation_key = kept.reconciliation_key)
                  and not exists (select 1 from settled_now
                                   where settled_now.reconciliation_key = kept.reconciliation_key
                                     and settled_now.row_md5 = kept.row_md5)""",
            (snapshot,),
        )
        conn.execute(
            f"""insert into audit.bank_settled_results (first_snapshot_id, {bank_columns}, row_md5)
                select %s, {", ".join("mart." + c for c in BANK_SETTLED_COLUMNS)}, settled_now.row_md5
                  from settled_now
                 inner join marts.fct_bank_reconciliation as mart
                    on mart.reconciliation_key = settled_now.reconciliation_key
                 where not exists (
                     select 1 from audit.bank_settled_results as kept
                      where kept.reconciliation_key = settled_now.reconciliation_key
                        and kept.row_md5 = settled_now.row_md5
                        and not exists (select 1 from audit.bank_settled_reopened as reopened
                                         where reopened.first_snapshot_id = kept.first_snapshot_id
                                           and reopened.reconciliation_key = kept.reconciliation_key))""",
            (snapshot,),
        )
        conn.commit()
    log.info("run %s: reconciliation snapshot %s (%s)", run_id, snapshot, counts)
    return {"snapshot_id": snapshot, "new": True, **counts}


def day_summary(business_date: date, url: str | None = None) -> dict[str, Any]:
    """What the warehouse says for the date: invoices, open AR by currency and bucket, check results.

    Amounts are per currency: receivables in EUR and USD do not add up without a rate.
    """
    with warehouse.connect(url) as conn:
        invoices = conn.execute(
            """select currency_code, count(*), sum(amount) from raw_erp.invoices
                where invoice_date <= %s group by 1 order by 1""",
            (business_date,),
        ).fetchall()
        buckets = conn.execute(
            """select currency_code, aging_bucket, count(*), sum(open_amount)
                 from marts.fct_ar_aging where as_of_date = %s
                group by currency_code, aging_bucket order by currency_code, min(days_past_due)""",
            (business_date,),
        ).fetchall()
        checks = conn.execute(
            """with latest as (
                   select distinct on (suite_name, check_name) check_name, table_name, success
                     from audit.check_results where as_of_date = %s
                    order by suite_name, check_name, checked_at desc
               )
               select count(*) filter (where success), count(*) filter (where not success),
                      coalesce(jsonb_agg(check_name || ' on ' || coalesce(table_name, '?'))
                               filter (where not success), '[]'::jsonb)
                 from latest""",
            (business_date,),
        ).fetchone()
    assert checks is not None
    open_total: dict[str, Any] = {}
    for currency, _bucket, _n, amount in buckets:
        open_total[currency] = open_total.get(currency, 0) + amount
    bank_complete = bank_files_arrived(business_date)
    if not bank_complete:
        log.warning(
            "%s: no bank statement for the date arrived; its bank reconciliation is incomplete", business_date
        )
    return {
        "business_date": business_date,
        "bank_statements_for_date": bank_complete,
        "invoices": sum(n for _, n, _ in invoices),
        "invoiced_by_currency": {c: amount for c, _, amount in invoices},
        "open_ar_by_bucket": [
            {"currency": c, "bucket": b, "invoices": n, "open_amount": amt} for c, b, n, amt in buckets
        ],
        "open_ar_by_currency": open_total,
        "checks_passed": checks[0],
        "checks_flagged": checks[1],
        "flagged": checks[2],
    }
