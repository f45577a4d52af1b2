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
                used, quota = counters[kind]["used"], counters[kind]["quota"]
                remaining = spoken.integer(max(quota - used, 0), language)
                params = {"used": spoken.integer(used, language), "remaining": remaining}
                lines.append(Line(f"report.usage.{kind}", params))
        return tuple(lines) or (Line("report.usage.none"),)


def _data_line(used: int, quota: int, language: str) -> Line:
    volume = spoken.data_volume
    params = {"used": volume(used, language), "quota": volume(quota, language)}
    if used > quota:
        return Line("report.usage.data_over", {**params, "over": volume(used - quota, language)})
    return Line("report.usage.data", {**params, "remaining": volume(quota - used, language)})
