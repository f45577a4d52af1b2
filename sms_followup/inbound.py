"""What a handset's SMS to the service asks for, and doing it (``/sms/incoming``).

What the subscriber sends (to an industry port / to the service number):

- ``0000`` to a port; ``TD``, ``退订`` or ``STOP``... to a port: unsubscribed from that port
  at once, confirmed by SMS.
- ``TD`` / ``退订`` to the service number: no more reminders from it (confirmed by SMS);
  ``STOP``, ``UNSUBSCRIBE``...: the same, and Twilio itself confirms those.
- ``START`` / ``UNSTOP`` / ``YES``: opted back in.
- ``HELP`` / ``帮助``: the list of commands, answered at once.
- ``举报 10659000``: a spam report, recorded for review; when the number is an industry
  port, that port never reaches the reporter again and the report counts once per reporter
  in the port review (``ivr ports report``). ``举报`` alone, sent to a port, reports it.
- ``KT CL`` / ``订购CL``: a pending order and an SMS asking for confirmation (24 h);
  ``Y`` / ``是`` / ``确认`` makes the order, ``N`` / ``否`` drops it.
- ``TD CL`` / ``退订CL``: that subscription is cancelled.
- ``流量轨迹`` / ``TRAIL`` to the service number: the data-usage trail by SMS (the last three
  months' data, this month's, the busiest day) with a link to the subscriber's own page,
  valid seven days.

Replies that must arrive (unsubscribe and order confirmations) go through the outbox in the
same transaction; help texts are answered at once in the TwiML. A MessageSid seen before
changes nothing (Twilio retries webhooks).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ivr import numbers
from ivr.models import Subscriber
from sms_followup import outbox, ports, trail_sms, vas
from sms_followup.models import InboundSms, SpamReport
from sms_followup.settings import SmsSettings
from sms_followup.templates import text

# Twilio's own opt-out / opt-in words (it confirms these itself and blocks our replies).
TWILIO_OPT_OUT = frozenset(
    {"STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL"}
)
TWILIO_OPT_IN = frozenset({"START", "YES", "UNSTOP"})
DEFAULT_LANGUAGE = "zh-CN"
PORT_REJECT = "0000"
REPORT_KEYWORD = "举报"  # the opt-out a spam report of a port records
UNSUBSCRIBE = frozenset({"TD", "退订"})
HELP = frozenset({"HELP", "INFO", "帮助", "BZ"})
CONFIRM = frozenset({"Y", "是", "确认", "QR"})
DECLINE = frozenset({"N", "否", "不", "取消订购"})
_ORDER = re.compile(r"(?:KT|开通|订购|ORDER)\s*([A-Z0-9]{1,16})")
_CANCEL = re.compile(r"(?:TD|退订|QX)\s*([A-Z0-9]{1,16})")
_REPORT = re.compile(r"(?:举报|JB|REPORT)\s*(.*)", re.DOTALL)
_REPORTED_NUMBER = re.compile(r"\+?[0-9][0-9\s\-]{3,24}")


@dataclass(frozen=True)
class Incoming:
    sid: str
    from_number: str
    to_number: str
    body: str


@dataclass(frozen=True)
class Outcome:
    """What was done (``action``) and the text to answer at once in the TwiML, if any."""

    action: str
    reply: str | None = None


def command(body: str) -> str:
    """The body as a command: full-width forms folded, spaces squeezed, upper case."""
    folded = unicodedata.normalize("NFKC", body)
    return re.sub(r"\s+", " ", folded).strip().upper()


def handle(session: Session, settings: SmsSettings, sms: Incoming, now: dt.datetime) -> Outcome:
    """Record the SMS once and do what it asks, in the caller's transaction."""
    new = ports.insert_ignoring_duplicates(
        session,
        InboundSms,
        message_sid=sms.sid,
        from_number=sms.from_number,
        to_number=sms.to_number,
        body=sms.body,
        action="received",
        at=now,
    )
    if not new:
        return Outcome("replay")
    outcome = _dispatch(session, settings, sms, now)
    session.execute(
        sa.update(InboundSms)
        .where(InboundSms.message_sid == sms.sid)
        .values(action=outcome.action[:24])
    )
    return outcome


