"""Failure notifications (ingestion.notify, dags/common.notify_failure): each target gets the event, captured here
by a webhook receiver and an SMTP receiver on localhost; a target that cannot be reached is skipped, not raised."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from types import SimpleNamespace
from typing import Any

import pytest

from ingestion import notify


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[bytes]]]:
    """The few SMTP replies smtplib needs, and the DATA it sends."""
    received: list[bytes] = []

    class Session(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(b"220 test\r\n")
            while line := self.rfile.readline():
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    self.wfile.write(b"250 test\r\n")
                elif verb == b"DATA":
                    self.wfile.write(b"354 go on\r\n")
                    data = b""
                    while (chunk := self.rfile.readline()) != b".\r\n":
                        data += chunk
                    received.append(data)
                    self.wfile.write(b"250 kept\r\n")
                elif verb == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 ok\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], received
    server.shutdown()
    server.server_close()


EVENT = notify.Event(
    kind="task_failed", dag_id="ar_daily", run_id="manual__2026-03-03", business_date="2026-03-03",
    task_id="ingest_bank", message="connection refused",
)  # fmt: skip


def test_each_target_gets_the_event(webhook: Any, smtp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url, posted = webhook
    port, mails = smtp
    monkeypatch.setenv("AR_NOTIFY", f"log, webhook:{url}, email:oncall@example.org")
    monkeypatch.setenv("AR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AR_SMTP_PORT", str(port))

    assert notify.send(EVENT) == ["log", f"webhook:{url}", "email:oncall@example.org"]

    text = "[task_failed] ar_daily.ingest_bank for 2026-03-03 (run manual__2026-03-03): connection refused"
    assert posted == [
        {
            "kind": "task_failed", "dag_id": "ar_daily", "run_id": "manual__2026-03-03",
            "business_date": "2026-03-03", "task_id": "ingest_bank", "message": "connection refused", "text": text,
        }
    ]  # fmt: skip
    (mail,) = [message_from_bytes(m, policy=policy.default) for m in mails]
    assert mail["To"] == "oncall@example.org" and mail["Subject"] == text
    assert json.loads(mail.get_content())["task_id"] == "ingest_bank"


def test_an_unreachable_target_is_skipped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # nothing listens there once closed
    monkeypatch.setenv("AR_NOTIFY", f"webhook:http://127.0.0.1:{port}/hook")
    assert notify.send(EVENT) == ["log"]
    assert "notification to webhook:http://127.0.0.1" in caplog.text


def test_an_unknown_target_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AR_NOTIFY", "pager")
    with pytest.raises(ValueError, match="'pager' is not log, webhook:URL or email:ADDRESS"):
        notify.targets()


def test_the_airflow_callback_reports_the_task_and_its_date(
    webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, posted = webhook
    monkeypatch.setenv("AR_NOTIFY", f"webhook:{url}")
    from dags.common import notify_failure

    context = {
        "dag": SimpleNamespace(dag_id="ar_daily"),
        "run_id": "scheduled__2026-03-03T00:00:00+00:00",
        "task_instance": SimpleNamespace(task_id="dbt.dbt_producer_watcher"),
        "params": {"business_date": None},
        "data_interval_start": datetime(2026, 3, 3, tzinfo=UTC),
        "exception": RuntimeError("dbt build failed"),
    }
    notify_failure(context)
    assert [(p["kind"], p["task_id"], p["business_date"], p["message"]) for p in posted] == [
        ("task_failed", "dbt.dbt_producer_watcher", "2026-03-03", "dbt build failed")
    ]
