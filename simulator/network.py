"""The simulated telephone network: live calls, queues, recordings and SMS, shared by every
call and by the REST stand-in. Thread-safe: many calls run at once, each in its own thread."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from xml.etree import ElementTree

from simulator.call import CallSpec, Recogniser, SimulatedCall
from simulator.control import Complete, RedirectTo
from simulator.inputs import Action, Hangup, InputSource, ScriptedInput, Wait
from simulator.messaging import (
    Message,
    MessageStore,
    OptOuts,
    RestError,
    reply_bodies,
    segment_count,
    status_params,
    wall_clock,
)
from simulator.queues import DEFAULT_MAX_SIZE, CallQueue, Member
from simulator.result import CallError, CallResult, CallView, Heard
from simulator.sids import new_sid
from simulator.timing import Clock, ScaledClock
from simulator.webhook import FetchError, WebhookClient, WebhookRequest

VOICE_INCOMING = "/voice/incoming"
VOICE_STATUS = "/voice/status"
SMS_INCOMING = "/sms/incoming"
SMS_STATUS = "/sms/status"

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_AUTH_TOKEN = "local-simulator-token"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32

# Simulated seconds from a message's creation to "sent", and from "sent" to its final status.
_SEND_DELAY = 1.0
_DELIVERY_DELAY = 2.0


@dataclass(frozen=True)
class NetworkConfig:
    """Where the application is, how requests are signed, and how time passes.

    ``hold_timeout`` bounds, in *real* seconds, how long a caller holds in a queue and how
    long two parties wait for each other to join a bridge, so a test never hangs.
    ``party_talk_seconds`` is how long a simulated phone (a dialled number, an outbound call
    without a script) talks before it hangs up.
    """

    base_url: str = DEFAULT_BASE_URL
    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    time_scale: float = 0.0
    hold_timeout: float = 30.0
    webhook_timeout: float = 15.0
    party_talk_seconds: float = 60.0

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: object
    ) -> NetworkConfig:
        """Defaults from the variables the application reads too; ``overrides`` win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "base_url": env.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL,
            "account_sid": env.get("TWILIO_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID,
            "auth_token": env.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


@dataclass(frozen=True)
class Recording:
    sid: str
    call_sid: str
    text: str
    duration: float
    audio: bytes = field(repr=False)
    date_created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class QueueView:
    sid: str
    name: str
    current_size: int
    max_size: int
    average_wait: int
    date_created: dt.datetime


@dataclass(frozen=True)
class MemberView:
    call_sid: str
    queue_sid: str
    position: int
    wait_time: int
    date_enqueued: dt.datetime


@dataclass(frozen=True)
class QueueStatus:
    """What a waiting caller's waitUrl request reports."""

    sid: str
    position: int
    size: int
    max_size: int
    average_wait: int


@dataclass
class SmsExchange:
    """A handset's SMS to the service: the inbound message, the replies, what went wrong."""

    inbound: Message
    replies: list[Message] = field(default_factory=list)
    requests: list[WebhookRequest] = field(default_factory=list)
    errors: list[CallError] = field(default_factory=list)


class CallHandle:
    """A call running in its own thread."""

    def __init__(self, call: SimulatedCall, thread: threading.Thread) -> None:
        self.call = call
        self._thread = thread

    @property
    def sid(self) -> str:
        return self.call.sid

    def result(self, timeout: float | None = 60.0) -> CallResult:
        """Wait (real ``timeout``) for the call to end; raise TimeoutError if it does not."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"call {self.sid} still running after {timeout} s")
        return self.call.result


class Network:
    def __init__(
        self,
        config: NetworkConfig | None = None,
        *,
        clock: Clock | None = None,
        wall: Callable[[], dt.datetime] = wall_clock,
    ) -> None:
        """*clock* paces calls; *wall* (aware UTC) dates messages, as Twilio's own clock."""
        self.config = config or NetworkConfig()
        self.clock: Clock = clock or ScaledClock(self.config.time_scale)
        self.media_base_url: str | None = None  # set by the REST stand-in that serves media
        self.messages = MessageStore(wall)
        self.opt_outs = OptOuts()
        self.message_requests: list[WebhookRequest] = []
        self._lock = threading.Condition(threading.RLock())
        self._live: dict[str, SimulatedCall] = {}
        self._finished: dict[str, CallResult] = {}
        self._queues: dict[str, CallQueue] = {}
        self._recordings: dict[str, Recording] = {}
        self._outcomes: dict[str, str] = {}
        self._scripts: dict[str, list[Action]] = {}
        self._threads: list[threading.Thread] = []
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sim-sms")
        self._deliveries: list[Future[None]] = []

    # -- calls ---------------------------------------------------------------------------

    def inbound_spec(self, to: str, from_: str, *, outcome: str = "completed") -> CallSpec:
        """A call from handset ``from_`` to the service number ``to``, as the app receives it."""
        return CallSpec(
            to=to,
            from_=from_,
            direction="inbound",
            url=self.config.url(VOICE_INCOMING),
            status_callback=self.config.url(VOICE_STATUS),
            outcome=outcome,
        )

    def call(
        self,
        to: str,
        from_: str,
        script: Sequence[Action] | InputSource = (),
        *,
        outcome: str = "completed",
        on_heard: Callable[[Heard], None] | None = None,
        recogniser: Recogniser | None = None,
    ) -> CallResult:
        """Place an inbound call and run it to its end in this thread."""
        call = self.new_call(
            self.inbound_spec(to, from_, outcome=outcome), script, on_heard, recogniser
        )
        return call.run()

    def start(
        self,
        spec: CallSpec,
        script: Sequence[Action] | InputSource = (),
        *,
        on_heard: Callable[[Heard], None] | None = None,
        recogniser: Recogniser | None = None,
    ) -> CallHandle:
        """Run a call in a background thread."""
        call = self.new_call(spec, script, on_heard, recogniser)
        thread = threading.Thread(target=call.run, name=f"sim-call-{call.sid[-6:]}", daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()
        return CallHandle(call, thread)

    def new_call(
        self,
        spec: CallSpec,
        script: Sequence[Action] | InputSource,
        on_heard: Callable[[Heard], None] | None = None,
        recogniser: Recogniser | None = None,
    ) -> SimulatedCall:
        source = ScriptedInput(list(script)) if isinstance(script, Sequence) else script
        return SimulatedCall(self, spec, source, on_heard=on_heard, recogniser=recogniser)

    def register(self, call: SimulatedCall) -> None:
        with self._lock:
            self._live[call.sid] = call

    def finish(self, call: SimulatedCall) -> None:
        with self._lock:
            self._live.pop(call.sid, None)
            self._finished[call.sid] = call.result
            self._lock.notify_all()

    def call_view(self, sid: str) -> CallView | None:
        with self._lock:
            live = self._live.get(sid)
            if live is not None:
                return live.view()
            result = self._finished.get(sid)
        return None if result is None else _result_view(result)

    def call_views(self) -> list[CallView]:
        with self._lock:
            live = [call.view() for call in self._live.values()]
            done = [_result_view(result) for result in self._finished.values()]
        return live + done

    def redirect(
        self, sid: str, *, url: str | None = None, method: str = "POST", twiml: str | None = None
    ) -> None:
        """Make a live call continue with new TwiML (REST ``Url`` / ``Twiml`` update)."""
        self._live_call(sid).control.post(RedirectTo(url=url, method=method, twiml=twiml))

    def complete(self, sid: str) -> None:
        """End a live call (REST ``Status=completed``)."""
        self._live_call(sid).control.post(Complete())

    def _live_call(self, sid: str) -> SimulatedCall:
        with self._lock:
            call = self._live.get(sid)
            if call is not None:
                return call
            known = sid in self._finished
        if known:
            raise RestError(400, 21220, "Call is not in-progress. Cannot redirect.")
        raise RestError(404, 20404, f"The requested resource Call {sid} was not found")

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait (real seconds) for background calls and SMS deliveries; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
            deliveries = list(self._deliveries)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        _, pending = futures.wait(deliveries, timeout=max(0.0, deadline - time.monotonic()))
        return not pending and not any(thread.is_alive() for thread in threads)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)

    # -- the other parties: dialled numbers and callees of outbound calls -----------------

    def set_outcome(self, number: str, status: str) -> None:
        """Calls to ``number`` end ``busy``, ``no-answer`` or ``failed`` (``completed`` resets)."""
        if status not in ("completed", "busy", "no-answer", "failed"):
            raise ValueError(f"unknown call outcome {status!r}")
        with self._lock:
            self._outcomes[number] = status

    def outcome_for(self, number: str) -> str:
        with self._lock:
            return self._outcomes.get(number, "completed")

    def set_script(self, number: str, actions: Sequence[Action]) -> None:
        """What the person at ``number`` does when called (default: talks, then hangs up)."""
        with self._lock:
            self._scripts[number] = list(actions)

    def script_for(self, number: str) -> list[Action]:
        with self._lock:
            script = self._scripts.get(number)
        return (
            list(script) if script is not None else [Wait(self.config.party_talk_seconds), Hangup()]
        )

    # -- queues --------------------------------------------------------------------------

    def create_queue(self, name: str, max_size: int = DEFAULT_MAX_SIZE) -> QueueView:
        with self._lock:
            queue = self._queues.get(name)
            if queue is None:
                queue = self._queues[name] = CallQueue(name=name, max_size=max_size)
            return _queue_view(queue)

    def enqueue(
        self, name: str, call_sid: str, member_of: Callable[[CallQueue], Member]
    ) -> tuple[str, Member | None]:
        """Add a member built by ``member_of``; ``(queue sid, None)`` when the queue is full."""
        with self._lock:
            queue = self._queues.get(name)
            if queue is None:
                queue = self._queues[name] = CallQueue(name=name)
            if queue.full:
                return queue.sid, None
            member = member_of(queue)
            queue.members.append(member)
            self._lock.notify_all()
            return queue.sid, member

    def leave_queue(self, name: str, member: Member) -> None:
        with self._lock:
            queue = self._queues.get(name)
            if queue is not None:
                queue.remove(member)
            self._lock.notify_all()

    def queue_status(self, name: str, call_sid: str) -> QueueStatus:
        with self._lock:
            queue = self._queues[name]
            return QueueStatus(
                sid=queue.sid,
                position=queue.position(call_sid),
                size=len(queue.members),
                max_size=queue.max_size,
                average_wait=queue.average_wait,
            )

    def dequeue_front(self, name: str) -> Member | None:
        """Take the first waiting caller out of queue ``name`` (for ``<Dial><Queue>``)."""
        with self._lock:
            queue = self._queues.get(name)
            if queue is None or not queue.members:
                return None
            member = queue.members[0]
            queue.remove(member)
            self._lock.notify_all()
            return member

    def dequeue_to_url(
        self, queue_sid: str, call_sid: str, url: str, method: str = "POST"
    ) -> MemberView:
        """REST Queue Member update: take a caller (or ``Front``) out; it continues at ``url``."""
        with self._lock:
            queue = self._queue_by_sid(queue_sid)
            member = _member(queue, call_sid)
            view = _member_view(queue, member)
            queue.remove(member)
            self._lock.notify_all()
        member.control.post(RedirectTo(url=url, method=method))
        return view

    def queue_views(self) -> list[QueueView]:
        with self._lock:
            return [_queue_view(queue) for queue in self._queues.values()]

    def queue_view(self, queue_sid: str) -> QueueView:
        with self._lock:
            return _queue_view(self._queue_by_sid(queue_sid))

    def member_views(self, queue_sid: str) -> list[MemberView]:
        with self._lock:
            queue = self._queue_by_sid(queue_sid)
            return [_member_view(queue, member) for member in queue.members]

    def member_view(self, queue_sid: str, call_sid: str) -> MemberView:
        with self._lock:
            queue = self._queue_by_sid(queue_sid)
            return _member_view(queue, _member(queue, call_sid))

    def wait_for_queue(self, name: str, size: int = 1, timeout: float = 10.0) -> QueueView:
        """Wait (real ``timeout``) until queue ``name`` holds at least ``size`` callers."""
        with self._lock:
            reached = self._lock.wait_for(
                lambda: name in self._queues and len(self._queues[name].members) >= size,
                timeout=timeout,
            )
            if not reached:
                raise TimeoutError(f"queue {name!r} did not reach {size} caller(s) in {timeout} s")
            return _queue_view(self._queues[name])

    def _queue_by_sid(self, queue_sid: str) -> CallQueue:
        for queue in self._queues.values():
            if queue.sid == queue_sid:
                return queue
        raise RestError(404, 20404, f"The requested resource Queue {queue_sid} was not found")

    # -- recordings ----------------------------------------------------------------------

    def store_recording(self, call_sid: str, text: str, duration: float, audio: bytes) -> Recording:
        recording = Recording(new_sid("RE"), call_sid, text, duration, audio)
        with self._lock:
            self._recordings[recording.sid] = recording
        return recording

    def recording(self, sid: str) -> Recording | None:
        with self._lock:
            return self._recordings.get(sid)

    def recording_url(self, sid: str) -> str | None:
        """Where the app can fetch a recording (WAV), or None without a media endpoint."""
        if self.media_base_url is None:
            return None
        base = self.media_base_url.rstrip("/")
        return f"{base}/2010-04-01/Accounts/{self.config.account_sid}/Recordings/{sid}"

    # -- messaging -----------------------------------------------------------------------

    def send_message(
        self,
        *,
        to: str,
        from_: str,
        body: str,
        status_callback: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> Message:
        """An outbound message (REST create): queued now, then sent and delivered with signed
        status callbacks to ``status_callback``; raises :class:`RestError` like Twilio.
        Returns the message as created (``queued``)."""
        if self.opt_outs.blocked(to, from_ or messaging_service_sid or ""):
            raise RestError(400, 21610, "Attempt to send to unsubscribed recipient")
        message = self.messages.create(
            account_sid=self.config.account_sid,
            from_=from_,
            to=to,
            body=body,
            direction="outbound-api",
            status_callback=status_callback,
            messaging_service_sid=messaging_service_sid,
        )
        created = dataclasses.replace(message)  # as created: delivery goes on in the background
        self._schedule_delivery(message)
        return created

    def send_sms(self, from_: str, to: str, body: str) -> SmsExchange:
        """A handset ``from_`` texts the service number ``to``: the signed ``/sms/incoming``
        webhook, then the TwiML ``<Message>`` replies delivered to the handset's inbox."""
        inbound = self.messages.create(
            account_sid=self.config.account_sid, from_=from_, to=to, body=body, direction="inbound"
        )
        inbound.status = "received"
        self.opt_outs.observe(from_, to, body)
        exchange = SmsExchange(inbound=inbound)
        client = WebhookClient(
            self.config.auth_token,
            timeout=self.config.webhook_timeout,
            on_request=exchange.requests.append,
        )
        try:
            fetched = client.request("POST", self.config.url(SMS_INCOMING), _sms_params(inbound))
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

    def _reply(self, service: str, handset: str, body: str) -> Message:
        if self.opt_outs.blocked(handset, service):
            raise RestError(400, 21610, f"reply to {handset} blocked: the handset opted out")
        message = self.messages.create(
            account_sid=self.config.account_sid,
            from_=service,
            to=handset,
            body=body,
            direction="outbound-reply",
        )
        self._schedule_delivery(message)
        return message

    def _schedule_delivery(self, message: Message) -> None:
        future = self._executor.submit(self._deliver, message)
        with self._lock:
            self._deliveries = [f for f in self._deliveries if not f.done()] + [future]

    def _deliver(self, message: Message) -> None:
        client = WebhookClient(
            self.config.auth_token,
            timeout=self.config.webhook_timeout,
            on_request=self._record_message_request,
        )
        try:
            self.clock.sleep(_SEND_DELAY)
            self.messages.mark_sent(message)
            self._status_callback(client, message, "sent")
            self.clock.sleep(_DELIVERY_DELAY)
            self._status_callback(client, message, self.messages.mark_final(message))
        finally:
            client.close()

    def _status_callback(self, client: WebhookClient, message: Message, status: str) -> None:
        if message.status_callback:
            # A failure is recorded in message_requests (with its error), as Twilio's
            # debugger would show it; delivery goes on regardless.
            with contextlib.suppress(FetchError):
                client.request("POST", message.status_callback, status_params(message, status))

    def _record_message_request(self, request: WebhookRequest) -> None:
        with self._lock:
            self.message_requests.append(request)


def _result_view(result: CallResult) -> CallView:
    return CallView(
        sid=result.call_sid,
        to=result.to,
        from_=result.from_,
        direction=result.direction,
        status=result.status,
        start_time=result.started_at,
        duration=result.duration,
        end_time=result.ended_at,
    )


def _sms_params(message: Message) -> dict[str, str]:
    return {
        "AccountSid": message.account_sid,
        "ApiVersion": "2010-04-01",
        "Body": message.body,
        "From": message.from_,
        "MessageSid": message.sid,
        "NumMedia": "0",
        "NumSegments": str(segment_count(message.body)),
        "SmsMessageSid": message.sid,
        "SmsSid": message.sid,
        "SmsStatus": "received",
        "To": message.to,
    }


def _queue_view(queue: CallQueue) -> QueueView:
    return QueueView(
        sid=queue.sid,
        name=queue.name,
        current_size=len(queue.members),
        max_size=queue.max_size,
        average_wait=queue.average_wait,
        date_created=queue.date_created,
    )


def _member(queue: CallQueue, call_sid: str) -> Member:
    """The caller ``call_sid`` in ``queue``, or its first caller for ``Front`` (as Twilio)."""
    member = queue.members[0] if call_sid == "Front" and queue.members else queue.find(call_sid)
    if member is None:
        raise RestError(404, 20404, f"Queue member {call_sid} was not found in {queue.sid}")
    return member


def _member_view(queue: CallQueue, member: Member) -> MemberView:
    return MemberView(
        call_sid=member.call_sid,
        queue_sid=queue.sid,
        position=queue.position(member.call_sid),
        wait_time=round(member.waited()),
        date_enqueued=member.date_enqueued,
    )
