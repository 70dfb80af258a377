"""CSV statements through per-bank mappings: hand-made fixtures with hand-worked numbers, the three sign conventions,
detection by header, mapping checks, row errors naming line and column, streaming."""

from __future__ import annotations

import io
import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.bank import csv_statement
from ingestion.bank.csv_statement import (
    CsvMapping,
    CsvMappingError,
    available_csv_mappings,
    load_csv_mapping,
    parse_csv_statement,
)
from ingestion.bank.detect import parse_statement_file
from ingestion.bank.records import StatementLine, StatementParseError, StatementSummary
from ingestion.text_values import parse_number

from .helpers import FIXTURES, as_stream, split

GERMAN = "de_giro_semicolon"
US = "us_commercial_debit_credit"


def _parse(data: bytes | str, mapping: CsvMapping) -> tuple[list[StatementLine], list[StatementSummary]]:
    return split(parse_csv_statement(as_stream(data), mapping=mapping))


def _parse_fixture(name: str, mapping: str) -> tuple[list[StatementLine], list[StatementSummary]]:
    with (FIXTURES / name).open("rb") as stream:
        return split(parse_csv_statement(stream, mapping=load_csv_mapping(mapping)))


def _mapping(tmp_path: Path, text: str, name: str = "test.yml") -> CsvMapping:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_csv_mapping(path)


def _rejected(data: bytes | str, mapping: CsvMapping) -> StatementParseError:
    with pytest.raises(StatementParseError) as error:
        _parse(data, mapping)
    return error.value


# --- the shipped mappings with their fixtures -----------------------------------------------------------------------


def test_german_export_cp1252_two_accounts_interleaved() -> None:
    # csv_de_giro_cp1252.csv (cp1252, CRLF), rows in file order:
    #   line 2  DE8937...  01.03.2024  "1.234,56" -> +1234.56  Müller & Söhne GmbH, E2E-0815
    #   line 3  DE8937...  04.03.2024  "-950,00"  ->  -950.00  Hausverwaltung Weiß KG, end-to-end NOTPROVIDED
    #   line 4  DE1250...  04.03.2024 (value 05.03.) "2.000,00" quoted -> +2000.00, text starts with RF18539007547034
    #   line 5  DE8937...  05.03.2024  "-5,90"    ->    -5.90  "Kontoführung 5,90 € Februar" (€ is byte 0x80)
    # Statement 1 = DE8937... (first seen): 1234.56 credit, -950.00 - 5.90 = -955.90 debit; statement 2 = DE1250...
    lines, summaries = _parse_fixture("csv_de_giro_cp1252.csv", GERMAN)
    assert [(line.statement_index, line.amount) for line in lines] == [
        (1, Decimal("1234.56")),
        (1, Decimal("-950.00")),
        (1, Decimal("-5.90")),
        (2, Decimal("2000.00")),
    ]
    first, rent, fee, other = lines
    assert (first.booking_date, first.value_date) == (date(2024, 3, 1), date(2024, 3, 1))
    assert (first.counterparty_name, first.counterparty_account) == (
        "Müller & Söhne GmbH",
        "DE02120300000000202051",
    )
    assert (first.end_to_end_id, first.remittance_text) == ("E2E-0815", "RE-2024-0815 Müller & Söhne")
    assert first.bank_transaction_code == "GUTSCHR. UEBERWEISUNG"
    assert rent.end_to_end_id is None  # NOTPROVIDED
    assert rent.counterparty_name == "Hausverwaltung Weiß KG"
    assert fee.remittance_text == "Kontoführung 5,90 € Februar"
    assert fee.original_text is not None and fee.original_text.endswith(";-5,90;EUR;Umsatz gebucht")
    assert (other.booking_date, other.value_date) == (date(2024, 3, 4), date(2024, 3, 5))
    assert other.creditor_reference == "RF18539007547034"
    assert other.counterparty_name == "Straße & Co. KG"

    one, two = summaries
    assert (one.account_id, one.currency_code, one.file_format) == ("DE89370400440532013000", "EUR", "csv")
    assert (one.line_count, one.credit_total, one.debit_total) == (3, Decimal("1234.56"), Decimal("-955.90"))
    assert (one.opening_balance, one.closing_balance, one.statement_id) == (None, None, None)
    assert one.statement_date == date(2024, 3, 5)  # no balance dates: the last booking date
    assert (two.account_id, two.line_count, two.credit_total, two.debit_total) == (
        "DE12500105170648489890",
        1,
        Decimal("2000.00"),
        Decimal("0"),
    )


