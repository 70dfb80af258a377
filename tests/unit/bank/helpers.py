"""Small helpers shared by the bank parser tests."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from ingestion.bank.records import StatementLine, StatementSummary

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bank"


def as_stream(text: str | bytes) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text)


def split(
    records: Iterable[StatementLine | StatementSummary],
) -> tuple[list[StatementLine], list[StatementSummary]]:
    """Lines and summaries of a parse, checking on the way that every summary follows its own statement's lines."""
    lines: list[StatementLine] = []
    summaries: list[StatementSummary] = []
    current: list[StatementLine] = []
    for record in records:
        if isinstance(record, StatementSummary):
            assert record.statement_index == len(summaries) + 1
            assert all(line.statement_index == record.statement_index for line in current)
            assert [line.line_index for line in current] == list(range(1, len(current) + 1))
            assert record.line_count == len(current)
            summaries.append(record)
            current = []
        else:
            current.append(record)
            lines.append(record)
    assert current == [], "lines after the last summary"
    return lines, summaries
