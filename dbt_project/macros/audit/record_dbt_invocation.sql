{#
    record_dbt_invocation(results): the project's on-run-end hook. Writes one row to audit.dbt_invocations
    (ingestion/sql/014_dbt_invocations.sql) for every build, run, test or seed: dbt's invocation_id, the pipeline
    run that started it (var pipeline_run_id), the as-of date, the data test scope and the nodes' outcomes. Other
    commands (compile, docs, parse) change nothing in the warehouse and are not recorded.
#}
{% macro record_dbt_invocation(results) %}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'seed') -%}
        {%- set statuses = results | map(attribute='status') | map('string') | list -%}
        {%- set run_id = var('pipeline_run_id', none) -%}
        {%- set as_of = var('as_of_date', none) -%}
        {%- set from_batch = var('data_tests_from_batch', none) | string | trim -%}
        insert into audit.dbt_invocations (
            invocation_id, pipeline_run_id, command, as_of_date, data_tests_from_batch, run_started_at,
            node_count, error_count, warn_count, skipped_count
        )
        select
            '{{ invocation_id }}',
            {{ "'" ~ (run_id | string | replace("'", "''")) ~ "'" if run_id not in (none, '', 'None') else 'null' }},
            '{{ flags.WHICH }}',
            {{ as_of_date() if as_of is not none else 'null' }},
            {{ from_batch if modules.re.match('^[0-9]+$', from_batch) else 'null' }},
            '{{ run_started_at.isoformat() }}',
            {{ statuses | length }},
            {{ statuses | select('in', ['error', 'fail']) | list | length }},
            {{ statuses | select('equalto', 'warn') | list | length }},
            {{ statuses | select('equalto', 'skipped') | list | length }}
        where not exists (select 1 from audit.dbt_invocations where invocation_id = '{{ invocation_id }}')
    {%- endif -%}
{% endmacro %}
