"""The `arwh` command: set up the warehouse, generate sample data, ingest, transform, check, run days.

Every command reads AR_WAREHOUSE_URL (else the project-local cluster) and AR_LANDING_DIR (else .local/landing).
Commands that load data accept --json and then print one machine-readable summary per file or entity.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from ingestion import config

log = logging.getLogger("arwh")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("great_expectations", "sqlalchemy", "urllib3", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _echo_json(payload: Any) -> None:
    from ingestion.warehouse import to_json

    click.echo(json.dumps(json.loads(to_json(payload)), indent=2))


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """Receivables data warehouse: ERP and bank data into PostgreSQL, dbt marts, reconciliation checks."""
    _setup_logging(verbose)
    for key, value in {
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "false",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "SCARF_ANALYTICS": "false",
    }.items():
        os.environ.setdefault(key, value)


# ---- db ----------------------------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The project-local PostgreSQL cluster (used when AR_WAREHOUSE_URL is not set)."""


@db.command("up")
def db_up() -> None:
    """Start the local cluster (install and initialise it when needed) and print its URL."""
    if os.environ.get(config.ENV_WAREHOUSE_URL):
        click.echo(f"{config.ENV_WAREHOUSE_URL} is set; using it, no local cluster started.", err=True)
        click.echo(config.warehouse_url())
        return
    from ingestion import localdb

    click.echo(localdb.up())


@db.command("down")
def db_down() -> None:
    """Stop the local cluster."""
    from ingestion import localdb

    localdb.down()
    click.echo("stopped")


@db.command("url")
def db_url() -> None:
    """Print the warehouse URL in use."""
    click.echo(config.warehouse_url())


# ---- init / generate ---------------------------------------------------------------------------------------------


@main.command()
def init() -> None:
    """Create schemas, roles, raw and audit tables, grants (idempotent)."""
    from ingestion.warehouse import init_warehouse

    applied = init_warehouse()
    click.echo(f"warehouse ready ({len(applied)} SQL files applied)")


@main.command()
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--scale",
    type=float,
    default=0.01,
    show_default=True,
    help="1 = 10,000 customers, ~1M invoices in 2 years.",
)
@click.option("--start", "start", required=True, callback=_date, help="First business date (YYYY-MM-DD).")
@click.option("--days", type=int, default=30, show_default=True)
@click.option("--landing", type=click.Path(path_type=Path), default=None, help="Default: AR_LANDING_DIR.")
@click.option(
    "--erp-url", default=None, help="Where to write the demo ERP database (default: beside the warehouse)."
)
@click.option("--erp-mode", type=click.Choice(["db", "files", "both"]), default="db", show_default=True)
@click.option(
    "--history-days", type=int, default=None, help="Days of full trading before --start (default 60)."
)
def generate(
    seed: int,
    scale: float,
    start: date,
    days: int,
    landing: Path | None,
    erp_url: str | None,
    erp_mode: str,
    history_days: int | None,
) -> None:
    """Write a deterministic sample company: demo ERP database, bank files, customer statements, anomalies."""
    from ingestion.generate import generate as run_generate

    summary = run_generate(
        seed=seed, scale=scale, start=start, days=days, landing=landing or config.landing_dir(),
        erp_url=erp_url, erp_mode=erp_mode, **({} if history_days is None else {"history_days": history_days}),
    )  # fmt: skip
    from dataclasses import asdict

    _echo_json(asdict(summary))


# ---- ingest ------------------------------------------------------------------------------------------------------


@main.group()
def ingest() -> None:
    """Load sources into the raw schemas."""


