"""The canonical ERP entities: their columns, types, keys and the column that carries the money.

One declaration serves the CSV reader, the database extractor, the raw tables' loader and the docs, so that a
column added here is added everywhere. The raw tables themselves are in ingestion/sql/003_raw_erp.sql.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    TEXT = "text"
    DATE = "date"
    MONEY = "money"  # Decimal, at most 2 decimals
    INT = "int"
    SHARE = "share"  # Decimal fraction between 0 and 1
    RATE = "rate"  # Decimal exchange rate, positive, at most 10 decimals
    BOOL = "bool"
    CURRENCY = "currency"  # ISO 4217 code, upper case
    COUNTRY = "country"  # ISO 3166 alpha-2


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = True
    default: object = None  # used when an optional column is absent or empty


@dataclass(frozen=True)
class Entity:
    name: str  # customers, invoices, ...; also the CSV file stem and the raw table name
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    amount_column: str | None  # summed into the control totals
    write_mode: str = "merge"  # merge on the primary key; a row is rewritten only when a value changed

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            "customers",
            (
                Column("customer_id", Kind.TEXT),
                Column("customer_name", Kind.TEXT),
                Column("country_code", Kind.COUNTRY, required=False),
                Column("currency_code", Kind.CURRENCY, required=False),
                Column("credit_limit", Kind.MONEY, required=False),
                Column("payment_terms_days", Kind.INT, required=False),
                Column("risk_grade", Kind.TEXT, required=False),
                Column("insured_share", Kind.SHARE, required=False),
            ),
            primary_key=("customer_id",),
            amount_column=None,
        ),
        Entity(
            "invoices",
            (
                Column("invoice_id", Kind.TEXT),
                Column("customer_id", Kind.TEXT),
                Column("invoice_date", Kind.DATE),
                Column("due_date", Kind.DATE),
                Column("currency_code", Kind.CURRENCY),
                Column("amount", Kind.MONEY),
                Column("is_disputed", Kind.BOOL, required=False, default=False),
            ),
            primary_key=("invoice_id",),
            amount_column="amount",
        ),
        Entity(
            "credit_notes",
            (
                Column("credit_note_id", Kind.TEXT),
                Column("invoice_id", Kind.TEXT, required=False),
                Column("customer_id", Kind.TEXT),
                Column("credit_note_date", Kind.DATE),
                Column("amount", Kind.MONEY),
                Column("reason", Kind.TEXT, required=False),
            ),
            primary_key=("credit_note_id",),
            amount_column="amount",
        ),
        Entity(
            "payments",
            (
                Column("payment_id", Kind.TEXT),
                Column("customer_id", Kind.TEXT),
                Column("payment_date", Kind.DATE),
                Column("currency_code", Kind.CURRENCY),
                Column("amount", Kind.MONEY),
                Column("reference", Kind.TEXT, required=False),
            ),
            primary_key=("payment_id",),
            amount_column="amount",
        ),
        Entity(
            "payment_applications",
            (
                Column("payment_id", Kind.TEXT),
                Column("invoice_id", Kind.TEXT),
                Column("applied_amount", Kind.MONEY),
                # Optional: defaults to the payment's date, filled in by the loader from raw_erp.payments.
                Column("applied_date", Kind.DATE, required=False),
            ),
            primary_key=("payment_id", "invoice_id"),
            amount_column="applied_amount",
        ),
        Entity(
            "write_offs",
            (
                Column("write_off_id", Kind.TEXT),
                Column("invoice_id", Kind.TEXT),
                Column("write_off_date", Kind.DATE),
                Column("amount", Kind.MONEY),
                Column("reason", Kind.TEXT, required=False),
                Column("approved_by", Kind.TEXT, required=False),
            ),
            primary_key=("write_off_id",),
            amount_column="amount",
        ),
        Entity(
            # Daily exchange rates: 1 unit of currency_code is worth `rate` units of functional_currency_code
            # (the company's reporting currency, e.g. EUR), as fixed on rate_date. Receivables in foreign
            # currencies are valued with the latest rate on or before the as-of date (dbt var fx_rate_max_age_days).
            "fx_rates",
            (
                Column("rate_date", Kind.DATE),
                Column("currency_code", Kind.CURRENCY),
                Column("functional_currency_code", Kind.CURRENCY),
                Column("rate", Kind.RATE),
            ),
            primary_key=("rate_date", "currency_code", "functional_currency_code"),
            amount_column=None,
        ),
    )
}

# Load order: parents before children, so that a day's extract is consistent when read mid-way.
LOAD_ORDER = (
    "fx_rates", "customers", "invoices", "credit_notes", "payments", "payment_applications", "write_offs",
)  # fmt: skip
