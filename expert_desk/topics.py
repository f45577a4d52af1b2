"""The desk's topics, the key that picks each, the skill that serves it, and inference of the
topic from what the caller said (``topics.toml``)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

PHRASES_FILE: Final = Path(__file__).with_name("topics.toml")


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    skill: str


TOPICS: Final[tuple[Topic, ...]] = (
    Topic("settings", "1", "settings"),
    Topic("ios", "2", "ios"),
    Topic("android", "3", "android"),
    Topic("harmonyos", "4", "harmonyos"),
    Topic("apps", "5", "apps"),
    Topic("other", "6", "general"),
)
#: The general agents' line: key 0 anywhere, the last wrong key, a caller nobody knows.
#: Not a topic of the desk's menu (its key is the hotline-wide 0), served by "general".
GENERAL: Final = Topic("general", "0", "general")
BY_NAME: Final[Mapping[str, Topic]] = {t.name: t for t in (*TOPICS, GENERAL)}
BY_KEY: Final[Mapping[str, Topic]] = {t.key: t for t in TOPICS}
OTHER: Final = BY_NAME["other"]
#: Every skill an agent can have: one per topic ("general" serves "other").
SKILLS: Final = tuple(t.skill for t in TOPICS)

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# Latin words run straight into Chinese and into model numbers ("我的iPhone连不上WiFi",
# "iPhone15怎么设置"): a change of script (Latin, digits, anything else) splits them apart.
_SCRIPT_CHANGE = re.compile(
    r"(?<=[a-z])(?=[^a-z])|(?<=[^a-z])(?=[a-z])|(?<=[0-9])(?=[^0-9])|(?<=[^0-9])(?=[0-9])"
)
_OS_BY_MODEL: Final = (
    (("iphone", "ipad", "apple"), "ios"),
    (("huawei", "honor", "华为", "荣耀", "harmony"), "harmonyos"),
)


#: Topics of generic words (phone settings, "the system"): a brand, a system or an app named
#: in the same question ("安卓", "iPhone", "鸿蒙", "微信") wins over them.
GENERIC: Final = frozenset({"settings", "os"})


def normalise(text: str) -> str:
    return _NOISE.sub(" ", _SCRIPT_CHANGE.sub(" ", text.lower())).strip()


@cache
def phrases() -> Mapping[str, tuple[str, ...]]:
    with PHRASES_FILE.open("rb") as fh:
        table = tomllib.load(fh)
    return {topic: tuple(normalise(p) for p in entry["phrases"]) for topic, entry in table.items()}


def infer(text: str, phone_model: str | None = None) -> Topic | None:
    """The topic a caller's words are about, or None when they name none.

    Each topic scores the total length of its phrases found in *text*; the highest wins, ties
    going to the earlier topic, except that a brand, system or app named wins over generic
    words (:data:`GENERIC`: settings, "the system"). A question about "the system" goes to
    the operating system of the caller's phone model, when the account knows it.
    """
    said = f" {normalise(text)} "
    scores: dict[str, int] = {}
    for topic, words in phrases().items():
        for phrase in words:
            needle = f" {phrase} " if phrase.isascii() else phrase
            if phrase and needle in said:
                scores[topic] = scores.get(topic, 0) + len(phrase)
    if not scores:
        return None
    if any(name not in GENERIC for name in scores):  # "我的安卓手机连不上WiFi": Android
        scores = {name: score for name, score in scores.items() if name not in GENERIC}
    order = [t.name for t in TOPICS] + ["os"]
    best = max(scores, key=lambda name: (scores[name], -order.index(name)))
    if best == "os":
        os_topic = operating_system(phone_model)
        return BY_NAME[os_topic] if os_topic else None
    return BY_NAME[best]


def operating_system(phone_model: str | None) -> str | None:
    """The OS topic of a phone model ("iPhone 15" → ios), None when unknown."""
    if not phone_model:
        return None
    model = phone_model.lower()
    for marks, topic in _OS_BY_MODEL:
        if any(mark in model for mark in marks):
            return topic
    return "android"
