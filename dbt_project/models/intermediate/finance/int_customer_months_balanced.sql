-- The customer-month spine of the monthly marts, with the receivable at each end of the month: one row per
-- (customer_id, currency_code, month_start_date), for every month from the month of the customer's first invoice
-- in the currency up to the month of as_of_date. A finished month ends on its last day, the month of as_of_date on
-- as_of_date (period_end_date). rpt_collections_monthly_by_customer and rpt_ar_rollforward both read it, so their
-- months and their balances cannot drift apart.
--
-- The balances are the open amounts of the customer's invoices in the currency dated on or before as_of_date, as
-- int_invoice_balances_accumulated holds them (a movement dated before its invoice counts from the invoice date):
-- ending_ar_amount is the balance in force on period_end_date, opening_ar_amount the one in force at the end of the
-- day before month_start_date, i.e. the previous month's ending (0 in the first month). Movements dated after
-- as_of_date do not count. ending_ar_amount is the running sum of each month's balance changes: the same number as
-- the sum of the balances in force on period_end_date, but it reads each balance row once instead of once a month.
--
-- It depends on as_of_date. Incremental like the monthly marts that read it: a run rebuilds the months from
-- monthly_restate_from(minimum_months=1) (the widest window of its readers) and keeps the older ones. The running
-- sums then start from the receivable carried into the first rebuilt month: the balances in force the day before
-- it, read from int_invoice_balances_accumulated (the same sum as all the changes before it), so a day's work
-- follows the open items and the window, not the history. The pre-hook deletes every month from the first rebuilt
-- one on, so building an earlier date drops the months after it.
{%- set window_start = monthly_restate_from(minimum_months=1) if is_incremental() else none %}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='month_start_date',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['customer_id', 'currency_code']}, {'columns': ['month_start_date']}],
    pre_hook="{% if is_incremental() %}delete from {{ this }} where month_start_date >= {{ monthly_restate_from(minimum_months=1) }}{% endif %}",
) }}

with

-- invoices_issued is written out where it is used (the Jinja variable below), not as one CTE: PostgreSQL would materialize a
-- CTE read three times, all the invoices of the history, where each use needs only a few of them.
{%- set invoices_issued -%}
    (select * from {{ ref('stg_erp__invoices') }} where invoice_date <= {{ as_of_date() }})
{%- endset %}

