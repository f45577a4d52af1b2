"""The SQL a caller's webhooks cost, held to what the hot-path work reached.

Not timed: counts are deterministic, so a change that adds a statement to the first
webhook of a call or to a menu step fails here, by name, before any benchmark runs.
The statements are those that reach the database driver in the webhook's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from hotline.container import Hotline
from tests.support.caller import DEMO_ZH, Caller, TwilioClient

# The first webhook of a 1001011 call: find the call (none yet) and the caller's subscriber
# with the account, then insert the call, what was queried, the held summary SMS, its first
# history row and the step's events (one INSERT for all of them).
FIRST_WEBHOOK = [
    "SELECT calls",
    "SELECT subscribers",
    "INSERT INTO calls",
    "INSERT INTO call_queries",
    "INSERT INTO sms_outbox",
    "INSERT INTO sms_status_events",
    "INSERT INTO call_events",
]
# A key at a menu: find the call, move it on, record the step's events.
MENU_STEP = ["SELECT calls", "UPDATE calls", "INSERT INTO call_events"]
# SQLite takes its write lock when the transaction begins (``ivr.db``).
SQLITE_BEGIN = ["BEGIN IMMEDIATE"]


@contextmanager
def statements(hotline: Hotline) -> Iterator[list[str]]:
    """What each statement run meanwhile does, by its first words (``SELECT calls``)."""
    seen: list[str] = []

    def executed(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(_summary(sql))

    event.listen(hotline.db, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(hotline.db, "before_cursor_execute", executed)


def _summary(sql: str) -> str:
    words = sql.split()
    if words[0] == "SELECT":
        return f"SELECT {words[words.index('FROM') + 1]}"
    return " ".join(words[:3] if words[0] in ("INSERT", "DELETE") else words[:2])


def _begin(backend: str) -> list[str]:
    return SQLITE_BEGIN if backend == "sqlite" else []


@pytest.mark.postgres
def test_the_first_webhook_of_a_balance_call_costs_seven_statements(
    backend: str, hotline: Hotline, twilio: TwilioClient
) -> None:
    caller = Caller(twilio, from_number=DEMO_ZH)
    with statements(hotline) as seen:
        caller.dial("1001011")
    assert "一百二十三元四角五分" in " ".join(caller.heard)  # the balance, not an apology
    assert seen == _begin(backend) + FIRST_WEBHOOK


@pytest.mark.postgres
def test_a_key_at_a_menu_costs_three_statements(
    backend: str, hotline: Hotline, twilio: TwilioClient
) -> None:
    caller = Caller(twilio, from_number=DEMO_ZH).dial("10010")
    with statements(hotline) as seen:
        caller.press("1")
    assert caller.heard  # the next menu was read out
    assert seen == _begin(backend) + MENU_STEP
