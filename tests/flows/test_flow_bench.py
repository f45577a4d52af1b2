"""The bench the flows' unit tests run on has the database the migrations make: a table or a
column the models have and the migrations lack (or the reverse) would make the unit tests
pass on a schema the service never runs on."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.flow_context import FlowBench


def columns(engine: sa.Engine) -> dict[str, set[str]]:
    """Each table's column names, but Alembic's own bookkeeping."""
    inspector = sa.inspect(engine)
    return {
        table: {column["name"] for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


def test_the_bench_has_every_table_and_column_the_migrations_make(
    bench: FlowBench, sqlite_template: Path
) -> None:
    migrated = sa.create_engine(f"sqlite:///{sqlite_template}")
    try:
        assert columns(bench.db) == columns(migrated)
    finally:
        migrated.dispose()
