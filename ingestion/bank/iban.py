"""IBAN validation (ISO 13616): country code, check digits, mod-97 of the rearranged number."""

from __future__ import annotations

import re

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def valid_iban(value: str) -> bool:
    """True when `value` (spaces allowed) is a well-formed IBAN whose check digits are right."""
    compact = value.replace(" ", "").upper()
    if not _IBAN.match(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1
