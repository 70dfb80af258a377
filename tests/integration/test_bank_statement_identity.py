"""The same bank statement in another file loads once; a corrected statement for the same day replaces the first."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ingestion import warehouse
from ingestion.bank.loader import load_file

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "bank" / "camt053_v2_amount_details.xml"


def _variant(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    text = FIXTURE.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def _correction(folder: Path, name: str) -> Path:
    """The fixture's statement corrected: the batched debit 25.00 instead of 20.00, closing at 75.00, not 80.00."""
    return _variant(
        folder,
        name,
        ("<MsgId>TEST-MSG-2</MsgId>", "<MsgId>TEST-MSG-3</MsgId>"),
        ('<Amt Ccy="GBP">20.00000</Amt>', '<Amt Ccy="GBP">25.00000</Amt>'),
        ('<Amt Ccy="GBP">12.34567</Amt>', '<Amt Ccy="GBP">17.34567</Amt>'),
        ('<Amt Ccy="GBP">80.00</Amt>', '<Amt Ccy="GBP">75.00</Amt>'),
    )


def test_redelivered_statement_is_a_duplicate_and_a_correction_replaces_it(
    clean_warehouse: str, tmp_path: Path
) -> None:
    original = _variant(tmp_path, "day.xml")
    # The bank sends the same statement again in a new message: other bytes, same account, day and figures.
    resent = _variant(
        tmp_path, "day_resent.xml", ("<MsgId>TEST-MSG-2</MsgId>", "<MsgId>TEST-MSG-2-RESENT</MsgId>")
    )
    # Then a correction: the batched debit was 25.00 (17.34567 + 7.65433), so the closing balance is
    # 100.00 - 25.00 = 75.00 instead of 80.00.
    corrected = _correction(tmp_path, "day_corrected.xml")

    first = load_file(clean_warehouse, original)
    assert (first.status, first.statements, first.rows) == ("loaded", 1, 2)

    second = load_file(clean_warehouse, resent)
    assert (second.status, second.statements_duplicate, second.rows) == ("duplicate", 1, 0)

    third = load_file(clean_warehouse, corrected)
    assert (third.status, third.statements_replacing, third.rows) == ("loaded", 1, 2)

    with warehouse.connect(clean_warehouse) as conn:
        statements = conn.execute(
            """select file_sha256, closing_balance, is_current, superseded_by_sha256
                 from raw_bank.statements order by is_current"""
        ).fetchall()
        lines = conn.execute(
            "select file_sha256, sum(amount) from raw_bank.statement_lines group by 1 order by 2"
        ).fetchall()
        events = conn.execute(
            "select event, file_sha256, earlier_file_sha256 from audit.statement_events order by event_id"
        ).fetchall()
        batches = conn.execute(
            "select rows_loaded, control_total_source, control_total_target from audit.load_batches order by batch_id"
        ).fetchall()

    assert statements == [
        (first.file_sha256, Decimal("80.00000"), False, third.file_sha256),
        (third.file_sha256, Decimal("75.00000"), True, None),
    ]
    # The replaced statement's lines stay as evidence; the duplicate's lines were never kept.
    assert lines == [(third.file_sha256, Decimal("-25.00000")), (first.file_sha256, Decimal("-20.00000"))]
    assert events == [
        ("duplicate", second.file_sha256, first.file_sha256),
        ("replaced", third.file_sha256, first.file_sha256),
    ]
    # Control totals tie in every batch: the duplicate batch read and loaded nothing.
    assert batches == [
        (2, Decimal("-20.00000"), Decimal("-20.00000")),
        (0, Decimal("0"), Decimal("0")),
        (2, Decimal("-25.00000"), Decimal("-25.00000")),
    ]


def test_a_mapped_csv_export_loads_through_the_loader(clean_warehouse: str, tmp_path: Path) -> None:
    import shutil

    source = Path(__file__).resolve().parents[1] / "fixtures" / "bank" / "csv_us_debit_credit.csv"
    path = tmp_path / source.name
    shutil.copy(source, path)
    result = load_file(clean_warehouse, path, csv_mapping="us_commercial_debit_credit")
    assert result.status == "loaded", result.reason
    with warehouse.connect(clean_warehouse) as conn:
        stored = conn.execute(
            "select count(*), sum(amount) from raw_bank.statement_lines where file_sha256 = %s",
            (result.file_sha256,),
        ).fetchone()
    # What the parser read is what the warehouse holds, line for line and to the cent.
    assert stored == (result.rows, result.credit_total + result.debit_total)
    assert result.file_format == "csv" and result.rows > 0


BROKEN_MT940 = (
    ":20:STMT-BAD\r\n"
    ":25:DE89370400440532013000\r\n"
    ":28C:00001/001\r\n"
    ":60F:C240102EUR100,00\r\n"
    ":61:2401020102CRxx,00NTRFNONREF\r\n"  # line 5: the amount is not a number
    ":62F:C240102EUR100,00\r\n"
    "-\r\n"
)


