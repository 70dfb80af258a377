-- Raw ERP entities in the canonical shape. Write mode: merge on the primary key; a row is only rewritten when a
-- value changed, so a re-run of the same extract leaves the table (and its _batch_id) as it was.
-- Every table carries _batch_id (audit.load_batches) and _loaded_at.

create table if not exists raw_erp.customers (
    customer_id         text primary key,
    customer_name       text not null,
    country_code        text,
    currency_code       text,
    credit_limit        numeric(18, 2),
    payment_terms_days  integer,
    risk_grade          text,
    insured_share       numeric(5, 4),
    source_updated_at   timestamptz,
    _batch_id           bigint not null,
    _loaded_at          timestamptz not null default clock_timestamp()
);

create table if not exists raw_erp.invoices (
    invoice_id          text primary key,
    customer_id         text not null,
    invoice_date        date not null,
    due_date            date not null,
    currency_code       text not null,
    amount              numeric(18, 2) not null,
    is_disputed         boolean not null default false,
    source_updated_at   timestamptz,
    _batch_id           bigint not null,
    _loaded_at          timestamptz not null default clock_timestamp()
);

create table if not exists raw_erp.credit_notes (
    credit_note_id      text primary key,
    invoice_id          text,
    customer_id         text not null,
    credit_note_date    date not null,
    amount              numeric(18, 2) not null,
    reason              text,
    source_updated_at   timestamptz,
    _batch_id           bigint not null,
    _loaded_at          timestamptz not null default clock_timestamp()
);

create table if not exists raw_erp.payments (
    payment_id          text primary key,
    customer_id         text not null,
    payment_date        date not null,
    currency_code       text not null,
    amount              numeric(18, 2) not null,
    reference           text,
    source_updated_at   timestamptz,
    _batch_id           bigint not null,
    _loaded_at          timestamptz not null default clock_timestamp()
);

create table if not exists raw_erp.payment_applications (
    payment_id          text not null,
    invoice_id          text not null,
    applied_amount      numeric(18, 2) not null,
    applied_date        date not null,
    source_updated_at   timestamptz,
    _batch_id           bigint not null,
    _loaded_at          timestamptz not null default clock_timestamp(),
    primary key (payment_id, invoice_id)
);

create table if not exists raw_erp.write_offs (
    write_off_id        text primary key,
    invoice_id          text not null,
    write_off_date      date not null,
    amount              numeric(18, 2) not null,
    reason              text,
    approved_by         text,
    source_updated_at   timestamptz,
    _batch_id           bigint not null,
    _loaded_at          timestamptz not null default clock_timestamp()
);
