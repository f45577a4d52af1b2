"""Database engine and sessions: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from ivr.clock import CLOCK_OPTION, Clock


class Base(DeclarativeBase):
    """Declarative base of every model; its metadata is what Alembic migrates."""


def make_engine(database_url: str, clock: Clock) -> sa.Engine:
    """An engine tuned for the backend (WAL and a busy timeout on SQLite) whose column
    defaults take "now" from *clock*."""
    return _engine(database_url).execution_options(**{CLOCK_OPTION: clock})


def _engine(database_url: str) -> sa.Engine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Python's sqlite3 opens transactions lazily; take over so BEGIN IMMEDIATE works.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Under WAL, NORMAL survives any process crash; only an OS crash can lose the
        # last commits. Production runs on PostgreSQL.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: sa.Connection) -> None:
        # Take the write lock at the start: no deadlock between two writers upgrading.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


E = TypeVar("E", bound=StrEnum)


def enum_text(kind: type[E], length: int = 16) -> sa.Enum:
    """A column type for a life cycle of *kind*: stored as the members' text, read back as
    members (no database enum type, so adding a status needs no migration)."""
    return sa.Enum(
        kind, native_enum=False, length=length, values_callable=lambda ms: [m.value for m in ms]
    )
