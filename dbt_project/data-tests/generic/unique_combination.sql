{#
    unique_combination: no two rows share the same values of `combination_of_columns` (a fact's grain).
    Written here because dbt_utils (unique_combination_of_columns) is a hub package and the hub is out of reach.

        data_tests:
          - unique_combination:
              arguments:
                combination_of_columns: [as_of_date, invoice_id]

    Returns one row per duplicated key, with how many times it occurs.
#}
{% test unique_combination(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') -%}

    select
        {{ columns }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
