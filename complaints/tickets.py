"""Complaint tickets: categories and their time limits, status life cycle, escalation.

Urgent categories, payment made but the line not reopened (缴费延开) and abnormal
suspension (异常停机), must be solved within 4 hours; everything else within 48 hours.
The caller hears the ticket number and the deadline and gets both by SMS, with the
service-quality supervision hotline. Deadlines are stored as naive UTC and spoken or
written in the service's time zone (Asia/Shanghai).

Life cycle: ``open`` → ``in_progress`` → ``answered`` → ``closed`` (an answered ticket may
go back to ``in_progress``). An unresolved ticket (open or in progress) is escalated once
when its deadline nears (the last quarter of its time limit) and again when it passes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Final

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ivr.clock import local_date, local_datetime, stamp
from ivr.db import Base, enum_text
from ivr.logs import log_event
from ivr.models import Call, CallEvent, Subscriber
from prompts import spoken
from sms_followup import outbox, reminders
from sms_followup.settings import SmsSettings
from sms_followup.templates import text as sms_text

logger = logging.getLogger("complaints.tickets")

SUPERVISION_HOTLINE: Final = "61481100"
PAYMENT_NOT_REOPENED: Final = "payment_not_reopened"
#: Category → urgent. Urgent tickets have 4 hours, the others 48.
CATEGORIES: Final[Mapping[str, bool]] = {
    PAYMENT_NOT_REOPENED: True,
    "abnormal_suspension": True,
    "network": False,
    "billing": False,
    "other": False,
}
URGENT_HOURS: Final = 4
STANDARD_HOURS: Final = 48


class TicketStatus(StrEnum):
    """Where a ticket is in its life (:data:`TRANSITIONS` says where it may go next)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"


STATUSES: Final = tuple(TicketStatus)
UNRESOLVED: Final = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
TRANSITIONS: Final[Mapping[TicketStatus, frozenset[TicketStatus]]] = {
    TicketStatus.OPEN: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.ANSWERED, TicketStatus.CLOSED}
    ),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.ANSWERED, TicketStatus.CLOSED}),
    TicketStatus.ANSWERED: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}
DUE_SOON, OVERDUE = 1, 2
ESCALATION_NAMES: Final = {0: "-", DUE_SOON: "due soon", OVERDUE: "overdue"}


class Ticket(Base):
    """A complaint or fault report with its time limit (SLA)."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.Index("ix_tickets_status_due", "status", "due_at"),
        sa.Index("ix_tickets_status_warn", "status", "warn_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(32))
    #: urgent (4 h) or standard (48 h): the queue of the complaints desk it waits in.
    queue: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[TicketStatus] = mapped_column(enum_text(TicketStatus), default=TicketStatus.OPEN)
    language: Mapped[str] = mapped_column(sa.String(5))
    opened_at: Mapped[dt.datetime] = mapped_column(default=stamp)
    due_at: Mapped[dt.datetime] = mapped_column()
    #: From here on the ticket is escalated as due soon.
    warn_at: Mapped[dt.datetime] = mapped_column()
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[dt.datetime | None] = mapped_column()
    #: awaiting (the caller is recording), recorded, or none.
    description: Mapped[str] = mapped_column(sa.String(16), default="awaiting")
    recording_url: Mapped[str | None] = mapped_column(sa.String(500))
    recording_duration_s: Mapped[int | None] = mapped_column()
    #: What the service did by itself, e.g. line_reopened.
    resolution: Mapped[str | None] = mapped_column(sa.String(32))
    answered_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()

    subscriber: Mapped[Subscriber] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )

    @property
    def number(self) -> str:
        """What the caller is told: the local date it was opened and its id, e.g. 2611260042."""
        return f"{local_date(self.opened_at):%y%m%d}{self.id:04d}"

    @property
    def hours(self) -> int:
        return URGENT_HOURS if self.queue == "urgent" else STANDARD_HOURS

    def overdue(self, now: dt.datetime) -> bool:
        return self.status in UNRESOLVED and now >= self.due_at

    @classmethod
    def by_number(cls, number: str) -> sa.Select[tuple[Ticket]]:
        """The ticket with this number (its id follows the six-digit date)."""
        ticket_id = int(number[6:]) if len(number) > 6 and number.isdigit() else 0
        return sa.select(cls).where(cls.id == ticket_id)


class TicketEvent(Base):
    """Append-only history of a ticket: opened, described, status, escalated, line_reopened."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=stamp)
    kind: Mapped[str] = mapped_column(sa.String(24))
    actor: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TicketError(Exception):
    """A ticket operation that cannot go ahead; ``id`` is stable."""

    id: ClassVar[str]


