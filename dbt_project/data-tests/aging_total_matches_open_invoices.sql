-- The aging snapshot of as_of_date and fct_invoices (rebuilt for the same date) must agree on what is open:
-- per currency, the same total open amount and the same number of open invoices. Sums are per currency because
-- amounts in different currencies do not add up. Returns the currencies where they differ; a fct_invoices built
-- for another date shows up here too, since it then has no rows for as_of_date.
with

aging as (
    select * from {{ ref('fct_ar_aging') }}
    where as_of_date = {{ as_of_date() }}
),

invoices as (
    select * from {{ ref('fct_invoices') }}
    where as_of_date = {{ as_of_date() }}
),

aging_totals as (
    select
        currency_code,
        sum(open_amount) as open_amount,
        count(*) as open_invoice_count
    from aging
    group by currency_code
),

invoice_totals as (
    select
        currency_code,
        sum(open_amount) as open_amount,
        count(case when open_amount <> 0 then 1 end) as open_invoice_count
    from invoices
    group by currency_code
),

final as (
    select
        coalesce(aging_totals.currency_code, invoice_totals.currency_code) as currency_code,
        aging_totals.open_amount as aging_open_amount,
        invoice_totals.open_amount as invoices_open_amount,
        aging_totals.open_invoice_count as aging_open_invoice_count,
        invoice_totals.open_invoice_count as invoices_open_invoice_count
    from aging_totals
    full outer join invoice_totals
        on aging_totals.currency_code = invoice_totals.currency_code
    where coalesce(aging_totals.open_amount, 0) <> coalesce(invoice_totals.open_amount, 0)
        or coalesce(aging_totals.open_invoice_count, 0) <> coalesce(invoice_totals.open_invoice_count, 0)
)

select * from final
