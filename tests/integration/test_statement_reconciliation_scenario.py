"""Two customers' statements against a hand-made ledger: one case of each status, to the cent.

Statement date S = 2026-03-31; the marts are built as of 2026-04-05 with every document loaded, so documents
dated after S (PAY-12) are in the warehouse but not in the ledger as of S. Every expected figure below is worked
out by hand from the documents.

Ledger (EUR, canonical ERP extracts)

| doc    | customer | date       | amount   | note                                                        |
|--------|----------|------------|----------|-------------------------------------------------------------|
| I-101  | C-ONE    | 2026-03-01 | 1,000.00 | CN-11 50.00 allocated 03-20: open 950.00 on S               |
| I-102  | C-ONE    | 2026-03-05 |   500.00 | PAY-11 (ref E2E-11, 03-15) applied 200.00: open 300.00      |
| I-103  | C-ONE    | 2026-03-08 |   300.00 | disputed                                                    |
| I-104  | C-ONE    | 2026-03-10 |   250.00 | the customer's statement leaves it out                       |
| I-106  | C-ONE    | 2026-03-12 |   800.00 | the customer says 780.00                                     |
| PAY-12 | C-ONE    | 2026-04-02 |   400.00 | ref E2E-12: the customer paid 03-30, our ledger has it 04-02 |
| I-201  | C-TWO    | 2026-03-02 |   700.00 | open                                                         |
| I-202  | C-TWO    | 2026-03-03 |   400.00 | settled by PAY-22 (ref E2E-22) 03-15: on neither side        |
| PAY-21 | C-TWO    | 2026-03-25 |   150.00 | ref E2E-21, not applied: unapplied cash on S                 |
| CN-21  | C-TWO    | 2026-03-10 |    60.00 | on account (no invoice)                                      |

C-ONE's statement (CSV, the template): I-101 1,000.00; CN-11 -50.00; I-102 500.00; E2E-11 -200.00;
I-103 250.00; I-105 120.00 (an invoice we never issued); E2E-12 -400.00; I-106 780.00.
C-TWO's statement (XLSX, the customer's own German layout, read through a mapping): I-201 700,00; E2E-21 -150,00;
CN-21 -60,00.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from expectations import CheckRunSummary, run_mart_checks
from ingestion import transform, warehouse
from ingestion.erp.files import load_extract_dir
from ingestion.statements.loader import load_files
from tests.helpers.erp_extracts import write_extract

pytestmark = pytest.mark.integration

S = date(2026, 3, 31)
AS_OF = date(2026, 4, 5)


def D(text: str) -> Decimal:
    return Decimal(text)


EXTRACTS: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {
    "customers": (
        ("customer_id", "customer_name", "currency_code", "payment_terms_days"),
        [("C-ONE", "One AG", "EUR", "30"), ("C-TWO", "Two GmbH", "EUR", "30")],
    ),
    "invoices": (
        ("invoice_id", "customer_id", "invoice_date", "due_date", "currency_code", "amount", "is_disputed"),
        [
            ("I-101", "C-ONE", "2026-03-01", "2026-03-31", "EUR", "1000.00", "false"),
            ("I-102", "C-ONE", "2026-03-05", "2026-04-04", "EUR", "500.00", "false"),
            ("I-103", "C-ONE", "2026-03-08", "2026-04-07", "EUR", "300.00", "true"),
            ("I-104", "C-ONE", "2026-03-10", "2026-04-09", "EUR", "250.00", "false"),
            ("I-106", "C-ONE", "2026-03-12", "2026-04-11", "EUR", "800.00", "false"),
            ("I-201", "C-TWO", "2026-03-02", "2026-04-01", "EUR", "700.00", "false"),
            ("I-202", "C-TWO", "2026-03-03", "2026-04-02", "EUR", "400.00", "false"),
        ],
    ),
    "credit_notes": (
        ("credit_note_id", "invoice_id", "customer_id", "credit_note_date", "amount"),
        [("CN-11", "I-101", "C-ONE", "2026-03-20", "50.00"), ("CN-21", "", "C-TWO", "2026-03-10", "60.00")],
    ),
    "payments": (
        ("payment_id", "customer_id", "payment_date", "currency_code", "amount", "reference"),
        [
            ("PAY-11", "C-ONE", "2026-03-15", "EUR", "200.00", "E2E-11"),
            ("PAY-12", "C-ONE", "2026-04-02", "EUR", "400.00", "E2E-12"),
            ("PAY-21", "C-TWO", "2026-03-25", "EUR", "150.00", "E2E-21"),
            ("PAY-22", "C-TWO", "2026-03-15", "EUR", "400.00", "E2E-22"),
        ],
    ),
    "payment_applications": (
        ("payment_id", "invoice_id", "applied_amount", "applied_date"),
        [
            ("PAY-11", "I-102", "200.00", "2026-03-15"),
            ("PAY-12", "I-101", "400.00", "2026-04-02"),
            ("PAY-22", "I-202", "400.00", "2026-03-15"),
        ],
    ),
}

C_ONE_STATEMENT = """customer_id,statement_date,document_ref,document_type,document_date,amount,currency_code
C-ONE,2026-03-31,I-101,invoice,2026-03-01,1000.00,EUR
C-ONE,2026-03-31,CN-11,credit_note,2026-03-20,-50.00,EUR
C-ONE,2026-03-31,I-102,invoice,2026-03-05,500.00,EUR
C-ONE,2026-03-31,E2E-11,payment,2026-03-15,-200.00,EUR
C-ONE,2026-03-31,I-103,invoice,2026-03-08,250.00,EUR
C-ONE,2026-03-31,I-105,invoice,2026-03-28,120.00,EUR
C-ONE,2026-03-31,E2E-12,payment,2026-03-30,-400.00,EUR
C-ONE,2026-03-31,I-106,invoice,2026-03-12,780.00,EUR
"""

C_TWO_MAPPING = """name: two_gmbh
description: Two GmbH sends its Kontoauszug as XLSX with German headers and comma decimals.
customer_id: C-TWO
currency: EUR
columns:
  statement_date: Stichtag
  document_ref: Belegnummer
  document_type: Belegart
  document_date: Belegdatum
  amount: Betrag
