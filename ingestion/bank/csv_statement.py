"""Bank statement CSV exports, read through a mapping file per bank layout (ingestion/bank/csv_mappings/*.yml).

Every bank writes its own CSV: delimiter, encoding, preamble lines, date and number formats, how the sign is shown
and what the columns are called all differ, so nothing here is guessed from the content. A mapping names each of
them (the format is documented in csv_mappings/README.md); `load_csv_mapping` reads and checks one, and
`parse_csv_statement` reads a file with it.

Mapping onto the records:
- One statement per account (and currency, when the currency is a column: one statement holds one currency) in
  the order the accounts first appear. The account comes from a column or is fixed in the mapping.
- Amounts are exact `Decimal`s (at most 5 decimals), signed one of three ways: a signed amount column; separate
  debit and credit columns (one of them filled per row; a debit is money out whether the bank prints it as 150.00
  or -150.00, a negative credit is rejected rather than guessed at); or an unsigned amount with a debit/credit
  indicator column, whose credit (and optionally debit) values the mapping lists.
- A CSV usually has no balances: opening and closing balance are None unless the mapping names balance columns.
  Such a column holds the statement's balance (on every row or on some rows); two different values for one
  statement are rejected, because that is a running balance, which this reader does not interpret. Balance dates
  stay None: a CSV export does not say when its balances were struck.
- `statement_id` and `sequence_number` stay None: exports have no statement number.
- `original_text` is the row as it stood in the file.

Streaming: rows are decoded and parsed one at a time. A file with several statements is read once per statement
(the stream is rewound; a stream that cannot seek is first spooled to a temporary file), so memory holds one row
and the list of statement keys, never the file, whether or not the rows of an account stand together.

Encodings must keep ASCII bytes as they are (UTF-8, cp1252, ISO-8859-x ...): lines are split on bytes so that an
undecodable byte is reported on its own line. A UTF-8 byte-order mark overrides the mapping's encoding, because it
cannot be anything else.
"""

from __future__ import annotations

import codecs
import csv
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import yaml

from ingestion.bank.records import StatementLine, StatementParseError, StatementSummary, StatementTotals
from ingestion.bank.rf_reference import find_rf_reference
from ingestion.text_values import (
    header_key,
    number_format_hint,
    parse_number,
    readable_format,
    strptime_date,
    strptime_format,
)

FILE_FORMAT = "csv"
CSV_MAPPINGS_DIR = Path(__file__).resolve().parent / "csv_mappings"
MAPPING_SUFFIXES = (".yml", ".yaml")
ORIGINAL_TEXT_LIMIT = 4000
READ_CHUNK_BYTES = 64 * 1024
MAX_LINE_BYTES = 1024 * 1024
MAX_ROW_LINES = 100  # a quoted field may hold line breaks; a runaway quote would otherwise swallow the file
MAX_STATEMENTS = 1000  # each statement costs one pass over the file
MAX_DECIMALS = 5  # the warehouse keeps numeric(20, 5)
SPOOL_BYTES = 16 * 1024 * 1024
NOT_PROVIDED = frozenset({"NOTPROVIDED", "NONREF"})  # what SEPA exports write for "no reference"

SIGNED_AMOUNT = "signed_amount"
DEBIT_CREDIT_COLUMNS = "debit_credit_columns"
AMOUNT_WITH_INDICATOR = "amount_with_indicator"
SIGN_CONVENTIONS = (SIGNED_AMOUNT, DEBIT_CREDIT_COLUMNS, AMOUNT_WITH_INDICATOR)

