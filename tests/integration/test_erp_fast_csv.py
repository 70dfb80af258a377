"""The server-side way in for ERP extract files (ingestion/erp/fast_csv.py) loads exactly what reading them in
Python loads: the same rows, the same rejects (line, field, reason), the same counts and control totals.

Each file below is loaded twice into an emptied warehouse: as the loader does it (PostgreSQL parses and types
what has the plain shape, Python takes a second look at the rest), and with the fast path switched off (every
record through ingestion.erp.records.coerce_record). The files mix plain rows, valid rows of an unusual shape
(padding, a plus sign, three decimals that are zeros, a lower-case currency, a non-breaking space, yes/no
booleans), bad ones (an impossible date, three decimals, a negative amount, a due date before the invoice date,
a missing value, a rate from a currency to itself), a blank row and a duplicate key.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ingestion import warehouse
from ingestion.erp import fast_csv
from ingestion.erp.files import load_extract_dir

pytestmark = pytest.mark.integration

NBSP = "\u00a0"

FILES = {
    "fx_rates.csv": (
        "rate_date,currency_code,functional_currency_code,rate\n"
        "2026-03-01,USD,EUR,0.9154\n"
        "2026-03-01,GBP,EUR,1.1700000000\n"
        "2026-03-02,usd,eur,0.92\n"  # lower case: valid, upper-cased
        "2026-03-02,EUR,EUR,1\n"  # to itself: rejected
        "2026-03-03,USD,EUR,0\n"  # not positive: rejected
    ),
    "customers.csv": (
        "customer_id,customer_name,country_code,currency_code,credit_limit,payment_terms_days,risk_grade,insured_share\n"
        "C1,Acme,DE,EUR,5000.00,30,A,0.85\n"
        f"C2, Bolt{NBSP},de,eur,+7000,45,B,1\n"  # padding, a non-breaking space, a plus sign: valid
        "C3,Crane,,,,,,\n"  # optional values empty
        "C4,Delta,DE,EUR,100.123,30,A,0.5\n"  # three decimals: rejected
        "C5,Echo,DE,EUR,100,-5,A,0.5\n"  # negative terms: rejected
        ",,,,,,,\n"  # a blank row: skipped, not a record
        "C1,Acme again,DE,EUR,1,30,A,0\n"  # duplicate key: rejected, the first kept
    ),
    "invoices.csv": (
        "invoice_id,customer_id,invoice_date,due_date,currency_code,amount,is_disputed\n"
        "I1,C1,2026-03-01,2026-03-31,EUR,1000.00,\n"
        "I2,C2,2026-03-02,2026-04-01,EUR,250.500,yes\n"  # 250.500 is 250.50: valid
        "I3,C2,2026-02-30,2026-03-30,EUR,10.00,no\n"  # no such day: rejected
        "I4,C1,2026-03-05,2026-03-01,EUR,10.00,false\n"  # due before issued: rejected
        "I5,C1,2026-03-05,2026-04-04,EUR,-3.00,\n"  # negative: rejected
        "I6,C3,2026-03-06,2026-04-05,EUR,,\n"  # amount missing: rejected
        "I7,C3,2024-02-29,2024-03-30,EUR, 99.99 ,X\n"  # leap day, a padded amount, X for true: valid
        "I8,C1,2026-03-07,2026-04-06,EUR,12.34,maybe\n"  # not a boolean: rejected
    ),
}


def _load(url: str, folder: Path) -> dict[str, Any]:
    results = load_extract_dir(url, folder)
    with warehouse.connect(url) as conn:
        tables = {
            name: conn.execute(f"select * from raw_erp.{name} order by 1, 2").fetchall()
            for name in ("fx_rates", "customers", "invoices")
        }
        for rows in tables.values():  # drop the batch id and load time: they differ between the two loads
            rows[:] = [tuple(v for v in row[:-2]) for row in rows]
        rejects = conn.execute(
            "select entity, line_number, field, reason, record_ref from audit.rejects order by 1, 2, 3"
        ).fetchall()
        batches = conn.execute(
            """select entity, rows_read, rows_loaded, rows_rejected, control_total_source, control_total_target
                 from audit.load_batches order by entity"""
        ).fetchall()
    for result in results:  # each file's load says where its time went (the phases are its parts)
        inside = sum(spent for phase, spent in result.seconds.items() if phase != "file")
        assert all(spent >= 0 for spent in result.seconds.values())
        assert inside <= result.seconds["file"]
    return {
        "phases": [sorted(r.seconds) for r in results],
        "results": [(r.entity, r.status, r.rows) for r in results],
        "tables": tables,
        "rejects": rejects,
        "batches": batches,
    }


def _empty(url: str) -> None:
    with warehouse.connect(url) as conn:
        conn.execute(
            "truncate raw_erp.fx_rates, raw_erp.customers, raw_erp.invoices, raw_erp_history.customers, "
            "raw_erp_history.invoices, raw_erp_history.fx_rates, audit.load_batches, audit.files, "
            "audit.file_deliveries, audit.rejects restart identity cascade"
        )
        conn.commit()


def test_the_server_side_path_loads_what_python_loads(
    clean_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")

    typed_by_server: list[int] = []
    copy_extract = fast_csv.copy_extract

    def counting(*args: Any) -> Any:
        staged = copy_extract(*args)
        typed_by_server.append(staged is not None)
        return staged

    monkeypatch.setattr("ingestion.erp.files.copy_extract", counting)
    fast = _load(clean_warehouse, folder)
    _empty(clean_warehouse)
    monkeypatch.setattr("ingestion.erp.files.copy_extract", lambda *args: None)
    python = _load(clean_warehouse, folder)

    # All three files went the server's way (none fell back), and the outcome is the same in every respect.
    assert typed_by_server == [True, True, True]
    assert fast.pop("phases") == [["checks", "copy", "file", "merge", "type"]] * 3
    assert python.pop("phases") == [["checks", "file", "merge", "read"]] * 3
    assert fast == python

    # And it is the right outcome, worked out by hand from the files above.
    assert fast["tables"]["fx_rates"] == [
        (date_(2026, 3, 1), "GBP", "EUR", Decimal("1.1700000000"), None),
        (date_(2026, 3, 1), "USD", "EUR", Decimal("0.9154000000"), None),
        (date_(2026, 3, 2), "USD", "EUR", Decimal("0.9200000000"), None),
    ]
    customers = {row[0]: row[1:] for row in fast["tables"]["customers"]}
    assert sorted(customers) == ["C1", "C2", "C3"]
    assert customers["C1"][:1] == ("Acme",)  # the first C1 kept
    assert customers["C2"][:5] == ("Bolt", "DE", "EUR", Decimal("7000.00"), 45)  # stripped, upper-cased
    invoices = {row[0]: (row[5], row[6]) for row in fast["tables"]["invoices"]}
    assert invoices == {
        "I1": (Decimal("1000.00"), False),
        "I2": (Decimal("250.50"), True),
        "I7": (Decimal("99.99"), True),
    }
    # Rejects by file line (the header is line 1): fx_rates 5 and 6; customers 5, 6 and 8 (the duplicate of line
    # 2; the blank row 7 is no record); invoices 4, 5, 6, 7 and 9.
    assert [(entity, line, field) for entity, line, field, _, _ in fast["rejects"]] == [
        ("customers", 5, "credit_limit"),
        ("customers", 6, "payment_terms_days"),
        ("customers", 8, "customer_id"),
        ("fx_rates", 5, "currency_code"),
        ("fx_rates", 6, "rate"),
        ("invoices", 4, "invoice_date"),
        ("invoices", 5, "due_date"),
        ("invoices", 6, "amount"),
        ("invoices", 7, "amount"),
        ("invoices", 9, "is_disputed"),
    ]
    # Counts and control totals: invoices read 8 records, loaded 3; 1000.00 + 250.50 + 99.99 = 1350.49.
    batches = {row[0]: row[1:] for row in fast["batches"]}
    assert batches["invoices"] == (8, 3, 5, Decimal("1350.49"), Decimal("1350.49"))
    assert batches["customers"][:3] == (6, 3, 3)


def date_(year: int, month: int, day: int) -> Any:
    from datetime import date

    return date(year, month, day)


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        (
            "invoices.csv",
            "invoice_id,customer_id,invoice_date,due_date,currency_code,amount\n"
            'I1,C1,2026-03-01,2026-03-31,EUR,"1000.00"\n'
            'I2,"C1\nsecond line",2026-03-01,2026-03-31,EUR,5.00\n',
            "a field spans two lines",
        ),
        (
            "invoices.csv",
            "invoice_id,customer_id,invoice_date,due_date,currency_code,amount\n"
            "I1,C1,2026-03-01,2026-03-31,EUR,1000.00\nI2,C1,2026-03-01\n",
            "a line with too few fields",
        ),
    ],
    ids=["multi-line field", "short line"],
)
def test_files_the_server_cannot_take_as_they_are_are_read_in_python(
    clean_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, why: str
) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customers.csv").write_text("customer_id,customer_name\nC1,Acme\n")
    (folder / name).write_text(text)
    outcomes: list[bool] = []
    copy_extract = fast_csv.copy_extract

    def counting(*args: Any) -> Any:
        staged = copy_extract(*args)
        outcomes.append(staged is not None)
        return staged

    monkeypatch.setattr("ingestion.erp.files.copy_extract", counting)
    results = {r.entity: r for r in load_extract_dir(clean_warehouse, folder)}
    # customers.csv went the server's way, the invoices file (why: see the parameter) was read in Python.
    assert outcomes == [True, False], why
    assert results["invoices"].status == "loaded"
    with warehouse.connect(clean_warehouse) as conn:
        invoices = conn.execute("select invoice_id from raw_erp.invoices order by 1").fetchall()
        rejects = conn.execute("select line_number, reason from audit.rejects").fetchall()
    if why == "a field spans two lines":
        # Both records load; I2's customer keeps its line break.
        assert invoices == [("I1",), ("I2",)] and rejects == []
    else:
        # I1 loads; the short line 3 is rejected with its field count.
        assert invoices == [("I1",)]
        assert rejects == [(3, "expected 6 fields, found 3")]
