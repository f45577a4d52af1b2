"""Names of the places billing gives data sessions (the usage trail), in each language.

Billing writes a session's place as it likes: 南京, 南京市鼓楼区, Nanjing, 서울. The known
places are static prompts of the catalog, ``place.<id>`` in ``catalog/places.*.toml``, so
that a line naming one is played from audio in either language, as a roaming country is.
A place billing names is found there by any of its names, or by a Chinese name that starts
with one (南京市鼓楼区 is Nanjing).

What is not found keeps its own name in Chinese. In English it is spelled in pinyin, from
xpinyin's table of characters (徐汇区 is Xuhuiqu), and a name in any other script than the
Latin one is left out: an English reply never carries Chinese characters. By voice only the
known places are said, since only they have audio (:func:`spoken_place`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from typing import Final

from xpinyin import Pinyin

from prompts.catalog import LANGUAGES, prompts

PREFIX: Final = "place."
_HAN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@cache
def names() -> Mapping[str, Mapping[str, str]]:
    """Place key (``place.nanjing``) → language → name, from the catalog."""
    return {
        key: {language: prompts(language)[key] for language in LANGUAGES}
        for key in prompts(LANGUAGES[0])
        if key.startswith(PREFIX)
    }


@cache
def _keys() -> Mapping[str, str]:
    """A name in any language, folded to lower case → place key."""
    return {
        name.lower(): key for key, by_language in names().items() for name in by_language.values()
    }


@cache
def _chinese_longest_first() -> tuple[tuple[str, str], ...]:
    chinese = [(by_language["zh-CN"], key) for key, by_language in names().items()]
    return tuple(sorted(chinese, key=lambda pair: len(pair[0]), reverse=True))


@cache
def _pinyin() -> Pinyin:
    return Pinyin()


def place_key(location: str | None) -> str | None:
    """The catalog key of the known place *location* names, or None."""
    if not location or not location.strip():
        return None
    text = location.strip()
    key = _keys().get(text.lower())
    if key is not None:
        return key
    return next((k for name, k in _chinese_longest_first() if text.startswith(name)), None)


def place_name(location: str | None, language: str) -> str | None:
    """*location* as written in *language*: a known place's name; else, in Chinese, the name
    as billing gave it and, in English, a Latin spelling (pinyin for Chinese characters), or
    None when there is none (an empty place, or one in another script)."""
    key = place_key(location)
    if key is not None:
        return names()[key][language]
    if not location or not location.strip():
        return None
    text = location.strip()
    if language == "zh-CN":
        return text
    spelled = _pinyin().get_pinyin(text, splitter="") if _HAN.search(text) else text
    spelled = " ".join(spelled.split())
    if any(c.isalpha() and not unicodedata.name(c, "").startswith("LATIN") for c in spelled):
        return None
    return spelled[:1].upper() + spelled[1:]


def spoken_place(location: str | None, language: str) -> str | None:
    """The name of *location* for a spoken line: only a known place, whose name is a prompt
    with audio; None for any other (the line then leaves the place out)."""
    key = place_key(location)
    return None if key is None else names()[key][language]
