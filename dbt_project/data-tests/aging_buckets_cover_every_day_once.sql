-- Every whole number of days past due must fall in exactly one aging bucket of the seed, or an open invoice
-- would drop out of the aging (no bucket) or be counted twice (two buckets). Checked from ten years before the
-- due date to ten years after it, which is wider than any bound in the seed. Returns the days that fail.
with

aging_buckets as (
    select * from {{ ref('aging_buckets') }}
),

days as (
    select cast(day_number as integer) as days_past_due
    from generate_series(-3660, 3660) as day_number
),

buckets_per_day as (
    select
        days.days_past_due,
        count(aging_buckets.bucket_name) as bucket_count
    from days
    left join aging_buckets
        on (aging_buckets.min_days is null or days.days_past_due >= aging_buckets.min_days)
        and (aging_buckets.max_days is null or days.days_past_due <= aging_buckets.max_days)
    group by days.days_past_due
),

final as (
    select * from buckets_per_day
    where bucket_count <> 1
)

select * from final
