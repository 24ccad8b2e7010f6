"""What counts as a database outage (503 with Retry-After): told by exception type and
SQLSTATE (class 08, 57P01-57P03, 53300), never by the message's text."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.core.errors import DatabaseUnavailable, database_unavailable


@pytest.mark.parametrize(
    ("exc", "retryable"),
    [
        (asyncpg.ConnectionDoesNotExistError("gone"), True),  # 08003, lost mid-query
        (asyncpg.ConnectionFailureError("x"), True),  # 08006
        (asyncpg.AdminShutdownError("x"), True),  # 57P01: terminated, or a restart
        (asyncpg.CrashShutdownError("x"), True),  # 57P02
        (asyncpg.CannotConnectNowError("x"), False),  # 57P03: starting up
        (asyncpg.TooManyConnectionsError("x"), False),  # 53300
        (DatabaseUnavailable(retryable=True), True),
    ],
)
def test_outages(exc: BaseException, retryable: bool) -> None:
    problem = database_unavailable(exc)
    assert problem is not None
    assert problem.status_code == 503
    assert problem.retryable is retryable


def test_sqlalchemy_wrappers_by_their_cause_or_its_invalidation() -> None:
    wrapped = DBAPIError("SELECT 1", None, asyncpg.AdminShutdownError("x"))
    assert database_unavailable(wrapped) is not None
    invalidated = DBAPIError("SELECT 1", None, Exception("whatever"), connection_invalidated=True)
    problem = database_unavailable(invalidated)
    assert problem is not None
    assert problem.retryable
    unique = IntegrityError("INSERT", None, asyncpg.UniqueViolationError("dup"))
    assert database_unavailable(unique) is None


@pytest.mark.parametrize(
    "exc",
    [
        asyncpg.UniqueViolationError("connection refused"),  # 23505 whatever it says
        asyncpg.QueryCanceledError("the server is shutting down"),  # 57014
        asyncpg.InterfaceError("connection is closed"),  # no SQLSTATE: told by the connection
        ValueError("could not connect to server"),
        ConnectionRefusedError("refused"),  # an OSError outside connecting: not told here
    ],
)
def test_not_outages_whatever_the_message(exc: BaseException) -> None:
    assert database_unavailable(exc) is None