# Canonical column -> what it holds. Every mapping names the columns of its file for these keys.
COLUMN_KEYS = (
    "account",
    "booking_date",
    "value_date",
    "amount",
    "debit",
    "credit",
    "indicator",
    "currency",
    "counterparty_name",
    "counterparty_account",
    "remittance_text",
    "bank_reference",
    "end_to_end_id",
    "bank_transaction_code",
    "opening_balance",
    "closing_balance",
)
_REQUIRED_COLUMNS = {
    SIGNED_AMOUNT: ("booking_date", "amount"),
    DEBIT_CREDIT_COLUMNS: ("booking_date", "debit", "credit"),
    AMOUNT_WITH_INDICATOR: ("booking_date", "amount", "indicator"),
}
_MAPPING_KEYS = frozenset(
    {
        "name",
        "description",
        "encoding",
        "delimiter",
        "quote_char",
        "skip_rows",
        "date_format",
        "decimal_separator",
        "thousands_separator",
        "sign_convention",
        "credit_indicators",
        "debit_indicators",
        "account_id",
        "currency",
        "columns",
        "detect",
    }
)
_THOUSANDS = frozenset({"", ".", ",", " ", "'"})
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_NEWLINE = re.compile(rb"(?<=\n)")
_BOM = b"\xef\xbb\xbf"


class CsvMappingError(ValueError):
    """A mapping file that cannot be used: a configuration error, not a fault of the statement file."""


@dataclass(frozen=True)
class CsvMapping:
    """How one bank lays out its CSV export. Build it with `load_csv_mapping`, which checks it."""

    name: str
    date_format: str  # a strptime format, e.g. "%d.%m.%Y"
    sign_convention: str  # one of SIGN_CONVENTIONS
    columns: dict[str, str | tuple[str, ...]]  # canonical key -> the file's column name(s)
    encoding: str = "utf-8"
    delimiter: str = ","
    quote_char: str = '"'
    skip_rows: int = 0  # lines before the header row
    decimal_separator: str = "."
    thousands_separator: str = ""
    credit_indicators: frozenset[str] = frozenset()  # upper-cased
    debit_indicators: frozenset[str] = frozenset()  # upper-cased; empty: any indicator but a credit one
    account_id: str | None = None  # fixed account when the file has no account column
    currency: str | None = None  # fixed currency when the file has no currency column
    detect: tuple[
        str, ...
    ] = ()  # header names that identify the layout (auto-detection); empty: never detected
    source: str = ""  # the file it was read from


def load_csv_mapping(name_or_path: str | Path) -> CsvMapping:
    """A CSV mapping by name (a file in ingestion/bank/csv_mappings/, without suffix) or by path, checked.

    Raises `CsvMappingError` naming the file and the problem (unknown key, missing column, bad separator ...).
    """
    path = Path(name_or_path)
    if path.suffix not in MAPPING_SUFFIXES:
        found = [CSV_MAPPINGS_DIR / f"{name_or_path}{suffix}" for suffix in MAPPING_SUFFIXES]
        path = next((candidate for candidate in found if candidate.exists()), found[0])
    if not path.is_file():
        raise CsvMappingError(f"CSV mapping not found: {path}")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CsvMappingError(f"{path.name}: not a readable YAML file: {exc}") from exc
    if not isinstance(document, dict):
        raise CsvMappingError(f"{path.name}: expected a mapping of keys to values")
    return _mapping_from_document(document, path)


def available_csv_mappings() -> list[Path]:
    """The mapping files shipped in ingestion/bank/csv_mappings/, in name order."""
    if not CSV_MAPPINGS_DIR.is_dir():
        return []
    return sorted(path for path in CSV_MAPPINGS_DIR.iterdir() if path.suffix in MAPPING_SUFFIXES)


def detect_csv_mapping(head: bytes) -> CsvMapping | None:
    """The shipped mapping whose `detect` header names all stand in the header row of `head`, or None.

    `head` is the start of the file. Only mappings with a `detect` list take part. Raises `StatementParseError`
    when more than one matches (pass the mapping name explicitly then).
    """
    matches = [
        mapping
        for mapping in (load_csv_mapping(path) for path in available_csv_mappings())
        if mapping.detect and header_matches(head, mapping)
    ]
    if len(matches) > 1:
        names = ", ".join(mapping.name for mapping in matches)
        raise StatementParseError(f"the CSV header matches more than one mapping ({names}): name one")
    return matches[0] if matches else None


