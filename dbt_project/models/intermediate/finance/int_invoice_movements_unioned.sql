-- Every dated movement against an invoice, signed from the receivable's side: the invoice itself raises the
-- open amount (+), allocated credit notes, payment applications and write-offs lower it (-). The as-of marts sum
-- these movements up to a date; nothing here depends on as_of_date.
--
-- Recoveries: cash received on an invoice after (part of) it was written off is a recovery, not a credit for the
-- customer. Booked the way accountants do it, the recovered part of the write-off is reinstated (movement
-- write_off_recovery, +) and the payment then clears it (-), so the invoice stays settled and the roll-forward and
-- the aging agree. The reinstated amount on a day is least(written off so far, what the balance would be below
-- zero without recoveries): a payment of an invoice's remaining balance after a partial write-off is an ordinary
-- payment; only what goes below zero is a recovery, and only up to what was written off (beyond that, an
-- overpayment is a credit balance as on any invoice).
--
-- Credit notes without an invoice_id are unallocated credit on the customer account: they move no invoice and are
-- left out. Movements whose invoice_id is not in stg_erp__invoices are left out by the inner join; the staging
-- relationships tests report them (severity warn), since an invoice-grain fact has no row to put them on.
--
-- Incremental (a table): a run recomputes every movement of the invoices that any document loaded since the
-- last run touches, and only those. processed_batch_id, the latest load batch of the four sources when the row
-- was computed, is the watermark. Raw rows are never deleted and a changed row gets a new batch, so "touched" is:
-- an invoice, credit note, payment application or write-off of a later batch names it, or a credit note or
-- write-off of a later batch used to name it (moved to another invoice). Every row of a touched invoice gets the
-- new processed_batch_id, which is how int_invoice_balances_accumulated finds what to recompute. Loads and builds
-- take turns (the daily DAG, arwh run), so no batch commits behind the watermark. --full-refresh recomputes all.
--
-- Load batches only go up. If they went back (audit tables emptied, a restore), the watermark is ahead of every
-- batch and nothing would look touched: the pre-hook then empties the table, so the run recomputes everything.
-- It does the same for a table built before effective_date existed (decision 007), whose rows would otherwise get
-- the new column empty. The indexes are post-hooks (if not exists) so that such a table gets them too.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='invoice_id',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['invoice_id']}],
    post_hook=[
        "{{ postgres_index(this, 'effective_date', 'effective_date_idx') }}",
        "{{ postgres_index(this, 'processed_batch_id', 'processed_batch_idx') }}",
    ],
    pre_hook="{% if is_incremental() %}
        delete from {{ this }}
        where {% if 'effective_date' not in (adapter.get_columns_in_relation(this) | map(attribute='name')) %}
            true or
        {% endif %}
        (select max(processed_batch_id) from {{ this }}) > coalesce(greatest(
            coalesce((select max(load_batch_id) from {{ ref('stg_erp__invoices') }}), 0),
            coalesce((select max(load_batch_id) from {{ ref('stg_erp__credit_notes') }}), 0),
            coalesce((select max(load_batch_id) from {{ ref('stg_erp__payment_applications') }}), 0),
            coalesce((select max(load_batch_id) from {{ ref('stg_erp__write_offs') }}), 0)
        ), 0)
    {% endif %}",
) }}

with

latest_batch as (
    select max(load_batch_id) as processed_batch_id
    from (
        select max(load_batch_id) as load_batch_id from {{ ref('stg_erp__invoices') }}
        union all
        select max(load_batch_id) from {{ ref('stg_erp__credit_notes') }}
        union all
        select max(load_batch_id) from {{ ref('stg_erp__payment_applications') }}
        union all
        select max(load_batch_id) from {{ ref('stg_erp__write_offs') }}
    ) as latest_per_source
),

{% if is_incremental() -%}
watermark as (
    select coalesce(max(processed_batch_id), 0) as last_batch_id from {{ this }}
),

touched_invoices as (
    select invoice_id from {{ ref('stg_erp__invoices') }}
    where load_batch_id > (select last_batch_id from watermark)
    union
    select invoice_id from {{ ref('stg_erp__credit_notes') }}
    where load_batch_id > (select last_batch_id from watermark) and invoice_id is not null
    union
    select invoice_id from {{ ref('stg_erp__payment_applications') }}
    where load_batch_id > (select last_batch_id from watermark)
    union
    select invoice_id from {{ ref('stg_erp__write_offs') }}
    where load_batch_id > (select last_batch_id from watermark)
    union
    select earlier.invoice_id
    from {{ this }} as earlier
    inner join {{ ref('stg_erp__credit_notes') }} as credit_notes
        on earlier.movement_type = 'credit_note' and earlier.document_id = credit_notes.credit_note_id
    where credit_notes.load_batch_id > (select last_batch_id from watermark)
    union
    select earlier.invoice_id
    from {{ this }} as earlier
    inner join {{ ref('stg_erp__write_offs') }} as write_offs
        on earlier.movement_type = 'write_off' and earlier.document_id = write_offs.write_off_id
    where write_offs.load_batch_id > (select last_batch_id from watermark)
),
{%- endif %}

