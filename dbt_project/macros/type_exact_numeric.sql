{#
    type_exact_numeric(): an exact decimal type without a fixed scale, for ratios and settings whose precision the
    inputs decide. PostgreSQL's numeric is exact at any precision; other engines have no such type, and get
    dbt's exact numeric type for the adapter (docs/decisions/scale-out.md).
#}
{% macro type_exact_numeric() -%}
    {%- if target.type == 'postgres' -%}numeric{%- else -%}{{ dbt.type_numeric() }}{%- endif -%}
{%- endmacro %}
