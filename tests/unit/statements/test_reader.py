"""The customer statement reader: the template, mapped layouts (CSV and XLSX), and every bad row reported."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.statements.reader import StatementFileError, read_statement_file

HEADER = "customer_id,statement_date,document_ref,document_type,document_date,amount,currency_code\n"

SEMICOLON_MAPPING = """name: acme_semicolon
customer_id: C-ACME
currency: EUR
encoding: cp1252
delimiter: ";"
skip_rows: 2
columns: {statement_date: Stichtag, document_ref: Beleg, document_type: Art, amount: Betrag}
document_types: {RE: invoice, ZA: payment}
date_format: DD.MM.YYYY
decimal_separator: ","
thousands_separator: "."
sign: owed_negative
"""


@pytest.fixture
def mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "acme_semicolon.yml").write_text(SEMICOLON_MAPPING, encoding="utf-8")
    monkeypatch.setenv("AR_STATEMENT_MAPPINGS_DIR", str(folder))
    return folder


def test_template_with_byte_order_mark_and_several_customers(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + HEADER.encode()
        + b"C1,2026-03-31,INV-1,invoice,2026-03-01,100.50,EUR\n"
        + b"C2,2026-03-31,PAY 7,Payment,,-20,usd\n\n"
    )  # fmt: skip
    read = read_statement_file(path)
    assert read.mapping.name == "template" and read.file_format == "csv"
    assert [(r.line_number, r.customer_id, r.document_type, r.document_date, r.amount, r.currency_code)
            for r in read.rows] == [
        (2, "C1", "invoice", date(2026, 3, 1), Decimal("100.50"), "EUR"),
        # Type and currency case-insensitive; an empty document date is allowed; "-20" is -20.00.
        (3, "C2", "payment", None, Decimal("-20.00"), "USD"),
    ]  # fmt: skip
    assert sorted(read.statements()) == [("C1", date(2026, 3, 31)), ("C2", date(2026, 3, 31))]


def test_a_mapped_layout_is_chosen_by_its_header(tmp_path: Path, mappings: Path) -> None:
    path = tmp_path / "acme.csv"
    text = (
        "Kontoauszug ACME GmbH\nStand 31.03.2026\nStichtag;Beleg;Art;Betrag\n"
        "31.03.2026;R-1;RE;-1.234,56\n31.03.2026;Überweisung 5;ZA;200,00\n"
    )
    path.write_bytes(text.encode("cp1252"))
    read = read_statement_file(path)
    assert read.mapping.name == "acme_semicolon"
    # owed_negative: the customer writes what it owes as negative, so the signs flip; the fixed customer and
    # currency fill the missing columns; line numbers count the two lines before the header.
    assert [(r.line_number, r.customer_id, r.document_ref, r.document_type, r.amount, r.currency_code)
            for r in read.rows] == [
        (4, "C-ACME", "R-1", "invoice", Decimal("1234.56"), "EUR"),
        (5, "C-ACME", "Überweisung 5", "payment", Decimal("-200.00"), "EUR"),
    ]  # fmt: skip


def test_every_bad_row_is_reported_with_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "C1,2026-03-31,INV-1,invoice,2026-03-01,100.00,EUR\n"
        + "C1,31.03.2026,INV-2,invoice,,100.00,EUR\n"
        + "C1,2026-03-31,INV-3,bill,,1.005,EUR\n"
        + "C1,2026-03-31,,invoice,,abc,EURO\n",
        encoding="utf-8",
    )
    with pytest.raises(StatementFileError) as caught:
        read_statement_file(path)
    assert [(e.line, e.field, e.reason) for e in caught.value.errors] == [
        (3, "statement_date", "invalid date '31.03.2026' (expected YYYY-MM-DD)"),
        (4, "document_type", "unknown document type 'bill' (expected invoice, credit_note, payment)"),
        (
            4,
            "amount",
            "invalid amount '1.005' (expected digits with '.' before the decimals, at most 2 decimals)",
        ),
        (5, "document_ref", "empty"),
        (
            5,
            "amount",
            "invalid amount 'abc' (expected digits with '.' before the decimals, at most 2 decimals)",
        ),
        (5, "currency_code", "not an ISO 4217 currency code: 'EURO'"),
    ]


def test_an_unknown_layout_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Kunde,Datum,Betrag\nC1,2026-03-31,10\n", encoding="utf-8")
    with pytest.raises(StatementFileError, match="matches neither the template"):
        read_statement_file(path)


def test_not_a_workbook_and_empty_files(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text(HEADER, encoding="utf-8")
    with pytest.raises(StatementFileError, match="not an XLSX workbook"):
        read_statement_file(fake)
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER, encoding="utf-8")
    with pytest.raises(StatementFileError, match="no statement line"):
        read_statement_file(empty)


def test_xlsx_cells_of_every_kind(tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    # Excel has no time zones: a date cell comes back as a naive datetime at midnight.
    sheet.append(["C1", datetime(2026, 3, 31), "INV-1", "invoice", date(2026, 3, 1), 1234.56, "EUR"])  # noqa: DTZ001
    sheet.append(["C1", "2026-03-31", 4711, "invoice", None, 10, "EUR"])
    sheet.append(["C1", 46112, "INV-3", "invoice", None, 10.005, "EUR"])
    path = tmp_path / "s.xlsx"
    workbook.save(path)
    with pytest.raises(StatementFileError) as caught:
        read_statement_file(path)
    # Row 4: a date column holding a plain number, and 10.005 (more than 2 decimals: refused, never rounded).
    assert [(e.line, e.field) for e in caught.value.errors] == [(4, "statement_date"), (4, "amount")]
    sheet.delete_rows(4)
    workbook.save(path)
    read = read_statement_file(path)
    # 1234.56 as typed (a binary double read back by its shortest repr); a numeric document number as text.
    assert [(r.statement_date, r.document_ref, r.amount) for r in read.rows] == [
        (date(2026, 3, 31), "INV-1", Decimal("1234.56")),
        (date(2026, 3, 31), "4711", Decimal("10.00")),
    ]