def header_matches(head: bytes, mapping: CsvMapping) -> bool:
    """True when every name of `mapping.detect` is a column of the header row in `head` (case and blanks ignored)."""
    encoding = mapping.encoding
    if head.startswith(_BOM):
        head, encoding = head[len(_BOM) :], "utf-8"
    lines = head.decode(encoding, errors="replace").splitlines()[mapping.skip_rows :]
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        return False
    try:
        header = next(csv.reader([header_line], delimiter=mapping.delimiter, quotechar=mapping.quote_char))
    except (csv.Error, StopIteration):
        return False
    names = {header_key(cell) for cell in header}
    return all(header_key(name) in names for name in mapping.detect)


def parse_csv_statement(
    stream: BinaryIO, *, mapping: CsvMapping, source_name: str = ""
) -> Iterator[StatementLine | StatementSummary]:
    """Parse a bank's CSV export with its mapping, from a binary stream.

    Yields each statement's lines in file order, then its `StatementSummary` (file_format "csv"); one statement per
    account (and currency). Raises `StatementParseError` naming the line, the column and the reason for a row that
    cannot be read, a header without a mapped column, or a file without a header. `source_name` is accepted for
    symmetry with the other parsers; the caller names the file in its report.
    """
    if (_is_column(mapping, "account") or _is_column(mapping, "currency")) and not stream.seekable():
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spooled:
            shutil.copyfileobj(stream, spooled, READ_CHUNK_BYTES)
            spooled.seek(0)
            yield from _parse(cast(BinaryIO, spooled), mapping)
        return
    yield from _parse(stream, mapping)


# --- the mapping file -------------------------------------------------------------------------------------------


def _mapping_from_document(document: dict[str, Any], path: Path) -> CsvMapping:
    def fail(reason: str) -> CsvMappingError:
        return CsvMappingError(f"{path.name}: {reason}")

    unknown = sorted(set(document) - _MAPPING_KEYS)
    if unknown:
        raise fail(f"unknown key(s): {', '.join(unknown)} (known: {', '.join(sorted(_MAPPING_KEYS))})")

    def text(key: str, default: str | None = None) -> str | None:
        value = document.get(key, default)
        if value is not None and not isinstance(value, str):
            raise fail(f"`{key}` must be text, not {value!r}")
        return value

    encoding = text("encoding", "utf-8") or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise fail(f"unknown encoding {encoding!r}") from exc
    if "\n,;\t".encode(encoding, errors="replace") != b"\n,;\t":
        raise fail(f"encoding {encoding!r} does not keep ASCII bytes (UTF-16/32 are not supported)")

    delimiter = text("delimiter", ",") or ""
    quote_char = text("quote_char", '"') or ""
    if len(delimiter) != 1 or len(quote_char) != 1 or delimiter == quote_char:
        raise fail("`delimiter` and `quote_char` must be single, different characters")

    skip_rows = document.get("skip_rows", 0)
    if not isinstance(skip_rows, int) or isinstance(skip_rows, bool) or skip_rows < 0:
        raise fail(f"`skip_rows` must be a whole number >= 0, not {skip_rows!r}")

    raw_date_format = text("date_format")
    if not raw_date_format:
        raise fail("`date_format` is required (e.g. DD.MM.YYYY, MM/DD/YYYY or a strptime format)")
    date_format = strptime_format(raw_date_format)
    try:
        strptime_date(date(2024, 12, 31).strftime(date_format), date_format)
    except ValueError as exc:
        raise fail(f"`date_format` {raw_date_format!r} cannot read dates back: {exc}") from exc

    decimal_separator = text("decimal_separator", ".")
    thousands_separator = text("thousands_separator", "") or ""
    if decimal_separator not in (".", ","):
        raise fail(f"`decimal_separator` must be '.' or ',', not {decimal_separator!r}")
    if thousands_separator not in _THOUSANDS or thousands_separator == decimal_separator:
        raise fail(
            f"`thousands_separator` must be one of '', '.', ',', ' ', \"'\" and differ from the decimal separator, "
            f"not {thousands_separator!r}"
        )

    sign_convention = text("sign_convention")
    if sign_convention not in SIGN_CONVENTIONS:
        raise fail(f"`sign_convention` must be one of {', '.join(SIGN_CONVENTIONS)}, not {sign_convention!r}")

    columns = _columns(document.get("columns"), fail)
    missing = [key for key in _REQUIRED_COLUMNS[sign_convention] if key not in columns]
    if missing:
        raise fail(f"sign convention {sign_convention} needs the column(s): {', '.join(missing)}")
    account_id = text("account_id")
    if ("account" in columns) == bool(account_id):
        raise fail(
            "name the account either as a column (`columns.account`) or as a fixed `account_id`, not both"
        )
    currency = text("currency")
    if currency is not None:
        currency = currency.strip().upper()
        if not _CURRENCY_CODE.fullmatch(currency):
            raise fail(f"`currency` must be a three-letter code, not {currency!r}")
        if "currency" in columns:
            raise fail("name the currency either as a column or as a fixed `currency`, not both")

    credit_indicators = _indicator_values(document.get("credit_indicators"), "credit_indicators", fail)
    debit_indicators = _indicator_values(document.get("debit_indicators"), "debit_indicators", fail)
    if sign_convention == AMOUNT_WITH_INDICATOR and not credit_indicators:
        raise fail(
            "sign convention amount_with_indicator needs `credit_indicators` (the values that mean credit)"
        )
    if credit_indicators & debit_indicators:
        raise fail("`credit_indicators` and `debit_indicators` overlap")

    detect = document.get("detect") or []
    if not isinstance(detect, list) or not all(isinstance(name, str) and name.strip() for name in detect):
        raise fail("`detect` must be a list of header column names")

    return CsvMapping(
        name=text("name") or path.stem,
        date_format=date_format,
        sign_convention=sign_convention,
        columns=columns,
        encoding=encoding,
        delimiter=delimiter,
        quote_char=quote_char,
        skip_rows=skip_rows,
        decimal_separator=decimal_separator,
        thousands_separator=thousands_separator,
        credit_indicators=credit_indicators,
        debit_indicators=debit_indicators,
        account_id=account_id.strip() if account_id else None,
        currency=currency,
        detect=tuple(detect),
        source=str(path),
    )


