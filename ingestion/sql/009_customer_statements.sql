-- Customer statements, one per customer and statement date (ingestion/statements/loader.py).
-- A file may hold the statements of many customers; each statement is identified by (customer_id, statement_date)
-- whatever file or layout it came in. The same statement delivered again with the same lines is not loaded twice;
-- different lines make it a correction, which replaces the earlier statement (kept, is_current = false) as
-- evidence. audit.customer_statement_events records both.

create table if not exists raw_statements.statements (
    file_sha256             text not null,
    customer_id             text not null,
    statement_date          date not null,
    file_format             text not null,          -- csv, xlsx
    mapping_name            text not null,          -- template, or the customer's mapping
    line_count              integer not null,
    balance_amount          numeric(18, 2) not null, -- the sum of the lines: what the customer says it owes
    content_sha256          text not null,          -- of the lines in canonical form, to tell a resend from a fix
    is_current              boolean not null default true,
    superseded_by_sha256    text,
    superseded_at           timestamptz,
    _batch_id               bigint not null,
    _loaded_at              timestamptz not null default clock_timestamp(),
    primary key (file_sha256, customer_id, statement_date)
);

create index if not exists customer_statements_identity_idx
    on raw_statements.statements (customer_id, statement_date) where is_current;
create index if not exists statement_items_statement_idx
    on raw_statements.statement_items (file_sha256, customer_id, statement_date);

create table if not exists audit.customer_statement_events (
    event_id                bigserial primary key,
    batch_id                bigint,
    file_sha256             text not null,
    customer_id             text not null,
    statement_date          date not null,
    event                   text not null check (event in ('duplicate', 'replaced')),
    earlier_file_sha256     text not null,
    reason                  text not null,
    recorded_at             timestamptz not null default clock_timestamp()
);

grant select, insert, update, delete on raw_statements.statements to ar_loader;
grant select on raw_statements.statements to ar_transformer;
grant select, insert on audit.customer_statement_events to ar_loader;
grant usage on all sequences in schema audit to ar_loader;
grant select on audit.customer_statement_events to ar_auditor;