document_types: {RE: invoice, GS: credit_note, ZA: payment}
date_format: DD.MM.YYYY
decimal_separator: ","
"""

# (document_key, status, ledger_amount, statement_amount, difference_amount), by customer then key.
EXPECTED_ITEMS = {
    "C-ONE": [
        ("CN-11", "MATCHED", D("-50.00"), D("-50.00"), D("0.00")),
        # PAY-11's 200.00 applied to I-102 (open on S), keyed by its reference.
        ("E2E-11", "MATCHED", D("-200.00"), D("-200.00"), D("0.00")),
        # Paid 03-30 by the customer, dated 04-02 in our ledger: 2 days after S, inside the 31-day window.
        ("E2E-12", "TIMING_DIFFERENCE", None, D("-400.00"), D("-400.00")),
        # 1,000.00 at its full amount (the credit note is its own line).
        ("I-101", "MATCHED", D("1000.00"), D("1000.00"), D("0.00")),
        ("I-102", "MATCHED", D("500.00"), D("500.00"), D("0.00")),
        # Disputed: 250.00 - 300.00 = -50.00, explained by the dispute.
        ("I-103", "DISPUTED", D("300.00"), D("250.00"), D("-50.00")),
        ("I-104", "MISSING_IN_STATEMENT", D("250.00"), None, D("-250.00")),
        ("I-105", "MISSING_IN_LEDGER", None, D("120.00"), D("120.00")),
        # 780.00 - 800.00.
        ("I-106", "AMOUNT_MISMATCH", D("800.00"), D("780.00"), D("-20.00")),
    ],
    "C-TWO": [
        ("CN-21", "MATCHED", D("-60.00"), D("-60.00"), D("0.00")),
        # 150.00 received 03-25, nothing applied by S: all of it unapplied.
        ("E2E-21", "MATCHED", D("-150.00"), D("-150.00"), D("0.00")),
        ("I-201", "MATCHED", D("700.00"), D("700.00"), D("0.00")),
    ],
}

# (customer, ledger balance, statement balance, difference, timing, disputed, unexplained, reconciled, counts
# matched / mismatch / missing in ledger / missing in statement / timing / disputed)
EXPECTED_BALANCES = [
    # Ledger: open 950.00 (I-101) + 300.00 (I-102) + 300.00 + 250.00 + 800.00 = 2,600.00, no unapplied cash
    # (PAY-11 fully applied). Statement: 1,000 - 50 + 500 - 200 + 250 + 120 - 400 + 780 = 2,000.00.
    # Difference 2,000.00 - 2,600.00 = -600.00 = -400.00 timing - 50.00 disputed - 150.00 unexplained
    # (-250.00 I-104 + 120.00 I-105 - 20.00 I-106).
    ("C-ONE", D("2600.00"), D("2000.00"), D("-600.00"), D("-400.00"), D("-50.00"), D("-150.00"), False,
     4, 1, 1, 1, 1, 1),
    # Ledger: 700.00 open - 150.00 unapplied cash - 60.00 unallocated credit = 490.00; the statement agrees.
    ("C-TWO", D("490.00"), D("490.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), True, 3, 0, 0, 0, 0, 0),
]  # fmt: skip


def _write_c_two_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Stichtag", "Belegnummer", "Belegart", "Belegdatum", "Betrag"])
    # Text cells as a German export writes them, and one real Excel date and number, as customers mix them.
    sheet.append(["31.03.2026", "I-201", "RE", "02.03.2026", "700,00"])
    sheet.append([date(2026, 3, 31), "E2E-21", "ZA", date(2026, 3, 25), -150.0])
    sheet.append(["31.03.2026", "CN-21", "GS", "10.03.2026", "-60,00"])
    workbook.save(path)


def _items(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with warehouse.connect(url) as conn:
        rows = conn.execute(
            """select customer_id, document_key, status, ledger_amount, statement_amount, difference_amount
                 from marts.fct_statement_reconciliation
                order by customer_id, document_key"""
        ).fetchall()
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for customer_id, *rest in rows:
        grouped.setdefault(customer_id, []).append(tuple(rest))
    return grouped


def _load(url: str, root: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The scenario's ERP extracts and both customers' statements, loaded."""
    for entity_name, (columns, rows) in EXTRACTS.items():
        write_extract(root / "erp" / AS_OF.isoformat(), entity_name, columns, rows)
    assert all(r.status == "loaded" for r in load_extract_dir(url, root / "erp"))
    mappings = root / "mappings"
    mappings.mkdir()
    (mappings / "two_gmbh.yml").write_text(C_TWO_MAPPING, encoding="utf-8")
    monkeypatch.setenv("AR_STATEMENT_MAPPINGS_DIR", str(mappings))
    statements = root / "statements"
    statements.mkdir()
    (statements / "c_one_2026-03-31.csv").write_text(C_ONE_STATEMENT, encoding="utf-8")
    _write_c_two_xlsx(statements / "two_gmbh_kontoauszug.xlsx")
    loaded = load_files(url, [statements])
    return [(r.path.name, r.status, r.file_format, r.mapping, r.statements, r.rows) for r in loaded]


