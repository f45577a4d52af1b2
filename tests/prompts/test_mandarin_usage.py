"""Usage figures a caller hears: nothing left is "used up", a plan without data says so."""

from __future__ import annotations

import re

import pytest

from flows.usage import ReadingUsage
from prompts import catalog

MB = 1024
GB = 1024 * MB


def _heard(language: str, **counters: tuple[int, int]) -> list[str]:
    facts = {"counters": {kind: {"used": u, "quota": q} for kind, (u, q) in counters.items()}}
    lines = ReadingUsage().lines(facts, language)
    return [catalog.text(line.key, language, line.params) for line in lines]


@pytest.mark.parametrize(
    ("counters", "zh", "en"),
    [
        (
            {"voice": (300, 300)},
            "通话已使用三百分钟，套餐内通话分钟数已用完。",
            "You have used 300 minutes of calls: all of your plan's minutes are used up.",
        ),
        (
            {"voice": (320, 300)},
            "通话已使用三百二十分钟，套餐内通话分钟数已用完。",
            "You have used 320 minutes of calls: all of your plan's minutes are used up.",
        ),
        (
            {"sms": (100, 100)},
            "短信已使用一百条，套餐内短信已用完。",
            "You have used 100 text messages: all of your plan's texts are used up.",
        ),
        (
            {"sms": (98, 100)},
            "短信已使用九十八条，剩余两条。",
            "You have used 98 text messages, with 2 left.",
        ),
        (
            {"voice": (2, 0)},
            "您的套餐不含通话分钟数，本月已通话两分钟。",
            "Your plan includes no call minutes. You have used 2 minutes of calls this month.",
        ),
        (
            {"sms": (12, 0)},
            "您的套餐不含短信，本月已发送短信十二条。",
            "Your plan includes no text messages. You have sent 12 this month.",
        ),
        (
            {"data": (196 * MB, 0)},
            "您的套餐不含国内流量，本月已使用国内流量一百九十六兆。",
            "Your plan includes no domestic data. You have used 196 megabytes of domestic data"
            " this month.",
        ),
        (
            {"data": (5 * GB, 5 * GB)},
            "本月国内流量已使用五G，套餐内五G流量已用完。",
            "You have used 5 gigabytes of domestic data this month: all of your 5 gigabytes plan"
            " is used up.",
        ),
        (
            {"data": (GB, 2 * GB)},
            "本月国内流量已使用一G，剩余一G，套餐共两G。",
            "You have used 1 gigabyte of domestic data this month, with 1 gigabyte left of your"
            " 2 gigabytes plan.",
        ),
    ],
)
def test_usage_says_used_up_and_no_quota_in_both_languages(
    counters: dict[str, tuple[int, int]], zh: str, en: str
) -> None:
    assert _heard("zh-CN", **counters) == [zh]
    assert _heard("en-US", **counters) == [en]


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
@pytest.mark.parametrize("quota", [0, 1, 2, 5, 100])
@pytest.mark.parametrize("used", [0, 1, 2, 5, 100, 101])
def test_nothing_left_is_never_read_as_zero_left(language: str, quota: int, used: int) -> None:
    counters = {"voice": (used, quota), "sms": (used, quota), "data": (used * MB, quota * MB)}
    for heard in _heard(language, **counters):
        assert not re.search(r"剩余零|套餐共零|超出套餐.*套餐共零|with 0 | your 0 ", heard), heard