@ingest.command("erp")
@click.option("--source-url", default=None, help="ERP database URL (extract through --mapping).")
@click.option("--mapping", default="demo_erp", show_default=True, help="Mapping name or YAML path.")
@click.option(
    "--as-of", "as_of", callback=_date, default=None, help="Business date recorded with the batches."
)
@click.option("--files", "files_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder of canonical CSV extracts (or of YYYY-MM-DD folders of them).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def ingest_erp(
    source_url: str | None, mapping: str, as_of: date | None, files_dir: Path | None, as_json: bool
) -> None:
    """Load the ERP from its database (incremental by watermark) or from CSV extract files."""
    if bool(source_url) == bool(files_dir):
        raise click.UsageError("give exactly one of --source-url or --files")
    if source_url:
        from ingestion.erp.database import extract, load_mapping

        results: list[dict[str, Any]] = [
            r.as_dict() for r in extract(source_url, load_mapping(mapping), business_date=as_of)
        ]
    else:
        from ingestion.erp.files import load_extract_dir

        assert files_dir is not None
        results = [r.as_dict() for r in load_extract_dir(None, files_dir, through=as_of)]
    _report(results, as_json, key="entity")


@ingest.command("bank")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--as-of", "as_of", callback=_date, default=None, help="Skip YYYY-MM-DD folders after this date."
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def ingest_bank(paths: tuple[Path, ...], as_of: date | None, as_json: bool) -> None:
    """Load bank statement files (CAMT.053, MT940; files or folders). Bad files go to quarantine."""
    from ingestion.bank.loader import load_files

    _report([r.as_dict() for r in load_files(None, list(paths), business_date=as_of)], as_json, key="file")


@ingest.command("statements")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--as-of", "as_of", callback=_date, default=None, help="Skip YYYY-MM-DD folders after this date."
)
@click.option("--mapping", default=None,
              help="Layout of the files: 'template' or a mapping name or YAML path (default: chosen by the header).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def ingest_statements(
    paths: tuple[Path, ...], as_of: date | None, mapping: str | None, as_json: bool
) -> None:
    """Load customer statements (CSV, XLSX; files or folders). Bad files go to quarantine."""
    from ingestion.statements.loader import load_files

    results = load_files(None, list(paths), business_date=as_of, mapping=mapping)
    _report([r.as_dict() for r in results], as_json, key="file")


def _report(results: list[dict[str, Any]], as_json: bool, *, key: str) -> None:
    if as_json:
        _echo_json(results)
    else:
        for r in results:
            click.echo(f"{r.get('status', 'loaded'):9} {r.get(key)}: rows={r.get('rows', r.get('rows_loaded'))}"
                       + (f"  ({r['reason']})" if r.get("reason") else ""))  # fmt: skip
    if any(r.get("status") == "rejected" for r in results):
        click.echo("some files were rejected: see audit.rejects and the quarantine folder", err=True)


