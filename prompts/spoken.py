"""Spoken forms of money, numbers, data volumes, dates and phone numbers (zh-CN, en-US).

Prompt placeholders are filled with these strings, never with raw figures, so that the
text-to-speech engine reads exactly what a 10010 operator would say.

Conventions shared by every function:

* Money is always an ``int`` count of fen (1 yuan = 100 fen); floats are rejected with
  ``TypeError`` so that a rounding error can never be read out to a customer.
* ``language`` is exactly ``"zh-CN"`` or ``"en-US"``; anything else raises ``ValueError``.
* Chinese numerals follow Putonghua usage of 两 and 二: 两 for a leading 2 before 百, 千,
  万 or 亿 (两百, 两千元, 两万) and for a lone 2 before a measure word or unit (两次, 两条,
  两分钟, 两元, 两角, 两分, 两G); 二 in every other digit position (十二, 二十二, 一百零二),
  in decimals (二点五G), in ordinals (第二位) and dates (二月), and for the bare number.
  :func:`integer` is the bare number; :func:`count` is a number before a measure word, and
  the catalog applies :func:`before_measure` to a placeholder its text follows with one.
* English figures stay as plain Arabic digits without thousands separators ("12345 yuan"):
  the English TTS voice reads digits correctly, and separators are read inconsistently.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "LANGUAGES",
    "DataUse",
    "before_measure",
    "count",
    "data_use",
    "data_volume",
    "date",
    "date_time",
    "hours",
    "integer",
    "money",
    "month",
    "ordinal",
    "phone_number",
    "time_of_day",
    "written_data_volume",
    "written_date_time",
    "written_money",
]

LANGUAGES: Final = ("zh-CN", "en-US")

KB_PER_MB: Final = 1024
KB_PER_GB: Final = 1024 * 1024

_ZH_DIGITS: Final = "零一二三四五六七八九"
# Phone numbers are read with 幺 for 1, as Chinese operators do, so 1 and 7 are not confused.
_ZH_PHONE_DIGITS: Final = "零幺二三四五六七八九"
_EN_DIGITS: Final = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ZH_SMALL_UNITS: Final = ("", "十", "百", "千")
# Section units, largest first: each is 10**4 times the next.  Larger numbers recurse on
# the multiplier (10**12 -> 一万亿), which cn2an and ordinary usage both accept.
_ZH_SECTIONS: Final = ((10**8, "亿"), (10**4, "万"))
# Words a Chinese number is counted in: before these a lone 2 is 两 (两次, 两分钟, 两G).
# 月, 日, 号 and 年 are left out: after a bare numeral they name a date (二月, 二日).
MEASURE_WORDS: Final = (
    "分钟", "小时", "个", "次", "位", "条", "天", "周", "秒", "元", "角", "分", "块", "毛",
    "张", "台", "项", "笔", "份", "遍", "倍", "名", "人", "兆", "G", "M",
)  # fmt: skip
_ZH_NUMERAL_CHARS: Final = frozenset("零一二两三四五六七八九十百千万亿")
# Month names are spelled out here rather than taken from :mod:`calendar`, whose names
# follow the process locale.
_EN_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")


def _check_int(value: object, what: str) -> None:
    # bool is an int subclass; a float would mean someone computed money in yuan.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")


def _zh_below_10000(n: int, leading: bool) -> str:
    """Chinese numerals for 0 < n < 10000, with 零 for each run of inner zeros.

    *leading* means these are the first words of the whole number, where 10..19 are read
    十, 十一 ... rather than 一十, 一十一 (一百一十 keeps its 一十).
    """
    digits = f"{n:04d}"
    words: list[str] = []
    pending_zero = False
    for position, char in enumerate(digits):
        digit = int(char)
        unit = _ZH_SMALL_UNITS[3 - position]
        if digit == 0:
            pending_zero = bool(words)
            continue
        if pending_zero:
            words.append("零")
            pending_zero = False
        if digit == 1 and unit == "十" and leading and not words:
            words.append("十")
        else:
            words.append(_ZH_DIGITS[digit] + unit)
    return "".join(words)


def _zh_positive(n: int, leading: bool) -> str:
    """Chinese numerals for n > 0, split into 亿 and 万 sections."""
    for size, name in _ZH_SECTIONS:
        if n >= size:
            high, rest = divmod(n, size)
            words = _zh_positive(high, leading) + name
            if rest:
                # A gap at the top of the lower section is spoken as one 零:
                # 一万零五百, 一亿零一十万, but 一万五千.
                if rest < size // 10:
                    words += "零"
                words += _zh_positive(rest, leading=False)
            return words
    return _zh_below_10000(n, leading)


def _zh_integer(n: int, *, measure: bool = False) -> str:
    """Chinese numerals for *n*: 两 for a leading 2 before 百/千/万/亿 (两百, 两万三千);
    with *measure* (a measure word follows) a lone 2 is 两 too."""
    if n == 0:
        return "零"
    if n < 0:
        return "负" + _zh_integer(-n, measure=measure)
    words = _zh_positive(n, leading=True)
    lone = len(words) == 1 and measure
    if words[0] == "二" and (lone or words[1:2] in ("百", "千", "万", "亿")):
        words = "两" + words[1:]
    return words


def before_measure(words: str) -> str:
    """A Chinese numeral as it is said before a measure word: ``二`` becomes ``两``.

    Anything that is not a lone 二 is returned unchanged (十二, 两百, 幺三八…): the catalog
    applies this to whatever fills a placeholder followed by a measure word.
    """
    return "两" if words == "二" else words


def integer(n: int, language: str) -> str:
    """A cardinal number: zh ``101 -> 一百零一``, ``-5 -> 负五``; en ``-5 -> minus 5``."""
    _check_language(language)
    _check_int(n, "n")
    if language == "zh-CN":
        return _zh_integer(n)
    return f"minus {-n}" if n < 0 else str(n)


def ordinal(words: str) -> str:
    """A Chinese numeral as it is said after 第: ordinals keep 二 (第二百位, not 第两百位)."""
    return "二" + words[1:] if words.startswith("两") else words


def count(n: int, language: str) -> str:
    """A number before a measure word: zh ``2 -> 两`` (两次, 两位), ``12 -> 十二``,
    ``200 -> 两百``; en as :func:`integer`. Counts are never negative."""
    _check_language(language)
    _check_int(n, "n")
    if n < 0:
        raise ValueError(f"a count must not be negative (got {n})")
    return _zh_integer(n, measure=True) if language == "zh-CN" else str(n)


def money(fen: int, language: str) -> str:
    """An amount of money as spoken, e.g. zh 一百二十三元四角五分, en 123 yuan and 45 fen.

    Only amounts >= 0: arrears have their own prompt ("您已欠费…"), so callers pass
    ``abs()`` and a stray negative here is a bug, not something to read out.

    zh follows the operator's reading of 元/角/分: zero parts are left out, and 零 is
    spoken only when 角 is missing between 元 and 分 (八十七元零六分; 十元五角). Each of
    元, 角 and 分 is a unit, so a lone 2 before it is 两 (两元两角两分, 十二元), except
    after 零 (一元零二分).
    """
    _check_language(language)
    _check_int(fen, "fen")
    if fen < 0:
        raise ValueError(f"money must not be negative (got {fen} fen); speak arrears with abs()")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if language == "en-US":
        if cents == 0:
            return f"{yuan} yuan"
        if yuan == 0:
            return f"{cents} fen"
        return f"{yuan} yuan and {cents} fen"
    if fen == 0:
        return "零元"
    words = _zh_integer(yuan, measure=True) + "元" if yuan else ""
    if jiao:
        words += _zh_integer(jiao, measure=True) + "角"
    if fen_digit:
        # After 零 the figure reads as a digit position, as in 一百零二: 一元零二分.
        gap = bool(yuan and not jiao)
        words += ("零" if gap else "") + _zh_integer(fen_digit, measure=not gap) + "分"
    return words


def written_money(fen: int, language: str) -> str:
    """An amount of money for SMS text: zh ``123.45元``, en ``CNY 123.45``; negatives allowed."""
    _check_language(language)
    _check_int(fen, "fen")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    figure = f"{sign}{yuan}.{cents:02d}"
    return f"{figure}元" if language == "zh-CN" else f"CNY {figure}"


def _check_kb(kb: int) -> None:
    _check_int(kb, "kb")
    if kb < 0:
        raise ValueError(f"data volume must not be negative (got {kb} KB)")


def _in_tenths(kb: int) -> int:
    """*kb* in tenths of a gigabyte, rounded down."""
    return kb * 10 // KB_PER_GB


def _in_megabytes(kb: int) -> int:
    """*kb* in whole megabytes, rounded down."""
    return kb // KB_PER_MB


def _said_tenths(tenths: int, language: str) -> str:
    """Tenths of a gigabyte, as said: zh 二点五G, 两G, 零点七G; en 2.5 gigabytes, 1 gigabyte."""
    whole, tenth = divmod(tenths, 10)
    if language == "zh-CN":
        if tenth:
            return f"{_zh_integer(whole)}点{_ZH_DIGITS[tenth]}G"
        return _zh_integer(whole, measure=True) + "G"
    if tenth:
        return f"{whole}.{tenth} gigabytes"
    return "1 gigabyte" if whole == 1 else f"{whole} gigabytes"


def _said_megabytes(mb: int, language: str) -> str:
    """Whole megabytes, as said: zh 三百二十兆, 两兆; en 320 megabytes, 1 megabyte."""
    if language == "zh-CN":
        return _zh_integer(mb, measure=True) + "兆"
    return "1 megabyte" if mb == 1 else f"{mb} megabytes"


def _written_tenths(tenths: int) -> str:
    whole, tenth = divmod(tenths, 10)
    return f"{whole}.{tenth}GB" if tenth else f"{whole}GB"


def _written_megabytes(mb: int) -> str:
    return f"{mb}MB"


def data_volume(kb: int, language: str) -> str:
    """A data amount given in KB (binary units), as spoken.

    Rounded down so remaining data is never overstated: below 1 GB whole megabytes
    (zh 三百二十兆, en 320 megabytes), below 1 MB "不足一兆" / "less than 1 megabyte",
    from 1 GB gigabytes with at most one decimal (二点五G, 2.5 gigabytes; 三G, 3 gigabytes).
    兆 and G are units: 两兆, 两G, but 二点五G.
    """
    _check_language(language)
    _check_kb(kb)
    if kb == 0:
        return "零兆" if language == "zh-CN" else "0 megabytes"
    if kb < KB_PER_MB:
        return "不足一兆" if language == "zh-CN" else "less than 1 megabyte"
    if kb < KB_PER_GB:
        return _said_megabytes(_in_megabytes(kb), language)
    return _said_tenths(_in_tenths(kb), language)


def written_data_volume(kb: int, language: str) -> str:
    """The :func:`data_volume` value for SMS text, same in both languages: 320MB, 2.5GB, <1MB."""
    _check_language(language)
    _check_kb(kb)
    if kb == 0:
        return "0MB"
    if kb < KB_PER_MB:
        return "<1MB"
    if kb < KB_PER_GB:
        return _written_megabytes(_in_megabytes(kb))
    return _written_tenths(_in_tenths(kb))


@dataclass(frozen=True)
class DataUse:
    """This month's data against the plan, as said together (see :func:`data_use`)."""

    case: Literal["within", "used_up", "over", "no_quota"]
    used: str
    quota: str
    """The plan's data; "" for ``no_quota``."""
    rest: str
    """What is left of the plan (``within``) or how far past it (``over``); "" otherwise."""


