"""`ivr calls list` and `ivr calls show` give times in Shanghai time, and say so."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hotline.cli import main
from ivr.models import Call, CallEvent
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


def test_calls_show_gives_each_step_in_shanghai_time_and_says_so(
    app: Any, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: `calls show` printed UTC without saying so, beside `calls list`'s Shanghai."""
    hotline = app.extensions["hotline"]
    caller.dial("1001011", DEMO_ZH)
    caller.hang_up()
    with hotline.sessions.begin() as session:  # rows store naive UTC
        session.execute(sa.update(Call).values(started_at=dt.datetime(2026, 11, 28, 16, 5, 0)))
        session.execute(sa.update(CallEvent).values(at=dt.datetime(2026, 11, 28, 16, 5, 9)))
    monkeypatch.setenv("DATABASE_URL", hotline.settings.database_url)

    shown = CliRunner().invoke(main, ["calls", "show", caller.call_sid], catch_exceptions=False)

    assert shown.exit_code == 0, shown.output
    header, *steps = shown.output.splitlines()
    assert header == (
        f"{caller.call_sid} from +86{DEMO_ZH} to 1001011, started "
        "2026-11-29 00:05:00+08:00 (times below: Shanghai)"
    )
    assert steps and all(step.startswith("00:05:09 ") for step in steps)
