"""BAI2 parser: hand-made fixtures with hand-worked numbers, 88 continuations, trailer checks, rejections, streaming."""

from __future__ import annotations

import io
import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.bank.bai2 import parse_bai2
from ingestion.bank.detect import detect_format, parse_statement_file
from ingestion.bank.records import StatementLine, StatementParseError, StatementSummary

from .helpers import FIXTURES, as_stream, split

# The smallest useful file, added up by hand:
#   03: 010 opening 10000 (100.00), 015 closing 12500 (125.00); 16: 175 credit 3000 (30.00), 475 debit 500 (5.00);
#   100.00 + 30.00 - 5.00 = 125.00. Account control total 10000 + 12500 + 3000 + 500 = 26000; account records
#   03, 16, 16, 49 = 4; group records 02 + 4 + 98 = 6; file records 01 + 6 + 99 = 8.
BASE = """01,SENDER,RECEIVER,240102,0800,1,,,2/
02,RECEIVER,SENDER,1,240101,2400,USD,2/
03,12345,USD,010,10000,,,015,12500,,/
16,175,3000,0,BR1,CR1,DEPOSIT/
16,475,500,0,BR2,CR2,CHECK/
49,26000,4/
98,26000,1,6/
99,26000,1,8/
"""


def _parse(text: str) -> tuple[list[StatementLine], list[StatementSummary]]:
    return split(parse_bai2(as_stream(text)))


def _parse_fixture(name: str) -> tuple[list[StatementLine], list[StatementSummary]]:
    with (FIXTURES / name).open("rb") as stream:
        return split(parse_bai2(stream))


def _rejected(text: str) -> StatementParseError:
    with pytest.raises(StatementParseError) as error:
        _parse(text)
    return error.value


def test_base_file() -> None:
    lines, (summary,) = _parse(BASE)
    assert [line.amount for line in lines] == [Decimal("30.00"), Decimal("-5.00")]
    assert [(line.bank_reference, line.end_to_end_id, line.remittance_text) for line in lines] == [
        ("BR1", "CR1", "DEPOSIT"),
        ("BR2", "CR2", "CHECK"),
    ]
    assert {line.booking_date for line in lines} == {date(2024, 1, 1)}  # the 02 as-of date, not the 01 date
    assert (summary.opening_balance, summary.closing_balance) == (Decimal("100.00"), Decimal("125.00"))
    assert (summary.credit_total, summary.debit_total) == (Decimal("30.00"), Decimal("-5.00"))
    assert summary.statement_date == date(2024, 1, 1)


