{#
    accepted_range: every non-null value of the column lies within [min_value, max_value] (either bound may be
    left out; `inclusive: false` makes both bounds strict). A small stand-in for dbt_utils.accepted_range.

        data_tests:
          - accepted_range:
              arguments:
                min_value: 0
#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error("accepted_range on " ~ column_name ~ " needs min_value or max_value") }}
    {%- endif -%}
    {%- set lower = '>=' if inclusive else '>' -%}
    {%- set upper = '<=' if inclusive else '<' -%}

    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
      and not (
        {%- if min_value is not none %} {{ column_name }} {{ lower }} {{ min_value }}{% endif -%}
        {%- if min_value is not none and max_value is not none %} and{% endif -%}
        {%- if max_value is not none %} {{ column_name }} {{ upper }} {{ max_value }}{% endif %}
      )
{% endtest %}
