"""A load killed mid-way (kill -9) leaves nothing of itself visible, and loading the file again completes it.

The bank loader writes a file's statement, its lines (COPY), its batch in audit.load_batches and its entry in
audit.files in one transaction. A process killed while its COPY streams lines never commits: PostgreSQL rolls the
transaction back when the connection drops, so no reader ever sees part of the file, and the file is not marked
loaded, so the retry loads it whole.

The file: an MT940 statement of 60,000 transactions written by the benchmark's writer (bench/bank.py), which
takes a few seconds to load here; the test kills the loader once its backend is running the COPY.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.bank import write_mt940
from ingestion import warehouse
from ingestion.bank.loader import load_file

pytestmark = pytest.mark.integration

TRANSACTIONS = 60_000

LOADER = """
import sys
from pathlib import Path
from ingestion.bank.loader import load_file
load_file(sys.argv[1], Path(sys.argv[2]))
"""


def _copy_running(url: str) -> bool:
    with warehouse.connect(url) as conn:
        row = conn.execute(
            """select count(*) from pg_stat_activity
                where datname = current_database() and pid <> pg_backend_pid()
                  and query ilike 'copy%%statement_lines%%' and state = 'active'"""
        ).fetchone()
    return bool(row and row[0])


def _visible(url: str) -> tuple[int, int, int, int]:
    with warehouse.connect(url) as conn:
        row = conn.execute(
            """select (select count(*) from raw_bank.statement_lines),
                      (select count(*) from raw_bank.statements),
                      (select count(*) from audit.load_batches where source = 'bank'),
                      (select count(*) from audit.files where source = 'bank' and status = 'loaded')"""
        ).fetchone()
    assert row is not None
    return (int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def test_a_load_killed_mid_way_leaves_nothing_and_the_retry_completes(
    clean_warehouse: str, tmp_path: Path
) -> None:
    url = clean_warehouse
    path = tmp_path / "big.sta"
    write_mt940(path, TRANSACTIONS, seed=7)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    loader = subprocess.Popen([sys.executable, "-c", LOADER, url, str(path)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not _copy_running(url):
            assert loader.poll() is None, "the loader ended before it was killed: make the file larger"
            assert time.monotonic() < deadline, "the loader's COPY never started"
            time.sleep(0.05)
        time.sleep(0.5)  # some lines are on their way
        os.kill(loader.pid, signal.SIGKILL)
        loader.wait(timeout=30)
    finally:
        if loader.poll() is None:
            loader.kill()
    assert loader.returncode == -signal.SIGKILL
    # The server notices the dropped connection and rolls back; wait for the backend to go.
    deadline = time.monotonic() + 30
    while _copy_running(url):
        assert time.monotonic() < deadline, "the killed loader's COPY is still running"
        time.sleep(0.1)

    # Nothing of the killed load: no line, no statement, no batch, the file not marked loaded.
    assert _visible(url) == (0, 0, 0, 0)

    result = load_file(url, path)
    assert (result.status, result.rows) == ("loaded", TRANSACTIONS)
    # Every line of the file, one statement, one batch, the file loaded once.
    assert _visible(url) == (TRANSACTIONS, 1, 1, 1)
