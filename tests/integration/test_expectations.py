"""The raw-load GX checks against a real PostgreSQL: what passes, what fails, and what lands in audit.check_results.

Uses the test warehouse of tests/conftest.py (AR_WAREHOUSE_URL, or the local cluster), which it empties: the
raw and audit tables before each test, which then loads the small data set below, so the tests share no rows. The GX project is a temporary folder per module, so expectations/gx/ is only read.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from expectations.run import CheckExecutionError, CheckRunSummary, quiet_gx_logging, run_raw_checks
from ingestion.config import GX_PROJECT_DIR, libpq_url

pytestmark = pytest.mark.integration

AS_OF = date(2024, 3, 31)
FILE_SHA = "a" * 64
IBAN = "DE89370400440532013000"

# 8 suites, 49 expectations, counted from expectations/suites.py:
#   customers 4 (columns, key not null, key unique, currency), invoices 7 (+ amount not null, amount > 0,
#   due >= invoice date), credit_notes 5 (columns, key x2, amount x2), payments 6 (credit_notes' + currency),
#   payment_applications 5 (columns, 2 key columns not null, compound unique, applied_amount not null),
#   write_offs 5, statements 10 (columns, 2 not null, compound unique, currency, credit >= 0, debit <= 0,
#   line_count >= 0, balance identity, control totals), statement_lines 7 (columns, 3 not null, compound unique,
#   currency, lines have a statement): 4 + 7 + 5 + 6 + 5 + 5 + 10 + 7 = 49.
EXPECTED_CHECKS = 49

# A data set that satisfies every rule. Statement 1: 1000.00 + 1100.00 - 250.00 = 1850.00 = closing balance, and
# its two lines (+1100.00, -250.00) give line_count 2, credit_total 1100.00, debit_total -250.00. Statement 2 has
# no lines and no movement: 1850.00 + 0 + 0 = 1850.00.
GOOD_DATA = f"""
insert into raw_erp.customers (customer_id, customer_name, country_code, currency_code, credit_limit,
                               payment_terms_days, _batch_id)
values ('C001', 'Acme GmbH', 'DE', 'EUR', 5000.00, 30, 1),
       ('C002', 'Globex Inc', 'US', 'USD', 1000.00, 30, 1);
insert into raw_erp.invoices (invoice_id, customer_id, invoice_date, due_date, currency_code, amount, _batch_id)
values ('INV-1001', 'C001', '2024-03-01', '2024-03-31', 'EUR', 1200.00, 1),
       ('INV-1002', 'C002', '2024-03-05', '2024-04-04', 'USD', 350.50, 1);
insert into raw_erp.credit_notes (credit_note_id, invoice_id, customer_id, credit_note_date, amount, _batch_id)
values ('CN-0001', 'INV-1001', 'C001', '2024-03-10', 100.00, 1);
insert into raw_erp.payments (payment_id, customer_id, payment_date, currency_code, amount, _batch_id)
values ('PAY-0001', 'C001', '2024-03-20', 'EUR', 1100.00, 1);
insert into raw_erp.payment_applications (payment_id, invoice_id, applied_amount, applied_date, _batch_id)
values ('PAY-0001', 'INV-1001', 1100.00, '2024-03-20', 1);
insert into raw_erp.write_offs (write_off_id, invoice_id, write_off_date, amount, _batch_id)
values ('WO-0001', 'INV-1002', '2024-03-31', 0.50, 1);
insert into raw_bank.statements (file_sha256, statement_index, file_format, account_id, currency_code,
                                 opening_balance, closing_balance, statement_date, line_count, credit_total,
                                 debit_total, _batch_id)
values ('{FILE_SHA}', 1, 'camt053', '{IBAN}', 'EUR', 1000.00, 1850.00, '2024-03-20', 2, 1100.00, -250.00, 2),
       ('{FILE_SHA}', 2, 'camt053', '{IBAN}', 'EUR', 1850.00, 1850.00, '2024-03-21', 0, 0, 0, 2);
insert into raw_bank.statement_lines (file_sha256, statement_index, line_index, account_id, currency_code,
                                      booking_date, amount, _batch_id)
values ('{FILE_SHA}', 1, 1, '{IBAN}', 'EUR', '2024-03-20', 1100.00, 2),
       ('{FILE_SHA}', 1, 2, '{IBAN}', 'EUR', '2024-03-20', -250.00, 2);
