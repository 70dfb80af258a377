-- Collections company-wide: one row per month and currency, from the month of the first invoice in the currency
-- up to the month of as_of_date (amounts in different currencies are never added). The amounts are the sums of
-- rpt_collections_monthly_by_customer's, which already measures every month as of its last day (the current month
-- as of as_of_date); the ratios and DSOs are then worked out again from those sums by the same macro, never
-- averaged across customers. Rebuilt whole on every run.
with

customer_months as (
    select * from {{ ref('rpt_collections_monthly_by_customer') }}
),

monthly_amounts as (
    select
        currency_code,
        month_start_date,
        period_end_date,
        days_in_period,
        -- One industry per build (the var `industry`), carried through so the var is read in one model only.
        industry,
        industry_benchmark_dso_low,
        industry_benchmark_dso_high,
        sum(credit_sales_amount) as credit_sales_amount,
        sum(cash_collected_amount) as cash_collected_amount,
        sum(credit_note_amount) as credit_note_amount,
        sum(write_off_amount) as write_off_amount,
        sum(fell_due_amount) as fell_due_amount,
        sum(opening_ar_amount) as opening_ar_amount,
        sum(ending_ar_amount) as ending_ar_amount,
        sum(ending_current_ar_amount) as ending_current_ar_amount
    from customer_months
    group by
        currency_code,
        month_start_date,
        period_end_date,
        days_in_period,
        industry,
        industry_benchmark_dso_low,
        industry_benchmark_dso_high
),

{{ collections_monthly_metrics('monthly_amounts', ['currency_code']) }},

final as (
    select
        {{ as_of_date() }} as as_of_date,
        month_start_date,
        period_end_date,
        days_in_period,
        currency_code,
        cast(credit_sales_amount as decimal(18, 2)) as credit_sales_amount,
        cast(cash_collected_amount as decimal(18, 2)) as cash_collected_amount,
        cast(credit_note_amount as decimal(18, 2)) as credit_note_amount,
        cast(write_off_amount as decimal(18, 2)) as write_off_amount,
        cast(fell_due_amount as decimal(18, 2)) as fell_due_amount,
        cast(opening_ar_amount as decimal(18, 2)) as opening_ar_amount,
        cast(ending_ar_amount as decimal(18, 2)) as ending_ar_amount,
        cast(ending_current_ar_amount as decimal(18, 2)) as ending_current_ar_amount,
        collection_rate,
        dso_simple,
        dso_countback,
        best_possible_dso,
        average_days_delinquent,
        cei_pct,
        bad_debt_ratio,
        dso_quarterly,
        dso_quarter_change,
        is_dso_trend_alert,
        industry,
        industry_benchmark_dso_low,
        industry_benchmark_dso_high
    from monthly_metrics
)

select * from final
