"""Speech that names a service leads to that service (issue 24): the data-usage trail, not
the usage report; paying the bill and suspending a line to keep the number, which the hotline
cannot do by phone, to an honest answer that says where they are done (flows.elsewhere),
not to the balance or the complaints menu that merely share a word."""

from __future__ import annotations

import pytest

from tests.support.caller import DEMO_EN, DEMO_ZH
from tests.support.flow_context import FlowBench


@pytest.fixture(autouse=True)
def subscribers(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, balance_fen=12345)
    bench.subscriber(DEMO_EN, language="en-US", balance_fen=8706)


@pytest.mark.parametrize(
    ("caller", "words", "state"),
    [
        (DEMO_ZH, "流量轨迹", "usage_trail"),
        (DEMO_ZH, "我想查一下上网记录", "usage_trail"),
        (DEMO_ZH, "我要交话费", "payment"),
        (DEMO_ZH, "怎么缴费", "payment"),
        (DEMO_ZH, "停机保号", "keep_number"),
        (DEMO_EN, "where i used data", "usage_trail"),
        (DEMO_EN, "i want to pay my bill", "payment"),
        (DEMO_EN, "i want to keep my number", "keep_number"),
    ],
)
def test_speech_reaches_the_service_it_names(
    bench: FlowBench, caller: str, words: str, state: str
) -> None:
    call = bench.call(caller).at("main")
    call.say(words)
    assert call.state == state


@pytest.mark.parametrize(
    ("words", "state"),
    [("查话费", "balance"), ("还剩多少流量", "usage"), ("我交了钱还停机", "complaint.category")],
)
def test_the_neighbouring_services_are_still_reached_by_their_own_words(
    bench: FlowBench, words: str, state: str
) -> None:
    call = bench.call(DEMO_ZH).at("main")
    call.say(words)
    assert call.state == state


def test_asking_to_pay_is_told_it_cannot_be_done_by_phone_and_where_it_can(
    bench: FlowBench,
) -> None:
    call = bench.call(DEMO_ZH).at("main")

    heard = call.say("我要交话费")

    assert heard.said == [
        "对不起，电话里暂时不能缴纳话费。",
        "您可以通过中国联通手机营业厅、网上营业厅，或到联通营业厅缴纳话费。",
        "查询余额和本月话费请按1，返回主菜单请按9，人工服务请按0。",
    ]
    assert call.queries == {}  # no balance read out unasked
    assert call.press("1").said[0] == "您的账户余额为一百二十三元四角五分。"


def test_asking_to_keep_the_number_is_told_where_it_is_done(bench: FlowBench) -> None:
    call = bench.call(DEMO_EN).at("queries")

    heard = call.say("keep my number")

    assert heard.keys == ["keep_number.not_by_phone", "menu.service_done"]
    assert "China Unicom shop with valid ID" in heard.said[0]
    assert call.press("#").keys == heard.keys  # repeated, answer and all
    assert call.press("9").keys == ["menu.main"]
