"""What the :86: field of an MT940/MT942 transaction says, in the dialects banks actually send.

Field :86: ("information to account owner") is free text in the SWIFT standard; banks fill it three ways:

- German/Austrian structured (DFÜ-Abkommen, also used in Poland and by Triodos with '>' for '?'): a three-digit
  business code, then subfields `?NN`: ?00 booking text, ?20-?29 and ?60-?63 remittance lines (with SEPA keywords
  EREF+, MREF+, CRED+, SVWZ+ ...), ?30 bank code, ?31 account, ?32-?33 counterparty name, ?38 IBAN.
  Subfields wrap at the 65-character line end, even inside a word or a subfield number, so lines are joined
  without a separator before splitting.
- Dutch/SWIFT codes (Rabobank, ING, ABN AMRO new format): `/EREF/.../NAME/.../IBAN/.../REMI/...`.
- Anything else: free text, kept as the remittance text with its line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingestion.bank.rf_reference import find_rf_reference

NOT_PROVIDED = ("NOTPROVIDED", "NONREF")

_GERMAN_START = re.compile(r"(\d{3})([?>])\d{2}")
_GERMAN_SUBFIELD = {separator: re.compile(re.escape(separator) + r"(\d{2})") for separator in "?>"}
_REMITTANCE_SUBFIELDS = frozenset({*(f"{n}" for n in range(20, 30)), "60", "61", "62", "63"})
_SEPA_KEYWORD = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|COAM|OAMT)\+")

_DUTCH_CODES = (
    "ACCW|ADDR|BENM|BIC|BUSP|CHGS|CNTP|CSID|EREF|EXCH|IBAN|IREF|ISDT|MARF|NAME|OCMT|ORDP|PREF|PURP|REMI|RTRN|"
    "SVCL|TRCD|TRTP|ULTB|ULTC|ULTD"
)
_DUTCH_TAG = re.compile(rf"/({_DUTCH_CODES})/")


@dataclass(slots=True)  # not frozen: built once per transaction, and a frozen dataclass is slower to build
class TransactionDetails:
    """The parts of a :86: field the warehouse keeps; anything not recognised stays in `remittance_text`."""

    business_code: str | None = None  # the three-digit code of the German format (Geschäftsvorfallcode)
    end_to_end_id: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    creditor_reference: str | None = None
    remittance_text: str | None = None


def parse_details(lines: Sequence[str]) -> TransactionDetails:
    """Interpret the physical lines of a transaction's :86: field(s), tags removed, in file order."""
    stripped = [line.rstrip() for line in lines]
    joined = "".join(stripped).strip()
    if not joined:
        return TransactionDetails()
    german = _GERMAN_START.match(joined)
    if german is not None:
        return _german(joined, german.group(1), german.group(2))
    if _DUTCH_TAG.match(joined):
        return _dutch(joined)
    text = "\n".join(stripped).strip()
    return TransactionDetails(remittance_text=text, creditor_reference=find_rf_reference(text))


def _german(text: str, business_code: str, separator: str) -> TransactionDetails:
    subfields: dict[str, list[str]] = {}
    remittance_parts: list[str] = []
    pieces = _GERMAN_SUBFIELD[separator].split(text[3:])
    for number, value in zip(pieces[1::2], pieces[2::2], strict=True):
        subfields.setdefault(number, []).append(value)
        if number in _REMITTANCE_SUBFIELDS:
            remittance_parts.append(value)
    remittance = "".join(remittance_parts).strip()
    keywords = _sepa_keywords(remittance)
    end_to_end_id = keywords.get("EREF")
    name = _squeeze("".join(subfields.get("32", []) + subfields.get("33", [])))
    account = _squeeze("".join(subfields.get("38", []))) or _squeeze("".join(subfields.get("31", [])))
    remittance_text = keywords.get("SVWZ") or remittance or None
    return TransactionDetails(
        business_code=business_code,
        end_to_end_id=None if end_to_end_id in NOT_PROVIDED else end_to_end_id,
        counterparty_name=name,
        counterparty_account=account,
        creditor_reference=find_rf_reference(remittance_text) if remittance_text else None,
        remittance_text=remittance_text,
    )


def _sepa_keywords(remittance: str) -> dict[str, str]:
    """Values of SEPA keywords (`EREF+...SVWZ+...`); a keyword's value runs to the next keyword."""
    matches = list(_SEPA_KEYWORD.finditer(remittance))
    values: dict[str, str] = {}
    ends = [match.start() for match in matches[1:]] + [len(remittance)] if matches else []
    for this, end in zip(matches, ends, strict=True):
        value = remittance[this.end() : end].strip()
        if value:
            values.setdefault(this.group(1), value)
    return values


def _dutch(text: str) -> TransactionDetails:
    matches = list(_DUTCH_TAG.finditer(text))
    values: dict[str, str] = {}
    ends = [match.start() for match in matches[1:]] + [len(text)] if matches else []
    for this, end in zip(matches, ends, strict=True):
        # A tag's value may hold single slashes (dates, CNTP sub-parts); only the last one closes the tag.
        value = text[this.end() : end].rstrip("/").strip()
        if value:
            values.setdefault(this.group(1), value)
    name = values.get("NAME")
    account = values.get("IBAN")
    if "CNTP" in values:
        # /CNTP/account/BIC/name/city/
        parts = [*values["CNTP"].split("/"), "", "", ""]
        account = account or parts[0].strip() or None
        name = name or parts[2].strip() or None
    remittance = values.get("REMI")
    creditor_reference = None
    if remittance is not None:
        upper = remittance.upper()
        if upper.startswith("STRD/CUR/"):
            creditor_reference = remittance[len("STRD/CUR/") :].split("/")[0].strip() or None
            remittance = None
        elif upper.startswith("USTD//"):
            remittance = remittance[len("USTD//") :].strip() or None
    end_to_end_id = values.get("EREF")
    return TransactionDetails(
        end_to_end_id=None if end_to_end_id in NOT_PROVIDED else end_to_end_id,
        counterparty_name=_squeeze(name or ""),
        counterparty_account=account,
        creditor_reference=creditor_reference or (find_rf_reference(remittance) if remittance else None),
        remittance_text=remittance,
    )


def _squeeze(text: str) -> str | None:
    # Names are padded to the subfield width and wrapped between ?32 and ?33; runs of blanks carry no meaning.
    squeezed = " ".join(text.split())
    return squeezed or None
