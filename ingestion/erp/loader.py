"""Load canonical ERP records into raw_erp: stage with COPY, validate, merge on the primary key.

Write mode is merge: a record whose key is new is inserted, one whose values changed is rewritten (with the new
batch id), one that is identical is left alone. So loading the same extract twice changes nothing, and the raw
tables hold the ERP's current state while audit.load_batches keeps the history of what each extract brought.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psycopg import sql

from ingestion import warehouse
from ingestion.erp.entities import Entity
from ingestion.erp.records import coerce_record
from ingestion.warehouse import Batch, Reject

if TYPE_CHECKING:
    from ingestion.erp.fast_csv import Staged

log = logging.getLogger(__name__)

SOURCE_ROW = tuple[int | None, Mapping[str, Any]]  # (line number or None, record)

# What an ERP load writes: the merged raw tables, and through their trigger the versions a merge replaced.
RAW_ERP_SCHEMAS = ("raw_erp", "raw_erp_history")


@dataclass
class EntityLoadResult:
    entity: str
    batch_id: int
    rows_read: int
    rows_loaded: int  # accepted records (valid, first of their key)
    rows_changed: int  # of those, new or different from what raw_erp held
    rows_rejected: int
    control_total_source: Decimal | None
    control_total_target: Decimal | None
    rejects: list[Reject] = field(default_factory=list)
    # Where the time went, in seconds (not in as_dict: a run's summary stays the same on a re-run): copy and type
    # (the server's way in, ingestion.erp.fast_csv) or read (records checked in Python), checks (totals,
    # duplicate keys, defaults), merge (into raw_erp).
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "batch_id": self.batch_id,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_changed": self.rows_changed,
            "rows_rejected": self.rows_rejected,
            "control_total_source": self.control_total_source,
            "control_total_target": self.control_total_target,
        }


def stage_and_merge(
    batch: Batch,
    entity: Entity,
    records: Iterable[SOURCE_ROW],
    *,
    file_name: str | None = None,
    file_sha256: str | None = None,
    updated_at_key: str | None = None,
    fast: Callable[[sql.Identifier], Staged | None] | None = None,
) -> EntityLoadResult:
    """Validate `records` and merge them into raw_erp.<entity> inside the batch's transaction.

    `updated_at_key`, when given, names the record field holding the source's change timestamp. `fast`, when
    given, may stage the rows itself (ingestion.erp.fast_csv.copy_extract); when it returns None, `records` are
    read instead.
    """
    conn = batch.conn
    cols = list(entity.column_names)
    stage = sql.Identifier(f"_stage_{entity.name}")
    conn.execute(
        sql.SQL(
            "create temp table {stage} (like {raw} including defaults) on commit drop; "
            "alter table {stage} add column _line bigint, alter column _batch_id drop not null"
        ).format(stage=stage, raw=warehouse.qualified("raw_erp", entity.name))
    )
    # Primary-key NOT NULLs are copied by LIKE: drop them so optional columns (applied_date) can be filled later.
    for column in entity.columns:
        if not column.required:
            conn.execute(
                sql.SQL("alter table {} alter column {} drop not null").format(
                    stage, sql.Identifier(column.name)
                )
            )

    rejects: list[Reject] = []
    source_total = Decimal(0) if entity.amount_column else None
    amount_pos = cols.index(entity.amount_column) if entity.amount_column else None
    read = 0

    def rows() -> Iterable[tuple[Any, ...]]:
        nonlocal read, source_total
        for line_number, record in records:
            read += 1
            result = coerce_record(entity, record, line_number=line_number)
            if isinstance(result, Reject):
                rejects.append(result)
                continue
            if amount_pos is not None and source_total is not None:
                source_total += result[amount_pos]
            updated_at = record.get(updated_at_key) if updated_at_key else None
            yield (*result, updated_at if isinstance(updated_at, datetime) else None, line_number or read)

    clock = time.perf_counter()
    staged = fast(stage) if fast is not None else None
    if staged is not None:
        read, source_total = staged.rows_read, staged.source_total
        rejects.extend(staged.rejects)
        seconds = dict(staged.seconds)
    else:
        with conn.cursor() as cur:
            warehouse.copy_rows(cur, stage, [*cols, "source_updated_at", "_line"], rows())
        seconds = {"read": time.perf_counter() - clock}
    clock = time.perf_counter()

    target_total = None
    if entity.amount_column:
        row = conn.execute(
            sql.SQL("select coalesce(sum({}), 0) from {}").format(sql.Identifier(entity.amount_column), stage)
        ).fetchone()
        target_total = row[0] if row else None

    rejects.extend(_reject_duplicate_keys(batch, entity, stage))
    if entity.name == "payment_applications":
        rejects.extend(_fill_applied_dates(batch, stage))

    accepted_row = conn.execute(sql.SQL("select count(*) from {}").format(stage)).fetchone()
    accepted = accepted_row[0] if accepted_row else 0
    seconds["checks"] = time.perf_counter() - clock
    clock = time.perf_counter()
    changed = _merge(batch, entity, stage)
    seconds["merge"] = time.perf_counter() - clock

    for item in rejects:
        batch.reject(item, file_name=file_name, file_sha256=file_sha256)
    batch.rows_read += read
    batch.rows_loaded += accepted
    batch.control_total_source = source_total
    batch.control_total_target = target_total
    if rejects:
        log.warning(
            "%s: %d of %d %s records rejected; first: %s",
            file_name or entity.name,
            len(rejects),
            read,
            entity.name,
            rejects[0].describe(file_name),
        )
    log.info(
        "%s: %d records read, %d accepted, %d new or changed; %s",
        file_name or entity.name,
        read,
        accepted,
        changed,
        ", ".join(f"{phase} {spent:.2f} s" for phase, spent in seconds.items()),
    )
    return EntityLoadResult(
        entity=entity.name,
        batch_id=batch.batch_id,
        rows_read=read,
        rows_loaded=accepted,
        rows_changed=changed,
        rows_rejected=len(rejects),
        control_total_source=source_total,
        control_total_target=target_total,
        rejects=rejects,
        seconds=seconds,
    )


def _reject_duplicate_keys(batch: Batch, entity: Entity, stage: sql.Identifier) -> list[Reject]:
    """A key twice in one extract is ambiguous: keep its first occurrence, reject the others with both lines."""
    keys = sql.SQL(", ").join(map(sql.Identifier, entity.primary_key))
    rows = batch.conn.execute(
        sql.SQL(
            """with ranked as (
                   select ctid as row_ctid, _line, concat_ws('/', {keys}) as ref,
                          first_value(_line) over w as first_line,
                          row_number() over w as n
                     from {stage}
                   window w as (partition by {keys} order by _line)
               )
               delete from {stage} s using ranked r
                where s.ctid = r.row_ctid and r.n > 1
            returning r._line, r.ref, r.first_line"""
        ).format(keys=keys, stage=stage)
    ).fetchall()
    return [
        Reject(
            reason=f"duplicate key in the same extract (first at line {first}); the first occurrence was kept",
            line_number=line,
            field="/".join(entity.primary_key),
            record_ref=ref,
        )
        for line, ref, first in rows
    ]


def _fill_applied_dates(batch: Batch, stage: sql.Identifier) -> list[Reject]:
    """applied_date is optional in extracts: it defaults to the payment's date, which must then be known."""
    batch.conn.execute(
        sql.SQL(
            """update {stage} s set applied_date = p.payment_date
                 from raw_erp.payments p
                where s.applied_date is null and p.payment_id = s.payment_id"""
        ).format(stage=stage)
    )
    rows = batch.conn.execute(
        sql.SQL(
            "delete from {stage} where applied_date is null returning _line, payment_id, invoice_id"
        ).format(stage=stage)
    ).fetchall()
    return [
        Reject(
            reason=f"applied_date is empty and payment {payment_id} is not known, so its date cannot stand in",
            line_number=line,
            field="applied_date",
            record_ref=f"{payment_id}/{invoice_id}",
        )
        for line, payment_id, invoice_id in rows
    ]


