-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(payment_id as {{ dbt.type_string() }}) as payment_id,
    cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
    cast(applied_date as date) as applied_date,
    cast(applied_amount as decimal(18, 2)) as applied_amount,
    source_updated_at,
    cast(_batch_id as bigint) as load_batch_id,
    _loaded_at as loaded_at

from {{ source('raw_erp', 'payment_applications') }} as source
