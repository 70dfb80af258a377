-- Indexes that let a daily dbt run find the day's changes instead of reading the whole history
-- (issue 4: a new day costs work in proportion to its changes).
--   * _batch_id: int_invoice_movements_unioned and int_payment_balances_accumulated find the rows loaded since
--     their watermark (load_batch_id > last processed batch), and max(load_batch_id) is an index lookup;
--     the day-scoped data tests read the rows of the day's batches.
--   * invoice_id on the documents that name an invoice: the movements of the few invoices a day touches.
--   * invoice_date and due_date: the monthly reports read the invoices issued or falling due in the months they
--     rebuild.
-- The staging views cast these columns to the type they already have, which PostgreSQL drops, so the indexes
-- serve queries on the views.
create index if not exists invoices_batch_idx on raw_erp.invoices (_batch_id);
create index if not exists invoices_invoice_date_idx on raw_erp.invoices (invoice_date);
create index if not exists invoices_due_date_idx on raw_erp.invoices (due_date);
create index if not exists invoices_customer_idx on raw_erp.invoices (customer_id, invoice_date);
create index if not exists credit_notes_batch_idx on raw_erp.credit_notes (_batch_id);
create index if not exists credit_notes_invoice_idx on raw_erp.credit_notes (invoice_id);
create index if not exists payments_batch_idx on raw_erp.payments (_batch_id);
create index if not exists payment_applications_batch_idx on raw_erp.payment_applications (_batch_id);
create index if not exists payment_applications_invoice_idx on raw_erp.payment_applications (invoice_id);
create index if not exists write_offs_batch_idx on raw_erp.write_offs (_batch_id);
create index if not exists write_offs_invoice_idx on raw_erp.write_offs (invoice_id);
create index if not exists customers_batch_idx on raw_erp.customers (_batch_id);
create index if not exists fx_rates_batch_idx on raw_erp.fx_rates (_batch_id);
