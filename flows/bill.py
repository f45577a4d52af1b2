"""1001013: the last months' bill totals, and the latest bill itemised by category."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from flows.report import Report
from ivr.flow import CallContext
from ivr.models import Bill, Subscriber
from ivr.reply import Line
from prompts import catalog, spoken

MONTHS_READ = 3


class ReadingBill(Report):
    name = "bill"
    service = "bill"

    def facts(self, ctx: CallContext, subscriber: Subscriber) -> dict[str, Any]:
        bills = ctx.session.scalars(
            sa.select(Bill)
            .where(Bill.subscriber_id == subscriber.id)
            .order_by(Bill.period.desc())
            .limit(MONTHS_READ)
        ).all()
        items = [
            {"category": item.category, "amount_fen": item.amount_fen}
            for item in (bills[0].items if bills else [])
        ]
        return {
            "bills": [{"period": b.period, "total_fen": b.total_fen} for b in bills],
            "items": items,
        }

    def lines(self, facts: dict[str, Any], language: str) -> tuple[Line, ...]:
        bills = facts["bills"]
        if not bills:
            return (Line("report.bill.none"),)
        lines = [
            Line(
                "report.bill.month",
                {
                    "month": _month(b["period"], language),
                    "amount": spoken.money(b["total_fen"], language),
                },
            )
            for b in bills
        ]
        lines.append(Line("report.bill.latest", {"month": _month(bills[0]["period"], language)}))
        lines.extend(
            Line(
                "report.bill.item",
                {
                    "category": _category(item["category"], language),
                    "amount": spoken.money(item["amount_fen"], language),
                },
            )
            for item in facts["items"]
        )
        return tuple(lines)


def _month(period: str, language: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return spoken.month(year, month, language)


def _category(category: str, language: str) -> str:
    key = f"bill.category.{category}"
    return catalog.text(
        key if key in catalog.prompts(language) else "bill.category.other", language
    )
