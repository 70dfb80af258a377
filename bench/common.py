"""What the benchmark sections share: where results go and the header every results page starts with."""

from __future__ import annotations

import json
import resource
from pathlib import Path
from typing import Any


def write_results(
    folder: Path, name: str, title: str, report: dict[str, Any], table: str, how: str = ""
) -> None:
    """bench/results/<name>.json (the whole report) and <name>.md: a header saying when, on what machine and at
    which commit it was measured, then `table`. The report needs `measured_at` and `machine`
    (bench.bank.machine_info)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    machine = report["machine"]
    header = (
        f"# Benchmark: {title}\n\n"
        f"Measured {report['measured_at']} on {machine['cpu']} ({machine['nproc']} CPUs, {machine['memory_gb']} GB), "
        f"PostgreSQL {machine['postgres']}, commit {str(machine['git_commit'])[:7]}"
        f"{' (uncommitted changes)' if machine['git_dirty'] else ''}{how}. "
        f"How: bench/{name}.py (its docstring), bench/README.md.\n\n"
    )
    (folder / f"{name}.md").write_text(header + table + "\n")


def peak_rss_kb() -> int:
    """This process's peak RSS since it started its program: VmHWM, not ru_maxrss. On Linux ru_maxrss survives
    exec and so starts at the parent's high-water mark (a harness that has just generated a million invoices
    reports its own size for the child: seen as 94 MB for an ERP loader whose own peak was 38 MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def load_bank_history(url: str, landing: Path, start: Any) -> int:
    """Load the generated bank statements dated before `start` (the bank's history, bank_history_days): the daily
    runs load each date's own folder. Returns the number of files."""
    from ingestion.bank.loader import load_files

    history = sorted(
        path
        for folder in (landing / "bank").iterdir()
        if folder.name < start.isoformat()
        for path in folder.iterdir()
    )
    if history:
        load_files(url, history)
    return len(history)