class UnknownTicket(TicketError):
    id = "ticket.unknown"


class StatusNotAllowed(TicketError):
    id = "ticket.status_not_allowed"


# -- queries -----------------------------------------------------------------------------

#: A ticket the caller finished: described (recorded, or nothing said while still on the
#: line) or answered at once. A draft ("awaiting") is nobody's business until then, and one
#: whose caller hung up at the beep is withdrawn (:func:`withdraw_draft`).
FILED_ONLY = Ticket.description != "awaiting"


def unresolved_for(subscriber_id: int) -> sa.Select[tuple[Ticket]]:
    """A subscriber's tickets not yet closed, newest first."""
    return (
        sa.select(Ticket)
        .where(Ticket.subscriber_id == subscriber_id, Ticket.status != "closed", FILED_ONLY)
        .order_by(Ticket.id.desc())
    )


def of_call(call_id: int) -> sa.Select[tuple[Ticket]]:
    """Tickets opened in one call, newest first."""
    return sa.select(Ticket).where(Ticket.call_id == call_id).order_by(Ticket.id.desc())


def overdue(now: dt.datetime) -> sa.Select[tuple[Ticket]]:
    """Unresolved tickets past their deadline, the longest overdue first."""
    return (
        sa.select(Ticket)
        .where(Ticket.status.in_(UNRESOLVED), Ticket.due_at <= now, FILED_ONLY)
        .order_by(Ticket.due_at)
    )


def needing_attention(now: dt.datetime) -> sa.Select[tuple[Ticket]]:
    """Unresolved tickets escalated or past their deadline, the most urgent first."""
    return (
        sa.select(Ticket)
        .where(
            Ticket.status.in_(UNRESOLVED),
            FILED_ONLY,
            sa.or_(Ticket.due_at <= now, Ticket.escalation_level > 0),
        )
        .order_by(Ticket.due_at)
    )


def listing(status: str | None = None) -> sa.Select[tuple[Ticket]]:
    """Tickets for operators: unresolved first by deadline, or one status."""
    query = sa.select(Ticket).where(FILED_ONLY)
    if status is not None:
        return query.where(Ticket.status == status).order_by(Ticket.due_at)
    return query.where(Ticket.status != "closed").order_by(Ticket.due_at)


# -- filing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filed:
    ticket: Ticket
    #: The line was suspended for arrears and is paid up: the service reopened it.
    line_reopened: bool


def _event(ticket: Ticket, kind: str, actor: str, now: dt.datetime, **detail: Any) -> None:
    ticket.events.append(TicketEvent(at=now, kind=kind, actor=actor, detail=detail))


def _notify(
    session: Session, settings: SmsSettings, ticket: Ticket, kind: str, body: str, now: dt.datetime
) -> None:
    outbox.enqueue(
        session,
        settings,
        kind=kind,
        to=ticket.subscriber.msisdn,
        body=body,
        language=ticket.language,
        now=now,
    )


def _written(at: dt.datetime, language: str) -> str:
    return spoken.written_date_time(local_datetime(at), language)


