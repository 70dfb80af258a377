"""Format detection by content, and the dispatching entry point."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.bank.detect import detect_format, parse_statement_file
from ingestion.bank.records import StatementParseError

from .helpers import FIXTURES, split

CAMT = b'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04">'


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        pytest.param(CAMT, "camt053", id="camt053"),
        pytest.param(b"\xef\xbb\xbf" + CAMT, "camt053", id="camt053-bom"),
        pytest.param(
            b'<?xml version="1.0"?>\n<!-- exported -->\n<ns:Document\n xmlns:ns="urn:iso:std:iso:20022:tech:xsd:'
            b'camt.053.001.08">',
            "camt053",
            id="camt053-prefixed-multiline",
        ),
        pytest.param(b"<Document><BkToCstmrStmt><Stmt>", "camt053", id="camt053-no-namespace"),
        pytest.param(CAMT.replace(b"camt.053.001.04", b"camt.052.001.08"), None, id="camt052"),
        pytest.param(CAMT.replace(b"camt.053.001.04", b"camt.054.001.08"), None, id="camt054"),
        pytest.param(CAMT.replace(b"camt.053.001.04", b"pain.001.001.03"), None, id="pain001"),
        pytest.param(b"<html><body>:20:X\n:25:Y\n:61:</body></html>", None, id="html"),
        pytest.param(b":20:REF\r\n:25:123\r\n:28C:1/1\r\n:60F:C240101EUR1,\r\n", "mt940", id="mt940"),
        pytest.param(
            b"{1:F01BANK}{2:O940BANK}{4:\n:20:REF\n:25:123\n:61:240101C1,NMSC\n", "mt940", id="mt940-env"
        ),
        pytest.param(b"{1:F01BANK}{4::20:REF\n:25:123\n:60F:C240101EUR1,\n", "mt940", id="mt940-same-line"),
        pytest.param(b"ABNANL2A\n940\nABNANL2A\n:20:ABN\n:25:1\n:28:1/1\n", "mt940", id="mt940-bank-header"),
        pytest.param(b":20:REF\n:25:123\n:28C:1/1\n:34F:EURD0,\n:13D:2401011200+0100\n", "mt942", id="mt942"),
        pytest.param(b":20:REF\n:25:123\n", None, id="mt940-header-only"),
        pytest.param(b":60F:C100318EUR380115,12\n", None, id="mt940-fragment"),
        pytest.param(
            b"01,CITIGROUP,CITI,240101,0000,1,80,1,2/\n02,X,Y,1,240101,,USD,2/\n", "bai2", id="bai2"
        ),
        pytest.param(b"Date;Amount;Text\n2024-01-01;1,00;x\n", None, id="csv"),
        pytest.param(b"", None, id="empty"),
        pytest.param(b"\x00\x01\x02\xff\xfe", None, id="binary"),
    ],
)
def test_detect_format(head: bytes, expected: str | None) -> None:
    assert detect_format(head) == expected


def test_the_name_does_not_matter(tmp_path: Path) -> None:
    # An MT940 file saved as .xml is still read as MT940.
    target = tmp_path / "statement.xml"
    target.write_bytes((FIXTURES / "mt940_two_statements.sta").read_bytes())
    lines, summaries = split(parse_statement_file(target))
    assert (len(lines), len(summaries)) == (5, 2)
    assert summaries[0].closing_balance == Decimal("1134.75")


def test_dispatches_camt053() -> None:
    lines, summaries = split(parse_statement_file(FIXTURES / "camt053_v8_batched.xml"))
    assert (len(lines), len(summaries)) == (7, 2)  # 6 + 1 lines, see the fixture's comment


def test_unknown_format(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("nothing to see\n")
    with pytest.raises(StatementParseError, match="unknown format: notes.txt"):
        list(parse_statement_file(target))


def test_bai2_without_trailers_is_rejected_as_truncated(tmp_path: Path) -> None:
    # Detected as BAI2 by its 01 record, then refused: a file header with no 99 file trailer is a cut-off file.
    target = tmp_path / "day.bai"
    target.write_bytes(b"01,SENDER,RECEIVER,240101,0000,1,80,1,2/\n")
    with pytest.raises(StatementParseError, match=r"without a file trailer \(99\): truncated"):
        list(parse_statement_file(target))
