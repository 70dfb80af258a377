"""IBAN check digits, and the IBANs the generator writes."""

from __future__ import annotations

from ingestion.generate.iban import iban_check_digits, is_valid_iban, make_iban

from .readers import Statement


def test_check_digits_of_known_ibans() -> None:
    # The textbook German example: bank code 37040044, account 0532013000 -> DE89 3704 0044 0532 0130 00.
    assert iban_check_digits("DE", "370400440532013000") == "89"
    assert make_iban("DE", "370400440532013000") == "DE89370400440532013000"
    # The textbook Dutch example, letters in the BBAN: ABNA 0417 1643 00 -> NL91.
    assert make_iban("NL", "ABNA0417164300") == "NL91ABNA0417164300"
    assert is_valid_iban("GB82 WEST 1234 5698 7654 32")


def test_wrong_check_digits_are_caught() -> None:
    assert not is_valid_iban("DE88370400440532013000")
    assert not is_valid_iban("DE89370400440532013001")
    assert not is_valid_iban("DE89")


def test_generated_ibans_are_valid(bank_statements: list[Statement], manifest: dict) -> None:
    eur = [a for a in manifest["bank_accounts"] if a["currency_code"] == "EUR"]
    assert len(eur) == 1 and eur[0]["account_id"].startswith("DE")
    assert is_valid_iban(eur[0]["account_id"])
    camt = [s for s in bank_statements if s.file_format == "camt053"]
    assert camt and all(is_valid_iban(s.account_id) for s in camt)


def test_customer_ibans_in_camt_are_valid(landing) -> None:
    from lxml import etree

    from .readers import CAMT_NS

    seen = 0
    for path in sorted((landing / "bank").rglob("*.xml")):
        for iban in etree.parse(str(path)).getroot().iterfind(".//c:DbtrAcct/c:Id/c:IBAN", CAMT_NS):
            assert is_valid_iban(iban.text), (path.name, iban.text)
            seen += 1
    assert seen > 50
