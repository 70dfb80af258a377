"""The ERP load section of the benchmark (issue 7): rows per second of the project's ERP extract loader, set
against the fastest way PostgreSQL takes the same rows (psql's COPY: the floor) and against what a finance team
writes by hand (`pandas.read_csv(...).to_sql(...)`), and the loader's peak memory.

The harness generates a company at a scale (scale 1: about 10,000 customers and 1,000,000 invoices over two years,
with their payments, applications and credit notes), as the canonical CSV extracts one ERP delivery would hold
(`customers.csv`, `invoices.csv`, ...), and then measures in rounds; a round is, each time from empty tables:

1. **the loader**: `ingestion.erp.files.load_extract_dir` in a fresh Python process: every file read as CSV, each
   record checked and typed (Decimal amounts, dates, keys), COPY into a staging table, duplicate keys rejected,
   the merge into raw_erp (insert, or update when a value changed), the batch and file registry, one commit per
   file. The process reports its time, CPU time and peak RSS;
2. **the floor**: the rows the loader wrote, exported once (untimed) to one CSV per table, loaded into the emptied
   tables by one psql process with a `\\copy` per table. Same rows, same tables, same keys and indexes;
3. **by hand**: in a fresh Python process, per file `pandas.read_csv(path)` and `DataFrame.to_sql(name, engine,
   schema=..., if_exists="append", index=False)` into a scratch schema (pandas creates the tables, as it does for
   a user; no keys), through SQLAlchemy 2 and psycopg 3.

Ratios are taken round by round (the three sides of a round see the same machine), the table shows medians.
Goals: the loader at least 0.8 of the floor's rate and at least 15 times to_sql's; its peak RSS flat across
scales (scale 1 within 1.5 times scale 0.01).

    uv run --no-sync python -m bench.erp_load --scales 0.01,0.1       # about 3 minutes
    uv run --no-sync python -m bench.erp_load --scales 0.01 --runs 1 --no-save   # smoke run

Database: `ar_bench_erp` on the project-local cluster, dropped and created for each scale. Results:
bench/results/erp_load.json and erp_load.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bench.common import peak_rss_kb, write_results

BENCH_DB = "ar_bench_erp"
SEED = 42
START = date(2026, 3, 2)
HISTORY_DAYS = 730
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
TOSQL_SCHEMA = "bench_to_sql"


def _url() -> str:
    from ingestion import config

    return f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/{BENCH_DB}"


def fresh_database() -> str:
    import psycopg

    from ingestion import config, localdb, warehouse

    localdb.up()
    admin = f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{BENCH_DB}" with (force)')
        conn.execute(f'create database "{BENCH_DB}"')
    warehouse.init_warehouse(_url())
    return _url()


def extract_folder(scale: float, work: Path) -> Path:
    """One ERP delivery holding the whole two-year history (the generator's first daily folder)."""
    from ingestion.generate.generator import generate

    landing = work / f"landing-{scale}"
    generate(
        seed=SEED,
        scale=scale,
        start=START,
        days=1,
        landing=landing,
        erp_mode="files",
        history_days=HISTORY_DAYS,
    )
    folders = sorted(p for p in (landing / "erp").iterdir() if p.is_dir())
    return folders[0]


def entity_files(folder: Path) -> list[tuple[str, Path]]:
    from ingestion.erp.entities import LOAD_ORDER

    return [(name, folder / f"{name}.csv") for name in LOAD_ORDER if (folder / f"{name}.csv").exists()]


def empty_tables(url: str) -> None:
    from ingestion import warehouse
    from ingestion.erp.entities import LOAD_ORDER

    tables = [f"raw_erp.{name}" for name in LOAD_ORDER] + [f"raw_erp_history.{name}" for name in LOAD_ORDER]
    with warehouse.connect(url, autocommit=True) as conn:
        conn.execute(
            f"truncate {', '.join(tables)}, audit.load_batches, audit.files, audit.file_deliveries, audit.rejects "
            "restart identity cascade"
        )
        conn.execute(f"drop schema if exists {TOSQL_SCHEMA} cascade")
        conn.execute("checkpoint")


# --- the three sides, each in a process of its own ----------------------------------------------------------------


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_loader(url: str, folder: Path) -> dict[str, Any]:
    from ingestion.erp.files import load_extract_dir

    cpu = _cpu_seconds()
    started = time.perf_counter()
    results = load_extract_dir(url, folder)
    seconds = time.perf_counter() - started
    bad = [r for r in results if r.status != "loaded"]
    if bad:
        raise SystemExit(f"the loader did not load {[(r.path.name, r.status, r.reason) for r in bad]}")
    phases: dict[str, float] = {}
    for result in results:
        for phase, spent in result.seconds.items():
            phases[phase] = phases.get(phase, 0.0) + spent
    return {
        "seconds": seconds,
        "cpu_seconds": _cpu_seconds() - cpu,
        "rows": sum(r.rows for r in results),
        "peak_rss_kb": peak_rss_kb(),
        # Summed over the files: copy, type (or read), checks, merge (EntityLoadResult.seconds); "file" is each
        # file's whole load, so file - the others = batch bookkeeping, registry and commit.
        "phases": phases,
    }


def child_to_sql(url: str, folder: Path) -> dict[str, Any]:
    import pandas as pd
    import sqlalchemy as sa

    from ingestion import config

    engine = sa.create_engine(config.sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text(f"create schema {TOSQL_SCHEMA}"))
    rows = 0
    started = time.perf_counter()
    for name, path in entity_files(folder):
        frame = pd.read_csv(path)
        frame.to_sql(name, engine, schema=TOSQL_SCHEMA, if_exists="append", index=False)
        rows += len(frame)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": rows, "peak_rss_kb": peak_rss_kb()}


def run_child(kind: str, url: str, folder: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.erp_load", "--child", kind, str(folder), "--url", url],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def _psql(url: str, script: str) -> float:
    from ingestion import config

    started = time.perf_counter()
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", config.libpq_url(url)],
        input=script,
        text=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def _columns(url: str, table: str) -> list[str]:
    from ingestion import warehouse

    with warehouse.connect(url) as conn:
        return [
            r[0]
            for r in conn.execute(
                """select column_name from information_schema.columns
                    where table_schema = 'raw_erp' and table_name = %s order by ordinal_position""",
                (table,),
            ).fetchall()
        ]


def export_floor(url: str, folder: Path, work: Path) -> str:
    """The rows the loader wrote, one CSV per table (untimed); returns the psql script that loads them back."""
    loads, exports = [], []
    for name, _ in entity_files(folder):
        columns = ", ".join(_columns(url, name))
        csv_path = work / f"floor_{name}.csv"
        exports.append(f"\\copy (select {columns} from raw_erp.{name}) to '{csv_path}' csv")
        loads.append(f"\\copy raw_erp.{name} ({columns}) from '{csv_path}' csv")
    _psql(url, "\n".join(exports) + "\n")
    return "\n".join(loads) + "\n"


def raw_rows(url: str) -> int:
    from ingestion import warehouse
    from ingestion.erp.entities import LOAD_ORDER

    total = 0
    with warehouse.connect(url) as conn:
        for name in LOAD_ORDER:
            row = conn.execute(f"select count(*) from raw_erp.{name}").fetchone()
            total += row[0] if row else 0
    return total


# --- the benchmark ----------------------------------------------------------------------------------------------


def measure(scale: float, runs: int, work: Path) -> dict[str, Any]:
    url = fresh_database()
    started = time.perf_counter()
    folder = extract_folder(scale, work)
    files = {name: sum(1 for _ in path.open(encoding="utf-8")) - 1 for name, path in entity_files(folder)}
    print(f"  scale {scale}: {sum(files.values()):,} rows in {len(files)} files, generated in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    rounds = []
    floor_script = None
    for number in range(1, runs + 1):
        empty_tables(url)
        loader = run_child("loader", url, folder)
        loaded = raw_rows(url)
        if floor_script is None:
            floor_script = export_floor(url, folder, work)
        empty_tables(url)
        floor_seconds = _psql(url, floor_script)
        if raw_rows(url) != loaded:
            raise SystemExit("the floor did not load the rows the loader wrote")
        empty_tables(url)
        by_hand = run_child("to_sql", url, folder)
        rows = loaded
        entry = {
            "rows": rows,
            "loader": loader,
            "floor_seconds": floor_seconds,
            "to_sql": by_hand,
            "loader_rate": rows / loader["seconds"],
            "floor_rate": rows / floor_seconds,
            "to_sql_rate": by_hand["rows"] / by_hand["seconds"],
        }
        entry["vs_floor"] = entry["loader_rate"] / entry["floor_rate"]
        entry["vs_to_sql"] = entry["loader_rate"] / entry["to_sql_rate"]
        rounds.append(entry)
        print(
            f"  scale {scale} round {number}: loader {entry['loader_rate']:,.0f} rows/s "
            f"({loader['seconds']:.1f} s, CPU {loader['cpu_seconds']:.1f} s, peak RSS {loader['peak_rss_kb'] / 1024:.0f} MB); "
            f"COPY floor {entry['floor_rate']:,.0f} rows/s; to_sql {entry['to_sql_rate']:,.0f} rows/s; "
            f"ratios {entry['vs_floor']:.2f} of COPY, {entry['vs_to_sql']:.1f}x to_sql",
            flush=True,
        )
    return {
        "scale": scale,
        "files": files,
        "rows": rounds[0]["rows"],
        "rounds": rounds,
        "loader_rate": statistics.median(r["loader_rate"] for r in rounds),
        "floor_rate": statistics.median(r["floor_rate"] for r in rounds),
        "to_sql_rate": statistics.median(r["to_sql_rate"] for r in rounds),
        "vs_floor": statistics.median(r["vs_floor"] for r in rounds),
        "vs_to_sql": statistics.median(r["vs_to_sql"] for r in rounds),
        "loader_phases": {
            phase: statistics.median(r["loader"]["phases"].get(phase, 0.0) for r in rounds)
            for phase in PHASES
        },
        "floor_seconds": statistics.median(r["floor_seconds"] for r in rounds),
        "loader_seconds": statistics.median(r["loader"]["seconds"] for r in rounds),
        "loader_peak_rss_mb": statistics.median(r["loader"]["peak_rss_kb"] for r in rounds) / 1024,
        "to_sql_peak_rss_mb": statistics.median(r["to_sql"]["peak_rss_kb"] for r in rounds) / 1024,
    }


# "file" is a file's whole load, the others its parts.
PHASES = ("copy", "type", "read", "checks", "merge", "file")


def phase_table(report: dict[str, Any]) -> str:
    """Where the loader's time goes, next to the floor's whole load (medians of the rounds, seconds)."""
    lines = [
        "| scale | loader | COPY to a text table | typing INSERT | read in Python | checks | merge into raw_erp "
        "| batch, registry, commit | COPY floor |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in report["scales"]:
        phases = s.get("loader_phases")
        if not phases:
            continue
        inside = sum(phases[p] for p in PHASES if p != "file")
        lines.append(
            f"| {s['scale']} | {s['loader_seconds']:.2f} | {phases['copy']:.2f} | {phases['type']:.2f} | "
            f"{phases['read']:.2f} | {phases['checks']:.2f} | {phases['merge']:.2f} | "
            f"{phases['file'] - inside:.2f} | {s['floor_seconds']:.2f} |"
        )
    return "\n".join(lines)


def tables(report: dict[str, Any]) -> str:
    lines = [
        "| scale | rows | loader rows/s | COPY floor rows/s | to_sql rows/s | loader / COPY (goal 0.8) | "
        "loader / to_sql (goal 15) | loader peak RSS | to_sql peak RSS |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in report["scales"]:
        lines.append(
            f"| {s['scale']} | {s['rows']:,} | {s['loader_rate']:,.0f} | {s['floor_rate']:,.0f} | "
            f"{s['to_sql_rate']:,.0f} | {s['vs_floor']:.2f} | {s['vs_to_sql']:.1f} | "
            f"{s['loader_peak_rss_mb']:.0f} MB | {s['to_sql_peak_rss_mb']:.0f} MB |"
        )
    scales = report["scales"]
    if len(scales) > 1:
        low, high = scales[0], scales[-1]
        lines.append("")
        lines.append(
            f"Loader peak RSS, scale {high['scale']} over scale {low['scale']}: "
            f"{high['loader_peak_rss_mb'] / low['loader_peak_rss_mb']:.2f} (goal: 1.5 at most)."
        )
    if any(s.get("loader_phases") for s in scales):
        lines += [
            "",
            "Where the loader's time goes (seconds, medians; the loader's own timing of each file):",
            "",
        ]
        lines.append(phase_table(report))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.erp_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="0.01,0.1", help="comma-separated scale factors")
    parser.add_argument("--runs", type=int, default=3, help="rounds per scale")
    parser.add_argument("--no-save", action="store_true", help="print only; leave bench/results/ alone")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=("loader", "to_sql"), help=argparse.SUPPRESS)
    parser.add_argument("folder", nargs="?", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        outcome = (child_loader if args.child == "loader" else child_to_sql)(args.url, args.folder)
        print(json.dumps(outcome))
        return 0

    from bench.bank import machine_info

    reports = []
    with tempfile.TemporaryDirectory(prefix="arwh-bench-erp-") as tmp:
        for scale in [float(s) for s in args.scales.split(",") if s.strip()]:
            work = Path(tmp) / str(scale)
            work.mkdir()
            reports.append(measure(scale, args.runs, work))
    report = {
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(_url()),
        "runs": args.runs,
        "scales": reports,
    }
    print()
    print(tables(report))
    if not args.no_save:
        write_results(
            args.results,
            "erp_load",
            "ERP load against the COPY floor and pandas to_sql",
            report,
            tables(report),
            how=f"; medians of {report['runs']} round(s)",
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DO_NOT_TRACK", "1")
    sys.exit(main())
