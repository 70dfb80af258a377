-- Tie-out of rpt_ar_aging_by_customer to fct_ar_aging for as_of_date: one row per currency_code that either holds,
-- with both totals of open invoices and their difference. The data test on difference_amount fails on any row
-- where they differ (a customer row dropped, duplicated or bucketed twice). Sums are per currency because amounts
-- in different currencies do not add up. It is a table, not a singular test, so auditors can read it too.
with

aging as (
    select * from {{ ref('fct_ar_aging') }}
),

aging_by_customer as (
    select * from {{ ref('rpt_ar_aging_by_customer') }}
),

aging_totals as (
    select
        currency_code,
        sum(open_amount) as aging_open_amount
    from aging
    where as_of_date = {{ as_of_date() }}
    group by currency_code
),

customer_totals as (
    select
        currency_code,
        sum(open_invoices_amount) as customers_open_invoices_amount
    from aging_by_customer
    group by currency_code
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        coalesce(aging_totals.currency_code, customer_totals.currency_code) as currency_code,
        cast(coalesce(aging_totals.aging_open_amount, 0) as decimal(18, 2)) as aging_open_amount,
        cast(coalesce(customer_totals.customers_open_invoices_amount, 0) as decimal(18, 2))
            as customers_open_invoices_amount,
        cast(
            coalesce(customer_totals.customers_open_invoices_amount, 0) - coalesce(aging_totals.aging_open_amount, 0)
            as decimal(18, 2)
        ) as difference_amount
    from aging_totals
    full outer join customer_totals
        on aging_totals.currency_code = customer_totals.currency_code
)

select * from final
