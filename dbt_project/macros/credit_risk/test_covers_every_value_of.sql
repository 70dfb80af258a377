{#
    covers_every_value_of: every value of `field` in the relation `to` has at least one row in this column. The
    reverse of `relationships`: used on lookup seeds that must be complete, e.g. a loss rate for every aging
    bucket, so that no open invoice silently drops out of a join.

        data_tests:
          - covers_every_value_of:
              arguments:
                to: ref('aging_buckets')
                field: bucket_name

    Returns the values of `to` that are missing here.
#}
{% test covers_every_value_of(model, column_name, to, field) %}
    select distinct expected.{{ field }} as missing_value
    from {{ to }} as expected
    left join {{ model }} as covered
        on expected.{{ field }} = covered.{{ column_name }}
    where expected.{{ field }} is not null
        and covered.{{ column_name }} is null
{% endtest %}