def file_complaint(
    session: Session,
    subscriber: Subscriber,
    category: str,
    *,
    call: Call | None,
    language: str,
    settings: SmsSettings,
    now: dt.datetime,
) -> Filed:
    """Open a ticket (once per call and category). From a call it is a draft awaiting its
    description, told by SMS once described (:func:`describe`); otherwise filed and told now.

    For payment made but the line not reopened, a line suspended for arrears whose
    balance is positive again is reopened at once, the ticket answered and the SMS sent.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown complaint category {category!r}")
    if call is not None:
        for earlier in session.scalars(of_call(call.id)):
            if earlier.category == category:
                return Filed(earlier, earlier.resolution == "line_reopened")
    hours = URGENT_HOURS if CATEGORIES[category] else STANDARD_HOURS
    limit = dt.timedelta(hours=hours)
    ticket = Ticket(
        subscriber=subscriber,
        call_id=call.id if call is not None else None,
        category=category,
        queue="urgent" if CATEGORIES[category] else "standard",
        status="open",
        language=language,
        opened_at=now,
        due_at=now + limit,
        warn_at=now + limit * 3 / 4,
    )
    session.add(ticket)
    session.flush()
    _event(ticket, "opened", "caller", now, category=category, queue=ticket.queue)
    if category == PAYMENT_NOT_REOPENED and reminders.paid_up(subscriber):
        _reopen_line(ticket, subscriber, now)
        body = sms_text(
            "ticket.line_reopened",
            language,
            number=ticket.number,
            time=_written(now, language),
            hotline=SUPERVISION_HOTLINE,
        )
        _notify(session, settings, ticket, "line_reopened", body, now)
        return Filed(ticket, line_reopened=True)
    if call is None:  # not from a call (an operator, an import): filed as it is, told now
        ticket.description = "none"
        _notify_filed(session, settings, ticket, now)
    log_event(logger, "ticket.opened", ticket=ticket.number, category=category, queue=ticket.queue)
    return Filed(ticket, line_reopened=False)


IN_ARREARS: Final = "in_arrears"
LINE_OPEN: Final = "line_open"


def nothing_to_reopen(subscriber: Subscriber) -> str | None:
    """Why a complaint of payment made but the line not reopened needs no ticket, checked
    against the line first: :data:`IN_ARREARS` (an amount is still due: the line reopens
    once it is paid), :data:`LINE_OPEN` (active and in credit: nothing to reopen); None for
    a suspended line in credit, which the complaint reopens or files as urgent."""
    account = subscriber.account
    if account is not None and account.balance_fen < 0:
        return IN_ARREARS
    if subscriber.line_status == reminders.ACTIVE:
        return LINE_OPEN
    return None


def _notify_filed(
    session: Session, settings: SmsSettings, ticket: Ticket, now: dt.datetime
) -> None:
    body = sms_text(
        "ticket.filed",
        ticket.language,
        category=sms_text(f"ticket.category.{ticket.category}", ticket.language),
        number=ticket.number,
        hours=str(ticket.hours),
        deadline=_written(ticket.due_at, ticket.language),
        hotline=SUPERVISION_HOTLINE,
    )
    _notify(session, settings, ticket, "ticket_filed", body, now)


def open_of_category(subscriber_id: int, category: str) -> sa.Select[tuple[Ticket]]:
    """The subscriber's newest filed, unresolved ticket of *category*: a second complaint
    about the same thing is added to it rather than filed again."""
    return (
        sa.select(Ticket)
        .where(
            Ticket.subscriber_id == subscriber_id,
            Ticket.category == category,
            Ticket.status.in_(UNRESOLVED),
            FILED_ONLY,
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def withdraw_draft(session: Session, call: Call, now: dt.datetime) -> int:
    """The caller hung up at the beep without describing anything: the call's draft is not
    filed (deleted with its history, never told by SMS). How many were withdrawn."""
    drafts = session.scalars(of_call(call.id).where(Ticket.description == "awaiting")).all()
    for ticket in drafts:
        log_event(logger, "ticket.withdrawn", ticket=ticket.number, category=ticket.category)
        for event in ticket.events:
            session.delete(event)
        session.delete(ticket)
    return len(drafts)


ADDITION_OFFERED = "complaint.add_offered"
"""The call event that names the open ticket a caller was offered to add to."""


def offered_addition(session: Session, call: Call) -> Ticket | None:
    """The open ticket this call was offered to add to (its latest offer), if still open."""
    offer = session.scalar(
        sa.select(CallEvent)
        .where(CallEvent.call_id == call.id, CallEvent.kind == ADDITION_OFFERED)
        .order_by(CallEvent.id.desc())
        .limit(1)
    )
    number = str(offer.detail.get("ticket", "")) if offer is not None else ""
    ticket = session.scalar(Ticket.by_number(number)) if number else None
    return ticket if ticket is not None and ticket.status in UNRESOLVED else None


def add_to(
    session: Session,
    ticket: Ticket,
    recording_url: str | None,
    duration_s: int | None,
    now: dt.datetime,
) -> None:
    """A caller's addition to their open ticket (instead of a duplicate complaint)."""
    if recording_url and ticket.recording_url is None:
        ticket.description = "recorded"
        ticket.recording_url, ticket.recording_duration_s = recording_url, duration_s
    _event(
        ticket,
        "added",
        "caller",
        now,
        recording_url=recording_url,
        duration_s=duration_s,
    )


