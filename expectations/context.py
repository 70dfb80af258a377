"""The register step: the GX file context under expectations/gx/ and everything the checks need in it.

`register` writes the Postgres data source, one asset and whole-asset batch definition per checked table, the
suites from `expectations.suites`, one validation definition and one checkpoint per table. It is idempotent and
leaves the files alone when they already say what the code says, so running it on every check run keeps
expectations/gx/ (committed, except gx/uncommitted/) in step with the code without churning ids in git.

Why one checkpoint per table rather than one for all: a checkpoint's result_format overrides the one on each
expectation, and `unexpected_index_column_names` (which makes COMPLETE results and Data Docs list the key of
every offending row) must name columns of the table being validated, which differ from table to table.

The connection string in great_expectations.yml is `${AR_WAREHOUSE_SQLA_URL}`; `warehouse_connection` sets that
variable from the warehouse URL for the duration of a run, so no credential is written to disk.

Scope. A raw table's asset is its view in raw_scope (migration 018): the rows loaded after the batch in the
session setting `arwh.checks_from_batch`, every row when it is not set. `warehouse_connection` sets it on the
run's connections (libpq `options`), so a daily run checks the rows loaded after the batch its dbt data tests start
from (decision 007) without rewriting the committed assets every day. A view rather than a GX query asset: GX
1.x reads a query asset's columns by running the whole query (1 million invoices fetched on every run). The
marts' assets are their tables: the reconciliation marts are the state on the run's date, checked whole.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.checkpoint import ValidationAction
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context import FileDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.datasource.fluent import PostgresDatasource
from great_expectations.datasource.fluent.sql_datasource import TableAsset
from great_expectations.exceptions import DataContextError
from sqlalchemy.engine import make_url

from expectations.suites import build_suite
from expectations.tables import RAW_TABLES, RawTable
from ingestion.config import GX_PROJECT_DIR, sqlalchemy_url

DATASOURCE_NAME = "ar_warehouse"
CONNECTION_ENV_VAR = "AR_WAREHOUSE_SQLA_URL"
CONNECTION_STRING = "${" + CONNECTION_ENV_VAR + "}"
BATCH_DEFINITION_NAME = "whole_table"
DATA_DOCS_SITE = "local_site"
# The session setting that scopes the raw tables' assets to the rows loaded after a batch (see the module's doc).
SCOPE_SETTING = "arwh.checks_from_batch"


def get_context(project_root_dir: Path | None = None) -> FileDataContext:
    """The file data context in `<project_root_dir>/gx/` (default: expectations/gx/), created when absent."""
    root = project_root_dir or GX_PROJECT_DIR
    context = gx.get_context(mode="file", project_root_dir=str(root))
    assert isinstance(context, FileDataContext)
    return context


def scoped_url(url: str, from_batch: int | None) -> str:
    """The SQLAlchemy URL of `url`, with SCOPE_SETTING set on its connections when `from_batch` is given."""
    if from_batch is None:
        return sqlalchemy_url(url)
    parsed = make_url(sqlalchemy_url(url))
    options = parsed.query.get("options", "")
    given = " ".join(options) if isinstance(options, tuple) else options
    scoped = f"{given} -c {SCOPE_SETTING}={int(from_batch)}".strip()
    return parsed.update_query_dict({"options": scoped}).render_as_string(hide_password=False)


@contextmanager
def warehouse_connection(url: str, from_batch: int | None = None) -> Iterator[None]:
    """Point the data source's `${AR_WAREHOUSE_SQLA_URL}` at `url` while the block runs, then put it back.

    from_batch: the raw tables' assets read the rows loaded after this batch; None: every row."""
    previous = os.environ.get(CONNECTION_ENV_VAR)
    os.environ[CONNECTION_ENV_VAR] = scoped_url(url, from_batch)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(CONNECTION_ENV_VAR, None)
        else:
            os.environ[CONNECTION_ENV_VAR] = previous


def checkpoint_result_format(table: RawTable) -> dict[str, Any]:
    """COMPLETE results that name each offending row by the table's primary key."""
    return {"result_format": "COMPLETE", "unexpected_index_column_names": list(table.key)}


def register(context: FileDataContext, tables: tuple[RawTable, ...] = RAW_TABLES) -> list[gx.Checkpoint]:
    """Create or update the data source, assets, suites, validation definitions and checkpoints of `tables`.

    Needs the warehouse only when an asset is added (GX tests the table then); run it inside
    `warehouse_connection`. Returns the checkpoints, one per table, in the order given.
    """
    _quiet_project_settings(context)
    datasource = _datasource(context)
    return [_register_table(context, datasource, table) for table in tables]


def _quiet_project_settings(context: FileDataContext) -> None:
    # No usage statistics and no progress bars: the checks run in Airflow task logs, not in a notebook.
    variables = context.variables
    bars: Any = variables.progress_bars
    # Read back from great_expectations.yml this is a plain dict, not a ProgressBarsConfig.
    bars_on = bars.get("globally", True) if isinstance(bars, dict) else getattr(bars, "globally", True)
    if variables.analytics_enabled is False and bars is not None and not bars_on:
        return
    variables.analytics_enabled = False
    variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    variables.save()


