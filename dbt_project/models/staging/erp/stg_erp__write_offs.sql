-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(write_off_id as {{ dbt.type_string() }}) as write_off_id,
    cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
    cast(write_off_date as date) as write_off_date,
    cast(amount as decimal(18, 2)) as write_off_amount,
    cast(reason as {{ dbt.type_string() }}) as write_off_reason,
    cast(approved_by as {{ dbt.type_string() }}) as approved_by,
    source_updated_at,
    cast(_batch_id as bigint) as load_batch_id,
    _loaded_at as loaded_at

from {{ source('raw_erp', 'write_offs') }} as source
