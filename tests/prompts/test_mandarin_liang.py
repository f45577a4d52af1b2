"""两 and 二 in what callers hear, against Putonghua usage.

The reference is the grammar, not our code: 吕叔湘《现代汉语八百词》 (entries 二 and 两) and
the common usage notes that follow it:

* a lone 2 before a measure word or unit is 两 (两次, 两位, 两条, 两分钟, 两元, 两角, 两分,
  两个G / 两G, 两小时);
* before 百, 千, 万, 亿 a leading 2 is 两 (两百, 两千元, 两万, 两亿); before 十 only 二 (二十);
* in any other digit position 二 (十二, 二十二, 一百零二, 一元零二分), in decimals (二点五G),
  ordinals (第二位) and dates (二月); the bare number is 二;
* the clock hour 2 is 两点 (两点 o'clock, 下午两点零二分).

The table below is written from those rules by hand; the properties check every figure the
service can speak and every catalog prompt with any number filled in.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompts import catalog, spoken

ZH = "zh-CN"
MB = 1024
GB = 1024 * 1024
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)


def _catalog(key: str, field: str) -> Callable[[int], str]:
    """The catalog line *key* with *field* filled by the bare number, as the flows fill it."""
    return lambda n: catalog.text(key, ZH, {field: spoken.integer(n, ZH)})


def _usage(kind: str) -> Callable[[int], str]:
    return lambda n: catalog.text(
        f"report.usage.{kind}", ZH, {"used": spoken.count(1, ZH), "remaining": spoken.count(n, ZH)}
    )


def _filed(n: int) -> str:
    params = {"number": "幺", "hours": spoken.hours(n, ZH), "deadline": "明天"}
    return catalog.text("complaint.filed", ZH, params)


def _gb(tenths: int) -> int:
    """The fewest KB that read as *tenths* tenths of a gigabyte."""
    return -(-tenths * GB // 10)


def _money(fen: int) -> str:
    return spoken.money(fen, ZH)


def _data(kb: int) -> str:
    return spoken.data_volume(kb, ZH)


def _count(n: int) -> str:
    return spoken.count(n, ZH)


def _integer(n: int) -> str:
    return spoken.integer(n, ZH)


def _hours(n: int) -> str:
    return spoken.hours(n, ZH)


def _clock(minutes: int) -> str:
    return spoken.time_of_day(dt.time(minutes // 60, minutes % 60), ZH)


def _month(year_month: int) -> str:
    return spoken.month(year_month // 100, year_month % 100, ZH, with_year=True)


_wrong = _catalog("password.wrong", "remaining")
_ahead = _catalog("agent.queue_position", "position")
_place = _catalog("desk.position", "position")
_wait = _catalog("desk.wait_minutes", "minutes")

# (what, figure, words that must appear in what the caller hears)
TABLE: list[tuple[str, Callable[[int], str], int, str]] = [
    # money: 元, 角 and 分 are units
    ("money", _money, 200, "两元"),
    ("money", _money, 20, "两角"),
    ("money", _money, 2, "两分"),
    ("money", _money, 222, "两元两角两分"),
    ("money", _money, 22, "两角两分"),
    ("money", _money, 12, "一角两分"),
    ("money", _money, 120, "一元两角"),
    ("money", _money, 102, "一元零二分"),
    ("money", _money, 202, "两元零二分"),
    ("money", _money, 1200, "十二元"),
    ("money", _money, 1220, "十二元两角"),
    ("money", _money, 2000, "二十元"),
    ("money", _money, 2200, "二十二元"),
    ("money", _money, 10200, "一百零二元"),
    ("money", _money, 20000, "两百元"),
    ("money", _money, 20200, "两百零二元"),
    ("money", _money, 22000, "两百二十元"),
    ("money", _money, 200000, "两千元"),
    ("money", _money, 2000000, "两万元"),
    ("money", _money, 2000200, "两万零二元"),
    ("money", _money, 20000000, "二十万元"),
    ("money", _money, 200000000, "两百万元"),
    ("money", _money, 20000000000, "两亿元"),
    # counts with a measure word, as the flows fill the catalog
    ("count", _wrong, 2, "您还可以输入两次"),
    ("count", _wrong, 1, "您还可以输入一次"),
    ("count", _wrong, 12, "您还可以输入十二次"),
    ("count", _usage("sms"), 2, "剩余两条"),
    ("count", _usage("sms"), 22, "剩余二十二条"),
    ("count", _usage("sms"), 200, "剩余两百条"),
    ("count", _count, 2, "两"),
    ("count", _count, 12, "十二"),
    ("count", _count, 22, "二十二"),
    ("count", _count, 2000, "两千"),
    ("count", _count, 20000, "两万"),
    ("count", _count, 22000, "两万二千"),
    # durations
    ("duration", _usage("voice"), 2, "剩余两分钟"),
    ("duration", _usage("voice"), 20, "剩余二十分钟"),
    ("duration", _usage("voice"), 102, "剩余一百零二分钟"),
    ("duration", _wait, 2, "预计等待时间约两分钟"),
    ("duration", _wait, 12, "预计等待时间约十二分钟"),
    ("duration", _wait, 200, "预计等待时间约两百分钟"),
    ("duration", _hours, 2, "两小时"),
    ("duration", _hours, 12, "十二小时"),
    ("duration", _hours, 24, "二十四小时"),
    ("duration", _hours, 72, "七十二小时"),
    ("duration", _filed, 2, "我们将在两小时内处理完毕"),
    ("duration", _filed, 48, "我们将在四十八小时内处理完毕"),
    # data volumes: 兆 and G are units, decimals keep 二
    ("data", _data, 2 * MB, "两兆"),
    ("data", _data, 20 * MB, "二十兆"),
    ("data", _data, 22 * MB, "二十二兆"),
    ("data", _data, 200 * MB, "两百兆"),
    ("data", _data, 202 * MB, "两百零二兆"),
    ("data", _data, 1002 * MB, "一千零二兆"),
    ("data", _data, 2 * GB, "两G"),
    ("data", _data, 5 * GB // 2, "二点五G"),
    ("data", _data, _gb(22), "二点二G"),
    ("data", _data, 12 * GB, "十二G"),
    ("data", _data, 20 * GB, "二十G"),
    ("data", _data, _gb(222), "二十二点二G"),
    ("data", _data, 200 * GB, "两百G"),
    # queue positions: how many wait ahead is a count, the caller's place an ordinal
    ("queue", _ahead, 2, "您前面还有两位客户"),
    ("queue", _ahead, 12, "您前面还有十二位客户"),
    ("queue", _ahead, 20, "您前面还有二十位客户"),
    ("queue", _ahead, 22, "您前面还有二十二位客户"),
    ("queue", _ahead, 102, "您前面还有一百零二位客户"),
    ("queue", _ahead, 200, "您前面还有两百位客户"),
    ("queue", _place, 2, "您现在排在第二位"),
    ("queue", _place, 12, "您现在排在第十二位"),
    ("queue", _place, 22, "您现在排在第二十二位"),
    ("queue", _place, 200, "您现在排在第二百位"),
    ("queue", _place, 2000, "您现在排在第二千位"),
    # the bare number, dates and clock times
    ("number", _integer, 2, "二"),
    ("number", _integer, 12, "十二"),
    ("number", _integer, 200, "两百"),
    ("date", _month, 202602, "二零二六年二月"),
    ("date", _month, 202212, "二零二二年十二月"),
    ("time", _clock, 2 * 60, "凌晨两点"),
    ("time", _clock, 14 * 60 + 2, "下午两点零二分"),
    ("time", _clock, 12 * 60, "中午十二点"),
    ("time", _clock, 22 * 60 + 22, "晚上十点二十二分"),
]


def test_the_table_covers_every_kind_of_figure() -> None:
    assert len(TABLE) >= 60
    kinds = {what for what, _, _, _ in TABLE}
    assert {"money", "count", "duration", "data", "queue"} <= kinds


@pytest.mark.parametrize(
    ("say", "figure", "words"),
    [pytest.param(say, figure, words, id=f"{what}-{figure}") for what, say, figure, words in TABLE],
)
def test_a_figure_says_liang_and_er_as_putonghua_does(
    say: Callable[[int], str], figure: int, words: str
) -> None:
    heard = say(figure)
    assert words in heard
    assert _misread(heard) == [], heard


# -- the rule as a checker of any text ---------------------------------------------------

_NUMERAL = "零一二两三四五六七八九十百千万亿"
_MEASURE = "|".join(sorted(spoken.MEASURE_WORDS, key=len, reverse=True))
_MISREADINGS = (
    # a lone 二 before a measure word (not a digit position, decimal or ordinal)
    re.compile(rf"(?<![{_NUMERAL}点第])二(?=(?:{_MEASURE}))"),
    # a leading 二 before 百, 千, 万, 亿
    re.compile(rf"(?<![{_NUMERAL}点第])二(?=[百千万亿])"),
    # 两 in a digit position, before 十, as an ordinal, or in a decimal (a decimal point is a
    # 点 after a numeral: the 点 of 地点 is no point)
    re.compile(rf"(?:(?<=[{_NUMERAL}第])|(?<=[{_NUMERAL}]点))两|两(?=十)|两点[{_NUMERAL}]+G"),
)


def _misread(text: str) -> list[str]:
    return [m.group() for pattern in _MISREADINGS for m in pattern.finditer(text)]


def test_the_checker_finds_each_misreading() -> None:
    wrong = ["输入二次", "剩余二条", "二分钟", "套餐共二G", "二百元", "二万", "二十两", "一百零两",
             "第两位", "两点五G", "两十元"]  # fmt: skip
    right = [
        "输入两次",
        "十二条",
        "二十二分钟",
        "二点五G",
        "两百元",
        "第二位",
        "二月",
        "下午两点",
        "地点两百",
    ]
    assert all(_misread(text) for text in wrong)
    assert not any(_misread(text) for text in right)


@PROPERTY
@given(st.integers(min_value=0, max_value=10**12))
def test_counted_numbers_read_back_and_differ_from_bare_ones_only_for_a_lone_two(n: int) -> None:
    counted, bare = spoken.count(n, ZH), spoken.integer(n, ZH)
    assert cn2an.cn2an(counted.replace("两", "二"), "strict") == n
    assert counted == ("两" if n == 2 else bare)
    assert "两" not in counted[1:]
    assert counted[0] != "两" or n == 2 or counted[1] in "百千万亿"
    assert _misread(counted + "次") == []


@PROPERTY
@given(st.integers(min_value=0, max_value=10**12))
def test_no_amount_of_money_is_misread(fen: int) -> None:
    assert _misread(spoken.money(fen, ZH)) == []


@PROPERTY
@given(st.integers(min_value=0, max_value=2**40))
def test_no_data_volume_is_misread(kb: int) -> None:
    assert _misread(spoken.data_volume(kb, ZH)) == []


@PROPERTY
@given(st.integers(min_value=0, max_value=10_000))
def test_no_duration_is_misread(n: int) -> None:
    assert _misread(spoken.hours(n, ZH)) == []


@pytest.mark.parametrize("minutes", range(0, 24 * 60, 7))
def test_no_clock_time_is_misread(minutes: int) -> None:
    assert _misread(_clock(minutes)) == []


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(catalog.prompts(ZH)))
def test_no_catalog_prompt_says_er_before_a_measure_word(key: str) -> None:
    template = catalog.prompts(ZH)[key]
    assert _misread(template) == []
    fields = _fields(template)
    for field in fields:  # one figure at a time, the other fields a word
        for n in (1, 2, 12, 20, 22, 102, 200, 2000, 20000, 22000):
            params = {**dict.fromkeys(fields, "某"), field: spoken.integer(n, ZH)}
            heard = catalog.text(key, ZH, params)
            assert _misread(heard) == [], heard
