"""What a handset's SMS to the service asks for, and doing it (``/sms/incoming``).

What the subscriber sends (to an industry port / to the service number):

- ``0000`` to a port; ``TD``, ``退订`` or ``STOP``... to a port: unsubscribed from that port
  at once, confirmed by SMS.
- ``TD`` / ``退订`` to the service number: no more reminders from it (confirmed by SMS);
  ``STOP``, ``UNSUBSCRIBE``...: the same, and Twilio itself confirms those.
- ``START`` / ``UNSTOP`` / ``YES`` / ``恢复``: opted back in, confirmed by SMS.
- ``HELP`` / ``帮助``: the list of commands, answered at once.
- ``举报 10659000``: a spam report, recorded for review; when the number is an industry
  port, that port never reaches the reporter again and is listed with its reporters in the
  port review (``ivr ports report``). ``举报`` sent to a port without a number (alone, or
  with the spam's text quoted) reports that port.
- ``KT CL`` / ``订购CL``: a pending order and an SMS asking for confirmation (24 h);
  ``Y`` / ``是`` / ``确认`` makes the order, ``N`` / ``否`` drops it.
- ``TD CL`` / ``退订CL``: that subscription is cancelled.
- ``流量轨迹`` / ``TRAIL`` to the service number: the data-usage trail by SMS (the last three
  months' data, this month's, the busiest day) with a link to the subscriber's own page,
  valid seven days.

Replies that must arrive (unsubscribe and order confirmations) go through the outbox in the
same transaction; help texts are answered at once in the TwiML. Whatever the service says
comes from its own number: a TwiML reply would come from the number texted, so an SMS to an
industry port is answered through the outbox from the service number instead (a reply from
the port, signed 【中国联通】, would look like the port's sender answering). A MessageSid
seen before changes nothing (Twilio retries webhooks).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ivr import numbers
from ivr.db import transaction
from ivr.models import Subscriber
from sms_followup import outbox, ports, trail_sms, vas
from sms_followup.models import InboundSms, SpamReport
from sms_followup.settings import SmsSettings
from sms_followup.templates import text

logger = logging.getLogger("sms_followup.inbound")

# Twilio's own opt-out / opt-in words (it confirms these itself and blocks our replies).
TWILIO_OPT_OUT = frozenset(
    {"STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL"}
)
TWILIO_OPT_IN = frozenset({"START", "YES", "UNSTOP"})
OPT_IN = TWILIO_OPT_IN | {"恢复"}  # what a Chinese SMS offers: 回复“恢复”
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
# What a reported number may be, once normalised: a number abroad, a landline, a mobile, a
# service code or port (100xx, 106…), a bank's or a business's 95xxx / 96xxx.
_REPORTABLE = re.compile(r"\+[0-9]{6,15}|0[0-9]{9,11}|1[0-9]{4,19}|9[56][0-9]{3,6}")


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


@dataclass(frozen=True)
class _Answer:
    """How the service answers one inbound SMS: in the subscriber's language, from its own
    number."""

    session: Session
    settings: SmsSettings
    sms: Incoming
    now: dt.datetime
    language: str

    @property
    def to_port(self) -> bool:
        return ports.is_industry_port(self.sms.to_number, self.settings)

    def reply(self, action: str, key: str, **params: str) -> Outcome:
        """*key*'s text as the answer: in the TwiML to the service number, by SMS from the
        service number (through the outbox) to an industry port."""
        if not self.to_port:
            return Outcome(action, text(key, self.language, **params))
        self.confirm(key, **params)
        return Outcome(action)

    def confirm(self, key: str, **params: str) -> None:
        """*key*'s text by SMS from the service number, written in this transaction."""
        outbox.enqueue(
            self.session,
            self.settings,
            kind=key,
            to=self.sms.from_number,
            body=text(key, self.language, **params),
            language=self.language,
            now=self.now,
        )


def failed(
    sessions: sessionmaker[Session], settings: SmsSettings, sms: Incoming, now: dt.datetime
) -> Outcome:
    """The answer when handling *sms* failed and kept nothing: that it did not go through,
    in the TwiML to the service number; to an industry port, by SMS from the service number
    in a transaction of its own (should that fail too, the log has both)."""
    if not ports.is_industry_port(sms.to_number, settings):
        return Outcome("failed", text("reply.error", DEFAULT_LANGUAGE))
    try:
        with transaction(sessions) as session:
            _Answer(session, settings, sms, now, DEFAULT_LANGUAGE).confirm("reply.error")
    except Exception:
        logger.exception("sms.error_reply_failed", extra={"message_sid": sms.sid})
    return Outcome("failed")


