"""The raw-load expectation suites, one per raw table, defined in code.

GX validates what the loaders wrote before dbt reads it: that the columns are there, that keys are present and
unique, that money is positive where the source promises it, that dates and currency codes are well formed, and
that every bank statement adds up (balance identity) and agrees with its own lines (control totals). dbt tests
cover the models built on top; a rule lives in one place.

Scope: a check reads the rows of its table loaded after a load batch (`_batch_id`), or every row (see
expectations.context). ar_daily checks the rows loaded since its last successful run, the same scope as its dbt
data tests (decision 007), and every row on the weekly full-check day; `arwh check` checks every row. That is
enough between full checks for the same reason as for the dbt tests: the loaders write a row only with a batch
(an ERP merge rewrites a changed row under the new batch, a bank file is appended whole), so a bad row arrives
with the batch that wrote it, and a rule about a statement is judged with that statement's batch. What a scoped
day does not repeat is a failure of an earlier day: a statement that does not add up fails on the day it is
loaded and on every full check until it is corrected, and is in audit.check_results for good. The business date
of a run is recorded with its results (audit.check_results.as_of_date); it does not filter them, because the ERP
tables are merged current-state snapshots that a date would not take back to an earlier day.

In every rule {batch} stands for the checked rows (a raw table's view in raw_scope), never for the whole table.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.listed_rows import ListedUnexpectedRowsExpectation
from expectations.tables import (
    AR_ROLLFORWARD,
    BANK_RECONCILIATION,
    BANK_STATEMENT_LINES,
    BANK_STATEMENTS,
    CREDIT_NOTES,
    INVOICES,
    PAYMENT_APPLICATIONS,
    PAYMENTS,
    RULE_META_KEY,
    STATEMENT_RECONCILIATION,
    WRITE_OFFS,
    RawTable,
)

CURRENCY_CODE_PATTERN = "^[A-Z]{3}$"  # ISO 4217 alphabetic code


# The SQL of the multi-table rules. GX substitutes {batch} with the table being validated; a query with a JOIN
# must alias it itself, one without a JOIN must not (GX aliases it). Literal braces would have to be doubled.
# Each query lists one row per offending statement, keyed like the table, with the amounts that disagree, and a
# window total of the money involved so the run can report it exactly even when GX lists only the first 200 rows.

# Exact equality on purpose: numeric has no rounding, so a statement that is off by a cent is off.
STATEMENT_BALANCE_IDENTITY_SQL = """\
select
    file_sha256,
    statement_index,
    account_id,
    statement_id,
    statement_date,
    opening_balance,
    credit_total,
    debit_total,
    closing_balance,
    closing_balance - (opening_balance + credit_total + debit_total) as difference,
    sum(abs(closing_balance - (opening_balance + credit_total + debit_total))) over () as total_abs_difference
from {batch}
where opening_balance is not null
    and closing_balance is not null
    and opening_balance + credit_total + debit_total <> closing_balance
order by file_sha256, statement_index"""

# A statement without lines is compared with zero totals: a statement that promises lines the load did not
# write is exactly what this rule is for. Zero amounts count as debits, as the parsers count them. The lines are
# summed per checked statement (a lateral join over the lines' key), so a day's check reads the day's lines only.
STATEMENT_CONTROL_TOTALS_SQL = """\
with compared as (
    select
        statements.file_sha256,
        statements.statement_index,
        statements.account_id,
        statements.statement_id,
        statements.line_count,
        line_totals.line_count as lines_line_count,
        statements.credit_total,
        line_totals.credit_total as lines_credit_total,
        statements.debit_total,
        line_totals.debit_total as lines_debit_total
    from {batch} as statements
    cross join lateral (
        select
            count(*) as line_count,
            coalesce(sum(lines.amount) filter (where lines.amount > 0), 0) as credit_total,
            coalesce(sum(lines.amount) filter (where lines.amount <= 0), 0) as debit_total
        from raw_bank.statement_lines as lines
        where lines.file_sha256 = statements.file_sha256
            and lines.statement_index = statements.statement_index
    ) as line_totals
)

