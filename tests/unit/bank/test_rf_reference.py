"""RF creditor references (ISO 11649)."""

from __future__ import annotations

import pytest

from ingestion.bank.rf_reference import find_rf_reference, is_valid_rf_reference


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("RF18539007547034", True),  # the example of ISO 11649
        ("RF18 5390 0754 7034", True),
        ("rf18539007547034", True),
        ("RF19539007547034", False),  # one check digit off
        ("RF18", False),  # no reference part
        ("RF18539007547034123456789012", False),  # longer than 25 characters
    ],
)
def test_is_valid_rf_reference(value: str, valid: bool) -> None:
    assert is_valid_rf_reference(value) is valid


def test_find_rf_reference_takes_whole_words_with_valid_check_digits() -> None:
    assert find_rf_reference("Invoice RF18539007547034, thanks") == "RF18539007547034"
    assert find_rf_reference("Invoice RF19539007547034") is None
    assert find_rf_reference("XRF18539007547034") is None
    assert find_rf_reference("no reference") is None
