"""What the text-to-speech engine is given to say: the catalog text in its spoken form.

Used only for rendering audio; the catalog (and ``<Say>``) keep the written text. Three steps:
phrase replacements from ``tts_text.toml``, service numbers read digit by digit, and a split
of the text into runs of one script, each spoken by the voice of its language.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

SPOKEN_TEXT_FILE: Final = Path(__file__).with_name("tts_text.toml")
MANDARIN: Final = "zh-CN"
ENGLISH: Final = "en-US"

_SERVICE_NUMBER = re.compile(r"\d{3,}")
_DIGIT_WORDS: Final = {
    MANDARIN: dict(zip("0123456789", "零幺二三四五六七八九", strict=True)),
    ENGLISH: {digit: f"{digit} " for digit in "0123456789"},
}


@dataclass(frozen=True)
class Segment:
    """A run of text spoken by the voice of *language*."""

    language: str
    text: str


@cache
def replacements(language: str) -> Mapping[str, str]:
    """Written phrase -> spoken phrase for *language*, from ``tts_text.toml``."""
    with SPOKEN_TEXT_FILE.open("rb") as fh:
        table: Mapping[str, str] = tomllib.load(fh).get(language, {})
    return table


def _replace_phrases(text: str, language: str) -> str:
    table = replacements(language)
    for written in sorted(table, key=len, reverse=True):  # longer phrases first
        text = text.replace(written, table[written])
    return text


def _read_numbers_digitwise(text: str, language: str) -> str:
    words = _DIGIT_WORDS[language]
    return _SERVICE_NUMBER.sub(
        lambda match: "".join(words[digit] for digit in match.group()).strip(), text
    )


def _script_language(char: str) -> str | None:
    """The language whose voice must speak *char*; None for digits, spaces and punctuation."""
    if "\u3400" <= char <= "\u9fff":
        return MANDARIN
    if char.isascii() and char.isalpha():
        return ENGLISH
    return None


def _split_by_script(text: str, language: str) -> list[Segment]:
    """Split *text* into runs of one script; neutral characters stay with the run before."""
    segments: list[Segment] = []
    current, run = language, ""
    for char in text:
        script = _script_language(char)
        if script is not None and script != current and run.strip():
            segments.append(Segment(current, run))
            run = ""
        current = script or current
        run += char
    if run.strip():
        segments.append(Segment(current, run))
    return segments


def spoken_segments(text: str, language: str) -> tuple[Segment, ...]:
    """The segments to synthesise, in order, for catalog *text* of *language*."""
    spoken = _read_numbers_digitwise(_replace_phrases(text, language), language)
    return tuple(
        # English voices stumble over full-width punctuation; NFKC maps "，" to ",".
        Segment(s.language, unicodedata.normalize("NFKC", s.text).strip())
        if s.language == ENGLISH
        else Segment(s.language, s.text.strip())
        for s in _split_by_script(spoken, language)
    )
