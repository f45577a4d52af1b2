"""The console in a real browser (headless Chromium driven by Playwright) against the app on
a loopback port, with a simulated caller waiting in line: an agent signs in, sees the caller
and their question, accepts, the call is connected through the REST stand-in, the agent
writes notes; the supervisor's counts change; a transcript carrying markup stays inert.

Screenshots of each step are saved to ``test-artifacts/`` for review.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from expert_desk import agents
from expert_desk.demo import DEMO_AGENTS, DEMO_PASSWORD
from simulator.inputs import Press, Speak
from tests.support.desk import HoldingCaller, answering_in_browser, db, desk_call, desk_of, events
from tests.support.live import LiveHotline, live_hotline
from tests.support.paths import ARTIFACTS
from tests.support.polling import PATIENCE_S

pytestmark = pytest.mark.browser

HOLD_S = PATIENCE_S
WAIT_MS = PATIENCE_S * 1000
ZH = "+8613800138000"
QUESTION = (
    '我的iPhone连不上WiFi <script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
)


@pytest.fixture
def live(database_url: str) -> Iterator[LiveHotline]:
    config = {
        "env": "test",
        "database_url": database_url,
        "prompt_audio": False,
        "desk_hours": "00:00-24:00",
        "desk_reservation_s": 60,
    }
    with live_hotline(config) as hotline:
        hotline.network.config = dataclasses.replace(hotline.network.config, hold_timeout=HOLD_S)
        # The demo agents' browser phones pick up what they accept (no browser phone here).
        answering_in_browser(
            hotline.network, desk_of(hotline.app), *(a.username for a in DEMO_AGENTS)
        )
        yield hotline


def sign_in(browser: Any, base: str, username: str) -> tuple[Any, list[str]]:
    """A fresh browser context signed in as *username*; the page and the dialogs it saw."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base}/desk/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/desk/")
    return page, dialogs


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"desk-{name}.png"), full_page=True)


def test_an_agent_takes_a_waiting_caller_while_the_supervisor_watches(
    live: LiveHotline, browser: Any
) -> None:
    base = live.server.url
    desk = live.app.extensions["hotline"].desk
    with db(desk) as session:  # signed in but on a break: the caller may join the line
        expert = session.scalar(agents.DeskAgent.by_username("li.na"))
        assert expert is not None
        agents.set_status(session, expert.id, "break", "meeting", desk.now())
    call = live.network.start(
        live.network.inbound_spec("10010", ZH),
        HoldingCaller([Press("1"), Press("4"), Speak(QUESTION)], talk_s=45),
    )
    live.network.wait_for_queue("expert-desk", 1, timeout=HOLD_S)

    supervisor, supervisor_dialogs = sign_in(browser, base, "chen.jing")
    supervisor.goto(f"{base}/desk/supervisor")
    ios_row = supervisor.locator('tr[data-skill="ios"]')
    assert ios_row.locator("td.waiting").inner_text() == "1"
    assert ios_row.locator("td.answered").inner_text() == "0"
    shot(supervisor, "1-supervisor-caller-waiting")

    agent, agent_dialogs = sign_in(browser, base, "li.na")
    question = agent.locator("table.line td.transcript").first
    assert "<script>window.__xss=1</script>" in question.inner_text()  # shown as text
    shot(agent, "2-agent-sees-caller-waiting")

    agent.click("#go-available")
    agent.wait_for_selector("#offer", timeout=WAIT_MS)  # the live refresh brings the offer
    offer = agent.locator("#offer")
    assert "iPhone" in offer.locator("dd.transcript").inner_text()
    assert offer.locator("dd.model").inner_text() == "Huawei Mate 60"
    shot(agent, "3-agent-offered-the-call")

    agent.click("#accept")
    agent.wait_for_selector("#current-call", timeout=WAIT_MS)
    result = call.result(timeout=HOLD_S)
    assert result.errors == [], result.errors
    assert any("正在为您接通专家" in h.text for h in result.transcript)
    [entered] = events(desk, "entered")
    assert entered.desk_call_id is not None
    call_sid = desk_call(desk, entered.desk_call_id).call_sid
    redirects = [r for r in live.standin.requests if r.path.endswith(f"/Calls/{call_sid}.json")]
    assert redirects and redirects[0].form["Url"].endswith(
        f"/voice/desk/connect/{entered.desk_call_id}"
    )
    shot(agent, "4-agent-connected")

    agent.fill("#notes", "Wi-Fi 助理已关闭，网络设置已还原。")
    agent.select_option("#disposition", "solved")
    agent.check("#send-sms")
    agent.fill("#sms-body", "设置 > 无线局域网 > 关闭“无线局域网助理”。")
    agent.click("#save-notes")
    agent.wait_for_selector("text=Notes saved.", timeout=WAIT_MS)
    assert "Wi-Fi 助理已关闭" in agent.locator("main").inner_text()
    shot(agent, "5-agent-notes-saved")

    supervisor.reload()
    assert ios_row.locator("td.waiting").inner_text() == "0"
    assert ios_row.locator("td.answered").inner_text() == "1"
    shot(supervisor, "6-supervisor-counts-changed")
    supervisor.goto(f"{base}/desk/supervisor/report")
    shot(supervisor, "7-day-report")

    for page, dialogs in ((agent, agent_dialogs), (supervisor, supervisor_dialogs)):
        assert dialogs == []
        assert page.evaluate("window.__xss") is None
        assert page.locator("img[src=x]").count() == 0


def test_a_supervisor_signs_an_agent_out_from_the_dashboard(
    live: LiveHotline, browser: Any
) -> None:
    base = live.server.url
    agent, _ = sign_in(browser, base, "li.na")
    supervisor, dialogs = sign_in(browser, base, "chen.jing")
    supervisor.goto(f"{base}/desk/supervisor")

    supervisor.locator('tr[data-agent="li.na"] button.sign-out').click()

    supervisor.wait_for_url(f"{base}/desk/supervisor")
    assert "li.na is signed out everywhere" in supervisor.locator(".flash").inner_text()
    shot(supervisor, "8-supervisor-signed-an-agent-out")
    agent.reload()
    assert agent.url.startswith(f"{base}/desk/login"), agent.url
    assert agent.locator("input[name=username]").count() == 1
    assert dialogs == []


def test_a_general_agent_takes_a_caller_who_pressed_zero(live: LiveHotline, browser: Any) -> None:
    base = live.server.url
    agent, dialogs = sign_in(browser, base, "li.na")  # general 1, besides her expert skills
    agent.click("#go-available")
    agent.wait_for_selector("text=Available", timeout=WAIT_MS)
    call = live.network.start(
        live.network.inbound_spec("10010", ZH),
        HoldingCaller([Press("1"), Press("1"), Press("1"), Press("0")], talk_s=20),
    )

    agent.wait_for_selector("#offer", timeout=WAIT_MS)
    offer = agent.locator("#offer")
    assert offer.locator("dd.topic").inner_text() == "General agents · 人工服务"
    assert offer.locator("dd.known").inner_text() == "subscriber"
    assert "Queries › Balance" in offer.locator("dd.path").inner_text()
    assert offer.locator("dd.queried").inner_text() == "Balance"
    shot(agent, "9-general-caller-offered")

    agent.click("#accept")
    agent.wait_for_selector("#current-call", timeout=WAIT_MS)
    result = call.result(timeout=HOLD_S)
    assert result.errors == [], result.errors
    assert any("正在为您接通客服人员" in h.text for h in result.transcript)
    shot(agent, "10-general-caller-connected")
    assert dialogs == []
