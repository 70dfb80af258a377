"""The demo ERP: a PostgreSQL database with ERP-style names (schema `erp`), so that extraction really maps a source
onto the warehouse's model (erp_mode "db" or "both").

Tables (the mapping `demo_erp` reads them):

* erp.cust_master: one row per customer, latest version.
* erp.ar_doc: receivables documents, doc_typ RV invoice, CR credit memo, DZ incoming payment, WO write-off; doc_amt
  positive for all types; ref_doc_no the invoice for CR and WO; ref_txt the payer's reference for DZ, the reason for
  CR and WO; dispute_flg 'X' on disputed RV, else ''; appr_by the approver of a WO (null: none recorded).
* erp.ar_clearing: which payment (DZ) cleared how much of which invoice (RV), on which date.
* erp.fx_rate: the daily exchange rate of each foreign currency (fcurr) into the company currency (tcurr):
  1 fcurr = ukurs tcurr on gdatu; none on weekends.

chg_ts is the UTC time the row was created or last changed: its business date at a time of day derived from the
document number (between 08:00 and 18:00), never the clock. An extract of rows with chg_ts before the end of day D
sees every row whose last change was on or before D, in its final version. A row changed later than D (an invoice
disputed after D, a customer whose credit limit was reviewed after D) is not in that extract at all: it arrives
with the extract of the day it changed, in its changed version. That is how a watermark extract of a live table
behaves; the ERP keeps no history of versions. A backfill that needs the state as of D should read the daily CSV
extracts (erp_mode "files") instead.

Re-running the generator drops and recreates the schema, so the content depends only on the generator's inputs.
Rows go in with COPY, one COPY per table per simulated day; keys and indexes are added after the load.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from ingestion.config import libpq_url
from ingestion.generate.model import Customer, DayBatch, Invoice

log = logging.getLogger(__name__)

SCHEMA = "erp"
DEMO_SUFFIX = "_erp_demo"
DAY_START = timedelta(hours=8)
DAY_SPREAD_SECONDS = 10 * 3600

_TABLES = """
create table {schema}.cust_master (
    cust_no     varchar(10) not null,
    cust_nm     text not null,
    ctry_cd     char(2),
    curr_cd     char(3),
    cr_limit    numeric(15, 2),
    pmt_terms   varchar(10),
    risk_cls    char(1),
    ins_pct     numeric(5, 2),
    chg_ts      timestamptz not null
);
create table {schema}.ar_doc (
    doc_no      varchar(12) not null,
    doc_typ     char(2) not null,
    cust_no     varchar(10),
    doc_dt      date,
    due_dt      date,
    curr_cd     char(3),
    doc_amt     numeric(15, 2),
    ref_doc_no  varchar(12),
    ref_txt     text,
    dispute_flg char(1),
    appr_by     varchar(30),
    chg_ts      timestamptz not null
);
create table {schema}.ar_clearing (
    clr_doc_no  varchar(12) not null,
    inv_doc_no  varchar(12) not null,
    clr_amt     numeric(15, 2),
    clr_dt      date,
    chg_ts      timestamptz not null
);
create table {schema}.fx_rate (
    gdatu       date not null,
    fcurr       char(3) not null,
    tcurr       char(3) not null,
    ukurs       numeric(12, 6) not null,
    chg_ts      timestamptz not null
);
"""

_KEYS = """
alter table {schema}.cust_master add primary key (cust_no);
alter table {schema}.ar_doc add primary key (doc_no);
alter table {schema}.ar_clearing add primary key (clr_doc_no, inv_doc_no);
alter table {schema}.fx_rate add primary key (gdatu, fcurr, tcurr);
create index on {schema}.fx_rate (chg_ts);
create index on {schema}.cust_master (chg_ts);
create index on {schema}.ar_doc (chg_ts);
create index on {schema}.ar_doc (doc_typ, doc_dt);
create index on {schema}.ar_clearing (chg_ts);
comment on schema {schema} is 'Demo ERP written by ingestion.generate: receivables subledger with ERP-style names.';
comment on table {schema}.cust_master is 'Customer master, latest version; pmt_terms N30, 2/10N30, N45, N60; ins_pct 0..100.';
comment on table {schema}.ar_doc is 'AR documents: RV invoice, CR credit memo, DZ incoming payment, WO write-off. doc_amt > 0.';
comment on table {schema}.ar_clearing is 'Clearing of invoices (inv_doc_no, RV) by incoming payments (clr_doc_no, DZ).';
analyze {schema}.cust_master;
analyze {schema}.ar_doc;
analyze {schema}.ar_clearing;
analyze {schema}.fx_rate;
"""


@dataclass(frozen=True, slots=True)
class ErpTarget:
    url: str  # libpq URL of the database holding the schema
    schema: str
    in_warehouse: (
        bool  # True when CREATE DATABASE was refused and the schema went into the warehouse database
    )


def _database_name(url: str) -> str:
    params = conninfo_to_dict(url)
    return str(params.get("dbname") or params.get("user") or "postgres")


def with_database(url: str, dbname: str) -> str:
    """`url` (a postgresql:// URL) pointing at database `dbname` on the same server, same user and options."""
    parts = urlsplit(libpq_url(url))
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "dbname"])
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname, safe=""), query, parts.fragment))


def derive_erp_url(warehouse_url: str) -> str:
    """The demo ERP's URL for a warehouse URL: same server, database `<warehouse database>_erp_demo`."""
    return with_database(warehouse_url, unquote(_database_name(libpq_url(warehouse_url))) + DEMO_SUFFIX)