-- The customer-currencies and the month each one's spine starts. A first build reads every invoice; an
-- incremental run only the invoices dated in the rebuilt window and the pairs the table already holds from before
-- it (their spine continues into the window), so its work follows the window, not the history.
customer_currencies as (
    {%- if window_start is not none %}
    select
        customer_id,
        currency_code,
        min(first_month_start_date) as first_month_start_date
    from (
        -- Every pair the table holds has a row in the last month it was built to (each spine runs up to the month
        -- of its run's as_of_date), so that month's rows name them all without reading the history.
        select
            customer_id,
            currency_code,
            {{ window_start }} as first_month_start_date
        from {{ this }}
        where month_start_date = (
            select max(month_start_date) from {{ this }} where month_start_date < {{ window_start }}
        )
        union all
        select
            customer_id,
            currency_code,
            cast({{ dbt.date_trunc('month', 'min(invoice_date)') }} as date)
        from {{ invoices_issued }} as invoices_issued
        where invoice_date >= {{ window_start }}
        group by customer_id, currency_code
    ) as spine_starts
    group by customer_id, currency_code
    {%- else %}
    select
        customer_id,
        currency_code,
        cast({{ dbt.date_trunc('month', 'min(invoice_date)') }} as date) as first_month_start_date
    from {{ invoices_issued }} as invoices_issued
    group by customer_id, currency_code
    {%- endif %}
),

-- Every month start from the earliest spine start up to the month of as_of_date, from dbt's cross-database
-- generate_series (a hundred years of months at most).
{%- set spine_start = '(select min(' ~ ('greatest(first_month_start_date, ' ~ window_start ~ ')' if window_start is not none else 'first_month_start_date') ~ ') from customer_currencies)' %}
month_starts as (
    select
        cast({{ dbt.dateadd('month', 'month_numbers.generated_number - 1', spine_start) }} as date) as month_start
    from ({{ dbt.generate_series(1200) }}) as month_numbers
    where month_numbers.generated_number - 1
        <= {{ dbt.datediff(spine_start, dbt.date_trunc('month', as_of_date()), 'month') }}
),

-- Every month from the customer's first invoice in the currency up to the month of as_of_date, none skipped, so
-- a month without any movement still has a row (and the running sums below carry the balance through it).
customer_months as (
    select
        customer_currencies.customer_id,
        customer_currencies.currency_code,
        month_starts.month_start as month_start_date,
        least(
            cast({{ dbt.last_day('month_starts.month_start', 'month') }} as date), {{ as_of_date() }}
        ) as period_end_date
    from customer_currencies
    inner join month_starts
        {%- if window_start is not none %}
        on month_starts.month_start >= greatest(customer_currencies.first_month_start_date, {{ window_start }})
        {%- else %}
        on month_starts.month_start >= customer_currencies.first_month_start_date
        {%- endif %}
),

-- The receivable's change per month: the balance changes of the issued invoices dated in the month, up to
-- as_of_date. balance_date is never before the invoice date, so no change falls before the first month.
monthly_ar_changes as (
    select
        invoices_issued.customer_id,
        invoices_issued.currency_code,
        cast({{ dbt.date_trunc('month', 'balances.balance_date') }} as date) as month_start_date,
        sum(balances.net_movement_amount) as ar_change_amount
    from {{ ref('int_invoice_balances_accumulated') }} as balances
    inner join {{ invoices_issued }} as invoices_issued
        on balances.invoice_id = invoices_issued.invoice_id
    where balances.balance_date <= {{ as_of_date() }}
    {%- if window_start is not none %}
        and balances.balance_date >= {{ window_start }}
    {%- endif %}
    group by
        invoices_issued.customer_id,
        invoices_issued.currency_code,
        cast({{ dbt.date_trunc('month', 'balances.balance_date') }} as date)
),

-- What the customer owed when the first month rebuilt began (0 on a first build, which starts at the beginning).
carried_balances as (
    {%- if window_start is not none %}
    -- Only balances not zero: a settled invoice carries nothing, and most of the history is settled.
    select
        invoices_issued.customer_id,
        invoices_issued.currency_code,
        sum(balances.open_amount) as carried_ar_amount
    from {{ ref('int_invoice_balances_accumulated') }} as balances
    inner join {{ invoices_issued }} as invoices_issued
        on balances.invoice_id = invoices_issued.invoice_id
    where {{ in_force_on(dbt.dateadd('day', -1, window_start), 'balances') }}
        and balances.open_amount <> 0
    group by invoices_issued.customer_id, invoices_issued.currency_code
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as currency_code,
        cast(0 as {{ type_exact_numeric() }}) as carried_ar_amount
    where false
    {%- endif %}
),

customer_months_balanced as (
    select
        customer_months.customer_id,
        customer_months.currency_code,
        customer_months.month_start_date,
        customer_months.period_end_date,
        coalesce(monthly_ar_changes.ar_change_amount, 0) as ar_change_amount,
        coalesce(carried_balances.carried_ar_amount, 0)
            + sum(coalesce(monthly_ar_changes.ar_change_amount, 0)) over customer_history as ending_ar_amount
    from customer_months
    left join monthly_ar_changes
        on customer_months.customer_id = monthly_ar_changes.customer_id
        and customer_months.currency_code = monthly_ar_changes.currency_code
        and customer_months.month_start_date = monthly_ar_changes.month_start_date
    left join carried_balances
        on customer_months.customer_id = carried_balances.customer_id
        and customer_months.currency_code = carried_balances.currency_code
    window customer_history as (
        partition by customer_months.customer_id, customer_months.currency_code
        order by customer_months.month_start_date
        rows between unbounded preceding and current row
    )
),

final as (
    select
        customer_id,
        currency_code,
        month_start_date,
        period_end_date,
        {{ dbt.datediff('month_start_date', 'period_end_date', 'day') }} + 1 as days_in_period,
        cast(ending_ar_amount - ar_change_amount as decimal(18, 2)) as opening_ar_amount,
        cast(ending_ar_amount as decimal(18, 2)) as ending_ar_amount
    from customer_months_balanced
)

select * from final
