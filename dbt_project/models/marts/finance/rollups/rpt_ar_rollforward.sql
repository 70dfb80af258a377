-- The receivable rolled forward by month, customer and currency: one row per (customer_id, currency_code,
-- month_start_date), from the month of the customer's first invoice in that currency up to the month of
-- as_of_date (the current month runs to as_of_date). Definitions: doc block rollups_rollforward.
--
--   opening + invoiced - collected - credit notes - write-offs + other adjustments = closing
--
-- The flows come from the dated movements (int_invoice_movements_unioned); the months and the opening balance come,
-- separately, from int_customer_months_balanced (shared with rpt_collections_monthly_by_customer): the balances of
-- the customer's invoices in force the day before the month (int_invoice_balances_accumulated). Both date a
-- movement on its document date, or on the invoice date when it is dated earlier, and count only invoices dated on
-- or before as_of_date, as fct_ar_aging does. Two checks make the table auditable: this month's closing against
-- next month's opening, and the current month's closing against the customer's open amount in fct_ar_aging.
-- Unapplied cash and unallocated credit notes move no invoice and are not in these balances.
--
-- Incremental, as rpt_collections_monthly_by_customer: a run rebuilds the month of as_of_date and the months of var
-- monthly_restate_months before it, but always the previous month too, whose closing is checked against the
-- current month's opening (next_opening_difference_amount); older months stay as built (as_of_date says by which
-- run). The pre-hook deletes every month from the first rebuilt one on.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='month_start_date',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['customer_id']}, {'columns': ['month_start_date']}],
    pre_hook="{% if is_incremental() %}delete from {{ this }} where month_start_date >= {{ monthly_restate_from(minimum_months=1) }}{% endif %}",
) }}

with

customer_months as (
    select * from {{ ref('int_customer_months_balanced') }}
    {%- if is_incremental() %}
    where month_start_date >= {{ monthly_restate_from(minimum_months=1) }}
    {%- endif %}
),

aging as (
    select * from {{ ref('fct_ar_aging') }}
),

-- Same dating and classification as the collections (one macro); named flows shown positive, other movement
-- types keep their sign and are added.
monthly_flows as (
    {{ customer_monthly_flows(
        ref('int_invoice_movements_unioned'), monthly_restate_from(minimum_months=1) if is_incremental() else none
    ) }}
),

aging_open_amounts as (
    select
        customer_id,
        currency_code,
        sum(open_amount) as aging_open_amount
    from aging
    where as_of_date = {{ as_of_date() }}
    group by customer_id, currency_code
),

rolled_forward as (
    select
        customer_months.customer_id,
        customer_months.currency_code,
        customer_months.month_start_date,
        customer_months.period_end_date,
        customer_months.opening_ar_amount as opening_balance_amount,
        coalesce(monthly_flows.invoiced_amount, 0) as invoiced_amount,
        coalesce(monthly_flows.collected_amount, 0) as collected_amount,
        coalesce(monthly_flows.credit_note_amount, 0) as credit_note_amount,
        coalesce(monthly_flows.write_off_amount, 0) as write_off_amount,
        coalesce(monthly_flows.other_adjustment_amount, 0) as other_adjustment_amount
    from customer_months
    left join monthly_flows
        on customer_months.customer_id = monthly_flows.customer_id
        and customer_months.currency_code = monthly_flows.currency_code
        and customer_months.month_start_date = monthly_flows.month_start_date
),

closed as (
    select
        *,
        opening_balance_amount
        + invoiced_amount
        - collected_amount
        - credit_note_amount
        - write_off_amount
        + other_adjustment_amount as closing_balance_amount,
        lead(opening_balance_amount) over (
            partition by customer_id, currency_code order by month_start_date
        ) as next_opening_balance_amount
    from rolled_forward
),

checked as (
    select
        closed.*,
        -- Null in the current month: there is no next month yet.
        closed.closing_balance_amount - closed.next_opening_balance_amount as next_opening_difference_amount,
        case
            when closed.month_start_date = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
                then closed.closing_balance_amount - coalesce(aging_open_amounts.aging_open_amount, 0)
        end as aging_difference_amount
    from closed
    left join aging_open_amounts
        on closed.customer_id = aging_open_amounts.customer_id
        and closed.currency_code = aging_open_amounts.currency_code
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        customer_id,
        currency_code,
        month_start_date,
        period_end_date,
        cast(opening_balance_amount as decimal(18, 2)) as opening_balance_amount,
        cast(invoiced_amount as decimal(18, 2)) as invoiced_amount,
        cast(collected_amount as decimal(18, 2)) as collected_amount,
        cast(credit_note_amount as decimal(18, 2)) as credit_note_amount,
        cast(write_off_amount as decimal(18, 2)) as write_off_amount,
        cast(other_adjustment_amount as decimal(18, 2)) as other_adjustment_amount,
        cast(closing_balance_amount as decimal(18, 2)) as closing_balance_amount,
        cast(next_opening_difference_amount as decimal(18, 2)) as next_opening_difference_amount,
        cast(aging_difference_amount as decimal(18, 2)) as aging_difference_amount,
        coalesce(next_opening_difference_amount, 0) <> 0
            or coalesce(aging_difference_amount, 0) <> 0 as has_difference
    from checked
)

select * from final