invoices as (
    select * from {{ ref('stg_erp__invoices') }}
    {%- if is_incremental() %}
    where invoice_id in (select invoice_id from touched_invoices)
    {%- endif %}
),

credit_notes as (
    select * from {{ ref('stg_erp__credit_notes') }}
    {%- if is_incremental() %}
    where invoice_id in (select invoice_id from touched_invoices)
    {%- endif %}
),

payment_applications as (
    select * from {{ ref('stg_erp__payment_applications') }}
    {%- if is_incremental() %}
    where invoice_id in (select invoice_id from touched_invoices)
    {%- endif %}
),

write_offs as (
    select * from {{ ref('stg_erp__write_offs') }}
    {%- if is_incremental() %}
    where invoice_id in (select invoice_id from touched_invoices)
    {%- endif %}
),

invoices_issued as (
    select
        invoice_id,
        'invoice' as movement_type,
        invoice_id as document_id,
        invoice_date as movement_date,
        invoice_amount as movement_amount,
        load_batch_id as source_batch_id
    from invoices
),

credit_notes_allocated as (
    select
        invoice_id,
        'credit_note' as movement_type,
        credit_note_id as document_id,
        credit_note_date as movement_date,
        -credit_note_amount as movement_amount,
        load_batch_id as source_batch_id
    from credit_notes
    where invoice_id is not null
),

payments_applied as (
    select
        invoice_id,
        'payment_application' as movement_type,
        payment_id as document_id,
        applied_date as movement_date,
        -applied_amount as movement_amount,
        load_batch_id as source_batch_id
    from payment_applications
),

write_offs_booked as (
    select
        invoice_id,
        'write_off' as movement_type,
        write_off_id as document_id,
        write_off_date as movement_date,
        -write_off_amount as movement_amount,
        load_batch_id as source_batch_id
    from write_offs
),

movements_booked as (
    select * from invoices_issued
    union all
    select * from credit_notes_allocated
    union all
    select * from payments_applied
    union all
    select * from write_offs_booked
),

daily_totals as (
    select
        invoice_id,
        movement_date,
        sum(movement_amount) as net_movement_amount,
        sum(case when movement_type = 'write_off' then -movement_amount else 0 end) as written_off_amount,
        max(source_batch_id) as source_batch_id
    from movements_booked
    group by invoice_id, movement_date
),

running_totals as (
    select
        invoice_id,
        movement_date,
        sum(net_movement_amount) over (
            partition by invoice_id order by movement_date
            rows between unbounded preceding and current row
        ) as balance_before_recoveries,
        sum(written_off_amount) over (
            partition by invoice_id order by movement_date
            rows between unbounded preceding and current row
        ) as written_off_to_date,
        source_batch_id
    from daily_totals
),

reinstated_to_date as (
    select
        invoice_id,
        movement_date,
        least(written_off_to_date, greatest(0, -balance_before_recoveries)) as reinstated_amount,
        source_batch_id
    from running_totals
),

recoveries as (
    select
        invoice_id,
        'write_off_recovery' as movement_type,
        -- No document of its own: the day's payments recovered it; one row per invoice and day at most.
        'RECOVERY-' || cast(movement_date as {{ dbt.type_string() }}) as document_id,
        movement_date,
        reinstated_amount - coalesce(
            lag(reinstated_amount) over (partition by invoice_id order by movement_date), 0
        ) as movement_amount,
        -- The day's documents caused it: their latest batch.
        source_batch_id
    from reinstated_to_date
),

movements as (
    select * from movements_booked
    union all
    select * from recoveries
    where movement_amount <> 0
),

final as (
    select
        movements.invoice_id,
        movements.movement_type,
        movements.document_id,
        movements.movement_date,
        -- The day the movement counts in the receivable: a document dated before its invoice (a payment applied
        -- ahead of it) counts from the invoice date, as int_invoice_balances_accumulated dates its balances.
        greatest(movements.movement_date, invoices.invoice_date) as effective_date,
        invoices.customer_id,
        invoices.currency_code,
        cast(movements.movement_amount as decimal(18, 2)) as movement_amount,
        cast(movements.source_batch_id as bigint) as source_batch_id,
        cast(latest_batch.processed_batch_id as bigint) as processed_batch_id

    from movements
    inner join invoices
        on movements.invoice_id = invoices.invoice_id
    cross join latest_batch
)

select * from final
