with

source as (
    select * from {{ source('raw_erp', 'payment_applications') }}
),

final as (
    select
        cast(payment_id as text) as payment_id,
        cast(invoice_id as text) as invoice_id,
        cast(applied_date as date) as applied_date,
        cast(applied_amount as numeric(18, 2)) as applied_amount,
        source_updated_at,
        cast(_batch_id as bigint) as load_batch_id,
        _loaded_at as loaded_at

    from source
)

select * from final