def _merge(batch: Batch, entity: Entity, stage: sql.Identifier) -> int:
    cols = [*entity.column_names, "source_updated_at"]
    non_key = [c for c in cols if c not in entity.primary_key]
    ident = sql.Identifier
    statement = sql.SQL(
        """insert into {raw} as t ({cols}, _batch_id)
           select {cols}, %s from {stage}
           on conflict ({keys}) do update
              set {assignments}, _batch_id = excluded._batch_id, _loaded_at = clock_timestamp()
            where ({old}) is distinct from ({new})"""
    ).format(
        raw=warehouse.qualified("raw_erp", entity.name),
        cols=sql.SQL(", ").join(map(ident, cols)),
        stage=stage,
        keys=sql.SQL(", ").join(map(ident, entity.primary_key)),
        assignments=sql.SQL(", ").join(
            sql.SQL("{} = excluded.{}").format(ident(c), ident(c)) for c in non_key
        ),
        old=sql.SQL(", ").join(sql.SQL("t.{}").format(ident(c)) for c in non_key),
        new=sql.SQL(", ").join(sql.SQL("excluded.{}").format(ident(c)) for c in non_key),
    )
    with batch.conn.cursor() as cur:
        cur.execute(statement, (batch.batch_id,))
        return cur.rowcount


def business_date_or_none(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
