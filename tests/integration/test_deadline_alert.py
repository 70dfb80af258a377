"""A run of ar_daily that misses its deadline is notified, through Airflow's own Deadline Alert machinery.

tests/helpers/deadline_probe.py runs in the Airflow environment of `arwh run` (SQLite metadata): it writes the
parsed DAG to the metadata database, creates a queued run for 2026-05-05 (Airflow adds the run's Deadline), moves
the deadline into the past, hands it to `Deadline.handle_miss` (what the scheduler does for a passed deadline) and
runs the queued callback through `CallbackTrigger` (what the triggerer does). The notification is captured here by
a local webhook receiver (AR_NOTIFY=webhook:URL).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ingestion import airflow_local, config

pytestmark = [pytest.mark.integration, pytest.mark.dags]

PROBE = Path(__file__).resolve().parents[1] / "helpers" / "deadline_probe.py"


def test_a_run_past_its_deadline_is_notified_to_the_webhook(
    warehouse_url: str, dbt_manifest: Path, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, posted = webhook
    airflow_local.ensure_metadata_db()
    env = airflow_local.airflow_env({config.ENV_NOTIFY: f"webhook:{url}", config.ENV_RUN_DEADLINE_HOURS: "8"})
    result = subprocess.run(
        [sys.executable, str(PROBE), "2026-05-05"], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])

    # The deadline Airflow set: eight hours (AR_RUN_DEADLINE_HOURS) after the run was queued.
    assert report["interval_seconds"] == 8 * 3600
    # The triggerer's view: the callback ran and succeeded (it returns the targets that took the event).
    statuses = [event.get("state") for event in report["events"]]
    assert statuses[-1] == "success", report
    assert report["events"][-1]["body"] == ["log", f"webhook:{url}"]
    # The webhook got the event, with the run's business date from its conf.
    (event,) = posted
    assert (event["kind"], event["dag_id"], event["business_date"], event["task_id"]) == (
        "deadline_missed",
        "ar_daily",
        "2026-05-05",
        None,
    )
    assert event["run_id"].startswith("manual__deadline_probe_")
    assert "not finished by its deadline" in event["message"] and "state queued" in event["message"]
