"""Spoken and written forms of figures (prompts.spoken), zh-CN and en-US.

cn2an is the independent oracle for Chinese numerals: it parses our words back
(``cn2an.cn2an(..., "strict")``), and below 10**5 its own writing (``cn2an.an2cn``) must
equal ours; above that it adds an optional 零 we do not speak (see the section-zero test).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompts import spoken
from tests.support.figures import spoken_gb, written_gb, zh_number

LANGUAGES = ("zh-CN", "en-US")
MB = 1024
GB = 1024 * 1024

# Deterministic and fast: fixed seed, no example database, no per-example deadline.
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)

# cn2an handles at most 16 digits; that is also where 亿 sections stop being plain usage.
WIDE_INTEGERS = st.integers(min_value=-(10**16) + 1, max_value=10**16 - 1)
FEN = st.one_of(
    st.integers(min_value=0, max_value=10**12 - 1),
    st.integers(min_value=0, max_value=100_000),  # the amounts callers actually hear
)
KB = st.one_of(
    st.integers(min_value=0, max_value=MB - 1),
    st.integers(min_value=MB, max_value=GB - 1),
    st.integers(min_value=GB, max_value=2**40),
    st.sampled_from([0, 1, MB - 1, MB, MB + 1, GB - 1, GB, GB + 1, 3 * GB, 5 * GB // 2]),
)


# --- money, spoken ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (12345, "一百二十三元四角五分"),
        (8706, "八十七元零六分"),
        (10000, "一百元"),
        (0, "零元"),
        (50, "五角"),
        (3, "三分"),
        (53, "五角三分"),
        (105, "一元零五分"),
        (1050, "十元五角"),
        (100005, "一千元零五分"),
        (1000000, "一万元"),
        (100100, "一千零一元"),
        (1234567890, "一千二百三十四万五千六百七十八元九角"),
        (10**12, "一百亿元"),
        (10**12 - 1, "九十九亿九千九百九十九万九千九百九十九元九角九分"),
    ],
)
def test_zh_money_reads_jiao_fen_like_an_operator(fen: int, words: str) -> None:
    assert spoken.money(fen, "zh-CN") == words


@pytest.mark.parametrize(
    ("fen", "words"),
    [(2000, "二十元"), (200, "两元"), (22222, "两百二十二元两角两分"), (2000000, "两万元")],
)
def test_zh_money_says_liang_before_a_unit_and_er_inside(fen: int, words: str) -> None:
    assert spoken.money(fen, "zh-CN") == words


@pytest.mark.parametrize(
    ("fen", "words"),
    [(1500, "十五元"), (1000, "十元"), (11000, "一百一十元"), (1010000, "一万零一百元")],
)
def test_zh_money_says_shi_at_the_start_and_yi_shi_inside(fen: int, words: str) -> None:
    assert spoken.money(fen, "zh-CN") == words


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (12345, "123 yuan and 45 fen"),
        (8706, "87 yuan and 6 fen"),
        (10000, "100 yuan"),
        (0, "0 yuan"),
        (45, "45 fen"),
        (100, "1 yuan"),
        (1, "1 fen"),
        (1234500, "12345 yuan"),
    ],
)
def test_en_money_reads_plain_digits_in_yuan_and_fen(fen: int, words: str) -> None:
    assert spoken.money(fen, "en-US") == words


@pytest.mark.parametrize("language", LANGUAGES)
def test_money_refuses_negative_amounts_because_arrears_have_their_own_prompt(
    language: str,
) -> None:
    with pytest.raises(ValueError, match="negative"):
        spoken.money(-1, language)


@pytest.mark.parametrize("function", [spoken.money, spoken.written_money, spoken.integer])
def test_money_and_numbers_refuse_floats_and_bools(function: Callable[[Any, str], str]) -> None:
    with pytest.raises(TypeError):
        function(12.5, "zh-CN")
    with pytest.raises(TypeError):
        function(True, "en-US")


_ZH_MONEY = re.compile(
    r"(?:(?P<yuan>[^元角分]+)元)?(?P<zero>零)?"
    r"(?:(?P<jiao>[一两三四五六七八九])角)?(?:(?P<fen>[一二两三四五六七八九])分)?"
)


@PROPERTY
@given(FEN)
def test_zh_money_parses_back_to_the_same_fen(fen: int) -> None:
    words = spoken.money(fen, "zh-CN")
    match = _ZH_MONEY.fullmatch(words)
    assert match is not None and words, words
    yuan = zh_number(match["yuan"]) if match["yuan"] else 0
    jiao = zh_number(match["jiao"]) if match["jiao"] else 0
    fen_digit = zh_number(match["fen"]) if match["fen"] else 0
    assert yuan * 100 + jiao * 10 + fen_digit == fen
    # 零 only for a missing 角 between 元 and 分; 零元 only for nothing at all.
    assert bool(match["zero"]) == bool(yuan and not jiao and fen_digit)
    assert (match["yuan"] == "零") == (fen == 0)
    if match["yuan"]:
        assert match["yuan"] == spoken.count(yuan, "zh-CN")


_EN_MONEY = re.compile(
    r"(?P<yuan>0|[1-9]\d*) yuan(?: and (?P<fen>[1-9]\d?) fen)?|(?P<only_fen>[1-9]\d?) fen"
)


@PROPERTY
@given(FEN)
def test_en_money_parses_back_to_the_same_fen(fen: int) -> None:
    match = _EN_MONEY.fullmatch(spoken.money(fen, "en-US"))
    assert match is not None
    yuan = int(match["yuan"] or 0)
    fen_part = int(match["fen"] or match["only_fen"] or 0)
    assert yuan * 100 + fen_part == fen


# --- money, written (SMS) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "zh", "en"),
    [
        (12345, "123.45元", "CNY 123.45"),
        (0, "0.00元", "CNY 0.00"),
        (5, "0.05元", "CNY 0.05"),
        (-500, "-5.00元", "CNY -5.00"),
        (-5, "-0.05元", "CNY -0.05"),
        (1234567890, "12345678.90元", "CNY 12345678.90"),
    ],
)
def test_written_money_has_two_decimals_and_keeps_the_sign(fen: int, zh: str, en: str) -> None:
    assert spoken.written_money(fen, "zh-CN") == zh
    assert spoken.written_money(fen, "en-US") == en


@PROPERTY
@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_written_money_parses_back_to_the_same_fen(fen: int) -> None:
    text = spoken.written_money(fen, "zh-CN")
    match = re.fullmatch(r"(-?)(0|[1-9]\d*)\.(\d\d)元", text)
    assert match is not None, text
    value = int(match[2]) * 100 + int(match[3])
    assert (-value if match[1] else value) == fen
    assert spoken.written_money(fen, "en-US") == "CNY " + text.removesuffix("元")


# --- integers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "zh", "en"),
    [
        (0, "零", "0"),
        (2, "二", "2"),
        (10, "十", "10"),
        (15, "十五", "15"),
        (101, "一百零一", "101"),
        (110, "一百一十", "110"),
        (1001, "一千零一", "1001"),
        (1010, "一千零一十", "1010"),
        (20000, "两万", "20000"),
        (100001, "十万零一", "100001"),
        (100100000, "一亿零一十万", "100100000"),
        (-5, "负五", "minus 5"),
        (-10, "负十", "minus 10"),
    ],
)
def test_integer_reads_cardinals_with_ling_and_shi_rules(n: int, zh: str, en: str) -> None:
    assert spoken.integer(n, "zh-CN") == zh
    assert spoken.integer(n, "en-US") == en


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (101000, "十万一千"),
        (9601000, "九百六十万一千"),
        (100001000, "一亿零一千"),
        (1000010000, "十亿零一万"),
    ],
)
def test_zh_integer_does_not_read_the_zeros_ending_a_section(n: int, words: str) -> None:
    """A full 4-digit section after 万/亿 takes no 零 (textbook rule: 每级末尾的0都不读).

    cn2an.an2cn writes 九百六十万零一千 here (the optional cheque-writing style); the shorter
    form is what is said aloud, so our words are compared with an2cn only below 10**5.
    """
    assert spoken.integer(n, "zh-CN") == words


@PROPERTY
@given(WIDE_INTEGERS)
def test_zh_integer_parses_back_to_the_same_number(n: int) -> None:
    words = spoken.integer(n, "zh-CN")
    assert zh_number(words) == n
    assert "零零" not in words
    assert "两" not in words.removeprefix("负")[1:]  # only a leading 2 is ever 两
    assert words == "零" or not words.endswith("零")


@PROPERTY
@given(st.integers(min_value=-99_999, max_value=99_999))
def test_zh_integer_matches_cn2an_within_one_wan_section(n: int) -> None:
    # cn2an writes 二百; Putonghua says 两 for a leading 2 before 百/千/万/亿.
    assert spoken.integer(n, "zh-CN") == re.sub(r"^(负?)二(?=[百千万亿])", r"\1两", cn2an.an2cn(n))


@PROPERTY
@given(WIDE_INTEGERS)
def test_en_integer_parses_back(n: int) -> None:
    match = re.fullmatch(r"(minus )?(0|[1-9]\d*)", spoken.integer(n, "en-US"))
    assert match is not None
    assert (-1 if match[1] else 1) * int(match[2]) == n


# --- data volume -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kb", "zh", "en", "written"),
    [
        (0, "零兆", "0 megabytes", "0MB"),
        (1, "不足一兆", "less than 1 megabyte", "<1MB"),
        (MB - 1, "不足一兆", "less than 1 megabyte", "<1MB"),
        (MB, "一兆", "1 megabyte", "1MB"),
        (2 * MB - 1, "一兆", "1 megabyte", "1MB"),
        (320 * MB, "三百二十兆", "320 megabytes", "320MB"),
        (320 * MB + MB - 1, "三百二十兆", "320 megabytes", "320MB"),
        (GB - 1, "一千零二十三兆", "1023 megabytes", "1023MB"),
        (GB, "一G", "1 gigabyte", "1GB"),
        (GB + GB // 10 - 1, "一G", "1 gigabyte", "1GB"),
        (GB * 3 // 2, "一点五G", "1.5 gigabytes", "1.5GB"),
        (GB * 5 // 2, "二点五G", "2.5 gigabytes", "2.5GB"),
        (3 * GB, "三G", "3 gigabytes", "3GB"),
        (3 * GB - 1, "二点九G", "2.9 gigabytes", "2.9GB"),
        (100 * GB, "一百G", "100 gigabytes", "100GB"),
    ],
)
def test_data_volume_rounds_down_in_megabytes_then_gigabytes(
    kb: int, zh: str, en: str, written: str
) -> None:
    assert spoken.data_volume(kb, "zh-CN") == zh
    assert spoken.data_volume(kb, "en-US") == en
    assert spoken.written_data_volume(kb, "zh-CN") == written
    assert spoken.written_data_volume(kb, "en-US") == written


@pytest.mark.parametrize("function", [spoken.data_volume, spoken.written_data_volume])
@pytest.mark.parametrize("language", LANGUAGES)
def test_data_volume_refuses_negative(function: Callable[[Any, str], str], language: str) -> None:
    with pytest.raises(ValueError, match="negative"):
        function(-1, language)


@PROPERTY
@given(KB, st.sampled_from(LANGUAGES))
def test_data_volume_never_overstates_and_is_close(kb: int, language: str) -> None:
    true_gb = Fraction(kb, GB)
    said = spoken_gb(spoken.data_volume(kb, language), language)
    written = written_gb(spoken.written_data_volume(kb, language))
    assert said == written
    if said is None:
        assert 0 < kb < MB
        return
    assert said <= true_gb
    tolerance = Fraction(1, 10) if kb >= GB else Fraction(1, 1024)
    assert true_gb - said < tolerance


@st.composite
def _plan_and_use(draw: st.DrawFn) -> tuple[int, int]:
    """A plan's data (plans as operators sell them, and any size at all) and data used,
    often close to the plan, where rounding decides what is said."""
    quota = draw(
        st.one_of(
            st.sampled_from([0, 100 * MB, 500 * MB, GB, 2 * GB, 5 * GB, 10 * GB, 20 * GB, 40 * GB]),
            st.integers(min_value=1, max_value=400).map(lambda halves: halves * GB // 2),
            st.integers(min_value=0, max_value=2**40),
        )
    )
    used = draw(
        st.one_of(
            st.integers(min_value=0, max_value=2**40),
            st.integers(min_value=-2 * GB, max_value=2 * GB).map(lambda d: max(quota + d, 0)),
            st.integers(min_value=-2 * MB, max_value=2 * MB).map(lambda d: max(quota + d, 0)),
        )
    )
    return quota, used


def _unit_gb(said: spoken.DataUse) -> Fraction:
    """The step the figures were said in: a tenth of a gigabyte or a megabyte."""
    in_gigabytes = said.quota.endswith(("G", "gigabyte", "gigabytes"))
    return Fraction(1, 10) if in_gigabytes else Fraction(1, 1024)


@PROPERTY
@given(_plan_and_use(), st.sampled_from(LANGUAGES))
def test_data_used_and_left_add_up_to_the_plan_as_said(
    plan_and_use: tuple[int, int], language: str
) -> None:
    """A caller can check the sum: used + left = the plan; over it, used - plan = the excess;
    and the SMS writes the same figures."""
    quota, used = plan_and_use
    said = spoken.data_use(used, quota, language)
    written = spoken.data_use(used, quota, language, written=True)
    assert written.case == said.case
    if said.case == "no_quota":
        assert quota == 0 and said.used == spoken.data_volume(used, language)
        return
    nothing = spoken.data_volume(0, language)
    figures = [spoken_gb(f, language) for f in (said.used, said.quota, said.rest or nothing)]
    assert figures == [written_gb(f) for f in (written.used, written.quota, written.rest or "0MB")]
    heard_used, heard_plan, heard_rest = figures
    assert heard_used is not None and heard_plan is not None and heard_rest is not None
    true_used, true_plan = Fraction(used, GB), Fraction(quota, GB)
    unit = _unit_gb(said)
    assert heard_plan <= true_plan < heard_plan + unit  # whole plans are said exactly
    if said.case == "within":
        assert heard_used + heard_rest == heard_plan and heard_rest > 0
        assert used < quota
    elif said.case == "over":
        assert heard_used - heard_plan == heard_rest and heard_rest > 0
        assert used - quota >= MB
    else:
        assert said.rest == "" and heard_used == heard_plan
        assert abs(true_used - true_plan) < unit
    if said.case != "used_up":
        assert heard_used <= true_used < heard_used + unit  # used is rounded down, as elsewhere


@pytest.mark.parametrize(
    ("used", "quota", "zh", "en"),
    [
        (2 * GB + 300 * MB, 5 * GB, ("二点二G", "二点八G", "五G"), ("2.2", "2.8", "5")),
        (2 * GB + 700 * MB, 2 * GB, ("二点六G", "零点六G", "两G"), ("2.6", "0.6", "2")),
        (5 * GB - 50 * MB, 5 * GB, ("五千零七十兆", "五十兆", "五千一百二十兆"), None),
        (30 * MB, 5 * GB, ("三十兆", "五千零九十兆", "五千一百二十兆"), None),
        (5 * GB + 500, 5 * GB, ("五G", "", "五G"), ("5", "", "5")),
    ],
    ids=["within", "over", "a-sliver-left", "a-sliver-used", "less-than-a-megabyte-over"],
)
def test_data_use_is_said_in_one_unit(
    used: int, quota: int, zh: tuple[str, str, str], en: tuple[str, str, str] | None
) -> None:
    said = spoken.data_use(used, quota, "zh-CN")
    assert (said.used, said.rest, said.quota) == zh
    if en is not None:
        written = spoken.data_use(used, quota, "en-US", written=True)
        assert (written.used, written.rest, written.quota) == tuple(
            f"{figure}GB" if figure else "" for figure in en
        )


# --- dates and months ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "zh", "en"),
    [
        (datetime.date(2026, 11, 25), "11月25日", "November 25th"),
        (datetime.date(2026, 1, 1), "1月1日", "January 1st"),
        (datetime.date(2026, 2, 2), "2月2日", "February 2nd"),
        (datetime.date(2026, 3, 3), "3月3日", "March 3rd"),
        (datetime.date(2026, 4, 4), "4月4日", "April 4th"),
        (datetime.date(2026, 5, 11), "5月11日", "May 11th"),
        (datetime.date(2026, 6, 12), "6月12日", "June 12th"),
        (datetime.date(2026, 7, 13), "7月13日", "July 13th"),
        (datetime.date(2026, 8, 21), "8月21日", "August 21st"),
        (datetime.date(2026, 9, 22), "9月22日", "September 22nd"),
        (datetime.date(2026, 10, 23), "10月23日", "October 23rd"),
        (datetime.date(2026, 12, 31), "12月31日", "December 31st"),
    ],
)
def test_date_reads_month_and_ordinal_day_without_year(
    day: datetime.date, zh: str, en: str
) -> None:
    assert spoken.date(day, "zh-CN") == zh
    assert spoken.date(day, "en-US") == en


@pytest.mark.parametrize(
    ("year", "month", "zh", "zh_with_year", "en", "en_with_year"),
    [
        (2026, 10, "10月", "二零二六年十月", "October", "October 2026"),
        (2026, 1, "1月", "二零二六年一月", "January", "January 2026"),
        (2025, 11, "11月", "二零二五年十一月", "November", "November 2025"),
        (2030, 12, "12月", "二零三零年十二月", "December", "December 2030"),
    ],
)
def test_month_spells_the_year_digit_by_digit_for_tts(
    year: int, month: int, zh: str, zh_with_year: str, en: str, en_with_year: str
) -> None:
    assert spoken.month(year, month, "zh-CN") == zh
    assert spoken.month(year, month, "zh-CN", with_year=True) == zh_with_year
    assert spoken.month(year, month, "en-US") == en
    assert spoken.month(year, month, "en-US", with_year=True) == en_with_year


@pytest.mark.parametrize("month", [0, 13, -1])
def test_month_refuses_impossible_months(month: int) -> None:
    with pytest.raises(ValueError, match="month"):
        spoken.month(2026, month, "zh-CN")


# --- phone numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "zh", "en"),
    [
        (
            "13800138000",
            "幺三八零零幺三八零零零",
            "one three eight zero zero one three eight zero zero zero",
        ),
        ("10010", "幺零零幺零", "one zero zero one zero"),
        (
            "+8618612345679",
            "八六幺八六幺二三四五六七九",
            "eight six one eight six one two three four five six seven nine",
        ),
        ("0", "零", "zero"),
    ],
)
def test_phone_number_is_read_digit_by_digit_with_yao_for_one(
    digits: str, zh: str, en: str
) -> None:
    assert spoken.phone_number(digits, "zh-CN") == zh
    assert spoken.phone_number(digits, "en-US") == en


@pytest.mark.parametrize(
    "digits", ["", "+", "138 0013 8000", "138-0013-8000", "++86", "86+1", "١٢٣", "12²", "1a"]
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_number_refuses_anything_but_ascii_digits(digits: str, language: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        spoken.phone_number(digits, language)


@PROPERTY
@given(st.text(alphabet="0123456789", min_size=1, max_size=20), st.booleans())
def test_phone_number_has_one_word_per_digit(digits: str, plus: bool) -> None:
    number = "+" + digits if plus else digits
    zh = spoken.phone_number(number, "zh-CN")
    en = spoken.phone_number(number, "en-US").split(" ")
    assert len(zh) == len(en) == len(digits)
    assert zh == "".join("零幺二三四五六七八九"[int(d)] for d in digits)


# --- languages -------------------------------------------------------------------------

_CALLS: list[Callable[[str], str]] = [
    lambda language: spoken.money(100, language),
    lambda language: spoken.written_money(100, language),
    lambda language: spoken.integer(1, language),
    lambda language: spoken.data_volume(1, language),
    lambda language: spoken.written_data_volume(1, language),
    lambda language: spoken.date(datetime.date(2026, 1, 1), language),
    lambda language: spoken.month(2026, 1, language),
    lambda language: spoken.phone_number("10010", language),
]


@pytest.mark.parametrize("call", _CALLS)
@pytest.mark.parametrize("language", ["zh", "en", "zh-cn", "en-GB", "zh-TW", ""])
def test_every_function_accepts_only_the_two_hotline_languages(
    call: Callable[[str], str], language: str
) -> None:
    with pytest.raises(ValueError, match="language"):
        call(language)
