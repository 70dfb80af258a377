-- Amounts keep the raw numeric(20,5) precision and the bank's sign (credits positive, debits negative).
-- One select without CTEs, so that PostgreSQL merges the view into the queries that read it (decision 007).
select
    cast(file_sha256 as {{ dbt.type_string() }}) as file_sha256,
    cast(statement_index as integer) as statement_index,
    cast(line_index as integer) as line_index,
    cast(statement_id as {{ dbt.type_string() }}) as bank_statement_id,
    cast(sequence_number as {{ dbt.type_string() }}) as sequence_number,
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(booking_date as date) as booking_date,
    cast(value_date as date) as value_date,
    cast(amount as decimal(20, 5)) as amount,
    amount > 0 as is_credit,
    cast(bank_reference as {{ dbt.type_string() }}) as bank_reference,
    cast(end_to_end_id as {{ dbt.type_string() }}) as end_to_end_id,
    cast(counterparty_name as {{ dbt.type_string() }}) as counterparty_name,
    cast(counterparty_account as {{ dbt.type_string() }}) as counterparty_account,
    cast(creditor_reference as {{ dbt.type_string() }}) as creditor_reference,
    cast(remittance_text as {{ dbt.type_string() }}) as remittance_text,
    cast(bank_transaction_code as {{ dbt.type_string() }}) as bank_transaction_code,
    cast(original_text as {{ dbt.type_string() }}) as original_text,
    cast(_batch_id as bigint) as load_batch_id,
    _loaded_at as loaded_at

from {{ source('raw_bank', 'statement_lines') }} as source
