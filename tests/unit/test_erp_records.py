"""Validation of canonical ERP records: each field kind, and the rules across fields."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from ingestion.erp.entities import ENTITIES
from ingestion.erp.files import ExtractFileError, read_extract
from ingestion.erp.records import coerce_record
from ingestion.warehouse import Reject

INVOICES = ENTITIES["invoices"]


def _invoice(**overrides: str) -> dict[str, str]:
    record = {
        "invoice_id": "00123",
        "customer_id": "C001",
        "invoice_date": "2026-01-01",
        "due_date": "2026-01-31",
        "currency_code": "eur",
        "amount": "1000.50",
        "is_disputed": "",
    }
    record.update(overrides)
    return record


def test_valid_invoice_is_typed_and_keeps_leading_zeros() -> None:
    result = coerce_record(INVOICES, _invoice(), line_number=2)
    assert result == ("00123", "C001", date(2026, 1, 1), date(2026, 1, 31), "EUR", Decimal("1000.50"), False)


@pytest.mark.parametrize(
    ("overrides", "field", "reason_part"),
    [
        ({"amount": "12.345"}, "amount", "more than 2 decimals"),
        ({"amount": "abc"}, "amount", "not a decimal"),
        ({"amount": "-5.00"}, "amount", "must be positive"),
        ({"amount": "0"}, "amount", "must be positive"),
        ({"invoice_date": "01/02/2026"}, "invoice_date", "not an ISO date"),
        ({"due_date": "2025-12-31"}, "due_date", "before invoice date"),
        ({"currency_code": "EURO"}, "currency_code", "ISO 4217"),
        ({"customer_id": " "}, "customer_id", "required value is missing"),
        ({"is_disputed": "maybe"}, "is_disputed", "not a boolean"),
    ],
)
def test_bad_invoice_fields_are_rejected_with_field_and_reason(
    overrides: dict[str, str], field: str, reason_part: str
) -> None:
    result = coerce_record(INVOICES, _invoice(**overrides), line_number=7)
    assert isinstance(result, Reject)
    assert result.field == field
    assert reason_part in result.reason
    assert result.line_number == 7
    assert result.record_ref == "00123"


def test_money_as_float_is_refused() -> None:
    # 0.1 + 0.2 as a float is 0.30000000000000004: a float has already lost the cents, so it must not be accepted.
    result = coerce_record(INVOICES, {**_invoice(), "amount": 0.1 + 0.2})  # type: ignore[dict-item]
    assert isinstance(result, Reject) and "float" in result.reason


def test_insured_share_must_be_a_fraction() -> None:
    customers = ENTITIES["customers"]
    ok = coerce_record(customers, {"customer_id": "C1", "customer_name": "A", "insured_share": "0.85"})
    assert not isinstance(ok, Reject) and ok[-1] == Decimal("0.85")
    bad = coerce_record(customers, {"customer_id": "C1", "customer_name": "A", "insured_share": "85"})
    assert isinstance(bad, Reject) and bad.field == "insured_share"


def test_read_extract_reports_physical_line_numbers_and_malformed_rows() -> None:
    text = (
        "invoice_id,customer_id,invoice_date,due_date,currency_code,amount\n"
        "I1,C1,2026-01-01,2026-01-31,EUR,10.00\n"
        "\n"
        "I2,C1,2026-01-01,2026-01-31,EUR\n"
    )
    rows = list(read_extract(INVOICES, io.StringIO(text), file_name="invoices.csv"))
    # Line 1 is the header, line 3 is blank and skipped, so the short row is on line 4.
    assert [line for line, _ in rows] == [2, 4]
    rejected = coerce_record(INVOICES, rows[1][1], line_number=rows[1][0])
    assert isinstance(rejected, Reject) and "expected 6 fields, found 5" in rejected.reason


def test_header_without_required_columns_rejects_the_file() -> None:
    with pytest.raises(ExtractFileError, match="amount"):
        list(
            read_extract(
                INVOICES,
                io.StringIO("invoice_id,customer_id,invoice_date,due_date,currency_code\n"),
                file_name="x.csv",
            )
        )