@main.command()
@click.option("--date", "as_of", callback=_date, required=True, help="The business date reported.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True)
def report(as_of: date, out: Path) -> None:
    """The auditor's report for a date: a self-contained HTML page, and its mismatches as CSV and XLSX."""
    from ingestion.report import write_report

    files = write_report(as_of, out)
    for path in (files.html, files.csv, files.xlsx):
        click.echo(str(path))


@main.command()
@click.option("--run", "run_id", required=True, help="The run (audit.pipeline_runs.run_id) to reproduce.")
@click.option("--keep", is_flag=True, help="Keep the scratch schemas (reproduce_<snapshot>_*) to look into.")
@click.option("--json", "as_json", is_flag=True)
def reproduce(run_id: str, keep: bool, as_json: bool) -> None:
    """Rebuild a past run's reconciliation from the inputs recorded for it and compare it with what the run stored.

    Exits 1 when they differ (the differing rows are printed), 2 when the run cannot be reproduced."""
    from ingestion.reproduce import ReproduceError
    from ingestion.reproduce import reproduce as rebuild

    try:
        result = rebuild(run_id, keep=keep)
    except ReproduceError as error:
        click.echo(f"cannot reproduce: {error}", err=True)
        sys.exit(2)
    if as_json:
        _echo_json(result.as_dict())
    else:
        click.echo(
            f"run {result.run_id} ({result.business_date}), snapshot {result.snapshot_id}, inputs up to load batch "
            f"{result.input_batch_id}; code {result.code_version} (the run's: {result.recorded_code_version})"
        )
        for c in result.comparisons:
            verdict = (
                "equal"
                if c.equal
                else f"{c.only_stored_count} stored rows and {c.only_rebuilt_count} rebuilt rows differ"
            )
            click.echo(f"  {c.mart}: {c.stored_rows} stored, {c.rebuilt_rows} rebuilt: {verdict}")
            for row in c.only_stored:
                click.echo(f"    stored only:  {row}")
            for row in c.only_rebuilt:
                click.echo(f"    rebuilt only: {row}")
        if keep:
            click.echo(f"scratch schemas kept: {result.scratch_prefix}*")
        if not result.equal and result.recorded_code_version != result.code_version:
            click.echo("the run was recorded with other code: a difference may come from the code", err=True)
    if not result.equal:
        sys.exit(1)


# ---- transform / check / run -------------------------------------------------------------------------------------


@main.command()
@click.option("--as-of", "as_of", callback=_date, required=True)
def transform(as_of: date) -> None:
    """Run `dbt build` for the as-of date."""
    from ingestion.transform import build

    build(as_of)
    click.echo(f"dbt build for {as_of} succeeded")


@main.command()
@click.option("--as-of", "as_of", callback=_date, required=True)
@click.option("--run-id", default=None)
@click.option(
    "--marts",
    is_flag=True,
    help="Check the reconciliation marts (after `arwh transform`), not the raw loads.",
)
@click.option(
    "--from-batch",
    type=int,
    default=None,
    help="Check only the raw rows loaded after this load batch (audit.load_batches.batch_id), as a daily run "
    "does; default every row.",
)
@click.option("--json", "as_json", is_flag=True)
def check(as_of: date, run_id: str | None, marts: bool, from_batch: int | None, as_json: bool) -> None:
    """Run the Great Expectations checkpoints; results go to audit.check_results and Data Docs."""
    from expectations import run_mart_checks, run_raw_checks

    if marts and from_batch is not None:
        raise click.UsageError("--from-batch scopes the raw checks; the marts are checked whole")
    if marts:
        summary = run_mart_checks(as_of, run_id=run_id)
    else:
        summary = run_raw_checks(as_of, run_id=run_id, from_batch=from_batch)
    payload = summary.as_dict() if hasattr(summary, "as_dict") else summary.__dict__
    if as_json:
        _echo_json(payload)
    else:
        click.echo(f"checks for {as_of}: {payload}")


BENCH_SECTIONS = ("erp", "bank", "dbt", "dag")


@main.command()
@click.option(
    "--scale",
    type=float,
    default=0.1,
    show_default=True,
    help="Scale factor: 1 is about 10,000 customers and 1,000,000 invoices over two years.",
)
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(BENCH_SECTIONS),
    help="Run only these sections (repeatable); default: all.",
)
@click.option("--no-save", is_flag=True, help="Print only; leave bench/results/ alone.")
def bench(scale: float, sections: tuple[str, ...], no_save: bool) -> None:
    """The benchmark at one scale (bench/README.md): the ERP load against COPY and pandas, bank statements
    (1,000,000 transactions at scale 1) against COPY, the first and the daily dbt build, and one ar_daily day
    task by task with its dbt part against a plain dbt build. Results in bench/results/."""
    import sys

    if str(config.PROJECT_ROOT) not in sys.path:
        sys.path.insert(
            0, str(config.PROJECT_ROOT)
        )  # the bench package lives beside ingestion/ in the checkout
    from bench import bank, dag_daily, dbt_daily, erp_load

    save = ["--no-save"] if no_save else []
    runs = {
        "erp": lambda: erp_load.main(["--scales", str(scale), *save]),
        "bank": lambda: bank.main(["--transactions", str(max(1000, int(1_000_000 * scale))), *save]),
        "dbt": lambda: dbt_daily.main(["--scales", str(scale), *save]),
        "dag": lambda: dag_daily.main(["--scale", str(scale), "--history-days", "730", "--days", "4", *save]),
    }
    failed = [name for name in (sections or BENCH_SECTIONS) if runs[name]() != 0]
    if failed:
        raise click.ClickException(f"benchmark section(s) failed: {', '.join(failed)}")


