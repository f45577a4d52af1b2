"""Where SMS go: the local handset store (default) or Twilio's Messages API.

A sender either returns the provider's message SID, or raises :class:`TransientSendError`
(worth retrying: 429 with its Retry-After), :class:`SendingPaused` (no message can go: the
account's configuration is refused, or the provider is down) or :class:`PermanentSendError`
(never: bad number, opted out). A sender that can also list what the provider accepted
(:class:`Reconciler`) lets the worker check, before sending again, whether an attempt whose
outcome it never learnt went through after all; one that can read a message's status
(:class:`StatusReader`) lets it recover a status callback that was lost.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ivr import numbers
from ivr.callbacks import status_callback_url
from ivr.clock import Clock
from ivr.db import transaction
from sms_followup import pause
from sms_followup.models import LocalDelivery
from sms_followup.pause import Cause
from sms_followup.settings import SmsSettings, TwilioSenders, is_messaging_service

logger = logging.getLogger("sms_followup.senders")

# How far before an unknown attempt to look for what the provider accepted (clock skew).
LOOKUP_MARGIN = dt.timedelta(minutes=10)
# How many of the recipient's latest messages from the sender the lookup reads.
LOOKUP_LIMIT = 200


@dataclass(frozen=True)
class OutgoingSms:
    outbox_id: int
    to_number: str
    from_number: str
    body: str
    # An earlier attempt may have reached the provider without its SID being recorded.
    unknown_since: dt.datetime | None = None


@dataclass(frozen=True)
class Accepted:
    """A message the provider holds: what :meth:`Reconciler.accepted` finds."""

    sid: str
    body: str
    created: dt.datetime | None


class TransientSendError(Exception):
    """The provider may accept the message later.

    ``maybe_accepted``: the request may have reached the provider (a timeout, a dropped
    connection), so the next attempt looks before it sends again.
    """

    def __init__(
        self, reason: str, retry_after_s: float | None = None, maybe_accepted: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s
        self.maybe_accepted = maybe_accepted


class SendingPaused(TransientSendError):
    """No message can go now, and this one is not at fault: sending pauses for everyone
    (:mod:`sms_followup.pause`). ``cause``: the account's, or the provider's; ``fix``: what
    the operator should do."""

    cause: Cause
    fix: str


class AccountRefused(SendingPaused):
    """The provider refuses the account's credentials or sender: an operator must fix the
    configuration (``fix`` says what)."""

    cause = pause.ACCOUNT

    def __init__(self, reason: str, code: int | None, fix: str) -> None:
        super().__init__(reason)
        self.code = code
        self.fix = fix


class ProviderDown(SendingPaused):
    """The provider cannot be reached or answers 5xx: it comes back by itself."""

    cause = pause.PROVIDER
    fix = "nothing to fix here: sending resumes as soon as Twilio answers again"


class PermanentSendError(Exception):
    """The provider will never accept this message as it is (``code``: Twilio's error code)."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.code = code


AUTHENTICATION_FAILED = 20003
UNSUBSCRIBED_RECIPIENT = 21610
_CHECK_SENDER = (
    "check TWILIO_SMS_FROM / TWILIO_SMS_FROM_MAP: {sender} must be a number of this account "
    "that can send SMS"
)
# Twilio's answers that no message of ours can change: what the operator should fix.
ACCOUNT_ERRORS: dict[int, str] = {
    AUTHENTICATION_FAILED: "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
    21212: _CHECK_SENDER,  # invalid From
    21606: _CHECK_SENDER,  # From not a message-capable number of this account
    21659: _CHECK_SENDER,  # From not a Twilio number
    21660: _CHECK_SENDER,  # From belongs to another account
    21701: "check TWILIO_SMS_FROM / TWILIO_SMS_FROM_MAP: the account has no Messaging Service "
    "{sender}",
    21611: "{sender} has over 10 hours of messages queued at Twilio: sending resumes as they "
    "go; to send faster, send through more numbers (a Messaging Service)",
}
INVALID_RECIPIENT = 21211
NOT_A_MOBILE = 21614
BODY_TOO_LONG = 21617


class Sender(Protocol):
    def send(self, sms: OutgoingSms) -> str: ...


@runtime_checkable
class Redactor(Protocol):
    def redact(self, sid: str) -> None:
        """Remove the text of the provider's copy of a delivered message."""
        ...


@dataclass(frozen=True)
class ProviderStatus:
    """A message's status as the provider reports it now, with its error code if any."""

    status: str
    error_code: str | None


@runtime_checkable
class StatusReader(Protocol):
    def status(self, sid: str) -> ProviderStatus | None:
        """The provider's status of the message *sid*; None if it has no such message.
        :class:`TransientSendError` when it cannot be asked now."""
        ...


@runtime_checkable
class Reconciler(Protocol):
    def accepted(self, sms: OutgoingSms, since: dt.datetime) -> list[Accepted]:
        """Messages to ``sms.to_number`` from ``sms.from_number`` created since ``since``."""
        ...


def recipient(sms: OutgoingSms) -> str:
    """The recipient in E.164, or :class:`PermanentSendError` saying why there is none."""
    try:
        return numbers.e164(sms.to_number)
    except numbers.InvalidNumber as error:
        raise PermanentSendError(f"recipient {sms.to_number!r}: {error}") from error


class LocalSender:
    """Delivers to the local handset table, where `ivr sms inbox` and tests can read it."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def send(self, sms: OutgoingSms) -> str:
        sid = "SM" + secrets.token_hex(16)
        with transaction(self._sessions) as session:
            session.add(
                LocalDelivery(
                    sid=sid, to_number=sms.to_number, from_number=sms.from_number, body=sms.body
                )
            )
        return sid

    def accepted(self, sms: OutgoingSms, since: dt.datetime) -> list[Accepted]:
        with self._sessions() as session:
            rows = session.scalars(
                sa.select(LocalDelivery).where(
                    LocalDelivery.to_number == sms.to_number,
                    LocalDelivery.from_number == sms.from_number,
                    LocalDelivery.at >= since - LOOKUP_MARGIN,
                )
            )
            return [Accepted(r.sid, r.body, r.at) for r in rows]


class TwilioSender:
    """Sends through the real ``twilio.rest.Client`` (Twilio, or the local stand-in)."""

    def __init__(
        self, client: Client, status_callback: str, clock: Clock, senders: TwilioSenders
    ) -> None:
        """Each message goes from the Twilio sender its logical sender maps to (*senders*),
        through the Messaging Service when that is one, with *status_callback* given
        explicitly, so delivery reports never depend on the number's console settings."""
        self._client = client
        self._clock = clock
        self._senders = senders
        self._status_callback = status_callback
        self._last_headers = threading.local()
        http = client.http_client
        if isinstance(http, TwilioHttpClient):
            # requests' response hook: the client raises without the headers (Retry-After).
            http.request_hooks.setdefault("response", []).append(self._remember_headers)

    def send(self, sms: OutgoingSms) -> str:
        self._last_headers.value = {}
        to = recipient(sms)
        sender = self._senders.for_logical(sms.from_number)
        origin: dict[str, str] = (
            {"messaging_service_sid": sender} if is_messaging_service(sender) else {"from_": sender}
        )
        try:
            message = self._client.messages.create(
                to=to, body=sms.body, status_callback=self._status_callback, **origin
            )
        except TwilioRestException as error:
            raise classify(error, self._retry_after(), sender) from error
        except (requests.Timeout, requests.ConnectionError) as error:
            # The request may have reached Twilio: the next attempt looks before it sends.
            raise ProviderDown(f"{type(error).__name__}: {error}", maybe_accepted=True) from error
        return str(message.sid)

    def accepted(self, sms: OutgoingSms, since: dt.datetime) -> list[Accepted]:
        sender = self._senders.for_logical(sms.from_number)
        service = is_messaging_service(sender)
        try:
            listed = self._client.messages.list(
                to=recipient(sms), from_=None if service else sender, limit=LOOKUP_LIMIT
            )
        except TwilioRestException as error:
            refused = classify(error, None, sender)
            if isinstance(refused, SendingPaused):
                raise refused from error
            raise TransientSendError(f"lookup: HTTP {error.status} {error.code}") from error
        except (requests.Timeout, requests.ConnectionError) as error:
            raise ProviderDown(f"lookup: {type(error).__name__}: {error}") from error
        messages = [m for m in listed if not service or m.messaging_service_sid == sender]
        found = []
        for m in messages:
            created = _naive_utc(m.date_created)
            if created is None or created >= since - LOOKUP_MARGIN:
                found.append(Accepted(str(m.sid), str(m.body or ""), created))
        return found

    def status(self, sid: str) -> ProviderStatus | None:
        """``GET /Messages/{Sid}``: what a status callback would have said."""
        try:
            message = self._client.messages(sid).fetch()
        except TwilioRestException as error:
            if error.status == 404:
                return None
            refused = classify(error, None)
            if isinstance(refused, TransientSendError):
                raise refused from error
            raise TransientSendError(f"status: {refused}") from error
        except (requests.Timeout, requests.ConnectionError) as error:
            raise ProviderDown(f"status: {type(error).__name__}: {error}") from error
        code = message.error_code
        return ProviderStatus(str(message.status), None if code in (None, "") else str(code))

    def redact(self, sid: str) -> None:
        """``POST /Messages/{Sid}`` with an empty ``Body``: Twilio keeps no text of it."""
        try:
            self._client.messages(sid).update(body="")
        except TwilioRestException as error:
            raise classify(error, None) from error
        except (requests.Timeout, requests.ConnectionError) as error:
            raise TransientSendError(f"redact: {type(error).__name__}") from error

    def _remember_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_headers.value = dict(response.headers)

    def _retry_after(self) -> float | None:
        headers: Mapping[str, str] = getattr(self._last_headers, "value", {})
        value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        return parse_retry_after(value, self._clock.now())


def classify(
    error: TwilioRestException, retry_after_s: float | None, sender: str = "the sender"
) -> Exception:
    """Twilio's answer as a send error: 401 and the account's errors (:data:`ACCOUNT_ERRORS`,
    the reason saying what to fix) and 5xx pause sending; 429 is retried after its
    Retry-After; any other 4xx is permanent with Twilio's code."""
    reason = f"HTTP {error.status} {error.code}: {error.msg}"
    code = error.code if isinstance(error.code, int) else None
    if error.status == 401 or code in ACCOUNT_ERRORS:
        fix = ACCOUNT_ERRORS[code if code in ACCOUNT_ERRORS else AUTHENTICATION_FAILED]
        return AccountRefused(reason, code, fix.format(sender=sender))
    if error.status >= 500:
        return ProviderDown(reason)
    if error.status == 429:
        return TransientSendError(reason, retry_after_s)
    return PermanentSendError(reason, code)


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds, or an HTTP date seen at
    naive-UTC *now*."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    reference = now.replace(tzinfo=dt.UTC)
    return max((aware - reference).total_seconds(), 0.0)


def _naive_utc(value: Any) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def build_sender(
    settings: SmsSettings, sessions: sessionmaker[Session], clock: Clock, client: Client | None
) -> Sender:
    """The sender ``SMS_SENDER`` names: the local handset table, or Twilio through *client*."""
    if settings.sms_sender == "local":
        return LocalSender(sessions)
    if client is None:
        raise ValueError("SMS_SENDER=twilio needs a Twilio REST client")
    return TwilioSender(
        client,
        status_callback_url(settings.public_base_url, "/sms/status"),
        clock,
        settings.twilio_senders(),
    )
