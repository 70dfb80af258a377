-- One row per as_of_date and invoice open on that date (open amount <> 0), aged by days past due.
--
-- Incremental, one as_of_date per run: delete+insert keyed on as_of_date replaces the rows of the date being
-- built and keeps every other date, so BI can chart aging over time and re-running a date is idempotent.
-- The pre-hook deletes the date's rows too: delete+insert alone only deletes dates present in the new batch, so a
-- re-run of a date on which nothing is open any more would otherwise leave the stale rows behind.
-- full_refresh=false: --full-refresh would rebuild the table with the current date only and lose the history.
-- New columns are appended to the existing table (on_schema_change='append_new_columns') and are null on the
-- snapshots built before they existed, until those dates are built again; removing or retyping a column fails.
--
-- Aging basis (var aging_basis): due_date (default; days past due) or invoice_date (days since the invoice),
-- bucketed with the same seed; each row records the basis it was aged on, so a change of basis shows in history.
-- Functional currency (var functional_currency, default EUR): open_amount valued at the latest rate of
-- stg_erp__fx_rates on or before as_of_date and at most fx_rate_max_age_days old. Without such a rate the
-- functional columns stay null and the data test fx_rate_available_for_open_invoices fails: never a silent 0.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='append_new_columns',
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

fx_rates as (
    select * from {{ ref('stg_erp__fx_rates') }}
),

-- The rate in force on as_of_date for each currency: the latest fixing on or before it, if recent enough
-- (no fixing on weekends and holidays, so Monday's aging uses Friday's rate).
fx_rates_ranked as (
    select
        currency_code,
        rate_date,
        fx_rate,
        row_number() over (partition by currency_code order by rate_date desc) as recency_rank
    from fx_rates
    where functional_currency_code = '{{ var("functional_currency") }}'
        and rate_date <= {{ as_of_date() }}
        and rate_date > {{ dbt.dateadd('day', -1 * (var('fx_rate_max_age_days') | int), as_of_date()) }}
),

fx_rates_in_force as (
    select currency_code, rate_date, fx_rate
    from fx_rates_ranked
    where recency_rank = 1
),

invoices_issued as (
    select * from invoices
    where invoice_date <= {{ as_of_date() }}
),

-- The balance in force on as_of_date: the last balance change on or before it.
balances_as_of_date as (
    select * from balances
    where {{ in_force_on(as_of_date()) }}
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
        {{ dbt.datediff('invoices_issued.due_date', as_of_date(), 'day') }} as days_past_due,
        -- What the buckets are applied to: days past due, or the invoice's age (0 on the invoice date).
        {{ dbt.datediff('invoices_issued.' ~ aging_basis(), as_of_date(), 'day') }} as aging_days

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
        on (aging_buckets.min_days is null or open_invoices.aging_days >= aging_buckets.min_days)
        and (aging_buckets.max_days is null or open_invoices.aging_days <= aging_buckets.max_days)
),

-- A document in the functional currency needs no rate (1); any other needs the rate in force, else nulls.
open_invoices_valued as (
    select
        open_invoices_bucketed.*,
        case
            when open_invoices_bucketed.currency_code = '{{ var("functional_currency") }}' then 1
            else fx_rates_in_force.fx_rate
        end as fx_rate,
        case
            when open_invoices_bucketed.currency_code <> '{{ var("functional_currency") }}'
                then fx_rates_in_force.rate_date
        end as fx_rate_date
    from open_invoices_bucketed
    left join fx_rates_in_force
        on open_invoices_bucketed.currency_code = fx_rates_in_force.currency_code
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
        aging_bucket_sort_order,
        '{{ aging_basis() }}' as aging_basis,
        aging_days,
        '{{ var("functional_currency") }}' as functional_currency_code,
        cast(fx_rate as decimal(20, 10)) as fx_rate,
        fx_rate_date,
        cast(round(open_amount * fx_rate, 2) as decimal(18, 2)) as open_amount_functional
    from open_invoices_valued
)

select * from final
