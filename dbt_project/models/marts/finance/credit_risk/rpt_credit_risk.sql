-- One row per customer as of as_of_date: exposure against the credit limit, concentration, dunning stage,
-- credit insurance, the expected-loss allowance and the new-customer limit check. Rebuilt whole on every run for
-- the as_of_date var. The rules and thresholds are the doc blocks credit_risk_exposure, credit_risk_reminder_stage,
-- credit_risk_insurance, credit_risk_allowance and credit_risk_new_customer_limit_check (_credit_risk__docs.md).
--
-- Amounts are in the customer's currency (the currency of its credit limit). The customer's open invoices in
-- any other currency are not converted (the warehouse holds no exchange rates) and not added: they are counted
-- in other_currency_open_invoice_count and count only for max_days_past_due and reminder_stage.
{%- set concentration_threshold = var('concentration_threshold', 0.20) %}
{%- set legal_stage_days = var('legal_stage_days', 60) %}
{%- set claim_min_days_past_due = var('insured_claim_min_days_past_due', 90) %}
{%- set new_customer_days = var('new_customer_days', 90) %}
{%- set new_customer_limit_share = var('new_customer_limit_share_of_monthly_sales', 0.15) %}

with

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

-- The invoices open on as_of_date with their open amount and days past due: fct_ar_aging's snapshot for the date,
-- built earlier in the same run, so exposure, dunning and allowance are worked out on exactly the open items the
-- aging shows. The table keeps every earlier date too, hence the filter in open_invoices; columns are named so
-- that columns added to it later do not flow in here.
aging as (
    select
        as_of_date,
        customer_id,
        currency_code,
        open_amount,
        days_past_due
    from {{ ref('fct_ar_aging') }}
),

reminder_stages as (
    select * from {{ ref('reminder_stages') }}
),

open_invoices as (
    select * from aging
    where as_of_date = {{ as_of_date() }}
),

