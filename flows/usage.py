"""1001012: data, voice and SMS package usage this month (used, remaining, quota)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from flows.report import Report
from ivr.flow import CallContext
from ivr.models import Subscriber, UsageCounter
from ivr.reply import Line
from prompts import spoken

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


def _data_line(used: int, quota: int, language: str) -> Line:
    """Used, left and the plan's data; a plan without data says so, and nothing left is
    "used up" rather than "0 megabytes left"."""
    volume = spoken.data_volume
    if quota == 0:
        return Line("report.usage.data_no_quota", {"used": volume(used, language)})
    params = {"used": volume(used, language), "quota": volume(quota, language)}
    if used > quota:
        return Line("report.usage.data_over", {**params, "over": volume(used - quota, language)})
    if used == quota:
        return Line("report.usage.data_used_up", params)
    return Line("report.usage.data", {**params, "remaining": volume(quota - used, language)})


def _count_line(kind: str, used: int, quota: int, language: str) -> Line:
    """Minutes of calls or text messages: used and left, used up, or not in the plan."""
    said = {"used": spoken.count(max(used, 0), language)}
    if quota == 0:
        return Line(f"report.usage.{kind}_no_quota", said)
    if used >= quota:
        return Line(f"report.usage.{kind}_used_up", said)
    return Line(f"report.usage.{kind}", {**said, "remaining": spoken.count(quota - used, language)})
