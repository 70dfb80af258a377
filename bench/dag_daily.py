"""The DAG section of the benchmark: one business day of ar_daily, task by task, and what running dbt through
Cosmos costs next to one plain `dbt build` of the same models.

The harness generates a company (`--scale`, `--history-days` of trading, then `--days` business days: ERP
extracts, bank statements, customer statements), runs ar_daily for the first day (the history arrives then), and
for each following day D:

1. copies the warehouse database as it stands (`create database ... template`), so both sides start equal;
2. runs ar_daily for D on the original, as `arwh run` does (`DAG.test()`, SQLite metadata, one process), and reads
   each task's start, end and duration from Airflow's metadata database;
3. on the copy, loads D's files as the DAG's load tasks do, then times one `dbt build` subprocess with the very
   flags the DAG's Cosmos producer used (the same vars: as_of_date, data_tests_from_batch as start_run computes
   it, and --exclude-resource-type unit_test; the dbt CLI, as Cosmos's subprocess invocation runs it).

The dbt part of the DAG is the span from the start of its first dbt task (the watcher producer, which runs the
one `dbt build`) to the end of its last (the per-model run and test tasks, which report their node's result).
The ratio dbt part / plain build is taken day by day, and the table shows the median (the goal in issue 6: within
1.5x). The two sides take turns going first, so neither always finds a warm cache.

The bank has a statement history as long as the ERP's (the generator's `bank_history_days`), loaded before the
first day, so that a day reconciles what a company of that size has (decision 009); `--no-bank-history` starts
the bank on the first day, as the bench did before.

Also measured: how long Airflow takes to parse the DAG folder (DagBag, the Cosmos render from the manifest
included), in a fresh process, median of three.

    uv run --no-sync python -m bench.dag_daily                       # scale 0.1, 60 days of history, 3 days
    uv run --no-sync python -m bench.dag_daily --scale 0.01 --days 2 --no-save    # smoke run, about 3 minutes

Databases: `ar_bench_dag` and its copy `ar_bench_dag_copy` on the project-local cluster, dropped and created again.
Results: bench/results/dag_daily.json and dag_daily.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import load_bank_history, write_results

BENCH_DB = "ar_bench_dag"
COPY_DB = "ar_bench_dag_copy"
START = date(2026, 3, 2)  # a Monday
SEED = 42
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PRODUCER = "dbt.dbt_producer_watcher"

PARSE_PROBE = """
import sys, time
sys.path.insert(0, sys.argv[1])
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
print(round(time.perf_counter() - started, 3), len(bag.dags["ar_daily"].tasks))
"""


def _admin_url() -> str:
    from ingestion import config

    return f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/postgres"


def _url(name: str) -> str:
    from ingestion import config

    return f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/{name}"


def fresh_database() -> str:
    import psycopg

    from ingestion import localdb, warehouse

    localdb.up()
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        for name in (COPY_DB, BENCH_DB):
            conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{BENCH_DB}"')
    warehouse.init_warehouse(_url(BENCH_DB))
    return _url(BENCH_DB)


def copy_database() -> str:
    """A copy of the bench database as it stands (nothing may be connected to it meanwhile)."""
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{COPY_DB}" with (force)')
        conn.execute(f'create database "{COPY_DB}" template "{BENCH_DB}"')
    return _url(COPY_DB)


def parse_seconds(runs: int = 3) -> dict[str, Any]:
    from ingestion import airflow_local, config

    timings, tasks = [], 0
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PARSE_PROBE, str(config.PROJECT_ROOT / "dags")],
            env=airflow_local.airflow_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        timings.append(float(out[-2]))
        tasks = int(out[-1])
    return {"median_seconds": statistics.median(timings), "runs": timings, "tasks": tasks}


def run_dag(day: date) -> dict[str, Any]:
    """ar_daily for the day (as `arwh run`), then each task's timing from the metadata database."""
    from ingestion import airflow_local

    started = time.perf_counter()
    summary = airflow_local.run_day(day)
    wall = time.perf_counter() - started
    with sqlite3.connect(airflow_local.AIRFLOW_HOME / "airflow.db") as meta:
        rows = meta.execute(
            """select task_id, start_date, end_date, duration from task_instance
                where dag_id = 'ar_daily' and run_id = ? order by start_date""",
            (summary["run_id"],),
        ).fetchall()
    tasks = {r[0]: round(r[3] or 0.0, 3) for r in rows}
    dbt_rows = [r for r in rows if r[0].startswith("dbt.") and r[1] and r[2]]
    first = min(datetime.fromisoformat(r[1]) for r in dbt_rows)
    last = max(datetime.fromisoformat(r[2]) for r in dbt_rows)
    return {
        "run_id": summary["run_id"],
        "wall_seconds": round(wall, 2),
        "tasks": tasks,
        "dbt_tasks": len(dbt_rows),
        "dbt_part_seconds": round((last - first).total_seconds(), 2),
        "producer_seconds": tasks.get(PRODUCER),
    }


