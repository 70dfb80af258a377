-- Customer statements against the ledger: one row per statement in force (customer_id, statement_date, dated on or
-- before as_of_date) and document, from either side, with a status (doc block statement_reconciliation_status).
--
-- The statement side: the customer's lines, grouped by document reference (trimmed, upper case: document_key), so
-- a document listed twice is one row with both lines' sum (and shows as a mismatch).
-- The ledger side, as of the statement date, document by document, in the same form the statement template asks
-- for (what the customer owes positive, what reduces it negative):
--   * every invoice open on the statement date (open amount <> 0), at its full amount;
--   * the credit notes, payments and write-offs that moved those invoices up to that date, each document once
--     with what it took off them (negative); a recovery's reinstatement of a write-off (write_off_recovery,
--     int_invoice_movements_unioned) is a ledger-only line of its own (positive);
--   * what was not applied to any invoice by that date: unallocated credit notes and the unapplied part of each
--     payment received (negative), so a payment is one row with its applied and its unapplied part.
-- The ledger side adds up to the customer's net balance on the statement date (open invoices less unapplied cash
-- and credit); payments are keyed by their reference (the payer's end-to-end id, which customers quote), else by
-- the payment id; invoices and credit notes by their numbers.
--
-- Every statement dated up to as_of_date is reconciled against the ledger as the warehouse holds it now, so a late
-- document shows on the next run. What was reported on a given day is kept per run in
-- audit.statement_reconciliation_results (append-only).
--
-- Incremental (decision 009): a customer's rows depend on its statements and ledger only, so a run deletes the
-- rows of the customers whose inputs were loaded since the table's reconciled_through_batch (pre-hook, macro
-- statement_reconciliation_scope) and builds every statement in scope that the table does not hold. The rows are
-- the ones a full rebuild gives. A run for a date earlier than a statement the table holds rebuilds everything;
-- after changing the tolerance or timing vars, run with --full-refresh.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['customer_id', 'statement_date']}],
    pre_hook="{{ statement_reconciliation_rebuild() }}",
) }}
{%- set scope = statement_reconciliation_scope() %}

{%- set tolerance_amount = "cast('" ~ (var('statement_tolerance_amount', 0) | string | trim) ~ "' as " ~ type_exact_numeric() ~ ")" -%}
{%- set tolerance_pct = "cast('" ~ (var('statement_tolerance_pct', 0) | string | trim) ~ "' as " ~ type_exact_numeric() ~ ")" -%}
{%- set timing_window_days = var('statement_timing_window_days', 31) | string | trim -%}
{%- if not modules.re.match('^[0-9]+$', timing_window_days) -%}
    {{ exceptions.raise_compiler_error(
        "The var 'statement_timing_window_days' must be a whole number of days, got '" ~ timing_window_days ~ "'."
    ) }}
{%- endif %}

with

statements as (
    select * from {{ ref('stg_statements__statements') }} as statements
    where statement_date <= {{ as_of_date() }}
    {%- if is_incremental() %}
        and not exists (
            select 1 from {{ this }} as built
            where built.customer_id = statements.customer_id
                and built.statement_date = statements.statement_date
        )
    {%- endif %}
),

statement_items as (
    select items.*
    from {{ ref('stg_statements__statement_items') }} as items
    inner join statements
        on items.file_sha256 = statements.file_sha256
        and items.customer_id = statements.customer_id
        and items.statement_date = statements.statement_date
),

invoices as (
    select * from {{ ref('stg_erp__invoices') }}
),

credit_notes as (
    select * from {{ ref('stg_erp__credit_notes') }}
),

payments as (
    select * from {{ ref('stg_erp__payments') }}
),

balances as (
    select * from {{ ref('int_invoice_balances_accumulated') }}
),

movements as (
    select * from {{ ref('int_invoice_movements_unioned') }}
),

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

-- The statement side ------------------------------------------------------------------------------------------

statement_documents as (
    select
        customer_id,
        statement_date,
        upper(trim(document_ref)) as document_key,
        min(document_ref) as document_ref,
        min(document_type) as document_type,
        min(document_date) as document_date,
        min(currency_code) as currency_code,
        sum(document_amount) as statement_amount,
        count(*) as statement_line_count,
        {{ dbt.listagg('cast(line_number as ' ~ dbt.type_string() ~ ')', "','", 'order by line_number') }}
            as statement_line_numbers,
        min(file_sha256) as statement_file_sha256
    from statement_items
    group by customer_id, statement_date, upper(trim(document_ref))
),

