"""The raw tables the checks cover: their names, primary keys, columns and money columns.

Kept free of Great Expectations imports, so that code that only needs the names (the result writer, tests) does
not pay for importing GX or trigger its import-time logging.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.erp.entities import ENTITIES, Kind

# meta["rule"] names a SQL rule (an UnexpectedRowsExpectation) in audit.check_results, where a column name
# does for the other expectations.
RULE_META_KEY = "rule"


@dataclass(frozen=True)
class RawTable:
    """A raw table the checks cover: where it is, its primary key and the columns the loaders write."""

    schema: str
    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    money_columns: frozenset[str] = frozenset()

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def suite_name(self) -> str:
        # Also the name of the table's data asset, validation definition and checkpoint: one name to grep for.
        return f"{self.schema}__{self.name}"

    @property
    def checked_relation(self) -> tuple[str, str]:
        """What the checks read, as (schema, name): a raw table's view in raw_scope (its rows in the run's scope,
        migration 018), a mart's table itself (the state on the run's date)."""
        if self.schema == "marts":
            return (self.schema, self.name)
        return ("raw_scope", self.suite_name)


_LOAD_COLUMNS = ("_batch_id", "_loaded_at")


def _erp_table(entity_name: str) -> RawTable:
    """A raw_erp table as ingestion.erp.entities declares it (one declaration for loaders and checks)."""
    entity = ENTITIES[entity_name]
    return RawTable(
        "raw_erp",
        entity.name,
        key=entity.primary_key,
        columns=(*entity.column_names, "source_updated_at", *_LOAD_COLUMNS),
        money_columns=frozenset(c.name for c in entity.columns if c.kind is Kind.MONEY),
    )


CUSTOMERS = _erp_table("customers")
INVOICES = _erp_table("invoices")
CREDIT_NOTES = _erp_table("credit_notes")
PAYMENTS = _erp_table("payments")
PAYMENT_APPLICATIONS = _erp_table("payment_applications")
WRITE_OFFS = _erp_table("write_offs")

BANK_STATEMENTS = RawTable(
    "raw_bank",
    "statements",
    key=("file_sha256", "statement_index"),
    columns=(
        "file_sha256",
        "statement_index",
        "file_format",
        "statement_id",
        "sequence_number",
        "account_id",
        "account_iban",
        "currency_code",
        "opening_balance",
        "opening_balance_date",
        "closing_balance",
        "closing_balance_date",
        "statement_date",
        "line_count",
        "credit_total",
        "debit_total",
        *_LOAD_COLUMNS,
    ),
    money_columns=frozenset({"opening_balance", "closing_balance", "credit_total", "debit_total"}),
)
BANK_STATEMENT_LINES = RawTable(
    "raw_bank",
    "statement_lines",
    key=("file_sha256", "statement_index", "line_index"),
    columns=(
        "file_sha256",
        "statement_index",
        "line_index",
        "statement_id",
        "sequence_number",
        "account_id",
        "currency_code",
        "booking_date",
        "value_date",
        "amount",
        "bank_reference",
        "end_to_end_id",
        "counterparty_name",
        "counterparty_account",
        "creditor_reference",
        "remittance_text",
        "bank_transaction_code",
        "original_text",
        *_LOAD_COLUMNS,
    ),
    money_columns=frozenset({"amount"}),
)

RAW_TABLES: tuple[RawTable, ...] = (
    CUSTOMERS,
    INVOICES,
    CREDIT_NOTES,
    PAYMENTS,
    PAYMENT_APPLICATIONS,
    WRITE_OFFS,
    BANK_STATEMENTS,
    BANK_STATEMENT_LINES,
)


# The reconciliation marts, checked after dbt builds them for the run's date: a mismatch they list is data (the
# check fails, the run goes on and reports it), an error evaluating the check fails the task.
STATEMENT_RECONCILIATION = RawTable(
    "marts",
    "fct_statement_reconciliation",
    key=("customer_id", "statement_date", "document_key"),
    columns=(
        "customer_id",
        "statement_date",
        "document_key",
        "status",
        "difference_amount",
        "is_unexplained",
    ),
    money_columns=frozenset({"difference_amount"}),
)
BANK_RECONCILIATION = RawTable(
    "marts",
    "fct_bank_reconciliation",
    key=("reconciliation_key",),
    columns=("reconciliation_key", "status", "difference_amount", "days_not_banked", "days_unapplied"),
    money_columns=frozenset({"difference_amount"}),
)
AR_ROLLFORWARD = RawTable(
    "marts",
    "rpt_ar_rollforward",
    key=("customer_id", "currency_code", "month_start_date"),
    columns=(
        "customer_id",
        "currency_code",
        "month_start_date",
        "next_opening_difference_amount",
        "aging_difference_amount",
        "has_difference",
    ),  # fmt: skip
    money_columns=frozenset({"next_opening_difference_amount", "aging_difference_amount"}),
)

MART_TABLES: tuple[RawTable, ...] = (STATEMENT_RECONCILIATION, BANK_RECONCILIATION, AR_ROLLFORWARD)


def table_for_suite(suite_name: str) -> RawTable:
    """The raw or mart table a suite validates. Raises KeyError for a suite that is not one of these."""
    for table in (*RAW_TABLES, *MART_TABLES):
        if table.suite_name == suite_name:
            return table
    raise KeyError(f"no checked table has the suite {suite_name!r}")
