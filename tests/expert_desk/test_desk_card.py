"""The agent's card (issue 24): where the caller went, in words an agent reads rather than the
flows' state names, and the account the caller heard about (its balance and line status)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, render_template

import flows
from expert_desk import steps, views
from expert_desk.desk import Desk
from ivr.models import Subscriber
from tests.support.caller import DEMO_ARREARS, DEMO_ZH, STRANGER, Caller
from tests.support.desk import STILL_AT_T0, add_agent, db, offer_of

pytestmark = STILL_AT_T0  # 11:00 in Shanghai: the general agents' line is open


def offered_card(app: Flask, desk: Desk, agent_id: int) -> tuple[views.CallCard, str]:
    """The card of the call offered to *agent_id*, and as the console renders it."""
    desk.tick()
    offer_of(desk, agent_id)
    with db(desk) as session:
        page = views.agent_page(session, agent_id, desk.now())
    assert page.offer is not None
    with app.test_request_context():
        html = render_template("desk/_call.html", call=page.offer.call, full=False)
    return page.offer.call, html


def test_the_path_is_in_words_and_the_card_shows_the_balance_and_the_line(
    app: Flask, caller: Caller, desk: Desk
) -> None:
    agent_id = add_agent(desk, "gen.one", {"general": 2}, at=desk.now())
    caller.dial("10010", DEMO_ZH).press("1").press("1").press("1").press("0")

    card, html = offered_card(app, desk, agent_id)

    assert card.path == (
        "Language menu",
        "Main menu",
        "Queries",
        "Balance",
        "Asked for an agent",
        "Waiting in line",
    )
    assert card.queried == ("Balance",)
    assert "Main menu › Queries › Balance › Asked for an agent" in html
    assert "expert_desk." not in html and "queries ›" not in html
    assert '<dd class="account">CNY 123.45 in credit · line open</dd>' in html


def test_a_suspended_line_in_arrears_is_shown_so(app: Flask, caller: Caller, desk: Desk) -> None:
    with db(desk) as session:
        session.execute(
            sa.update(Subscriber)
            .where(Subscriber.msisdn == DEMO_ARREARS)
            .values(line_status="suspended_arrears")
        )
    agent_id = add_agent(desk, "gen.one", {"general": 2}, at=desk.now())
    caller.dial("1001011", DEMO_ARREARS).press("0")

    card, html = offered_card(app, desk, agent_id)

    assert (card.balance, card.line) == ("owes CNY 23.50", "suspended for arrears")
    assert '<dd class="account">owes CNY 23.50 · line suspended for arrears</dd>' in html


def test_a_caller_who_is_no_subscriber_shows_no_account(
    app: Flask, caller: Caller, desk: Desk
) -> None:
    agent_id = add_agent(desk, "gen.one", {"general": 2}, at=desk.now())
    caller.dial("10010", STRANGER).press("1").press("0")

    card, html = offered_card(app, desk, agent_id)

    assert card.balance is None
    assert 'class="account"' not in html


def test_every_state_of_the_hotline_has_words_for_the_console() -> None:
    """A new state needs a label in expert_desk/steps.py, or the console shows its name."""
    missing = sorted(set(flows.states()) - set(steps.STEP_LABELS))
    assert missing == []
    for state, label in steps.STEP_LABELS.items():
        assert label != state and "." not in label and "_" not in label, label
