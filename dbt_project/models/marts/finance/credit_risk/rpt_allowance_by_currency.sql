-- The expected-loss allowance per currency as of as_of_date: the provision matrix (seed provision_matrix) applied
-- to every invoice open on the date, whatever its customer's own currency, and totalled per currency. Amounts in
-- different currencies are never added. Rebuilt whole on every run for the as_of_date var; see the doc block
-- credit_risk_allowance. Per invoice, the rule and the rounding are rpt_credit_risk's (one macro).
with

-- The invoices open on as_of_date with their open amount and days past due: fct_ar_aging's snapshot for the date,
-- built earlier in the same run, so the allowance is booked on exactly the open items the aging shows. The table
-- keeps every earlier date too, hence the filter; columns are named so that columns added to it later do not flow
-- in here.
aging as (
    select
        as_of_date,
        currency_code,
        open_amount,
        days_past_due
    from {{ ref('fct_ar_aging') }}
),

open_invoices as (
    select * from aging
    where as_of_date = {{ as_of_date() }}
),

-- The allowance per invoice, by the provision matrix on days past due (macro credit_risk_invoice_allowance).
open_invoices_provisioned as (
    {{ credit_risk_invoice_allowance('open_invoices') }}
),

currency_totals as (
    select
        currency_code,
        count(*) as open_invoice_count,
        sum(open_amount) as open_amount,
        sum(case when open_amount > 0 then open_amount else 0 end) as receivable_amount,
        sum(allowance_amount) as allowance_amount
    from open_invoices_provisioned
    group by currency_code
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        currency_code,
        cast(open_invoice_count as integer) as open_invoice_count,
        cast(open_amount as decimal(18, 2)) as open_amount,
        cast(receivable_amount as decimal(18, 2)) as receivable_amount,
        cast(allowance_amount as decimal(18, 2)) as allowance_amount,
        cast(allowance_amount / nullif(receivable_amount, 0) as decimal(18, 6)) as allowance_coverage
    from currency_totals
)

select * from final
