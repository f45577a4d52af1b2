"""Service passwords (服务密码): slow salted hashes, weak-password rules, lockout, rate limits.

The six-digit service password proves that a caller may use an account: to change the
password, or to use the query services for a number they are not calling from. It is
stored only as a scrypt hash. It is never logged, spoken, or written to a call event or an
SMS, with one exception: the temporary password, which is sent to the owner's own phone.
A temporary password is kept beside the current one, which still works, until it is used
once or expires (``PasswordPolicy.temporary_valid``): asking for one, from the owner's
phone or from a phone the owner lost, locks nobody out of the password they know.

Guessing is held back three ways:

* three wrong entries in a row from the subscriber's own phone lock the password for
  ``AccountSettings.password_lockout_s`` (24 h); the owner is told by SMS. Entries from other
  numbers never count toward this lock, so that nobody can lock anyone else out;
* one calling number may enter only a few wrong passwords an hour, across all accounts
  (one phone trying a common password on many accounts);
* other numbers together may enter only a few wrong passwords a week against an account's
  current password (many phones, each waiting out its own limit); this holds back those
  numbers only, never the owner's phone.

Every service here follows load → check (``_check_*``, raising a :class:`PasswordError`)
→ act, in the caller's transaction; SMS notices go to the outbox in that transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from accounts.settings import AccountSettings
from ivr import numbers
from ivr.clock import local_datetime, stamp
from ivr.db import Base
from ivr.models import Subscriber
from prompts import spoken
from sms_followup import outbox
from sms_followup.templates import text as sms_text

LENGTH = 6
DEMO_PASSWORD = "135790"
_SIX_DIGITS = re.compile(r"[0-9]{6}")
#: The stored hash of a subscriber who never had a password of their own, only temporary
#: ones: no entry matches it (:func:`matches` refuses it as malformed).
UNUSABLE = "!"

# scrypt cost: about 50 ms and 16 MB per hash on one core; stored with each hash so that
# it can be raised later without invalidating existing passwords.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2**14, 8, 1, 32


# -- models ------------------------------------------------------------------------------


class ServicePassword(Base):
    """A subscriber's service password, as a hash, with its lockout state."""

    __tablename__ = "service_passwords"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    #: A temporary password sent by SMS, valid beside the current one until it is used once
    #: or ``temporary_expires_at`` passes; whoever uses it must set a new password.
    temporary_hash: Mapped[str | None] = mapped_column(sa.String(200))
    temporary_expires_at: Mapped[dt.datetime | None] = mapped_column()
    changed_at: Mapped[dt.datetime] = mapped_column(default=stamp)
    #: Wrong entries in a row since the last right one, unlock or change.
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column()

    subscriber: Mapped[Subscriber] = relationship()

    @classmethod
    def of(cls, subscriber: Subscriber) -> sa.Select[tuple[ServicePassword]]:
        return sa.select(cls).where(cls.subscriber_id == subscriber.id)


