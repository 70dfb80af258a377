"""The demo ERP database: same documents as the CSV extracts, change timestamps that a watermark extract can use,
and the same rows on every run. Uses the test warehouse's server."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ingestion.generate import GenerationSummary, generate
from tests.unit.generate.readers import Erp, read_erp_files

pytestmark = pytest.mark.integration


FIRST_DAY = date(2024, 4, 22)
RUN: dict[str, Any] = {"seed": 21, "scale": 0.005, "start": FIRST_DAY, "days": 20}
TABLES = {"cust_master": "cust_no", "ar_doc": "doc_no", "ar_clearing": "clr_doc_no, inv_doc_no"}


@pytest.fixture(autouse=True)
def _test_warehouse(warehouse_url: str) -> str:
    """tests/conftest.py starts the test warehouse (or takes AR_WAREHOUSE_URL) and exports its URL."""
    return warehouse_url


def _server_url() -> str:
    url = os.environ["AR_WAREHOUSE_URL"]
    from ingestion.config import libpq_url

    return libpq_url(url)


def _create_database(server_url: str, name: str) -> str:
    from psycopg import sql

    from ingestion.generate.erp_db import with_database

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        try:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        except psycopg.errors.InsufficientPrivilege:
            pytest.skip("the test user may not create databases")
    return with_database(server_url, name)


def _drop_database(server_url: str, name: str) -> None:
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def erp_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, GenerationSummary, Erp]]:
    server = _server_url()
    url = _create_database(server, "ar_generate_test_erp")
    landing = tmp_path_factory.mktemp("erp_db") / "landing"
    summary = generate(**RUN, landing=landing, erp_url=url, erp_mode="both")
    yield url, summary, read_erp_files(landing)
    _drop_database(server, "ar_generate_test_erp")


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def test_source_json_points_at_the_database(erp_run: tuple[str, GenerationSummary, Erp]) -> None:
    url, summary, _ = erp_run
    source = json.loads(summary.source_path.read_text())
    assert source["erp"] == {
        "kind": "database",
        "url": url,
        "schema": "erp",
        "mapping": "demo_erp",
        "files_path": "erp",
    }
    assert source["generated"] == {
        "seed": 21,
        "scale": 0.005,
        "start": "2024-04-22",
        "days": 20,
        "history_days": 60,
    }
    assert summary.erp_url == url and summary.erp_schema == "erp"


def test_documents_match_the_extracts(erp_run: tuple[str, GenerationSummary, Erp]) -> None:
    url, summary, erp = erp_run
    docs = {
        row[0]: row
        for row in _rows(
            url,
            "select doc_no, doc_typ, cust_no, doc_dt, due_dt, curr_cd, doc_amt, ref_doc_no, ref_txt, dispute_flg, appr_by from erp.ar_doc",
        )
    }
    invoices = {k: v for k, v in docs.items() if v[1] == "RV"}
    assert len(invoices) == len(erp.invoices) == summary.invoices
    for invoice_id, row in erp.invoices.items():
        doc = invoices[invoice_id]
        assert (doc[2], doc[3].isoformat(), doc[4].isoformat(), doc[5], doc[6]) == (
            row["customer_id"], row["invoice_date"], row["due_date"], row["currency_code"], Decimal(row["amount"]),
        )  # fmt: skip
        assert (doc[9] == "X") == (row["is_disputed"] == "true")
    for payment_id, row in erp.payments.items():
        doc = docs[payment_id]
        assert (doc[1], doc[2], doc[6], doc[8], doc[7]) == (
            "DZ",
            row["customer_id"],
            Decimal(row["amount"]),
            row["reference"],
            None,
        )
    for note_id, row in erp.credit_notes.items():
        doc = docs[note_id]
        assert (doc[1], doc[7], doc[6], doc[8]) == (
            "CR",
            row["invoice_id"],
            Decimal(row["amount"]),
            row["reason"],
        )
    for write_off_id, row in erp.write_offs.items():
        doc = docs[write_off_id]
        assert (doc[1], doc[7], doc[6], doc[10] or "") == (
            "WO",
            row["invoice_id"],
            Decimal(row["amount"]),
            row["approved_by"],
        )
    assert len(docs) == len(erp.invoices) + len(erp.payments) + len(erp.credit_notes) + len(erp.write_offs)
    clearing = {
        (r[0], r[1]): r[2] for r in _rows(url, "select clr_doc_no, inv_doc_no, clr_amt from erp.ar_clearing")
    }
    assert clearing == {
        (a["payment_id"], a["invoice_id"]): Decimal(a["applied_amount"]) for a in erp.applications
    }
    customers = {
        r[0]: r
        for r in _rows(
            url, "select cust_no, cust_nm, curr_cd, cr_limit, pmt_terms, ins_pct from erp.cust_master"
        )
    }
    assert customers.keys() == erp.customers.keys()
    terms = {"N30": "30", "2/10N30": "30", "N45": "45", "N60": "60"}
    for customer_id, row in erp.customers.items():
        cust = customers[customer_id]
        assert (cust[1], cust[2], cust[3], terms[cust[4]]) == (
            row["customer_name"], row["currency_code"], Decimal(row["credit_limit"]), row["payment_terms_days"],
        )  # fmt: skip
        assert cust[5] == Decimal(row["insured_share"]) * 100


def test_watermark_extract_sees_each_row_from_its_last_change(
    erp_run: tuple[str, GenerationSummary, Erp],
) -> None:
    url, _, erp = erp_run
    # The day each invoice and customer last appears in the daily extracts is the day of its last change.
    last_seen: dict[str, str] = {}
    for day, entities in sorted(erp.rows_per_day.items()):
        for row in entities["invoices"]:
            last_seen[row["invoice_id"]] = day
        for row in entities["customers"]:
            last_seen[row["customer_id"]] = day
    for offset in (0, 5, 12, 19):
        as_of = FIRST_DAY + timedelta(days=offset)
        watermark = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)
        extracted = {
            r[0]
            for r in _rows(
                url,
                f"select doc_no from erp.ar_doc where doc_typ = 'RV' and chg_ts < '{watermark.isoformat()}'",
            )
        } | {
            r[0]
            for r in _rows(
                url, f"select cust_no from erp.cust_master where chg_ts < '{watermark.isoformat()}'"
            )
        }
        assert extracted == {key for key, day in last_seen.items() if day <= as_of.isoformat()}, as_of
    # Documents that never change carry their own date.
    stale = _rows(
        url,
        "select doc_no from erp.ar_doc where doc_typ <> 'RV' and (chg_ts at time zone 'UTC')::date <> doc_dt",
    )
    assert stale == []
    hours = _rows(
        url,
        "select min(extract(hour from chg_ts at time zone 'UTC')), max(extract(hour from chg_ts at time zone 'UTC')) from erp.ar_doc",
    )
    assert 8 <= hours[0][0] <= hours[0][1] < 18


def _fingerprint(url: str) -> dict[str, str]:
    return {
        table: _rows(
            url, f"select md5(coalesce(string_agg(t::text, '|' order by {key}), '')) from erp.{table} t"
        )[0][0]
        for table, key in TABLES.items()
    }


def test_a_rerun_writes_the_same_rows(erp_run: tuple[str, GenerationSummary, Erp], tmp_path: Path) -> None:
    url, _, _ = erp_run
    before = _fingerprint(url)
    generate(**RUN, landing=tmp_path, erp_url=url, erp_mode="db")
    assert _fingerprint(url) == before
    assert not (tmp_path / "erp").exists()
    assert json.loads((tmp_path / "source.json").read_text())["erp"]["kind"] == "database"


def test_the_derived_database_is_created_when_missing(tmp_path: Path) -> None:
    from ingestion.generate.erp_db import prepare_erp_database

    server = _server_url()
    warehouse = _create_database(server, "ar_generate_test_wh")
    try:
        target = prepare_erp_database(None, warehouse)
        assert target.url.endswith("/ar_generate_test_wh_erp_demo") and not target.in_warehouse
        assert _rows(target.url, "select current_database()") == [("ar_generate_test_wh_erp_demo",)]
    finally:
        _drop_database(server, "ar_generate_test_wh_erp_demo")
        _drop_database(server, "ar_generate_test_wh")


def test_without_createdb_the_schema_goes_into_the_warehouse(tmp_path: Path) -> None:
    from psycopg import sql

    from ingestion.generate.erp_db import prepare_erp_database

    server = _server_url()
    warehouse = _create_database(server, "ar_generate_test_wh2")
    role = "ar_generate_test_nocreatedb"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("create role {} login nocreatedb").format(sql.Identifier(role)))
    try:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(warehouse)
        host = parts.netloc.rsplit("@", 1)[-1]
        as_role = urlunsplit((parts.scheme, f"{role}@{host}", parts.path, parts.query, ""))
        try:
            psycopg.connect(as_role).close()
        except psycopg.OperationalError:
            pytest.skip("the server does not let a password-less test role log in")
        target = prepare_erp_database(None, as_role)
        assert target.in_warehouse and target.url == as_role and target.schema == "erp"
    finally:
        _drop_database(server, "ar_generate_test_wh2")
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
