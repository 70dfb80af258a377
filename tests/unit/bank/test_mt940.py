"""MT940/MT942 parser: hand-made fixtures with hand-worked numbers, dialects of :86:, encodings, rejections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ingestion.bank.mt940 import parse_mt940
from ingestion.bank.mt940_details import parse_details
from ingestion.bank.records import StatementParseError

from .helpers import FIXTURES, as_stream, split


def _parse_fixture(name: str):
    with (FIXTURES / name).open("rb") as stream:
        return split(parse_mt940(stream))


def _statement(
    *lines: str, opening: str = ":60F:C240102EUR100,00", closing: str = ":62F:C240102EUR100,00"
) -> str:
    return (
        "\n".join([":20:REF", ":25:DE89370400440532013000", ":28C:1/1", opening, *lines, closing, "-"]) + "\n"
    )


def test_two_statements_with_envelope_reversals_and_year_end() -> None:
    # mt940_two_statements.sta, statement 1 (opening C 1000,00 on 2019-12-30):
    #   :61:1912311231CR250,      credit, funds code R (EUR), "250," = 250         -> +250.00, booked 2019-12-31
    #   :61:1912310102DR100,5     debit, value 2019-12-31, entry 0102 = 2020-01-02 -> -100.50
    #   :61:2001020102RC20,00     reversal of a credit, i.e. money out            ->  -20.00
    #   :61:2001020102RD5,25      reversal of a debit, i.e. money back            ->   +5.25
    #   credits 250 + 5.25 = 255.25, debits -100.50 - 20 = -120.50, 1000 + 255.25 - 120.50 = 1134.75 = :62F:
    # statement 2: opening 1134,75, one :61:200103C0,5 (no entry date) = +0.50, closing 1135,25.
    lines, summaries = _parse_fixture("mt940_two_statements.sta")
    assert [line.amount for line in lines] == [
        Decimal("250"),
        Decimal("-100.5"),
        Decimal("-20.00"),
        Decimal("5.25"),
        Decimal("0.5"),
    ]
    assert [line.booking_date for line in lines] == [
        date(2019, 12, 31),
        date(2020, 1, 2),  # entry date crosses the year end after the 2019-12-31 value date
        date(2020, 1, 2),
        date(2020, 1, 2),
        date(2020, 1, 3),  # no entry date: booked on the value date
    ]
    assert lines[1].value_date == date(2019, 12, 31)

    first, second = summaries
    assert (first.line_count, first.credit_total, first.debit_total) == (
        4,
        Decimal("255.25"),
        Decimal("-120.50"),
    )
    assert first.opening_balance == Decimal("1000.00") and first.closing_balance == Decimal("1134.75")
    assert first.opening_balance + first.credit_total + first.debit_total == first.closing_balance
    assert (first.opening_balance_date, first.closing_balance_date) == (date(2019, 12, 30), date(2020, 1, 2))
    assert (first.statement_id, first.sequence_number, first.currency_code) == (
        "STMT2019-12",
        "00012/001",
        "EUR",
    )
    assert first.account_id == "DE89370400440532013000"
    assert first.file_format == "mt940"

    assert second.account_id == "12345678/0000123456"  # the "EUR" suffix of :25: is the currency
    assert second.currency_code == "EUR"
    assert (second.opening_balance, second.closing_balance) == (Decimal("1134.75"), Decimal("1135.25"))
    assert (second.line_count, second.credit_total, second.debit_total) == (1, Decimal("0.5"), Decimal("0"))


def test_details_of_each_dialect() -> None:
    lines, _ = _parse_fixture("mt940_two_statements.sta")
    german, dutch, free_text, empty, _ = lines

    # German structured :86:, wrapped inside a subfield (?21 "...Inv" + ?22 "oice 2019-001").
    assert german.end_to_end_id == "INV-2019-001"
    assert german.remittance_text == "RF18539007547034 Invoice 2019-001"
    assert german.creditor_reference == "RF18539007547034"
    assert german.counterparty_name == "Mueller GmbH Berlin"  # ?32 + ?33
    assert german.counterparty_account == "DE02120300000000202051"  # ?31
    assert german.bank_transaction_code == "NTRF/166"  # :61: type code / business code of :86:
    assert german.bank_reference == "BANKREF1"

    # Dutch /TAG/ codes, wrapped mid-word ("Abschlag Ja" + "nuar").
    assert dutch.end_to_end_id == "E2E-42"
    assert dutch.counterparty_name == "Stadtwerke Muster"
    assert dutch.counterparty_account == "DE02500105170137075030"
    assert dutch.remittance_text == "Abschlag Januar"
    assert dutch.bank_transaction_code == "NDDT"

    # Free text keeps its line breaks; an empty :86: gives nothing; :NS: and the statement's own :86: are skipped.
    assert free_text.remittance_text == "Rueckbuchung\nGutschrift vom 31.12."
    assert empty.remittance_text is None
    assert empty.original_text == ":61:2001020102RD5,25NRTINONREF\n:86:"
    assert dutch.original_text is not None and dutch.original_text.startswith(":61:1912310102DR100,5NDDT")
    assert "Lastschrift" in dutch.original_text  # supplementary details line of :61:


def test_mt942_has_lines_and_no_balances() -> None:
    # mt942_interim.sta: :34F: floor limits, :13D:, two lines +1500,00 and -99,99, then :90D:/:90C: totals.
    lines, summaries = _parse_fixture("mt942_interim.sta")
    assert [line.amount for line in lines] == [Decimal("1500.00"), Decimal("-99.99")]
    summary = summaries[0]
    assert summary.file_format == "mt942"
    assert (summary.opening_balance, summary.closing_balance) == (None, None)
    assert summary.currency_code == "EUR"  # from :34F:
    assert (summary.credit_total, summary.debit_total) == (Decimal("1500.00"), Decimal("-99.99"))
    assert lines[0].creditor_reference == "RF18539007547034"  # /REMI/STRD/CUR/<ref>
    assert lines[0].end_to_end_id == "ORDER-7"
    assert lines[0].counterparty_name == "Klant BV"
    assert lines[1].remittance_text == "Kosten"


def test_latin1_file_decodes() -> None:
    # mt940_latin1.sta is written in Latin-1 (bytes E4, DF, FC for ä, ß, ü), which is not valid UTF-8.
    lines, summaries = _parse_fixture("mt940_latin1.sta")
    assert lines[0].remittance_text == "Miete März Straße 5"
    assert lines[0].counterparty_name == "Jürgen Müller"
    assert summaries[0].closing_balance == Decimal("12.34")  # 0,00 + 12,34


def test_utf8_with_bom_decodes() -> None:
    # mt940_utf8_bom.sta starts with EF BB BF; the BOM must not hide the :20: of the first line.
    lines, summaries = _parse_fixture("mt940_utf8_bom.sta")
    assert summaries[0].statement_id == "UTF8BOM"
    assert lines[0].remittance_text == "Café Øresund € 2,50 – Zahlung für Kaffee"
    assert lines[0].amount == Decimal("-2.50")
    assert summaries[0].closing_balance == Decimal("7.50")  # 10,00 - 2,50


def test_cp1252_bytes_and_control_characters() -> None:
    # 0x80 is the euro sign in cp1252 (it is a control character in Latin-1); SOH/ETX envelopes are dropped.
    raw = _statement(":61:240102D1,00NMSCNONREF", ":86:Gebühr 1 €").encode("cp1252")
    assert b"\x80" in raw and b"\xfc" in raw
    lines, _ = split(parse_mt940(as_stream(b"\x01" + raw.replace(b"-\n", b"-\x03\n"))))
    assert lines[0].remittance_text == "Gebühr 1 €"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"], ids=["crlf", "cr", "lf"])
def test_any_line_ending(newline: str) -> None:
    text = _statement(":61:240102C5,NMSCNONREF", ":86:A", "B", closing=":62F:C240102EUR105,00")
    lines, summaries = split(parse_mt940(as_stream(text.replace("\n", newline))))
    assert lines[0].remittance_text == "A\nB"
    assert summaries[0].closing_balance == Decimal("105.00")


def test_wrapped_text_that_looks_like_a_tag_stays_text() -> None:
    # ":12:11" continues a time stamp wrapped out of the :86: above; 12 is no MT940 tag.
    text = _statement(
        ":61:240102D1,NMSCNONREF", ":86:Paid at 2017-01-01T13", ":12:11", closing=":62F:C240102EUR99,"
    )
    lines, _ = split(parse_mt940(as_stream(text)))
    assert lines[0].remittance_text == "Paid at 2017-01-01T13\n:12:11"


def test_several_86_fields_belong_to_the_transaction_before_them() -> None:
    text = _statement(":61:240102D1,NMSCNONREF", ":86:first", ":86:second", closing=":62F:C240102EUR99,")
    lines, _ = split(parse_mt940(as_stream(text)))
    assert lines[0].remittance_text == "first\nsecond"


def test_february_30_is_read_as_the_last_day_of_february() -> None:
    text = _statement(
        ":61:1602300301D6,00N024NONREF", opening=":60F:C160229EUR6,00", closing=":62F:C160301EUR0,"
    )
    lines, _ = split(parse_mt940(as_stream(text)))
    assert (lines[0].value_date, lines[0].booking_date) == (date(2016, 2, 29), date(2016, 3, 1))


def test_entry_date_before_the_value_date_across_the_year_end() -> None:
    # Value date 2020-01-02, entry date 1231: the nearest 12-31 is 2019-12-31, not 2020-12-31.
    text = _statement(":61:2001021231C1,NMSCNONREF", closing=":62F:C240102EUR101,")
    lines, _ = split(parse_mt940(as_stream(text)))
    assert lines[0].booking_date == date(2019, 12, 31)


def test_balance_without_currency_and_amount_without_decimals() -> None:
    text = _statement(":61:020322CM20000NCHG", opening=":60F:C020315DEM0,00", closing=":62F:C02032220000,00")
    lines, summaries = split(parse_mt940(as_stream(text)))
    assert lines[0].amount == Decimal("20000")
    assert summaries[0].closing_balance == Decimal("20000.00")
    assert summaries[0].currency_code == "DEM"


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        pytest.param("", "no MT940/MT942 statement found", None, id="empty"),
        pytest.param("1\n2\n3\n", "no MT940/MT942 statement found", None, id="no-tags"),
        pytest.param(":25:DE89370400440532013000\n:61:240102C1,NMSC\n", "outside a statement", 1, id="no-20"),
        pytest.param(
            _statement(":61:240102C1,NMSCNONREF", ":25:166?00GUTSCHRIFT"),
            "second account identification",
            6,
            id="25-for-86",
        ),
        pytest.param(
            _statement().replace(":62F:C240102EUR100,00\n", ""), "without closing balance", 1, id="no-62"
        ),
        pytest.param(
            _statement().replace(":60F:C240102EUR100,00\n", ""), "without opening balance", 1, id="no-60"
        ),
        pytest.param(
            ":20:REF\n:28C:1\n:60F:C240102EUR1,\n:62F:C240102EUR1,\n", "without account", 1, id="no-25"
        ),
        pytest.param(_statement(":60F:C240102EUR1,"), "second opening balance", 5, id="two-60"),
        pytest.param(
            _statement().replace("-\n", ":61:240102C1,NMSCNONREF\n-\n"),
            "after the closing balance",
            6,
            id="61-after-62",
        ),
        pytest.param(
            _statement(":61:240102C1.50NMSCNONREF"), "cannot read the statement line", 5, id="dot-amount"
        ),
        pytest.param(_statement(":61:241302C1,NMSCNONREF"), "invalid date '241302'", 5, id="month-13"),
        pytest.param(
            _statement(":61:240102C1,123456NMSC"), "invalid amount '1,123456'", 5, id="six-decimals"
        ),
        pytest.param(
            _statement(opening=":60F:X240102EUR1,00"), "cannot read the balance", 4, id="bad-balance"
        ),
        pytest.param(_statement() + ":61:240102C1,NMSCNONREF\n", "outside a statement", 7, id="61-after-end"),
    ],
)
def test_rejections_name_the_line_and_reason(text: str, reason: str, line: int | None) -> None:
    with pytest.raises(StatementParseError) as error:
        list(parse_mt940(as_stream(text)))
    assert reason in str(error.value)
    assert error.value.line == line


def test_overlong_line_is_rejected_without_reading_it_all() -> None:
    with pytest.raises(StatementParseError, match="line longer than"):
        list(parse_mt940(as_stream(b":20:X\n" + b"A" * 200_000)))


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            ["835?20Cie., S.C.A.?21SEPA-BASISLASTSCHRIFT?22EREF+ 1234567890123 PAYPAL?23MREF+ 12AB CRED+ X"],
            {"business_code": "835", "end_to_end_id": "1234567890123 PAYPAL"},
            id="keywords-mid-subfield",
        ),
        pytest.param(
            [
                "000>100987654321",
                ">20ALGEMENE TUSSENREKENING KOS>21TEN VAN 01-10-2010 TOT EN M",
                ">22ET 31-12-2010",
            ],
            {"remittance_text": "ALGEMENE TUSSENREKENING KOSTEN VAN 01-10-2010 TOT EN MET 31-12-2010"},
            id="triodos-angle-brackets",
        ),
        pytest.param(
            ["166?00GUTSCHRIFT?20EREF+NOTPROVIDED?21SVWZ+Rechnung 4711?3", "1DE02120300000000202051"],
            {
                "end_to_end_id": None,
                "remittance_text": "Rechnung 4711",
                "counterparty_account": "DE02120300000000202051",
            },
            id="subfield-number-wrapped",
        ),
        pytest.param(
            [
                "/TRTP/SEPA OVERBOEKING/CNTP/NL91ABNA0417164300/ABNANL2A/J. Jansen/Utrecht//REMI/USTD//Factuur 9/"
            ],
            {
                "counterparty_account": "NL91ABNA0417164300",
                "counterparty_name": "J. Jansen",
                "remittance_text": "Factuur 9",
            },
            id="cntp",
        ),
        pytest.param(
            ["/PT/FT/PY/SOMETHING 112233"],
            {"remittance_text": "/PT/FT/PY/SOMETHING 112233"},
            id="unknown-slashes",
        ),
        pytest.param(
            ["?62ABWA+Finanzamt Sentinel?"], {"remittance_text": "?62ABWA+Finanzamt Sentinel?"}, id="no-code"
        ),
        pytest.param(["", "   "], {"remittance_text": None}, id="blank"),
    ],
)
def test_parse_details(lines: list[str], expected: dict[str, object]) -> None:
    details = parse_details(lines)
    for name, value in expected.items():
        assert getattr(details, name) == value, name
