"""Extracting the ERP from its database through a mapping, incrementally by the watermark in audit."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql

from ingestion import warehouse
from ingestion.erp.database import extract, load_mapping

pytestmark = pytest.mark.integration

SOURCE_SCHEMA = "test_erp_src"


@pytest.fixture
def erp_source(clean_warehouse: str) -> Iterator[str]:
    """A small ERP in its own schema of the test database, with the demo ERP's table and column names."""
    with psycopg.connect(clean_warehouse, autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(SOURCE_SCHEMA)))
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(SOURCE_SCHEMA)))
        conn.execute(
            f"""
            create table {SOURCE_SCHEMA}.cust_master (cust_no varchar(10) primary key, cust_nm text, ctry_cd char(2),
                curr_cd char(3), cr_limit numeric(15,2), pmt_terms varchar(10), risk_cls char(1),
                ins_pct numeric(5,2), chg_ts timestamptz not null);
            create table {SOURCE_SCHEMA}.ar_doc (doc_no varchar(12) primary key, doc_typ char(2), cust_no varchar(10),
                doc_dt date, due_dt date, curr_cd char(3), doc_amt numeric(15,2), ref_doc_no varchar(12),
                ref_txt text, dispute_flg char(1), appr_by varchar(30), chg_ts timestamptz not null);
            create table {SOURCE_SCHEMA}.ar_clearing (clr_doc_no varchar(12), inv_doc_no varchar(12),
                clr_amt numeric(15,2), clr_dt date, chg_ts timestamptz not null, primary key (clr_doc_no, inv_doc_no));
            create table {SOURCE_SCHEMA}.fx_rate (gdatu date, fcurr char(3), tcurr char(3), ukurs numeric(12,6),
                chg_ts timestamptz not null, primary key (gdatu, fcurr, tcurr));
            insert into {SOURCE_SCHEMA}.cust_master values
                ('0042', 'Acme', 'DE', 'EUR', 5000.00, '2/10N30', 'B', 85.00, '2026-01-01 09:00+00');
            insert into {SOURCE_SCHEMA}.ar_doc values
                ('90001', 'RV', '0042', '2026-01-02', '2026-02-01', 'EUR', 1200.00, null, null, ' ', null, '2026-01-02 10:00+00'),
                ('90002', 'RV', '0042', '2026-01-03', '2026-02-02', 'EUR', 300.00, null, null, ' ', null, '2026-01-03 10:00+00'),
                ('70001', 'DZ', '0042', '2026-01-10', null, 'EUR', 1200.00, null, 'REF-1', null, null, '2026-01-10 11:00+00');
            insert into {SOURCE_SCHEMA}.ar_clearing values ('70001', '90001', 1200.00, '2026-01-10', '2026-01-10 11:00+00');
            insert into {SOURCE_SCHEMA}.fx_rate values
                ('2026-01-09', 'USD', 'EUR', 0.915400, '2026-01-09 16:00+00'),
                ('2026-01-12', 'USD', 'EUR', 0.918800, '2026-01-12 16:00+00');
            """
        )
    yield clean_warehouse
    with psycopg.connect(clean_warehouse, autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(SOURCE_SCHEMA)))


def _mapping():  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(load_mapping("demo_erp"), schema=SOURCE_SCHEMA)


