-- Every dbt build, run, test or seed against the warehouse, recorded by the project's on-run-end hook (macro
-- record_dbt_invocation): dbt's invocation id (the one in dbt's logs and target/run_results.json), the pipeline run
-- that started it (var pipeline_run_id, set by the ar_daily DAG; null for `arwh transform` or dbt by hand), the
-- date, the test scope and how many nodes failed. ingestion.pipeline.finish_run copies the run's latest invocation
-- id into audit.pipeline_runs.dbt_invocation_id. Append-only, as the reconciliation history (010).

create table if not exists audit.dbt_invocations (
    invocation_id           text primary key,
    pipeline_run_id         text,
    command                 text not null,
    as_of_date              date,
    data_tests_from_batch   bigint,
    run_started_at          timestamptz not null,
    finished_at             timestamptz not null default clock_timestamp(),
    node_count              integer not null,
    error_count             integer not null,       -- nodes that ended in error, or tests that failed
    warn_count              integer not null,
    skipped_count           integer not null
);
create index if not exists dbt_invocations_run_idx on audit.dbt_invocations (pipeline_run_id);

drop trigger if exists dbt_invocations_append_only on audit.dbt_invocations;
create trigger dbt_invocations_append_only before update or delete on audit.dbt_invocations
    for each row execute function audit.refuse_change();

revoke update, delete, truncate on audit.dbt_invocations from public, ar_loader, ar_transformer, ar_bi_reader, ar_auditor;
grant select, insert on audit.dbt_invocations to ar_transformer;
grant select on audit.dbt_invocations to ar_loader, ar_auditor;
