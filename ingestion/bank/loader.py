"""Load bank statement files into raw_bank: one file, one batch, one transaction; each file content once.

Lines are streamed from the parser straight into COPY, so memory stays flat however large the file. A file that
cannot be parsed rolls back whole, is moved to quarantine with a reason file and a row in audit.rejects, and the
other files of the call still load.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingestion import warehouse
from ingestion.bank.detect import detect_format, parse_statement_file
from ingestion.bank.iban import valid_iban
from ingestion.bank.records import StatementLine, StatementParseError, StatementSummary

log = logging.getLogger(__name__)

SOURCE = "bank"
STATEMENT_FILE_SUFFIXES = {".xml", ".sta", ".mt940", ".940", ".txt", ".bai", ".bai2", ".csv", ".stm"}

LINE_COLUMNS = (
    "file_sha256", "statement_index", "line_index", "statement_id", "sequence_number", "account_id",
    "currency_code", "booking_date", "value_date", "amount", "bank_reference", "end_to_end_id",
    "counterparty_name", "counterparty_account", "creditor_reference", "remittance_text",
    "bank_transaction_code", "original_text", "_batch_id",
)  # fmt: skip
STATEMENT_COLUMNS = (
    "file_sha256", "statement_index", "file_format", "statement_id", "sequence_number", "account_id",
    "account_iban", "currency_code", "opening_balance", "opening_balance_date", "closing_balance",
    "closing_balance_date", "statement_date", "line_count", "credit_total", "debit_total", "account_key",
    "_batch_id",
)  # fmt: skip


@dataclass
class BankFileResult(warehouse.FileLoadResult):
    credit_total: Decimal | None = None
    debit_total: Decimal | None = None


def load_files(
    url: str | None,
    paths: Iterable[Path],
    *,
    business_date: date | None = None,
    run_id: str | None = None,
    csv_mapping: str | None = None,
    reload: bool = False,
) -> list[BankFileResult]:
    """Load every statement file under `paths`; `csv_mapping` names the mapping for CSV exports (else detected).
    `reload`: files loaded before are read again too (see load_file), each content once. The statistics of the
    raw tables the loads outdated are refreshed at the end (warehouse.analyze_stale)."""
    results = warehouse.load_delivered(
        paths,
        business_date,
        reload,
        lambda path, again: load_file(
            url, path, business_date=business_date, run_id=run_id, csv_mapping=csv_mapping, reload=again
        ),
    )
    warehouse.analyze_stale(url, ["raw_bank"])
    return results


def load_file(
    url: str | None,
    path: Path,
    *,
    business_date: date | None = None,
    run_id: str | None = None,
    csv_mapping: str | None = None,
    reload: bool = False,
) -> BankFileResult:
    """Parse and load one statement file; never raises for bad content (that is a rejected result).

    `reload` (ar_daily's `reload_source: bank`): a file loaded before is parsed again and its rows replaced, in one
    transaction, by what the current parser reads (after a parser fix, say); not when a later file replaced one
    of its statements (warehouse.reload_refusal)."""
    digest = warehouse.sha256_of(path)
    again, duplicate = warehouse.statement_file_plan(
        url,
        source=SOURCE,
        file_sha256=digest,
        path=path,
        run_id=run_id,
        reload=reload,
        statements_table="raw_bank.statements",
        events_table="audit.statement_events",
    )
    if duplicate is not None:
        log.info("%s: not loaded again: %s", path, duplicate)
        return BankFileResult(path, "duplicate", digest, reason=duplicate)

    with path.open("rb") as handle:
        file_format = detect_format(handle.read(8192))
    try:
        with warehouse.load_batch(
            url, source=SOURCE, entity="statement_lines", business_date=business_date, run_id=run_id
        ) as batch:
            if again:
                warehouse.forget_file_rows(
                    batch.conn, ("raw_bank.statement_lines", "raw_bank.statements"), digest
                )
            result = _load_parsed(batch, path, digest, csv_mapping)
            result.file_format = result.file_format or file_format
            warehouse.register_file(
                batch.conn,
                source=SOURCE,
                path=path,
                file_sha256=digest,
                status="loaded",
                file_format=result.file_format,
                batch_id=batch.batch_id,
                rows_loaded=result.rows,
                control_total_source=batch.control_total_source,
                control_total_target=batch.control_total_target,
            )
    except StatementParseError as exc:
        reason = f"{path.name}: {exc}"
        _reject(url, path, digest, file_format, exc, reason, run_id)
        return BankFileResult(path, "rejected", digest, file_format=file_format, reason=reason)
    warehouse.record_delivery(
        url, source=SOURCE, file_sha256=digest, path=path, outcome="loaded", run_id=run_id
    )
    log.info(
        "%s: loaded %d statement(s), %d line(s) as %s",
        path,
        result.statements,
        result.rows,
        result.file_format,
    )
    return result


def _load_parsed(batch: warehouse.Batch, path: Path, digest: str, csv_mapping: str | None) -> BankFileResult:
    summaries: list[StatementSummary] = []
    source_total = Decimal(0)
    formats: set[str] = set()

    def lines(records: Iterator[StatementLine | StatementSummary]) -> Iterator[tuple[Any, ...]]:
        nonlocal source_total
        for record in records:
            if isinstance(record, StatementSummary):
                summaries.append(record)  # one small object per statement, not per line
                formats.add(record.file_format)
                continue
            source_total += record.amount
            yield (
                digest, record.statement_index, record.line_index, record.statement_id, record.sequence_number,
                record.account_id, record.currency_code, record.booking_date, record.value_date, record.amount,
                record.bank_reference, record.end_to_end_id, record.counterparty_name, record.counterparty_account,
                record.creditor_reference, record.remittance_text, record.bank_transaction_code,
                _clean_text(record.original_text), batch.batch_id,
            )  # fmt: skip

    with batch.conn.cursor() as cur:
        rows = warehouse.copy_rows(
            cur,
            warehouse.qualified("raw_bank", "statement_lines"),
            LINE_COLUMNS,
            lines(parse_statement_file(path, csv_mapping=csv_mapping)),
        )
        if not summaries:
            raise StatementParseError("the file holds no statement")
        placed = [(s, _place_statement(cur, batch.batch_id, digest, s)) for s in summaries]
        kept = [s for s, decision in placed if decision != "duplicate"]
        warehouse.copy_rows(
            cur,
            warehouse.qualified("raw_bank", "statements"),
            STATEMENT_COLUMNS,
            (
                (
                    digest,
                    s.statement_index,
                    s.file_format,
                    s.statement_id,
                    s.sequence_number,
                    s.account_id,
                    _iban_or_none(s.account_id),
                    s.currency_code,
                    s.opening_balance,
                    s.opening_balance_date,
                    s.closing_balance,
                    s.closing_balance_date,
                    s.statement_date,
                    s.line_count,
                    s.credit_total,
                    s.debit_total,
                    account_key(s.account_id),
                    batch.batch_id,
                )  # fmt: skip
                for s in kept
            ),
        )
        # A duplicate statement's lines were copied and taken out again: they count as neither read nor loaded,
        # so the batch's control totals still tie (the duplicate is in audit.statement_events).
        duplicate_summaries = [s for s, decision in placed if decision == "duplicate"]
        rows -= sum(s.line_count for s in duplicate_summaries)
        source_total -= sum((s.credit_total + s.debit_total for s in duplicate_summaries), Decimal(0))
        target = cur.execute(
            "select coalesce(sum(amount), 0) from raw_bank.statement_lines where _batch_id = %s",
            (batch.batch_id,),
        ).fetchone()
    batch.rows_read = batch.rows_loaded = rows
    batch.control_total_source = source_total
    batch.control_total_target = target[0] if target else None
    duplicates = sum(1 for _, decision in placed if decision == "duplicate")
    return BankFileResult(
        path,
        "duplicate" if duplicates == len(placed) else "loaded",
        digest,
        file_format="/".join(sorted(formats)) or None,
        statements=len(kept),
        rows=rows,
        credit_total=sum((s.credit_total for s in kept), Decimal(0)),
        debit_total=sum((s.debit_total for s in kept), Decimal(0)),
        reason=(
            "every statement in it was already loaded from another file (audit.statement_events)"
            if duplicates == len(placed)
            else None
        ),
        batch_id=batch.batch_id,
        statements_duplicate=duplicates,
        statements_replacing=sum(1 for _, decision in placed if decision == "replaced"),
    )


def account_key(account_id: str) -> str:
    """The account as statements are matched across files and formats: compact IBAN, else the id sans spaces."""
    return _iban_or_none(account_id) or account_id.replace(" ", "")


def _place_statement(cur: Any, batch_id: int, digest: str, s: StatementSummary) -> str:
    """Decide whether a statement just read is new, a second delivery of one already loaded, or a correction.

    An end-of-day statement is identified by its account and date, whatever the file or format it came in. The
    same account and date with the same balances and totals is a duplicate: its lines, already copied, are taken
    out again and the earlier statement stands. Different figures make it a correction: it replaces the earlier
    statement, which stays in raw_bank marked not current. Interim reports (MT942) and statements without a date
    are always new, and so are two statements of one format whose sequence numbers differ (intraday statements).
    Returns "new", "duplicate" or "replaced"; duplicates and replacements are recorded in audit.statement_events.
    """
    key, day = account_key(s.account_id), s.statement_date
    if s.file_format == "mt942" or day is None:
        return "new"
    earlier = cur.execute(
        """select file_sha256, statement_index, file_format, sequence_number,
                  opening_balance, closing_balance, line_count, credit_total, debit_total
             from raw_bank.statements
            where account_key = %s and statement_date = %s and is_current and file_format <> 'mt942'
              and file_sha256 <> %s
              for update""",
        (key, day, digest),
    ).fetchall()
    earlier = [
        e for e in earlier
        if not (e[2] == s.file_format and e[3] and s.sequence_number and e[3] != s.sequence_number)
    ]  # fmt: skip
    if not earlier:
        return "new"
    figures = (s.opening_balance, s.closing_balance, s.line_count, s.credit_total, s.debit_total)
    same = next((e for e in earlier if tuple(e[4:]) == figures), None)
    if same is not None:
        cur.execute(
            "delete from raw_bank.statement_lines where file_sha256 = %s and statement_index = %s",
            (digest, s.statement_index),
        )
        _statement_event(cur, batch_id, digest, s, key, "duplicate", same[0], same[1],
                         f"same account, date, balances and totals as statement {same[1]} of file {same[0][:12]}")  # fmt: skip
        return "duplicate"
    for e in earlier:
        cur.execute(
            """update raw_bank.statements
                  set is_current = false, superseded_by_sha256 = %s, superseded_by_index = %s,
                      superseded_at = clock_timestamp()
                where file_sha256 = %s and statement_index = %s""",
            (digest, s.statement_index, e[0], e[1]),
        )
        _statement_event(
            cur, batch_id, digest, s, key, "replaced", e[0], e[1],
            f"corrected statement: closing balance {e[5]} -> {s.closing_balance}, lines {e[6]} -> {s.line_count}, "
            f"credits {e[7]} -> {s.credit_total}, debits {e[8]} -> {s.debit_total}",
        )  # fmt: skip
    return "replaced"


def _statement_event(
    cur: Any, batch_id: int, digest: str, s: StatementSummary, key: str, event: str,
    earlier_sha: str, earlier_index: int, reason: str,
) -> None:  # fmt: skip
    log.info("statement %s of %s (%s, %s): %s", s.statement_index, digest[:12], key, s.statement_date, reason)
    cur.execute(
        """insert into audit.statement_events
               (batch_id, file_sha256, statement_index, account_key, statement_date, event,
                earlier_file_sha256, earlier_statement_index, reason)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            batch_id,
            digest,
            s.statement_index,
            key,
            s.statement_date,
            event,
            earlier_sha,
            earlier_index,
            reason,
        ),
    )


def _iban_or_none(account_id: str) -> str | None:
    compact = account_id.replace(" ", "").upper()
    return compact if valid_iban(compact) else None


def _clean_text(text: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; banks' files sometimes do.
    return text.replace("\x00", "") if text else text


def _reject(
    url: str | None,
    path: Path,
    digest: str,
    file_format: str | None,
    exc: StatementParseError,
    reason: str,
    run_id: str | None,
) -> None:
    problem = warehouse.Reject(
        reason=exc.reason, line_number=exc.line, field=exc.field, record_ref=exc.record
    )
    warehouse.reject_file(
        url, source=SOURCE, entity="statement_lines", path=path, file_sha256=digest, file_format=file_format,
        rejects=[problem], reason=reason, run_id=run_id,
    )  # fmt: skip