@pytest.fixture(scope="module")
def _built() -> dict[str, Any]:
    return {}


@pytest.fixture
def built(
    clean_warehouse: str,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    _built: dict[str, Any],
) -> dict[str, Any]:
    if _built:
        return _built
    url = clean_warehouse
    root = tmp_path_factory.mktemp("statement_scenario")
    _built["load"] = _load(url, root, monkeypatch)
    transform.run_dbt(
        [
            "build",
            "--select",
            "+rpt_statement_balance_reconciliation",
            "+fct_bank_reconciliation",
            "+rpt_ar_rollforward",
            "--indirect-selection",
            "cautious",
        ],  # fmt: skip
        as_of=AS_OF,
        url=url,
    )
    _built["items"] = _items(url)
    _built["root"] = root
    _built["checks"] = run_mart_checks(
        AS_OF, run_id="scenario", warehouse_url=url, project_root_dir=root / "gx"
    )
    # The report reads what the run left (check results, file registry): written here, before a later test's
    # clean_warehouse empties the audit tables.
    from ingestion.report import write_report

    _built["report"] = write_report(AS_OF, root / "report", url)
    with warehouse.connect(url) as conn:
        _built["balances"] = conn.execute(
            """select customer_id, ledger_balance_amount, statement_balance_amount, difference_amount,
                      timing_difference_amount, disputed_difference_amount, unexplained_difference_amount,
                      is_reconciled, matched_count, amount_mismatch_count, missing_in_ledger_count,
                      missing_in_statement_count, timing_difference_count, disputed_count
                 from marts.rpt_statement_balance_reconciliation
                where statement_date = %s
                order by customer_id""",
            (S,),
        ).fetchall()
        _built["evidence"] = conn.execute(
            """select statement_line_numbers, statement_file_sha256 = (
                          select file_sha256 from audit.files where file_name = 'c_one_2026-03-31.csv')
                 from marts.fct_statement_reconciliation
                where customer_id = 'C-ONE' and document_key = 'I-106'"""
        ).fetchone()
    return _built


