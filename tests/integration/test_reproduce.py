"""`arwh reproduce --run`: a past run's reconciliation, rebuilt from the inputs recorded for it, equals what it stored.

Run r1 (2026-03-10) reconciles customer Alpha GmbH (C-A, EUR):

| ERP (folder 2026-03-10)                         | outside world                                              |
|-------------------------------------------------|------------------------------------------------------------|
| INV-1 1,000.00 (03-01); P1 100.00 on it (03-05) | bank 03-05 100,00 end-to-end E2E-1; 03-09 70,00 E2E-X      |
| INV-2 400.00 (03-02)                            | the customer's statement of 03-10: INV-1 1,000.00, payment E2E-1 -100.00, INV-2 450.00 |

So r1 stores: statement INV-1 and the payment MATCHED, INV-2 AMOUNT_MISMATCH (400.00 ledger, 450.00 statement);
bank P1 MATCHED by reference, the 70.00 credit UNAPPLIED_CASH.

Then the ERP corrects itself (folder 2026-03-11): INV-2 is 450.00 after all (a merge rewrites the raw row), and
P2 70.00 (E2E-X, dated 03-09) is booked late, not yet applied. Rebuilt for 2026-03-10 on today's data, INV-2 is
MATCHED and the 70.00 is matched with P2: the marts no longer say what r1 said. Reproducing r1 rebuilds its inputs as they were
(the raw ERP row's earlier version from raw_erp_history, only the batches loaded before r1's snapshot) and must
give r1's rows exactly.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ingestion import pipeline, transform, warehouse
from ingestion.bank.loader import load_file
from ingestion.erp.files import load_extract_dir
from ingestion.reproduce import ReproduceError, reproduce
from ingestion.statements.loader import load_files
from tests.helpers.erp_extracts import write_extract

pytestmark = pytest.mark.integration

AS_OF = date(2026, 3, 10)
LATER = date(2026, 3, 11)
ACCOUNT = "DE89370400440532013000"
HEADER = (
    "Auftragskonto;Buchungstag;Valutadatum;Buchungstext;Verwendungszweck;Gläubiger-ID;Mandatsreferenz;"
    "Kundenreferenz (End-to-End);Begünstigter/Zahlungspflichtiger;Kontonummer/IBAN;BIC;Betrag;Währung;Info\n"
)
STATEMENT = """customer_id,statement_date,document_ref,document_type,document_date,amount,currency_code
C-A,2026-03-10,INV-1,invoice,2026-03-01,1000.00,EUR
C-A,2026-03-10,E2E-1,payment,2026-03-05,-100.00,EUR
C-A,2026-03-10,INV-2,invoice,2026-03-02,450.00,EUR
"""
INVOICE_COLUMNS = ("invoice_id", "customer_id", "invoice_date", "due_date", "currency_code", "amount")
PAYMENT_COLUMNS = ("payment_id", "customer_id", "payment_date", "currency_code", "amount", "reference")
APPLICATION_COLUMNS = ("payment_id", "invoice_id", "applied_amount", "applied_date")
MARTS_FOR_THE_DATE = ["build", "--select", "+fct_statement_reconciliation", "+fct_bank_reconciliation",
                      "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious"]  # fmt: skip


def D(text: str) -> Decimal:
    return Decimal(text)


def _bank_line(day: str, e2e: str, name: str, amount: str) -> str:
    return f"{ACCOUNT};{day};{day};Gutschrift;Zahlung;;;{e2e};{name};;;{amount};EUR;\n"


def _reconciliation(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with warehouse.connect(url) as conn:
        statement = conn.execute(
            """select document_ref, ledger_amount, statement_amount, status
                 from marts.fct_statement_reconciliation order by document_ref"""
        ).fetchall()
        bank = conn.execute(
            """select payment_id, bank_amount, status, match_rule
                 from marts.fct_bank_reconciliation order by bank_amount"""
        ).fetchall()
    return statement, bank


def test_a_past_run_is_rebuilt_from_its_inputs_after_the_data_changed(
    clean_warehouse: str, tmp_path: Path
) -> None:
    url = clean_warehouse
    first = tmp_path / "erp" / AS_OF.isoformat()
    write_extract(
        first, "customers", ("customer_id", "customer_name", "currency_code"), [("C-A", "Alpha GmbH", "EUR")]
    )
    write_extract(first, "invoices", INVOICE_COLUMNS, [
        ("INV-1", "C-A", "2026-03-01", "2026-03-31", "EUR", "1000.00"),
        ("INV-2", "C-A", "2026-03-02", "2026-04-01", "EUR", "400.00"),
    ])  # fmt: skip
    write_extract(first, "payments", PAYMENT_COLUMNS, [("P1", "C-A", "2026-03-05", "EUR", "100.00", "E2E-1")])
    write_extract(
        first, "payment_applications", APPLICATION_COLUMNS, [("P1", "INV-1", "100.00", "2026-03-05")]
    )
    assert all(r.status == "loaded" for r in load_extract_dir(url, tmp_path / "erp", through=AS_OF))
    bank = tmp_path / "giro.csv"
    bank.write_bytes(
        (
            HEADER
            + _bank_line("05.03.2026", "E2E-1", "Alpha GmbH", "100,00")
            + _bank_line("09.03.2026", "E2E-X", "Alpha GmbH", "70,00")
        ).encode("cp1252")
    )
    assert load_file(url, bank, csv_mapping="de_giro_semicolon").status == "loaded"
    statements = tmp_path / "statements"
    statements.mkdir()
    (statements / "c_a_2026-03-10.csv").write_text(STATEMENT, encoding="utf-8")
    assert [r.status for r in load_files(url, [statements])] == ["loaded"]

    # Run r1: its build for the date and the snapshot it keeps.
    pipeline.start_run("r1", AS_OF, url)
    transform.run_dbt(MARTS_FOR_THE_DATE, as_of=AS_OF, url=url)
    said = _reconciliation(url)
    assert said == (
        # Document by document: INV-1 and P1 (E2E-1, a payment: negative) as the customer has them; INV-2 400.00
        # against the customer's 450.00.
        [
            ("E2E-1", D("-100.00"), D("-100.00"), "MATCHED"),
            ("INV-1", D("1000.00"), D("1000.00"), "MATCHED"),
            ("INV-2", D("400.00"), D("450.00"), "AMOUNT_MISMATCH"),
        ],
        [(None, D("70.00"), "UNAPPLIED_CASH", None), ("P1", D("100.00"), "MATCHED", "reference")],
    )
    snapshot = pipeline.record_reconciliation("r1", AS_OF, url)
    pipeline.finish_run("r1", "success", url=url)

    # The ERP corrects INV-2 and books P2 late; the date rebuilt on today's data says something else.
    later = tmp_path / "erp" / LATER.isoformat()
    write_extract(
        later, "invoices", INVOICE_COLUMNS, [("INV-2", "C-A", "2026-03-02", "2026-04-01", "EUR", "450.00")]
    )
    write_extract(later, "payments", PAYMENT_COLUMNS, [("P2", "C-A", "2026-03-09", "EUR", "70.00", "E2E-X")])
    # (the first folder's files are known already and skipped)
    assert not [r for r in load_extract_dir(url, tmp_path / "erp") if r.status == "rejected"]
    transform.run_dbt(MARTS_FOR_THE_DATE, as_of=AS_OF, url=url)
    now = _reconciliation(url)
    assert ("INV-2", D("450.00"), D("450.00"), "MATCHED") in now[0]
    assert now[1] == [("P2", D("70.00"), "MATCHED", "reference"), ("P1", D("100.00"), "MATCHED", "reference")]
    with warehouse.connect(url) as conn:
        kept = conn.execute(
            """select invoice_id, amount, _replaced_by_batch_id > _batch_id from raw_erp_history.invoices"""
        ).fetchall()
    assert kept == [("INV-2", D("400.00"), True)]  # the version r1 read

    result = reproduce("r1", url=url)
    assert result.snapshot_id == snapshot["snapshot_id"] and result.business_date == AS_OF
    # Three statement items and two bank rows stored, the same rebuilt, and no row on one side only.
    assert [(c.mart, c.stored_rows, c.rebuilt_rows, c.only_stored_count, c.only_rebuilt_count)
            for c in result.comparisons] == [
        ("fct_statement_reconciliation", 3, 3, 0, 0),
        ("fct_bank_reconciliation", 2, 2, 0, 0),
    ]  # fmt: skip
    assert result.equal
    with warehouse.connect(url) as conn:
        left = conn.execute("select nspname from pg_namespace where nspname like 'reproduce%'").fetchall()
    assert left == []  # the scratch schemas are dropped


def test_a_run_that_stored_no_reconciliation_cannot_be_reproduced(clean_warehouse: str) -> None:
    pipeline.start_run("r-empty", AS_OF, clean_warehouse)
    with pytest.raises(
        ReproduceError, match="run 'r-empty' is in audit.pipeline_runs but recorded no reconciliation"
    ):
        reproduce("r-empty", url=clean_warehouse)
    with pytest.raises(ReproduceError, match="run 'nobody' is not in audit.pipeline_runs"):
        reproduce("nobody", url=clean_warehouse)


def test_a_run_is_rebuilt_from_the_settled_matches_it_started_from(
    clean_warehouse: str, tmp_path: Path
) -> None:
    """The bank reconciliation keeps settled matches (decision 009), so reproducing a run starts from those of the
    snapshot before it.

    C-A's P1 (03-05, 100.00, no reference) and the bank's 100,00 from Alpha GmbH of 03-05 pair by amount and
    counterparty (rule 3). Run r1 for 04-20 settles the pair (03-05 is before 04-20 - 31 days = 03-20). The ERP then
    books P2 late (C-A, 03-06, 100.00, no reference): run r2 for 04-21 keeps the pair, and P2 is NOT_BANKED. On r2's
    inputs alone the credit has two candidates and pairs with neither; started from r1's settled pair, the rebuild
    gives r2's rows: P1 MATCHED, P2 NOT_BANKED.
    """
    url = clean_warehouse
    erp = tmp_path / "erp"
    write_extract(
        erp / "2026-04-20", "customers", ("customer_id", "customer_name", "currency_code"),
        [("C-A", "Alpha GmbH", "EUR")],
    )  # fmt: skip
    write_extract(
        erp / "2026-04-20", "payments", PAYMENT_COLUMNS, [("P1", "C-A", "2026-03-05", "EUR", "100.00", "")]
    )
    assert all(r.status == "loaded" for r in load_extract_dir(url, erp))
    bank = tmp_path / "giro.csv"
    bank.write_bytes((HEADER + _bank_line("05.03.2026", "", "Alpha GmbH", "100,00")).encode("cp1252"))
    assert load_file(url, bank, csv_mapping="de_giro_semicolon").status == "loaded"

    def run(run_id: str, day: date) -> list[tuple[Any, ...]]:
        pipeline.start_run(run_id, day, url)
        transform.run_dbt(MARTS_FOR_THE_DATE, as_of=day, url=url)
        pipeline.record_reconciliation(run_id, day, url)
        pipeline.finish_run(run_id, "success", url=url)
        with warehouse.connect(url) as conn:
            return conn.execute(
                """select payment_id, bank_amount, status, match_rule, is_settled
                     from marts.fct_bank_reconciliation order by payment_id"""
            ).fetchall()

    assert run("r1", date(2026, 4, 20)) == [("P1", D("100.00"), "MATCHED", "amount_and_counterparty", True)]
    write_extract(
        erp / "2026-04-21", "payments", PAYMENT_COLUMNS, [("P2", "C-A", "2026-03-06", "EUR", "100.00", "")]
    )
    assert not [r for r in load_extract_dir(url, erp) if r.status == "rejected"]
    assert run("r2", date(2026, 4, 21)) == [
        ("P1", D("100.00"), "MATCHED", "amount_and_counterparty", True),
        ("P2", None, "NOT_BANKED", None, False),
    ]

    result = reproduce("r2", url=url)
    assert [(c.mart, c.stored_rows, c.rebuilt_rows, c.only_stored_count, c.only_rebuilt_count)
            for c in result.comparisons] == [
        ("fct_statement_reconciliation", 0, 0, 0, 0),
        ("fct_bank_reconciliation", 2, 2, 0, 0),
    ]  # fmt: skip
    assert result.equal
    # r1 had no snapshot before it: rebuilt from nothing settled, as it was built.
    assert reproduce("r1", url=url).equal
