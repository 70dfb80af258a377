{#
    customer_monthly_flows(invoices_issued, movements, restate_from=none): a select of the receivable's flows per
    customer, currency and month, shared by rpt_collections_monthly_by_customer and rpt_ar_rollforward so that
    both date and classify every movement the same way (and both roll forward to int_customer_months_balanced).

    invoices_issued: a relation or CTE of the invoices (those dated after as_of_date drop out, since a movement
    counts on its invoice's date at the earliest); movements: the movements (int_invoice_movements_unioned). Pass
    the relations themselves (ref(...)), not CTEs over them: PostgreSQL materializes a CTE read more than once,
    every invoice and movement of the history, where an incremental run needs the few dated in its window. A movement counts on its document date, or on the invoice date when it is
    dated earlier (a payment applied ahead of its invoice), as int_invoice_balances_accumulated dates it, and up to
    as_of_date; from restate_from on only, when given (an incremental run). Flows are shown positive (a payment
    reversal is a negative collection): invoiced_amount, collected_amount, credit_note_amount, write_off_amount
    (net of recoveries: cash received after a write-off reinstates that part of it, write_off_recovery), and
    other_adjustment_amount, any other movement type with its own sign.
#}
{% macro customer_monthly_flows(invoices_issued, movements, restate_from=none) %}
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
    from (
        select
            invoices_issued.customer_id,
            invoices_issued.currency_code,
            movements.movement_type,
            movements.movement_amount,
            greatest(movements.movement_date, invoices_issued.invoice_date) as effective_date
        from {{ movements }} as movements
        inner join {{ invoices_issued }} as invoices_issued
            on movements.invoice_id = invoices_issued.invoice_id
        {%- if restate_from is not none %}
        {#- effective_date >= restate_from when the movement or its invoice is dated from then on: two disjoint
            parts, so that each can be found by date (an index on movement_date; the few invoices issued since)
            instead of dating every movement of the history. #}
        where movements.movement_date >= {{ restate_from }}
        union all
        select
            invoices_issued.customer_id,
            invoices_issued.currency_code,
            movements.movement_type,
            movements.movement_amount,
            invoices_issued.invoice_date as effective_date
        from {{ movements }} as movements
        inner join {{ invoices_issued }} as invoices_issued
            on movements.invoice_id = invoices_issued.invoice_id
        where movements.movement_date < {{ restate_from }}
            and invoices_issued.invoice_date >= {{ restate_from }}
        {%- endif %}
    ) as movements_dated
    where effective_date <= {{ as_of_date() }}
    {%- if restate_from is not none %}
        and effective_date >= {{ restate_from }}
    {%- endif %}
    group by customer_id, currency_code, cast({{ dbt.date_trunc('month', 'effective_date') }} as date)
{% endmacro %}
