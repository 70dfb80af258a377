-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(customer_name as {{ dbt.type_string() }}) as customer_name,
    cast(country_code as {{ dbt.type_string() }}) as country_code,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(credit_limit as decimal(18, 2)) as credit_limit_amount,
    cast(payment_terms_days as integer) as payment_terms_days,
    cast(risk_grade as {{ dbt.type_string() }}) as risk_grade,
    cast(insured_share as decimal(5, 4)) as insured_share,
    source_updated_at,
    cast(_batch_id as bigint) as load_batch_id,
    _loaded_at as loaded_at

from {{ source('raw_erp', 'customers') }} as source
