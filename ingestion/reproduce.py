"""`arwh reproduce --run RUN_ID`: rebuild the reconciliation of a past run from its inputs and compare it with what
the run stored.

A run's reconciliation results are kept append-only (audit.reconciliation_snapshots and the rows under them,
migrations 010, 011). Its inputs are the raw tables as they stood when the run built its marts: every load batch up
to the last one started before the run's snapshot was recorded (loads and builds take turns: the DAG runs one date
at a time, its loads before its build). The raw tables have moved on since, but nothing is lost:

* raw ERP rows are merged, so a later extract rewrites them; migration 016 keeps each replaced version in
  raw_erp_history with the batch that replaced it. As of batch B a table is its current rows with
  _batch_id <= B and its kept versions with _batch_id <= B < _replaced_by_batch_id;
* bank and customer statement files are only ever added: a row belongs to the inputs when its _batch_id <= B. A
  statement that a correction replaced was current as of B when it is current now or its replacement came after B.

The inputs are laid out as views in scratch schemas (reproduce_<snapshot>_raw_erp, ..._raw_bank,
..._raw_statements); dbt builds the two reconciliation marts and everything they read for the run's date into
reproduce_<snapshot>_staging, _intermediate and _marts (vars source_schema_prefix and target_schema_prefix); the
rows are compared with the snapshot's, column by column; the scratch schemas are dropped (unless kept).

The bank reconciliation keeps its settled matches from run to run (decision 009), so a run's bank rows depend on
the settled matches it started from, not only on its inputs. The rebuild starts from the settled rows of the
snapshot recorded just before the run's (any run's: the builds take turns), laid out as a view in
reproduce_<snapshot>_settled and passed to dbt as var bank_settled_matches_from; the model keeps those that still
hold, as the run did. A build between the two snapshots that recorded none (a manual dbt run) may have settled
other matches: the comparison then shows the rows that differ.

The rebuild runs today's code: when the run recorded another code version, a difference may come from the code and
not the data, and the result says so. Runs recorded before the warehouse kept raw ERP history (migration 016) are
refused: an ERP row changed between them and then could not be rebuilt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from psycopg import sql

from ingestion import pipeline, transform, warehouse

log = logging.getLogger(__name__)

ERP_TABLES = (
    "customers",
    "invoices",
    "credit_notes",
    "payments",
    "payment_applications",
    "write_offs",
    "fx_rates",
)
FILE_TABLES = (("raw_bank", "statement_lines"), ("raw_statements", "statement_items"))
MARTS = ("fct_statement_reconciliation", "fct_bank_reconciliation")
SAMPLE = 20


class ReproduceError(RuntimeError):
    """The run cannot be reproduced (unknown run, no snapshot, inputs not recorded)."""


@dataclass
class Comparison:
    """One mart against the snapshot: rows in each, and the rows found on one side only."""

    mart: str
    stored_rows: int
    rebuilt_rows: int
    only_stored: list[tuple[Any, ...]] = field(default_factory=list)
    only_rebuilt: list[tuple[Any, ...]] = field(default_factory=list)
    only_stored_count: int = 0
    only_rebuilt_count: int = 0

    @property
    def equal(self) -> bool:
        return self.only_stored_count == 0 and self.only_rebuilt_count == 0


@dataclass
class Reproduction:
    run_id: str
    snapshot_id: int
    business_date: date
    input_batch_id: int
    recorded_code_version: str | None
    code_version: str | None
    comparisons: list[Comparison]
    scratch_prefix: str
    kept: bool

    @property
    def equal(self) -> bool:
        return all(c.equal for c in self.comparisons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "snapshot_id": self.snapshot_id,
            "business_date": self.business_date,
            "input_batch_id": self.input_batch_id,
            "recorded_code_version": self.recorded_code_version,
            "code_version": self.code_version,
            "same_code": self.recorded_code_version == self.code_version,
            "equal": self.equal,
            "scratch_schemas": f"{self.scratch_prefix}*" if self.kept else None,
            "marts": [
                {
                    "mart": c.mart,
                    "stored_rows": c.stored_rows,
                    "rebuilt_rows": c.rebuilt_rows,
                    "only_stored": c.only_stored_count,
                    "only_rebuilt": c.only_rebuilt_count,
                    "only_stored_sample": [list(r) for r in c.only_stored],
                    "only_rebuilt_sample": [list(r) for r in c.only_rebuilt],
                }
                for c in self.comparisons
            ],
        }


def _run_snapshot(conn: Any, run_id: str) -> tuple[int, date, datetime, str | None]:
    run = conn.execute(
        "select business_date from audit.pipeline_runs where run_id = %s", (run_id,)
    ).fetchone()
    snapshot = conn.execute(
        """select snapshot_id, as_of_date, recorded_at, code_version from audit.reconciliation_snapshots
            where run_id = %s order by snapshot_id desc limit 1""",
        (run_id,),
    ).fetchone()
    if snapshot is None:
        known = "is in audit.pipeline_runs but" if run else "is not in audit.pipeline_runs and"
        raise ReproduceError(
            f"run {run_id!r} {known} recorded no reconciliation (audit.reconciliation_snapshots)"
        )
    return snapshot[0], snapshot[1], snapshot[2], snapshot[3]


def _input_batch(conn: Any, recorded_at: datetime) -> int:
    """The last load batch started before the snapshot was recorded: the run's inputs end there."""
    started = conn.execute("select min(started_at) from raw_erp_history.recording").fetchone()
    if started is None or started[0] is None or started[0] > recorded_at:
        since = started[0] if started else None
        raise ReproduceError(
            f"the run was recorded at {recorded_at}, before the warehouse kept the versions of raw ERP rows "
            f"(raw_erp_history, since {since}): its inputs cannot be rebuilt"
        )
    row = conn.execute(
        "select coalesce(max(batch_id), 0) from audit.load_batches where started_at < %s", (recorded_at,)
    ).fetchone()
    return int(row[0])


