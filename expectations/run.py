"""The run entry point: validate the raw tables, record one row per expectation in audit.check_results.

A daily run validates the raw rows loaded after a batch (`from_batch`, the scope of the day's dbt data tests,
decision 007); without one, every row. Each result records the scope it had (checked_from_batch).

A failing expectation is data: it is recorded and returned in the summary, and the caller (an Airflow task, say)
decides what a failure means. An expectation GX could not evaluate, a GX error or a database error raises, and
then nothing is recorded for the run.

Importing this module does not import Great Expectations: `run_raw_checks` imports it once GX's logger is
quietened, because GX logs hundreds of info lines while it imports when a root handler (Airflow's structlog
setup) is already listening.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.types.json import Jsonb

from expectations.results import CheckResult
from expectations.retention import prune_validation_history
from expectations.tables import MART_TABLES, RAW_TABLES, RawTable
from ingestion import config

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.checkpoint.checkpoint import CheckpointResult
    from great_expectations.data_context import FileDataContext

GX_LOGGER = "great_expectations"


class CheckExecutionError(RuntimeError):
    """GX could not evaluate one or more expectations (not the same as an expectation that failed)."""

    def __init__(self, errors: list[CheckResult]) -> None:
        self.errors = errors
        listed = "; ".join(f"{e.suite_name} {e.check_name}: {e.error}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} expectation(s) could not be evaluated: {listed}{more}")


@dataclass(frozen=True)
class CheckRunSummary:
    """What a run of the raw checks found. `results` holds one CheckResult per expectation, in suite order."""

    run_id: str
    as_of_date: date
    checked_from_batch: int | None
    checks_run: int
    passed: int
    failed: int
    data_docs_path: Path
    results: tuple[CheckResult, ...]

    @property
    def success(self) -> bool:
        return self.failed == 0

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if not r.success)

    def as_dict(self) -> dict[str, Any]:
        """The summary for an XCom or a log line: counts, Data Docs path and the failed checks (not every row)."""
        return {
            "run_id": self.run_id,
            "as_of_date": self.as_of_date.isoformat(),
            "checked_from_batch": self.checked_from_batch,
            "checks_run": self.checks_run,
            "passed": self.passed,
            "failed": self.failed,
            "data_docs_path": str(self.data_docs_path),
            "failures": [
                {
                    "suite_name": r.suite_name,
                    "table_name": r.table_name,
                    "check_name": r.check_name,
                    "unexpected_count": r.unexpected_count,
                    "unexpected_amount": None if r.unexpected_amount is None else str(r.unexpected_amount),
                }
                for r in self.failures
            ],
        }


@contextmanager
def quiet_gx_logging(level: int = logging.WARNING) -> Iterator[None]:
    """Raise GX's logger to `level` while the block runs (its import-time info lines included)."""
    logger = logging.getLogger(GX_LOGGER)
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


def new_run_id(as_of_date: date) -> str:
    """A fresh run id for a run started outside Airflow."""
    return f"raw-checks-{as_of_date.isoformat()}-{uuid.uuid4().hex[:12]}"


def run_raw_checks(
    as_of_date: date,
    run_id: str | None = None,
    warehouse_url: str | None = None,
    *,
    from_batch: int | None = None,
    project_root_dir: Path | None = None,
) -> CheckRunSummary:
    """Validate the raw tables and record the results.

    as_of_date: the business date the run belongs to; recorded with each result (it does not filter: the ERP
        tables are current-state snapshots, see expectations.suites). run_id: the caller's run id (the Airflow run
        id), else a fresh one; results already recorded under this run id for these suites are replaced, so a
        retried task does not double them.
    warehouse_url: the warehouse (libpq or SQLAlchemy URL); default ingestion.config.warehouse_url().
    from_batch: check the rows loaded (written or rewritten) after this load batch, as ar_daily does with its
        dbt data tests' scope (pipeline.data_tests_from_batch); None: every row.
    project_root_dir: the folder holding gx/; default expectations/ (tests point it at a temporary folder).

    Registers the checks first (a no-op when expectations/gx/ already matches the code), runs one checkpoint per
    raw table, rebuilds the Data Docs, writes one audit.check_results row per expectation and returns the summary.
    Raises CheckExecutionError when GX could not evaluate an expectation, and lets GX and database errors through.
    """
    return _run_checks(RAW_TABLES, as_of_date, run_id, warehouse_url, project_root_dir, from_batch)


def run_mart_checks(
    as_of_date: date,
    run_id: str | None = None,
    warehouse_url: str | None = None,
    *,
    project_root_dir: Path | None = None,
) -> CheckRunSummary:
    """Validate the reconciliation marts dbt built for `as_of_date` and record the results, as run_raw_checks.

    Each check lists the mismatches an auditor follows up (COMPLETE results: every offending row with its keys and
    evidence, in audit.check_results.offending_keys and on the Data Docs page). A failed check is data, returned in
    the summary; an error evaluating one raises.
    """
    return _run_checks(MART_TABLES, as_of_date, run_id, warehouse_url, project_root_dir, None)