def test_two_groups_three_accounts() -> None:
    # bai2_two_groups.bai2 (CRLF), worked out from the file:
    # Group 1, as of 2024-03-05, USD.
    #   Account 111222333: 010 1000000 = 10000.00, 015 1142500 = 11425.00 (040/045/100/400 in 88s are read past).
    #     16 195 150000 V 240306  -> +1500.00, value date 2024-03-06, text with a comma "WIRE FROM GLOBEX, INC."
    #     16 142  40000 S 30000,10000,0 -> +400.00, text from the 88 "ACH CREDIT INITECH"
    #     16 475  20000 0 -> -200.00 (check 1234 as customer reference, no text)
    #     16 451  30000 Z -> -300.00
    #     16 931   2500   -> +25.00 (920-959: bank-defined credit)
    #     16 890 (blank)  -> no line: non-monetary information
    #     credits 1500 + 400 + 25 = 1925.00, debits -200 - 300 = -500.00; 10000 + 1925 - 500 = 11425.00 = 015.
    #   Account 999888777 in JPY (no decimals): 010 -50000, 015 -20000; 16 275 40000 (D distribution) -> +40000,
    #     16 966 10000 -> -10000 (960-999: bank-defined debit); -50000 + 40000 - 10000 = -20000 = 015.
    # Group 2, as of 2024-03-06, EUR on the 02 and a blank currency on the 03; 49 control total left blank.
    #   Account DE89...: 010 500000 = 5000.00, 015 (in an 88) 450000 = 4500.00; 16 495 50000 -> -500.00.
    lines, summaries = _parse_fixture("bai2_two_groups.bai2")
    assert [line.amount for line in lines] == [
        Decimal("1500.00"),
        Decimal("400.00"),
        Decimal("-200.00"),
        Decimal("-300.00"),
        Decimal("25.00"),
        Decimal("40000"),
        Decimal("-10000"),
        Decimal("-500.00"),
    ]
    assert [line.bank_transaction_code for line in lines] == [
        "195",
        "142",
        "475",
        "451",
        "931",
        "275",
        "966",
        "495",
    ]
    wire, ach, check, payroll, _, zba, _, outgoing = lines
    assert (wire.booking_date, wire.value_date) == (date(2024, 3, 5), date(2024, 3, 6))
    assert (wire.bank_reference, wire.end_to_end_id) == ("FW0001", "INV-1001")
    assert wire.remittance_text == "WIRE FROM GLOBEX, INC."
    assert ach.remittance_text == "ACH CREDIT INITECH" and ach.value_date is None
    assert ach.original_text == "16,142,40000,S,30000,10000,0,ACH0002,INV-1002/\n88,ACH CREDIT INITECH"
    assert (check.end_to_end_id, check.remittance_text) == ("1234", None)
    assert (payroll.bank_reference, payroll.end_to_end_id, payroll.remittance_text) == (
        "ACH0004",
        None,
        "PAYROLL",
    )
    assert (zba.bank_reference, zba.remittance_text, zba.currency_code) == ("ZBA0001", "ZBA TRANSFER", "JPY")
    assert (outgoing.booking_date, outgoing.currency_code) == (date(2024, 3, 6), "EUR")

    first, second, third = summaries
    assert [s.account_id for s in summaries] == ["111222333", "999888777", "DE89370400440532013000"]
    assert [s.currency_code for s in summaries] == ["USD", "JPY", "EUR"]
    assert {s.file_format for s in summaries} == {"bai2"}
    assert {s.statement_id for s in summaries} == {"FILE0306"}  # the 01 file identification number
    assert (first.line_count, first.credit_total, first.debit_total) == (
        5,
        Decimal("1925.00"),
        Decimal("-500.00"),
    )
    assert (first.opening_balance, first.closing_balance) == (Decimal("10000.00"), Decimal("11425.00"))
    assert (first.opening_balance_date, first.closing_balance_date) == (date(2024, 3, 5), date(2024, 3, 5))
    assert (second.opening_balance, second.closing_balance) == (Decimal("-50000"), Decimal("-20000"))
    assert (second.credit_total, second.debit_total) == (Decimal("40000"), Decimal("-10000"))
    assert (third.opening_balance, third.closing_balance) == (Decimal("5000.00"), Decimal("4500.00"))
    assert third.closing_balance_date == date(2024, 3, 6)
    for s in summaries:
        assert s.opening_balance is not None
        assert s.opening_balance + s.credit_total + s.debit_total == s.closing_balance


def test_88_continuations_of_fields_and_text() -> None:
    # bai2_continuations.bai2 (LF, no line break after the 99):
    #   03 ends "...,010,250000,,,/" (one comma too many before the '/') and its 015 362050 comes in an 88.
    #   16 195 112550 V 240401 1200/ -> +1125.50 valued 2024-04-01; the bank and customer references come in the
    #     first 88 (FPS0001, RF18539007547034: the ISO 11649 example, so also the creditor reference), the text in
    #     three more, the last two splitting "2024-0043".
    #   16 699 500 -> -5.00 with text on the 16 ("..., ACCOUNT 1234") continued by an 88 ("MARCH 2024").
    #   2500.00 + 1125.50 - 5.00 = 3620.50 = 015. Control total 250000 + 362050 + 112550 + 500 = 725100; account
    #   records 03 + 88 + 16 + 4 x 88 + 16 + 88 + 49 = 10.
    lines, (summary,) = _parse_fixture("bai2_continuations.bai2")
    payment, debit = lines
    assert payment.amount == Decimal("1125.50")
    assert (payment.value_date, payment.bank_reference, payment.end_to_end_id) == (
        date(2024, 4, 1),
        "FPS0001",
        "RF18539007547034",
    )
    assert payment.creditor_reference == "RF18539007547034"
    assert payment.remittance_text == "PAYMENT FROM WAYNE ENTERPRISES LTD\nINVOICE 2024-0042 AND 2024-\n0043"
    assert payment.original_text is not None and payment.original_text.count("\n88,") == 4
    assert debit.amount == Decimal("-5.00")
    assert debit.remittance_text == "DIRECT DEBIT BRITISH GAS, ACCOUNT 1234\nMARCH 2024"
    assert (summary.opening_balance, summary.closing_balance) == (Decimal("2500.00"), Decimal("3620.50"))
    assert (summary.account_id, summary.currency_code, summary.statement_id) == (
        "40051512345678",
        "GBP",
        "77",
    )


