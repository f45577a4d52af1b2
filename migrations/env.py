"""Alembic environment: migrates ivr.models' metadata on the database the caller passes in."""

from __future__ import annotations

from alembic import context

import app  # noqa: F401  (imports every module, and so registers every table on Base.metadata)
from ivr.clock import SystemClock
from ivr.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    # The one place that may create the database (a new SQLite file); it waits for locks
    # as long as a migration needs.
    engine = make_engine(
        config.get_main_option("sqlalchemy.url") or "",
        SystemClock(),
        lock_timeout_s=None,
        create=True,
    )
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; use `ivr db upgrade`")
run_migrations_online()
