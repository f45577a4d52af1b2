"""Wrong keys, silence and garbage speech: a helpful reprompt, three strikes, never dead air."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ivr.models import Call, CallEvent
from tests.support.caller import DEMO_EN, DEMO_ZH, STRANGER, Caller


def in_general_line(caller: Caller) -> bool:
    """Through to the general agents' line (served as the expert desk's lines are): holding
    in it, or, with nobody signed in as here, told so and offered a callback."""
    return caller.enqueued == "expert-desk" or caller.last_heard.startswith(
        "抱歉，目前没有人工客服在线。"
    )


def test_wrong_key_is_told_and_the_menu_asked_again(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").press("7")
    assert caller.last_heard.startswith("对不起，您的输入有误。 查询业务请按1")
    assert caller.gather is not None


def test_silence_is_told_and_the_menu_asked_again(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").stay_silent()
    assert caller.last_heard.startswith("对不起，没有听到您的选择。 查询业务请按1")


def test_every_menu_falls_through_to_a_no_input_redirect(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH)
    redirect = caller.twiml.find("Redirect")
    assert redirect.text == "/voice/no-input"
    assert list(caller.twiml)[-1] is redirect
    assert caller.gather.get("finishOnKey") == ""


def test_garbage_speech_is_not_understood_and_told_what_can_be_said(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").say("今天天气不错")
    assert caller.last_heard.startswith(
        "对不起，没有听懂您说的话。您可以直接说出要办理的业务，例如“查话费”“查流量”“转人工”，"
        "也可以按键选择。 查询业务请按1"
    )
    assert "输入有误" not in caller.last_heard


def test_english_speech_not_understood_says_so_in_english(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("2").say("the weather is nice")
    assert caller.last_heard.startswith("Sorry, I did not understand what you said.")


def test_third_wrong_key_puts_the_caller_through_to_an_agent(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").press("7").press("8")
    assert caller.gather is not None
    caller.press("6")
    assert in_general_line(caller)


def test_third_silence_ends_the_call_politely(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").stay_silent().stay_silent().stay_silent()
    assert "由于长时间没有听到您的选择" in caller.last_heard
    assert caller.hung_up


def test_a_good_choice_resets_the_strikes(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("7").press("7").press("1")
    caller.press("7").press("7")
    assert caller.gather is not None
    assert caller.last_heard.startswith("对不起，您的输入有误。 查询业务请按1")


def test_keys_that_are_not_dtmf_are_a_wrong_choice_not_an_error(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("abc")
    assert caller.last_heard.startswith("对不起，您的输入有误。")


def test_unknown_caller_is_told_and_offered_an_agent(caller: Caller) -> None:
    caller.dial("1001011", STRANGER)
    assert "不是联通用户" in caller.last_heard
    assert "人工服务请按0" in caller.last_heard
    caller.press("0")
    assert in_general_line(caller)


def test_unknown_caller_reaching_the_balance_through_the_menu_is_told_too(caller: Caller) -> None:
    caller.dial("10010", STRANGER).press("111")
    assert "不是联通用户" in caller.last_heard


def test_every_step_of_a_call_is_recorded(caller: Caller, hotline) -> None:  # type: ignore[no-untyped-def]
    caller.dial("10010", DEMO_ZH).press("1").press("9").press("11")
    caller.hang_up()
    with hotline.sessions() as session:
        call = session.scalar(Call.by_sid(caller.call_sid))
        kinds = session.scalars(
            sa.select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
        ).all()
    assert kinds[0] == "call.started"
    assert "reprompt" in kinds
    assert kinds.count("query.recorded") == 1
    assert kinds[-1] == "call.ended"
    assert call.state == "balance"


@pytest.mark.parametrize(
    ("number", "menu"),
    [
        (DEMO_EN, "For account queries, press 1."),
        (STRANGER, "查询业务请按1"),
        (DEMO_ZH, "查询业务请按1"),
    ],
    ids=["known-english", "unknown", "known-mandarin"],
)
def test_silence_at_the_language_menu_goes_on_in_the_callers_language(
    caller: Caller, number: str, menu: str
) -> None:
    caller.dial("10010", number).stay_silent()

    assert caller.last_heard.startswith(menu)
    assert not caller.hung_up


def test_three_silences_from_the_language_menu_never_hang_up_there(caller: Caller) -> None:
    caller.dial("10010", DEMO_EN).stay_silent()
    assert caller.gather is not None and caller.gather.get("language") == "en-US"
    caller.stay_silent().stay_silent()
    assert not caller.hung_up  # two silences at the main menu: asked again
