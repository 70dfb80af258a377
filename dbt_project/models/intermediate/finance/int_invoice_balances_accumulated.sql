-- The open amount of each invoice after each day on which it moved: one row per invoice and balance_date, valid
-- from balance_date up to (not including) next_balance_date. The as-of marts pick, for a date D, the row with
-- balance_date <= D < next_balance_date (next_balance_date null = still in force); that is the sum of every
-- movement dated on or before D. Nothing here depends on as_of_date, so the same rows serve every date.
--
-- Settled: an invoice is settled while its open amount is zero or below (an overpayment leaves a credit balance,
-- still shown as a negative open amount). settled_date is the day the current settled run began, i.e. the last
-- time the balance went from above zero to zero or below; a reversal that reopens the invoice ends the run, and a
-- later settlement starts a new one.
--
-- A movement dated before its invoice (a payment applied ahead of the invoice date) counts from the invoice date:
-- the marts only show invoices dated on or before as_of_date, so this only keeps settled_date (and days_to_settle)
-- from falling before the invoice exists.
--
-- The partial index (post-hook) finds the balances not zero in force on a date, which is what the open receivable
-- on that date is made of, without reading the settled history (int_customer_months_balanced's carried balance).
--
-- Incremental (a table): a run recomputes the balances of the invoices whose movements were recomputed since the
-- last run (int_invoice_movements_unioned.processed_batch_id above this table's), and only those. When the
-- movements were recomputed from scratch after load batches went back (see there), the pre-hook starts this
-- table again too.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='invoice_id',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['invoice_id']}, {'columns': ['balance_date']}, {'columns': ['next_balance_date']},
    ],
    post_hook=[
        "{{ postgres_index(this, 'next_balance_date', 'open_next_idx', where='open_amount <> 0') }}",
        "{{ postgres_index(this, 'processed_batch_id', 'processed_batch_idx') }}",
    ],
    pre_hook="{% if is_incremental() %}
        delete from {{ this }}
        where (select max(processed_batch_id) from {{ this }})
            > coalesce((select max(processed_batch_id) from {{ ref('int_invoice_movements_unioned') }}), 0)
    {% endif %}",
) }}

with

movements as (
    select * from {{ ref('int_invoice_movements_unioned') }}
    {%- if is_incremental() %}
    where invoice_id in (
        select invoice_id from {{ ref('int_invoice_movements_unioned') }}
        where processed_batch_id > (select coalesce(max(processed_batch_id), 0) from {{ this }})
    )
    {%- endif %}
),

invoices as (
    select * from {{ ref('stg_erp__invoices') }}
),

movements_from_invoice_date as (
    select
        movements.invoice_id,
        greatest(movements.movement_date, invoices.invoice_date) as balance_date,
        movements.movement_amount,
        movements.processed_batch_id
    from movements
    inner join invoices
        on movements.invoice_id = invoices.invoice_id
),

daily_movements as (
    select
        invoice_id,
        balance_date,
        sum(movement_amount) as net_movement_amount,
        count(*) as movement_count,
        max(processed_batch_id) as processed_batch_id
    from movements_from_invoice_date
    group by invoice_id, balance_date
),

running_balances as (
    select
        invoice_id,
        balance_date,
        lead(balance_date) over (
            partition by invoice_id order by balance_date
        ) as next_balance_date,
        net_movement_amount,
        movement_count,
        processed_batch_id,
        sum(net_movement_amount) over (
            partition by invoice_id order by balance_date
            rows between unbounded preceding and current row
        ) as open_amount
    from daily_movements
),

settlement_starts as (
    select
        *,
        open_amount <= 0 as is_settled,
        case
            when open_amount <= 0
                and coalesce(
                    lag(open_amount) over (partition by invoice_id order by balance_date) > 0,
                    true
                )
                then balance_date
        end as settled_run_start_date
    from running_balances
),

final as (
    select
        invoice_id,
        balance_date,
        next_balance_date,
        movement_count,
        cast(net_movement_amount as decimal(18, 2)) as net_movement_amount,
        cast(open_amount as decimal(18, 2)) as open_amount,
        is_settled,
        case
            when is_settled
                then max(settled_run_start_date) over (
                    partition by invoice_id order by balance_date
                    rows between unbounded preceding and current row
                )
        end as settled_date,
        cast(max(processed_batch_id) over (partition by invoice_id) as bigint) as processed_batch_id
    from settlement_starts
)

select * from final