def _datasource(context: FileDataContext) -> PostgresDatasource:
    try:
        existing = context.data_sources.get(DATASOURCE_NAME)
    except KeyError:
        existing = None
    if isinstance(existing, PostgresDatasource) and str(existing.connection_string) == CONNECTION_STRING:
        return existing
    # add_or_update replaces the data source with its assets; only reached when it is missing or changed.
    datasource = context.data_sources.add_or_update_postgres(
        name=DATASOURCE_NAME, connection_string=CONNECTION_STRING
    )
    assert isinstance(datasource, PostgresDatasource)
    return datasource


def _asset(datasource: PostgresDatasource, table: RawTable) -> TableAsset:
    """The table's asset: its view in raw_scope for a raw table, the table itself for a mart."""
    schema, name = table.checked_relation
    try:
        asset = datasource.get_asset(table.suite_name)
    except LookupError:
        asset = None
    if isinstance(asset, TableAsset) and (asset.schema_name, asset.table_name) == (schema, name):
        return asset
    if asset is not None:
        datasource.delete_asset(table.suite_name)
    return datasource.add_table_asset(name=table.suite_name, schema_name=schema, table_name=name)


def _batch_definition(asset: TableAsset) -> BatchDefinition:
    try:
        batch_definition = asset.get_batch_definition(BATCH_DEFINITION_NAME)
    except KeyError:
        return asset.add_batch_definition_whole_table(BATCH_DEFINITION_NAME)
    if batch_definition.partitioner is None:
        return batch_definition
    asset.delete_batch_definition(BATCH_DEFINITION_NAME)
    return asset.add_batch_definition_whole_table(BATCH_DEFINITION_NAME)


def _suite_content(suite: gx.ExpectationSuite) -> Any:
    """What a suite says, without the ids GX assigns when it saves one."""
    expectations = []
    for expectation in suite.expectations:
        config = expectation.configuration.to_json_dict()
        config.pop("id", None)
        expectations.append(config)
    return {"expectations": expectations, "meta": suite.meta, "notes": suite.notes}


def _suite(context: FileDataContext, table: RawTable) -> gx.ExpectationSuite:
    wanted = build_suite(table)
    try:
        existing = context.suites.get(table.suite_name)
    except DataContextError:
        existing = None
    if existing is not None and _suite_content(existing) == _suite_content(wanted):
        return existing
    return context.suites.add_or_update(wanted)


def _validation_definition(
    context: FileDataContext, batch_definition: BatchDefinition, suite: gx.ExpectationSuite, name: str
) -> gx.ValidationDefinition:
    try:
        existing = context.validation_definitions.get(name)
    except DataContextError:
        existing = None
    if existing is not None and (existing.data.id, existing.suite.id) == (batch_definition.id, suite.id):
        return existing
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )


def _checkpoint(
    context: FileDataContext, validation_definition: gx.ValidationDefinition, table: RawTable
) -> gx.Checkpoint:
    result_format = checkpoint_result_format(table)
    # No UpdateDataDocsAction: expectations.run builds the Data Docs once after all of a run's checkpoints. Each
    # action rebuilt the site's index, about a second each, eight times per check_raw.
    actions: list[ValidationAction] = []
    try:
        existing = context.checkpoints.get(table.suite_name)
    except DataContextError:
        existing = None
    if (
        existing is not None
        and [vd.id for vd in existing.validation_definitions] == [validation_definition.id]
        and [action.dict() for action in existing.actions] == [action.dict() for action in actions]
        and existing.result_format == result_format
    ):
        return existing
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=table.suite_name,
            validation_definitions=[validation_definition],
            actions=actions,
            result_format=result_format,
        )
    )


def _register_table(
    context: FileDataContext, datasource: PostgresDatasource, table: RawTable
) -> gx.Checkpoint:
    asset = _asset(datasource, table)
    batch_definition = _batch_definition(asset)
    _forget_replaced_asset(context, table, batch_definition)
    suite = _suite(context, table)
    validation_definition = _validation_definition(context, batch_definition, suite, table.suite_name)
    return _checkpoint(context, validation_definition, table)


def _forget_replaced_asset(
    context: FileDataContext, table: RawTable, batch_definition: BatchDefinition
) -> None:
    """Delete the table's checkpoint and validation definition when they name an asset that was replaced.

    GX finds a validation definition's batch definition by name, so after an asset is replaced (a raw table's
    asset by its raw_scope view, say) the old definition still runs, but its file keeps the old ids. Recreating
    both keeps expectations/gx/ saying what it runs."""
    path = Path(context.root_directory) / "validation_definitions" / f"{table.suite_name}.json"
    if not path.exists():
        return
    stored = json.loads(path.read_text())
    if stored.get("data", {}).get("batch_definition", {}).get("id") == batch_definition.id:
        return
    for store in (context.checkpoints, context.validation_definitions):
        with suppress(DataContextError):
            store.delete(table.suite_name)


def data_docs_index(context: FileDataContext) -> Path:
    """The local path of the Data Docs index page (gx/uncommitted/data_docs/local_site/index.html)."""
    return Path(context.root_directory) / "uncommitted" / "data_docs" / DATA_DOCS_SITE / "index.html"