def test_both_files_load_with_their_layouts(built: dict[str, Any]) -> None:
    # 8 lines of C-ONE in the template; 3 rows of C-TWO's workbook read through its mapping (chosen by header).
    assert sorted(built["load"]) == [
        ("c_one_2026-03-31.csv", "loaded", "csv", "template", 1, 8),
        ("two_gmbh_kontoauszug.xlsx", "loaded", "xlsx", "two_gmbh", 1, 3),
    ]


def test_every_status_with_its_amounts(built: dict[str, Any]) -> None:
    assert built["items"] == EXPECTED_ITEMS


def test_statement_balances_split_into_timing_disputes_and_unexplained(built: dict[str, Any]) -> None:
    assert built["balances"] == EXPECTED_BALANCES


def test_a_mismatch_points_at_its_statement_line_and_file(built: dict[str, Any]) -> None:
    # I-106 is the 8th data line of the CSV; the header is line 1, so it is line 9.
    assert built["evidence"] == ("9", True)


def test_the_mart_checks_list_the_unexplained_items(built: dict[str, Any]) -> None:
    summary: CheckRunSummary = built["checks"]
    (statement_check,) = [r for r in summary.results if "statement_differences_unexplained" in r.check_name]
    # The three unexplained items of C-ONE: 250.00 (I-104) + 120.00 (I-105) + 20.00 (I-106) = 390.00 at stake.
    assert not statement_check.success and statement_check.unexpected_count == 3
    assert statement_check.unexpected_amount == D("390.00")
    assert [(k["document_key"], k["status"]) for k in statement_check.offending_keys] == [
        ("I-104", "MISSING_IN_STATEMENT"),
        ("I-105", "MISSING_IN_LEDGER"),
        ("I-106", "AMOUNT_MISMATCH"),
    ]
    # No bank statements in this scenario, and the roll-forward ties: every other check passes.
    assert all(r.success for r in summary.results if r is not statement_check)
    assert summary.checks_run == 5


def test_the_auditors_report_renders_its_figures_in_a_browser(built: dict[str, Any]) -> None:
    import csv

    from openpyxl import load_workbook

    from tests.helpers.browser import render

    root: Path = built["root"]
    files = built["report"]
    screenshot = root / "report" / "report.png"
    dom = render(files.html, screenshot, root / "chromium-profile")
    # The screenshot is a real PNG of the page (magic bytes), not an empty file.
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000
    # The key figures as the browser rendered them: 1 of 2 statements reconciled (C-TWO); 3 unexplained items
    # worth 250.00 + 120.00 + 20.00 = 390.00; no bank data; the statement check failed, the other four passed.
    assert '<td class="num" data-figure="0">1 of 2</td>' in dom
    assert '<td class="num" data-figure="1">3</td>' in dom
    assert '<td class="num" data-figure="2">390.00</td>' in dom
    assert '<td class="num" data-figure="6">4 / 1</td>' in dom
    # Each mismatch with both sides' evidence: I-106, ledger 800.00, customer 780.00, line 9 of the CSV.
    assert "<td>I-106</td>" in dom and "c_one_2026-03-31.csv line 9" in dom
    assert dom.count("<svg") == 3
    # The same three mismatches in the CSV and the workbook, amounts exact.
    with files.csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["reference"], r["status"], r["difference_amount"]) for r in rows] == [
        ("I-104", "MISSING_IN_STATEMENT", "-250.00"),
        ("I-105", "MISSING_IN_LEDGER", "120.00"),
        ("I-106", "AMOUNT_MISMATCH", "-20.00"),
    ]
    sheet = load_workbook(files.xlsx)["mismatches"]
    assert [(r[4].value, r[7].value) for r in sheet.iter_rows(min_row=2)] == [
        ("I-104", D("-250.00")), ("I-105", D("120.00")), ("I-106", D("-20.00")),
    ]  # fmt: skip


