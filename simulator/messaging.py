"""Messages on the simulated network: the store (with each handset's inbox), opt-outs, and
the forms of messaging TwiML and status callbacks. :mod:`~simulator.smsc` moves them."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree import ElementTree

from simulator.errors import RestError
from simulator.sids import new_sid

MAX_BODY = 1600
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
# GSM 03.38: the default alphabet (one septet each) and its extension table (two: escape +
# character). A body with any other character goes as UCS-2.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")
FINAL_STATES = frozenset({"delivered", "undelivered", "failed", "received", "read"})
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL"}
)
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})


@dataclass
class Message:
    sid: str
    account_sid: str
    from_: str
    to: str
    body: str
    direction: str  # outbound-api, outbound-reply or inbound
    status: str = "queued"  # "accepted" through a Messaging Service, until it picks a number
    status_callback: str | None = None
    messaging_service_sid: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    date_created: dt.datetime = field(default_factory=lambda: wall_clock())
    date_updated: dt.datetime = field(default_factory=lambda: wall_clock())
    date_sent: dt.datetime | None = None

    @property
    def num_segments(self) -> int:
        return segment_count(self.body)


def is_e164(number: str) -> bool:
    return E164.fullmatch(number) is not None


def encoding(body: str) -> str:
    """``GSM-7`` when every character is in the GSM default alphabet or its extension,
    else ``UCS-2`` (one Chinese character, or a backtick, is enough)."""
    return "GSM-7" if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in body) else "UCS-2"


def segment_count(body: str) -> int:
    """GSM-7 bodies fit 160 septets a segment (153 when split; an extension character such
    as ``€`` or ``[`` takes two), UCS-2 ones 70 UTF-16 units (67 when split; a character
    outside the BMP takes two)."""
    if encoding(body) == "GSM-7":
        single, multi = 160, 153
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in body)
    else:
        single, multi = 70, 67
        units = len(body.encode("utf-16-le")) // 2
    if units <= single:
        return 1
    return -(-units // multi)


def reply_bodies(twiml: bytes) -> list[tuple[str | None, str]]:
    """``(to, body)`` of each ``<Message>`` in a messaging TwiML reply; ``to`` None = sender."""
    root = ElementTree.fromstring(twiml)
    if root.tag != "Response":
        raise ValueError(f"root element is <{root.tag}>, expected <Response>")
    replies: list[tuple[str | None, str]] = []
    for element in root:
        if element.tag != "Message":
            raise ValueError(f"<{element.tag}> is not supported in a messaging reply")
        body_element = element.find("Body")
        text = body_element.text if body_element is not None else element.text
        replies.append((element.get("to"), (text or "").strip()))
    return replies


class OptOuts:
    """Which handsets told which sender numbers STOP (Twilio's default opt-out handling)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pairs: set[tuple[str, str]] = set()

    def observe(self, handset: str, service: str, body: str) -> None:
        """Track an inbound message: a single opt-out or opt-in keyword changes the state."""
        keyword = body.strip().upper()
        with self._lock:
            if keyword in OPT_OUT_KEYWORDS:
                self._pairs.add((handset, service))
            elif keyword in OPT_IN_KEYWORDS:
                self._pairs.discard((handset, service))

    def blocked(self, handset: str, service: str) -> bool:
        with self._lock:
            return (handset, service) in self._pairs

    def blocked_any(self, handset: str, services: tuple[str, ...]) -> bool:
        """Whether ``handset`` told any of ``services`` (a Messaging Service's pool) STOP."""
        return any(self.blocked(handset, service) for service in services)


def wall_clock() -> dt.datetime:
    """Twilio's own time (aware UTC): the real one, unless a test hands the network another."""
    return dt.datetime.now(dt.UTC)


class MessageStore:
    """All messages, by sid, plus what each handset received (its inbox), dated by *now*."""

    def __init__(self, now: Callable[[], dt.datetime] = wall_clock) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._messages: dict[str, Message] = {}
        self._failing: dict[str, int] = {}
        self._not_mobile: set[str] = set()

    def create(
        self,
        *,
        account_sid: str,
        from_: str,
        to: str,
        body: str,
        direction: str,
        status_callback: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> Message:
        """A message as Twilio stores it; an outbound one through a Messaging Service without
        a ``from_`` is ``accepted`` until :meth:`assign` gives it a number of the pool."""
        if not to:
            raise RestError(400, 21604, "A 'To' phone number is required.")
        if not from_ and not messaging_service_sid:
            raise RestError(400, 21603, "A 'From' phone number is required.")
        if not body:
            raise RestError(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            raise RestError(400, 21617, "The concatenated message body exceeds 1600 characters.")
        if direction != "inbound" and to in self._not_mobile:
            raise RestError(400, 21614, f"'To' number {to} is not a valid mobile number")
        message = Message(
            sid=new_sid("SM"),
            account_sid=account_sid,
            from_=from_,
            to=to,
            body=body,
            direction=direction,
            status="queued" if from_ else "accepted",
            status_callback=status_callback,
            messaging_service_sid=messaging_service_sid,
            date_created=self._now(),
            date_updated=self._now(),
        )
        with self._lock:
            self._messages[message.sid] = message
        return message

    def get(self, sid: str) -> Message | None:
        with self._lock:
            return self._messages.get(sid)

    def all(self) -> list[Message]:
        with self._lock:
            return sorted(self._messages.values(), key=lambda m: m.date_created, reverse=True)

    def inbox(self, handset: str) -> list[Message]:
        """Messages delivered to ``handset``, oldest first."""
        with self._lock:
            delivered = [
                m for m in self._messages.values() if m.to == handset and m.status == "delivered"
            ]
        return sorted(delivered, key=lambda m: m.date_created)

    def redact(self, message: Message) -> None:
        """Remove a message's body, as Twilio does on ``POST /Messages/{Sid}`` with an empty
        ``Body``: only once the message has reached a final state."""
        with self._lock:
            if message.status not in FINAL_STATES:
                raise RestError(
                    400, 20009, f"Cannot redact message {message.sid} in state {message.status}"
                )
            message.body = ""
            message.date_updated = self._now()

    def assign(self, message: Message, number: str) -> None:
        """An ``accepted`` message gets its sender from the Messaging Service's pool and is
        ``queued``."""
        with self._lock:
            message.from_ = number
            message.status = "queued"
            message.date_updated = self._now()

    def not_mobile(self, number: str) -> None:
        """``number`` cannot receive SMS (a landline): a create to it is refused, 21614."""
        with self._lock:
            self._not_mobile.add(number)

    def fail_deliveries_to(self, handset: str, error_code: int = 30003) -> None:
        """From now on messages to ``handset`` end ``undelivered`` with ``error_code``."""
        with self._lock:
            self._failing[handset] = error_code

    def mark_sent(self, message: Message) -> None:
        with self._lock:
            message.status = "sent"
            message.date_sent = message.date_updated = self._now()

    def mark_final(self, message: Message) -> str:
        """Deliver a sent message (or fail it, see :meth:`fail_deliveries_to`); the status."""
        with self._lock:
            error_code = self._failing.get(message.to)
            if error_code is None:
                message.status = "delivered"
            else:
                message.status = "undelivered"
                message.error_code = error_code
                message.error_message = "Unreachable destination handset"
            message.date_updated = self._now()
            return message.status


def status_params(message: Message, status: str) -> dict[str, str]:
    """The form of a message status callback."""
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": "2010-04-01",
        "From": message.from_,
        "MessageSid": message.sid,
        "MessageStatus": status,
        "SmsSid": message.sid,
        "SmsStatus": status,
        "To": message.to,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if status in ("undelivered", "failed") and message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    return params
