"""This month's package usage and the data-usage trail (flows.usage), on the bench: used and
remaining said for given figures, the plan's edge cases, key 3 for the trail and its totals."""

from __future__ import annotations

import datetime as dt

import pytest

from flows.usage import trail_lines
from prompts import catalog
from sms_followup.trail import DataSession
from tests.support.caller import DEMO_ZH
from tests.support.flow_context import FlowBench

MB = 1024
GB = 1024 * MB
TODAY = dt.date(2031, 3, 11)  # the test clock's day in Shanghai


def usage_heard(bench: FlowBench, language: str = "zh-CN", **usage: tuple[int, int]) -> str:
    """What a subscriber with *usage* (kind -> (quota, used)) hears on reaching the usage."""
    bench.subscriber(DEMO_ZH, language=language, usage=usage)
    return bench.call(DEMO_ZH).at("usage").enter().text


def test_data_voice_and_sms_used_and_remaining(bench: FlowBench) -> None:
    heard = usage_heard(bench, data=(5 * GB, 2 * GB + 300 * MB), voice=(300, 122), sms=(100, 12))
    # Used 2.29 GB: said 2.2, and what is left is the plan less that (2.2 + 2.8 = 5).
    assert "本月国内流量已使用二点二G，剩余二点八G，套餐共五G。" in heard
    assert "通话已使用一百二十二分钟，剩余一百七十八分钟。" in heard
    assert "短信已使用十二条，剩余八十八条。" in heard


def test_in_english(bench: FlowBench) -> None:
    heard = usage_heard(bench, "en-US", data=(10 * GB, 3 * GB + 512 * MB))
    assert heard.startswith(
        "You have used 3.5 gigabytes of domestic data this month, with 6.5 gigabytes left of "
        "your plan's 10 gigabytes."  # not "your 10 gigabytes plan" (issue 24)
    )


@pytest.mark.parametrize(
    ("quota", "used", "said"),
    [
        (
            40 * GB,
            55 * GB + 300 * MB,
            "本月国内流量已使用五十五点二G，已超出套餐十五点二G，套餐共四十G。",
        ),
        (
            2 * GB,
            2 * GB + 700 * MB,
            "本月国内流量已使用二点六G，已超出套餐零点六G，套餐共两G。",
        ),
        (2 * GB, 2 * GB, "本月国内流量已使用两G，套餐内两G流量已用完。"),
        (0, 300 * MB, "您的套餐不含国内流量，本月已使用国内流量三百兆。"),
    ],
    ids=["over", "over-by-less-than-a-gigabyte", "used-up", "no-data-in-the-plan"],
)
def test_data_over_used_up_or_not_in_the_plan(
    bench: FlowBench, quota: int, used: int, said: str
) -> None:
    assert usage_heard(bench, data=(quota, used)).startswith(said)


def test_minutes_and_messages_used_up_are_said_so_not_as_zero_left(bench: FlowBench) -> None:
    heard = usage_heard(bench, voice=(200, 200), sms=(50, 60))
    assert "通话已使用两百分钟，套餐内通话分钟数已用完。" in heard
    assert "短信已使用六十条，套餐内短信已用完。" in heard
    assert "剩余" not in heard


def test_no_usage_this_month_is_said_so(bench: FlowBench) -> None:
    assert usage_heard(bench).startswith("您当前没有套餐使用记录。")


def test_the_counters_read_are_this_months_and_recorded_for_the_sms(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, usage={"voice": (300, 122)})
    call = bench.call(DEMO_ZH).at("usage")

    call.enter()

    assert call.queries == {
        "usage": {"period": "2031-03", "counters": {"voice": {"quota": 300, "used": 122}}}
    }


def test_after_the_usage_key_3_is_offered_for_the_trail(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH)
    heard = bench.call(DEMO_ZH).at("usage").enter()
    assert heard.keys[-3:] == ["usage.trail_offer", "menu.after_report", "menu.switch_language"]


def test_key_3_reads_the_trail_totals_and_the_busiest_day(bench: FlowBench) -> None:
    subscriber_id = bench.subscriber(DEMO_ZH)
    with bench.session() as session:
        for day, kb, access in [
            (dt.date(2031, 1, 20), 300 * MB, "4G"),
            (dt.date(2031, 3, 2), 1 * GB, "5G"),
            (dt.date(2031, 3, 2), 100 * MB, "WLAN"),
        ]:
            started = dt.datetime.combine(day, dt.time(4, 0))
            session.add(
                DataSession(
                    subscriber_id=subscriber_id,
                    started_at=started,
                    day=day,
                    kb=kb,
                    access=access,
                    location="上海",
                )
            )
    call = bench.call(DEMO_ZH).at("usage")

    heard = call.press("3")

    assert call.state == "usage_trail"
    assert heard.said[:2] == [
        "您近三个月共使用流量三百兆，本月至今使用一G。",  # 1.1 GB, rounded down
        "用量最多的一天是3月2日，使用一G，主要通过5G上网，地点上海。",
    ]
    assert call.queries["trail"]["link"].startswith("http://hotline.test/")


def test_a_trail_without_sessions_is_said_so_and_star_goes_back_to_the_usage(
    bench: FlowBench,
) -> None:
    bench.subscriber(DEMO_ZH)
    call = bench.call(DEMO_ZH).at("usage_trail")

    assert call.enter().said[0] == "近三个月您没有上网记录。"
    call.press("*")
    assert call.state == "usage"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh-CN", "您近三个月共使用流量三G，本月尚未使用流量。"),
        (
            "en-US",
            "In the last three months you used 3 gigabytes of data, and none so far this month.",
        ),
    ],
)
def test_a_month_without_data_yet_is_said_so_not_zero(language: str, said: str) -> None:
    """Issue 24: 本月至今使用零兆."""
    facts = {"last_three_months_kb": 3 * GB, "this_month_kb": 0, "top": None}
    [line] = trail_lines(facts, language)
    assert catalog.text(line.key, language, line.params) == said