def _columns(raw: Any, fail: Any) -> dict[str, str | tuple[str, ...]]:
    if not isinstance(raw, dict) or not raw:
        raise fail("`columns` must map canonical names to the file's column names")
    unknown = sorted(set(raw) - set(COLUMN_KEYS))
    if unknown:
        raise fail(f"unknown column key(s): {', '.join(unknown)} (known: {', '.join(COLUMN_KEYS)})")
    columns: dict[str, str | tuple[str, ...]] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if key == "remittance_text" and isinstance(value, list):
            # Some exports spread the remittance over several columns (Verwendungszweck 1, 2, ...).
            if not value or not all(isinstance(name, str) and name.strip() for name in value):
                raise fail("`columns.remittance_text` must be a column name or a list of them")
            columns[key] = tuple(value)
        elif isinstance(value, str) and value.strip():
            columns[key] = value
        else:
            raise fail(f"`columns.{key}` must be a column name, not {value!r}")
    return columns


def _indicator_values(raw: Any, key: str, fail: Any) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or not all(isinstance(value, str | int) for value in raw):
        raise fail(f"`{key}` must be a list of values")
    return frozenset(str(value).strip().upper() for value in raw)


def _is_column(mapping: CsvMapping, key: str) -> bool:
    return key in mapping.columns


# --- reading rows -----------------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int  # the physical line the row starts on
    cells: list[str]
    text: str  # the row as it stood in the file


