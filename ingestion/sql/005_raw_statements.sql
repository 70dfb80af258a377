-- Customer statements: what customers say they owe. Append per file; a file (sha256) is loaded once.

create table if not exists raw_statements.statement_items (
    file_sha256         text not null,
    line_number         integer not null,
    customer_id         text not null,
    statement_date      date not null,
    document_ref        text not null,
    document_type       text not null check (document_type in ('invoice', 'credit_note', 'payment')),
    document_date       date,
    amount              numeric(18, 2) not null,
    currency_code       text,
    _batch_id           bigint not null,
    _loaded_at          timestamptz not null default clock_timestamp(),
    primary key (file_sha256, line_number)
);