-- The ledger side ---------------------------------------------------------------------------------------------

open_invoices as (
    select
        statements.customer_id,
        statements.statement_date,
        invoices.invoice_id,
        invoices.invoice_date,
        invoices.currency_code,
        invoices.invoice_amount,
        invoices.is_disputed
    from statements
    inner join invoices
        on statements.customer_id = invoices.customer_id
        and invoices.invoice_date <= statements.statement_date
    inner join balances
        on invoices.invoice_id = balances.invoice_id
        and {{ in_force_on('statements.statement_date', 'balances') }}
    where balances.open_amount <> 0
),

-- What each credit note, payment and write-off took off the open invoices by the statement date (a movement
-- dated before its invoice counts from the invoice date, as in the balances, so on or before the statement date).
open_invoice_movements as (
    select
        open_invoices.customer_id,
        open_invoices.statement_date,
        open_invoices.currency_code,
        movements.movement_type,
        movements.document_id,
        min(movements.movement_date) as movement_date,
        sum(movements.movement_amount) as movement_amount
    from open_invoices
    inner join movements
        on open_invoices.invoice_id = movements.invoice_id
        and movements.movement_date <= open_invoices.statement_date
        and movements.movement_type <> 'invoice'
    group by
        open_invoices.customer_id,
        open_invoices.statement_date,
        open_invoices.currency_code,
        movements.movement_type,
        movements.document_id
),

