-- Collections by month and customer: one row per month, customer and currency, from the month of the customer's
-- first invoice in that currency up to the month of as_of_date. A month is measured as of its last day, the
-- current (incomplete) month as of as_of_date: period_end_date and days_in_period say which (doc block
-- collections_period). rpt_collections_monthly rolls these rows up per currency.
--
-- Incremental: a daily run rebuilds only the month of as_of_date and the var monthly_restate_months (1) months
-- before it (late postings into the previous month land there) and keeps the older months as they were built;
-- their amounts are read back from this table for the metrics that look back (count-back DSO, quarterly trend).
-- The pre-hook first deletes every month from the first rebuilt one on, so building an earlier date drops the
-- months after it. A correction dated further back needs that month restated: a run with a larger
-- monthly_restate_months, or --full-refresh (the whole history, as the first build does).
--
-- The months and their opening and ending AR come from int_customer_months_balanced (shared with
-- rpt_ar_rollforward), which takes the receivable from int_invoice_balances_accumulated. Every movement below is
-- dated as that balance logic dates it: on its document date, or on the invoice date when it is dated earlier (a
-- payment applied ahead of its invoice). So the flows below and the receivable always roll forward (data test
-- collections_ar_rolls_forward).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='month_start_date',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['customer_id']}, {'columns': ['month_start_date']}],
    pre_hook="{% if is_incremental() %}delete from {{ this }} where month_start_date >= {{ monthly_restate_from() }}{% endif %}",
) }}

with

-- The month spine (period end, days in period) and the opening and ending AR of every month rebuilt.
customer_months as (
    select * from {{ ref('int_customer_months_balanced') }}
    {%- if is_incremental() %}
    where month_start_date >= {{ monthly_restate_from() }}
    {%- endif %}
),

industry_benchmarks as (
    select * from {{ ref('dso_industry_benchmarks') }}
),

-- The flows are shown positive (a payment reversal is a negative cash collection); unapplied cash is not here:
-- see doc block collections_cash_collected. Same dating and classification as the roll-forward (one macro).
monthly_flows as (
    select
        customer_id,
        currency_code,
        month_start_date,
        invoiced_amount as credit_sales_amount,
        collected_amount as cash_collected_amount,
        credit_note_amount,
        write_off_amount
    from (
        {{ customer_monthly_flows(
            ref('int_invoice_movements_unioned'), monthly_restate_from() if is_incremental() else none
        ) }}
    ) as flows
),

monthly_fell_due as (
    select
        customer_id,
        currency_code,
        cast({{ dbt.date_trunc('month', 'due_date') }} as date) as month_start_date,
        sum(invoice_amount) as fell_due_amount
    from {{ ref('stg_erp__invoices') }}
    where invoice_date <= {{ as_of_date() }}
        and due_date <= {{ as_of_date() }}
    {%- if is_incremental() %}
        and due_date >= {{ monthly_restate_from() }}
    {%- endif %}
    group by customer_id, currency_code, cast({{ dbt.date_trunc('month', 'due_date') }} as date)
),

-- Current AR: the open amount, in force on the period's end day, of the invoices issued by then and not past due
-- on it (due_date >= period_end_date, the aging bucket `current`). Only the few month ends between an invoice's
-- date and its due date are joined; the customer's spine has every one of them, since it starts with the month of
-- the customer's first invoice in the currency.
monthly_current_ar as (
    select
        customer_months.customer_id,
        customer_months.currency_code,
        customer_months.month_start_date,
        sum(balances.open_amount) as ending_current_ar_amount
    from customer_months
    inner join {{ ref('stg_erp__invoices') }} as invoices_issued
        on customer_months.customer_id = invoices_issued.customer_id
        and customer_months.currency_code = invoices_issued.currency_code
        and invoices_issued.invoice_date <= customer_months.period_end_date
        and invoices_issued.due_date >= customer_months.period_end_date
    inner join {{ ref('int_invoice_balances_accumulated') }} as balances
        on invoices_issued.invoice_id = balances.invoice_id
        and {{ in_force_on('customer_months.period_end_date', 'balances') }}
    {%- if is_incremental() %}
    -- Implied by the join (no period ends before the first month rebuilt); stated so that the invoices are found
    -- by due date (an index) rather than by reading every invoice of the history.
    where invoices_issued.due_date >= {{ monthly_restate_from() }}
    {%- endif %}
    group by customer_months.customer_id, customer_months.currency_code, customer_months.month_start_date
),

monthly_amounts_rebuilt as (
    select
        customer_months.customer_id,
        customer_months.currency_code,
        customer_months.month_start_date,
        customer_months.period_end_date,
        customer_months.days_in_period,
        coalesce(monthly_flows.credit_sales_amount, 0) as credit_sales_amount,
        coalesce(monthly_flows.cash_collected_amount, 0) as cash_collected_amount,
        coalesce(monthly_flows.credit_note_amount, 0) as credit_note_amount,
        coalesce(monthly_flows.write_off_amount, 0) as write_off_amount,
        coalesce(monthly_fell_due.fell_due_amount, 0) as fell_due_amount,
        customer_months.opening_ar_amount,
        customer_months.ending_ar_amount,
        coalesce(monthly_current_ar.ending_current_ar_amount, 0) as ending_current_ar_amount
    from customer_months
    left join monthly_flows
        on customer_months.customer_id = monthly_flows.customer_id
        and customer_months.currency_code = monthly_flows.currency_code
        and customer_months.month_start_date = monthly_flows.month_start_date
    left join monthly_fell_due
        on customer_months.customer_id = monthly_fell_due.customer_id
        and customer_months.currency_code = monthly_fell_due.currency_code
        and customer_months.month_start_date = monthly_fell_due.month_start_date
    left join monthly_current_ar
        on customer_months.customer_id = monthly_current_ar.customer_id
        and customer_months.currency_code = monthly_current_ar.currency_code
        and customer_months.month_start_date = monthly_current_ar.month_start_date
),

