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


def _bank_row(key: str, payment: str, status: str, settled: bool) -> tuple[object, ...]:
    """A paired row (MATCHED 100.00 on both sides) or, with status NOT_BANKED, a payment alone."""
    paired = status != "NOT_BANKED"
    return (
        key, key if paired else None, "sha" if paired else None, "DE01" if paired else None,
        date(2026, 1, 5) if paired else None, Decimal("100.00") if paired else None, None, payment, "C-A",
        date(2026, 1, 5), Decimal("100.00"), "EUR", "reference" if paired else None,
        Decimal("1.00") if paired else None, Decimal("0.00") if paired else Decimal("-100.00"), status,
        not paired, key, 1, f"E2E-{payment}", settled,
    )  # fmt: skip


def _snapshot_rows(url: str, snapshot_id: int) -> list[tuple[object, ...]]:
    with warehouse.connect(url) as conn:
        return conn.execute(
            """select reconciliation_key, status, is_settled from audit.bank_reconciliation_snapshot(%s)
                order by reconciliation_key""",
            (snapshot_id,),
        ).fetchall()


def _kept(url: str) -> tuple[int, int, int]:
    with warehouse.connect(url) as conn:
        row = conn.execute(
            """select (select count(*) from audit.bank_reconciliation_results),
                      (select count(*) from audit.bank_settled_results),
                      (select count(*) from audit.bank_settled_reopened)"""
        ).fetchone()
    assert row is not None
    return row


def test_settled_bank_rows_are_kept_once_and_every_snapshot_reads_whole(clean_warehouse: str) -> None:
    """Decision 009: a settled match is the same from run to run, so it is kept once (audit.bank_settled_results),
    not under every snapshot; audit.bank_reconciliation_snapshot gives each snapshot its rows whole.

    Runs 1 and 2 see A and B settled and C open: C is kept under each snapshot (2 rows), A and B once (2 rows).
    Run 3 sees B reopened (open, NOT_BANKED), A as it was and D newly settled: B's kept version is marked reopened
    by snapshot 3, D is kept from 3 on. Snapshot 1 still reads A, B (settled), C.
    """
    url = clean_warehouse
    _set_mart(url, [ROW])
    a, b, c, d = (_bank_row("A", "PA", "MATCHED", True), _bank_row("B", "PB", "MATCHED", True),
                  _bank_row("C", "PC", "NOT_BANKED", False), _bank_row("D", "PD", "MATCHED", True))  # fmt: skip
    _set_bank_mart(url, [a, b, c])
    s1 = pipeline.record_reconciliation("run-1", date(2026, 3, 31), url=url)
    s2 = pipeline.record_reconciliation("run-2", date(2026, 3, 31), url=url)
    assert (s1["bank_items"], s2["new"]) == (3, True)
    assert _kept(url) == (2, 2, 0)
    whole = [("A", "MATCHED", True), ("B", "MATCHED", True), ("C", "NOT_BANKED", False)]
    assert _snapshot_rows(url, s1["snapshot_id"]) == _snapshot_rows(url, s2["snapshot_id"]) == whole

    _set_bank_mart(url, [a, _bank_row("B", "PB", "NOT_BANKED", False), c, d])
    s3 = pipeline.record_reconciliation("run-3", date(2026, 4, 1), url=url)
    # Open rows: C (1, 2), B and C (3); settled: A, B, D; B's version reopened by snapshot 3.
    assert _kept(url) == (4, 3, 1)
    assert _snapshot_rows(url, s3["snapshot_id"]) == [
        ("A", "MATCHED", True),
        ("B", "NOT_BANKED", False),
        ("C", "NOT_BANKED", False),
        ("D", "MATCHED", True),
    ]
    assert _snapshot_rows(url, s1["snapshot_id"]) == whole
    # The same run again with the same results adds nothing.
    assert pipeline.record_reconciliation("run-3", date(2026, 4, 1), url=url)["new"] is False
    assert _kept(url) == (4, 3, 1)


@pytest.mark.parametrize("table", ["audit.bank_settled_results", "audit.bank_settled_reopened"])
def test_kept_settled_rows_cannot_be_changed(clean_warehouse: str, table: str) -> None:
    url = clean_warehouse
    _set_mart(url, [ROW])
    settled = _bank_row("A", "PA", "MATCHED", True)
    _set_bank_mart(url, [settled])
    pipeline.record_reconciliation("run-1", date(2026, 3, 31), url=url)
    _set_bank_mart(url, [_bank_row("A", "PA", "NOT_BANKED", False)])
    pipeline.record_reconciliation("run-2", date(2026, 3, 31), url=url)
    with warehouse.connect(url) as conn:
        assert conn.execute(f"select count(*) from {table}").fetchone() == (1,)
        conn.execute("set role ar_loader")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(f"delete from {table}")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(f"update {table} set reconciliation_key = 'X'")
        conn.rollback()
