"""ingestion.errors.classify: which failures the ar_daily tasks retry (transient) and which fail at once (bad input,
code faults). The exceptions are the ones the libraries really raise, built the way they build them."""

from __future__ import annotations

import json
from decimal import InvalidOperation

import psycopg
import psycopg.errors
import pytest
import sqlalchemy.exc

from ingestion.errors import Failure, classify
from ingestion.pipeline import WarehouseLocked


def _raised_from(outer: type[Exception], inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer("wrapped") from exc
    except Exception as wrapped:
        return wrapped


@pytest.mark.parametrize(
    "error",
    [
        # What a session gets when the server is stopped under it (SQLSTATE 57P01), or started while it connects.
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
        psycopg.OperationalError("connection failed: Connection refused"),
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.InterfaceError("the connection is closed"),
        sqlalchemy.exc.OperationalError(
            "select 1", {}, psycopg.OperationalError("server closed the connection")
        ),
        ConnectionResetError("reset by peer"),
        TimeoutError("timed out"),
        WarehouseLocked("run X has been writing the warehouse since ..."),
    ],
    ids=lambda e: type(e).__name__,
)
def test_lost_connections_timeouts_and_the_lock_are_transient(error: BaseException) -> None:
    assert classify(error) is Failure.TRANSIENT


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.InvalidTextRepresentation('invalid input syntax for type numeric: "12,50"'),
        psycopg.errors.UniqueViolation("duplicate key value violates unique constraint"),
        psycopg.errors.UndefinedTable('relation "raw_erp.nope" does not exist'),
        sqlalchemy.exc.DataError(
            "insert", {}, psycopg.errors.NumericValueOutOfRange("numeric field overflow")
        ),
        ValueError("landing/source.json: erp.url is required for an ERP database"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        json.JSONDecodeError("Expecting value", "{", 1),
        KeyError("amount"),
        InvalidOperation([InvalidOperation]),
    ],
    ids=lambda e: type(e).__name__,
)
def test_bad_input_and_code_faults_are_permanent(error: BaseException) -> None:
    assert classify(error) is Failure.PERMANENT


def test_the_cause_decides_when_the_wrapper_says_nothing() -> None:
    # A RuntimeError raised from a lost connection is a lost connection; from a bad value it is bad input.
    assert classify(_raised_from(RuntimeError, psycopg.errors.AdminShutdown("x"))) is Failure.TRANSIENT
    assert classify(_raised_from(RuntimeError, KeyError("amount"))) is Failure.PERMANENT


def test_a_failure_known_only_by_its_text_is_judged_by_it() -> None:
    # A dbt subprocess reports a lost server as text in a generic exception.
    dbt = RuntimeError("Database Error in model fct_invoices\n  server closed the connection unexpectedly")
    assert classify(dbt) is Failure.TRANSIENT
    assert classify(RuntimeError("dbt build failed: 1 test failed")) is Failure.UNKNOWN
