{#
    in_force_on(on_date, relation=none): the condition that a row of a validity-interval table holds on on_date (a
    SQL date expression). int_invoice_balances_accumulated and int_payment_balances_accumulated keep one row per
    change, valid from balance_date up to (not including) next_balance_date, null while still in force; every as-of
    read of them goes through this one rule. relation: the table's alias in the query, when it needs one.
#}
{% macro in_force_on(on_date, relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ prefix }}balance_date <= {{ on_date }}
        and ({{ prefix }}next_balance_date is null or {{ prefix }}next_balance_date > {{ on_date }})
{%- endmacro %}
