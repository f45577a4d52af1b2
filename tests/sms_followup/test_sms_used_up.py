"""SMS say 已用完 / "used up" when nothing is left, never 剩余0条 or 剩余0分钟 (issue 15)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hotline.container import Hotline
from sms_followup.call_summary import _usage
from tests.support.caller import DEMO_EN, DEMO_ZH
from tests.support.reminders import NOW, only_data, run, sms, usage

MB = 1024


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("voice", "【中国联通】您本月套餐通话分钟数已用完，继续通话将按套餐外资费计费。"),
        ("sms", "【中国联通】您本月套餐短信已用完，继续发送将按套餐外资费计费。"),
    ],
)
def test_nothing_left_is_used_up_not_zero_left(hotline: Hotline, kind: str, expected: str) -> None:
    only_data(hotline)
    usage(hotline, DEMO_ZH, kind, 300, 300)
    run(hotline)
    assert sms(hotline) == [(f"reminder.{kind}_used_up", expected)]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("voice", "China Unicom: your monthly call minutes are used up; further calls are "
         "charged at out-of-plan rates."),
        ("sms", "China Unicom: your monthly texts are used up; further texts are charged at "
         "out-of-plan rates."),
    ],
)  # fmt: skip
def test_used_up_in_english(hotline: Hotline, kind: str, expected: str) -> None:
    only_data(hotline)
    usage(hotline, DEMO_EN, kind, 300, 320)
    run(hotline)
    assert sms(hotline, DEMO_EN) == [(f"reminder.{kind}_used_up", expected)]


def test_used_up_after_a_low_reminder_is_sent_once_and_no_lower_threshold_follows(
    hotline: Hotline,
) -> None:
    only_data(hotline)
    usage(hotline, DEMO_ZH, "sms", 100, 90)
    run(hotline)
    usage(hotline, DEMO_ZH, "sms", 100, 100)
    run(hotline, NOW + dt.timedelta(minutes=10))  # the job's next runs
    run(hotline, NOW + dt.timedelta(minutes=20))
    assert [kind for kind, _ in sms(hotline)] == ["reminder.sms_low", "reminder.sms_used_up"]
    assert not any("剩余0" in body for _, body in sms(hotline))


def _counters(**counters: tuple[int, int]) -> dict[str, Any]:
    return {"counters": {k: {"quota": q, "used": u} for k, (q, u) in counters.items()}}


@pytest.mark.parametrize(
    ("language", "counters", "expected"),
    [
        ("zh-CN", {"voice": (300, 300)}, ["通话已用300分钟，套餐内分钟数已用完。"]),
        ("zh-CN", {"voice": (300, 310)}, ["通话已用310分钟，套餐内分钟数已用完。"]),
        ("zh-CN", {"sms": (100, 100)}, ["短信已用100条，套餐内短信已用完。"]),
        ("zh-CN", {"data": (500 * MB, 500 * MB)}, ["流量已用500MB，套餐内流量已用完。"]),
        ("zh-CN", {"voice": (300, 120)}, ["通话已用120分钟，剩余180分钟。"]),
        ("zh-CN", {"sms": (0, 3)}, ["套餐不含短信，已发送3条。"]),
        ("en-US", {"voice": (300, 300)}, ["Calls 300 min used, all plan minutes used up. "]),
        ("en-US", {"sms": (100, 100)}, ["Texts 100 used, all plan texts used up. "]),
        ("en-US", {"data": (0, 5 * MB)}, ["No data in plan, 5MB used. "]),
        ("en-US", {"sms": (100, 40)}, ["Texts 40 used, 60 left. "]),
    ],
)
def test_call_summary_says_used_up(
    language: str, counters: dict[str, tuple[int, int]], expected: list[str]
) -> None:
    parts = _usage(_counters(**counters), language)
    assert parts == expected
    assert not any("剩余0" in part or " 0 left" in part or "0 min left" in part for part in parts)