def prepare_erp_database(erp_url: str | None, warehouse_url: str) -> ErpTarget:
    """Where the demo ERP goes: `erp_url` as given, else the derived database, created when missing.

    When the warehouse user may not create databases, falls back to schema `erp` inside the warehouse database
    and logs a warning.
    """
    if erp_url:
        return ErpTarget(libpq_url(erp_url), SCHEMA, in_warehouse=False)
    warehouse = libpq_url(warehouse_url)
    target = derive_erp_url(warehouse)
    name = _database_name(target)
    with psycopg.connect(warehouse, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if exists:
            return ErpTarget(target, SCHEMA, in_warehouse=False)
        try:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        except psycopg.errors.InsufficientPrivilege as exc:
            log.warning(
                "cannot create database %s (%s); writing the demo ERP to schema %s of the warehouse database",
                name,
                exc.diag.message_primary,
                SCHEMA,
            )
            return ErpTarget(warehouse, SCHEMA, in_warehouse=True)
    log.info("created database %s for the demo ERP", name)
    return ErpTarget(target, SCHEMA, in_warehouse=False)


def _ins_pct(share: Decimal) -> Decimal:
    return (share * 100).quantize(Decimal("0.01"))


class ErpDatabaseWriter:
    """Writes each day's batch with COPY, in one transaction that `close()` commits (or `abort()` rolls back)."""

    def __init__(self, target: ErpTarget) -> None:
        self.target = target
        self._conn = psycopg.connect(target.url)
        self._schema = sql.Identifier(target.schema)
        self._midnights: dict[date, datetime] = {}
        self.rows = {"cust_master": 0, "ar_doc": 0, "ar_clearing": 0, "fx_rate": 0}
        with self._conn.cursor() as cur:
            cur.execute(sql.SQL("drop schema if exists {} cascade").format(self._schema))
            cur.execute(sql.SQL("create schema {}").format(self._schema))
            cur.execute(sql.SQL(_TABLES).format(schema=self._schema))

    def _stamp(self, day: date, number: int) -> datetime:
        base = self._midnights.get(day)
        if base is None:
            base = datetime(day.year, day.month, day.day, tzinfo=UTC) + DAY_START
            self._midnights[day] = base
        # Spread rows over the working day, deterministically, so timestamps are not all equal.
        return base + timedelta(seconds=(number * 7_919) % DAY_SPREAD_SECONDS)

    def _customer_row(self, customer: Customer) -> tuple:
        limit_day = customer.changed_on
        return (
            customer.customer_id,
            customer.customer_name,
            customer.country_code,
            customer.currency_code,
            customer.credit_limit_on(limit_day),
            customer.payment_terms,
            customer.risk_grade,
            _ins_pct(customer.insured_share),
            self._stamp(limit_day, int(customer.customer_id[1:])),
        )

    def _invoice_row(self, invoice: Invoice) -> tuple:
        return (
            invoice.invoice_id,
            "RV",
            invoice.customer_id,
            invoice.invoice_date,
            invoice.due_date,
            invoice.currency_code,
            invoice.amount,
            None,
            None,
            "X" if invoice.disputed_on is not None else "",
            None,
            self._stamp(invoice.changed_on, int(invoice.invoice_id[3:])),
        )

    def write(self, batch: DayBatch) -> None:
        """COPY the rows a day created. Customers and invoices go in their final version (see the module doc)."""
        stamp = self._stamp
        customers = [self._customer_row(c) for c in batch.new_customers]
        docs = [self._invoice_row(i) for i in batch.new_invoices]
        clearing = []
        for n in batch.credit_notes:
            number = int(n.credit_note_id[3:])
            docs.append(
                (
                    n.credit_note_id,
                    "CR",
                    n.customer_id,
                    n.credit_note_date,
                    None,
                    n.currency_code,
                    n.amount,
                    n.invoice_id,
                    n.reason,
                    "",
                    None,
                    stamp(n.credit_note_date, number),
                )
            )
        for p in batch.payments:
            ts = stamp(p.payment_date, int(p.payment_id[3:]))
            docs.append(
                (p.payment_id, "DZ", p.customer_id, p.payment_date, None, p.currency_code, p.amount)
                + (None, p.reference, "", None, ts)
            )
            for a in p.applications:
                clearing.append((a.payment_id, a.invoice_id, a.applied_amount, a.applied_date, ts))
        for w in batch.write_offs:
            docs.append(
                (w.write_off_id, "WO", w.customer_id, w.write_off_date, None, w.currency_code, w.amount)
                + (
                    w.invoice_id,
                    w.reason,
                    "",
                    w.approved_by,
                    stamp(w.write_off_date, int(w.write_off_id[3:])),
                )
            )
        with self._conn.cursor() as cur:
            self._copy(cur, "cust_master", customers)
            self._copy(cur, "ar_doc", docs)
            self._copy(cur, "ar_clearing", clearing)
            self._copy(
                cur,
                "fx_rate",
                [
                    (r.rate_date, r.currency_code, r.functional_currency_code, r.rate, stamp(r.rate_date, 0))
                    for r in batch.fx_rates
                ],
            )

    def _copy(self, cur: psycopg.Cursor, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        statement = sql.SQL("copy {}.{} from stdin").format(self._schema, sql.Identifier(table))
        with cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        self.rows[table] += len(rows)

    def close(self) -> None:
        """Add keys and indexes, commit, and close the connection."""
        try:
            with self._conn.cursor() as cur:
                cur.execute(sql.SQL(_KEYS).format(schema=self._schema))
            self._conn.commit()
        finally:
            self._conn.close()

    def abort(self) -> None:
        """Roll back everything this writer did and close the connection."""
        try:
            self._conn.rollback()
        finally:
            self._conn.close()
