-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(file_sha256 as {{ dbt.type_string() }}) as file_sha256,
    cast(line_number as integer) as line_number,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(statement_date as date) as statement_date,
    cast(document_ref as {{ dbt.type_string() }}) as document_ref,
    cast(document_type as {{ dbt.type_string() }}) as document_type,
    cast(document_date as date) as document_date,
    cast(amount as decimal(18, 2)) as document_amount,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(_batch_id as bigint) as load_batch_id,
    _loaded_at as loaded_at

from {{ source('raw_statements', 'statement_items') }} as source
