-- One row per invoice dated on or before as_of_date, with its open amount and settlement as of that date: the rows
-- behind marts.fct_invoices, a view that adds the as_of_date column (see the doc blocks open_amount and
-- settled_date, and the descriptions of is_discount_taken and discount_taken_amount in _finance__models.yml).
--
-- The early-payment discount is inferred from the documents, because the canonical model carries only the
-- customer's payment_terms_days: terms such as 2/10 net 30 and net 30 both arrive as 30 days, so no lookup keyed
-- on the terms can tell which invoices were offered a discount. The window and the rate are the vars
-- early_payment_discount_days (default 10) and early_payment_discount_rate (default 0.02), one pair for the
-- whole ledger (changing them needs --full-refresh of this model).
--
-- Incremental (a table), so that a day costs its changes and not the history. An invoice's figures hold from the
-- balance row in force on as_of_date until the next one (state_valid_from, state_valid_until: every payment,
-- credit note or write-off starts a balance row), so a run for D recomputes only the invoices
--   * whose movements were recomputed since the last run (processed_batch_id, as int_invoice_balances_accumulated);
--   * whose stored figures do not hold on D (D before state_valid_from, or on or after state_valid_until);
--   * dated on or before D and not in the table yet (issued since the last run's date);
-- and the pre-hook deletes the invoices dated after D (a run for an earlier date). When load batches went back (a
-- reset, see int_invoice_movements_unioned) the pre-hook empties the table and the run recomputes everything.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='invoice_id',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['invoice_id']}, {'columns': ['customer_id']}, {'columns': ['invoice_date']},
        {'columns': ['state_valid_from']}, {'columns': ['state_valid_until']},
    ],
    post_hook="{{ postgres_index(this, 'processed_batch_id', 'processed_batch_idx') }}",
    pre_hook="{% if is_incremental() %}
        delete from {{ this }}
        where invoice_date > {{ as_of_date() }}
            or (select max(processed_batch_id) from {{ this }})
                > coalesce((select max(processed_batch_id) from {{ ref('int_invoice_balances_accumulated') }}), 0)
    {% endif %}",
) }}

