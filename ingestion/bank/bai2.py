"""BAI2 (BAI Cash Management Balance Reporting Specifications, version 2) parser.

Why not the `bai2` library (checked with 0.15 against the corpus in shared/external/bai2): it reads the four corpus
files correctly, but `parse_from_file` reads the whole file into one string and `parse_from_lines` builds the whole
file as nested lists (file -> groups -> accounts -> transactions) before anything can be used, so memory grows with
the file and no line comes out before the file is read to the end. It also refuses any type code missing from its
own table, which includes the bank-defined ranges 920-999 that real banks use ("Type code '931' is not supported
yet"), and its errors carry no line number. So this module reads the stream line by line and holds one logical
record (a record with its 88 continuations) at a time.

How a file is read:
- Bytes are split into physical lines at CRLF, LF or CR and decoded as UTF-8, else latin-1 (BAI2 is ASCII; the
  fallback only keeps odd bytes in free text readable). Trailing blanks (fixed-length padding) and blank lines are
  dropped. A file without line breaks (fixed blocks) is not supported and fails on the line length limit.
- Each line starts with a record code and a comma. An 88 record continues the record before it: its fields follow
  that record's fields, and after a 16's fixed fields it continues the 16's free text. A '/' ends a record's fields;
  it is optional at the very end of a line (the corpus's SVB file ends "99,282030196,2,20"). A field that is empty
  where a summary's type code is expected is the comma some banks write before the '/' (",,,/"), not a summary.
- Files written back to back (01 ... 99 01 ... 99) are read as one stream of statements.

Mapping (one statement per 03 account section):
- `account_id` is the 03 account number; `currency_code` the 03 currency, else the 02 group currency, else USD
  (the BAI2 default for a blank group currency; BTRS files from non-US banks state the currency on the 03).
- Amounts are integers in minor units: two implied decimals, or the currency's own number (JPY 0, KWD 3, ...).
- Opening balance: 010 opening ledger; closing balance: 015 closing ledger. Available balances (040, 045) and the
  other status and summary codes are read past: mixing ledger and available balances would break the identity
  opening + credits + debits = closing. Both balances are dated with the 02 as-of date (the 010 is the ledger at the
  start of that day); `closing_balance_date` carries the as-of date even without an 015, because it dates the report.
- 16 lines: booked on the as-of date; `value_date` is the date of funds type V, else None (the other funds types
  give availability in days, not a date). `bank_reference` is the bank reference number, `end_to_end_id` the
  customer reference number (the reference the originator or the account owner gave the payment, the nearest
  BAI2 has), `remittance_text` the free text (88 continuations joined by line breaks, as banks wrap it at the record
  length, sometimes inside a word), `bank_transaction_code` the type code, `creditor_reference` an RF reference
  found in the customer reference or the text.
- Direction by type code: 100-399 and 920-959 (bank-defined credits) are credits, 400-699 and 960-999 (bank-defined
  debits) debits. 001-099 are balances and cannot stand in a 16. 700-919 (loan detail, codes BAI leaves unused,
  bank-defined status codes, 890 non-monetary information) have no direction: with a zero or blank amount such a
  record is information and yields no line; with an amount it is rejected, because booking it either way could be
  wrong and would break the statement's balance.

Checks (StatementParseError naming the line, the record, the field, the expected and the computed value):
- 49 account trailer: control total = the sum of the amounts of the 03 summaries and the 16 records (item counts
  excluded); record count = the account's physical records, 03 and 49 and every 16 and 88 in between. A blank
  control total is tolerated (some banks leave it empty) and then not checked; the record count still is. Banks
  differ on whether the amounts of an availability distribution (funds types S and D) count as "amounts": a total
  that matches either reading is accepted.
- 98 group trailer: control total = the sum of the group's account control totals (the computed one where the 49
  left it blank), number of accounts, record count (02 ... 98). 99 file trailer: control total = the sum of the group
  totals, number of groups, record count (01 ... 99).
- Structure: records in order (01, 02, 03, 16/88, 49, 98, 99), no record after the last trailer, no file without
  its trailers (a truncated file must not load as if complete), version 2 in the 01, group status 1 (update) or 3
  (correction): 2 (deletion) and 4 (test only) carry nothing to load.

Lines are yielded as they are read and an account's summary after its 49 has been checked, so an error (a group
trailer that does not add up) can come after some statements were yielded: a loader must treat the file as one unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from ingestion.bank.records import StatementLine, StatementParseError, StatementSummary, StatementTotals
from ingestion.bank.rf_reference import find_rf_reference
from ingestion.bank.text_lines import physical_lines

FILE_FORMAT = "bai2"
ORIGINAL_TEXT_LIMIT = 4000
MAX_LINE_BYTES = (
    16 * 1024
)  # BAI2 physical records are typically 80 characters; far longer means no line breaks
MAX_RECORD_CHARS = 64 * 1024  # a 16 with its 88s; more would only fill memory
DEFAULT_CURRENCY = "USD"
SUPPORTED_VERSION = "2"

FILE_HEADER, GROUP_HEADER, ACCOUNT, DETAIL = "01", "02", "03", "16"
CONTINUATION, ACCOUNT_TRAILER, GROUP_TRAILER, FILE_TRAILER = "88", "49", "98", "99"
RECORD_NAMES = {
    FILE_HEADER: "file header",
    GROUP_HEADER: "group header",
    ACCOUNT: "account identifier",
    DETAIL: "transaction detail",
    CONTINUATION: "continuation",
    ACCOUNT_TRAILER: "account trailer",
    GROUP_TRAILER: "group trailer",
    FILE_TRAILER: "file trailer",
}

OPENING_LEDGER = "010"
CLOSING_LEDGER = "015"
LOADABLE_GROUP_STATUSES = {"1": "update", "3": "correction"}
REFUSED_GROUP_STATUSES = {"2": "deletion", "4": "test only"}

# ISO 4217 minor units where they are not 2; BAI2 amounts carry the currency's implied decimals.
_MINOR_UNITS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV"), 0
    ),
    **dict.fromkeys(("XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}

_BOM = b"\xef\xbb\xbf"
_RECORD_START = re.compile(r"(\d{2})(?:,|$)")
_SIGNED_INTEGER = re.compile(r"[+-]?\d+")
_UNSIGNED_INTEGER = re.compile(r"\+?\d+")
_TYPE_CODE = re.compile(r"\d{3}")
_YYMMDD = re.compile(r"(\d{2})(\d{2})(\d{2})")
_FUNDS_TYPES_WITHOUT_FIELDS = frozenset({"", "0", "1", "2", "Z"})


def parse_bai2(stream: BinaryIO, *, source_name: str = "") -> Iterator[StatementLine | StatementSummary]:
    """Parse a BAI2 file (one or more groups of accounts) from a binary stream.

    Yields each account's lines in file order, then its `StatementSummary` (file_format "bai2"), then the next
    account. Raises `StatementParseError` naming the line, the record, the field and the reason for anything that
    cannot be read, for trailer totals or counts that disagree with the records (expected and computed values in the
    message), and for a file cut short. `source_name` is accepted for symmetry with the other parsers; the caller
    names the file in its report.
    """
    reader = _Reader()
    for record in _records(stream):
        yield from reader.take(record)
    reader.finish()


# --- physical lines and logical records -------------------------------------------------------------------------


@dataclass
class _Record:
    """One logical record: the physical line that opens it and the 88 lines that continue it."""

    code: str
    line: int
    lines: list[str]  # the physical lines as written, without trailing blanks
    size: int = 0

    @property
    def name(self) -> str:
        return f"{self.code} ({RECORD_NAMES[self.code]})"

    @property
    def physical_records(self) -> int:
        return len(self.lines)

    def pieces(self) -> list[str]:
        """The content of each physical line after its record code and comma."""
        return [line[3:] for line in self.lines]

    def fields(self) -> list[str]:
        """All fields of the record in order, the 88s' after the opening line's; a record-ending '/' dropped."""
        fields: list[str] = []
        for piece in self.pieces():
            fields.extend(_strip_terminator(piece).split(","))
        return fields

    def original_text(self) -> str:
        return "\n".join(self.lines)[:ORIGINAL_TEXT_LIMIT]

    def error(self, reason: str, field: str | None = None) -> StatementParseError:
        return StatementParseError(reason, line=self.line, record=self.name, field=field)


def _strip_terminator(piece: str) -> str:
    return piece[:-1] if piece.endswith("/") else piece


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _records(stream: BinaryIO) -> Iterator[_Record]:
    """Logical records in file order; a record is handed out once the next line shows it has no more 88s."""
    current: _Record | None = None
    for number, raw in enumerate(
        physical_lines(stream, max_line_bytes=MAX_LINE_BYTES, what="a BAI2 file with line breaks"), start=1
    ):
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        if len(raw) > MAX_LINE_BYTES:
            raise StatementParseError(
                f"line longer than {MAX_LINE_BYTES} bytes: not a BAI2 file with line breaks", line=number
            )
        text = _decode(raw).rstrip()
        if not text:
            continue
        start = _RECORD_START.match(text)
        if start is None or start.group(1) not in RECORD_NAMES:
            raise StatementParseError(
                f"not a BAI2 record: {text[:20]!r} (a record starts with 01, 02, 03, 16, 88, 49, 98 or 99 "
                "and a comma)",
                line=number,
            )
        code = start.group(1)
        if code == CONTINUATION:
            if current is None:
                raise StatementParseError(
                    "continuation (88) without a record to continue", line=number, record="88 (continuation)"
                )
            current.lines.append(text)
            current.size += len(text)
            if current.size > MAX_RECORD_CHARS:
                raise current.error(f"record longer than {MAX_RECORD_CHARS} characters with its 88s")
            continue
        if current is not None:
            yield current
        current = _Record(code=code, line=number, lines=[text], size=len(text))
    if current is not None:
        yield current


# --- the file structure and its control totals ------------------------------------------------------------------


@dataclass
class _Group:
    line: int
    as_of: date
    currency: str | None
    records: int = 0  # physical records so far, 02 included
    accounts: int = 0
    control_total: int = 0  # the sum of its accounts' control totals


@dataclass
class _Account:
    index: int
    line: int
    account_id: str
    currency: str
    decimals: int
    as_of: date
    statement_id: str | None
    opening: Decimal | None
    closing: Decimal | None
    amount_total: int  # the amounts of the 03 summaries and the 16 records, in minor units
    distribution_total: int  # the amounts of funds availability distributions (funds types S and D)
    records: int
    totals: StatementTotals = field(default_factory=StatementTotals)


class _Reader:
    """The state of the file being read: which section is open, and the running counts and totals of each."""

    def __init__(self) -> None:
        self.files = 0
        self.file_open = False
        self.file_id: str | None = None
        self.file_records = 0
        self.file_groups = 0
        self.file_control_total = 0
        self.group: _Group | None = None
        self.account: _Account | None = None
        self.statements = 0
        self.closed_at: int | None = None  # line of the last 99, while no new 01 has opened another file

    def take(self, record: _Record) -> Iterator[StatementLine | StatementSummary]:
        code = record.code
        if code == FILE_HEADER:
            self._file_header(record)
            return
        if not self.file_open:
            if self.closed_at is not None:
                raise record.error(f"record after the file trailer (99) at line {self.closed_at}")
            raise record.error("record before the file header (01)")
        self.file_records += record.physical_records
        if self.group is not None:
            self.group.records += record.physical_records
        if self.account is not None:
            self.account.records += record.physical_records
        if code == GROUP_HEADER:
            self._group_header(record)
        elif code == ACCOUNT:
            self._account_identifier(record)
        elif code == DETAIL:
            line = self._detail(record)
            if line is not None:
                yield line
        elif code == ACCOUNT_TRAILER:
            yield self._account_trailer(record)
        elif code == GROUP_TRAILER:
            self._group_trailer(record)
        elif code == FILE_TRAILER:
            self._file_trailer(record)

    def finish(self) -> None:
        if self.files == 0:
            raise StatementParseError("no BAI2 file header (01) found")
        if self.account is not None:
            raise StatementParseError(
                f"file ends inside account {self.account.account_id} (03 at line {self.account.line}): "
                "no account trailer (49), truncated?",
                line=self.account.line,
                record="49 (account trailer)",
            )
        if self.group is not None:
            raise StatementParseError(
                f"file ends inside the group of line {self.group.line}: no group trailer (98), truncated?",
                line=self.group.line,
                record="98 (group trailer)",
            )
        if self.file_open:
            raise StatementParseError(
                "file ends without a file trailer (99): truncated?", record="99 (file trailer)"
            )

    # -- headers -----------------------------------------------------------------------------------------------

    def _file_header(self, record: _Record) -> None:
        if self.file_open:
            raise record.error("second file header (01) before the file trailer (99)")
        fields = _padded(record.fields(), 8)
        version = fields[7].strip()
        if version != SUPPORTED_VERSION:
            raise record.error(
                f"BAI version {version or '(blank)'} is not supported, only version {SUPPORTED_VERSION}",
                field="version number",
            )
        self.files += 1
        self.file_open = True
        self.closed_at = None
        self.file_id = fields[4].strip() or None
        self.file_records = record.physical_records
        self.file_groups = 0
        self.file_control_total = 0

    def _group_header(self, record: _Record) -> None:
        if self.group is not None:
            raise record.error(
                f"group header (02) inside the group of line {self.group.line}: no 98 before it"
            )
        fields = _padded(record.fields(), 7)
        status = fields[2].strip()
        if status in REFUSED_GROUP_STATUSES:
            raise record.error(
                f"group status {status} ({REFUSED_GROUP_STATUSES[status]}): nothing to load",
                field="group status",
            )
        if status not in LOADABLE_GROUP_STATUSES:
            raise record.error(
                f"unknown group status {status!r} (1 update, 2 deletion, 3 correction, 4 test only)",
                field="group status",
            )
        self.group = _Group(
            line=record.line,
            as_of=_date(fields[3], record, "as-of date"),
            currency=_currency(fields[5], record),
            records=record.physical_records,
        )

    def _account_identifier(self, record: _Record) -> None:
        if self.group is None:
            raise record.error("account identifier (03) outside a group (no 02 before it)")
        if self.account is not None:
            raise record.error(
                f"account identifier (03) inside account {self.account.account_id} of line "
                f"{self.account.line}: no 49 before it"
            )
        fields = _Fields(record.pieces())
        account_id = fields.next()
        if not account_id:
            raise record.error("empty account number", field="customer account number")
        currency = _currency(fields.next(), record) or self.group.currency or DEFAULT_CURRENCY
        decimals = _MINOR_UNITS.get(currency, 2)
        summaries = _summaries(fields, record)
        self.statements += 1
        self.account = _Account(
            index=self.statements,
            line=record.line,
            account_id=account_id,
            currency=currency,
            decimals=decimals,
            as_of=self.group.as_of,
            statement_id=self.file_id,
            opening=_first_balance(summaries, OPENING_LEDGER, decimals),
            closing=_first_balance(summaries, CLOSING_LEDGER, decimals),
            amount_total=sum(summary.amount or 0 for summary in summaries),
            distribution_total=sum(summary.distributed for summary in summaries),
            records=record.physical_records,
        )

    # -- transactions ------------------------------------------------------------------------------------------

    def _detail(self, record: _Record) -> StatementLine | None:
        account = self.account
        if account is None:
            raise record.error("transaction detail (16) outside an account (no 03 before it)")
        detail = _read_detail(record)
        account.amount_total += detail.amount or 0
        account.distribution_total += detail.distributed
        sign = _direction(detail.type_code, record)
        if sign == 0:
            if detail.amount:
                raise record.error(
                    f"type code {detail.type_code} has no credit or debit direction (700-919: loan detail, "
                    "unused or bank-defined status codes) but carries the amount "
                    f"{detail.amount}: cannot be booked either way",
                    field="type code",
                )
            return None  # non-monetary information (890 and the like)
        if detail.amount is None:
            raise record.error("empty amount", field="amount")
        text = detail.text
        return account.totals.add(
            StatementLine(
                statement_index=account.index,
                line_index=account.totals.line_count + 1,
                account_id=account.account_id,
                amount=sign * Decimal(detail.amount).scaleb(-account.decimals),
                booking_date=account.as_of,
                value_date=detail.value_date,
                statement_id=account.statement_id,
                currency_code=account.currency,
                bank_reference=detail.bank_reference,
                end_to_end_id=detail.customer_reference,
                creditor_reference=_rf_reference(detail.customer_reference, text),
                remittance_text=text,
                bank_transaction_code=detail.type_code,
                original_text=record.original_text(),
            )
        )

    # -- trailers ----------------------------------------------------------------------------------------------

    def _account_trailer(self, record: _Record) -> StatementSummary:
        account = self.account
        if account is None:
            raise record.error("account trailer (49) without an account (no 03 before it)")
        assert self.group is not None  # an account only opens inside a group
        fields = _padded(record.fields(), 2)
        control_total = account.amount_total
        if fields[0].strip():
            stated = _integer(fields[0], record, "account control total", signed=True)
            if stated not in (account.amount_total, account.amount_total + account.distribution_total):
                raise record.error(
                    f"account control total of account {account.account_id}: the trailer says {stated}, "
                    f"the amounts of its 03 and 16 records add up to {account.amount_total}",
                    field="account control total",
                )
            control_total = stated
        _check_count(fields[1], account.records, record, "number of records", f"account {account.account_id}")
        self.group.accounts += 1
        self.group.control_total += control_total
        self.account = None
        return StatementSummary(
            statement_index=account.index,
            file_format=FILE_FORMAT,
            account_id=account.account_id,
            statement_id=account.statement_id,
            sequence_number=None,
            currency_code=account.currency,
            opening_balance=account.opening,
            opening_balance_date=account.as_of if account.opening is not None else None,
            closing_balance=account.closing,
            closing_balance_date=account.as_of,
            line_count=account.totals.line_count,
            credit_total=account.totals.credit_total,
            debit_total=account.totals.debit_total,
            last_booking_date=account.totals.last_booking_date,
        )

    def _group_trailer(self, record: _Record) -> None:
        group = self.group
        if group is None:
            raise record.error("group trailer (98) without a group (no 02 before it)")
        if self.account is not None:
            raise record.error(
                f"group trailer (98) inside account {self.account.account_id} of line {self.account.line}: "
                "no 49 before it"
            )
        fields = _padded(record.fields(), 3)
        stated = _integer(fields[0], record, "group control total", signed=True)
        if stated != group.control_total:
            raise record.error(
                f"group control total: the trailer says {stated}, the group's account control totals add up "
                f"to {group.control_total}",
                field="group control total",
            )
        _check_count(fields[1], group.accounts, record, "number of accounts", "the group")
        _check_count(fields[2], group.records, record, "number of records", "the group")
        self.file_groups += 1
        self.file_control_total += stated
        self.group = None

    def _file_trailer(self, record: _Record) -> None:
        if self.group is not None:
            raise record.error(
                f"file trailer (99) inside the group of line {self.group.line}: no 98 before it"
            )
        fields = _padded(record.fields(), 3)
        stated = _integer(fields[0], record, "file control total", signed=True)
        if stated != self.file_control_total:
            raise record.error(
                f"file control total: the trailer says {stated}, the file's group control totals add up to "
                f"{self.file_control_total}",
                field="file control total",
            )
        _check_count(fields[1], self.file_groups, record, "number of groups", "the file")
        _check_count(fields[2], self.file_records, record, "number of records", "the file")
        self.file_open = False
        self.closed_at = record.line


# --- field contents ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Summary:
    type_code: str
    amount: int | None
    distributed: int  # the amounts of its availability distribution


@dataclass(frozen=True, slots=True)
class _Detail:
    type_code: str
    amount: int | None
    distributed: int
    value_date: date | None
    bank_reference: str | None
    customer_reference: str | None
    text: str | None


class _Fields:
    """Reads a record's fields one at a time, across its 88 continuations, and can hand out the rest as text."""

    def __init__(self, pieces: list[str]) -> None:
        self._pieces = [_strip_terminator(piece).split(",") for piece in pieces]
        self._raw = pieces
        self._piece = 0
        self._position = 0

    def next(self) -> str:
        """The next field, or '' once the record has no more (fields left out at the end are blank)."""
        while self._piece < len(self._pieces):
            fields = self._pieces[self._piece]
            if self._position < len(fields):
                self._position += 1
                return fields[self._position - 1].strip()
            self._piece += 1
            self._position = 0
        return ""

    def exhausted(self) -> bool:
        last = len(self._pieces) - 1
        return self._piece > last or (self._piece == last and self._position >= len(self._pieces[last]))

    def rest_as_text(self) -> str | None:
        """Everything after the fields read so far: the free text of a 16, with its continuation lines."""
        parts: list[str] = []
        if self._piece < len(self._pieces):
            rest = self._pieces[self._piece][self._position :]
            if rest:
                parts.append(",".join(rest))
            # Text is not '/'-terminated, but where a bank ends it with one that is the record's end, not text.
            parts.extend(_strip_terminator(piece) for piece in self._raw[self._piece + 1 :])
        text = "\n".join(part.strip() for part in parts if part.strip())
        return text or None


