"""Read customer statements (what a customer says it owes us) from CSV and XLSX files.

The template (docs/customer_statements.md) has one row per open item, one or many customers per file:

    customer_id, statement_date, document_ref, document_type, document_date, amount, currency_code

document_type is invoice, credit_note or payment; amount is positive when the customer owes it and negative for a
credit or a payment the customer has made. Customers who cannot send the template send their own layout, which a
mapping (ingestion/statements/mappings/*.yml, or a folder named by AR_STATEMENT_MAPPINGS_DIR) translates: column
names, a fixed customer, date format, decimal and thousands separators, document type names and the sign.

A file is read whole before anything is loaded, and every bad row is reported (file, line, field, reason): a
statement is only meaningful complete, so a file with a bad row is rejected whole and nothing of it is loaded.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from ingestion.text_values import (
    header_key,
    number_format_hint,
    parse_number,
    readable_format,
    strptime_date,
    strptime_format,
)

CANONICAL_COLUMNS = (
    "customer_id",
    "statement_date",
    "document_ref",
    "document_type",
    "document_date",
    "amount",
    "currency_code",
)
REQUIRED_COLUMNS = ("customer_id", "statement_date", "document_ref", "document_type", "amount")
DOCUMENT_TYPES = ("invoice", "credit_note", "payment")
SIGNS = ("owed_positive", "owed_negative")
MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
MAPPING_SUFFIXES = (".yml", ".yaml")
FILE_SUFFIXES = (".csv", ".xlsx")
MAX_REPORTED_ERRORS = 50
MAX_DECIMALS = 2  # raw_statements.statement_items.amount is numeric(18, 2)
_CURRENCY = re.compile(r"[A-Z]{3}")
_XLSX_MAGIC = b"PK\x03\x04"
_MAPPING_KEYS = frozenset(
    {
        "name", "description", "columns", "customer_id", "currency", "date_format", "decimal_separator",
        "thousands_separator", "document_types", "sign", "encoding", "delimiter", "sheet", "skip_rows", "detect",
    }
)  # fmt: skip


class StatementMappingError(ValueError):
    """A mapping file that cannot be used: a configuration error, not a fault of the statement file."""


@dataclass(frozen=True)
class RowError:
    """One reason a statement file cannot be loaded, with where it is."""

    reason: str
    line: int | None = None
    field: str | None = None

    def describe(self) -> str:
        where = ", ".join(
            p for p in (f"line {self.line}" if self.line else None, self.field and f"field {self.field}") if p
        )
        return f"{where}: {self.reason}" if where else self.reason


class StatementFileError(Exception):
    """A statement file that cannot be loaded; `errors` lists every reason found (up to MAX_REPORTED_ERRORS)."""

    def __init__(self, errors: list[RowError], *, more: int = 0) -> None:
        self.errors = errors
        self.more = more
        text = "; ".join(e.describe() for e in errors)
        super().__init__(text + (f"; and {more} more" if more else ""))

    @property
    def first(self) -> RowError:
        return self.errors[0]


@dataclass(frozen=True)
class StatementMapping:
    """How one customer's (or one layout's) statement file is laid out. The template is `TEMPLATE`."""

    name: str
    columns: dict[str, str]  # canonical name -> the file's header
    customer_id: str | None = None  # every row's customer, when the file has no customer column
    currency: str | None = None  # every row's currency, when the file has no currency column
    date_format: str = "%Y-%m-%d"
    decimal_separator: str = "."
    thousands_separator: str = ""
    document_types: dict[str, str] = field(
        default_factory=dict
    )  # the file's value (case-folded) -> canonical
    sign: str = "owed_positive"  # owed_negative: the file shows what the customer owes as negative
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None  # XLSX: the sheet to read (default: the first)
    skip_rows: int = 0  # rows before the header row
    detect: tuple[str, ...] = ()  # headers that identify the layout; default: every mapped header
    source: str = ""

    def detect_headers(self) -> tuple[str, ...]:
        return self.detect or tuple(self.columns.values())


TEMPLATE = StatementMapping(name="template", columns={c: c for c in CANONICAL_COLUMNS}, source="built in")


@dataclass(frozen=True, slots=True)
class StatementItemRow:
    """One line of a customer statement, checked and in canonical form."""

    line_number: int
    customer_id: str
    statement_date: date
    document_ref: str
    document_type: str
    document_date: date | None
    amount: Decimal
    currency_code: str | None


@dataclass
class StatementFile:
    """A statement file read whole: its rows and the mapping that read them."""

    path: Path
    file_format: str  # csv or xlsx
    mapping: StatementMapping
    rows: list[StatementItemRow]

    def statements(self) -> dict[tuple[str, date], list[StatementItemRow]]:
        """The file's statements: its rows by (customer_id, statement_date), in file order."""
        grouped: dict[tuple[str, date], list[StatementItemRow]] = {}
        for row in self.rows:
            grouped.setdefault((row.customer_id, row.statement_date), []).append(row)
        return grouped


