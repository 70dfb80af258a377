"""An UnexpectedRowsExpectation whose Data Docs entry lists the rows its query returned.

GX's own UnexpectedRowsExpectation keeps the rows in its COMPLETE result but renders only their count, so an
auditor opening Data Docs would see "1" where they need the statement and its difference. This subclass adds the
diagnostic table renderer and changes nothing else: same query, same metrics, same success rule.

GX finds an expectation type by its class, registered when the class is defined, so this module must be imported
before a suite that uses it is loaded; `expectations.suites` imports it, and the register step imports that.
"""

from __future__ import annotations

from typing import Any

from great_expectations.expectations import UnexpectedRowsExpectation
from great_expectations.render import RenderedTableContent
from great_expectations.render.components import CollapseContent, LegacyDiagnosticRendererType
from great_expectations.render.renderer.renderer import renderer

LISTED_ROWS_LIMIT = 200  # what GX fetches for an unexpected-rows query (great_expectations.constants)


def _cell(value: Any) -> str:
    return "null" if value is None else str(value)


class ListedUnexpectedRowsExpectation(UnexpectedRowsExpectation):
    """Fails when `unexpected_rows_query` returns rows; Data Docs list those rows (up to 200)."""

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.UNEXPECTED_TABLE)
    def _diagnostic_unexpected_table_renderer(
        cls,
        configuration: Any = None,
        result: Any = None,
        runtime_configuration: dict | None = None,
    ) -> list[RenderedTableContent | CollapseContent] | None:
        if result is None or not result.result:
            return None
        rows = (result.result.get("details") or {}).get("unexpected_rows") or []
        if not rows:
            return None
        header = list(rows[0].keys())
        return [
            RenderedTableContent(
                content_block_type="table",
                table=[[_cell(row.get(column)) for column in header] for row in rows[:LISTED_ROWS_LIMIT]],
                header_row=header,
                styling={"body": {"classes": ["table-bordered", "table-sm", "mt-3"]}},
            )
        ]