def _dispatch(session: Session, settings: SmsSettings, sms: Incoming, now: dt.datetime) -> Outcome:
    said = command(sms.body)
    subscriber = session.scalar(Subscriber.by_msisdn(sms.from_number))
    language = subscriber.language if subscriber else DEFAULT_LANGUAGE
    answer = _Answer(session, settings, sms, now, language)
    to_port = answer.to_port

    if said == PORT_REJECT or (to_port and (said in UNSUBSCRIBE or said in TWILIO_OPT_OUT)):
        if not to_port:
            return answer.reply("port_hint", "reply.port_hint")
        ports.reject(session, sms.from_number, sms.to_number, said)
        answer.confirm("reply.port_unsubscribed", port=sms.to_number)
        return Outcome("port_unsubscribed")
    if said in UNSUBSCRIBE or said in TWILIO_OPT_OUT:
        ports.opt_out(session, sms.from_number, sms.to_number, said)
        if said in TWILIO_OPT_OUT:
            return Outcome("unsubscribed")  # Twilio answers STOP itself
        answer.confirm("reply.service_unsubscribed", sender=sms.to_number)
        return Outcome("unsubscribed")
    if said in OPT_IN:
        return _resubscribe(answer)
    if said in HELP:
        return answer.reply("help", "reply.help")
    if report := _REPORT.fullmatch(said):
        return _spam_report(answer, report.group(1))
    if subscriber is None:
        return answer.reply("not_subscriber", "reply.not_subscriber")
    if said in trail_sms.KEYWORDS and not to_port:
        trail_sms.send(session, settings, subscriber, now)
        return Outcome("usage_trail")
    if said in CONFIRM:
        order = vas.confirm(session, settings, subscriber, now)
        return Outcome("vas_confirmed" if order else "vas_nothing_pending")
    if said in DECLINE:
        if vas.decline(session, settings, subscriber, now):
            return Outcome("vas_declined")
        return answer.reply("unknown", "reply.unknown")
    if order_match := _ORDER.fullmatch(said):
        order = vas.request_order(session, settings, subscriber, order_match.group(1), "sms", now)
        return Outcome("vas_requested" if order else "vas_unknown_product")
    if cancel_match := _CANCEL.fullmatch(said):
        cancelled = vas.cancel(session, settings, subscriber, cancel_match.group(1), now)
        return Outcome("vas_cancelled" if cancelled else "vas_not_subscribed")
    return answer.reply("unknown", "reply.unknown")


def _resubscribe(answer: _Answer) -> Outcome:
    """START / 恢复: the sender texted may text again, and the SMS says so (or that nothing
    was stopped). Where Twilio answers START itself, its reply speaks of its own block
    only, not of the reminders a TD or 退订 stopped."""
    sms = answer.sms
    if not ports.opt_in(answer.session, sms.from_number, sms.to_number):
        answer.confirm("reply.nothing_to_resume", sender=sms.to_number)
        return Outcome("not_unsubscribed")
    if answer.to_port:
        answer.confirm("reply.port_resubscribed", port=sms.to_number)
    else:
        answer.confirm("reply.service_resubscribed", sender=sms.to_number)
    return Outcome("resubscribed")


def _spam_report(answer: _Answer, rest: str) -> Outcome:
    """Record the report; a reported industry port is blocked for the reporter at once (an
    opt-out, as after 0000). The reported number is the first in *rest* that can be one;
    sent to a port without one (``举报`` alone, or with the spam's text), it reports that
    port."""
    session, settings, sms = answer.session, answer.settings, answer.sms
    reported = _reported_number(rest)
    if reported is None and answer.to_port:
        reported = sms.to_number
    elif reported is None:
        return answer.reply("spam_usage", "reply.spam_usage")
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
        # An opt-out, not an unsubscribe: the review counts reporters apart (ports.report).
        ports.opt_out(session, sms.from_number, reported, REPORT_KEYWORD)
        return answer.reply("spam_blocked", "reply.spam_blocked", number=reported)
    return answer.reply("spam_reported", "reply.spam_received", number=reported)


def _reported_number(rest: str) -> str | None:
    """The first number in *rest* that can be reported, normalised; None without one."""
    for found in _REPORTED_NUMBER.finditer(rest):
        try:
            number = numbers.normalize(found.group(0))
        except numbers.InvalidNumber:
            continue
        if _REPORTABLE.fullmatch(number):
            return number
    return None
