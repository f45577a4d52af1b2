"""Who a call has proved to be, and a password change in progress: per call, in the database.

A caller not calling from a subscriber's phone (or asking about another number) enters the
subscriber number and its service password; once verified, the call is about that
subscriber for the rest of the call, whichever app process answers its next webhook.
A password change in progress keeps the first entry of the new password here as a hash
until the caller confirms it, never the digits themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from accounts import passwords
from accounts.settings import AccountSettings
from ivr.db import Base
from ivr.models import Call, CallQuery, Subscriber
from sms_followup import call_summary

#: Where a verified caller goes when whoever sent them did not say: the service they dialed.
_ENTRY_TARGETS = {"balance": "balance", "usage": "usage", "bill": "bill", "password": "password"}
QUERIES = "queries"
NEW_PASSWORD = "password.new"


class CallAuth(Base):
    """Verification and password-change progress of one call."""

    __tablename__ = "call_auth"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), unique=True)
    #: The number being verified (entered, its password not yet).
    target_subscriber_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subscribers.id"))
    verified_subscriber_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subscribers.id"))
    verified_at: Mapped[dt.datetime | None] = mapped_column()
    #: Where the call goes once verified, or once a forced password change is done.
    next_state: Mapped[str | None] = mapped_column(sa.String(32))
    #: The subscriber whose password this call has proved, and so may change.
    may_change_subscriber_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subscribers.id"))
    new_password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    new_password_expires_at: Mapped[dt.datetime | None] = mapped_column()


def progress(session: Session, call: Call) -> CallAuth:
    """The call's row, created on first use (the engine holds the call's row locked)."""
    auth = session.scalar(sa.select(CallAuth).where(CallAuth.call_id == call.id))
    if auth is None:
        auth = CallAuth(call_id=call.id)
        session.add(auth)
    return auth


def default_target(call: Call) -> str:
    """The service a caller dialed directly, or the queries menu from the hotline."""
    return _ENTRY_TARGETS.get(call.entry, QUERIES)


def start(session: Session, call: Call, then: str) -> None:
    """The caller is about to enter a number and its password; afterwards go to *then*."""
    auth = progress(session, call)
    auth.target_subscriber_id, auth.next_state = None, then


def choose_target(session: Session, call: Call, subscriber: Subscriber) -> None:
    progress(session, call).target_subscriber_id = subscriber.id


def target(session: Session, call: Call) -> Subscriber | None:
    auth = progress(session, call)
    if auth.target_subscriber_id is None:
        return None
    return session.get(Subscriber, auth.target_subscriber_id)


@dataclass(frozen=True)
class Verified:
    subscriber: Subscriber
    #: A temporary password was used: a new one must be set before anything else.
    must_change: bool
    next_state: str


def verify(
    session: Session, call: Call, entered: str, *, settings: AccountSettings, now: dt.datetime
) -> Verified:
    """Check *entered* against the target number's password (same lockout and limits).

    On success the call is about that subscriber from now on. Raises a
    :class:`~accounts.passwords.PasswordError` otherwise.
    """
    auth = progress(session, call)
    subscriber = target(session, call)
    if subscriber is None:
        raise ValueError("no number to verify")
    accepted = passwords.check(
        session,
        subscriber,
        entered,
        from_number=call.from_number,
        call_id=call.id,
        settings=settings,
        now=now,
    )
    auth.verified_subscriber_id, auth.verified_at = subscriber.id, now
    auth.may_change_subscriber_id = subscriber.id
    next_state = auth.next_state or default_target(call)
    if accepted.temporary:
        auth.next_state = None if next_state == NEW_PASSWORD else next_state
    else:
        auth.next_state = None
    _switch_subscriber(session, call, subscriber, now)
    must_change = accepted.temporary
    return Verified(subscriber, must_change, NEW_PASSWORD if must_change else next_state)


def _switch_subscriber(
    session: Session, call: Call, subscriber: Subscriber, now: dt.datetime
) -> None:
    """The call is about *subscriber* now. What was queried for another subscriber earlier
    in the call goes to that subscriber's phone, and only there: its summary SMS is
    released as it is, and the queries behind it leave the call's next summary."""
    if call.subscriber_id is not None and call.subscriber_id != subscriber.id and call.queries:
        call_summary.send_apart(session, call.id, now)
        session.execute(sa.delete(CallQuery).where(CallQuery.call_id == call.id))
        session.expire(call, ["queries"])
    call.subscriber = subscriber


def allow_change(session: Session, call: Call, subscriber: Subscriber) -> None:
    """The caller proved *subscriber*'s current password in this call (and goes nowhere
    else afterwards)."""
    auth = progress(session, call)
    auth.may_change_subscriber_id, auth.next_state = subscriber.id, None


def may_change(session: Session, call: Call) -> bool:
    auth = progress(session, call)
    return call.subscriber_id is not None and auth.may_change_subscriber_id == call.subscriber_id


def hold_new_password(
    session: Session, call: Call, new_password: str, *, settings: AccountSettings, now: dt.datetime
) -> None:
    """Keep the first entry of the new password (hashed) until the caller confirms it."""
    auth = progress(session, call)
    policy = passwords.PasswordPolicy.from_settings(settings)
    auth.new_password_hash = passwords.hash_password(new_password)
    auth.new_password_expires_at = now + policy.confirm_within


def confirms(session: Session, call: Call, entry: str, now: dt.datetime) -> bool | None:
    """Whether *entry* repeats the held new password; None when there is none (any more).

    Either way the held entry is spent.
    """
    auth = progress(session, call)
    held, expires = auth.new_password_hash, auth.new_password_expires_at
    auth.new_password_hash = auth.new_password_expires_at = None
    if held is None or expires is None or now >= expires:
        return None
    return passwords.matches(held, entry)


def finish_change(session: Session, call: Call) -> str | None:
    """The password was changed: the proof is spent. Where the call was headed, if anywhere."""
    auth = progress(session, call)
    next_state, auth.next_state = auth.next_state, None
    auth.may_change_subscriber_id = None
    return next_state
