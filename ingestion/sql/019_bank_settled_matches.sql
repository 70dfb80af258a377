-- marts.fct_bank_reconciliation keeps its settled matches from run to run (decision 009). The run history keeps
-- which rows were settled, and the payment reference a settled match is checked against, so that `arwh reproduce`
-- can start a run's rebuild from the settled matches of the snapshot before it. Null in the snapshots recorded
-- before this migration.
alter table audit.bank_reconciliation_results add column if not exists payment_reference text;
alter table audit.bank_reconciliation_results add column if not exists is_settled boolean;
