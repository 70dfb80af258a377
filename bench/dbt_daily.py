"""The dbt section of the benchmark: what a new business day costs next to building the whole history.

For each scale and each length of history (`--history-days`: 60 days, about 89,000 invoices at scale 1, and two
years, about 1,000,000 at scale 1), the harness generates a company with that history and `--days` days of daily
business after it, into a fresh database, and then:

1. day 1: extracts the ERP (the whole history arrives on the first day), loads the bank's statements of the
   whole history and of the day and the day's customer statements, and runs `dbt build` for that date on an empty
   marts schema: the first build, every model built from nothing over the whole history;
2. each following day: extracts that day's ERP changes, loads the day's bank and customer statements and runs
   `dbt build` for the new date: a daily build.

The bank has a statement history as long as the ERP's (the generator's `bank_history_days`; about 840,000
credits over two years at scale 1), so that the reconciliation marts reconcile what a company of that size has:
`--no-bank-history` starts the bank's statements on the first day, as the bench did before decision 009.

Both builds exclude dbt unit tests, as the daily DAG does (they run in CI and in `arwh transform`). The first
build tests every row; a daily build tests the rows the day loaded and recomputed (var data_tests_from_batch), as
the daily DAG does between its weekly full checks. Timed: the
`dbt build` call (in this process, as `arwh transform` runs it), not the extraction. Per model, dbt's own
execution time of each node is kept, so the table shows where a day's time goes and which models still cost in
proportion to the history rather than to the day's changes. The question the issue asks: does a new day cost
work in proportion to that day's changes, not to the whole history? Two answers: the first build grows with the
history while the daily build does not (compare the rows of one scale with 60 and 730 days of history), and the
ratio daily / first build, for the whole project and per model.

    uv run --no-sync python -m bench.dbt_daily          # scale 0.1, 60 and 730 days of history, 3 daily builds each
    uv run --no-sync python -m bench.dbt_daily --scales 0.01 --history-days 60 --days 2 --no-save   # smoke run

Database: a database `ar_bench_dbt` on the project-local cluster, dropped and created again for every scale; the
ERP arrives as the generator's daily CSV extracts. Results: bench/results/dbt_daily.json and dbt_daily.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH_DB = "ar_bench_dbt"
START = date(2026, 3, 2)  # a Monday
SEED = 42
DEFAULT_SCALES = (0.1,)
DEFAULT_HISTORY_DAYS = (60, 730)
DEFAULT_DAYS = 4  # day 1 (history) + 3 daily builds
TOP_MODELS = 10
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def fresh_database() -> str:
    """Drop and create the bench database on the local cluster (started when needed); returns its URL."""
    import psycopg

    from ingestion import config, localdb, warehouse

    localdb.up()
    admin = f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in (BENCH_DB,):
            conn.execute(f'drop database if exists "{name}" with (force)')
            conn.execute(f'create database "{name}"')
    url = f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/{BENCH_DB}"
    warehouse.init_warehouse(url)
    return url


def timed_build(as_of: date, url: str, target: Path, tests_from_batch: int | None = None) -> dict[str, Any]:
    from ingestion import transform

    started = time.perf_counter()
    result = transform.run_dbt(
        ["build", "--quiet", "--exclude-resource-type", "unit_test", "--target-path", str(target)],
        as_of=as_of,
        url=url,
        tests_from_batch=tests_from_batch,
    )
    seconds = time.perf_counter() - started
    nodes = {
        r.node.unique_id: round(r.execution_time, 3)
        for r in result.result.results
        if r.node.resource_type in ("model", "test", "seed")
    }
    return {"as_of": as_of.isoformat(), "seconds": round(seconds, 2), "nodes": nodes}


def last_batch(url: str) -> int:
    from ingestion import warehouse

    with warehouse.connect(url) as conn:
        return int(conn.execute("select coalesce(max(batch_id), 0) from audit.load_batches").fetchone()[0])


def raw_counts(url: str) -> dict[str, int]:
    from ingestion import warehouse

    counts = {}
    with warehouse.connect(url) as conn:
        for table in ("customers", "invoices", "payments", "payment_applications", "credit_notes"):
            row = conn.execute(f"select count(*) from raw_erp.{table}").fetchone()
            counts[table] = row[0] if row else 0
        row = conn.execute("select count(*) from raw_bank.statement_lines").fetchone()
        counts["bank_statement_lines"] = row[0] if row else 0
    return counts


def measure_scale(
    scale: float, history_days: int, days: int, work: Path, bank_history: bool = True
) -> dict[str, Any]:
    from bench.common import load_bank_history
    from ingestion import pipeline
    from ingestion.generate.generator import generate

    url = fresh_database()
    landing = work / f"landing-{scale}-{history_days}"
    # Daily CSV extracts: each day's folder holds that day's new and changed rows. (The demo ERP database would
    # hand every generated day over at the first extract, as a live ERP's watermark extract would, and leave the
    # following days without changes.)
    started = time.perf_counter()
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
    print(
        f"  scale {scale:<5} history {history_days} days: generated in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    builds = []
    for offset in range(days):
        day = START + timedelta(days=offset)
        # The daily builds test the day's rows, as the daily DAG does between its weekly full checks: those
        # loaded after the last batch before the day's extract (var data_tests_from_batch).
        tests_from_batch = last_batch(url) if offset else None
        pipeline.ingest_erp(day, landing=landing, url=url)
        if offset == 0:
            load_bank_history(url, landing, START)
        pipeline.ingest_bank(day, landing=landing, url=url)
        pipeline.ingest_statements(day, landing=landing, url=url)
        build = timed_build(day, url, work / f"target-{scale}-{history_days}", tests_from_batch)
        build["raw_rows"] = raw_counts(url)
        build["kind"] = "first" if offset == 0 else "daily"
        builds.append(build)
        print(
            f"  scale {scale:<5} history {history_days} days, {build['kind']:<5} build as of {day}: "
            f"{build['seconds']:8.2f} s",
            flush=True,
        )
    first = builds[0]
    daily = builds[1:]
    daily_seconds = statistics.median(b["seconds"] for b in daily) if daily else None
    # A day's changes: the raw rows its extract added (the history arrives with the first day).
    added = [
        sum(b["raw_rows"].values()) - sum(before["raw_rows"].values())
        for before, b in zip(builds[:-1], builds[1:], strict=True)
    ]
    per_model = []
    for node, first_seconds in first["nodes"].items():
        if not node.startswith("model."):
            continue
        day_seconds = statistics.median(b["nodes"].get(node, 0.0) for b in daily) if daily else None
        per_model.append(
            {
                "model": node.split(".")[-1],
                "first_seconds": first_seconds,
                "daily_seconds": day_seconds,
                "ratio": round(day_seconds / first_seconds, 3) if day_seconds and first_seconds else None,
            }
        )
    per_model.sort(key=lambda m: -(m["daily_seconds"] or 0))
    return {
        "scale": scale,
        "history_days": history_days,
        "bank_history": bank_history,
        "raw_rows": raw_counts(url),
        "first_day_rows": sum(first["raw_rows"].values()),
        "daily_rows_median": statistics.median(added) if added else None,
        "first_build_seconds": first["seconds"],
        "daily_build_seconds": daily_seconds,
        "ratio": round(daily_seconds / first["seconds"], 3) if daily_seconds else None,
        "builds": builds,
        "models": per_model,
    }


def tables(report: dict[str, Any]) -> str:
    lines = [
        "| scale | history days | invoices | payments | bank lines | rows on day 1 | rows a day (median) "
        "| first build s | daily build s (median) | daily / first |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in report["scales"]:
        lines.append(
            f"| {s['scale']} | {s['history_days']} | {s['raw_rows']['invoices']:,} | {s['raw_rows']['payments']:,} | "
            f"{s['raw_rows'].get('bank_statement_lines', 0):,} | "
            f"{s['first_day_rows']:,} | {s['daily_rows_median']:,.0f} | "
            f"{s['first_build_seconds']:.1f} | {s['daily_build_seconds']:.1f} | {s['ratio']:.3f} |"
        )
    for s in report["scales"]:
        lines += [
            "",
            f"Scale {s['scale']}, {s['history_days']} days of history: the {TOP_MODELS} models that cost a daily build the most (dbt's execution time).",
            "",
            "| model | first build s | daily build s | daily / first |",
            "| --- | ---: | ---: | ---: |",
        ]
        for m in s["models"][:TOP_MODELS]:
            ratio = f"{m['ratio']:.3f}" if m["ratio"] is not None else ""
            lines.append(f"| {m['model']} | {m['first_seconds']:.2f} | {m['daily_seconds']:.2f} | {ratio} |")
    return "\n".join(lines)


def write_results(report: dict[str, Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dbt_daily.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    machine = report["machine"]
    text = f"""# Benchmark results: a daily dbt build next to the first build

