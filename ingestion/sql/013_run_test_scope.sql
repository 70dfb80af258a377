-- The scope of each run's dbt data tests (decision 007): the rows loaded or recomputed after this load batch were
-- tested; null: every row (the weekly full check, a run asked to test everything, or the first run).
alter table audit.pipeline_runs add column if not exists data_tests_from_batch bigint;

comment on column audit.pipeline_runs.data_tests_from_batch is
    'The run''s dbt data tests read the rows loaded or recomputed after this load batch; null: every row.';
