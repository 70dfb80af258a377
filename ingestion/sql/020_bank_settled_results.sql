-- A run's bank reconciliation is kept without copying its settled matches again (decision 009: they stay as they
-- are from run to run). audit.bank_reconciliation_results keeps each snapshot's open rows, as before. A settled row
-- is kept once, in audit.bank_settled_results, under the first snapshot that had it (first_snapshot_id). When a
-- later snapshot no longer has it as it was (reopened, changed), audit.bank_settled_reopened records that
-- snapshot. A settled row belongs to every snapshot from its first until the one that reopened it, not included.
--
-- audit.bank_reconciliation_snapshot(snapshot_id) returns a snapshot's rows, open and settled, in the columns of
-- audit.bank_reconciliation_results: what auditors and `arwh reproduce` read. Snapshots recorded before this
-- migration hold every row in audit.bank_reconciliation_results, and the function returns them as they are.
-- Append-only like the tables of 010 and 011.

create table if not exists audit.bank_settled_results (
    first_snapshot_id       bigint not null references audit.reconciliation_snapshots (snapshot_id),
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
    match_group_key         text,
    match_group_size        integer,
    payment_reference       text,
    row_md5                 text not null,          -- md5 of the row's columns as text: a changed row is new
    primary key (first_snapshot_id, reconciliation_key)
);
create index if not exists bank_settled_results_key_idx on audit.bank_settled_results (reconciliation_key);

create table if not exists audit.bank_settled_reopened (
    snapshot_id             bigint not null references audit.reconciliation_snapshots (snapshot_id),
    reconciliation_key      text not null,
    first_snapshot_id       bigint not null,
    primary key (snapshot_id, reconciliation_key, first_snapshot_id),
    foreign key (first_snapshot_id, reconciliation_key)
        references audit.bank_settled_results (first_snapshot_id, reconciliation_key)
);
create index if not exists bank_settled_reopened_version_idx
    on audit.bank_settled_reopened (first_snapshot_id, reconciliation_key);

drop trigger if exists bank_settled_results_append_only on audit.bank_settled_results;
create trigger bank_settled_results_append_only before update or delete on audit.bank_settled_results
    for each row execute function audit.refuse_change();
drop trigger if exists bank_settled_reopened_append_only on audit.bank_settled_reopened;
create trigger bank_settled_reopened_append_only before update or delete on audit.bank_settled_reopened
    for each row execute function audit.refuse_change();

revoke update, delete, truncate on audit.bank_settled_results, audit.bank_settled_reopened
    from public, ar_loader, ar_transformer, ar_bi_reader, ar_auditor;
grant select, insert on audit.bank_settled_results, audit.bank_settled_reopened to ar_loader;
grant select on audit.bank_settled_results, audit.bank_settled_reopened to ar_auditor;

create or replace function audit.bank_reconciliation_snapshot(wanted_snapshot_id bigint)
returns setof audit.bank_reconciliation_results
language sql stable
as $$
    select * from audit.bank_reconciliation_results where snapshot_id = wanted_snapshot_id
    union all
    select
        wanted_snapshot_id, settled.reconciliation_key, settled.bank_line_key, settled.bank_file_sha256,
        settled.bank_account_id, settled.bank_booking_date, settled.bank_amount, settled.bank_end_to_end_id,
        settled.payment_id, settled.customer_id, settled.payment_date, settled.payment_amount, settled.currency_code,
        settled.match_rule, settled.match_confidence, settled.difference_amount, settled.status,
        settled.is_unexplained, settled.match_group_key, settled.match_group_size, settled.payment_reference, true
    from audit.bank_settled_results as settled
    where settled.first_snapshot_id <= wanted_snapshot_id
        and not exists (
            select 1 from audit.bank_settled_reopened as reopened
            where reopened.first_snapshot_id = settled.first_snapshot_id
                and reopened.reconciliation_key = settled.reconciliation_key
                and reopened.snapshot_id <= wanted_snapshot_id
        )
$$;
grant execute on function audit.bank_reconciliation_snapshot(bigint) to ar_loader, ar_auditor;