def data_use(used_kb: int, quota_kb: int, language: str, *, written: bool = False) -> DataUse:
    """Data used against a plan of *quota_kb*, said (or, *written*, for SMS text) so that the
    figures add up as heard: used + left = the plan, and over the plan used - plan = the
    excess.

    All three are in one unit: tenths of a gigabyte when the plan is a whole number of them,
    one of the figures reaches 1 GB, and neither part (used and left, or plan and excess) is
    a sliver below a tenth; whole megabytes otherwise. Used is rounded down, as
    :func:`data_volume` rounds it wherever else it is said, and the rest follows from it. Less
    than a megabyte past the plan is said as used up. A plan without data (*quota_kb* 0) says
    only what was used.
    """
    _check_language(language)
    _check_kb(used_kb)
    _check_kb(quota_kb)
    if quota_kb == 0:
        volume = written_data_volume if written else data_volume
        return DataUse("no_quota", volume(used_kb, language), "", "")
    if 0 < used_kb - quota_kb < KB_PER_MB:
        used_kb = quota_kb  # less than a megabyte past the plan: it is used up
    rest_kb = abs(quota_kb - used_kb)
    tenths = (
        quota_kb * 10 % KB_PER_GB == 0
        and max(used_kb, quota_kb) >= KB_PER_GB
        and all(part == 0 or part * 10 >= KB_PER_GB for part in (used_kb, rest_kb))
    )
    unit = _in_tenths if tenths else _in_megabytes
    used, quota = unit(used_kb), unit(quota_kb)
    rest = abs(quota - used)
    case: Literal["within", "used_up", "over"] = (
        "used_up" if rest == 0 else "within" if used < quota else "over"
    )

    def said(amount: int) -> str:
        if amount == 0:
            return written_data_volume(0, language) if written else data_volume(0, language)
        if written:
            return _written_tenths(amount) if tenths else _written_megabytes(amount)
        return _said_tenths(amount, language) if tenths else _said_megabytes(amount, language)

    return DataUse(case, said(used), said(quota), said(rest) if rest else "")