class PasswordEvent(Base):
    """What happened to a service password, for rate limits and audit (never the digits).

    ``kind``: failed, succeeded, locked, changed, temporary.
    """

    __tablename__ = "password_events"
    __table_args__ = (
        sa.Index("ix_password_events_subscriber", "subscriber_id", "kind", "at"),
        sa.Index("ix_password_events_from_number", "from_number", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[dt.datetime] = mapped_column(default=stamp)
    from_number: Mapped[str] = mapped_column(sa.String(32))
    call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("calls.id"))


# -- policy and errors -------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordPolicy:
    max_failures: int = 3
    lockout: dt.timedelta = dt.timedelta(hours=24)
    per_number_failures: int = 5
    per_number_window: dt.timedelta = dt.timedelta(hours=1)
    per_account_failures: int = 5
    per_account_window: dt.timedelta = dt.timedelta(days=7)
    temporary_per_day: int = 3
    #: How long a temporary password may be used (said in its SMS and by voice).
    temporary_valid: dt.timedelta = dt.timedelta(minutes=15)
    #: How long the first entry of a new password waits for its confirmation.
    confirm_within: dt.timedelta = dt.timedelta(minutes=5)

    @classmethod
    def from_settings(cls, settings: AccountSettings) -> PasswordPolicy:
        return cls(lockout=dt.timedelta(seconds=settings.password_lockout_s))


class PasswordError(Exception):
    """A password step that cannot go ahead. ``id`` is stable: events and logs use it."""

    id: ClassVar[str]


class NoServicePassword(PasswordError):
    id = "password.none"


class WrongPassword(PasswordError):
    id = "password.wrong"

    def __init__(self, remaining: int) -> None:
        super().__init__(f"{remaining} entries left before the lockout")
        self.remaining = remaining


class PasswordLocked(PasswordError):
    id = "password.locked"

    def __init__(self, until: dt.datetime, just_locked: bool = False) -> None:
        super().__init__(f"locked until {until:%Y-%m-%d %H:%M} UTC")
        self.until, self.just_locked = until, just_locked


class TooManyAttempts(PasswordError):
    """Rate limited: by the calling ``number`` or on the target ``account``."""

    id = "password.rate_limited"

    def __init__(self, scope: str, until: dt.datetime) -> None:
        super().__init__(f"too many wrong entries for this {scope}")
        self.scope, self.until = scope, until


class WeakPassword(PasswordError):
    """reason: same_digit, sequence, phone_number, repeated, birthday, same_as_current."""

    id = "password.weak"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotOwnNumber(PasswordError):
    """A forgotten password is only sent when the call comes from the subscriber's phone."""

    id = "password.not_own_number"


class TooManyTemporaryPasswords(PasswordError):
    id = "password.temporary_limit"

    def __init__(self, until: dt.datetime) -> None:
        super().__init__("temporary password already sent too often")
        self.until = until


# -- hashing -----------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A slow salted hash: ``scrypt$n$r$p$salt$digest`` (base64)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_SCRYPT_LEN
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def matches(stored: str, password: str) -> bool:
    """Whether *password* hashes to *stored*, compared in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


def well_formed(entry: str) -> bool:
    """Six ASCII digits."""
    return _SIX_DIGITS.fullmatch(entry) is not None


# -- weak passwords ----------------------------------------------------------------------


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _birthday_like(password: str) -> bool:
    """YYMMDD or MMDDYY dates (any year), or a YYYYMM month from 1940 to 2039."""
    a, b, c = int(password[:2]), int(password[2:4]), int(password[4:])
    yyyymm = int(password[:4]), int(password[4:])
    # 2000 is a leap year: Feb 29 counts whatever the two-digit year.
    return (
        _is_date(2000, b, c)
        or _is_date(2000, a, b)
        or (1940 <= yyyymm[0] <= 2039 and 1 <= yyyymm[1] <= 12)
    )


def weakness(password: str, msisdn: str) -> str | None:
    """Why *password* is too easy to guess for the owner of *msisdn*, or None."""
    steps = {int(b) - int(a) for a, b in itertools.pairwise(password)}
    if len(set(password)) == 1:
        return "same_digit"
    if steps in ({1}, {-1}):
        return "sequence"
    if msisdn[-LENGTH:] == password:
        return "phone_number"
    if password[:2] * 3 == password or password[:3] * 2 == password:
        return "repeated"
    if _birthday_like(password):
        return "birthday"
    return None


# -- services ----------------------------------------------------------------------------


def _national(number: str) -> str:
    try:
        return numbers.normalize(number)
    except numbers.InvalidNumber:
        return number[:32]


def _log(
    session: Session,
    subscriber: Subscriber,
    kind: str,
    from_number: str,
    call_id: int | None,
    now: dt.datetime,
) -> None:
    session.add(
        PasswordEvent(
            subscriber_id=subscriber.id,
            kind=kind,
            at=now,
            from_number=_national(from_number),
            call_id=call_id,
        )
    )


def _notify(
    session: Session,
    settings: AccountSettings,
    subscriber: Subscriber,
    kind: str,
    language: str,
    body: str,
    now: dt.datetime,
) -> None:
    outbox.enqueue(
        session,
        settings,
        kind=kind,
        to=subscriber.msisdn,
        body=body,
        language=language,
        now=now,
    )


def _written(at: dt.datetime, language: str) -> str:
    return spoken.written_date_time(local_datetime(at), language)


def minute_up(at: dt.datetime) -> dt.datetime:
    """*at* rounded up to the whole minute: a time the caller may try again from, told alike
    by voice and by SMS, and never a minute at which the password is still refused."""
    rounded = at.replace(second=0, microsecond=0)
    return rounded if rounded == at else rounded + dt.timedelta(minutes=1)


def _recent(
    session: Session, where: Iterable[sa.ColumnElement[bool]], since: dt.datetime
) -> list[dt.datetime]:
    """Times of matching password events since *since*, newest first."""
    return list(
        session.scalars(
            sa.select(PasswordEvent.at)
            .where(*where, PasswordEvent.at > since)
            .order_by(PasswordEvent.at.desc())
        )
    )


def _limit_reached(
    times: list[dt.datetime], limit: int, window: dt.timedelta
) -> dt.datetime | None:
    """When the limit stops applying, if *times* (newest first) have reached *limit*."""
    return times[limit - 1] + window if len(times) >= limit else None


def _load(session: Session, subscriber: Subscriber) -> ServicePassword:
    record = session.scalar(ServicePassword.of(subscriber).with_for_update())
    if record is None:
        raise NoServicePassword()
    return record


def _check_number_not_rate_limited(
    session: Session, from_number: str, policy: PasswordPolicy, now: dt.datetime
) -> None:
    failures = _recent(
        session,
        (PasswordEvent.from_number == _national(from_number), PasswordEvent.kind == "failed"),
        now - policy.per_number_window,
    )
    until = _limit_reached(failures, policy.per_number_failures, policy.per_number_window)
    if until is not None:
        raise TooManyAttempts("number", until)


def _check_not_locked(record: ServicePassword, now: dt.datetime) -> None:
    if record.locked_until is None:
        return
    if now < record.locked_until:
        raise PasswordLocked(record.locked_until)
    record.locked_until, record.failures = None, 0  # the lockout is over


def _stranger_failures(
    session: Session, record: ServicePassword, owner: Subscriber, since: dt.datetime
) -> list[dt.datetime]:
    """Wrong entries against the current password from numbers other than the owner's."""
    return _recent(
        session,
        (
            PasswordEvent.subscriber_id == record.subscriber_id,
            PasswordEvent.kind == "failed",
            PasswordEvent.from_number != owner.msisdn,
        ),
        max(since, record.changed_at),
    )


def _check_account_not_rate_limited(
    session: Session,
    record: ServicePassword,
    owner: Subscriber,
    policy: PasswordPolicy,
    now: dt.datetime,
) -> None:
    """Wrong entries against the current password from other numbers, within the window."""
    failures = _stranger_failures(session, record, owner, now - policy.per_account_window)
    until = _limit_reached(failures, policy.per_account_failures, policy.per_account_window)
    if until is not None:
        raise TooManyAttempts("account", until)


def _stranger_wrong(
    session: Session,
    record: ServicePassword,
    owner: Subscriber,
    from_number: str,
    policy: PasswordPolicy,
    now: dt.datetime,
) -> PasswordError:
    """A wrong entry from another number: it counts toward that number's limit and the
    other numbers' limit on this account, never toward the owner's lock."""
    session.flush()
    _check_number_not_rate_limited(session, from_number, policy, now)
    _check_account_not_rate_limited(session, record, owner, policy, now)
    by_number = _recent(
        session,
        (PasswordEvent.from_number == _national(from_number), PasswordEvent.kind == "failed"),
        now - policy.per_number_window,
    )
    by_others = _stranger_failures(session, record, owner, now - policy.per_account_window)
    return WrongPassword(
        min(
            policy.per_number_failures - len(by_number),
            policy.per_account_failures - len(by_others),
        )
    )


@dataclass(frozen=True)
class Accepted:
    """A password entry that was right: the record, and whether the entry was the temporary
    password (spent now: the caller must set a new password before anything else)."""

    record: ServicePassword
    temporary: bool


def _temporary_matches(record: ServicePassword, entered: str, now: dt.datetime) -> bool:
    """Whether *entered* is the record's temporary password, not yet used nor expired."""
    if record.temporary_hash is None or record.temporary_expires_at is None:
        return False
    return now < record.temporary_expires_at and matches(record.temporary_hash, entered)


def check(
    session: Session,
    subscriber: Subscriber,
    entered: str,
    *,
    from_number: str,
    call_id: int | None,
    settings: AccountSettings,
    now: dt.datetime,
    policy: PasswordPolicy | None = None,
) -> Accepted:
    """Whether *entered* is the subscriber's service password, or their temporary one.

    Returns what was accepted (a temporary password is spent by its use); otherwise raises
    :class:`WrongPassword`, or
    :class:`PasswordLocked` (``just_locked`` when this entry from the owner's own phone
    locked it, and the owner is told by SMS), :class:`TooManyAttempts` (before looking at
    *entered*, or when this wrong entry from another number reached a limit) or
    :class:`NoServicePassword`. Every entry looked at is recorded, in the caller's
    transaction.
    """
    policy = policy or PasswordPolicy.from_settings(settings)
    record = _load(session, subscriber)
    own_phone = _national(from_number) == subscriber.msisdn
    _check_number_not_rate_limited(session, from_number, policy, now)
    _check_not_locked(record, now)
    if not own_phone:
        _check_account_not_rate_limited(session, record, subscriber, policy, now)
    current = matches(record.password_hash, entered)
    temporary = not current and _temporary_matches(record, entered, now)
    if current or temporary:
        if temporary:  # used once: spent
            record.temporary_hash = record.temporary_expires_at = None
        record.failures = 0
        _log(session, subscriber, "succeeded", from_number, call_id, now)
        return Accepted(record, temporary)
    _log(session, subscriber, "failed", from_number, call_id, now)
    if not own_phone:
        raise _stranger_wrong(session, record, subscriber, from_number, policy, now)
    record.failures += 1
    if record.failures < policy.max_failures:
        raise WrongPassword(policy.max_failures - record.failures)
    record.locked_until = now + policy.lockout
    _log(session, subscriber, "locked", from_number, call_id, now)
    language = subscriber.language
    body = sms_text(
        "password.locked",
        language,
        count=str(record.failures),
        until=_written(minute_up(record.locked_until), language),
    )
    _notify(session, settings, subscriber, "password_locked", language, body, now)
    raise PasswordLocked(record.locked_until, just_locked=True)


def check_strong(session: Session, subscriber: Subscriber, new_password: str) -> None:
    """Refuse (:class:`WeakPassword`) a new password that is easy to guess or unchanged."""
    if not well_formed(new_password):
        raise ValueError("a service password is six digits")
    reason = weakness(new_password, subscriber.msisdn)
    if reason is not None:
        raise WeakPassword(reason)
    record = session.scalar(ServicePassword.of(subscriber))
    if record is not None and matches(record.password_hash, new_password):
        raise WeakPassword("same_as_current")


def _record_for(session: Session, subscriber: Subscriber, now: dt.datetime) -> ServicePassword:
    """The subscriber's password record, locked; a new one without a usable password if none."""
    record = session.scalar(ServicePassword.of(subscriber).with_for_update())
    if record is None:
        record = ServicePassword(subscriber_id=subscriber.id, password_hash=UNUSABLE)
        record.changed_at = now
        session.add(record)
    return record


def _store(
    session: Session, subscriber: Subscriber, password_hash: str, now: dt.datetime
) -> ServicePassword:
    """A new current password: unlocked, and any temporary one outstanding is void."""
    record = _record_for(session, subscriber, now)
    record.password_hash, record.changed_at = password_hash, now
    record.temporary_hash = record.temporary_expires_at = None
    record.failures, record.locked_until = 0, None
    return record


def change(
    session: Session,
    subscriber: Subscriber,
    new_password: str,
    *,
    from_number: str,
    call_id: int | None,
    settings: AccountSettings,
    now: dt.datetime,
) -> None:
    """Set a new service password (the caller has proved the old one) and tell the owner."""
    check_strong(session, subscriber, new_password)
    _store(session, subscriber, hash_password(new_password), now=now)
    _log(session, subscriber, "changed", from_number, call_id, now)
    language = subscriber.language
    body = sms_text("password.changed", language, time=_written(now, language))
    _notify(session, settings, subscriber, "password_changed", language, body, now)


def _check_own_number(subscriber: Subscriber | None, from_number: str) -> Subscriber:
    if subscriber is None or _national(from_number) != subscriber.msisdn:
        raise NotOwnNumber()
    return subscriber


def _check_temporary_allowance(
    session: Session, subscriber: Subscriber, policy: PasswordPolicy, now: dt.datetime
) -> None:
    window = dt.timedelta(days=1)
    sent = _recent(
        session,
        (PasswordEvent.subscriber_id == subscriber.id, PasswordEvent.kind == "temporary"),
        now - window,
    )
    until = _limit_reached(sent, policy.temporary_per_day, window)
    if until is not None:
        raise TooManyTemporaryPasswords(until)


def _new_temporary(msisdn: str) -> str:
    while True:
        candidate = f"{secrets.randbelow(10**LENGTH):0{LENGTH}d}"
        if weakness(candidate, msisdn) is None:
            return candidate


def issue_temporary(
    session: Session,
    subscriber: Subscriber | None,
    *,
    from_number: str,
    language: str,
    call_id: int | None,
    settings: AccountSettings,
    now: dt.datetime,
    policy: PasswordPolicy | None = None,
) -> dt.datetime:
    """A forgotten password: send a new temporary one by SMS to the subscriber's own phone.

    Only for a call from that phone (:class:`NotOwnNumber`), a few times a day
    (:class:`TooManyTemporaryPasswords`). It replaces any temporary one sent before and ends
    any lockout; the current password still works. It may be used once, until the time
    returned (naive UTC); its use must be followed by a new password. The temporary password
    exists only in that SMS: it is not returned.
    """
    policy = policy or PasswordPolicy.from_settings(settings)
    owner = _check_own_number(subscriber, from_number)
    _check_temporary_allowance(session, owner, policy, now)
    temporary = _new_temporary(owner.msisdn)
    record = _record_for(session, owner, now)
    record.temporary_hash = hash_password(temporary)
    record.temporary_expires_at = now + policy.temporary_valid
    record.failures, record.locked_until = 0, None
    _log(session, owner, "temporary", from_number, call_id, now)
    minutes = str(int(policy.temporary_valid.total_seconds() // 60))
    body = sms_text("password.temporary", language, password=temporary, minutes=minutes)
    _notify(session, settings, owner, "password_temporary", language, body, now)
    return record.temporary_expires_at


@cache
def _demo_hash() -> str:
    # One hash for every demo subscriber: demo data, seeded for each test.
    return hash_password(DEMO_PASSWORD)


def seed_demo(session: Session, subscribers: Iterable[Subscriber], now: dt.datetime) -> None:
    """Give every demo subscriber the documented demo password, unlocked."""
    for subscriber in subscribers:
        _store(session, subscriber, _demo_hash(), now=now)
    session.flush()
