"""One repeat key: ``#`` hears the same thing again at every menu and after every report, and
every prompt that offers a repeat names ``#``, in both languages."""

from __future__ import annotations

import re

import pytest

from prompts.catalog import LANGUAGES, prompts
from tests.support.caller import DEMO_ZH, Caller

# How each language offers a repeat, and the key it names.
OFFERS = {
    "zh-CN": re.compile(r"重听请按([^，。；]+)"),
    "en-US": re.compile(r"to hear this again, press (\w+)|press (\w+) to hear this again", re.I),
}
POUND = {"zh-CN": "井号键", "en-US": "pound"}


def _offers(language: str) -> dict[str, list[str]]:
    """The key each prompt names for a repeat, by prompt."""
    found: dict[str, list[str]] = {}
    for key, text in prompts(language).items():
        for match in OFFERS[language].finditer(re.sub(r"\bor (?=\w+ to hear)", "press ", text)):
            found.setdefault(key, []).append(next(group for group in match.groups() if group))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_offer_to_repeat_names_the_pound_key(language: str) -> None:
    offers = _offers(language)
    assert {"menu.main", "menu.after_report", "menu.after_complaint"} <= set(offers)
    assert {key: keys for key, keys in offers.items() if keys != [POUND[language]]} == {}


def test_pound_repeats_the_report(caller: Caller) -> None:
    caller.dial("1001011", DEMO_ZH).press("#")
    assert caller.last_heard.startswith("您的账户余额为一百二十三元四角五分。")


def test_pound_repeats_a_menu(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").press("1").press("#")
    assert caller.last_heard.startswith("查询余额和本月话费请按1")


def test_after_a_report_1_is_no_repeat_key_but_a_wrong_one(caller: Caller) -> None:
    caller.dial("1001012", DEMO_ZH).press("1")
    assert caller.said[0] == "对不起，您的输入有误。"
    assert any(said.startswith("重听请按井号键") for said in caller.said)
