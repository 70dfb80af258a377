-- The customer statements in force: a corrected statement replaced the earlier one for its customer and date.
-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(file_sha256 as {{ dbt.type_string() }}) as file_sha256,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(statement_date as date) as statement_date,
    cast(file_format as {{ dbt.type_string() }}) as file_format,
    cast(mapping_name as {{ dbt.type_string() }}) as mapping_name,
    cast(line_count as integer) as statement_line_count,
    cast(balance_amount as decimal(18, 2)) as statement_balance_amount,
    cast(_batch_id as bigint) as load_batch_id

from {{ source('raw_statements', 'statements') }} as source
where is_current