def _run_checks(
    tables: tuple[RawTable, ...],
    as_of_date: date,
    run_id: str | None,
    warehouse_url: str | None,
    project_root_dir: Path | None,
    from_batch: int | None,
) -> CheckRunSummary:
    url = warehouse_url or config.warehouse_url()
    run_id = run_id or new_run_id(as_of_date)
    # Fail fast on an unreachable warehouse: GX would log a traceback for every expectation before giving up.
    _check_results_table_reachable(url)
    with quiet_gx_logging():
        from expectations.context import data_docs_index, get_context, register, warehouse_connection

        with warehouse_connection(url, from_batch):
            context = get_context(project_root_dir)
            checkpoints = register(context, tables)
            # Before the run, so that the index this run's Data Docs builds write lists only what is kept.
            prune_validation_history(Path(context.root_directory))
            runs = [(checkpoint, _run_checkpoint(checkpoint, run_id)) for checkpoint in checkpoints]
            _build_data_docs(context, [result for _, result in runs])
            results = [
                result for checkpoint, run in runs for result in _check_results(context, checkpoint, run)
            ]
        docs = data_docs_index(context)

    errors = [r for r in results if r.error is not None]
    if errors:
        raise CheckExecutionError(errors)
    write_check_results(url, run_id, as_of_date, results, tables, checked_from_batch=from_batch)
    passed = sum(1 for r in results if r.success)
    return CheckRunSummary(
        run_id=run_id,
        as_of_date=as_of_date,
        checked_from_batch=from_batch,
        checks_run=len(results),
        passed=passed,
        failed=len(results) - passed,
        data_docs_path=docs,
        results=tuple(results),
    )


def _check_results_table_reachable(url: str) -> None:
    with psycopg.connect(config.libpq_url(url)) as connection:
        connection.execute("select 1 from audit.check_results limit 0")


def _run_checkpoint(checkpoint: gx.Checkpoint, run_id: str) -> CheckpointResult:
    from great_expectations.core.run_identifier import RunIdentifier

    return checkpoint.run(run_id=RunIdentifier(run_name=run_id))


def _build_data_docs(context: FileDataContext, runs: list[CheckpointResult]) -> None:
    """The Data Docs pages of this run's validations and suites, and the site's index, built once."""
    from expectations.context import DATA_DOCS_SITE

    identifiers: list[Any] = []
    for run in runs:
        for identifier in run.run_results:
            identifiers += [identifier, identifier.expectation_suite_identifier]
    context.build_data_docs(site_names=[DATA_DOCS_SITE], resource_identifiers=identifiers, build_index=True)


def _check_results(
    context: FileDataContext, checkpoint: gx.Checkpoint, checkpoint_result: CheckpointResult
) -> list[CheckResult]:
    from expectations.context import DATA_DOCS_SITE
    from expectations.results import to_check_result
    from expectations.tables import table_for_suite

    # GX returns results in the order it resolved their metrics; report them in the suite's order instead.
    position = {
        expectation.id: index
        for definition in checkpoint.validation_definitions
        for index, expectation in enumerate(definition.suite.expectations)
    }
    results: list[CheckResult] = []
    for identifier, suite_result in checkpoint_result.run_results.items():
        suite_name = suite_result.suite_name
        table = table_for_suite(suite_name)
        pages = context.get_docs_sites_urls(resource_identifier=identifier, site_name=DATA_DOCS_SITE)
        extra = {"data_docs_page": pages[0]["site_url"]} if pages else {}
        ordered = sorted(
            suite_result.results,
            key=lambda r: position.get(
                r.expectation_config.id if r.expectation_config else None, len(position)
            ),
        )
        results += [to_check_result(r, suite_name, table, extra) for r in ordered]
    return results


_INSERT = """
insert into audit.check_results (
    run_id, as_of_date, suite_name, check_name, table_name, success, severity,
    element_count, unexpected_count, unexpected_amount, offending_keys, details, checked_from_batch
)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


def write_check_results(
    url: str,
    run_id: str,
    as_of_date: date,
    results: list[CheckResult],
    tables: tuple[RawTable, ...] = RAW_TABLES,
    *,
    checked_from_batch: int | None = None,
) -> None:
    """Replace this run's rows of `tables`' suites in audit.check_results with `results`, in one transaction.

    checked_from_batch: the scope the results had (the rows loaded after this batch); None: every row."""
    suite_names = [table.suite_name for table in tables]
    with psycopg.connect(config.libpq_url(url)) as connection, connection.cursor() as cursor:
        # Other checks (dbt's, the other suites) may record under the same run id; only these suites are replaced.
        cursor.execute(
            "delete from audit.check_results where run_id = %s and suite_name = any(%s)",
            (run_id, suite_names),
        )
        cursor.executemany(
            _INSERT,
            [
                (
                    run_id,
                    as_of_date,
                    r.suite_name,
                    r.check_name,
                    r.table_name,
                    r.success,
                    r.severity,
                    r.element_count,
                    r.unexpected_count,
                    r.unexpected_amount,
                    Jsonb(r.offending_keys),
                    Jsonb(r.details),
                    checked_from_batch,
                )
                for r in results
            ],
        )