def _reopen_line(ticket: Ticket, subscriber: Subscriber, now: dt.datetime) -> None:
    subscriber.line_status = "active"
    ticket.status, ticket.answered_at = TicketStatus.ANSWERED, now
    ticket.resolution, ticket.description = "line_reopened", "none"
    _event(
        ticket,
        "line_reopened",
        "system",
        now,
        balance_fen=subscriber.account.balance_fen,
        was="suspended_arrears",
    )
    log_event(logger, "line.reopened", ticket=ticket.number, subscriber_id=subscriber.id)


def describe(
    session: Session,
    call: Call,
    recording_url: str | None,
    duration_s: int | None,
    now: dt.datetime,
    settings: SmsSettings | None = None,
) -> Ticket | None:
    """The caller finished describing the call's latest ticket: keep the recording, if any,
    and (with *settings*) tell the subscriber by SMS: the ticket is filed now.

    Returns None when the call has no ticket awaiting a description (a repeated callback).
    """
    ticket = session.scalar(of_call(call.id).where(Ticket.description == "awaiting").limit(1))
    if ticket is None:
        return None
    ticket.description = "recorded" if recording_url else "none"
    ticket.recording_url, ticket.recording_duration_s = recording_url, duration_s
    _event(ticket, "described", "caller", now, recorded=bool(recording_url), duration_s=duration_s)
    if settings is not None:
        _notify_filed(session, settings, ticket, now)
    return ticket


# -- life cycle --------------------------------------------------------------------------


def _check_transition(ticket: Ticket, status: TicketStatus) -> None:
    if status not in TRANSITIONS[ticket.status]:
        raise StatusNotAllowed(f"a {ticket.status} ticket cannot become {status}")


def set_status(
    session: Session,
    number: str,
    status: TicketStatus,
    *,
    actor: str,
    now: dt.datetime,
    note: str = "",
) -> Ticket:
    """Move a ticket along its life cycle."""
    ticket = session.scalar(Ticket.by_number(number).with_for_update())
    if ticket is None or ticket.number != number:
        raise UnknownTicket(f"no ticket {number}")
    _check_transition(ticket, status)
    previous, ticket.status = ticket.status, status
    if status == TicketStatus.ANSWERED:
        ticket.answered_at = now
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
    _event(ticket, "status", actor, now, previous=previous, status=status, note=note)
    return ticket


def escalation_due(ticket: Ticket, now: dt.datetime) -> int:
    """The escalation level an unresolved ticket should have at *now*."""
    if ticket.status not in UNRESOLVED:
        return ticket.escalation_level
    if now >= ticket.due_at:
        return OVERDUE
    if now >= ticket.warn_at:
        return DUE_SOON
    return 0


def escalate(session: Session, now: dt.datetime) -> list[Ticket]:
    """Escalate every unresolved ticket whose deadline nears or has passed (idempotent).

    Run it every few minutes (``ivr tickets escalate``); several runs at once skip each
    other's rows.
    """
    due = session.scalars(
        sa.select(Ticket)
        .where(
            Ticket.status.in_(UNRESOLVED),
            FILED_ONLY,
            Ticket.warn_at <= now,
            Ticket.escalation_level < OVERDUE,
        )
        .order_by(Ticket.due_at)
        .with_for_update(skip_locked=True)
    ).all()
    escalated = []
    for ticket in due:
        level = escalation_due(ticket, now)
        if level <= ticket.escalation_level:
            continue
        ticket.escalation_level, ticket.escalated_at = level, now
        _event(ticket, "escalated", "system", now, level=ESCALATION_NAMES[level])
        log_event(
            logger,
            "ticket.escalated",
            logging.WARNING,
            ticket=ticket.number,
            escalation=ESCALATION_NAMES[level],
            queue=ticket.queue,
            due_at=ticket.due_at.isoformat(),
        )
        escalated.append(ticket)
    return escalated
