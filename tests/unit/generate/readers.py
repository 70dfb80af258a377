"""Independent readers of the generator's output, for the tests: simple and strict, sharing no code with the writers
(so a writer's mistake is not mirrored by the reader)."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

CAMT_NS = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"}
MONEY = re.compile(r"^-?\d+\.\d{2}$")
MT940_MONEY = re.compile(r"^\d+,\d{2}$")
_MT940_61 = re.compile(r"^(\d{6})(\d{4})([CD])(\d+,\d{2})(N[A-Z]{3})(.*?)//(.+)$")
_MT940_BALANCE = re.compile(r"^([CD])(\d{6})([A-Z]{3})(\d+,\d{2})$")


@dataclass
class Entry:
    amount: Decimal
    booking_date: date
    end_to_end_id: str | None
    counterparty_name: str | None
    remittance: str | None


@dataclass
class Statement:
    path: Path
    file_format: str
    account_id: str
    currency_code: str
    statement_date: date
    opening_balance: Decimal
    closing_balance: Decimal
    entries: list[Entry] = field(default_factory=list)
    raw_amounts: list[str] = field(default_factory=list)  # every amount as written, for format checks


def _yymmdd(text: str) -> date:
    return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))


def read_camt053(path: Path) -> Statement:
    root = etree.parse(str(path)).getroot()
    (stmt,) = root.findall("c:BkToCstmrStmt/c:Stmt", CAMT_NS)
    balances = {}
    raw = []
    for bal in stmt.findall("c:Bal", CAMT_NS):
        code = bal.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=CAMT_NS)
        text = bal.findtext("c:Amt", namespaces=CAMT_NS)
        raw.append(text)
        sign = 1 if bal.findtext("c:CdtDbtInd", namespaces=CAMT_NS) == "CRDT" else -1
        balances[code] = (
            sign * Decimal(text),
            date.fromisoformat(bal.findtext("c:Dt/c:Dt", namespaces=CAMT_NS)),
        )
    statement = Statement(
        path=path,
        file_format="camt053",
        account_id=stmt.findtext("c:Acct/c:Id/c:IBAN", namespaces=CAMT_NS),
        currency_code=stmt.findtext("c:Acct/c:Ccy", namespaces=CAMT_NS),
        statement_date=balances["CLBD"][1],
        opening_balance=balances["OPBD"][0],
        closing_balance=balances["CLBD"][0],
        raw_amounts=raw,
    )
    for ntry in stmt.findall("c:Ntry", CAMT_NS):
        text = ntry.findtext("c:Amt", namespaces=CAMT_NS)
        statement.raw_amounts.append(text)
        sign = 1 if ntry.findtext("c:CdtDbtInd", namespaces=CAMT_NS) == "CRDT" else -1
        party = "c:Dbtr" if sign > 0 else "c:Cdtr"
        tx = ntry.find("c:NtryDtls/c:TxDtls", CAMT_NS)
        e2e = name = remittance = None
        if tx is not None:
            e2e = tx.findtext("c:Refs/c:EndToEndId", namespaces=CAMT_NS)
            name = tx.findtext(f"c:RltdPties/{party}/c:Nm", namespaces=CAMT_NS)
            remittance = tx.findtext("c:RmtInf/c:Ustrd", namespaces=CAMT_NS)
        statement.entries.append(
            Entry(
                sign * Decimal(text),
                date.fromisoformat(ntry.findtext("c:BookgDt/c:Dt", namespaces=CAMT_NS)),
                None if e2e == "NOTPROVIDED" else e2e,
                name,
                remittance,
            )
        )
    return statement


def read_mt940(path: Path) -> Statement:
    data = path.read_bytes().decode("utf-8")
    assert data.endswith("\r\n"), f"{path}: last line must end CRLF"
    lines = data[:-2].split("\r\n")
    assert not any("\n" in line or "\r" in line for line in lines), f"{path}: bare LF or CR inside"
    fields: list[tuple[str, list[str]]] = []
    for line in lines:
        match = re.match(r"^:(\d{2}[A-Z]?):(.*)$", line)
        if match:
            fields.append((match.group(1), [match.group(2)]))
        else:
            fields[-1][1].append(line)
    values: dict[str, str] = {}
    raw = []
    entries = []
    pending: tuple[Decimal, date, str] | None = None
    for tag, parts in fields:
        if tag == "61":
            m = _MT940_61.match(parts[0])
            assert m, f"{path}: bad :61: {parts[0]}"
            value_date = _yymmdd(m.group(1))
            raw.append(m.group(4))
            amount = Decimal(m.group(4).replace(",", "."))
            booking = date(value_date.year, int(m.group(2)[:2]), int(m.group(2)[2:]))
            pending = (amount if m.group(3) == "C" else -amount, booking, m.group(6))
        elif tag == "86":
            assert pending is not None
            assert all(len(part) <= 65 for part in parts), f"{path}: :86: line over 65 characters"
            details = "".join(parts)
            found = dict(re.findall(r"/(EREF|REMI|NAME)/([^/]*)", details))
            entries.append(
                Entry(pending[0], pending[1], found.get("EREF"), found.get("NAME"), found.get("REMI"))
            )
            pending = None
        else:
            values[tag] = parts[0]
    opening = _MT940_BALANCE.match(values["60F"])
    closing = _MT940_BALANCE.match(values["62F"])
    assert opening and closing, f"{path}: bad balance fields"
    raw += [opening.group(4), closing.group(4)]

    def signed(match: re.Match[str]) -> Decimal:
        amount = Decimal(match.group(4).replace(",", "."))
        return amount if match.group(1) == "C" else -amount

    return Statement(
        path=path,
        file_format="mt940",
        account_id=values["25"],
        currency_code=closing.group(3),
        statement_date=_yymmdd(closing.group(2)),
        opening_balance=signed(opening),
        closing_balance=signed(closing),
        entries=entries,
        raw_amounts=raw,
    )


def read_bank_files(landing: Path) -> list[Statement]:
    """Every bank file under landing/bank (duplicates included), in path order."""
    statements = []
    for path in sorted((landing / "bank").rglob("*")):
        if path.suffix == ".xml":
            statements.append(read_camt053(path))
        elif path.suffix == ".sta":
            statements.append(read_mt940(path))
    return statements


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class Erp:
    """The ERP as the daily extracts tell it: latest version of each row, and the versions per day."""

    customers: dict[str, dict[str, str]]
    invoices: dict[str, dict[str, str]]
    credit_notes: dict[str, dict[str, str]]
    payments: dict[str, dict[str, str]]
    applications: list[dict[str, str]]
    write_offs: dict[str, dict[str, str]]
    rows_per_day: dict[str, dict[str, list[dict[str, str]]]]  # day -> entity -> rows

    def open_amounts(self, as_of: date) -> dict[str, Decimal]:
        """Open amount of every invoice dated on or before `as_of`, at the end of that day (zero ones left out)."""
        open_ = {
            i: Decimal(r["amount"])
            for i, r in self.invoices.items()
            if date.fromisoformat(r["invoice_date"]) <= as_of
        }
        for r in self.credit_notes.values():
            if date.fromisoformat(r["credit_note_date"]) <= as_of:
                open_[r["invoice_id"]] -= Decimal(r["amount"])
        for r in self.applications:
            if date.fromisoformat(r["applied_date"]) <= as_of:
                open_[r["invoice_id"]] -= Decimal(r["applied_amount"])
        for r in self.write_offs.values():
            if date.fromisoformat(r["write_off_date"]) <= as_of:
                open_[r["invoice_id"]] -= Decimal(r["amount"])
        return {i: amount for i, amount in open_.items() if amount != 0}


ENTITY_KEYS = {
    "customers": "customer_id",
    "invoices": "invoice_id",
    "credit_notes": "credit_note_id",
    "payments": "payment_id",
    "write_offs": "write_off_id",
}


def read_erp_files(landing: Path) -> Erp:
    latest: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    applications: list[dict[str, str]] = []
    per_day: dict[str, dict[str, list[dict[str, str]]]] = {}
    for folder in sorted((landing / "erp").iterdir()):
        per_day[folder.name] = {}
        for entity in (*ENTITY_KEYS, "payment_applications"):
            rows = read_csv(folder / f"{entity}.csv")
            per_day[folder.name][entity] = rows
            if entity == "payment_applications":
                applications.extend(rows)
            else:
                for row in rows:
                    latest[entity][row[ENTITY_KEYS[entity]]] = row
    return Erp(
        customers=latest["customers"],
        invoices=latest["invoices"],
        credit_notes=latest["credit_notes"],
        payments=latest["payments"],
        applications=applications,
        write_offs=latest["write_offs"],
        rows_per_day=per_day,
    )