def _dispatch(session: Session, settings: SmsSettings, sms: Incoming, now: dt.datetime) -> Outcome:
    said = command(sms.body)
    subscriber = session.scalar(Subscriber.by_msisdn(sms.from_number))
    language = subscriber.language if subscriber else DEFAULT_LANGUAGE
    to_port = ports.is_industry_port(sms.to_number, settings)

    if said == PORT_REJECT or (to_port and (said in UNSUBSCRIBE or said in TWILIO_OPT_OUT)):
        if not to_port:
            return Outcome("port_hint", text("reply.port_hint", language))
        ports.reject(session, sms.from_number, sms.to_number, said)
        _confirm(
            session, settings, sms, now, language, "reply.port_unsubscribed", port=sms.to_number
        )
        return Outcome("port_unsubscribed")
    if said in UNSUBSCRIBE or said in TWILIO_OPT_OUT:
        ports.opt_out(session, sms.from_number, sms.to_number, said)
        if said in TWILIO_OPT_OUT:
            return Outcome("unsubscribed")  # Twilio answers STOP itself
        _confirm(
            session,
            settings,
            sms,
            now,
            language,
            "reply.service_unsubscribed",
            sender=sms.to_number,
        )
        return Outcome("unsubscribed")
    if said in TWILIO_OPT_IN:
        ports.opt_in(session, sms.from_number, sms.to_number)
        return Outcome("resubscribed")
    if said in HELP:
        return Outcome("help", text("reply.help", language))
    if report := _REPORT.fullmatch(said):
        return _spam_report(session, settings, sms, report.group(1), language)
    if subscriber is None:
        return Outcome("not_subscriber", text("reply.not_subscriber", language))
    if said in trail_sms.KEYWORDS and not to_port:
        trail_sms.send(session, settings, subscriber, now)
        return Outcome("usage_trail")
    if said in CONFIRM:
        order = vas.confirm(session, settings, subscriber, now)
        return Outcome("vas_confirmed" if order else "vas_nothing_pending")
    if said in DECLINE:
        declined = vas.decline(session, settings, subscriber, now)
        return Outcome(
            "vas_declined" if declined else "unknown", None if declined else _unknown(language)
        )
    if order_match := _ORDER.fullmatch(said):
        order = vas.request_order(session, settings, subscriber, order_match.group(1), "sms", now)
        return Outcome("vas_requested" if order else "vas_unknown_product")
    if cancel_match := _CANCEL.fullmatch(said):
        cancelled = vas.cancel(session, settings, subscriber, cancel_match.group(1), now)
        return Outcome("vas_cancelled" if cancelled else "vas_not_subscribed")
    return Outcome("unknown", _unknown(language))


def _unknown(language: str) -> str:
    return text("reply.unknown", language)


def _confirm(
    session: Session,
    settings: SmsSettings,
    sms: Incoming,
    now: dt.datetime,
    language: str,
    key: str,
    **params: str,
) -> None:
    outbox.enqueue(
        session,
        settings,
        kind=key,
        to=sms.from_number,
        body=text(key, language, **params),
        language=language,
        now=now,
    )


def _spam_report(
    session: Session, settings: SmsSettings, sms: Incoming, rest: str, language: str
) -> Outcome:
    """Record the report; a reported industry port is blocked for the reporter at once (an
    opt-out, counted as that reporter's one rejection of the port, however often reported)."""
    found = _REPORTED_NUMBER.search(rest)
    if found is None and ports.is_industry_port(sms.to_number, settings):
        reported = sms.to_number  # 举报 sent to the port itself reports that port
    elif found is None:
        return Outcome("spam_usage", text("reply.spam_usage", language))
    else:
        try:
            reported = numbers.normalize(found.group(0))
        except numbers.InvalidNumber:
            return Outcome("spam_usage", text("reply.spam_usage", language))
    session.add(
        SpamReport(
            reporter=sms.from_number,
            reported_number=reported,
            body=sms.body,
            message_sid=sms.sid,
        )
    )
    if ports.is_industry_port(reported, settings):
        ports.ensure_port(session, reported)
        ports.reject(session, sms.from_number, reported, REPORT_KEYWORD)
        return Outcome("spam_blocked", text("reply.spam_blocked", language, number=reported))
    return Outcome("spam_reported", text("reply.spam_received", language, number=reported))