def test_wrong_group_trailer_total_is_rejected_with_both_numbers() -> None:
    # bai2_bad_group_total.bai2: the only account adds up to 100000 + 125000 + 25000 = 250000 (its 49 says so too),
    # but the 98 on line 6 says 250001.
    records = []
    with (
        (FIXTURES / "bai2_bad_group_total.bai2").open("rb") as stream,
        pytest.raises(StatementParseError) as error,
    ):
        for record in parse_bai2(stream):
            records.append(record)
    assert (error.value.line, error.value.record, error.value.field) == (
        6,
        "98 (group trailer)",
        "group control total",
    )
    assert "250001" in error.value.reason and "250000" in error.value.reason
    # The account itself was complete and checked, so it came out before the error: the loader rolls back the file.
    assert [type(record).__name__ for record in records] == ["StatementLine", "StatementSummary"]


@pytest.mark.parametrize(
    ("old", "new", "line", "record", "fragments"),
    [
        pytest.param(
            "49,26000,4/",
            "49,26001,4/",
            6,
            "49 (account trailer)",
            ("account control total of account 12345", "says 26001", "add up to 26000"),
            id="account-total",
        ),
        pytest.param(
            "49,26000,4/",
            "49,26000,5/",
            6,
            "49 (account trailer)",
            ("number of records", "says 5", "has 4"),
            id="account-records",
        ),
        pytest.param(
            "98,26000,1,6/",
            "98,26000,2,6/",
            7,
            "98 (group trailer)",
            ("number of accounts", "says 2", "has 1"),
            id="accounts",
        ),
        pytest.param(
            "98,26000,1,6/",
            "98,26000,1,7/",
            7,
            "98 (group trailer)",
            ("number of records", "says 7", "has 6"),
            id="group-records",
        ),
        pytest.param(
            "99,26000,1,8/",
            "99,26100,1,8/",
            8,
            "99 (file trailer)",
            ("file control total", "says 26100", "add up to 26000"),
            id="file-total",
        ),
        pytest.param(
            "99,26000,1,8/",
            "99,26000,2,8/",
            8,
            "99 (file trailer)",
            ("number of groups", "says 2", "has 1"),
            id="groups",
        ),
        pytest.param(
            "99,26000,1,8/",
            "99,26000,1,9/",
            8,
            "99 (file trailer)",
            ("number of records", "says 9", "has 8"),
            id="file-records",
        ),
        pytest.param(
            "01,SENDER,RECEIVER,240102,0800,1,,,2/",
            "01,SENDER,RECEIVER,240102,0800,1,,,1/",
            1,
            "01 (file header)",
            ("BAI version 1 is not supported",),
            id="version-1",
        ),
        pytest.param(
            "02,RECEIVER,SENDER,1,",
            "02,RECEIVER,SENDER,4,",
            2,
            "02 (group header)",
            ("test only",),
            id="test-group",
        ),
        pytest.param(
            "02,RECEIVER,SENDER,1,",
            "02,RECEIVER,SENDER,2,",
            2,
            "02 (group header)",
            ("deletion",),
            id="deletion-group",
        ),
        pytest.param(
            "240101,2400,USD",
            "240230,2400,USD",
            2,
            "02 (group header)",
            ("invalid as-of date '240230'",),
            id="as-of",
        ),
        pytest.param(
            "16,175,3000,0,",
            "16,010,3000,0,",
            4,
            "16 (transaction detail)",
            ("account status",),
            id="status-code",
        ),
        pytest.param(
            "16,175,3000,0,",
            "16,721,3000,0,",
            4,
            "16 (transaction detail)",
            ("type code 721 has no credit or debit direction", "3000"),
            id="loan-code-with-amount",
        ),
        pytest.param(
            "16,175,3000,0,",
            "16,175,3000,X,",
            4,
            "16 (transaction detail)",
            ("unknown funds type 'X'",),
            id="funds-type",
        ),
        pytest.param(
            "16,175,3000,0,",
            "16,175,-3000,0,",
            4,
            "16 (transaction detail)",
            ("invalid amount '-3000'",),
            id="signed",
        ),
        pytest.param(
            "16,175,3000,0,",
            "16,175,30.00,0,",
            4,
            "16 (transaction detail)",
            ("invalid amount '30.00'",),
            id="decimals",
        ),
        pytest.param(
            "03,12345,", "03,,", 3, "03 (account identifier)", ("empty account number",), id="no-account"
        ),
        pytest.param(
            "03,12345,USD,010,10000,",
            "03,12345,USD,010,1O000,",
            3,
            "03 (account identifier)",
            ("amount of 010",),
            id="03-amount",
        ),
    ],
)
def test_rejected(old: str, new: str, line: int, record: str, fragments: tuple[str, ...]) -> None:
    assert old in BASE
    error = _rejected(BASE.replace(old, new))
    assert (error.line, error.record) == (line, record)
    for fragment in fragments:
        assert fragment in error.reason


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param(
            BASE.replace("99,26000,1,8/\n", ""), "without a file trailer (99): truncated", id="no-99"
        ),
        pytest.param(BASE.split("49,")[0], "ends inside account 12345", id="cut-in-account"),
        pytest.param(BASE.split("98,")[0], "no group trailer (98)", id="cut-in-group"),
        pytest.param("88,CONTINUED\n" + BASE, "continuation (88) without a record", id="88-first"),
        pytest.param(BASE.replace("01,", "02,", 1), "before the file header", id="no-01"),
        pytest.param(BASE + "16,175,1,0/\n", "after the file trailer (99) at line 8", id="after-99"),
        pytest.param(BASE.replace("16,475", "17,475"), "not a BAI2 record", id="unknown-record"),
        pytest.param(
            BASE.replace("03,12345", "16,175,1,0/\n03,12345"), "outside an account", id="16-before-03"
        ),
        pytest.param("", "no BAI2 file header", id="empty"),
    ],
)
def test_structure_errors(text: str, fragment: str) -> None:
    assert fragment in str(_rejected(text))


