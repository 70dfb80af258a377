"""The project-local PostgreSQL cluster behind `arwh db up|down|url`.

Used only when AR_WAREHOUSE_URL is not set. The data directory lives under .local/pg (git-ignored); the server
listens on 127.0.0.1 at its own port (AR_PG_PORT, default 55432) with trust authentication for local connections
only, which is what a throwaway development cluster needs and nothing more. PostgreSQL refuses to run as root, so
when invoked as root the cluster is initialised and started as an unprivileged user (`postgres` when the server
package created it).
"""

from __future__ import annotations

import glob
import logging
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ingestion import config

log = logging.getLogger(__name__)

PG_DIR = config.LOCAL_DIR / "pg"
DATA_DIR = PG_DIR / "data"
SOCKET_DIR = PG_DIR / "run"
LOG_FILE = PG_DIR / "server.log"


class LocalDbError(RuntimeError):
    """The local cluster could not be found, installed, initialised or started; the message says what to do."""


@dataclass(frozen=True)
class PgBinaries:
    bin_dir: Path

    def __getitem__(self, name: str) -> str:
        return str(self.bin_dir / name)


def find_binaries() -> PgBinaries | None:
    """The newest PostgreSQL server binaries on this machine, or None."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return PgBinaries(Path(candidates[-1]).parent)
    initdb = shutil.which("initdb")
    if initdb:
        return PgBinaries(Path(initdb).resolve().parent)
    return None


def install_server() -> PgBinaries:
    """Install the PostgreSQL server with apt-get when this machine allows it; else say what to install."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise LocalDbError(
            "No PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin and on PATH). Install the "
            "server (Debian/Ubuntu: `sudo apt-get install postgresql`; macOS: `brew install postgresql@15`) or set "
            f"{config.ENV_WAREHOUSE_URL} to a database of your own."
        )
    log.warning("No PostgreSQL server binaries found; installing them with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, env=env)
    binaries = find_binaries()
    if binaries is None:
        raise LocalDbError("apt-get installed postgresql but no initdb was found afterwards")
    return binaries


def _service_user() -> str | None:
    """The user to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise LocalDbError("running as root and no unprivileged user (postgres, nobody) exists to run PostgreSQL")


def _run_as(user: str | None, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    if user is not None:
        # runuser keeps the argument vector intact (no shell quoting) and needs no password as root.
        args = ["runuser", "-u", user, "--", *args]
    return subprocess.run(args, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def _chown_tree(path: Path, user: str) -> None:
    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid, follow_symlinks=False)


def is_running() -> bool:
    binaries = find_binaries()
    if binaries is None or not (DATA_DIR / "PG_VERSION").exists():
        return False
    result = _run_as(_service_user(), [binaries["pg_ctl"], "status", "-D", str(DATA_DIR)])
    return result.returncode == 0


def up() -> str:
    """Initialise (first time) and start the local cluster; create the warehouse database. Returns its URL.

    Idempotent: a running cluster is left as it is.
    """
    binaries = find_binaries() or install_server()
    user = _service_user()
    PG_DIR.mkdir(parents=True, exist_ok=True)
    SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    if user is not None:
        _chown_tree(PG_DIR, user)

    if not (DATA_DIR / "PG_VERSION").exists():
        log.info("initialising a local PostgreSQL cluster in %s", DATA_DIR)
        result = _run_as(
            user,
            [
                binaries["initdb"],
                "-D", str(DATA_DIR),
                "-U", config.LOCAL_DB_USER,
                "-A", "trust",
                "-E", "UTF8",
                "--locale=C",
            ],
        )  # fmt: skip
        if result.returncode != 0:
            raise LocalDbError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    if not is_running():
        port = config.local_pg_port()
        options = (
            f"-p {port} -k {SOCKET_DIR} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100 -c shared_buffers=256MB -c work_mem=64MB -c maintenance_work_mem=256MB"
        )
        result = _run_as(
            user,
            [
                binaries["pg_ctl"],
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(DATA_DIR),
                "-l",
                str(LOG_FILE),
                "-o",
                options,
            ],
        )
        if result.returncode != 0:
            tail = LOG_FILE.read_text(errors="replace")[-2000:] if LOG_FILE.exists() else ""
            raise LocalDbError(f"pg_ctl start failed (port {port} in use?):\n{result.stderr}\n{tail}")

    _wait_ready(binaries)
    _ensure_database(config.LOCAL_DB_NAME)
    return config.local_warehouse_url()


def _wait_ready(binaries: PgBinaries, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        result = subprocess.run(
            [binaries["pg_isready"], "-h", "127.0.0.1", "-p", str(config.local_pg_port())],
            capture_output=True,
            text=True,
        )
        if result.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise LocalDbError(f"PostgreSQL did not become ready within {timeout_s:.0f}s: {result.stdout}")
        time.sleep(0.2)


def _ensure_database(name: str) -> None:
    import psycopg

    admin_url = f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'create database "{name}"')


def down() -> None:
    """Stop the local cluster (fast shutdown). Leaves the data directory in place."""
    binaries = find_binaries()
    if binaries is None or not is_running():
        return
    result = _run_as(_service_user(), [binaries["pg_ctl"], "stop", "-m", "fast", "-D", str(DATA_DIR)])
    if result.returncode != 0:
        raise LocalDbError(f"pg_ctl stop failed:\n{result.stderr}")
