"""ERP mapping files: validation against the canonical entities and the extraction query they produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.erp.database import MappingError, build_query, load_mapping


def test_demo_mapping_covers_every_entity_and_builds_an_incremental_query() -> None:
    mapping = load_mapping("demo_erp")
    assert set(mapping.entities) == {
        "customers", "invoices", "credit_notes", "payments", "payment_applications", "write_offs", "fx_rates",
    }  # fmt: skip
    query = build_query(mapping, mapping.entities["invoices"])
    assert "from erp.ar_doc" in query
    assert "where (doc_typ = 'RV') and chg_ts > :watermark" in query
    assert "doc_no as invoice_id" in query
    assert query.rstrip().endswith("order by chg_ts")


def _mapping(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "m.yml"
    path.write_text(body)
    return path


def test_a_required_column_left_unmapped_is_refused(tmp_path: Path) -> None:
    path = _mapping(
        tmp_path,
        "name: x\nentities:\n  invoices:\n    from: inv\n    updated_at: ts\n"
        "    columns: {invoice_id: id, customer_id: cust, invoice_date: d, due_date: d2, currency_code: c}\n",
    )
    with pytest.raises(MappingError, match="required column\\(s\\) not mapped: amount"):
        load_mapping(path)


def test_an_unknown_entity_or_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="'orders' is not one of"):
        load_mapping(
            _mapping(tmp_path, "entities:\n  orders:\n    from: o\n    updated_at: ts\n    columns: {}\n")
        )
    body = (
        "entities:\n  customers:\n    from: c\n    updated_at: ts\n"
        "    columns: {customer_id: id, customer_name: n, colour: x}\n"
    )
    with pytest.raises(MappingError, match="unknown canonical column\\(s\\): colour"):
        load_mapping(_mapping(tmp_path, body))


def test_updated_at_is_required_for_an_incremental_extract(tmp_path: Path) -> None:
    body = "entities:\n  customers:\n    from: c\n    columns: {customer_id: id, customer_name: n}\n"
    with pytest.raises(MappingError, match="`updated_at` is required"):
        load_mapping(_mapping(tmp_path, body))
