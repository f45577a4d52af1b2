"""International roaming (flows.roaming), on the bench: the status and the trip we know of,
switching on or off only once confirmed, the destination by key or by name, by sea or not,
and what is recorded for the SMS after the call."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ivr.models import Subscriber
from tests.support.caller import DEMO_ZH
from tests.support.flow_context import FlowBench, FlowCall


@pytest.fixture
def caller(bench: FlowBench) -> FlowCall:
    bench.subscriber(DEMO_ZH)
    return bench.call(DEMO_ZH)


def roaming(bench: FlowBench, **columns: Any) -> dict[str, Any]:
    """Set DEMO_ZH's roaming columns given (none: leave them); all of them, as they are now."""
    with bench.session() as session:
        subscriber = session.scalar(Subscriber.by_msisdn(DEMO_ZH))
        assert subscriber is not None
        for name, value in columns.items():
            setattr(subscriber, name, value)
        return {
            "on": subscriber.roaming_on,
            "destination": subscriber.roaming_destination,
            "by_sea": subscriber.roaming_by_sea,
        }


def test_roaming_off_is_said_and_only_switching_it_on_is_offered(caller: FlowCall) -> None:
    heard = caller.at("services").press("3")

    assert heard.keys == ["roaming.status_off", "roaming.menu_off"]
    assert caller.press("2").keys[0] == "error.invalid"  # no destination while it is off


def test_switching_on_is_confirmed_first_then_the_destination_is_asked(
    bench: FlowBench, caller: FlowCall
) -> None:
    assert caller.at("roaming").press("1").keys == ["roaming.confirm_on"]
    assert roaming(bench)["on"] is False

    heard = caller.press("1")

    assert caller.state == "roaming.destination"
    assert heard.keys == ["roaming.switched_on", "roaming.destination_menu"]
    assert roaming(bench)["on"] is True
    assert caller.queries["roaming"]["on"] is True


@pytest.mark.parametrize(
    ("answer", "code", "said"), [("1", "JP", "日本"), ("4", "US", "美国"), ("泰国", "TH", "泰国")]
)
def test_the_destination_by_key_or_by_name_is_saved_then_by_sea_is_asked(
    bench: FlowBench, caller: FlowCall, answer: str, code: str, said: str
) -> None:
    roaming(bench, roaming_on=True)
    caller.at("roaming.destination")

    heard = caller.press(answer) if answer.isdigit() else caller.say(answer)

    assert caller.state == "roaming.sea"
    assert heard.said[0] == f"已为您登记前往{said}的行程。"
    assert roaming(bench)["destination"] == code


def test_by_sea_the_maritime_satellite_warning_is_given(bench: FlowBench, caller: FlowCall) -> None:
    roaming(bench, roaming_on=True, roaming_destination="JP")

    heard = caller.at("roaming.sea").press("1")

    assert caller.state == "service.done"
    # The SMS is announced once (issue 24: the rates by SMS, then "查询结果将以短信发送").
    assert heard.keys == [
        "roaming.sea_warning",
        "roaming.tariffs_by_sms",
        "menu.service_done",
    ]
    assert heard.said[1] == "挂机后，目的地的漫游资费和每日流量提醒说明将以短信发送到您的手机。"
    assert roaming(bench)["by_sea"] is True
    assert caller.queries["roaming"]["by_sea"] is True


def test_by_air_there_is_no_warning(bench: FlowBench, caller: FlowCall) -> None:
    roaming(bench, roaming_on=True, roaming_destination="JP")
    heard = caller.at("roaming.sea").press("2")
    assert "roaming.sea_warning" not in heard.keys
    assert roaming(bench)["by_sea"] is False


def test_a_trip_we_know_of_is_told_and_switching_off_ends_it(
    bench: FlowBench, caller: FlowCall
) -> None:
    roaming(
        bench,
        roaming_on=True,
        roaming_destination="JP",
        roaming_by_sea=True,
        roaming_since=dt.datetime(2031, 3, 1, 2, 0),
    )

    heard = caller.at("services").press("3")

    assert heard.said[:2] == ["您的国际漫游已开通。", "您登记的行程是3月1日起乘船前往日本。"]
    assert heard.keys[-1] == "roaming.menu_on"
    assert caller.press("1").keys == ["roaming.confirm_off"]
    switched = caller.press("1")
    assert switched.keys[:2] == ["roaming.switched_off", "roaming.result_by_sms"]
    assert switched.said[1] == "挂机后，办理结果将以短信发送到您的手机。"  # not 查询结果
    assert roaming(bench) == {"on": False, "destination": None, "by_sea": False}


def test_key_5_asks_for_the_destinations_name_which_only_speech_answers(
    bench: FlowBench, caller: FlowCall
) -> None:
    roaming(bench, roaming_on=True)
    caller.at("roaming.destination")

    assert caller.press("5").keys == ["roaming.say_destination"]
    assert caller.press("1").keys == ["error.invalid", "roaming.say_destination"]
    caller.say("新加坡")
    assert roaming(bench)["destination"] == "SG"
