-- One row per write-off dated on or before as_of_date, with how overdue the invoice was when it was written off,
-- what was recovered on it afterwards, and the write-off controls (see the doc block credit_risk_write_off_controls).
-- Rebuilt whole on every run for the as_of_date var.
--
-- Write-offs whose invoice is not in stg_erp__invoices are left out, as in int_invoice_movements_unioned: they
-- have no customer, currency or due date, and the staging relationships test on stg_erp__write_offs reports them.
{%- set second_approver_threshold = var('write_off_second_approver_threshold', 10000) %}
{%- set min_days_overdue = var('write_off_min_days_overdue', 90) %}

with

write_offs as (
    select * from {{ ref('stg_erp__write_offs') }}
),

invoices as (
    select * from {{ ref('stg_erp__invoices') }}
),

payment_applications as (
    select * from {{ ref('stg_erp__payment_applications') }}
),

aging_buckets as (
    select * from {{ ref('aging_buckets') }}
),

write_offs_booked as (
    select
        write_offs.write_off_id,
        write_offs.invoice_id,
        invoices.customer_id,
        write_offs.write_off_date,
        invoices.currency_code,
        write_offs.write_off_amount as amount,
        write_offs.write_off_reason as reason,
        write_offs.approved_by,
        {{ write_off_approver_count('write_offs.approved_by') }} as approver_count,
        -- Same day count as the aging: positive once the due date has passed.
        {{ dbt.datediff('invoices.due_date', 'write_offs.write_off_date', 'day') }} as days_past_due_at_write_off

    from write_offs
    inner join invoices
        on write_offs.invoice_id = invoices.invoice_id
    where write_offs.write_off_date <= {{ as_of_date() }}
),

-- Cash that still came in on the invoice after it was written off: applications dated after the write-off date
-- and on or before as_of_date (a reversal counts negative). Applications on the write-off date itself are not
-- recoveries: they were known when the remaining balance was written off.
recoveries as (
    select
        write_offs_booked.write_off_id,
        sum(payment_applications.applied_amount) as recovered_amount
    from write_offs_booked
    inner join payment_applications
        on write_offs_booked.invoice_id = payment_applications.invoice_id
        and payment_applications.applied_date > write_offs_booked.write_off_date
        and payment_applications.applied_date <= {{ as_of_date() }}
    group by write_offs_booked.write_off_id
),

-- Bounds are inclusive; a null bound is open-ended (see the seed aging_buckets and fct_ar_aging).
write_offs_bucketed as (
    select
        write_offs_booked.*,
        aging_buckets.bucket_name as aging_bucket_at_write_off
    from write_offs_booked
    left join aging_buckets
        on (aging_buckets.min_days is null or write_offs_booked.days_past_due_at_write_off >= aging_buckets.min_days)
        and (aging_buckets.max_days is null or write_offs_booked.days_past_due_at_write_off <= aging_buckets.max_days)
),

write_offs_checked as (
    select
        write_offs_bucketed.*,
        coalesce(recoveries.recovered_amount, 0) as recovered_amount,
        write_offs_bucketed.approver_count = 0 as has_no_approver,
        write_offs_bucketed.amount > {{ second_approver_threshold }}
            and write_offs_bucketed.approver_count < 2 as is_above_threshold_without_second_approver,
        write_offs_bucketed.days_past_due_at_write_off < {{ min_days_overdue }} as is_written_off_too_early
    from write_offs_bucketed
    left join recoveries
        on write_offs_bucketed.write_off_id = recoveries.write_off_id
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        write_off_id,
        invoice_id,
        customer_id,
        write_off_date,
        currency_code,
        cast(amount as decimal(18, 2)) as amount,
        reason,
        approved_by,
        approver_count,
        cast(days_past_due_at_write_off as integer) as days_past_due_at_write_off,
        aging_bucket_at_write_off,
        cast(recovered_amount as decimal(18, 2)) as recovered_amount,
        has_no_approver,
        is_above_threshold_without_second_approver,
        is_written_off_too_early,
        has_no_approver
            or is_above_threshold_without_second_approver
            or is_written_off_too_early as is_control_exception
    from write_offs_checked
)

select * from final
