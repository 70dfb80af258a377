-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(payment_id as {{ dbt.type_string() }}) as payment_id,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(payment_date as date) as payment_date,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(amount as decimal(18, 2)) as payment_amount,
    cast(reference as {{ dbt.type_string() }}) as payment_reference,
    source_updated_at,
    cast(_batch_id as bigint) as load_batch_id,
    _loaded_at as loaded_at

from {{ source('raw_erp', 'payments') }} as source