def _columns(conn: Any, schema: str, table: str) -> list[str]:
    rows = conn.execute(
        """select column_name from information_schema.columns
            where table_schema = %s and table_name = %s order by ordinal_position""",
        (schema, table),
    ).fetchall()
    return [r[0] for r in rows]


def _create_inputs(conn: Any, prefix: str, batch: int) -> None:
    """The raw tables as of load batch `batch`, as views in the scratch schemas."""
    ident, literal = sql.Identifier, sql.Literal
    for schema in ("raw_erp", "raw_bank", "raw_statements"):
        conn.execute(sql.SQL("create schema {}").format(ident(prefix + schema)))
    for table in ERP_TABLES:
        columns = sql.SQL(", ").join(map(ident, _columns(conn, "raw_erp", table)))
        conn.execute(
            sql.SQL(
                """create view {view} as
                   select {columns} from raw_erp.{table} where _batch_id <= {batch}
                   union all
                   select {columns} from raw_erp_history.{table}
                    where _batch_id <= {batch} and _replaced_by_batch_id > {batch}"""
            ).format(
                view=sql.SQL("{}.{}").format(ident(prefix + "raw_erp"), ident(table)),
                columns=columns,
                table=ident(table),
                batch=literal(batch),
            )
        )
    for schema, table in FILE_TABLES:
        conn.execute(
            sql.SQL("create view {view} as select * from {schema}.{table} where _batch_id <= {batch}").format(
                view=sql.SQL("{}.{}").format(ident(prefix + schema), ident(table)),
                schema=ident(schema),
                table=ident(table),
                batch=literal(batch),
            )
        )
    # A statement replaced after the batch was still current then, and not yet superseded.
    replaced_later = {
        "raw_bank": """exists (select 1 from raw_bank.statements as replacement
                                where replacement.file_sha256 = s.superseded_by_sha256
                                  and replacement.statement_index = s.superseded_by_index
                                  and replacement._batch_id > {batch})""",
        "raw_statements": """exists (select 1 from raw_statements.statements as replacement
                                      where replacement.file_sha256 = s.superseded_by_sha256
                                        and replacement.customer_id = s.customer_id
                                        and replacement.statement_date = s.statement_date
                                        and replacement._batch_id > {batch})""",
    }
    for schema, condition in replaced_later.items():
        later = sql.SQL(condition).format(batch=literal(batch))
        expressions = []
        for column in _columns(conn, schema, "statements"):
            if column == "is_current":
                expressions.append(sql.SQL("(s.is_current or {later}) as is_current").format(later=later))
            elif column.startswith("superseded_"):
                expressions.append(
                    sql.SQL("case when {later} then null else s.{c} end as {c}").format(
                        later=later, c=ident(column)
                    )
                )
            else:
                expressions.append(sql.SQL("s.{}").format(ident(column)))
        conn.execute(
            sql.SQL(
                "create view {view} as select {expressions} from {schema}.statements as s "
                "where s._batch_id <= {batch}"
            ).format(  # fmt: skip
                view=sql.SQL("{}.statements").format(ident(prefix + schema)),
                expressions=sql.SQL(", ").join(expressions),
                schema=ident(schema),
                batch=literal(batch),
            )
        )


