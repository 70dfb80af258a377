"""The connection URL that scopes the raw-load checks (expectations.context.scoped_url): no database needed."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from expectations.context import SCOPE_SETTING, scoped_url


def test_a_scope_is_added_to_the_connection_options_and_keeps_the_callers() -> None:
    # The caller's own options (a statement timeout) stay, the scope follows them: libpq applies both.
    url = (
        "postgresql://loader:p%40ss@db.example:5432/ar?options=-c%20statement_timeout%3D5000&sslmode=require"
    )

    scoped = make_url(scoped_url(url, 812))

    assert scoped.drivername == "postgresql+psycopg"
    assert scoped.password == "p@ss"  # the password survives the round trip, escaped again
    assert scoped.query["sslmode"] == "require"
    assert scoped.query["options"] == f"-c statement_timeout=5000 -c {SCOPE_SETTING}=812"


def test_without_a_scope_the_url_is_only_given_the_driver() -> None:
    url = "postgresql://loader@db.example/ar"
    assert scoped_url(url, None) == "postgresql+psycopg://loader@db.example/ar"
    assert make_url(scoped_url(url, 0)).query["options"] == f"-c {SCOPE_SETTING}=0"
