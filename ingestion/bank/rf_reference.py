"""ISO 11649 structured creditor references ("RF" references) found in remittance text.

An RF reference is "RF", two check digits and up to 21 letters or digits; like an IBAN it is valid when the
rearranged number (first four characters moved to the end, letters as 10..35) is 1 modulo 97.
"""

from __future__ import annotations

import re

_RF_REFERENCE = re.compile(r"RF\d{2}[A-Z0-9]{1,21}")
_RF_IN_TEXT = re.compile(r"(?<![A-Z0-9])RF\d{2}[A-Z0-9]{1,21}(?![A-Z0-9])")


def _check_digits_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def is_valid_rf_reference(value: str) -> bool:
    """True when `value` (spaces allowed, any case) is an RF creditor reference with correct check digits."""
    compact = value.replace(" ", "").upper()
    return _RF_REFERENCE.fullmatch(compact) is not None and _check_digits_ok(compact)


def find_rf_reference(text: str) -> str | None:
    """The first valid RF creditor reference written as one word in `text` (upper-cased), or None."""
    for match in _RF_IN_TEXT.finditer(text.upper()):
        if _check_digits_ok(match.group()):
            return match.group()
    return None