def test_blank_account_trailer_total_is_tolerated_but_the_count_is_not() -> None:
    _, (summary,) = _parse(BASE.replace("49,26000,4/", "49,,4/"))
    assert summary.closing_balance == Decimal("125.00")
    error = _rejected(BASE.replace("49,26000,4/", "49,,5/"))
    assert "number of records: the trailer says 5, account 12345 has 4" in error.reason


@pytest.mark.parametrize("total", ["26000", "29000"])
def test_distributed_availability_amounts_may_or_may_not_count_in_the_account_total(total: str) -> None:
    # Funds type S adds immediate/one-day/two-day amounts 1000 + 2000 + 0 = 3000: a bank that counts them writes
    # 26000 + 3000 = 29000 in its 49 (and so in its 98 and 99), one that does not 26000. Both read; anything else
    # does not (next test).
    text = BASE.replace("16,175,3000,0,", "16,175,3000,S,1000,2000,0,").replace("26000", total)
    lines, _ = _parse(text)
    assert lines[0].amount == Decimal("30.00") and lines[0].bank_reference == "BR1"


def test_an_account_total_matching_neither_reading_is_rejected() -> None:
    text = BASE.replace("16,175,3000,0,", "16,175,3000,S,1000,2000,0,").replace("49,26000,", "49,28000,")
    assert "says 28000" in _rejected(text).reason


