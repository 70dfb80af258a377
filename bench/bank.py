"""The bank section of the benchmark: parse and load N transactions per statement format, against a COPY floor.

For each format (CAMT.053, MT940, BAI2, the de_giro_semicolon CSV mapping) and each size (N/10 and N), the harness
writes one synthetic statement file of that many transactions, then runs rounds. A round is:

1. the loader, `ingestion.bank.loader.load_file`, in a fresh Python process, timed from the call to its return
   (hashing, the registry look-up, parsing, COPY into raw_bank.statement_lines, the statement row and the commit),
   with that process's peak RSS and its CPU time;
2. the floor: the very rows that load wrote, exported once to a CSV (untimed), loaded into the emptied table with
   psql's `\\copy ... from ... csv`. That is what PostgreSQL needs to take those rows over the same socket, with
   the same primary key and text columns, when nothing has to be parsed in Python.

The ratio is the loader's rate over the floor's rate within a round, so both sides see the same machine load; the
table reports the median of the rounds. The raw_bank and audit tables are emptied before every load (the file
registry would otherwise see the second run as a duplicate delivery).

The issue's goal is a ratio of at least 0.3 for CAMT.053 and MT940 at 1,000,000 transactions, with a peak RSS that
does not grow with the file (compare the N/10 and N columns).

    uv run --no-sync python -m bench.bank --transactions 1000000            # the full set (13-15 minutes)
    uv run --no-sync python -m bench.bank --transactions 2000 --runs 1 --no-save   # smoke run, seconds
    uv run --no-sync python -m bench.bank --transactions 100000 --profile camt053  # cProfile of one load

Database: AR_BENCH_URL when set, else a database `ar_bench` on the project-local cluster (started when needed).
Results: bench/results/bank.json and bench/results/README.md (skipped with --no-save).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.common import peak_rss_kb

FORMATS = ("camt053", "mt940", "bai2", "csv")
GOAL_FORMATS = ("camt053", "mt940")
GOAL_RATIO = 0.3
CSV_MAPPING = "de_giro_semicolon"
BENCH_DB = "ar_bench"
ENV_BENCH_URL = "AR_BENCH_URL"
DEFAULT_TRANSACTIONS = 1_000_000
DEFAULT_RUNS = 3
# One round at the largest size: a million CAMT.053 entries take about three minutes to load here, and three
# rounds of all four formats would take some 25 minutes. --large-runs 3 gives the full median.
DEFAULT_LARGE_RUNS = 1
SEED = 20261
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
WRITE_BUFFER_BYTES = 1 << 20

# Tables a load writes to; emptied before each run so every run is a first delivery into empty tables.
LOAD_TABLES = (
    "raw_bank.statement_lines", "raw_bank.statements", "audit.load_batches", "audit.files",
    "audit.file_deliveries", "audit.rejects", "audit.statement_events",
)  # fmt: skip


# --- synthetic statements ---------------------------------------------------------------------------------------

STATEMENT_START = date(2026, 9, 1)
STATEMENT_DAYS = 30
OPENING_CENTS = 123_456_789
PARTY_COUNT = 500
RF_SHARE = 5  # every fifth credit carries an ISO 11649 creditor reference, as structured remittance does

_COMPANY_WORDS = (
    "Acme", "Nordwind", "Blue Harbor", "Kessler", "Meridian", "Sunvale", "Orion", "Baltic", "Granite", "Lumen",
    "Vantage", "Hollis", "Atlas", "Pioneer", "Redwood", "Falkner", "Cobalt", "Sterling", "Weber", "Juniper",
)  # fmt: skip
_COMPANY_KINDS = ("GmbH", "AG", "BV", "Ltd", "Inc", "SAS", "KG", "Logistics", "Trading", "Foods")
_BANK_CODES = ("37040044", "50010517", "10020030", "20041133", "70020270")
_BICS = ("COBADEFFXXX", "INGDDEFFXXX", "DEUTDEFFXXX", "HYVEDEMMXXX", "BYLADEM1001")


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    iban: str
    bic: str
    customer_id: str


@dataclass(frozen=True, slots=True)
class Transaction:
    number: int
    cents: int  # signed from the account holder's side: credits (money in) positive
    booking_date: date
    value_date: date
    bank_reference: str
    end_to_end_id: str
    party: Party
    invoice: str
    creditor_reference: str | None
    remittance: str


@dataclass(frozen=True, slots=True)
class StatementHeader:
    """What a writer needs before its first entry: camt.053 and BAI2 state both balances ahead of the lines."""

    account: str
    currency: str
    opening_cents: int
    closing_cents: int
    opening_date: date
    closing_date: date
    statement_id: str


def _mod97(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text)) % 97


def iban(country: str, bban: str) -> str:
    """An IBAN with correct check digits (ISO 13616: the rearranged number is 1 modulo 97)."""
    return f"{country}{98 - _mod97(bban + country + '00'):02d}{bban}"


def rf_reference(reference: str) -> str:
    """An ISO 11649 creditor reference with correct check digits for `reference` (letters and digits)."""
    return f"RF{98 - _mod97(reference + 'RF00'):02d}{reference}"


def _parties(seed: int) -> list[Party]:
    rng = random.Random(seed)
    parties = []
    for number in range(PARTY_COUNT):
        name = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_KINDS)}"
        bban = f"{rng.choice(_BANK_CODES)}{rng.randrange(10**10):010d}"
        parties.append(Party(name, iban("DE", bban), rng.choice(_BICS), f"C{number + 1:05d}"))
    return parties


def amounts(count: int, seed: int) -> Iterator[int]:
    """The signed amounts in cents, from their own random stream so the closing balance is known before writing."""
    rng = random.Random(seed)
    for _ in range(count):
        # Mostly customer receipts (a receivables account), some fees and outgoing payments.
        yield rng.randint(1_000, 2_500_000) if rng.random() < 0.7 else -rng.randint(500, 800_000)


def transactions(count: int, seed: int) -> Iterator[Transaction]:
    rng = random.Random(seed + 1)
    parties = _parties(seed + 2)
    for number, cents in enumerate(amounts(count, seed), start=1):
        booked = STATEMENT_START + timedelta(days=(number - 1) * STATEMENT_DAYS // count)
        party = parties[rng.randrange(PARTY_COUNT)]
        digits = f"{rng.randrange(10**7):07d}"
        invoice = f"INV-2026-{digits}"
        creditor_reference = (
            rf_reference(f"INV2026{digits}") if cents > 0 and number % RF_SHARE == 0 else None
        )
        if cents > 0:
            remittance = f"Invoice {invoice} customer {party.customer_id} payment thank you"
        else:
            remittance = f"Supplier payment {invoice} order {rng.randrange(10**6):06d}"
        yield Transaction(
            number=number,
            cents=cents,
            booking_date=booked,
            value_date=booked if rng.random() < 0.8 else booked + timedelta(days=1),
            bank_reference=f"BR{number:012d}",
            end_to_end_id=f"E2E{number:012d}",
            party=party,
            invoice=invoice,
            creditor_reference=creditor_reference,
            remittance=remittance,
        )


def statement_header(count: int, seed: int, account: str, currency: str) -> StatementHeader:
    return StatementHeader(
        account=account,
        currency=currency,
        opening_cents=OPENING_CENTS,
        closing_cents=OPENING_CENTS + sum(amounts(count, seed)),
        opening_date=STATEMENT_START,
        closing_date=STATEMENT_START + timedelta(days=STATEMENT_DAYS - 1),
        statement_id=f"BENCH-{count}",
    )


def _decimal(cents: int, point: str = ".") -> str:
    return f"{cents // 100}{point}{cents % 100:02d}"


def _thousands(cents: int) -> str:
    # German notation: 1.234.567,89; the sign in front.
    whole = f"{abs(cents) // 100:,}".replace(",", ".")
    return f"{'-' if cents < 0 else ''}{whole},{abs(cents) % 100:02d}"


# CAMT.053 ------------------------------------------------------------------------------------------------------


def write_camt053(path: Path, count: int, seed: int) -> StatementHeader:
    header = statement_header(count, seed, iban("DE", "370400440532013000"), "EUR")
    ccy = header.currency
    with path.open("w", encoding="utf-8", buffering=WRITE_BUFFER_BYTES) as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">\n<BkToCstmrStmt>\n'
            f"<GrpHdr><MsgId>MSG-{header.statement_id}</MsgId><CreDtTm>2026-09-30T22:00:00</CreDtTm></GrpHdr>\n"
            f"<Stmt>\n<Id>{header.statement_id}</Id><ElctrncSeqNb>1</ElctrncSeqNb>"
            "<CreDtTm>2026-09-30T22:00:00</CreDtTm>\n"
            f"<Acct><Id><IBAN>{header.account}</IBAN></Id><Ccy>{ccy}</Ccy></Acct>\n"
            f"{_camt_balance('OPBD', header.opening_cents, ccy, header.opening_date)}"
            f"{_camt_balance('CLBD', header.closing_cents, ccy, header.closing_date)}"
        )
        for tx in transactions(count, seed):
            out.write(_camt_entry(tx, ccy))
        out.write("</Stmt>\n</BkToCstmrStmt>\n</Document>\n")
    return header


def _camt_balance(code: str, cents: int, ccy: str, on: date) -> str:
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{ccy}">{_decimal(abs(cents))}</Amt><CdtDbtInd>{"CRDT" if cents >= 0 else "DBIT"}</CdtDbtInd>'
        f"<Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>\n"
    )


def _camt_entry(tx: Transaction, ccy: str) -> str:
    credit = tx.cents > 0
    amount = _decimal(abs(tx.cents))
    party, account, agent = ("Dbtr", "DbtrAcct", "DbtrAgt") if credit else ("Cdtr", "CdtrAcct", "CdtrAgt")
    family = "RCDT" if credit else "ICDT"
    structured = (
        "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
        f"<Ref>{tx.creditor_reference}</Ref></CdtrRefInf></Strd>"
        if tx.creditor_reference
        else ""
    )
    return (
        f'<Ntry><NtryRef>{tx.number}</NtryRef><Amt Ccy="{ccy}">{amount}</Amt>'
        f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{tx.booking_date.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{tx.value_date.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>{tx.bank_reference}</AcctSvcrRef>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn>"
        "<Prtry><Cd>NTRF+166</Cd><Issr>ZKA</Issr></Prtry></BkTxCd>\n"
        "<NtryDtls><TxDtls>"
        f"<Refs><AcctSvcrRef>{tx.bank_reference}</AcctSvcrRef><EndToEndId>{tx.end_to_end_id}</EndToEndId></Refs>"
        f'<AmtDtls><TxAmt><Amt Ccy="{ccy}">{amount}</Amt></TxAmt></AmtDtls>'
        f"<RltdPties><{party}><Nm>{escape(tx.party.name)}</Nm></{party}>"
        f"<{account}><Id><IBAN>{tx.party.iban}</IBAN></Id></{account}></RltdPties>"
        f"<RltdAgts><{agent}><FinInstnId><BIC>{tx.party.bic}</BIC></FinInstnId></{agent}></RltdAgts>"
        f"<RmtInf><Ustrd>{escape(tx.remittance)}</Ustrd>{structured}</RmtInf>"
        "</TxDtls></NtryDtls></Ntry>\n"
    )


# MT940 ---------------------------------------------------------------------------------------------------------

_SUBFIELD_WIDTH = 27  # ?20-?29 hold 27 characters each in the German :86: layout


def write_mt940(path: Path, count: int, seed: int) -> StatementHeader:
    header = statement_header(count, seed, iban("DE", "500105170648489890"), "EUR")
    with path.open("w", encoding="utf-8", newline="\r\n", buffering=WRITE_BUFFER_BYTES) as out:
        out.write(
            f":20:{header.statement_id}\n:25:{header.account}\n:28C:00001/001\n"
            f":60F:{_mt_balance(header.opening_cents, header.opening_date, header.currency)}\n"
        )
        for tx in transactions(count, seed):
            out.write(_mt940_entry(tx))
        out.write(f":62F:{_mt_balance(header.closing_cents, header.closing_date, header.currency)}\n-\n")
    return header


def _mt_balance(cents: int, on: date, currency: str) -> str:
    return f"{'C' if cents >= 0 else 'D'}{on:%y%m%d}{currency}{_decimal(abs(cents), ',')}"


def _mt940_entry(tx: Transaction) -> str:
    credit = tx.cents > 0
    text = f"{tx.creditor_reference} {tx.remittance}" if tx.creditor_reference else tx.remittance
    remittance = f"SVWZ+{text}"
    chunks = [remittance[i : i + _SUBFIELD_WIDTH] for i in range(0, len(remittance), _SUBFIELD_WIDTH)]
    lines = [
        f":61:{tx.value_date:%y%m%d}{tx.booking_date:%m%d}{'C' if credit else 'D'}"
        f"{_decimal(abs(tx.cents), ',')}NTRF{tx.end_to_end_id}//{tx.bank_reference}",
        f":86:{'166' if credit else '116'}?00{'SEPA-GUTSCHRIFT' if credit else 'SEPA-UEBERWEISUNG'}?109310",
        f"?20EREF+{tx.end_to_end_id}",
        *(f"?{21 + i}{chunk}" for i, chunk in enumerate(chunks[:8])),
        f"?30{tx.party.bic}?31{tx.party.iban}",
        f"?32{tx.party.name[:_SUBFIELD_WIDTH]}",
    ]
    return "\n".join(lines) + "\n"


# BAI2 ----------------------------------------------------------------------------------------------------------

_BAI_CREDIT_CODES = ("165", "195", "301")  # preauthorized ACH credit, incoming wire, commercial deposit
_BAI_DEBIT_CODES = ("451", "495", "698")  # ACH debit, outgoing wire, miscellaneous fee


def write_bai2(path: Path, count: int, seed: int) -> StatementHeader:
    header = statement_header(count, seed, "0012345678", "USD")
    opening, closing = header.opening_cents, header.closing_cents
    # Control totals add every amount of the account's 03 summaries and 16 records, unsigned detail amounts.
    account_total = opening + closing
    account_records = 2  # the 03 and the 49
    with path.open("w", encoding="ascii", buffering=WRITE_BUFFER_BYTES) as out:
        out.write(
            "01,BENCHBANK,ARWAREHOUSE,260930,2200,1,80,,2/\n"
            f"02,ARWAREHOUSE,BENCHBANK,1,{header.closing_date:%y%m%d},2200,USD,2/\n"
            f"03,{header.account},USD,010,{opening},,,015,{closing},,/\n"
        )
        for tx in transactions(count, seed):
            codes = _BAI_CREDIT_CODES if tx.cents > 0 else _BAI_DEBIT_CODES
            code = codes[tx.number % len(codes)]
            text = f"{tx.creditor_reference} {tx.remittance}" if tx.creditor_reference else tx.remittance
            out.write(
                f"16,{code},{abs(tx.cents)},0,{tx.bank_reference},{tx.end_to_end_id},"
                f"ORIG CO NAME:{tx.party.name.upper()}\n88,{text.upper()}\n"
            )
            account_total += abs(tx.cents)
            account_records += 2
        group_records = account_records + 2  # the 02 and the 98
        out.write(
            f"49,{account_total},{account_records}/\n"
            f"98,{account_total},1,{group_records}/\n"
            f"99,{account_total},1,{group_records + 2}/\n"
        )
    return header


# CSV (de_giro_semicolon) ---------------------------------------------------------------------------------------

_CSV_HEADER = (
    "Auftragskonto;Buchungstag;Valutadatum;Buchungstext;Verwendungszweck;Gläubiger-ID;Mandatsreferenz;"
    "Kundenreferenz (End-to-End);Begünstigter/Zahlungspflichtiger;Kontonummer/IBAN;BIC;Betrag;Währung;Info"
)


def write_csv(path: Path, count: int, seed: int) -> StatementHeader:
    header = statement_header(count, seed, iban("DE", "100200300001234567"), "EUR")
    with path.open("w", encoding="cp1252", newline="\r\n", buffering=WRITE_BUFFER_BYTES) as out:
        out.write(_CSV_HEADER + "\n")
        for tx in transactions(count, seed):
            credit = tx.cents > 0
            text = f"{tx.creditor_reference} {tx.remittance}" if tx.creditor_reference else tx.remittance
            cells = (
                header.account,
                f"{tx.booking_date:%d.%m.%Y}",
                f"{tx.value_date:%d.%m.%Y}",
                "GUTSCHR. UEBERWEISUNG" if credit else "FOLGELASTSCHRIFT",
                text,
                "" if credit else "DE98ZZZ09999999999",
                "" if credit else f"MD-{tx.party.customer_id}",
                tx.end_to_end_id,
                tx.party.name,
                tx.party.iban,
                tx.party.bic,
                _thousands(tx.cents),
                "EUR",
                "Umsatz gebucht",
            )
            out.write(";".join(f'"{cell}"' for cell in cells) + "\n")
    return header


WRITERS = {"camt053": write_camt053, "mt940": write_mt940, "bai2": write_bai2, "csv": write_csv}
SUFFIXES = {"camt053": ".xml", "mt940": ".sta", "bai2": ".bai", "csv": ".csv"}


def check_writers(folder: Path, count: int = 60) -> None:
    """Parse a small file of each format with the project's parser; fail before any timing if one is wrong."""
    from ingestion.bank.detect import parse_statement_file
    from ingestion.bank.records import StatementSummary

    for name, writer in WRITERS.items():
        path = folder / f"check_{name}{SUFFIXES[name]}"
        header = writer(path, count, SEED)
        records = list(parse_statement_file(path, csv_mapping=CSV_MAPPING if name == "csv" else None))
        summaries = [r for r in records if isinstance(r, StatementSummary)]
        lines = [r for r in records if not isinstance(r, StatementSummary)]
        expected = (header.closing_cents - header.opening_cents) / 100
        problems = []
        if len(summaries) != 1 or len(lines) != count:
            problems.append(f"{len(summaries)} statements and {len(lines)} lines, expected 1 and {count}")
        elif float(summaries[0].credit_total + summaries[0].debit_total) != expected:
            problems.append(f"lines add up to {summaries[0].credit_total + summaries[0].debit_total}")
        elif name != "csv" and summaries[0].closing_balance != summaries[0].opening_balance + sum(
            line.amount for line in lines
        ):
            problems.append("opening balance + lines != closing balance")
        if name != "bai2" and sum(1 for line in lines if line.creditor_reference) == 0:
            problems.append("no creditor reference found")
        if problems:
            raise SystemExit(f"the {name} writer is wrong: {'; '.join(problems)}")
        path.unlink()


