"""The desk shows an agent that the caller's line has not completed real-name registration."""

from __future__ import annotations

from flask import Flask, render_template

from expert_desk import views
from expert_desk.models import DeskCall
from ivr.models import Call, Subscriber
from tests.support.caller import DEMO_ZH
from tests.support.desk import STILL_AT_T0, T0, db, use_test_doubles, waiting_caller

pytestmark = STILL_AT_T0


def _card_html(app: Flask, verified: bool) -> str:
    desk, _, _ = use_test_doubles(app)
    caller = waiting_caller(desk, "ios")
    with db(desk) as session:
        subscriber = session.scalar(Subscriber.by_msisdn(DEMO_ZH))
        assert subscriber is not None
        subscriber.real_name_verified = verified
        desk_call = session.get_one(DeskCall, caller)
        call = session.get_one(Call, desk_call.call_id)
        call.subscriber = subscriber
        session.flush()
        card = views.card(session, desk_call, T0)
    with app.test_request_context():
        return render_template("desk/_call.html", call=card, full=False)


def test_an_unregistered_line_is_flagged_on_the_agents_card(app: Flask) -> None:
    html = _card_html(app, verified=False)
    assert '<dd class="real-name"><strong>not registered</strong>' in html


def test_a_registered_line_carries_no_flag(app: Flask) -> None:
    assert "real-name" not in _card_html(app, verified=True)
