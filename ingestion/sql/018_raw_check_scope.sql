-- The scope of the raw-load checks (Great Expectations, check_raw). A daily run checks the rows loaded after the
-- same load batch as its dbt data tests (audit.pipeline_runs.data_tests_from_batch, decision 007); the weekly
-- full-check day, `arwh check` and a run asked to test everything check every row.
alter table audit.check_results add column if not exists checked_from_batch bigint;

comment on column audit.check_results.checked_from_batch is
    'The check read the rows loaded after this load batch (audit.load_batches.batch_id); null: every row.';

-- The checks find the day's rows of the raw bank tables through _batch_id, as dbt's incremental models do for
-- raw_erp (012).
create index if not exists statements_batch_idx on raw_bank.statements (_batch_id);
create index if not exists statement_lines_batch_idx on raw_bank.statement_lines (_batch_id);

-- One view per checked raw table, named like its expectation suite: the rows loaded after the batch in the
-- session setting arwh.checks_from_batch, every row when it is not set. The checks connect with the setting
-- (expectations.context.warehouse_connection); to see what a run checked:
--     set arwh.checks_from_batch = <audit.check_results.checked_from_batch>;
--     select * from raw_scope.raw_erp__invoices;
-- A view fixes its columns when it is created: this file runs on every `arwh init`, and a migration that changes a
-- raw table's columns after it must drop and re-create the table's view.
create schema if not exists raw_scope;

-- Declared immutable although it reads a setting, on purpose: PostgreSQL then folds it into a constant when it
-- plans a query, so a scoped check reads the _batch_id index and a whole-table check filters on `> -1`. Declared
-- stable (which it truly is) it was evaluated for every row: a count of the million invoices through the view
-- took 188 ms, against 127 ms immutable and 100 ms on the table itself. What immutable risks is a plan kept
-- across a change of the setting (a prepared statement, a PL/pgSQL function). The checks set it once, when they
-- connect, and never change it on a connection; by hand, `set` it before you prepare anything.
create or replace function raw_scope.checks_from_batch() returns bigint
    language sql immutable parallel safe
    as $$ select coalesce(nullif(current_setting('arwh.checks_from_batch', true), '')::bigint, -1) $$;

comment on function raw_scope.checks_from_batch() is
    'The raw-load checks'' scope: the rows loaded after this batch (session setting arwh.checks_from_batch); '
    '-1, every row, when the setting is not there.';

create or replace view raw_scope.raw_erp__customers as
    select * from raw_erp.customers where _batch_id > raw_scope.checks_from_batch();
create or replace view raw_scope.raw_erp__invoices as
    select * from raw_erp.invoices where _batch_id > raw_scope.checks_from_batch();
create or replace view raw_scope.raw_erp__credit_notes as
    select * from raw_erp.credit_notes where _batch_id > raw_scope.checks_from_batch();
create or replace view raw_scope.raw_erp__payments as
    select * from raw_erp.payments where _batch_id > raw_scope.checks_from_batch();
create or replace view raw_scope.raw_erp__payment_applications as
    select * from raw_erp.payment_applications where _batch_id > raw_scope.checks_from_batch();
create or replace view raw_scope.raw_erp__write_offs as
    select * from raw_erp.write_offs where _batch_id > raw_scope.checks_from_batch();
create or replace view raw_scope.raw_bank__statements as
    select * from raw_bank.statements where _batch_id > raw_scope.checks_from_batch();
create or replace view raw_scope.raw_bank__statement_lines as
    select * from raw_bank.statement_lines where _batch_id > raw_scope.checks_from_batch();

-- Who loads and who transforms may run the checks; the auditor reads their results in audit, not raw rows.
grant usage on schema raw_scope to ar_loader, ar_transformer;
grant select on all tables in schema raw_scope to ar_loader, ar_transformer;
grant execute on function raw_scope.checks_from_batch() to ar_loader, ar_transformer;
