"""Main menu 3: faults and complaints. A ticket with a time limit, a number and an SMS.

The caller hears the status of a ticket still open first, chooses a category by key or by
voice, records a short description, and hears the ticket number and the deadline.
Payment made but the line not reopened is checked against the line first: an amount still
due is told, an open line is said to be open, and a suspended line in credit is put right at
once when the account allows it, or else filed as urgent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import ClassVar

from accounts import verification
from complaints import tickets
from complaints.recordings import ADDED, ADDING, RECORDING
from ivr.clock import local_datetime
from ivr.flow import CallContext, Goto, Menu, State
from ivr.intents import Heard
from ivr.reply import Line, Listen, Record, Reply
from ivr.twiml import COMPLAINT_RECORDING_URL
from prompts import spoken
from sms_followup.settings import SmsSettings

RECORDING_MAX_S = 60
EMPTY_RECORDINGS = 2
"""Empty recordings after which a complaint is not filed (the first is asked again)."""
FILED = "complaint.filed"
ADD_OFFER = "complaint.add_offer"
_RECORD_AFTER_THE_BEEP = Reply(
    (Line("complaint.record"),),
    Record(max_length=RECORDING_MAX_S, action=COMPLAINT_RECORDING_URL),
)
"""What a caller hears before describing a complaint, new or added to an open ticket."""
_SPOKEN_CATEGORIES: Mapping[str, str] = {
    "complaint_reopen": "payment_not_reopened",
    "complaint_suspension": "abnormal_suspension",
    "complaint_network": "network",
    "complaint_billing": "billing",
    "complaint_other": "other",
}


def _deadline(at: dt.datetime, language: str) -> str:
    """A deadline to the minute (never later than the real one), in Shanghai time."""
    return spoken.date_time(local_datetime(at.replace(second=0, microsecond=0)), language)


def _number(ticket: tickets.Ticket, language: str) -> str:
    return spoken.phone_number(ticket.number, language)  # read digit by digit


def _sms_after(ctx: CallContext, ticket: tickets.Ticket) -> Line:
    """Where the SMS goes: the caller's phone, or (a caller who verified another number)
    that number, said so."""
    if ctx.on_own_phone:
        return Line("complaint.sms_after")
    number = spoken.phone_number(ticket.subscriber.msisdn, ctx.language)
    return Line("complaint.sms_to_number", {"number": number})


def ticket_status(ticket: tickets.Ticket, ctx: CallContext) -> Line:
    """Where a ticket the caller already has stands."""
    number = _number(ticket, ctx.language)
    if ticket.overdue(ctx.now):
        return Line("complaint.existing.overdue", {"number": number})
    if ticket.status == "answered":
        return Line("complaint.existing.answered", {"number": number})
    deadline = _deadline(ticket.due_at, ctx.language)
    return Line(f"complaint.existing.{ticket.status}", {"number": number, "deadline": deadline})


class Complaints(State):
    """Main menu 3. A known subscriber (own phone or verified) hears an open ticket first."""

    name = "complaints"
    parent = "main"

    def enter(self, ctx: CallContext) -> Goto:
        subscriber = ctx.subscriber
        if subscriber is None:
            verification.start(ctx.session, ctx.call, then=self.name)
            return Goto("verify.number")
        latest = ctx.session.scalar(tickets.unresolved_for(subscriber.id).limit(1))
        preface = () if latest is None else (ticket_status(latest, ctx),)
        if latest is not None:
            ctx.event("ticket.status_told", ticket=latest.number, status=latest.status)
        return Goto("complaint.category", preface=preface)


class ChoosingComplaintCategory(Menu):
    name = "complaint.category"
    parent = "main"
    prompt_key = "menu.complaint"
    options: ClassVar[Mapping[str, str]] = {
        "1": "complaint.payment_not_reopened",
        "2": "complaint.abnormal_suspension",
        "3": "complaint.network",
        "4": "complaint.billing",
        "5": "complaint.other",
    }

    def hear(self, ctx: CallContext, heard: Heard) -> Goto | None:
        category = _SPOKEN_CATEGORIES.get(heard.intent)
        return Goto(f"complaint.{category}") if category else None


class FilingComplaint(State):
    """Open the ticket of one category (urgent: 4 hours, else 48) and tell the owner by SMS."""

    parent = "complaint.category"

    def __init__(self, category: str) -> None:
        self.category = category
        self.name = f"complaint.{category}"

    def enter(self, ctx: CallContext) -> Goto:
        subscriber = ctx.subscriber
        if subscriber is None:
            return Goto("complaints")
        if self.category == tickets.PAYMENT_NOT_REOPENED:
            checked = tickets.nothing_to_reopen(subscriber)
            if checked is not None:
                ctx.event("complaint.not_needed", category=self.category, reason=checked)
                return Goto("complaint.category", preface=_nothing_to_reopen(ctx, checked))
        same = ctx.session.scalar(tickets.open_of_category(subscriber.id, self.category))
        if same is not None and same.call_id != ctx.call.id:
            # The same complaint is already open: add to it rather than file it twice.
            ctx.event(tickets.ADDITION_OFFERED, ticket=same.number, category=self.category)
            return Goto(ADD_OFFER, preface=(ticket_status(same, ctx),))
        filed = tickets.file_complaint(
            ctx.session,
            subscriber,
            self.category,
            call=ctx.call,
            language=ctx.language,
            settings=SmsSettings.of(ctx.settings),
            now=ctx.now,
        )
        ticket = filed.ticket
        ctx.event(
            "ticket.opened", ticket=ticket.number, category=ticket.category, queue=ticket.queue
        )
        if filed.line_reopened:
            ctx.event("line.reopened", ticket=ticket.number)
            return Goto(FILED)
        return Goto("complaint.recording")


def _nothing_to_reopen(ctx: CallContext, reason: str) -> tuple[Line, ...]:
    """What the line shows instead of a ticket: the amount still due, or an open line."""
    if reason == tickets.IN_ARREARS:
        subscriber = ctx.subscriber
        assert subscriber is not None
        owed = spoken.money(-subscriber.account.balance_fen, ctx.language)
        return Line("complaint.still_in_arrears", {"amount": owed}), Line("payment.how")
    return (Line("complaint.line_open"),)


class RecordingComplaint(State):
    """A short description after the beep; the recording webhook brings the call back.

    Nothing recorded (``#`` at once, or silence) is no complaint: the webhook counts it as a
    strike; the caller is asked once more, and after a second empty recording the draft is
    withdrawn and nothing is filed.
    """

    name = RECORDING
    parent = "complaint.category"

    def enter(self, ctx: CallContext) -> Reply | Goto:
        ticket = ctx.session.scalar(tickets.of_call(ctx.call.id).limit(1))
        if ticket is None:
            return Goto("complaints")
        if ticket.description != "awaiting":
            return Goto(FILED)
        if ctx.call.strikes == 0:
            return self.prompt(ctx)
        ctx.event("complaint.nothing_recorded", ticket=ticket.number, strikes=ctx.call.strikes)
        if ctx.call.strikes < EMPTY_RECORDINGS:
            return self.prompt(ctx).after(Line("complaint.nothing_recorded"))
        tickets.withdraw_draft(ctx.session, ctx.call, ctx.now)
        return Goto("complaint.category", preface=(Line("complaint.not_filed"),))

    def prompt(self, ctx: CallContext) -> Reply:
        return _RECORD_AFTER_THE_BEEP


class OfferingAddition(State):
    """An open ticket of the same kind: 1 adds a description to it, 9 the main menu."""

    name = ADD_OFFER
    parent = "complaint.category"

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("complaint.add_offer"),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        if key == "1":
            return Goto(ADDING)
        return Goto("main") if key == "9" else None


class RecordingAddition(State):
    """The addition after the beep; the recording webhook adds it to the open ticket."""

    name = ADDING
    parent = ADD_OFFER

    def prompt(self, ctx: CallContext) -> Reply:
        return _RECORD_AFTER_THE_BEEP


class AdditionTaken(State):
    """The addition is with the open ticket: its number, then 9 for the main menu."""

    name = ADDED
    parent = "main"

    def enter(self, ctx: CallContext) -> Reply | Goto:
        ticket = tickets.offered_addition(ctx.session, ctx.call)
        if ticket is None:
            return Goto("complaints")
        number = _number(ticket, ctx.language)
        hotline = spoken.phone_number(tickets.SUPERVISION_HOTLINE, ctx.language)
        return self.prompt(ctx).after(
            Line("complaint.added", {"number": number}),
            Line("complaint.supervision", {"hotline": hotline}),
        )

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("menu.after_complaint"),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        return Goto("main") if key == "9" else None


class ComplaintFiled(State):
    """The ticket number and the deadline (or the reopened line), repeated with #."""

    name = FILED
    parent = "main"

    def enter(self, ctx: CallContext) -> Reply | Goto:
        ticket = ctx.session.scalar(tickets.of_call(ctx.call.id).limit(1))
        if ticket is None:
            return Goto("complaints")
        number = _number(ticket, ctx.language)
        hotline = spoken.phone_number(tickets.SUPERVISION_HOTLINE, ctx.language)
        lines: tuple[Line, ...]
        if ticket.resolution == "line_reopened":
            lines = (Line("complaint.line_reopened", {"number": number}),)
        else:
            lines = (
                Line(
                    "complaint.filed",
                    {
                        "number": number,
                        "hours": spoken.hours(ticket.hours, ctx.language),
                        "deadline": _deadline(ticket.due_at, ctx.language),
                    },
                ),
                _sms_after(ctx, ticket),
            )
        lines += (Line("complaint.supervision", {"hotline": hotline}),)
        return self.prompt(ctx).after(*lines)

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("menu.after_complaint"),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        return Goto("main") if key == "9" else None


def complaint_states() -> list[State]:
    return [
        Complaints(),
        ChoosingComplaintCategory(),
        *(FilingComplaint(category) for category in tickets.CATEGORIES),
        RecordingComplaint(),
        OfferingAddition(),
        RecordingAddition(),
        AdditionTaken(),
        ComplaintFiled(),
    ]
