"""1001011: the balance and this month's charges, read aloud before anything else.

What the caller hears agrees with the SMS about their line (``sms_followup.reminders``): a
line suspended for arrears hears since when and how it reopens, never how to avoid a
suspension it already has; a balance low enough for the warning SMS hears the warning.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows.report import Report
from ivr.clock import local_date
from ivr.flow import CallContext
from ivr.models import Subscriber
from ivr.reply import Line
from prompts import spoken
from sms_followup import reminders
from sms_followup.settings import SmsSettings


class ReadingBalance(Report):
    name = "balance"
    service = "balance"

    def facts(self, ctx: CallContext, subscriber: Subscriber) -> dict[str, Any]:
        account = subscriber.account
        warning_fen = SmsSettings.of(ctx.settings).balance_warning_fen
        low = reminders.low_balance(
            account.balance_fen, account.month_charges_fen, ctx.local_today, warning_fen
        )
        since = reminders.suspended_since(ctx.session, subscriber)
        return {
            "balance_fen": account.balance_fen,
            "month_charges_fen": account.month_charges_fen,
            "as_of": ctx.local_today.isoformat(),
            "line_status": subscriber.line_status,
            "suspended_on": local_date(since).isoformat() if since else None,
            "low": None if low is None else {"kind": low.kind, "days": low.days},
            "warning_fen": warning_fen,
        }

    def lines(self, facts: dict[str, Any], language: str) -> tuple[Line, ...]:
        balance = facts["balance_fen"]
        charges = Line(
            "report.month_charges",
            {
                "date": spoken.date(dt.date.fromisoformat(facts["as_of"]), language),
                "amount": spoken.money(facts["month_charges_fen"], language),
            },
        )
        if facts["line_status"] == reminders.SUSPENDED_ARREARS:
            return (*_suspended(facts, language), charges)
        if balance < 0:
            return Line("report.arrears", {"amount": spoken.money(-balance, language)}), charges
        first = Line("report.balance", {"amount": spoken.money(balance, language)})
        return (first, *_warning(facts, language), charges)


def _suspended(facts: dict[str, Any], language: str) -> tuple[Line, ...]:
    """Suspended for arrears: since when, what is owed, and how the line reopens (by itself
    once the balance is above zero; at once through the complaint of a paid line)."""
    balance = facts["balance_fen"]
    on = facts["suspended_on"]
    if on:
        since = Line("report.suspended", {"date": spoken.date(dt.date.fromisoformat(on), language)})
    else:
        since = Line("report.suspended_undated")
    if balance > 0:
        paid = Line("report.balance", {"amount": spoken.money(balance, language)})
        return since, paid, Line("report.reopening")
    owed = (Line("report.owing", {"amount": spoken.money(-balance, language)}),) if balance else ()
    return (since, *owed, Line("report.reopen_by_paying"), Line("payment.how"))


def _warning(facts: dict[str, Any], language: str) -> tuple[Line, ...]:
    """The warning before suspension the SMS gives for this balance, if any."""
    low = facts["low"]
    if low is None:
        return ()
    if low["kind"] == reminders.BALANCE_LOW:
        threshold = spoken.money(facts["warning_fen"], language)
        return (Line("report.balance_low", {"threshold": threshold}),)
    runs_out = dt.date.fromisoformat(facts["as_of"]) + dt.timedelta(days=low["days"])
    return (Line("report.balance_run_out", {"date": spoken.date(runs_out, language)}),)
