-- One row per customer statement in force dated on or before as_of_date: the ledger balance and the statement
-- balance on the statement date, their difference, the part of it that timing differences and disputes explain,
-- and the unexplained remainder (fct_statement_reconciliation has the items behind every figure).
--   difference  = statement balance - ledger balance = sum of the items' difference_amount
--   unexplained = difference - timing differences - disputed items
-- is_reconciled: the unexplained remainder is within statement_tolerance_amount.
{%- set tolerance_amount = "cast('" ~ (var('statement_tolerance_amount', 0) | string | trim) ~ "' as " ~ type_exact_numeric() ~ ")" %}

with

statements as (
    select * from {{ ref('stg_statements__statements') }}
    where statement_date <= {{ as_of_date() }}
),

items as (
    select * from {{ ref('fct_statement_reconciliation') }}
),

per_statement as (
    select
        customer_id,
        statement_date,
        min(currency_code) as currency_code,
        count(distinct currency_code) as currency_count,
        coalesce(sum(ledger_amount), 0) as ledger_balance_amount,
        coalesce(sum(statement_amount), 0) as statement_balance_amount,
        sum(difference_amount) as difference_amount,
        coalesce(sum(difference_amount) filter (where status = 'TIMING_DIFFERENCE'), 0) as timing_difference_amount,
        coalesce(sum(difference_amount) filter (where status = 'DISPUTED'), 0) as disputed_difference_amount,
        count(*) filter (where status = 'MATCHED') as matched_count,
        count(*) filter (where status = 'AMOUNT_MISMATCH') as amount_mismatch_count,
        count(*) filter (where status = 'MISSING_IN_LEDGER') as missing_in_ledger_count,
        count(*) filter (where status = 'MISSING_IN_STATEMENT') as missing_in_statement_count,
        count(*) filter (where status = 'TIMING_DIFFERENCE') as timing_difference_count,
        count(*) filter (where status = 'DISPUTED') as disputed_count
    from items
    group by customer_id, statement_date
),

final as (
    select
        statements.customer_id,
        statements.statement_date,
        per_statement.currency_code,
        cast(per_statement.currency_count > 1 as boolean) as is_multi_currency,
        cast(per_statement.ledger_balance_amount as decimal(18, 2)) as ledger_balance_amount,
        cast(per_statement.statement_balance_amount as decimal(18, 2)) as statement_balance_amount,
        cast(per_statement.difference_amount as decimal(18, 2)) as difference_amount,
        cast(per_statement.timing_difference_amount as decimal(18, 2)) as timing_difference_amount,
        cast(per_statement.disputed_difference_amount as decimal(18, 2)) as disputed_difference_amount,
        cast(
            per_statement.difference_amount - per_statement.timing_difference_amount
            - per_statement.disputed_difference_amount as decimal(18, 2)
        ) as unexplained_difference_amount,
        abs(
            per_statement.difference_amount - per_statement.timing_difference_amount
            - per_statement.disputed_difference_amount
        ) <= {{ tolerance_amount }} as is_reconciled,
        cast(per_statement.matched_count as integer) as matched_count,
        cast(per_statement.amount_mismatch_count as integer) as amount_mismatch_count,
        cast(per_statement.missing_in_ledger_count as integer) as missing_in_ledger_count,
        cast(per_statement.missing_in_statement_count as integer) as missing_in_statement_count,
        cast(per_statement.timing_difference_count as integer) as timing_difference_count,
        cast(per_statement.disputed_count as integer) as disputed_count,
        statements.statement_line_count,
        statements.file_sha256 as statement_file_sha256
    from statements
    inner join per_statement
        on statements.customer_id = per_statement.customer_id
        and statements.statement_date = per_statement.statement_date
)

select * from final
