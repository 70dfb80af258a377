-- What the reconciliation reported, kept per run and never changed: an auditor can show later what a day's run
-- said, even after the data behind it was corrected (issue 5, audit trail). ingestion.pipeline.record_reconciliation
-- writes one snapshot per run (a re-run of the same run whose results did not change adds nothing; one whose
-- results changed adds a second snapshot, so both stay visible).
--
-- Append-only, enforced twice: no role but the owner holds update, delete or truncate on these tables (the grants
-- of 006 give the loader update on audit tables; it is taken back here, after them), and a trigger refuses update
-- and delete from anyone, the owner included.

create table if not exists audit.reconciliation_snapshots (
    snapshot_id             bigserial primary key,
    run_id                  text not null,
    as_of_date              date not null,
    recorded_at             timestamptz not null default clock_timestamp(),
    code_version            text,
    statement_item_count    bigint not null,
    statement_unexplained_count bigint not null,
    content_sha256          text not null              -- of the results, to tell a changed re-run from a repeat
);
create index if not exists reconciliation_snapshots_run_idx on audit.reconciliation_snapshots (run_id);
create index if not exists reconciliation_snapshots_date_idx on audit.reconciliation_snapshots (as_of_date);

create table if not exists audit.statement_reconciliation_results (
    snapshot_id             bigint not null references audit.reconciliation_snapshots (snapshot_id),
    customer_id             text not null,
    statement_date          date not null,
    document_key            text not null,
    document_ref            text not null,
    document_type           text not null,
    currency_code           text,
    ledger_amount           numeric(18, 2),
    statement_amount        numeric(18, 2),
    difference_amount       numeric(18, 2) not null,
    status                  text not null,
    is_unexplained          boolean not null,
    ledger_document_date    date,
    statement_document_date date,
    later_ledger_date       date,
    statement_file_sha256   text,
    statement_line_numbers  text,
    primary key (snapshot_id, customer_id, statement_date, document_key)
);

create or replace function audit.refuse_change() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only: % refused', tg_table_schema || '.' || tg_table_name, tg_op
        using errcode = 'insufficient_privilege';
end
$$;

drop trigger if exists reconciliation_snapshots_append_only on audit.reconciliation_snapshots;
create trigger reconciliation_snapshots_append_only before update or delete on audit.reconciliation_snapshots
    for each row execute function audit.refuse_change();
drop trigger if exists statement_reconciliation_results_append_only on audit.statement_reconciliation_results;
create trigger statement_reconciliation_results_append_only
    before update or delete on audit.statement_reconciliation_results
    for each row execute function audit.refuse_change();

revoke update, delete, truncate on audit.reconciliation_snapshots, audit.statement_reconciliation_results
    from public, ar_loader, ar_transformer, ar_bi_reader, ar_auditor;
grant select, insert on audit.reconciliation_snapshots, audit.statement_reconciliation_results to ar_loader;
grant usage on all sequences in schema audit to ar_loader;
grant select on audit.reconciliation_snapshots, audit.statement_reconciliation_results to ar_auditor;
