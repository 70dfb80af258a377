{#
    data_test_scope(column, kind): the `where` of a data test on a table that grows with the history, so that a
    daily run tests the rows the day changed rather than the whole history (issue 4: a day costs work in proportion
    to its changes). The var data_tests_from_batch says which rows those are: the last load batch
    (audit.load_batches) before the day's loads. The daily DAG sets it; without it (CI, `arwh transform`, the
    DAG's weekly full check) every row is tested.

    kind:
      * 'batch': rows loaded or recomputed since that batch: column is a load batch (load_batch_id of a staging
        model) or the watermark of an incremental model (processed_batch_id), which a run sets to the latest batch
        on every row it recomputes;
      * 'as_of_date': the rows of the run's date in a table of daily snapshots (column as_of_date);
      * 'month': the months an incremental monthly report rebuilds (column month_start_date; the restated months
        and the one before them, whose closing the current opening is checked against).

    Why the day's rows are enough between full checks: the incremental models replace every row of what they
    recompute (delete+insert on the key), so a duplicate or a broken reference can only come in with rows written
    that day; rows written earlier were tested the day they were written. The weekly full check (and any run
    without the var) tests everything again.

    Written in a test's config as the plain text `where: "data_test_scope(column, kind)"` (kind defaults to
    batch): dbt renders a generic test's config when it parses the project, where neither this macro nor the
    day's vars exist yet, so get_where_subquery (below) expands it when the test is compiled. Any other `where`
    works as dbt documents it.
#}
{% macro data_test_scope(column, kind='batch') -%}
    {%- set from_batch = var('data_tests_from_batch', none) -%}
    {%- set from_batch_text = from_batch | string | trim if from_batch is not none else '' -%}
    {%- if from_batch_text in ('', 'None', 'none', 'null') -%}
        1 = 1
    {%- elif not modules.re.match('^[0-9]+$', from_batch_text) -%}
        {{ exceptions.raise_compiler_error(
            "The var 'data_tests_from_batch' must be a load batch number (audit.load_batches.batch_id), got '"
            ~ from_batch_text ~ "'."
        ) }}
    {%- elif kind == 'batch' -%}
        {{ column }} > {{ from_batch_text }}
    {%- elif kind == 'as_of_date' -%}
        {{ column }} = {{ as_of_date() }}
    {%- elif kind == 'month' -%}
        {{ column }} >= {{ monthly_restate_from(minimum_months=1) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("data_test_scope: unknown kind '" ~ kind ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- dbt's get_where_subquery (the relation a generic test reads, filtered by its `where` config), extended to
    expand `data_test_scope(...)` at compile time; every other `where` as dbt does it. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set scope = modules.re.match(
        '^\\s*data_test_scope\\(\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(?:,\\s*([a-z_]+)\\s*)?\\)\\s*$', where or ''
    ) -%}
    {%- if scope -%}
        {%- set where = data_test_scope(scope.group(1), scope.group(2) or 'batch') | trim -%}
        {%- if where == '1 = 1' -%}
            {%- do return(relation) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
