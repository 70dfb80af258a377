{#
    Models land in exactly the schema they are configured for (staging, intermediate, marts), not dbt's default
    `<target schema>_<custom schema>`. Those schemas are created by ingestion/sql/001_schemas_and_roles.sql and
    carry the grants of 006_grants.sql. A node with no custom schema falls back to the target schema (staging).
    Developers isolate themselves with their own database (the project-local cluster), not with schema prefixes.
    The one exception is `arwh reproduce` (ingestion/reproduce.py), which builds a past run's reconciliation into
    scratch schemas: var target_schema_prefix, prepended to every schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = var('target_schema_prefix', '') | trim -%}
    {%- if custom_schema_name is none -%}
        {{ prefix }}{{ target.schema }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