def plain_build(day: date, url: str, landing: Path, target: Path) -> dict[str, Any]:
    """On the copy: the day's loads as the DAG's tasks do them, then one timed `dbt build` subprocess."""
    from ingestion import config, pipeline
    from ingestion.transform import dbt_env, dbt_vars

    scope = pipeline.data_tests_from_batch(day, url=url)  # before the loads, as start_run computes it
    pipeline.ingest_erp(day, landing=landing, url=url)
    pipeline.ingest_bank(day, landing=landing, url=url)
    pipeline.ingest_statements(day, landing=landing, url=url)
    dbt = str(Path(sys.executable).parent / "dbt")
    command = [
        dbt, "build", "--vars", json.dumps(dbt_vars(day, scope)), "--log-format", "json",
        "--exclude-resource-type", "unit_test", "--project-dir", str(config.DBT_PROJECT_DIR),
        "--profiles-dir", str(config.DBT_PROJECT_DIR), "--profile", "ar_warehouse", "--target", "warehouse",
        "--target-path", str(target),
    ]  # fmt: skip
    env = {**os.environ, **dbt_env(url)}
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return {"seconds": round(time.perf_counter() - started, 2), "data_tests_from_batch": scope}


def measure(
    scale: float, history_days: int, days: int, work: Path, bank_history: bool = True
) -> dict[str, Any]:
    from ingestion import config
    from ingestion.generate.generator import generate

    landing = work / "landing"
    # Daily CSV extracts: each day's folder holds that day's new and changed rows (bench/dbt_daily.py says why).
    generate(
        seed=SEED,
        scale=scale,
        start=START,
        days=days,
        landing=landing,
        erp_mode="files",
        history_days=history_days,
        bank_history_days=history_days if bank_history else 0,
    )
    url = fresh_database()
    # The bank's history arrives before the first run (the DAG loads each date's folder).
    load_bank_history(url, landing, START)
    os.environ[config.ENV_WAREHOUSE_URL] = url
    os.environ[config.ENV_LANDING_DIR] = str(landing)
    os.environ[config.ENV_REPORTS_DIR] = str(work / "reports")
    first = run_dag(START)
    print(f"  day 1 {START} (history): ar_daily {first['wall_seconds']} s", flush=True)
    pairs = []
    for offset in range(1, days):
        day = START + timedelta(days=offset)
        copy = copy_database()
        if offset % 2:
            dag = run_dag(day)
            build = plain_build(day, copy, landing, work / "target")
        else:
            build = plain_build(day, copy, landing, work / "target")
            dag = run_dag(day)
        ratio = round(dag["dbt_part_seconds"] / build["seconds"], 3)
        pairs.append({"day": day.isoformat(), "dag": dag, "plain_build": build, "ratio": ratio})
        print(
            f"  day {offset + 1} {day}: ar_daily {dag['wall_seconds']} s, its dbt part {dag['dbt_part_seconds']} s "
            f"(producer {dag['producer_seconds']} s, {dag['dbt_tasks']} dbt tasks); plain dbt build "
            f"{build['seconds']} s; ratio {ratio}",
            flush=True,
        )
    tasks = sorted({t for p in pairs for t in p["dag"]["tasks"]})
    median_tasks = {t: statistics.median(p["dag"]["tasks"].get(t, 0.0) for p in pairs) for t in tasks}
    return {
        "scale": scale,
        "history_days": history_days,
        "bank_history": bank_history,
        "first_day": first,
        "days": pairs,
        "dag_wall_seconds": statistics.median(p["dag"]["wall_seconds"] for p in pairs),
        "dbt_part_seconds": statistics.median(p["dag"]["dbt_part_seconds"] for p in pairs),
        "producer_seconds": statistics.median(p["dag"]["producer_seconds"] for p in pairs),
        "plain_build_seconds": statistics.median(p["plain_build"]["seconds"] for p in pairs),
        "ratio": statistics.median(p["ratio"] for p in pairs),
        "median_task_seconds": median_tasks,
    }


