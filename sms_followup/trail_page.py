"""``GET /usage/<token>``: the data-usage trail page a subscriber opens from their SMS.

The token is signed with the app's ``SECRET_KEY`` (itsdangerous), names one subscriber and
expires seven days after it was written, by the hotline's clock. A wrong, altered or expired
token gets the same 404 as a page that does not exist. The page is phone-sized and in the
subscriber's language: a server-rendered SVG bar chart of data per day over the window
(coloured by access type, each bar a link to its day, so no JavaScript is needed), the month
totals (the data counters', as the hotline says them; a month whose sessions are not all in
is marked) and the sessions of the chosen day, places named in the subscriber's language.
Nothing else of the subscriber is shown, and every text billing sent (places) goes through
Jinja's escaping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeSerializer

from ivr.clock import local_date, local_datetime
from ivr.models import Subscriber
from ivr.services import current_core
from prompts import spoken
from prompts.places import place_name
from sms_followup import trail

TOKEN_TTL = dt.timedelta(days=7)
SALT = "usage-trail"
COLOURS = {
    "5G": "#7b3fe4",
    "4G": "#1f77d0",
    "3G": "#19a974",
    "2G": "#e8a317",
    "WLAN": "#d6336c",
    "other": "#8a8a8a",
}
ORDER = (*trail.ACCESS_TYPES, "other")
CHART_W, CHART_H, AXIS_H = 360, 160, 18

usage_trail = Blueprint("usage_trail", __name__, template_folder="trail_web")

WORDS = {
    "zh-CN": {
        "title": "流量轨迹",
        "window": "{start} 至 {today}",
        "last3": "近三个月",
        "this_month": "本月至今",
        "top": "用量最多的一天",
        "months": "每月流量",
        "chart": "每日流量（点击柱子查看当天明细）",
        "sessions": "{day}的上网记录",
        "start": "开始",
        "duration": "时长",
        "access": "方式",
        "volume": "流量",
        "place": "地点",
        "none": "这一天没有上网记录。",
        "more": "只列出前 {n} 条。",
        "other": "其他",
        "unknown": "—",
        "pending": "本月的上网明细尚未全部入账，图表只含已入账的记录。",
        "pending_month": "明细未全",
    },
    "en-US": {
        "title": "Data usage trail",
        "window": "{start} to {today}",
        "last3": "Last three months",
        "this_month": "This month so far",
        "top": "Day with the most data",
        "months": "Data per month",
        "chart": "Data per day (tap a bar for that day's sessions)",
        "sessions": "Sessions on {day}",
        "start": "Start",
        "duration": "Duration",
        "access": "Access",
        "volume": "Data",
        "place": "Place",
        "none": "No data sessions on this day.",
        "more": "Only the first {n} are listed.",
        "other": "other",
        "unknown": "—",
        "pending": "This month's sessions are not all in yet; the chart shows those that are.",
        "pending_month": "sessions pending",
    },
}


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def token_for(secret: str, subscriber_id: int, now: dt.datetime) -> str:
    """A token for *subscriber_id*'s page, valid for :data:`TOKEN_TTL` from *now*."""
    expires = int((now + TOKEN_TTL).replace(tzinfo=dt.UTC).timestamp())
    return str(_serializer(secret).dumps([subscriber_id, expires]))


def subscriber_of(secret: str, token: str, now: dt.datetime) -> int | None:
    """The subscriber a valid, unexpired token names; None for any other token."""
    try:
        payload = _serializer(secret).loads(token)
    except BadSignature:
        return None
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(p, int) and not isinstance(p, bool) for p in payload)
    ):
        return None
    subscriber_id, expires = payload
    if now.replace(tzinfo=dt.UTC).timestamp() >= expires:
        return None
    return int(subscriber_id)


def link_for(base_url: str, secret: str, subscriber_id: int, now: dt.datetime) -> str:
    return f"{base_url.rstrip('/')}/usage/{token_for(secret, subscriber_id, now)}"


@dataclass(frozen=True)
class Bar:
    """One access type's part of one day's bar."""

    day: str
    access: str
    kb: int
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


