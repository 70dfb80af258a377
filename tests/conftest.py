"""Test session set-up: a real PostgreSQL warehouse for everything the warehouse does.

When AR_WAREHOUSE_URL is set, the tests use that database. Otherwise they start the project-local cluster
(`arwh db up`) and use a fresh database `ar_test` in it, so a developer's demo data is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
os.environ.setdefault("SCARF_ANALYTICS", "false")

TEST_DB = "ar_test"


@pytest.fixture(scope="session")
def warehouse_url() -> Iterator[str]:
    """The URL of an initialised, empty-at-start warehouse database; also exported as AR_WAREHOUSE_URL."""
    from ingestion import config, localdb, warehouse

    url = os.environ.get(config.ENV_WAREHOUSE_URL)
    if not url:
        import psycopg

        localdb.up()
        admin = f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{TEST_DB}" with (force)')
            conn.execute(f'create database "{TEST_DB}"')
        url = f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/{TEST_DB}"
        os.environ[config.ENV_WAREHOUSE_URL] = url
    warehouse.init_warehouse(url)
    yield url


RAW_TABLES = (
    "raw_erp.customers", "raw_erp.invoices", "raw_erp.credit_notes", "raw_erp.payments",
    "raw_erp.payment_applications", "raw_erp.write_offs", "raw_erp.fx_rates", "raw_bank.statements", "raw_bank.statement_lines",
    "raw_statements.statement_items", "raw_statements.statements", "audit.load_batches", "audit.files", "audit.file_deliveries",
    "audit.rejects", "audit.watermarks", "audit.check_results", "audit.pipeline_runs", "audit.statement_events",
    "audit.customer_statement_events", "audit.dbt_invocations", "audit.warehouse_lock", "audit.reconciliation_snapshots", "audit.statement_reconciliation_results",
    "audit.bank_reconciliation_results", "audit.bank_settled_reopened", "audit.bank_settled_results",
    "raw_erp_history.customers", "raw_erp_history.invoices",
    "raw_erp_history.credit_notes", "raw_erp_history.payments", "raw_erp_history.payment_applications",
    "raw_erp_history.write_offs", "raw_erp_history.fx_rates",
)  # fmt: skip


# dbt models that keep what earlier runs built (incremental): a test's data must not meet another test's, so they
# are dropped with the raw data and the next build creates them from scratch. (In a deployment, emptying raw or
# audit tables is followed by `dbt build --full-refresh`, docs/runbooks/ar_daily.md.)
INCREMENTAL_RELATIONS = (
    "marts.fct_ar_aging", "marts.rpt_collections_monthly_by_customer", "marts.rpt_ar_rollforward",
    "intermediate.int_invoice_movements_unioned", "intermediate.int_invoice_balances_accumulated",
    "intermediate.int_customer_months_balanced", "intermediate.int_invoices_settled",
    "intermediate.int_payment_balances_accumulated", "marts.fct_bank_reconciliation",
    "marts.fct_statement_reconciliation",
)  # fmt: skip


@pytest.fixture
def clean_warehouse(warehouse_url: str) -> str:
    """The warehouse with every raw and audit table emptied and the incremental dbt models dropped (marts are
    rebuilt by the tests that need them)."""
    from ingestion import warehouse

    with warehouse.connect(warehouse_url) as conn:
        conn.execute(f"truncate {', '.join(RAW_TABLES)} restart identity cascade")
        for relation in INCREMENTAL_RELATIONS:
            row = conn.execute(
                "select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname || '.' || c.relname = %s",
                (relation,),
            ).fetchone()
            if row is not None:
                conn.execute(f"drop {'view' if row[0] == 'v' else 'table'} {relation} cascade")
    return warehouse_url


@pytest.fixture(scope="session")
def dbt_manifest(warehouse_url: str) -> Path:
    """dbt_project/target/manifest.json, which the DAG renders its dbt tasks from (`dbt parse` writes it)."""
    from ingestion.transform import MANIFEST_PATH, parse

    parse()
    return MANIFEST_PATH


@pytest.fixture
def fresh_warehouse(
    clean_warehouse: str, dbt_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """For DAG runs: empty raw, audit and aging snapshot tables, and a landing folder of the test's own
    (tmp_path / "landing")."""
    from ingestion import warehouse

    with warehouse.connect(clean_warehouse) as conn:
        exists = conn.execute("select to_regclass('marts.fct_ar_aging')").fetchone()
        if exists and exists[0]:
            conn.execute("truncate marts.fct_ar_aging")
    monkeypatch.setenv("AR_LANDING_DIR", str(tmp_path / "landing"))
    return clean_warehouse


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP receiver for notifications: its URL, and the JSON bodies POSTed to it."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
