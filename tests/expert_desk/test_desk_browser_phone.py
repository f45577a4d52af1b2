"""The browser phone in a real browser (headless Chromium driven by Playwright): the console
registers Twilio's Voice JS SDK (the vendored bundle, unchanged) with the signalling stand-in
(simulator.signalling), the agent accepts a simulated caller waiting in line, the call rings
in the page, the agent answers and hangs up there, and the caller is connected and let go.

What is not shown: sound. The stand-in has no media; the SDK's call opens once the
browser's SDP answer is made and sent, but no audio flows (the SDK then warns of no bytes).
Screenshots of each step are saved to ``test-artifacts/``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from expert_desk import agents, phone
from expert_desk.demo import DEMO_PASSWORD
from simulator.inputs import Press, Speak
from tests.support.desk import HoldingCaller, agent, db, desk_call, desk_of, events
from tests.support.live import LiveHotline, live_hotline
from tests.support.paths import ARTIFACTS
from tests.support.polling import PATIENCE_S, wait_for

pytestmark = pytest.mark.browser

WAIT_MS = PATIENCE_S * 1000
ZH = "+8613800138000"
TOKEN_TTL_S = 12  # short, so that the page renews its token while the test watches


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[LiveHotline]:
    config = {
        "env": "test",
        "database_url": database_url,
        "prompt_audio": False,
        "desk_hours": "00:00-24:00",
        "desk_reservation_s": 60,
        "desk_agent_ring_s": int(PATIENCE_S),  # the agent answers in their own time
        "desk_phone_token_ttl_s": TOKEN_TTL_S,
    }
    with live_hotline(config, browser_phone=tmp_path / "tls") as hotline:
        hotline.network.config = dataclasses.replace(
            hotline.network.config, hold_timeout=PATIENCE_S
        )
        yield hotline


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"desk-phone-{name}.png"), full_page=True)


def test_the_agent_answers_and_hangs_up_the_accepted_call_in_the_browser(
    live: LiveHotline, browser: Any
) -> None:
    base, signalling = live.server.url, live.signalling
    assert signalling is not None
    desk = desk_of(live.app)
    with db(desk) as session:  # signed in but on a break: the caller may join the line
        li_na = session.scalar(agents.DeskAgent.by_username("li.na"))
        assert li_na is not None
        expert = li_na.id
        agents.set_status(session, expert, "break", "meeting", desk.now())
    identity = phone.identity(expert)
    call = live.network.start(
        live.network.inbound_spec("10010", ZH),
        HoldingCaller([Press("1"), Press("4"), Speak("我的iPhone连不上WiFi")], talk_s=math.inf),
    )
    live.network.wait_for_queue("expert-desk", 1, timeout=PATIENCE_S)

    # The stand-in's certificate is its own, and the microphone a fake one (conftest.py).
    context = browser.new_context(
        viewport={"width": 1366, "height": 900},
        locale="zh-CN",
        ignore_https_errors=True,
        permissions=["microphone"],
    )
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(f"{base}/desk/login")
    page.fill("input[name=username]", "li.na")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/desk/")
    page.evaluate("window.__samePage = true")  # gone if the page were ever loaded again

    page.wait_for_selector("#phone[data-state=registered]", timeout=WAIT_MS)
    assert signalling.registered(identity)
    [listen, *_] = signalling.messages("listen")
    claims = jwt.decode(listen.payload["token"], options={"verify_signature": False})
    assert claims["grants"]["identity"] == identity
    assert page.inner_text("#phone-state") == "Ready · 已就绪"
    shot(page, "1-registered")

    page.click("#go-available")
    page.wait_for_selector("#offer", timeout=WAIT_MS)
    page.click("#accept")
    page.wait_for_selector("#phone[data-state=ringing]", timeout=WAIT_MS)
    assert page.is_visible("#phone-answer") and page.is_visible("#phone-decline")
    assert page.locator("#current-call").count() == 1  # the notes are there meanwhile
    [invite] = signalling.messages("invite", sent=True)
    assert (invite.identity, invite.payload["parameters"]["To"]) == (identity, f"client:{identity}")
    shot(page, "2-ringing")

    page.click("#phone-answer")
    page.wait_for_selector("#phone[data-state=on-call]", timeout=WAIT_MS)
    wait_for(lambda: signalling.messages("answer"), "the browser's answer")
    [answer] = signalling.messages("answer")
    assert answer.identity == identity
    assert answer.payload["callsid"] == invite.payload["callsid"]
    assert answer.payload["sdp"].startswith("v=0") and "m=audio" in answer.payload["sdp"]
    assert page.inner_text("#phone-state") == "On a call · 通话中"
    shot(page, "3-on-a-call")

    # The token is renewed before it runs out (tokenWillExpire): a second listen, new token.
    wait_for(lambda: len(signalling.messages("listen")) >= 2, "a renewed token")
    renewed = signalling.messages("listen")[1].payload["token"]
    assert renewed != listen.payload["token"]
    assert page.locator("#phone-error").is_hidden()

    page.click("#phone-hangup")
    page.wait_for_selector("#phone[data-state=registered]", timeout=WAIT_MS)
    assert [m.payload["callsid"] for m in signalling.messages("hangup")] == [
        answer.payload["callsid"]
    ]
    result = call.result(timeout=PATIENCE_S)
    assert result.errors == [], result.errors
    heard = " ".join(h.text for h in result.transcript)
    assert "正在为您接通专家" in heard
    [entered] = events(desk, "entered")
    assert entered.desk_call_id is not None
    wait_for(lambda: desk_call(desk, entered.desk_call_id).status == "completed", "the end")
    assert agent(desk, expert).state == "wrap_up"
    page.wait_for_selector("text=wrap-up ends in", timeout=WAIT_MS)
    shot(page, "4-hung-up-wrap-up")

    assert page.evaluate("window.__samePage") is True
    refused = [line for line in console if re.search(r"Content.Security.Policy|Refused to", line)]
    assert refused == []
    context.close()
