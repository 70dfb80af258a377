{#
    one_to_one_pairs(candidates, match_rule, confidence): the pairs of a bank reconciliation rule
    (fct_bank_reconciliation) that it may accept: from `candidates` (a CTE of bank_line_key, payment_id), those
    whose bank line has no other candidate and whose payment has no other candidate. An ambiguous candidate is left
    for a later rule, or unmatched, never guessed. Returns bank_line_key, payment_id, match_rule, confidence.
#}
{% macro one_to_one_pairs(candidates, match_rule, confidence) %}
    select bank_line_key, payment_id, '{{ match_rule }}' as match_rule, {{ confidence }} as confidence
    from (
        select
            bank_line_key,
            payment_id,
            count(*) over (partition by bank_line_key) as line_candidates,
            count(*) over (partition by payment_id) as payment_candidates
        from {{ candidates }}
    ) as counted
    where line_candidates = 1 and payment_candidates = 1
{% endmacro %}
