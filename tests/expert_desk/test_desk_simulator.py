"""Whole desk calls over real HTTP: the app on a loopback port, the simulated network as the
caller, the REST stand-in taking the desk's real ``twilio`` client requests (redirects,
callbacks), as Twilio would."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from expert_desk import agents
from expert_desk.demo import DEMO_AGENTS
from simulator.inputs import Press, Speak
from tests.support.desk import (
    HoldingCaller,
    agent,
    answering_in_browser,
    available,
    db,
    desk_call,
    desk_of,
    events,
    offer_of,
    pending_offers,
)
from tests.support.live import LiveHotline, live_hotline
from tests.support.polling import PATIENCE_S, wait_for
from tests.support.simulator import SERVICE_NUMBER

ZH = "+8613800138000"
HOLD_S = PATIENCE_S  # real seconds a simulated caller holds: only a broken desk lasts it


@pytest.fixture
def live(database_url: str) -> Iterator[LiveHotline]:
    config = {
        "env": "test",
        "database_url": database_url,
        "prompt_audio": False,
        "desk_hours": "00:00-24:00",
    }
    with live_hotline(config) as hotline:
        hotline.network.config = dataclasses.replace(hotline.network.config, hold_timeout=HOLD_S)
        # The demo agents' browser phones pick up what they accept (no browser phone here).
        answering_in_browser(
            hotline.network, desk_of(hotline.app), *(a.username for a in DEMO_AGENTS)
        )
        yield hotline


def heard(result: Any) -> str:
    return " ".join(h.text for h in result.transcript)


@pytest.mark.postgres
def test_a_spoken_question_waits_in_line_and_accepting_connects_it_to_the_expert(
    live: LiveHotline,
) -> None:
    desk = desk_of(live.app)
    expert = available(desk, "li.na")
    available(desk, "zhang.wei")
    with db(desk) as session:  # the iOS expert takes calls once the caller is in line
        agents.set_status(session, expert, "break", "meeting", desk.now())
    call = live.network.start(
        live.network.inbound_spec("10010", ZH),
        HoldingCaller([Press("1"), Press("4"), Speak("我的iPhone连不上WiFi")], talk_s=30),
    )
    live.network.wait_for_queue("expert-desk", 1, timeout=HOLD_S)
    with db(desk) as session:
        agents.set_status(session, expert, "available", None, desk.now())

    # Any process may route the caller: this one, or the wait music's request in the server.
    wait_for(lambda: desk.tick() and pending_offers(desk), "the offer")
    [(caller, offered_to)] = pending_offers(desk)
    assert offered_to == expert
    row = desk_call(desk, caller)
    assert (row.topic, row.transcript, row.phone_model) == (
        "ios",
        "我的iPhone连不上WiFi",
        "Huawei Mate 60",
    )
    desk.accept(expert, offer_of(desk, expert))
    result = call.result(timeout=HOLD_S)

    assert result.errors == [], result.errors
    assert "正在为您接通专家" in heard(result)
    redirects = [
        r
        for r in live.standin.requests
        if r.method == "POST" and r.path.endswith(f"{row.call_sid}.json")
    ]
    assert [r.form["Url"] for r in redirects] == [f"{live.server.url}/voice/desk/connect/{caller}"]
    wait_for(lambda: desk_call(desk, caller).status == "completed", "the call to complete")
    assert desk_call(desk, caller).talk_s == 30
    assert agent(desk, expert).state == "wrap_up"
    kinds = [e.kind for e in events(desk) if e.desk_call_id == caller]
    assert kinds[:5] == ["entered", "offered", "answered", "connected", "completed"]


def test_star_in_the_wait_music_books_a_callback_and_the_expert_calls_back(
    live: LiveHotline,
) -> None:
    desk = desk_of(live.app)
    expert = available(desk, "zhang.wei")
    with db(desk) as session:
        agents.set_status(session, expert, "break", "lunch", desk.now())
    result = live.network.call(
        "10010", ZH, [Press("1"), Press("4"), Speak("微信收不到消息"), Press("*"), Press("1")]
    )

    assert result.errors == [], result.errors
    assert "我们将回电至幺三八零零幺三八零零零。确认请按1" in heard(result)  # read back first
    assert "您的排队位置已为您保留" in heard(result)
    [entered] = events(desk, "entered")
    caller = entered.desk_call_id
    assert caller is not None
    assert (desk_call(desk, caller).mode, desk_call(desk, caller).status) == ("callback", "waiting")

    with db(desk) as session:
        agents.set_status(session, expert, "available", None, desk.now())
    wait_for(lambda: desk.tick() and pending_offers(desk), "the offer")
    desk.accept(expert, offer_of(desk, expert))

    created = [
        r for r in live.standin.requests if r.method == "POST" and r.path.endswith("/Calls.json")
    ]
    assert [(r.form["To"], r.form["From"], r.status) for r in created] == [
        ("+8613800138000", SERVICE_NUMBER, 201)  # from the account's number for 10010
    ]
    assert created[0].form["Url"] == f"{live.server.url}/voice/desk/callback/{caller}/answer"
    wait_for(lambda: desk_call(desk, caller).status == "completed", "the callback to complete")
    assert agent(desk, expert).state == "wrap_up"
