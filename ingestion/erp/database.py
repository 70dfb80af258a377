"""Extract the ERP from its database through a mapping file, incrementally by an updated_at watermark.

The watermark per (source, entity) lives in audit.watermarks and moves in the same transaction as the rows it
covers, so a failed extract is simply repeated. An extract takes every row changed since the watermark: a database
holds only its present state, so the business date of a run is recorded with the batch but cannot bound the rows;
dates *inside* the documents (invoice_date, payment_date, ...) give every mart its as-of view.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from ingestion import config, warehouse
from ingestion.erp.entities import ENTITIES, LOAD_ORDER
from ingestion.erp.loader import RAW_ERP_SCHEMAS, SOURCE_ROW, EntityLoadResult, stage_and_merge
from ingestion.warehouse import Batch, load_batch

log = logging.getLogger(__name__)

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
UPDATED_AT = "_source_updated_at"
FETCH_SIZE = 10_000


class MappingError(ValueError):
    pass


@dataclass(frozen=True)
class EntityMapping:
    entity: str
    table: str
    updated_at: str
    columns: dict[str, str]
    where: str | None = None


@dataclass(frozen=True)
class Mapping:
    name: str
    schema: str | None
    entities: dict[str, EntityMapping]


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A mapping by name (a file in ingestion/erp/mappings/) or by path, checked against the canonical entities."""
    path = Path(name_or_path)
    if not path.suffix:
        path = MAPPINGS_DIR / f"{name_or_path}.yml"
    if not path.exists():
        raise MappingError(f"mapping file not found: {path}")
    doc = yaml.safe_load(path.read_text())
    entities = {}
    for entity_name, spec in (doc.get("entities") or {}).items():
        if entity_name not in ENTITIES:
            raise MappingError(f"{path.name}: entity {entity_name!r} is not one of {', '.join(ENTITIES)}")
        columns = dict(spec.get("columns") or {})
        entity = ENTITIES[entity_name]
        missing = [c.name for c in entity.columns if c.required and c.name not in columns]
        if missing:
            raise MappingError(
                f"{path.name}: {entity_name}: required column(s) not mapped: {', '.join(missing)}"
            )
        unknown = [c for c in columns if c not in entity.column_names]
        if unknown:
            raise MappingError(
                f"{path.name}: {entity_name}: unknown canonical column(s): {', '.join(unknown)}"
            )
        for key in ("from", "updated_at"):
            if not spec.get(key):
                raise MappingError(f"{path.name}: {entity_name}: `{key}` is required")
        entities[entity_name] = EntityMapping(
            entity=entity_name,
            table=spec["from"],
            updated_at=spec["updated_at"],
            columns=columns,
            where=spec.get("where"),
        )
    return Mapping(name=doc.get("name") or path.stem, schema=doc.get("schema"), entities=entities)


def build_query(mapping: Mapping, em: EntityMapping) -> str:
    """The SELECT for one entity: mapped expressions, rows changed after :watermark, oldest change first."""
    table = f"{mapping.schema}.{em.table}" if mapping.schema else em.table
    select_list = ",\n       ".join(f"{expr} as {name}" for name, expr in em.columns.items())
    where = f"({em.where}) and " if em.where else ""
    return (
        f"select {select_list},\n       {em.updated_at} as {UPDATED_AT}\n"
        f"  from {table}\n where {where}{em.updated_at} > :watermark\n order by {em.updated_at}"
    )


@dataclass
class ExtractResult:
    entity: str
    status: str  # loaded
    watermark_from: datetime | None
    watermark_to: datetime | None
    load: EntityLoadResult

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "status": self.status,
            "watermark_from": self.watermark_from.isoformat() if self.watermark_from else None,
            "watermark_to": self.watermark_to.isoformat() if self.watermark_to else None,
            **self.load.as_dict(),
        }


_EPOCH = datetime.fromisoformat("1900-01-01T00:00:00+00:00")


def extract(
    source_url: str,
    mapping: Mapping,
    *,
    warehouse_url: str | None = None,
    business_date: date | None = None,
    run_id: str | None = None,
    entities: tuple[str, ...] | None = None,
    full: bool = False,
) -> list[ExtractResult]:
    """Extract each mapped entity changed since its watermark into raw_erp; one batch per entity.

    `full` reads every row whatever the watermark (a re-load of the source): rows merge on their keys, so only
    those that differ from the warehouse are rewritten, and the watermark ends at the newest change read. The
    statistics of the raw tables the loads outdated are refreshed at the end (warehouse.analyze_stale)."""
    source_name = f"erp_db:{mapping.name}"
    engine = sa.create_engine(config.sqlalchemy_url(source_url), pool_pre_ping=True)
    results = []
    try:
        for entity_name in LOAD_ORDER:
            if entity_name not in mapping.entities or (entities and entity_name not in entities):
                continue
            em = mapping.entities[entity_name]
            with load_batch(
                warehouse_url,
                source=source_name,
                entity=entity_name,
                business_date=business_date,
                run_id=run_id,
            ) as batch:
                results.append(_extract_entity(engine, mapping, em, batch, source_name, full=full))
    finally:
        engine.dispose()
    warehouse.analyze_stale(warehouse_url, RAW_ERP_SCHEMAS)
    return results


def _extract_entity(
    engine: sa.Engine,
    mapping: Mapping,
    em: EntityMapping,
    batch: Batch,
    source_name: str,
    *,
    full: bool = False,
) -> ExtractResult:
    row = batch.conn.execute(
        "select watermark from audit.watermarks where source = %s and entity = %s for update",
        (source_name, em.entity),
    ).fetchone()
    watermark_from = row[0] if row and not full else None
    newest: list[datetime] = []

    def records(conn: sa.Connection) -> Iterator[SOURCE_ROW]:
        result = conn.execution_options(stream_results=True, yield_per=FETCH_SIZE).execute(
            sa.text(build_query(mapping, em)), {"watermark": watermark_from or _EPOCH}
        )
        for mapping_row in result.mappings():
            record = dict(mapping_row)
            changed = record.get(UPDATED_AT)
            if isinstance(changed, datetime) and (not newest or changed > newest[0]):
                newest[:] = [changed]
            yield None, record

    # One read-only snapshot, so the watermark matches exactly the rows read.
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as source:
        load = stage_and_merge(batch, ENTITIES[em.entity], records(source), updated_at_key=UPDATED_AT)
        source.rollback()
    watermark_to = newest[0] if newest else watermark_from
    if watermark_to is not None:
        batch.conn.execute(
            """insert into audit.watermarks (source, entity, watermark, batch_id) values (%s, %s, %s, %s)
               on conflict (source, entity) do update
                  set watermark = excluded.watermark, batch_id = excluded.batch_id, updated_at = clock_timestamp()""",
            (source_name, em.entity, watermark_to, batch.batch_id),
        )
    batch.watermark_from, batch.watermark_to = watermark_from, watermark_to
    log.info(
        "%s %s: %d rows read, %d changed, %d rejected (watermark %s -> %s)",
        source_name, em.entity, load.rows_read, load.rows_changed, load.rows_rejected, watermark_from, watermark_to,
    )  # fmt: skip
    return ExtractResult(em.entity, "loaded", watermark_from, watermark_to, load)
