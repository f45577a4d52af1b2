"""Spoken and written forms of hours, clock times and deadlines (zh-CN, en-US)."""

from __future__ import annotations

import datetime as dt

import pytest

from prompts import catalog, spoken


@pytest.mark.parametrize(
    ("n", "zh", "en"),
    [(4, "四小时", "4 hours"), (48, "四十八小时", "48 hours"), (1, "一小时", "1 hour")],
)
def test_hours(n: int, zh: str, en: str) -> None:
    assert spoken.hours(n, "zh-CN") == zh
    assert spoken.hours(n, "en-US") == en


@pytest.mark.parametrize(
    ("clock", "zh", "en"),
    [
        (dt.time(15, 30), "下午三点三十分", "3:30 PM"),
        (dt.time(9, 5), "早上九点零五分", "9:05 AM"),
        (dt.time(15, 0), "下午三点", "3 PM"),
        (dt.time(12, 0), "中午十二点", "12 PM"),
        (dt.time(0, 0), "凌晨零点", "12 AM"),
        (dt.time(0, 45, 59), "凌晨零点四十五分", "12:45 AM"),
        (dt.time(3, 59), "凌晨三点五十九分", "3:59 AM"),
        (dt.time(7, 59), "早上七点五十九分", "7:59 AM"),
        (dt.time(10, 12), "上午十点十二分", "10:12 AM"),
        (dt.time(14, 2), "下午两点零二分", "2:02 PM"),
        (dt.time(19, 59), "晚上七点五十九分", "7:59 PM"),
        (dt.time(21, 0), "晚上九点", "9 PM"),
        (dt.time(23, 20), "晚上十一点二十分", "11:20 PM"),
    ],
)
def test_time_of_day(clock: dt.time, zh: str, en: str) -> None:
    assert spoken.time_of_day(clock, "zh-CN") == zh
    assert spoken.time_of_day(clock, "en-US") == en


@pytest.mark.parametrize("hour", range(24))
def test_every_mandarin_hour_says_its_part_of_the_day(hour: int) -> None:
    words = spoken.time_of_day(dt.time(hour, 0), "zh-CN")
    assert words[:2] in ("凌晨", "早上", "上午", "中午", "下午", "晚上"), words
    assert "整" not in words and not any(ch.isdigit() for ch in words)


def test_the_desks_opening_hours_read_as_morning_and_evening() -> None:
    hours = {
        "open": spoken.time_of_day(dt.time(9, 0), "zh-CN"),
        "close": spoken.time_of_day(dt.time(21, 0), "zh-CN"),
    }
    assert catalog.text("desk.closed", "zh-CN", hours).startswith(
        "专家坐席的服务时间为每天早上九点至晚上九点"
    )


def test_date_time_puts_the_day_first_in_mandarin_and_the_time_first_in_english() -> None:
    at = dt.datetime(2026, 11, 26, 15, 30)
    assert spoken.date_time(at, "zh-CN") == "11月26日下午三点三十分"
    assert spoken.date_time(at, "en-US") == "3:30 PM on November 26th"
    deadline = dt.datetime(2026, 12, 1, 3, 59)
    assert spoken.date_time(deadline, "zh-CN") == "12月1日凌晨三点五十九分"


def test_written_date_time_for_sms() -> None:
    at = dt.datetime(2026, 3, 2, 8, 5)
    assert spoken.written_date_time(at, "zh-CN") == "3月2日08:05"
    assert spoken.written_date_time(at, "en-US") == "2 Mar 08:05"


def test_time_helpers_refuse_other_languages_and_negative_hours() -> None:
    with pytest.raises(ValueError):
        spoken.time_of_day(dt.time(1, 0), "fr-FR")
    with pytest.raises(ValueError):
        spoken.hours(-1, "zh-CN")
    with pytest.raises(TypeError):
        spoken.hours(1.5, "en-US")  # type: ignore[arg-type]
