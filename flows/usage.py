"""1001012: data, voice and SMS package usage this month (used, remaining, quota); key 3
there reads the data-usage trail: the last three months' data, this month's so
far, the busiest day with its access type and place, and the link to the page by SMS."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from flows.report import Report
from ivr.flow import CallContext, Goto
from ivr.models import Subscriber, UsageCounter
from ivr.reply import Line, Listen, Reply
from prompts import catalog, places, spoken
from prompts.catalog import other_language
from sms_followup import trail
from sms_followup.trail_page import link_for

KINDS = ("data", "voice", "sms")


class ReadingUsage(Report):
    name = "usage"
    service = "usage"

    def facts(self, ctx: CallContext, subscriber: Subscriber) -> dict[str, Any]:
        period = ctx.local_today.strftime("%Y-%m")
        rows = ctx.session.scalars(
            sa.select(UsageCounter).where(
                UsageCounter.subscriber_id == subscriber.id, UsageCounter.period == period
            )
        )
        counters = {c.kind: {"quota": c.quota, "used": c.used} for c in rows if c.kind in KINDS}
        return {"period": period, "counters": counters}

    def lines(self, facts: dict[str, Any], language: str) -> tuple[Line, ...]:
        counters = facts["counters"]
        lines: list[Line] = []
        if "data" in counters:
            lines.append(_data_line(counters["data"]["used"], counters["data"]["quota"], language))
        for kind in ("voice", "sms"):
            if kind in counters:
                lines.append(
                    _count_line(kind, counters[kind]["used"], counters[kind]["quota"], language)
                )
        return tuple(lines) or (Line("report.usage.none"),)

    def prompt(self, ctx: CallContext) -> Reply:
        """The data-usage trail on key 3, then repeat, main menu, agent, other language."""
        switch = Line("menu.switch_language", language=other_language(ctx.language))
        return Reply((Line("usage.trail_offer"), Line("menu.after_report"), switch), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        if key == "3":
            return Goto(ReadingTrail.name)
        return super().choose(ctx, key)


class ReadingTrail(Report):
    """The data-usage trail's totals by voice; the SMS after the call links to the page."""

    name = "usage_trail"
    service = "trail"
    parent = "usage"

    def facts(self, ctx: CallContext, subscriber: Subscriber) -> dict[str, Any]:
        figures = trail.trail(ctx.session, subscriber.id, ctx.local_today)
        link = link_for(
            ctx.settings.public_base_url, ctx.settings.secret_key, subscriber.id, ctx.now
        )
        return {**figures.as_facts(), "link": link}

    def lines(self, facts: dict[str, Any], language: str) -> tuple[Line, ...]:
        return trail_lines(facts, language)


def trail_lines(facts: dict[str, Any], language: str) -> tuple[Line, ...]:
    """What the caller hears of the trail's figures (``Trail.as_facts``): this month's total is
    the counter's, as the usage report says it, and a month whose sessions are not all in is
    said to be so. Only a place with audio is named (:func:`places.spoken_place`)."""
    volume = spoken.data_volume
    top = facts["top"]
    if top is None and not facts["last_three_months_kb"] and not facts["this_month_kb"]:
        return (Line("report.trail.none"),)
    last_three = volume(facts["last_three_months_kb"], language)
    this_month = facts["this_month_kb"]
    lines = [
        Line(
            "report.trail.totals",
            {"last_three": last_three, "this_month": volume(this_month, language)},
        )
        if this_month
        else Line("report.trail.totals_none_this_month", {"last_three": last_three})
    ]
    if facts.get("this_month_pending"):
        lines.append(Line("report.trail.month_pending"))
    if top is not None:
        said = {
            "day": spoken.date(dt.date.fromisoformat(top["day"]), language),
            "volume": volume(top["kb"], language),
            "access": catalog.text(f"access.{top['access'] or 'other'}", language),
        }
        place = places.spoken_place(top["location"], language)
        if place:
            lines.append(Line("report.trail.top_day", {**said, "place": place}))
        else:
            lines.append(Line("report.trail.top_day_no_place", said))
    return tuple(lines)


def _data_line(used: int, quota: int, language: str) -> Line:
    """Used, left and the plan's data, said so that they add up (:func:`spoken.data_use`); a
    plan without data says so, and nothing left is "used up" rather than "0 megabytes left"."""
    said = spoken.data_use(used, quota, language)
    if said.case == "no_quota":
        return Line("report.usage.data_no_quota", {"used": said.used})
    params = {"used": said.used, "quota": said.quota}
    if said.case == "over":
        return Line("report.usage.data_over", {**params, "over": said.rest})
    if said.case == "used_up":
        return Line("report.usage.data_used_up", params)
    return Line("report.usage.data", {**params, "remaining": said.rest})


def _count_line(kind: str, used: int, quota: int, language: str) -> Line:
    """Minutes of calls or text messages: used and left, used up, or not in the plan."""
    said = {"used": spoken.count(max(used, 0), language)}
    if quota == 0:
        return Line(f"report.usage.{kind}_no_quota", said)
    if used >= quota:
        return Line(f"report.usage.{kind}_used_up", said)
    left = {"remaining": spoken.count(quota - used, language)}
    if used <= 0:  # none yet: never "0 text messages"
        return Line(f"report.usage.{kind}_none", left)
    return Line(f"report.usage.{kind}", {**said, **left})