def _bars(figures: trail.Trail, language: str) -> tuple[list[Bar], list[tuple[float, str]]]:
    span = (figures.today - figures.start).days + 1
    step = CHART_W / span
    width = max(step * 0.8, 1.0)
    peak = max((figures.day_kb(d) for d in figures.days), default=0) or 1
    bars: list[Bar] = []
    for day, split in figures.days.items():
        x = (day - figures.start).days * step
        base = float(CHART_H)
        for access in ORDER:
            kb = split.get(access, 0)
            if not kb:
                continue
            height = kb / peak * CHART_H
            base -= height
            label = WORDS[language]["other"] if access == "other" else access
            title = f"{day.isoformat()} {label} {spoken.written_data_volume(kb, language)}"
            bars.append(
                Bar(day.isoformat(), access, kb, x, base, width, height, COLOURS[access], title)
            )
    ticks = []
    for month in trail.months_of(figures.today):
        first = dt.date(int(month[:4]), int(month[5:]), 1)
        label = f"{first.month}月" if language == "zh-CN" else first.strftime("%b")
        ticks.append(((first - figures.start).days * step, label))
    return bars, ticks


def _duration(seconds: int | None, language: str) -> str:
    if seconds is None:
        return WORDS[language]["unknown"]
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    zh = language == "zh-CN"
    units = ("小时", "分", "秒") if zh else (" h", " min", " s")
    amounts = list(zip((hours, minutes, secs), units, strict=True))
    # Two units at most, the larger first, a zero one left out: 2小时, 2小时5分, 5分, 5秒.
    shown = [a for a in (amounts[:2] if hours else amounts[1:]) if a[0]] or amounts[2:]
    return ("" if zh else " ").join(f"{n}{unit}" for n, unit in shown)


def _month_label(month: str, language: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    if language == "zh-CN":
        return f"{year}年{number}月"
    return dt.date(year, number, 1).strftime("%B %Y")


def _day_label(day: dt.date, language: str) -> str:
    return f"{day.month}月{day.day}日" if language == "zh-CN" else day.strftime("%d %B")


@usage_trail.get("/usage/<token>")
def page(token: str) -> ResponseReturnValue:
    core = current_core()
    now = core.clock.now()
    subscriber_id = subscriber_of(core.settings.secret_key, token, now)
    if subscriber_id is None:
        abort(404)
    today = local_date(now)
    with core.sessions() as session:
        owner = session.get(Subscriber, subscriber_id)
        if owner is None:
            abort(404)
        lang = owner.language if owner.language in WORDS else "zh-CN"
        figures = trail.trail(session, subscriber_id, today)
        chosen = _chosen_day(figures)
        sessions = trail.sessions_of_day(session, subscriber_id, chosen) if chosen else []
    words = WORDS[lang]
    volume = spoken.written_data_volume
    bars, ticks = _bars(figures, lang)
    rows = [
        {
            "start": local_datetime(s.started_at).strftime("%H:%M"),
            "duration": _duration(s.duration_s, lang),
            "access": s.access or words["other"],
            "colour": COLOURS[s.access or "other"],
            "volume": volume(s.kb, lang),
            "place": place_name(s.location, lang) or words["unknown"],
        }
        for s in sessions
    ]
    top = figures.top
    html = render_template(
        "usage_trail.html",
        lang=lang,
        w=words,
        window=words["window"].format(
            start=_day_label(figures.start, lang), today=_day_label(today, lang)
        ),
        last3=volume(figures.last_three_months_kb, lang),
        this_month=volume(figures.this_month_kb, lang),
        top=None
        if top is None
        else {
            "day": _day_label(top.day, lang),
            "volume": volume(top.kb, lang),
            "access": top.access or words["other"],
            "place": place_name(top.location, lang) or "",
        },
        pending=figures.this_month_pending,
        months=[
            (_month_label(m, lang), volume(kb, lang), kb, m in figures.pending)
            for m, kb in figures.months.items()
        ],
        bars=bars,
        ticks=ticks,
        chart_w=CHART_W,
        chart_h=CHART_H,
        axis_h=AXIS_H,
        legend=[(words["other"] if a == "other" else a, COLOURS[a]) for a in ORDER],
        chosen=chosen.isoformat() if chosen else None,
        chosen_label=words["sessions"].format(day=_day_label(chosen, lang)) if chosen else "",
        rows=rows,
        more=words["more"].format(n=trail.DAY_SESSIONS_SHOWN)
        if len(rows) >= trail.DAY_SESSIONS_SHOWN
        else "",
    )
    return (
        html,
        200,
        {
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


def _chosen_day(figures: trail.Trail) -> dt.date | None:
    """``?day=YYYY-MM-DD`` inside the window, else the day with the most data."""
    wanted = request.args.get("day", "")
    try:
        day = dt.date.fromisoformat(wanted) if wanted else None
    except ValueError:
        day = None
    if day is not None and figures.start <= day <= figures.today:
        return day
    return figures.top.day if figures.top else None
