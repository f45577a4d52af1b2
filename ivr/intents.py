"""Speech intents: what a caller said, reduced to one of the menu's intents."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from prompts.intents import phrases

NAVIGATION = frozenset({"queries", "main_menu", "back", "repeat"})
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# Recognisers return Latin words run into Chinese ("iPhone怎么设置", "我的iPhone15"): where
# the script changes (Latin, digits, anything else) is a word boundary.
_SCRIPT_CHANGE = re.compile(
    r"(?<=[a-z])(?=[^a-z])|(?<=[^a-z])(?=[a-z])|(?<=[0-9])(?=[^0-9])|(?<=[^0-9])(?=[0-9])"
)


def _normalise(text: str) -> str:
    return " ".join(_NOISE.sub(" ", _SCRIPT_CHANGE.sub(" ", text.lower())).split())


@dataclass(frozen=True)
class Heard:
    """An intent recognised in what a caller said, and the language of the phrase."""

    intent: str
    language: str


def match(said: str, language: str) -> Heard | None:
    """The intent whose longest phrase occurs in *said*, or None.

    Navigation intents (repeat, back, menus) lose to any service intent, so "我想查一下话费"
    means the balance, not the queries menu. Both languages are tried, the call's own
    first: callers mix them ("查 balance").
    Latin phrases must match whole words ("app" is not in "happy"); Chinese phrases
    match anywhere, as Chinese has no spaces between words. A change of script is a word
    boundary, so "iPhone怎么设置" holds the word "iphone" and "5G套餐" the phrase "5g套餐".
    """
    text = f" {_normalise(said)} "
    best: tuple[tuple[bool, int], Heard] | None = None
    for lang in dict.fromkeys((language, "zh-CN", "en-US")):
        for intent, words in phrases(lang).items():
            for phrase in words:
                norm = _normalise(phrase)
                needle = f" {norm} " if norm.isascii() else norm
                score = (intent not in NAVIGATION, len(norm))
                if needle in text and (best is None or score > best[0]):
                    best = (score, Heard(intent, lang))
    return best[1] if best else None


@functools.cache
def hints(language: str) -> str:
    """Comma-separated phrases for Twilio's speech recognizer (``<Gather hints>``)."""
    return ",".join(p for words in phrases(language).values() for p in words)
