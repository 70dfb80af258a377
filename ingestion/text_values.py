"""Reading values that people and their exports write as text: numbers, dates and column headers.

Shared by the readers of files whose layout a mapping describes (bank CSV exports, customer statements), so that
"1.234,56", "(12.00)" or "31.01.2024" mean the same thing in every file the warehouse reads.
"""

from __future__ import annotations

import re
import time
from datetime import date
from decimal import Decimal

DATE_TOKENS = (("YYYY", "%Y"), ("YY", "%y"), ("MM", "%m"), ("DD", "%d"))
SPACES = ("\u00a0", "\u202f")  # no-break spaces that exports write as thousands separators
CURRENCY_SYMBOLS = "$€£¥"


def strptime_format(text: str) -> str:
    """A date format as a mapping writes it (`DD.MM.YYYY`, or a strptime format with `%`) as a strptime format."""
    if "%" in text:
        return text
    converted = text.upper()
    for token, directive in DATE_TOKENS:
        converted = converted.replace(token, directive)
    return converted


def readable_format(date_format: str) -> str:
    """A strptime format as people read it in an error message: `%d.%m.%Y` -> `DD.MM.YYYY`."""
    for token, directive in DATE_TOKENS:
        date_format = date_format.replace(directive, token)
    return date_format


def strptime_date(text: str, date_format: str) -> date:
    """The calendar date `text` holds in `date_format`; ValueError when it does not."""
    # time.strptime: a calendar date needs no time zone, and datetime.strptime would build a naive timestamp.
    parsed = time.strptime(text, date_format)
    return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)


def header_key(name: str) -> str:
    """A column header as headers are compared: no byte-order mark, blanks collapsed, case folded."""
    return " ".join(name.replace("\ufeff", "").split()).casefold()


def parse_number(
    raw: str, *, decimal_separator: str = ".", thousands_separator: str = "", max_decimals: int = 5
) -> Decimal | None:
    """A number as exports write it: '-1.234,56', '1,234.56', '(12.00)', '12.00-', '$12.00'; None if unreadable.

    Thousands groups are checked ('1.23,45' is not a number with '.' between thousands), and at most
    `max_decimals` decimals are accepted, so nothing is rounded silently.
    """
    text = raw.strip().strip(CURRENCY_SYMBOLS).strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text.endswith("-"):
        negative, text = not negative, text[:-1].strip()
    elif text and text[0] in "+-":
        negative, text = (text[0] == "-") != negative, text[1:].strip()
    text = text.strip(CURRENCY_SYMBOLS).strip()
    thousands = re.escape(thousands_separator)
    if thousands_separator == " ":
        for space in SPACES:
            text = text.replace(space, " ")
    whole = rf"\d{{1,3}}(?:{thousands}\d{{3}})+|\d+" if thousands else r"\d+"
    match = re.fullmatch(rf"({whole})(?:{re.escape(decimal_separator)}(\d{{1,{max_decimals}}}))?", text)
    if match is None:
        return None
    digits = match.group(1).replace(thousands_separator, "") if thousands else match.group(1)
    number = Decimal(f"{digits}.{match.group(2)}" if match.group(2) else digits)
    return -number if negative else number


def number_format_hint(
    *, decimal_separator: str = ".", thousands_separator: str = "", max_decimals: int = 5
) -> str:
    """What parse_number accepts, for an error message: "digits with ',' before the decimals and '.' between
    thousands, at most 2 decimals"."""
    thousands = f" and {thousands_separator!r} between thousands" if thousands_separator else ""
    return (
        f"digits with {decimal_separator!r} before the decimals{thousands}, at most {max_decimals} decimals"
    )
