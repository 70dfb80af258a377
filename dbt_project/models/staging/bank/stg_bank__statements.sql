-- Bank amounts keep the five decimals the raw table holds (numeric(20,5)): some formats carry more than two,
-- and rounding here would break the statement balance identity (opening + credits + debits = closing).
-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(file_sha256 as {{ dbt.type_string() }}) as file_sha256,
    cast(statement_index as integer) as statement_index,
    cast(file_format as {{ dbt.type_string() }}) as file_format,
    cast(statement_id as {{ dbt.type_string() }}) as bank_statement_id,
    cast(sequence_number as {{ dbt.type_string() }}) as sequence_number,
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(account_iban as {{ dbt.type_string() }}) as account_iban,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(opening_balance as decimal(20, 5)) as opening_balance_amount,
    cast(opening_balance_date as date) as opening_balance_date,
    cast(closing_balance as decimal(20, 5)) as closing_balance_amount,
    cast(closing_balance_date as date) as closing_balance_date,
    cast(statement_date as date) as statement_date,
    cast(line_count as integer) as line_count,
    cast(credit_total as decimal(20, 5)) as credit_total_amount,
    cast(debit_total as decimal(20, 5)) as debit_total_amount,
    cast(account_key as {{ dbt.type_string() }}) as account_key,
    -- False once a corrected statement for the same account and day replaced this one (see audit.statement_events).
    cast(is_current as boolean) as is_current,
    cast(superseded_by_sha256 as {{ dbt.type_string() }}) as superseded_by_file_sha256,
    cast(superseded_by_index as integer) as superseded_by_statement_index,
    superseded_at,
    cast(_batch_id as bigint) as load_batch_id,
    _loaded_at as loaded_at

from {{ source('raw_bank', 'statements') }} as source