# ---- mappings ----------------------------------------------------------------------------------------------------


def mapping_dirs() -> list[Path]:
    """Where mappings are looked for: AR_STATEMENT_MAPPINGS_DIR (a site's own) first, then the examples here."""
    extra = os.environ.get("AR_STATEMENT_MAPPINGS_DIR")
    return [Path(extra)] + [MAPPINGS_DIR] if extra else [MAPPINGS_DIR]


def available_mappings() -> list[StatementMapping]:
    found = []
    for folder in mapping_dirs():
        if folder.is_dir():
            found += [load_mapping(p) for p in sorted(folder.iterdir()) if p.suffix in MAPPING_SUFFIXES]
    return found


def load_mapping(name_or_path: str | Path) -> StatementMapping:
    """A mapping by name (a file in the mapping folders, without suffix), by path, or 'template'; checked."""
    if str(name_or_path) == TEMPLATE.name:
        return TEMPLATE
    path = Path(name_or_path)
    if path.suffix not in MAPPING_SUFFIXES:
        candidates = [
            folder / f"{name_or_path}{suffix}" for folder in mapping_dirs() for suffix in MAPPING_SUFFIXES
        ]
        path = next((c for c in candidates if c.is_file()), path)
    if not path.is_file():
        raise StatementMappingError(
            f"no statement mapping {name_or_path!r} (looked in {', '.join(map(str, mapping_dirs()))})"
        )
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _mapping_from_document(document, path)


def _mapping_from_document(document: Any, path: Path) -> StatementMapping:
    def fail(reason: str) -> StatementMappingError:
        return StatementMappingError(f"{path}: {reason}")

    if not isinstance(document, dict):
        raise fail("expected a mapping of keys")
    unknown = set(document) - _MAPPING_KEYS
    if unknown:
        raise fail(f"unknown key(s) {', '.join(sorted(unknown))}")
    columns = document.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise fail("'columns' must map canonical names to the file's headers")
    bad = set(columns) - set(CANONICAL_COLUMNS)
    if bad:
        raise fail(f"unknown column(s) {', '.join(sorted(bad))}; canonical: {', '.join(CANONICAL_COLUMNS)}")
    fixed = {"customer_id": document.get("customer_id"), "currency_code": document.get("currency")}
    for column in REQUIRED_COLUMNS:
        if column not in columns and not fixed.get(column):
            raise fail(
                f"column {column!r} is required"
                + (" (or a fixed customer_id)" if column == "customer_id" else "")
            )
    sign = document.get("sign", "owed_positive")
    if sign not in SIGNS:
        raise fail(f"sign must be one of {', '.join(SIGNS)}, got {sign!r}")
    types = {str(k).casefold(): str(v) for k, v in (document.get("document_types") or {}).items()}
    if not set(types.values()) <= set(DOCUMENT_TYPES):
        raise fail(f"document_types must map to {', '.join(DOCUMENT_TYPES)}")
    decimal_separator = str(document.get("decimal_separator", "."))
    thousands = str(document.get("thousands_separator", ""))
    if decimal_separator not in (".", ",") or thousands == decimal_separator:
        raise fail("decimal_separator must be '.' or ',' and differ from thousands_separator")
    encoding = str(document.get("encoding", "utf-8"))
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise fail(f"unknown encoding {encoding!r}") from None
    currency = document.get("currency")
    if currency is not None and not _CURRENCY.fullmatch(str(currency)):
        raise fail(f"currency must be an ISO 4217 code, got {currency!r}")
    return StatementMapping(
        name=str(document.get("name") or path.stem),
        columns={str(k): str(v) for k, v in columns.items()},
        customer_id=str(document["customer_id"]) if document.get("customer_id") else None,
        currency=str(currency) if currency else None,
        date_format=strptime_format(str(document.get("date_format", "%Y-%m-%d"))),
        decimal_separator=decimal_separator,
        thousands_separator=thousands,
        document_types=types,
        sign=sign,
        encoding=encoding,
        delimiter=str(document.get("delimiter", ",")),
        sheet=str(document["sheet"]) if document.get("sheet") else None,
        skip_rows=int(document.get("skip_rows", 0)),
        detect=tuple(str(h) for h in document.get("detect") or ()),
        source=str(path),
    )


