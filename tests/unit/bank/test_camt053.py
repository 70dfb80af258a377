"""camt.053 parser: hand-made fixtures with hand-worked numbers, rejections, and XML attacks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ingestion.bank.camt053 import DTD_REJECTED, parse_camt053
from ingestion.bank.records import StatementParseError

from .helpers import FIXTURES, as_stream, split

NS8 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _parse_fixture(name: str):
    with (FIXTURES / name).open("rb") as stream:
        return split(parse_camt053(stream))


def _document(statement_body: str, namespace: str = NS8) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{namespace}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>S</Id>{statement_body}</Stmt></BkToCstmrStmt></Document>"
    )


ACCOUNT = "<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>"


def _entry(amount: str, indicator: str = "CRDT") -> str:
    return f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd></Ntry>'


def test_batched_entries_are_split_per_transaction_when_amounts_add_up() -> None:
    # Worked out in the comment at the top of camt053_v8_batched.xml: entry 1 (350.00) splits into
    # 100 + 200 + 50; entry 4 (30.00) stays whole because its transactions add up to 25.00 only.
    lines, summaries = _parse_fixture("camt053_v8_batched.xml")
    first = [line for line in lines if line.statement_index == 1]
    assert [line.amount for line in first] == [
        Decimal("100.00"),
        Decimal("200.00"),
        Decimal("50.00"),
        Decimal("-75.50"),
        Decimal("-20.00"),
        Decimal("30.00"),
    ]
    summary = summaries[0]
    assert summary.line_count == 6
    assert summary.credit_total == Decimal("380.00")  # 100 + 200 + 50 + 30
    assert summary.debit_total == Decimal("-95.50")  # -75.50 - 20.00
    assert summary.opening_balance == Decimal("1000.00")  # PRCD, as there is no OPBD; ITBD 1234.00 ignored
    assert summary.closing_balance == Decimal("1284.50")  # CLBD; CLAV -9999.99 ignored
    assert summary.opening_balance + summary.credit_total + summary.debit_total == summary.closing_balance
    assert summary.opening_balance_date == date(2024, 12, 30)
    assert summary.closing_balance_date == date(2025, 1, 2)
    assert summary.statement_date == date(2025, 1, 2)
    assert (summary.statement_id, summary.sequence_number, summary.currency_code) == ("STMT-1", "42", "EUR")
    assert summary.file_format == "camt053"


def test_transaction_details_are_mapped_from_the_right_elements() -> None:
    lines, _ = _parse_fixture("camt053_v8_batched.xml")
    alpha, beta, gamma, supplier, reversal, netted = lines[:6]

    # A credit: the counterparty is the debtor (v8 wraps the name in <Pty>); Ustrd pieces are joined.
    assert alpha.counterparty_name == "Alpha GmbH"
    assert alpha.counterparty_account == "DE02120300000000202051"
    assert alpha.end_to_end_id == "E2E-1"
    assert alpha.bank_reference == "TX-1"  # the transaction's own AcctSvcrRef wins over the entry's BATCH-1
    assert alpha.remittance_text == "Invoice 1001 and 1002"
    assert alpha.bank_transaction_code == "PMNT/RCDT/ESCT"
    assert alpha.booking_date == date(2024, 12, 31)  # BookgDt/DtTm 2024-12-31T10:00:00+01:00, date part
    assert alpha.value_date == date(2024, 12, 31)

    assert beta.end_to_end_id is None  # NOTPROVIDED
    assert beta.counterparty_account == "BETA-ACC-9"  # DbtrAcct/Id/Othr/Id
    assert beta.creditor_reference == "RF18539007547034"
    assert beta.bank_reference == "BATCH-1"

    assert gamma.counterparty_name == "Gamma Ltd on behalf"  # no Dbtr: the ultimate debtor
    assert gamma.bank_transaction_code == "OWN-CODE"  # the transaction's Prtry/Cd wins over the entry's Domn

    # A debit: the counterparty is the creditor.
    assert supplier.counterparty_name == "Supplier KG"
    assert supplier.counterparty_account == "DE02500105170137075030"
    assert supplier.end_to_end_id == "PAY-77"
    assert supplier.value_date == date(2025, 1, 3)
    assert supplier.bank_transaction_code == "PMNT/ICDT/ESCT"

    # A reversal is booked as its CdtDbtInd says (DBIT), not flipped again.
    assert reversal.amount == Decimal("-20.00")
    assert reversal.remittance_text == "Return of credit 2024-12-20"  # AddtlNtryInf when there is no RmtInf
    assert reversal.bank_transaction_code == "RETURN"

    assert netted.amount == Decimal("30.00")
    assert netted.bank_reference == "BATCH-2"
    assert netted.original_text is not None and netted.original_text.startswith("<Ntry")
    assert "Two cheques, fees netted" in netted.original_text

    # Split lines carry the XML of their own transaction.
    assert alpha.original_text is not None and alpha.original_text.startswith("<TxDtls")
    assert all(
        line.account_id == "DE89370400440532013000" and line.currency_code == "EUR" for line in lines[:6]
    )


def test_second_statement_of_the_file() -> None:
    # Statement 2 of camt053_v8_batched.xml: OPBD 50.00 DBIT = -50.00, one credit of 50.00, CLBD 0.00.
    lines, summaries = _parse_fixture("camt053_v8_batched.xml")
    assert len(summaries) == 2
    summary = summaries[1]
    assert summary.account_id == "123456789"  # Acct/Id/Othr/Id
    assert summary.sequence_number == "8"  # LglSeqNb, as there is no ElctrncSeqNb
    assert summary.currency_code == "CHF"  # no Acct/Ccy: the opening balance's Ccy
    assert summary.opening_balance == Decimal("-50.00")
    assert summary.closing_balance == Decimal("0.00")
    assert (summary.line_count, summary.credit_total, summary.debit_total) == (
        1,
        Decimal("50.00"),
        Decimal("0"),
    )
    assert lines[-1].statement_index == 2 and lines[-1].line_index == 1
    assert lines[-1].value_date is None


def test_amount_details_and_five_decimals_stay_exact() -> None:
    # camt053_v2_amount_details.xml: DBIT 20.00000 split from AmtDtls/TxAmt/Amt into 12.34567 + 7.65433.
    lines, summaries = _parse_fixture("camt053_v2_amount_details.xml")
    assert [line.amount for line in lines] == [Decimal("-12.34567"), Decimal("-7.65433")]
    assert [line.counterparty_name for line in lines] == ["Fuel Co", "Toll Ltd"]  # v2: Cdtr/Nm directly
    assert lines[0].counterparty_account == "FUEL-1"
    assert lines[0].value_date == date(2024, 6, 28)  # ValDt/DtTm
    assert summaries[0].debit_total == Decimal("-20.00000")
    assert (
        summaries[0].opening_balance + summaries[0].debit_total == summaries[0].closing_balance
    )  # 100 - 20 = 80


def test_namespace_prefix_and_missing_namespace_are_accepted() -> None:
    prefixed = (
        f'<c:Document xmlns:c="{NS8}"><c:BkToCstmrStmt><c:Stmt><c:Id>P</c:Id>'
        "<c:Acct><c:Id><c:Othr><c:Id>ACC</c:Id></c:Othr></c:Id></c:Acct>"
        '<c:Ntry><c:Amt Ccy="USD">1.50</c:Amt><c:CdtDbtInd>DBIT</c:CdtDbtInd></c:Ntry>'
        "</c:Stmt></c:BkToCstmrStmt></c:Document>"
    )
    lines, summaries = split(parse_camt053(as_stream(prefixed)))
    assert [line.amount for line in lines] == [Decimal("-1.50")]
    assert summaries[0].currency_code == "USD"  # no Acct/Ccy and no balances: the first line's currency
    bare = _document(ACCOUNT + _entry("2.00"), namespace="").replace(' xmlns=""', "")
    lines, _ = split(parse_camt053(as_stream(bare)))
    assert [line.amount for line in lines] == [Decimal("2.00")]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        pytest.param(
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"><BkToCstmrAcctRpt/></Document>',
            "namespace urn:iso:std:iso:20022:tech:xsd:camt.052.001.08",
            id="camt052",
        ),
        pytest.param(
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>',
            "not a camt.053 document",
            id="pain001",
        ),
        pytest.param(
            "<Document><BkToCstmrAcctRpt/></Document>", "expected <BkToCstmrStmt>", id="camt052-no-ns"
        ),
        pytest.param("<html><body>statement</body></html>", "root element is <html>", id="html"),
        pytest.param("this is not xml at all", "not well-formed XML", id="garbage"),
        pytest.param("", "not well-formed XML", id="empty"),
        pytest.param(
            f'<Document xmlns="{NS8}"><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>',
            "holds no statement",
            id="no-statement",
        ),
        pytest.param(_document(ACCOUNT + _entry("12,50")), "invalid amount '12,50'", id="comma-amount"),
        pytest.param(_document(ACCOUNT + _entry("1.123456")), "invalid amount '1.123456'", id="six-decimals"),
        pytest.param(_document(ACCOUNT + _entry("-5.00")), "invalid amount '-5.00'", id="signed-amount"),
        pytest.param(
            _document(ACCOUNT + _entry("5.00", "CRED")), "expected CRDT or DBIT", id="bad-indicator"
        ),
        pytest.param(_document(_entry("5.00")), "entry before the account identification", id="no-account"),
        pytest.param(
            _document(
                ACCOUNT + '<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
                "<BookgDt><Dt>2024-02-30</Dt></BookgDt></Ntry>"
            ),
            "invalid date '2024-02-30'",
            id="bad-date",
        ),
        pytest.param(
            _document(ACCOUNT + _entry("5.00")).replace("</BkToCstmrStmt>", ""),
            "not well-formed XML",
            id="truncated",
        ),
    ],
)
def test_rejects_what_is_not_a_readable_camt053(document: str, reason: str) -> None:
    with pytest.raises(StatementParseError) as error:
        list(parse_camt053(as_stream(document)))
    assert reason in str(error.value)


def test_error_names_line_record_and_field() -> None:
    document = _document(ACCOUNT + _entry("1.00") + "\n\n" + _entry("oops"))
    with pytest.raises(StatementParseError) as error:
        list(parse_camt053(as_stream(document)))
    assert (error.value.line, error.value.record, error.value.field) == (3, "Stmt[1]/Ntry[2]", "Amt")


XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Document [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>&xxe;</Id>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct></Stmt></BkToCstmrStmt></Document>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>&lol9;</Id>
</Stmt></BkToCstmrStmt></Document>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Document SYSTEM "http://example.invalid/camt.dtd">
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>
"""


@pytest.mark.parametrize(
    "document", [XXE, BILLION_LAUGHS, EXTERNAL_DTD], ids=["xxe", "billion-laughs", "external-dtd"]
)
def test_dtd_and_entities_are_rejected_before_anything_is_read(document: bytes) -> None:
    records = parse_camt053(as_stream(document))
    with pytest.raises(StatementParseError) as error:
        next(records)
    assert error.value.reason == DTD_REJECTED
    assert error.value.line == 2  # the DOCTYPE line


def test_doctype_after_a_long_prolog_is_still_rejected() -> None:
    # Past the bytes scanned up front, the check on the parsed document's DOCTYPE takes over.
    padding = b"<!--" + b"x" * (70 * 1024) + b"-->\n"
    document = XXE.replace(b"<!DOCTYPE", padding + b"<!DOCTYPE", 1)
    with pytest.raises(StatementParseError) as error:
        list(parse_camt053(as_stream(document)))
    assert error.value.reason == DTD_REJECTED
