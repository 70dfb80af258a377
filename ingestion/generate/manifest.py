"""landing/manifest.json (what was generated: expected totals, bank accounts, planted anomalies) and
landing/source.json (where the ERP source is, for the extractor).

The manifest depends only on the generator's inputs (no clock, no URL), so two runs with the same inputs write the
same bytes; the URL of the demo ERP database is in source.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingestion.generate.bank import BankAccount, BankStatement
from ingestion.generate.model import DayBatch
from ingestion.generate.params import Params

ZERO = Decimal("0.00")


@dataclass(slots=True)
class _Sum:
    count: int = 0
    amount: Decimal = ZERO

    def add(self, amount: Decimal) -> None:
        self.count += 1
        self.amount += amount

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "amount": str(self.amount)}


@dataclass(slots=True)
class ErpTotals:
    """Running totals of everything the ERP booked, overall and by currency."""

    customers: int = 0
    customer_changes: int = 0
    disputed_invoices: int = 0
    write_offs_without_approver: int = 0
    entities: dict[str, _Sum] = field(default_factory=dict)
    by_currency: dict[str, dict[str, _Sum]] = field(default_factory=dict)
    opening_history: dict[str, _Sum] = field(default_factory=dict)

    def _add(self, entity: str, currency: str, amount: Decimal, before_start: bool) -> None:
        self.entities.setdefault(entity, _Sum()).add(amount)
        self.by_currency.setdefault(currency, {}).setdefault(entity, _Sum()).add(amount)
        if before_start:
            self.opening_history.setdefault(entity, _Sum()).add(amount)

    def add(self, batch: DayBatch, start: date) -> None:
        before = batch.day < start
        self.customers += len(batch.new_customers)
        self.customer_changes += len(batch.changed_customers)
        self.disputed_invoices += len(batch.disputed_invoices)
        for invoice in batch.new_invoices:
            self._add("invoices", invoice.currency_code, invoice.amount, before)
        for note in batch.credit_notes:
            self._add("credit_notes", note.currency_code, note.amount, before)
        for payment in batch.payments:
            self._add("payments", payment.currency_code, payment.amount, before)
            for application in payment.applications:
                self._add("payment_applications", payment.currency_code, application.applied_amount, before)
        for write_off in batch.write_offs:
            self._add("write_offs", write_off.currency_code, write_off.amount, before)
            if write_off.approved_by is None:
                self.write_offs_without_approver += 1

    def count(self, entity: str) -> int:
        return self.entities[entity].count if entity in self.entities else 0

    def as_json(self) -> dict[str, Any]:
        order = ("invoices", "credit_notes", "payments", "payment_applications", "write_offs")

        def sums(table: dict[str, _Sum]) -> dict[str, Any]:
            return {entity: table.get(entity, _Sum()).as_json() for entity in order}

        open_balance = {}
        for currency, table in sorted(self.by_currency.items()):
            get = lambda entity, t=table: t.get(entity, _Sum()).amount  # noqa: E731
            open_balance[currency] = str(
                get("invoices") - get("credit_notes") - get("payment_applications") - get("write_offs")
            )
        return {
            "customers": self.customers,
            "customer_changes": self.customer_changes,
            "disputed_invoices": self.disputed_invoices,
            "write_offs_without_approver": self.write_offs_without_approver,
            **sums(self.entities),
            "by_currency": {currency: sums(table) for currency, table in sorted(self.by_currency.items())},
            "open_balance_at_end": open_balance,
            "opening_history": sums(self.opening_history),
        }


@dataclass(slots=True)
class _AccountTotals:
    statements: int = 0
    lines: int = 0
    credit_total: Decimal = ZERO
    debit_total: Decimal = ZERO
    customer_payments: _Sum = field(default_factory=_Sum)
    first_opening_balance: Decimal | None = None
    last_closing_balance: Decimal | None = None
    first_statement_date: date | None = None
    last_statement_date: date | None = None


@dataclass(slots=True)
class BankTotals:
    """Running totals of the statements written, per account, and the list of distinct files."""

    accounts: dict[str, _AccountTotals] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # distinct statement files, relative to landing

    def add(self, statement: BankStatement, relative_path: str) -> None:
        totals = self.accounts.setdefault(statement.account.account_id, _AccountTotals())
        totals.statements += 1
        totals.lines += len(statement.entries)
        totals.credit_total += statement.credit_total
        totals.debit_total += statement.debit_total
        for entry in statement.entries:
            if entry.kind == "customer_payment":
                totals.customer_payments.add(entry.amount)
        if totals.first_opening_balance is None:
            totals.first_opening_balance = statement.opening_balance
            totals.first_statement_date = statement.statement_date
        totals.last_closing_balance = statement.closing_balance
        totals.last_statement_date = statement.statement_date
        self.files.append(relative_path)

    def as_json(self, accounts: tuple[BankAccount, ...]) -> dict[str, Any]:
        result = {}
        for account in accounts:
            t = self.accounts.get(account.account_id, _AccountTotals())
            result[account.account_id] = {
                "statements": t.statements,
                "lines": t.lines,
                "credit_total": str(t.credit_total),
                "debit_total": str(t.debit_total),
                "customer_payments": t.customer_payments.as_json(),
                "first_statement_date": t.first_statement_date.isoformat()
                if t.first_statement_date
                else None,
                "first_opening_balance": str(t.first_opening_balance)
                if t.first_opening_balance is not None
                else None,
                "last_statement_date": t.last_statement_date.isoformat() if t.last_statement_date else None,
                "last_closing_balance": str(t.last_closing_balance)
                if t.last_closing_balance is not None
                else None,
            }
        return result


def account_json(account: BankAccount) -> dict[str, Any]:
    """A bank account as the manifest lists it."""
    return {
        "account_id": account.account_id,
        "currency_code": account.currency_code,
        "file_format": account.file_format,
        "bic": account.bic,
        "owner_name": account.owner_name,
    }


def generated_json(params: Params) -> dict[str, Any]:
    """The generator's inputs, as both manifest.json and source.json record them (bank_history_days only when
    set, so that the files of every earlier generation stay the same byte for byte)."""
    document: dict[str, Any] = {
        "seed": params.seed,
        "scale": params.scale,
        "start": params.start.isoformat(),
        "days": params.days,
        "history_days": params.history_days,
    }
    if params.bank_history_days:
        document["bank_history_days"] = params.bank_history_days
    return document


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write `document` as indented UTF-8 JSON with a final newline; key order as given, so output is stable."""
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
