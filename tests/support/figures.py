"""Spoken and written figures parsed back to their values, with an independent oracle for
Chinese numerals (cn2an), for the tests that check what a caller can add up."""

from __future__ import annotations

import re
from fractions import Fraction

import cn2an


def zh_number(words: str) -> int:
    """Parse Chinese numerals with the independent oracle, insisting on a whole number.

    cn2an's strict mode knows only 二; where 两 belongs is tested in test_mandarin_liang.py.
    """
    value = cn2an.cn2an(words.replace("两", "二"), "strict")
    assert isinstance(value, int), (words, value)
    return value


def spoken_gb(words: str, language: str) -> Fraction | None:
    """The value of spoken data words in GB, or None for "less than one megabyte"."""
    if language == "zh-CN":
        if words == "不足一兆":
            return None
        if words.endswith("兆"):
            return Fraction(zh_number(words.removesuffix("兆")), 1024)
        match = re.fullmatch(r"(.+?)(?:点(.))?G", words)
        assert match is not None, words
        whole = zh_number(match[1])
        tenth = zh_number(match[2]) if match[2] else 0
        assert match[2] != "零"  # 三G, never 三点零G
        return whole + Fraction(tenth, 10)
    if words == "less than 1 megabyte":
        return None
    match = re.fullmatch(r"(0|[1-9]\d*) megabytes?", words)
    if match:
        assert (int(match[1]) == 1) == words.endswith("megabyte")
        return Fraction(int(match[1]), 1024)
    match = re.fullmatch(r"(0|[1-9]\d*)(?:\.([1-9]))? gigabytes?", words)
    assert match is not None, words
    assert (words == "1 gigabyte") == words.endswith("gigabyte")
    return int(match[1]) + Fraction(int(match[2] or 0), 10)


def written_gb(text: str) -> Fraction | None:
    """The value of a written data volume (SMS text: 2.5GB, 320MB) in GB; None for <1MB."""
    if text == "<1MB":
        return None
    match = re.fullmatch(r"(0|[1-9]\d*)(?:\.([1-9]))?(MB|GB)", text)
    assert match is not None, text
    value = int(match[1]) + Fraction(int(match[2] or 0), 10)
    return value / 1024 if match[3] == "MB" else value