class _Lines:
    """Decoded physical lines of the stream, counted, for the csv module; remembers the lines of the current row."""

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        self._stream = stream
        self._encoding = encoding
        self.count = 0
        self.current: list[str] = []

    def __iter__(self) -> Iterator[str]:
        pending = b""
        first = True
        while True:
            chunk = self._stream.read(READ_CHUNK_BYTES)
            if not chunk:
                break
            data = pending + chunk
            if first:
                first = False
                if data.startswith(_BOM):
                    data, self._encoding = data[len(_BOM) :], "utf-8"
            parts = _NEWLINE.split(data)
            pending = parts.pop()
            if len(pending) > MAX_LINE_BYTES:
                raise StatementParseError(f"line longer than {MAX_LINE_BYTES} bytes", line=self.count + 1)
            for part in parts:
                yield self._decode(part)
        if pending:
            yield self._decode(pending)

    def _decode(self, raw: bytes) -> str:
        self.count += 1
        try:
            text = raw.decode(self._encoding)
        except UnicodeDecodeError as exc:
            raise StatementParseError(
                f"not {self._encoding} text: byte {raw[exc.start : exc.start + 1]!r} at position {exc.start + 1}",
                line=self.count,
            ) from exc
        self.current.append(text)
        if len(self.current) > MAX_ROW_LINES:
            raise StatementParseError(
                f"a row runs over more than {MAX_ROW_LINES} lines: an unclosed quote?",
                line=self.count - len(self.current) + 1,
            )
        return text


def _rows(stream: BinaryIO, mapping: CsvMapping) -> Iterator[_Row]:
    """The rows after the preamble, the header first; blank rows skipped."""
    lines = _Lines(stream, mapping.encoding)
    iterator = iter(lines)
    for _ in range(mapping.skip_rows):
        if next(iterator, None) is None:
            return
    lines.current = []
    reader = csv.reader(iterator, delimiter=mapping.delimiter, quotechar=mapping.quote_char, strict=True)
    while True:
        start = lines.count + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise StatementParseError(f"not readable as CSV: {exc}", line=start) from exc
        text = "".join(lines.current).rstrip("\r\n")
        lines.current = []
        if any(cell.strip() for cell in cells):
            yield _Row(line=start, cells=cells, text=text)


@dataclass
class _Header:
    line: int
    names: list[str]
    index: dict[str, int]  # canonical key -> cell position (remittance_text: the first of its columns)
    remittance: tuple[int, ...]

    def cell(self, row: _Row, key: str) -> str:
        position = self.index.get(key)
        if position is None or position >= len(row.cells):
            return ""
        return row.cells[position].strip()

    def column(self, key: str) -> str:
        return self.names[self.index[key]]


def _header(row: _Row, mapping: CsvMapping) -> _Header:
    positions: dict[str, int] = {}
    for number, cell in enumerate(row.cells):
        positions.setdefault(header_key(cell), number)
    index: dict[str, int] = {}
    remittance: list[int] = []
    for key, names in mapping.columns.items():
        for name in (names,) if isinstance(names, str) else names:
            position = positions.get(header_key(name))
            if position is None:
                raise StatementParseError(
                    f"column {name!r} ({key}) of mapping {mapping.name} is not in the header row",
                    line=row.line,
                    field=name,
                )
            if key == "remittance_text":
                remittance.append(position)
            index.setdefault(key, position)
    return _Header(
        line=row.line, names=[name.strip() for name in row.cells], index=index, remittance=tuple(remittance)
    )


def _check_width(row: _Row, header: _Header) -> None:
    width = len(header.names)
    if len(row.cells) < width:
        raise StatementParseError(
            f"the row has {len(row.cells)} fields, the header {width}: a missing delimiter or a broken row?",
            line=row.line,
        )
    if any(cell.strip() for cell in row.cells[width:]):
        raise StatementParseError(
            f"the row has {len(row.cells)} fields, the header {width}: an unquoted delimiter in a field?",
            line=row.line,
        )


# --- one statement per pass -------------------------------------------------------------------------------------


@dataclass
class _Statement:
    index: int
    account_id: str
    currency: str | None
    opening: Decimal | None = None
    closing: Decimal | None = None
    totals: StatementTotals = field(default_factory=StatementTotals)


