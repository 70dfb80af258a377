-- The versions of raw ERP rows that a later extract replaced, so that the inputs of any past run can be rebuilt
-- (`arwh reproduce --run`, ingestion/reproduce.py). The raw_erp tables hold the ERP's current state: a merge
-- rewrites a row whose values changed (001 decision), which would lose what an earlier run read. Here a trigger
-- keeps the row as it was, with the load batch that replaced it. Raw ERP rows are never deleted; the bank and
-- customer statement tables only ever flag a statement as replaced, which the statement that replaced it dates.
--
-- The state of a raw ERP table as of load batch B: the current rows with _batch_id <= B, and the kept versions
-- with _batch_id <= B < _replaced_by_batch_id. Each history table has the raw table's columns in the same order
-- (created LIKE it), then the two of its own: a migration that adds a raw column adds it here too, before them.
-- Append-only as the reconciliation history (010).

create schema if not exists raw_erp_history;

create table if not exists raw_erp_history.recording (
    started_at  timestamptz not null default clock_timestamp()
);
insert into raw_erp_history.recording select where not exists (select 1 from raw_erp_history.recording);

create or replace function raw_erp_history.keep_replaced_version() returns trigger
    language plpgsql security definer set search_path = pg_catalog, raw_erp_history as $$
begin
    execute format('insert into raw_erp_history.%I select ($1).*, $2, clock_timestamp()', tg_table_name)
        using old, new._batch_id;
    return new;
end
$$;

do $$
declare
    name text;
begin
    foreach name in array array['customers', 'invoices', 'credit_notes', 'payments', 'payment_applications',
                                'write_offs', 'fx_rates']
    loop
        execute format('create table if not exists raw_erp_history.%I (like raw_erp.%I)', name, name);
        execute format('alter table raw_erp_history.%I add column if not exists _replaced_by_batch_id bigint', name);
        execute format('alter table raw_erp_history.%I add column if not exists _replaced_at timestamptz', name);
        execute format('create index if not exists %I on raw_erp_history.%I (_batch_id)', name || '_batch_idx', name);
        execute format('drop trigger if exists keep_replaced_version on raw_erp.%I', name);
        execute format(
            'create trigger keep_replaced_version before update on raw_erp.%I for each row '
            'when (old is distinct from new) execute function raw_erp_history.keep_replaced_version()', name);
        execute format('drop trigger if exists append_only on raw_erp_history.%I', name);
        execute format(
            'create trigger append_only before update or delete on raw_erp_history.%I '
            'for each row execute function audit.refuse_change()', name);
        execute format('revoke update, delete, truncate on raw_erp_history.%I '
                       'from public, ar_loader, ar_transformer, ar_bi_reader, ar_auditor', name);
        execute format('grant select on raw_erp_history.%I to ar_transformer, ar_auditor', name);
    end loop;
end
$$;

grant usage on schema raw_erp_history to ar_transformer, ar_auditor;
grant select on raw_erp_history.recording to ar_transformer, ar_auditor;
