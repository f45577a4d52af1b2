"""The simulated telephone network, shared by every call and by the REST stand-in: a facade
over its parts, each thread-safe, since many calls run at once, each in its own thread.

* :mod:`~simulator.registry`: the calls, live and ended, and the threads that run them;
* :mod:`~simulator.queues`: the call queues;
* :mod:`~simulator.recordings`: what ``<Record>`` recorded;
* :mod:`~simulator.parties`: the other phones, which calls dial or the app calls;
* :mod:`~simulator.clients`: the Voice SDK clients registered, which ``<Dial><Client>`` rings;
* :mod:`~simulator.smsc`: messages, sent and received.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence

from simulator.call import CallSpec, Recognizer, SimulatedCall
from simulator.clients import Clients
from simulator.config import VOICE_INCOMING, VOICE_STATUS, NetworkConfig, inbound_from
from simulator.inputs import Action, InputSource, ScriptedInput
from simulator.messaging import Message, MessageStore, OptOuts, wall_clock
from simulator.parties import Parties
from simulator.queues import DEFAULT_MAX_SIZE, MemberView, Queues, QueueView
from simulator.recordings import Recording, Recordings
from simulator.registry import CallHandle, CallRegistry
from simulator.result import CallResult, CallView, Heard
from simulator.smsc import SmsCenter, SmsExchange
from simulator.timing import Clock, ScaledClock

__all__ = ["CallHandle", "MemberView", "Network", "NetworkConfig", "QueueView", "SmsExchange"]


class Network:
    """``config`` may be replaced while the network runs (a test shortens ``hold_timeout``):
    calls and parts read it whenever they use it, but a call signs its requests with the
    token it started with."""

    def __init__(
        self,
        config: NetworkConfig | None = None,
        *,
        clock: Clock | None = None,
        wall: Callable[[], dt.datetime] = wall_clock,
    ) -> None:
        """*clock* paces calls and messages; *wall* (aware UTC) dates messages, as Twilio's
        own clock."""
        self.config = config or NetworkConfig()
        self.clock: Clock = clock or ScaledClock(self.config.time_scale)
        self.calls = CallRegistry()
        self.queues = Queues()
        self.recordings = Recordings(lambda: self.config.account_sid)
        self.parties = Parties(lambda: self.config.party_talk_seconds)
        self.clients = Clients()
        self.sms = SmsCenter(lambda: self.config, self.clock, wall)

    # -- calls ---------------------------------------------------------------------------

    def inbound_spec(self, to: str, from_: str, *, outcome: str = "completed") -> CallSpec:
        """A call from handset ``from_`` to the service number ``to``, as the app receives
        it: ``To`` the account's number for a code dialled, or a SIP URI; ``From`` in E.164
        (or the caller at the SIP URI's host). Raises ``NotOurNumber`` for a number that
        reaches none of the account's (:meth:`NetworkConfig.inbound_to`)."""
        twilio_to = self.config.inbound_to(to)
        return CallSpec(
            to=twilio_to,
            from_=inbound_from(from_, twilio_to),
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
        recognizer: Recognizer | None = None,
    ) -> CallResult:
        """Place an inbound call and run it to its end in this thread."""
        spec = self.inbound_spec(to, from_, outcome=outcome)
        return self._new_call(spec, script, on_heard, recognizer).run()

    def start(
        self,
        spec: CallSpec,
        script: Sequence[Action] | InputSource = (),
        *,
        on_heard: Callable[[Heard], None] | None = None,
        recognizer: Recognizer | None = None,
    ) -> CallHandle:
        """Run a call in a background thread."""
        return self.calls.start(self._new_call(spec, script, on_heard, recognizer))

    def call_view(self, sid: str) -> CallView | None:
        return self.calls.view(sid)

    def call_views(self) -> list[CallView]:
        return self.calls.views()

    def redirect(
        self, sid: str, *, url: str | None = None, method: str = "POST", twiml: str | None = None
    ) -> None:
        """Make a live call continue with new TwiML (REST ``Url`` / ``Twiml`` update)."""
        self.calls.redirect(sid, url=url, method=method, twiml=twiml)

    def complete(self, sid: str) -> None:
        """End a live call (REST ``Status=completed``)."""
        self.calls.complete(sid)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait (real seconds) for background calls and SMS deliveries; False on timeout."""
        deadline = time.monotonic() + timeout
        calls_ended = self.calls.wait(deadline)
        return self.sms.wait(deadline) and calls_ended

    def close(self) -> None:
        self.sms.close()

    def _new_call(
        self,
        spec: CallSpec,
        script: Sequence[Action] | InputSource,
        on_heard: Callable[[Heard], None] | None,
        recognizer: Recognizer | None,
    ) -> SimulatedCall:
        source = ScriptedInput(list(script)) if isinstance(script, Sequence) else script
        return SimulatedCall(self, spec, source, on_heard=on_heard, recognizer=recognizer)

    # -- the other parties ---------------------------------------------------------------

    def set_outcome(self, number: str, status: str) -> None:
        """Calls to ``number`` end ``busy``, ``no-answer`` or ``failed`` (``completed`` resets)."""
        self.parties.set_outcome(number, status)

    def outcome_for(self, number: str) -> str:
        return self.parties.outcome_for(number)

    def set_script(self, number: str, actions: Sequence[Action]) -> None:
        """What the person at ``number`` does when called (default: talks, then hangs up)."""
        self.parties.set_script(number, actions)

    def script_for(self, number: str) -> list[Action]:
        return self.parties.script_for(number)

    # -- queues --------------------------------------------------------------------------

    def create_queue(self, name: str, max_size: int = DEFAULT_MAX_SIZE) -> QueueView:
        return self.queues.create(name, max_size)

    def dequeue_to_url(
        self, queue_sid: str, call_sid: str, url: str, method: str = "POST"
    ) -> MemberView:
        """REST Queue Member update: take a caller (or ``Front``) out; it continues at ``url``."""
        return self.queues.dequeue_to_url(queue_sid, call_sid, url, method)

    def queue_views(self) -> list[QueueView]:
        return self.queues.views()

    def queue_view(self, queue_sid: str) -> QueueView:
        return self.queues.view(queue_sid)

    def member_views(self, queue_sid: str) -> list[MemberView]:
        return self.queues.member_views(queue_sid)

    def member_view(self, queue_sid: str, call_sid: str) -> MemberView:
        return self.queues.member_view(queue_sid, call_sid)

    def wait_for_queue(self, name: str, size: int = 1, timeout: float = 10.0) -> QueueView:
        """Wait (real ``timeout``) until queue ``name`` holds at least ``size`` callers."""
        return self.queues.wait_for(name, size, timeout)

    # -- recordings ----------------------------------------------------------------------

    @property
    def media_base_url(self) -> str | None:
        """Where recordings are served; set by the REST stand-in that serves them."""
        return self.recordings.media_base_url

    @media_base_url.setter
    def media_base_url(self, url: str | None) -> None:
        self.recordings.media_base_url = url

    def recording(self, sid: str) -> Recording | None:
        return self.recordings.get(sid)

    # -- messaging -----------------------------------------------------------------------

    @property
    def messages(self) -> MessageStore:
        return self.sms.messages

    @property
    def opt_outs(self) -> OptOuts:
        return self.sms.opt_outs

    def send_message(
        self,
        *,
        to: str,
        from_: str,
        body: str,
        status_callback: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> Message:
        """An outbound message (REST create); see :meth:`SmsCenter.send_message`."""
        return self.sms.send_message(
            to=to,
            from_=from_,
            body=body,
            status_callback=status_callback,
            messaging_service_sid=messaging_service_sid,
        )

    def send_sms(self, from_: str, to: str, body: str) -> SmsExchange:
        """A handset texts the service; see :meth:`SmsCenter.send_sms`."""
        return self.sms.send_sms(from_, to, body)