def _en_ordinal(n: int) -> str:
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}{({1: 'st', 2: 'nd', 3: 'rd'}).get(n % 10, 'th')}"


def date(d: datetime.date, language: str) -> str:
    """A day of the year without the year: zh ``11月25日``, en ``November 25th``.

    zh keeps Arabic digits, as the product spec asks; TTS reads month and day figures
    correctly (it is only four-digit years it reads as amounts, see :func:`month`).
    """
    _check_language(language)
    if language == "zh-CN":
        return f"{d.month}月{d.day}日"
    return f"{_EN_MONTHS[d.month - 1]} {_en_ordinal(d.day)}"


def month(year: int, month: int, language: str, *, with_year: bool = False) -> str:
    """A calendar month: zh ``10月``, en ``October``; with ``with_year=True``
    zh ``二零二六年十月`` and en ``October 2026``.

    With a year, zh is written out in Chinese numerals because TTS reads "2026年" as the
    amount 二千二十六; years are read digit by digit (二零二六), and the month then uses
    numerals too so the phrase is uniform.
    """
    _check_language(language)
    _check_int(year, "year")
    _check_int(month, "month")
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12 (got {month})")
    if with_year and year < 1:
        raise ValueError(f"year must be positive (got {year})")
    if language == "en-US":
        name = _EN_MONTHS[month - 1]
        return f"{name} {year}" if with_year else name
    if not with_year:
        return f"{month}月"
    year_words = "".join(_ZH_DIGITS[int(char)] for char in str(year))
    return f"{year_words}年{_zh_integer(month)}月"


