{#
    statement_reconciliation_scope(): what a run of fct_statement_reconciliation rebuilds (decision 009).

    A customer's rows depend on the customer's statements and ledger only, and as_of_date only picks the statements
    dated up to it. So an incremental run deletes the rows of the customers whose inputs were loaded after the
    batches the table was built from (reconciled_through_batch), and then builds every statement in scope that the
    table does not hold: those customers' statements, and the statements that came into scope. The rest stay as
    they are: the same rows a full rebuild gives. Returns a dict:
      full           - true: rebuild everything (first build, --full-refresh, a table without
                       reconciled_through_batch, a run for a date earlier than a statement the table holds, or
                       load batches that went back below reconciled_through_batch);
      through_batch  - the last load batch of the inputs when the scope was read, which the rows written record
                       (on a first build, a subquery of the statement that builds them);
      customers      - (full false) a select of the customer_id whose rows the pre-hook deletes.
    The model reads the scope when it is compiled, the pre-hook just before it runs: a batch loaded in between is
    deleted by the pre-hook and rebuilt by the model, but recorded as not read, so the next run rebuilds its
    customers again (never fewer).
#}
{% macro statement_reconciliation_scope() %}
    {%- set inputs = {
        'customers': ref('stg_erp__customers'),
        'invoices': ref('stg_erp__invoices'),
        'credit_notes': ref('stg_erp__credit_notes'),
        'payments': ref('stg_erp__payments'),
        'payment_applications': ref('stg_erp__payment_applications'),
        'write_offs': ref('stg_erp__write_offs'),
        'statements': ref('stg_statements__statements'),
    } -%}
    {%- set through_sql -%}
        select coalesce(greatest(
            {%- for name, relation in inputs.items() %}
            (select max(load_batch_id) from {{ relation }}){{ ',' if not loop.last }}
            {%- endfor %}
        ), 0)
    {%- endset -%}
    {#- A first build or --full-refresh reads the batches in the statement that builds the rows (the same snapshot);
        and dbt compile has no warehouse to ask. -#}
    {%- if not (execute and is_incremental()) -%}
        {{ return({'full': true, 'through_batch': '(' ~ through_sql ~ ')', 'customers': none}) }}
    {%- endif -%}
    {%- set through_batch = run_query(through_sql).columns[0].values()[0] | int -%}
    {%- set full = {'value': false} -%}
    {%- set from_batch = {'value': none} -%}
    {%- if not full.value -%}
        {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- if 'reconciled_through_batch' not in columns -%}
            {%- do full.update({'value': true}) -%}
        {%- else -%}
            {%- set state = run_query(
                "select max(reconciled_through_batch), max(statement_date) > " ~ as_of_date() ~ " from " ~ this
            ).rows[0] -%}
            {#- Batches went back (the raw tables were emptied and loaded again): rebuild everything. -#}
            {%- if state[0] is none or state[1] or (state[0] | int) > through_batch -%}
                {%- do full.update({'value': true}) -%}
            {%- else -%}
                {%- do from_batch.update({'value': state[0] | int}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if full.value -%}
        {{ return({'full': true, 'through_batch': through_batch, 'customers': none}) }}
    {%- endif -%}
    {%- set changed = 'load_batch_id between ' ~ (from_batch.value + 1) ~ ' and ' ~ through_batch -%}
    {%- set customers -%}
        select customer_id from {{ inputs.customers }} where {{ changed }}
        union
        select customer_id from {{ inputs.invoices }} where {{ changed }}
        union
        select customer_id from {{ inputs.credit_notes }} where {{ changed }}
        union
        select customer_id from {{ inputs.payments }} where {{ changed }}
        union
        select customer_id from {{ inputs.statements }} where {{ changed }}
        union
        select payments.customer_id
        from {{ inputs.payment_applications }} as applications
        inner join {{ inputs.payments }} as payments on applications.payment_id = payments.payment_id
        where applications.{{ changed }}
        union
        select invoices.customer_id
        from {{ inputs.payment_applications }} as applications
        inner join {{ inputs.invoices }} as invoices on applications.invoice_id = invoices.invoice_id
        where applications.{{ changed }}
        union
        select invoices.customer_id
        from {{ inputs.write_offs }} as write_offs
        inner join {{ inputs.invoices }} as invoices on write_offs.invoice_id = invoices.invoice_id
        where write_offs.{{ changed }}
    {%- endset -%}
    {{ return({'full': false, 'through_batch': through_batch, 'customers': customers}) }}
{% endmacro %}

{#
    statement_reconciliation_rebuild(): fct_statement_reconciliation's pre-hook on an incremental run: it deletes
    the rows of the customers the run rebuilds (all of them on a full rebuild).
#}
{% macro statement_reconciliation_rebuild() %}
    {%- if is_incremental() -%}
        {%- set scope = statement_reconciliation_scope() -%}
        delete from {{ this }}
        {%- if not scope.full %}
        where customer_id in ({{ scope.customers }})
        {%- endif %}
    {%- endif -%}
{% endmacro %}
