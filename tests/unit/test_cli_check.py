"""`arwh check`'s options that are settled before any check runs."""

from __future__ import annotations

from click.testing import CliRunner

from ingestion.cli import main


def test_from_batch_scopes_the_raw_checks_only() -> None:
    # The reconciliation marts are the state on the run's date and are checked whole: a scope for them is refused
    # before anything connects to the warehouse (click's usage error, exit status 2).
    result = CliRunner().invoke(main, ["check", "--as-of", "2026-03-03", "--marts", "--from-batch", "7"])
    assert result.exit_code == 2
    assert "--from-batch scopes the raw checks; the marts are checked whole" in result.output