def _read_detail(record: _Record) -> _Detail:
    fields = _Fields(record.pieces())
    type_code = fields.next()
    if not _TYPE_CODE.fullmatch(type_code):
        raise record.error(f"invalid type code {type_code!r} (three digits)", field="type code")
    raw_amount = fields.next()
    # Detail amounts are unsigned in BAI2: the type code gives the direction.
    amount = _integer(raw_amount, record, "amount", signed=False) if raw_amount else None
    funds_type = fields.next().upper()
    value_date, distributed = _availability(funds_type, fields, record)
    bank_reference = fields.next() or None
    customer_reference = fields.next() or None
    return _Detail(
        type_code=type_code,
        amount=amount,
        distributed=distributed,
        value_date=value_date,
        bank_reference=bank_reference,
        customer_reference=customer_reference,
        text=fields.rest_as_text(),
    )


def _summaries(fields: _Fields, record: _Record) -> list[_Summary]:
    """The 03 record's summaries: type code, amount, item count, funds type and its availability fields."""
    summaries: list[_Summary] = []
    while not fields.exhausted():
        type_code = fields.next()
        if not type_code:
            continue  # the comma some banks write before the '/' (",,,/"), not a summary
        if not _TYPE_CODE.fullmatch(type_code):
            raise record.error(f"invalid summary type code {type_code!r} (three digits)", field="type code")
        raw_amount = fields.next()
        amount = _integer(raw_amount, record, f"amount of {type_code}", signed=True) if raw_amount else None
        item_count = fields.next()
        if item_count and not item_count.isdigit():
            raise record.error(f"invalid item count {item_count!r}", field=f"item count of {type_code}")
        funds_type = fields.next().upper()
        _, distributed = _availability(funds_type, fields, record)
        summaries.append(_Summary(type_code=type_code, amount=amount, distributed=distributed))
    return summaries


