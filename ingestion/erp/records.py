"""Validation of ERP records, whatever they come from (CSV text or typed database values).

`coerce_record` turns one source record into the canonical typed tuple of its entity, or a `Reject` naming the
field and the reason. Pure functions: no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ingestion.erp.entities import Column, Entity, Kind
from ingestion.warehouse import Reject

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_TRUE = {"true", "t", "1", "yes", "y", "x"}
_FALSE = {"false", "f", "0", "no", "n", ""}

# Key a reader puts in a record it could not split into fields; its value is the reason.
MALFORMED = "__malformed__"


class FieldError(ValueError):
    pass


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def coerce_value(column: Column, value: Any) -> Any:
    """One field to its canonical Python type; raises FieldError with the reason."""
    if _blank(value):
        if column.required:
            raise FieldError("required value is missing")
        return column.default
    kind = column.kind
    if kind is Kind.TEXT:
        return str(value).strip()
    if kind is Kind.DATE:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise FieldError(f"not an ISO date (YYYY-MM-DD): {value!r}") from None
    if kind in (Kind.MONEY, Kind.SHARE, Kind.RATE):
        if isinstance(value, float):
            # A float has already lost the exact value; refuse rather than guess.
            raise FieldError(f"money arrived as a binary float ({value!r}); expected a decimal")
        try:
            amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except InvalidOperation:
            raise FieldError(f"not a decimal number: {value!r}") from None
        if not amount.is_finite():
            raise FieldError(f"not a finite number: {value!r}")
        if kind is Kind.MONEY:
            exponent = amount.normalize().as_tuple().exponent
            if isinstance(exponent, int) and exponent < -2:
                raise FieldError(f"more than 2 decimals: {value!r}")
            if abs(amount) >= Decimal("1e16"):
                raise FieldError(f"amount out of range: {value!r}")
        elif kind is Kind.RATE:
            exponent = amount.normalize().as_tuple().exponent
            if isinstance(exponent, int) and exponent < -10:
                raise FieldError(f"more than 10 decimals: {value!r}")
            if not Decimal(0) < amount < Decimal("1e8"):
                raise FieldError(f"exchange rate must be positive (and below 100,000,000): {value!r}")
        elif not Decimal(0) <= amount <= Decimal(1):
            raise FieldError(f"share must be between 0 and 1: {value!r}")
        return amount
    if kind is Kind.INT:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise FieldError(f"not a whole number: {value!r}") from None
        return number
    if kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise FieldError(f"not a boolean (true/false): {value!r}")
    if kind is Kind.CURRENCY:
        text = str(value).strip().upper()
        if not _CURRENCY.match(text):
            raise FieldError(f"not an ISO 4217 currency code: {value!r}")
        return text
    if kind is Kind.COUNTRY:
        text = str(value).strip().upper()
        if not _COUNTRY.match(text):
            raise FieldError(f"not an ISO 3166 alpha-2 country code: {value!r}")
        return text
    raise AssertionError(f"unhandled kind {kind}")


def coerce_record(
    entity: Entity, record: Mapping[str, Any], *, line_number: int | None = None
) -> tuple[Any, ...] | Reject:
    """A canonical tuple in entity.columns order, or a Reject for the first bad field."""
    if MALFORMED in record:
        return Reject(
            reason=str(record[MALFORMED]),
            line_number=line_number,
            record_ref=_record_ref(entity, record),
            raw_record=_raw({k: v for k, v in record.items() if k != MALFORMED}),
        )
    values = []
    for column in entity.columns:
        try:
            values.append(coerce_value(column, record.get(column.name)))
        except FieldError as exc:
            return Reject(
                reason=str(exc),
                line_number=line_number,
                field=column.name,
                record_ref=_record_ref(entity, record),
                raw_record=_raw(record),
            )
    checked = _entity_rules(entity, values)
    if checked is not None:
        field, reason = checked
        return Reject(
            reason=reason,
            line_number=line_number,
            field=field,
            record_ref=_record_ref(entity, record),
            raw_record=_raw(record),
        )
    return tuple(values)


def _entity_rules(entity: Entity, values: list[Any]) -> tuple[str, str] | None:
    """Rules across fields of one record: a violation is (field, reason)."""
    row = dict(zip(entity.column_names, values, strict=True))
    if entity.amount_column and row[entity.amount_column] is not None and row[entity.amount_column] <= 0:
        return entity.amount_column, "amount must be positive (the document type gives the direction)"
    if entity.name == "invoices" and row["due_date"] < row["invoice_date"]:
        return "due_date", f"due date {row['due_date']} is before invoice date {row['invoice_date']}"
    if entity.name == "fx_rates" and row["currency_code"] == row["functional_currency_code"]:
        return "currency_code", "a rate from a currency to itself is always 1 and is not loaded"
    if entity.name == "customers" and row["payment_terms_days"] is not None and row["payment_terms_days"] < 0:
        return "payment_terms_days", "payment terms cannot be negative"
    return None


def entity_rule_conditions(entity: Entity) -> list[str]:
    """_entity_rules as SQL conditions, true where a rule may be broken ({column} stands for the column's typed
    value, as psycopg.sql.SQL.format fills it in): the CSV fast path
    (ingestion/erp/fast_csv.py) sends such rows to coerce_record, which decides and words the reason. A rule
    added to _entity_rules needs its condition here, or the fast path lets rows that break it through
    (tests/integration/test_erp_fast_csv.py loads a row breaking each rule both ways)."""
    conditions = []
    if entity.amount_column:
        conditions.append(f"{{{entity.amount_column}}} <= 0")
    if entity.name == "invoices":
        conditions.append("{due_date} < {invoice_date}")
    if entity.name == "fx_rates":
        conditions.append("{currency_code} = {functional_currency_code}")
    if entity.name == "customers":
        conditions.append("{payment_terms_days} < 0")
    return conditions


def _record_ref(entity: Entity, record: Mapping[str, Any]) -> str | None:
    parts = [str(record.get(k) or "") for k in entity.primary_key]
    ref = "/".join(parts)
    return ref if ref.strip("/") else None


def _raw(record: Mapping[str, Any]) -> str:
    return ",".join("" if v is None else str(v) for v in record.values())[:2000]
