-- Open invoices of as_of_date that could not be valued in the functional currency (no recent enough rate).
-- One row per currency: a missing rate is a failed check, never a silent zero in the functional totals.
select
    currency_code,
    functional_currency_code,
    count(*) as open_invoices_without_rate,
    sum(open_amount) as open_amount_without_rate
from {{ ref('fct_ar_aging') }}
where as_of_date = {{ as_of_date() }}
    and open_amount_functional is null
group by currency_code, functional_currency_code
