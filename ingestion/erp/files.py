"""ERP extracts as canonical CSV files: one file per entity (customers.csv, invoices.csv, ...).

`read_extract` is a pure generator over a CSV file (header row, ISO dates, plain decimals); `load_extract_dir`
loads the files of a folder in dependency order, each as one batch, each file once (by sha256).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ingestion import warehouse
from ingestion.erp.entities import ENTITIES, LOAD_ORDER, Entity
from ingestion.erp.fast_csv import copy_extract
from ingestion.erp.loader import RAW_ERP_SCHEMAS, SOURCE_ROW, EntityLoadResult, stage_and_merge
from ingestion.erp.records import MALFORMED

log = logging.getLogger(__name__)

SOURCE = "erp_files"
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ExtractFileError(ValueError):
    """The file as a whole cannot be read as the entity's extract (header, encoding)."""


def read_extract(entity: Entity, stream: io.TextIOBase | Any, *, file_name: str = "") -> Iterator[SOURCE_ROW]:
    """Yield (line number, record) for each data row; raise ExtractFileError for a bad header.

    Line numbers are physical lines (the header is line 1), so a reject points at the line an editor shows.
    """
    reader = csv.reader(stream)
    header = _header(entity, reader, file_name)
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        if len(row) != len(header):
            # Hand the coercion a record it will reject with a clear reason, rather than guessing columns.
            yield (
                line,
                {
                    MALFORMED: f"expected {len(header)} fields, found {len(row)}",
                    **dict(zip(header, row, strict=False)),
                },
            )
            continue
        yield line, dict(zip(header, row, strict=True))


def _header(entity: Entity, reader: Iterator[list[str]], file_name: str) -> list[str]:
    """The header row's column names (lower case); raises ExtractFileError for a missing header or column."""
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ExtractFileError(f"{file_name}: the file is empty (no header row)") from None
    missing = [c.name for c in entity.columns if c.required and c.name not in header]
    if missing:
        raise ExtractFileError(f"{file_name}: line 1: header lacks required column(s) {', '.join(missing)}")
    unknown = [h for h in header if h not in entity.column_names]
    if unknown:
        log.warning("%s: ignoring unknown column(s) %s", file_name, ", ".join(unknown))
    return header


@dataclass
class FileLoadResult:
    path: Path
    entity: str
    status: str  # loaded, duplicate, rejected
    file_sha256: str
    rows: int = 0
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # EntityLoadResult.seconds, plus the whole file's

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "entity": self.entity,
            "status": self.status,
            "sha256": self.file_sha256,
            "rows": self.rows,
            "reason": self.reason,
            **self.detail,
        }


def load_extract_file(
    url: str | None,
    entity: Entity,
    path: Path,
    *,
    business_date: date | None = None,
    run_id: str | None = None,
    reload: bool = False,
) -> FileLoadResult:
    """Load one extract file as one batch; a file already loaded (same sha256) is a duplicate and loads nothing,
    unless `reload` (a re-load of the source): then it is read and merged again like a new file."""
    digest = warehouse.sha256_of(path)
    duplicate = (
        None
        if reload
        else warehouse.duplicate_of(url, source=SOURCE, file_sha256=digest, path=path, run_id=run_id)
    )
    if duplicate is not None:
        return FileLoadResult(path, entity.name, "duplicate", digest, reason=duplicate)
    started = time.perf_counter()
    try:
        with warehouse.load_batch(
            url, source=SOURCE, entity=entity.name, business_date=business_date, run_id=run_id
        ) as batch:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                header = _header(entity, csv.reader(handle), path.name)
                handle.seek(0)
                result: EntityLoadResult = stage_and_merge(
                    batch,
                    entity,
                    read_extract(entity, handle, file_name=path.name),
                    file_name=path.name,
                    file_sha256=digest,
                    # PostgreSQL parses and types the file; Python reads it only when the server cannot.
                    fast=lambda stage: copy_extract(batch, entity, path, stage, header),
                )
            warehouse.register_file(
                batch.conn,
                source=SOURCE,
                path=path,
                file_sha256=digest,
                status="loaded",
                file_format="csv",
                batch_id=batch.batch_id,
                rows_loaded=result.rows_loaded,
                control_total_source=result.control_total_source,
                control_total_target=result.control_total_target,
            )
    except (ExtractFileError, UnicodeDecodeError, csv.Error) as exc:
        reason = (
            str(exc)
            if isinstance(exc, ExtractFileError)
            else f"{path.name}: cannot be read as UTF-8 CSV: {exc}"
        )
        _reject_file(url, path, digest, entity, reason, run_id)
        return FileLoadResult(path, entity.name, "rejected", digest, reason=reason)
    warehouse.record_delivery(
        url, source=SOURCE, file_sha256=digest, path=path, outcome="loaded", run_id=run_id
    )
    return FileLoadResult(
        path,
        entity.name,
        "loaded",
        digest,
        rows=result.rows_loaded,
        reason=(
            f"{result.rows_rejected} record(s) rejected, see audit.rejects" if result.rows_rejected else None
        ),
        detail=result.as_dict(),
        seconds={**result.seconds, "file": time.perf_counter() - started},
    )


def _reject_file(
    url: str | None, path: Path, digest: str, entity: Entity, reason: str, run_id: str | None
) -> None:
    log.error("rejected %s: %s", path, reason)
    with warehouse.connect(url) as conn:
        conn.execute(
            """insert into audit.rejects (source, entity, file_name, file_sha256, line_number, reason)
               values (%s, %s, %s, %s, %s, %s)""",
            (SOURCE, entity.name, path.name, digest, None, reason),
        )
        warehouse.register_file(
            conn, source=SOURCE, path=path, file_sha256=digest, status="rejected", file_format="csv",
            batch_id=None, reason=reason,
        )  # fmt: skip
        conn.commit()
    warehouse.quarantine(path, SOURCE, reason)
    warehouse.record_delivery(
        url, source=SOURCE, file_sha256=digest, path=path, outcome="rejected", reason=reason, run_id=run_id
    )


def extract_dirs(root: Path, *, through: date | None = None) -> list[Path]:
    """The folders holding extracts under `root`: root itself, or its YYYY-MM-DD subfolders up to `through`."""
    if any((root / f"{name}.csv").exists() for name in LOAD_ORDER):
        return [root]
    days = (
        sorted(p for p in root.iterdir() if p.is_dir() and _DATE_DIR.match(p.name)) if root.is_dir() else []
    )
    if through is not None:
        days = [p for p in days if date.fromisoformat(p.name) <= through]
    return days


def load_extract_dir(
    url: str | None,
    root: Path,
    *,
    through: date | None = None,
    run_id: str | None = None,
    reload: bool = False,
) -> list[FileLoadResult]:
    """Load every entity file found in `root` (or its dated subfolders, oldest first), in dependency order;
    `reload` reads the files loaded before again too (see load_extract_file). The statistics of the raw tables
    the loads outdated are refreshed at the end (warehouse.analyze_stale)."""
    results = []
    for folder in extract_dirs(root, through=through):
        business_date = date.fromisoformat(folder.name) if _DATE_DIR.match(folder.name) else None
        for name in LOAD_ORDER:
            path = folder / f"{name}.csv"
            if path.exists():
                results.append(
                    load_extract_file(
                        url, ENTITIES[name], path, business_date=business_date, run_id=run_id, reload=reload
                    )
                )
    warehouse.analyze_stale(url, RAW_ERP_SCHEMAS)
    return results
