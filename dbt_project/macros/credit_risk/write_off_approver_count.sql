{#
    write_off_approver_count(column): how many distinct people approved a write-off, read from the ERP's single
    free-text approved_by field, as a SQL integer expression.

    The canonical ERP model has one approved_by column, so a second approval is recorded by naming both people in
    it. Names are split on ',', '&' or the word 'and' with blanks on both sides (any case):
        'm.keller'                  -> 1
        'm.keller, a.dubois'        -> 2
        'm.keller & a.dubois'       -> 2
        'M. Keller and A. Dubois'   -> 2
        'Alexandra Anderson'        -> 1   ('and' inside a word is not a separator)
        'm.keller & M.Keller'       -> 1   (the same person twice is one approver: names are compared trimmed,
                                            case-insensitively)
        null, '', ' , '             -> 0
    Splitting a string into rows has no cross-database macro in dbt: the default below is PostgreSQL's spelling
    (regexp_split_to_array with the 'i' flag); another engine adds its own <adapter>__write_off_approver_count
    (docs/decisions/scale-out.md).
#}
{% macro write_off_approver_count(column) -%}
    {{ return(adapter.dispatch('write_off_approver_count')(column)) }}
{%- endmacro %}

{% macro default__write_off_approver_count(column) -%}
    (
        select cast(count(distinct lower(trim(approver_name))) as integer)
        from unnest(
            regexp_split_to_array(coalesce({{ column }}, ''), '\s*(,|&|\sand\s)\s*', 'i')
        ) as approver_name
        where trim(approver_name) <> ''
    )
{%- endmacro %}