def _availability(funds_type: str, fields: _Fields, record: _Record) -> tuple[date | None, int]:
    """Read the fields a funds type adds; return the value date (funds type V) and the distributed amounts."""
    if funds_type in _FUNDS_TYPES_WITHOUT_FIELDS:
        return None, 0
    if funds_type == "V":
        raw_date, _time = fields.next(), fields.next()
        return (_date(raw_date, record, "value date") if raw_date else None), 0
    if funds_type == "S":
        # Immediate, one-day and more-than-one-day availability.
        return None, sum(_optional_integer(fields.next(), record, "availability amount") for _ in range(3))
    if funds_type == "D":
        raw_count = fields.next()
        count = _integer(raw_count, record, "number of distributions", signed=False) if raw_count else 0
        total = 0
        for _ in range(count):
            days = fields.next()
            if days and not days.isdigit():
                raise record.error(f"invalid availability in days {days!r}", field="availability days")
            total += _optional_integer(fields.next(), record, "availability amount")
        return None, total
    raise record.error(
        f"unknown funds type {funds_type!r} (0, 1, 2, S, V, D, Z or blank)", field="funds type"
    )


def _direction(type_code: str, record: _Record) -> int:
    code = int(type_code)
    if 100 <= code <= 399 or 920 <= code <= 959:
        return 1
    if 400 <= code <= 699 or 960 <= code <= 999:
        return -1
    if code < 100:
        raise record.error(
            f"type code {type_code} is an account status (balance) code, not a transaction", field="type code"
        )
    return 0


