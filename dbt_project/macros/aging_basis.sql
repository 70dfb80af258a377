{#
    aging_basis(): the invoice date column that aging counts days from, from the var aging_basis:
      due_date (default): days past due, the usual collections view;
      invoice_date: days since the invoice, for policies that age from the document date.
    Any other value stops the run with a clear error instead of aging on a wrong column.
#}
{% macro aging_basis() %}
    {%- set value = var('aging_basis', 'due_date') | string | trim -%}
    {%- if value not in ['due_date', 'invoice_date'] -%}
        {{ exceptions.raise_compiler_error(
            "The var 'aging_basis' must be due_date or invoice_date, not '" ~ value ~ "'."
        ) }}
    {%- endif -%}
    {{- return(value) -}}
{% endmacro %}
