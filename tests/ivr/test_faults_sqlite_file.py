"""A removed or missing SQLite file fails loudly: ``/healthz`` turns unhealthy, the service
will not start, and no empty database is created in its place. Only the migrations create
the file."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from hotline.cli import main
from ivr.config import ConfigError
from prompts.catalog import prompts
from tests.support.caller import DEMO_ZH, Caller

DOWN = {"status": "unavailable", "database": "down"}


def _app(database_url: str) -> Flask:
    return create_app(
        {
            "env": "test",
            "database_url": database_url,
            "public_base_url": "http://hotline.test",
            "prompt_audio": False,
        }
    )


def _remove(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def test_removing_the_file_under_a_running_app_turns_healthz_unhealthy(
    client: FlaskClient, caller: Caller, database_url: str
) -> None:
    database = Path(database_url.removeprefix("sqlite:///"))
    caller.dial("10010", DEMO_ZH)  # the pool now holds a connection to the file
    assert client.get("/healthz").json == {"status": "ok", "database": "up"}

    _remove(database)

    health = client.get("/healthz")
    assert (health.status_code, health.json) == (503, DOWN)
    # A caller hears the apology and an agent, and no empty database took the file's place.
    answer = caller.twilio.post("/voice/incoming", caller.params(CallStatus="ringing"))
    assert answer.status_code == 200
    assert prompts("zh-CN")["error.technical"] in answer.get_data(as_text=True)
    assert not database.exists()


def test_an_unmigrated_database_is_unhealthy(tmp_path: Path) -> None:
    database = tmp_path / "empty.db"
    sqlite3.connect(database).close()  # a file, but no tables
    app = _app(f"sqlite:///{database}")
    try:
        health = app.test_client().get("/healthz")
        assert (health.status_code, health.json) == (503, DOWN)
    finally:
        app.extensions["hotline"].db.dispose()


def test_starting_against_a_missing_file_fails_naming_database_url(tmp_path: Path) -> None:
    database = tmp_path / "var" / "hotline.db"
    with pytest.raises(ConfigError, match=r"DATABASE_URL .*var/hotline\.db.*ivr db upgrade"):
        _app(f"sqlite:///{database}")

    worker = CliRunner().invoke(
        main, ["worker", "--once"], env={"DATABASE_URL": f"sqlite:///{database}"}
    )
    assert worker.exit_code == 1
    assert "configuration: DATABASE_URL" in worker.output
    assert not database.exists() and not database.parent.exists()


@pytest.mark.parametrize("folder", ["fresh checkout", "odd #%20 name"])
def test_the_migrations_create_the_database_and_the_app_then_opens_it(
    tmp_path: Path, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    database_url = f"sqlite:///{folder}/var/hotline.db"  # relative, as the default is
    upgraded = CliRunner().invoke(main, ["db", "upgrade"], env={"DATABASE_URL": database_url})
    assert upgraded.exit_code == 0, upgraded.output
    assert (tmp_path / folder / "var" / "hotline.db").is_file()

    app: Any = _app(database_url)
    try:
        assert app.test_client().get("/healthz").json == {"status": "ok", "database": "up"}
    finally:
        app.extensions["hotline"].db.dispose()
