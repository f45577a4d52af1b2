"""1001015 and main menu 2: the service password. Change it, or get a temporary one.

A change asks for the current password, then the new one twice; a caller who is not
calling from a subscriber's phone proves the number and its password first (see
:mod:`flows.verification`). A forgotten password gets a temporary one beside it, sent
by SMS, only when the call comes from the subscriber's own phone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import ClassVar

from accounts import passwords, verification
from accounts.settings import AccountSettings
from flows.digit_entry import DigitEntry
from ivr.clock import local_datetime
from ivr.flow import CallContext, Goto, Menu, State
from ivr.intents import Heard
from ivr.models import Subscriber
from ivr.reply import Line, Listen, Reply
from prompts import spoken

DONE = "service.done"


class ServicesMenu(Menu):
    """Main menu 2: the service password, another number's services, international
    roaming, or an agent."""

    name = "services"
    parent = "main"
    prompt_key = "menu.services"
    options: ClassVar[Mapping[str, str]] = {"1": "password", "2": "verify", "3": "roaming"}


class PasswordMenu(Menu):
    """1001015: change the service password (1) or replace a forgotten one (2)."""

    name = "password"
    parent = "services"
    prompt_key = "menu.password"
    options: ClassVar[Mapping[str, str]] = {"1": "password.change", "2": "password.forgot"}

    def hear(self, ctx: CallContext, heard: Heard) -> Goto | None:
        target = {"password_change": "1", "password_forgot": "2"}.get(heard.intent)
        return self.choose(ctx, target) if target else None


class FinishedService(State):
    """After a service: back to the main menu, an agent, or hang up."""

    name = DONE
    parent = "main"

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("menu.service_done"),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        return Goto("main") if key == "9" else None


def _moment(at: dt.datetime, language: str) -> str:
    """A time the caller may act again, in Shanghai time, to the minute its SMS says too."""
    return spoken.date_time(local_datetime(passwords.minute_up(at)), language)


def refusal(ctx: CallContext, error: passwords.PasswordError) -> Line:
    """Why password use is refused for now (locked, rate limited, no password...)."""
    if isinstance(error, passwords.PasswordLocked):
        key = "password.locked_now" if error.just_locked else "password.locked"
        return Line(key, {"unlock": _moment(error.until, ctx.language)})
    if isinstance(error, passwords.TooManyAttempts):
        until = _moment(error.until, ctx.language)
        return Line(f"password.rate_limited.{error.scope}", {"until": until})
    if isinstance(error, passwords.TooManyTemporaryPasswords):
        return Line("password.temporary_limit", {"until": _moment(error.until, ctx.language)})
    if isinstance(error, passwords.NotOwnNumber):
        return Line("password.own_phone_only")
    return Line("password.none")


def refused(ctx: CallContext, error: passwords.PasswordError, state: State) -> Reply | Goto:
    """A password entry refused: try again after a wrong one, else stop. Never the digits."""
    ctx.event("password.refused", error=error.id)
    if not isinstance(error, passwords.WrongPassword):
        return Goto(DONE, preface=(refusal(ctx, error),))
    if error.remaining == 1:
        wrong = Line("password.wrong_last")
    else:
        wrong = Line("password.wrong", {"remaining": spoken.integer(error.remaining, ctx.language)})
    return state.prompt(ctx).after(wrong)


class ChangingPassword(State):
    """Key 1: prove the current password first, from the caller's phone or by number."""

    name = "password.change"
    parent = "password"

    def enter(self, ctx: CallContext) -> Goto:
        if ctx.subscriber is None:
            verification.start(ctx.session, ctx.call, then=verification.NEW_PASSWORD)
            return Goto("verify.number")
        return Goto("password.current")


