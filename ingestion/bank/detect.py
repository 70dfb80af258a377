"""Which statement format a file holds, told from its first bytes rather than its name, and the parser for it.

Banks and file drops name files freely (`.sta`, `.txt`, `.xml`, `.940`, no extension at all), so the name is not
evidence. The head of the file is: an XML root in the camt.053 namespace, SWIFT tags at line starts, or a BAI2
file header record.

A CSV export cannot be told by content alone: any text with delimiters looks like one, and what its columns mean
differs per bank. So a CSV is read only through a mapping (csv_statement.py): one named by the caller, or a shipped
mapping whose `detect` header names all stand in the file's header row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ingestion.bank.bai2 import parse_bai2
from ingestion.bank.camt053 import parse_camt053
from ingestion.bank.csv_statement import detect_csv_mapping, load_csv_mapping, parse_csv_statement
from ingestion.bank.mt940 import parse_mt940
from ingestion.bank.records import StatementLine, StatementParseError, StatementSummary

HEAD_BYTES = 64 * 1024

CAMT053 = "camt053"
MT940 = "mt940"
MT942 = "mt942"
BAI2 = "bai2"
CSV = "csv"

Parser = Callable[..., Iterator[StatementLine | StatementSummary]]
PARSERS: dict[str, Parser] = {
    CAMT053: parse_camt053,
    MT940: parse_mt940,
    MT942: parse_mt940,
    BAI2: parse_bai2,
}

_BOMS = (b"\xef\xbb\xbf",)
_XML_NAME = r"[A-Za-z_][\w.-]*"
# The first element start tag (not a declaration "<?", comment or DOCTYPE "<!").
_FIRST_ELEMENT = re.compile(rf"\s*<(?:({_XML_NAME}):)?({_XML_NAME})([^>]*)>")
_XML_PROLOG_NOISE = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.DOTALL)
_STATEMENT_ROOT = re.compile(rf"<(?:{_XML_NAME}:)?BkToCstmrStmt\b")


def _swift_tag(tag: str) -> re.Pattern[str]:
    # A tag counts at a line start, or right after the "{4:" that opens the text block of a SWIFT envelope.
    return re.compile(rf"(?:^|\{{4:)[ \t]*:{tag}:", re.MULTILINE)


_MT_TAGS = {
    tag: _swift_tag(tag) for tag in ("20", "25", "28", "28C", "60F", "60M", "61", "62F", "62M", "34F", "13D")
}


def detect_format(head: bytes) -> str | None:
    """The statement format of a file, from its first bytes: 'camt053', 'mt940', 'mt942', 'bai2', or None.

    `head` is the start of the file (64 KiB is plenty; the whole file works too). Only content is looked at.
    """
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
    text = head.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return CAMT053 if _is_camt053(stripped) else None
    if stripped.startswith("01,"):
        return BAI2
    return _swift_format(text)


def _is_camt053(text: str) -> bool:
    position = 0
    while True:
        noise = _XML_PROLOG_NOISE.match(text, position)
        if noise is None or noise.end() == position:
            break
        position = noise.end()
    root = _FIRST_ELEMENT.match(text, position)
    if root is None or root.group(2) != "Document":
        return False
    namespaces = re.findall(r"""xmlns(?::[\w.-]+)?\s*=\s*["']([^"']*)["']""", root.group(3))
    if any("camt.053." in namespace for namespace in namespaces):
        return True
    # No camt.053 namespace declared on the root: accept a namespace-less document that holds a statement message.
    return not any("iso:20022" in namespace for namespace in namespaces) and bool(
        _STATEMENT_ROOT.search(text)
    )


def _swift_format(text: str) -> str | None:
    def has(tag: str) -> bool:
        return _MT_TAGS[tag].search(text) is not None

    if not (has("20") and has("25")):
        return None
    has_balances = has("60F") or has("60M") or has("62F") or has("62M")
    if (has("34F") or has("13D")) and not has_balances:
        return MT942
    if has_balances or has("61") or has("28C") or has("28"):
        return MT940
    return None


def parse_statement_file(
    path: str | Path, *, csv_mapping: str | Path | None = None
) -> Iterator[StatementLine | StatementSummary]:
    """Open `path` in binary, tell its format from the content and stream its records through the right parser.

    A file that is not camt.053, MT940/MT942 or BAI2 is read as a CSV export with `csv_mapping` (a mapping name from
    ingestion/bank/csv_mappings/ or a path) when one is given, else with the shipped mapping whose `detect` header
    matches the file. Raises `StatementParseError` ('unknown format: ...' or the parser's own error) while
    iterating; `CsvMappingError` for a mapping that is missing or broken (a configuration error, not the file's).
    The file stays open until the iterator is exhausted or closed.
    """
    path = Path(path)
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
        file_format = detect_format(head)
        if file_format is None:
            mapping = load_csv_mapping(csv_mapping) if csv_mapping is not None else detect_csv_mapping(head)
            if mapping is None:
                raise StatementParseError(
                    f"unknown format: {path.name} is not camt.053, MT940/MT942 or BAI2, "
                    "nor a CSV export whose header a mapping knows"
                )
            stream.seek(0)
            yield from parse_csv_statement(stream, mapping=mapping, source_name=str(path))
            return
        parser = PARSERS.get(file_format)
        if parser is None:
            raise StatementParseError(f"format {file_format} is not supported yet")
        stream.seek(0)
        yield from parser(stream, source_name=str(path))
