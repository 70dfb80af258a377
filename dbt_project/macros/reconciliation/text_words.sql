{#
    Words of a free text, for naming an invoice in a remittance text (fct_bank_reconciliation). A word is a run of
    letters and digits, in upper case; anything else separates words. So `Rechnung INV-7.` has the words RECHNUNG,
    INV and 7, and the invoice INV-7 is named by the words INV 7 in a row, whatever separates them in the text
    (INV-7, INV 7, INV/7), and never by INV-70 or XINV-7.

    text_words(relation, key_column, text_column, words_in=none): a query of (key_column, word), each word of a
    row's text once; with words_in (a query of one column), only the words it lists, kept before the DISTINCT so
    that the DISTINCT handles those alone.
    word_string(text): the text's words, each between single spaces (' INV 7 '), so that a whole-word search is a
    substring search: position(word_string(invoice) in word_string(text)) > 0.
    last_word(text): the text's last word (INV-2026-000123: 000123), null when it has none.

    Regular expressions have no cross-database macro in dbt. The defaults below are the spelling PostgreSQL and
    DuckDB share (last_word's default that of DuckDB, Spark and Trino, with PostgreSQL's own); another
    engine adds its own <adapter>__ version (docs/decisions/scale-out.md).
#}
{% macro text_words(relation, key_column, text_column, words_in=none) -%}
    {{ return(adapter.dispatch('text_words')(relation, key_column, text_column, words_in)) }}
{%- endmacro %}

{% macro default__text_words(relation, key_column, text_column, words_in=none) -%}
    select distinct words.{{ key_column }}, words.word
    from (
        select
            {{ key_column }},
            unnest(regexp_split_to_array(upper({{ text_column }}), '[^[:alnum:]]+')) as word
        from {{ relation }}
        where {{ text_column }} is not null
    ) as words
    where words.word <> ''
    {%- if words_in %}
        and words.word in ({{ words_in }})
    {%- endif %}
{%- endmacro %}

{% macro word_string(text) -%}
    {{ return(adapter.dispatch('word_string')(text)) }}
{%- endmacro %}

{% macro default__word_string(text) -%}
    (' ' || trim(regexp_replace(upper({{ text }}), '[^[:alnum:]]+', ' ', 'g')) || ' ')
{%- endmacro %}

{% macro last_word(text) -%}
    {{ return(adapter.dispatch('last_word')(text)) }}
{%- endmacro %}

{% macro default__last_word(text) -%}
    nullif(regexp_extract(upper({{ text }}), '([[:alnum:]]+)[^[:alnum:]]*$', 1), '')
{%- endmacro %}

{% macro postgres__last_word(text) -%}
    substring(upper({{ text }}) from '([[:alnum:]]+)[^[:alnum:]]*$')
{%- endmacro %}
