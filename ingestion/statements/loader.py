"""Load customer statement files into raw_statements: one file, one batch, one transaction; each content once.

A file is read and checked whole first (ingestion.statements.reader). A file with any bad row is rejected whole:
moved to quarantine beside a reason file that lists every bad row, one row per problem in audit.rejects (file,
line, field, reason), and nothing of it loaded; the other files of the call still load. After a fix it can be
delivered again (a new content, so a new sha256).

Identity: a statement is (customer_id, statement_date). The same statement again with the same lines, in whatever
file or layout, is a duplicate and is not loaded twice; with different lines it is a correction that replaces the
earlier one, which stays in raw_statements.statements with is_current = false. Both are recorded in
audit.customer_statement_events.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingestion import warehouse
from ingestion.statements.reader import (
    StatementFileError,
    StatementItemRow,
    StatementMapping,
    read_statement_file,
)

log = logging.getLogger(__name__)

SOURCE = "statements"
ENTITY = "statement_items"
ITEM_COLUMNS = (
    "file_sha256", "line_number", "customer_id", "statement_date", "document_ref", "document_type",
    "document_date", "amount", "currency_code", "_batch_id",
)  # fmt: skip
STATEMENT_COLUMNS = (
    "file_sha256", "customer_id", "statement_date", "file_format", "mapping_name", "line_count",
    "balance_amount", "content_sha256", "_batch_id",
)  # fmt: skip


@dataclass
class StatementFileResult(warehouse.FileLoadResult):
    mapping: str | None = None  # the layout the file was read with
    amount_total: Decimal | None = None  # the sum of the lines loaded


def load_files(
    url: str | None,
    paths: Iterable[Path],
    *,
    business_date: date | None = None,
    run_id: str | None = None,
    mapping: StatementMapping | str | None = None,
    reload: bool = False,
) -> list[StatementFileResult]:
    """Load every statement file under `paths` (files or folders; YYYY-MM-DD folders after business_date are
    left for their day); `mapping` names the layout, else each file's header picks it. `reload`: files loaded
    before are read again too (see load_file), each content once. The statistics of the raw tables the loads
    outdated are refreshed at the end (warehouse.analyze_stale)."""
    results = warehouse.load_delivered(
        paths,
        business_date,
        reload,
        lambda path, again: load_file(
            url, path, business_date=business_date, run_id=run_id, mapping=mapping, reload=again
        ),
    )
    warehouse.analyze_stale(url, ["raw_statements"])
    return results


def load_file(
    url: str | None,
    path: Path,
    *,
    business_date: date | None = None,
    run_id: str | None = None,
    mapping: StatementMapping | str | None = None,
    reload: bool = False,
) -> StatementFileResult:
    """Read, check and load one statement file; never raises for bad content (that is a rejected result).

    `reload` (ar_daily's `reload_source: statements`): a file loaded before is read again and its rows replaced,
    in one transaction; not when a later file replaced one of its statements (warehouse.reload_refusal)."""
    digest = warehouse.sha256_of(path)
    again, duplicate = warehouse.statement_file_plan(
        url,
        source=SOURCE,
        file_sha256=digest,
        path=path,
        run_id=run_id,
        reload=reload,
        statements_table="raw_statements.statements",
        events_table="audit.customer_statement_events",
    )
    if duplicate is not None:
        log.info("%s: not loaded again: %s", path, duplicate)
        return StatementFileResult(path, "duplicate", digest, reason=duplicate)
    try:
        statement_file = read_statement_file(path, mapping=mapping)
    except StatementFileError as exc:
        return _reject(url, path, digest, exc, run_id)

    with warehouse.load_batch(
        url, source=SOURCE, entity=ENTITY, business_date=business_date, run_id=run_id
    ) as batch:
        if again:
            warehouse.forget_file_rows(
                batch.conn, ("raw_statements.statement_items", "raw_statements.statements"), digest
            )
        result = _load(batch, digest, statement_file.rows, statement_file.statements(),
                       statement_file.file_format, statement_file.mapping.name, path)  # fmt: skip
        warehouse.register_file(
            batch.conn,
            source=SOURCE,
            path=path,
            file_sha256=digest,
            status="loaded",
            file_format=statement_file.file_format,
            batch_id=batch.batch_id,
            rows_loaded=result.rows,
            control_total_source=batch.control_total_source,
            control_total_target=batch.control_total_target,
        )
    warehouse.record_delivery(
        url, source=SOURCE, file_sha256=digest, path=path, outcome="loaded", run_id=run_id
    )
    log.info(
        "%s: %d statement(s) loaded (%d line(s)), %d duplicate(s), %d replacing an earlier one; mapping %s",
        path,
        result.statements,
        result.rows,
        result.statements_duplicate,
        result.statements_replacing,
        result.mapping,
    )
    return result


def _load(
    batch: warehouse.Batch,
    digest: str,
    rows: list[StatementItemRow],
    statements: dict[tuple[str, date], list[StatementItemRow]],
    file_format: str,
    mapping_name: str,
    path: Path,
) -> StatementFileResult:
    placed: dict[tuple[str, date], str] = {}
    with batch.conn.cursor() as cur:
        for key, lines in statements.items():
            placed[key] = _place_statement(cur, batch.batch_id, digest, key, _content_sha256(lines))
        kept = {key: lines for key, lines in statements.items() if placed[key] != "duplicate"}
        loaded_rows = [row for lines in kept.values() for row in lines]
        warehouse.copy_rows(
            cur,
            warehouse.qualified("raw_statements", "statement_items"),
            ITEM_COLUMNS,
            (
                (
                    digest,
                    r.line_number,
                    r.customer_id,
                    r.statement_date,
                    r.document_ref,
                    r.document_type,
                    r.document_date,
                    r.amount,
                    r.currency_code,
                    batch.batch_id,
                )  # fmt: skip
                for r in loaded_rows
            ),
        )
        warehouse.copy_rows(
            cur,
            warehouse.qualified("raw_statements", "statements"),
            STATEMENT_COLUMNS,
            (
                (
                    digest,
                    customer_id,
                    statement_date,
                    file_format,
                    mapping_name,
                    len(lines),
                    sum((r.amount for r in lines), Decimal(0)),
                    _content_sha256(lines),
                    batch.batch_id,
                )  # fmt: skip
                for (customer_id, statement_date), lines in kept.items()
            ),
        )
        target = cur.execute(
            "select coalesce(sum(amount), 0) from raw_statements.statement_items where _batch_id = %s",
            (batch.batch_id,),
        ).fetchone()
    # Lines of a duplicate statement are neither read into the batch nor loaded: they are in the earlier batch.
    batch.rows_read = batch.rows_loaded = len(loaded_rows)
    batch.control_total_source = sum((r.amount for r in loaded_rows), Decimal(0))
    batch.control_total_target = target[0] if target else None
    duplicates = sum(1 for decision in placed.values() if decision == "duplicate")
    return StatementFileResult(
        path,
        "duplicate" if duplicates == len(placed) else "loaded",
        digest,
        file_format=file_format,
        mapping=mapping_name,
        statements=len(kept),
        rows=len(loaded_rows),
        amount_total=batch.control_total_source,
        reason=(
            "every statement in it was already loaded from another file (audit.customer_statement_events)"
            if duplicates == len(placed)
            else None
        ),
        batch_id=batch.batch_id,
        statements_duplicate=duplicates,
        statements_replacing=sum(1 for decision in placed.values() if decision == "replaced"),
    )


def _content_sha256(lines: list[StatementItemRow]) -> str:
    """The statement's lines in canonical form and order: equal for a resend in another file or layout."""
    canonical = sorted(
        "\x1f".join(
            (
                r.document_ref,
                r.document_type,
                r.document_date.isoformat() if r.document_date else "",
                str(r.amount),
                r.currency_code or "",
            )  # fmt: skip
        )
        for r in lines
    )
    return hashlib.sha256("\x1e".join(canonical).encode()).hexdigest()


def _place_statement(cur: Any, batch_id: int, digest: str, key: tuple[str, date], content: str) -> str:
    """ "new", "duplicate" (same customer, date and lines as a current statement) or "replaced" (a correction)."""
    customer_id, statement_date = key
    earlier = cur.execute(
        """select file_sha256, content_sha256, line_count, balance_amount
             from raw_statements.statements
            where customer_id = %s and statement_date = %s and is_current and file_sha256 <> %s
              for update""",
        (customer_id, statement_date, digest),
    ).fetchall()
    if not earlier:
        return "new"
    same = next((e for e in earlier if e[1] == content), None)
    if same is not None:
        _event(cur, batch_id, digest, key, "duplicate", same[0],
               f"same customer, date and lines as the statement in file {same[0][:12]}")  # fmt: skip
        return "duplicate"
    for e in earlier:
        cur.execute(
            """update raw_statements.statements
                  set is_current = false, superseded_by_sha256 = %s, superseded_at = clock_timestamp()
                where file_sha256 = %s and customer_id = %s and statement_date = %s""",
            (digest, e[0], customer_id, statement_date),
        )
        _event(cur, batch_id, digest, key, "replaced", e[0],
               f"corrected statement replaces file {e[0][:12]}: {e[2]} line(s), balance {e[3]} before")  # fmt: skip
    return "replaced"


def _event(
    cur: Any, batch_id: int, digest: str, key: tuple[str, date], event: str, earlier: str, reason: str
) -> None:
    log.info("statement of %s on %s in %s: %s", key[0], key[1], digest[:12], reason)
    cur.execute(
        """insert into audit.customer_statement_events
               (batch_id, file_sha256, customer_id, statement_date, event, earlier_file_sha256, reason)
           values (%s, %s, %s, %s, %s, %s, %s)""",
        (batch_id, digest, key[0], key[1], event, earlier, reason),
    )


def _reject(
    url: str | None, path: Path, digest: str, exc: StatementFileError, run_id: str | None
) -> StatementFileResult:
    reason = f"{path.name}: {exc}"
    problems = [warehouse.Reject(reason=e.reason, line_number=e.line, field=e.field) for e in exc.errors]
    warehouse.reject_file(
        url, source=SOURCE, entity=ENTITY, path=path, file_sha256=digest, file_format=None, rejects=problems,
        reason=reason, run_id=run_id,
    )  # fmt: skip
    return StatementFileResult(path, "rejected", digest, reason=reason)