def test_us_export_with_preamble_and_debit_credit_columns() -> None:
    # csv_us_debit_credit.csv (UTF-8, 3 preamble lines, header on line 4):
    #   Credit "12,500.00" -> +12500.00; Credit "1,250.75" -> +1250.75 (description quoted over two lines);
    #   Debit "980.00" -> -980.00; Debit "-45.00" with Credit "0.00" -> -45.00 (a debit is money out however printed)
    #   credits 12500.00 + 1250.75 = 13750.75, debits -980.00 - 45.00 = -1025.00; currency fixed to USD.
    lines, (summary,) = _parse_fixture("csv_us_debit_credit.csv", US)
    assert [line.amount for line in lines] == [
        Decimal("12500.00"),
        Decimal("1250.75"),
        Decimal("-980.00"),
        Decimal("-45.00"),
    ]
    wire, ach, check, _ = lines
    assert (wire.bank_reference, wire.end_to_end_id, wire.bank_transaction_code) == (
        "FW24066001",
        "INV-1001",
        "195",
    )
    assert (wire.counterparty_name, wire.counterparty_account) == ("GLOBEX CORP", "021000021-987654321")
    assert ach.remittance_text == "INITECH PAYMENT\nINV 1002 AND 1003"
    assert (ach.booking_date, ach.value_date) == (date(2024, 3, 6), date(2024, 3, 7))
    assert ach.original_text is not None and ach.original_text.count("\n") == 1
    assert check.counterparty_name is None and check.end_to_end_id == "1234"
    assert {line.currency_code for line in lines} == {"USD"}
    assert (summary.account_id, summary.currency_code) == ("000123456789", "USD")
    assert (summary.credit_total, summary.debit_total) == (Decimal("13750.75"), Decimal("-1025.00"))


def test_bad_date_on_line_5_names_the_line_and_the_column() -> None:
    # csv_de_bad_date_line5.csv: header on line 1, rows on lines 2-6; line 5 is booked on 30.02.2024.
    with pytest.raises(StatementParseError) as error:
        _parse_fixture("csv_de_bad_date_line5.csv", GERMAN)
    assert (error.value.line, error.value.field) == (5, "Buchungstag")
    assert "30.02.2024" in error.value.reason and "DD.MM.YYYY" in error.value.reason
    assert str(error.value).startswith("line 5, field Buchungstag: invalid booking date")


