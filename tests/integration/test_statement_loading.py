"""Loading customer statements: quarantine of bad files, a file once, a statement once, corrections replace."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ingestion import warehouse
from ingestion.statements.loader import load_file

pytestmark = pytest.mark.integration

HEADER = "customer_id,statement_date,document_ref,document_type,document_date,amount,currency_code\n"
C1 = "C1,2026-03-31,INV-1,invoice,2026-03-01,100.00,EUR\nC1,2026-03-31,PAY-1,payment,2026-03-20,-40.00,EUR\n"
C2 = "C2,2026-03-31,INV-9,invoice,2026-03-02,75.50,EUR\n"


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    with warehouse.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_bad_file_is_quarantined_with_every_reason_and_the_others_load(
    clean_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AR_LANDING_DIR", str(tmp_path / "landing"))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + C1 + "C1,2026-03-31,INV-2,invoice,,12.345,EUR\nC1,2026-13-31,INV-3,invoice,,1,EUR\n"
    )
    good = tmp_path / "good.csv"
    good.write_text(HEADER + C2)
    rejected = load_file(clean_warehouse, bad)
    loaded = load_file(clean_warehouse, good)
    assert (rejected.status, loaded.status, loaded.rows) == ("rejected", "loaded", 1)
    # Lines 4 and 5 (the header is line 1); nothing of the bad file is loaded, not even its two good lines.
    assert _query(
        clean_warehouse, "select line_number, field, reason from audit.rejects order by reject_id"
    ) == [
        (
            4,
            "amount",
            "invalid amount '12.345' (expected digits with '.' before the decimals, at most 2 decimals)",
        ),
        (5, "statement_date", "invalid date '2026-13-31' (expected YYYY-MM-DD)"),
    ]
    assert _query(
        clean_warehouse, "select customer_id, count(*) from raw_statements.statement_items group by 1"
    ) == [("C2", 1)]
    quarantined = tmp_path / "landing" / "quarantine" / "statements" / "bad.csv"
    assert quarantined.exists() and not bad.exists()
    reason = (quarantined.parent / "bad.csv.reason.txt").read_text()
    assert "line 4, field amount" in reason and "line 5, field statement_date" in reason
    # Control totals: 75.50 read, 75.50 written.
    assert _query(
        clean_warehouse,
        "select rows_read, rows_loaded, control_total_source, control_total_target from audit.load_batches "
        "where status = 'loaded'",
    ) == [(1, 1, Decimal("75.50"), Decimal("75.50"))]


def test_a_file_and_a_statement_load_once_and_a_correction_replaces(
    clean_warehouse: str, tmp_path: Path
) -> None:
    first = tmp_path / "a.csv"
    first.write_text(HEADER + C1 + C2)
    assert load_file(clean_warehouse, first).status == "loaded"
    # The same bytes under another name: a second delivery, not loaded.
    copy = tmp_path / "a_copy.csv"
    copy.write_bytes(first.read_bytes())
    assert load_file(clean_warehouse, copy).status == "duplicate"
    # C1's statement again, lines reordered, in another file with a corrected C2: C1 is a duplicate (same
    # customer, date and lines), C2 replaces the earlier one.
    resend = tmp_path / "b.csv"
    resend.write_text(
        HEADER + C1.split("\n")[1] + "\n" + C1.split("\n")[0] + "\n" + C2.replace("75.50", "57.50")
    )
    result = load_file(clean_warehouse, resend)
    assert (result.status, result.statements, result.rows, result.statements_duplicate,
            result.statements_replacing) == ("loaded", 1, 1, 1, 1)  # fmt: skip
    assert _query(
        clean_warehouse,
        "select customer_id, balance_amount, is_current from raw_statements.statements "
        "order by customer_id, _batch_id",
    ) == [("C1", Decimal("60.00"), True), ("C2", Decimal("75.50"), False), ("C2", Decimal("57.50"), True)]
    assert _query(
        clean_warehouse, "select customer_id, event from audit.customer_statement_events order by event_id"
    ) == [("C1", "duplicate"), ("C2", "replaced")]


def test_a_reload_reads_standing_statements_again_and_leaves_replaced_ones(
    clean_warehouse: str, tmp_path: Path
) -> None:
    """ar_daily's `reload_source: statements`: a file whose statements stand is read again and its rows replaced;
    one with a statement a later file corrected, or with a second delivery of an earlier statement, is not."""
    from ingestion.statements.loader import load_files

    folder = tmp_path / "statements"
    folder.mkdir()
    (folder / "a.csv").write_text(HEADER + C1 + C2)  # C1 and C2 as of 2026-03-31
    (folder / "b.csv").write_text(HEADER + C2.replace("75.50", "57.50"))  # corrects C2
    c3 = "C3,2026-03-31,INV-30,invoice,2026-03-03,10.00,EUR\n"
    (folder / "c.csv").write_text(HEADER + c3)  # C3: standing
    assert [r.status for r in load_files(clean_warehouse, [folder])] == ["loaded", "loaded", "loaded"]
    query = (
        "select customer_id, document_ref, amount, _batch_id from raw_statements.statement_items "
        "order by customer_id, document_ref, _batch_id"
    )
    before = _query(clean_warehouse, query)

    again = {r.path.name: (r.status, r.reason) for r in load_files(clean_warehouse, [folder], reload=True)}
    # a.csv holds C2's statement that b.csv corrected: not read again (it would replace its correction).
    assert again["a.csv"][0] == "duplicate" and "replaced by file" in str(again["a.csv"][1])
    assert again["b.csv"] == ("loaded", None) and again["c.csv"] == ("loaded", None)
    after = _query(clean_warehouse, query)
    # The same lines: C1's two and a.csv's replaced C2 line (75.50) untouched, in their first batches; b.csv's
    # C2 (57.50) and c.csv's C3 (10.00) read again, in new batches (3 files loaded first: batches 1 to 3).
    assert [row[:3] for row in after] == [row[:3] for row in before]
    assert {(row[0], row[3]) for row in after} == {("C1", 1), ("C2", 1), ("C2", 4), ("C3", 5)}
    assert _query(
        clean_warehouse,
        "select customer_id, balance_amount, is_current from raw_statements.statements order by 1, 2",
    ) == [
        ("C1", Decimal("60.00"), True),
        ("C2", Decimal("57.50"), True),
        ("C2", Decimal("75.50"), False),
        ("C3", Decimal("10.00"), True),
    ]
