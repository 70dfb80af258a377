-- Statement identity across files and formats: the same end-of-day statement (same account, same date) delivered
-- again in another file is not loaded twice; a corrected statement for the same account and day replaces the
-- earlier one, which stays in raw_bank (is_current = false) as evidence. audit.statement_events records both.

alter table raw_bank.statements add column if not exists account_key text;       -- IBAN compact or account id
alter table raw_bank.statements add column if not exists is_current boolean not null default true;
alter table raw_bank.statements add column if not exists superseded_by_sha256 text;
alter table raw_bank.statements add column if not exists superseded_by_index integer;
alter table raw_bank.statements add column if not exists superseded_at timestamptz;

create index if not exists statements_identity_idx
    on raw_bank.statements (account_key, statement_date) where is_current;

create table if not exists audit.statement_events (
    event_id                bigserial primary key,
    batch_id                bigint,
    file_sha256             text not null,
    statement_index         integer not null,
    account_key             text,
    statement_date          date,
    event                   text not null check (event in ('duplicate', 'replaced')),
    earlier_file_sha256     text not null,
    earlier_statement_index integer not null,
    reason                  text not null,
    recorded_at             timestamptz not null default clock_timestamp()
);

grant select, insert on audit.statement_events to ar_loader;
grant usage on all sequences in schema audit to ar_loader;
grant select on audit.statement_events to ar_auditor;

-- Statements loaded before this migration: the same key the loader computes (ingestion.bank.loader.account_key).
update raw_bank.statements
   set account_key = coalesce(account_iban, replace(account_id, ' ', ''))
 where account_key is null;
