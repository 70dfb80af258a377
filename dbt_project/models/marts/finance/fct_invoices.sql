-- One row per invoice dated on or before as_of_date, with its open amount and settlement as of that date.
-- Rebuilt whole on every run for the as_of_date var (see the doc blocks open_amount and settled_date).
{{ config(
    indexes=[{'columns': ['customer_id']}],
) }}

with

invoices as (
    select * from {{ ref('stg_erp__invoices') }}
),

balances as (
    select * from {{ ref('int_invoice_balances_accumulated') }}
),

invoices_issued as (
    select * from invoices
    where invoice_date <= {{ as_of_date() }}
),

-- The balance in force on as_of_date: the last balance change on or before it.
balances_as_of_date as (
    select * from balances
    where balance_date <= {{ as_of_date() }}
        and (next_balance_date is null or next_balance_date > {{ as_of_date() }})
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        invoices_issued.invoice_id,
        invoices_issued.customer_id,
        invoices_issued.invoice_date,
        invoices_issued.due_date,
        invoices_issued.currency_code,
        invoices_issued.invoice_amount as amount,
        balances_as_of_date.open_amount,
        balances_as_of_date.settled_date,
        {{ dbt.datediff('invoices_issued.invoice_date', 'balances_as_of_date.settled_date', 'day') }}
            as days_to_settle,
        -- Settled on or before the due date is 0 days late, not a negative number; unsettled is null.
        case
            when balances_as_of_date.settled_date is not null
                then greatest(
                    0,
                    {{ dbt.datediff('invoices_issued.due_date', 'balances_as_of_date.settled_date', 'day') }}
                )
        end as days_late,
        invoices_issued.is_disputed

    from invoices_issued
    left join balances_as_of_date
        on invoices_issued.invoice_id = balances_as_of_date.invoice_id
)

select * from final
