-- The unapplied part of each payment after each day on which it changed: one row per payment and balance_date,
-- valid from balance_date up to (not including) next_balance_date. The payment raises it on its date (+ amount),
-- each application lowers it on its applied date (- applied amount); an application dated before its payment counts
-- from the payment date, since cash not yet received cannot be held unapplied. The unapplied cash of a customer on a
-- date D is the sum of unapplied_amount over the rows in force on D (balance_date <= D < next_balance_date), which
-- the partial index (post-hook) finds among the rows not zero, without reading the fully applied history.
--
-- Incremental (a table), like int_invoice_movements_unioned: a run recomputes every row of the payments that a
-- payment or application loaded since the last run names (processed_batch_id, the latest load batch of the two
-- sources when the row was computed, is the watermark), and only those. When load batches went back (a reset),
-- the pre-hook empties the table and the run recomputes everything.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='payment_id',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['payment_id']}],
    pre_hook="{% if is_incremental() %}
        delete from {{ this }}
        where (select max(processed_batch_id) from {{ this }}) > coalesce(greatest(
            coalesce((select max(load_batch_id) from {{ ref('stg_erp__payments') }}), 0),
            coalesce((select max(load_batch_id) from {{ ref('stg_erp__payment_applications') }}), 0)
        ), 0)
    {% endif %}",
    post_hook=[
        "{{ postgres_index(this, 'next_balance_date', 'unapplied_next_idx', where='unapplied_amount <> 0') }}",
        "{{ postgres_index(this, 'processed_batch_id', 'processed_batch_idx') }}",
    ],
) }}

with

latest_batch as (
    select greatest(
        coalesce((select max(load_batch_id) from {{ ref('stg_erp__payments') }}), 0),
        coalesce((select max(load_batch_id) from {{ ref('stg_erp__payment_applications') }}), 0)
    ) as processed_batch_id
),

{% if is_incremental() -%}
touched_payments as (
    select payment_id from {{ ref('stg_erp__payments') }}
    where load_batch_id > (select coalesce(max(processed_batch_id), 0) from {{ this }})
    union
    select payment_id from {{ ref('stg_erp__payment_applications') }}
    where load_batch_id > (select coalesce(max(processed_batch_id), 0) from {{ this }})
),
{%- endif %}

payments as (
    select * from {{ ref('stg_erp__payments') }}
    {%- if is_incremental() %}
    where payment_id in (select payment_id from touched_payments)
    {%- endif %}
),

payment_applications as (
    select * from {{ ref('stg_erp__payment_applications') }}
    {%- if is_incremental() %}
    where payment_id in (select payment_id from touched_payments)
    {%- endif %}
),

changes as (
    select payment_id, payment_date as balance_date, payment_amount as change_amount
    from payments

    union all

    select
        payment_applications.payment_id,
        greatest(payment_applications.applied_date, payments.payment_date),
        -payment_applications.applied_amount
    from payment_applications
    inner join payments
        on payment_applications.payment_id = payments.payment_id
),

daily_changes as (
    select payment_id, balance_date, sum(change_amount) as change_amount
    from changes
    group by payment_id, balance_date
),

final as (
    select
        daily_changes.payment_id,
        payments.customer_id,
        payments.currency_code,
        daily_changes.balance_date,
        lead(daily_changes.balance_date) over (
            partition by daily_changes.payment_id order by daily_changes.balance_date
        ) as next_balance_date,
        cast(
            sum(daily_changes.change_amount) over (
                partition by daily_changes.payment_id order by daily_changes.balance_date
                rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as unapplied_amount,
        cast((select processed_batch_id from latest_batch) as bigint) as processed_batch_id
    from daily_changes
    inner join payments
        on daily_changes.payment_id = payments.payment_id
)

select * from final