select
    *,
    lines_credit_total - credit_total as credit_difference,
    lines_debit_total - debit_total as debit_difference,
    sum(abs(lines_credit_total - credit_total) + abs(lines_debit_total - debit_total)) over ()
        as total_abs_difference
from compared
where line_count <> lines_line_count
    or credit_total <> lines_credit_total
    or debit_total <> lines_debit_total
order by file_sha256, statement_index"""

STATEMENT_LINES_WITHOUT_STATEMENT_SQL = """\
select
    statement_lines.file_sha256,
    statement_lines.statement_index,
    statement_lines.line_index,
    statement_lines.amount
from {batch} as statement_lines
left join raw_bank.statements as statements
    on statements.file_sha256 = statement_lines.file_sha256
    and statements.statement_index = statement_lines.statement_index
where statements.file_sha256 is null
order by statement_lines.file_sha256, statement_lines.statement_index, statement_lines.line_index"""


# The reconciliation marts: each rule lists the rows an auditor follows up, with the evidence beside them. The
# marts are built for the run's date (dbt var as_of_date), so the rules need no date of their own.
UNAPPLIED_CASH_MAX_DAYS = 5  # cash in the bank this long without an ERP payment is flagged

STATEMENT_UNEXPLAINED_SQL = """\
select
    customer_id,
    statement_date,
    document_key,
    document_ref,
    status,
    ledger_amount,
    statement_amount,
    difference_amount,
    statement_file_sha256,
    statement_line_numbers,
    sum(abs(difference_amount)) over () as total_abs_difference
from {batch}
where is_unexplained
order by customer_id, statement_date, document_key"""

UNAPPLIED_CASH_SQL = f"""\
select
    reconciliation_key,
    bank_account_id,
    bank_booking_date,
    bank_amount,
    bank_end_to_end_id,
    bank_counterparty_name,
    bank_remittance_text,
    days_unapplied,
    difference_amount,
    sum(abs(difference_amount)) over () as total_abs_difference
from {{batch}}
where status = 'UNAPPLIED_CASH' and days_unapplied > {UNAPPLIED_CASH_MAX_DAYS}
order by reconciliation_key"""

NOT_BANKED_SQL = """\
select
    reconciliation_key,
    payment_id,
    customer_id,
    payment_date,
    payment_amount,
    payment_reference,
    days_not_banked,
    difference_amount,
    sum(abs(difference_amount)) over () as total_abs_difference
from {batch}
where status = 'NOT_BANKED' and is_unexplained
order by reconciliation_key"""

BANK_DIFFERENCES_SQL = """\
select
    reconciliation_key,
    status,
    payment_id,
    bank_booking_date,
    bank_amount,
    payment_amount,
    match_rule,
    difference_amount,
    sum(abs(difference_amount)) over () as total_abs_difference
from {batch}
where status in ('AMOUNT_DIFFERENCE', 'DUPLICATE')
order by reconciliation_key"""

ROLLFORWARD_TIES_SQL = """\
select
    customer_id,
    currency_code,
    month_start_date,
    closing_balance_amount,
    next_opening_difference_amount,
    aging_difference_amount,
    sum(abs(coalesce(next_opening_difference_amount, 0)) + abs(coalesce(aging_difference_amount, 0))) over ()
        as total_abs_difference
