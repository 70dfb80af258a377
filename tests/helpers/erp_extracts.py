"""Hand-made canonical ERP extracts: one CSV file per entity, in the layout `load_extract_dir` reads.

`write_extract` writes one entity's file from rows given as text, so that a test states its documents exactly
as an ERP would deliver them (ISO dates, plain decimals, an empty cell for a missing optional value). The
columns are checked against ingestion.erp.entities, so a scenario cannot drift from the canonical model.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from ingestion.erp.entities import ENTITIES


def write_extract(
    folder: Path, entity_name: str, columns: Sequence[str], rows: Iterable[Sequence[str]]
) -> Path:
    """Write `folder`/<entity_name>.csv: a header of `columns`, then one line per row. Returns the path.

    Raises ValueError when a column is not one of the entity's canonical columns, a required column is
    missing, or a row has a different number of cells than `columns`.
    """
    entity = ENTITIES[entity_name]
    unknown = [c for c in columns if c not in entity.column_names]
    missing = [c.name for c in entity.columns if c.required and c.name not in columns]
    if unknown or missing:
        raise ValueError(f"{entity_name}: unknown column(s) {unknown}, missing required column(s) {missing}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{entity_name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for number, row in enumerate(rows, start=1):
            if len(row) != len(columns):
                raise ValueError(
                    f"{entity_name}: row {number} has {len(row)} cells for {len(columns)} columns"
                )
            writer.writerow(row)
    return path