"""


@pytest.fixture
def warehouse(clean_warehouse: str) -> str:
    """The project's test warehouse (tests/conftest.py starts one when AR_WAREHOUSE_URL is not set), emptied."""
    return clean_warehouse


@pytest.fixture(scope="module")
def gx_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gx_project")


def execute(url: str, sql: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute(sql)


def fetch(url: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with psycopg.connect(libpq_url(url)) as connection:
        return connection.execute(sql, params).fetchall()


@pytest.fixture
def good_data(warehouse: str) -> str:
    execute(warehouse, GOOD_DATA)
    return warehouse


def run(url: str, gx_root: Path, run_id: str) -> CheckRunSummary:
    return run_raw_checks(AS_OF, run_id=run_id, warehouse_url=url, project_root_dir=gx_root)


def test_good_data_passes_every_check_and_is_recorded_once_per_run(good_data: str, gx_root: Path) -> None:
    summary = run(good_data, gx_root, "test-good")

    assert [r.check_name for r in summary.failures] == []
    assert (summary.checks_run, summary.passed, summary.failed) == (EXPECTED_CHECKS, EXPECTED_CHECKS, 0)
    assert (
        summary.data_docs_path == gx_root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    )
    assert summary.data_docs_path.is_file()

    rows = fetch(
        good_data,
        "select count(*), count(*) filter (where success), min(as_of_date), count(distinct suite_name)"
        " from audit.check_results where run_id = %s",
        ("test-good",),
    )
    assert rows == [(EXPECTED_CHECKS, EXPECTED_CHECKS, AS_OF, 8)]

    # A retried task reuses its run id: the run's rows are replaced, not doubled.
    run(good_data, gx_root, "test-good")
    assert fetch(good_data, "select count(*) from audit.check_results") == [(EXPECTED_CHECKS,)]


def test_closing_balance_off_by_a_cent_fails_the_balance_identity(good_data: str, gx_root: Path) -> None:
    # Statement 1 now closes at 1850.01; 1000.00 + 1100.00 + (-250.00) = 1850.00, so it is off by 1850.01 -
    # 1850.00 = 0.01. Its lines are untouched, so the control totals still agree and nothing else fails.
    execute(
        good_data,
        f"update raw_bank.statements set closing_balance = 1850.01 where file_sha256 = '{FILE_SHA}'"
        " and statement_index = 1",
    )

    summary = run(good_data, gx_root, "test-balance")

    assert [(r.table_name, r.check_name) for r in summary.failures] == [
        ("raw_bank.statements", "listed_unexpected_rows_expectation(statement_balance_identity)")
    ]
    failure = summary.failures[0]
    assert failure.unexpected_count == 1
    assert failure.unexpected_amount == Decimal("0.01")
    assert len(failure.offending_keys) == 1
    offending = failure.offending_keys[0]
    assert (offending["file_sha256"], offending["statement_index"]) == (FILE_SHA, 1)
    assert Decimal(offending["difference"]) == Decimal("0.01")

    recorded = fetch(
        good_data,
        "select unexpected_count, unexpected_amount, offending_keys @> %s::jsonb from audit.check_results"
        " where run_id = %s and not success",
        (f'[{{"file_sha256": "{FILE_SHA}", "statement_index": 1}}]', "test-balance"),
    )
    assert recorded == [(1, Decimal("0.01"), True)]

    # The Data Docs page of the run lists the statement, not only the count of offending rows.
    page = Path(failure.details["data_docs_page"].removeprefix("file://"))
    assert "1850.01" in page.read_text()


def test_negative_invoice_amount_fails_its_check(good_data: str, gx_root: Path) -> None:
    # INV-1002 keeps its unique id but its amount turns negative: only "amount > 0" on invoices fails, with the
    # one offending row and 350.50 of money at stake (the absolute value of -350.50).
    execute(good_data, "update raw_erp.invoices set amount = -350.50 where invoice_id = 'INV-1002'")

    summary = run(good_data, gx_root, "test-negative")

    assert [(r.table_name, r.check_name) for r in summary.failures] == [
        ("raw_erp.invoices", "expect_column_values_to_be_between(amount)")
    ]
    failure = summary.failures[0]
    assert (failure.element_count, failure.unexpected_count) == (2, 1)
    assert failure.unexpected_amount == Decimal("350.50")
    assert failure.offending_keys == [{"invoice_id": "INV-1002", "amount": "-350.50"}]
    unique = [r for r in summary.results if r.check_name == "expect_column_values_to_be_unique(invoice_id)"]
    assert [r.success for r in unique] == [True]

    assert fetch(
        good_data,
        "select table_name, check_name, unexpected_amount, offending_keys from audit.check_results"
        " where run_id = %s and not success",
        ("test-negative",),
    ) == [
        (
            "raw_erp.invoices",
            "expect_column_values_to_be_between(amount)",
            Decimal("350.50"),
            [{"invoice_id": "INV-1002", "amount": "-350.50"}],
        )
    ]


def test_missing_statement_line_fails_the_control_totals(good_data: str, gx_root: Path) -> None:
    # Line 2 (-250.00) of statement 1 is lost. The statement still says 2 lines, 1100.00 in and -250.00 out; the
    # remaining line gives 1 line, 1100.00 in and 0 out: debit difference 0 - (-250.00) = 250.00, credit
    # difference 0, so 250.00 is at stake. The statement row itself still adds up.
    execute(
        good_data, f"delete from raw_bank.statement_lines where file_sha256 = '{FILE_SHA}' and line_index = 2"
    )

    summary = run(good_data, gx_root, "test-control-totals")

    assert [r.check_name for r in summary.failures] == [
        "listed_unexpected_rows_expectation(statement_control_totals)"
    ]
    failure = summary.failures[0]
    assert failure.unexpected_amount == Decimal("250.00")
    offending = failure.offending_keys[0]
    assert (offending["statement_index"], offending["line_count"], offending["lines_line_count"]) == (1, 2, 1)
    assert Decimal(offending["debit_difference"]) == Decimal("250.00")


def test_a_scoped_run_checks_the_rows_loaded_after_its_batch_and_records_the_scope(
    good_data: str, gx_root: Path
) -> None:
    # GOOD_DATA loads the ERP in batch 1 and the bank in batch 2. An earlier day left INV-1003 with a negative
    # amount (batch 1); today's batch 3 brings INV-1004 (20.00, good) and statement 3, whose one line (+20.00)
    # gives 1850.00 + 20.00 + 0 = 1870.00 and agrees with its totals.
    execute(
        good_data,
        f"""
        insert into raw_erp.invoices (invoice_id, customer_id, invoice_date, due_date, currency_code, amount,
                                      _batch_id)
        values ('INV-1003', 'C001', '2024-03-02', '2024-04-01', 'EUR', -5.00, 1),
               ('INV-1004', 'C001', '2024-03-30', '2024-04-29', 'EUR', 20.00, 3);
        insert into raw_bank.statements (file_sha256, statement_index, file_format, account_id, currency_code,
                                         opening_balance, closing_balance, statement_date, line_count,
                                         credit_total, debit_total, _batch_id)
        values ('{"b" * 64}', 1, 'camt053', '{IBAN}', 'EUR', 1850.00, 1870.00, '2024-03-30', 1, 20.00, 0, 3);
        insert into raw_bank.statement_lines (file_sha256, statement_index, line_index, account_id,
                                              currency_code, booking_date, amount, _batch_id)
        values ('{"b" * 64}', 1, 1, '{IBAN}', 'EUR', '2024-03-30', 20.00, 3);
        """,
    )
    amount_check = "expect_column_values_to_be_between(amount)"

    # After batch 2: only batch 3 is read, so the invoice amounts checked are INV-1004's alone and pass; the
    # statements checked are statement 3 alone (its control totals read its own line).
    scoped = run_raw_checks(
        AS_OF, run_id="test-scoped", warehouse_url=good_data, project_root_dir=gx_root, from_batch=2
    )
    assert (scoped.checks_run, scoped.failed, scoped.checked_from_batch) == (EXPECTED_CHECKS, 0, 2)
    counts = {(r.table_name, r.check_name): r.element_count for r in scoped.results}
    assert counts[("raw_erp.invoices", amount_check)] == 1
    assert counts[("raw_erp.payments", amount_check)] == 0
    assert counts[("raw_bank.statements", "expect_column_values_to_match_regex(currency_code)")] == 1
    assert fetch(
        good_data,
        "select count(*), min(checked_from_batch), max(checked_from_batch) from audit.check_results"
        " where run_id = 'test-scoped'",
    ) == [(EXPECTED_CHECKS, 2, 2)]

    # Every row (the weekly full check): the earlier day's INV-1003 fails; the four invoices INV-1001..1004 are
    # read; 5.00 at stake.
    whole = run(good_data, gx_root, "test-whole")
    assert whole.checked_from_batch is None
    assert [(r.table_name, r.check_name) for r in whole.failures] == [("raw_erp.invoices", amount_check)]
    failure = whole.failures[0]
    assert (failure.element_count, failure.unexpected_count, failure.unexpected_amount) == (
        4,
        1,
        Decimal("5.00"),
    )
    assert failure.offending_keys == [{"invoice_id": "INV-1003", "amount": "-5.00"}]
    assert fetch(
        good_data,
        "select count(*) from audit.check_results where run_id = 'test-whole' and checked_from_batch is null",
    ) == [(EXPECTED_CHECKS,)]

    # The scope is the connection's setting: a scoped run leaves the next run's connections unscoped.
    with psycopg.connect(libpq_url(good_data)) as connection:
        assert connection.execute("select count(*) from raw_scope.raw_erp__invoices").fetchone() == (4,)
        connection.execute("set arwh.checks_from_batch = 2")
        assert connection.execute("select invoice_id from raw_scope.raw_erp__invoices").fetchall() == [
            ("INV-1004",)
        ]


def test_a_check_gx_cannot_evaluate_raises_and_records_nothing(good_data: str, gx_root: Path) -> None:
    # The checks read raw_scope's views (migration 018), so the column goes missing there. (Renaming it in
    # raw_erp.write_offs would not reach the view, which keeps its column names; the next `arwh init` would
    # then fail to re-create the view, which is how a raw table's drift shows.)
    execute(good_data, "alter view raw_scope.raw_erp__write_offs rename column amount to amount_renamed")
    try:
        with pytest.raises(CheckExecutionError, match=r"raw_erp__write_offs .*\(amount\)"):
            run(good_data, gx_root, "test-error")
    finally:
        execute(good_data, "alter view raw_scope.raw_erp__write_offs rename column amount_renamed to amount")
    assert fetch(good_data, "select count(*) from audit.check_results where run_id = 'test-error'") == [(0,)]


def test_an_unreachable_warehouse_raises(gx_root: Path) -> None:
    with pytest.raises(psycopg.OperationalError):
        run("postgresql://nobody@127.0.0.1:1/nowhere", gx_root, "test-unreachable")


def test_gx_info_logging_is_silenced_when_airflow_logging_is_set_up_first(
    good_data: str, gx_root: Path
) -> None:
    # Importing Airflow first installs a root handler at INFO; GX would then print ~200 "Skipping registering
    # function" lines while it imports. A fresh interpreter, because this one has imported GX already.
    script = (
        "import sys, datetime, pathlib\n"
        "import airflow.sdk\n"
        "from expectations.run import run_raw_checks\n"
        "s = run_raw_checks(datetime.date(2024, 3, 31), run_id='test-logging', warehouse_url=sys.argv[1],"
        " project_root_dir=pathlib.Path(sys.argv[2]))\n"
        "print('checks', s.checks_run, s.failed)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, good_data, str(gx_root)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"},
    )
    output = done.stdout + done.stderr
    assert f"checks {EXPECTED_CHECKS} 0" in output
    assert "Skipping registering function" not in output


def test_committed_gx_project_matches_the_suites_in_code(warehouse: str, tmp_path: Path) -> None:
    committed = GX_PROJECT_DIR / "gx"
    assert (committed / "great_expectations.yml").is_file(), (
        "run `python -m expectations register` and commit gx/"
    )
    copy = tmp_path / "gx"
    shutil.copytree(committed, copy, ignore=shutil.ignore_patterns("uncommitted"))

    with quiet_gx_logging():
        from expectations.context import get_context, register, warehouse_connection

    with quiet_gx_logging(), warehouse_connection(warehouse):
        register(get_context(tmp_path))

    changed = []
    for folder in ("expectations", "validation_definitions", "checkpoints"):
        comparison = filecmp.dircmp(committed / folder, copy / folder)
        changed += comparison.diff_files + comparison.left_only + comparison.right_only
    if not filecmp.cmp(committed / "great_expectations.yml", copy / "great_expectations.yml", shallow=False):
        changed.append("great_expectations.yml")
    assert changed == [], "expectations/gx/ is stale: run `python -m expectations register` and commit gx/"
