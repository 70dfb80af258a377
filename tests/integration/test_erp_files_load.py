"""Loading canonical ERP CSV extracts into raw_erp on a real PostgreSQL: rejects, merge, duplicates, totals."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ingestion import warehouse
from ingestion.erp.files import load_extract_dir

pytestmark = pytest.mark.integration


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_extract_dir_loads_good_rows_rejects_bad_ones_and_loads_each_file_once(
    clean_warehouse: str, tmp_path: Path
) -> None:
    day = tmp_path / "erp" / "2026-01-05"
    _write(day, "customers.csv", "customer_id,customer_name\n007,Acme\n008,Bolt\n")
    _write(
        day,
        "invoices.csv",
        "invoice_id,customer_id,invoice_date,due_date,currency_code,amount\n"
        "I1,007,2026-01-01,2026-01-31,EUR,1000.00\n"
        "I2,008,2026-01-02,2026-02-01,EUR,250.25\n"
        "I3,008,2026-01-02,2026-02-01,EUR,-1.00\n",
    )
    _write(
        day,
        "payments.csv",
        "payment_id,customer_id,payment_date,currency_code,amount,reference\nP1,007,2026-01-04,EUR,400.00,I1\n",
    )
    # applied_date left empty: it defaults to the payment's date (2026-01-04).
    _write(
        day,
        "payment_applications.csv",
        "payment_id,invoice_id,applied_amount,applied_date\nP1,I1,400.00,\nP9,I2,1.00,\n",
    )

    results = load_extract_dir(clean_warehouse, tmp_path / "erp")
    by_entity = {r.entity: r for r in results}
    assert {r.status for r in results} == {"loaded"}
    assert by_entity["invoices"].rows == 2
    # Control totals: 1000.00 + 250.25 = 1250.25 read from the file and received by the database; -1.00 was rejected.
    assert by_entity["invoices"].detail["control_total_source"] == Decimal("1250.25")
    assert by_entity["invoices"].detail["control_total_target"] == Decimal("1250.25")

    with warehouse.connect(clean_warehouse) as conn:
        assert conn.execute("select customer_id from raw_erp.customers order by 1").fetchall() == [
            ("007",),
            ("008",),
        ]
        applied = conn.execute(
            "select payment_id, applied_date::text from raw_erp.payment_applications"
        ).fetchall()
        assert applied == [("P1", "2026-01-04")]
        rejects = conn.execute(
            "select file_name, line_number, field, reason from audit.rejects order by file_name, line_number"
        ).fetchall()
    assert rejects[0][:3] == ("invoices.csv", 4, "amount")
    assert rejects[1][:3] == ("payment_applications.csv", 3, "applied_date")
    assert "P9 is not known" in rejects[1][3]

    again = load_extract_dir(clean_warehouse, tmp_path / "erp")
    assert {r.status for r in again} == {"duplicate"}


def test_changed_extract_merges_only_changed_rows(clean_warehouse: str, tmp_path: Path) -> None:
    _write(
        tmp_path / "d1",
        "customers.csv",
        "customer_id,customer_name,credit_limit\nC1,Acme,1000.00\nC2,Bolt,500.00\n",
    )
    first = load_extract_dir(clean_warehouse, tmp_path / "d1")
    assert first[0].detail["rows_changed"] == 2
    # Next day's full extract: C1 unchanged, C2's limit raised, C3 new -> 2 rows written, C1 keeps its batch.
    _write(
        tmp_path / "d2",
        "customers.csv",
        "customer_id,customer_name,credit_limit\nC1,Acme,1000.00\nC2,Bolt,750.00\nC3,Crane,10.00\n",
    )
    second = load_extract_dir(clean_warehouse, tmp_path / "d2")
    assert second[0].detail["rows_changed"] == 2
    with warehouse.connect(clean_warehouse) as conn:
        rows = conn.execute(
            "select customer_id, credit_limit, _batch_id from raw_erp.customers order by 1"
        ).fetchall()
    assert rows == [
        ("C1", Decimal("1000.00"), first[0].detail["batch_id"]),
        ("C2", Decimal("750.00"), second[0].detail["batch_id"]),
        ("C3", Decimal("10.00"), second[0].detail["batch_id"]),
    ]


def test_file_with_a_bad_header_is_quarantined_and_the_others_load(
    clean_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AR_LANDING_DIR", str(tmp_path / "landing"))
    folder = tmp_path / "x"
    _write(folder, "customers.csv", "customer_id,customer_name\nC1,Acme\n")
    _write(folder, "invoices.csv", "number,client,amount\n1,C1,5.00\n")
    results = {r.entity: r for r in load_extract_dir(clean_warehouse, folder)}
    assert results["customers"].status == "loaded"
    assert results["invoices"].status == "rejected"
    assert "lacks required column(s) invoice_id" in (results["invoices"].reason or "")
    quarantined = tmp_path / "landing" / "quarantine" / "erp_files" / "invoices.csv"
    assert quarantined.exists() and not (folder / "invoices.csv").exists()
    assert "invoice_id" in (quarantined.parent / "invoices.csv.reason.txt").read_text()


def test_clean_warehouse_empties_every_raw_and_audit_table(clean_warehouse: str) -> None:
    # A table missing from conftest.RAW_TABLES keeps one test's rows for the next (fx_rates did, CI found it).
    from tests.conftest import RAW_TABLES

    with warehouse.connect(clean_warehouse) as conn:
        tables = {
            f"{schema}.{name}"
            for schema, name in conn.execute(
                """select table_schema, table_name from information_schema.tables
                    where table_schema in ('raw_erp', 'raw_bank', 'raw_statements', 'audit', 'raw_erp_history')
                      and table_type = 'BASE TABLE'"""
            ).fetchall()
        }
    # raw_erp_history.recording says since when replaced ERP rows are kept: emptying it would refuse every
    # `arwh reproduce`; it is the one table kept.
    assert tables == set(RAW_TABLES) | {"raw_erp_history.recording"}