# --- one load in its own process --------------------------------------------------------------------------------


def _rss_kb(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_load(url: str, path: Path, file_format: str, profile: bool) -> dict[str, Any]:
    """Load one file (in the process that calls this); returns seconds, rows and memory as a JSON-able dict."""
    from ingestion.bank.loader import load_file

    mapping = CSV_MAPPING if file_format == "csv" else None
    baseline_kb = _rss_kb()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    result = load_file(url, path, csv_mapping=mapping)
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu_before
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(30)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "status": result.status,
        "rows": result.rows,
        "reason": result.reason,
        "baseline_rss_kb": baseline_kb,
        # This process's own high-water mark, imports included (bench.common.peak_rss_kb).
        "peak_rss_kb": peak_rss_kb(),
    }


def run_loader(
    url: str, path: Path, file_format: str, work: Path, *, profile: bool = False
) -> dict[str, Any]:
    env = {**os.environ, "AR_LANDING_DIR": str(work / "landing")}  # a rejected file is quarantined in work/
    command = [sys.executable, "-m", "bench.bank", "--child", file_format, str(path), "--url", url]
    if profile:
        command.append("--child-profile")
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=None, text=True, check=True
    )
    outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


# --- the database -----------------------------------------------------------------------------------------------


def bench_url() -> str:
    """AR_BENCH_URL, else the `ar_bench` database of the local cluster (started and created when missing)."""
    explicit = os.environ.get(ENV_BENCH_URL)
    if explicit:
        return explicit
    import psycopg

    from ingestion import config, localdb

    localdb.up()
    admin = f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", (BENCH_DB,)).fetchone() is None:
            conn.execute(f'create database "{BENCH_DB}"')
    return f"postgresql://{config.LOCAL_DB_USER}@127.0.0.1:{config.local_pg_port()}/{BENCH_DB}"


