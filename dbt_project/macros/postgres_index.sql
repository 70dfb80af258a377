{#
    postgres_index(relation, columns, suffix, where=none): `create index if not exists` for a post-hook, on
    PostgreSQL only. The history-heavy incremental models look rows up by their watermark and by date; on another
    engine (docs/decisions/scale-out.md) the statement renders empty, and dbt skips an empty hook.
#}
{% macro postgres_index(relation, columns, suffix, where=none) -%}
    {%- if target.type == 'postgres' -%}
        create index if not exists {{ relation.name }}_{{ suffix }} on {{ relation }} ({{ columns }})
        {%- if where %} where {{ where }}{% endif %}
    {%- endif -%}
{%- endmacro %}
