"""Schema migrations (Alembic), run by `ivr db upgrade` and by the test fixtures."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations

SCRIPT_LOCATION = Path(migrations.__file__).parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database at *database_url* up to *revision*. A missing SQLite file is
    created (migrations/env.py asks for it): the app and the worker never create one."""
    command.upgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