class EnteringCurrentPassword(DigitEntry):
    name = "password.current"
    parent = "password"
    prompt_key = "password.enter_current"
    length = passwords.LENGTH

    def enter(self, ctx: CallContext) -> Reply | Goto:
        return self.prompt(ctx) if ctx.subscriber else Goto("password.change")

    def entered(self, ctx: CallContext, digits: str) -> Reply | Goto:
        subscriber = ctx.subscriber
        if subscriber is None:
            return Goto("password.change")
        try:
            accepted = passwords.check(
                ctx.session,
                subscriber,
                digits,
                from_number=ctx.call.from_number,
                call_id=ctx.call.id,
                settings=AccountSettings.of(ctx.settings),
                now=ctx.now,
            )
        except passwords.PasswordError as error:
            return refused(ctx, error, self)
        ctx.event("password.accepted", temporary=accepted.temporary)
        verification.allow_change(ctx.session, ctx.call, subscriber)
        return Goto("password.new")


class NewPasswordEntry(DigitEntry):
    """A step of entering the new password: only once the current one was accepted."""

    parent = "password"
    length = passwords.LENGTH

    def enter(self, ctx: CallContext) -> Reply | Goto:
        if not verification.may_change(ctx.session, ctx.call):
            return Goto("password.change")
        return self.prompt(ctx)

    def entered(self, ctx: CallContext, digits: str) -> Reply | Goto:
        subscriber = ctx.subscriber
        if subscriber is None or not verification.may_change(ctx.session, ctx.call):
            return Goto("password.change")
        return self.new_password(ctx, subscriber, digits)

    def new_password(self, ctx: CallContext, subscriber: Subscriber, digits: str) -> Reply | Goto:
        raise NotImplementedError


class ChoosingNewPassword(NewPasswordEntry):
    """The new password, refused with the reason when it is easy to guess."""

    name = "password.new"
    prompt_key = "password.enter_new"

    def new_password(self, ctx: CallContext, subscriber: Subscriber, digits: str) -> Reply | Goto:
        try:
            passwords.check_strong(ctx.session, subscriber, digits)
        except passwords.WeakPassword as weak:
            ctx.event("password.refused", error=weak.id, reason=weak.reason)
            return self.prompt(ctx).after(Line(f"password.weak.{weak.reason}"))
        verification.hold_new_password(
            ctx.session, ctx.call, digits, settings=AccountSettings.of(ctx.settings), now=ctx.now
        )
        return Goto("password.confirm")


class ConfirmingNewPassword(NewPasswordEntry):
    """The new password again; on a match it replaces the old one."""

    name = "password.confirm"
    prompt_key = "password.enter_new_again"

    def new_password(self, ctx: CallContext, subscriber: Subscriber, digits: str) -> Reply | Goto:
        same = verification.confirms(ctx.session, ctx.call, digits, ctx.now)
        if same is None:
            ctx.event("password.refused", error="password.entry_expired")
            return Goto("password.new", preface=(Line("password.entry_expired"),))
        if not same:
            ctx.event("password.refused", error="password.mismatch")
            return Goto("password.new", preface=(Line("password.mismatch"),))
        try:
            passwords.change(
                ctx.session,
                subscriber,
                digits,
                from_number=ctx.call.from_number,
                call_id=ctx.call.id,
                settings=AccountSettings.of(ctx.settings),
                now=ctx.now,
            )
        except passwords.WeakPassword as weak:  # the password changed meanwhile
            return Goto("password.new", preface=(Line(f"password.weak.{weak.reason}"),))
        ctx.event("password.changed", subscriber_id=subscriber.id)
        after = verification.finish_change(ctx.session, ctx.call) or DONE
        return Goto(after, preface=(Line("password.changed"),))


class SendingTemporaryPassword(State):
    """Key 2, a forgotten password: a temporary one by SMS, to the caller's own phone only."""

    name = "password.forgot"
    parent = "password"

    def enter(self, ctx: CallContext) -> Goto:
        try:
            expires = passwords.issue_temporary(
                ctx.session,
                ctx.subscriber,
                from_number=ctx.call.from_number,
                language=ctx.language,
                call_id=ctx.call.id,
                settings=AccountSettings.of(ctx.settings),
                now=ctx.now,
            )
        except passwords.PasswordError as error:
            ctx.event("password.refused", error=error.id)
            return Goto(DONE, preface=(refusal(ctx, error),))
        ctx.event("password.temporary_sent")
        minutes = int((expires - ctx.now).total_seconds() // 60)
        sent = Line("password.temporary_sent", {"minutes": spoken.integer(minutes, ctx.language)})
        return Goto(DONE, preface=(sent,))
