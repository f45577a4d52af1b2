"""The trail's scenario (scenarios/usage-trail/) through the simulated telephone network:
the caller hears the totals, the SMS after hangup carries them and a link, and the link
opens the caller's page in headless Chromium, its bars the ingested figures."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from simulator.scenario import Scenario, run_scenario
from sms_followup.models import LocalDelivery
from sms_followup.usage import ingest, read_rows
from sms_followup.worker import OutboxWorker
from tests.support.clocks import TestClock
from tests.support.live import live_hotline
from tests.support.paths import ARTIFACTS, ROOT
from tests.support.polling import wait_for
from tests.support.trail import BARS_JS, NOW, billing_sent_nothing, data

SCENARIO = ROOT / "scenarios" / "usage-trail" / "trail-zh.yaml"
MB = 1024
ROWS = [
    data("2031-01-15T09:00:00", 2 * 1024 * MB, access="5G", location="杭州"),
    data("2031-01-15T10:00:00", 300 * MB, access="WLAN", location="苏州"),
    data("2031-02-02T09:00:00", 50 * MB, access="4G"),
    data("2031-03-10T20:00:00", 10 * MB, access="3G", location="上海"),
]


@pytest.mark.browser
def test_call_hear_the_totals_get_the_sms_and_open_the_link(
    database_url: str,
    browser: Any,
) -> None:
    config = {"env": "test", "database_url": database_url, "prompt_audio": False}
    with live_hotline(config, TestClock(NOW)) as live:
        hotline = live.hotline
        billing_sent_nothing(hotline)
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n"
        report = ingest(hotline.sessions, read_rows(io.StringIO(text)), "t.jsonl", NOW)
        assert report.errors == []

        result = run_scenario(live.network, Scenario.load(SCENARIO))
        assert result.passed, result.message

        worker = OutboxWorker(hotline.sessions, hotline.sender, hotline.settings, hotline.clock)

        def delivered() -> list[str]:
            worker.run_once()
            with hotline.sessions() as session:
                return list(session.scalars(sa.select(LocalDelivery.body)))

        wait_for(lambda: delivered() != [], "the SMS after hangup")
        [body] = delivered()
        assert "近三个月2.3GB，本月至今10MB；用量最多1月15日，2.2GB，5G，杭州" in body
        link = re.search(r"http://127\.0\.0\.1:\d+/usage/\S+", body)
        assert link is not None

        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        answer = page.goto(link.group(0))
        assert answer is not None and answer.status == 200
        assert "1月15日 · 2.2GB" in page.locator("#top-day").inner_text()
        per_day: dict[str, int] = {}
        for bar in page.evaluate(BARS_JS):
            per_day[bar["day"]] = per_day.get(bar["day"], 0) + bar["kb"]
        assert per_day == {
            "2031-01-15": 2 * 1024 * MB + 300 * MB,
            "2031-02-02": 50 * MB,
            "2031-03-10": 10 * MB,
        }
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "usage-trail-from-sms.png"), full_page=True)
        context.close()
