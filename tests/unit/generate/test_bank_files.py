"""The bank statement files: balance identities, chaining, formats, and agreement with the ERP and the manifest."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from ingestion.generate.bank import BankEntry
from ingestion.generate.bank_files import mt940_amount, mt940_details
from ingestion.generate.params import add_business_days, is_business_day

from .conftest import anomalies_of
from .readers import MONEY, MT940_MONEY, Erp, Statement


def _distinct(statements: list[Statement]) -> list[Statement]:
    return [s for s in statements if "_redelivered" not in s.path.name]


def test_every_statement_balances(bank_statements: list[Statement]) -> None:
    assert bank_statements
    for s in bank_statements:
        total = sum((e.amount for e in s.entries), Decimal("0"))
        assert s.opening_balance + total == s.closing_balance, s.path.name


def test_statements_chain_per_account(bank_statements: list[Statement], manifest: dict[str, Any]) -> None:
    by_account: dict[str, list[Statement]] = defaultdict(list)
    for s in _distinct(bank_statements):
        by_account[s.account_id].append(s)
    assert set(by_account) == {a["account_id"] for a in manifest["bank_accounts"]}
    for account_id, statements in by_account.items():
        statements.sort(key=lambda s: s.statement_date)
        for previous, current in zip(statements, statements[1:], strict=False):
            assert current.opening_balance == previous.closing_balance, current.path.name
        expected = manifest["expected"]["bank"]["accounts"][account_id]
        assert len(statements) == expected["statements"]
        assert str(statements[0].opening_balance) == expected["first_opening_balance"]
        assert str(statements[-1].closing_balance) == expected["last_closing_balance"]
        assert sum(len(s.entries) for s in statements) == expected["lines"]
        credits = sum((e.amount for s in statements for e in s.entries if e.amount > 0), Decimal("0.00"))
        assert str(credits) == expected["credit_total"]


def test_one_file_per_account_per_business_day(
    bank_statements: list[Statement], manifest: dict[str, Any]
) -> None:
    # 15 Jan to 28 Feb 2024: 45 days, of which 33 are Monday to Friday; two accounts.
    dates = {s.statement_date for s in _distinct(bank_statements)}
    assert all(is_business_day(d) for d in dates)
    assert len(dates) == 33
    assert len(_distinct(bank_statements)) == 66 == manifest["expected"]["bank"]["distinct_files"]
    for s in bank_statements:
        assert s.path.parent.name == s.statement_date.isoformat() or "_redelivered" in s.path.name
        assert all(e.booking_date == s.statement_date for e in s.entries)


def test_amounts_are_written_with_two_decimals(bank_statements: list[Statement]) -> None:
    for s in bank_statements:
        pattern = MONEY if s.file_format == "camt053" else MT940_MONEY
        bad = [a for a in s.raw_amounts if not pattern.match(a)]
        assert not bad, (s.path.name, bad[:3])
        assert all(e.amount == e.amount.quantize(Decimal("0.01")) for e in s.entries)


def test_customer_credits_match_erp_payments(
    bank_statements: list[Statement], erp: Erp, manifest: dict[str, Any]
) -> None:
    by_reference = {p["reference"]: p for p in erp.payments.values()}
    not_in_erp = {a["end_to_end_id"] for a in anomalies_of(manifest, "payment_not_in_erp")}
    lags: dict[int, int] = defaultdict(int)
    matched = 0
    for s in _distinct(bank_statements):
        for e in s.entries:
            if e.end_to_end_id is None or not e.end_to_end_id.startswith("C"):
                continue  # not a customer payment (supplier transfers have ARDM- references)
            if e.end_to_end_id in not_in_erp:
                assert e.end_to_end_id not in by_reference
                continue
            payment = by_reference[e.end_to_end_id]
            customer = erp.customers[payment["customer_id"]]
            assert e.amount == Decimal(payment["amount"])
            assert s.currency_code == payment["currency_code"]
            assert e.counterparty_name == customer["customer_name"]
            paid = sorted(
                a["invoice_id"] for a in erp.applications if a["payment_id"] == payment["payment_id"]
            )
            assert sorted((e.remittance or "").split()) == paid
            payment_date = date.fromisoformat(payment["payment_date"])
            lag = next(n for n in range(3) if add_business_days(payment_date, n) == e.booking_date)
            lags[lag] += 1
            matched += 1
    assert matched == sum(
        manifest["expected"]["bank"]["accounts"][a]["customer_payments"]["count"]
        for a in manifest["expected"]["bank"]["accounts"]
    ) - len(not_in_erp)
    # Most payments are booked the day the ERP records them, some one or two business days later.
    assert lags[0] > lags[1] > 0 and lags[2] > 0


def test_unrelated_bank_items_exist(bank_statements: list[Statement]) -> None:
    eur = [s for s in _distinct(bank_statements) if s.currency_code == "EUR"]
    names = {e.counterparty_name for s in eur for e in s.entries}
    assert "Worldline Card Settlement" in names
    # A supplier name with '&' and '<' survives XML escaping.
    assert any(n and "&" in n for n in names)
    assert any(e.amount < 0 and e.counterparty_name is None for s in eur for e in s.entries)  # fees


def test_mt940_amount_format() -> None:
    assert mt940_amount(Decimal("-1234.50")) == "1234,50"
    assert mt940_amount(Decimal("0.05")) == "0,05"


def testmt940_details_wrap_at_65_never_next_to_a_space() -> None:
    entry = BankEntry(
        amount=Decimal("1.00"),
        booking_date=date(2024, 1, 2),
        value_date=date(2024, 1, 2),
        bank_reference="X",
        kind="customer_payment",
        end_to_end_id="C00001-240102-1",
        counterparty_name="Golden Hydraulics GmbH und Co. KG",
        remittance="INV0000001 INV0000002 INV0000003 INV0000004 INV0000005",
    )
    lines = mt940_details(entry).split("\r\n")
    assert all(len(line) <= 65 for line in lines)
    assert all(not line.startswith(" ") and not line.endswith(" ") for line in lines)
    assert "".join(lines) == (
        "/EREF/C00001-240102-1/REMI/INV0000001 INV0000002 INV0000003 INV0000004 INV0000005"
        "/NAME/Golden Hydraulics GmbH und Co. KG"
    )