def _parse(stream: BinaryIO, mapping: CsvMapping) -> Iterator[StatementLine | StatementSummary]:
    start = stream.tell() if stream.seekable() else 0
    keys: list[tuple[str, str | None]] = []  # statements in the order their first row appears
    seen: set[tuple[str, str | None]] = set()
    done = 0
    while True:
        if done > 0:
            if done >= len(keys):
                return
            stream.seek(start)
        target = keys[done] if keys else None
        statement: _Statement | None = None
        header: _Header | None = None
        for row in _rows(stream, mapping):
            if header is None:
                header = _header(row, mapping)
                continue
            _check_width(row, header)
            key = (_account(row, header, mapping), _currency(row, header, mapping))
            if key not in seen:
                if len(keys) >= MAX_STATEMENTS:
                    raise StatementParseError(
                        f"more than {MAX_STATEMENTS} accounts in one file",
                        line=row.line,
                        field=_account_field(header, mapping),
                    )
                seen.add(key)
                keys.append(key)
            if target is None:
                target = key
            if key != target:
                continue
            if statement is None:
                statement = _Statement(index=done + 1, account_id=key[0], currency=key[1])
            yield statement.totals.add(_line(row, header, mapping, statement))
            _take_balances(row, header, mapping, statement)
        if header is None:
            raise StatementParseError(
                f"no header row (after {mapping.skip_rows} preamble line(s)): empty file?",
                line=mapping.skip_rows + 1,
            )
        if statement is None:
            # No data rows at all (a row of any statement would have made that statement the target).
            if mapping.account_id is None:
                raise StatementParseError(
                    "the file has a header but no rows: cannot tell the account", line=header.line
                )
            # A fixed-account export without rows: the account had no movements in the period.
            statement = _Statement(index=1, account_id=mapping.account_id, currency=mapping.currency)
        yield _summary(statement)
        done += 1


def _line(row: _Row, header: _Header, mapping: CsvMapping, statement: _Statement) -> StatementLine:
    remittance = " ".join(
        row.cells[position].strip()
        for position in header.remittance
        if position < len(row.cells) and row.cells[position].strip()
    )
    return StatementLine(
        statement_index=statement.index,
        line_index=statement.totals.line_count + 1,
        account_id=statement.account_id,
        amount=_signed_amount(row, header, mapping),
        booking_date=_date(row, header, mapping, "booking_date", required=True),
        value_date=_date(row, header, mapping, "value_date", required=False),
        currency_code=statement.currency,
        bank_reference=_reference(header.cell(row, "bank_reference")),
        end_to_end_id=_reference(header.cell(row, "end_to_end_id")),
        counterparty_name=header.cell(row, "counterparty_name") or None,
        counterparty_account=header.cell(row, "counterparty_account") or None,
        creditor_reference=find_rf_reference(remittance) if remittance else None,
        remittance_text=remittance or None,
        bank_transaction_code=header.cell(row, "bank_transaction_code") or None,
        original_text=row.text[:ORIGINAL_TEXT_LIMIT],
    )


def _summary(statement: _Statement) -> StatementSummary:
    return StatementSummary(
        statement_index=statement.index,
        file_format=FILE_FORMAT,
        account_id=statement.account_id,
        statement_id=None,
        sequence_number=None,
        currency_code=statement.currency,
        opening_balance=statement.opening,
        opening_balance_date=None,
        closing_balance=statement.closing,
        closing_balance_date=None,
        line_count=statement.totals.line_count,
        credit_total=statement.totals.credit_total,
        debit_total=statement.totals.debit_total,
        last_booking_date=statement.totals.last_booking_date,
    )


# --- cell contents ----------------------------------------------------------------------------------------------


def _reference(value: str) -> str | None:
    return None if not value or value.upper() in NOT_PROVIDED else value


def _account(row: _Row, header: _Header, mapping: CsvMapping) -> str:
    if mapping.account_id is not None:
        return mapping.account_id
    value = header.cell(row, "account")
    if not value:
        raise StatementParseError("empty account", line=row.line, field=header.column("account"))
    return value


def _account_field(header: _Header, mapping: CsvMapping) -> str | None:
    return header.column("account") if mapping.account_id is None else None


def _currency(row: _Row, header: _Header, mapping: CsvMapping) -> str | None:
    if "currency" not in mapping.columns:
        return mapping.currency
    value = header.cell(row, "currency").upper()
    if not _CURRENCY_CODE.fullmatch(value):
        raise StatementParseError(
            f"invalid currency {value!r} (expected a three-letter code)",
            line=row.line,
            field=header.column("currency"),
        )
    return value