def empty_tables(url: str) -> None:
    from psycopg import errors

    from ingestion import warehouse

    with warehouse.connect(url, autocommit=True) as conn:
        conn.execute(f"truncate {', '.join(LOAD_TABLES)} restart identity")
        # Start each run without the previous run's dirty pages still to be written. Needs superuser or
        # pg_checkpoint; without it (an AR_BENCH_URL login) the runs are only a little noisier.
        with contextlib.suppress(errors.InsufficientPrivilege):
            conn.execute("checkpoint")


def check_load(url: str, header: StatementHeader, count: int, file_format: str) -> None:
    """The load wrote every line and its statement, and the statement balances (formats with balances)."""
    from ingestion import warehouse

    with warehouse.connect(url) as conn:
        lines = conn.execute("select count(*), sum(amount) from raw_bank.statement_lines").fetchone()
        statement = conn.execute(
            "select count(*), min(opening_balance), min(closing_balance) from raw_bank.statements"
        ).fetchone()
    assert lines is not None and statement is not None
    movement = (header.closing_cents - header.opening_cents) / 100
    problems = []
    if lines[0] != count or float(lines[1]) != movement:
        problems.append(f"{lines[0]} lines adding up to {lines[1]}, expected {count} adding up to {movement}")
    if statement[0] != 1:
        problems.append(f"{statement[0]} statement rows")
    elif file_format != "csv" and float(statement[2]) != header.closing_cents / 100:
        problems.append(f"closing balance {statement[2]}, expected {header.closing_cents / 100}")
    if problems:
        raise SystemExit(f"{file_format} load of {count}: {'; '.join(problems)}")


