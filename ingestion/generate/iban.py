"""IBAN check digits (ISO 13616, mod 97-10), to give every generated account a valid IBAN."""

from __future__ import annotations


def _as_digits(text: str) -> str:
    # Letters count as two-digit numbers (A=10 .. Z=35), as the standard says.
    return "".join(str(int(ch, 36)) for ch in text)


def iban_check_digits(country_code: str, bban: str) -> str:
    """The two check digits for `bban` in `country_code` ("DE", "370400440532013000" -> "89")."""
    remainder = int(_as_digits(bban + country_code.upper() + "00")) % 97
    return f"{98 - remainder:02d}"


def make_iban(country_code: str, bban: str) -> str:
    """A complete IBAN, without spaces, for the national account number `bban`."""
    return f"{country_code.upper()}{iban_check_digits(country_code, bban)}{bban.upper()}"


def is_valid_iban(iban: str) -> bool:
    """True when the check digits of `iban` (spaces allowed) are right."""
    compact = iban.replace(" ", "").upper()
    if len(compact) < 15 or not compact[:2].isalpha() or not compact[2:4].isdigit() or not compact.isalnum():
        return False
    return int(_as_digits(compact[4:] + compact[:4])) % 97 == 1
