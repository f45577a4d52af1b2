"""A caller proves a subscriber number with its service password, then uses its services.

Offered to callers not calling from a subscriber's phone (the unknown-caller menu, the
password and complaint services) and to anyone asking for another number (services
menu 2). The same lockout and rate limits apply as to any password entry.
"""

from __future__ import annotations

from accounts import passwords, verification
from accounts.settings import AccountSettings
from flows.digit_entry import DigitEntry
from flows.password import refused
from ivr.flow import CallContext, Goto, State
from ivr.models import Subscriber
from ivr.reply import Line, Reply


class StartingVerification(State):
    """Verify a number, then go on to the service the caller dialed (or the queries menu)."""

    name = "verify"
    parent = "main"

    def enter(self, ctx: CallContext) -> Goto:
        verification.start(ctx.session, ctx.call, then=verification.default_target(ctx.call))
        return Goto("verify.number")


class EnteringSubscriberNumber(DigitEntry):
    name = "verify.number"
    parent = "main"
    prompt_key = "verify.enter_number"
    length = 11

    def entered(self, ctx: CallContext, digits: str) -> Reply | Goto:
        subscriber = ctx.session.scalar(Subscriber.by_msisdn(digits))
        if subscriber is None:
            ctx.event("verification.unknown_number")
            return self.prompt(ctx).after(Line("verify.not_subscriber"))
        verification.choose_target(ctx.session, ctx.call, subscriber)
        ctx.event("verification.number_entered", subscriber_id=subscriber.id)
        return Goto("verify.password")


class EnteringServicePassword(DigitEntry):
    name = "verify.password"
    parent = "main"
    prompt_key = "verify.enter_password"
    length = passwords.LENGTH

    def enter(self, ctx: CallContext) -> Reply | Goto:
        if verification.target(ctx.session, ctx.call) is None:
            return Goto("verify.number")
        return self.prompt(ctx)

    def entered(self, ctx: CallContext, digits: str) -> Reply | Goto:
        if verification.target(ctx.session, ctx.call) is None:
            return Goto("verify.number")
        try:
            verified = verification.verify(
                ctx.session,
                ctx.call,
                digits,
                settings=AccountSettings.of(ctx.settings),
                now=ctx.now,
            )
        except passwords.PasswordError as error:
            return refused(ctx, error, self)
        ctx.event(
            "verification.succeeded",
            subscriber_id=verified.subscriber.id,
            temporary=verified.must_change,
        )
        # Where the results go is said once, with them (a report, a complaint's ticket): the
        # number the caller has just keyed in is not read back twice in a few seconds.
        preface: tuple[Line, ...] = (Line("verify.succeeded"),)
        if verified.must_change:
            preface += (Line("password.temporary_required"),)
        return Goto(verified.next_state, preface=preface)
