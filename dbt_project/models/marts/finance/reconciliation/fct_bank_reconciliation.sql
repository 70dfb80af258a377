-- Bank receipts against ERP payments, as of as_of_date: one row per bank credit and per ERP payment, a matched pair
-- on one row (doc block bank_reconciliation_status).
--
-- Bank side: the credits of the statements in force (a corrected statement replaced the earlier one), booked on or
-- before as_of_date, less those the seed bank_credit_exclusions says are not customers paying (card settlements,
-- interest, cash pool). A credit equal to an earlier one (same account, booking date, amount and end-to-end id)
-- delivered in another statement is a DUPLICATE and is not matched.
-- ERP side: the payments dated on or before as_of_date and no earlier than the bank history allows: the first
-- statement date of the payment's currency less bank_match_window_days (a payment from before the bank history
-- cannot be looked for in it). One dated before the first statement may have been booked before it too: it is
-- paired when the bank shows it, and not followed up when it does not (is_before_bank_history).
--
-- Rules, in order (var bank_match_rules: those that run; all by default); each pairs only what the earlier ones
-- left, and never guesses (a candidate that could pair
-- with two is left for a later rule, or unmatched):
--   1. reference (confidence 1.00): the bank's end-to-end id or structured creditor reference is the payment's
--      reference;
--   2. invoice_in_remittance (0.90): the remittance text names an invoice the payment was applied to (its
--      letters and digits as whole words, see remittance_invoice_pairs);
--   3. amount_and_counterparty (0.80): same amount and currency, the counterparty is the paying customer (name),
--      booked within bank_match_window_days of the payment date;
--   4. amount_only (0.60): same amount and currency within the window, the only candidate on both sides;
--   5. remittance_several_payments (0.85): one bank credit whose remittance text names the invoices of several
--      payments (the ERP booked a receipt per invoice), which add up to exactly the credit;
--   6. remittance_several_credits (0.85): several bank credits whose remittance texts name the invoices of one
--      payment (paid in instalments, booked as one receipt), which add up to exactly the payment.
-- Rules 1-4 pair one line with one payment: a bank line that pays several invoices is one payment applied to
-- several invoices in the ERP, and several lines paying one invoice are several payments. Rules 5 and 6 pair the
-- rest through the invoices, within the window; every member of the group has no other candidate. A group has a
-- row per member of its larger side, the one on the other side spread over them: bank_amount (rule 5) or
-- payment_amount (rule 6) is the part of it that the row's member accounts for, so sums over rows stay right;
-- match_group_key and match_group_size tie the rows of one match together.
--
-- Settled matches (decision 009). A pair or group (MATCHED, AMOUNT_DIFFERENCE) whose every bank booking date and
-- payment date lies more than bank_settle_after_days (31) before as_of_date is settled (is_settled): the runs after
-- keep it as it is and match only what is open, so that a day's run matches the day's credits and payments and the
-- unmatched ones, not the whole history again. What a settled match holds is out of the later runs' matching: a
-- payment recorded late that would have made it ambiguous does not unpair it (it stays unmatched, and shows). A
-- settled match is matched again when it no longer holds (macro bank_unsettled_groups): its statement was corrected,
-- its payment changed, or a run is for an earlier date. Run with --full-refresh to match everything again (after
-- changing bank_match_rules, bank_match_window_days, bank_settle_after_days or the exclusions seed, or loading an
-- earlier bank history); bank_settle_after_days none settles nothing. `arwh reproduce` starts from the settled
-- matches its run started from (var bank_settled_matches_from: the snapshot before it, in audit).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ bank_reconciliation_unsettle() }}",
    indexes=[{'columns': ['bank_line_key']}],
) }}
{%- set all_rules = [
    'reference', 'invoice_in_remittance', 'amount_and_counterparty', 'amount_only',
    'remittance_several_payments', 'remittance_several_credits',
] -%}
{%- set rules = var('bank_match_rules', all_rules) -%}
{%- if rules is string or rules | reject('in', all_rules) | list -%}
    {{ exceptions.raise_compiler_error(
        "The var 'bank_match_rules' must list rules among " ~ all_rules | join(', ') ~ ", got " ~ rules ~ "."
    ) }}
{%- endif -%}
{#- A rule left out of bank_match_rules pairs nothing: its condition below is false. -#}
{%- set window_days = var('bank_match_window_days', 5) | string | trim -%}
{%- if not modules.re.match('^[0-9]+$', window_days) -%}
    {{ exceptions.raise_compiler_error(
        "The var 'bank_match_window_days' must be a whole number of days, got '" ~ window_days ~ "'."
    ) }}
{%- endif -%}
{%- set settle_after = bank_settle_after_days() -%}
{%- set settled_from = var('bank_settled_matches_from', none) -%}
{#- The settled matches are written again on a first build (seeded by bank_settled_matches_from, or none) and on
    --full-refresh; an incremental run keeps its own in the table and writes the rest. -#}
{%- set writes_settled = not is_incremental() -%}
{#- The settled matches this run starts from: the table's own (an incremental run, after the pre-hook dropped those
    that no longer hold), a past run's (arwh reproduce), or none. A subquery where it is used, not a CTE: a CTE read
    several times is materialized, and PostgreSQL could then neither use the table's index nor plan each use on
    its own. -#}
{%- set settled_matches -%}
    {%- if is_incremental() -%}
    (select bank_line_key, payment_id, match_rule, match_confidence as confidence from {{ this }})
    {%- elif settled_from -%}
    (
        select rows.bank_line_key, rows.payment_id, rows.match_rule, rows.match_confidence as confidence
        from {{ settled_from }} as rows
        where rows.is_settled
            and not exists (
                select 1 from ({{ bank_unsettled_groups(settled_from) }}) as unsettled
                where unsettled.match_group_key = rows.match_group_key
            )
    )
    {%- else -%}
    (
        select
            cast(null as {{ dbt.type_string() }}) as bank_line_key,
            cast(null as {{ dbt.type_string() }}) as payment_id,
            cast(null as {{ dbt.type_string() }}) as match_rule,
            cast(null as {{ type_exact_numeric() }}) as confidence
        where 1 = 0
    )
    {%- endif -%}
{%- endset %}

with

statements as (
    select * from {{ ref('stg_bank__statements') }}
    where is_current
),

exclusions as (
    select * from {{ ref('bank_credit_exclusions') }}
),

lines_in_force as (
    select
        lines.file_sha256 || ':' || lines.statement_index || ':' || lines.line_index as bank_line_key,
        lines.file_sha256,
        lines.statement_index,
        lines.line_index,
        lines.account_id,
        lines.currency_code,
        lines.booking_date,
        lines.amount,
        lines.end_to_end_id,
        lines.creditor_reference,
        lines.counterparty_name,
        lines.remittance_text,
        lines.bank_reference,
        lines.bank_transaction_code
    from {{ ref('stg_bank__statement_lines') }} as lines
    inner join statements
        on lines.file_sha256 = statements.file_sha256
        and lines.statement_index = statements.statement_index
    where lines.amount > 0
        and lines.booking_date <= {{ as_of_date() }}
),

settled_credits as (
    select * from lines_in_force
    where exists (
        select 1 from {{ settled_matches }} as settled_matches
        where settled_matches.bank_line_key = lines_in_force.bank_line_key
    )
),

-- The open credits: not in a settled match, not excluded.
credits_booked as (
    select * from lines_in_force as lines
    where not exists (
            select 1 from {{ settled_matches }} as settled_matches
            where settled_matches.bank_line_key = lines.bank_line_key
        )
        and not exists (
            select 1 from exclusions
            where (exclusions.match_field = 'bank_transaction_code'
                    and lower(lines.bank_transaction_code) like lower(exclusions.pattern))
                or (exclusions.match_field = 'counterparty_name'
                    and lower(lines.counterparty_name) like lower(exclusions.pattern))
                or (exclusions.match_field = 'remittance_text'
                    and lower(lines.remittance_text) like lower(exclusions.pattern))
        )
),

-- A settled credit equal to an open one comes first: the open one is its duplicate (only settled credits that have
-- an open equal are read, so a day's run ranks the day's credits, not the history).
credits_ranked as (
    select
        *,
        row_number() over (
            partition by account_id, booking_date, amount, coalesce(end_to_end_id, bank_line_key)
            order by is_settled desc, file_sha256, statement_index, line_index
        ) as occurrence
    from (
        select credits_booked.*, false as is_settled
        from credits_booked

        union all

        select settled_credits.*, true as is_settled
        from settled_credits
        where exists (
            select 1 from credits_booked
            where credits_booked.account_id = settled_credits.account_id
                and credits_booked.booking_date = settled_credits.booking_date
                and credits_booked.amount = settled_credits.amount
                and credits_booked.end_to_end_id = settled_credits.end_to_end_id
        )
    ) as credits_and_their_settled_equals
),

-- `< 2` rather than `= 1`: PostgreSQL has no statistics on a computed column of a CTE and guesses that an equality
-- keeps 0.5% of the rows, an inequality a third. With 0.5% it took thousands of credits for a handful and planned
-- nested loops over them (bench/README.md).
credits as (
    select * from credits_ranked where occurrence < 2 and not is_settled
),

-- Where the bank history starts, per currency: the first booking of a statement in force (CSV exports carry no
-- statement date).
bank_history as (
    select lines.currency_code, min(lines.booking_date) as first_statement_date
    from {{ ref('stg_bank__statement_lines') }} as lines
    inner join statements
        on lines.file_sha256 = statements.file_sha256
        and lines.statement_index = statements.statement_index
    group by lines.currency_code
),

payments_in_history as (
    select
        payments.*,
        upper(trim(payments.payment_reference)) as reference_key,
        payments.payment_date < bank_history.first_statement_date as is_before_bank_history
    from {{ ref('stg_erp__payments') }} as payments
    inner join bank_history
        on payments.currency_code = bank_history.currency_code
    where payments.payment_date <= {{ as_of_date() }}
        and payments.payment_date
            >= {{ dbt.dateadd('day', -1 * (window_days | int), 'bank_history.first_statement_date') }}
),

-- The open payments: not in a settled match.
payments as (
    select * from payments_in_history
    where not exists (
        select 1 from {{ settled_matches }} as settled_matches
        where settled_matches.payment_id = payments_in_history.payment_id
    )
),

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

-- Rule 1: reference ---------------------------------------------------------------------------------------------
-- Two equi-joins, not one join on `reference_key in (end-to-end id, creditor reference)`: that can only be hashed
-- on the currency, and tests every credit against every payment.
rule_1_candidates as (
    select credits.bank_line_key, payments.payment_id
    from credits
    inner join payments
        on payments.reference_key = upper(trim(credits.end_to_end_id))
        and payments.currency_code = credits.currency_code

    union

    select credits.bank_line_key, payments.payment_id
    from credits
    inner join payments
        on payments.reference_key = upper(trim(credits.creditor_reference))
        and payments.currency_code = credits.currency_code
),

rule_1 as (
    {{ one_to_one_pairs('rule_1_candidates', 'reference', '1.00') }}
    and {{ 'reference' in rules }}
),

-- The invoices of the payments that can be paired (payments holds those of the bank history's time), each once,
-- read before any remittance text is searched (not every payment application of the ERP's history).
payment_invoices as (
    select distinct
        payments.payment_id,
        payments.payment_amount,
        payments.payment_date,
        payments.currency_code,
        upper(applications.invoice_id) as invoice_key
    from payments
    inner join {{ ref('stg_erp__payment_applications') }} as applications
        on applications.payment_id = payments.payment_id
),

-- A remittance text names an invoice when the invoice's words (runs of letters and digits) stand in it in a row,
-- whatever separates them: INV-7 is named by "Rechnung INV-7." and "INV 7", not by "INV-70" or "XINV-7"
-- (macros/reconciliation/text_words.sql). The search is an equi-join: each invoice is looked for only in the texts
-- holding its last word (INV-2026-000123: 000123), and its whole name checked there. So it grows with the texts
-- and the invoices, not with their product (bench/README.md).
payment_invoice_names as (
    select distinct
        payment_id,
        payment_amount,
        payment_date,
        currency_code,
        {{ last_word('invoice_key') }} as anchor_word,
        {{ word_string('invoice_key') }} as invoice_words
    from payment_invoices
),

-- The words of the texts that end an invoice's name, and only those: a hashed lookup among the invoices' last
-- words, made before the words are made distinct, so what follows handles the few texts that may name an invoice,
-- not every word of every text (at 707,000 credits in force, 5.9 million words: carrying each with its text's word
-- string took 60 of the model's 99 s, and their DISTINCT another 9 s).
credit_anchor_words as (
    {{ text_words(
        'credits', 'bank_line_key', 'remittance_text',
        words_in='select payment_invoice_names.anchor_word from payment_invoice_names'
    ) }}
),

-- The two sides of the search, each DISTINCT (so the planner joins them as they are, on the word, and cannot join
-- the credits to the invoices first and test every pair's texts).
credit_texts as (
    select distinct
        credits.bank_line_key,
        credits.currency_code,
        credits.amount,
        credits.booking_date,
        credit_anchor_words.word,
        {{ word_string('credits.remittance_text') }} as remittance_words
    from credit_anchor_words
    inner join credits
        on credit_anchor_words.bank_line_key = credits.bank_line_key
),

-- The credits whose remittance text names an invoice a payment was applied to (same currency), once per credit
-- and payment: what rule 2 pairs one to one, and rules 5 and 6 (within the window) by groups.
remittance_invoice_pairs as (
    select distinct
        credit_texts.bank_line_key,
        payment_invoice_names.payment_id,
        credit_texts.amount as bank_amount,
        payment_invoice_names.payment_amount,
        credit_texts.booking_date
            between {{ dbt.dateadd('day', -1 * (window_days | int), 'payment_invoice_names.payment_date') }}
            and {{ dbt.dateadd('day', window_days | int, 'payment_invoice_names.payment_date') }} as is_within_window
    from credit_texts
    inner join payment_invoice_names
        on credit_texts.word = payment_invoice_names.anchor_word
        and credit_texts.currency_code = payment_invoice_names.currency_code
    where position(payment_invoice_names.invoice_words in credit_texts.remittance_words) > 0
),

-- Rule 2: an invoice of the payment named in the remittance text -------------------------------------------------
rule_2_candidates as (
    select bank_line_key, payment_id
    from remittance_invoice_pairs
    where bank_line_key not in (select bank_line_key from rule_1)
        and payment_id not in (select payment_id from rule_1)
),

rule_2 as (
    {{ one_to_one_pairs('rule_2_candidates', 'invoice_in_remittance', '0.90') }}
    and {{ 'invoice_in_remittance' in rules }}
),

matched_1_2 as (
    select * from rule_1
    union all
    select * from rule_2
),

-- Rules 3 and 4: amounts within the window ---------------------------------------------------------------------
amount_candidates as (
    select
        credits.bank_line_key,
        payments.payment_id,
        upper(trim(credits.counterparty_name)) = upper(trim(customers.customer_name)) as is_same_counterparty
    from credits
    inner join payments
        on credits.amount = payments.payment_amount
        and credits.currency_code = payments.currency_code
        and credits.booking_date
            between {{ dbt.dateadd('day', -1 * (window_days | int), 'payments.payment_date') }}
            and {{ dbt.dateadd('day', window_days | int, 'payments.payment_date') }}
    left join customers
        on payments.customer_id = customers.customer_id
    where credits.bank_line_key not in (select bank_line_key from matched_1_2)
        and payments.payment_id not in (select payment_id from matched_1_2)
),

rule_3_candidates as (
    select bank_line_key, payment_id from amount_candidates
    where is_same_counterparty
),

rule_3 as (
    {{ one_to_one_pairs('rule_3_candidates', 'amount_and_counterparty', '0.80') }}
    and {{ 'amount_and_counterparty' in rules }}
),

rule_4_candidates as (
    select bank_line_key, payment_id from amount_candidates
    where bank_line_key not in (select bank_line_key from rule_3)
        and payment_id not in (select payment_id from rule_3)
),

rule_4 as (
    {{ one_to_one_pairs('rule_4_candidates', 'amount_only', '0.60') }}
    and {{ 'amount_only' in rules }}
),

matched_1_4 as (
    select * from matched_1_2
    union all
    select * from rule_3
    union all
    select * from rule_4
),

-- Rules 5 and 6: several payments for one bank credit, several credits for one payment -------------------------
group_candidates as (
    select bank_line_key, payment_id, bank_amount, payment_amount
    from remittance_invoice_pairs
    where is_within_window
        and bank_line_key not in (select bank_line_key from matched_1_4)
        and payment_id not in (select payment_id from matched_1_4)
),

rule_5 as (
    {{ one_to_many_pairs('group_candidates', 'bank_line', 'payment', 'remittance_several_payments', '0.85') }}
    and {{ 'remittance_several_payments' in rules }}
),

rule_6 as (
    {{ one_to_many_pairs('group_candidates', 'payment', 'bank_line', 'remittance_several_credits', '0.85') }}
    and {{ 'remittance_several_credits' in rules }}
),

matched as (
    select * from matched_1_4
    union all
    select * from rule_5
    union all
    select * from rule_6
),

-- Every open bank credit and payment, paired where a rule paired them, and the settled matches when the run writes
-- them (see the header) ----------------------------------------------------------------------------------------
rows_paired as (
    select
        credits.bank_line_key,
        matched.payment_id,
        matched.match_rule,
        matched.confidence
    from credits
    left join matched
        on credits.bank_line_key = matched.bank_line_key

    union all

    select
        credits_ranked.bank_line_key,
        null,
        null,
        null
    from credits_ranked
    where credits_ranked.occurrence > 1
        and not credits_ranked.is_settled
    {%- if writes_settled %}

    union all

    select bank_line_key, payment_id, match_rule, confidence
    from {{ settled_matches }} as settled_matches
    {%- endif %}

    union all

    select
        null,
        payments.payment_id,
        null,
        null
    from payments
    where payments.payment_id not in (select payment_id from matched)
),

-- The bank credits and payments the rows show.
credit_rows as (
    select
        bank_line_key, file_sha256, account_id, currency_code, booking_date, amount, end_to_end_id,
        counterparty_name, remittance_text, occurrence
    from credits_ranked
    where not is_settled
    {%- if writes_settled %}

    union all

    select
        bank_line_key, file_sha256, account_id, currency_code, booking_date, amount, end_to_end_id,
        counterparty_name, remittance_text, 1
    from settled_credits
    {%- endif %}
),

payment_rows as (
    select * from {{ 'payments_in_history' if writes_settled else 'payments' }}
),

-- The amounts each row accounts for: a group's single side spread over its members (see the header).
rows_with_amounts as (
    select
        rows_paired.*,
        case
            when rows_paired.match_rule = 'remittance_several_payments' then payments.payment_amount
            else credits_ranked.amount
        end as row_bank_amount,
        case
            when rows_paired.match_rule = 'remittance_several_credits' then credits_ranked.amount
            else payments.payment_amount
        end as row_payment_amount,
        case
            when rows_paired.match_rule = 'remittance_several_credits' then 'erp:' || rows_paired.payment_id
            else coalesce(rows_paired.bank_line_key, 'erp:' || rows_paired.payment_id)
        end as match_group_key
    from rows_paired
    left join credit_rows as credits_ranked
        on rows_paired.bank_line_key = credits_ranked.bank_line_key
    left join payment_rows as payments
        on rows_paired.payment_id = payments.payment_id
),

final as (
    select
        case
            when rows_paired.match_rule = 'remittance_several_payments'
                then rows_paired.bank_line_key || '/erp:' || rows_paired.payment_id
            else coalesce(rows_paired.bank_line_key, 'erp:' || rows_paired.payment_id)
        end as reconciliation_key,
        rows_paired.bank_line_key,
        credits_ranked.file_sha256 as bank_file_sha256,
        credits_ranked.account_id as bank_account_id,
        credits_ranked.booking_date as bank_booking_date,
        cast(rows_paired.row_bank_amount as decimal(18, 2)) as bank_amount,
        credits_ranked.end_to_end_id as bank_end_to_end_id,
        credits_ranked.counterparty_name as bank_counterparty_name,
        credits_ranked.remittance_text as bank_remittance_text,
        rows_paired.payment_id,
        payments.customer_id,
        payments.payment_date,
        cast(rows_paired.row_payment_amount as decimal(18, 2)) as payment_amount,
        payments.payment_reference,
        coalesce(credits_ranked.currency_code, payments.currency_code) as currency_code,
        rows_paired.match_rule,
        cast(rows_paired.confidence as decimal(3, 2)) as match_confidence,
        rows_paired.match_group_key,
        cast(count(*) over (partition by rows_paired.match_group_key) as integer) as match_group_size,
        cast(
            coalesce(rows_paired.row_bank_amount, 0) - coalesce(rows_paired.row_payment_amount, 0) as decimal(18, 2)
        ) as difference_amount,
        case
            when credits_ranked.occurrence > 1 then 'DUPLICATE'
            when rows_paired.bank_line_key is not null and rows_paired.payment_id is not null then
                case
                    when rows_paired.row_bank_amount = rows_paired.row_payment_amount then 'MATCHED'
                    else 'AMOUNT_DIFFERENCE'
                end
            when rows_paired.bank_line_key is not null then 'UNAPPLIED_CASH'
            else 'NOT_BANKED'
        end as status,
        case
            when rows_paired.bank_line_key is null
                then {{ dbt.datediff('payments.payment_date', as_of_date(), 'day') }}
        end as days_not_banked,
        case
            when rows_paired.payment_id is null
                then {{ dbt.datediff('credits_ranked.booking_date', as_of_date(), 'day') }}
        end as days_unapplied,
        coalesce(payments.is_before_bank_history, false) as is_before_bank_history,
        max(
            case
                when credits_ranked.booking_date > payments.payment_date then credits_ranked.booking_date
                else payments.payment_date
            end
        ) over (partition by rows_paired.match_group_key) as match_latest_date
    from rows_with_amounts as rows_paired
    left join credit_rows as credits_ranked
        on rows_paired.bank_line_key = credits_ranked.bank_line_key
    left join payment_rows as payments
        on rows_paired.payment_id = payments.payment_id
)

select
    reconciliation_key,
    bank_line_key,
    bank_file_sha256,
    bank_account_id,
    bank_booking_date,
    bank_amount,
    bank_end_to_end_id,
    bank_counterparty_name,
    bank_remittance_text,
    payment_id,
    customer_id,
    payment_date,
    payment_amount,
    payment_reference,
    currency_code,
    match_rule,
    match_confidence,
    match_group_key,
    match_group_size,
    difference_amount,
    status,
    days_not_banked,
    days_unapplied,
    is_before_bank_history,
    -- What an auditor follows up: unapplied cash, duplicates, amount differences, and payments the bank has not
    -- shown within the window (a payment of the last few days may still be on its way).
    (
        status in ('UNAPPLIED_CASH', 'DUPLICATE', 'AMOUNT_DIFFERENCE')
        or (status = 'NOT_BANKED' and days_not_banked > {{ window_days }} and not is_before_bank_history)
    ) as is_unexplained,
    -- A pair or group whose every date is more than bank_settle_after_days old: kept by the runs after (header).
    {% if settle_after is none -%}
    false
    {%- else -%}
    (
        status in ('MATCHED', 'AMOUNT_DIFFERENCE')
        and match_latest_date < {{ dbt.dateadd('day', -1 * settle_after, as_of_date()) }}
    )
    {%- endif %} as is_settled
from final