def test_first_extract_maps_every_entity_then_only_changes_follow(erp_source: str) -> None:
    first = {r.entity: r for r in extract(erp_source, _mapping(), warehouse_url=erp_source)}
    assert {e: r.load.rows_changed for e, r in first.items()} == {
        "customers": 1, "invoices": 2, "credit_notes": 0, "payments": 1, "payment_applications": 1, "write_offs": 0,
        "fx_rates": 2,
    }  # fmt: skip
    with warehouse.connect(erp_source) as conn:
        customer = conn.execute(
            "select customer_id, payment_terms_days, insured_share, credit_limit from raw_erp.customers"
        ).fetchone()
        invoices = conn.execute(
            "select invoice_id, amount, is_disputed from raw_erp.invoices order by 1"
        ).fetchall()
    # '2/10N30' is net 30; ins_pct 85.00 percent is an insured share of 0.85.
    assert customer == ("0042", 30, Decimal("0.8500"), Decimal("5000.00"))
    assert invoices == [("90001", Decimal("1200.00"), False), ("90002", Decimal("300.00"), False)]
    with warehouse.connect(erp_source) as conn:
        rates = conn.execute(
            "select rate_date::text, currency_code, functional_currency_code, rate from raw_erp.fx_rates order by 1"
        ).fetchall()
    # gdatu/fcurr/tcurr/ukurs map onto the canonical columns; the rate keeps its 6 decimals exactly.
    assert rates == [
        ("2026-01-09", "USD", "EUR", Decimal("0.9154000000")),
        ("2026-01-12", "USD", "EUR", Decimal("0.9188000000")),
    ]

    # Nothing changed at the source: the second extract reads nothing and writes nothing.
    second = {r.entity: r for r in extract(erp_source, _mapping(), warehouse_url=erp_source)}
    assert all(r.load.rows_read == 0 for r in second.values())
    assert second["invoices"].watermark_from == first["invoices"].watermark_to

    # The customer disputes invoice 90002 on 2026-01-15: only that row is read again, and it is rewritten.
    with psycopg.connect(erp_source, autocommit=True) as conn:
        conn.execute(
            f"update {SOURCE_SCHEMA}.ar_doc set dispute_flg = 'X', chg_ts = '2026-01-15 08:00+00' where doc_no = '90002'"
        )
    third = {r.entity: r for r in extract(erp_source, _mapping(), warehouse_url=erp_source)}
    assert (third["invoices"].load.rows_read, third["invoices"].load.rows_changed) == (1, 1)
    assert third["customers"].load.rows_read == 0
    with warehouse.connect(erp_source) as conn:
        disputed = conn.execute("select invoice_id from raw_erp.invoices where is_disputed").fetchall()
        watermark = conn.execute(
            "select watermark::text from audit.watermarks where source = 'erp_db:demo_erp' and entity = 'invoices'"
        ).fetchone()
    assert disputed == [("90002",)]
    assert watermark == ("2026-01-15 08:00:00+00",)


def test_a_full_extract_repairs_what_the_watermark_missed_and_rewrites_nothing_else(erp_source: str) -> None:
    """ar_daily's `reload_source: erp`: every row is read again, whatever the watermark."""
    extract(erp_source, _mapping(), warehouse_url=erp_source)
    with warehouse.connect(erp_source) as conn:
        batches_before = dict(conn.execute("select invoice_id, _batch_id from raw_erp.invoices").fetchall())
    # The ERP corrects invoice 90002's amount without touching chg_ts (a bulk fix run in the ERP's database):
    # the incremental extract cannot see it.
    with psycopg.connect(erp_source, autocommit=True) as conn:
        conn.execute(f"update {SOURCE_SCHEMA}.ar_doc set doc_amt = 350.00 where doc_no = '90002'")
    missed = {r.entity: r for r in extract(erp_source, _mapping(), warehouse_url=erp_source)}
    assert missed["invoices"].load.rows_read == 0

    full = {r.entity: r for r in extract(erp_source, _mapping(), warehouse_url=erp_source, full=True)}
    # Read: both invoices (the source holds two); changed: only 90002. The other entities read everything and
    # change nothing: 1 customer, 1 payment, 1 application, 2 rates.
    assert (full["invoices"].load.rows_read, full["invoices"].load.rows_changed) == (2, 1)
    assert {e: (r.load.rows_read, r.load.rows_changed) for e, r in full.items() if e != "invoices"} == {
        "customers": (1, 0), "credit_notes": (0, 0), "payments": (1, 0), "payment_applications": (1, 0),
        "write_offs": (0, 0), "fx_rates": (2, 0),
    }  # fmt: skip
    with warehouse.connect(erp_source) as conn:
        rows = dict(conn.execute("select invoice_id, amount from raw_erp.invoices").fetchall())
        batches_after = dict(conn.execute("select invoice_id, _batch_id from raw_erp.invoices").fetchall())
        watermark = conn.execute(
            "select watermark::text from audit.watermarks where source = 'erp_db:demo_erp' and entity = 'invoices'"
        ).fetchone()
    assert rows == {"90001": Decimal("1200.00"), "90002": Decimal("350.00")}
    # 90001 was not rewritten (it keeps the batch of the first extract); 90002 was.
    assert batches_after["90001"] == batches_before["90001"]
    assert batches_after["90002"] != batches_before["90002"]
    # The watermark is the newest change read: 90002's chg_ts, 2026-01-03 10:00, which did not move.
    assert watermark == ("2026-01-03 10:00:00+00",)
