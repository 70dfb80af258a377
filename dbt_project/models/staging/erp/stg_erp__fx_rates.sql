-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(rate_date as date) as rate_date,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(functional_currency_code as {{ dbt.type_string() }}) as functional_currency_code,
    cast(rate as decimal(20, 10)) as fx_rate,
    source_updated_at,
    cast(_batch_id as bigint) as load_batch_id,
    _loaded_at as loaded_at

from {{ source('raw_erp', 'fx_rates') }} as source