{#- Checked here because Jinja's int filter turns anything it cannot read into 0, a silent wrong window. -#}
{%- set discount_days_text = var('early_payment_discount_days', 10) | string | trim -%}
{%- set discount_rate_text = var('early_payment_discount_rate', 0.02) | string | trim -%}
{%- if not modules.re.match('^[0-9]+$', discount_days_text) -%}
    {{ exceptions.raise_compiler_error(
        "The var 'early_payment_discount_days' must be a whole number of days, got '" ~ discount_days_text ~ "'."
    ) }}
{%- endif -%}
{%- if not modules.re.match('^(0|1)?([.][0-9]+)?$', discount_rate_text) or discount_rate_text in ('', '.')
    or (discount_rate_text | float) > 1 -%}
    {{ exceptions.raise_compiler_error(
        "The var 'early_payment_discount_rate' must be a fraction between 0 and 1 (0.02 for 2%), got '"
        ~ discount_rate_text ~ "'."
    ) }}
{%- endif -%}
{%- set discount_days = discount_days_text | int -%}
{%- set discount_rate = "cast('" ~ discount_rate_text ~ "' as " ~ type_exact_numeric() ~ ")" %}

with

{% if is_incremental() -%}
invoices_to_compute as (
    select invoice_id from {{ ref('int_invoice_balances_accumulated') }}
    where processed_batch_id > (select coalesce(max(processed_batch_id), 0) from {{ this }})
    union
    select invoice_id from {{ this }}
    where state_valid_from > {{ as_of_date() }} or state_valid_until <= {{ as_of_date() }}
    union
    select new_invoices.invoice_id from {{ ref('stg_erp__invoices') }} as new_invoices
    where new_invoices.invoice_date <= {{ as_of_date() }}
        and not exists (select 1 from {{ this }} as known where known.invoice_id = new_invoices.invoice_id)
),
{%- endif %}

invoices as (
    select * from {{ ref('stg_erp__invoices') }}
    {%- if is_incremental() %}
    where invoice_id in (select invoice_id from invoices_to_compute)
    {%- endif %}
),

balances as (
    select * from {{ ref('int_invoice_balances_accumulated') }}
    {%- if is_incremental() %}
    where invoice_id in (select invoice_id from invoices_to_compute)
    {%- endif %}
),

movements as (
    select * from {{ ref('int_invoice_movements_unioned') }}
    {%- if is_incremental() %}
    where invoice_id in (select invoice_id from invoices_to_compute)
    {%- endif %}
),

invoices_issued as (
    select * from invoices
    where invoice_date <= {{ as_of_date() }}
),

-- The balance in force on as_of_date: the last balance change on or before it.
balances_as_of_date as (
    select * from balances
    where {{ in_force_on(as_of_date()) }}
),

-- Cash applied to each invoice up to as_of_date, and the part of it dated within the discount window
-- (invoice_date + early_payment_discount_days, inclusive). Movements are signed from the receivable's side, so a
-- payment application is negative and a reversal positive: the sums are negated back to amounts paid.
payments_as_of_date as (
    select
        movements.invoice_id,
        -sum(movements.movement_amount) as paid_amount,
        -sum(
            case
                when movements.movement_date
                    <= {{ dbt.dateadd('day', discount_days, 'invoices_issued.invoice_date') }}
                    then movements.movement_amount
                else 0
            end
        ) as paid_within_discount_window_amount
    from movements
    inner join invoices_issued
        on movements.invoice_id = invoices_issued.invoice_id
    where movements.movement_type = 'payment_application'
        and movements.movement_date <= {{ as_of_date() }}
    group by movements.invoice_id
),

invoices_settled as (
    select
        invoices_issued.invoice_id,
        invoices_issued.customer_id,
        invoices_issued.invoice_date,
        invoices_issued.due_date,
        invoices_issued.currency_code,
        invoices_issued.invoice_amount,
        invoices_issued.is_disputed,
        balances_as_of_date.open_amount,
        balances_as_of_date.settled_date,
        balances_as_of_date.balance_date as state_valid_from,
        balances_as_of_date.next_balance_date as state_valid_until,
        balances_as_of_date.processed_batch_id,
        coalesce(payments_as_of_date.paid_amount, 0) as paid_amount,
        coalesce(payments_as_of_date.paid_within_discount_window_amount, 0)
            as paid_within_discount_window_amount

    from invoices_issued
    left join balances_as_of_date
        on invoices_issued.invoice_id = balances_as_of_date.invoice_id
    left join payments_as_of_date
        on invoices_issued.invoice_id = payments_as_of_date.invoice_id
),

-- A discount was taken when the invoice is settled, every payment came within the window, and the cash fell
-- short of the invoice amount by more than nothing and at most rate x amount (+ 0.01 for the customer's rounding);
-- the shortfall is what the credit notes or write-offs that closed the invoice gave away.
discounts_inferred as (
    select
        *,
        case
            when settled_date is null then null
            else paid_amount = paid_within_discount_window_amount
                and invoice_amount - paid_amount > 0
                and invoice_amount - paid_amount <= invoice_amount * {{ discount_rate }} + 0.01
        end as is_discount_taken
    from invoices_settled
),

final as (
    select
        invoice_id,
        customer_id,
        invoice_date,
        due_date,
        currency_code,
        invoice_amount as amount,
        open_amount,
        settled_date,
        {{ dbt.datediff('invoice_date', 'settled_date', 'day') }} as days_to_settle,
        -- Settled on or before the due date is 0 days late, not a negative number; unsettled is null.
        case
            when settled_date is not null
                then greatest(0, {{ dbt.datediff('due_date', 'settled_date', 'day') }})
        end as days_late,
        -- Null while open: whether an open invoice will be paid on time is not known yet.
        case
            when settled_date is not null then settled_date <= due_date
        end as is_paid_on_time,
        cast(paid_amount as decimal(18, 2)) as paid_amount,
        is_discount_taken,
        cast(
            case
                when is_discount_taken then invoice_amount - paid_amount
                when not is_discount_taken then 0
            end as decimal(18, 2)
        ) as discount_taken_amount,
        is_disputed,
        state_valid_from,
        state_valid_until,
        processed_batch_id

    from discounts_inferred
)

select * from final
