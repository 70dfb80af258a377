"""Load bank statement files into raw_bank: one file, one batch, one transaction; each file content once.

Lines are streamed from the parser straight into COPY, so memory stays flat however large the file. A file that
cannot be parsed rolls back whole, is moved to quarantine with a reason file and a row in audit.rejects, and the
other files of the call still load.
"""

from __future__ import annotations

import logging
import re
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
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
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
    "closing_balance_date", "statement_date", "line_count", "credit_total", "debit_total", "_batch_id",
)  # fmt: skip


@dataclass
class BankFileResult:
    path: Path
    status: str  # loaded, duplicate, rejected
    file_sha256: str
    file_format: str | None = None
    statements: int = 0
    rows: int = 0
    credit_total: Decimal | None = None
    debit_total: Decimal | None = None
    reason: str | None = None
    batch_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "status": self.status,
            "sha256": self.file_sha256,
            "format": self.file_format,
            "statements": self.statements,
            "rows": self.rows,
            "credit_total": self.credit_total,
            "debit_total": self.debit_total,
            "reason": self.reason,
            "batch_id": self.batch_id,
        }


def statement_files(paths: Iterable[Path], *, business_date: date | None = None) -> list[Path]:
    """The statement files named by `paths` (files or folders, recursively), in a stable order.

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


def load_files(
    url: str | None, paths: Iterable[Path], *, business_date: date | None = None, run_id: str | None = None
) -> list[BankFileResult]:
    return [
        load_file(url, path, business_date=business_date, run_id=run_id)
        for path in statement_files(paths, business_date=business_date)
    ]


def load_file(
    url: str | None, path: Path, *, business_date: date | None = None, run_id: str | None = None
) -> BankFileResult:
    """Parse and load one statement file; never raises for bad content (that is a rejected result)."""
    digest = warehouse.sha256_of(path)
    duplicate = warehouse.duplicate_of(url, source=SOURCE, file_sha256=digest, path=path, run_id=run_id)
    if duplicate is not None:
        log.info("%s: not loaded again: %s", path, duplicate)
        return BankFileResult(path, "duplicate", digest, reason=duplicate)

    with path.open("rb") as handle:
        file_format = detect_format(handle.read(8192))
    try:
        with warehouse.load_batch(
            url, source=SOURCE, entity="statement_lines", business_date=business_date, run_id=run_id
        ) as batch:
            result = _load_parsed(batch, path, digest)
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


def _load_parsed(batch: warehouse.Batch, path: Path, digest: str) -> BankFileResult:
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
            lines(parse_statement_file(path)),
        )
        if not summaries:
            raise StatementParseError("the file holds no statement")
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
                    batch.batch_id,
                )  # fmt: skip
                for s in summaries
            ),
        )
        target = cur.execute(
            "select coalesce(sum(amount), 0) from raw_bank.statement_lines where _batch_id = %s",
            (batch.batch_id,),
        ).fetchone()
    batch.rows_read = batch.rows_loaded = rows
    batch.control_total_source = source_total
    batch.control_total_target = target[0] if target else None
    return BankFileResult(
        path,
        "loaded",
        digest,
        file_format="/".join(sorted(formats)) or None,
        statements=len(summaries),
        rows=rows,
        credit_total=sum((s.credit_total for s in summaries), Decimal(0)),
        debit_total=sum((s.debit_total for s in summaries), Decimal(0)),
        batch_id=batch.batch_id,
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
    log.error("rejected %s: %s", path, reason)
    with warehouse.connect(url) as conn:
        conn.execute(
            """insert into audit.rejects (source, entity, file_name, file_sha256, line_number, record_ref, field, reason)
               values (%s, 'statement_lines', %s, %s, %s, %s, %s, %s)""",
            (SOURCE, path.name, digest, exc.line, exc.record, exc.field, exc.reason),
        )
        warehouse.register_file(
            conn, source=SOURCE, path=path, file_sha256=digest, status="rejected", file_format=file_format,
            batch_id=None, reason=reason,
        )  # fmt: skip
        conn.commit()
    warehouse.quarantine(path, SOURCE, reason)
    warehouse.record_delivery(
        url, source=SOURCE, file_sha256=digest, path=path, outcome="rejected", reason=reason, run_id=run_id
    )
