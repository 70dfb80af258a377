"""SWIFT MT940 (customer statement) and MT942 (interim transaction report) parser.

Why not the `mt-940` library (checked with 5.1.1 against the corpus in shared/external/mt940): it takes the whole
file as one string and returns every transaction of the file in one list, so memory grows with the file; it merges
all statements of a file into one object, so a statement's balances and lines can no longer be told apart; it fails
on both ASN Bank files (a real bank's export); and it accepts betterplace/sepa_snippet_broken.sta, where a :25:
stands where a :86: belongs, by silently replacing the account number halfway through the statement. It also
reads RC (reversal of a credit) as a credit: sepa_mt9401.sta's first statement balances only with RC as a debit.
So this module reads the stream line by line and holds one field, and one transaction with its :86:, at a time.

How a file is read:
- Bytes are split into lines at CRLF, LF or CR; each line is decoded as UTF-8 (a BOM is dropped), else cp1252,
  else latin-1, which cannot fail. Control characters (SOH/ETX envelopes, NUL) are dropped.
- A line that starts with a known tag (`:20:`, `:61:`, ...) opens a field; any other line continues the open field.
  Only known tags count, because wrapped text can start with a colon and two digits (a time such as `:12:11`).
- `-` (or `-}` of a SWIFT envelope) ends a message; `{1:...}{2:...}{4:` headers and lines between messages
  (bank headers such as `ABNANL2A` or `940 00`) are skipped. A new `:20:` also starts a new statement, for files
  that never write the `-`.
- `:NS:` (non-SWIFT) blocks, `:21:`, `:64:`, `:65:`, `:13D:`, `:90D:`/`:90C:` and a :86: that follows the closing
  balance (information about the statement, not a transaction) are read past.

What is rejected (StatementParseError): a file without any statement; a field outside a statement; a statement
without :25: account; an MT940 statement without opening (:60F:/:60M:) or closing (:62F:/:62M:) balance (a
truncated file must not load as if complete); a second :25:, :60a: or :62a: in one statement; a :61: after the
closing balance; any date, amount or :61: line that cannot be read. Lines are yielded as they are read, so an error
can come after some lines of the file were yielded: a loader must treat the file as one unit.

Field mapping, where SWIFT leaves room:
- `statement_id` is :20: (transaction reference), `sequence_number` is :28C: (statement number/page) as written.
- A :61: without entry date is booked on its value date. The entry date (MMDD) takes the year that puts it closest
  to the value date, so `:61:1912310102` is booked on 2020-01-02.
- Marks: C credit, D debit, RC reversal of a credit (a debit), RD reversal of a debit (a credit). The funds code
  letter after the mark (third letter of the currency, e.g. `CR` = credit in EUR) is skipped.
- Days 29-31 past the end of the month (German banks date monthly fee and interest settlements on the 30th, also
  in February) are read as the last day of that month.
- `bank_transaction_code` is the :61: transaction type (`NTRF`, `N051`, ...), followed by `/` and the German
  business code of the :86: when there is one (`NTRF/166`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import BinaryIO, NamedTuple

from ingestion.bank.iban import valid_iban
from ingestion.bank.mt940_details import parse_details
from ingestion.bank.records import StatementLine, StatementParseError, StatementSummary, StatementTotals
from ingestion.bank.text_lines import physical_line_blocks

FILE_FORMAT_MT940 = "mt940"
FILE_FORMAT_MT942 = "mt942"
ORIGINAL_TEXT_LIMIT = 4000
MAX_LINE_BYTES = 16 * 1024  # SWIFT lines are at most 65 characters; anything this long is not MT940
MAX_FIELD_CHARS = 64 * 1024
MAX_DETAIL_FIELDS = 100  # Rabobank writes up to four :86: per :61:; thousands would only fill memory
NO_REFERENCE = "NONREF"

KNOWN_TAGS = frozenset(
    {"20", "21", "25", "25P", "28", "28C", "60F", "60M", "61", "62F", "62M", "64", "65", "86", "NS"}
    | {"13", "13D", "34F", "90C", "90D"}  # MT942
)
INTERIM_TAGS = frozenset({"13", "13D", "34F", "90C", "90D"})
_AFTER_LINES_TAGS = frozenset({"62F", "62M", "64", "65", "90C", "90D"})

_BOM = b"\xef\xbb\xbf"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG_LINE = re.compile(r":(\d{2}[A-Z]?|NS):(.*)", re.DOTALL)
_AMOUNT = re.compile(r"(\d+)(?:,(\d*))?")
_MAX_DECIMALS = 5  # the warehouse keeps numeric(20, 5)
_BALANCE = re.compile(r"(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})?(?P<amount>[\d,]+)")
_STATEMENT_LINE = re.compile(
    r"""
    (?P<value_date>\d{6})
    (?P<entry_date>\d{4}|\ {4})?
    (?P<mark>R?[CD])
    (?P<funds_code>[A-Z])?
    (?P<amount>\d[\d,]*)
    (?P<type_code>[A-Z][A-Z0-9 ]{3})
    (?P<customer_reference>.*?)
    (?://(?P<bank_reference>.*))?
    """,
    re.VERBOSE,
)
_INTERIM_CURRENCY = re.compile(r"([A-Z]{3})")
_ACCOUNT_WITH_CURRENCY = re.compile(r"(?P<account>.*\d)[ /]?(?P<currency>[A-Z]{3})")

# ISO 4217 codes (and the pre-euro ones old statements still carry), to tell "12345678EUR" from an account number.
_CURRENCY_LIST = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
    CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD
    HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD
    MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY
    TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
    ATS BEF DEM ESP FIM FRF GRD IEP ITL LUF NLG PTE
"""
CURRENCY_CODES = frozenset(_CURRENCY_LIST.split())


def parse_mt940(stream: BinaryIO, *, source_name: str = "") -> Iterator[StatementLine | StatementSummary]:
    """Parse an MT940 or MT942 file (one or more statements) from a binary stream.

    Yields each statement's lines in file order, then its `StatementSummary` (file_format "mt940", or "mt942" for an
    interim report, which has no balances). Raises `StatementParseError` naming the line, the field and the reason
    for anything that cannot be read as a statement (see the module docstring for what is rejected).
    `source_name` is accepted for symmetry with the other parsers; the caller names the file in its report.
    """
    statement: _Statement | None = None
    statement_count = 0
    for token in _tokens(stream):
        if isinstance(token, _EndOfMessage):
            if statement is not None:
                yield from statement.finish()
                statement = None
            continue
        if token.tag == "NS":
            continue
        if token.tag == "20":
            if statement is not None:
                yield from statement.finish()
            statement_count += 1
            statement = _Statement(
                index=statement_count, start_line=token.line, statement_id=token.first or None
            )
            continue
        if statement is None:
            raise StatementParseError(
                "field outside a statement (a statement starts with :20:)",
                line=token.line,
                record=token.record,
            )
        yield from statement.take(token)
    if statement is not None:
        yield from statement.finish()
    if statement_count == 0:
        raise StatementParseError("no MT940/MT942 statement found (no :20: field)")


# --- reading lines and fields -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Field:
    tag: str
    line: int
    lines: list[str]
    size: int = 0

    @property
    def record(self) -> str:
        return f":{self.tag}:"

    @property
    def first(self) -> str:
        return self.lines[0].strip()

    def original_text(self) -> str:
        return "\n".join([f":{self.tag}:{self.lines[0]}", *self.lines[1:]]).rstrip()


@dataclass(frozen=True, slots=True)
class _EndOfMessage:
    line: int


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _decoded_lines(stream: BinaryIO) -> Iterator[list[str]]:
    """The file's lines as text, control characters dropped, a block per read.

    Each line is decoded as UTF-8, else cp1252, else latin-1. A block is decoded in one call when it is all UTF-8
    (what almost every file is), which gives the same lines as decoding each line alone, since a line end is one
    byte in UTF-8 and cannot be part of another character; a block that is not is decoded line by line.
    """
    lines_before = 0
    for block in physical_line_blocks(stream, max_line_bytes=MAX_LINE_BYTES, what="an MT940 file"):
        if lines_before == 0 and block[0].startswith(_BOM):
            block[0] = block[0][len(_BOM) :]
        if max(map(len, block)) > MAX_LINE_BYTES:
            index = next(i for i, raw in enumerate(block) if len(raw) > MAX_LINE_BYTES)
            raise StatementParseError(
                f"line longer than {MAX_LINE_BYTES} bytes: not an MT940 file", line=lines_before + index + 1
            )
        lines_before += len(block)
        try:
            text = b"\n".join(block).decode("utf-8")
        except UnicodeDecodeError:
            text = "\n".join(_decode(raw) for raw in block)
        yield _CONTROL.sub("", text).split("\n")


def _tokens(stream: BinaryIO) -> Iterator[_Field | _EndOfMessage]:
    """Fields (a tag with its continuation lines) and end-of-message marks, in file order."""
    current: _Field | None = None
    number = 0
    for lines in _decoded_lines(stream):
        for text in lines:
            number += 1
            if text[:1] == "{":
                # SWIFT envelope {1:..}{2:..}{3:..}{4: : the statement text starts after "{4:", often on the next
                # line.
                if current is not None:
                    yield current
                    current = None
                block = text.find("{4:")
                if block < 0:
                    continue
                text = text[block + 3 :]
                if not text.strip():
                    continue
            if "-" in text:
                stripped = text.strip()
                if stripped == "-" or stripped.startswith("-}"):
                    if current is not None:
                        yield current
                        current = None
                    yield _EndOfMessage(number)
                    continue
            if text[:1] == ":":
                tag_line = _TAG_LINE.match(text)
                if tag_line is not None and (tag := tag_line.group(1)) in KNOWN_TAGS:
                    if current is not None:
                        yield current
                    current = _Field(tag, number, [tag_line.group(2)])
                    continue
            if current is None:
                continue  # between messages: bank headers, blank lines
            current.lines.append(text)
            current.size += len(text)
            if current.size > MAX_FIELD_CHARS:
                raise StatementParseError(
                    f"field longer than {MAX_FIELD_CHARS} characters",
                    line=current.line,
                    record=current.record,
                )
    if current is not None:
        yield current


# --- one statement ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Balance:
    amount: Decimal
    currency: str | None
    on: date


@dataclass
class _Statement:
    """The statement being read: takes its fields one by one and yields its lines, then its summary."""

    index: int
    start_line: int
    statement_id: str | None
    sequence_number: str | None = None
    account_id: str | None = None
    account_currency: str | None = None
    interim_currency: str | None = None
    opening: _Balance | None = None
    closing: _Balance | None = None
    is_interim: bool = False
    # Past the closing balance (or the MT942 totals): a :86: from here on describes the statement.
    after_lines: bool = False
    transaction: _Field | None = None
    details: list[_Field] = field(default_factory=list)
    totals: StatementTotals = field(default_factory=StatementTotals)

    @property
    def record(self) -> str:
        return f"statement {self.index} (:20: at line {self.start_line})"

    @property
    def currency(self) -> str | None:
        return (
            (self.opening.currency if self.opening else None)
            or self.account_currency
            or self.interim_currency
            or (self.closing.currency if self.closing else None)
        )

    def take(self, token: _Field) -> Iterator[StatementLine]:
        tag = token.tag
        if tag == "86":
            if self.transaction is not None:
                if len(self.details) >= MAX_DETAIL_FIELDS:
                    raise StatementParseError(
                        f"more than {MAX_DETAIL_FIELDS} :86: fields for one transaction",
                        line=token.line,
                        record=token.record,
                    )
                self.details.append(token)
            return
        yield from self._flush()
        if tag == "61":
            if self.after_lines:
                raise StatementParseError(
                    "transaction after the closing balance", line=token.line, record=token.record
                )
            if self.account_id is None:
                raise StatementParseError(
                    "transaction before the account identification (:25:)",
                    line=token.line,
                    record=token.record,
                )
            self.transaction = token
        elif tag in ("25", "25P"):
            if self.account_id is not None:
                raise StatementParseError(
                    "second account identification in one statement (a missing :20: or '-'?)",
                    line=token.line,
                    record=token.record,
                )
            self.account_id, self.account_currency = _account(token)
        elif tag in ("28", "28C"):
            self.sequence_number = token.first or None
        elif tag in ("60F", "60M"):
            if self.opening is not None:
                raise StatementParseError(
                    "second opening balance in one statement", line=token.line, record=token.record
                )
            self.opening = _balance(token)
        elif tag in ("62F", "62M"):
            if self.closing is not None:
                raise StatementParseError(
                    "second closing balance in one statement", line=token.line, record=token.record
                )
            self.closing = _balance(token)
        elif tag == "34F" and self.interim_currency is None:
            currency = _INTERIM_CURRENCY.match(token.first)
            self.interim_currency = currency.group(1) if currency else None
        if tag in INTERIM_TAGS:
            self.is_interim = True
        if tag in _AFTER_LINES_TAGS:
            self.after_lines = True

    def _flush(self) -> Iterator[StatementLine]:
        if self.transaction is not None:
            yield self._line(self.transaction, self.details)
            self.transaction = None
            self.details = []

    def _line(self, transaction: _Field, details: list[_Field]) -> StatementLine:
        assert self.account_id is not None  # checked when the :61: was taken
        parsed = _read_statement_line(transaction)
        info = parse_details([line for detail in details for line in detail.lines])
        type_code = parsed.type_code.strip() or None
        code = f"{type_code}/{info.business_code}" if type_code and info.business_code else type_code
        original = "\n".join([transaction.original_text(), *(detail.original_text() for detail in details)])
        return self.totals.add(
            StatementLine(
                statement_index=self.index,
                line_index=self.totals.line_count + 1,
                account_id=self.account_id,
                amount=parsed.amount,
                booking_date=parsed.booking_date,
                value_date=parsed.value_date,
                statement_id=self.statement_id,
                sequence_number=self.sequence_number,
                currency_code=self.currency,
                bank_reference=parsed.bank_reference,
                end_to_end_id=info.end_to_end_id,
                counterparty_name=info.counterparty_name,
                counterparty_account=info.counterparty_account,
                creditor_reference=info.creditor_reference,
                remittance_text=info.remittance_text,
                bank_transaction_code=code,
                original_text=original[:ORIGINAL_TEXT_LIMIT],
            )
        )

    def finish(self) -> Iterator[StatementLine | StatementSummary]:
        yield from self._flush()
        if self.account_id is None:
            raise StatementParseError(
                "statement without account identification (:25:)", line=self.start_line, record=self.record
            )
        has_balances = self.opening is not None or self.closing is not None
        if not self.is_interim or has_balances:
            if self.opening is None:
                raise StatementParseError(
                    "statement without opening balance (:60F:/:60M:)",
                    line=self.start_line,
                    record=self.record,
                )
            if self.closing is None:
                raise StatementParseError(
                    "statement without closing balance (:62F:/:62M:): truncated?",
                    line=self.start_line,
                    record=self.record,
                )
        yield StatementSummary(
            statement_index=self.index,
            file_format=FILE_FORMAT_MT940 if has_balances else FILE_FORMAT_MT942,
            account_id=self.account_id,
            statement_id=self.statement_id,
            sequence_number=self.sequence_number,
            currency_code=self.currency,
            opening_balance=self.opening.amount if self.opening else None,
            opening_balance_date=self.opening.on if self.opening else None,
            closing_balance=self.closing.amount if self.closing else None,
            closing_balance_date=self.closing.on if self.closing else None,
            line_count=self.totals.line_count,
            credit_total=self.totals.credit_total,
            debit_total=self.totals.debit_total,
            last_booking_date=self.totals.last_booking_date,
        )


# --- field contents -----------------------------------------------------------------------------------------------


class _ParsedLine(NamedTuple):
    amount: Decimal
    value_date: date
    booking_date: date
    type_code: str
    bank_reference: str | None


def _read_statement_line(token: _Field) -> _ParsedLine:
    first = token.first
    match = _STATEMENT_LINE.fullmatch(first)
    if match is None and len(token.lines) > 1:
        # Some banks wrap the :61: line itself (before the amount, say); the second line is then no free text.
        match = _STATEMENT_LINE.fullmatch(first + token.lines[1].strip())
    if match is None:
        raise StatementParseError(
            f"cannot read the statement line {first!r} "
            "(expected YYMMDD[MMDD], C/D/RC/RD, [funds code], amount, type code, reference[//bank reference])",
            line=token.line,
            record=token.record,
        )
    value_date = _yymmdd(match.group("value_date"), token, "value date")
    entry = (match.group("entry_date") or "").strip()
    booking_date = _entry_date(entry, value_date, token) if entry else value_date
    amount = _amount(match.group("amount"), token, "amount")
    # A reversal of a credit takes money out, a reversal of a debit puts it back.
    sign = -1 if match.group("mark") in ("D", "RC") else 1
    bank_reference = (match.group("bank_reference") or "").strip()
    return _ParsedLine(
        amount=sign * amount,
        value_date=value_date,
        booking_date=booking_date,
        type_code=match.group("type_code"),
        bank_reference=None if bank_reference in ("", NO_REFERENCE) else bank_reference,
    )


def _account(token: _Field) -> tuple[str, str | None]:
    value = token.first
    if not value:
        raise StatementParseError("empty account identification", line=token.line, record=token.record)
    if not valid_iban(value):
        # "51210600/9223382012EUR", "UBRTHUHB/123456789150ABCDEF002/HUF": the account, then its currency.
        match = _ACCOUNT_WITH_CURRENCY.fullmatch(value)
        if match is not None and match.group("currency") in CURRENCY_CODES:
            return match.group("account"), match.group("currency")
    return value, None


def _balance(token: _Field) -> _Balance:
    match = _BALANCE.fullmatch(token.first)
    if match is None:
        raise StatementParseError(
            f"cannot read the balance {token.first!r} (expected C/D, YYMMDD, currency, amount)",
            line=token.line,
            record=token.record,
        )
    amount = _amount(match.group("amount"), token, "amount")
    return _Balance(
        amount=amount if match.group("mark") == "C" else -amount,
        currency=match.group("currency"),
        on=_yymmdd(match.group("date"), token, "date"),
    )


def _amount(text: str, token: _Field, name: str) -> Decimal:
    match = _AMOUNT.fullmatch(text)
    if match is None or len(match.group(2) or "") > _MAX_DECIMALS:
        raise StatementParseError(
            f"invalid amount {text!r} (expected digits, a decimal comma and at most {_MAX_DECIMALS} decimals)",
            line=token.line,
            record=token.record,
            field=name,
        )
    whole, fraction = match.group(1), match.group(2)
    return Decimal(f"{whole}.{fraction}" if fraction else whole)


def _yymmdd(text: str, token: _Field, name: str) -> date:
    year = int(text[:2])
    # SWIFT writes two-digit years; statements from before 1980 are not expected.
    year += 2000 if year < 80 else 1900
    return _calendar_date(year, int(text[2:4]), int(text[4:6]), token, name, text)


def _entry_date(mmdd: str, value_date: date, token: _Field) -> date:
    month, day = int(mmdd[:2]), int(mmdd[2:])
    # The entry date has no year: take the one nearest the value date, so entries cross the year end correctly.
    same_year = _calendar_date(value_date.year, month, day, token, "entry date", mmdd)
    if abs((same_year - value_date).days) <= 150:
        # Nearest for sure: the same day a year earlier or later is at least 365 - 150 - 3 days away (3: a day
        # 29-31 moved to the month's end). Almost every line is this case; the others compare all three years.
        return same_year
    candidates = [
        _calendar_date(value_date.year + offset, month, day, token, "entry date", mmdd)
        for offset in (-1, 0, 1)
    ]
    return min(candidates, key=lambda candidate: abs((candidate - value_date).days))


def _calendar_date(year: int, month: int, day: int, token: _Field, name: str, text: str) -> date:
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise StatementParseError(f"invalid date {text!r}", line=token.line, record=token.record, field=name)
    try:
        return date(year, month, day)
    except ValueError:  # day 29-31 past the month's end: its last day (see the module docstring)
        return date(year, month, calendar.monthrange(year, month)[1])
