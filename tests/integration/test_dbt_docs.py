"""`dbt docs generate` builds, and every public mart is documented in it, table and columns.

The docs site is what analysts read before they query a mart; a model or column without a description is a hole
in it. dbt writes the site to a target folder of its own here, so the project's target/ is left alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingestion import transform

pytestmark = pytest.mark.integration


def test_docs_generate_builds_and_documents_every_mart(warehouse_url: str, tmp_path: Path) -> None:
    target = tmp_path / "docs-target"
    transform.run_dbt(["docs", "generate", "--target-path", str(target)], url=warehouse_url)

    for name in ("index.html", "manifest.json", "catalog.json"):
        assert (target / name).is_file(), name
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    marts = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["schema"] == "marts"
    }
    # The public marts of docs/models.md (a new mart must be added there and here).
    assert {"fct_ar_aging", "fct_invoices", "dim_customers", "rpt_credit_risk", "rpt_ar_rollforward"} <= set(
        marts
    )
    undocumented = [
        f"{name}.{column}"
        for name, node in marts.items()
        for column, spec in node["columns"].items()
        if not spec.get("description", "").strip()
    ]
    assert undocumented == []
    assert [name for name, node in marts.items() if not node["description"].strip()] == []
    # Every mart has a contract, and its columns in the docs are the columns the contract enforces.
    for name, node in marts.items():
        assert node["config"]["contract"]["enforced"], name
        assert all(spec.get("data_type") for spec in node["columns"].values()), name
