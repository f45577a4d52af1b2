"""Speech intents and desk topics in mixed-script utterances.

Chinese recognisers return Latin brand names and figures run into the Chinese, without
spaces ("iPhone怎么设置", "我的5G信号不好"); English callers say Chinese words in English
sentences. A change of script is a word boundary, in both directions.
"""

from __future__ import annotations

import pytest

from expert_desk import topics
from ivr import intents
from prompts.intents import phrases


def _intent(said: str, language: str = "zh-CN") -> str | None:
    heard = intents.match(said, language)
    return heard.intent if heard else None


# Exact strings as a Mandarin recogniser returns them (Latin as the brand writes it).
RECOGNISED = [
    ("iPhone", "expert"),
    ("iPhone怎么设置", "expert"),
    ("我的iPhone15连不上WiFi", "expert"),
    ("iPad怎么激活", "expert"),
    ("WiFi连不上", "expert"),
    ("APP怎么下载", "expert"),
    ("华为Mate60怎么设置", "expert"),
    ("我的华为Mate", "expert"),
    ("我想查5G套餐", "usage"),
    ("5G流量还剩多少", "usage"),
    ("我的5G信号很差", "complaint_network"),
    ("手机没有5G了", "complaint_network"),
    ("5G网络连不上", "complaint_network"),
    ("我要English", "english"),
    ("English服务", "english"),
    ("查一下balance", "balance"),
    ("我的bill多少钱", "bill"),
]


@pytest.mark.parametrize(("said", "intent"), RECOGNISED)
def test_a_mandarin_recogniser_string_with_latin_words_is_understood(
    said: str, intent: str
) -> None:
    assert _intent(said) == intent


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("my iPhone won't connect", "expert"),
        ("check my 话费", "balance"),
        ("I want to 投诉", "complaint"),
        ("转人工please", "agent"),
    ],
)
def test_an_english_sentence_with_chinese_words_is_understood(said: str, intent: str) -> None:
    assert _intent(said, "en-US") == intent


def _latin(phrase: str) -> bool:
    return any("a" <= ch <= "z" for ch in phrase.lower())


LATIN_PHRASES = sorted(
    {
        (language, intent, phrase)
        for language in ("zh-CN", "en-US")
        for intent, words in phrases(language).items()
        for phrase in words
        if _latin(phrase)
    }
)


def test_every_intent_with_a_latin_word_is_covered() -> None:
    with_latin = {intent for _, intent, _ in LATIN_PHRASES}
    zh_latin = {intent for language, intent, _ in LATIN_PHRASES if language == "zh-CN"}
    assert {"expert", "usage", "complaint_network", "english"} <= zh_latin
    assert with_latin == set(phrases("en-US"))  # every English intent is Latin


@pytest.mark.parametrize(("language", "intent", "phrase"), LATIN_PHRASES)
def test_a_latin_phrase_run_into_chinese_means_what_it_means_alone(
    language: str, intent: str, phrase: str
) -> None:
    alone = _intent(phrase, language)
    squashed = phrase.replace(" ", "")  # recognisers drop spaces around Latin, not inside
    for said in (f"请问{phrase}怎么弄", f"{phrase}好吗", f"我要{phrase}"):
        assert _intent(said, "zh-CN") == alone, said
        assert _intent(said, "en-US") == alone, said
    assert alone is not None
    if " " not in phrase:
        assert _intent(f"请问{squashed}", "zh-CN") == alone


@pytest.mark.parametrize("said", ["happy", "application form", "phoney", "pinyin", "5GB"])
def test_latin_phrases_still_match_whole_words_only(said: str) -> None:
    assert _intent(said) not in ("expert", "password", "usage", "complaint_network")


@pytest.mark.parametrize(
    ("said", "topic"),
    [
        ("iPhone怎么设置", "ios"),
        ("iPhone15怎么设置", "ios"),
        ("我的iPhone连不上WiFi", "ios"),
        ("我的WiFi连不上", "settings"),
        ("APP怎么下载", "apps"),
        ("微信APP闪退", "apps"),
        ("华为Mate60", "harmonyos"),
        ("我的Android手机", "android"),
        ("iCloud存储满了", "ios"),
    ],
)
def test_the_desk_infers_the_topic_of_mixed_script_questions(said: str, topic: str) -> None:
    found = topics.infer(said)
    assert found is not None and found.name == topic
