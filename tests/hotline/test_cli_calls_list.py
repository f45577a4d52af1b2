"""`ivr calls list` shows when each call started in Shanghai time, and says so."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hotline.cli import main
from ivr.models import Call
from tests.support.caller import DEMO_ZH, Caller


def test_calls_list_shows_the_start_in_shanghai_time_with_its_offset(
    app: Any, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    hotline = app.extensions["hotline"]
    caller.dial("1001011", DEMO_ZH)
    caller.hang_up()
    with hotline.sessions.begin() as session:  # rows store naive UTC
        session.execute(sa.update(Call).values(started_at=dt.datetime(2026, 11, 28, 12, 45, 7)))
    monkeypatch.setenv("DATABASE_URL", hotline.settings.database_url)

    listed = CliRunner().invoke(main, ["calls", "list"], catch_exceptions=False)

    assert listed.exit_code == 0, listed.output
    assert listed.output == (
        f"{caller.call_sid} 2026-11-28 20:45:07+08:00 from +86{DEMO_ZH} to 1001011 "
        "[completed] state balance queried balance\n"
    )
