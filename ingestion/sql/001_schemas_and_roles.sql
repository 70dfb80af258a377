-- Schemas and roles of the warehouse. Idempotent: `arwh init` runs it on every start.
-- Roles are NOLOGIN group roles; people and services log in as their own users and are granted one of these.

do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'ar_loader') then
        create role ar_loader nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'ar_transformer') then
        create role ar_transformer nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'ar_bi_reader') then
        create role ar_bi_reader nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'ar_auditor') then
        create role ar_auditor nologin;
    end if;
end
$$;

create schema if not exists raw_erp;
create schema if not exists raw_bank;
create schema if not exists raw_statements;
create schema if not exists audit;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
