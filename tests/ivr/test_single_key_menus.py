"""A menu answered by one key says so to Twilio (``numDigits="1"``), so the next step comes as
the key is pressed rather than a timeout later; keys typed on still pass through the menus."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulator.inputs import Hangup, Press
from simulator.timing import KEY_SECONDS, speech_seconds
from tests.support.caller import DEMO_ZH, Caller
from tests.support.live import LiveHotline, live_hotline

ZH = "+86" + DEMO_ZH


@pytest.mark.parametrize(
    ("number", "keys", "where"),
    [
        ("10010", "", "the language menu"),
        ("10010", "1", "the main menu"),
        ("10010", "11", "the queries menu"),
        ("1001011", "", "after the balance"),
        ("10010", "14", "the expert desk's topics"),
    ],
)
def test_a_menu_of_single_keys_takes_one_key(
    caller: Caller, number: str, keys: str, where: str
) -> None:
    caller.dial(number, DEMO_ZH)
    for key in keys:
        caller.press(key)
    assert caller.gather is not None, where
    assert caller.gather.get("numDigits") == "1", where


def test_an_entry_of_several_keys_still_takes_them_all(caller: Caller) -> None:
    caller.dial("1001015", DEMO_ZH).press("1")
    assert caller.gather is not None
    assert caller.gather.get("numDigits") == "6"


@pytest.fixture
def live(database_url: str) -> Iterator[LiveHotline]:
    config: dict[str, Any] = {"env": "test", "database_url": database_url, "prompt_audio": False}
    with live_hotline(config) as hotline:
        yield hotline


def test_the_next_menu_starts_as_the_key_is_pressed(live: LiveHotline) -> None:
    result = live.network.call("10010", ZH, [Press("1"), Hangup()])

    main = next(i for i, h in enumerate(result.transcript) if h.text.startswith("查询业务请按1"))
    before = result.transcript[main - 1]
    language_menu_ends = before.at + speech_seconds(before.text)
    assert result.transcript[main].at == pytest.approx(language_menu_ends + KEY_SECONDS)


def test_keys_typed_ahead_reach_the_balance_one_key_per_menu(live: LiveHotline) -> None:
    result = live.network.call("10010", ZH, [Press("111"), Hangup()])

    heard = [h.text for h in result.transcript]
    assert any(text.startswith("您的账户余额为一百二十三元四角五分") for text in heard)
    assert not any(text.startswith(("查询业务请按1", "查询余额和本月话费请按1")) for text in heard)
    steps = [r for r in result.requests if r.url.endswith("/voice/step")]
    assert [r.params.get("Digits") for r in steps] == ["1", "1", "1"]
