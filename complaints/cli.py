"""`ivr tickets`: complaint tickets for operators and supervisors, and the escalation job."""

from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa
from sqlalchemy.orm import Session

from complaints import tickets
from ivr.clock import local_datetime
from ivr.db import transaction
from ivr.services import command_core


def _local(at: dt.datetime | None) -> str:
    return "-" if at is None else f"{local_datetime(at):%Y-%m-%d %H:%M}"


def _left(ticket: tickets.Ticket, now: dt.datetime) -> str:
    if ticket.status not in tickets.UNRESOLVED:
        return ""
    minutes = int((ticket.due_at - now).total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return f"{'OVERDUE by' if minutes < 0 else 'due in'} {hours}h{rest:02d}m"


def _line(ticket: tickets.Ticket, now: dt.datetime) -> str:
    return (
        f"{ticket.number} {ticket.subscriber.msisdn} {ticket.category:<20} {ticket.queue:<8} "
        f"[{ticket.status}] due {_local(ticket.due_at)} (Asia/Shanghai) {_left(ticket, now)}"
        f"  escalation: {tickets.ESCALATION_NAMES[ticket.escalation_level]}"
    )


@click.group("tickets")
def tickets_group() -> None:
    """Complaint tickets: list, show, change status, escalate."""


@tickets_group.command("list")
@click.option("--overdue", is_flag=True, help="Only unresolved tickets past their deadline.")
@click.option(
    "--status", type=click.Choice([s.value for s in tickets.STATUSES]), help="Only this status."
)
@click.option("--limit", default=50, show_default=True)
def list_tickets(overdue: bool, status: str | None, limit: int) -> None:
    """Unresolved tickets by deadline (times in Asia/Shanghai)."""
    hotline = command_core()
    now = hotline.clock.now()
    query = tickets.overdue(now) if overdue else tickets.listing(status)
    with hotline.sessions() as session:
        rows = session.scalars(query.limit(limit)).all()
        if not rows:
            click.echo("no overdue tickets" if overdue else "no tickets")
        for ticket in rows:
            click.echo(_line(ticket, now))


@tickets_group.command("show")
@click.argument("number")
def show_ticket(number: str) -> None:
    """One ticket and its history."""
    hotline = command_core()
    with hotline.sessions() as session:
        ticket = session.scalar(tickets.Ticket.by_number(number))
        if ticket is None or ticket.number != number:
            raise click.ClickException(f"no ticket {number}")
        click.echo(_line(ticket, hotline.clock.now()))
        click.echo(f"  opened {_local(ticket.opened_at)}  language {ticket.language}")
        click.echo(f"  description: {ticket.description} {ticket.recording_url or ''}".rstrip())
        if ticket.resolution:
            click.echo(f"  resolution: {ticket.resolution}")
        for event in ticket.events:
            click.echo(f"  {_local(event.at)} {event.kind:<14} {event.actor:<8} {event.detail}")


@tickets_group.command("set-status")
@click.argument("number")
@click.argument("status", type=click.Choice([s.value for s in tickets.STATUSES[1:]]))
@click.option("--note", default="", help="What was done, for the ticket's history.")
@click.option("--by", "actor", default="operator", show_default=True)
def set_status(number: str, status: str, note: str, actor: str) -> None:
    """Move a ticket to in_progress, answered or closed."""
    try:
        hotline = command_core()
        with transaction(hotline.sessions) as session:
            ticket = tickets.set_status(
                session,
                number,
                tickets.TicketStatus(status),
                actor=actor[:32],
                now=hotline.clock.now(),
                note=note,
            )
            click.echo(f"{ticket.number} is now {ticket.status}")
    except tickets.TicketError as error:
        raise click.ClickException(str(error)) from error


@tickets_group.command("escalate")
def escalate() -> None:
    """Escalate tickets whose deadline nears or has passed (run every few minutes)."""
    hotline = command_core()
    now = hotline.clock.now()
    with transaction(hotline.sessions) as session:
        escalated = tickets.escalate(session, now)
        for ticket in escalated:
            click.echo(f"escalated {_line(ticket, now)}")
        click.echo(f"{len(escalated)} ticket(s) escalated; {_count_overdue(session, now)} overdue")


def _count_overdue(session: Session, now: dt.datetime) -> int:
    query = tickets.overdue(now).with_only_columns(sa.func.count()).order_by(None)
    return int(session.scalar(query) or 0)
