-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(invoice_date as date) as invoice_date,
    cast(due_date as date) as due_date,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(amount as decimal(18, 2)) as invoice_amount,
    cast(is_disputed as boolean) as is_disputed,
    source_updated_at,
    cast(_batch_id as bigint) as load_batch_id,
    _loaded_at as loaded_at

from {{ source('raw_erp', 'invoices') }} as source