from {batch}
where has_difference
order by customer_id, currency_code, month_start_date"""


def _mart_expectations(table: RawTable) -> list[gxe.Expectation]:
    if table is STATEMENT_RECONCILIATION:
        return [
            _rule(
                "statement_differences_unexplained",
                "Every document on a customer statement agrees with the ledger on the statement date, or the "
                "difference is explained (timing, dispute); lists the AMOUNT_MISMATCH, MISSING_IN_LEDGER and "
                "MISSING_IN_STATEMENT items with both sides' amounts and the statement file and lines.",
                STATEMENT_UNEXPLAINED_SQL,
            )
        ]
    if table is BANK_RECONCILIATION:
        return [
            _rule(
                "unapplied_cash_older_than_days",
                f"No cash sits in the bank more than {UNAPPLIED_CASH_MAX_DAYS} days without an ERP payment; "
                "lists the credits that do, with the bank's evidence.",
                UNAPPLIED_CASH_SQL,
            ),
            _rule(
                "payments_not_banked_after_window",
                "Every ERP payment reaches the bank within bank_match_window_days; lists those that did not.",
                NOT_BANKED_SQL,
            ),
            _rule(
                "bank_amount_differences_and_duplicates",
                "Paired bank credits and ERP payments agree to the cent and no credit is reported twice; lists "
                "the differences (fees, FX) and the duplicates.",
                BANK_DIFFERENCES_SQL,
            ),
        ]
    if table is AR_ROLLFORWARD:
        return [
            _rule(
                "rollforward_ties",
                "Every customer-month's closing balance equals the next opening and the aging on that date; "
                "lists the months that do not, with both differences.",
                ROLLFORWARD_TIES_SQL,
            )
        ]
    raise KeyError(f"no mart checks for {table.qualified_name}")


def _schema_and_key(table: RawTable) -> list[gxe.Expectation]:
    # exact_match=False: a later migration may add a column without breaking anything downstream, while a
    # missing one breaks the staging models, so only missing columns fail.
    checks: list[gxe.Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(table.columns), exact_match=False)
    ]
    checks += [gxe.ExpectColumnValuesToNotBeNull(column=column) for column in table.key]
    if len(table.key) == 1:
        checks.append(gxe.ExpectColumnValuesToBeUnique(column=table.key[0]))
    else:
        checks.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(table.key)))
    return checks


def _positive_money(column: str) -> list[gxe.Expectation]:
    # ERP documents carry their sign in their type (a credit note, a write-off), so the amount itself is > 0.
    return [
        gxe.ExpectColumnValuesToNotBeNull(column=column),
        gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, strict_min=True),
    ]


def _currency_code() -> gxe.Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(column="currency_code", regex=CURRENCY_CODE_PATTERN)


def _rule(rule: str, description: str, query: str) -> gxe.Expectation:
    return ListedUnexpectedRowsExpectation(
        unexpected_rows_query=query, description=description, meta={RULE_META_KEY: rule}
    )


def _expectations(table: RawTable) -> list[gxe.Expectation]:
    checks = _schema_and_key(table)
    if table in (INVOICES, CREDIT_NOTES, PAYMENTS, WRITE_OFFS):
        checks += _positive_money("amount")
    if table is PAYMENT_APPLICATIONS:
        checks.append(gxe.ExpectColumnValuesToNotBeNull(column="applied_amount"))
    if table is INVOICES:
        checks.append(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="due_date", column_B="invoice_date", or_equal=True
            )
        )
    if "currency_code" in table.columns:
        checks.append(_currency_code())
    if table is BANK_STATEMENTS:
        # The balance identity below adds debit_total, so a debit total with the wrong sign must show up as
        # its own failure rather than as an unexplained difference.
        checks += [
            gxe.ExpectColumnValuesToBeBetween(column="credit_total", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="debit_total", max_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="line_count", min_value=0),
            _rule(
                "statement_balance_identity",
                "Every statement with both balances satisfies opening_balance + credit_total + debit_total "
                "= closing_balance exactly; lists the statements that do not, with the difference.",
                STATEMENT_BALANCE_IDENTITY_SQL,
            ),
            _rule(
                "statement_control_totals",
                "The lines of every statement add up to its line_count, credit_total and debit_total; "
                "lists the statements whose lines do not, with the differences.",
                STATEMENT_CONTROL_TOTALS_SQL,
            ),
        ]
    if table is BANK_STATEMENT_LINES:
        checks.append(
            _rule(
                "statement_lines_have_statement",
                "Every statement line belongs to a loaded statement; lists the lines that do not.",
                STATEMENT_LINES_WITHOUT_STATEMENT_SQL,
            )
        )
    return checks


def build_suite(table: RawTable) -> gx.ExpectationSuite:
    """The expectation suite for one raw or mart table (not yet saved to a context), named `table.suite_name`."""
    return gx.ExpectationSuite(
        name=table.suite_name,
        expectations=_mart_expectations(table) if table.schema == "marts" else _expectations(table),
        meta={"table": table.qualified_name, "key": list(table.key)},
    )
