"""Runs the simulation day by day and streams each day into every output: the demo ERP database, the daily ERP
extracts, the bank statement files and the customer statements; then writes the manifest and source.json."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ingestion.config import warehouse_url
from ingestion.generate.anomalies import (
    DUPLICATE_BANK_FILE,
    WRITE_OFF_WITHOUT_APPROVER,
    AnomalyLog,
    AnomalyPlan,
)
from ingestion.generate.bank import Bank, BankStatement
from ingestion.generate.bank_files import sha256_of, write_statement_file
from ingestion.generate.company import Company
from ingestion.generate.customer_statements import CustomerStatementWriter
from ingestion.generate.erp_db import ErpDatabaseWriter, ErpTarget, prepare_erp_database
from ingestion.generate.erp_files import ErpFileWriter
from ingestion.generate.manifest import BankTotals, ErpTotals, account_json, generated_json, write_json
from ingestion.generate.params import (
    ERP_MODES,
    HISTORY_DAYS,
    TAIL_DAYS,
    Params,
    is_business_day,
    next_business_day,
    statement_dates,
)

log = logging.getLogger(__name__)

ERP_DIR = "erp"
BANK_DIR = "bank"
STATEMENTS_DIR = "statements"
MANIFEST = "manifest.json"
SOURCE = "source.json"
ERP_MAPPING = "demo_erp"


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    """What `generate` wrote. Counts are of ERP documents (history included), bank files on disk (the duplicate
    included), customer statement files and planted anomalies (manifest entries)."""

    customers: int
    invoices: int
    credit_notes: int
    payments: int
    write_offs: int
    bank_files: int
    statement_files: int
    anomalies: int
    landing: Path
    manifest_path: Path
    source_path: Path
    bank_dir: Path
    statements_dir: Path
    erp_files_dir: Path | None  # set for erp_mode files and both
    erp_url: str | None  # libpq URL of the demo ERP database, for erp_mode db and both
    erp_schema: str | None


def _clear_outputs(landing: Path) -> None:
    # Only what this generator owns, so that a re-run leaves no file of an earlier, different run behind.
    for name in (ERP_DIR, BANK_DIR, STATEMENTS_DIR):
        path = landing / name
        if path.is_dir():
            shutil.rmtree(path)
    for name in (MANIFEST, SOURCE):
        (landing / name).unlink(missing_ok=True)


def generate(
    *,
    seed: int,
    scale: float,
    start: date,
    days: int,
    landing: Path,
    erp_url: str | None = None,
    erp_mode: str = "db",
    history_days: int = HISTORY_DAYS,
    bank_history_days: int = 0,
) -> GenerationSummary:
    """Simulate `days` days of a company selling on credit from `start`, and write the sources the warehouse reads.

    scale 1 is 10,000 customers and about 1,370 invoices a day; the same seed, scale, start and days give the same
    files byte for byte and the same database rows. erp_mode: "db" writes the demo ERP database (at `erp_url`, else
    `<warehouse database>_erp_demo` on the warehouse's server), "files" the daily CSV extracts under
    landing/erp/, "both" both. Bank statements, customer statements, manifest.json and source.json are always
    written. Replaces landing/{erp,bank,statements} and the demo ERP schema. history_days: how many days of full
    trading come before `start` (delivered with the first day). bank_history_days: how many of those days have bank
    statements too (0: the bank's statements start on `start`).
    """
    if erp_mode not in ERP_MODES:
        raise ValueError(f"erp_mode must be one of {', '.join(ERP_MODES)}, got {erp_mode!r}")
    params = Params(
        seed=seed, scale=scale, start=start, days=days, history_days=history_days,
        bank_history_days=bank_history_days,
    )  # fmt: skip
    landing = Path(landing)
    landing.mkdir(parents=True, exist_ok=True)
    _clear_outputs(landing)
    log.info(
        "generating %d days from %s at scale %s (seed %d), %d customers, ~%.0f invoices a day",
        days,
        start,
        scale,
        seed,
        params.customer_count,
        params.invoices_per_day,
    )

    plan = AnomalyPlan.for_params(params)
    anomalies = AnomalyLog()
    company = Company(params, plan, anomalies)
    bank = Bank(params, {cid: company.customer(cid) for cid in company.customer_ids()}, anomalies)

    target: ErpTarget | None = None
    db_writer: ErpDatabaseWriter | None = None
    if erp_mode in ("db", "both"):
        target = prepare_erp_database(erp_url, warehouse_url())
        db_writer = ErpDatabaseWriter(target)
    file_writer = ErpFileWriter(landing / ERP_DIR, params.start) if erp_mode in ("files", "both") else None
    statement_writer = CustomerStatementWriter(landing / STATEMENTS_DIR, seed, anomalies)
    statement_days = set(statement_dates(params.start, params.end))
    erp_totals = ErpTotals()
    bank_totals = BankTotals()
    bank_files = 0

    try:
        for batch in company.run():
            erp_totals.add(batch, params.start)
            if db_writer is not None:
                db_writer.write(batch)
            if file_writer is not None:
                file_writer.write(batch)
            for write_off in batch.write_offs:
                if write_off.approved_by is None:
                    anomalies.add(
                        WRITE_OFF_WITHOUT_APPROVER,
                        write_off.write_off_date,
                        write_off_id=write_off.write_off_id,
                        invoice_id=write_off.invoice_id,
                        customer_id=write_off.customer_id,
                        amount=write_off.amount,
                    )
            bank.take(batch)
            for statement in bank.close_day(batch.day):
                bank_files += _write_bank_file(
                    statement, landing, plan.duplicate_bank_file_on, params, bank_totals, anomalies
                )
            if batch.day in statement_days:
                statement_writer.write(batch.day, company.statement_items(batch.day))
        if file_writer is not None:
            file_writer.close()
        if db_writer is not None:
            db_writer.close()
    except BaseException:
        if file_writer is not None:
            file_writer.close()
        if db_writer is not None:
            db_writer.abort()
        raise

    manifest = {
        "generator": "ingestion.generate",
        "generated": generated_json(params),
        "period": {
            "first_day": params.start.isoformat(),
            "last_day": params.last_day.isoformat(),
            "history_from": params.history_start.isoformat(),
            "history_days": params.history_days,
            "tail_from": params.tail_start.isoformat(),
            "tail_days": TAIL_DAYS,
            "customer_statement_dates": [d.isoformat() for d in sorted(statement_days)],
        },
        "layout": {
            "erp_files": f"{ERP_DIR}/<YYYY-MM-DD>/<entity>.csv" if file_writer is not None else None,
            "erp_database": {"schema": target.schema, "mapping": ERP_MAPPING} if target is not None else None,
            "bank": f"{BANK_DIR}/<YYYY-MM-DD>/camt053_<IBAN>_<yyyymmdd>.xml | mt940_<account>_<yyyymmdd>.sta",
            "statements": f"{STATEMENTS_DIR}/<YYYY-MM-DD>/customer_statements_<yyyymmdd>.csv",
        },
        "bank_accounts": [account_json(account) for account in bank.accounts],
        "expected": {
            "erp": erp_totals.as_json(),
            "erp_files_rows": dict(file_writer.rows) if file_writer is not None else None,
            "bank": {
                "files_on_disk": bank_files,
                "distinct_files": len(bank_totals.files),
                "accounts": bank_totals.as_json(bank.accounts),
                "erp_payments_booked_before_first_statement": {
                    "count": bank.before_bank_history.count,
                    "amount": str(bank.before_bank_history.amount),
                },
                "erp_payments_in_transit_at_end": {
                    "count": bank.in_transit_at_end.count,
                    "amount": str(bank.in_transit_at_end.amount),
                },
            },
            "customer_statements": {
                "files": statement_writer.files,
                "lines": statement_writer.lines,
                "customers": len(company.statement_customers()),
            },
        },
        "anomalies": anomalies.entries,
    }
    manifest_path = landing / MANIFEST
    write_json(manifest_path, manifest)

    if target is not None:
        erp_source = {"kind": "database", "url": target.url, "schema": target.schema, "mapping": ERP_MAPPING}
        if file_writer is not None:
            erp_source["files_path"] = ERP_DIR
    else:
        erp_source = {"kind": "files", "path": ERP_DIR}
    source_path = landing / SOURCE
    write_json(source_path, {"erp": erp_source, "generated": generated_json(params)})

    summary = GenerationSummary(
        customers=erp_totals.customers,
        invoices=erp_totals.count("invoices"),
        credit_notes=erp_totals.count("credit_notes"),
        payments=erp_totals.count("payments"),
        write_offs=erp_totals.count("write_offs"),
        bank_files=bank_files,
        statement_files=statement_writer.files,
        anomalies=len(anomalies.entries),
        landing=landing,
        manifest_path=manifest_path,
        source_path=source_path,
        bank_dir=landing / BANK_DIR,
        statements_dir=landing / STATEMENTS_DIR,
        erp_files_dir=landing / ERP_DIR if file_writer is not None else None,
        erp_url=target.url if target is not None else None,
        erp_schema=target.schema if target is not None else None,
    )
    log.info(
        "generated %d customers, %d invoices, %d payments, %d bank files, %d statement files, %d anomalies",
        summary.customers,
        summary.invoices,
        summary.payments,
        summary.bank_files,
        summary.statement_files,
        summary.anomalies,
    )
    return summary


def _write_bank_file(
    statement: BankStatement,
    landing: Path,
    duplicate_on: tuple[date, ...],
    params: Params,
    totals: BankTotals,
    anomalies: AnomalyLog,
) -> int:
    """Write one statement file (and, on the planned day, its duplicate); returns the number of files written."""
    day = statement.statement_date
    path = write_statement_file(statement, landing / BANK_DIR / day.isoformat())
    totals.add(statement, path.relative_to(landing).as_posix())
    if day not in duplicate_on or statement.account.file_format != "camt053":
        return 1
    # The bank sends the file again the next business day under another name: same bytes, same statement.
    next_day = next_business_day(day + timedelta(days=1))
    folder_day = next_day if next_day < params.end and is_business_day(next_day) else day
    copy = landing / BANK_DIR / folder_day.isoformat() / f"{path.stem}_redelivered{path.suffix}"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, copy)
    anomalies.add(
        DUPLICATE_BANK_FILE,
        folder_day,
        original_path=path.relative_to(landing).as_posix(),
        duplicate_path=copy.relative_to(landing).as_posix(),
        sha256=sha256_of(path),
        account_id=statement.account.account_id,
        statement_date=day,
    )
    return 2
