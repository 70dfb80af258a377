"""Which failures are worth a retry: a transient fault of the warehouse or the network, or a fault in the input or
the code that a retry would only repeat.

The ar_daily tasks use this through their Airflow retry policy (dags/common): a transient failure is retried with
backoff, bad input or a code fault fails the task at once (and is notified), and anything else gets the task's
ordinary retries. Kept free of Airflow so it can be tested, and used, on its own.
"""

from __future__ import annotations

import decimal
from enum import Enum

import psycopg
import sqlalchemy.exc

from ingestion.pipeline import WarehouseLocked


class Failure(Enum):
    TRANSIENT = "transient"
    """The database restarted or dropped the connection, a network call timed out, another run holds the lock."""
    PERMANENT = "permanent"
    """Bad input or a fault in the code: the same run fails the same way again."""
    UNKNOWN = "unknown"


# Connection lost, server shutting down or starting up (57P01, 57P03), statement timeout, deadlock and
# serialization failures: psycopg reports every one of them as an OperationalError.
_TRANSIENT: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,  # "the connection is closed": a connection the restart took away
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DisconnectionError,
    ConnectionError,
    TimeoutError,
    WarehouseLocked,
)

# A value the database refuses (22xxx), a broken key (23xxx), SQL that does not fit the schema (42xxx), and the
# errors the loaders raise for bad records and settings.
_PERMANENT: tuple[type[BaseException], ...] = (
    psycopg.DataError,
    psycopg.IntegrityError,
    psycopg.ProgrammingError,
    sqlalchemy.exc.DataError,
    sqlalchemy.exc.IntegrityError,
    sqlalchemy.exc.ProgrammingError,
    ValueError,  # UnicodeDecodeError, json.JSONDecodeError and the loaders' own checks among them
    LookupError,
    TypeError,
    AttributeError,
    decimal.InvalidOperation,
    ArithmeticError,
)

# The text libpq and PostgreSQL give a lost server, for failures that arrive as text only (a dbt subprocess).
_TRANSIENT_MESSAGES = (
    "server closed the connection unexpectedly",
    "terminating connection due to administrator command",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "connection refused",
    "could not connect to server",
    "connection to server at",
)


def classify(error: BaseException) -> Failure:
    """What kind of failure `error` is, judged by its type, then by the errors it was raised from, then by its text.

    The chain matters because wrappers hide the cause: SQLAlchemy wraps psycopg's errors, and a loader that adds
    the file's name re-raises with `from`."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _TRANSIENT):
            return Failure.TRANSIENT
        if isinstance(current, _PERMANENT):
            return Failure.PERMANENT
        current = current.__cause__ or current.__context__
    text = str(error).lower()
    if any(message in text for message in _TRANSIENT_MESSAGES):
        return Failure.TRANSIENT
    return Failure.UNKNOWN
