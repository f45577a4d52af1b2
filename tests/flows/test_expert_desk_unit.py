"""The expert desk as the caller meets it (flows.expert_desk), and key 0 to the general
agents (flows.agent), on the bench: the topic, the question, into the line when someone with
the skill is signed in, otherwise the honest alternatives (a callback, an agent)."""

from __future__ import annotations

import datetime as dt

import pytest

from expert_desk import urls
from ivr.reply import Listen
from tests.support.caller import DEMO_ZH
from tests.support.flow_context import FlowBench, FlowCall

AFTER_HOURS = dt.datetime(2031, 3, 11, 15, 30)  # 23:30 in Shanghai: desk and agents closed
OTHER_SUBSCRIBER = "13100131000"  # another subscriber, already in the agents' line


@pytest.fixture
def caller(bench: FlowBench) -> FlowCall:
    bench.subscriber(DEMO_ZH, phone_model="iPhone 15")
    return bench.call(DEMO_ZH)


def asked_about_ios(caller: FlowCall) -> None:
    """Key 2 (iOS) at the topic menu, then the question recorded: the desk's webhook hands
    the call back to the flow to join the line."""
    caller.at("expert_desk").press("2")
    caller.at("expert_desk.joining")


# -- the expert desk ---------------------------------------------------------------------


def test_main_menu_4_welcomes_and_asks_the_topic_answered_at_the_desks_webhook(
    caller: FlowCall,
) -> None:
    heard = caller.at("main").press("4")

    assert heard.keys == ["desk.welcome", "desk.topic_menu"]
    assert isinstance(heard.action, Listen) and heard.action.action == urls.TOPIC


@pytest.mark.clock(AFTER_HOURS)
def test_out_of_hours_the_welcome_says_when_the_desk_is_open(caller: FlowCall) -> None:
    heard = caller.at("main").press("4")

    assert heard.keys == ["desk.welcome", "desk.closed", "desk.topic_menu"]
    assert heard.said[1] == "专家坐席的服务时间为每天早上九点至晚上九点，现在是非服务时间。"


def test_a_topic_key_asks_for_the_question_after_the_beep(caller: FlowCall) -> None:
    heard = caller.at("expert_desk").press("2")

    assert caller.state == "expert_desk.question"
    assert heard.keys == ["desk.question"]
    assert heard.recording
    assert caller.events("desk.topic") == [
        {"kind": "desk.topic", "topic": "ios", "source": "keys", "transcript": False}
    ]


def test_a_key_that_names_no_topic_is_a_wrong_choice(caller: FlowCall) -> None:
    assert caller.at("expert_desk").press("8").keys == ["error.invalid", "desk.topic_menu"]


def test_with_an_expert_signed_in_the_caller_joins_the_line(
    bench: FlowBench, caller: FlowCall
) -> None:
    bench.agent("li.na", {"ios": 3})
    asked_about_ios(caller)

    heard = caller.enter()

    assert heard.keys[0] == "desk.joining"
    assert heard.queue == "expert-desk"


def test_with_no_expert_for_the_topic_a_callback_or_an_agent_is_offered(
    caller: FlowCall,
) -> None:
    asked_about_ios(caller)

    heard = caller.enter()

    assert caller.state == "expert_desk.offer"
    assert heard.keys == ["desk.no_expert", "desk.offer.callback", "desk.offer.agent"]
    assert heard.said[0] == "抱歉，目前没有负责苹果iOS系统的专家在线。"
    assert heard.queue is None


def test_a_callback_reads_the_number_back_before_it_is_booked(caller: FlowCall) -> None:
    asked_about_ios(caller)
    caller.enter()

    confirm = caller.press("1")
    booked = caller.press("1")

    assert confirm.said == ["我们将回电至幺三八零零幺三八零零零。确认请按1，返回请按2。"]
    assert booked.keys == ["desk.callback_when_signed_in", "desk.callback_hours", "goodbye"]
    assert booked.hung_up


def test_a_callback_booked_with_no_expert_signed_in_says_when_it_will_come(
    caller: FlowCall,
) -> None:
    """Nobody to call back yet: not "your place is kept", but when the call can come."""
    asked_about_ios(caller)
    caller.enter()
    caller.press("1")

    booked = caller.press("1")

    assert booked.said[:2] == [
        "好的，目前没有负责该问题的专家在线，专家上线后将按排队顺序回电至幺三八零零幺三八零零零。",
        "回电只在每天早上九点至晚上九点之间进行，当天未能回电的，顺延至次日。",
    ]


def test_2_at_the_number_read_back_books_nothing(caller: FlowCall) -> None:
    asked_about_ios(caller)
    caller.enter()
    caller.press("1")

    caller.press("2")

    assert caller.state == "expert_desk.offer"


# -- the general agents (key 0) ----------------------------------------------------------


def test_0_with_nobody_signed_in_offers_a_callback_only(caller: FlowCall) -> None:
    heard = caller.at("main").press("0")

    assert caller.state == "expert_desk.offer"
    assert heard.keys == ["agent.no_agent", "desk.offer.callback"]
    assert caller.events("desk.topic")[0]["topic"] == "general"


def test_0_with_an_agent_signed_in_puts_the_caller_through(
    bench: FlowBench, caller: FlowCall
) -> None:
    bench.agent("chen.jing", {"general": 2})

    heard = caller.at("queries").press("0")

    assert heard.keys[0] == "agent.transfer"
    assert heard.queue == "expert-desk"


@pytest.mark.clock(AFTER_HOURS)
def test_0_out_of_hours_says_when_the_agents_are_in(caller: FlowCall) -> None:
    heard = caller.at("main").press("0")

    assert heard.keys[0] == "agent.closed"
    assert heard.said[0] == "人工服务时间为每天早上八点至晚上十点，现在是非服务时间。"


def test_0_again_when_just_turned_away_repeats_the_offer_without_a_new_visit(
    caller: FlowCall,
) -> None:
    caller.at("main").press("0")

    heard = caller.press("0")

    assert heard.keys == ["agent.no_agent", "desk.offer.callback"]
    assert len(caller.events("desk.topic")) == 1


@pytest.mark.parametrize("settings_overrides", [{"agent_max_queue": 1}])
def test_a_general_callback_is_booked_with_the_queue_place_kept(
    bench: FlowBench, caller: FlowCall
) -> None:
    bench.agent("chen.jing", {"general": 2})  # signed in, but the line is full
    bench.subscriber(OTHER_SUBSCRIBER)
    assert bench.call(OTHER_SUBSCRIBER).at("main").press("0").queue == "expert-desk"
    caller.at("main").press("0")
    caller.press("1")

    heard = caller.press("1")

    assert heard.said[0] == "好的，客服人员将回电至幺三八零零幺三八零零零，您的排队位置已为您保留。"


def test_a_general_callback_booked_with_nobody_signed_in_says_when_it_will_come(
    bench: FlowBench,
) -> None:
    bench.subscriber(DEMO_ZH, language="en-US")
    call = bench.call(DEMO_ZH).at("main")
    call.press("0")
    call.press("1")

    heard = call.press("1")

    assert heard.said == [
        "No agent is signed in just now. The first agent to sign in will call you back on "
        "one three eight zero zero one three eight zero zero zero, in turn.",
        "Callbacks are made only from 8 AM to 10 PM, Beijing time; one not made today is made "
        "the next day.",
        "Thank you for calling. Goodbye.",
    ]
