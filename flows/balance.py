"""1001011: the balance and this month's charges, read aloud before anything else."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows.report import Report
from ivr.flow import CallContext
from ivr.models import Subscriber
from ivr.reply import Line
from prompts import spoken


class ReadingBalance(Report):
    name = "balance"
    service = "balance"

    def facts(self, ctx: CallContext, subscriber: Subscriber) -> dict[str, Any]:
        account = subscriber.account
        return {
            "balance_fen": account.balance_fen,
            "month_charges_fen": account.month_charges_fen,
            "as_of": ctx.local_today.isoformat(),
        }

    def lines(self, facts: dict[str, Any], language: str) -> tuple[Line, ...]:
        balance = facts["balance_fen"]
        if balance < 0:
            first = Line("report.arrears", {"amount": spoken.money(-balance, language)})
        else:
            first = Line("report.balance", {"amount": spoken.money(balance, language)})
        charges = Line(
            "report.month_charges",
            {
                "date": spoken.date(dt.date.fromisoformat(facts["as_of"]), language),
                "amount": spoken.money(facts["month_charges_fen"], language),
            },
        )
        return first, charges
