-- One row per as_of_date and invoice open on that date (open amount <> 0), aged by days past due.
--
-- Incremental, one as_of_date per run: delete+insert keyed on as_of_date replaces the rows of the date being
-- built and keeps every other date, so BI can chart aging over time and re-running a date is idempotent.
-- The pre-hook deletes the date's rows too: delete+insert alone only deletes dates present in the new batch, so a
-- re-run of a date on which nothing is open any more would otherwise leave the stale rows behind.
-- full_refresh=false: --full-refresh would rebuild the table with the current date only and lose the history;
-- a change of columns fails the run (on_schema_change='fail') and needs a deliberate migration instead.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='fail',
    full_refresh=false,
    indexes=[{'columns': ['as_of_date']}],
    pre_hook="{% if is_incremental() %}delete from {{ this }} where as_of_date = {{ as_of_date() }}{% endif %}",
) }}

with

invoices as (
    select * from {{ ref('stg_erp__invoices') }}
),

balances as (
    select * from {{ ref('int_invoice_balances_accumulated') }}
),

aging_buckets as (
    select * from {{ ref('aging_buckets') }}
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

open_invoices as (
    select
        invoices_issued.invoice_id,
        invoices_issued.customer_id,
        invoices_issued.currency_code,
        invoices_issued.invoice_date,
        invoices_issued.due_date,
        invoices_issued.invoice_amount,
        balances_as_of_date.open_amount,
        -- Positive once the due date has passed; 0 on the due date, negative before it (bucket current).
        {{ dbt.datediff('invoices_issued.due_date', as_of_date(), 'day') }} as days_past_due

    from invoices_issued
    inner join balances_as_of_date
        on invoices_issued.invoice_id = balances_as_of_date.invoice_id
    where balances_as_of_date.open_amount <> 0
),

-- Bounds are inclusive; a null bound is open-ended (see the seed aging_buckets).
open_invoices_bucketed as (
    select
        open_invoices.*,
        aging_buckets.bucket_name as aging_bucket,
        aging_buckets.sort_order as aging_bucket_sort_order
    from open_invoices
    left join aging_buckets
        on (aging_buckets.min_days is null or open_invoices.days_past_due >= aging_buckets.min_days)
        and (aging_buckets.max_days is null or open_invoices.days_past_due <= aging_buckets.max_days)
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        invoice_id,
        customer_id,
        currency_code,
        invoice_date,
        due_date,
        invoice_amount,
        open_amount,
        days_past_due,
        aging_bucket,
        aging_bucket_sort_order
    from open_invoices_bucketed
)

select * from final
