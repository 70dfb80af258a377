-- Privileges by role. dbt `grants` re-apply select on marts after every build; these cover what dbt does not build.

grant usage on schema raw_erp, raw_bank, raw_statements, audit to ar_loader;
grant select, insert, update, delete on all tables in schema raw_erp, raw_bank, raw_statements to ar_loader;
grant select, insert, update on all tables in schema audit to ar_loader;
grant usage on all sequences in schema audit to ar_loader;

grant usage on schema raw_erp, raw_bank, raw_statements, audit to ar_transformer;
grant select on all tables in schema raw_erp, raw_bank, raw_statements to ar_transformer;
grant usage, create on schema staging, intermediate, marts to ar_transformer;

grant usage on schema marts to ar_bi_reader;
grant select on all tables in schema marts to ar_bi_reader;

grant usage on schema marts, audit to ar_auditor;
grant select on all tables in schema marts, audit to ar_auditor;

-- Tables created later by the owner of these schemas inherit the same privileges.
alter default privileges in schema raw_erp, raw_bank, raw_statements
    grant select, insert, update, delete on tables to ar_loader;
alter default privileges in schema raw_erp, raw_bank, raw_statements
    grant select on tables to ar_transformer;
alter default privileges in schema audit grant select, insert, update on tables to ar_loader;
alter default privileges in schema audit grant select on tables to ar_auditor;
alter default privileges in schema marts grant select on tables to ar_bi_reader, ar_auditor;