def tables(report: dict[str, Any]) -> str:
    r = report["result"]
    non_dbt = {t: s for t, s in r["median_task_seconds"].items() if not t.startswith("dbt.")}
    dbt_consumers = sum(
        s for t, s in r["median_task_seconds"].items() if t.startswith("dbt.") and t != PRODUCER
    )
    lines = [
        f"ar_daily at scale {r['scale']}, {r['history_days']} days of history; medians of "
        f"{len(r['days'])} daily runs.",
        "",
        "| measure | seconds |",
        "| --- | ---: |",
        f"| `arwh run` for one date: process start-up, DAG parse, every task | {r['dag_wall_seconds']:.2f} |",
        f"| its dbt part: first dbt task start to last dbt task end | {r['dbt_part_seconds']:.2f} |",
        f"| of which the producer's one `dbt build` | {r['producer_seconds']:.2f} |",
        f"| one plain `dbt build`, same models, flags and data | {r['plain_build_seconds']:.2f} |",
        f"| **ratio dbt part / plain build** (goal: 1.5 at most) | **{r['ratio']:.2f}** |",
        f"| DagBag parse of the DAG folder ({report['parse']['tasks']} tasks) | "
        f"{report['parse']['median_seconds']:.2f} |",
        "",
        "| task | median seconds |",
        "| --- | ---: |",
    ]
    for task, seconds in sorted(non_dbt.items(), key=lambda kv: -kv[1]):
        lines.append(f"| `{task}` | {seconds:.2f} |")
    lines.append(f"| `{PRODUCER}` | {r['median_task_seconds'].get(PRODUCER, 0.0):.2f} |")
    lines.append(f"| the other dbt tasks, summed | {dbt_consumers:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dag_daily", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--history-days", type=int, default=60)
    parser.add_argument("--days", type=int, default=4, help="business days, the first with the history")
    parser.add_argument(
        "--no-bank-history", action="store_true", help="the bank's statements start on the first day"
    )
    parser.add_argument("--no-save", action="store_true", help="print only; leave bench/results/ alone")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.days < 2:
        parser.error("--days must be at least 2: the history day and a daily one")
    for name, value in (("DO_NOT_TRACK", "1"), ("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")):
        os.environ.setdefault(name, value)

    from bench.bank import machine_info
    from ingestion import airflow_local, transform

    transform.parse()  # the manifest the DAG renders its dbt tasks from
    airflow_local.ensure_metadata_db()
    parse = parse_seconds()
    print(f"  DagBag parse: {parse['median_seconds']} s ({parse['tasks']} tasks)", flush=True)
    with tempfile.TemporaryDirectory(prefix="arwh-bench-dag-") as tmp:
        result = measure(args.scale, args.history_days, args.days, Path(tmp), not args.no_bank_history)
    report = {
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(_url(BENCH_DB)),
        "parse": parse,
        "result": result,
    }
    print()
    print(tables(report))
    if not args.no_save:
        write_results(
            args.results,
            "dag_daily",
            "one day of ar_daily, and its dbt part next to a plain dbt build",
            report,
            tables(report),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
