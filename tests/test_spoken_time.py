"""Spoken and written forms of hours, clock times and deadlines (zh-CN, en-US)."""

from __future__ import annotations

import datetime as dt

import pytest

from prompts import spoken


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
        (dt.time(15, 30), "15点30分", "3:30 PM"),
        (dt.time(9, 5), "9点05分", "9:05 AM"),
        (dt.time(15, 0), "15点整", "3 PM"),
        (dt.time(12, 0), "12点整", "12 PM"),
        (dt.time(0, 0), "0点整", "12 AM"),
        (dt.time(0, 45, 59), "0点45分", "12:45 AM"),
    ],
)
def test_time_of_day(clock: dt.time, zh: str, en: str) -> None:
    assert spoken.time_of_day(clock, "zh-CN") == zh
    assert spoken.time_of_day(clock, "en-US") == en


def test_date_time_puts_the_day_first_in_mandarin_and_the_time_first_in_english() -> None:
    at = dt.datetime(2026, 11, 26, 15, 30)
    assert spoken.date_time(at, "zh-CN") == "11月26日15点30分"
    assert spoken.date_time(at, "en-US") == "3:30 PM on November 26th"


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