def test_shipped_mappings_load_and_are_documented() -> None:
    names = [load_csv_mapping(path).name for path in available_csv_mappings()]
    assert names == [GERMAN, US]
    readme = (csv_statement.CSV_MAPPINGS_DIR / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}.yml`" in readme for name in names)


# --- detection and dispatch ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "lines", "statements"),
    [("csv_de_giro_cp1252.csv", 4, 2), ("csv_us_debit_credit.csv", 4, 1)],
)
def test_detected_by_header_without_naming_the_mapping(fixture: str, lines: int, statements: int) -> None:
    got_lines, summaries = split(parse_statement_file(FIXTURES / fixture))
    assert (len(got_lines), len(summaries)) == (lines, statements)


def test_named_mapping_is_used_when_the_header_is_not_a_known_one(tmp_path: Path) -> None:
    _mapping(
        tmp_path,
        "date_format: YYYY-MM-DD\nsign_convention: signed_amount\naccount_id: ACC-1\n"
        "columns: {booking_date: Date, amount: Amount, remittance_text: Text}\n",
    )
    target = tmp_path / "export.csv"
    target.write_text("Date,Amount,Text\n2024-01-02,1.50,x\n", encoding="utf-8")
    with pytest.raises(StatementParseError, match="unknown format: export.csv"):
        list(parse_statement_file(target))
    lines, (summary,) = split(parse_statement_file(target, csv_mapping=str(tmp_path / "test.yml")))
    assert [line.amount for line in lines] == [Decimal("1.50")]
    assert summary.account_id == "ACC-1"


def test_a_named_mapping_does_not_override_a_recognised_format() -> None:
    lines, summaries = split(parse_statement_file(FIXTURES / "bai2_continuations.bai2", csv_mapping=US))
    assert {s.file_format for s in summaries} == {"bai2"} and len(lines) == 2


def test_an_unknown_mapping_name_is_a_configuration_error() -> None:
    with pytest.raises(CsvMappingError, match="CSV mapping not found"):
        list(parse_statement_file(FIXTURES / "csv_us_debit_credit.csv", csv_mapping="no_such_bank"))


def test_two_matching_mappings_are_ambiguous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.yml", "b.yml"):
        _mapping(
            tmp_path,
            "date_format: YYYY-MM-DD\nsign_convention: signed_amount\naccount_id: X\n"
            "columns: {booking_date: Date, amount: Amount}\ndetect: [Date, Amount]\n",
            name,
        )
    monkeypatch.setattr(csv_statement, "CSV_MAPPINGS_DIR", tmp_path)
    target = tmp_path / "export.csv"
    target.write_text("Date,Amount\n2024-01-02,1.50\n", encoding="utf-8")
    with pytest.raises(StatementParseError, match=r"more than one mapping \(a, b\)"):
        list(parse_statement_file(target))


# --- the other conventions and options -----------------------------------------------------------------------------

INDICATOR_MAPPING = """
name: indicator_test
encoding: latin-1
delimiter: "\\t"
date_format: "%d/%m/%y"
decimal_separator: ","
thousands_separator: " "
sign_convention: amount_with_indicator
credit_indicators: [H, Haben]
debit_indicators: [S, Soll]
account_id: AT611904300234573201
currency: EUR
columns:
  booking_date: Datum
  amount: Betrag
  indicator: S/H
  remittance_text: [Zweck 1, Zweck 2]
  opening_balance: Anfangssaldo
  closing_balance: Endsaldo
"""


def test_amount_with_indicator_fixed_account_and_balance_columns(tmp_path: Path) -> None:
    # Tab-separated, Latin-1, two-digit years, "1 200,00" with a space between thousands:
    #   H 1 200,00 -> +1200.00; S 200,50 -> -200.50; "haben" (case ignored) 0,50 -> +0.50
    #   opening 1 000,00 on every row, closing 2 000,00 only on the last row:
    #   1000.00 + (1200.00 + 0.50) - 200.50 = 2000.00.
    mapping = _mapping(tmp_path, INDICATOR_MAPPING)
    data = (
        "Datum\tBetrag\tS/H\tZweck 1\tZweck 2\tAnfangssaldo\tEndsaldo\n"
        "02/01/24\t1 200,00\tH\tRechnung 1\tKunde Größe\t1 000,00\t\n"
        "03/01/24\t200,50\tS\tGebühr\t\t1 000,00\t\n"
        "04/01/24\t0,50\thaben\t\tZinsen\t1 000,00\t2 000,00\n"
    ).encode("latin-1")
    lines, (summary,) = _parse(data, mapping)
    assert [line.amount for line in lines] == [Decimal("1200.00"), Decimal("-200.50"), Decimal("0.50")]
    assert [line.remittance_text for line in lines] == ["Rechnung 1 Kunde Größe", "Gebühr", "Zinsen"]
    assert [line.booking_date for line in lines] == [date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)]
    assert (summary.account_id, summary.currency_code) == ("AT611904300234573201", "EUR")
    assert (summary.opening_balance, summary.closing_balance) == (Decimal("1000.00"), Decimal("2000.00"))
    assert summary.opening_balance is not None
    assert summary.opening_balance + summary.credit_total + summary.debit_total == summary.closing_balance


def test_a_running_balance_is_not_taken_for_a_statement_balance(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, INDICATOR_MAPPING)
    data = (
        "Datum\tBetrag\tS/H\tZweck 1\tZweck 2\tAnfangssaldo\tEndsaldo\n"
        "02/01/24\t1,00\tH\t\t\t\t101,00\n"
        "03/01/24\t2,00\tH\t\t\t\t103,00\n"
    ).encode("latin-1")
    error = _rejected(data, mapping)
    assert (error.line, error.field) == (3, "Endsaldo") and "running balance" in error.reason


def test_unknown_indicator(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, INDICATOR_MAPPING)
    data = "Datum\tBetrag\tS/H\tZweck 1\tZweck 2\tAnfangssaldo\tEndsaldo\n02/01/24\t1,00\tX\t\t\t\t\n"
    error = _rejected(data, mapping)
    assert (error.line, error.field) == (2, "S/H") and "'X' is none of H, HABEN, S, SOLL" in error.reason


def test_fixed_account_without_rows_is_an_empty_statement(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, INDICATOR_MAPPING)
    lines, (summary,) = _parse("Datum\tBetrag\tS/H\tZweck 1\tZweck 2\tAnfangssaldo\tEndsaldo\n", mapping)
    assert lines == [] and summary.line_count == 0 and summary.account_id == "AT611904300234573201"


def test_account_column_without_rows_is_rejected() -> None:
    header = (FIXTURES / "csv_de_giro_cp1252.csv").read_bytes().split(b"\r\n")[0] + b"\r\n"
    assert "cannot tell the account" in _rejected(header, load_csv_mapping(GERMAN)).reason


def test_one_statement_per_account_and_currency(tmp_path: Path) -> None:
    mapping = _mapping(
        tmp_path,
        "date_format: YYYY-MM-DD\nsign_convention: signed_amount\n"
        "columns: {account: Account, booking_date: Date, amount: Amount, currency: Currency}\n",
    )
    data = (
        "Account,Date,Amount,Currency\n"
        "A,2024-01-02,1.00,EUR\nB,2024-01-02,2.00,EUR\nA,2024-01-03,3.00,usd\nA,2024-01-04,4.00,EUR\n"
    )
    lines, summaries = _parse(data, mapping)
    assert [(s.account_id, s.currency_code, s.credit_total) for s in summaries] == [
        ("A", "EUR", Decimal("5.00")),  # 1.00 + 4.00
        ("B", "EUR", Decimal("2.00")),
        ("A", "USD", Decimal("3.00")),
    ]
    assert [line.amount for line in lines] == [
        Decimal("1.00"),
        Decimal("4.00"),
        Decimal("2.00"),
        Decimal("3.00"),
    ]


class _OneWayStream(io.RawIOBase):
    """A stream that can only be read forward, like a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_stream_that_cannot_seek_is_spooled() -> None:
    data = (FIXTURES / "csv_de_giro_cp1252.csv").read_bytes()
    stream = _OneWayStream(data)
    assert not stream.seekable()
    lines, summaries = split(parse_csv_statement(stream, mapping=load_csv_mapping(GERMAN)))  # type: ignore[arg-type]
    assert (len(lines), len(summaries)) == (4, 2)


@pytest.mark.parametrize(
    ("raw", "decimal", "thousands", "expected"),
    [
        ("-1.234,56", ",", ".", "-1234.56"),
        ("1.234,56-", ",", ".", "-1234.56"),
        ("1234,5", ",", ".", "1234.5"),
        ("(1,234.56)", ".", ",", "-1234.56"),
        ("$1,234.56", ".", ",", "1234.56"),
        ("-$12.00", ".", ",", "-12.00"),
        ("+7", ".", "", "7"),
        ("1'234.00", ".", "'", "1234.00"),
        ("1\u00a0234,00", ",", " ", "1234.00"),
        ("0.00001", ".", "", "0.00001"),
        ("1.23,45", ",", ".", None),  # a thousands group of two digits
        ("12.50", ",", ".", None),  # a decimal point where the mapping says comma
        ("1,234.56", ".", "", None),  # thousands separator the mapping does not allow
        ("0.000001", ".", "", None),  # six decimals
        ("1e3", ".", "", None),
        ("", ".", "", None),
    ],
)
def test_number_formats(raw: str, decimal: str, thousands: str, expected: str | None) -> None:
    # The rule lives in ingestion.text_values, shared with the customer statement reader.
    got = parse_number(raw, decimal_separator=decimal, thousands_separator=thousands)
    assert got == (None if expected is None else Decimal(expected))


# --- row errors ---------------------------------------------------------------------------------------------------

DEBIT_CREDIT = (
    "date_format: MM/DD/YYYY\nsign_convention: debit_credit_columns\naccount_id: X\ncurrency: USD\n"
    "columns: {booking_date: Date, debit: Debit, credit: Credit, value_date: Value}\n"
)


@pytest.mark.parametrize(
    ("row", "field", "fragment"),
    [
        ("01/02/2024,,5.00,10.00", "Debit/Credit", "both the debit and the credit column"),
        ("01/02/2024,,,", "Debit/Credit", "neither the debit nor the credit column"),
        ("01/02/2024,,,-3.00", "Credit", "negative amount -3.00 in the credit column"),
        ("01/02/2024,,12.5.0,", "Debit", "invalid amount '12.5.0'"),
        (",,1.00,", "Date", "empty booking date"),
        ("2024-01-02,,1.00,", "Date", "invalid booking date '2024-01-02' (expected MM/DD/YYYY)"),
        ("01/02/2024,13/01/2024,1.00,", "Value", "invalid value date"),
        ("01/02/2024,,1.00", None, "the row has 3 fields, the header 4"),
        ("01/02/2024,,1.00,,surplus", None, "the row has 5 fields, the header 4"),
        ('01/02/2024,,"1.00,', None, "an unclosed quote?"),
    ],
)
def test_row_errors_name_the_line_and_the_column(
    tmp_path: Path, row: str, field: str | None, fragment: str
) -> None:
    mapping = _mapping(tmp_path, DEBIT_CREDIT)
    # Line 1 is the header, line 2 a good row, line 3 the bad one.
    error = _rejected(
        f"Date,Value,Debit,Credit\n01/01/2024,,1.00,\n{row}\n" + "01/03/2024,,1.00,\n" * 200, mapping
    )
    assert (error.line, error.field) == (3, field)
    assert fragment in error.reason


def test_trailing_empty_cells_are_tolerated(tmp_path: Path) -> None:
    lines, _ = _parse("Date,Value,Debit,Credit\n01/02/2024,,1.00,,\n", _mapping(tmp_path, DEBIT_CREDIT))
    assert [line.amount for line in lines] == [Decimal("-1.00")]


def test_missing_column_in_the_header(tmp_path: Path) -> None:
    error = _rejected("Date,Debit,Credit\n01/02/2024,1.00,\n", _mapping(tmp_path, DEBIT_CREDIT))
    assert (error.line, error.field) == (1, "Value") and "not in the header row" in error.reason


def test_undecodable_byte_names_its_line() -> None:
    # 0x81 is not a cp1252 character.
    data = (FIXTURES / "csv_de_giro_cp1252.csv").read_bytes().replace(b"Miete", b"Mi\x81te")
    error = _rejected(data, load_csv_mapping(GERMAN))
    assert error.line == 3 and "not cp1252 text" in error.reason


def test_a_utf8_byte_order_mark_overrides_the_encoding() -> None:
    text = (FIXTURES / "csv_de_giro_cp1252.csv").read_bytes().decode("cp1252")
    lines, _ = _parse(b"\xef\xbb\xbf" + text.encode("utf-8"), load_csv_mapping(GERMAN))
    assert lines[0].counterparty_name == "Müller & Söhne GmbH"


def test_header_only_after_preamble_missing() -> None:
    error = _rejected("Transaction Detail Report\n", load_csv_mapping(US))
    assert "no header row" in error.reason


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "date_format: DD.MM.YYYY\nsign_convention: signed_amount\naccount_id: X\ncolumns: {booking_date: D, amount: A}\n"
            "delimter: ';'\n",
            "unknown key(s): delimter",
        ),
        (
            "sign_convention: signed_amount\naccount_id: X\ncolumns: {booking_date: D, amount: A}\n",
            "`date_format` is required",
        ),
        (
            "date_format: DD.MM.YYYY\nsign_convention: plus_minus\naccount_id: X\ncolumns: {booking_date: D, amount: A}\n",
            "`sign_convention` must be one of",
        ),
        (
            "date_format: DD.MM.YYYY\nsign_convention: debit_credit_columns\naccount_id: X\ncolumns: {booking_date: D, debit: A}\n",
            "needs the column(s): credit",
        ),
        (
            "date_format: DD.MM.YYYY\nsign_convention: signed_amount\naccount_id: X\n"
            "columns: {booking_date: D, amount: A, account: K}\n",
            "not both",
        ),
        (
            "date_format: DD.MM.YYYY\nsign_convention: signed_amount\ncolumns: {booking_date: D, amount: A}\n",
            "either as a column",
        ),
        (
            "date_format: DD.MM.YYYY\nsign_convention: signed_amount\naccount_id: X\nencoding: utf-16\n"
            "columns: {booking_date: D, amount: A}\n",
            "does not keep ASCII bytes",
        ),
        (
            "date_format: DD.MM.YYYY\nsign_convention: signed_amount\naccount_id: X\ndecimal_separator: ','\n"
            "thousands_separator: ','\ncolumns: {booking_date: D, amount: A}\n",
            "`thousands_separator` must be",
        ),
        (
            "date_format: DD.MM.YYYY\nsign_convention: amount_with_indicator\naccount_id: X\n"
            "columns: {booking_date: D, amount: A, indicator: I}\n",
            "needs `credit_indicators`",
        ),
        (
            "date_format: DD.MM.YYYY\nsign_convention: signed_amount\naccount_id: X\n"
            "columns: {booking_date: D, amount: A, iban: I}\n",
            "unknown column key(s): iban",
        ),
        (
            "date_format: DD.MM.YYYY\nsign_convention: signed_amount\naccount_id: X\ndelimiter: ';;'\n"
            "columns: {booking_date: D, amount: A}\n",
            "single, different characters",
        ),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_mapping_errors(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(CsvMappingError) as error:
        _mapping(tmp_path, text)
    assert fragment in str(error.value) and "test.yml" in str(error.value)


# --- streaming ----------------------------------------------------------------------------------------------------


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.furthest = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return chunk


def _big_export(rows: int) -> bytes:
    header = (FIXTURES / "csv_de_giro_cp1252.csv").read_bytes().split(b"\r\n")[0].decode("cp1252")
    row = "DE89370400440532013000;02.01.2024;02.01.2024;GUTSCHR.;Rechnung {n} Müller;;;E2E-{n};Kunde {n};;;1,00;EUR;\r\n"
    return (header + "\r\n" + "".join(row.format(n=n) for n in range(rows))).encode("cp1252")


def test_first_line_comes_before_the_file_is_read() -> None:
    stream = CountingStream(_big_export(20_000))
    assert isinstance(next(parse_csv_statement(stream, mapping=load_csv_mapping(GERMAN))), StatementLine)
    assert stream.furthest < len(stream.getvalue()) / 5


def test_memory_does_not_grow_with_the_file() -> None:
    data = _big_export(5_000)
    mapping = load_csv_mapping(GERMAN)
    tracemalloc.start()
    try:
        count = 0
        for record in parse_csv_statement(io.BytesIO(data), mapping=mapping):
            count += 1
            last = record
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 5_001
    assert isinstance(last, StatementSummary) and last.credit_total == Decimal("5000.00")
    assert peak < 1.5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a {len(data) / 1e6:.1f} MB file"
