-- One row per invoice dated on or before as_of_date, with its open amount and settlement as of that date.
-- A view over intermediate.int_invoices_settled, the incremental table that keeps each invoice's figures and
-- recomputes only those that a day changes (see there); the view adds the date the figures are as of. Views take
-- no constraints: the grain is checked by the data tests (unique, not_null) and by the table's unique key.
{{ config(materialized='view') }}

select
    {{ as_of_date() }} as as_of_date,
    invoice_id,
    customer_id,
    invoice_date,
    due_date,
    currency_code,
    amount,
    open_amount,
    settled_date,
    days_to_settle,
    days_late,
    is_paid_on_time,
    paid_amount,
    is_discount_taken,
    discount_taken_amount,
    is_disputed

from {{ ref('int_invoices_settled') }}
where invoice_date <= {{ as_of_date() }}
