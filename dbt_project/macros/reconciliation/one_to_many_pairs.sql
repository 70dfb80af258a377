{#
    one_to_many_pairs(candidates, one, many, match_rule, confidence): the groups of a bank reconciliation rule that
    pairs one item on one side with several on the other (fct_bank_reconciliation, rules 5 and 6). `candidates` is a
    CTE of bank_line_key, payment_id, bank_amount and payment_amount; `one` names the side with the single item
    ('bank_line' or 'payment'), `many` the other. A group is accepted when the single item has two or more
    candidates, their amounts add up to exactly its own, and none of them is a candidate of another item: nothing
    is guessed. Returns bank_line_key, payment_id, match_rule, confidence (a row per member).
#}
{% macro one_to_many_pairs(candidates, one, many, match_rule, confidence) %}
    {%- set keys = {'bank_line': 'bank_line_key', 'payment': 'payment_id'} -%}
    {%- set amounts = {'bank_line': 'bank_amount', 'payment': 'payment_amount'} -%}
    select bank_line_key, payment_id, '{{ match_rule }}' as match_rule, {{ confidence }} as confidence
    from (
        select
            *,
            max(member_candidates) over (partition by {{ keys[one] }}) as most_candidates_of_a_member
        from (
            select
                *,
                count(*) over (partition by {{ keys[one] }}) as members,
                sum({{ amounts[many] }}) over (partition by {{ keys[one] }}) as members_amount,
                count(*) over (partition by {{ keys[many] }}) as member_candidates
            from {{ candidates }}
        ) as counted
    ) as grouped
    where members >= 2
        and members_amount = {{ amounts[one] }}
        and most_candidates_of_a_member = 1
{% endmacro %}