def choose_mapping(header: list[Any], mappings: list[StatementMapping]) -> StatementMapping | None:
    """The mapping whose identifying headers are all in `header`: the template first, then the one that needs the
    most of them (a more specific layout wins); None when none fits."""
    present = {header_key(_text(cell)) for cell in header if cell}
    fitting = [m for m in [TEMPLATE, *mappings] if all(header_key(h) in present for h in m.detect_headers())]
    if not fitting:
        return None
    if fitting[0] is TEMPLATE:
        return TEMPLATE
    return max(fitting, key=lambda m: len(m.detect_headers()))


# ---- reading -----------------------------------------------------------------------------------------------------


def read_statement_file(path: Path, *, mapping: StatementMapping | str | None = None) -> StatementFile:
    """Read and check a whole statement file; StatementFileError lists every problem found."""
    with path.open("rb") as handle:
        head = handle.read(4)
    file_format = "xlsx" if head == _XLSX_MAGIC else "csv"
    if file_format == "csv" and path.suffix.lower() == ".xlsx":
        raise StatementFileError([RowError("named .xlsx but is not an XLSX workbook (no zip signature)")])
    chosen = load_mapping(mapping) if isinstance(mapping, str) else mapping
    candidates = [chosen] if chosen is not None else [TEMPLATE, *available_mappings()]
    fitting: list[StatementMapping] = []
    header_line, header = 0, None
    unreadable: Exception | None = None
    # Each layout is tried with its own way of reading (encoding, delimiter, rows before the header); a layout
    # whose encoding cannot decode the file does not fit it.
    for candidate in candidates:
        try:
            header_line, header = next(_rows(path, file_format, candidate), (0, None))
        except (csv.Error, UnicodeDecodeError, OSError, ValueError, KeyError) as exc:
            unreadable = exc
            continue
        if header is None:
            raise StatementFileError([RowError("the file is empty (no header row)")])
        if chosen is not None or choose_mapping(header, [candidate]) is candidate:
            fitting.append(candidate)
    if not fitting and unreadable is not None and (chosen is not None or header is None):
        raise StatementFileError([RowError(f"cannot read the file as {file_format.upper()}: {unreadable}")])
    if not fitting:
        raise StatementFileError(
            [
                RowError(
                    f"the header matches neither the template ({', '.join(CANONICAL_COLUMNS)}) nor any statement "
                    "mapping; name one with --mapping",
                    line=header_line,
                )
            ]
        )
    # The template first; else the layout that needs the most headers (the more specific one).
    chosen = fitting[0] if fitting[0] is TEMPLATE else max(fitting, key=lambda m: len(m.detect_headers()))
    rows = _rows(path, file_format, chosen)
    header_line, header = next(rows)
    positions = _positions(header, chosen, header_line)
    items: list[StatementItemRow] = []
    errors: list[RowError] = []
    more = 0
    try:
        for line, cells in rows:
            if not any(_text(c) for c in cells):
                continue  # blank rows (and a trailing empty line) carry nothing
            item = _item(line, cells, positions, chosen, errors)
            if item is not None:
                items.append(item)
            if len(errors) > MAX_REPORTED_ERRORS:
                more += len(errors) - MAX_REPORTED_ERRORS
                del errors[MAX_REPORTED_ERRORS:]
    except (csv.Error, UnicodeDecodeError) as exc:
        errors.append(RowError(f"cannot read the file as {file_format.upper()}: {exc}"))
    if not errors and not items:
        errors.append(RowError("the file holds no statement line"))
    if errors:
        raise StatementFileError(errors, more=more)
    return StatementFile(path=path, file_format=file_format, mapping=chosen, rows=items)


def _rows(path: Path, file_format: str, mapping: StatementMapping) -> Iterator[tuple[int, list[Any]]]:
    """(line or row number, cells) of every row from the header on, as `mapping` reads the file."""
    return _xlsx_rows(path, mapping) if file_format == "xlsx" else _csv_rows(path, mapping)


def _csv_rows(path: Path, mapping: StatementMapping) -> Iterator[tuple[int, list[Any]]]:
    encoding = mapping.encoding.lower().replace("_", "-")
    if encoding in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a byte-order mark is dropped, not read into the first header
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=mapping.delimiter)
        skip = mapping.skip_rows
        for number, cells in enumerate(reader, start=1):
            if number <= skip:
                continue
            yield reader.line_num, cells


def _xlsx_rows(path: Path, mapping: StatementMapping) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook[mapping.sheet] if mapping.sheet else workbook.worksheets[0]
        skip = mapping.skip_rows
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number <= skip:
                continue
            yield number, list(cells)
    finally:
        workbook.close()


