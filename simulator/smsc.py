"""The SMS centre: messages the application sends through the REST API, and a handset's texts
to the service's ``/sms/incoming`` webhook with the replies of its TwiML answer. Both are
delivered in the background, in simulated time, with signed status callbacks."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
import time
import zlib
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from xml.etree import ElementTree

from simulator.config import SMS_INCOMING, NetworkConfig
from simulator.errors import RestError
from simulator.messaging import (
    Message,
    MessageStore,
    OptOuts,
    is_e164,
    reply_bodies,
    segment_count,
    status_params,
)
from simulator.result import CallError
from simulator.timing import Clock
from simulator.webhook import FetchError, WebhookClient, WebhookRequest

# Simulated seconds from a message's creation to "sent", and from "sent" to its final status.
_SEND_DELAY = 1.0
_DELIVERY_DELAY = 2.0
# Real seconds a delivery waits for the create's answer to be written before it goes on.
_ANSWER_WAIT = 10.0


@dataclass
class SmsExchange:
    """A handset's SMS to the service: the inbound message, the replies, what went wrong."""

    inbound: Message
    replies: list[Message] = field(default_factory=list)
    requests: list[WebhookRequest] = field(default_factory=list)
    errors: list[CallError] = field(default_factory=list)


class SmsCenter:
    """Sends, receives and delivers messages. ``config`` is read on each use, so that it
    follows the network's configuration; ``clock`` paces deliveries; ``messages`` are dated
    by ``wall``."""

    def __init__(
        self,
        config: Callable[[], NetworkConfig],
        clock: Clock,
        wall: Callable[[], dt.datetime],
    ) -> None:
        self.messages = MessageStore(wall)
        self.opt_outs = OptOuts()
        self.callbacks: list[WebhookRequest] = []  # status callbacks made, failed ones too
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sim-sms")
        self._deliveries: list[Future[None]] = []

    def send_message(
        self,
        *,
        to: str,
        from_: str,
        body: str,
        status_callback: str | None = None,
        messaging_service_sid: str | None = None,
        answered: threading.Event | None = None,
    ) -> Message:
        """An outbound message (REST create), checked as Twilio checks it: ``To`` in E.164
        (21211), ``From`` a number the account owns (21606) or a Messaging Service it has
        (21701), then body (21602, 21617), mobile (21614) and opt-out (21610). Returned as
        created: ``queued``, or ``accepted`` through a Messaging Service (which then picks a
        number of its pool, ``queued`` by callback); then sent and delivered, with signed
        status callbacks to ``status_callback``, none for the status the create answered.
        With ``answered``, nothing happens to the message until it is set (the create's
        answer is written), so no callback can overtake that answer."""
        config = self._config()
        if to and not is_e164(to):
            raise RestError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        pool: tuple[str, ...] = ()
        if messaging_service_sid:
            found = config.pool(messaging_service_sid)
            if found is None:
                raise RestError(
                    400, 21701, f"The Messaging Service {messaging_service_sid} does not exist"
                )
            pool = found
        if from_ and not (from_ in pool if pool else config.owns(from_)):
            raise RestError(
                400,
                21606,
                f"The From phone number {from_} is not a valid, SMS-capable inbound phone "
                "number or short code for your account.",
            )
        if self.opt_outs.blocked_any(to, (from_,) if from_ else pool):
            raise RestError(400, 21610, "Attempt to send to unsubscribed recipient")
        message = self.messages.create(
            account_sid=config.account_sid,
            from_=from_,
            to=to,
            body=body,
            direction="outbound-api",
            status_callback=status_callback,
            messaging_service_sid=messaging_service_sid,
        )
        created = dataclasses.replace(message)  # as created: delivery goes on in the background
        self._schedule_delivery(message, pool, answered)
        return created

    def send_sms(self, from_: str, to: str, body: str) -> SmsExchange:
        """A handset ``from_`` texts the service number ``to``: the signed ``/sms/incoming``
        webhook, then the TwiML ``<Message>`` replies delivered to the handset's inbox."""
        config = self._config()
        if not config.owns(to):
            raise RestError(
                404,
                20404,
                f"{to} is not a number of account {config.account_sid}: a text to it never "
                "reaches Twilio (text one of the account's numbers)",
            )
        if not is_e164(from_):
            raise RestError(400, 21211, f"a handset's number reaches Twilio in E.164, not {from_}")
        inbound = self.messages.create(
            account_sid=config.account_sid, from_=from_, to=to, body=body, direction="inbound"
        )
        inbound.status = "received"
        self.opt_outs.observe(from_, to, body)
        exchange = SmsExchange(inbound=inbound)
        client = WebhookClient(
            config.auth_token, timeout=config.webhook_timeout, on_request=exchange.requests.append
        )
        try:
            fetched = client.request("POST", config.url(SMS_INCOMING), _sms_params(inbound, config))
        except FetchError as error:
            exchange.errors.append(CallError(error.code, error.message, error.url))
            return exchange
        finally:
            client.close()
        try:
            replies = reply_bodies(fetched.body) if fetched.body.strip() else []
        except (ElementTree.ParseError, ValueError) as error:
            exchange.errors.append(CallError("12100", f"messaging reply: {error}", fetched.url))
            return exchange
        for reply_to, text in replies:
            try:
                exchange.replies.append(self._reply(to, reply_to or from_, text))
            except RestError as error:
                exchange.errors.append(CallError(str(error.code), error.message, fatal=False))
        return exchange

    def wait(self, deadline: float) -> bool:
        """Wait until the deliveries under way have ended, or the ``time.monotonic()``
        deadline has passed; whether they all ended."""
        with self._lock:
            deliveries = list(self._deliveries)
        _, pending = futures.wait(deliveries, timeout=max(0.0, deadline - time.monotonic()))
        return not pending

    def close(self) -> None:
        """Finish the deliveries under way; accept no more."""
        self._executor.shutdown(wait=True, cancel_futures=False)

    def _reply(self, service: str, handset: str, body: str) -> Message:
        if self.opt_outs.blocked(handset, service):
            raise RestError(400, 21610, f"reply to {handset} blocked: the handset opted out")
        message = self.messages.create(
            account_sid=self._config().account_sid,
            from_=service,
            to=handset,
            body=body,
            direction="outbound-reply",
        )
        self._schedule_delivery(message)
        return message

    def _schedule_delivery(
        self,
        message: Message,
        pool: tuple[str, ...] = (),
        answered: threading.Event | None = None,
    ) -> None:
        future = self._executor.submit(self._deliver, message, pool, answered)
        with self._lock:
            self._deliveries = [f for f in self._deliveries if not f.done()] + [future]

    def _deliver(
        self, message: Message, pool: tuple[str, ...], answered: threading.Event | None
    ) -> None:
        if answered is not None:
            answered.wait(_ANSWER_WAIT)
        config = self._config()
        client = WebhookClient(
            config.auth_token, timeout=config.webhook_timeout, on_request=self._record_callback
        )
        try:
            if message.status == "accepted":
                # The same handset gets the same number of the pool (Twilio's sticky sender).
                self.messages.assign(message, pool[zlib.crc32(message.to.encode()) % len(pool)])
                self._status_callback(client, message, "queued")
            self._clock.sleep(_SEND_DELAY)
            self.messages.mark_sent(message)
            self._status_callback(client, message, "sent")
            self._clock.sleep(_DELIVERY_DELAY)
            self._status_callback(client, message, self.messages.mark_final(message))
        finally:
            client.close()

    def _status_callback(self, client: WebhookClient, message: Message, status: str) -> None:
        if message.status_callback:
            # A failure is recorded in callbacks (with its error), as Twilio's debugger would
            # show it; delivery goes on regardless.
            with contextlib.suppress(FetchError):
                client.request("POST", message.status_callback, status_params(message, status))

    def _record_callback(self, request: WebhookRequest) -> None:
        with self._lock:
            self.callbacks.append(request)


def _sms_params(message: Message, config: NetworkConfig) -> dict[str, str]:
    services = [sid for sid, pool in config.messaging_services if message.to in pool]
    service = {"MessagingServiceSid": services[0]} if services else {}
    return service | {
        "AccountSid": message.account_sid,
        "ApiVersion": "2010-04-01",
        "Body": message.body,
        "From": message.from_,
        "MessageSid": message.sid,
        "NumMedia": "0",
        "NumSegments": str(segment_count(message.body)),
        "SmsMessageSid": message.sid,
        "SmsStatus": "received",
        "To": message.to,
    }
