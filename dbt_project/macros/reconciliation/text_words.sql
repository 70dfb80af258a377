{#
    Words of a free text, for naming an invoice in a remittance text (fct_bank_reconciliation). A word is a run of
    letters and digits, in upper case; anything else separates words. So `Rechnung INV-7.` has the words RECHNUNG,
    INV and 7, and the invoice INV-7 is named by the words INV 7 in a row, whatever separates them in the text
    (INV-7, INV 7, INV/7), and never by INV-70 or XINV-7.

    text_words(relation, key_column, text_column): a query of (key_column, word), each word of a row's text once.
    word_string(text): the text's words, each between single spaces (' INV 7 '), so that a whole-word search is a
    substring search: position(word_string(invoice) in word_string(text)) > 0.

    Splitting a string into rows has no cross-database macro in dbt; the default below is the spelling PostgreSQL
    and DuckDB share. Another engine adds its own <adapter>__text_words and <adapter>__word_string
    (docs/decisions/scale-out.md).
#}
{% macro text_words(relation, key_column, text_column) -%}
    {{ return(adapter.dispatch('text_words')(relation, key_column, text_column)) }}
{%- endmacro %}

{% macro default__text_words(relation, key_column, text_column) -%}
    select distinct words.{{ key_column }}, words.word
    from (
        select
            {{ key_column }},
            unnest(regexp_split_to_array(upper({{ text_column }}), '[^[:alnum:]]+')) as word
        from {{ relation }}
        where {{ text_column }} is not null
    ) as words
    where words.word <> ''
{%- endmacro %}

{% macro word_string(text) -%}
    {{ return(adapter.dispatch('word_string')(text)) }}
{%- endmacro %}

{% macro default__word_string(text) -%}
    (' ' || trim(regexp_replace(upper({{ text }}), '[^[:alnum:]]+', ' ', 'g')) || ' ')
{%- endmacro %}