def _scratch_schemas(conn: Any, prefix: str) -> list[str]:
    rows = conn.execute(
        "select nspname from pg_namespace where nspname like %s", (prefix.replace("_", r"\_") + "%",)
    ).fetchall()
    return [r[0] for r in rows]


def _drop_scratch(url: str | None, prefix: str) -> None:
    with warehouse.connect(url) as conn:
        for schema in _scratch_schemas(conn, prefix):
            conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))


def _compare(
    conn: Any, mart: str, rebuilt: str, stored: sql.Composable, columns: tuple[str, ...]
) -> Comparison:
    """`stored`: the snapshot's rows, a FROM item (a table filtered on the snapshot, or the bank snapshot's
    function)."""
    listed = sql.SQL(", ").join(map(sql.Identifier, columns))
    rebuilt_rows = sql.SQL("select {c} from {r}").format(c=listed, r=sql.SQL(rebuilt))
    stored_rows = sql.SQL("select {c} from {s}").format(c=listed, s=stored)

    def one_side(left: sql.Composable, right: sql.Composable) -> tuple[int, list[tuple[Any, ...]]]:
        difference = sql.SQL("({left}) except all ({right})").format(left=left, right=right)
        (count,) = conn.execute(sql.SQL("select count(*) from ({d}) as d").format(d=difference)).fetchone()
        sample = conn.execute(
            sql.SQL("select * from ({d}) as d order by 1, 2, 3 limit {n}").format(
                d=difference, n=sql.Literal(SAMPLE)
            )
        ).fetchall()
        return int(count), sample

    only_stored_count, only_stored = one_side(stored_rows, rebuilt_rows)
    only_rebuilt_count, only_rebuilt = one_side(rebuilt_rows, stored_rows)
    (n_stored,) = conn.execute(sql.SQL("select count(*) from ({q}) as q").format(q=stored_rows)).fetchone()
    (n_rebuilt,) = conn.execute(sql.SQL("select count(*) from ({q}) as q").format(q=rebuilt_rows)).fetchone()
    return Comparison(
        mart=mart,
        stored_rows=int(n_stored),
        rebuilt_rows=int(n_rebuilt),
        only_stored=only_stored,
        only_rebuilt=only_rebuilt,
        only_stored_count=only_stored_count,
        only_rebuilt_count=only_rebuilt_count,
    )


