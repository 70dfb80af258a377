"""After a load, the raw tables it wrote get fresh statistics before dbt and the checks plan on them
(warehouse.analyze_stale).

Autovacuum analyzes a table once the rows written since its last ANALYZE pass 50 + 10% of it, within a minute or
so. dbt runs right after the load, and a day's rows rarely pass the threshold: a small table (a day's two bank
statements) never does, and neither do a few thousand new invoices among a million. Without statistics
PostgreSQL took raw_bank.statements for 90 rows and planned the bank reconciliation as nested loops; with
statistics that know no batch of the day it estimated the day's invoices at one row (decision 008).
"""

from __future__ import annotations

import pytest

from ingestion import warehouse

pytestmark = pytest.mark.integration


def _write(url: str, statement: str) -> None:
    with warehouse.connect(url) as conn:
        conn.execute(statement)
        # Statistics counters reach pg_stat_user_tables when the session flushes them (PostgreSQL 15: when it goes
        # idle, at most once a second, or at exit): make it flush at once, so the test does not race it.
        conn.execute("select pg_stat_force_next_flush()")
        conn.commit()


def _last_analyzed(url: str) -> dict[str, object]:
    """When each raw_bank table last got statistics (ANALYZE or autovacuum's)."""
    with warehouse.connect(url) as conn:
        rows = conn.execute(
            """select relname, greatest(last_analyze, last_autoanalyze)
                 from pg_stat_user_tables where schemaname = 'raw_bank'"""
        ).fetchall()
    return dict(rows)


def test_tables_never_analyzed_or_written_since_are_analyzed_and_only_those(clean_warehouse: str) -> None:
    url = clean_warehouse
    with warehouse.connect(url) as conn:  # no autovacuum round in the middle of the test
        conn.execute("alter table raw_bank.statements set (autovacuum_enabled = false)")
        conn.commit()
    try:
        # Whatever earlier tests left: afterwards every raw_bank table has statistics.
        first = warehouse.analyze_stale(url, ["raw_bank"])
        assert all(name.startswith("raw_bank.") for name in first)
        before = _last_analyzed(url)
        assert before["statements"] is not None and before["statement_lines"] is not None

        # Nothing written since: nothing to do.
        assert warehouse.analyze_stale(url, ["raw_bank"]) == []

        # 60 new rows in statements: it is analyzed again; statement_lines, not written, is not.
        _write(
            url,
            """insert into raw_bank.statements (file_sha256, statement_index, file_format, account_id, line_count,
                                                credit_total, debit_total, _batch_id)
               select md5(n::text), 1, 'csv', 'DE89370400440532013000', 0, 0, 0, 0
                 from generate_series(1, 60) as n""",
        )
        assert warehouse.analyze_stale(url, ["raw_bank"]) == ["raw_bank.statements"]
        after = _last_analyzed(url)
        assert after["statements"] > before["statements"]  # type: ignore[operator]
        assert after["statement_lines"] == before["statement_lines"]

        # Three more rows of batch 7: far below autovacuum's threshold (50 + 10% of 60 = 56), analyzed all the
        # same, so the statistics know batch 7 (three rows of it: a value seen more than once is a common value).
        _write(
            url,
            """insert into raw_bank.statements (file_sha256, statement_index, file_format, account_id, line_count,
                                                credit_total, debit_total, _batch_id)
               select md5('more' || n), 1, 'csv', 'DE89370400440532013000', 0, 0, 0, 7
                 from generate_series(1, 3) as n""",
        )
        assert warehouse.analyze_stale(url, ["raw_bank"]) == ["raw_bank.statements"]
        with warehouse.connect(url) as conn:
            (values,) = conn.execute(
                """select most_common_vals::text from pg_stats
                    where schemaname = 'raw_bank' and tablename = 'statements' and attname = '_batch_id'"""
            ).fetchone()
        assert values == "{0,7}"
    finally:
        with warehouse.connect(url) as conn:
            conn.execute("alter table raw_bank.statements reset (autovacuum_enabled)")
            conn.commit()
