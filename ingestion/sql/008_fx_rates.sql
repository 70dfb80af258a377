-- Daily exchange rates into the functional (reporting) currency: the ERP entity fx_rates
-- (ingestion/erp/entities.py). 1 unit of currency_code = rate units of functional_currency_code on rate_date.
create table if not exists raw_erp.fx_rates (
    rate_date                   date not null,
    currency_code               text not null,
    functional_currency_code    text not null,
    rate                        numeric(20, 10) not null check (rate > 0),
    source_updated_at           timestamptz,
    _batch_id                   bigint not null,
    _loaded_at                  timestamptz not null default clock_timestamp(),
    primary key (rate_date, currency_code, functional_currency_code)
);

comment on table raw_erp.fx_rates is
    'Daily exchange rates as delivered: 1 unit of currency_code = rate units of functional_currency_code.';
-- Privileges: the default privileges of 006_grants.sql (loader writes, transformer reads).
