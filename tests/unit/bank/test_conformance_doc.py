"""docs/bank-conformance.md is what the parsers do with the external corpus now (regenerate it when they change)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.bank.conformance import DEFAULT_CORPUS, build

DOC = Path(__file__).resolve().parents[3] / "docs" / "bank-conformance.md"


@pytest.mark.skipif(not DEFAULT_CORPUS.is_dir(), reason=f"the external corpus is not at {DEFAULT_CORPUS}")
def test_conformance_page_matches_the_code() -> None:
    assert DOC.read_text() == build(), (
        "run: uv run python -m ingestion.bank.conformance > docs/bank-conformance.md"
    )