def test_non_monetary_record_yields_no_line_but_counts_as_a_record() -> None:
    # One more record in the account (5), the group (7) and the file (9); amounts unchanged.
    text = (
        BASE.replace("49,26000,4/", "16,890,0,,,,BALANCE CONFIRMED/\n49,26000,5/")
        .replace("98,26000,1,6/", "98,26000,1,7/")
        .replace("99,26000,1,8/", "99,26000,1,9/")
    )
    lines, (summary,) = _parse(text)
    assert [line.bank_transaction_code for line in lines] == ["175", "475"]
    assert summary.line_count == 2


def test_currency_with_three_decimals() -> None:
    # KWD has three minor digits: 10000 = 10.000, 3000 = 3.000, 500 = 0.500.
    lines, (summary,) = _parse(BASE.replace("03,12345,USD", "03,12345,KWD"))
    assert [line.amount for line in lines] == [Decimal("3.000"), Decimal("-0.500")]
    assert (summary.opening_balance, summary.closing_balance) == (Decimal("10.000"), Decimal("12.500"))
    assert summary.currency_code == "KWD"


def test_blank_currencies_default_to_usd() -> None:
    # BAI2: a blank 03 currency is the group's; a blank group currency is USD.
    _, (summary,) = _parse(BASE.replace("2400,USD,2/", "2400,,2/").replace("03,12345,USD,", "03,12345,,"))
    assert summary.currency_code == "USD"


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_endings(newline: str) -> None:
    lines, summaries = _parse(BASE.replace("\n", newline))
    assert (len(lines), len(summaries)) == (2, 1)


def test_blank_lines_and_padding_are_ignored() -> None:
    padded = "\n".join(line.ljust(80) + "\n" for line in BASE.splitlines())
    lines, _ = _parse(padded)
    assert [line.remittance_text for line in lines] == ["DEPOSIT", "CHECK"]


def test_files_written_back_to_back() -> None:
    lines, summaries = _parse(BASE + BASE)
    assert [s.statement_index for s in summaries] == [1, 2]
    assert [line.statement_index for line in lines] == [1, 1, 2, 2]


def test_detected_and_dispatched(tmp_path: Path) -> None:
    target = tmp_path / "statement.txt"
    target.write_bytes((FIXTURES / "bai2_continuations.bai2").read_bytes())
    assert detect_format(target.read_bytes()) == "bai2"
    lines, summaries = split(parse_statement_file(target))
    assert (len(lines), len(summaries)) == (2, 1)


# --- streaming ----------------------------------------------------------------------------------------------------


def _big_file(transactions: int) -> bytes:
    """One account with `transactions` 16 records of 1.00 each, each with an 88 of text; trailers computed."""
    body = "".join(f"16,175,100,0,BR{n},CR{n}/\n88,DEPOSIT {n}\n" for n in range(transactions))
    opening, closing = 0, 100 * transactions
    account_total = opening + closing + 100 * transactions
    account_records = 2 + 2 * transactions
    return (
        "01,S,R,240102,0800,1,,,2/\n02,R,S,1,240101,2400,USD,2/\n"
        f"03,12345,USD,010,{opening},,,015,{closing},,/\n{body}49,{account_total},{account_records}/\n"
        f"98,{account_total},1,{account_records + 2}/\n99,{account_total},1,{account_records + 4}/\n"
    ).encode()


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.furthest = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return chunk


def test_first_line_comes_before_the_file_is_read() -> None:
    stream = CountingStream(_big_file(20_000))
    assert isinstance(next(parse_bai2(stream)), StatementLine)
    assert stream.furthest < len(stream.getvalue()) / 5


def test_memory_does_not_grow_with_the_file() -> None:
    data = _big_file(5_000)
    tracemalloc.start()
    try:
        count = 0
        for record in parse_bai2(io.BytesIO(data)):
            count += 1
            last = record
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 5_001
    assert isinstance(last, StatementSummary) and last.closing_balance == Decimal("5000.00")
    assert last.credit_total == Decimal("5000.00")
    assert peak < 1.5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a {len(data) / 1e6:.1f} MB file"