-- The whole open book per currency, every customer's invoices in it: the denominator of share_of_total_ar
-- (fct_ar_aging's total for the date).
currency_totals as (
    select
        currency_code,
        sum(open_amount) as total_open_amount
    from open_invoices
    group by currency_code
),

-- The allowance per invoice, by the provision matrix on days past due (macro credit_risk_invoice_allowance).
open_invoices_provisioned as (
    {{ credit_risk_invoice_allowance('open_invoices') }}
),

-- Amounts count only in the customer's own currency; is_in_customer_currency marks which invoices those are.
open_invoices_of_customers as (
    select
        open_invoices_provisioned.*,
        coalesce(open_invoices_provisioned.currency_code = customers.currency_code, false)
            as is_in_customer_currency
    from open_invoices_provisioned
    inner join customers
        on open_invoices_provisioned.customer_id = customers.customer_id
),

customer_open_items as (
    select
        customer_id,
        sum(case when is_in_customer_currency then open_amount else 0 end) as exposure_amount,
        sum(case when is_in_customer_currency then allowance_amount else 0 end) as allowance_amount,
        sum(
            case
                when is_in_customer_currency
                    and open_amount > 0
                    and days_past_due >= {{ claim_min_days_past_due }}
                    then open_amount
                else 0
            end
        ) as claimable_open_amount,
        count(case when not is_in_customer_currency then 1 end) as other_currency_open_invoice_count,
        -- Only what the customer owes is overdue: credit balances do not age.
        max(case when open_amount > 0 then days_past_due end) as oldest_days_past_due
    from open_invoices_of_customers
    group by customer_id
),

-- Sales so far for the new-customer check: the first invoice (any currency) and the gross amount invoiced in
-- the customer's currency, over the calendar months from the first invoice's month to as_of_date's, inclusive.
-- The amounts come from the monthly credit sales of rpt_collections_monthly_by_customer (built earlier in the run,
-- one row per customer, currency and month from the month of the first invoice, with the current month as of
-- as_of_date), not from every invoice of the history; the first invoice's day from the invoices of that month.
customer_sales_by_currency as (
    select
        customer_id,
        currency_code,
        min(month_start_date) as first_month_start_date,
        sum(credit_sales_amount) as credit_sales_amount
    from {{ ref('rpt_collections_monthly_by_customer') }}
    where month_start_date <= {{ as_of_date() }}
    group by customer_id, currency_code
),

customer_first_months as (
    select
        customer_id,
        min(first_month_start_date) as first_month_start_date
    from customer_sales_by_currency
    group by customer_id
),

customer_first_invoices as (
    select
        customer_first_months.customer_id,
        min(first_month_invoices.invoice_date) as first_invoice_date
    from customer_first_months
    inner join {{ ref('stg_erp__invoices') }} as first_month_invoices
        on customer_first_months.customer_id = first_month_invoices.customer_id
        and first_month_invoices.invoice_date >= customer_first_months.first_month_start_date
        and first_month_invoices.invoice_date
            < {{ dbt.dateadd('month', 1, 'customer_first_months.first_month_start_date') }}
        and first_month_invoices.invoice_date <= {{ as_of_date() }}
    group by customer_first_months.customer_id
),

customer_sales as (
    select
        customers.customer_id,
        customer_first_invoices.first_invoice_date,
        sum(
            case
                when customer_sales_by_currency.currency_code = customers.currency_code
                    then customer_sales_by_currency.credit_sales_amount
                else 0
            end
        ) as invoiced_amount
    from customers
    inner join customer_first_invoices
        on customers.customer_id = customer_first_invoices.customer_id
    inner join customer_sales_by_currency
        on customers.customer_id = customer_sales_by_currency.customer_id
    group by customers.customer_id, customer_first_invoices.first_invoice_date
),

customer_positions as (
    select
        customers.customer_id,
        customers.customer_name,
        customers.currency_code,
        customers.credit_limit_amount,
        customers.insured_share,
        coalesce(customer_open_items.exposure_amount, 0) as exposure_amount,
        coalesce(customer_open_items.allowance_amount, 0) as allowance_amount,
        coalesce(customer_open_items.claimable_open_amount, 0) as claimable_open_amount,
        coalesce(customer_open_items.other_currency_open_invoice_count, 0) as other_currency_open_invoice_count,
        greatest(coalesce(customer_open_items.oldest_days_past_due, 0), 0) as max_days_past_due,
        currency_totals.total_open_amount as currency_total_open_amount,
        customer_sales.first_invoice_date,
        customer_sales.invoiced_amount,
        {{ dbt.datediff('customer_sales.first_invoice_date', as_of_date(), 'day') }} as days_since_first_invoice,
        cast({{ dbt.datediff('customer_sales.first_invoice_date', as_of_date(), 'month') }} as integer) + 1
            as months_with_sales
    from customers
    left join customer_open_items
        on customers.customer_id = customer_open_items.customer_id
    left join customer_sales
        on customers.customer_id = customer_sales.customer_id
    left join currency_totals
        on customers.currency_code = currency_totals.currency_code
),

-- A stage holds from its min_days_past_due to the day before the next stage's; the last one is open-ended.
reminder_stage_bands as (
    select
        reminder_stage,
        min_days_past_due,
        lead(min_days_past_due) over (order by min_days_past_due) - 1 as max_days_past_due
    from reminder_stages
),

customer_positions_staged as (
    select
        customer_positions.*,
        case
            when customer_positions.max_days_past_due >= {{ legal_stage_days }} then 'legal'
            else coalesce(reminder_stage_bands.reminder_stage, 'none')
        end as reminder_stage
    from customer_positions
    left join reminder_stage_bands
        on customer_positions.max_days_past_due >= reminder_stage_bands.min_days_past_due
        and (
            reminder_stage_bands.max_days_past_due is null
            or customer_positions.max_days_past_due <= reminder_stage_bands.max_days_past_due
        )
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        customer_id,
        customer_name,
        currency_code,
        credit_limit_amount,
        cast(exposure_amount as decimal(18, 2)) as exposure_amount,
        cast(exposure_amount / nullif(credit_limit_amount, 0) as decimal(18, 6)) as utilization,
        coalesce(exposure_amount > credit_limit_amount, false) as is_over_limit,
        cast(exposure_amount / nullif(currency_total_open_amount, 0) as decimal(18, 6)) as share_of_total_ar,
        -- Compared without dividing, so exactly the threshold is not a concentration.
        coalesce(
            currency_total_open_amount > 0
            and exposure_amount > {{ concentration_threshold }} * currency_total_open_amount,
            false
        ) as is_concentration_risk,
        cast(other_currency_open_invoice_count as integer) as other_currency_open_invoice_count,
        cast(max_days_past_due as integer) as max_days_past_due,
        reminder_stage,
        insured_share,
        cast(round(greatest(exposure_amount, 0) * coalesce(insured_share, 0), 2) as decimal(18, 2))
            as insured_exposure_amount,
        cast(round(claimable_open_amount * coalesce(insured_share, 0), 2) as decimal(18, 2))
            as claimable_insured_amount,
        cast(allowance_amount as decimal(18, 2)) as allowance_amount,
        first_invoice_date,
        coalesce(days_since_first_invoice <= {{ new_customer_days }}, false) as is_new_customer,
        cast(invoiced_amount / months_with_sales as decimal(18, 2)) as average_monthly_sales_amount,
        -- limit > share x (invoiced / months), multiplied out so the comparison is exact.
        coalesce(
            days_since_first_invoice <= {{ new_customer_days }}
            and credit_limit_amount * months_with_sales > {{ new_customer_limit_share }} * invoiced_amount,
            false
        ) as is_initial_limit_too_high
    from customer_positions_staged
)

select * from final