-- The unapplied part of each payment on the statement date, as int_payment_balances_accumulated holds it (the rule
-- rpt_ar_aging_by_customer's unapplied cash uses too): only the payments with something unapplied on that date.
unapplied_payments as (
    select
        statements.customer_id,
        statements.statement_date,
        payment_balances.payment_id,
        payment_balances.currency_code,
        payment_balances.unapplied_amount
    from statements
    inner join {{ ref('int_payment_balances_accumulated') }} as payment_balances
        on statements.customer_id = payment_balances.customer_id
        and {{ in_force_on('statements.statement_date', 'payment_balances') }}
    where payment_balances.unapplied_amount <> 0
),

ledger_lines as (
    select
        customer_id,
        statement_date,
        invoice_id as document_key_source,
        'invoice' as document_type,
        invoice_date as document_date,
        currency_code,
        invoice_amount as ledger_amount,
        is_disputed
    from open_invoices

    union all

    select
        open_invoice_movements.customer_id,
        open_invoice_movements.statement_date,
        coalesce(payments.payment_reference, open_invoice_movements.document_id),
        case open_invoice_movements.movement_type
            when 'payment_application' then 'payment'
            when 'credit_note' then 'credit_note'
            else 'write_off'
        end,
        coalesce(payments.payment_date, open_invoice_movements.movement_date),
        open_invoice_movements.currency_code,
        open_invoice_movements.movement_amount,
        false
    from open_invoice_movements
    left join payments
        on open_invoice_movements.movement_type = 'payment_application'
        and open_invoice_movements.document_id = payments.payment_id

    union all

    select
        statements.customer_id,
        statements.statement_date,
        credit_notes.credit_note_id,
        'credit_note',
        credit_notes.credit_note_date,
        customers.currency_code,
        -credit_notes.credit_note_amount,
        false
    from statements
    inner join credit_notes
        on statements.customer_id = credit_notes.customer_id
        and credit_notes.invoice_id is null
        and credit_notes.credit_note_date <= statements.statement_date
    inner join customers
        on credit_notes.customer_id = customers.customer_id

    union all

    select
        unapplied_payments.customer_id,
        unapplied_payments.statement_date,
        coalesce(payments.payment_reference, unapplied_payments.payment_id),
        'payment',
        payments.payment_date,
        unapplied_payments.currency_code,
        -unapplied_payments.unapplied_amount,
        false
    from unapplied_payments
    inner join payments
        on unapplied_payments.payment_id = payments.payment_id
),

ledger_documents as (
    select
        customer_id,
        statement_date,
        upper(trim(document_key_source)) as document_key,
        min(document_key_source) as document_ref,
        min(document_type) as document_type,
        min(document_date) as document_date,
        min(currency_code) as currency_code,
        sum(ledger_amount) as ledger_amount,
        {{ dbt.bool_or('is_disputed') }} as is_disputed
    from ledger_lines
    group by customer_id, statement_date, upper(trim(document_key_source))
),

-- Documents our ledger dates after a statement date: what a timing difference is made of.
ledger_documents_dated as (
    select customer_id, upper(trim(invoice_id)) as document_key, invoice_date as document_date from invoices
    union all
    select customer_id, upper(trim(credit_note_id)), credit_note_date from credit_notes
    union all
    select customer_id, upper(trim(coalesce(payment_reference, payment_id))), payment_date from payments
),

-- Both sides ----------------------------------------------------------------------------------------------------

paired as (
    select
        coalesce(ledger_documents.customer_id, statement_documents.customer_id) as customer_id,
        coalesce(ledger_documents.statement_date, statement_documents.statement_date) as statement_date,
        coalesce(ledger_documents.document_key, statement_documents.document_key) as document_key,
        coalesce(ledger_documents.document_ref, statement_documents.document_ref) as document_ref,
        ledger_documents.document_type as ledger_document_type,
        statement_documents.document_type as statement_document_type,
        ledger_documents.document_date as ledger_document_date,
        statement_documents.document_date as statement_document_date,
        ledger_documents.currency_code as ledger_currency_code,
        statement_documents.currency_code as statement_currency_code,
        ledger_documents.ledger_amount,
        statement_documents.statement_amount,
        coalesce(ledger_documents.is_disputed, false) as is_disputed,
        statement_documents.statement_file_sha256,
        statement_documents.statement_line_numbers,
        statement_documents.statement_line_count
    from ledger_documents
    full outer join statement_documents
        on ledger_documents.customer_id = statement_documents.customer_id
        and ledger_documents.statement_date = statement_documents.statement_date
        and ledger_documents.document_key = statement_documents.document_key
),

timing as (
    select
        paired.customer_id,
        paired.statement_date,
        paired.document_key,
        min(ledger_documents_dated.document_date) as later_ledger_date
    from paired
    inner join ledger_documents_dated
        on paired.customer_id = ledger_documents_dated.customer_id
        and paired.document_key = ledger_documents_dated.document_key
        and ledger_documents_dated.document_date > paired.statement_date
        and ledger_documents_dated.document_date
            <= {{ dbt.dateadd('day', timing_window_days, 'paired.statement_date') }}
    where paired.ledger_amount is null
    group by paired.customer_id, paired.statement_date, paired.document_key
),

classified as (
    select
        paired.*,
        timing.later_ledger_date,
        coalesce(paired.statement_amount, 0) - coalesce(paired.ledger_amount, 0) as difference_amount,
        case
            when paired.is_disputed then 'DISPUTED'
            when paired.ledger_amount is not null and paired.statement_amount is not null then
                case
                    when paired.statement_currency_code is not null
                        and paired.statement_currency_code <> paired.ledger_currency_code then 'AMOUNT_MISMATCH'
                    when abs(paired.statement_amount - paired.ledger_amount)
                        <= greatest({{ tolerance_amount }}, abs(paired.ledger_amount) * {{ tolerance_pct }} / 100)
                        then 'MATCHED'
                    else 'AMOUNT_MISMATCH'
                end
            when paired.statement_amount is null then 'MISSING_IN_STATEMENT'
            when timing.later_ledger_date is not null then 'TIMING_DIFFERENCE'
            else 'MISSING_IN_LEDGER'
        end as status
    from paired
    left join timing
        on paired.customer_id = timing.customer_id
        and paired.statement_date = timing.statement_date
        and paired.document_key = timing.document_key
),

final as (
    select
        customer_id,
        statement_date,
        document_key,
        document_ref,
        coalesce(ledger_document_type, statement_document_type) as document_type,
        coalesce(ledger_currency_code, statement_currency_code) as currency_code,
        cast(ledger_amount as decimal(18, 2)) as ledger_amount,
        cast(statement_amount as decimal(18, 2)) as statement_amount,
        cast(difference_amount as decimal(18, 2)) as difference_amount,
        status,
        status not in ('MATCHED', 'TIMING_DIFFERENCE', 'DISPUTED') as is_unexplained,
        ledger_document_date,
        statement_document_date,
        later_ledger_date,
        statement_currency_code,
        statement_file_sha256,
        statement_line_numbers,
        coalesce(statement_line_count, 0) as statement_line_count,
        cast({{ scope.through_batch }} as bigint) as reconciled_through_batch
    from classified
)

select * from final
