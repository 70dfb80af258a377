"""Where the demo ERP database goes, worked out from the warehouse URL (no database needed)."""

from __future__ import annotations

from ingestion.generate.erp_db import derive_erp_url, with_database


def test_derived_url_keeps_server_user_and_options() -> None:
    assert (
        derive_erp_url("postgresql+psycopg://ar:secret@db.example:5432/ar_warehouse?sslmode=require")
        == "postgresql://ar:secret@db.example:5432/ar_warehouse_erp_demo?sslmode=require"
    )
    assert derive_erp_url("postgresql://ar_owner@127.0.0.1:55432/ar_warehouse") == (
        "postgresql://ar_owner@127.0.0.1:55432/ar_warehouse_erp_demo"
    )


def test_database_named_in_the_query_string_is_replaced() -> None:
    assert with_database("postgresql://u@h/?dbname=wh&host=/tmp", "x") == "postgresql://u@h/x?host=%2Ftmp"