def _psql(url: str, command: str) -> None:
    from ingestion import config

    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", config.libpq_url(url), "-c", command],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def export_floor_rows(url: str, target: Path) -> None:
    """The rows the loader wrote, in the order it wrote them, as a CSV for the COPY floor."""
    from ingestion.bank.loader import LINE_COLUMNS

    columns = ", ".join(LINE_COLUMNS)
    _psql(
        url,
        f"\\copy (select {columns} from raw_bank.statement_lines order by statement_index, line_index) "
        f"to '{target}' csv",
    )


def run_floor(url: str, source: Path) -> float:
    """Seconds for psql's \\copy of `source` into raw_bank.statement_lines (client start-up included, ~10 ms)."""
    from ingestion.bank.loader import LINE_COLUMNS

    command = f"\\copy raw_bank.statement_lines ({', '.join(LINE_COLUMNS)}) from '{source}' csv"
    started = time.perf_counter()
    _psql(url, command)
    return time.perf_counter() - started


# --- the benchmark ----------------------------------------------------------------------------------------------


def measure(url: str, file_format: str, count: int, runs: int, work: Path) -> dict[str, Any]:
    path = work / f"bench_{file_format}_{count}{SUFFIXES[file_format]}"
    floor_csv = work / f"floor_{file_format}_{count}.csv"
    started = time.perf_counter()
    header = WRITERS[file_format](path, count, SEED)
    write_seconds = time.perf_counter() - started
    rounds = []
    try:
        for number in range(runs):
            empty_tables(url)
            load = run_loader(url, path, file_format, work)
            if load["status"] != "loaded" or load["rows"] != count:
                raise SystemExit(f"{file_format} load of {count}: {load}")
            check_load(url, header, count, file_format)
            if number == 0:
                export_floor_rows(url, floor_csv)
            empty_tables(url)
            copy_seconds = run_floor(url, floor_csv)
            rounds.append(
                {
                    "seconds": round(load["seconds"], 3),
                    # The loader's own CPU time (parsing, Python, psycopg): when it is well below the seconds, the
                    # load waited for PostgreSQL or for a CPU that other work held.
                    "cpu_seconds": round(load["cpu_seconds"], 3),
                    "tx_per_s": round(count / load["seconds"]),
                    "copy_seconds": round(copy_seconds, 3),
                    "copy_tx_per_s": round(count / copy_seconds),
                    "ratio": round(copy_seconds / load["seconds"], 4),
                    "baseline_rss_mb": round(load["baseline_rss_kb"] / 1024, 1),
                    "peak_rss_mb": round(load["peak_rss_kb"] / 1024, 1),
                }
            )
            print(
                f"  {file_format:8} {count:>9,} run {number + 1}/{runs}: {load['seconds']:7.2f} s "
                f"({count / load['seconds']:>9,.0f} tx/s, CPU {load['cpu_seconds']:7.2f} s), COPY {copy_seconds:6.2f} s, "
                f"peak RSS {load['peak_rss_kb'] / 1024:6.1f} MB",
                flush=True,
            )
        file_bytes = path.stat().st_size
        floor_bytes = floor_csv.stat().st_size
    finally:
        path.unlink(missing_ok=True)
        floor_csv.unlink(missing_ok=True)
    return {
        "format": file_format,
        "transactions": count,
        "file_mb": round(file_bytes / 2**20, 1),
        "floor_csv_mb": round(floor_bytes / 2**20, 1),
        "write_seconds": round(write_seconds, 2),
        "runs": rounds,
        "seconds": statistics.median(r["seconds"] for r in rounds),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in rounds),
        "tx_per_s": round(statistics.median(r["tx_per_s"] for r in rounds)),
        "copy_tx_per_s": round(statistics.median(r["copy_tx_per_s"] for r in rounds)),
        "ratio": round(statistics.median(r["ratio"] for r in rounds), 3),
        # The worst run: memory must stay flat in every run, not in the typical one.
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rounds),
        "baseline_rss_mb": statistics.median(r["baseline_rss_mb"] for r in rounds),
    }


