-- The bank reconciliation of each run, kept beside the statement reconciliation (migration 010): one row per row
-- of marts.fct_bank_reconciliation, under the run's snapshot. Append-only in the same two ways.

alter table audit.reconciliation_snapshots add column if not exists bank_item_count bigint;
alter table audit.reconciliation_snapshots add column if not exists bank_unexplained_count bigint;

create table if not exists audit.bank_reconciliation_results (
    snapshot_id             bigint not null references audit.reconciliation_snapshots (snapshot_id),
    reconciliation_key      text not null,
    bank_line_key           text,
    bank_file_sha256        text,
    bank_account_id         text,
    bank_booking_date       date,
    bank_amount             numeric(18, 2),
    bank_end_to_end_id      text,
    payment_id              text,
    customer_id             text,
    payment_date            date,
    payment_amount          numeric(18, 2),
    currency_code           text,
    match_rule              text,
    match_confidence        numeric(3, 2),
    difference_amount       numeric(18, 2) not null,
    status                  text not null,
    is_unexplained          boolean not null,
    primary key (snapshot_id, reconciliation_key)
);

drop trigger if exists bank_reconciliation_results_append_only on audit.bank_reconciliation_results;
create trigger bank_reconciliation_results_append_only before update or delete on audit.bank_reconciliation_results
    for each row execute function audit.refuse_change();

revoke update, delete, truncate on audit.bank_reconciliation_results
    from public, ar_loader, ar_transformer, ar_bi_reader, ar_auditor;
grant select, insert on audit.bank_reconciliation_results to ar_loader;
grant select on audit.bank_reconciliation_results to ar_auditor;
