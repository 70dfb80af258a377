"""Connections, schema set-up, COPY helpers, load batches and the file registry.

Every load runs as one batch in one transaction: the batch row, the data and the file registry entry commit
together or not at all, so a load killed half-way leaves nothing visible and its retry starts clean. A failed batch
is recorded afterwards, in its own transaction, so the audit trail shows the attempt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from ingestion import config

FileResultT = TypeVar("FileResultT", bound="FileLoadResult")

log = logging.getLogger(__name__)

_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# One lock key for "someone is changing the warehouse's structure or loading into it"; two `arwh init` at once
# (two DAG runs starting together) would otherwise race on CREATE ... IF NOT EXISTS.
INIT_LOCK_KEY = 0x41525748  # "ARWH"


def connect(url: str | None = None, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """A psycopg 3 connection to the warehouse (AR_WAREHOUSE_URL or the local cluster)."""
    target = config.libpq_url(url or config.warehouse_url())
    return psycopg.connect(target, autocommit=autocommit, application_name="arwh")


def init_warehouse(url: str | None = None) -> list[str]:
    """Create schemas, roles, audit and raw tables and grants; idempotent. Returns the SQL files applied."""
    applied = []
    with connect(url) as conn:
        conn.execute("select pg_advisory_xact_lock(%s)", (INIT_LOCK_KEY,))
        for path in sorted(config.SQL_DIR.glob("*.sql")):
            conn.execute(path.read_text())
            applied.append(path.name)
        conn.commit()
    return applied


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def copy_rows(
    cur: psycopg.Cursor[Any], table: sql.Composable, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Stream rows into `table` with COPY FROM STDIN. Returns the number of rows written."""
    statement = sql.SQL("copy {} ({}) from stdin").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def qualified(schema: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def analyze_stale(url: str | None, schemas: Sequence[str]) -> list[str]:
    """ANALYZE the tables of `schemas` that were written since their last ANALYZE, or never analyzed, now rather
    than at autovacuum's next round: dbt and the raw-load checks plan on them right after the load. Returns the
    tables analyzed. A table this user does not own is skipped by PostgreSQL with a warning.

    Why every written table and not autovacuum's threshold (rows written above 50 + 10% of the table):
    - A small table (a day's two bank statements) stays below the threshold for good. Without statistics
      PostgreSQL guessed raw_bank.statements at 90 rows and planned the bank reconciliation's joins as nested
      loops (bench/README.md).
    - A big table's day (3,430 new invoices among a million) stays below it too. Its statistics then know no
      batch after the history's, so PostgreSQL estimates the day's rows (`_batch_id > last`) at one. A
      uniqueness check of those 3,430 invoices was planned as a nested loop over an aggregate and took 2.9 s;
      after ANALYZE, a hash join, 1.7 ms (decision 008).
    ANALYZE reads a sample of at most 30,000 rows, about 0.2 s for a table of a million rows here, whatever the
    table's size."""
    with connect(url, autocommit=True) as conn:
        rows = conn.execute(
            """select schemaname, relname
                 from pg_stat_user_tables
                where schemaname = any(%s)
                  and (coalesce(last_analyze, last_autoanalyze) is null or n_mod_since_analyze > 0)
                order by schemaname, relname""",
            (list(schemas),),
        ).fetchall()
        for schema, table in rows:
            conn.execute(sql.SQL("analyze {}").format(qualified(schema, table)))
    analyzed = [f"{schema}.{table}" for schema, table in rows]
    if analyzed:
        log.info("statistics refreshed after the load: %s", ", ".join(analyzed))
    return analyzed


@dataclass
class Reject:
    """One record that could not be loaded: where it was, which field, why."""

    reason: str
    line_number: int | None = None
    field: str | None = None
    record_ref: str | None = None
    raw_record: str | None = None

    def describe(self, file_name: str | None = None) -> str:
        parts = [p for p in (file_name, f"line {self.line_number}" if self.line_number else None) if p]
        if self.record_ref:
            parts.append(f"record {self.record_ref}")
        if self.field:
            parts.append(f"field {self.field}")
        return f"{', '.join(parts)}: {self.reason}" if parts else self.reason


@dataclass
class Batch:
    """An open load batch; the loader fills in counts and totals before it commits."""

    conn: psycopg.Connection[Any]
    batch_id: int
    source: str
    entity: str
    rows_read: int = 0
    rows_loaded: int = 0
    rejects: list[Reject] = field(default_factory=list)
    control_total_source: Decimal | None = None
    control_total_target: Decimal | None = None
    watermark_from: Any = None
    watermark_to: Any = None

    def reject(self, item: Reject, *, file_name: str | None = None, file_sha256: str | None = None) -> None:
        self.rejects.append(item)
        self.conn.execute(
            """insert into audit.rejects
                   (batch_id, source, entity, file_name, file_sha256, line_number, record_ref, field, reason, raw_record)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                self.batch_id,
                self.source,
                self.entity,
                file_name,
                file_sha256,
                item.line_number,
                item.record_ref,
                item.field,
                item.reason,
                item.raw_record,
            ),
        )


@contextmanager
def load_batch(
    url: str | None,
    *,
    source: str,
    entity: str,
    business_date: date | None = None,
    run_id: str | None = None,
) -> Iterator[Batch]:
    """Open a connection and a transaction holding one batch; commit on success, roll back and record on error."""
    conn = connect(url)
    try:
        row = conn.execute(
            """insert into audit.load_batches (run_id, source, entity, business_date)
               values (%s, %s, %s, %s) returning batch_id""",
            (run_id, source, entity, business_date),
        ).fetchone()
        assert row is not None
        batch = Batch(conn=conn, batch_id=row[0], source=source, entity=entity)
        yield batch
        conn.execute(
            """update audit.load_batches
                  set status = 'loaded', finished_at = clock_timestamp(),
                      rows_read = %s, rows_loaded = %s, rows_rejected = %s,
                      control_total_source = %s, control_total_target = %s,
                      watermark_from = %s, watermark_to = %s
                where batch_id = %s""",
            (
                batch.rows_read,
                batch.rows_loaded,
                len(batch.rejects),
                batch.control_total_source,
                batch.control_total_target,
                batch.watermark_from,
                batch.watermark_to,
                batch.batch_id,
            ),
        )
        conn.commit()
    except BaseException as exc:
        conn.rollback()
        _record_failed_batch(
            url, source=source, entity=entity, business_date=business_date, run_id=run_id, exc=exc
        )
        raise
    finally:
        conn.close()


def _record_failed_batch(
    url: str | None,
    *,
    source: str,
    entity: str,
    business_date: date | None,
    run_id: str | None,
    exc: BaseException,
) -> None:
    try:
        with connect(url, autocommit=True) as conn:
            conn.execute(
                """insert into audit.load_batches (run_id, source, entity, business_date, status, finished_at)
                   values (%s, %s, %s, %s, 'failed', clock_timestamp())""",
                (run_id, source, entity, business_date),
            )
    except Exception:  # the original error matters more than a failure to record it
        log.exception("could not record the failed batch for %s/%s after: %s", source, entity, exc)


# ---- the file registry -------------------------------------------------------------------------------------------


def loaded_file(conn: psycopg.Connection[Any], source: str, file_sha256: str) -> dict[str, Any] | None:
    """The registry entry of a file already loaded from this source, or None."""
    row = conn.execute(
        """select file_name, file_path, batch_id, rows_loaded, loaded_at
             from audit.files where source = %s and file_sha256 = %s and status = 'loaded'""",
        (source, file_sha256),
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("file_name", "file_path", "batch_id", "rows_loaded", "loaded_at"), row, strict=True))


def loaded_before(url: str | None, source: str, file_sha256: str) -> bool:
    with connect(url) as conn:
        return loaded_file(conn, source, file_sha256) is not None


def load_delivered(
    paths: Iterable[Path],
    business_date: date | None,
    reload: bool,
    load_one: Callable[[Path, bool], FileResultT],
) -> list[FileResultT]:
    """Call `load_one(path, reload)` for every delivered file under `paths` (delivered_files); with `reload`, a
    content met again under another path is not read a second time."""
    results: list[FileResultT] = []
    reloaded: set[str] = set()
    for path in delivered_files(paths, business_date=business_date):
        result = load_one(path, reload and sha256_of(path) not in reloaded)
        reloaded.add(result.file_sha256)
        results.append(result)
    return results


def statement_file_plan(
    url: str | None,
    *,
    source: str,
    file_sha256: str,
    path: Path,
    run_id: str | None,
    reload: bool,
    statements_table: str,
    events_table: str,
) -> tuple[bool, str | None]:
    """What to do with a statement file (bank or customer statements): (whether its earlier load is to be
    replaced, why it must not load at all, or None). Without `reload` a file loaded before is a duplicate
    (duplicate_of); with it, it is read again unless reload_refusal says why not."""
    if reload and loaded_before(url, source, file_sha256):
        return True, reload_refusal(url, statements_table, events_table, file_sha256)
    return False, duplicate_of(url, source=source, file_sha256=file_sha256, path=path, run_id=run_id)


def reload_refusal(url: str | None, statements_table: str, events_table: str, file_sha256: str) -> str | None:
    """Why a statement file loaded before cannot be read again in place, or None when it can.

    A re-load (ar_daily's reload_source) replaces the file's rows with what the current code reads from it. That is
    safe while every statement of the file stands as its own. Not for a statement that a later file replaced (a
    correction): read again, it would replace its own correction. Not for one that was a second delivery of an
    earlier statement (nothing of it was kept): read again, it could replace a correction of that statement."""
    with connect(url) as conn:
        replaced = conn.execute(
            sql.SQL(
                "select superseded_by_sha256 from {} where file_sha256 = %s and not is_current limit 1"
            ).format(sql.SQL(statements_table)),
            (file_sha256,),
        ).fetchone()
        duplicate = conn.execute(
            sql.SQL(
                "select earlier_file_sha256 from {} where file_sha256 = %s and event = 'duplicate' limit 1"
            ).format(sql.SQL(events_table)),
            (file_sha256,),
        ).fetchone()
    if replaced is not None:
        return f"not re-loaded: a statement in it was replaced by file {str(replaced[0])[:12]}; re-load that file"
    if duplicate is not None:
        return (
            f"not re-loaded: a statement in it was a second delivery of one in file {str(duplicate[0])[:12]}, "
            "which stands for it"
        )
    return None


def forget_file_rows(conn: psycopg.Connection[Any], tables: Sequence[str], file_sha256: str) -> None:
    """Delete what an earlier load of the file wrote (inside the transaction of its re-load)."""
    for table in tables:
        conn.execute(sql.SQL("delete from {} where file_sha256 = %s").format(sql.SQL(table)), (file_sha256,))


def duplicate_of(
    url: str | None, *, source: str, file_sha256: str, path: Path, run_id: str | None
) -> str | None:
    """Why a file must not load again (its content is already loaded), or None when it is new.

    The same content under another path is a second delivery and is logged in audit.file_deliveries; the same path
    seen again by a later run (a re-run scans its folders afresh) is not a delivery and leaves no trace.
    """
    with connect(url) as conn:
        previous = loaded_file(conn, source, file_sha256)
    if previous is None:
        return None
    if previous["file_path"] == str(path):
        return f"already loaded (batch {previous['batch_id']})"
    reason = f"same content as {previous['file_path']}, loaded in batch {previous['batch_id']}"
    record_delivery(
        url,
        source=source,
        file_sha256=file_sha256,
        path=path,
        outcome="duplicate",
        reason=reason,
        run_id=run_id,
    )
    return reason


def register_file(
    conn: psycopg.Connection[Any],
    *,
    source: str,
    path: Path,
    file_sha256: str,
    status: str,
    file_format: str | None,
    batch_id: int | None,
    rows_loaded: int = 0,
    control_total_source: Decimal | None = None,
    control_total_target: Decimal | None = None,
    reason: str | None = None,
) -> None:
    """Upsert the registry row of a file: a file rejected earlier and loaded now (after a fix) becomes loaded."""
    conn.execute(
        """insert into audit.files as f
               (source, file_sha256, file_name, file_path, size_bytes, file_format, status, batch_id, rows_loaded,
                control_total_source, control_total_target, reason, loaded_at)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                   case when %s = 'loaded' then clock_timestamp() end)
           on conflict (source, file_sha256) do update
              set status = excluded.status, batch_id = excluded.batch_id, rows_loaded = excluded.rows_loaded,
                  file_path = excluded.file_path, file_format = excluded.file_format,
                  control_total_source = excluded.control_total_source,
                  control_total_target = excluded.control_total_target,
                  reason = excluded.reason, loaded_at = excluded.loaded_at
            where f.status <> 'loaded'""",
        (
            source,
            file_sha256,
            path.name,
            str(path),
            path.stat().st_size if path.exists() else 0,
            file_format,
            status,
            batch_id,
            rows_loaded,
            control_total_source,
            control_total_target,
            reason,
            status,
        ),
    )


def record_delivery(
    url: str | None,
    *,
    source: str,
    file_sha256: str,
    path: Path,
    outcome: str,
    reason: str | None = None,
    run_id: str | None = None,
) -> None:
    """Log that a file was presented (loaded, duplicate or rejected), in its own transaction."""
    with connect(url, autocommit=True) as conn:
        conn.execute(
            """insert into audit.file_deliveries (source, file_sha256, file_path, run_id, outcome, reason)
               values (%s, %s, %s, %s, %s, %s)""",
            (source, file_sha256, str(path), run_id, outcome, reason),
        )


def delivered_files(paths: Iterable[Path], *, business_date: date | None = None) -> list[Path]:
    """The delivered files named by `paths` (files or folders, recursively), in a stable order: bank statements,
    customer statements. Hidden files, quarantine folders and quarantine reason files are not deliveries.

    With `business_date`, a folder's YYYY-MM-DD subfolders dated after it are skipped: the demo landing holds
    future days too, and a run for a day must not see them.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
            continue
        for candidate in sorted(path.rglob("*")):
            if (
                not candidate.is_file()
                or candidate.name.startswith(".")
                or candidate.name.endswith(".reason.txt")
            ):
                continue
            if "quarantine" in candidate.relative_to(path).parts:
                continue
            if business_date is not None and any(
                _DATE_DIR.match(part) and date.fromisoformat(part) > business_date
                for part in candidate.relative_to(path).parts[:-1]
            ):
                continue
            found.append(candidate)
    return found


def quarantine(path: Path, source: str, reason: str, landing: Path | None = None) -> Path:
    """Move a bad file to <landing>/quarantine/<source>/ beside a `.reason.txt`; copy when it cannot be moved.

    The destination keeps the file name; a name already taken there gets the file's sha prefix, so a corrected file
    re-delivered under the same name never overwrites the evidence of the first.
    """
    import shutil

    target_dir = (landing or config.landing_dir()) / "quarantine" / source
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{sha256_of(path)[:12]}_{path.name}"
    try:
        shutil.move(str(path), target)
    except OSError:
        # Read-only sources (a mounted share, the conformance corpus) cannot be moved: keep a copy as evidence.
        shutil.copy2(path, target)
    (target.parent / f"{target.name}.reason.txt").write_text(f"{path}\n{reason}\n")
    return target


@dataclass
class FileLoadResult:
    """What loading one statement file did (bank or customer statements; the loaders add their own totals)."""

    path: Path
    status: str  # loaded, duplicate, rejected
    file_sha256: str
    file_format: str | None = None
    statements: int = 0
    rows: int = 0
    reason: str | None = None
    batch_id: int | None = None
    statements_duplicate: int = 0  # statements already loaded from another file, not loaded again
    statements_replacing: int = 0  # corrected statements that replaced an earlier one

    def as_dict(self) -> dict[str, Any]:
        """For JSON and XCom: `file`, `sha256` and `format` named as the command line prints them."""
        data: dict[str, Any] = {
            "file": str(self.path),
            "sha256": self.file_sha256,
            "format": self.file_format,
        }
        for item in fields(self):
            if item.name not in ("path", "file_sha256", "file_format"):
                data[item.name] = getattr(self, item.name)
        return data


def reject_file(
    url: str | None,
    *,
    source: str,
    entity: str,
    path: Path,
    file_sha256: str,
    file_format: str | None,
    rejects: list[Reject],
    reason: str,
    run_id: str | None,
) -> Path:
    """Record a file that cannot be loaded: a row of audit.rejects per problem, the registry entry, the quarantine
    (with every problem in the reason file) and the delivery. Returns where the file went."""
    log.error("rejected %s: %s", path, reason)
    with connect(url) as conn:
        for item in rejects:
            conn.execute(
                """insert into audit.rejects (source, entity, file_name, file_sha256, line_number, record_ref, field, reason)
                   values (%s, %s, %s, %s, %s, %s, %s, %s)""",
                (
                    source,
                    entity,
                    path.name,
                    file_sha256,
                    item.line_number,
                    item.record_ref,
                    item.field,
                    item.reason,
                ),
            )
        register_file(
            conn, source=source, path=path, file_sha256=file_sha256, status="rejected", file_format=file_format,
            batch_id=None, reason=reason[:4000],
        )  # fmt: skip
        conn.commit()
    details = "\n".join(item.describe(path.name) for item in rejects)
    target = quarantine(path, source, f"{reason}\n{details}" if len(rejects) > 1 else reason)
    record_delivery(
        url, source=source, file_sha256=file_sha256, path=path, outcome="rejected", reason=reason[:4000],
        run_id=run_id,
    )  # fmt: skip
    return target


def to_json(value: Any) -> str:
    """JSON for audit payloads: Decimals as strings (never floats), dates ISO."""

    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return str(obj)
        if isinstance(obj, date):
            return obj.isoformat()
        if isinstance(obj, Path):
            return str(obj)
        raise TypeError(f"not JSON serialisable: {type(obj).__name__}")

    return json.dumps(value, default=default, sort_keys=True)
