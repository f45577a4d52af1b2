"""Industry SMS ports and opt-outs: who may no longer be sent what, and from which number.

An industry port (``10655021...``, ``10655877...``) that a subscriber answered ``0000``
(or ``TD``/``退订``/``STOP``) never reaches that subscriber again; a closed port reaches no
one. Such a send is not dropped: its outbox row is ``refused`` with the reason, counted on
the port and logged. Opting out of the service number itself stops reminders only; service
messages (call summaries, confirmations, deduction notices) and cost warnings still go.

A spam report (``举报 <port>``) opts the reporter out of that port like ``0000``; the port
review counts each port's distinct reporters apart from its unsubscribes (a report is not a
rejection of a message sent: counted as one, three reports of a port that sent one message
made a 300 % rejection rate) and flags a port reported by many.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ivr.logs import log_event
from ivr.models import Subscriber
from sms_followup.models import OptOut, Port, SpamReport
from sms_followup.settings import SmsSettings

logger = logging.getLogger("sms_followup.ports")

OPTED_OUT = "opted_out"
PORT_CLOSED = "port_closed"
NOT_REAL_NAME = "not_real_name"  # the line has not completed real-name registration
REVIEW_REPORTERS = 3  # a port reported as spam by this many subscribers is reviewed


def insert_ignoring_duplicates(session: Session, model: Any, **values: Any) -> bool:
    """INSERT unless a row with the same unique key exists (or is being inserted by a
    concurrent transaction that then commits); True when this call inserted it."""
    dialect = session.get_bind().dialect.name
    table = model.__table__
    statement: Any
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported backends
        raise RuntimeError(f"unsupported database {dialect}")
    # RETURNING says whether a row went in (rowcount is not reliable with it on PostgreSQL).
    key = next(iter(table.primary_key.columns))
    return session.execute(statement.returning(key)).first() is not None


def prefixes(settings: SmsSettings) -> tuple[str, ...]:
    return tuple(p.strip() for p in settings.industry_port_prefixes.split(",") if p.strip())


def is_industry_port(number: str, settings: SmsSettings) -> bool:
    return number.isdigit() and number.startswith(prefixes(settings))


def ensure_port(session: Session, port: str) -> None:
    insert_ignoring_duplicates(
        session,
        Port,
        port=port,
        status="open",
        sent=0,
        refused=0,
        rejections=0,
    )


def count(session: Session, port: str, column: str, by: int = 1) -> None:
    """Add to one of a port's counters (``sent``, ``refused``, ``rejections``) atomically."""
    ensure_port(session, port)
    counter = getattr(Port, column)
    session.execute(sa.update(Port).where(Port.port == port).values({counter: counter + by}))


def opt_out(session: Session, msisdn: str, sender: str, keyword: str) -> bool:
    """Record that ``msisdn`` wants nothing more from ``sender``; True if it is new."""
    new = insert_ignoring_duplicates(session, OptOut, msisdn=msisdn, sender=sender, keyword=keyword)
    if new:
        log_event(logger, "sms.opt_out", msisdn=msisdn, sender=sender, keyword=keyword)
    return new


def opt_in(session: Session, msisdn: str, sender: str) -> bool:
    result: Any = session.execute(
        sa.delete(OptOut).where(OptOut.msisdn == msisdn, OptOut.sender == sender)
    )
    return bool(result.rowcount)


def opted_out(session: Session, msisdn: str, sender: str) -> bool:
    found = session.scalar(
        sa.select(OptOut.id).where(OptOut.msisdn == msisdn, OptOut.sender == sender)
    )
    return found is not None


def reject(session: Session, msisdn: str, port: str, keyword: str) -> bool:
    """A subscriber answered ``0000`` (or an unsubscribe word) to an industry port."""
    new = opt_out(session, msisdn, port, keyword)
    if new:
        count(session, port, "rejections")
    return new


def refusal(session: Session, to_number: str, from_number: str, port: str | None) -> str | None:
    """Why a message from a port (or a reminder from ``from_number``) must not go: the
    port is closed, the recipient's line has no real-name registration, or it opted out."""
    if port is not None:
        status = session.scalar(sa.select(Port.status).where(Port.port == port))
        if status == "closed":
            return PORT_CLOSED
    # A line without real-name registration gets no marketing (ports) or reminder SMS.
    unverified = session.scalar(
        sa.select(Subscriber.id).where(
            Subscriber.msisdn == to_number, Subscriber.real_name_verified.is_(False)
        )
    )
    if unverified is not None:
        return NOT_REAL_NAME
    # An opt-out from a port's prefix (``TWILIO_SMS_FROM_MAP`` sends all its ports from one
    # Twilio number, and a reply to that number reaches us as the prefix) covers the port.
    senders = ([port[:i] for i in range(len(port), 7, -1)] or [port]) if port else [from_number]
    found = session.scalar(
        sa.select(OptOut.id).where(OptOut.msisdn == to_number, OptOut.sender.in_(senders)).limit(1)
    )
    return OPTED_OUT if found is not None else None


def close(session: Session, port: str, reason: str, now: dt.datetime) -> bool:
    """Stop a port entirely at *now*; False if it was closed already."""
    ensure_port(session, port)
    result: Any = session.execute(
        sa.update(Port)
        .where(Port.port == port, Port.status != "closed")
        .values(status="closed", closed_at=now, closed_reason=reason[:200])
    )
    if result.rowcount:
        log_event(logger, "sms.port_closed", logging.WARNING, port=port, reason=reason)
    return bool(result.rowcount)


def reopen(session: Session, port: str) -> bool:
    result: Any = session.execute(
        sa.update(Port)
        .where(Port.port == port, Port.status == "closed")
        .values(status="open", closed_at=None, closed_reason=None)
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class PortLine:
    port: str
    status: str
    sent: int
    refused: int
    rejections: int
    rate: float
    review: bool
    reporters: int = 0  # distinct subscribers who reported it as spam (举报)


def reporters(session: Session) -> dict[str, int]:
    """Each reported number with how many distinct subscribers reported it."""
    rows = session.execute(
        sa.select(
            SpamReport.reported_number, sa.func.count(sa.distinct(SpamReport.reporter))
        ).group_by(SpamReport.reported_number)
    )
    return {number: n for number, n in rows}


def report(
    session: Session,
    threshold_pct: float,
    min_sent: int = 0,
    min_reporters: int = REVIEW_REPORTERS,
) -> list[PortLine]:
    """Ports by rejection rate (unsubscribes per message sent), highest first; ``review``
    when at or over the threshold, or when reported as spam by at least *min_reporters*
    distinct subscribers (counted apart)."""
    reported = reporters(session)
    lines = []
    for p in session.scalars(sa.select(Port)):
        by = reported.get(p.port, 0)
        over = p.sent >= min_sent and p.rejections > 0 and p.rejection_rate * 100 >= threshold_pct
        lines.append(
            PortLine(
                port=p.port,
                status=p.status,
                sent=p.sent,
                refused=p.refused,
                rejections=p.rejections,
                rate=p.rejection_rate,
                review=p.status == "open" and (over or (min_reporters > 0 and by >= min_reporters)),
                reporters=by,
            )
        )
    return sorted(lines, key=lambda line: (-line.rate, -line.rejections, line.port))
