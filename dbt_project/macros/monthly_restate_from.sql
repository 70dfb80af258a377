{#
    monthly_restate_from(minimum_months=0): the first month an incremental run of the monthly reports rebuilds, as
    a SQL date: the month of as_of_date less var monthly_restate_months (default 1: the current and the previous
    month, so a document posted in the first days of a month into the month before is picked up), and at least
    minimum_months back. 0 rebuilds only the current month; a larger number restates further back after a
    backdated correction.
#}
{% macro monthly_restate_from(minimum_months=0) %}
    {%- set months = [var('monthly_restate_months', 1) | int, minimum_months] | max -%}
    {%- if months < 0 -%}
        {{ exceptions.raise_compiler_error("The var 'monthly_restate_months' cannot be negative, got " ~ months) }}
    {%- endif -%}
    {{- return("cast(" ~ dbt.dateadd('month', -1 * months, dbt.date_trunc('month', as_of_date())) ~ " as date)") -}}
{% endmacro %}