def phone_number(digits: str, language: str) -> str:
    """A phone number read digit by digit: zh 幺三八零零… (no separators),
    en ``one three eight zero zero …``.

    A leading "+" is dropped (it is not read); any other character than 0-9, including
    spaces and dashes, raises ``ValueError`` so formatting never reaches the caller's ear.
    """
    _check_language(language)
    number = digits.removeprefix("+")
    # str.isdigit() would accept other scripts' digits and superscripts; allow ASCII only.
    if not number or any(char not in "0123456789" for char in number):
        raise ValueError(f"not a phone number: {digits!r}")
    if language == "zh-CN":
        return "".join(_ZH_PHONE_DIGITS[int(char)] for char in number)
    return " ".join(_EN_DIGITS[int(char)] for char in number)


def hours(n: int, language: str) -> str:
    """Whole hours: zh ``四小时``, ``四十八小时``; en ``4 hours``, ``1 hour``."""
    _check_language(language)
    _check_int(n, "n")
    if n < 0:
        raise ValueError(f"hours must not be negative (got {n})")
    if language == "zh-CN":
        return _zh_integer(n, measure=True) + "小时"
    return "1 hour" if n == 1 else f"{n} hours"


# Parts of the day a Mandarin clock time is said with, by the hour they start at (24-hour).
_ZH_PARTS_OF_DAY: Final = (
    (0, "凌晨"), (5, "早上"), (10, "上午"), (12, "中午"), (13, "下午"), (18, "晚上"),
)  # fmt: skip


def time_of_day(t: datetime.time, language: str) -> str:
    """A clock time, to the minute: zh ``下午三点三十分``, ``早上九点零五分``, ``晚上九点``,
    ``中午十二点``, ``凌晨零点``; en ``3:30 PM``, ``9:05 AM``, ``3 PM``, ``12 PM`` (noon),
    ``12 AM`` (midnight).

    zh is said as people say it: the part of the day (凌晨, 早上, 上午, 中午, 下午, 晚上) and
    a 12-hour clock in Chinese numerals, 两点 for 2 o'clock; a whole hour has no minutes (a
    24-hour "21点整" is read off a timetable, not said). Seconds are dropped.
    """
    _check_language(language)
    if language == "zh-CN":
        part = next(name for start, name in reversed(_ZH_PARTS_OF_DAY) if t.hour >= start)
        hour = t.hour if t.hour <= 12 else t.hour - 12
        words = f"{part}{_zh_integer(hour, measure=True)}点"
        if t.minute:
            words += ("零" if t.minute < 10 else "") + _zh_integer(t.minute) + "分"
        return words
    hour = t.hour % 12 or 12
    half = "AM" if t.hour < 12 else "PM"
    return f"{hour} {half}" if t.minute == 0 else f"{hour}:{t.minute:02d} {half}"


def date_time(at: datetime.datetime, language: str) -> str:
    """A day and a time of day, already in local time: zh ``11月26日下午三点三十分``,
    en ``3:30 PM on November 26th``."""
    _check_language(language)
    day, clock = date(at.date(), language), time_of_day(at.time(), language)
    return f"{day}{clock}" if language == "zh-CN" else f"{clock} on {day}"


def written_date_time(at: datetime.datetime, language: str) -> str:
    """A day and time for SMS text, already in local time: zh ``11月26日15:30``,
    en ``26 Nov 15:30``. Written, the 24-hour clock is unambiguous (03:59 is not 15:59), so
    it needs no part of the day."""
    _check_language(language)
    if language == "zh-CN":
        return f"{at.month}月{at.day}日{at.hour:02d}:{at.minute:02d}"
    return f"{at.day} {_EN_MONTHS[at.month - 1][:3]} {at.hour:02d}:{at.minute:02d}"
