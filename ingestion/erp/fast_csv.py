"""The fast way in for a canonical ERP extract file: PostgreSQL parses and checks the CSV, Python sees only the
rows that need a second look.

`ingestion.erp.records.coerce_record` checks every record in Python: about 25 microseconds a row, most of a
load's time (bench/erp_load.py). Here the file's bytes go to the server as they are (COPY ... FORMAT csv into a
table of text columns), and one INSERT ... SELECT types every row whose every field has the plain shape the
canonical format asks for (an ISO date, digits with at most two decimals, a three-letter currency ...) and that
breaks no rule across fields. The few rows that do not (a bad value, or merely an unusual but valid one such as
"+5" or " Acme ") are read back and go through coerce_record, which decides, and words the reason of a reject,
exactly as for a file read in Python. So the SQL conditions only need to be strict: a row they pass must be one
coerce_record accepts with the same values.

Falls back (returns None, and the caller reads the file in Python) when the server cannot take the file as it
is: not UTF-8, a line with the wrong number of fields, an empty line, a field that spans lines (then line
numbers would not be physical lines), a header not on the first line.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ingestion import warehouse
from ingestion.erp.entities import Column, Entity, Kind
from ingestion.erp.records import coerce_record, entity_rule_conditions
from ingestion.warehouse import Batch, Reject

log = logging.getLogger(__name__)

CHUNK = 1 << 20
BOM = b"\xef\xbb\xbf"

# The characters Python's str.strip() removes (str.isspace): a value with one at either end is not plain.
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())

# The plain shape of each kind, as coerce_value would accept it unchanged (see there for the full rules).
_DATE = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_PLAIN: dict[Kind, str] = {
    Kind.MONEY: r"^-?[0-9]{1,16}(\.[0-9]{1,2})?$",
    Kind.SHARE: r"^(0(\.[0-9]{1,12})?|1(\.0{1,12})?|\.[0-9]{1,12})$",
    Kind.RATE: r"^[0-9]{1,8}(\.[0-9]{1,10})?$",
    Kind.INT: r"^-?[0-9]{1,9}$",
    Kind.CURRENCY: r"^[A-Za-z]{3}$",
    Kind.COUNTRY: r"^[A-Za-z]{2}$",
}
_BOOLS = {"true": True, "t": True, "1": True, "yes": True, "y": True, "x": True,
          "false": False, "f": False, "0": False, "no": False, "n": False}  # fmt: skip


@dataclass
class Staged:
    """What the fast path put into the stage table."""

    rows_read: int
    source_total: Decimal | None
    rejects: list[Reject] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # copy, type: where the staging time went


def copy_extract(
    batch: Batch, entity: Entity, path: Path, stage: sql.Identifier, header: list[str]
) -> Staged | None:
    """Stage the extract file at `path` (whose header is `header`) into `stage`; None when the file has to be
    read in Python instead (nothing is left behind then: the attempt runs in a savepoint)."""
    conn = batch.conn
    text = sql.Identifier(f"_text_{entity.name}")
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL(
                    "create temp table {} ({}, _row bigint generated always as identity) on commit drop"
                ).format(
                    text,
                    sql.SQL(", ").join(
                        sql.SQL("{} text").format(sql.Identifier(f"c{i}")) for i in range(len(header))
                    ),
                )
            )
            started = time.perf_counter()
            records, lines = _copy_file(conn, text, len(header), path)
            if records != lines - 1:
                log.info("%s: a field spans lines; read in Python", path.name)
                raise _Fallback
            copied = time.perf_counter()
            staged = _type_rows(batch, entity, text, stage, header, records)
            staged.seconds = {"copy": copied - started, "type": time.perf_counter() - copied}
            return staged
    except _Fallback:
        return None
    except psycopg.errors.DataError as exc:  # bad encoding, wrong field count, an empty line ...
        log.info(
            "%s: the server cannot read it as is (%s); read in Python", path.name, str(exc).splitlines()[0]
        )
        return None


class _Fallback(Exception):
    pass


def _copy_file(
    conn: psycopg.Connection[Any], text: sql.Identifier, width: int, path: Path
) -> tuple[int, int]:
    """COPY the file's bytes; returns (records, physical lines)."""
    columns = sql.SQL(", ").join(sql.Identifier(f"c{i}") for i in range(width))
    newlines, last = 0, b""
    with path.open("rb") as handle, conn.cursor() as cur:
        first = handle.readline()
        if first.startswith(BOM):
            first = first[len(BOM) :]
        # The header must be whole on line 1 (COPY's HEADER skips one line).
        try:
            if len(next(csv.reader([first.decode("utf-8")]))) != width:
                raise _Fallback
        except (UnicodeDecodeError, csv.Error, StopIteration):
            raise _Fallback from None
        statement = sql.SQL("copy {} ({}) from stdin (format csv, header true, encoding 'UTF8')").format(
            text, columns
        )
        with cur.copy(statement) as copy:
            copy.write(first)
            newlines += first.count(b"\n")
            last = first[-1:]
            while chunk := handle.read(CHUNK):
                copy.write(chunk)
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
        records = cur.rowcount
    lines = newlines + (0 if last in (b"\n", b"") else 1)
    return records, lines