{%- set kept_columns = [
    'customer_id', 'currency_code', 'month_start_date', 'period_end_date', 'days_in_period', 'credit_sales_amount',
    'cash_collected_amount', 'credit_note_amount', 'write_off_amount', 'fell_due_amount', 'opening_ar_amount',
    'ending_ar_amount', 'ending_current_ar_amount',
] %}
{%- if is_incremental() %}
{#- The look-back horizon: the start of the second quarter before the first rebuilt month's quarter. #}
{%- set look_back_from = "cast(" ~ dbt.dateadd('month', -6, dbt.date_trunc('quarter', monthly_restate_from())) ~ " as date)" %}

-- The months kept from earlier runs that the metrics look back on, read without going through the whole history:
--   * the quarterly DSO trend of a rebuilt month's quarter needs the DSO of the two quarters before it, so every
--     kept month from the horizon (the start of the second quarter before the first rebuilt month's) on is read;
--   * the count-back walk from a rebuilt month goes back while the sales it passes fit in that month's ending AR.
--     Where the ending AR is below the kept sales since the horizon, the walk stops after the horizon; the few
--     customers (and currencies) whose AR is not below them (old debt, little recent buying) are read whole.
-- So the figures are exactly those of a full rebuild, at a cost that does not grow with the months kept.
kept_sales_since_horizon as (
    select
        customer_id,
        currency_code,
        sum(credit_sales_amount) as credit_sales_amount
    from {{ this }}
    where month_start_date >= {{ look_back_from }}
        and month_start_date < {{ monthly_restate_from() }}
    group by customer_id, currency_code
),

partitions_walking_past_horizon as (
    select
        rebuilt.customer_id,
        rebuilt.currency_code
    from monthly_amounts_rebuilt as rebuilt
    left join kept_sales_since_horizon
        on rebuilt.customer_id = kept_sales_since_horizon.customer_id
        and rebuilt.currency_code = kept_sales_since_horizon.currency_code
    where rebuilt.ending_ar_amount >= coalesce(kept_sales_since_horizon.credit_sales_amount, 0)
    group by rebuilt.customer_id, rebuilt.currency_code
),
{%- endif %}

-- The kept months the metrics look back on, then the rebuilt ones.
monthly_amounts as (
    {%- if is_incremental() %}
    select {{ kept_columns | join(', ') }}
    from {{ this }}
    where month_start_date >= {{ look_back_from }}
        and month_start_date < {{ monthly_restate_from() }}
    union all
    select {{ kept_columns | join(', ') }}
    from {{ this }} as kept
    where kept.month_start_date < {{ look_back_from }}
        and exists (
            select 1 from partitions_walking_past_horizon as walking
            where walking.customer_id = kept.customer_id and walking.currency_code = kept.currency_code
        )
    union all
    {%- endif %}
    select {{ kept_columns | join(', ') }} from monthly_amounts_rebuilt
),

{{ collections_monthly_metrics(
    'monthly_amounts',
    ['customer_id', 'currency_code'],
    latest_from=monthly_restate_from() if is_incremental() else none,
) }},

final as (
    select
        {{ as_of_date() }} as as_of_date,
        monthly_metrics.month_start_date,
        monthly_metrics.period_end_date,
        monthly_metrics.days_in_period,
        monthly_metrics.customer_id,
        monthly_metrics.currency_code,
        cast(monthly_metrics.credit_sales_amount as decimal(18, 2)) as credit_sales_amount,
        cast(monthly_metrics.cash_collected_amount as decimal(18, 2)) as cash_collected_amount,
        cast(monthly_metrics.credit_note_amount as decimal(18, 2)) as credit_note_amount,
        cast(monthly_metrics.write_off_amount as decimal(18, 2)) as write_off_amount,
        cast(monthly_metrics.fell_due_amount as decimal(18, 2)) as fell_due_amount,
        cast(monthly_metrics.opening_ar_amount as decimal(18, 2)) as opening_ar_amount,
        cast(monthly_metrics.ending_ar_amount as decimal(18, 2)) as ending_ar_amount,
        cast(monthly_metrics.ending_current_ar_amount as decimal(18, 2)) as ending_current_ar_amount,
        monthly_metrics.collection_rate,
        monthly_metrics.dso_simple,
        monthly_metrics.dso_countback,
        monthly_metrics.best_possible_dso,
        monthly_metrics.average_days_delinquent,
        monthly_metrics.cei_pct,
        monthly_metrics.bad_debt_ratio,
        monthly_metrics.dso_quarterly,
        monthly_metrics.dso_quarter_change,
        monthly_metrics.is_dso_trend_alert,
        industry_benchmarks.industry,
        industry_benchmarks.benchmark_dso_low as industry_benchmark_dso_low,
        industry_benchmarks.benchmark_dso_high as industry_benchmark_dso_high
    from monthly_metrics
    -- A var naming no industry of the seed leaves these null, which the contract's not-null constraints reject.
    left join industry_benchmarks
        on industry_benchmarks.industry = '{{ var("industry", "manufacturing") }}'
    {%- if is_incremental() %}
    where monthly_metrics.month_start_date >= {{ monthly_restate_from() }}
    {%- endif %}
)

select * from final
