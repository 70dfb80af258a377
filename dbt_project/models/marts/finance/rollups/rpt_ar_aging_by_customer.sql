-- The aging per customer and currency as of as_of_date: one row per (customer_id, currency_code), the open invoice
-- amounts of fct_ar_aging's snapshot for as_of_date pivoted into one column per aging bucket, beside the cash and
-- credit the customer holds that no invoice carries yet. Definitions: doc block rollups_aging_by_customer.
--
-- Open invoices come from fct_ar_aging (built earlier in the same run for the same date), so the two marts cannot
-- disagree; the view int_ar_aging_totals_reconciled checks it per currency. Unapplied cash and credit are in the
-- currency of the payment and of the customer's account (a credit note carries no currency of its own).
with

aging as (
    select * from {{ ref('fct_ar_aging') }}
),

credit_notes as (
    select * from {{ ref('stg_erp__credit_notes') }}
),

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

open_invoices_by_bucket as (
    select
        customer_id,
        currency_code,
        sum(case when aging_bucket = 'current' then open_amount else 0 end) as current_amount,
        sum(case when aging_bucket = '1-30' then open_amount else 0 end) as days_1_30_amount,
        sum(case when aging_bucket = '31-60' then open_amount else 0 end) as days_31_60_amount,
        sum(case when aging_bucket = '61-90' then open_amount else 0 end) as days_61_90_amount,
        sum(case when aging_bucket = '91-120' then open_amount else 0 end) as days_91_120_amount,
        sum(case when aging_bucket = '120+' then open_amount else 0 end) as days_over_120_amount,
        sum(open_amount) as open_invoices_amount
    from aging
    where as_of_date = {{ as_of_date() }}
    group by customer_id, currency_code
),

-- A payment less what was applied from it by as_of_date (an application dated later does not count, one dated
-- before the payment counts from the payment date): int_payment_balances_accumulated's rows in force on the date,
-- only those not zero (the fully applied history is not read).
unapplied_cash as (
    select
        customer_id,
        currency_code,
        sum(unapplied_amount) as unapplied_cash_amount
    from {{ ref('int_payment_balances_accumulated') }}
    where {{ in_force_on(as_of_date()) }}
        and unapplied_amount <> 0
    group by customer_id, currency_code
),

-- Credit notes without an invoice_id: int_invoice_movements_unioned leaves them out (they move no invoice), so
-- they sit on the customer account, in the account's currency.
unapplied_credit as (
    select
        credit_notes.customer_id,
        customers.currency_code,
        sum(credit_notes.credit_note_amount) as unapplied_credit_amount
    from credit_notes
    inner join customers
        on credit_notes.customer_id = customers.customer_id
    where credit_notes.invoice_id is null
        and credit_notes.credit_note_date <= {{ as_of_date() }}
    group by credit_notes.customer_id, customers.currency_code
),

customer_currencies as (
    select customer_id, currency_code from open_invoices_by_bucket
    union
    select customer_id, currency_code from unapplied_cash
    union
    select customer_id, currency_code from unapplied_credit
),

combined as (
    select
        customer_currencies.customer_id,
        customer_currencies.currency_code,
        coalesce(open_invoices_by_bucket.current_amount, 0) as current_amount,
        coalesce(open_invoices_by_bucket.days_1_30_amount, 0) as days_1_30_amount,
        coalesce(open_invoices_by_bucket.days_31_60_amount, 0) as days_31_60_amount,
        coalesce(open_invoices_by_bucket.days_61_90_amount, 0) as days_61_90_amount,
        coalesce(open_invoices_by_bucket.days_91_120_amount, 0) as days_91_120_amount,
        coalesce(open_invoices_by_bucket.days_over_120_amount, 0) as days_over_120_amount,
        coalesce(open_invoices_by_bucket.open_invoices_amount, 0) as open_invoices_amount,
        coalesce(unapplied_cash.unapplied_cash_amount, 0) as unapplied_cash_amount,
        coalesce(unapplied_credit.unapplied_credit_amount, 0) as unapplied_credit_amount
    from customer_currencies
    left join open_invoices_by_bucket
        on customer_currencies.customer_id = open_invoices_by_bucket.customer_id
        and customer_currencies.currency_code = open_invoices_by_bucket.currency_code
    left join unapplied_cash
        on customer_currencies.customer_id = unapplied_cash.customer_id
        and customer_currencies.currency_code = unapplied_cash.currency_code
    left join unapplied_credit
        on customer_currencies.customer_id = unapplied_credit.customer_id
        and customer_currencies.currency_code = unapplied_credit.currency_code
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        customer_id,
        currency_code,
        cast(current_amount as decimal(18, 2)) as current_amount,
        cast(days_1_30_amount as decimal(18, 2)) as days_1_30_amount,
        cast(days_31_60_amount as decimal(18, 2)) as days_31_60_amount,
        cast(days_61_90_amount as decimal(18, 2)) as days_61_90_amount,
        cast(days_91_120_amount as decimal(18, 2)) as days_91_120_amount,
        cast(days_over_120_amount as decimal(18, 2)) as days_over_120_amount,
        cast(open_invoices_amount as decimal(18, 2)) as open_invoices_amount,
        cast(unapplied_cash_amount as decimal(18, 2)) as unapplied_cash_amount,
        cast(unapplied_credit_amount as decimal(18, 2)) as unapplied_credit_amount,
        cast(open_invoices_amount - unapplied_cash_amount - unapplied_credit_amount as decimal(18, 2))
            as net_balance_amount
    from combined
    -- Customers with any non-zero figure (an invoice open at zero is not in fct_ar_aging in the first place).
    where current_amount <> 0
        or days_1_30_amount <> 0
        or days_31_60_amount <> 0
        or days_61_90_amount <> 0
        or days_91_120_amount <> 0
        or days_over_120_amount <> 0
        or open_invoices_amount <> 0
        or unapplied_cash_amount <> 0
        or unapplied_credit_amount <> 0
)

select * from final
