"""Whole calls through the simulated telephone network against the app on a loopback port."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from flows.menus import QueriesMenu
from simulator.config import parse_voice_numbers
from simulator.inputs import Hangup, Press, Silence, Speak
from simulator.load import load_mix, run_load
from simulator.scenario import Scenario, run_scenario
from sms_followup import pause
from sms_followup.worker import OutboxWorker
from tests.support.live import LiveHotline, live_hotline
from tests.support.paths import ROOT
from tests.support.sms_harness import SERVICE_FROM

SCENARIOS = ROOT / "scenarios"
ZH, EN, STRANGER = "+8613800138000", "+8613900139000", "+8613312345678"


@pytest.fixture
def live(database_url: str, settings_overrides: dict[str, Any]) -> Iterator[LiveHotline]:
    config = {"env": "test", "database_url": database_url, "prompt_audio": False}
    with live_hotline({**config, **settings_overrides}) as hotline:
        yield hotline


def heard(result: Any) -> str:
    return " ".join(h.text for h in result.transcript)


@pytest.mark.parametrize(
    ("code", "first_figure"),
    [
        ("1001011", "您的账户余额为一百二十三元四角五分"),
        ("1001012", "本月国内流量已使用二点二G"),
        ("1001013", "账单合计九十三元"),
        ("1001015", "修改服务密码请按1"),
    ],
)
def test_direct_code_call_hears_the_figure_right_after_the_greeting(
    live: LiveHotline, code: str, first_figure: str
) -> None:
    result = live.network.call(code, ZH, [Hangup()])
    assert result.errors == []
    assert result.transcript[0].text == "中国联通自助查询。"
    assert first_figure in result.transcript[1].text
    assert result.status == "completed"


OPERATORS_MAP = "10010=+862150010010,1001011=+862150011011"


@pytest.mark.parametrize("settings_overrides", [{"twilio_voice_numbers": OPERATORS_MAP}])
def test_a_call_ringing_the_twilio_number_of_1001011_hears_the_balance_first(
    live: LiveHotline,
) -> None:
    voice_numbers = parse_voice_numbers(OPERATORS_MAP)
    live.network.config = dataclasses.replace(live.network.config, voice_numbers=voice_numbers)

    result = live.network.call("1001011", "13800138000", [Hangup()])

    incoming = result.requests[0].params
    assert (incoming["To"], incoming["From"]) == ("+862150011011", ZH)  # as Twilio sends it
    assert result.errors == []
    assert "您的账户余额为一百二十三元四角五分" in result.transcript[1].text


@pytest.mark.postgres
@pytest.mark.parametrize(
    "to", ["sip:1001011@hotline-10010.sip.twilio.com;transport=tls", "sips:+861001011@10.0.0.8"]
)
def test_a_sip_call_to_1001011_hears_the_balance_first(live: LiveHotline, to: str) -> None:
    result = live.network.call(to, ZH, [Hangup()])

    incoming = result.requests[0].params
    assert incoming["To"] == to
    assert incoming["From"].startswith(f"sip:{ZH}@")  # the switch's caller: known by number
    assert result.errors == []
    assert "您的账户余额为一百二十三元四角五分" in result.transcript[1].text


def test_every_webhook_the_network_sent_was_signed_and_answered(live: LiveHotline) -> None:
    result = live.network.call("10010", ZH, [Press("1"), Press("1"), Press("1"), Hangup()])
    assert [r.status for r in result.requests] == [200] * len(result.requests)
    assert result.requests[-1].url.endswith("/voice/status")


@pytest.mark.postgres
def test_four_levels_to_the_balance_then_the_sms_arrives(live: LiveHotline) -> None:
    result = live.network.call("10010", ZH, [Press("1"), Press("1"), Press("1"), Hangup()])
    assert "您的账户余额为一百二十三元四角五分" in heard(result)
    hotline = live.hotline
    assert (
        OutboxWorker(hotline.sessions, hotline.sender, hotline.settings, hotline.clock)
        .run_once()
        .sent
        == 1
    )


def test_speech_input_reaches_the_service(live: LiveHotline) -> None:
    result = live.network.call("10010", EN, [Press("2"), Speak("check my balance"), Hangup()])
    assert "Your account balance is 87 yuan and 6 fen." in heard(result)


def test_unknown_caller_hears_why_and_a_polite_goodbye(live: LiveHotline) -> None:
    result = live.network.call("1001011", STRANGER, [Silence(), Silence(), Silence()])
    assert "不是联通用户" in heard(result)
    assert result.transcript[-1].text.endswith("再见。")
    assert result.hung_up_by == "service"


@pytest.mark.parametrize(
    "settings_overrides",
    [
        {
            "sms_sender": "twilio",
            "twilio_auth_token": "local-simulator-token",
            "twilio_sms_from": SERVICE_FROM,
        }
    ],
)
def test_sms_survives_a_failing_rest_api_and_reaches_the_handset(live: LiveHotline) -> None:
    live.network.call("1001011", ZH, [Hangup()])
    live.standin.faults.add(r"/Messages\.json$", status=500, count=1)
    hotline = live.hotline
    worker = OutboxWorker(hotline.sessions, hotline.sender, hotline.settings, hotline.clock)
    assert worker.run_once().paused == 1  # a 5xx: Twilio is down for every message
    hotline.clock.advance(pause.PROVIDER_PROBE_EVERY.total_seconds())
    assert worker.run_once().sent == 1
    live.network.wait_idle(10)  # delivery and its status callbacks run in the network's threads
    [sms] = live.network.messages.inbox(ZH)
    assert "账户余额123.45元" in sms.body


@pytest.mark.parametrize(
    "path", sorted(p.name for p in SCENARIOS.glob("*.yaml") if p.name != "mix.yaml")
)
def test_shipped_scenario_files_pass(live: LiveHotline, path: str) -> None:
    result = run_scenario(live.network, Scenario.load(SCENARIOS / path))
    assert result.passed, result.message


def test_a_scenario_fails_at_the_named_step_when_the_menu_changes(
    live: LiveHotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QueriesMenu, "options", {"1": "usage", "2": "bill", "3": "balance"})
    result = run_scenario(live.network, Scenario.load(SCENARIOS / "menu-four-levels-en.yaml"))
    assert not result.passed
    assert "step" in result.message and "gigabytes" in result.message


def test_load_mode_runs_many_callers_without_errors(live: LiveHotline) -> None:
    report = run_load(live.network, load_mix(SCENARIOS / "mix.yaml"), calls=24, concurrency=6)
    assert report.errors == 0, report.summary()
    assert report.completed == 24
