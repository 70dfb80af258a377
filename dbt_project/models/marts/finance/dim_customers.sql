with

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

final as (
    select
        customer_id,
        customer_name,
        country_code,
        currency_code,
        credit_limit_amount,
        payment_terms_days,
        risk_grade,
        insured_share
    from customers
)

select * from final