def _rf_reference(*texts: str | None) -> str | None:
    for text in texts:
        found = find_rf_reference(text) if text else None
        if found is not None:
            return found
    return None


def _first_balance(summaries: list[_Summary], type_code: str, decimals: int) -> Decimal | None:
    for summary in summaries:
        if summary.type_code == type_code and summary.amount is not None:
            return Decimal(summary.amount).scaleb(-decimals)
    return None


def _check_count(raw: str, computed: int, record: _Record, name: str, scope: str) -> None:
    stated = _integer(raw, record, name, signed=False)
    if stated != computed:
        raise record.error(
            f"{name}: the trailer says {stated}, {scope} has {computed}",
            field=name,
        )


def _integer(raw: str, record: _Record, name: str, *, signed: bool) -> int:
    value = raw.strip()
    pattern = _SIGNED_INTEGER if signed else _UNSIGNED_INTEGER
    if not pattern.fullmatch(value):
        kind = "a whole number of minor units" + ("" if signed else " without sign")
        raise record.error(f"invalid {name} {raw!r} (expected {kind})", field=name)
    return int(value)


def _optional_integer(raw: str, record: _Record, name: str) -> int:
    return _integer(raw, record, name, signed=True) if raw.strip() else 0


def _currency(raw: str, record: _Record) -> str | None:
    value = raw.strip().upper()
    if not value:
        return None
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise record.error(f"invalid currency code {raw!r}", field="currency code")
    return value


def _date(raw: str, record: _Record, name: str) -> date:
    match = _YYMMDD.fullmatch(raw.strip())
    if match is None:
        raise record.error(f"invalid {name} {raw!r} (expected YYMMDD)", field=name)
    year, month, day = (int(part) for part in match.groups())
    # BAI2 writes two-digit years; the format dates from 1987, so 87-99 are the 1900s.
    year += 1900 if year >= 87 else 2000
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise record.error(f"invalid {name} {raw!r} ({exc})", field=name) from exc


def _padded(fields: list[str], length: int) -> list[str]:
    return fields + [""] * (length - len(fields))
