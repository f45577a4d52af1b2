"""The trail page, ``GET /usage/<token>``: signed tokens that expire (anything else is the
same 404 as an unknown page), the subscriber's language, escaped billing text, nothing else
of the subscriber; and in headless Chromium at a phone's width, bars that match the figures."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from hotline.container import Hotline
from sms_followup.trail_page import link_for, subscriber_of, token_for
from tests.support.caller import DEMO_EN, DEMO_ZH
from tests.support.clocks import TestClock
from tests.support.paths import ARTIFACTS
from tests.support.trail import (
    BARS_JS,
    NOW,
    billing_sent_nothing,
    data,
    heavy_user,
    ingest_jsonl,
    subscriber_id,
)

MB = 1024
pytestmark = pytest.mark.clock(NOW, running=False)


def token(hotline: Hotline, msisdn: str, at: dt.datetime = NOW) -> str:
    return token_for(hotline.settings.secret_key, subscriber_id(hotline, msisdn), at)


def some_usage(hotline: Hotline) -> None:
    billing_sent_nothing(hotline)
    report = ingest_jsonl(
        hotline,
        [
            data("2031-01-15T09:00:00", 400 * MB, duration_s=3900, access="5G", location="杭州"),
            data(
                "2031-01-15T10:00:00",
                300 * MB,
                duration_s=65,
                access="WLAN",
                location="<script>alert(1)</script>",
            ),
            data("2031-02-02T09:00:00", 50 * MB, access="4G", location="Tōkyō 東京"),
            data("2031-02-02T12:00:00", 20 * MB, duration_s=7200, access="4G"),
            data("2031-02-02T15:00:00", 10 * MB, duration_s=300, access="4G"),
            data("2031-03-10T20:00:00", 10 * MB, access="3G", location="上海"),
        ],
    )
    assert report.errors == []


def test_a_valid_token_opens_the_subscribers_page_in_their_language(
    hotline: Hotline, client: FlaskClient
) -> None:
    some_usage(hotline)
    page = client.get(f"/usage/{token(hotline, DEMO_ZH)}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "流量轨迹" in html and "近三个月" in html
    assert "1月15日 · 700MB" in html  # the top day, its access type and place
    assert "杭州" in html
    # The top day's sessions are shown: start, duration, access type, volume, place.
    assert "1小时5分" in html and "1分5秒" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    # Nothing else of the subscriber: no name, no number.
    assert DEMO_ZH not in html and "王芳" not in html
    english = client.get(f"/usage/{token(hotline, DEMO_EN)}").get_data(as_text=True)
    assert '<html lang="en-US">' in english and "Data usage trail" in english


def test_a_chosen_day_lists_its_sessions(hotline: Hotline, client: FlaskClient) -> None:
    some_usage(hotline)
    html = client.get(f"/usage/{token(hotline, DEMO_ZH)}?day=2031-02-02").get_data(as_text=True)
    assert "2月2日的上网记录" in html  # no space before 的 (issue 24)
    assert "Tōkyō 東京" in html and "50MB" in html
    assert ">2小时<" in html and ">5分<" in html  # not 2小时0分, 5分0秒 (issue 24)
    empty = client.get(f"/usage/{token(hotline, DEMO_ZH)}?day=2031-02-03").get_data(as_text=True)
    assert "这一天没有上网记录" in empty


def test_wrong_altered_and_expired_tokens_get_the_404_of_an_unknown_page(
    hotline: Hotline, client: FlaskClient, clock: TestClock
) -> None:
    good = token(hotline, DEMO_ZH)
    unknown = client.get("/no-such-page")
    assert unknown.status_code == 404
    altered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    other_key = token_for(
        "another-secret-key-of-someone-else", subscriber_id(hotline, DEMO_ZH), NOW
    )
    for bad in ("", "x", altered, other_key, good + "x", "..%2f..%2fetc"):
        answer = client.get(f"/usage/{bad}")
        assert answer.status_code == 404, bad
        assert answer.get_data() == unknown.get_data(), bad
    assert client.get(f"/usage/{good}").status_code == 200
    clock.set(NOW + dt.timedelta(days=7) - dt.timedelta(seconds=1))
    assert client.get(f"/usage/{good}").status_code == 200
    clock.set(NOW + dt.timedelta(days=7))
    expired = client.get(f"/usage/{good}")
    assert expired.status_code == 404 and expired.get_data() == unknown.get_data()


def test_tokens_name_one_subscriber_and_need_the_apps_secret() -> None:
    secret = "k" * 40
    first = token_for(secret, 1, NOW)
    assert subscriber_of(secret, first, NOW) == 1
    assert subscriber_of(secret, token_for(secret, 2, NOW), NOW) == 2
    assert subscriber_of("j" * 40, first, NOW) is None
    assert link_for("https://hotline.example/", secret, 1, NOW).startswith(
        "https://hotline.example/usage/"
    )


# -- in headless Chromium -------------------------------------------------------------------


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The test app on a loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.mark.browser
def test_the_page_in_chromium_at_a_phones_width(
    hotline: Hotline, served: str, browser: Any
) -> None:
    expected = heavy_user(hotline, count=3000, seed=11)
    some = ingest_jsonl(
        hotline,
        [
            data(
                "2031-03-11T09:00:00",
                5 * MB,
                duration_s=600,
                access="WLAN",
                location="<b>徐家汇</b>",
            )
        ],
    )
    assert some.errors == []
    expected[dt.date(2031, 3, 11)] = expected.get(dt.date(2031, 3, 11), 0) + 5 * MB
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, java_script_enabled=False
    )
    page = context.new_page()
    answer = page.goto(f"{served}/usage/{token(hotline, DEMO_ZH)}?day=2031-03-11")
    assert answer is not None and answer.status == 200
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "usage-trail-phone.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "usage-trail-phone-screen.png"))  # what a phone shows
    # The page reads without JavaScript; read the bars back with it on.
    scripted = browser.new_context(viewport={"width": 390, "height": 844})
    view = scripted.new_page()
    view.goto(f"{served}/usage/{token(hotline, DEMO_ZH)}?day=2031-03-11")
    bars = view.evaluate(BARS_JS)
    per_day: dict[str, int] = {}
    for bar in bars:
        per_day[bar["day"]] = per_day.get(bar["day"], 0) + bar["kb"]
    assert per_day == {day.isoformat(): kb for day, kb in expected.items()}
    # Heights are proportional to the data: the tallest day fills the chart.
    heights: dict[str, float] = {}
    for bar in bars:
        heights[bar["day"]] = heights.get(bar["day"], 0.0) + bar["height"]
    peak_day = max(per_day, key=lambda d: per_day[d])
    for day, kb in per_day.items():
        assert heights[day] == pytest.approx(kb / per_day[peak_day] * 160, abs=0.05)
    assert {bar["fill"] for bar in bars} <= {
        "#7b3fe4",
        "#1f77d0",
        "#19a974",
        "#e8a317",
        "#d6336c",
        "#8a8a8a",
    }
    width = view.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a phone
    places = view.locator("#sessions td.place").all_inner_texts()
    assert "<b>徐家汇</b>" in places  # billing's text, shown as text
    assert view.evaluate("() => document.querySelectorAll('#sessions b').length") == 0
    months = view.evaluate(
        "() => [...document.querySelectorAll('#months tr')].map(r => Number(r.dataset.kb))"
    )
    assert sum(months) == sum(expected.values())
    context.close()
    scripted.close()


def test_heavy_page_has_one_bar_per_day_and_access(hotline: Hotline, client: FlaskClient) -> None:
    expected = heavy_user(hotline)
    html = client.get(f"/usage/{token(hotline, DEMO_ZH)}").get_data(as_text=True)
    found: dict[str, int] = {}
    for day, kb in re.findall(r'data-day="([\d-]+)" data-access="\w+" data-kb="(\d+)"', html):
        found[day] = found.get(day, 0) + int(kb)
    assert found == {day.isoformat(): kb for day, kb in expected.items()}