Written by `uv run --no-sync python -m bench.dbt_daily`; [bench/README.md](../README.md) says what is measured.
Raw figures, every build and every model: [dbt_daily.json](dbt_daily.json).

- Machine: {machine["nproc"]} CPUs, Python {machine["python"]}, {machine["postgres"]}.
- Code: commit {(machine["git_commit"] or "")[:12]} of {machine["git_commit_date"]}{" with uncommitted changes" if machine["git_dirty"] else ""}.
- Each scale: {report["days"]} business days from {START}; the first carries the whole history.

{tables(report)}
"""
    (folder / "dbt_daily.md").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dbt_daily", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default=",".join(map(str, DEFAULT_SCALES)), help="comma-separated")
    parser.add_argument(
        "--history-days",
        default=",".join(map(str, DEFAULT_HISTORY_DAYS)),
        help="comma-separated: days of full trading before the first day",
    )
    parser.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help="business days, the first with history"
    )
    parser.add_argument(
        "--no-bank-history", action="store_true", help="the bank's statements start on the first day"
    )
    parser.add_argument("--no-save", action="store_true", help="print only; leave bench/results/ alone")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.days < 2:
        parser.error("--days must be at least 2: a first build and a daily one")
    for name, value in (("DO_NOT_TRACK", "1"), ("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")):
        os.environ.setdefault(name, value)

    from bench.bank import _git_info, machine_info

    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    histories = [int(h) for h in args.history_days.split(",") if h.strip()]
    reports = []
    with tempfile.TemporaryDirectory(prefix="arwh-bench-dbt-") as tmp:
        for scale in scales:
            for history_days in histories:
                reports.append(
                    measure_scale(scale, history_days, args.days, Path(tmp), not args.no_bank_history)
                )
        from ingestion import config

        url = f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/{BENCH_DB}"
        machine = {**machine_info(url), **_git_info()}
    report = {"days": args.days, "machine": machine, "scales": reports}
    print()
    print(tables(report))
    if not args.no_save:
        write_results(report, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
