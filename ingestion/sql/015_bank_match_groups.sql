-- Rules 5 and 6 of marts.fct_bank_reconciliation pair one bank credit with several payments and several credits
-- with one payment; the run history keeps which rows make up one match.
alter table audit.bank_reconciliation_results add column if not exists match_group_key text;
alter table audit.bank_reconciliation_results add column if not exists match_group_size integer;