def test_a_broken_file_is_quarantined_with_its_reason_and_the_rest_loads(
    clean_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion.bank.loader import load_files

    landing = tmp_path / "landing"
    monkeypatch.setenv("AR_LANDING_DIR", str(landing))
    day = landing / "bank" / "2024-01-02"
    day.mkdir(parents=True)
    (day / "broken.sta").write_bytes(BROKEN_MT940.encode())
    _variant(day, "good.xml")

    results = {r.path.name: r for r in load_files(clean_warehouse, [landing / "bank"])}
    assert results["good.xml"].status == "loaded"
    assert results["broken.sta"].status == "rejected"
    assert "line 5" in (results["broken.sta"].reason or "")

    quarantined = landing / "quarantine" / "bank" / "broken.sta"
    assert quarantined.exists() and not (day / "broken.sta").exists()
    assert "line 5" in (quarantined.parent / "broken.sta.reason.txt").read_text()
    with warehouse.connect(clean_warehouse) as conn:
        reject = conn.execute("select file_name, line_number, reason from audit.rejects").fetchone()
        registry = conn.execute("select file_name, status from audit.files order by file_name").fetchall()
    assert reject is not None and reject[:2] == ("broken.sta", 5)
    assert registry == [("broken.sta", "rejected"), ("good.xml", "loaded")]

    # The bank resends the file corrected (amount 25,00; closing 125,00): it loads, and the registry says so.
    fixed = BROKEN_MT940.replace("CRxx,00", "CR25,00").replace(
        ":62F:C240102EUR100,00", ":62F:C240102EUR125,00"
    )
    (day / "broken.sta").write_bytes(fixed.encode())
    again = {r.path.name: r for r in load_files(clean_warehouse, [landing / "bank"])}
    assert again["broken.sta"].status == "loaded" and again["broken.sta"].rows == 1
    assert again["good.xml"].status == "duplicate"


def test_a_reload_reads_files_again_and_leaves_corrected_statements_alone(
    clean_warehouse: str, tmp_path: Path
) -> None:
    """ar_daily's `reload_source: bank`: every file loaded before is parsed again and its rows replaced (after a
    parser fix, say); a file whose statement a later correction replaced is not, and the correction stands."""
    from ingestion.bank.loader import load_files

    folder = tmp_path / "bank"
    folder.mkdir()
    original = _variant(folder, "a_day.xml")
    _variant(folder, "b_day_resent.xml", ("<MsgId>TEST-MSG-2</MsgId>", "<MsgId>TEST-MSG-2-RESENT</MsgId>"))
    corrected = _correction(folder, "c_day_corrected.xml")
    # A fourth file, another account's statement: loaded and current, so a re-load replaces its rows.
    other = _variant(
        folder, "d_other_account.xml", ("<MsgId>TEST-MSG-2</MsgId>", "<MsgId>TEST-MSG-4</MsgId>")
    )
    text = other.read_text()
    iban = text.split("<IBAN>")[1].split("</IBAN>")[0]
    other.write_text(text.replace(f"<IBAN>{iban}</IBAN>", "<IBAN>GB33BUKB20201555555555</IBAN>"))

    first = [(r.path.name, r.status) for r in load_files(clean_warehouse, [folder])]
    assert first == [
        ("a_day.xml", "loaded"), ("b_day_resent.xml", "duplicate"), ("c_day_corrected.xml", "loaded"),
        ("d_other_account.xml", "loaded"),
    ]  # fmt: skip

    def state() -> list[tuple[object, ...]]:
        with warehouse.connect(clean_warehouse) as conn:
            return conn.execute(
                """select s.file_sha256 = %s, s.file_sha256 = %s, s.account_key, s.closing_balance, s.is_current,
                          s.superseded_by_sha256 = %s, count(l.*), sum(l.amount)
                     from raw_bank.statements s
                     left join raw_bank.statement_lines l using (file_sha256, statement_index)
                    group by 1, 2, 3, 4, 5, 6 order by 3, 5, 4""",
                (
                    warehouse.sha256_of(original),
                    warehouse.sha256_of(corrected),
                    warehouse.sha256_of(corrected),
                ),
            ).fetchall()

    before = state()
    # A broken parse of the other account's file, as an older parser might have left it: no counterparty names.
    with warehouse.connect(clean_warehouse) as conn:
        conn.execute(
            "update raw_bank.statement_lines set counterparty_name = null where file_sha256 = %s",
            (warehouse.sha256_of(other),),
        )
        conn.commit()

    again = {r.path.name: (r.status, r.reason) for r in load_files(clean_warehouse, [folder], reload=True)}
    # The first file's statement was replaced by the correction: left alone, and the reason says which file to
    # re-load. The re-sent copy was a second delivery of the first file's statement: left alone too (read again,
    # its 80.00 would pass for a correction of the 75.00 one). The correction and the other account's file are
    # read again.
    assert again["a_day.xml"][0] == "duplicate"
    assert again["a_day.xml"][1].startswith("not re-loaded: a statement in it was replaced by file ")
    assert again["b_day_resent.xml"][0] == "duplicate"
    assert again["b_day_resent.xml"][1].startswith("not re-loaded: a statement in it was a second delivery")
    assert again["c_day_corrected.xml"] == ("loaded", None)
    assert again["d_other_account.xml"] == ("loaded", None)
    # The statements stand as they did: the correction current (75.00), the first file's statement replaced by it
    # (80.00), the other account's current; every line back, the counterparty names (Fuel Co, Toll Ltd) restored.
    assert state() == before
    with warehouse.connect(clean_warehouse) as conn:
        names = conn.execute(
            "select counterparty_name from raw_bank.statement_lines where file_sha256 = %s order by line_index",
            (warehouse.sha256_of(other),),
        ).fetchall()
    assert names == [("Fuel Co",), ("Toll Ltd",)]
