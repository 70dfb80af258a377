"""`python -m expectations register` writes expectations/gx/ from the code; `... run --as-of-date D` runs the checks.

Both use AR_WAREHOUSE_URL (else the project-local cluster). `run` exits 1 when a check failed, 2 on an error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from ingestion import config


def _register() -> int:
    from expectations.run import quiet_gx_logging

    with quiet_gx_logging():
        from expectations.context import get_context, register, warehouse_connection

        with warehouse_connection(config.warehouse_url()):
            checkpoints = register(get_context())
    print(f"registered {len(checkpoints)} checkpoints in {config.GX_PROJECT_DIR / 'gx'}")
    return 0


def _run(as_of_date: date, run_id: str | None, from_batch: int | None) -> int:
    from expectations.run import run_raw_checks

    summary = run_raw_checks(as_of_date, run_id=run_id, from_batch=from_batch)
    print(
        f"run {summary.run_id}: {summary.checks_run} checks, {summary.passed} passed, {summary.failed} failed"
    )
    for failure in summary.failures:
        amount = f", amount {failure.unexpected_amount}" if failure.unexpected_amount is not None else ""
        print(f"  FAILED {failure.table_name} {failure.check_name}: {failure.unexpected_count} rows{amount}")
    print(f"Data Docs: {summary.data_docs_path}")
    return 0 if summary.success else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m expectations", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("register", help="create or update expectations/gx/ from the suites in code")
    run = commands.add_parser("run", help="run the raw-load checks and record them in audit.check_results")
    run.add_argument("--as-of-date", type=date.fromisoformat, required=True)
    run.add_argument("--run-id")
    run.add_argument(
        "--from-batch", type=int, help="check the rows loaded after this load batch only (default: every row)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "register":
            return _register()
        return _run(args.as_of_date, args.run_id, args.from_batch)
    except Exception as error:  # a command line reports the error and exits non-zero, whatever it was
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
