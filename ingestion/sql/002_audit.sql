-- The audit schema: what was loaded, from which file, what was rejected and why, and what the checks said.

create table if not exists audit.pipeline_runs (
    run_id              text primary key,
    business_date       date not null,
    code_version        text,
    dbt_invocation_id   text,
    started_at          timestamptz not null,
    finished_at         timestamptz,
    outcome             text not null default 'running'
        check (outcome in ('running', 'success', 'failed')),
    summary             jsonb
);

create table if not exists audit.load_batches (
    batch_id            bigserial primary key,
    run_id              text,
    source              text not null,          -- erp_db, erp_files, bank, statements
    entity              text not null,          -- customers, invoices, ..., statement_lines
    business_date       date,
    started_at          timestamptz not null default clock_timestamp(),
    finished_at         timestamptz,
    status              text not null default 'running'
        check (status in ('running', 'loaded', 'failed')),
    rows_read           bigint not null default 0,
    rows_loaded         bigint not null default 0,
    rows_rejected       bigint not null default 0,
    control_total_source numeric(20, 5),        -- sum of amounts as read from the source
    control_total_target numeric(20, 5),        -- sum of amounts as written to the raw table
    watermark_from      timestamptz,
    watermark_to        timestamptz
);

-- The file registry: one row per distinct file content (sha256) per source.
create table if not exists audit.files (
    source              text not null,          -- erp_files, bank, statements
    file_sha256         text not null,
    file_name           text not null,
    file_path           text not null,
    size_bytes          bigint not null,
    file_format         text,                   -- camt053, mt940, csv, ...
    status              text not null
        check (status in ('loaded', 'rejected')),
    batch_id            bigint references audit.load_batches (batch_id),
    rows_loaded         bigint not null default 0,
    control_total_source numeric(20, 5),
    control_total_target numeric(20, 5),
    reason              text,
    first_seen_at       timestamptz not null default clock_timestamp(),
    loaded_at           timestamptz,
    primary key (source, file_sha256)
);

-- Every time a file is presented, loaded or not, so that duplicates and re-submissions are visible.
create table if not exists audit.file_deliveries (
    delivery_id         bigserial primary key,
    source              text not null,
    file_sha256         text not null,
    file_path           text not null,
    run_id              text,
    outcome             text not null
        check (outcome in ('loaded', 'duplicate', 'rejected')),
    reason              text,
    delivered_at        timestamptz not null default clock_timestamp()
);

create table if not exists audit.rejects (
    reject_id           bigserial primary key,
    batch_id            bigint,
    source              text not null,
    entity              text,
    file_name           text,
    file_sha256         text,
    line_number         bigint,
    record_ref          text,                   -- the record's key where it has one
    field               text,
    reason              text not null,
    raw_record          text,
    rejected_at         timestamptz not null default clock_timestamp()
);

create table if not exists audit.watermarks (
    source              text not null,
    entity              text not null,
    watermark           timestamptz not null,
    batch_id            bigint,
    updated_at          timestamptz not null default clock_timestamp(),
    primary key (source, entity)
);

create table if not exists audit.check_results (
    check_result_id     bigserial primary key,
    run_id              text,
    as_of_date          date not null,
    suite_name          text not null,
    check_name          text not null,
    table_name          text,
    success             boolean not null,
    severity            text not null default 'error',
    element_count       bigint,
    unexpected_count    bigint,
    unexpected_amount   numeric(20, 5),
    offending_keys      jsonb,
    details             jsonb,
    checked_at          timestamptz not null default clock_timestamp()
);
create index if not exists check_results_as_of_idx on audit.check_results (as_of_date, suite_name);
