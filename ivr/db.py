"""Database engine and sessions: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from ivr.clock import CLOCK_OPTION, Clock
from ivr.config import DEFAULT_DB_LOCK_TIMEOUT_S, ConfigError

SQLITE_UNBOUNDED_WAIT_S = 30.0
"""How long the migrations wait for SQLite's write lock."""


class Base(DeclarativeBase):
    """Declarative base of every model; its metadata is what Alembic migrates."""


def make_engine(
    database_url: str,
    clock: Clock,
    *,
    lock_timeout_s: float | None = DEFAULT_DB_LOCK_TIMEOUT_S,
    create: bool = False,
) -> sa.Engine:
    """An engine tuned for the backend whose column defaults take "now" from *clock*.

    Waits for a lock (and, on PostgreSQL, any statement) last at most *lock_timeout_s*, then
    fail: a webhook answers well within Twilio's 15 s. ``None`` (migrations) bounds nothing
    on PostgreSQL and waits up to 30 s on SQLite.

    SQLite is opened read-write only: a missing file is a :class:`ConfigError` here and an
    error on every later connection, never a new empty database, unless *create* (the
    migrations, which make the file). A connection whose file was removed or replaced is
    not used again.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = _sqlite(url, lock_timeout_s, create=create)
    else:
        engine = _server(url, lock_timeout_s)
    return engine.execution_options(**{CLOCK_OPTION: clock})


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _server(url: URL, lock_timeout_s: float | None) -> sa.Engine:
    connect_args: dict[str, Any] = {}
    if lock_timeout_s is not None and url.get_backend_name() == "postgresql":
        # Per connection, so that every transaction of every process is bounded.
        bounds = f"-c lock_timeout={_ms(lock_timeout_s)} -c statement_timeout={_ms(lock_timeout_s)}"
        given = url.query.get("options")
        connect_args["options"] = f"{given} {bounds}" if isinstance(given, str) else bounds
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args
    )


def _sqlite(url: URL, lock_timeout_s: float | None, *, create: bool) -> sa.Engine:
    wait_s = SQLITE_UNBOUNDED_WAIT_S if lock_timeout_s is None else lock_timeout_s
    path = _sqlite_file(url)
    if path is not None:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise ConfigError(
                f"DATABASE_URL names the SQLite file {path}, which does not exist "
                "(create it with `ivr db upgrade`)"
            )
        # A URI filename, so that SQLite's mode applies: rw fails on a missing file.
        url = url.set(
            database="file:" + quote(str(path)),
            query={**url.query, "uri": "true", "mode": "rwc" if create else "rw"},
        )
    engine = sa.create_engine(url, connect_args={"timeout": wait_s, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
        # Python's sqlite3 opens transactions lazily; take over so BEGIN IMMEDIATE works.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Under WAL, NORMAL survives any process crash; only an OS crash can lose the
        # last commits. Production runs on PostgreSQL.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={_ms(wait_s)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        if path is not None:
            record.info[_FILE] = _identity(path)

    @event.listens_for(engine, "checkout")
    def _same_file(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # An open connection to a removed file would keep committing into the unlinked
        # inode; the pool drops it and reconnects, which fails (mode=rw) if the file is gone.
        if path is not None and _identity(path) != record.info.get(_FILE):
            raise sa.exc.DisconnectionError(f"{path} was removed or replaced")

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: sa.Connection) -> None:
        # Take the write lock at the start: no deadlock between two writers upgrading.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


_FILE = "ivr.sqlite_file"
"""Where a pooled SQLite connection keeps the identity of the file it opened."""


def _sqlite_file(url: URL) -> Path | None:
    """The file a plain SQLite URL names (absolute); None for memory or a URI the URL spells
    out itself (``?uri=true``: its own mode applies)."""
    if not url.database or url.database == ":memory:" or url.query.get("uri"):
        return None
    return Path(os.path.abspath(url.database))


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


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
