-- Raw bank statements, one row per statement and one per transaction, as the bank sent them (signed amounts:
-- credits positive). Write mode: append per file; a file (sha256) is loaded once.

create table if not exists raw_bank.statements (
    file_sha256             text not null,
    statement_index         integer not null,       -- position of the statement in its file, from 1
    file_format             text not null,          -- camt053, mt940, mt942, bai2, csv
    statement_id            text,                   -- the bank's statement identifier (:20:/:28C:, Stmt/Id)
    sequence_number         text,                   -- :28C: or ElctrncSeqNb / LglSeqNb
    account_id              text not null,          -- IBAN or account number as sent
    account_iban            text,                   -- set when account_id is a valid IBAN
    currency_code           text,
    opening_balance         numeric(20, 5),
    opening_balance_date    date,
    closing_balance         numeric(20, 5),
    closing_balance_date    date,
    statement_date          date,                   -- closing balance date, else the last booking date
    line_count              integer not null,
    credit_total            numeric(20, 5) not null,
    debit_total             numeric(20, 5) not null,  -- negative or zero
    _batch_id               bigint not null,
    _loaded_at              timestamptz not null default clock_timestamp(),
    primary key (file_sha256, statement_index)
);

create table if not exists raw_bank.statement_lines (
    file_sha256             text not null,
    statement_index         integer not null,
    line_index              integer not null,       -- position within the statement, from 1
    statement_id            text,
    sequence_number         text,
    account_id              text not null,
    currency_code           text,
    booking_date            date,
    value_date              date,
    amount                  numeric(20, 5) not null, -- signed: credits positive, debits negative
    bank_reference          text,
    end_to_end_id           text,
    counterparty_name       text,
    counterparty_account    text,
    creditor_reference      text,                   -- structured remittance (ISO 11649 RF or national)
    remittance_text         text,                   -- unstructured remittance
    bank_transaction_code   text,
    original_text           text,                   -- the entry as it stood in the file
    _batch_id               bigint not null,
    _loaded_at              timestamptz not null default clock_timestamp(),
    primary key (file_sha256, statement_index, line_index)
);
