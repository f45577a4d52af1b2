"""Where SMS go: the local handset store (default) or Twilio's Messages API.

A sender either returns the provider's message SID, or raises :class:`TransientSendError`
(worth retrying: 5xx, 429, timeouts) or :class:`PermanentSendError` (not: bad number, opted out).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Protocol

import requests
from sqlalchemy.orm import Session, sessionmaker
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from ivr.config import Settings
from ivr.db import transaction
from ivr.models import LocalDelivery

logger = logging.getLogger("sms_followup.senders")


@dataclass(frozen=True)
class OutgoingSms:
    outbox_id: int
    to_number: str
    from_number: str
    body: str


class TransientSendError(Exception):
    """The provider may accept the message later."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class PermanentSendError(Exception):
    """The provider will never accept this message as it is."""


class Sender(Protocol):
    def send(self, sms: OutgoingSms) -> str: ...


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


class TwilioSender:
    """Sends through the real ``twilio.rest.Client`` (Twilio, or the local stand-in)."""

    def __init__(self, client: Client, status_callback: str) -> None:
        self._client = client
        self._status_callback = status_callback

    def send(self, sms: OutgoingSms) -> str:
        try:
            message = self._client.messages.create(
                to=sms.to_number,
                from_=sms.from_number,
                body=sms.body,
                status_callback=self._status_callback,
            )
        except TwilioRestException as error:
            if error.status == 429 or error.status >= 500:
                raise TransientSendError(
                    f"HTTP {error.status} {error.code}: {error.msg}"
                ) from error
            raise PermanentSendError(f"HTTP {error.status} {error.code}: {error.msg}") from error
        except (requests.Timeout, requests.ConnectionError) as error:
            raise TransientSendError(f"{type(error).__name__}: {error}") from error
        return str(message.sid)


def build_sender(settings: Settings, sessions: sessionmaker[Session]) -> Sender:
    if settings.sms_sender == "local":
        return LocalSender(sessions)
    from ivr.twilio_rest import build_client

    client = build_client(
        settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base_url
    )
    return TwilioSender(client, settings.public_base_url.rstrip("/") + "/sms/status")
