"""Notifications: where a failed task or run of the pipeline is reported (issue 6).

AR_NOTIFY lists the targets, comma-separated (default `log`):

* `log`: a line at ERROR level in the task's log (always on, whatever else is configured);
* `webhook:URL`: an HTTP POST of the event as JSON (Slack-, Teams- or any JSON-accepting endpoint); a `text` field
  carries the one-line summary those tools show;
* `email:ADDRESS`: a plain-text mail through the SMTP server AR_SMTP_HOST (default localhost), port AR_SMTP_PORT
  (default 25), from AR_SMTP_FROM (default ar-warehouse@localhost).

A target that cannot be reached is logged and skipped: a notification never fails the task that sends it, nor
hides the failure it reports. The Airflow failure callbacks are in dags/common (`notify_failure`); a run that misses
its deadline (Airflow's Deadline Alerts, the successor of SLAs) is reported by `deadline_missed` below.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import smtplib
import urllib.request
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import Any

from ingestion.config import ENV_NOTIFY, ENV_SMTP_FROM, ENV_SMTP_HOST, ENV_SMTP_PORT

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Event:
    """What happened: `kind` is task_failed, run_failed or the like."""

    kind: str
    dag_id: str
    run_id: str
    business_date: str | None
    task_id: str | None
    message: str

    @property
    def text(self) -> str:
        where = f"{self.dag_id}.{self.task_id}" if self.task_id else self.dag_id
        return f"[{self.kind}] {where} for {self.business_date or '?'} (run {self.run_id}): {self.message}"


def targets() -> list[str]:
    """The configured targets; raises ValueError naming a target it does not know."""
    found = [t.strip() for t in os.environ.get(ENV_NOTIFY, "log").split(",") if t.strip()]
    for target in found:
        kind, _, where = target.partition(":")
        if kind == "log" and not where:
            continue
        if kind in ("webhook", "email") and where:
            continue
        raise ValueError(f"{ENV_NOTIFY}: {target!r} is not log, webhook:URL or email:ADDRESS")
    return found


def send(event: Event) -> list[str]:
    """Report the event to every target; returns the targets that took it."""
    log.error("%s", event.text)
    delivered = ["log"]
    for target in targets():
        kind, _, where = target.partition(":")
        try:
            if kind == "webhook":
                _post(where, event)
            elif kind == "email":
                _mail(where, event)
            else:
                continue
        except Exception as exc:  # noqa: BLE001 - a notification must not fail the task that sends it
            log.warning("notification to %s failed: %s", target, exc)
            continue
        delivered.append(target)
    return delivered


def _post(url: str, event: Event) -> None:
    body = json.dumps({**asdict(event), "text": event.text}).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - the operator's URL
        if response.status >= 300:
            raise RuntimeError(f"HTTP {response.status}")


def _mail(address: str, event: Event) -> None:
    message = EmailMessage()
    message["From"] = os.environ.get(ENV_SMTP_FROM, "ar-warehouse@localhost")
    message["To"] = address
    message["Subject"] = event.text[:200]
    message.set_content(json.dumps(asdict(event), indent=2))
    host = os.environ.get(ENV_SMTP_HOST, "localhost")
    port = int(os.environ.get(ENV_SMTP_PORT, "25"))
    with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as smtp:
        smtp.send_message(message)


def deadline_event(context: dict[str, Any]) -> Event:
    """The event for a run that missed its deadline, from the context Airflow gives a deadline callback: the
    run as the REST API shows it (`dag_run`: dag_id, dag_run_id, logical_date, conf, queued_at ...) and the
    deadline (`deadline`: deadline_time)."""
    run = context.get("dag_run") or {}
    deadline = context.get("deadline") or {}
    conf = run.get("conf") or {}
    business_date = conf.get("business_date") or (
        str(run["logical_date"])[:10] if run.get("logical_date") else None
    )
    return Event(
        kind="deadline_missed",
        dag_id=str(run.get("dag_id", "?")),
        run_id=str(run.get("dag_run_id", "?")),
        business_date=business_date,
        task_id=None,
        message=(
            f"not finished by its deadline {deadline.get('deadline_time', '?')} "
            f"(queued at {run.get('queued_at', '?')}, state {run.get('state', '?')})"
        ),
    )


async def deadline_missed(context: dict[str, Any], **_: Any) -> list[str]:
    """Deadline Alert callback of ar_daily (an AsyncCallback: Airflow's triggerer awaits it when the scheduler
    finds the deadline passed and the run unfinished). The sending blocks, so it runs in a thread."""
    return await asyncio.to_thread(send, deadline_event(context))