def machine_info(url: str) -> dict[str, Any]:
    import lxml.etree
    import psycopg

    from ingestion import warehouse

    with warehouse.connect(url) as conn:
        settings = dict(
            conn.execute(
                """select name, current_setting(name) from pg_settings
                    where name in ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers',
                                   'max_wal_size', 'wal_level')"""
            ).fetchall()
        )
        version = conn.execute("show server_version").fetchone()
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 2**20, 1),
        "python": platform.python_version(),
        "postgres": version[0] if version else None,
        "postgres_settings": settings,
        "psycopg": f"{psycopg.__version__} ({psycopg.pq.__impl__})",
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
        **_git_info(),
    }


def _git_info() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "git_commit": git("rev-parse", "HEAD") or None,
        "git_commit_date": git("log", "-1", "--format=%cI") or None,
        # Results written by an earlier section of the same `make bench` are not changes to the code measured.
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results")),
    }


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def tables(report: dict[str, Any]) -> str:
    """The results as two Markdown tables: the goal per format at the largest size, then every measurement."""
    results = report["results"]
    sizes = sorted({r["transactions"] for r in results})
    largest, smallest = sizes[-1], sizes[0]
    by_key = {(r["format"], r["transactions"]): r for r in results}
    small_label = f"peak RSS MB at {smallest:,}"
    large_label = f"peak RSS MB at {largest:,}"
    out = [
        f"| format | transactions | seconds | tx/s | COPY tx/s | ratio | goal ≥ {GOAL_RATIO} | "
        f"{small_label} | {large_label} |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for file_format in report["settings"]["formats"]:
        big = by_key.get((file_format, largest))
        if big is None:
            continue
        small = by_key.get((file_format, smallest))
        goal = (
            ("met" if big["ratio"] >= GOAL_RATIO else "not met") if file_format in GOAL_FORMATS else "(none)"
        )
        out.append(
            f"| {file_format} | {largest:,} | {big['seconds']:.2f} | {big['tx_per_s']:,} | "
            f"{big['copy_tx_per_s']:,} | {big['ratio']:.3f} | {goal} | "
            f"{_mb(small['peak_rss_mb'] if small else None)} | {_mb(big['peak_rss_mb'])} |"
        )
    out += [
        "",
        "| format | transactions | file MB | seconds (each run) | loader CPU s | tx/s | COPY seconds (each run) | "
        "COPY tx/s | ratio | peak RSS MB | RSS before the load MB |",
        "| --- | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        loads = ", ".join(f"{run['seconds']:.2f}" for run in r["runs"])
        copies = ", ".join(f"{run['copy_seconds']:.2f}" for run in r["runs"])
        out.append(
            f"| {r['format']} | {r['transactions']:,} | {r['file_mb']:.0f} | {loads} | {r['cpu_seconds']:.2f} | "
            f"{r['tx_per_s']:,} | "
            f"{copies} | {r['copy_tx_per_s']:,} | "
            f"{r['ratio']:.3f} | {r['peak_rss_mb']:.1f} | {r['baseline_rss_mb']:.1f} |"
        )
    return "\n".join(out)


def write_results(report: dict[str, Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bank.json").write_text(json.dumps(report, indent=2) + "\n")
    machine = report["machine"]
    settings = machine["postgres_settings"]
    conditions = report["settings"]
    code = f"commit {str(machine['git_commit'])[:12]} of {machine['git_commit_date']}"
    readme = "\n".join(
        [
            "# Benchmark results: bank statements",
            "",
            f"Written by `{report['command']}`; [bench/README.md](../README.md) says what is measured and how.",
            "Every run is in [bank.json](bank.json).",
            "",
            f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory_gb']} GB memory, "
            f"Python {machine['python']}, psycopg {machine['psycopg']}, lxml {machine['lxml']}.",
            f"- PostgreSQL {machine['postgres']}, the project-local cluster's settings: "
            + ", ".join(f"{name}={value}" for name, value in sorted(settings.items()))
            + ".",
            f"- Code: {code}{' with uncommitted changes' if machine['git_dirty'] else ''}.",
            f"- Runs: {conditions['large_runs']} at {max(conditions['sizes']):,} transactions, the median of "
            f"{conditions['runs']} at smaller sizes. The ratio is the loader's rate over the COPY floor's rate, "
            "paired round by round.",
            f"- Load average (1 min) before and after: {conditions['load_average_before']} and "
            f"{conditions['load_average_after']}; other work on the machine shares its CPUs.",
            "",
            tables(report),
            "",
        ]
    )
    (folder / "README.md").write_text(readme)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bank", description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=DEFAULT_TRANSACTIONS, help="the largest file")
    parser.add_argument(
        "--small", type=int, help="the smaller file, to show memory stays flat (default: a tenth; 0: none)"
    )
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help="rounds per measurement below --transactions (median)"
    )
    parser.add_argument(
        "--large-runs", type=int, default=DEFAULT_LARGE_RUNS, help="rounds at --transactions (median)"
    )
    parser.add_argument(
        "--formats", default=",".join(FORMATS), help=f"comma-separated, of {', '.join(FORMATS)}"
    )
    parser.add_argument("--no-save", action="store_true", help="print only; leave bench/results/ alone")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--profile", metavar="FORMAT", help="cProfile one load of --transactions and stop")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--child-profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        outcome = child_load(args.url, Path(args.child[1]), args.child[0], args.child_profile)
        print(json.dumps(outcome))
        return 0

    formats = [name.strip() for name in args.formats.split(",") if name.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or (args.profile and args.profile not in FORMATS):
        parser.error(f"unknown format {unknown or args.profile}; known: {', '.join(FORMATS)}")
    small = args.transactions // 10 if args.small is None else args.small
    sizes = sorted({size for size in (small, args.transactions) if size > 0})

    url = bench_url()
    from ingestion import warehouse

    warehouse.init_warehouse(url)
    work = Path(tempfile.mkdtemp(prefix="arwh-bench-bank-"))
    try:
        check_writers(work)
        if args.profile:
            path = work / f"profile{SUFFIXES[args.profile]}"
            WRITERS[args.profile](path, args.transactions, SEED)
            empty_tables(url)
            outcome = run_loader(url, path, args.profile, work, profile=True)
            print(json.dumps(outcome))
            return 0
        # The code measured is the code at the start: others may commit while a long run goes on.
        machine = machine_info(url)
        load_before = os.getloadavg()
        results = []
        for size in sizes:
            runs = args.large_runs if size == args.transactions else args.runs
            for file_format in formats:
                results.append(measure(url, file_format, size, runs, work))
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        empty_tables(url)

    report = {
        "benchmark": "bank",
        "command": "uv run --no-sync python -m bench.bank "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": machine,
        "settings": {
            "formats": formats,
            "sizes": sizes,
            "runs": args.runs,
            "large_runs": args.large_runs,
            # Other work on the machine shares its CPUs with the loader and PostgreSQL: 1-minute load averages.
            "load_average_before": round(load_before[0], 2),
            "load_average_after": round(load_after[0], 2),
            "seed": SEED,
            "csv_mapping": CSV_MAPPING,
            "goal_ratio": GOAL_RATIO,
            "goal_formats": list(GOAL_FORMATS),
        },
        "results": results,
        "goal": {
            r["format"]: {"ratio": r["ratio"], "met": r["ratio"] >= GOAL_RATIO}
            for r in results
            if r["format"] in GOAL_FORMATS and r["transactions"] == sizes[-1]
        },
    }
    print()
    print(tables(report))
    if not args.no_save:
        write_results(report, args.results)
        print(f"\nwritten: {args.results / 'bank.json'}, {args.results / 'README.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