def _stored_bank_columns(conn: Any, snapshot: int) -> tuple[str, ...]:
    """The bank columns the snapshot has: one recorded before the match groups (migration 015) has them empty, one
    recorded before the settled matches (migration 019) has is_settled empty (payment_reference then too)."""
    grouped, settled = conn.execute(
        """select count(*) filter (where match_group_key is not null) = count(*),
                  count(*) filter (where is_settled is not null) = count(*)
             from audit.bank_reconciliation_snapshot(%s)""",
        (snapshot,),
    ).fetchone()
    missing = (() if grouped else ("match_group_key", "match_group_size")) + (
        () if settled else ("payment_reference", "is_settled")
    )
    return tuple(c for c in pipeline.BANK_RESULT_COLUMNS if c not in missing)


def _settled_from(conn: Any, prefix: str, snapshot: int) -> str | None:
    """The settled bank matches the run started from: the rows of the snapshot before it, as a view (None when
    there is no earlier snapshot, or it predates migration 019 and recorded none)."""
    row = conn.execute(
        """select max(snapshot_id) from audit.reconciliation_snapshots where snapshot_id < %s""", (snapshot,)
    ).fetchone()
    previous = row[0] if row else None
    if previous is None:
        return None
    (recorded,) = conn.execute(
        """select count(*) filter (where is_settled is not null) > 0
             from audit.bank_reconciliation_snapshot(%s)""",
        (previous,),
    ).fetchone()
    if not recorded:
        return None
    schema = prefix + "settled"
    conn.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
    conn.execute(
        sql.SQL(
            "create view {}.bank_settled_matches as select * from audit.bank_reconciliation_snapshot({})"
            " where is_settled"
        ).format(sql.Identifier(schema), sql.Literal(previous))
    )
    return f'"{schema}".bank_settled_matches'


def reproduce(run_id: str, *, url: str | None = None, keep: bool = False) -> Reproduction:
    """Rebuild run `run_id`'s reconciliation from its inputs and compare it with its latest snapshot."""
    with warehouse.connect(url) as conn:
        snapshot, business_date, recorded_at, recorded_code = _run_snapshot(conn, run_id)
        batch = _input_batch(conn, recorded_at)
    prefix = f"reproduce_{snapshot}_"
    _drop_scratch(url, prefix)  # what an interrupted attempt left
    try:
        with warehouse.connect(url) as conn:
            _create_inputs(conn, prefix, batch)
            settled_from = _settled_from(conn, prefix, snapshot)
            conn.commit()
        log.info(
            "run %s: inputs as of load batch %s in %s*; building %s", run_id, batch, prefix, ", ".join(MARTS)
        )
        transform.run_dbt(
            [
                "build", "--select", *(f"+{m}" for m in MARTS),
                "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
                "--vars", _vars(business_date, prefix, settled_from),
            ],
            url=url,
        )  # fmt: skip
        with warehouse.connect(url) as conn:
            comparisons = [
                _compare(
                    conn, "fct_statement_reconciliation", f'"{prefix}marts".fct_statement_reconciliation',
                    sql.SQL("audit.statement_reconciliation_results where snapshot_id = {}").format(
                        sql.Literal(snapshot)
                    ),
                    pipeline.RESULT_COLUMNS,
                ),
                _compare(
                    conn, "fct_bank_reconciliation", f'"{prefix}marts".fct_bank_reconciliation',
                    sql.SQL("audit.bank_reconciliation_snapshot({}) as stored").format(sql.Literal(snapshot)),
                    _stored_bank_columns(conn, snapshot),
                ),
            ]  # fmt: skip
    finally:
        if not keep:
            _drop_scratch(url, prefix)
    return Reproduction(
        run_id=run_id,
        snapshot_id=snapshot,
        business_date=business_date,
        input_batch_id=batch,
        recorded_code_version=recorded_code,
        code_version=pipeline.code_version(),
        comparisons=comparisons,
        scratch_prefix=prefix,
        kept=keep,
    )


def _vars(business_date: date, prefix: str, settled_from: str | None = None) -> str:
    import json

    values = {
        "as_of_date": business_date.isoformat(),
        "source_schema_prefix": prefix,
        "target_schema_prefix": prefix,
    }
    if settled_from is not None:
        values["bank_settled_matches_from"] = settled_from
    return json.dumps(values)