ROWS = """select customer_id, statement_date, document_key, status, ledger_amount, statement_amount, difference_amount,
                 later_ledger_date, xmin::text
            from marts.fct_statement_reconciliation order by customer_id, statement_date, document_key"""
STATEMENT_MART = ["build", "--select", "+fct_statement_reconciliation", "--exclude-resource-type", "unit_test",
                  "--indirect-selection", "cautious"]  # fmt: skip


def test_a_run_rebuilds_the_customers_whose_ledger_changed(
    clean_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decision 009: an incremental run rebuilds the customers loaded since the table's reconciled_through_batch,
    and its rows are those of a full rebuild.

    After the first build, the ERP re-dates PAY-12 (and its application to I-101) to 03-30, the day C-ONE says it
    paid. As of S the ledger then has E2E-12: -400.00 against the statement's -400.00, MATCHED (it was a
    TIMING_DIFFERENCE, the ledger's 04-02 within the 31-day window). C-ONE's rows are written again; C-TWO's are
    left as they were (same row versions). A run for 03-30, before the statements' date, rebuilds everything and
    holds no statement; the next run for AS_OF builds both statements again, as they came into scope.
    """
    url = clean_warehouse
    _load(url, tmp_path, monkeypatch)
    transform.run_dbt(STATEMENT_MART, as_of=AS_OF, url=url)
    with warehouse.connect(url) as conn:
        first = conn.execute(ROWS).fetchall()
    e2e_12 = [r[:8] for r in first if r[2] == "E2E-12"]
    assert e2e_12 == [
        ("C-ONE", S, "E2E-12", "TIMING_DIFFERENCE", None, D("-400.00"), D("-400.00"), date(2026, 4, 2))
    ]

    write_extract(tmp_path / "erp" / "2026-04-06", "payments", EXTRACTS["payments"][0],
                  [("PAY-12", "C-ONE", "2026-03-30", "EUR", "400.00", "E2E-12")])  # fmt: skip
    write_extract(tmp_path / "erp" / "2026-04-06", "payment_applications", EXTRACTS["payment_applications"][0],
                  [("PAY-12", "I-101", "400.00", "2026-03-30")])  # fmt: skip
    assert not [r for r in load_extract_dir(url, tmp_path / "erp") if r.status == "rejected"]
    transform.run_dbt(STATEMENT_MART, as_of=AS_OF, url=url)
    with warehouse.connect(url) as conn:
        second = conn.execute(ROWS).fetchall()
    assert [r[:8] for r in second if r[2] == "E2E-12"] == [
        ("C-ONE", S, "E2E-12", "MATCHED", D("-400.00"), D("-400.00"), D("0.00"), None)
    ]
    assert [r for r in second if r[0] == "C-TWO"] == [r for r in first if r[0] == "C-TWO"]  # same versions
    assert not {r[8] for r in second if r[0] == "C-ONE"} & {r[8] for r in first if r[0] == "C-ONE"}

    transform.run_dbt(
        ["run", "--select", "fct_statement_reconciliation", "--full-refresh"], as_of=AS_OF, url=url
    )
    with warehouse.connect(url) as conn:
        rebuilt = conn.execute(ROWS).fetchall()
    assert [r[:8] for r in rebuilt] == [r[:8] for r in second]

    transform.run_dbt(["run", "--select", "fct_statement_reconciliation"], as_of=date(2026, 3, 30), url=url)
    with warehouse.connect(url) as conn:
        assert conn.execute("select count(*) from marts.fct_statement_reconciliation").fetchone() == (0,)
    transform.run_dbt(["run", "--select", "fct_statement_reconciliation"], as_of=AS_OF, url=url)
    with warehouse.connect(url) as conn:
        again = conn.execute(ROWS).fetchall()
    assert [r[:8] for r in again] == [r[:8] for r in second]
