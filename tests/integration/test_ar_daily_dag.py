"""ar_daily end to end: `airflow dags test` against a real PostgreSQL, for several business dates.

The runs go through ingestion.airflow_local.run_day, which is what `arwh run` does, and which fails unless the
DAG's summarize task recorded the run as a success in audit.pipeline_runs: a DAG test that ran no task (a date
before start_date, say) cannot pass here.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion import warehouse
from ingestion.airflow_local import run_day

pytestmark = [pytest.mark.integration, pytest.mark.dags]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_hand_made_ledger_ages_to_the_cent_on_two_dates(fresh_warehouse: str, tmp_path: Path) -> None:
    erp = tmp_path / "landing" / "erp"
    _write(
        erp / "customers.csv", "customer_id,customer_name,currency_code,payment_terms_days\nC1,Acme,EUR,30\n"
    )
    _write(
        erp / "invoices.csv",
        "invoice_id,customer_id,invoice_date,due_date,currency_code,amount\n"
        "I1,C1,2026-03-01,2026-03-31,EUR,1000.00\n"
        "I2,C1,2026-01-10,2026-02-09,EUR,500.00\n",
    )
    _write(
        erp / "payments.csv",
        "payment_id,customer_id,payment_date,currency_code,amount,reference\n"
        "P1,C1,2026-03-15,EUR,400.00,I1\n"
        "P2,C1,2026-04-20,EUR,300.00,I1\n",
    )
    _write(
        erp / "payment_applications.csv", "payment_id,invoice_id,applied_amount\nP1,I1,400.00\nP2,I1,300.00\n"
    )
    _write(
        erp / "credit_notes.csv",
        "credit_note_id,invoice_id,customer_id,credit_note_date,amount,reason\nCN1,I1,C1,2026-04-05,100.00,price\n",
    )

    # Everything loads on the first run, the payment of 2026-04-20 included; the as-of rule must ignore it then.
    first = run_day(date(2026, 4, 10))
    # Running the date again changes no raw, intermediate or mart table and no reconciliation result.
    once = _contents(fresh_warehouse)
    run_day(date(2026, 4, 10))
    assert _contents(fresh_warehouse) == once
    second = run_day(date(2026, 4, 20))
    assert first["business_date"] == "2026-04-10" and second["business_date"] == "2026-04-20"
    # No bank statement in this landing: on these weekdays wait_for_bank_files gave up (AR_BANK_WAIT_SECONDS is 0
    # for local runs), the runs went on, and each day's summary says its bank side is incomplete.
    assert (first["bank_statements_for_date"], second["bank_statements_for_date"]) == (False, False)

    with warehouse.connect(fresh_warehouse) as conn:
        aging = conn.execute(
            """select as_of_date::text, invoice_id, open_amount, days_past_due, aging_bucket
                 from marts.fct_ar_aging order by as_of_date, invoice_id"""
        ).fetchall()
        invoices = conn.execute(
            "select invoice_id, open_amount, settled_date from marts.fct_invoices order by invoice_id"
        ).fetchall()
        runs = conn.execute(
            "select business_date::text, outcome, data_tests_from_batch from audit.pipeline_runs order by started_at"
        ).fetchall()
        (first_runs_last_batch,) = conn.execute(
            """select max(batch_id) from audit.load_batches
                where run_id = (select run_id from audit.pipeline_runs order by started_at limit 1)"""
        ).fetchone()
        invocations = conn.execute(
            """select r.business_date::text, i.command, i.as_of_date::text, i.data_tests_from_batch, i.error_count,
                      i.node_count > 100
                 from audit.pipeline_runs r
                 join audit.dbt_invocations i on i.invocation_id = r.dbt_invocation_id and i.pipeline_run_id = r.run_id
                order by r.started_at"""
        ).fetchall()
        # The raw-load checks of each run: how many, and the scope each recorded (the same as its dbt tests').
        raw_check_scopes = conn.execute(
            """select r.business_date::text, count(*), count(distinct c.checked_from_batch),
                      min(c.checked_from_batch)
                 from audit.pipeline_runs r
                 join audit.check_results c on c.run_id = r.run_id and c.table_name like 'raw%%'
                group by r.run_id, r.business_date, r.started_at order by r.started_at"""
        ).fetchall()
        snapshots = conn.execute(
            """select s.as_of_date::text, s.statement_item_count from audit.reconciliation_snapshots s
                join audit.pipeline_runs r using (run_id) order by 1"""
        ).fetchall()

    # By hand. As of 2026-04-10: I1 = 1000.00 - 400.00 (P1, 03-15) - 100.00 (CN1, 04-05) = 500.00; P2 (04-20) is
    # later. Due 03-31, so 10 days past due: 1-30. I2 = 500.00 untouched; due 02-09: 19 days left in February
    # (2026 is not a leap year) + 31 in March + 10 in April = 60 days: 31-60.
    # As of 2026-04-20: I1 = 500.00 - 300.00 (P2) = 200.00, 20 days: 1-30; I2 is 70 days past due: 61-90.
    assert aging == [
        ("2026-04-10", "I1", Decimal("500.00"), 10, "1-30"),
        ("2026-04-10", "I2", Decimal("500.00"), 60, "31-60"),
        ("2026-04-20", "I1", Decimal("200.00"), 20, "1-30"),
        ("2026-04-20", "I2", Decimal("500.00"), 70, "61-90"),
    ]
    # fct_invoices holds the latest build (as of 2026-04-20): neither invoice is settled.
    assert invoices == [("I1", Decimal("200.00"), None), ("I2", Decimal("500.00"), None)]
    # Both runs of 2026-04-10 tested every row (no successful run of an earlier date). 2026-04-20 tested the rows
    # loaded after the last batch before the latest successful run of an earlier date (the re-run) started: those
    # after the first run's last batch.
    assert first_runs_last_batch is not None
    assert runs == [
        ("2026-04-10", "success", None),
        ("2026-04-10", "success", None),
        ("2026-04-20", "success", first_runs_last_batch),
    ]
    # Each run names its dbt build (audit.dbt_invocations, written by the project's on-run-end hook): one `dbt
    # build` of the whole project (over 100 nodes) for the run's date, with the run's test scope, nothing failed.
    assert invocations == [
        ("2026-04-10", "build", "2026-04-10", None, 0, True),
        ("2026-04-10", "build", "2026-04-10", None, 0, True),
        ("2026-04-20", "build", "2026-04-20", first_runs_last_batch, 0, True),
    ]
    # check_raw read the same rows: every row on 2026-04-10 (no scope recorded), the rows after the first run's
    # last batch on 2026-04-20; 49 raw-load checks each run (tests/integration/test_expectations.py counts them).
    assert raw_check_scopes == [
        ("2026-04-10", 49, 0, None),
        ("2026-04-10", 49, 0, None),
        ("2026-04-20", 49, 1, first_runs_last_batch),
    ]
    # Each run kept its reconciliation snapshot (no customer statements in this ledger: empty ones).
    assert snapshots == [("2026-04-10", 0), ("2026-04-10", 0), ("2026-04-20", 0)]


# The tables a run's results live in. Left out: the logs of every run, which a second run adds to by design
# (audit.pipeline_runs, load_batches, file_deliveries, dbt_invocations, check_results, reconciliation_snapshots).
# The reconciliation results are compared without their snapshot: each run keeps its own snapshot of them.
CONTENT_SCHEMAS = ("raw_erp", "raw_bank", "raw_statements", "raw_erp_history", "intermediate", "marts")
CONTENT_AUDIT = ("files", "rejects", "statement_events", "customer_statement_events", "watermarks",
                 "statement_reconciliation_results", "bank_reconciliation_results")  # fmt: skip


def _contents(url: str) -> dict[str, tuple[int, str]]:
    """Every result table: its distinct rows' count and an md5 of them in order (snapshot_id left out; every other
    column counts, load timestamps included: a re-run must not even rewrite an unchanged row)."""
    found: dict[str, tuple[int, str]] = {}
    with warehouse.connect(url) as conn:
        tables = conn.execute(
            """select table_schema, table_name from information_schema.tables
                where table_schema = any(%s) or (table_schema = 'audit' and table_name = any(%s))""",
            (list(CONTENT_SCHEMAS), list(CONTENT_AUDIT)),
        ).fetchall()
        for schema, table in tables:
            columns = [
                c for (c,) in conn.execute(
                    """select column_name from information_schema.columns
                        where table_schema = %s and table_name = %s order by ordinal_position""",
                    (schema, table),
                ).fetchall()
                if c not in ("snapshot_id",)
            ]  # fmt: skip
            listed = ", ".join(f'"{c}"' for c in columns)
            count, digest = conn.execute(
                f"""select count(*), md5(coalesce(string_agg(r::text, '|' order by r::text), ''))
                      from (select distinct {listed} from "{schema}"."{table}") as r"""
            ).fetchone()
            found[f"{schema}.{table}"] = (count, digest)
    assert "marts.fct_ar_aging" in found and "raw_erp.invoices" in found
    return found


def test_generated_company_loads_completely_and_ties_to_its_manifest(
    fresh_warehouse: str, tmp_path: Path
) -> None:
    from ingestion.generate import generate

    landing = tmp_path / "landing"
    start = date(2026, 3, 2)  # a Monday: bank files are written on weekdays
    generate(seed=7, scale=0.005, start=start, days=10, landing=landing)
    manifest = json.loads((landing / "manifest.json").read_text())
    expected = manifest["expected"]
    last_day = date(2026, 3, 11)

    run_day(start)
    run_day(last_day)

    with warehouse.connect(fresh_warehouse) as conn:
        invoices = conn.execute("select count(*), sum(amount) from raw_erp.invoices").fetchone()
        open_by_currency = dict(
            conn.execute(
                "select currency_code, sum(open_amount) from marts.fct_ar_aging where as_of_date = %s group by 1",
                (last_day,),
            ).fetchall()
        )
        statements = dict(
            conn.execute("select account_id, count(*) from raw_bank.statements group by 1").fetchall()
        )
        deliveries = conn.execute(
            "select file_path, outcome from audit.file_deliveries where outcome = 'duplicate'"
        ).fetchall()
        failed_checks = conn.execute(
            """select check_name from audit.check_results
                where not success and as_of_date = %s and suite_name like 'raw%%'""",
            (last_day,),
        ).fetchall()
        mart_checks = dict(
            conn.execute(
                """select check_name, unexpected_count from audit.check_results
                    where as_of_date = %s and suite_name like 'marts%%'""",
                (last_day,),
            ).fetchall()
        )
        first_day_rows = conn.execute(
            "select count(*) from marts.fct_ar_aging where as_of_date = %s", (start,)
        ).fetchone()

    assert invoices == (expected["erp"]["invoices"]["count"], Decimal(expected["erp"]["invoices"]["amount"]))
    # The ERP's open balance at the end of the period, per currency, as the generator computed it.
    assert open_by_currency == {k: Decimal(v) for k, v in expected["erp"]["open_balance_at_end"].items()}
    # Every account's statements up to the last day are loaded once; the re-delivered file is a duplicate.
    for account, numbers in expected["bank"]["accounts"].items():
        assert statements[account] == numbers["statements"]
    duplicate = next(a for a in manifest["anomalies"] if a["type"] == "duplicate_bank_file")
    assert [(Path(p).name, o) for p, o in deliveries] == [
        (Path(duplicate["duplicate_path"]).name, "duplicate")
    ]
    assert failed_checks == []

    # The mart checks flag what the generator planted, no more: two statement anomalies per statement date (the
    # last day is the only one), unapplied cash and unbanked payments once older than the 5-day window.
    def planted(kind: str, day_key: str, older_than: int | None = None) -> int:
        return sum(
            1
            for a in manifest["anomalies"]
            if a["type"] == kind
            and date.fromisoformat(a[day_key]) <= last_day
            and (older_than is None or (last_day - date.fromisoformat(a[day_key])).days > older_than)
        )

    assert mart_checks == {
        "listed_unexpected_rows_expectation(statement_differences_unexplained)": planted(
            "statement_amount_mismatch", "statement_date"
        )
        + planted("invoice_unknown_to_customer", "statement_date"),
        "listed_unexpected_rows_expectation(unapplied_cash_older_than_days)": planted(
            "payment_not_in_erp", "booking_date", older_than=5
        ),
        "listed_unexpected_rows_expectation(payments_not_banked_after_window)": planted(
            "payment_not_banked", "date", older_than=5
        ),
        "listed_unexpected_rows_expectation(bank_amount_differences_and_duplicates)": 0,
        "listed_unexpected_rows_expectation(rollforward_ties)": 0,
    }
    assert mart_checks["listed_unexpected_rows_expectation(statement_differences_unexplained)"] == 2
    # The run wrote the auditor's report for the day, listing the two statement anomalies it found.
    from ingestion.config import reports_dir

    report = reports_dir() / last_day.isoformat() / f"report_{last_day.isoformat()}.html"
    assert 'data-figure="1">2</td>' in report.read_text(encoding="utf-8")
    assert first_day_rows is not None and first_day_rows[0] > 0


def test_the_reload_source_param_rereads_the_erp_and_rewrites_only_what_differs(
    fresh_warehouse: str, tmp_path: Path
) -> None:
    erp = tmp_path / "landing" / "erp"
    _write(erp / "customers.csv", "customer_id,customer_name,currency_code\nC1,Acme,EUR\n")
    _write(
        erp / "invoices.csv",
        "invoice_id,customer_id,invoice_date,due_date,currency_code,amount\n"
        "I1,C1,2026-03-01,2026-03-31,EUR,1000.00\n"
        "I2,C1,2026-03-05,2026-04-04,EUR,500.00\n",
    )
    day = date(2026, 4, 10)
    run_day(day)
    # Someone edits the warehouse by hand: I2 becomes 999.00. A plain re-run would not see it (the extract file
    # is already loaded, by sha256); a re-load of the ERP reads the file again.
    with warehouse.connect(fresh_warehouse) as conn:
        conn.execute("update raw_erp.invoices set amount = 999.00 where invoice_id = 'I2'")
        conn.commit()
        batches_before = dict(conn.execute("select invoice_id, _batch_id from raw_erp.invoices").fetchall())

    summary = run_day(day, params={"reload_source": "erp"})
    assert summary["business_date"] == "2026-04-10"
    with warehouse.connect(fresh_warehouse) as conn:
        invoices = dict(conn.execute("select invoice_id, amount from raw_erp.invoices").fetchall())
        batches_after = dict(conn.execute("select invoice_id, _batch_id from raw_erp.invoices").fetchall())
        open_ar = conn.execute(
            "select sum(open_amount) from marts.fct_ar_aging where as_of_date = %s", (day,)
        ).fetchone()
        reloads = conn.execute(
            """select count(*) from audit.file_deliveries
                where outcome = 'loaded' and file_path like '%%invoices.csv'"""
        ).fetchone()
    # I2 is back to the ERP's 500.00 in a new batch; I1, equal to the file, was not rewritten.
    assert invoices == {"I1": Decimal("1000.00"), "I2": Decimal("500.00")}
    assert batches_after["I1"] == batches_before["I1"] and batches_after["I2"] != batches_before["I2"]
    # Nothing paid: 1000.00 + 500.00 open as of the date, the aging rebuilt from the repaired row.
    assert open_ar == (Decimal("1500.00"),)
    # The file's two loads are both in the delivery log: the first run's and the re-load's.
    assert reloads == (2,)