def _positions(header: list[Any], mapping: StatementMapping, line: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for number, cell in enumerate(header):
        found.setdefault(header_key(_text(cell)), number)
    positions: dict[str, int] = {}
    missing = []
    for canonical, name in mapping.columns.items():
        if header_key(name) in found:
            positions[canonical] = found[header_key(name)]
        elif canonical in REQUIRED_COLUMNS:
            missing.append(name)
    if missing:
        raise StatementFileError(
            [RowError(f"missing column(s) {', '.join(missing)} (mapping {mapping.name})", line=line)]
        )
    return positions


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def _item(
    line: int, cells: list[Any], positions: dict[str, int], mapping: StatementMapping, errors: list[RowError]
) -> StatementItemRow | None:
    before = len(errors)

    def cell(canonical: str) -> Any:
        position = positions.get(canonical)
        return cells[position] if position is not None and position < len(cells) else None

    def fail(canonical: str, reason: str) -> None:
        errors.append(RowError(reason, line=line, field=mapping.columns.get(canonical, canonical)))

    def required_text(canonical: str, fixed: str | None = None) -> str:
        value = _text(cell(canonical)) if canonical in positions else ""
        if not value and fixed:
            return fixed
        if not value:
            fail(canonical, "empty")
        return value

    customer_id = required_text("customer_id", mapping.customer_id)
    if mapping.customer_id and customer_id != mapping.customer_id:
        fail(
            "customer_id",
            f"{customer_id!r} in a file of customer {mapping.customer_id} (mapping {mapping.name})",
        )
    statement_date = _date(cell("statement_date"), mapping, "statement_date", fail, required=True)
    document_ref = required_text("document_ref")
    raw_type = required_text("document_type")
    document_type = mapping.document_types.get(raw_type.casefold(), raw_type.casefold())
    if raw_type and document_type not in DOCUMENT_TYPES:
        fail("document_type", f"unknown document type {raw_type!r} (expected {', '.join(DOCUMENT_TYPES)})")
    document_date = _date(cell("document_date"), mapping, "document_date", fail, required=False)
    amount = _amount(cell("amount"), mapping, fail)
    currency = _text(cell("currency_code")).upper() or mapping.currency
    if currency and not _CURRENCY.fullmatch(currency):
        fail("currency_code", f"not an ISO 4217 currency code: {currency!r}")
    if len(errors) > before:
        return None
    assert statement_date is not None and amount is not None
    if mapping.sign == "owed_negative":
        amount = -amount
    return StatementItemRow(
        line_number=line,
        customer_id=customer_id,
        statement_date=statement_date,
        document_ref=document_ref,
        document_type=document_type,
        document_date=document_date,
        amount=amount,
        currency_code=currency or None,
    )


def _date(value: Any, mapping: StatementMapping, canonical: str, fail: Any, *, required: bool) -> date | None:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            fail(canonical, f"a date and time ({value.isoformat()}) where a date is expected")
            return None
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        fail(canonical, f"a number ({value}) where a date is expected: format the column as a date")
        return None
    text = _text(value)
    if not text:
        if required:
            fail(canonical, "empty")
        return None
    try:
        return strptime_date(text, mapping.date_format)
    except ValueError:
        fail(canonical, f"invalid date {text!r} (expected {readable_format(mapping.date_format)})")
        return None


def _amount(value: Any, mapping: StatementMapping, fail: Any) -> Decimal | None:
    if isinstance(value, bool):
        fail("amount", f"not an amount: {value!r}")
        return None
    if isinstance(value, int | Decimal):
        number: Decimal | None = Decimal(value)
    elif isinstance(value, float):
        # Excel keeps numbers as binary doubles; the shortest text that reads back as the same double is what the
        # customer typed (1234.56, not 1234.5599999999999).
        try:
            number = Decimal(repr(value))
        except InvalidOperation:
            number = None
    else:
        text = _text(value)
        if not text:
            fail("amount", "empty")
            return None
        number = parse_number(
            text,
            decimal_separator=mapping.decimal_separator,
            thousands_separator=mapping.thousands_separator,
            max_decimals=MAX_DECIMALS,
        )
        if number is None:
            hint = number_format_hint(
                decimal_separator=mapping.decimal_separator,
                thousands_separator=mapping.thousands_separator,
                max_decimals=MAX_DECIMALS,
            )
            fail("amount", f"invalid amount {text!r} (expected {hint})")
            return None
    if number is None or not number.is_finite():
        fail("amount", f"not an amount: {value!r}")
        return None
    if number != number.quantize(Decimal("0.01")):
        fail("amount", f"{number} has more than {MAX_DECIMALS} decimals")
        return None
    if abs(number) >= Decimal("1e16"):
        fail("amount", f"{number} is too large")
        return None
    return number.quantize(Decimal("0.01"))
