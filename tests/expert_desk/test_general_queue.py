"""Key 0 (the last wrong key, an unknown caller) reaches the general agents' line, served as
the expert desk's lines are: offered to an agent with the ``general`` skill, accepted,
connected, wrapped up and counted; with nobody to take it, out of hours or after the longest
wait, a callback (number read back first), to keep waiting, or when to call again."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from expert_desk import agents, queue, reports, views
from expert_desk.desk import Desk
from expert_desk.errors import DeskError
from tests.support.caller import DEMO_ZH, Caller
from tests.support.clocks import TestClock
from tests.support.desk import (
    STILL_AT_T0,
    FakeTelephony,
    add_agent,
    db,
    desk_call,
    events,
    offer_of,
    pending_offers,
)

pytestmark = STILL_AT_T0  # 11:00 in Shanghai: the general agents' line is open (08-22)

NOBODY = "抱歉，目前没有人工客服在线。"
CALLBACK_OPTION = "如需回电，并为您保留排队位置，请按1。"
KEEP_WAITING_OPTION = "继续等候，请按2。"
READ_BACK = "我们将回电至幺三八零零幺三八零零零。确认请按1，返回请按2。"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"desk_hours": "00:00-24:00", "agent_hours": "08:00-22:00", "agent_max_wait_s": 300}


def latest(desk: Desk) -> int:
    [*_, last] = [e.desk_call_id for e in events(desk) if e.desk_call_id]
    return int(last)


def on_break(desk: Desk, agent_id: int) -> None:
    with db(desk) as session:
        agents.set_status(session, agent_id, "break", "lunch", desk.now())


@pytest.mark.postgres
def test_zero_with_a_general_agent_is_offered_with_who_where_and_what_then_connected(
    caller: Caller, desk: Desk, doubles: tuple[Desk, TestClock, FakeTelephony]
) -> None:
    _, clock, telephony = doubles
    agent_id = add_agent(desk, "gen.one", {"general": 2}, at=desk.now())
    caller.dial("10010", DEMO_ZH).press("1").press("1").press("1")  # the balance, then 0
    assert "您的账户余额为" in caller.last_heard
    caller.press("0")

    assert caller.enqueued == "expert-desk"  # the desk's line, its wait music and way out
    assert caller.said[0] == "正在为您转接人工服务，请稍候。"
    assert caller.said[1] == "您是下一位。"
    desk.tick()
    offer = offer_of(desk, agent_id)
    with db(desk) as session:
        page = views.agent_page(session, agent_id, desk.now())
    assert page.offer is not None
    card = page.offer.call
    assert (card.topic, card.skill, card.language, card.known_caller) == (
        "general",
        "general",
        "zh-CN",
        True,
    )
    assert card.path[:4] == ("Language menu", "Main menu", "Queries", "Balance")
    assert card.path[-1] == "Waiting in line"
    assert card.queried == ("Balance",)
    assert card.topic_label == "General agents · 人工服务"

    clock.advance(5)
    desk.accept(agent_id, offer)
    assert telephony.redirects == [(caller.call_sid, card.id)]
    caller.webhook(f"/voice/desk/connect/{card.id}")
    assert caller.twiml is not None and caller.twiml.find("Dial") is not None
    assert caller.said == ["感谢您的耐心等候，正在为您接通客服人员。"]  # thanks, then the agent
    clock.advance(90)
    caller.webhook(
        f"/voice/desk/dialed/{card.id}", DialCallStatus="completed", DialCallDuration="90"
    )
    assert caller.hung_up
    # After the conversation it ends: "thanks for waiting" came before it.
    assert caller.said == ["本次人工服务已结束。", "感谢您的来电，再见。"]

    with db(desk) as session:
        [general] = [
            line
            for line in reports.day_report(session, clock.now().date(), 20)
            if line.skill == "general"
        ]
        live = {
            line.skill for line in views.supervisor_page(session, desk.settings, desk.now()).lines
        }
    assert (general.entered, general.answered, general.completed) == (1, 1, 1)
    assert "general" in live

    with db(desk) as session:  # the wrap-up and its outcome, as for an expert's call
        agents.save_wrapup(
            session,
            desk.settings,
            agent_id,
            card.id,
            notes="余额已说明",
            disposition="solved",
            sms_body=None,
            now=desk.now(),
        )
    assert [e.detail.get("disposition") for e in events(desk, "disposition")] == ["solved"]
    assert events(desk, "wrapup_ended")[-1].desk_call_id == card.id


@pytest.mark.postgres
def test_zero_with_nobody_signed_in_offers_a_callback_read_back_then_placed_when_one_is_free(
    caller: Caller, desk: Desk, doubles: tuple[Desk, TestClock, FakeTelephony]
) -> None:
    _, _, telephony = doubles
    caller.dial("10010", DEMO_ZH).press("1").press("0")

    assert caller.said == [NOBODY, CALLBACK_OPTION]  # nobody to wait for: no key 2
    caller.press("1")
    assert caller.said == [READ_BACK]
    assert desk_call(desk, latest(desk)).mode == "line"  # nothing booked before the yes
    caller.press("1")
    assert caller.hung_up
    assert caller.said == [  # when: once someone signs in, within the hours, or the next day
        "好的，目前没有客服人员在线，客服人员上线后将按排队顺序回电至幺三八零零幺三八零零零。",
        "回电只在每天早上八点至晚上十点之间进行，当天未能回电的，顺延至次日。",
        "感谢您的来电，再见。",
    ]
    row = desk_call(desk, latest(desk))
    assert (row.topic, row.status, row.mode) == ("general", "waiting", "callback")

    agent_id = add_agent(desk, "gen.later", {"general": 1}, at=desk.now())
    desk.tick()
    desk.accept(agent_id, offer_of(desk, agent_id))
    assert telephony.callbacks == [("13800138000", row.id)]


def test_two_at_the_read_back_goes_back_to_the_choices(caller: Caller, desk: Desk) -> None:
    caller.dial("10010", DEMO_ZH).press("1").press("0").press("1").press("2")

    assert caller.said == [NOBODY, CALLBACK_OPTION]
    assert desk_call(desk, latest(desk)).mode == "line"


def test_past_the_longest_wait_the_caller_may_keep_waiting_in_their_place(
    caller: Caller, desk: Desk, doubles: tuple[Desk, TestClock, FakeTelephony]
) -> None:
    _, clock, _ = doubles
    on_break(desk, add_agent(desk, "gen.busy", {"general": 1}, at=desk.now()))
    caller.dial("10010", DEMO_ZH).press("1").press("0")
    row = desk_call(desk, latest(desk))
    assert caller.enqueued == "expert-desk"
    assert caller.said == [  # agents' words, not the expert desk's
        "正在为您转接人工服务，请稍候。",
        "您是下一位。",
        "客服人员都在忙，暂时无法估计等待时间。",
        "如需客服人员稍后给您回电，请随时按星号键，您的排队位置将为您保留。",
    ]

    clock.advance(299)
    caller.webhook("/voice/desk/wait", QueuePosition="1")
    assert caller.twiml is not None and caller.twiml.find("Leave") is None
    clock.advance(2)  # AGENT_MAX_WAIT_S = 300 (the desk's 900 is not the general line's)
    caller.webhook("/voice/desk/wait", QueuePosition="1")
    assert caller.twiml is not None and caller.twiml.find("Leave") is not None
    caller.webhook("/voice/desk/done", QueueResult="leave")
    assert caller.said == [
        "抱歉，让您久等了，客服人员仍在忙。",
        CALLBACK_OPTION,
        KEEP_WAITING_OPTION,
    ]

    caller.press("2")
    assert caller.enqueued == "expert-desk"
    after = desk_call(desk, row.id)
    assert (after.status, after.entered_at, after.patience_from) == (
        "waiting",
        row.entered_at,
        desk.now(),
    )
    assert events(desk, "kept_waiting")[-1].desk_call_id == row.id
    clock.advance(200)
    caller.webhook("/voice/desk/wait", QueuePosition="1")
    assert caller.twiml is not None and caller.twiml.find("Leave") is None


def test_when_the_last_agent_signs_out_the_waiting_caller_is_offered_a_callback(
    caller: Caller, desk: Desk
) -> None:
    agent_id = add_agent(desk, "gen.leaving", {"general": 1}, at=desk.now())
    on_break(desk, agent_id)
    caller.dial("10010", DEMO_ZH).press("1").press("0")
    with db(desk) as session:
        agents.set_status(session, agent_id, "offline", None, desk.now())

    caller.webhook("/voice/desk/wait", QueuePosition="1")
    assert caller.twiml is not None and caller.twiml.find("Leave") is not None
    caller.webhook("/voice/desk/done", QueueResult="leave")
    assert caller.said == [NOBODY, CALLBACK_OPTION]


@pytest.mark.parametrize(
    "settings_overrides",
    [{"desk_hours": "00:00-24:00", "agent_hours": "12:00-13:00"}],
    ids=["closed"],
)
def test_after_hours_the_hours_come_first_and_the_callback_names_its_window(
    caller: Caller, desk: Desk
) -> None:
    add_agent(desk, "gen.night", {"general": 1}, at=desk.now())  # signed in, but closed
    caller.dial("10010", DEMO_ZH).press("1").press("0")

    assert caller.said == [
        "人工服务时间为每天中午十二点至下午一点，现在是非服务时间。",
        CALLBACK_OPTION,
    ]
    caller.press("1").press("1")
    assert caller.hung_up
    assert caller.said[0] == (
        "好的，客服人员将在每天中午十二点至下午一点的服务时间内回电至幺三八零零幺三八零零零。"
    )
    assert "保留" not in caller.said[0]


@pytest.mark.parametrize(
    "settings_overrides",
    [{"agent_hours": "08:00-22:00"}, {"agent_hours": "12:00-13:00"}],
    ids=["open", "closed"],
)
def test_a_hidden_number_with_nothing_to_offer_hears_when_to_call_again(
    caller: Caller, desk: Desk, settings_overrides: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "callback_number", lambda desk_call: None)  # a hidden number
    caller.dial("10010", DEMO_ZH).press("1").press("0")

    assert caller.hung_up
    if settings_overrides["agent_hours"] == "08:00-22:00":
        assert caller.said == [NOBODY, "请稍后再拨10010。", "感谢您的来电，再见。"]
    else:
        assert caller.said[1] == "请在每天中午十二点至下午一点的服务时间内再拨10010。"


def test_the_plain_general_queue_hands_its_callers_to_the_served_line(
    caller: Caller, desk: Desk
) -> None:
    agent_id = add_agent(desk, "gen.two", {"general": 1}, at=desk.now())
    caller.dial("10010", DEMO_ZH).press("1")
    caller.webhook("/voice/queue/wait", QueuePosition="3")
    assert caller.twiml is not None and caller.twiml.find("Leave") is not None
    caller.webhook("/voice/queue/done", QueueResult="leave")

    assert caller.enqueued == "expert-desk"
    desk.tick()
    assert offer_of(desk, agent_id)
    assert desk_call(desk, latest(desk)).topic == "general"


@pytest.mark.postgres
def test_a_caller_hanging_up_during_the_offer_frees_the_agent(caller: Caller, desk: Desk) -> None:
    agent_id = add_agent(desk, "gen.three", {"general": 1}, at=desk.now())
    caller.dial("10010", DEMO_ZH).press("1").press("0")
    desk.tick()
    offer_of(desk, agent_id)

    caller.webhook("/voice/desk/done", QueueResult="hangup", QueueTime="4")

    with db(desk) as session:
        row = session.get(agents.DeskAgent, agent_id)
        assert row is not None and (row.state, row.current_call_id) == ("idle", None)
    assert events(desk, "abandoned")[-1].skill == "general"


@pytest.mark.parametrize(
    "settings_overrides",
    [{"desk_hours": "00:00-24:00", "agent_hours": "12:00-13:00"}],
    ids=["closed"],
)
def test_a_callback_booked_after_hours_is_placed_only_when_the_line_opens(
    caller: Caller, desk: Desk, doubles: tuple[Desk, TestClock, FakeTelephony]
) -> None:
    _, clock, telephony = doubles
    agent_id = add_agent(desk, "gen.early", {"general": 1}, at=desk.now())
    caller.dial("10010", DEMO_ZH).press("1").press("0").press("1").press("1")
    booked = latest(desk)

    desk.tick()
    assert pending_offers(desk) == []  # 11:00: the line opens at 12:00
    clock.advance(3600)
    desk.tick()
    desk.accept(agent_id, offer_of(desk, agent_id))
    assert telephony.callbacks == [("13800138000", booked)]


@pytest.mark.postgres
def test_only_the_agent_offered_the_caller_can_accept_and_a_lapsed_offer_goes_on(
    caller: Caller, desk: Desk, doubles: tuple[Desk, TestClock, FakeTelephony]
) -> None:
    _, clock, telephony = doubles
    first = add_agent(desk, "gen.first", {"general": 1}, at=desk.now())
    caller.dial("10010", DEMO_ZH).press("1").press("0")
    second = add_agent(desk, "gen.second", {"general": 1}, at=desk.now())
    desk.tick()
    offer = offer_of(desk, first)

    with pytest.raises(DeskError):
        desk.accept(second, offer)  # another agent (another browser, another process)
    clock.advance(desk.settings.desk_reservation_s + 1)  # the first lets it lapse
    desk.tick()
    desk.accept(second, offer_of(desk, second))

    assert telephony.redirects == [(caller.call_sid, latest(desk))]
    with db(desk) as session:
        states = {
            a.username: a.state
            for a in session.scalars(sa.select(agents.DeskAgent))
            if a.username.startswith("gen.")
        }
    assert states == {"gen.first": "idle", "gen.second": "on_call"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"agent_hours": "8-22"}, "AGENT_HOURS must look like 09:00-21:00"),
        ({"agent_max_wait_s": 0}, "AGENT_MAX_WAIT_S must be at least 1"),
        ({"agent_max_queue": 0}, "AGENT_MAX_QUEUE must be at least 1"),
    ],
)
def test_the_general_lines_settings_are_checked(changes: dict[str, Any], message: str) -> None:
    from expert_desk.settings import DeskSettings
    from ivr.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        DeskSettings().with_overrides(changes).check()


def test_metrics_count_the_general_line(caller: Caller, desk: Desk, app: Flask) -> None:
    on_break(desk, add_agent(desk, "gen.metrics", {"general": 1}, at=desk.now()))
    caller.dial("10010", DEMO_ZH).press("1").press("0")

    scraped = app.test_client().get("/metrics").get_data(as_text=True)

    assert 'desk_callers_waiting{skill="general"} 1.0' in scraped
    assert 'desk_agents{skill="general",state="break"} 1.0' in scraped


def test_wrong_keys_at_the_choices_ask_again_without_a_new_visit_to_the_line(
    caller: Caller, desk: Desk
) -> None:
    caller.dial("10010", DEMO_ZH).press("1").press("0")
    for _ in range(4):
        caller.press("7")
    caller.press("0")

    assert caller.gather is not None and not caller.hung_up
    assert CALLBACK_OPTION in caller.said
    assert len({e.desk_call_id for e in events(desk, "left")}) == 1


def test_zero_while_the_number_is_read_back_goes_back_to_holding_in_place(
    caller: Caller, desk: Desk
) -> None:
    on_break(desk, add_agent(desk, "gen.hold", {"general": 1}, at=desk.now()))
    caller.dial("10010", DEMO_ZH).press("1").press("0")
    row = desk_call(desk, latest(desk))
    caller.webhook("/voice/desk/wait/key", Digits="*")
    caller.webhook("/voice/desk/done", QueueResult="leave")
    assert caller.said == [READ_BACK]

    caller.press("0")

    assert caller.enqueued == "expert-desk"
    after = desk_call(desk, latest(desk))
    assert (after.id, after.status, after.mode, after.entered_at) == (
        row.id,
        "waiting",
        "line",
        row.entered_at,
    )
