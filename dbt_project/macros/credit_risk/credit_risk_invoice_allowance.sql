{#
    credit_risk_invoice_allowance(open_invoices): a select of `open_invoices` (a CTE with open_amount and
    days_past_due) with allowance_amount added: the loss rate of the seed provision_matrix for the aging bucket of
    the days past due (bounds inclusive, a null bound open-ended), applied and rounded to the cent per invoice, so
    customer and currency totals add up. Credit balances (open amount below zero) carry no allowance. The bucket is
    looked up on days past due rather than taken from fct_ar_aging.aging_bucket, which counts days since the
    invoice when the var aging_basis is invoice_date: the provision matrix applies to days past due whatever view
    of the aging is chosen. Shared by rpt_credit_risk and rpt_allowance_by_currency, so both book the same amount.
#}
{% macro credit_risk_invoice_allowance(open_invoices) %}
    select
        {{ open_invoices }}.*,
        case
            when {{ open_invoices }}.open_amount > 0
                then round({{ open_invoices }}.open_amount * provision_matrix.loss_rate, 2)
            else 0
        end as allowance_amount
    from {{ open_invoices }}
    left join {{ ref('aging_buckets') }} as aging_buckets
        on (aging_buckets.min_days is null or {{ open_invoices }}.days_past_due >= aging_buckets.min_days)
        and (aging_buckets.max_days is null or {{ open_invoices }}.days_past_due <= aging_buckets.max_days)
    left join {{ ref('provision_matrix') }} as provision_matrix
        on aging_buckets.bucket_name = provision_matrix.aging_bucket
{% endmacro %}
