{#
    collections_monthly_metrics(amounts, partition_by): the collections metrics of a monthly receivables series,
    shared by rpt_collections_monthly (partition_by ['currency_code']) and rpt_collections_monthly_by_customer
    (['customer_id', 'currency_code']) so that both compute every metric the same way.

    `amounts` names a CTE with one row per partition and month, contiguous from the partition's first month to the
    month of as_of_date, and the columns month_start_date, period_end_date, days_in_period, credit_sales_amount,
    cash_collected_amount, write_off_amount, fell_due_amount, opening_ar_amount, ending_ar_amount and
    ending_current_ar_amount (any other column is carried through).

    Emits CTEs (no leading or trailing comma) ending in `monthly_metrics`: the input columns plus collection_rate,
    dso_simple, dso_countback, best_possible_dso, average_days_delinquent, cei_pct, bad_debt_ratio, dso_quarterly,
    dso_quarter_change and is_dso_trend_alert. Every metric is computed at full numeric precision and rounded only
    in monthly_metrics (days to 2 decimals, ratios to 4, cei_pct to 2), so average_days_delinquent is the
    difference of the unrounded DSOs. The definitions and worked examples are the doc blocks in
    models/marts/finance/collections/_collections__docs.md.

    latest_from (a SQL date, optional): the first month whose metrics the caller keeps. The count-back walk, the
    one step whose work grows with the square of the history, is then only done from those months (it still
    walks back into any earlier month); an incremental model passes the first month it rebuilds.
#}
{% macro collections_monthly_metrics(amounts, partition_by, latest_from=none) %}
    {%- set keys = partition_by | join(', ') -%}
    {#- DSO up by more than this share of the previous quarter's DSO, two quarters in a row, raises the alert. -#}
    {%- set dso_trend_alert_threshold = 0.15 -%}

amounts_cumulated as (
    select
        *,
        -- Credit sales from the partition's first month up to this one: the count-back walk reads the sales of
        -- any run of months as the difference of two of these.
        sum(credit_sales_amount) over (
            partition by {{ keys }} order by month_start_date
            rows between unbounded preceding and current row
        ) as cumulative_credit_sales_amount,
        cast({{ dbt.date_trunc('quarter', 'month_start_date') }} as date) as quarter_start_date
    from {{ amounts }}
),

-- Count-back DSO: for each month (latest), the months the walk back from it reaches. Walking back, the remainder
-- before month j is the ending AR less the sales of the months after j up to latest; the walk reaches j while
-- that remainder is not negative (invoices are positive, so those sales only grow as j moves back and the months
-- reached are one unbroken run back from latest). A month whose sales fit in the remainder counts all its days;
-- the first one whose sales are larger counts the fraction remainder / sales of its days, and the walk stops.
-- AR larger than every month's sales uses up the whole history (every day counts, nothing more); AR of zero or
-- below reaches nothing (dso_countback 0).
countback_months_walked as (
    select
        {%- for key in partition_by %}
        latest.{{ key }},
        {%- endfor %}
        latest.month_start_date,
        case
            when latest.cumulative_credit_sales_amount - earlier.cumulative_credit_sales_amount
                + earlier.credit_sales_amount <= latest.ending_ar_amount
                then earlier.days_in_period
            else earlier.days_in_period
                * (latest.ending_ar_amount
                    - (latest.cumulative_credit_sales_amount - earlier.cumulative_credit_sales_amount))
                / earlier.credit_sales_amount
        end as countback_days
    from amounts_cumulated as latest
    inner join amounts_cumulated as earlier
        on
        {%- for key in partition_by %}
        earlier.{{ key }} = latest.{{ key }} and
        {%- endfor %}
        earlier.month_start_date <= latest.month_start_date
        and latest.cumulative_credit_sales_amount - earlier.cumulative_credit_sales_amount
            <= latest.ending_ar_amount
    where latest.ending_ar_amount > 0
    {%- if latest_from is not none %}
        and latest.month_start_date >= {{ latest_from }}
    {%- endif %}
),

countback_dso as (
    select
        {{ keys }},
        month_start_date,
        sum(countback_days) as dso_countback
    from countback_months_walked
    group by {{ keys }}, month_start_date
),

-- Quarterly DSO, on the last month of each quarter only: ending AR on the quarter's last day (or on as_of_date
-- in the current quarter) / the quarter's credit sales x the quarter's days up to that day.
quarterly_dso as (
    select
        {{ keys }},
        month_start_date,
        {{ collections_days_of_sales(
            'ending_ar_amount',
            'quarter_credit_sales_amount',
            '(' ~ dbt.datediff('quarter_start_date', 'period_end_date', 'day') ~ ' + 1)'
        ) }} as dso_quarterly
    from (
        select
            *,
            sum(credit_sales_amount) over (partition by {{ keys }}, quarter_start_date)
                as quarter_credit_sales_amount
        from amounts_cumulated
    ) as amounts_with_quarter_sales
    where extract(month from month_start_date) in (3, 6, 9, 12)
),

-- The series is contiguous, so the previous quarter-end row is the previous quarter. The change is relative to
-- the previous quarter's DSO and is null unless that DSO is above zero.
quarterly_dso_changes as (
    select
        *,
        case
            when lag(dso_quarterly) over quarters > 0
                then (dso_quarterly - lag(dso_quarterly) over quarters) / lag(dso_quarterly) over quarters
        end as dso_quarter_change
    from quarterly_dso
    window quarters as (partition by {{ keys }} order by month_start_date)
),

quarterly_dso_alerts as (
    select
        *,
        coalesce(
            dso_quarter_change > {{ dso_trend_alert_threshold }}
            and lag(dso_quarter_change) over (partition by {{ keys }} order by month_start_date)
                > {{ dso_trend_alert_threshold }},
            false
        ) as is_dso_trend_alert
    from quarterly_dso_changes
),

-- Every metric at full precision, one row per partition and month.
metrics_exact as (
    select
        {%- for key in partition_by %}
        amounts_cumulated.{{ key }},
        {%- endfor %}
        amounts_cumulated.month_start_date,
        case
            when amounts_cumulated.fell_due_amount <> 0
                then amounts_cumulated.cash_collected_amount / amounts_cumulated.fell_due_amount
        end as collection_rate,
        {{ collections_days_of_sales(
            'amounts_cumulated.ending_ar_amount',
            'amounts_cumulated.credit_sales_amount',
            'amounts_cumulated.days_in_period'
        ) }} as dso_simple,
        coalesce(countback_dso.dso_countback, 0) as dso_countback,
        {{ collections_days_of_sales(
            'amounts_cumulated.ending_current_ar_amount',
            'amounts_cumulated.credit_sales_amount',
            'amounts_cumulated.days_in_period'
        ) }} as best_possible_dso,
        case
            when amounts_cumulated.opening_ar_amount + amounts_cumulated.credit_sales_amount
                - amounts_cumulated.ending_current_ar_amount <> 0
                then 100
                    * (amounts_cumulated.opening_ar_amount + amounts_cumulated.credit_sales_amount
                        - amounts_cumulated.ending_ar_amount)
                    / (amounts_cumulated.opening_ar_amount + amounts_cumulated.credit_sales_amount
                        - amounts_cumulated.ending_current_ar_amount)
        end as cei_pct,
        case
            when amounts_cumulated.credit_sales_amount > 0
                then amounts_cumulated.write_off_amount / amounts_cumulated.credit_sales_amount
        end as bad_debt_ratio,
        quarterly_dso_alerts.dso_quarterly,
        quarterly_dso_alerts.dso_quarter_change,
        quarterly_dso_alerts.is_dso_trend_alert
    from amounts_cumulated
    left join countback_dso
        on
        {%- for key in partition_by %}
        amounts_cumulated.{{ key }} = countback_dso.{{ key }} and
        {%- endfor %}
        amounts_cumulated.month_start_date = countback_dso.month_start_date
    left join quarterly_dso_alerts
        on
        {%- for key in partition_by %}
        amounts_cumulated.{{ key }} = quarterly_dso_alerts.{{ key }} and
        {%- endfor %}
        amounts_cumulated.month_start_date = quarterly_dso_alerts.month_start_date
),

-- Rounded for display only: days to 2 decimals, ratios to 4, cei_pct (a percentage) to 2.
-- average_days_delinquent is the difference of the unrounded DSOs, rounded once.
monthly_metrics as (
    select
        amounts_cumulated.*,
        cast(round(metrics_exact.collection_rate, 4) as decimal(18, 4)) as collection_rate,
        cast(round(metrics_exact.dso_simple, 2) as decimal(18, 2)) as dso_simple,
        cast(round(metrics_exact.dso_countback, 2) as decimal(18, 2)) as dso_countback,
        cast(round(metrics_exact.best_possible_dso, 2) as decimal(18, 2)) as best_possible_dso,
        cast(round(metrics_exact.dso_simple - metrics_exact.best_possible_dso, 2) as decimal(18, 2))
            as average_days_delinquent,
        cast(round(metrics_exact.cei_pct, 2) as decimal(18, 2)) as cei_pct,
        cast(round(metrics_exact.bad_debt_ratio, 4) as decimal(18, 4)) as bad_debt_ratio,
        cast(round(metrics_exact.dso_quarterly, 2) as decimal(18, 2)) as dso_quarterly,
        cast(round(metrics_exact.dso_quarter_change, 4) as decimal(18, 4)) as dso_quarter_change,
        metrics_exact.is_dso_trend_alert
    from amounts_cumulated
    inner join metrics_exact
        on
        {%- for key in partition_by %}
        amounts_cumulated.{{ key }} = metrics_exact.{{ key }} and
        {%- endfor %}
        amounts_cumulated.month_start_date = metrics_exact.month_start_date
)
{%- endmacro %}
