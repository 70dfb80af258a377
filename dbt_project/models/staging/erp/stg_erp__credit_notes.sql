-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(credit_note_id as {{ dbt.type_string() }}) as credit_note_id,
    cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(credit_note_date as date) as credit_note_date,
    cast(amount as decimal(18, 2)) as credit_note_amount,
    cast(reason as {{ dbt.type_string() }}) as credit_reason,
    source_updated_at,
    cast(_batch_id as bigint) as load_batch_id,
    _loaded_at as loaded_at

from {{ source('raw_erp', 'credit_notes') }} as source
