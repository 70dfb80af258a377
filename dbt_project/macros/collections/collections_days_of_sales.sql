{#
    collections_days_of_sales(receivable, sales, days): how many days of sales the receivable represents,
    receivable / sales x days, as a full-precision numeric; null when there were no sales (sales <= 0), since a
    period without sales has no daily sales rate to divide by.

    Used for simple DSO, best possible DSO and quarterly DSO (doc blocks collections_dso_simple,
    collections_best_possible_dso, collections_dso_trend_alert). Multiplying before dividing keeps the digits that
    numeric division would otherwise round away.
#}
{% macro collections_days_of_sales(receivable, sales, days) -%}
    case
        when {{ sales }} > 0
            then {{ receivable }} * {{ days }} / {{ sales }}
    end
{%- endmacro %}