@main.command()
@click.option("--date", "day", callback=_date, required=True, help="Business date to run (YYYY-MM-DD).")
@click.option(
    "--through", callback=_date, default=None, help="Run every date from --date to this one, in order."
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="The DAG's full_refresh param: rebuild the incremental models from the whole history.",
)
@click.option(
    "--full-data-tests", is_flag=True, help="The DAG's full_data_tests param: test every row, not the day's."
)
@click.option(
    "--reload-source",
    type=click.Choice(["erp", "bank", "statements"]),
    default=None,
    help="The DAG's reload_source param: read the source's deliveries up to the date again (docs/runbooks).",
)
def run(
    day: date, through: date | None, full_refresh: bool, full_data_tests: bool, reload_source: str | None
) -> None:
    """Run the ar_daily DAG for a date (or a range, in order) as `airflow dags test` does; print each day's summary."""
    from ingestion.airflow_local import run_days

    last = through or day
    if last < day:
        raise click.UsageError("--through is before --date")
    dates = [day + timedelta(days=n) for n in range((last - day).days + 1)]
    params: dict[str, object] = {
        "full_refresh": full_refresh,
        "full_data_tests": full_data_tests,
        "reload_source": reload_source,
    }
    last_summary: dict[str, Any] = {}
    for last_summary in run_days(dates, params=params):
        click.echo(_format_summary(last_summary))
    days = len(dates)
    click.echo(f"\n{days} day(s) run, {day} to {last}.")
    click.echo(_locations(last_summary))


def _locations(summary: dict[str, Any]) -> str:
    from ingestion.airflow_local import AIRFLOW_HOME

    docs = config.GX_PROJECT_DIR / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    return "\n".join(
        [
            "Where things are:",
            f"  warehouse        {config.warehouse_url()}  (marts.fct_ar_aging, marts.fct_invoices, marts.dim_customers)",
            "  audit trail      audit.pipeline_runs, audit.load_batches, audit.files, audit.rejects, audit.check_results,"
            " audit.reconciliation_snapshots",
            f"  auditor reports  {config.reports_dir()}/<date>/report_<date>.html  (and the mismatches as CSV, XLSX)",
            f"  check reports    {docs}",
            f"  DAG run logs     {AIRFLOW_HOME / 'runs'}"
            + (f"  (last: {summary['log']})" if summary.get("log") else ""),
            f"  landing folder   {config.landing_dir()}  (quarantine/ holds rejected files with their reasons)",
        ]
    )


@main.command()
@click.option("--date", "day", callback=_date, required=True)
@click.option("--json", "as_json", is_flag=True)
def summary(day: date, as_json: bool) -> None:
    """Print what the warehouse says for a date: invoices, open AR by bucket, checks."""
    from ingestion.pipeline import day_summary

    result = day_summary(day)
    if as_json:
        _echo_json(result)
    else:
        click.echo(_format_summary(result))


def _format_summary(s: dict[str, Any]) -> str:
    lines = [
        f"== {s.get('business_date')}  run {s.get('run_id', '-')}",
        f"   invoices to date: {s.get('invoices')}",
    ]
    for currency, total in (s.get("open_ar_by_currency") or {}).items():
        lines.append(f"   open AR {currency}: {total}")
        for b in s.get("open_ar_by_bucket") or []:
            if b["currency"] == currency:
                lines.append(f"     {b['bucket']:>8}: {b['invoices']:>6} invoices  {b['open_amount']:>14}")
    lines.append(f"   checks passed: {s.get('checks_passed')}   flagged: {s.get('checks_flagged')}")
    for name in s.get("flagged") or []:
        lines.append(f"     flagged: {name}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
