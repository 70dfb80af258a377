"""The reconciliation is kept per run, append-only: what a run reported can be shown after the data changed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg
import pytest

from ingestion import pipeline, warehouse
from ingestion.warehouse import init_warehouse

pytestmark = pytest.mark.integration

ROW = (
    "C1", date(2026, 3, 31), "INV-1", "INV-1", "invoice", "EUR", Decimal("100.00"), Decimal("90.00"),
    Decimal("-10.00"), "AMOUNT_MISMATCH", True, date(2026, 3, 1), date(2026, 3, 1), None, "abc", "2",
)  # fmt: skip


BANK_ROW = (
    "erp:P6", None, None, None, None, None, None, "P6", "C-B", date(2026, 3, 2), Decimal("40.00"), "EUR", None, None,
    Decimal("-40.00"), "NOT_BANKED", True, "erp:P6", 1, "E2E-6", False,
)  # fmt: skip


def _set_bank_mart(url: str, rows: list[tuple[object, ...]]) -> None:
    columns = ", ".join(pipeline.BANK_RESULT_COLUMNS)
    with warehouse.connect(url) as conn:
        conn.execute("drop table if exists marts.fct_bank_reconciliation")
        conn.execute(
            """create table marts.fct_bank_reconciliation (
                   reconciliation_key text, bank_line_key text, bank_file_sha256 text, bank_account_id text,
                   bank_booking_date date, bank_amount numeric(18,2), bank_end_to_end_id text, payment_id text,
                   customer_id text, payment_date date, payment_amount numeric(18,2), currency_code text,
                   match_rule text, match_confidence numeric(3,2), difference_amount numeric(18,2), status text,
                   is_unexplained boolean, match_group_key text, match_group_size integer,
                   payment_reference text, is_settled boolean)"""
        )
        with conn.cursor() as cur:
            cur.executemany(
                f"insert into marts.fct_bank_reconciliation ({columns}) values ({', '.join(['%s'] * len(pipeline.BANK_RESULT_COLUMNS))})",
                rows,
            )
        conn.commit()


def _set_mart(url: str, rows: list[tuple[object, ...]]) -> None:
    """Stand-ins for the dbt-built marts with the same columns (the DAG test covers the real build)."""
    _set_bank_mart(url, [BANK_ROW])
    columns = ", ".join(pipeline.RESULT_COLUMNS)
    with warehouse.connect(url) as conn:
        conn.execute("drop table if exists marts.fct_statement_reconciliation")
        conn.execute(
            """create table marts.fct_statement_reconciliation (
                   customer_id text, statement_date date, document_key text, document_ref text, document_type text,
                   currency_code text, ledger_amount numeric(18,2), statement_amount numeric(18,2),
                   difference_amount numeric(18,2), status text, is_unexplained boolean, ledger_document_date date,
                   statement_document_date date, later_ledger_date date, statement_file_sha256 text,
                   statement_line_numbers text)"""
        )
        with conn.cursor() as cur:
            cur.executemany(
                f"insert into marts.fct_statement_reconciliation ({columns}) values ({', '.join(['%s'] * 16)})",
                rows,
            )
        conn.commit()


def test_each_run_keeps_what_it_reported(clean_warehouse: str) -> None:
    url = clean_warehouse
    _set_mart(url, [ROW])
    first = pipeline.record_reconciliation("run-1", date(2026, 3, 31), url=url)
    # The same run again with the same results adds nothing.
    again = pipeline.record_reconciliation("run-1", date(2026, 3, 31), url=url)
    assert (first["new"], again["new"], again["snapshot_id"]) == (True, False, first["snapshot_id"])
    # The data is corrected (the customer's 90.00 was a typo for 100.00): a new run reports it matched, and the
    # first run's mismatch is still there to show.
    _set_mart(url, [ROW[:7] + (Decimal("100.00"), Decimal("0.00"), "MATCHED", False) + ROW[11:]])
    second = pipeline.record_reconciliation("run-2", date(2026, 3, 31), url=url)
    with warehouse.connect(url) as conn:
        kept = conn.execute(
            """select s.run_id, r.status, r.difference_amount, s.statement_unexplained_count
                 from audit.statement_reconciliation_results r join audit.reconciliation_snapshots s using (snapshot_id)
                order by s.snapshot_id"""
        ).fetchall()
        bank_kept = conn.execute(
            """select s.run_id, b.payment_id, b.status, s.bank_unexplained_count
                 from audit.bank_reconciliation_results b join audit.reconciliation_snapshots s using (snapshot_id)
                order by s.snapshot_id"""
        ).fetchall()
    assert second["new"] and kept == [
        ("run-1", "AMOUNT_MISMATCH", Decimal("-10.00"), 1),
        ("run-2", "MATCHED", Decimal("0.00"), 0),
    ]
    # The bank side of each snapshot: the unbanked payment, reported by both runs.
    assert bank_kept == [("run-1", "P6", "NOT_BANKED", 1), ("run-2", "P6", "NOT_BANKED", 1)]


@pytest.mark.parametrize(
    "table", ["audit.statement_reconciliation_results", "audit.bank_reconciliation_results"]
)
@pytest.mark.parametrize("statement", ["update {table} set status = 'MATCHED'", "delete from {table}"])
def test_results_cannot_be_changed_by_the_loader_or_the_owner(
    clean_warehouse: str, statement: str, table: str
) -> None:
    url = clean_warehouse
    init_warehouse(url)
    _set_mart(url, [ROW])
    pipeline.record_reconciliation("run-1", date(2026, 3, 31), url=url)
    sql = statement.format(table=table)
    with warehouse.connect(url) as conn:
        # The loader role writes the results and may not change them (privileges).
        conn.execute("set role ar_loader")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(sql)
        conn.rollback()
        # Not even the owner (the trigger).
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(sql)
        conn.rollback()
        assert conn.execute(f"select count(*) from {table}").fetchone() == (1,)