def _typed(column: Column, cell: sql.Composable) -> tuple[sql.Composable, sql.Composable]:
    """For one column: (the condition that its cell is plain, the cell's typed value). The value may only be
    computed where the condition holds (a cast of a bad cell raises)."""
    value = sql.SQL("nullif({}, '')").format(cell)
    shaped: sql.Composable
    typed: sql.Composable
    if column.kind is Kind.TEXT:
        # No character that str.strip() would take off, at either end (btrim with that set is a C loop). The
        # other kinds need no such test: their shapes below (anchored patterns, fixed words) hold no space.
        shaped = sql.SQL("{c} = btrim({c}, {spaces})").format(c=cell, spaces=sql.Literal(_SPACES))
        typed = value
    elif column.kind is Kind.DATE:
        # The shape, then a day that exists in its month (days up to 28 always do).
        shaped = sql.SQL(
            "case when {v} ~ {re} then substr({v}, 9, 2) <= '28' or substr({v}, 9, 2)::int <= extract(day from "
            "make_date(substr({v}, 1, 4)::int, substr({v}, 6, 2)::int, 1) + interval '1 month - 1 day') "
            "else false end"
        ).format(v=value, re=sql.Literal(_DATE))
        typed = sql.SQL("{}::date").format(value)
    elif column.kind is Kind.BOOL:
        words = sql.SQL(", ").join(map(sql.Literal, _BOOLS))
        shaped = sql.SQL("lower({}) in ({})").format(value, words)
        trues = sql.SQL(", ").join(sql.Literal(w) for w, v in _BOOLS.items() if v)
        typed = sql.SQL("lower({}) in ({})").format(value, trues)
    else:
        shaped = sql.SQL("{} ~ {}").format(value, sql.Literal(_PLAIN[column.kind]))
        if column.kind in (Kind.CURRENCY, Kind.COUNTRY):
            typed = sql.SQL("upper({})").format(value)
        elif column.kind is Kind.INT:
            typed = sql.SQL("{}::int").format(value)
        else:
            typed = sql.SQL("{}::numeric").format(value)
            if column.kind is Kind.RATE:
                shaped = sql.SQL("case when {} then {} > 0 else false end").format(shaped, typed)
    if column.required:
        ok = sql.SQL("({v} is not null and {s})").format(v=value, s=shaped)
    else:
        ok = sql.SQL("({v} is null or {s})").format(v=value, s=shaped)
    if column.default is not None:
        typed = sql.SQL("coalesce({}, {})").format(typed, sql.Literal(column.default))
    return ok, typed


def _type_rows(
    batch: Batch, entity: Entity, text: sql.Identifier, stage: sql.Identifier, header: list[str], records: int
) -> Staged:
    conn = batch.conn
    cells = {name: sql.Identifier(f"c{i}") for i, name in enumerate(header) if name in entity.column_names}
    oks: list[sql.Composable] = []
    typed: dict[str, sql.Composable] = {}
    for column in entity.columns:
        ok, typed[column.name] = _typed(column, cells.get(column.name, sql.SQL("null::text")))
        oks.append(ok)
    rules = [sql.SQL(condition).format(**typed) for condition in entity_rule_conditions(entity)]
    amount = sql.Identifier(entity.amount_column) if entity.amount_column else sql.SQL("null::numeric")
    # CASE evaluates its condition first: the typed values (in the rules and the select list) are computed only
    # for rows whose every cell is plain.
    statement = sql.SQL(
        """with kept as (
               insert into {stage} ({names}, _line)
               select {values}, _row + 1 from {text}
                where case when {oks} then not coalesce({rules}, false) else false end
               returning {amount} as amount
           )
           select count(*), sum(amount) from kept"""
    ).format(
        stage=stage,
        names=sql.SQL(", ").join(sql.Identifier(c) for c in entity.column_names),
        values=sql.SQL(", ").join(typed[c] for c in entity.column_names),
        text=text,
        oks=sql.SQL(" and ").join(oks),
        rules=sql.SQL(" or ").join(rules) if rules else sql.SQL("false"),
        amount=amount,
    )
    row = conn.execute(statement).fetchone()
    kept, kept_total = (row[0], row[1]) if row else (0, None)
    staged = Staged(
        rows_read=records, source_total=(kept_total or Decimal(0)) if entity.amount_column else None
    )

    # The rest, in Python: those coerce_record accepts join the stage, the others are rejects.
    others = conn.execute(
        sql.SQL(
            "select t._row + 1, {cols} from {text} t where not exists "
            "(select 1 from {stage} s where s._line = t._row + 1) order by t._row"
        ).format(
            cols=sql.SQL(", ").join(sql.Identifier(f"c{i}") for i in range(len(header))),
            text=text,
            stage=stage,
        )
    ).fetchall()
    if others:
        _second_look(batch, entity, stage, header, others, staged)
    log.debug(
        "%s: %d of %d rows typed by the server, %d read in Python", entity.name, kept, records, len(others)
    )
    return staged


def _second_look(
    batch: Batch, entity: Entity, stage: sql.Identifier, header: list[str], rows: list[tuple[Any, ...]],
    staged: Staged,
) -> None:  # fmt: skip
    amount_pos = entity.column_names.index(entity.amount_column) if entity.amount_column else None

    def accepted() -> Iterator[tuple[Any, ...]]:
        for line, *cells in rows:
            record = {name: "" if cell is None else cell for name, cell in zip(header, cells, strict=True)}
            if not any(str(v).strip() for v in record.values()):
                staged.rows_read -= 1  # a blank row is not a record (as when read in Python)
                continue
            result = coerce_record(entity, record, line_number=line)
            if isinstance(result, Reject):
                staged.rejects.append(result)
                continue
            if amount_pos is not None and staged.source_total is not None:
                staged.source_total += result[amount_pos]
            yield (*result, None, line)

    with batch.conn.cursor() as cur:
        warehouse.copy_rows(cur, stage, [*entity.column_names, "source_updated_at", "_line"], accepted())
