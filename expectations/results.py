"""From GX validation results to the rows of audit.check_results: one `CheckResult` per expectation.

What the columns hold:
- check_name: the expectation type and what it looks at, e.g. `expect_column_values_to_be_between(amount)`, or
  for a SQL rule its name, e.g. `listed_unexpected_rows_expectation(statement_balance_identity)`.
- unexpected_count: offending rows (for a column map check, rows GX counts as unexpected; for a SQL rule, the
  rows the query returns; for the column-set check, the missing columns).
- unexpected_amount: the money at stake, as a positive total, where the check is about money: for a money
  column, the sum of the absolute offending values; for a SQL rule, its `total_abs_difference` (the sum of the
  absolute differences over all offending rows, not only the listed ones). Otherwise null.
- offending_keys: up to MAX_OFFENDING_KEYS objects, one per offending row, with its primary key and the offending
  values (for a SQL rule, the row the query returned). Decimals are written as strings, so nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from expectations.tables import RULE_META_KEY, RawTable

if TYPE_CHECKING:
    from great_expectations.core import ExpectationValidationResult

MAX_OFFENDING_KEYS = 200
TOTAL_AMOUNT_COLUMN = "total_abs_difference"
UNEXPECTED_ROWS_TYPES = frozenset({"unexpected_rows_expectation", "listed_unexpected_rows_expectation"})

# GX severities mapped to the vocabulary of audit.check_results.severity.
_SEVERITY = {"critical": "error", "warning": "warning", "info": "info"}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one expectation, shaped like a row of audit.check_results (without run and date)."""

    suite_name: str
    check_name: str
    table_name: str
    success: bool
    severity: str = "error"
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_amount: Decimal | None = None
    offending_keys: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # set when GX could not evaluate the expectation (bad SQL, lost connection)


def json_safe(value: Any) -> Any:
    """`value` with Decimals as strings, dates as ISO strings and tuples as lists, ready for jsonb."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(json_safe(v) for v in value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def check_name(expectation_type: str, kwargs: Mapping[str, Any], meta: Mapping[str, Any] | None) -> str:
    """`<expectation type>(<columns or rule>)`, or the bare type for a table-level expectation."""
    if meta and meta.get(RULE_META_KEY):
        subject = str(meta[RULE_META_KEY])
    elif "column" in kwargs:
        subject = str(kwargs["column"])
    elif "column_A" in kwargs:
        subject = f"{kwargs['column_A']},{kwargs['column_B']}"
    elif "column_list" in kwargs:
        subject = ",".join(str(c) for c in kwargs["column_list"])
    else:
        return expectation_type
    return f"{expectation_type}({subject})"


def _sum_abs(values: Sequence[Any]) -> Decimal | None:
    amounts = [abs(Decimal(v)) for v in values if isinstance(v, Decimal | int)]
    return sum(amounts, Decimal(0)) if amounts else None


def _offending(result: Mapping[str, Any], expectation_type: str) -> tuple[list[Any], int | None]:
    """The offending rows GX lists, and how many there are in all."""
    if expectation_type in UNEXPECTED_ROWS_TYPES:
        rows = (result.get("details") or {}).get("unexpected_rows") or []
        return list(rows), result.get("observed_value")
    if expectation_type == "expect_table_columns_to_match_set":
        missing = ((result.get("details") or {}).get("mismatched") or {}).get("missing") or []
        return [{"missing_column": column} for column in missing], len(missing)
    rows = result.get("unexpected_index_list") or []
    return list(rows), result.get("unexpected_count")


def _unexpected_amount(
    result: Mapping[str, Any], expectation_type: str, kwargs: Mapping[str, Any], table: RawTable
) -> Decimal | None:
    if expectation_type in UNEXPECTED_ROWS_TYPES:
        rows = (result.get("details") or {}).get("unexpected_rows") or []
        if rows and TOTAL_AMOUNT_COLUMN in rows[0]:
            total = rows[0][TOTAL_AMOUNT_COLUMN]
            return Decimal(total) if total is not None else None
        return None
    if kwargs.get("column") in table.money_columns:
        return _sum_abs(result.get("unexpected_list") or [])
    return None


def _error_message(exception_info: Mapping[str, Any]) -> str | None:
    """The message of the exception GX caught while evaluating an expectation, if it caught one.

    GX reports an error in the expectation itself as one flat dict, and errors in the metrics it depends on
    (a lost connection, bad SQL) as a dict of such dicts keyed by metric.
    """
    if "raised_exception" in exception_info:
        infos: list[Any] = [exception_info]
    else:
        infos = [info for info in exception_info.values() if isinstance(info, Mapping)]
    messages = sorted({str(info.get("exception_message")) for info in infos if info.get("raised_exception")})
    return "; ".join(messages) if messages else None


def to_check_result(
    validation: ExpectationValidationResult,
    suite_name: str,
    table: RawTable,
    extra_details: Mapping[str, Any] | None = None,
) -> CheckResult:
    """One expectation's validation result (run with the checkpoint's COMPLETE result format) as a CheckResult.

    `extra_details` (the Data Docs page, say) are added to `details`.
    """
    config = validation.expectation_config
    assert config is not None  # a checkpoint result always carries its expectation
    expectation_type = config.type
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    result: Mapping[str, Any] = validation.result or {}
    error = _error_message(validation.exception_info or {})

    rows, total = _offending(result, expectation_type)
    details: dict[str, Any] = {
        "expectation_type": expectation_type,
        "kwargs": kwargs,
        "description": config.description,
        "offending_rows_listed": min(len(rows), MAX_OFFENDING_KEYS),
        "offending_rows_total": total,
    }
    for key in ("observed_value", "unexpected_percent", "missing_count", "unexpected_index_query"):
        if key in result:
            details[key] = result[key]
    details.update(extra_details or {})
    if error is not None:
        details["exception_message"] = error

    return CheckResult(
        suite_name=suite_name,
        check_name=check_name(expectation_type, kwargs, config.meta),
        table_name=table.qualified_name,
        success=bool(validation.success),
        severity=_SEVERITY.get(str(getattr(config.severity, "value", config.severity)), "error"),
        element_count=result.get("element_count"),
        unexpected_count=total if total is not None else (0 if validation.success else None),
        unexpected_amount=_unexpected_amount(result, expectation_type, kwargs, table),
        offending_keys=json_safe(rows[:MAX_OFFENDING_KEYS]),
        details=json_safe(details),
        error=error,
    )
