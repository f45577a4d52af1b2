"""Usage figures a caller hears: nothing left is "used up", a plan without data says so, and
the data figures add up as heard and as the SMS writes them."""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.usage import ReadingUsage
from ivr.models import CallQuery
from prompts import catalog
from sms_followup.call_summary import compose
from sms_followup.templates import templates
from tests.support.figures import spoken_gb, written_gb

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
        (  # none yet: never "0 text messages" (issue 24)
            {"sms": (0, 100)},
            "本月尚未发送短信，剩余一百条。",
            "You have sent no text messages this month, with 100 left.",
        ),
        (
            {"voice": (0, 300)},
            "本月尚未通话，剩余三百分钟。",
            "You have made no calls this month, with 300 minutes left.",
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
            "You have used 5 gigabytes of domestic data this month: your plan's 5 gigabytes"
            " is used up.",
        ),
        (
            {"data": (GB, 2 * GB)},
            "本月国内流量已使用一G，剩余一G，套餐共两G。",
            "You have used 1 gigabyte of domestic data this month, with 1 gigabyte left of your"
            " plan's 2 gigabytes.",
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


def _figures(template: str, filled: str) -> dict[str, str]:
    """The values of *template*'s placeholders where *filled* holds its text filled in."""
    pattern = "".join(
        re.escape(literal) + (f"(?P<{field}>[^，,。]+?)" if field else "")
        for literal, field, _, _ in string.Formatter().parse(template)
    )
    match = re.search(pattern, filled)
    assert match is not None, (template, filled)
    return match.groupdict()


DATA = st.tuples(
    st.one_of(
        st.sampled_from([500 * MB, GB, 2 * GB, 5 * GB, 10 * GB, 20 * GB, 40 * GB]),
        st.integers(min_value=1, max_value=2**40),
    ),
    st.one_of(
        st.integers(min_value=0, max_value=2**40),
        st.integers(min_value=0, max_value=4 * GB).map(lambda kb: kb * 10),
    ),
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(DATA, st.sampled_from(["zh-CN", "en-US"]))
def test_the_heard_data_figures_add_up_and_the_sms_writes_the_same(
    quota_and_used: tuple[int, int], language: str
) -> None:
    quota, used = quota_and_used
    facts = {"counters": {"data": {"used": used, "quota": quota}}}
    [line] = ReadingUsage().lines(facts, language)
    heard = _figures(
        catalog.prompts(language)[line.key], catalog.text(line.key, language, line.params)
    )
    value = {name: spoken_gb(words, language) for name, words in heard.items()}
    if line.key == "report.usage.data":
        assert value["used"] + value["remaining"] == value["quota"]  # type: ignore[operator]
    elif line.key == "report.usage.data_over":
        assert value["used"] - value["quota"] == value["over"]  # type: ignore[operator]
    else:
        assert line.key == "report.usage.data_used_up" and value["used"] == value["quota"]
    query = CallQuery(service="usage", facts=facts, at=dt.datetime(2031, 3, 11, 2))
    sms_key = "summary.usage." + line.key.removeprefix("report.usage.")
    written = {
        name: written_gb(text)
        for name, text in _figures(templates(language)[sms_key], compose([query], language)).items()
    }
    assert written == {name: value[name] for name in written}
