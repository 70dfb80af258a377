-- One run writes the warehouse at a time (issue 6). Airflow's max_active_runs=1 keeps ar_daily's own runs apart;
-- this lock also keeps apart runs that Airflow does not see as one DAG's (a second deployment, a run started by
-- hand while a scheduled one is going). ingestion.pipeline.acquire_warehouse_lock takes it in start_run and
-- finish_run gives it back; a holder whose run is no longer running, or that took it more than
-- AR_WAREHOUSE_LOCK_STALE_HOURS (12) ago, no longer holds it.
create table if not exists audit.warehouse_lock (
    lock_name       text primary key,
    run_id          text not null,
    business_date   date,
    acquired_at     timestamptz not null default clock_timestamp()
);
grant select, insert, update, delete on audit.warehouse_lock to ar_loader;
