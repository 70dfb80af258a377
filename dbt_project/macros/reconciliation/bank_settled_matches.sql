{#
    bank_settle_after_days(): the var bank_settle_after_days, checked: a whole number of days, or none (no match
    ever settles: fct_bank_reconciliation rematches everything on every run).

    bank_unsettled_groups(relation): the match groups of `relation` (rows in the shape of fct_bank_reconciliation:
    the mart itself, or a run's rows as audit.bank_reconciliation_results keeps them) that are not kept settled on
    this run and are matched again with everything open (decision 009). A group is kept when
      * every row of it was settled when it was written (is_settled), and
      * it is still settled as of as_of_date: every bank booking date and payment date in it is more than
        bank_settle_after_days before as_of_date (a run for an earlier date keeps fewer), and
      * its bank credits are still in statements in force (a corrected statement replaces its lines), and
      * its ERP payments are still what was paired: same date, currency, customer, reference and amount (for a
        payment paid by several credits, rule 6, the rows' parts add up to it).
    Row by row, so that the daily run looks each row up once and sorts only the few rule-6 groups (grouping every
    row of the history took 4.0 of a 15 s run at 838,000 rows, its sort spilling to disk).
#}
{% macro bank_settle_after_days() %}
    {%- set days = var('bank_settle_after_days', 31) -%}
    {%- if days is none or (days | string | trim | lower) in ('none', 'null', '') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = days | string | trim -%}
    {%- if not modules.re.match('^[0-9]+$', text) -%}
        {{ exceptions.raise_compiler_error(
            "The var 'bank_settle_after_days' must be a whole number of days or none, got '" ~ text ~ "'."
        ) }}
    {%- endif -%}
    {{ return(text | int) }}
{% endmacro %}

{% macro bank_unsettled_groups(relation) %}
    {%- set settle_after = bank_settle_after_days() -%}
    {%- if settle_after is none %}
    select match_group_key from {{ relation }}
    {%- else %}
    select rows.match_group_key
    from {{ relation }} as rows
    left join {{ ref('stg_bank__statements') }} as statements
        on rows.bank_file_sha256 = statements.file_sha256
        and {{ dbt.split_part('rows.bank_line_key', "':'", 2) }}
            = cast(statements.statement_index as {{ dbt.type_string() }})
        and statements.is_current
    left join {{ ref('stg_erp__payments') }} as payments
        on rows.payment_id = payments.payment_id
    where
        case
            when rows.is_settled
                and rows.bank_booking_date < {{ dbt.dateadd('day', -1 * settle_after, as_of_date()) }}
                and rows.payment_date < {{ dbt.dateadd('day', -1 * settle_after, as_of_date()) }}
                and statements.file_sha256 is not null
                and payments.payment_id is not null
                and payments.payment_date = rows.payment_date
                and payments.currency_code = rows.currency_code
                and coalesce(payments.customer_id, '') = coalesce(rows.customer_id, '')
                and coalesce(payments.payment_reference, '') = coalesce(rows.payment_reference, '')
                and (
                    rows.match_rule = 'remittance_several_credits'
                    or payments.payment_amount = rows.payment_amount
                )
                then false
            else true
        end

    union

    select rows.match_group_key
    from {{ relation }} as rows
    left join {{ ref('stg_erp__payments') }} as payments
        on rows.payment_id = payments.payment_id
    where rows.match_rule = 'remittance_several_credits'
    group by rows.match_group_key
    having sum(rows.payment_amount) <> max(payments.payment_amount)
        or max(payments.payment_amount) is null
    {%- endif %}
{% endmacro %}

{#
    bank_reconciliation_unsettle(): fct_bank_reconciliation's pre-hook on an incremental run. It deletes every row
    but the settled matches that stay settled (bank_unsettled_groups), so that the run writes the rest again. A table
    from before is_settled existed (or a var bank_settle_after_days of none) is emptied: everything is rematched.
#}
{% macro bank_reconciliation_unsettle() %}
    {%- if is_incremental() -%}
        {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- if 'is_settled' in columns and bank_settle_after_days() is not none -%}
            delete from {{ this }}
            where match_group_key in (
                select unsettled.match_group_key from ({{ bank_unsettled_groups(this) }}) as unsettled
            )
        {%- else -%}
            delete from {{ this }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
