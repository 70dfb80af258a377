{#
    customer_monthly_flows(movements, restate_from=none): a select of the receivable's flows per customer,
    currency and month, shared by rpt_collections_monthly_by_customer and rpt_ar_rollforward so that both date and
    classify every movement the same way (and both roll forward to int_customer_months_balanced).

    movements: the movements (int_invoice_movements_unioned; pass ref(...), not a CTE over it, so that PostgreSQL
    finds the window's movements through the index on effective_date instead of materializing the history). A
    movement counts on its effective_date (its document date, or the invoice date when it is dated earlier, as
    int_invoice_balances_accumulated dates it; so an invoice dated after as_of_date drops out with its
    movements), up to as_of_date, and from restate_from on only, when given (an incremental run). Flows are shown
    positive (a payment reversal is a negative collection): invoiced_amount, collected_amount, credit_note_amount,
    write_off_amount (net of recoveries: cash received after a write-off reinstates that part of it,
    write_off_recovery), and other_adjustment_amount, any other movement type with its own sign.
#}
{% macro customer_monthly_flows(movements, restate_from=none) %}
    {%- set named_types = ['invoice', 'payment_application', 'credit_note', 'write_off', 'write_off_recovery'] -%}
    select
        customer_id,
        currency_code,
        cast({{ dbt.date_trunc('month', 'effective_date') }} as date) as month_start_date,
        sum(case when movement_type = 'invoice' then movement_amount else 0 end) as invoiced_amount,
        -sum(case when movement_type = 'payment_application' then movement_amount else 0 end) as collected_amount,
        -sum(case when movement_type = 'credit_note' then movement_amount else 0 end) as credit_note_amount,
        -sum(case when movement_type in ('write_off', 'write_off_recovery') then movement_amount else 0 end)
            as write_off_amount,
        sum(
            case when movement_type not in ('{{ named_types | join("', '") }}') then movement_amount else 0 end
        ) as other_adjustment_amount
    from {{ movements }}
    where effective_date <= {{ as_of_date() }}
    {%- if restate_from is not none %}
        and effective_date >= {{ restate_from }}
    {%- endif %}
    group by customer_id, currency_code, cast({{ dbt.date_trunc('month', 'effective_date') }} as date)
{% endmacro %}
