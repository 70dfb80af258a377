-- The expected-loss allowance per currency as of as_of_date: the provision matrix (seed provision_matrix) applied
-- to every invoice open on the date, whatever its customer's own currency, and totalled per currency. Amounts in
-- different currencies are never added. Rebuilt whole on every run for the as_of_date var; see the doc block
-- credit_risk_allowance. Per invoice, the rule and the rounding are the same as in rpt_credit_risk.
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

aging_buckets as (
    select * from {{ ref('aging_buckets') }}
),

provision_matrix as (
    select * from {{ ref('provision_matrix') }}
),

open_invoices as (
    select * from aging
    where as_of_date = {{ as_of_date() }}
),

-- Loss rate by the aging bucket of the days past due, rounded to the cent per invoice; credit balances (open amount
-- below zero) carry no allowance. As in rpt_credit_risk, the bucket is looked up on days past due rather than
-- taken from fct_ar_aging.aging_bucket, which follows the var aging_basis.
open_invoices_provisioned as (
    select
        open_invoices.*,
        case
            when open_invoices.open_amount > 0
                then round(open_invoices.open_amount * provision_matrix.loss_rate, 2)
            else 0
        end as allowance_amount
    from open_invoices
    left join aging_buckets
        on (aging_buckets.min_days is null or open_invoices.days_past_due >= aging_buckets.min_days)
        and (aging_buckets.max_days is null or open_invoices.days_past_due <= aging_buckets.max_days)
    left join provision_matrix
        on aging_buckets.bucket_name = provision_matrix.aging_bucket
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
        cast(open_amount as numeric(18, 2)) as open_amount,
        cast(receivable_amount as numeric(18, 2)) as receivable_amount,
        cast(allowance_amount as numeric(18, 2)) as allowance_amount,
        cast(allowance_amount / nullif(receivable_amount, 0) as numeric(18, 6)) as allowance_coverage
    from currency_totals
)

select * from final
