"""Sample data for the receivables warehouse: a simulated company selling on credit, and the sources it produces.

`generate(seed=..., scale=..., start=..., days=..., landing=...)` writes, under `landing`:

    source.json                                   where the ERP source is (database URL or files folder)
    manifest.json                                 inputs, expected totals, bank accounts, planted anomalies
    erp/<YYYY-MM-DD>/<entity>.csv                 daily canonical ERP extracts (erp_mode files or both)
    bank/<YYYY-MM-DD>/camt053_<IBAN>_<yyyymmdd>.xml   EUR account statements, business days
    bank/<YYYY-MM-DD>/mt940_<account>_<yyyymmdd>.sta  USD account statements, business days
    statements/<YYYY-MM-DD>/customer_statements_<yyyymmdd>.csv   month ends and the last day

and, for erp_mode db or both, the demo ERP database (schema `erp`). Modules: `params` (inputs, dates, history),
`company` (the simulation), `bank` (bank accounts and bookings), `erp_db`, `erp_files`, `bank_files`,
`customer_statements` (writers), `anomalies`, `manifest`, `generator` (the run).
"""

from __future__ import annotations

from ingestion.generate.generator import GenerationSummary, generate

__all__ = ["GenerationSummary", "generate"]