def _date(row: _Row, header: _Header, mapping: CsvMapping, key: str, *, required: bool) -> date | None:
    if key not in header.index:
        return None
    value = header.cell(row, key)
    column = header.column(key)
    if not value:
        if required:
            raise StatementParseError(f"empty {key.replace('_', ' ')}", line=row.line, field=column)
        return None
    try:
        return strptime_date(value, mapping.date_format)
    except ValueError as exc:
        raise StatementParseError(
            f"invalid {key.replace('_', ' ')} {value!r} (expected {readable_format(mapping.date_format)})",
            line=row.line,
            field=column,
        ) from exc


def _signed_amount(row: _Row, header: _Header, mapping: CsvMapping) -> Decimal:
    if mapping.sign_convention == SIGNED_AMOUNT:
        amount = _decimal(row, header, mapping, "amount")
        if amount is None:
            raise StatementParseError("empty amount", line=row.line, field=header.column("amount"))
        return amount
    if mapping.sign_convention == DEBIT_CREDIT_COLUMNS:
        debit = _decimal(row, header, mapping, "debit")
        credit = _decimal(row, header, mapping, "credit")
        if credit is not None and credit < 0:
            raise StatementParseError(
                f"negative amount {credit} in the credit column", line=row.line, field=header.column("credit")
            )
        # Some banks write 0.00 in the column that does not apply rather than leaving it empty.
        if debit is not None and credit is not None and debit != 0 and credit != 0:
            raise StatementParseError(
                "both the debit and the credit column hold an amount",
                line=row.line,
                field=f"{header.column('debit')}/{header.column('credit')}",
            )
        if debit is None and credit is None:
            raise StatementParseError(
                "neither the debit nor the credit column holds an amount",
                line=row.line,
                field=f"{header.column('debit')}/{header.column('credit')}",
            )
        if debit is not None and (credit is None or credit == 0):
            return -abs(debit)
        assert credit is not None
        return credit
    amount = _decimal(row, header, mapping, "amount")
    if amount is None:
        raise StatementParseError("empty amount", line=row.line, field=header.column("amount"))
    if amount < 0 or "+" in header.cell(row, "amount"):
        raise StatementParseError(
            f"signed amount {header.cell(row, 'amount')!r} where the indicator column gives the sign",
            line=row.line,
            field=header.column("amount"),
        )
    indicator = header.cell(row, "indicator").upper()
    if indicator in mapping.credit_indicators:
        return amount
    if indicator in mapping.debit_indicators or (indicator and not mapping.debit_indicators):
        return -amount
    expected = sorted(mapping.credit_indicators | mapping.debit_indicators)
    raise StatementParseError(
        f"debit/credit indicator {indicator!r} is none of {', '.join(expected)}",
        line=row.line,
        field=header.column("indicator"),
    )


def _take_balances(row: _Row, header: _Header, mapping: CsvMapping, statement: _Statement) -> None:
    for key in ("opening_balance", "closing_balance"):
        if key not in header.index:
            continue
        value = _decimal(row, header, mapping, key)
        if value is None:
            continue
        known = statement.opening if key == "opening_balance" else statement.closing
        if known is not None and known != value:
            raise StatementParseError(
                f"{key.replace('_', ' ')} {value} differs from {known} on an earlier row of the statement "
                "(a running balance cannot stand in for a statement balance)",
                line=row.line,
                field=header.column(key),
            )
        if key == "opening_balance":
            statement.opening = value
        else:
            statement.closing = value


def _decimal(row: _Row, header: _Header, mapping: CsvMapping, key: str) -> Decimal | None:
    raw = header.cell(row, key)
    if not raw:
        return None
    value = parse_number(
        raw,
        decimal_separator=mapping.decimal_separator,
        thousands_separator=mapping.thousands_separator,
        max_decimals=MAX_DECIMALS,
    )
    if value is None:
        hint = number_format_hint(
            decimal_separator=mapping.decimal_separator,
            thousands_separator=mapping.thousands_separator,
            max_decimals=MAX_DECIMALS,
        )
        raise StatementParseError(
            f"invalid amount {raw!r} (expected {hint})",
            line=row.line,
            field=header.column(key),
        )
    return value
