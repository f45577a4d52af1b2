"""The SMS a caller gets after hanging up: everything queried in the call, in one message.

The message is written to the outbox (``held``) in the same transaction as each query,
and released (``pending``) when the call ends, so it can be neither lost nor sent twice.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ivr.clock import local_date
from ivr.flow import CallContext, CallHooks
from ivr.models import CallQuery
from prompts import spoken
from sms_followup import outbox
from sms_followup.models import OutboxMessage, OutboxStatus
from sms_followup.roaming import summary_part as _roaming
from sms_followup.settings import SmsSettings
from sms_followup.templates import text
from sms_followup.trail_sms import summary_part as _trail

KIND = "call_summary"


def of_call(call_id: int) -> sa.Select[tuple[OutboxMessage]]:
    """The summary SMS of a call, if it has one."""
    return sa.select(OutboxMessage).where(
        OutboxMessage.call_id == call_id, OutboxMessage.kind == KIND
    )


def hold(ctx: CallContext) -> None:
    """The engine's ``on_query`` hook: write (or rewrite) the call's summary SMS, held until
    the call ends."""
    call = ctx.call
    if call.subscriber is None:
        return
    queried_from = None if ctx.on_own_phone else call.from_number
    body = compose(call.queries, call.language, queried_from)
    # A call not yet written (its first webhook) has no summary to look up.
    message = None if call.id is None else ctx.session.scalar(of_call(call.id))
    if message is None:
        outbox.enqueue(
            ctx.session,
            SmsSettings.of(ctx.settings),
            kind=KIND,
            to=call.subscriber.msisdn,
            body=body,
            language=call.language,
            now=ctx.now,
            held_for=call,
        )
        if call.ended:
            outbox.release_held(ctx.session, call.id, ctx.now)
    elif message.status == OutboxStatus.HELD:
        message.body, message.language = body, call.language


def release(ctx: CallContext) -> None:
    """The engine's ``on_call_end`` hook: the call is over, its summary is due for delivery."""
    outbox.release_held(ctx.session, ctx.call.id, ctx.now)


def send_apart(session: Session, call_id: int, now: dt.datetime) -> None:
    """Release the call's held summary as it is, at *now*, and detach it from the call: what
    the call queries next makes a summary of its own (for another subscriber)."""
    outbox.release_held(session, call_id, now, detach=True)


HOOKS = CallHooks(on_query=hold, on_call_end=release)
"""What the engine runs so that what a caller queried reaches them by SMS."""


OPERATIONS = frozenset({"roaming"})
"""Services recorded when the caller changed something (switched roaming, named a trip),
not when they looked something up: the header calls them 办理, not 查询."""


def _header(services: set[str], language: str, date: str, queried_from: str | None) -> str:
    done = bool(services & OPERATIONS)
    if queried_from is not None:
        key = "summary.header_other_phone_done" if done else "summary.header_other_phone"
        return text(key, language, date=date, tail=queried_from[-4:])
    if not done:
        return text("summary.header", language, date=date)
    key = "summary.header_both" if services - OPERATIONS else "summary.header_done"
    return text(key, language, date=date)


def compose(queries: list[CallQuery], language: str, queried_from: str | None = None) -> str:
    """The summary text for *queries* (at least one), in the order they were made; when
    another phone (*queried_from*) made them, the owner is told which, by its last digits."""
    when = min(q.at for q in queries)
    date = _written_date(when, language)
    header = _header({q.service for q in queries}, language, date, queried_from)
    parts = [header]
    for query in queries:
        parts.extend(_PARTS[query.service](query.facts, language))
    parts.append(text("summary.footer", language))
    return "".join(parts)


def _balance(facts: dict[str, Any], language: str) -> list[str]:
    charges = spoken.written_money(facts["month_charges_fen"], language)
    balance = facts["balance_fen"]
    if balance < 0:
        arrears = spoken.written_money(-balance, language)
        return [text("summary.arrears", language, arrears=arrears, charges=charges)]
    written = spoken.written_money(balance, language)
    return [text("summary.balance", language, balance=written, charges=charges)]


_DATA_TEMPLATES = {
    "within": "summary.usage.data",
    "over": "summary.usage.data_over",
    "used_up": "summary.usage.data_used_up",
    "no_quota": "summary.usage.data_no_quota",
}


def _usage(facts: dict[str, Any], language: str) -> list[str]:
    parts = []
    counters = facts["counters"]
    if "data" in counters:
        data = counters["data"]
        # The figures the call said, written: they add up the same way (spoken.data_use).
        written = spoken.data_use(data["used"], max(data["quota"], 0), language, written=True)
        parts.append(
            text(
                _DATA_TEMPLATES[written.case],
                language,
                used=written.used,
                remaining=written.rest,
                over=written.rest,
            )
        )
    for kind in ("voice", "sms"):
        if kind in counters:
            c = counters[kind]
            left = max(c["quota"] - c["used"], 0)
            # Nothing left is "used up" (已用完), never 剩余0分钟; a plan without any says so.
            key = "no_quota" if c["quota"] <= 0 else "used_up" if left == 0 else ""
            parts.append(
                text(
                    f"summary.usage.{kind}_{key}" if key else f"summary.usage.{kind}",
                    language,
                    used=str(c["used"]),
                    remaining=str(left),
                )
            )
    return parts


def _bill(facts: dict[str, Any], language: str) -> list[str]:
    return [
        text(
            "summary.bill",
            language,
            month=_written_month(bill["period"], language),
            amount=spoken.written_money(bill["total_fen"], language),
        )
        for bill in facts["bills"][:1]
    ]


_PARTS = {
    "balance": _balance,
    "usage": _usage,
    "bill": _bill,
    "trail": _trail,
    "roaming": _roaming,
}


def _written_date(at: dt.datetime, language: str) -> str:
    local = local_date(at)
    return f"{local.month}月{local.day}日" if language == "zh-CN" else local.strftime("%d %b")


def _written_month(period: str, language: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year}年{month}月" if language == "zh-CN" else f"{calendar.month_abbr[month]} {year}"
